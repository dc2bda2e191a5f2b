//! The pipeline's alarms end to end, on one manual clock: a stream with a function behind it
//! (reserved concurrency 1), `streamwatch alarms apply` with an SNS topic and a function as
//! actions, load above the stream's capacity. The throttling alarm goes to ALARM, its
//! notification reaches a queue through the topic and the function receives the alarm event;
//! after the load stops it returns to OK and says so the same ways.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudwatch::types::StateValue;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use aws_sdk_lambda::types::{DestinationConfig, EventSourcePosition, OnSuccess};
use kinesis_engine::{Engine, EngineConfig, ManualClock};
use serde_json::Value;
use testkit::Stack;

const ACCOUNT: &str = "000000000000";
const THROTTLE_ALARM: &str = "streamwatch-orders-write-throttled";

fn state(stack: &Stack, name: &str) -> impl std::future::Future<Output = Option<StateValue>> {
    let cw = stack.cloudwatch.clone();
    let name = name.to_owned();
    async move {
        cw.describe_alarms()
            .alarm_names(name)
            .send()
            .await
            .ok()?
            .metric_alarms()
            .first()?
            .state_value()
            .cloned()
    }
}

/// Waits (a few seconds at most) for the server's loop to put `name` in `want`.
async fn wait_for(stack: &Stack, name: &str, want: StateValue) {
    for _ in 0..100 {
        if state(stack, name).await.as_ref() == Some(&want) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{name} never reached {want:?}: {:?}",
        state(stack, name).await
    );
}

fn json(body: Option<&str>) -> Value {
    serde_json::from_str(body.unwrap_or("{}")).expect("a JSON body")
}

/// The first message of `queue` whose JSON body `wanted` accepts; the messages read before it
/// are deleted. Every alarm of the set notifies on each change, so the queues also hold
/// the other alarms' first OK.
async fn message_where(stack: &Stack, queue: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    let mut seen = Vec::new();
    for _ in 0..20 {
        let got = stack.drain(queue, 1).await;
        if got.is_empty() {
            break;
        }
        for m in got {
            let body = json(m.body());
            if wanted(&body) {
                return body;
            }
            seen.push(body);
        }
    }
    panic!("no wanted message in {queue}: {seen:#?}");
}

/// The alarm message inside an SNS envelope.
fn alarm_message(envelope: &Value) -> Value {
    serde_json::from_str(envelope["Message"].as_str().unwrap_or("{}")).unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_alarm_notifies_a_queue_through_sns_and_a_function_then_clears() {
    let now = testkit::now_ms();
    let t0 = now - now % 60_000;
    let clock = Arc::new(ManualClock::new(t0 + 1_000));
    let engine = Engine::open_with_clock(
        EngineConfig {
            shard_limits: true,
            ..testkit::engine_config()
        },
        clock.clone(),
    )
    .expect("the engine opens");
    let stack = Stack::on(engine).await;
    let kinesis = stack.kinesis_without_retries();

    // The pipeline: a one-shard stream read by a function with reserved concurrency 1.
    let stream_arn = stack.stream("orders", 1, &[]).await;
    stack.function("consumer", "").await;
    stack
        .lambda
        .put_function_concurrency()
        .function_name("consumer")
        .reserved_concurrent_executions(1)
        .send()
        .await
        .expect("reserved concurrency");
    stack
        .lambda
        .create_event_source_mapping()
        .function_name("consumer")
        .event_source_arn(&stream_arn)
        .starting_position(EventSourcePosition::TrimHorizon)
        .send()
        .await
        .expect("event source mapping");

    // Where the alarms go: a topic with a queue subscribed, and a function whose successful
    // invocations land in another queue.
    let pages = stack.queue("pages").await;
    let topic = stack
        .sns
        .create_topic()
        .name("pager")
        .send()
        .await
        .expect("topic")
        .topic_arn()
        .expect("a topic ARN")
        .to_owned();
    stack
        .sns
        .subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(format!("arn:aws:sqs:us-east-1:{ACCOUNT}:pages"))
        .send()
        .await
        .expect("subscribe the queue");
    let handled = stack.queue("handled").await;
    stack
        .deploy("on-call", "echo_function", &[("MODE", "")])
        .await;
    stack
        .lambda
        .put_function_event_invoke_config()
        .function_name("on-call")
        .maximum_retry_attempts(0)
        .destination_config(
            DestinationConfig::builder()
                .on_success(
                    OnSuccess::builder()
                        .destination(format!("arn:aws:sqs:us-east-1:{ACCOUNT}:handled"))
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("event invoke config");
    let on_call = format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:on-call");

    // The recommended set, through the real binary.
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args([
            "alarms",
            "apply",
            "--stream",
            "orders",
            "--function",
            "consumer",
        ])
        .args(["--sns-topic", &topic, "--sns-topic", &on_call])
        .args(["--endpoint", &stack.endpoint()])
        .env("AWS_REGION", "us-east-1")
        .output()
        .expect("streamwatch runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let applied = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        applied.lines().filter(|l| l.starts_with("created")).count(),
        6,
        "{applied}"
    );

    // Load above capacity: 3 x 500 records in one second of a 1,000 records/s shard.
    let mut throttled = 0;
    for call in 0..3 {
        let entries: Vec<PutRecordsRequestEntry> = (0..500)
            .map(|i| {
                PutRecordsRequestEntry::builder()
                    .partition_key(format!("k{call}-{i}"))
                    .data(Blob::new(b"x".to_vec()))
                    .build()
                    .expect("an entry")
            })
            .collect();
        let put = kinesis
            .put_records()
            .stream_name("orders")
            .set_records(Some(entries))
            .send()
            .await
            .expect("put records");
        throttled += put.failed_record_count().unwrap_or_default();
    }
    assert!(throttled > 0, "the shard throttles above 1,000 records/s");

    // The minute ends: the throttling alarm fires and both actions run.
    clock.set(t0 + 60_000);
    wait_for(&stack, THROTTLE_ALARM, StateValue::Alarm).await;
    let is_throttle = |state: &'static str| {
        move |envelope: &Value| {
            let m = alarm_message(envelope);
            m["AlarmName"] == THROTTLE_ALARM && m["NewStateValue"] == state
        }
    };
    let envelope = message_where(&stack, &pages, is_throttle("ALARM")).await;
    assert_eq!(envelope["Type"], "Notification");
    assert_eq!(envelope["TopicArn"], topic.as_str());
    assert_eq!(
        envelope["Subject"],
        format!("ALARM: \"{THROTTLE_ALARM}\" in US East (N. Virginia)")
    );
    let alarm = alarm_message(&envelope);
    assert_eq!(alarm["OldStateValue"], "INSUFFICIENT_DATA");
    assert_eq!(
        alarm["Trigger"]["MetricName"],
        "WriteProvisionedThroughputExceeded"
    );
    let is_event = |state: &'static str| {
        move |body: &Value| {
            let data = &body["requestPayload"]["alarmData"];
            data["alarmName"] == THROTTLE_ALARM && data["state"]["value"] == state
        }
    };
    let event = message_where(&stack, &handled, is_event("ALARM")).await;
    assert_eq!(event["requestPayload"]["source"], "aws.cloudwatch");

    // No more load. As on CloudWatch, the alarm keeps judging by the newest real datapoint in
    // its evaluation range (here 3 periods: N + 2) while there is one, so it returns to OK
    // once the throttled minute has left the range.
    clock.set(t0 + 240_000);
    wait_for(&stack, THROTTLE_ALARM, StateValue::Ok).await;
    let cleared = message_where(&stack, &pages, is_throttle("OK")).await;
    assert_eq!(alarm_message(&cleared)["OldStateValue"], "ALARM");
    message_where(&stack, &handled, is_event("OK")).await;

    // `alarms list` shows where each alarm stands.
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["alarms", "list", "--endpoint", &stack.endpoint()])
        .env("AWS_REGION", "us-east-1")
        .output()
        .expect("streamwatch runs");
    let listing = String::from_utf8_lossy(&out.stdout);
    let line = listing
        .lines()
        .find(|l| l.starts_with(THROTTLE_ALARM))
        .unwrap_or_else(|| panic!("{listing}"));
    assert!(line.contains(" OK "), "{listing}");
}
