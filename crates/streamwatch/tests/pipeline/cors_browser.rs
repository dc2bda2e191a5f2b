//! Issue 19 item 6 in a real headless chromium: a page served from an allowed origin
//! (127.0.0.1 on another port, allowed by the default localhost rule) calls Kinesis and SQS
//! on the engine cross-origin and succeeds, reading the exposed `x-amzn-RequestId`; the same
//! page served from 127.0.0.2 (not a localhost origin) is refused by the browser (its
//! preflight gets no `Access-Control-Allow-Origin`, so the fetch rejects) and its call never
//! runs. The page signs with a SigV4-shaped `Authorization` header through `fetch` rather
//! than the AWS SDK for JavaScript: the SDK's browser build needs a bundler the test
//! machine does not have, and the engine accepts any well-formed signature by default; the
//! headers the browser preflights are the ones the SDK sends. Screenshots of both pages go
//! to `target/console-screenshots/` (or `$STREAMWATCH_SCREENSHOTS`).

use std::time::Duration;

use testkit::Stack;

use super::console::chromium::Browser;
use super::console::screenshots;

const WAIT: Duration = Duration::from_secs(30);

/// The page: `call(service, target, body)` signs and POSTs to the engine, writing each
/// outcome into the page so the screenshot shows it.
fn page(engine: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>CORS page</title>
<style>body{{font:14px sans-serif;margin:20px}} li.ok{{color:#080}} li.refused{{color:#b00}}</style></head>
<body><h1>A page at <span id="origin"></span> calling the engine at {engine}</h1><ul id="log"></ul>
<script>
document.getElementById('origin').textContent = location.origin;
const ENGINE = '{engine}';
function amzDate() {{ return new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, ''); }}
async function call(service, target, contentType, body) {{
  const date = amzDate();
  const auth = 'AWS4-HMAC-SHA256 Credential=AKIDBROWSER/' + date.slice(0, 8) + '/us-east-1/' + service +
    '/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=' + '0'.repeat(64);
  const li = document.createElement('li');
  try {{
    const r = await fetch(ENGINE + '/', {{method: 'POST', body: JSON.stringify(body), headers: {{
      'Content-Type': contentType, 'X-Amz-Target': target, 'X-Amz-Date': date,
      'Authorization': auth, 'X-Amz-User-Agent': 'aws-sdk-js/3 cors-test'}}}});
    const text = await r.text();
    const out = {{ok: true, status: r.status, requestId: r.headers.get('x-amzn-RequestId'), body: text}};
    li.className = 'ok'; li.textContent = target + ' -> ' + r.status + ' ' + text + ' (request id ' + out.requestId + ')';
    document.getElementById('log').appendChild(li);
    return out;
  }} catch (e) {{
    li.className = 'refused'; li.textContent = target + ' -> refused by the browser: ' + e;
    document.getElementById('log').appendChild(li);
    return {{ok: false, error: String(e)}};
  }}
}}
</script></body></html>"#
    )
}

/// Serves `html` at `/` on `ip`, port 0; the address and the task.
async fn serve_page(ip: &str, html: String) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind(format!("{ip}:0"))
        .await
        .unwrap_or_else(|e| panic!("bind {ip}: {e}"));
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let html = html.clone();
            async move { axum::response::Html(html) }
        }),
    );
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, task)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_on_an_allowed_origin_calls_the_engine_and_another_is_refused() {
    let p = Stack::start().await;
    let engine = p.endpoint();
    let html = page(&engine);
    let (allowed, allowed_task) = serve_page("127.0.0.1", html.clone()).await;
    let (refused, refused_task) = serve_page("127.0.0.2", html).await;
    let shots = screenshots();
    let b = Browser::launch(1100, 500).await.expect("chromium starts");

    // Allowed: the preflight is answered, the calls run, the page reads the request id.
    b.goto(&format!("http://{allowed}/")).await.unwrap();
    b.wait_for("typeof call === 'function'", WAIT)
        .await
        .unwrap();
    let created = b
        .eval("call('kinesis', 'Kinesis_20131202.CreateStream', 'application/x-amz-json-1.1', {StreamName: 'from-the-browser', ShardCount: 1})")
        .await
        .unwrap();
    assert_eq!(created["ok"], true, "{created}");
    assert_eq!(created["status"], 200, "{created}");
    assert_eq!(
        created["requestId"].as_str().map(str::len),
        Some(36),
        "{created}"
    );
    let listed = b
        .eval("call('kinesis', 'Kinesis_20131202.ListStreams', 'application/x-amz-json-1.1', {})")
        .await
        .unwrap();
    assert!(
        listed["body"]
            .as_str()
            .unwrap_or_default()
            .contains("from-the-browser"),
        "{listed}"
    );
    let queue = b
        .eval("call('sqs', 'AmazonSQS.CreateQueue', 'application/x-amz-json-1.0', {QueueName: 'browser-queue'})")
        .await
        .unwrap();
    assert_eq!(queue["status"], 200, "{queue}");
    b.screenshot(&shots.join("cors-allowed-origin.png"))
        .await
        .unwrap();

    // Refused: another origin's page gets nothing, and its call does not run.
    b.goto(&format!("http://{refused}/")).await.unwrap();
    b.wait_for("typeof call === 'function'", WAIT)
        .await
        .unwrap();
    let attempt = b
        .eval("call('kinesis', 'Kinesis_20131202.CreateStream', 'application/x-amz-json-1.1', {StreamName: 'from-another-origin', ShardCount: 1})")
        .await
        .unwrap();
    assert_eq!(attempt["ok"], false, "{attempt}");
    assert!(
        attempt["error"]
            .as_str()
            .unwrap_or_default()
            .contains("Failed to fetch"),
        "{attempt}"
    );
    b.screenshot(&shots.join("cors-refused-origin.png"))
        .await
        .unwrap();
    let streams = p
        .kinesis
        .list_streams()
        .send()
        .await
        .expect("list streams")
        .stream_names;
    assert_eq!(streams, ["from-the-browser"]);
    b.close().await;
    allowed_task.abort();
    refused_task.abort();
}
