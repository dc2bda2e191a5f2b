//! The `AWS/Lambda` metrics an invocation produces, with AWS's units, per function
//! (`FunctionName`), per version or alias (`Resource`, `ExecutedVersion`) and account-wide
//! (no dimension).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use metric_store::{MetricKey, Store, Unit};

/// `AWS/Lambda`.
pub const NAMESPACE: &str = "AWS/Lambda";

/// What an invocation is counted under: the function, and for a qualified invocation the
/// `Resource` (`name:alias` or `name:version`) and the version that ran.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The function name.
    pub function: &'a str,
    /// `Resource` and `ExecutedVersion`, for an invocation through a version or alias.
    pub resource: Option<(&'a str, &'a str)>,
}

impl<'a> Target<'a> {
    /// An unqualified (`$LATEST`) invocation.
    pub fn function(function: &'a str) -> Target<'a> {
        Target {
            function,
            resource: None,
        }
    }

    /// An invocation through `resource`, running version `executed`.
    pub fn version(function: &'a str, resource: &'a str, executed: &'a str) -> Target<'a> {
        Target {
            function,
            resource: Some((resource, executed)),
        }
    }
}

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

    /// Records `value` for the function and account-wide, and for a qualified invocation
    /// also under FunctionName + Resource and FunctionName + Resource + ExecutedVersion.
    fn record_target(&self, metric: &str, unit: Unit, target: &Target<'_>, value: f64) {
        self.record(metric, unit, target.function, value);
        let Some((resource, executed)) = target.resource else {
            return;
        };
        let at = now_ms();
        let keys = [
            MetricKey::new(
                NAMESPACE,
                metric,
                [("FunctionName", target.function), ("Resource", resource)],
            ),
            MetricKey::new(
                NAMESPACE,
                metric,
                [
                    ("FunctionName", target.function),
                    ("Resource", resource),
                    ("ExecutedVersion", executed),
                ],
            ),
        ];
        for key in keys.into_iter().flatten() {
            self.store.series(&key, unit).record(at, value);
        }
    }

    /// One invocation that ran: Invocations, Errors (0 or 1) and Duration.
    pub fn invocation(&self, target: &Target<'_>, failed: bool, duration: Duration) {
        self.record_target("Invocations", Unit::Count, target, 1.0);
        self.record_target("Errors", Unit::Count, target, f64::from(u8::from(failed)));
        self.record_target(
            "Duration",
            Unit::Milliseconds,
            target,
            duration.as_secs_f64() * 1000.0,
        );
    }

    /// An invocation of a version with provisioned concurrency: whether it ran on a
    /// provisioned instance (ProvisionedConcurrencyInvocations) or spilled over
    /// (ProvisionedConcurrencySpilloverInvocations), and the provisioned instances busy
    /// (ProvisionedConcurrentExecutions) and their share of those allocated
    /// (ProvisionedConcurrencyUtilization), per function and per Resource.
    pub fn provisioned(
        &self,
        target: &Target<'_>,
        on_provisioned: bool,
        busy: u32,
        allocated: u32,
    ) {
        let at = now_ms();
        let resource = target.resource.map(|(r, _)| r).unwrap_or(target.function);
        let by_function = [("FunctionName", target.function)];
        let by_resource = [("FunctionName", target.function), ("Resource", resource)];
        let counted = if on_provisioned {
            "ProvisionedConcurrencyInvocations"
        } else {
            "ProvisionedConcurrencySpilloverInvocations"
        };
        let values = [
            (counted, 1.0),
            ("ProvisionedConcurrentExecutions", f64::from(busy)),
        ];
        for (metric, value) in values {
            for dims in [&by_function[..], &by_resource[..]] {
                if let Ok(key) = MetricKey::new(NAMESPACE, metric, dims.iter().copied()) {
                    self.store.series(&key, Unit::Count).record(at, value);
                }
            }
        }
        if allocated > 0
            && let Ok(key) =
                MetricKey::new(NAMESPACE, "ProvisionedConcurrencyUtilization", by_resource)
        {
            self.store
                .series(&key, Unit::None)
                .record(at, f64::from(busy) / f64::from(allocated));
        }
    }

    /// The age of a batch's last record as the batch is sent (IteratorAge, ms).
    pub fn iterator_age(&self, function: &str, age_ms: f64) {
        self.record("IteratorAge", Unit::Milliseconds, function, age_ms);
    }

    /// A failed delivery to an on-failure destination (DestinationDeliveryFailures).
    pub fn destination_delivery_failure(&self, function: &str) {
        self.record("DestinationDeliveryFailures", Unit::Count, function, 1.0);
    }

    /// An invocation stopped because its event was in a recursive loop
    /// (RecursiveInvocationsDropped).
    pub fn recursive_invocation_dropped(&self, function: &str) {
        // Published per function only, as AWS does.
        if let Ok(key) = MetricKey::new(
            NAMESPACE,
            "RecursiveInvocationsDropped",
            [("FunctionName", function)],
        ) {
            self.store.series(&key, Unit::Count).record(now_ms(), 1.0);
        }
    }

    /// A failed send to a function's dead-letter queue (DeadLetterErrors).
    pub fn dead_letter_error(&self, function: &str) {
        self.record("DeadLetterErrors", Unit::Count, function, 1.0);
    }

    /// Extracts the metrics of an Embedded Metric Format log line, as CloudWatch Logs does
    /// with a function's output: every metric of every directive, under each of its
    /// dimension sets, at the document's timestamp. Returns how many values were stored;
    /// a line that is not an EMF document (or breaks its rules) stores none.
    pub fn emf(&self, line: &str) -> usize {
        let line = line.trim();
        if !line.starts_with('{') || !line.contains("\"_aws\"") {
            return 0;
        }
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(line) else {
            return 0;
        };
        let aws = &doc["_aws"];
        let Some(at) = aws["Timestamp"].as_u64() else {
            return 0;
        };
        let mut stored = 0;
        for directive in aws["CloudWatchMetrics"].as_array().into_iter().flatten() {
            let Some(namespace) = directive["Namespace"].as_str() else {
                continue;
            };
            if namespace.starts_with("AWS/") || namespace.is_empty() {
                continue;
            }
            let sets: Vec<Vec<&str>> = directive["Dimensions"]
                .as_array()
                .map(|sets| {
                    sets.iter()
                        .map(|set| {
                            set.as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(|k| k.as_str())
                                .collect()
                        })
                        .collect()
                })
                .unwrap_or_else(|| vec![Vec::new()]);
            for metric in directive["Metrics"].as_array().into_iter().flatten() {
                let Some(name) = metric["Name"].as_str() else {
                    continue;
                };
                let unit = metric["Unit"]
                    .as_str()
                    .and_then(|u| Unit::parse(u).ok())
                    .unwrap_or_default();
                let values: Vec<f64> = match &doc[name] {
                    serde_json::Value::Number(n) => n.as_f64().into_iter().collect(),
                    serde_json::Value::Array(a) => a
                        .iter()
                        .filter_map(serde_json::Value::as_f64)
                        .take(100)
                        .collect(),
                    _ => continue,
                };
                for set in &sets {
                    let dims: Option<Vec<(&str, &str)>> =
                        set.iter().map(|k| Some((*k, doc[*k].as_str()?))).collect();
                    let Some(dims) = dims else { continue };
                    let Ok(key) = MetricKey::new(namespace, name, dims) else {
                        continue;
                    };
                    let series = self.store.series(&key, unit);
                    for v in &values {
                        series.record(at, *v);
                        stored += 1;
                    }
                }
            }
        }
        stored
    }

    /// An event accepted for asynchronous invocation (AsyncEventsReceived).
    pub fn async_received(&self, function: &str) {
        self.record("AsyncEventsReceived", Unit::Count, function, 1.0);
    }

    /// The time from an event's acceptance to an attempt to run it (AsyncEventAge, ms).
    pub fn async_age(&self, function: &str, age_ms: f64) {
        self.record("AsyncEventAge", Unit::Milliseconds, function, age_ms);
    }

    /// An event given up on without a destination to take it (AsyncEventsDropped).
    pub fn async_dropped(&self, function: &str) {
        self.record("AsyncEventsDropped", Unit::Count, function, 1.0);
    }

    /// One throttled invocation: Throttles (not counted in Invocations, as on AWS).
    pub fn throttle(&self, target: &Target<'_>) {
        self.record_target("Throttles", Unit::Count, target, 1.0);
    }

    /// Concurrency as an invocation starts (all read with Maximum): ConcurrentExecutions per
    /// function and account-wide, UnreservedConcurrentExecutions (executions of functions
    /// without reserved concurrency) and ClaimedAccountConcurrency (those plus every
    /// reservation: what on-demand invocations cannot use), account-wide.
    pub fn concurrency(
        &self,
        function: &str,
        function_running: u32,
        account_running: u32,
        unreserved_running: u32,
        claimed: u32,
    ) {
        let at = now_ms();
        let none = std::iter::empty::<(&str, &str)>;
        let series = [
            (
                MetricKey::new(
                    NAMESPACE,
                    "ConcurrentExecutions",
                    [("FunctionName", function)],
                ),
                function_running,
            ),
            (
                MetricKey::new(NAMESPACE, "ConcurrentExecutions", none()),
                account_running,
            ),
            (
                MetricKey::new(NAMESPACE, "UnreservedConcurrentExecutions", none()),
                unreserved_running,
            ),
            (
                MetricKey::new(NAMESPACE, "ClaimedAccountConcurrency", none()),
                claimed,
            ),
        ];
        for (key, value) in series {
            if let Ok(key) = key {
                self.store
                    .series(&key, Unit::Count)
                    .record(at, f64::from(value));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_lines_become_metrics() {
        let store = Arc::new(Store::new());
        let m = LambdaMetrics::new(store.clone());
        let now = store.now_ms();
        let line = format!(
            r#"{{"_aws":{{"Timestamp":{now},"CloudWatchMetrics":[{{"Namespace":"Shop","Dimensions":[["Service"],[]],"Metrics":[{{"Name":"Latency","Unit":"Milliseconds"}},{{"Name":"Orders"}}]}}]}},"Service":"cart","Latency":[10,20,30],"Orders":2}}"#
        );
        // Latency: 3 values x 2 dimension sets; Orders: 1 x 2.
        assert_eq!(m.emf(&line), 8);
        let key = MetricKey::new("Shop", "Latency", [("Service", "cart")]).unwrap();
        let points = store
            .query(
                &key,
                now - 60_000,
                now + 60_000,
                60,
                &[
                    metric_store::Statistic::Sum,
                    metric_store::Statistic::SampleCount,
                ],
            )
            .unwrap();
        let sum: f64 = points.iter().filter_map(|p| p.values[0]).sum();
        assert_eq!(sum, 60.0);
        assert_eq!(
            points
                .iter()
                .find(|p| p.values[1].is_some())
                .map(|p| p.unit),
            Some(Unit::Milliseconds)
        );
        // Not EMF, broken JSON, or an AWS/ namespace: nothing.
        assert_eq!(m.emf("hello"), 0);
        assert_eq!(m.emf(r#"{"_aws": oops"#), 0);
        let reserved = line.replace("\"Shop\"", "\"AWS/Lambda\"");
        assert_eq!(m.emf(&reserved), 0);
    }
}
