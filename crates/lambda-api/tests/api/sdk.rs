//! The Lambda API judged by aws-sdk-lambda: every operation served, with a real function
//! binary (lambda-test-functions' examples/echo_function.rs, on the `lambda_runtime` crate)
//! behind Invoke.

use std::sync::Arc;

use aws_sdk_lambda::error::ProvideErrorMetadata;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Environment, FunctionCode, InvocationType, LogType, Runtime};
use base64::Engine as _;
use serde_json::Value;

async fn start() -> (aws_sdk_lambda::Client, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("dir");
    let engine = lambda_engine::LambdaEngine::new(
        lambda_engine::LambdaConfig {
            code_root: dir.path().to_path_buf(),
            ..lambda_engine::LambdaConfig::default()
        },
        Arc::new(metric_store::Store::new()),
    );
    engine.set_runtime_api(Arc::new(lambda_runtime_api::RuntimeApiServer));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    let app = axum::Router::new().fallback(serve).with_state(engine);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let client = aws_sdk_lambda::Client::from_conf(
        aws_sdk_lambda::Config::builder()
            .behavior_version(aws_sdk_lambda::config::BehaviorVersion::latest())
            .region(aws_sdk_lambda::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_lambda::config::Credentials::new(
                "AKID", "secret", None, None, "test",
            ))
            .endpoint_url(endpoint)
            .build(),
    );
    (client, dir)
}

/// The HTTP side the server plays: each request to [`lambda_api::handle`], its reply back.
async fn serve(
    axum::extract::State(engine): axum::extract::State<lambda_engine::LambdaEngine>,
    req: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, lambda_api::MAX_REQUEST_BYTES)
        .await
        .expect("body");
    let headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
        .collect();
    let request = aws_wire::Request {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &headers,
        body: &body,
        request_id: "test",
    };
    let reply = lambda_api::handle(&engine, &request).await;
    let mut resp = axum::response::Response::new(axum::body::Body::from(reply.body));
    *resp.status_mut() = axum::http::StatusCode::from_u16(reply.status).expect("status");
    if let Some(ct) = reply.content_type {
        resp.headers_mut()
            .insert("content-type", axum::http::HeaderValue::from_static(ct));
    }
    for (name, value) in reply.headers {
        resp.headers_mut().insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            axum::http::HeaderValue::from_str(&value).expect("header"),
        );
    }
    resp
}

fn zip() -> Blob {
    let binary =
        std::fs::read(lambda_test_functions::example_binary("echo_function")).expect("binary");
    Blob::new(function_zip::bootstrap_zip(&binary).expect("zip"))
}

async fn create(client: &aws_sdk_lambda::Client, name: &str) {
    client
        .create_function()
        .function_name(name)
        .runtime(Runtime::Providedal2023)
        .role("arn:aws:iam::000000000000:role/lambda")
        .handler("bootstrap")
        .timeout(5)
        .memory_size(256)
        .environment(Environment::builder().variables("GREETING", "hi").build())
        .tags("team", "data")
        .code(FunctionCode::builder().zip_file(zip()).build())
        .send()
        .await
        .expect("create");
}

fn payload(out: &aws_sdk_lambda::operation::invoke::InvokeOutput) -> Value {
    serde_json::from_slice(out.payload().expect("payload").as_ref()).expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn functions_through_the_sdk() {
    let (client, _dir) = start().await;
    create(&client, "echo").await;
    create(&client, "other").await;

    let got = client
        .get_function()
        .function_name("echo")
        .send()
        .await
        .expect("get");
    let config = got.configuration().expect("configuration");
    assert_eq!(config.function_name(), Some("echo"));
    assert_eq!(
        config.function_arn(),
        Some("arn:aws:lambda:us-east-1:000000000000:function:echo")
    );
    assert_eq!(config.runtime(), Some(&Runtime::Providedal2023));
    assert_eq!(config.timeout(), Some(5));
    assert_eq!(config.memory_size(), Some(256));
    assert_eq!(config.version(), Some("$LATEST"));
    assert_eq!(config.state().map(|s| s.as_str()), Some("Active"));
    assert!(config.code_size() > 0);
    assert_eq!(
        got.tags().and_then(|t| t.get("team")).map(String::as_str),
        Some("data")
    );

    // Creating it again conflicts; an unknown one is not found.
    let dup = client
        .create_function()
        .function_name("echo")
        .runtime(Runtime::Providedal2023)
        .role("arn:aws:iam::000000000000:role/lambda")
        .code(FunctionCode::builder().zip_file(zip()).build())
        .send()
        .await
        .expect_err("duplicate");
    assert_eq!(dup.code(), Some("ResourceConflictException"));
    let missing = client
        .get_function_configuration()
        .function_name("nope")
        .send()
        .await
        .expect_err("missing");
    assert_eq!(missing.code(), Some("ResourceNotFoundException"));

    // ListFunctions pages by Marker.
    let first = client
        .list_functions()
        .max_items(1)
        .send()
        .await
        .expect("list");
    assert_eq!(first.functions().len(), 1);
    let marker = first.next_marker().expect("a next page").to_string();
    let second = client
        .list_functions()
        .marker(marker)
        .max_items(10)
        .send()
        .await
        .expect("list");
    assert_eq!(second.functions().len(), 1);
    assert_eq!(second.next_marker(), None);

    // Invoke with the log tail, by ARN.
    let out = client
        .invoke()
        .function_name("arn:aws:lambda:us-east-1:000000000000:function:echo")
        .payload(Blob::new(r#"{"n":1}"#))
        .log_type(LogType::Tail)
        .send()
        .await
        .expect("invoke");
    assert_eq!(out.status_code(), 200);
    assert_eq!(out.function_error(), None);
    assert_eq!(out.executed_version(), Some("$LATEST"));
    assert_eq!(payload(&out)["echo"]["n"], 1);
    let log = base64::engine::general_purpose::STANDARD
        .decode(out.log_result().expect("log tail"))
        .expect("base64");
    let log = String::from_utf8(log).expect("utf-8");
    assert!(
        log.contains("START RequestId: ") && log.contains("REPORT RequestId: "),
        "{log}"
    );

    // A failing handler: status 200 with X-Amz-Function-Error.
    let failed = client
        .invoke()
        .function_name("echo")
        .payload(Blob::new(r#"{"action":"fail"}"#))
        .send()
        .await
        .expect("invoke");
    assert_eq!(failed.function_error(), Some("Unhandled"));
    assert_eq!(payload(&failed)["errorMessage"], "asked to fail");

    // DryRun and Event.
    let dry = client
        .invoke()
        .function_name("echo")
        .invocation_type(InvocationType::DryRun)
        .send()
        .await
        .expect("dry run");
    assert_eq!(dry.status_code(), 204);
    let event = client
        .invoke()
        .function_name("echo")
        .invocation_type(InvocationType::Event)
        .payload(Blob::new("{}"))
        .send()
        .await
        .expect("event");
    assert_eq!(event.status_code(), 202);
    let bad = client
        .invoke()
        .function_name("echo")
        .payload(Blob::new("not json"))
        .send()
        .await
        .expect_err("bad payload");
    assert_eq!(bad.code(), Some("InvalidRequestContentException"));

    // Configuration and code updates reach the next invocation.
    let updated = client
        .update_function_configuration()
        .function_name("echo")
        .environment(
            Environment::builder()
                .variables("GREETING", "bonjour")
                .build(),
        )
        .timeout(7)
        .send()
        .await
        .expect("update");
    assert_eq!(updated.timeout(), Some(7));
    let env = client
        .invoke()
        .function_name("echo")
        .payload(Blob::new(r#"{"action":"env"}"#))
        .send()
        .await
        .expect("invoke");
    assert_eq!(payload(&env)["GREETING"], "bonjour");
    let before = config.revision_id().map(str::to_string);
    let code = client
        .update_function_code()
        .function_name("echo")
        .zip_file(zip())
        .send()
        .await
        .expect("update code");
    assert_ne!(code.revision_id().map(str::to_string), before);
    let bad_timeout = client
        .update_function_configuration()
        .function_name("echo")
        .timeout(901)
        .send()
        .await
        .expect_err("timeout over 900");
    assert_eq!(bad_timeout.code(), Some("InvalidParameterValueException"));

    // Reserved concurrency: 0 throttles every invocation.
    client
        .put_function_concurrency()
        .function_name("echo")
        .reserved_concurrent_executions(0)
        .send()
        .await
        .expect("put concurrency");
    let reserved = client
        .get_function_concurrency()
        .function_name("echo")
        .send()
        .await
        .expect("get concurrency");
    assert_eq!(reserved.reserved_concurrent_executions(), Some(0));
    let throttled = client
        .invoke()
        .function_name("echo")
        .payload(Blob::new("{}"))
        .send()
        .await
        .expect_err("throttled");
    assert_eq!(throttled.code(), Some("TooManyRequestsException"));
    client
        .delete_function_concurrency()
        .function_name("echo")
        .send()
        .await
        .expect("delete concurrency");
    let none = client
        .get_function_concurrency()
        .function_name("echo")
        .send()
        .await
        .expect("get concurrency");
    assert_eq!(none.reserved_concurrent_executions(), None);

    // Tags.
    let arn = "arn:aws:lambda:us-east-1:000000000000:function:echo";
    client
        .tag_resource()
        .resource(arn)
        .tags("env", "dev")
        .tags("cost center", "42")
        .send()
        .await
        .expect("tag");
    client
        .untag_resource()
        .resource(arn)
        .tag_keys("cost center")
        .send()
        .await
        .expect("untag");
    let tags = client
        .list_tags()
        .resource(arn)
        .send()
        .await
        .expect("list tags");
    let tags = tags.tags().expect("tags");
    assert_eq!(tags.len(), 2, "{tags:?}");
    assert_eq!(tags.get("env").map(String::as_str), Some("dev"));

    // Asynchronous invocation settings.
    let put = client
        .put_function_event_invoke_config()
        .function_name("echo")
        .maximum_retry_attempts(1)
        .maximum_event_age_in_seconds(600)
        .send()
        .await
        .expect("put event invoke config");
    assert_eq!(put.maximum_retry_attempts(), Some(1));
    let updated = client
        .update_function_event_invoke_config()
        .function_name("echo")
        .maximum_retry_attempts(0)
        .send()
        .await
        .expect("update event invoke config");
    assert_eq!(
        (
            updated.maximum_retry_attempts(),
            updated.maximum_event_age_in_seconds()
        ),
        (Some(0), Some(600)),
        "an update keeps what it leaves out"
    );
    let bad = client
        .put_function_event_invoke_config()
        .function_name("echo")
        .maximum_retry_attempts(3)
        .send()
        .await
        .expect_err("over 2 retries");
    assert_eq!(bad.code(), Some("InvalidParameterValueException"));
    client
        .delete_function_event_invoke_config()
        .function_name("echo")
        .send()
        .await
        .expect("delete event invoke config");
    let none = client
        .get_function_event_invoke_config()
        .function_name("echo")
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(none.code(), Some("ResourceNotFoundException"));

    // Account settings.
    let settings = client
        .get_account_settings()
        .send()
        .await
        .expect("settings");
    let limit = settings.account_limit().expect("limit");
    assert_eq!(limit.concurrent_executions(), 1000);
    assert_eq!(
        settings.account_usage().map(|u| u.function_count()),
        Some(2)
    );

    // Delete.
    client
        .delete_function()
        .function_name("other")
        .send()
        .await
        .expect("delete");
    let gone = client
        .get_function()
        .function_name("other")
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(gone.code(), Some("ResourceNotFoundException"));
}
