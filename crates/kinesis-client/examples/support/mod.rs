//! Setup shared by the examples (included with `#[path = "support/mod.rs"] mod support;`).
//!
//! Every example runs without an AWS account:
//!
//! - with `KINESIS_ENDPOINT` set (say `http://127.0.0.1:4567` for a streamwatch server,
//!   kinesalite or LocalStack), it talks to that endpoint with the static credentials
//!   `test`/`test` and the region from `AWS_REGION` (default `us-east-1`);
//! - otherwise it starts the embedded Kinesis engine in this process, on a free port.
//!
//! Each example creates its own stream with a unique name and deletes it at the end.

#![allow(dead_code)] // Each example uses a different part of this module.

use std::time::Duration;

use anyhow::{Context as _, bail};
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kinesis::types::StreamStatus;
use futures::StreamExt;
use kinesis_client::{ConsumedRecord, Consumer};
use streamwatch_server::RunningServer;

/// The region: `AWS_REGION`, or `us-east-1`.
pub fn region() -> String {
    std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".to_string())
}

/// Static credentials for local endpoints, which accept any.
pub fn credentials() -> Credentials {
    Credentials::new("test", "test", None, None, "examples")
}

/// Logs to stderr at the level in `RUST_LOG` (default `warn`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// A Kinesis endpoint and a client for it.
pub struct Kinesis {
    /// An SDK client for the endpoint.
    pub client: Client,
    /// The endpoint URL.
    pub endpoint: String,
    /// The embedded engine's server, when no `KINESIS_ENDPOINT` was given.
    server: Option<RunningServer>,
}

impl Kinesis {
    /// Connects to `KINESIS_ENDPOINT`, or starts the embedded engine on a free port.
    pub async fn start() -> anyhow::Result<Kinesis> {
        init_logging();
        let (endpoint, server) = match std::env::var("KINESIS_ENDPOINT") {
            Ok(endpoint) if !endpoint.is_empty() => (endpoint, None),
            _ => {
                let engine = kinesis_engine::Engine::open(kinesis_engine::EngineConfig::default())
                    .context("opening the embedded Kinesis engine")?;
                let server = streamwatch_server::start("127.0.0.1:0".parse()?, engine)
                    .await
                    .context("starting the embedded Kinesis engine")?;
                (server.endpoint(), Some(server))
            }
        };
        let where_ = if server.is_some() {
            "embedded engine"
        } else {
            "KINESIS_ENDPOINT"
        };
        println!("kinesis endpoint: {endpoint} ({where_})");
        let config = aws_sdk_kinesis::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region()))
            .credentials_provider(credentials())
            .endpoint_url(&endpoint)
            .build();
        Ok(Kinesis {
            client: Client::from_conf(config),
            endpoint,
            server,
        })
    }

    /// Creates a stream named `{prefix}-{unique suffix}` with `shards` shards and waits until
    /// it is ACTIVE; returns its name.
    pub async fn create_stream(&self, prefix: &str, shards: i32) -> anyhow::Result<String> {
        let name = format!(
            "{prefix}-{}-{:06x}",
            std::process::id(),
            fastrand::u32(..0xff_ffff)
        );
        self.client
            .create_stream()
            .stream_name(&name)
            .shard_count(shards)
            .send()
            .await
            .with_context(|| format!("creating stream {name} at {}", self.endpoint))?;
        for _ in 0..600 {
            let summary = self
                .client
                .describe_stream_summary()
                .stream_name(&name)
                .send()
                .await?;
            let status = summary
                .stream_description_summary()
                .map(|s| s.stream_status());
            if status == Some(&StreamStatus::Active) {
                println!("created stream {name} with {shards} shards");
                return Ok(name);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("stream {name} did not become ACTIVE within 30 s")
    }

    /// The ids of every shard of `stream`.
    pub async fn shard_ids(&self, stream: &str) -> anyhow::Result<Vec<String>> {
        let resp = self.client.list_shards().stream_name(stream).send().await?;
        Ok(resp
            .shards()
            .iter()
            .map(|s| s.shard_id().to_string())
            .collect())
    }

    /// Deletes `stream` and stops the embedded engine, if one was started.
    pub async fn finish(self, stream: &str) -> anyhow::Result<()> {
        self.client
            .delete_stream()
            .stream_name(stream)
            .enforce_consumer_deletion(true)
            .send()
            .await
            .with_context(|| format!("deleting stream {stream}"))?;
        if let Some(server) = self.server {
            server.shutdown().await?;
        }
        Ok(())
    }
}

/// Takes records from `consumer` until `n` have arrived; fails if that takes over `limit`.
pub async fn read(
    consumer: &mut Consumer,
    n: usize,
    limit: Duration,
) -> anyhow::Result<Vec<ConsumedRecord>> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        match tokio::time::timeout_at(deadline, consumer.next()).await {
            Ok(Some(record)) => out.push(record?),
            Ok(None) => bail!("the consumer stopped after {} of {n} records", out.len()),
            Err(_) => bail!("only {} of {n} records arrived within {limit:?}", out.len()),
        }
    }
    Ok(out)
}

/// Takes whatever records arrive within `wait`.
pub async fn drain(consumer: &mut Consumer, wait: Duration) -> anyhow::Result<Vec<ConsumedRecord>> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut out = Vec::new();
    while let Ok(Some(record)) = tokio::time::timeout_at(deadline, consumer.next()).await {
        out.push(record?);
    }
    Ok(out)
}

/// Prints `message` to stderr and exits with status 2: for examples whose backing service
/// (Redis, DynamoDB) is unreachable.
pub fn unreachable_service(message: impl std::fmt::Display) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2)
}
