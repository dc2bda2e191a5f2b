//! Asynchronous invocation (`InvocationType: Event`): the event is accepted at once and run
//! from a queue; a function error is retried up to `MaximumRetryAttempts` (0..=2, default 2)
//! times after Lambda's waits, throttles are retried until the event is
//! `MaximumEventAgeInSeconds` old (60..=21,600, default 6 hours), and an event given up on is
//! counted in AsyncEventsDropped. Every attempt keeps the event's request id and records
//! AsyncEventAge. Records of the outcome go to the configured destinations, and failed
//! events to the function's dead-letter queue (DeadLetterConfig), as
//! [`crate::destinations`] describes.

use std::time::Duration;

use bytes::Bytes;

use crate::{LambdaEngine, LambdaError};

/// Largest asynchronous invocation payload (1 MB).
pub const MAX_ASYNC_PAYLOAD_BYTES: usize = 1024 * 1024;

/// A function's asynchronous invocation settings (PutFunctionEventInvokeConfig).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EventInvokeConfig {
    /// Retries after a function error, 0..=2.
    pub maximum_retry_attempts: u32,
    /// Oldest an event may be when it is (re)tried, in seconds, 60..=21,600.
    pub maximum_event_age_secs: u32,
    /// Where records of successful events go (an SQS queue or a function).
    pub on_success: Option<String>,
    /// Where records of failed and expired events go (an SQS queue or a function).
    pub on_failure: Option<String>,
    /// When it last changed, epoch seconds.
    pub last_modified: f64,
}

impl Default for EventInvokeConfig {
    fn default() -> EventInvokeConfig {
        EventInvokeConfig {
            maximum_retry_attempts: 2,
            maximum_event_age_secs: 21_600,
            on_success: None,
            on_failure: None,
            last_modified: 0.0,
        }
    }
}

impl EventInvokeConfig {
    fn validate(&self) -> Result<(), LambdaError> {
        if self.maximum_retry_attempts > 2 {
            return Err(LambdaError::InvalidParameter(format!(
                "1 validation error detected: Value '{}' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2",
                self.maximum_retry_attempts
            )));
        }
        if !(60..=21_600).contains(&self.maximum_event_age_secs) {
            return Err(LambdaError::InvalidParameter(format!(
                "1 validation error detected: Value '{}' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 21600",
                self.maximum_event_age_secs
            )));
        }
        Ok(())
    }
}

impl LambdaEngine {
    /// Sets a function's asynchronous invocation settings.
    pub fn put_event_invoke_config(
        &self,
        name: &str,
        mut config: EventInvokeConfig,
    ) -> Result<EventInvokeConfig, LambdaError> {
        config.validate()?;
        let f = self.function(name)?;
        config.last_modified = self.inner.time.now_secs();
        *f.event_invoke.write() = Some(config.clone());
        self.save_function(name);
        Ok(config)
    }

    /// A function's asynchronous invocation settings, if any were put.
    pub fn get_event_invoke_config(&self, name: &str) -> Result<EventInvokeConfig, LambdaError> {
        self.function(name)?
            .event_invoke
            .read()
            .clone()
            .ok_or_else(|| {
                LambdaError::NotFound(format!(
                    "The function {} doesn't have an EventInvokeConfig",
                    self.function_arn(name)
                ))
            })
    }

    /// Removes a function's asynchronous invocation settings.
    pub fn delete_event_invoke_config(&self, name: &str) -> Result<(), LambdaError> {
        self.get_event_invoke_config(name)?;
        *self.function(name)?.event_invoke.write() = None;
        self.save_function(name);
        Ok(())
    }

    /// Accepts an event for asynchronous invocation and returns its request id.
    pub fn invoke_event(&self, name: &str, payload: Bytes) -> Result<String, LambdaError> {
        if payload.len() > MAX_ASYNC_PAYLOAD_BYTES {
            return Err(LambdaError::RequestTooLarge);
        }
        let base = crate::versions::split_qualifier(name).0;
        let f = self.function(base)?;
        self.resolve(base, crate::versions::split_qualifier(name).1)?;
        let config = f.event_invoke.read().clone().unwrap_or_default();
        let pending = PendingEvent::take(&self.inner)?;
        let request_id = uuid::Uuid::new_v4().to_string();
        self.inner.metrics.async_received(base);
        let engine = self.clone();
        let name = name.to_string();
        let id = request_id.clone();
        tokio::spawn(async move {
            engine.run_event(&name, payload, id, config).await;
            drop(pending);
        });
        Ok(request_id)
    }

    async fn run_event(
        &self,
        qualified: &str,
        payload: Bytes,
        id: String,
        config: EventInvokeConfig,
    ) {
        let name = crate::versions::split_qualifier(qualified).0;
        let received = self.inner.time.stopwatch();
        let max_age = Duration::from_secs(u64::from(config.maximum_event_age_secs));
        let mut retries = 0u32;
        let mut attempts = 0u32;
        let mut last: Option<crate::Invoked> = None;
        let condition = loop {
            if received.elapsed() > max_age {
                tracing::warn!(function = name, request_id = id, "event expired");
                break "EventAgeExceeded";
            }
            self.inner
                .metrics
                .async_age(name, received.elapsed().as_secs_f64() * 1000.0);
            let outcome = self.invoke_as(qualified, payload.clone(), id.clone()).await;
            if outcome.is_ok() {
                attempts += 1;
            }
            match outcome {
                Ok(invoked) if invoked.function_error.is_none() => {
                    if let Some(dest) = &config.on_success {
                        let record = self
                            .invocation_record(name, &id, "Success", attempts, &payload, &invoked);
                        self.deliver_record(name, dest, record);
                    }
                    return;
                }
                Ok(invoked) if retries < config.maximum_retry_attempts => {
                    last = Some(invoked);
                    let wait = self.inner.config.async_retry_delays[(retries as usize).min(1)];
                    retries += 1;
                    self.inner.time.sleep(wait).await;
                }
                Ok(invoked) => {
                    tracing::warn!(
                        function = name,
                        request_id = id,
                        "event failed after its retries"
                    );
                    last = Some(invoked);
                    break "RetriesExhausted";
                }
                Err(LambdaError::Throttled { .. }) => {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => {
                    tracing::warn!(function = name, request_id = id, error = %e, "event dropped");
                    self.inner.metrics.async_dropped(name);
                    return;
                }
            }
        };
        self.inner.metrics.async_dropped(name);
        let record = match &last {
            Some(invoked) => {
                self.invocation_record(name, &id, condition, attempts, &payload, invoked)
            }
            None => self.invocation_record_unanswered(name, &id, condition, &payload),
        };
        if let Some(dest) = &config.on_failure {
            self.deliver_record(name, dest, record);
        }
        let dead_letter = self
            .function(name)
            .ok()
            .and_then(|f| f.config.read().dead_letter_target.clone());
        if let Some(dlq) = dead_letter {
            let (code, message) = match &last {
                Some(invoked) => ("200".to_string(), error_message(&invoked.payload)),
                None => ("429".to_string(), "Event age exceeded".to_string()),
            };
            let attributes = [
                ("RequestID", "String", id.clone()),
                ("ErrorCode", "Number", code),
                ("ErrorMessage", "String", message),
            ];
            let body = String::from_utf8_lossy(&payload).into_owned();
            if let Err(e) = self.deliver(&dlq, body, &attributes) {
                tracing::warn!(function = name, dlq, error = %e, "dead-letter queue not reached");
                self.inner.metrics.dead_letter_error(name);
            }
        }
    }

    fn deliver_record(&self, name: &str, destination: &str, record: serde_json::Value) {
        if let Err(e) = self.deliver(destination, record.to_string(), &[]) {
            tracing::warn!(function = name, destination, error = %e, "destination not reached");
            self.inner.metrics.destination_delivery_failure(name);
        }
    }

    /// The invocation record destinations receive for an event the function answered.
    fn invocation_record(
        &self,
        name: &str,
        id: &str,
        condition: &str,
        attempts: u32,
        payload: &Bytes,
        invoked: &crate::Invoked,
    ) -> serde_json::Value {
        let mut record = self.invocation_record_unanswered(name, id, condition, payload);
        record["requestContext"]["approximateInvokeCount"] = attempts.into();
        record["responseContext"] =
            crate::destinations::response_context(invoked.function_error.as_deref());
        record["responsePayload"] = json_or_string(&invoked.payload);
        record
    }

    /// The invocation record of an event that expired before the function answered it.
    fn invocation_record_unanswered(
        &self,
        name: &str,
        id: &str,
        condition: &str,
        payload: &Bytes,
    ) -> serde_json::Value {
        serde_json::json!({
            "version": "1.0",
            "timestamp": self.record_timestamp(),
            "requestContext": {
                "requestId": id,
                "functionArn": format!("{}:$LATEST", self.function_arn(name)),
                "condition": condition,
                "approximateInvokeCount": 0,
            },
            "requestPayload": json_or_string(payload),
        })
    }
}

/// A payload as JSON if it is JSON, else as a string.
fn json_or_string(payload: &Bytes) -> serde_json::Value {
    serde_json::from_slice(payload).unwrap_or_else(|_| {
        serde_json::Value::String(String::from_utf8_lossy(payload).into_owned())
    })
}

/// The `errorMessage` of a function error document, or the whole payload (at most 1 KB).
fn error_message(payload: &Bytes) -> String {
    let message = serde_json::from_slice::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| v["errorMessage"].as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(payload).into_owned());
    message.chars().take(1024).collect()
}

/// One accepted asynchronous event's place in the engine's bound: taken when Lambda accepts
/// the event, given back when it is done with it.
struct PendingEvent(std::sync::Arc<crate::Inner>);

impl PendingEvent {
    /// Takes a place, or refuses the event as Lambda refuses invocations over its limits:
    /// `TooManyRequestsException`.
    fn take(inner: &std::sync::Arc<crate::Inner>) -> Result<PendingEvent, LambdaError> {
        use std::sync::atomic::Ordering;
        let max = inner.config.max_pending_async_events;
        let taken = inner
            .pending_async
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            });
        if taken.is_err() {
            inner.async_refused.fetch_add(1, Ordering::Relaxed);
            return Err(LambdaError::Throttled {
                reason: "FunctionInvocationRateLimitExceeded",
            });
        }
        Ok(PendingEvent(inner.clone()))
    }
}

impl Drop for PendingEvent {
    fn drop(&mut self) {
        self.0
            .pending_async
            .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}
