//! What the store keeps per second and per minute: count, sum, extremes and a sketch.
//!
//! An [`Aggregate`] summarises any number of values exactly for SampleCount, Sum, Minimum,
//! Maximum and Average, and to within 1% for percentiles through a [`Sketch`]. The sketch is
//! only allocated once two different values have been recorded: while every value recorded is
//! the same (one datapoint a second, say) the percentiles are that value and the aggregate is
//! its 48 bytes. Aggregates of statistic sets never hold a sketch.
//!
//! # Percentile availability
//!
//! CloudWatch computes percentiles from raw values. Data published as a statistic set has
//! percentiles only when its Minimum equals its Maximum (SampleCount 1 is the common case):
//! such a set is the value Minimum seen SampleCount times and counts as such. Any other
//! statistic set leaves the aggregate without percentiles, and so does merging with an
//! aggregate that has none: once any data without values is in a period, that period has no
//! percentiles. CloudWatch also documents that percentiles are unavailable when any value is
//! negative; [`Aggregate::stat`] follows it and answers `None` for a percentile when the
//! minimum is below zero (the sketch itself handles negative values).
//!
//! # Invariants
//!
//! - `sample_count == 0` exactly when nothing was recorded; then `min = +∞`, `max = −∞`,
//!   `sum = 0` and there is no sketch.
//! - With a sketch, `sketch.count() == sample_count` (up to floating-point rounding); without
//!   one but with percentiles, `min == max`.
//! - `merge` is associative and commutative (up to floating-point summation order; exact for
//!   integer-valued data), so any grouping of seconds into minutes or periods gives the same
//!   statistics, bit for bit for integer data.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;
use crate::sketch::Sketch;

/// A CloudWatch StatisticSet: pre-aggregated values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatisticSet {
    /// How many values the set summarises (CloudWatch's SampleCount).
    pub sample_count: f64,
    /// Their sum.
    pub sum: f64,
    /// The smallest of them.
    pub minimum: f64,
    /// The largest of them.
    pub maximum: f64,
}

impl StatisticSet {
    /// Checks what CloudWatch would: finite numbers, SampleCount > 0, Minimum <= Maximum.
    pub fn validate(&self) -> Result<(), Error> {
        let all = [self.sample_count, self.sum, self.minimum, self.maximum];
        if !all.iter().all(|v| v.is_finite()) {
            return Err(Error::InvalidStatisticSet(
                "every member must be a finite number",
            ));
        }
        if self.sample_count <= 0.0 {
            return Err(Error::InvalidStatisticSet(
                "SampleCount must be greater than 0",
            ));
        }
        if self.minimum > self.maximum {
            return Err(Error::InvalidStatisticSet(
                "Minimum must not exceed Maximum",
            ));
        }
        Ok(())
    }

    fn is_valid(&self) -> bool {
        self.validate().is_ok()
    }
}

/// A statistic CloudWatch can return for a period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistic {
    /// The number of values.
    SampleCount,
    /// Their sum.
    Sum,
    /// The smallest value.
    Minimum,
    /// The largest value.
    Maximum,
    /// Sum / SampleCount.
    Average,
    /// The given percentile, `0.0..=100.0` (`p99` is `Percentile(99.0)`, `p99.9` is
    /// `Percentile(99.9)`).
    Percentile(f64),
}

impl Statistic {
    /// Parses `SampleCount`, `Sum`, `Minimum`, `Maximum`, `Average`, or `pNN` / `pNN.N` /
    /// `pNN.NN` from `p0` to `p100` (CloudWatch's extended statistics allow two decimals).
    pub fn parse(s: &str) -> Result<Statistic, Error> {
        let bad = || Error::InvalidStatistic(s.to_owned());
        Ok(match s {
            "SampleCount" => Statistic::SampleCount,
            "Sum" => Statistic::Sum,
            "Minimum" => Statistic::Minimum,
            "Maximum" => Statistic::Maximum,
            "Average" => Statistic::Average,
            _ => {
                let digits = s.strip_prefix('p').ok_or_else(bad)?;
                let (int, frac) = match digits.split_once('.') {
                    Some((i, f)) => (i, Some(f)),
                    None => (digits, None),
                };
                let int_ok =
                    (1..=3).contains(&int.len()) && int.bytes().all(|b| b.is_ascii_digit());
                let frac_ok = frac.is_none_or(|f| {
                    (1..=2).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit())
                });
                if !int_ok || !frac_ok {
                    return Err(bad());
                }
                let p: f64 = digits.parse().map_err(|_| bad())?;
                if !(0.0..=100.0).contains(&p) {
                    return Err(bad());
                }
                Statistic::Percentile(p)
            }
        })
    }
}

impl FromStr for Statistic {
    type Err = Error;

    fn from_str(s: &str) -> Result<Statistic, Error> {
        Statistic::parse(s)
    }
}

impl fmt::Display for Statistic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statistic::SampleCount => f.write_str("SampleCount"),
            Statistic::Sum => f.write_str("Sum"),
            Statistic::Minimum => f.write_str("Minimum"),
            Statistic::Maximum => f.write_str("Maximum"),
            Statistic::Average => f.write_str("Average"),
            Statistic::Percentile(p) => write!(f, "p{p}"),
        }
    }
}

/// How an aggregate answers percentiles.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
enum Distribution {
    /// Every value recorded equals `min` (== `max`), or nothing was recorded.
    #[serde(rename = "u")]
    Uniform,
    /// The values recorded, sketched.
    #[serde(rename = "s")]
    Sketched(Box<Sketch>),
    /// Some data came as a statistic set with Minimum < Maximum: no percentiles.
    #[serde(rename = "x")]
    Unavailable,
}

/// Count, sum, extremes and (for recorded values) a quantile sketch of some values.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Aggregate {
    #[serde(rename = "n")]
    sample_count: f64,
    #[serde(rename = "s")]
    sum: f64,
    #[serde(rename = "lo")]
    min: f64,
    #[serde(rename = "hi")]
    max: f64,
    #[serde(rename = "d")]
    distribution: Distribution,
}

impl Default for Aggregate {
    fn default() -> Aggregate {
        Aggregate {
            sample_count: 0.0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            distribution: Distribution::Uniform,
        }
    }
}

impl Aggregate {
    /// An empty aggregate.
    pub fn new() -> Aggregate {
        Aggregate::default()
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.sample_count == 0.0
    }

    /// The number of values recorded (weights summed).
    pub fn sample_count(&self) -> f64 {
        self.sample_count
    }

    /// The sum of the values recorded.
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// The smallest value recorded (`+∞` when empty).
    pub fn min(&self) -> f64 {
        self.min
    }

    /// The largest value recorded (`−∞` when empty).
    pub fn max(&self) -> f64 {
        self.max
    }

    /// The sketch, once two different values have been recorded and while every datum had
    /// raw values.
    pub fn sketch(&self) -> Option<&Sketch> {
        match &self.distribution {
            Distribution::Sketched(s) => Some(s),
            _ => None,
        }
    }

    /// Whether percentiles can be computed (see the module doc; negative values aside).
    pub fn has_percentiles(&self) -> bool {
        !self.is_empty() && self.distribution != Distribution::Unavailable
    }

    /// Records one value. NaN and ±infinity are ignored (callers reject them).
    #[inline]
    pub fn record(&mut self, value: f64) {
        self.record_n(value, 1.0);
    }

    /// Records `value` seen `count` times. Ignored unless `value` is finite and `count`
    /// finite and positive.
    #[inline]
    pub fn record_n(&mut self, value: f64, count: f64) {
        if !(value.is_finite() && count > 0.0 && count.is_finite()) {
            return;
        }
        self.add_values(value, count);
        self.sum += value * count;
    }

    /// Adds `count` values equal to `value` to the count, the extremes and the distribution
    /// (not to the sum: a statistic set brings its own).
    #[inline]
    fn add_values(&mut self, value: f64, count: f64) {
        match &mut self.distribution {
            Distribution::Uniform => {
                // Non-empty and uniform means min == max.
                if !self.is_empty() && value != self.min {
                    let mut sketch = Box::<Sketch>::default();
                    sketch.add_n(self.min, self.sample_count);
                    sketch.add_n(value, count);
                    self.distribution = Distribution::Sketched(sketch);
                }
            }
            Distribution::Sketched(sketch) => sketch.add_n(value, count),
            Distribution::Unavailable => {}
        }
        self.sample_count += count;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    /// Records a statistic set. Percentiles stay available only if Minimum == Maximum (see the
    /// module doc). An invalid set (see [`StatisticSet::validate`]) is ignored.
    pub fn record_stats(&mut self, stats: StatisticSet) {
        if !stats.is_valid() {
            return;
        }
        if stats.minimum == stats.maximum {
            self.add_values(stats.minimum, stats.sample_count);
        } else {
            self.distribution = Distribution::Unavailable;
            self.sample_count += stats.sample_count;
            self.min = self.min.min(stats.minimum);
            self.max = self.max.max(stats.maximum);
        }
        self.sum += stats.sum;
    }

    /// Adds everything `other` summarises to `self`.
    pub fn merge(&mut self, other: &Aggregate) {
        if other.is_empty() {
            return;
        }
        if self.is_empty() {
            self.clone_from(other);
            return;
        }
        match (&mut self.distribution, &other.distribution) {
            (Distribution::Unavailable, _) => {}
            (_, Distribution::Unavailable) => self.distribution = Distribution::Unavailable,
            (Distribution::Sketched(mine), Distribution::Sketched(theirs)) => mine.merge(theirs),
            (Distribution::Sketched(mine), Distribution::Uniform) => {
                mine.add_n(other.min, other.sample_count)
            }
            (Distribution::Uniform, Distribution::Uniform) => {
                if self.min != other.min {
                    let mut sketch = Box::<Sketch>::default();
                    sketch.add_n(self.min, self.sample_count);
                    sketch.add_n(other.min, other.sample_count);
                    self.distribution = Distribution::Sketched(sketch);
                }
            }
            (Distribution::Uniform, Distribution::Sketched(theirs)) => {
                let mut sketch = theirs.clone();
                sketch.add_n(self.min, self.sample_count);
                self.distribution = Distribution::Sketched(sketch);
            }
        }
        self.sample_count += other.sample_count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The statistic's value, or `None` when the aggregate is empty or the statistic is not
    /// available (a percentile of statistic-set data, or over negative values).
    pub fn stat(&self, statistic: &Statistic) -> Option<f64> {
        if self.is_empty() {
            return None;
        }
        match *statistic {
            Statistic::SampleCount => Some(self.sample_count),
            Statistic::Sum => Some(self.sum),
            Statistic::Minimum => Some(self.min),
            Statistic::Maximum => Some(self.max),
            Statistic::Average => Some(self.sum / self.sample_count),
            Statistic::Percentile(p) => {
                if self.min < 0.0 {
                    return None;
                }
                match &self.distribution {
                    Distribution::Unavailable => None,
                    Distribution::Uniform => Some(self.min),
                    // The extremes are known exactly: p0 and p100 are them, and no estimate
                    // lies outside them.
                    Distribution::Sketched(_) if p <= 0.0 => Some(self.min),
                    Distribution::Sketched(_) if p >= 100.0 => Some(self.max),
                    Distribution::Sketched(sketch) => {
                        Some(sketch.quantile(p / 100.0)?.clamp(self.min, self.max))
                    }
                }
            }
        }
    }

    /// Gives back the sketch's spare capacity.
    pub fn shrink_to_fit(&mut self) {
        if let Distribution::Sketched(s) = &mut self.distribution {
            s.shrink_to_fit();
        }
    }

    /// Bytes this aggregate holds on the heap (the boxed sketch and its buckets).
    pub fn heap_bytes(&self) -> usize {
        match &self.distribution {
            Distribution::Sketched(s) => std::mem::size_of::<Sketch>() + s.heap_bytes(),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const P99: Statistic = Statistic::Percentile(99.0);

    fn set(sample_count: f64, sum: f64, minimum: f64, maximum: f64) -> StatisticSet {
        StatisticSet {
            sample_count,
            sum,
            minimum,
            maximum,
        }
    }

    #[test]
    fn parse_statistics() {
        assert_eq!(Statistic::parse("Sum"), Ok(Statistic::Sum));
        assert_eq!(Statistic::parse("SampleCount"), Ok(Statistic::SampleCount));
        assert_eq!(Statistic::parse("Average"), Ok(Statistic::Average));
        assert_eq!(Statistic::parse("Minimum"), Ok(Statistic::Minimum));
        assert_eq!(Statistic::parse("Maximum"), Ok(Statistic::Maximum));
        assert_eq!(Statistic::parse("p99"), Ok(Statistic::Percentile(99.0)));
        assert_eq!(Statistic::parse("p99.9"), Ok(Statistic::Percentile(99.9)));
        assert_eq!(Statistic::parse("p99.99"), Ok(Statistic::Percentile(99.99)));
        assert_eq!(Statistic::parse("p50"), Ok(Statistic::Percentile(50.0)));
        assert_eq!(Statistic::parse("p0"), Ok(Statistic::Percentile(0.0)));
        assert_eq!(Statistic::parse("p100"), Ok(Statistic::Percentile(100.0)));
        for bad in [
            "", "p", "p100.01", "p101", "p99.999", "p-1", "p.5", "p5.", "P99", "sum", "p1e1",
            "tm99",
        ] {
            assert!(Statistic::parse(bad).is_err(), "{bad:?} parsed");
        }
        for s in ["Sum", "p99", "p99.9", "p50", "SampleCount"] {
            assert_eq!(
                Statistic::parse(s).map(|st| st.to_string()),
                Ok(s.to_owned())
            );
        }
    }

    #[test]
    fn empty_aggregate_has_no_statistics() {
        let a = Aggregate::new();
        assert!(a.is_empty());
        assert_eq!(a.stat(&Statistic::Sum), None);
        assert_eq!(a.stat(&Statistic::SampleCount), None);
        assert_eq!(a.heap_bytes(), 0);
    }

    #[test]
    fn values_give_every_statistic() {
        let mut a = Aggregate::new();
        for v in [4.0, 1.0, 3.0, 2.0] {
            a.record(v);
        }
        a.record_n(10.0, 2.0);
        assert_eq!(a.stat(&Statistic::SampleCount), Some(6.0));
        assert_eq!(a.stat(&Statistic::Sum), Some(30.0));
        assert_eq!(a.stat(&Statistic::Minimum), Some(1.0));
        assert_eq!(a.stat(&Statistic::Maximum), Some(10.0));
        assert_eq!(a.stat(&Statistic::Average), Some(5.0));
        assert_eq!(a.stat(&Statistic::Percentile(100.0)), Some(10.0));
        assert_eq!(a.stat(&Statistic::Percentile(0.0)), Some(1.0));
        let p50 = a.stat(&Statistic::Percentile(50.0)).unwrap_or(0.0);
        assert!((p50 - 3.0).abs() <= 0.03, "{p50}");
    }

    #[test]
    fn non_finite_values_are_ignored() {
        let mut a = Aggregate::new();
        a.record(f64::NAN);
        a.record(f64::INFINITY);
        a.record_n(1.0, 0.0);
        a.record_stats(set(1.0, f64::NAN, 1.0, 1.0));
        a.record_stats(set(0.0, 0.0, 0.0, 0.0));
        a.record_stats(set(2.0, 3.0, 2.0, 1.0));
        assert!(a.is_empty());
    }

    #[test]
    fn statistic_sets_without_equal_extremes_have_no_percentiles() {
        let mut a = Aggregate::new();
        a.record_stats(set(3.0, 6.0, 1.0, 3.0));
        assert_eq!(a.stat(&Statistic::Sum), Some(6.0));
        assert_eq!(a.stat(&Statistic::Average), Some(2.0));
        assert_eq!(a.stat(&P99), None);
        assert!(a.sketch().is_none());
        assert!(!a.has_percentiles());
        // Values recorded later do not bring percentiles back for this period.
        a.record(5.0);
        assert_eq!(a.stat(&P99), None);
        assert_eq!(a.stat(&Statistic::SampleCount), Some(4.0));
    }

    #[test]
    fn statistic_sets_with_equal_extremes_have_percentiles() {
        let mut a = Aggregate::new();
        a.record_stats(set(1.0, 7.0, 7.0, 7.0));
        a.record_stats(set(4.0, 8.0, 2.0, 2.0));
        assert_eq!(a.stat(&Statistic::SampleCount), Some(5.0));
        assert_eq!(a.stat(&Statistic::Percentile(100.0)), Some(7.0));
        assert_eq!(a.stat(&Statistic::Percentile(50.0)), Some(2.0));
    }

    #[test]
    fn merge_with_a_statistic_set_drops_percentiles() {
        let mut values = Aggregate::new();
        values.record(1.0);
        let mut stats = Aggregate::new();
        stats.record_stats(set(2.0, 3.0, 1.0, 2.0));
        let mut m = values.clone();
        m.merge(&stats);
        assert_eq!(m.stat(&P99), None);
        assert_eq!(m.stat(&Statistic::Sum), Some(4.0));
        let mut m = stats.clone();
        m.merge(&values);
        assert_eq!(m.stat(&P99), None);
        // Merging empties changes nothing.
        let mut m = values.clone();
        m.merge(&Aggregate::new());
        assert_eq!(m, values);
        let mut m = Aggregate::new();
        m.merge(&values);
        assert_eq!(m, values);
    }

    #[test]
    fn negative_values_have_no_percentiles() {
        let mut a = Aggregate::new();
        a.record(-1.0);
        a.record(5.0);
        assert_eq!(a.stat(&P99), None);
        assert_eq!(a.stat(&Statistic::Minimum), Some(-1.0));
        assert!(a.sketch().is_some());
    }

    #[test]
    fn equal_values_need_no_sketch() {
        let mut a = Aggregate::new();
        assert!(!a.has_percentiles());
        for _ in 0..100 {
            a.record(3.0);
        }
        a.record_stats(set(5.0, 15.0, 3.0, 3.0));
        assert!(a.sketch().is_none());
        assert!(a.has_percentiles());
        assert_eq!(a.heap_bytes(), 0);
        assert_eq!(a.stat(&P99), Some(3.0));
        assert_eq!(a.stat(&Statistic::Percentile(50.0)), Some(3.0));
        a.record(4.0);
        assert_eq!(a.sketch().map(Sketch::count), Some(106.0));
        assert_eq!(a.stat(&Statistic::Percentile(100.0)), Some(4.0));
        // 105 threes and a four: p99 (rank 103) is a three, within 1%.
        let p99 = a.stat(&P99).unwrap_or(0.0);
        assert!((p99 - 3.0).abs() <= 0.03, "{p99}");
        // Merging two different uniform aggregates sketches both.
        let mut x = Aggregate::new();
        x.record_n(1.0, 10.0);
        let mut y = Aggregate::new();
        y.record_n(2.0, 10.0);
        x.merge(&y);
        assert_eq!(x.sketch().map(Sketch::count), Some(20.0));
        let mut direct = Aggregate::new();
        direct.record_n(1.0, 10.0);
        direct.record_n(2.0, 10.0);
        assert_eq!(x, direct);
    }

    fn part() -> impl Strategy<Value = Vec<(i32, u8, bool)>> {
        // (value, weight, as a statistic set with min == max?)
        prop::collection::vec((0i32..50, 1u8..5, any::<bool>()), 0..30)
    }

    fn record_part(a: &mut Aggregate, part: &[(i32, u8, bool)]) {
        for &(v, w, as_set) in part {
            let (v, w) = (f64::from(v), f64::from(w));
            if as_set {
                a.record_stats(set(w, v * w, v, v));
            } else {
                a.record_n(v, w);
            }
        }
    }

    proptest! {
        #[test]
        fn merging_parts_equals_recording_everything(parts in prop::collection::vec(part(), 1..6)) {
            let mut whole = Aggregate::new();
            let mut merged = Aggregate::new();
            for p in &parts {
                record_part(&mut whole, p);
                let mut a = Aggregate::new();
                record_part(&mut a, p);
                merged.merge(&a);
            }
            prop_assert_eq!(&merged, &whole);
            // And in the other order.
            let mut reversed = Aggregate::new();
            for p in parts.iter().rev() {
                let mut a = Aggregate::new();
                record_part(&mut a, p);
                reversed.merge(&a);
            }
            prop_assert_eq!(reversed.stat(&P99), whole.stat(&P99));
            prop_assert_eq!(reversed.stat(&Statistic::Sum), whole.stat(&Statistic::Sum));
        }
    }

    #[test]
    fn merge_equals_recording_everything() {
        let mut whole = Aggregate::new();
        let mut parts = vec![Aggregate::new(); 7];
        for i in 0..1000u32 {
            let v = f64::from((i * 7919) % 1013);
            whole.record(v);
            parts[(i % 7) as usize].record(v);
        }
        let mut merged = Aggregate::new();
        for p in &parts {
            merged.merge(p);
        }
        assert_eq!(merged, whole);
    }
}
