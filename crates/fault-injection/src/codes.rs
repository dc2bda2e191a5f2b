//! The error codes a fault may answer, per service, with the HTTP status AWS gives each.
//!
//! Sources: the "Common Errors" pages of the AWS API references (InternalFailure 500,
//! ServiceUnavailable 503, ThrottlingException 400, for every service), and botocore's
//! service models for the modeled ones: CloudWatch `InternalServiceFault` (query code
//! `InternalServiceError`, 500), Lambda `ServiceException` (500) and
//! `TooManyRequestsException` (429), SNS `InternalErrorException` (code `InternalError`,
//! 500) and `ThrottledException` (code `Throttled`, 429), CloudWatch Logs
//! `ServiceUnavailableException` (a server fault; 500 in the Logs API reference), SQS
//! `RequestThrottled`. Kinesis' own errors are 400 (AWS-FACTS, and its API reference).

use crate::Service;

/// One error a fault can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    /// The code as the service's JSON protocol names it (`__type`, `x-amzn-ErrorType`), or
    /// the query protocol's code for SNS.
    pub code: &'static str,
    /// The code of the query protocol (`x-amzn-query-error`, an XML `<Code>`); the same as
    /// `code` for services without one.
    pub query_code: &'static str,
    /// The HTTP status AWS answers it with.
    pub status: u16,
    /// Whether the caller is at fault (`Sender`) rather than the service (`Receiver`).
    pub sender: bool,
    /// The message sent with it.
    pub message: &'static str,
}

const RATE_EXCEEDED: &str = "Rate exceeded";
/// The text Kinesis writes with a per-record `InternalFailure` (as real PutRecords responses
/// carry it; the API reference quotes it as "Internal Service Failure").
pub const INTERNAL_FAILURE_TEXT: &str = "Internal service failure.";
const UNAVAILABLE: &str = "Service Unavailable";

const fn code(
    code: &'static str,
    query_code: &'static str,
    status: u16,
    sender: bool,
    message: &'static str,
) -> ErrorCode {
    ErrorCode {
        code,
        query_code,
        status,
        sender,
        message,
    }
}

/// The errors every AWS service lists among its common errors.
const COMMON: [ErrorCode; 3] = [
    code(
        "InternalFailure",
        "InternalFailure",
        500,
        false,
        INTERNAL_FAILURE_TEXT,
    ),
    code(
        "ServiceUnavailable",
        "ServiceUnavailable",
        503,
        false,
        UNAVAILABLE,
    ),
    code(
        "ThrottlingException",
        "ThrottlingException",
        400,
        true,
        RATE_EXCEEDED,
    ),
];

const KINESIS: [ErrorCode; 3] = [
    code(
        "ProvisionedThroughputExceededException",
        "ProvisionedThroughputExceededException",
        400,
        true,
        RATE_EXCEEDED,
    ),
    code(
        "LimitExceededException",
        "LimitExceededException",
        400,
        true,
        RATE_EXCEEDED,
    ),
    code(
        "KMSThrottlingException",
        "KMSThrottlingException",
        400,
        true,
        RATE_EXCEEDED,
    ),
];

const CLOUDWATCH: [ErrorCode; 2] = [
    code(
        "InternalServiceFault",
        "InternalServiceError",
        500,
        false,
        INTERNAL_FAILURE_TEXT,
    ),
    code("Throttling", "Throttling", 400, true, RATE_EXCEEDED),
];

const LAMBDA: [ErrorCode; 2] = [
    code(
        "ServiceException",
        "ServiceException",
        500,
        false,
        INTERNAL_FAILURE_TEXT,
    ),
    code(
        "TooManyRequestsException",
        "TooManyRequestsException",
        429,
        true,
        RATE_EXCEEDED,
    ),
];

const SQS: [ErrorCode; 1] = [code(
    "RequestThrottled",
    "RequestThrottled",
    400,
    true,
    RATE_EXCEEDED,
)];

const SNS: [ErrorCode; 2] = [
    code(
        "InternalError",
        "InternalError",
        500,
        false,
        INTERNAL_FAILURE_TEXT,
    ),
    code("Throttled", "Throttled", 429, true, RATE_EXCEEDED),
];

const LOGS: [ErrorCode; 1] = [code(
    "ServiceUnavailableException",
    "ServiceUnavailableException",
    500,
    false,
    UNAVAILABLE,
)];

fn own(service: Service) -> &'static [ErrorCode] {
    match service {
        Service::Kinesis => &KINESIS,
        Service::CloudWatch => &CLOUDWATCH,
        Service::Lambda => &LAMBDA,
        Service::Sqs => &SQS,
        Service::Sns => &SNS,
        Service::Logs => &LOGS,
    }
}

/// The error `name` (its code or its query code) of `service`, if the service has it.
pub fn lookup(service: Service, name: &str) -> Option<&'static ErrorCode> {
    own(service)
        .iter()
        .chain(COMMON.iter())
        .find(|c| c.code == name || c.query_code == name)
}

/// Every code `service` may be asked to answer, for error messages.
pub fn names(service: Service) -> Vec<&'static str> {
    own(service)
        .iter()
        .chain(COMMON.iter())
        .map(|c| c.code)
        .collect()
}

/// The error `service` throttles `action` with, as a throttling storm answers: Kinesis'
/// data plane `ProvisionedThroughputExceededException` and its control plane
/// `LimitExceededException`, CloudWatch's `Throttling`, Lambda's `TooManyRequestsException`,
/// SQS's `RequestThrottled`, SNS's `Throttled`, CloudWatch Logs' `ThrottlingException`.
pub fn throttling(service: Service, action: &str) -> &'static ErrorCode {
    let name = match service {
        Service::Kinesis => match action {
            "PutRecord" | "PutRecords" | "GetRecords" => "ProvisionedThroughputExceededException",
            _ => "LimitExceededException",
        },
        Service::CloudWatch => "Throttling",
        Service::Lambda => "TooManyRequestsException",
        Service::Sqs => "RequestThrottled",
        Service::Sns => "Throttled",
        Service::Logs => "ThrottlingException",
    };
    lookup(service, name).unwrap_or(&COMMON[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_aws() {
        assert_eq!(
            lookup(Service::Kinesis, "InternalFailure").map(|c| c.status),
            Some(500)
        );
        assert_eq!(
            lookup(Service::Kinesis, "ServiceUnavailable").map(|c| c.status),
            Some(503)
        );
        assert_eq!(
            lookup(Service::CloudWatch, "InternalServiceError").map(|c| c.code),
            Some("InternalServiceFault")
        );
        assert_eq!(throttling(Service::Lambda, "Invoke").status, 429);
        assert_eq!(throttling(Service::Sns, "Publish").status, 429);
        assert_eq!(
            throttling(Service::Kinesis, "ListStreams").code,
            "LimitExceededException"
        );
        assert!(lookup(Service::Sqs, "ProvisionedThroughputExceededException").is_none());
    }
}
