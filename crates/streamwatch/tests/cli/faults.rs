//! `serve --fault`, `--faults FILE` and `--fault-seed` as a user gives them: the rules are in
//! force from the first call, `/_streamwatch/faults` shows them, `serve --help` documents the
//! syntax, a mistake stops `serve` with the reason, and with `--auth verify` the endpoint
//! refuses unsigned requests.

use std::io::{Read, Write};
use std::process::Command;
use std::time::Duration;

use super::{free_port, interrupt, serve, serve_with_env, wait_exit};

/// A raw HTTP/1.1 GET of `path` on `endpoint`; the status and body.
fn get(endpoint: &str, path: &str) -> (u16, String) {
    let addr = endpoint.trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("read");
    let status = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn flags_and_a_file_set_the_rules_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("faults.toml");
    std::fs::write(
        &file,
        "seed = 5\nrules = [\n  { service = \"kinesis\", action = \"ListStreams\", error = \"InternalFailure\" },\n]\n",
    )
    .unwrap();
    let port = free_port().to_string();
    let (mut child, endpoint) = serve(&[
        "--port",
        &port,
        "--faults",
        file.to_str().unwrap(),
        "--fault",
        "kinesis:DescribeLimits:error=ServiceUnavailable",
        "--fault-seed",
        "9",
    ]);
    let kinesis = testkit::kinesis_client_without_retries(&endpoint);
    let e = kinesis
        .list_streams()
        .send()
        .await
        .expect_err("the file's rule");
    assert_eq!(testkit::code(&e), "InternalFailure");
    let e = kinesis
        .describe_limits()
        .send()
        .await
        .expect_err("the flag's rule");
    assert_eq!(testkit::code(&e), "ServiceUnavailable");
    let (status, body) = get(&endpoint, "/_streamwatch/faults");
    assert_eq!(status, 200);
    let state: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(state["seed"], 9, "--fault-seed wins over the file's seed");
    assert_eq!(state["rules"].as_array().map(Vec::len), Some(2));
    interrupt(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
}

#[test]
fn a_bad_rule_stops_serve_with_the_reason_and_help_documents_the_syntax() {
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args([
            "serve",
            "--port",
            "0",
            "--fault",
            "sqs:error=ProvisionedThroughputExceededException",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sqs does not answer"), "{err}");
    let help = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for text in [
        "--fault <RULE>",
        "--faults <FILE>",
        "--fault-seed <N>",
        "record-failure=CODE",
        "storm=30s",
    ] {
        assert!(help.contains(text), "{text} missing from serve --help");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn with_auth_verify_the_endpoint_needs_a_signature() {
    let port = free_port().to_string();
    let (mut child, endpoint) = serve_with_env(
        &["--port", &port, "--auth", "verify"],
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDFAULTS"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
        ],
    );
    let (status, body) = get(&endpoint, "/_streamwatch/faults");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("must be signed"), "{body}");
    interrupt(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
}
