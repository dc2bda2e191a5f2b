//! CloudWatch's errors: each knows its shape name (JSON/CBOR `__type`), its query code
//! (`x-amzn-query-error` and the XML `Code`), its HTTP status and whether the caller is at fault.

/// The namespace of CloudWatch's modeled error shapes on the wire.
pub const ERROR_NAMESPACE: &str = "com.amazonaws.cloudwatch.v2010_08_01";

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CwError {
    /// Absolute shape id sent as `__type` in JSON and CBOR.
    pub type_id: String,
    /// The query-protocol code (`InvalidParameterValue`, ...).
    pub query_code: &'static str,
    /// HTTP status.
    pub status: u16,
    /// `Sender` (the caller's fault) or `Receiver`.
    pub sender: bool,
    /// The message, if any.
    pub message: Option<String>,
    /// PutDashboard's `dashboardValidationMessages` (`DataPath`, `Message`): sent as a member
    /// of the JSON and CBOR error; empty for every other error.
    pub validation_messages: Vec<(String, String)>,
}

impl CwError {
    fn modeled(shape: &str, query_code: &'static str, message: impl Into<String>) -> CwError {
        CwError {
            type_id: format!("{ERROR_NAMESPACE}#{shape}"),
            query_code,
            status: 400,
            sender: true,
            message: Some(message.into()),
            validation_messages: Vec::new(),
        }
    }

    /// `InvalidParameterValue`: a parameter's value is not acceptable.
    pub fn invalid_value(message: impl Into<String>) -> CwError {
        CwError::modeled(
            "InvalidParameterValueException",
            "InvalidParameterValue",
            message,
        )
    }

    /// `MissingParameter`: a required parameter is absent.
    pub fn missing(message: impl Into<String>) -> CwError {
        CwError::modeled(
            "MissingRequiredParameterException",
            "MissingParameter",
            message,
        )
    }

    /// `InvalidParameterCombination`: parameters that exclude each other.
    pub fn combination(message: impl Into<String>) -> CwError {
        CwError::modeled(
            "InvalidParameterCombinationException",
            "InvalidParameterCombination",
            message,
        )
    }

    /// `InvalidNextToken`: a pagination token this server did not issue.
    pub fn invalid_next_token(message: impl Into<String>) -> CwError {
        CwError::modeled("InvalidNextToken", "InvalidNextToken", message)
    }

    /// The front end's constraint error: `ValidationError` in query, Coral's
    /// `ValidationException` in JSON and CBOR.
    pub fn validation(message: impl Into<String>) -> CwError {
        CwError {
            type_id: "com.amazon.coral.validate#ValidationException".into(),
            query_code: "ValidationError",
            status: 400,
            sender: true,
            message: Some(message.into()),
            validation_messages: Vec::new(),
        }
    }

    /// A body that could not be read at all.
    pub fn serialization(message: Option<String>) -> CwError {
        CwError {
            type_id: "com.amazon.coral.service#SerializationException".into(),
            query_code: "SerializationException",
            status: 400,
            sender: true,
            message,
            validation_messages: Vec::new(),
        }
    }

    /// An operation this server does not implement.
    pub fn unknown_operation(op: &str) -> CwError {
        CwError {
            type_id: "com.amazon.coral.service#UnknownOperationException".into(),
            query_code: "InvalidAction",
            status: 400,
            sender: true,
            message: Some(format!(
                "The action {op} is not valid for this web service."
            )),
            validation_messages: Vec::new(),
        }
    }

    /// A request without credentials.
    pub fn missing_authentication() -> CwError {
        CwError {
            type_id: "com.amazon.coral.service#MissingAuthenticationTokenException".into(),
            query_code: "MissingAuthenticationToken",
            status: 403,
            sender: true,
            message: Some("Missing Authentication Token".into()),
            validation_messages: Vec::new(),
        }
    }

    /// The shape name alone (after `#`).
    pub fn shape(&self) -> &str {
        self.type_id.rsplit('#').next().unwrap_or(&self.type_id)
    }

    /// The `x-amzn-query-error` header value: `Code;Sender` or `Code;Receiver`.
    pub fn query_error_header(&self) -> String {
        format!(
            "{};{}",
            self.query_code,
            if self.sender { "Sender" } else { "Receiver" }
        )
    }
}

impl From<aws_wire::WireError> for CwError {
    fn from(e: aws_wire::WireError) -> Self {
        match e {
            aws_wire::WireError::Validation(m) => CwError::validation(m),
            aws_wire::WireError::Serialization(m) => {
                CwError::serialization(if m.is_empty() { None } else { Some(m) })
            }
        }
    }
}

/// Result of an action.
pub type CwResult<T = ()> = Result<T, CwError>;

impl From<dashboards::DashboardError> for CwError {
    fn from(e: dashboards::DashboardError) -> CwError {
        use dashboards::DashboardError as D;
        let (shape, query_code, status) = match &e {
            D::InvalidParameterValue(_) => (
                "InvalidParameterValueException",
                "InvalidParameterValue",
                400,
            ),
            D::InvalidBody { .. } => ("DashboardInvalidInputError", "InvalidParameterInput", 400),
            D::NotFound(_) => ("DashboardNotFoundError", "ResourceNotFound", 404),
            D::LimitExceeded(_) => ("LimitExceededFault", "LimitExceeded", 400),
            D::Internal(_) => ("InternalServiceFault", "InternalServiceError", 500),
        };
        let validation_messages = match &e {
            D::InvalidBody { messages, .. } => messages
                .iter()
                .map(|m| (m.data_path.clone(), m.message.clone()))
                .collect(),
            _ => Vec::new(),
        };
        CwError {
            type_id: format!("{ERROR_NAMESPACE}#{shape}"),
            query_code,
            status,
            sender: !matches!(e, D::Internal(_)),
            message: Some(e.to_string()),
            validation_messages,
        }
    }
}
