//! For the workspace's tests only (a dev-dependency, never published): [`Stack::start`] runs
//! a server on `127.0.0.1:0` over a fresh in-memory engine and hands back a ready AWS SDK
//! client per service it speaks (Kinesis, CloudWatch, Lambda, SQS, Logs, SNS); beside it, what the end-to-end suites share: creating
//! streams and queues, waiting for them, reading metrics back, AWS error codes of SDK errors,
//! and where the workspace and its Python peers are.

#![deny(missing_docs)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_kinesis::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Environment, FunctionCode, Runtime};
use kinesis_engine::{Engine, EngineConfig};
use streamwatch_server::RunningServer;

/// The region every client of the kit signs for.
pub const REGION: &str = "us-east-1";

/// An SDK config builder of service `$sdk` for `$endpoint`: static credentials (the server
/// accepts any signature), the kit's region.
macro_rules! config {
    ($sdk:ident, $endpoint:expr) => {
        config!($sdk, $endpoint, REGION, "AKIDTEST")
    };
    ($sdk:ident, $endpoint:expr, $region:expr, $key:expr) => {
        $sdk::Config::builder()
            .behavior_version($sdk::config::BehaviorVersion::latest())
            .region($sdk::config::Region::new($region.to_string()))
            .credentials_provider($sdk::config::Credentials::new(
                $key.to_string(),
                "secret",
                None,
                None,
                "test",
            ))
            .endpoint_url($endpoint)
    };
}

/// SDK clients signing for one region with one access key: a 12-digit key names the
/// account the engine files the calls under (see streamwatch-server's account and region
/// registry).
pub struct Clients {
    /// Kinesis.
    pub kinesis: aws_sdk_kinesis::Client,
    /// CloudWatch.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// Lambda.
    pub lambda: aws_sdk_lambda::Client,
    /// SQS.
    pub sqs: aws_sdk_sqs::Client,
    /// SNS.
    pub sns: aws_sdk_sns::Client,
    /// CloudWatch Logs.
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

/// Clients for `endpoint` signing for `region` with access key `key`.
pub fn clients_for(endpoint: &str, region: &str, key: &str) -> Clients {
    Clients {
        kinesis: aws_sdk_kinesis::Client::from_conf(
            config!(aws_sdk_kinesis, endpoint, region, key).build(),
        ),
        cloudwatch: aws_sdk_cloudwatch::Client::from_conf(
            config!(aws_sdk_cloudwatch, endpoint, region, key).build(),
        ),
        lambda: aws_sdk_lambda::Client::from_conf(
            config!(aws_sdk_lambda, endpoint, region, key).build(),
        ),
        sqs: aws_sdk_sqs::Client::from_conf(config!(aws_sdk_sqs, endpoint, region, key).build()),
        sns: aws_sdk_sns::Client::from_conf(config!(aws_sdk_sns, endpoint, region, key).build()),
        logs: aws_sdk_cloudwatchlogs::Client::from_conf(
            config!(aws_sdk_cloudwatchlogs, endpoint, region, key).build(),
        ),
    }
}

/// A running server and a client for each service it speaks; the server stops when the
/// stack is dropped.
pub struct Stack {
    /// The server, for its endpoint, its engines and its metric store.
    pub server: RunningServer,
    /// A Kinesis client for the server.
    pub kinesis: aws_sdk_kinesis::Client,
    /// A CloudWatch client for the server.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// A Lambda client for the server.
    pub lambda: aws_sdk_lambda::Client,
    /// An SQS client for the server.
    pub sqs: aws_sdk_sqs::Client,
    /// A CloudWatch Logs client for the server.
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// An SNS client for the server.
    pub sns: aws_sdk_sns::Client,
}

/// The engine config of [`Stack::start`]: AWS's defaults, but streams are active at once.
pub fn engine_config() -> EngineConfig {
    EngineConfig {
        transition_delay: Duration::ZERO,
        ..EngineConfig::default()
    }
}

/// A server on `127.0.0.1:0` over `engine`.
pub async fn server_on(engine: Engine) -> RunningServer {
    streamwatch_server::start("127.0.0.1:0".parse().expect("a socket address"), engine)
        .await
        .expect("the server starts")
}

impl Stack {
    /// A server on a fresh in-memory engine ([`engine_config`]).
    pub async fn start() -> Stack {
        Stack::with(engine_config()).await
    }

    /// A server on a fresh engine opened with `config`.
    pub async fn with(config: EngineConfig) -> Stack {
        Stack::on(Engine::open(config).expect("the engine opens")).await
    }

    /// A server on `engine`.
    pub async fn on(engine: Engine) -> Stack {
        Stack::at(server_on(engine).await)
    }

    /// Clients for a running server.
    pub fn at(server: RunningServer) -> Stack {
        let endpoint = server.endpoint();
        Stack {
            kinesis: kinesis_client(&endpoint),
            cloudwatch: cloudwatch_client(&endpoint),
            lambda: aws_sdk_lambda::Client::from_conf(config!(aws_sdk_lambda, &endpoint).build()),
            sqs: aws_sdk_sqs::Client::from_conf(config!(aws_sdk_sqs, &endpoint).build()),
            sns: aws_sdk_sns::Client::from_conf(config!(aws_sdk_sns, &endpoint).build()),
            logs: aws_sdk_cloudwatchlogs::Client::from_conf(
                config!(aws_sdk_cloudwatchlogs, &endpoint).build(),
            ),
            server,
        }
    }

    /// A server on a fresh engine opened with `config`, its clients signing for `region`
    /// (the server files their calls under that region, as AWS does).
    pub async fn in_region(config: EngineConfig, region: &str) -> Stack {
        let server = server_on(Engine::open(config).expect("the engine opens")).await;
        let c = clients_for(&server.endpoint(), region, "AKIDTEST");
        Stack {
            kinesis: c.kinesis,
            cloudwatch: c.cloudwatch,
            lambda: c.lambda,
            sqs: c.sqs,
            sns: c.sns,
            logs: c.logs,
            server,
        }
    }

    /// The server's endpoint URL.
    pub fn endpoint(&self) -> String {
        self.server.endpoint()
    }

    /// A Kinesis client for the server that does not retry, to see throttling errors as sent.
    pub fn kinesis_without_retries(&self) -> aws_sdk_kinesis::Client {
        kinesis_client_without_retries(&self.endpoint())
    }

    /// Creates a stream and puts `(partition key, data)` records in order; returns its ARN.
    pub async fn stream(&self, name: &str, shards: i32, records: &[(&str, &str)]) -> String {
        create_stream(&self.kinesis, name, shards).await;
        for (key, data) in records {
            self.kinesis
                .put_record()
                .stream_name(name)
                .partition_key(*key)
                .data(aws_sdk_kinesis::primitives::Blob::new(*data))
                .send()
                .await
                .expect("put record");
        }
        format!("arn:aws:kinesis:{REGION}:000000000000:stream/{name}")
    }

    /// Deploys a function binary as the `bootstrap` of a `provided.al2023` function.
    pub async fn deploy_binary(&self, name: &str, binary: &Path, env: &[(&str, &str)]) {
        let binary = std::fs::read(binary).expect("the function binary reads");
        let zip = function_zip::bootstrap_zip(&binary).expect("the function zips");
        let mut environment = Environment::builder();
        for (k, v) in env {
            environment = environment.variables(*k, *v);
        }
        self.lambda
            .create_function()
            .function_name(name)
            .runtime(Runtime::Providedal2023)
            .role("arn:aws:iam::000000000000:role/consumer")
            .environment(environment.build())
            .code(FunctionCode::builder().zip_file(Blob::new(zip)).build())
            .send()
            .await
            .expect("create function");
    }

    /// Deploys one of lambda-test-functions' example functions.
    pub async fn deploy(&self, name: &str, example: &str, env: &[(&str, &str)]) {
        let binary = lambda_test_functions::example_binary(example);
        self.deploy_binary(name, &binary, env).await;
    }

    /// Deploys the Kinesis consumer example with its `MODE` (`ok`, `error`, `partial`).
    pub async fn function(&self, name: &str, mode: &str) {
        self.function_with(name, mode, "0").await;
    }

    /// The Kinesis consumer example, also sleeping `sleep_ms` per batch.
    pub async fn function_with(&self, name: &str, mode: &str, sleep_ms: &str) {
        self.deploy(
            name,
            "kinesis_function",
            &[("MODE", mode), ("SLEEP_MS", sleep_ms)],
        )
        .await;
    }

    /// The function's log lines with this prefix, waiting up to 20 s until `done` holds.
    pub async fn lines(
        &self,
        function: &str,
        prefix: &str,
        done: impl Fn(&[String]) -> bool,
    ) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let lines: Vec<String> = self
                .server
                .lambda()
                .logs(function, 0)
                .expect("the function's log")
                .into_iter()
                .filter_map(|e| e.message.strip_prefix(prefix).map(str::to_string))
                .collect();
            if done(&lines) || Instant::now() > deadline {
                return lines;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Creates a queue; returns its URL.
    pub async fn queue(&self, name: &str) -> String {
        self.sqs
            .create_queue()
            .queue_name(name)
            .send()
            .await
            .expect("create queue")
            .queue_url()
            .expect("a queue URL")
            .to_string()
    }

    /// Every attribute of a queue (GetQueueAttributes `All`), by AWS's names.
    pub async fn queue_attributes(&self, url: &str) -> HashMap<String, String> {
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
            .send()
            .await
            .expect("get queue attributes");
        out.attributes()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str().to_string(), v.clone()))
            .collect()
    }

    /// Waits up to 20 s for `n` messages on the queue, deleting them as they are read.
    pub async fn drain(&self, url: &str, n: usize) -> Vec<aws_sdk_sqs::types::Message> {
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while got.len() < n && Instant::now() < deadline {
            let out = self
                .sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .wait_time_seconds(2)
                .message_attribute_names("All")
                .send()
                .await
                .expect("receive message");
            for m in out.messages() {
                self.sqs
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(m.receipt_handle().expect("a receipt handle"))
                    .send()
                    .await
                    .expect("delete message");
                got.push(m.clone());
            }
        }
        got
    }

    /// A metric's Sum (or Maximum) over the last ten minutes, read through the CloudWatch
    /// API with one dimension.
    pub async fn cloudwatch_stat(
        &self,
        namespace: &str,
        metric: &str,
        dim: (&str, &str),
        stat: aws_sdk_cloudwatch::types::Statistic,
    ) -> f64 {
        use aws_sdk_cloudwatch::primitives::DateTime;
        use aws_sdk_cloudwatch::types::{Dimension, Statistic};
        let now = now_ms() as i64;
        let out = self
            .cloudwatch
            .get_metric_statistics()
            .namespace(namespace)
            .metric_name(metric)
            .dimensions(Dimension::builder().name(dim.0).value(dim.1).build())
            .start_time(DateTime::from_millis(now - 600_000))
            .end_time(DateTime::from_millis(now + 60_000))
            .period(60)
            .statistics(stat.clone())
            .send()
            .await
            .expect("get metric statistics");
        let values = out.datapoints().iter().map(|d| match stat {
            Statistic::Maximum => d.maximum().unwrap_or(0.0),
            _ => d.sum().unwrap_or(0.0),
        });
        if stat == Statistic::Maximum {
            values.fold(0.0, f64::max)
        } else {
            values.sum()
        }
    }

    /// A metric with exactly these dimensions, from the server's store (see [`stat`]).
    pub fn stat(
        &self,
        namespace: &str,
        metric: &str,
        dims: &[(&str, &str)],
        statistic: metric_store::Statistic,
    ) -> f64 {
        stat(self.server.metrics(), namespace, metric, dims, statistic)
    }
}

/// A Kinesis client for `endpoint` with the kit's credentials and region.
pub fn kinesis_client(endpoint: &str) -> aws_sdk_kinesis::Client {
    aws_sdk_kinesis::Client::from_conf(config!(aws_sdk_kinesis, endpoint).build())
}

/// A CloudWatch client for `endpoint` with the kit's credentials and region.
pub fn cloudwatch_client(endpoint: &str) -> aws_sdk_cloudwatch::Client {
    aws_sdk_cloudwatch::Client::from_conf(config!(aws_sdk_cloudwatch, endpoint).build())
}

/// A Lambda client for `endpoint` with the kit's credentials and region.
pub fn lambda_client(endpoint: &str) -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::from_conf(config!(aws_sdk_lambda, endpoint).build())
}

/// An SQS client for `endpoint` with the kit's credentials and region.
pub fn sqs_client(endpoint: &str) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::from_conf(config!(aws_sdk_sqs, endpoint).build())
}

/// A Kinesis client for `endpoint` that does not retry.
pub fn kinesis_client_without_retries(endpoint: &str) -> aws_sdk_kinesis::Client {
    aws_sdk_kinesis::Client::from_conf(
        config!(aws_sdk_kinesis, endpoint)
            .retry_config(aws_sdk_kinesis::config::retry::RetryConfig::disabled())
            .build(),
    )
}

/// Creates a provisioned stream with `shards` shards (active at once under
/// [`engine_config`]; see [`wait_active`] otherwise).
pub async fn create_stream(kinesis: &aws_sdk_kinesis::Client, name: &str, shards: i32) {
    kinesis
        .create_stream()
        .stream_name(name)
        .shard_count(shards)
        .send()
        .await
        .expect("create stream");
}

/// Waits up to 10 s until the stream is ACTIVE.
///
/// # Panics
///
/// When it is not by then.
pub async fn wait_active(kinesis: &aws_sdk_kinesis::Client, name: &str) {
    for _ in 0..400 {
        let summary = kinesis
            .describe_stream_summary()
            .stream_name(name)
            .send()
            .await
            .expect("describe stream summary");
        if summary
            .stream_description_summary()
            .map(|s| s.stream_status())
            == Some(&aws_sdk_kinesis::types::StreamStatus::Active)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("stream {name} never became ACTIVE");
}

/// A name no other test uses: `{prefix}-{process id}-{random}`.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}-{:08x}", std::process::id(), fastrand::u32(..))
}

/// The AWS error code of an SDK error of any service.
pub fn code<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match err {
        SdkError::ServiceError(e) => e.err().code().unwrap_or("<none>").to_owned(),
        other => format!("<not a service error: {other:?}>"),
    }
}

/// The AWS error message of an SDK error of any service.
pub fn message<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match err {
        SdkError::ServiceError(e) => e.err().message().unwrap_or("").to_owned(),
        other => format!("{other:?}"),
    }
}

/// Milliseconds since the Unix epoch, by the system clock.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A metric with exactly these dimensions over the last ten minutes: the periods' Maximum
/// for Maximum, else their sum.
pub fn stat(
    store: &metric_store::Store,
    namespace: &str,
    metric: &str,
    dims: &[(&str, &str)],
    statistic: metric_store::Statistic,
) -> f64 {
    let key = metric_store::MetricKey::new(namespace, metric, dims.iter().copied())
        .expect("a valid metric key");
    let now = now_ms();
    let values = store
        .query(&key, now - 600_000, now + 60_000, 60, &[statistic])
        .expect("a metric query")
        .into_iter()
        .filter_map(|d| d.values[0]);
    match statistic {
        metric_store::Statistic::Maximum => values.fold(0.0, f64::max),
        _ => values.sum(),
    }
}

/// The workspace's root directory.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A program of the workspace's `.venv` (where scripts/test.sh installs the Python peers).
pub fn venv_bin(name: &str) -> PathBuf {
    workspace().join(".venv/bin").join(name)
}

/// The Python with the peers installed: `STREAMWATCH_PYTHON`, else `.venv`'s `python`.
pub fn python() -> PathBuf {
    std::env::var_os("STREAMWATCH_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| venv_bin("python"))
}
