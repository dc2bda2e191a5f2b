//! The `AWS/Lambda` metrics an invocation produces, per function (`FunctionName`), per
//! version or alias (`Resource`, `ExecutedVersion`) and account-wide (no dimension), each
//! recorded through its definition in `metric_store::catalog::lambda` (name, unit and the
//! dimension sets it may carry); what Lambda Insights publishes per invocation
//! (`LambdaInsights`, per `function_name` and `function_name` + `version`) and the engine's
//! own cold-start count (`StreamwatchEngine`); and the metrics of a function's Embedded Metric
//! Format log lines, as CloudWatch Logs extracts them.

use std::sync::Arc;
use std::time::Duration;

use metric_store::Store;
use metric_store::catalog::{MetricDef, lambda, lambda_insights, streamwatch_engine};

/// `AWS/Lambda`.
pub const NAMESPACE: &str = lambda::NAMESPACE;

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

/// What one invocation used, as Lambda Insights reports it; a figure the engine could not
/// read (the process had ended, or not on Linux) is `None` and left out.
#[derive(Debug, Clone, Copy)]
pub struct InvocationUsage<'a> {
    /// The function name.
    pub function: &'a str,
    /// The version that ran (`$LATEST` or a number).
    pub version: &'a str,
    /// The function's MemorySize, MB.
    pub memory_size_mb: u32,
    /// The instance's peak memory so far, whole MB.
    pub used_memory_max_mb: Option<u64>,
    /// CPU time used during the invocation.
    pub cpu_time: Option<Duration>,
    /// Initialisation time, on a cold start.
    pub init_duration: Option<Duration>,
    /// Bytes the function received (the event).
    pub rx_bytes: usize,
    /// Bytes the function sent (its response or error document).
    pub tx_bytes: usize,
    /// Bytes in the instance's temporary directory after the invocation.
    pub tmp_used_bytes: Option<u64>,
}

/// The execution environment's `/tmp` size the engine assumes: Lambda's default ephemeral
/// storage, 512 MB (the engine does not take the `EphemeralStorage` setting).
pub const EPHEMERAL_STORAGE_BYTES: u64 = 512 * 1024 * 1024;

/// Records into the engine's metric store.
#[derive(Debug, Clone)]
pub struct LambdaMetrics {
    store: Arc<Store>,
}

impl LambdaMetrics {
    /// Metrics into `store`.
    pub fn new(store: Arc<Store>) -> LambdaMetrics {
        LambdaMetrics { store }
    }

    /// Records `value` of `metric` under each of these dimension sets, at the store's now.
    fn record_under(&self, metric: &MetricDef, sets: &[&[(&str, &str)]], value: f64) {
        let at = self.store.now_ms();
        for dimensions in sets {
            // The catalogue refuses a set the metric is not published with; a test keeps
            // every call here within the documented sets.
            if let Ok(series) = metric.series(&self.store, dimensions) {
                series.record(at, value);
            }
        }
    }

    /// Records `value` for the function and account-wide.
    fn record(&self, metric: &MetricDef, function: &str, value: f64) {
        self.record_under(metric, &[&[("FunctionName", function)], &[]], value);
    }

    /// Records `value` for the function and account-wide, and for a qualified invocation
    /// also under FunctionName + Resource and FunctionName + Resource + ExecutedVersion.
    fn record_target(&self, metric: &MetricDef, target: &Target<'_>, value: f64) {
        self.record(metric, target.function, value);
        let Some((resource, executed)) = target.resource else {
            return;
        };
        let by_resource = [("FunctionName", target.function), ("Resource", resource)];
        let by_version = [
            ("FunctionName", target.function),
            ("Resource", resource),
            ("ExecutedVersion", executed),
        ];
        self.record_under(metric, &[&by_resource, &by_version], value);
    }

    /// One invocation that ran: Invocations, Errors (0 or 1) and Duration.
    pub fn invocation(&self, target: &Target<'_>, failed: bool, duration: Duration) {
        self.record_target(&lambda::INVOCATIONS, target, 1.0);
        self.record_target(&lambda::ERRORS, target, f64::from(u8::from(failed)));
        self.record_target(&lambda::DURATION, target, duration.as_secs_f64() * 1000.0);
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
        let resource = target.resource.map(|(r, _)| r).unwrap_or(target.function);
        let by_function = [("FunctionName", target.function)];
        let by_resource = [("FunctionName", target.function), ("Resource", resource)];
        let counted = if on_provisioned {
            &lambda::PROVISIONED_CONCURRENCY_INVOCATIONS
        } else {
            &lambda::PROVISIONED_CONCURRENCY_SPILLOVER
        };
        let both: [&[(&str, &str)]; 2] = [&by_function, &by_resource];
        self.record_under(counted, &both, 1.0);
        self.record_under(
            &lambda::PROVISIONED_CONCURRENT_EXECUTIONS,
            &both,
            f64::from(busy),
        );
        if allocated > 0 {
            self.record_under(
                &lambda::PROVISIONED_CONCURRENCY_UTILIZATION,
                &[&by_resource],
                f64::from(busy) / f64::from(allocated),
            );
        }
    }

    /// The age of a batch's last record as the batch is sent (IteratorAge, ms).
    pub fn iterator_age(&self, function: &str, age_ms: f64) {
        self.record(&lambda::ITERATOR_AGE, function, age_ms);
    }

    /// A failed delivery to an on-failure destination (DestinationDeliveryFailures).
    pub fn destination_delivery_failure(&self, function: &str) {
        self.record(&lambda::DESTINATION_DELIVERY_FAILURES, function, 1.0);
    }

    /// An invocation stopped because its event was in a recursive loop
    /// (RecursiveInvocationsDropped).
    pub fn recursive_invocation_dropped(&self, function: &str) {
        // Published per function only, as AWS does.
        self.record_under(
            &lambda::RECURSIVE_INVOCATIONS_DROPPED,
            &[&[("FunctionName", function)]],
            1.0,
        );
    }

    /// A failed send to a function's dead-letter queue (DeadLetterErrors).
    pub fn dead_letter_error(&self, function: &str) {
        self.record(&lambda::DEAD_LETTER_ERRORS, function, 1.0);
    }

    /// One invocation's `LambdaInsights` datapoints, one of each metric it has a figure for,
    /// per function and per function version.
    pub fn insights(&self, usage: &InvocationUsage<'_>) {
        let by_function = [("function_name", usage.function)];
        let by_version = [
            ("function_name", usage.function),
            ("version", usage.version),
        ];
        let sets: [&[(&str, &str)]; 2] = [&by_function, &by_version];
        let total = f64::from(usage.memory_size_mb);
        self.record_under(&lambda_insights::TOTAL_MEMORY, &sets, total);
        if let Some(used) = usage.used_memory_max_mb {
            let used = used as f64;
            self.record_under(&lambda_insights::USED_MEMORY_MAX, &sets, used);
            if total > 0.0 {
                self.record_under(
                    &lambda_insights::MEMORY_UTILIZATION,
                    &sets,
                    used / total * 100.0,
                );
            }
        }
        if let Some(cpu) = usage.cpu_time {
            self.record_under(
                &lambda_insights::CPU_TOTAL_TIME,
                &sets,
                cpu.as_secs_f64() * 1000.0,
            );
        }
        if let Some(init) = usage.init_duration {
            self.record_under(
                &lambda_insights::INIT_DURATION,
                &sets,
                init.as_secs_f64() * 1000.0,
            );
        }
        let (rx, tx) = (usage.rx_bytes as f64, usage.tx_bytes as f64);
        self.record_under(&lambda_insights::RX_BYTES, &sets, rx);
        self.record_under(&lambda_insights::TX_BYTES, &sets, tx);
        self.record_under(&lambda_insights::TOTAL_NETWORK, &sets, rx + tx);
        if let Some(used) = usage.tmp_used_bytes {
            self.record_under(&lambda_insights::TMP_USED, &sets, used as f64);
            let free = EPHEMERAL_STORAGE_BYTES.saturating_sub(used);
            self.record_under(&lambda_insights::TMP_FREE, &sets, free as f64);
        }
    }

    /// An invocation served by a newly started instance (the engine's `ColdStarts`).
    pub fn cold_start(&self, function: &str) {
        self.record_under(
            &streamwatch_engine::COLD_STARTS,
            &[&[("FunctionName", function)]],
            1.0,
        );
    }

    /// Extracts the metrics of an Embedded Metric Format log line, as CloudWatch Logs does
    /// with a function's output: every metric of every directive, under each of its
    /// dimension sets, at the document's timestamp. Returns how many values were stored;
    /// a line that is not an EMF document (or breaks its rules) stores none.
    pub fn emf(&self, line: &str) -> usize {
        logs_engine::emf::record(&self.store, line)
    }

    /// An event accepted for asynchronous invocation (AsyncEventsReceived).
    pub fn async_received(&self, function: &str) {
        self.record(&lambda::ASYNC_EVENTS_RECEIVED, function, 1.0);
    }

    /// The time from an event's acceptance to an attempt to run it (AsyncEventAge, ms).
    pub fn async_age(&self, function: &str, age_ms: f64) {
        self.record(&lambda::ASYNC_EVENT_AGE, function, age_ms);
    }

    /// An event given up on without a destination to take it (AsyncEventsDropped).
    pub fn async_dropped(&self, function: &str) {
        self.record(&lambda::ASYNC_EVENTS_DROPPED, function, 1.0);
    }

    /// One throttled invocation: Throttles (not counted in Invocations, as on AWS).
    pub fn throttle(&self, target: &Target<'_>) {
        self.record_target(&lambda::THROTTLES, target, 1.0);
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
        let account: &[&[(&str, &str)]] = &[&[]];
        self.record_under(
            &lambda::CONCURRENT_EXECUTIONS,
            &[&[("FunctionName", function)]],
            f64::from(function_running),
        );
        self.record_under(
            &lambda::CONCURRENT_EXECUTIONS,
            account,
            f64::from(account_running),
        );
        self.record_under(
            &lambda::UNRESERVED_CONCURRENT_EXECUTIONS,
            account,
            f64::from(unreserved_running),
        );
        self.record_under(
            &lambda::CLAIMED_ACCOUNT_CONCURRENCY,
            account,
            f64::from(claimed),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use metric_store::{MetricKey, Unit};

    #[test]
    fn every_metric_lands_under_each_of_its_dimension_sets() {
        let store = Arc::new(Store::new());
        let m = LambdaMetrics::new(store.clone());
        let target = Target::version("f", "f:live", "3");
        m.invocation(&target, false, Duration::from_millis(5));
        m.throttle(&target);
        m.provisioned(&target, true, 1, 2);
        m.provisioned(&target, false, 1, 2);
        m.iterator_age("f", 10.0);
        m.destination_delivery_failure("f");
        m.recursive_invocation_dropped("f");
        m.dead_letter_error("f");
        m.async_received("f");
        m.async_age("f", 10.0);
        m.async_dropped("f");
        m.concurrency("f", 1, 2, 1, 3);
        let keys = store.list(&metric_store::ListFilter {
            namespace: Some(NAMESPACE.into()),
            ..Default::default()
        });
        // Invocations, Errors, Duration and Throttles under 4 sets each (16); provisioned
        // invocations, spillovers and executions under 2 (6) and utilization under 1; six
        // per-function metrics with their account-wide series (12) and
        // RecursiveInvocationsDropped, per function only (1); concurrency 2 + 1 + 1.
        assert_eq!(keys.len(), 16 + 6 + 1 + 12 + 1 + 4, "{keys:#?}");
        for key in &keys {
            let def = metric_store::catalog::find(NAMESPACE, key.name()).expect("catalogued");
            let dims: Vec<(&str, &str)> = key
                .dimensions()
                .iter()
                .map(|(k, v)| (k.as_ref(), v.as_ref()))
                .collect();
            assert!(def.key(&dims).is_ok(), "{key:?}");
        }
    }

    #[test]
    fn insights_land_per_function_and_version_leaving_out_what_was_not_read() {
        let store = Arc::new(Store::new());
        let m = LambdaMetrics::new(store.clone());
        let usage = InvocationUsage {
            function: "f",
            version: "$LATEST",
            memory_size_mb: 256,
            used_memory_max_mb: Some(64),
            cpu_time: Some(Duration::from_millis(20)),
            init_duration: Some(Duration::from_millis(150)),
            rx_bytes: 10,
            tx_bytes: 5,
            tmp_used_bytes: Some(4096),
        };
        m.insights(&usage);
        m.insights(&InvocationUsage {
            used_memory_max_mb: None,
            cpu_time: None,
            init_duration: None,
            ..usage
        });
        m.cold_start("f");
        let sum = |namespace: &str, name: &str, dims: &[(&str, &str)]| -> (f64, f64) {
            let key = MetricKey::new(namespace, name, dims.iter().copied()).unwrap();
            let now = store.now_ms();
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
            points.iter().fold((0.0, 0.0), |(s, n), p| {
                (
                    s + p.values[0].unwrap_or(0.0),
                    n + p.values[1].unwrap_or(0.0),
                )
            })
        };
        let by_version = [("function_name", "f"), ("version", "$LATEST")];
        for dims in [&[("function_name", "f")][..], &by_version] {
            assert_eq!(sum("LambdaInsights", "total_memory", dims), (512.0, 2.0));
            assert_eq!(sum("LambdaInsights", "used_memory_max", dims), (64.0, 1.0));
            assert_eq!(
                sum("LambdaInsights", "memory_utilization", dims),
                (25.0, 1.0)
            );
            assert_eq!(sum("LambdaInsights", "cpu_total_time", dims), (20.0, 1.0));
            assert_eq!(sum("LambdaInsights", "init_duration", dims), (150.0, 1.0));
            assert_eq!(sum("LambdaInsights", "total_network", dims), (30.0, 2.0));
            assert_eq!(sum("LambdaInsights", "tmp_used", dims), (8192.0, 2.0));
            let free = (EPHEMERAL_STORAGE_BYTES - 4096) as f64;
            assert_eq!(sum("LambdaInsights", "tmp_free", dims), (2.0 * free, 2.0));
        }
        assert_eq!(
            sum("StreamwatchEngine", "ColdStarts", &[("FunctionName", "f")]),
            (1.0, 1.0)
        );
    }

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
