//! The `streamwatch` command.

mod alarms;
mod bench;
mod chromium;
mod collect;
mod collect_config;
mod collect_cost;
mod console_cmd;
mod cost_cmd;
mod dashboard_cmd;
mod demo;
mod demo_function;
mod duration_arg;
mod function_cmd;
mod load;
mod metrics_cmd;
mod metrics_page;
mod sdk;
mod serve;
mod yace_config;

use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Observe, test and develop Kinesis Data Streams + Lambda pipelines.
#[derive(Parser)]
#[command(name = "streamwatch", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the embedded engine: the Kinesis, CloudWatch, CloudWatch Logs and Lambda APIs on one
    /// port.
    Serve(serve::ServeArgs),
    /// Measure ingest, read and memory over HTTP, side by side with kinesalite
    /// (`bench client`: our client library against async-kinesis).
    Bench(bench::BenchCommand),
    /// Collect the AWS/Kinesis metrics and the stream inventory from an endpoint, once or
    /// continuously, as Prometheus, InfluxDB line protocol or JSON lines.
    Collect(collect::CollectArgs),
    /// List metrics and print a statistic over time, from the engine or any CloudWatch endpoint.
    Metrics(metrics_cmd::MetricsArgs),
    /// The whole pipeline in one command, no AWS account: the engine in-process, a stream, a
    /// steady producer load and a consumer, its metrics collected every second and shown live
    /// (and served as Prometheus /metrics); Ctrl-C prints a summary.
    Demo(demo::DemoArgs),
    /// Lambda functions on the engine (or AWS): `deploy` wraps a local binary as a function.
    Function(function_cmd::FunctionArgs),
    /// Print a Lambda function's log (CloudWatch Logs group /aws/lambda/<name>).
    Logs(function_cmd::LogsArgs),
    /// The pipeline's alarms: `apply` the recommended CloudWatch set, `list` their states,
    /// `rules` for Prometheus.
    Alarms(alarms::AlarmsArgs),
    /// The pipeline's dashboard: `generate` a CloudWatch body or Grafana JSON, `apply` it to
    /// CloudWatch (the engine's or AWS's).
    Dashboard(dashboard_cmd::DashboardArgs),
    /// Load-test a stream with an open arrival rate, k6's metric names and thresholds: a
    /// summary like k6's, `--summary-export` JSON, JUnit XML, exit code 99 when a threshold
    /// fails.
    Load(load::LoadArgs),
    /// What each stream and function costs over a window and per month (730 hours), from
    /// the inventory and metric sums of the engine or AWS, at the built-in list prices.
    Cost(cost_cmd::CostArgs),
    /// The Lambda function `demo` deploys (run by the engine as its bootstrap).
    #[command(hide = true)]
    DemoFunction,
    /// The web console on its own port: the pipeline graph, streams, functions, alarms and
    /// dashboards, read through the public AWS APIs of the engine or of AWS (`--endpoint aws`).
    Console(console_cmd::ConsoleArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // The demo draws its own screen: the engine's warnings (records its function gives up on,
    // on purpose) would scroll it away, so only errors are logged unless STREAMWATCH_LOG says.
    let default_filter = match cli.command {
        Command::Demo(_) => "error",
        _ => "info",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            // STREAMWATCH_LOG, else the RUST_LOG every Rust tool reads, else the default.
            tracing_subscriber::EnvFilter::try_from_env("STREAMWATCH_LOG")
                .or_else(|_| tracing_subscriber::EnvFilter::try_from_env("RUST_LOG"))
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Command::DemoFunction = cli.command {
        return demo_function::run();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Serve(args) => runtime.block_on(serve::run(args)),
        Command::Bench(cmd) => runtime.block_on(cmd.run()),
        Command::Metrics(args) => runtime.block_on(metrics_cmd::run(args)),
        Command::Collect(args) => runtime.block_on(collect::run(args)),
        Command::Demo(args) => runtime.block_on(demo::run(args)),
        Command::Function(args) => runtime.block_on(args.run()),
        Command::Logs(args) => runtime.block_on(function_cmd::logs(args)),
        Command::Alarms(args) => runtime.block_on(args.run()),
        Command::Dashboard(args) => runtime.block_on(args.run()),
        Command::DemoFunction => Ok(()),
        Command::Console(args) => runtime.block_on(console_cmd::run(args)),
        Command::Cost(args) => runtime.block_on(cost_cmd::run(args)),
        Command::Load(args) => {
            // Against a running engine or AWS the generator is the only work, and one thread
            // does it with fewer wake-ups than a pool (half the CPU per record at 20,000/s);
            // with the engine in-process the pool serves both.
            let runtime = if args.runs_in_process() {
                runtime
            } else {
                drop(runtime);
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?
            };
            let code = runtime.block_on(load::run(args))?;
            drop(runtime);
            std::process::exit(code);
        }
    }
}
