//! The engine running real functions through this crate's Runtime API: a binary on the
//! `lambda_runtime` crate (lambda-test-functions' examples/echo_function.rs) and a Python
//! handler under `awslambdaric`. Results, errors, timeouts, crashes, cold and warm starts, the
//! environment, reserved concurrency, logs and metrics.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use lambda_engine::{FunctionConfig, LambdaConfig, LambdaEngine, LambdaError};
use serde_json::{Value, json};

fn config(name: &str, timeout_secs: u32) -> FunctionConfig {
    FunctionConfig {
        name: name.into(),
        runtime: "provided.al2023".into(),
        handler: "bootstrap".into(),
        role: "arn:aws:iam::000000000000:role/test".into(),
        timeout_secs,
        memory_mb: 256,
        environment: BTreeMap::from([("GREETING".to_string(), "hello".to_string())]),
        description: String::new(),
        architectures: vec!["x86_64".into()],
        code_sha256: String::new(),
        code_size: 0,
        last_modified: String::new(),
        revision_id: String::new(),
        dead_letter_target: None,
        version: lambda_engine::function::LATEST.into(),
    }
}

fn engine(dir: &Path) -> (LambdaEngine, Arc<metric_store::Store>) {
    engine_with(LambdaConfig {
        code_root: dir.to_path_buf(),
        endpoint_url: Some("http://127.0.0.1:4567".into()),
        ..LambdaConfig::default()
    })
}

/// An engine with these settings, recording into a new store, its instances served by
/// this crate.
fn engine_with(config: LambdaConfig) -> (LambdaEngine, Arc<metric_store::Store>) {
    let store = Arc::new(metric_store::Store::new());
    let engine = LambdaEngine::new(config, store.clone());
    engine.set_runtime_api(Arc::new(lambda_runtime_api::RuntimeApiServer));
    (engine, store)
}

fn deploy(engine: &LambdaEngine, name: &str, timeout_secs: u32) {
    let binary = std::fs::read(lambda_test_functions::example_binary("echo_function"))
        .expect("function binary");
    let zip = function_zip::bootstrap_zip(&binary).expect("zip");
    let created = engine
        .create_function(config(name, timeout_secs), &zip, BTreeMap::new())
        .expect("create");
    assert_eq!(created.code_size, zip.len() as i64);
    assert_eq!(created.code_sha256.len(), 44, "base64 of 32 bytes");
}

fn json_of(bytes: &Bytes) -> Value {
    serde_json::from_slice(bytes).expect("JSON payload")
}

/// The values of a series over the last ten minutes, per minute, for one statistic.
fn recent(
    store: &metric_store::Store,
    key: &metric_store::MetricKey,
    statistic: metric_store::Statistic,
) -> Vec<f64> {
    let now = store.now_ms();
    store
        .query(key, now - 600_000, now + 60_000, 60, &[statistic])
        .expect("query")
        .iter()
        .filter_map(|d| d.values[0])
        .collect()
}

/// The Sum of a function's metric over the last ten minutes.
fn sum(store: &metric_store::Store, metric: &str, function: &str) -> f64 {
    let key = metric_store::MetricKey::new("AWS/Lambda", metric, [("FunctionName", function)])
        .expect("key");
    recent(store, &key, metric_store::Statistic::Sum)
        .iter()
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_function_answers_cold_then_warm() {
    let dir = tempfile::tempdir().expect("dir");
    let (engine, store) = engine(dir.path());
    deploy(&engine, "echo", 30);

    let first = engine
        .invoke("echo", Bytes::from(r#"{"hello":"world"}"#))
        .await
        .expect("invoke");
    assert_eq!(first.function_error, None, "{:?}", first.payload);
    let body = json_of(&first.payload);
    assert_eq!(body["echo"], json!({"hello": "world"}));
    assert_eq!(body["request_id"], first.request_id.as_str());
    assert_eq!(
        body["function_arn"],
        "arn:aws:lambda:us-east-1:000000000000:function:echo"
    );
    assert!(
        first.init_duration.is_some(),
        "the first invocation is a cold start"
    );
    // The log: the runtime's own lines, then START/END/REPORT with Init Duration.
    assert!(
        first.log.starts_with(&format!(
            "START RequestId: {} Version: $LATEST",
            first.request_id
        )),
        "{}",
        first.log
    );
    assert!(
        first
            .log
            .contains(&format!("END RequestId: {}", first.request_id)),
        "{}",
        first.log
    );
    let report = first.log.lines().last().expect("REPORT");
    assert!(
        report.starts_with(&format!(
            "REPORT RequestId: {}\tDuration: ",
            first.request_id
        )),
        "{report}"
    );
    assert!(
        report.contains("\tMemory Size: 256 MB\tMax Memory Used: "),
        "{report}"
    );
    assert!(report.contains("\tInit Duration: "), "{report}");
    let all = engine.logs("echo", 0).expect("logs");
    assert!(
        all.iter()
            .any(|e| e.message == "echo_function initialising"),
        "{all:?}"
    );

    let second = engine
        .invoke("echo", Bytes::from("{}"))
        .await
        .expect("invoke");
    assert_eq!(
        second.init_duration, None,
        "the second one finds the instance warm"
    );
    assert!(!second.log.contains("Init Duration"), "{}", second.log);

    // The environment Lambda sets, plus the function's own variables.
    let env = engine
        .invoke("echo", Bytes::from(r#"{"action":"env"}"#))
        .await
        .expect("invoke");
    let env = json_of(&env.payload);
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "echo");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert_eq!(env["AWS_LAMBDA_LOG_GROUP_NAME"], "/aws/lambda/echo");
    assert_eq!(env["AWS_REGION"], "us-east-1");
    assert_eq!(env["_HANDLER"], "bootstrap");
    assert_eq!(env["AWS_ENDPOINT_URL"], "http://127.0.0.1:4567");
    assert_eq!(env["GREETING"], "hello");
    assert!(
        env["AWS_LAMBDA_LOG_STREAM_NAME"]
            .as_str()
            .unwrap_or_default()
            .contains("/[$LATEST]")
    );

    // An error from the handler: Unhandled, with the runtime's error document.
    let failed = engine
        .invoke("echo", Bytes::from(r#"{"action":"fail"}"#))
        .await
        .expect("invoke");
    assert_eq!(failed.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(json_of(&failed.payload)["errorMessage"], "asked to fail");
    let after_error = engine
        .invoke("echo", Bytes::from("{}"))
        .await
        .expect("invoke");
    assert_eq!(
        after_error.init_duration, None,
        "an error keeps the instance warm"
    );

    // A crash mid-invocation, then a fresh (cold) instance.
    let crashed = engine
        .invoke("echo", Bytes::from(r#"{"action":"crash"}"#))
        .await
        .expect("invoke");
    assert_eq!(crashed.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(json_of(&crashed.payload)["errorType"], "Runtime.ExitError");
    let fresh = engine
        .invoke("echo", Bytes::from("{}"))
        .await
        .expect("invoke");
    assert!(fresh.init_duration.is_some());

    // Metrics by value: 7 invocations, 2 errors.
    assert_eq!(sum(&store, "Invocations", "echo"), 7.0);
    assert_eq!(sum(&store, "Errors", "echo"), 2.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_and_reserved_concurrency() {
    let dir = tempfile::tempdir().expect("dir");
    let (engine, store) = engine(dir.path());
    deploy(&engine, "slow", 1);

    let timed_out = engine
        .invoke("slow", Bytes::from(r#"{"action":"sleep","ms":3000}"#))
        .await
        .expect("invoke");
    assert_eq!(timed_out.function_error.as_deref(), Some("Unhandled"));
    let body = json_of(&timed_out.payload);
    assert_eq!(body["errorType"], "Sandbox.Timedout");
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .ends_with("Task timed out after 1.00 seconds"),
        "{body}"
    );
    assert!(
        timed_out.duration >= Duration::from_secs(1) && timed_out.duration < Duration::from_secs(3)
    );
    assert!(
        timed_out.log.contains("Task timed out after 1.00 seconds"),
        "{}",
        timed_out.log
    );

    // Reserved concurrency 1: a second concurrent invocation is throttled.
    engine
        .put_concurrency("slow", Some(1))
        .expect("concurrency");
    let busy = {
        let engine = engine.clone();
        tokio::spawn(async move {
            engine
                .invoke("slow", Bytes::from(r#"{"action":"sleep","ms":600}"#))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let throttled = engine.invoke("slow", Bytes::from("{}")).await;
    assert_eq!(
        throttled,
        Err(LambdaError::Throttled {
            reason: "ReservedFunctionConcurrentInvocationLimitExceeded"
        })
    );
    let done = busy.await.expect("task").expect("invoke");
    assert_eq!(done.function_error, None);
    assert_eq!(sum(&store, "Throttles", "slow"), 1.0);
    assert_eq!(
        sum(&store, "Invocations", "slow"),
        2.0,
        "a throttle is no invocation"
    );

    // Reserved concurrency 0 stops every invocation.
    engine
        .put_concurrency("slow", Some(0))
        .expect("concurrency");
    assert!(matches!(
        engine.invoke("slow", Bytes::from("{}")).await,
        Err(LambdaError::Throttled { .. })
    ));
    assert!(matches!(
        engine.invoke("missing", Bytes::from("{}")).await,
        Err(LambdaError::NotFound(_))
    ));
}

/// An engine whose Python functions run under the workspace's .venv (awslambdaric from PyPI,
/// installed by scripts/test.sh).
fn python_engine(dir: &Path) -> (LambdaEngine, Arc<metric_store::Store>) {
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.venv/bin/python3");
    assert!(
        Path::new(python).exists(),
        "{python} is missing: run the tests with scripts/test.sh"
    );
    engine_with(LambdaConfig {
        code_root: dir.to_path_buf(),
        python: PathBuf::from(python),
        ..LambdaConfig::default()
    })
}

/// Creates `name` from one `app.py` whose `handle` is the handler.
fn deploy_python(engine: &LambdaEngine, name: &str, handler: &[u8]) {
    let zip = function_zip::zip_files(&[("app.py", handler, 0o644)]).expect("zip");
    let mut config = config(name, 10);
    config.runtime = "python3.11".into();
    config.handler = "app.handle".into();
    engine
        .create_function(config, &zip, BTreeMap::new())
        .expect("create");
}

/// A Python handler under awslambdaric (PyPI, installed in .venv by scripts/test.sh).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_handler_runs_under_awslambdaric() {
    let dir = tempfile::tempdir().expect("dir");
    let (engine, store) = python_engine(dir.path());
    let handler = br#"
import os
print("module loaded")

def handle(event, context):
    if event.get("fail"):
        raise ValueError("bad input")
    return {
        "records": len(event.get("Records", [])),
        "function": context.function_name,
        "request_id": context.aws_request_id,
        "memory": context.memory_limit_in_mb,
        "greeting": os.environ.get("GREETING"),
    }
"#;
    deploy_python(&engine, "py", handler);
    let out = engine
        .invoke("py", Bytes::from(r#"{"Records":[{},{}]}"#))
        .await
        .expect("invoke");
    assert_eq!(out.function_error, None, "{:?} {}", out.payload, out.log);
    let body = json_of(&out.payload);
    assert_eq!(body["records"], 2);
    assert_eq!(body["function"], "py");
    assert_eq!(body["request_id"], out.request_id.as_str());
    assert_eq!(body["memory"], "256");
    assert_eq!(body["greeting"], "hello");
    assert!(out.init_duration.is_some());
    let failed = engine
        .invoke("py", Bytes::from(r#"{"fail":true}"#))
        .await
        .expect("invoke");
    assert_eq!(failed.function_error.as_deref(), Some("Unhandled"));
    let error = json_of(&failed.payload);
    assert_eq!(error["errorType"], "ValueError");
    assert_eq!(error["errorMessage"], "bad input");
    let logs = engine.logs("py", 0).expect("logs");
    assert!(
        logs.iter().any(|e| e.message.contains("module loaded")),
        "{logs:?}"
    );
    assert_eq!(sum(&store, "Errors", "py"), 1.0);
}

/// What a web page could send to an instance's Runtime API (a foreign Host through DNS
/// rebinding, a cross-origin request with Origin and Sec-Fetch-*) is refused, while the
/// instance's own runtime is served: the handler itself tries each one from inside.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_instance_reaches_its_runtime_api() {
    let dir = tempfile::tempdir().expect("dir");
    let (engine, _store) = python_engine(dir.path());
    let handler = br#"
import http.client, os

def status(headers):
    conn = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"], timeout=5)
    conn.putrequest("GET", "/2018-06-01/runtime/invocation/next", skip_host=True)
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.endheaders()
    answer = conn.getresponse()
    answer.read()
    return answer.status

def handle(event, context):
    here = os.environ["AWS_LAMBDA_RUNTIME_API"]
    return {
        "foreign_host": status({"Host": "rebound.example:" + here.split(":")[1]}),
        "origin": status({"Host": here, "Origin": "https://page.example"}),
        "sec_fetch": status({"Host": here, "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Site": "cross-site"}),
    }
"#;
    deploy_python(&engine, "guarded", handler);
    let out = engine
        .invoke("guarded", Bytes::from("{}"))
        .await
        .expect("invoke");
    assert_eq!(out.function_error, None, "{:?} {}", out.payload, out.log);
    assert_eq!(
        json_of(&out.payload),
        json!({"foreign_host": 403, "origin": 403, "sec_fetch": 403})
    );
    // The refused calls took no event: the next invocation is served as usual.
    let again = engine
        .invoke("guarded", Bytes::from("{}"))
        .await
        .expect("invoke");
    assert_eq!(again.function_error, None, "{:?}", again.payload);
}

/// Asynchronous events: accepted at once, a failing one retried with the same request id
/// (MaximumRetryAttempts 1, short waits here) and then dropped, with the async metrics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_retried_then_dropped() {
    let dir = tempfile::tempdir().expect("dir");
    let (engine, store) = engine_with(LambdaConfig {
        code_root: dir.path().to_path_buf(),
        async_retry_delays: [Duration::from_millis(100), Duration::from_millis(200)],
        ..LambdaConfig::default()
    });
    deploy(&engine, "events", 30);
    let bad = engine.put_event_invoke_config(
        "events",
        lambda_engine::async_invoke::EventInvokeConfig {
            maximum_retry_attempts: 3,
            ..Default::default()
        },
    );
    assert!(matches!(bad, Err(LambdaError::InvalidParameter(_))));
    engine
        .put_event_invoke_config(
            "events",
            lambda_engine::async_invoke::EventInvokeConfig {
                maximum_retry_attempts: 1,
                ..Default::default()
            },
        )
        .expect("config");
    let ok_id = engine
        .invoke_event("events", Bytes::from("{}"))
        .expect("accepted");
    let failing_id = engine
        .invoke_event("events", Bytes::from(r#"{"action":"fail"}"#))
        .expect("accepted");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let starts = |id: &str| {
        engine
            .logs("events", 0)
            .expect("logs")
            .iter()
            .filter(|e| e.message.starts_with(&format!("START RequestId: {id} ")))
            .count()
    };
    while (starts(&failing_id) < 2 || sum(&store, "AsyncEventsDropped", "events") < 1.0)
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(starts(&ok_id), 1);
    assert_eq!(
        starts(&failing_id),
        2,
        "one try and one retry, same request id"
    );
    assert_eq!(sum(&store, "AsyncEventsReceived", "events"), 2.0);
    assert_eq!(sum(&store, "AsyncEventsDropped", "events"), 1.0);
    assert_eq!(sum(&store, "Invocations", "events"), 3.0);
    assert_eq!(sum(&store, "Errors", "events"), 2.0);
    // AsyncEventAge: one value per attempt; the retry waited at least the 100 ms delay.
    let age =
        metric_store::MetricKey::new("AWS/Lambda", "AsyncEventAge", [("FunctionName", "events")])
            .expect("key");
    let count: f64 = recent(&store, &age, metric_store::Statistic::SampleCount)
        .iter()
        .sum();
    assert_eq!(count, 3.0);
    let oldest = recent(&store, &age, metric_store::Statistic::Maximum)
        .into_iter()
        .fold(0.0, f64::max);
    assert!(oldest >= 100.0, "retried after its delay: {oldest} ms");
    assert!(matches!(
        engine.invoke_event("events", Bytes::from(vec![b' '; 1024 * 1024 + 1])),
        Err(LambdaError::RequestTooLarge)
    ));
}

/// Functions without reserved concurrency share the account's unreserved pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unreserved_pool_is_shared() {
    let dir = tempfile::tempdir().expect("dir");
    let (engine, store) = engine_with(LambdaConfig {
        code_root: dir.path().to_path_buf(),
        account_concurrency: 1,
        ..LambdaConfig::default()
    });
    deploy(&engine, "first", 30);
    deploy(&engine, "second", 30);
    let busy = {
        let engine = engine.clone();
        tokio::spawn(async move {
            engine
                .invoke("first", Bytes::from(r#"{"action":"sleep","ms":800}"#))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        engine.invoke("second", Bytes::from("{}")).await,
        Err(LambdaError::Throttled {
            reason: "ConcurrentInvocationLimitExceeded"
        })
    );
    busy.await.expect("task").expect("invoke");
    let after = engine
        .invoke("second", Bytes::from("{}"))
        .await
        .expect("invoke");
    assert_eq!(after.function_error, None);
    let peak = |metric: &str| {
        let key =
            metric_store::MetricKey::new("AWS/Lambda", metric, std::iter::empty::<(&str, &str)>())
                .expect("key");
        recent(&store, &key, metric_store::Statistic::Maximum)
            .into_iter()
            .fold(0.0, f64::max)
    };
    assert_eq!(peak("UnreservedConcurrentExecutions"), 1.0);
    assert_eq!(peak("ClaimedAccountConcurrency"), 1.0);
    assert_eq!(peak("ConcurrentExecutions"), 1.0);
}
