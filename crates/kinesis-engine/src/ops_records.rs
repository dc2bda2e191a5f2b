//! Data-plane operations: puts, shard iterators and reads.

use std::sync::Arc;

use crate::hash::partition_key_hash;
use crate::iterator::{ITERATOR_TTL_MS, IteratorToken, aws_utc_string};
use crate::journal::FrameRef;
use crate::journal::encode_batch;
use crate::sequence::SequenceNumber;
use crate::shard::{ReadPlan, Record, Shard, TimestampLookup, parse_shard_id, records_from_frames};
use crate::{
    ChildShard, Engine, EngineError, GetRecordsOutput, IteratorStart, MAX_GET_BYTES, PutEntry,
    PutOutcome, Result, Stream, StreamState, StreamStatus,
};

thread_local! {
    /// Reused frame buffer, so a put does not allocate one per call.
    static FRAME: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Engine {
    /// A stream that accepts data: CREATING streams do not exist yet for reads and writes.
    fn data_stream(&self, name: &str) -> Result<Arc<Stream>> {
        let stream = self.stream(name)?;
        if stream.state.read().status_at(self.now_ms()) == StreamStatus::Creating {
            return Err(self.not_found(name));
        }
        Ok(stream)
    }

    fn throttle_message(&self, shard: &Shard, stream: &str) -> String {
        self.record_throttle_message(&shard.id, stream)
    }

    /// AWS's text for a record a shard refused for its throughput: "Rate exceeded for shard
    /// ... in stream ... under account ...".
    pub fn record_throttle_message(&self, shard_id: &str, stream: &str) -> String {
        format!(
            "Rate exceeded for shard {shard_id} in stream {stream} under account {}.",
            self.account()
        )
    }

    /// The id of the open shard of `name` that `entry` would be stored in now (fault
    /// injection names it in a failed record's message without storing the record).
    pub fn shard_owning(&self, name: &str, entry: &PutEntry<'_>) -> Result<String> {
        let stream = self.data_stream(name)?;
        let st = stream.state.read();
        let key = entry
            .explicit_hash_key
            .unwrap_or_else(|| partition_key_hash(entry.partition_key));
        st.route(key)
            .map(|s| s.id.clone())
            .ok_or_else(|| EngineError::Internal(format!("no open shard owns hash key {key}")))
    }

    /// Stores records, each routed to the open shard owning its hash key. Records over a
    /// shard's throughput limit come back as [`PutOutcome::Throttled`]; the others are
    /// durable (per the fsync policy) when this returns.
    pub fn put_records(&self, name: &str, entries: &[PutEntry<'_>]) -> Result<Vec<PutOutcome>> {
        let stream = self.data_stream(name)?;
        let st = stream.state.read();
        let now = self.now_ms();
        let now_sec = now / 1000;

        // Route every record first, then visit each shard once, in order of first use,
        // taking its lock once for all of its records.
        let mut route: Vec<usize> = Vec::with_capacity(entries.len());
        let mut order: Vec<usize> = Vec::new();
        for e in entries {
            let key = e
                .explicit_hash_key
                .unwrap_or_else(|| partition_key_hash(e.partition_key));
            let shard = st.route(key).ok_or_else(|| {
                EngineError::Internal(format!("no open shard owns hash key {key}"))
            })?;
            let idx = shard.index as usize;
            if !order.contains(&idx) {
                order.push(idx);
            }
            route.push(idx);
        }

        let mut outcomes: Vec<Option<PutOutcome>> = vec![None; entries.len()];
        let limits = self.inner.config.shard_limits;
        for shard_idx in order {
            let shard = &st.shards[shard_idx];
            let mut log = shard.log.write();
            let mut admitted: Vec<usize> = Vec::new();
            for (i, e) in entries
                .iter()
                .enumerate()
                .filter(|(i, _)| route[*i] == shard_idx)
            {
                let size = (e.partition_key.len() + e.data.len()) as u64;
                if limits && !log.admit_write(now_sec, size) {
                    outcomes[i] = Some(PutOutcome::Throttled {
                        shard_id: shard.id.clone(),
                        message: self.throttle_message(shard, name),
                    });
                } else {
                    admitted.push(i);
                }
            }
            if admitted.is_empty() {
                continue;
            }
            let first_index = log.next_index();
            let frame_pos = match &self.inner.journal {
                Some(journal) => Some(
                    FRAME
                        .with(|buf| {
                            let mut buf = buf.borrow_mut();
                            buf.clear();
                            encode_batch(
                                &mut buf,
                                name,
                                stream.created_ms,
                                shard.index,
                                first_index,
                                admitted
                                    .iter()
                                    .map(|&i| (now, entries[i].partition_key, entries[i].data)),
                            );
                            journal.append(&buf, now)
                        })
                        .map_err(|e| EngineError::Internal(format!("journal write failed: {e}")))?,
                ),
                None => None,
            };
            for &i in &admitted {
                let e = &entries[i];
                let index = log.append(e.partition_key, e.data, now);
                outcomes[i] = Some(PutOutcome::Stored {
                    shard_id: shard.id.clone(),
                    sequence_number: shard.sequence(index, now).format(),
                });
            }
            if let Some(pos) = frame_pos {
                log.push_frame(FrameRef {
                    segment: pos.segment,
                    offset: pos.offset,
                    len: pos.len,
                    // At most 500 records per call.
                    count: admitted.len() as u32,
                    first_index,
                    first_arrival_ms: now,
                    last_arrival_ms: now,
                });
            }
            log.settle();
            drop(log);
            shard.announce();
        }
        drop(st);
        self.shed_memory();
        // Every record was routed to a shard and every shard visited, so each has an outcome.
        outcomes
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| EngineError::Internal("a record was not routed".into()))
    }

    /// Stores one record, as PutRecord does: the outcome is [`PutOutcome::Throttled`] when the
    /// shard's limit refuses it. `sequence_for_ordering`, when given, must be a sequence number
    /// of this engine.
    pub fn put_record(
        &self,
        name: &str,
        entry: PutEntry<'_>,
        sequence_for_ordering: Option<&str>,
    ) -> Result<PutOutcome> {
        if let Some(seq) = sequence_for_ordering {
            let valid = SequenceNumber::parse(seq)
                .is_some_and(|s| s.arrival_secs <= self.now_ms() / 1000 + 1);
            if !valid {
                return Err(EngineError::InvalidArgument(format!(
                    "ExclusiveMinimumSequenceNumber {seq} used in PutRecord on stream {name} under account {} is invalid.",
                    self.account()
                )));
            }
        }
        self.put_records(name, &[entry])?
            .pop()
            .ok_or_else(|| EngineError::Internal("put returned no outcome".into()))
    }

    pub(crate) fn shard_missing(&self, shard_id: &str, stream: &str) -> EngineError {
        EngineError::ResourceNotFound(format!(
            "Shard {} in stream {stream} under account {} does not exist",
            crate::shard::padded_shard_id(shard_id),
            self.account()
        ))
    }

    /// Issues a shard iterator.
    pub fn get_shard_iterator(
        &self,
        name: &str,
        shard_id: &str,
        start: IteratorStart,
    ) -> Result<String> {
        // AWS names the shard, not the stream, in what it reports missing: an id it cannot
        // read as given, a readable one padded even when the stream is what does not exist.
        if parse_shard_id(shard_id).is_none() {
            return Err(self.shard_not_found_as_given(shard_id, name));
        }
        let stream = self.data_stream(name).map_err(|e| match e {
            EngineError::ResourceNotFound(_) => self.shard_missing(shard_id, name),
            other => other,
        })?;
        let st = stream.state.read();
        let shard = parse_shard_id(shard_id)
            .and_then(|i| st.shards.get(i as usize))
            .ok_or_else(|| self.shard_missing(shard_id, name))?;
        let now = self.now_ms();
        let position = self.start_position(name, shard, &start, "GetShardIterator")?;
        Ok(IteratorToken {
            stream_name: stream.name.clone(),
            stream_created_ms: stream.created_ms,
            shard_index: shard.index,
            position,
            issued_ms: now,
        }
        .encode())
    }

    /// The record index a starting position names in `shard` of stream `name`, checked as
    /// `operation` (GetShardIterator or SubscribeToShard) checks it.
    pub(crate) fn start_position(
        &self,
        name: &str,
        shard: &Shard,
        start: &IteratorStart,
        operation: &str,
    ) -> Result<u64> {
        let now = self.now_ms();
        let log = shard.log.read();
        let position = match start {
            IteratorStart::TrimHorizon => log.first_index(),
            IteratorStart::Latest => log.next_index(),
            IteratorStart::AtTimestamp(ts) => {
                let ts = *ts;
                if ts > now as i64 {
                    return Err(EngineError::InvalidArgument(format!(
                        "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: {ts}, currentTimestampInMillis: {now}"
                    )));
                }
                match log.index_at_timestamp(ts.max(0) as u64) {
                    TimestampLookup::Exact(i) => i,
                    TimestampLookup::InFrame(frame) => {
                        let first = log.first_index();
                        drop(log);
                        self.find_in_frame(frame, ts.max(0) as u64)?.max(first)
                    }
                }
            }
            IteratorStart::AtSequence(seq) | IteratorStart::AfterSequence(seq) => {
                let invalid = |suffix: &str| {
                    EngineError::InvalidArgument(format!(
                        "StartingSequenceNumber {seq} used in {operation} on shard {} in stream {name} under account {} is invalid{suffix}.",
                        shard.id,
                        self.account()
                    ))
                };
                // Kinesis prints the encoded index as a signed 32-bit number, zero-padded.
                let encodes = |index: i64| {
                    EngineError::InvalidArgument(format!(
                        "Invalid StartingSequenceNumber. It encodes shardId-{index:012}, while it was used in a call to a shard with {}",
                        shard.id
                    ))
                };
                let Some(parsed) = SequenceNumber::parse(seq) else {
                    return Err(match crate::sequence::LegacySequence::parse(seq) {
                        Some(l) if l.shard_index != i64::from(shard.index) => {
                            encodes(l.shard_index)
                        }
                        Some(l) if l.version == 0 => EngineError::Internal(String::new()),
                        Some(_) => invalid(" because it did not come from this stream"),
                        None => invalid(""),
                    });
                };
                if parsed.shard_index != shard.index {
                    return Err(encodes(i64::from(parsed.shard_index as i32)));
                }
                if parsed.shard_created_secs != shard.created_secs {
                    return Err(invalid(" because it did not come from this stream"));
                }
                let after = matches!(start, IteratorStart::AfterSequence(_));
                // The continuation number of a subscription that has delivered nothing from
                // a shard's start names the gap before record 0 (see `before_sequence`).
                let before_first = parsed.arrival_secs == 0;
                let pos = parsed
                    .record_index
                    .saturating_add(u64::from(after && !before_first));
                pos.clamp(log.first_index(), log.next_index())
            }
        };
        Ok(position)
    }

    /// Reads records at an iterator.
    pub fn get_records(&self, iterator: &str, limit: usize) -> Result<GetRecordsOutput> {
        let token = IteratorToken::decode(iterator)
            .ok_or_else(|| EngineError::InvalidArgument("Invalid ShardIterator.".into()))?;
        let now = self.now_ms();
        if token.issued_ms > now + 1000 {
            return Err(EngineError::InvalidArgument(
                "Invalid ShardIterator.".into(),
            ));
        }
        if now.saturating_sub(token.issued_ms) > ITERATOR_TTL_MS {
            return Err(EngineError::ExpiredIterator(format!(
                "Iterator expired. The iterator was created at time {} while right now it is {} which is further in the future than the tolerated delay of {ITERATOR_TTL_MS} milliseconds.",
                aws_utc_string(token.issued_ms),
                aws_utc_string(now)
            )));
        }
        let name = token.stream_name.as_str();
        let shard_id = crate::shard_id(token.shard_index);
        let stream = self
            .stream(name)
            .ok()
            .filter(|s| s.created_ms == token.stream_created_ms)
            .ok_or_else(|| self.shard_missing(&shard_id, name))?;
        let st = stream.state.read();
        let shard = st
            .shards
            .get(token.shard_index as usize)
            .ok_or_else(|| self.shard_missing(&shard_id, name))?;

        if self.inner.config.shard_limits && !shard.read_gauge.lock().admit_call(now) {
            return Err(EngineError::ThroughputExceeded(format!(
                "Rate exceeded for Shard - {}/{name}/{}",
                self.account(),
                shard.id
            )));
        }

        let read = self.read_shard(&st, shard, token.position, limit, MAX_GET_BYTES)?;
        if self.inner.config.shard_limits {
            shard.read_gauge.lock().charge(read.bytes);
        }
        let next_iterator = read.child_shards.is_none().then(|| {
            IteratorToken {
                stream_name: token.stream_name.clone(),
                stream_created_ms: token.stream_created_ms,
                shard_index: token.shard_index,
                position: read.next,
                issued_ms: now,
            }
            .encode()
        });
        Ok(GetRecordsOutput {
            records: read.records,
            next_iterator,
            millis_behind_latest: read.millis_behind_latest,
            child_shards: read.child_shards,
            shard_id: shard.id.clone(),
            bytes: read.bytes,
        })
    }

    /// Reads up to `limit` records and `max_bytes` of a shard from index `from` on, skipping
    /// records past retention: what GetRecords and an enhanced fan-out event both deliver.
    pub(crate) fn read_shard(
        &self,
        st: &StreamState,
        shard: &Shard,
        from: u64,
        limit: usize,
        max_bytes: usize,
    ) -> Result<ShardRead> {
        let now = self.now_ms();
        let retention_cutoff = now.saturating_sub(u64::from(st.retention_hours) * 3_600_000);
        let make_seq = |i, arrival| shard.sequence(i, arrival);
        let mut from = from;
        // Records past retention that housekeeping has not dropped yet are never served. In
        // the usual case there are none and the read is planned under the same lock.
        let plan = {
            let log = shard.log.read();
            if log.first_arrival_ms().is_some_and(|t| t < retention_cutoff) {
                Err(log.index_at_timestamp(retention_cutoff))
            } else {
                Ok(log.plan_read(from, limit, max_bytes, make_seq))
            }
        };
        let plan = match plan {
            Ok(plan) => plan,
            Err(expired_until) => {
                from = from.max(match expired_until {
                    TimestampLookup::Exact(i) => i,
                    TimestampLookup::InFrame(frame) => {
                        self.find_in_frame(frame, retention_cutoff)?
                    }
                });
                shard.log.read().plan_read(from, limit, max_bytes, make_seq)
            }
        };
        let (records, next) = match plan {
            ReadPlan::Memory(records, next) => (records, next),
            ReadPlan::Disk { frames, from } => {
                self.read_from_journal(shard, &frames, from, limit)?
            }
        };
        let bytes: u64 = records
            .iter()
            .map(|r| (r.partition_key().len() + r.data().len()) as u64)
            .sum();
        let log = shard.log.read();
        let at_end = log.end_index().is_some_and(|end| next >= end);
        let millis_behind_latest = if at_end || next >= log.next_index() {
            0
        } else {
            let reference = records
                .last()
                .map(|r| r.arrival_ms)
                .or_else(|| log.arrival_ms(next));
            reference.map_or(0, |t| now.saturating_sub(t))
        };
        let child_shards = at_end.then(|| {
            st.shards
                .iter()
                .filter(|c| {
                    c.parent.as_deref() == Some(shard.id.as_str())
                        || c.adjacent_parent.as_deref() == Some(shard.id.as_str())
                })
                .map(|c| ChildShard {
                    shard_id: c.id.clone(),
                    parent_shards: c
                        .parent
                        .iter()
                        .chain(c.adjacent_parent.iter())
                        .cloned()
                        .collect(),
                    hash_range: c.range,
                })
                .collect()
        });
        Ok(ShardRead {
            records,
            next,
            millis_behind_latest,
            child_shards,
            bytes,
        })
    }
}

/// What one read of a shard found.
pub(crate) struct ShardRead {
    pub(crate) records: Vec<Record>,
    /// The index after the last record read.
    pub(crate) next: u64,
    pub(crate) millis_behind_latest: u64,
    /// Set when the read reached the end of a closed shard.
    pub(crate) child_shards: Option<Vec<ChildShard>>,
    /// Partition key and data bytes read.
    pub(crate) bytes: u64,
}

impl Engine {
    fn journal_frames(&self, frames: &[FrameRef]) -> Result<Vec<bytes::Bytes>> {
        let journal = self.inner.journal.as_ref().ok_or_else(|| {
            EngineError::Internal("records on disk but no journal is open".into())
        })?;
        journal
            .read_frames(frames)
            .map_err(|e| EngineError::Internal(format!("journal read failed: {e}")))
    }

    /// Reads frames back from the journal and takes up to `limit` records from `from` on.
    fn read_from_journal(
        &self,
        shard: &Shard,
        frames: &[FrameRef],
        from: u64,
        limit: usize,
    ) -> Result<(Vec<Record>, u64)> {
        let bufs = self.journal_frames(frames)?;
        records_from_frames(frames, &bufs, from, limit, MAX_GET_BYTES, |i, arrival| {
            shard.sequence(i, arrival)
        })
        .map_err(EngineError::Internal)
    }

    /// The index of the first record of `frame` that arrived at or after `ts_ms`, or the
    /// index after the frame when none did.
    fn find_in_frame(&self, frame: FrameRef, ts_ms: u64) -> Result<u64> {
        let bufs = self.journal_frames(&[frame])?;
        let (records, _) = records_from_frames(
            &[frame],
            &bufs,
            frame.first_index,
            usize::MAX,
            usize::MAX,
            |_, _| SequenceNumber::default(),
        )
        .map_err(EngineError::Internal)?;
        Ok(records
            .iter()
            .position(|r| r.arrival_ms >= ts_ms)
            .map_or(frame.first_index + u64::from(frame.count), |p| {
                frame.first_index + p as u64
            }))
    }
}
