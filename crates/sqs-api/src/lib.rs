//! The Amazon SQS API in the AWS JSON 1.0 protocol, which current SDKs (aws-sdk-sqs, boto3,
//! the AWS CLI) send: `POST /` with `X-Amz-Target: AmazonSQS.<Operation>` and a JSON body,
//! mapped onto [`sqs_engine`].
//!
//! [`handle`] takes the server's [`aws_wire::Request`] and returns an [`aws_wire::Reply`].
//! Each operation lives in its own module under `actions/`, holding its input schema and a
//! `run` that calls the engine and writes the output. A request goes through: the operation
//! named by the target, the body decoded by [`aws_wire::decode`] (an empty body is an empty
//! object), required members (SQS's own `MissingParameter`, found by
//! [`aws_wire::first_missing`]), member types ([`aws_wire::validate`]: Coral's
//! `SerializationException` texts), then the operation and the engine. SQS's model puts no
//! length, range or pattern constraints on its members: SQS checks values itself, so the
//! engine's errors carry those texts.
//!
//! Errors carry the JSON protocol's `__type` (`com.amazonaws.sqs#QueueDoesNotExist`) and, in
//! the `x-amzn-query-error` header, the query protocol's code
//! (`AWS.SimpleQueueService.NonExistentQueue;Sender`), which SDKs built for the query
//! protocol match on; `errors.rs` maps each [`SqsError`] to both and to its HTTP status. The
//! older query protocol (form bodies answered in XML, for SDKs from before SQS moved to
//! JSON) runs the same operations through `query.rs`. Authentication, the content type and
//! body limits are the server's business, checked before [`handle`] is called.
//!
//! ```
//! use std::sync::Arc;
//! use aws_wire::Request;
//! use sqs_engine::{SqsConfig, SqsEngine};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let engine = SqsEngine::new(SqsConfig::default(), Arc::new(metric_store::Store::new()));
//! let headers = [("x-amz-target", "AmazonSQS.GetQueueUrl")];
//! let req = Request {
//!     method: "POST",
//!     path: "/",
//!     query: None,
//!     headers: &headers,
//!     body: br#"{"QueueName":"missing"}"#,
//!     request_id: "r",
//! };
//! let reply = sqs_api::handle(&engine, &req).await;
//! assert_eq!(reply.status, 400);
//! assert_eq!(reply.error_code, Some("QueueDoesNotExist"));
//! assert_eq!(
//!     reply.headers,
//!     vec![("x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender".to_string())]
//! );
//! # });
//! ```

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod actions;
mod errors;
mod query;
mod shapes;

use aws_wire::{Encoding, Reply, Request, WireError, Writer};
use sqs_engine::{SqsEngine, SqsError};

pub use actions::Operation;
pub use query::{XML_CONTENT_TYPE, XML_NAMESPACE};

use errors::error_reply;

/// The `X-Amz-Target` prefix of SQS operations (before the `.`).
pub const TARGET_PREFIX: &str = "AmazonSQS";
/// The content type of requests and answers.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";
/// Largest total of message sizes in one SendMessageBatch (1 MiB).
pub const MAX_BATCH_BYTES: usize = sqs_engine::MAX_MESSAGE_BYTES;

/// SQS's answer to a request with no signature: the common error `MissingAuthenticationToken`
/// (HTTP 403 in SQS's Common Errors), with the query-compatible code header its SDKs read.
pub fn unsigned_reply() -> Reply {
    Reply::new(
        403,
        CONTENT_TYPE,
        br#"{"__type":"com.amazonaws.sqs#MissingAuthenticationToken","message":"The request must contain either a valid (registered) AWS access key ID or X.509 certificate."}"#
            .to_vec(),
    )
    .with_header("x-amzn-query-error", "MissingAuthenticationToken;Sender")
    .with_error_code("MissingAuthenticationToken")
}

/// Why a request failed before or inside its operation.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// The body could not be read, or a member has the wrong type.
    Wire(WireError),
    /// The engine (or SQS's own checks here) refused the call.
    Sqs(SqsError),
}

impl From<WireError> for ApiError {
    fn from(e: WireError) -> Self {
        ApiError::Wire(e)
    }
}

impl From<SqsError> for ApiError {
    fn from(e: SqsError) -> Self {
        ApiError::Sqs(e)
    }
}

/// What an operation runs with besides its input.
pub(crate) struct Context<'a> {
    /// The engine.
    pub(crate) engine: &'a SqsEngine,
    /// The request's `X-Amzn-Trace-Id`, which messages sent keep as their `AWSTraceHeader`.
    pub(crate) trace_header: Option<&'a str>,
    /// The request's `Host`: queue URLs are answered on the host the client used, as SQS
    /// answers on the endpoint it was called at.
    pub(crate) host: Option<&'a str>,
}

impl Context<'_> {
    /// `url` (the engine's queue URL) with the client's host in place of the engine's.
    pub(crate) fn client_url(&self, url: &str) -> String {
        let Some(host) = self.host.filter(|h| !h.is_empty()) else {
            return url.to_string();
        };
        let Some((scheme, rest)) = url.split_once("://") else {
            return url.to_string();
        };
        let path = rest.find('/').map_or("", |i| &rest[i..]);
        format!("{scheme}://{host}{path}")
    }
}

/// Answers one SQS request, in the query protocol when its body is a form (`query.rs`), else
/// in JSON. ReceiveMessage may wait (long polling) up to 20 seconds. The
/// request's `X-Amzn-Trace-Id` becomes the `AWSTraceHeader` of the messages it sends (an
/// explicit `AWSTraceHeader` system attribute wins). Never panics, whatever the bytes.
pub async fn handle(engine: &SqsEngine, req: &Request<'_>) -> Reply {
    if query::is_query(req) {
        return query::handle(engine, req).await;
    }
    let target = aws_wire::target_operation(req, TARGET_PREFIX);
    let Some(operation) = target.and_then(Operation::from_name) else {
        let name = target.unwrap_or_else(|| req.header("x-amz-target").unwrap_or_default());
        return unknown_operation(name);
    };
    let ctx = Context {
        engine,
        trace_header: req.header("x-amzn-trace-id"),
        host: req.header("host"),
    };
    let mut w = Writer::new(Encoding::Json);
    match actions::run(operation, &ctx, req.body, &mut w).await {
        Ok(()) => Reply::new(200, CONTENT_TYPE, w.finish()),
        Err(ApiError::Sqs(e)) => error_reply(&e),
        Err(ApiError::Wire(e)) => wire_error(&e),
    }
}

/// Coral's answer to a body it cannot read, as SQS sends it (no query code).
fn wire_error(e: &WireError) -> Reply {
    let type_ = match e {
        WireError::Serialization(_) => "com.amazon.coral.service#SerializationException",
        WireError::Validation(_) => "com.amazon.coral.validate#ValidationException",
    };
    aws_wire::error_reply(
        Encoding::Json,
        CONTENT_TYPE,
        e.http_status(),
        type_,
        e.message(),
    )
    .with_error_code(e.code())
}

fn unknown_operation(name: &str) -> Reply {
    aws_wire::error_reply(
        Encoding::Json,
        CONTENT_TYPE,
        400,
        "com.amazon.coral.service#UnknownOperationException",
        Some(&format!(
            "The action {name} is not valid for this web service."
        )),
    )
    .with_error_code("UnknownOperationException")
}

#[cfg(test)]
pub(crate) mod testing {
    //! Calls through [`handle`](crate::handle) for the tests of every module.

    use std::sync::Arc;

    use serde_json::Value;
    use sqs_engine::{SqsConfig, SqsEngine};
    use time_source::ManualClock;

    /// An engine on a manual clock.
    pub(crate) fn engine() -> (SqsEngine, ManualClock) {
        engine_with(SqsConfig::default())
    }

    /// An engine on a manual clock with settings of the test's own.
    pub(crate) fn engine_with(config: SqsConfig) -> (SqsEngine, ManualClock) {
        let clock = ManualClock::new(1_700_000_000_000);
        let store = Arc::new(metric_store::Store::with_clock(Arc::new(clock.clone())));
        let engine = SqsEngine::with_clock(config, store, Arc::new(clock.clone()));
        (engine, clock)
    }

    /// A reply with its body as text and its query error header.
    pub(crate) struct Answer {
        pub(crate) status: u16,
        pub(crate) body: String,
        pub(crate) query_error: Option<String>,
    }

    impl Answer {
        pub(crate) fn json(&self) -> Value {
            serde_json::from_str(&self.body).unwrap()
        }
    }

    /// Sends `body` as operation `op`.
    pub(crate) fn call_raw(engine: &SqsEngine, op: &str, body: &[u8]) -> Answer {
        let target = format!("AmazonSQS.{op}");
        let headers = [("x-amz-target", target.as_str())];
        let req = aws_wire::Request {
            method: "POST",
            path: "/",
            query: None,
            headers: &headers,
            body,
            request_id: "test",
        };
        let reply = block_on(crate::handle(engine, &req));
        assert_eq!(reply.content_type, Some(crate::CONTENT_TYPE));
        Answer {
            status: reply.status,
            body: String::from_utf8(reply.body).unwrap(),
            query_error: reply
                .headers
                .iter()
                .find(|(k, _)| *k == "x-amzn-query-error")
                .map(|(_, v)| v.clone()),
        }
    }

    /// Sends `body` as operation `op`.
    pub(crate) fn call(engine: &SqsEngine, op: &str, body: Value) -> Answer {
        call_raw(engine, op, body.to_string().as_bytes())
    }

    /// Creates queue `name` and returns its URL.
    pub(crate) fn queue(engine: &SqsEngine, name: &str) -> String {
        let a = call(
            engine,
            "CreateQueue",
            serde_json::json!({"QueueName": name}),
        );
        a.json()["QueueUrl"].as_str().unwrap().to_string()
    }

    /// Runs a future that never waits (these tests make no long poll) to completion.
    pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
        use std::task::{Context, Poll, Waker};
        let mut f = std::pin::pin!(f);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::{Value, json};
    use sqs_engine::AttributeValue;

    use crate::testing::{call, call_raw, engine};

    #[test]
    fn errors_carry_the_json_type_and_the_query_code() {
        let (e, _) = engine();
        let a = call(&e, "GetQueueUrl", json!({"QueueName": "missing"}));
        assert_eq!(a.status, 400);
        assert_eq!(
            a.query_error.as_deref(),
            Some("AWS.SimpleQueueService.NonExistentQueue;Sender")
        );
        let body: Value = serde_json::from_str(&a.body).unwrap();
        assert_eq!(body["__type"], "com.amazonaws.sqs#QueueDoesNotExist");
        let a = call(&e, "SendMessage", json!({"MessageBody": "x"}));
        assert!(a.body.contains("MissingParameter"), "{}", a.body);
        let a = call(&e, "Frobnicate", json!({}));
        assert!(a.body.contains("UnknownOperationException"));
    }

    #[test]
    fn batches_are_checked_whole_and_per_entry() {
        let (e, _) = engine();
        let url = e
            .create_queue("q", &BTreeMap::new(), &BTreeMap::new())
            .unwrap();
        let a = call(
            &e,
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": []}),
        );
        assert!(a.body.contains("EmptyBatchRequest"));
        let eleven: Vec<Value> = (0..11)
            .map(|i| json!({"Id": i.to_string(), "MessageBody": "x"}))
            .collect();
        let a = call(
            &e,
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": eleven}),
        );
        assert_eq!(
            a.query_error.as_deref(),
            Some("AWS.SimpleQueueService.TooManyEntriesInBatchRequest;Sender")
        );
        let dup = json!([{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}]);
        let a = call(
            &e,
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": dup}),
        );
        assert!(a.body.contains("BatchEntryIdsNotDistinct"));
        let mixed = json!([{"Id": "ok", "MessageBody": "x"}, {"Id": "bad", "MessageBody": "y", "DelaySeconds": 901}]);
        let a = call(
            &e,
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": mixed}),
        );
        let body: Value = serde_json::from_str(&a.body).unwrap();
        assert_eq!(body["Successful"][0]["Id"], "ok");
        assert_eq!(body["Failed"][0]["Id"], "bad");
        assert_eq!(body["Failed"][0]["Code"], "InvalidParameterValue");
    }

    #[test]
    fn attribute_digest_matches_the_documented_encoding() {
        // One String attribute: 4-byte lengths before name, type and value, and transport 1.
        let attrs = BTreeMap::from([(
            "k".to_string(),
            AttributeValue {
                data_type: "String".into(),
                value: b"v".to_vec(),
            },
        )]);
        let mut bytes = Vec::new();
        bytes.extend([0, 0, 0, 1, b'k']);
        bytes.extend([0, 0, 0, 6]);
        bytes.extend(b"String");
        bytes.extend([1, 0, 0, 0, 1, b'v']);
        assert_eq!(
            sqs_engine::md5_of_attributes(&attrs),
            sqs_engine::md5_hex(&bytes)
        );
    }

    #[test]
    fn bodies_of_the_wrong_type_get_corals_serialization_texts() {
        let (e, _) = engine();
        let a = call(&e, "GetQueueUrl", json!({"QueueName": 7}));
        assert_eq!(a.status, 400);
        assert_eq!(a.query_error, None);
        assert_eq!(
            a.json(),
            json!({
                "__type": "com.amazon.coral.service#SerializationException",
                "message": "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"
            })
        );
        let a = call_raw(&e, "ListQueues", b"{not json");
        assert_eq!(
            a.json(),
            json!({"__type": "com.amazon.coral.service#SerializationException"})
        );
        // An empty body is an empty request.
        let a = call_raw(&e, "ListQueues", b"");
        assert_eq!((a.status, a.body.as_str()), (200, "{}"));
        let a = call_raw(&e, "GetQueueUrl", b"");
        assert_eq!(
            a.json(),
            json!({
                "__type": "com.amazonaws.sqs#MissingParameter",
                "message": "The request must contain the parameter QueueName."
            })
        );
        assert_eq!(a.query_error.as_deref(), Some("MissingParameter;Sender"));
    }

    #[test]
    fn a_request_without_a_target_is_an_unknown_operation() {
        let (e, _) = engine();
        let req = aws_wire::Request {
            method: "POST",
            path: "/",
            query: None,
            headers: &[],
            body: b"{}",
            request_id: "r",
        };
        let reply = crate::testing::block_on(crate::handle(&e, &req));
        assert_eq!(reply.status, 400);
        assert_eq!(reply.error_code, Some("UnknownOperationException"));
    }
}
