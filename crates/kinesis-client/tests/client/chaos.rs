//! Chaos: the producer and the consumer against the engine with faults injected (1% of
//! PutRecords records failed with InternalFailure, 5% of GetRecords calls answered 500
//! InternalFailure), through SDK clients that do not retry, so every fault reaches the
//! client's own retries. Every record still arrives, at least once and in order per key.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::StreamExt;
use kinesis_client::{Consumer, Producer};

use super::{consumer_config, harness, producer_config, records, sum_of};

const KEYS: usize = 20;
const PER_KEY: usize = 150;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_arrives_in_order_under_injected_faults() {
    let t = harness::engine().await;
    let server = t.server.as_ref().expect("the engine's server");
    let endpoint = server.endpoint();
    let client = testkit::kinesis_client_without_retries(&endpoint);
    let stream = harness::unique("chaos");
    harness::create_stream(&client, &stream, 4).await;
    server.faults().reseed(17);
    server.faults().replace(
        [
            "kinesis:PutRecords:record-failure=InternalFailure@1%",
            "kinesis:GetRecords:error=InternalFailure@5%",
        ]
        .iter()
        .map(|r| fault_injection::Rule::parse(r).expect("rule"))
        .collect(),
    );

    let pm = harness::collector();
    let producer = Producer::with_config(client.clone(), &stream, producer_config(&pm))
        .await
        .expect("producer");
    for r in records(KEYS, PER_KEY, 40) {
        producer.put(r).await.expect("put");
    }
    producer.flush().await.expect("flush gives up nothing");
    let stats = producer.close().await.expect("close");
    let total = (KEYS * PER_KEY) as u64;
    assert_eq!(stats.records_sent, total);
    let retried = sum_of(&pm, "producer_errors_total");
    assert!(
        retried > 0,
        "some records failed on purpose and were retried"
    );

    let cm = harness::collector();
    // Small reads, so the consumer makes well over a hundred GetRecords calls.
    let config = kinesis_client::ConsumerConfig {
        records_per_call: 25,
        ..consumer_config(&cm)
    };
    let mut consumer = Consumer::with_config(client.clone(), &stream, config);
    // At least once: a record may come twice; a new one must be the next of its key.
    let mut next: HashMap<String, usize> = HashMap::new();
    let mut seen = HashSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while seen.len() < KEYS * PER_KEY {
        let record = tokio::time::timeout_at(deadline, consumer.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {total} records arrived", seen.len()))
            .expect("stream ended")
            .expect("record");
        let text = std::str::from_utf8(&record.data).expect("utf8");
        let mut parts = text.split(':');
        let key = parts.next().expect("key").to_owned();
        let index: usize = parts.next().expect("index").parse().expect("number");
        assert_eq!(record.partition_key, key);
        if seen.insert((key.clone(), index)) {
            let expected = next.entry(key.clone()).or_default();
            assert_eq!(
                index, *expected,
                "key {key}: new record {index} out of order"
            );
            *expected += 1;
        }
    }
    consumer.close().await;
    assert!(next.values().all(|n| *n == PER_KEY), "{next:?}");
    assert!(
        sum_of(&cm, "consumer_errors_total") > 0,
        "the consumer met injected GetRecords errors: {:?}",
        cm.keys()
    );

    // The engine counted what it injected, and the stream's metrics agree.
    let injected: HashMap<(String, String), u64> = server
        .faults()
        .injected()
        .into_iter()
        .map(|f| ((f.action, f.kind.to_owned()), f.count))
        .collect();
    let failed_records = injected[&("PutRecords".to_owned(), "record_failure".to_owned())];
    eprintln!(
        "chaos: {failed_records} records failed on purpose, {} GetRecords errors, {} consumer errors seen",
        injected[&("GetRecords".to_owned(), "error".to_owned())],
        sum_of(&cm, "consumer_errors_total")
    );
    assert!(failed_records > 0);
    assert!(injected[&("GetRecords".to_owned(), "error".to_owned())] > 0);
    assert_eq!(
        failed_records, retried,
        "the producer retried exactly the records that failed"
    );
    let failed_metric = testkit::stat(
        server.metrics(),
        "AWS/Kinesis",
        "PutRecords.FailedRecords",
        &[("StreamName", &stream)],
        metric_store::Statistic::Sum,
    );
    assert_eq!(failed_metric, failed_records as f64);
    let stored = testkit::stat(
        server.metrics(),
        "AWS/Kinesis",
        "PutRecords.SuccessfulRecords",
        &[("StreamName", &stream)],
        metric_store::Statistic::Sum,
    );
    assert_eq!(stored, total as f64, "failed records were not stored");
}
