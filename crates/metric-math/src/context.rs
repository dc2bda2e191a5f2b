//! What an expression is evaluated against, and the order to evaluate a request in.

use std::collections::HashMap;

use crate::{Expr, Labeled, MathError, TimeSeries, Value};

/// The queries of one GetMetricData request as an expression sees them.
///
/// Ids are those of the request's `MetricDataQueries`. The caller evaluates MetricStat
/// queries first, then expressions in [`evaluation_order`], making each result visible to
/// the expressions after it. [`MemoryContext`] is a ready-made implementation.
pub trait Context {
    /// The value of query `id`: a MetricStat query's series, or the value of an expression
    /// already evaluated. `None` if no such query exists (or it is not evaluated yet).
    fn value(&self, id: &str) -> Option<&Value>;

    /// Every MetricStat query of the request, in request order, with its label: what
    /// `METRICS()` returns. Expressions are never included.
    fn metric_stats(&self) -> Vec<(&str, &Labeled<TimeSeries>)>;

    /// The period in seconds of MetricStat query `id` (for `PERIOD(id)`); `None` for
    /// expressions and unknown ids.
    fn metric_period(&self, id: &str) -> Option<u32>;

    /// The timestamps (epoch milliseconds, ascending) of every period of the requested
    /// range at the expression's period: where FILL fills and where TIME_SERIES and the date
    /// functions put their values.
    fn timestamps(&self) -> &[i64];
}

/// A [`Context`] held in memory: add the MetricStat results, then evaluate expressions and
/// [`set`](MemoryContext::set) each result for the ones that follow.
#[derive(Debug, Clone, Default)]
pub struct MemoryContext {
    timestamps: Vec<i64>,
    values: HashMap<String, Value>,
    metrics: Vec<(String, Labeled<TimeSeries>)>,
    periods: HashMap<String, u32>,
}

impl MemoryContext {
    /// An empty context whose grid is `timestamps` (epoch milliseconds, sorted and
    /// de-duplicated here).
    pub fn new(mut timestamps: Vec<i64>) -> Self {
        timestamps.sort_unstable();
        timestamps.dedup();
        MemoryContext {
            timestamps,
            ..MemoryContext::default()
        }
    }

    /// A context whose grid runs from `start` (inclusive) to `end` (exclusive) in steps of
    /// `period_seconds`; all epoch milliseconds. A zero period gives an empty grid.
    pub fn with_range(start: i64, end: i64, period_seconds: u32) -> Self {
        let step = i64::from(period_seconds) * 1000;
        let mut timestamps = Vec::new();
        if step > 0 {
            let mut t = start;
            while t < end {
                timestamps.push(t);
                t = match t.checked_add(step) {
                    Some(next) => next,
                    None => break,
                };
            }
        }
        MemoryContext {
            timestamps,
            ..MemoryContext::default()
        }
    }

    /// Adds a MetricStat query's result. Metrics keep the order they are added in, which is
    /// the order `METRICS()` returns them; adding an id again replaces it in place.
    pub fn add_metric(
        &mut self,
        id: impl Into<String>,
        series: Labeled<TimeSeries>,
        period_seconds: u32,
    ) {
        let id = id.into();
        self.values
            .insert(id.clone(), Value::Series(series.clone()));
        self.periods.insert(id.clone(), period_seconds);
        match self.metrics.iter_mut().find(|(m, _)| *m == id) {
            Some(slot) => slot.1 = series,
            None => self.metrics.push((id, series)),
        }
    }

    /// Records the value of expression `id` for expressions evaluated after it.
    pub fn set(&mut self, id: impl Into<String>, value: Value) {
        self.values.insert(id.into(), value);
    }
}

impl Context for MemoryContext {
    fn value(&self, id: &str) -> Option<&Value> {
        self.values.get(id)
    }

    fn metric_stats(&self) -> Vec<(&str, &Labeled<TimeSeries>)> {
        self.metrics
            .iter()
            .map(|(id, s)| (id.as_str(), s))
            .collect()
    }

    fn metric_period(&self, id: &str) -> Option<u32> {
        self.periods.get(id).copied()
    }

    fn timestamps(&self) -> &[i64] {
        &self.timestamps
    }
}

/// Orders the expressions of a request so every expression comes after the expressions it
/// references, keeping request order where references allow.
///
/// `expressions` are `(id, parsed expression)` in request order; `metric_ids` are the ids
/// of the MetricStat queries. Fails with [`MathError::UnknownId`] for a reference to an id
/// in neither list and [`MathError::CircularReference`] for a loop (naming an expression on
/// it); both are checked for the first failing expression in request order.
pub fn evaluation_order<'a>(
    expressions: &[(&'a str, &Expr)],
    metric_ids: &[&str],
) -> Result<Vec<&'a str>, MathError> {
    let index: HashMap<&str, usize> = expressions
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();
    let refs: Vec<Vec<String>> = expressions.iter().map(|(_, e)| e.references()).collect();
    for r in refs.iter().flatten() {
        if !index.contains_key(r.as_str()) && !metric_ids.contains(&r.as_str()) {
            return Err(MathError::UnknownId { id: r.clone() });
        }
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks = vec![Mark::New; expressions.len()];
    let mut order = Vec::with_capacity(expressions.len());
    for root in 0..expressions.len() {
        if marks.get(root) != Some(&Mark::New) {
            continue;
        }
        // Depth-first over expression references with an explicit stack of
        // (expression, next reference to look at).
        let mut stack = vec![(root, 0usize)];
        if let Some(m) = marks.get_mut(root) {
            *m = Mark::Active;
        }
        while let Some((node, next)) = stack.last_mut() {
            let node = *node;
            let child = refs
                .get(node)
                .and_then(|r| r.get(*next))
                .and_then(|id| index.get(id.as_str()).copied());
            let has_more = refs.get(node).is_some_and(|r| *next < r.len());
            if has_more {
                *next += 1;
                let Some(child) = child else { continue };
                match marks.get(child) {
                    Some(Mark::New) => {
                        if let Some(m) = marks.get_mut(child) {
                            *m = Mark::Active;
                        }
                        stack.push((child, 0));
                    }
                    Some(Mark::Active) => {
                        let id = expressions.get(child).map_or("", |(id, _)| *id);
                        return Err(MathError::CircularReference { id: id.to_owned() });
                    }
                    _ => {}
                }
            } else {
                if let Some(m) = marks.get_mut(node) {
                    *m = Mark::Done;
                }
                if let Some((id, _)) = expressions.get(node) {
                    order.push(*id);
                }
                stack.pop();
            }
        }
    }
    Ok(order)
}
