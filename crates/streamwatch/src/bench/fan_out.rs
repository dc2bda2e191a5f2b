//! `streamwatch bench fan-out`: enhanced fan-out against GetRecords polling on the embedded
//! engine, in the same run.
//!
//! 1. Delivery latency (PutRecords acknowledged -> the record handed out by a kinesis-client
//!    `Consumer`) at a steady rate, read at once by a fan-out consumer (SubscribeToShard) and
//!    by a polling consumer at the fastest rate AWS allows one reader (a GetRecords call per
//!    shard every 200 ms); p50/p99/max and the ratio of the polling p99 to the fan-out p99.
//! 2. Throughput: records put as fast as PutRecords takes them into a 4-shard stream read by
//!    5 fan-out consumers at once; SubscribeToShard events and records a second, counted
//!    from the engine's own `SubscribeToShardEvent.*` metrics.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use clap::Args;
use futures::StreamExt;
use kinesis_client::metrics::NoopCollector;
use kinesis_client::{Consumer, ConsumerConfig, ReadMode, StartingPosition};
use metric_store::Statistic;
use metric_store::catalog::kinesis as k;
use parking_lot::Mutex;

use super::lambda::percentile;

/// Options of `streamwatch bench fan-out`.
#[derive(Args, Debug)]
pub struct FanOutBenchArgs {
    /// Records a second put during the latency measurement.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// How long the latency measurement puts records.
    #[arg(long, default_value = "5s", value_parser = crate::duration_arg::parse_duration)]
    duration: Duration,
    /// Shards of each stream.
    #[arg(long, default_value_t = 4)]
    shards: i32,
    /// Fan-out consumers reading the throughput stream at once.
    #[arg(long, default_value_t = 5)]
    consumers: usize,
    /// Records put into the throughput stream.
    #[arg(long, default_value_t = 100_000)]
    records: usize,
    /// Bytes of each record's data in the throughput measurement.
    #[arg(long, default_value_t = 100)]
    record_size: usize,
}

/// When each record was acknowledged and when each reader handed it out.
#[derive(Default)]
struct Times {
    acked: HashMap<String, Instant>,
    received: HashMap<&'static str, HashMap<String, Instant>>,
}

/// Runs the benchmark.
pub async fn run(args: FanOutBenchArgs) -> anyhow::Result<()> {
    let engine = kinesis_engine::Engine::open(kinesis_engine::EngineConfig {
        transition_delay: Duration::ZERO,
        shard_limits: false,
        ..kinesis_engine::EngineConfig::default()
    })?;
    let server = streamwatch_server::start("127.0.0.1:0".parse()?, engine).await?;
    let shared = crate::sdk::sdk_config("us-east-1", Some(&server.endpoint())).await;
    let kinesis = aws_sdk_kinesis::Client::new(&shared);

    println!(
        "bench fan-out: embedded engine, {} shards; kinesis-client consumers",
        args.shards
    );
    latency(&kinesis, &args).await?;
    throughput(&kinesis, &server, &args).await?;
    server.shutdown().await?;
    Ok(())
}

fn consumer_config(read_mode: ReadMode) -> ConsumerConfig {
    ConsumerConfig {
        read_mode,
        starting_position: StartingPosition::TrimHorizon,
        // One reader alone may call GetRecords 5 times a second per shard.
        min_poll_interval: Duration::from_millis(200),
        idle_poll_interval: Duration::from_millis(200),
        metrics: Some(Arc::new(NoopCollector)),
        ..ConsumerConfig::default()
    }
}

/// Part 1: delivery latency, fan-out and polling side by side.
async fn latency(kinesis: &aws_sdk_kinesis::Client, args: &FanOutBenchArgs) -> anyhow::Result<()> {
    let stream = "bench-latency";
    create_stream(kinesis, stream, args.shards).await?;
    let times = Arc::new(Mutex::new(Times::default()));
    let readers = [
        (
            "SubscribeToShard",
            ReadMode::FanOut {
                consumer_name: "bench-efo".into(),
            },
        ),
        ("GetRecords every 200 ms", ReadMode::Polling),
    ];
    let mut tasks = tokio::task::JoinSet::new();
    let expected = (args.rate as f64 * args.duration.as_secs_f64()) as usize;
    for (label, mode) in readers.clone() {
        let mut consumer = Consumer::with_config(kinesis.clone(), stream, consumer_config(mode));
        let times = times.clone();
        tasks.spawn(async move {
            let mut seen = 0usize;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
            while seen < expected {
                let Ok(Some(Ok(record))) = tokio::time::timeout_at(deadline, consumer.next()).await
                else {
                    break;
                };
                let now = Instant::now();
                let id = String::from_utf8_lossy(&record.data).into_owned();
                let mut t = times.lock();
                let by_reader = t.received.entry(label).or_default();
                if by_reader.insert(id, now).is_none() {
                    seen += 1;
                }
            }
            consumer.close().await;
        });
    }
    // Let the fan-out consumer register and both subscribe before the clock starts.
    tokio::time::sleep(Duration::from_secs(2)).await;
    put_at_rate(kinesis, stream, args.rate, args.duration, &times).await?;
    while tasks.join_next().await.is_some() {}

    let t = times.lock();
    println!(
        "\ndelivery latency (PutRecords acknowledged -> record handed out), {} records/s for {:?}:",
        args.rate, args.duration
    );
    println!(
        "{:<26} {:>8} {:>9} {:>9} {:>9}",
        "reader", "records", "p50 ms", "p99 ms", "max ms"
    );
    let mut p99s = Vec::new();
    for (label, _) in &readers {
        let mut micros: Vec<i64> = t
            .received
            .get(label)
            .map(|got| {
                got.iter()
                    .filter_map(|(id, at)| {
                        let acked = t.acked.get(id)?;
                        // A record can be handed out before its PutRecords answer is read.
                        Some(at.saturating_duration_since(*acked).as_micros() as i64)
                    })
                    .collect()
            })
            .unwrap_or_default();
        micros.sort_unstable();
        let ms = |v: i64| v as f64 / 1000.0;
        let p99 = percentile(&micros, 99.0);
        p99s.push(ms(p99));
        println!(
            "{:<26} {:>8} {:>9.2} {:>9.2} {:>9.2}",
            label,
            micros.len(),
            ms(percentile(&micros, 50.0)),
            ms(p99),
            ms(micros.last().copied().unwrap_or(0))
        );
    }
    if let [efo, polling] = p99s[..]
        && efo > 0.0
    {
        println!("polling p99 / fan-out p99: {:.1}x", polling / efo);
    }
    Ok(())
}

/// Part 2: events and records a second with several fan-out consumers.
async fn throughput(
    kinesis: &aws_sdk_kinesis::Client,
    server: &streamwatch_server::RunningServer,
    args: &FanOutBenchArgs,
) -> anyhow::Result<()> {
    let stream = "bench-throughput";
    create_stream(kinesis, stream, args.shards).await?;
    let names: Vec<String> = (0..args.consumers).map(|i| format!("bench-c{i}")).collect();
    let mut tasks = tokio::task::JoinSet::new();
    let started = Instant::now();
    for name in &names {
        let mode = ReadMode::FanOut {
            consumer_name: name.clone(),
        };
        let mut consumer = Consumer::with_config(kinesis.clone(), stream, consumer_config(mode));
        let want = args.records;
        tasks.spawn(async move {
            let mut seen = 0usize;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
            while seen < want {
                match tokio::time::timeout_at(deadline, consumer.next()).await {
                    Ok(Some(Ok(_))) => seen += 1,
                    _ => break,
                }
            }
            consumer.close().await;
            (seen, Instant::now())
        });
    }
    let data = "x".repeat(args.record_size);
    let mut put = 0usize;
    while put < args.records {
        let n = (args.records - put).min(500);
        let entries = (put..put + n)
            .map(|i| {
                PutRecordsRequestEntry::builder()
                    .partition_key(format!("k{i}"))
                    .data(Blob::new(data.clone()))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = kinesis
            .put_records()
            .stream_name(stream)
            .set_records(Some(entries))
            .send()
            .await?;
        anyhow::ensure!(out.failed_record_count() == Some(0), "records failed");
        put += n;
    }
    let mut delivered = 0usize;
    let mut last = started;
    while let Some(r) = tasks.join_next().await {
        let (seen, at) = r?;
        delivered += seen;
        last = last.max(at);
    }
    let elapsed = last.duration_since(started).as_secs_f64();
    let mut events = 0.0;
    for name in &names {
        events += consumer_stat(server, stream, name, Statistic::SampleCount);
    }
    println!(
        "\nthroughput: {} records of {} bytes, {} shards, {} fan-out consumers:",
        args.records, args.record_size, args.shards, args.consumers
    );
    println!(
        "  delivered {delivered} of {} in {elapsed:.2} s: {:.0} records/s, {events:.0} SubscribeToShard events ({:.0} events/s)",
        args.records * args.consumers,
        delivered as f64 / elapsed,
        events / elapsed
    );
    Ok(())
}

/// A statistic of `SubscribeToShardEvent.Records` for one consumer over the last hour.
fn consumer_stat(
    server: &streamwatch_server::RunningServer,
    stream: &str,
    consumer: &str,
    statistic: Statistic,
) -> f64 {
    let Ok(key) =
        k::SUBSCRIBE_EVENT_RECORDS.key(&[("StreamName", stream), ("ConsumerName", consumer)])
    else {
        return 0.0;
    };
    let now = server.metrics().now_ms();
    server
        .metrics()
        .query(&key, now - 3_600_000, now + 60_000, 60, &[statistic])
        .map(|points| points.iter().filter_map(|p| p.values[0]).sum())
        .unwrap_or(0.0)
}

async fn create_stream(
    kinesis: &aws_sdk_kinesis::Client,
    stream: &str,
    shards: i32,
) -> anyhow::Result<()> {
    kinesis
        .create_stream()
        .stream_name(stream)
        .shard_count(shards)
        .send()
        .await
        .with_context(|| format!("creating {stream}"))?;
    Ok(())
}

/// Puts `rate` records a second for `duration`, a PutRecords call every 10 ms, noting when
/// each record was acknowledged.
async fn put_at_rate(
    kinesis: &aws_sdk_kinesis::Client,
    stream: &str,
    rate: u64,
    duration: Duration,
    times: &Mutex<Times>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_millis(10));
    let mut sent: u64 = 0;
    let total = (rate as f64 * duration.as_secs_f64()) as u64;
    while sent < total {
        ticker.tick().await;
        let due = ((started.elapsed().as_secs_f64() * rate as f64) as u64).min(total);
        let mut batch = Vec::new();
        let mut ids = Vec::new();
        while sent < due && batch.len() < 500 {
            let id = format!("r{sent}");
            batch.push(
                PutRecordsRequestEntry::builder()
                    .partition_key(format!("k{}", sent % 64))
                    .data(Blob::new(id.clone()))
                    .build()?,
            );
            ids.push(id);
            sent += 1;
        }
        if batch.is_empty() {
            continue;
        }
        let out = kinesis
            .put_records()
            .stream_name(stream)
            .set_records(Some(batch))
            .send()
            .await?;
        let now = Instant::now();
        anyhow::ensure!(out.failed_record_count() == Some(0), "records failed");
        let mut t = times.lock();
        for id in ids {
            t.acked.insert(id, now);
        }
    }
    Ok(())
}
