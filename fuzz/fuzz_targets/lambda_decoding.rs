//! Arbitrary requests through `lambda_api::handle`, over an engine whose code root is a
//! temporary directory and which holds one function, `f` (its code never runs).
//!
//! Input: a method selector byte, an operation selector byte, then
//! `<label>\n<query>\n<body>`. The operation's URI template gets `<label>` for each of its
//! `{Label}`s (selector 255: `<label>` is the whole path instead); the method is the
//! operation's own unless the method selector is 200 or more, which picks one of GET, POST,
//! PUT, DELETE, PATCH. Operations that start work in the background are left out, so nothing
//! the fuzzer sends runs code or opens sockets: Invoke, PutProvisionedConcurrencyConfig and
//! Create/UpdateEventSourceMapping.
//!
//! Besides "never panics": the status is one Lambda uses and never 500; every error carries
//! its code in `x-amzn-ErrorType` and a JSON body `{"Type", "message"}`; every JSON answer
//! parses.

#![no_main]

use std::sync::{Arc, LazyLock};

use lambda_api::Operation;
use lambda_engine::{LambdaConfig, LambdaEngine};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    engine: LambdaEngine,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("dir");
    let engine = LambdaEngine::new(
        LambdaConfig {
            code_root: dir.path().to_path_buf(),
            ..LambdaConfig::default()
        },
        Arc::new(metric_store::Store::new()),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    Fixture {
        engine,
        runtime,
        _dir: dir,
    }
});

/// Lambda's statuses: successes, client errors (405 for a method a path does not serve),
/// throttles.
const STATUSES: [u16; 10] = [200, 201, 202, 204, 400, 404, 405, 409, 413, 429];

const SKIPPED: [Operation; 4] = [
    Operation::Invoke,
    Operation::PutProvisionedConcurrencyConfig,
    Operation::CreateEventSourceMapping,
    Operation::UpdateEventSourceMapping,
];

fn ensure_function(engine: &LambdaEngine) {
    if engine.get_function("f").is_ok() {
        return;
    }
    let zip = function_zip::bootstrap_zip(b"#!/bin/sh\nexit 1\n").expect("zip");
    let config = lambda_engine::FunctionConfig {
        name: "f".into(),
        runtime: "provided.al2023".into(),
        handler: "bootstrap".into(),
        role: "arn:aws:iam::000000000000:role/lambda".into(),
        timeout_secs: 3,
        memory_mb: 128,
        environment: Default::default(),
        description: String::new(),
        architectures: vec!["x86_64".into()],
        code_sha256: String::new(),
        code_size: 0,
        last_modified: String::new(),
        revision_id: String::new(),
        dead_letter_target: None,
        version: lambda_engine::function::LATEST.into(),
    };
    engine
        .create_function(config, &zip, Default::default())
        .expect("fixture function");
}

fuzz_target!(|data: &[u8]| {
    let [method_selector, op_selector, rest @ ..] = data else {
        return;
    };
    let mut parts = rest.splitn(3, |&b| b == b'\n');
    let label = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let query = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let body = parts.next().unwrap_or_default();

    let (own_method, path) = if *op_selector == 255 {
        ("GET", label.to_string())
    } else {
        let op = Operation::ALL[usize::from(*op_selector) % Operation::ALL.len()];
        let (method, template) = op.http();
        let mut path = String::new();
        for (i, part) in template.split('/').enumerate() {
            if i > 0 {
                path.push('/');
            }
            if part.starts_with('{') {
                path.push_str(&label);
            } else {
                path.push_str(part);
            }
        }
        (method, path)
    };
    let method = if *method_selector < 200 {
        own_method
    } else {
        ["GET", "POST", "PUT", "DELETE", "PATCH"][usize::from(*method_selector) % 5]
    };
    if lambda_api::operation(method, &path).is_some_and(|op| SKIPPED.contains(&op)) {
        return;
    }

    let fixture = &*FIXTURE;
    ensure_function(&fixture.engine);
    let headers = [("content-type", "application/json")];
    let request = aws_wire::Request {
        method,
        path: &path,
        query: (!query.is_empty()).then_some(&*query),
        headers: &headers,
        body,
        request_id: "fuzz",
    };
    let reply = fixture
        .runtime
        .block_on(lambda_api::handle(&fixture.engine, &request));

    assert!(
        STATUSES.contains(&reply.status),
        "status {} for {method} {path}: {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
    if let Some(code) = reply.error_code {
        if reply.status == 405 {
            return;
        }
        let header = reply
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("x-amzn-ErrorType"))
            .map(|(_, v)| v.as_str());
        assert_eq!(header, Some(code));
        let doc: serde_json::Value =
            serde_json::from_slice(&reply.body).expect("error body is JSON");
        assert!(doc["message"].is_string(), "{doc}");
        assert!(doc["Type"] == "User", "{doc}");
    } else if reply.content_type == Some("application/json") {
        serde_json::from_slice::<serde_json::Value>(&reply.body).expect("answer is JSON");
    }
});
