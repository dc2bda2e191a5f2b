//! The CloudWatch suite's server (from testkit) and its timestamps.

use std::time::SystemTime;

use aws_sdk_cloudwatch::primitives::DateTime;
use kinesis_engine::EngineConfig;

pub use testkit::{Stack as Harness, code, message};

/// A server with or without the per-shard limits; its Kinesis client does not retry, so
/// throttled requests count as AWS counts them.
pub async fn start(shard_limits: bool) -> Harness {
    let mut stack = Harness::with(EngineConfig {
        shard_limits,
        ..testkit::engine_config()
    })
    .await;
    stack.kinesis = stack.kinesis_without_retries();
    stack
}

/// `now + offset_secs` as an SDK timestamp.
pub fn at(offset_secs: i64) -> DateTime {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    DateTime::from_secs(now + offset_secs)
}
