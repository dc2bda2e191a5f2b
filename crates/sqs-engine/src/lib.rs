//! A minimal Amazon SQS: standard and FIFO queues held in memory, and kept on disk with a
//! data directory.
//!
//! It is what a pipeline needs beside its stream: a place for Lambda's failed events (an event
//! source mapping's on-failure destination, an asynchronous invocation's destination or
//! dead-letter queue) that the user's own SQS code can read. Messages keep AWS's semantics:
//! a receive hides a message for the visibility timeout and hands out a fresh receipt handle,
//! only the newest handle deletes, delays and long polls wait, messages expire after the
//! retention period, and PurgeQueue may run once a minute. Every operation records the
//! `AWS/SQS` metrics of the queue; the `Approximate*` gauges are taken by [`SqsEngine::sample`].
//!
//! [`SqsEngine`] is the entry point; its operations live in `ops_queues.rs` (create, list,
//! attributes, tags, purge, delete) and `ops_messages.rs` (send, receive, delete, visibility).
//! `queue.rs` holds a queue and its [`Depth`], `message.rs` what is sent, stored and received,
//! `attributes.rs` the queue attributes and their ranges, `receipt.rs` the receipt handles and
//! `md5.rs` the digests SQS returns. Errors are [`SqsError`]s: domain errors whose message is
//! AWS's text; their HTTP status and wire codes are `sqs-api`'s business.
//!
//! Time comes from a [`time_source::Clock`] ([`SqsEngine::with_clock`]): visibility timeouts,
//! delays, retention, purge intervals, timestamps and metrics all read it, so tests move a
//! `ManualClock` instead of sleeping. Only a long poll's wait is real time: it wakes when a
//! message arrives and looks again every 100 ms until its deadline.
//!
//! Memory is bounded: all queues together hold at most [`SqsConfig::max_held_bytes`] of
//! messages (1 GiB by default); past it SendMessage is refused with
//! [`SqsError::RequestThrottled`] and nothing is stored, so an acknowledged message is never
//! dropped to make room. [`SqsEngine::held_bytes`] and [`SqsEngine::sends_refused`] say how
//! close the bound is and how often it was reached.
//!
//! With a data directory ([`SqsEngine::open`], `durable.rs`) every change (a queue created,
//! a message sent, received, deleted, moved...) is appended to a `state-journal` journal
//! before it is acknowledged, so queues and messages, in flight or not, survive a restart
//! or a kill; [`SqsEngine::maintain_journal`] syncs it and folds it into a snapshot. Without
//! one nothing is written and the journal costs nothing.
//!
//! FIFO queues (`fifo.rs`) keep each message group in order, hand out none of a group
//! while one of its messages is in flight, and deduplicate sends within five minutes.
//! The engine knows no HTTP and no wire encoding: `sqs-api` maps AWS's JSON protocol onto it.
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::sync::Arc;
//! use sqs_engine::{Outgoing, SqsConfig, SqsEngine};
//! use time_source::ManualClock;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let clock = ManualClock::new(1_700_000_000_000);
//! let sqs = SqsEngine::with_clock(
//!     SqsConfig::default(),
//!     Arc::new(metric_store::Store::new()),
//!     Arc::new(clock.clone()),
//! );
//! let url = sqs.create_queue("jobs", &BTreeMap::new(), &BTreeMap::new())?;
//! sqs.send(&url, Outgoing { body: "hello".into(), ..Outgoing::default() })?;
//! let got = sqs.receive(&url, 1, Some(30), Some(0)).await?;
//! assert_eq!(got[0].body, "hello");
//! // Hidden for the 30 s visibility timeout, then back.
//! assert!(sqs.receive(&url, 1, None, Some(0)).await?.is_empty());
//! clock.advance(30_000);
//! assert_eq!(sqs.receive(&url, 1, None, Some(0)).await?[0].receive_count, 2);
//! # Ok::<(), sqs_engine::SqsError>(())
//! # }).unwrap();
//! ```

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod attributes;
mod durable;
mod error;
mod fifo;
mod md5;
mod message;
mod move_task;
mod ops_messages;
mod ops_queues;
mod queue;
mod receipt;
mod redrive;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use metric_store::{Store, catalog};
use parking_lot::RwLock;
use time_source::{Clock, SystemClock};

pub use attributes::MAX_VISIBILITY_SECS;
pub use error::SqsError;
pub use fifo::DEDUPLICATION_WINDOW_MS;
pub use md5::{md5_hex, md5_of_attributes};
pub use message::{
    AttributeValue, MAX_ATTRIBUTES, MESSAGE_OVERHEAD_BYTES, Outgoing, Received, Sent, message_size,
};
pub use move_task::{MoveTask, MoveTaskStatus};
pub use queue::{Depth, valid_batch_id};
pub use state_journal::JournalError;

use queue::Queue;

/// Most messages one ReceiveMessage returns, and most entries in one batch request.
pub const MAX_BATCH: usize = 10;
/// Longest long poll (`WaitTimeSeconds`), in seconds.
pub const MAX_WAIT_SECS: u32 = 20;
/// Longest delivery delay (`DelaySeconds`), in seconds.
pub const MAX_DELAY_SECS: u32 = 900;
/// Largest message the service accepts (1 MiB); a queue's `MaximumMessageSize` may lower it.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// How often PurgeQueue may run on one queue.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// How many bytes of messages the queues hold together by default (1 GiB).
pub const DEFAULT_MAX_HELD_BYTES: u64 = 1 << 30;

/// Settings of the engine.
#[derive(Debug, Clone)]
pub struct SqsConfig {
    /// The account in URLs and ARNs.
    pub account_id: String,
    /// The region in ARNs.
    pub region: String,
    /// The base of queue URLs (`<endpoint>/<account>/<name>`), e.g. `http://127.0.0.1:4566`.
    pub endpoint_url: String,
    /// The most bytes of messages all queues hold together (`--max-queue-bytes`), each
    /// message counting its body, attributes and [`MESSAGE_OVERHEAD_BYTES`]; a send past it
    /// is refused with [`SqsError::RequestThrottled`].
    pub max_held_bytes: u64,
}

impl Default for SqsConfig {
    fn default() -> SqsConfig {
        SqsConfig {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            endpoint_url: "http://localhost".into(),
            max_held_bytes: DEFAULT_MAX_HELD_BYTES,
        }
    }
}

struct Inner {
    config: SqsConfig,
    queues: RwLock<BTreeMap<String, Arc<Queue>>>,
    /// Bytes held by every queue, against `config.max_held_bytes`.
    held: Arc<message::Held>,
    metrics: Arc<Store>,
    clock: Arc<dyn Clock>,
    /// StartMessageMoveTask's tasks, oldest first.
    move_tasks: parking_lot::Mutex<Vec<move_task::MoveTask>>,
    /// How many of them are running, so that receives skip looking when none is.
    running_moves: std::sync::atomic::AtomicUsize,
    /// Where changes are journaled, with a data directory ([`SqsEngine::open`]).
    journal: Option<state_journal::Journal<durable::Change>>,
    /// Held shared while a change is made and journaled, exclusively while compacting.
    gate: RwLock<()>,
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

impl SqsEngine {
    /// An engine with no queues on the system clock, recording metrics into `metrics`.
    pub fn new(config: SqsConfig, metrics: Arc<Store>) -> SqsEngine {
        SqsEngine::with_clock(config, metrics, Arc::new(SystemClock))
    }

    /// An engine with no queues whose time is `clock`, recording metrics into `metrics`.
    pub fn with_clock(config: SqsConfig, metrics: Arc<Store>, clock: Arc<dyn Clock>) -> SqsEngine {
        SqsEngine::build(config, metrics, clock, None)
    }

    fn build(
        config: SqsConfig,
        metrics: Arc<Store>,
        clock: Arc<dyn Clock>,
        journal: Option<state_journal::Journal<durable::Change>>,
    ) -> SqsEngine {
        SqsEngine {
            inner: Arc::new(Inner {
                held: Arc::new(message::Held::new(config.max_held_bytes)),
                config,
                queues: RwLock::new(BTreeMap::new()),
                metrics,
                clock,
                move_tasks: parking_lot::Mutex::new(Vec::new()),
                running_moves: std::sync::atomic::AtomicUsize::new(0),
                journal,
                gate: RwLock::new(()),
            }),
        }
    }

    /// The engine's settings.
    pub fn config(&self) -> &SqsConfig {
        &self.inner.config
    }

    /// Bytes of messages all queues hold now, as [`SqsConfig::max_held_bytes`] counts them.
    pub fn held_bytes(&self) -> u64 {
        self.inner.held.bytes()
    }

    /// Messages refused since the engine started because the queues held
    /// [`SqsConfig::max_held_bytes`].
    pub fn sends_refused(&self) -> u64 {
        self.inner.held.refused()
    }

    /// The ARN of queue `name`.
    pub fn queue_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:sqs:{}:{}:{name}",
            self.inner.config.region, self.inner.config.account_id
        )
    }

    /// The URL of queue `name`: `<endpoint>/<account>/<name>`.
    fn url_of(&self, name: &str) -> String {
        let config = &self.inner.config;
        format!(
            "{}/{}/{name}",
            config.endpoint_url.trim_end_matches('/'),
            config.account_id
        )
    }

    fn now_ms(&self) -> u64 {
        self.inner.clock.now_ms()
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
    pub(crate) fn queue_by_arn(&self, arn: &str) -> Result<Arc<Queue>, SqsError> {
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
            series.record(self.now_ms(), value);
        }
    }

    /// Records the `Approximate*` gauges of every queue: SQS publishes them once a minute,
    /// and the server calls this as each minute begins. The oldest message's age is left
    /// out for an empty queue.
    pub fn sample(&self) {
        let now = self.now_ms();
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

/// What the tests of every module share: an engine on a manual clock and a metric reader.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use metric_store::MetricKey;
    use time_source::ManualClock;

    /// Where the manual clocks of the tests start.
    pub(crate) const START_MS: u64 = 1_700_000_000_000;

    /// An engine and the clock it reads; the metric store reads the same clock.
    pub(crate) fn engine() -> (SqsEngine, ManualClock) {
        engine_with(SqsConfig::default())
    }

    /// [`engine`] with settings of the test's own.
    pub(crate) fn engine_with(config: SqsConfig) -> (SqsEngine, ManualClock) {
        let clock = ManualClock::new(START_MS);
        let store = Arc::new(Store::with_clock(Arc::new(clock.clone())));
        let engine = SqsEngine::with_clock(config, store, Arc::new(clock.clone()));
        (engine, clock)
    }

    /// A text message without attributes.
    pub(crate) fn text(body: &str) -> Outgoing {
        Outgoing {
            body: body.into(),
            ..Outgoing::default()
        }
    }

    /// Queue `name` with default attributes.
    pub(crate) fn queue(e: &SqsEngine, name: &str) -> String {
        e.create_queue(name, &BTreeMap::new(), &BTreeMap::new())
            .unwrap()
    }

    /// The sum of `metric` of queue `queue` over the last ten minutes.
    pub(crate) fn sum(e: &SqsEngine, metric: &str, queue: &str) -> f64 {
        let key = MetricKey::new("AWS/SQS", metric, [("QueueName", queue)]).unwrap();
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
