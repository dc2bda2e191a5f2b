//! What the Lambda and SQS suites share: a server on the embedded engine with an SDK client
//! per service, functions deployed from the workspace's example binaries, and metrics read
//! back. Each suite uses part of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Environment, FunctionCode, Runtime};
use time_source::now_ms;

/// An SDK client of service `$sdk` for `$endpoint`, with static credentials and region.
macro_rules! client {
    ($sdk:ident, $endpoint:expr) => {
        $sdk::Client::from_conf(
            $sdk::Config::builder()
                .behavior_version($sdk::config::BehaviorVersion::latest())
                .region($sdk::config::Region::new("us-east-1"))
                .credentials_provider($sdk::config::Credentials::new("a", "b", None, None, "t"))
                .endpoint_url($endpoint)
                .build(),
        )
    };
}

/// A server and a client for each service it speaks.
pub struct Stack {
    pub server: streamwatch_server::RunningServer,
    pub kinesis: aws_sdk_kinesis::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
}

impl Stack {
    /// A server on a fresh in-memory engine whose streams are active at once.
    pub async fn start() -> Stack {
        Stack::on(
            kinesis_engine::Engine::open(kinesis_engine::EngineConfig {
                transition_delay: Duration::ZERO,
                ..kinesis_engine::EngineConfig::default()
            })
            .unwrap(),
        )
        .await
    }

    /// A server on `engine`.
    pub async fn on(engine: kinesis_engine::Engine) -> Stack {
        Stack::at(
            streamwatch_server::start("127.0.0.1:0".parse().unwrap(), engine)
                .await
                .unwrap(),
        )
    }

    /// Clients for a running server.
    pub fn at(server: streamwatch_server::RunningServer) -> Stack {
        let endpoint = server.endpoint();
        Stack {
            kinesis: client!(aws_sdk_kinesis, &endpoint),
            lambda: client!(aws_sdk_lambda, &endpoint),
            sqs: client!(aws_sdk_sqs, &endpoint),
            cloudwatch: client!(aws_sdk_cloudwatch, &endpoint),
            server,
        }
    }

    /// Creates a stream and puts `(partition key, data)` records in order; returns its ARN.
    pub async fn stream(&self, name: &str, shards: i32, records: &[(&str, &str)]) -> String {
        self.kinesis
            .create_stream()
            .stream_name(name)
            .shard_count(shards)
            .send()
            .await
            .unwrap();
        for (key, data) in records {
            self.kinesis
                .put_record()
                .stream_name(name)
                .partition_key(*key)
                .data(aws_sdk_kinesis::primitives::Blob::new(*data))
                .send()
                .await
                .unwrap();
        }
        format!("arn:aws:kinesis:us-east-1:000000000000:stream/{name}")
    }

    /// Deploys a function binary as the `bootstrap` of a `provided.al2023` function.
    pub async fn deploy_binary(&self, name: &str, binary: &std::path::Path, env: &[(&str, &str)]) {
        let zip = function_zip::bootstrap_zip(&std::fs::read(binary).unwrap()).unwrap();
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
            .unwrap();
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
                .unwrap()
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
            .unwrap()
            .queue_url()
            .unwrap()
            .to_string()
    }

    /// Every attribute of a queue (GetQueueAttributes `All`), by AWS's names.
    pub async fn queue_attributes(&self, url: &str) -> std::collections::HashMap<String, String> {
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
            .send()
            .await
            .unwrap();
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
                .unwrap();
            for m in out.messages() {
                self.sqs
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(m.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
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
            .unwrap();
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

/// A metric with exactly these dimensions over the last ten minutes: the periods' Maximum
/// for Maximum, else their sum.
pub fn stat(
    store: &metric_store::Store,
    namespace: &str,
    metric: &str,
    dims: &[(&str, &str)],
    statistic: metric_store::Statistic,
) -> f64 {
    let key = metric_store::MetricKey::new(namespace, metric, dims.iter().copied()).unwrap();
    let now = now_ms();
    let values = store
        .query(&key, now - 600_000, now + 60_000, 60, &[statistic])
        .unwrap()
        .into_iter()
        .filter_map(|d| d.values[0]);
    match statistic {
        metric_store::Statistic::Maximum => values.fold(0.0, f64::max),
        _ => values.sum(),
    }
}
