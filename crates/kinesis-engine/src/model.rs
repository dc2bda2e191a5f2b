//! The engine's public data types: what callers pass in and get back.

use crate::hash::HashRange;
use crate::shard::Record;

/// A stream's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StreamStatus {
    /// Being created; not yet readable or writable.
    Creating,
    /// Being deleted; still readable and writable until gone.
    Deleting,
    /// Ready.
    Active,
    /// A reshard, retention or encryption change is in progress; reads and writes continue.
    Updating,
}

impl StreamStatus {
    /// The AWS spelling: `CREATING`, `DELETING`, `ACTIVE`, `UPDATING`.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamStatus::Creating => "CREATING",
            StreamStatus::Deleting => "DELETING",
            StreamStatus::Active => "ACTIVE",
            StreamStatus::Updating => "UPDATING",
        }
    }
}

/// A stream's capacity mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StreamMode {
    /// A fixed number of shards set by the owner.
    Provisioned,
    /// Capacity managed by the service; starts at four shards.
    OnDemand,
}

impl StreamMode {
    /// The AWS spelling: `PROVISIONED` or `ON_DEMAND`.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamMode::Provisioned => "PROVISIONED",
            StreamMode::OnDemand => "ON_DEMAND",
        }
    }

    /// Parses the AWS spelling.
    pub fn parse(s: &str) -> Option<StreamMode> {
        match s {
            "PROVISIONED" => Some(StreamMode::Provisioned),
            "ON_DEMAND" => Some(StreamMode::OnDemand),
            _ => None,
        }
    }
}

/// A shard as DescribeStream and ListShards show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardInfo {
    /// `shardId-000000000000`.
    pub shard_id: String,
    /// The shard this one was split from, or one of the two it was merged from.
    pub parent_shard_id: Option<String>,
    /// The other shard of a merge.
    pub adjacent_parent_shard_id: Option<String>,
    /// The hash keys the shard owns.
    pub hash_range: HashRange,
    /// The sequence number of the shard's first possible record.
    pub starting_sequence_number: String,
    /// Set once the shard is closed: the sequence number of its last record.
    pub ending_sequence_number: Option<String>,
    /// Creation time, epoch milliseconds (for ShardFilter by timestamp).
    pub created_ms: u64,
    /// Arrival time of the oldest retained record, if any (for ShardFilter AT_TRIM_HORIZON).
    pub oldest_record_ms: Option<u64>,
    /// When the shard was closed, if it was (epoch ms).
    pub closed_ms: Option<u64>,
}

/// A registered enhanced fan-out consumer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConsumerInfo {
    /// The consumer's name.
    pub name: String,
    /// Its ARN: `<stream arn>/consumer/<name>:<creation epoch seconds>`.
    pub arn: String,
    /// `CREATING`, `ACTIVE` or `DELETING`.
    pub status: String,
    /// Registration time, epoch milliseconds.
    pub created_ms: u64,
    /// The stream's ARN.
    pub stream_arn: String,
    /// The consumer's tags (RegisterStreamConsumer's Tags, TagResource), ordered by key.
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
    /// The consumer's resource policy (PutResourcePolicy), as the JSON text given.
    #[serde(default)]
    pub policy: Option<String>,
}

/// A stream as DescribeStream / DescribeStreamSummary show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    /// The stream's name.
    pub name: String,
    /// `arn:aws:kinesis:<region>:<account>:stream/<name>`.
    pub arn: String,
    /// Lifecycle state.
    pub status: StreamStatus,
    /// Capacity mode.
    pub mode: StreamMode,
    /// Hours records are kept.
    pub retention_hours: u32,
    /// Creation time, epoch milliseconds.
    pub created_ms: u64,
    /// `KMS` when server-side encryption is on.
    pub encryption_type: Option<String>,
    /// The KMS key id when encryption is on.
    pub key_id: Option<String>,
    /// Enabled shard-level metrics.
    pub enhanced_metrics: Vec<String>,
    /// Every shard, open and closed, by index.
    pub shards: Vec<ShardInfo>,
    /// Number of open shards.
    pub open_shard_count: u32,
    /// Number of registered consumers.
    pub consumer_count: u32,
}

/// One record of a put.
#[derive(Debug, Clone, Copy)]
pub struct PutEntry<'a> {
    /// The partition key (1..256 characters, validated by the caller).
    pub partition_key: &'a str,
    /// A hash key that overrides the partition key's MD5 for routing.
    pub explicit_hash_key: Option<u128>,
    /// The data blob.
    pub data: &'a [u8],
}

/// The outcome of one record of a put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    /// Stored.
    Stored {
        /// The shard it went to.
        shard_id: String,
        /// Its sequence number.
        sequence_number: String,
    },
    /// Refused by the shard's throughput limit.
    Throttled {
        /// The shard that refused it.
        shard_id: String,
        /// AWS's message, naming shard, stream and account.
        message: String,
    },
}

/// Where a new shard iterator starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IteratorStart {
    /// At the record with this sequence number.
    AtSequence(String),
    /// Just after the record with this sequence number.
    AfterSequence(String),
    /// At the oldest retained record.
    TrimHorizon,
    /// Just after the newest record.
    Latest,
    /// At the first record that arrived at or after this time (epoch ms).
    AtTimestamp(i64),
}

/// A child shard, as listed when a closed shard has been read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildShard {
    /// The child's id.
    pub shard_id: String,
    /// Its parents (one for a split, two for a merge).
    pub parent_shards: Vec<String>,
    /// The hash keys it owns.
    pub hash_range: HashRange,
}

/// What GetRecords returns.
#[derive(Debug, Clone)]
pub struct GetRecordsOutput {
    /// The records read.
    pub records: Vec<Record>,
    /// Where to continue; `None` once a closed shard has been read to its end.
    pub next_iterator: Option<String>,
    /// How far behind the newest record of the shard this response is, in milliseconds.
    pub millis_behind_latest: u64,
    /// Set when the end of a closed shard was reached.
    pub child_shards: Option<Vec<ChildShard>>,
    /// The shard read, for metrics and logs.
    pub shard_id: String,
    /// Payload bytes returned (partition keys and data).
    pub bytes: u64,
}

/// The account's quotas and usage, as DescribeLimits reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum open shards in the account and region.
    pub shard_limit: u32,
    /// Open shards now.
    pub open_shard_count: u32,
    /// On-demand streams now.
    pub on_demand_stream_count: u32,
    /// Maximum on-demand streams.
    pub on_demand_stream_count_limit: u32,
}

/// Enhanced monitoring state before and after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitoringChange {
    /// The stream's name.
    pub stream_name: String,
    /// The stream's ARN.
    pub stream_arn: String,
    /// Metrics enabled before the call.
    pub current: Vec<String>,
    /// Metrics enabled after the call.
    pub desired: Vec<String>,
}
