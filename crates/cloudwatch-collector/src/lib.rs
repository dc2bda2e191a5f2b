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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{
    Dimension, DimensionFilter, Metric, MetricDataQuery, MetricStat, RecentlyActive, ScanBy,
};
use metric_export::{FieldValue, InventoryObject, Sample, Statistic};

/// Most queries in one GetMetricData call.
pub const MAX_QUERIES_PER_CALL: usize = 500;
/// What AWS charges per metric requested through GetMetricData, in US dollars (standard
/// pricing: $0.01 per 1,000 metrics requested).
pub const USD_PER_METRIC_REQUESTED: f64 = 0.01 / 1000.0;
/// The CloudWatch namespace of Kinesis Data Streams.
pub const KINESIS_NAMESPACE: &str = "AWS/Kinesis";
/// The CloudWatch namespace of Lambda.
pub const LAMBDA_NAMESPACE: &str = "AWS/Lambda";

/// A namespace the collector can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Namespace {
    /// `AWS/Kinesis`, per stream (`StreamName`).
    Kinesis,
    /// `AWS/Lambda`, per function (`FunctionName`).
    Lambda,
}

impl Namespace {
    /// The CloudWatch name, e.g. `AWS/Kinesis`.
    pub fn cloudwatch(self) -> &'static str {
        match self {
            Namespace::Kinesis => KINESIS_NAMESPACE,
            Namespace::Lambda => LAMBDA_NAMESPACE,
        }
    }

    /// The dimension naming one resource.
    pub fn dimension(self) -> &'static str {
        match self {
            Namespace::Kinesis => "StreamName",
            Namespace::Lambda => "FunctionName",
        }
    }

    /// The dimension that, next to [`Namespace::dimension`], names the finer series asked
    /// for on request: `ShardId` for streams, `Resource` (an alias or version) for functions.
    pub fn finer_dimension(self) -> &'static str {
        match self {
            Namespace::Kinesis => "ShardId",
            Namespace::Lambda => "Resource",
        }
    }

    /// Parses the command-line name: `aws_kinesis` or `aws_lambda`.
    pub fn from_flag(text: &str) -> Option<Namespace> {
        match text {
            "aws_kinesis" | "AWS/Kinesis" => Some(Namespace::Kinesis),
            "aws_lambda" | "AWS/Lambda" => Some(Namespace::Lambda),
            _ => None,
        }
    }
}

/// One metric to fetch for every stream, with its statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSpec {
    /// The metric name, e.g. `IncomingBytes`.
    pub name: String,
    /// The statistics wanted.
    pub statistics: Vec<Statistic>,
}

/// The default set: every stream-level `AWS/Kinesis` metric (those published with the
/// `StreamName` dimension alone), with Sum, Average, Maximum and SampleCount, as AWS defines
/// them in the metric catalogue.
pub fn default_kinesis_metrics() -> Vec<MetricSpec> {
    metric_store::catalog::kinesis::ALL
        .iter()
        .filter(|m| m.dimension_sets.iter().any(|set| *set == ["StreamName"]))
        .map(|m| MetricSpec {
            name: m.name.to_string(),
            statistics: vec![
                Statistic::Sum,
                Statistic::Average,
                Statistic::Maximum,
                Statistic::SampleCount,
            ],
        })
        .collect()
}

/// The default shard-level set: every `AWS/Kinesis` metric AWS publishes per shard
/// (`StreamName` + `ShardId`, once enhanced monitoring enables it), with Sum, Average and
/// Maximum.
pub fn default_shard_metrics() -> Vec<MetricSpec> {
    metric_store::catalog::kinesis::ALL
        .iter()
        .filter(|m| {
            m.dimension_sets
                .iter()
                .any(|set| *set == ["StreamName", "ShardId"])
        })
        .map(|m| MetricSpec {
            name: m.name.to_string(),
            statistics: vec![Statistic::Sum, Statistic::Average, Statistic::Maximum],
        })
        .collect()
}

/// A tag a resource must carry to be collected: the key, with one of `values` (any value
/// when `values` is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFilter {
    /// The tag key.
    pub key: String,
    /// The accepted values; empty accepts any.
    pub values: Vec<String>,
}

impl TagFilter {
    /// Whether these tags pass the filter.
    pub fn matches(&self, tags: &BTreeMap<String, String>) -> bool {
        tags.get(&self.key)
            .is_some_and(|v| self.values.is_empty() || self.values.iter().any(|want| want == v))
    }
}

/// The default `AWS/Lambda` set per function: the invocation, performance, concurrency and
/// asynchronous-invocation metrics AWS publishes with the `FunctionName` dimension, each with
/// the statistics AWS recommends for it (Sum for counts, Average/Maximum/p99 for times).
pub fn default_lambda_metrics() -> Vec<MetricSpec> {
    use Statistic::{Average, Maximum, Percentile, Sum};
    let spec = |name: &str, statistics: &[Statistic]| MetricSpec {
        name: name.to_string(),
        statistics: statistics.to_vec(),
    };
    vec![
        // Invocation metrics.
        spec("Invocations", &[Sum]),
        spec("Errors", &[Sum]),
        spec("Throttles", &[Sum]),
        spec("DeadLetterErrors", &[Sum]),
        spec("DestinationDeliveryFailures", &[Sum]),
        spec("RecursiveInvocationsDropped", &[Sum]),
        // Performance metrics.
        spec("Duration", &[Average, Maximum, Percentile(99.0)]),
        spec("IteratorAge", &[Average, Maximum]),
        // Concurrency metrics.
        spec("ConcurrentExecutions", &[Maximum]),
        // Asynchronous invocation metrics.
        spec("AsyncEventsReceived", &[Sum]),
        spec("AsyncEventAge", &[Average, Maximum]),
        spec("AsyncEventsDropped", &[Sum]),
    ]
}

/// How the collector fetches.
#[derive(Debug, Clone)]
pub struct CollectorConfig {
    /// The region named in every sample.
    pub region: String,
    /// The period of every datapoint, in seconds (1, 5, 10, 30 or a multiple of 60).
    pub period_secs: i64,
    /// A period is fetched only once it ended at least this long ago, so late datapoints are
    /// in before it is read.
    pub delay: Duration,
    /// How far back the first cycle reaches.
    pub first_window: Duration,
    /// The namespaces read.
    pub namespaces: Vec<Namespace>,
    /// The metrics fetched for every stream.
    pub metrics: Vec<MetricSpec>,
    /// The metrics fetched for every function.
    pub lambda_metrics: Vec<MetricSpec>,
    /// Shard-level metrics (`StreamName` + `ShardId`) fetched for every shard ListMetrics
    /// names; empty for none (the default).
    pub shard_metrics: Vec<MetricSpec>,
    /// Metrics fetched per function alias or version (`FunctionName` + `Resource`), for
    /// every such series ListMetrics names; empty for none (the default), so no series is
    /// counted under both dimension sets unless asked.
    pub lambda_resource_metrics: Vec<MetricSpec>,
    /// Tags a stream must carry to be collected (all of them); empty collects every stream.
    pub kinesis_tag_filters: Vec<TagFilter>,
    /// Tags a function must carry to be collected (all of them); empty collects every one.
    pub lambda_tag_filters: Vec<TagFilter>,
    /// How long tags read for the filters are trusted before they are read again.
    pub tag_refresh: Duration,
    /// The account's name in the inventory (`AccountName`); its ID, from the ARNs, when unset.
    pub account_name: Option<String>,
    /// Queries per GetMetricData call: AWS's maximum, 500, unless a benchmark asks for fewer.
    pub queries_per_call: usize,
}

impl Default for CollectorConfig {
    fn default() -> CollectorConfig {
        CollectorConfig {
            region: "us-east-1".to_string(),
            period_secs: 60,
            delay: Duration::from_secs(10),
            first_window: Duration::from_secs(60),
            namespaces: vec![Namespace::Kinesis],
            metrics: default_kinesis_metrics(),
            lambda_metrics: default_lambda_metrics(),
            shard_metrics: Vec::new(),
            lambda_resource_metrics: Vec::new(),
            kinesis_tag_filters: Vec::new(),
            lambda_tag_filters: Vec::new(),
            tag_refresh: Duration::from_secs(300),
            account_name: None,
            queries_per_call: MAX_QUERIES_PER_CALL,
        }
    }
}

/// What went wrong in a cycle. A cycle with errors still returns what it got.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CollectError {
    /// An API call failed.
    #[error("{operation} failed: {message}")]
    Call {
        /// The operation, e.g. `ListStreams`.
        operation: &'static str,
        /// The error code, or `timeout` / `connection` / `unknown`.
        message: String,
    },
}

/// API calls made, by operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiCalls {
    /// ListStreams pages.
    pub list_streams: u64,
    /// GetMetricData calls (pages included).
    pub get_metric_data: u64,
    /// DescribeStreamSummary calls.
    pub describe_stream_summary: u64,
    /// ListTagsForStream calls.
    pub list_tags_for_stream: u64,
    /// ListFunctions pages.
    pub list_functions: u64,
    /// Lambda ListTags calls.
    pub list_tags: u64,
    /// ListEventSourceMappings pages.
    pub list_event_source_mappings: u64,
    /// ListMetrics pages (finer series discovery).
    pub list_metrics: u64,
}

impl ApiCalls {
    /// All calls.
    pub fn total(&self) -> u64 {
        self.list_streams
            + self.get_metric_data
            + self.describe_stream_summary
            + self.list_tags_for_stream
            + self.list_functions
            + self.list_tags
            + self.list_event_source_mappings
            + self.list_metrics
    }

    /// Each operation's CloudWatch, Kinesis or Lambda name with its count.
    pub fn by_operation(&self) -> [(&'static str, u64); 8] {
        [
            ("ListStreams", self.list_streams),
            ("GetMetricData", self.get_metric_data),
            ("DescribeStreamSummary", self.describe_stream_summary),
            ("ListTagsForStream", self.list_tags_for_stream),
            ("ListFunctions", self.list_functions),
            ("ListTags", self.list_tags),
            ("ListEventSourceMappings", self.list_event_source_mappings),
            ("ListMetrics", self.list_metrics),
        ]
    }

    /// Adds another count to this one.
    pub fn add(&mut self, other: &ApiCalls) {
        self.list_streams += other.list_streams;
        self.get_metric_data += other.get_metric_data;
        self.describe_stream_summary += other.describe_stream_summary;
        self.list_tags_for_stream += other.list_tags_for_stream;
        self.list_functions += other.list_functions;
        self.list_tags += other.list_tags;
        self.list_event_source_mappings += other.list_event_source_mappings;
        self.list_metrics += other.list_metrics;
    }
}

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

impl Cycle {
    /// The estimated CloudWatch cost of the cycle, in US dollars.
    pub fn estimated_cost_usd(&self) -> f64 {
        self.metrics_requested as f64 * USD_PER_METRIC_REQUESTED
    }
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

    /// Lists every stream, following every page.
    pub async fn discover(&self, calls: &mut ApiCalls) -> Result<Vec<String>, CollectError> {
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        let mut last_name: Option<String> = None;
        loop {
            let mut req = self.kinesis.list_streams();
            req = match (&token, &last_name) {
                (Some(t), _) => req.next_token(t),
                // Servers that page by ExclusiveStartStreamName rather than NextToken.
                (None, Some(n)) => req.exclusive_start_stream_name(n),
                (None, None) => req,
            };
            calls.list_streams += 1;
            let resp = req
                .send()
                .await
                .map_err(|e| call_error("ListStreams", &e))?;
            let page: Vec<String> = resp.stream_names().to_vec();
            last_name = page.last().cloned();
            names.extend(page);
            token = resp.next_token().map(str::to_string);
            if !resp.has_more_streams() || (token.is_none() && last_name.is_none()) {
                break;
            }
        }
        names.sort();
        names.dedup();
        Ok(names)
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

    /// Keeps the resources whose tags pass every filter of the namespace. Tags come from
    /// the cache while younger than `tag_refresh`, else ListTagsForStream / ListTags. A
    /// resource whose tags cannot be read is left out of this cycle and the error reported
    /// (the window then stays, so it is read again next cycle).
    async fn filter_by_tags(
        &mut self,
        namespace: Namespace,
        listed: Vec<String>,
        arns: &HashMap<String, String>,
        now_ms: i64,
        cycle: &mut Cycle,
    ) -> Vec<String> {
        let filters = match namespace {
            Namespace::Kinesis => self.config.kinesis_tag_filters.clone(),
            Namespace::Lambda => self.config.lambda_tag_filters.clone(),
        };
        let refresh = self.config.tag_refresh.as_millis() as i64;
        let listed_set: BTreeSet<String> = listed.iter().cloned().collect();
        self.tags
            .retain(|(ns, name), _| *ns != namespace || listed_set.contains(name));
        let mut kept = Vec::new();
        for name in listed {
            let key = (namespace, name.clone());
            let cached = self
                .tags
                .get(&key)
                .filter(|(at, _)| now_ms - at < refresh)
                .map(|(_, tags)| tags.clone());
            let tags = match cached {
                Some(tags) => tags,
                None => {
                    let read = match namespace {
                        Namespace::Kinesis => self.stream_tags(&name, &mut cycle.calls).await,
                        Namespace::Lambda => match arns.get(&name) {
                            Some(arn) => self.function_tags(arn, &mut cycle.calls).await,
                            None => Ok(Some(BTreeMap::new())),
                        },
                    };
                    match read {
                        Ok(Some(tags)) => {
                            self.tags.insert(key, (now_ms, tags.clone()));
                            tags
                        }
                        // Deleted since it was listed.
                        Ok(None) => continue,
                        Err(e) => {
                            cycle.errors.push(e);
                            continue;
                        }
                    }
                }
            };
            if filters.iter().all(|f| f.matches(&tags)) {
                kept.push(name);
            }
        }
        kept
    }

    /// The finer series of a namespace (per shard, or per function alias or version) that
    /// ListMetrics names for these metrics, recently active and under a listed parent.
    async fn finer_series(
        &self,
        namespace: Namespace,
        specs: &[MetricSpec],
        parents: &[String],
        calls: &mut ApiCalls,
    ) -> Result<Vec<Query>, CollectError> {
        let parents: BTreeSet<&str> = parents.iter().map(String::as_str).collect();
        let mut out = Vec::new();
        for spec in specs {
            let mut token: Option<String> = None;
            loop {
                calls.list_metrics += 1;
                let resp = self
                    .cloudwatch
                    .list_metrics()
                    .namespace(namespace.cloudwatch())
                    .metric_name(&spec.name)
                    .dimensions(
                        DimensionFilter::builder()
                            .name(namespace.finer_dimension())
                            .build(),
                    )
                    .recently_active(RecentlyActive::Pt3H)
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| call_error("ListMetrics", &e))?;
                for metric in resp.metrics() {
                    let dimensions: Vec<(String, String)> = metric
                        .dimensions()
                        .iter()
                        .filter_map(|d| Some((d.name()?.to_string(), d.value()?.to_string())))
                        .collect();
                    let under_listed = dimensions
                        .iter()
                        .any(|(n, v)| n == namespace.dimension() && parents.contains(v.as_str()));
                    if !under_listed {
                        continue;
                    }
                    for statistic in &spec.statistics {
                        out.push(Query {
                            namespace,
                            dimensions: dimensions.clone(),
                            metric: spec.name.clone(),
                            statistic: *statistic,
                        });
                    }
                }
                token = resp.next_token().map(str::to_string);
                if token.is_none() {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// One query per resource, metric and statistic, with the namespace's resource
    /// dimension alone.
    fn queries(&self, streams: &[String], functions: &[String]) -> Vec<Query> {
        let mut out = Vec::new();
        let sets = [
            (Namespace::Kinesis, streams, &self.config.metrics),
            (Namespace::Lambda, functions, &self.config.lambda_metrics),
        ];
        for (namespace, resources, specs) in sets {
            for resource in resources {
                for spec in specs.iter() {
                    for stat in &spec.statistics {
                        out.push(Query {
                            namespace,
                            dimensions: vec![(namespace.dimension().to_string(), resource.clone())],
                            metric: spec.name.clone(),
                            statistic: *stat,
                        });
                    }
                }
            }
        }
        out
    }

    async fn fetch(
        &self,
        chunk: &[Query],
        start: i64,
        end: i64,
        cycle: &mut Cycle,
    ) -> Result<(), CollectError> {
        let period = self.config.period_secs as i32;
        let queries: Vec<MetricDataQuery> = chunk
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let metric = Metric::builder()
                    .namespace(q.namespace.cloudwatch())
                    .metric_name(&q.metric)
                    .set_dimensions(Some(
                        q.dimensions
                            .iter()
                            .map(|(name, value)| {
                                Dimension::builder().name(name).value(value).build()
                            })
                            .collect(),
                    ))
                    .build();
                MetricDataQuery::builder()
                    .id(format!("q{i}"))
                    .metric_stat(
                        MetricStat::builder()
                            .metric(metric)
                            .period(period)
                            .stat(q.statistic.as_cloudwatch())
                            .build(),
                    )
                    .build()
            })
            .collect();
        let mut token: Option<String> = None;
        loop {
            let req = self
                .cloudwatch
                .get_metric_data()
                .set_metric_data_queries(Some(queries.clone()))
                .start_time(DateTime::from_millis(start))
                .end_time(DateTime::from_millis(end))
                .scan_by(ScanBy::TimestampAscending)
                .set_next_token(token.clone());
            cycle.calls.get_metric_data += 1;
            let resp = req
                .send()
                .await
                .map_err(|e| call_error("GetMetricData", &e))?;
            for result in resp.metric_data_results() {
                let Some(q) = result
                    .id()
                    .and_then(|id| id.strip_prefix('q'))
                    .and_then(|n| n.parse::<usize>().ok())
                    .and_then(|i| chunk.get(i))
                else {
                    continue;
                };
                let unit = metric_store::catalog::find(q.namespace.cloudwatch(), &q.metric)
                    .map(|m| m.unit.as_str().to_string())
                    .or_else(|| lambda_unit(q.namespace, &q.metric).map(str::to_string));
                for (t, v) in result.timestamps().iter().zip(result.values()) {
                    let Ok(ms) = t.to_millis() else { continue };
                    cycle.samples.push(Sample {
                        namespace: q.namespace.cloudwatch().to_string(),
                        metric: q.metric.clone(),
                        statistic: q.statistic,
                        unit: unit.clone(),
                        dimensions: q.dimensions.clone(),
                        region: self.config.region.clone(),
                        timestamp_ms: ms,
                        value: *v,
                    });
                }
            }
            token = resp.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(());
            }
        }
    }

    /// The inventory of every stream: DescribeStreamSummary and ListTagsForStream each.
    /// Streams that vanish between listing and describing are left out.
    pub async fn inventory(
        &self,
        streams: &[String],
        calls: &mut ApiCalls,
    ) -> Result<Vec<InventoryObject>, CollectError> {
        let mut out = Vec::new();
        for name in streams {
            calls.describe_stream_summary += 1;
            let summary = match self
                .kinesis
                .describe_stream_summary()
                .stream_name(name)
                .send()
                .await
            {
                Ok(r) => r,
                Err(e) if code(&e) == "ResourceNotFoundException" => continue,
                Err(e) => return Err(call_error("DescribeStreamSummary", &e)),
            };
            let Some(d) = summary.stream_description_summary() else {
                continue;
            };
            let mut fields: BTreeMap<String, FieldValue> = BTreeMap::new();
            fields.insert("StreamName".into(), d.stream_name().into());
            fields.insert("StreamARN".into(), d.stream_arn().into());
            fields.insert("StreamStatus".into(), d.stream_status().as_str().into());
            if let Some(mode) = d.stream_mode_details() {
                fields.insert(
                    "StreamModeDetails".into(),
                    mode.stream_mode().as_str().into(),
                );
            }
            fields.insert(
                "RetentionPeriodHours".into(),
                i64::from(d.retention_period_hours()).into(),
            );
            if let Some(e) = d.encryption_type() {
                fields.insert("EncryptionType".into(), e.as_str().into());
            }
            if let Some(k) = d.key_id() {
                fields.insert("KeyId".into(), k.into());
            }
            fields.insert(
                "OpenShardCount".into(),
                i64::from(d.open_shard_count()).into(),
            );
            if let Some(c) = d.consumer_count() {
                fields.insert("ConsumerCount".into(), i64::from(c).into());
            }
            if let Ok(ms) = d.stream_creation_timestamp().to_millis() {
                fields.insert("StreamCreationTimestamp".into(), ms.into());
            }
            fields.insert("RegionId".into(), self.config.region.clone().into());
            self.account_fields(d.stream_arn(), &mut fields);
            let tags = match self.cached_tags(Namespace::Kinesis, name) {
                Some(tags) => tags,
                None => match self.stream_tags(name, calls).await? {
                    Some(tags) => tags,
                    None => continue,
                },
            };
            out.push(InventoryObject {
                class: "aws_kinesis".into(),
                name: name.clone(),
                fields,
                tags,
            });
        }
        Ok(out)
    }
}

impl Collector {
    /// A stream's tags (ListTagsForStream, every page); `None` when it no longer exists.
    async fn stream_tags(
        &self,
        name: &str,
        calls: &mut ApiCalls,
    ) -> Result<Option<BTreeMap<String, String>>, CollectError> {
        let mut tags = BTreeMap::new();
        let mut after: Option<String> = None;
        loop {
            calls.list_tags_for_stream += 1;
            let resp = match self
                .kinesis
                .list_tags_for_stream()
                .stream_name(name)
                .set_exclusive_start_tag_key(after.clone())
                .limit(50)
                .send()
                .await
            {
                Ok(r) => r,
                Err(e) if code(&e) == "ResourceNotFoundException" => return Ok(None),
                Err(e) => return Err(call_error("ListTagsForStream", &e)),
            };
            for t in resp.tags() {
                tags.insert(
                    t.key().to_string(),
                    t.value().unwrap_or_default().to_string(),
                );
            }
            after = resp.tags().last().map(|t| t.key().to_string());
            if !resp.has_more_tags() || after.is_none() {
                return Ok(Some(tags));
            }
        }
    }

    /// A function's tags (ListTags); `None` when it no longer exists.
    async fn function_tags(
        &self,
        arn: &str,
        calls: &mut ApiCalls,
    ) -> Result<Option<BTreeMap<String, String>>, CollectError> {
        let lambda = self.lambda_client()?;
        calls.list_tags += 1;
        match lambda.list_tags().resource(arn).send().await {
            Ok(resp) => Ok(Some(
                resp.tags()
                    .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            )),
            Err(e) if code(&e) == "ResourceNotFoundException" => Ok(None),
            Err(e) => Err(call_error("ListTags", &e)),
        }
    }

    /// Tags the filters read this cycle or lately, so the inventory need not read them again.
    fn cached_tags(&self, namespace: Namespace, name: &str) -> Option<BTreeMap<String, String>> {
        self.tags
            .get(&(namespace, name.to_string()))
            .map(|(_, tags)| tags.clone())
    }

    /// `AccountId` from a resource's ARN and `AccountName` (the configured name, else the ID).
    fn account_fields(&self, arn: &str, fields: &mut BTreeMap<String, FieldValue>) {
        let Some(id) = arn.split(':').nth(4).filter(|id| !id.is_empty()) else {
            return;
        };
        fields.insert("AccountId".into(), id.into());
        let name = self.config.account_name.as_deref().unwrap_or(id);
        fields.insert("AccountName".into(), name.into());
    }

    fn lambda_client(&self) -> Result<&aws_sdk_lambda::Client, CollectError> {
        self.lambda.as_ref().ok_or(CollectError::Call {
            operation: "ListFunctions",
            message: "no Lambda client configured".to_string(),
        })
    }

    /// Lists every function (following `NextMarker`), with its configuration.
    pub async fn discover_functions(
        &self,
        calls: &mut ApiCalls,
    ) -> Result<Vec<FunctionSummary>, CollectError> {
        let lambda = self.lambda_client()?;
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            calls.list_functions += 1;
            let resp = lambda
                .list_functions()
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(|e| call_error("ListFunctions", &e))?;
            for f in resp.functions() {
                let Some(name) = f.function_name() else {
                    continue;
                };
                let mut fields: BTreeMap<String, FieldValue> = BTreeMap::new();
                let mut put = |k: &str, v: Option<FieldValue>| {
                    if let Some(v) = v {
                        fields.insert(k.to_string(), v);
                    }
                };
                put("FunctionName", Some(name.into()));
                put("FunctionArn", f.function_arn().map(Into::into));
                put("Runtime", f.runtime().map(|r| r.as_str().into()));
                put("Role", f.role().map(Into::into));
                put("Handler", f.handler().map(Into::into));
                put("PackageType", f.package_type().map(|p| p.as_str().into()));
                put("Version", f.version().map(Into::into));
                put("RevisionId", f.revision_id().map(Into::into));
                put("MemorySize", f.memory_size().map(|m| i64::from(m).into()));
                put("Timeout", f.timeout().map(|t| i64::from(t).into()));
                let arch: Vec<&str> = f.architectures().iter().map(|a| a.as_str()).collect();
                put(
                    "Architectures",
                    (!arch.is_empty()).then(|| arch.join(",").into()),
                );
                put("LastModified", f.last_modified().map(Into::into));
                put("CodeSize", Some(f.code_size().into()));
                put("RegionId", Some(self.config.region.clone().into()));
                out.push(FunctionSummary {
                    name: name.to_string(),
                    fields,
                    arn: f.function_arn().map(str::to_string),
                });
            }
            marker = resp.next_marker().map(str::to_string);
            if marker.is_none() {
                break;
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The inventory of these functions (those a cycle collected): configuration (from
    /// ListFunctions), tags (ListTags, or the tag filters' cache) and event source mappings
    /// (ListEventSourceMappings, as `uuid state source-arn` entries joined by `;`).
    pub async fn inventory_functions(
        &self,
        functions: &[String],
        calls: &mut ApiCalls,
    ) -> Result<Vec<InventoryObject>, CollectError> {
        let wanted: BTreeSet<&str> = functions.iter().map(String::as_str).collect();
        let listed = self.discover_functions(calls).await?;
        let lambda = self.lambda_client()?;
        let mut out = Vec::new();
        for f in listed
            .into_iter()
            .filter(|f| wanted.contains(f.name.as_str()))
        {
            let tags = match (self.cached_tags(Namespace::Lambda, &f.name), &f.arn) {
                (Some(tags), _) => tags,
                (None, Some(arn)) => match self.function_tags(arn, calls).await? {
                    Some(tags) => tags,
                    None => continue,
                },
                (None, None) => BTreeMap::new(),
            };
            let mut mappings = Vec::new();
            let mut marker: Option<String> = None;
            loop {
                calls.list_event_source_mappings += 1;
                let resp = lambda
                    .list_event_source_mappings()
                    .function_name(&f.name)
                    .set_marker(marker.clone())
                    .send()
                    .await
                    .map_err(|e| call_error("ListEventSourceMappings", &e))?;
                for m in resp.event_source_mappings() {
                    mappings.push(format!(
                        "{} {} {}",
                        m.uuid().unwrap_or_default(),
                        m.state().unwrap_or_default(),
                        m.event_source_arn().unwrap_or_default()
                    ));
                }
                marker = resp.next_marker().map(str::to_string);
                if marker.is_none() {
                    break;
                }
            }
            let mut fields = f.fields;
            if let Some(arn) = &f.arn {
                self.account_fields(arn, &mut fields);
            }
            if !mappings.is_empty() {
                fields.insert("EventSourceMappings".into(), mappings.join(";").into());
            }
            out.push(InventoryObject {
                class: "aws_lambda".into(),
                name: f.name,
                fields,
                tags,
            });
        }
        Ok(out)
    }
}

/// One query of a GetMetricData call.
#[derive(Debug, Clone)]
struct Query {
    namespace: Namespace,
    /// The series' dimensions, as sent and as labelled.
    dimensions: Vec<(String, String)>,
    metric: String,
    statistic: Statistic,
}

/// The unit AWS gives an `AWS/Lambda` metric.
fn lambda_unit(namespace: Namespace, metric: &str) -> Option<&'static str> {
    if namespace != Namespace::Lambda {
        return None;
    }
    Some(match metric {
        "Duration" | "IteratorAge" | "AsyncEventAge" | "PostRuntimeExtensionsDuration" => {
            "Milliseconds"
        }
        _ => "Count",
    })
}

/// A function as ListFunctions describes it.
#[derive(Debug, Clone)]
pub struct FunctionSummary {
    /// The function name.
    pub name: String,
    /// Its fields for the inventory.
    pub fields: BTreeMap<String, FieldValue>,
    /// Its ARN, for ListTags.
    pub arn: Option<String>,
}

fn code<E, R>(err: &aws_smithy_types_error::SdkError<E, R>) -> String
where
    E: aws_sdk_kinesis::error::ProvideErrorMetadata,
{
    use aws_smithy_types_error::SdkError;
    match err {
        SdkError::ServiceError(e) => e.err().code().unwrap_or("unknown").to_string(),
        SdkError::TimeoutError(_) => "timeout".to_string(),
        SdkError::DispatchFailure(e) if e.is_timeout() => "timeout".to_string(),
        SdkError::DispatchFailure(_) => "connection".to_string(),
        _ => "unknown".to_string(),
    }
}

fn call_error<E, R>(
    operation: &'static str,
    err: &aws_smithy_types_error::SdkError<E, R>,
) -> CollectError
where
    E: aws_sdk_kinesis::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    tracing::warn!(
        operation,
        error = %aws_sdk_kinesis::error::DisplayErrorContext(err),
        "call failed"
    );
    CollectError::Call {
        operation,
        message: code(err),
    }
}

/// The SDKs share one `SdkError` type; this names it once.
mod aws_smithy_types_error {
    pub use aws_sdk_kinesis::error::SdkError;
}
