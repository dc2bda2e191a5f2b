//! Alarms between the wire and [`alarm_engine`]: definitions read from a request's members,
//! alarms, history items and tags written in the model's member order.

use alarm_engine::{
    AlarmError, AlarmMetricStat, AlarmQuery, CompositeAlarm, Dimension, HistoryItem, MetricAlarm,
    StateInfo, Tag, Unit,
};
use aws_wire::{Input, Writer};

use crate::error::{CwError, ERROR_NAMESPACE};

impl From<AlarmError> for CwError {
    fn from(e: AlarmError) -> CwError {
        // ValidationError is Coral's, not a modeled shape of the service.
        let type_id = match e {
            AlarmError::Validation(_) => "com.amazon.coral.validate#ValidationException".to_owned(),
            _ => format!("{ERROR_NAMESPACE}#{}", e.shape()),
        };
        CwError {
            type_id,
            query_code: e.code(),
            status: e.http_status(),
            sender: !matches!(e, AlarmError::Internal(_)),
            message: e.message().map(str::to_owned),
            validation_messages: Vec::new(),
        }
    }
}

/// The strings of a list member (`AlarmNames`, `OKActions`, ...); empty when absent.
pub(crate) fn strings(input: &Input<'_>, name: &str) -> Vec<String> {
    input
        .str_list(name)
        .unwrap_or_default()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// `Dimensions` of a structure.
pub(crate) fn dimensions(input: &Input<'_>) -> Vec<Dimension> {
    crate::shapes::dimensions(input)
        .into_iter()
        .map(|(name, value)| Dimension {
            name: name.to_owned(),
            value: value.to_owned(),
        })
        .collect()
}

/// `Tags` of a request.
pub(crate) fn tags(input: &Input<'_>) -> Vec<Tag> {
    input
        .list("Tags")
        .unwrap_or_default()
        .iter()
        .map(|t| Tag {
            key: t.str("Key").unwrap_or_default().to_owned(),
            value: t.str("Value").unwrap_or_default().to_owned(),
        })
        .collect()
}

/// A `Unit` member; the schema has already checked it names a unit.
pub(crate) fn unit(input: &Input<'_>) -> Option<Unit> {
    input.str("Unit").and_then(|u| Unit::parse(u).ok())
}

/// An optional non-negative integer member as `u32` (the schema checked the minimum).
pub(crate) fn uint(input: &Input<'_>, name: &str) -> Option<u32> {
    input
        .int(name)
        .map(|v| u32::try_from(v.max(0)).unwrap_or(u32::MAX))
}

/// The `Metrics` of PutMetricAlarm (MetricDataQuery structures).
pub(crate) fn queries(input: &Input<'_>) -> Vec<AlarmQuery> {
    input
        .list("Metrics")
        .unwrap_or_default()
        .iter()
        .map(|q| AlarmQuery {
            id: q.str("Id").unwrap_or_default().to_owned(),
            metric_stat: q.structure("MetricStat").map(|s| {
                let metric = s.structure("Metric");
                AlarmMetricStat {
                    namespace: metric.and_then(|m| m.str("Namespace")).map(str::to_owned),
                    metric_name: metric.and_then(|m| m.str("MetricName")).map(str::to_owned),
                    dimensions: metric.map(dimensions).unwrap_or_default(),
                    period: uint(s, "Period").unwrap_or_default(),
                    stat: s.str("Stat").unwrap_or_default().to_owned(),
                    unit: unit(s),
                }
            }),
            expression: q.str("Expression").map(str::to_owned),
            label: q.str("Label").map(str::to_owned),
            return_data: q.bool("ReturnData"),
            period: uint(q, "Period"),
            account_id: q.str("AccountId").map(str::to_owned),
        })
        .collect()
}

fn write_strings(w: &mut Writer, key: &str, values: &[String]) {
    w.key(key);
    w.begin_array(Some(values.len()));
    for v in values {
        w.str(v);
    }
    w.end_array();
}

fn write_opt_str(w: &mut Writer, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        w.key(key);
        w.str(v);
    }
}

fn write_time(w: &mut Writer, key: &str, ms: u64) {
    w.key(key);
    w.timestamp_ms(i64::try_from(ms).unwrap_or(i64::MAX));
}

fn write_dimensions(w: &mut Writer, dims: &[Dimension]) {
    w.key("Dimensions");
    w.begin_array(Some(dims.len()));
    for d in dims {
        w.begin_map(Some(2));
        w.key("Name");
        w.str(&d.name);
        w.key("Value");
        w.str(&d.value);
        w.end_map();
    }
    w.end_array();
}

fn write_state(w: &mut Writer, state: &StateInfo) {
    w.key("StateValue");
    w.str(state.value.as_str());
    w.key("StateReason");
    w.str(&state.reason);
    write_opt_str(w, "StateReasonData", state.reason_data.as_deref());
    write_time(w, "StateUpdatedTimestamp", state.updated_ms);
}

fn write_query(w: &mut Writer, q: &AlarmQuery) {
    w.begin_map(None);
    w.key("Id");
    w.str(&q.id);
    if let Some(stat) = &q.metric_stat {
        w.key("MetricStat");
        w.begin_map(None);
        w.key("Metric");
        w.begin_map(None);
        write_opt_str(w, "Namespace", stat.namespace.as_deref());
        write_opt_str(w, "MetricName", stat.metric_name.as_deref());
        write_dimensions(w, &stat.dimensions);
        w.end_map();
        w.key("Period");
        w.int(i64::from(stat.period));
        w.key("Stat");
        w.str(&stat.stat);
        write_opt_str(w, "Unit", stat.unit.map(Unit::as_str));
        w.end_map();
    }
    write_opt_str(w, "Expression", q.expression.as_deref());
    write_opt_str(w, "Label", q.label.as_deref());
    w.key("ReturnData");
    w.bool(q.return_data.unwrap_or(true));
    if let Some(p) = q.period {
        w.key("Period");
        w.int(i64::from(p));
    }
    write_opt_str(w, "AccountId", q.account_id.as_deref());
    w.end_map();
}

/// One `MetricAlarm` structure.
pub(crate) fn write_metric_alarm(w: &mut Writer, a: &MetricAlarm) {
    let d = &a.definition;
    w.begin_map(None);
    w.key("AlarmName");
    w.str(&d.alarm_name);
    w.key("AlarmArn");
    w.str(&a.alarm_arn);
    write_opt_str(w, "AlarmDescription", d.alarm_description.as_deref());
    write_time(
        w,
        "AlarmConfigurationUpdatedTimestamp",
        a.configuration_updated_ms,
    );
    w.key("ActionsEnabled");
    w.bool(a.actions_enabled());
    write_strings(w, "OKActions", &d.ok_actions);
    write_strings(w, "AlarmActions", &d.alarm_actions);
    write_strings(w, "InsufficientDataActions", &d.insufficient_data_actions);
    write_state(w, &a.state);
    write_opt_str(w, "MetricName", d.metric_name.as_deref());
    write_opt_str(w, "Namespace", d.namespace.as_deref());
    write_opt_str(w, "Statistic", d.statistic.as_deref());
    write_opt_str(w, "ExtendedStatistic", d.extended_statistic.as_deref());
    write_dimensions(w, &d.dimensions);
    if let Some(p) = d.period {
        w.key("Period");
        w.int(i64::from(p));
    }
    write_opt_str(w, "Unit", d.unit.map(Unit::as_str));
    if let Some(n) = d.evaluation_periods {
        w.key("EvaluationPeriods");
        w.int(i64::from(n));
    }
    if let Some(m) = d.datapoints_to_alarm {
        w.key("DatapointsToAlarm");
        w.int(i64::from(m));
    }
    if let Some(t) = d.threshold {
        w.key("Threshold");
        w.float(t);
    }
    write_opt_str(
        w,
        "ComparisonOperator",
        d.comparison_operator.map(|c| c.as_str()),
    );
    write_opt_str(w, "TreatMissingData", d.treat_missing_data.as_deref());
    write_opt_str(
        w,
        "EvaluateLowSampleCountPercentile",
        d.evaluate_low_sample_count_percentile.as_deref(),
    );
    if !d.metrics.is_empty() {
        w.key("Metrics");
        w.begin_array(Some(d.metrics.len()));
        for q in &d.metrics {
            write_query(w, q);
        }
        w.end_array();
    }
    write_opt_str(w, "ThresholdMetricId", d.threshold_metric_id.as_deref());
    write_time(w, "StateTransitionedTimestamp", a.state.transitioned_ms);
    w.end_map();
}

/// One `CompositeAlarm` structure.
pub(crate) fn write_composite_alarm(w: &mut Writer, a: &CompositeAlarm) {
    let d = &a.definition;
    w.begin_map(None);
    w.key("ActionsEnabled");
    w.bool(a.actions_enabled());
    write_strings(w, "AlarmActions", &d.alarm_actions);
    w.key("AlarmArn");
    w.str(&a.alarm_arn);
    write_time(
        w,
        "AlarmConfigurationUpdatedTimestamp",
        a.configuration_updated_ms,
    );
    write_opt_str(w, "AlarmDescription", d.alarm_description.as_deref());
    w.key("AlarmName");
    w.str(&d.alarm_name);
    w.key("AlarmRule");
    w.str(&d.alarm_rule);
    write_strings(w, "InsufficientDataActions", &d.insufficient_data_actions);
    write_strings(w, "OKActions", &d.ok_actions);
    write_state(w, &a.state);
    write_time(w, "StateTransitionedTimestamp", a.state.transitioned_ms);
    write_opt_str(w, "ActionsSuppressor", d.actions_suppressor.as_deref());
    if let Some(p) = d.actions_suppressor_wait_period {
        w.key("ActionsSuppressorWaitPeriod");
        w.int(i64::from(p));
    }
    if let Some(p) = d.actions_suppressor_extension_period {
        w.key("ActionsSuppressorExtensionPeriod");
        w.int(i64::from(p));
    }
    w.end_map();
}

/// One `AlarmHistoryItem` structure.
pub(crate) fn write_history_item(w: &mut Writer, h: &HistoryItem) {
    w.begin_map(Some(6));
    w.key("AlarmName");
    w.str(&h.alarm_name);
    w.key("AlarmType");
    w.str(h.alarm_type.as_str());
    write_time(w, "Timestamp", h.timestamp_ms);
    w.key("HistoryItemType");
    w.str(h.item_type.as_str());
    w.key("HistorySummary");
    w.str(&h.summary);
    w.key("HistoryData");
    w.str(&h.data);
    w.end_map();
}

/// A `Tags` list member.
pub(crate) fn write_tags(w: &mut Writer, tags: &[Tag]) {
    w.key("Tags");
    w.begin_array(Some(tags.len()));
    for t in tags {
        w.begin_map(Some(2));
        w.key("Key");
        w.str(&t.key);
        w.key("Value");
        w.str(&t.value);
        w.end_map();
    }
    w.end_array();
}

/// A list of `MetricAlarm`s under `key`.
pub(crate) fn write_metric_alarms(w: &mut Writer, key: &str, alarms: &[MetricAlarm]) {
    w.key(key);
    w.begin_array(Some(alarms.len()));
    for a in alarms {
        write_metric_alarm(w, a);
    }
    w.end_array();
}
