//! What CloudWatch Logs refuses, with its codes and texts.

/// Why an operation was refused; [`LogsError::code`] is the AWS error code and the
/// `Display` text its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogsError {
    /// No log group of that name.
    #[error("The specified log group does not exist.")]
    GroupNotFound,
    /// No log stream of that name in the group.
    #[error("The specified log stream does not exist.")]
    StreamNotFound,
    /// CreateLogGroup of a name in use.
    #[error("The specified log group already exists")]
    GroupAlreadyExists,
    /// CreateLogStream of a name in use.
    #[error("The specified log stream already exists")]
    StreamAlreadyExists,
    /// A group or stream name over 512 characters.
    #[error("Invalid LogGroup or LogStream, both must have length less than or equal to 512.")]
    NameTooLong,
    /// A retention period AWS does not offer.
    #[error(
        "Invalid retention value. Valid values are: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]"
    )]
    InvalidRetention,
    /// A PutLogEvents batch out of time order.
    #[error("Log events in a single PutLogEvents request must be in chronological order.")]
    NotChronological,
    /// One event over the size limit (its bytes).
    #[error("Log event too large: {0} bytes exceeds limit of 1048576")]
    EventTooLarge(usize),
    /// A batch over the size limit (its bytes).
    #[error("Upload too large: {0} bytes exceeds limit of 1048576")]
    BatchTooLarge(usize),
    /// The accepted events of a batch more than 24 hours apart.
    #[error(
        "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
    )]
    SpanTooLong,
    /// A resource would hold more than 50 tags (its ARN).
    #[error("A resource can have no more than 50 tags.")]
    TooManyTags(String),
    /// One log group or stream more than this engine keeps ([`crate::MAX_LOG_GROUPS`],
    /// [`crate::MAX_STREAMS_PER_GROUP`]).
    #[error("Resource limit exceeded.")]
    LimitExceeded,
    /// DeleteLogGroup of a group with deletion protection enabled.
    #[error(
        "Cannot delete log group with deletion protection enabled. Disable deletion protection first."
    )]
    DeletionProtected,
    /// The change could not be written to the engine's journal (its detail, for the log),
    /// so it was not made.
    #[error("The service cannot complete the request.")]
    Storage(String),
}

impl LogsError {
    /// Whether the fault is the service's (HTTP 500) rather than the caller's (400).
    pub fn is_server_fault(&self) -> bool {
        matches!(self, LogsError::Storage(_))
    }

    /// The AWS error code (`__type`).
    pub fn code(&self) -> &'static str {
        match self {
            LogsError::GroupNotFound | LogsError::StreamNotFound => "ResourceNotFoundException",
            LogsError::GroupAlreadyExists | LogsError::StreamAlreadyExists => {
                "ResourceAlreadyExistsException"
            }
            LogsError::TooManyTags(_) => "TooManyTagsException",
            LogsError::LimitExceeded => "LimitExceededException",
            LogsError::Storage(_) => "ServiceUnavailableException",
            LogsError::DeletionProtected => "ValidationException",
            LogsError::NameTooLong
            | LogsError::InvalidRetention
            | LogsError::NotChronological
            | LogsError::EventTooLarge(_)
            | LogsError::BatchTooLarge(_)
            | LogsError::SpanTooLong => "InvalidParameterException",
        }
    }
}
