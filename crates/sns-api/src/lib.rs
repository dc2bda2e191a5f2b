//! The Amazon SNS API (2010-03-31) in the query protocol, the only one SNS speaks
//! (botocore's model lists `"protocols": ["query"]`; aws-sdk-sns, boto3 and the AWS CLI all
//! send it): a form body `Action=<Op>&Version=2010-03-31&...` answered with XML in the
//! namespace `http://sns.amazonaws.com/doc/2010-03-31/`, mapped onto [`sns_engine`].
//!
//! [`handle`] takes the server's [`aws_wire::Request`] (a POST's form body, or a GET's query
//! string: the SubscribeURL that HTTP endpoints visit) and returns an [`aws_wire::Reply`].
//! Each operation lives in its own module under `actions/` with its input schema and a `run`
//! that calls the engine and writes the result through a query [`aws_wire::Writer`]. Errors
//! are `<ErrorResponse>` documents with AWS's codes (`InvalidParameter`, `NotFound`, ...;
//! `errors.rs`).
//!
//! Signatures: every operation needs one (the server says whether the request carried it)
//! except ConfirmSubscription, which AWS accepts unsigned so that an endpoint's owner can
//! visit the SubscribeURL; [`unsigned_reply`] is the refusal.
//!
//! ```
//! use std::sync::Arc;
//! use sns_engine::{SnsConfig, SnsEngine};
//!
//! let engine = SnsEngine::new(SnsConfig::default(), Arc::new(metric_store::Store::new()));
//! let req = aws_wire::Request {
//!     method: "POST",
//!     path: "/",
//!     query: None,
//!     headers: &[],
//!     body: b"Action=CreateTopic&Version=2010-03-31&Name=alerts",
//!     request_id: "r-1",
//! };
//! let reply = sns_api::handle(&engine, &req, true);
//! assert_eq!(reply.status, 200);
//! assert_eq!(
//!     String::from_utf8(reply.body).unwrap(),
//!     "<CreateTopicResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><CreateTopicResult>\
//!      <TopicArn>arn:aws:sns:us-east-1:000000000000:alerts</TopicArn></CreateTopicResult>\
//!      <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></CreateTopicResponse>"
//! );
//! ```

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod actions;
mod errors;
mod form;
mod shapes;

use aws_wire::{Encoding, Reply, Request, WireError, Writer};
use sns_engine::SnsEngine;

pub use actions::Operation;

/// The query protocol's API version of SNS.
pub const API_VERSION: &str = "2010-03-31";
/// The XML namespace of SNS's answers.
pub const XML_NAMESPACE: &str = "http://sns.amazonaws.com/doc/2010-03-31/";
/// The content type of SNS's answers.
pub const CONTENT_TYPE: &str = "text/xml";

/// SNS's answer to a request without a signature: the query services' common error
/// `MissingAuthenticationToken` (HTTP 403) with the text of AWS's Common Errors page.
pub fn unsigned_reply(request_id: &str) -> Reply {
    errors::error_reply(
        "MissingAuthenticationToken",
        403,
        "The request must contain either a valid (registered) AWS access key ID or X.509 certificate.",
        request_id,
    )
}

/// Whether a form body (or query string) is an SNS request rather than CloudWatch's, which
/// shares the query protocol: its `Version` is `2010-03-31`, or without a `Version` its
/// `Action` is one of SNS's operations. Never panics.
pub fn is_sns_form(form: &[u8]) -> bool {
    let mut version = None;
    let mut action = None;
    for pair in form.split(|&b| b == b'&') {
        if let Some(v) = pair.strip_prefix(b"Version=") {
            version = Some(v);
        } else if let Some(a) = pair.strip_prefix(b"Action=") {
            action = Some(a);
        }
    }
    match version {
        Some(v) => v == API_VERSION.as_bytes(),
        None => action
            .and_then(|a| std::str::from_utf8(a).ok())
            .is_some_and(|a| Operation::from_name(a).is_some()),
    }
}

/// What an operation runs with besides its input.
pub(crate) struct Context<'a> {
    /// The engine.
    pub(crate) engine: &'a SnsEngine,
    /// Whether the request was signed.
    pub(crate) authenticated: bool,
}

/// Answers one SNS request: a POST's form body, or a GET's query string. `authenticated`
/// says whether it carried a signature (only ConfirmSubscription may come without one).
/// Never panics, whatever the bytes.
pub fn handle(engine: &SnsEngine, req: &Request<'_>, authenticated: bool) -> Reply {
    let form: &[u8] = if req.method == "GET" {
        req.query.unwrap_or_default().as_bytes()
    } else {
        req.body
    };
    let form = form::entries_as_key_value(form);
    let decoded = match aws_wire::decode_query(&form) {
        Ok(d) => d,
        Err(e) => return malformed(&e, req.request_id),
    };
    let Some(action) = decoded.action.as_deref() else {
        return errors::error_reply(
            "MissingAction",
            400,
            "The request must contain the parameter Action.",
            req.request_id,
        );
    };
    let Some(op) = Operation::from_name(action) else {
        let message = format!("The action {action} is not valid for this web service.");
        return errors::error_reply("InvalidAction", 400, &message, req.request_id);
    };
    if !authenticated && op != Operation::ConfirmSubscription {
        return unsigned_reply(req.request_id);
    }
    let input = match aws_wire::validate(decoded.params, op.schema(), Encoding::Query) {
        Ok(input) => input,
        Err(e) => return malformed(&e, req.request_id),
    };
    let ctx = Context {
        engine,
        authenticated,
    };
    let mut w = Writer::new(Encoding::Query);
    match actions::run(op, &ctx, input, &mut w) {
        Ok(()) => {
            let result = op.has_output().then(|| w.finish());
            let body = aws_wire::query_response(
                op.name(),
                XML_NAMESPACE,
                result.as_deref(),
                req.request_id,
            );
            Reply::new(200, CONTENT_TYPE, body)
        }
        Err(e) => errors::engine_error(&e, req.request_id),
    }
}

/// A request whose parameters do not read as their types, or break a constraint: SNS's
/// front end answers with `ValidationError` and Coral's text for a missing member ("Member
/// must not be null"); for text that is no number or boolean, AWS's text is not documented
/// and `InvalidParameter` with aws-wire's text is our choice.
fn malformed(e: &WireError, request_id: &str) -> Reply {
    let message = e.message().unwrap_or("The request could not be read.");
    match e {
        WireError::Validation(_) => {
            errors::error_reply("ValidationError", 400, message, request_id)
        }
        WireError::Serialization(_) => {
            errors::error_reply("InvalidParameter", 400, message, request_id)
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Calls through [`handle`](crate::handle) for the tests of every module.

    use std::sync::Arc;

    use sns_engine::{SnsConfig, SnsEngine};

    /// An engine with no deliveries plugged in.
    pub(crate) fn engine() -> SnsEngine {
        SnsEngine::new(SnsConfig::default(), Arc::new(metric_store::Store::new()))
    }

    /// Posts `form` signed and returns the status and body.
    pub(crate) fn call(engine: &SnsEngine, form: &str) -> (u16, String) {
        call_as(engine, "POST", form, true)
    }

    /// Sends `form` by `method` (GET puts it in the query string).
    pub(crate) fn call_as(
        engine: &SnsEngine,
        method: &str,
        form: &str,
        authenticated: bool,
    ) -> (u16, String) {
        let get = method == "GET";
        let req = aws_wire::Request {
            method,
            path: "/",
            query: get.then_some(form),
            headers: &[],
            body: if get { b"" } else { form.as_bytes() },
            request_id: "r",
        };
        let reply = crate::handle(engine, &req, authenticated);
        assert_eq!(reply.content_type, Some(crate::CONTENT_TYPE));
        (reply.status, String::from_utf8(reply.body).unwrap())
    }

    /// The text of the first element `name` in `xml`.
    pub(crate) fn element<'x>(xml: &'x str, name: &str) -> &'x str {
        let open = format!("<{name}>");
        let start = xml
            .find(&open)
            .unwrap_or_else(|| panic!("no <{name}> in {xml}"))
            + open.len();
        let end = xml[start..].find(&format!("</{name}>")).unwrap() + start;
        &xml[start..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{call, call_as, element, engine};

    #[test]
    fn unknown_actions_unsigned_calls_and_bad_forms_are_refused() {
        let e = engine();
        let (status, body) = call(&e, "Action=Frobnicate&Version=2010-03-31");
        assert_eq!(status, 400);
        assert_eq!(element(&body, "Code"), "InvalidAction");
        let (status, body) = call_as(&e, "POST", "Action=ListTopics&Version=2010-03-31", false);
        assert_eq!(status, 403);
        assert_eq!(element(&body, "Code"), "MissingAuthenticationToken");
        assert!(
            body.starts_with("<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">")
        );
        let (status, body) = call(&e, "Action=CreateTopic&Version=2010-03-31");
        assert_eq!(status, 400);
        assert_eq!(element(&body, "Code"), "ValidationError");
        let (status, _) = call(&e, "%zz");
        assert_eq!(status, 400);
    }

    #[test]
    fn sns_forms_are_told_from_cloudwatch_ones() {
        assert!(is_sns_form(b"Action=CreateTopic&Version=2010-03-31&Name=a"));
        assert!(!is_sns_form(b"Action=ListMetrics&Version=2010-08-01"));
        assert!(is_sns_form(b"Action=Publish&TopicArn=x"));
        assert!(!is_sns_form(b"Action=PutMetricData"));
        assert!(!is_sns_form(b"\xff\xfe"));
    }

    #[test]
    fn not_found_is_404() {
        let e = engine();
        let (status, body) = call(
            &e,
            "Action=GetTopicAttributes&Version=2010-03-31&TopicArn=arn:aws:sns:us-east-1:000000000000:none",
        );
        assert_eq!(status, 404);
        assert_eq!(element(&body, "Code"), "NotFound");
        assert_eq!(element(&body, "Message"), "Topic does not exist");
        assert_eq!(element(&body, "Type"), "Sender");
    }
}
