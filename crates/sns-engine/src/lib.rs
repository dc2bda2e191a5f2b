//! A minimal Amazon SNS: standard topics whose messages fan out to SQS queues, Lambda
//! functions and HTTP(S) webhooks.
//!
//! It is what CloudWatch alarms need to notify someone, and what a pipeline needs to fan one
//! event out: topics (created idempotently by name, with attributes and tags), subscriptions
//! for the `sqs`, `lambda`, `http` and `https` protocols (HTTP(S) ones wait for their
//! endpoint to confirm, as on AWS), and Publish / PublishBatch with subjects, message
//! attributes, per-protocol messages (`MessageStructure=json`) and raw message delivery.
//!
//! [`SnsEngine`] is the entry point; its operations live in `ops_topics.rs` (create, delete,
//! list, attributes, tags), `ops_subscriptions.rs` (subscribe, confirm, unsubscribe, list,
//! attributes) and `publish.rs` (the message checks and the fan-out). `topic.rs` and
//! `subscription.rs` hold the records and their attributes, `names.rs` names and ARNs,
//! `envelope.rs` the documents delivered, exactly as AWS writes them. Errors are
//! [`SnsError`]s whose message is AWS's text; codes and statuses are `sns-api`'s business.
//!
//! **Deliveries are not made here.** The engine builds each document and hands it to the
//! [`Deliveries`] the server plugs in ([`SnsEngine::set_deliveries`]): a send to its SQS
//! engine, an asynchronous Lambda invocation, an HTTP POST from a background task. Every
//! publish records the `AWS/SNS` metrics of its topic (`NumberOfMessagesPublished`,
//! `PublishSize`, and per subscription `NumberOfNotificationsDelivered` or
//! `NumberOfNotificationsFailed`; HTTP outcomes are recorded when the POST is answered).
//!
//! Not served: FIFO topics (a `.fifo` name or `FifoTopic` is refused with InvalidParameter,
//! not accepted as a standard topic, so no one mistakes this for ordering and
//! deduplication), the email, SMS, mobile push and Firehose protocols, filter policies,
//! delivery retries and redrive policies (a failed delivery is counted and dropped), and
//! signatures (see `envelope.rs`). Time comes from a [`time_source::Clock`]: timestamps,
//! confirmation tokens (valid two days) and metrics read it.
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::sync::Arc;
//! use sns_engine::{SnsConfig, SnsEngine};
//!
//! let sns = SnsEngine::new(SnsConfig::default(), Arc::new(metric_store::Store::new()));
//! let topic = sns.create_topic("alerts", &BTreeMap::new(), &[])?;
//! assert_eq!(topic, "arn:aws:sns:us-east-1:000000000000:alerts");
//! // Creating it again is the same topic.
//! assert_eq!(sns.create_topic("alerts", &BTreeMap::new(), &[])?, topic);
//! // No subscriber yet: the message is published and goes nowhere.
//! let id = sns.publish(&topic, Some("hello"), "the body")?;
//! assert_eq!(id.len(), 36);
//! # Ok::<(), sns_engine::SnsError>(())
//! ```

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod deliveries;
mod envelope;
mod error;
mod names;
mod ops_subscriptions;
mod ops_topics;
mod publish;
mod subscription;
mod topic;

use std::sync::Arc;

use metric_store::{Store, catalog};
use parking_lot::{Mutex, RwLock};
use time_source::{Clock, SystemClock};

pub use deliveries::{Deliveries, HTTP_CONTENT_TYPE, HttpOutcome, HttpPost, QueueAttribute};
pub use error::SnsError;
pub use names::{MAX_TOPIC_NAME, valid_topic_name};
pub use ops_subscriptions::PENDING_CONFIRMATION;
pub use publish::{BatchResult, MAX_BATCH, MAX_MESSAGE_BYTES, Message};
pub use subscription::{Protocol, SubscriptionSummary};

use subscription::Subscription;
use topic::Topic;

/// Topics and subscriptions a List call returns at most per page (ListTopics and
/// ListSubscriptions page by 100 on AWS).
pub const PAGE_SIZE: usize = 100;

/// One message attribute as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageAttribute {
    /// The attribute's name.
    pub name: String,
    /// `String`, `Number`, `Binary`, `String.Array`, or one of them with a custom suffix.
    pub data_type: String,
    /// Its value.
    pub value: AttributeValue,
}

/// A message attribute's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeValue {
    /// `StringValue`, for the String and Number types.
    Text(String),
    /// `BinaryValue`, for the Binary type.
    Binary(Vec<u8>),
}

/// Settings of the engine.
#[derive(Debug, Clone)]
pub struct SnsConfig {
    /// The account in ARNs and the topics' `Owner`.
    pub account_id: String,
    /// The region in ARNs.
    pub region: String,
    /// The engine's own endpoint (`http://127.0.0.1:4566`): the base of the SubscribeURL and
    /// UnsubscribeURL in delivered messages.
    pub endpoint_url: String,
    /// Whether `https` endpoints can be delivered to; without it Subscribe refuses them.
    pub https_deliveries: bool,
}

impl Default for SnsConfig {
    fn default() -> SnsConfig {
        SnsConfig {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            endpoint_url: "http://localhost".into(),
            https_deliveries: false,
        }
    }
}

/// Topics and subscriptions, under one lock: a publish reads both at once.
#[derive(Default)]
struct State {
    /// By ARN.
    topics: std::collections::BTreeMap<String, Topic>,
    /// In creation order (ListSubscriptions' order).
    subscriptions: Vec<Subscription>,
    /// The sequence number of the next subscription (its place in ListSubscriptions).
    next_seq: u64,
}

struct Inner {
    config: SnsConfig,
    state: Mutex<State>,
    metrics: Arc<Store>,
    clock: Arc<dyn Clock>,
    deliveries: RwLock<Option<Arc<dyn Deliveries>>>,
}

impl Inner {
    fn record(&self, topic_name: &str, metric: &catalog::MetricDef, value: f64) {
        if let Ok(series) = metric.series(&self.metrics, &[("TopicName", topic_name)]) {
            series.record(self.clock.now_ms(), value);
        }
    }
}

/// The engine: cheap to clone, clones share every topic.
#[derive(Clone)]
pub struct SnsEngine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SnsEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.inner.state.lock();
        f.debug_struct("SnsEngine")
            .field("topics", &state.topics.len())
            .field("subscriptions", &state.subscriptions.len())
            .finish()
    }
}

impl SnsEngine {
    /// An engine with no topics on the system clock, recording metrics into `metrics`.
    pub fn new(config: SnsConfig, metrics: Arc<Store>) -> SnsEngine {
        SnsEngine::with_clock(config, metrics, Arc::new(SystemClock))
    }

    /// An engine with no topics whose time is `clock`, recording metrics into `metrics`.
    pub fn with_clock(config: SnsConfig, metrics: Arc<Store>, clock: Arc<dyn Clock>) -> SnsEngine {
        SnsEngine {
            inner: Arc::new(Inner {
                config,
                state: Mutex::new(State::default()),
                metrics,
                clock,
                deliveries: RwLock::new(None),
            }),
        }
    }

    /// Plugs in where notifications go. Until then every delivery fails (and is counted as
    /// failed).
    pub fn set_deliveries(&self, deliveries: Arc<dyn Deliveries>) {
        *self.inner.deliveries.write() = Some(deliveries);
    }

    /// The engine's settings.
    pub fn config(&self) -> &SnsConfig {
        &self.inner.config
    }

    /// The ARN topic `name` has (or would have).
    pub fn topic_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:sns:{}:{}:{name}",
            self.inner.config.region, self.inner.config.account_id
        )
    }

    fn now_ms(&self) -> u64 {
        self.inner.clock.now_ms()
    }

    fn deliveries(&self) -> Option<Arc<dyn Deliveries>> {
        self.inner.deliveries.read().clone()
    }
}

/// What the tests of every module share: an engine on a manual clock whose deliveries are
/// recorded, and a metric reader.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use metric_store::MetricKey;
    use std::collections::BTreeMap;
    use time_source::ManualClock;

    /// Where the manual clocks of the tests start.
    pub(crate) const START_MS: u64 = 1_700_000_000_000;

    /// One delivery the engine asked for.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub(crate) enum Sent {
        Queue(String, String, Vec<QueueAttribute>),
        Function(String, String),
        Http(HttpPost),
    }

    /// Deliveries that record what they are asked, and fail for endpoints containing
    /// `broken`.
    #[derive(Default)]
    pub(crate) struct Recorder(pub(crate) Mutex<Vec<Sent>>);

    impl Deliveries for Recorder {
        fn to_queue(
            &self,
            arn: &str,
            body: String,
            attrs: Vec<QueueAttribute>,
        ) -> Result<(), String> {
            if arn.contains("broken") {
                return Err("no such queue".into());
            }
            self.0.lock().push(Sent::Queue(arn.into(), body, attrs));
            Ok(())
        }
        fn to_function(&self, arn: &str, event: String) -> Result<(), String> {
            self.0.lock().push(Sent::Function(arn.into(), event));
            Ok(())
        }
        fn to_http(&self, post: HttpPost, outcome: HttpOutcome) {
            let ok = !post.url.contains("broken");
            self.0.lock().push(Sent::Http(post));
            outcome(ok);
        }
    }

    /// An engine, its clock and the recorder of its deliveries.
    pub(crate) fn engine() -> (SnsEngine, ManualClock, Arc<Recorder>) {
        let clock = ManualClock::new(START_MS);
        let store = Arc::new(Store::with_clock(Arc::new(clock.clone())));
        let engine = SnsEngine::with_clock(
            SnsConfig {
                endpoint_url: "http://127.0.0.1:4566".into(),
                ..SnsConfig::default()
            },
            store,
            Arc::new(clock.clone()),
        );
        let recorder = Arc::new(Recorder::default());
        engine.set_deliveries(recorder.clone());
        (engine, clock, recorder)
    }

    /// Topic `name` with default attributes.
    pub(crate) fn topic(e: &SnsEngine, name: &str) -> String {
        e.create_topic(name, &BTreeMap::new(), &[]).unwrap()
    }

    /// The sum of `metric` of topic `topic` over the last ten minutes.
    pub(crate) fn sum(e: &SnsEngine, metric: &str, topic: &str) -> f64 {
        let key = MetricKey::new("AWS/SNS", metric, [("TopicName", topic)]).unwrap();
        let now = e.now_ms();
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
}
