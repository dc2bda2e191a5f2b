//! DescribeAlarmsForMetric: the metric alarms that watch one metric.

use alarm_engine::ForMetricQuery;
use aws_wire::{Input, Member, Writer};

use super::alarm_codec::{dimensions, uint, unit, write_metric_alarms};
use super::alarm_shapes::STATISTIC;
use crate::Ctx;
use crate::error::CwResult;
use crate::shapes::{DIMENSIONS, METRIC_NAME, NAMESPACE, PERIOD, STRING, UNIT};

pub(crate) static INPUT: [Member; 7] = [
    Member::required("MetricName", &METRIC_NAME),
    Member::required("Namespace", &NAMESPACE),
    Member::optional("Statistic", &STATISTIC),
    Member::optional("ExtendedStatistic", &STRING),
    Member::optional("Dimensions", &DIMENSIONS),
    Member::optional("Period", &PERIOD),
    Member::optional("Unit", &UNIT),
];

pub(crate) fn run(cx: &Ctx<'_>, input: Input<'_>, w: &mut Writer) -> CwResult {
    let query = ForMetricQuery {
        namespace: input.str("Namespace").unwrap_or_default().to_owned(),
        metric_name: input.str("MetricName").unwrap_or_default().to_owned(),
        dimensions: dimensions(&input),
        statistic: input.str("Statistic").map(str::to_owned),
        extended_statistic: input.str("ExtendedStatistic").map(str::to_owned),
        period: uint(&input, "Period"),
        unit: unit(&input),
    };
    let alarms = cx.alarms.describe_alarms_for_metric(&query);
    w.begin_map(Some(1));
    write_metric_alarms(w, "MetricAlarms", &alarms);
    w.end_map();
    Ok(())
}
