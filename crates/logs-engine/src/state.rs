//! What the engine holds, and the changes that make it: one [`Change`] per operation that
//! alters state, applied by [`apply`] both as the operation runs and when the journal is
//! replayed at start, so a reopened engine holds exactly what the closed one did.
//!
//! A change carries everything that depends on when or how it was made (the engine's clock
//! at the time, the events a batch accepted), so [`apply`] needs nothing else. Expiry by
//! retention is the one thing done beside the changes, by reads; it only drops events that
//! any later [`apply`] at a later time would drop too, and a retention change first expires
//! under the retention it replaces, so replaying without those reads reaches the same state.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

pub(crate) const DAY_MS: i64 = 86_400_000;

/// One stored event (its stream is the one holding it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Event {
    /// When it happened, epoch ms.
    #[serde(rename = "t")]
    pub(crate) timestamp_ms: i64,
    /// When it was stored, epoch ms.
    #[serde(rename = "i")]
    pub(crate) ingestion_ms: i64,
    /// Its place in the engine's order of arrival.
    #[serde(rename = "s")]
    pub(crate) seq: u64,
    /// The message.
    #[serde(rename = "m")]
    pub(crate) message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stream {
    pub(crate) created_ms: i64,
    /// Sorted by (timestamp, seq).
    pub(crate) events: VecDeque<Event>,
    pub(crate) last_ingestion_ms: i64,
    pub(crate) uploads: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Group {
    pub(crate) created_ms: i64,
    pub(crate) retention_days: Option<u32>,
    pub(crate) tags: BTreeMap<String, String>,
    pub(crate) class: String,
    pub(crate) kms_key_id: Option<String>,
    pub(crate) deletion_protection: bool,
    pub(crate) streams: BTreeMap<String, Stream>,
    /// Events in all its streams.
    pub(crate) events: usize,
}

impl Group {
    pub(crate) fn stored_bytes(&self) -> u64 {
        self.streams
            .values()
            .flat_map(|s| s.events.iter())
            .map(|e| e.message.len() as u64)
            .sum()
    }

    /// Drops the events older than the retention at `now`.
    pub(crate) fn expire(&mut self, now: i64) {
        let Some(days) = self.retention_days else {
            return;
        };
        let oldest = now - i64::from(days) * DAY_MS;
        let mut dropped = 0;
        for stream in self.streams.values_mut() {
            while stream
                .events
                .front()
                .is_some_and(|e| e.timestamp_ms < oldest)
            {
                stream.events.pop_front();
                dropped += 1;
            }
        }
        self.events -= dropped;
    }

    /// Drops the oldest event of the group; false when it has none.
    pub(crate) fn drop_oldest(&mut self) -> bool {
        let oldest = self
            .streams
            .values_mut()
            .filter(|s| !s.events.is_empty())
            .min_by_key(|s| s.events.front().map(|e| (e.timestamp_ms, e.seq)));
        match oldest.and_then(|s| s.events.pop_front()) {
            Some(_) => {
                self.events -= 1;
                true
            }
            None => false,
        }
    }
}

/// Everything the engine holds: the snapshot's content.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct State {
    pub(crate) groups: BTreeMap<String, Group>,
    pub(crate) next_seq: u64,
    /// Events dropped to keep groups within their bound.
    pub(crate) dropped: u64,
}

impl State {
    /// Drops each group's oldest events until it holds at most `max`, counting them.
    pub(crate) fn bound(&mut self, group: &str, max: usize) {
        let Some(g) = self.groups.get_mut(group) else {
            return;
        };
        while g.events > max.max(1) && g.drop_oldest() {
            self.dropped += 1;
        }
    }
}

/// One change to the state, as the journal keeps it (one JSON line each).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum Change {
    /// CreateLogGroup at `at`.
    CreateGroup {
        name: String,
        at: i64,
        tags: BTreeMap<String, String>,
        class: String,
        kms_key_id: Option<String>,
        deletion_protection: bool,
    },
    /// DeleteLogGroup.
    DeleteGroup { name: String },
    /// CreateLogStream at `at`.
    CreateStream {
        group: String,
        stream: String,
        at: i64,
    },
    /// DeleteLogStream.
    DeleteStream { group: String, stream: String },
    /// A PutLogEvents batch stored at `at`: the events it accepted, as (timestamp,
    /// message), possibly none (the upload still counts for the sequence token).
    PutEvents {
        group: String,
        stream: String,
        at: i64,
        events: Vec<(i64, String)>,
    },
    /// PutRetentionPolicy (`Some`) or DeleteRetentionPolicy (`None`) at `at`.
    Retention {
        group: String,
        at: i64,
        days: Option<u32>,
    },
    /// TagLogGroup / TagResource: the tags added or replaced.
    Tag {
        group: String,
        tags: Vec<(String, String)>,
    },
    /// UntagLogGroup / UntagResource.
    Untag { group: String, keys: Vec<String> },
    /// PutLogGroupDeletionProtection.
    DeletionProtection { group: String, enabled: bool },
}

/// Applies `change` to `state`, each group keeping at most `max_events` events. The engine
/// checks a change before making it, so a change naming a missing group or stream is one the
/// journal holds from a state that no longer matches; it is ignored.
pub(crate) fn apply(state: &mut State, change: Change, max_events: usize) {
    match change {
        Change::CreateGroup {
            name,
            at,
            tags,
            class,
            kms_key_id,
            deletion_protection,
        } => {
            state.groups.insert(
                name,
                Group {
                    created_ms: at,
                    retention_days: None,
                    tags,
                    class,
                    kms_key_id,
                    deletion_protection,
                    streams: BTreeMap::new(),
                    events: 0,
                },
            );
        }
        Change::DeleteGroup { name } => {
            state.groups.remove(&name);
        }
        Change::CreateStream { group, stream, at } => {
            if let Some(g) = state.groups.get_mut(&group) {
                g.streams.insert(
                    stream,
                    Stream {
                        created_ms: at,
                        events: VecDeque::new(),
                        last_ingestion_ms: 0,
                        uploads: 0,
                    },
                );
            }
        }
        Change::DeleteStream { group, stream } => {
            if let Some(g) = state.groups.get_mut(&group)
                && let Some(s) = g.streams.remove(&stream)
            {
                g.events -= s.events.len();
            }
        }
        Change::PutEvents {
            group,
            stream,
            at,
            events,
        } => {
            let next_seq = &mut state.next_seq;
            let Some(g) = state.groups.get_mut(&group) else {
                return;
            };
            g.expire(at);
            let Some(s) = g.streams.get_mut(&stream) else {
                return;
            };
            s.uploads += 1;
            let accepted = events.len();
            for (timestamp_ms, message) in events {
                let event = Event {
                    timestamp_ms,
                    ingestion_ms: at,
                    seq: *next_seq,
                    message,
                };
                *next_seq += 1;
                // Batches arrive in order within themselves, not always after earlier ones.
                let place = s
                    .events
                    .partition_point(|x| (x.timestamp_ms, x.seq) <= (timestamp_ms, event.seq));
                s.events.insert(place, event);
            }
            if accepted > 0 {
                s.last_ingestion_ms = at;
            }
            g.events += accepted;
            state.bound(&group, max_events);
        }
        Change::Retention { group, at, days } => {
            if let Some(g) = state.groups.get_mut(&group) {
                // What expired under the old retention stays gone under the new one.
                g.expire(at);
                g.retention_days = days;
            }
        }
        Change::Tag { group, tags } => {
            if let Some(g) = state.groups.get_mut(&group) {
                g.tags.extend(tags);
            }
        }
        Change::Untag { group, keys } => {
            if let Some(g) = state.groups.get_mut(&group) {
                for k in keys {
                    g.tags.remove(&k);
                }
            }
        }
        Change::DeletionProtection { group, enabled } => {
            if let Some(g) = state.groups.get_mut(&group) {
                g.deletion_protection = enabled;
            }
        }
    }
}
