//! The consumer: every shard of a stream as one `futures::Stream` of records.
//!
//! A coordinator task discovers shards, keeps one lease per shard in the [`Checkpointer`]
//! (a private in-memory one unless given), takes the leases it may hold, heartbeats them and
//! writes checkpoints. A reader task per held shard calls GetRecords and feeds a bounded
//! channel that the [`Consumer`] stream drains.
//!
//! Delivery is at least once: a record counts as processed when the stream is polled for the
//! next item after it, and only processed positions are checkpointed. A shard is read only
//! after every parent shard has been read to its end (its checkpoint is `SHARD_END`), so the
//! records of a partition key come out in order across resharding.

use std::collections::{HashMap, HashSet};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::DateTime;
use aws_sdk_kinesis::types::ShardIteratorType;
use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

use crate::checkpoint::{Checkpoint, Checkpointer, Lease, MemoryCheckpointer};
use crate::error::{ClientError, error_type};
use crate::kpl;
use crate::metrics::{self, MetricsCollector, labels, names};

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

/// How the consumer reads, leases and checkpoints.
#[derive(Clone)]
pub struct ConsumerConfig {
    /// Where shards without a checkpoint start.
    pub starting_position: StartingPosition,
    /// Where particular shards without a checkpoint start, by shard id.
    pub shard_positions: HashMap<String, ShardPosition>,
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

/// A shard as listed.
#[derive(Debug, Clone)]
struct ShardInfo {
    parents: Vec<String>,
    closed: bool,
    /// Its hash key range, first and last.
    range: Option<(u128, u128)>,
}

/// A lease this worker holds and the reader working on it.
struct Held {
    counter: u64,
    reader: tokio::task::JoinHandle<()>,
    stop: Arc<AtomicBool>,
}

/// The background task: discovery, leases, checkpoints, readers.
struct Coordinator {
    client: Client,
    stream_name: String,
    config: ConsumerConfig,
    checkpointer: Arc<dyn Checkpointer>,
    metrics: Arc<dyn MetricsCollector>,
    tx: mpsc::Sender<Item>,
    progress: Arc<Mutex<Progress>>,
    queued: Arc<AtomicU64>,
    held: HashMap<String, Held>,
    /// Each lease's counter as last seen and when it last moved, to judge expiry.
    seen: HashMap<String, (u64, Instant)>,
    /// Shards from the last listing; `None` before the first.
    known_shards: Option<HashMap<String, ShardInfo>>,
    /// The checkpoint last written per shard.
    written: HashMap<String, Checkpoint>,
}

impl Coordinator {
    async fn run(mut self, mut stopped: oneshot::Receiver<oneshot::Sender<()>>) {
        let lease_tick = (self.config.lease_duration / 3).max(Duration::from_millis(10));
        let tick = lease_tick
            .min(self.config.checkpoint_interval)
            .max(Duration::from_millis(10));
        let mut last_discovery: Option<Instant> = None;
        let mut last_lease_round = Instant::now() - lease_tick;
        let done = loop {
            let now = Instant::now();
            if last_discovery
                .is_none_or(|t| now.duration_since(t) >= self.config.shard_discovery_interval)
            {
                match self.discover().await {
                    Ok(()) => last_discovery = Some(now),
                    Err(e) => {
                        tracing::warn!(stream = %self.stream_name, error = %e, "listing shards");
                        self.count_error("", &e);
                    }
                }
            }
            self.write_checkpoints().await;
            if now.duration_since(last_lease_round) >= lease_tick {
                last_lease_round = now;
                self.lease_round().await;
            }
            // A shard read to its end makes its children eligible at once.
            let finished = self.reap_finished().await;
            if finished {
                self.write_checkpoints().await;
                self.lease_round().await;
            }
            tokio::select! {
                stop = &mut stopped => break stop.ok(),
                _ = tokio::time::sleep(tick) => {}
            }
        };
        for held in self.held.values() {
            held.stop.store(true, Ordering::Relaxed);
            held.reader.abort();
        }
        self.write_checkpoints().await;
        let held: Vec<(String, u64)> = self.held.drain().map(|(k, h)| (k, h.counter)).collect();
        for (shard_id, counter) in held {
            let _ = self
                .checkpointer
                .release_lease(
                    &self.stream_name,
                    &shard_id,
                    &self.config.worker_id,
                    counter,
                )
                .await;
        }
        if let Some(done) = done {
            let _ = done.send(());
        }
    }

    fn count_error(&self, shard_id: &str, e: &ClientError) {
        if self.metrics.enabled() {
            let code = match e {
                ClientError::Service { message, .. } => message.as_str(),
                _ => "unknown",
            };
            self.metrics.increment(
                names::CONSUMER_ERRORS_TOTAL,
                1,
                &[
                    (labels::STREAM_NAME, &self.stream_name),
                    (labels::SHARD_ID, shard_id),
                    (labels::ERROR_TYPE, code),
                ],
            );
        }
    }

    /// Lists every shard and creates a lease for each one that has none.
    async fn discover(&mut self) -> Result<(), ClientError> {
        let shards = list_all_shards(&self.client, &self.stream_name).await?;
        let first = self.known_shards.is_none();
        let before: HashSet<String> = self
            .known_shards
            .as_ref()
            .map(|k| k.keys().cloned().collect())
            .unwrap_or_default();
        let new_children = shards
            .iter()
            .filter(|(id, info)| !before.contains(*id) && !info.parents.is_empty())
            .count();
        if !first && new_children > 0 && self.metrics.enabled() {
            self.metrics.increment(
                names::STREAM_RESHARDING_EVENTS_TOTAL,
                1,
                &[(labels::STREAM_NAME, &self.stream_name)],
            );
        }
        if self.metrics.enabled() {
            let closed = shards.values().filter(|s| s.closed).count();
            let l = [(labels::STREAM_NAME, self.stream_name.as_str())];
            self.metrics.gauge(
                names::STREAM_SHARDS_ACTIVE,
                (shards.len() - closed) as f64,
                &l,
            );
            self.metrics
                .gauge(names::STREAM_SHARDS_CLOSED, closed as f64, &l);
        }
        for (id, info) in &shards {
            if before.contains(id) {
                continue;
            }
            // Where a new lease starts. Under LATEST only the shards open at the first listing
            // start at the tip; closed ones count as read, and later children from the start.
            let checkpoint = match self.config.starting_position {
                StartingPosition::Latest if first && info.closed => Checkpoint::ShardEnd,
                StartingPosition::Latest if first => Checkpoint::Latest,
                _ => Checkpoint::TrimHorizon,
            };
            let lease = Lease {
                shard_id: id.clone(),
                owner: None,
                counter: 0,
                checkpoint,
                parent_shard_ids: info.parents.clone(),
            };
            self.checkpointer
                .create_lease(&self.stream_name, &lease)
                .await
                .map_err(|e| ClientError::Checkpoint(e.to_string()))?;
        }
        self.known_shards = Some(shards);
        Ok(())
    }

    /// Heartbeats held leases, then takes free or expired ones up to a fair share.
    async fn lease_round(&mut self) {
        let leases = match self.checkpointer.list_leases(&self.stream_name).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(stream = %self.stream_name, error = %e, "listing leases");
                return;
            }
        };
        let now = Instant::now();
        for lease in &leases {
            let entry = self
                .seen
                .entry(lease.shard_id.clone())
                .or_insert((lease.counter, now));
            if entry.0 != lease.counter {
                *entry = (lease.counter, now);
            }
        }
        // Heartbeat what we hold; a lease we cannot renew is gone, and so is its reader.
        let held: Vec<(String, u64)> = self
            .held
            .iter()
            .map(|(k, h)| (k.clone(), h.counter))
            .collect();
        for (shard_id, counter) in held {
            match self
                .checkpointer
                .renew_lease(
                    &self.stream_name,
                    &shard_id,
                    &self.config.worker_id,
                    counter,
                )
                .await
            {
                Ok(Some(counter)) => {
                    if let Some(h) = self.held.get_mut(&shard_id) {
                        h.counter = counter;
                    }
                    self.seen.insert(shard_id, (counter, now));
                }
                Ok(None) => self.lose(&shard_id),
                Err(e) => tracing::warn!(shard = %shard_id, error = %e, "renewing lease"),
            }
        }
        let by_id: HashMap<&str, &Lease> =
            leases.iter().map(|l| (l.shard_id.as_str(), l)).collect();
        let done = |id: &str| -> bool {
            match by_id.get(id) {
                Some(l) => l.checkpoint == Checkpoint::ShardEnd,
                // A parent with no lease is one trimmed away before we started.
                None => true,
            }
        };
        let expired_ids: HashSet<&str> = leases
            .iter()
            .filter(|l| match &l.owner {
                None => true,
                Some(o) if *o == self.config.worker_id => !self.held.contains_key(&l.shard_id),
                Some(_) => self.seen.get(&l.shard_id).is_some_and(|(_, moved)| {
                    now.duration_since(*moved) >= self.config.lease_duration
                }),
            })
            .map(|l| l.shard_id.as_str())
            .collect();
        let expired = |l: &Lease| expired_ids.contains(l.shard_id.as_str());
        let open: Vec<&Lease> = leases
            .iter()
            .filter(|l| l.checkpoint != Checkpoint::ShardEnd)
            .collect();
        let mut workers: HashSet<&str> = open
            .iter()
            .filter(|l| !expired(l))
            .filter_map(|l| l.owner.as_deref())
            .collect();
        workers.insert(&self.config.worker_id);
        let target = open.len().div_ceil(workers.len().max(1));
        let mut candidates: Vec<Lease> = open
            .iter()
            .copied()
            .filter(|l| !self.held.contains_key(&l.shard_id))
            .filter(|l| expired(l))
            .filter(|l| l.parent_shard_ids.iter().all(|p| done(p)))
            .cloned()
            .collect();
        // The busiest other worker's leases, in case we must steal.
        let mut per_owner: HashMap<&str, Vec<&Lease>> = HashMap::new();
        for l in open.iter().copied().filter(|l| !expired(l)) {
            if let Some(o) = l.owner.as_deref()
                && o != self.config.worker_id
            {
                per_owner.entry(o).or_default().push(l);
            }
        }
        let victim: Option<(String, Lease)> = per_owner
            .into_iter()
            .filter(|(_, ls)| ls.len() > target)
            .max_by(|(a, x), (b, y)| x.len().cmp(&y.len()).then(b.cmp(a)))
            .and_then(|(owner, ls)| {
                ls.into_iter()
                    .max_by(|a, b| a.shard_id.cmp(&b.shard_id))
                    .map(|l| (owner.to_string(), l.clone()))
            });
        candidates.sort_by(|a, b| a.shard_id.cmp(&b.shard_id));
        for lease in candidates {
            if self.held.len() >= target {
                break;
            }
            match self
                .checkpointer
                .take_lease(
                    &self.stream_name,
                    &lease.shard_id,
                    lease.counter,
                    &self.config.worker_id,
                )
                .await
            {
                Ok(Some(taken)) => {
                    self.seen
                        .insert(taken.shard_id.clone(), (taken.counter, now));
                    self.start_reader(taken, Duration::ZERO);
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(shard = %lease.shard_id, error = %e, "taking lease"),
            }
        }
        // Still short of a fair share: steal one lease from the busiest worker, as KCL does.
        // Its owner finds out at its next heartbeat and stops reading; we start only after
        // that heartbeat is due, so the shard is never read by both at once.
        if self.held.len() < target
            && let Some((owner, victim)) = victim
        {
            tracing::info!(stream = %self.stream_name, shard = %victim.shard_id, from = %owner, "stealing lease");
            if let Ok(Some(taken)) = self
                .checkpointer
                .take_lease(
                    &self.stream_name,
                    &victim.shard_id,
                    victim.counter,
                    &self.config.worker_id,
                )
                .await
            {
                self.seen
                    .insert(taken.shard_id.clone(), (taken.counter, now));
                self.start_reader(taken, self.config.lease_duration / 2);
            }
        }
    }

    fn lose(&mut self, shard_id: &str) {
        if let Some(h) = self.held.remove(shard_id) {
            tracing::info!(stream = %self.stream_name, shard = %shard_id, "lease lost");
            h.stop.store(true, Ordering::Relaxed);
            h.reader.abort();
        }
        self.written.remove(shard_id);
    }

    fn start_reader(&mut self, lease: Lease, delay: Duration) {
        let stop = Arc::new(AtomicBool::new(false));
        // The stored checkpoint is the truth: another worker may have read further since we
        // last held this shard.
        self.progress.lock().processed.remove(&lease.shard_id);
        let from = lease.checkpoint.clone();
        self.written
            .insert(lease.shard_id.clone(), lease.checkpoint.clone());
        let reader = Reader {
            client: self.client.clone(),
            stream_name: self.stream_name.clone(),
            shard_id: lease.shard_id.clone(),
            config: self.config.clone(),
            metrics: self.metrics.clone(),
            tx: self.tx.clone(),
            progress: self.progress.clone(),
            queued: self.queued.clone(),
            stop: stop.clone(),
            range: self
                .known_shards
                .as_ref()
                .and_then(|k| k.get(&lease.shard_id))
                .and_then(|i| i.range),
        };
        let handle = tokio::spawn(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            reader.run(from).await
        });
        self.held.insert(
            lease.shard_id,
            Held {
                counter: lease.counter,
                reader: handle,
                stop,
            },
        );
    }

    /// Gives up the leases of shards read to their end and processed.
    async fn reap_finished(&mut self) -> bool {
        let finished: Vec<String> = self
            .held
            .iter()
            .filter(|(id, h)| {
                h.reader.is_finished() && self.written.get(*id) == Some(&Checkpoint::ShardEnd)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in &finished {
            if let Some(h) = self.held.remove(id) {
                let _ = self
                    .checkpointer
                    .release_lease(&self.stream_name, id, &self.config.worker_id, h.counter)
                    .await;
            }
        }
        !finished.is_empty()
    }

    /// Writes every processed position that moved since it was last written.
    async fn write_checkpoints(&mut self) {
        let due: Vec<(String, Checkpoint)> = {
            let progress = self.progress.lock();
            progress
                .processed
                .iter()
                .filter(|(id, cp)| self.held.contains_key(*id) && self.written.get(*id) != Some(cp))
                .map(|(id, cp)| (id.clone(), cp.clone()))
                .collect()
        };
        for (shard_id, checkpoint) in due {
            let Some(counter) = self.held.get(&shard_id).map(|h| h.counter) else {
                continue;
            };
            let result = self
                .checkpointer
                .checkpoint(
                    &self.stream_name,
                    &shard_id,
                    &self.config.worker_id,
                    counter,
                    &checkpoint,
                )
                .await;
            let ok = matches!(result, Ok(Some(_)));
            if self.metrics.enabled() {
                let name = if ok {
                    names::CONSUMER_CHECKPOINT_SUCCESS_TOTAL
                } else {
                    names::CONSUMER_CHECKPOINT_FAILURE_TOTAL
                };
                self.metrics.increment(
                    name,
                    1,
                    &[
                        (labels::STREAM_NAME, &self.stream_name),
                        (labels::SHARD_ID, &shard_id),
                    ],
                );
            }
            match result {
                Ok(Some(counter)) => {
                    if let Some(h) = self.held.get_mut(&shard_id) {
                        h.counter = counter;
                    }
                    self.seen
                        .insert(shard_id.clone(), (counter, Instant::now()));
                    self.written.insert(shard_id, checkpoint);
                }
                Ok(None) => self.lose(&shard_id),
                Err(e) => tracing::warn!(shard = %shard_id, error = %e, "checkpointing"),
            }
        }
    }
}

/// Lists every shard of a stream, open and closed, with its parents.
async fn list_all_shards(
    client: &Client,
    stream_name: &str,
) -> Result<HashMap<String, ShardInfo>, ClientError> {
    let mut out: HashMap<String, ShardInfo> = crate::shards::list_shards(client, stream_name)
        .await?
        .into_iter()
        .map(|s| {
            let info = ShardInfo {
                parents: s.parents,
                closed: s.closed,
                range: s.range,
            };
            (s.shard_id, info)
        })
        .collect();
    // A parent that is no longer listed (trimmed) cannot be waited for.
    let ids: HashSet<String> = out.keys().cloned().collect();
    for info in out.values_mut() {
        info.parents.retain(|p| ids.contains(p));
    }
    Ok(out)
}

/// Reads one shard into the channel.
struct Reader {
    client: Client,
    stream_name: String,
    shard_id: String,
    config: ConsumerConfig,
    metrics: Arc<dyn MetricsCollector>,
    tx: mpsc::Sender<Item>,
    progress: Arc<Mutex<Progress>>,
    queued: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    /// The shard's hash key range: de-aggregated records outside it are dropped, as KCL does.
    range: Option<(u128, u128)>,
}

/// Where an iterator is asked for.
#[derive(Debug, Clone)]
enum Position {
    TrimHorizon,
    Latest,
    AtTimestamp(SystemTime),
    /// At this sequence number, the record included.
    AtRecord(String),
    /// After this sequence number; records of its aggregate with a higher sub-sequence number
    /// are still to come, so the aggregate is read again from it and the rest skipped.
    At(String, Option<u64>),
}

impl Reader {
    async fn run(self, from: Checkpoint) {
        let mut position = match from {
            Checkpoint::ShardEnd => {
                let _ = self.tx.send(Item::ShardEnd(self.shard_id.clone())).await;
                return;
            }
            Checkpoint::TrimHorizon | Checkpoint::Latest
                if self.config.shard_positions.contains_key(&self.shard_id) =>
            {
                match self.config.shard_positions.get(&self.shard_id) {
                    Some(ShardPosition::AtSequenceNumber(seq)) => Position::AtRecord(seq.clone()),
                    Some(ShardPosition::AfterSequenceNumber(seq)) => {
                        Position::At(seq.clone(), None)
                    }
                    None => Position::TrimHorizon,
                }
            }
            Checkpoint::TrimHorizon => match self.config.starting_position {
                StartingPosition::AtTimestamp(t) => Position::AtTimestamp(t),
                _ => Position::TrimHorizon,
            },
            Checkpoint::Latest => Position::Latest,
            Checkpoint::Sequence {
                sequence_number,
                sub_sequence_number,
            } => Position::At(sequence_number, Some(sub_sequence_number)),
        };
        let l = [
            (labels::STREAM_NAME, self.stream_name.as_str()),
            (labels::SHARD_ID, self.shard_id.as_str()),
        ];
        let mut iterator: Option<String> = None;
        let mut failures = 0u32;
        let mut last_call: Option<Instant> = None;
        loop {
            if self.stop.load(Ordering::Relaxed) || self.tx.is_closed() {
                return;
            }
            let it = match iterator.take() {
                Some(it) => it,
                None => match self.get_iterator(&position).await {
                    Ok(it) => {
                        failures = 0;
                        it
                    }
                    Err(code) => {
                        self.count_error(&code);
                        if code == "ResourceNotFoundException" {
                            let _ = self
                                .tx
                                .send(Item::Failed(ClientError::Service {
                                    operation: "GetShardIterator",
                                    message: code,
                                }))
                                .await;
                            return;
                        }
                        failures += 1;
                        tokio::time::sleep(retry_delay(failures)).await;
                        continue;
                    }
                },
            };
            if let Some(t) = last_call {
                let since = t.elapsed();
                if since < self.config.min_poll_interval {
                    tokio::time::sleep(self.config.min_poll_interval - since).await;
                }
            }
            last_call = Some(Instant::now());
            let resp = self
                .client
                .get_records()
                .shard_iterator(&it)
                .limit(self.config.records_per_call)
                .send()
                .await;
            let resp = match resp {
                Ok(r) => {
                    failures = 0;
                    r
                }
                Err(e) => {
                    let code = error_type(&e);
                    self.count_error(&code);
                    failures += 1;
                    match code.as_str() {
                        // The iterator is older than five minutes: ask for a new one where we
                        // stopped.
                        "ExpiredIteratorException" => {}
                        "ResourceNotFoundException" => {
                            let _ = self
                                .tx
                                .send(Item::Failed(ClientError::Service {
                                    operation: "GetRecords",
                                    message: code,
                                }))
                                .await;
                            return;
                        }
                        // Throttled or unreachable: the same iterator stays good; wait and retry.
                        _ => {
                            iterator = Some(it);
                            tokio::time::sleep(retry_delay(failures)).await;
                        }
                    }
                    continue;
                }
            };
            let behind = resp.millis_behind_latest().unwrap_or(0);
            if self.metrics.enabled() {
                self.metrics
                    .gauge(names::CONSUMER_ITERATOR_AGE_MILLISECONDS, behind as f64, &l);
            }
            let records = resp.records();
            let mut sent = 0u64;
            let mut bytes = 0u64;
            let mut items: Vec<ConsumedRecord> = Vec::with_capacity(records.len());
            for r in records {
                let seq = r.sequence_number().to_string();
                let arrival = r
                    .approximate_arrival_timestamp()
                    .and_then(|t| SystemTime::try_from(*t).ok());
                let data = Bytes::copy_from_slice(r.data().as_ref());
                let skip_below = match &position {
                    Position::At(s, Some(sub)) if *s == seq => Some(*sub),
                    _ => None,
                };
                if self.config.deaggregate && kpl::is_aggregated(&data) {
                    match kpl::deaggregate(&data) {
                        // An aggregate holding a record outside this shard's hash range is
                        // dropped whole, as KCL does (its producer must send it again).
                        Ok(users) if !users.iter().all(|u| self.owns(u)) => {
                            tracing::warn!(
                                shard = %self.shard_id,
                                sequence = %seq,
                                "dropping a KPL aggregate with records outside the shard's hash range, as KCL does"
                            );
                            continue;
                        }
                        Ok(users) => {
                            for u in users {
                                if skip_below.is_some_and(|s| u.sub_sequence_number <= s) {
                                    continue;
                                }
                                bytes += u.data.len() as u64;
                                items.push(ConsumedRecord {
                                    shard_id: self.shard_id.clone(),
                                    sequence_number: seq.clone(),
                                    sub_sequence_number: u.sub_sequence_number,
                                    partition_key: u.partition_key,
                                    explicit_hash_key: u.explicit_hash_key,
                                    data: u.data,
                                    approximate_arrival_timestamp: arrival,
                                    millis_behind_latest: behind,
                                });
                            }
                            continue;
                        }
                        Err(e) => {
                            tracing::warn!(shard = %self.shard_id, sequence = %seq, error = %e, "bad KPL aggregate, passed on as is");
                        }
                    }
                }
                if skip_below.is_some() {
                    continue;
                }
                bytes += data.len() as u64;
                items.push(ConsumedRecord {
                    shard_id: self.shard_id.clone(),
                    sequence_number: seq,
                    sub_sequence_number: 0,
                    partition_key: r.partition_key().unwrap_or_default().to_string(),
                    explicit_hash_key: None,
                    data,
                    approximate_arrival_timestamp: arrival,
                    millis_behind_latest: behind,
                });
            }
            if let Some(last) = records.last() {
                position = Position::At(last.sequence_number().to_string(), None);
            }
            if !items.is_empty() {
                sent = items.len() as u64;
                *self
                    .progress
                    .lock()
                    .pending
                    .entry(self.shard_id.clone())
                    .or_default() += sent;
                let queued = self.queued.fetch_add(sent, Ordering::Relaxed) + sent;
                if self.metrics.enabled() {
                    self.metrics
                        .increment(names::CONSUMER_RECORDS_RECEIVED_TOTAL, sent, &l);
                    self.metrics
                        .increment(names::CONSUMER_BYTES_RECEIVED_TOTAL, bytes, &l);
                    self.metrics.gauge(
                        names::CONSUMER_QUEUE_SIZE,
                        queued as f64,
                        &[(labels::STREAM_NAME, &self.stream_name)],
                    );
                    let pending = self
                        .progress
                        .lock()
                        .pending
                        .get(&self.shard_id)
                        .copied()
                        .unwrap_or(0);
                    self.metrics
                        .gauge(names::CONSUMER_LAG_RECORDS, pending as f64, &l);
                }
            }
            for item in items {
                if self.tx.send(Item::Record(item)).await.is_err() {
                    return;
                }
            }
            match resp.next_shard_iterator() {
                Some(next) => iterator = Some(next.to_string()),
                None => {
                    let _ = self.tx.send(Item::ShardEnd(self.shard_id.clone())).await;
                    return;
                }
            }
            if sent == 0 && records.is_empty() {
                tokio::time::sleep(self.config.idle_poll_interval).await;
            }
        }
    }

    /// Whether a de-aggregated record's hash key lies in this shard's range.
    fn owns(&self, record: &kpl::DeaggregatedRecord) -> bool {
        let Some((start, end)) = self.range else {
            return true;
        };
        let hash = match &record.explicit_hash_key {
            Some(k) => match k.parse::<u128>() {
                Ok(h) => h,
                Err(_) => return false,
            },
            None => crate::shards::hash_key(&record.partition_key),
        };
        hash >= start && hash <= end
    }

    fn count_error(&self, code: &str) {
        if self.metrics.enabled() {
            self.metrics.increment(
                names::CONSUMER_ERRORS_TOTAL,
                1,
                &[
                    (labels::STREAM_NAME, &self.stream_name),
                    (labels::SHARD_ID, &self.shard_id),
                    (labels::ERROR_TYPE, code),
                ],
            );
        }
    }

    async fn get_iterator(&self, position: &Position) -> Result<String, String> {
        let req = self
            .client
            .get_shard_iterator()
            .stream_name(&self.stream_name)
            .shard_id(&self.shard_id);
        let req = match position {
            Position::TrimHorizon => req.shard_iterator_type(ShardIteratorType::TrimHorizon),
            Position::Latest => req.shard_iterator_type(ShardIteratorType::Latest),
            Position::AtTimestamp(t) => req
                .shard_iterator_type(ShardIteratorType::AtTimestamp)
                .timestamp(DateTime::from(*t)),
            // A checkpoint is read again from its own record, skipping what was processed
            // (the record itself, or the aggregate's user records up to its sub-sequence
            // number), as KCL does; a position we read past resumes after it.
            Position::AtRecord(seq) => req
                .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
                .starting_sequence_number(seq),
            Position::At(seq, Some(_)) => req
                .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
                .starting_sequence_number(seq),
            Position::At(seq, _) => req
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .starting_sequence_number(seq),
        };
        let resp = req.send().await.map_err(|e| error_type(&e))?;
        resp.shard_iterator()
            .map(str::to_string)
            .ok_or_else(|| "MissingShardIterator".to_string())
    }
}

/// Backoff for a reader's retries: exponential from 100 ms to 5 s, with full jitter.
fn retry_delay(failures: u32) -> Duration {
    let ceiling = Duration::from_millis(100)
        .saturating_mul(1 << failures.min(6))
        .min(Duration::from_secs(5));
    let nanos = ceiling.as_nanos() as u64;
    Duration::from_nanos(fastrand::u64(nanos / 2..=nanos.max(1)))
}
