//! The errors of CloudWatch Logs operations and how they go on the wire.

use aws_wire::{Encoding, Reply, WireError};

use crate::CONTENT_TYPE;

/// Why an operation was refused, with CloudWatch Logs' text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LogsError {
    /// A parameter the operation cannot use (`InvalidParameterException`); holds the text.
    #[error("{0}")]
    InvalidParameter(String),
    /// The log group names no function (`ResourceNotFoundException`).
    #[error("The specified log group does not exist.")]
    LogGroupNotFound,
    /// The function wrote nothing to that log stream (`ResourceNotFoundException`).
    #[error("The specified log stream does not exist.")]
    LogStreamNotFound,
    /// Both `logGroupName` and `logGroupIdentifier` given (`ValidationException`).
    #[error("LogGroup name and LogGroup ARN are mutually exclusive parameters.")]
    NameAndArn,
    /// What the log groups users create refused, with its own code.
    #[error("{0}")]
    Ingested(#[from] logs_engine::LogsError),
}

impl LogsError {
    /// The error's code, sent as `__type`.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            LogsError::InvalidParameter(_) => "InvalidParameterException",
            LogsError::LogGroupNotFound | LogsError::LogStreamNotFound => {
                "ResourceNotFoundException"
            }
            LogsError::NameAndArn => "ValidationException",
            LogsError::Ingested(e) => e.code(),
        }
    }
}

/// Why a request failed before or inside its operation.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// The body could not be read, or broke the schema.
    Wire(WireError),
    /// The operation refused it.
    Logs(LogsError),
}

impl From<WireError> for ApiError {
    fn from(e: WireError) -> Self {
        ApiError::Wire(e)
    }
}

impl From<LogsError> for ApiError {
    fn from(e: LogsError) -> Self {
        ApiError::Logs(e)
    }
}

impl From<logs_engine::LogsError> for ApiError {
    fn from(e: logs_engine::LogsError) -> Self {
        ApiError::Logs(LogsError::Ingested(e))
    }
}

impl ApiError {
    /// The reply: every error is the caller's (400) but the engine's failure to keep a
    /// change (500). CloudWatch Logs sends Coral's constraint errors ("1 validation error
    /// detected: ...") as InvalidParameterException.
    pub(crate) fn reply(&self) -> Reply {
        let reply = |code, message: Option<&str>| {
            aws_wire::error_reply(Encoding::Json, CONTENT_TYPE, 400, code, message)
        };
        match self {
            ApiError::Logs(LogsError::Ingested(e)) if e.is_server_fault() => aws_wire::error_reply(
                Encoding::Json,
                CONTENT_TYPE,
                500,
                e.code(),
                Some(&e.to_string()),
            ),
            ApiError::Wire(WireError::Validation(m)) => reply("InvalidParameterException", Some(m)),
            ApiError::Wire(e) => reply(e.code(), e.message()),
            ApiError::Logs(e) => reply(e.code(), Some(&e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_are_invalid_parameter_exceptions() {
        let r = ApiError::Wire(WireError::Validation(
            "1 validation error detected: x".into(),
        ))
        .reply();
        assert_eq!(r.status, 400);
        assert_eq!(r.error_code, Some("InvalidParameterException"));
        assert_eq!(
            r.body,
            br#"{"__type":"InvalidParameterException","message":"1 validation error detected: x"}"#
        );
        let r = ApiError::Logs(LogsError::LogGroupNotFound).reply();
        assert_eq!(
            r.body,
            br#"{"__type":"ResourceNotFoundException","message":"The specified log group does not exist."}"#
        );
        let r = ApiError::Wire(WireError::Serialization(String::new())).reply();
        assert_eq!(r.body, br#"{"__type":"SerializationException"}"#);
    }
}
