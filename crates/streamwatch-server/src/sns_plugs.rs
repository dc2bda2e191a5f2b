//! What the server plugs into the SNS engine, which knows no HTTP: [`SnsDeliveries`] sends
//! notifications to the server's own SQS engine, to its Lambda engine as asynchronous
//! invocations, and to HTTP(S) webhooks with a POST from a background task.

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

/// The server's [`Deliveries`].
pub(crate) struct SnsDeliveries {
    sqs: SqsEngine,
    lambda: LambdaEngine,
    /// For `http://` webhooks.
    http: Client<HttpConnector, Full<Bytes>>,
    /// For `https://` webhooks, when the system has root certificates to check them with.
    https: Option<Client<HttpsConnector, Full<Bytes>>>,
}

impl SnsDeliveries {
    /// Deliveries to `sqs` and `lambda`, and to webhooks over HTTP, and over HTTPS with the
    /// system's root certificates (when it has any).
    pub(crate) fn new(sqs: SqsEngine, lambda: LambdaEngine) -> SnsDeliveries {
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
            trace_header: None,
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
