//! The producer: a bounded queue in front of a background task that sends PutRecords batches.
//!
//! How a record travels: [`Producer::put`] waits for room in the queue (backpressure), gives the
//! record an id and hands it to the background task. The task files it under the shard whose
//! hash range holds its hash key and, within the shard, under its partition key. A batch is
//! formed when the oldest waiting record has lingered long enough, when a full batch is waiting,
//! or when [`Producer::flush`] asks; it takes records shard by shard while each shard's write
//! budget ([`crate::shards::ShardMap`]) allows, so one hot shard never holds back the others.
//!
//! Order per partition key: a key has at most one Kinesis record in flight. Without
//! aggregation that is one user record; with KPL aggregation it is one aggregate holding all of
//! the key's waiting records in order. A failed or throttled record goes back to the front of
//! its key's queue and the key waits out an exponential backoff with full jitter, so a later
//! record of the same key can never overtake it.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use bytes::Bytes;
use futures::stream::{FuturesUnordered, StreamExt};
use parking_lot::Mutex;
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::error::{ClientError, error_type};
use crate::kpl;
use crate::metrics::{self, MetricsCollector, labels, names};
use crate::shards::{ShardMap, ShardRange, hash_key, list_shards};

/// Largest data plus partition key of one Kinesis record.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;
/// Most records in one PutRecords call.
pub const MAX_BATCH_RECORDS: usize = 500;
/// Most bytes (data and partition keys) in one PutRecords call.
pub const MAX_BATCH_BYTES: usize = 5 * 1024 * 1024;
/// Longest partition key, in Unicode characters.
pub const MAX_PARTITION_KEY_CHARS: usize = 256;

/// One user record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The partition key: 1 to 256 Unicode characters.
    pub partition_key: String,
    /// A decimal hash key that overrides the partition key's MD5 for routing.
    pub explicit_hash_key: Option<String>,
    /// The payload.
    pub data: Bytes,
}

impl Record {
    /// A record of raw bytes.
    pub fn new(partition_key: impl Into<String>, data: impl Into<Bytes>) -> Record {
        Record {
            partition_key: partition_key.into(),
            explicit_hash_key: None,
            data: data.into(),
        }
    }

    /// A record holding `value` serialized as JSON.
    pub fn json<T: serde::Serialize + ?Sized>(
        partition_key: impl Into<String>,
        value: &T,
    ) -> Result<Record, ClientError> {
        let data = serde_json::to_vec(value).map_err(|e| ClientError::Serialize(e.to_string()))?;
        Ok(Record::new(partition_key, data))
    }

    /// Routes the record by this decimal hash key instead of its partition key.
    pub fn with_explicit_hash_key(mut self, key: impl Into<String>) -> Record {
        self.explicit_hash_key = Some(key.into());
        self
    }

    /// The 128-bit hash key that decides the record's shard.
    fn hash(&self) -> Result<u128, ClientError> {
        match &self.explicit_hash_key {
            Some(k) => k.parse::<u128>().map_err(|_| {
                ClientError::InvalidRecord(format!(
                    "explicit hash key {k:?} is not a decimal number from 0 to 2^128 - 1"
                ))
            }),
            None => Ok(hash_key(&self.partition_key)),
        }
    }

    fn validate(&self) -> Result<(), ClientError> {
        let chars = self.partition_key.chars().count();
        if chars == 0 || chars > MAX_PARTITION_KEY_CHARS {
            return Err(ClientError::InvalidRecord(format!(
                "partition key must be 1 to 256 characters, got {chars}"
            )));
        }
        let size = self.data.len() + self.partition_key.len();
        if size > MAX_RECORD_BYTES {
            return Err(ClientError::InvalidRecord(format!(
                "data and partition key are {size} bytes, over the 1 MiB limit"
            )));
        }
        Ok(())
    }
}

/// How the producer batches, limits and retries.
#[derive(Clone)]
pub struct ProducerConfig {
    /// How long a record may wait for more records to fill its batch.
    pub linger: Duration,
    /// Records accepted but not yet delivered, at most; `put` waits when the queue is full.
    pub max_queued_records: usize,
    /// Records in one PutRecords call, at most (AWS allows 500).
    pub max_batch_records: usize,
    /// Bytes in one PutRecords call, at most (AWS allows 5 MiB).
    pub max_batch_bytes: usize,
    /// PutRecords calls in flight at once.
    pub max_in_flight: usize,
    /// Pack records bound for the same shard into KPL aggregates.
    pub aggregation: bool,
    /// Keep each shard under 1 MiB/s and 1,000 records/s on our side.
    pub shard_rate_limit: bool,
    /// Attempts per record before it is given up and reported by `flush`/`close`.
    pub max_attempts: u32,
    /// First retry delay; doubles per attempt, with full jitter.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
    /// How often the shard map is refreshed even without a sign of resharding.
    pub shard_refresh_interval: Duration,
    /// Where metrics go; the process-wide default when `None`.
    pub metrics: Option<Arc<dyn MetricsCollector>>,
}

impl Default for ProducerConfig {
    fn default() -> ProducerConfig {
        ProducerConfig {
            linger: Duration::from_millis(50),
            max_queued_records: 100_000,
            max_batch_records: MAX_BATCH_RECORDS,
            max_batch_bytes: MAX_BATCH_BYTES,
            max_in_flight: 16,
            aggregation: false,
            shard_rate_limit: true,
            max_attempts: 30,
            backoff_base: Duration::from_millis(50),
            backoff_max: Duration::from_secs(5),
            shard_refresh_interval: Duration::from_secs(60),
            metrics: None,
        }
    }
}

impl std::fmt::Debug for ProducerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProducerConfig")
            .field("linger", &self.linger)
            .field("max_queued_records", &self.max_queued_records)
            .field("max_batch_records", &self.max_batch_records)
            .field("max_batch_bytes", &self.max_batch_bytes)
            .field("max_in_flight", &self.max_in_flight)
            .field("aggregation", &self.aggregation)
            .field("shard_rate_limit", &self.shard_rate_limit)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

/// What a producer did over its life, returned by [`Producer::close`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProducerStats {
    /// User records delivered.
    pub records_sent: u64,
    /// User data bytes delivered.
    pub bytes_sent: u64,
    /// PutRecords calls made.
    pub put_calls: u64,
    /// Kinesis records throttled (and retried).
    pub throttled: u64,
    /// User records given up after `max_attempts`.
    pub undelivered: u64,
}

enum Command {
    Put(u64, Record, u128),
    Flush(u64, oneshot::Sender<Result<(), ClientError>>),
    Close(oneshot::Sender<Result<ProducerStats, ClientError>>),
}

/// Sends records to one stream. Cheap to share behind an `Arc`; every method takes `&self`
/// except [`Producer::close`].
pub struct Producer {
    stream_name: String,
    tx: mpsc::UnboundedSender<Command>,
    room: Arc<Semaphore>,
    next_id: AtomicU64,
    queued: Arc<AtomicU64>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("stream_name", &self.stream_name)
            .finish_non_exhaustive()
    }
}

impl Producer {
    /// A producer for `stream_name` with the default configuration.
    pub async fn new(
        client: Client,
        stream_name: impl Into<String>,
    ) -> Result<Producer, ClientError> {
        Producer::with_config(client, stream_name, ProducerConfig::default()).await
    }

    /// A producer for `stream_name`; reads the stream's open shards before returning.
    pub async fn with_config(
        client: Client,
        stream_name: impl Into<String>,
        config: ProducerConfig,
    ) -> Result<Producer, ClientError> {
        let stream_name = stream_name.into();
        let shards = list_open_shards(&client, &stream_name).await?;
        if shards.is_empty() {
            return Err(ClientError::NoShards(stream_name));
        }
        let metrics = config
            .metrics
            .clone()
            .unwrap_or_else(metrics::metrics_collector);
        let (tx, rx) = mpsc::unbounded_channel();
        let room = Arc::new(Semaphore::new(config.max_queued_records.max(1)));
        let queued = Arc::new(AtomicU64::new(0));
        let sender = Sender {
            client,
            stream_name: stream_name.clone(),
            config,
            metrics,
            room: room.clone(),
            queued: queued.clone(),
            shards: ShardMap::new(shards),
            shard_queues: Vec::new(),
            delayed: Vec::new(),
            outstanding: BTreeSet::new(),
            flushes: Vec::new(),
            stats: ProducerStats::default(),
            last_error: None,
            undelivered_reported: 0,
            first_waiting: None,
            waiting: 0,
            waiting_bytes: 0,
            refresh_due: false,
            misrouted: Vec::new(),
            last_refresh: Instant::now(),
        };
        let task = tokio::spawn(sender.run(rx));
        Ok(Producer {
            stream_name,
            tx,
            room,
            next_id: AtomicU64::new(0),
            queued,
            task: Mutex::new(Some(task)),
        })
    }

    /// The stream this producer writes to.
    pub fn stream_name(&self) -> &str {
        &self.stream_name
    }

    /// Queues `record`, waiting while the queue is full. Returns once the record is accepted;
    /// delivery happens in the background and is confirmed by [`Producer::flush`].
    pub async fn put(&self, record: Record) -> Result<(), ClientError> {
        record.validate()?;
        let hash = record.hash()?;
        let permit = self.room.acquire().await.map_err(|_| ClientError::Closed)?;
        permit.forget();
        self.enqueue(record, hash)
    }

    /// Queues `record` if there is room now.
    pub fn try_put(&self, record: Record) -> Result<(), ClientError> {
        record.validate()?;
        let hash = record.hash()?;
        match self.room.try_acquire() {
            Ok(permit) => permit.forget(),
            Err(tokio::sync::TryAcquireError::NoPermits) => return Err(ClientError::QueueFull),
            Err(tokio::sync::TryAcquireError::Closed) => return Err(ClientError::Closed),
        }
        self.enqueue(record, hash)
    }

    /// Queues `value` as a JSON record.
    pub async fn put_json<T: serde::Serialize + ?Sized>(
        &self,
        partition_key: impl Into<String>,
        value: &T,
    ) -> Result<(), ClientError> {
        self.put(Record::json(partition_key, value)?).await
    }

    fn enqueue(&self, record: Record, hash: u128) -> Result<(), ClientError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        // The queue-size gauge is set by the background task as batches leave and settle,
        // not here: one gauge call per record would be most of the collector's cost.
        self.queued.fetch_add(1, Ordering::Relaxed);
        self.tx
            .send(Command::Put(id, record, hash))
            .map_err(|_| ClientError::Closed)
    }

    /// Sends everything queued so far, without waiting for the linger time, and waits until
    /// each of those records is delivered or given up. Records given up since the last flush
    /// are reported as [`ClientError::Undelivered`].
    pub async fn flush(&self) -> Result<(), ClientError> {
        let upto = self.next_id.load(Ordering::Relaxed);
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Command::Flush(upto, done))
            .map_err(|_| ClientError::Closed)?;
        wait.await.map_err(|_| ClientError::Closed)?
    }

    /// Stops accepting records, delivers everything accepted, and ends the background task.
    pub async fn close(self) -> Result<ProducerStats, ClientError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Command::Close(done))
            .map_err(|_| ClientError::Closed)?;
        self.room.close();
        let result = wait.await.map_err(|_| ClientError::Closed)?;
        let task = self.task.lock().take();
        if let Some(task) = task {
            let _ = task.await;
        }
        result
    }
}

/// Lists the open shards of a stream (those without an ending sequence number).
pub(crate) async fn list_open_shards(
    client: &Client,
    stream_name: &str,
) -> Result<Vec<ShardRange>, ClientError> {
    Ok(list_shards(client, stream_name)
        .await?
        .into_iter()
        .filter(|s| !s.closed)
        .filter_map(|s| {
            let (start, end) = s.range?;
            Some(ShardRange {
                shard_id: s.shard_id,
                start,
                end,
            })
        })
        .collect())
}

/// A user record waiting in the background task.
struct Entry {
    id: u64,
    record: Record,
    hash: u128,
    attempts: u32,
    arrived: Instant,
}

impl Entry {
    fn user_record(&self) -> kpl::UserRecord {
        kpl::UserRecord {
            partition_key: self.record.partition_key.clone(),
            explicit_hash_key: self.record.explicit_hash_key.clone(),
            data: self.record.data.clone(),
        }
    }

    fn size(&self) -> usize {
        self.record.data.len() + self.record.partition_key.len()
    }
}

/// The waiting records of one partition key within a shard.
#[derive(Default)]
struct KeyQueue {
    entries: VecDeque<Entry>,
    /// A record of this key is in flight or waiting out a backoff.
    busy: bool,
}

/// The waiting records of one shard.
#[derive(Default)]
struct ShardQueue {
    keys: HashMap<Arc<str>, KeyQueue>,
    /// Keys with waiting records that are not busy, in the order they became ready.
    ready: VecDeque<Arc<str>>,
}

/// A Kinesis record of a batch and the user records it carries.
struct Outgoing {
    shard: usize,
    shard_id: String,
    /// The partition keys of its user records, each once; all are busy until it settles.
    keys: Vec<Arc<str>>,
    /// The user records, in order; one unless aggregated.
    entries: Vec<Entry>,
    partition_key: String,
    explicit_hash_key: Option<String>,
    data: Bytes,
}

impl Outgoing {
    fn size(&self) -> usize {
        self.data.len() + self.partition_key.len()
    }

    fn user_bytes(&self) -> u64 {
        self.entries
            .iter()
            .map(|e| e.record.data.len() as u64)
            .sum()
    }
}

type CallResult = (Vec<Outgoing>, Duration, PutRecordsResult);

type InFlight = FuturesUnordered<Pin<Box<dyn Future<Output = CallResult> + Send>>>;

/// The background task's state.
struct Sender {
    client: Client,
    stream_name: String,
    config: ProducerConfig,
    metrics: Arc<dyn MetricsCollector>,
    room: Arc<Semaphore>,
    queued: Arc<AtomicU64>,
    shards: ShardMap,
    shard_queues: Vec<ShardQueue>,
    /// Keys waiting out a backoff: (when, shard index, key).
    delayed: Vec<(Instant, usize, Arc<str>)>,
    /// Ids accepted and not yet delivered or given up.
    outstanding: BTreeSet<u64>,
    flushes: Vec<(u64, oneshot::Sender<Result<(), ClientError>>)>,
    stats: ProducerStats,
    last_error: Option<String>,
    undelivered_reported: u64,
    /// When the oldest record waiting for a batch arrived.
    first_waiting: Option<Instant>,
    waiting: usize,
    waiting_bytes: usize,
    refresh_due: bool,
    /// Aggregates that reached a shard other than the one they were packed for, with that
    /// shard's id; settled at the next shard refresh.
    misrouted: Vec<(Outgoing, String)>,
    last_refresh: Instant,
}

impl Sender {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Command>) {
        self.shard_queues = (0..self.shards.len())
            .map(|_| ShardQueue::default())
            .collect();
        let mut in_flight: InFlight = FuturesUnordered::new();
        let mut closing: Option<oneshot::Sender<Result<ProducerStats, ClientError>>> = None;
        let mut receiving = true;
        loop {
            if self.refresh_due && in_flight.is_empty() {
                self.refresh_shards().await;
            }
            let now = Instant::now();
            self.wake_delayed(now);
            let urgent = !self.flushes.is_empty() || closing.is_some() || !receiving;
            // While a refresh is due no batch leaves, so the in-flight calls drain and the
            // refresh runs against a quiet queue.
            while !self.refresh_due
                && in_flight.len() < self.config.max_in_flight
                && self.should_send(now, urgent)
            {
                let batch = self.form_batch(now);
                if batch.is_empty() {
                    break;
                }
                self.update_queue_gauge();
                in_flight.push(Box::pin(put_records(
                    self.client.clone(),
                    self.stream_name.clone(),
                    batch,
                )));
            }
            self.answer_flushes();
            if self.outstanding.is_empty()
                && in_flight.is_empty()
                && (closing.is_some() || !receiving)
            {
                break;
            }
            let wake = self.next_wake(now, urgent);
            tokio::select! {
                command = rx.recv(), if receiving => match command {
                    Some(Command::Put(id, record, hash)) => self.accept(id, record, hash, now),
                    Some(Command::Flush(upto, done)) => self.flushes.push((upto, done)),
                    Some(Command::Close(done)) => {
                        closing = Some(done);
                        receiving = false;
                        // Records sent before the close command are already in the channel's
                        // order ahead of it; nothing can follow it.
                    }
                    None => receiving = false,
                },
                Some((batch, took, result)) = in_flight.next(), if !in_flight.is_empty() => {
                    self.settle(batch, took, result);
                }
                _ = tokio::time::sleep_until(wake.into()) => {}
            }
        }
        self.answer_flushes();
        let mut result = Ok(self.stats.clone());
        if self.stats.undelivered > self.undelivered_reported {
            result = Err(ClientError::Undelivered {
                count: self.stats.undelivered - self.undelivered_reported,
                last_error: self.last_error.clone().unwrap_or_default(),
            });
        }
        if let Some(done) = closing {
            let _ = done.send(result);
        }
    }

    fn labels(&self) -> [(&'static str, &str); 1] {
        [(labels::STREAM_NAME, self.stream_name.as_str())]
    }

    fn accept(&mut self, id: u64, record: Record, hash: u128, now: Instant) {
        self.outstanding.insert(id);
        let entry = Entry {
            id,
            record,
            hash,
            attempts: 0,
            arrived: now,
        };
        let shard = self.shards.route(hash).unwrap_or(0);
        self.waiting += 1;
        self.waiting_bytes += entry.size();
        if self.first_waiting.is_none() {
            self.first_waiting = Some(now);
        }
        self.push_back(shard, entry);
    }

    fn push_back(&mut self, shard: usize, entry: Entry) {
        let Some(queue) = self.shard_queues.get_mut(shard) else {
            return;
        };
        let existing = queue
            .keys
            .get_key_value(entry.record.partition_key.as_str())
            .map(|(k, _)| k.clone());
        let key = existing.unwrap_or_else(|| Arc::from(entry.record.partition_key.as_str()));
        let kq = queue.keys.entry(key.clone()).or_default();
        let was_idle = kq.entries.is_empty() && !kq.busy;
        kq.entries.push_back(entry);
        if was_idle {
            queue.ready.push_back(key);
        }
    }

    /// Whether a batch should go out now.
    fn should_send(&self, now: Instant, urgent: bool) -> bool {
        if self.waiting == 0 {
            return false;
        }
        urgent
            || self.waiting >= self.config.max_batch_records
            || self.waiting_bytes >= self.config.max_batch_bytes
            || self
                .first_waiting
                .is_some_and(|t| now.duration_since(t) >= self.config.linger)
    }

    fn next_wake(&self, now: Instant, urgent: bool) -> Instant {
        // Records that are due but could not go (no budget, or their key busy) are looked at
        // again once budgets have refilled a little.
        let retry_soon = now + self.shards.next_refill();
        let mut wake = now + Duration::from_secs(3600);
        if let Some(t) = self.first_waiting {
            let due = t + self.config.linger;
            wake = wake.min(if due > now { due } else { retry_soon });
        }
        if self.waiting > 0 && urgent {
            wake = wake.min(retry_soon);
        }
        for (t, _, _) in &self.delayed {
            wake = wake.min(*t);
        }
        if !self.refresh_due {
            wake = wake.min(self.last_refresh + self.config.shard_refresh_interval);
        }
        wake.max(now + Duration::from_millis(1))
    }

    fn wake_delayed(&mut self, now: Instant) {
        if now >= self.last_refresh + self.config.shard_refresh_interval {
            self.refresh_due = true;
        }
        let mut i = 0;
        while i < self.delayed.len() {
            if self.delayed[i].0 <= now {
                let (_, shard, key) = self.delayed.swap_remove(i);
                self.release_key(shard, key);
            } else {
                i += 1;
            }
        }
    }

    /// Marks a key no longer busy and makes it ready if it has waiting records.
    fn release_key(&mut self, shard: usize, key: Arc<str>) {
        let Some(queue) = self.shard_queues.get_mut(shard) else {
            return;
        };
        match queue.keys.get_mut(&key) {
            Some(kq) if kq.entries.is_empty() => {
                queue.keys.remove(&key);
            }
            Some(kq) => {
                kq.busy = false;
                if let Some(head) = kq.entries.front() {
                    let arrived = head.arrived;
                    self.first_waiting =
                        Some(self.first_waiting.map_or(arrived, |t| t.min(arrived)));
                }
                queue.ready.push_back(key);
            }
            None => {}
        }
    }

    /// Takes records shard by shard into one PutRecords batch.
    fn form_batch(&mut self, now: Instant) -> Vec<Outgoing> {
        let mut batch: Vec<Outgoing> = Vec::new();
        let mut batch_bytes = 0usize;
        let max_records = self.config.max_batch_records.clamp(1, MAX_BATCH_RECORDS);
        let max_bytes = self.config.max_batch_bytes.clamp(1, MAX_BATCH_BYTES);
        let shard_count = self.shard_queues.len();
        // Start at a rotating shard so no shard is always last.
        let start = (now.elapsed().as_nanos() as usize).wrapping_add(self.stats.put_calls as usize)
            % shard_count.max(1);
        'shards: for step in 0..shard_count {
            let shard = (start + step) % shard_count;
            loop {
                if batch.len() >= max_records || batch_bytes >= max_bytes {
                    break 'shards;
                }
                let Some(out) = self.take_from_shard(shard, max_bytes - batch_bytes, now) else {
                    continue 'shards;
                };
                batch_bytes += out.size();
                batch.push(out);
            }
        }
        let taken: usize = batch.iter().map(|o| o.entries.len()).sum();
        let taken_bytes: usize = batch.iter().flat_map(|o| &o.entries).map(Entry::size).sum();
        self.waiting -= taken.min(self.waiting);
        self.waiting_bytes -= taken_bytes.min(self.waiting_bytes);
        // The oldest record still ready decides when the next batch is due.
        self.first_waiting = self
            .shard_queues
            .iter()
            .filter_map(|q| {
                let key = q.ready.front()?;
                Some(q.keys.get(key)?.entries.front()?.arrived)
            })
            .min();
        batch
    }

    /// The next Kinesis record from a shard's ready keys, if its budget allows one that fits
    /// in `room` bytes.
    fn take_from_shard(&mut self, shard: usize, room: usize, now: Instant) -> Option<Outgoing> {
        let shard_id = self
            .shards
            .shard(shard)
            .map(|s| s.shard_id.clone())
            .unwrap_or_default();
        if self.config.aggregation {
            self.take_aggregate(shard, shard_id, room, now)
        } else {
            self.take_plain(shard, shard_id, room, now)
        }
    }

    /// The first record of the first ready key of a shard, as one Kinesis record.
    fn take_plain(
        &mut self,
        shard: usize,
        shard_id: String,
        room: usize,
        now: Instant,
    ) -> Option<Outgoing> {
        let queue = self.shard_queues.get_mut(shard)?;
        let key = queue.ready.front()?.clone();
        let kq = queue.keys.get_mut(&key)?;
        let size = kq.entries.front()?.size();
        if size > room {
            return None;
        }
        if self.config.shard_rate_limit && !self.shards.try_take(shard, size, now) {
            return None;
        }
        queue.ready.pop_front();
        let entry = kq.entries.pop_front()?;
        kq.busy = true;
        Some(Outgoing {
            shard,
            shard_id,
            keys: vec![key],
            partition_key: entry.record.partition_key.clone(),
            explicit_hash_key: entry.record.explicit_hash_key.clone(),
            data: entry.record.data.clone(),
            entries: vec![entry],
        })
    }

    /// Packs ready keys of one shard into a KPL aggregate, in the order the keys became ready
    /// and each key's records in order. A key whose records do not all fit stays busy with the
    /// rest waiting, so its next aggregate leaves only after this one is settled.
    fn take_aggregate(
        &mut self,
        shard: usize,
        shard_id: String,
        room: usize,
        now: Instant,
    ) -> Option<Outgoing> {
        let mut limit = room.min(MAX_RECORD_BYTES);
        if self.config.shard_rate_limit {
            let (bytes, records) = self.shards.available(shard, now);
            if records < 1.0 {
                return None;
            }
            limit = limit.min(bytes as usize);
        }
        let queue = self.shard_queues.get_mut(shard)?;
        let mut agg = kpl::Aggregator::new();
        let mut entries: Vec<Entry> = Vec::new();
        let mut keys: Vec<Arc<str>> = Vec::new();
        // The aggregate's own partition key is its first record's.
        let mut outer_key_len: Option<usize> = None;
        while let Some(key) = queue.ready.front().cloned() {
            let Some(kq) = queue.keys.get_mut(&key) else {
                queue.ready.pop_front();
                continue;
            };
            let mut took = 0;
            while let Some(e) = kq.entries.front() {
                let rec = e.user_record();
                let outer = outer_key_len.unwrap_or(rec.partition_key.len());
                if agg.size_with(&rec) + outer > limit {
                    break;
                }
                outer_key_len = Some(outer);
                agg.push(rec);
                if let Some(e) = kq.entries.pop_front() {
                    entries.push(e);
                }
                took += 1;
            }
            if took == 0 {
                break;
            }
            queue.ready.pop_front();
            kq.busy = true;
            let full = !kq.entries.is_empty();
            keys.push(key);
            if full {
                break;
            }
        }
        if entries.is_empty() {
            // Nothing fits an aggregate: the first record alone is too big to be wrapped (or
            // the shard's budget is short). Send it plain if the budget allows.
            let queue = self.shard_queues.get_mut(shard)?;
            let key = queue.ready.front()?.clone();
            let size = queue.keys.get(&key)?.entries.front()?.size();
            if size > room || size <= limit.saturating_sub(64) {
                return None;
            }
            return self.take_plain(shard, shard_id, room, now);
        }
        let out = agg.finish()?;
        if self.config.shard_rate_limit {
            self.shards
                .take(shard, out.data.len() + out.partition_key.len(), now);
        }
        Some(Outgoing {
            shard,
            shard_id,
            keys,
            entries,
            partition_key: out.partition_key,
            explicit_hash_key: out.explicit_hash_key,
            data: out.data,
        })
    }

    fn settle(&mut self, batch: Vec<Outgoing>, took: Duration, result: PutRecordsResult) {
        self.stats.put_calls += 1;
        let user_records: usize = batch.iter().map(|o| o.entries.len()).sum();
        let enabled = self.metrics.enabled();
        if enabled {
            let l = self.labels();
            self.metrics
                .timer(names::PRODUCER_FLUSH_DURATION_SECONDS, took, &l);
            self.metrics
                .histogram(names::PRODUCER_BATCH_SIZE, user_records as f64, &l);
        }
        match result {
            Ok(output) => {
                let results = output.records();
                let mut sent = 0u64;
                let mut sent_bytes = 0u64;
                let mut errors: HashMap<String, u64> = HashMap::new();
                let mut throttled = 0u64;
                for (i, out) in batch.into_iter().enumerate() {
                    let r = results.get(i);
                    match r.and_then(|r| r.error_code()) {
                        None if r.is_some() => {
                            if let Some(actual) = r.and_then(|r| r.shard_id())
                                && actual != out.shard_id
                            {
                                // The stream was resharded under us: routing must follow the
                                // new hash ranges, and an aggregate's records are delivered
                                // only if they belong to the shard it reached.
                                self.refresh_due = true;
                                if self.config.aggregation && out.entries.len() > 1 {
                                    self.misrouted.push((out, actual.to_string()));
                                    continue;
                                }
                            }
                            sent += out.entries.len() as u64;
                            sent_bytes += out.user_bytes();
                            self.delivered(out);
                        }
                        code => {
                            let code = code.unwrap_or("MissingResult").to_string();
                            let n = out.entries.len() as u64;
                            if code == "ProvisionedThroughputExceededException" {
                                throttled += n;
                                self.stats.throttled += 1;
                                self.shards.throttled(&out.shard_id, Instant::now());
                            }
                            *errors.entry(code.clone()).or_default() += n;
                            self.retry(out, &code);
                        }
                    }
                }
                self.stats.records_sent += sent;
                self.stats.bytes_sent += sent_bytes;
                if enabled {
                    let l = self.labels();
                    if sent > 0 {
                        self.metrics
                            .increment(names::PRODUCER_RECORDS_SENT_TOTAL, sent, &l);
                        self.metrics
                            .increment(names::PRODUCER_BYTES_SENT_TOTAL, sent_bytes, &l);
                    }
                    if throttled > 0 {
                        self.metrics
                            .increment(names::PRODUCER_THROTTLES_TOTAL, throttled, &l);
                    }
                    for (code, n) in &errors {
                        self.metrics.increment(
                            names::PRODUCER_ERRORS_TOTAL,
                            *n,
                            &[
                                (labels::STREAM_NAME, &self.stream_name),
                                (labels::ERROR_TYPE, code),
                            ],
                        );
                    }
                }
            }
            Err(err) => {
                let code = error_type(&err);
                let retryable = is_retryable(&code);
                let throttled = code.contains("Throughput")
                    || code.contains("Throttl")
                    || code == "LimitExceededException";
                if throttled && enabled {
                    self.metrics.increment(
                        names::PRODUCER_THROTTLES_TOTAL,
                        user_records as u64,
                        &self.labels(),
                    );
                }
                if enabled {
                    self.metrics.increment(
                        names::PRODUCER_ERRORS_TOTAL,
                        user_records as u64,
                        &[
                            (labels::STREAM_NAME, &self.stream_name),
                            (labels::ERROR_TYPE, &code),
                        ],
                    );
                }
                if code == "ResourceNotFoundException" {
                    self.refresh_due = true;
                }
                for out in batch {
                    if retryable {
                        self.retry(out, &code);
                    } else {
                        self.give_up(out, &code);
                    }
                }
            }
        }
        self.update_queue_gauge();
    }

    fn update_queue_gauge(&self) {
        if self.metrics.enabled() {
            let q = self.queued.load(Ordering::Relaxed);
            self.metrics
                .gauge(names::PRODUCER_QUEUE_SIZE, q as f64, &self.labels());
        }
    }

    fn finished(&mut self, out: &Outgoing) {
        let n = out.entries.len();
        for e in &out.entries {
            self.outstanding.remove(&e.id);
        }
        self.queued.fetch_sub(n as u64, Ordering::Relaxed);
        self.room.add_permits(n);
    }

    fn delivered(&mut self, out: Outgoing) {
        self.finished(&out);
        self.release_keys_of(&out);
    }

    fn release_keys_of(&mut self, out: &Outgoing) {
        for key in &out.keys {
            self.release_key(out.shard, key.clone());
        }
    }

    fn give_up(&mut self, out: Outgoing, code: &str) {
        tracing::warn!(stream = %self.stream_name, records = out.entries.len(), code, "giving up on records");
        self.stats.undelivered += out.entries.len() as u64;
        self.last_error = Some(code.to_string());
        self.finished(&out);
        self.release_keys_of(&out);
    }

    /// Puts a failed Kinesis record's user records back at the front of their keys' queues and
    /// holds the keys for a backoff.
    fn retry(&mut self, out: Outgoing, code: &str) {
        self.last_error = Some(code.to_string());
        let attempts = out.entries.iter().map(|e| e.attempts).max().unwrap_or(0) + 1;
        if attempts >= self.config.max_attempts {
            self.give_up(out, code);
            return;
        }
        let shard = out.shard;
        let backoff = backoff(self.config.backoff_base, self.config.backoff_max, attempts);
        let until = Instant::now() + backoff;
        let mut keys: Vec<Arc<str>> = Vec::new();
        let Some(queue) = self.shard_queues.get_mut(shard) else {
            return;
        };
        self.waiting += out.entries.len();
        self.waiting_bytes += out.entries.iter().map(Entry::size).sum::<usize>();
        for mut e in out.entries.into_iter().rev() {
            e.attempts = attempts;
            let key: Arc<str> = match queue.keys.get_key_value(e.record.partition_key.as_str()) {
                Some((k, _)) => k.clone(),
                None => {
                    let k: Arc<str> = Arc::from(e.record.partition_key.as_str());
                    queue.keys.insert(
                        k.clone(),
                        KeyQueue {
                            entries: VecDeque::new(),
                            busy: true,
                        },
                    );
                    k
                }
            };
            if let Some(kq) = queue.keys.get_mut(&key) {
                kq.busy = true;
                kq.entries.push_front(e);
            }
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        for key in keys {
            self.delayed.push((until, shard, key));
        }
    }

    fn answer_flushes(&mut self) {
        if self.flushes.is_empty() {
            return;
        }
        let lowest = self.outstanding.first().copied().unwrap_or(u64::MAX);
        let mut i = 0;
        while i < self.flushes.len() {
            if lowest >= self.flushes[i].0 {
                let (_, done) = self.flushes.swap_remove(i);
                let result = if self.stats.undelivered > self.undelivered_reported {
                    let count = self.stats.undelivered - self.undelivered_reported;
                    self.undelivered_reported = self.stats.undelivered;
                    Err(ClientError::Undelivered {
                        count,
                        last_error: self.last_error.clone().unwrap_or_default(),
                    })
                } else {
                    Ok(())
                };
                let _ = done.send(result);
            } else {
                i += 1;
            }
        }
    }

    /// Reads the open shards again and re-files every waiting record under its new shard.
    ///
    /// Aggregates that landed on a shard other than the one they were packed for (the stream
    /// was resharded meanwhile) are settled here: one whose records all lie in that shard's
    /// hash range is delivered; any other is sent again record by record, since KCL (and our
    /// consumer) drops a whole aggregate holding a record outside the shard it was read from.
    async fn refresh_shards(&mut self) {
        self.refresh_due = false;
        self.last_refresh = Instant::now();
        let listed = list_open_shards(&self.client, &self.stream_name).await;
        let shards = match listed {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(stream = %self.stream_name, error = %e, "refreshing shards");
                Vec::new()
            }
        };
        let misrouted = std::mem::take(&mut self.misrouted);
        let same = shards.is_empty()
            || (shards.len() == self.shards.len()
                && shards.iter().all(|s| {
                    (0..self.shards.len()).any(|i| {
                        self.shards
                            .shard(i)
                            .is_some_and(|o| o.shard_id == s.shard_id)
                    })
                }));
        let mut resend: Vec<Entry> = Vec::new();
        let mut sent = 0u64;
        let mut sent_bytes = 0u64;
        for (mut out, actual) in misrouted {
            let range = shards
                .iter()
                .find(|s| s.shard_id == actual)
                .map(|s| (s.start, s.end));
            if let Some((start, end)) = range {
                // KCL drops a whole aggregate when any of its records lies outside the
                // shard's range, so then every record of it is sent again.
                let foreign = out
                    .entries
                    .iter()
                    .filter(|e| e.hash < start || e.hash > end)
                    .count();
                if foreign > 0 {
                    tracing::info!(
                        stream = %self.stream_name,
                        shard = %actual,
                        foreign,
                        resent = out.entries.len(),
                        "aggregate landed on a new shard after resharding"
                    );
                    resend.append(&mut out.entries);
                }
            }
            sent += out.entries.len() as u64;
            sent_bytes += out.user_bytes();
            self.finished(&out);
            if same {
                self.release_keys_of(&out);
            }
        }
        self.stats.records_sent += sent;
        self.stats.bytes_sent += sent_bytes;
        if sent > 0 && self.metrics.enabled() {
            let l = self.labels();
            self.metrics
                .increment(names::PRODUCER_RECORDS_SENT_TOTAL, sent, &l);
            self.metrics
                .increment(names::PRODUCER_BYTES_SENT_TOTAL, sent_bytes, &l);
        }
        if same {
            for e in resend.into_iter().rev() {
                let shard = self.shards.route(e.hash).unwrap_or(0);
                self.waiting += 1;
                self.waiting_bytes += e.size();
                self.push_front(shard, e);
            }
            self.first_waiting = Some(self.first_waiting.unwrap_or(self.last_refresh));
            return;
        }
        let old = std::mem::take(&mut self.shard_queues);
        let old_delayed = std::mem::take(&mut self.delayed);
        self.shards = ShardMap::new(shards);
        self.shard_queues = (0..self.shards.len())
            .map(|_| ShardQueue::default())
            .collect();
        // Re-file in id order per key; keys that were waiting out a backoff keep waiting.
        self.waiting += resend.len();
        self.waiting_bytes += resend.iter().map(Entry::size).sum::<usize>();
        let mut entries: Vec<Entry> = old
            .into_iter()
            .flat_map(|q| q.keys.into_values().flat_map(|kq| kq.entries))
            .chain(resend)
            .collect();
        entries.sort_by_key(|e| e.id);
        for e in entries {
            let shard = self.shards.route(e.hash).unwrap_or(0);
            self.push_back(shard, e);
        }
        for (until, _, key) in old_delayed {
            let Some(shard) = self
                .shard_queues
                .iter()
                .position(|q| q.keys.contains_key(&*key))
            else {
                continue;
            };
            if let Some(queue) = self.shard_queues.get_mut(shard)
                && let Some(kq) = queue.keys.get_mut(&*key)
            {
                kq.busy = true;
                queue.ready.retain(|k| *k != key);
                let key = queue.keys.get_key_value(&*key).map(|(k, _)| k.clone());
                if let Some(key) = key {
                    self.delayed.push((until, shard, key));
                }
            }
        }
        self.first_waiting = Some(self.first_waiting.unwrap_or(self.last_refresh));
    }

    /// Puts a record back at the front of its key's queue.
    fn push_front(&mut self, shard: usize, entry: Entry) {
        let Some(queue) = self.shard_queues.get_mut(shard) else {
            return;
        };
        let existing = queue
            .keys
            .get_key_value(entry.record.partition_key.as_str())
            .map(|(k, _)| k.clone());
        let key = existing.unwrap_or_else(|| Arc::from(entry.record.partition_key.as_str()));
        let kq = queue.keys.entry(key.clone()).or_default();
        let was_idle = kq.entries.is_empty() && !kq.busy;
        kq.entries.push_front(entry);
        if was_idle {
            queue.ready.push_back(key);
        }
    }
}

type PutRecordsResult = Result<
    aws_sdk_kinesis::operation::put_records::PutRecordsOutput,
    aws_sdk_kinesis::error::SdkError<aws_sdk_kinesis::operation::put_records::PutRecordsError>,
>;

async fn put_records(client: Client, stream_name: String, batch: Vec<Outgoing>) -> CallResult {
    let entries: Vec<PutRecordsRequestEntry> = batch
        .iter()
        .filter_map(|o| {
            PutRecordsRequestEntry::builder()
                .partition_key(o.partition_key.clone())
                .set_explicit_hash_key(o.explicit_hash_key.clone())
                .data(Blob::new(o.data.to_vec()))
                .build()
                .ok()
        })
        .collect();
    let started = Instant::now();
    let result = client
        .put_records()
        .stream_name(stream_name)
        .set_records(Some(entries))
        .send()
        .await;
    (batch, started.elapsed(), result)
}

/// Whether a failed call is worth retrying.
fn is_retryable(code: &str) -> bool {
    !matches!(
        code,
        "ResourceNotFoundException"
            | "InvalidArgumentException"
            | "ValidationException"
            | "AccessDeniedException"
            | "KMSDisabledException"
            | "KMSInvalidStateException"
            | "KMSNotFoundException"
            | "KMSAccessDeniedException"
            | "KMSOptInRequired"
            | "UnrecognizedClientException"
    )
}

/// Exponential backoff with full jitter: a uniform delay in [0, min(max, base * 2^attempt)].
fn backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let ceiling = base.saturating_mul(1u32 << attempt.min(20)).min(max);
    let nanos = ceiling.as_nanos().min(u64::MAX as u128) as u64;
    Duration::from_nanos(fastrand::u64(0..=nanos.max(1)))
}
