//! The one error type of the crate; each variant says which CloudWatch error it is.

use crate::validate::ValidationMessage;

/// Why a dashboard operation failed, with the message CloudWatch sends (or the text chosen
/// where AWS's is not known; see the README of the API crate's notes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DashboardError {
    /// A parameter's value is not accepted (`InvalidParameterValue`, 400), e.g. a name with
    /// characters outside `A-Za-z0-9-_`.
    #[error("{0}")]
    InvalidParameterValue(String),
    /// The body failed validation (`InvalidParameterInput`, shape `DashboardInvalidInputError`,
    /// 400); the messages say where and why.
    #[error("{message}")]
    InvalidBody {
        /// `The dashboard body is invalid, there are N validation errors: [...]`.
        message: String,
        /// One entry per problem found.
        messages: Vec<ValidationMessage>,
    },
    /// No dashboard of that name (`ResourceNotFound`, shape `DashboardNotFoundError`, 404).
    #[error("{0}")]
    NotFound(String),
    /// A bound of this engine was reached (`LimitExceeded`, shape `LimitExceededFault`, 400).
    #[error("{0}")]
    LimitExceeded(String),
    /// The data file could not be read or written (`InternalServiceError`, 500).
    #[error("{0}")]
    Internal(String),
}
