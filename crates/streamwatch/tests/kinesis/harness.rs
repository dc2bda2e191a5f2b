//! The Kinesis suite's engine configs; the server and its clients come from testkit.

use kinesis_engine::EngineConfig;

pub use testkit::{Stack as Harness, code, create_stream as create, message};

/// Config for tests: no transition delay and no throughput limits, so tests may read as
/// often as they like; tests of the limits turn them on.
pub fn test_config() -> EngineConfig {
    EngineConfig {
        shard_limits: false,
        ..testkit::engine_config()
    }
}

/// Config with AWS's per-shard throughput limits.
pub fn limited_config() -> EngineConfig {
    EngineConfig {
        shard_limits: true,
        ..test_config()
    }
}

pub async fn start() -> Harness {
    start_with(test_config()).await
}

pub async fn start_with(config: EngineConfig) -> Harness {
    Harness::with(config).await
}
