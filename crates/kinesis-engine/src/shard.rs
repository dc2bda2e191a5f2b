//! One shard: its place in the hash key space, its records in memory, and its throughput gauges.
//!
//! Records live in an append-only arena of large byte chunks; each record's partition key and
//! data sit side by side in one chunk and the shard keeps a 48-byte entry per record (a shared
//! slice of the chunk, the partition key length and the arrival time). That keeps the memory of
//! a stored record at its payload plus well under 64 bytes, and a read hands out slices without
//! copying.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use parking_lot::{Mutex, RwLock};

use crate::hash::HashRange;
use crate::sequence::SequenceNumber;

/// Bytes a shard accepts per second when limits are on (1 MiB).
pub const WRITE_BYTES_PER_SEC: u64 = 1024 * 1024;
/// Records a shard accepts per second when limits are on.
pub const WRITE_RECORDS_PER_SEC: u64 = 1000;
/// Bytes a shard serves per second when limits are on (2 MiB).
pub const READ_BYTES_PER_SEC: i64 = 2 * 1024 * 1024;
/// GetRecords calls a shard serves per second when limits are on.
pub const READ_CALLS_PER_SEC: u32 = 5;

const ARENA_CHUNK: usize = 1024 * 1024;
const ENTRIES_PER_BLOCK: usize = 1024;

/// One stored record.
#[derive(Clone)]
pub(crate) struct Entry {
    /// Partition key bytes followed by the data bytes.
    payload: Bytes,
    arrival_ms: u64,
    pk_len: u16,
}

/// A record as returned by a read: cheap to clone, shares the shard's memory.
#[derive(Clone, Debug)]
pub struct Record {
    /// The record's sequence number.
    pub sequence: SequenceNumber,
    /// When the record arrived, epoch milliseconds.
    pub arrival_ms: u64,
    payload: Bytes,
    pk_len: u16,
}

impl Record {
    /// The record's partition key.
    pub fn partition_key(&self) -> &str {
        // The bytes were copied from a `&str`, so this never fails; an empty key is the
        // harmless fallback rather than a panic.
        std::str::from_utf8(&self.payload[..usize::from(self.pk_len)]).unwrap_or("")
    }

    /// The record's data blob.
    pub fn data(&self) -> &[u8] {
        &self.payload[usize::from(self.pk_len)..]
    }
}

/// A deque of entries in fixed-size blocks, so growth never doubles memory.
#[derive(Default)]
struct EntryStore {
    blocks: VecDeque<Vec<Entry>>,
    /// Entries of the first block already trimmed.
    head: usize,
    len: usize,
}

impl EntryStore {
    fn push(&mut self, e: Entry) {
        match self.blocks.back_mut() {
            Some(b) if b.len() < ENTRIES_PER_BLOCK => b.push(e),
            _ => {
                let mut b = Vec::with_capacity(ENTRIES_PER_BLOCK);
                b.push(e);
                self.blocks.push_back(b);
            }
        }
        self.len += 1;
    }

    fn get(&self, i: usize) -> Option<&Entry> {
        if i >= self.len {
            return None;
        }
        let abs = self.head + i;
        self.blocks
            .get(abs / ENTRIES_PER_BLOCK)?
            .get(abs % ENTRIES_PER_BLOCK)
    }

    fn pop_front(&mut self) {
        if self.len == 0 {
            return;
        }
        self.len -= 1;
        self.head += 1;
        if self.head == ENTRIES_PER_BLOCK || self.len == 0 {
            // Whole blocks are freed at once; the trimmed entries of a partly trimmed block
            // are never served (first_index has moved past them).
            if self.len == 0 {
                self.blocks.clear();
            } else {
                self.blocks.pop_front();
            }
            self.head = 0;
        }
    }

    fn len(&self) -> usize {
        self.len
    }
}

/// A shard's records and write-side state, behind one lock.
pub(crate) struct ShardLog {
    /// Record index of the oldest retained record.
    first_index: u64,
    entries: EntryStore,
    arena: BytesMut,
    /// Set when the shard is closed by resharding: the index one past its last record.
    end_index: Option<u64>,
    /// When the shard was closed, epoch ms.
    closed_ms: Option<u64>,
    /// Sum of payload bytes retained.
    retained_bytes: u64,
    write_window: Window,
}

#[derive(Default, Clone, Copy)]
struct Window {
    second: u64,
    bytes: u64,
    records: u64,
}

impl ShardLog {
    pub(crate) fn new() -> ShardLog {
        ShardLog {
            first_index: 0,
            entries: EntryStore::default(),
            arena: BytesMut::new(),
            end_index: None,
            closed_ms: None,
            retained_bytes: 0,
            write_window: Window::default(),
        }
    }

    /// Index that the next appended record receives.
    pub(crate) fn next_index(&self) -> u64 {
        self.first_index + self.entries.len() as u64
    }

    pub(crate) fn first_index(&self) -> u64 {
        self.first_index
    }

    pub(crate) fn end_index(&self) -> Option<u64> {
        self.end_index
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.end_index.is_some()
    }

    /// Closes the shard at `now_ms`: no record is appended after this.
    pub(crate) fn close(&mut self, now_ms: u64) -> u64 {
        let end = self.next_index();
        self.end_index = Some(end);
        self.closed_ms = Some(now_ms);
        end
    }

    /// Restores the closed state read from metadata.
    pub(crate) fn set_closed(&mut self, end: u64, closed_ms: u64) {
        self.end_index = Some(end);
        self.closed_ms = Some(closed_ms);
    }

    /// When the shard was closed, epoch ms.
    pub(crate) fn closed_ms(&self) -> Option<u64> {
        self.closed_ms
    }

    /// Moves an empty log to start at `index` (used by recovery when older records are gone).
    pub(crate) fn skip_to(&mut self, index: u64) {
        if self.entries.len() == 0 && index > self.first_index {
            self.first_index = index;
        }
    }

    pub(crate) fn len(&self) -> u64 {
        self.entries.len() as u64
    }

    pub(crate) fn retained_bytes(&self) -> u64 {
        self.retained_bytes
    }

    /// Whether the write limits admit one more record of `size` bytes in second `now_sec`,
    /// counting it if so.
    pub(crate) fn admit_write(&mut self, now_sec: u64, size: u64) -> bool {
        let w = &mut self.write_window;
        if w.second != now_sec {
            *w = Window {
                second: now_sec,
                bytes: 0,
                records: 0,
            };
        }
        if w.records + 1 > WRITE_RECORDS_PER_SEC || w.bytes + size > WRITE_BYTES_PER_SEC {
            return false;
        }
        w.records += 1;
        w.bytes += size;
        true
    }

    /// Appends a record and returns its index.
    pub(crate) fn append(&mut self, partition_key: &str, data: &[u8], arrival_ms: u64) -> u64 {
        let len = partition_key.len() + data.len();
        if self.arena.capacity() - self.arena.len() < len {
            self.arena = BytesMut::with_capacity(ARENA_CHUNK.max(len));
        }
        self.arena.extend_from_slice(partition_key.as_bytes());
        self.arena.extend_from_slice(data);
        let payload = self.arena.split().freeze();
        let index = self.next_index();
        self.entries.push(Entry {
            payload,
            arrival_ms,
            // Partition keys are at most 256 characters (1024 bytes), validated upstream.
            pk_len: u16::try_from(partition_key.len()).unwrap_or(u16::MAX),
        });
        self.retained_bytes += len as u64;
        index
    }

    fn entry(&self, index: u64) -> Option<&Entry> {
        let rel = index.checked_sub(self.first_index)?;
        self.entries.get(usize::try_from(rel).ok()?)
    }

    /// Arrival time of the record at `index`, if retained.
    pub(crate) fn arrival_ms(&self, index: u64) -> Option<u64> {
        self.entry(index).map(|e| e.arrival_ms)
    }

    /// The first retained index whose record arrived at or after `ts_ms`
    /// (records are appended in arrival order, so a binary search works).
    pub(crate) fn index_at_timestamp(&self, ts_ms: u64) -> u64 {
        let (mut lo, mut hi) = (self.first_index, self.next_index());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.arrival_ms(mid) {
                Some(t) if t < ts_ms => lo = mid + 1,
                _ => hi = mid,
            }
        }
        lo
    }

    /// Drops records that arrived before `cutoff_ms`.
    pub(crate) fn trim_before(&mut self, cutoff_ms: u64) -> u64 {
        let mut dropped = 0;
        while let Some(e) = self.entries.get(0) {
            if e.arrival_ms >= cutoff_ms {
                break;
            }
            self.retained_bytes -= e.payload.len() as u64;
            self.entries.pop_front();
            self.first_index += 1;
            dropped += 1;
        }
        dropped
    }

    /// Reads up to `limit` records starting at `from` and at most `max_bytes` of data
    /// (always at least one record when one is there).
    pub(crate) fn read(
        &self,
        from: u64,
        limit: usize,
        max_bytes: usize,
        make_seq: impl Fn(u64, u64) -> SequenceNumber,
    ) -> (Vec<Record>, u64) {
        let mut out = Vec::with_capacity(limit.min(self.len() as usize));
        let mut pos = from.max(self.first_index);
        let mut bytes = 0usize;
        while out.len() < limit {
            let Some(e) = self.entry(pos) else { break };
            let size = e.payload.len();
            if !out.is_empty() && bytes + size > max_bytes {
                break;
            }
            bytes += size;
            out.push(Record {
                sequence: make_seq(pos, e.arrival_ms),
                arrival_ms: e.arrival_ms,
                payload: e.payload.clone(),
                pk_len: e.pk_len,
            });
            pos += 1;
        }
        (out, pos)
    }
}

/// Read-side throttling: five calls a second, and 2 MiB a second as a balance that a large
/// read can overdraw, so the calls after a 10 MiB read are refused for about five seconds,
/// as AWS documents.
pub(crate) struct ReadGauge {
    second: u64,
    calls: u32,
    balance: i64,
    refilled_ms: u64,
}

impl ReadGauge {
    pub(crate) fn new() -> ReadGauge {
        ReadGauge {
            second: 0,
            calls: 0,
            balance: READ_BYTES_PER_SEC,
            refilled_ms: 0,
        }
    }

    /// Whether a GetRecords call may proceed now; counts the call if so.
    pub(crate) fn admit_call(&mut self, now_ms: u64) -> bool {
        let elapsed = now_ms.saturating_sub(self.refilled_ms) as i64;
        self.balance = (self.balance + elapsed * READ_BYTES_PER_SEC / 1000).min(READ_BYTES_PER_SEC);
        self.refilled_ms = now_ms;
        let sec = now_ms / 1000;
        if self.second != sec {
            self.second = sec;
            self.calls = 0;
        }
        if self.calls >= READ_CALLS_PER_SEC || self.balance <= 0 {
            return false;
        }
        self.calls += 1;
        true
    }

    /// Charges the bytes a read returned.
    pub(crate) fn charge(&mut self, bytes: u64) {
        self.balance -= bytes as i64;
    }
}

/// A shard of a stream.
pub(crate) struct Shard {
    pub(crate) index: u32,
    pub(crate) id: String,
    pub(crate) range: HashRange,
    pub(crate) parent: Option<String>,
    pub(crate) adjacent_parent: Option<String>,
    /// Creation time in epoch seconds; later than every parent's.
    pub(crate) created_secs: u64,
    pub(crate) log: RwLock<ShardLog>,
    pub(crate) read_gauge: Mutex<ReadGauge>,
}

impl Shard {
    pub(crate) fn new(
        index: u32,
        range: HashRange,
        parent: Option<String>,
        adjacent_parent: Option<String>,
        created_secs: u64,
    ) -> Shard {
        Shard {
            index,
            id: shard_id(index),
            range,
            parent,
            adjacent_parent,
            created_secs,
            log: RwLock::new(ShardLog::new()),
            read_gauge: Mutex::new(ReadGauge::new()),
        }
    }

    /// The sequence number of the record at `index` that arrived at `arrival_ms`.
    pub(crate) fn sequence(&self, index: u64, arrival_ms: u64) -> SequenceNumber {
        SequenceNumber {
            shard_created_secs: self.created_secs,
            shard_index: self.index,
            record_index: index,
            arrival_secs: arrival_ms / 1000,
        }
    }

    /// The shard's StartingSequenceNumber.
    pub(crate) fn starting_sequence(&self) -> SequenceNumber {
        self.sequence(0, self.created_secs * 1000)
    }

    /// The shard's EndingSequenceNumber once closed: its last record's number, or the
    /// starting number for a shard closed empty.
    pub(crate) fn ending_sequence(&self, log: &ShardLog) -> Option<SequenceNumber> {
        let end = log.end_index()?;
        Some(match end.checked_sub(1) {
            Some(last) => {
                let arrival = log.arrival_ms(last).unwrap_or(self.created_secs * 1000);
                self.sequence(last, arrival)
            }
            None => self.starting_sequence(),
        })
    }
}

/// Formats a shard index as AWS's shard id, `shardId-000000000007`.
pub fn shard_id(index: u32) -> String {
    format!("shardId-{index:012}")
}

/// Parses the index out of a shard id. AWS accepts `shardId-000000000007`, and also the bare
/// number or any prefix followed by a dash.
pub fn parse_shard_id(id: &str) -> Option<u32> {
    let digits = id.rsplit('-').next()?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u32>().ok().filter(|&i| i <= i32::MAX as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(i: u64, t: u64) -> SequenceNumber {
        SequenceNumber {
            shard_created_secs: 1,
            shard_index: 0,
            record_index: i,
            arrival_secs: t / 1000,
        }
    }

    #[test]
    fn append_read_trim() {
        let mut log = ShardLog::new();
        for i in 0..3000u64 {
            let idx = log.append("pk", format!("data-{i}").as_bytes(), 1000 + i);
            assert_eq!(idx, i);
        }
        let (recs, next) = log.read(10, 5, usize::MAX, seq);
        assert_eq!(next, 15);
        assert_eq!(recs[0].partition_key(), "pk");
        assert_eq!(recs[0].data(), b"data-10");
        assert_eq!(log.trim_before(1000 + 1500), 1500);
        assert_eq!(log.first_index(), 1500);
        let (recs, next) = log.read(0, 2, usize::MAX, seq);
        assert_eq!(recs[0].data(), b"data-1500");
        assert_eq!(next, 1502);
        assert_eq!(log.index_at_timestamp(1000 + 2000), 2000);
        assert_eq!(log.index_at_timestamp(0), 1500);
        assert_eq!(log.index_at_timestamp(99_999), 3000);
    }

    #[test]
    fn byte_cap_returns_at_least_one_record() {
        let mut log = ShardLog::new();
        log.append("k", &[0u8; 100], 1);
        log.append("k", &[0u8; 100], 1);
        let (recs, _) = log.read(0, 10, 50, seq);
        assert_eq!(recs.len(), 1);
        let (recs, _) = log.read(0, 10, 202, seq);
        assert_eq!(recs.len(), 2);
    }

    #[test]
    fn write_window_limits() {
        let mut log = ShardLog::new();
        let admitted = (0..1500).filter(|_| log.admit_write(7, 10)).count();
        assert_eq!(admitted, 1000);
        assert!(log.admit_write(8, 1024 * 1024));
        assert!(!log.admit_write(8, 1));
    }

    #[test]
    fn read_gauge_calls_and_bytes() {
        let mut g = ReadGauge::new();
        let ok = (0..10).filter(|_| g.admit_call(5_000)).count();
        assert_eq!(ok, 5);
        assert!(g.admit_call(6_000));
        g.charge(10 * 1024 * 1024);
        assert!(!g.admit_call(7_000));
        assert!(g.admit_call(11_000));
    }

    #[test]
    fn shard_ids() {
        assert_eq!(shard_id(7), "shardId-000000000007");
        assert_eq!(parse_shard_id("shardId-000000000007"), Some(7));
        assert_eq!(parse_shard_id("7"), Some(7));
        assert_eq!(parse_shard_id("shardId-x"), None);
    }
}
