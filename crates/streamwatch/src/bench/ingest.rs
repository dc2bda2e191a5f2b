//! `streamwatch bench` without a subcommand: throughput, latency and memory of the Kinesis API over HTTP, measured
//! side by side with kinesalite in the same run.
//!
//! For each target the bench starts the server as a child process on a free port (our own
//! binary with `serve --shard-limits off`, kinesalite with node), creates a stream and runs:
//!
//! 1. ingest: `--clients` keep-alive HTTP/1.1 connections send PutRecords of `--batch` records
//!    for `--duration` seconds, each waiting for its answer before the next call;
//! 2. read: one reader per shard walks its shard from TRIM_HORIZON with GetRecords
//!    (`Limit` = `--read-limit`) until a call returns no records, and every stored record
//!    must have been read;
//! 3. memory: the growth of the server's resident set over the ingest phase, per stored
//!    record, less the record's payload.
//!
//! Targets run one after the other, never at once, so each has the machine to itself. The
//! client is kept cheap because it shares the cores with the server: request bodies are built
//! once from a fixed seed (so both targets get the same bytes), and answers are scanned for the
//! few members the bench needs instead of being parsed; GetRecords answers (about 14 MB each)
//! are scanned chunk by chunk as they arrive and never held whole. The CPU seconds of the
//! server and of the client are reported per phase, so the cost of the client stays visible.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use clap::{Args, ValueEnum};
use futures::StreamExt as _;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use memchr::memmem;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use super::{SplitMix64, cpu_seconds, free_port};

/// Name of the stream the bench creates on each target.
pub(super) const STREAM: &str = "streamwatch-bench";
/// Length of the random hexadecimal partition keys.
const PK_LEN: usize = 16;
/// Distinct PutRecords bodies built up front and sent in turn.
const DISTINCT_BODIES: usize = 16;
/// The longest a single call may take before the bench gives up.
const CALL_TIMEOUT: Duration = Duration::from_secs(120);
/// The longest a server may take to start listening, or a stream to become ACTIVE.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Throttled calls are retried after this pause (none are expected with limits off).
const THROTTLE_PAUSE: Duration = Duration::from_millis(20);
/// Consecutive throttled answers to one call before the bench gives up.
const MAX_THROTTLE_RETRIES: u32 = 500;

const JSON_1_1: &str = "application/x-amz-json-1.1";
/// Any signature is accepted by both targets; kinesalite checks that these parts are present.
const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0";
const AMZ_DATE: &str = "20260101T000000Z";

// The issue's targets, printed next to the measurements.
const TARGET_INGEST_PER_SEC: f64 = 200_000.0;
const TARGET_READ_PER_SEC: f64 = 500_000.0;
const TARGET_RATIO: f64 = 20.0;
const TARGET_OVERHEAD_BYTES: f64 = 64.0;

/// Which servers to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TargetChoice {
    /// This binary's `serve`.
    Streamwatch,
    /// kinesalite from npm, run with node.
    Kinesalite,
    /// Both, one after the other, with their ratio.
    Both,
}

/// Options of `streamwatch bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Servers to measure.
    #[arg(long, value_enum, default_value_t = TargetChoice::Both)]
    target: TargetChoice,
    /// Concurrent HTTP/1.1 keep-alive connections sending PutRecords.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    clients: u32,
    /// Shards of the benchmark stream; the read phase runs one reader per shard.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    shards: u32,
    /// Seconds of ingest.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds of ingest for kinesalite (default: --duration); rates are per second either way.
    #[arg(long)]
    kinesalite_duration: Option<f64>,
    /// Bytes of random data per record.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    record_size: u32,
    /// Records per PutRecords call.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=500))]
    batch: u32,
    /// `Limit` of each GetRecords call.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    read_limit: u32,
    /// Folder where `npm ci --prefix <dir>` installed kinesalite (holds node_modules/).
    #[arg(long, default_value = "bench")]
    kinesalite_dir: PathBuf,
    /// The node executable that runs kinesalite.
    #[arg(long, default_value = "node")]
    node: PathBuf,
    /// The streamwatch binary to measure (default: this one).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Seed of the random record data and partition keys.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    json: bool,
    /// CloudWatch alarms to create on the benchmark stream's metrics before ingest (streamwatch
    /// only): high-resolution ones, evaluated by the engine every 10 seconds while it ingests,
    /// with thresholds spread so that some change state. Compare a run with 0 to see what
    /// evaluating them costs.
    #[arg(long, default_value_t = 0)]
    alarms: u32,
}

/// Runs the benchmark and prints its report.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if !(args.duration > 0.0 && args.duration.is_finite()) {
        bail!("--duration must be a positive number of seconds");
    }
    let kinesalite_duration = args.kinesalite_duration.unwrap_or(args.duration);
    if !(kinesalite_duration > 0.0 && kinesalite_duration.is_finite()) {
        bail!("--kinesalite-duration must be a positive number of seconds");
    }
    let workload = Workload {
        clients: args.clients as usize,
        shards: args.shards,
        batch: args.batch as usize,
        read_limit: args.read_limit,
        record_size: args.record_size as usize,
        alarms: args.alarms,
        bodies: Arc::from(put_bodies(
            args.batch as usize,
            args.record_size as usize,
            args.seed,
        )),
    };

    let mut kinds = Vec::new();
    if args.target != TargetChoice::Kinesalite {
        kinds.push(Kind::Streamwatch);
    }
    if args.target != TargetChoice::Streamwatch {
        // Find out now, not after the first target's run, that kinesalite cannot start.
        kinesalite_cli(&args)?;
        let node = Command::new(&args.node).arg("--version").output().await;
        if !node.is_ok_and(|out| out.status.success()) {
            bail!(
                "`{} --version` failed: kinesalite needs node (or pass --target streamwatch)",
                args.node.display()
            );
        }
        kinds.push(Kind::Kinesalite);
    }
    let mut results = Vec::new();
    for kind in kinds {
        let duration = match kind {
            Kind::Streamwatch => args.duration,
            Kind::Kinesalite => kinesalite_duration,
        };
        eprintln!("bench: {}: starting", kind.name());
        let mut server = spawn_server(kind, &args).await?;
        let result = measure(&server, &workload, Duration::from_secs_f64(duration)).await;
        server.stop().await;
        results.push(result.with_context(|| format!("benchmarking {}", kind.name()))?);
    }

    let report = Report {
        workload: &workload,
        results: &results,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        print!("{}", report.table());
    }
    Ok(())
}

/// What every target is asked to do.
struct Workload {
    clients: usize,
    shards: u32,
    batch: usize,
    read_limit: u32,
    record_size: usize,
    /// Alarms created on the stream's metrics before ingest (streamwatch only).
    alarms: u32,
    bodies: Arc<[Bytes]>,
}

impl Workload {
    /// Bytes of one record as the server stores it: data plus partition key.
    fn payload(&self) -> usize {
        self.record_size + PK_LEN
    }
}

/// Builds the PutRecords bodies: `DISTINCT_BODIES` of `batch` records of random data with
/// random partition keys, the same for every run with the same seed.
fn put_bodies(batch: usize, record_size: usize, seed: u64) -> Vec<Bytes> {
    let mut rng = SplitMix64(seed);
    let mut data = vec![0u8; record_size];
    (0..DISTINCT_BODIES)
        .map(|_| {
            let mut s = String::with_capacity(batch * (record_size * 4 / 3 + 64) + 64);
            s.push_str("{\"StreamName\":\"");
            s.push_str(STREAM);
            s.push_str("\",\"Records\":[");
            for i in 0..batch {
                if i > 0 {
                    s.push(',');
                }
                for chunk in data.chunks_mut(8) {
                    let r = rng.next().to_le_bytes();
                    chunk.copy_from_slice(&r[..chunk.len()]);
                }
                s.push_str("{\"Data\":\"");
                STANDARD.encode_string(&data, &mut s);
                let _ = write!(s, "\",\"PartitionKey\":\"{:016x}\"}}", rng.next());
            }
            s.push_str("]}");
            Bytes::from(s)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Servers

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Streamwatch,
    Kinesalite,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Streamwatch => "streamwatch",
            Kind::Kinesalite => "kinesalite",
        }
    }
}

/// A server running as a child process; killed when dropped.
struct Server {
    kind: Kind,
    child: Child,
    pid: u32,
    addr: SocketAddr,
}

impl Server {
    async fn stop(&mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// kinesalite's command-line entry point under `--kinesalite-dir`.
fn kinesalite_cli(args: &BenchArgs) -> anyhow::Result<PathBuf> {
    let cli = args
        .kinesalite_dir
        .join("node_modules")
        .join("kinesalite")
        .join("cli.js");
    if !cli.is_file() {
        bail!(
            "kinesalite is not installed: {} is missing; run `npm ci --prefix {}` \
             (or pass --target streamwatch)",
            cli.display(),
            args.kinesalite_dir.display()
        );
    }
    Ok(cli)
}

async fn spawn_server(kind: Kind, args: &BenchArgs) -> anyhow::Result<Server> {
    let port = free_port()?;
    let cmd = match kind {
        Kind::Streamwatch => super::serve_command(args.server_bin.as_deref(), port)?,
        Kind::Kinesalite => {
            let mut cmd = Command::new(&args.node);
            cmd.arg(kinesalite_cli(args)?)
                .args(["--port", &port.to_string()])
                .args(["--createStreamMs", "0", "--deleteStreamMs", "0"])
                .args(["--updateStreamMs", "0", "--shardLimit", "1000"]);
            cmd
        }
    };
    let (child, pid) = start_child(cmd, kind.name()).await?;
    Ok(Server {
        kind,
        child,
        pid,
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
    })
}

/// Spawns a server (killed when its [`Child`] is dropped), waits for its `listening` line and
/// keeps draining its output; returns it with its pid.
pub(super) async fn start_child(mut cmd: Command, name: &str) -> anyhow::Result<(Child, u32)> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let mut child = cmd.spawn().with_context(|| format!("starting {name}"))?;
    let pid = child
        .id()
        .with_context(|| format!("{name} exited at once"))?;
    let stdout = child
        .stdout
        .take()
        .context("the server's stdout was not captured")?;
    let mut lines = BufReader::new(stdout).lines();
    // streamwatch prints `listening on http://...`, kinesalite `Listening at http://...`.
    let wait_ready = async {
        while let Some(line) = lines.next_line().await? {
            if line.to_ascii_lowercase().starts_with("listening") {
                return Ok(true);
            }
        }
        Ok::<_, std::io::Error>(false)
    };
    match tokio::time::timeout(START_TIMEOUT, wait_ready).await {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => bail!("{name} exited before it was listening"),
        Ok(Err(e)) => return Err(e).context(format!("reading {name}'s output")),
        Err(_) => bail!("{name} did not start listening in {START_TIMEOUT:?}"),
    }
    // Keep draining its output so that a chatty server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, pid))
}

// ---------------------------------------------------------------------------------------------
// HTTP client

#[derive(Clone, Copy, Debug)]
pub(super) enum Action {
    CreateStream,
    DescribeStream,
    PutRecords,
    GetShardIterator,
    GetRecords,
}

impl Action {
    fn target(self) -> &'static str {
        match self {
            Action::CreateStream => "Kinesis_20131202.CreateStream",
            Action::DescribeStream => "Kinesis_20131202.DescribeStream",
            Action::PutRecords => "Kinesis_20131202.PutRecords",
            Action::GetShardIterator => "Kinesis_20131202.GetShardIterator",
            Action::GetRecords => "Kinesis_20131202.GetRecords",
        }
    }
}

/// Where a 200 answer's body goes, chunk by chunk; `None` keeps it in [`Conn`]'s buffer.
pub(super) type Sink<'a, 'f> = Option<&'a mut (dyn FnMut(&[u8]) + Send + 'f)>;

/// One keep-alive HTTP/1.1 connection, used for one call at a time.
pub(super) struct Conn {
    sender: SendRequest<Full<Bytes>>,
    host: HeaderValue,
    /// The last answer's body. Reused, so that large answers land in memory that is already
    /// mapped instead of a fresh allocation (whose page faults would bill the client).
    reply: Vec<u8>,
    /// Calls answered with a throttling error and retried.
    pub(super) throttled: u64,
}

impl Conn {
    pub(super) async fn open(addr: SocketAddr) -> anyhow::Result<Conn> {
        let tcp = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        tcp.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn {
            sender,
            host: HeaderValue::from_str(&addr.to_string())?,
            reply: Vec::new(),
            throttled: 0,
        })
    }

    /// Sends one request and returns its status. A 200 answer's body goes to `sink` when one
    /// is given; any other body, or every body without a sink, is left in `self.reply`.
    async fn send(
        &mut self,
        action: Action,
        body: Bytes,
        mut sink: Sink<'_, '_>,
    ) -> anyhow::Result<StatusCode> {
        let req = Request::post("/")
            .header(HOST, self.host.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static(JSON_1_1))
            .header(
                HeaderName::from_static("x-amz-target"),
                HeaderValue::from_static(action.target()),
            )
            .header(AUTHORIZATION, HeaderValue::from_static(AUTH))
            .header(
                HeaderName::from_static("x-amz-date"),
                HeaderValue::from_static(AMZ_DATE),
            )
            .body(Full::new(body))?;
        self.reply.clear();
        let exchange = async {
            self.sender.ready().await?;
            let resp = self.sender.send_request(req).await?;
            let status = resp.status();
            let mut body = resp.into_body();
            while let Some(frame) = body.frame().await {
                if let Ok(data) = frame?.into_data() {
                    match sink.as_deref_mut() {
                        Some(sink) if status == StatusCode::OK => sink(&data),
                        _ => self.reply.extend_from_slice(&data),
                    }
                }
            }
            Ok::<_, hyper::Error>(status)
        };
        match tokio::time::timeout(CALL_TIMEOUT, exchange).await {
            Ok(r) => Ok(r.with_context(|| format!("{action:?} over HTTP"))?),
            Err(_) => bail!("{action:?} got no answer in {CALL_TIMEOUT:?}"),
        }
    }

    /// Sends a request until it is answered with 200, retrying throttling errors; any other
    /// error fails the bench. The 200 answer's body goes to `sink`, or stays in `self.reply`.
    pub(super) async fn call_into(
        &mut self,
        action: Action,
        body: &Bytes,
        mut sink: Sink<'_, '_>,
    ) -> anyhow::Result<()> {
        let mut retries = 0;
        loop {
            let status = self.send(action, body.clone(), sink.as_deref_mut()).await?;
            if status == StatusCode::OK {
                return Ok(());
            }
            let reply = &self.reply;
            let code = error_code(reply);
            let throttled =
                code.contains("ProvisionedThroughputExceeded") || code.contains("LimitExceeded");
            if !throttled || retries >= MAX_THROTTLE_RETRIES {
                let text = String::from_utf8_lossy(&reply[..reply.len().min(500)]).into_owned();
                bail!("{action:?} failed: HTTP {status}: {text}");
            }
            retries += 1;
            self.throttled += 1;
            tokio::time::sleep(THROTTLE_PAUSE).await;
        }
    }

    /// [`Conn::call_into`], returning the whole body.
    pub(super) async fn call(&mut self, action: Action, body: &Bytes) -> anyhow::Result<&[u8]> {
        self.call_into(action, body, None).await?;
        Ok(&self.reply)
    }

    pub(super) async fn call_json(&mut self, action: Action, body: Value) -> anyhow::Result<Value> {
        let reply = self
            .call(action, &Bytes::from(serde_json::to_vec(&body)?))
            .await?;
        if reply.is_empty() {
            // CreateStream answers 200 with no body.
            return Ok(Value::Null);
        }
        serde_json::from_slice(reply).with_context(|| format!("{action:?} answered bad JSON"))
    }
}

/// The `__type` of an error body, without any `namespace#` prefix.
fn error_code(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let t = v.get("__type").and_then(Value::as_str).unwrap_or("");
    t.rsplit('#').next().unwrap_or(t).to_owned()
}

// ---------------------------------------------------------------------------------------------
// Scanning answers without parsing them

/// The bytes after `"key"` and its colon, or `None` when the key is absent.
pub(super) fn after_key<'a>(body: &'a [u8], key: &str, last: bool) -> Option<&'a [u8]> {
    let quoted = format!("\"{key}\"");
    let at = if last {
        memmem::rfind(body, quoted.as_bytes())?
    } else {
        memmem::find(body, quoted.as_bytes())?
    };
    let rest = body[at + quoted.len()..].trim_ascii_start();
    Some(rest.strip_prefix(b":")?.trim_ascii_start())
}

/// `FailedRecordCount` of a PutRecords answer.
pub(super) fn failed_record_count(body: &[u8]) -> Option<u64> {
    let rest = after_key(body, "FailedRecordCount", false)?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

/// The string value of the last `"key"` in `body` (a short one: it is decoded by serde).
pub(super) fn last_string(body: &[u8], key: &str) -> anyhow::Result<Option<String>> {
    let Some(rest) = after_key(body, key, true) else {
        return Ok(None);
    };
    if rest.starts_with(b"null") {
        return Ok(None);
    }
    // Find the closing quote, stepping over escapes.
    let mut i = 1;
    while i < rest.len() && rest[i] != b'"' {
        i += if rest[i] == b'\\' { 2 } else { 1 };
    }
    let quoted = rest.get(..=i).context("unterminated string")?;
    Ok(Some(serde_json::from_slice(quoted)?))
}

/// What a GetRecords page held.
struct Page {
    records: u64,
    data_bytes: u64,
    next_iterator: Option<String>,
}

/// The member whose values the page scanner counts.
const DATA_KEY: &[u8] = b"\"Data\"";
/// Bytes kept from each end of a GetRecords answer, where NextShardIterator sits (at the end
/// for streamwatch, at the start for kinesalite).
const EDGE: usize = 8192;

#[derive(Clone, Copy, PartialEq, Eq)]
enum ScanState {
    /// Looking for the next `"Data"`.
    Seek,
    /// After `"Data"`, before the colon.
    Key,
    /// After the colon, before the opening quote.
    Colon,
    /// Inside a Data value.
    Value,
}

/// Reads a GetRecords answer as it arrives, chunk by chunk, without keeping it: counts the
/// `"Data"` members and their decoded bytes (base64 holds no quote, so a value ends at the
/// next one), and keeps both ends of the answer to find NextShardIterator in.
struct PageScanner {
    finder: memmem::Finder<'static>,
    state: ScanState,
    /// The end of the previous chunk, in case `"Data"` straddles two chunks.
    carry: Vec<u8>,
    value_len: usize,
    /// Last two bytes of the current value, for its `=` padding.
    value_end: [u8; 2],
    records: u64,
    data_bytes: u64,
    head: Vec<u8>,
    tail: Vec<u8>,
    total: usize,
}

impl PageScanner {
    fn new() -> PageScanner {
        PageScanner {
            finder: memmem::Finder::new(DATA_KEY),
            state: ScanState::Seek,
            carry: Vec::with_capacity(DATA_KEY.len()),
            value_len: 0,
            value_end: [0; 2],
            records: 0,
            data_bytes: 0,
            head: Vec::with_capacity(EDGE),
            tail: Vec::with_capacity(3 * EDGE),
            total: 0,
        }
    }

    fn reset(&mut self) {
        self.state = ScanState::Seek;
        self.carry.clear();
        self.records = 0;
        self.data_bytes = 0;
        self.head.clear();
        self.tail.clear();
        self.total = 0;
    }

    fn feed(&mut self, chunk: &[u8]) {
        self.total += chunk.len();
        if self.head.len() < EDGE {
            let take = (EDGE - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.tail
            .extend_from_slice(&chunk[chunk.len().saturating_sub(EDGE)..]);
        if self.tail.len() > 2 * EDGE {
            self.tail.drain(..self.tail.len() - EDGE);
        }

        let mut i = 0;
        let keep = DATA_KEY.len() - 1;
        if self.state == ScanState::Seek && !self.carry.is_empty() {
            // A key that starts in what came before this chunk.
            let carried = self.carry.len();
            self.carry
                .extend_from_slice(&chunk[..chunk.len().min(keep)]);
            match self.finder.find(&self.carry).filter(|&at| at < carried) {
                Some(at) => {
                    i = at + DATA_KEY.len() - carried;
                    self.state = ScanState::Key;
                    self.carry.clear();
                }
                None => self.carry.truncate(carried),
            }
        }
        while i < chunk.len() {
            match self.state {
                ScanState::Seek => match self.finder.find(&chunk[i..]) {
                    Some(at) => {
                        i += at + DATA_KEY.len();
                        self.state = ScanState::Key;
                        self.carry.clear();
                    }
                    None => {
                        self.carry
                            .extend_from_slice(&chunk[i.max(chunk.len().saturating_sub(keep))..]);
                        if self.carry.len() > keep {
                            self.carry.drain(..self.carry.len() - keep);
                        }
                        i = chunk.len();
                    }
                },
                ScanState::Key | ScanState::Colon => {
                    let b = chunk[i];
                    i += 1;
                    self.state = match (self.state, b) {
                        (_, b' ' | b'\t' | b'\r' | b'\n') => self.state,
                        (ScanState::Key, b':') => ScanState::Colon,
                        (ScanState::Colon, b'"') => {
                            self.value_len = 0;
                            self.value_end = [0; 2];
                            ScanState::Value
                        }
                        // `"Data"` that was not a member holding a string.
                        _ => ScanState::Seek,
                    };
                }
                ScanState::Value => {
                    let rest = &chunk[i..];
                    let end = memchr::memchr(b'"', rest);
                    let piece = &rest[..end.unwrap_or(rest.len())];
                    self.value_len += piece.len();
                    match piece {
                        [.., a, b] => self.value_end = [*a, *b],
                        [b] => self.value_end = [self.value_end[1], *b],
                        [] => {}
                    }
                    match end {
                        Some(at) => {
                            let padding = match self.value_end {
                                [b'=', b'='] => 2,
                                [_, b'='] => 1,
                                _ => 0,
                            };
                            self.data_bytes +=
                                (self.value_len / 4 * 3).saturating_sub(padding) as u64;
                            self.records += 1;
                            self.state = ScanState::Seek;
                            i += at + 1;
                        }
                        None => i = chunk.len(),
                    }
                }
            }
        }
    }

    /// The page, once the whole answer has been fed.
    fn finish(&mut self) -> anyhow::Result<Page> {
        if self.state == ScanState::Value {
            bail!("GetRecords answer ends inside a Data value");
        }
        let next_iterator = if self.total <= self.head.len() {
            last_string(&self.head, "NextShardIterator")?
        } else {
            match last_string(&self.tail, "NextShardIterator")? {
                Some(it) => Some(it),
                None => last_string(&self.head, "NextShardIterator")?,
            }
        };
        Ok(Page {
            records: self.records,
            data_bytes: self.data_bytes,
            next_iterator,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Phases

/// Everything measured on one target.
struct TargetResult {
    kind: Kind,
    ingest: IngestResult,
    read: ReadResult,
    rss_before_kib: u64,
    rss_after_kib: u64,
}

impl TargetResult {
    /// RSS growth over ingest per stored record, less the record's payload.
    fn overhead_per_record(&self, payload: usize) -> Option<f64> {
        if self.ingest.acked == 0 {
            return None;
        }
        let growth = self.rss_after_kib.saturating_sub(self.rss_before_kib) as f64 * 1024.0;
        Some(growth / self.ingest.acked as f64 - payload as f64)
    }
}

struct IngestResult {
    seconds: f64,
    calls: u64,
    acked: u64,
    failed: u64,
    throttled: u64,
    latency: Latency,
    server_cpu: f64,
    client_cpu: f64,
}

struct ReadResult {
    seconds: f64,
    calls: u64,
    records: u64,
    data_bytes: u64,
    throttled: u64,
    latency: Latency,
    server_cpu: f64,
    client_cpu: f64,
}

/// Percentiles of per-call latency.
#[derive(Default, Clone, Copy)]
struct Latency {
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl Latency {
    fn of(mut micros: Vec<u32>) -> Latency {
        if micros.is_empty() {
            return Latency::default();
        }
        micros.sort_unstable();
        let at = |p: usize| f64::from(micros[(micros.len() * p / 100).min(micros.len() - 1)]) / 1e3;
        Latency {
            p50_ms: at(50),
            p99_ms: at(99),
            max_ms: at(100),
        }
    }
}

fn elapsed_micros(since: Instant) -> u32 {
    u32::try_from(since.elapsed().as_micros()).unwrap_or(u32::MAX)
}

async fn measure(
    server: &Server,
    w: &Workload,
    duration: Duration,
) -> anyhow::Result<TargetResult> {
    let name = server.kind.name();
    let mut admin = Conn::open(server.addr).await?;
    admin
        .call_json(
            Action::CreateStream,
            json!({"StreamName": STREAM, "ShardCount": w.shards}),
        )
        .await?;
    wait_active(&mut admin).await?;
    if server.kind == Kind::Streamwatch && w.alarms > 0 {
        eprintln!("bench: {name}: creating {} alarms", w.alarms);
        create_alarms(server.addr, w.alarms).await?;
    }
    // Let the server settle (kinesalite's first GC, our housekeeping tick) before measuring.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let rss_before_kib = rss_kib(server.pid)?;
    eprintln!(
        "bench: {name}: ingest, {} clients x PutRecords of {} records, {:.1} s",
        w.clients,
        w.batch,
        duration.as_secs_f64()
    );
    let ingest = ingest(server, w, duration).await?;
    let rss_after_kib = rss_kib(server.pid)?;

    eprintln!("bench: {name}: read, {} readers", w.shards);
    let read = read(server, w).await?;
    if read.records != ingest.acked {
        bail!(
            "{name}: read {} records but {} were stored",
            read.records,
            ingest.acked
        );
    }
    Ok(TargetResult {
        kind: server.kind,
        ingest,
        read,
        rss_before_kib,
        rss_after_kib,
    })
}

/// Puts `n` high-resolution alarms on the stream's IncomingRecords and IncomingBytes, with
/// thresholds from 0 up, through the CloudWatch API (16 calls at a time).
async fn create_alarms(addr: SocketAddr, n: u32) -> anyhow::Result<()> {
    let config = crate::sdk::sdk_config("us-east-1", Some(&format!("http://{addr}"))).await;
    let cw = aws_sdk_cloudwatch::Client::new(&config);
    let calls = futures::stream::iter(0..n).map(|i| {
        let cw = cw.clone();
        async move {
            let metric = if i % 2 == 0 {
                "IncomingRecords"
            } else {
                "IncomingBytes"
            };
            cw.put_metric_alarm()
                .alarm_name(format!("bench-{i:05}"))
                .namespace("AWS/Kinesis")
                .metric_name(metric)
                .dimensions(
                    aws_sdk_cloudwatch::types::Dimension::builder()
                        .name("StreamName")
                        .value(STREAM)
                        .build(),
                )
                .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
                .period(10)
                .evaluation_periods(1)
                .threshold(f64::from(i) * 1000.0)
                .comparison_operator(
                    aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold,
                )
                .send()
                .await
        }
    });
    let mut calls = calls.buffer_unordered(16);
    while let Some(result) = calls.next().await {
        result.context("PutMetricAlarm")?;
    }
    Ok(())
}

pub(super) async fn wait_active(admin: &mut Conn) -> anyhow::Result<()> {
    let since = Instant::now();
    loop {
        let v = admin
            .call_json(Action::DescribeStream, json!({"StreamName": STREAM}))
            .await?;
        let status = v
            .pointer("/StreamDescription/StreamStatus")
            .and_then(Value::as_str)
            .unwrap_or("");
        if status == "ACTIVE" {
            return Ok(());
        }
        if since.elapsed() > START_TIMEOUT {
            bail!("the stream is still {status} after {START_TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// What one ingest client saw.
#[derive(Default)]
struct ClientTally {
    calls: u64,
    acked: u64,
    failed: u64,
    throttled: u64,
    micros: Vec<u32>,
    finished: Option<Instant>,
}

async fn ingest(server: &Server, w: &Workload, duration: Duration) -> anyhow::Result<IngestResult> {
    let mut conns = Vec::with_capacity(w.clients);
    for _ in 0..w.clients {
        conns.push(Conn::open(server.addr).await?);
    }
    let server_cpu_before = cpu_seconds(&server.pid.to_string())?;
    let client_cpu_before = cpu_seconds("self")?;
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::with_capacity(w.clients);
    for (n, mut conn) in conns.into_iter().enumerate() {
        let bodies = Arc::clone(&w.bodies);
        let batch = w.batch as u64;
        tasks.push(tokio::spawn(async move {
            let mut t = ClientTally::default();
            let mut next = n;
            while Instant::now() < deadline {
                let body = &bodies[next % bodies.len()];
                next += 1;
                let sent = Instant::now();
                let reply = conn.call(Action::PutRecords, body).await?;
                t.micros.push(elapsed_micros(sent));
                let failed = failed_record_count(reply)
                    .context("PutRecords answer without FailedRecordCount")?;
                t.calls += 1;
                t.failed += failed;
                t.acked += batch.saturating_sub(failed);
            }
            t.throttled = conn.throttled;
            t.finished = Some(Instant::now());
            Ok::<_, anyhow::Error>(t)
        }));
    }
    let mut all = ClientTally::default();
    let mut end = start;
    for task in tasks {
        let t = task.await??;
        all.calls += t.calls;
        all.acked += t.acked;
        all.failed += t.failed;
        all.throttled += t.throttled;
        all.micros.extend(t.micros);
        end = end.max(t.finished.unwrap_or(end));
    }
    Ok(IngestResult {
        seconds: (end - start).as_secs_f64(),
        calls: all.calls,
        acked: all.acked,
        failed: all.failed,
        throttled: all.throttled,
        latency: Latency::of(all.micros),
        server_cpu: cpu_seconds(&server.pid.to_string())? - server_cpu_before,
        client_cpu: cpu_seconds("self")? - client_cpu_before,
    })
}

async fn read(server: &Server, w: &Workload) -> anyhow::Result<ReadResult> {
    let mut readers = Vec::with_capacity(w.shards as usize);
    for shard in 0..w.shards {
        // Fresh connections: node closes keep-alive connections idle for 5 s.
        let mut conn = Conn::open(server.addr).await?;
        let v = conn
            .call_json(
                Action::GetShardIterator,
                json!({
                    "StreamName": STREAM,
                    "ShardId": format!("shardId-{shard:012}"),
                    "ShardIteratorType": "TRIM_HORIZON",
                }),
            )
            .await?;
        let iterator = v
            .get("ShardIterator")
            .and_then(Value::as_str)
            .context("GetShardIterator answered no ShardIterator")?
            .to_owned();
        readers.push((conn, iterator));
    }
    let server_cpu_before = cpu_seconds(&server.pid.to_string())?;
    let client_cpu_before = cpu_seconds("self")?;
    let start = Instant::now();
    let limit = w.read_limit;
    let mut tasks = Vec::with_capacity(readers.len());
    for (mut conn, mut iterator) in readers {
        tasks.push(tokio::spawn(async move {
            let mut scanner = PageScanner::new();
            let (mut calls, mut records, mut data_bytes) = (0u64, 0u64, 0u64);
            let mut micros = Vec::new();
            loop {
                let body = serde_json::to_vec(&json!({"ShardIterator": iterator, "Limit": limit}))?;
                let sent = Instant::now();
                scanner.reset();
                conn.call_into(
                    Action::GetRecords,
                    &Bytes::from(body),
                    Some(&mut |chunk: &[u8]| scanner.feed(chunk)),
                )
                .await?;
                micros.push(elapsed_micros(sent));
                calls += 1;
                let page = scanner.finish()?;
                records += page.records;
                data_bytes += page.data_bytes;
                match page.next_iterator {
                    Some(next) if page.records > 0 => iterator = next,
                    _ => break,
                }
            }
            Ok::<_, anyhow::Error>((
                calls,
                records,
                data_bytes,
                micros,
                conn.throttled,
                Instant::now(),
            ))
        }));
    }
    let (mut calls, mut records, mut data_bytes, mut throttled) = (0, 0, 0, 0);
    let mut all_micros = Vec::new();
    let mut end = start;
    for task in tasks {
        let (c, r, b, m, t, finished) = task.await??;
        calls += c;
        records += r;
        data_bytes += b;
        throttled += t;
        all_micros.extend(m);
        end = end.max(finished);
    }
    Ok(ReadResult {
        seconds: (end - start).as_secs_f64(),
        calls,
        records,
        data_bytes,
        throttled,
        latency: Latency::of(all_micros),
        server_cpu: cpu_seconds(&server.pid.to_string())? - server_cpu_before,
        client_cpu: cpu_seconds("self")? - client_cpu_before,
    })
}

/// Resident set of a process, KiB (`VmRSS` in `/proc/<pid>/status`).
pub(super) fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no VmRSS in {path}"))
}

// ---------------------------------------------------------------------------------------------
// Report

struct Report<'a> {
    workload: &'a Workload,
    results: &'a [TargetResult],
}

/// One line of the table: its key in the JSON output, its label, the decimals shown, and how to
/// take the number from a result. The ratio column is always streamwatch / kinesalite.
struct Metric {
    key: &'static str,
    label: &'static str,
    decimals: usize,
    get: fn(&TargetResult, &Workload) -> Option<f64>,
}

const MB: f64 = 1e6;

fn per_record_micros(cpu: f64, records: u64) -> Option<f64> {
    (records > 0).then(|| cpu * 1e6 / records as f64)
}

fn rate(n: f64, seconds: f64) -> Option<f64> {
    (seconds > 0.0).then(|| n / seconds)
}

const METRICS: &[Metric] = &[
    Metric {
        key: "ingest_records_per_sec",
        label: "ingest records/s",
        decimals: 0,
        get: |r, _| rate(r.ingest.acked as f64, r.ingest.seconds),
    },
    Metric {
        key: "ingest_mb_per_sec",
        label: "ingest MB/s (data + key)",
        decimals: 1,
        get: |r, w| {
            rate(
                (r.ingest.acked * w.payload() as u64) as f64 / MB,
                r.ingest.seconds,
            )
        },
    },
    Metric {
        key: "put_records_p50_ms",
        label: "PutRecords latency p50 ms",
        decimals: 2,
        get: |r, _| Some(r.ingest.latency.p50_ms),
    },
    Metric {
        key: "put_records_p99_ms",
        label: "PutRecords latency p99 ms",
        decimals: 2,
        get: |r, _| Some(r.ingest.latency.p99_ms),
    },
    Metric {
        key: "put_records_max_ms",
        label: "PutRecords latency max ms",
        decimals: 2,
        get: |r, _| Some(r.ingest.latency.max_ms),
    },
    Metric {
        key: "put_records_calls",
        label: "PutRecords calls",
        decimals: 0,
        get: |r, _| Some(r.ingest.calls as f64),
    },
    Metric {
        key: "ingest_seconds",
        label: "ingest seconds",
        decimals: 2,
        get: |r, _| Some(r.ingest.seconds),
    },
    Metric {
        key: "records_stored",
        label: "records stored",
        decimals: 0,
        get: |r, _| Some(r.ingest.acked as f64),
    },
    Metric {
        key: "records_failed",
        label: "records failed (FailedRecordCount)",
        decimals: 0,
        get: |r, _| Some(r.ingest.failed as f64),
    },
    Metric {
        key: "ingest_server_cpu_us_per_record",
        label: "ingest server CPU us/record",
        decimals: 2,
        get: |r, _| per_record_micros(r.ingest.server_cpu, r.ingest.acked),
    },
    Metric {
        key: "ingest_client_cpu_us_per_record",
        label: "ingest client CPU us/record",
        decimals: 2,
        get: |r, _| per_record_micros(r.ingest.client_cpu, r.ingest.acked),
    },
    Metric {
        key: "read_records_per_sec",
        label: "read records/s",
        decimals: 0,
        get: |r, _| rate(r.read.records as f64, r.read.seconds),
    },
    Metric {
        key: "read_mb_per_sec",
        label: "read MB/s (data)",
        decimals: 1,
        get: |r, _| rate(r.read.data_bytes as f64 / MB, r.read.seconds),
    },
    Metric {
        key: "get_records_p50_ms",
        label: "GetRecords latency p50 ms",
        decimals: 2,
        get: |r, _| Some(r.read.latency.p50_ms),
    },
    Metric {
        key: "get_records_p99_ms",
        label: "GetRecords latency p99 ms",
        decimals: 2,
        get: |r, _| Some(r.read.latency.p99_ms),
    },
    Metric {
        key: "get_records_calls",
        label: "GetRecords calls",
        decimals: 0,
        get: |r, _| Some(r.read.calls as f64),
    },
    Metric {
        key: "read_server_cpu_us_per_record",
        label: "read server CPU us/record",
        decimals: 2,
        get: |r, _| per_record_micros(r.read.server_cpu, r.read.records),
    },
    Metric {
        key: "read_client_cpu_us_per_record",
        label: "read client CPU us/record",
        decimals: 2,
        get: |r, _| per_record_micros(r.read.client_cpu, r.read.records),
    },
    Metric {
        key: "throttled_calls",
        label: "throttled calls (retried)",
        decimals: 0,
        get: |r, _| Some((r.ingest.throttled + r.read.throttled) as f64),
    },
    Metric {
        key: "rss_before_ingest_mib",
        label: "server RSS before ingest MiB",
        decimals: 1,
        get: |r, _| Some(r.rss_before_kib as f64 / 1024.0),
    },
    Metric {
        key: "rss_after_ingest_mib",
        label: "server RSS after ingest MiB",
        decimals: 1,
        get: |r, _| Some(r.rss_after_kib as f64 / 1024.0),
    },
    Metric {
        key: "overhead_bytes_per_record",
        label: "memory overhead B/record",
        decimals: 1,
        get: |r, w| r.overhead_per_record(w.payload()),
    },
];

impl Report<'_> {
    fn get(&self, kind: Kind) -> Option<&TargetResult> {
        self.results.iter().find(|r| r.kind == kind)
    }

    fn value(&self, kind: Kind, m: &Metric) -> Option<f64> {
        (m.get)(self.get(kind)?, self.workload)
    }

    /// streamwatch / kinesalite for a metric, when both ran.
    fn ratio(&self, m: &Metric) -> Option<f64> {
        let sw = self.value(Kind::Streamwatch, m)?;
        let kl = self.value(Kind::Kinesalite, m)?;
        (kl != 0.0).then(|| sw / kl)
    }

    /// The issue's targets: (description, measured, met).
    fn targets(&self) -> Vec<(String, f64, bool)> {
        let metric = |key: &str| METRICS.iter().find(|m| m.key == key);
        let mut out = Vec::new();
        let sw = |key: &str| metric(key).and_then(|m| self.value(Kind::Streamwatch, m));
        let ratio = |key: &str| metric(key).and_then(|m| self.ratio(m));
        if let Some(v) = sw("ingest_records_per_sec") {
            out.push((
                format!("ingest >= {TARGET_INGEST_PER_SEC} records/s"),
                v,
                v >= TARGET_INGEST_PER_SEC,
            ));
        }
        if let Some(v) = sw("read_records_per_sec") {
            out.push((
                format!("read >= {TARGET_READ_PER_SEC} records/s"),
                v,
                v >= TARGET_READ_PER_SEC,
            ));
        }
        if let Some(v) = ratio("ingest_records_per_sec") {
            out.push((
                format!("ingest >= {TARGET_RATIO}x kinesalite"),
                v,
                v >= TARGET_RATIO,
            ));
        }
        if let Some(v) = ratio("read_records_per_sec") {
            out.push((
                format!("read >= {TARGET_RATIO}x kinesalite"),
                v,
                v >= TARGET_RATIO,
            ));
        }
        if let Some(v) = sw("overhead_bytes_per_record") {
            out.push((
                format!("memory overhead <= {TARGET_OVERHEAD_BYTES} B/record"),
                v,
                v <= TARGET_OVERHEAD_BYTES,
            ));
        }
        out
    }

    fn table(&self) -> String {
        let w = self.workload;
        let cell = |v: Option<f64>, decimals: usize| match v {
            Some(v) => format!("{v:.decimals$}"),
            None => "-".to_owned(),
        };
        let mut s = String::new();
        let _ = writeln!(
            s,
            "workload: {} client connections (HTTP/1.1 keep-alive), {} shards, PutRecords of {} x {} B records \
             (partition key {PK_LEN} B), GetRecords Limit {}, {} reader(s) (one per shard)",
            w.clients, w.shards, w.batch, w.record_size, w.read_limit, w.shards
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{:<36} {:>14} {:>14} {:>10}",
            "metric", "streamwatch", "kinesalite", "ratio"
        );
        let _ = writeln!(s, "{}", "-".repeat(77));
        for m in METRICS {
            let _ = writeln!(
                s,
                "{:<36} {:>14} {:>14} {:>10}",
                m.label,
                cell(self.value(Kind::Streamwatch, m), m.decimals),
                cell(self.value(Kind::Kinesalite, m), m.decimals),
                cell(self.ratio(m), 2),
            );
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "ratio = streamwatch / kinesalite (for latency, CPU and memory, lower is better)."
        );
        let _ = writeln!(
            s,
            "memory overhead = server RSS growth over ingest / records stored - {} B payload; RSS \
             also counts allocator slack, connection buffers and (for node) garbage not yet \
             collected, so it is an upper bound.",
            w.payload()
        );
        let _ = writeln!(
            s,
            "CPU us/record = CPU seconds of that process during the phase / records; the client \
             shares the machine's cores with the server."
        );
        let targets = self.targets();
        if !targets.is_empty() {
            let _ = writeln!(s);
            let _ = writeln!(s, "targets:");
            for (what, value, met) in targets {
                let _ = writeln!(
                    s,
                    "  {what:<40} {value:>12.1}  {}",
                    if met { "met" } else { "NOT MET" }
                );
            }
        }
        s
    }

    fn to_json(&self) -> Value {
        let w = self.workload;
        let mut targets = serde_json::Map::new();
        for r in self.results {
            let mut obj = serde_json::Map::new();
            for m in METRICS {
                obj.insert(m.key.into(), json!((m.get)(r, w)));
            }
            targets.insert(r.kind.name().into(), Value::Object(obj));
        }
        let mut ratios = serde_json::Map::new();
        if self.results.len() == 2 {
            for m in METRICS {
                ratios.insert(m.key.into(), json!(self.ratio(m)));
            }
        }
        json!({
            "workload": {
                "clients": w.clients,
                "shards": w.shards,
                "readers": w.shards,
                "batch": w.batch,
                "record_size": w.record_size,
                "partition_key_len": PK_LEN,
                "read_limit": w.read_limit,
                "alarms": w.alarms,
            },
            "results": targets,
            "ratio_streamwatch_over_kinesalite": ratios,
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
    fn bodies_are_repeatable_json() {
        let a = put_bodies(3, 10, 7);
        let b = put_bodies(3, 10, 7);
        assert_eq!(a, b);
        let v: Value = serde_json::from_slice(&a[0]).unwrap();
        let records = v["Records"].as_array().unwrap();
        assert_eq!(records.len(), 3);
        let data = STANDARD
            .decode(records[0]["Data"].as_str().unwrap())
            .unwrap();
        assert_eq!(data.len(), 10);
        assert_eq!(records[0]["PartitionKey"].as_str().unwrap().len(), PK_LEN);
    }

    fn scan_in_chunks(body: &[u8], size: usize) -> Page {
        let mut scanner = PageScanner::new();
        for chunk in body.chunks(size) {
            scanner.feed(chunk);
        }
        scanner.finish().unwrap()
    }

    #[test]
    fn scans_answers() {
        assert_eq!(
            failed_record_count(br#"{"FailedRecordCount": 3,"Records":[]}"#),
            Some(3)
        );
        let body = br#"{"Records":[{"SequenceNumber":"1","Data":"AAECAw==","PartitionKey":"k"},
            {"Data" : "AAEC","PartitionKey":"Data"},{"Data":"AA=="}],"NextShardIterator":"ab\/c+=","MillisBehindLatest":0}"#;
        for size in [1, 2, 3, 5, 7, 64, body.len()] {
            let page = scan_in_chunks(body, size);
            assert_eq!(page.records, 3, "chunks of {size}");
            assert_eq!(page.data_bytes, 4 + 3 + 1, "chunks of {size}");
            assert_eq!(page.next_iterator.as_deref(), Some("ab/c+="));
        }
        let empty = scan_in_chunks(br#"{"Records":[],"MillisBehindLatest":0}"#, 4);
        assert_eq!(empty.records, 0);
        assert!(empty.next_iterator.is_none());
    }

    #[test]
    fn finds_the_iterator_at_either_end_of_a_long_answer() {
        let data = STANDARD.encode([7u8; 1024]);
        let records: Vec<String> = (0..100)
            .map(|_| format!(r#"{{"Data":"{data}","PartitionKey":"k"}}"#))
            .collect();
        let records = records.join(",");
        let kinesalite = format!(
            r#"{{"MillisBehindLatest":0,"NextShardIterator":"AAAA","Records":[{records}]}}"#
        );
        let ours = format!(r#"{{"Records":[{records}],"NextShardIterator":"BBBB"}}"#);
        for (body, it) in [(kinesalite, "AAAA"), (ours, "BBBB")] {
            let page = scan_in_chunks(body.as_bytes(), 4000);
            assert_eq!(page.records, 100);
            assert_eq!(page.data_bytes, 102_400);
            assert_eq!(page.next_iterator.as_deref(), Some(it));
        }
    }

    #[test]
    fn percentiles() {
        let l = Latency::of((1..=100).map(|i| i * 1000).collect());
        assert_eq!(l.p50_ms, 51.0);
        assert_eq!(l.p99_ms, 100.0);
        assert_eq!(l.max_ms, 100.0);
    }
}
