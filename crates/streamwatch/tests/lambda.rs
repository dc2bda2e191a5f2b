//! Lambda on the engine's one port, next to Kinesis and CloudWatch: a real function binary
//! (lambda-engine's examples/echo_function.rs, on the `lambda_runtime` crate) deployed and
//! invoked with aws-sdk-lambda, its AWS/Lambda metrics read back with aws-sdk-cloudwatch.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};

/// The example function's binary: built by `cargo test --workspace`; built here if missing.
fn function_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples")
        .join("echo_function");
    if !bin.exists() {
        let status = std::process::Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "--package",
                "lambda-engine",
                "--example",
                "echo_function",
            ])
            .status()
            .unwrap();
        assert!(status.success());
    }
    bin
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn functions_run_on_the_engine_port_and_publish_their_metrics() {
    let engine = kinesis_engine::Engine::open(kinesis_engine::EngineConfig::default()).unwrap();
    let server = streamwatch_server::start("127.0.0.1:0".parse().unwrap(), engine)
        .await
        .unwrap();
    let lambda = aws_sdk_lambda::Client::from_conf(
        aws_sdk_lambda::Config::builder()
            .behavior_version(aws_sdk_lambda::config::BehaviorVersion::latest())
            .region(aws_sdk_lambda::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_lambda::config::Credentials::new(
                "a", "b", None, None, "t",
            ))
            .endpoint_url(server.endpoint())
            .build(),
    );
    let cloudwatch = aws_sdk_cloudwatch::Client::from_conf(
        aws_sdk_cloudwatch::Config::builder()
            .behavior_version(aws_sdk_cloudwatch::config::BehaviorVersion::latest())
            .region(aws_sdk_cloudwatch::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new(
                "a", "b", None, None, "t",
            ))
            .endpoint_url(server.endpoint())
            .build(),
    );
    let zip =
        lambda_engine::function::bootstrap_zip(&std::fs::read(function_binary()).unwrap()).unwrap();
    lambda
        .create_function()
        .function_name("echo")
        .runtime(Runtime::Providedal2023)
        .role("arn:aws:iam::000000000000:role/lambda")
        .code(FunctionCode::builder().zip_file(Blob::new(zip)).build())
        .send()
        .await
        .unwrap();
    for action in ["echo", "fail", "echo", "env"] {
        lambda
            .invoke()
            .function_name("echo")
            .payload(Blob::new(format!(r#"{{"action":"{action}"}}"#)))
            .send()
            .await
            .unwrap();
    }
    // The function was told where the engine is.
    let env = lambda
        .invoke()
        .function_name("echo")
        .payload(Blob::new(r#"{"action":"env"}"#))
        .send()
        .await
        .unwrap();
    let env: serde_json::Value = serde_json::from_slice(env.payload().unwrap().as_ref()).unwrap();
    assert_eq!(env["AWS_ENDPOINT_URL"], server.endpoint());

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let query = |id: &str, metric: &str, stat: &str| {
        MetricDataQuery::builder()
            .id(id)
            .metric_stat(
                MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace("AWS/Lambda")
                            .metric_name(metric)
                            .dimensions(
                                Dimension::builder()
                                    .name("FunctionName")
                                    .value("echo")
                                    .build(),
                            )
                            .build(),
                    )
                    .period(60)
                    .stat(stat)
                    .build(),
            )
            .build()
    };
    let out = cloudwatch
        .get_metric_data()
        .metric_data_queries(query("invocations", "Invocations", "Sum"))
        .metric_data_queries(query("errors", "Errors", "Sum"))
        .metric_data_queries(query("duration", "Duration", "Maximum"))
        .start_time(DateTime::from_millis(now - 600_000))
        .end_time(DateTime::from_millis(now + 60_000))
        .send()
        .await
        .unwrap();
    let total = |id: &str| -> f64 {
        out.metric_data_results()
            .iter()
            .find(|r| r.id() == Some(id))
            .map(|r| r.values().iter().sum())
            .unwrap_or(0.0)
    };
    assert_eq!(total("invocations"), 5.0);
    assert_eq!(total("errors"), 1.0);
    assert!(total("duration") > 0.0);
    server.shutdown().await.unwrap();
}
