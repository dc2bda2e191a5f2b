//! GetMetricStatistics: statistics of one metric over time, at most 1,440 datapoints.

use aws_wire::{Input, Member, Shape, Writer};
use metric_store::{Error as StoreError, MetricKey, Statistic, Unit};

use crate::Ctx;
use crate::error::{CwError, CwResult};
use crate::shapes::{
    DIMENSIONS, METRIC_NAME, NAMESPACE, PERIOD, STRING, TIMESTAMP, UNIT, dimensions, valid_period,
};

static STATISTICS: Shape = Shape::List {
    member: &STRING,
    min_len: Some(1),
    max_len: Some(5),
    member_str: None,
};
static EXTENDED: Shape = Shape::List {
    member: &STRING,
    min_len: Some(1),
    max_len: Some(10),
    member_str: None,
};

/// Required members are checked by hand, for CloudWatch's `MissingParameter` error.
pub(crate) static INPUT: [Member; 9] = [
    Member::optional("Namespace", &NAMESPACE),
    Member::optional("MetricName", &METRIC_NAME),
    Member::optional("Dimensions", &DIMENSIONS),
    Member::optional("StartTime", &TIMESTAMP),
    Member::optional("EndTime", &TIMESTAMP),
    Member::optional("Period", &PERIOD),
    Member::optional("Statistics", &STATISTICS),
    Member::optional("ExtendedStatistics", &EXTENDED),
    Member::optional("Unit", &UNIT),
];

/// Datapoints one call may return.
pub const MAX_DATAPOINTS: u64 = 1440;
const STANDARD: [&str; 5] = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];

fn required<T>(v: Option<T>, name: &str) -> CwResult<T> {
    v.ok_or_else(|| CwError::missing(format!("The parameter {name} is required.")))
}

pub(crate) fn run(cx: &Ctx<'_>, input: Input<'_>, w: &mut Writer) -> CwResult {
    let namespace = required(input.str("Namespace"), "Namespace")?;
    let name = required(input.str("MetricName"), "MetricName")?;
    let start = required(input.timestamp_ms("StartTime"), "StartTime")?;
    let end = required(input.timestamp_ms("EndTime"), "EndTime")?;
    let period = required(input.int("Period"), "Period")?;
    let standard = input.str_list("Statistics");
    let extended = input.str_list("ExtendedStatistics");
    let (stats, names): (Vec<Statistic>, Vec<String>) = match (&standard, &extended) {
        (Some(_), Some(_)) => {
            return Err(CwError::combination(
                "The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.",
            ));
        }
        (None, None) => {
            return Err(CwError::combination(
                "Must specify either Statistics or ExtendedStatistics.",
            ));
        }
        (Some(list), None) => {
            let mut out = Vec::new();
            for (i, s) in list.iter().enumerate() {
                if !STANDARD.contains(s) {
                    return Err(CwError::invalid_value(format!(
                        "The parameter Statistics.member.{} must be a value in the set [SampleCount, Average, Sum, Minimum, Maximum].",
                        i + 1
                    )));
                }
                out.push((
                    Statistic::parse(s).map_err(|e| CwError::invalid_value(e.to_string()))?,
                    (*s).to_owned(),
                ));
            }
            out.into_iter().unzip()
        }
        (None, Some(list)) => {
            let mut out = Vec::new();
            for (i, s) in list.iter().enumerate() {
                match Statistic::parse(s) {
                    Ok(stat @ Statistic::Percentile(_)) => out.push((stat, (*s).to_owned())),
                    _ => {
                        return Err(CwError::invalid_value(format!(
                            "The value {s} for parameter ExtendedStatistics.member.{} is invalid. Percentiles must be between p0.0 and p100.",
                            i + 1
                        )));
                    }
                }
            }
            out.into_iter().unzip()
        }
    };
    if !valid_period(period) {
        return Err(CwError::invalid_value(
            "The parameter Period must be 1, 5, 10, 20, 30, or a multiple of 60.",
        ));
    }
    if start >= end {
        return Err(CwError::invalid_value(
            "The parameter StartTime must be less than the parameter EndTime.",
        ));
    }
    let period_ms = period as u64 * 1000;
    let requested = ((end - start) as u64).div_ceil(period_ms);
    if requested > MAX_DATAPOINTS {
        return Err(CwError::combination(format!(
            "You have requested up to {requested} datapoints, which exceeds the limit of {MAX_DATAPOINTS}. You may reduce the datapoints requested by increasing Period, or decreasing the time range."
        )));
    }
    let key = MetricKey::new(namespace, name, dimensions(&input))
        .map_err(|e| CwError::invalid_value(e.to_string()))?;
    let unit = input.str("Unit").and_then(|u| Unit::parse(u).ok());
    // With a unit, only the data stored in it; without, each unit's data apart.
    let (from, to) = (start.max(0) as u64, end.max(0) as u64);
    let points = match unit {
        Some(_) => cx
            .store
            .query_in(&key, from, to, period as u32, &stats, unit),
        None => cx
            .store
            .query_each_unit(&key, from, to, period as u32, &stats),
    };
    let points = match points {
        Ok(p) => p,
        Err(StoreError::HighResolutionExpired { .. }) => Vec::new(),
        Err(e) => return Err(CwError::invalid_value(e.to_string())),
    };
    let points: Vec<_> = points
        .into_iter()
        .filter(|p| unit.is_none_or(|u| u == p.unit))
        .collect();
    let is_extended = extended.is_some();
    w.begin_map(Some(2));
    w.key("Label");
    w.str(name);
    w.key("Datapoints");
    w.begin_array(Some(points.len()));
    for p in &points {
        w.begin_map(None);
        w.key("Timestamp");
        w.timestamp_ms(p.timestamp_ms as i64);
        if is_extended {
            w.key("Unit");
            w.str(p.unit.as_str());
            w.key("ExtendedStatistics");
            let present: Vec<(&String, f64)> = names
                .iter()
                .zip(&p.values)
                .filter_map(|(n, v)| v.map(|v| (n, v)))
                .collect();
            w.begin_dict(Some(present.len()));
            for (n, v) in present {
                w.key(n);
                w.float(v);
            }
            w.end_dict();
        } else {
            for (n, v) in names.iter().zip(&p.values) {
                if let Some(v) = v {
                    w.key(n);
                    w.float(*v);
                }
            }
            w.key("Unit");
            w.str(p.unit.as_str());
        }
        w.end_map();
    }
    w.end_array();
    w.end_map();
    Ok(())
}
