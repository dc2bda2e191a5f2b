//! `streamwatch collect --config collect.toml`: the same settings as the flags, in a file,
//! plus per-namespace metric sets and several outputs at once.
//!
//! ```toml
//! endpoint = "http://127.0.0.1:4567"   # the embedded engine (default); "aws" for AWS itself
//! regions = ["us-east-1", "eu-west-1"] # or region = "us-east-1"; each is collected on its own
//! account_name = "prod"                # AccountName in the inventory (the account ID if unset)
//! interval = "60s"
//! period = 60                          # seconds; the interval's by default
//! delay = "10s"
//! inventory_interval = "5m"             # also how long tags read for the filters are trusted
//! lookback = "10m"                     # how far back the first cycle reaches (one period)
//! label_style = "streamwatch"          # or "yace": YACE's series names and labels
//! timestamps = true                    # false: no CloudWatch timestamps on the series
//!
//! [endpoints]                          # optional endpoints per region
//! eu-west-1 = "http://127.0.0.1:4568"
//!
//! [[namespaces]]
//! name = "aws_kinesis"                 # the default metric set when `metrics` is left out
//! shard_level = true                   # also every shard (StreamName + ShardId), default set
//! tags = { team = "data", env = ["prod", "staging"] }   # only streams with these tags
//!
//! [[namespaces]]
//! name = "aws_lambda"
//! metrics = [{ name = "Invocations", statistics = ["Sum"] },
//!            { name = "Duration", statistics = ["Average", "p99"] }]
//! resource_metrics = [{ name = "Invocations", statistics = ["Sum"] }]  # per alias/version
//!                                      # (the default set also reads the account-level series)
//!
//! [[namespaces]]
//! name = "aws_sqs"                     # or aws_sns; queues linked to functions are named
//!                                      # in the inventory, and DLQMessages derived
//!
//! [[namespaces]]
//! name = "KinesisLambdaPipeline"       # any other namespace: read through ListMetrics,
//!                                      # every series (or the metrics listed); also
//!                                      # "lambda_insights" for LambdaInsights
//!
//! [[outputs]]
//! type = "prometheus"
//! listen = "127.0.0.1:9107"
//!
//! [[outputs]]
//! type = "line"                        # or "json"
//! path = "metrics.lp"                  # appended every cycle; "-" is stdout
//!
//! [[outputs]]
//! type = "emf"                         # CloudWatch Embedded Metric Format, for the agent
//! path = "emf.log"                     # to re-publish under Streamwatch/Kinesis, ...
//! namespace_prefix = "Streamwatch"     # the default
//!
//! [[outputs]]
//! type = "influxdb"                    # line protocol POSTed to an HTTP write endpoint
//! url = "http://127.0.0.1:8086/write?db=aws"   # or /api/v2/write?org=..&bucket=..
//! token_env = "INFLUX_TOKEN"           # or token = "..."; or username/password
//!
//! [[outputs]]
//! type = "datakit"                     # Guance DataKit: metrics to /v1/write/metric,
//! url = "http://127.0.0.1:9529"        # the inventory to /v1/write/custom_object
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use cloudwatch_collector::{ListedNamespace, MetricSpec, Namespace, TagFilter};
use serde::Deserialize;

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectFile {
    endpoint: Option<String>,
    region: Option<String>,
    regions: Option<Vec<String>>,
    #[serde(default)]
    endpoints: BTreeMap<String, String>,
    account_name: Option<String>,
    interval: Option<String>,
    period: Option<i64>,
    delay: Option<String>,
    inventory_interval: Option<String>,
    lookback: Option<String>,
    label_style: Option<LabelStyle>,
    timestamps: Option<bool>,
    #[serde(default)]
    namespaces: Vec<NamespaceEntry>,
    #[serde(default)]
    outputs: Vec<OutputEntry>,
}

/// How Prometheus series are named and labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LabelStyle {
    /// streamwatch's own (`stream_name`, `region`, `aws_kinesis_info` with every attribute).
    Streamwatch,
    /// yet-another-cloudwatch-exporter's (`dimension_StreamName`, `name` holding the ARN,
    /// `account_id`, `tag_<Key>`), so its dashboards and alert rules work unchanged.
    Yace,
}

/// An IAM role the credentials of a job come from (STS AssumeRole).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Role {
    /// The role's ARN.
    pub arn: String,
    /// The external ID the role's trust policy asks for, if any.
    pub external_id: Option<String>,
}

/// A job of a YACE config: one namespace in some regions under one role, with its own
/// period, window and filters. Each region of a job is collected on its own.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// The namespace with its metric set, for a namespace with its own discovery.
    pub namespace: Option<NamespaceSettings>,
    /// A namespace read through ListMetrics instead (a custom namespace job).
    pub listed: Option<cloudwatch_collector::ListedNamespace>,
    /// The only dimension names a series may have (`dimensionNameRequirements` of a custom
    /// namespace job); `None` keeps every series.
    pub dimension_names: Option<Vec<String>>,
    /// The regions.
    pub regions: Vec<String>,
    /// The role assumed for this job's calls; `None` for the default credentials.
    pub role: Option<Role>,
    /// Datapoint period, seconds.
    pub period: i64,
    /// How far back the first cycle reaches (YACE's `length`).
    pub lookback: Duration,
    /// Delay before a period is read.
    pub delay: Duration,
    /// Tag values a resource's tags must match (YACE's `searchTags`: unanchored regular
    /// expressions), by key; the keys are also in the namespace's tag filters.
    pub tag_patterns: Vec<(String, regex::Regex)>,
    /// Metrics whose missing datapoints are written as 0 (`nilToZero`); the others as NaN.
    pub nil_to_zero: std::collections::BTreeSet<String>,
    /// Metrics written with their CloudWatch timestamps (`addCloudwatchTimestamp`); a
    /// missing datapoint of theirs is left out.
    pub timestamped: std::collections::BTreeSet<String>,
    /// A static job: its name and the one series' dimensions (sorted); only that series is
    /// kept, and its `name` label is the job's name.
    pub static_series: Option<(String, Vec<(String, String)>)>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NamespaceEntry {
    name: String,
    metrics: Option<Vec<MetricEntry>>,
    shard_level: Option<bool>,
    shard_metrics: Option<Vec<MetricEntry>>,
    resource_level: Option<bool>,
    resource_metrics: Option<Vec<MetricEntry>>,
    #[serde(default)]
    tags: BTreeMap<String, TagValues>,
}

/// A tag filter's accepted values: one, or a list (an empty list accepts any value).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum TagValues {
    One(String),
    Many(Vec<String>),
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
    Prometheus {
        listen: SocketAddr,
    },
    Line {
        path: String,
    },
    Json {
        path: String,
    },
    Emf {
        path: String,
        namespace_prefix: Option<String>,
    },
    Influxdb {
        url: String,
        token: Option<String>,
        token_env: Option<String>,
        username: Option<String>,
        password: Option<String>,
        #[serde(default)]
        gzip: bool,
    },
    Datakit {
        url: String,
    },
}

/// Where InfluxDB line protocol is POSTed, and how to authenticate.
#[derive(Clone, PartialEq)]
pub struct InfluxOutput {
    /// The write URL.
    pub url: String,
    /// `Authorization: Token ...` (InfluxDB 2, DataKit).
    pub token: Option<String>,
    /// Basic authentication (InfluxDB 1).
    pub username: Option<String>,
    /// Basic authentication (InfluxDB 1).
    pub password: Option<String>,
    /// Compress bodies with gzip.
    pub gzip: bool,
}

impl std::fmt::Debug for InfluxOutput {
    // Secrets are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InfluxOutput")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("gzip", &self.gzip)
            .finish()
    }
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
    /// InfluxDB line protocol POSTed to an HTTP write endpoint.
    Influx(InfluxOutput),
    /// A Guance DataKit at this base URL (e.g. `http://127.0.0.1:9529`): metrics POSTed to
    /// `/v1/write/metric`, the inventory to `/v1/write/custom_object`.
    Datakit(String),
    /// Embedded Metric Format documents appended to a file (`-` is stdout), re-publishing
    /// under `<prefix>/<service>`.
    Emf {
        /// The file.
        path: String,
        /// The namespace prefix.
        prefix: String,
    },
}

/// What the file says of one namespace.
#[derive(Debug, Clone, PartialEq)]
pub struct NamespaceSettings {
    /// The namespace.
    pub namespace: Namespace,
    /// Its metric set (`None` for the default set).
    pub metrics: Option<Vec<MetricSpec>>,
    /// The finer series' metric set (per shard, or per function alias or version); `None`
    /// for none.
    pub finer_metrics: Option<Vec<MetricSpec>>,
    /// Tags a resource must carry.
    pub tags: Vec<TagFilter>,
}

/// Settings from a file, each `None` where the file is silent.
#[derive(Debug, Default)]
pub struct FileSettings {
    /// The endpoint.
    pub endpoint: Option<String>,
    /// The regions (`region` or `regions`).
    pub regions: Option<Vec<String>>,
    /// Endpoints per region.
    pub endpoints: BTreeMap<String, String>,
    /// The account's name in the inventory.
    pub account_name: Option<String>,
    /// Time between cycles.
    pub interval: Option<Duration>,
    /// Datapoint period, seconds.
    pub period: Option<i64>,
    /// Delay before a period is read.
    pub delay: Option<Duration>,
    /// Inventory refresh interval.
    pub inventory_interval: Option<Duration>,
    /// How far back the first cycle reaches.
    pub lookback: Option<Duration>,
    /// Namespaces with their settings.
    pub namespaces: Vec<NamespaceSettings>,
    /// Namespaces read through ListMetrics.
    pub listed: Vec<ListedNamespace>,
    /// Outputs.
    pub outputs: Vec<Output>,
    /// How Prometheus series are named and labelled.
    pub label_style: Option<LabelStyle>,
    /// Whether CloudWatch timestamps are written.
    pub timestamps: Option<bool>,
    /// A YACE config's jobs, each collected on its own (empty for a TOML file).
    pub jobs: Vec<JobSettings>,
    /// A YACE config's tags on metrics, custom tags and timestamped metrics.
    pub yace: metric_export::yace::YaceStyle,
    /// The region of the STS endpoint roles are assumed at (YACE's `sts-region`).
    pub sts_region: Option<String>,
}

/// Reads and checks a config file: a YACE YAML config (by its `.yml`/`.yaml` extension or an
/// `apiVersion` line) or streamwatch's TOML.
pub fn load(
    path: &Path,
    parse_duration: fn(&str) -> Result<Duration, String>,
) -> anyhow::Result<FileSettings> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let yaml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
        || crate::yace_config::looks_like_yace(&text);
    if yaml {
        crate::yace_config::parse(&text).with_context(|| format!("in {}", path.display()))
    } else {
        parse(&text, parse_duration).with_context(|| format!("in {}", path.display()))
    }
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
    let mut listed = Vec::new();
    for entry in &file.namespaces {
        let Some(ns) = Namespace::from_flag(&entry.name) else {
            listed.push(listed_namespace(entry)?);
            continue;
        };
        let (level, finer, wrong) = match ns {
            Namespace::Kinesis => (
                entry.shard_level,
                &entry.shard_metrics,
                entry.resource_level.is_some() || entry.resource_metrics.is_some(),
            ),
            Namespace::Lambda => (
                entry.resource_level,
                &entry.resource_metrics,
                entry.shard_level.is_some() || entry.shard_metrics.is_some(),
            ),
            Namespace::Sqs | Namespace::Sns => (
                None,
                &None,
                entry.shard_level.is_some()
                    || entry.shard_metrics.is_some()
                    || entry.resource_level.is_some()
                    || entry.resource_metrics.is_some(),
            ),
        };
        if wrong {
            bail!(
                "{}: shard_level/shard_metrics belong to aws_kinesis, resource_level/resource_metrics to aws_lambda",
                entry.name
            );
        }
        let finer_metrics = match (finer, level) {
            (Some(list), Some(false)) if !list.is_empty() => {
                bail!("{}: metrics listed for a level switched off", entry.name)
            }
            (Some(list), _) => Some(metric_specs(list)?),
            (None, Some(true)) => match ns {
                Namespace::Kinesis => Some(cloudwatch_collector::default_shard_metrics()),
                Namespace::Lambda => Some(cloudwatch_collector::default_lambda_metrics()),
                Namespace::Sqs | Namespace::Sns => None,
            },
            (None, _) => None,
        };
        let tags = entry
            .tags
            .iter()
            .map(|(key, values)| TagFilter {
                key: key.clone(),
                values: match values {
                    TagValues::One(v) => vec![v.clone()],
                    TagValues::Many(v) => v.clone(),
                },
            })
            .collect();
        namespaces.push(NamespaceSettings {
            namespace: ns,
            metrics: entry.metrics.as_deref().map(metric_specs).transpose()?,
            finer_metrics,
            tags,
        });
    }
    let mut outputs = Vec::new();
    for o in file.outputs {
        outputs.push(match o {
            OutputEntry::Prometheus { listen } => Output::Prometheus(listen),
            OutputEntry::Line { path } => Output::Line(path),
            OutputEntry::Json { path } => Output::Json(path),
            OutputEntry::Emf {
                path,
                namespace_prefix,
            } => {
                let prefix = namespace_prefix.unwrap_or_else(|| "Streamwatch".to_string());
                if prefix.is_empty() || prefix == "AWS" || prefix.starts_with("AWS/") {
                    bail!("emf output: namespace_prefix {prefix:?} is empty or reserved for AWS");
                }
                Output::Emf { path, prefix }
            }
            OutputEntry::Influxdb {
                url,
                token,
                token_env,
                username,
                password,
                gzip,
            } => {
                let token = match (token, token_env) {
                    (Some(_), Some(_)) => {
                        bail!("influxdb output: give token or token_env, not both")
                    }
                    (Some(t), None) => Some(t),
                    (None, Some(var)) => Some(std::env::var(&var).with_context(|| {
                        format!("influxdb output: token_env names {var}, which is not set")
                    })?),
                    (None, None) => None,
                };
                if username.is_some() != password.is_some() {
                    bail!("influxdb output: username and password go together");
                }
                Output::Influx(InfluxOutput {
                    url,
                    token,
                    username,
                    password,
                    gzip,
                })
            }
            OutputEntry::Datakit { url } => Output::Datakit(url),
        });
    }
    let regions = match (file.region, file.regions) {
        (Some(_), Some(_)) => bail!("give region or regions, not both"),
        (Some(r), None) => Some(vec![r]),
        (None, Some(list)) if list.is_empty() => bail!("regions is empty"),
        (None, list) => list,
    };
    Ok(FileSettings {
        endpoint: file.endpoint,
        regions,
        endpoints: file.endpoints,
        account_name: file.account_name,
        interval: duration(&file.interval)?,
        period: file.period,
        delay: duration(&file.delay)?,
        inventory_interval: duration(&file.inventory_interval)?,
        lookback: duration(&file.lookback)?,
        namespaces,
        listed,
        outputs,
        label_style: file.label_style,
        timestamps: file.timestamps,
        ..FileSettings::default()
    })
}

/// The CloudWatch namespace `lambda_insights` names.
const LAMBDA_INSIGHTS: &str = metric_store::catalog::lambda_insights::NAMESPACE;

/// A namespace read through ListMetrics: `lambda_insights`, or any CloudWatch namespace
/// (a flag-style `aws_...` name that is none of ours is a typo, and refused).
pub fn listed_namespace_named(name: &str) -> anyhow::Result<String> {
    if name == "lambda_insights" {
        return Ok(LAMBDA_INSIGHTS.to_string());
    }
    let flag_like = name.starts_with("aws_");
    let valid = !name.is_empty()
        && name.len() <= 255
        && !name.starts_with(':')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/#:".contains(c));
    if flag_like || !valid {
        bail!(
            "unknown namespace {name:?}: use aws_kinesis, aws_lambda, aws_sqs, aws_sns, lambda_insights or a CloudWatch namespace such as KinesisLambdaPipeline"
        );
    }
    Ok(name.to_string())
}

fn listed_namespace(entry: &NamespaceEntry) -> anyhow::Result<ListedNamespace> {
    let name = listed_namespace_named(&entry.name)?;
    let finer = entry.shard_level.is_some()
        || entry.shard_metrics.is_some()
        || entry.resource_level.is_some()
        || entry.resource_metrics.is_some();
    if finer || !entry.tags.is_empty() {
        bail!(
            "{}: a namespace read through ListMetrics takes only metrics (no levels, no tags)",
            entry.name
        );
    }
    Ok(ListedNamespace {
        name,
        metrics: entry.metrics.as_deref().map(metric_specs).transpose()?,
    })
}

/// Metric entries as specs, each with at least one known statistic.
fn metric_specs(list: &[MetricEntry]) -> anyhow::Result<Vec<MetricSpec>> {
    let mut specs = Vec::new();
    for m in list {
        let mut statistics = Vec::new();
        for s in &m.statistics {
            statistics.push(metric_export::parse_statistic(s).map_err(anyhow::Error::msg)?);
        }
        if statistics.is_empty() {
            bail!("metric {} names no statistics", m.name);
        }
        specs.push(MetricSpec {
            name: m.name.clone(),
            statistics,
        });
    }
    Ok(specs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use metric_export::Statistic;

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
        assert_eq!(s.regions, Some(vec!["eu-west-1".to_string()]));
        assert_eq!(s.interval, Some(Duration::from_secs(30)));
        assert_eq!(s.delay, Some(Duration::from_secs(5)));
        assert_eq!(s.namespaces[0].namespace, Namespace::Kinesis);
        assert_eq!(s.namespaces[0].metrics, None);
        assert_eq!(s.namespaces[0].finer_metrics, None);
        let lambda = s.namespaces[1].metrics.as_ref().unwrap();
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
    fn queues_topics_and_listed_namespaces() {
        let s = parse(
            r#"
            [[namespaces]]
            name = "aws_sqs"
            tags = { team = "data" }
            [[namespaces]]
            name = "AWS/SNS"
            [[namespaces]]
            name = "lambda_insights"
            [[namespaces]]
            name = "KinesisLambdaPipeline"
            metrics = [{ name = "BatchSize", statistics = ["Maximum"] }]
            "#,
            secs,
        )
        .unwrap();
        let names: Vec<Namespace> = s.namespaces.iter().map(|n| n.namespace).collect();
        assert_eq!(names, [Namespace::Sqs, Namespace::Sns]);
        assert_eq!(s.namespaces[0].tags[0].key, "team");
        assert_eq!(
            s.listed,
            [
                ListedNamespace::all_of("LambdaInsights"),
                ListedNamespace {
                    name: "KinesisLambdaPipeline".into(),
                    metrics: Some(vec![MetricSpec {
                        name: "BatchSize".into(),
                        statistics: vec![Statistic::Maximum]
                    }])
                }
            ]
        );
    }

    #[test]
    fn datakit_output() {
        let s = parse(
            "[[outputs]]\ntype = \"datakit\"\nurl = \"http://127.0.0.1:9529\"",
            secs,
        )
        .unwrap();
        assert_eq!(s.outputs, [Output::Datakit("http://127.0.0.1:9529".into())]);
        let err = format!(
            "{:#}",
            parse(
                "[[outputs]]\ntype = \"datakit\"\nurl = \"http://x\"\ntoken = \"t\"",
                secs
            )
            .unwrap_err()
        );
        assert!(err.contains("token"), "{err}");
    }

    #[test]
    fn mistakes_are_named() {
        let err = |text: &str| format!("{:#}", parse(text, secs).unwrap_err());
        assert!(err("regoin = \"x\"").contains("regoin"));
        assert!(err("[[namespaces]]\nname = \"aws_ec2\"").contains("aws_ec2"));
        assert!(
            err("[[namespaces]]\nname = \"KinesisLambdaPipeline\"\nshard_level = true")
                .contains("ListMetrics")
        );
        assert!(err("[[namespaces]]\nname = \"aws_lambda\"\nmetrics = [{ name = \"Errors\", statistics = [\"Median\"] }]").contains("Median"));
        assert!(err("[[outputs]]\ntype = \"graphite\"").contains("graphite"));
        assert!(err("region = \"a\"\nregions = [\"b\"]").contains("not both"));
        assert!(
            err("[[namespaces]]\nname = \"aws_lambda\"\nshard_level = true")
                .contains("aws_kinesis")
        );
        assert!(
            err("[[outputs]]\ntype = \"influxdb\"\nurl = \"http://x\"\ntoken_env = \"STREAMWATCH_SURELY_UNSET\"")
                .contains("STREAMWATCH_SURELY_UNSET")
        );
        assert!(
            err("[[outputs]]\ntype = \"influxdb\"\nurl = \"http://x\"\nusername = \"u\"")
                .contains("together")
        );
    }

    #[test]
    fn regions_levels_tags_and_influx() {
        let s = parse(
            r#"
            regions = ["us-east-1", "eu-west-1"]
            account_name = "prod"
            [endpoints]
            eu-west-1 = "http://127.0.0.1:4568"
            [[namespaces]]
            name = "aws_kinesis"
            shard_level = true
            tags = { team = "data", env = ["prod", "staging"], owner = [] }
            [[namespaces]]
            name = "aws_lambda"
            resource_metrics = [{ name = "Invocations", statistics = ["Sum"] }]
            [[outputs]]
            type = "influxdb"
            url = "http://127.0.0.1:8086/write?db=aws"
            token = "s3cret"
            gzip = true
            "#,
            secs,
        )
        .unwrap();
        assert_eq!(s.regions.as_deref().unwrap(), ["us-east-1", "eu-west-1"]);
        assert_eq!(s.endpoints["eu-west-1"], "http://127.0.0.1:4568");
        assert_eq!(s.account_name.as_deref(), Some("prod"));
        let kinesis = &s.namespaces[0];
        assert_eq!(
            kinesis.finer_metrics.as_ref().unwrap(),
            &cloudwatch_collector::default_shard_metrics()
        );
        // Tags in key order (a TOML table), each with its accepted values.
        assert_eq!(
            kinesis.tags,
            [
                TagFilter {
                    key: "env".into(),
                    values: vec!["prod".into(), "staging".into()]
                },
                TagFilter {
                    key: "owner".into(),
                    values: vec![]
                },
                TagFilter {
                    key: "team".into(),
                    values: vec!["data".into()]
                },
            ]
        );
        let lambda = &s.namespaces[1];
        assert_eq!(
            lambda.finer_metrics.as_ref().unwrap()[0].name,
            "Invocations"
        );
        let Output::Influx(influx) = &s.outputs[0] else {
            panic!("{:?}", s.outputs)
        };
        assert_eq!(influx.token.as_deref(), Some("s3cret"));
        assert!(influx.gzip);
        // The token never shows in logs.
        assert!(!format!("{influx:?}").contains("s3cret"));
    }

    #[test]
    fn label_style_and_timestamps() {
        let s = parse("label_style = \"yace\"\ntimestamps = false\n", secs).unwrap();
        assert_eq!(s.label_style, Some(LabelStyle::Yace));
        assert_eq!(s.timestamps, Some(false));
        let s = parse("", secs).unwrap();
        assert_eq!((s.label_style, s.timestamps), (None, None));
        let err = format!(
            "{:#}",
            parse("label_style = \"grafana\"", secs).unwrap_err()
        );
        assert!(err.contains("grafana"), "{err}");
    }
}
