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

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::error::ClientError;
use crate::metrics::{self, MetricsCollector};
use crate::shards::{ShardMap, ShardRange, hash_key, list_shards};

mod batch;
mod queue;
mod retry;
mod sender;

use queue::*;
use retry::*;
use sender::*;

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
