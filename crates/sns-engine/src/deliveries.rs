//! Where notifications go: the plug-in the server implements.
//!
//! The engine knows no HTTP and holds no handle on the SQS or Lambda engines: it builds each
//! notification exactly as AWS sends it and hands it to a [`Deliveries`], the way
//! lambda-engine hands its destinations to a `Queues`.

/// One message attribute as SQS receives it with raw message delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueAttribute {
    /// The attribute's name.
    pub name: String,
    /// `String`, `Number`, `Binary`, or one of them with a custom suffix (`String.Array`).
    pub data_type: String,
    /// The value: text for String and Number types, raw bytes for Binary.
    pub value: Vec<u8>,
}

/// An HTTP(S) POST to a subscribed endpoint: the URL, SNS's headers and the JSON (or raw)
/// body. The content type is always `text/plain; charset=UTF-8` ([`HTTP_CONTENT_TYPE`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpPost {
    /// The subscription's endpoint.
    pub url: String,
    /// `x-amz-sns-message-type`, `x-amz-sns-message-id`, `x-amz-sns-topic-arn`, and for
    /// notifications `x-amz-sns-subscription-arn` (and `x-amz-sns-rawdelivery` when raw), and
    /// `User-Agent`.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: String,
}

/// The content type of every HTTP(S) delivery (SNS's default `headerContentType`).
pub const HTTP_CONTENT_TYPE: &str = "text/plain; charset=UTF-8";

/// Told whether an HTTP delivery reached its endpoint (a 2xx answer): records the topic's
/// `NumberOfNotificationsDelivered` or `NumberOfNotificationsFailed`.
pub type HttpOutcome = Box<dyn FnOnce(bool) + Send>;

/// The server's side of a delivery. Queue and function deliveries are synchronous hand-offs
/// (a send to the engine's SQS, an asynchronous Lambda invocation accepted); HTTP is fire and
/// forget, and the implementation calls the outcome when the POST is answered or fails.
pub trait Deliveries: Send + Sync {
    /// Sends `body` to the queue whose ARN is `queue_arn`, with `attributes` as SQS message
    /// attributes. The error text is for logs.
    fn to_queue(
        &self,
        queue_arn: &str,
        body: String,
        attributes: Vec<QueueAttribute>,
    ) -> Result<(), String>;

    /// Invokes the function whose ARN is `function_arn` asynchronously with `event_json`.
    fn to_function(&self, function_arn: &str, event_json: String) -> Result<(), String>;

    /// POSTs `post` in the background and calls `outcome` with whether it succeeded.
    fn to_http(&self, post: HttpPost, outcome: HttpOutcome);
}
