//! What the server plugs into the SNS engine, which knows no HTTP: [`SnsDeliveries`] sends
//! notifications to the server's own SQS engine, to its Lambda engine as asynchronous
//! invocations, and to HTTP(S) webhooks with a POST from a background task.
//!
//! Webhook POSTs in flight are bounded ([`HttpSlots`], `--max-sns-http-deliveries`): each
//! holds its notification (up to 256 KiB) for up to [`HTTP_TIMEOUT`], so a burst of
//! publishes to a slow endpoint would otherwise hold memory in proportion to the burst. A
//! notification that finds every slot taken fails at once, as a timeout would: SNS counts it
//! in `NumberOfNotificationsFailed` (no retries are made), and the server in
//! `streamwatch_sns_http_deliveries_refused_total`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lambda_engine::LambdaEngine;
use sns_engine::{Deliveries, HTTP_CONTENT_TYPE, HttpOutcome, HttpPost, QueueAttribute};
use sqs_engine::SqsEngine;

/// How long one webhook POST may take before it counts as failed. SNS's own timeout is 15 s
/// per attempt; a local webhook answers at once or not at all.
const HTTP_TIMEOUT: Duration = Duration::from_secs(5);

type HttpsConnector = hyper_rustls::HttpsConnector<HttpConnector>;

/// How many webhook POSTs may be in flight at once by default.
pub(crate) const DEFAULT_MAX_HTTP_DELIVERIES: usize = 1000;

/// The bound on webhook POSTs in flight, and what it has refused.
#[derive(Debug)]
pub(crate) struct HttpSlots {
    in_flight: AtomicUsize,
    max: usize,
    refused: AtomicU64,
}

/// One POST's slot, given back when dropped.
struct Slot(Arc<HttpSlots>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl HttpSlots {
    /// At most `max` (at least 1) POSTs in flight.
    pub(crate) fn new(max: usize) -> HttpSlots {
        HttpSlots {
            in_flight: AtomicUsize::new(0),
            max: max.max(1),
            refused: AtomicU64::new(0),
        }
    }

    /// POSTs in flight now.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Notifications failed at once for want of a slot, since the server started.
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// A slot, or `None` (counted) when all are taken.
    fn take(self: &Arc<Self>) -> Option<Slot> {
        let taken = self
            .in_flight
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < self.max).then_some(n + 1)
            })
            .is_ok();
        if taken {
            Some(Slot(Arc::clone(self)))
        } else {
            self.refused.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

/// The server's [`Deliveries`].
pub(crate) struct SnsDeliveries {
    sqs: SqsEngine,
    lambda: LambdaEngine,
    /// For `http://` webhooks.
    http: Client<HttpConnector, Full<Bytes>>,
    /// For `https://` webhooks, when the system has root certificates to check them with.
    https: Option<Client<HttpsConnector, Full<Bytes>>>,
    /// The bound on POSTs in flight.
    slots: Arc<HttpSlots>,
}

impl SnsDeliveries {
    /// Deliveries to `sqs` and `lambda`, and to webhooks over HTTP, and over HTTPS with the
    /// system's root certificates (when it has any), at most as many POSTs in flight as
    /// `slots` allows.
    pub(crate) fn new(
        sqs: SqsEngine,
        lambda: LambdaEngine,
        slots: Arc<HttpSlots>,
    ) -> SnsDeliveries {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .ok()
            .map(|b| b.https_only().enable_http1().build())
            .map(|connector| Client::builder(TokioExecutor::new()).build(connector));
        SnsDeliveries {
            sqs,
            lambda,
            http: Client::builder(TokioExecutor::new()).build_http(),
            https,
            slots,
        }
    }

    /// Whether `https://` webhooks can be delivered to.
    pub(crate) fn https_available(&self) -> bool {
        self.https.is_some()
    }
}

impl Deliveries for SnsDeliveries {
    fn to_queue(
        &self,
        queue_arn: &str,
        body: String,
        attributes: Vec<QueueAttribute>,
    ) -> Result<(), String> {
        let attributes = attributes
            .into_iter()
            .map(|a| {
                let value = sqs_engine::AttributeValue {
                    data_type: a.data_type,
                    value: a.value,
                };
                (a.name, value)
            })
            .collect();
        let message = sqs_engine::Outgoing {
            body,
            delay_seconds: None,
            attributes,
            ..sqs_engine::Outgoing::default()
        };
        self.sqs
            .send_to_arn(queue_arn, message)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn to_function(&self, function_arn: &str, event_json: String) -> Result<(), String> {
        let function = crate::alarm_actions::lambda_target(function_arn)
            .ok_or_else(|| format!("{function_arn} is not a function ARN"))?;
        self.lambda
            .invoke_event(function, Bytes::from(event_json))
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn to_http(&self, post: HttpPost, outcome: HttpOutcome) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            outcome(false);
            return;
        };
        let Some(slot) = self.slots.take() else {
            tracing::warn!(url = %post.url, max = self.slots.max, "SNS webhook delivery refused: too many in flight");
            outcome(false);
            return;
        };
        let mut request = hyper::Request::post(post.url.as_str())
            .header(hyper::header::CONTENT_TYPE, HTTP_CONTENT_TYPE);
        for (name, value) in &post.headers {
            request = request.header(*name, value.as_str());
        }
        let Ok(request) = request.body(Full::new(Bytes::from(post.body))) else {
            tracing::warn!(url = %post.url, "SNS webhook URL or header not valid HTTP");
            outcome(false);
            return;
        };
        let is_https = post.url.len() > 8 && post.url[..8].eq_ignore_ascii_case("https://");
        let (plain, secure) = (self.http.clone(), self.https.clone());
        runtime.spawn(async move {
            let _slot = slot;
            let sent = async move {
                match (is_https, secure) {
                    (false, _) => plain.request(request).await.map_err(|e| e.to_string()),
                    (true, Some(secure)) => {
                        secure.request(request).await.map_err(|e| e.to_string())
                    }
                    (true, None) => Err("no root certificates for HTTPS".to_owned()),
                }
            };
            let ok = match tokio::time::timeout(HTTP_TIMEOUT, sent).await {
                Ok(Ok(response)) => response.status().is_success(),
                Ok(Err(e)) => {
                    tracing::warn!(url = %post.url, error = %e, "SNS webhook delivery failed");
                    false
                }
                Err(_) => {
                    tracing::warn!(url = %post.url, "SNS webhook delivery timed out");
                    false
                }
            };
            outcome(ok);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_bounded_given_back_and_refusals_counted() {
        let slots = Arc::new(HttpSlots::new(2));
        let a = slots.take().expect("first");
        let _b = slots.take().expect("second");
        assert!(slots.take().is_none());
        assert_eq!((slots.in_flight(), slots.refused()), (2, 1));
        drop(a);
        assert_eq!(slots.in_flight(), 1);
        assert!(slots.take().is_some());
        assert_eq!(
            slots.in_flight(),
            1,
            "the slot taken above was dropped at once"
        );
    }
}
