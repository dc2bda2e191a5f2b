//! The engine's error type: each variant is one AWS error code.

/// An error from an engine operation. Each variant corresponds to one AWS Kinesis error code,
/// and its message is the text AWS sends with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The stream, shard or consumer does not exist (`ResourceNotFoundException`).
    #[error("{0}")]
    ResourceNotFound(String),
    /// The resource exists but is not in a state that allows the operation
    /// (`ResourceInUseException`).
    #[error("{0}")]
    ResourceInUse(String),
    /// An account or stream quota would be exceeded (`LimitExceededException`).
    #[error("{0}")]
    LimitExceeded(String),
    /// The request is well formed but its values are not acceptable (`InvalidArgumentException`).
    #[error("{0}")]
    InvalidArgument(String),
    /// A per-shard throughput limit was exceeded (`ProvisionedThroughputExceededException`).
    #[error("{0}")]
    ThroughputExceeded(String),
    /// The shard iterator is older than five minutes (`ExpiredIteratorException`).
    #[error("{0}")]
    ExpiredIterator(String),
    /// A pagination token is older than five minutes (`ExpiredNextTokenException`).
    #[error("{0}")]
    ExpiredNextToken(String),
    /// The request failed a constraint that AWS reports as `ValidationException`.
    #[error("{0}")]
    Validation(String),
    /// The engine failed internally, for example writing the journal (`InternalFailure`).
    #[error("{0}")]
    Internal(String),
}

impl EngineError {
    /// The AWS error code (`__type`) for this error.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::ResourceNotFound(_) => "ResourceNotFoundException",
            EngineError::ResourceInUse(_) => "ResourceInUseException",
            EngineError::LimitExceeded(_) => "LimitExceededException",
            EngineError::InvalidArgument(_) => "InvalidArgumentException",
            EngineError::ThroughputExceeded(_) => "ProvisionedThroughputExceededException",
            EngineError::ExpiredIterator(_) => "ExpiredIteratorException",
            EngineError::ExpiredNextToken(_) => "ExpiredNextTokenException",
            EngineError::Validation(_) => "ValidationException",
            EngineError::Internal(_) => "InternalFailure",
        }
    }

    /// The human-readable message sent with the code.
    pub fn message(&self) -> &str {
        match self {
            EngineError::ResourceNotFound(m)
            | EngineError::ResourceInUse(m)
            | EngineError::LimitExceeded(m)
            | EngineError::InvalidArgument(m)
            | EngineError::ThroughputExceeded(m)
            | EngineError::ExpiredIterator(m)
            | EngineError::ExpiredNextToken(m)
            | EngineError::Validation(m)
            | EngineError::Internal(m) => m,
        }
    }

    /// Whether this is a server-side failure (HTTP 500) rather than a client error (HTTP 400).
    pub fn is_server_error(&self) -> bool {
        matches!(self, EngineError::Internal(_))
    }
}

/// Result alias for engine operations.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
