//! Engine-only: AWS's per-shard write limits and iterator expiry, which kinesalite does not
//! enforce.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kinesis_client::{Consumer, ConsumerConfig, Producer, ProducerConfig, Record};
use kinesis_engine::{Engine, ManualClock};

use crate::harness;

fn kib_records(keys: usize, per_key: usize) -> Vec<Record> {
    let mut out = Vec::new();
    for i in 0..per_key {
        for k in 0..keys {
            let mut data = format!("k{k}:{i}:").into_bytes();
            data.resize(1024, b'.');
            out.push(Record::new(format!("k{k}"), data));
        }
    }
    out
}

/// Under `--shard-limits aws` a producer that ignores the shard's budget is throttled and
/// retries until every record is in, in order; one that tracks the budget is not throttled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_under_aws_limits() {
    let t = harness::engine_with(kinesis_engine::EngineConfig {
        shard_limits: true,
        ..harness::engine_config()
    })
    .await;
    let stream = harness::unique("throttle");
    harness::create_stream(&t.client, &stream, 1).await;
    let s = format!("stream_name={stream}");

    let blind = harness::collector();
    let config = ProducerConfig {
        shard_rate_limit: false,
        linger: Duration::from_millis(5),
        metrics: Some(blind.clone()),
        ..ProducerConfig::default()
    };
    let producer = Producer::with_config(t.client.clone(), &stream, config)
        .await
        .expect("producer");
    for r in kib_records(8, 250) {
        producer.put(r).await.expect("put");
    }
    let stats = producer
        .close()
        .await
        .expect("every record delivered in the end");
    assert_eq!(stats.records_sent, 2000);
    let throttles = blind.counter(&format!("producer_throttles_total{{{s}}}"));
    assert!(throttles > 0, "a producer blind to the limits is throttled");
    assert_eq!(
        blind.counter(&format!(
            "producer_errors_total{{error_type=ProvisionedThroughputExceededException,{s}}}"
        )),
        throttles
    );
    assert_eq!(
        blind.counter(&format!("producer_records_sent_total{{{s}}}")),
        2000,
        "partly failed batches' successes are counted"
    );

    // Let the shard's budget refill, then the same load with per-shard budgets.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let careful = harness::collector();
    let config = ProducerConfig {
        linger: Duration::from_millis(5),
        metrics: Some(careful.clone()),
        ..ProducerConfig::default()
    };
    let producer = Producer::with_config(t.client.clone(), &stream, config)
        .await
        .expect("producer");
    let started = std::time::Instant::now();
    for r in kib_records(8, 250) {
        producer.put(r).await.expect("put");
    }
    let stats = producer.close().await.expect("close");
    let took = started.elapsed();
    assert_eq!(stats.records_sent, 2000);
    let careful_throttles = careful.counter(&format!("producer_throttles_total{{{s}}}"));
    assert_eq!(
        careful_throttles, 0,
        "budgets per shard keep the producer under the limit ({throttles} throttles without)"
    );
    // 2000 KiB through a 1 MiB/s shard whose bucket starts full: at least ~0.9 s.
    assert!(took >= Duration::from_millis(800), "{took:?}");

    // Both runs' records are all there, and each key's records in order.
    let cm = harness::collector();
    let mut consumer = Consumer::with_config(
        t.client.clone(),
        &stream,
        ConsumerConfig {
            min_poll_interval: Duration::from_millis(200),
            metrics: Some(cm.clone()),
            ..ConsumerConfig::default()
        },
    );
    let mut next = std::collections::HashMap::<String, usize>::new();
    let mut n = 0;
    while n < 4000 {
        let r = tokio::time::timeout(Duration::from_secs(30), consumer.next())
            .await
            .expect("in time")
            .expect("open")
            .expect("record");
        let text = String::from_utf8_lossy(&r.data).to_string();
        let mut parts = text.split(':');
        let key = parts.next().expect("key").to_string();
        let i: usize = parts.next().expect("i").parse().expect("n");
        let expect = next.entry(key).or_default();
        assert_eq!(i, *expect % 250);
        *expect += 1;
        n += 1;
    }
    consumer.close().await;
}

/// An iterator older than five minutes is refused with ExpiredIteratorException; the consumer
/// asks for a new one after the last record it read and loses nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_iterator_is_replaced() {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_millis() as u64;
    let clock = Arc::new(ManualClock::new(now_ms));
    let engine = Engine::open_with_clock(harness::engine_config(), clock.clone()).expect("engine");
    let t = harness::engine_from(engine).await;
    let stream = harness::unique("expiry");
    harness::create_stream(&t.client, &stream, 1).await;
    let producer = Producer::new(t.client.clone(), &stream)
        .await
        .expect("producer");
    for i in 0..10 {
        producer
            .put(Record::new("k", format!("k:{i}")))
            .await
            .expect("put");
    }
    producer.flush().await.expect("flush");
    let cm = harness::collector();
    let mut consumer = Consumer::with_config(
        t.client.clone(),
        &stream,
        ConsumerConfig {
            idle_poll_interval: Duration::from_millis(300),
            min_poll_interval: Duration::ZERO,
            metrics: Some(cm.clone()),
            ..ConsumerConfig::default()
        },
    );
    for i in 0..10 {
        let r = consumer.next().await.expect("open").expect("record");
        assert_eq!(r.data, format!("k:{i}"));
    }
    // The reader now holds an iterator and sleeps; age it past five minutes.
    clock.advance(6 * 60 * 1000);
    for i in 10..20 {
        producer
            .put(Record::new("k", format!("k:{i}")))
            .await
            .expect("put");
    }
    producer.close().await.expect("close");
    for i in 10..20 {
        let r = tokio::time::timeout(Duration::from_secs(20), consumer.next())
            .await
            .expect("in time")
            .expect("open")
            .expect("record");
        assert_eq!(
            r.data,
            format!("k:{i}"),
            "nothing lost or repeated across the new iterator"
        );
    }
    consumer.close().await;
    let shard = harness::shard_ids(&t.client, &stream).await.remove(0);
    assert!(cm.counter(&format!("consumer_errors_total{{error_type=ExpiredIteratorException,shard_id={shard},stream_name={stream}}}")) >= 1);
}
