//! Runs Lambda functions on this machine as AWS runs them.
//!
//! A function is a zip (an executable `bootstrap` for the OS-only runtimes, a Python handler
//! for `python3.x`) unpacked into its own directory. Each execution environment is a child
//! process with the environment Lambda sets and its own Runtime API endpoint
//! ([`runtime_api`], served over HTTP by the [`runtime_api::RuntimeApiHost`] plugged in with
//! [`LambdaEngine::set_runtime_api`]); an invocation takes a warm idle instance or starts one (a cold start,
//! whose initialisation is timed as `Init Duration`). Concurrency is limited per account and
//! per function (reserved concurrency) and excess invocations are throttled. A function's
//! output becomes its log, framed by the `START`, `END` and `REPORT` lines Lambda writes, and
//! every invocation is counted in the `AWS/Lambda` metrics of the engine's metric store, and
//! described in the `LambdaInsights` ones (what the instance's process used, read from
//! `/proc` on Linux) with the engine's own cold-start count.
//! Embedded Metric Format lines in the output become custom metrics, as CloudWatch Logs
//! extracts them.
//!
//! The engine knows no HTTP: `lambda-api` maps the Lambda API's requests onto it, the
//! Runtime API's server is plugged in, and so are what event source mappings read (Kinesis
//! through [`kinesis::KinesisReader`], SQS through [`destinations::Queues`]). Its errors are
//! domain errors; the API crates give them their status codes. Time comes from the
//! [`time_source::Clock`] it is given ([`LambdaEngine::with_clock`]): timestamps, durations,
//! timeouts, ages and the waits of asynchronous retries, so tests move a manual clock.

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod async_invoke;
pub mod destinations;
pub mod esm;
mod esm_sqs;
pub mod function;
mod instance;
pub mod kinesis;
pub mod logs;
pub mod metrics;
pub mod recursion;
pub mod runtime_api;
mod state;
mod timing;
mod usage;
pub mod versions;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use parking_lot::{Mutex, RwLock};

pub use function::FunctionConfig;
use instance::Instance;
pub use logs::LogEvent;

/// Largest synchronous invocation payload (6 MB), request or response.
pub const MAX_SYNC_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;
/// How long a runtime may take to initialise before the start counts as failed (Lambda's
/// 10-second init phase limit).
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// The engine's errors, each with the message Lambda sends for it; `lambda-api` maps each
/// to its AWS error code and status.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum LambdaError {
    /// No such function, version, alias, mapping or setting (`ResourceNotFoundException`).
    #[error("Function not found: {0}")]
    NotFound(String),
    /// A function of that name exists (`ResourceConflictException`).
    #[error("Function already exist: {0}")]
    Exists(String),
    /// A value Lambda refuses (`InvalidParameterValueException`).
    #[error("{0}")]
    InvalidParameter(String),
    /// Over the concurrency limit (`TooManyRequestsException`), with Lambda's reason.
    #[error("Rate Exceeded.")]
    Throttled {
        /// `ReservedFunctionConcurrentInvocationLimitExceeded` or
        /// `ConcurrentInvocationLimitExceeded`.
        reason: &'static str,
    },
    /// The request payload is over 6 MB (`RequestTooLargeException`).
    #[error(
        "Request must be smaller than {MAX_SYNC_PAYLOAD_BYTES} bytes for the InvokeFunction operation"
    )]
    RequestTooLarge,
    /// The engine could not do its part: files, state, a missing plug-in (`ServiceException`).
    #[error("{0}")]
    Io(String),
}

/// Settings of the engine.
#[derive(Debug, Clone)]
pub struct LambdaConfig {
    /// The account in ARNs.
    pub account_id: String,
    /// The region in ARNs and in `AWS_REGION`.
    pub region: String,
    /// Where function code is unpacked (one directory per function and revision).
    pub code_root: PathBuf,
    /// `AWS_ENDPOINT_URL` given to functions, so their own SDK calls reach the engine.
    pub endpoint_url: Option<String>,
    /// Concurrent executions allowed in the account (Lambda's default quota: 1,000).
    pub account_concurrency: u32,
    /// The Python interpreter for `python3.x` runtimes (it needs `awslambdaric`).
    pub python: PathBuf,
    /// Waits before the first and second retry of a failed asynchronous event (Lambda waits
    /// one minute, then two).
    pub async_retry_delays: [Duration; 2],
    /// Where functions, mappings and checkpoints are kept across restarts; in memory only
    /// when `None`.
    pub state_dir: Option<PathBuf>,
    /// How long an event source mapping's poller waits after a read that found nothing:
    /// 200 ms keeps a shard within AWS's five GetRecords a second; an engine without shard
    /// limits can poll sooner.
    pub poll_interval: Duration,
    /// How many log lines each function keeps (`--max-function-log-events`); a line past
    /// that drops the function's oldest, counted by [`LambdaEngine::log_events_dropped`].
    pub max_log_events: usize,
    /// Asynchronous events accepted and not yet finished, across all functions
    /// (`--max-async-events`); an `Event` invocation past it is refused with
    /// `TooManyRequestsException`, counted by [`LambdaEngine::async_events_refused`].
    pub max_pending_async_events: usize,
    /// The access key and secret functions get (`AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`), so their own SDK calls pass a server that verifies
    /// signatures; `None` gives the placeholder `streamwatch` keys.
    pub function_credentials: Option<(String, String)>,
}

/// The default of [`LambdaConfig::max_pending_async_events`].
pub const DEFAULT_MAX_PENDING_ASYNC_EVENTS: usize = 10_000;

impl Default for LambdaConfig {
    fn default() -> LambdaConfig {
        LambdaConfig {
            function_credentials: None,
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            code_root: std::env::temp_dir()
                .join(format!("streamwatch-lambda-{}", std::process::id())),
            endpoint_url: None,
            account_concurrency: 1000,
            python: PathBuf::from("python3"),
            async_retry_delays: [Duration::from_secs(60), Duration::from_secs(120)],
            state_dir: None,
            poll_interval: esm::IDLE_POLL,
            max_log_events: logs::DEFAULT_MAX_EVENTS,
            max_pending_async_events: DEFAULT_MAX_PENDING_ASYNC_EVENTS,
        }
    }
}

/// What an invocation returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Invoked {
    /// The response payload (the error document when the function failed).
    pub payload: Bytes,
    /// `Unhandled` when the function failed (the `X-Amz-Function-Error` header).
    pub function_error: Option<String>,
    /// The invocation's log lines, `START` to `REPORT`.
    pub log: String,
    /// Wall time of the invocation, excluding initialisation.
    pub duration: Duration,
    /// Initialisation time, on a cold start.
    pub init_duration: Option<Duration>,
    /// The request id.
    pub request_id: String,
    /// The version that ran (`$LATEST` or a number): the `X-Amz-Executed-Version` header.
    pub executed_version: String,
}

/// One function: configuration, code, warm instances and counters.
struct Function {
    config: RwLock<FunctionConfig>,
    code_dir: RwLock<PathBuf>,
    /// Bumped by every update; instances of an older generation are retired.
    generation: AtomicU64,
    idle: Mutex<Vec<Instance>>,
    running: AtomicU32,
    reserved: RwLock<Option<u32>>,
    tags: RwLock<BTreeMap<String, String>>,
    logs: Arc<logs::LogStore>,
    event_invoke: RwLock<Option<async_invoke::EventInvokeConfig>>,
    /// Published versions, by number.
    versions: Mutex<BTreeMap<u32, Arc<versions::Version>>>,
    /// Aliases, by name.
    aliases: Mutex<BTreeMap<String, versions::Alias>>,
}

struct Inner {
    config: LambdaConfig,
    functions: RwLock<BTreeMap<String, Arc<Function>>>,
    metrics: metrics::LambdaMetrics,
    running: AtomicU32,
    /// Executions of functions without reserved concurrency, which share the unreserved pool.
    unreserved_running: AtomicU32,
    revisions: AtomicU64,
    /// Asynchronous events accepted and not yet finished.
    pending_async: std::sync::atomic::AtomicUsize,
    /// `Event` invocations refused because `max_pending_async_events` were pending.
    async_refused: AtomicU64,
    mappings: Mutex<BTreeMap<String, Arc<esm::Running>>>,
    /// SQS: destinations, dead-letter queues and SQS event source mappings.
    queues: RwLock<Option<Arc<dyn destinations::Queues>>>,
    /// What Kinesis event source mappings read.
    kinesis: RwLock<Option<Arc<dyn kinesis::KinesisReader>>>,
    /// The server of instances' Runtime APIs.
    runtime_api: RwLock<Option<Arc<dyn runtime_api::RuntimeApiHost>>>,
    time: timing::Time,
}

/// The engine: cheap to clone, clones share everything.
#[derive(Clone)]
pub struct LambdaEngine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for LambdaEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LambdaEngine")
            .field("functions", &self.inner.functions.read().len())
            .finish()
    }
}

/// The same instant as ISO 8601 UTC with `Z` (`2024-01-01T00:00:00.000Z`), as invocation
/// records, timeout messages and provisioned concurrency write it.
fn iso_time(ms: i64) -> String {
    last_modified(ms).replace("+0000", "Z")
}

/// Lambda's `LastModified` format: `2024-01-01T00:00:00.000+0000`.
fn last_modified(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}+0000",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms.rem_euclid(1000)
    )
}

impl LambdaEngine {
    /// An engine on the system clock, recording its metrics into `store`.
    pub fn new(config: LambdaConfig, store: Arc<metric_store::Store>) -> LambdaEngine {
        LambdaEngine::on(config, store, timing::Time::System)
    }

    /// An engine reading the time from `clock` (a manual clock in tests), recording its
    /// metrics into `store`.
    pub fn with_clock(
        config: LambdaConfig,
        store: Arc<metric_store::Store>,
        clock: Arc<dyn time_source::Clock>,
    ) -> LambdaEngine {
        LambdaEngine::on(config, store, timing::Time::Clock(clock))
    }

    fn on(
        config: LambdaConfig,
        store: Arc<metric_store::Store>,
        time: timing::Time,
    ) -> LambdaEngine {
        LambdaEngine {
            inner: Arc::new(Inner {
                config,
                functions: RwLock::new(BTreeMap::new()),
                metrics: metrics::LambdaMetrics::new(store),
                running: AtomicU32::new(0),
                unreserved_running: AtomicU32::new(0),
                revisions: AtomicU64::new(0),
                pending_async: std::sync::atomic::AtomicUsize::new(0),
                async_refused: AtomicU64::new(0),
                mappings: Mutex::new(BTreeMap::new()),
                queues: RwLock::new(None),
                kinesis: RwLock::new(None),
                runtime_api: RwLock::new(None),
                time,
            }),
        }
    }

    /// Plugs in the server of instances' Runtime APIs (the `lambda-runtime-api` crate); no
    /// function can start without one.
    pub fn set_runtime_api(&self, host: Arc<dyn runtime_api::RuntimeApiHost>) {
        *self.inner.runtime_api.write() = Some(host);
    }

    /// The plugged-in Runtime API server.
    fn runtime_api_host(&self) -> Result<Arc<dyn runtime_api::RuntimeApiHost>, LambdaError> {
        self.inner.runtime_api.read().clone().ok_or_else(|| {
            LambdaError::Io("no Runtime API server is attached to this engine".into())
        })
    }

    /// The settings.
    pub fn config(&self) -> &LambdaConfig {
        &self.inner.config
    }

    /// A function's ARN.
    pub fn function_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{name}",
            self.inner.config.region, self.inner.config.account_id
        )
    }

    fn function(&self, name: &str) -> Result<Arc<Function>, LambdaError> {
        self.inner
            .functions
            .read()
            .get(name)
            .cloned()
            .ok_or_else(|| LambdaError::NotFound(self.function_arn(name)))
    }

    fn new_code_dir(&self, name: &str) -> PathBuf {
        let n = self.inner.revisions.fetch_add(1, Ordering::Relaxed);
        self.inner.config.code_root.join(format!("{name}-{n}"))
    }

    /// Creates a function from its configuration (code fields are filled in here) and zip.
    pub fn create_function(
        &self,
        mut config: FunctionConfig,
        zip: &[u8],
        tags: BTreeMap<String, String>,
    ) -> Result<FunctionConfig, LambdaError> {
        config.validate()?;
        if zip.len() > function::MAX_ZIP_BYTES {
            return Err(LambdaError::InvalidParameter(
                "Unzipped size must be smaller than 262144000 bytes".into(),
            ));
        }
        if self.inner.functions.read().contains_key(&config.name) {
            return Err(LambdaError::Exists(self.function_arn(&config.name)));
        }
        config.code_sha256 = function::code_sha256(zip);
        config.code_size = zip.len() as i64;
        config.last_modified = last_modified(self.inner.time.now_ms());
        config.revision_id = uuid::Uuid::new_v4().to_string();
        let name = config.name.clone();
        self.restore_function(config.clone(), zip, tags)?;
        self.save_code(&name, zip);
        self.save_function(&name);
        Ok(config)
    }

    /// Registers a function as `config` describes it, code unpacked from `zip`.
    fn restore_function(
        &self,
        config: FunctionConfig,
        zip: &[u8],
        tags: BTreeMap<String, String>,
    ) -> Result<(), LambdaError> {
        let dir = self.new_code_dir(&config.name);
        function::unpack(zip, &dir)?;
        let f = Arc::new(Function {
            config: RwLock::new(config.clone()),
            code_dir: RwLock::new(dir),
            generation: AtomicU64::new(0),
            idle: Mutex::new(Vec::new()),
            running: AtomicU32::new(0),
            reserved: RwLock::new(None),
            tags: RwLock::new(tags),
            logs: Arc::new(self.function_log(&config.name)),
            event_invoke: RwLock::new(None),
            versions: Mutex::new(BTreeMap::new()),
            aliases: Mutex::new(BTreeMap::new()),
        });
        let mut functions = self.inner.functions.write();
        if functions.contains_key(&config.name) {
            return Err(LambdaError::Exists(self.function_arn(&config.name)));
        }
        functions.insert(config.name.clone(), f);
        Ok(())
    }

    /// A function's configuration.
    pub fn get_function(&self, name: &str) -> Result<FunctionConfig, LambdaError> {
        Ok(self.function(name)?.config.read().clone())
    }

    /// Every function, by name.
    pub fn list_functions(&self) -> Vec<FunctionConfig> {
        self.inner
            .functions
            .read()
            .values()
            .map(|f| f.config.read().clone())
            .collect()
    }

    /// Deletes a function; its warm instances are stopped.
    pub fn delete_function(&self, name: &str) -> Result<(), LambdaError> {
        let f = self
            .inner
            .functions
            .write()
            .remove(name)
            .ok_or_else(|| LambdaError::NotFound(self.function_arn(name)))?;
        f.idle.lock().clear();
        Self::stop_versions(&f.versions.lock());
        for v in f.versions.lock().values() {
            let _ = std::fs::remove_dir_all(&v.code_dir);
        }
        let _ = std::fs::remove_dir_all(&*f.code_dir.read());
        self.forget_function(name);
        Ok(())
    }

    /// Replaces a function's code; instances of the old code are retired.
    pub fn update_code(&self, name: &str, zip: &[u8]) -> Result<FunctionConfig, LambdaError> {
        let f = self.function(name)?;
        let dir = self.new_code_dir(name);
        function::unpack(zip, &dir)?;
        let old = std::mem::replace(&mut *f.code_dir.write(), dir);
        let _ = std::fs::remove_dir_all(old);
        let mut config = f.config.write();
        config.code_sha256 = function::code_sha256(zip);
        config.code_size = zip.len() as i64;
        config.last_modified = last_modified(self.inner.time.now_ms());
        config.revision_id = uuid::Uuid::new_v4().to_string();
        f.generation.fetch_add(1, Ordering::SeqCst);
        f.idle.lock().clear();
        let out = config.clone();
        drop(config);
        self.save_code(name, zip);
        self.save_function(name);
        Ok(out)
    }

    /// Changes a function's configuration through `change`; instances are retired.
    pub fn update_config(
        &self,
        name: &str,
        change: impl FnOnce(&mut FunctionConfig),
    ) -> Result<FunctionConfig, LambdaError> {
        let f = self.function(name)?;
        let mut config = f.config.write();
        let mut next = config.clone();
        change(&mut next);
        next.name = config.name.clone();
        next.validate()?;
        next.last_modified = last_modified(self.inner.time.now_ms());
        next.revision_id = uuid::Uuid::new_v4().to_string();
        *config = next.clone();
        drop(config);
        f.generation.fetch_add(1, Ordering::SeqCst);
        f.idle.lock().clear();
        self.save_function(name);
        Ok(next)
    }

    /// Sets (or with `None` removes) a function's reserved concurrency.
    pub fn put_concurrency(&self, name: &str, reserved: Option<u32>) -> Result<(), LambdaError> {
        let f = self.function(name)?;
        if let Some(n) = reserved {
            let others: u32 = self
                .inner
                .functions
                .read()
                .iter()
                .filter(|(other, _)| other.as_str() != name)
                .filter_map(|(_, f)| *f.reserved.read())
                .sum();
            // Lambda keeps 100 executions unreserved.
            if others + n > self.inner.config.account_concurrency.saturating_sub(100) {
                return Err(LambdaError::InvalidParameter(format!(
                    "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [{}].",
                    100.min(self.inner.config.account_concurrency)
                )));
            }
        }
        *f.reserved.write() = reserved;
        self.save_function(name);
        Ok(())
    }

    /// A function's reserved concurrency.
    pub fn get_concurrency(&self, name: &str) -> Result<Option<u32>, LambdaError> {
        Ok(*self.function(name)?.reserved.read())
    }

    /// A function's tags.
    pub fn tags(&self, name: &str) -> Result<BTreeMap<String, String>, LambdaError> {
        Ok(self.function(name)?.tags.read().clone())
    }

    /// Adds or replaces tags.
    pub fn tag(&self, name: &str, tags: BTreeMap<String, String>) -> Result<(), LambdaError> {
        self.function(name)?.tags.write().extend(tags);
        self.save_function(name);
        Ok(())
    }

    /// Removes tags by key.
    pub fn untag(&self, name: &str, keys: &[String]) -> Result<(), LambdaError> {
        let f = self.function(name)?;
        let mut tags = f.tags.write();
        for k in keys {
            tags.remove(k);
        }
        drop(tags);
        self.save_function(name);
        Ok(())
    }

    /// A function's log events since `from` (an index from an earlier call, 0 for all).
    pub fn logs(&self, name: &str, from: usize) -> Result<Vec<LogEvent>, LambdaError> {
        Ok(self.function(name)?.logs.since(from))
    }

    /// Asynchronous events accepted and not yet finished (run, retried, expired or sent to
    /// their destinations).
    pub fn async_events_pending(&self) -> usize {
        self.inner.pending_async.load(Ordering::Relaxed)
    }

    /// `Event` invocations refused because [`LambdaConfig::max_pending_async_events`] were
    /// pending.
    pub fn async_events_refused(&self) -> u64 {
        self.inner.async_refused.load(Ordering::Relaxed)
    }

    /// Per function, by name, how many log lines were dropped to keep it within
    /// [`LambdaConfig::max_log_events`] (functions that dropped none are left out).
    pub fn log_events_dropped(&self) -> Vec<(String, u64)> {
        self.inner
            .functions
            .read()
            .iter()
            .map(|(name, f)| (name.clone(), f.logs.dropped() as u64))
            .filter(|(_, dropped)| *dropped > 0)
            .collect()
    }

    /// Stops the engine's background work: mapping pollers and warm instances. Functions and
    /// mappings stay configured (and saved, with a state directory).
    pub fn shutdown(&self) {
        self.stop_pollers();
        for f in self.inner.functions.read().values() {
            for instance in f.idle.lock().drain(..) {
                instance.stop();
            }
            Self::stop_versions(&f.versions.lock());
        }
    }

    /// Executions running now, account-wide.
    pub fn concurrent_executions(&self) -> u32 {
        self.inner.running.load(Ordering::SeqCst)
    }

    /// Concurrency available to functions without reserved concurrency.
    fn unreserved_limit(&self) -> u32 {
        let reserved: u32 = self
            .inner
            .functions
            .read()
            .values()
            .filter_map(|f| *f.reserved.read())
            .sum();
        self.inner
            .config
            .account_concurrency
            .saturating_sub(reserved)
    }

    /// Invokes a function synchronously (RequestResponse) and waits for its result.
    pub async fn invoke(&self, name: &str, payload: Bytes) -> Result<Invoked, LambdaError> {
        self.invoke_as(name, payload, uuid::Uuid::new_v4().to_string())
            .await
    }

    /// Invokes with a given request id (an asynchronous event keeps its id across retries).
    /// `name` may carry a qualifier (`name:version` or `name:alias`).
    pub(crate) async fn invoke_as(
        &self,
        name: &str,
        payload: Bytes,
        request_id: String,
    ) -> Result<Invoked, LambdaError> {
        self.invoke_traced(name, payload, request_id, 1).await
    }

    /// Invokes as the `depth`-th run of the function in a chain of events (1 for an event from
    /// outside the chain); the depth travels in the trace header's `Lineage` field, which
    /// the function's SDK calls carry on (see [`recursion`]).
    pub(crate) async fn invoke_traced(
        &self,
        name: &str,
        payload: Bytes,
        request_id: String,
        depth: u32,
    ) -> Result<Invoked, LambdaError> {
        if payload.len() > MAX_SYNC_PAYLOAD_BYTES {
            return Err(LambdaError::RequestTooLarge);
        }
        let (name, qualifier) = versions::split_qualifier(name);
        let f = self.function(name)?;
        let resolved = self.resolve(name, qualifier)?;
        let target = match &resolved {
            versions::Resolved::Latest => metrics::Target::function(name),
            versions::Resolved::Version { version, resource } => {
                metrics::Target::version(name, resource, &version.config.version)
            }
        };
        let _slot = self.acquire(&f, &target)?;
        let (pool, provisioned_instance) = match &resolved {
            versions::Resolved::Latest => (Pool::Latest, None),
            versions::Resolved::Version { version, .. } => {
                let mut p = version.provisioned.lock();
                let provisioned = p.idle.pop();
                let configured = p.requested > 0;
                if provisioned.is_some() {
                    p.busy += 1;
                }
                let (busy, allocated) = (p.busy, p.allocated);
                drop(p);
                if configured {
                    self.inner
                        .metrics
                        .provisioned(&target, provisioned.is_some(), busy, allocated);
                }
                (Pool::Version(version.clone()), provisioned)
            }
        };
        let (config, generation) = match &pool {
            Pool::Latest => (f.config.read().clone(), f.generation.load(Ordering::SeqCst)),
            Pool::Version(v) => (v.config.clone(), 0),
        };
        let warm = match &pool {
            Pool::Latest => {
                let mut idle = f.idle.lock();
                idle.retain(|i| i.generation == generation);
                idle.pop()
            }
            Pool::Version(_) if provisioned_instance.is_some() => None,
            Pool::Version(v) => v.idle.lock().pop(),
        };
        let provisioned = provisioned_instance.is_some();
        let (mut instance, init_duration) = match warm.or(provisioned_instance) {
            Some(i) => (i, None),
            None => {
                let started = self.inner.time.stopwatch();
                let dir = match &pool {
                    Pool::Latest => f.code_dir.read().clone(),
                    Pool::Version(v) => v.code_dir.clone(),
                };
                let instance =
                    Instance::start(self, &config, &dir, generation, false, f.logs.clone()).await;
                match instance {
                    Ok(i) => (i, Some(started.elapsed())),
                    Err(failure) => {
                        self.inner.metrics.invocation(&target, true, Duration::ZERO);
                        let mut invoked = self.failed_start(name, failure);
                        invoked.executed_version = config.version;
                        return Ok(invoked);
                    }
                }
            }
        };
        let log_start = f.logs.len();
        f.logs.push(
            &instance.stream,
            format!("START RequestId: {request_id} Version: {}", config.version),
        );
        let started = self.inner.time.stopwatch();
        let timeout = Duration::from_secs(u64::from(config.timeout_secs));
        let function_arn = self.function_arn(name);
        let invoked_arn = match qualifier {
            Some(q) => format!("{function_arn}:{q}"),
            None => function_arn.clone(),
        };
        let epoch_secs = (self.inner.time.now_ms() / 1000) as u64;
        let trace_id = recursion::trace_id(&request_id, &function_arn, depth, epoch_secs);
        let rx_bytes = payload.len();
        let cpu_before = instance.cpu_time();
        let outcome = instance
            .run(request_id.clone(), payload, invoked_arn, trace_id, timeout)
            .await;
        let duration = started.elapsed();
        let cpu_time = instance
            .cpu_time()
            .zip(cpu_before)
            .map(|(after, before)| after.saturating_sub(before));
        let tx_bytes = match &outcome {
            instance::RunOutcome::Done(runtime_api::Outcome::Response(body))
            | instance::RunOutcome::Done(runtime_api::Outcome::Error { body, .. }) => body.len(),
            _ => 0,
        };
        let (payload, function_error, keep) = match outcome {
            instance::RunOutcome::Done(runtime_api::Outcome::Response(body)) => (body, None, true),
            instance::RunOutcome::Done(runtime_api::Outcome::Error { body, .. }) => {
                (body, Some("Unhandled".to_string()), true)
            }
            instance::RunOutcome::TimedOut => {
                let message = format!(
                    "{} {request_id} Task timed out after {:.2} seconds",
                    iso_time(self.inner.time.now_ms()),
                    timeout.as_secs_f64()
                );
                f.logs.push(&instance.stream, message.clone());
                let body = serde_json::json!({
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": format!("RequestId: {request_id} Error: Task timed out after {:.2} seconds", timeout.as_secs_f64()),
                });
                (
                    Bytes::from(body.to_string()),
                    Some("Unhandled".into()),
                    false,
                )
            }
            instance::RunOutcome::Exited(status) => {
                let body = serde_json::json!({
                    "errorType": "Runtime.ExitError",
                    "errorMessage": format!("RequestId: {request_id} Error: Runtime exited with error: {status}"),
                });
                (
                    Bytes::from(body.to_string()),
                    Some("Unhandled".into()),
                    false,
                )
            }
        };
        let used_memory_max_mb = instance.max_memory_mb();
        self.inner.metrics.insights(&metrics::InvocationUsage {
            function: name,
            version: &config.version,
            memory_size_mb: config.memory_mb,
            used_memory_max_mb,
            cpu_time,
            init_duration,
            rx_bytes,
            tx_bytes,
            tmp_used_bytes: instance.tmp_used_bytes(),
        });
        if init_duration.is_some() {
            self.inner.metrics.cold_start(name);
        }
        f.logs
            .push(&instance.stream, format!("END RequestId: {request_id}"));
        let mut report = format!(
            "REPORT RequestId: {request_id}\tDuration: {:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB",
            duration.as_secs_f64() * 1000.0,
            duration.as_millis().max(1),
            config.memory_mb,
            used_memory_max_mb.unwrap_or(0)
        );
        if let Some(init) = init_duration {
            report.push_str(&format!(
                "\tInit Duration: {:.2} ms",
                init.as_secs_f64() * 1000.0
            ));
        }
        f.logs.push(&instance.stream, report);
        match &pool {
            Pool::Version(v) if provisioned => {
                let mut p = v.provisioned.lock();
                p.busy = p.busy.saturating_sub(1);
                if keep {
                    p.idle.push(instance);
                } else {
                    // A provisioned instance that died is replaced by a cold one next time.
                    p.allocated = p.allocated.saturating_sub(1);
                    instance.stop();
                }
            }
            Pool::Version(v) if keep => v.idle.lock().push(instance),
            Pool::Latest if keep && f.generation.load(Ordering::SeqCst) == instance.generation => {
                f.idle.lock().push(instance);
            }
            _ => instance.stop(),
        }
        self.inner
            .metrics
            .invocation(&target, function_error.is_some(), duration);
        let log = f
            .logs
            .since(log_start)
            .into_iter()
            .map(|e| e.message)
            .collect::<Vec<_>>()
            .join("\n");
        Ok(Invoked {
            payload,
            function_error,
            log,
            duration,
            init_duration,
            request_id,
            executed_version: config.version,
        })
    }

    /// The result of an invocation whose instance failed to start.
    fn failed_start(&self, name: &str, failure: instance::StartFailure) -> Invoked {
        let request_id = uuid::Uuid::new_v4().to_string();
        let (error_type, message) = match failure {
            instance::StartFailure::InitError(body) => {
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                (
                    v["errorType"]
                        .as_str()
                        .unwrap_or("Runtime.Unknown")
                        .to_string(),
                    v["errorMessage"]
                        .as_str()
                        .unwrap_or("init error")
                        .to_string(),
                )
            }
            instance::StartFailure::Spawn(e) => ("Runtime.InvalidEntrypoint".into(), e),
            instance::StartFailure::Exited(status) => (
                "Runtime.ExitError".into(),
                format!("RequestId: {request_id} Error: Runtime exited with error: {status}"),
            ),
            instance::StartFailure::TimedOut => (
                "Runtime.Unknown".into(),
                format!(
                    "RequestId: {request_id} Error: Init timed out after {} seconds",
                    INIT_TIMEOUT.as_secs()
                ),
            ),
        };
        tracing::warn!(
            function = name,
            error_type,
            message,
            "function failed to start"
        );
        let body = serde_json::json!({"errorType": error_type, "errorMessage": message});
        Invoked {
            payload: Bytes::from(body.to_string()),
            function_error: Some("Unhandled".into()),
            log: String::new(),
            duration: Duration::ZERO,
            init_duration: None,
            request_id,
            executed_version: function::LATEST.into(),
        }
    }

    /// Takes one execution slot of the function and of the account, or throttles.
    fn acquire(
        &self,
        f: &Arc<Function>,
        target: &metrics::Target<'_>,
    ) -> Result<Slot, LambdaError> {
        let name = target.function;
        let reserved = *f.reserved.read();
        // A function with reserved concurrency counts against its own reservation; the
        // others share what the reservations leave of the account's concurrency.
        // One pass over the functions' reservations per invocation.
        let unreserved_limit = self.unreserved_limit();
        let (counter, limit, reason) = match reserved {
            Some(n) => (
                &f.running,
                n,
                "ReservedFunctionConcurrentInvocationLimitExceeded",
            ),
            None => (
                &self.inner.unreserved_running,
                unreserved_limit,
                "ConcurrentInvocationLimitExceeded",
            ),
        };
        if counter.fetch_add(1, Ordering::SeqCst) >= limit {
            counter.fetch_sub(1, Ordering::SeqCst);
            self.inner.metrics.throttle(target);
            return Err(LambdaError::Throttled { reason });
        }
        let function_running = if reserved.is_some() {
            f.running.load(Ordering::SeqCst)
        } else {
            f.running.fetch_add(1, Ordering::SeqCst) + 1
        };
        let account = self.inner.running.fetch_add(1, Ordering::SeqCst) + 1;
        let unreserved = self.inner.unreserved_running.load(Ordering::SeqCst);
        let total_reserved = self.inner.config.account_concurrency - unreserved_limit;
        self.inner.metrics.concurrency(
            name,
            function_running,
            account,
            unreserved,
            unreserved + total_reserved,
        );
        Ok(Slot {
            function: f.clone(),
            inner: self.inner.clone(),
            unreserved: reserved.is_none(),
        })
    }
}

/// Where an invocation's instances come from and go back to: `$LATEST`'s pool or a
/// version's.
enum Pool {
    Latest,
    Version(Arc<versions::Version>),
}

/// An execution slot, given back on drop.
struct Slot {
    function: Arc<Function>,
    inner: Arc<Inner>,
    unreserved: bool,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.function.running.fetch_sub(1, Ordering::SeqCst);
        self.inner.running.fetch_sub(1, Ordering::SeqCst);
        if self.unreserved {
            self.inner.unreserved_running.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_modified_format() {
        assert_eq!(last_modified(0), "1970-01-01T00:00:00.000+0000");
        assert_eq!(
            last_modified(1_700_000_000_123),
            "2023-11-14T22:13:20.123+0000"
        );
        assert_eq!(
            last_modified(951_782_400_000),
            "2000-02-29T00:00:00.000+0000"
        );
    }
}
