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
pub use in_process::InProcessSubscription;
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
    /// What is structurally wrong with the signature (AWS's IncompleteSignatureException
    /// text), found by the HTTP layer; answered after the operation name is checked, where
    /// AWS checks authentication.
    pub incomplete_signature: Option<&'a str>,
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

pub use actions::subscribe_to_shard::{EventStream, HEARTBEAT};
pub use aws_wire::eventstream::CONTENT_TYPE as EVENT_STREAM_CONTENT_TYPE;

/// What [`KinesisApi::handle_streaming`] answers: a whole reply, or an event stream whose
/// messages the transport sends as they come (with status 200 and
/// [`EVENT_STREAM_CONTENT_TYPE`]).
#[derive(Debug)]
pub enum Answer {
    /// A whole reply.
    Reply(Response),
    /// A SubscribeToShard event stream.
    Stream(EventStream),
}

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
            // An error without a text (a legacy sequence number's InternalFailure) carries
            // only its `__type`, as Kinesis sends it.
            ApiError::Engine(e) => {
                aws_wire::error_body(enc, e.code(), Some(e.message()).filter(|m| !m.is_empty()))
            }
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

    /// Answers one request. Never panics, whatever the bytes. SubscribeToShard, which
    /// answers with a stream, is served only through [`Self::handle_streaming`].
    pub fn handle(&self, req: &Request<'_>) -> Response {
        self.handle_with(req, Injected::default())
    }

    /// [`KinesisApi::handle`], with the faults the server injects into this call.
    pub fn handle_with(&self, req: &Request<'_>, injected: Injected<'_>) -> Response {
        match self.checked(req) {
            Ok((action, enc, value)) => self.run(action, enc, value, injected),
            Err(reply) => reply,
        }
    }

    /// Answers one request, SubscribeToShard included: its answer is an [`EventStream`]
    /// once the subscription starts, an error document when it does not.
    pub fn handle_streaming(&self, req: &Request<'_>) -> Answer {
        self.handle_streaming_with(req, Injected::default())
    }

    /// [`KinesisApi::handle_streaming`], with the faults the server injects into this call.
    pub fn handle_streaming_with(&self, req: &Request<'_>, injected: Injected<'_>) -> Answer {
        let (action, enc, value) = match self.checked(req) {
            Ok(checked) => checked,
            Err(reply) => return Answer::Reply(reply),
        };
        if action != Action::SubscribeToShard {
            return Answer::Reply(self.run(action, enc, value, injected));
        }
        let started = aws_wire::validate(value, action.schema_members(), enc)
            .map_err(ApiError::from)
            .and_then(|input| {
                actions::subscribe_to_shard::start(&self.engine, &input, enc, self.metrics.as_ref())
            });
        match started {
            Ok(stream) => Answer::Stream(stream),
            Err(e) => Answer::Reply(
                Response::new(e.status(), content_type_of(enc), e.body(enc))
                    .with_error_code(e.code()),
            ),
        }
    }

    /// The front end's checks, in AWS's order: content type, body syntax, operation name,
    /// authentication. The decoded body borrows from the request.
    fn checked<'b>(
        &self,
        req: &Request<'b>,
    ) -> Result<(Action, Encoding, aws_wire::Value<'b>), Response> {
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
            // An empty body is looked at before the content type: Kinesis answers it in
            // CBOR (kinesalite's connection tests record this).
            if req.body.is_empty() {
                let code = if action.is_some() {
                    "SerializationException"
                } else {
                    "UnknownOperationException"
                };
                return Err(Response::new(
                    400,
                    content_type_of(Encoding::Cbor),
                    aws_wire::error_body(Encoding::Cbor, code, None),
                )
                .with_error_code(code));
            }
            // Plain `application/json` gets the service framework's own JSON answer: a
            // SerializationException for a body that is no JSON object, else an
            // UnknownOperationException (kinesalite's connection tests record both).
            let media = req
                .content_type
                .and_then(|ct| ct.split(';').next())
                .map(str::trim)
                .unwrap_or_default();
            if media.eq_ignore_ascii_case("application/json") {
                let object = aws_wire::decode(Encoding::Json, req.body)
                    .is_ok_and(|v| matches!(v, aws_wire::Value::Map(_)));
                let (status, kind) = if object {
                    (404, "UnknownOperationException")
                } else {
                    (400, "SerializationException")
                };
                let body = format!(
                    r#"{{"Output":{{"__type":"com.amazon.coral.service#{kind}"}},"Version":"1.0"}}"#
                );
                return Err(Response::new(status, "application/json", body.into_bytes())
                    .with_error_code(kind));
            }
            // Any other content type with a body is answered outside the JSON protocol.
            return Err(Response::unknown_operation());
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
            return Err(error(400, code, None));
        }
        let value = match aws_wire::decode(enc, req.body) {
            Ok(v) => v,
            Err(e) => return Err(error(400, e.code(), e.message())),
        };
        let Some(action) = action else {
            return Err(error(400, "UnknownOperationException", None));
        };
        if !req.authenticated {
            return Err(error(
                400,
                "MissingAuthenticationTokenException",
                Some("Missing Authentication Token"),
            ));
        }
        if let Some(message) = req.incomplete_signature {
            return Err(error(400, "IncompleteSignatureException", Some(message)));
        }
        Ok((action, enc, value))
    }

    fn run(
        &self,
        action: Action,
        enc: Encoding,
        value: aws_wire::Value<'_>,
        mut injected: Injected<'_>,
    ) -> Response {
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
