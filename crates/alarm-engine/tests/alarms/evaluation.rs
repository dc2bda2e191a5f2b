//! Metric-alarm evaluation: states, M of N, missing data, percentiles, metric math.

use alarm_engine::{
    AlarmMetricStat, AlarmQuery, AlarmState, ComparisonOperator, MetricAlarmDefinition,
};
use serde_json::json;

use crate::harness::{H, MINUTE, T0, simple};

#[test]
fn a_new_alarm_is_insufficient_data_then_breaching_data_alarms() {
    let h = H::new();
    h.engine
        .put_metric_alarm(simple("errors", "Errors"))
        .unwrap();
    let s = h.state("errors");
    assert_eq!(s.value, AlarmState::InsufficientData);
    assert_eq!(s.reason, "Unchecked: Initial alarm creation");
    assert_eq!(s.reason_data, None);
    assert_eq!(s.updated_ms, T0);

    h.record("Errors", T0 - MINUTE + 5_000, 2.0);
    h.record("Errors", T0 - MINUTE + 9_000, 3.0);
    h.eval_at(T0);
    let s = h.state("errors");
    assert_eq!(s.value, AlarmState::Alarm);
    assert_eq!(
        s.reason,
        "Threshold Crossed: 1 datapoint [5.0 (12/06/26 09:59:00)] was greater than the threshold (1.0)."
    );
    assert_eq!(s.transitioned_ms, T0);
    assert_eq!(
        h.reason_data("errors"),
        json!({
            "version": "1.0",
            "queryDate": "2026-06-12T10:00:00.000+0000",
            "startDate": "2026-06-12T09:59:00.000+0000",
            "statistic": "Sum",
            "period": 60,
            "recentDatapoints": [5.0],
            "threshold": 1.0,
            "evaluatedDatapoints": [
                {"timestamp": "2026-06-12T09:59:00.000+0000", "sampleCount": 2.0, "value": 5.0}
            ]
        })
    );
    // Key order as AWS writes it.
    let raw = h.state("errors").reason_data.unwrap();
    assert!(
        raw.starts_with("{\"version\":\"1.0\",\"queryDate\":"),
        "{raw}"
    );
}

#[test]
fn the_current_minute_is_not_evaluated_until_it_is_complete() {
    let h = H::new();
    h.engine.put_metric_alarm(simple("a", "Errors")).unwrap();
    // Data in the minute that starts at T0: incomplete at T0 + 30 s.
    h.record("Errors", T0 + 10_000, 9.0);
    h.eval_at(T0 + 30_000);
    assert_eq!(h.value("a"), AlarmState::InsufficientData);
    h.eval_at(T0 + MINUTE);
    assert_eq!(h.value("a"), AlarmState::Alarm);
}

#[test]
fn recovery_goes_to_ok_with_a_negated_reason() {
    let h = H::new();
    h.engine.put_metric_alarm(simple("a", "Errors")).unwrap();
    h.record("Errors", T0 - MINUTE, 5.0);
    h.eval_at(T0);
    h.record("Errors", T0, 0.5);
    h.eval_at(T0 + MINUTE);
    let s = h.state("a");
    assert_eq!(s.value, AlarmState::Ok);
    assert_eq!(
        s.reason,
        "Threshold Crossed: 1 datapoint [0.5 (12/06/26 10:00:00)] was not greater than the threshold (1.0)."
    );
}

#[test]
fn m_out_of_n_uses_the_long_reason_form() {
    let h = H::new();
    let def = MetricAlarmDefinition {
        evaluation_periods: Some(3),
        datapoints_to_alarm: Some(2),
        ..simple("m-of-n", "Errors")
    };
    h.engine.put_metric_alarm(def).unwrap();
    h.record("Errors", T0 - 3 * MINUTE, 5.0);
    h.record("Errors", T0 - 2 * MINUTE, 0.0);
    h.record("Errors", T0 - MINUTE, 7.0);
    h.eval_at(T0);
    let s = h.state("m-of-n");
    assert_eq!(s.value, AlarmState::Alarm);
    assert_eq!(
        s.reason,
        "Threshold Crossed: 2 out of the last 3 datapoints [7.0 (12/06/26 09:59:00), 5.0 (12/06/26 09:57:00)] were greater than the threshold (1.0) (minimum 2 datapoints for INSUFFICIENT_DATA -> ALARM transition)."
    );
    let data = h.reason_data("m-of-n");
    assert_eq!(data["recentDatapoints"], json!([5.0, 0.0, 7.0]));
    assert_eq!(data["evaluatedDatapoints"].as_array().unwrap().len(), 3);

    // 09:58 0, 09:59 X, 10:00 0: one breaching of three: OK.
    h.record("Errors", T0, 0.0);
    h.eval_at(T0 + MINUTE);
    let s = h.state("m-of-n");
    assert_eq!(s.value, AlarmState::Ok);
    assert_eq!(
        s.reason,
        "Threshold Crossed: 2 out of the last 3 datapoints [0.0 (12/06/26 10:00:00), 0.0 (12/06/26 09:58:00)] were not greater than the threshold (1.0) (minimum 2 datapoints for ALARM -> OK transition)."
    );
}

#[test]
fn two_of_three_alarms_on_non_consecutive_breaches_only() {
    let h = H::new();
    let def = MetricAlarmDefinition {
        evaluation_periods: Some(3),
        datapoints_to_alarm: Some(2),
        ..simple("a", "Errors")
    };
    h.engine.put_metric_alarm(def).unwrap();
    h.record("Errors", T0 - 3 * MINUTE, 0.0);
    h.record("Errors", T0 - 2 * MINUTE, 0.0);
    h.record("Errors", T0 - MINUTE, 7.0);
    h.eval_at(T0);
    assert_eq!(h.value("a"), AlarmState::Ok);
}

#[test]
fn all_missing_with_missing_goes_to_insufficient_data() {
    let h = H::new();
    h.engine.put_metric_alarm(simple("a", "Errors")).unwrap();
    h.record("Errors", T0 - MINUTE, 5.0);
    h.eval_at(T0);
    assert_eq!(h.value("a"), AlarmState::Alarm);
    // One period evaluated over a range of three: still data in range two minutes on.
    h.eval_at(T0 + 2 * MINUTE);
    assert_eq!(h.value("a"), AlarmState::Alarm);
    h.eval_at(T0 + 3 * MINUTE);
    let s = h.state("a");
    assert_eq!(s.value, AlarmState::InsufficientData);
    assert_eq!(s.reason, "Insufficient Data: 1 datapoint was unknown.");
}

#[test]
fn breaching_and_not_breaching_fill_missing_data() {
    let h = H::new();
    for (name, treat) in [("b", "breaching"), ("nb", "notBreaching"), ("i", "ignore")] {
        let def = MetricAlarmDefinition {
            evaluation_periods: Some(2),
            treat_missing_data: Some(treat.to_owned()),
            ..simple(name, "Nothing")
        };
        h.engine.put_metric_alarm(def).unwrap();
    }
    h.eval_at(T0);
    let b = h.state("b");
    assert_eq!(b.value, AlarmState::Alarm);
    assert_eq!(
        b.reason,
        "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching]."
    );
    let data = h.reason_data("b");
    assert_eq!(data["recentDatapoints"], json!([]));
    assert_eq!(
        data["evaluatedDatapoints"],
        json!([
            {"timestamp": "2026-06-12T09:59:00.000+0000"},
            {"timestamp": "2026-06-12T09:58:00.000+0000"}
        ])
    );
    assert!(data.get("startDate").is_some());
    let nb = h.state("nb");
    assert_eq!(nb.value, AlarmState::Ok);
    assert_eq!(
        nb.reason,
        "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [NonBreaching]."
    );
    assert_eq!(h.value("i"), AlarmState::InsufficientData);
}

#[test]
fn ignore_keeps_the_state_when_data_stops() {
    let h = H::new();
    let def = MetricAlarmDefinition {
        treat_missing_data: Some("ignore".to_owned()),
        ..simple("a", "Errors")
    };
    h.engine.put_metric_alarm(def).unwrap();
    h.record("Errors", T0 - MINUTE, 5.0);
    h.eval_at(T0);
    assert_eq!(h.value("a"), AlarmState::Alarm);
    h.eval_at(T0 + 30 * MINUTE);
    assert_eq!(h.value("a"), AlarmState::Alarm);
}

#[test]
fn partial_data_is_filled_and_the_reason_says_so() {
    let h = H::new();
    let def = MetricAlarmDefinition {
        evaluation_periods: Some(3),
        datapoints_to_alarm: Some(2),
        treat_missing_data: Some("breaching".to_owned()),
        ..simple("a", "Errors")
    };
    h.engine.put_metric_alarm(def).unwrap();
    // `0 - X - -` with M = 2: one breaching point and one filled breaching: ALARM.
    h.record("Errors", T0 - 5 * MINUTE, 0.0);
    h.record("Errors", T0 - 3 * MINUTE, 4.0);
    h.eval_at(T0);
    let s = h.state("a");
    assert_eq!(s.value, AlarmState::Alarm);
    assert_eq!(
        s.reason,
        "Threshold Crossed: 1 out of the last 3 datapoints [4.0 (12/06/26 09:57:00)] was greater than the threshold (1.0) and 1 missing datapoint was treated as [Breaching] (minimum 2 datapoints for INSUFFICIENT_DATA -> ALARM transition)."
    );
}

#[test]
fn the_premature_alarm_rule_waits_then_alarms() {
    let h = H::new();
    let def = MetricAlarmDefinition {
        evaluation_periods: Some(3),
        ..simple("a", "Errors")
    };
    h.engine.put_metric_alarm(def).unwrap();
    // `- - - - X` with M = N = 3: not yet.
    h.record("Errors", T0 - MINUTE, 5.0);
    h.eval_at(T0);
    assert_eq!(h.value("a"), AlarmState::InsufficientData);
    h.eval_at(T0 + MINUTE);
    assert_eq!(h.value("a"), AlarmState::InsufficientData);
    // `- - X - -`: the breaching point is three periods old: ALARM.
    h.eval_at(T0 + 2 * MINUTE);
    assert_eq!(h.value("a"), AlarmState::Alarm);
}

fn percentile_alarm(name: &str, low: Option<&str>) -> MetricAlarmDefinition {
    MetricAlarmDefinition {
        statistic: None,
        extended_statistic: Some("p99".to_owned()),
        threshold: Some(100.0),
        evaluate_low_sample_count_percentile: low.map(str::to_owned),
        ..simple(name, "Latency")
    }
}

#[test]
fn percentile_alarms_and_low_sample_counts() {
    let h = H::new();
    h.engine
        .put_metric_alarm(percentile_alarm("evaluate", None))
        .unwrap();
    h.engine
        .put_metric_alarm(percentile_alarm("ignore", Some("ignore")))
        .unwrap();
    for i in 0..10 {
        h.record("Latency", T0 - MINUTE + i * 1000, 500.0);
    }
    h.eval_at(T0);
    // 10 samples < 10 / (1 - 0.99) = 1000: `ignore` keeps its state.
    assert_eq!(h.value("evaluate"), AlarmState::Alarm);
    assert_eq!(h.value("ignore"), AlarmState::InsufficientData);
    let data = h.reason_data("evaluate");
    assert_eq!(data["statistic"], json!("p99"));

    for i in 0..1000 {
        h.record("Latency", T0 + (i % 60) * 1000, 500.0);
    }
    h.eval_at(T0 + MINUTE);
    assert_eq!(h.value("ignore"), AlarmState::Alarm);
}

fn stat_query(id: &str, metric: &str) -> AlarmQuery {
    AlarmQuery {
        id: id.to_owned(),
        metric_stat: Some(AlarmMetricStat {
            namespace: Some("App".to_owned()),
            metric_name: Some(metric.to_owned()),
            period: 60,
            stat: "Sum".to_owned(),
            ..Default::default()
        }),
        return_data: Some(false),
        ..Default::default()
    }
}

pub fn error_rate(name: &str) -> MetricAlarmDefinition {
    MetricAlarmDefinition {
        alarm_name: name.to_owned(),
        evaluation_periods: Some(1),
        threshold: Some(1.0),
        comparison_operator: Some(ComparisonOperator::GreaterThanThreshold),
        metrics: vec![
            stat_query("errors", "Errors"),
            stat_query("invocations", "Invocations"),
            AlarmQuery {
                id: "rate".to_owned(),
                expression: Some("errors / invocations * 100".to_owned()),
                label: Some("Error rate".to_owned()),
                return_data: Some(true),
                ..Default::default()
            },
        ],
        ..Default::default()
    }
}

#[test]
fn metric_math_alarm_on_an_error_rate() {
    let h = H::new();
    h.engine.put_metric_alarm(error_rate("rate")).unwrap();
    h.record("Errors", T0 - MINUTE, 1.0);
    h.record("Invocations", T0 - MINUTE, 1000.0);
    h.eval_at(T0);
    // 0.1 % is under 1 %.
    let s = h.state("rate");
    assert_eq!(s.value, AlarmState::Ok);
    assert_eq!(
        s.reason,
        "Threshold Crossed: 1 datapoint [0.1 (12/06/26 09:59:00)] was not greater than the threshold (1.0)."
    );
    h.record("Errors", T0, 5.0);
    h.record("Invocations", T0, 100.0);
    h.eval_at(T0 + MINUTE);
    assert_eq!(h.value("rate"), AlarmState::Alarm);
    let data = h.reason_data("rate");
    assert!(data.get("statistic").is_none());
    assert_eq!(data["recentDatapoints"], json!([5.0]));
    assert_eq!(
        data["evaluatedDatapoints"][0],
        json!({"timestamp": "2026-06-12T10:00:00.000+0000", "value": 5.0})
    );
}

#[test]
fn evaluations_are_due_every_minute_or_every_ten_seconds() {
    let h = H::new();
    assert_eq!(h.engine.next_due_ms(), None);
    h.clock.set(T0 + 5_000);
    h.engine
        .put_metric_alarm(simple("minute", "Errors"))
        .unwrap();
    assert_eq!(h.engine.next_due_ms(), Some(T0 + MINUTE));
    let hi = alarm_engine::MetricAlarmDefinition {
        period: Some(10),
        ..simple("ten", "Errors")
    };
    h.engine.put_metric_alarm(hi).unwrap();
    assert_eq!(h.engine.next_due_ms(), Some(T0 + 10_000));
    h.eval_at(T0 + 10_000);
    assert_eq!(h.engine.next_due_ms(), Some(T0 + 20_000));
}

#[test]
fn high_resolution_alarms_read_ten_second_periods() {
    let h = H::new();
    let hi = MetricAlarmDefinition {
        period: Some(10),
        ..simple("ten", "Errors")
    };
    h.engine.put_metric_alarm(hi).unwrap();
    h.record("Errors", T0 + 12_000, 3.0);
    h.eval_at(T0 + 20_000);
    let s = h.state("ten");
    assert_eq!(s.value, AlarmState::Alarm);
    assert_eq!(
        s.reason,
        "Threshold Crossed: 1 datapoint [3.0 (12/06/26 10:00:10)] was greater than the threshold (1.0)."
    );
}

#[test]
fn an_alarm_with_another_unit_sees_no_data() {
    let h = H::new();
    let def = MetricAlarmDefinition {
        unit: Some(metric_store::Unit::Seconds),
        treat_missing_data: Some("breaching".to_owned()),
        threshold: Some(100.0),
        ..simple("a", "Errors")
    };
    h.engine.put_metric_alarm(def).unwrap();
    // Recorded with unit None: the alarm (Seconds) sees missing data, filled as breaching.
    h.record("Errors", T0 - MINUTE, 1.0);
    h.eval_at(T0);
    assert_eq!(h.value("a"), AlarmState::Alarm);
    assert_eq!(h.reason_data("a")["unit"], json!("Seconds"));
}
