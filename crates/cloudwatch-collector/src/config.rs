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

/// The default `AWS/Lambda` set per function: the metrics the catalogue
/// (`metric_store::catalog::lambda`) marks as collected by default (the invocation,
/// performance, concurrency and asynchronous-invocation metrics AWS publishes with the
/// `FunctionName` dimension), each with the statistics it names for them (Sum for counts,
/// Average/Maximum/p99 for times).
pub fn default_lambda_metrics() -> Vec<MetricSpec> {
    metric_store::catalog::lambda::ALL
        .iter()
        .filter(|m| !m.default_statistics.is_empty())
        .map(|m| MetricSpec {
            name: m.name.to_string(),
            statistics: m.default_statistics.to_vec(),
        })
        .collect()
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
