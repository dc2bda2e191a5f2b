//! `streamwatch demo`: the whole pipeline in one command, no AWS account. Starts the embedded
//! engine in this process, creates a stream, drives a steady producer load through
//! `kinesis_client::Producer` (with a `poison` record now and then), reads it back with a
//! `Consumer`, and runs a Lambda function on it (`pipeline.rs`: an event source mapping, the
//! function forwarding each record to a downstream stream, an on-failure queue for what it
//! gives up on); collects the stream's
//! `AWS/Kinesis` metrics every second with the CloudWatch collector and shows them live
//! (rates and sparklines), for the stream and for each shard (enhanced monitoring is switched
//! on, as on AWS), while serving them as Prometheus `/metrics`. The stream's recommended
//! alarms (`streamwatch alarms apply`'s set, on 10-second periods so a change shows within
//! seconds) are evaluated by the engine and shown live with their states. Ctrl-C (or the end
//! of `--duration`) prints a summary.

use std::collections::{BTreeMap, VecDeque};
use std::io::{IsTerminal, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use clap::Args;
use cloudwatch_collector::{Collector, CollectorConfig, Cycle, MetricSpec};
use futures::StreamExt;
use kinesis_client::metrics::{Labels, MetricsCollector, labels, names};
use kinesis_client::{
    Consumer, ConsumerConfig, Producer, ProducerConfig, Record, StartingPosition,
};
use metric_export::{Gauge, MetricType, Sample, Statistic};
use parking_lot::RwLock;
use time_source::now_ms_i64 as now_ms;
use tokio::sync::watch;

use crate::serve::ShardLimits;

mod pipeline;

/// Options of `streamwatch demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Port of the embedded engine (Kinesis and CloudWatch APIs), so SDKs and the AWS CLI can
    /// reach it too; 0 picks a free one.
    #[arg(long, default_value_t = 4567)]
    port: u16,
    /// Address the engine listens on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Per-shard throughput limits of the engine.
    #[arg(long, value_enum, default_value_t = ShardLimits::Aws)]
    shard_limits: ShardLimits,
    /// Stream to create and load.
    #[arg(long, default_value = "demo")]
    stream: String,
    /// Shards of the stream.
    #[arg(long, default_value_t = 2)]
    shards: i32,
    /// Records per second offered to the producer.
    #[arg(long, default_value_t = 500)]
    rate: u64,
    /// Bytes of data per record.
    #[arg(long, default_value_t = 1024)]
    record_size: usize,
    /// How long to run, e.g. `10s`, `2m`; until Ctrl-C without it.
    #[arg(long, value_parser = crate::duration_arg::parse_duration)]
    duration: Option<Duration>,
    /// Every this many records, one is `poison`, which the demo function fails: the
    /// mapping retries it, then sends it to the on-failure queue. 0 sends none.
    #[arg(long, default_value_t = 5000)]
    poison_every: u64,
    /// Where Prometheus `/metrics` (the latest collection cycle) is served.
    #[arg(long, default_value = "127.0.0.1:9107")]
    listen: SocketAddr,
}

/// The producer's and consumer's own counters, read live (the client reports through the
/// `MetricsCollector` trait; `ProducerStats` only comes at close).
#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    bytes: AtomicU64,
    throttled: AtomicU64,
    errors: AtomicU64,
    received: AtomicU64,
    consumer_errors: AtomicU64,
}

impl MetricsCollector for Counters {
    fn increment(&self, name: &'static str, value: u64, l: Labels<'_>) {
        let counter = match name {
            names::PRODUCER_RECORDS_SENT_TOTAL => &self.sent,
            names::PRODUCER_BYTES_SENT_TOTAL => &self.bytes,
            names::PRODUCER_THROTTLES_TOTAL => &self.throttled,
            names::PRODUCER_ERRORS_TOTAL => {
                // Throttled records are counted (and retried) above, not as errors.
                let throttle = l.iter().any(|(k, v)| {
                    *k == labels::ERROR_TYPE && *v == "ProvisionedThroughputExceededException"
                });
                if throttle {
                    return;
                }
                &self.errors
            }
            names::CONSUMER_RECORDS_RECEIVED_TOTAL => &self.received,
            names::CONSUMER_ERRORS_TOTAL => &self.consumer_errors,
            _ => return,
        };
        counter.fetch_add(value, Ordering::Relaxed);
    }
    fn gauge(&self, _: &'static str, _: f64, _: Labels<'_>) {}
    fn histogram(&self, _: &'static str, _: f64, _: Labels<'_>) {}
}

/// A row of the live table: one stream-level metric and statistic.
struct Row {
    label: &'static str,
    metric: &'static str,
    statistic: Statistic,
    /// Missing datapoints of a Sum are zero; of a latency or age, no data.
    zero_when_missing: bool,
    unit: Unit,
    history: VecDeque<Option<f64>>,
    total: f64,
    max: Option<f64>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    PerSecond,
    BytesPerSecond,
    Millis,
}

const HISTORY: usize = 30;
const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

fn rows() -> Vec<Row> {
    let row = |label, metric, statistic, zero_when_missing, unit| Row {
        label,
        metric,
        statistic,
        zero_when_missing,
        unit,
        history: VecDeque::new(),
        total: 0.0,
        max: None,
    };
    vec![
        row(
            "IncomingRecords/s",
            "IncomingRecords",
            Statistic::Sum,
            true,
            Unit::PerSecond,
        ),
        row(
            "IncomingBytes/s",
            "IncomingBytes",
            Statistic::Sum,
            true,
            Unit::BytesPerSecond,
        ),
        row(
            "PutRecords.Latency p99",
            "PutRecords.Latency",
            Statistic::Percentile(99.0),
            false,
            Unit::Millis,
        ),
        row(
            "GetRecords.IteratorAge max",
            "GetRecords.IteratorAgeMilliseconds",
            Statistic::Maximum,
            false,
            Unit::Millis,
        ),
        row(
            "PutRecords.ThrottledRecords/s",
            "PutRecords.ThrottledRecords",
            Statistic::Sum,
            true,
            Unit::PerSecond,
        ),
        row(
            "WriteProvisionedThroughputExceeded/s",
            "WriteProvisionedThroughputExceeded",
            Statistic::Sum,
            true,
            Unit::PerSecond,
        ),
    ]
}

fn metric_specs(rows: &[Row]) -> Vec<MetricSpec> {
    rows.iter()
        .map(|r| MetricSpec {
            name: r.metric.to_string(),
            statistics: vec![r.statistic],
        })
        .collect()
}

/// The per-shard rows: what enhanced monitoring publishes per shard that tells a hot or
/// throttled shard apart.
fn shard_rows() -> Vec<Row> {
    let row = |label, metric, statistic, zero_when_missing, unit| Row {
        label,
        metric,
        statistic,
        zero_when_missing,
        unit,
        history: VecDeque::new(),
        total: 0.0,
        max: None,
    };
    vec![
        row(
            "records/s",
            "IncomingRecords",
            Statistic::Sum,
            true,
            Unit::PerSecond,
        ),
        row(
            "bytes/s",
            "IncomingBytes",
            Statistic::Sum,
            true,
            Unit::BytesPerSecond,
        ),
        row(
            "throttled/s",
            "WriteProvisionedThroughputExceeded",
            Statistic::Sum,
            true,
            Unit::PerSecond,
        ),
        row(
            "iterator age",
            "IteratorAgeMilliseconds",
            Statistic::Maximum,
            false,
            Unit::Millis,
        ),
    ]
}

/// The series' dimensions, in a fixed order for comparing.
fn sorted_dimensions(dimensions: &[(String, String)]) -> Vec<(String, String)> {
    let mut d = dimensions.to_vec();
    d.sort();
    d
}

/// Feeds one collected window to the stream rows and to each shard's rows (created when a
/// shard first shows up); returns the periods seen.
fn feed(
    rows: &mut [Row],
    shards: &mut BTreeMap<String, Vec<Row>>,
    samples: &[Sample],
    stream: &str,
    window: Option<(i64, i64)>,
) -> u64 {
    let Some((start, end)) = window else {
        return 0;
    };
    for s in samples {
        if let Some((_, shard)) = s.dimensions.iter().find(|(k, _)| k == "ShardId") {
            shards.entry(shard.clone()).or_insert_with(shard_rows);
        }
    }
    let stream_dims = vec![("StreamName".to_string(), stream.to_string())];
    let mut periods = 0;
    let mut t = start;
    while t < end {
        for row in rows.iter_mut() {
            row.push(samples, &stream_dims, t);
        }
        for (shard, shard_rows) in shards.iter_mut() {
            let dims = sorted_dimensions(&[
                ("StreamName".to_string(), stream.to_string()),
                ("ShardId".to_string(), shard.clone()),
            ]);
            for row in shard_rows.iter_mut() {
                row.push(samples, &dims, t);
            }
        }
        periods += 1;
        t += 1000;
    }
    periods
}

fn same_statistic(a: Statistic, b: Statistic) -> bool {
    a.to_string() == b.to_string()
}

impl Row {
    /// Takes the datapoint at `t` of the series with exactly these dimensions (sorted).
    fn push(&mut self, samples: &[Sample], dimensions: &[(String, String)], t: i64) {
        let value = samples
            .iter()
            .find(|s| {
                s.timestamp_ms == t
                    && s.metric == self.metric
                    && same_statistic(s.statistic, self.statistic)
                    && sorted_dimensions(&s.dimensions) == dimensions
            })
            .map(|s| s.value)
            .or(self.zero_when_missing.then_some(0.0));
        if let Some(v) = value {
            self.total += v;
            self.max = Some(self.max.map_or(v, |m: f64| m.max(v)));
        }
        self.history.push_back(value);
        while self.history.len() > HISTORY {
            self.history.pop_front();
        }
    }

    fn last(&self) -> Option<f64> {
        self.history.back().copied().flatten()
    }

    fn sparkline(&self) -> String {
        let max = self.history.iter().flatten().fold(0.0f64, |m, v| m.max(*v));
        self.history
            .iter()
            .map(|v| match v {
                None => ' ',
                Some(_) if max <= 0.0 => SPARKS[0],
                Some(v) => {
                    let i = ((v / max) * (SPARKS.len() - 1) as f64).round() as usize;
                    SPARKS[i.min(SPARKS.len() - 1)]
                }
            })
            .collect()
    }
}

/// The live per-shard table: each shard's latest values, and its records/s sparkline.
fn shard_table(shards: &BTreeMap<String, Vec<Row>>) -> String {
    if shards.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\n{:<28} {:>10} {:>12} {:>12} {:>13}  records/s, last {HISTORY} s\n",
        "shard (enhanced monitoring)", "records/s", "bytes/s", "throttled/s", "iterator age"
    );
    for (shard, rows) in shards {
        let cell = |i: usize| {
            rows.get(i)
                .map_or("-".to_string(), |r| format_value(r.unit, r.last()))
        };
        out.push_str(&format!(
            "{:<28} {:>10} {:>12} {:>12} {:>13}  {}\n",
            shard,
            cell(0),
            cell(1),
            cell(2),
            cell(3),
            rows.first().map(Row::sparkline).unwrap_or_default()
        ));
    }
    out
}

fn format_value(unit: Unit, v: Option<f64>) -> String {
    let Some(v) = v else {
        return "-".to_string();
    };
    match unit {
        Unit::PerSecond => format!("{v:.0}"),
        Unit::BytesPerSecond => {
            if v >= 1024.0 * 1024.0 {
                format!("{:.2} MiB", v / (1024.0 * 1024.0))
            } else if v >= 1024.0 {
                format!("{:.1} KiB", v / 1024.0)
            } else {
                format!("{v:.0} B")
            }
        }
        Unit::Millis => format!("{v:.1} ms"),
    }
}

/// A small xorshift generator for partition keys (no dependency needed for this).
struct Keys(u64);

impl Keys {
    fn next(&mut self) -> String {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        format!("pk-{x:016x}")
    }
}

/// What the load loop did.
#[derive(Default)]
struct Offered {
    offered: AtomicU64,
    queue_full: AtomicU64,
}

/// Offers `rate` records a second in bursts every 20 ms until `stop`, then closes the producer.
async fn drive(
    producer: Producer,
    rate: u64,
    record_size: usize,
    poison_every: u64,
    offered: Arc<Offered>,
    mut stop: watch::Receiver<bool>,
) -> Result<kinesis_client::producer::ProducerStats, kinesis_client::ClientError> {
    let data = Bytes::from(
        (0..record_size)
            .map(|i| b"streamwatch-demo "[i % 17])
            .collect::<Vec<u8>>(),
    );
    let mut keys = Keys(now_ms() as u64 | 1);
    let started = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_millis(20));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut done: u64 = 0;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.changed() => break,
        }
        let due = (started.elapsed().as_secs_f64() * rate as f64) as u64;
        // At most a second's worth in one burst, should the loop have stalled.
        let burst = due.saturating_sub(done).min(rate.max(1));
        for i in done..done + burst {
            let record = if poison_every > 0 && (i + 1) % poison_every == 0 {
                Record::new(
                    keys.next(),
                    Bytes::from_static(b"poison (the demo function fails it)"),
                )
            } else {
                Record::new(keys.next(), data.clone())
            };
            match producer.try_put(record) {
                Ok(()) => {}
                Err(kinesis_client::ClientError::QueueFull) => {
                    offered.queue_full.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => return Err(e),
            }
        }
        offered.offered.fetch_add(burst, Ordering::Relaxed);
        done += burst;
        if due > done + rate {
            // Too far behind: skip rather than burst later.
            done = due;
        }
    }
    producer.close().await
}

fn own_gauges(stream: &str, counters: &Counters, offered: &Offered) -> Vec<Gauge> {
    let stream = ("stream_name".to_string(), stream.to_string());
    [
        (
            "streamwatch_demo_producer_records_offered",
            "Records the demo load offered to the producer.",
            offered.offered.load(Ordering::Relaxed),
        ),
        (
            "streamwatch_demo_producer_records_sent",
            "Records the producer delivered.",
            counters.sent.load(Ordering::Relaxed),
        ),
        (
            "streamwatch_demo_producer_throttled_records",
            "Records the producer saw throttled (and retried).",
            counters.throttled.load(Ordering::Relaxed),
        ),
        (
            "streamwatch_demo_consumer_records_received",
            "Records the consumer read.",
            counters.received.load(Ordering::Relaxed),
        ),
    ]
    .into_iter()
    .map(|(name, help, v)| Gauge {
        name: name.to_string(),
        kind: MetricType::Gauge,
        help: help.to_string(),
        labels: vec![stream.clone()],
        value: v as f64,
    })
    .collect()
}

/// The engine running in this process, with clients for it and the demo stream created.
/// The demo's alarms evaluate 10-second periods (high resolution): the engine records its
/// metrics every second, and a user raising `--rate` sees the state change within seconds.
const ALARM_PERIOD_SECS: u32 = 10;
/// What the demo's alarms are named after.
const ALARM_PREFIX: &str = "demo-";

/// Puts the recommended alarms of the stream and its function, on [`ALARM_PERIOD_SECS`]
/// periods, one of one.
async fn apply_alarms(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    stream: &str,
    function: &crate::alarms::pipeline_set::FunctionFacts,
) -> anyhow::Result<()> {
    for mut spec in crate::alarms::pipeline_set::recommended(ALARM_PREFIX, stream, Some(function)) {
        spec.period = ALARM_PERIOD_SECS;
        spec.evaluation_periods = 1;
        spec.datapoints_to_alarm = 1;
        crate::alarms::apply::put(cloudwatch, &spec, &[])
            .await
            .with_context(|| format!("putting alarm {}", spec.name))?;
    }
    Ok(())
}

/// An alarm as the live view shows it.
#[derive(Debug, Clone, PartialEq)]
struct AlarmRow {
    name: String,
    state: String,
    /// When the state last changed, epoch ms.
    since_ms: i64,
    /// State changes seen while the demo ran.
    changes: u64,
}

/// Reads the demo's alarms, keeping count of their changes in `rows`.
async fn refresh_alarms(cloudwatch: &aws_sdk_cloudwatch::Client, rows: &mut Vec<AlarmRow>) {
    let Ok(out) = cloudwatch
        .describe_alarms()
        .alarm_name_prefix(ALARM_PREFIX)
        .send()
        .await
    else {
        return;
    };
    for a in out.metric_alarms() {
        let name = a.alarm_name().unwrap_or_default();
        let state = a.state_value().map(|s| s.as_str()).unwrap_or_default();
        let since_ms = a
            .state_updated_timestamp()
            .map_or(0, |t| t.to_millis().unwrap_or(0));
        match rows.iter_mut().find(|r| r.name == name) {
            Some(row) => {
                if row.state != state {
                    row.changes += 1;
                    row.state = state.to_owned();
                }
                row.since_ms = since_ms;
            }
            None => rows.push(AlarmRow {
                name: name.to_owned(),
                state: state.to_owned(),
                since_ms,
                changes: 0,
            }),
        }
    }
}

struct Stack {
    server: streamwatch_server::RunningServer,
    endpoint: String,
    kinesis: aws_sdk_kinesis::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    pipeline: pipeline::Pipeline,
}

/// Starts the engine on `--host`/`--port` and creates the stream, with per-shard metrics.
async fn start_engine(args: &DemoArgs) -> anyhow::Result<Stack> {
    let engine = kinesis_engine::Engine::open(kinesis_engine::EngineConfig {
        transition_delay: Duration::ZERO,
        shard_limits: matches!(args.shard_limits, ShardLimits::Aws),
        ..kinesis_engine::EngineConfig::default()
    })?;
    let addr = SocketAddr::new(args.host, args.port);
    let server = streamwatch_server::start(addr, engine)
        .await
        .with_context(|| format!("binding {addr} (pass --port 0 for a free port)"))?;
    let endpoint = server.endpoint();
    let creds = aws_sdk_kinesis::config::Credentials::new("demo", "demo", None, None, "demo");
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
    kinesis
        .create_stream()
        .stream_name(&args.stream)
        .shard_count(args.shards)
        .send()
        .await
        .with_context(|| format!("creating stream {:?}", args.stream))?;
    // Per-shard metrics, as enhanced monitoring publishes them on AWS.
    kinesis
        .enable_enhanced_monitoring()
        .stream_name(&args.stream)
        .shard_level_metrics(aws_sdk_kinesis::types::MetricsName::All)
        .send()
        .await
        .context("enabling enhanced monitoring")?;
    let sdk = crate::sdk::sdk_config("us-east-1", Some(&endpoint)).await;
    let pipeline = pipeline::Pipeline::deploy(&sdk, &kinesis, &args.stream).await?;
    apply_alarms(&cloudwatch, &args.stream, &pipeline.facts().await).await?;
    Ok(Stack {
        server,
        endpoint,
        kinesis,
        cloudwatch,
        pipeline,
    })
}

/// The alarms' lines of the live view: name, state (coloured), and for how long.
fn alarm_table(alarms: &[AlarmRow], now: i64) -> String {
    if alarms.is_empty() {
        return String::new();
    }
    let mut out = format!("\nalarms ({ALARM_PERIOD_SECS}-second periods)\n");
    for a in alarms {
        let colour = match a.state.as_str() {
            "ALARM" => "\x1b[31m",
            "OK" => "\x1b[32m",
            _ => "\x1b[33m",
        };
        let age = ((now - a.since_ms).max(0) / 1000) as u64;
        out.push_str(&format!(
            "  {:<44} {colour}{:<17}\x1b[0m for {age} s\n",
            a.name, a.state
        ));
    }
    out
}

/// Serves the page the collection loop renders as `/metrics` on `listen`; returns its URL.
async fn serve_metrics(listen: SocketAddr, page: Arc<RwLock<String>>) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let metrics_url = format!("http://{}/metrics", listener.local_addr()?);
    let app = crate::metrics_page::metrics_router(page);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(metrics_url)
}

/// What the load task hands back: the producer's closing statistics or its error.
type LoadResult = Result<kinesis_client::producer::ProducerStats, kinesis_client::ClientError>;

/// Starts the producer and the task offering `--rate` records a second until `stop`.
async fn start_load(
    args: &DemoArgs,
    kinesis: &aws_sdk_kinesis::Client,
    counters: &Arc<Counters>,
    offered: &Arc<Offered>,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<LoadResult>> {
    let producer = Producer::with_config(
        kinesis.clone(),
        args.stream.clone(),
        ProducerConfig {
            // The engine throttles, the producer retries: throttling shows in the metrics.
            shard_rate_limit: false,
            max_attempts: 1000,
            backoff_max: Duration::from_secs(1),
            // About half a second of backlog, so closing does not drain a long queue.
            max_queued_records: (args.rate as usize / 2).clamp(100, 100_000),
            metrics: Some(counters.clone()),
            ..ProducerConfig::default()
        },
    )
    .await
    .context("starting the producer")?;
    Ok(tokio::spawn(drive(
        producer,
        args.rate,
        args.record_size,
        args.poison_every,
        offered.clone(),
        stop,
    )))
}

/// Starts the consumer reading the stream from LATEST until `stop`, then closing.
fn start_consumer(
    kinesis: &aws_sdk_kinesis::Client,
    stream: &str,
    counters: &Arc<Counters>,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let mut consumer = Consumer::with_config(
        kinesis.clone(),
        stream.to_string(),
        ConsumerConfig {
            starting_position: StartingPosition::Latest,
            // The function's mapping reads the shards too; both stay within the five reads a
            // second each shard allows.
            min_poll_interval: Duration::from_secs(1),
            metrics: Some(counters.clone()),
            ..ConsumerConfig::default()
        },
    );
    tokio::spawn(async move {
        loop {
            tokio::select! {
                r = consumer.next() => match r {
                    Some(_) => {}
                    None => break,
                },
                _ = stop.changed() => break,
            }
        }
        consumer.close().await;
    })
}

/// The collector of one-second periods and the rows it has filled so far.
struct Collection {
    collector: Collector,
    cloudwatch: aws_sdk_cloudwatch::Client,
    /// The function side, as of the last cycle.
    pipeline: pipeline::PipelineStatus,
    alarms: Vec<AlarmRow>,
    rows: Vec<Row>,
    shards: BTreeMap<String, Vec<Row>>,
    errors: u64,
    seen_periods: u64,
}

impl Collection {
    fn new(kinesis: aws_sdk_kinesis::Client, cloudwatch: aws_sdk_cloudwatch::Client) -> Self {
        let rows = rows();
        let collector = Collector::new(
            kinesis,
            cloudwatch.clone(),
            CollectorConfig {
                period_secs: 1,
                delay: Duration::ZERO,
                first_window: Duration::from_secs(1),
                metrics: metric_specs(&rows),
                shard_metrics: metric_specs(&shard_rows()),
                ..CollectorConfig::default()
            },
        );
        Self {
            collector,
            cloudwatch,
            pipeline: pipeline::PipelineStatus::default(),
            alarms: Vec::new(),
            rows,
            shards: BTreeMap::new(),
            errors: 0,
            seen_periods: 0,
        }
    }

    /// One collection cycle, fed into the rows; returns it.
    async fn step(&mut self, stream: &str, pipeline: &pipeline::Pipeline) -> Cycle {
        let cycle = self.collector.collect(now_ms()).await;
        refresh_alarms(&self.cloudwatch, &mut self.alarms).await;
        self.pipeline = pipeline.status().await;
        self.errors += cycle.errors.len() as u64;
        self.seen_periods += feed(
            &mut self.rows,
            &mut self.shards,
            &cycle.samples,
            stream,
            cycle.window,
        );
        cycle
    }
}

/// What the live view shows besides the rows.
struct View<'a> {
    args: &'a DemoArgs,
    pipeline: &'a pipeline::Pipeline,
    endpoint: &'a str,
    metrics_url: &'a str,
    shard_limits: &'static str,
    counters: &'a Counters,
    offered: &'a Offered,
}

impl View<'_> {
    /// The whole screen, for a terminal (redrawn every second).
    fn screen(&self, elapsed: u64, c: &Collection) -> String {
        let (args, endpoint, metrics_url, shard_limits) = (
            self.args,
            self.endpoint,
            self.metrics_url,
            self.shard_limits,
        );
        let sent = self.counters.sent.load(Ordering::Relaxed);
        let throttled = self.counters.throttled.load(Ordering::Relaxed);
        let received = self.counters.received.load(Ordering::Relaxed);
        let errors = self.counters.errors.load(Ordering::Relaxed);
        let queue_full = self.offered.queue_full.load(Ordering::Relaxed);
        let collector_errors = c.errors;
        let mut out = String::from("\x1b[2J\x1b[H");
        out.push_str(&format!(
            "streamwatch demo  {}s  console {endpoint}/  /metrics {metrics_url}\n\
             stream {:?}: {} shard(s), shard limits {shard_limits}, offering {} records/s of {} bytes\n\n",
            elapsed, args.stream, args.shards, args.rate, args.record_size
        ));
        out.push_str(&format!(
            "{:<38} {:>12}  last {HISTORY} s\n",
            "metric (AWS/Kinesis, 1 s periods)", "now"
        ));
        for row in &c.rows {
            out.push_str(&format!(
                "{:<38} {:>12}  {}\n",
                row.label,
                format_value(row.unit, row.last()),
                row.sparkline()
            ));
        }
        out.push_str(&shard_table(&c.shards));
        out.push_str(&pipeline_line(self.pipeline, &c.pipeline));
        out.push_str(&alarm_table(&c.alarms, now_ms()));
        out.push_str(&format!(
            "\nproducer: {sent} sent, {throttled} throttled (retried), {errors} errors, {queue_full} dropped (queue full)\n\
             consumer: {received} received\n\
             collector: {collector_errors} errors\n"
        ));
        if args.duration.is_none() {
            out.push_str("\nCtrl-C to stop\n");
        }
        out
    }

    /// One `key=value` line a second, when stdout is not a terminal.
    fn line(&self, elapsed: u64, c: &Collection) -> String {
        let sent = self.counters.sent.load(Ordering::Relaxed);
        let throttled = self.counters.throttled.load(Ordering::Relaxed);
        let received = self.counters.received.load(Ordering::Relaxed);
        let errors = self.counters.errors.load(Ordering::Relaxed);
        let mut line = format!("t={elapsed}s");
        for row in &c.rows {
            line.push_str(&format!(
                " {}={}",
                row.label.replace(' ', "_"),
                format_value(row.unit, row.last()).replace(' ', "")
            ));
        }
        for (shard, shard_rows) in &c.shards {
            let short = shard.trim_start_matches("shardId-").trim_start_matches('0');
            let short = if short.is_empty() { "0" } else { short };
            for row in shard_rows.iter().filter(|r| r.unit == Unit::PerSecond) {
                line.push_str(&format!(
                    " shard{short}_{}={}",
                    row.label,
                    format_value(row.unit, row.last())
                ));
            }
        }
        for alarm in &c.alarms {
            line.push_str(&format!(" alarm:{}={}", alarm.name, alarm.state));
        }
        let p = &c.pipeline;
        line.push_str(&format!(
            " invocations={:.0} failed_records={:.0} forwarded={:.0} failed_batches={}",
            p.invocations, p.failed_records, p.forwarded, p.failed_batches
        ));
        line.push_str(&format!(
            " sent={sent} throttled={throttled} received={received} errors={errors}"
        ));
        line
    }
}

/// The function side of the pipeline, for the live view.
fn pipeline_line(p: &pipeline::Pipeline, s: &pipeline::PipelineStatus) -> String {
    format!(
        "\nfunction {}: {:.0} invocations, {:.0} failed records (retried); {:.0} records forwarded to {}; {} batches in the on-failure queue\n",
        p.function, s.invocations, s.failed_records, s.forwarded, p.output_stream, s.failed_batches
    )
}

/// Collects every second, renders `/metrics` and the live view, until `--duration` or
/// Ctrl-C; returns whether Ctrl-C ended it.
async fn collection_loop(
    c: &mut Collection,
    view: &View<'_>,
    page: &RwLock<String>,
    started: Instant,
) -> bool {
    let terminal = std::io::stdout().is_terminal();
    let deadline = view.args.duration.map(|d| tokio::time::Instant::now() + d);
    let until_deadline = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending::<()>().await,
        }
    };
    tokio::pin!(until_deadline);
    // Collect a quarter second after each wall-clock second, once the period has ended.
    let first = 1250 - now_ms().rem_euclid(1000);
    let mut ticker = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_millis(first as u64),
        Duration::from_secs(1),
    );
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = &mut until_deadline => return false,
            _ = tokio::signal::ctrl_c() => return true,
        }
        let cycle = c.step(&view.args.stream, view.pipeline).await;
        for e in &cycle.errors {
            eprintln!("streamwatch demo: {e}");
        }
        *page.write() = metric_export::prometheus::encode(
            &cycle.samples,
            &[],
            &own_gauges(&view.args.stream, view.counters, view.offered),
        );
        let elapsed = started.elapsed().as_secs_f64().round() as u64;
        if terminal {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(view.screen(elapsed, c).as_bytes());
            let _ = stdout.flush();
        } else {
            println!("{}", view.line(elapsed, c));
        }
    }
}

/// What the summary reports besides the collected rows.
struct Outcome {
    interrupted: bool,
    elapsed: Duration,
    stats: Option<kinesis_client::producer::ProducerStats>,
    close_error: Option<String>,
}

/// Prints the summary printed at the end (or on Ctrl-C).
fn print_summary(c: &Collection, counters: &Counters, offered: &Offered, outcome: &Outcome) {
    let (rows, shards) = (&c.rows, &c.shards);
    let secs = outcome.elapsed.as_secs_f64().max(1e-3);
    let sent = counters.sent.load(Ordering::Relaxed);
    let bytes = counters.bytes.load(Ordering::Relaxed);
    let throttled = counters.throttled.load(Ordering::Relaxed);
    let errors = counters.errors.load(Ordering::Relaxed)
        + counters.consumer_errors.load(Ordering::Relaxed)
        + c.errors
        + u64::from(outcome.close_error.is_some());
    let row = |metric: &str| rows.iter().find(|r| r.metric == metric);
    let cw_total = |metric: &str| row(metric).map_or(0.0, |r| r.total);
    let p99 = row("PutRecords.Latency").and_then(|r| r.max);
    let age = row("GetRecords.IteratorAgeMilliseconds").and_then(|r| r.max);
    println!();
    println!(
        "summary ({}{:.1} s, {} one-second periods collected)",
        if outcome.interrupted {
            "interrupted after "
        } else {
            ""
        },
        secs,
        c.seen_periods
    );
    println!(
        "  records offered: {}",
        offered.offered.load(Ordering::Relaxed)
    );
    println!("  records sent: {sent}");
    println!("  bytes sent: {bytes}");
    println!("  throttled: {throttled}");
    println!(
        "  dropped (producer queue full): {}",
        offered.queue_full.load(Ordering::Relaxed)
    );
    if let Some(s) = &outcome.stats {
        println!("  undelivered: {}", s.undelivered);
        println!("  PutRecords calls: {}", s.put_calls);
    }
    println!(
        "  records received by the consumer: {}",
        counters.received.load(Ordering::Relaxed)
    );
    println!(
        "  mean rate: {:.0} records/s, {}/s sent",
        sent as f64 / secs,
        format_value(Unit::BytesPerSecond, Some(bytes as f64 / secs))
    );
    println!(
        "  CloudWatch: IncomingRecords {:.0} ({:.0}/s), IncomingBytes {:.0}, PutRecords.ThrottledRecords {:.0}, WriteProvisionedThroughputExceeded {:.0}",
        cw_total("IncomingRecords"),
        cw_total("IncomingRecords") / secs,
        cw_total("IncomingBytes"),
        cw_total("PutRecords.ThrottledRecords"),
        cw_total("WriteProvisionedThroughputExceeded"),
    );
    println!(
        "  PutRecords.Latency p99 (highest per second): {}",
        format_value(Unit::Millis, p99)
    );
    println!(
        "  GetRecords.IteratorAgeMilliseconds (highest): {}",
        format_value(Unit::Millis, age)
    );
    for (shard, shard_rows) in shards {
        let total = |metric: &str| {
            shard_rows
                .iter()
                .find(|r| r.metric == metric)
                .map_or(0.0, |r| r.total)
        };
        println!(
            "  {shard}: IncomingRecords {:.0}, IncomingBytes {:.0}, WriteProvisionedThroughputExceeded {:.0}",
            total("IncomingRecords"),
            total("IncomingBytes"),
            total("WriteProvisionedThroughputExceeded"),
        );
    }
    let p = &c.pipeline;
    println!(
        "  function: {:.0} invocations, {:.0} failed records, {:.0} records forwarded downstream, {} batches in the on-failure queue",
        p.invocations, p.failed_records, p.forwarded, p.failed_batches
    );
    for alarm in &c.alarms {
        println!(
            "  alarm {}: {} ({} state changes)",
            alarm.name, alarm.state, alarm.changes
        );
    }
    println!("  errors: {errors}");
    if let Some(e) = &outcome.close_error {
        println!("  closing the producer: {e}");
    }
}

/// Runs `streamwatch demo`.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.shards >= 1, "--shards must be at least 1");
    anyhow::ensure!(args.record_size >= 1, "--record-size must be at least 1");
    let stack = start_engine(&args).await?;
    // The console's address comes first, before the live view takes the terminal.
    println!("console: {}/  (open it in a browser)", stack.endpoint);
    let page = Arc::new(RwLock::new(String::new()));
    let metrics_url = serve_metrics(args.listen, page.clone()).await?;

    let counters = Arc::new(Counters::default());
    let offered = Arc::new(Offered::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let load = start_load(&args, &stack.kinesis, &counters, &offered, stop_rx.clone()).await?;
    let reader = start_consumer(&stack.kinesis, &args.stream, &counters, stop_rx);

    let shard_limits = match args.shard_limits {
        ShardLimits::Aws => "aws",
        ShardLimits::Off => "off",
    };
    eprintln!(
        "streamwatch demo: engine on {}, stream {:?} ({} shard(s), shard limits {shard_limits}), {} records/s of {} bytes, /metrics on {metrics_url}{}",
        stack.endpoint,
        args.stream,
        args.shards,
        args.rate,
        args.record_size,
        if args.duration.is_none() {
            "; Ctrl-C to stop"
        } else {
            ""
        }
    );

    let mut collection = Collection::new(stack.kinesis.clone(), stack.cloudwatch.clone());
    let started = Instant::now();
    let view = View {
        args: &args,
        pipeline: &stack.pipeline,
        endpoint: &stack.endpoint,
        metrics_url: &metrics_url,
        shard_limits,
        counters: &counters,
        offered: &offered,
    };
    let interrupted = collection_loop(&mut collection, &view, &page, started).await;

    // Stop the load and the reader, then one last cycle for the periods that ended since.
    let _ = stop_tx.send(true);
    let stats = load.await.context("the producer task")?;
    // Sending ends once the producer has drained its queue.
    let elapsed = started.elapsed();
    let _ = reader.await;
    // Let the period with the last records end before the last cycle reads it.
    let wait = 1100 - now_ms().rem_euclid(1000);
    tokio::time::sleep(Duration::from_millis(wait as u64)).await;
    collection.step(&args.stream, &stack.pipeline).await;
    stack
        .server
        .shutdown()
        .await
        .context("stopping the engine")?;

    let (stats, close_error) = match stats {
        Ok(s) => (Some(s), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let outcome = Outcome {
        interrupted,
        elapsed,
        stats,
        close_error,
    };
    print_summary(&collection, &counters, &offered, &outcome);
    Ok(())
}
