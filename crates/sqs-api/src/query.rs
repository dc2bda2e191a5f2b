//! SQS in the query protocol, which SDKs released before SQS moved to JSON still send
//! (botocore before 1.34.90, the AWS SDK for Java v1, older CLIs): a form body such as
//! `Action=SendMessage&QueueUrl=...&MessageBody=hi`, signed for `sqs`, answered in XML.
//!
//! SQS's query model flattens its lists and maps under names of their own, unlike
//! CloudWatch's and SNS's `member.N` / `entry.N`:
//!
//! - a list repeats its element's name: `AttributeName.1=All`, `SendMessageBatchRequestEntry.2.Id=b`,
//!   and in answers `<QueueUrl>` once per URL, `<Message>` once per message;
//! - a map repeats an entry element with two children: `Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=30`,
//!   `Tag.1.Key=team&Tag.1.Value=data`, and in answers `<Attribute><Name>..</Name><Value>..</Value></Attribute>`.
//!
//! So a request's parameters, read by [`aws_wire::decode_query`], are renamed here into the
//! JSON protocol's members (`AttributeName.N` becomes `AttributeNames`), checked by the same
//! schemas with the query encoding's text scalars, and run by the same operations; their
//! JSON output is then written as the query protocol's XML under the flattened names. The
//! names are the `locationName`s and `flattened` traits of botocore's last query-protocol
//! SQS model (`data/sqs/2012-11-05/service-2.json` before 1.34.90).
//!
//! A request without `QueueUrl` that was posted to a queue's URL (`POST /<account>/<queue>`,
//! as the AWS SDK for Java v1 does) names that queue. Errors are `<ErrorResponse>` documents
//! with the query protocol's codes (`AWS.SimpleQueueService.NonExistentQueue`).

use std::borrow::Cow;

use aws_wire::{
    Encoding, Reply, Request, Value, WireError, Writer, xml_close_tag as close,
    xml_open_tag as open,
};
use sqs_engine::{SqsEngine, SqsError};

use crate::actions::{self, Operation};
use crate::errors::codes;
use crate::{ApiError, Context};

/// The namespace of SQS's XML answers.
pub const XML_NAMESPACE: &str = "http://queue.amazonaws.com/doc/2012-11-05/";
/// The content type of SQS's XML answers.
pub const XML_CONTENT_TYPE: &str = "text/xml";

/// Flattened lists in requests: the element name sent, and the JSON member it fills.
const REQUEST_LISTS: [(&str, &str); 10] = [
    ("AttributeName", "AttributeNames"),
    ("MessageAttributeName", "MessageAttributeNames"),
    ("MessageSystemAttributeName", "MessageSystemAttributeNames"),
    ("TagKey", "TagKeys"),
    ("SendMessageBatchRequestEntry", "Entries"),
    ("DeleteMessageBatchRequestEntry", "Entries"),
    ("ChangeMessageVisibilityBatchRequestEntry", "Entries"),
    ("StringListValue", "StringListValues"),
    ("BinaryListValue", "BinaryListValues"),
    ("AWSAccountId", "AWSAccountIds"),
];

/// A flattened map: the entry element's name, the JSON member, and the names of the entry's
/// key and value children.
type FlatMap = (&'static str, &'static str, &'static str, &'static str);

/// Flattened maps in requests. Tags are `Tag.N` in both operations that take them;
/// CreateQueue's JSON member is `tags`, TagQueue's `Tags` ([`request_member`]).
const REQUEST_MAPS: [FlatMap; 4] = [
    ("Attribute", "Attributes", "Name", "Value"),
    ("MessageAttribute", "MessageAttributes", "Name", "Value"),
    (
        "MessageSystemAttribute",
        "MessageSystemAttributes",
        "Name",
        "Value",
    ),
    ("Tag", "Tags", "Key", "Value"),
];

/// The JSON member a flattened map fills in `op`'s request.
fn request_member(op: Operation, member: &'static str) -> &'static str {
    if op == Operation::CreateQueue && member == "Tags" {
        "tags"
    } else {
        member
    }
}

/// Flattened maps in answers: (element, JSON member, key child, value child).
const ANSWER_MAPS: [FlatMap; 3] = [
    ("Attribute", "Attributes", "Name", "Value"),
    ("MessageAttribute", "MessageAttributes", "Name", "Value"),
    ("Tag", "Tags", "Key", "Value"),
];

/// The element name of each item of the JSON list `member` in `op`'s answer.
fn answer_list_element(op: Operation, member: &str) -> Option<Cow<'static, str>> {
    Some(Cow::Borrowed(match member {
        "QueueUrls" | "queueUrls" => "QueueUrl",
        "Messages" => "Message",
        "Failed" => "BatchResultErrorEntry",
        "Results" => "ListMessageMoveTasksResultEntry",
        "StringListValues" => "StringListValue",
        "BinaryListValues" => "BinaryListValue",
        "Successful" => return Some(Cow::Owned(format!("{}ResultEntry", op.name()))),
        _ => return None,
    }))
}

/// Whether `op`'s answer has a `<{op}Result>` element: the operations the model gives an
/// output shape (the rest answer with `ResponseMetadata` alone).
fn has_result(op: Operation) -> bool {
    !matches!(
        op,
        Operation::ChangeMessageVisibility
            | Operation::DeleteMessage
            | Operation::DeleteQueue
            | Operation::PurgeQueue
            | Operation::SetQueueAttributes
            | Operation::TagQueue
            | Operation::UntagQueue
    )
}

/// Whether `req` is a query-protocol request: a form body.
pub(crate) fn is_query(req: &Request<'_>) -> bool {
    req.header("content-type")
        .is_some_and(aws_wire::is_form_content_type)
}

/// Answers a query-protocol request.
pub(crate) async fn handle(engine: &SqsEngine, req: &Request<'_>) -> Reply {
    let query = match aws_wire::decode_query(req.body) {
        Ok(q) => q,
        Err(e) => return wire_error(&e, req.request_id),
    };
    let action = query.action.as_deref().unwrap_or_default();
    let Some(op) = Operation::from_name(action) else {
        return error(
            400,
            "InvalidAction",
            &format!("The action {action} is not valid for this web service."),
            req.request_id,
        );
    };
    let mut params = rename(op, query.params);
    if let Value::Map(fields) = &mut params {
        queue_from_path(op, req.path, fields);
    }
    let ctx = Context {
        engine,
        trace_header: req.header("x-amzn-trace-id"),
        host: req.header("host"),
    };
    let mut w = Writer::new(Encoding::Json);
    match actions::run_value(op, &ctx, params, Encoding::Query, &mut w).await {
        Ok(()) => {
            let result = has_result(op).then(|| answer_xml(op, &w.finish()));
            let body = aws_wire::query_response(
                op.name(),
                XML_NAMESPACE,
                result.as_deref(),
                req.request_id,
            );
            Reply::new(200, XML_CONTENT_TYPE, body)
        }
        Err(ApiError::Sqs(e)) => sqs_error(&e, req.request_id),
        Err(ApiError::Wire(e)) => wire_error(&e, req.request_id),
    }
}

/// Adds `QueueUrl` from a request posted to a queue's URL, when the operation takes one and
/// the parameters do not name it.
fn queue_from_path(op: Operation, path: &str, fields: &mut Vec<(Cow<'_, str>, Value<'_>)>) {
    let takes_url = op.schema().iter().any(|m| m.name == "QueueUrl");
    let named = fields.iter().any(|(k, _)| k == "QueueUrl");
    let queue_path = path.trim_matches('/');
    if takes_url && !named && queue_path.contains('/') {
        fields.push((
            Cow::Borrowed("QueueUrl"),
            Value::Str(Cow::Owned(queue_path.to_owned())),
        ));
    }
}

/// The parameters of a structure with the flattened names replaced by the JSON members,
/// at every depth.
fn rename(op: Operation, value: Value<'_>) -> Value<'_> {
    let Value::Map(fields) = value else {
        return value;
    };
    let mut out = Vec::with_capacity(fields.len());
    for (name, v) in fields {
        if let Some((_, member)) = REQUEST_LISTS.iter().find(|(n, _)| *n == name) {
            out.push((
                Cow::Borrowed(*member),
                Value::Array(indexed(v).into_iter().map(|e| rename(op, e)).collect()),
            ));
        } else if let Some((_, member, key, val)) = REQUEST_MAPS.iter().find(|m| m.0 == name) {
            let entries = indexed(v)
                .into_iter()
                .filter_map(|entry| map_entry(op, entry, key, val))
                .collect();
            out.push((
                Cow::Borrowed(request_member(op, member)),
                Value::Map(entries),
            ));
        } else {
            out.push((name, rename(op, v)));
        }
    }
    Value::Map(out)
}

/// The items of a flattened list or map (`X.1`, `X.2`, ...) in index order; a value given
/// without an index is a list of one. Children that are not indexes are dropped, so the
/// schema then finds the member empty or missing and says so.
fn indexed(value: Value<'_>) -> Vec<Value<'_>> {
    match value {
        Value::Map(fields) => {
            let mut items: Vec<(u64, Value<'_>)> = fields
                .into_iter()
                .filter_map(|(k, v)| Some((k.parse::<u64>().ok()?, v)))
                .collect();
            items.sort_by_key(|(i, _)| *i);
            items.into_iter().map(|(_, v)| v).collect()
        }
        other => vec![other],
    }
}

/// One entry of a flattened map: its `key` child (a string) and its `val` child.
fn map_entry<'a>(
    op: Operation,
    entry: Value<'a>,
    key: &str,
    val: &str,
) -> Option<(Cow<'a, str>, Value<'a>)> {
    let Value::Map(children) = entry else {
        return None;
    };
    let mut name = None;
    let mut value = None;
    for (k, v) in children {
        if k == key {
            if let Value::Str(s) = v {
                name = Some(s);
            }
        } else if k == val {
            value = Some(rename(op, v));
        }
    }
    Some((name?, value?))
}

/// The `<{op}Result>` content for an operation's JSON output, members in the order the
/// operation wrote them.
fn answer_xml(op: Operation, json: &[u8]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(json.len() + 64);
    if let Ok(Value::Map(members)) = aws_wire::decode(Encoding::Json, json) {
        write_members(op, &members, &mut buf);
    }
    buf
}

fn write_members(op: Operation, members: &[(Cow<'_, str>, Value<'_>)], buf: &mut Vec<u8>) {
    for (name, value) in members {
        match value {
            Value::Array(items) => {
                let element = answer_list_element(op, name).unwrap_or(Cow::Borrowed(name));
                for item in items {
                    write_element(op, &element, item, buf);
                }
            }
            Value::Map(entries) => {
                if let Some((element, _, key, val)) = ANSWER_MAPS.iter().find(|m| m.1 == name) {
                    for (k, v) in entries {
                        open(buf, element);
                        write_element(op, key, &Value::Str(Cow::Borrowed(k)), buf);
                        write_element(op, val, v, buf);
                        close(buf, element);
                    }
                } else {
                    write_element(op, name, value, buf);
                }
            }
            _ => write_element(op, name, value, buf),
        }
    }
}

/// `<name>value</name>`; a structure's members nested, a null left out.
fn write_element(op: Operation, name: &str, value: &Value<'_>, buf: &mut Vec<u8>) {
    let text = match value {
        Value::Null | Value::Bytes(_) => return,
        Value::Map(members) => {
            open(buf, name);
            write_members(op, members, buf);
            close(buf, name);
            return;
        }
        Value::Array(items) => {
            for item in items {
                write_element(op, name, item, buf);
            }
            return;
        }
        Value::Str(s) => s.clone(),
        Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Value::Int(n) => Cow::Owned(n.to_string()),
        Value::Float(f) => Cow::Owned(f.to_string()),
    };
    open(buf, name);
    aws_wire::xml_escape(buf, &text);
    close(buf, name);
}

fn error(status: u16, code: &'static str, message: &str, request_id: &str) -> Reply {
    let body = aws_wire::query_error(XML_NAMESPACE, status < 500, code, Some(message), request_id);
    Reply::new(status, XML_CONTENT_TYPE, body).with_error_code(code)
}

/// An engine error under its query-protocol code.
fn sqs_error(e: &SqsError, request_id: &str) -> Reply {
    let c = codes(e);
    error(c.status, c.query_code, &e.to_string(), request_id)
}

/// A body that could not be read, or a parameter whose text does not fit its type:
/// `MalformedQueryString` and `InvalidParameterValue`, two of SQS's common errors.
fn wire_error(e: &WireError, request_id: &str) -> Reply {
    let code = match e {
        WireError::Serialization(_) if e.message().is_some_and(|m| m.contains(" is invalid.")) => {
            "InvalidParameterValue"
        }
        WireError::Serialization(_) => "MalformedQueryString",
        WireError::Validation(_) => "InvalidParameterValue",
    };
    error(400, code, e.message().unwrap_or(code), request_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::engine;

    async fn call(e: &SqsEngine, path: &str, body: &str) -> (u16, String) {
        let headers = [(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )];
        let req = Request {
            method: "POST",
            path,
            query: None,
            headers: &headers,
            body: body.as_bytes(),
            request_id: "req-1",
        };
        let reply = crate::handle(e, &req).await;
        (reply.status, String::from_utf8(reply.body).unwrap())
    }

    #[tokio::test]
    async fn flattened_maps_and_lists_go_in_and_come_out_under_sqs_names() {
        let (e, _) = engine();
        let (status, body) = call(
            &e,
            "/",
            "Action=CreateQueue&QueueName=jobs&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=45\
             &Attribute.2.Name=DelaySeconds&Attribute.2.Value=0&Tag.1.Key=team&Tag.1.Value=data",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body,
            "<CreateQueueResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">\
             <CreateQueueResult><QueueUrl>http://localhost/000000000000/jobs</QueueUrl></CreateQueueResult>\
             <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></CreateQueueResponse>"
        );
        let (_, body) = call(
            &e,
            "/",
            "Action=GetQueueAttributes&QueueUrl=http://localhost/000000000000/jobs\
             &AttributeName.1=VisibilityTimeout&AttributeName.2=DelaySeconds",
        )
        .await;
        assert!(
            body.contains(
                "<GetQueueAttributesResult><Attribute><Name>DelaySeconds</Name><Value>0</Value></Attribute>\
                 <Attribute><Name>VisibilityTimeout</Name><Value>45</Value></Attribute></GetQueueAttributesResult>"
            ),
            "{body}"
        );
        let (_, body) = call(&e, "/000000000000/jobs", "Action=ListQueueTags").await;
        assert!(
            body.contains("<Tag><Key>team</Key><Value>data</Value></Tag>"),
            "{body}"
        );
    }

    #[tokio::test]
    async fn messages_with_attributes_and_batches_round_trip() {
        let (e, _) = engine();
        call(&e, "/", "Action=CreateQueue&QueueName=q").await;
        let (status, body) = call(
            &e,
            "/000000000000/q",
            "Action=SendMessageBatch\
             &SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=one%20%26%20two\
             &SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=kind\
             &SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String\
             &SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=order\
             &SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=x\
             &SendMessageBatchRequestEntry.2.DelaySeconds=901",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains("<SendMessageBatchResultEntry><Id>a</Id>"),
            "{body}"
        );
        assert!(
            body.contains("<BatchResultErrorEntry><Id>b</Id>"),
            "a delay past 900 s fails its entry only: {body}"
        );
        let (_, body) = call(
            &e,
            "/",
            "Action=ReceiveMessage&QueueUrl=http://localhost/000000000000/q\
             &AttributeName.1=All&MessageAttributeName.1=All&MaxNumberOfMessages=10",
        )
        .await;
        assert!(body.contains("<Message><MessageId>"), "{body}");
        assert!(body.contains("<Body>one &amp; two</Body>"), "{body}");
        assert!(
            body.contains(
                "<MessageAttribute><Name>kind</Name><Value><DataType>String</DataType>\
                 <StringValue>order</StringValue></Value></MessageAttribute>"
            ),
            "{body}"
        );
        assert!(
            body.contains(
                "<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>"
            ),
            "{body}"
        );
    }

    #[tokio::test]
    async fn errors_carry_the_query_codes() {
        let (e, _) = engine();
        let (status, body) = call(&e, "/", "Action=GetQueueUrl&QueueName=missing").await;
        assert_eq!(status, 400);
        assert!(
            body.contains(
                "<Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code>"
            ),
            "{body}"
        );
        assert!(
            body.ends_with("<RequestId>req-1</RequestId></ErrorResponse>"),
            "{body}"
        );
        let (status, body) = call(&e, "/", "Action=Frobnicate").await;
        assert_eq!(status, 400);
        assert!(
            body.contains("<Code>InvalidAction</Code><Message>The action Frobnicate is not valid for this web service.</Message>"),
            "{body}"
        );
        let (status, body) = call(&e, "/", "Action=CreateQueue").await;
        assert_eq!(status, 400);
        assert!(body.contains("<Code>MissingParameter</Code>"), "{body}");
        call(&e, "/", "Action=CreateQueue&QueueName=q").await;
        let (status, body) = call(
            &e,
            "/000000000000/q",
            "Action=ReceiveMessage&MaxNumberOfMessages=lots",
        )
        .await;
        assert_eq!(status, 400);
        assert!(
            body.contains("<Code>InvalidParameterValue</Code>"),
            "{body}"
        );
    }
}
