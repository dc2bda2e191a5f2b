//! The server judged by independent clients: boto3 and the AWS CLI, from PyPI, and the AWS
//! SDK for JavaScript v3, from npm.
//!
//! `.ci/run` installs them into `<workspace>/.venv` (see tests/peers/requirements.txt) and
//! `<workspace>/tests/peers/node_modules` (tests/peers/package.json);
//! `STREAMWATCH_PYTHON` may point at another interpreter that has them. These tests fail,
//! rather than skip, when the clients are missing.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use kinesis_engine::{Engine, EngineConfig, ManualClock};
use testkit::{python, venv_bin, workspace};

async fn server() -> streamwatch_server::RunningServer {
    testkit::server_on(
        Engine::open(EngineConfig {
            transition_delay: Duration::from_millis(200),
            ..EngineConfig::default()
        })
        .unwrap(),
    )
    .await
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what} could not start ({e}); run .ci/run to install it"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_client() {
    let s = server().await;
    let script = workspace().join("tests/peers/boto3_kinesis.py");
    let endpoint = s.endpoint();
    let out = tokio::task::spawn_blocking(move || {
        run(
            Command::new(python()).arg(script).arg(endpoint),
            "boto3 script",
        )
    })
    .await
    .unwrap();
    assert!(out.contains("boto3 ok"));
}

/// boto3 writes CloudWatch Logs: groups, streams, PutLogEvents with an EMF document under the
/// `x-amzn-logs-format` header, retention, tags, paging, and the metrics read back.
#[tokio::test(flavor = "multi_thread")]
async fn boto3_logs_client() {
    let s = server().await;
    let script = workspace().join("tests/peers/boto3_logs.py");
    let endpoint = s.endpoint();
    let out = tokio::task::spawn_blocking(move || {
        run(
            Command::new(python()).arg(script).arg(endpoint),
            "boto3 logs script",
        )
    })
    .await
    .unwrap();
    assert!(out.contains("boto3 logs ok"));
    s.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_sqs_client() {
    let s = server().await;
    let script = workspace().join("tests/peers/boto3_sqs.py");
    let endpoint = s.endpoint();
    let out = tokio::task::spawn_blocking(move || {
        run(
            Command::new(python()).arg(script).arg(endpoint),
            "boto3 SQS script",
        )
    })
    .await
    .unwrap();
    assert!(out.contains("boto3 sqs ok"));
    s.shutdown().await.unwrap();
}

/// boto3 speaks SNS's query protocol: a topic, a queue subscription, and the envelope.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_sns_client() {
    let s = server().await;
    let script = workspace().join("tests/peers/boto3_sns.py");
    let endpoint = s.endpoint();
    let out = tokio::task::spawn_blocking(move || {
        run(
            Command::new(python()).arg(script).arg(endpoint),
            "boto3 SNS script",
        )
    })
    .await
    .unwrap();
    assert!(out.contains("boto3 sns ok"));
    s.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_lambda_client() {
    let s = server().await;
    let script = workspace().join("tests/peers/boto3_lambda.py");
    let binary = lambda_test_functions::example_binary("echo_function");
    let endpoint = s.endpoint();
    let out = tokio::task::spawn_blocking(move || {
        run(
            Command::new(python()).arg(script).arg(endpoint).arg(binary),
            "boto3 Lambda script",
        )
    })
    .await
    .unwrap();
    assert!(out.contains("boto3 lambda ok"));
    s.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_cloudwatch_client() {
    let s = server().await;
    let script = workspace().join("tests/peers/boto3_cloudwatch.py");
    let endpoint = s.endpoint();
    let out = tokio::task::spawn_blocking(move || {
        run(
            Command::new(python()).arg(script).arg(endpoint),
            "boto3 CloudWatch script",
        )
    })
    .await
    .unwrap();
    assert!(out.contains("boto3 cloudwatch ok"));
}

/// The alarm operations through boto3, in each protocol CloudWatch speaks.
#[tokio::test(flavor = "multi_thread")]
async fn boto3_cloudwatch_alarms_in_both_protocols() {
    let s = server().await;
    for protocol in ["smithy-rpc-v2-cbor", "json", "query"] {
        let script = workspace().join("tests/peers/boto3_cloudwatch_alarms.py");
        let endpoint = s.endpoint();
        let out = tokio::task::spawn_blocking(move || {
            run(
                Command::new(python())
                    .arg(script)
                    .arg(endpoint)
                    .arg(protocol),
                "boto3 CloudWatch alarms script",
            )
        })
        .await
        .unwrap();
        assert!(
            out.contains(&format!("boto3 cloudwatch alarms {protocol} ok")),
            "{out}"
        );
    }
}

/// The dashboard operations through boto3, in each protocol CloudWatch speaks.
#[tokio::test(flavor = "multi_thread")]
async fn boto3_cloudwatch_dashboards_in_every_protocol() {
    let s = server().await;
    for protocol in ["smithy-rpc-v2-cbor", "json", "query"] {
        let script = workspace().join("tests/peers/boto3_cloudwatch_dashboards.py");
        let endpoint = s.endpoint();
        let out = tokio::task::spawn_blocking(move || {
            run(
                Command::new(python())
                    .arg(script)
                    .arg(endpoint)
                    .arg(protocol),
                "boto3 CloudWatch dashboards script",
            )
        })
        .await
        .unwrap();
        assert!(
            out.contains(&format!("boto3 cloudwatch dashboards {protocol} ok")),
            "{out}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_cloudwatch_query_protocol() {
    let s = server().await;
    let script = workspace().join("tests/peers/boto3_cloudwatch_query.py");
    let endpoint = s.endpoint();
    let out = tokio::task::spawn_blocking(move || {
        run(
            Command::new(python()).arg(script).arg(endpoint),
            "boto3 CloudWatch query script",
        )
    })
    .await
    .unwrap();
    assert!(out.contains("boto3 cloudwatch query ok"));
}

/// SQS in the query protocol (issue 20), as SDKs from before SQS moved to JSON send it:
/// botocore 1.34.89's own serializer and XML parser, with flattened attributes, tags,
/// message attributes and batches, and the query error codes. The JSON SDK then reads what
/// the query client sent.
#[tokio::test(flavor = "multi_thread")]
async fn botocore_sqs_query_protocol() {
    let s = server().await;
    let script = workspace().join("tests/peers/botocore_sqs_query.py");
    let botocore = workspace().join(".venv/botocore-sqs-query");
    let endpoint = s.endpoint();
    let out = tokio::task::spawn_blocking(move || {
        run(
            Command::new(python())
                .arg(script)
                .arg(endpoint)
                .arg(botocore),
            "botocore SQS query script",
        )
    })
    .await
    .unwrap();
    assert!(out.contains("botocore sqs query ok"), "{out}");
    let sqs = testkit::sqs_client(&s.endpoint());
    let url = sqs
        .get_queue_url()
        .queue_name("legacy")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let got = sqs.receive_message().queue_url(&url).send().await.unwrap();
    let bodies: Vec<_> = got.messages().iter().filter_map(|m| m.body()).collect();
    assert_eq!(bodies, ["for the JSON client"]);
    s.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_cli() {
    let s = server().await;
    let script = workspace().join("tests/peers/aws_cli_kinesis.sh");
    let endpoint = s.endpoint();
    let dir = tempfile::tempdir().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        run(
            Command::new("bash")
                .arg(script)
                .arg(endpoint)
                .arg(venv_bin("aws"))
                .current_dir(dir.path()),
            "AWS CLI script",
        )
    })
    .await
    .unwrap();
    assert!(out.contains("aws cli ok"));
}

/// Runs `cmd`, moving `clock` five minutes on each time it prints `expire` (and then telling
/// it so on stdin); returns its output.
fn run_on_clock(cmd: &mut Command, what: &str, clock: &ManualClock) -> String {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what} could not start ({e}); run .ci/run to install it"));
    let mut stdin = child.stdin.take().unwrap();
    let mut out = String::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if line == "expire" {
            clock.advance(300_000);
            writeln!(stdin, "moved").unwrap();
        }
        out.push_str(&line);
        out.push('\n');
    }
    let status = child.wait_with_output().unwrap();
    assert!(
        status.status.success(),
        "{what} failed\nstdout:\n{out}\nstderr:\n{}",
        String::from_utf8_lossy(&status.stderr)
    );
    out
}

async fn clocked_server() -> (streamwatch_server::RunningServer, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(testkit::now_ms()));
    let engine = Engine::open_with_clock(EngineConfig::default(), clock.clone()).unwrap();
    (testkit::server_on(engine).await, clock)
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_subscribe_to_shard() {
    let (s, clock) = clocked_server().await;
    let script = workspace().join("tests/peers/boto3_subscribe.py");
    let endpoint = s.endpoint();
    let out = tokio::task::spawn_blocking(move || {
        run_on_clock(
            Command::new(python()).arg(script).arg(endpoint),
            "boto3 subscribe script",
            &clock,
        )
    })
    .await
    .unwrap();
    assert!(out.contains("boto3 subscribe ok"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn javascript_sdk_subscribe_to_shard_over_http2() {
    let (s, clock) = clocked_server().await;
    let peers = workspace().join("tests/peers");
    let endpoint = s.endpoint();
    let out = tokio::task::spawn_blocking(move || {
        run_on_clock(
            Command::new("node")
                .current_dir(&peers)
                .arg("js_subscribe.mjs")
                .arg(endpoint),
            "JavaScript SDK script",
            &clock,
        )
    })
    .await
    .unwrap();
    assert!(out.contains("js subscribe ok"), "{out}");
}

/// FIFO queues as boto3 sees them (issue 20): errors, per-group order, groups held while in
/// flight, content-based and explicit deduplication, and the five-minute window on the
/// engine's clock.
#[tokio::test(flavor = "multi_thread")]
async fn boto3_sqs_fifo_ordering_and_deduplication() {
    let (s, clock) = clocked_server().await;
    let script = workspace().join("tests/peers/boto3_sqs_fifo.py");
    let endpoint = s.endpoint();
    let out = tokio::task::spawn_blocking(move || {
        run_on_clock(
            Command::new(python()).arg(script).arg(endpoint),
            "boto3 SQS FIFO script",
            &clock,
        )
    })
    .await
    .unwrap();
    assert!(out.contains("boto3 sqs fifo ok"), "{out}");
}
