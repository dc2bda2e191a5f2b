//! Collects CloudWatch metrics and the inventory of a pipeline's resources from any
//! endpoint: AWS itself, the embedded engine, or another implementation of the AWS APIs,
//! through the same SDK calls. `AWS/Kinesis`, `AWS/Lambda`, `AWS/SQS` and `AWS/SNS` per
//! resource, the account-level `AWS/Lambda` series, enhanced fan-out consumers, and any
//! namespace read through ListMetrics (custom ones such as `KinesisLambdaPipeline`,
//! `LambdaInsights`), with the pipeline's dead-letter and on-failure queues linked to their
//! functions.
//!
//! One cycle:
//! 1. discovery: ListStreams, ListFunctions, ListQueues, ListTopics (every page), so
//!    untagged resources are found too; a namespace whose discovery fails is reported and
//!    the others go on;
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
//! only), so no query is billed for a shard whose enhanced monitoring is off. Consumers and
//! listed namespaces take one ListMetrics listing each a cycle. Tag filters narrow every
//! namespace to the resources whose tags match; tags (and the pipeline links) are read once
//! per `tag_refresh` and cached.
//!
//! The inventory (DescribeStreamSummary and ListTagsForStream per stream, the functions'
//! configuration, tags and mappings, GetQueueAttributes per queue with its links, topics) is
//! refreshed by [`Collector::inventory`] and its siblings, on its own schedule. Every cycle
//! reports its API calls and the estimated CloudWatch cost (GetMetricData is billed per
//! metric requested).

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod config;
mod cost;
mod discovery;
mod error;
mod inventory;
mod links;
mod listed;
mod queries;
mod tags;

use std::collections::{BTreeMap, HashMap};

use metric_export::Sample;

pub use config::{
    CollectorConfig, DEFAULT_MAX_LISTED_SERIES, KINESIS_NAMESPACE, LAMBDA_NAMESPACE,
    ListedNamespace, MetricSpec, Namespace, PIPELINE_NAMESPACE, SNS_NAMESPACE, SQS_NAMESPACE,
    default_consumer_metrics, default_kinesis_metrics, default_lambda_account_metrics,
    default_lambda_metrics, default_shard_metrics, default_sns_metrics, default_sqs_metrics,
    default_statistics,
};
pub use cost::{ApiCalls, usd_per_metric_requested};
pub use discovery::FunctionSummary;
pub use error::CollectError;
pub use links::{LinkKind, PipelineLink};
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
    /// Queues found by discovery (those passing the tag filters).
    pub queues: Vec<String>,
    /// Topics found by discovery (those passing the tag filters).
    pub topics: Vec<String>,
    /// The queues linked to the collected functions (refreshed every `tag_refresh`).
    pub links: Vec<PipelineLink>,
    /// The window read, `[start, end)` in epoch ms; `None` when no new period had ended.
    pub window: Option<(i64, i64)>,
    /// API calls made.
    pub calls: ApiCalls,
    /// Metrics requested from GetMetricData (what AWS bills).
    pub metrics_requested: u64,
    /// Errors met; the cycle carries on past them.
    pub errors: Vec<CollectError>,
    /// Series of namespaces read through ListMetrics left out for `max_listed_series`.
    pub series_left_out: u64,
    /// Datapoints asked for only to derive others from (not exported).
    hidden_samples: Vec<Sample>,
}

/// The collector: clients, configuration, and where the last window ended.
#[derive(Debug)]
pub struct Collector {
    kinesis: aws_sdk_kinesis::Client,
    lambda: Option<aws_sdk_lambda::Client>,
    sqs: Option<aws_sdk_sqs::Client>,
    sns: Option<aws_sdk_sns::Client>,
    cloudwatch: aws_sdk_cloudwatch::Client,
    config: CollectorConfig,
    /// End of the last window fetched, epoch ms.
    watermark: Option<i64>,
    /// Tags read for the filters: resource name to (read at, epoch ms; tags).
    tags: HashMap<(Namespace, String), (i64, BTreeMap<String, String>)>,
    /// The pipeline links, with when they were read (epoch ms) and for which functions.
    links: Option<(i64, Vec<String>, Vec<PipelineLink>)>,
    /// The URL of every queue the last discovery listed, by name.
    queue_urls: BTreeMap<String, String>,
    /// The ARN of every topic the last discovery listed, by name.
    topic_arns: BTreeMap<String, String>,
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
            sqs: None,
            sns: None,
            cloudwatch,
            config,
            watermark: None,
            tags: HashMap::new(),
            links: None,
            queue_urls: BTreeMap::new(),
            topic_arns: BTreeMap::new(),
        }
    }

    /// Adds the Lambda client that `AWS/Lambda` discovery and inventory use.
    pub fn with_lambda(mut self, lambda: aws_sdk_lambda::Client) -> Collector {
        self.lambda = Some(lambda);
        self
    }

    /// Adds the SQS client that `AWS/SQS` discovery and inventory use.
    pub fn with_sqs(mut self, sqs: aws_sdk_sqs::Client) -> Collector {
        self.sqs = Some(sqs);
        self
    }

    /// Adds the SNS client that `AWS/SNS` discovery and inventory use.
    pub fn with_sns(mut self, sns: aws_sdk_sns::Client) -> Collector {
        self.sns = Some(sns);
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

    /// Runs one cycle at `now_ms` (epoch ms): discovery, the tag filters, the pipeline
    /// links, the finer and listed series asked for, then the metrics of every resource over
    /// the next window. The window advances only if every call succeeded, so a failed cycle
    /// is read again next time (datapoints read twice carry the same series and timestamp, so
    /// stores that key on them, as Prometheus and InfluxDB do, keep one).
    pub async fn collect(&mut self, now_ms: i64) -> Cycle {
        let mut cycle = Cycle::default();
        let mut discovered = !self.config.listed.is_empty();
        let mut arns: HashMap<String, String> = HashMap::new();
        let mut dead_letters: HashMap<String, String> = HashMap::new();
        let collected = self.config.namespaces.clone();
        let wants = |ns: Namespace| collected.contains(&ns);
        if wants(Namespace::Kinesis) {
            match self.discover(&mut cycle.calls).await {
                Ok(s) => {
                    cycle.streams = s;
                    discovered = true;
                }
                Err(e) => cycle.errors.push(e),
            }
        }
        if wants(Namespace::Lambda) {
            match self.discover_functions(&mut cycle.calls).await {
                Ok(found) => {
                    for f in found {
                        if let Some(arn) = f.arn {
                            arns.insert(f.name.clone(), arn);
                        }
                        if let Some(dlq) = f.dead_letter_arn {
                            dead_letters.insert(f.name.clone(), dlq);
                        }
                        cycle.functions.push(f.name);
                    }
                    discovered = true;
                }
                Err(e) => cycle.errors.push(e),
            }
        }
        if wants(Namespace::Sqs) {
            match self.discover_queues(&mut cycle.calls).await {
                Ok(found) => {
                    cycle.queues = found.keys().cloned().collect();
                    self.queue_urls = found;
                    discovered = true;
                }
                Err(e) => cycle.errors.push(e),
            }
        }
        if wants(Namespace::Sns) {
            match self.discover_topics(&mut cycle.calls).await {
                Ok(found) => {
                    cycle.topics = found.keys().cloned().collect();
                    self.topic_arns = found;
                    discovered = true;
                }
                Err(e) => cycle.errors.push(e),
            }
        }
        if !discovered {
            return cycle;
        }
        for namespace in Namespace::ALL {
            if self.tag_filters(namespace).is_empty() {
                continue;
            }
            let ids = match namespace {
                Namespace::Kinesis => HashMap::new(),
                Namespace::Lambda => arns.clone(),
                Namespace::Sqs => self.queue_urls.clone().into_iter().collect(),
                Namespace::Sns => self.topic_arns.clone().into_iter().collect(),
            };
            let listed = std::mem::take(cycle.resources_mut(namespace));
            let kept = self
                .filter_by_tags(namespace, listed, &ids, now_ms, &mut cycle)
                .await;
            *cycle.resources_mut(namespace) = kept;
        }
        if self.config.pipeline_links && wants(Namespace::Lambda) {
            self.refresh_links(&cycle.functions.clone(), &dead_letters, now_ms, &mut cycle)
                .await;
        }
        let Some((start, end)) = self.next_window(now_ms) else {
            return cycle;
        };
        cycle.window = Some((start, end));
        let mut queries = self.queries(&cycle);
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
            if specs.is_empty() || !wants(namespace) {
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
        if wants(Namespace::Kinesis) {
            match self
                .consumer_queries(&cycle.streams, &mut cycle.calls)
                .await
            {
                Ok(q) => queries.extend(q),
                Err(e) => cycle.errors.push(e),
            }
        }
        for listed in &self.config.listed {
            match self.listed_queries(listed, &mut cycle.calls).await {
                Ok((q, left_out)) => {
                    queries.extend(q);
                    cycle.series_left_out += left_out;
                }
                Err(e) => cycle.errors.push(e),
            }
        }
        let extra = self.link_queries(&cycle, &queries);
        queries.extend(extra);
        let mut ok = cycle.errors.is_empty();
        let per_call = self.config.queries_per_call.clamp(1, MAX_QUERIES_PER_CALL);
        for chunk in queries.chunks(per_call) {
            cycle.metrics_requested += chunk.len() as u64;
            if let Err(e) = self.fetch(chunk, start, end, &mut cycle).await {
                cycle.errors.push(e);
                ok = false;
            }
        }
        let derived = links::dlq_messages(&cycle);
        cycle.samples.extend(derived);
        cycle.hidden_samples.clear();
        if ok {
            self.watermark = Some(end);
        }
        cycle
    }

    /// The tag filters of a namespace.
    fn tag_filters(&self, namespace: Namespace) -> &[TagFilter] {
        match namespace {
            Namespace::Kinesis => &self.config.kinesis_tag_filters,
            Namespace::Lambda => &self.config.lambda_tag_filters,
            Namespace::Sqs => &self.config.sqs_tag_filters,
            Namespace::Sns => &self.config.sns_tag_filters,
        }
    }

    /// Reads the pipeline links again when they are older than `tag_refresh` (or the
    /// functions changed), and puts them in the cycle. A failed read keeps the last links
    /// and reports the error.
    async fn refresh_links(
        &mut self,
        functions: &[String],
        dead_letters: &HashMap<String, String>,
        now_ms: i64,
        cycle: &mut Cycle,
    ) {
        let refresh = self.config.tag_refresh.as_millis() as i64;
        let fresh = self
            .links
            .as_ref()
            .is_some_and(|(at, read_for, _)| now_ms - at < refresh && read_for == functions);
        if !fresh {
            match self
                .pipeline_links(functions, dead_letters, &mut cycle.calls)
                .await
            {
                Ok(links) => self.links = Some((now_ms, functions.to_vec(), links)),
                Err(e) => cycle.errors.push(e),
            }
        }
        cycle.links = self
            .links
            .as_ref()
            .map(|(_, _, links)| links.clone())
            .unwrap_or_default();
    }
}

impl Cycle {
    /// The resources of a namespace found this cycle.
    fn resources_mut(&mut self, namespace: Namespace) -> &mut Vec<String> {
        match namespace {
            Namespace::Kinesis => &mut self.streams,
            Namespace::Lambda => &mut self.functions,
            Namespace::Sqs => &mut self.queues,
            Namespace::Sns => &mut self.topics,
        }
    }
}
