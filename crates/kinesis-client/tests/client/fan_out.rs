//! The consumer in enhanced fan-out mode against the embedded engine (kinesalite serves no
//! SubscribeToShard): its stream consumer registered, records in order across a split and a
//! restart from checkpoints, read with SubscribeToShard and never with GetRecords.

use std::sync::Arc;

use aws_sdk_kinesis::types::ConsumerStatus;
use kinesis_client::ReadMode;
use kinesis_client::checkpoint::MemoryCheckpointer;
use metric_store::Statistic;

use crate::harness;

fn fan_out(name: &str) -> ReadMode {
    ReadMode::FanOut {
        consumer_name: name.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_reads_in_order_across_a_split_with_subscriptions_only() {
    let t = harness::engine().await;
    let server = t.server.as_ref().expect("engine");
    let endpoint = server.endpoint();
    let stream = crate::resharding_reading(&t, false, fan_out("app")).await;
    let client = harness::client(&endpoint);
    let arn = client
        .describe_stream_summary()
        .stream_name(&stream)
        .send()
        .await
        .expect("summary")
        .stream_description_summary()
        .expect("summary")
        .stream_arn()
        .to_string();
    let consumers = client
        .list_stream_consumers()
        .stream_arn(&arn)
        .send()
        .await
        .expect("consumers");
    let consumers = consumers.consumers();
    assert_eq!(consumers.len(), 1, "{consumers:?}");
    assert_eq!(consumers[0].consumer_name(), "app");
    assert_eq!(consumers[0].consumer_status(), &ConsumerStatus::Active);

    let sum = |metric: &str, dims: &[(&str, &str)]| {
        testkit::stat(
            server.metrics(),
            "AWS/Kinesis",
            metric,
            dims,
            Statistic::Sum,
        )
    };
    let by_consumer = [("StreamName", stream.as_str()), ("ConsumerName", "app")];
    assert_eq!(
        sum("SubscribeToShardEvent.Records", &by_consumer),
        2000.0,
        "every record came in a SubscribeToShard event"
    );
    assert_eq!(
        sum("GetRecords.Records", &[("StreamName", &stream)]),
        0.0,
        "no GetRecords call was made"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_resumes_after_its_checkpoints() {
    let t = harness::engine().await;
    let stream = harness::unique("fan-restart");
    crate::restart_reading(
        t,
        &stream,
        Arc::new(MemoryCheckpointer::new()),
        fan_out("app"),
    )
    .await;
}

/// A subscription ends after five minutes of the engine's clock; the consumer renews it
/// after the last record it delivered, so nothing is lost or repeated across the renewal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_renews_its_subscriptions_after_five_minutes() {
    use kinesis_client::{Consumer, ConsumerConfig, Producer, Record};
    use kinesis_engine::{Engine, ManualClock};

    // Started at the wall clock's now, so the store's ten-minute windows hold the metrics.
    let clock = ManualClock::new(testkit::now_ms());
    let engine = Engine::open_with_clock(harness::engine_config(), Arc::new(clock.clone()))
        .expect("engine opens");
    let t = harness::engine_from(engine).await;
    let server = t.server.as_ref().expect("engine");
    let stream = harness::unique("fan-renew");
    harness::create_stream(&t.client, &stream, 1).await;
    let producer = Producer::new(t.client.clone(), &stream)
        .await
        .expect("producer");
    let put = |from: usize| {
        let producer = &producer;
        async move {
            for i in from..from + 50 {
                producer
                    .put(Record::new("k", format!("{i}")))
                    .await
                    .expect("put");
            }
            producer.flush().await.expect("flush");
        }
    };
    let config = ConsumerConfig {
        read_mode: fan_out("renewing"),
        ..ConsumerConfig::default()
    };
    let mut consumer = Consumer::with_config(t.client.clone(), &stream, config);
    put(0).await;
    let mut got = read_numbers(&mut consumer, 50).await;
    clock.advance(300_000);
    put(50).await;
    got.extend(read_numbers(&mut consumer, 50).await);
    consumer.close().await;
    assert_eq!(
        got,
        (0..100).collect::<Vec<_>>(),
        "each record once, in order"
    );
    // Over the engine clock's last ten minutes, which hold both subscriptions.
    let key = metric_store::MetricKey::new(
        "AWS/Kinesis",
        "SubscribeToShard.Success",
        [
            ("StreamName", stream.as_str()),
            ("ConsumerName", "renewing"),
        ],
    )
    .expect("a metric key");
    let now = server.metrics().now_ms();
    let subscribed: f64 = server
        .metrics()
        .query(&key, now - 600_000, now + 60_000, 60, &[Statistic::Sum])
        .expect("a query")
        .iter()
        .filter_map(|d| d.values[0])
        .sum();
    assert!(
        subscribed >= 2.0,
        "subscribed {subscribed} times: renewed after five minutes"
    );
}

/// The next `n` records' data, read as numbers.
async fn read_numbers(consumer: &mut kinesis_client::Consumer, n: usize) -> Vec<usize> {
    use futures::StreamExt;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut out = Vec::new();
    for _ in 0..n {
        let record = tokio::time::timeout_at(deadline, consumer.next())
            .await
            .expect("a record in time")
            .expect("not ended")
            .expect("a record");
        let text = std::str::from_utf8(&record.data).expect("utf8");
        out.push(text.parse().expect("a number"));
    }
    out
}
