//! Issue 19 item 6 in a real headless chromium: a page served from an allowed origin
//! (127.0.0.1 on another port, allowed by the default localhost rule) calls Kinesis and SQS
//! on the engine cross-origin and succeeds, reading the exposed `x-amzn-RequestId`; the same
//! page served from 127.0.0.2 (not a localhost origin) is refused by the browser (its
//! preflight gets no `Access-Control-Allow-Origin`, so the fetch rejects) and its call never
//! runs. The first test's page signs with a SigV4-shaped `Authorization` header through
//! `fetch`, so each status and body is seen as sent; the second's page runs the AWS SDK for
//! JavaScript v3 itself (`@aws-sdk/client-kinesis`, bundled for the browser by esbuild from
//! `tests/peers`), with every header the SDK sends preflighted. Screenshots of the pages go
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

/// Asserts a page's call failed in the browser (CORS refused it) without an answer.
fn assert_refused_by_the_browser(attempt: &serde_json::Value) {
    assert_eq!(attempt["ok"], false, "{attempt}");
    assert!(
        attempt["error"]
            .as_str()
            .unwrap_or_default()
            .contains("Failed to fetch"),
        "{attempt}"
    );
}

/// The streams the engine holds, read back outside the browser.
async fn stream_names(p: &Stack) -> Vec<String> {
    p.kinesis
        .list_streams()
        .send()
        .await
        .expect("list streams")
        .stream_names
}

/// Serves `html` at `/` on `ip`, port 0; the address and the task.
async fn serve_page(ip: &str, html: String) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    serve_page_with_script(ip, html, String::new()).await
}

/// Serves `html` at `/` and `script` at `/sdk.js` on `ip`, port 0; the address and the task.
async fn serve_page_with_script(
    ip: &str,
    html: String,
    script: String,
) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind(format!("{ip}:0"))
        .await
        .unwrap_or_else(|e| panic!("bind {ip}: {e}"));
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::get(move || {
                let html = html.clone();
                async move { axum::response::Html(html) }
            }),
        )
        .route(
            "/sdk.js",
            axum::routing::get(move || {
                let script = script.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "text/javascript")],
                        script,
                    )
                }
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
    assert_refused_by_the_browser(&attempt);
    b.screenshot(&shots.join("cors-refused-origin.png"))
        .await
        .unwrap();
    assert_eq!(stream_names(&p).await, ["from-the-browser"]);
    b.close().await;
    allowed_task.abort();
    refused_task.abort();
}

/// `@aws-sdk/client-kinesis` bundled for a browser page as the global `AwsSdk`, by the esbuild
/// that `npm ci --prefix tests/peers` installs (scripts/test.sh does).
fn bundled_kinesis_sdk() -> String {
    let peers = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/peers");
    let esbuild = peers.join("node_modules/.bin/esbuild");
    assert!(
        esbuild.exists(),
        "{} is missing: run `npm ci --prefix tests/peers` (scripts/test.sh does)",
        esbuild.display()
    );
    let out = tempfile::tempdir().expect("a temporary directory");
    let bundle = out.path().join("sdk.js");
    let status = std::process::Command::new(&esbuild)
        .current_dir(&peers)
        .args([
            "browser_kinesis.mjs",
            "--bundle",
            "--format=iife",
            "--global-name=AwsSdk",
            "--platform=browser",
            "--log-level=warning",
        ])
        .arg(format!("--outfile={}", bundle.display()))
        .status()
        .expect("esbuild runs");
    assert!(status.success(), "esbuild failed: {status}");
    std::fs::read_to_string(&bundle).expect("the bundle")
}

/// A page that loads the bundled SDK and offers `sdk(operation, input)`: the command's output
/// (or the error's name and text), also written into the page for the screenshot.
fn sdk_page(engine: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>SDK page</title>
<style>body{{font:14px sans-serif;margin:20px}} li.ok{{color:#080}} li.refused{{color:#b00}}</style>
<script src="/sdk.js"></script></head>
<body><h1>The AWS SDK for JavaScript v3 at <span id="origin"></span> calling {engine}</h1><ul id="log"></ul>
<script>
document.getElementById('origin').textContent = location.origin;
const client = new AwsSdk.KinesisClient({{region: 'us-east-1', endpoint: '{engine}', maxAttempts: 1,
  credentials: {{accessKeyId: 'AKIDBROWSER', secretAccessKey: 'browser-secret'}}}});
async function sdk(operation, input) {{
  const li = document.createElement('li');
  try {{
    const out = await client.send(new AwsSdk[operation + 'Command'](input));
    li.className = 'ok'; li.textContent = operation + ' -> ' + JSON.stringify(out);
    document.getElementById('log').appendChild(li);
    return {{ok: true, out: JSON.parse(JSON.stringify(out))}};
  }} catch (e) {{
    li.className = 'refused'; li.textContent = operation + ' -> ' + e.name + ': ' + e.message;
    document.getElementById('log').appendChild(li);
    return {{ok: false, name: e.name, error: String(e)}};
  }}
}}
</script></body></html>"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_javascript_sdk_in_an_allowed_page_calls_kinesis_and_another_origin_is_refused() {
    let p = Stack::start().await;
    let engine = p.endpoint();
    let script = bundled_kinesis_sdk();
    let html = sdk_page(&engine);
    let (allowed, allowed_task) =
        serve_page_with_script("127.0.0.1", html.clone(), script.clone()).await;
    let (refused, refused_task) = serve_page_with_script("127.0.0.2", html, script).await;
    let shots = screenshots();
    let b = Browser::launch(1100, 500).await.expect("chromium starts");

    b.goto(&format!("http://{allowed}/")).await.unwrap();
    b.wait_for(
        "typeof sdk === 'function' && typeof AwsSdk === 'object'",
        WAIT,
    )
    .await
    .unwrap();
    let created = b
        .eval("sdk('CreateStream', {StreamName: 'sdk-in-the-browser', ShardCount: 1})")
        .await
        .unwrap();
    assert_eq!(created["ok"], true, "{created}");
    // The SDK read the request id from the exposed header.
    assert_eq!(
        created["out"]["$metadata"]["requestId"]
            .as_str()
            .map(str::len),
        Some(36),
        "{created}"
    );
    assert_eq!(created["out"]["$metadata"]["httpStatusCode"], 200);
    let put = b
        .eval("sdk('PutRecord', {StreamName: 'sdk-in-the-browser', PartitionKey: 'k', Data: new TextEncoder().encode('from a page')})")
        .await
        .unwrap();
    assert_eq!(put["ok"], true, "{put}");
    assert_eq!(put["out"]["ShardId"], "shardId-000000000000", "{put}");
    let listed = b.eval("sdk('ListStreams', {})").await.unwrap();
    assert_eq!(
        listed["out"]["StreamNames"],
        serde_json::json!(["sdk-in-the-browser"]),
        "{listed}"
    );
    // An AWS error reaches the SDK as its modelled exception, through CORS.
    let missing = b
        .eval("sdk('PutRecord', {StreamName: 'no-such-stream', PartitionKey: 'k', Data: new Uint8Array([1])})")
        .await
        .unwrap();
    assert_eq!(missing["name"], "ResourceNotFoundException", "{missing}");
    b.screenshot(&shots.join("cors-sdk-allowed-origin.png"))
        .await
        .unwrap();

    b.goto(&format!("http://{refused}/")).await.unwrap();
    b.wait_for(
        "typeof sdk === 'function' && typeof AwsSdk === 'object'",
        WAIT,
    )
    .await
    .unwrap();
    let attempt = b
        .eval("sdk('CreateStream', {StreamName: 'sdk-from-another-origin', ShardCount: 1})")
        .await
        .unwrap();
    assert_refused_by_the_browser(&attempt);
    b.screenshot(&shots.join("cors-sdk-refused-origin.png"))
        .await
        .unwrap();
    assert_eq!(stream_names(&p).await, ["sdk-in-the-browser"]);
    let iterator = p
        .kinesis
        .get_shard_iterator()
        .stream_name("sdk-in-the-browser")
        .shard_id("shardId-000000000000")
        .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
        .send()
        .await
        .expect("iterator")
        .shard_iterator
        .expect("an iterator");
    let records = p
        .kinesis
        .get_records()
        .shard_iterator(iterator)
        .send()
        .await
        .expect("records")
        .records;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].data.as_ref(), b"from a page");
    b.close().await;
    allowed_task.abort();
    refused_task.abort();
}
