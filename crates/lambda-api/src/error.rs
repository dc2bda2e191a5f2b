//! The one error type of this crate: every way a Lambda call fails, with Lambda's code and
//! HTTP status.

use aws_wire::{Reply, WireError, rest_json_error};
use lambda_engine::LambdaError;

/// Why a Lambda call failed, in the terms Lambda uses on the wire.
///
/// Decoding and schema failures ([`LambdaApiError::Wire`]) are kept apart from what the
/// service refuses after reading the request ([`LambdaApiError::InvalidParameter`] and the
/// engine's own errors).
#[derive(Debug, thiserror::Error)]
pub enum LambdaApiError {
    /// The request broke its operation's schema (400 `ValidationException`, with AWS's
    /// "N validation error(s) detected" text) or a member had the wrong type (400
    /// `SerializationException`). Both texts come from aws-wire.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// A value the service itself refuses, or a body that is not a JSON object (400
    /// `InvalidParameterValueException`).
    #[error("{0}")]
    InvalidParameter(String),
    /// An Invoke payload that is not JSON (400 `InvalidRequestContentException`).
    #[error("{0}")]
    InvalidRequestContent(String),
    /// The engine refused the call; [`LambdaApiError::status`] maps it to Lambda's status.
    #[error(transparent)]
    Engine(#[from] LambdaError),
    /// A Lambda path called with a method it does not serve (a bare 405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A path that is none of Lambda's (a 404 `UnknownOperationException`).
    #[error("unknown operation")]
    UnknownOperation,
}

/// Lambda's answer to a request with no signature, from its API Gateway-style front end:
/// 403 with `{"message":"Missing Authentication Token"}`.
pub fn unsigned_reply() -> Reply {
    Reply::new(
        403,
        "application/json",
        br#"{"message":"Missing Authentication Token"}"#.to_vec(),
    )
    .with_header("x-amzn-ErrorType", "MissingAuthenticationTokenException")
    .with_error_code("MissingAuthenticationTokenException")
}

/// Lambda's answer to a body in a media type it does not read (what a browser sends without a
/// preflight: `text/plain`, a form): 415 `UnsupportedMediaTypeException`.
pub fn unsupported_media_reply(media: &str) -> Reply {
    let body = serde_json::json!({
        "Type": "User",
        "message": format!("Unsupported Media Type: {media}"),
    });
    Reply::new(415, "application/json", body.to_string().into_bytes())
        .with_header("x-amzn-ErrorType", "UnsupportedMediaTypeException")
        .with_error_code("UnsupportedMediaTypeException")
}

impl LambdaApiError {
    /// An [`LambdaApiError::InvalidParameter`] with `message`.
    pub(crate) fn invalid(message: impl Into<String>) -> LambdaApiError {
        LambdaApiError::InvalidParameter(message.into())
    }

    /// The error code sent in `x-amzn-ErrorType`.
    pub fn code(&self) -> &'static str {
        match self {
            LambdaApiError::Wire(e) => e.code(),
            LambdaApiError::InvalidParameter(_) => "InvalidParameterValueException",
            LambdaApiError::InvalidRequestContent(_) => "InvalidRequestContentException",
            LambdaApiError::Engine(e) => match e {
                LambdaError::NotFound(_) => "ResourceNotFoundException",
                LambdaError::Exists(_) => "ResourceConflictException",
                LambdaError::InvalidParameter(_) => "InvalidParameterValueException",
                LambdaError::Throttled { .. } => "TooManyRequestsException",
                LambdaError::RequestTooLarge => "RequestTooLargeException",
                LambdaError::Io(_) => "ServiceException",
            },
            LambdaApiError::MethodNotAllowed => "MethodNotAllowed",
            LambdaApiError::UnknownOperation => "UnknownOperationException",
        }
    }

    /// The HTTP status Lambda answers with.
    pub fn status(&self) -> u16 {
        match self {
            LambdaApiError::Wire(e) => e.http_status(),
            LambdaApiError::InvalidParameter(_) | LambdaApiError::InvalidRequestContent(_) => 400,
            LambdaApiError::Engine(e) => match e {
                LambdaError::NotFound(_) => 404,
                LambdaError::Exists(_) => 409,
                LambdaError::InvalidParameter(_) => 400,
                LambdaError::Throttled { .. } => 429,
                LambdaError::RequestTooLarge => 413,
                LambdaError::Io(_) => 500,
            },
            LambdaApiError::MethodNotAllowed => 405,
            LambdaApiError::UnknownOperation => 404,
        }
    }

    /// The reply to send: Lambda's error document and `x-amzn-ErrorType` header (a throttle
    /// also carries its `Reason` and `Retry-After`), or a bare 405.
    pub fn to_reply(&self) -> Reply {
        match self {
            LambdaApiError::MethodNotAllowed => Reply {
                status: 405,
                content_type: None,
                headers: Vec::new(),
                body: Vec::new(),
                error_code: Some(self.code()),
            },
            LambdaApiError::Wire(e) => e.to_rest_reply(),
            LambdaApiError::Engine(LambdaError::Throttled { reason }) => rest_json_error(
                self.status(),
                self.code(),
                &self.to_string(),
                &[("Reason", reason)],
            )
            .with_header("Retry-After", "1"),
            _ => rest_json_error(self.status(), self.code(), &self.to_string(), &[]),
        }
    }
}

/// The result of an operation.
pub(crate) type ApiResult<T = Reply> = Result<T, LambdaApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_errors_map_to_lambda_codes_and_statuses() {
        let cases: [(LambdaError, &str, u16); 6] = [
            (
                LambdaError::NotFound("f".into()),
                "ResourceNotFoundException",
                404,
            ),
            (
                LambdaError::Exists("f".into()),
                "ResourceConflictException",
                409,
            ),
            (
                LambdaError::InvalidParameter("no".into()),
                "InvalidParameterValueException",
                400,
            ),
            (
                LambdaError::Throttled { reason: "R" },
                "TooManyRequestsException",
                429,
            ),
            (
                LambdaError::RequestTooLarge,
                "RequestTooLargeException",
                413,
            ),
            (LambdaError::Io("disk".into()), "ServiceException", 500),
        ];
        for (engine, code, status) in cases {
            let e = LambdaApiError::from(engine);
            assert_eq!((e.code(), e.status()), (code, status), "{e:?}");
            let reply = e.to_reply();
            assert_eq!(reply.status, status);
            assert_eq!(reply.error_code, Some(code));
            assert!(
                reply
                    .headers
                    .contains(&("x-amzn-ErrorType", code.to_string()))
            );
            let body: serde_json::Value = serde_json::from_slice(&reply.body).expect("JSON");
            assert_eq!(body["message"], e.to_string());
            assert_eq!(body["Type"], if status >= 500 { "Service" } else { "User" });
        }
    }

    #[test]
    fn a_throttle_says_why_and_when_to_retry() {
        let reply = LambdaApiError::from(LambdaError::Throttled {
            reason: "ReservedFunctionConcurrentInvocationLimitExceeded",
        })
        .to_reply();
        let body: serde_json::Value = serde_json::from_slice(&reply.body).expect("JSON");
        assert_eq!(
            body["Reason"],
            "ReservedFunctionConcurrentInvocationLimitExceeded"
        );
        assert_eq!(body["message"], "Rate Exceeded.");
        assert!(reply.headers.contains(&("Retry-After", "1".to_string())));
    }

    #[test]
    fn own_errors_map_to_lambda_codes() {
        let invalid = LambdaApiError::invalid("bad").to_reply();
        assert_eq!(invalid.status, 400);
        assert_eq!(invalid.error_code, Some("InvalidParameterValueException"));
        let content = LambdaApiError::InvalidRequestContent("x".into()).to_reply();
        assert_eq!(content.error_code, Some("InvalidRequestContentException"));
        let method = LambdaApiError::MethodNotAllowed.to_reply();
        assert_eq!((method.status, method.body.len()), (405, 0));
    }
}
