//! The consumer: every shard of a stream as one `futures::Stream` of records.
//!
//! A coordinator task discovers shards, keeps one lease per shard in the [`Checkpointer`]
//! (a private in-memory one unless given), takes the leases it may hold, heartbeats them and
//! writes checkpoints. A reader task per held shard calls GetRecords (or, in
//! [`ReadMode::FanOut`], holds a SubscribeToShard subscription) and feeds a bounded channel
//! that the [`Consumer`] stream drains.
//!
//! Delivery is at least once: a record counts as processed when the stream is polled for the
//! next item after it, and only processed positions are checkpointed. A shard is read only
//! after every parent shard has been read to its end (its checkpoint is `SHARD_END`), so the
//! records of a partition key come out in order across resharding.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_kinesis::Client;
use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

use crate::checkpoint::{Checkpoint, Checkpointer, MemoryCheckpointer};
use crate::error::ClientError;
use crate::metrics::{self, MetricsCollector, labels, names};

mod coordinator;
mod fan_out;
mod reader;

use coordinator::*;

/// The consumer's queue and lag gauges are set on every this many records taken (and always
/// when they reach zero), not on each one.
const GAUGE_EVERY: u64 = 64;

/// Where to start reading a shard that has no checkpoint yet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StartingPosition {
    /// The oldest record still kept.
    TrimHorizon,
    /// Only records written after the consumer starts; shards that appear later by
    /// resharding are read from their start.
    Latest,
    /// The first record that arrived at or after this time.
    AtTimestamp(SystemTime),
}

/// Where one named shard starts when it has no checkpoint yet, overriding
/// [`StartingPosition`] for that shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShardPosition {
    /// At this record (`AT_SEQUENCE_NUMBER`).
    AtSequenceNumber(String),
    /// Just after this record (`AFTER_SEQUENCE_NUMBER`).
    AfterSequenceNumber(String),
}

/// How records are read from each held shard.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ReadMode {
    /// GetRecords calls: every consumer of the stream shares each shard's 2 MB/s and 5 calls
    /// a second.
    #[default]
    Polling,
    /// Enhanced fan-out: the stream consumer of this name (registered at start if it does not
    /// exist) gets its own 2 MB/s per shard, pushed over SubscribeToShard. Each subscription
    /// lasts five minutes and is renewed from where the last one stopped.
    FanOut {
        /// The stream consumer's name (RegisterStreamConsumer's ConsumerName).
        consumer_name: String,
    },
}

/// How the consumer reads, leases and checkpoints.
#[derive(Clone)]
pub struct ConsumerConfig {
    /// Where shards without a checkpoint start.
    pub starting_position: StartingPosition,
    /// Where particular shards without a checkpoint start, by shard id.
    pub shard_positions: HashMap<String, ShardPosition>,
    /// GetRecords polling or enhanced fan-out.
    pub read_mode: ReadMode,
    /// Records asked for per GetRecords call (AWS allows up to 10,000).
    pub records_per_call: i32,
    /// Shortest time between two GetRecords calls on one shard. AWS allows 5 calls per second
    /// per shard, shared by every consumer of the stream.
    pub min_poll_interval: Duration,
    /// How long a reader waits before asking again when a call returned nothing new.
    pub idle_poll_interval: Duration,
    /// Records fetched but not yet taken from the stream, at most; readers wait when full.
    pub queue_capacity: usize,
    /// Where leases and checkpoints live; a private in-memory store when `None`.
    pub checkpointer: Option<Arc<dyn Checkpointer>>,
    /// This worker's name in leases; must differ between processes sharing a checkpointer.
    pub worker_id: String,
    /// A lease whose counter has not moved for this long is taken over.
    pub lease_duration: Duration,
    /// How often processed positions are written to the checkpointer.
    pub checkpoint_interval: Duration,
    /// How often the shard list is read again to find children after resharding.
    pub shard_discovery_interval: Duration,
    /// Unpack KPL aggregates into their user records.
    pub deaggregate: bool,
    /// Where metrics go; the process-wide default when `None`.
    pub metrics: Option<Arc<dyn MetricsCollector>>,
}

impl Default for ConsumerConfig {
    fn default() -> ConsumerConfig {
        ConsumerConfig {
            starting_position: StartingPosition::TrimHorizon,
            shard_positions: HashMap::new(),
            read_mode: ReadMode::Polling,
            records_per_call: 10_000,
            min_poll_interval: Duration::from_millis(200),
            idle_poll_interval: Duration::from_millis(500),
            queue_capacity: 10_000,
            checkpointer: None,
            worker_id: format!("worker-{}-{:016x}", std::process::id(), fastrand::u64(..)),
            lease_duration: Duration::from_secs(10),
            checkpoint_interval: Duration::from_secs(1),
            shard_discovery_interval: Duration::from_secs(10),
            deaggregate: true,
            metrics: None,
        }
    }
}

impl std::fmt::Debug for ConsumerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumerConfig")
            .field("starting_position", &self.starting_position)
            .field("read_mode", &self.read_mode)
            .field("records_per_call", &self.records_per_call)
            .field("worker_id", &self.worker_id)
            .field("lease_duration", &self.lease_duration)
            .finish_non_exhaustive()
    }
}

/// One user record as read from a shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumedRecord {
    /// The shard it was read from.
    pub shard_id: String,
    /// The Kinesis sequence number (of the aggregate, for a de-aggregated record).
    pub sequence_number: String,
    /// Its index within a KPL aggregate; 0 for a plain record.
    pub sub_sequence_number: u64,
    /// Its partition key (its own, for a de-aggregated record).
    pub partition_key: String,
    /// Its explicit hash key, if it was aggregated with one.
    pub explicit_hash_key: Option<String>,
    /// The payload.
    pub data: Bytes,
    /// When Kinesis accepted it.
    pub approximate_arrival_timestamp: Option<SystemTime>,
    /// How far behind the tip of the shard the read was, from GetRecords.
    pub millis_behind_latest: i64,
}

impl ConsumedRecord {
    /// The payload parsed as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, ClientError> {
        serde_json::from_slice(&self.data).map_err(|e| ClientError::Serialize(e.to_string()))
    }
}

/// What readers send to the stream.
enum Item {
    Record(ConsumedRecord),
    /// Every record of the shard has been sent.
    ShardEnd(String),
    /// A reader could not go on.
    Failed(ClientError),
}

/// What the stream shares with the coordinator: the processed position of each shard.
#[derive(Default)]
struct Progress {
    processed: HashMap<String, Checkpoint>,
    /// Records taken from a shard's reader but not yet processed, per shard.
    pending: HashMap<String, u64>,
}

/// Records of every shard of a stream, as a `futures::Stream`.
pub struct Consumer {
    stream_name: String,
    rx: mpsc::Receiver<Item>,
    progress: Arc<Mutex<Progress>>,
    /// The record handed out last, processed once the stream is polled again.
    last: Option<(String, Checkpoint, Instant)>,
    queued: Arc<AtomicU64>,
    metrics: Arc<dyn MetricsCollector>,
    stop: Option<oneshot::Sender<oneshot::Sender<()>>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("stream_name", &self.stream_name)
            .finish_non_exhaustive()
    }
}

impl Consumer {
    /// A consumer of `stream_name` with the default configuration.
    pub fn new(client: Client, stream_name: impl Into<String>) -> Consumer {
        Consumer::with_config(client, stream_name, ConsumerConfig::default())
    }

    /// A consumer of `stream_name`. Reading starts in the background at once.
    pub fn with_config(
        client: Client,
        stream_name: impl Into<String>,
        config: ConsumerConfig,
    ) -> Consumer {
        let stream_name = stream_name.into();
        let metrics = config
            .metrics
            .clone()
            .unwrap_or_else(metrics::metrics_collector);
        let checkpointer: Arc<dyn Checkpointer> = match &config.checkpointer {
            Some(c) => c.clone(),
            None => Arc::new(MemoryCheckpointer::new()),
        };
        let (tx, rx) = mpsc::channel(config.queue_capacity.max(1));
        let progress = Arc::new(Mutex::new(Progress::default()));
        let queued = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = oneshot::channel();
        let coordinator = Coordinator {
            client,
            stream_name: stream_name.clone(),
            config,
            checkpointer,
            metrics: metrics.clone(),
            tx,
            progress: progress.clone(),
            queued: queued.clone(),
            held: HashMap::new(),
            seen: HashMap::new(),
            known_shards: None,
            written: HashMap::new(),
            consumer_arn: None,
        };
        let task = tokio::spawn(coordinator.run(stopped));
        Consumer {
            stream_name,
            rx,
            progress,
            last: None,
            queued,
            metrics,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The stream being read.
    pub fn stream_name(&self) -> &str {
        &self.stream_name
    }

    /// Marks the record handed out last as processed.
    fn settle_last(&mut self) {
        if let Some((shard_id, checkpoint, handed_out)) = self.last.take() {
            if self.metrics.enabled() {
                self.metrics.timer(
                    names::CONSUMER_PROCESSING_TIME_SECONDS,
                    handed_out.elapsed(),
                    &[
                        (labels::STREAM_NAME, &self.stream_name),
                        (labels::SHARD_ID, &shard_id),
                    ],
                );
            }
            let mut progress = self.progress.lock();
            let pending = progress.pending.entry(shard_id.clone()).or_default();
            *pending = pending.saturating_sub(1);
            let pending = *pending;
            progress.processed.insert(shard_id.clone(), checkpoint);
            drop(progress);
            // Sampled (every 64th record, and when the backlog empties) to keep the per-record
            // cost of metrics to the one histogram observation.
            if self.metrics.enabled() && pending.is_multiple_of(GAUGE_EVERY) {
                self.metrics.gauge(
                    names::CONSUMER_LAG_RECORDS,
                    pending as f64,
                    &[
                        (labels::STREAM_NAME, &self.stream_name),
                        (labels::SHARD_ID, &shard_id),
                    ],
                );
            }
        }
    }

    /// Stops reading, checkpoints every record processed so far, and gives the leases up so
    /// another worker can take them at once. Records fetched but not yet processed are read
    /// again by whoever reads the shard next.
    pub async fn close(mut self) {
        self.settle_last();
        if let Some(stop) = self.stop.take() {
            let (done, wait) = oneshot::channel();
            if stop.send(done).is_ok() {
                let _ = wait.await;
            }
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl futures::Stream for Consumer {
    type Item = Result<ConsumedRecord, ClientError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        this.settle_last();
        loop {
            match this.rx.poll_recv(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Item::ShardEnd(shard_id))) => {
                    this.progress
                        .lock()
                        .processed
                        .insert(shard_id, Checkpoint::ShardEnd);
                }
                Poll::Ready(Some(Item::Failed(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Item::Record(record))) => {
                    let queued = this
                        .queued
                        .fetch_sub(1, Ordering::Relaxed)
                        .saturating_sub(1);
                    if this.metrics.enabled() && queued.is_multiple_of(GAUGE_EVERY) {
                        this.metrics.gauge(
                            names::CONSUMER_QUEUE_SIZE,
                            queued as f64,
                            &[(labels::STREAM_NAME, &this.stream_name)],
                        );
                    }
                    let checkpoint = Checkpoint::Sequence {
                        sequence_number: record.sequence_number.clone(),
                        sub_sequence_number: record.sub_sequence_number,
                    };
                    this.last = Some((record.shard_id.clone(), checkpoint, Instant::now()));
                    return Poll::Ready(Some(Ok(record)));
                }
            }
        }
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
