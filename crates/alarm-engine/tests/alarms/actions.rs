//! Actions: only on changes, only when enabled; SNS and Lambda payloads; SetAlarmState.

use alarm_engine::{ActionKind, AlarmError, AlarmState, MetricAlarmDefinition};
use serde_json::json;

use crate::harness::{ACCOUNT, H, MINUTE, T0, arn, simple};

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:ops";
const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:pager";

fn with_actions(name: &str) -> MetricAlarmDefinition {
    MetricAlarmDefinition {
        alarm_description: Some("Too many errors".to_owned()),
        alarm_actions: vec![TOPIC.to_owned(), FUNCTION.to_owned()],
        ok_actions: vec![TOPIC.to_owned()],
        dimensions: vec![],
        ..simple(name, "Errors")
    }
}

#[test]
fn a_state_change_yields_sns_and_lambda_requests() {
    let h = H::new();
    h.engine.put_metric_alarm(with_actions("errors")).unwrap();
    h.record("Errors", T0 - MINUTE, 5.0);
    let actions = h.eval_at(T0);
    assert_eq!(actions.len(), 2);
    let sns = &actions[0];
    assert_eq!(sns.target_arn, TOPIC);
    assert_eq!(sns.kind, ActionKind::Sns);
    assert_eq!(sns.alarm_arn, arn("errors"));
    assert_eq!(sns.subject, "ALARM: \"errors\" in US East (N. Virginia)");
    assert_eq!(sns.state_updated_ms, T0);
    let msg: serde_json::Value = serde_json::from_str(&sns.payload).unwrap();
    assert_eq!(
        msg,
        json!({
            "AlarmName": "errors",
            "AlarmDescription": "Too many errors",
            "AWSAccountId": ACCOUNT,
            "AlarmConfigurationUpdatedTimestamp": "2026-06-12T10:00:00.000+0000",
            "NewStateValue": "ALARM",
            "NewStateReason": "Threshold Crossed: 1 datapoint [5.0 (12/06/26 09:59:00)] was greater than the threshold (1.0).",
            "StateChangeTime": "2026-06-12T10:00:00.000+0000",
            "Region": "US East (N. Virginia)",
            "AlarmArn": arn("errors"),
            "OldStateValue": "INSUFFICIENT_DATA",
            "OKActions": [TOPIC],
            "AlarmActions": [TOPIC, FUNCTION],
            "InsufficientDataActions": [],
            "Trigger": {
                "MetricName": "Errors",
                "Namespace": "App",
                "StatisticType": "Statistic",
                "Statistic": "SUM",
                "Unit": null,
                "Dimensions": [],
                "Period": 60,
                "EvaluationPeriods": 1,
                "ComparisonOperator": "GreaterThanThreshold",
                "Threshold": 1.0,
                "TreatMissingData": "missing",
                "EvaluateLowSampleCountPercentile": ""
            }
        })
    );
    assert!(
        sns.payload
            .starts_with("{\"AlarmName\":\"errors\",\"AlarmDescription\"")
    );

    let lambda = &actions[1];
    assert_eq!(lambda.kind, ActionKind::Lambda);
    let ev: serde_json::Value = serde_json::from_str(&lambda.payload).unwrap();
    assert_eq!(ev["source"], json!("aws.cloudwatch"));
    assert_eq!(ev["alarmArn"], json!(arn("errors")));
    assert_eq!(ev["accountId"], json!(ACCOUNT));
    assert_eq!(ev["region"], json!("us-east-1"));
    assert_eq!(ev["time"], json!("2026-06-12T10:00:00.000+0000"));
    let data = &ev["alarmData"];
    assert_eq!(data["alarmName"], json!("errors"));
    assert_eq!(data["state"]["value"], json!("ALARM"));
    assert!(data["state"]["reasonData"].is_string());
    assert_eq!(data["previousState"]["value"], json!("INSUFFICIENT_DATA"));
    assert_eq!(
        data["previousState"]["reason"],
        json!("Unchecked: Initial alarm creation")
    );
    let metric = &data["configuration"]["metrics"][0];
    assert_eq!(
        metric["metricStat"],
        json!({"metric": {"namespace": "App", "name": "Errors", "dimensions": {}}, "period": 60, "stat": "Sum"})
    );
    assert_eq!(metric["returnData"], json!(true));

    // No change, no action.
    h.record("Errors", T0, 5.0);
    assert!(h.eval_at(T0 + MINUTE).is_empty());
    // Back to OK: the OK action.
    h.record("Errors", T0 + MINUTE, 0.0);
    let ok = h.eval_at(T0 + 2 * MINUTE);
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0].subject, "OK: \"errors\" in US East (N. Virginia)");
    assert_eq!(ok[0].new_state, AlarmState::Ok);
}

#[test]
fn disabled_actions_yield_nothing_until_enabled() {
    let h = H::new();
    h.engine
        .put_metric_alarm(MetricAlarmDefinition {
            actions_enabled: Some(false),
            ..with_actions("quiet")
        })
        .unwrap();
    h.record("Errors", T0 - MINUTE, 5.0);
    assert!(h.eval_at(T0).is_empty());
    assert_eq!(h.value("quiet"), AlarmState::Alarm);
    assert!(!h.alarm("quiet").actions_enabled());

    h.engine
        .enable_alarm_actions(&["quiet".to_owned()])
        .unwrap();
    assert!(h.alarm("quiet").actions_enabled());
    h.record("Errors", T0, 0.0);
    assert_eq!(h.eval_at(T0 + MINUTE).len(), 1);
    h.engine
        .disable_alarm_actions(&["quiet".to_owned(), "unknown".to_owned()])
        .unwrap();
    h.record("Errors", T0 + MINUTE, 9.0);
    assert!(h.eval_at(T0 + 2 * MINUTE).is_empty());
}

#[test]
fn set_alarm_state_acts_and_is_overridden_by_the_next_evaluation() {
    let h = H::new();
    h.engine.put_metric_alarm(with_actions("errors")).unwrap();
    h.clock.set(T0 + 5_000);
    let actions = h
        .engine
        .set_alarm_state("errors", AlarmState::Alarm, "testing", Some("{\"a\":1}"))
        .unwrap();
    assert_eq!(actions.len(), 2);
    let s = h.state("errors");
    assert_eq!(s.value, AlarmState::Alarm);
    assert_eq!(s.reason, "testing");
    assert_eq!(s.reason_data.as_deref(), Some("{\"a\":1}"));
    assert_eq!(s.updated_ms, T0 + 5_000);

    // Same state again: recorded, no action.
    let again = h
        .engine
        .set_alarm_state("errors", AlarmState::Alarm, "still testing", None)
        .unwrap();
    assert!(again.is_empty());
    assert_eq!(h.state("errors").transitioned_ms, T0 + 5_000);

    // The data say OK: the next evaluation moves it back, with the OK action.
    h.record("Errors", T0, 0.0);
    let back = h.eval_at(T0 + MINUTE);
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].target_arn, TOPIC);
    assert_eq!(h.value("errors"), AlarmState::Ok);
}

#[test]
fn set_alarm_state_errors() {
    let h = H::new();
    let err = h
        .engine
        .set_alarm_state("ghost", AlarmState::Ok, "x", None)
        .unwrap_err();
    assert_eq!(err, AlarmError::ResourceNotFound(None));
    assert_eq!(err.code(), "ResourceNotFound");
    assert_eq!(err.http_status(), 404);
    assert_eq!(err.message(), None);

    h.engine.put_metric_alarm(simple("a", "Errors")).unwrap();
    let err = h
        .engine
        .set_alarm_state("a", AlarmState::Ok, "x", Some("not json"))
        .unwrap_err();
    assert_eq!(err.code(), "InvalidFormat");
    assert_eq!(err.shape(), "InvalidFormatFault");
    assert_eq!(h.value("a"), AlarmState::InsufficientData);
}

#[test]
fn action_results_become_history_items() {
    let h = H::new();
    h.engine.put_metric_alarm(with_actions("errors")).unwrap();
    h.record("Errors", T0 - MINUTE, 5.0);
    let actions = h.eval_at(T0);
    h.clock.set(T0 + 2_000);
    h.engine.record_action_result(&actions[0], true, "");
    h.engine
        .record_action_result(&actions[1], false, "Function not found");
    let page = h
        .engine
        .describe_alarm_history(&alarm_engine::HistoryQuery {
            item_type: Some(alarm_engine::HistoryItemType::Action),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.items.len(), 2);
    let failed = &page.items[0];
    assert_eq!(
        failed.summary,
        format!("Failed to execute action {FUNCTION}. Reason: Function not found")
    );
    assert_eq!(failed.timestamp_ms, T0);
    let ok = &page.items[1];
    assert_eq!(ok.summary, format!("Successfully executed action {TOPIC}"));
    let data: serde_json::Value = serde_json::from_str(&ok.data).unwrap();
    assert_eq!(data["actionState"], json!("Succeeded"));
    assert_eq!(data["stateUpdateTimestamp"], json!(T0));
    assert_eq!(data["notificationResource"], json!(TOPIC));
    let published: serde_json::Value =
        serde_json::from_str(data["publishedMessage"].as_str().unwrap()).unwrap();
    assert_eq!(
        published["default"].as_str().unwrap(),
        actions[0].payload.as_str()
    );
}
