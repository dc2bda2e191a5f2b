//! The engine's one error type: why an SQS operation was refused.

/// Why an operation was refused. Each variant is one of AWS's SQS errors, and its message is
/// the text AWS sends with it; the HTTP status, the JSON `__type` and the query protocol's code
/// belong to the wire and are chosen by `sqs-api`.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SqsError {
    /// The change could not be written to the data directory, so it was not made (or, for
    /// a receive's bookkeeping, may not survive a restart); holds the reason. A server
    /// error: the request may be retried.
    #[error("We encountered an internal error. Please try again. ({0})")]
    Storage(String),
    /// No queue of that name, URL or ARN.
    #[error("The specified queue does not exist.")]
    QueueDoesNotExist,
    /// A queue of that name exists with another value for the named attribute.
    #[error("A queue already exists with the same name and a different value for attribute {0}")]
    QueueNameExists(String),
    /// An attribute name the operation does not know.
    #[error("Unknown Attribute {0}.")]
    InvalidAttributeName(String),
    /// A queue attribute's value out of its range; holds the attribute's name.
    #[error("Invalid value for the parameter {0}.")]
    InvalidAttributeValue(String),
    /// A queue attribute's value refused for a reason SQS states; holds the attribute's
    /// name and the reason.
    #[error("Invalid value for the parameter {0}. Reason: {1}")]
    InvalidAttributeValueBecause(String, String),
    /// A FIFO-only attribute SQS names as such when given to a standard queue
    /// (DeduplicationScope, FifoThroughputLimit); holds its name. Its code is
    /// `InvalidAttributeName`.
    #[error("You can specify the {0} only when FifoQueue is set to true.")]
    FifoOnlyAttribute(String),
    /// A request parameter outside what SQS accepts; holds AWS's whole message.
    #[error("{0}")]
    InvalidParameterValue(String),
    /// A resource named by ARN does not exist (StartMessageMoveTask's SourceArn or
    /// DestinationArn); holds AWS's message.
    #[error("{0}")]
    ResourceNotFound(String),
    /// A required parameter is absent or empty; holds its name.
    #[error("The request must contain the parameter {0}.")]
    MissingParameter(String),
    /// A receipt handle this engine did not issue for the queue; holds the handle.
    #[error("The input receipt handle \"{0}\" is not a valid receipt handle.")]
    ReceiptHandleIsInvalid(String),
    /// The message of a receipt handle is not in flight (deleted, received again, or
    /// visible); holds the handle.
    #[error(
        "Value {0} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change."
    )]
    MessageNotInflight(String),
    /// PurgeQueue ran on the queue less than [`PURGE_INTERVAL`](crate::PURGE_INTERVAL) ago;
    /// holds the queue's ARN.
    #[error("Only one PurgeQueue operation on {0} is allowed every 60 seconds.")]
    PurgeQueueInProgress(String),
    /// A batch request with more than [`MAX_BATCH`](crate::MAX_BATCH) entries; holds how
    /// many were sent.
    #[error("Maximum number of entries per request are 10. You have sent {0}.")]
    TooManyEntriesInBatchRequest(usize),
    /// A batch request with no entries; holds the entry type's name
    /// (`SendMessageBatchRequestEntry`, ...).
    #[error("There should be at least one {0} in the request.")]
    EmptyBatchRequest(&'static str),
    /// Two entries of a batch share an id; holds the id.
    #[error("Id {0} repeated.")]
    BatchEntryIdsNotDistinct(String),
    /// An entry id outside `[A-Za-z0-9_-]{1,80}`.
    #[error(
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."
    )]
    InvalidBatchEntryId,
    /// A batch whose messages together exceed the size limit; holds the limit and the total
    /// sent, in bytes.
    #[error("Batch requests cannot be longer than {0} bytes. You have sent {1} bytes.")]
    BatchRequestTooLong(usize, usize),
    /// The engine's queues hold as many bytes as it keeps ([`SqsConfig::max_held_bytes`](
    /// crate::SqsConfig), `--max-queue-bytes`): the send is refused, nothing is stored.
    ///
    /// AWS has no "queues full" error; of the errors SendMessage and SendMessageBatch
    /// document, `RequestThrottled` is the closest (the request is refused for now and may
    /// succeed later), and SDKs retry it with backoff. `OverLimit`, which AWS uses for the
    /// in-flight message limit, is not among SendMessage's errors, so SDKs would see an
    /// unknown error and not retry.
    #[error(
        "Request is throttled: the queues hold {held} bytes of messages, the most this engine keeps is {max} (--max-queue-bytes). Receive and delete messages, or raise the limit."
    )]
    RequestThrottled {
        /// Bytes held when the send was refused.
        held: u64,
        /// The bound.
        max: u64,
    },
}
