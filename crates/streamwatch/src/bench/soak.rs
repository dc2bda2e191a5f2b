//! `streamwatch bench soak`: the server's memory, and the integrity of what it stores, under
//! sustained load with a journal (issue 18, "bounded memory under sustained load").
//!
//! The bench starts `serve --shard-limits off --data-dir DIR` as a child process on a free
//! loopback port (with any `--server-arg`s appended, e.g. `--server-arg=--max-memory
//! --server-arg=1GiB`), creates a stream and, all at once:
//!
//! - writers: `--clients` keep-alive connections send PutRecords of `--batch` records for
//!   `--duration` seconds, at `--rate` records/s in all when given. Each record's data starts
//!   with its writer's id and that writer's counter (12 bytes) followed by fixed filler, and its
//!   partition key is one of the writer's own keys;
//! - readers: one per shard, from TRIM_HORIZON with GetShardIterator and GetRecords. They start
//!   `--reader-delay-secs` after the writers and, while the writers run, keep about that far
//!   behind them (by the records' ApproximateArrivalTimestamp), so that they read records the
//!   server may already have moved out of memory. Every record is checked: read once, in
//!   order for its (writer, shard) -- a writer waits for each answer before its next call, so
//!   its counters on one shard only increase -- and with its data intact. Once the writers
//!   stop, the readers drain the stream until every acknowledged record was read (or they saw
//!   nothing new for a while, or `--drain-timeout-secs` passed);
//! - a sampler: every `--sample-secs`, the server's resident set (`VmRSS`), the records written
//!   and read so far, the write rate over the interval and the data directory's size on disk.
//!   The size is also checked four times a second against `--max-disk`: when the directory
//!   reaches it the writers stop early, and the report says so.
//!
//! The report is a table of the samples and a summary (peak RSS and `VmHWM`, mean ingest rate,
//! the read-back verdict), or `--json`. The bench exits non-zero when an acknowledged record
//! was not read back, was read twice or out of order, or came back altered. A data directory it
//! made itself (in the temporary folder) is removed at the end unless `--keep-data-dir`.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use clap::Args;
use memchr::memmem;
use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::process::Child;

use super::ingest::{
    Action, Conn, STREAM, after_key, failed_record_count, last_string, rss_kib, start_child,
    wait_active,
};
use super::{SplitMix64, free_port};

/// Bytes at the start of each record's data: the writer's id (u32) and its counter (u64),
/// little-endian. A multiple of 3, so that its base64 (16 characters) never shares a group
/// with the filler's and the filler's base64 can be built once.
const HEADER: usize = 12;
/// Base64 characters of [`HEADER`].
const HEADER_B64: usize = HEADER / 3 * 4;
/// Partition keys of each writer, used in turn.
const KEYS_PER_WRITER: usize = 64;
/// How often the sampler checks the data directory against `--max-disk`.
const DISK_CHECK: Duration = Duration::from_millis(250);
/// A reader that found nothing new for this long after the writers stopped gives up.
const IDLE_GIVE_UP: Duration = Duration::from_secs(10);
/// A reader's pause after an empty page.
const EMPTY_PAUSE: Duration = Duration::from_millis(200);

/// Options of `streamwatch bench soak`.
#[derive(Args, Debug)]
pub struct SoakArgs {
    /// Shards of the stream; one reader per shard.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    shards: u32,
    /// Writers: concurrent keep-alive connections sending PutRecords.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    clients: u32,
    /// Records per PutRecords call.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=500))]
    batch: u32,
    /// Bytes of data per record (at least 12: the writer's id and counter).
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(12..=1_000_000))]
    record_bytes: u32,
    /// Seconds the writers run (less if the data directory reaches --max-disk).
    #[arg(long, default_value_t = 600.0)]
    duration: f64,
    /// Records a second, all writers together [default: as fast as the server takes them].
    #[arg(long)]
    rate: Option<f64>,
    /// Seconds after the writers that the readers start; while the writers run the readers keep
    /// about this far behind them. 0 reads as records arrive.
    #[arg(long, default_value_t = 30.0)]
    reader_delay_secs: f64,
    /// Seconds between samples of the server's memory.
    #[arg(long, default_value_t = 10.0)]
    sample_secs: f64,
    /// The longest the readers may take, once the writers stopped, to read what is left.
    #[arg(long, default_value_t = 300.0)]
    drain_timeout_secs: f64,
    /// `Limit` of each GetRecords call.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    read_limit: u32,
    /// The writers stop early when the data directory reaches this size on disk (`20GiB`,
    /// `500MB`, `1048576`...).
    #[arg(long, default_value = "20GiB", value_parser = parse_size)]
    max_disk: u64,
    /// The server's data directory, which must be empty or absent (and is kept) [default: a
    /// new one in the temporary folder].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Keep the temporary data directory instead of removing it at the end.
    #[arg(long)]
    keep_data_dir: bool,
    /// The streamwatch binary to run as the server (default: this one).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// One more argument for `serve`, after the bench's own; repeat for several, e.g.
    /// `--server-arg=--max-memory --server-arg=1GiB`.
    #[arg(long, value_name = "ARG", allow_hyphen_values = true)]
    server_arg: Vec<String>,
    /// Seed of the filler data and partition keys.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    json: bool,
}

/// Parses a size such as `20GiB`, `1.5GB`, `512M` or `4096` (bytes): K, M, G and T are powers
/// of 1000 (with or without `B`), Ki, Mi, Gi and Ti powers of 1024.
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("not a size: {text:?} (e.g. 20GiB, 500MB, 4096)"))?;
    let unit = unit.trim();
    let unit = unit.strip_suffix(['B', 'b']).unwrap_or(unit);
    let factor: f64 = match unit.to_ascii_lowercase().as_str() {
        "" => 1.0,
        "k" => 1e3,
        "m" => 1e6,
        "g" => 1e9,
        "t" => 1e12,
        "ki" => 1024.0,
        "mi" => 1024.0 * 1024.0,
        "gi" => 1024.0 * 1024.0 * 1024.0,
        "ti" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => {
            return Err(format!(
                "unknown unit in {text:?}: use B, KB, MB, GB, KiB, MiB, GiB..."
            ));
        }
    };
    let bytes = n * factor;
    if !(bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("size out of range: {text:?}"));
    }
    Ok(bytes as u64)
}

fn positive(value: f64, flag: &str) -> anyhow::Result<()> {
    if !(value > 0.0 && value.is_finite()) {
        bail!("{flag} must be a positive number");
    }
    Ok(())
}

/// Runs `streamwatch bench soak` and prints its report; fails when the read-back was not
/// complete and in order.
pub async fn run(args: SoakArgs) -> anyhow::Result<()> {
    positive(args.duration, "--duration")?;
    positive(args.sample_secs, "--sample-secs")?;
    positive(args.drain_timeout_secs, "--drain-timeout-secs")?;
    if let Some(rate) = args.rate {
        positive(rate, "--rate")?;
    }
    if !(args.reader_delay_secs >= 0.0 && args.reader_delay_secs.is_finite()) {
        bail!("--reader-delay-secs must be 0 or more");
    }

    let data_dir = DataDir::prepare(args.data_dir.as_deref(), args.keep_data_dir)?;
    eprintln!("bench soak: data directory {}", data_dir.path.display());
    let mut server = start_server(&args, &data_dir.path).await?;
    let outcome = soak(&args, &server, &data_dir.path).await;
    let _ = server.child.start_kill();
    let _ = server.child.wait().await;
    let report = outcome?;
    drop(data_dir);

    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.to_json(&args))?);
    } else {
        print!("{}", report.summary(&args));
    }
    let v = &report.verdict;
    if !v.complete() {
        bail!(
            "read-back failed: {} missing, {} duplicate, {} out of order, {} corrupt of {} acknowledged",
            v.missing,
            v.duplicates,
            v.out_of_order,
            v.corrupt,
            v.acked
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Server and data directory

/// The server's data directory; removed when dropped if the bench made it and was not told to
/// keep it.
struct DataDir {
    path: PathBuf,
    remove: bool,
}

impl DataDir {
    fn prepare(given: Option<&Path>, keep: bool) -> anyhow::Result<DataDir> {
        if let Some(dir) = given {
            if dir.exists() {
                let mut entries =
                    std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
                if entries.next().is_some() {
                    bail!("--data-dir {} is not empty", dir.display());
                }
            }
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            return Ok(DataDir {
                path: dir.to_path_buf(),
                remove: false,
            });
        }
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path =
            std::env::temp_dir().join(format!("streamwatch-soak-{}-{stamp:x}", std::process::id()));
        std::fs::create_dir(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(DataDir {
            path,
            remove: !keep,
        })
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        if self.remove {
            if let Err(e) = std::fs::remove_dir_all(&self.path) {
                eprintln!("bench soak: removing {}: {e}", self.path.display());
            }
        } else {
            eprintln!("bench soak: data directory kept: {}", self.path.display());
        }
    }
}

struct Server {
    child: Child,
    pid: u32,
    addr: SocketAddr,
}

async fn start_server(args: &SoakArgs, data_dir: &Path) -> anyhow::Result<Server> {
    let port = free_port()?;
    let mut cmd = super::serve_command(args.server_bin.as_deref(), port)?;
    cmd.arg("--data-dir").arg(data_dir).args(&args.server_arg);
    let (child, pid) = start_child(cmd, "streamwatch serve").await?;
    Ok(Server {
        child,
        pid,
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
    })
}

/// Bytes the files under `dir` take on disk (allocated blocks, not lengths); files that vanish
/// while it walks are skipped.
fn disk_usage(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            if meta.is_dir() {
                stack.push(entry.path());
            }
            total += meta.blocks() * 512;
        }
    }
    total
}

/// `VmHWM` (peak resident set) of a process, KiB.
fn hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

// ---------------------------------------------------------------------------------------------
// Records

/// What writers and readers share.
struct Shared {
    /// Records acknowledged (not failed) so far.
    written: AtomicU64,
    /// Distinct, intact records read so far.
    read: AtomicU64,
    /// Set when the writers must stop before their time (disk full, interrupted).
    stop: AtomicBool,
    /// Set once every writer stopped; `acked_total` is final then.
    writers_done: AtomicBool,
    acked_total: AtomicU64,
    /// Records each writer sent or is sending: its counters so far are below this.
    sent: Vec<AtomicU64>,
    /// Records seen, a bit per (writer, counter).
    seen: Mutex<Vec<Vec<u64>>>,
    /// The base64 of the filler that follows each record's header.
    filler_b64: Vec<u8>,
}

/// The base64 of a record's filler: `record_bytes - HEADER` bytes from the seed.
fn filler_b64(record_bytes: usize, seed: u64) -> String {
    let mut rng = SplitMix64(seed ^ 0x5eed_f111);
    let filler: Vec<u8> = (0..record_bytes - HEADER)
        .map(|_| rng.next() as u8)
        .collect();
    STANDARD.encode(filler)
}

/// A writer's partition keys: random hexadecimal, from the seed and the writer's id.
fn writer_keys(writer: u32, seed: u64) -> Vec<String> {
    let mut rng = SplitMix64(seed.wrapping_mul(31).wrapping_add(u64::from(writer) + 1));
    (0..KEYS_PER_WRITER)
        .map(|_| format!("{:016x}", rng.next()))
        .collect()
}

/// The PutRecords body of `batch` records of `writer`, counters from `first`.
fn put_body(writer: u32, first: u64, batch: usize, keys: &[String], filler_b64: &[u8]) -> Bytes {
    let mut s = Vec::with_capacity(batch * (filler_b64.len() + 64) + 64);
    s.extend_from_slice(b"{\"StreamName\":\"");
    s.extend_from_slice(STREAM.as_bytes());
    s.extend_from_slice(b"\",\"Records\":[");
    let mut header = [0u8; HEADER];
    let mut header_b64 = [0u8; HEADER_B64];
    for i in 0..batch {
        let counter = first + i as u64;
        if i > 0 {
            s.push(b',');
        }
        header[..4].copy_from_slice(&writer.to_le_bytes());
        header[4..].copy_from_slice(&counter.to_le_bytes());
        // 12 bytes always encode to exactly 16 characters.
        let n = STANDARD
            .encode_slice(header, &mut header_b64)
            .unwrap_or_default();
        s.extend_from_slice(b"{\"Data\":\"");
        s.extend_from_slice(&header_b64[..n]);
        s.extend_from_slice(filler_b64);
        s.extend_from_slice(b"\",\"PartitionKey\":\"");
        s.extend_from_slice(keys[(counter % keys.len() as u64) as usize].as_bytes());
        s.extend_from_slice(b"\"}");
    }
    s.extend_from_slice(b"]}");
    Bytes::from(s)
}

/// The base64 `Data` values of a GetRecords answer, in order.
fn data_values(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    let key = b"\"Data\"";
    memmem::find_iter(body, key).filter_map(move |at| {
        let rest = body[at + key.len()..].trim_ascii_start();
        let rest = rest.strip_prefix(b":")?.trim_ascii_start();
        let rest = rest.strip_prefix(b"\"")?;
        let end = memchr::memchr(b'"', rest)?;
        Some(&rest[..end])
    })
}

/// The writer and counter of a record's base64 data, if it has the expected filler.
fn decode_record(value: &[u8], filler_b64: &[u8]) -> Option<(u32, u64)> {
    if value.len() != HEADER_B64 + filler_b64.len() || &value[HEADER_B64..] != filler_b64 {
        return None;
    }
    let mut header = [0u8; HEADER];
    let n = STANDARD
        .decode_slice(&value[..HEADER_B64], &mut header)
        .ok()?;
    if n != HEADER {
        return None;
    }
    let writer = u32::from_le_bytes(header[..4].try_into().ok()?);
    let counter = u64::from_le_bytes(header[4..].try_into().ok()?);
    Some((writer, counter))
}

/// The writer's counters whose records the server refused (`ErrorCode` in a PutRecords
/// answer), from the answer of the call whose first counter was `first`.
fn failed_counters(reply: &[u8], first: u64) -> anyhow::Result<Vec<u64>> {
    let v: Value = serde_json::from_slice(reply).context("PutRecords answered bad JSON")?;
    let records = v
        .get("Records")
        .and_then(Value::as_array)
        .context("PutRecords answer without Records")?;
    Ok(records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.get("ErrorCode").is_some_and(|c| !c.is_null()))
        .map(|(i, _)| first + i as u64)
        .collect())
}

// ---------------------------------------------------------------------------------------------
// The run

/// What one writer did.
struct WriterTally {
    writer: u32,
    /// Records sent: counters `0..sent`.
    sent: u64,
    /// Counters the server refused.
    failed: Vec<u64>,
    calls: u64,
    /// When its last call was answered.
    finished: Instant,
}

/// What one reader found.
#[derive(Default)]
struct ReaderTally {
    records: u64,
    calls: u64,
    duplicates: u64,
    out_of_order: u64,
    corrupt: u64,
    /// Stopped at the drain deadline rather than because it had read everything.
    timed_out: bool,
}

/// One row of the table.
struct Sample {
    secs: f64,
    rss_kib: Option<u64>,
    write_rate: f64,
    written: u64,
    read: u64,
    disk_bytes: u64,
}

/// Why the writers stopped.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum StopReason {
    Duration,
    MaxDisk,
    Interrupted,
}

impl StopReason {
    fn text(self) -> &'static str {
        match self {
            StopReason::Duration => "duration reached",
            StopReason::MaxDisk => "data directory reached --max-disk",
            StopReason::Interrupted => "interrupted",
        }
    }
}

/// The read-back check.
#[derive(Default)]
struct Verdict {
    acked: u64,
    failed: u64,
    read_distinct: u64,
    read_total: u64,
    missing: u64,
    duplicates: u64,
    out_of_order: u64,
    corrupt: u64,
    /// Records the server said it refused, but that were read.
    unacked_read: u64,
    drain_timed_out: bool,
    drain_secs: f64,
}

impl Verdict {
    fn complete(&self) -> bool {
        self.missing == 0 && self.duplicates == 0 && self.out_of_order == 0 && self.corrupt == 0
    }
}

struct SoakReport {
    samples: Vec<Sample>,
    write_secs: f64,
    stop: StopReason,
    put_calls: u64,
    get_calls: u64,
    hwm_kib: Option<u64>,
    final_disk_bytes: u64,
    verdict: Verdict,
}

async fn soak(args: &SoakArgs, server: &Server, data_dir: &Path) -> anyhow::Result<SoakReport> {
    let mut admin = Conn::open(server.addr).await?;
    admin
        .call_json(
            Action::CreateStream,
            json!({"StreamName": STREAM, "ShardCount": args.shards}),
        )
        .await?;
    wait_active(&mut admin).await?;

    let clients = args.clients as usize;
    let shared = Arc::new(Shared {
        written: AtomicU64::new(0),
        read: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        writers_done: AtomicBool::new(false),
        acked_total: AtomicU64::new(0),
        sent: (0..clients).map(|_| AtomicU64::new(0)).collect(),
        seen: Mutex::new(vec![Vec::new(); clients]),
        filler_b64: filler_b64(args.record_bytes as usize, args.seed).into_bytes(),
    });
    let mut conns = Vec::with_capacity(clients);
    for _ in 0..clients {
        conns.push(Conn::open(server.addr).await?);
    }
    let duration = Duration::from_secs_f64(args.duration);
    let reader_delay = Duration::from_secs_f64(args.reader_delay_secs);
    let sample_every = Duration::from_secs_f64(args.sample_secs);
    let drain_timeout = Duration::from_secs_f64(args.drain_timeout_secs);
    eprintln!(
        "bench soak: {} writers x PutRecords of {} x {} B for {:.0} s at {}, {} readers starting {:.0} s later",
        clients,
        args.batch,
        args.record_bytes,
        args.duration,
        args.rate
            .map_or("an unlimited rate".to_owned(), |r| format!(
                "{r:.0} records/s"
            )),
        args.shards,
        args.reader_delay_secs
    );

    let start = Instant::now();
    let deadline = start + duration;
    // The baseline: the server with an empty stream.
    let first = Sample {
        secs: 0.0,
        rss_kib: rss_kib(server.pid).ok(),
        write_rate: 0.0,
        written: 0,
        read: 0,
        disk_bytes: disk_usage(data_dir),
    };
    if args.json {
        eprintln!("bench soak: {}", table_header());
        eprintln!("bench soak: {}", table_row(&first));
    } else {
        println!("{}", table_header());
        println!("{}", table_row(&first));
    }
    let mut writers = Vec::with_capacity(clients);
    for (n, conn) in conns.into_iter().enumerate() {
        let writer = n as u32;
        let call_interval = args
            .rate
            .map(|r| Duration::from_secs_f64(f64::from(args.batch) * clients as f64 / r));
        writers.push(Some(tokio::spawn(write(
            conn,
            writer,
            args.batch as usize,
            writer_keys(writer, args.seed),
            call_interval,
            deadline,
            Arc::clone(&shared),
        ))));
    }
    let mut readers = Vec::with_capacity(args.shards as usize);
    for shard in 0..args.shards {
        readers.push(Some(tokio::spawn(read(
            server.addr,
            shard,
            clients,
            args.read_limit,
            start + reader_delay,
            reader_delay,
            drain_timeout,
            Arc::clone(&shared),
        ))));
    }

    // Sample, guard the disk and wait for the writers, then for the readers.
    let mut samples = vec![first];
    let mut stop = StopReason::Duration;
    let mut last = (start, 0u64);
    let mut next_sample = start + sample_every;
    let mut write_end = None;
    let mut tallies: Vec<WriterTally> = Vec::with_capacity(clients);
    let mut reader_tallies: Vec<ReaderTally> = Vec::with_capacity(readers.len());
    let mut interrupted = false;
    let mut ctrl_c = Box::pin(tokio::signal::ctrl_c());
    let mut ticker = tokio::time::interval(DISK_CHECK);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = &mut ctrl_c => {
                if interrupted {
                    bail!("interrupted twice");
                }
                interrupted = true;
                eprintln!("bench soak: interrupted: the writers stop, the readers drain (^C again to quit)");
                if write_end.is_none() {
                    stop = StopReason::Interrupted;
                }
                shared.stop.store(true, Ordering::Relaxed);
                ctrl_c = Box::pin(tokio::signal::ctrl_c());
            }
        }
        let now = Instant::now();
        let disk = disk_usage(data_dir);
        if write_end.is_none() && disk >= args.max_disk && !shared.stop.load(Ordering::Relaxed) {
            eprintln!(
                "bench soak: the data directory holds {:.0} MiB: the writers stop",
                disk as f64 / MIB
            );
            stop = StopReason::MaxDisk;
            shared.stop.store(true, Ordering::Relaxed);
        }
        // A task that ended is collected at once, so that an error stops the bench early.
        for task in writers
            .iter_mut()
            .filter(|w| w.as_ref().is_some_and(|w| w.is_finished()))
        {
            if let Some(task) = task.take() {
                let tally = task.await.context("a writer panicked")?;
                tallies.push(tally.context("a writer failed")?);
            }
        }
        for task in readers
            .iter_mut()
            .filter(|r| r.as_ref().is_some_and(|r| r.is_finished()))
        {
            if let Some(task) = task.take() {
                let tally = task.await.context("a reader panicked")?;
                reader_tallies.push(tally.context("a reader failed")?);
            }
        }
        let sampled = if write_end.is_none() && tallies.len() == clients {
            let stopped = tallies.iter().map(|t| t.finished).max().unwrap_or(now);
            write_end = Some(stopped);
            let acked: u64 = tallies.iter().map(|t| t.sent - t.failed.len() as u64).sum();
            shared.acked_total.store(acked, Ordering::Relaxed);
            shared.writers_done.store(true, Ordering::Release);
            eprintln!(
                "bench soak: the writers stopped after {:.1} s ({}), {acked} records acknowledged; the readers drain",
                (stopped - start).as_secs_f64(),
                stop.text()
            );
            true
        } else {
            now >= next_sample
        };
        if sampled {
            let written = shared.written.load(Ordering::Relaxed);
            let dt = (now - last.0).as_secs_f64();
            let s = Sample {
                secs: (now - start).as_secs_f64(),
                rss_kib: rss_kib(server.pid).ok(),
                write_rate: if dt > 0.0 {
                    written.saturating_sub(last.1) as f64 / dt
                } else {
                    0.0
                },
                written,
                read: shared.read.load(Ordering::Relaxed),
                disk_bytes: disk,
            };
            last = (now, written);
            next_sample = now + sample_every;
            if args.json {
                eprintln!("bench soak: {}", table_row(&s));
            } else {
                println!("{}", table_row(&s));
            }
            samples.push(s);
        }
        if write_end.is_some() && reader_tallies.len() == readers.len() {
            break;
        }
    }
    let end = Instant::now();
    let write_end = write_end.unwrap_or(end);
    let hwm_kib = hwm_kib(server.pid);
    let final_disk_bytes = disk_usage(data_dir);
    // The last sample, after the drain.
    let written = shared.written.load(Ordering::Relaxed);
    let s = Sample {
        secs: (end - start).as_secs_f64(),
        rss_kib: rss_kib(server.pid).ok(),
        write_rate: 0.0,
        written,
        read: shared.read.load(Ordering::Relaxed),
        disk_bytes: final_disk_bytes,
    };
    if args.json {
        eprintln!("bench soak: {}", table_row(&s));
    } else {
        println!("{}", table_row(&s));
    }
    samples.push(s);

    let verdict = verdict(
        &shared,
        &tallies,
        &reader_tallies,
        (end - write_end).as_secs_f64(),
    );
    Ok(SoakReport {
        samples,
        write_secs: (write_end - start).as_secs_f64(),
        stop,
        put_calls: tallies.iter().map(|t| t.calls).sum(),
        get_calls: reader_tallies.iter().map(|t| t.calls).sum(),
        hwm_kib,
        final_disk_bytes,
        verdict,
    })
}

/// Counts what was acknowledged and never read, once the readers are done.
fn verdict(
    shared: &Shared,
    writers: &[WriterTally],
    readers: &[ReaderTally],
    drain_secs: f64,
) -> Verdict {
    let seen = shared.seen.lock();
    let is_seen = |w: usize, c: u64| {
        seen.get(w)
            .and_then(|bits| bits.get((c / 64) as usize))
            .is_some_and(|word| word & (1 << (c % 64)) != 0)
    };
    let mut v = Verdict {
        drain_secs,
        ..Verdict::default()
    };
    for t in writers {
        let w = t.writer as usize;
        v.acked += t.sent - t.failed.len() as u64;
        v.failed += t.failed.len() as u64;
        let seen_of_writer: u64 = seen.get(w).map_or(0, |bits| {
            bits.iter().map(|b| u64::from(b.count_ones())).sum()
        });
        let unacked_read = t.failed.iter().filter(|&&c| is_seen(w, c)).count() as u64;
        v.unacked_read += unacked_read;
        // Every counter read is below `sent` (readers count higher ones as corrupt).
        v.missing += (t.sent - t.failed.len() as u64).saturating_sub(seen_of_writer - unacked_read);
    }
    for r in readers {
        v.read_total += r.records;
        v.duplicates += r.duplicates;
        v.out_of_order += r.out_of_order;
        v.corrupt += r.corrupt;
        v.drain_timed_out |= r.timed_out;
    }
    v.read_distinct = shared.read.load(Ordering::Relaxed);
    v
}

/// One writer: PutRecords of `batch` records until the deadline or the stop flag, one call at
/// a time, a call every `call_interval` when given.
async fn write(
    mut conn: Conn,
    writer: u32,
    batch: usize,
    keys: Vec<String>,
    call_interval: Option<Duration>,
    deadline: Instant,
    shared: Arc<Shared>,
) -> anyhow::Result<WriterTally> {
    let mut t = WriterTally {
        writer,
        sent: 0,
        failed: Vec::new(),
        calls: 0,
        finished: Instant::now(),
    };
    let mut next_call = Instant::now();
    loop {
        let now = Instant::now();
        if now >= deadline || shared.stop.load(Ordering::Relaxed) {
            break;
        }
        if let Some(interval) = call_interval {
            if next_call > now {
                // Sleep in short steps so that the stop flag is seen soon.
                let until = next_call
                    .min(deadline)
                    .min(now + Duration::from_millis(200));
                tokio::time::sleep_until(until.into()).await;
                continue;
            }
            // Behind: catch up at most a second's worth, never in one long burst.
            let floor = now.checked_sub(Duration::from_secs(1)).unwrap_or(now);
            next_call = next_call.max(floor) + interval;
        }
        let first = t.sent;
        let body = put_body(writer, first, batch, &keys, &shared.filler_b64);
        t.sent += batch as u64;
        shared.sent[writer as usize].store(t.sent, Ordering::Release);
        let reply = conn.call(Action::PutRecords, &body).await?;
        let failed =
            failed_record_count(reply).context("PutRecords answer without FailedRecordCount")?;
        if failed > 0 {
            t.failed.extend(failed_counters(reply, first)?);
        }
        t.calls += 1;
        shared
            .written
            .fetch_add((batch as u64).saturating_sub(failed), Ordering::Relaxed);
    }
    t.finished = Instant::now();
    Ok(t)
}

/// The number that follows the last `"key"` in a JSON body.
fn last_number(body: &[u8], key: &str) -> Option<f64> {
    let rest = after_key(body, key, true)?;
    let len = rest
        .iter()
        .take_while(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        .count();
    std::str::from_utf8(&rest[..len]).ok()?.parse().ok()
}

fn epoch_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// One reader: walks `shard` from TRIM_HORIZON, checking every record, from `start_at` until
/// the writers are done and it has read what they left.
#[allow(clippy::too_many_arguments)]
async fn read(
    addr: SocketAddr,
    shard: u32,
    clients: usize,
    limit: u32,
    start_at: Instant,
    delay: Duration,
    drain_timeout: Duration,
    shared: Arc<Shared>,
) -> anyhow::Result<ReaderTally> {
    while Instant::now() < start_at && !shared.writers_done.load(Ordering::Acquire) {
        let step = start_at.saturating_duration_since(Instant::now());
        tokio::time::sleep(step.min(Duration::from_millis(100))).await;
    }
    let mut conn = Conn::open(addr).await?;
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
    let mut iterator = v
        .get("ShardIterator")
        .and_then(Value::as_str)
        .context("GetShardIterator answered no ShardIterator")?
        .to_owned();
    let mut t = ReaderTally::default();
    // The highest counter read of each writer on this shard.
    let mut last: Vec<Option<u64>> = vec![None; clients];
    let mut records = Vec::new();
    let mut drain_deadline = None;
    let mut idle_since = None;
    loop {
        let done = shared.writers_done.load(Ordering::Acquire);
        let now = Instant::now();
        if done && drain_deadline.is_none() {
            drain_deadline = Some(now + drain_timeout);
        }
        let body = serde_json::to_vec(&json!({"ShardIterator": iterator, "Limit": limit}))?;
        let reply = conn.call(Action::GetRecords, &Bytes::from(body)).await?;
        t.calls += 1;
        records.clear();
        records.extend(data_values(reply).map(|v| decode_record(v, &shared.filler_b64)));
        let next = last_string(reply, "NextShardIterator")?;
        let behind_ms = last_number(reply, "MillisBehindLatest").unwrap_or(0.0);
        let newest_arrival = if records.is_empty() {
            None
        } else {
            last_number(reply, "ApproximateArrivalTimestamp")
        };

        let mut fresh = 0;
        {
            let mut seen = shared.seen.lock();
            for record in &records {
                t.records += 1;
                let Some((writer, counter)) = *record else {
                    t.corrupt += 1;
                    continue;
                };
                let w = writer as usize;
                if w >= clients || counter >= shared.sent[w].load(Ordering::Acquire) {
                    t.corrupt += 1;
                    continue;
                }
                let bits = &mut seen[w];
                let word = (counter / 64) as usize;
                if bits.len() <= word {
                    bits.resize(word + 1, 0);
                }
                let mask = 1u64 << (counter % 64);
                if bits[word] & mask != 0 {
                    t.duplicates += 1;
                    continue;
                }
                bits[word] |= mask;
                fresh += 1;
                match last[w] {
                    Some(prev) if counter < prev => t.out_of_order += 1,
                    _ => last[w] = Some(counter),
                }
            }
        }
        shared.read.fetch_add(fresh, Ordering::Relaxed);

        let Some(next) = next else {
            // The shard is closed (the bench does not reshard, but a server might).
            break;
        };
        iterator = next;
        if let Some(deadline) = drain_deadline
            && now >= deadline
        {
            t.timed_out = true;
            break;
        }
        if records.is_empty() {
            if done && behind_ms <= 0.0 {
                if shared.read.load(Ordering::Relaxed) >= shared.acked_total.load(Ordering::Relaxed)
                {
                    break;
                }
                if idle_since.get_or_insert(now).elapsed() >= IDLE_GIVE_UP {
                    break;
                }
            }
            tokio::time::sleep(EMPTY_PAUSE).await;
            continue;
        }
        idle_since = None;
        // While the writers run, keep `delay` behind them.
        if let Some(arrival) = newest_arrival
            && !delay.is_zero()
        {
            let age = (epoch_secs() - arrival).max(0.0);
            let wait = delay.as_secs_f64() - age;
            if wait > 0.0 {
                let until = Instant::now() + Duration::from_secs_f64(wait);
                while Instant::now() < until && !shared.writers_done.load(Ordering::Acquire) {
                    let step = until.saturating_duration_since(Instant::now());
                    tokio::time::sleep(step.min(Duration::from_millis(200))).await;
                }
            }
        }
    }
    Ok(t)
}

// ---------------------------------------------------------------------------------------------
// Report

const MIB: f64 = 1024.0 * 1024.0;

fn table_header() -> String {
    format!(
        "{:>8} {:>9} {:>12} {:>13} {:>13} {:>10}",
        "time s", "RSS MiB", "write rec/s", "written", "read", "disk MiB"
    )
}

fn table_row(s: &Sample) -> String {
    let rss = s
        .rss_kib
        .map_or("-".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0));
    format!(
        "{:>8.1} {:>9} {:>12.0} {:>13} {:>13} {:>10.1}",
        s.secs,
        rss,
        s.write_rate,
        s.written,
        s.read,
        s.disk_bytes as f64 / MIB
    )
}

impl SoakReport {
    fn peak_rss_kib(&self) -> Option<u64> {
        self.samples.iter().filter_map(|s| s.rss_kib).max()
    }

    fn ingest_rate(&self) -> f64 {
        if self.write_secs > 0.0 {
            self.verdict.acked as f64 / self.write_secs
        } else {
            0.0
        }
    }

    fn summary(&self, args: &SoakArgs) -> String {
        let v = &self.verdict;
        let mib =
            |k: Option<u64>| k.map_or("-".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0));
        let mut s = String::new();
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "workload: {} writers x PutRecords of {} x {} B, {} shards, {} readers from TRIM_HORIZON \
             starting {} s after the writers, rate {}, serve args {:?}",
            args.clients,
            args.batch,
            args.record_bytes,
            args.shards,
            args.shards,
            args.reader_delay_secs,
            args.rate
                .map_or("unlimited".to_owned(), |r| format!("{r:.0} records/s")),
            args.server_arg
        );
        let _ = writeln!(
            s,
            "writers: {:.1} s of {:.1} s ({}); {} records acknowledged, {} refused, {} PutRecords calls",
            self.write_secs,
            args.duration,
            self.stop.text(),
            v.acked,
            v.failed,
            self.put_calls
        );
        let _ = writeln!(
            s,
            "mean ingest: {:.0} records/s, {:.1} MB/s of data",
            self.ingest_rate(),
            self.ingest_rate() * f64::from(args.record_bytes) / 1e6
        );
        let _ = writeln!(
            s,
            "server memory: peak RSS sampled {} MiB, VmHWM {} MiB",
            mib(self.peak_rss_kib()),
            mib(self.hwm_kib)
        );
        let _ = writeln!(
            s,
            "data directory: {:.1} MiB on disk at the end (--max-disk {:.1} MiB)",
            self.final_disk_bytes as f64 / MIB,
            args.max_disk as f64 / MIB
        );
        let _ = writeln!(
            s,
            "read-back: {}: {} of {} acknowledged records read ({} records in {} GetRecords calls); \
             {} missing, {} duplicate, {} out of order, {} corrupt, {} refused but read; \
             drained in {:.1} s{}",
            if v.complete() { "complete" } else { "FAILED" },
            v.read_distinct,
            v.acked,
            v.read_total,
            self.get_calls,
            v.missing,
            v.duplicates,
            v.out_of_order,
            v.corrupt,
            v.unacked_read,
            v.drain_secs,
            if v.drain_timed_out {
                " (drain timed out)"
            } else {
                ""
            }
        );
        s
    }

    fn to_json(&self, args: &SoakArgs) -> Value {
        let v = &self.verdict;
        let mib = |k: Option<u64>| k.map(|k| k as f64 / 1024.0);
        json!({
            "workload": {
                "clients": args.clients,
                "shards": args.shards,
                "batch": args.batch,
                "record_bytes": args.record_bytes,
                "duration_secs": args.duration,
                "rate": args.rate,
                "reader_delay_secs": args.reader_delay_secs,
                "sample_secs": args.sample_secs,
                "max_disk_bytes": args.max_disk,
                "server_args": args.server_arg,
            },
            "samples": self.samples.iter().map(|s| json!({
                "secs": s.secs,
                "rss_mib": mib(s.rss_kib),
                "write_records_per_sec": s.write_rate,
                "records_written": s.written,
                "records_read": s.read,
                "disk_mib": s.disk_bytes as f64 / MIB,
            })).collect::<Vec<_>>(),
            "summary": {
                "write_secs": self.write_secs,
                "stopped": match self.stop {
                    StopReason::Duration => "duration",
                    StopReason::MaxDisk => "max_disk",
                    StopReason::Interrupted => "interrupted",
                },
                "stopped_early": self.stop != StopReason::Duration,
                "put_records_calls": self.put_calls,
                "get_records_calls": self.get_calls,
                "mean_ingest_records_per_sec": self.ingest_rate(),
                "peak_rss_mib": mib(self.peak_rss_kib()),
                "vm_hwm_mib": mib(self.hwm_kib),
                "final_disk_mib": self.final_disk_bytes as f64 / MIB,
            },
            "read_back": {
                "complete": v.complete(),
                "acknowledged": v.acked,
                "refused": v.failed,
                "read_distinct": v.read_distinct,
                "read_total": v.read_total,
                "missing": v.missing,
                "duplicates": v.duplicates,
                "out_of_order": v.out_of_order,
                "corrupt": v.corrupt,
                "refused_but_read": v.unacked_read,
                "drain_secs": v.drain_secs,
                "drain_timed_out": v.drain_timed_out,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("20GiB"), Ok(20 << 30));
        assert_eq!(parse_size("1.5GB"), Ok(1_500_000_000));
        assert_eq!(parse_size("512M"), Ok(512_000_000));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64 KiB"), Ok(65_536));
        assert!(parse_size("GiB").is_err());
        assert!(parse_size("3 parsecs").is_err());
        assert!(parse_size("0").is_err());
    }

    #[test]
    fn records_round_trip_through_a_body() {
        let filler = filler_b64(40, 3);
        let keys = writer_keys(7, 3);
        let body = put_body(7, 1000, 3, &keys, filler.as_bytes());
        let v: Value = serde_json::from_slice(&body).unwrap();
        let records = v["Records"].as_array().unwrap();
        assert_eq!(records.len(), 3);
        let data = STANDARD
            .decode(records[1]["Data"].as_str().unwrap())
            .unwrap();
        assert_eq!(data.len(), 40);
        let decoded: Vec<_> = data_values(&body)
            .map(|d| decode_record(d, filler.as_bytes()))
            .collect();
        assert_eq!(
            decoded,
            vec![Some((7, 1000)), Some((7, 1001)), Some((7, 1002))]
        );
        // Altered filler, or the filler of another size, is corrupt.
        let other = filler_b64(41, 3);
        assert_eq!(
            decode_record(data_values(&body).next().unwrap(), other.as_bytes()),
            None
        );
    }

    #[test]
    fn reads_numbers_and_refused_records() {
        let body = br#"{"Records":[{"ApproximateArrivalTimestamp":1.5,"Data":"AA=="},
            {"ApproximateArrivalTimestamp":1767225600.25,"Data":"AA=="}],"MillisBehindLatest":0}"#;
        assert_eq!(
            last_number(body, "ApproximateArrivalTimestamp"),
            Some(1_767_225_600.25)
        );
        assert_eq!(last_number(body, "MillisBehindLatest"), Some(0.0));
        let reply = br#"{"FailedRecordCount":2,"Records":[{"SequenceNumber":"1","ShardId":"s"},
            {"ErrorCode":"InternalFailure","ErrorMessage":"x"},{"SequenceNumber":"2"},
            {"ErrorCode":"ProvisionedThroughputExceededException"}]}"#;
        assert_eq!(failed_counters(reply, 10).unwrap(), vec![11, 13]);
    }
}
