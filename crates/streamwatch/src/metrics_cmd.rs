//! `streamwatch metrics`: what metrics there are, and a statistic over time, from the embedded
//! engine or any CloudWatch endpoint, as a table or JSON.

use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::primitives::{DateTime, DateTimeFormat};
use aws_sdk_cloudwatch::types::{
    Dimension, DimensionFilter, Metric, MetricDataQuery, MetricStat, ScanBy,
};
use clap::{Args, Subcommand};

/// Options of `streamwatch metrics`.
#[derive(Args, Debug)]
pub struct MetricsArgs {
    #[command(subcommand)]
    command: MetricsCommand,
    /// The CloudWatch endpoint (the engine by default, AWS with `--endpoint aws`), region
    /// and profile, on the same credential chain as `collect`.
    #[command(flatten)]
    aws: crate::sdk::AwsArgs,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand, Debug)]
enum MetricsCommand {
    /// List the metrics that have data (ListMetrics).
    List {
        /// Only this namespace, e.g. AWS/Kinesis.
        #[arg(long)]
        namespace: Option<String>,
        /// Only this metric name.
        #[arg(long)]
        metric: Option<String>,
        /// Only metrics with this dimension: NAME or NAME=VALUE (repeatable).
        #[arg(long = "dimension")]
        dimensions: Vec<String>,
    },
    /// Print one statistic of one metric over time (GetMetricData).
    Get {
        /// The namespace, e.g. AWS/Kinesis.
        #[arg(long, default_value = "AWS/Kinesis")]
        namespace: String,
        /// The metric name, e.g. IncomingBytes.
        #[arg(long)]
        metric: String,
        /// A dimension NAME=VALUE (repeatable), e.g. StreamName=orders.
        #[arg(long = "dimension")]
        dimensions: Vec<String>,
        /// The statistic: Sum, Average, Minimum, Maximum, SampleCount or pNN.
        #[arg(long, default_value = "Sum")]
        stat: String,
        /// Period in seconds (1, 5, 10, 20, 30 or a multiple of 60).
        #[arg(long, default_value_t = 60)]
        period: i32,
        /// How far back to look, in minutes.
        #[arg(long, default_value_t = 60)]
        since_minutes: u64,
    },
    /// Print the catalogue of metrics streamwatch publishes (Markdown).
    Catalog,
}

/// The CloudWatch client, and how messages name where it reads.
async fn client(args: &MetricsArgs) -> (Client, String) {
    let (config, region) = args.aws.sdk_config().await;
    (Client::new(&config), args.aws.endpoint().describe(&region))
}

fn split_dimension(text: &str) -> (String, Option<String>) {
    match text.split_once('=') {
        Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
        None => (text.to_owned(), None),
    }
}

fn iso(t: &DateTime) -> String {
    t.fmt(DateTimeFormat::DateTime)
        .unwrap_or_else(|_| t.secs().to_string())
}

/// Runs `streamwatch metrics`.
pub async fn run(args: MetricsArgs) -> anyhow::Result<()> {
    match &args.command {
        MetricsCommand::Catalog => {
            print!("{}", metric_store::catalog::markdown());
            Ok(())
        }
        MetricsCommand::List {
            namespace,
            metric,
            dimensions,
        } => {
            let (c, source) = client(&args).await;
            let mut req = c
                .list_metrics()
                .set_namespace(namespace.clone())
                .set_metric_name(metric.clone());
            for d in dimensions {
                let (name, value) = split_dimension(d);
                req = req.dimensions(
                    DimensionFilter::builder()
                        .name(name)
                        .set_value(value)
                        .build(),
                );
            }
            let mut pages = req.into_paginator().send();
            let mut rows = Vec::new();
            while let Some(page) = pages.next().await {
                let page = page.with_context(|| format!("ListMetrics at {source}"))?;
                for m in page.metrics() {
                    let dims: Vec<String> = m
                        .dimensions()
                        .iter()
                        .map(|d| format!("{}={}", d.name().unwrap_or(""), d.value().unwrap_or("")))
                        .collect();
                    rows.push((
                        m.namespace().unwrap_or("").to_owned(),
                        m.metric_name().unwrap_or("").to_owned(),
                        dims,
                    ));
                }
            }
            if args.json {
                for (ns, name, dims) in &rows {
                    println!(
                        "{}",
                        serde_json::json!({"namespace": ns, "metric": name, "dimensions": dims})
                    );
                }
            } else {
                let w_ns = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(9);
                let w_name = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(6);
                println!("{:w_ns$}  {:w_name$}  DIMENSIONS", "NAMESPACE", "METRIC");
                for (ns, name, dims) in &rows {
                    println!("{ns:w_ns$}  {name:w_name$}  {}", dims.join(","));
                }
            }
            Ok(())
        }
        MetricsCommand::Get {
            namespace,
            metric,
            dimensions,
            stat,
            period,
            since_minutes,
        } => {
            let (c, source) = client(&args).await;
            let mut m = Metric::builder().namespace(namespace).metric_name(metric);
            for d in dimensions {
                let (name, value) = split_dimension(d);
                let Some(value) = value else {
                    bail!("--dimension needs NAME=VALUE, got {d}")
                };
                m = m.dimensions(Dimension::builder().name(name).value(value).build());
            }
            let now = SystemTime::now();
            let start = now - Duration::from_secs(since_minutes * 60);
            let query = MetricDataQuery::builder()
                .id("q")
                .metric_stat(
                    MetricStat::builder()
                        .metric(m.build())
                        .period(*period)
                        .stat(stat)
                        .build(),
                )
                .build();
            let mut pages = c
                .get_metric_data()
                .metric_data_queries(query)
                .start_time(DateTime::from(start))
                .end_time(DateTime::from(now))
                .scan_by(ScanBy::TimestampAscending)
                .into_paginator()
                .send();
            let mut points: Vec<(DateTime, f64)> = Vec::new();
            let mut label = metric.clone();
            while let Some(page) = pages.next().await {
                let page = page.with_context(|| format!("GetMetricData at {source}"))?;
                for r in page.metric_data_results() {
                    if let Some(l) = r.label() {
                        label = l.to_owned();
                    }
                    points.extend(
                        r.timestamps()
                            .iter()
                            .copied()
                            .zip(r.values().iter().copied()),
                    );
                }
            }
            if args.json {
                for (t, v) in &points {
                    println!(
                        "{}",
                        serde_json::json!({"timestamp": iso(t), "metric": metric, "stat": stat, "value": v})
                    );
                }
            } else {
                println!("{label} ({stat}, {period} s)");
                println!("{:24}  VALUE", "TIMESTAMP");
                for (t, v) in &points {
                    println!("{:24}  {v}", iso(t));
                }
                if points.is_empty() {
                    println!("(no datapoints in the last {since_minutes} minutes)");
                }
            }
            Ok(())
        }
    }
}
