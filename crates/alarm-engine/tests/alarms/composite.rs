//! Composite alarms: rules, evaluation after children change, reasons, deletion rules.

use alarm_engine::{
    AlarmError, AlarmState, AlarmType, CompositeAlarm, CompositeAlarmDefinition,
    DescribeAlarmsQuery,
};
use serde_json::json;

use crate::harness::{H, MINUTE, T0, arn, simple};

fn composite(name: &str, rule: &str) -> CompositeAlarmDefinition {
    CompositeAlarmDefinition {
        alarm_name: name.to_owned(),
        alarm_rule: rule.to_owned(),
        ..Default::default()
    }
}

fn get(h: &H, name: &str) -> CompositeAlarm {
    h.engine
        .describe_alarms(&DescribeAlarmsQuery {
            alarm_names: vec![name.to_owned()],
            alarm_types: vec![AlarmType::CompositeAlarm],
            ..Default::default()
        })
        .unwrap()
        .composite_alarms
        .into_iter()
        .next()
        .expect("composite exists")
}

fn two_children(h: &H) {
    h.engine.put_metric_alarm(simple("a", "A")).unwrap();
    h.engine.put_metric_alarm(simple("b", "B")).unwrap();
}

#[test]
fn a_new_composite_evaluates_its_rule_at_once() {
    let h = H::new();
    two_children(&h);
    h.engine
        .put_composite_alarm(composite("main", "ALARM(a) OR ALARM(b)"))
        .unwrap();
    let c = get(&h, "main");
    assert_eq!(c.state.value, AlarmState::Ok);
    assert_eq!(
        c.state.reason,
        format!(
            "{} was created and its alarm rule evaluates to OK",
            arn("main")
        )
    );
    assert_eq!(c.alarm_arn, arn("main"));
}

#[test]
fn and_or_not_follow_the_children() {
    let h = H::new();
    two_children(&h);
    for (name, rule) in [
        ("any", "ALARM(a) OR ALARM(b)"),
        ("both", "ALARM(\"a\") AND ALARM(b)"),
        (
            "a-only",
            format!("ALARM({}) AND NOT ALARM(b)", arn("a")).as_str(),
        ),
    ] {
        h.engine.put_composite_alarm(composite(name, rule)).unwrap();
    }
    h.record("A", T0 - MINUTE, 5.0);
    h.record("B", T0 - MINUTE, 0.0);
    h.eval_at(T0);
    assert_eq!(get(&h, "any").state.value, AlarmState::Alarm);
    assert_eq!(get(&h, "both").state.value, AlarmState::Ok);
    let a_only = get(&h, "a-only").state;
    assert_eq!(a_only.value, AlarmState::Alarm);
    assert_eq!(
        a_only.reason,
        format!(
            "{} transitioned to ALARM at Friday 12 June, 2026 10:00:00 UTC",
            arn("a")
        )
    );
    let data: serde_json::Value =
        serde_json::from_str(a_only.reason_data.as_deref().unwrap()).unwrap();
    // Both children changed in the same round: both triggered.
    assert_eq!(
        data,
        json!({"triggeringAlarms": [
            {"arn": arn("a"), "state": {"value": "ALARM", "timestamp": "2026-06-12T10:00:00.000+0000"}},
            {"arn": arn("b"), "state": {"value": "OK", "timestamp": "2026-06-12T10:00:00.000+0000"}}
        ]})
    );

    h.record("B", T0, 9.0);
    h.record("A", T0, 9.0);
    h.eval_at(T0 + MINUTE);
    assert_eq!(get(&h, "both").state.value, AlarmState::Alarm);
    assert_eq!(get(&h, "a-only").state.value, AlarmState::Ok);
}

#[test]
fn composites_of_composites_settle_in_one_round() {
    let h = H::new();
    two_children(&h);
    h.engine
        .put_composite_alarm(composite("inner", "ALARM(a)"))
        .unwrap();
    h.engine
        .put_composite_alarm(composite("outer", "ALARM(inner) AND TRUE"))
        .unwrap();
    h.record("A", T0 - MINUTE, 5.0);
    h.eval_at(T0);
    assert_eq!(get(&h, "outer").state.value, AlarmState::Alarm);
    assert_eq!(
        get(&h, "outer").state.reason,
        format!(
            "{} transitioned to ALARM at Friday 12 June, 2026 10:00:00 UTC",
            arn("inner")
        )
    );
}

#[test]
fn rules_must_parse_and_name_existing_alarms_without_cycles() {
    let h = H::new();
    two_children(&h);
    let err = h
        .engine
        .put_composite_alarm(composite("c", "ALARM(a) OR"))
        .unwrap_err();
    assert_eq!(err.code(), "ValidationError");
    assert_eq!(
        err.message(),
        Some("Error in AlarmRule [Unsupported token '<EOF>' at char 11]")
    );
    let err = h
        .engine
        .put_composite_alarm(composite("c", "ALARM(a) OR ALARM(ghost) OR OK(phantom)"))
        .unwrap_err();
    assert_eq!(
        err,
        AlarmError::Validation(
            "Could not save the composite alarm as alarms [ghost, phantom] in the alarm rule do not exist"
                .to_owned()
        )
    );
    let err = h
        .engine
        .put_composite_alarm(composite("c", "ALARM(c)"))
        .unwrap_err();
    assert_eq!(err.code(), "ValidationError");
    h.engine
        .put_composite_alarm(composite("x", "ALARM(a)"))
        .unwrap();
    h.engine
        .put_composite_alarm(composite("y", "ALARM(x)"))
        .unwrap();
    let err = h
        .engine
        .put_composite_alarm(composite("x", "ALARM(y)"))
        .unwrap_err();
    assert!(err.message().unwrap().contains("cycle"), "{err}");
    // The failed puts changed nothing.
    assert_eq!(
        h.engine
            .describe_alarms(&DescribeAlarmsQuery {
                alarm_types: vec![AlarmType::CompositeAlarm],
                ..Default::default()
            })
            .unwrap()
            .composite_alarms
            .len(),
        2
    );
}

#[test]
fn alarms_a_composite_depends_on_cannot_be_deleted() {
    let h = H::new();
    two_children(&h);
    h.engine
        .put_composite_alarm(composite("main", "ALARM(a) OR ALARM(b)"))
        .unwrap();
    let err = h.engine.delete_alarms(&["a".to_owned()]).unwrap_err();
    assert_eq!(err.code(), "ValidationError");
    assert_eq!(
        err.message(),
        Some("Cannot delete a as there are composite alarm(s) depending on it.")
    );
    let err = h
        .engine
        .delete_alarms(&["a".to_owned(), "b".to_owned(), "nope".to_owned()])
        .unwrap_err();
    assert_eq!(
        err.message(),
        Some("Cannot delete a,b as there are composite alarm(s) depending on them.")
    );
    assert_eq!(h.value("a"), AlarmState::InsufficientData);
    // With the composite in the same call, and an unknown name: fine.
    h.engine
        .delete_alarms(&["main".to_owned(), "a".to_owned(), "ghost".to_owned()])
        .unwrap();
    let page = h
        .engine
        .describe_alarms(&DescribeAlarmsQuery {
            alarm_types: vec![AlarmType::MetricAlarm, AlarmType::CompositeAlarm],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.metric_alarms.len(), 1);
    assert!(page.composite_alarms.is_empty());
}

#[test]
fn set_alarm_state_on_a_child_moves_its_composite() {
    let h = H::new();
    two_children(&h);
    h.engine
        .put_composite_alarm(CompositeAlarmDefinition {
            alarm_actions: vec!["arn:aws:sns:us-east-1:123456789012:ops".to_owned()],
            ..composite("main", "ALARM(a)")
        })
        .unwrap();
    let actions = h
        .engine
        .set_alarm_state("a", AlarmState::Alarm, "testing", None)
        .unwrap();
    assert_eq!(get(&h, "main").state.value, AlarmState::Alarm);
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0].alarm_name, "main");
    let msg: serde_json::Value = serde_json::from_str(&actions[0].payload).unwrap();
    assert_eq!(msg["AlarmRule"], json!("ALARM(a)"));
    assert_eq!(msg["NewStateValue"], json!("ALARM"));
    assert_eq!(msg["OldStateValue"], json!("OK"));
    assert_eq!(msg["TriggeringChildren"][0]["Arn"], json!(arn("a")));
    assert_eq!(
        msg["TriggeringChildren"][0]["State"]["Value"],
        json!("ALARM")
    );
}

#[test]
fn children_and_parents_filters() {
    let h = H::new();
    two_children(&h);
    h.engine
        .put_composite_alarm(composite("main", "ALARM(a) OR ALARM(b)"))
        .unwrap();
    h.engine
        .put_composite_alarm(composite("other", "ALARM(b)"))
        .unwrap();
    let kids = h
        .engine
        .describe_alarms(&DescribeAlarmsQuery {
            children_of_alarm_name: Some("main".to_owned()),
            ..Default::default()
        })
        .unwrap();
    let names: Vec<_> = kids
        .metric_alarms
        .iter()
        .map(|a| a.definition.alarm_name.as_str())
        .collect();
    assert_eq!(names, ["a", "b"]);
    let parents = h
        .engine
        .describe_alarms(&DescribeAlarmsQuery {
            parents_of_alarm_name: Some("b".to_owned()),
            ..Default::default()
        })
        .unwrap();
    let names: Vec<_> = parents
        .composite_alarms
        .iter()
        .map(|a| a.definition.alarm_name.as_str())
        .collect();
    assert_eq!(names, ["main", "other"]);
    let err = h
        .engine
        .describe_alarms(&DescribeAlarmsQuery {
            parents_of_alarm_name: Some("b".to_owned()),
            state_value: Some(AlarmState::Ok),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.code(), "ValidationError");
}
