//! One target per test: the embedded engine in-process, or the kinesalite server that
//! scripts/test.sh starts (its endpoint in STREAMWATCH_TEST_KINESALITE_ENDPOINT).

use std::sync::Arc;

use aws_sdk_kinesis::Client;
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
        shard_limits: false,
        ..testkit::engine_config()
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
    let stack = testkit::Stack::on(engine).await;
    Target {
        client: stack.kinesis,
        server: Some(stack.server),
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
    testkit::kinesis_client(endpoint)
}

/// A stream name no other test uses.
pub fn unique(prefix: &str) -> String {
    testkit::unique(prefix)
}

/// Creates a stream and waits until it is ACTIVE.
pub async fn create_stream(client: &Client, name: &str, shards: i32) {
    testkit::create_stream(client, name, shards).await;
    wait_active(client, name).await;
}

pub async fn wait_active(client: &Client, name: &str) {
    testkit::wait_active(client, name).await;
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
