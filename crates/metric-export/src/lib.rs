//! The I/O-free export layer of `streamwatch collect`: a data model for CloudWatch datapoints
//! ([`Sample`]) and resource inventory ([`InventoryObject`]), and encoders for the forms the
//! collected data leaves in:
//!
//! - [`prometheus`]: Prometheus text exposition format 0.0.4, named after the convention of the
//!   common CloudWatch exporters (`aws_kinesis_incoming_bytes_sum`, `aws_lambda_duration_p99`,
//!   `aws_kinesis_info`);
//! - [`line`](mod@line): InfluxDB line protocol (measurements `aws_kinesis`, `aws_lambda`; one field per
//!   metric and statistic, Telegraf-style `<metric_snake>_<statistic>`);
//! - [`json`]: JSON lines, one document per sample or object;
//! - [`emf`]: CloudWatch Embedded Metric Format, for re-publishing derived metrics;
//! - [`datakit`]: Guance DataKit's write API (metric line protocol, custom objects);
//! - [`yace`]: yet-another-cloudwatch-exporter's names and labels, a [`prometheus`] label style.
//!
//! Nothing here performs I/O; every encoder returns a `String` with deterministic ordering.

#![deny(missing_docs)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub mod datakit;
pub mod emf;
pub mod json;
pub mod line;
pub mod prometheus;
pub mod yace;

/// A CloudWatch statistic, as requested from GetMetricData: the metric store's, so the
/// collector, the exporters and the engine share one type.
pub use metric_store::Statistic;

/// The suffix of a Prometheus metric name and of a line-protocol field key: the CloudWatch
/// spelling in snake case (`sum`, `average`, `minimum`, `maximum`, `sample_count`, `p99`,
/// `p99_9`).
pub fn statistic_suffix(statistic: Statistic) -> String {
    snake_case(&statistic.to_string())
}

/// The error of parsing a [`Statistic`] with [`parse_statistic`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown statistic {0:?}: expected SampleCount, Average, Sum, Minimum, Maximum or pNN")]
pub struct ParseStatisticError(pub String);

/// Parses a statistic as a user writes it in a flag or a configuration file: CloudWatch's
/// spelling (`Sum`, `SampleCount`, `p99`, `p99.9`), with `P99` and any number of decimals
/// accepted too. ([`Statistic::parse`] is CloudWatch's stricter rule for API requests.)
pub fn parse_statistic(text: &str) -> Result<Statistic, ParseStatisticError> {
    match text {
        "SampleCount" => Ok(Statistic::SampleCount),
        "Average" => Ok(Statistic::Average),
        "Sum" => Ok(Statistic::Sum),
        "Minimum" => Ok(Statistic::Minimum),
        "Maximum" => Ok(Statistic::Maximum),
        _ => text
            .strip_prefix(['p', 'P'])
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
            .and_then(|n| n.parse::<f64>().ok())
            .filter(|p| (0.0..=100.0).contains(p))
            .map(Statistic::Percentile)
            .ok_or_else(|| ParseStatisticError(text.to_owned())),
    }
}

/// One CloudWatch datapoint: a metric, under one statistic and one set of dimensions, at one
/// time.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The CloudWatch namespace, e.g. `AWS/Kinesis`.
    pub namespace: String,
    /// The metric name as CloudWatch spells it, e.g. `IncomingBytes`,
    /// `GetRecords.IteratorAgeMilliseconds`.
    pub metric: String,
    /// The statistic the value is of.
    pub statistic: Statistic,
    /// The CloudWatch unit, e.g. `Bytes`, when known.
    pub unit: Option<String>,
    /// The dimensions with their CloudWatch names, e.g. `("StreamName", "orders")`.
    pub dimensions: Vec<(String, String)>,
    /// The AWS region the datapoint was read from, e.g. `us-east-1`.
    pub region: String,
    /// The datapoint's timestamp (start of its period), epoch milliseconds.
    pub timestamp_ms: i64,
    /// The value.
    pub value: f64,
}

/// A value of an inventory attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldValue {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

impl FieldValue {
    /// The value as text, as a Prometheus label value shows it (`Str` unquoted, `Bool` as
    /// `true`/`false`, numbers in their shortest decimal form).
    pub fn to_text(&self) -> String {
        match self {
            FieldValue::Str(s) => s.clone(),
            FieldValue::Int(i) => i.to_string(),
            FieldValue::Float(f) => f.to_string(),
            FieldValue::Bool(b) => b.to_string(),
        }
    }
}

impl From<&str> for FieldValue {
    fn from(s: &str) -> Self {
        FieldValue::Str(s.to_owned())
    }
}

impl From<String> for FieldValue {
    fn from(s: String) -> Self {
        FieldValue::Str(s)
    }
}

impl From<i64> for FieldValue {
    fn from(i: i64) -> Self {
        FieldValue::Int(i)
    }
}

impl From<f64> for FieldValue {
    fn from(f: f64) -> Self {
        FieldValue::Float(f)
    }
}

impl From<bool> for FieldValue {
    fn from(b: bool) -> Self {
        FieldValue::Bool(b)
    }
}

/// An inventory object: a stream or a function with its attributes and resource tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventoryObject {
    /// The object class: `aws_kinesis` or `aws_lambda`.
    pub class: String,
    /// The object's name (the stream or function name).
    pub name: String,
    /// Attributes, keyed by their AWS names (`StreamARN`, `RetentionPeriodHours`, ...).
    pub fields: BTreeMap<String, FieldValue>,
    /// The resource's tags.
    pub tags: BTreeMap<String, String>,
}

/// The Prometheus type of a [`Gauge`] series: what its `# TYPE` line says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MetricType {
    /// A value that goes up and down (the default).
    #[default]
    Gauge,
    /// A cumulative count that only grows while the process runs, so `rate()` and
    /// `increase()` apply; its name should end in `_total`.
    Counter,
}

/// One of streamwatch's own series, for the collector's health (API calls, errors, scrape
/// age): a plain gauge unless [`kind`](Gauge::kind) makes it a counter.
#[derive(Debug, Clone, PartialEq)]
pub struct Gauge {
    /// The metric name; characters outside `[a-zA-Z0-9_:]` are replaced with `_` on output.
    pub name: String,
    /// Gauge or counter; the first series of a family decides the family's type.
    pub kind: MetricType,
    /// The HELP text.
    pub help: String,
    /// Labels, name and value; names are sanitised like the metric name (`:` excluded).
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
}

impl Gauge {
    /// A series of one of streamwatch's own metrics, named, typed and described by its
    /// catalogue entry; `label_values` go with the entry's label names, in order.
    pub fn of(
        metric: &metric_store::catalog::own::OwnMetric,
        label_values: &[&str],
        value: f64,
    ) -> Gauge {
        debug_assert_eq!(
            metric.labels.len(),
            label_values.len(),
            "{} takes labels {:?}",
            metric.name,
            metric.labels
        );
        Gauge {
            name: metric.name.to_owned(),
            kind: match metric.kind {
                metric_store::catalog::own::Kind::Counter => MetricType::Counter,
                metric_store::catalog::own::Kind::Gauge => MetricType::Gauge,
            },
            help: metric.help.to_owned(),
            labels: metric
                .labels
                .iter()
                .zip(label_values)
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
            value,
        }
    }
}

/// Snake case as the CloudWatch exporters write it (yet-another-cloudwatch-exporter's
/// `PromString`): an upper-case letter that follows a lower-case letter or a digit gets an `_`
/// before it, everything is lower-cased, `%` becomes `_percent`, and the separators
/// `` ,\t/\.-:=@<>()“`` become `_`. Anything else outside `[a-z0-9_]` also becomes `_`, so the
/// result is always a valid Prometheus label-name body.
///
/// `GetRecords.IteratorAgeMilliseconds` -> `get_records_iterator_age_milliseconds`,
/// `StreamARN` -> `stream_arn`, `AWS/Kinesis` -> `aws_kinesis`, `p99.9` -> `p99_9`.
pub fn snake_case(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut prev: Option<char> = None;
    for c in text.chars() {
        match c {
            '%' => out.push_str("_percent"),
            c if c.is_uppercase() => {
                if prev.is_some_and(|p| p.is_lowercase() || p.is_numeric()) {
                    out.push('_');
                }
                for l in c.to_lowercase() {
                    out.push(if l.is_ascii_alphanumeric() { l } else { '_' });
                }
            }
            c if c.is_ascii_alphanumeric() || c == '_' => out.push(c.to_ascii_lowercase()),
            _ => out.push('_'),
        }
        prev = Some(c);
    }
    out
}

/// The prefix of every name derived from a CloudWatch namespace: the namespace in snake case,
/// with `aws_` in front unless it already starts so (`AWS/Kinesis` -> `aws_kinesis`,
/// `AWS/Lambda` -> `aws_lambda`, `Streamwatch/Derived` -> `aws_streamwatch_derived`).
pub fn namespace_prefix(namespace: &str) -> String {
    let snake = snake_case(namespace);
    if snake == "aws" || snake.starts_with("aws_") {
        snake
    } else {
        format!("aws_{snake}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistic_spellings() {
        let cases = [
            (Statistic::Sum, "Sum", "sum"),
            (Statistic::Average, "Average", "average"),
            (Statistic::Minimum, "Minimum", "minimum"),
            (Statistic::Maximum, "Maximum", "maximum"),
            (Statistic::SampleCount, "SampleCount", "sample_count"),
            (Statistic::Percentile(99.0), "p99", "p99"),
            (Statistic::Percentile(99.9), "p99.9", "p99_9"),
            (Statistic::Percentile(50.0), "p50", "p50"),
        ];
        for (stat, cw, suffix) in cases {
            assert_eq!(stat.to_string(), cw);
            assert_eq!(statistic_suffix(stat), suffix);
            assert_eq!(parse_statistic(cw), Ok(stat));
            assert_eq!(Statistic::parse(cw), Ok(stat));
        }
        assert_eq!(parse_statistic("P95"), Ok(Statistic::Percentile(95.0)));
        assert!(parse_statistic("p101").is_err());
        assert!(parse_statistic("pNaN").is_err());
        assert!(parse_statistic("sum").is_err());
        assert!(parse_statistic("tm99").is_err());
    }

    #[test]
    fn snake_case_follows_the_exporters() {
        let cases = [
            ("IncomingBytes", "incoming_bytes"),
            (
                "GetRecords.IteratorAgeMilliseconds",
                "get_records_iterator_age_milliseconds",
            ),
            ("PutRecord.Latency", "put_record_latency"),
            (
                "WriteProvisionedThroughputExceeded",
                "write_provisioned_throughput_exceeded",
            ),
            (
                "SubscribeToShardEvent.MillisBehindLatest",
                "subscribe_to_shard_event_millis_behind_latest",
            ),
            ("StreamName", "stream_name"),
            ("ShardId", "shard_id"),
            ("StreamARN", "stream_arn"),
            ("CPUUtilization", "cpuutilization"),
            ("AWS/Kinesis", "aws_kinesis"),
            ("Disk%", "disk_percent"),
            (
                "aws:cloudformation:stack-name",
                "aws_cloudformation_stack_name",
            ),
            ("p99.9", "p99_9"),
            ("Größe", "gr__e"),
        ];
        for (input, expected) in cases {
            assert_eq!(snake_case(input), expected, "{input}");
        }
    }

    #[test]
    fn namespace_prefixes() {
        assert_eq!(namespace_prefix("AWS/Kinesis"), "aws_kinesis");
        assert_eq!(namespace_prefix("AWS/Lambda"), "aws_lambda");
        assert_eq!(
            namespace_prefix("Streamwatch/Derived"),
            "aws_streamwatch_derived"
        );
    }

    #[test]
    fn field_values_as_text() {
        assert_eq!(FieldValue::from("x").to_text(), "x");
        assert_eq!(FieldValue::from(24_i64).to_text(), "24");
        assert_eq!(FieldValue::from(1.5).to_text(), "1.5");
        assert_eq!(FieldValue::from(2.0).to_text(), "2");
        assert_eq!(FieldValue::from(true).to_text(), "true");
    }
}
