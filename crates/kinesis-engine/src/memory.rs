//! The record memory budget: how many bytes of records (and of their journal index) the
//! engine holds, and the limit it keeps them under.
//!
//! Every shard log adds what it stores and subtracts what it lets go, so the total is known at
//! any time without walking the streams. When a put takes the total past the limit, the engine
//! sheds the oldest in-memory records of the fullest shards until the total is back under
//! [`SHED_TARGET_PERCENT`] of the limit. With a data directory those records stay readable
//! from the journal; without one they are gone, and each is counted as evicted.

use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

/// Memory a stored record costs beyond its partition key and data: its entry in the shard's
/// table.
pub const RECORD_OVERHEAD_BYTES: u64 = 48;
/// Memory one journal frame's index entry costs (with a data directory).
pub const FRAME_INDEX_BYTES: u64 = 40;
/// Shedding brings the total back under this share of the limit, so it runs in bursts rather
/// than on every put.
pub const SHED_TARGET_PERCENT: u64 = 90;
/// Shortest time between two warnings about evicted records, ms.
pub const EVICTION_WARNING_INTERVAL_MS: u64 = 60_000;

/// The engine-wide record memory account, shared by every shard log.
pub(crate) struct RecordMemory {
    held: AtomicU64,
    max: u64,
    durable: bool,
    evicted: AtomicU64,
    /// Taken by the one thread shedding at a time; others go on.
    pub(crate) shedding: Mutex<ShedState>,
}

/// What the shedding thread remembers between runs.
#[derive(Default)]
pub(crate) struct ShedState {
    /// When the last eviction warning was logged, epoch ms.
    pub(crate) warned_ms: Option<u64>,
    /// Records evicted since that warning.
    pub(crate) evicted_since_warning: u64,
    /// Held bytes when a run last freed nothing (only the journal index was left): the next
    /// run waits until another hundredth of the limit has been added.
    pub(crate) futile_at: Option<u64>,
}

impl RecordMemory {
    pub(crate) fn new(max: u64, durable: bool) -> RecordMemory {
        RecordMemory {
            held: AtomicU64::new(0),
            max,
            durable,
            evicted: AtomicU64::new(0),
            shedding: Mutex::new(ShedState::default()),
        }
    }

    pub(crate) fn add(&self, bytes: u64) {
        self.held.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn sub(&self, bytes: u64) {
        self.held.fetch_sub(bytes, Ordering::Relaxed);
    }

    pub(crate) fn held(&self) -> u64 {
        self.held.load(Ordering::Relaxed)
    }

    pub(crate) fn max(&self) -> u64 {
        self.max
    }

    /// Whether records shed from memory stay readable from the journal.
    pub(crate) fn durable(&self) -> bool {
        self.durable
    }

    pub(crate) fn over_limit(&self) -> bool {
        self.held() > self.max
    }

    /// The total that shedding brings memory back under.
    pub(crate) fn shed_target(&self) -> u64 {
        self.max / 100 * SHED_TARGET_PERCENT
    }

    pub(crate) fn count_evicted(&self, records: u64) {
        self.evicted.fetch_add(records, Ordering::Relaxed);
    }

    pub(crate) fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }
}

/// The default of [`crate::EngineConfig::max_memory_bytes`]: a quarter of the machine's
/// physical memory (`MemTotal` of `/proc/meminfo`), or 2 GiB where that cannot be read.
pub fn default_max_memory_bytes() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| mem_total_bytes(&text))
        .map_or(2 << 30, |total| total / 4)
}

/// `MemTotal` of a `/proc/meminfo` text, in bytes.
fn mem_total_bytes(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// How much record memory the engine holds and what its limit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryReport {
    /// Bytes held now: records in memory and, with a data directory, the journal index.
    pub held_bytes: u64,
    /// The limit (`max_memory_bytes`).
    pub max_bytes: u64,
    /// Whether records beyond the limit stay readable from the journal.
    pub durable: bool,
    /// Records evicted early since the engine started (memory-only mode), all shards.
    pub evicted_total: u64,
    /// The same per shard that evicted any (shards of deleted streams are not listed).
    pub evicted: Vec<ShardEvictions>,
}

/// Records one shard evicted before their retention ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardEvictions {
    /// The stream's name.
    pub stream_name: String,
    /// The shard's id.
    pub shard_id: String,
    /// Records evicted.
    pub records: u64,
}

impl crate::Engine {
    /// The record memory account: held bytes, the limit, and evictions.
    pub fn memory_report(&self) -> MemoryReport {
        let memory = &self.inner.memory;
        let streams: Vec<_> = self.inner.streams.read().values().cloned().collect();
        let mut evicted = Vec::new();
        for stream in streams {
            for shard in &stream.state.read().shards {
                let n = shard.log.read().evicted();
                if n > 0 {
                    evicted.push(ShardEvictions {
                        stream_name: stream.name.clone(),
                        shard_id: shard.id.clone(),
                        records: n,
                    });
                }
            }
        }
        MemoryReport {
            held_bytes: memory.held(),
            max_bytes: memory.max(),
            durable: memory.durable(),
            evicted_total: memory.evicted(),
            evicted,
        }
    }

    /// Brings held memory back under the limit when a put took it over: sheds the oldest
    /// in-memory records of the fullest shards first. One thread sheds at a time; puts that
    /// find it busy go on.
    pub(crate) fn shed_memory(&self) {
        let memory = &self.inner.memory;
        if !memory.over_limit() {
            return;
        }
        let Some(mut state) = memory.shedding.try_lock() else {
            return;
        };
        if state
            .futile_at
            .is_some_and(|at| memory.held() < at.saturating_add(memory.max() / 100))
        {
            return;
        }
        let held_before = memory.held();
        let streams: Vec<_> = self.inner.streams.read().values().cloned().collect();
        let mut shards = Vec::new();
        for stream in &streams {
            for shard in &stream.state.read().shards {
                let bytes = shard.log.read().memory_bytes();
                if bytes > 0 {
                    shards.push((bytes, stream.name.clone(), shard.clone()));
                }
            }
        }
        // Fullest first. Each shard sheds what it holds beyond the next one's level (or the
        // rest of the excess), so the fullest shards come down together.
        shards.sort_by_key(|s| std::cmp::Reverse(s.0));
        let target = memory.shed_target();
        let mut evicted_here: Vec<(String, String, u64)> = Vec::new();
        let mut level = 0;
        while memory.held() > target && level < shards.len() {
            // Bring shards 0..=level down to the level of shard level+1.
            let floor = shards.get(level + 1).map_or(0, |s| s.0);
            let excess = memory.held().saturating_sub(target);
            let width = (level + 1) as u64;
            let per_shard = shards[level]
                .0
                .saturating_sub(floor)
                .min(excess.div_ceil(width))
                .max(1);
            let mut freed_round = 0;
            for (bytes, name, shard) in shards.iter_mut().take(level + 1) {
                let (records, freed) = shard.log.write().shed(per_shard);
                *bytes = bytes.saturating_sub(freed);
                freed_round += freed;
                if records > 0 && !memory.durable() {
                    evicted_here.push((name.clone(), shard.id.clone(), records));
                }
                if memory.held() <= target {
                    break;
                }
            }
            if shards[level].0 <= floor || freed_round == 0 {
                level += 1;
            }
        }
        state.futile_at = (memory.held() >= held_before).then_some(memory.held());
        let total: u64 = evicted_here.iter().map(|e| e.2).sum();
        if total == 0 {
            return;
        }
        memory.count_evicted(total);
        state.evicted_since_warning += total;
        let now = self.now_ms();
        let due = state
            .warned_ms
            .is_none_or(|t| now.saturating_sub(t) >= EVICTION_WARNING_INTERVAL_MS);
        if due {
            let (stream, shard, _) = evicted_here
                .iter()
                .max_by_key(|e| e.2)
                .cloned()
                .unwrap_or_default();
            tracing::warn!(
                stream = %stream,
                shard = %shard,
                evicted_records = state.evicted_since_warning,
                max_memory_bytes = memory.max(),
                "record memory is full and there is no --data-dir: the oldest records of the \
                 fullest shards are dropped before their retention ends (this is a local limit; \
                 set --max-memory higher or use --data-dir to keep them)"
            );
            state.warned_ms = Some(now);
            state.evicted_since_warning = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_total_is_read_in_kib() {
        let text = "MemTotal:       24576000 kB\nMemFree:  1 kB\n";
        assert_eq!(mem_total_bytes(text), Some(24_576_000 * 1024));
        assert_eq!(mem_total_bytes("nothing"), None);
    }
}
