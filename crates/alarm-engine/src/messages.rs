//! What alarm actions send (facts file section 5): the SNS subject and message of metric and
//! composite alarms, and the Lambda alarm event. Keys are in AWS's order (struct order).

use serde::Serialize;

use crate::config_json::{DimensionJson, dims};
use crate::dates::iso_millis;
use crate::model::{
    AlarmMetricStat, AlarmQuery, CompositeAlarm, Dimension, MetricAlarm, StateInfo,
};
use crate::reason::Trigger;
use crate::validate::Compiled;

/// The long display name of a Region, as SNS messages and subjects give it.
pub(crate) fn region_name(region: &str) -> &str {
    match region {
        "us-east-1" => "US East (N. Virginia)",
        "us-east-2" => "US East (Ohio)",
        "us-west-1" => "US West (N. California)",
        "us-west-2" => "US West (Oregon)",
        "ca-central-1" => "Canada (Central)",
        "ca-west-1" => "Canada West (Calgary)",
        "eu-west-1" => "EU (Ireland)",
        "eu-west-2" => "EU (London)",
        "eu-west-3" => "EU (Paris)",
        "eu-central-1" => "EU (Frankfurt)",
        "eu-central-2" => "EU (Zurich)",
        "eu-north-1" => "EU (Stockholm)",
        "eu-south-1" => "EU (Milan)",
        "eu-south-2" => "EU (Spain)",
        "ap-east-1" => "Asia Pacific (Hong Kong)",
        "ap-south-1" => "Asia Pacific (Mumbai)",
        "ap-south-2" => "Asia Pacific (Hyderabad)",
        "ap-northeast-1" => "Asia Pacific (Tokyo)",
        "ap-northeast-2" => "Asia Pacific (Seoul)",
        "ap-northeast-3" => "Asia Pacific (Osaka)",
        "ap-southeast-1" => "Asia Pacific (Singapore)",
        "ap-southeast-2" => "Asia Pacific (Sydney)",
        "ap-southeast-3" => "Asia Pacific (Jakarta)",
        "ap-southeast-4" => "Asia Pacific (Melbourne)",
        "sa-east-1" => "South America (Sao Paulo)",
        "af-south-1" => "Africa (Cape Town)",
        "me-south-1" => "Middle East (Bahrain)",
        "me-central-1" => "Middle East (UAE)",
        "il-central-1" => "Israel (Tel Aviv)",
        other => other,
    }
}

/// `ALARM: "name" in US East (N. Virginia)`; characters outside ASCII become `_` (facts:
/// `Sesión` -> `Sesi_n`). Cut to 100 characters, SNS's limit for a subject (AWS's own
/// handling of longer names not known).
pub(crate) fn subject(state: &str, name: &str, region: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '_'
            }
        })
        .collect();
    let s = format!("{state}: \"{name}\" in {}", region_name(region));
    s.chars().take(100).collect()
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MetricJson<'a> {
    dimensions: Vec<DimensionJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metric_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MetricStatJson<'a> {
    metric: MetricJson<'a>,
    period: u32,
    stat: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct QueryJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    expression: Option<&'a str>,
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metric_stat: Option<MetricStatJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<u32>,
    return_data: bool,
}

fn queries(q: &[AlarmQuery]) -> Vec<QueryJson<'_>> {
    q.iter()
        .map(|q| QueryJson {
            expression: q.expression.as_deref(),
            id: &q.id,
            label: q.label.as_deref(),
            metric_stat: q
                .metric_stat
                .as_ref()
                .map(|ms: &AlarmMetricStat| MetricStatJson {
                    metric: MetricJson {
                        dimensions: dims(&ms.dimensions),
                        metric_name: ms.metric_name.as_deref(),
                        namespace: ms.namespace.as_deref(),
                    },
                    period: ms.period,
                    stat: &ms.stat,
                    unit: ms.unit.map(|u| u.as_str()),
                }),
            period: q.period,
            return_data: q.return_data.unwrap_or(true),
        })
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TriggerJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    metric_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    statistic_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    statistic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extended_statistic: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<Option<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dimensions: Option<Vec<DimensionJson<'a>>>,
    period: u32,
    evaluation_periods: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    datapoints_to_alarm: Option<u32>,
    comparison_operator: &'static str,
    threshold: f64,
    treat_missing_data: &'static str,
    evaluate_low_sample_count_percentile: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    metrics: Option<Vec<QueryJson<'a>>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SnsMetricMessage<'a> {
    alarm_name: &'a str,
    alarm_description: Option<&'a str>,
    #[serde(rename = "AWSAccountId")]
    aws_account_id: &'a str,
    alarm_configuration_updated_timestamp: String,
    new_state_value: &'static str,
    new_state_reason: &'a str,
    state_change_time: String,
    region: &'a str,
    alarm_arn: &'a str,
    old_state_value: &'static str,
    #[serde(rename = "OKActions")]
    ok_actions: &'a [String],
    alarm_actions: &'a [String],
    insufficient_data_actions: &'a [String],
    trigger: TriggerJson<'a>,
}

/// `SUM`, `AVERAGE`, `SAMPLE_COUNT`, ... as the Trigger spells statistics.
fn upper_statistic(s: &str) -> String {
    match s {
        "SampleCount" => "SAMPLE_COUNT".to_owned(),
        other => other.to_ascii_uppercase(),
    }
}

/// The SNS message of a metric alarm's state change.
pub(crate) fn sns_metric(
    alarm: &MetricAlarm,
    compiled: &Compiled,
    old: &StateInfo,
    account: &str,
    region: &str,
) -> String {
    let d = &alarm.definition;
    let single = d.metrics.is_empty();
    let trigger = TriggerJson {
        metric_name: d.metric_name.as_deref(),
        namespace: d.namespace.as_deref(),
        statistic_type: single.then_some(if d.extended_statistic.is_some() {
            "ExtendedStatistic"
        } else {
            "Statistic"
        }),
        statistic: d.statistic.as_deref().map(upper_statistic),
        extended_statistic: d.extended_statistic.as_deref(),
        unit: single.then_some(d.unit.map(|u| u.as_str())),
        dimensions: single.then(|| dims(&d.dimensions)),
        period: compiled.period,
        evaluation_periods: compiled.n,
        datapoints_to_alarm: d.datapoints_to_alarm,
        comparison_operator: compiled.op.as_str(),
        threshold: compiled.threshold,
        treat_missing_data: compiled.treat.as_str(),
        evaluate_low_sample_count_percentile: d
            .evaluate_low_sample_count_percentile
            .as_deref()
            .unwrap_or(""),
        metrics: (!single).then(|| queries(&d.metrics)),
    };
    let msg = SnsMetricMessage {
        alarm_name: &d.alarm_name,
        alarm_description: d.alarm_description.as_deref(),
        aws_account_id: account,
        alarm_configuration_updated_timestamp: iso_millis(alarm.configuration_updated_ms),
        new_state_value: alarm.state.value.as_str(),
        new_state_reason: &alarm.state.reason,
        state_change_time: iso_millis(alarm.state.updated_ms),
        region: region_name(region),
        alarm_arn: &alarm.alarm_arn,
        old_state_value: old.value.as_str(),
        ok_actions: &d.ok_actions,
        alarm_actions: &d.alarm_actions,
        insufficient_data_actions: &d.insufficient_data_actions,
        trigger,
    };
    serde_json::to_string(&msg).unwrap_or_default()
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ChildState {
    value: &'static str,
    timestamp: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TriggeringChild<'a> {
    arn: &'a str,
    state: ChildState,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SnsCompositeMessage<'a> {
    alarm_name: &'a str,
    alarm_description: Option<&'a str>,
    #[serde(rename = "AWSAccountId")]
    aws_account_id: &'a str,
    new_state_value: &'static str,
    new_state_reason: &'a str,
    state_change_time: String,
    region: &'a str,
    alarm_arn: &'a str,
    old_state_value: &'static str,
    alarm_rule: &'a str,
    triggering_children: Vec<TriggeringChild<'a>>,
}

/// The SNS message of a composite alarm's state change.
pub(crate) fn sns_composite(
    alarm: &CompositeAlarm,
    old: &StateInfo,
    triggers: &[Trigger<'_>],
    account: &str,
    region: &str,
) -> String {
    let d = &alarm.definition;
    let msg = SnsCompositeMessage {
        alarm_name: &d.alarm_name,
        alarm_description: d.alarm_description.as_deref(),
        aws_account_id: account,
        new_state_value: alarm.state.value.as_str(),
        new_state_reason: &alarm.state.reason,
        state_change_time: iso_millis(alarm.state.updated_ms),
        region: region_name(region),
        alarm_arn: &alarm.alarm_arn,
        old_state_value: old.value.as_str(),
        alarm_rule: &d.alarm_rule,
        triggering_children: triggers
            .iter()
            .map(|t| TriggeringChild {
                arn: t.arn,
                state: ChildState {
                    value: t.state.as_str(),
                    timestamp: iso_millis(t.transitioned_ms),
                },
            })
            .collect(),
    };
    serde_json::to_string(&msg).unwrap_or_default()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LambdaState<'a> {
    value: &'static str,
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason_data: Option<&'a str>,
    timestamp: String,
}

fn lambda_state(s: &StateInfo) -> LambdaState<'_> {
    LambdaState {
        value: s.value.as_str(),
        reason: &s.reason,
        reason_data: s.reason_data.as_deref(),
        timestamp: iso_millis(s.updated_ms),
    }
}

#[derive(Serialize)]
struct LambdaMetric<'a> {
    namespace: Option<&'a str>,
    name: Option<&'a str>,
    dimensions: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LambdaMetricStat<'a> {
    metric: LambdaMetric<'a>,
    period: u32,
    stat: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LambdaQuery<'a> {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    metric_stat: Option<LambdaMetricStat<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expression: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'a str>,
    return_data: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LambdaConfiguration<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metrics: Option<Vec<LambdaQuery<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alarm_rule: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actions_suppressor: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actions_suppressor_wait_period: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actions_suppressor_extension_period: Option<i32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LambdaAlarmData<'a> {
    alarm_name: &'a str,
    state: LambdaState<'a>,
    previous_state: LambdaState<'a>,
    configuration: LambdaConfiguration<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LambdaEvent<'a> {
    source: &'static str,
    alarm_arn: &'a str,
    account_id: &'a str,
    time: String,
    region: &'a str,
    alarm_data: LambdaAlarmData<'a>,
}

fn dims_map(d: &[Dimension]) -> serde_json::Map<String, serde_json::Value> {
    d.iter()
        .map(|d| (d.name.clone(), serde_json::Value::String(d.value.clone())))
        .collect()
}

/// A stable id for the single metric of a non-math alarm, shaped like the UUID AWS puts
/// there (FNV-1a of the ARN; AWS's id is its own).
fn metric_uuid(arn: &str) -> String {
    let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for b in arn.bytes() {
        h ^= u128::from(b);
        h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
    }
    let x = format!("{h:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

/// The Lambda alarm event of a metric alarm's state change.
pub(crate) fn lambda_metric(
    alarm: &MetricAlarm,
    old: &StateInfo,
    account: &str,
    region: &str,
) -> String {
    let d = &alarm.definition;
    let metrics = if d.metrics.is_empty() {
        vec![LambdaQuery {
            id: metric_uuid(&alarm.alarm_arn),
            metric_stat: Some(LambdaMetricStat {
                metric: LambdaMetric {
                    namespace: d.namespace.as_deref(),
                    name: d.metric_name.as_deref(),
                    dimensions: dims_map(&d.dimensions),
                },
                period: d.period.unwrap_or(60),
                stat: d
                    .statistic
                    .as_deref()
                    .or(d.extended_statistic.as_deref())
                    .unwrap_or(""),
                unit: d.unit.map(|u| u.as_str()),
            }),
            expression: None,
            label: None,
            return_data: true,
        }]
    } else {
        d.metrics
            .iter()
            .map(|q| LambdaQuery {
                id: q.id.clone(),
                metric_stat: q.metric_stat.as_ref().map(|ms| LambdaMetricStat {
                    metric: LambdaMetric {
                        namespace: ms.namespace.as_deref(),
                        name: ms.metric_name.as_deref(),
                        dimensions: dims_map(&ms.dimensions),
                    },
                    period: ms.period,
                    stat: &ms.stat,
                    unit: ms.unit.map(|u| u.as_str()),
                }),
                expression: q.expression.as_deref(),
                label: q.label.as_deref(),
                return_data: q.return_data.unwrap_or(true),
            })
            .collect()
    };
    let event = LambdaEvent {
        source: "aws.cloudwatch",
        alarm_arn: &alarm.alarm_arn,
        account_id: account,
        time: iso_millis(alarm.state.updated_ms),
        region,
        alarm_data: LambdaAlarmData {
            alarm_name: &d.alarm_name,
            state: lambda_state(&alarm.state),
            previous_state: lambda_state(old),
            configuration: LambdaConfiguration {
                description: d.alarm_description.as_deref(),
                metrics: Some(metrics),
                alarm_rule: None,
                actions_suppressor: None,
                actions_suppressor_wait_period: None,
                actions_suppressor_extension_period: None,
            },
        },
    };
    serde_json::to_string(&event).unwrap_or_default()
}

/// The Lambda alarm event of a composite alarm's state change.
pub(crate) fn lambda_composite(
    alarm: &CompositeAlarm,
    old: &StateInfo,
    account: &str,
    region: &str,
) -> String {
    let d = &alarm.definition;
    let event = LambdaEvent {
        source: "aws.cloudwatch",
        alarm_arn: &alarm.alarm_arn,
        account_id: account,
        time: iso_millis(alarm.state.updated_ms),
        region,
        alarm_data: LambdaAlarmData {
            alarm_name: &d.alarm_name,
            state: lambda_state(&alarm.state),
            previous_state: lambda_state(old),
            configuration: LambdaConfiguration {
                description: d.alarm_description.as_deref(),
                metrics: None,
                alarm_rule: Some(&d.alarm_rule),
                actions_suppressor: d.actions_suppressor.as_deref(),
                actions_suppressor_wait_period: d.actions_suppressor_wait_period,
                actions_suppressor_extension_period: d.actions_suppressor_extension_period,
            },
        },
    };
    serde_json::to_string(&event).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_replace_non_ascii() {
        assert_eq!(
            subject("ALARM", "Sesión", "us-east-1"),
            "ALARM: \"Sesi_n\" in US East (N. Virginia)"
        );
        assert_eq!(
            subject("OK", "x", "ca-central-1"),
            "OK: \"x\" in Canada (Central)"
        );
        assert_eq!(subject("OK", &"y".repeat(300), "us-east-1").len(), 100);
        assert_eq!(metric_uuid("a").len(), 36);
    }
}
