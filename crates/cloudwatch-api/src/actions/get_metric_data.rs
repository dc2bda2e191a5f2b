//! GetMetricData: up to 500 queries (metric statistics and metric math) in one call, paged
//! by datapoint count.

use std::collections::HashMap;

use aws_wire::{Input, Member, Shape, Writer};
use metric_store::{Error as StoreError, MetricKey, Statistic, Unit};

use crate::Ctx;
use crate::error::{CwError, CwResult};
use crate::math;
use crate::shapes::{
    ACCOUNT_ID, BOOLEAN, INTEGER, METRIC, PERIOD, STRING, TIMESTAMP, UNIT, valid_period,
};

static METRIC_STAT_MEMBERS: [Member; 4] = [
    Member::required("Metric", &METRIC),
    Member::required("Period", &PERIOD),
    Member::required("Stat", &STRING),
    Member::optional("Unit", &UNIT),
];
static METRIC_STAT: Shape = Shape::Structure(&METRIC_STAT_MEMBERS);
static ID: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(255),
    pattern: None,
    enum_values: &[],
};
static EXPRESSION: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(2048),
    pattern: None,
    enum_values: &[],
};
static QUERY_MEMBERS: [Member; 7] = [
    Member::required("Id", &ID),
    Member::optional("MetricStat", &METRIC_STAT),
    Member::optional("Expression", &EXPRESSION),
    Member::optional("Label", &STRING),
    Member::optional("ReturnData", &BOOLEAN),
    Member::optional("Period", &PERIOD),
    Member::optional("AccountId", &ACCOUNT_ID),
];
static QUERY: Shape = Shape::Structure(&QUERY_MEMBERS);
pub(crate) static QUERIES: Shape = Shape::List {
    member: &QUERY,
    min_len: None,
    max_len: None,
    member_str: None,
};
static SCAN_BY: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &["TimestampDescending", "TimestampAscending"],
};
static LABEL_OPTIONS_MEMBERS: [Member; 1] = [Member::optional("Timezone", &STRING)];
static LABEL_OPTIONS: Shape = Shape::Structure(&LABEL_OPTIONS_MEMBERS);

pub(crate) static INPUT: [Member; 7] = [
    Member::required("MetricDataQueries", &QUERIES),
    Member::required("StartTime", &TIMESTAMP),
    Member::required("EndTime", &TIMESTAMP),
    Member::optional("NextToken", &STRING),
    Member::optional("ScanBy", &SCAN_BY),
    Member::optional("MaxDatapoints", &INTEGER),
    Member::optional("LabelOptions", &LABEL_OPTIONS),
];

/// Queries one call may hold.
pub const MAX_QUERIES: usize = 500;
/// Datapoints one call returns unless MaxDatapoints says fewer.
pub const MAX_DATAPOINTS: usize = 100_800;

/// A MetricStat query, checked.
pub(crate) struct StatQuery {
    pub(crate) key: MetricKey,
    pub(crate) period: u32,
    pub(crate) stat: Statistic,
    pub(crate) stat_text: String,
    pub(crate) unit: Option<Unit>,
}

/// One query of the request.
pub(crate) struct Query {
    pub(crate) id: String,
    pub(crate) label: Option<String>,
    pub(crate) return_data: bool,
    pub(crate) kind: QueryKind,
}

/// What a query asks for.
pub(crate) enum QueryKind {
    Stat(StatQuery),
    Expression { text: String, period: Option<u32> },
}

/// A time series: ascending timestamps (epoch ms) and their values.
pub(crate) type Series = Vec<(i64, f64)>;

fn is_id(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks every query, collecting every problem as CloudWatch reports them (one message,
/// problems separated by newlines).
fn check_queries(list: &[Input<'_>]) -> CwResult<Vec<Query>> {
    let mut problems = Vec::new();
    if list.len() > MAX_QUERIES {
        problems.push(format!(
            "The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}."
        ));
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut out = Vec::with_capacity(list.len());
    for (i, q) in list.iter().enumerate() {
        let path = format!("MetricDataQueries.member.{}", i + 1);
        let id = q.str("Id").unwrap_or_default();
        if !is_id(id) {
            problems.push(format!(
                "The value {id} for parameter {path}.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$."
            ));
        } else if seen.insert(id, i).is_some() {
            problems.push(format!(
                "The value {id} for parameter {path}.Id is not unique."
            ));
        }
        let kind = match (q.structure("MetricStat"), q.str("Expression")) {
            (Some(_), Some(_)) => {
                problems.push(format!(
                    "The parameters {path}.MetricStat and {path}.Expression are mutually exclusive and you have specified both."
                ));
                None
            }
            (None, None) => {
                problems.push(format!("The parameter {path}.MetricStat is required."));
                None
            }
            (None, Some(text)) => {
                let period = q.int("Period");
                if let Some(p) = period
                    && !valid_period(p)
                {
                    problems.push(format!(
                        "The value {p} for parameter {path}.Period is not a valid period."
                    ));
                }
                Some(QueryKind::Expression {
                    text: text.to_owned(),
                    period: period.map(|p| p as u32),
                })
            }
            (Some(ms), None) => {
                let metric = ms.structure("Metric");
                let namespace = metric.and_then(|m| m.str("Namespace"));
                let name = metric.and_then(|m| m.str("MetricName"));
                let dims = metric.map(crate::shapes::dimensions).unwrap_or_default();
                let stat_text = ms.str("Stat").unwrap_or_default();
                let period = ms.int("Period").unwrap_or_default();
                let stat = Statistic::parse(stat_text).ok();
                if stat.is_none() {
                    problems.push(format!(
                        "The value {stat_text} for parameter {path}.MetricStat.Stat is not a valid statistic."
                    ));
                }
                if !valid_period(period) {
                    problems.push(format!(
                        "The value {period} for parameter {path}.MetricStat.Period is not a valid period. Valid values are 1, 5, 10, 20, 30, and any multiple of 60."
                    ));
                }
                let key = match (namespace, name) {
                    (Some(ns), Some(n)) => match MetricKey::new(ns, n, dims) {
                        Ok(k) => Some(k),
                        Err(e) => {
                            problems.push(format!(
                                "The parameter {path}.MetricStat.Metric is invalid: {e}."
                            ));
                            None
                        }
                    },
                    (None, _) => {
                        problems.push(format!(
                            "The parameter {path}.MetricStat.Metric.Namespace is required."
                        ));
                        None
                    }
                    (_, None) => {
                        problems.push(format!(
                            "The parameter {path}.MetricStat.Metric.MetricName is required."
                        ));
                        None
                    }
                };
                match (key, stat) {
                    (Some(key), Some(stat)) => Some(QueryKind::Stat(StatQuery {
                        key,
                        period: period.clamp(1, i64::from(u32::MAX)) as u32,
                        stat,
                        stat_text: stat_text.to_owned(),
                        unit: ms.str("Unit").and_then(|u| Unit::parse(u).ok()),
                    })),
                    _ => None,
                }
            }
        };
        if let Some(kind) = kind {
            out.push(Query {
                id: id.to_owned(),
                label: q.str("Label").map(str::to_owned),
                return_data: q.bool("ReturnData").unwrap_or(true),
                kind,
            });
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(CwError::validation(problems.join("\n")))
    }
}

/// The label CloudWatch gives a MetricStat query without one: the metric name, plus the
/// statistic and/or period when other queries of the same metric differ in them.
fn default_label(q: &StatQuery, all: &[Query]) -> String {
    let same_metric: Vec<&StatQuery> = all
        .iter()
        .filter_map(|o| match &o.kind {
            QueryKind::Stat(s) if s.key == q.key => Some(s),
            _ => None,
        })
        .collect();
    let mut label = q.key.name().to_owned();
    if same_metric.iter().any(|o| o.stat_text != q.stat_text) {
        label.push(' ');
        label.push_str(&q.stat_text);
    }
    if same_metric.iter().any(|o| o.period != q.period) {
        label.push(' ');
        label.push_str(&q.period.to_string());
    }
    label
}

/// The unit GetMetricData reads when a query names none and the metric has data in several:
/// the first of these that has data (AWS's order, as recorded against CloudWatch by
/// LocalStack's `test_get_metric_data_different_units_no_unit_in_query`).
const UNIT_PRECEDENCE: [&str; 27] = [
    "Megabits",
    "Terabits",
    "Gigabits",
    "Count",
    "Bytes",
    "Gigabytes",
    "Gigabytes/Second",
    "Kilobytes",
    "Kilobits/Second",
    "Terabytes",
    "Terabits/Second",
    "Bytes/Second",
    "Percent",
    "Megabytes",
    "Megabits/Second",
    "Milliseconds",
    "Microseconds",
    "Kilobytes/Second",
    "Gigabits/Second",
    "Megabytes/Second",
    "Bits",
    "Bits/Second",
    "Count/Second",
    "Seconds",
    "Kilobits",
    "Terabytes/Second",
    "None",
];

/// A result's message (`Code`, `Value`).
pub(crate) type Message = (String, String);

/// Runs one MetricStat query: with a unit, the data stored in it; without one, the data of
/// the metric's one unit, or, when it has several, of the first in [`UNIT_PRECEDENCE`] with a
/// `MultipleUnits` message naming them all, as CloudWatch answers.
fn run_stat(
    cx: &Ctx<'_>,
    q: &StatQuery,
    start: i64,
    end: i64,
) -> CwResult<(Series, Option<Message>)> {
    let (from, to) = (start.max(0) as u64, end.max(0) as u64);
    let points = match q.unit {
        Some(unit) => cx
            .store
            .query_in(&q.key, from, to, q.period, &[q.stat], Some(unit)),
        None => cx
            .store
            .query_each_unit(&q.key, from, to, q.period, &[q.stat]),
    };
    let mut points = match points {
        Ok(p) => p,
        Err(StoreError::HighResolutionExpired { .. }) => Vec::new(),
        Err(e) => return Err(CwError::validation(e.to_string())),
    };
    let mut message = None;
    let mut units: Vec<Unit> = Vec::new();
    for p in &points {
        if !units.contains(&p.unit) {
            units.push(p.unit);
        }
    }
    if units.len() > 1 {
        let rank = |u: &Unit| {
            UNIT_PRECEDENCE
                .iter()
                .position(|n| *n == u.as_str())
                .unwrap_or(UNIT_PRECEDENCE.len())
        };
        let chosen = units.iter().copied().min_by_key(rank).unwrap_or_default();
        let mut names: Vec<&str> = units.iter().map(|u| u.as_str()).collect();
        names.sort_unstable();
        message = Some((
            "MultipleUnits".to_owned(),
            format!("Multiple units returned: '[{}]'", names.join(", ")),
        ));
        points.retain(|p| p.unit == chosen);
    }
    let series = points
        .into_iter()
        .filter_map(|p| {
            p.values
                .first()
                .copied()
                .flatten()
                .map(|v| (p.timestamp_ms as i64, v))
        })
        .collect();
    Ok((series, message))
}

/// One result to return: id, label, series and messages.
pub(crate) struct Computed {
    id: String,
    label: String,
    series: Series,
    messages: Vec<Message>,
}

pub(crate) fn run(cx: &Ctx<'_>, input: Input<'_>, w: &mut Writer) -> CwResult {
    let queries = check_queries(input.list("MetricDataQueries").unwrap_or_default())?;
    let start = input.timestamp_ms("StartTime").unwrap_or_default();
    let end = input.timestamp_ms("EndTime").unwrap_or_default();
    if start == end {
        return Err(CwError::validation(
            "The parameter StartTime must not equal parameter EndTime.",
        ));
    }
    if start > end {
        return Err(CwError::validation(
            "The parameter EndTime must be greater than StartTime.",
        ));
    }
    let descending = input.str("ScanBy") != Some("TimestampAscending");
    let max_points = input.int("MaxDatapoints").map_or(MAX_DATAPOINTS, |m| {
        usize::try_from(m).unwrap_or(0).clamp(1, MAX_DATAPOINTS)
    });
    let offset = match input.str("NextToken") {
        None => 0,
        Some(t) => t
            .strip_prefix("gmd:")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| CwError::invalid_next_token(format!("Invalid NextToken: {t}")))?,
    };

    // MetricStat queries first, then expressions over them.
    let mut stat_results: HashMap<String, (String, Series)> = HashMap::new();
    let mut stat_messages: HashMap<String, Message> = HashMap::new();
    for q in &queries {
        if let QueryKind::Stat(s) = &q.kind {
            let label = q
                .label
                .clone()
                .unwrap_or_else(|| default_label(s, &queries));
            let (series, message) = run_stat(cx, s, start, end)?;
            if let Some(m) = message {
                stat_messages.insert(q.id.clone(), m);
            }
            stat_results.insert(q.id.clone(), (label, series));
        }
    }
    let mut computed: Vec<Computed> = Vec::new();
    let expression_results = math::evaluate_all(&queries, &stat_results, start, end)?;
    for q in queries.iter().filter(|q| q.return_data) {
        match &q.kind {
            QueryKind::Stat(_) => {
                if let Some((label, series)) = stat_results.get(&q.id) {
                    computed.push(Computed {
                        id: q.id.clone(),
                        label: label.clone(),
                        series: series.clone(),
                        messages: stat_messages.get(&q.id).cloned().into_iter().collect(),
                    });
                }
            }
            QueryKind::Expression { .. } => {
                let results = expression_results.get(&q.id).cloned().unwrap_or_default();
                if results.is_empty() {
                    // An expression that yields no series still answers with an empty result.
                    let label = q.label.clone().unwrap_or_else(|| q.id.clone());
                    computed.push(Computed {
                        id: q.id.clone(),
                        label,
                        series: Vec::new(),
                        messages: Vec::new(),
                    });
                }
                for (label, series) in results {
                    computed.push(Computed {
                        id: q.id.clone(),
                        label,
                        series,
                        messages: Vec::new(),
                    });
                }
            }
        }
    }
    for c in &mut computed {
        if descending {
            c.series.reverse();
        }
    }
    write_page(w, &computed, offset, max_points);
    Ok(())
}

/// Writes the page of datapoints `[offset, offset + max)` of all results in order; a result
/// cut by the page end is `PartialData` and a NextToken continues it.
fn write_page(w: &mut Writer, results: &[Computed], offset: usize, max: usize) {
    let total: usize = results.iter().map(|r| r.series.len()).sum();
    let page_end = offset.saturating_add(max).min(total);
    let mut before = 0usize;
    let mut shown: Vec<(&Computed, usize, usize, bool)> = Vec::new();
    for r in results {
        let len = r.series.len();
        let (from, to) = (
            offset.max(before).min(before + len),
            page_end.max(before).min(before + len),
        );
        let partial = to < before + len;
        // The first page lists every result, even empty ones; later pages only those with
        // datapoints on them.
        if offset == 0 || to > from {
            shown.push((r, from - before, to - before, partial));
        }
        before += len;
    }
    w.begin_map(None);
    w.key("MetricDataResults");
    w.begin_array(Some(shown.len()));
    for (r, from, to, partial) in &shown {
        let points = &r.series[*from..*to];
        w.begin_map(None);
        w.key("Id");
        w.str(&r.id);
        w.key("Label");
        w.str(&r.label);
        w.key("Timestamps");
        w.begin_array(Some(points.len()));
        for (ts, _) in points {
            w.timestamp_ms(*ts);
        }
        w.end_array();
        w.key("Values");
        w.begin_array(Some(points.len()));
        for (_, v) in points {
            w.float(*v);
        }
        w.end_array();
        w.key("StatusCode");
        w.str(if *partial { "PartialData" } else { "Complete" });
        if !r.messages.is_empty() {
            w.key("Messages");
            w.begin_array(Some(r.messages.len()));
            for (code, value) in &r.messages {
                w.begin_map(Some(2));
                w.key("Code");
                w.str(code);
                w.key("Value");
                w.str(value);
                w.end_map();
            }
            w.end_array();
        }
        w.end_map();
    }
    w.end_array();
    if page_end < total {
        w.key("NextToken");
        w.str(&format!("gmd:{page_end}"));
    }
    w.key("Messages");
    w.begin_array(Some(0));
    w.end_array();
    w.end_map();
}
