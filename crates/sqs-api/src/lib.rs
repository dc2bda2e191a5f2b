//! The Amazon SQS API in the AWS JSON 1.0 protocol, which current SDKs (aws-sdk-sqs, boto3,
//! the AWS CLI) send: `POST /` with `X-Amz-Target: AmazonSQS.<Operation>` and a JSON body.
//!
//! Errors carry the JSON protocol's `__type` (`com.amazonaws.sqs#QueueDoesNotExist`) and, in
//! the answer's `query_error`, the query protocol's code for the `x-amzn-query-error` header
//! (`AWS.SimpleQueueService.NonExistentQueue;Sender`), which SDKs built for the query
//! protocol match on. The older query protocol (form bodies) is not served.

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

use std::collections::{BTreeMap, HashSet};

use base64::Engine as _;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use sqs_engine::{AttributeValue, Outgoing, Received, SqsEngine, SqsError};

/// The `X-Amz-Target` prefix of SQS operations.
pub const TARGET_PREFIX: &str = "AmazonSQS.";
/// The content type of requests and answers.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";
/// Largest total of message sizes in one SendMessageBatch (1 MiB).
pub const MAX_BATCH_BYTES: usize = sqs_engine::MAX_MESSAGE_BYTES;

/// An answer: status, JSON body and the query-compatible error code.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: String,
    /// `<query code>;Sender` for errors: the `x-amzn-query-error` header.
    pub query_error: Option<String>,
}

impl Answer {
    fn ok(body: Value) -> Answer {
        Answer {
            status: 200,
            body: body.to_string(),
            query_error: None,
        }
    }

    fn error(e: &SqsError) -> Answer {
        Answer {
            status: e.status(),
            body: json!({"__type": format!("com.amazonaws.sqs#{}", e.code()), "message": e.to_string()})
                .to_string(),
            query_error: Some(format!("{};Sender", e.query_code())),
        }
    }

    fn protocol(status: u16, kind: &str, message: &str) -> Answer {
        Answer {
            status,
            body: json!({"__type": kind, "message": message}).to_string(),
            query_error: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JsonAttribute {
    data_type: String,
    string_value: Option<String>,
    binary_value: Option<String>,
}

fn attributes(
    given: Option<BTreeMap<String, JsonAttribute>>,
) -> Result<BTreeMap<String, AttributeValue>, SqsError> {
    let mut out = BTreeMap::new();
    for (name, a) in given.unwrap_or_default() {
        let value = match (&a.string_value, &a.binary_value) {
            (Some(s), _) if !a.data_type.starts_with("Binary") => s.as_bytes().to_vec(),
            (_, Some(b)) if a.data_type.starts_with("Binary") => {
                base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .map_err(|_| {
                        SqsError::InvalidParameterValue(format!(
                            "Message (user) attribute '{name}' has an invalid binary value."
                        ))
                    })?
            }
            _ => Vec::new(),
        };
        out.insert(
            name,
            AttributeValue {
                data_type: a.data_type,
                value,
            },
        );
    }
    Ok(out)
}

fn attribute_json(a: &AttributeValue) -> Value {
    if a.is_binary() {
        json!({"DataType": a.data_type, "BinaryValue": base64::engine::general_purpose::STANDARD.encode(&a.value)})
    } else {
        json!({"DataType": a.data_type, "StringValue": String::from_utf8_lossy(&a.value)})
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct QueueNamed {
    queue_name: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    #[serde(default, rename = "tags")]
    tags: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct QueueAt {
    queue_url: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    #[serde(default)]
    attribute_names: Vec<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default)]
    tag_keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListQueues {
    queue_name_prefix: Option<String>,
    max_results: Option<usize>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendEntry {
    #[serde(default)]
    id: String,
    message_body: Option<String>,
    delay_seconds: Option<u32>,
    message_attributes: Option<BTreeMap<String, JsonAttribute>>,
    message_system_attributes: Option<BTreeMap<String, JsonAttribute>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendMessage {
    queue_url: String,
    #[serde(flatten)]
    entry: SendEntry,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendBatch {
    queue_url: String,
    #[serde(default)]
    entries: Vec<SendEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Receive {
    queue_url: String,
    max_number_of_messages: Option<u32>,
    visibility_timeout: Option<u32>,
    wait_time_seconds: Option<u32>,
    #[serde(default)]
    attribute_names: Vec<String>,
    #[serde(default)]
    message_system_attribute_names: Vec<String>,
    #[serde(default)]
    message_attribute_names: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReceiptEntry {
    #[serde(default)]
    id: String,
    receipt_handle: String,
    visibility_timeout: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ByReceipt {
    queue_url: String,
    #[serde(flatten)]
    entry: ReceiptEntry,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReceiptBatch {
    queue_url: String,
    #[serde(default)]
    entries: Vec<ReceiptEntry>,
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Answer> {
    let body = if body.is_empty() {
        b"{}" as &[u8]
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        let missing = e.to_string();
        if let Some(field) = missing
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
        {
            return Answer::error(&SqsError::MissingParameter(field.to_string()));
        }
        Answer::protocol(
            400,
            "com.amazon.coral.service#SerializationException",
            "Start of structure or map found where not expected.",
        )
    })
}

/// Answers one SQS operation. ReceiveMessage may wait (long polling) up to 20 seconds.
/// `trace_header` is the request's `X-Amzn-Trace-Id`, which messages sent keep as their
/// `AWSTraceHeader` (an explicit `AWSTraceHeader` system attribute wins).
pub async fn handle(
    engine: &SqsEngine,
    operation: &str,
    body: &[u8],
    trace_header: Option<&str>,
) -> Answer {
    match dispatch(engine, operation, body, trace_header).await {
        Ok(Ok(v)) => Answer::ok(v),
        Ok(Err(e)) => Answer::error(&e),
        Err(answer) => answer,
    }
}

async fn dispatch(
    engine: &SqsEngine,
    operation: &str,
    body: &[u8],
    trace_header: Option<&str>,
) -> Result<Result<Value, SqsError>, Answer> {
    Ok(match operation {
        "CreateQueue" => {
            let r: QueueNamed = parse(body)?;
            engine
                .create_queue(&r.queue_name, &r.attributes, &r.tags)
                .map(|url| json!({"QueueUrl": url}))
        }
        "GetQueueUrl" => {
            let r: QueueNamed = parse(body)?;
            engine
                .queue_url(&r.queue_name)
                .map(|url| json!({"QueueUrl": url}))
        }
        "ListQueues" => {
            let r: ListQueues = parse(body)?;
            Ok(list_queues(engine, &r))
        }
        "DeleteQueue" => {
            let r: QueueAt = parse(body)?;
            engine.delete_queue(&r.queue_url).map(|()| json!({}))
        }
        "GetQueueAttributes" => {
            let r: QueueAt = parse(body)?;
            let names = if r.attribute_names.is_empty() {
                vec!["All".to_string()]
            } else {
                r.attribute_names
            };
            engine
                .attributes(&r.queue_url, &names)
                .map(|a| json!({"Attributes": a}))
        }
        "SetQueueAttributes" => {
            let r: QueueAt = parse(body)?;
            engine
                .set_attributes(&r.queue_url, &r.attributes)
                .map(|()| json!({}))
        }
        "TagQueue" => {
            let r: QueueAt = parse(body)?;
            engine.tag(&r.queue_url, &r.tags).map(|()| json!({}))
        }
        "UntagQueue" => {
            let r: QueueAt = parse(body)?;
            engine.untag(&r.queue_url, &r.tag_keys).map(|()| json!({}))
        }
        "ListQueueTags" => {
            let r: QueueAt = parse(body)?;
            engine.tags(&r.queue_url).map(|t| json!({"Tags": t}))
        }
        "PurgeQueue" => {
            let r: QueueAt = parse(body)?;
            engine.purge(&r.queue_url).map(|()| json!({}))
        }
        "SendMessage" => {
            let r: SendMessage = parse(body)?;
            send_one(engine, &r.queue_url, r.entry, trace_header).map(|sent| {
                let mut out = Map::new();
                out.insert("MessageId".into(), sent.message_id.into());
                out.insert("MD5OfMessageBody".into(), sent.md5_of_body.into());
                if let Some(md5) = sent.md5_of_attributes {
                    out.insert("MD5OfMessageAttributes".into(), md5.into());
                }
                Value::Object(out)
            })
        }
        "SendMessageBatch" => {
            let r: SendBatch = parse(body)?;
            send_batch(engine, r, trace_header)
        }
        "ReceiveMessage" => {
            let r: Receive = parse(body)?;
            receive(engine, r).await
        }
        "DeleteMessage" => {
            let r: ByReceipt = parse(body)?;
            engine
                .delete(&r.queue_url, &r.entry.receipt_handle)
                .map(|()| json!({}))
        }
        "DeleteMessageBatch" => {
            let r: ReceiptBatch = parse(body)?;
            receipt_batch(&r, "DeleteMessageBatchRequestEntry", |e| {
                engine.delete(&r.queue_url, &e.receipt_handle)
            })
        }
        "ChangeMessageVisibility" => {
            let r: ByReceipt = parse(body)?;
            let Some(timeout) = r.entry.visibility_timeout else {
                return Ok(Err(SqsError::MissingParameter("VisibilityTimeout".into())));
            };
            engine
                .change_visibility(&r.queue_url, &r.entry.receipt_handle, timeout)
                .map(|()| json!({}))
        }
        "ChangeMessageVisibilityBatch" => {
            let r: ReceiptBatch = parse(body)?;
            receipt_batch(&r, "ChangeMessageVisibilityBatchRequestEntry", |e| {
                engine.change_visibility(
                    &r.queue_url,
                    &e.receipt_handle,
                    e.visibility_timeout.unwrap_or(0),
                )
            })
        }
        _ => {
            return Err(Answer::protocol(
                400,
                "com.amazon.coral.service#UnknownOperationException",
                &format!("The action {operation} is not valid for this web service."),
            ));
        }
    })
}

fn list_queues(engine: &SqsEngine, r: &ListQueues) -> Value {
    let urls = engine.list_queues(r.queue_name_prefix.as_deref());
    let start = r
        .next_token
        .as_deref()
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(0);
    let mut out = Map::new();
    match r.max_results.map(|m| m.clamp(1, 1000)) {
        Some(max) => {
            let page: Vec<&String> = urls.iter().skip(start).take(max).collect();
            if start + page.len() < urls.len() {
                out.insert("NextToken".into(), (start + page.len()).to_string().into());
            }
            if !page.is_empty() {
                out.insert("QueueUrls".into(), json!(page));
            }
        }
        // Without MaxResults SQS returns at most 1,000 queues and no token.
        None if !urls.is_empty() => {
            out.insert(
                "QueueUrls".into(),
                json!(urls.iter().take(1000).collect::<Vec<_>>()),
            );
        }
        None => {}
    }
    Value::Object(out)
}

fn outgoing(entry: SendEntry, trace_header: Option<&str>) -> Result<Outgoing, SqsError> {
    let explicit = entry
        .message_system_attributes
        .as_ref()
        .and_then(|a| a.get("AWSTraceHeader"))
        .and_then(|a| a.string_value.clone());
    Ok(Outgoing {
        body: entry
            .message_body
            .ok_or_else(|| SqsError::MissingParameter("MessageBody".into()))?,
        delay_seconds: entry.delay_seconds,
        attributes: attributes(entry.message_attributes)?,
        trace_header: explicit.or_else(|| trace_header.map(str::to_string)),
    })
}

fn send_one(
    engine: &SqsEngine,
    queue_url: &str,
    entry: SendEntry,
    trace_header: Option<&str>,
) -> Result<sqs_engine::Sent, SqsError> {
    engine.send(queue_url, outgoing(entry, trace_header)?)
}

/// Checks what makes a whole batch request fail: entry count, ids.
fn check_batch<'a>(
    ids: impl ExactSizeIterator<Item = &'a str>,
    entry_name: &'static str,
) -> Result<(), SqsError> {
    let n = ids.len();
    if n == 0 {
        return Err(SqsError::EmptyBatchRequest(entry_name));
    }
    if n > sqs_engine::MAX_BATCH {
        return Err(SqsError::TooManyEntriesInBatchRequest(n));
    }
    let mut seen = HashSet::new();
    for id in ids {
        if !sqs_engine::valid_batch_id(id) {
            return Err(SqsError::InvalidBatchEntryId);
        }
        if !seen.insert(id) {
            return Err(SqsError::BatchEntryIdsNotDistinct(id.to_string()));
        }
    }
    Ok(())
}

fn failed(id: &str, e: &SqsError) -> Value {
    json!({"Id": id, "SenderFault": true, "Code": e.code(), "Message": e.to_string()})
}

fn send_batch(
    engine: &SqsEngine,
    r: SendBatch,
    trace_header: Option<&str>,
) -> Result<Value, SqsError> {
    check_batch(
        r.entries.iter().map(|e| e.id.as_str()),
        "SendMessageBatchRequestEntry",
    )?;
    let mut prepared = Vec::with_capacity(r.entries.len());
    let mut total = 0;
    for entry in r.entries {
        let id = entry.id.clone();
        let message = outgoing(entry, trace_header);
        if let Ok(m) = &message {
            total += sqs_engine::message_size(m);
        }
        prepared.push((id, message));
    }
    if total > MAX_BATCH_BYTES {
        return Err(SqsError::BatchRequestTooLong(MAX_BATCH_BYTES, total));
    }
    // The queue must exist for the batch as a whole.
    engine.check_queue(&r.queue_url)?;
    let (mut successful, mut failures) = (Vec::new(), Vec::new());
    for (id, message) in prepared {
        match message.and_then(|m| engine.send(&r.queue_url, m)) {
            Ok(sent) => {
                let mut ok = Map::new();
                ok.insert("Id".into(), id.into());
                ok.insert("MessageId".into(), sent.message_id.into());
                ok.insert("MD5OfMessageBody".into(), sent.md5_of_body.into());
                if let Some(md5) = sent.md5_of_attributes {
                    ok.insert("MD5OfMessageAttributes".into(), md5.into());
                }
                successful.push(Value::Object(ok));
            }
            Err(e) => failures.push(failed(&id, &e)),
        }
    }
    Ok(json!({"Successful": successful, "Failed": failures}))
}

fn receipt_batch(
    r: &ReceiptBatch,
    entry_name: &'static str,
    mut apply: impl FnMut(&ReceiptEntry) -> Result<(), SqsError>,
) -> Result<Value, SqsError> {
    check_batch(r.entries.iter().map(|e| e.id.as_str()), entry_name)?;
    let (mut successful, mut failures) = (Vec::new(), Vec::new());
    for e in &r.entries {
        match apply(e) {
            Ok(()) => successful.push(json!({"Id": e.id})),
            Err(SqsError::QueueDoesNotExist) => return Err(SqsError::QueueDoesNotExist),
            Err(err) => failures.push(failed(&e.id, &err)),
        }
    }
    Ok(json!({"Successful": successful, "Failed": failures}))
}

/// Whether `name` is selected by `patterns`: `All`, `.*`, the name itself, or a `prefix.*`.
fn selected(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|p| {
        p == "All"
            || p == ".*"
            || p == name
            || p.strip_suffix(".*")
                .is_some_and(|prefix| name.starts_with(&format!("{prefix}.")))
    })
}

async fn receive(engine: &SqsEngine, r: Receive) -> Result<Value, SqsError> {
    let messages = engine
        .receive(
            &r.queue_url,
            r.max_number_of_messages.unwrap_or(1),
            r.visibility_timeout,
            r.wait_time_seconds,
        )
        .await?;
    if messages.is_empty() {
        return Ok(json!({}));
    }
    let system: Vec<String> = r
        .message_system_attribute_names
        .into_iter()
        .chain(r.attribute_names)
        .collect();
    let sender = engine.config().account_id.clone();
    let out: Vec<Value> = messages
        .iter()
        .map(|m| message_json(m, &system, &r.message_attribute_names, &sender))
        .collect();
    Ok(json!({"Messages": out}))
}

fn message_json(m: &Received, system: &[String], user: &[String], sender: &str) -> Value {
    let mut out = Map::new();
    out.insert("MessageId".into(), m.message_id.clone().into());
    out.insert("ReceiptHandle".into(), m.receipt_handle.clone().into());
    out.insert("MD5OfBody".into(), m.md5_of_body.clone().into());
    out.insert("Body".into(), m.body.clone().into());
    let attrs: Map<String, Value> = m
        .system_attributes(sender)
        .into_iter()
        .filter(|(k, _)| selected(system, k))
        .map(|(k, v)| (k.to_string(), v.into()))
        .collect();
    if !attrs.is_empty() {
        out.insert("Attributes".into(), Value::Object(attrs));
    }
    let chosen: BTreeMap<String, AttributeValue> = m
        .attributes
        .iter()
        .filter(|(k, _)| selected(user, k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !chosen.is_empty() {
        // The digest covers the attributes returned, as SQS computes it.
        out.insert(
            "MD5OfMessageAttributes".into(),
            sqs_engine::md5_of_attributes(&chosen).into(),
        );
        out.insert(
            "MessageAttributes".into(),
            Value::Object(
                chosen
                    .iter()
                    .map(|(k, v)| (k.clone(), attribute_json(v)))
                    .collect(),
            ),
        );
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn engine() -> SqsEngine {
        SqsEngine::new(
            sqs_engine::SqsConfig::default(),
            Arc::new(metric_store::Store::new()),
        )
    }

    fn call(engine: &SqsEngine, op: &str, body: Value) -> Answer {
        block_on(handle(engine, op, body.to_string().as_bytes(), None))
    }

    /// Runs a future that never waits (these tests make no long poll) to completion.
    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        use std::task::{Context, Poll, Waker};
        let mut f = std::pin::pin!(f);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    #[test]
    fn errors_carry_the_json_type_and_the_query_code() {
        let e = engine();
        let a = call(&e, "GetQueueUrl", json!({"QueueName": "missing"}));
        assert_eq!(a.status, 400);
        assert_eq!(
            a.query_error.as_deref(),
            Some("AWS.SimpleQueueService.NonExistentQueue;Sender")
        );
        let body: Value = serde_json::from_str(&a.body).unwrap();
        assert_eq!(body["__type"], "com.amazonaws.sqs#QueueDoesNotExist");
        let a = call(&e, "SendMessage", json!({"MessageBody": "x"}));
        assert!(a.body.contains("MissingParameter"), "{}", a.body);
        let a = call(&e, "Frobnicate", json!({}));
        assert!(a.body.contains("UnknownOperationException"));
    }

    #[test]
    fn batches_are_checked_whole_and_per_entry() {
        let e = engine();
        let url = e
            .create_queue("q", &BTreeMap::new(), &BTreeMap::new())
            .unwrap();
        let a = call(
            &e,
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": []}),
        );
        assert!(a.body.contains("EmptyBatchRequest"));
        let eleven: Vec<Value> = (0..11)
            .map(|i| json!({"Id": i.to_string(), "MessageBody": "x"}))
            .collect();
        let a = call(
            &e,
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": eleven}),
        );
        assert_eq!(
            a.query_error.as_deref(),
            Some("AWS.SimpleQueueService.TooManyEntriesInBatchRequest;Sender")
        );
        let dup = json!([{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}]);
        let a = call(
            &e,
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": dup}),
        );
        assert!(a.body.contains("BatchEntryIdsNotDistinct"));
        let mixed = json!([{"Id": "ok", "MessageBody": "x"}, {"Id": "bad", "MessageBody": "y", "DelaySeconds": 901}]);
        let a = call(
            &e,
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": mixed}),
        );
        let body: Value = serde_json::from_str(&a.body).unwrap();
        assert_eq!(body["Successful"][0]["Id"], "ok");
        assert_eq!(body["Failed"][0]["Id"], "bad");
        assert_eq!(body["Failed"][0]["Code"], "InvalidParameterValue");
    }

    #[test]
    fn attribute_digest_matches_the_documented_encoding() {
        // One String attribute: 4-byte lengths before name, type and value, and transport 1.
        let attrs = BTreeMap::from([(
            "k".to_string(),
            AttributeValue {
                data_type: "String".into(),
                value: b"v".to_vec(),
            },
        )]);
        let mut bytes = Vec::new();
        bytes.extend([0, 0, 0, 1, b'k']);
        bytes.extend([0, 0, 0, 6]);
        bytes.extend(b"String");
        bytes.extend([1, 0, 0, 0, 1, b'v']);
        assert_eq!(
            sqs_engine::md5_of_attributes(&attrs),
            sqs_engine::md5_hex(&bytes)
        );
    }
}
