//! The dashboards API judged by aws-sdk-cloudwatch (RPC v2 CBOR): PutDashboard with valid and
//! invalid bodies and names, GetDashboard, ListDashboards by prefix and across pages,
//! DeleteDashboards, kept across a restart with a data directory, and refused unsigned.

use std::io::{Read, Write};
use std::net::TcpStream;

use aws_sdk_cloudwatch::operation::put_dashboard::PutDashboardError;
use testkit::{Stack, code, message};

const BODY: &str = r##"{"widgets":[{"type":"metric","x":0,"y":0,"width":12,"height":6,"properties":{"metrics":[["AWS/Kinesis","IncomingRecords","StreamName","orders"]],"region":"us-east-1","stat":"Sum"}},{"type":"text","x":12,"y":0,"width":6,"height":3,"properties":{"markdown":"# orders"}}]}"##;

async fn put(stack: &Stack, name: &str, body: &str) {
    let out = stack
        .cloudwatch
        .put_dashboard()
        .dashboard_name(name)
        .dashboard_body(body)
        .send()
        .await
        .expect("put dashboard");
    assert!(out.dashboard_validation_messages().is_empty(), "{out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn put_get_list_delete() {
    let stack = Stack::start().await;
    put(&stack, "orders-pipeline", BODY).await;
    let got = stack
        .cloudwatch
        .get_dashboard()
        .dashboard_name("orders-pipeline")
        .send()
        .await
        .expect("get");
    assert_eq!(got.dashboard_body(), Some(BODY));
    assert_eq!(got.dashboard_name(), Some("orders-pipeline"));
    assert_eq!(
        got.dashboard_arn(),
        Some("arn:aws:cloudwatch::000000000000:dashboard/orders-pipeline")
    );

    let listed = stack
        .cloudwatch
        .list_dashboards()
        .send()
        .await
        .expect("list");
    let entries = listed.dashboard_entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].dashboard_name(), Some("orders-pipeline"));
    assert_eq!(entries[0].size(), Some(BODY.len() as i64));
    let modified = entries[0].last_modified().expect("LastModified").secs();
    let now = (testkit::now_ms() / 1000) as i64;
    assert!((now - modified).abs() < 60, "{modified} vs {now}");

    // Replacing keeps one dashboard with the new body.
    let smaller = r#"{"widgets":[]}"#;
    put(&stack, "orders-pipeline", smaller).await;
    let listed = stack
        .cloudwatch
        .list_dashboards()
        .send()
        .await
        .expect("list");
    assert_eq!(listed.dashboard_entries().len(), 1);
    assert_eq!(
        listed.dashboard_entries()[0].size(),
        Some(smaller.len() as i64)
    );

    stack
        .cloudwatch
        .delete_dashboards()
        .dashboard_names("orders-pipeline")
        .send()
        .await
        .expect("delete");
    let err = stack
        .cloudwatch
        .get_dashboard()
        .dashboard_name("orders-pipeline")
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(code(&err), "ResourceNotFound");
    assert!(err.into_service_error().is_dashboard_not_found_error());
    let err = stack
        .cloudwatch
        .delete_dashboards()
        .dashboard_names("never-was")
        .send()
        .await
        .expect_err("missing");
    assert_eq!(code(&err), "ResourceNotFound");
    assert_eq!(
        message(&err),
        "The specified dashboard does not exist. [never-was]"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_bodies_and_names_are_refused_with_awss_codes() {
    let stack = Stack::start().await;
    let bad = r#"{"widgets":[{"type":"metric","x":0,"y":0,"width":30,"height":6,"properties":{"metrics":["AWS/Kinesis"],"region":"us-east-1"}},{"type":"text","properties":{}}]}"#;
    let err = stack
        .cloudwatch
        .put_dashboard()
        .dashboard_name("bad")
        .dashboard_body(bad)
        .send()
        .await
        .expect_err("invalid body");
    assert_eq!(code(&err), "InvalidParameterInput");
    assert!(
        message(&err).starts_with("The dashboard body is invalid, there are 4 validation errors:"),
        "{}",
        message(&err)
    );
    let PutDashboardError::DashboardInvalidInputError(e) = err.into_service_error() else {
        panic!("not DashboardInvalidInputError");
    };
    let got: Vec<(&str, &str)> = e
        .dashboard_validation_messages()
        .iter()
        .map(|m| (m.data_path().unwrap_or(""), m.message().unwrap_or("")))
        .collect();
    assert_eq!(
        got,
        vec![
            ("/widgets/0/width", "Should be <= 24"),
            ("/widgets/0/properties/metrics/0", "Should be array"),
            (
                "/widgets/0/properties/metrics/0",
                "Field \"metrics\" has to be an array of array of strings, with an optional metricRenderer object as last element"
            ),
            (
                "/widgets/1/properties",
                "Should have required property 'markdown'"
            ),
        ]
    );
    let err = stack
        .cloudwatch
        .put_dashboard()
        .dashboard_name("bad")
        .dashboard_body("not json")
        .send()
        .await
        .expect_err("not JSON");
    assert_eq!(code(&err), "InvalidParameterInput");

    let err = stack
        .cloudwatch
        .put_dashboard()
        .dashboard_name("has:colon")
        .dashboard_body(BODY)
        .send()
        .await
        .expect_err("invalid name");
    assert_eq!(code(&err), "InvalidParameterValue");
    assert_eq!(
        message(&err),
        "The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).\n"
    );
    let listed = stack
        .cloudwatch
        .list_dashboards()
        .send()
        .await
        .expect("list");
    assert!(listed.dashboard_entries().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn listed_by_prefix_a_thousand_a_page() {
    let stack = Stack::start().await;
    let body = r#"{"widgets":[]}"#;
    let mut puts = tokio::task::JoinSet::new();
    for i in 0..1003 {
        let cw = stack.cloudwatch.clone();
        puts.spawn(async move {
            cw.put_dashboard()
                .dashboard_name(format!("page-{i:04}"))
                .dashboard_body(body)
                .send()
                .await
                .expect("put");
        });
    }
    puts.join_all().await;
    put(&stack, "other", body).await;

    let first = stack
        .cloudwatch
        .list_dashboards()
        .dashboard_name_prefix("page-")
        .send()
        .await
        .expect("first page");
    assert_eq!(first.dashboard_entries().len(), 1000);
    assert_eq!(
        first.dashboard_entries()[0].dashboard_name(),
        Some("page-0000")
    );
    let token = first.next_token().expect("a next page").to_owned();
    let second = stack
        .cloudwatch
        .list_dashboards()
        .dashboard_name_prefix("page-")
        .next_token(token)
        .send()
        .await
        .expect("second page");
    let names: Vec<&str> = second
        .dashboard_entries()
        .iter()
        .filter_map(|e| e.dashboard_name())
        .collect();
    assert_eq!(names, ["page-1000", "page-1001", "page-1002"]);
    assert_eq!(second.next_token(), None);

    let others = stack
        .cloudwatch
        .list_dashboards()
        .dashboard_name_prefix("oth")
        .send()
        .await
        .expect("prefix");
    assert_eq!(others.dashboard_entries().len(), 1);
    // The paginator walks every page.
    let all: usize = stack
        .cloudwatch
        .list_dashboards()
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await
        .len();
    assert_eq!(all, 1004);
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboards_are_kept_in_the_data_directory() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = || kinesis_engine::EngineConfig {
        data_dir: Some(dir.path().to_path_buf()),
        ..testkit::engine_config()
    };
    let first = Stack::with(config()).await;
    put(&first, "kept", BODY).await;
    put(&first, "dropped", BODY).await;
    first
        .cloudwatch
        .delete_dashboards()
        .dashboard_names("dropped")
        .send()
        .await
        .expect("delete");
    first.server.shutdown().await.expect("shutdown");

    let second = Stack::with(config()).await;
    let got = second
        .cloudwatch
        .get_dashboard()
        .dashboard_name("kept")
        .send()
        .await
        .expect("kept across the restart");
    assert_eq!(got.dashboard_body(), Some(BODY));
    let listed = second
        .cloudwatch
        .list_dashboards()
        .send()
        .await
        .expect("list");
    assert_eq!(listed.dashboard_entries().len(), 1);
}

/// Sends one AWS JSON 1.0 CloudWatch request over HTTP/1.1, signed or not, and returns the
/// head and the body of the answer.
async fn json_call(
    addr: std::net::SocketAddr,
    operation: &str,
    body: String,
    signed: bool,
) -> (String, String) {
    let operation = operation.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        let auth = if signed {
            "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=00\r\n"
        } else {
            ""
        };
        let req = format!(
            "POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Amz-Target: GraniteServiceVersion20100801.{operation}\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-query-mode: true\r\n{auth}Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let (head, reply) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
        (head.to_owned(), reply.to_owned())
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unsigned_put_dashboard_is_refused() {
    let stack = Stack::start().await;
    let body = serde_json::json!({"DashboardName": "sneaky", "DashboardBody": BODY}).to_string();
    let (head, reply) = json_call(stack.server.addr(), "PutDashboard", body, false).await;
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
    assert!(reply.contains("MissingAuthenticationToken"), "{reply}");
    let listed = stack
        .cloudwatch
        .list_dashboards()
        .send()
        .await
        .expect("list");
    assert!(listed.dashboard_entries().is_empty());
}

/// In JSON 1.0 the invalid-body error is the model's DashboardInvalidInputError with its
/// `dashboardValidationMessages` member and the query code in `x-amzn-query-error`.
#[tokio::test(flavor = "multi_thread")]
async fn the_invalid_body_error_in_json_carries_its_messages() {
    let stack = Stack::start().await;
    let body = serde_json::json!({
        "DashboardName": "bad",
        "DashboardBody": r#"{"widgets":[{"type":"metric","properties":{"metrics":[["AWS/Lambda","Errors",1]]}}]}"#,
    })
    .to_string();
    let (head, reply) = json_call(stack.server.addr(), "PutDashboard", body, true).await;
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("x-amzn-query-error: invalidparameterinput;sender"),
        "{head}"
    );
    let v: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(
        v["__type"],
        "com.amazonaws.cloudwatch.v2010_08_01#DashboardInvalidInputError"
    );
    assert_eq!(
        v["dashboardValidationMessages"],
        serde_json::json!([
            {"DataPath": "/widgets/0/properties", "Message": "The metric widget should have specified a region and a data source or an alarm annotation"},
            {"DataPath": "/widgets/0/properties/metrics/0/2", "Message": "Invalid metric field type, only \"String\" type is allowed"},
        ])
    );
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .starts_with("The dashboard body is invalid, there are 2 validation errors:\n[\n  {\n    \"dataPath\": \"/widgets/0/properties\","),
        "{v}"
    );
}

/// `--max-dashboards` bounds what is kept: one more is refused with LimitExceeded (replacing
/// one is not), and `GET /metrics` shows the count, the bound and the refusals.
#[tokio::test(flavor = "multi_thread")]
async fn the_number_of_dashboards_is_bounded() {
    let engine = kinesis_engine::Engine::open(testkit::engine_config()).expect("engine");
    let server = streamwatch_server::start_with_bounds(
        "127.0.0.1:0".parse().expect("address"),
        engine,
        std::sync::Arc::new(metric_store::Store::new()),
        streamwatch_server::FrontDoorConfig::default(),
        &streamwatch_server::Bounds {
            max_dashboards: 2,
            ..streamwatch_server::Bounds::default()
        },
    )
    .await
    .expect("server");
    let stack = Stack::at(server);
    put(&stack, "one", BODY).await;
    put(&stack, "two", BODY).await;
    put(&stack, "two", BODY).await;
    let err = stack
        .cloudwatch
        .put_dashboard()
        .dashboard_name("three")
        .dashboard_body(BODY)
        .send()
        .await
        .expect_err("past the bound");
    assert_eq!(code(&err), "LimitExceeded");

    let addr = stack.server.addr();
    let page = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    })
    .await
    .unwrap();
    for line in [
        "streamwatch_cloudwatch_dashboards 2",
        "streamwatch_cloudwatch_max_dashboards 2",
        "streamwatch_cloudwatch_dashboards_refused_total 1",
    ] {
        assert!(page.lines().any(|l| l == line), "{line} not in\n{page}");
    }
}
