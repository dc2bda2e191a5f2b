//! One target per test: the embedded engine in-process, or the kinesalite server that
//! scripts/test.sh starts (its endpoint in STREAMWATCH_TEST_KINESALITE_ENDPOINT).

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kinesis::types::StreamStatus;
use kinesis_client::metrics::InMemoryCollector;
use kinesis_engine::{Engine, EngineConfig};
use streamwatch_server::RunningServer;

/// What a test runs against.
pub struct Target {
    pub client: Client,
    /// Kept alive for the test; `None` for kinesalite.
    #[allow(dead_code)]
    pub server: Option<RunningServer>,
}

pub fn engine_config() -> EngineConfig {
    EngineConfig {
        transition_delay: Duration::ZERO,
        shard_limits: false,
        ..EngineConfig::default()
    }
}

pub async fn engine() -> Target {
    engine_with(engine_config()).await
}

pub async fn engine_with(config: EngineConfig) -> Target {
    let engine = Engine::open(config).expect("engine opens");
    engine_from(engine).await
}

pub async fn engine_from(engine: Engine) -> Target {
    let server = streamwatch_server::start("127.0.0.1:0".parse().expect("addr"), engine)
        .await
        .expect("server starts");
    let endpoint = server.endpoint();
    Target {
        client: client(&endpoint),
        server: Some(server),
    }
}

pub async fn kinesalite() -> Target {
    let endpoint = std::env::var("STREAMWATCH_TEST_KINESALITE_ENDPOINT").expect(
        "STREAMWATCH_TEST_KINESALITE_ENDPOINT is not set: run the tests with scripts/test.sh, \
         which starts kinesalite",
    );
    Target {
        client: client(&endpoint),
        server: None,
    }
}

/// An SDK client with static credentials, an explicit region and the target's endpoint.
pub fn client(endpoint: &str) -> Client {
    let config = aws_sdk_kinesis::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .endpoint_url(endpoint)
        .build();
    Client::from_conf(config)
}

/// A stream name no other test uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}-{:08x}", std::process::id(), fastrand::u32(..))
}

/// Creates a stream and waits until it is ACTIVE.
pub async fn create_stream(client: &Client, name: &str, shards: i32) {
    client
        .create_stream()
        .stream_name(name)
        .shard_count(shards)
        .send()
        .await
        .expect("create");
    wait_active(client, name).await;
}

pub async fn wait_active(client: &Client, name: &str) {
    for _ in 0..400 {
        let d = client
            .describe_stream_summary()
            .stream_name(name)
            .send()
            .await
            .expect("describe");
        if d.stream_description_summary().map(|s| s.stream_status()) == Some(&StreamStatus::Active)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("stream {name} never became ACTIVE");
}

pub fn collector() -> Arc<InMemoryCollector> {
    Arc::new(InMemoryCollector::new())
}

/// The open shard ids of a stream.
pub async fn shard_ids(client: &Client, name: &str) -> Vec<String> {
    let resp = client
        .list_shards()
        .stream_name(name)
        .send()
        .await
        .expect("list shards");
    resp.shards()
        .iter()
        .map(|s| s.shard_id().to_string())
        .collect()
}
