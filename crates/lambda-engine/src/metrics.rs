//! The `AWS/Lambda` metrics an invocation produces, with AWS's units, per function
//! (`FunctionName`) and account-wide (no dimension).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use metric_store::{MetricKey, Store, Unit};

/// `AWS/Lambda`.
pub const NAMESPACE: &str = "AWS/Lambda";

/// Records into the engine's metric store.
#[derive(Debug, Clone)]
pub struct LambdaMetrics {
    store: Arc<Store>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl LambdaMetrics {
    /// Metrics into `store`.
    pub fn new(store: Arc<Store>) -> LambdaMetrics {
        LambdaMetrics { store }
    }

    /// Records `value` for the function and account-wide.
    fn record(&self, metric: &str, unit: Unit, function: &str, value: f64) {
        let at = now_ms();
        let keys = [
            MetricKey::new(NAMESPACE, metric, [("FunctionName", function)]),
            MetricKey::new(NAMESPACE, metric, std::iter::empty::<(&str, &str)>()),
        ];
        for key in keys.into_iter().flatten() {
            self.store.series(&key, unit).record(at, value);
        }
    }

    /// One invocation that ran: Invocations, Errors (0 or 1) and Duration.
    pub fn invocation(&self, function: &str, failed: bool, duration: Duration) {
        self.record("Invocations", Unit::Count, function, 1.0);
        self.record("Errors", Unit::Count, function, f64::from(u8::from(failed)));
        self.record(
            "Duration",
            Unit::Milliseconds,
            function,
            duration.as_secs_f64() * 1000.0,
        );
    }

    /// The age of a batch's last record as the batch is sent (IteratorAge, ms).
    pub fn iterator_age(&self, function: &str, age_ms: f64) {
        self.record("IteratorAge", Unit::Milliseconds, function, age_ms);
    }

    /// A failed delivery to an on-failure destination (DestinationDeliveryFailures).
    pub fn destination_delivery_failure(&self, function: &str) {
        self.record("DestinationDeliveryFailures", Unit::Count, function, 1.0);
    }

    /// One throttled invocation: Throttles (not counted in Invocations, as on AWS).
    pub fn throttle(&self, function: &str) {
        self.record("Throttles", Unit::Count, function, 1.0);
    }

    /// Concurrency as an invocation starts: ConcurrentExecutions per function and account,
    /// UnreservedConcurrentExecutions account-wide (read with Maximum).
    pub fn concurrency(
        &self,
        function: &str,
        function_running: u32,
        account_running: u32,
        _unreserved: u32,
    ) {
        let at = now_ms();
        if let Ok(key) = MetricKey::new(
            NAMESPACE,
            "ConcurrentExecutions",
            [("FunctionName", function)],
        ) {
            self.store
                .series(&key, Unit::Count)
                .record(at, f64::from(function_running));
        }
        if let Ok(key) = MetricKey::new(
            NAMESPACE,
            "ConcurrentExecutions",
            std::iter::empty::<(&str, &str)>(),
        ) {
            self.store
                .series(&key, Unit::Count)
                .record(at, f64::from(account_running));
        }
    }
}
