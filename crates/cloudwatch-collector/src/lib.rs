//! Collects the `AWS/Kinesis` and `AWS/Lambda` namespaces and the inventory of streams and
//! functions from any endpoint: AWS itself, the embedded engine, or another implementation of
//! the AWS APIs, through the same SDK calls.
//!
//! One cycle:
//! 1. discovery: ListStreams and ListFunctions (every page), so untagged resources are found
//!    too; a namespace whose discovery fails is reported and the others go on;
//! 2. one `MetricDataQuery` per resource, metric and statistic, sent in GetMetricData calls
//!    of at most 500 queries (AWS's limit), every page followed. Lambda series are asked for
//!    with the `FunctionName` dimension set only, so none is counted twice under the
//!    `FunctionName` + `Resource` sets;
//! 3. the window is whole periods only, from where the last cycle stopped to the last period
//!    that ended at least `delay` ago, so each datapoint is fetched once and no window
//!    overlaps the previous one.
//!
//! On request, finer series too: shard-level `AWS/Kinesis` series (`StreamName` + `ShardId`)
//! and `AWS/Lambda` series per alias or version (`FunctionName` + `Resource`). Which of them
//! exist is asked of ListMetrics (one call per metric and 500 series, recently active ones
//! only), so no query is billed for a shard whose enhanced monitoring is off. Tag filters
//! narrow every namespace to the resources whose tags match; tags are read once per
//! `tag_refresh` and cached.
//!
//! The inventory (DescribeStreamSummary and ListTagsForStream per stream) is refreshed by
//! [`Collector::inventory`], on its own schedule. Every cycle reports its API calls and the
//! estimated CloudWatch cost (GetMetricData is billed per metric requested).

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod config;
mod cost;
mod discovery;
mod error;
mod inventory;
mod queries;
mod tags;

use std::collections::{BTreeMap, HashMap};

use metric_export::Sample;

pub use config::{
    CollectorConfig, KINESIS_NAMESPACE, LAMBDA_NAMESPACE, MetricSpec, Namespace,
    default_kinesis_metrics, default_lambda_metrics, default_shard_metrics,
};
pub use cost::{ApiCalls, usd_per_metric_requested};
pub use discovery::FunctionSummary;
pub use error::CollectError;
pub use queries::MAX_QUERIES_PER_CALL;
pub use tags::TagFilter;

/// One collection cycle's result.
#[derive(Debug, Clone, Default)]
pub struct Cycle {
    /// The datapoints fetched, oldest first per series.
    pub samples: Vec<Sample>,
    /// Streams found by discovery (those passing the tag filters).
    pub streams: Vec<String>,
    /// Functions found by discovery (those passing the tag filters).
    pub functions: Vec<String>,
    /// The window read, `[start, end)` in epoch ms; `None` when no new period had ended.
    pub window: Option<(i64, i64)>,
    /// API calls made.
    pub calls: ApiCalls,
    /// Metrics requested from GetMetricData (what AWS bills).
    pub metrics_requested: u64,
    /// Errors met; the cycle carries on past them.
    pub errors: Vec<CollectError>,
}

/// The collector: clients, configuration, and where the last window ended.
#[derive(Debug)]
pub struct Collector {
    kinesis: aws_sdk_kinesis::Client,
    lambda: Option<aws_sdk_lambda::Client>,
    cloudwatch: aws_sdk_cloudwatch::Client,
    config: CollectorConfig,
    /// End of the last window fetched, epoch ms.
    watermark: Option<i64>,
    /// Tags read for the filters: resource name to (read at, epoch ms; tags).
    tags: HashMap<(Namespace, String), (i64, BTreeMap<String, String>)>,
}

impl Collector {
    /// A collector over these clients (pointed at AWS or at the embedded engine).
    pub fn new(
        kinesis: aws_sdk_kinesis::Client,
        cloudwatch: aws_sdk_cloudwatch::Client,
        config: CollectorConfig,
    ) -> Collector {
        Collector {
            kinesis,
            lambda: None,
            cloudwatch,
            config,
            watermark: None,
            tags: HashMap::new(),
        }
    }

    /// Adds the Lambda client that `AWS/Lambda` discovery and inventory use.
    pub fn with_lambda(mut self, lambda: aws_sdk_lambda::Client) -> Collector {
        self.lambda = Some(lambda);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &CollectorConfig {
        &self.config
    }

    /// The window the next cycle at `now_ms` reads: whole periods from the last window's
    /// end (or `first_window` back) to the last period that ended `delay` before now.
    pub fn next_window(&self, now_ms: i64) -> Option<(i64, i64)> {
        let period = self.config.period_secs.max(1) * 1000;
        let ready = now_ms - self.config.delay.as_millis() as i64;
        let end = ready.div_euclid(period) * period;
        let start = match self.watermark {
            Some(w) => w,
            None => {
                let back = (self.config.first_window.as_millis() as i64).max(period);
                (end - back).div_euclid(period) * period
            }
        };
        (end > start).then_some((start, end))
    }

    /// Runs one cycle at `now_ms` (epoch ms): discovery, the tag filters, the finer series
    /// asked for, then the metrics of every resource over the next window. The window
    /// advances only if every call succeeded, so a failed cycle is read again next time
    /// (datapoints read twice carry the same series and timestamp, so stores that key on
    /// them, as Prometheus and InfluxDB do, keep one).
    pub async fn collect(&mut self, now_ms: i64) -> Cycle {
        let mut cycle = Cycle::default();
        let mut discovered = false;
        let mut arns: HashMap<String, String> = HashMap::new();
        if self.config.namespaces.contains(&Namespace::Kinesis) {
            match self.discover(&mut cycle.calls).await {
                Ok(s) => {
                    cycle.streams = s;
                    discovered = true;
                }
                Err(e) => cycle.errors.push(e),
            }
        }
        if self.config.namespaces.contains(&Namespace::Lambda) {
            match self.discover_functions(&mut cycle.calls).await {
                Ok(found) => {
                    for f in found {
                        if let Some(arn) = f.arn {
                            arns.insert(f.name.clone(), arn);
                        }
                        cycle.functions.push(f.name);
                    }
                    discovered = true;
                }
                Err(e) => cycle.errors.push(e),
            }
        }
        if !discovered {
            return cycle;
        }
        if !self.config.kinesis_tag_filters.is_empty() {
            let listed = std::mem::take(&mut cycle.streams);
            cycle.streams = self
                .filter_by_tags(Namespace::Kinesis, listed, &arns, now_ms, &mut cycle)
                .await;
        }
        if !self.config.lambda_tag_filters.is_empty() {
            let listed = std::mem::take(&mut cycle.functions);
            cycle.functions = self
                .filter_by_tags(Namespace::Lambda, listed, &arns, now_ms, &mut cycle)
                .await;
        }
        let Some((start, end)) = self.next_window(now_ms) else {
            return cycle;
        };
        cycle.window = Some((start, end));
        let mut queries = self.queries(&cycle.streams, &cycle.functions);
        let finer = [
            (
                Namespace::Kinesis,
                &self.config.shard_metrics,
                &cycle.streams,
            ),
            (
                Namespace::Lambda,
                &self.config.lambda_resource_metrics,
                &cycle.functions,
            ),
        ];
        for (namespace, specs, parents) in finer {
            if specs.is_empty() || !self.config.namespaces.contains(&namespace) {
                continue;
            }
            match self
                .finer_series(namespace, specs, parents, &mut cycle.calls)
                .await
            {
                Ok(q) => queries.extend(q),
                Err(e) => cycle.errors.push(e),
            }
        }
        let mut ok = cycle.errors.is_empty();
        let per_call = self.config.queries_per_call.clamp(1, MAX_QUERIES_PER_CALL);
        for chunk in queries.chunks(per_call) {
            cycle.metrics_requested += chunk.len() as u64;
            if let Err(e) = self.fetch(chunk, start, end, &mut cycle).await {
                cycle.errors.push(e);
                ok = false;
            }
        }
        if ok {
            self.watermark = Some(end);
        }
        cycle
    }
}
