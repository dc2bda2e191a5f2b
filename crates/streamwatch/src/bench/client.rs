//! `streamwatch bench client`: our Kinesis client library (kinesis-client) measured side by
//! side with the Python library async-kinesis, in one run against the embedded engine, plus
//! the cost of the Prometheus metrics collector.
//!
//! The bench starts the engine as a child process (`serve --shard-limits off` on a free port)
//! and, one phase after the other:
//!
//! 1. produce: our [`Producer`] puts `--records` records into a stream of `--shards` shards;
//!    async-kinesis's `Producer` (`bench/async_kinesis_bench.py produce`, a child process)
//!    puts `--peer-records` into a second stream of the same shape. Each is timed from the
//!    first put until the producer is closed, i.e. until every record is delivered;
//! 2. consume: our [`Consumer`] reads its stream back from TRIM_HORIZON until every record
//!    arrived; async-kinesis's `Consumer` does the same with its stream;
//! 3. collector cost: our producer runs `--cost-runs` times with [`NoopCollector`] and as many
//!    with [`PrometheusCollector`], alternating, each into a fresh stream; the medians of
//!    records/s and of the bench's CPU time per record give the collector's cost. These runs
//!    go on a single-threaded runtime of their own (with a client of their own): without idle
//!    workers spinning and tasks hopping threads, CPU per record varies about half as much
//!    from run to run as on the multi-threaded runtime of phases 1 and 2.
//!
//! Records are `--record-size` bytes of random data (4096 distinct payloads, used in turn)
//! with random 16-hexadecimal-character partition keys, all built before the clock starts.
//! Both libraries keep their defaults except where the engine's lifted limits call for it:
//! their client-side per-shard write limits are off, our consumer polls without a pause, and
//! async-kinesis passes bytes through instead of JSON-encoding them. Rates are records per
//! second, so the two sides may put different numbers of records.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kinesis::types::StreamStatus;
use bytes::Bytes;
use clap::Args;
use futures::StreamExt;
use kinesis_client::metrics::{MetricsCollector, NoopCollector, PrometheusCollector};
use kinesis_client::{
    Consumer, ConsumerConfig, Producer, ProducerConfig, Record, StartingPosition,
};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::{SplitMix64, cpu_seconds, free_port};

/// Distinct payloads built up front; records take them in turn.
const DISTINCT_PAYLOADS: usize = 4096;
/// Length of the random hexadecimal partition keys.
const PK_LEN: usize = 16;
/// The longest the engine may take to start listening, or a stream to become ACTIVE.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest a consumer may take to read every record back.
const READ_TIMEOUT: Duration = Duration::from_secs(600);
/// The longest one async-kinesis child process may run.
const PEER_TIMEOUT: Duration = Duration::from_secs(900);
/// Credentials and region for both clients; the engine accepts any.
const ACCESS_KEY: &str = "AKIDBENCH";
const SECRET_KEY: &str = "secret";
const REGION: &str = "us-east-1";
/// Namespace of the Prometheus collector's metrics.
const PROM_NAMESPACE: &str = "streamwatch_bench";

// Targets, printed next to the measurements.
const TARGET_PRODUCER_RATIO: f64 = 10.0;
const TARGET_COLLECTOR_COST_PCT: f64 = 1.0;

/// Options of `streamwatch bench client`.
#[derive(Args, Debug)]
pub struct ClientArgs {
    /// Shards of each benchmark stream.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    shards: u32,
    /// Records our producer puts per run (and our consumer reads back).
    #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    records: u64,
    /// Records async-kinesis puts (and reads back); fewer, as it is slower. Rates are per
    /// second either way.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    peer_records: u64,
    /// Bytes of random data per record.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    record_size: u32,
    /// Runs of our producer with each collector (no-op and Prometheus, alternating) for the
    /// collector's cost; 0 skips it.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=100))]
    cost_runs: u32,
    /// Python interpreter with async-kinesis installed [default: the first of
    /// bench/.venv/bin/python3, .venv/bin/python3 and python3 that can import it].
    #[arg(long)]
    python: Option<PathBuf>,
    /// The async-kinesis side of the bench.
    #[arg(long, default_value = "bench/async_kinesis_bench.py")]
    script: PathBuf,
    /// Leave async-kinesis out (no Python needed); its column stays empty.
    #[arg(long)]
    skip_peer: bool,
    /// The streamwatch binary to run as the engine (default: this one).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Seed of the random record data and partition keys.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    json: bool,
}

/// Runs `streamwatch bench client` and prints its report.
pub async fn run(args: ClientArgs) -> anyhow::Result<()> {
    // Find out before anything runs that the peer cannot.
    let peer = if args.skip_peer {
        None
    } else {
        Some(find_peer(&args).await?)
    };

    eprintln!("bench client: starting the engine");
    let mut engine = Engine::start(args.server_bin.as_deref()).await?;
    let result = measure(&args, &engine, peer.as_ref()).await;
    engine.stop().await;
    let report = Report {
        args: &args,
        peer: peer.as_ref(),
        results: result?,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        print!("{}", report.table());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The engine

/// The engine running as a child process; killed when dropped.
struct Engine {
    child: Child,
    pid: String,
    endpoint: String,
    client: Client,
}

impl Engine {
    async fn start(server_bin: Option<&Path>) -> anyhow::Result<Engine> {
        let port = free_port()?;
        let mut child = super::serve_command(server_bin, port)?
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting streamwatch serve")?;
        let pid = child.id().context("the engine exited at once")?.to_string();
        let stdout = child
            .stdout
            .take()
            .context("the engine's stdout was not captured")?;
        let mut lines = BufReader::new(stdout).lines();
        let wait_ready = async {
            while let Some(line) = lines.next_line().await? {
                if let Some(endpoint) = line.strip_prefix("listening on ") {
                    return Ok(Some(endpoint.trim().to_owned()));
                }
            }
            Ok::<_, std::io::Error>(None)
        };
        let endpoint = match tokio::time::timeout(START_TIMEOUT, wait_ready).await {
            Ok(Ok(Some(endpoint))) => endpoint,
            Ok(Ok(None)) => bail!("the engine exited before it was listening"),
            Ok(Err(e)) => return Err(e).context("reading the engine's output"),
            Err(_) => bail!("the engine did not start listening in {START_TIMEOUT:?}"),
        };
        let config = aws_sdk_kinesis::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new(
                ACCESS_KEY, SECRET_KEY, None, None, "bench",
            ))
            .endpoint_url(&endpoint)
            .build();
        Ok(Engine {
            child,
            pid,
            endpoint,
            client: Client::from_conf(config),
        })
    }

    async fn stop(&mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    fn cpu(&self) -> anyhow::Result<f64> {
        cpu_seconds(&self.pid)
    }

    async fn create_stream(&self, name: &str, shards: u32) -> anyhow::Result<()> {
        self.client
            .create_stream()
            .stream_name(name)
            .shard_count(shards as i32)
            .send()
            .await
            .with_context(|| format!("creating stream {name}"))?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let summary = self
                .client
                .describe_stream_summary()
                .stream_name(name)
                .send()
                .await
                .with_context(|| format!("describing stream {name}"))?;
            let status = summary
                .stream_description_summary()
                .map(|s| s.stream_status().clone());
            if status == Some(StreamStatus::Active) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("stream {name} is not ACTIVE after {START_TIMEOUT:?}: {status:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn delete_stream(&self, name: &str) -> anyhow::Result<()> {
        self.client
            .delete_stream()
            .stream_name(name)
            .enforce_consumer_deletion(true)
            .send()
            .await
            .with_context(|| format!("deleting stream {name}"))?;
        Ok(())
    }
}

/// An aws-sdk-kinesis client for the engine at `endpoint`.
fn kinesis_client_for(endpoint: &str) -> Client {
    let config = aws_sdk_kinesis::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "bench",
        ))
        .endpoint_url(endpoint)
        .build();
    Client::from_conf(config)
}

/// The bench's own user plus system CPU seconds, all threads, at nanosecond resolution.
fn process_cpu() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

// ---------------------------------------------------------------------------------------------
// The measurements

/// One timed phase of one library.
#[derive(Clone, Copy, Debug)]
struct Run {
    records: u64,
    seconds: f64,
    /// CPU seconds of the client: this process for ours, the Python process for async-kinesis.
    client_cpu: f64,
    /// CPU seconds of the engine during the phase.
    server_cpu: f64,
}

impl Run {
    fn rate(&self) -> Option<f64> {
        (self.seconds > 0.0).then(|| self.records as f64 / self.seconds)
    }

    fn client_us_per_record(&self) -> Option<f64> {
        (self.records > 0).then(|| self.client_cpu * 1e6 / self.records as f64)
    }

    fn server_us_per_record(&self) -> Option<f64> {
        (self.records > 0).then(|| self.server_cpu * 1e6 / self.records as f64)
    }
}

/// Which collector a cost run used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Collector {
    Noop,
    Prometheus,
}

impl Collector {
    fn name(self) -> &'static str {
        match self {
            Collector::Noop => "noop",
            Collector::Prometheus => "prometheus",
        }
    }

    fn build(self) -> Arc<dyn MetricsCollector> {
        match self {
            Collector::Noop => Arc::new(NoopCollector),
            Collector::Prometheus => Arc::new(PrometheusCollector::new(PROM_NAMESPACE)),
        }
    }
}

/// Everything one bench run measured.
struct Results {
    produce: Run,
    consume: Run,
    peer_produce: Option<Run>,
    peer_consume: Option<Run>,
    /// The cost runs in the order they ran.
    cost: Vec<(Collector, Run)>,
}

async fn measure(
    args: &ClientArgs,
    engine: &Engine,
    peer: Option<&Peer>,
) -> anyhow::Result<Results> {
    let records: Arc<[Record]> =
        build_records(args.records, args.record_size as usize, args.seed).into();
    let ours = "client-bench-kinesis-client";
    engine.create_stream(ours, args.shards).await?;
    eprintln!(
        "bench client: kinesis-client producer, {} records",
        args.records
    );
    let produce =
        our_producer(&engine.client, &engine.pid, ours, &records, Collector::Noop).await?;

    let mut peer_produce = None;
    let mut peer_consume = None;
    let theirs = "client-bench-async-kinesis";
    if let Some(peer) = peer {
        engine.create_stream(theirs, args.shards).await?;
        eprintln!(
            "bench client: async-kinesis producer, {} records",
            args.peer_records
        );
        peer_produce = Some(peer.run(args, engine, "produce", theirs).await?);
    }

    eprintln!("bench client: kinesis-client consumer");
    let consume = our_consumer(engine, ours, args.records, args.record_size).await?;
    if let Some(peer) = peer {
        eprintln!("bench client: async-kinesis consumer");
        peer_consume = Some(peer.run(args, engine, "consume", theirs).await?);
    }
    // Free the engine's memory before the cost runs.
    engine.delete_stream(ours).await?;
    if peer.is_some() {
        engine.delete_stream(theirs).await?;
    }

    let mut cost = Vec::new();
    for i in 0..args.cost_runs {
        for collector in [Collector::Noop, Collector::Prometheus] {
            eprintln!(
                "bench client: collector cost, run {} of {}, {}",
                i + 1,
                args.cost_runs,
                collector.name()
            );
            let stream = format!("client-bench-cost-{i}-{}", collector.name());
            engine.create_stream(&stream, args.shards).await?;
            let run = isolated_producer(engine, &stream, &records, collector).await?;
            engine.delete_stream(&stream).await?;
            cost.push((collector, run));
        }
    }
    Ok(Results {
        produce,
        consume,
        peer_produce,
        peer_consume,
        cost,
    })
}

/// `n` records of `size` random bytes with random partition keys, the same for every run
/// with the same seed. The payloads are slices of one buffer of `DISTINCT_PAYLOADS` of them.
fn build_records(n: u64, size: usize, seed: u64) -> Vec<Record> {
    let mut rng = SplitMix64(seed);
    let distinct = (n as usize).min(DISTINCT_PAYLOADS);
    let mut pool = vec![0u8; distinct * size];
    for chunk in pool.chunks_mut(8) {
        let r = rng.next().to_le_bytes();
        chunk.copy_from_slice(&r[..chunk.len()]);
    }
    let pool = Bytes::from(pool);
    (0..n as usize)
        .map(|i| {
            let at = (i % distinct) * size;
            Record::new(
                format!("{:0width$x}", rng.next(), width = PK_LEN),
                pool.slice(at..at + size),
            )
        })
        .collect()
}

/// Our producer: every record put one after the other, timed until `close` returns.
async fn our_producer(
    client: &Client,
    server_pid: &str,
    stream: &str,
    records: &[Record],
    collector: Collector,
) -> anyhow::Result<Run> {
    let config = ProducerConfig {
        // The engine runs without shard limits; keeping AWS's per-shard rate on our side
        // would measure the limit, not the producer.
        shard_rate_limit: false,
        metrics: Some(collector.build()),
        ..ProducerConfig::default()
    };
    let producer = Producer::with_config(client.clone(), stream, config)
        .await
        .context("starting the producer")?;
    let batch = records.to_vec();
    let n = batch.len() as u64;
    let server_before = cpu_seconds(server_pid)?;
    let cpu_before = process_cpu();
    let start = Instant::now();
    for record in batch {
        producer.put(record).await.context("producer put")?;
    }
    let stats = producer.close().await.context("closing the producer")?;
    let seconds = start.elapsed().as_secs_f64();
    let client_cpu = process_cpu() - cpu_before;
    let server_cpu = cpu_seconds(server_pid)? - server_before;
    if stats.records_sent != n || stats.undelivered != 0 {
        bail!(
            "the producer delivered {} of {n} records ({} given up)",
            stats.records_sent,
            stats.undelivered
        );
    }
    Ok(Run {
        records: n,
        seconds,
        client_cpu,
        server_cpu,
    })
}

/// [`our_producer`] on a runtime of its own: one thread, with a client of its own.
async fn isolated_producer(
    engine: &Engine,
    stream: &str,
    records: &Arc<[Record]>,
    collector: Collector,
) -> anyhow::Result<Run> {
    let (endpoint, pid, stream, records) = (
        engine.endpoint.clone(),
        engine.pid.clone(),
        stream.to_owned(),
        Arc::clone(records),
    );
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("bench-producer".into())
        .spawn(move || {
            let result = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("building the producer's runtime")
                .and_then(|rt| {
                    rt.block_on(async {
                        let client = kinesis_client_for(&endpoint);
                        our_producer(&client, &pid, &stream, &records, collector).await
                    })
                });
            let _ = tx.send(result);
        })
        .context("starting the producer's thread")?;
    rx.await
        .context("the producer's thread ended without a result")?
}

/// Our consumer: the stream from TRIM_HORIZON until `expected` records arrived.
async fn our_consumer(
    engine: &Engine,
    stream: &str,
    expected: u64,
    record_size: u32,
) -> anyhow::Result<Run> {
    let config = ConsumerConfig {
        starting_position: StartingPosition::TrimHorizon,
        // The engine's limits are off: no need to space GetRecords calls out.
        min_poll_interval: Duration::ZERO,
        metrics: Some(Arc::new(NoopCollector)),
        ..ConsumerConfig::default()
    };
    let server_before = engine.cpu()?;
    let cpu_before = process_cpu();
    let start = Instant::now();
    let deadline = tokio::time::Instant::now() + READ_TIMEOUT;
    let mut consumer = Consumer::with_config(engine.client.clone(), stream, config);
    let mut received = 0u64;
    let mut data_bytes = 0u64;
    while received < expected {
        match tokio::time::timeout_at(deadline, consumer.next()).await {
            Ok(Some(Ok(record))) => {
                received += 1;
                data_bytes += record.data.len() as u64;
            }
            Ok(Some(Err(e))) => return Err(e).context("reading the stream"),
            Ok(None) => bail!("the consumer ended after {received} of {expected} records"),
            Err(_) => {
                bail!("the consumer read {received} of {expected} records in {READ_TIMEOUT:?}")
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let client_cpu = process_cpu() - cpu_before;
    let server_cpu = engine.cpu()? - server_before;
    consumer.close().await;
    if data_bytes != expected * u64::from(record_size) {
        bail!("the consumer read {data_bytes} bytes of data in {expected} records");
    }
    Ok(Run {
        records: received,
        seconds,
        client_cpu,
        server_cpu,
    })
}

// ---------------------------------------------------------------------------------------------
// async-kinesis

/// A Python interpreter that imports async-kinesis, and the script that drives it.
struct Peer {
    python: PathBuf,
    script: PathBuf,
    python_version: String,
    library_version: String,
}

/// Prints `<python version> <async-kinesis version>` when the library imports.
const IMPORT_CHECK: &str = "import sys, importlib.metadata as m, kinesis.producer, kinesis.consumer; \
     print(sys.version.split()[0], m.version('async-kinesis'))";
const INSTALL_HINT: &str = "python3 -m venv bench/.venv && bench/.venv/bin/pip install -r bench/requirements.txt \
     (or: .venv/bin/pip install -r bench/requirements.txt; or pass --skip-peer)";

/// The interpreter to use: `--python`, or the first candidate that imports async-kinesis.
async fn find_peer(args: &ClientArgs) -> anyhow::Result<Peer> {
    if !args.script.is_file() {
        bail!(
            "{} is missing: run from the repository root or pass --script",
            args.script.display()
        );
    }
    let candidates: Vec<PathBuf> = match &args.python {
        Some(p) => vec![p.clone()],
        None => ["bench/.venv/bin/python3", ".venv/bin/python3"]
            .iter()
            .map(PathBuf::from)
            .filter(|p| p.is_file())
            .chain([PathBuf::from("python3")])
            .collect(),
    };
    for python in &candidates {
        let out = Command::new(python)
            .args(["-c", IMPORT_CHECK])
            .stdin(Stdio::null())
            .output()
            .await;
        let Ok(out) = out else { continue };
        if !out.status.success() {
            continue;
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let mut words = text.split_whitespace();
        let (Some(py), Some(lib)) = (words.next(), words.next()) else {
            continue;
        };
        return Ok(Peer {
            python: python.clone(),
            script: args.script.clone(),
            python_version: py.to_owned(),
            library_version: lib.to_owned(),
        });
    }
    let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    bail!(
        "async_kinesis is not importable by {}: install it with `{INSTALL_HINT}`",
        tried.join(", ")
    )
}

impl Peer {
    /// Runs the script in `mode` (`produce` or `consume`) and reads its JSON line.
    async fn run(
        &self,
        args: &ClientArgs,
        engine: &Engine,
        mode: &str,
        stream: &str,
    ) -> anyhow::Result<Run> {
        let mut cmd = Command::new(&self.python);
        cmd.arg(&self.script)
            .arg(mode)
            .args(["--endpoint", &engine.endpoint, "--stream", stream])
            .args(["--records", &args.peer_records.to_string()])
            .args(["--record-size", &args.record_size.to_string()])
            .args(["--seed", &args.seed.to_string()])
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_DEFAULT_REGION", REGION)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let server_before = engine.cpu()?;
        let out = tokio::time::timeout(PEER_TIMEOUT, cmd.output())
            .await
            .with_context(|| format!("async-kinesis {mode} ran over {PEER_TIMEOUT:?}"))?
            .with_context(|| format!("starting {}", self.python.display()))?;
        let server_cpu = engine.cpu()? - server_before;
        if !out.status.success() {
            bail!(
                "async-kinesis {mode} failed ({}); its output is above",
                out.status
            );
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .with_context(|| format!("async-kinesis {mode} printed nothing"))?;
        let v: Value = serde_json::from_str(line)
            .with_context(|| format!("async-kinesis {mode} printed {line:?}"))?;
        let number = |key: &str| {
            v.get(key)
                .and_then(Value::as_f64)
                .with_context(|| format!("no {key} in async-kinesis {mode}'s {line}"))
        };
        let records = number("records")? as u64;
        if records != args.peer_records {
            bail!(
                "async-kinesis {mode} handled {records} of {} records",
                args.peer_records
            );
        }
        if let Some(bytes) = v.get("bytes").and_then(Value::as_u64) {
            let expected = args.peer_records * u64::from(args.record_size);
            if bytes != expected {
                bail!("async-kinesis {mode} read {bytes} bytes of data, not {expected}");
            }
        }
        Ok(Run {
            records,
            seconds: number("seconds")?,
            client_cpu: number("cpu_seconds")?,
            server_cpu,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Report

/// The median of some numbers (the mean of the middle two for an even count).
fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

/// How much more `with` costs than `base`, in percent.
fn cost_pct(base: Option<f64>, with: Option<f64>) -> Option<f64> {
    let (base, with) = (base?, with?);
    (base > 0.0).then(|| (with / base - 1.0) * 100.0)
}

fn ratio(ours: Option<f64>, theirs: Option<f64>) -> Option<f64> {
    let (ours, theirs) = (ours?, theirs?);
    (theirs != 0.0).then(|| ours / theirs)
}

struct Report<'a> {
    args: &'a ClientArgs,
    peer: Option<&'a Peer>,
    results: Results,
}

/// One line of the comparison table: key, label, decimals, and how to read it from a run.
type RunMetric = (&'static str, &'static str, usize, fn(&Run) -> Option<f64>);

const RUN_METRICS: &[RunMetric] = &[
    ("records_per_sec", "records/s", 0, Run::rate),
    ("records", "records", 0, |r| Some(r.records as f64)),
    ("seconds", "seconds", 3, |r| Some(r.seconds)),
    (
        "client_cpu_us_per_record",
        "client CPU us/record",
        2,
        Run::client_us_per_record,
    ),
    (
        "server_cpu_us_per_record",
        "server CPU us/record",
        2,
        Run::server_us_per_record,
    ),
];

/// Medians over the cost runs of one collector.
struct CostSummary {
    rate: Option<f64>,
    client_us: Option<f64>,
    server_us: Option<f64>,
    client_us_runs: Vec<f64>,
}

impl CostSummary {
    /// (max - min) / median of the client CPU per record over the runs, in percent: how far
    /// apart runs with the same collector are, to set the cost against.
    fn spread_pct(&self) -> Option<f64> {
        let median = self.client_us?;
        let max = self.client_us_runs.iter().copied().reduce(f64::max)?;
        let min = self.client_us_runs.iter().copied().reduce(f64::min)?;
        (median > 0.0).then(|| (max - min) / median * 100.0)
    }
}

impl Report<'_> {
    fn cost_summary(&self, which: Collector) -> CostSummary {
        let runs: Vec<&Run> = self
            .results
            .cost
            .iter()
            .filter(|(c, _)| *c == which)
            .map(|(_, r)| r)
            .collect();
        let of = |f: fn(&Run) -> Option<f64>| runs.iter().filter_map(|r| f(r)).collect::<Vec<_>>();
        CostSummary {
            rate: median(of(Run::rate)),
            client_us: median(of(Run::client_us_per_record)),
            server_us: median(of(Run::server_us_per_record)),
            client_us_runs: of(Run::client_us_per_record),
        }
    }

    /// (noop, prometheus, CPU cost %, records/s cost %).
    fn collector_cost(&self) -> (CostSummary, CostSummary, Option<f64>, Option<f64>) {
        let noop = self.cost_summary(Collector::Noop);
        let prom = self.cost_summary(Collector::Prometheus);
        let cpu = cost_pct(noop.client_us, prom.client_us);
        // Extra wall time per record: records/s is its inverse.
        let rate = cost_pct(prom.rate, noop.rate);
        (noop, prom, cpu, rate)
    }

    fn producer_ratio(&self) -> Option<f64> {
        ratio(
            self.results.produce.rate(),
            self.results.peer_produce.as_ref().and_then(Run::rate),
        )
    }

    /// The targets: (description, measured, met).
    fn targets(&self) -> Vec<(String, f64, bool)> {
        let mut out = Vec::new();
        if let Some(v) = self.producer_ratio() {
            out.push((
                format!("producer >= {TARGET_PRODUCER_RATIO}x async-kinesis"),
                v,
                v >= TARGET_PRODUCER_RATIO,
            ));
        }
        if let (_, _, Some(v), _) = self.collector_cost() {
            out.push((
                format!("Prometheus collector CPU cost < {TARGET_COLLECTOR_COST_PCT}%"),
                v,
                v < TARGET_COLLECTOR_COST_PCT,
            ));
        }
        out
    }

    fn table(&self) -> String {
        let a = self.args;
        let r = &self.results;
        let cell = |v: Option<f64>, decimals: usize| match v {
            Some(v) => format!("{v:.decimals$}"),
            None => "-".to_owned(),
        };
        let mut s = String::new();
        let peer = match self.peer {
            Some(p) => format!(
                "async-kinesis {} (Python {}): {} records",
                p.library_version, p.python_version, a.peer_records
            ),
            None => "async-kinesis: skipped".to_owned(),
        };
        let _ = writeln!(
            s,
            "workload: engine `serve --shard-limits off` on 127.0.0.1, streams of {} shards, \
             records of {} B random data with random {PK_LEN}-hex-char partition keys; \
             kinesis-client: {} records; {peer}",
            a.shards, a.record_size, a.records
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{:<36} {:>14} {:>14} {:>9}  target",
            "metric", "kinesis-client", "async-kinesis", "ratio"
        );
        let _ = writeln!(s, "{}", "-".repeat(88));
        for (phase, ours, theirs) in [
            ("producer", &r.produce, r.peer_produce.as_ref()),
            ("consumer", &r.consume, r.peer_consume.as_ref()),
        ] {
            for (key, label, decimals, get) in RUN_METRICS {
                let target = if phase == "producer" && *key == "records_per_sec" {
                    format!(">= {TARGET_PRODUCER_RATIO}x")
                } else {
                    String::new()
                };
                let ratio_cell = match *key {
                    "records" | "seconds" => "".to_owned(),
                    _ => cell(ratio(get(ours), theirs.and_then(get)), 2),
                };
                let _ = writeln!(
                    s,
                    "{:<36} {:>14} {:>14} {:>9}  {}",
                    format!("{phase} {label}"),
                    cell(get(ours), *decimals),
                    cell(theirs.and_then(get), *decimals),
                    ratio_cell,
                    target,
                );
            }
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "ratio = kinesis-client / async-kinesis (for CPU, lower is better). Producer: from the \
             first put until close() returns; consumer: from opening it until the last record \
             arrived. client CPU = this process (kinesis-client) or the Python process \
             (async-kinesis) over that time; server CPU = the engine's."
        );

        if !r.cost.is_empty() {
            let (noop, prom, cpu_cost, rate_cost) = self.collector_cost();
            let runs = r.cost.len() / 2;
            let _ = writeln!(s);
            let _ = writeln!(
                s,
                "collector cost: kinesis-client producer, {} records per run, {runs} runs with each \
                 collector (noop, prometheus, alternating), medians",
                a.records
            );
            let _ = writeln!(s);
            let _ = writeln!(
                s,
                "{:<40} {:>12} {:>12} {:>9}  target",
                "metric", "noop", "prometheus", "cost"
            );
            let _ = writeln!(s, "{}", "-".repeat(88));
            let pct = |v: Option<f64>| match v {
                Some(v) => format!("{v:+.2}%"),
                None => "-".to_owned(),
            };
            let _ = writeln!(
                s,
                "{:<40} {:>12} {:>12} {:>9}",
                "producer records/s",
                cell(noop.rate, 0),
                cell(prom.rate, 0),
                pct(rate_cost),
            );
            let _ = writeln!(
                s,
                "{:<40} {:>12} {:>12} {:>9}  < {TARGET_COLLECTOR_COST_PCT}%",
                "client CPU us/record (= s per 1M)",
                cell(noop.client_us, 3),
                cell(prom.client_us, 3),
                pct(cpu_cost),
            );
            let _ = writeln!(
                s,
                "{:<40} {:>12} {:>12} {:>9}",
                "server CPU us/record",
                cell(noop.server_us, 3),
                cell(prom.server_us, 3),
                pct(cost_pct(noop.server_us, prom.server_us)),
            );
            let list = |v: &[f64]| {
                v.iter()
                    .map(|x| format!("{x:.3}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let _ = writeln!(s);
            let _ = writeln!(
                s,
                "client CPU us/record per run: noop {}; prometheus {}",
                list(&noop.client_us_runs),
                list(&prom.client_us_runs)
            );
            let _ = writeln!(
                s,
                "run-to-run spread of client CPU/record, (max - min) / median: noop {}, prometheus {}",
                pct(noop.spread_pct()).trim_start_matches('+'),
                pct(prom.spread_pct()).trim_start_matches('+'),
            );
            let _ = writeln!(
                s,
                "cost = prometheus / noop - 1 per record (CPU time, or wall time for records/s). \
                 These runs use a single-threaded runtime of their own. CPU is this whole \
                 process's (clock_gettime CLOCK_PROCESS_CPUTIME_ID, ns resolution): the \
                 producer, the SDK and the collector; a cost smaller than the spread is within \
                 noise."
            );
        }

        let targets = self.targets();
        if !targets.is_empty() {
            let _ = writeln!(s);
            let _ = writeln!(s, "targets:");
            for (what, value, met) in targets {
                let _ = writeln!(
                    s,
                    "  {what:<44} {value:>10.2}  {}",
                    if met { "met" } else { "NOT MET" }
                );
            }
        }
        // Rows without a target or ratio end in spaces.
        s.lines()
            .fold(String::with_capacity(s.len()), |mut out, line| {
                out.push_str(line.trim_end());
                out.push('\n');
                out
            })
    }

    fn to_json(&self) -> Value {
        let a = self.args;
        let r = &self.results;
        let run_json = |run: Option<&Run>| match run {
            Some(run) => {
                let mut obj = serde_json::Map::new();
                for (key, _, _, get) in RUN_METRICS {
                    obj.insert((*key).into(), json!(get(run)));
                }
                obj.insert("client_cpu_seconds".into(), json!(run.client_cpu));
                obj.insert("server_cpu_seconds".into(), json!(run.server_cpu));
                Value::Object(obj)
            }
            None => Value::Null,
        };
        let ratios = |ours: &Run, theirs: Option<&Run>| {
            let mut obj = serde_json::Map::new();
            for (key, _, _, get) in RUN_METRICS {
                if matches!(*key, "records" | "seconds") {
                    continue;
                }
                obj.insert((*key).into(), json!(ratio(get(ours), theirs.and_then(get))));
            }
            Value::Object(obj)
        };
        let (noop, prom, cpu_cost, rate_cost) = self.collector_cost();
        let summary = |c: &CostSummary| {
            json!({
                "records_per_sec": c.rate,
                "client_cpu_us_per_record": c.client_us,
                "server_cpu_us_per_record": c.server_us,
                "client_cpu_us_per_record_runs": c.client_us_runs,
                "client_cpu_spread_pct": c.spread_pct(),
            })
        };
        json!({
            "workload": {
                "shards": a.shards,
                "record_size": a.record_size,
                "partition_key_len": PK_LEN,
                "records": a.records,
                "peer_records": a.peer_records,
                "cost_runs": a.cost_runs,
                "async_kinesis_version": self.peer.map(|p| p.library_version.clone()),
                "python_version": self.peer.map(|p| p.python_version.clone()),
            },
            "producer": {
                "kinesis_client": run_json(Some(&r.produce)),
                "async_kinesis": run_json(r.peer_produce.as_ref()),
                "ratio": ratios(&r.produce, r.peer_produce.as_ref()),
            },
            "consumer": {
                "kinesis_client": run_json(Some(&r.consume)),
                "async_kinesis": run_json(r.peer_consume.as_ref()),
                "ratio": ratios(&r.consume, r.peer_consume.as_ref()),
            },
            "collector_cost": {
                "noop": summary(&noop),
                "prometheus": summary(&prom),
                "cpu_cost_pct": cpu_cost,
                "records_per_sec_cost_pct": rate_cost,
            },
            "targets": self.targets().into_iter().map(|(what, value, met)| {
                json!({"target": what, "value": value, "met": met})
            }).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_repeatable() {
        let a = build_records(5000, 100, 3);
        let b = build_records(5000, 100, 3);
        assert_eq!(a, b);
        assert!(a.iter().all(|r| r.data.len() == 100));
        assert!(a.iter().all(|r| r.partition_key.len() == PK_LEN));
        assert_ne!(a[0].data, a[1].data);
        assert_eq!(a[0].data, a[DISTINCT_PAYLOADS].data);
        assert_ne!(a[0].partition_key, a[DISTINCT_PAYLOADS].partition_key);
    }

    #[test]
    fn medians_and_costs() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
        let c = cost_pct(Some(10.0), Some(10.1)).unwrap();
        assert!((c - 1.0).abs() < 1e-9);
        assert_eq!(ratio(Some(10.0), Some(0.0)), None);
    }
}
