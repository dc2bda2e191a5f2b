//! Time series and labels.

use std::collections::BTreeMap;

/// A time series: datapoints at strictly ascending timestamps (epoch milliseconds), every
/// value finite.
///
/// A timestamp with no datapoint is *missing*. The series is sparse: missing points are
/// simply absent, so series with different periods or misaligned timestamps combine by
/// timestamp without any grid. Functions that need a grid (FILL, TIME_SERIES, the date
/// functions) take it from [`crate::Context::timestamps`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeSeries {
    points: Vec<(i64, f64)>,
}

impl TimeSeries {
    /// A series with no datapoints.
    pub fn empty() -> Self {
        TimeSeries { points: Vec::new() }
    }

    /// Builds a series from `(timestamp ms, value)` pairs in any order.
    ///
    /// Non-finite values are treated as missing and dropped; of several points at the same
    /// timestamp the last one given wins.
    pub fn from_points(points: impl IntoIterator<Item = (i64, f64)>) -> Self {
        let mut map = BTreeMap::new();
        for (t, v) in points {
            if v.is_finite() {
                map.insert(t, v);
            } else {
                map.remove(&t);
            }
        }
        TimeSeries {
            points: map.into_iter().collect(),
        }
    }

    /// Builds a series from a grid of timestamps and one optional value per timestamp (the
    /// shape GetMetricData results have before empty periods are removed). Pairs past the
    /// shorter of the two slices are ignored.
    pub fn from_aligned(timestamps: &[i64], values: &[Option<f64>]) -> Self {
        TimeSeries::from_points(
            timestamps
                .iter()
                .zip(values)
                .filter_map(|(t, v)| v.map(|v| (*t, v))),
        )
    }

    /// Builds a series from points expected in strictly ascending timestamp order (what
    /// the crate's own operations produce), dropping non-finite values. Input that is not
    /// in order (say, a grid from a [`crate::Context`] that is not sorted) is sorted instead.
    pub(crate) fn from_sorted(points: impl IntoIterator<Item = (i64, f64)>) -> Self {
        let points: Vec<(i64, f64)> = points.into_iter().filter(|(_, v)| v.is_finite()).collect();
        if points.windows(2).all(|w| w[0].0 < w[1].0) {
            TimeSeries { points }
        } else {
            TimeSeries::from_points(points)
        }
    }

    /// The datapoints, ascending by timestamp.
    pub fn points(&self) -> &[(i64, f64)] {
        &self.points
    }

    /// The timestamps of the datapoints, ascending.
    pub fn timestamps(&self) -> impl Iterator<Item = i64> + '_ {
        self.points.iter().map(|(t, _)| *t)
    }

    /// The values of the datapoints, in timestamp order.
    pub fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.points.iter().map(|(_, v)| *v)
    }

    /// The value at `timestamp`, if there is a datapoint there.
    pub fn get(&self, timestamp: i64) -> Option<f64> {
        self.points
            .binary_search_by_key(&timestamp, |(t, _)| *t)
            .ok()
            .and_then(|i| self.points.get(i))
            .map(|(_, v)| *v)
    }

    /// Number of datapoints.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether the series has no datapoints.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The values at each timestamp of `grid`, `None` where missing.
    pub fn to_aligned(&self, grid: &[i64]) -> Vec<Option<f64>> {
        grid.iter().map(|t| self.get(*t)).collect()
    }

    /// Applies `f` to every value; results that are not finite are dropped.
    pub(crate) fn map(&self, f: impl Fn(f64) -> f64) -> TimeSeries {
        TimeSeries::from_sorted(self.points.iter().map(|(t, v)| (*t, f(*v))))
    }

    /// Combines two series at the timestamps both have (a point missing on either side is
    /// missing in the result); non-finite results are dropped.
    pub(crate) fn zip_both(&self, other: &TimeSeries, f: impl Fn(f64, f64) -> f64) -> TimeSeries {
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::with_capacity(self.len().min(other.len()));
        while let (Some(&(ta, a)), Some(&(tb, b))) = (self.points.get(i), other.points.get(j)) {
            match ta.cmp(&tb) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    out.push((ta, f(a, b)));
                    i += 1;
                    j += 1;
                }
            }
        }
        TimeSeries::from_sorted(out)
    }

    /// Combines two series at every timestamp either has, a missing side counting as
    /// `missing`; non-finite results are dropped.
    pub(crate) fn zip_either(
        &self,
        other: &TimeSeries,
        missing: f64,
        f: impl Fn(f64, f64) -> f64,
    ) -> TimeSeries {
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::with_capacity(self.len().max(other.len()));
        loop {
            let (a, b) = (self.points.get(i), other.points.get(j));
            let point = match (a, b) {
                (None, None) => break,
                (Some(&(ta, va)), Some(&(tb, vb))) if ta == tb => {
                    i += 1;
                    j += 1;
                    (ta, f(va, vb))
                }
                (Some(&(ta, va)), Some(&(tb, _))) if ta < tb => {
                    i += 1;
                    (ta, f(va, missing))
                }
                (Some(&(ta, va)), None) => {
                    i += 1;
                    (ta, f(va, missing))
                }
                (_, Some(&(tb, vb))) => {
                    j += 1;
                    (tb, f(missing, vb))
                }
            };
            out.push(point);
        }
        TimeSeries::from_sorted(out)
    }
}

/// A value with the label GetMetricData would show for it (a metric's label, or the
/// member label of an array element).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Labeled<T> {
    /// The label; empty when the value has none of its own (for example the sum of two
    /// series), in which case the caller uses the query's Label or its default.
    pub label: String,
    /// The labeled value.
    pub value: T,
}

impl<T> Labeled<T> {
    /// Pairs `value` with `label`.
    pub fn new(label: impl Into<String>, value: T) -> Self {
        Labeled {
            label: label.into(),
            value,
        }
    }

    /// A value with no label of its own.
    pub fn unlabeled(value: T) -> Self {
        Labeled {
            label: String::new(),
            value,
        }
    }

    /// Replaces the value, keeping the label.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Labeled<U> {
        Labeled {
            label: self.label,
            value: f(self.value),
        }
    }
}
