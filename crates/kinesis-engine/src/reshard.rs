//! Resharding: SplitShard, MergeShards and UpdateShardCount.
//!
//! As on AWS, a call only checks its arguments and puts the stream in UPDATING: the layout
//! stays as it was (DescribeStream and ListShards show the old shards, puts go to them)
//! until the update delay is over. The change waits in [`PendingReshard`] and is applied by
//! the first access after that ([`Engine::settle_reshard`]), which closes the parents and
//! opens the children under the stream's exclusive lock, then writes the new layout to disk
//! before the lock is released, so no put can reach a child shard the metadata does not
//! know yet. Children are created with a creation time later than their parents', which
//! makes their sequence numbers sort after the parents'.

use std::sync::Arc;

use crate::hash::HashRange;
use crate::shard::{Shard, parse_shard_id};
use crate::{
    Engine, EngineError, Result, Stream, StreamMode, StreamState, StreamStatus, Transition,
};

/// A layout change accepted and waiting for its stream's UPDATING phase to end.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum PendingReshard {
    /// SplitShard of the shard with this index at this hash key (decimal, as JSON holds
    /// no 128-bit numbers).
    Split { shard: u32, at: String },
    /// MergeShards of these two shards.
    Merge { shard: u32, adjacent: u32 },
    /// UpdateShardCount to this many open shards.
    Scale { target: u32 },
}

/// UpdateShardCount calls allowed per stream in a rolling 24 hours.
pub const SCALING_CALLS_PER_DAY: usize = 10;
/// Shards a stream may have open.
pub const MAX_SHARDS_PER_STREAM: u32 = 10_000;

impl Engine {
    fn on_demand_refusal(&self, stream: &Stream) -> EngineError {
        EngineError::Validation(format!(
            "Request is invalid. Stream {} under account {} is in On-Demand mode.",
            stream.name,
            self.account()
        ))
    }

    /// Puts the stream in UPDATING for the update delay; with no delay the pending change is
    /// applied at once.
    fn begin_update(&self, st: &mut StreamState) {
        let now = self.now_ms();
        st.settles_at_ms = self.settle_time(now, Transition::Update);
        st.status = if st.settles_at_ms > now {
            StreamStatus::Updating
        } else {
            self.apply_reshard_locked(st);
            StreamStatus::Active
        };
    }

    /// A shard id that is not an index, named as the request gave it.
    pub(crate) fn shard_not_found_as_given(&self, shard_id: &str, stream: &str) -> EngineError {
        EngineError::ResourceNotFound(format!(
            "Could not find shard {shard_id} in stream {stream} under account {}.",
            self.account()
        ))
    }

    fn find_open_shard<'a>(
        &self,
        stream: &Stream,
        st: &'a StreamState,
        shard_id: &str,
    ) -> Result<&'a Arc<Shard>> {
        let shard = parse_shard_id(shard_id)
            .and_then(|i| st.shards.get(i as usize))
            .ok_or_else(|| {
                EngineError::ResourceNotFound(format!(
                    "Could not find shard {} in stream {} under account {}.",
                    crate::shard::padded_shard_id(shard_id),
                    stream.name,
                    self.account()
                ))
            })?;
        if shard.log.read().is_closed() {
            return Err(EngineError::InvalidArgument(format!(
                "Shard {} in stream {} under account {} has already been merged or split, and thus is not eligible for merging or splitting.",
                shard.id,
                stream.name,
                self.account()
            )));
        }
        Ok(shard)
    }

    /// Creation time (epoch seconds) for children of `parents`: now, but always after them.
    fn child_created_secs(&self, parents: &[&Arc<Shard>]) -> u64 {
        let newest_parent = parents.iter().map(|p| p.created_secs).max().unwrap_or(0);
        (self.now_ms() / 1000).max(newest_parent + 1)
    }

    fn split_locked(&self, st: &mut StreamState, shard: &Arc<Shard>, at: u128) {
        let created = self.child_created_secs(&[shard]);
        shard.log.write().close(self.now_ms());
        shard.announce();
        let next = st.shards.len() as u32;
        let lower = HashRange {
            start: shard.range.start,
            end: at - 1,
        };
        let upper = HashRange {
            start: at,
            end: shard.range.end,
        };
        st.shards.push(Arc::new(Shard::new(
            next,
            lower,
            Some(shard.id.clone()),
            None,
            created,
            &self.inner.memory,
        )));
        st.shards.push(Arc::new(Shard::new(
            next + 1,
            upper,
            Some(shard.id.clone()),
            None,
            created,
            &self.inner.memory,
        )));
        st.rebuild_open();
    }

    fn merge_locked(&self, st: &mut StreamState, a: &Arc<Shard>, b: &Arc<Shard>) {
        let created = self.child_created_secs(&[a, b]);
        a.log.write().close(self.now_ms());
        b.log.write().close(self.now_ms());
        a.announce();
        b.announce();
        let next = st.shards.len() as u32;
        let range = HashRange {
            start: a.range.start.min(b.range.start),
            end: a.range.end.max(b.range.end),
        };
        st.shards.push(Arc::new(Shard::new(
            next,
            range,
            Some(a.id.clone()),
            Some(b.id.clone()),
            created,
            &self.inner.memory,
        )));
        st.rebuild_open();
    }

    /// Splits an open shard in two at `new_starting_hash_key`.
    pub fn split_shard(
        &self,
        name: &str,
        shard_id: &str,
        new_starting_hash_key: u128,
    ) -> Result<()> {
        self.split_shard_as_given(name, shard_id, &new_starting_hash_key.to_string())
    }

    /// [`Engine::split_shard`] with NewStartingHashKey as the request wrote it (the digits
    /// AWS's pattern allows, up to 39 of them): a key past 2^128 - 1 is refused as out of
    /// the shard's range, quoting it as given.
    pub fn split_shard_as_given(&self, name: &str, shard_id: &str, key_text: &str) -> Result<()> {
        // A shard id AWS cannot read as an index is reported before the stream is looked at.
        if parse_shard_id(shard_id).is_none() {
            return Err(self.shard_not_found_as_given(shard_id, name));
        }
        let new_starting_hash_key = crate::hash::parse_hash_key(key_text);
        let stream = self.stream(name)?;
        let st = stream.state.write();
        if st.mode == StreamMode::OnDemand {
            return Err(self.on_demand_refusal(&stream));
        }
        self.require_active(&stream, &st)?;
        let shard = self.find_open_shard(&stream, &st, shard_id)?.clone();
        let r = shard.range;
        let Some(new_starting_hash_key) =
            new_starting_hash_key.filter(|k| *k > r.start.saturating_add(1) && *k < r.end)
        else {
            return Err(EngineError::InvalidArgument(format!(
                "NewStartingHashKey {key_text} used in SplitShard() on shard {} in stream {name} under account {} is not both greater than one plus the shard's StartingHashKey {} and less than the shard's EndingHashKey {}.",
                shard.id,
                self.account(),
                r.start,
                r.end
            )));
        };
        drop(st);
        let open = self.open_shards_in_account();
        let mut st = stream.state.write();
        if open + 1 > self.inner.config.shard_quota {
            return Err(self.shard_limit_error(open, 1));
        }
        if shard.log.read().is_closed() {
            return Err(self
                .find_open_shard(&stream, &st, shard_id)
                .err()
                .unwrap_or_else(|| EngineError::Internal("shard closed concurrently".into())));
        }
        st.pending_reshard = Some(PendingReshard::Split {
            shard: shard.index,
            at: new_starting_hash_key.to_string(),
        });
        self.begin_update(&mut st);
        self.persist(&stream, &st)
    }

    /// Merges two adjacent open shards into one.
    pub fn merge_shards(&self, name: &str, shard_id: &str, adjacent_id: &str) -> Result<()> {
        for id in [shard_id, adjacent_id] {
            if parse_shard_id(id).is_none() {
                return Err(self.shard_not_found_as_given(id, name));
            }
        }
        let stream = self.stream(name)?;
        let mut st = stream.state.write();
        if st.mode == StreamMode::OnDemand {
            return Err(self.on_demand_refusal(&stream));
        }
        self.require_active(&stream, &st)?;
        let a = self.find_open_shard(&stream, &st, shard_id)?.clone();
        let b = self.find_open_shard(&stream, &st, adjacent_id)?.clone();
        // AWS merges only in hash-key order: AdjacentShardToMerge must start right after
        // ShardToMerge ends; the same pair given the other way round is refused.
        let adjacent = a.index != b.index && a.range.end.checked_add(1) == Some(b.range.start);
        if !adjacent {
            return Err(EngineError::InvalidArgument(format!(
                "Shards {} and {} in stream {name} under account {} are not an adjacent pair of shards eligible for merging",
                a.id,
                b.id,
                self.account()
            )));
        }
        st.pending_reshard = Some(PendingReshard::Merge {
            shard: a.index,
            adjacent: b.index,
        });
        self.begin_update(&mut st);
        self.persist(&stream, &st)
    }

    /// Scales a stream to `target` open shards of equal size, through splits and merges so
    /// that every shard keeps at most two parents. Returns the open shard count before.
    pub fn update_shard_count(&self, name: &str, target: u32) -> Result<u32> {
        let stream = self.stream(name)?;
        let mut st = stream.state.write();
        if st.mode == StreamMode::OnDemand {
            return Err(self.on_demand_refusal(&stream));
        }
        self.require_active(&stream, &st)?;
        let current = st.open_count();
        if target > current.saturating_mul(2) {
            return Err(EngineError::LimitExceeded(format!(
                "UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: {current}, Target shard count: {target}"
            )));
        }
        if target.saturating_mul(2) < current {
            return Err(EngineError::LimitExceeded(format!(
                "UpdateShardCount cannot scale down below half your current open shard count. Current open shard count: {current}, Target shard count: {target}"
            )));
        }
        if target > MAX_SHARDS_PER_STREAM {
            return Err(EngineError::LimitExceeded(format!(
                "Target shard count or number of open shards cannot be greater than {MAX_SHARDS_PER_STREAM}. Current open shard count: {current}, Target shard count: {target}"
            )));
        }
        let now = self.now_ms();
        st.scaling_calls_ms
            .retain(|&t| now.saturating_sub(t) < 86_400_000);
        if st.scaling_calls_ms.len() >= SCALING_CALLS_PER_DAY {
            return Err(EngineError::LimitExceeded(format!(
                "Stream {name} under account {} has already been scaled {SCALING_CALLS_PER_DAY} times in the last 24 hours.",
                self.account()
            )));
        }
        drop(st);
        let others = self.open_shards_in_account() - current;
        let mut st = stream.state.write();
        if others + target > self.inner.config.shard_quota {
            return Err(self.shard_limit_error(others + current, target.saturating_sub(current)));
        }
        st.pending_reshard = Some(PendingReshard::Scale { target });
        st.scaling_calls_ms.push(now);
        self.begin_update(&mut st);
        self.persist(&stream, &st)?;
        Ok(current)
    }

    /// Applies the stream's pending layout change once its UPDATING phase is over (the
    /// status itself settles by time). Called on every access to a stream by name.
    pub(crate) fn settle_reshard(&self, stream: &Stream) -> Result<()> {
        let due =
            |st: &StreamState| st.pending_reshard.is_some() && self.now_ms() >= st.settles_at_ms;
        if !due(&stream.state.read()) {
            return Ok(());
        }
        let mut st = stream.state.write();
        if !due(&st) {
            return Ok(());
        }
        self.apply_reshard_locked(&mut st);
        self.persist(stream, &st)
    }

    /// Applies the pending change, if any, to the layout.
    fn apply_reshard_locked(&self, st: &mut StreamState) {
        let Some(pending) = st.pending_reshard.take() else {
            return;
        };
        let shard = |st: &StreamState, index: u32| st.shards.get(index as usize).cloned();
        match pending {
            PendingReshard::Split { shard: index, at } => {
                if let (Some(parent), Some(at)) =
                    (shard(st, index), crate::hash::parse_hash_key(&at))
                {
                    self.split_locked(st, &parent, at);
                }
            }
            PendingReshard::Merge {
                shard: a,
                adjacent: b,
            } => {
                if let (Some(a), Some(b)) = (shard(st, a), shard(st, b)) {
                    self.merge_locked(st, &a, &b);
                }
            }
            PendingReshard::Scale { target } => self.scale_locked(st, target),
        }
    }

    /// Reaches `target` open shards of equal size through splits and merges, so that every
    /// shard keeps at most two parents. It walks the goal ranges from the lowest hash key
    /// up, as AWS does: first split the shard holding the range's upper boundary, then merge
    /// the pieces inside the range, left to right, into one. Scaling 4 shards to 3 this way
    /// gives the shard ids AWS gives (shardId-…6, …9 and …10 open). A uniform layout needs a
    /// split at every new boundary and a merge for every old one, so this is also the fewest
    /// short-lived shards any uniform rescaling can create.
    fn scale_locked(&self, st: &mut StreamState, target: u32) {
        let goal = HashRange::split_evenly(target);
        for (i, g) in goal.iter().enumerate() {
            if let Some(next) = goal.get(i + 1) {
                let owner = st.route(next.start).cloned();
                if let Some(shard) = owner
                    && shard.range.start != next.start
                {
                    self.split_locked(st, &shard, next.start);
                }
            }
            loop {
                let inside: Vec<Arc<Shard>> = st
                    .open
                    .iter()
                    .map(|&i| st.shards[i].clone())
                    .filter(|s| s.range.start >= g.start && s.range.end <= g.end)
                    .collect();
                if inside.len() < 2 {
                    break;
                }
                self.merge_locked(st, &inside[0], &inside[1]);
            }
        }
    }
}
