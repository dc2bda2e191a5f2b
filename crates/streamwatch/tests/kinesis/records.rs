//! Puts and reads through the SDK.

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::{Blob, DateTime};
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, ShardIteratorType};

use crate::harness::{code, create, limited_config, message, start, start_with, test_config};

async fn iterator(
    c: &Client,
    stream: &str,
    shard: &str,
    kind: ShardIteratorType,
    seq: Option<&str>,
) -> String {
    c.get_shard_iterator()
        .stream_name(stream)
        .shard_id(shard)
        .shard_iterator_type(kind)
        .set_starting_sequence_number(seq.map(str::to_owned))
        .send()
        .await
        .unwrap()
        .shard_iterator()
        .unwrap()
        .to_owned()
}

fn entry(pk: &str, data: &[u8]) -> PutRecordsRequestEntry {
    PutRecordsRequestEntry::builder()
        .partition_key(pk)
        .data(Blob::new(data))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn put_record_then_get_records() {
    let h = start().await;
    let c = &h.kinesis;
    create(c, "rec", 1).await;
    let mut seqs = Vec::new();
    for i in 0..10 {
        let out = c
            .put_record()
            .stream_name("rec")
            .partition_key(format!("pk-{i}"))
            .data(Blob::new(format!("payload-{i}")))
            .send()
            .await
            .unwrap();
        assert_eq!(out.shard_id(), "shardId-000000000000");
        seqs.push(out.sequence_number().to_owned());
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    assert!(
        seqs.iter()
            .all(|s| s.len() == 56 && s.bytes().all(|b| b.is_ascii_digit()))
    );

    let it = iterator(
        c,
        "rec",
        "shardId-000000000000",
        ShardIteratorType::TrimHorizon,
        None,
    )
    .await;
    let out = c
        .get_records()
        .shard_iterator(&it)
        .limit(4)
        .send()
        .await
        .unwrap();
    assert_eq!(out.records().len(), 4);
    assert_eq!(out.records()[0].data().as_ref(), b"payload-0");
    assert_eq!(out.records()[0].partition_key(), Some("pk-0"));
    assert_eq!(out.records()[0].sequence_number(), seqs[0]);
    let arrival = out.records()[0].approximate_arrival_timestamp().unwrap();
    let now = DateTime::from(std::time::SystemTime::now());
    assert!((now.secs() - arrival.secs()).abs() < 60);
    assert!(out.millis_behind_latest().is_some());
    let next = out.next_shard_iterator().unwrap();
    let rest = c.get_records().shard_iterator(next).send().await.unwrap();
    assert_eq!(rest.records().len(), 6);
    assert_eq!(rest.millis_behind_latest(), Some(0));
    let empty = c
        .get_records()
        .shard_iterator(rest.next_shard_iterator().unwrap())
        .send()
        .await
        .unwrap();
    assert!(empty.records().is_empty());
    assert!(empty.next_shard_iterator().is_some());

    let at = iterator(
        c,
        "rec",
        "shardId-000000000000",
        ShardIteratorType::AtSequenceNumber,
        Some(&seqs[5]),
    )
    .await;
    let r = c
        .get_records()
        .shard_iterator(at)
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(r.records()[0].data().as_ref(), b"payload-5");
    let after = iterator(
        c,
        "rec",
        "shardId-000000000000",
        ShardIteratorType::AfterSequenceNumber,
        Some(&seqs[5]),
    )
    .await;
    let r = c
        .get_records()
        .shard_iterator(after)
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(r.records()[0].data().as_ref(), b"payload-6");

    let latest = iterator(
        c,
        "rec",
        "shardId-000000000000",
        ShardIteratorType::Latest,
        None,
    )
    .await;
    c.put_record()
        .stream_name("rec")
        .partition_key("x")
        .data(Blob::new("newest"))
        .send()
        .await
        .unwrap();
    let r = c.get_records().shard_iterator(latest).send().await.unwrap();
    assert_eq!(r.records().len(), 1);
    assert_eq!(r.records()[0].data().as_ref(), b"newest");
}

#[tokio::test(flavor = "multi_thread")]
async fn at_timestamp_iterator() {
    let h = start().await;
    let c = &h.kinesis;
    create(c, "ts", 1).await;
    c.put_record()
        .stream_name("ts")
        .partition_key("k")
        .data(Blob::new("early"))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let cut = DateTime::from(std::time::SystemTime::now());
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    c.put_record()
        .stream_name("ts")
        .partition_key("k")
        .data(Blob::new("late"))
        .send()
        .await
        .unwrap();
    let it = c
        .get_shard_iterator()
        .stream_name("ts")
        .shard_id("shardId-000000000000")
        .shard_iterator_type(ShardIteratorType::AtTimestamp)
        .timestamp(cut)
        .send()
        .await
        .unwrap();
    let r = c
        .get_records()
        .shard_iterator(it.shard_iterator().unwrap())
        .send()
        .await
        .unwrap();
    let data: Vec<&[u8]> = r.records().iter().map(|r| r.data().as_ref()).collect();
    assert_eq!(data, [b"late".as_slice()]);

    let future = DateTime::from_secs(DateTime::from(std::time::SystemTime::now()).secs() + 3600);
    let err = c
        .get_shard_iterator()
        .stream_name("ts")
        .shard_id("shardId-000000000000")
        .shard_iterator_type(ShardIteratorType::AtTimestamp)
        .timestamp(future)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
    assert!(message(&err).starts_with(
        "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis."
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn put_records_routes_by_hash_and_reports_each_record() {
    let h = start().await;
    let c = &h.kinesis;
    create(c, "multi", 4).await;
    let mut req = c.put_records().stream_name("multi");
    for i in 0..200 {
        req = req.records(entry(&format!("key-{i}"), format!("v{i}").as_bytes()));
    }
    // An explicit hash key in the last quarter of the key space lands on the last shard.
    req = req.records(
        PutRecordsRequestEntry::builder()
            .partition_key("ignored")
            .explicit_hash_key((u128::MAX - 5).to_string())
            .data(Blob::new("explicit"))
            .build()
            .unwrap(),
    );
    let out = req.send().await.unwrap();
    assert_eq!(out.failed_record_count(), Some(0));
    assert_eq!(out.records().len(), 201);
    assert_eq!(out.records()[200].shard_id(), Some("shardId-000000000003"));
    let shards: std::collections::BTreeSet<_> =
        out.records().iter().filter_map(|r| r.shard_id()).collect();
    assert_eq!(shards.len(), 4, "200 keys spread over all 4 shards");
    // MD5 routing: recompute each key's shard.
    for (i, r) in out.records().iter().take(200).enumerate() {
        let hash = kinesis_engine::hash::partition_key_hash(&format!("key-{i}"));
        let expected = (hash / (u128::MAX / 4 + 1)) as u32;
        assert_eq!(
            r.shard_id(),
            Some(kinesis_engine::shard_id(expected).as_str())
        );
    }
    let mut total = 0;
    for s in 0..4 {
        let it = iterator(
            c,
            "multi",
            &format!("shardId-00000000000{s}"),
            ShardIteratorType::TrimHorizon,
            None,
        )
        .await;
        total += c
            .get_records()
            .shard_iterator(it)
            .send()
            .await
            .unwrap()
            .records()
            .len();
    }
    assert_eq!(total, 201);

    let err = c
        .put_record()
        .stream_name("multi")
        .partition_key("k")
        .explicit_hash_key("340282366920938463463374607431768211456")
        .data(Blob::new("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
    assert_eq!(
        message(&err),
        "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was 340282366920938463463374607431768211456"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_gives_per_record_errors_and_exceptions() {
    let h = start_with(limited_config()).await;
    let c = &h.kinesis_without_retries();
    create(c, "hot", 1).await;
    // 500 records of 4 KiB are 2 MiB: more than one shard takes in a second.
    let data = vec![7u8; 4096];
    let mut req = c.put_records().stream_name("hot");
    for i in 0..500 {
        req = req.records(entry(&format!("k{i}"), &data));
    }
    let out = req.send().await.unwrap();
    let failed = out.failed_record_count().unwrap_or(0);
    let mut ok = 0;
    for r in out.records() {
        match r.error_code() {
            Some(code) => {
                assert_eq!(code, "ProvisionedThroughputExceededException");
                assert_eq!(
                    r.error_message(),
                    Some(
                        "Rate exceeded for shard shardId-000000000000 in stream hot under account 000000000000."
                    )
                );
            }
            None => ok += 1,
        }
    }
    assert_eq!(ok + failed, 500);
    assert!(failed > 0, "some records are throttled");
    // 1 MiB/s holds at most 256 records of 4 KiB (and their keys) in one second.
    assert!(ok <= 256, "no more than a second's worth accepted: {ok}");
    let err = c
        .put_record()
        .stream_name("hot")
        .partition_key("k")
        .data(Blob::new(vec![0u8; 1_000_000]))
        .send()
        .await;
    if let Err(err) = err {
        assert_eq!(code(&err), "ProvisionedThroughputExceededException");
    }

    let it = iterator(
        c,
        "hot",
        "shardId-000000000000",
        ShardIteratorType::TrimHorizon,
        None,
    )
    .await;
    let mut throttled = 0;
    for _ in 0..10 {
        if let Err(e) = c.get_records().shard_iterator(&it).limit(1).send().await {
            assert_eq!(code(&e), "ProvisionedThroughputExceededException");
            throttled += 1;
        }
    }
    assert!(throttled >= 1, "more than 5 reads a second are refused");
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_off_accepts_everything() {
    let h = start_with(kinesis_engine::EngineConfig {
        shard_limits: false,
        ..test_config()
    })
    .await;
    let c = &h.kinesis;
    create(c, "cold", 1).await;
    let data = vec![1u8; 1024];
    for _ in 0..4 {
        let mut req = c.put_records().stream_name("cold");
        for i in 0..500 {
            req = req.records(entry(&format!("k{i}"), &data));
        }
        assert_eq!(req.send().await.unwrap().failed_record_count(), Some(0));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn iterator_errors() {
    let h = start().await;
    let c = &h.kinesis;
    create(c, "it", 2).await;
    let put = c
        .put_record()
        .stream_name("it")
        .partition_key("a")
        .data(Blob::new("x"))
        .send()
        .await
        .unwrap();
    let err = c
        .get_records()
        .shard_iterator("bm90IGFuIGl0ZXJhdG9y")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
    assert_eq!(message(&err), "Invalid ShardIterator.");
    let err = c
        .get_shard_iterator()
        .stream_name("it")
        .shard_id("shardId-000000000007")
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    let other = if put.shard_id() == "shardId-000000000000" {
        "shardId-000000000001"
    } else {
        "shardId-000000000000"
    };
    let err = c
        .get_shard_iterator()
        .stream_name("it")
        .shard_id(other)
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .starting_sequence_number(put.sequence_number())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
    assert!(message(&err).starts_with("Invalid StartingSequenceNumber. It encodes"));
    let err = c
        .get_shard_iterator()
        .stream_name("it")
        .shard_id("shardId-000000000000")
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .send()
        .await
        .unwrap_err();
    assert!(
        message(&err)
            .ends_with("Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber.")
    );
    let err = c
        .get_shard_iterator()
        .stream_name("it")
        .shard_id("shardId-000000000000")
        .shard_iterator_type(ShardIteratorType::Latest)
        .starting_sequence_number(put.sequence_number())
        .send()
        .await
        .unwrap_err();
    assert!(message(&err).ends_with("Request specified LATEST and also a StartingSequenceNumber."));
    let err = c
        .get_shard_iterator()
        .stream_name("it")
        .shard_id("shardId-000000000000")
        .shard_iterator_type(ShardIteratorType::AtTimestamp)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter."
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sequence_number_for_ordering_is_checked() {
    let h = start().await;
    let c = &h.kinesis;
    create(c, "ord", 1).await;
    let first = c
        .put_record()
        .stream_name("ord")
        .partition_key("k")
        .data(Blob::new("1"))
        .send()
        .await
        .unwrap();
    let second = c
        .put_record()
        .stream_name("ord")
        .partition_key("k")
        .sequence_number_for_ordering(first.sequence_number())
        .data(Blob::new("2"))
        .send()
        .await
        .unwrap();
    assert!(second.sequence_number() > first.sequence_number());
    let err = c
        .put_record()
        .stream_name("ord")
        .partition_key("k")
        .sequence_number_for_ordering("12345")
        .data(Blob::new("3"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
    assert_eq!(
        message(&err),
        "ExclusiveMinimumSequenceNumber 12345 used in PutRecord on stream ord under account 000000000000 is invalid."
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn get_records_caps_at_ten_thousand() {
    let h = start_with(kinesis_engine::EngineConfig {
        shard_limits: false,
        ..test_config()
    })
    .await;
    let c = &h.kinesis;
    create(c, "big", 1).await;
    for _ in 0..25 {
        let mut req = c.put_records().stream_name("big");
        for i in 0..500 {
            req = req.records(entry(&format!("k{i}"), b"tiny"));
        }
        req.send().await.unwrap();
    }
    let it = iterator(
        c,
        "big",
        "shardId-000000000000",
        ShardIteratorType::TrimHorizon,
        None,
    )
    .await;
    let r = c.get_records().shard_iterator(it).send().await.unwrap();
    assert_eq!(r.records().len(), 10_000);
    assert!(r.millis_behind_latest().is_some());
    let r = c
        .get_records()
        .shard_iterator(r.next_shard_iterator().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.records().len(), 2_500);
    let err = c
        .get_records()
        .shard_iterator("x")
        .limit(10_001)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
}
