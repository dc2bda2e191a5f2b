//! The AWS Lambda API (REST JSON) over [`lambda_engine`]: the operations the AWS SDKs and
//! the AWS CLI call, with Lambda's JSON shapes, status codes and errors (`x-amzn-ErrorType`
//! header, `{"Type": "User", "message": ...}` body). No HTTP: the server hands each request
//! over as an [`aws_wire::Request`] and writes the [`aws_wire::Reply`] it gets back.
//!
//! A request travels:
//!
//! - [`handle`] finds the operation by method and path (`routes.rs`, against the URI
//!   templates the operations declare; [`is_lambda_path`] tells the server which paths are
//!   Lambda's);
//! - `actions/<operation>.rs` holds the operation's input schema (aws-wire [`Member`]s and
//!   [`Shape`]s from botocore's Lambda model, with [`Binding`]s for the members that travel in
//!   the path, the query string or headers) and a `run` that calls the engine and writes the
//!   answer. aws-wire reads the members from wherever they travel and validates them in one
//!   pass, so schema violations get AWS's own `ValidationException` texts;
//! - checks only the service makes (a name longer than 64 characters, unknown runtimes,
//!   a missing starting position) and the engine's refusals become a [`LambdaApiError`],
//!   which knows Lambda's code and status.
//!
//! Served: CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions,
//! UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction, Invoke (RequestResponse,
//! Event, DryRun; `X-Amz-Function-Error`; `LogType: Tail`), versions and aliases, provisioned
//! concurrency, Put/Get/DeleteFunctionConcurrency, TagResource, UntagResource, ListTags,
//! GetAccountSettings, Put/Update/Get/DeleteFunctionEventInvokeConfig, and
//! Create/Get/List/Update/DeleteEventSourceMapping for Kinesis streams and SQS queues
//! ([`Operation::ALL`]). Code is uploaded inline (`Code.ZipFile`); S3 and container images
//! are refused with the error Lambda gives for an invalid parameter. Functions are addressed
//! by name, ARN or partial ARN.
//!
//! [`Member`]: aws_wire::Member
//! [`Shape`]: aws_wire::Shape
//! [`Binding`]: aws_wire::Binding

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod actions;
mod common;
mod documents;
mod error;
mod routes;
mod shapes;

use aws_wire::{Reply, Request, RestParts};
use lambda_engine::LambdaEngine;

pub use actions::Operation;
pub use error::{LambdaApiError, unsigned_reply, unsupported_media_reply};
pub use routes::{is_lambda_path, operation};

use error::ApiResult;

/// The largest request accepted: a 50 MB zip (Lambda's limit for a direct upload) in base64,
/// with room for the rest of the JSON. The server enforces it before calling [`handle`].
pub const MAX_REQUEST_BYTES: usize = 70 * 1024 * 1024;

/// Answers one Lambda request. Never panics, whatever the method, path, query, headers and
/// body; a path that is not Lambda's gets a 404 `UnknownOperationException`.
pub async fn handle(engine: &LambdaEngine, req: &Request<'_>) -> Reply {
    match respond(engine, req).await {
        Ok(reply) => reply,
        Err(e) => e.to_reply(),
    }
}

async fn respond(engine: &LambdaEngine, req: &Request<'_>) -> ApiResult {
    let (op, labels) = routes::route(req.method, req.path)?;
    let query = aws_wire::decode_query_string(req.query.unwrap_or_default());
    let parts = RestParts {
        labels: &labels,
        query: &query,
        headers: req.headers,
    };
    actions::run(op, engine, req.body, &parts).await
}
