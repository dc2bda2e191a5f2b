//! How each [`SqsError`] goes on the wire: the JSON protocol's `__type`, the HTTP status and
//! the query protocol's code for the `x-amzn-query-error` header.

use aws_wire::{Encoding, QUERY_ERROR_HEADER, Reply};
use sqs_engine::SqsError;

use crate::CONTENT_TYPE;

/// The namespace of SQS's error shapes in `__type`.
const NAMESPACE: &str = "com.amazonaws.sqs";

/// An error's wire identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Codes {
    /// The error shape's name: `__type` after `com.amazonaws.sqs#`, and a batch entry's
    /// `Code`.
    pub(crate) code: &'static str,
    /// The HTTP status.
    pub(crate) status: u16,
    /// The query protocol's code, which SDKs built for it match on.
    pub(crate) query_code: &'static str,
}

/// The codes and status of `e`, as botocore's query-protocol SQS model gives them (the JSON
/// model no longer carries the query codes); errors the model does not list are 400 with the
/// shape name as their query code.
pub(crate) fn codes(e: &SqsError) -> Codes {
    let (code, status, query_code) = match e {
        SqsError::QueueDoesNotExist => (
            "QueueDoesNotExist",
            400,
            "AWS.SimpleQueueService.NonExistentQueue",
        ),
        SqsError::QueueNameExists(_) => ("QueueNameExists", 400, "QueueAlreadyExists"),
        SqsError::InvalidAttributeName(_) | SqsError::FifoOnlyAttribute(_) => {
            ("InvalidAttributeName", 400, "InvalidAttributeName")
        }
        SqsError::InvalidAttributeValue(_) | SqsError::InvalidAttributeValueBecause(..) => {
            ("InvalidAttributeValue", 400, "InvalidAttributeValue")
        }
        SqsError::InvalidParameterValue(_) => {
            ("InvalidParameterValue", 400, "InvalidParameterValue")
        }
        SqsError::MissingParameter(_) => ("MissingParameter", 400, "MissingParameter"),
        SqsError::ResourceNotFound(_) => (
            "ResourceNotFoundException",
            400,
            "ResourceNotFoundException",
        ),
        SqsError::ReceiptHandleIsInvalid(_) => {
            ("ReceiptHandleIsInvalid", 404, "ReceiptHandleIsInvalid")
        }
        SqsError::MessageNotInflight(_) => (
            "MessageNotInflight",
            400,
            "AWS.SimpleQueueService.MessageNotInflight",
        ),
        SqsError::PurgeQueueInProgress(_) => (
            "PurgeQueueInProgress",
            403,
            "AWS.SimpleQueueService.PurgeQueueInProgress",
        ),
        SqsError::TooManyEntriesInBatchRequest(_) => (
            "TooManyEntriesInBatchRequest",
            400,
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        ),
        SqsError::EmptyBatchRequest(_) => (
            "EmptyBatchRequest",
            400,
            "AWS.SimpleQueueService.EmptyBatchRequest",
        ),
        SqsError::BatchEntryIdsNotDistinct(_) => (
            "BatchEntryIdsNotDistinct",
            400,
            "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        ),
        SqsError::InvalidBatchEntryId => (
            "InvalidBatchEntryId",
            400,
            "AWS.SimpleQueueService.InvalidBatchEntryId",
        ),
        SqsError::BatchRequestTooLong(..) => (
            "BatchRequestTooLong",
            400,
            "AWS.SimpleQueueService.BatchRequestTooLong",
        ),
        // Not in the query model's list: 400, its shape name as the query code.
        SqsError::RequestThrottled { .. } => ("RequestThrottled", 400, "RequestThrottled"),
        // The data directory failed: a server fault, which SDKs retry.
        SqsError::Storage(_) => ("InternalError", 500, "InternalError"),
    };
    Codes {
        code,
        status,
        query_code,
    }
}

/// The reply for `e`: `{"__type": "com.amazonaws.sqs#<code>", "message": ...}` with its
/// status and the `x-amzn-query-error: <query code>;Sender` header.
pub(crate) fn error_reply(e: &SqsError) -> Reply {
    let c = codes(e);
    let message = e.to_string();
    let (body, header) = aws_wire::query_compatible_error(
        Encoding::Json,
        NAMESPACE,
        c.code,
        c.query_code,
        true,
        Some(&message),
    );
    Reply::new(c.status, CONTENT_TYPE, body)
        .with_header(QUERY_ERROR_HEADER, header)
        .with_error_code(c.code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_query_codes_follow_the_query_model() {
        let purge = codes(&SqsError::PurgeQueueInProgress("arn".into()));
        assert_eq!(
            (purge.status, purge.query_code),
            (403, "AWS.SimpleQueueService.PurgeQueueInProgress")
        );
        assert_eq!(
            codes(&SqsError::ReceiptHandleIsInvalid("h".into())).status,
            404
        );
        assert_eq!(
            codes(&SqsError::QueueNameExists("DelaySeconds".into())).query_code,
            "QueueAlreadyExists"
        );
        assert_eq!(
            codes(&SqsError::MissingParameter("QueueUrl".into())),
            Codes {
                code: "MissingParameter",
                status: 400,
                query_code: "MissingParameter"
            }
        );
    }

    #[test]
    fn replies_carry_type_message_and_header() {
        let r = error_reply(&SqsError::QueueDoesNotExist);
        assert_eq!(r.status, 400);
        assert_eq!(r.error_code, Some("QueueDoesNotExist"));
        assert_eq!(
            r.body,
            br#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#
        );
        assert_eq!(
            r.headers,
            vec![(
                "x-amzn-query-error",
                "AWS.SimpleQueueService.NonExistentQueue;Sender".to_string()
            )]
        );
    }
}
