//! Errors of a cycle, and the AWS error code of a failed SDK call.

/// What went wrong in a cycle. A cycle with errors still returns what it got.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CollectError {
    /// An API call failed.
    #[error("{operation} failed: {message}")]
    Call {
        /// The operation, e.g. `ListStreams`.
        operation: &'static str,
        /// The error code, or `timeout` / `connection` / `unknown`.
        message: String,
    },
}

pub(crate) fn code<E, R>(err: &aws_smithy_types_error::SdkError<E, R>) -> String
where
    E: aws_sdk_kinesis::error::ProvideErrorMetadata,
{
    use aws_smithy_types_error::SdkError;
    match err {
        SdkError::ServiceError(e) => e.err().code().unwrap_or("unknown").to_string(),
        SdkError::TimeoutError(_) => "timeout".to_string(),
        SdkError::DispatchFailure(e) if e.is_timeout() => "timeout".to_string(),
        SdkError::DispatchFailure(_) => "connection".to_string(),
        _ => "unknown".to_string(),
    }
}

pub(crate) fn call_error<E, R>(
    operation: &'static str,
    err: &aws_smithy_types_error::SdkError<E, R>,
) -> CollectError
where
    E: aws_sdk_kinesis::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    tracing::warn!(
        operation,
        error = %aws_sdk_kinesis::error::DisplayErrorContext(err),
        "call failed"
    );
    CollectError::Call {
        operation,
        message: code(err),
    }
}

/// The SDKs share one `SdkError` type; this names it once.
mod aws_smithy_types_error {
    pub use aws_sdk_kinesis::error::SdkError;
}
