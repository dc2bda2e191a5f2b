//! The web console in a real headless chromium (Debian's `chromium`, or
//! `$STREAMWATCH_CHROMIUM`), driven over the DevTools protocol: the overview draws a running
//! pipeline's streams, mapping, function, destination and downstream stream with the right
//! edges, an alarm set to ALARM turns its stream red, a stream page's IncomingRecords chart
//! reaches what was put (and its per-shard chart shows each shard), a dashboard body renders its widgets, and the page logs no error.
//! Screenshots go to `$STREAMWATCH_SCREENSHOTS` (default `target/console-screenshots/`).
//! Also: another site's page cannot read the console, and unsigned AWS calls stay refused.

#[path = "../../src/chromium.rs"]
#[allow(dead_code, reason = "the bench uses the rest")]
pub(crate) mod chromium;

use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StateValue, Statistic};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use aws_sdk_lambda::types::{DestinationConfig, EventSourcePosition, OnFailure};
use chromium::Browser;
use testkit::Stack;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WAIT: Duration = Duration::from_secs(30);

pub(crate) fn screenshots() -> PathBuf {
    std::env::var_os("STREAMWATCH_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| testkit::workspace().join("target/console-screenshots"))
}

/// A stream `orders` read by function `consumer` (its failures to queue `failures`), which
/// names stream `enriched` as its output; 25 records put in one call; alarm
/// `orders-incoming` on orders (breached by them) set to ALARM at once.
async fn pipeline(p: &Stack) {
    p.stream("orders", 2, &[]).await;
    p.kinesis
        .enable_enhanced_monitoring()
        .stream_name("orders")
        .shard_level_metrics(aws_sdk_kinesis::types::MetricsName::All)
        .send()
        .await
        .expect("enable enhanced monitoring");
    p.stream("enriched", 1, &[]).await;
    let queue_url = p.queue("failures").await;
    let queue_arn = p.queue_attributes(&queue_url).await["QueueArn"].clone();
    p.deploy(
        "consumer",
        "kinesis_function",
        &[("MODE", "ok"), ("OUTPUT_STREAM", "enriched")],
    )
    .await;
    p.lambda
        .create_event_source_mapping()
        .function_name("consumer")
        .event_source_arn("arn:aws:kinesis:us-east-1:000000000000:stream/orders")
        .starting_position(EventSourcePosition::TrimHorizon)
        .batch_size(10)
        .destination_config(
            DestinationConfig::builder()
                .on_failure(OnFailure::builder().destination(queue_arn).build())
                .build(),
        )
        .send()
        .await
        .expect("create mapping");
    let entries = (0..25)
        .map(|i| {
            PutRecordsRequestEntry::builder()
                .partition_key(format!("k{i}"))
                .data(Blob::new(format!("order {i}")))
                .build()
                .expect("an entry")
        })
        .collect();
    let put = p
        .kinesis
        .put_records()
        .stream_name("orders")
        .set_records(Some(entries))
        .send()
        .await
        .expect("put records");
    assert_eq!(put.failed_record_count(), Some(0));
    p.cloudwatch
        .put_metric_alarm()
        .alarm_name("orders-incoming")
        .namespace("AWS/Kinesis")
        .metric_name("IncomingRecords")
        .dimensions(
            Dimension::builder()
                .name("StreamName")
                .value("orders")
                .build(),
        )
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        // Breached by the 25 records, and missing data keeps the state: the next evaluation
        // (once a minute) leaves it in ALARM.
        .threshold(1.0)
        .treat_missing_data("ignore")
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect("put alarm");
    p.cloudwatch
        .set_alarm_state()
        .alarm_name("orders-incoming")
        .state_value(StateValue::Alarm)
        .state_reason("forced by the console test")
        .send()
        .await
        .expect("set alarm state");
}

fn edge(from: &str, to: &str) -> String {
    format!("document.querySelector('#graph path.edge[data-from{from}][data-to{to}]') !== null")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn console_shows_a_running_pipeline() {
    let p = Stack::start().await;
    pipeline(&p).await;
    let base = p.endpoint();
    let shots = screenshots();
    let b = Browser::launch(1400, 900).await.expect("chromium starts");

    // Overview: nodes, edges, rates and health.
    b.goto(&format!("{base}/")).await.unwrap();
    for node in [
        "stream:orders",
        "stream:enriched",
        "function:consumer",
        "queue:failures",
    ] {
        b.wait_for(
            &format!("document.querySelector('#graph [data-id=\"{node}\"]') !== null"),
            WAIT,
        )
        .await
        .unwrap();
    }
    for (from, to) in [
        ("=\"producers\"", "=\"stream:orders\""),
        ("=\"stream:orders\"", "^=\"esm:\""),
        ("^=\"esm:\"", "=\"function:consumer\""),
        ("^=\"esm:\"", "=\"queue:failures\""),
        ("=\"function:consumer\"", "=\"stream:enriched\""),
    ] {
        b.wait_for(&edge(from, to), WAIT).await.unwrap();
    }
    assert!(
        b.eval(&edge("=\"stream:enriched\"", "^=\"esm:\""))
            .await
            .unwrap()
            == false
    );
    b.wait_for(
        "document.querySelector('#graph [data-id=\"stream:orders\"]').dataset.health === 'alarm'",
        WAIT,
    )
    .await
    .unwrap();
    assert_eq!(
        b.eval("document.querySelector('#graph [data-id=\"stream:enriched\"]').dataset.health")
            .await
            .unwrap(),
        "none"
    );
    let red = b
        .eval("getComputedStyle(document.querySelector('#graph [data-id=\"stream:orders\"] rect')).stroke")
        .await
        .unwrap();
    assert_eq!(
        red, "rgb(207, 34, 46)",
        "the alarmed stream's node is drawn red"
    );
    // A steady trickle into `enriched` shows as its live rate.
    let kinesis = p.kinesis.clone();
    let trickle = tokio::spawn(async move {
        loop {
            let _ = kinesis
                .put_record()
                .stream_name("enriched")
                .partition_key("k")
                .data(Blob::new("enriched order"))
                .send()
                .await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    b.wait_for(
        "!document.querySelector('#graph [data-id=\"stream:enriched\"] .rate').textContent.startsWith('0 ')",
        WAIT,
    )
    .await
    .unwrap();
    b.screenshot(&shots.join("overview.png")).await.unwrap();
    trickle.abort();

    // Stream page: the IncomingRecords chart reaches the 25 records put at once.
    b.goto(&format!("{base}/#/stream/orders")).await.unwrap();
    b.wait_for(
        "document.querySelector('[data-panel=\"IncomingRecords\"]')?.dataset.peak === '25'",
        WAIT,
    )
    .await
    .unwrap();
    assert_eq!(
        b.eval("document.querySelectorAll('.shardmap tr[data-shard]').length")
            .await
            .unwrap(),
        2
    );
    b.wait_for(
        "document.querySelector('[data-panel=\"Outgoing\"]') !== null",
        WAIT,
    )
    .await
    .unwrap();
    b.screenshot(&shots.join("stream.png")).await.unwrap();

    // Function page: the mapping and the live tail of its log.
    b.goto(&format!("{base}/#/function/consumer"))
        .await
        .unwrap();
    b.wait_for(
        "[...document.querySelectorAll('.logs .line')].some(l => l.textContent.includes('OK order'))",
        WAIT,
    )
    .await
    .unwrap();
    b.wait_for(
        "document.querySelector('[data-panel=\"Invocations\"]')?.dataset.peak >= 1",
        WAIT,
    )
    .await
    .unwrap();
    b.screenshot(&shots.join("function.png")).await.unwrap();

    // Alarms: state and reason.
    b.goto(&format!("{base}/#/alarms")).await.unwrap();
    b.wait_for(
        "document.querySelector('tr[data-alarm=\"orders-incoming\"]')?.dataset.state === 'ALARM'",
        WAIT,
    )
    .await
    .unwrap();

    // A dashboard body given inline: every kind of widget.
    let body = serde_json::json!({"widgets": [
        {"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6, "properties": {
            "title": "Incoming", "view": "timeSeries", "stat": "Sum", "period": 1, "region": "us-east-1",
            "metrics": [["AWS/Kinesis", "IncomingRecords", "StreamName", "orders", {"id": "m1"}],
                        [{"expression": "m1 * 2", "label": "doubled", "id": "e1"}]],
            "yAxis": {"left": {"min": 0}}}},
        {"type": "metric", "x": 12, "y": 0, "width": 6, "height": 6, "properties": {
            "title": "Stacked", "view": "timeSeries", "stacked": true, "stat": "Sum", "period": 1,
            "metrics": [["AWS/Kinesis", "IncomingRecords", "StreamName", "orders"], ["...", "enriched"]]}},
        {"type": "metric", "x": 18, "y": 0, "width": 6, "height": 3, "properties": {
            "title": "Records", "view": "singleValue", "stat": "Sum", "period": 300,
            "metrics": [["AWS/Kinesis", "IncomingRecords", "StreamName", "orders"]]}},
        {"type": "metric", "x": 18, "y": 3, "width": 6, "height": 3, "properties": {
            "title": "Bars", "view": "bar", "stat": "Sum", "period": 300,
            "metrics": [["AWS/Kinesis", "IncomingRecords", "StreamName", "orders"], ["...", "enriched"]]}},
        {"type": "text", "x": 0, "y": 6, "width": 12, "height": 4, "properties": {
            "markdown": "# Orders pipeline\n\nRecords **in**, <script>window.pwned = 1</script> [runbook](https://example.com/runbook)"}},
        {"type": "alarm", "x": 12, "y": 6, "width": 12, "height": 4, "properties": {
            "title": "Alarms", "alarms": ["arn:aws:cloudwatch:us-east-1:000000000000:alarm:orders-incoming"]}}
    ]});
    let encoded: String = url_encode(&body.to_string());
    b.goto(&format!("{base}/#/preview?body={encoded}"))
        .await
        .unwrap();
    b.wait_for(
        "document.querySelector('[data-widget=\"0\"]')?.dataset.peak === '50'",
        WAIT,
    )
    .await
    .unwrap();
    b.wait_for(
        "document.querySelector('[data-widget=\"1\"] .u-over') !== null",
        WAIT,
    )
    .await
    .unwrap();
    assert_eq!(
        b.eval("document.querySelector('[data-widget=\"2\"] .value').textContent")
            .await
            .unwrap(),
        "25"
    );
    assert_eq!(
        b.eval("document.querySelectorAll('[data-widget=\"3\"] .barrow').length")
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        b.eval("document.querySelector('[data-widget=\"4\"] h1').textContent")
            .await
            .unwrap(),
        "Orders pipeline"
    );
    assert_eq!(
        b.eval("[document.querySelectorAll('[data-widget=\"4\"] script').length, window.pwned === undefined]")
            .await
            .unwrap(),
        serde_json::json!([0, true]),
        "the text widget's raw HTML is text, not markup"
    );
    assert_eq!(
        b.eval("document.querySelector('[data-widget=\"5\"] .alarmrow').dataset.state")
            .await
            .unwrap(),
        "ALARM"
    );
    b.screenshot(&shots.join("dashboard.png")).await.unwrap();

    // The same body kept with PutDashboard (every metric widget names its region, as
    // CloudWatch requires): the Dashboards page lists it and renders it from GetDashboard.
    let mut stored = body.clone();
    for w in stored["widgets"].as_array_mut().unwrap() {
        if w["type"] == "metric" {
            w["properties"]["region"] = "us-east-1".into();
        }
    }
    let put = p
        .cloudwatch
        .put_dashboard()
        .dashboard_name("orders-board")
        .dashboard_body(stored.to_string())
        .send()
        .await
        .unwrap();
    assert!(put.dashboard_validation_messages().is_empty(), "{put:?}");
    b.goto(&format!("{base}/#/dashboards")).await.unwrap();
    b.wait_for(
        "[...document.querySelectorAll('ul.dashboards a')].some(a => a.textContent === 'orders-board')",
        WAIT,
    )
    .await
    .unwrap();
    b.goto(&format!("{base}/#/dashboard/orders-board"))
        .await
        .unwrap();
    b.wait_for(
        "document.querySelector('[data-widget=\"0\"]')?.dataset.peak === '50'",
        WAIT,
    )
    .await
    .unwrap();
    assert_eq!(
        b.eval("document.querySelector('[data-widget=\"4\"] h1').textContent")
            .await
            .unwrap(),
        "Orders pipeline"
    );
    b.screenshot(&shots.join("dashboard-stored.png"))
        .await
        .unwrap();

    let errors = b.errors();
    b.close().await;
    assert!(errors.is_empty(), "the page logged errors: {errors:?}");
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One raw HTTP/1.1 request; the status and the whole response.
async fn raw(addr: std::net::SocketAddr, request: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(request.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.expect("read");
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn console_refuses_other_sites_and_leaves_aws_calls_signed() {
    let p = Stack::start().await;
    let addr = p.server.addr();
    let get = |path: &str, extra: &str| {
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}\r\n")
    };

    // The address bar and the console's own page are answered, with the framing and source
    // restrictions.
    let (status, text) = raw(addr, &get("/", "Sec-Fetch-Site: none\r\n")).await;
    assert_eq!(status, 200);
    let lower = text.to_ascii_lowercase();
    assert!(lower.contains("x-frame-options: deny"), "{text}");
    assert!(lower.contains("frame-ancestors 'none'") && lower.contains("default-src 'self'"));
    let (status, _) = raw(
        addr,
        &get("/console/api/overview", "Sec-Fetch-Site: same-origin\r\n"),
    )
    .await;
    assert_eq!(status, 200);
    let own = format!("Origin: http://{addr}\r\n");
    assert_eq!(raw(addr, &get("/console/api/overview", &own)).await.0, 200);

    // Other sites' pages, foreign origins, rebinding hosts and writes are refused.
    for extra in [
        "Sec-Fetch-Site: cross-site\r\n",
        "Sec-Fetch-Site: same-site\r\n",
        "Origin: https://evil.example\r\n",
        "Origin: null\r\n",
    ] {
        let (status, _) = raw(addr, &get("/console/api/overview", extra)).await;
        assert_eq!(status, 403, "{extra}");
    }
    let rebound = "GET / HTTP/1.1\r\nHost: rebind.evil.example\r\nConnection: close\r\n\r\n";
    assert_eq!(raw(addr, rebound).await.0, 403);
    let post = format!(
        "POST /console/api/overview HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    assert_ne!(raw(addr, &post).await.0, 200);

    // The console's exception changes nothing for AWS calls: unsigned ones stay refused.
    let body = "{}";
    let unsigned = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, text) = raw(addr, &unsigned).await;
    assert_ne!(status, 200);
    assert!(text.contains("MissingAuthenticationToken"), "{text}");
    let lambda = get("/2015-03-31/functions", "");
    let (status, text) = raw(addr, &lambda).await;
    assert_eq!(status, 403);
    assert!(text.contains("MissingAuthenticationToken"), "{text}");

    // In a browser: a page of another site fetching the console's view model gets a 403
    // and nothing to read.
    let other = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other_port = other.local_addr().unwrap().port();
    let page = axum::Router::new().route(
        "/",
        axum::routing::get(|| async { axum::response::Html("<p>another site</p>") }),
    );
    let other_site = tokio::spawn(async move { axum::serve(other, page).await });
    let b = Browser::launch(800, 600).await.expect("chromium starts");
    // localhost and 127.0.0.1 are different sites to the browser.
    b.goto(&format!("http://localhost:{other_port}/"))
        .await
        .unwrap();
    b.wait_for("document.querySelector('p') !== null", WAIT)
        .await
        .unwrap();
    let target = format!("http://{addr}/console/api/overview");
    let read = b
        .eval(&format!(
            "fetch('{target}').then(r => r.text()).then(t => 'read: ' + t, e => 'refused: ' + e)"
        ))
        .await
        .unwrap();
    assert!(
        read.as_str().unwrap_or_default().starts_with("refused"),
        "{read}"
    );
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let seen = b.responses().into_iter().find(|(u, _)| *u == target);
        if let Some((_, status)) = seen {
            assert_eq!(status, 403, "the server refused the cross-site fetch");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no response seen for {target}: {:?}",
            b.responses()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    b.close().await;
    other_site.abort();
}
