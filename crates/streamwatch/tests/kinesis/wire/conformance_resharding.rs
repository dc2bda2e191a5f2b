//! Issue 19 item 3: stream states as AWS shows them, over JSON 1.1 on a manual clock. While
//! CREATING and DELETING DescribeStream lists no shards; while UPDATING after SplitShard the
//! old layout stays (DescribeStream and ListShards show the parent open, puts go to it) until
//! the update completes.

use std::sync::Arc;
use std::time::Duration;

use kinesis_engine::{EngineConfig, ManualClock};
use serde_json::json;

use super::*;

async fn describe(addr: SocketAddr) -> J {
    let resp = call(addr, "DescribeStream", &json!({"StreamName": "states"})).await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    resp.json()["StreamDescription"].clone()
}

async fn listed(addr: SocketAddr) -> usize {
    let resp = call(addr, "ListShards", &json!({"StreamName": "states"})).await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    resp.json()["Shards"].as_array().map_or(0, Vec::len)
}

async fn put_top(addr: SocketAddr) -> String {
    let resp = call(
        addr,
        "PutRecord",
        &json!({"StreamName": "states", "PartitionKey": "k", "Data": "eA==",
                "ExplicitHashKey": u128::MAX.to_string()}),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    resp.json()["ShardId"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn describe_and_puts_follow_the_stream_states() {
    let clock = ManualClock::new(1_700_000_000_000);
    let engine = Engine::open_with_clock(
        EngineConfig {
            transition_delay: Duration::from_secs(10),
            ..testkit::engine_config()
        },
        Arc::new(clock.clone()),
    )
    .expect("engine opens");
    let server = testkit::server_on(engine).await;
    let addr = server.addr();
    let created = call(
        addr,
        "CreateStream",
        &json!({"StreamName": "states", "ShardCount": 1}),
    )
    .await;
    assert_eq!(created.status, 200);
    let d = describe(addr).await;
    assert_eq!(d["StreamStatus"], "CREATING");
    assert_eq!(d["Shards"], json!([]));

    clock.advance(10_000);
    assert_eq!(describe(addr).await["StreamStatus"], "ACTIVE");
    let split = call(
        addr,
        "SplitShard",
        &json!({"StreamName": "states", "ShardToSplit": "shardId-000000000000",
                "NewStartingHashKey": (1u128 << 127).to_string()}),
    )
    .await;
    assert_eq!(split.status, 200);
    let d = describe(addr).await;
    assert_eq!(d["StreamStatus"], "UPDATING");
    let shards = d["Shards"].as_array().cloned().unwrap_or_default();
    assert_eq!(shards.len(), 1, "{shards:?}");
    assert!(shards[0]["SequenceNumberRange"]["EndingSequenceNumber"].is_null());
    assert_eq!(listed(addr).await, 1);
    assert_eq!(put_top(addr).await, "shardId-000000000000");

    clock.advance(10_000);
    let d = describe(addr).await;
    assert_eq!(d["StreamStatus"], "ACTIVE");
    assert_eq!(d["Shards"].as_array().map_or(0, Vec::len), 3);
    assert_eq!(listed(addr).await, 3);
    assert_eq!(put_top(addr).await, "shardId-000000000002");

    let deleted = call(addr, "DeleteStream", &json!({"StreamName": "states"})).await;
    assert_eq!(deleted.status, 200);
    let d = describe(addr).await;
    assert_eq!(d["StreamStatus"], "DELETING");
    assert_eq!(d["Shards"], json!([]));
}
