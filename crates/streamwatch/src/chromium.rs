//! A headless chromium driven over the DevTools protocol (a WebSocket, JSON messages): open a
//! page, evaluate script, wait for a condition, take a PNG screenshot, and collect what the
//! page logged as errors. `bench console` times the console's first paint with it; the
//! console's browser tests include this file (`#[path]`) to drive it.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

type Pending = Arc<parking_lot::Mutex<HashMap<u64, oneshot::Sender<Value>>>>;

/// A running headless chromium with one page.
pub struct Browser {
    child: tokio::process::Child,
    profile: std::path::PathBuf,
    out: mpsc::UnboundedSender<Message>,
    pending: Pending,
    next_id: AtomicU64,
    session: String,
    errors: Arc<parking_lot::Mutex<Vec<String>>>,
    responses: Arc<parking_lot::Mutex<Vec<(String, u16)>>>,
}

/// The chromium binary: `$STREAMWATCH_CHROMIUM`, else `chromium` on the PATH.
pub fn chromium_binary() -> std::path::PathBuf {
    std::env::var_os("STREAMWATCH_CHROMIUM").map_or_else(|| "chromium".into(), Into::into)
}

impl Browser {
    /// Starts chromium headless with a fresh profile and opens a blank page of
    /// `width` x `height` CSS pixels.
    pub async fn launch(width: u32, height: u32) -> anyhow::Result<Browser> {
        let profile = std::env::temp_dir().join(format!(
            "streamwatch-chromium-{}-{}",
            std::process::id(),
            fastrand_id()
        ));
        std::fs::create_dir_all(&profile)?;
        let mut child = tokio::process::Command::new(chromium_binary())
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("--window-size={width},{height}"))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", chromium_binary().display()))?;
        let stderr = child.stderr.take().context("chromium's stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let ws_url = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.split("DevTools listening on ").nth(1) {
                    return Ok(url.trim().to_owned());
                }
            }
            Err(anyhow!("chromium exited before listening"))
        })
        .await
        .context("chromium did not start within 30 s")??;
        // Keep draining stderr so chromium never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

        let (ws, _) = tokio_tungstenite::connect_async(ws_url.as_str())
            .await
            .context("connecting to chromium's DevTools socket")?;
        let (mut sink, mut stream) = ws.split();
        let (out, mut out_rx) = mpsc::unbounded_channel::<Message>();
        tokio::spawn(async move {
            while let Some(m) = out_rx.recv().await {
                if sink.send(m).await.is_err() {
                    break;
                }
            }
        });
        let pending: Pending = Arc::default();
        let errors: Arc<parking_lot::Mutex<Vec<String>>> = Arc::default();
        let responses: Arc<parking_lot::Mutex<Vec<(String, u16)>>> = Arc::default();
        let (p, e, r) = (pending.clone(), errors.clone(), responses.clone());
        tokio::spawn(async move {
            let mut urls: HashMap<String, String> = HashMap::new();
            // Extra-info events may come before the request they belong to (Chrome does not
            // order them), so a status whose request is not yet known waits here for it.
            let mut early: HashMap<String, u16> = HashMap::new();
            while let Some(Ok(msg)) = stream.next().await {
                let Message::Text(text) = msg else { continue };
                let Ok(v) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                if let Some(id) = v.get("id").and_then(Value::as_u64) {
                    if let Some(tx) = p.lock().remove(&id) {
                        let _ = tx.send(v);
                    }
                    continue;
                }
                if let Some(err) = page_error(&v) {
                    e.lock().push(err);
                }
                // A response a script may not read (a refused cross-site fetch) shows only in
                // the extra-info event, which names the request by id.
                let params = &v["params"];
                match v["method"].as_str() {
                    Some("Network.requestWillBeSent") => {
                        if let (Some(id), Some(url)) = (
                            params["requestId"].as_str(),
                            params["request"]["url"].as_str(),
                        ) {
                            if let Some(status) = early.remove(id) {
                                r.lock().push((url.to_owned(), status));
                            }
                            urls.insert(id.to_owned(), url.to_owned());
                        }
                    }
                    Some("Network.responseReceivedExtraInfo") => {
                        if let (Some(id), Some(status)) =
                            (params["requestId"].as_str(), params["statusCode"].as_u64())
                        {
                            match urls.get(id) {
                                Some(url) => r.lock().push((url.clone(), status as u16)),
                                None => {
                                    early.insert(id.to_owned(), status as u16);
                                }
                            }
                        }
                    }
                    Some("Network.responseReceived") => {
                        let resp = &params["response"];
                        if let (Some(url), Some(status)) =
                            (resp["url"].as_str(), resp["status"].as_u64())
                        {
                            r.lock().push((url.to_owned(), status as u16));
                        }
                    }
                    _ => {}
                }
            }
        });
        let mut browser = Browser {
            child,
            profile,
            out,
            pending,
            next_id: AtomicU64::new(1),
            session: String::new(),
            errors,
            responses,
        };
        let target = browser
            .call_browser("Target.createTarget", json!({"url": "about:blank"}))
            .await?;
        let target_id = target["targetId"]
            .as_str()
            .context("a target id")?
            .to_owned();
        let attached = browser
            .call_browser(
                "Target.attachToTarget",
                json!({"targetId": target_id, "flatten": true}),
            )
            .await?;
        browser.session = attached["sessionId"]
            .as_str()
            .context("a session id")?
            .to_owned();
        for method in [
            "Page.enable",
            "Runtime.enable",
            "Log.enable",
            "Network.enable",
        ] {
            browser.call(method, json!({})).await?;
        }
        browser
            .call(
                "Emulation.setDeviceMetricsOverride",
                json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
            )
            .await?;
        Ok(browser)
    }

    async fn send(
        &self,
        method: &str,
        params: Value,
        session: Option<&str>,
    ) -> anyhow::Result<Value> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let (tx, rx) = oneshot::channel();
        self.pending.lock().insert(id, tx);
        self.out
            .send(Message::Text(msg.to_string().into()))
            .map_err(|_| anyhow!("the DevTools socket closed"))?;
        let reply = tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .with_context(|| format!("{method}: no answer within 30 s"))?
            .map_err(|_| anyhow!("{method}: the DevTools socket closed"))?;
        if let Some(err) = reply.get("error") {
            bail!("{method}: {err}");
        }
        Ok(reply.get("result").cloned().unwrap_or(Value::Null))
    }

    async fn call_browser(&self, method: &str, params: Value) -> anyhow::Result<Value> {
        self.send(method, params, None).await
    }

    /// Sends a DevTools command to the page; its result.
    pub async fn call(&self, method: &str, params: Value) -> anyhow::Result<Value> {
        self.send(method, params, Some(&self.session)).await
    }

    /// Navigates the page to `url`.
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        let r = self.call("Page.navigate", json!({"url": url})).await?;
        if let Some(e) = r.get("errorText").and_then(Value::as_str) {
            bail!("navigating to {url}: {e}");
        }
        Ok(())
    }

    /// Evaluates `expression` in the page (promises awaited); its value as JSON.
    pub async fn eval(&self, expression: &str) -> anyhow::Result<Value> {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            )
            .await?;
        if let Some(e) = r.get("exceptionDetails") {
            bail!("evaluating {expression}: {e}");
        }
        Ok(r["result"].get("value").cloned().unwrap_or(Value::Null))
    }

    /// Evaluates `expression` every 50 ms until it is truthy (its value) or `within` passes
    /// (an error naming the last value).
    pub async fn wait_for(&self, expression: &str, within: Duration) -> anyhow::Result<Value> {
        let deadline = Instant::now() + within;
        loop {
            let v = self.eval(expression).await.unwrap_or(Value::Null);
            let truthy = match &v {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64() != Some(0.0),
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return Ok(v);
            }
            if Instant::now() > deadline {
                bail!("waited {within:?} for `{expression}`; last value {v}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Writes a PNG of the page as it shows now to `path` (its folder created).
    pub async fn screenshot(&self, path: &Path) -> anyhow::Result<()> {
        let r = self
            .call("Page.captureScreenshot", json!({"format": "png"}))
            .await?;
        let data = r["data"].as_str().context("screenshot data")?;
        let png = base64::engine::general_purpose::STANDARD.decode(data)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, png)?;
        Ok(())
    }

    /// What the page logged as errors so far: console errors, uncaught exceptions, failed
    /// loads and Content-Security-Policy violations.
    pub fn errors(&self) -> Vec<String> {
        self.errors.lock().clone()
    }

    #[allow(
        dead_code,
        reason = "the console's browser tests read it; the bench does not"
    )]
    /// The `(url, status)` of every response the page received so far, as the network saw
    /// it (also those a script may not read, such as a refused cross-site fetch).
    pub fn responses(&self) -> Vec<(String, u16)> {
        self.responses.lock().clone()
    }

    /// Stops chromium and removes its profile.
    pub async fn close(mut self) {
        let _ = self.call_browser("Browser.close", json!({})).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
        let _ = self.child.kill().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The error a DevTools event reports, if it reports one.
fn page_error(v: &Value) -> Option<String> {
    let params = &v["params"];
    match v.get("method")?.as_str()? {
        "Runtime.consoleAPICalled" if params["type"] == "error" || params["type"] == "assert" => {
            let args: Vec<String> = params["args"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| {
                            x.get("value")
                                .map(|v| v.to_string())
                                .or_else(|| x.get("description").map(|d| d.to_string()))
                                .unwrap_or_default()
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(format!("console.error: {}", args.join(" ")))
        }
        "Runtime.exceptionThrown" => Some(format!(
            "exception: {}",
            params["exceptionDetails"]["exception"]["description"]
                .as_str()
                .or_else(|| params["exceptionDetails"]["text"].as_str())
                .unwrap_or("?")
        )),
        "Log.entryAdded" if params["entry"]["level"] == "error" => Some(format!(
            "log: {} {}",
            params["entry"]["text"].as_str().unwrap_or_default(),
            params["entry"]["url"].as_str().unwrap_or_default()
        )),
        _ => None,
    }
}

fn fastrand_id() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos().into())
}
