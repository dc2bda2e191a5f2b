//! Issue 19 item 6, on the wire: CORS preflights and headers in AWS's shape for the origins
//! the engine answers (its own, localhost pages by default, `--cors-origin`'s, every one
//! with `--auth verify`), and nothing for the rest, whose requests are not run. The
//! console, `/metrics` and the fault endpoint take no part.

use std::sync::Arc;

use serde_json::json;
use streamwatch_server::{Credentials, FrontDoorConfig};

use super::*;

/// A server with the front door set up by `front`.
async fn start_with(front: FrontDoorConfig) -> RunningServer {
    streamwatch_server::start_with_options(
        "127.0.0.1:0".parse().unwrap(),
        Engine::open(testkit::engine_config()).unwrap(),
        Arc::new(metric_store::Store::new()),
        front,
    )
    .await
    .unwrap()
}

/// One raw request (`head` without Host) on a fresh connection.
async fn raw(addr: SocketAddr, head: &str, body: &str) -> client::Resp {
    let mut conn = client::Conn::open(addr).await.unwrap();
    conn.raw(
        format!(
            "{head}Host: {addr}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap()
}

/// A browser's preflight for a signed JSON POST to `path`.
async fn preflight(addr: SocketAddr, path: &str, origin: &str) -> client::Resp {
    raw(
        addr,
        &format!(
            "OPTIONS {path} HTTP/1.1\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization,content-type,x-amz-date,x-amz-target,x-amz-user-agent\r\n"
        ),
        "",
    )
    .await
}

/// A signed Kinesis call from a page of `origin`.
async fn kinesis_from(addr: SocketAddr, origin: &str, action: &str, body: &J) -> client::Resp {
    raw(
        addr,
        &format!(
            "POST / HTTP/1.1\r\nOrigin: {origin}\r\nX-Amz-Target: Kinesis_20131202.{action}\r\nContent-Type: {JSON}\r\nAuthorization: {AUTH}\r\n"
        ),
        &body.to_string(),
    )
    .await
}

fn cors_headers(resp: &client::Resp) -> Vec<&str> {
    resp.headers
        .iter()
        .filter(|(k, _)| k.to_ascii_lowercase().starts_with("access-control-"))
        .map(|(k, _)| k.as_str())
        .collect()
}

/// AWS's answer to an allowed preflight, with `allow_origin`.
fn assert_preflight_allowed(resp: &client::Resp, allow_origin: &str, what: &str) {
    assert_eq!(resp.status, 200, "{what}: {resp:?}");
    assert_eq!(
        resp.header("access-control-allow-origin"),
        Some(allow_origin),
        "{what}"
    );
    assert_eq!(resp.header("access-control-allow-methods"), Some("POST"));
    assert_eq!(
        resp.header("access-control-allow-headers"),
        Some("authorization,content-type,x-amz-date,x-amz-target,x-amz-user-agent")
    );
    assert_eq!(resp.header("access-control-max-age"), Some("172800"));
    assert!(resp.body.is_empty(), "{what}");
    assert_eq!(resp.header("content-type"), None, "{what}");
    assert_eq!(resp.header("x-amz-id-2"), None, "{what}");
    assert_request_id(resp);
}

fn assert_refused(resp: &client::Resp, what: &str) {
    assert_eq!(resp.status, 403, "{what}: {resp:?}");
    assert!(cors_headers(resp).is_empty(), "{what}: {resp:?}");
}

const EXPOSED: &str = "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date,x-amzn-query-error,ETag,x-amz-function-error,x-amz-log-result,x-amz-executed-version";

#[tokio::test(flavor = "multi_thread")]
async fn localhost_pages_are_answered_by_default_and_others_are_not() {
    let server = start().await;
    let addr = server.addr();
    let own = format!("http://{addr}");
    for origin in [
        "http://localhost:3000",
        "http://127.0.0.1:5173",
        "http://[::1]:8080",
        own.as_str(),
    ] {
        for path in ["/", "/2015-03-31/functions/f/invocations"] {
            let resp = preflight(addr, path, origin).await;
            assert_preflight_allowed(&resp, origin, &format!("{origin} {path}"));
            assert_eq!(resp.header("vary"), Some("Origin"));
        }
        let resp = kinesis_from(addr, origin, "ListStreams", &json!({})).await;
        assert_eq!(resp.status, 200, "{origin}");
        assert_eq!(resp.header("access-control-allow-origin"), Some(origin));
        assert_eq!(resp.header("access-control-expose-headers"), Some(EXPOSED));
        // Errors carry them too, so the page can read what went wrong.
        let resp = kinesis_from(addr, origin, "DescribeStream", &json!({"StreamName": "no"})).await;
        assert_eq!(resp.status, 400);
        assert_eq!(resp.header("access-control-allow-origin"), Some(origin));
    }
    for origin in [
        "https://evil.example",
        "http://127.0.0.2:8000",
        "http://localhost.evil.example",
        "null",
    ] {
        let resp = preflight(addr, "/", origin).await;
        assert_refused(&resp, origin);
        // A request sent without asking first is not run.
        let resp = kinesis_from(
            addr,
            origin,
            "CreateStream",
            &json!({"StreamName": "from-evil", "ShardCount": 1}),
        )
        .await;
        assert_refused(&resp, origin);
        assert_eq!(resp.json()["__type"], "AccessDeniedException");
        assert!(
            resp.json()["message"]
                .as_str()
                .unwrap()
                .contains("--cors-origin"),
            "{resp:?}"
        );
        assert_request_id(&resp);
    }
    let list = call(addr, "ListStreams", &json!({})).await;
    assert_eq!(list.json()["StreamNames"], json!([]));
    // Requests without Origin (SDKs, curl) are untouched.
    let resp = call(addr, "ListStreams", &json!({})).await;
    assert!(cors_headers(&resp).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_metrics_and_faults_take_no_part() {
    let server = start().await;
    let addr = server.addr();
    let origin = "http://localhost:3000";
    for path in ["/console/api/overview", "/metrics", "/_streamwatch/faults"] {
        let resp = preflight(addr, path, origin).await;
        assert!(cors_headers(&resp).is_empty(), "{path}: {resp:?}");
        assert_ne!(resp.status, 200, "{path}");
        let resp = raw(
            addr,
            &format!("GET {path} HTTP/1.1\r\nOrigin: {origin}\r\n"),
            "",
        )
        .await;
        assert_eq!(resp.status, 403, "{path}");
        assert!(cors_headers(&resp).is_empty(), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_origin_replaces_the_default() {
    let server = start_with(FrontDoorConfig {
        cors_origins: Some(vec!["https://app.example".to_owned()]),
        ..FrontDoorConfig::default()
    })
    .await;
    let addr = server.addr();
    let resp = preflight(addr, "/", "https://app.example").await;
    assert_preflight_allowed(&resp, "https://app.example", "listed");
    assert_refused(
        &preflight(addr, "/", "http://localhost:3000").await,
        "localhost",
    );
    let resp = kinesis_from(addr, "http://localhost:3000", "ListStreams", &json!({})).await;
    assert_refused(&resp, "localhost call");
    // `none`: only the engine's own page.
    let server = start_with(FrontDoorConfig {
        cors_origins: Some(vec!["none".to_owned()]),
        ..FrontDoorConfig::default()
    })
    .await;
    let addr = server.addr();
    assert_refused(&preflight(addr, "/", "http://localhost:3000").await, "none");
    let own = format!("http://{addr}");
    assert_preflight_allowed(&preflight(addr, "/", &own).await, &own, "own");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_signature_verification_every_origin_gets_aws_star() {
    let server = start_with(FrontDoorConfig {
        auth: Some(Arc::new(Credentials::parse("AKIDTEST secret").unwrap())),
        ..FrontDoorConfig::default()
    })
    .await;
    let addr = server.addr();
    let resp = preflight(addr, "/", "https://evil.example").await;
    assert_preflight_allowed(&resp, "*", "verify");
    assert_eq!(resp.header("vary"), None);
    // The call runs into the signature check, as on AWS, and the page can read the error.
    let resp = kinesis_from(addr, "https://evil.example", "ListStreams", &json!({})).await;
    assert_eq!(resp.status, 400, "{resp:?}");
    assert_eq!(resp.header("access-control-allow-origin"), Some("*"));
    assert_eq!(resp.header("access-control-expose-headers"), Some(EXPOSED));
}
