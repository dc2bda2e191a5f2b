//! The Kinesis Data Streams API (`Kinesis_20131202`), mapped onto [`kinesis_engine`].
//!
//! [`KinesisApi::handle`] takes what the HTTP layer read off a request (the `X-Amz-Target`
//! header, the content type, whether it carried credentials, and the body) and returns the
//! status, content type and body to send. Each action lives in its own module under
//! `actions/`, holding its input schema and a `run` function that calls the engine and writes
//! the output. Requests are validated in the order AWS's front end applies: content type,
//! body syntax, operation name, authentication, member types, member constraints, then the
//! action's own checks.
//!
//! This crate does no I/O and knows nothing of HTTP beyond status codes.

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod actions;
mod common;
mod in_process;
mod metrics;
mod shapes;

use aws_wire::{Encoding, WireError, Writer};
use kinesis_engine::{Engine, EngineError};

pub use actions::Action;
pub use metrics::KinesisMetrics;

use std::sync::Arc;
use std::time::Instant;

/// The service prefix of every `X-Amz-Target`.
pub const TARGET_PREFIX: &str = "Kinesis_20131202";

/// What the HTTP layer hands over from a request.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The `X-Amz-Target` header, e.g. `Kinesis_20131202.PutRecord`.
    pub target: Option<&'a str>,
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// Whether the request carried an `Authorization` header or presigned query credentials.
    /// Any signature is accepted; only its absence is an error, as on AWS.
    pub authenticated: bool,
    /// The request body.
    pub body: &'a [u8],
}

/// Faults the server injects into one call (`--fault`; see the `fault-injection` crate).
#[derive(Default)]
pub struct Injected<'a> {
    /// Latency the server already waited before handing the call over: counted in the
    /// action's `Latency` metric, as a slow call on AWS is.
    pub added_latency: std::time::Duration,
    /// For PutRecords: which records fail on purpose (not stored, answered and counted as
    /// AWS answers and counts its own failed records).
    pub record_failures: Option<fault_injection::RecordFailures<'a>>,
}

impl std::fmt::Debug for Injected<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Injected")
            .field("added_latency", &self.added_latency)
            .field("record_failures", &self.record_failures.is_some())
            .finish()
    }
}

/// What to send back: the reply type every API crate shares.
pub type Response = aws_wire::Reply;

/// An error on the way through an action, with its AWS code and HTTP status.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// The body could not be read or broke the schema.
    Wire(WireError),
    /// The engine refused the call.
    Engine(EngineError),
}

impl From<WireError> for ApiError {
    fn from(e: WireError) -> Self {
        ApiError::Wire(e)
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        ApiError::Engine(e)
    }
}

impl ApiError {
    pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::Engine(EngineError::InvalidArgument(message.into()))
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Wire(e) => e.code(),
            ApiError::Engine(e) => e.code(),
        }
    }

    fn status(&self) -> u16 {
        match self {
            ApiError::Engine(e) if e.is_server_error() => 500,
            _ => 400,
        }
    }

    fn body(&self, enc: Encoding) -> Vec<u8> {
        match self {
            ApiError::Wire(e) => e.to_body(enc),
            ApiError::Engine(e) => aws_wire::error_body(enc, e.code(), Some(e.message())),
        }
    }
}

/// Result of an action.
pub(crate) type ApiResult<T = ()> = Result<T, ApiError>;

/// The Kinesis API over one engine.
#[derive(Clone)]
pub struct KinesisApi {
    engine: Engine,
    metrics: Option<Arc<KinesisMetrics>>,
}

impl std::fmt::Debug for KinesisApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KinesisApi")
            .field("metrics", &self.metrics.is_some())
            .finish_non_exhaustive()
    }
}

fn content_type_of(enc: Encoding) -> &'static str {
    match enc {
        Encoding::Json => "application/x-amz-json-1.1",
        Encoding::Cbor => "application/x-amz-cbor-1.1",
        Encoding::RpcV2Cbor => "application/cbor",
        Encoding::Query => "text/xml",
    }
}

impl KinesisApi {
    /// The API over `engine`.
    pub fn new(engine: Engine) -> KinesisApi {
        KinesisApi {
            engine,
            metrics: None,
        }
    }

    /// The API over `engine`, recording the `AWS/Kinesis` metrics into `metrics`.
    pub fn with_metrics(engine: Engine, metrics: Arc<KinesisMetrics>) -> KinesisApi {
        KinesisApi {
            engine,
            metrics: Some(metrics),
        }
    }

    /// The engine behind the API.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Answers one request. Never panics, whatever the bytes.
    pub fn handle(&self, req: &Request<'_>) -> Response {
        self.handle_with(req, Injected::default())
    }

    /// [`KinesisApi::handle`], with the faults the server injects into this call.
    pub fn handle_with(&self, req: &Request<'_>, mut injected: Injected<'_>) -> Response {
        let action = req
            .target
            .and_then(|t| t.strip_prefix(TARGET_PREFIX))
            .and_then(|t| t.strip_prefix('.'))
            .and_then(Action::from_name);
        // Kinesis speaks JSON 1.1 and CBOR 1.1; RPC v2 CBOR is another service's protocol.
        let enc = req
            .content_type
            .and_then(Encoding::from_content_type)
            .filter(|e| *e != Encoding::RpcV2Cbor);
        let Some(enc) = enc else {
            // AWS answers an unknown content type outside the JSON protocol entirely.
            return Response::unknown_operation();
        };
        let error = |status: u16, code: &'static str, message: Option<&str>| {
            Response::new(
                status,
                content_type_of(enc),
                aws_wire::error_body(enc, code, message),
            )
            .with_error_code(code)
        };
        if req.body.is_empty() {
            let code = if action.is_some() {
                "SerializationException"
            } else {
                "UnknownOperationException"
            };
            return error(400, code, None);
        }
        let value = match aws_wire::decode(enc, req.body) {
            Ok(v) => v,
            Err(e) => return error(400, e.code(), e.message()),
        };
        let Some(action) = action else {
            return error(400, "UnknownOperationException", None);
        };
        if !req.authenticated {
            return error(
                400,
                "MissingAuthenticationTokenException",
                Some("Missing Authentication Token"),
            );
        }
        let mut w = Writer::new(enc);
        let mut observed = metrics::Observed::default();
        let started = Instant::now();
        let result = match injected.record_failures.as_mut() {
            Some(failures) if action == Action::PutRecords => actions::run_put_records_with(
                &self.engine,
                value,
                enc,
                &mut w,
                &mut observed,
                failures,
            ),
            _ => actions::run(action, &self.engine, value, enc, &mut w, &mut observed),
        };
        if let Some(m) = &self.metrics {
            let latency_ms = (started.elapsed() + injected.added_latency).as_secs_f64() * 1000.0;
            let code = result.as_ref().err().map(ApiError::code);
            m.record(&self.engine, action, &observed, code, latency_ms);
        }
        match result {
            Ok(()) => Response::new(200, content_type_of(enc), w.finish()),
            Err(e) => Response::new(e.status(), content_type_of(enc), e.body(enc))
                .with_error_code(e.code()),
        }
    }
}
