//! `GET /metrics` from outside, with a real HTTP client (hyper): Prometheus text that
//! promtool accepts, unsigned but only from this machine and not from a web page; and the
//! bounds it reports, reached through the AWS SDK (SQS sends refused with
//! `RequestThrottled`) and through the metric store (series evicted).

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::error::ProvideErrorMetadata;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use metric_store::{Datum, MetricKey, StorageResolution, Store, Unit};
use streamwatch_server::{Bounds, FrontDoorConfig, RunningServer};

async fn server(store: Store, bounds: Bounds) -> RunningServer {
    let engine = kinesis_engine::Engine::open(kinesis_engine::EngineConfig {
        transition_delay: Duration::ZERO,
        // Small enough that twenty 1,000-byte records evict some (there is no data dir).
        max_memory_bytes: 8 * 1024,
        ..kinesis_engine::EngineConfig::default()
    })
    .expect("engine");
    streamwatch_server::start_with_bounds(
        "127.0.0.1:0".parse().expect("address"),
        engine,
        Arc::new(store),
        FrontDoorConfig::default(),
        &bounds,
    )
    .await
    .expect("server")
}

/// An answer: status, content type and body.
struct Page {
    status: u16,
    content_type: String,
    body: String,
}

/// `method path` on the server, with `headers` (a `host` among them replaces the client's).
async fn request(
    server: &RunningServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Page {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let mut builder = hyper::Request::builder()
        .method(method)
        .uri(format!("{}{path}", server.endpoint()));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let response = client
        .request(builder.body(Empty::new()).expect("request"))
        .await
        .expect("response");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Page {
        status,
        content_type,
        // Lossy: a POST here is answered by Kinesis, in CBOR when it names no content type.
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// The value of the series written exactly `series` (name and labels) on the page.
fn value(page: &str, series: &str) -> Option<f64> {
    page.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Runs `promtool check metrics` on the page, when promtool is installed.
fn promtool_accepts(page: &str) {
    use std::io::Write as _;
    let Ok(mut child) = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    else {
        eprintln!("promtool not installed: format not checked by it");
        return;
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(page.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("promtool");
    assert!(
        out.status.success(),
        "promtool: {}{}\n{page}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn the_page_is_prometheus_text_for_this_machine_not_for_web_pages() {
    let server = server(Store::new().with_max_series(40), Bounds::default()).await;

    // Records held: the engine's own count is the page's.
    let kinesis = aws_sdk_kinesis::Client::from_conf(
        aws_sdk_kinesis::Config::builder()
            .behavior_version(aws_sdk_kinesis::config::BehaviorVersion::latest())
            .region(aws_sdk_kinesis::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_kinesis::config::Credentials::new(
                "a", "b", None, None, "t",
            ))
            .endpoint_url(server.endpoint())
            .build(),
    );
    kinesis
        .create_stream()
        .stream_name("orders")
        .shard_count(1)
        .send()
        .await
        .expect("create");
    let mut put = None;
    for _ in 0..100 {
        put = kinesis
            .put_record()
            .stream_name("orders")
            .partition_key("k")
            .data(aws_sdk_kinesis::primitives::Blob::new(vec![7u8; 1000]))
            .send()
            .await
            .ok();
        if put.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(put.is_some(), "the stream never took a record");
    for _ in 0..19 {
        kinesis
            .put_record()
            .stream_name("orders")
            .partition_key("k")
            .data(aws_sdk_kinesis::primitives::Blob::new(vec![7u8; 1000]))
            .send()
            .await
            .expect("put");
    }
    let memory = server.engine().memory_report();
    let held = memory.held_bytes;
    assert!((1000..=8 * 1024).contains(&held), "{memory:?}");
    assert!(memory.evicted_total > 0, "{memory:?}");

    // A storm of custom series past the store's bound.
    let store = server.metrics();
    for i in 0..100 {
        let key = MetricKey::new("Storm", "Hits", [("Id", format!("{i}").as_str())]).expect("key");
        store
            .put(
                &key,
                Some(Unit::Count),
                store.now_ms(),
                &Datum::Value(1.0),
                StorageResolution::Standard,
            )
            .expect("put");
    }
    assert!(store.series_evicted() > 0);

    let page = request(&server, "GET", "/metrics", &[]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        page.content_type,
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let body = &page.body;
    assert_eq!(
        value(body, "streamwatch_engine_held_record_bytes"),
        Some(held as f64)
    );
    assert_eq!(
        value(body, "streamwatch_engine_max_memory_bytes"),
        Some(8192.0)
    );
    assert_eq!(
        value(
            body,
            r#"streamwatch_engine_records_evicted_total{shard_id="shardId-000000000000",stream_name="orders"}"#
        ),
        Some(memory.evicted_total as f64),
        "{body}"
    );
    assert!(body.contains("# TYPE streamwatch_engine_records_evicted_total counter"));
    assert_eq!(value(body, "streamwatch_metric_max_series"), Some(40.0));
    assert_eq!(
        value(body, "streamwatch_metric_series"),
        Some(store.len() as f64)
    );
    assert_eq!(
        value(body, "streamwatch_metric_series_evicted_total"),
        Some(store.series_evicted() as f64)
    );
    assert!(body.contains("# TYPE streamwatch_metric_series_evicted_total counter"));
    assert_eq!(
        value(body, "streamwatch_sqs_max_held_bytes"),
        Some(f64::from(1u32 << 30))
    );
    assert_eq!(value(body, "streamwatch_sqs_held_bytes"), Some(0.0));
    assert_eq!(
        value(body, "streamwatch_sns_http_deliveries_in_flight"),
        Some(0.0)
    );
    // Every family on the page is in the catalogue.
    for line in body.lines().filter(|l| l.starts_with("# TYPE ")) {
        let name = line.split(' ').nth(2).expect("name");
        assert!(
            metric_store::catalog::own::all().any(|m| m.name == name),
            "{name} is not in the catalogue"
        );
    }
    promtool_accepts(body);

    // Typed into a browser's address bar: fine. Asked by a web page: refused.
    let typed = request(&server, "GET", "/metrics", &[("sec-fetch-site", "none")]).await;
    assert_eq!(typed.status, 200);
    for header in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ] {
        let page = request(&server, "GET", "/metrics", &[header]).await;
        assert_eq!(page.status, 403, "{header:?}");
        assert!(!page.body.contains("streamwatch_engine"), "{}", page.body);
    }
    // A foreign host (DNS rebinding) is refused as for every request.
    let foreign = request(
        &server,
        "GET",
        "/metrics",
        &[("host", "rebind.attacker.test")],
    )
    .await;
    assert_eq!(foreign.status, 403);
    assert!(
        foreign.body.contains("AccessDeniedException"),
        "{}",
        foreign.body
    );
    // Only a GET is the page: a POST is an unsigned AWS call, refused.
    let post = request(&server, "POST", "/metrics", &[]).await;
    assert_ne!(post.status, 200);
    assert!(!post.body.contains("streamwatch_engine"), "{}", post.body);
    server.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn sqs_sends_past_the_bound_are_refused_with_request_throttled() {
    let one = sqs_engine::MESSAGE_OVERHEAD_BYTES + 5;
    let server = server(
        Store::new(),
        Bounds {
            max_queue_bytes: 3 * one,
            ..Bounds::default()
        },
    )
    .await;
    let sqs = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .region(aws_sdk_sqs::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_sqs::config::Credentials::new(
                "a", "b", None, None, "t",
            ))
            .endpoint_url(server.endpoint())
            // The SDK retries RequestThrottled with backoff; one attempt shows the error.
            .retry_config(aws_sdk_sqs::config::retry::RetryConfig::disabled())
            .build(),
    );
    let url = sqs
        .create_queue()
        .queue_name("jobs")
        .send()
        .await
        .expect("create")
        .queue_url
        .expect("url");
    for _ in 0..3 {
        sqs.send_message()
            .queue_url(&url)
            .message_body("hello")
            .send()
            .await
            .expect("fits");
    }
    let err = sqs
        .send_message()
        .queue_url(&url)
        .message_body("hello")
        .send()
        .await
        .expect_err("full");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_request_throttled()),
        "{err:?}"
    );
    assert_eq!(err.code(), Some("RequestThrottled"));

    let entry = |id: &str| {
        aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
            .id(id)
            .message_body("hello")
            .build()
            .expect("entry")
    };
    let err = sqs
        .send_message_batch()
        .queue_url(&url)
        .entries(entry("a"))
        .entries(entry("b"))
        .send()
        .await
        .expect_err("full");
    assert_eq!(err.code(), Some("RequestThrottled"));

    // Every acknowledged message is there; deleting one makes room for one.
    let got = sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default();
    assert_eq!(got.len(), 3);
    sqs.delete_message()
        .queue_url(&url)
        .receipt_handle(got[0].receipt_handle().expect("handle"))
        .send()
        .await
        .expect("delete");
    sqs.send_message()
        .queue_url(&url)
        .message_body("hello")
        .send()
        .await
        .expect("room again");

    let page = request(&server, "GET", "/metrics", &[]).await;
    assert_eq!(
        value(&page.body, "streamwatch_sqs_held_bytes"),
        Some((3 * one) as f64)
    );
    assert_eq!(
        value(&page.body, "streamwatch_sqs_max_held_bytes"),
        Some((3 * one) as f64)
    );
    assert_eq!(
        value(&page.body, "streamwatch_sqs_sends_refused_total"),
        Some(3.0)
    );
    promtool_accepts(&page.body);
    server.shutdown().await.expect("shutdown");
}
