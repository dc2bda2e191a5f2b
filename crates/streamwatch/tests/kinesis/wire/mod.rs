//! The Kinesis front end seen byte by byte: raw HTTP/1.1 (and HTTP/2) requests against a
//! server started in-process on port 0, checking AWS's error shapes and texts, the size
//! limits, the CBOR encoding the Java SDK v2 uses, and that the server keeps answering after
//! every bad request.
//!
//! Every response that goes through [`send`] is checked for an `x-amzn-requestid` header.

mod cbor;
mod client;
mod conformance_cors;
mod conformance_errors;
mod conformance_merge;
mod conformance_messages;
mod conformance_resharding;
mod conformance_resources;
mod conformance_tags;
mod errors;
mod http2;
mod limits;
mod random;

use std::net::SocketAddr;
use std::time::Duration;

use client::{Conn, Resp};
use kinesis_engine::Engine;
use serde_json::{Value as J, json};
use streamwatch_server::RunningServer;

pub const JSON: &str = "application/x-amz-json-1.1";
pub const CBOR: &str = "application/x-amz-cbor-1.1";
/// Any signature is accepted; only a missing one is an error.
pub const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDTEST/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";

/// A server over a fresh in-memory engine, as the brief for these tests fixes it.
pub async fn start() -> RunningServer {
    testkit::server_on(Engine::open(testkit::engine_config()).expect("engine opens")).await
}

pub fn target(action: &str) -> String {
    format!("Kinesis_20131202.{action}")
}

/// Sends one request on a new connection and checks it carries a request id.
pub async fn send(addr: SocketAddr, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let mut conn = Conn::open(addr).await.expect("connect");
    let resp = conn.post(headers, body).await.expect("an HTTP response");
    assert_request_id(&resp);
    resp
}

/// A signed request for `action` with a body in `content_type`.
pub async fn call_as(addr: SocketAddr, content_type: &str, action: &str, body: &[u8]) -> Resp {
    let target = target(action);
    send(
        addr,
        &[
            ("X-Amz-Target", &target),
            ("Content-Type", content_type),
            ("Authorization", AUTH),
        ],
        body,
    )
    .await
}

/// A signed JSON request for `action`.
pub async fn call(addr: SocketAddr, action: &str, body: &J) -> Resp {
    call_as(addr, JSON, action, body.to_string().as_bytes()).await
}

/// Runs a Python script (boto3 is in the workspace's interpreter) with `endpoint` as its
/// argument, and returns what it printed; a failing script fails the test with its stderr.
pub async fn python_lines(script: &'static str, endpoint: &str) -> String {
    let endpoint = endpoint.to_string();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(testkit::python())
            .args(["-c", script, &endpoint])
            .output()
            .expect("python runs")
    })
    .await
    .expect("joins");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts a request id is present and looks like the UUID the server makes.
pub fn assert_request_id(resp: &Resp) {
    let id = resp
        .header("x-amzn-requestid")
        .unwrap_or_else(|| panic!("no x-amzn-requestid on {resp:?}"));
    let ok = id.len() == 36
        && id.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    assert!(ok, "request id {id:?} is not a UUID");
}

/// Asserts a JSON error document `{"__type": code[, "message": message]}` with `status`
/// (`Message` for a SerializationException).
pub fn assert_error(resp: &Resp, status: u16, code: &str, message: Option<&str>) {
    let body = String::from_utf8_lossy(&resp.body);
    assert_eq!(resp.status, status, "status of {body}");
    assert_eq!(
        resp.header("content-type"),
        Some(JSON),
        "content type of {body}"
    );
    let doc = resp.json();
    let map = doc
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {body}"));
    assert_eq!(map.get("__type"), Some(&json!(code)), "code in {body}");
    // AWS writes a SerializationException's text as `Message`, every other error's as
    // `message`.
    let member = if code == "SerializationException" {
        "Message"
    } else {
        "message"
    };
    match message {
        Some(m) => assert_eq!(map.get(member), Some(&json!(m)), "{member} in {body}"),
        None => assert!(!map.contains_key(member), "unexpected {member} in {body}"),
    }
    let expected_keys = if message.is_some() { 2 } else { 1 };
    assert_eq!(map.len(), expected_keys, "members of {body}");
}

/// A 400 SerializationException with Coral's text.
pub fn assert_serialization(resp: &Resp, message: &str) {
    assert_error(resp, 400, "SerializationException", Some(message));
}

/// A 400 ValidationException with "N validation error(s) detected: ..." text.
pub fn assert_validation(resp: &Resp, message: &str) {
    assert_error(resp, 400, "ValidationException", Some(message));
}

/// Proves the server still answers: a valid ListStreams on a fresh connection.
pub async fn assert_serving(addr: SocketAddr) {
    let resp = call(addr, "ListStreams", &json!({})).await;
    assert_eq!(resp.status, 200, "server stopped answering: {resp:?}");
    let doc = resp.json();
    assert!(
        doc["StreamNames"].is_array(),
        "bad ListStreams answer {doc}"
    );
    assert!(
        doc["HasMoreStreams"].is_boolean(),
        "bad ListStreams answer {doc}"
    );
}

/// Creates a stream over JSON and checks it worked.
pub async fn create_stream(addr: SocketAddr, name: &str, shards: u32) {
    let resp = call(
        addr,
        "CreateStream",
        &json!({"StreamName": name, "ShardCount": shards}),
    )
    .await;
    assert_eq!(resp.status, 200, "CreateStream {name}: {resp:?}");
}
