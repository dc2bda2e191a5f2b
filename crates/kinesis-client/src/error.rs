//! The client's errors.

/// What can go wrong in the producer or consumer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A record is larger than a Kinesis record may be (data and partition key over 1 MiB),
    /// or its partition key is not 1 to 256 characters.
    #[error("invalid record: {0}")]
    InvalidRecord(String),
    /// The producer's queue is full (from `try_put`; `put` waits instead).
    #[error("the producer's queue is full")]
    QueueFull,
    /// The producer was closed; nothing more can be put.
    #[error("the producer is closed")]
    Closed,
    /// Records could not be delivered within the retry policy; they are counted, not lost
    /// silently.
    #[error("{count} records could not be delivered; last error: {last_error}")]
    Undelivered {
        /// How many records were given up on.
        count: u64,
        /// The last error code or message seen.
        last_error: String,
    },
    /// A call to Kinesis failed and will not be retried.
    #[error("Kinesis {operation} failed: {message}")]
    Service {
        /// The API operation.
        operation: &'static str,
        /// The error code or message.
        message: String,
    },
    /// A JSON record could not be serialized.
    #[error("serializing a record: {0}")]
    Serialize(String),
    /// The checkpointer failed.
    #[error("checkpointer: {0}")]
    Checkpoint(String),
    /// The stream has no open shards to route to.
    #[error("stream {0} has no open shards")]
    NoShards(String),
}

/// The `error_type` label of a failed SDK call: the AWS error code when the service answered,
/// `timeout` or `connection` when it could not be reached in time or at all, else `unknown`.
pub(crate) fn error_type<E, R>(err: &aws_sdk_kinesis::error::SdkError<E, R>) -> String
where
    E: aws_sdk_kinesis::error::ProvideErrorMetadata,
{
    use aws_sdk_kinesis::error::SdkError;
    match err {
        SdkError::ServiceError(e) => e.err().code().unwrap_or("unknown").to_string(),
        SdkError::TimeoutError(_) => "timeout".to_string(),
        SdkError::DispatchFailure(e) if e.is_timeout() => "timeout".to_string(),
        SdkError::DispatchFailure(_) => "connection".to_string(),
        _ => "unknown".to_string(),
    }
}
