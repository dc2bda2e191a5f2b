//! `streamwatch dashboard`: the pipeline's dashboard for a stream and its function, generated
//! as a CloudWatch body or Grafana JSON (`generate`, no network), or put on CloudWatch, the
//! engine's or AWS's (`apply`). What goes in them is `dashboards::generate`'s.

use std::path::PathBuf;

use anyhow::Context;
use aws_sdk_cloudwatch::operation::put_dashboard::PutDashboardError;
use clap::{Args, Subcommand, ValueEnum};
use dashboards::generate::{self, GrafanaSource, Target as Pipeline};

use crate::function_cmd::Target;

/// `streamwatch dashboard ...`.
#[derive(Args, Debug)]
pub struct DashboardArgs {
    #[command(subcommand)]
    command: DashboardCommand,
}

#[derive(Subcommand, Debug)]
enum DashboardCommand {
    /// Write the dashboard for a stream and its function: a CloudWatch dashboard body, or
    /// Grafana JSON on Prometheus (`streamwatch collect`'s and the client's metrics) or on
    /// Grafana's CloudWatch data source.
    Generate(GenerateArgs),
    /// Put the CloudWatch dashboard for a stream and its function on the engine or AWS
    /// (PutDashboard), with an alarm widget for the alarms that name them.
    Apply(ApplyArgs),
}

/// What the dashboard shows.
#[derive(Args, Debug, Clone)]
struct What {
    /// The Kinesis stream.
    #[arg(long)]
    stream: String,
    /// The Lambda function that reads it.
    #[arg(long)]
    function: String,
    /// The `Environment` dimension of the pipeline metrics (lambda-kinesis-handler's
    /// `$ENVIRONMENT`).
    #[arg(long, default_value = "dev")]
    environment: String,
    /// The `Pipeline` dimension of the pipeline metrics (lambda-kinesis-handler's `$PIPELINE`);
    /// the function's name by default.
    #[arg(long)]
    pipeline: Option<String>,
}

impl What {
    fn pipeline(&self, region: &str, alarm_arns: Vec<String>) -> Pipeline {
        let mut p = Pipeline::new(&self.stream, &self.function, region);
        p.environment.clone_from(&self.environment);
        if let Some(name) = &self.pipeline {
            p.pipeline.clone_from(name);
        }
        p.alarm_arns = alarm_arns;
        p
    }
}

/// The kinds of dashboard `generate` writes.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// A CloudWatch dashboard body (PutDashboard's DashboardBody).
    Cloudwatch,
    /// Grafana JSON on a Prometheus data source.
    Grafana,
    /// Grafana JSON on Grafana's CloudWatch data source (its endpoint may be the engine).
    GrafanaCloudwatch,
    /// Grafana JSON on a Prometheus data source scraping `streamwatch collect` in YACE's
    /// label style (a YACE config, or `--label-style yace`).
    GrafanaYace,
}

/// Arguments of `streamwatch dashboard generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[command(flatten)]
    what: What,
    /// What to write.
    #[arg(long, value_enum, default_value = "cloudwatch")]
    format: Format,
    /// The file to write; standard output by default.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The region the CloudWatch body's widgets read.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
    /// An alarm ARN for the CloudWatch body's alarm widget; repeatable.
    #[arg(long = "alarm")]
    alarms: Vec<String>,
}

/// Arguments of `streamwatch dashboard apply`.
#[derive(Args, Debug)]
pub struct ApplyArgs {
    /// The dashboard's name; `streamwatch-<stream>` by default.
    #[arg(long)]
    name: Option<String>,
    #[command(flatten)]
    what: What,
    #[command(flatten)]
    target: Target,
}

impl DashboardArgs {
    /// Runs the subcommand.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            DashboardCommand::Generate(args) => generate_cmd(&args),
            DashboardCommand::Apply(args) => apply(args).await,
        }
    }
}

fn generate_cmd(args: &GenerateArgs) -> anyhow::Result<()> {
    let p = args.what.pipeline(&args.region, args.alarms.clone());
    let doc = match args.format {
        Format::Cloudwatch => generate::cloudwatch(&p),
        Format::Grafana => generate::grafana(&p, GrafanaSource::Prometheus),
        Format::GrafanaCloudwatch => generate::grafana(&p, GrafanaSource::CloudWatch),
        Format::GrafanaYace => generate::grafana(&p, GrafanaSource::PrometheusYace),
    };
    let mut text = serde_json::to_string_pretty(&doc)?;
    text.push('\n');
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}

/// `streamwatch-<stream>`, with what a dashboard name may not hold (anything but letters,
/// digits, `-` and `_`) made `-`.
fn default_name(stream: &str) -> String {
    let safe: String = stream
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("streamwatch-{safe}")
}

/// The ARNs of the alarms whose name or dimensions mention the stream or the function.
async fn pipeline_alarms(
    cw: &aws_sdk_cloudwatch::Client,
    what: &What,
) -> anyhow::Result<Vec<String>> {
    let mentions = |s: &str| s.contains(what.stream.as_str()) || s.contains(what.function.as_str());
    let mut arns = Vec::new();
    let mut pages = cw.describe_alarms().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.context("DescribeAlarms")?;
        for a in page.metric_alarms() {
            let named = a.alarm_name().is_some_and(mentions);
            let watches = a
                .dimensions()
                .iter()
                .any(|d| d.value() == Some(&what.stream) || d.value() == Some(&what.function));
            if (named || watches)
                && let Some(arn) = a.alarm_arn()
            {
                arns.push(arn.to_owned());
            }
        }
        for a in page.composite_alarms() {
            if a.alarm_name().is_some_and(mentions)
                && let Some(arn) = a.alarm_arn()
            {
                arns.push(arn.to_owned());
            }
        }
    }
    arns.sort();
    arns.dedup();
    Ok(arns)
}

async fn apply(args: ApplyArgs) -> anyhow::Result<()> {
    let config = args.target.config().await;
    let cw = aws_sdk_cloudwatch::Client::new(&config);
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| default_name(&args.what.stream));
    let alarms = pipeline_alarms(&cw, &args.what).await?;
    let region = config
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "us-east-1".to_string());
    let body = generate::cloudwatch(&args.what.pipeline(&region, alarms.clone()));
    let body = serde_json::to_string(&body)?;
    let out = match cw
        .put_dashboard()
        .dashboard_name(&name)
        .dashboard_body(&body)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => {
            if let Some(PutDashboardError::DashboardInvalidInputError(invalid)) =
                e.as_service_error()
            {
                for m in invalid.dashboard_validation_messages() {
                    eprintln!(
                        "invalid: {}: {}",
                        m.data_path().unwrap_or(""),
                        m.message().unwrap_or("")
                    );
                }
            }
            return Err(anyhow::Error::new(e).context(format!("PutDashboard {name}")));
        }
    };
    for m in out.dashboard_validation_messages() {
        println!(
            "warning: {}: {}",
            m.data_path().unwrap_or(""),
            m.message().unwrap_or("")
        );
    }
    let got = cw
        .get_dashboard()
        .dashboard_name(&name)
        .send()
        .await
        .with_context(|| format!("GetDashboard {name}"))?;
    println!(
        "applied dashboard {name} ({} bytes, {} alarms): {}",
        body.len(),
        alarms.len(),
        got.dashboard_arn().unwrap_or("")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_are_valid_dashboard_names() {
        assert_eq!(default_name("orders"), "streamwatch-orders");
        assert_eq!(default_name("a.b:c"), "streamwatch-a-b-c");
    }
}
