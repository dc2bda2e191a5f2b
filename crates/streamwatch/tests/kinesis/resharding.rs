//! SplitShard, MergeShards, UpdateShardCount and ListShards through the SDK.

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{ScalingType, ShardFilter, ShardFilterType, ShardIteratorType};

use crate::harness::{code, create, message, start};

/// Reads a shard from TRIM_HORIZON to its end; returns data and the child shard ids.
async fn drain(c: &Client, stream: &str, shard: &str) -> (Vec<Vec<u8>>, Vec<String>) {
    let mut it = c
        .get_shard_iterator()
        .stream_name(stream)
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap()
        .shard_iterator()
        .map(str::to_owned);
    let mut data = Vec::new();
    for _ in 0..10 {
        let Some(i) = it else { break };
        let r = c.get_records().shard_iterator(i).send().await.unwrap();
        data.extend(r.records().iter().map(|r| r.data().as_ref().to_vec()));
        if r.next_shard_iterator().is_none() {
            let children = r
                .child_shards()
                .iter()
                .map(|c| c.shard_id().to_owned())
                .collect();
            return (data, children);
        }
        if r.records().is_empty() {
            break;
        }
        it = r.next_shard_iterator().map(str::to_owned);
    }
    (data, Vec::new())
}

#[tokio::test(flavor = "multi_thread")]
async fn split_then_read_parent_before_children() {
    let h = start().await;
    let c = &h.kinesis;
    create(c, "split", 1).await;
    let before = c
        .put_record()
        .stream_name("split")
        .partition_key("k")
        .data(Blob::new("before"))
        .send()
        .await
        .unwrap();
    let mid = (1u128 << 127).to_string();
    c.split_shard()
        .stream_name("split")
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key(&mid)
        .send()
        .await
        .unwrap();
    let after = c
        .put_record()
        .stream_name("split")
        .partition_key("k")
        .data(Blob::new("after"))
        .send()
        .await
        .unwrap();
    assert_ne!(after.shard_id(), "shardId-000000000000");
    assert!(
        after.sequence_number() > before.sequence_number(),
        "child numbers sort after the parent's"
    );

    let (data, children) = drain(c, "split", "shardId-000000000000").await;
    assert_eq!(data, vec![b"before".to_vec()]);
    assert_eq!(children, ["shardId-000000000001", "shardId-000000000002"]);

    let d = c
        .describe_stream()
        .stream_name("split")
        .send()
        .await
        .unwrap();
    let shards = d.stream_description().unwrap().shards();
    assert!(
        shards[0]
            .sequence_number_range()
            .unwrap()
            .ending_sequence_number()
            .is_some()
    );
    assert_eq!(shards[1].parent_shard_id(), Some("shardId-000000000000"));
    assert_eq!(shards[2].hash_key_range().unwrap().starting_hash_key(), mid);

    let err = c
        .split_shard()
        .stream_name("split")
        .shard_to_split("shardId-000000000001")
        .new_starting_hash_key("1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
    assert!(
        message(&err).contains("is not both greater than one plus the shard's StartingHashKey 0")
    );
    let err = c
        .split_shard()
        .stream_name("split")
        .shard_to_split("shardId-000000000009")
        .new_starting_hash_key("100")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    assert_eq!(
        message(&err),
        "Could not find shard shardId-000000000009 in stream split under account 000000000000."
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn merge_and_list_shards_filters() {
    let h = start().await;
    let c = &h.kinesis;
    create(c, "merge", 3).await;
    let err = c
        .merge_shards()
        .stream_name("merge")
        .shard_to_merge("shardId-000000000000")
        .adjacent_shard_to_merge("shardId-000000000002")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
    c.merge_shards()
        .stream_name("merge")
        .shard_to_merge("shardId-000000000000")
        .adjacent_shard_to_merge("shardId-000000000001")
        .send()
        .await
        .unwrap();
    let all = c.list_shards().stream_name("merge").send().await.unwrap();
    assert_eq!(all.shards().len(), 4);
    let merged = &all.shards()[3];
    assert_eq!(merged.parent_shard_id(), Some("shardId-000000000000"));
    assert_eq!(
        merged.adjacent_parent_shard_id(),
        Some("shardId-000000000001")
    );
    let open = c
        .list_shards()
        .stream_name("merge")
        .shard_filter(
            ShardFilter::builder()
                .r#type(ShardFilterType::AtLatest)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = open.shards().iter().map(|s| s.shard_id()).collect();
    assert_eq!(ids, ["shardId-000000000002", "shardId-000000000003"]);
    let after = c
        .list_shards()
        .stream_name("merge")
        .shard_filter(
            ShardFilter::builder()
                .r#type(ShardFilterType::AfterShardId)
                .shard_id("shardId-000000000001")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(after.shards().len(), 2);
    let horizon = c
        .list_shards()
        .stream_name("merge")
        .shard_filter(
            ShardFilter::builder()
                .r#type(ShardFilterType::AtTrimHorizon)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        horizon.shards().len(),
        3,
        "the shards open at the trim horizon are the original three"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_shards_pages() {
    let h = start().await;
    let c = &h.kinesis;
    create(c, "pages", 5).await;
    let first = c
        .list_shards()
        .stream_name("pages")
        .max_results(2)
        .send()
        .await
        .unwrap();
    assert_eq!(first.shards().len(), 2);
    let token = first.next_token().unwrap().to_owned();
    let err = c
        .list_shards()
        .stream_name("pages")
        .next_token(&token)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "NextToken and StreamName cannot be provided together."
    );
    let second = c
        .list_shards()
        .next_token(&token)
        .max_results(2)
        .send()
        .await
        .unwrap();
    assert_eq!(second.shards()[0].shard_id(), "shardId-000000000002");
    let third = c
        .list_shards()
        .next_token(second.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(third.shards().len(), 1);
    assert!(third.next_token().is_none());
    let start = c
        .list_shards()
        .stream_name("pages")
        .exclusive_start_shard_id("shardId-000000000003")
        .send()
        .await
        .unwrap();
    assert_eq!(start.shards().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn update_shard_count_reshards_uniformly() {
    let h = start().await;
    let c = &h.kinesis;
    create(c, "scale", 2).await;
    for i in 0..20 {
        c.put_record()
            .stream_name("scale")
            .partition_key(format!("k{i}"))
            .data(Blob::new(format!("{i}")))
            .send()
            .await
            .unwrap();
    }
    let out = c
        .update_shard_count()
        .stream_name("scale")
        .target_shard_count(3)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (out.current_shard_count(), out.target_shard_count()),
        (Some(2), Some(3))
    );
    let summary = c
        .describe_stream_summary()
        .stream_name("scale")
        .send()
        .await
        .unwrap();
    assert_eq!(
        summary
            .stream_description_summary()
            .unwrap()
            .open_shard_count(),
        3
    );
    let open = c
        .list_shards()
        .stream_name("scale")
        .shard_filter(
            ShardFilter::builder()
                .r#type(ShardFilterType::AtLatest)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let mut starts: Vec<u128> = open
        .shards()
        .iter()
        .map(|s| {
            s.hash_key_range()
                .unwrap()
                .starting_hash_key()
                .parse()
                .unwrap()
        })
        .collect();
    starts.sort();
    let expected: Vec<u128> = kinesis_engine::HashRange::split_evenly(3)
        .iter()
        .map(|r| r.start)
        .collect();
    assert_eq!(starts, expected);
    // Every old record is still readable from the closed parents.
    let mut seen = 0;
    for shard in ["shardId-000000000000", "shardId-000000000001"] {
        seen += drain(c, "scale", shard).await.0.len();
    }
    assert_eq!(seen, 20);
    let err = c
        .update_shard_count()
        .stream_name("scale")
        .target_shard_count(7)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "LimitExceededException");
}
