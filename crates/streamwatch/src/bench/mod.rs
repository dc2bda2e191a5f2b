//! `streamwatch bench`: the benchmarks, one module each, and the parts they share.
//!
//! - [`ingest`]: without a subcommand, ingest, read and memory of the Kinesis API over HTTP,
//!   side by side with kinesalite;
//! - [`client`]: `bench client`, our client library against async-kinesis;
//! - [`collect`]: `bench collect`, one collection cycle over many streams, functions and queues;
//! - [`console`]: `bench console`, the web console's first paint and per-refresh CPU;
//! - [`lambda`]: `bench lambda`, Kinesis -> Lambda latency and Invoke rate;
//! - [`soak`]: `bench soak`, server memory and read-back integrity under sustained load;
//! - [`sqs_fifo`]: `bench sqs-fifo`, FIFO against standard SQS queues: send, receive and
//!   delete throughput in the same run.

mod client;
mod collect;
mod console;
mod fan_out;
mod ingest;
mod lambda;
mod load;
mod soak;
mod sqs_fifo;

use std::net::Ipv4Addr;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

/// `/proc/<pid>/stat` counts CPU time in USER_HZ ticks, 100 a second on Linux.
const TICKS_PER_SEC: f64 = 100.0;

/// `streamwatch bench`: the HTTP benchmark against kinesalite, or one of its subcommands.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchCommand {
    #[command(subcommand)]
    command: Option<BenchSubcommand>,
    #[command(flatten)]
    http: ingest::BenchArgs,
}

#[derive(Subcommand, Debug)]
enum BenchSubcommand {
    /// Measure our producer and consumer (kinesis-client) against the Python library
    /// async-kinesis, and the cost of the Prometheus collector.
    Client(client::ClientArgs),
    /// Time one `collect` cycle over many streams, functions and queues with the default
    /// sets against issue 16's targets, and, over the streams, batched at 500 queries a call
    /// against one query per call as a naive exporter would.
    Collect(collect::CollectBenchArgs),
    /// Enhanced fan-out against GetRecords polling: delivery latency p50/p99 side by side,
    /// and SubscribeToShard events a second with 4 shards and 5 consumers.
    FanOut(fan_out::FanOutBenchArgs),
    /// The web console over 100 streams and 50 functions: time to first paint in headless
    /// chromium, and CPU per refresh with one browser refreshing every second.
    Console(console::ConsoleBenchArgs),
    /// End-to-end latency of Kinesis -> Lambda (put acknowledged -> handler done) at given
    /// record rates, and Invoke calls a second of a no-op function.
    Lambda(lambda::LambdaBenchArgs),
    /// `streamwatch load` against k6 (examples/k6/kinesis.js) on the same engine, same
    /// target rate and record size: rate sustained, dropped iterations, CPU per record.
    Load(load::LoadBenchArgs),
    /// Sustained load against `serve --data-dir`: the server's memory over time, and every
    /// acknowledged record read back once and in order.
    Soak(soak::SoakArgs),
    /// SQS FIFO queues against standard ones in the same run: SendMessageBatch, then
    /// ReceiveMessage and DeleteMessageBatch throughput, and the FIFO / standard ratio.
    SqsFifo(sqs_fifo::SqsFifoBenchArgs),
}

impl BenchCommand {
    /// Runs the subcommand given, or the HTTP benchmark without one.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Some(BenchSubcommand::Client(args)) => client::run(args).await,
            Some(BenchSubcommand::Collect(args)) => collect::run(args).await,
            Some(BenchSubcommand::Console(args)) => console::run(args).await,
            Some(BenchSubcommand::FanOut(args)) => fan_out::run(args).await,
            Some(BenchSubcommand::Lambda(args)) => lambda::run(args).await,
            Some(BenchSubcommand::Soak(args)) => soak::run(args).await,
            Some(BenchSubcommand::Load(args)) => load::run(args).await,
            Some(BenchSubcommand::SqsFifo(args)) => sqs_fifo::run(args).await,
            None => ingest::run(self.http).await,
        }
    }
}

/// A small, fast, seedable generator (SplitMix64); the bench needs repeatable bytes, not
/// cryptographic ones.
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// `streamwatch serve` as every bench measures it: `bin` (this executable when `None`) on
/// loopback `port`, shard limits off, streams ACTIVE at once, quiet logs.
pub(crate) fn serve_command(
    bin: Option<&std::path::Path>,
    port: u16,
) -> anyhow::Result<tokio::process::Command> {
    let bin = match bin {
        Some(b) => b.to_path_buf(),
        None => std::env::current_exe().context("locating this executable")?,
    };
    let mut cmd = tokio::process::Command::new(bin);
    cmd.args([
        "serve",
        "--shard-limits",
        "off",
        "--create-stream-delay-ms",
        "0",
    ])
    .args(["--host", "127.0.0.1", "--port", &port.to_string()])
    .env("STREAMWATCH_LOG", "warn");
    Ok(cmd)
}

/// A free TCP port on the loopback address, for a server started as a child process.
pub(crate) fn free_port() -> anyhow::Result<u16> {
    let listener =
        std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// User plus system CPU seconds of a process and all its threads (`self` or a pid).
pub(crate) fn cpu_seconds(pid: &str) -> anyhow::Result<f64> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    // Fields after the parenthesised command name start at field 3 (state); utime and stime
    // are fields 14 and 15.
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let mut fields = after.split_whitespace().skip(11);
    let mut tick = || -> Option<f64> { fields.next()?.parse::<f64>().ok() };
    let (utime, stime) = (tick(), tick());
    match (utime, stime) {
        (Some(u), Some(s)) => Ok((u + s) / TICKS_PER_SEC),
        _ => bail!("unexpected {path}"),
    }
}
