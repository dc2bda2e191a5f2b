//! The background task's queues: user records waiting per shard and per partition key, and
//! the Kinesis records a batch is made of.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;

use crate::kpl;

use super::*;

/// A user record waiting in the background task.
pub(super) struct Entry {
    pub(super) id: u64,
    pub(super) record: Record,
    pub(super) hash: u128,
    pub(super) attempts: u32,
    pub(super) arrived: Instant,
}

impl Entry {
    pub(super) fn user_record(&self) -> kpl::UserRecord {
        kpl::UserRecord {
            partition_key: self.record.partition_key.clone(),
            explicit_hash_key: self.record.explicit_hash_key.clone(),
            data: self.record.data.clone(),
        }
    }

    pub(super) fn size(&self) -> usize {
        self.record.data.len() + self.record.partition_key.len()
    }
}

/// The waiting records of one partition key within a shard.
#[derive(Default)]
pub(super) struct KeyQueue {
    pub(super) entries: VecDeque<Entry>,
    /// A record of this key is in flight or waiting out a backoff.
    pub(super) busy: bool,
}

/// The waiting records of one shard.
#[derive(Default)]
pub(super) struct ShardQueue {
    pub(super) keys: HashMap<Arc<str>, KeyQueue>,
    /// Keys with waiting records that are not busy, in the order they became ready.
    pub(super) ready: VecDeque<Arc<str>>,
}

/// A Kinesis record of a batch and the user records it carries.
pub(super) struct Outgoing {
    pub(super) shard: usize,
    pub(super) shard_id: String,
    /// The partition keys of its user records, each once; all are busy until it settles.
    pub(super) keys: Vec<Arc<str>>,
    /// The user records, in order; one unless aggregated.
    pub(super) entries: Vec<Entry>,
    pub(super) partition_key: String,
    pub(super) explicit_hash_key: Option<String>,
    pub(super) data: Bytes,
}

impl Outgoing {
    pub(super) fn size(&self) -> usize {
        self.data.len() + self.partition_key.len()
    }

    pub(super) fn user_bytes(&self) -> u64 {
        self.entries
            .iter()
            .map(|e| e.record.data.len() as u64)
            .sum()
    }
}
