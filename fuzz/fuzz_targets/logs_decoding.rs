//! Arbitrary bodies through `logs_api::handle`, over a fixture log source.
//!
//! The first byte picks the operation (`Logs_20140328.<Operation>`; values past the last
//! operation send an unknown one), the rest is the body. The source holds one function, `f`
//! (log group `/aws/lambda/f`), with events in two streams `a` and `b`, so bodies that name
//! it reach the operations' paging, time-range and filter code.
//!
//! Besides "never panics", each answer must be well-formed: 200 or 400 (CloudWatch Logs
//! answers every client error with 400), the JSON 1.1 content type, a JSON object body, and
//! for an error a `__type` equal to its code.

#![no_main]

use lambda_engine::LogEvent;
use libfuzzer_sys::fuzz_target;
use logs_api::{LogSource, Operation};

struct Fixture(Vec<LogEvent>);

impl LogSource for Fixture {
    fn region(&self) -> &str {
        "us-east-1"
    }

    fn account_id(&self) -> &str {
        "000000000000"
    }

    fn functions(&self) -> Vec<String> {
        vec!["f".to_string()]
    }

    fn events(&self, name: &str, from: usize) -> Option<Vec<LogEvent>> {
        (name == "f").then(|| self.0.get(from..).unwrap_or_default().to_vec())
    }
}

fn fixture() -> Fixture {
    let event = |stream: &str, timestamp_ms: i64, message: &str| LogEvent {
        timestamp_ms,
        stream: stream.to_string(),
        message: message.to_string(),
    };
    Fixture(vec![
        event("a", 1_000, "START RequestId: 1"),
        event("b", 2_000, "ERROR something failed"),
        event("a", 3_000, "REPORT RequestId: 1 Duration: 2 ms"),
    ])
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let target = match Operation::ALL.get(usize::from(selector)) {
        Some(op) => format!("Logs_20140328.{}", op.name()),
        None => format!("Logs_20140328.Unknown{selector}"),
    };
    let headers = [("x-amz-target", target.as_str())];
    let req = aws_wire::Request {
        method: "POST",
        path: "/",
        query: None,
        headers: &headers,
        body,
        request_id: "fuzz",
    };
    let reply = logs_api::handle(&fixture(), &req);
    assert!(matches!(reply.status, 200 | 400), "status {}", reply.status);
    assert_eq!(reply.content_type, Some(logs_api::CONTENT_TYPE));
    let json: serde_json::Value = serde_json::from_slice(&reply.body).expect("a JSON body");
    assert!(json.is_object(), "{json}");
    if reply.status == 200 {
        assert!(reply.error_code.is_none());
    } else {
        let code = reply.error_code.expect("an error without a code");
        assert_eq!(json["__type"].as_str(), Some(code), "{json}");
    }
});
