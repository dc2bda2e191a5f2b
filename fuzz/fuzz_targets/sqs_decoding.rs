//! Arbitrary bodies through `sqs_api::handle`, over a fresh engine per input.
//!
//! The first byte picks the operation (`AmazonSQS.<Operation>`; values past the last
//! operation send an unknown one), the rest is the body. Every input gets a fresh engine on a
//! stopped manual clock holding queue `q` (reachable as `"QueueUrl": "q"`) with one visible
//! and one in-flight message, so bodies reach the engine's paths. Requests run on a tokio
//! runtime whose time is paused, so a long poll (`WaitTimeSeconds` up to 20) ends at once.
//!
//! Besides "never panics", each answer must be well-formed: a status SQS uses (200, 400,
//! 403, 404), the JSON 1.0 content type, a JSON object body, and for an error a `__type`, an
//! error code and, for SQS's own errors, the `x-amzn-query-error` header.

#![no_main]

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use sqs_api::Operation;
use sqs_engine::{Outgoing, SqsConfig, SqsEngine};
use time_source::ManualClock;

const NOW_MS: u64 = 1_700_000_000_000;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime")
    })
}

fn engine() -> SqsEngine {
    let clock = Arc::new(ManualClock::new(NOW_MS));
    let store = Arc::new(metric_store::Store::with_clock(clock.clone()));
    let engine = SqsEngine::with_clock(SqsConfig::default(), store, clock);
    let url = engine
        .create_queue("q", &BTreeMap::new(), &BTreeMap::new())
        .expect("queue");
    for body in ["first", "second"] {
        let message = Outgoing {
            body: body.into(),
            ..Outgoing::default()
        };
        engine.send(&url, message).expect("sent");
    }
    let got = runtime().block_on(engine.receive(&url, 1, Some(30), Some(0)));
    assert_eq!(got.expect("received").len(), 1);
    engine
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let target = match Operation::ALL.get(usize::from(selector)) {
        Some(op) => format!("AmazonSQS.{}", op.name()),
        None => format!("AmazonSQS.Unknown{selector}"),
    };
    let headers = [
        ("x-amz-target", target.as_str()),
        ("x-amzn-trace-id", "Root=1-fuzz"),
    ];
    let req = aws_wire::Request {
        method: "POST",
        path: "/",
        query: None,
        headers: &headers,
        body,
        request_id: "fuzz",
    };
    let engine = engine();
    let reply = runtime().block_on(sqs_api::handle(&engine, &req));
    assert!(
        matches!(reply.status, 200 | 400 | 403 | 404),
        "status {}",
        reply.status
    );
    assert_eq!(reply.content_type, Some(sqs_api::CONTENT_TYPE));
    let json: serde_json::Value = serde_json::from_slice(&reply.body).expect("a JSON body");
    assert!(json.is_object(), "{json}");
    if reply.status == 200 {
        assert!(reply.error_code.is_none());
    } else {
        let code = reply.error_code.expect("an error without a code");
        let type_ = json["__type"].as_str().expect("an error without __type");
        assert!(type_.ends_with(code), "{type_} vs {code}");
        if type_.starts_with("com.amazonaws.sqs#") {
            assert!(
                reply
                    .headers
                    .iter()
                    .any(|(k, _)| *k == aws_wire::QUERY_ERROR_HEADER)
            );
        }
    }
});
