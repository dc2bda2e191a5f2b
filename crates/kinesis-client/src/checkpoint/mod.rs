//! Checkpoints and leases, behind one trait.
//!
//! The model is KCL's: one lease per shard, keyed by shard id, holding its owner, a lease
//! counter, the checkpoint and the parent shard ids. Every write is conditional on the counter
//! the writer last saw (fencing): a heartbeat or checkpoint from an owner that lost its lease
//! fails instead of overwriting the new owner's state. Expiry is judged by observers, as in
//! KCL: a lease whose counter has not moved for the lease duration is free to take, so no
//! clock is shared between processes and nothing expires by TTL.
//!
//! Three stores implement [`Checkpointer`]:
//!
//! - [`MemoryCheckpointer`]: in this process, shared by its clones; for tests and single
//!   processes.
//! - [`RedisCheckpointer`]: a Redis hash per lease with KCL's field names, updated by Lua
//!   scripts.
//! - [`DynamoDbCheckpointer`]: KCL's own lease table layout, so a KCL application's table can
//!   be read and written.

use async_trait::async_trait;

#[cfg(feature = "dynamodb")]
mod dynamodb;
mod memory;
#[cfg(feature = "redis")]
mod redis;

#[cfg(feature = "dynamodb")]
pub use self::dynamodb::DynamoDbCheckpointer;
pub use self::memory::MemoryCheckpointer;
#[cfg(feature = "redis")]
pub use self::redis::RedisCheckpointer;

/// Where a consumer resumes in a shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checkpoint {
    /// Nothing processed yet: start from the oldest record.
    TrimHorizon,
    /// Nothing processed yet: start from the newest record.
    Latest,
    /// Every record of this closed shard was processed.
    ShardEnd,
    /// Processed up to and including this record (and sub-record of a KPL aggregate).
    Sequence {
        /// The Kinesis sequence number.
        sequence_number: String,
        /// The index within a KPL aggregate; 0 for plain records.
        sub_sequence_number: u64,
    },
}

impl Checkpoint {
    /// The string KCL stores in the `checkpoint` attribute.
    pub fn as_kcl_str(&self) -> &str {
        match self {
            Checkpoint::TrimHorizon => "TRIM_HORIZON",
            Checkpoint::Latest => "LATEST",
            Checkpoint::ShardEnd => "SHARD_END",
            Checkpoint::Sequence {
                sequence_number, ..
            } => sequence_number,
        }
    }

    /// The `checkpointSubSequenceNumber` attribute.
    pub fn sub_sequence_number(&self) -> u64 {
        match self {
            Checkpoint::Sequence {
                sub_sequence_number,
                ..
            } => *sub_sequence_number,
            _ => 0,
        }
    }

    /// Parses KCL's `checkpoint` and `checkpointSubSequenceNumber` attributes.
    pub fn from_kcl(checkpoint: &str, sub_sequence_number: u64) -> Checkpoint {
        match checkpoint {
            "TRIM_HORIZON" => Checkpoint::TrimHorizon,
            "LATEST" => Checkpoint::Latest,
            "SHARD_END" => Checkpoint::ShardEnd,
            s => Checkpoint::Sequence {
                sequence_number: s.to_string(),
                sub_sequence_number,
            },
        }
    }
}

/// One shard's lease as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// `leaseKey`: the shard id.
    pub shard_id: String,
    /// `leaseOwner`: the worker holding it, or `None` when free.
    pub owner: Option<String>,
    /// `leaseCounter`: bumped by every heartbeat, take, checkpoint and release.
    pub counter: u64,
    /// `checkpoint` + `checkpointSubSequenceNumber`.
    pub checkpoint: Checkpoint,
    /// `parentShardIds`.
    pub parent_shard_ids: Vec<String>,
}

/// What a checkpointer's backend reported.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The backend could not be reached or answered with an error.
    #[error("checkpoint store: {0}")]
    Backend(String),
    /// A stored lease could not be read.
    #[error("malformed lease {shard_id}: {reason}")]
    Malformed {
        /// The lease key.
        shard_id: String,
        /// What was wrong.
        reason: String,
    },
}

/// A store of leases and checkpoints. Every method is atomic in the store; the conditional
/// ones return `Ok(None)`/`Ok(false)` when the condition fails, never an error.
#[async_trait]
pub trait Checkpointer: Send + Sync + 'static {
    /// All leases of `stream`.
    async fn list_leases(&self, stream: &str) -> Result<Vec<Lease>, CheckpointError>;

    /// Creates `lease` unless a lease for its shard exists; true when created.
    async fn create_lease(&self, stream: &str, lease: &Lease) -> Result<bool, CheckpointError>;

    /// Makes `new_owner` the owner if the stored counter is still `expected_counter`, bumping
    /// the counter; the updated lease, or `None` when someone else moved it first.
    async fn take_lease(
        &self,
        stream: &str,
        shard_id: &str,
        expected_counter: u64,
        new_owner: &str,
    ) -> Result<Option<Lease>, CheckpointError>;

    /// Heartbeat: bumps the counter if `owner` still holds the lease at `counter`; the new
    /// counter, or `None` when the lease was lost.
    async fn renew_lease(
        &self,
        stream: &str,
        shard_id: &str,
        owner: &str,
        counter: u64,
    ) -> Result<Option<u64>, CheckpointError>;

    /// Stores `checkpoint` if `owner` still holds the lease at `counter`, bumping the counter;
    /// the new counter, or `None` when fenced off.
    async fn checkpoint(
        &self,
        stream: &str,
        shard_id: &str,
        owner: &str,
        counter: u64,
        checkpoint: &Checkpoint,
    ) -> Result<Option<u64>, CheckpointError>;

    /// Gives the lease up (owner cleared, counter bumped) if `owner` holds it at `counter`.
    async fn release_lease(
        &self,
        stream: &str,
        shard_id: &str,
        owner: &str,
        counter: u64,
    ) -> Result<bool, CheckpointError>;
}
