//! SubscribeToShard (enhanced fan-out) through aws-sdk-kinesis: the event stream over
//! HTTP/1.1, renewal from the continuation sequence number after the five minutes (moved
//! on a manual clock), a split's ChildShards, the errors AWS gives, and the consumer metrics.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::operation::subscribe_to_shard::SubscribeToShardOutput;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{
    ShardIteratorType, StartingPosition, SubscribeToShardEvent, SubscribeToShardEventStream,
};
use kinesis_engine::{Engine, ManualClock};

use crate::harness::{Harness, code, create, message, test_config};

const WAIT: Duration = Duration::from_secs(10);

async fn manual_stack() -> (Harness, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(testkit::now_ms()));
    let engine = Engine::open_with_clock(test_config(), clock.clone()).unwrap();
    (Harness::on(engine).await, clock)
}

async fn register(c: &Client, stream_arn: &str, name: &str) -> String {
    c.register_stream_consumer()
        .stream_arn(stream_arn)
        .consumer_name(name)
        .send()
        .await
        .unwrap()
        .consumer()
        .unwrap()
        .consumer_arn()
        .to_owned()
}

fn position(kind: ShardIteratorType, seq: Option<&str>) -> StartingPosition {
    StartingPosition::builder()
        .r#type(kind)
        .set_sequence_number(seq.map(str::to_owned))
        .build()
        .unwrap()
}

async fn subscribe(
    c: &Client,
    consumer: &str,
    shard: &str,
    start: StartingPosition,
) -> SubscribeToShardOutput {
    c.subscribe_to_shard()
        .consumer_arn(consumer)
        .shard_id(shard)
        .starting_position(start)
        .send()
        .await
        .unwrap()
}

/// The next SubscribeToShardEvent, or `None` when the stream ended.
async fn next_event(out: &mut SubscribeToShardOutput) -> Option<SubscribeToShardEvent> {
    loop {
        let ev = tokio::time::timeout(WAIT, out.event_stream.recv())
            .await
            .expect("an event or the end within 10 s")
            .expect("no stream error");
        match ev {
            None => return None,
            Some(SubscribeToShardEventStream::SubscribeToShardEvent(e)) => return Some(e),
            Some(_) => continue,
        }
    }
}

/// Reads events until `n` records have come; returns their data and the last continuation.
async fn read_records(out: &mut SubscribeToShardOutput, n: usize) -> (Vec<String>, String) {
    let mut data = Vec::new();
    let mut continuation = String::new();
    while data.len() < n {
        let e = next_event(out).await.expect("the stream is still open");
        data.extend(
            e.records()
                .iter()
                .map(|r| String::from_utf8(r.data().as_ref().to_vec()).unwrap()),
        );
        continuation = e.continuation_sequence_number().to_owned();
    }
    assert_eq!(data.len(), n, "no more records than were put");
    (data, continuation)
}

async fn put(c: &Client, stream: &str, from: usize, to: usize) -> Vec<String> {
    let mut sent = Vec::new();
    for i in from..to {
        let data = format!("r{i:03}");
        c.put_record()
            .stream_name(stream)
            .partition_key(format!("k{i}"))
            .data(Blob::new(data.clone()))
            .send()
            .await
            .unwrap();
        sent.push(data);
    }
    sent
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_every_record_in_order_across_renewal_and_split() {
    let (h, clock) = manual_stack().await;
    let c = &h.kinesis;
    create(c, "efo", 1).await;
    let stream_arn = "arn:aws:kinesis:us-east-1:000000000000:stream/efo";
    let consumer = register(c, stream_arn, "app").await;
    let shard = "shardId-000000000000";

    let mut sent = put(c, "efo", 0, 5).await;
    let mut sub = subscribe(
        c,
        &consumer,
        shard,
        position(ShardIteratorType::TrimHorizon, None),
    )
    .await;
    let (mut got, _) = read_records(&mut sub, 5).await;
    // Records put while subscribed are pushed on the same stream.
    sent.extend(put(c, "efo", 5, 8).await);
    let (more, continuation) = read_records(&mut sub, 3).await;
    got.extend(more);

    // Five minutes on the engine's clock end the subscription cleanly.
    clock.advance(300_000);
    while next_event(&mut sub).await.is_some() {}

    // Renewed from the continuation number, nothing is missed or repeated.
    sent.extend(put(c, "efo", 8, 10).await);
    let mut sub = subscribe(
        c,
        &consumer,
        shard,
        position(ShardIteratorType::AfterSequenceNumber, Some(&continuation)),
    )
    .await;
    let (more, _) = read_records(&mut sub, 2).await;
    got.extend(more);
    assert_eq!(got, sent);

    // A split closes the shard: the last event lists the children, then the stream ends.
    c.split_shard()
        .stream_name("efo")
        .shard_to_split(shard)
        .new_starting_hash_key((1u128 << 127).to_string())
        .send()
        .await
        .unwrap();
    let last = loop {
        let e = next_event(&mut sub)
            .await
            .expect("the event with the child shards");
        assert!(e.records().is_empty());
        if !e.child_shards().is_empty() {
            break e;
        }
    };
    let mut children: Vec<String> = last
        .child_shards()
        .iter()
        .map(|s| s.shard_id().to_owned())
        .collect();
    children.sort();
    assert_eq!(children, ["shardId-000000000001", "shardId-000000000002"]);
    for child in last.child_shards() {
        assert_eq!(child.parent_shards(), [shard]);
    }
    assert!(next_event(&mut sub).await.is_none());

    // The children carry on from there.
    let after = put(c, "efo", 10, 30).await;
    let mut from_children = Vec::new();
    for child in &children {
        let mut sub = subscribe(
            c,
            &consumer,
            child,
            position(ShardIteratorType::TrimHorizon, None),
        )
        .await;
        let first = next_event(&mut sub).await.unwrap();
        from_children.extend(
            first
                .records()
                .iter()
                .map(|r| String::from_utf8(r.data().as_ref().to_vec()).unwrap()),
        );
    }
    from_children.sort();
    assert_eq!(from_children, after);
}

#[tokio::test(flavor = "multi_thread")]
async fn starts_at_every_position_type() {
    let (h, _clock) = manual_stack().await;
    let c = &h.kinesis;
    create(c, "pos", 1).await;
    let consumer = register(c, "arn:aws:kinesis:us-east-1:000000000000:stream/pos", "p").await;
    let shard = "shardId-000000000000";
    put(c, "pos", 0, 4).await;
    let seqs: Vec<String> = {
        let mut sub = subscribe(
            c,
            &consumer,
            shard,
            position(ShardIteratorType::TrimHorizon, None),
        )
        .await;
        let e = next_event(&mut sub).await.unwrap();
        e.records()
            .iter()
            .map(|r| r.sequence_number().to_owned())
            .collect()
    };
    assert_eq!(seqs.len(), 4);
    let first_data = |e: &SubscribeToShardEvent| {
        e.records()
            .first()
            .map(|r| String::from_utf8(r.data().as_ref().to_vec()).unwrap())
    };
    // Each new subscription within five seconds of the last is refused, so one consumer each.
    let cases = [
        (
            ShardIteratorType::AtSequenceNumber,
            Some(seqs[2].as_str()),
            Some("r002"),
        ),
        (
            ShardIteratorType::AfterSequenceNumber,
            Some(seqs[2].as_str()),
            Some("r003"),
        ),
        (ShardIteratorType::Latest, None, None),
    ];
    for (i, (kind, seq, want)) in cases.into_iter().enumerate() {
        let consumer = register(
            c,
            "arn:aws:kinesis:us-east-1:000000000000:stream/pos",
            &format!("p{i}"),
        )
        .await;
        let mut sub = subscribe(c, &consumer, shard, position(kind, seq)).await;
        let e = next_event(&mut sub).await.unwrap();
        assert_eq!(first_data(&e).as_deref(), want);
    }
    let consumer = register(c, "arn:aws:kinesis:us-east-1:000000000000:stream/pos", "ts").await;
    let at = StartingPosition::builder()
        .r#type(ShardIteratorType::AtTimestamp)
        .timestamp(aws_sdk_kinesis::primitives::DateTime::from_millis(0))
        .build()
        .unwrap();
    let mut sub = subscribe(c, &consumer, shard, at).await;
    let e = next_event(&mut sub).await.unwrap();
    assert_eq!(e.records().len(), 4);
}

async fn subscribe_err(
    c: &Client,
    consumer: &str,
    shard: &str,
    start: StartingPosition,
) -> (String, String) {
    let err = c
        .subscribe_to_shard()
        .consumer_arn(consumer)
        .shard_id(shard)
        .starting_position(start)
        .send()
        .await
        .expect_err("the subscription is refused");
    (code(&err), message(&err))
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_carry_aws_codes_and_messages() {
    let clock = Arc::new(ManualClock::new(testkit::now_ms()));
    let config = kinesis_engine::EngineConfig {
        transition_delay: Duration::from_secs(1),
        ..test_config()
    };
    let engine = Engine::open_with_clock(config, clock.clone()).unwrap();
    let h = Harness::on(engine).await;
    let c = &h.kinesis;
    c.create_stream()
        .stream_name("err")
        .shard_count(1)
        .send()
        .await
        .unwrap();
    clock.advance(1_000);
    let stream_arn = "arn:aws:kinesis:us-east-1:000000000000:stream/err";
    let shard = "shardId-000000000000";
    let horizon = || position(ShardIteratorType::TrimHorizon, None);

    // Registered but still CREATING.
    let consumer = register(c, stream_arn, "slow").await;
    let created_secs = h.server.engine().now_ms() / 1000;
    assert_eq!(
        subscribe_err(c, &consumer, shard, horizon()).await,
        (
            "ResourceInUseException".into(),
            format!(
                "Consumer slow with creation timestamp {created_secs} under stream: err , account 000000000000 is not in ACTIVE status."
            )
        )
    );
    clock.advance(1_000);

    let unknown = format!("{stream_arn}/consumer/ghost:1700000000");
    assert_eq!(
        subscribe_err(c, &unknown, shard, horizon()).await,
        (
            "ResourceNotFoundException".into(),
            format!("Consumer {unknown} under account 000000000000 not found.")
        )
    );
    let (code_, _) = subscribe_err(c, "not-an-arn", shard, horizon()).await;
    assert_eq!(code_, "ValidationException");

    assert_eq!(
        subscribe_err(c, &consumer, "shardId-000000000009", horizon()).await,
        (
            "ResourceNotFoundException".into(),
            "Shard shardId-000000000009 in stream err under account 000000000000 does not exist"
                .into()
        )
    );
    assert_eq!(
        subscribe_err(
            c,
            &consumer,
            shard,
            position(ShardIteratorType::AtSequenceNumber, None)
        )
        .await,
        (
            "InvalidArgumentException".into(),
            "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber.".into()
        )
    );
    assert_eq!(
        subscribe_err(
            c,
            &consumer,
            shard,
            position(ShardIteratorType::AfterSequenceNumber, Some("10000000000000000000000000000000000000000"))
        )
        .await,
        (
            "InvalidArgumentException".into(),
            "StartingSequenceNumber 10000000000000000000000000000000000000000 used in SubscribeToShard on shard shardId-000000000000 in stream err under account 000000000000 is invalid.".into()
        )
    );
    // A small number reads as an old-layout one, which names the shard it encodes.
    assert_eq!(
        subscribe_err(
            c,
            &consumer,
            shard,
            position(ShardIteratorType::AfterSequenceNumber, Some("123"))
        )
        .await,
        (
            "InvalidArgumentException".into(),
            "Invalid StartingSequenceNumber. It encodes shardId-000000000123, while it was used in a call to a shard with shardId-000000000000".into()
        )
    );

    // One subscription per consumer and shard: a second within five seconds is refused...
    let mut first = subscribe(c, &consumer, shard, horizon()).await;
    next_event(&mut first).await.unwrap();
    let in_use = (
        "ResourceInUseException".to_owned(),
        "Another active subscription exists for this consumer: 000000000000:err:shardId-000000000000:slow".to_owned(),
    );
    assert_eq!(subscribe_err(c, &consumer, shard, horizon()).await, in_use);
    // ...and one five seconds later takes over: the first ends with the same exception.
    clock.advance(5_000);
    let mut second = subscribe(c, &consumer, shard, horizon()).await;
    let err = loop {
        match tokio::time::timeout(WAIT, first.event_stream.recv())
            .await
            .unwrap()
        {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("the first subscription ended without an exception"),
            Err(e) => break e,
        }
    };
    assert_eq!((code(&err), message(&err)), in_use);
    assert!(next_event(&mut second).await.is_some());
}

fn consumer_stat(h: &Harness, name: &str, s: metric_store::Statistic) -> Option<f64> {
    let dims = [("StreamName", "met"), ("ConsumerName", "watcher")];
    let key = metric_store::MetricKey::new("AWS/Kinesis", name, dims).unwrap();
    let now = h.server.engine().now_ms();
    let points = h
        .server
        .metrics()
        .query(&key, now - 600_000, now + 1_000, 3600, &[s])
        .unwrap();
    let values: Vec<f64> = points.iter().filter_map(|p| p.values[0]).collect();
    (!values.is_empty()).then(|| values.iter().sum())
}

#[tokio::test(flavor = "multi_thread")]
async fn consumer_metrics_by_value() {
    use metric_store::Statistic::{Maximum, SampleCount, Sum};
    let (h, clock) = manual_stack().await;
    let c = &h.kinesis;
    create(c, "met", 1).await;
    let consumer = register(
        c,
        "arn:aws:kinesis:us-east-1:000000000000:stream/met",
        "watcher",
    )
    .await;
    let shard = "shardId-000000000000";
    // Three records of 2 + 4 bytes (partition key and data) put 1.5 s before the read.
    for i in 0..3 {
        c.put_record()
            .stream_name("met")
            .partition_key(format!("k{i}"))
            .data(Blob::new("data"))
            .send()
            .await
            .unwrap();
    }
    clock.advance(1_500);
    let mut sub = subscribe(
        c,
        &consumer,
        shard,
        position(ShardIteratorType::TrimHorizon, None),
    )
    .await;
    let e = next_event(&mut sub).await.unwrap();
    assert_eq!(e.records().len(), 3);
    assert_eq!(e.millis_behind_latest(), 0, "caught up after the read");
    let refused = c
        .subscribe_to_shard()
        .consumer_arn(&consumer)
        .shard_id(shard)
        .starting_position(position(ShardIteratorType::Latest, None))
        .send()
        .await;
    assert!(refused.is_err());
    drop(sub);

    assert_eq!(
        consumer_stat(&h, "SubscribeToShard.Success", Sum),
        Some(1.0)
    );
    assert_eq!(
        consumer_stat(&h, "SubscribeToShard.Success", SampleCount),
        Some(2.0)
    );
    assert_eq!(
        consumer_stat(&h, "SubscribeToShard.RateExceeded", Sum),
        Some(1.0)
    );
    assert_eq!(
        consumer_stat(&h, "SubscribeToShardEvent.Records", Sum),
        Some(3.0)
    );
    assert_eq!(
        consumer_stat(&h, "SubscribeToShardEvent.Bytes", Sum),
        Some(18.0)
    );
    assert_eq!(
        consumer_stat(&h, "SubscribeToShardEvent.Success", Sum),
        Some(1.0)
    );
    assert_eq!(
        consumer_stat(&h, "SubscribeToShardEvent.MillisBehindLatest", Maximum),
        Some(0.0)
    );
    // Enhanced fan-out reads are not GetRecords calls.
    let key =
        metric_store::MetricKey::new("AWS/Kinesis", "GetRecords.Records", [("StreamName", "met")])
            .unwrap();
    let now = h.server.engine().now_ms();
    let points = h
        .server
        .metrics()
        .query(&key, now - 600_000, now + 1_000, 3600, &[Sum])
        .unwrap();
    assert!(points.iter().all(|p| p.values[0].is_none()), "{points:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_open_subscription_does_not_hold_shutdown() {
    let (h, _clock) = manual_stack().await;
    let c = h.kinesis.clone();
    create(&c, "bye", 1).await;
    let consumer = register(&c, "arn:aws:kinesis:us-east-1:000000000000:stream/bye", "b").await;
    let mut sub = subscribe(
        &c,
        &consumer,
        "shardId-000000000000",
        position(ShardIteratorType::Latest, None),
    )
    .await;
    next_event(&mut sub).await.unwrap();
    tokio::time::timeout(WAIT, h.server.shutdown())
        .await
        .expect("shutdown within 10 s")
        .unwrap();
}
