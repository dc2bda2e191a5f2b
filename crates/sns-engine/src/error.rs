//! The engine's one error type: why an SNS operation was refused.

/// Why an operation was refused. Each variant is one of AWS's SNS errors and its message is the
/// text AWS sends with it (`Invalid parameter: TopicArn`, `Topic does not exist`); the query
/// error code and HTTP status belong to the wire and are chosen by `sns-api`.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SnsError {
    /// A parameter's value is not acceptable (`InvalidParameter`, 400); holds AWS's whole
    /// message, which starts with `Invalid parameter: `.
    #[error("{0}")]
    InvalidParameter(String),
    /// A message attribute's value is not acceptable (`ParameterValueInvalid`, 400); holds
    /// AWS's whole message.
    #[error("{0}")]
    ParameterValueInvalid(String),
    /// The topic named does not exist (`NotFound`, 404).
    #[error("Topic does not exist")]
    TopicNotFound,
    /// The subscription named does not exist (`NotFound`, 404).
    #[error("Subscription does not exist")]
    SubscriptionNotFound,
    /// The resource a tagging call names does not exist (`ResourceNotFound`, 404).
    #[error("Resource does not exist")]
    ResourceNotFound,
    /// A PublishBatch without entries (`EmptyBatchRequest`).
    #[error("The batch request doesn't contain any entries.")]
    EmptyBatchRequest,
    /// A PublishBatch with more than [`MAX_BATCH`](crate::MAX_BATCH) entries
    /// (`TooManyEntriesInBatchRequest`).
    #[error("The batch request contains more entries than permissible.")]
    TooManyEntriesInBatchRequest,
    /// Two entries of a PublishBatch share an id (`BatchEntryIdsNotDistinct`).
    #[error("Two or more batch entries in the request have the same Id.")]
    BatchEntryIdsNotDistinct,
    /// An entry id outside `[A-Za-z0-9_-]{1,80}` (`InvalidBatchEntryId`).
    #[error("The Id of a batch entry in a batch request doesn't abide by the specification.")]
    InvalidBatchEntryId,
    /// The messages of a PublishBatch together exceed 256 KiB (`BatchRequestTooLong`).
    #[error("The length of all the batch messages put together is more than the limit.")]
    BatchRequestTooLong,
}

impl SnsError {
    /// `InvalidParameter` with the text `Invalid parameter: {what}`, AWS's usual form.
    pub(crate) fn invalid(what: impl std::fmt::Display) -> SnsError {
        SnsError::InvalidParameter(format!("Invalid parameter: {what}"))
    }
}
