//! Starts a server on port 0 and hands back an SDK client pointed at it.

use std::time::Duration;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
use kinesis_engine::{Engine, EngineConfig};
use streamwatch_server::RunningServer;

/// A running server and a client for it.
pub struct Harness {
    #[allow(dead_code)]
    pub server: RunningServer,
    pub client: Client,
}

/// Config for tests: no transition delay and no throughput limits, so tests may read as
/// often as they like; tests of the limits turn them on.
pub fn test_config() -> EngineConfig {
    EngineConfig {
        transition_delay: Duration::ZERO,
        shard_limits: false,
        ..EngineConfig::default()
    }
}

/// Config with AWS's per-shard throughput limits.
pub fn limited_config() -> EngineConfig {
    EngineConfig {
        shard_limits: true,
        ..test_config()
    }
}

/// An SDK client with static credentials, an explicit region and the local endpoint.
pub fn client(endpoint: &str) -> Client {
    Client::from_conf(config_builder(endpoint).build())
}

/// A client that does not retry, to observe throttling errors directly.
pub fn client_without_retries(endpoint: &str) -> Client {
    let config = config_builder(endpoint)
        .retry_config(aws_sdk_kinesis::config::retry::RetryConfig::disabled());
    Client::from_conf(config.build())
}

fn config_builder(endpoint: &str) -> aws_sdk_kinesis::config::Builder {
    aws_sdk_kinesis::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .endpoint_url(endpoint)
}

pub async fn start() -> Harness {
    start_with(test_config()).await
}

pub async fn start_with(config: EngineConfig) -> Harness {
    let engine = Engine::open(config).expect("engine opens");
    let server = streamwatch_server::start("127.0.0.1:0".parse().expect("addr"), engine)
        .await
        .expect("server starts");
    let client = client(&server.endpoint());
    Harness { server, client }
}

/// Creates a provisioned stream with `shards` shards.
pub async fn create(client: &Client, name: &str, shards: i32) {
    client
        .create_stream()
        .stream_name(name)
        .shard_count(shards)
        .send()
        .await
        .expect("create stream");
}

/// The AWS error code of an SDK error.
pub fn code<E, R>(err: &aws_sdk_kinesis::error::SdkError<E, R>) -> String
where
    E: aws_sdk_kinesis::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match err {
        aws_sdk_kinesis::error::SdkError::ServiceError(e) => {
            e.err().code().unwrap_or("<none>").to_owned()
        }
        other => format!("<not a service error: {other:?}>"),
    }
}

/// The AWS error message of an SDK error.
pub fn message<E, R>(err: &aws_sdk_kinesis::error::SdkError<E, R>) -> String
where
    E: aws_sdk_kinesis::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match err {
        aws_sdk_kinesis::error::SdkError::ServiceError(e) => {
            e.err().message().unwrap_or("").to_owned()
        }
        other => format!("{other:?}"),
    }
}
