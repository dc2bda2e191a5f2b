//! A minimal Amazon SQS: standard queues held in memory.
//!
//! It is what a pipeline needs beside its stream: a place for Lambda's failed events (an event
//! source mapping's on-failure destination, an asynchronous invocation's destination or
//! dead-letter queue) that the user's own SQS code can read. Messages keep AWS's semantics:
//! a receive hides a message for the visibility timeout and hands out a fresh receipt handle,
//! only the newest handle deletes, delays and long polls wait, messages expire after the
//! retention period, and PurgeQueue may run once a minute. Every operation records the
//! `AWS/SQS` metrics of the queue; the `Approximate*` gauges are taken by [`SqsEngine::sample`].
//!
//! FIFO queues are not supported: creating one is refused with `InvalidAttributeValue`.
//! The engine knows no HTTP: `sqs-api` maps AWS's JSON protocol onto it.

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod md5;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
#[cfg(test)]
use metric_store::MetricKey;
use metric_store::{Store, catalog};
use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;

pub use md5::{md5_hex, md5_of_attributes};

/// Most messages one ReceiveMessage returns, and most entries in one batch request.
pub const MAX_BATCH: usize = 10;
/// Longest long poll (`WaitTimeSeconds`), in seconds.
pub const MAX_WAIT_SECS: u32 = 20;
/// Largest message the service accepts (1 MiB); a queue's `MaximumMessageSize` may lower it.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// How often PurgeQueue may run on one queue.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// Errors, each with the code AWS returns for it.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SqsError {
    /// No queue of that name or URL.
    #[error("The specified queue does not exist.")]
    QueueDoesNotExist,
    /// A queue of that name exists with other attributes.
    #[error("A queue already exists with the same name and a different value for attribute {0}")]
    QueueNameExists(String),
    /// An attribute name the operation does not know.
    #[error("Unknown Attribute {0}.")]
    InvalidAttributeName(String),
    /// An attribute value out of its range.
    #[error("Invalid value for the parameter {0}.")]
    InvalidAttributeValue(String),
    /// A request parameter Lambda refuses.
    #[error("{0}")]
    InvalidParameterValue(String),
    /// A required parameter is absent.
    #[error("The request must contain the parameter {0}.")]
    MissingParameter(String),
    /// A receipt handle this service did not issue.
    #[error("The input receipt handle \"{0}\" is not a valid receipt handle.")]
    ReceiptHandleIsInvalid(String),
    /// The message of a receipt handle is not in flight.
    #[error(
        "Value {0} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change."
    )]
    MessageNotInflight(String),
    /// PurgeQueue ran on the queue less than a minute ago.
    #[error("Only one PurgeQueue operation on {0} is allowed every 60 seconds.")]
    PurgeQueueInProgress(String),
    /// A batch request with more than ten entries.
    #[error("Maximum number of entries per request are 10. You have sent {0}.")]
    TooManyEntriesInBatchRequest(usize),
    /// A batch request with no entries.
    #[error("There should be at least one {0} in the request.")]
    EmptyBatchRequest(&'static str),
    /// Two entries of a batch share an id.
    #[error("Id {0} repeated.")]
    BatchEntryIdsNotDistinct(String),
    /// An entry id outside `[A-Za-z0-9_-]{1,80}`.
    #[error(
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."
    )]
    InvalidBatchEntryId,
    /// A batch whose messages together exceed the size limit.
    #[error("Batch requests cannot be longer than {0} bytes. You have sent {1} bytes.")]
    BatchRequestTooLong(usize, usize),
}

impl SqsError {
    /// The error's shape name (the JSON protocol's `__type` after `com.amazonaws.sqs#`).
    pub fn code(&self) -> &'static str {
        match self {
            SqsError::QueueDoesNotExist => "QueueDoesNotExist",
            SqsError::QueueNameExists(_) => "QueueNameExists",
            SqsError::InvalidAttributeName(_) => "InvalidAttributeName",
            SqsError::InvalidAttributeValue(_) => "InvalidAttributeValue",
            SqsError::InvalidParameterValue(_) => "InvalidParameterValue",
            SqsError::MissingParameter(_) => "MissingParameter",
            SqsError::ReceiptHandleIsInvalid(_) => "ReceiptHandleIsInvalid",
            SqsError::MessageNotInflight(_) => "MessageNotInflight",
            SqsError::PurgeQueueInProgress(_) => "PurgeQueueInProgress",
            SqsError::TooManyEntriesInBatchRequest(_) => "TooManyEntriesInBatchRequest",
            SqsError::EmptyBatchRequest(_) => "EmptyBatchRequest",
            SqsError::BatchEntryIdsNotDistinct(_) => "BatchEntryIdsNotDistinct",
            SqsError::InvalidBatchEntryId => "InvalidBatchEntryId",
            SqsError::BatchRequestTooLong(..) => "BatchRequestTooLong",
        }
    }

    /// The error's code in the query protocol, which the JSON protocol sends in the
    /// `x-amzn-query-error` header for SDKs that still match on it.
    pub fn query_code(&self) -> &'static str {
        match self {
            SqsError::QueueDoesNotExist => "AWS.SimpleQueueService.NonExistentQueue",
            SqsError::QueueNameExists(_) => "QueueAlreadyExists",
            SqsError::MessageNotInflight(_) => "AWS.SimpleQueueService.MessageNotInflight",
            SqsError::PurgeQueueInProgress(_) => "AWS.SimpleQueueService.PurgeQueueInProgress",
            SqsError::TooManyEntriesInBatchRequest(_) => {
                "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"
            }
            SqsError::EmptyBatchRequest(_) => "AWS.SimpleQueueService.EmptyBatchRequest",
            SqsError::BatchEntryIdsNotDistinct(_) => {
                "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"
            }
            SqsError::InvalidBatchEntryId => "AWS.SimpleQueueService.InvalidBatchEntryId",
            SqsError::BatchRequestTooLong(..) => "AWS.SimpleQueueService.BatchRequestTooLong",
            other => other.code(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            SqsError::PurgeQueueInProgress(_) => 403,
            SqsError::ReceiptHandleIsInvalid(_) => 404,
            _ => 400,
        }
    }
}

/// Settings of the engine.
#[derive(Debug, Clone)]
pub struct SqsConfig {
    /// The account in URLs and ARNs.
    pub account_id: String,
    /// The region in ARNs.
    pub region: String,
    /// The base of queue URLs (`<endpoint>/<account>/<name>`), e.g. `http://127.0.0.1:4566`.
    pub endpoint_url: String,
}

impl Default for SqsConfig {
    fn default() -> SqsConfig {
        SqsConfig {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            endpoint_url: "http://localhost".into(),
        }
    }
}

/// One message attribute (String, Number or Binary, optionally with a custom suffix such as
/// `Number.int`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeValue {
    /// `String`, `Number`, `Binary`, or one of them followed by `.` and a custom label.
    pub data_type: String,
    /// The value: UTF-8 text for String and Number, raw bytes for Binary.
    pub value: Vec<u8>,
}

impl AttributeValue {
    /// Whether the attribute travels as binary (its data type starts with `Binary`).
    pub fn is_binary(&self) -> bool {
        self.data_type.starts_with("Binary")
    }
}

/// A message to send.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    /// The body.
    pub body: String,
    /// Seconds before the message becomes visible (0..=900); the queue's DelaySeconds if
    /// absent.
    pub delay_seconds: Option<u32>,
    /// Message attributes (at most ten).
    pub attributes: BTreeMap<String, AttributeValue>,
    /// The X-Ray trace header the sender passed (`X-Amzn-Trace-Id`, or the `AWSTraceHeader`
    /// system attribute), kept as the message's `AWSTraceHeader`.
    pub trace_header: Option<String>,
}

/// What SendMessage answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The new message's id.
    pub message_id: String,
    /// MD5 of the body, hex.
    pub md5_of_body: String,
    /// MD5 of the message attributes, hex, when there are any.
    pub md5_of_attributes: Option<String>,
}

/// A message as ReceiveMessage returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The message id.
    pub message_id: String,
    /// This receive's handle, needed to delete the message.
    pub receipt_handle: String,
    /// The body.
    pub body: String,
    /// MD5 of the body, hex.
    pub md5_of_body: String,
    /// MD5 of all the message's attributes, hex, when it has any.
    pub md5_of_attributes: Option<String>,
    /// The message attributes.
    pub attributes: BTreeMap<String, AttributeValue>,
    /// When it was sent, epoch ms.
    pub sent_ms: u64,
    /// When it was first received, epoch ms.
    pub first_receive_ms: u64,
    /// How many times it has been received, this time included.
    pub receive_count: u32,
    /// The sender's trace header (`AWSTraceHeader`).
    pub trace_header: Option<String>,
}

impl Received {
    /// The system attributes ReceiveMessage can return, by AWS's names.
    pub fn system_attributes(&self, sender_id: &str) -> BTreeMap<&'static str, String> {
        let mut out = BTreeMap::from([
            ("SenderId", sender_id.to_string()),
            ("SentTimestamp", self.sent_ms.to_string()),
            ("ApproximateReceiveCount", self.receive_count.to_string()),
            (
                "ApproximateFirstReceiveTimestamp",
                self.first_receive_ms.to_string(),
            ),
        ]);
        if let Some(t) = &self.trace_header {
            out.insert("AWSTraceHeader", t.clone());
        }
        out
    }
}

/// A queue's settable attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Settings {
    delay_seconds: u32,
    maximum_message_size: u32,
    message_retention_period: u32,
    receive_message_wait_time_seconds: u32,
    visibility_timeout: u32,
    /// Attributes kept and returned as given (Policy, RedrivePolicy, KMS settings...).
    opaque: BTreeMap<String, String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            delay_seconds: 0,
            maximum_message_size: 262_144,
            message_retention_period: 345_600,
            receive_message_wait_time_seconds: 0,
            visibility_timeout: 30,
            opaque: BTreeMap::new(),
        }
    }
}

/// Attributes accepted and returned without effect here.
const OPAQUE_ATTRIBUTES: &[&str] = &[
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
];

fn range_attribute(
    name: &str,
    value: &str,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, SqsError> {
    value
        .parse::<u32>()
        .ok()
        .filter(|v| range.contains(v))
        .ok_or_else(|| SqsError::InvalidAttributeValue(name.to_string()))
}

impl Settings {
    fn apply(&mut self, attributes: &BTreeMap<String, String>) -> Result<(), SqsError> {
        for (name, value) in attributes {
            match name.as_str() {
                "DelaySeconds" => self.delay_seconds = range_attribute(name, value, 0..=900)?,
                "MaximumMessageSize" => {
                    self.maximum_message_size =
                        range_attribute(name, value, 1024..=MAX_MESSAGE_BYTES as u32)?;
                }
                "MessageRetentionPeriod" => {
                    self.message_retention_period = range_attribute(name, value, 60..=1_209_600)?;
                }
                "ReceiveMessageWaitTimeSeconds" => {
                    self.receive_message_wait_time_seconds =
                        range_attribute(name, value, 0..=MAX_WAIT_SECS)?;
                }
                "VisibilityTimeout" => {
                    self.visibility_timeout = range_attribute(name, value, 0..=43_200)?;
                }
                "FifoQueue"
                | "ContentBasedDeduplication"
                | "DeduplicationScope"
                | "FifoThroughputLimit" => {
                    if value != "false" {
                        return Err(SqsError::InvalidAttributeValue(format!(
                            "{name} (FIFO queues are not supported by the embedded engine)"
                        )));
                    }
                }
                other if OPAQUE_ATTRIBUTES.contains(&other) => {
                    self.opaque.insert(name.clone(), value.clone());
                }
                other => return Err(SqsError::InvalidAttributeName(other.to_string())),
            }
        }
        Ok(())
    }

    /// The first attribute of `attributes` whose value differs from these settings'.
    fn conflict(&self, attributes: &BTreeMap<String, String>) -> Option<String> {
        let mut probe = self.clone();
        for (name, value) in attributes {
            probe
                .apply(&BTreeMap::from([(name.clone(), value.clone())]))
                .ok()?;
            if probe != *self {
                return Some(name.clone());
            }
        }
        None
    }
}

#[derive(Debug, Clone)]
struct Message {
    id: String,
    body: String,
    md5_of_body: String,
    md5_of_attributes: Option<String>,
    attributes: BTreeMap<String, AttributeValue>,
    sent_ms: u64,
    /// Not returned by a receive before this time (delay, or in flight).
    visible_at_ms: u64,
    first_receive_ms: u64,
    receive_count: u32,
    /// The newest receipt handle; only it deletes the message.
    receipt: Option<String>,
    trace_header: Option<String>,
}

#[derive(Debug, Default)]
struct Messages {
    next_seq: u64,
    by_seq: BTreeMap<u64, Message>,
    /// Newest receipt handle -> message.
    receipts: HashMap<String, u64>,
}

impl Messages {
    fn expire(&mut self, now: u64, retention_ms: u64) {
        let expired: Vec<u64> = self
            .by_seq
            .iter()
            .take_while(|(_, m)| m.sent_ms + retention_ms <= now)
            .map(|(seq, _)| *seq)
            .collect();
        for seq in expired {
            self.remove(seq);
        }
    }

    fn remove(&mut self, seq: u64) -> Option<Message> {
        let m = self.by_seq.remove(&seq)?;
        if let Some(r) = &m.receipt {
            self.receipts.remove(r);
        }
        Some(m)
    }
}

/// Counts of a queue's messages by state, at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Depth {
    /// Available for retrieval.
    pub visible: usize,
    /// Received, not yet deleted, still hidden.
    pub in_flight: usize,
    /// Within their delivery delay.
    pub delayed: usize,
    /// Age of the oldest message, in seconds, if there is one.
    pub oldest_age_secs: Option<u64>,
}

struct Queue {
    name: String,
    url: String,
    arn: String,
    created_secs: u64,
    last_modified_secs: Mutex<u64>,
    settings: RwLock<Settings>,
    tags: RwLock<BTreeMap<String, String>>,
    messages: Mutex<Messages>,
    arrived: Notify,
    last_purge: Mutex<Option<std::time::Instant>>,
}

impl Queue {
    fn depth(&self, now: u64) -> Depth {
        let retention = u64::from(self.settings.read().message_retention_period) * 1000;
        let mut messages = self.messages.lock();
        messages.expire(now, retention);
        let mut depth = Depth::default();
        for m in messages.by_seq.values() {
            if m.visible_at_ms <= now {
                depth.visible += 1;
            } else if m.receive_count > 0 {
                depth.in_flight += 1;
            } else {
                depth.delayed += 1;
            }
        }
        depth.oldest_age_secs = messages
            .by_seq
            .values()
            .next()
            .map(|m| now.saturating_sub(m.sent_ms) / 1000);
        depth
    }
}

struct Inner {
    config: SqsConfig,
    queues: RwLock<BTreeMap<String, Arc<Queue>>>,
    metrics: Arc<Store>,
}

/// The engine: cheap to clone, clones share every queue.
#[derive(Clone)]
pub struct SqsEngine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SqsEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqsEngine")
            .field("queues", &self.inner.queues.read().len())
            .finish()
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Whether `name` is a valid standard queue name: 1 to 80 letters, digits, `-` and `_`.
fn valid_queue_name(name: &str) -> bool {
    (1..=80).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `id` is a valid batch entry id: 1 to 80 letters, digits, `-` and `_`.
pub fn valid_batch_id(id: &str) -> bool {
    valid_queue_name(id)
}

/// Replaces the characters SQS does not allow in a message (outside `#x9 | #xA | #xD |
/// #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF`) with U+FFFD, as SQS stores them.
fn clean_body(body: &str) -> String {
    let allowed = |c: char| matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    if body.chars().all(allowed) {
        return body.to_string();
    }
    body.chars()
        .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
        .collect()
}

impl SqsEngine {
    /// An engine with no queues, recording metrics into `metrics`.
    pub fn new(config: SqsConfig, metrics: Arc<Store>) -> SqsEngine {
        SqsEngine {
            inner: Arc::new(Inner {
                config,
                queues: RwLock::new(BTreeMap::new()),
                metrics,
            }),
        }
    }

    /// The engine's settings.
    pub fn config(&self) -> &SqsConfig {
        &self.inner.config
    }

    /// The ARN of queue `name`.
    pub fn queue_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:sqs:{}:{}:{name}",
            self.inner.config.region, self.inner.config.account_id
        )
    }

    /// Creates queue `name`, or returns its URL if it exists with the same attributes.
    pub fn create_queue(
        &self,
        name: &str,
        attributes: &BTreeMap<String, String>,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, SqsError> {
        if !valid_queue_name(name) {
            return Err(SqsError::InvalidParameterValue(
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
                    .into(),
            ));
        }
        let mut settings = Settings::default();
        settings.apply(attributes)?;
        let mut queues = self.inner.queues.write();
        if let Some(q) = queues.get(name) {
            if let Some(attribute) = q.settings.read().conflict(attributes) {
                return Err(SqsError::QueueNameExists(attribute));
            }
            return Ok(q.url.clone());
        }
        let config = &self.inner.config;
        let url = format!(
            "{}/{}/{name}",
            config.endpoint_url.trim_end_matches('/'),
            config.account_id
        );
        let now = now_ms() / 1000;
        queues.insert(
            name.to_string(),
            Arc::new(Queue {
                name: name.to_string(),
                url: url.clone(),
                arn: self.queue_arn(name),
                created_secs: now,
                last_modified_secs: Mutex::new(now),
                settings: RwLock::new(settings),
                tags: RwLock::new(tags.clone()),
                messages: Mutex::new(Messages::default()),
                arrived: Notify::new(),
                last_purge: Mutex::new(None),
            }),
        );
        Ok(url)
    }

    /// The URL of queue `name`.
    pub fn queue_url(&self, name: &str) -> Result<String, SqsError> {
        self.inner
            .queues
            .read()
            .get(name)
            .map(|q| q.url.clone())
            .ok_or(SqsError::QueueDoesNotExist)
    }

    /// `Ok` if the queue at `queue_url` (or named so) exists.
    pub fn check_queue(&self, queue_url: &str) -> Result<(), SqsError> {
        self.queue(queue_url).map(|_| ())
    }

    /// URLs of the queues whose names start with `prefix`, in name order.
    pub fn list_queues(&self, prefix: Option<&str>) -> Vec<String> {
        self.inner
            .queues
            .read()
            .values()
            .filter(|q| prefix.is_none_or(|p| q.name.starts_with(p)))
            .map(|q| q.url.clone())
            .collect()
    }

    /// Deletes a queue and its messages.
    pub fn delete_queue(&self, queue_url: &str) -> Result<(), SqsError> {
        let q = self.queue(queue_url)?;
        self.inner.queues.write().remove(&q.name);
        q.arrived.notify_waiters();
        Ok(())
    }

    /// The queue a URL (or a bare name) names: its last path segment.
    fn queue(&self, queue_url: &str) -> Result<Arc<Queue>, SqsError> {
        let name = queue_url
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("");
        self.inner
            .queues
            .read()
            .get(name)
            .cloned()
            .ok_or(SqsError::QueueDoesNotExist)
    }

    /// The queue an ARN names.
    fn queue_by_arn(&self, arn: &str) -> Result<Arc<Queue>, SqsError> {
        self.inner
            .queues
            .read()
            .values()
            .find(|q| q.arn == arn)
            .cloned()
            .ok_or(SqsError::QueueDoesNotExist)
    }

    fn record(&self, queue: &str, metric: &catalog::MetricDef, value: f64) {
        if let Ok(series) = metric.series(&self.inner.metrics, &[("QueueName", queue)]) {
            series.record(now_ms(), value);
        }
    }

    /// Checks one message against the queue's limits, without sending it.
    pub fn validate(&self, queue_url: &str, message: &Outgoing) -> Result<(), SqsError> {
        let q = self.queue(queue_url)?;
        self.validate_on(&q, message)
    }

    fn validate_on(&self, q: &Queue, message: &Outgoing) -> Result<(), SqsError> {
        if message.body.is_empty() {
            return Err(SqsError::MissingParameter("MessageBody".into()));
        }
        let max = q.settings.read().maximum_message_size as usize;
        let size = message_size(message);
        if size > max {
            return Err(SqsError::InvalidParameterValue(format!(
                "One or more parameters are invalid. Reason: Message must be shorter than {max} bytes."
            )));
        }
        if message.delay_seconds.is_some_and(|d| d > 900) {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.",
                message.delay_seconds.unwrap_or_default()
            )));
        }
        if message.attributes.len() > 10 {
            return Err(SqsError::InvalidParameterValue(format!(
                "Number of message attributes [{}] exceeds the allowed maximum [10].",
                message.attributes.len()
            )));
        }
        for (name, value) in &message.attributes {
            let base = value.data_type.split('.').next().unwrap_or("");
            if !matches!(base, "String" | "Number" | "Binary") {
                return Err(SqsError::InvalidParameterValue(format!(
                    "The type of message (user) attribute '{name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String."
                )));
            }
            if value.value.is_empty() {
                return Err(SqsError::InvalidParameterValue(format!(
                    "Message (user) attribute '{name}' must contain a non-empty value of type '{}'.",
                    value.data_type
                )));
            }
        }
        Ok(())
    }

    /// Sends one message to the queue at `queue_url` (or named so).
    pub fn send(&self, queue_url: &str, message: Outgoing) -> Result<Sent, SqsError> {
        let q = self.queue(queue_url)?;
        self.send_to(&q, message)
    }

    /// Sends one message to the queue whose ARN is `arn`: how Lambda delivers to a
    /// destination.
    pub fn send_to_arn(&self, arn: &str, message: Outgoing) -> Result<Sent, SqsError> {
        let q = self.queue_by_arn(arn)?;
        self.send_to(&q, message)
    }

    fn send_to(&self, q: &Queue, message: Outgoing) -> Result<Sent, SqsError> {
        self.validate_on(q, &message)?;
        let size = message_size(&message);
        let body = clean_body(&message.body);
        let now = now_ms();
        let delay = message
            .delay_seconds
            .unwrap_or(q.settings.read().delay_seconds);
        let sent = Sent {
            message_id: uuid::Uuid::new_v4().to_string(),
            md5_of_body: md5_hex(body.as_bytes()),
            md5_of_attributes: (!message.attributes.is_empty())
                .then(|| md5_of_attributes(&message.attributes)),
        };
        {
            let mut messages = q.messages.lock();
            let seq = messages.next_seq;
            messages.next_seq += 1;
            messages.by_seq.insert(
                seq,
                Message {
                    id: sent.message_id.clone(),
                    body,
                    md5_of_body: sent.md5_of_body.clone(),
                    md5_of_attributes: sent.md5_of_attributes.clone(),
                    attributes: message.attributes,
                    sent_ms: now,
                    visible_at_ms: now + u64::from(delay) * 1000,
                    first_receive_ms: 0,
                    receive_count: 0,
                    receipt: None,
                    trace_header: message.trace_header,
                },
            );
        }
        q.arrived.notify_waiters();
        self.record(&q.name, &catalog::sqs::MESSAGES_SENT, 1.0);
        self.record(&q.name, &catalog::sqs::SENT_MESSAGE_SIZE, size as f64);
        Ok(sent)
    }

    /// Receives up to `max` (1..=10) messages, hiding each for `visibility` seconds (the
    /// queue's VisibilityTimeout if absent) and waiting up to `wait` seconds (the queue's
    /// ReceiveMessageWaitTimeSeconds if absent) for the first to arrive.
    pub async fn receive(
        &self,
        queue_url: &str,
        max: u32,
        visibility: Option<u32>,
        wait: Option<u32>,
    ) -> Result<Vec<Received>, SqsError> {
        let q = self.queue(queue_url)?;
        if !(1..=MAX_BATCH as u32).contains(&max) {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."
            )));
        }
        if visibility.is_some_and(|v| v > 43_200) {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.",
                visibility.unwrap_or_default()
            )));
        }
        if wait.is_some_and(|w| w > MAX_WAIT_SECS) {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.",
                wait.unwrap_or_default()
            )));
        }
        let (default_visibility, default_wait) = {
            let s = q.settings.read();
            (s.visibility_timeout, s.receive_message_wait_time_seconds)
        };
        let visibility = u64::from(visibility.unwrap_or(default_visibility)) * 1000;
        let deadline = tokio::time::Instant::now()
            + Duration::from_secs(u64::from(wait.unwrap_or(default_wait)));
        loop {
            let arrived = q.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let got = self.take(&q, max as usize, visibility);
            if !got.is_empty() {
                self.record(&q.name, &catalog::sqs::MESSAGES_RECEIVED, got.len() as f64);
                return Ok(got);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline || !self.inner.queues.read().contains_key(&q.name) {
                self.record(&q.name, &catalog::sqs::EMPTY_RECEIVES, 1.0);
                return Ok(Vec::new());
            }
            // Delayed and in-flight messages become visible without a notification: look
            // again at least every 100 ms.
            let nap = (deadline - now).min(Duration::from_millis(100));
            let _ = tokio::time::timeout(nap, arrived).await;
        }
    }

    fn take(&self, q: &Queue, max: usize, visibility_ms: u64) -> Vec<Received> {
        let now = now_ms();
        let retention = u64::from(q.settings.read().message_retention_period) * 1000;
        let mut messages = q.messages.lock();
        messages.expire(now, retention);
        let ready: Vec<u64> = messages
            .by_seq
            .iter()
            .filter(|(_, m)| m.visible_at_ms <= now)
            .take(max)
            .map(|(seq, _)| *seq)
            .collect();
        let mut out = Vec::with_capacity(ready.len());
        for seq in ready {
            let receipt = base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{seq}:{}",
                q.name,
                uuid::Uuid::new_v4().simple()
            ));
            let Some(m) = messages.by_seq.get_mut(&seq) else {
                continue;
            };
            let old = m.receipt.replace(receipt.clone());
            m.visible_at_ms = now + visibility_ms;
            m.receive_count += 1;
            if m.first_receive_ms == 0 {
                m.first_receive_ms = now;
            }
            let received = Received {
                message_id: m.id.clone(),
                receipt_handle: receipt.clone(),
                body: m.body.clone(),
                md5_of_body: m.md5_of_body.clone(),
                md5_of_attributes: m.md5_of_attributes.clone(),
                attributes: m.attributes.clone(),
                sent_ms: m.sent_ms,
                first_receive_ms: m.first_receive_ms,
                receive_count: m.receive_count,
                trace_header: m.trace_header.clone(),
            };
            if let Some(old) = old {
                messages.receipts.remove(&old);
            }
            messages.receipts.insert(receipt, seq);
            out.push(received);
        }
        out
    }

    /// Receives up to `max` visible messages of the queue whose ARN is `arn`, without
    /// waiting, hiding them for the queue's visibility timeout: how a Lambda event source
    /// mapping polls.
    pub fn receive_now_by_arn(&self, arn: &str, max: usize) -> Result<Vec<Received>, SqsError> {
        let q = self.queue_by_arn(arn)?;
        let visibility = u64::from(q.settings.read().visibility_timeout) * 1000;
        let got = self.take(&q, max.clamp(1, MAX_BATCH), visibility);
        let metric = if got.is_empty() {
            (&catalog::sqs::EMPTY_RECEIVES, 1.0)
        } else {
            (&catalog::sqs::MESSAGES_RECEIVED, got.len() as f64)
        };
        self.record(&q.name, metric.0, metric.1);
        Ok(got)
    }

    /// Deletes a received message of the queue whose ARN is `arn`.
    pub fn delete_by_arn(&self, arn: &str, receipt: &str) -> Result<(), SqsError> {
        let url = self.queue_by_arn(arn)?.url.clone();
        self.delete(&url, receipt)
    }

    /// Checks that a receipt handle is one this engine issues for queue `q`.
    fn check_receipt(q: &Queue, receipt: &str) -> Result<(), SqsError> {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(receipt)
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        let ours = decoded.is_some_and(|d| {
            let mut parts = d.rsplitn(3, ':');
            let (_nonce, seq, name) = (parts.next(), parts.next(), parts.next());
            name == Some(q.name.as_str()) && seq.is_some_and(|s| s.parse::<u64>().is_ok())
        });
        if ours {
            Ok(())
        } else {
            Err(SqsError::ReceiptHandleIsInvalid(receipt.to_string()))
        }
    }

    /// Deletes the message a receipt handle was issued for. A handle that is no longer the
    /// newest (the message was received again) or whose message is gone succeeds without
    /// deleting anything, as on AWS.
    pub fn delete(&self, queue_url: &str, receipt: &str) -> Result<(), SqsError> {
        let q = self.queue(queue_url)?;
        Self::check_receipt(&q, receipt)?;
        let deleted = {
            let mut messages = q.messages.lock();
            match messages.receipts.get(receipt).copied() {
                Some(seq) => messages.remove(seq).is_some(),
                None => false,
            }
        };
        if deleted {
            self.record(&q.name, &catalog::sqs::MESSAGES_DELETED, 1.0);
        }
        Ok(())
    }

    /// Changes how long a received message stays hidden, counted from now.
    pub fn change_visibility(
        &self,
        queue_url: &str,
        receipt: &str,
        timeout_secs: u32,
    ) -> Result<(), SqsError> {
        let q = self.queue(queue_url)?;
        Self::check_receipt(&q, receipt)?;
        if timeout_secs > 43_200 {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {timeout_secs} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200."
            )));
        }
        let now = now_ms();
        let mut messages = q.messages.lock();
        let seq = messages
            .receipts
            .get(receipt)
            .copied()
            .ok_or_else(|| SqsError::MessageNotInflight(receipt.to_string()))?;
        let m = messages
            .by_seq
            .get_mut(&seq)
            .filter(|m| m.visible_at_ms > now)
            .ok_or_else(|| SqsError::MessageNotInflight(receipt.to_string()))?;
        m.visible_at_ms = now + u64::from(timeout_secs) * 1000;
        drop(messages);
        if timeout_secs == 0 {
            q.arrived.notify_waiters();
        }
        Ok(())
    }

    /// Removes every message of the queue; refused within a minute of the last purge.
    pub fn purge(&self, queue_url: &str) -> Result<(), SqsError> {
        let q = self.queue(queue_url)?;
        {
            let mut last = q.last_purge.lock();
            if last.is_some_and(|at| at.elapsed() < PURGE_INTERVAL) {
                return Err(SqsError::PurgeQueueInProgress(q.arn.clone()));
            }
            *last = Some(std::time::Instant::now());
        }
        let mut messages = q.messages.lock();
        messages.by_seq.clear();
        messages.receipts.clear();
        Ok(())
    }

    /// Messages of the queue by state, now.
    pub fn depth(&self, queue_url: &str) -> Result<Depth, SqsError> {
        Ok(self.queue(queue_url)?.depth(now_ms()))
    }

    /// The queue's attributes by AWS's names: all of them for `All`, else those asked for.
    pub fn attributes(
        &self,
        queue_url: &str,
        names: &[String],
    ) -> Result<BTreeMap<String, String>, SqsError> {
        let q = self.queue(queue_url)?;
        let depth = q.depth(now_ms());
        let s = q.settings.read().clone();
        let mut all: BTreeMap<String, String> = [
            ("QueueArn", q.arn.clone()),
            ("ApproximateNumberOfMessages", depth.visible.to_string()),
            (
                "ApproximateNumberOfMessagesNotVisible",
                depth.in_flight.to_string(),
            ),
            (
                "ApproximateNumberOfMessagesDelayed",
                depth.delayed.to_string(),
            ),
            ("CreatedTimestamp", q.created_secs.to_string()),
            (
                "LastModifiedTimestamp",
                q.last_modified_secs.lock().to_string(),
            ),
            ("VisibilityTimeout", s.visibility_timeout.to_string()),
            ("MaximumMessageSize", s.maximum_message_size.to_string()),
            (
                "MessageRetentionPeriod",
                s.message_retention_period.to_string(),
            ),
            ("DelaySeconds", s.delay_seconds.to_string()),
            (
                "ReceiveMessageWaitTimeSeconds",
                s.receive_message_wait_time_seconds.to_string(),
            ),
            ("SqsManagedSseEnabled", "false".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        all.extend(s.opaque);
        if names.iter().any(|n| n == "All") {
            return Ok(all);
        }
        let mut out = BTreeMap::new();
        for name in names {
            match all.get(name) {
                Some(v) => {
                    out.insert(name.clone(), v.clone());
                }
                None if OPAQUE_ATTRIBUTES.contains(&name.as_str())
                    || matches!(name.as_str(), "FifoQueue" | "ContentBasedDeduplication") => {}
                None => return Err(SqsError::InvalidAttributeName(name.clone())),
            }
        }
        Ok(out)
    }

    /// Changes queue attributes.
    pub fn set_attributes(
        &self,
        queue_url: &str,
        attributes: &BTreeMap<String, String>,
    ) -> Result<(), SqsError> {
        let q = self.queue(queue_url)?;
        let mut settings = q.settings.read().clone();
        settings.apply(attributes)?;
        *q.settings.write() = settings;
        *q.last_modified_secs.lock() = now_ms() / 1000;
        Ok(())
    }

    /// Adds or replaces queue tags.
    pub fn tag(&self, queue_url: &str, tags: &BTreeMap<String, String>) -> Result<(), SqsError> {
        let q = self.queue(queue_url)?;
        q.tags.write().extend(tags.clone());
        Ok(())
    }

    /// Removes queue tags.
    pub fn untag(&self, queue_url: &str, keys: &[String]) -> Result<(), SqsError> {
        let q = self.queue(queue_url)?;
        let mut tags = q.tags.write();
        for k in keys {
            tags.remove(k);
        }
        Ok(())
    }

    /// The queue's tags.
    pub fn tags(&self, queue_url: &str) -> Result<BTreeMap<String, String>, SqsError> {
        Ok(self.queue(queue_url)?.tags.read().clone())
    }

    /// Records the `Approximate*` gauges of every queue: SQS publishes them once a minute,
    /// and the server calls this as each minute begins. The oldest message's age is left
    /// out for an empty queue.
    pub fn sample(&self) {
        let now = now_ms();
        let queues: Vec<Arc<Queue>> = self.inner.queues.read().values().cloned().collect();
        for q in queues {
            let depth = q.depth(now);
            self.record(
                &q.name,
                &catalog::sqs::MESSAGES_VISIBLE,
                depth.visible as f64,
            );
            self.record(
                &q.name,
                &catalog::sqs::MESSAGES_NOT_VISIBLE,
                depth.in_flight as f64,
            );
            self.record(
                &q.name,
                &catalog::sqs::MESSAGES_DELAYED,
                depth.delayed as f64,
            );
            if let Some(age) = depth.oldest_age_secs {
                self.record(&q.name, &catalog::sqs::AGE_OF_OLDEST, age as f64);
            }
        }
    }
}

/// A message's size as SQS counts it against MaximumMessageSize: the body plus each
/// attribute's name, data type and value.
pub fn message_size(message: &Outgoing) -> usize {
    message.body.len()
        + message
            .attributes
            .iter()
            .map(|(k, v)| k.len() + v.data_type.len() + v.value.len())
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> SqsEngine {
        SqsEngine::new(SqsConfig::default(), Arc::new(Store::new()))
    }

    fn text(body: &str) -> Outgoing {
        Outgoing {
            body: body.into(),
            ..Outgoing::default()
        }
    }

    fn sum(e: &SqsEngine, metric: &str, queue: &str) -> f64 {
        let key = MetricKey::new("AWS/SQS", metric, [("QueueName", queue)]).unwrap();
        let now = now_ms();
        e.inner
            .metrics
            .query(
                &key,
                now - 600_000,
                now + 60_000,
                60,
                &[metric_store::Statistic::Sum],
            )
            .unwrap()
            .iter()
            .filter_map(|d| d.values[0])
            .sum()
    }

    #[tokio::test]
    async fn a_received_message_hides_until_its_timeout_and_only_the_newest_handle_deletes() {
        let e = engine();
        let url = e
            .create_queue("q", &BTreeMap::new(), &BTreeMap::new())
            .unwrap();
        e.send(&url, text("one")).unwrap();
        let first = e.receive(&url, 10, Some(1), Some(0)).await.unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].receive_count, 1);
        assert!(e.receive(&url, 10, None, Some(0)).await.unwrap().is_empty());
        assert_eq!(e.depth(&url).unwrap().in_flight, 1);
        // Visible again after the 1 s timeout: a long poll picks it up.
        let second = e.receive(&url, 10, Some(30), Some(3)).await.unwrap();
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].receive_count, 2);
        assert_ne!(first[0].receipt_handle, second[0].receipt_handle);
        // The stale handle succeeds but deletes nothing.
        e.delete(&url, &first[0].receipt_handle).unwrap();
        assert_eq!(e.depth(&url).unwrap().in_flight, 1);
        e.delete(&url, &second[0].receipt_handle).unwrap();
        assert_eq!(e.depth(&url).unwrap(), Depth::default());
        assert_eq!(
            e.delete(&url, "not-a-handle"),
            Err(SqsError::ReceiptHandleIsInvalid("not-a-handle".into()))
        );
        assert_eq!(sum(&e, "NumberOfMessagesSent", "q"), 1.0);
        assert_eq!(sum(&e, "NumberOfMessagesReceived", "q"), 2.0);
        assert_eq!(sum(&e, "NumberOfMessagesDeleted", "q"), 1.0);
        assert_eq!(sum(&e, "NumberOfEmptyReceives", "q"), 1.0);
    }

    #[tokio::test]
    async fn a_long_poll_wakes_when_a_message_arrives() {
        let e = engine();
        let url = e
            .create_queue("q", &BTreeMap::new(), &BTreeMap::new())
            .unwrap();
        let waiter = {
            let (e, url) = (e.clone(), url.clone());
            tokio::spawn(async move { e.receive(&url, 1, None, Some(20)).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = std::time::Instant::now();
        e.send(&url, text("ping")).unwrap();
        let got = waiter.await.unwrap().unwrap();
        assert_eq!(got[0].body, "ping");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn create_is_idempotent_for_equal_attributes_only() {
        let e = engine();
        let attrs = BTreeMap::from([("VisibilityTimeout".to_string(), "5".to_string())]);
        let url = e.create_queue("q", &attrs, &BTreeMap::new()).unwrap();
        assert_eq!(e.create_queue("q", &attrs, &BTreeMap::new()).unwrap(), url);
        let other = BTreeMap::from([("VisibilityTimeout".to_string(), "6".to_string())]);
        assert_eq!(
            e.create_queue("q", &other, &BTreeMap::new()),
            Err(SqsError::QueueNameExists("VisibilityTimeout".into()))
        );
        assert!(matches!(
            e.create_queue("bad name", &BTreeMap::new(), &BTreeMap::new()),
            Err(SqsError::InvalidParameterValue(_))
        ));
        let fifo = BTreeMap::from([("FifoQueue".to_string(), "true".to_string())]);
        assert!(matches!(
            e.create_queue("f", &fifo, &BTreeMap::new()),
            Err(SqsError::InvalidAttributeValue(_))
        ));
    }

    #[test]
    fn purge_runs_once_a_minute_and_gauges_sample_depth() {
        let e = engine();
        let url = e
            .create_queue("q", &BTreeMap::new(), &BTreeMap::new())
            .unwrap();
        e.send(&url, text("a")).unwrap();
        e.send(
            &url,
            Outgoing {
                body: "later".into(),
                delay_seconds: Some(600),
                ..Outgoing::default()
            },
        )
        .unwrap();
        e.sample();
        assert_eq!(sum(&e, "ApproximateNumberOfMessagesVisible", "q"), 1.0);
        assert_eq!(sum(&e, "ApproximateNumberOfMessagesDelayed", "q"), 1.0);
        e.purge(&url).unwrap();
        assert_eq!(e.depth(&url).unwrap(), Depth::default());
        assert!(matches!(
            e.purge(&url),
            Err(SqsError::PurgeQueueInProgress(_))
        ));
    }

    #[test]
    fn invalid_characters_are_replaced_and_size_is_limited() {
        let e = engine();
        let url = e
            .create_queue("q", &BTreeMap::new(), &BTreeMap::new())
            .unwrap();
        assert_eq!(clean_body("a\u{1}b"), "a\u{FFFD}b");
        assert!(e.send(&url, text(&"x".repeat(262_145))).is_err());
        assert!(e.send(&url, text(&"x".repeat(262_144))).is_ok());
        assert_eq!(
            e.send(&url, text("")),
            Err(SqsError::MissingParameter("MessageBody".into()))
        );
        assert_eq!(e.send("nope", text("x")), Err(SqsError::QueueDoesNotExist));
    }
}
