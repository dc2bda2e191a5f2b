//! The open shards of a stream, their hash ranges, and per-shard write budgets.
//!
//! The producer routes each record to the shard whose hash range holds its hash key (MD5 of the
//! partition key, or the explicit hash key) and keeps each shard under Kinesis's write limits,
//! 1 MiB and 1,000 records per second, with a token bucket per shard: a hot shard slows down
//! without holding back records for the others.

use std::time::{Duration, Instant};

use md5::{Digest, Md5};

use crate::error::{ClientError, error_type};

/// Bytes a shard accepts per second.
pub const SHARD_BYTES_PER_SEC: f64 = 1024.0 * 1024.0;
/// Records a shard accepts per second.
pub const SHARD_RECORDS_PER_SEC: f64 = 1000.0;

/// The share of a shard's limit the bucket refills at, and the share it may burst. Kinesis
/// counts writes per second; a bucket that holds `BURST` of a second's limit and refills at
/// `RATE` puts at most `BURST + RATE` of the limit into any one-second window, and the rest is
/// slack for requests that reach the service later than they left the bucket.
const RATE: f64 = 0.85;
const BURST: f64 = 0.1;

/// The hash key of a partition key: its MD5 read as a big-endian 128-bit integer.
pub fn hash_key(partition_key: &str) -> u128 {
    u128::from_be_bytes(Md5::digest(partition_key.as_bytes()).into())
}

/// One open shard.
#[derive(Debug, Clone)]
pub struct ShardRange {
    /// The shard id.
    pub shard_id: String,
    /// First hash key it owns.
    pub start: u128,
    /// Last hash key it owns.
    pub end: u128,
}

/// A token bucket for one shard's bytes and records.
#[derive(Debug, Clone)]
struct Budget {
    bytes: f64,
    records: f64,
    at: Instant,
}

impl Budget {
    const MAX_BYTES: f64 = SHARD_BYTES_PER_SEC * BURST;
    const MAX_RECORDS: f64 = SHARD_RECORDS_PER_SEC * BURST;

    fn new(now: Instant) -> Budget {
        Budget {
            bytes: Budget::MAX_BYTES,
            records: Budget::MAX_RECORDS,
            at: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let secs = now.saturating_duration_since(self.at).as_secs_f64();
        self.bytes = (self.bytes + secs * SHARD_BYTES_PER_SEC * RATE).min(Budget::MAX_BYTES);
        self.records =
            (self.records + secs * SHARD_RECORDS_PER_SEC * RATE).min(Budget::MAX_RECORDS);
        self.at = now;
    }
}

/// The open shards, sorted by starting hash key, each with a write budget.
#[derive(Debug, Clone, Default)]
pub struct ShardMap {
    shards: Vec<(ShardRange, Budget)>,
}

impl ShardMap {
    /// A map of these open shards.
    pub fn new(mut shards: Vec<ShardRange>) -> ShardMap {
        shards.sort_by_key(|s| s.start);
        let now = Instant::now();
        ShardMap {
            shards: shards.into_iter().map(|s| (s, Budget::new(now))).collect(),
        }
    }

    /// Number of open shards.
    pub fn len(&self) -> usize {
        self.shards.len()
    }

    /// Whether there are no shards.
    pub fn is_empty(&self) -> bool {
        self.shards.is_empty()
    }

    /// Index of the shard owning `key`.
    pub fn route(&self, key: u128) -> Option<usize> {
        let pos = self.shards.partition_point(|(s, _)| s.start <= key);
        let i = pos.checked_sub(1)?;
        (self.shards[i].0.end >= key).then_some(i)
    }

    /// The shard at `index`.
    pub fn shard(&self, index: usize) -> Option<&ShardRange> {
        self.shards.get(index).map(|(s, _)| s)
    }

    /// Takes `bytes` and one record from the shard's budget if it has them now.
    pub fn try_take(&mut self, index: usize, bytes: usize, now: Instant) -> bool {
        let Some((_, budget)) = self.shards.get_mut(index) else {
            return true;
        };
        budget.refill(now);
        // A record larger than the bucket goes when the bucket is full and leaves it in debt,
        // or it could never be sent.
        let bytes = bytes as f64;
        if budget.bytes >= bytes.min(Budget::MAX_BYTES) && budget.records >= 1.0 {
            budget.bytes -= bytes;
            budget.records -= 1.0;
            true
        } else {
            false
        }
    }

    /// The budget a shard has now: (bytes, records).
    pub fn available(&mut self, index: usize, now: Instant) -> (f64, f64) {
        match self.shards.get_mut(index) {
            Some((_, budget)) => {
                budget.refill(now);
                (budget.bytes, budget.records)
            }
            None => (Budget::MAX_BYTES, Budget::MAX_RECORDS),
        }
    }

    /// Takes `bytes` and one record from the shard's budget whether or not it has them; the
    /// balance may go below zero and refills from there.
    pub fn take(&mut self, index: usize, bytes: usize, now: Instant) {
        if let Some((_, budget)) = self.shards.get_mut(index) {
            budget.refill(now);
            budget.bytes -= bytes as f64;
            budget.records -= 1.0;
        }
    }

    /// Gives back budget for a record that was not sent after all.
    pub fn give_back(&mut self, index: usize, bytes: usize) {
        if let Some((_, budget)) = self.shards.get_mut(index) {
            budget.bytes = (budget.bytes + bytes as f64).min(Budget::MAX_BYTES);
            budget.records = (budget.records + 1.0).min(Budget::MAX_RECORDS);
        }
    }

    /// Empties a shard's budget after the service throttled it, so the producer waits for the
    /// bucket to refill instead of hammering it.
    pub fn throttled(&mut self, shard_id: &str, now: Instant) {
        if let Some((_, budget)) = self.shards.iter_mut().find(|(s, _)| s.shard_id == shard_id) {
            budget.bytes = 0.0;
            budget.records = 0.0;
            budget.at = now;
        }
    }

    /// How long until every shard's budget has refilled by at least one small record.
    pub fn next_refill(&self) -> Duration {
        Duration::from_millis(5)
    }
}

/// A shard as ListShards describes it.
#[derive(Debug, Clone)]
pub(crate) struct ListedShard {
    /// The shard id.
    pub shard_id: String,
    /// Its parent and adjacent parent, when it has them.
    pub parents: Vec<String>,
    /// Whether it has an ending sequence number (closed by resharding).
    pub closed: bool,
    /// Its hash key range, first and last.
    pub range: Option<(u128, u128)>,
}

/// Lists every shard of a stream, open and closed, following every page.
pub(crate) async fn list_shards(
    client: &aws_sdk_kinesis::Client,
    stream_name: &str,
) -> Result<Vec<ListedShard>, ClientError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let req = match &token {
            Some(t) => client.list_shards().next_token(t),
            None => client.list_shards().stream_name(stream_name),
        };
        let resp = req.send().await.map_err(|e| ClientError::Service {
            operation: "ListShards",
            message: error_type(&e),
        })?;
        for shard in resp.shards() {
            out.push(ListedShard {
                shard_id: shard.shard_id().to_string(),
                parents: shard
                    .parent_shard_id()
                    .into_iter()
                    .chain(shard.adjacent_parent_shard_id())
                    .map(str::to_string)
                    .collect(),
                closed: shard
                    .sequence_number_range()
                    .and_then(|r| r.ending_sequence_number())
                    .is_some(),
                range: shard.hash_key_range().and_then(|r| {
                    Some((
                        r.starting_hash_key().parse().ok()?,
                        r.ending_hash_key().parse().ok()?,
                    ))
                }),
            });
        }
        token = resp.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> ShardMap {
        ShardMap::new(vec![
            ShardRange {
                shard_id: "b".into(),
                start: 1 << 127,
                end: u128::MAX,
            },
            ShardRange {
                shard_id: "a".into(),
                start: 0,
                end: (1 << 127) - 1,
            },
        ])
    }

    #[test]
    fn routes_by_range() {
        let m = map();
        assert_eq!(m.shard(m.route(5).unwrap()).unwrap().shard_id, "a");
        assert_eq!(m.shard(m.route(u128::MAX).unwrap()).unwrap().shard_id, "b");
        assert_eq!(hash_key("a"), 0x0cc175b9c0f1b6a831c399e269772661);
    }

    #[test]
    fn budgets_are_per_shard() {
        let mut m = map();
        let now = Instant::now();
        let taken = (0..1500).filter(|_| m.try_take(0, 10, now)).count();
        assert_eq!(taken, 100, "a burst of a tenth of a second");
        assert!(m.try_take(1, 10, now), "the other shard is untouched");
        assert!(!m.try_take(0, 10, now));
        assert!(
            m.try_take(0, 10, now + Duration::from_millis(10)),
            "refills over time"
        );
        let mut m = map();
        assert!(
            m.try_take(0, 1024 * 1024, now),
            "a big record goes when the bucket is full"
        );
        assert!(!m.try_take(0, 1, now));
        assert!(
            !m.try_take(0, 1, now + Duration::from_millis(500)),
            "and leaves it in debt"
        );
        assert!(m.try_take(0, 1, now + Duration::from_millis(1300)));
        m.give_back(0, 1024 * 1024);
        assert!(m.try_take(0, 1, now));
        m.throttled("a", now);
        assert!(!m.try_take(0, 1, now));
    }
}
