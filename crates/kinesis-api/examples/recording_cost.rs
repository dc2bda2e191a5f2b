//! Runs N PutRecords (500 x 1 KiB) and N GetRecords (10,000) calls through `KinesisApi::handle`,
//! with or without metrics, for counting instructions under
//! `valgrind --tool=callgrind`: the difference between the two runs is what recording costs,
//! free of the page-fault and scheduling noise that wall-clock timings carry.
//!
//! `cargo run --release -p kinesis-api --example recording_cost -- <on|off> <calls>`

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use kinesis_api::{KinesisApi, KinesisMetrics, Request};
use kinesis_engine::{Engine, EngineConfig};
use metric_store::Store;

fn request<'a>(target: &'a str, body: &'a [u8]) -> Request<'a> {
    Request {
        target: Some(target),
        content_type: Some("application/x-amz-json-1.1"),
        authenticated: true,
        incomplete_signature: None,
        body,
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let with_metrics = args.next().as_deref() == Some("on");
    let calls: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100);
    let engine = Engine::open(EngineConfig {
        shard_limits: false,
        transition_delay: Duration::ZERO,
        ..EngineConfig::default()
    })
    .expect("engine");
    let api = if with_metrics {
        KinesisApi::with_metrics(
            engine,
            Arc::new(KinesisMetrics::new(Arc::new(Store::new()))),
        )
    } else {
        KinesisApi::new(engine)
    };
    api.handle(&request(
        "Kinesis_20131202.CreateStream",
        br#"{"StreamName":"b","ShardCount":4}"#,
    ));
    let data = base64::engine::general_purpose::STANDARD.encode(vec![7u8; 1024]);
    let records: Vec<String> = (0..500)
        .map(|i| format!(r#"{{"PartitionKey":"key-{i:05}","Data":"{data}"}}"#))
        .collect();
    let body = format!(r#"{{"StreamName":"b","Records":[{}]}}"#, records.join(",")).into_bytes();
    for _ in 0..calls {
        assert_eq!(
            api.handle(&request("Kinesis_20131202.PutRecords", &body))
                .status,
            200
        );
    }
    let it = api.handle(&request(
        "Kinesis_20131202.GetShardIterator",
        br#"{"StreamName":"b","ShardId":"shardId-000000000000","ShardIteratorType":"TRIM_HORIZON"}"#,
    ));
    let it: serde_json::Value = serde_json::from_slice(&it.body).expect("json");
    let get = format!(
        r#"{{"ShardIterator":"{}","Limit":10000}}"#,
        it["ShardIterator"].as_str().unwrap_or("")
    );
    for _ in 0..calls / 10 {
        assert_eq!(
            api.handle(&request("Kinesis_20131202.GetRecords", get.as_bytes()))
                .status,
            200
        );
    }
}
