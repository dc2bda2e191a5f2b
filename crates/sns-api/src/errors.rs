//! How each [`SnsError`] goes on the wire: the query protocol's code and the HTTP status, as
//! botocore's SNS model gives them (`NotFoundException` is `NotFound`, 404; ...).

use aws_wire::Reply;
use sns_engine::SnsError;

use crate::{CONTENT_TYPE, XML_NAMESPACE};

/// The query code and HTTP status of `e`.
pub(crate) fn codes(e: &SnsError) -> (&'static str, u16) {
    match e {
        SnsError::InvalidParameter(_) => ("InvalidParameter", 400),
        SnsError::ParameterValueInvalid(_) => ("ParameterValueInvalid", 400),
        SnsError::TopicNotFound | SnsError::SubscriptionNotFound => ("NotFound", 404),
        SnsError::ResourceNotFound => ("ResourceNotFound", 404),
        SnsError::EmptyBatchRequest => ("EmptyBatchRequest", 400),
        SnsError::TooManyEntriesInBatchRequest => ("TooManyEntriesInBatchRequest", 400),
        SnsError::BatchEntryIdsNotDistinct => ("BatchEntryIdsNotDistinct", 400),
        SnsError::InvalidBatchEntryId => ("InvalidBatchEntryId", 400),
        SnsError::BatchRequestTooLong => ("BatchRequestTooLong", 400),
    }
}

/// The `<ErrorResponse>` of an error with `code`, `status` and `message`.
pub(crate) fn error_reply(
    code: &'static str,
    status: u16,
    message: &str,
    request_id: &str,
) -> Reply {
    let body = aws_wire::query_error(XML_NAMESPACE, status < 500, code, Some(message), request_id);
    Reply::new(status, CONTENT_TYPE, body).with_error_code(code)
}

/// The reply for an engine error.
pub(crate) fn engine_error(e: &SnsError, request_id: &str) -> Reply {
    let (code, status) = codes(e);
    error_reply(code, status, &e.to_string(), request_id)
}
