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
