//! The embedded Kinesis Data Streams engine.
//!
//! [`Engine`] holds streams, their shards and records, and implements the semantics AWS
//! documents for them: hash-key routing by MD5, sequence numbers, shard iterators, resharding
//! with parent and child shards, retention, per-shard throughput limits and account quotas.
//! It knows nothing of HTTP or of the wire encodings: the `kinesis-api` crate maps requests
//! onto it, and every error it returns already carries the AWS error code and message.
//!
//! With a data directory the engine is durable: records go to the [`journal`] before a put is
//! acknowledged and stream metadata to `meta.json`; [`Engine::open`] recovers both.
//!
//! ```
//! use kinesis_engine::{Engine, EngineConfig, IteratorStart, PutEntry};
//!
//! let engine = Engine::open(EngineConfig::default()).unwrap();
//! engine.create_stream("orders", None, Some(2), &[]).unwrap();
//! let put = engine
//!     .put_records("orders", &[PutEntry { partition_key: "k", explicit_hash_key: None, data: b"hi" }])
//!     .unwrap();
//! let it = engine.get_shard_iterator("orders", "shardId-000000000000", IteratorStart::TrimHorizon);
//! # let _ = (put, it);
//! ```

#![deny(missing_docs)]
#![deny(clippy::unwrap_used)]

mod blocks;
pub mod clock;
mod error;
pub mod hash;
pub mod iterator;
pub mod journal;
pub mod memory;
mod meta;
mod model;
mod ops_records;
mod ops_streams;
mod reshard;
mod resources;
pub mod sequence;
mod shard;
pub mod subscription;
pub mod tags;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{EngineError, Result};
pub use hash::HashRange;
pub use journal::{FsyncPolicy, RecoveryReport};
pub use model::*;
pub use resources::Resource;
pub use shard::{Record, parse_shard_id, shard_id};

use crate::journal::Journal;
use crate::shard::Shard;

/// Default retention of a new stream, in hours.
pub const DEFAULT_RETENTION_HOURS: u32 = 24;
/// Longest retention AWS allows, in hours (365 days).
pub const MAX_RETENTION_HOURS: u32 = 8760;
/// Shards an on-demand stream starts with.
pub const ON_DEMAND_INITIAL_SHARDS: u32 = 4;
/// Records a GetRecords call returns at most.
pub const MAX_GET_RECORDS: usize = 10_000;
/// Bytes a GetRecords call returns at most (10 MiB).
pub const MAX_GET_BYTES: usize = 10 * 1024 * 1024;
/// Consumers a stream may have registered at once.
pub const MAX_CONSUMERS_PER_STREAM: usize = 20;
/// Tags a stream may carry.
pub const MAX_TAGS_PER_STREAM: usize = 50;

/// Capacity-mode switches (UpdateStreamMode) a stream may make per rolling 24 hours.
pub const MODE_SWITCHES_PER_DAY: usize = 2;

/// How the engine is set up.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The region reported in ARNs and messages.
    pub region: String,
    /// The account id reported in ARNs and messages.
    pub account_id: String,
    /// How long CREATING lasts before a new stream (or consumer) is ACTIVE; also how long
    /// UPDATING and DELETING last unless [`Self::update_delay`] or [`Self::delete_delay`] say
    /// otherwise.
    pub transition_delay: Duration,
    /// How long DELETING lasts before the stream is gone; `None` takes `transition_delay`.
    pub delete_delay: Option<Duration>,
    /// How long UPDATING lasts (resharding, mode and encryption changes); `None` takes
    /// `transition_delay`.
    pub update_delay: Option<Duration>,
    /// Whether per-shard throughput limits are enforced.
    pub shard_limits: bool,
    /// Open shards allowed in the account (DescribeLimits `ShardLimit`).
    pub shard_quota: u32,
    /// On-demand streams allowed in the account.
    pub on_demand_stream_quota: u32,
    /// Where to keep the journal and metadata; `None` keeps everything in memory.
    pub data_dir: Option<PathBuf>,
    /// When journal writes are forced to disk.
    pub fsync: FsyncPolicy,
    /// Bytes of records the engine holds in memory across all streams (see [`memory`]).
    /// With a data directory older records are then read from the journal; without one the
    /// oldest records of the fullest shards are evicted early.
    pub max_memory_bytes: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            transition_delay: Duration::ZERO,
            delete_delay: None,
            update_delay: None,
            shard_limits: true,
            shard_quota: 500,
            on_demand_stream_quota: 50,
            data_dir: None,
            fsync: FsyncPolicy::Interval(Duration::from_secs(1)),
            max_memory_bytes: memory::default_max_memory_bytes(),
        }
    }
}

impl EngineConfig {
    /// How long a stream stays in the transient state of `transition`.
    pub fn delay(&self, transition: Transition) -> Duration {
        match transition {
            Transition::Create => self.transition_delay,
            Transition::Delete => self.delete_delay.unwrap_or(self.transition_delay),
            Transition::Update => self.update_delay.unwrap_or(self.transition_delay),
        }
    }
}

/// The transient states a stream passes through, each with its own delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// CREATING, after CreateStream (and a consumer's CREATING).
    Create,
    /// DELETING, after DeleteStream.
    Delete,
    /// UPDATING, after a reshard or a mode or encryption change.
    Update,
}

/// A stream and its mutable state.
pub(crate) struct Stream {
    pub(crate) name: String,
    pub(crate) arn: String,
    pub(crate) created_ms: u64,
    pub(crate) state: RwLock<StreamState>,
}

/// Everything about a stream that changes, behind the stream's lock. Puts and reads take it
/// shared; resharding and configuration changes take it exclusively, so a reshard never
/// interleaves with a put.
pub(crate) struct StreamState {
    pub(crate) status: StreamStatus,
    /// When the current CREATING/UPDATING/DELETING phase ends, epoch ms.
    pub(crate) settles_at_ms: u64,
    pub(crate) mode: StreamMode,
    pub(crate) retention_hours: u32,
    pub(crate) tags: BTreeMap<String, String>,
    pub(crate) encryption: Option<(String, String)>,
    pub(crate) enhanced_metrics: BTreeSet<String>,
    /// All shards; a shard's index is its position.
    pub(crate) shards: Vec<Arc<Shard>>,
    /// Indexes of the open shards, ordered by starting hash key.
    pub(crate) open: Vec<usize>,
    pub(crate) consumers: Vec<ConsumerInfo>,
    /// The stream's resource policy (PutResourcePolicy), as the JSON text given.
    pub(crate) policy: Option<String>,
    /// Times of recent UpdateStreamMode calls (for the twice-a-day quota).
    pub(crate) mode_switches_ms: Vec<u64>,
    /// Times of recent UpdateShardCount calls (for the per-day quota).
    pub(crate) scaling_calls_ms: Vec<u64>,
    /// A SplitShard, MergeShards or UpdateShardCount waiting for the UPDATING phase to end:
    /// until then the stream keeps its old layout, as AWS does.
    pub(crate) pending_reshard: Option<reshard::PendingReshard>,
}

impl StreamState {
    /// The status as of `now_ms`, settling CREATING/UPDATING into ACTIVE when their time is up.
    pub(crate) fn status_at(&self, now_ms: u64) -> StreamStatus {
        match self.status {
            StreamStatus::Creating | StreamStatus::Updating if now_ms >= self.settles_at_ms => {
                StreamStatus::Active
            }
            s => s,
        }
    }

    /// The open shard owning `hash_key`.
    pub(crate) fn route(&self, hash_key: u128) -> Option<&Arc<Shard>> {
        let pos = self
            .open
            .partition_point(|&i| self.shards[i].range.start <= hash_key);
        let shard = &self.shards[*self.open.get(pos.checked_sub(1)?)?];
        shard.range.contains(hash_key).then_some(shard)
    }

    pub(crate) fn rebuild_open(&mut self) {
        let mut open: Vec<usize> = (0..self.shards.len())
            .filter(|&i| !self.shards[i].log.read().is_closed())
            .collect();
        open.sort_by_key(|&i| self.shards[i].range.start);
        self.open = open;
    }

    pub(crate) fn open_count(&self) -> u32 {
        self.open.len() as u32
    }
}

pub(crate) struct Inner {
    pub(crate) config: EngineConfig,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) streams: RwLock<BTreeMap<String, Arc<Stream>>>,
    pub(crate) journal: Option<Journal>,
    pub(crate) meta: Option<meta::MetaStore>,
    /// The record memory account every shard shares.
    pub(crate) memory: Arc<memory::RecordMemory>,
    /// Guards stream creation times so each incarnation of a name is distinct.
    pub(crate) last_created_ms: Mutex<u64>,
    /// The live enhanced fan-out subscriptions, one per consumer and shard.
    pub(crate) subscriptions: Mutex<subscription::Leases>,
}

/// The engine. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

impl Engine {
    /// Opens an engine with the system clock, recovering state from the data directory if set.
    pub fn open(config: EngineConfig) -> Result<Engine> {
        Engine::open_with_clock(config, Arc::new(SystemClock))
    }

    /// Opens an engine with the given clock.
    pub fn open_with_clock(config: EngineConfig, clock: Arc<dyn Clock>) -> Result<Engine> {
        meta::open(config, clock).map(|(engine, _)| engine)
    }

    /// Opens an engine and also returns what journal recovery found.
    pub fn open_with_report(
        config: EngineConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<(Engine, RecoveryReport)> {
        meta::open(config, clock)
    }

    /// The engine's configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// The engine's clock, for the engines beside it (alarms) to share its time.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.inner.clock.clone()
    }

    /// The engine clock's current time, epoch milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.inner.clock.now_ms()
    }

    pub(crate) fn account(&self) -> &str {
        &self.inner.config.account_id
    }

    /// The ARN of a stream with this name in this engine's region and account.
    pub fn stream_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:kinesis:{}:{}:stream/{}",
            self.inner.config.region, self.inner.config.account_id, name
        )
    }

    pub(crate) fn not_found(&self, name: &str) -> EngineError {
        EngineError::ResourceNotFound(format!(
            "Stream {name} under account {} not found.",
            self.account()
        ))
    }

    /// Looks a stream up, finishing its deletion if its DELETING phase is over.
    pub(crate) fn stream(&self, name: &str) -> Result<Arc<Stream>> {
        let stream = self.inner.streams.read().get(name).cloned();
        let stream = stream.ok_or_else(|| self.not_found(name))?;
        // One look at the state decides both: a deletion that has settled, and a reshard that
        // is due (settled under the write lock, which looks again).
        let (gone, reshard_due) = {
            let st = stream.state.read();
            let settled = self.now_ms() >= st.settles_at_ms;
            (
                settled && st.status == StreamStatus::Deleting,
                settled && st.pending_reshard.is_some(),
            )
        };
        if gone {
            self.finish_deletion(name, stream.created_ms)?;
            return Err(self.not_found(name));
        }
        if reshard_due {
            self.settle_reshard(&stream)?;
        }
        Ok(stream)
    }

    pub(crate) fn finish_deletion(&self, name: &str, created_ms: u64) -> Result<()> {
        let mut streams = self.inner.streams.write();
        if streams
            .get(name)
            .is_some_and(|s| s.created_ms == created_ms)
        {
            streams.remove(name);
            if let Some(meta) = &self.inner.meta {
                meta.remove(name)?;
            }
        }
        Ok(())
    }

    /// Periodic housekeeping: trims records past retention, finishes deletions, removes
    /// journal segments nobody needs and syncs the journal under the interval policy.
    pub fn maintain(&self) -> Result<()> {
        let now = self.now_ms();
        let streams: Vec<Arc<Stream>> = self.inner.streams.read().values().cloned().collect();
        let mut longest_retention = 0u64;
        for stream in streams {
            if self.stream(&stream.name).is_err() {
                continue;
            }
            let st = stream.state.read();
            let retention_ms = u64::from(st.retention_hours) * 3_600_000;
            longest_retention = longest_retention.max(retention_ms);
            let cutoff = now.saturating_sub(retention_ms);
            for shard in &st.shards {
                let needs_trim = shard
                    .log
                    .read()
                    .first_arrival_ms()
                    .is_some_and(|t| t < cutoff);
                if needs_trim {
                    shard.log.write().trim_before(cutoff);
                }
            }
        }
        if let Some(journal) = &self.inner.journal {
            let cutoff = now.saturating_sub(longest_retention.max(1));
            journal
                .remove_segments_before(cutoff)
                .map_err(|e| EngineError::Internal(format!("journal cleanup failed: {e}")))?;
            if matches!(journal.policy(), FsyncPolicy::Interval(_)) {
                self.sync()?;
            }
        }
        Ok(())
    }

    /// Forces journal writes to disk now.
    pub fn sync(&self) -> Result<()> {
        if let Some(journal) = &self.inner.journal {
            journal
                .sync()
                .map_err(|e| EngineError::Internal(format!("journal sync failed: {e}")))?;
        }
        Ok(())
    }

    /// Total records and payload bytes held in memory, for memory accounting.
    pub fn stored_totals(&self) -> (u64, u64) {
        let streams: Vec<Arc<Stream>> = self.inner.streams.read().values().cloned().collect();
        let (mut records, mut bytes) = (0, 0);
        for stream in streams {
            for shard in &stream.state.read().shards {
                let log = shard.log.read();
                records += log.len();
                bytes += log.retained_bytes();
            }
        }
        (records, bytes)
    }
}
