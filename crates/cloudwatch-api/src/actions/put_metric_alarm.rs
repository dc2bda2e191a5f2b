//! PutMetricAlarm: creates or replaces a metric alarm (one metric, or metric math through
//! `Metrics`).

use alarm_engine::{ComparisonOperator, MetricAlarmDefinition};
use aws_wire::{Input, Member, Writer};

use super::alarm_codec::{dimensions, queries, strings, tags, uint, unit};
use super::alarm_shapes::{
    ALARM_DESCRIPTION, ALARM_NAME, AT_LEAST_ONE, COMPARISON_OPERATOR, NAME_255, RESOURCE_LIST,
    STATISTIC, TAG_LIST,
};
use super::get_metric_data::QUERIES;
use crate::Ctx;
use crate::error::CwResult;
use crate::shapes::{BOOLEAN, DIMENSIONS, DOUBLE, METRIC_NAME, NAMESPACE, PERIOD, STRING, UNIT};

pub(crate) static INPUT: [Member; 22] = [
    Member::required("AlarmName", &ALARM_NAME),
    Member::optional("AlarmDescription", &ALARM_DESCRIPTION),
    Member::optional("ActionsEnabled", &BOOLEAN),
    Member::optional("OKActions", &RESOURCE_LIST),
    Member::optional("AlarmActions", &RESOURCE_LIST),
    Member::optional("InsufficientDataActions", &RESOURCE_LIST),
    Member::optional("MetricName", &METRIC_NAME),
    Member::optional("Namespace", &NAMESPACE),
    Member::optional("Statistic", &STATISTIC),
    Member::optional("ExtendedStatistic", &STRING),
    Member::optional("Dimensions", &DIMENSIONS),
    Member::optional("Period", &PERIOD),
    Member::optional("Unit", &UNIT),
    Member::optional("EvaluationPeriods", &AT_LEAST_ONE),
    Member::optional("DatapointsToAlarm", &AT_LEAST_ONE),
    Member::optional("Threshold", &DOUBLE),
    Member::optional("ComparisonOperator", &COMPARISON_OPERATOR),
    Member::optional("TreatMissingData", &NAME_255),
    Member::optional("EvaluateLowSampleCountPercentile", &NAME_255),
    Member::optional("Metrics", &QUERIES),
    Member::optional("Tags", &TAG_LIST),
    Member::optional("ThresholdMetricId", &NAME_255),
];

pub(crate) fn run(cx: &Ctx<'_>, input: Input<'_>, _w: &mut Writer) -> CwResult {
    let owned = |name: &str| input.str(name).map(str::to_owned);
    let definition = MetricAlarmDefinition {
        alarm_name: input.str("AlarmName").unwrap_or_default().to_owned(),
        alarm_description: owned("AlarmDescription"),
        actions_enabled: input.bool("ActionsEnabled"),
        ok_actions: strings(&input, "OKActions"),
        alarm_actions: strings(&input, "AlarmActions"),
        insufficient_data_actions: strings(&input, "InsufficientDataActions"),
        metric_name: owned("MetricName"),
        namespace: owned("Namespace"),
        statistic: owned("Statistic"),
        extended_statistic: owned("ExtendedStatistic"),
        dimensions: dimensions(&input),
        period: uint(&input, "Period"),
        unit: unit(&input),
        evaluation_periods: uint(&input, "EvaluationPeriods"),
        datapoints_to_alarm: uint(&input, "DatapointsToAlarm"),
        threshold: input.float("Threshold"),
        comparison_operator: input
            .str("ComparisonOperator")
            .and_then(ComparisonOperator::parse),
        treat_missing_data: owned("TreatMissingData"),
        evaluate_low_sample_count_percentile: owned("EvaluateLowSampleCountPercentile"),
        metrics: queries(&input),
        threshold_metric_id: owned("ThresholdMetricId"),
        tags: tags(&input),
    };
    cx.alarms.put_metric_alarm(definition)?;
    Ok(())
}
