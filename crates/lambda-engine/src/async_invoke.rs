//! Asynchronous invocation (`InvocationType: Event`): the event is accepted at once and run
//! from a queue; a function error is retried up to `MaximumRetryAttempts` (0..=2, default 2)
//! times after Lambda's waits, throttles are retried until the event is
//! `MaximumEventAgeInSeconds` old (60..=21,600, default 6 hours), and an event given up on is
//! counted in AsyncEventsDropped. Every attempt keeps the event's request id and records
//! AsyncEventAge.

use std::time::{Duration, Instant};

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
    /// Where results of successful events go (not delivered yet: recorded only).
    pub on_success: Option<String>,
    /// Where failed events go (not delivered yet: recorded only).
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
        config.last_modified = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
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
        let f = self.function(name)?;
        let config = f.event_invoke.read().clone().unwrap_or_default();
        let request_id = uuid::Uuid::new_v4().to_string();
        self.inner.metrics.async_received(name);
        let engine = self.clone();
        let name = name.to_string();
        let id = request_id.clone();
        tokio::spawn(async move {
            engine.run_event(&name, payload, id, config).await;
        });
        Ok(request_id)
    }

    async fn run_event(&self, name: &str, payload: Bytes, id: String, config: EventInvokeConfig) {
        let received = Instant::now();
        let max_age = Duration::from_secs(u64::from(config.maximum_event_age_secs));
        let mut retries = 0u32;
        loop {
            if received.elapsed() > max_age {
                tracing::warn!(function = name, request_id = id, "event expired");
                self.inner.metrics.async_dropped(name);
                return;
            }
            self.inner
                .metrics
                .async_age(name, received.elapsed().as_secs_f64() * 1000.0);
            match self.invoke_as(name, payload.clone(), id.clone()).await {
                Ok(invoked) if invoked.function_error.is_none() => return,
                Ok(_) if retries < config.maximum_retry_attempts => {
                    let wait = self.inner.config.async_retry_delays[(retries as usize).min(1)];
                    retries += 1;
                    tokio::time::sleep(wait).await;
                }
                Ok(_) => {
                    tracing::warn!(
                        function = name,
                        request_id = id,
                        "event failed after its retries"
                    );
                    self.inner.metrics.async_dropped(name);
                    return;
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
        }
    }
}
