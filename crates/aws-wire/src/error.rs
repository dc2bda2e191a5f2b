//! The one error type of this crate: every way a request body can be rejected.

/// Why a request body was rejected, in the terms AWS uses on the wire.
///
/// Both variants are client errors (HTTP 400). The message is the text AWS sends back, or empty
/// where AWS sends none (an unparseable body gets a bare `{"__type":"SerializationException"}`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The body is not a well-formed document of the request's encoding, or a member has the
    /// wrong type for its shape (a number where a string belongs, a bad base64 blob, ...).
    #[error("{}", with_code("SerializationException", .0))]
    Serialization(String),
    /// The body is well-typed but breaks the schema's constraints: a required member is
    /// missing, or a length, range, pattern or enum check fails. Holds the full
    /// "N validation error(s) detected: ..." text.
    #[error("{}", with_code("ValidationException", .0))]
    Validation(String),
}

impl WireError {
    /// The AWS error code to send as `__type`.
    pub fn code(&self) -> &'static str {
        match self {
            WireError::Serialization(_) => "SerializationException",
            WireError::Validation(_) => "ValidationException",
        }
    }

    /// The message to send, or `None` where AWS sends the code alone.
    pub fn message(&self) -> Option<&str> {
        let (WireError::Serialization(m) | WireError::Validation(m)) = self;
        if m.is_empty() { None } else { Some(m) }
    }

    /// The HTTP status AWS answers with: always 400, as both are the caller's fault.
    pub fn http_status(&self) -> u16 {
        400
    }

    /// The error document (`{"__type": ..., "message": ...}`) in the request's encoding.
    pub fn to_body(&self, enc: crate::Encoding) -> Vec<u8> {
        crate::error_body(enc, self.code(), self.message())
    }
}

fn with_code(code: &str, message: &str) -> String {
    if message.is_empty() {
        code.to_owned()
    } else {
        format!("{code}: {message}")
    }
}

/// The "1 validation error detected: ..." text for one broken constraint that a schema cannot
/// express (it depends on other members or on the engine), worded as the schema checks word
/// theirs: `member` is the name as AWS spells it in the text (`functionName`), `value` is `None`
/// for a missing member. Services that send this text under their own error code (Lambda's
/// `InvalidParameterValueException`) wrap it themselves.
pub fn violation_text(member: &str, value: Option<&str>, constraint: &str) -> String {
    let shown = match value {
        Some(v) => format!("'{v}'"),
        None => "null".to_owned(),
    };
    format!(
        "1 validation error detected: Value {shown} at '{member}' failed to satisfy constraint: {constraint}"
    )
}
