//! Forming a PutRecords batch: records taken shard by shard within each shard's write budget,
//! one Kinesis record in flight per partition key, KPL aggregates packed per key.

use std::sync::Arc;
use std::time::Instant;

use crate::kpl;

use super::*;

impl Sender {
    /// Takes records shard by shard into one PutRecords batch.
    pub(super) fn form_batch(&mut self, now: Instant) -> Vec<Outgoing> {
        let mut batch: Vec<Outgoing> = Vec::new();
        let mut batch_bytes = 0usize;
        let max_records = self.config.max_batch_records.clamp(1, MAX_BATCH_RECORDS);
        let max_bytes = self.config.max_batch_bytes.clamp(1, MAX_BATCH_BYTES);
        let shard_count = self.shard_queues.len();
        // Start at a rotating shard so no shard is always last.
        let start = (now.elapsed().as_nanos() as usize).wrapping_add(self.stats.put_calls as usize)
            % shard_count.max(1);
        'shards: for step in 0..shard_count {
            let shard = (start + step) % shard_count;
            loop {
                if batch.len() >= max_records || batch_bytes >= max_bytes {
                    break 'shards;
                }
                let Some(out) = self.take_from_shard(shard, max_bytes - batch_bytes, now) else {
                    continue 'shards;
                };
                batch_bytes += out.size();
                batch.push(out);
            }
        }
        let taken: usize = batch.iter().map(|o| o.entries.len()).sum();
        let taken_bytes: usize = batch.iter().flat_map(|o| &o.entries).map(Entry::size).sum();
        self.waiting -= taken.min(self.waiting);
        self.waiting_bytes -= taken_bytes.min(self.waiting_bytes);
        // The oldest record still ready decides when the next batch is due.
        self.first_waiting = self
            .shard_queues
            .iter()
            .filter_map(|q| {
                let key = q.ready.front()?;
                Some(q.keys.get(key)?.entries.front()?.arrived)
            })
            .min();
        batch
    }

    /// The next Kinesis record from a shard's ready keys, if its budget allows one that fits
    /// in `room` bytes.
    pub(super) fn take_from_shard(
        &mut self,
        shard: usize,
        room: usize,
        now: Instant,
    ) -> Option<Outgoing> {
        let shard_id = self
            .shards
            .shard(shard)
            .map(|s| s.shard_id.clone())
            .unwrap_or_default();
        if self.config.aggregation {
            self.take_aggregate(shard, shard_id, room, now)
        } else {
            self.take_plain(shard, shard_id, room, now)
        }
    }

    /// The first record of the first ready key of a shard, as one Kinesis record.
    pub(super) fn take_plain(
        &mut self,
        shard: usize,
        shard_id: String,
        room: usize,
        now: Instant,
    ) -> Option<Outgoing> {
        let queue = self.shard_queues.get_mut(shard)?;
        let key = queue.ready.front()?.clone();
        let kq = queue.keys.get_mut(&key)?;
        let size = kq.entries.front()?.size();
        if size > room {
            return None;
        }
        if self.config.shard_rate_limit && !self.shards.try_take(shard, size, now) {
            return None;
        }
        queue.ready.pop_front();
        let entry = kq.entries.pop_front()?;
        kq.busy = true;
        Some(Outgoing {
            shard,
            shard_id,
            keys: vec![key],
            partition_key: entry.record.partition_key.clone(),
            explicit_hash_key: entry.record.explicit_hash_key.clone(),
            data: entry.record.data.clone(),
            entries: vec![entry],
        })
    }

    /// Packs ready keys of one shard into a KPL aggregate, in the order the keys became ready
    /// and each key's records in order. A key whose records do not all fit stays busy with the
    /// rest waiting, so its next aggregate leaves only after this one is settled.
    pub(super) fn take_aggregate(
        &mut self,
        shard: usize,
        shard_id: String,
        room: usize,
        now: Instant,
    ) -> Option<Outgoing> {
        let mut limit = room.min(MAX_RECORD_BYTES);
        if self.config.shard_rate_limit {
            let (bytes, records) = self.shards.available(shard, now);
            if records < 1.0 {
                return None;
            }
            limit = limit.min(bytes as usize);
        }
        let queue = self.shard_queues.get_mut(shard)?;
        let mut agg = kpl::Aggregator::new();
        let mut entries: Vec<Entry> = Vec::new();
        let mut keys: Vec<Arc<str>> = Vec::new();
        // The aggregate's own partition key is its first record's.
        let mut outer_key_len: Option<usize> = None;
        while let Some(key) = queue.ready.front().cloned() {
            let Some(kq) = queue.keys.get_mut(&key) else {
                queue.ready.pop_front();
                continue;
            };
            let mut took = 0;
            while let Some(e) = kq.entries.front() {
                let rec = e.user_record();
                let outer = outer_key_len.unwrap_or(rec.partition_key.len());
                if agg.size_with(&rec) + outer > limit {
                    break;
                }
                outer_key_len = Some(outer);
                agg.push(rec);
                if let Some(e) = kq.entries.pop_front() {
                    entries.push(e);
                }
                took += 1;
            }
            if took == 0 {
                break;
            }
            queue.ready.pop_front();
            kq.busy = true;
            let full = !kq.entries.is_empty();
            keys.push(key);
            if full {
                break;
            }
        }
        if entries.is_empty() {
            // Nothing fits an aggregate: the first record alone is too big to be wrapped (or
            // the shard's budget is short). Send it plain if the budget allows.
            let queue = self.shard_queues.get_mut(shard)?;
            let key = queue.ready.front()?.clone();
            let size = queue.keys.get(&key)?.entries.front()?.size();
            if size > room || size <= limit.saturating_sub(64) {
                return None;
            }
            return self.take_plain(shard, shard_id, room, now);
        }
        let out = agg.finish()?;
        if self.config.shard_rate_limit {
            self.shards
                .take(shard, out.data.len() + out.partition_key.len(), now);
        }
        Some(Outgoing {
            shard,
            shard_id,
            keys,
            entries,
            partition_key: out.partition_key,
            explicit_hash_key: out.explicit_hash_key,
            data: out.data,
        })
    }
}
