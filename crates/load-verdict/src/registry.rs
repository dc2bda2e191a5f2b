//! The registry: metrics by name, each of one kind, and the sub-metrics thresholds select.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::Error;
use crate::metric::{Contains, Kind, Sink, Stat};
use crate::names;

/// One metric, or one sub-metric (the samples of a metric carrying given tags).
#[derive(Debug, Clone)]
pub struct Metric {
    name: String,
    kind: Kind,
    contains: Contains,
    /// For a sub-metric, the text between the braces as written (`stream:orders`).
    suffix: Option<String>,
    tags: Vec<(String, String)>,
    sink: Sink,
    submetrics: Vec<Metric>,
}

impl Metric {
    fn new(name: String, kind: Kind, contains: Contains) -> Metric {
        Metric {
            name,
            kind,
            contains,
            suffix: None,
            tags: Vec::new(),
            sink: Sink::new(kind),
            submetrics: Vec::new(),
        }
    }

    /// The name: `end_to_end_latency`, or `end_to_end_latency{stream:orders}` for a sub-metric.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parent metric's name (the name itself for a metric).
    pub fn parent_name(&self) -> &str {
        self.name.split('{').next().unwrap_or(&self.name)
    }

    /// The kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// What the values are.
    pub fn contains(&self) -> Contains {
        self.contains
    }

    /// For a sub-metric, the text between its braces as written (`stream:orders`).
    pub fn suffix(&self) -> Option<&str> {
        self.suffix.as_deref()
    }

    /// For a sub-metric, the tags a sample must carry to count in it.
    pub fn tags(&self) -> &[(String, String)] {
        &self.tags
    }

    /// Whether no sample has been added.
    pub fn is_empty(&self) -> bool {
        self.sink.is_empty()
    }

    /// An aggregate at `elapsed` into the test (only a counter's `rate` depends on it), or
    /// `None` if the kind has no such aggregate or it is undefined (a rate with no samples).
    pub fn stat(&self, stat: Stat, elapsed: Duration) -> Option<f64> {
        self.sink.stat(stat, elapsed)
    }

    /// The sub-metrics, in the order they were added.
    pub fn submetrics(&self) -> &[Metric] {
        &self.submetrics
    }

    fn add_tagged(&mut self, value: f64, tags: &[(&str, &str)]) {
        self.sink.add(value);
        for sub in &mut self.submetrics {
            let selected = sub
                .tags
                .iter()
                .all(|(k, v)| tags.iter().any(|(tk, tv)| tk == k && tv == v));
            if selected {
                sub.sink.add(value);
            }
        }
    }
}

/// Metrics by name. The load generator adds samples by name; thresholds read aggregates.
///
/// Every sample is a finite `f64`: milliseconds for time trends, 1/0 (or true/false as 1/0)
/// for rates, an increment for counters, a reading for gauges.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    metrics: BTreeMap<String, Metric>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// A registry with every pipeline metric of [`names::pipeline`] defined.
    pub fn pipeline() -> Registry {
        let mut r = Registry::new();
        for (name, kind, contains) in names::pipeline() {
            // The table's names are valid and distinct (tested), so this cannot fail.
            let _ = r.define(name, kind, contains);
        }
        r
    }

    /// Defines a metric. Defining it again with the same kind is allowed (and keeps its
    /// samples); with another kind it is an error, as in k6.
    pub fn define(&mut self, name: &str, kind: Kind, contains: Contains) -> Result<(), Error> {
        if !valid_name(name) {
            return Err(Error::InvalidMetricName(name.to_owned()));
        }
        if let Some(m) = self.metrics.get(name) {
            if m.kind != kind {
                return Err(Error::KindConflict {
                    name: name.to_owned(),
                    existing: m.kind.to_string(),
                    requested: kind.to_string(),
                });
            }
            return Ok(());
        }
        self.metrics.insert(
            name.to_owned(),
            Metric::new(name.to_owned(), kind, contains),
        );
        Ok(())
    }

    /// Adds a sample without tags.
    pub fn add(&mut self, name: &str, value: f64) -> Result<(), Error> {
        self.add_tagged(name, value, &[])
    }

    /// Adds a sample carrying `tags`; it also counts in every sub-metric whose tags it carries.
    pub fn add_tagged(
        &mut self,
        name: &str,
        value: f64,
        tags: &[(&str, &str)],
    ) -> Result<(), Error> {
        if !value.is_finite() {
            return Err(Error::InvalidValue {
                name: name.to_owned(),
                value,
            });
        }
        let m = self
            .metrics
            .get_mut(name)
            .ok_or_else(|| Error::UndefinedMetric(name.to_owned()))?;
        m.add_tagged(value, tags);
        Ok(())
    }

    /// Adds everything `other` has seen (one registry per worker, merged at the end or at
    /// each threshold check). Metrics only `other` has are copied; a metric of another kind
    /// in `other` is an error and nothing of it is merged.
    pub fn merge(&mut self, other: &Registry) -> Result<(), Error> {
        for (name, theirs) in &other.metrics {
            match self.metrics.get_mut(name) {
                None => {
                    self.metrics.insert(name.clone(), theirs.clone());
                }
                Some(ours) if ours.kind != theirs.kind => {
                    return Err(Error::KindConflict {
                        name: name.clone(),
                        existing: ours.kind.to_string(),
                        requested: theirs.kind.to_string(),
                    });
                }
                Some(ours) => {
                    ours.sink.merge(&theirs.sink);
                    for sub in &theirs.submetrics {
                        match ours.submetrics.iter_mut().find(|s| s.tags == sub.tags) {
                            Some(s) => s.sink.merge(&sub.sink),
                            None => ours.submetrics.push(sub.clone()),
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The metric or sub-metric of that name (`name` or `name{tag:value}` as a threshold wrote
    /// it).
    pub fn get(&self, name: &str) -> Option<&Metric> {
        let parent = name.split('{').next().unwrap_or(name);
        let m = self.metrics.get(parent)?;
        if parent.len() == name.len() {
            return Some(m);
        }
        if let Some(s) = m.submetrics.iter().find(|s| s.name == name) {
            return Some(s);
        }
        // The same tags written another way (spaces, quotes, order).
        let mut wanted = crate::threshold::MetricSelector::parse(name).ok()?.tags;
        wanted.sort();
        m.submetrics.iter().find(|s| {
            let mut t = s.tags.clone();
            t.sort();
            t == wanted
        })
    }

    /// The metrics, by name.
    pub fn metrics(&self) -> impl Iterator<Item = &Metric> {
        self.metrics.values()
    }

    /// Adds the sub-metric of `parent` selecting `tags`, named `full_name`, unless one with
    /// the same tags exists. Returns whether the parent exists.
    pub(crate) fn ensure_submetric(
        &mut self,
        parent: &str,
        full_name: &str,
        suffix: &str,
        tags: &[(String, String)],
    ) -> bool {
        let Some(m) = self.metrics.get_mut(parent) else {
            return false;
        };
        let mut wanted = tags.to_vec();
        wanted.sort();
        let exists = m.submetrics.iter().any(|s| {
            let mut t = s.tags.clone();
            t.sort();
            t == wanted || s.name == full_name
        });
        if !exists {
            let mut sub = Metric::new(full_name.to_owned(), m.kind, m.contains);
            sub.suffix = Some(suffix.to_owned());
            sub.tags = tags.to_vec();
            m.submetrics.push(sub);
        }
        true
    }
}

/// k6's rule for metric names: `^[a-zA-Z_][a-zA-Z0-9_]{1,128}$`.
fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    (2..=129).contains(&b.len())
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}
