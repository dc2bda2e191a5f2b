//! `streamwatch collect --config collect.toml`: the same settings as the flags, in a file,
//! plus per-namespace metric sets and several outputs at once.
//!
//! ```toml
//! endpoint = "http://127.0.0.1:4567"   # the embedded engine; any AWS-compatible endpoint
//! region = "us-east-1"
//! interval = "60s"
//! period = 60                          # seconds; the interval's by default
//! delay = "10s"
//! inventory_interval = "5m"
//!
//! [[namespaces]]
//! name = "aws_kinesis"                 # the default metric set when `metrics` is left out
//!
//! [[namespaces]]
//! name = "aws_lambda"
//! metrics = [{ name = "Invocations", statistics = ["Sum"] },
//!            { name = "Duration", statistics = ["Average", "p99"] }]
//!
//! [[outputs]]
//! type = "prometheus"
//! listen = "127.0.0.1:9107"
//!
//! [[outputs]]
//! type = "line"                        # or "json"
//! path = "metrics.lp"                  # appended every cycle; "-" is stdout
//! ```

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use cloudwatch_collector::{MetricSpec, Namespace};
use metric_export::Statistic;
use serde::Deserialize;

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectFile {
    endpoint: Option<String>,
    region: Option<String>,
    interval: Option<String>,
    period: Option<i64>,
    delay: Option<String>,
    inventory_interval: Option<String>,
    #[serde(default)]
    namespaces: Vec<NamespaceEntry>,
    #[serde(default)]
    outputs: Vec<OutputEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NamespaceEntry {
    name: String,
    metrics: Option<Vec<MetricEntry>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricEntry {
    name: String,
    statistics: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, tag = "type", rename_all = "lowercase")]
enum OutputEntry {
    Prometheus { listen: SocketAddr },
    Line { path: String },
    Json { path: String },
}

/// Where a cycle's output goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// `/metrics` on this address.
    Prometheus(SocketAddr),
    /// InfluxDB line protocol appended to a file (`-` is stdout).
    Line(String),
    /// JSON lines appended to a file (`-` is stdout).
    Json(String),
}

/// Settings from a file, each `None` where the file is silent.
#[derive(Debug, Default)]
pub struct FileSettings {
    /// The endpoint.
    pub endpoint: Option<String>,
    /// The region.
    pub region: Option<String>,
    /// Time between cycles.
    pub interval: Option<Duration>,
    /// Datapoint period, seconds.
    pub period: Option<i64>,
    /// Delay before a period is read.
    pub delay: Option<Duration>,
    /// Inventory refresh interval.
    pub inventory_interval: Option<Duration>,
    /// Namespaces, each with its metric set (`None` for the default set).
    pub namespaces: Vec<(Namespace, Option<Vec<MetricSpec>>)>,
    /// Outputs.
    pub outputs: Vec<Output>,
}

/// Reads and checks a config file.
pub fn load(
    path: &Path,
    parse_duration: fn(&str) -> Result<Duration, String>,
) -> anyhow::Result<FileSettings> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse(&text, parse_duration).with_context(|| format!("in {}", path.display()))
}

/// Parses and checks config text.
pub fn parse(
    text: &str,
    parse_duration: fn(&str) -> Result<Duration, String>,
) -> anyhow::Result<FileSettings> {
    let file: CollectFile = toml::from_str(text)?;
    let duration = |v: &Option<String>| -> anyhow::Result<Option<Duration>> {
        v.as_deref()
            .map(parse_duration)
            .transpose()
            .map_err(anyhow::Error::msg)
    };
    let mut namespaces = Vec::new();
    for entry in &file.namespaces {
        let Some(ns) = Namespace::from_flag(&entry.name) else {
            bail!(
                "unknown namespace {:?}: use aws_kinesis or aws_lambda",
                entry.name
            );
        };
        let metrics = match &entry.metrics {
            None => None,
            Some(list) => {
                let mut specs = Vec::new();
                for m in list {
                    let mut statistics = Vec::new();
                    for s in &m.statistics {
                        statistics.push(s.parse::<Statistic>().map_err(anyhow::Error::msg)?);
                    }
                    if statistics.is_empty() {
                        bail!("metric {} names no statistics", m.name);
                    }
                    specs.push(MetricSpec {
                        name: m.name.clone(),
                        statistics,
                    });
                }
                Some(specs)
            }
        };
        namespaces.push((ns, metrics));
    }
    let outputs = file
        .outputs
        .into_iter()
        .map(|o| match o {
            OutputEntry::Prometheus { listen } => Output::Prometheus(listen),
            OutputEntry::Line { path } => Output::Line(path),
            OutputEntry::Json { path } => Output::Json(path),
        })
        .collect();
    Ok(FileSettings {
        endpoint: file.endpoint,
        region: file.region,
        interval: duration(&file.interval)?,
        period: file.period,
        delay: duration(&file.delay)?,
        inventory_interval: duration(&file.inventory_interval)?,
        namespaces,
        outputs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> Result<Duration, String> {
        text.trim_end_matches('s')
            .parse()
            .map(Duration::from_secs)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_full_file() {
        let s = parse(
            r#"
            endpoint = "http://127.0.0.1:4567"
            region = "eu-west-1"
            interval = "30s"
            period = 60
            delay = "5s"
            [[namespaces]]
            name = "aws_kinesis"
            [[namespaces]]
            name = "aws_lambda"
            metrics = [{ name = "Duration", statistics = ["Average", "p99"] }]
            [[outputs]]
            type = "prometheus"
            listen = "127.0.0.1:9107"
            [[outputs]]
            type = "line"
            path = "-"
            "#,
            secs,
        )
        .unwrap();
        assert_eq!(s.region.as_deref(), Some("eu-west-1"));
        assert_eq!(s.interval, Some(Duration::from_secs(30)));
        assert_eq!(s.delay, Some(Duration::from_secs(5)));
        assert_eq!(s.namespaces[0], (Namespace::Kinesis, None));
        let lambda = s.namespaces[1].1.as_ref().unwrap();
        assert_eq!(
            lambda[0].statistics,
            [Statistic::Average, Statistic::Percentile(99.0)]
        );
        assert_eq!(
            s.outputs,
            [
                Output::Prometheus("127.0.0.1:9107".parse().unwrap()),
                Output::Line("-".into())
            ]
        );
    }

    #[test]
    fn mistakes_are_named() {
        let err = |text: &str| format!("{:#}", parse(text, secs).unwrap_err());
        assert!(err("regoin = \"x\"").contains("regoin"));
        assert!(err("[[namespaces]]\nname = \"aws_sqs\"").contains("aws_sqs"));
        assert!(err("[[namespaces]]\nname = \"aws_lambda\"\nmetrics = [{ name = \"Errors\", statistics = [\"Median\"] }]").contains("Median"));
        assert!(err("[[outputs]]\ntype = \"graphite\"").contains("graphite"));
    }
}
