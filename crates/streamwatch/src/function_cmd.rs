//! `streamwatch function deploy` and `streamwatch logs`: put a local binary on the engine (or
//! AWS) as a Lambda function with no packaging step, and read a function's log.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use aws_sdk_lambda::error::ProvideErrorMetadata;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Environment, FunctionCode, Runtime};
use clap::{Args, Subcommand};
use time_source::now_ms_i64 as now_ms;

/// Where the command talks to: `--endpoint`, `--region`, `--profile`.
pub type Target = crate::sdk::AwsArgs;

/// `streamwatch function ...`.
#[derive(Args, Debug)]
pub struct FunctionArgs {
    #[command(subcommand)]
    command: FunctionCommand,
}

#[derive(Subcommand, Debug)]
enum FunctionCommand {
    /// Create a function from a local executable (`--bin`, zipped as `bootstrap`) or a
    /// directory (`--dir`, e.g. a Python handler), or update its code and configuration when
    /// it exists; with `--kinesis-stream`, also map the stream to it.
    Deploy(DeployArgs),
}

/// Arguments of `streamwatch function deploy`.
#[derive(Args, Debug)]
pub struct DeployArgs {
    /// The function's name.
    #[arg(long)]
    name: String,
    /// The executable (built for the target: on AWS, Linux for the function's architecture).
    #[arg(long, conflicts_with = "dir", required_unless_present = "dir")]
    bin: Option<PathBuf>,
    /// A directory zipped as the function's code (its files at the zip's root).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The runtime: `provided.al2023` for `--bin`; e.g. `python3.12` for a Python `--dir`.
    #[arg(long, default_value = "provided.al2023")]
    runtime: String,
    /// The handler (`bootstrap` for OS-only runtimes, `module.function` for Python).
    #[arg(long, default_value = "bootstrap")]
    handler: String,
    /// A Kinesis stream (name or ARN) to map to the function, unless a mapping exists.
    #[arg(long)]
    kinesis_stream: Option<String>,
    /// Records per batch of the mapping.
    #[arg(long, default_value_t = 100)]
    batch_size: i32,
    /// Where the mapping starts: TRIM_HORIZON or LATEST.
    #[arg(long, default_value = "LATEST")]
    starting_position: String,
    /// Seconds an invocation may run.
    #[arg(long, default_value_t = 3)]
    timeout: i32,
    /// Memory in MB.
    #[arg(long, default_value_t = 128)]
    memory: i32,
    /// An environment variable, `KEY=VALUE`; repeat for several.
    #[arg(long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// The execution role (any ARN on the engine).
    #[arg(
        long,
        default_value = "arn:aws:iam::000000000000:role/streamwatch-local"
    )]
    role: String,
    #[command(flatten)]
    target: Target,
}

impl FunctionArgs {
    /// Runs the subcommand.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            FunctionCommand::Deploy(args) => deploy(args).await,
        }
    }
}

async fn deploy(args: DeployArgs) -> anyhow::Result<()> {
    let zip = match (&args.bin, &args.dir) {
        (Some(bin), _) => {
            let binary =
                std::fs::read(bin).with_context(|| format!("reading {}", bin.display()))?;
            function_zip::bootstrap_zip(&binary)?
        }
        (None, Some(dir)) => function_zip::zip_dir(dir)?,
        (None, None) => bail!("give --bin or --dir"),
    };
    let mut variables = BTreeMap::new();
    for pair in &args.env {
        let Some((k, v)) = pair.split_once('=') else {
            bail!("--env {pair:?}: expected KEY=VALUE");
        };
        variables.insert(k.to_string(), v.to_string());
    }
    let environment = Environment::builder()
        .set_variables(Some(variables.into_iter().collect()))
        .build();
    let client = aws_sdk_lambda::Client::new(&args.target.config().await);
    let runtime = Runtime::from(args.runtime.as_str());
    let exists = match client.get_function().function_name(&args.name).send().await {
        Ok(_) => true,
        Err(e) if e.code() == Some("ResourceNotFoundException") => false,
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!("looking up {}", args.name)));
        }
    };
    let (arn, sha) = if exists {
        client
            .update_function_code()
            .function_name(&args.name)
            .zip_file(Blob::new(zip))
            .send()
            .await
            .context("UpdateFunctionCode")?;
        let c = client
            .update_function_configuration()
            .function_name(&args.name)
            .runtime(runtime)
            .handler(&args.handler)
            .timeout(args.timeout)
            .memory_size(args.memory)
            .environment(environment)
            .send()
            .await
            .context("UpdateFunctionConfiguration")?;
        (c.function_arn, c.code_sha256)
    } else {
        let c = client
            .create_function()
            .function_name(&args.name)
            .runtime(runtime)
            .role(&args.role)
            .handler(&args.handler)
            .timeout(args.timeout)
            .memory_size(args.memory)
            .environment(environment)
            .code(FunctionCode::builder().zip_file(Blob::new(zip)).build())
            .send()
            .await
            .context("CreateFunction")?;
        (c.function_arn, c.code_sha256)
    };
    println!(
        "{} {} (CodeSha256 {})",
        if exists { "updated" } else { "created" },
        arn.unwrap_or_default(),
        sha.unwrap_or_default()
    );
    if let Some(stream) = &args.kinesis_stream {
        map_stream(&client, &args, stream).await?;
    }
    Ok(())
}

/// Maps a Kinesis stream to the function unless a mapping of that stream exists.
async fn map_stream(
    client: &aws_sdk_lambda::Client,
    args: &DeployArgs,
    stream: &str,
) -> anyhow::Result<()> {
    let arn = if stream.starts_with("arn:") {
        stream.to_string()
    } else {
        let kinesis = aws_sdk_kinesis::Client::new(&args.target.config().await);
        let summary = kinesis
            .describe_stream_summary()
            .stream_name(stream)
            .send()
            .await
            .with_context(|| format!("DescribeStreamSummary {stream}"))?;
        summary
            .stream_description_summary()
            .map(|d| d.stream_arn().to_string())
            .with_context(|| format!("no ARN for stream {stream}"))?
    };
    let existing = client
        .list_event_source_mappings()
        .function_name(&args.name)
        .event_source_arn(&arn)
        .send()
        .await
        .context("ListEventSourceMappings")?;
    if let Some(m) = existing.event_source_mappings().first() {
        println!("mapping {} exists for {arn}", m.uuid().unwrap_or_default());
        return Ok(());
    }
    let created = client
        .create_event_source_mapping()
        .function_name(&args.name)
        .event_source_arn(&arn)
        .batch_size(args.batch_size)
        .starting_position(aws_sdk_lambda::types::EventSourcePosition::from(
            args.starting_position.as_str(),
        ))
        .function_response_types(
            aws_sdk_lambda::types::FunctionResponseType::ReportBatchItemFailures,
        )
        .send()
        .await
        .context("CreateEventSourceMapping")?;
    println!(
        "mapped {arn} to {} (mapping {})",
        args.name,
        created.uuid().unwrap_or_default()
    );
    Ok(())
}

/// Zips a directory's files (recursively) with their paths relative to it.
/// Arguments of `streamwatch logs`.
#[derive(Args, Debug)]
pub struct LogsArgs {
    /// The function whose log (`/aws/lambda/<name>`) is read.
    function: String,
    /// Keep printing new lines as they come.
    #[arg(long)]
    follow: bool,
    /// How far back to start, e.g. `10m`, `1h`.
    #[arg(long, default_value = "1h", value_parser = crate::duration_arg::parse_duration)]
    since: Duration,
    /// Only lines holding every term (CloudWatch Logs filter pattern; quote phrases).
    #[arg(long)]
    filter: Option<String>,
    #[command(flatten)]
    target: Target,
}

/// Runs `streamwatch logs`: FilterLogEvents, every page; with `--follow`, again every second
/// from the last line seen.
pub async fn logs(args: LogsArgs) -> anyhow::Result<()> {
    let client = aws_sdk_cloudwatchlogs::Client::new(&args.target.config().await);
    let group = format!("/aws/lambda/{}", args.function);
    let mut start = now_ms() - args.since.as_millis() as i64;
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    loop {
        let mut token: Option<String> = None;
        loop {
            let resp = client
                .filter_log_events()
                .log_group_name(&group)
                .start_time(start)
                .set_filter_pattern(args.filter.clone())
                .set_next_token(token.clone())
                .send()
                .await
                .with_context(|| format!("FilterLogEvents on {group}"))?;
            for e in resp.events() {
                let id = e.event_id().unwrap_or_default().to_string();
                if !seen.insert(id) {
                    continue;
                }
                let ts = e.timestamp().unwrap_or(0);
                start = start.max(ts);
                println!(
                    "{} {} {}",
                    aws_sdk_cloudwatchlogs::primitives::DateTime::from_millis(ts)
                        .fmt(aws_sdk_cloudwatchlogs::primitives::DateTimeFormat::DateTime)
                        .unwrap_or_default(),
                    e.log_stream_name().unwrap_or_default(),
                    e.message().unwrap_or_default()
                );
            }
            token = resp.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        if !args.follow {
            return Ok(());
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}
