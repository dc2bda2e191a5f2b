//! `streamwatch collect`: the `AWS/Kinesis` metrics and the stream inventory from an endpoint
//! (the embedded engine by default), printed once or served as Prometheus `/metrics`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use cloudwatch_collector::{ApiCalls, Collector, CollectorConfig, Cycle, Namespace};
use metric_export::{Gauge, InventoryObject};

use crate::collect_config::Output;
use parking_lot::RwLock;

/// How output is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Prometheus text exposition.
    Prometheus,
    /// InfluxDB line protocol.
    Line,
    /// JSON lines: samples, then inventory objects.
    Json,
}

/// Arguments of `streamwatch collect`.
#[derive(Args, Debug)]
pub struct CollectArgs {
    /// The endpoint serving Kinesis and CloudWatch: the embedded engine by default.
    #[arg(long, default_value = "http://127.0.0.1:4567")]
    endpoint: String,
    /// Region to sign for and to name in every sample.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
    /// Namespaces to collect, comma-separated: `aws_kinesis`, `aws_lambda`.
    #[arg(long, value_delimiter = ',', default_value = "aws_kinesis")]
    namespace: Vec<String>,
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
    /// How often the inventory is refreshed.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    inventory_interval: Duration,
    /// Print one cycle to stdout and exit.
    #[arg(long)]
    once: bool,
    /// Output format with `--once` (and on stdout for line/json without it).
    #[arg(long, value_enum, default_value_t = Format::Prometheus)]
    format: Format,
    /// Where `/metrics` is served without `--once`.
    #[arg(long, default_value = "127.0.0.1:9107")]
    listen: SocketAddr,
    /// A TOML file with these settings, per-namespace metric sets and several outputs; what
    /// it names replaces the flags (see `collect_config.rs` for the format).
    #[arg(long)]
    config: Option<std::path::PathBuf>,
}

/// The settings of a run, from the flags and the config file.
struct Plan {
    endpoint: String,
    region: String,
    interval: Duration,
    period: i64,
    delay: Duration,
    inventory_interval: Duration,
    namespaces: Vec<Namespace>,
    kinesis_metrics: Option<Vec<cloudwatch_collector::MetricSpec>>,
    lambda_metrics: Option<Vec<cloudwatch_collector::MetricSpec>>,
    outputs: Vec<Output>,
}

impl Plan {
    fn new(args: &CollectArgs) -> anyhow::Result<Plan> {
        let mut namespaces = Vec::new();
        for ns in &args.namespace {
            match Namespace::from_flag(ns) {
                Some(n) => namespaces.push(n),
                None => bail!("unknown namespace {ns:?}: use aws_kinesis and/or aws_lambda"),
            }
        }
        let mut plan = Plan {
            endpoint: args.endpoint.clone(),
            region: args.region.clone(),
            interval: args.interval,
            period: 0,
            delay: args.delay,
            inventory_interval: args.inventory_interval,
            namespaces,
            kinesis_metrics: None,
            lambda_metrics: None,
            outputs: vec![Output::Prometheus(args.listen)],
        };
        let mut period = args.period;
        if let Some(path) = &args.config {
            let file = crate::collect_config::load(path, parse_duration)?;
            plan.endpoint = file.endpoint.unwrap_or(plan.endpoint);
            plan.region = file.region.unwrap_or(plan.region);
            plan.interval = file.interval.unwrap_or(plan.interval);
            period = file.period.or(period);
            plan.delay = file.delay.unwrap_or(plan.delay);
            plan.inventory_interval = file.inventory_interval.unwrap_or(plan.inventory_interval);
            if !file.namespaces.is_empty() {
                plan.namespaces = file.namespaces.iter().map(|(n, _)| *n).collect();
                for (ns, metrics) in file.namespaces {
                    match ns {
                        Namespace::Kinesis => plan.kinesis_metrics = metrics,
                        Namespace::Lambda => plan.lambda_metrics = metrics,
                    }
                }
            }
            if !file.outputs.is_empty() {
                plan.outputs = file.outputs;
            }
        }
        plan.period = period.unwrap_or_else(|| plan.interval.as_secs().max(1) as i64);
        Ok(plan)
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let (num, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = num
        .parse()
        .map_err(|_| format!("not a duration: {text:?} (e.g. 60s, 500ms, 2m)"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "" | "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        _ => Err(format!("unknown unit in {text:?}: use ms, s, m or h")),
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn clients(
    args: &Plan,
) -> (
    aws_sdk_kinesis::Client,
    aws_sdk_cloudwatch::Client,
    aws_sdk_lambda::Client,
) {
    // Credentials from the environment when set; any value works for the embedded engine.
    let key = std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_else(|_| "streamwatch".into());
    let secret = std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|_| "streamwatch".into());
    let token = std::env::var("AWS_SESSION_TOKEN").ok();
    let kinesis = aws_sdk_kinesis::Config::builder()
        .behavior_version(aws_sdk_kinesis::config::BehaviorVersion::latest())
        .region(aws_sdk_kinesis::config::Region::new(args.region.clone()))
        .credentials_provider(aws_sdk_kinesis::config::Credentials::new(
            key.clone(),
            secret.clone(),
            token.clone(),
            None,
            "environment",
        ))
        .endpoint_url(&args.endpoint)
        .build();
    let cloudwatch = aws_sdk_cloudwatch::Config::builder()
        .behavior_version(aws_sdk_cloudwatch::config::BehaviorVersion::latest())
        .region(aws_sdk_cloudwatch::config::Region::new(args.region.clone()))
        .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new(
            key,
            secret,
            token,
            None,
            "environment",
        ))
        .endpoint_url(&args.endpoint)
        .build();
    let lambda = aws_sdk_lambda::Config::builder()
        .behavior_version(aws_sdk_lambda::config::BehaviorVersion::latest())
        .region(aws_sdk_lambda::config::Region::new(args.region.clone()))
        .credentials_provider(aws_sdk_lambda::config::Credentials::new(
            std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_else(|_| "streamwatch".into()),
            std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|_| "streamwatch".into()),
            std::env::var("AWS_SESSION_TOKEN").ok(),
            None,
            "environment",
        ))
        .endpoint_url(&args.endpoint)
        .build();
    (
        aws_sdk_kinesis::Client::from_conf(kinesis),
        aws_sdk_cloudwatch::Client::from_conf(cloudwatch),
        aws_sdk_lambda::Client::from_conf(lambda),
    )
}

/// The collector's own health as gauges.
fn health(cycle: &Cycle, totals: &ApiCalls, errors: u64, region: &str) -> Vec<Gauge> {
    let gauge = |name: &str, help: &str, labels: Vec<(String, String)>, value: f64| Gauge {
        name: name.to_string(),
        help: help.to_string(),
        labels,
        value,
    };
    let region = ("region".to_string(), region.to_string());
    let mut out = Vec::new();
    for (op, n) in [
        ("ListStreams", totals.list_streams),
        ("GetMetricData", totals.get_metric_data),
        ("DescribeStreamSummary", totals.describe_stream_summary),
        ("ListTagsForStream", totals.list_tags_for_stream),
        ("ListFunctions", totals.list_functions),
        ("ListTags", totals.list_tags),
        ("ListEventSourceMappings", totals.list_event_source_mappings),
    ] {
        out.push(gauge(
            "streamwatch_collector_api_calls",
            "API calls the collector made since it started, by operation.",
            vec![("operation".to_string(), op.to_string()), region.clone()],
            n as f64,
        ));
    }
    out.push(gauge(
        "streamwatch_collector_errors",
        "Failed API calls since the collector started.",
        vec![region.clone()],
        errors as f64,
    ));
    out.push(gauge(
        "streamwatch_collector_cycle_metrics_requested",
        "Metrics the last cycle requested from GetMetricData (what CloudWatch bills).",
        vec![region.clone()],
        cycle.metrics_requested as f64,
    ));
    out.push(gauge(
        "streamwatch_collector_cycle_cost_usd",
        "Estimated CloudWatch cost of the last cycle, in US dollars.",
        vec![region.clone()],
        cycle.estimated_cost_usd(),
    ));
    out.push(gauge(
        "streamwatch_collector_streams",
        "Streams found by the last discovery.",
        vec![region],
        cycle.streams.len() as f64,
    ));
    out
}

fn render(format: Format, cycle: &Cycle, objects: &[InventoryObject], health: &[Gauge]) -> String {
    match format {
        Format::Prometheus => metric_export::prometheus::encode(&cycle.samples, objects, health),
        Format::Line => metric_export::line::encode(&cycle.samples, objects),
        Format::Json => {
            let mut out = metric_export::json::encode_samples(&cycle.samples);
            out.push_str(&metric_export::json::encode_objects(objects));
            out
        }
    }
}

/// The inventory of the namespaces collected.
async fn inventory(
    collector: &Collector,
    namespaces: &[Namespace],
    cycle: &Cycle,
    calls: &mut ApiCalls,
) -> Result<Vec<InventoryObject>, cloudwatch_collector::CollectError> {
    let mut objects = Vec::new();
    if namespaces.contains(&Namespace::Kinesis) {
        objects.extend(collector.inventory(&cycle.streams, calls).await?);
    }
    if namespaces.contains(&Namespace::Lambda) {
        objects.extend(collector.inventory_functions(calls).await?);
    }
    Ok(objects)
}

/// Runs `streamwatch collect`.
pub async fn run(args: CollectArgs) -> anyhow::Result<()> {
    let plan = Plan::new(&args)?;
    let namespaces = plan.namespaces.clone();
    let (kinesis, cloudwatch, lambda) = clients(&plan);
    let period = plan.period;
    let mut config = CollectorConfig {
        region: plan.region.clone(),
        period_secs: period,
        delay: plan.delay,
        first_window: Duration::from_secs(period.max(1) as u64),
        namespaces: namespaces.clone(),
        ..CollectorConfig::default()
    };
    if let Some(m) = plan.kinesis_metrics.clone() {
        config.metrics = m;
    }
    if let Some(m) = plan.lambda_metrics.clone() {
        config.lambda_metrics = m;
    }
    let mut collector = Collector::new(kinesis, cloudwatch, config).with_lambda(lambda);
    let mut totals = ApiCalls::default();
    let mut errors = 0u64;

    if args.once {
        let cycle = collector.collect(now_ms()).await;
        let mut calls = cycle.calls.clone();
        let objects = inventory(&collector, &namespaces, &cycle, &mut calls).await;
        totals.add(&calls);
        let objects = match objects {
            Ok(o) => o,
            Err(e) => {
                eprintln!("streamwatch collect: inventory: {e}");
                errors += 1;
                Vec::new()
            }
        };
        for e in &cycle.errors {
            eprintln!("streamwatch collect: {e}");
        }
        errors += cycle.errors.len() as u64;
        let health = health(&cycle, &totals, errors, &plan.region);
        print!("{}", render(args.format, &cycle, &objects, &health));
        write_files(&plan.outputs, &cycle, &objects, &health)?;
        eprintln!(
            "streamwatch collect: {} streams, {} functions, {} samples, {} API calls, {} metrics requested (~${:.6})",
            cycle.streams.len(),
            cycle.functions.len(),
            cycle.samples.len(),
            totals.total(),
            cycle.metrics_requested,
            cycle.estimated_cost_usd()
        );
        if !cycle.errors.is_empty() {
            bail!("the cycle had {} errors", cycle.errors.len());
        }
        return Ok(());
    }

    let page = Arc::new(RwLock::new(String::new()));
    for output in &plan.outputs {
        let Output::Prometheus(addr) = output else {
            continue;
        };
        let served = page.clone();
        let app = axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || {
                let page = served.clone();
                async move {
                    let body = page.read().clone();
                    (
                        [(
                            axum::http::header::CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8",
                        )],
                        body,
                    )
                }
            }),
        );
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
    }
    let mut objects: Vec<InventoryObject> = Vec::new();
    let mut last_inventory: Option<Instant> = None;
    let mut ticker = tokio::time::interval(plan.interval);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
        let cycle = collector.collect(now_ms()).await;
        totals.add(&cycle.calls);
        for e in &cycle.errors {
            eprintln!("streamwatch collect: {e}");
        }
        errors += cycle.errors.len() as u64;
        if last_inventory.is_none_or(|t| t.elapsed() >= plan.inventory_interval) {
            let mut calls = ApiCalls::default();
            match inventory(&collector, &namespaces, &cycle, &mut calls).await {
                Ok(o) => {
                    objects = o;
                    last_inventory = Some(Instant::now());
                }
                Err(e) => {
                    eprintln!("streamwatch collect: inventory: {e}");
                    errors += 1;
                }
            }
            totals.add(&calls);
        }
        let health = health(&cycle, &totals, errors, &plan.region);
        *page.write() = render(Format::Prometheus, &cycle, &objects, &health);
        if let Err(e) = write_files(&plan.outputs, &cycle, &objects, &health) {
            eprintln!("streamwatch collect: {e:#}");
            errors += 1;
        }
    }
}

/// Appends the cycle to every file output (`-` is stdout).
fn write_files(
    outputs: &[Output],
    cycle: &Cycle,
    objects: &[InventoryObject],
    health: &[Gauge],
) -> anyhow::Result<()> {
    use std::io::Write as _;
    for output in outputs {
        let (format, path) = match output {
            Output::Prometheus(_) => continue,
            Output::Line(path) => (Format::Line, path),
            Output::Json(path) => (Format::Json, path),
        };
        let text = render(format, cycle, objects, health);
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
