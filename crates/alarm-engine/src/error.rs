//! The one error type of the crate; each variant knows its AWS error code and shape.

/// Why an alarm operation failed. Each variant carries AWS's message text (or the text chosen
/// where AWS's is not known; see the validation module).
///
/// [`AlarmError::code`] is the query-protocol `<Code>` (also the `x-amzn-query-error` header
/// of JSON/CBOR replies), [`AlarmError::shape`] the model's error shape for `__type`, and
/// [`AlarmError::http_status`] the shape's status.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AlarmError {
    /// A semantic check failed (`ValidationError`, HTTP 400). No model shape: JSON/CBOR
    /// clients see `com.amazon.coral.validate#ValidationException`.
    #[error("{0}")]
    Validation(String),
    /// A parameter has a value the service does not accept (`InvalidParameterValue`, 400).
    #[error("{0}")]
    InvalidParameterValue(String),
    /// Parameters that cannot go together (`InvalidParameterCombination`, 400).
    #[error("{0}")]
    InvalidParameterCombination(String),
    /// A required parameter is absent (`MissingParameter`, 400).
    #[error("{0}")]
    MissingParameter(String),
    /// Too many alarms (`LimitExceeded`, shape `LimitExceededFault`, 400).
    #[error("{0}")]
    LimitExceeded(String),
    /// No alarm of that name (`ResourceNotFound`, 404). `None`: AWS sends no message
    /// (SetAlarmState).
    #[error("{}", .0.as_deref().unwrap_or("ResourceNotFound"))]
    ResourceNotFound(Option<String>),
    /// A tagging call named no known resource (`ResourceNotFoundException`, 404, members
    /// `ResourceType` and `ResourceId`).
    #[error("{message}")]
    ResourceNotFoundException {
        /// The kind of resource, e.g. `Alarm`.
        resource_type: String,
        /// The ARN asked for.
        resource_id: String,
        /// The message.
        message: String,
    },
    /// A NextToken this engine did not hand out (`InvalidNextToken`, 400).
    #[error("{0}")]
    InvalidNextToken(String),
    /// StateReasonData is not JSON (`InvalidFormat`, shape `InvalidFormatFault`, 400).
    #[error("{0}")]
    InvalidFormat(String),
    /// The data directory could not be read or written (`InternalServiceError`, shape
    /// `InternalServiceFault`, 500).
    #[error("{0}")]
    Internal(String),
}

impl AlarmError {
    /// The query-protocol error code (`<Code>`, `x-amzn-query-error`).
    pub fn code(&self) -> &'static str {
        match self {
            AlarmError::Validation(_) => "ValidationError",
            AlarmError::InvalidParameterValue(_) => "InvalidParameterValue",
            AlarmError::InvalidParameterCombination(_) => "InvalidParameterCombination",
            AlarmError::MissingParameter(_) => "MissingParameter",
            AlarmError::LimitExceeded(_) => "LimitExceeded",
            AlarmError::ResourceNotFound(_) => "ResourceNotFound",
            AlarmError::ResourceNotFoundException { .. } => "ResourceNotFoundException",
            AlarmError::InvalidNextToken(_) => "InvalidNextToken",
            AlarmError::InvalidFormat(_) => "InvalidFormat",
            AlarmError::Internal(_) => "InternalServiceError",
        }
    }

    /// The model's error shape name (the JSON/CBOR `__type` after `#`). For
    /// [`AlarmError::Validation`] it is `ValidationException`, whose namespace is
    /// `com.amazon.coral.validate`, not the service's.
    pub fn shape(&self) -> &'static str {
        match self {
            AlarmError::Validation(_) => "ValidationException",
            AlarmError::InvalidParameterValue(_) => "InvalidParameterValueException",
            AlarmError::InvalidParameterCombination(_) => "InvalidParameterCombinationException",
            AlarmError::MissingParameter(_) => "MissingRequiredParameterException",
            AlarmError::LimitExceeded(_) => "LimitExceededFault",
            AlarmError::ResourceNotFound(_) => "ResourceNotFound",
            AlarmError::ResourceNotFoundException { .. } => "ResourceNotFoundException",
            AlarmError::InvalidNextToken(_) => "InvalidNextToken",
            AlarmError::InvalidFormat(_) => "InvalidFormatFault",
            AlarmError::Internal(_) => "InternalServiceFault",
        }
    }

    /// The HTTP status of the shape (query protocol, or JSON/CBOR in query mode).
    pub fn http_status(&self) -> u16 {
        match self {
            AlarmError::ResourceNotFound(_) | AlarmError::ResourceNotFoundException { .. } => 404,
            AlarmError::Internal(_) => 500,
            _ => 400,
        }
    }

    /// The message, if the error has one (SetAlarmState's ResourceNotFound has none).
    pub fn message(&self) -> Option<&str> {
        match self {
            AlarmError::Validation(m)
            | AlarmError::InvalidParameterValue(m)
            | AlarmError::InvalidParameterCombination(m)
            | AlarmError::MissingParameter(m)
            | AlarmError::LimitExceeded(m)
            | AlarmError::InvalidNextToken(m)
            | AlarmError::InvalidFormat(m)
            | AlarmError::Internal(m) => Some(m),
            AlarmError::ResourceNotFound(m) => m.as_deref(),
            AlarmError::ResourceNotFoundException { message, .. } => Some(message),
        }
    }

    pub(crate) fn validation(msg: impl Into<String>) -> AlarmError {
        AlarmError::Validation(msg.into())
    }
}
