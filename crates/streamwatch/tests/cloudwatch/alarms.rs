//! CloudWatch alarms through aws-sdk-cloudwatch (RPC v2 CBOR) on a server whose engine, metric
//! store and alarms share one manual clock: every operation, the error paths, and an alarm
//! evaluated by the server's own loop that invokes a function with the alarm event.
//!
//! The evaluation rules case by case are alarm-engine's tests; here the clock is moved past a
//! period boundary and the server's loop (which looks once a second) is given a moment.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudwatch::operation::put_metric_alarm::builders::PutMetricAlarmFluentBuilder;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{
    AlarmType, ComparisonOperator, Dimension, HistoryItemType, Metric, MetricDataQuery,
    MetricDatum, MetricStat, StateValue, Statistic, Tag,
};
use aws_sdk_lambda::types::{DestinationConfig, OnSuccess};
use kinesis_engine::{Engine, ManualClock};
use serde_json::Value;
use testkit::{Stack, code, message};

/// A minute boundary a little in the past, so PutMetricData's timestamps are recent.
fn start_ms() -> u64 {
    let now = testkit::now_ms();
    now - now % 60_000 - 120_000
}

async fn stack_on(clock: &Arc<ManualClock>) -> Stack {
    let engine =
        Engine::open_with_clock(testkit::engine_config(), clock.clone()).expect("the engine opens");
    Stack::on(engine).await
}

fn timestamp(ms: u64) -> DateTime {
    DateTime::from_millis(ms as i64)
}

async fn put(stack: &Stack, name: &str, at_ms: u64, value: f64) {
    stack
        .cloudwatch
        .put_metric_data()
        .namespace("Shop")
        .metric_data(
            MetricDatum::builder()
                .metric_name(name)
                .dimensions(Dimension::builder().name("Queue").value("orders").build())
                .timestamp(timestamp(at_ms))
                .value(value)
                .build(),
        )
        .send()
        .await
        .expect("put metric data");
}

fn errors_alarm(stack: &Stack, name: &str) -> PutMetricAlarmFluentBuilder {
    stack
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(name)
        .namespace("Shop")
        .metric_name("Errors")
        .dimensions(Dimension::builder().name("Queue").value("orders").build())
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(5.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
}

async fn state_of(stack: &Stack, name: &str) -> (StateValue, String) {
    let out = stack
        .cloudwatch
        .describe_alarms()
        .alarm_names(name)
        .alarm_types(AlarmType::MetricAlarm)
        .alarm_types(AlarmType::CompositeAlarm)
        .send()
        .await
        .expect("describe alarms");
    let (state, reason) = match (out.metric_alarms().first(), out.composite_alarms().first()) {
        (Some(a), _) => (a.state_value().cloned(), a.state_reason()),
        (None, Some(c)) => (c.state_value().cloned(), c.state_reason()),
        (None, None) => panic!("no alarm {name}"),
    };
    (
        state.expect("a state"),
        reason.unwrap_or_default().to_owned(),
    )
}

/// Waits (a few seconds at most) for the server's loop to put `name` in `want`.
async fn wait_for(stack: &Stack, name: &str, want: StateValue) -> String {
    for _ in 0..100 {
        let (state, reason) = state_of(stack, name).await;
        if state == want {
            return reason;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{name} never reached {want:?}: {:?}",
        state_of(stack, name).await
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn alarms_round_trip_through_every_operation() {
    let clock = Arc::new(ManualClock::new(start_ms()));
    let stack = stack_on(&clock).await;
    let cw = &stack.cloudwatch;
    errors_alarm(&stack, "errors-high")
        .alarm_description("more than 5 errors a minute")
        .alarm_actions("arn:aws:lambda:us-east-1:000000000000:function:pager")
        .tags(Tag::builder().key("team").value("payments").build())
        .send()
        .await
        .expect("put metric alarm");
    let out = cw
        .describe_alarms()
        .alarm_name_prefix("errors")
        .send()
        .await
        .expect("describe");
    let alarm = &out.metric_alarms()[0];
    assert_eq!(alarm.alarm_name(), Some("errors-high"));
    assert_eq!(
        alarm.alarm_arn(),
        Some("arn:aws:cloudwatch:us-east-1:000000000000:alarm:errors-high")
    );
    assert_eq!(alarm.state_value(), Some(&StateValue::InsufficientData));
    assert_eq!(alarm.statistic(), Some(&Statistic::Sum));
    assert_eq!(alarm.threshold(), Some(5.0));
    assert_eq!(alarm.period(), Some(60));
    assert_eq!(alarm.dimensions()[0].value(), Some("orders"));
    assert_eq!(alarm.actions_enabled(), Some(true));
    assert_eq!(
        alarm.alarm_actions(),
        ["arn:aws:lambda:us-east-1:000000000000:function:pager"]
    );
    assert!(out.composite_alarms().is_empty());

    // For the metric, and not for another.
    let for_metric = cw
        .describe_alarms_for_metric()
        .namespace("Shop")
        .metric_name("Errors")
        .dimensions(Dimension::builder().name("Queue").value("orders").build())
        .send()
        .await
        .expect("for metric");
    assert_eq!(for_metric.metric_alarms().len(), 1);
    let other = cw
        .describe_alarms_for_metric()
        .namespace("Shop")
        .metric_name("Latency")
        .send()
        .await
        .expect("for metric");
    assert!(other.metric_alarms().is_empty());

    // Tags.
    let arn = alarm.alarm_arn().unwrap_or_default().to_owned();
    cw.tag_resource()
        .resource_arn(&arn)
        .tags(Tag::builder().key("tier").value("1").build())
        .send()
        .await
        .expect("tag");
    cw.untag_resource()
        .resource_arn(&arn)
        .tag_keys("team")
        .send()
        .await
        .expect("untag");
    let tags = cw
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .expect("list tags");
    let tags: Vec<(Option<&str>, Option<&str>)> =
        tags.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(tags, [(Some("tier"), Some("1"))]);

    // Composite over it, found only when asked for.
    cw.put_composite_alarm()
        .alarm_name("shop-unhealthy")
        .alarm_rule(r#"ALARM("errors-high") OR ALARM(errors-high)"#)
        .send()
        .await
        .expect("put composite");
    let composite = cw
        .describe_alarms()
        .alarm_types(AlarmType::CompositeAlarm)
        .send()
        .await
        .expect("describe composites");
    assert_eq!(composite.composite_alarms().len(), 1);
    assert!(composite.metric_alarms().is_empty());

    // SetAlarmState changes the state; history tells it; disabled actions stay disabled.
    cw.disable_alarm_actions()
        .alarm_names("errors-high")
        .send()
        .await
        .expect("disable");
    cw.set_alarm_state()
        .alarm_name("errors-high")
        .state_value(StateValue::Alarm)
        .state_reason("testing the pager")
        .send()
        .await
        .expect("set state");
    assert_eq!(
        state_of(&stack, "errors-high").await,
        (StateValue::Alarm, "testing the pager".to_owned())
    );
    let alarm = &cw
        .describe_alarms()
        .alarm_names("errors-high")
        .send()
        .await
        .expect("describe")
        .metric_alarms()[0]
        .clone();
    assert_eq!(alarm.actions_enabled(), Some(false));
    let history = cw
        .describe_alarm_history()
        .alarm_name("errors-high")
        .history_item_type(HistoryItemType::StateUpdate)
        .send()
        .await
        .expect("history");
    let item = &history.alarm_history_items()[0];
    assert_eq!(
        item.history_summary(),
        Some("Alarm updated from INSUFFICIENT_DATA to ALARM")
    );
    let data: Value = serde_json::from_str(item.history_data().unwrap_or("{}")).expect("JSON");
    assert_eq!(data["newState"]["stateValue"], "ALARM");
    assert_eq!(data["oldState"]["stateValue"], "INSUFFICIENT_DATA");
    // No action ran: actions are disabled.
    let actions = cw
        .describe_alarm_history()
        .alarm_name("errors-high")
        .history_item_type(HistoryItemType::Action)
        .send()
        .await
        .expect("history");
    assert!(actions.alarm_history_items().is_empty());

    // A child a composite reads cannot go; the composite can, then the child.
    let refused = cw
        .delete_alarms()
        .alarm_names("errors-high")
        .send()
        .await
        .expect_err("a composite depends on it");
    assert_eq!(code(&refused), "ValidationError", "{}", message(&refused));
    cw.delete_alarms()
        .alarm_names("shop-unhealthy")
        .send()
        .await
        .expect("delete composite");
    cw.delete_alarms()
        .alarm_names("errors-high")
        .alarm_names("never-existed")
        .send()
        .await
        .expect("delete, unknown names passed over");
    let left = cw.describe_alarms().send().await.expect("describe");
    assert!(left.metric_alarms().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn alarm_errors_have_cloudwatch_codes() {
    let clock = Arc::new(ManualClock::new(start_ms()));
    let stack = stack_on(&clock).await;
    let cw = &stack.cloudwatch;
    let both = errors_alarm(&stack, "both")
        .extended_statistic("p99")
        .send()
        .await
        .expect_err("Statistic and ExtendedStatistic together");
    assert_eq!(
        code(&both),
        "InvalidParameterCombination",
        "{}",
        message(&both)
    );
    let period = errors_alarm(&stack, "bad-period")
        .period(45)
        .send()
        .await
        .expect_err("a period of 45 s");
    assert_eq!(code(&period), "ValidationError", "{}", message(&period));
    let nothing = cw
        .put_metric_alarm()
        .alarm_name("no-metric")
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect_err("neither MetricName nor Metrics");
    assert!(
        [
            "ValidationError",
            "MissingParameter",
            "InvalidParameterCombination"
        ]
        .contains(&code(&nothing).as_str()),
        "{} {}",
        code(&nothing),
        message(&nothing)
    );
    let unknown = cw
        .put_composite_alarm()
        .alarm_name("composite")
        .alarm_rule(r#"ALARM("does-not-exist")"#)
        .send()
        .await
        .expect_err("a rule naming no alarm");
    assert_eq!(code(&unknown), "ValidationError", "{}", message(&unknown));
    let missing = cw
        .set_alarm_state()
        .alarm_name("does-not-exist")
        .state_value(StateValue::Ok)
        .state_reason("x")
        .send()
        .await
        .expect_err("no such alarm");
    assert_eq!(code(&missing), "ResourceNotFound");
    let token = cw
        .describe_alarms()
        .next_token("not-a-token")
        .send()
        .await
        .expect_err("a token the server never gave");
    assert_eq!(code(&token), "InvalidNextToken");
}

#[tokio::test(flavor = "multi_thread")]
async fn paging_of_alarms() {
    let clock = Arc::new(ManualClock::new(start_ms()));
    let stack = stack_on(&clock).await;
    for i in 0..7 {
        errors_alarm(&stack, &format!("page-{i}"))
            .send()
            .await
            .expect("put");
    }
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let out = stack
            .cloudwatch
            .describe_alarms()
            .max_records(3)
            .set_next_token(token)
            .send()
            .await
            .expect("page");
        assert!(out.metric_alarms().len() <= 3);
        names.extend(
            out.metric_alarms()
                .iter()
                .filter_map(|a| a.alarm_name().map(str::to_owned)),
        );
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let want: Vec<String> = (0..7).map(|i| format!("page-{i}")).collect();
    assert_eq!(names, want);
}

/// The server's loop evaluates on the shared clock: data above the threshold puts the alarm in
/// ALARM and its function receives the alarm event (checked through the function's on-success
/// destination); data below brings it back to OK. A metric-math alarm on the same data too.
#[tokio::test(flavor = "multi_thread")]
async fn the_server_evaluates_alarms_and_invokes_their_functions() {
    let t0 = start_ms();
    let clock = Arc::new(ManualClock::new(t0));
    let stack = stack_on(&clock).await;
    let delivered = stack.queue("alarm-events").await;
    stack
        .deploy("pager", "echo_function", &[("MODE", "")])
        .await;
    stack
        .lambda
        .put_function_event_invoke_config()
        .function_name("pager")
        .maximum_retry_attempts(0)
        .destination_config(
            DestinationConfig::builder()
                .on_success(
                    OnSuccess::builder()
                        .destination("arn:aws:sqs:us-east-1:000000000000:alarm-events")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("event invoke config");
    errors_alarm(&stack, "errors-high")
        .alarm_actions("arn:aws:lambda:us-east-1:000000000000:function:pager")
        .ok_actions("arn:aws:lambda:us-east-1:000000000000:function:pager")
        .send()
        .await
        .expect("put alarm");
    // Errors / Requests * 100 > 1 (percent), as metric math.
    let stat = |id: &str, name: &str| {
        MetricDataQuery::builder()
            .id(id)
            .return_data(false)
            .metric_stat(
                MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace("Shop")
                            .metric_name(name)
                            .dimensions(Dimension::builder().name("Queue").value("orders").build())
                            .build(),
                    )
                    .period(60)
                    .stat("Sum")
                    .build(),
            )
            .build()
    };
    stack
        .cloudwatch
        .put_metric_alarm()
        .alarm_name("error-rate")
        .metrics(stat("e", "Errors"))
        .metrics(stat("r", "Requests"))
        .metrics(
            MetricDataQuery::builder()
                .id("rate")
                .expression("100 * e / r")
                .return_data(true)
                .build(),
        )
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect("put math alarm");

    // Minute 0: 9 errors in 100 requests. At the end of the minute both alarms fire.
    put(&stack, "Errors", t0 + 5_000, 9.0).await;
    put(&stack, "Requests", t0 + 5_000, 100.0).await;
    clock.set(t0 + 60_000);
    let reason = wait_for(&stack, "errors-high", StateValue::Alarm).await;
    assert!(
        reason.starts_with("Threshold Crossed: 1 datapoint [9.0 (")
            && reason.ends_with(")] was greater than the threshold (5.0)."),
        "{reason}"
    );
    wait_for(&stack, "error-rate", StateValue::Alarm).await;

    let got = stack.drain(&delivered, 1).await;
    let body: Value = serde_json::from_str(got[0].body().unwrap_or("{}")).expect("JSON");
    let event = &body["requestPayload"];
    assert_eq!(event["source"], "aws.cloudwatch");
    assert_eq!(
        event["alarmArn"],
        "arn:aws:cloudwatch:us-east-1:000000000000:alarm:errors-high"
    );
    assert_eq!(event["alarmData"]["alarmName"], "errors-high");
    assert_eq!(event["alarmData"]["state"]["value"], "ALARM");
    assert_eq!(
        event["alarmData"]["previousState"]["value"],
        "INSUFFICIENT_DATA"
    );

    // Minute 1: 1 error in 1000 requests. Both return to OK; the OK action runs too.
    put(&stack, "Errors", t0 + 65_000, 1.0).await;
    put(&stack, "Requests", t0 + 65_000, 1000.0).await;
    clock.set(t0 + 120_000);
    wait_for(&stack, "errors-high", StateValue::Ok).await;
    wait_for(&stack, "error-rate", StateValue::Ok).await;
    let got = stack.drain(&delivered, 1).await;
    let body: Value = serde_json::from_str(got[0].body().unwrap_or("{}")).expect("JSON");
    assert_eq!(body["requestPayload"]["alarmData"]["state"]["value"], "OK");
    let actions = stack
        .cloudwatch
        .describe_alarm_history()
        .alarm_name("errors-high")
        .history_item_type(HistoryItemType::Action)
        .send()
        .await
        .expect("history");
    assert_eq!(actions.alarm_history_items().len(), 2);
    assert!(
        actions.alarm_history_items()[0]
            .history_summary()
            .unwrap_or_default()
            .starts_with("Successfully executed action arn:aws:lambda"),
        "{:?}",
        actions.alarm_history_items()[0]
    );
}

/// With a data directory, alarms (and their tags and history) outlive the server.
#[tokio::test(flavor = "multi_thread")]
async fn alarms_are_kept_in_the_data_directory() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = || kinesis_engine::EngineConfig {
        data_dir: Some(dir.path().to_path_buf()),
        ..testkit::engine_config()
    };
    let first = Stack::with(config()).await;
    errors_alarm(&first, "kept")
        .tags(Tag::builder().key("team").value("payments").build())
        .send()
        .await
        .expect("put");
    first
        .cloudwatch
        .set_alarm_state()
        .alarm_name("kept")
        .state_value(StateValue::Alarm)
        .state_reason("before the restart")
        .send()
        .await
        .expect("set state");
    first.server.shutdown().await.expect("shutdown");

    let second = Stack::with(config()).await;
    assert_eq!(
        state_of(&second, "kept").await,
        (StateValue::Alarm, "before the restart".to_owned())
    );
    let arn = "arn:aws:cloudwatch:us-east-1:000000000000:alarm:kept";
    let tags = second
        .cloudwatch
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .expect("tags");
    assert_eq!(tags.tags().len(), 1);
    let history = second
        .cloudwatch
        .describe_alarm_history()
        .alarm_name("kept")
        .send()
        .await
        .expect("history");
    assert!(history.alarm_history_items().len() >= 2, "{history:?}");
}
