//! Metric math over the MetricStat results of a GetMetricData call, with [`metric_math`].

use std::collections::HashMap;

use metric_math::{Labeled, MemoryContext, TimeSeries, Value, array_member_label};

use crate::actions::get_metric_data::{Query, QueryKind, Series};
use crate::error::{CwError, CwResult};

/// Period of the time grid when a request has expressions but no MetricStat query.
const DEFAULT_PERIOD_S: u32 = 60;

/// Evaluates every expression query, in dependency order; returns, per expression id, its
/// labeled result series. `stats` holds each MetricStat query's label and series.
pub(crate) fn evaluate_all(
    queries: &[Query],
    stats: &HashMap<String, (String, Series)>,
    start: i64,
    end: i64,
) -> CwResult<HashMap<String, Vec<(String, Series)>>> {
    let expressions: Vec<(&Query, &str, Option<u32>)> = queries
        .iter()
        .filter_map(|q| match &q.kind {
            QueryKind::Expression { text, period } => Some((q, text.as_str(), *period)),
            QueryKind::Stat(_) => None,
        })
        .collect();
    if expressions.is_empty() {
        return Ok(HashMap::new());
    }
    let mut parsed = Vec::with_capacity(expressions.len());
    for (q, text, _) in &expressions {
        let expr = metric_math::parse(text).map_err(|e| expression_error(&q.id, &e))?;
        parsed.push((q.id.as_str(), expr));
    }

    // The grid is every timestamp a MetricStat query returned; without any, the expression's
    // own period (or a minute) over the request's range.
    let mut grid: Vec<i64> = stats
        .values()
        .flat_map(|(_, s)| s.iter().map(|(t, _)| *t))
        .collect();
    let mut ctx = if grid.is_empty() {
        let period = expressions
            .iter()
            .find_map(|e| e.2)
            .unwrap_or(DEFAULT_PERIOD_S);
        let step = i64::from(period) * 1000;
        MemoryContext::with_range(start - start.rem_euclid(step), end, period)
    } else {
        grid.sort_unstable();
        grid.dedup();
        MemoryContext::new(grid)
    };
    let mut metric_ids = Vec::new();
    for q in queries {
        if let QueryKind::Stat(s) = &q.kind
            && let Some((label, series)) = stats.get(&q.id)
        {
            let ts = Labeled::new(
                label.clone(),
                TimeSeries::from_points(series.iter().copied()),
            );
            ctx.add_metric(q.id.clone(), ts, s.period);
            metric_ids.push(q.id.as_str());
        }
    }
    let refs: Vec<(&str, &metric_math::Expr)> = parsed.iter().map(|(id, e)| (*id, e)).collect();
    let order = metric_math::evaluation_order(&refs, &metric_ids)
        .map_err(|e| CwError::validation(e.to_string()))?;

    let mut out = HashMap::new();
    for id in order {
        let Some((_, expr)) = parsed.iter().find(|(i, _)| *i == id) else {
            continue;
        };
        let value: Value =
            metric_math::evaluate(expr, &ctx).map_err(|e| expression_error(id, &e))?;
        ctx.set(id, value.clone());
        let query_label = queries
            .iter()
            .find(|q| q.id == id)
            .and_then(|q| q.label.clone());
        let is_array = matches!(value, Value::Array(_));
        let results = value.into_results().map_err(|e| expression_error(id, &e))?;
        let labeled = results
            .into_iter()
            .map(|r| {
                // A series without a label of its own takes the query's Label, else its Id;
                // array members keep their own labels, prefixed by the query's Label.
                let label = match (&query_label, is_array) {
                    (Some(l), true) => array_member_label(l, &r.label),
                    (Some(l), false) => l.clone(),
                    (None, _) if !r.label.is_empty() && is_array => r.label.clone(),
                    (None, _) => id.to_owned(),
                };
                (label, r.value.points().to_vec())
            })
            .collect();
        out.insert(id.to_owned(), labeled);
    }
    Ok(out)
}

fn expression_error(id: &str, e: &metric_math::MathError) -> CwError {
    CwError::validation(format!("Error in expression {id}: {e}"))
}
