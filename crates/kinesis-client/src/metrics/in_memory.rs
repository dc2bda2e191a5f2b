//! A collector that keeps every observation in memory, for tests.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use parking_lot::Mutex;

use super::{Labels, MetricsCollector};

/// A collector that remembers everything, for asserting on in tests.
///
/// Series are keyed by the string [`InMemoryCollector::key`] builds: `name{k1=v1,k2=v2}` with
/// the labels sorted by key (values are not escaped), or the bare `name` when there are no
/// labels. Counters keep the (saturating) sum of their increments, gauges the last value set,
/// histograms every value observed in order; [`timer`](MetricsCollector::timer) records
/// seconds into the histogram of the same name.
///
/// The readers [`gauge`](Self::gauge) and [`histogram`](Self::histogram) share their names with
/// the trait's recorders and take precedence in method calls on an `InMemoryCollector`; record
/// through an `Arc<dyn MetricsCollector>` (as the client does) or call the trait explicitly,
/// e.g. `MetricsCollector::gauge(&c, name, 1.0, &[])`.
///
/// ```
/// use kinesis_client::metrics::{InMemoryCollector, MetricsCollector, labels, names};
///
/// let c = InMemoryCollector::new();
/// c.increment(names::PRODUCER_RECORDS_SENT_TOTAL, 2, &[(labels::STREAM_NAME, "s")]);
/// c.increment(names::PRODUCER_RECORDS_SENT_TOTAL, 3, &[(labels::STREAM_NAME, "s")]);
/// assert_eq!(c.counter("producer_records_sent_total{stream_name=s}"), 5);
/// ```
#[derive(Debug, Default)]
pub struct InMemoryCollector {
    inner: Mutex<Series>,
}

#[derive(Debug, Default)]
struct Series {
    counters: HashMap<String, u64>,
    gauges: HashMap<String, f64>,
    histograms: HashMap<String, Vec<f64>>,
}

/// A copy of everything an [`InMemoryCollector`] holds, keyed like
/// [`InMemoryCollector::key`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InMemorySnapshot {
    /// Counter sums.
    pub counters: BTreeMap<String, u64>,
    /// Last value of each gauge.
    pub gauges: BTreeMap<String, f64>,
    /// Every observation of each histogram, in order.
    pub histograms: BTreeMap<String, Vec<f64>>,
}

impl InMemoryCollector {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// The series key of `name` with `labels`: `name{k1=v1,k2=v2}`, labels sorted by key (stable,
    /// so repeated keys keep their order), or just `name` when `labels` is empty.
    pub fn key(name: &str, labels: Labels<'_>) -> String {
        if labels.is_empty() {
            return name.to_owned();
        }
        let len = name.len()
            + 2
            + labels
                .iter()
                .map(|(k, v)| k.len() + v.len() + 2)
                .sum::<usize>();
        let mut key = String::with_capacity(len);
        key.push_str(name);
        key.push('{');
        let mut push = |i: usize, (k, v): &(&str, &str)| {
            if i > 0 {
                key.push(',');
            }
            key.push_str(k);
            key.push('=');
            key.push_str(v);
        };
        if labels.windows(2).all(|w| w[0].0 <= w[1].0) {
            labels.iter().enumerate().for_each(|(i, l)| push(i, l));
        } else {
            let mut sorted: Vec<&(&str, &str)> = labels.iter().collect();
            sorted.sort_by_key(|(k, _)| *k);
            sorted.into_iter().enumerate().for_each(|(i, l)| push(i, l));
        }
        key.push('}');
        key
    }

    /// The sum of the counter with this key; 0 when it was never incremented.
    pub fn counter(&self, key: &str) -> u64 {
        self.inner.lock().counters.get(key).copied().unwrap_or(0)
    }

    /// The last value of the gauge with this key, if it was ever set.
    pub fn gauge(&self, key: &str) -> Option<f64> {
        self.inner.lock().gauges.get(key).copied()
    }

    /// Every observation of the histogram with this key, in order; empty when none.
    pub fn histogram(&self, key: &str) -> Vec<f64> {
        self.inner
            .lock()
            .histograms
            .get(key)
            .cloned()
            .unwrap_or_default()
    }

    /// Every key seen by any metric type, sorted and deduplicated.
    pub fn keys(&self) -> Vec<String> {
        let inner = self.inner.lock();
        let keys: BTreeSet<&String> = inner
            .counters
            .keys()
            .chain(inner.gauges.keys())
            .chain(inner.histograms.keys())
            .collect();
        keys.into_iter().cloned().collect()
    }

    /// A copy of all series.
    pub fn snapshot(&self) -> InMemorySnapshot {
        let inner = self.inner.lock();
        InMemorySnapshot {
            counters: inner
                .counters
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
            gauges: inner.gauges.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            histograms: inner
                .histograms
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// Forgets every series.
    pub fn reset(&self) {
        let mut inner = self.inner.lock();
        inner.counters.clear();
        inner.gauges.clear();
        inner.histograms.clear();
    }
}

impl MetricsCollector for InMemoryCollector {
    fn increment(&self, name: &'static str, value: u64, labels: Labels<'_>) {
        let key = Self::key(name, labels);
        let mut inner = self.inner.lock();
        let sum = inner.counters.entry(key).or_insert(0);
        *sum = sum.saturating_add(value);
    }

    fn gauge(&self, name: &'static str, value: f64, labels: Labels<'_>) {
        let key = Self::key(name, labels);
        self.inner.lock().gauges.insert(key, value);
    }

    fn histogram(&self, name: &'static str, value: f64, labels: Labels<'_>) {
        let key = Self::key(name, labels);
        self.inner
            .lock()
            .histograms
            .entry(key)
            .or_default()
            .push(value);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::metrics::{labels, names};

    #[test]
    fn key_sorts_labels_and_omits_braces_without_labels() {
        assert_eq!(InMemoryCollector::key("m", &[]), "m");
        assert_eq!(
            InMemoryCollector::key("m", &[("shard_id", "x"), ("stream_name", "s")]),
            "m{shard_id=x,stream_name=s}"
        );
        assert_eq!(
            InMemoryCollector::key("m", &[("stream_name", "s"), ("shard_id", "x")]),
            "m{shard_id=x,stream_name=s}"
        );
        assert_eq!(
            InMemoryCollector::key("m", &[("c", "3"), ("a", "1"), ("b", "2")]),
            "m{a=1,b=2,c=3}"
        );
    }

    #[test]
    fn counters_sum_gauges_keep_last_histograms_keep_all() {
        let c = InMemoryCollector::new();
        let l1 = [(labels::STREAM_NAME, "s"), (labels::SHARD_ID, "0")];
        let l2 = [(labels::SHARD_ID, "0"), (labels::STREAM_NAME, "s")];
        c.increment(names::PRODUCER_RECORDS_SENT_TOTAL, 2, &l1);
        c.increment(names::PRODUCER_RECORDS_SENT_TOTAL, 3, &l2);
        c.increment(names::PRODUCER_ERRORS_TOTAL, 1, &[]);
        // The inherent `gauge`/`histogram` readers shadow the trait's recorders.
        MetricsCollector::gauge(&c, names::PRODUCER_QUEUE_SIZE, 4.0, &[]);
        MetricsCollector::gauge(&c, names::PRODUCER_QUEUE_SIZE, 7.0, &[]);
        MetricsCollector::histogram(&c, names::PRODUCER_BATCH_SIZE, 10.0, &l1);
        c.timer(names::PRODUCER_BATCH_SIZE, Duration::from_millis(1500), &l2);

        let key = "producer_records_sent_total{shard_id=0,stream_name=s}";
        assert_eq!(c.counter(key), 5);
        assert_eq!(c.counter("producer_errors_total"), 1);
        assert_eq!(c.counter("absent"), 0);
        assert_eq!(c.gauge("producer_queue_size"), Some(7.0));
        assert_eq!(c.gauge("absent"), None);
        assert_eq!(
            c.histogram("producer_batch_size{shard_id=0,stream_name=s}"),
            vec![10.0, 1.5]
        );
        assert!(c.histogram("absent").is_empty());
        assert_eq!(
            c.keys(),
            vec![
                "producer_batch_size{shard_id=0,stream_name=s}".to_owned(),
                "producer_errors_total".to_owned(),
                "producer_queue_size".to_owned(),
                key.to_owned(),
            ]
        );

        let snap = c.snapshot();
        assert_eq!(snap.counters.get(key), Some(&5));
        assert_eq!(snap.gauges.get("producer_queue_size"), Some(&7.0));
        assert_eq!(snap.histograms.len(), 1);

        c.reset();
        assert!(c.keys().is_empty());
        assert_eq!(c.snapshot(), InMemorySnapshot::default());
        assert!(c.enabled());
    }
}
