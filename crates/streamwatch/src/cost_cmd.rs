//! `streamwatch cost`: what each stream, consumer, function, queue, the CloudWatch account and
//! the collection cost over a window and per month, from the inventory (ListStreams,
//! DescribeStreamSummary, ListStreamConsumers, ListFunctions, provisioned concurrency,
//! ListQueues, ListMetrics, DescribeAlarms, ListDashboards) and the metric sums
//! (GetMetricData) of the engine or AWS, priced by `aws_prices::price_observed`.
//!
//! [`observe`] is shared with `collect` (`collect_cost.rs`), which exports the same figures.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use aws_prices::{
    Architecture, CloudWatchObserved, ConsumerObserved, EgressObserved, FunctionObserved, Observed,
    PriceTable, ProvisionedObserved, QueueObserved, StreamMode, StreamObserved,
};
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{AlarmType, Dimension, Metric, MetricDataQuery, MetricStat};
use aws_sdk_kinesis::types::StreamMode as SdkStreamMode;
use aws_sdk_lambda::types::Architecture as SdkArchitecture;
use clap::Args;
use metric_store::catalog::{MetricDef, kinesis, lambda, sqs};

/// GetMetricData takes at most this many queries a call.
const QUERIES_PER_CALL: usize = 500;

/// Alarms and metrics with a period under this many seconds are high resolution.
const HIGH_RESOLUTION_BELOW_SECONDS: i32 = 60;

/// Options of `streamwatch cost`.
#[derive(Args, Debug)]
pub struct CostArgs {
    /// Where to read from, and the region read and priced.
    #[command(flatten)]
    aws: crate::sdk::AwsArgs,
    /// The window to price, ending now (`5m`, `1h`, `24h`).
    #[arg(long, default_value = "1h", value_parser = crate::duration_arg::parse_duration)]
    window: Duration,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    estimates: EstimateArgs,
}

/// What no metric shows, stated by the user; shared with `collect --cost`.
#[derive(Args, Debug, Clone, Default)]
pub struct EstimateArgs {
    /// A price file in the format of aws-prices' `prices.toml`; each block it names replaces
    /// the built-in one.
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// GB sent out to the internet over the window (no metric shows it; 0 by default).
    #[arg(long, value_name = "GB", conflicts_with = "egress_share")]
    pub egress_gb: Option<f64>,
    /// The share (0..1) of the bytes read from the streams (GetRecords and enhanced
    /// fan-out) that leaves AWS for the internet.
    #[arg(long, value_name = "FRACTION")]
    pub egress_share: Option<f64>,
    /// Price a collection (`streamwatch collect`) running at this interval over the window.
    #[arg(long, value_name = "DURATION", value_parser = crate::duration_arg::parse_duration)]
    pub collect_interval: Option<Duration>,
    /// Metrics one collection cycle requests (its `streamwatch_collector_cycle_metrics_requested`);
    /// by default one per series ListMetrics finds in AWS/Kinesis, AWS/Lambda and AWS/SQS.
    #[arg(long, value_name = "N", requires = "collect_interval")]
    pub collect_series: Option<u64>,
}

impl EstimateArgs {
    /// Refuses a share outside 0..1 and a negative volume.
    pub(crate) fn check(&self) -> anyhow::Result<()> {
        if let Some(share) = self.egress_share {
            anyhow::ensure!(
                (0.0..=1.0).contains(&share),
                "--egress-share must be between 0 and 1, not {share}"
            );
        }
        if let Some(gb) = self.egress_gb {
            anyhow::ensure!(gb >= 0.0, "--egress-gb must not be negative, not {gb}");
        }
        Ok(())
    }
}

/// The price table to use and its name for the output: the built-in one, or the built-in
/// one with an override file's blocks.
pub(crate) fn load_prices(file: Option<&Path>) -> anyhow::Result<(PriceTable, String)> {
    match file {
        None => Ok((PriceTable::embedded()?.clone(), "built-in".to_string())),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the price file {}", path.display()))?;
            let table = PriceTable::with_overrides(&text)
                .with_context(|| format!("the price file {}", path.display()))?;
            Ok((table, path.display().to_string()))
        }
    }
}

/// The SDK clients `observe` reads through.
pub(crate) struct CostClients {
    pub kinesis: aws_sdk_kinesis::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl CostClients {
    /// Clients on a shared configuration.
    pub(crate) fn from_config(shared: &aws_config::SdkConfig) -> CostClients {
        CostClients {
            kinesis: aws_sdk_kinesis::Client::new(shared),
            cloudwatch: aws_sdk_cloudwatch::Client::new(shared),
            lambda: aws_sdk_lambda::Client::new(shared),
            sqs: aws_sdk_sqs::Client::new(shared),
        }
    }
}

/// Runs `streamwatch cost`.
pub async fn run(args: CostArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.window >= Duration::from_secs(60),
        "--window must be at least 1m"
    );
    args.estimates.check()?;
    let (table, prices_file) = load_prices(args.estimates.prices.as_deref())?;
    let (shared, region) = args.aws.sdk_config().await;
    let prices = table.for_region(&region)?;
    let clients = CostClients::from_config(&shared);
    let source = args.aws.endpoint().describe(&region);
    let (observed, mut notes) = observe(&clients, args.window, &args.estimates, None)
        .await
        .with_context(|| format!("reading {source}"))?;
    let mut cost = aws_prices::price_observed(
        &region,
        prices,
        args.window.as_secs_f64() / 3600.0,
        &observed,
    );
    cost.prices_file = prices_file;
    cost.notes.append(&mut notes);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&cost)?);
    } else {
        println!("{cost}");
    }
    Ok(())
}

/// Which field of which resource a metric sum fills.
#[derive(Clone, Copy)]
enum Field {
    Records(usize),
    Bytes(usize),
    GetRecordsBytes(usize),
    ConsumerBytes(usize, usize),
    Invocations(usize),
    DurationMs(usize),
    ProvisionedInvocations(usize),
    Sent(usize),
    Received(usize),
    Deleted(usize),
    EmptyReceives(usize),
    SentSizeSum(usize),
}

/// One metric sum to read.
struct Wanted {
    metric: &'static MetricDef,
    dimensions: Vec<(&'static str, String)>,
    field: Field,
}

/// The collection the cost of `collect` is read for: the metrics its last cycle requested
/// and its interval.
pub(crate) struct CollectionCycle {
    pub metrics_per_cycle: u64,
    pub interval: Duration,
}

/// Reads the inventory and the metric sums over `window` ending now, with the estimates the
/// user stated; returns them and notes on what could not be read. `collection` is the
/// running collection's own cycle (from `collect`), else the flags' estimate is used.
pub(crate) async fn observe(
    c: &CostClients,
    window: Duration,
    estimates: &EstimateArgs,
    collection: Option<CollectionCycle>,
) -> anyhow::Result<(Observed, Vec<String>)> {
    let mut notes = Vec::new();
    let mut streams = list_streams(&c.kinesis).await?;
    let mut functions = list_functions(&c.lambda, &mut notes).await?;
    let mut queues = list_queues(&c.sqs).await?;
    let (mut cloudwatch, collected_series) = cloudwatch_inventory(&c.cloudwatch).await?;

    let mut wanted = Vec::new();
    let mut want = |metric, dimensions: Vec<(&'static str, String)>, field| {
        wanted.push(Wanted {
            metric,
            dimensions,
            field,
        })
    };
    for (i, s) in streams.iter().enumerate() {
        let dims = || vec![("StreamName", s.name.clone())];
        want(&kinesis::INCOMING_RECORDS, dims(), Field::Records(i));
        want(&kinesis::INCOMING_BYTES, dims(), Field::Bytes(i));
        want(
            &kinesis::GET_RECORDS_BYTES,
            dims(),
            Field::GetRecordsBytes(i),
        );
        for (j, consumer) in s.consumers.iter().enumerate() {
            want(
                &kinesis::SUBSCRIBE_EVENT_BYTES,
                vec![
                    ("StreamName", s.name.clone()),
                    ("ConsumerName", consumer.name.clone()),
                ],
                Field::ConsumerBytes(i, j),
            );
        }
    }
    for (i, f) in functions.iter().enumerate() {
        let dims = || vec![("FunctionName", f.name.clone())];
        want(&lambda::INVOCATIONS, dims(), Field::Invocations(i));
        want(&lambda::DURATION, dims(), Field::DurationMs(i));
        if !f.provisioned.is_empty() {
            want(
                &lambda::PROVISIONED_CONCURRENCY_INVOCATIONS,
                dims(),
                Field::ProvisionedInvocations(i),
            );
        }
    }
    for (i, q) in queues.iter().enumerate() {
        let dims = || vec![("QueueName", q.name.clone())];
        want(&sqs::MESSAGES_SENT, dims(), Field::Sent(i));
        want(&sqs::MESSAGES_RECEIVED, dims(), Field::Received(i));
        want(&sqs::MESSAGES_DELETED, dims(), Field::Deleted(i));
        want(&sqs::EMPTY_RECEIVES, dims(), Field::EmptyReceives(i));
        want(&sqs::SENT_MESSAGE_SIZE, dims(), Field::SentSizeSum(i));
    }
    let (sums, requested) = metric_sums(&c.cloudwatch, &wanted, window).await?;
    let mut size_sums = vec![0.0; queues.len()];
    for (w, sum) in wanted.iter().zip(sums) {
        if let Field::ConsumerBytes(i, j) = w.field {
            if let Some(consumer) = streams.get_mut(i).and_then(|s| s.consumers.get_mut(j)) {
                consumer.bytes = sum;
            }
            continue;
        }
        let sum = sum.unwrap_or(0.0);
        let slot = match w.field {
            Field::Records(i) => streams.get_mut(i).map(|s| &mut s.incoming_records),
            Field::Bytes(i) => streams.get_mut(i).map(|s| &mut s.incoming_bytes),
            Field::GetRecordsBytes(i) => streams.get_mut(i).map(|s| &mut s.get_records_bytes),
            Field::Invocations(i) => functions.get_mut(i).map(|f| &mut f.invocations),
            Field::DurationMs(i) => functions.get_mut(i).map(|f| &mut f.duration_ms),
            Field::ProvisionedInvocations(i) => {
                functions.get_mut(i).map(|f| &mut f.provisioned_invocations)
            }
            Field::Sent(i) => queues.get_mut(i).map(|q| &mut q.sent),
            Field::Received(i) => queues.get_mut(i).map(|q| &mut q.received),
            Field::Deleted(i) => queues.get_mut(i).map(|q| &mut q.deleted),
            Field::EmptyReceives(i) => queues.get_mut(i).map(|q| &mut q.empty_receives),
            Field::SentSizeSum(i) => size_sums.get_mut(i),
            Field::ConsumerBytes(..) => None,
        };
        if let Some(slot) = slot {
            *slot = sum;
        }
    }
    for (q, size_sum) in queues.iter_mut().zip(size_sums) {
        // SentMessageSize's Sum over NumberOfMessagesSent: the window's average size.
        q.average_message_bytes = if q.sent > 0.0 { size_sum / q.sent } else { 0.0 };
    }

    cloudwatch.report_metrics_requested = requested as f64;
    let window_s = window.as_secs_f64();
    cloudwatch.collection_metrics_requested = match (collection, estimates.collect_interval) {
        (Some(cycle), _) => {
            let cycles = window_s / cycle.interval.as_secs_f64().max(1.0);
            Some((
                cycle.metrics_per_cycle as f64 * cycles,
                format!(
                    "the last cycle's {} metrics x {cycles:.1} cycles of {:?} in the window",
                    cycle.metrics_per_cycle, cycle.interval
                ),
            ))
        }
        (None, Some(interval)) => {
            let cycles = window_s / interval.as_secs_f64().max(1.0);
            let (per_cycle, basis) = match estimates.collect_series {
                Some(n) => (n, "--collect-series".to_string()),
                None => (
                    collected_series,
                    "one statistic per series ListMetrics finds in AWS/Kinesis, AWS/Lambda and \
                     AWS/SQS; give --collect-series for a collector's own count"
                        .to_string(),
                ),
            };
            Some((
                per_cycle as f64 * cycles,
                format!(
                    "{per_cycle} metrics a cycle ({basis}) x {cycles:.1} cycles of {interval:?}"
                ),
            ))
        }
        (None, None) => {
            notes.push(
                "the collection's own GetMetricData requests are not priced: give \
                 --collect-interval (and --collect-series)"
                    .to_string(),
            );
            None
        }
    };

    let read_bytes: f64 = streams
        .iter()
        .map(|s| {
            s.get_records_bytes
                + s.consumers
                    .iter()
                    .map(|c| c.bytes.unwrap_or(0.0))
                    .sum::<f64>()
        })
        .sum();
    let egress = match (estimates.egress_gb, estimates.egress_share) {
        (Some(gb), _) => EgressObserved {
            gb,
            basis: Some(format!("--egress-gb {gb}")),
        },
        (None, Some(share)) => EgressObserved {
            gb: share * read_bytes / aws_prices::BYTES_PER_GB,
            basis: Some(format!(
                "--egress-share {share} of the {read_bytes:.0} bytes read from the streams"
            )),
        },
        (None, None) => EgressObserved::default(),
    };
    Ok((
        Observed {
            streams,
            functions,
            queues,
            cloudwatch: Some(cloudwatch),
            egress: Some(egress),
        },
        notes,
    ))
}

/// Every stream (ListStreams, then DescribeStreamSummary and ListStreamConsumers each), with
/// zero metric sums.
async fn list_streams(client: &aws_sdk_kinesis::Client) -> anyhow::Result<Vec<StreamObserved>> {
    let mut names: Vec<String> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = client.list_streams();
        req = match (&token, names.last()) {
            (Some(t), _) => req.next_token(t),
            (None, Some(last)) => req.exclusive_start_stream_name(last),
            (None, None) => req,
        };
        let resp = req.send().await.context("ListStreams")?;
        let page = resp.stream_names();
        names.extend(page.iter().cloned());
        token = resp.next_token().map(str::to_string);
        if !resp.has_more_streams() || page.is_empty() {
            break;
        }
    }
    names.sort();
    names.dedup();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let resp = client
            .describe_stream_summary()
            .stream_name(&name)
            .send()
            .await
            .with_context(|| format!("DescribeStreamSummary {name}"))?;
        let Some(d) = resp.stream_description_summary() else {
            continue;
        };
        let mode = match d.stream_mode_details().map(|m| m.stream_mode()) {
            Some(SdkStreamMode::OnDemand) => StreamMode::OnDemand,
            _ => StreamMode::Provisioned,
        };
        let consumers = if d.consumer_count().unwrap_or(1) > 0 {
            list_consumers(client, d.stream_arn()).await?
        } else {
            Vec::new()
        };
        out.push(StreamObserved {
            name,
            mode,
            open_shards: u32::try_from(d.open_shard_count()).unwrap_or(0),
            retention_hours: u32::try_from(d.retention_period_hours()).unwrap_or(0),
            consumers,
            ..StreamObserved::default()
        });
    }
    Ok(out)
}

/// A stream's enhanced fan-out consumers (ListStreamConsumers, following NextToken).
async fn list_consumers(
    client: &aws_sdk_kinesis::Client,
    stream_arn: &str,
) -> anyhow::Result<Vec<ConsumerObserved>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = client.list_stream_consumers();
        req = match &token {
            Some(t) => req.next_token(t),
            None => req.stream_arn(stream_arn),
        };
        let resp = req
            .send()
            .await
            .with_context(|| format!("ListStreamConsumers {stream_arn}"))?;
        out.extend(resp.consumers().iter().map(|c| ConsumerObserved {
            name: c.consumer_name().to_string(),
            bytes: None,
        }));
        token = resp.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(out)
}

/// Every function (ListFunctions, following NextMarker) with its provisioned concurrency,
/// with zero metric sums.
async fn list_functions(
    client: &aws_sdk_lambda::Client,
    notes: &mut Vec<String>,
) -> anyhow::Result<Vec<FunctionObserved>> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let resp = client
            .list_functions()
            .set_marker(marker.clone())
            .send()
            .await
            .context("ListFunctions")?;
        for f in resp.functions() {
            let Some(name) = f.function_name() else {
                continue;
            };
            let architecture = if f.architectures().contains(&SdkArchitecture::Arm64) {
                Architecture::Arm64
            } else {
                Architecture::X86_64
            };
            // Lambda's default when a server leaves it out.
            let memory_mb = f
                .memory_size()
                .and_then(|m| u32::try_from(m).ok())
                .unwrap_or(128);
            out.push(FunctionObserved {
                name: name.to_string(),
                memory_mb,
                architecture,
                provisioned: provisioned_configs(client, name, memory_mb, notes).await?,
                ..FunctionObserved::default()
            });
        }
        marker = resp.next_marker().map(str::to_string);
        if marker.is_none() {
            break;
        }
    }
    Ok(out)
}

/// A function's provisioned concurrency configurations: ListProvisionedConcurrencyConfigs,
/// or, where the endpoint lacks it (the engine), GetProvisionedConcurrencyConfig for each
/// alias and published version. Each with the memory of the version it keeps ready.
async fn provisioned_configs(
    client: &aws_sdk_lambda::Client,
    name: &str,
    memory_mb: u32,
    notes: &mut Vec<String>,
) -> anyhow::Result<Vec<ProvisionedObserved>> {
    let mut found: Vec<(String, u32)> = Vec::new();
    let mut marker: Option<String> = None;
    let listed = loop {
        let resp = client
            .list_provisioned_concurrency_configs()
            .function_name(name)
            .set_marker(marker.clone())
            .send()
            .await;
        let Ok(resp) = resp else {
            break false;
        };
        for c in resp.provisioned_concurrency_configs() {
            let qualifier = c
                .function_arn()
                .and_then(|arn| arn.rsplit(':').next())
                .unwrap_or_default()
                .to_string();
            let configured = c
                .requested_provisioned_concurrent_executions()
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0);
            found.push((qualifier, configured));
        }
        marker = resp.next_marker().map(str::to_string);
        if marker.is_none() {
            break true;
        }
    };
    if !listed {
        found.clear();
        let mut qualifiers = Vec::new();
        let aliases = client
            .list_aliases()
            .function_name(name)
            .send()
            .await
            .with_context(|| format!("ListAliases {name}"))?;
        qualifiers.extend(
            aliases
                .aliases()
                .iter()
                .filter_map(|a| a.name())
                .map(str::to_string),
        );
        let versions = client
            .list_versions_by_function()
            .function_name(name)
            .send()
            .await
            .with_context(|| format!("ListVersionsByFunction {name}"))?;
        qualifiers.extend(
            versions
                .versions()
                .iter()
                .filter_map(|v| v.version())
                .filter(|v| *v != "$LATEST")
                .map(str::to_string),
        );
        for qualifier in qualifiers {
            // Not configured on this qualifier: AWS answers ProvisionedConcurrencyConfigNotFoundException.
            if let Ok(c) = client
                .get_provisioned_concurrency_config()
                .function_name(name)
                .qualifier(&qualifier)
                .send()
                .await
            {
                let configured = c
                    .requested_provisioned_concurrent_executions()
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(0);
                found.push((qualifier, configured));
            }
        }
    }
    let mut out = Vec::new();
    for (qualifier, configured) in found {
        let memory = match client
            .get_function_configuration()
            .function_name(name)
            .qualifier(&qualifier)
            .send()
            .await
        {
            Ok(c) => c
                .memory_size()
                .and_then(|m| u32::try_from(m).ok())
                .unwrap_or(memory_mb),
            Err(_) => {
                notes.push(format!(
                    "{name}:{qualifier}: its configuration could not be read; priced at $LATEST's memory"
                ));
                memory_mb
            }
        };
        out.push(ProvisionedObserved {
            qualifier,
            configured,
            memory_mb: memory,
        });
    }
    Ok(out)
}

/// Every queue (ListQueues, following NextToken), with zero metric sums.
async fn list_queues(client: &aws_sdk_sqs::Client) -> anyhow::Result<Vec<QueueObserved>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let resp = client
            .list_queues()
            .set_next_token(token.clone())
            .max_results(1000)
            .send()
            .await
            .context("ListQueues")?;
        for url in resp.queue_urls() {
            let name = url.rsplit('/').next().unwrap_or(url);
            out.push(QueueObserved {
                name: name.to_string(),
                ..QueueObserved::default()
            });
        }
        token = resp.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(out)
}

/// The account's custom metrics, alarms and dashboards; and the series a collection of the
/// AWS/Kinesis, AWS/Lambda and AWS/SQS namespaces would request.
async fn cloudwatch_inventory(
    client: &aws_sdk_cloudwatch::Client,
) -> anyhow::Result<(CloudWatchObserved, u64)> {
    let mut cw = CloudWatchObserved::default();
    let mut collected = 0u64;
    let mut token: Option<String> = None;
    loop {
        let resp = client
            .list_metrics()
            .set_next_token(token.clone())
            .send()
            .await
            .context("ListMetrics")?;
        for m in resp.metrics() {
            let namespace = m.namespace().unwrap_or_default();
            if !namespace.starts_with("AWS/") {
                cw.custom_metrics += 1;
            }
            if [kinesis::NAMESPACE, lambda::NAMESPACE, sqs::NAMESPACE].contains(&namespace) {
                collected += 1;
            }
        }
        token = resp.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let mut token: Option<String> = None;
    loop {
        let resp = client
            .describe_alarms()
            .alarm_types(AlarmType::MetricAlarm)
            .alarm_types(AlarmType::CompositeAlarm)
            .set_next_token(token.clone())
            .send()
            .await
            .context("DescribeAlarms")?;
        for a in resp.metric_alarms() {
            // A metric math alarm is billed for each metric it reads.
            let stats: Vec<i32> = a
                .metrics()
                .iter()
                .filter_map(|q| q.metric_stat().map(|s| s.period().unwrap_or(60)))
                .collect();
            let (metrics, high) = if stats.is_empty() {
                (1, a.period().unwrap_or(60) < HIGH_RESOLUTION_BELOW_SECONDS)
            } else {
                (
                    stats.len() as u64,
                    stats.iter().any(|p| *p < HIGH_RESOLUTION_BELOW_SECONDS),
                )
            };
            if high {
                cw.high_resolution_alarm_metrics += metrics;
            } else {
                cw.standard_alarm_metrics += metrics;
            }
        }
        cw.composite_alarms += resp.composite_alarms().len() as u64;
        token = resp.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    let mut token: Option<String> = None;
    loop {
        let resp = client
            .list_dashboards()
            .set_next_token(token.clone())
            .send()
            .await
            .context("ListDashboards")?;
        cw.dashboards += resp.dashboard_entries().len() as u64;
        token = resp.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok((cw, collected))
}

/// The Sum of each wanted metric over the window ending now, in `wanted`'s order (`None`
/// where there is no datapoint), and the metrics requested (what GetMetricData bills): per
/// minute for windows up to a day, per hour beyond, added up.
async fn metric_sums(
    client: &aws_sdk_cloudwatch::Client,
    wanted: &[Wanted],
    window: Duration,
) -> anyhow::Result<(Vec<Option<f64>>, u64)> {
    let mut sums: Vec<Option<f64>> = vec![None; wanted.len()];
    let mut requested = 0u64;
    let end = SystemTime::now();
    let start = end.checked_sub(window).unwrap_or(SystemTime::UNIX_EPOCH);
    let period = if window <= Duration::from_secs(86_400) {
        60
    } else {
        3600
    };
    for (chunk_index, chunk) in wanted.chunks(QUERIES_PER_CALL).enumerate() {
        let base = chunk_index * QUERIES_PER_CALL;
        let queries: Vec<MetricDataQuery> = chunk
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let dimensions = w
                    .dimensions
                    .iter()
                    .map(|(name, value)| Dimension::builder().name(*name).value(value).build())
                    .collect();
                let metric = Metric::builder()
                    .namespace(w.metric.namespace)
                    .metric_name(w.metric.name)
                    .set_dimensions(Some(dimensions))
                    .build();
                MetricDataQuery::builder()
                    .id(format!("q{}", base + i))
                    .metric_stat(
                        MetricStat::builder()
                            .metric(metric)
                            .period(period)
                            .stat("Sum")
                            .build(),
                    )
                    .build()
            })
            .collect();
        let mut token: Option<String> = None;
        loop {
            requested += queries.len() as u64;
            let resp = client
                .get_metric_data()
                .set_metric_data_queries(Some(queries.clone()))
                .start_time(DateTime::from(start))
                .end_time(DateTime::from(end))
                .set_next_token(token.clone())
                .send()
                .await
                .context("GetMetricData")?;
            for result in resp.metric_data_results() {
                let Some(slot) = result
                    .id()
                    .and_then(|id| id.strip_prefix('q'))
                    .and_then(|n| n.parse::<usize>().ok())
                    .and_then(|i| sums.get_mut(i))
                else {
                    continue;
                };
                if !result.values().is_empty() {
                    *slot = Some(slot.unwrap_or(0.0) + result.values().iter().sum::<f64>());
                }
            }
            token = resp.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
    }
    Ok((sums, requested))
}
