//! The data directory: everything survives a restart.

use std::sync::Arc;

use alarm_engine::{
    AlarmEngine, AlarmState, AlarmType, CompositeAlarmDefinition, DescribeAlarmsQuery,
    HistoryQuery, MetricAlarmDefinition, Tag,
};

use crate::evaluation::error_rate;
use crate::harness::{ACCOUNT, H, MINUTE, REGION, T0, arn, simple};

fn everything(e: &AlarmEngine) -> alarm_engine::AlarmsPage {
    e.describe_alarms(&DescribeAlarmsQuery {
        alarm_types: vec![AlarmType::MetricAlarm, AlarmType::CompositeAlarm],
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn alarms_state_history_and_tags_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let h = H::new();
    let engine = h.engine.clone().with_data_dir(dir.path()).unwrap();
    engine
        .put_metric_alarm(MetricAlarmDefinition {
            tags: vec![Tag {
                key: "team".to_owned(),
                value: "web".to_owned(),
            }],
            unit: Some(metric_store::Unit::Count),
            ..simple("a", "Errors")
        })
        .unwrap();
    engine.put_metric_alarm(error_rate("rate")).unwrap();
    engine
        .put_composite_alarm(CompositeAlarmDefinition {
            alarm_name: "c".to_owned(),
            alarm_rule: "ALARM(a) OR ALARM(rate)".to_owned(),
            actions_suppressor: Some("a".to_owned()),
            ..Default::default()
        })
        .unwrap();
    engine
        .set_alarm_state("a", AlarmState::Alarm, "by hand", Some("{}"))
        .unwrap();
    assert!(dir.path().join("alarms.json").exists());
    assert!(!dir.path().join("alarms.json.tmp").exists());

    let before = everything(&engine);
    let history = engine
        .describe_alarm_history(&HistoryQuery {
            alarm_types: vec![AlarmType::MetricAlarm, AlarmType::CompositeAlarm],
            ..Default::default()
        })
        .unwrap();

    let again = AlarmEngine::new(h.store.clone(), Arc::new(h.clock.clone()), REGION, ACCOUNT)
        .with_data_dir(dir.path())
        .unwrap();
    assert_eq!(everything(&again), before);
    assert_eq!(before.metric_alarms.len(), 2);
    assert_eq!(before.composite_alarms.len(), 1);
    assert_eq!(
        again
            .describe_alarm_history(&HistoryQuery {
                alarm_types: vec![AlarmType::MetricAlarm, AlarmType::CompositeAlarm],
                ..Default::default()
            })
            .unwrap(),
        history
    );
    assert_eq!(again.list_tags_for_resource(&arn("a")).unwrap().len(), 1);

    // The reloaded alarms evaluate: the metric-math alarm included.
    h.record("Errors", T0 - MINUTE, 50.0);
    h.record("Invocations", T0 - MINUTE, 100.0);
    h.clock.set(T0 + MINUTE);
    again.evaluate_due();
    let page = again
        .describe_alarms(&DescribeAlarmsQuery {
            alarm_names: vec!["rate".to_owned()],
            ..Default::default()
        })
        .unwrap();
    // 10:00 has no data yet; the range still holds 09:59 (50 %).
    assert_eq!(page.metric_alarms[0].state.value, AlarmState::Alarm);
}

#[test]
fn a_corrupt_file_is_an_internal_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("alarms.json"), b"{not json").unwrap();
    let h = H::new();
    let err = h.engine.clone().with_data_dir(dir.path()).err().unwrap();
    assert_eq!(err.code(), "InternalServiceError");
    assert_eq!(err.http_status(), 500);
}
