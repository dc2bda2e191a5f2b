//! The collector that drops everything.

use std::time::Duration;

use super::{Labels, MetricsCollector};

/// A collector that discards every observation; [`enabled`](MetricsCollector::enabled) is
/// `false`, so callers may skip computing values. The process-wide default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoopCollector;

impl MetricsCollector for NoopCollector {
    #[inline]
    fn increment(&self, _name: &'static str, _value: u64, _labels: Labels<'_>) {}

    #[inline]
    fn gauge(&self, _name: &'static str, _value: f64, _labels: Labels<'_>) {}

    #[inline]
    fn histogram(&self, _name: &'static str, _value: f64, _labels: Labels<'_>) {}

    #[inline]
    fn timer(&self, _name: &'static str, _duration: Duration, _labels: Labels<'_>) {}

    #[inline]
    fn enabled(&self) -> bool {
        false
    }
}
