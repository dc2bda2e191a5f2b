//! Helpers for services on the AWS JSON RPC protocols (`POST /` with `X-Amz-Target:
//! <prefix>.<Operation>`), such as SQS and CloudWatch Logs: the operation a request names,
//! the first required member it leaves out, and error replies.
//!
//! [`first_missing`] exists for services whose own front end answers a missing member with
//! its own error (SQS's `MissingParameter`: "The request must contain the parameter
//! QueueUrl.") rather than Coral's "Member must not be null" validation error: they call it
//! on the decoded value before [`validate`](crate::validate).

use crate::{Encoding, Member, Reply, Request, Shape, Value, error_body};

/// The operation named by the request's `X-Amz-Target` header for a service whose target
/// prefix is `prefix` (`AmazonSQS`, `Logs_20140328`): the text after `<prefix>.`, or `None`
/// when the header is absent or names another service.
///
/// ```
/// use aws_wire::{Request, target_operation};
///
/// let headers = [("x-amz-target", "AmazonSQS.SendMessage")];
/// let req = Request {
///     method: "POST",
///     path: "/",
///     query: None,
///     headers: &headers,
///     body: b"{}",
///     request_id: "r",
/// };
/// assert_eq!(target_operation(&req, "AmazonSQS"), Some("SendMessage"));
/// assert_eq!(target_operation(&req, "Logs_20140328"), None);
/// ```
pub fn target_operation<'a>(req: &Request<'a>, prefix: &str) -> Option<&'a str> {
    req.header("x-amz-target")?
        .strip_prefix(prefix)?
        .strip_prefix('.')
}

/// The wire name of the first required member that `value` leaves out (absent or null), in
/// schema order, looking into nested structures, lists of structures and maps of structures
/// as well; `None` when every required member is there or `value` is not a map.
///
/// Only presence is checked: types and constraints are [`validate`](crate::validate)'s job.
///
/// ```
/// use aws_wire::{Encoding, Member, Shape, decode, first_missing};
///
/// static ENTRY: [Member; 2] = [
///     Member::required("Id", &Shape::STRING),
///     Member::required("ReceiptHandle", &Shape::STRING),
/// ];
/// static ENTRIES: Shape = Shape::List {
///     member: &Shape::Structure(&ENTRY),
///     min_len: None,
///     max_len: None,
///     member_str: None,
/// };
/// static BATCH: [Member; 2] = [
///     Member::required("QueueUrl", &Shape::STRING),
///     Member::optional("Entries", &ENTRIES),
/// ];
///
/// let body = br#"{"QueueUrl":"q","Entries":[{"Id":"a"}]}"#;
/// let value = decode(Encoding::Json, body)?;
/// assert_eq!(first_missing(&value, &BATCH), Some("ReceiptHandle"));
/// let value = decode(Encoding::Json, br#"{"QueueUrl":null}"#)?;
/// assert_eq!(first_missing(&value, &BATCH), Some("QueueUrl"));
/// # Ok::<(), aws_wire::WireError>(())
/// ```
pub fn first_missing(value: &Value<'_>, members: &'static [Member]) -> Option<&'static str> {
    let Value::Map(entries) = value else {
        return None;
    };
    for member in members {
        // A repeated key counts as its last occurrence, as `validate` reads it.
        let found = entries
            .iter()
            .rev()
            .find(|(k, _)| k == member.name)
            .map(|(_, v)| v)
            .filter(|v| !matches!(v, Value::Null));
        match found {
            None if member.required => return Some(member.name),
            None => {}
            Some(v) => {
                if let Some(name) = missing_within(v, member.shape) {
                    return Some(name);
                }
            }
        }
    }
    None
}

fn missing_within(value: &Value<'_>, shape: &'static Shape) -> Option<&'static str> {
    match (shape, value) {
        (Shape::Structure(members), _) => first_missing(value, members),
        (Shape::List { member, .. }, Value::Array(items)) => {
            items.iter().find_map(|item| missing_within(item, member))
        }
        (Shape::Map { value: shape, .. }, Value::Map(entries)) => {
            entries.iter().find_map(|(_, v)| missing_within(v, shape))
        }
        _ => None,
    }
}

/// An error reply of a JSON or CBOR service: the `{"__type": code, "message": message}`
/// document in `enc`, answered with `status` and `content_type`, and marked with `code` for
/// the access log.
///
/// ```
/// use aws_wire::{Encoding, error_reply};
///
/// let r = error_reply(
///     Encoding::Json,
///     "application/x-amz-json-1.1",
///     400,
///     "ResourceNotFoundException",
///     Some("The specified log group does not exist."),
/// );
/// assert_eq!(r.status, 400);
/// assert_eq!(r.error_code, Some("ResourceNotFoundException"));
/// assert_eq!(
///     r.body,
///     br#"{"__type":"ResourceNotFoundException","message":"The specified log group does not exist."}"#
/// );
/// ```
pub fn error_reply(
    enc: Encoding,
    content_type: &'static str,
    status: u16,
    code: &'static str,
    message: Option<&str>,
) -> Reply {
    Reply::new(status, content_type, error_body(enc, code, message)).with_error_code(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode;

    static VALUE: [Member; 2] = [
        Member::required("DataType", &Shape::STRING),
        Member::optional("StringValue", &Shape::STRING),
    ];
    static VALUE_SHAPE: Shape = Shape::Structure(&VALUE);
    static ATTRIBUTES: Shape = Shape::Map {
        key: &Shape::STRING,
        value: &VALUE_SHAPE,
        min_len: None,
        max_len: None,
    };
    static SEND: [Member; 3] = [
        Member::required("QueueUrl", &Shape::STRING),
        Member::required("MessageBody", &Shape::STRING),
        Member::optional("MessageAttributes", &ATTRIBUTES),
    ];

    fn missing(body: &str) -> Option<&'static str> {
        first_missing(&decode(Encoding::Json, body.as_bytes()).unwrap(), &SEND)
    }

    #[test]
    fn finds_the_first_missing_member_in_schema_order_and_within_maps() {
        assert_eq!(missing("{}"), Some("QueueUrl"));
        assert_eq!(missing(r#"{"QueueUrl":"q"}"#), Some("MessageBody"));
        assert_eq!(
            missing(r#"{"MessageBody":"b","QueueUrl":"q","QueueUrl":null}"#),
            Some("QueueUrl")
        );
        assert_eq!(
            missing(
                r#"{"QueueUrl":"q","MessageBody":"b","MessageAttributes":{"a":{"StringValue":"v"}}}"#
            ),
            Some("DataType")
        );
        assert_eq!(
            missing(
                r#"{"QueueUrl":"q","MessageBody":"b","MessageAttributes":{"a":{"DataType":"String"}}}"#
            ),
            None
        );
        // Wrong types are validate's business, not this function's.
        assert_eq!(
            missing(r#"{"QueueUrl":1,"MessageBody":"b","MessageAttributes":[1]}"#),
            None
        );
    }

    #[test]
    fn target_needs_the_prefix_and_a_dot() {
        let headers = [("X-Amz-Target", "AmazonSQSX")];
        let req = Request {
            method: "POST",
            path: "/",
            query: None,
            headers: &headers,
            body: b"",
            request_id: "r",
        };
        assert_eq!(target_operation(&req, "AmazonSQS"), None);
    }
}
