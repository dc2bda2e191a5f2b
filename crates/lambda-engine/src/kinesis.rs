//! Kinesis as the event source mappings read it: the [`KinesisReader`] the server plugs in
//! (its own Kinesis API, in process, so the reads count in the stream's `GetRecords.*`
//! metrics as Lambda's do on AWS), as SQS mappings read through
//! [`crate::destinations::Queues`].

use bytes::Bytes;

/// The reads a Kinesis event source mapping makes: its shards, an iterator per shard, and
/// records from it.
pub trait KinesisReader: Send + Sync {
    /// The stream's shards as ListShards lists them without a filter, with their parents.
    fn list_shards(&self, stream: &str) -> Result<Vec<ShardSummary>, ReadError>;

    /// A shard iterator (GetShardIterator); `None` when the shard is closed and has nothing
    /// after `start`.
    fn shard_iterator(
        &self,
        stream: &str,
        shard_id: &str,
        start: &IteratorStart,
    ) -> Result<Option<String>, ReadError>;

    /// Up to `limit` records from `iterator` (GetRecords).
    fn get_records(&self, iterator: &str, limit: usize) -> Result<RecordBatch, ReadError>;

    /// A subscription of the stream consumer `consumer_arn` to `shard_id` from `start`
    /// (SubscribeToShard), for a mapping whose source is a consumer ARN: its reads use the
    /// consumer's own throughput and count in its `SubscribeToShardEvent.*` metrics, not in
    /// the stream's `GetRecords.*`. A reader that serves no consumers refuses.
    fn subscribe(
        &self,
        consumer_arn: &str,
        shard_id: &str,
        start: &IteratorStart,
    ) -> Result<Box<dyn ConsumerSubscription>, ReadError> {
        let _ = (shard_id, start);
        Err(ReadError::Failed(format!(
            "this Kinesis reader serves no stream consumers ({consumer_arn})"
        )))
    }
}

/// A stream consumer's subscription to one shard, as a mapping reads it.
pub trait ConsumerSubscription: Send {
    /// What the shard holds after the last read, now (possibly no records). The batch's
    /// `next_iterator` is `None` once a closed shard has been read to its end. `Ok(None)`
    /// when the subscription is over (its five minutes, or taken over) and must be renewed.
    fn next(&mut self) -> Result<Option<RecordBatch>, ReadError>;
}

/// A shard as a mapping needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardSummary {
    /// `shardId-000000000000`.
    pub shard_id: String,
    /// The shard it was split from, or the two it was merged from.
    pub parents: Vec<String>,
}

/// Where a shard iterator starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IteratorStart {
    /// Just after the record with this sequence number (a checkpoint).
    AfterSequence(String),
    /// At the oldest record kept.
    TrimHorizon,
    /// Just after the newest record.
    Latest,
    /// At the first record that arrived at or after this time, epoch milliseconds.
    AtTimestamp(i64),
}

/// What one GetRecords returned.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordBatch {
    /// The records, in order.
    pub records: Vec<StreamRecord>,
    /// Where to read next; `None` once a closed shard has been read to its end.
    pub next_iterator: Option<String>,
}

/// One record.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamRecord {
    /// Its sequence number.
    pub sequence_number: String,
    /// Its partition key.
    pub partition_key: String,
    /// Its data.
    pub data: Bytes,
    /// When it arrived, epoch milliseconds (`ApproximateArrivalTimestamp`).
    pub arrival_ms: u64,
}

/// Why a read failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The shard's read limit was exceeded (`ProvisionedThroughputExceededException`): the
    /// poller waits and reads again with the same iterator.
    #[error("read throttled: {0}")]
    Throttled(String),
    /// The iterator is older than five minutes (`ExpiredIteratorException`): the poller gets
    /// a new one after its checkpoint.
    #[error("iterator expired: {0}")]
    ExpiredIterator(String),
    /// Any other failure (a missing stream or shard, a stream being changed): retried later.
    #[error("{0}")]
    Failed(String),
}
