//! `streamwatch collect --config yace.yml`: yet-another-cloudwatch-exporter's YAML config
//! (`apiVersion: v1alpha1`, `sts-region`, `discovery` with `exportedTagsOnMetrics` and
//! `jobs`, `static` and `customNamespace` jobs) read into the same [`FileSettings`] as
//! streamwatch's TOML, for the namespaces streamwatch discovers resources of (and any custom
//! namespace). A config naming other AWS namespaces is refused, all of them named.
//!
//! How YACE's settings map:
//! - a discovery job: its namespace (`type`, a namespace or YACE's short alias), `regions`,
//!   `roles` (each a separate set of credentials, from STS AssumeRole), `searchTags` (the key
//!   must be there and its value match the unanchored regular expression), `customTags`,
//!   `includeContextOnInfoMetrics`, `dimensionNameRequirements` (the resource dimension alone
//!   leaves out the finer series, per shard or per alias and version, that YACE otherwise
//!   collects too);
//! - metrics with `statistics`, `period`, `length` (how far back the first cycle reads),
//!   `delay` (the job's; YACE ignores a metric's), `nilToZero`, `addCloudwatchTimestamp`,
//!   each defaulting to the job's and then to YACE's defaults (300, 300, 0, false, false).
//!   Metrics of a job with different period, length or delay are collected as separate jobs
//!   (a `nilToZero` series is written for every resource found, not only those ListMetrics
//!   names);
//! - `exportedTagsOnMetrics`: the tags written as `tag_<Key>` on every metric;
//! - a static job: the series of its `dimensions`, its `name` label being the job's name;
//! - a custom namespace job: every series ListMetrics names for its metrics (only those with
//!   exactly the `dimensionNameRequirements` when given), its `name` label being the job's
//!   name.
//!
//! `roundingPeriod`, `recentlyActiveOnly`, `exportAllDataPoints` and `enhancedMetrics` are
//! accepted and have no effect (the newest datapoint of each series is written).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::{Context, bail};
use cloudwatch_collector::{MetricSpec, Namespace, TagFilter};
use serde::Deserialize;

use crate::collect_config::{FileSettings, JobSettings, LabelStyle, NamespaceSettings, Role};

/// YACE's defaults for a metric's period and length, in seconds.
const DEFAULT_PERIOD: i64 = 300;
const DEFAULT_LENGTH: i64 = 300;

/// The namespaces YACE knows under a short alias, for those streamwatch could collect.
const ALIASES: &[(&str, &str)] = &[
    ("kinesis", "AWS/Kinesis"),
    ("lambda", "AWS/Lambda"),
    ("sqs", "AWS/SQS"),
    ("sns", "AWS/SNS"),
];

/// Namespaces named in the refusal, the ones streamwatch collects among them.
const CANDIDATES: &[&str] = &["AWS/Kinesis", "AWS/Lambda", "AWS/SQS", "AWS/SNS"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct YaceFile {
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    #[serde(rename = "sts-region")]
    sts_region: Option<String>,
    #[serde(default)]
    discovery: Discovery,
    #[serde(rename = "static", default)]
    statics: Vec<StaticJob>,
    #[serde(rename = "customNamespace", default)]
    custom_namespace: Vec<CustomNamespaceJob>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Discovery {
    #[serde(default)]
    exported_tags_on_metrics: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    jobs: Vec<DiscoveryJob>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KeyValue {
    key: String,
    value: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct YaceRole {
    #[serde(default)]
    role_arn: String,
    #[serde(default)]
    external_id: String,
}

/// The settings a job gives its metrics.
#[derive(Debug, Default)]
struct MetricFields {
    statistics: Vec<String>,
    period: Option<i64>,
    length: Option<i64>,
    delay: Option<i64>,
    nil_to_zero: Option<bool>,
    add_cloudwatch_timestamp: Option<bool>,
    export_all_data_points: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DiscoveryJob {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    roles: Vec<YaceRole>,
    #[serde(default)]
    search_tags: Vec<KeyValue>,
    #[serde(default)]
    custom_tags: Vec<KeyValue>,
    #[serde(default)]
    dimension_name_requirements: Vec<String>,
    #[serde(default)]
    metrics: Vec<MetricEntry>,
    #[allow(dead_code)]
    rounding_period: Option<i64>,
    #[allow(dead_code)]
    recently_active_only: Option<bool>,
    #[serde(default)]
    include_context_on_info_metrics: bool,
    #[allow(dead_code)]
    enhanced_metrics: Option<Vec<serde_yaml_ng::Value>>,
    #[serde(default)]
    statistics: Vec<String>,
    period: Option<i64>,
    length: Option<i64>,
    delay: Option<i64>,
    nil_to_zero: Option<bool>,
    add_cloudwatch_timestamp: Option<bool>,
    export_all_data_points: Option<bool>,
}

impl DiscoveryJob {
    /// The settings the job gives its metrics.
    fn defaults(&self) -> MetricFields {
        MetricFields {
            statistics: self.statistics.clone(),
            period: self.period,
            length: self.length,
            delay: self.delay,
            nil_to_zero: self.nil_to_zero,
            add_cloudwatch_timestamp: self.add_cloudwatch_timestamp,
            export_all_data_points: self.export_all_data_points,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct StaticJob {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    roles: Vec<YaceRole>,
    #[serde(default)]
    custom_tags: Vec<KeyValue>,
    #[serde(default)]
    dimensions: Vec<NameValue>,
    #[serde(default)]
    metrics: Vec<MetricEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CustomNamespaceJob {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    roles: Vec<YaceRole>,
    #[serde(default)]
    custom_tags: Vec<KeyValue>,
    #[serde(default)]
    dimension_name_requirements: Vec<String>,
    #[serde(default)]
    metrics: Vec<MetricEntry>,
    #[allow(dead_code)]
    rounding_period: Option<i64>,
    #[allow(dead_code)]
    recently_active_only: Option<bool>,
    #[serde(default)]
    statistics: Vec<String>,
    period: Option<i64>,
    length: Option<i64>,
    delay: Option<i64>,
    nil_to_zero: Option<bool>,
    add_cloudwatch_timestamp: Option<bool>,
    export_all_data_points: Option<bool>,
}

impl CustomNamespaceJob {
    /// The settings the job gives its metrics.
    fn defaults(&self) -> MetricFields {
        MetricFields {
            statistics: self.statistics.clone(),
            period: self.period,
            length: self.length,
            delay: self.delay,
            nil_to_zero: self.nil_to_zero,
            add_cloudwatch_timestamp: self.add_cloudwatch_timestamp,
            export_all_data_points: self.export_all_data_points,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NameValue {
    name: String,
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MetricEntry {
    name: String,
    #[serde(default)]
    statistics: Vec<String>,
    period: Option<i64>,
    length: Option<i64>,
    delay: Option<i64>,
    nil_to_zero: Option<bool>,
    add_cloudwatch_timestamp: Option<bool>,
    export_all_data_points: Option<bool>,
}

/// Whether config text is a YACE config: an `apiVersion` key at the top level.
pub fn looks_like_yace(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("apiVersion:"))
}

/// A job `type` as a namespace: YACE's alias resolved.
fn namespace_name(kind: &str) -> &str {
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == kind)
        .map_or(kind, |(_, ns)| ns)
}

/// The namespaces streamwatch collects, as CloudWatch names them.
fn supported() -> Vec<&'static str> {
    CANDIDATES
        .iter()
        .copied()
        .filter(|ns| Namespace::from_flag(ns).is_some())
        .collect()
}

/// A metric's settings, after the job's and YACE's defaults.
struct Resolved {
    spec: MetricSpec,
    period: i64,
    length: i64,
    delay: i64,
    nil_to_zero: bool,
    timestamped: bool,
}

fn resolve(m: &MetricEntry, job: &MetricFields, place: &str) -> anyhow::Result<Resolved> {
    let names = if m.statistics.is_empty() {
        &job.statistics
    } else {
        &m.statistics
    };
    if names.is_empty() {
        bail!("{place}: metric {} names no statistics", m.name);
    }
    let mut statistics = Vec::new();
    for s in names {
        statistics.push(metric_export::parse_statistic(s).map_err(anyhow::Error::msg)?);
    }
    let period = m.period.or(job.period).unwrap_or(DEFAULT_PERIOD);
    let length = m.length.or(job.length).unwrap_or(DEFAULT_LENGTH);
    if period < 1 {
        bail!(
            "{place}: metric {}: period must be a positive integer",
            m.name
        );
    }
    if length < period {
        bail!(
            "{place}: metric {}: length ({length}) is smaller than period ({period})",
            m.name
        );
    }
    let timestamped = m
        .add_cloudwatch_timestamp
        .or(job.add_cloudwatch_timestamp)
        .unwrap_or(false);
    let all_points = m
        .export_all_data_points
        .or(job.export_all_data_points)
        .unwrap_or(false);
    if all_points && !timestamped {
        bail!(
            "{place}: metric {}: exportAllDataPoints needs addCloudwatchTimestamp",
            m.name
        );
    }
    // As in YACE, a metric's own delay is not used; the job's is.
    let _ = m.delay;
    Ok(Resolved {
        spec: MetricSpec {
            name: m.name.clone(),
            statistics,
        },
        period,
        length,
        delay: job.delay.unwrap_or(0),
        nil_to_zero: m.nil_to_zero.or(job.nil_to_zero).unwrap_or(false),
        timestamped,
    })
}

fn roles(list: &[YaceRole], place: &str) -> anyhow::Result<Vec<Option<Role>>> {
    if list.is_empty() {
        return Ok(vec![None]);
    }
    let mut out = Vec::new();
    for (i, r) in list.iter().enumerate() {
        if r.role_arn.is_empty() {
            if !r.external_id.is_empty() {
                bail!("{place}: role {i} has an externalId but no roleArn");
            }
            out.push(None);
        } else {
            out.push(Some(Role {
                arn: r.role_arn.clone(),
                external_id: (!r.external_id.is_empty()).then(|| r.external_id.clone()),
            }));
        }
    }
    Ok(out)
}

/// What one job (discovery or static) gives, before its metrics are grouped.
struct JobParts<'a> {
    /// A namespace with its own discovery, or else one read through ListMetrics.
    namespace: Result<Namespace, String>,
    dimension_names: Option<Vec<String>>,
    regions: &'a [String],
    roles: Vec<Option<Role>>,
    metrics: Vec<Resolved>,
    finer: bool,
    tags: Vec<TagFilter>,
    tag_patterns: Vec<(String, regex::Regex)>,
    static_series: Option<(String, Vec<(String, String)>)>,
}

/// One [`JobSettings`] per role and per (period, length, delay) of the job's metrics.
fn push_jobs(parts: JobParts<'_>, out: &mut Vec<JobSettings>) {
    let mut groups: BTreeMap<(i64, i64, i64), Vec<&Resolved>> = BTreeMap::new();
    for m in &parts.metrics {
        groups
            .entry((m.period, m.length, m.delay))
            .or_default()
            .push(m);
    }
    for role in &parts.roles {
        for ((period, length, delay), metrics) in &groups {
            let specs: Vec<MetricSpec> = metrics.iter().map(|m| m.spec.clone()).collect();
            let (namespace, listed) = match &parts.namespace {
                Ok(namespace) => (
                    Some(NamespaceSettings {
                        namespace: *namespace,
                        metrics: Some(specs.clone()),
                        finer_metrics: parts.finer.then_some(specs),
                        tags: parts.tags.clone(),
                    }),
                    None,
                ),
                Err(name) => (
                    None,
                    Some(cloudwatch_collector::ListedNamespace {
                        name: name.clone(),
                        metrics: Some(specs),
                    }),
                ),
            };
            out.push(JobSettings {
                namespace,
                listed,
                dimension_names: parts.dimension_names.clone(),
                regions: parts.regions.to_vec(),
                role: role.clone(),
                period: *period,
                lookback: Duration::from_secs(*length as u64),
                delay: Duration::from_secs(*delay as u64),
                tag_patterns: parts.tag_patterns.clone(),
                nil_to_zero: metrics
                    .iter()
                    .filter(|m| m.nil_to_zero)
                    .map(|m| m.spec.name.clone())
                    .collect(),
                timestamped: metrics
                    .iter()
                    .filter(|m| m.timestamped)
                    .map(|m| m.spec.name.clone())
                    .collect(),
                static_series: parts.static_series.clone(),
            });
        }
    }
}

/// Parses and checks a YACE config.
pub fn parse(text: &str) -> anyhow::Result<FileSettings> {
    let file: YaceFile = serde_yaml_ng::from_str(text).context("not a YACE config")?;
    if let Some(v) = file.api_version.as_deref()
        && v != "v1alpha1"
    {
        bail!("unknown apiVersion {v:?}: YACE configs are v1alpha1");
    }
    if file.discovery.jobs.is_empty() && file.statics.is_empty() && file.custom_namespace.is_empty()
    {
        bail!("at least one discovery or static job must be defined");
    }

    // Every namespace streamwatch does not collect, named together.
    let mut refused: Vec<String> = Vec::new();
    for (i, job) in file.discovery.jobs.iter().enumerate() {
        if job.kind.is_empty() {
            bail!("discovery job {i}: type should not be empty");
        }
        if Namespace::from_flag(namespace_name(&job.kind)).is_none() {
            refused.push(format!("{} (discovery job {i})", job.kind));
        }
    }
    for (i, job) in file.statics.iter().enumerate() {
        if Namespace::from_flag(namespace_name(&job.namespace)).is_none() {
            refused.push(format!("{} (static job {i})", job.namespace));
        }
    }
    if !refused.is_empty() {
        bail!(
            "streamwatch does not collect {}; it collects {}",
            refused.join(", "),
            supported().join(", ")
        );
    }

    let mut style = metric_export::yace::YaceStyle::default();
    let job_namespaces: BTreeSet<&str> = file
        .discovery
        .jobs
        .iter()
        .map(|j| namespace_name(&j.kind))
        .collect();
    for (key, tags) in &file.discovery.exported_tags_on_metrics {
        let ns = namespace_name(key);
        if !job_namespaces.contains(ns) {
            bail!("exportedTagsOnMetrics key {key:?} matches no discovery job type");
        }
        style.exported_tags.insert(ns.to_string(), tags.clone());
    }

    let mut jobs = Vec::new();
    let mut regions: Vec<String> = Vec::new();
    for (i, job) in file.discovery.jobs.iter().enumerate() {
        let ns_name = namespace_name(&job.kind);
        let Some(namespace) = Namespace::from_flag(ns_name) else {
            continue;
        };
        let place = format!("discovery job {i} ({})", job.kind);
        if job.regions.is_empty() {
            bail!("{place}: regions should not be empty");
        }
        if job.metrics.is_empty() {
            bail!("{place}: metrics should not be empty");
        }
        let defaults = job.defaults();
        let metrics = job
            .metrics
            .iter()
            .map(|m| resolve(m, &defaults, &place))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut tag_patterns = Vec::new();
        let mut tags = Vec::new();
        for t in &job.search_tags {
            let pattern = regex::Regex::new(&t.value).with_context(|| {
                format!("{place}: searchTags {}: invalid regular expression", t.key)
            })?;
            tags.push(TagFilter {
                key: t.key.clone(),
                values: Vec::new(),
            });
            tag_patterns.push((t.key.clone(), pattern));
        }
        let resource_dim = namespace.dimension();
        let finer = namespace.finer_dimension().is_some()
            && (job.dimension_name_requirements.is_empty()
                || job
                    .dimension_name_requirements
                    .iter()
                    .any(|d| d != resource_dim));
        if !job.custom_tags.is_empty() {
            style.custom_tags.insert(
                ns_name.to_string(),
                job.custom_tags
                    .iter()
                    .map(|t| (t.key.clone(), t.value.clone()))
                    .collect(),
            );
        }
        if job.include_context_on_info_metrics {
            style.context_on_info.insert(ns_name.to_string());
        }
        for m in metrics.iter().filter(|m| m.timestamped) {
            style
                .timestamped
                .insert((ns_name.to_string(), m.spec.name.clone()));
        }
        regions.extend(job.regions.iter().cloned());
        push_jobs(
            JobParts {
                namespace: Ok(namespace),
                dimension_names: None,
                regions: &job.regions,
                roles: roles(&job.roles, &place)?,
                metrics,
                finer,
                tags,
                tag_patterns,
                static_series: None,
            },
            &mut jobs,
        );
    }
    for (i, job) in file.statics.iter().enumerate() {
        let ns_name = namespace_name(&job.namespace);
        let Some(namespace) = Namespace::from_flag(ns_name) else {
            continue;
        };
        let place = format!("static job {i} ({})", job.name);
        if job.name.is_empty() {
            bail!("static job {i}: name should not be empty");
        }
        if job.regions.is_empty() {
            bail!("{place}: regions should not be empty");
        }
        let metrics = job
            .metrics
            .iter()
            .map(|m| resolve(m, &MetricFields::default(), &place))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut dimensions: Vec<(String, String)> = job
            .dimensions
            .iter()
            .map(|d| (d.name.clone(), d.value.clone()))
            .collect();
        dimensions.sort();
        if !job.custom_tags.is_empty() {
            style
                .custom_tags
                .entry(ns_name.to_string())
                .or_default()
                .extend(
                    job.custom_tags
                        .iter()
                        .map(|t| (t.key.clone(), t.value.clone())),
                );
        }
        for m in metrics.iter().filter(|m| m.timestamped) {
            style
                .timestamped
                .insert((ns_name.to_string(), m.spec.name.clone()));
        }
        style
            .static_names
            .insert(dimensions.clone(), job.name.clone());
        let finer = dimensions
            .iter()
            .any(|(name, _)| Some(name.as_str()) == namespace.finer_dimension());
        regions.extend(job.regions.iter().cloned());
        push_jobs(
            JobParts {
                namespace: Ok(namespace),
                dimension_names: None,
                regions: &job.regions,
                roles: roles(&job.roles, &place)?,
                metrics,
                finer,
                tags: Vec::new(),
                tag_patterns: Vec::new(),
                static_series: Some((job.name.clone(), dimensions)),
            },
            &mut jobs,
        );
    }
    for (i, job) in file.custom_namespace.iter().enumerate() {
        if job.name.is_empty() {
            bail!("customNamespace job {i}: name should not be empty");
        }
        if job.namespace.is_empty() {
            bail!("customNamespace job {i}: namespace should not be empty");
        }
        let place = format!("customNamespace job {i} ({})", job.name);
        if job.regions.is_empty() {
            bail!("{place}: regions should not be empty");
        }
        if job.metrics.is_empty() {
            bail!("{place}: metrics should not be empty");
        }
        let defaults = job.defaults();
        let metrics = job
            .metrics
            .iter()
            .map(|m| resolve(m, &defaults, &place))
            .collect::<anyhow::Result<Vec<_>>>()?;
        if !job.custom_tags.is_empty() {
            style
                .custom_tags
                .entry(job.namespace.clone())
                .or_default()
                .extend(
                    job.custom_tags
                        .iter()
                        .map(|t| (t.key.clone(), t.value.clone())),
                );
        }
        for m in metrics.iter().filter(|m| m.timestamped) {
            style
                .timestamped
                .insert((job.namespace.clone(), m.spec.name.clone()));
        }
        style
            .listed_names
            .insert(job.namespace.clone(), job.name.clone());
        regions.extend(job.regions.iter().cloned());
        push_jobs(
            JobParts {
                namespace: Err(job.namespace.clone()),
                dimension_names: (!job.dimension_name_requirements.is_empty())
                    .then(|| job.dimension_name_requirements.clone()),
                regions: &job.regions,
                roles: roles(&job.roles, &place)?,
                metrics,
                finer: false,
                tags: Vec::new(),
                tag_patterns: Vec::new(),
                static_series: None,
            },
            &mut jobs,
        );
    }
    regions.sort();
    regions.dedup();
    // The shortest period is the interval, so every job's periods are read as they end.
    let interval = jobs
        .iter()
        .map(|j| j.period)
        .min()
        .map(|p| Duration::from_secs(p as u64));
    Ok(FileSettings {
        regions: Some(regions),
        interval,
        label_style: Some(LabelStyle::Yace),
        jobs,
        yace: style,
        sts_region: file.sts_region,
        ..FileSettings::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use metric_export::Statistic;

    #[test]
    fn a_discovery_job_with_defaults_and_overrides() {
        let s = parse(
            r#"
apiVersion: v1alpha1
sts-region: eu-west-1
discovery:
  exportedTagsOnMetrics:
    AWS/Kinesis: [Team]
  jobs:
    - type: kinesis
      regions: [us-east-1, eu-west-1]
      roles:
        - roleArn: arn:aws:iam::123456789012:role/prometheus
          externalId: shared
        - {}
      searchTags:
        - key: env
          value: ^prod
      customTags:
        - key: Owner
          value: data
      dimensionNameRequirements: [StreamName]
      statistics: [Sum]
      period: 60
      length: 600
      delay: 120
      nilToZero: true
      metrics:
        - name: IncomingBytes
        - name: GetRecords.IteratorAgeMilliseconds
          statistics: [Maximum, p99]
          addCloudwatchTimestamp: true
        - name: IncomingRecords
          period: 300
"#,
        )
        .unwrap();
        assert_eq!(s.label_style, Some(LabelStyle::Yace));
        assert_eq!(s.sts_region.as_deref(), Some("eu-west-1"));
        assert_eq!(s.interval, Some(Duration::from_secs(60)));
        // Two roles times two (period, length, delay) groups.
        assert_eq!(s.jobs.len(), 4);
        let first = &s.jobs[0];
        assert_eq!(
            first.role,
            Some(Role {
                arn: "arn:aws:iam::123456789012:role/prometheus".into(),
                external_id: Some("shared".into())
            })
        );
        assert_eq!(s.jobs[2].role, None);
        assert_eq!(first.period, 60);
        assert_eq!(first.lookback, Duration::from_secs(600));
        assert_eq!(first.delay, Duration::from_secs(120));
        assert_eq!(first.regions, ["us-east-1", "eu-west-1"]);
        let ns = first.namespace.as_ref().unwrap();
        let specs = ns.metrics.as_ref().unwrap();
        assert_eq!(specs[0].statistics, [Statistic::Sum]);
        assert_eq!(
            specs[1].statistics,
            [Statistic::Maximum, Statistic::Percentile(99.0)]
        );
        assert_eq!(ns.finer_metrics, None);
        assert_eq!(ns.tags[0].key, "env");
        assert!(first.tag_patterns[0].1.is_match("production"));
        assert!(first.nil_to_zero.contains("IncomingBytes"));
        assert!(
            first
                .timestamped
                .contains("GetRecords.IteratorAgeMilliseconds")
        );
        assert_eq!(s.jobs[1].period, 300);
        assert_eq!(s.yace.exported_tags["AWS/Kinesis"], ["Team"]);
        assert_eq!(
            s.yace.custom_tags["AWS/Kinesis"],
            [("Owner".to_string(), "data".to_string())]
        );
        assert!(s.yace.timestamped.contains(&(
            "AWS/Kinesis".to_string(),
            "GetRecords.IteratorAgeMilliseconds".to_string()
        )));
    }

    #[test]
    fn other_namespaces_are_refused_together() {
        let err = format!(
            "{:#}",
            parse(
                r#"
apiVersion: v1alpha1
discovery:
  jobs:
    - type: AWS/EC2
      regions: [us-east-1]
      metrics: [{name: CPUUtilization, statistics: [Average]}]
    - type: AWS/Kinesis
      regions: [us-east-1]
      metrics: [{name: IncomingBytes, statistics: [Sum]}]
    - type: rds
      regions: [us-east-1]
      metrics: [{name: CPUUtilization, statistics: [Average]}]
customNamespace:
  - name: mine
    namespace: CustomEC2Metrics
    regions: [us-east-1]
    metrics: [{name: disk_free, statistics: [Average]}]
"#
            )
            .unwrap_err()
        );
        assert!(err.contains("AWS/EC2 (discovery job 0)"), "{err}");
        assert!(err.contains("rds (discovery job 2)"), "{err}");
        // A custom namespace is read through ListMetrics, so it is not refused.
        assert!(!err.contains("CustomEC2Metrics"), "{err}");
        assert!(err.contains("AWS/Kinesis, AWS/Lambda"), "{err}");
        assert!(!err.contains("AWS/Kinesis (discovery"), "{err}");
    }

    #[test]
    fn mistakes_are_named() {
        let err = |text: &str| format!("{:#}", parse(text).unwrap_err());
        assert!(err("apiVersion: v2\ndiscovery: {jobs: [{type: AWS/Kinesis, regions: [a], metrics: [{name: X, statistics: [Sum]}]}]}").contains("v2"));
        assert!(err("apiVersion: v1alpha1\ndiscovery: {jobs: [{type: AWS/Kinesis, regions: [a], metrics: [{name: X}]}]}").contains("no statistics"));
        assert!(err("apiVersion: v1alpha1\ndiscovery: {jobs: [{type: AWS/Kinesis, regions: [a], period: 600, length: 60, metrics: [{name: X, statistics: [Sum]}]}]}").contains("smaller than period"));
        assert!(err("apiVersion: v1alpha1\ndiscovery: {jobs: [{type: AWS/Kinesis, regoins: [a], metrics: [{name: X, statistics: [Sum]}]}]}").contains("regoins"));
        assert!(err("apiVersion: v1alpha1\ndiscovery: {jobs: [{type: AWS/Kinesis, regions: [a], roles: [{externalId: x}], metrics: [{name: X, statistics: [Sum]}]}]}").contains("roleArn"));
        assert!(err("apiVersion: v1alpha1\ndiscovery: {exportedTagsOnMetrics: {AWS/Lambda: [a]}, jobs: [{type: AWS/Kinesis, regions: [a], metrics: [{name: X, statistics: [Sum]}]}]}").contains("AWS/Lambda"));
        assert!(err("apiVersion: v1alpha1\n").contains("at least one"));
    }

    #[test]
    fn a_static_job() {
        let s = parse(
            r#"
apiVersion: v1alpha1
static:
  - namespace: AWS/Kinesis
    name: orders-stream
    regions: [eu-west-1]
    dimensions:
      - name: StreamName
        value: orders
    customTags:
      - key: Team
        value: data
    metrics:
      - name: IncomingRecords
        statistics: [Sum]
        period: 60
        length: 300
"#,
        )
        .unwrap();
        let job = &s.jobs[0];
        assert_eq!(
            job.static_series,
            Some((
                "orders-stream".to_string(),
                vec![("StreamName".to_string(), "orders".to_string())]
            ))
        );
        assert_eq!(job.period, 60);
        assert_eq!(job.namespace.as_ref().unwrap().finer_metrics, None);
        assert_eq!(s.regions.as_deref(), Some(&["eu-west-1".to_string()][..]));
    }

    #[test]
    fn a_custom_namespace_job() {
        let s = parse(
            r#"
apiVersion: v1alpha1
customNamespace:
  - name: customEC2Metrics
    namespace: CustomEC2Metrics
    regions: [us-east-1]
    dimensionNameRequirements: [InstanceId]
    metrics:
      - name: cpu_usage_idle
        statistics: [Average]
        period: 300
        length: 300
        nilToZero: true
"#,
        )
        .unwrap();
        let job = &s.jobs[0];
        assert!(job.namespace.is_none());
        let listed = job.listed.as_ref().unwrap();
        assert_eq!(listed.name, "CustomEC2Metrics");
        assert_eq!(listed.metrics.as_ref().unwrap()[0].name, "cpu_usage_idle");
        assert_eq!(
            job.dimension_names.as_deref(),
            Some(&["InstanceId".to_string()][..])
        );
        assert_eq!(s.yace.listed_names["CustomEC2Metrics"], "customEC2Metrics");
    }
}
