//! What the collector reads: the namespaces, the metrics with their statistics (defaults
//! from the metric catalogue), the window, the tag filters and the account's name.

use std::time::Duration;

use metric_export::Statistic;

use crate::queries::MAX_QUERIES_PER_CALL;
use crate::tags::TagFilter;

/// The CloudWatch namespace of Kinesis Data Streams.
pub const KINESIS_NAMESPACE: &str = metric_store::catalog::kinesis::NAMESPACE;
/// The CloudWatch namespace of Lambda.
pub const LAMBDA_NAMESPACE: &str = metric_store::catalog::lambda::NAMESPACE;
/// The CloudWatch namespace of SQS.
pub const SQS_NAMESPACE: &str = metric_store::catalog::sqs::NAMESPACE;
/// The CloudWatch namespace of SNS.
pub const SNS_NAMESPACE: &str = metric_store::catalog::sns::NAMESPACE;
/// The namespace lambda-kinesis-handler publishes its pipeline metrics under, collected by
/// default when it exists.
pub const PIPELINE_NAMESPACE: &str = metric_store::catalog::pipeline::NAMESPACE;

/// A namespace the collector can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Namespace {
    /// `AWS/Kinesis`, per stream (`StreamName`).
    Kinesis,
    /// `AWS/Lambda`, per function (`FunctionName`).
    Lambda,
    /// `AWS/SQS`, per queue (`QueueName`), queues found with ListQueues.
    Sqs,
    /// `AWS/SNS`, per topic (`TopicName`), topics found with ListTopics.
    Sns,
}

impl Namespace {
    /// The CloudWatch name, e.g. `AWS/Kinesis`.
    pub fn cloudwatch(self) -> &'static str {
        match self {
            Namespace::Kinesis => KINESIS_NAMESPACE,
            Namespace::Lambda => LAMBDA_NAMESPACE,
            Namespace::Sqs => SQS_NAMESPACE,
            Namespace::Sns => SNS_NAMESPACE,
        }
    }

    /// The dimension naming one resource.
    pub fn dimension(self) -> &'static str {
        match self {
            Namespace::Kinesis => "StreamName",
            Namespace::Lambda => "FunctionName",
            Namespace::Sqs => "QueueName",
            Namespace::Sns => "TopicName",
        }
    }

    /// The command-line name: `aws_kinesis`, `aws_lambda`, `aws_sqs` or `aws_sns`.
    pub fn flag(self) -> &'static str {
        match self {
            Namespace::Kinesis => "aws_kinesis",
            Namespace::Lambda => "aws_lambda",
            Namespace::Sqs => "aws_sqs",
            Namespace::Sns => "aws_sns",
        }
    }

    /// The dimension that, next to [`Namespace::dimension`], names the finer series asked
    /// for on request: `ShardId` for streams, `Resource` (an alias or version) for functions;
    /// queues and topics have none.
    pub fn finer_dimension(self) -> Option<&'static str> {
        match self {
            Namespace::Kinesis => Some("ShardId"),
            Namespace::Lambda => Some("Resource"),
            Namespace::Sqs | Namespace::Sns => None,
        }
    }

    /// Every namespace with its own discovery.
    pub const ALL: [Namespace; 4] = [
        Namespace::Kinesis,
        Namespace::Lambda,
        Namespace::Sqs,
        Namespace::Sns,
    ];

    /// Parses the command-line name (`aws_kinesis`, `aws_lambda`, `aws_sqs`, `aws_sns`) or
    /// the CloudWatch name (`AWS/Kinesis`, ...).
    pub fn from_flag(text: &str) -> Option<Namespace> {
        Namespace::ALL
            .into_iter()
            .find(|ns| text == ns.flag() || text == ns.cloudwatch())
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

/// The default `AWS/Lambda` set per function: the metrics the catalogue
/// (`metric_store::catalog::lambda`) marks as collected by default (the invocation,
/// performance, concurrency and asynchronous-invocation metrics AWS publishes with the
/// `FunctionName` dimension), each with the statistics it names for them (Sum for counts,
/// Average/Maximum/p99 for times).
pub fn default_lambda_metrics() -> Vec<MetricSpec> {
    catalogue_defaults(metric_store::catalog::lambda::ALL, &["FunctionName"])
}

/// The default account-level `AWS/Lambda` set: the metrics Lambda also publishes with no
/// dimension (the account's concurrency, UnreservedConcurrentExecutions,
/// ClaimedAccountConcurrency, and the account-wide sums of the per-function ones), with the
/// catalogue's statistics.
pub fn default_lambda_account_metrics() -> Vec<MetricSpec> {
    catalogue_defaults(metric_store::catalog::lambda::ALL, &[])
}

/// The default `AWS/SQS` set per queue, with the catalogue's statistics (Sum for the message
/// counts, Maximum for the sampled gauges, Average for the message size).
pub fn default_sqs_metrics() -> Vec<MetricSpec> {
    catalogue_defaults(metric_store::catalog::sqs::ALL, &["QueueName"])
}

/// The default `AWS/SNS` set per topic, with the catalogue's statistics.
pub fn default_sns_metrics() -> Vec<MetricSpec> {
    catalogue_defaults(metric_store::catalog::sns::ALL, &["TopicName"])
}

/// The default enhanced fan-out consumer set (`StreamName` + `ConsumerName`): every
/// consumer-level `AWS/Kinesis` metric, with Sum, Average and Maximum.
pub fn default_consumer_metrics() -> Vec<MetricSpec> {
    metric_store::catalog::kinesis::ALL
        .iter()
        .filter(|m| {
            m.dimension_sets
                .iter()
                .any(|set| *set == ["StreamName", "ConsumerName"])
        })
        .map(|m| MetricSpec {
            name: m.name.to_string(),
            statistics: vec![Statistic::Sum, Statistic::Average, Statistic::Maximum],
        })
        .collect()
}

/// The catalogue's metrics of a namespace published with exactly this dimension set and
/// collected by default, each with its default statistics.
fn catalogue_defaults(
    all: &[&metric_store::catalog::MetricDef],
    dimensions: &[&str],
) -> Vec<MetricSpec> {
    all.iter()
        .filter(|m| !m.default_statistics.is_empty())
        .filter(|m| m.dimension_sets.contains(&dimensions))
        .map(|m| MetricSpec {
            name: m.name.to_string(),
            statistics: m.default_statistics.to_vec(),
        })
        .collect()
}

/// The statistics fetched for a metric of a namespace read through ListMetrics that the
/// user named no statistics for: the catalogue's defaults when it defines the metric, else
/// Sum, Average, Maximum and SampleCount (enough to rebuild any of the others but
/// percentiles).
pub fn default_statistics(namespace: &str, metric: &str) -> Vec<Statistic> {
    match metric_store::catalog::find(namespace, metric) {
        Some(def) if !def.default_statistics.is_empty() => def.default_statistics.to_vec(),
        _ => vec![
            Statistic::Sum,
            Statistic::Average,
            Statistic::Maximum,
            Statistic::SampleCount,
        ],
    }
}

/// The default of [`CollectorConfig::max_listed_series`].
pub const DEFAULT_MAX_LISTED_SERIES: usize = 10_000;

/// A namespace read through ListMetrics rather than its own discovery: a custom namespace
/// (`KinesisLambdaPipeline`, an application's own), `LambdaInsights`, or any other. Every
/// recently active series ListMetrics names is collected, whatever its dimensions (none
/// included).
#[derive(Debug, Clone, PartialEq)]
pub struct ListedNamespace {
    /// The CloudWatch namespace, e.g. `KinesisLambdaPipeline`.
    pub name: String,
    /// The metrics collected with their statistics; `None` for every metric found, with
    /// [`default_statistics`].
    pub metrics: Option<Vec<MetricSpec>>,
}

impl ListedNamespace {
    /// Every metric of the namespace, with the default statistics.
    pub fn all_of(name: &str) -> ListedNamespace {
        ListedNamespace {
            name: name.to_string(),
            metrics: None,
        }
    }
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
    /// Account-level `AWS/Lambda` metrics (no dimension), read when `AWS/Lambda` is; empty
    /// for none.
    pub lambda_account_metrics: Vec<MetricSpec>,
    /// The metrics fetched for every queue.
    pub sqs_metrics: Vec<MetricSpec>,
    /// The metrics fetched for every topic.
    pub sns_metrics: Vec<MetricSpec>,
    /// Enhanced fan-out consumer metrics (`StreamName` + `ConsumerName`), for every consumer
    /// series ListMetrics names under a collected stream (one ListMetrics call a cycle);
    /// empty for none.
    pub consumer_metrics: Vec<MetricSpec>,
    /// Namespaces read through ListMetrics (custom ones, `LambdaInsights`, ...).
    pub listed: Vec<ListedNamespace>,
    /// Most series one listed namespace contributes to a cycle (every series costs a query,
    /// which AWS bills); the rest are left out, counted in `Cycle::series_left_out` and
    /// logged.
    pub max_listed_series: usize,
    /// Link each function's dead-letter and on-failure queues to it (event source mappings,
    /// `DeadLetterConfig`, asynchronous on-failure destinations) and derive `DLQMessages`,
    /// refreshed every `tag_refresh`. Needs `AWS/Lambda`.
    pub pipeline_links: bool,
    /// Tags a queue must carry to be collected.
    pub sqs_tag_filters: Vec<TagFilter>,
    /// Tags a topic must carry to be collected.
    pub sns_tag_filters: Vec<TagFilter>,
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
            lambda_account_metrics: Vec::new(),
            sqs_metrics: default_sqs_metrics(),
            sns_metrics: default_sns_metrics(),
            consumer_metrics: Vec::new(),
            listed: Vec::new(),
            max_listed_series: DEFAULT_MAX_LISTED_SERIES,
            pipeline_links: false,
            sqs_tag_filters: Vec::new(),
            sns_tag_filters: Vec::new(),
            kinesis_tag_filters: Vec::new(),
            lambda_tag_filters: Vec::new(),
            tag_refresh: Duration::from_secs(300),
            account_name: None,
            queries_per_call: MAX_QUERIES_PER_CALL,
        }
    }
}
