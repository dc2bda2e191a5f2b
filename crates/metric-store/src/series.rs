//! One series' data: sorted per-second and per-minute aggregates with retention.

use std::collections::VecDeque;

use crate::aggregate::{Aggregate, Statistic};
use crate::store::{Datapoint, StorageResolution};
use crate::unit::Unit;

/// Seconds of high-resolution data kept: 3 hours.
pub(crate) const SECONDS_KEPT: u64 = 3 * 60 * 60;
/// Minutes of one-minute data kept: 15 days.
pub(crate) const MINUTES_KEPT: u64 = 15 * 24 * 60;

/// One second's or one minute's aggregate.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Slot {
    /// Epoch second (in `seconds`) or epoch minute (in `minutes`).
    #[serde(rename = "t")]
    pub(crate) at: u64,
    #[serde(rename = "a")]
    pub(crate) agg: Aggregate,
}

/// The lowest second and minute still retained when the present is `now_ms`.
pub(crate) fn floors(now_ms: u64) -> (u64, u64) {
    (
        (now_ms / 1000).saturating_sub(SECONDS_KEPT - 1),
        (now_ms / 60_000).saturating_sub(MINUTES_KEPT - 1),
    )
}

/// Which array a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Seconds,
    Minutes,
}

/// A series' mutable state, behind the series' mutex.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct SeriesData {
    #[serde(rename = "u")]
    pub(crate) unit: Unit,
    /// Seconds that have data, ascending, all within `SECONDS_KEPT` of `newest_second`.
    #[serde(rename = "s")]
    pub(crate) seconds: VecDeque<Slot>,
    /// Minutes that have data, ascending, all within `MINUTES_KEPT` of `newest_second`.
    #[serde(rename = "m")]
    pub(crate) minutes: VecDeque<Slot>,
    /// The newest second ever recorded: the series' own idea of "now" for retention.
    #[serde(rename = "ns")]
    pub(crate) newest_second: u64,
    /// When data last arrived (epoch ms), for ListMetrics' RecentlyActive.
    #[serde(rename = "la")]
    pub(crate) last_active_ms: u64,
    /// The same data split by the unit each datum came with, once the series has data in
    /// more than one unit (CloudWatch keeps them apart: a query with a unit sees only that
    /// unit's); empty while every datum had `unit`. Never nested.
    #[serde(rename = "b")]
    pub(crate) by_unit: Vec<SeriesData>,
    /// How many times data was recorded into the series (wrapping): what tells the store
    /// that a snapshot is out of date. Not kept in the snapshot.
    #[serde(skip)]
    pub(crate) changes: u64,
}

/// Applies `f` to the aggregate at `at`, inserting an empty one in order if needed.
#[inline]
fn upsert(slots: &mut VecDeque<Slot>, at: u64, f: &impl Fn(&mut Aggregate)) {
    let index = match slots.back() {
        // The common case: the newest second or minute again, or a new one after it.
        Some(last) if last.at == at => Ok(slots.len() - 1),
        Some(last) if last.at > at => slots.binary_search_by(|s| s.at.cmp(&at)),
        _ => Err(slots.len()),
    };
    match index {
        Ok(i) => f(&mut slots[i].agg),
        Err(i) => {
            if i == slots.len() {
                // The previous newest second or minute is most likely complete: return its
                // sketch's spare capacity.
                if let Some(last) = slots.back_mut() {
                    last.agg.shrink_to_fit();
                }
            }
            let mut agg = Aggregate::new();
            f(&mut agg);
            slots.insert(i, Slot { at, agg });
        }
    }
}

fn trim(slots: &mut VecDeque<Slot>, floor: u64) -> usize {
    let before = slots.len();
    while slots.front().is_some_and(|s| s.at < floor) {
        slots.pop_front();
    }
    before - slots.len()
}

fn shrink(slots: &mut VecDeque<Slot>) {
    if slots.capacity() > 64 && slots.capacity() > slots.len() * 2 {
        slots.shrink_to(slots.len() + slots.len() / 2);
    }
}

fn slots_heap_bytes(slots: &VecDeque<Slot>) -> usize {
    slots.capacity() * std::mem::size_of::<Slot>()
        + slots.iter().map(|s| s.agg.heap_bytes()).sum::<usize>()
}

impl SeriesData {
    pub(crate) fn new(unit: Unit) -> SeriesData {
        SeriesData {
            unit,
            ..SeriesData::default()
        }
    }

    /// [`SeriesData::apply`] for a datum in `unit`: into the series, and into that unit's
    /// share once the series holds more than one unit. The first datum in a second unit
    /// splits the series: what it held so far was all in its own unit.
    #[inline]
    pub(crate) fn apply_in(
        &mut self,
        unit: Unit,
        ts_ms: u64,
        resolution: StorageResolution,
        now_ms: Option<u64>,
        f: impl Fn(&mut Aggregate),
    ) {
        self.changes = self.changes.wrapping_add(1);
        if self.by_unit.is_empty() && unit != self.unit && !self.is_empty() {
            self.by_unit.push(SeriesData {
                unit: self.unit,
                seconds: self.seconds.clone(),
                minutes: self.minutes.clone(),
                newest_second: self.newest_second,
                last_active_ms: self.last_active_ms,
                by_unit: Vec::new(),
                changes: 0,
            });
        }
        if !self.by_unit.is_empty() {
            let i = match self.by_unit.iter().position(|d| d.unit == unit) {
                Some(i) => i,
                None => {
                    self.by_unit.push(SeriesData::new(unit));
                    self.by_unit.len() - 1
                }
            };
            let share = &mut self.by_unit[i];
            share.last_active_ms = share.last_active_ms.max(self.last_active_ms);
            share.apply(ts_ms, resolution, now_ms, &f);
        }
        self.apply(ts_ms, resolution, now_ms, f);
    }

    /// The data stored in `unit`, if any.
    pub(crate) fn in_unit(&self, unit: Unit) -> Option<&SeriesData> {
        if self.by_unit.is_empty() {
            (self.unit == unit).then_some(self)
        } else {
            self.by_unit.iter().find(|d| d.unit == unit)
        }
    }

    /// The data of each unit apart (the series itself while it has one unit).
    pub(crate) fn units(&self) -> Vec<&SeriesData> {
        if self.by_unit.is_empty() {
            vec![self]
        } else {
            self.by_unit.iter().collect()
        }
    }

    /// Applies `f` to the second (or, at standard resolution, the minute's first second) and
    /// the minute of `ts_ms`, unless they are older than retention allows. Retention counts
    /// from the newest second this series has seen and, when given, from `now_ms`.
    #[inline]
    pub(crate) fn apply(
        &mut self,
        ts_ms: u64,
        resolution: StorageResolution,
        now_ms: Option<u64>,
        f: impl Fn(&mut Aggregate),
    ) {
        let second = ts_ms / 1000;
        let minute = second / 60;
        let advanced = second > self.newest_second;
        if advanced {
            self.newest_second = second;
        }
        let (mut second_floor, mut minute_floor) = floors(self.newest_second * 1000);
        if let Some(now) = now_ms {
            let (s, m) = floors(now);
            second_floor = second_floor.max(s);
            minute_floor = minute_floor.max(m);
        }
        let slot_second = match resolution {
            StorageResolution::High => second,
            StorageResolution::Standard => minute * 60,
        };
        if slot_second >= second_floor {
            upsert(&mut self.seconds, slot_second, &f);
        }
        if minute >= minute_floor {
            upsert(&mut self.minutes, minute, &f);
        }
        if advanced {
            trim(&mut self.seconds, second_floor);
            trim(&mut self.minutes, minute_floor);
        }
    }

    /// Drops what is older than retention at `now_ms` and returns spare capacity.
    pub(crate) fn maintain(&mut self, now_ms: u64) {
        let (second_floor, minute_floor) = floors(now_ms);
        trim(&mut self.seconds, second_floor);
        trim(&mut self.minutes, minute_floor);
        shrink(&mut self.seconds);
        shrink(&mut self.minutes);
        for share in &mut self.by_unit {
            share.maintain(now_ms);
        }
        self.by_unit.retain(|d| !d.is_empty());
        // A unit whose data has all aged out no longer splits the series.
        if self.by_unit.len() == 1
            && let Some(last) = self.by_unit.pop()
        {
            self.unit = last.unit;
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.seconds.is_empty() && self.minutes.is_empty()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        slots_heap_bytes(&self.seconds)
            + slots_heap_bytes(&self.minutes)
            + self
                .by_unit
                .iter()
                .map(SeriesData::heap_bytes)
                .sum::<usize>()
    }

    /// Datapoints for periods of `period_s` seconds starting at `origin_s`, from data before
    /// `end_ms`; only periods that have data.
    pub(crate) fn query(
        &self,
        source: Source,
        origin_s: u64,
        end_ms: u64,
        period_s: u64,
        statistics: &[Statistic],
    ) -> Vec<Datapoint> {
        let (slots, slot_s) = match source {
            Source::Seconds => (&self.seconds, 1),
            Source::Minutes => (&self.minutes, 60),
        };
        // origin_s is a multiple of slot_s (the planner rounds it).
        let first = slots.partition_point(|s| s.at < origin_s / slot_s);
        let mut out = Vec::new();
        let mut bucket: Option<(u64, Bucket<'_>)> = None;
        for slot in slots.range(first..) {
            let at_s = slot.at * slot_s;
            if at_s.saturating_mul(1000) >= end_ms {
                break;
            }
            let start = origin_s + (at_s - origin_s) / period_s * period_s;
            match &mut bucket {
                Some((s, acc)) if *s == start => acc.add(&slot.agg),
                _ => {
                    if let Some((s, acc)) = bucket.take() {
                        out.push(acc.datapoint(s, statistics, self.unit));
                    }
                    bucket = Some((start, Bucket::One(&slot.agg)));
                }
            }
        }
        if let Some((s, acc)) = bucket {
            out.push(acc.datapoint(s, statistics, self.unit));
        }
        out
    }
}

/// A period being accumulated: borrowed while it has one aggregate, merged after that.
enum Bucket<'a> {
    One(&'a Aggregate),
    Many(Aggregate),
}

impl Bucket<'_> {
    fn add(&mut self, agg: &Aggregate) {
        match self {
            Bucket::One(first) => {
                let mut merged = (*first).clone();
                merged.merge(agg);
                *self = Bucket::Many(merged);
            }
            Bucket::Many(merged) => merged.merge(agg),
        }
    }

    fn datapoint(self, start_s: u64, statistics: &[Statistic], unit: Unit) -> Datapoint {
        let agg = match &self {
            Bucket::One(a) => *a,
            Bucket::Many(a) => a,
        };
        Datapoint {
            timestamp_ms: start_s * 1000,
            values: statistics.iter().map(|s| agg.stat(s)).collect(),
            unit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: u64 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000;

    fn datum() -> impl Strategy<Value = (u64, i32, bool, u8)> {
        // (offset ms within two hours, value, high resolution?, weight)
        (0..2 * 3_600_000u64, -500i32..5000, any::<bool>(), 1u8..4)
    }

    proptest! {
        #[test]
        fn a_minute_is_exactly_the_merge_of_its_seconds(
            data in prop::collection::vec(datum(), 1..300),
        ) {
            let mut series = SeriesData::new(Unit::Count);
            for &(offset, v, high, w) in &data {
                let resolution =
                    if high { StorageResolution::High } else { StorageResolution::Standard };
                series.apply(T0 + offset, resolution, None, |a| {
                    a.record_n(f64::from(v), f64::from(w))
                });
            }
            prop_assert!(series.seconds.iter().zip(series.seconds.iter().skip(1)).all(|(a, b)| a.at < b.at));
            prop_assert!(series.minutes.iter().zip(series.minutes.iter().skip(1)).all(|(a, b)| a.at < b.at));
            for minute in &series.minutes {
                let mut merged = Aggregate::new();
                for second in series.seconds.iter().filter(|s| s.at / 60 == minute.at) {
                    merged.merge(&second.agg);
                }
                // Integer data: equal bit for bit, sketch included.
                prop_assert_eq!(&merged, &minute.agg);
            }
            let total: f64 = series.minutes.iter().map(|m| m.agg.sample_count()).sum();
            let want: f64 = data.iter().map(|d| f64::from(d.3)).sum();
            prop_assert_eq!(total, want);
        }
    }

    #[test]
    fn retention_counts_from_the_newest_second_and_from_now() {
        let mut series = SeriesData::new(Unit::Count);
        let record = |s: &mut SeriesData, ts: u64, now: Option<u64>| {
            s.apply(ts, StorageResolution::High, now, |a| a.record(1.0))
        };
        record(&mut series, T0, None);
        record(&mut series, T0 + (SECONDS_KEPT - 1) * 1000, None);
        assert_eq!(series.seconds.len(), 2);
        record(&mut series, T0 + SECONDS_KEPT * 1000, None);
        assert_eq!(series.seconds.len(), 2);
        assert_eq!(series.seconds[0].at, T0 / 1000 + SECONDS_KEPT - 1);
        // A late datum older than the window goes to its minute only.
        record(&mut series, T0 + 500, None);
        assert_eq!(series.seconds.len(), 2);
        assert_eq!(series.minutes[0].agg.sample_count(), 2.0);
        // The clock can be ahead of the data: a put checks against it too.
        let now = T0 + 10 * SECONDS_KEPT * 1000;
        record(&mut series, now - 5_000, Some(now));
        record(&mut series, now - SECONDS_KEPT * 1000, Some(now));
        assert_eq!(series.seconds.len(), 1);
        series.maintain(now + MINUTES_KEPT * 60_000);
        assert!(series.is_empty());
    }
}
