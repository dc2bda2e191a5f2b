//! `streamwatch cost`: what each stream and function costs over a window and per month, from
//! the inventory (ListStreams, DescribeStreamSummary, ListFunctions) and the metric sums
//! (GetMetricData) of the engine or AWS, priced by `aws_prices::price_resources`.

use std::time::{Duration, SystemTime};

use anyhow::Context;
use aws_prices::{Architecture, FunctionObserved, StreamMode, StreamObserved};
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_sdk_kinesis::types::StreamMode as SdkStreamMode;
use aws_sdk_lambda::types::Architecture as SdkArchitecture;
use clap::Args;
use metric_store::catalog::{MetricDef, kinesis, lambda};

/// GetMetricData takes at most this many queries a call.
const QUERIES_PER_CALL: usize = 500;

/// Options of `streamwatch cost`.
#[derive(Args, Debug)]
pub struct CostArgs {
    /// Where to read from: an endpoint URL (the engine: `http://127.0.0.1:4567`) or `aws`.
    #[arg(long, default_value = "http://127.0.0.1:4567")]
    endpoint: String,
    /// The region to read and price.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
    /// The window to price, ending now (`5m`, `1h`, `24h`).
    #[arg(long, default_value = "1h", value_parser = crate::duration_arg::parse_duration)]
    window: Duration,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Which field of which resource a metric sum fills.
#[derive(Clone, Copy)]
enum Field {
    /// `incoming_records` of the stream at this index.
    Records(usize),
    /// `incoming_bytes` of the stream at this index.
    Bytes(usize),
    /// `invocations` of the function at this index.
    Invocations(usize),
    /// `duration_ms` of the function at this index.
    DurationMs(usize),
}

/// One metric sum to read.
struct Wanted {
    metric: &'static MetricDef,
    dimension: &'static str,
    resource: String,
    field: Field,
}

/// Runs `streamwatch cost`.
pub async fn run(args: CostArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.window >= Duration::from_secs(60),
        "--window must be at least 1m"
    );
    let prices = aws_prices::PriceTable::embedded()?.for_region(&args.region)?;
    let aws = args.endpoint.eq_ignore_ascii_case("aws");
    let endpoint = (!aws).then_some(args.endpoint.as_str());
    let (kinesis_client, cloudwatch, lambda_client) =
        crate::sdk::clients(&args.region, endpoint).await;
    let source = if aws { "AWS" } else { args.endpoint.as_str() };

    let mut streams = list_streams(&kinesis_client)
        .await
        .with_context(|| format!("reading the streams at {source}"))?;
    let mut functions = list_functions(&lambda_client)
        .await
        .with_context(|| format!("reading the functions at {source}"))?;

    let mut wanted = Vec::new();
    for (i, s) in streams.iter().enumerate() {
        for (metric, field) in [
            (&kinesis::INCOMING_RECORDS, Field::Records(i)),
            (&kinesis::INCOMING_BYTES, Field::Bytes(i)),
        ] {
            wanted.push(Wanted {
                metric,
                dimension: "StreamName",
                resource: s.name.clone(),
                field,
            });
        }
    }
    for (i, f) in functions.iter().enumerate() {
        for (metric, field) in [
            (&lambda::INVOCATIONS, Field::Invocations(i)),
            (&lambda::DURATION, Field::DurationMs(i)),
        ] {
            wanted.push(Wanted {
                metric,
                dimension: "FunctionName",
                resource: f.name.clone(),
                field,
            });
        }
    }
    let sums = metric_sums(&cloudwatch, &wanted, args.window)
        .await
        .with_context(|| format!("reading the metrics at {source}"))?;
    for (w, sum) in wanted.iter().zip(sums) {
        let slot = match w.field {
            Field::Records(i) => streams.get_mut(i).map(|s| &mut s.incoming_records),
            Field::Bytes(i) => streams.get_mut(i).map(|s| &mut s.incoming_bytes),
            Field::Invocations(i) => functions.get_mut(i).map(|f| &mut f.invocations),
            Field::DurationMs(i) => functions.get_mut(i).map(|f| &mut f.duration_ms),
        };
        if let Some(slot) = slot {
            *slot = sum;
        }
    }
    let cost = aws_prices::price_resources(
        &args.region,
        prices,
        args.window.as_secs_f64() / 3600.0,
        &streams,
        &functions,
    );
    if args.json {
        println!("{}", serde_json::to_string_pretty(&cost)?);
    } else {
        println!("{cost}");
    }
    Ok(())
}

/// Every stream (ListStreams, then DescribeStreamSummary each), with zero metric sums.
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
        out.push(StreamObserved {
            name,
            mode,
            open_shards: u32::try_from(d.open_shard_count()).unwrap_or(0),
            retention_hours: u32::try_from(d.retention_period_hours()).unwrap_or(0),
            ..StreamObserved::default()
        });
    }
    Ok(out)
}

/// Every function (ListFunctions, following NextMarker), with zero metric sums.
async fn list_functions(client: &aws_sdk_lambda::Client) -> anyhow::Result<Vec<FunctionObserved>> {
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
            out.push(FunctionObserved {
                name: name.to_string(),
                // Lambda's default when a server leaves it out.
                memory_mb: f
                    .memory_size()
                    .and_then(|m| u32::try_from(m).ok())
                    .unwrap_or(128),
                architecture,
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

/// The Sum of each wanted metric over the window ending now, in `wanted`'s order (0 where
/// there is no data): per minute for windows up to a day, per hour beyond, added up.
async fn metric_sums(
    client: &aws_sdk_cloudwatch::Client,
    wanted: &[Wanted],
    window: Duration,
) -> anyhow::Result<Vec<f64>> {
    let mut sums = vec![0.0; wanted.len()];
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
                let metric = Metric::builder()
                    .namespace(w.metric.namespace)
                    .metric_name(w.metric.name)
                    .dimensions(
                        Dimension::builder()
                            .name(w.dimension)
                            .value(&w.resource)
                            .build(),
                    )
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
                *slot += result.values().iter().sum::<f64>();
            }
            token = resp.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
    }
    Ok(sums)
}
