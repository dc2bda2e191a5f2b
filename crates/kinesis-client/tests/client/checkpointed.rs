//! The restart scenario with the Redis and DynamoDB checkpointers (servers started by
//! scripts/test.sh), against the embedded engine.

use std::sync::Arc;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use kinesis_client::checkpoint::{Checkpointer, DynamoDbCheckpointer, RedisCheckpointer};

use crate::harness;

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run the tests with scripts/test.sh"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_with_redis_checkpoints() {
    let t = harness::engine().await;
    let stream = harness::unique("redis-restart");
    let store = RedisCheckpointer::connect(&env("STREAMWATCH_TEST_REDIS_URL"))
        .await
        .expect("redis")
        .with_prefix(format!("streamwatch-test:{stream}"));
    crate::restart_with(t, &stream, Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_with_dynamodb_checkpoints() {
    let t = harness::engine().await;
    let stream = harness::unique("ddb-restart");
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .endpoint_url(env("STREAMWATCH_TEST_DYNAMODB_ENDPOINT"))
        .build();
    let store = DynamoDbCheckpointer::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        format!("app-{stream}"),
        &stream,
    );
    store.create_table_if_missing().await.expect("table");
    let store: Arc<dyn Checkpointer> = Arc::new(store);
    crate::restart_with(t, &stream, store.clone()).await;
    // The leases hold the last checkpoints, with no owner once both consumers closed.
    let leases = store.list_leases(&stream).await.expect("leases");
    assert_eq!(leases.len(), 2);
    assert!(leases.iter().all(|l| l.owner.is_none()), "{leases:?}");
}
