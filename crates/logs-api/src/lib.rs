//! The CloudWatch Logs API (AWS JSON 1.1, `X-Amz-Target: Logs_20140328.<Operation>`) over
//! the logs of the engine's Lambda functions and the log groups users create, so `aws logs
//! tail`, `aws logs filter-log-events`, agents and SDK code read and write them as on AWS.
//! Each function has the log group `/aws/lambda/<name>` and one log stream per execution
//! environment; other groups live in `logs-engine` ([`LogSource::ingested`]), and a
//! function's group written to (a retention, tags, a stream of one's own) is kept there too,
//! beside the function's lines.
//!
//! Served: DescribeLogGroups, DescribeLogStreams, GetLogEvents and FilterLogEvents (filter
//! patterns of plain terms, all of which must appear, and quoted phrases; the JSON and
//! space-delimited pattern syntaxes are refused with InvalidParameterException); with the
//! ingested groups also CreateLogGroup, CreateLogStream, PutLogEvents (EMF documents become
//! metrics), DeleteLogGroup (refused while the group's deletion protection is on),
//! PutLogGroupDeletionProtection, DeleteLogStream, Put/DeleteRetentionPolicy, TagLogGroup,
//! UntagLogGroup, ListTagsLogGroup, TagResource, UntagResource and ListTagsForResource.
//!
//! [`handle`] takes the server's [`aws_wire::Request`] and returns an [`aws_wire::Reply`].
//! Each operation lives in its own module under `actions/`, holding its input schema (the
//! lengths, ranges and patterns of CloudWatch Logs' model, in `shapes.rs`) and a `run` that
//! reads the [`LogSource`] and writes the output. Bodies are decoded and checked by
//! [`aws_wire::parse`]; a constraint error is sent as CloudWatch Logs does, as an
//! `InvalidParameterException` carrying Coral's "1 validation error detected: ..." text.
//! Authentication, the content type and body limits are the server's business, checked
//! before [`handle`] is called.
//!
//! ```
//! use aws_wire::Request;
//! use lambda_engine::LogEvent;
//! use logs_api::LogSource;
//!
//! /// No functions at all.
//! struct Empty;
//! impl LogSource for Empty {
//!     fn region(&self) -> &str { "us-east-1" }
//!     fn account_id(&self) -> &str { "000000000000" }
//!     fn functions(&self) -> Vec<String> { Vec::new() }
//!     fn events(&self, _: &str, _: usize) -> Option<Vec<LogEvent>> { None }
//! }
//!
//! let headers = [("x-amz-target", "Logs_20140328.DescribeLogGroups")];
//! let req = Request {
//!     method: "POST",
//!     path: "/",
//!     query: None,
//!     headers: &headers,
//!     body: br#"{"limit":51}"#,
//!     request_id: "r",
//! };
//! let reply = logs_api::handle(&Empty, &req);
//! assert_eq!(reply.status, 400);
//! assert_eq!(
//!     String::from_utf8(reply.body).unwrap(),
//!     r#"{"__type":"InvalidParameterException","message":"1 validation error detected: Value '51' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50"}"#
//! );
//! ```

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod actions;
mod errors;
mod shapes;
mod source;

use aws_wire::{Encoding, Reply, Request, Writer};

pub use actions::Operation;
pub use source::{LogSource, Sources};

/// The `X-Amz-Target` prefix of the service (before the `.`).
pub const TARGET_PREFIX: &str = "Logs_20140328";
/// The content type of requests and answers.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// CloudWatch Logs' answer to a request with no signature, as Kinesis's (the same JSON 1.1
/// front end): 400 `MissingAuthenticationTokenException`.
pub fn unsigned_reply() -> Reply {
    Reply::new(
        400,
        CONTENT_TYPE,
        br#"{"__type":"MissingAuthenticationTokenException","message":"Missing Authentication Token"}"#
            .to_vec(),
    )
    .with_error_code("MissingAuthenticationTokenException")
}

/// Answers one CloudWatch Logs request over the logs of `source`. Never panics, whatever the
/// bytes.
pub fn handle<S: LogSource + ?Sized>(source: &S, req: &Request<'_>) -> Reply {
    let target = aws_wire::target_operation(req, TARGET_PREFIX);
    let served = |op: &Operation| !op.writes() || source.ingested().is_some();
    let Some(operation) = target.and_then(Operation::from_name).filter(served) else {
        let name = target.unwrap_or_else(|| req.header("x-amz-target").unwrap_or_default());
        return aws_wire::error_reply(
            Encoding::Json,
            CONTENT_TYPE,
            400,
            "UnknownOperationException",
            Some(&format!("Operation {name} is not served by this engine")),
        );
    };
    let mut w = Writer::new(Encoding::Json);
    match actions::run(operation, source, req.body, &mut w) {
        Ok(()) => Reply::new(200, CONTENT_TYPE, w.finish()),
        Err(e) => e.reply(),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! A fixture log source and calls through [`handle`](crate::handle).

    use lambda_engine::LogEvent;
    use serde_json::Value;

    use crate::LogSource;

    /// Functions and their events, in memory.
    pub(crate) struct Fixture(pub(crate) Vec<(&'static str, Vec<LogEvent>)>);

    impl LogSource for Fixture {
        fn region(&self) -> &str {
            "us-east-1"
        }

        fn account_id(&self) -> &str {
            "000000000000"
        }

        fn functions(&self) -> Vec<String> {
            self.0.iter().map(|(n, _)| n.to_string()).collect()
        }

        fn events(&self, name: &str, from: usize) -> Option<Vec<LogEvent>> {
            let (_, events) = self.0.iter().find(|(n, _)| *n == name)?;
            Some(events.get(from..).unwrap_or_default().to_vec())
        }
    }

    /// An event of stream `stream` at `ms`.
    pub(crate) fn event(stream: &str, ms: i64, message: &str) -> LogEvent {
        LogEvent {
            timestamp_ms: ms,
            stream: stream.to_string(),
            message: message.to_string(),
        }
    }

    /// Function `f` with two streams: `a` (lines at 1000 and 3000) and `b` (2000).
    pub(crate) fn fixture() -> Fixture {
        Fixture(vec![(
            "f",
            vec![
                event("a", 1000, "START one"),
                event("b", 2000, "ERROR two"),
                event("a", 3000, "REPORT three"),
            ],
        )])
    }

    /// Status and JSON body of operation `op` with `body`.
    pub(crate) fn call(source: &Fixture, op: &str, body: &str) -> (u16, Value) {
        call_on(source, op, body)
    }

    /// [`call`] on any source.
    pub(crate) fn call_on<S: LogSource + ?Sized>(source: &S, op: &str, body: &str) -> (u16, Value) {
        let target = format!("Logs_20140328.{op}");
        let headers = [("x-amz-target", target.as_str())];
        let req = aws_wire::Request {
            method: "POST",
            path: "/",
            query: None,
            headers: &headers,
            body: body.as_bytes(),
            request_id: "test",
        };
        let reply = crate::handle(source, &req);
        assert_eq!(reply.content_type, Some(crate::CONTENT_TYPE));
        // Operations without output answer an empty body, as AWS does.
        if reply.body.is_empty() {
            return (reply.status, Value::Object(Default::default()));
        }
        (reply.status, serde_json::from_slice(&reply.body).unwrap())
    }
}

#[cfg(test)]
mod ingested_tests;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{call, fixture};

    #[test]
    fn unknown_operations_and_unreadable_bodies() {
        let f = fixture();
        assert_eq!(
            call(&f, "PutLogEvents", "{}"),
            (
                400,
                json!({
                    "__type": "UnknownOperationException",
                    "message": "Operation PutLogEvents is not served by this engine"
                })
            )
        );
        assert_eq!(
            call(&f, "DescribeLogGroups", "[1]"),
            (
                400,
                json!({
                    "__type": "SerializationException",
                    "Message": "Start of list found where not expected"
                })
            )
        );
        assert_eq!(call(&f, "DescribeLogGroups", "").0, 200);
    }

    #[test]
    fn constraint_errors_carry_corals_text_as_invalid_parameter() {
        let f = fixture();
        let (status, body) = call(
            &f,
            "GetLogEvents",
            r#"{"logGroupName":"/aws/lambda/f","limit":0}"#,
        );
        assert_eq!(status, 400);
        assert_eq!(
            body,
            json!({
                "__type": "InvalidParameterException",
                "message": "2 validation errors detected: Value null at 'logStreamName' failed to satisfy constraint: Member must not be null; Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
            })
        );
        let (_, body) = call(
            &f,
            "FilterLogEvents",
            r#"{"logGroupName":"bad name","logStreamNames":["a:b"]}"#,
        );
        assert_eq!(
            body["message"],
            "2 validation errors detected: Value 'bad name' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+; Value '[a:b]' at 'logStreamNames' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 512, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [^:*]*]"
        );
    }
}
