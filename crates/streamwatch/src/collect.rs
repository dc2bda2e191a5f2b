//! `streamwatch collect`: a pipeline's metrics (`AWS/Kinesis`, `AWS/Lambda`, `AWS/SQS`,
//! `AWS/SNS`, the `KinesisLambdaPipeline` namespace lambda-kinesis-handler writes, and any
//! other namespace read through ListMetrics, `LambdaInsights` among them) and the inventory
//! of its streams, functions, queues and topics, from one or several regions of an endpoint
//! (the embedded engine by default, AWS itself with `--endpoint aws`), printed once or served
//! as Prometheus `/metrics` and written to files, InfluxDB write endpoints and Guance
//! DataKits every cycle.
//!
//! A YACE config (`yace_config.rs`) runs one collector per job, region and role, each role's
//! credentials assumed through STS, and the Prometheus output then takes YACE's names and
//! labels (metric-export's `yace` style), as `--label-style yace` does for any config.
//!
//! Credentials come from the standard AWS chain (environment, shared profile, SSO, web
//! identity, container and instance metadata) through aws-config. Against an endpoint URL
//! with no credentials configured anywhere, fixed local ones are used, so the embedded
//! engine needs no setup. Secrets are never logged.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use cloudwatch_collector::{
    ApiCalls, Collector, CollectorConfig, Cycle, ListedNamespace, Namespace, PIPELINE_NAMESPACE,
    TagFilter,
};
use metric_export::{Gauge, InventoryObject, Sample};

use parking_lot::RwLock;

use crate::collect_config::{JobSettings, LabelStyle, NamespaceSettings, Output, Role};
use crate::duration_arg::parse_duration;
use crate::metrics_page::metrics_router;
use crate::sdk::{AwsArgs, sdk_config_as_role};
use time_source::now_ms_i64 as now_ms;

/// How output is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Prometheus text exposition.
    Prometheus,
    /// InfluxDB line protocol.
    Line,
    /// JSON lines: samples, then inventory objects.
    Json,
    /// CloudWatch Embedded Metric Format, one document a line, re-publishing the samples
    /// under `Streamwatch/<service>` (e.g. `Streamwatch/Kinesis`).
    Emf,
}

/// Arguments of `streamwatch collect`.
#[derive(Args, Debug)]
pub struct CollectArgs {
    /// The endpoint serving the services read: a URL, or `aws` for AWS's endpoints in each
    /// region. Unset: where AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL say, else the
    /// local engine (http://127.0.0.1:4567).
    #[arg(long)]
    endpoint: Option<String>,
    /// Regions to collect, comma-separated; each is collected on its own, and one failing
    /// does not stop the others. Unset: AWS_REGION, AWS_DEFAULT_REGION, the profile's
    /// region, else us-east-1.
    #[arg(long, value_delimiter = ',')]
    region: Vec<String>,
    /// A named profile of the shared AWS config and credentials files (AWS_PROFILE when
    /// unset).
    #[arg(long)]
    profile: Option<String>,
    /// Namespaces to collect, comma-separated: `aws_kinesis`, `aws_lambda` (with the
    /// account-level series and the functions' dead-letter and on-failure queues),
    /// `aws_sqs`, `aws_sns`, `lambda_insights`, or any CloudWatch namespace (read through
    /// ListMetrics). `KinesisLambdaPipeline` is always read, when it exists.
    #[arg(long, value_delimiter = ',', default_value = "aws_kinesis")]
    namespace: Vec<String>,
    /// Also collect every shard's series (StreamName + ShardId) that enhanced monitoring
    /// publishes, with the default shard-level metric set.
    #[arg(long)]
    shard_level: bool,
    /// Only resources carrying this tag: `KEY=VALUE`, or `KEY` for any value. Repeat for
    /// several (all must match).
    #[arg(long = "tag", value_name = "KEY[=VALUE]")]
    tags: Vec<String>,
    /// The account's name in the inventory (its ID, from the ARNs, by default).
    #[arg(long)]
    account_name: Option<String>,
    /// Time between cycles, e.g. `60s`, `1s`, `2m`.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    interval: Duration,
    /// Datapoint period in seconds (1, 5, 10, 30 or a multiple of 60); the interval's by
    /// default.
    #[arg(long)]
    period: Option<i64>,
    /// How long after a period ends it is fetched, so late datapoints are in.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    delay: Duration,
    /// How often the inventory is refreshed (and the tags the filters read).
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    inventory_interval: Duration,
    /// How far back the first cycle reaches; one period by default.
    #[arg(long, value_parser = parse_duration)]
    lookback: Option<Duration>,
    /// Print one cycle to stdout and exit.
    #[arg(long)]
    once: bool,
    /// Output format with `--once` (and on stdout for line/json without it).
    #[arg(long, value_enum, default_value_t = Format::Prometheus)]
    format: Format,
    /// Where `/metrics` is served without `--once`.
    #[arg(long, default_value = "127.0.0.1:9107")]
    listen: SocketAddr,
    /// Also POST each cycle to a Guance DataKit at this URL (e.g. `http://127.0.0.1:9529`):
    /// metrics to `/v1/write/metric`, the inventory to `/v1/write/custom_object`.
    #[arg(long, value_name = "URL")]
    datakit_url: Option<String>,
    /// A TOML file with these settings, per-namespace metric sets, tag filters, regions and
    /// several outputs; what it names replaces the flags (see `collect_config.rs`). A YACE
    /// config (`.yml`/`.yaml`, or with `apiVersion`) is read as YACE reads it, and implies
    /// `--label-style yace` (see `yace_config.rs`).
    #[arg(long)]
    config: Option<std::path::PathBuf>,
    /// How Prometheus series are named and labelled: `streamwatch` (the default) or `yace`
    /// (yet-another-cloudwatch-exporter's `dimension_StreamName`, `name` holding the ARN,
    /// `account_id`, `tag_<Key>`, `aws_kinesis_info`).
    #[arg(long, value_enum)]
    label_style: Option<LabelStyle>,
    /// Whether Prometheus series carry their CloudWatch timestamps (`false`: Prometheus
    /// stamps them with the scrape time). With the YACE style, only metrics with
    /// `addCloudwatchTimestamp` carry them.
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    timestamps: Option<bool>,
    #[command(flatten)]
    cost: crate::collect_cost::CollectCostArgs,
}

/// The settings of a run, from the flags and the config file.
struct Plan {
    /// `--endpoint` or the file's; `None` to resolve as the SDKs do.
    endpoint: Option<String>,
    profile: Option<String>,
    regions: Vec<String>,
    endpoints: BTreeMap<String, String>,
    account_name: Option<String>,
    interval: Duration,
    period: i64,
    delay: Duration,
    inventory_interval: Duration,
    lookback: Option<Duration>,
    namespaces: Vec<NamespaceSettings>,
    listed: Vec<ListedNamespace>,
    outputs: Vec<Output>,
    /// A YACE config's jobs (empty: every region collects `namespaces`).
    jobs: Vec<JobSettings>,
    sts_region: Option<String>,
    /// How the Prometheus output looks.
    prometheus: metric_export::prometheus::Options,
}

/// One collector: a region, the credentials (a role's, or the chain's), the namespaces and
/// the window settings, and what is kept of its output.
struct RunSpec {
    region: String,
    role: Option<Role>,
    namespaces: Vec<NamespaceSettings>,
    /// Namespaces read through ListMetrics (a YACE custom namespace job).
    listed: Vec<cloudwatch_collector::ListedNamespace>,
    /// The only dimension names a series may have, when given.
    dimension_names: Option<Vec<String>>,
    period: i64,
    lookback: Option<Duration>,
    delay: Duration,
    /// YACE's `searchTags`: tag values each resource must match.
    tag_patterns: Vec<(String, regex::Regex)>,
    /// Metrics whose unanswered series are written as 0 rather than NaN (YACE style).
    nil_to_zero: BTreeSet<String>,
    /// Metrics whose unanswered series are left out (they carry CloudWatch timestamps).
    timestamped: BTreeSet<String>,
    /// A static job's one series.
    static_series: Option<Vec<(String, String)>>,
    /// Whether unanswered series are written (NaN or 0) and the last datapoints kept while
    /// no new period has ended, as YACE shows them.
    yace: bool,
    /// Whether this is a YACE job's collector (only the metrics it lists).
    job: bool,
}

impl Plan {
    async fn new(args: &CollectArgs) -> anyhow::Result<Plan> {
        let tags = args
            .tags
            .iter()
            .map(|t| match t.split_once('=') {
                Some((key, value)) => TagFilter {
                    key: key.to_string(),
                    values: vec![value.to_string()],
                },
                None => TagFilter {
                    key: t.clone(),
                    values: Vec::new(),
                },
            })
            .collect::<Vec<_>>();
        let mut namespaces = Vec::new();
        let mut listed = vec![ListedNamespace::all_of(PIPELINE_NAMESPACE)];
        for ns in &args.namespace {
            let Some(namespace) = Namespace::from_flag(ns) else {
                let name = crate::collect_config::listed_namespace_named(ns)?;
                if !listed.iter().any(|l| l.name == name) {
                    listed.push(ListedNamespace::all_of(&name));
                }
                continue;
            };
            namespaces.push(NamespaceSettings {
                namespace,
                metrics: None,
                finer_metrics: (args.shard_level && namespace == Namespace::Kinesis)
                    .then(cloudwatch_collector::default_shard_metrics),
                tags: tags.clone(),
            });
        }
        let mut plan = Plan {
            endpoint: args.endpoint.clone(),
            profile: args.profile.clone(),
            regions: args.region.clone(),
            endpoints: BTreeMap::new(),
            account_name: args.account_name.clone(),
            interval: args.interval,
            period: 0,
            delay: args.delay,
            inventory_interval: args.inventory_interval,
            lookback: args.lookback,
            namespaces,
            listed,
            outputs: vec![Output::Prometheus(args.listen)],
            jobs: Vec::new(),
            sts_region: None,
            prometheus: metric_export::prometheus::Options::default(),
        };
        let mut label_style = args.label_style;
        let mut timestamps = args.timestamps;
        let mut yace_style = metric_export::yace::YaceStyle::default();
        if let Some(url) = &args.datakit_url {
            plan.outputs.push(Output::Datakit(url.clone()));
        }
        let mut period = args.period;
        if let Some(path) = &args.config {
            let file = crate::collect_config::load(path, parse_duration)?;
            plan.endpoint = file.endpoint.or(plan.endpoint);
            plan.regions = file.regions.unwrap_or(plan.regions);
            plan.endpoints = file.endpoints;
            plan.account_name = file.account_name.or(plan.account_name);
            plan.interval = file.interval.unwrap_or(plan.interval);
            period = file.period.or(period);
            plan.delay = file.delay.unwrap_or(plan.delay);
            plan.inventory_interval = file.inventory_interval.unwrap_or(plan.inventory_interval);
            plan.lookback = file.lookback.or(plan.lookback);
            if !file.namespaces.is_empty() || !file.listed.is_empty() {
                // The file's list is the whole list: the pipeline namespace is read only
                // when it names it.
                plan.namespaces = file.namespaces;
                plan.listed = file.listed;
            }
            if !file.outputs.is_empty() {
                plan.outputs = file.outputs;
            }
            // A flag given on the command line wins over the file here: a YACE config
            // implies its style, and --label-style streamwatch is how to leave it.
            label_style = label_style.or(file.label_style);
            timestamps = timestamps.or(file.timestamps);
            plan.jobs = file.jobs;
            plan.sts_region = file.sts_region;
            yace_style = file.yace;
        }
        plan.prometheus = metric_export::prometheus::Options {
            label_style: match label_style {
                Some(LabelStyle::Yace) => metric_export::prometheus::LabelStyle::Yace(yace_style),
                _ => metric_export::prometheus::LabelStyle::Streamwatch,
            },
            timestamps: timestamps.unwrap_or(true),
        };
        plan.regions.retain(|r| !r.is_empty());
        plan.regions.dedup();
        if plan.regions.is_empty() {
            plan.regions.push(plan.aws_args(None).region().await);
        }
        plan.period = period.unwrap_or_else(|| plan.interval.as_secs().max(1) as i64);
        Ok(plan)
    }

    /// `--endpoint`/`--region`/`--profile` as for every other command, for one region's
    /// endpoint (`None`: the run's).
    fn aws_args(&self, region: Option<&str>) -> AwsArgs {
        let endpoint = region
            .and_then(|r| self.endpoints.get(r))
            .or(self.endpoint.as_ref());
        AwsArgs {
            endpoint: endpoint.cloned(),
            region: region.map(str::to_string),
            profile: self.profile.clone(),
        }
    }

    /// The SDK configuration of a region: its endpoint from the file's `[endpoints]`, else
    /// the run's, else as the SDKs resolve it.
    async fn sdk_config(&self, region: &str) -> aws_config::SdkConfig {
        self.aws_args(Some(region)).config().await
    }

    fn yace(&self) -> bool {
        matches!(
            self.prometheus.label_style,
            metric_export::prometheus::LabelStyle::Yace(_)
        )
    }

    /// The collectors to run: one per region, or one per job, region and role of a YACE
    /// config.
    fn runs(&self) -> Vec<RunSpec> {
        let yace = self.yace();
        if self.jobs.is_empty() {
            return self
                .regions
                .iter()
                .map(|region| RunSpec {
                    region: region.clone(),
                    role: None,
                    namespaces: self.namespaces.clone(),
                    listed: self.listed.clone(),
                    dimension_names: None,
                    period: self.period,
                    lookback: self.lookback,
                    delay: self.delay,
                    tag_patterns: Vec::new(),
                    nil_to_zero: Default::default(),
                    timestamped: Default::default(),
                    static_series: None,
                    yace,
                    job: false,
                })
                .collect();
        }
        let mut out = Vec::new();
        for job in &self.jobs {
            for region in &job.regions {
                out.push(RunSpec {
                    region: region.clone(),
                    role: job.role.clone(),
                    namespaces: job.namespace.iter().cloned().collect(),
                    listed: job.listed.iter().cloned().collect(),
                    dimension_names: job.dimension_names.clone(),
                    period: job.period,
                    lookback: Some(job.lookback),
                    delay: job.delay,
                    tag_patterns: job.tag_patterns.clone(),
                    nil_to_zero: job.nil_to_zero.clone(),
                    timestamped: job.timestamped.clone(),
                    static_series: job.static_series.as_ref().map(|(_, dims)| dims.clone()),
                    yace,
                    job: true,
                });
            }
        }
        out
    }

    /// The collector's configuration for one run.
    fn collector_config(&self, run: &RunSpec) -> CollectorConfig {
        let mut config = CollectorConfig {
            region: run.region.clone(),
            period_secs: run.period,
            delay: run.delay,
            first_window: run
                .lookback
                .unwrap_or(Duration::from_secs(run.period.max(1) as u64)),
            namespaces: run.namespaces.iter().map(|n| n.namespace).collect(),
            listed: run.listed.clone(),
            tag_refresh: self.inventory_interval,
            account_name: self.account_name.clone(),
            ..CollectorConfig::default()
        };
        // A YACE job reads the metrics it lists and nothing else.
        if !run.job {
            config.consumer_metrics = cloudwatch_collector::default_consumer_metrics();
            config.lambda_account_metrics = cloudwatch_collector::default_lambda_account_metrics();
            config.pipeline_links = true;
        }
        for ns in &run.namespaces {
            let finer = ns.finer_metrics.clone().unwrap_or_default();
            match ns.namespace {
                Namespace::Kinesis => {
                    if let Some(m) = &ns.metrics {
                        config.metrics = m.clone();
                    }
                    config.shard_metrics = finer;
                    config.kinesis_tag_filters = ns.tags.clone();
                }
                Namespace::Lambda => {
                    if let Some(m) = &ns.metrics {
                        // A metric set named per function is the whole set: the
                        // account-level series come with the default set only.
                        config.lambda_metrics = m.clone();
                        config.lambda_account_metrics = Vec::new();
                    }
                    config.lambda_resource_metrics = finer;
                    config.lambda_tag_filters = ns.tags.clone();
                }
                Namespace::Sqs => {
                    if let Some(m) = &ns.metrics {
                        config.sqs_metrics = m.clone();
                    }
                    config.sqs_tag_filters = ns.tags.clone();
                }
                Namespace::Sns => {
                    if let Some(m) = &ns.metrics {
                        config.sns_metrics = m.clone();
                    }
                    config.sns_tag_filters = ns.tags.clone();
                }
            }
        }
        config
    }
}

/// The timestamp of a series CloudWatch did not answer, written as NaN or 0 in the YACE
/// style: older than any datapoint, so a real one of the same series wins, and never written
/// (metric-export leaves out a timestamp of `i64::MIN`).
const UNANSWERED: i64 = i64::MIN;

/// A series as the YACE style keys it: namespace, metric, statistic and dimensions.
type SeriesKey = (String, String, String, Vec<(String, String)>);

/// One region's collector and what it has gathered.
struct RegionRun {
    region: String,
    spec: RunSpec,
    collector: Collector,
    namespaces: Vec<Namespace>,
    last: Cycle,
    objects: Vec<InventoryObject>,
    last_inventory: Option<Instant>,
    totals: ApiCalls,
    errors: u64,
    last_success_ms: Option<i64>,
    last_duration: Duration,
    metrics_requested: u64,
}

impl RegionRun {
    async fn new(plan: &Plan, spec: RunSpec) -> RegionRun {
        let region = spec.region.as_str();
        let mut shared = plan.sdk_config(region).await;
        if let Some(role) = &spec.role {
            shared = sdk_config_as_role(
                shared,
                plan.aws_args(Some(region)).endpoint(),
                &role.arn,
                role.external_id.as_deref(),
                plan.sts_region.as_deref(),
            )
            .await;
        }
        let collector = Collector::new(
            aws_sdk_kinesis::Client::new(&shared),
            aws_sdk_cloudwatch::Client::new(&shared),
            plan.collector_config(&spec),
        )
        .with_lambda(aws_sdk_lambda::Client::new(&shared))
        .with_sqs(aws_sdk_sqs::Client::new(&shared))
        .with_sns(aws_sdk_sns::Client::new(&shared));
        RegionRun {
            region: region.to_string(),
            collector,
            namespaces: spec.namespaces.iter().map(|n| n.namespace).collect(),
            spec,
            last: Cycle::default(),
            objects: Vec::new(),
            last_inventory: None,
            totals: ApiCalls::default(),
            errors: 0,
            last_success_ms: None,
            last_duration: Duration::ZERO,
            metrics_requested: 0,
        }
    }

    /// One cycle, and the inventory when it is due. Errors are reported and counted; the
    /// next cycle reads again what failed.
    async fn step(&mut self, inventory_interval: Duration) {
        let started = Instant::now();
        let mut cycle = self.collector.collect(now_ms()).await;
        self.totals.add(&cycle.calls);
        self.metrics_requested += cycle.metrics_requested;
        for e in &cycle.errors {
            eprintln!("streamwatch collect: {}: {e}", self.region);
        }
        if cycle.series_left_out > 0 {
            eprintln!(
                "streamwatch collect: {}: {} series of namespaces read through ListMetrics left out (more than {} a namespace)",
                self.region,
                cycle.series_left_out,
                self.collector.config().max_listed_series
            );
        }
        self.errors += cycle.errors.len() as u64;
        if self
            .last_inventory
            .is_none_or(|t| t.elapsed() >= inventory_interval)
        {
            let mut calls = ApiCalls::default();
            match self.inventory(&cycle, &mut calls).await {
                Ok(o) => {
                    self.objects = o;
                    self.last_inventory = Some(Instant::now());
                }
                Err(e) => {
                    eprintln!("streamwatch collect: {}: inventory: {e}", self.region);
                    self.errors += 1;
                }
            }
            self.totals.add(&calls);
        }
        if cycle.errors.is_empty() {
            self.last_success_ms = Some(now_ms());
        }
        self.last_duration = started.elapsed();
        if self.spec.yace && cycle.window.is_none() && cycle.errors.is_empty() {
            // No new period has ended: YACE shows the newest datapoints again.
            cycle.samples = std::mem::take(&mut self.last.samples);
        } else if self.spec.yace {
            self.answer_missing(&mut cycle);
        }
        self.keep_matching(&mut cycle);
        self.last = cycle;
    }

    /// YACE's `nilToZero`: a series asked for every resource found that CloudWatch did not
    /// answer is written as NaN, or 0 for the metrics that ask; a metric that carries
    /// CloudWatch's timestamps is left out instead.
    fn answer_missing(&self, cycle: &mut Cycle) {
        let answered: BTreeSet<SeriesKey> = cycle
            .samples
            .iter()
            .map(|s| {
                (
                    s.namespace.clone(),
                    s.metric.clone(),
                    s.statistic.to_string(),
                    s.dimensions.clone(),
                )
            })
            .collect();
        let mut missing = Vec::new();
        for ns in &self.spec.namespaces {
            let resources = match ns.namespace {
                Namespace::Kinesis => &cycle.streams,
                Namespace::Lambda => &cycle.functions,
                Namespace::Sqs => &cycle.queues,
                Namespace::Sns => &cycle.topics,
            };
            let specs = ns.metrics.clone().unwrap_or_default();
            for resource in resources {
                let dimensions = vec![(ns.namespace.dimension().to_string(), resource.clone())];
                for spec in &specs {
                    if self.spec.timestamped.contains(&spec.name) {
                        continue;
                    }
                    for statistic in &spec.statistics {
                        let key = (
                            ns.namespace.cloudwatch().to_string(),
                            spec.name.clone(),
                            statistic.to_string(),
                            dimensions.clone(),
                        );
                        if answered.contains(&key) {
                            continue;
                        }
                        missing.push(Sample {
                            namespace: key.0,
                            metric: key.1,
                            statistic: *statistic,
                            unit: metric_store::catalog::find(
                                ns.namespace.cloudwatch(),
                                &spec.name,
                            )
                            .map(|d| d.unit.as_str().to_string()),
                            dimensions: key.3,
                            region: self.region.clone(),
                            timestamp_ms: UNANSWERED,
                            value: if self.spec.nil_to_zero.contains(&spec.name) {
                                0.0
                            } else {
                                f64::NAN
                            },
                        });
                    }
                }
            }
        }
        cycle.samples.extend(missing);
    }

    /// Keeps a static job's one series, and the resources whose tags match YACE's
    /// `searchTags` patterns (their tags come from the inventory).
    fn keep_matching(&mut self, cycle: &mut Cycle) {
        if let Some(names) = &self.spec.dimension_names {
            let mut wanted: Vec<&str> = names.iter().map(String::as_str).collect();
            wanted.sort();
            cycle.samples.retain(|s| {
                let mut have: Vec<&str> = s.dimensions.iter().map(|(k, _)| k.as_str()).collect();
                have.sort();
                have == wanted
            });
        }
        if let Some(dims) = &self.spec.static_series {
            cycle.samples.retain(|s| {
                let mut d = s.dimensions.clone();
                d.sort();
                &d == dims
            });
            // A static job describes one series, not resources.
            self.objects.clear();
            return;
        }
        if self.spec.tag_patterns.is_empty() {
            return;
        }
        let patterns = &self.spec.tag_patterns;
        self.objects.retain(|o| {
            patterns
                .iter()
                .all(|(key, re)| o.tags.get(key).is_some_and(|v| re.is_match(v)))
        });
        let kept: BTreeSet<&str> = self.objects.iter().map(|o| o.name.as_str()).collect();
        cycle.samples.retain(|s| {
            s.dimensions
                .iter()
                .find(|(k, _)| {
                    self.spec
                        .namespaces
                        .iter()
                        .any(|n| n.namespace.dimension() == k)
                })
                .is_some_and(|(_, v)| kept.contains(v.as_str()))
        });
    }

    /// The inventory of the namespaces collected.
    async fn inventory(
        &self,
        cycle: &Cycle,
        calls: &mut ApiCalls,
    ) -> Result<Vec<InventoryObject>, cloudwatch_collector::CollectError> {
        let mut objects = Vec::new();
        if self.namespaces.contains(&Namespace::Kinesis) {
            objects.extend(self.collector.inventory(&cycle.streams, calls).await?);
        }
        if self.namespaces.contains(&Namespace::Lambda) {
            objects.extend(
                self.collector
                    .inventory_functions(&cycle.functions, calls)
                    .await?,
            );
        }
        if self.namespaces.contains(&Namespace::Sqs) {
            objects.extend(
                self.collector
                    .inventory_queues(&cycle.queues, &cycle.links, calls)
                    .await?,
            );
        }
        if self.namespaces.contains(&Namespace::Sns) {
            objects.extend(self.collector.inventory_topics(&cycle.topics));
        }
        Ok(objects)
    }

    /// The collector's own health in this region: counters of API calls and errors since the
    /// process started (cumulative across cycles, so `rate()` and `increase()` apply), and
    /// gauges describing the last cycle.
    fn health(&self) -> Vec<Gauge> {
        use metric_store::catalog::own::collector;
        let region = self.region.as_str();
        let mut out = Vec::new();
        for (op, n) in self.totals.by_operation() {
            out.push(Gauge::of(&collector::API_CALLS, &[op, region], n as f64));
        }
        out.push(Gauge::of(&collector::ERRORS, &[region], self.errors as f64));
        out.push(Gauge::of(
            &collector::METRICS_REQUESTED,
            &[region],
            self.metrics_requested as f64,
        ));
        let cycle = &self.last;
        let mut one = |metric, value: f64| out.push(Gauge::of(metric, &[region], value));
        one(
            &collector::CYCLE_METRICS_REQUESTED,
            cycle.metrics_requested as f64,
        );
        one(&collector::CYCLE_COST_USD, cycle.estimated_cost_usd());
        one(&collector::CYCLE_DURATION, self.last_duration.as_secs_f64());
        one(&collector::STREAMS, cycle.streams.len() as f64);
        one(&collector::FUNCTIONS, cycle.functions.len() as f64);
        if let Some(ms) = self.last_success_ms {
            one(&collector::LAST_SUCCESS, ms as f64 / 1000.0);
        }
        out
    }
}

/// What all regions gathered, ready to render.
struct Gathered {
    samples: Vec<Sample>,
    /// The YACE style's series CloudWatch did not answer (NaN, or 0 with `nilToZero`): for
    /// the Prometheus output only, as YACE shows them; the other outputs carry datapoints.
    unanswered: Vec<Sample>,
    objects: Vec<InventoryObject>,
    health: Vec<Gauge>,
}

fn gather(runs: &[RegionRun], yace: bool) -> Gathered {
    let mut g = Gathered {
        samples: Vec::new(),
        unanswered: Vec::new(),
        objects: Vec::new(),
        health: Vec::new(),
    };
    for run in runs {
        for sample in &run.last.samples {
            if sample.timestamp_ms == UNANSWERED {
                g.unanswered.push(sample.clone());
            } else {
                g.samples.push(sample.clone());
            }
        }
        g.objects.extend(run.objects.iter().cloned());
        g.health.extend(run.health());
    }
    if runs.len()
        > runs
            .iter()
            .map(|r| &r.region)
            .collect::<BTreeSet<_>>()
            .len()
    {
        g.health = merge_health(std::mem::take(&mut g.health));
    }
    if yace {
        use metric_store::catalog::own::yace;
        let mut totals = ApiCalls::default();
        for run in runs {
            totals.add(&run.totals);
        }
        for (op, n) in totals.by_operation() {
            if matches!(op, "GetMetricData" | "ListMetrics") {
                g.health.push(Gauge::of(&yace::REQUESTS, &[op], n as f64));
            }
        }
        let requested: u64 = runs.iter().map(|r| r.metrics_requested).sum();
        g.health
            .push(Gauge::of(&yace::METRICS_REQUESTED, &[], requested as f64));
    }
    g
}

/// The health of several collectors in one region (a YACE config's jobs) as one region's:
/// counts and the last cycles' figures added up, the oldest last success kept.
fn merge_health(health: Vec<Gauge>) -> Vec<Gauge> {
    use metric_store::catalog::own::collector::LAST_SUCCESS;
    let mut merged: BTreeMap<(String, Vec<(String, String)>), Gauge> = BTreeMap::new();
    for gauge in health {
        match merged.entry((gauge.name.clone(), gauge.labels.clone())) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(gauge);
            }
            std::collections::btree_map::Entry::Occupied(mut o) => {
                let old = o.get_mut();
                if gauge.name == LAST_SUCCESS.name {
                    old.value = old.value.min(gauge.value);
                } else {
                    old.value += gauge.value;
                }
            }
        }
    }
    merged.into_values().collect()
}

/// The namespace prefix EMF output re-publishes under unless the config names another.
const EMF_PREFIX: &str = "Streamwatch";

fn render(format: Format, g: &Gathered, prometheus: &metric_export::prometheus::Options) -> String {
    render_emf_as(format, g, EMF_PREFIX, prometheus)
}

fn render_emf_as(
    format: Format,
    g: &Gathered,
    emf_prefix: &str,
    prometheus: &metric_export::prometheus::Options,
) -> String {
    match format {
        Format::Emf => match metric_export::emf::encode_samples(&g.samples, emf_prefix) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("streamwatch collect: emf output: {e}");
                String::new()
            }
        },
        Format::Prometheus if g.unanswered.is_empty() => {
            metric_export::prometheus::encode_opts(&g.samples, &g.objects, &g.health, prometheus)
        }
        Format::Prometheus => {
            let mut samples = g.samples.clone();
            samples.extend(g.unanswered.iter().cloned());
            metric_export::prometheus::encode_opts(&samples, &g.objects, &g.health, prometheus)
        }
        Format::Line => metric_export::line::encode(&g.samples, &g.objects),
        Format::Json => {
            let mut out = metric_export::json::encode_samples(&g.samples);
            out.push_str(&metric_export::json::encode_objects(&g.objects));
            out
        }
    }
}

/// Runs one cycle in every region at once.
async fn step_all(runs: &mut [RegionRun], inventory_interval: Duration) {
    futures::future::join_all(runs.iter_mut().map(|r| r.step(inventory_interval))).await;
}

/// Runs `streamwatch collect`.
pub async fn run(args: CollectArgs) -> anyhow::Result<()> {
    let plan = Plan::new(&args).await?;
    let mut runs = Vec::new();
    for spec in plan.runs() {
        runs.push(RegionRun::new(&plan, spec).await);
    }
    let yace = plan.yace();
    let writers = http_writers(&plan.outputs)?;
    let mut configs = Vec::new();
    for region in &plan.regions {
        configs.push((region.clone(), plan.sdk_config(region).await));
    }
    let mut costs = crate::collect_cost::CostExports::new(
        &args.cost,
        configs.into_iter(),
        plan.interval,
        plan.inventory_interval,
    )
    .await?;

    if args.once {
        // The inventory is always read with --once.
        step_all(&mut runs, Duration::ZERO).await;
        costs
            .refresh(runs.iter().map(|r| r.last.metrics_requested))
            .await;
        let mut g = gather(&runs, yace);
        g.health.extend(costs.gauges());
        print!("{}", render(args.format, &g, &plan.prometheus));
        let mut failed = write_outputs(&plan.outputs, &writers, &g, &plan.prometheus).await;
        for run in &runs {
            let c = &run.last;
            eprintln!(
                "streamwatch collect: {}: {} streams, {} functions, {} queues, {} topics, {} samples, {} API calls, {} metrics requested (~${:.6})",
                run.region,
                c.streams.len(),
                c.functions.len(),
                c.queues.len(),
                c.topics.len(),
                c.samples.len(),
                run.totals.total(),
                c.metrics_requested,
                c.estimated_cost_usd()
            );
            failed += run.errors;
        }
        if failed > 0 {
            bail!("the cycle had {failed} errors");
        }
        return Ok(());
    }

    let page = Arc::new(RwLock::new(String::new()));
    for output in &plan.outputs {
        let Output::Prometheus(addr) = output else {
            continue;
        };
        serve_page(*addr, page.clone()).await?;
    }
    let mut ticker = tokio::time::interval(plan.interval);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
        step_all(&mut runs, plan.inventory_interval).await;
        costs
            .refresh(runs.iter().map(|r| r.last.metrics_requested))
            .await;
        let mut g = gather(&runs, yace);
        g.health.extend(costs.gauges());
        *page.write() = render(Format::Prometheus, &g, &plan.prometheus);
        let failed = write_outputs(&plan.outputs, &writers, &g, &plan.prometheus).await;
        if let Some(first) = runs.first_mut() {
            // Output failures are the collector's own; they count in the first region.
            first.errors += failed;
        }
    }
}

/// Serves the latest rendered page as `/metrics` on `addr`.
async fn serve_page(addr: SocketAddr, page: Arc<RwLock<String>>) -> anyhow::Result<()> {
    let app = metrics_router(page);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    eprintln!(
        "streamwatch collect: serving http://{}/metrics",
        listener.local_addr()?
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(())
}

/// What an HTTP writer is sent each cycle.
#[derive(Clone, Copy, Debug)]
enum Body {
    /// Samples and inventory as InfluxDB line protocol.
    Line,
    /// Samples as DataKit metric line protocol.
    DatakitMetrics,
    /// The inventory as DataKit custom objects.
    DatakitObjects,
}

/// The writers of the InfluxDB and DataKit outputs, in output order (a DataKit has two: its
/// metric and custom-object endpoints).
fn http_writers(outputs: &[Output]) -> anyhow::Result<Vec<(Body, influx_write::InfluxWriter)>> {
    let writer = |url: String, o: Option<&crate::collect_config::InfluxOutput>| {
        influx_write::InfluxWriter::new(influx_write::WriterConfig {
            url,
            token: o.and_then(|o| o.token.clone()),
            username: o.and_then(|o| o.username.clone()),
            password: o.and_then(|o| o.password.clone()),
            timeout: Duration::from_secs(10),
            gzip: o.is_some_and(|o| o.gzip),
        })
    };
    let mut writers = Vec::new();
    for output in outputs {
        match output {
            Output::Influx(o) => writers.push((
                Body::Line,
                writer(o.url.clone(), Some(o))
                    .with_context(|| format!("influxdb output {}", o.url))?,
            )),
            Output::Datakit(url) => {
                for (body, endpoint) in [
                    (
                        Body::DatakitMetrics,
                        metric_export::datakit::metric_url(url),
                    ),
                    (
                        Body::DatakitObjects,
                        metric_export::datakit::custom_object_url(url),
                    ),
                ] {
                    writers.push((
                        body,
                        writer(endpoint, None).with_context(|| format!("datakit output {url}"))?,
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(writers)
}

/// Writes the cycle to every file, InfluxDB and DataKit output; returns how many failed (each
/// is reported, and the others still written).
async fn write_outputs(
    outputs: &[Output],
    writers: &[(Body, influx_write::InfluxWriter)],
    g: &Gathered,
    prometheus: &metric_export::prometheus::Options,
) -> u64 {
    let mut failed = 0;
    if let Err(e) = write_files(outputs, g, prometheus) {
        eprintln!("streamwatch collect: {e:#}");
        failed += 1;
    }
    for (body, writer) in writers {
        let (text, name) = match body {
            Body::Line => (render(Format::Line, g, prometheus), "influxdb"),
            Body::DatakitMetrics => (
                metric_export::datakit::encode_metrics(&g.samples),
                "datakit",
            ),
            Body::DatakitObjects => (
                metric_export::datakit::encode_objects(&g.objects),
                "datakit",
            ),
        };
        if let Err(e) = writer.write(&text).await {
            eprintln!("streamwatch collect: {name} output: {e}");
            failed += 1;
        }
    }
    failed
}

/// Appends the cycle to every file output (`-` is stdout).
fn write_files(
    outputs: &[Output],
    g: &Gathered,
    prometheus: &metric_export::prometheus::Options,
) -> anyhow::Result<()> {
    use std::io::Write as _;
    for output in outputs {
        let (format, path, prefix) = match output {
            Output::Prometheus(_) | Output::Influx(_) | Output::Datakit(_) => continue,
            Output::Line(path) => (Format::Line, path, EMF_PREFIX),
            Output::Json(path) => (Format::Json, path, EMF_PREFIX),
            Output::Emf { path, prefix } => (Format::Emf, path, prefix.as_str()),
        };
        let text = render_emf_as(format, g, prefix, prometheus);
        if path == "-" {
            print!("{text}");
        } else {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("opening {path}"))?;
            file.write_all(text.as_bytes())
                .with_context(|| format!("writing {path}"))?;
        }
    }
    Ok(())
}

/// The collector configuration `streamwatch collect --namespace <namespaces>` builds for
/// `region`, every other flag at its default (`bench collect` measures these default sets).
pub(crate) async fn default_collector_config(
    namespaces: &[&str],
    region: &str,
) -> anyhow::Result<CollectorConfig> {
    #[derive(clap::Parser)]
    struct Command {
        #[command(flatten)]
        args: CollectArgs,
    }
    let namespaces = namespaces.join(",");
    let command = <Command as clap::Parser>::try_parse_from([
        "collect",
        "--namespace",
        &namespaces,
        "--region",
        region,
    ])?;
    let plan = Plan::new(&command.args).await?;
    let run = plan
        .runs()
        .into_iter()
        .next()
        .context("no region to collect")?;
    Ok(plan.collector_config(&run))
}
