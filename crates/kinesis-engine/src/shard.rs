//! One shard: its place in the hash key space, its records in memory, and its throughput gauges.
//!
//! Records live in an append-only arena of large byte chunks; each record's partition key and
//! data sit side by side in one chunk and the shard keeps a 48-byte entry per record (a shared
//! slice of the chunk, the partition key length and the arrival time). That keeps the memory of
//! a stored record at its payload plus well under 64 bytes, and a read hands out slices without
//! copying.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use parking_lot::{Mutex, RwLock};

use crate::blocks::BlockDeque;
use crate::hash::HashRange;
use crate::journal::{FrameRef, parse_frame};
use crate::memory::{FRAME_INDEX_BYTES, RECORD_OVERHEAD_BYTES, RecordMemory};
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
const ARENA_FIRST_CHUNK: usize = 16 * 1024;

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

/// A shard's records and write-side state, behind one lock.
///
/// Records `first_index..next_index()` are retained. Those from `mem_first` on are in memory;
/// with a data directory, every retained record is also in a journal frame listed in `frames`,
/// so the older ones (`first_index..mem_first`) are read back from disk. Without one,
/// `first_index == mem_first` always.
pub(crate) struct ShardLog {
    /// Record index of the oldest retained record.
    first_index: u64,
    /// Record index of the oldest record in memory.
    mem_first: u64,
    entries: BlockDeque<Entry>,
    /// The journal frames holding this shard's records, oldest first (data directory only).
    frames: BlockDeque<FrameRef>,
    arena: BytesMut,
    /// Set when the shard is closed by resharding: the index one past its last record.
    end_index: Option<u64>,
    /// When the shard was closed, epoch ms.
    closed_ms: Option<u64>,
    /// Sum of payload bytes in memory.
    retained_bytes: u64,
    /// Arrival of the newest record ever appended, epoch ms.
    last_arrival_ms: Option<u64>,
    /// Records dropped from memory before their retention ended, without a journal to read
    /// them back from.
    evicted: u64,
    memory: Arc<RecordMemory>,
    /// Bytes appended but not yet added to `memory` (see [`ShardLog::settle`]).
    unsettled: u64,
    write_window: Window,
}

impl Drop for ShardLog {
    fn drop(&mut self) {
        self.memory.sub(self.held_bytes() - self.unsettled);
    }
}

/// Where a timestamp falls: a known index, or somewhere in a frame that must be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimestampLookup {
    /// The first record at or after the timestamp has this index.
    Exact(u64),
    /// It is in this frame (or just after it); read the frame to find it.
    InFrame(FrameRef),
}

/// How a read is served: from memory, or from these journal frames.
pub(crate) enum ReadPlan {
    /// The records and the index after the last one.
    Memory(Vec<Record>, u64),
    /// Read these frames and take records from `from` on.
    Disk { frames: Vec<FrameRef>, from: u64 },
}

#[derive(Default, Clone, Copy)]
struct Window {
    second: u64,
    bytes: u64,
    records: u64,
}

impl ShardLog {
    pub(crate) fn new(memory: Arc<RecordMemory>) -> ShardLog {
        ShardLog {
            first_index: 0,
            mem_first: 0,
            entries: BlockDeque::default(),
            frames: BlockDeque::default(),
            arena: BytesMut::new(),
            end_index: None,
            closed_ms: None,
            retained_bytes: 0,
            last_arrival_ms: None,
            evicted: 0,
            memory,
            unsettled: 0,
            write_window: Window::default(),
        }
    }

    /// Index that the next appended record receives.
    pub(crate) fn next_index(&self) -> u64 {
        self.mem_first + self.entries.len() as u64
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

    /// Records in memory.
    pub(crate) fn len(&self) -> u64 {
        self.entries.len() as u64
    }

    /// Payload bytes in memory.
    pub(crate) fn retained_bytes(&self) -> u64 {
        self.retained_bytes
    }

    /// Bytes this log holds: records in memory and, with a journal, its frame index.
    pub(crate) fn held_bytes(&self) -> u64 {
        self.memory_bytes() + self.frames.len() as u64 * FRAME_INDEX_BYTES
    }

    /// Bytes of records in memory, which shedding can free.
    pub(crate) fn memory_bytes(&self) -> u64 {
        self.retained_bytes + self.entries.len() as u64 * RECORD_OVERHEAD_BYTES
    }

    /// Records evicted early (memory-only mode).
    pub(crate) fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Arrival of the newest record appended, epoch ms.
    pub(crate) fn last_arrival_ms(&self) -> Option<u64> {
        self.last_arrival_ms
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
            // Chunks grow from small to ARENA_CHUNK, so a shard with little traffic does not
            // pin a whole chunk.
            let chunk = (self.arena.capacity() * 2).clamp(ARENA_FIRST_CHUNK, ARENA_CHUNK);
            self.arena = BytesMut::with_capacity(chunk.max(len));
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
        self.last_arrival_ms = Some(arrival_ms);
        self.unsettled += len as u64 + RECORD_OVERHEAD_BYTES;
        index
    }

    /// Notes the journal frame that holds records just appended.
    pub(crate) fn push_frame(&mut self, frame: FrameRef) {
        self.frames.push(frame);
        self.unsettled += FRAME_INDEX_BYTES;
    }

    /// Adds what was appended since the last call to the engine's memory account: once per
    /// put call and shard, so concurrent puts do not contend on the account per record.
    pub(crate) fn settle(&mut self) {
        self.memory.add(std::mem::take(&mut self.unsettled));
    }

    /// Recovery: indexes a frame found in the journal without loading its records. Frames of
    /// one shard come in index order; a frame wholly before the end is a duplicate, and after
    /// a gap only an empty log may start where its frame says.
    pub(crate) fn recover_frame(&mut self, frame: FrameRef) {
        let end = frame.first_index + u64::from(frame.count);
        if end <= self.next_index() || frame.count == 0 {
            return;
        }
        if frame.first_index > self.next_index() {
            if self.frames.len() > 0 || self.entries.len() > 0 {
                return;
            }
            self.first_index = frame.first_index;
        }
        self.mem_first = end;
        self.last_arrival_ms = Some(frame.last_arrival_ms);
        self.push_frame(frame);
        self.settle();
    }

    fn entry(&self, index: u64) -> Option<&Entry> {
        let rel = index.checked_sub(self.mem_first)?;
        self.entries.get(usize::try_from(rel).ok()?)
    }

    /// The frame holding record `index`, if indexed.
    fn frame_of(&self, index: u64) -> Option<(usize, FrameRef)> {
        let pos = self
            .frames
            .partition_point(|f| f.first_index + u64::from(f.count) <= index);
        let f = *self.frames.get(pos)?;
        (f.first_index <= index).then_some((pos, f))
    }

    /// Arrival time of the record at `index`, when known without reading the journal.
    pub(crate) fn arrival_ms(&self, index: u64) -> Option<u64> {
        if index < self.first_index {
            return None;
        }
        if let Some(e) = self.entry(index) {
            return Some(e.arrival_ms);
        }
        let (_, f) = self.frame_of(index)?;
        if index == f.first_index || f.first_arrival_ms == f.last_arrival_ms {
            Some(f.first_arrival_ms)
        } else if index + 1 == f.first_index + u64::from(f.count) {
            Some(f.last_arrival_ms)
        } else {
            None
        }
    }

    /// Arrival time of the oldest retained record (of its frame, when it is on disk only).
    pub(crate) fn first_arrival_ms(&self) -> Option<u64> {
        if self.first_index >= self.next_index() {
            return None;
        }
        self.arrival_ms(self.first_index).or_else(|| {
            self.frame_of(self.first_index)
                .map(|(_, f)| f.first_arrival_ms)
        })
    }

    /// Where the first retained record that arrived at or after `ts_ms` is (records are
    /// appended in arrival order, so binary searches work).
    pub(crate) fn index_at_timestamp(&self, ts_ms: u64) -> TimestampLookup {
        let in_memory = self.entries.partition_point(|e| e.arrival_ms < ts_ms) as u64;
        if in_memory > 0 || self.first_index >= self.mem_first {
            return TimestampLookup::Exact(self.mem_first + in_memory);
        }
        // Every record in memory arrived at or after `ts_ms`: the answer is on disk, or is
        // the first record in memory.
        let pos = self.frames.partition_point(|f| f.last_arrival_ms < ts_ms);
        match self.frames.get(pos) {
            Some(f) if f.first_index < self.mem_first => {
                if f.first_arrival_ms >= ts_ms {
                    TimestampLookup::Exact(f.first_index.max(self.first_index))
                } else {
                    TimestampLookup::InFrame(*f)
                }
            }
            _ => TimestampLookup::Exact(self.mem_first),
        }
    }

    /// Drops records that arrived before `cutoff_ms`; returns how many.
    pub(crate) fn trim_before(&mut self, cutoff_ms: u64) -> u64 {
        self.settle();
        let before = self.first_index;
        let mut freed = 0;
        // Whole frames go once their newest record is past retention. A frame that straddles
        // the cutoff stays; reads skip its expired records.
        while let Some(f) = self.frames.get(0) {
            if f.last_arrival_ms >= cutoff_ms {
                break;
            }
            self.frames.pop_front();
            freed += FRAME_INDEX_BYTES;
        }
        let new_first = match self.frames.get(0) {
            Some(f) => f.first_index.max(self.first_index),
            None if self.memory.durable() => self.next_index(),
            None => self.first_index,
        };
        while let Some(e) = self.entries.get(0) {
            if self.mem_first >= new_first && e.arrival_ms >= cutoff_ms {
                break;
            }
            freed += self.pop_oldest_in_memory();
        }
        self.first_index = if self.memory.durable() {
            new_first
        } else {
            self.mem_first
        };
        self.memory.sub(freed);
        self.first_index - before
    }

    /// Drops the oldest record in memory (there must be one); returns the bytes it held. The
    /// caller settles the account with `memory.sub`.
    fn pop_oldest_in_memory(&mut self) -> u64 {
        let size = self.entries.get(0).map_or(0, |e| e.payload.len() as u64);
        self.retained_bytes -= size;
        self.entries.pop_front();
        self.mem_first += 1;
        size + RECORD_OVERHEAD_BYTES
    }

    /// Frees at least `bytes` of the oldest records in memory (or all of them); returns the
    /// records and bytes freed. With a journal they are still read from disk; without one they
    /// are gone and counted as evicted.
    pub(crate) fn shed(&mut self, bytes: u64) -> (u64, u64) {
        self.settle();
        let (mut records, mut freed) = (0, 0);
        while freed < bytes && self.entries.len() > 0 {
            freed += self.pop_oldest_in_memory();
            records += 1;
        }
        if !self.memory.durable() {
            self.first_index = self.mem_first;
            self.evicted += records;
        }
        self.memory.sub(freed);
        (records, freed)
    }

    /// Plans a read of up to `limit` records starting at `from` and at most `max_bytes` of
    /// data (always at least one record when one is there).
    pub(crate) fn plan_read(
        &self,
        from: u64,
        limit: usize,
        max_bytes: usize,
        make_seq: impl Fn(u64, u64) -> SequenceNumber,
    ) -> ReadPlan {
        let from = from.max(self.first_index);
        if from >= self.mem_first {
            let (records, next) = self.read_memory(from, limit, max_bytes, make_seq);
            return ReadPlan::Memory(records, next);
        }
        let Some((mut pos, _)) = self.frame_of(from) else {
            return ReadPlan::Memory(Vec::new(), from);
        };
        let (mut records, mut bytes, mut frames) = (0u64, 0u64, Vec::new());
        while let Some(f) = self.frames.get(pos) {
            if records >= limit as u64 || bytes >= max_bytes as u64 {
                break;
            }
            records += (f.first_index + u64::from(f.count)).saturating_sub(from.max(f.first_index));
            bytes += u64::from(f.len);
            frames.push(*f);
            pos += 1;
        }
        ReadPlan::Disk { frames, from }
    }

    fn read_memory(
        &self,
        from: u64,
        limit: usize,
        max_bytes: usize,
        make_seq: impl Fn(u64, u64) -> SequenceNumber,
    ) -> (Vec<Record>, u64) {
        let mut out = Vec::with_capacity(limit.min(self.len() as usize));
        let mut pos = from.max(self.mem_first);
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

    /// Reads from memory only, as `plan_read` does when the records are there (tests).
    #[cfg(test)]
    pub(crate) fn read(
        &self,
        from: u64,
        limit: usize,
        max_bytes: usize,
        make_seq: impl Fn(u64, u64) -> SequenceNumber,
    ) -> (Vec<Record>, u64) {
        self.read_memory(from.max(self.first_index), limit, max_bytes, make_seq)
    }
}

/// Turns frames read back from the journal into records from index `from` on: at most `limit`
/// records and `max_bytes` of data (at least one record when there is one). Every frame must
/// be the one its index entry describes, checksum included, or the read fails.
pub(crate) fn records_from_frames(
    refs: &[FrameRef],
    bufs: &[Bytes],
    from: u64,
    limit: usize,
    max_bytes: usize,
    make_seq: impl Fn(u64, u64) -> SequenceNumber,
) -> Result<(Vec<Record>, u64), String> {
    let mut out = Vec::new();
    let mut pos = from;
    let mut bytes = 0usize;
    'frames: for (r, buf) in refs.iter().zip(bufs) {
        let (batch, _) = parse_frame(buf).ok_or_else(|| {
            format!(
                "journal frame at segment {} offset {} is corrupt",
                r.segment, r.offset
            )
        })?;
        if batch.first_index != r.first_index || batch.records.len() != r.count as usize {
            return Err(format!(
                "journal frame at segment {} offset {} is not the indexed one",
                r.segment, r.offset
            ));
        }
        for (index, (arrival, pk, data)) in (batch.first_index..).zip(batch.records) {
            if index < pos {
                continue;
            }
            if out.len() >= limit || (!out.is_empty() && bytes + pk.len() + data.len() > max_bytes)
            {
                break 'frames;
            }
            // The partition key and the data lie side by side in the frame: one slice of the
            // buffer holds both, as in memory.
            let start = pk.as_ptr() as usize - buf.as_ptr() as usize;
            bytes += pk.len() + data.len();
            out.push(Record {
                sequence: make_seq(index, arrival),
                arrival_ms: arrival,
                payload: buf.slice(start..start + pk.len() + data.len()),
                pk_len: u16::try_from(pk.len()).unwrap_or(u16::MAX),
            });
            pos = index + 1;
        }
    }
    Ok((out, pos))
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
    /// Bumped after records are appended, the shard closes or a subscription to it is taken
    /// over, so enhanced fan-out subscribers wait for news instead of polling.
    pub(crate) news: tokio::sync::watch::Sender<u64>,
}

impl Shard {
    pub(crate) fn new(
        index: u32,
        range: HashRange,
        parent: Option<String>,
        adjacent_parent: Option<String>,
        created_secs: u64,
        memory: &Arc<RecordMemory>,
    ) -> Shard {
        Shard {
            index,
            id: shard_id(index),
            range,
            parent,
            adjacent_parent,
            created_secs,
            log: RwLock::new(ShardLog::new(memory.clone())),
            read_gauge: Mutex::new(ReadGauge::new()),
            news: tokio::sync::watch::Sender::new(0),
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

    /// Wakes whoever waits on this shard's news.
    pub(crate) fn announce(&self) {
        self.news.send_modify(|n| *n = n.wrapping_add(1));
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
                let arrival = log.last_arrival_ms().unwrap_or(self.created_secs * 1000);
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

/// A shard id as AWS writes it back in messages: the index padded (`shardId-5` and
/// `anything-5` become `shardId-000000000005`), or the text as given when it has no index.
pub fn padded_shard_id(id: &str) -> String {
    parse_shard_id(id).map_or_else(|| id.to_string(), shard_id)
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
        let mut log = ShardLog::new(Arc::new(RecordMemory::new(u64::MAX, false)));
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
        let at = |ts| match log.index_at_timestamp(ts) {
            TimestampLookup::Exact(i) => i,
            TimestampLookup::InFrame(_) => panic!("no frames in memory-only mode"),
        };
        assert_eq!(at(1000 + 2000), 2000);
        assert_eq!(at(0), 1500);
        assert_eq!(at(99_999), 3000);
    }

    #[test]
    fn byte_cap_returns_at_least_one_record() {
        let mut log = ShardLog::new(Arc::new(RecordMemory::new(u64::MAX, false)));
        log.append("k", &[0u8; 100], 1);
        log.append("k", &[0u8; 100], 1);
        let (recs, _) = log.read(0, 10, 50, seq);
        assert_eq!(recs.len(), 1);
        let (recs, _) = log.read(0, 10, 202, seq);
        assert_eq!(recs.len(), 2);
    }

    #[test]
    fn write_window_limits() {
        let mut log = ShardLog::new(Arc::new(RecordMemory::new(u64::MAX, false)));
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
