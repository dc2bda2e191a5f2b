//! Leases kept in this process's memory.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;

use super::{Checkpoint, CheckpointError, Checkpointer, Lease};

/// Leases of every stream, by stream name and then by shard id.
type Leases = HashMap<String, BTreeMap<String, Lease>>;

/// A [`Checkpointer`] holding its leases in memory, for tests and single-process consumers.
///
/// Clones share one store, so several consumers in one process contend for the same leases
/// exactly as they would through Redis or DynamoDB. Nothing survives the process.
#[derive(Debug, Clone, Default)]
pub struct MemoryCheckpointer {
    leases: Arc<Mutex<Leases>>,
}

impl MemoryCheckpointer {
    /// An empty store.
    pub fn new() -> MemoryCheckpointer {
        MemoryCheckpointer::default()
    }

    /// Applies `update` to the lease if `owner` (when given) holds it at `counter`, bumping
    /// the counter; the updated lease, or `None` when the lease is missing or moved on.
    fn fenced_update(
        &self,
        stream: &str,
        shard_id: &str,
        owner: Option<&str>,
        counter: u64,
        update: impl FnOnce(&mut Lease),
    ) -> Result<Option<Lease>, CheckpointError> {
        let mut leases = self.leases.lock();
        let Some(lease) = leases.get_mut(stream).and_then(|s| s.get_mut(shard_id)) else {
            return Ok(None);
        };
        if lease.counter != counter {
            return Ok(None);
        }
        if let Some(owner) = owner
            && lease.owner.as_deref() != Some(owner)
        {
            return Ok(None);
        }
        let next = next_counter(shard_id, counter)?;
        update(lease);
        lease.counter = next;
        Ok(Some(lease.clone()))
    }
}

/// `counter + 1`, or an error in the (unreachable in practice) case it overflows.
pub(super) fn next_counter(shard_id: &str, counter: u64) -> Result<u64, CheckpointError> {
    counter
        .checked_add(1)
        .ok_or_else(|| CheckpointError::Malformed {
            shard_id: shard_id.to_string(),
            reason: "leaseCounter cannot be incremented past u64::MAX".to_string(),
        })
}

#[async_trait]
impl Checkpointer for MemoryCheckpointer {
    /// All leases of `stream`, ordered by shard id.
    async fn list_leases(&self, stream: &str) -> Result<Vec<Lease>, CheckpointError> {
        let leases = self.leases.lock();
        Ok(leases
            .get(stream)
            .map(|s| s.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn create_lease(&self, stream: &str, lease: &Lease) -> Result<bool, CheckpointError> {
        let mut leases = self.leases.lock();
        let shards = leases.entry(stream.to_string()).or_default();
        if shards.contains_key(&lease.shard_id) {
            return Ok(false);
        }
        shards.insert(lease.shard_id.clone(), lease.clone());
        Ok(true)
    }

    async fn take_lease(
        &self,
        stream: &str,
        shard_id: &str,
        expected_counter: u64,
        new_owner: &str,
    ) -> Result<Option<Lease>, CheckpointError> {
        self.fenced_update(stream, shard_id, None, expected_counter, |lease| {
            lease.owner = Some(new_owner.to_string());
        })
    }

    async fn renew_lease(
        &self,
        stream: &str,
        shard_id: &str,
        owner: &str,
        counter: u64,
    ) -> Result<Option<u64>, CheckpointError> {
        Ok(self
            .fenced_update(stream, shard_id, Some(owner), counter, |_| {})?
            .map(|l| l.counter))
    }

    async fn checkpoint(
        &self,
        stream: &str,
        shard_id: &str,
        owner: &str,
        counter: u64,
        checkpoint: &Checkpoint,
    ) -> Result<Option<u64>, CheckpointError> {
        let updated = self.fenced_update(stream, shard_id, Some(owner), counter, |lease| {
            lease.checkpoint = checkpoint.clone();
        })?;
        Ok(updated.map(|l| l.counter))
    }

    async fn release_lease(
        &self,
        stream: &str,
        shard_id: &str,
        owner: &str,
        counter: u64,
    ) -> Result<bool, CheckpointError> {
        let updated = self.fenced_update(stream, shard_id, Some(owner), counter, |lease| {
            lease.owner = None;
        })?;
        Ok(updated.is_some())
    }
}
