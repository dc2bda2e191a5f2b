//! The evaluation range of a metric alarm read from the store: one `Store::query` per
//! MetricStat (shared within a round by the alarms that read the same one), then metric math
//! for math alarms.
//!
//! The range ends at the evaluation time rounded down to the minute (periods of a minute or
//! more: CloudWatch evaluates every minute over the last complete minutes, User Guide
//! "Evaluating an alarm") or to the period (10, 20, 30 s), so its newest period is the last
//! complete one. It spans [`range_periods`] periods.

use std::collections::HashMap;

use metric_math::{Context as _, Labeled, MemoryContext, TimeSeries, Value};
use metric_store::{Datapoint, MetricKey, Statistic, Store, Unit};

use crate::evaluate::{Slot, low_sample, range_periods};
use crate::validate::{Compiled, Source};

/// A read of one round: metric, range start, range end, period and statistic (its `Debug`
/// text: percentiles hold an `f64`, which is not `Hash`).
type ReadId = (MetricKey, u64, u64, u32, String, Option<Unit>);

/// What one evaluation round has already read from the store: alarms that watch the same
/// metric, statistic, period and range (a threshold ladder, one alarm per team) share one
/// query.
#[derive(Default)]
pub(crate) struct RoundReads {
    /// Each single-metric read, `None` when the store refused the range.
    single: HashMap<ReadId, Option<Vec<Datapoint>>>,
}

impl RoundReads {
    /// The statistic and SampleCount of `key` over the range, read once per round.
    fn single(
        &mut self,
        store: &Store,
        key: &MetricKey,
        range: (u64, u64),
        period: u32,
        stat: Statistic,
        unit: Option<Unit>,
    ) -> Option<&Vec<Datapoint>> {
        let id = (
            key.clone(),
            range.0,
            range.1,
            period,
            format!("{stat:?}"),
            unit,
        );
        self.single
            .entry(id)
            .or_insert_with(|| {
                // An alarm with a unit reads only the data stored in it, as CloudWatch.
                store
                    .query_in(
                        key,
                        range.0,
                        range.1,
                        period,
                        &[stat, Statistic::SampleCount],
                        unit,
                    )
                    .ok()
            })
            .as_ref()
    }
}

/// The end (exclusive) of the range evaluated at `now_ms`, epoch ms.
pub(crate) fn range_end(period: u32, now_ms: u64) -> u64 {
    let step = if period < 60 {
        u64::from(period.max(1)) * 1000
    } else {
        60_000
    };
    now_ms / step * step
}

/// The evaluation range's slots, oldest first.
pub(crate) fn slots(store: &Store, reads: &mut RoundReads, c: &Compiled, now_ms: u64) -> Vec<Slot> {
    let p_ms = u64::from(c.period) * 1000;
    let count = range_periods(c.n) as u64;
    let end = range_end(c.period, now_ms);
    let start = end.saturating_sub(count * p_ms);
    let mut slots: Vec<Slot> = (0..count)
        .map(|i| Slot {
            ts_ms: start + i * p_ms,
            value: None,
            sample_count: None,
            low_sample: false,
        })
        .collect();
    if start >= end {
        return slots;
    }
    let mut place = |ts: u64, value: f64, samples: Option<f64>| {
        if ts < start || !value.is_finite() {
            return;
        }
        let i = ((ts - start) / p_ms) as usize;
        if let Some(s) = slots.get_mut(i) {
            s.value = Some(value);
            s.sample_count = samples;
        }
    };
    match &c.source {
        Source::Single { key, stat, unit } => {
            let Some(points) = reads.single(store, key, (start, end), c.period, *stat, *unit)
            else {
                return slots;
            };
            for dp in points {
                // A unit that differs from the alarm's reads as no data, as in CloudWatch.
                if unit.is_some_and(|u| u != dp.unit) {
                    continue;
                }
                let samples = dp.values.get(1).copied().flatten();
                if let Some(Some(v)) = dp.values.first() {
                    place(dp.timestamp_ms, *v, samples);
                }
            }
            if let Some(p) = c.percentile() {
                for s in &mut slots {
                    s.low_sample =
                        s.value.is_some() && s.sample_count.is_some_and(|n| low_sample(p, n));
                }
            }
        }
        Source::Math {
            stats,
            expressions,
            return_id,
        } => {
            let (Ok(s), Ok(e)) = (i64::try_from(start), i64::try_from(end)) else {
                return slots;
            };
            let mut ctx = MemoryContext::with_range(s, e, c.period);
            for ms in stats {
                let points = store
                    .query_in(&ms.key, start, end, ms.period, &[ms.stat], ms.unit)
                    .unwrap_or_default();
                let series = TimeSeries::from_points(points.into_iter().filter_map(|dp| {
                    if ms.unit.is_some_and(|u| u != dp.unit) {
                        return None;
                    }
                    let v = dp.values.first().copied().flatten()?;
                    Some((i64::try_from(dp.timestamp_ms).ok()?, v))
                }));
                ctx.add_metric(
                    ms.id.clone(),
                    Labeled::new(ms.label.clone(), series),
                    ms.period,
                );
            }
            for (id, expr) in expressions {
                // An expression that fails to evaluate gives no data.
                if let Ok(value) = metric_math::evaluate(expr, &ctx) {
                    ctx.set(id.clone(), value);
                }
            }
            let series = match ctx.value(return_id) {
                Some(Value::Series(l)) => Some(&l.value),
                Some(Value::Array(members)) if members.len() == 1 => Some(&members[0].value),
                _ => None,
            };
            if let Some(series) = series {
                for &(ts, v) in series.points() {
                    if let Ok(ts) = u64::try_from(ts) {
                        place(ts, v, None);
                    }
                }
            }
        }
    }
    slots
}
