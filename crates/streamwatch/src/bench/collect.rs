//! `streamwatch bench collect`: API calls and time of one collection cycle over many streams
//! with the default `AWS/Kinesis` metric set, batched (500 queries a GetMetricData call) and
//! one query per call, against the embedded engine started in this process.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use cloudwatch_collector::{Collector, CollectorConfig, Cycle};
use time_source::now_ms_i64 as now_ms;

/// Options of `streamwatch bench collect`.
#[derive(Args, Debug)]
pub struct CollectBenchArgs {
    /// Streams to create, each with one shard and one record.
    #[arg(long, default_value_t = 1000)]
    streams: usize,
    /// Also run the one-query-per-call cycle (it makes one call per metric requested).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    per_metric: bool,
}

/// Runs the benchmark.
pub async fn run(args: CollectBenchArgs) -> anyhow::Result<()> {
    let engine = kinesis_engine::Engine::open(kinesis_engine::EngineConfig {
        transition_delay: Duration::ZERO,
        shard_limits: false,
        shard_quota: (args.streams as u32).max(500),
        ..kinesis_engine::EngineConfig::default()
    })?;
    let server = streamwatch_server::start("127.0.0.1:0".parse()?, engine).await?;
    let endpoint = server.endpoint();
    let creds = aws_sdk_kinesis::config::Credentials::new("bench", "bench", None, None, "bench");
    let kinesis = aws_sdk_kinesis::Client::from_conf(
        aws_sdk_kinesis::Config::builder()
            .behavior_version(aws_sdk_kinesis::config::BehaviorVersion::latest())
            .region(aws_sdk_kinesis::config::Region::new("us-east-1"))
            .credentials_provider(creds.clone())
            .endpoint_url(&endpoint)
            .build(),
    );
    let cloudwatch = aws_sdk_cloudwatch::Client::from_conf(
        aws_sdk_cloudwatch::Config::builder()
            .behavior_version(aws_sdk_cloudwatch::config::BehaviorVersion::latest())
            .region(aws_sdk_cloudwatch::config::Region::new("us-east-1"))
            .credentials_provider(creds)
            .endpoint_url(&endpoint)
            .build(),
    );
    eprintln!("bench collect: creating {} streams", args.streams);
    for i in 0..args.streams {
        let name = format!("stream-{i:05}");
        kinesis
            .create_stream()
            .stream_name(&name)
            .shard_count(1)
            .send()
            .await
            .context("create")?;
        kinesis
            .put_record()
            .stream_name(&name)
            .partition_key("k")
            .data(aws_sdk_kinesis::primitives::Blob::new("v"))
            .send()
            .await
            .context("put")?;
    }
    // Let the minute with the puts end; the default 60 s period and no delay.
    let wait = 60_000 - now_ms().rem_euclid(60_000) + 200;
    eprintln!(
        "bench collect: waiting {} s for the period to end",
        wait / 1000
    );
    tokio::time::sleep(Duration::from_millis(wait as u64)).await;
    let at = now_ms();
    let config = CollectorConfig {
        delay: Duration::ZERO,
        ..CollectorConfig::default()
    };
    let queries_per_stream: usize = config.metrics.iter().map(|m| m.statistics.len()).sum();

    let cycle_with = |per_call: usize| {
        let mut c = Collector::new(
            kinesis.clone(),
            cloudwatch.clone(),
            CollectorConfig {
                queries_per_call: per_call,
                ..config.clone()
            },
        );
        async move {
            let started = Instant::now();
            let cycle = c.collect(at).await;
            (cycle, started.elapsed())
        }
    };
    let (batched, batched_time) = cycle_with(500).await;
    report("batched (500 queries a call)", &batched, batched_time);
    let mut ratio = None;
    if args.per_metric {
        let (naive, naive_time) = cycle_with(1).await;
        report("one query per call", &naive, naive_time);
        ratio = Some((
            naive.calls.total() as f64 / batched.calls.total().max(1) as f64,
            naive_time.as_secs_f64() / batched_time.as_secs_f64().max(1e-9),
        ));
        anyhow::ensure!(
            naive.samples.len() == batched.samples.len(),
            "both cycles read the same datapoints"
        );
    }
    println!(
        "{} streams x {} queries (the default stream-level set: {} metrics with Sum, Average, Maximum, SampleCount)",
        args.streams,
        queries_per_stream,
        config.metrics.len()
    );
    if let Some((calls, time)) = ratio {
        println!("one-query-per-call needs {calls:.0}x the API calls and {time:.1}x the time");
    }
    server.shutdown().await?;
    Ok(())
}

fn report(label: &str, cycle: &Cycle, took: Duration) {
    println!(
        "{label:32} {:>7} API calls ({} ListStreams, {} GetMetricData)  {:>8.3} s  {} metrics requested (~${:.2})  {} datapoints  {} errors",
        cycle.calls.total(),
        cycle.calls.list_streams,
        cycle.calls.get_metric_data,
        took.as_secs_f64(),
        cycle.metrics_requested,
        cycle.estimated_cost_usd(),
        cycle.samples.len(),
        cycle.errors.len()
    );
}
