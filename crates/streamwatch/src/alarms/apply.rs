//! `streamwatch alarms apply`: puts the pipeline's recommended alarms ([`super::pipeline_set`])
//! on the engine or AWS, scaled to the function's timeout and concurrency limit; leaves alone
//! the ones already set so, so running it twice changes nothing.

use anyhow::Context;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricAlarm, MetricDataQuery, MetricStat, Statistic,
};
use clap::Args;

use super::pipeline_set::{AlarmSpec, FunctionFacts, Watched, recommended};
use crate::function_cmd::Target;

/// Arguments of `streamwatch alarms apply`.
#[derive(Args, Debug)]
pub struct ApplyArgs {
    /// The Kinesis stream.
    #[arg(long)]
    stream: String,
    /// The Lambda function that reads the stream: adds its error-rate, throttle, duration and
    /// concurrency alarms.
    #[arg(long)]
    function: Option<String>,
    /// An SNS topic (or any action ARN) to notify on ALARM and on OK; repeatable.
    #[arg(long = "sns-topic")]
    sns_topics: Vec<String>,
    /// What every alarm's name starts with.
    #[arg(long, default_value = "streamwatch-")]
    prefix: String,
    /// Print the PutMetricAlarm requests (as `--cli-input-json` reads them) instead of
    /// sending them.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    target: Target,
}

pub(super) async fn run(args: ApplyArgs) -> anyhow::Result<()> {
    let config = args.target.config().await;
    let function = match &args.function {
        Some(name) => Some(function_facts(&aws_sdk_lambda::Client::new(&config), name).await?),
        None => None,
    };
    let set = recommended(&args.prefix, &args.stream, function.as_ref());
    if args.dry_run {
        let requests: Vec<_> = set
            .iter()
            .map(|a| a.request_json(&args.sns_topics))
            .collect();
        println!("{}", serde_json::to_string_pretty(&requests)?);
        return Ok(());
    }
    let cw = aws_sdk_cloudwatch::Client::new(&config);
    let existing = cw
        .describe_alarms()
        .set_alarm_names(Some(set.iter().map(|a| a.name.clone()).collect()))
        .send()
        .await
        .context("DescribeAlarms")?;
    for spec in &set {
        let current = existing
            .metric_alarms()
            .iter()
            .find(|a| a.alarm_name() == Some(spec.name.as_str()));
        let verb = match current {
            Some(a) if same(a, spec, &args.sns_topics) => "unchanged",
            Some(_) => "updated",
            None => "created",
        };
        if verb != "unchanged" {
            put(&cw, spec, &args.sns_topics)
                .await
                .with_context(|| format!("PutMetricAlarm {}", spec.name))?;
        }
        println!(
            "{verb:9} {}  {} {} {} ({} of {} x {}s)",
            spec.name,
            spec.metric,
            comparison_sign(spec.comparison),
            format_threshold(spec.threshold, spec.threshold_unit),
            spec.datapoints_to_alarm,
            spec.evaluation_periods,
            spec.period
        );
    }
    Ok(())
}

/// The function's timeout and concurrency limit (reserved, else the account's).
async fn function_facts(
    lambda: &aws_sdk_lambda::Client,
    name: &str,
) -> anyhow::Result<FunctionFacts> {
    let configuration = lambda
        .get_function_configuration()
        .function_name(name)
        .send()
        .await
        .with_context(|| format!("GetFunctionConfiguration {name}"))?;
    let timeout_secs = configuration
        .timeout()
        .and_then(|t| u32::try_from(t).ok())
        .unwrap_or(3);
    let reserved = lambda
        .get_function_concurrency()
        .function_name(name)
        .send()
        .await
        .with_context(|| format!("GetFunctionConcurrency {name}"))?
        .reserved_concurrent_executions()
        .and_then(|r| u32::try_from(r).ok());
    let concurrency_limit = match reserved {
        Some(r) => r,
        None => lambda
            .get_account_settings()
            .send()
            .await
            .context("GetAccountSettings")?
            .account_limit()
            .and_then(|l| u32::try_from(l.concurrent_executions()).ok())
            .unwrap_or(1000),
    };
    Ok(FunctionFacts {
        name: name.to_owned(),
        timeout_secs,
        concurrency_limit,
        reserved: reserved.is_some(),
    })
}

fn dimension(spec: &AlarmSpec) -> Dimension {
    Dimension::builder()
        .name(spec.dimension.0)
        .value(&spec.dimension.1)
        .build()
}

/// PutMetricAlarm for one recommended alarm, with `actions` on ALARM and OK.
pub(crate) async fn put(
    cw: &aws_sdk_cloudwatch::Client,
    spec: &AlarmSpec,
    actions: &[String],
) -> anyhow::Result<()> {
    let mut request = cw
        .put_metric_alarm()
        .alarm_name(&spec.name)
        .alarm_description(&spec.description)
        .actions_enabled(true)
        .set_alarm_actions(Some(actions.to_vec()))
        .set_ok_actions(Some(actions.to_vec()))
        .evaluation_periods(spec.evaluation_periods as i32)
        .datapoints_to_alarm(spec.datapoints_to_alarm as i32)
        .threshold(spec.threshold)
        .comparison_operator(ComparisonOperator::from(spec.comparison))
        .treat_missing_data(spec.treat_missing_data);
    match &spec.watched {
        Watched::Metric { statistic } => {
            request = request
                .namespace(spec.namespace)
                .metric_name(spec.metric)
                .dimensions(dimension(spec))
                .statistic(Statistic::from(*statistic))
                .period(spec.period as i32);
        }
        Watched::Math {
            inputs,
            expression,
            label,
        } => {
            for input in inputs {
                request = request.metrics(
                    MetricDataQuery::builder()
                        .id(input.id)
                        .return_data(false)
                        .metric_stat(
                            MetricStat::builder()
                                .metric(
                                    Metric::builder()
                                        .namespace(spec.namespace)
                                        .metric_name(input.metric)
                                        .dimensions(dimension(spec))
                                        .build(),
                                )
                                .period(spec.period as i32)
                                .stat(input.stat)
                                .build(),
                        )
                        .build(),
                );
            }
            request = request.metrics(
                MetricDataQuery::builder()
                    .id("rate")
                    .expression(*expression)
                    .label(*label)
                    .return_data(true)
                    .build(),
            );
        }
    }
    request.send().await?;
    Ok(())
}

/// Whether the alarm already is what `spec` would put.
fn same(alarm: &MetricAlarm, spec: &AlarmSpec, actions: &[String]) -> bool {
    let watched = match &spec.watched {
        Watched::Metric { statistic } => {
            alarm.metric_name() == Some(spec.metric)
                && alarm.statistic().map(|s| s.as_str()) == Some(*statistic)
                && alarm.period() == Some(spec.period as i32)
                && alarm.dimensions().len() == 1
                && alarm.dimensions()[0].value() == Some(spec.dimension.1.as_str())
        }
        Watched::Math {
            inputs, expression, ..
        } => {
            alarm.metrics().len() == inputs.len() + 1
                && alarm
                    .metrics()
                    .iter()
                    .any(|m| m.expression() == Some(*expression))
        }
    };
    watched
        && alarm.alarm_description() == Some(spec.description.as_str())
        && alarm.threshold() == Some(spec.threshold)
        && alarm.evaluation_periods() == Some(spec.evaluation_periods as i32)
        && alarm.datapoints_to_alarm() == Some(spec.datapoints_to_alarm as i32)
        && alarm.comparison_operator().map(|c| c.as_str()) == Some(spec.comparison)
        && alarm.treat_missing_data() == Some(spec.treat_missing_data)
        && alarm.alarm_actions() == actions
        && alarm.ok_actions() == actions
        && alarm.actions_enabled() == Some(true)
}

fn comparison_sign(comparison: &str) -> &'static str {
    match comparison {
        "GreaterThanThreshold" => ">",
        "GreaterThanOrEqualToThreshold" => ">=",
        "LessThanThreshold" => "<",
        "LessThanOrEqualToThreshold" => "<=",
        _ => "?",
    }
}

fn format_threshold(value: f64, unit: &str) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value} {unit}")
    }
}
