//! Where Lambda sends what it gave up on: an event source mapping's on-failure destination,
//! an asynchronous invocation's on-success and on-failure destinations, and a function's
//! dead-letter queue.
//!
//! SQS queues are reached through the [`Queues`] the server plugs in (the engine's own
//! SQS); a destination that is a function gets the record as an asynchronous invocation.
//! Any other destination (SNS, S3, EventBridge) cannot be delivered to here, which counts
//! as a delivery failure as it would on AWS without permission.

use bytes::Bytes;
use serde_json::{Value, json};

use crate::LambdaEngine;

/// SQS as Lambda uses it: sending to destinations and dead-letter queues, and reading the
/// queues that SQS event source mappings poll.
pub trait Queues: Send + Sync {
    /// Sends `body` to the queue whose ARN is `queue_arn`, with message attributes given as
    /// (name, data type, value).
    fn send(
        &self,
        queue_arn: &str,
        body: String,
        attributes: &[(&str, &str, String)],
    ) -> Result<(), String>;

    /// Receives up to `max` (1..=10) visible messages without waiting.
    fn receive(&self, queue_arn: &str, max: usize) -> Result<Vec<QueueMessage>, String>;

    /// Deletes a received message.
    fn delete(&self, queue_arn: &str, receipt_handle: &str) -> Result<(), String>;
}

/// A message as an SQS event source mapping gets it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueMessage {
    /// The message id.
    pub message_id: String,
    /// This receive's handle.
    pub receipt_handle: String,
    /// The body.
    pub body: String,
    /// MD5 of the body, hex.
    pub md5_of_body: String,
    /// System attributes by AWS's names (SentTimestamp, ApproximateReceiveCount,
    /// AWSTraceHeader, ...).
    pub attributes: std::collections::BTreeMap<String, String>,
    /// Message attributes, by name.
    pub message_attributes: std::collections::BTreeMap<String, QueueAttribute>,
}

/// A message attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueAttribute {
    /// `String`, `Number` or `Binary`, with an optional custom suffix (`Number.int`).
    pub data_type: String,
    /// UTF-8 text for String and Number, raw bytes for Binary.
    pub value: Vec<u8>,
}

/// `secs` (epoch seconds) in the same format, as `KinesisBatchInfo` writes arrival times.
pub(crate) fn record_time(secs: f64) -> String {
    crate::iso_time((secs * 1000.0) as i64)
}

/// `responseContext` of an invocation record.
pub(crate) fn response_context(function_error: Option<&str>) -> Value {
    let mut context = json!({"statusCode": 200, "executedVersion": "$LATEST"});
    if let Some(e) = function_error {
        context["functionError"] = e.into();
    }
    context
}

impl LambdaEngine {
    /// Now as an ISO 8601 UTC timestamp with milliseconds, as in invocation records
    /// (`2019-11-14T18:16:05.568Z`).
    pub(crate) fn record_timestamp(&self) -> String {
        crate::iso_time(self.inner.time.now_ms())
    }

    /// Plugs in SQS: for destinations, dead-letter queues and SQS event source mappings.
    pub fn set_queues(&self, queues: std::sync::Arc<dyn Queues>) {
        *self.inner.queues.write() = Some(queues);
    }

    /// The plugged-in SQS.
    pub(crate) fn queues(&self) -> Result<std::sync::Arc<dyn Queues>, String> {
        self.inner
            .queues
            .read()
            .clone()
            .ok_or_else(|| "no SQS is attached to this engine".to_string())
    }

    /// Delivers `body` to destination `arn`; `attributes` go with an SQS message.
    pub(crate) fn deliver(
        &self,
        arn: &str,
        body: String,
        attributes: &[(&str, &str, String)],
    ) -> Result<(), String> {
        let mut parts = arn.splitn(7, ':');
        let service = parts.nth(2).unwrap_or("");
        match service {
            "sqs" => self.queues()?.send(arn, body, attributes),
            "lambda" => {
                let name = arn.split(':').nth(6).unwrap_or("");
                self.invoke_event(name, Bytes::from(body))
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            other => Err(format!(
                "destinations of service '{other}' are not supported by the embedded engine"
            )),
        }
    }
}
