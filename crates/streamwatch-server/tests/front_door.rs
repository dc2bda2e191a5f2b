//! The front door, judged from outside: unsigned calls through the AWS SDK for Rust (with its
//! signature stripped on the way out) and boto3 (`UNSIGNED`), what a browser sends for a
//! cross-origin simple request, and requests naming a foreign host.

use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_lambda::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_lambda::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_lambda::error::{BoxError, ProvideErrorMetadata};
use base64::Engine as _;
use streamwatch_server::{FrontDoorConfig, RunningServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Removes the SigV4 signature after the SDK has signed: the request leaves unsigned.
#[derive(Debug)]
struct StripSignature;

impl Intercept for StripSignature {
    fn name(&self) -> &'static str {
        "StripSignature"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let headers = context.request_mut().headers_mut();
        headers.remove("authorization");
        headers.remove("x-amz-security-token");
        Ok(())
    }
}

/// An SDK client of `$sdk` for `$endpoint`; `unsigned` strips its signature.
macro_rules! client {
    ($sdk:ident, $endpoint:expr, $unsigned:expr) => {{
        let mut config = $sdk::Config::builder()
            .behavior_version($sdk::config::BehaviorVersion::latest())
            .region($sdk::config::Region::new("us-east-1"))
            .credentials_provider($sdk::config::Credentials::new("a", "b", None, None, "t"))
            .endpoint_url($endpoint);
        if $unsigned {
            config = config.interceptor(StripSignature);
        }
        $sdk::Client::from_conf(config.build())
    }};
}

async fn server_with(front: FrontDoorConfig) -> RunningServer {
    let engine = kinesis_engine::Engine::open(kinesis_engine::EngineConfig {
        transition_delay: Duration::ZERO,
        ..kinesis_engine::EngineConfig::default()
    })
    .unwrap();
    streamwatch_server::start_with_options(
        "127.0.0.1:0".parse().unwrap(),
        engine,
        std::sync::Arc::new(metric_store::Store::new()),
        front,
    )
    .await
    .unwrap()
}

async fn server() -> RunningServer {
    server_with(FrontDoorConfig::default()).await
}

/// The status of an SDK error's raw response, if it got one.
fn status_of<E>(
    err: &aws_sdk_lambda::error::SdkError<E, aws_sdk_lambda::config::http::HttpResponse>,
) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

#[tokio::test]
async fn unsigned_rust_sdk_calls_are_refused_with_each_services_code() {
    let server = server().await;
    let endpoint = server.endpoint();

    let lambda = client!(aws_sdk_lambda, &endpoint, true);
    let err = lambda.list_functions().send().await.unwrap_err();
    assert_eq!(status_of(&err), Some(403));
    assert_eq!(
        err.into_service_error().code(),
        Some("MissingAuthenticationTokenException")
    );

    let sqs = client!(aws_sdk_sqs, &endpoint, true);
    let err = sqs.list_queues().send().await.unwrap_err();
    assert_eq!(status_of(&err), Some(403));
    assert_eq!(
        err.into_service_error().code(),
        Some("MissingAuthenticationToken")
    );

    let logs = client!(aws_sdk_cloudwatchlogs, &endpoint, true);
    let err = logs.describe_log_groups().send().await.unwrap_err();
    assert_eq!(status_of(&err), Some(400));
    assert_eq!(
        err.into_service_error().code(),
        Some("MissingAuthenticationTokenException")
    );

    // The same calls signed go through: the refusal is the missing signature alone.
    let lambda = client!(aws_sdk_lambda, &endpoint, false);
    lambda.list_functions().send().await.unwrap();
    let sqs = client!(aws_sdk_sqs, &endpoint, false);
    sqs.list_queues().send().await.unwrap();
    let logs = client!(aws_sdk_cloudwatchlogs, &endpoint, false);
    logs.describe_log_groups().send().await.unwrap();
    server.shutdown().await.unwrap();
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    std::env::var_os("STREAMWATCH_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".venv/bin/python"))
}

const BOTO3_UNSIGNED: &str = r#"
import json, sys
import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint = sys.argv[1]
out = {}
calls = {
    "lambda": lambda c: c.list_functions(),
    "sqs": lambda c: c.list_queues(),
    "logs": lambda c: c.describe_log_groups(),
}
for service, call in calls.items():
    client = boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                          config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
    try:
        call(client)
        out[service] = ["accepted", 200]
    except ClientError as e:
        out[service] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
print(json.dumps(out))
"#;

#[tokio::test]
async fn unsigned_boto3_calls_are_refused_with_each_services_code() {
    let server = server().await;
    let endpoint = server.endpoint();
    let out = tokio::process::Command::new(python())
        .args(["-c", BOTO3_UNSIGNED, &endpoint])
        .output()
        .await
        .expect("python with boto3 (scripts/test.sh installs it into .venv)");
    assert!(
        out.status.success(),
        "boto3 script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        got["lambda"],
        serde_json::json!(["MissingAuthenticationTokenException", 403])
    );
    assert_eq!(
        got["sqs"],
        serde_json::json!(["MissingAuthenticationToken", 403])
    );
    assert_eq!(
        got["logs"],
        serde_json::json!(["MissingAuthenticationTokenException", 400])
    );
    server.shutdown().await.unwrap();
}

/// Sends one HTTP/1.1 request and returns the status and body.
async fn raw(server: &RunningServer, request: String, body: &[u8]) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// What `fetch(url, {method: "POST", mode: "no-cors", body})` from a page on another origin
/// puts on the wire: no Authorization, a CORS-safelisted content type, the page's Origin.
fn browser_request(host: &str, path: &str, content_type: &str, body: &[u8]) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: http://evil.example\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
}

fn create_function_body(name: &str) -> Vec<u8> {
    let zip = function_zip::bootstrap_zip(b"#!/bin/sh\ntouch /tmp/pwned\n").unwrap();
    serde_json::json!({
        "FunctionName": name,
        "Runtime": "provided.al2023",
        "Role": "arn:aws:iam::000000000000:role/r",
        "Handler": "bootstrap",
        "Code": {"ZipFile": base64::engine::general_purpose::STANDARD.encode(zip)},
    })
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn a_browsers_cross_origin_simple_requests_are_refused_by_every_service() {
    let server = server().await;
    let host = server.addr().to_string();

    // Lambda: create, then invoke. Both refused, and no function exists afterwards.
    for content_type in [
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
    ] {
        let body = create_function_body("pwn");
        let (status, text) = raw(
            &server,
            browser_request(&host, "/2015-03-31/functions", content_type, &body),
            &body,
        )
        .await;
        assert_eq!(status, 403, "{text}");
        assert!(text.contains("Missing Authentication Token"), "{text}");
    }
    let (status, _) = raw(
        &server,
        browser_request(
            &host,
            "/2015-03-31/functions/pwn/invocations",
            "text/plain",
            b"{}",
        ),
        b"{}",
    )
    .await;
    assert_eq!(status, 403);
    let lambda = client!(aws_sdk_lambda, &server.endpoint(), false);
    let listed = lambda.list_functions().send().await.unwrap();
    assert!(listed.functions().is_empty());

    // Kinesis: a text/plain CreateStream body is not read as JSON.
    let body = br#"{"StreamName":"pwn","ShardCount":1}"#;
    let (status, _) = raw(
        &server,
        browser_request(&host, "/", "text/plain", body),
        body,
    )
    .await;
    assert_eq!(status, 404);
    // CloudWatch's query protocol takes form bodies, but not unsigned ones.
    let body = b"Action=PutMetricData&Version=2010-08-01&Namespace=Pwn&MetricData.member.1.MetricName=M&MetricData.member.1.Value=1";
    let (status, text) = raw(
        &server,
        browser_request(&host, "/", "application/x-www-form-urlencoded", body),
        body,
    )
    .await;
    assert!(status == 403 || status == 400, "{status} {text}");
    assert!(text.contains("MissingAuthenticationToken"), "{text}");
    // A browser cannot set X-Amz-Target without a preflight, so SQS and Logs are out of its
    // reach; a multipart body to the root goes to Kinesis, which refuses it too.
    let (status, _) = raw(
        &server,
        browser_request(&host, "/", "multipart/form-data; boundary=x", b"--x--"),
        b"--x--",
    )
    .await;
    assert_eq!(status, 404);

    let kinesis = client!(aws_sdk_kinesis, &server.endpoint(), false);
    let streams = kinesis.list_streams().send().await.unwrap();
    assert!(streams.stream_names().is_empty());
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_signed_request_with_the_right_type_still_creates_the_function() {
    // The control for the test above: the same body, signed and typed as the SDKs send it.
    let server = server().await;
    let host = server.addr().to_string();
    let body = create_function_body("allowed");
    let request = format!(
        "POST /2015-03-31/functions HTTP/1.1\r\nHost: {host}\r\nAuthorization: AWS4-HMAC-SHA256 \
         Credential=a/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let (status, text) = raw(&server, request, &body).await;
    assert_eq!(status, 201, "{text}");
    server.shutdown().await.unwrap();
}

fn signed_list_streams(host: &str) -> String {
    format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nAuthorization: AWS4-HMAC-SHA256 \
         Credential=a/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0\r\n\
         X-Amz-Target: Kinesis_20131202.ListStreams\r\n\
         Content-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n"
    )
}

#[tokio::test]
async fn requests_naming_a_foreign_host_are_refused() {
    let server = server().await;
    let port = server.addr().port();
    for host in [
        format!("rebind.attacker.example:{port}"),
        format!("192.0.2.7:{port}"),
        "localhost.attacker.example".to_owned(),
    ] {
        let (status, text) = raw(&server, signed_list_streams(&host), b"{}").await;
        assert_eq!(status, 403, "{host}: {text}");
        assert!(text.contains("AccessDeniedException"), "{text}");
        assert!(text.contains("--allowed-host"), "{text}");
    }
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ] {
        let (status, text) = raw(&server, signed_list_streams(&host), b"{}").await;
        assert_eq!(status, 200, "{host}: {text}");
    }
    // Lambda behind a foreign host: refused before its signature is even looked at.
    let body = create_function_body("foreign");
    let request = format!(
        "POST /2015-03-31/functions HTTP/1.1\r\nHost: rebind.attacker.example:{port}\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=a/20260101/us-east-1/lambda/aws4_request, \
         SignedHeaders=host, Signature=0\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let (status, _) = raw(&server, request, &body).await;
    assert_eq!(status, 403);
    let lambda = client!(aws_sdk_lambda, &server.endpoint(), false);
    assert!(
        lambda
            .list_functions()
            .send()
            .await
            .unwrap()
            .functions()
            .is_empty()
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn allowed_hosts_are_answered() {
    let server = server_with(FrontDoorConfig {
        allowed_hosts: vec!["host.docker.internal".to_owned()],
        access_log: true,
        ..FrontDoorConfig::default()
    })
    .await;
    let port = server.addr().port();
    let (status, text) = raw(
        &server,
        signed_list_streams(&format!("host.docker.internal:{port}")),
        b"{}",
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let (status, _) = raw(
        &server,
        signed_list_streams(&format!("other.internal:{port}")),
        b"{}",
    )
    .await;
    assert_eq!(status, 403);
    server.shutdown().await.unwrap();
}

/// The whole answer, headers included, to a request refused for its host.
async fn raw_text(server: &RunningServer) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    stream
        .write_all(signed_list_streams("evil.example").as_bytes())
        .await
        .unwrap();
    stream.write_all(b"{}").await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    (0, String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let server = server().await;
    let sqs = client!(aws_sdk_sqs, &server.endpoint(), true);
    let err = sqs.list_queues().send().await.unwrap_err();
    let raw = err.raw_response().unwrap();
    assert!(raw.headers().get("x-amzn-requestid").is_some());
    let (_, text) = raw_text(&server).await;
    assert!(
        text.to_ascii_lowercase().contains("x-amzn-requestid: "),
        "{text}"
    );
    server.shutdown().await.unwrap();
}

#[path = "front_door/metrics_page.rs"]
mod metrics_page;
