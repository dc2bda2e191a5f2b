//! Alarm history items and DescribeAlarmHistory.

use alarm_engine::{AlarmType, HistoryItemType, HistoryQuery, MetricAlarmDefinition, ScanBy};
use serde_json::json;

use crate::harness::{H, MINUTE, T0, arn, simple};

fn all(h: &H, q: HistoryQuery) -> Vec<alarm_engine::HistoryItem> {
    h.engine.describe_alarm_history(&q).unwrap().items
}

#[test]
fn create_update_state_and_delete_items() {
    let h = H::new();
    h.engine.put_metric_alarm(simple("a", "Errors")).unwrap();
    h.record("Errors", T0 - MINUTE, 5.0);
    h.eval_at(T0);
    h.clock.set(T0 + 10_000);
    h.engine
        .put_metric_alarm(MetricAlarmDefinition {
            threshold: Some(2.0),
            ..simple("a", "Errors")
        })
        .unwrap();
    h.clock.set(T0 + 20_000);
    h.engine.delete_alarms(&["a".to_owned()]).unwrap();

    let items = all(
        &h,
        HistoryQuery {
            alarm_name: Some("a".to_owned()),
            scan_by: ScanBy::TimestampAscending,
            ..Default::default()
        },
    );
    let summaries: Vec<&str> = items.iter().map(|i| i.summary.as_str()).collect();
    assert_eq!(
        summaries,
        [
            "Alarm \"a\" created",
            "Alarm updated from INSUFFICIENT_DATA to ALARM",
            "Alarm \"a\" updated",
            "Alarm \"a\" deleted",
        ]
    );
    assert!(items.iter().all(|i| i.alarm_type == AlarmType::MetricAlarm));
    let create: serde_json::Value = serde_json::from_str(&items[0].data).unwrap();
    assert_eq!(create["version"], json!("1.0"));
    assert_eq!(create["type"], json!("Create"));
    let created = &create["createdAlarm"];
    assert_eq!(created["alarmName"], json!("a"));
    assert_eq!(created["alarmArn"], json!(arn("a")));
    assert_eq!(created["statistic"], json!("Sum"));
    assert_eq!(created["stateValue"], json!("INSUFFICIENT_DATA"));
    assert_eq!(created["okactions"], json!([]));
    assert!(created.get("datapointsToAlarm").is_none());

    let state: serde_json::Value = serde_json::from_str(&items[1].data).unwrap();
    assert_eq!(
        state["oldState"],
        json!({"stateValue": "INSUFFICIENT_DATA", "stateReason": "Unchecked: Initial alarm creation"})
    );
    assert_eq!(state["newState"]["stateValue"], json!("ALARM"));
    assert_eq!(
        state["newState"]["stateReasonData"]["version"],
        json!("1.0")
    );
    assert_eq!(items[1].timestamp_ms, T0);

    let update: serde_json::Value = serde_json::from_str(&items[2].data).unwrap();
    assert_eq!(update["type"], json!("Update"));
    assert_eq!(update["updatedAlarm"]["threshold"], json!(2.0));
    assert_eq!(update["originalUpdatedFields"]["threshold"], json!(1.0));
    assert!(update["originalUpdatedFields"].get("alarmName").is_none());

    let delete: serde_json::Value = serde_json::from_str(&items[3].data).unwrap();
    assert_eq!(delete["type"], json!("Delete"));
    assert_eq!(items[3].timestamp_ms, T0 + 20_000);
}

#[test]
fn filters_pages_and_retention() {
    let h = H::new();
    for i in 0..5 {
        h.clock.set(T0 + i * 1000);
        h.engine
            .put_metric_alarm(simple(&format!("a{i}"), "E"))
            .unwrap();
    }
    h.engine
        .put_composite_alarm(alarm_engine::CompositeAlarmDefinition {
            alarm_name: "c".to_owned(),
            alarm_rule: "ALARM(a0)".to_owned(),
            ..Default::default()
        })
        .unwrap();
    // Default: metric alarms only, newest first.
    let items = all(&h, HistoryQuery::default());
    let names: Vec<&str> = items.iter().map(|i| i.alarm_name.as_str()).collect();
    assert_eq!(names, ["a4", "a3", "a2", "a1", "a0"]);
    let composite = all(
        &h,
        HistoryQuery {
            alarm_types: vec![AlarmType::CompositeAlarm],
            ..Default::default()
        },
    );
    assert_eq!(composite.len(), 2, "created, then its first state update");
    assert_eq!(composite[0].item_type, HistoryItemType::StateUpdate);

    // Paging, both directions.
    for (scan, expect) in [
        (ScanBy::TimestampDescending, ["a4", "a3", "a2", "a1", "a0"]),
        (ScanBy::TimestampAscending, ["a0", "a1", "a2", "a3", "a4"]),
    ] {
        let mut got = Vec::new();
        let mut token = None;
        loop {
            let page = h
                .engine
                .describe_alarm_history(&HistoryQuery {
                    max_records: Some(2),
                    next_token: token.clone(),
                    scan_by: scan,
                    ..Default::default()
                })
                .unwrap();
            assert!(page.items.len() <= 2);
            got.extend(page.items.into_iter().map(|i| i.alarm_name));
            token = page.next_token;
            if token.is_none() {
                break;
            }
        }
        assert_eq!(got, expect);
    }

    // Dates, inclusive.
    let window = all(
        &h,
        HistoryQuery {
            start_ms: Some(T0 + 1000),
            end_ms: Some(T0 + 3000),
            ..Default::default()
        },
    );
    assert_eq!(window.len(), 3);
    let err = h
        .engine
        .describe_alarm_history(&HistoryQuery {
            next_token: Some("h1-zz".to_owned()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.code(), "InvalidNextToken");

    // Two weeks later it is gone.
    h.clock.set(T0 + 15 * 24 * 60 * MINUTE);
    assert!(all(&h, HistoryQuery::default()).is_empty());
}
