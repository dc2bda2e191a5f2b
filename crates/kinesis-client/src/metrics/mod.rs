//! Metrics: the [`MetricsCollector`] trait, its collectors, and the process-wide default.
//!
//! Every metric the producer and consumer emit is named in [`names`]; label keys are in
//! [`labels`]. Collectors: [`NoopCollector`] (the default), [`InMemoryCollector`] (for tests),
//! [`PrometheusCollector`] (prometheus-client, with [`serve_metrics`] for `/metrics`).

use std::sync::{Arc, LazyLock, PoisonError, RwLock};
use std::time::Duration;

mod in_memory;
pub mod labels;
pub mod names;
mod noop;
#[cfg(feature = "prometheus")]
mod prometheus;
#[cfg(feature = "metrics-server")]
mod server;

pub use in_memory::{InMemoryCollector, InMemorySnapshot};
pub use noop::NoopCollector;
#[cfg(feature = "prometheus")]
pub use prometheus::{OPENMETRICS_CONTENT_TYPE, PrometheusCollector};
#[cfg(feature = "metrics-server")]
pub use server::{MetricsServer, serve_metrics};

/// Label pairs of one observation, `(key, value)`.
pub type Labels<'a> = &'a [(&'static str, &'a str)];

/// Receives the client's measurements. Implementations must be cheap and never block.
pub trait MetricsCollector: Send + Sync + 'static {
    /// Adds `value` to a counter.
    fn increment(&self, name: &'static str, value: u64, labels: Labels<'_>);
    /// Sets a gauge.
    fn gauge(&self, name: &'static str, value: f64, labels: Labels<'_>);
    /// Records one observation of a histogram.
    fn histogram(&self, name: &'static str, value: f64, labels: Labels<'_>);
    /// Records a duration, in seconds, into a histogram.
    fn timer(&self, name: &'static str, duration: Duration, labels: Labels<'_>) {
        self.histogram(name, duration.as_secs_f64(), labels);
    }
    /// Whether observations are kept at all; the no-op collector says no so callers can skip
    /// the work of computing them.
    fn enabled(&self) -> bool {
        true
    }
}

/// The collector set by [`set_metrics_collector`]; `None` means [`NoopCollector`].
static DEFAULT_COLLECTOR: RwLock<Option<Arc<dyn MetricsCollector>>> = RwLock::new(None);

/// The shared [`NoopCollector`] handed out while no default is set.
static NOOP: LazyLock<Arc<dyn MetricsCollector>> = LazyLock::new(|| Arc::new(NoopCollector));

/// Sets the process-wide default collector, replacing any earlier one. Producers and consumers
/// read it once, when they are built, so set it before building them.
pub fn set_metrics_collector(collector: Arc<dyn MetricsCollector>) {
    *DEFAULT_COLLECTOR
        .write()
        .unwrap_or_else(PoisonError::into_inner) = Some(collector);
}

/// The process-wide default collector: the last one given to [`set_metrics_collector`], or a
/// [`NoopCollector`] until then.
pub fn metrics_collector() -> Arc<dyn MetricsCollector> {
    DEFAULT_COLLECTOR
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .map_or_else(|| Arc::clone(&NOOP), Arc::clone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noop_is_disabled_and_inert() {
        let c = NoopCollector;
        assert!(!c.enabled());
        c.increment(
            names::PRODUCER_ERRORS_TOTAL,
            1,
            &[(labels::ERROR_TYPE, "x")],
        );
        c.gauge(names::PRODUCER_QUEUE_SIZE, 1.0, &[]);
        c.histogram(names::PRODUCER_BATCH_SIZE, 1.0, &[]);
        c.timer(names::PRODUCER_FLUSH_DURATION_SECONDS, Duration::ZERO, &[]);
    }

    #[test]
    fn set_metrics_collector_round_trip() {
        // The default is process-wide: other tests in this binary may read it concurrently,
        // so restore a no-op collector afterwards.
        let mem = Arc::new(InMemoryCollector::new());
        set_metrics_collector(mem.clone());
        let got = metrics_collector();
        assert!(std::ptr::addr_eq(Arc::as_ptr(&got), Arc::as_ptr(&mem)));
        assert!(got.enabled());
        got.increment(names::STREAM_RESHARDING_EVENTS_TOTAL, 2, &[]);
        assert_eq!(mem.counter(names::STREAM_RESHARDING_EVENTS_TOTAL), 2);

        set_metrics_collector(Arc::new(NoopCollector));
        assert!(!metrics_collector().enabled());
        assert_eq!(mem.counter(names::STREAM_RESHARDING_EVENTS_TOTAL), 2);
    }
}
