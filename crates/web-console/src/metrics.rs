//! Time ranges and GetMetricData: queries built from catalogue definitions (or a dashboard's
//! metric arrays), sent at most 500 to a call, answered as series the page charts.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use metric_store::catalog::MetricDef;
use serde::{Deserialize, Serialize};

use crate::Error;

/// GetMetricData's limit of queries per call.
const MAX_QUERIES: usize = 500;

/// A time range and the period its charts use, in epoch seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeRange {
    /// First second (inclusive).
    pub start: i64,
    /// Last second (exclusive).
    pub end: i64,
    /// Seconds per datapoint.
    pub period: i32,
}

impl TimeRange {
    /// The last `seconds` up to `now`, with the period that gives about 300 points and is
    /// one CloudWatch accepts (1, 5, 10, 30 or a multiple of 60), at least `min_period`.
    pub fn last(seconds: i64, now: i64, min_period: i32) -> TimeRange {
        let seconds = seconds.clamp(60, 15 * 24 * 3600);
        let period = valid_period((seconds / 300).max(1) as i32, min_period);
        let end = (now / period as i64) * period as i64 + period as i64;
        TimeRange {
            start: end - seconds.div_euclid(period as i64).max(1) * period as i64,
            end,
            period,
        }
    }

    /// A cache key: the range rounded to its period.
    pub(crate) fn key(&self) -> String {
        format!("{}-{}-{}", self.start, self.end, self.period)
    }
}

fn valid_period(wanted: i32, min_period: i32) -> i32 {
    let wanted = wanted.max(min_period);
    match wanted {
        ..=1 => 1,
        2..=5 => 5,
        6..=10 => 10,
        11..=30 => 30,
        _ => ((wanted + 59) / 60) * 60,
    }
}

/// Now, in epoch seconds.
pub(crate) fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The range a page asks for: `range` seconds back from now (default 5 minutes), or
/// `start`/`end` epoch seconds (custom).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RangeQuery {
    pub(crate) range: Option<i64>,
    pub(crate) start: Option<i64>,
    pub(crate) end: Option<i64>,
}

impl RangeQuery {
    pub(crate) fn resolve(&self, min_period: i32) -> TimeRange {
        let now = now_secs();
        match (self.start, self.end) {
            (Some(start), Some(end)) if end > start => {
                let mut r = TimeRange::last(end - start, end, min_period);
                r.start = r.start.max(start - r.period as i64);
                r
            }
            _ => TimeRange::last(self.range.unwrap_or(300), now, min_period),
        }
    }
}

/// One series of a chart.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Series {
    /// The query's id.
    pub id: String,
    /// What the legend says.
    pub label: String,
    /// Epoch seconds, ascending.
    pub t: Vec<i64>,
    /// The values, one per timestamp.
    pub v: Vec<f64>,
    /// Whether a period without a datapoint reads as 0 (sums and counts) rather than a gap.
    pub zero: bool,
}

/// A query for one metric statistic (or an expression), with its id and label.
#[derive(Clone, Debug)]
pub(crate) struct Query {
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) zero: bool,
    pub(crate) inner: MetricDataQuery,
}

impl Query {
    /// A statistic of a catalogue metric.
    pub(crate) fn of(
        id: impl Into<String>,
        label: impl Into<String>,
        def: &MetricDef,
        dims: &[(&str, &str)],
        stat: &str,
        period: i32,
    ) -> Query {
        Query::metric(id, label, def.namespace, def.name, dims, stat, period, true)
    }

    /// A statistic of any metric (a dashboard's).
    #[allow(
        clippy::too_many_arguments,
        reason = "the members of one CloudWatch query"
    )]
    pub(crate) fn metric(
        id: impl Into<String>,
        label: impl Into<String>,
        namespace: &str,
        name: &str,
        dims: &[(&str, &str)],
        stat: &str,
        period: i32,
        return_data: bool,
    ) -> Query {
        let id = id.into();
        let metric = Metric::builder()
            .namespace(namespace)
            .metric_name(name)
            .set_dimensions(Some(
                dims.iter()
                    .map(|(n, v)| Dimension::builder().name(*n).value(*v).build())
                    .collect(),
            ))
            .build();
        let inner = MetricDataQuery::builder()
            .id(&id)
            .metric_stat(
                MetricStat::builder()
                    .metric(metric)
                    .period(period)
                    .stat(stat)
                    .build(),
            )
            .return_data(return_data)
            .build();
        Query {
            id,
            label: label.into(),
            zero: matches!(stat, "Sum" | "SampleCount"),
            inner,
        }
    }

    /// A metric-math expression over other queries' ids.
    pub(crate) fn expression(
        id: impl Into<String>,
        label: impl Into<String>,
        expression: &str,
        period: i32,
        return_data: bool,
    ) -> Query {
        let id = id.into();
        let inner = MetricDataQuery::builder()
            .id(&id)
            .expression(expression)
            .period(period)
            .return_data(return_data)
            .build();
        Query {
            id,
            label: label.into(),
            zero: false,
            inner,
        }
    }
}

/// Runs `queries` over `range` (500 to a call, following NextToken); the series by id.
/// Queries holding expressions go in the same call as the metrics they name, so a caller
/// with expressions keeps them within one batch of 500.
pub(crate) async fn fetch(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    queries: Vec<Query>,
    range: TimeRange,
) -> Result<HashMap<String, Series>, Error> {
    let mut out: HashMap<String, Series> = HashMap::new();
    let labels: HashMap<String, (String, bool)> = queries
        .iter()
        .map(|q| (q.id.clone(), (q.label.clone(), q.zero)))
        .collect();
    for chunk in queries.chunks(MAX_QUERIES) {
        let mut token = None;
        loop {
            let resp = cloudwatch
                .get_metric_data()
                .set_metric_data_queries(Some(chunk.iter().map(|q| q.inner.clone()).collect()))
                .start_time(DateTime::from_secs(range.start))
                .end_time(DateTime::from_secs(range.end))
                .scan_by(ScanBy::TimestampAscending)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| crate::backend::aws_error("GetMetricData", e))?;
            for r in resp.metric_data_results() {
                let id = r.id().unwrap_or_default().to_owned();
                let zero = labels.get(&id).is_some_and(|l| l.1);
                let series = out.entry(id.clone()).or_insert_with(|| Series {
                    zero,
                    label: labels
                        .get(&id)
                        .map(|l| l.0.clone())
                        .filter(|l| !l.is_empty())
                        .or_else(|| r.label().map(str::to_owned))
                        .unwrap_or_else(|| id.clone()),
                    id,
                    ..Series::default()
                });
                series.t.extend(r.timestamps().iter().map(|t| t.secs()));
                series.v.extend(r.values().iter().copied());
            }
            token = resp.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
    }
    for s in out.values_mut() {
        // Ascending already; a merged page may not be.
        if s.t.windows(2).any(|w| w[0] > w[1]) {
            let mut pairs: Vec<(i64, f64)> = s.t.iter().copied().zip(s.v.iter().copied()).collect();
            pairs.sort_by_key(|p| p.0);
            (s.t, s.v) = pairs.into_iter().unzip();
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_ones_cloudwatch_accepts() {
        let r = TimeRange::last(300, 1_000_000, 1);
        assert_eq!(r.period, 1);
        assert_eq!(r.end - r.start, 300);
        assert_eq!(TimeRange::last(3600, 0, 1).period, 30);
        assert_eq!(TimeRange::last(3 * 3600, 0, 1).period, 60);
        assert_eq!(TimeRange::last(300, 0, 60).period, 60);
        assert_eq!(TimeRange::last(7 * 24 * 3600, 0, 60).period, 2040);
    }
}
