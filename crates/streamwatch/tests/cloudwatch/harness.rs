//! A server on port 0 with a Kinesis and a CloudWatch client.

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cloudwatch::primitives::DateTime;
use kinesis_engine::{Engine, EngineConfig};
use streamwatch_server::RunningServer;

pub struct Harness {
    /// Kept so the server lives as long as the clients.
    #[allow(dead_code)]
    pub server: RunningServer,
    pub kinesis: aws_sdk_kinesis::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
}

pub async fn start(shard_limits: bool) -> Harness {
    let engine = Engine::open(EngineConfig {
        transition_delay: Duration::ZERO,
        shard_limits,
        ..EngineConfig::default()
    })
    .unwrap();
    let server = streamwatch_server::start("127.0.0.1:0".parse().unwrap(), engine)
        .await
        .unwrap();
    let endpoint = server.endpoint();
    let kinesis = aws_sdk_kinesis::Client::from_conf(
        aws_sdk_kinesis::Config::builder()
            .behavior_version(aws_sdk_kinesis::config::BehaviorVersion::latest())
            .region(aws_sdk_kinesis::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_kinesis::config::Credentials::new(
                "AKID", "secret", None, None, "test",
            ))
            .endpoint_url(&endpoint)
            .retry_config(aws_sdk_kinesis::config::retry::RetryConfig::disabled())
            .build(),
    );
    let cloudwatch = aws_sdk_cloudwatch::Client::from_conf(
        aws_sdk_cloudwatch::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKID", "secret", None, None, "test"))
            .endpoint_url(&endpoint)
            .build(),
    );
    Harness {
        server,
        kinesis,
        cloudwatch,
    }
}

/// `now + offset_secs` as an SDK timestamp.
pub fn at(offset_secs: i64) -> DateTime {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    DateTime::from_secs(now + offset_secs)
}

/// The AWS error code of an SDK error.
pub fn code<E, R>(err: &aws_sdk_cloudwatch::error::SdkError<E, R>) -> String
where
    E: aws_sdk_cloudwatch::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match err {
        aws_sdk_cloudwatch::error::SdkError::ServiceError(e) => {
            e.err().code().unwrap_or("<none>").to_owned()
        }
        other => format!("<not a service error: {other:?}>"),
    }
}

/// The AWS error message of an SDK error.
pub fn message<E, R>(err: &aws_sdk_cloudwatch::error::SdkError<E, R>) -> String
where
    E: aws_sdk_cloudwatch::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match err {
        aws_sdk_cloudwatch::error::SdkError::ServiceError(e) => {
            e.err().message().unwrap_or("").to_owned()
        }
        other => format!("{other:?}"),
    }
}
