//! One execution environment: a child process running the function's runtime, its Runtime
//! API endpoint (served by the engine's [`crate::runtime_api::RuntimeApiHost`]), and the
//! tasks that turn its output into log lines.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;

use crate::function::FunctionConfig;
use crate::logs::LogStore;
use crate::runtime_api::{
    InstanceSide, Invocation, Lifecycle, NextInvocation, Outcome, RuntimeEndpoint, ServedRuntimeApi,
};
use crate::timing::Time;
use crate::usage;
use crate::{INIT_TIMEOUT, LambdaEngine};

/// A running instance.
pub(crate) struct Instance {
    child: Child,
    /// Kept for as long as the instance lives: dropping it stops the server.
    _served: ServedRuntimeApi,
    api: InstanceSide,
    time: Time,
    /// The function generation it runs (code and configuration at start).
    pub(crate) generation: u64,
    /// Its log stream name.
    pub(crate) stream: String,
    /// Its own temporary directory (`TMPDIR`), the engine's stand-in for the execution
    /// environment's `/tmp`; removed with the instance.
    tmp: tempfile::TempDir,
}

/// Why an instance did not start.
#[derive(Debug)]
pub(crate) enum StartFailure {
    /// The process could not be started.
    Spawn(String),
    /// The runtime reported `init/error`.
    InitError(Bytes),
    /// The process ended before asking for work.
    Exited(String),
    /// No first `next` within [`INIT_TIMEOUT`].
    TimedOut,
}

/// How one invocation on an instance ended.
#[derive(Debug)]
pub(crate) enum RunOutcome {
    /// The runtime answered.
    Done(Outcome),
    /// The timeout passed; the instance was stopped.
    TimedOut,
    /// The process ended mid-invocation, with this status.
    Exited(String),
}

impl Instance {
    /// Starts the runtime and waits until it asks for its first invocation.
    pub(crate) async fn start(
        lambda: &LambdaEngine,
        config: &FunctionConfig,
        code_dir: &Path,
        generation: u64,
        provisioned: bool,
        logs: Arc<LogStore>,
    ) -> Result<Instance, StartFailure> {
        let engine = &lambda.inner.config;
        let metrics = lambda.inner.metrics.clone();
        let time = lambda.inner.time.clone();
        let host = lambda
            .runtime_api_host()
            .map_err(|e| StartFailure::Spawn(e.to_string()))?;
        let (endpoint, mut api) = RuntimeEndpoint::new();
        let served = host
            .serve(endpoint)
            .map_err(|e| StartFailure::Spawn(e.to_string()))?;
        let id = uuid::Uuid::new_v4().simple().to_string();
        let date = crate::last_modified(time.now_ms());
        let stream = format!(
            "{}/{}/{}/[{}]{id}",
            &date[0..4],
            &date[5..7],
            &date[8..10],
            config.version
        );
        let tmp = tempfile::Builder::new()
            .prefix("streamwatch-lambda-tmp-")
            .tempdir()
            .map_err(|e| StartFailure::Spawn(format!("creating the instance's TMPDIR: {e}")))?;
        let mut command = if config.runtime.starts_with("python") {
            let mut c = Command::new(&engine.python);
            c.args(["-m", "awslambdaric", &config.handler]);
            c
        } else {
            Command::new(code_dir.join("bootstrap"))
        };
        command
            .current_dir(code_dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LANG", "en_US.UTF-8")
            .env("TZ", ":UTC")
            .env("TMPDIR", tmp.path())
            .env("AWS_LAMBDA_RUNTIME_API", served.address().to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", &config.name)
            .env(
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                config.memory_mb.to_string(),
            )
            .env("AWS_LAMBDA_FUNCTION_VERSION", &config.version)
            .env(
                "AWS_LAMBDA_INITIALIZATION_TYPE",
                if provisioned {
                    "provisioned-concurrency"
                } else {
                    "on-demand"
                },
            )
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", config.name),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", &stream)
            .env("AWS_REGION", &engine.region)
            .env("AWS_DEFAULT_REGION", &engine.region)
            .env(
                "AWS_EXECUTION_ENV",
                format!("AWS_Lambda_{}", config.runtime),
            )
            .env("_HANDLER", &config.handler)
            .env("LAMBDA_TASK_ROOT", code_dir)
            .env("LAMBDA_RUNTIME_DIR", code_dir)
            .env(
                "AWS_ACCESS_KEY_ID",
                engine
                    .function_credentials
                    .as_ref()
                    .map_or("streamwatch", |(k, _)| k.as_str()),
            )
            .env(
                "AWS_SECRET_ACCESS_KEY",
                engine
                    .function_credentials
                    .as_ref()
                    .map_or("streamwatch", |(_, s)| s.as_str()),
            )
            .env("AWS_SESSION_TOKEN", "streamwatch")
            .envs(&config.environment)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(url) = &engine.endpoint_url {
            command.env("AWS_ENDPOINT_URL", url);
        }
        if config.runtime.starts_with("python") {
            command.env("PYTHONPATH", code_dir);
        }
        let mut child = command
            .spawn()
            .map_err(|e| StartFailure::Spawn(format!("starting the runtime: {e}")))?;
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
        ]
        .into_iter()
        .flatten()
        {
            let logs = logs.clone();
            let stream = stream.clone();
            let metrics = metrics.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(pipe).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    // Embedded Metric Format lines become metrics, as in CloudWatch Logs.
                    metrics.emf(&line);
                    logs.push(&stream, line);
                }
            });
        }
        let outcome = tokio::select! {
            signal = api.lifecycle.recv() => match signal {
                Some(Lifecycle::Ready) => Ok(()),
                Some(Lifecycle::InitError(body)) => Err(StartFailure::InitError(body)),
                None => Err(StartFailure::Exited("runtime API stopped".into())),
            },
            status = child.wait() => Err(StartFailure::Exited(match status {
                Ok(s) => s.to_string(),
                Err(e) => e.to_string(),
            })),
            () = time.sleep(INIT_TIMEOUT) => Err(StartFailure::TimedOut),
        };
        match outcome {
            Ok(()) => Ok(Instance {
                child,
                _served: served,
                api,
                time,
                generation,
                stream,
                tmp,
            }),
            Err(e) => {
                let _ = child.start_kill();
                Err(e)
            }
        }
    }

    /// Hands one invocation to the runtime and waits for its answer, the timeout, or the
    /// process's end.
    pub(crate) async fn run(
        &mut self,
        request_id: String,
        payload: Bytes,
        function_arn: String,
        trace_id: String,
        timeout: Duration,
    ) -> RunOutcome {
        let (reply, answer) = oneshot::channel();
        let invocation = Invocation {
            next: NextInvocation {
                request_id,
                payload,
                deadline_ms: self.time.now_ms() + timeout.as_millis() as i64,
                function_arn,
                trace_id,
            },
            reply,
        };
        // The timeout runs from the hand-over, not from whenever the wait is first polled.
        let timer = self.time.sleep(timeout);
        if self.api.invocations.send(invocation).await.is_err() {
            return RunOutcome::Exited("runtime API closed".into());
        }
        tokio::select! {
            outcome = answer => match outcome {
                Ok(o) => RunOutcome::Done(o),
                Err(_) => RunOutcome::Exited("runtime API closed".into()),
            },
            status = self.child.wait() => RunOutcome::Exited(match status {
                Ok(s) => s.to_string(),
                Err(e) => e.to_string(),
            }),
            () = timer => {
                let _ = self.child.start_kill();
                RunOutcome::TimedOut
            }
        }
    }

    /// The process's peak resident memory in whole MB, rounded up (VmHWM), as REPORT's
    /// `Max Memory Used`; `None` once the process is gone or off Linux.
    pub(crate) fn max_memory_mb(&self) -> Option<u64> {
        usage::peak_rss_kb(self.child.id()?).map(|kb| kb.div_ceil(1024))
    }

    /// Bytes in the instance's temporary directory (`TMPDIR`); `None` when it cannot be read.
    pub(crate) fn tmp_used_bytes(&self) -> Option<u64> {
        usage::dir_size(self.tmp.path())
    }

    /// The CPU time the process has used so far; `None` once it is gone or off Linux.
    pub(crate) fn cpu_time(&self) -> Option<Duration> {
        usage::cpu_time(self.child.id()?)
    }

    /// Stops the process.
    pub(crate) fn stop(mut self) {
        let _ = self.child.start_kill();
    }
}
