//! Chaos: faults injected on purpose (`--fault`, `/_streamwatch/faults`) as real SDKs and a
//! Lambda event source mapping meet them: each service's error in its own protocol, PutRecords
//! record failures in the response and in `AWS/Kinesis`, injected latency in
//! `PutRecords.Latency`, dropped connections retried by the SDK, a storm on a manual clock,
//! the admin endpoint, and `streamwatch_injected_faults_total` on `/metrics`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::types::Statistic;
use aws_sdk_kinesis::error::SdkError;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use fault_injection::Rule;
use kinesis_engine::Engine;
use testkit::Stack;
use time_source::ManualClock;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn rules(texts: &[&str]) -> Vec<Rule> {
    texts
        .iter()
        .map(|t| Rule::parse(t).expect("a rule"))
        .collect()
}

/// Sends raw HTTP/1.1 text to `addr`; the status and body of the answer.
async fn raw_http(addr: std::net::SocketAddr, request: &str) -> (u16, String) {
    let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
    conn.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).await.expect("read");
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn entries(n: usize) -> Vec<PutRecordsRequestEntry> {
    (0..n)
        .map(|i| {
            PutRecordsRequestEntry::builder()
                .partition_key(format!("key{i}"))
                .data(Blob::new(format!("r{i:04}")))
                .build()
                .expect("an entry")
        })
        .collect()
}

/// A Kinesis event source mapping delivers every record while 5% of its GetRecords calls
/// fail: its reads go through the server's own Kinesis API in process, and the same rules.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_delivers_every_record_under_get_records_errors() {
    let p = Stack::start().await;
    let arn = p.stream("chaos-esm", 1, &[]).await;
    for chunk in entries(300).chunks(100) {
        let out = p
            .kinesis
            .put_records()
            .stream_name("chaos-esm")
            .set_records(Some(chunk.to_vec()))
            .send()
            .await
            .expect("put records");
        assert_eq!(out.failed_record_count(), Some(0));
    }
    p.server.faults().reseed(5);
    p.server
        .faults()
        .replace(rules(&["kinesis:GetRecords:error=InternalFailure@5%"]));
    p.function("chaos-fn", "ok").await;
    p.lambda
        .create_event_source_mapping()
        .function_name("chaos-fn")
        .event_source_arn(&arn)
        .starting_position(aws_sdk_lambda::types::EventSourcePosition::TrimHorizon)
        .batch_size(5)
        .send()
        .await
        .expect("create mapping");
    let oks = p
        .lines("chaos-fn", "OK ", |l| {
            l.iter().collect::<HashSet<_>>().len() >= 300
        })
        .await;
    let distinct: HashSet<&String> = oks.iter().collect();
    assert_eq!(distinct.len(), 300, "every record arrived at least once");
    let injected = p.server.faults().injected();
    let errors = injected
        .iter()
        .find(|f| f.action == "GetRecords" && f.kind == "error")
        .map_or(0, |f| f.count);
    assert!(errors > 0, "the mapping met injected errors: {injected:?}");
    p.server.shutdown().await.expect("shutdown");
}

/// A fixed injected latency is inside what PutRecords.Latency measures: its Minimum, read
/// through the CloudWatch API, is at least the latency, and the client waited that long.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_latency_shows_in_put_records_latency() {
    let p = Stack::start().await;
    p.stream("chaos-slow", 1, &[]).await;
    p.server
        .faults()
        .replace(rules(&["kinesis:PutRecords:latency=40ms"]));
    for _ in 0..5 {
        let started = Instant::now();
        p.kinesis
            .put_records()
            .stream_name("chaos-slow")
            .set_records(Some(entries(3)))
            .send()
            .await
            .expect("put records");
        assert!(started.elapsed() >= Duration::from_millis(40));
    }
    let now = testkit::now_ms() as i64;
    let out = p
        .cloudwatch
        .get_metric_statistics()
        .namespace("AWS/Kinesis")
        .metric_name("PutRecords.Latency")
        .dimensions(
            aws_sdk_cloudwatch::types::Dimension::builder()
                .name("StreamName")
                .value("chaos-slow")
                .build(),
        )
        .start_time(aws_sdk_cloudwatch::primitives::DateTime::from_millis(
            now - 600_000,
        ))
        .end_time(aws_sdk_cloudwatch::primitives::DateTime::from_millis(
            now + 60_000,
        ))
        .period(60)
        .statistics(Statistic::Minimum)
        .statistics(Statistic::SampleCount)
        .send()
        .await
        .expect("get metric statistics");
    let samples: f64 = out
        .datapoints()
        .iter()
        .filter_map(|d| d.sample_count())
        .sum();
    assert_eq!(samples, 5.0);
    let minimum = out
        .datapoints()
        .iter()
        .filter_map(|d| d.minimum())
        .fold(f64::MAX, f64::min);
    assert!(minimum >= 40.0, "PutRecords.Latency Minimum {minimum} ms");
    p.server.shutdown().await.expect("shutdown");
}

/// Records failed on purpose come back with AWS's codes and texts, are not stored, and are
/// counted in PutRecords.FailedRecords (InternalFailure) and .ThrottledRecords.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_failures_show_in_the_response_and_the_metrics() {
    let p = Stack::start().await;
    p.stream("chaos-records", 2, &[]).await;
    p.server.faults().reseed(11);
    p.server.faults().replace(rules(&[
        "kinesis:PutRecords:record-failure=InternalFailure@20%",
        "kinesis:PutRecords:record-failure=ProvisionedThroughputExceededException@10%",
    ]));
    let out = p
        .kinesis
        .put_records()
        .stream_name("chaos-records")
        .set_records(Some(entries(200)))
        .send()
        .await
        .expect("put records");
    let (mut internal, mut throttled) = (0u64, 0u64);
    for r in out.records() {
        match r.error_code() {
            None => assert!(r.sequence_number().is_some() && r.shard_id().is_some()),
            Some("InternalFailure") => {
                internal += 1;
                assert_eq!(r.error_message(), Some("Internal service failure."));
            }
            Some("ProvisionedThroughputExceededException") => {
                throttled += 1;
                let m = r.error_message().unwrap_or_default();
                assert!(
                    m.starts_with("Rate exceeded for shard shardId-00000000000")
                        && m.ends_with(" in stream chaos-records under account 000000000000."),
                    "{m}"
                );
            }
            Some(other) => panic!("unexpected code {other}"),
        }
    }
    assert!(internal > 20 && throttled > 5, "{internal} {throttled}");
    assert_eq!(
        out.failed_record_count(),
        Some((internal + throttled) as i32)
    );
    let stat = |metric: &'static str| {
        p.cloudwatch_stat(
            "AWS/Kinesis",
            metric,
            ("StreamName", "chaos-records"),
            Statistic::Sum,
        )
    };
    assert_eq!(stat("PutRecords.FailedRecords").await, internal as f64);
    assert_eq!(stat("PutRecords.ThrottledRecords").await, throttled as f64);
    assert_eq!(stat("PutRecords.TotalRecords").await, 200.0);
    let stored = 200 - internal - throttled;
    assert_eq!(stat("PutRecords.SuccessfulRecords").await, stored as f64);
    assert_eq!(stat("IncomingRecords").await, stored as f64);

    // Only the stored records can be read back.
    p.server.faults().clear();
    let mut read = 0;
    for shard in ["shardId-000000000000", "shardId-000000000001"] {
        let it = p
            .kinesis
            .get_shard_iterator()
            .stream_name("chaos-records")
            .shard_id(shard)
            .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
            .send()
            .await
            .expect("iterator");
        let got = p
            .kinesis
            .get_records()
            .shard_iterator(it.shard_iterator().unwrap_or_default())
            .send()
            .await
            .expect("get records");
        read += got.records().len() as u64;
    }
    assert_eq!(read, stored);
    p.server.shutdown().await.expect("shutdown");
}

/// Each service answers an injected error in its own protocol, as its SDK reads it: Kinesis
/// InternalFailure 500 (JSON 1.1), SQS ServiceUnavailable 503 (JSON with the query code),
/// CloudWatch InternalServiceError 500 (RPC v2 CBOR, query-compatible), Lambda
/// TooManyRequestsException 429 (REST JSON); each one counted on `/metrics`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_come_in_each_services_protocol_and_are_counted() {
    let p = Stack::start().await;
    p.server.faults().replace(rules(&[
        "kinesis:ListStreams:error=InternalFailure",
        "sqs:ListQueues:error=ServiceUnavailable",
        "cloudwatch:ListMetrics:error=InternalServiceFault",
        "lambda:ListFunctions:error=TooManyRequestsException",
    ]));
    let kinesis = p.kinesis_without_retries();
    for _ in 0..3 {
        let e = kinesis.list_streams().send().await.expect_err("injected");
        assert_eq!(testkit::code(&e), "InternalFailure");
        assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(500));
    }
    let e = p.sqs.list_queues().send().await.expect_err("injected");
    assert_eq!(testkit::code(&e), "ServiceUnavailable");
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(503));
    let e = p
        .cloudwatch
        .list_metrics()
        .send()
        .await
        .expect_err("injected");
    assert_eq!(testkit::code(&e), "InternalServiceError");
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(500));
    let e = p
        .lambda
        .list_functions()
        .send()
        .await
        .expect_err("injected");
    assert_eq!(testkit::code(&e), "TooManyRequestsException");
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(429));
    // Other actions go through.
    p.kinesis
        .describe_limits()
        .send()
        .await
        .expect("not injected");

    let (status, page) = raw_http(
        p.server.addr(),
        "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        page.lines().any(|l| l
            == r#"streamwatch_injected_faults_total{action="ListStreams",kind="error",service="kinesis"} 3"#),
        "{page}"
    );
    // The SDKs' own retries each met the error again (standard mode: 3 attempts).
    assert!(page.lines().any(|l| l
        == r#"streamwatch_injected_faults_total{action="ListFunctions",kind="error",service="lambda"} 3"#));
    p.server.shutdown().await.expect("shutdown");
}

/// The admin endpoint reads, replaces, adds and clears rules, and each change applies to the
/// very next call; a body that is not a rule is refused with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_endpoint_changes_rules_at_once() {
    let p = Stack::start().await;
    let kinesis = p.kinesis_without_retries();
    kinesis.list_streams().send().await.expect("no rules yet");
    let addr = p.server.addr();
    let put = |method: &str, body: &str| {
        format!(
            "{method} /_streamwatch/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let (status, body) = raw_http(
        addr,
        &put(
            "PUT",
            r#"{"seed": 3, "rules": ["kinesis:ListStreams:error=ServiceUnavailable"]}"#,
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let e = kinesis
        .list_streams()
        .send()
        .await
        .expect_err("applies at once");
    assert_eq!(testkit::code(&e), "ServiceUnavailable");
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(503));

    let (status, _) = raw_http(
        addr,
        &put(
            "POST",
            r#"{"rules": [{"service": "kinesis", "action": "DescribeLimits", "error": "LimitExceededException"}]}"#,
        ),
    )
    .await;
    assert_eq!(status, 200);
    let e = kinesis.describe_limits().send().await.expect_err("added");
    assert_eq!(testkit::code(&e), "LimitExceededException");
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(400));

    let (status, body) = raw_http(
        addr,
        "GET /_streamwatch/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 200);
    let state: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(state["seed"], 3);
    assert_eq!(state["rules"].as_array().map(Vec::len), Some(2));
    assert_eq!(state["injected"][0]["count"], 1);

    let (status, body) = raw_http(addr, &put("PUT", r#"{"rules": ["sqs:error=Nope"]}"#)).await;
    assert_eq!(status, 400);
    assert!(body.contains("sqs does not answer"), "{body}");
    kinesis
        .describe_limits()
        .send()
        .await
        .expect_err("a refused body changes nothing");

    let (status, _) = raw_http(
        addr,
        "DELETE /_streamwatch/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 200);
    kinesis
        .list_streams()
        .send()
        .await
        .expect("cleared at once");

    // Not from a web page, and not for another host.
    let (status, _) = raw_http(
        addr,
        "DELETE /_streamwatch/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = raw_http(
        addr,
        "GET /_streamwatch/faults HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 403);
    p.server.shutdown().await.expect("shutdown");
}

/// A connection dropped without an answer: the SDK's retry gets through; without retries the
/// caller sees a transport failure, not a service error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_are_retried_by_the_sdk() {
    let p = Stack::start().await;
    p.server
        .faults()
        .replace(rules(&["kinesis:ListStreams:drop"]));
    let e = p
        .kinesis_without_retries()
        .list_streams()
        .send()
        .await
        .expect_err("dropped");
    assert!(
        matches!(e, SdkError::DispatchFailure(_) | SdkError::ResponseError(_)),
        "{e:?}"
    );
    // Half the calls dropped (seeded so the first one is): the SDK retries past them.
    p.server.faults().reseed(1);
    p.server
        .faults()
        .replace(rules(&["kinesis:ListStreams:drop@50%"]));
    for _ in 0..5 {
        p.kinesis
            .list_streams()
            .send()
            .await
            .expect("retried through");
    }
    let dropped = p
        .server
        .faults()
        .injected()
        .into_iter()
        .find(|f| f.kind == "drop")
        .map_or(0, |f| f.count);
    assert!(dropped >= 2, "{dropped}");
    p.server.shutdown().await.expect("shutdown");
}

/// A storm throttles every matching call in its window, each with its service's throttling
/// error, and stops when the window ends: on a manual clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_throttles_its_window_then_stops() {
    let clock = ManualClock::new(testkit::now_ms());
    let engine =
        Engine::open_with_clock(testkit::engine_config(), Arc::new(clock.clone())).expect("engine");
    let p = Stack::on(engine).await;
    p.stream("chaos-storm", 1, &[]).await;
    p.server.faults().replace(rules(&["*:storm=10s+5s"]));
    let kinesis = p.kinesis_without_retries();
    let put = || {
        kinesis
            .put_record()
            .stream_name("chaos-storm")
            .partition_key("k")
            .data(Blob::new("x"))
            .send()
    };
    put().await.expect("before the storm");
    clock.advance(10_000);
    let e = put().await.expect_err("in the storm");
    assert_eq!(testkit::code(&e), "ProvisionedThroughputExceededException");
    let e = kinesis
        .list_streams()
        .send()
        .await
        .expect_err("in the storm");
    assert_eq!(testkit::code(&e), "LimitExceededException");
    let e = p
        .lambda
        .list_functions()
        .send()
        .await
        .expect_err("in the storm");
    assert_eq!(testkit::code(&e), "TooManyRequestsException");
    clock.advance(4_999);
    kinesis
        .list_streams()
        .send()
        .await
        .expect_err("still in the storm");
    clock.advance(1);
    put().await.expect("after the storm");
    kinesis
        .list_streams()
        .send()
        .await
        .expect("after the storm");
    p.server.shutdown().await.expect("shutdown");
}
