//! `streamwatch collect`: a pipeline's metrics (`AWS/Kinesis`, `AWS/Lambda`, `AWS/SQS`,
//! `AWS/SNS`, the `KinesisLambdaPipeline` namespace lambda-kinesis-handler writes, and any
//! other namespace read through ListMetrics, `LambdaInsights` among them) and the inventory
//! of its streams, functions, queues and topics, from one or several regions of an endpoint
//! (the embedded engine by default, AWS itself with `--endpoint aws`), printed once or served
//! as Prometheus `/metrics` and written to files, InfluxDB write endpoints and Guance
//! DataKits every cycle.
//!
//! Credentials come from the standard AWS chain (environment, shared profile, SSO, web
//! identity, container and instance metadata) through aws-config. Against an endpoint URL
//! with no credentials configured anywhere, fixed local ones are used, so the embedded
//! engine needs no setup. Secrets are never logged.

use std::collections::BTreeMap;
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

use crate::collect_config::{NamespaceSettings, Output};
use crate::duration_arg::parse_duration;
use crate::metrics_page::metrics_router;
use crate::sdk::sdk_config;
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

/// The `--endpoint` value that means AWS's own endpoints for each region.
const AWS: &str = "aws";

/// Arguments of `streamwatch collect`.
#[derive(Args, Debug)]
pub struct CollectArgs {
    /// The endpoint serving Kinesis, CloudWatch and Lambda: the embedded engine by default,
    /// `aws` for AWS's endpoints in each region.
    #[arg(long, default_value = "http://127.0.0.1:4567")]
    endpoint: String,
    /// Regions to collect, comma-separated; each is collected on its own, and one failing
    /// does not stop the others.
    #[arg(
        long,
        env = "AWS_REGION",
        value_delimiter = ',',
        default_value = "us-east-1"
    )]
    region: Vec<String>,
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
    /// several outputs; what it names replaces the flags (see `collect_config.rs`).
    #[arg(long)]
    config: Option<std::path::PathBuf>,
    #[command(flatten)]
    cost: crate::collect_cost::CollectCostArgs,
}

/// The settings of a run, from the flags and the config file.
struct Plan {
    endpoint: String,
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
}

impl Plan {
    fn new(args: &CollectArgs) -> anyhow::Result<Plan> {
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
        };
        if let Some(url) = &args.datakit_url {
            plan.outputs.push(Output::Datakit(url.clone()));
        }
        let mut period = args.period;
        if let Some(path) = &args.config {
            let file = crate::collect_config::load(path, parse_duration)?;
            plan.endpoint = file.endpoint.unwrap_or(plan.endpoint);
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
        }
        plan.regions.retain(|r| !r.is_empty());
        plan.regions.dedup();
        if plan.regions.is_empty() {
            bail!("no region to collect");
        }
        plan.period = period.unwrap_or_else(|| plan.interval.as_secs().max(1) as i64);
        Ok(plan)
    }

    /// The endpoint URL for a region, or `None` for AWS's own.
    fn endpoint(&self, region: &str) -> Option<&str> {
        let url = self.endpoints.get(region).unwrap_or(&self.endpoint);
        (url != AWS).then_some(url.as_str())
    }

    fn namespaces(&self) -> Vec<Namespace> {
        self.namespaces.iter().map(|n| n.namespace).collect()
    }

    /// The collector's configuration for one region.
    fn collector_config(&self, region: &str) -> CollectorConfig {
        let mut config = CollectorConfig {
            region: region.to_string(),
            period_secs: self.period,
            delay: self.delay,
            first_window: self
                .lookback
                .unwrap_or(Duration::from_secs(self.period.max(1) as u64)),
            namespaces: self.namespaces(),
            tag_refresh: self.inventory_interval,
            account_name: self.account_name.clone(),
            listed: self.listed.clone(),
            consumer_metrics: cloudwatch_collector::default_consumer_metrics(),
            lambda_account_metrics: cloudwatch_collector::default_lambda_account_metrics(),
            pipeline_links: true,
            ..CollectorConfig::default()
        };
        for ns in &self.namespaces {
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
                        config.lambda_metrics = m.clone();
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

/// One region's collector and what it has gathered.
struct RegionRun {
    region: String,
    collector: Collector,
    namespaces: Vec<Namespace>,
    last: Cycle,
    objects: Vec<InventoryObject>,
    last_inventory: Option<Instant>,
    totals: ApiCalls,
    errors: u64,
    last_success_ms: Option<i64>,
    last_duration: Duration,
}

impl RegionRun {
    async fn new(plan: &Plan, region: &str) -> RegionRun {
        let shared = sdk_config(region, plan.endpoint(region)).await;
        let collector = Collector::new(
            aws_sdk_kinesis::Client::new(&shared),
            aws_sdk_cloudwatch::Client::new(&shared),
            plan.collector_config(region),
        )
        .with_lambda(aws_sdk_lambda::Client::new(&shared))
        .with_sqs(aws_sdk_sqs::Client::new(&shared))
        .with_sns(aws_sdk_sns::Client::new(&shared));
        RegionRun {
            region: region.to_string(),
            collector,
            namespaces: plan.namespaces(),
            last: Cycle::default(),
            objects: Vec::new(),
            last_inventory: None,
            totals: ApiCalls::default(),
            errors: 0,
            last_success_ms: None,
            last_duration: Duration::ZERO,
        }
    }

    /// One cycle, and the inventory when it is due. Errors are reported and counted; the
    /// next cycle reads again what failed.
    async fn step(&mut self, inventory_interval: Duration) {
        let started = Instant::now();
        let cycle = self.collector.collect(now_ms()).await;
        self.totals.add(&cycle.calls);
        for e in &cycle.errors {
            eprintln!("streamwatch collect: {}: {e}", self.region);
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
        self.last = cycle;
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
    objects: Vec<InventoryObject>,
    health: Vec<Gauge>,
}

fn gather(runs: &[RegionRun]) -> Gathered {
    let mut g = Gathered {
        samples: Vec::new(),
        objects: Vec::new(),
        health: Vec::new(),
    };
    for run in runs {
        g.samples.extend(run.last.samples.iter().cloned());
        g.objects.extend(run.objects.iter().cloned());
        g.health.extend(run.health());
    }
    g
}

/// The namespace prefix EMF output re-publishes under unless the config names another.
const EMF_PREFIX: &str = "Streamwatch";

fn render(format: Format, g: &Gathered) -> String {
    render_emf_as(format, g, EMF_PREFIX)
}

fn render_emf_as(format: Format, g: &Gathered, emf_prefix: &str) -> String {
    match format {
        Format::Emf => match metric_export::emf::encode_samples(&g.samples, emf_prefix) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("streamwatch collect: emf output: {e}");
                String::new()
            }
        },
        Format::Prometheus => metric_export::prometheus::encode(&g.samples, &g.objects, &g.health),
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
    let plan = Plan::new(&args)?;
    let mut runs = Vec::new();
    for region in &plan.regions {
        runs.push(RegionRun::new(&plan, region).await);
    }
    let writers = http_writers(&plan.outputs)?;
    let regions = plan.regions.iter();
    let endpoints = regions.map(|r| (r.clone(), plan.endpoint(r).map(str::to_string)));
    let mut costs = crate::collect_cost::CostExports::new(
        &args.cost,
        endpoints,
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
        let mut g = gather(&runs);
        g.health.extend(costs.gauges());
        print!("{}", render(args.format, &g));
        let mut failed = write_outputs(&plan.outputs, &writers, &g).await;
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
        let mut g = gather(&runs);
        g.health.extend(costs.gauges());
        *page.write() = render(Format::Prometheus, &g);
        let failed = write_outputs(&plan.outputs, &writers, &g).await;
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
) -> u64 {
    let mut failed = 0;
    if let Err(e) = write_files(outputs, g) {
        eprintln!("streamwatch collect: {e:#}");
        failed += 1;
    }
    for (body, writer) in writers {
        let (text, name) = match body {
            Body::Line => (render(Format::Line, g), "influxdb"),
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
fn write_files(outputs: &[Output], g: &Gathered) -> anyhow::Result<()> {
    use std::io::Write as _;
    for output in outputs {
        let (format, path, prefix) = match output {
            Output::Prometheus(_) | Output::Influx(_) | Output::Datakit(_) => continue,
            Output::Line(path) => (Format::Line, path, EMF_PREFIX),
            Output::Json(path) => (Format::Json, path, EMF_PREFIX),
            Output::Emf { path, prefix } => (Format::Emf, path, prefix.as_str()),
        };
        let text = render_emf_as(format, g, prefix);
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
pub(crate) fn default_collector_config(
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
    Ok(Plan::new(&command.args)?.collector_config(region))
}
