//! The store: series keyed by [`MetricKey`], recording, querying and retention.
//!
//! # Layout
//!
//! A [`Store`] maps each [`MetricKey`] to a series behind an `Arc`; a [`SeriesHandle`] is a
//! clone of that `Arc`, so the engine looks a series up once and then records with one
//! uncontended mutex and no hashing. A series holds its [`Unit`] and two arrays sorted by time
//! (`VecDeque`s of `(time, Aggregate)`); once data arrives in a second unit, it also keeps
//! each unit's data apart beside them (CloudWatch never mixes units when a query names one:
//! [`Store::query_in`], [`Store::query_each_unit`]), so a metric published in one unit costs
//! nothing more:
//!
//! - **seconds**: one [`Aggregate`] per epoch second *that has data*, for 3 hours;
//! - **minutes**: one aggregate per epoch minute that has data, for 15 days.
//!
//! Every datum updates both arrays at once (an append at the back in the usual case, a binary
//! search for late data); through a handle that is about 120 ns per datapoint. A datum stored at standard resolution (StorageResolution 60) goes
//! into its minute and into the *first second of that minute*: CloudWatch keeps such data at
//! one-minute granularity, so a query with a period under 60 seconds sees it once per minute,
//! in the period that holds the minute's start (AWS: "if you specify a period of 10 or 30 for
//! a metric that does not have sub-minute resolution ... it does not receive data for the
//! attempts that do not correspond to a one-minute data resolution").
//!
//! # Invariants
//!
//! - **A minute aggregate is exactly the merge of its seconds**, for every minute whose
//!   seconds are all still retained (up to floating-point summation order; bit for bit for
//!   integer-valued data): both are fed the same data, and sketch merging is order-independent.
//! - Both arrays are strictly ascending and hold no empty aggregate.
//! - Seconds lie within 3 hours (10,800 s) of the newest second the series has seen, minutes
//!   within 15 days (21,600 min); [`Store::put`] also measures from the store's clock. Data
//!   older than that on arrival is not stored (a minute may still take a datum whose second is
//!   already gone), and a datum from the future ages the rest early, which is why a handle's
//!   timestamps should be the current time. [`Store::maintain`] drops what has aged out by
//!   the clock, and series that are empty and have no [`SeriesHandle`] left.
//! - A series with live handles is never removed, so a handle never records into a series the
//!   store has forgotten.
//!
//! # How many series
//!
//! Points per series are bounded by retention; the number of series by
//! [`Store::with_max_series`] ([`DEFAULT_MAX_SERIES`], `--max-metric-series`), since a storm of
//! stream names or PutMetricData calls with random dimensions would otherwise grow the map
//! without end. When the store is full, a new series first evicts the series **updated least
//! recently** (the smallest "last data arrived" time; of equals, the oldest series) that no
//! [`SeriesHandle`] refers to, and [`Store::series_evicted`] counts it. A series with handles
//! (the Kinesis API keeps them for the streams that exist) is never evicted (see the
//! invariants); if every series has handles, the new series is stored over the limit. The
//! least recently updated series are found by one walk over the map for a batch of up to
//! 1,024 (1% of the limit) at a time, each re-checked when its turn comes, so an eviction
//! costs about a hundredth of a walk.
//!
//! # Queries
//!
//! Periods are 1, 5, 10, 20, 30 or a multiple of 60 seconds ([`Error::InvalidPeriod`]
//! otherwise; CloudWatch's current API reference lists 20 alongside 1, 5, 10 and 30). Periods
//! start at the query's start rounded down as CloudWatch rounds it: to a multiple of the period
//! for periods under a minute (which is epoch-aligned, since they divide 60); otherwise to the
//! minute (start less than 15 days ago), the 5 minutes (15 to 63 days) or the hour (older),
//! and then every `period` seconds from there. So a period of 300 from 12:32:34 yields
//! datapoints at 12:32, 12:37, ... — epoch-aligned only when the start is. Data at or after the
//! end is left out; with periods of a minute or more the minute holding the end counts whole.
//! Periods under a minute read the seconds array, others the minutes (identical results,
//! 60 times fewer aggregates). Only periods with data yield a [`Datapoint`], in ascending time.
//!
//! # Memory
//!
//! Sizes on 64-bit targets: a slot (time + [`Aggregate`]) is 56 bytes. An aggregate holds a
//! sketch only once two different raw values have been recorded in its second or minute; the
//! sketch is boxed, 96 bytes plus its buckets (≈ 116 per decade of values, at most 2 × 2048):
//! 8 bytes per non-empty bucket while few and far apart, otherwise one weight per bucket
//! spanned, 1 byte while every weight is ≤ 255, 2 bytes ≤ 65,535, 4 bytes ≤ 2^32 − 1, 8 bytes
//! beyond or when fractional. A second's or minute's sketch gives back its spare capacity
//! when the next one starts. Per series:
//!
//! | part | entries | worst case |
//! |---|---|---|
//! | seconds array | ≤ 10,800 (capacity ≤ 16,384) | 896 KiB |
//! | minutes array | ≤ 21,600 (capacity ≤ 32,768) | 1.75 MiB |
//! | sketches | one per slot with distinct values, ≤ 96 B + 32 KiB each | 32,400 × 32.1 KiB ≈ 1.0 GiB |
//!
//! The sketch line is reached only if every second and minute for 15 days holds values with
//! fractional weights spanning 2048 buckets of both signs (a factor of 10^17 each); statistic
//! sets and constant values cost no sketch at all. Memory grows linearly with the number of
//! series and with the number of seconds and minutes that have data (not with the number of
//! values), and logarithmically with the range of the values in each. Measured (the bench's
//! `memory` lines) for a latency series with values spread log-uniformly over 0.5–50 ms:
//!
//! | values a second | per second kept | per minute kept | 3 h of seconds + 15 days of minutes |
//! |---|---|---|---|
//! | 1 | 85 B | 400 B | 0.9 + 8.2 MiB |
//! | 5 | 221 B | 406 B | 2.3 + 8.4 MiB |
//! | 20 | 335 B | 407 B | 3.5 + 8.4 MiB |
//! | 1,000 | 412 B | 638 B | 4.2 + 13.1 MiB |
//!
//! Allocator overhead is not counted. [`Store::memory_estimate`] adds it all up.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{Mutex, RwLock};

use crate::aggregate::{Aggregate, Statistic, StatisticSet};
use crate::clock::{Clock, SystemClock};
use crate::error::Error;
use crate::key::{ListFilter, MetricKey};
use crate::series::{SECONDS_KEPT, SeriesData, Source};
use crate::unit::Unit;

/// How many series a store holds by default before a new one evicts the least recently
/// updated ([`Store::with_max_series`]).
pub const DEFAULT_MAX_SERIES: usize = 100_000;
/// The most eviction candidates one walk over the map finds.
const EVICTION_BATCH: usize = 1024;

/// The most values one Values datum may carry (CloudWatch's limit).
pub const MAX_VALUES: usize = 150;
/// The largest magnitude CloudWatch accepts for a value: 2^360.
pub const MAX_VALUE: f64 = 2.348_542_582_773_833_2e108;

const HOUR_MS: u64 = 60 * 60 * 1000;
const DAY_MS: u64 = 24 * HOUR_MS;
/// How old a PutMetricData timestamp may be: two weeks.
const MAX_PAST_MS: u64 = 14 * DAY_MS;
/// How far ahead a PutMetricData timestamp may be: two hours.
const MAX_FUTURE_MS: u64 = 2 * HOUR_MS;
/// ListMetrics leaves out metrics without data for two weeks.
const LIST_HORIZON_MS: u64 = 14 * DAY_MS;

/// How finely CloudWatch keeps a datum (MetricDatum's StorageResolution).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StorageResolution {
    /// StorageResolution 1: kept per second for 3 hours (and per minute for 15 days).
    High,
    /// StorageResolution 60, CloudWatch's default: kept per minute only.
    #[default]
    Standard,
}

impl StorageResolution {
    /// 1 → [`StorageResolution::High`], 60 → [`StorageResolution::Standard`].
    pub fn from_seconds(seconds: u32) -> Result<StorageResolution, Error> {
        match seconds {
            1 => Ok(StorageResolution::High),
            60 => Ok(StorageResolution::Standard),
            other => Err(Error::InvalidStorageResolution(other)),
        }
    }

    /// The resolution in seconds, as CloudWatch states it.
    pub fn seconds(self) -> u32 {
        match self {
            StorageResolution::High => 1,
            StorageResolution::Standard => 60,
        }
    }
}

/// The data of one PutMetricData MetricDatum.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum {
    /// One value.
    Value(f64),
    /// Up to [`MAX_VALUES`] values, each seen `counts[i]` times (once each without counts).
    Values {
        /// The values.
        values: Vec<f64>,
        /// How often each value occurred; same length as `values` when given.
        counts: Option<Vec<f64>>,
    },
    /// Pre-aggregated values; percentiles only if minimum == maximum.
    StatisticSet(StatisticSet),
}

fn check_value(v: f64) -> Result<(), Error> {
    if v.is_finite() && v.abs() <= MAX_VALUE {
        Ok(())
    } else {
        Err(Error::InvalidValue(v))
    }
}

impl Datum {
    /// Checks what CloudWatch checks: finite values within ±2^360, 1 to 150 values, counts
    /// finite and non-negative and as many as the values, a consistent statistic set.
    pub fn validate(&self) -> Result<(), Error> {
        match self {
            Datum::Value(v) => check_value(*v),
            Datum::Values { values, counts } => {
                if values.is_empty() || values.len() > MAX_VALUES {
                    return Err(Error::InvalidValuesLength { got: values.len() });
                }
                values.iter().try_for_each(|&v| check_value(v))?;
                if let Some(counts) = counts {
                    if counts.len() != values.len() {
                        return Err(Error::CountsMismatch {
                            values: values.len(),
                            counts: counts.len(),
                        });
                    }
                    if let Some(&c) = counts.iter().find(|c| !(c.is_finite() && **c >= 0.0)) {
                        return Err(Error::InvalidCount(c));
                    }
                }
                Ok(())
            }
            Datum::StatisticSet(s) => {
                s.validate()?;
                [s.sum, s.minimum, s.maximum]
                    .iter()
                    .try_for_each(|&v| check_value(v))
            }
        }
    }

    /// Whether the datum adds no value at all (every count zero).
    fn is_void(&self) -> bool {
        matches!(self, Datum::Values { counts: Some(c), .. } if c.iter().all(|&c| c == 0.0))
    }

    fn record_into(&self, agg: &mut Aggregate) {
        match self {
            Datum::Value(v) => agg.record(*v),
            Datum::Values { values, counts } => match counts {
                None => values.iter().for_each(|&v| agg.record(v)),
                Some(counts) => values
                    .iter()
                    .zip(counts)
                    .for_each(|(&v, &c)| agg.record_n(v, c)),
            },
            Datum::StatisticSet(s) => agg.record_stats(*s),
        }
    }
}

/// One period's statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct Datapoint {
    /// The period's start, epoch milliseconds.
    pub timestamp_ms: u64,
    /// One value per requested statistic, in the order requested; `None` where the statistic
    /// is unavailable (a percentile of statistic-set data).
    pub values: Vec<Option<f64>>,
    /// The unit of the data it sums up (the series' last unit when units are mixed).
    pub unit: Unit,
}

/// A series: its key and its data.
pub(crate) struct Series {
    pub(crate) key: MetricKey,
    /// Creation order in the store: tells a re-created key from the one a candidate named,
    /// and breaks ties between equally old series.
    pub(crate) seq: u64,
    pub(crate) data: Mutex<SeriesData>,
}

/// A cheap, clonable handle on one series for recording on the hot path.
///
/// Recording takes the series' mutex once and touches the newest second and minute; it
/// allocates only when a second or minute first gets data. The handle keeps the series alive:
/// [`Store::maintain`] never removes a series that has handles.
#[derive(Clone)]
pub struct SeriesHandle {
    series: Arc<Series>,
    /// The unit its data is recorded in.
    unit: Unit,
}

impl fmt::Debug for SeriesHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeriesHandle")
            .field("key", &self.series.key)
            .finish_non_exhaustive()
    }
}

impl SeriesHandle {
    /// The series' key.
    pub fn key(&self) -> &MetricKey {
        &self.series.key
    }

    /// The series' unit.
    pub fn unit(&self) -> Unit {
        self.series.data.lock().unit
    }

    /// Records one value at `ts_ms` (epoch ms) at high resolution. The timestamp also counts
    /// as "now" for this series' retention, so pass the current time. NaN and ±infinity are
    /// ignored.
    #[inline]
    pub fn record(&self, ts_ms: u64, value: f64) {
        self.record_n(ts_ms, value, 1.0);
    }

    /// Records `value` seen `count` times at `ts_ms`. Ignored unless both are finite and
    /// `count` is positive.
    #[inline]
    pub fn record_n(&self, ts_ms: u64, value: f64, count: f64) {
        if !(value.is_finite() && count > 0.0 && count.is_finite()) {
            return;
        }
        let mut data = self.series.data.lock();
        data.last_active_ms = data.last_active_ms.max(ts_ms);
        data.apply_in(self.unit, ts_ms, StorageResolution::High, None, |a| {
            a.record_n(value, count)
        });
    }

    /// Records a statistic set at `ts_ms`. Ignored if the set is invalid
    /// ([`StatisticSet::validate`]).
    pub fn record_stats(&self, ts_ms: u64, stats: StatisticSet) {
        if stats.validate().is_err() {
            return;
        }
        let mut data = self.series.data.lock();
        data.last_active_ms = data.last_active_ms.max(ts_ms);
        data.apply_in(self.unit, ts_ms, StorageResolution::High, None, |a| {
            a.record_stats(stats)
        });
    }
}

/// The time-series store behind the CloudWatch API. Share it behind an `Arc`.
///
/// ```
/// use metric_store::catalog::kinesis::INCOMING_BYTES;
/// use metric_store::{ManualClock, Statistic, Store};
/// use std::sync::Arc;
///
/// let now = 1_700_000_000_000;
/// let store = Store::with_clock(Arc::new(ManualClock::new(now)));
/// let key = INCOMING_BYTES.key(&[("StreamName", "orders")]).unwrap();
/// let bytes = INCOMING_BYTES.series(&store, &[("StreamName", "orders")]).unwrap();
/// bytes.record(now - 30_000, 100.0);
/// bytes.record(now - 20_000, 300.0);
///
/// let points = store
///     .query(&key, now - 3_600_000, now, 60, &[Statistic::Sum, Statistic::Average])
///     .unwrap();
/// let total: f64 = points.iter().filter_map(|p| p.values[0]).sum();
/// assert_eq!(total, 400.0);
/// ```
pub struct Store {
    pub(crate) series: RwLock<HashMap<MetricKey, Arc<Series>>>,
    pub(crate) clock: Arc<dyn Clock>,
    /// How many series before a new one evicts one.
    pub(crate) max_series: usize,
    /// Series created so far: the next series' `seq`.
    pub(crate) created: AtomicU64,
    /// Series evicted to make room.
    evicted: AtomicU64,
    /// The changes counted by series the store has since removed, so that
    /// [`Store::changes`] never goes back.
    pub(crate) retired_changes: AtomicU64,
    /// Held while a snapshot is written, so two never write the same temporary file.
    pub(crate) saving: Mutex<()>,
    /// Taken only under the map's write lock.
    eviction: Mutex<Eviction>,
}

/// The next series to evict, found by one walk over the map.
#[derive(Default)]
struct Eviction {
    /// `(last active ms, seq, key)`, newest first, so that `pop` gives the oldest.
    candidates: Vec<(u64, u64, MetricKey)>,
    /// The map's size when a walk last found nothing to evict: no new walk until it has
    /// grown by a batch (every series had handles).
    barren_at: Option<usize>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("series", &self.series.read().len())
            .field("max_series", &self.max_series)
            .finish_non_exhaustive()
    }
}

impl Default for Store {
    fn default() -> Store {
        Store::new()
    }
}

impl Store {
    /// An empty store on the system clock.
    pub fn new() -> Store {
        Store::with_clock(Arc::new(SystemClock))
    }

    /// An empty store on `clock` (used for PutMetricData's timestamp window, query planning
    /// and ListMetrics' two-week horizon).
    pub fn with_clock(clock: Arc<dyn Clock>) -> Store {
        Store {
            series: RwLock::new(HashMap::new()),
            clock,
            max_series: DEFAULT_MAX_SERIES,
            created: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
            retired_changes: AtomicU64::new(0),
            saving: Mutex::new(()),
            eviction: Mutex::new(Eviction::default()),
        }
    }

    /// The store, holding at most `max` series (at least 1): when full, a new series evicts
    /// the least recently updated one without handles (see the module doc).
    pub fn with_max_series(mut self, max: usize) -> Store {
        self.max_series = max.max(1);
        self
    }

    /// How many series the store holds before a new one evicts one.
    pub fn max_series(&self) -> usize {
        self.max_series
    }

    /// How many series were evicted to make room for new ones, since the store was made.
    pub fn series_evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }

    /// How many series the store holds.
    pub fn len(&self) -> usize {
        self.series.read().len()
    }

    /// Whether the store holds no series.
    pub fn is_empty(&self) -> bool {
        self.series.read().is_empty()
    }

    fn get_or_create(&self, key: &MetricKey, unit: Option<Unit>) -> Arc<Series> {
        if let Some(series) = self.series.read().get(key) {
            return Arc::clone(series);
        }
        let mut map = self.series.write();
        if let Some(series) = map.get(key) {
            return Arc::clone(series);
        }
        if map.len() >= self.max_series {
            self.evict_one(&mut map);
        }
        let series = Arc::new(Series {
            key: key.clone(),
            seq: self.created.fetch_add(1, Ordering::Relaxed),
            data: Mutex::new(SeriesData::new(unit.unwrap_or_default())),
        });
        map.insert(key.clone(), Arc::clone(&series));
        series
    }

    /// Removes the least recently updated series that no handle refers to, if there is one.
    /// Called with the map's write lock held, so no handle can be made meanwhile.
    fn evict_one(&self, map: &mut HashMap<MetricKey, Arc<Series>>) {
        let batch = (self.max_series / 100).clamp(1, EVICTION_BATCH);
        let mut eviction = self.eviction.lock();
        for _ in 0..2 {
            while let Some((active, seq, key)) = eviction.candidates.pop() {
                // Still there, still without handles, and not updated since the walk (an
                // update makes it recent).
                let evictable = map.get(&key).is_some_and(|s| {
                    s.seq == seq
                        && Arc::strong_count(s) == 1
                        && s.data.lock().last_active_ms == active
                });
                if evictable {
                    if let Some(gone) = map.remove(&key) {
                        self.retire(&gone);
                    }
                    self.evicted.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
            if eviction.barren_at.is_some_and(|at| map.len() < at + batch) {
                return;
            }
            eviction.candidates = oldest_unhandled(map, batch);
            eviction.barren_at = eviction.candidates.is_empty().then_some(map.len());
        }
    }

    /// The series for `key`, created if new. A series has one unit; the last one given wins.
    ///
    /// Outside tests, record through [`crate::catalog::MetricDef::series`] (AWS's metrics)
    /// or [`Store::custom_series`] (one's own); `clippy.toml` disallows calling this directly.
    pub fn series(&self, key: &MetricKey, unit: Unit) -> SeriesHandle {
        let series = self.get_or_create(key, Some(unit));
        {
            let mut data = series.data.lock();
            if data.unit != unit {
                data.unit = unit;
            }
        }
        SeriesHandle { series, unit }
    }

    /// The series for a metric of one's own (not `AWS/`), created if new: what CloudWatch
    /// Logs records from an Embedded Metric Format line. AWS's metrics are recorded through
    /// their catalogue definitions ([`crate::catalog::MetricDef::series`]) instead.
    pub fn custom_series(&self, key: &MetricKey, unit: Unit) -> Result<SeriesHandle, Error> {
        if key.namespace().starts_with("AWS/") {
            return Err(Error::ReservedNamespace(key.namespace().to_owned()));
        }
        #[expect(
            clippy::disallowed_methods,
            reason = "custom namespaces are not in the catalogue"
        )]
        Ok(self.series(key, unit))
    }

    /// The store clock's current time, epoch milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Stores one PutMetricData datum taken at `ts_ms` (epoch ms).
    ///
    /// The timestamp must be at most two weeks old and at most two hours ahead of the store's
    /// clock. A datum without `unit` is in [`Unit::None`], as CloudWatch records it; `unit`
    /// replaces the series' unit when given. Data in different units are kept apart for
    /// [`Store::query_in`].
    pub fn put(
        &self,
        key: &MetricKey,
        unit: Option<Unit>,
        ts_ms: u64,
        datum: &Datum,
        resolution: StorageResolution,
    ) -> Result<(), Error> {
        datum.validate()?;
        let now_ms = self.clock.now_ms();
        if ts_ms.saturating_add(MAX_PAST_MS) < now_ms
            || ts_ms > now_ms.saturating_add(MAX_FUTURE_MS)
        {
            return Err(Error::TimestampOutOfRange { ts_ms, now_ms });
        }
        if datum.is_void() {
            // Nothing to record; an empty aggregate would break "every slot has data".
            return Ok(());
        }
        let series = self.get_or_create(key, unit);
        let mut data = series.data.lock();
        data.last_active_ms = data.last_active_ms.max(now_ms);
        data.apply_in(
            unit.unwrap_or_default(),
            ts_ms,
            resolution,
            Some(now_ms),
            |a| datum.record_into(a),
        );
        if let Some(unit) = unit {
            data.unit = unit;
        }
        Ok(())
    }

    /// The keys of the series that match `filter` and hold data received within the last
    /// two weeks, sorted by namespace, name, then dimensions.
    pub fn list(&self, filter: &ListFilter) -> Vec<MetricKey> {
        let now_ms = self.clock.now_ms();
        let since = filter
            .recently_active_since_ms
            .unwrap_or(0)
            .max(now_ms.saturating_sub(LIST_HORIZON_MS));
        let mut keys: Vec<MetricKey> = self
            .series
            .read()
            .values()
            .filter(|s| filter.matches(&s.key))
            .filter(|s| {
                let data = s.data.lock();
                !data.is_empty() && data.last_active_ms >= since
            })
            .map(|s| s.key.clone())
            .collect();
        keys.sort_unstable();
        keys
    }

    /// Statistics of `key` over `[start_ms, end_ms)` in periods of `period_s` seconds; see the
    /// module doc for alignment and the data used. An unknown key yields no datapoints.
    ///
    /// Errors: [`Error::InvalidPeriod`], [`Error::InvalidTimeRange`] when start >= end, and
    /// [`Error::HighResolutionExpired`] when a period under 60 s is asked for a range that
    /// ends more than 3 hours ago (a range reaching back further but ending later is answered
    /// from what is kept).
    pub fn query(
        &self,
        key: &MetricKey,
        start_ms: u64,
        end_ms: u64,
        period_s: u32,
        statistics: &[Statistic],
    ) -> Result<Vec<Datapoint>, Error> {
        let (source, origin_s) = plan(start_ms, end_ms, period_s, self.clock.now_ms())?;
        let Some(series) = self.series.read().get(key).cloned() else {
            return Ok(Vec::new());
        };
        let data = series.data.lock();
        Ok(data.query(source, origin_s, end_ms, u64::from(period_s), statistics))
    }

    /// [`Store::query`] over the data stored in `unit` only, as CloudWatch answers a query
    /// that names a unit (none when the metric has no data in it); without a unit, all data
    /// together.
    pub fn query_in(
        &self,
        key: &MetricKey,
        start_ms: u64,
        end_ms: u64,
        period_s: u32,
        statistics: &[Statistic],
        unit: Option<Unit>,
    ) -> Result<Vec<Datapoint>, Error> {
        let Some(unit) = unit else {
            return self.query(key, start_ms, end_ms, period_s, statistics);
        };
        let (source, origin_s) = plan(start_ms, end_ms, period_s, self.clock.now_ms())?;
        let Some(series) = self.series.read().get(key).cloned() else {
            return Ok(Vec::new());
        };
        let data = series.data.lock();
        Ok(data.in_unit(unit).map_or_else(Vec::new, |d| {
            d.query(source, origin_s, end_ms, u64::from(period_s), statistics)
        }))
    }

    /// [`Store::query`] with each unit's data apart: a datapoint per period and unit, in time
    /// order, as GetMetricStatistics answers without a unit.
    pub fn query_each_unit(
        &self,
        key: &MetricKey,
        start_ms: u64,
        end_ms: u64,
        period_s: u32,
        statistics: &[Statistic],
    ) -> Result<Vec<Datapoint>, Error> {
        let (source, origin_s) = plan(start_ms, end_ms, period_s, self.clock.now_ms())?;
        let Some(series) = self.series.read().get(key).cloned() else {
            return Ok(Vec::new());
        };
        let data = series.data.lock();
        let mut points: Vec<Datapoint> = data
            .units()
            .into_iter()
            .flat_map(|d| d.query(source, origin_s, end_ms, u64::from(period_s), statistics))
            .collect();
        points.sort_by_key(|p| p.timestamp_ms);
        Ok(points)
    }

    /// Drops data older than retention at `now_ms` (3 hours of seconds, 15 days of minutes),
    /// returns spare capacity, and removes series left empty that no handle refers to.
    /// Returns how many series were removed. Call it every minute or so.
    pub fn maintain(&self, now_ms: u64) -> usize {
        let mut empty = Vec::new();
        for (key, series) in self.series.read().iter() {
            let mut data = series.data.lock();
            data.maintain(now_ms);
            if data.is_empty() && Arc::strong_count(series) == 1 {
                empty.push(key.clone());
            }
        }
        if empty.is_empty() {
            return 0;
        }
        let mut map = self.series.write();
        let mut removed = 0;
        for key in empty {
            // Re-check under the write lock: handles are only made under the map's lock or by
            // cloning a handle, so a count of 1 here cannot change until we let go.
            let idle = map
                .get(&key)
                .is_some_and(|s| Arc::strong_count(s) == 1 && s.data.lock().is_empty());
            if idle && let Some(gone) = map.remove(&key) {
                self.retire(&gone);
                removed += 1;
            }
        }
        map.shrink_to_fit();
        removed
    }

    /// An estimate of the bytes the store holds: the map, keys, slot arrays and sketches
    /// (by capacity; allocator overhead not included). Walks every series: O(slots).
    pub fn memory_estimate(&self) -> usize {
        let map = self.series.read();
        let table = map.capacity()
            * (std::mem::size_of::<MetricKey>() + std::mem::size_of::<Arc<Series>>());
        let series: usize = map
            .values()
            .map(|s| {
                std::mem::size_of::<Series>() + s.key.heap_bytes() + s.data.lock().heap_bytes()
            })
            .sum();
        // The map's copy of each key shares its strings with the series' copy; only the
        // dimension array is its own.
        let keys: usize = map
            .keys()
            .map(|k| std::mem::size_of_val(k.dimensions()))
            .sum();
        table + series + keys
    }
}

/// Up to `n` series without handles, the least recently updated last (ties: the oldest
/// series last), as `(last active ms, seq, key)`.
fn oldest_unhandled(map: &HashMap<MetricKey, Arc<Series>>, n: usize) -> Vec<(u64, u64, MetricKey)> {
    let mut all: Vec<(u64, u64, &MetricKey)> = map
        .values()
        .filter(|s| Arc::strong_count(s) == 1)
        .map(|s| (s.data.lock().last_active_ms, s.seq, &s.key))
        .collect();
    if all.len() > n {
        all.select_nth_unstable(n - 1);
        all.truncate(n);
    }
    all.sort_unstable_by(|a, b| b.cmp(a));
    all.into_iter()
        .map(|(active, seq, key)| (active, seq, key.clone()))
        .collect()
}

/// Which data answers a query, and where its periods start (epoch seconds).
fn plan(start_ms: u64, end_ms: u64, period_s: u32, now_ms: u64) -> Result<(Source, u64), Error> {
    let sub_minute = matches!(period_s, 1 | 5 | 10 | 20 | 30);
    if !sub_minute && (period_s == 0 || !period_s.is_multiple_of(60)) {
        return Err(Error::InvalidPeriod(period_s));
    }
    if start_ms >= end_ms {
        return Err(Error::InvalidTimeRange { start_ms, end_ms });
    }
    let start_s = start_ms / 1000;
    if sub_minute {
        let oldest_ms = now_ms.saturating_sub(SECONDS_KEPT * 1000);
        if end_ms <= oldest_ms {
            return Err(Error::HighResolutionExpired { end_ms, oldest_ms });
        }
        let p = u64::from(period_s);
        return Ok((Source::Seconds, start_s / p * p));
    }
    let age_ms = now_ms.saturating_sub(start_ms);
    let round_s = if age_ms < 15 * DAY_MS {
        60
    } else if age_ms < 63 * DAY_MS {
        300
    } else {
        3600
    };
    Ok((Source::Minutes, start_s / round_s * round_s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_in_different_units_are_kept_apart() {
        let now = 1_700_000_000_000;
        let store = Store::with_clock(Arc::new(crate::ManualClock::new(now)));
        let key = MetricKey::new("App", "Latency", [("Op", "get")]).unwrap();
        let put = |unit: Option<Unit>, v: f64| {
            store
                .put(
                    &key,
                    unit,
                    now - 1000,
                    &Datum::Value(v),
                    StorageResolution::Standard,
                )
                .unwrap();
        };
        put(Some(Unit::Seconds), 2.0);
        put(Some(Unit::Seconds), 3.0);
        put(None, 10.0);
        put(Some(Unit::Milliseconds), 100.0);
        let sum = |unit: Option<Unit>| -> (f64, Vec<Unit>) {
            let points = store
                .query_in(&key, now - 60_000, now, 60, &[Statistic::Sum], unit)
                .unwrap();
            (
                points.iter().filter_map(|p| p.values[0]).sum(),
                points.iter().map(|p| p.unit).collect(),
            )
        };
        assert_eq!(sum(Some(Unit::Seconds)), (5.0, vec![Unit::Seconds]));
        assert_eq!(sum(Some(Unit::None)), (10.0, vec![Unit::None]));
        assert_eq!(sum(Some(Unit::Milliseconds)).0, 100.0);
        assert_eq!(sum(Some(Unit::Bytes)), (0.0, vec![]));
        // Without a unit, all data together.
        assert_eq!(sum(None).0, 115.0);
        let each = store
            .query_each_unit(&key, now - 60_000, now, 60, &[Statistic::Sum])
            .unwrap();
        let mut each: Vec<(Unit, Option<f64>)> =
            each.iter().map(|p| (p.unit, p.values[0])).collect();
        each.sort_by_key(|(u, _)| u.as_str());
        assert_eq!(
            each,
            [
                (Unit::Milliseconds, Some(100.0)),
                (Unit::None, Some(10.0)),
                (Unit::Seconds, Some(5.0)),
            ]
        );
        // One unit only: the series is not split.
        let single = MetricKey::new("App", "Count", [("Op", "get")]).unwrap();
        store
            .put(
                &single,
                Some(Unit::Count),
                now - 1000,
                &Datum::Value(1.0),
                StorageResolution::Standard,
            )
            .unwrap();
        let points = store
            .query_in(
                &single,
                now - 60_000,
                now,
                60,
                &[Statistic::Sum],
                Some(Unit::Count),
            )
            .unwrap();
        assert_eq!(points[0].values[0], Some(1.0));
        // Once the other units age out, the series is one unit again.
        store.maintain(now + 16 * 86_400_000);
    }

    #[test]
    fn max_value_is_two_to_the_360() {
        assert_eq!(MAX_VALUE, 2f64.powi(360));
    }

    #[test]
    fn slot_and_sketch_sizes_match_the_module_doc() {
        assert_eq!(std::mem::size_of::<crate::series::Slot>(), 56);
        assert_eq!(std::mem::size_of::<crate::Aggregate>(), 48);
        assert_eq!(std::mem::size_of::<crate::Sketch>(), 96);
    }

    #[test]
    fn plan_rounds_start_like_cloudwatch() {
        let now = 100 * DAY_MS;
        // 12:32:34-ish: sub-minute periods round to the period.
        let start = now - HOUR_MS + 34_567; // seconds part 34 within its minute
        let s = start / 1000;
        assert_eq!(
            plan(start, now, 10, now),
            Ok((Source::Seconds, s / 10 * 10))
        );
        assert_eq!(plan(start, now, 1, now), Ok((Source::Seconds, s)));
        assert_eq!(
            plan(start, now, 60, now),
            Ok((Source::Minutes, s / 60 * 60))
        );
        assert_eq!(
            plan(start, now, 300, now),
            Ok((Source::Minutes, s / 60 * 60))
        );
        let old = now - 20 * DAY_MS + 34_567;
        assert_eq!(
            plan(old, now, 300, now),
            Ok((Source::Minutes, old / 1000 / 300 * 300))
        );
        let older = now - 70 * DAY_MS + 34_567;
        assert_eq!(
            plan(older, now, 3600, now),
            Ok((Source::Minutes, older / 1000 / 3600 * 3600))
        );
    }

    #[test]
    fn plan_rejects_bad_periods_and_ranges() {
        let now = 100 * DAY_MS;
        for p in [0, 2, 3, 15, 45, 59, 61, 90, 119] {
            assert_eq!(plan(now - 1000, now, p, now), Err(Error::InvalidPeriod(p)));
        }
        for p in [1, 5, 10, 20, 30, 60, 120, 300, 3600, 86_400] {
            assert!(plan(now - 1000, now, p, now).is_ok(), "{p}");
        }
        assert_eq!(
            plan(now, now, 60, now),
            Err(Error::InvalidTimeRange {
                start_ms: now,
                end_ms: now
            })
        );
        let three_h = 3 * HOUR_MS;
        assert_eq!(
            plan(now - 4 * HOUR_MS, now - three_h, 10, now),
            Err(Error::HighResolutionExpired {
                end_ms: now - three_h,
                oldest_ms: now - three_h
            })
        );
        assert!(plan(now - 4 * HOUR_MS, now - three_h + 1, 10, now).is_ok());
        assert!(plan(now - 4 * HOUR_MS, now - three_h, 60, now).is_ok());
    }
}
