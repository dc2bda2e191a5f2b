//! Where Lambda sends what it gave up on: an event source mapping's on-failure destination,
//! an asynchronous invocation's on-success and on-failure destinations, and a function's
//! dead-letter queue.
//!
//! SQS queues are reached through a [`MessageSink`] the server plugs in (the engine's own
//! SQS); a destination that is a function gets the record as an asynchronous invocation.
//! Any other destination (SNS, S3, EventBridge) cannot be delivered to here, which counts
//! as a delivery failure as it would on AWS without permission.

use bytes::Bytes;
use serde_json::{Value, json};

use crate::LambdaEngine;

/// Sends messages to SQS queues on Lambda's behalf.
pub trait MessageSink: Send + Sync {
    /// Sends `body` to the queue whose ARN is `queue_arn`, with message attributes given as
    /// (name, data type, value).
    fn send(
        &self,
        queue_arn: &str,
        body: String,
        attributes: &[(&str, &str, String)],
    ) -> Result<(), String>;
}

/// An ISO 8601 UTC timestamp with milliseconds, as in invocation records
/// (`2019-11-14T18:16:05.568Z`).
pub(crate) fn record_timestamp() -> String {
    crate::last_modified(crate::now_ms()).replace("+0000", "Z")
}

/// `secs` (epoch seconds) in the same format, as `KinesisBatchInfo` writes arrival times.
pub(crate) fn record_time(secs: f64) -> String {
    crate::last_modified((secs * 1000.0) as i64).replace("+0000", "Z")
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
    /// Plugs in the sink for SQS destinations and dead-letter queues.
    pub fn set_message_sink(&self, sink: std::sync::Arc<dyn MessageSink>) {
        *self.inner.sink.write() = Some(sink);
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
            "sqs" => {
                let sink = self.inner.sink.read().clone();
                match sink {
                    Some(sink) => sink.send(arn, body, attributes),
                    None => Err("no SQS is attached to this engine".into()),
                }
            }
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
