//! An alarm's configuration as ConfigurationUpdate history items carry it (facts file section
//! 4): camelCase keys, dimensions as `{"value","name"}`, optional members only when set, and
//! the real quirk `okactions` in lower case.

use serde::Serialize;

use crate::dates::iso_millis;
use crate::model::{AlarmQuery, CompositeAlarm, Dimension, MetricAlarm};

/// A dimension as alarm messages and history write it: `{"value": .., "name": ..}`.
#[derive(Serialize)]
pub(crate) struct DimensionJson<'a> {
    value: &'a str,
    name: &'a str,
}

/// The dimensions in that shape.
pub(crate) fn dims(d: &[Dimension]) -> Vec<DimensionJson<'_>> {
    d.iter()
        .map(|d| DimensionJson {
            value: &d.value,
            name: &d.name,
        })
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QueryJson<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    metric_stat: Option<StatJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expression: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'a str>,
    return_data: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatJson<'a> {
    metric: MetricJson<'a>,
    period: u32,
    stat: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MetricJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metric_name: Option<&'a str>,
    dimensions: Vec<DimensionJson<'a>>,
}

fn queries(q: &[AlarmQuery]) -> Vec<QueryJson<'_>> {
    q.iter()
        .map(|q| QueryJson {
            id: &q.id,
            metric_stat: q.metric_stat.as_ref().map(|ms| StatJson {
                metric: MetricJson {
                    namespace: ms.namespace.as_deref(),
                    metric_name: ms.metric_name.as_deref(),
                    dimensions: dims(&ms.dimensions),
                },
                period: ms.period,
                stat: &ms.stat,
                unit: ms.unit.map(|u| u.as_str()),
            }),
            expression: q.expression.as_deref(),
            label: q.label.as_deref(),
            return_data: q.return_data.unwrap_or(true),
            period: q.period,
        })
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MetricAlarmJson<'a> {
    alarm_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    alarm_description: Option<&'a str>,
    alarm_arn: &'a str,
    alarm_configuration_updated_timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metric_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    statistic: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extended_statistic: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dimensions: Option<Vec<DimensionJson<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metrics: Option<Vec<QueryJson<'a>>>,
    threshold: Option<f64>,
    comparison_operator: Option<&'static str>,
    evaluation_periods: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    datapoints_to_alarm: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    treat_missing_data: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evaluate_low_sample_count_percentile: Option<&'a str>,
    state_value: &'static str,
    state_updated_timestamp: String,
    actions_enabled: bool,
    alarm_actions: &'a [String],
    insufficient_data_actions: &'a [String],
    okactions: &'a [String],
}

/// The JSON object of a metric alarm's configuration.
pub(crate) fn metric(a: &MetricAlarm) -> String {
    let d = &a.definition;
    let single = d.metrics.is_empty();
    let j = MetricAlarmJson {
        alarm_name: &d.alarm_name,
        alarm_description: d.alarm_description.as_deref(),
        alarm_arn: &a.alarm_arn,
        alarm_configuration_updated_timestamp: iso_millis(a.configuration_updated_ms),
        namespace: d.namespace.as_deref(),
        metric_name: d.metric_name.as_deref(),
        statistic: d.statistic.as_deref(),
        extended_statistic: d.extended_statistic.as_deref(),
        period: d.period,
        unit: d.unit.map(|u| u.as_str()),
        dimensions: single.then(|| dims(&d.dimensions)),
        metrics: (!single).then(|| queries(&d.metrics)),
        threshold: d.threshold,
        comparison_operator: d.comparison_operator.map(|o| o.as_str()),
        evaluation_periods: d.evaluation_periods,
        datapoints_to_alarm: d.datapoints_to_alarm,
        treat_missing_data: d.treat_missing_data.as_deref(),
        evaluate_low_sample_count_percentile: d.evaluate_low_sample_count_percentile.as_deref(),
        state_value: a.state.value.as_str(),
        state_updated_timestamp: iso_millis(a.state.updated_ms),
        actions_enabled: a.actions_enabled(),
        alarm_actions: &d.alarm_actions,
        insufficient_data_actions: &d.insufficient_data_actions,
        okactions: &d.ok_actions,
    };
    serde_json::to_string(&j).unwrap_or_else(|_| "{}".to_owned())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CompositeAlarmJson<'a> {
    alarm_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    alarm_description: Option<&'a str>,
    alarm_arn: &'a str,
    alarm_configuration_updated_timestamp: String,
    alarm_rule: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    actions_suppressor: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actions_suppressor_wait_period: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actions_suppressor_extension_period: Option<i32>,
    state_value: &'static str,
    state_updated_timestamp: String,
    actions_enabled: bool,
    alarm_actions: &'a [String],
    insufficient_data_actions: &'a [String],
    okactions: &'a [String],
}

/// The JSON object of a composite alarm's configuration (same shape, AWS's own not seen).
pub(crate) fn composite(a: &CompositeAlarm) -> String {
    let d = &a.definition;
    let j = CompositeAlarmJson {
        alarm_name: &d.alarm_name,
        alarm_description: d.alarm_description.as_deref(),
        alarm_arn: &a.alarm_arn,
        alarm_configuration_updated_timestamp: iso_millis(a.configuration_updated_ms),
        alarm_rule: &d.alarm_rule,
        actions_suppressor: d.actions_suppressor.as_deref(),
        actions_suppressor_wait_period: d.actions_suppressor_wait_period,
        actions_suppressor_extension_period: d.actions_suppressor_extension_period,
        state_value: a.state.value.as_str(),
        state_updated_timestamp: iso_millis(a.state.updated_ms),
        actions_enabled: a.actions_enabled(),
        alarm_actions: &d.alarm_actions,
        insufficient_data_actions: &d.insufficient_data_actions,
        okactions: &d.ok_actions,
    };
    serde_json::to_string(&j).unwrap_or_else(|_| "{}".to_owned())
}
