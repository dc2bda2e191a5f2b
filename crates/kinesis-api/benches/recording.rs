//! What recording the AWS/Kinesis metrics costs: PutRecords (500 x 1 KiB) and GetRecords
//! (10,000 records) through `KinesisApi::handle`, with and without metrics, in one run.
//!
//! `cargo bench -p kinesis-api --bench recording`; the overhead is the ratio of the two
//! throughputs of each pair.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kinesis_api::{KinesisApi, KinesisMetrics, Request};
use kinesis_engine::{Engine, EngineConfig};
use metric_store::Store;

const RECORDS: usize = 500;

fn engine() -> Engine {
    Engine::open(EngineConfig {
        shard_limits: false,
        transition_delay: Duration::ZERO,
        ..EngineConfig::default()
    })
    .expect("engine")
}

fn request<'a>(target: &'a str, body: &'a [u8]) -> Request<'a> {
    Request {
        target: Some(target),
        content_type: Some("application/x-amz-json-1.1"),
        authenticated: true,
        incomplete_signature: None,
        body,
    }
}

fn put_body() -> Vec<u8> {
    let data = base64::engine::general_purpose::STANDARD.encode(vec![7u8; 1024]);
    let records: Vec<String> = (0..RECORDS)
        .map(|i| format!(r#"{{"PartitionKey":"key-{i:05}","Data":"{data}"}}"#))
        .collect();
    format!(
        r#"{{"StreamName":"bench","Records":[{}]}}"#,
        records.join(",")
    )
    .into_bytes()
}

fn apis() -> [(&'static str, KinesisApi); 2] {
    let plain = KinesisApi::new(engine());
    let metrics = Arc::new(KinesisMetrics::new(Arc::new(Store::new())));
    let measured = KinesisApi::with_metrics(engine(), metrics);
    [("without metrics", plain), ("with metrics", measured)]
}

fn put_records(c: &mut Criterion) {
    let body = put_body();
    let mut group = c.benchmark_group("PutRecords 500 x 1 KiB");
    group.throughput(Throughput::Elements(RECORDS as u64));
    for (name, api) in apis() {
        let create = br#"{"StreamName":"bench","ShardCount":4}"#;
        assert_eq!(
            api.handle(&request("Kinesis_20131202.CreateStream", create))
                .status,
            200
        );
        group.bench_function(name, |b| {
            b.iter(|| {
                let out = api.handle(&request("Kinesis_20131202.PutRecords", &body));
                assert_eq!(out.status, 200);
            })
        });
        // Keep memory flat between runs: the records are not what is measured.
        let _ = api.handle(&request(
            "Kinesis_20131202.DeleteStream",
            br#"{"StreamName":"bench"}"#,
        ));
    }
    group.finish();
}

fn get_records(c: &mut Criterion) {
    let body = put_body();
    let mut group = c.benchmark_group("GetRecords 10,000 x 1 KiB");
    group.throughput(Throughput::Elements(10_000));
    for (name, api) in apis() {
        let create = br#"{"StreamName":"bench","ShardCount":1}"#;
        assert_eq!(
            api.handle(&request("Kinesis_20131202.CreateStream", create))
                .status,
            200
        );
        for _ in 0..20 {
            api.handle(&request("Kinesis_20131202.PutRecords", &body));
        }
        let it = api.handle(&request(
            "Kinesis_20131202.GetShardIterator",
            br#"{"StreamName":"bench","ShardId":"shardId-000000000000","ShardIteratorType":"TRIM_HORIZON"}"#,
        ));
        let it: serde_json::Value = serde_json::from_slice(&it.body).expect("json");
        let get = format!(
            r#"{{"ShardIterator":"{}","Limit":10000}}"#,
            it["ShardIterator"].as_str().unwrap_or("")
        );
        group.bench_function(name, |b| {
            b.iter(|| {
                let out = api.handle(&request("Kinesis_20131202.GetRecords", get.as_bytes()));
                assert_eq!(out.status, 200);
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = put_records, get_records
}
criterion_main!(benches);
