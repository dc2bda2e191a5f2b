//! `streamwatch bench lambda`: end-to-end latency of a Kinesis -> Lambda pipeline on the
//! embedded engine (PutRecords acknowledged -> the handler done with the record) at given
//! record rates with a batching window of 0, and the invocations a second a no-op function
//! takes through the Invoke API, sequentially and from several clients at once.
//!
//! The function is lambda-test-functions' `kinesis_function` example (`cargo build --release
//! -p lambda-test-functions --example kinesis_function`), which logs `OK <data>` per record; the time
//! the engine reads that line is the record's completion (millisecond resolution).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use clap::Args;
use time_source::now_ms_i64 as now_ms;

/// Options of `streamwatch bench lambda`.
#[derive(Args, Debug)]
pub struct LambdaBenchArgs {
    /// Record rates to measure, records a second, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    rates: Vec<u64>,
    /// How long each rate runs.
    #[arg(long, default_value = "5s", value_parser = crate::duration_arg::parse_duration)]
    duration: Duration,
    /// Shards of the stream.
    #[arg(long, default_value_t = 4)]
    shards: i32,
    /// The function binary (lambda-test-functions' kinesis_function example); next to this
    /// executable's `examples/` by default.
    #[arg(long)]
    function_bin: Option<PathBuf>,
    /// Invocations for the Invoke API measurement.
    #[arg(long, default_value_t = 2000)]
    invocations: usize,
}

/// The `p`th percentile of sorted values (nearest rank), 0 when there are none.
pub(crate) fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Runs the benchmark.
pub async fn run(args: LambdaBenchArgs) -> anyhow::Result<()> {
    let bin = match &args.function_bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()?
            .parent()
            .map(|d| d.join("examples").join("kinesis_function"))
            .context("no directory for the function binary")?,
    };
    if !bin.exists() {
        bail!(
            "{} is missing: cargo build --release -p lambda-test-functions --example kinesis_function (or pass --function-bin)",
            bin.display()
        );
    }
    let engine = kinesis_engine::Engine::open(kinesis_engine::EngineConfig {
        transition_delay: Duration::ZERO,
        shard_limits: false,
        ..kinesis_engine::EngineConfig::default()
    })?;
    let server = streamwatch_server::start("127.0.0.1:0".parse()?, engine).await?;
    let shared = crate::sdk::sdk_config("us-east-1", Some(&server.endpoint())).await;
    let kinesis = aws_sdk_kinesis::Client::new(&shared);
    let lambda = aws_sdk_lambda::Client::new(&shared);
    let zip = function_zip::bootstrap_zip(&std::fs::read(&bin)?)?;
    for name in ["consumer", "noop"] {
        lambda
            .create_function()
            .function_name(name)
            .runtime(Runtime::Providedal2023)
            .role("arn:aws:iam::000000000000:role/bench")
            .timeout(30)
            .code(
                FunctionCode::builder()
                    .zip_file(aws_sdk_lambda::primitives::Blob::new(zip.clone()))
                    .build(),
            )
            .send()
            .await?;
    }

    println!(
        "bench lambda: {} shards, batching window 0, batch size 100",
        args.shards
    );
    println!(
        "{:>10} {:>10} {:>10} {:>8} {:>8} {:>8} {:>12}",
        "rate/s", "sent", "done", "p50 ms", "p99 ms", "max ms", "invocations"
    );
    for (round, rate) in args.rates.iter().enumerate() {
        let stream = format!("bench-{round}");
        kinesis
            .create_stream()
            .stream_name(&stream)
            .shard_count(args.shards)
            .send()
            .await?;
        let arn = format!("arn:aws:kinesis:us-east-1:000000000000:stream/{stream}");
        let mapping = lambda
            .create_event_source_mapping()
            .function_name("consumer")
            .event_source_arn(&arn)
            .starting_position(aws_sdk_lambda::types::EventSourcePosition::Latest)
            .batch_size(100)
            .send()
            .await?;
        // Let the pollers take their LATEST iterators.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let logs_from = server.lambda().logs("consumer", 0)?.len();
        let invocations_before = invocations(&server, "consumer");
        let acked = put_at_rate(&kinesis, &stream, *rate, args.duration, round).await?;
        // Wait for the stragglers.
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut done: HashMap<String, i64> = HashMap::new();
        let mut from = logs_from;
        while done.len() < acked.len() && Instant::now() < deadline {
            for e in server.lambda().logs("consumer", from)? {
                from += 1;
                if let Some(id) = e.message.strip_prefix("OK ") {
                    done.entry(id.to_string()).or_insert(e.timestamp_ms);
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut latencies: Vec<i64> = acked
            .iter()
            .filter_map(|(id, ack)| done.get(id).map(|t| (t - ack).max(0)))
            .collect();
        latencies.sort_unstable();
        println!(
            "{:>10} {:>10} {:>10} {:>8} {:>8} {:>8} {:>12}",
            rate,
            acked.len(),
            latencies.len(),
            percentile(&latencies, 50.0),
            percentile(&latencies, 99.0),
            latencies.last().copied().unwrap_or(0),
            invocations(&server, "consumer") - invocations_before
        );
        if let Some(uuid) = mapping.uuid() {
            lambda
                .delete_event_source_mapping()
                .uuid(uuid)
                .send()
                .await?;
        }
    }

    // The Invoke API with a function that returns at once.
    let payload = aws_sdk_lambda::primitives::Blob::new("{}");
    lambda
        .invoke()
        .function_name("noop")
        .payload(payload.clone())
        .send()
        .await?;
    let started = Instant::now();
    for _ in 0..args.invocations {
        lambda
            .invoke()
            .function_name("noop")
            .payload(payload.clone())
            .send()
            .await?;
    }
    let sequential = args.invocations as f64 / started.elapsed().as_secs_f64();
    let clients = 8;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let lambda = lambda.clone();
        let payload = payload.clone();
        let n = args.invocations / clients;
        tasks.spawn(async move {
            for _ in 0..n {
                lambda
                    .invoke()
                    .function_name("noop")
                    .payload(payload.clone())
                    .send()
                    .await?;
            }
            Ok::<_, aws_sdk_lambda::Error>(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    let concurrent =
        (args.invocations / clients * clients) as f64 / started.elapsed().as_secs_f64();
    println!(
        "Invoke (no-op function, RequestResponse): {sequential:.0}/s from one client, {concurrent:.0}/s from {clients} clients"
    );
    server.shutdown().await?;
    Ok(())
}

/// Invocations counted in the engine's AWS/Lambda metrics for a function.
fn invocations(server: &streamwatch_server::RunningServer, function: &str) -> i64 {
    let Ok(key) = metric_store::catalog::lambda::INVOCATIONS.key(&[("FunctionName", function)])
    else {
        return 0;
    };
    let now = server.metrics().now_ms();
    server
        .metrics()
        .query(
            &key,
            now - 3_600_000,
            now + 60_000,
            60,
            &[metric_store::Statistic::Sum],
        )
        .map(|points| points.iter().filter_map(|p| p.values[0]).sum::<f64>() as i64)
        .unwrap_or(0)
}

/// Puts `rate` records a second for `duration` in PutRecords calls every 10 ms; returns each
/// record's id and acknowledgement time (epoch ms).
async fn put_at_rate(
    kinesis: &aws_sdk_kinesis::Client,
    stream: &str,
    rate: u64,
    duration: Duration,
    round: usize,
) -> anyhow::Result<Vec<(String, i64)>> {
    let mut acked = Vec::new();
    let started = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_millis(10));
    let mut sent: u64 = 0;
    while started.elapsed() < duration {
        ticker.tick().await;
        let due = (started.elapsed().as_secs_f64() * rate as f64) as u64;
        let mut batch = Vec::new();
        while sent < due && batch.len() < 500 {
            let id = format!("r{round}-{sent}");
            batch.push(
                PutRecordsRequestEntry::builder()
                    .partition_key(format!("k{}", sent % 64))
                    .data(Blob::new(id.clone()))
                    .build()?,
            );
            sent += 1;
        }
        if batch.is_empty() {
            continue;
        }
        let ids: Vec<String> = batch
            .iter()
            .map(|e| String::from_utf8_lossy(e.data().as_ref()).to_string())
            .collect();
        let resp = kinesis
            .put_records()
            .stream_name(stream)
            .set_records(Some(batch))
            .send()
            .await?;
        let at = now_ms();
        for (id, r) in ids.into_iter().zip(resp.records()) {
            if r.error_code().is_none() {
                acked.push((id, at));
            }
        }
    }
    Ok(acked)
}
