//! Metric kinds and their aggregates, as k6 defines them.
//!
//! - **Counter**: sums what is added; `count` is the sum, `rate` the sum per second of the
//!   test's elapsed time.
//! - **Gauge**: keeps the last value added (`value`) and the smallest and largest (`min`, `max`).
//! - **Rate**: the share of added values that are not zero (`rate`); `passes` counts the
//!   non-zero ones and `fails` the zeros.
//! - **Trend**: `count`, `avg`, `min`, `max` exactly, and `med` and `p(N)` for any `N` from
//!   `metric_store::Sketch` (1% relative error, at most 32 KiB however many samples).
//!
//! # Percentiles
//!
//! k6 keeps every sample of a trend and interpolates linearly between the order statistics
//! around rank `q·(n−1)`. Here a trend holds a mergeable sketch instead, so millions of
//! samples cost a few kilobytes: `med`/`p(N)` interpolate the same way between the sketch's
//! estimates of those two order statistics, each within 1% of its value (the lowest and
//! highest are the exact `min` and `max`, and every answer is clamped to `[min, max]`, so a
//! trend of equal samples answers exactly). A threshold within about 1% of its boundary can
//! therefore judge differently from k6.

use std::time::Duration;

use metric_store::Sketch;

/// A metric's kind, k6's four.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Sums values: `count`, `rate` (per second).
    Counter,
    /// The last value, with `min` and `max`.
    Gauge,
    /// The share of non-zero values: `rate`, `passes`, `fails`.
    Rate,
    /// The distribution of values: `avg`, `min`, `med`, `max`, `p(N)`, `count`.
    Trend,
}

impl Kind {
    /// k6's name for the kind (`counter`, `gauge`, `rate`, `trend`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Rate => "rate",
            Kind::Trend => "trend",
        }
    }

    /// The aggregation methods a threshold may use on this kind, in k6's order and spelling
    /// (`p` stands for every percentile).
    pub fn threshold_methods(self) -> &'static [&'static str] {
        match self {
            Kind::Counter => &["count", "rate"],
            Kind::Gauge => &["value"],
            Kind::Rate => &["rate"],
            Kind::Trend => &["avg", "min", "max", "med", "p"],
        }
    }

    /// Whether a threshold may use `stat` on this kind.
    pub fn supports(self, stat: Stat) -> bool {
        self.threshold_methods().contains(&stat.method_token())
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a metric's values are, which decides how the text summary prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Contains {
    /// Plain numbers.
    Default,
    /// Milliseconds (printed as `16.5ms`, `1.2s`, `250µs`).
    Time,
    /// Bytes (printed as `12 kB`).
    Data,
}

/// One aggregate of a metric: what a threshold tests and what the summaries print.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    /// Trend mean.
    Avg,
    /// Trend or gauge minimum.
    Min,
    /// Trend or gauge maximum.
    Max,
    /// Trend median (`p(50)`).
    Med,
    /// Trend percentile, `0.0..=100.0`.
    Percentile(f64),
    /// Counter sum, or the number of trend samples.
    Count,
    /// Rate share (`0.0..=1.0`) or counter per second.
    Rate,
    /// Gauge last value.
    Value,
    /// Rate: non-zero samples.
    Passes,
    /// Rate: zero samples.
    Fails,
}

impl Stat {
    /// The method token k6 reports in errors (`p` for any percentile).
    pub fn method_token(self) -> &'static str {
        match self {
            Stat::Avg => "avg",
            Stat::Min => "min",
            Stat::Max => "max",
            Stat::Med => "med",
            Stat::Percentile(_) => "p",
            Stat::Count => "count",
            Stat::Rate => "rate",
            Stat::Value => "value",
            Stat::Passes => "passes",
            Stat::Fails => "fails",
        }
    }
}

impl std::fmt::Display for Stat {
    /// The key k6 uses: `avg`, `p(95)`, `p(99.9)`, ...
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stat::Percentile(p) => write!(f, "p({p})"),
            other => f.write_str(other.method_token()),
        }
    }
}

/// The aggregate state of one metric or sub-metric.
#[derive(Debug, Clone)]
pub(crate) enum Sink {
    Counter {
        sum: f64,
        samples: u64,
    },
    Gauge {
        value: f64,
        min: f64,
        max: f64,
        samples: u64,
    },
    Rate {
        passes: u64,
        total: u64,
    },
    Trend(Box<TrendSink>),
}

/// A trend's exact moments and its sketch.
#[derive(Debug, Clone, Default)]
pub(crate) struct TrendSink {
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
    sketch: Sketch,
}

impl Sink {
    pub(crate) fn new(kind: Kind) -> Sink {
        match kind {
            Kind::Counter => Sink::Counter {
                sum: 0.0,
                samples: 0,
            },
            Kind::Gauge => Sink::Gauge {
                value: 0.0,
                min: 0.0,
                max: 0.0,
                samples: 0,
            },
            Kind::Rate => Sink::Rate {
                passes: 0,
                total: 0,
            },
            Kind::Trend => Sink::Trend(Box::default()),
        }
    }

    /// Adds one finite sample.
    pub(crate) fn add(&mut self, v: f64) {
        match self {
            Sink::Counter { sum, samples } => {
                *sum += v;
                *samples += 1;
            }
            Sink::Gauge {
                value,
                min,
                max,
                samples,
            } => {
                if *samples == 0 {
                    (*min, *max) = (v, v);
                } else {
                    *min = min.min(v);
                    *max = max.max(v);
                }
                *value = v;
                *samples += 1;
            }
            Sink::Rate { passes, total } => {
                *passes += u64::from(v != 0.0);
                *total += 1;
            }
            Sink::Trend(t) => {
                if t.count == 0 {
                    (t.min, t.max) = (v, v);
                } else {
                    t.min = t.min.min(v);
                    t.max = t.max.max(v);
                }
                t.count += 1;
                t.sum += v;
                t.sketch.add(v);
            }
        }
    }

    /// Adds everything `other` (of the same kind) has seen; a gauge takes `other`'s last value
    /// when `other` has one, as if its samples came after this one's.
    pub(crate) fn merge(&mut self, other: &Sink) {
        match (self, other) {
            (Sink::Counter { sum, samples }, Sink::Counter { sum: s, samples: n }) => {
                *sum += s;
                *samples += n;
            }
            (
                Sink::Gauge {
                    value,
                    min,
                    max,
                    samples,
                },
                Sink::Gauge {
                    value: v,
                    min: lo,
                    max: hi,
                    samples: n,
                },
            ) if *n > 0 => {
                if *samples == 0 {
                    (*min, *max) = (*lo, *hi);
                } else {
                    *min = min.min(*lo);
                    *max = max.max(*hi);
                }
                *value = *v;
                *samples += n;
            }
            (
                Sink::Rate { passes, total },
                Sink::Rate {
                    passes: p,
                    total: t,
                },
            ) => {
                *passes += p;
                *total += t;
            }
            (Sink::Trend(a), Sink::Trend(b)) if b.count > 0 => {
                if a.count == 0 {
                    (a.min, a.max) = (b.min, b.max);
                } else {
                    a.min = a.min.min(b.min);
                    a.max = a.max.max(b.max);
                }
                a.count += b.count;
                a.sum += b.sum;
                a.sketch.merge(&b.sketch);
            }
            _ => {}
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Sink::Counter { samples, .. } | Sink::Gauge { samples, .. } => *samples == 0,
            Sink::Rate { total, .. } => *total == 0,
            Sink::Trend(t) => t.count == 0,
        }
    }

    /// The aggregate, or `None` when the kind has no such aggregate or it is undefined (a rate
    /// with no samples, a counter's rate at zero elapsed time), which is when k6 leaves it out.
    /// An empty trend answers 0 for every statistic, as k6's does.
    pub(crate) fn stat(&self, stat: Stat, elapsed: Duration) -> Option<f64> {
        match (self, stat) {
            (Sink::Counter { sum, .. }, Stat::Count) => Some(*sum),
            (Sink::Counter { sum, .. }, Stat::Rate) => {
                let secs = elapsed.as_secs_f64();
                (secs > 0.0).then(|| sum / secs)
            }
            (Sink::Gauge { value, .. }, Stat::Value) => Some(*value),
            (Sink::Gauge { min, .. }, Stat::Min) => Some(*min),
            (Sink::Gauge { max, .. }, Stat::Max) => Some(*max),
            (Sink::Rate { passes, total }, Stat::Rate) => {
                (*total > 0).then(|| *passes as f64 / *total as f64)
            }
            (Sink::Rate { passes, .. }, Stat::Passes) => Some(*passes as f64),
            (Sink::Rate { passes, total }, Stat::Fails) => Some((total - passes) as f64),
            (Sink::Trend(t), s) => t.stat(s),
            _ => None,
        }
    }
}

impl TrendSink {
    fn stat(&self, stat: Stat) -> Option<f64> {
        match stat {
            Stat::Count => Some(self.count as f64),
            Stat::Min => Some(self.min),
            Stat::Max => Some(self.max),
            Stat::Avg if self.count == 0 => Some(0.0),
            Stat::Avg => Some(self.sum / self.count as f64),
            Stat::Med => Some(self.quantile(0.5)),
            Stat::Percentile(p) => Some(self.quantile(p / 100.0)),
            _ => None,
        }
    }

    /// k6's interpolated percentile over the sketch's order statistics.
    fn quantile(&self, q: f64) -> f64 {
        if self.count <= 1 {
            return self.min;
        }
        let last = (self.count - 1) as f64;
        let i = q.clamp(0.0, 1.0) * last;
        let (lo, hi) = (i.floor(), i.ceil());
        let (a, b) = (
            self.order_statistic(lo, last),
            self.order_statistic(hi, last),
        );
        (a + (b - a) * (i - lo)).clamp(self.min, self.max)
    }

    /// The sample of 0-based rank `k` of `last + 1`, within 1%.
    fn order_statistic(&self, k: f64, last: f64) -> f64 {
        if k <= 0.0 {
            return self.min;
        }
        if k >= last {
            return self.max;
        }
        // The sketch answers the first bucket whose cumulative count exceeds `q·(n−1)`: half a
        // rank above `k` lands on rank `k` itself, whatever the rounding of the division.
        self.sketch
            .quantile((k + 0.5) / last)
            .map_or(0.0, |v| v.clamp(self.min, self.max))
    }
}
