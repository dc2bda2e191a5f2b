//! `streamwatch serve`: the embedded engine behind the AWS wire protocols.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::builder::TypedValueParser as _;
use clap::{Args, ValueEnum};
use kinesis_engine::{Engine, EngineConfig, FsyncPolicy};

mod init;

/// Whether per-shard throughput limits apply.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ShardLimits {
    /// AWS's limits: 1 MiB/s and 1000 records/s written, 2 MiB/s and 5 calls/s read, per shard.
    Aws,
    /// No throughput limits (quotas on shard counts still apply).
    Off,
}

/// When the journal is synced to disk.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Fsync {
    /// Before every acknowledgement: survives power loss.
    Always,
    /// Every --fsync-interval-ms: survives a crash of the process, power loss may lose the last interval.
    Interval,
    /// Left to the operating system: survives a crash of the process.
    Never,
}

/// What `serve` does with SigV4 signatures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    /// Any signature passes; only its absence is refused (local development).
    Accept,
    /// Signatures are checked against the configured keys, with AWS's errors.
    Verify,
}

/// Options of `streamwatch serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Port to listen on.
    #[arg(long, default_value_t = 4567)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Keep streams and records here; without it everything is in memory.
    /// `--path` is kinesalite's name for it.
    #[arg(long, alias = "path")]
    data_dir: Option<PathBuf>,
    /// Region reported in ARNs.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Account id reported in ARNs and messages.
    #[arg(long, default_value = "000000000000")]
    account_id: String,
    /// How long streams stay CREATING, UPDATING and DELETING before they settle (each of
    /// the three can be set apart with the flags below).
    #[arg(long, default_value_t = 500)]
    create_stream_delay_ms: u64,
    /// How long a new stream (or consumer) stays CREATING; kinesalite's `--createStreamMs`.
    #[arg(long, alias = "createStreamMs", value_name = "MS")]
    create_stream_ms: Option<u64>,
    /// How long a deleted stream stays DELETING; kinesalite's `--deleteStreamMs`.
    #[arg(long, alias = "deleteStreamMs", value_name = "MS")]
    delete_stream_ms: Option<u64>,
    /// How long a resharded or changed stream stays UPDATING; kinesalite's `--updateStreamMs`.
    #[arg(long, alias = "updateStreamMs", value_name = "MS")]
    update_stream_ms: Option<u64>,
    /// Per-shard throughput limits.
    #[arg(long, value_enum, default_value_t = ShardLimits::Aws)]
    shard_limits: ShardLimits,
    /// Open shards allowed in the account (DescribeLimits ShardLimit); kinesalite's
    /// `--shardLimit`.
    #[arg(long, alias = "shardLimit", default_value_t = 500)]
    shard_quota: u32,
    /// Journal sync policy (with --data-dir).
    #[arg(long, value_enum, default_value_t = Fsync::Interval)]
    fsync: Fsync,
    /// Bytes of Kinesis records held in memory across all streams, e.g. `1GiB` or `512MiB`
    /// (default: a quarter of the machine's memory). With --data-dir older records are then
    /// read back from the journal; without it the oldest records of the fullest shards are
    /// dropped early, with a warning and `streamwatch_engine_records_evicted_total`.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_memory: Option<u64>,
    /// Sync interval for --fsync interval.
    #[arg(long, default_value_t = 1000)]
    fsync_interval_ms: u64,
    /// A host name (or address) the server answers to besides loopback ones and localhost,
    /// e.g. `host.docker.internal`; repeat for several. Requests naming any other host are
    /// refused, so no web page can reach the engine through DNS rebinding.
    #[arg(long = "allowed-host", value_name = "NAME")]
    allowed_hosts: Vec<String>,
    /// A web page origin (`scheme://host[:port]`, e.g. `http://localhost:3000`) whose
    /// scripts may call the AWS APIs with the AWS SDK for JavaScript (CORS); repeat for
    /// several. Without it pages on localhost, 127.0.0.1 and [::1] (any port) may, and with
    /// `--auth verify` every origin (answered `*`, as AWS does); given, only the listed
    /// origins may (`none`: no page but the engine's own console). Other pages' requests are
    /// refused before they run.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    cors_origins: Vec<String>,
    /// Log one line per request at info level (target `streamwatch::access`); without it the
    /// lines are at debug level.
    #[arg(long)]
    access_log: bool,
    /// How SigV4 signatures are treated: `accept` any signature (local development; only an
    /// unsigned request is refused), or `verify` them against the keys of
    /// --credentials-file and the environment's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
    #[arg(long, value_enum, default_value_t = AuthMode::Accept)]
    auth: AuthMode,
    /// With `--auth verify`: a file of lines `ACCESS_KEY_ID SECRET_ACCESS_KEY` (`#` starts a
    /// comment); the first key is the one Lambda functions get.
    #[arg(long, value_name = "FILE")]
    credentials_file: Option<PathBuf>,
    /// Listen on a non-loopback --host without `--auth verify`: anyone who reaches the port
    /// can then create and run Lambda functions (processes on this machine).
    #[arg(long)]
    allow_unauthenticated_remote: bool,
    /// Series the metric store holds (AWS metrics, PutMetricData, EMF); when full, a new
    /// series evicts the one updated least recently (streamwatch_metric_series_evicted_total).
    #[arg(long, default_value_t = metric_store::DEFAULT_MAX_SERIES, value_parser = clap::value_parser!(u64).range(1..).map(|n| n as usize))]
    max_metric_series: usize,
    /// Log lines each Lambda function keeps; the oldest go first
    /// (streamwatch_lambda_log_events_dropped_total).
    #[arg(long, default_value_t = streamwatch_server::Bounds::default().max_function_log_events, value_parser = clap::value_parser!(u64).range(1..).map(|n| n as usize))]
    max_function_log_events: usize,
    /// Bytes of messages all SQS queues hold together (default 1 GiB); past it SendMessage is
    /// refused with RequestThrottled, never dropped (streamwatch_sqs_sends_refused_total).
    #[arg(long, default_value_t = streamwatch_server::Bounds::default().max_queue_bytes)]
    max_queue_bytes: u64,
    /// SNS webhook POSTs in flight; a notification past it fails at once
    /// (streamwatch_sns_http_deliveries_refused_total).
    #[arg(long, default_value_t = streamwatch_server::Bounds::default().max_sns_http_deliveries, value_parser = clap::value_parser!(u64).range(1..).map(|n| n as usize))]
    max_sns_http_deliveries: usize,
    /// Asynchronous Lambda events (Invoke with InvocationType Event, SNS deliveries) accepted
    /// and not yet finished, all functions; past it an Event invocation is refused with
    /// TooManyRequestsException (streamwatch_lambda_async_events_refused_total).
    #[arg(long, default_value_t = streamwatch_server::Bounds::default().max_async_events, value_parser = clap::value_parser!(u64).range(1..).map(|n| n as usize))]
    max_async_events: usize,
    /// CloudWatch dashboards kept; past it PutDashboard creating one more is refused with
    /// LimitExceeded (streamwatch_cloudwatch_dashboards_refused_total).
    #[arg(long, default_value_t = streamwatch_server::Bounds::default().max_dashboards, value_parser = clap::value_parser!(u64).range(1..).map(|n| n as usize))]
    max_dashboards: usize,
    /// Events each CloudWatch Logs group written with PutLogEvents keeps; the oldest go first
    /// (streamwatch_logs_events_dropped_total).
    #[arg(long, default_value_t = streamwatch_server::Bounds::default().max_log_group_events, value_parser = clap::value_parser!(u64).range(1..).map(|n| n as usize))]
    max_log_group_events: usize,
    /// A stream to create at start, `NAME[:SHARDS]` (4 shards when not given, as
    /// kinesis-mock's INITIALIZE_STREAMS); repeat, or separate with commas. An existing
    /// stream (from --data-dir) is left as it is.
    #[arg(
        long = "create-stream",
        value_name = "NAME[:SHARDS]",
        value_delimiter = ','
    )]
    create_streams: Vec<init::StreamSpec>,
    /// An SQS queue to create at start; repeat, or separate with commas.
    #[arg(long = "create-queue", value_name = "NAME", value_delimiter = ',')]
    create_queues: Vec<String>,
    /// A TOML file of streams, queues and Lambda functions (with their event source
    /// mappings) to create at start; what exists already is left as it is. See
    /// docs/migrating.md for its shape.
    #[arg(long = "init", value_name = "FILE")]
    init_file: Option<PathBuf>,
    /// Also speak HTTPS on the same port (HTTP/2 or HTTP/1.1 by ALPN): a connection opening
    /// with a TLS handshake gets TLS, any other plain HTTP as before. Without --tls-cert, a CA
    /// and a certificate for localhost, 127.0.0.1, ::1 and the --allowed-host names are made
    /// at every start and the CA is written to `<data-dir>/tls/ca.pem` (or a temporary
    /// directory); its path is printed as `AWS_CA_BUNDLE=<path>`. `--ssl` (kinesalite) is the
    /// same flag.
    #[arg(long, alias = "ssl")]
    tls: bool,
    /// A PEM certificate chain to serve instead of a generated one (implies --tls).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Inject a fault: `SERVICE[:ACTION]:FAULT[@PERCENT%]`, SERVICE one of kinesis,
    /// cloudwatch, lambda, sqs, sns, logs or *, ACTION e.g. PutRecords or * (the default);
    /// FAULT `error=CODE` (the service's status and error shape, e.g. InternalFailure 500,
    /// ServiceUnavailable 503, ProvisionedThroughputExceededException 400),
    /// `record-failure=CODE` (kinesis:PutRecords only: ProvisionedThroughputExceededException
    /// or InternalFailure per record), `latency=50ms`, `latency=10ms..80ms` (uniform),
    /// `latency=50ms~10ms` (normal: mean~standard deviation), `drop` (close the connection
    /// without an answer), `storm=30s` or `storm=10s+30s` (throttle every matching call for
    /// 30 s, after 10 s). E.g. `--fault 'kinesis:PutRecords:error=InternalFailure@5%'`.
    /// Repeat for several; see docs/fault-injection.md. Change them at run time with
    /// GET/PUT/POST/DELETE /_streamwatch/faults.
    #[arg(long = "fault", value_name = "RULE")]
    faults: Vec<String>,
    /// A file of fault rules: TOML (`seed = 7` and `rules = [...]`, each rule a `--fault`
    /// text or a table), or JSON when its name ends in `.json`. Added before the --fault ones.
    #[arg(long = "faults", value_name = "FILE")]
    faults_file: Option<PathBuf>,
    /// The seed of fault injection's random draws, so a run's faults can be repeated
    /// (default: the file's `seed`, else 0).
    #[arg(long, value_name = "N")]
    fault_seed: Option<u64>,
}

impl ServeArgs {
    fn engine_config(&self) -> EngineConfig {
        EngineConfig {
            region: self.region.clone(),
            account_id: self.account_id.clone(),
            transition_delay: Duration::from_millis(
                self.create_stream_ms.unwrap_or(self.create_stream_delay_ms),
            ),
            delete_delay: Some(Duration::from_millis(
                self.delete_stream_ms.unwrap_or(self.create_stream_delay_ms),
            )),
            update_delay: Some(Duration::from_millis(
                self.update_stream_ms.unwrap_or(self.create_stream_delay_ms),
            )),
            shard_limits: matches!(self.shard_limits, ShardLimits::Aws),
            shard_quota: self.shard_quota,
            data_dir: self.data_dir.clone(),
            fsync: match self.fsync {
                Fsync::Always => FsyncPolicy::Always,
                Fsync::Interval => {
                    FsyncPolicy::Interval(Duration::from_millis(self.fsync_interval_ms))
                }
                Fsync::Never => FsyncPolicy::Never,
            },
            max_memory_bytes: self
                .max_memory
                .unwrap_or_else(kinesis_engine::memory::default_max_memory_bytes),
            ..EngineConfig::default()
        }
    }
}

/// Parses a size such as `1GiB`, `512MiB`, `1G` or a number of bytes.
fn parse_size(text: &str) -> Result<u64, String> {
    text.parse::<bytesize::ByteSize>()
        .map(|b| b.as_u64())
        .map_err(|_| format!("not a size: {text:?} (e.g. 1GiB, 512MiB, 1G, 1000000)"))
}

/// Runs the server until Ctrl-C or SIGTERM.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let shutdown = ShutdownSignals::listen()?;
    let auth = credentials(&args)?;
    if !args.host.is_loopback() && auth.is_none() && !args.allow_unauthenticated_remote {
        anyhow::bail!(
            "refusing --host {}: it is not a loopback address, and without --auth verify anyone \
             who reaches the port can create and run Lambda functions (processes on this \
             machine). Add --auth verify (with --credentials-file or AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY), or --allow-unauthenticated-remote if that is what you want",
            args.host
        );
    }
    // Before anything starts, so a bad certificate stops the server at once.
    let tls = tls_setup(&args)?;
    // Read before anything starts, so a mistake in the file stops the server at once.
    let init_plan = init::Plan::from_args(
        &args.create_streams,
        &args.create_queues,
        args.init_file.as_deref(),
        &args.region,
    )?;
    let (fault_rules, fault_seed) = fault_plan(&args)?;
    let config = args.engine_config();
    let (engine, report) = tokio::task::spawn_blocking(move || {
        Engine::open_with_report(config, std::sync::Arc::new(kinesis_engine::SystemClock))
    })
    .await?
    .context("opening the engine")?;
    if args.data_dir.is_some() {
        tracing::info!(
            segments = report.segments,
            records = report.records,
            truncated_bytes = report.truncated_bytes,
            "recovered journal"
        );
    }
    let addr = SocketAddr::new(args.host, args.port);
    let front = streamwatch_server::FrontDoorConfig {
        allowed_hosts: args.allowed_hosts.clone(),
        access_log: args.access_log,
        auth,
        cors_origins: (!args.cors_origins.is_empty()).then(|| args.cors_origins.clone()),
    };
    let metrics =
        std::sync::Arc::new(metric_store::Store::new().with_max_series(args.max_metric_series));
    let bounds = streamwatch_server::Bounds {
        max_function_log_events: args.max_function_log_events,
        max_queue_bytes: args.max_queue_bytes,
        max_sns_http_deliveries: args.max_sns_http_deliveries,
        max_async_events: args.max_async_events,
        max_dashboards: args.max_dashboards,
        max_log_group_events: args.max_log_group_events,
    };
    let server =
        streamwatch_server::start_with_tls(addr, engine, metrics, front, &bounds, tls.clone())
            .await
            .with_context(|| format!("binding {addr}"))?;
    server.faults().reseed(fault_seed);
    if !fault_rules.is_empty() {
        tracing::warn!(
            rules = fault_rules.len(),
            seed = fault_seed,
            "fault injection is on: calls will fail on purpose"
        );
        server.faults().replace(fault_rules);
    }
    init_plan
        .apply(&server)
        .context("creating what --create-stream, --create-queue and --init ask for")?;
    tracing::info!(endpoint = %server.endpoint(), "streamwatch is serving the Kinesis API");
    tracing::info!(url = %format!("{}/", server.endpoint()), "the web console is at this address (open it in a browser)");
    // Machine-readable line for scripts that start the server and wait for it.
    println!("listening on {}", server.endpoint());
    if let Some(https) = server.https_endpoint() {
        tracing::info!(endpoint = %https, "the same port speaks HTTPS");
        println!("listening on {https}");
    }
    if let Some(ca) = tls.as_ref().and_then(|t| t.ca_bundle()) {
        println!("AWS_CA_BUNDLE={}", ca.display());
    }
    shutdown.recv().await;
    tracing::info!("shutting down");
    server.shutdown().await?;
    Ok(())
}

/// The fault rules of --faults FILE and --fault, checked, and the seed to draw with.
fn fault_plan(args: &ServeArgs) -> anyhow::Result<(Vec<fault_injection::Rule>, u64)> {
    let mut rules = Vec::new();
    let mut seed = None;
    if let Some(path) = &args.faults_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading --faults {}", path.display()))?;
        let json = path.extension().is_some_and(|e| e == "json");
        let file = fault_injection::FaultFile::parse(&text, json)
            .with_context(|| format!("in --faults {}", path.display()))?;
        seed = file.seed;
        rules.extend(
            file.into_rules()
                .with_context(|| format!("in --faults {}", path.display()))?,
        );
    }
    for text in &args.faults {
        rules.push(fault_injection::Rule::parse(text)?);
    }
    Ok((rules, args.fault_seed.or(seed).unwrap_or(0)))
}

/// The keys `--auth verify` checks signatures against: --credentials-file's, then the
/// environment's; `None` with `--auth accept`.
fn credentials(
    args: &ServeArgs,
) -> anyhow::Result<Option<std::sync::Arc<streamwatch_server::Credentials>>> {
    if args.auth == AuthMode::Accept {
        if args.credentials_file.is_some() {
            anyhow::bail!("--credentials-file is read only with --auth verify");
        }
        return Ok(None);
    }
    let mut credentials = streamwatch_server::Credentials::default();
    if let Some(path) = &args.credentials_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading --credentials-file {}", path.display()))?;
        credentials
            .add_lines(&text)
            .with_context(|| format!("in --credentials-file {}", path.display()))?;
    }
    if let (Ok(key), Ok(secret)) = (
        std::env::var("AWS_ACCESS_KEY_ID"),
        std::env::var("AWS_SECRET_ACCESS_KEY"),
    ) && !key.is_empty()
    {
        credentials.add(&key, &secret);
    }
    if credentials.is_empty() {
        anyhow::bail!(
            "--auth verify needs keys: give --credentials-file FILE (lines `ACCESS_KEY_ID \
             SECRET_ACCESS_KEY`) or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        );
    }
    Ok(Some(std::sync::Arc::new(credentials)))
}

/// The TLS setup `--tls`, `--tls-cert` and `--tls-key` ask for, if any.
fn tls_setup(args: &ServeArgs) -> anyhow::Result<Option<streamwatch_server::Tls>> {
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        return Ok(Some(
            streamwatch_server::Tls::from_pem_files(cert, key)
                .context("loading --tls-cert and --tls-key")?,
        ));
    }
    if !args.tls {
        return Ok(None);
    }
    let dir = match &args.data_dir {
        Some(dir) => dir.join("tls"),
        // One directory per port, so engines side by side do not overwrite each other's CA.
        None if args.port != 0 => {
            std::env::temp_dir().join(format!("streamwatch-tls-{}", args.port))
        }
        None => std::env::temp_dir().join(format!("streamwatch-tls-pid-{}", std::process::id())),
    };
    let tls = streamwatch_server::Tls::generate(&dir, &args.allowed_hosts)
        .context("generating the TLS certificate")?;
    Ok(Some(tls))
}

/// SIGINT (Ctrl-C) and SIGTERM, listened for from the moment this is made: a signal that
/// arrives after the "listening on" line but before the server waits still shuts it down
/// cleanly instead of killing the process.
struct ShutdownSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    /// Installs the handlers.
    fn listen() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt()).context("listening for SIGINT")?,
                terminate: signal(SignalKind::terminate()).context("listening for SIGTERM")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Waits for the first of them.
    async fn recv(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = &mut self;
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
