//! CloudWatch Logs without HTTP: the log groups users create, their log streams and the
//! events `PutLogEvents` stores in them.
//!
//! [`LogsEngine`] is the entry point (cheap to clone; one lock over its state). It checks
//! what CloudWatch Logs checks beyond the request's schema, with its texts ([`LogsError`]
//! carries the code): a batch in chronological order, within 1,048,576 bytes counting 26 bytes
//! per event and spanning at most 24 hours; events more than 14 days old, older than the
//! group's retention or more than 2 hours ahead are left out and reported
//! ([`Rejected`]), as AWS does. Retention takes the values AWS allows ([`RETENTION_DAYS`]);
//! expired events are dropped as they are read or written.
//!
//! Each stored batch is published in the `AWS/Logs` metrics (`IncomingBytes`,
//! `IncomingLogEvents`, per group and for the account), and every event that is an Embedded
//! Metric Format document becomes metrics through [`emf::record`], the one path Lambda's
//! function output takes too.
//!
//! A group keeps at most [`LogsConfig::max_events_per_group`] events; past it the oldest go
//! first and are counted in [`LogsEngine::dropped_events`].
//!
//! [`LogsEngine::open`] keeps the engine in a directory through `state-journal`
//! (`logs.snapshot.json` plus `logs.journal`): every change (group or stream created or
//! deleted, a batch's accepted events, retention, tags) is one journal line written before
//! the call returns, so what was acknowledged survives the process being killed, and a
//! restart replays it to the same groups, streams, events, tokens and counters.
//! [`LogsEngine::maintain`] (housekeeping) makes it durable against power loss and folds
//! the journal into a new snapshot once it outgrows it. On disk, as in memory, the engine
//! is bounded by its groups, streams and events per group.
//!
//! ```
//! use std::sync::Arc;
//! use logs_engine::{InputEvent, LogsConfig, LogsEngine};
//! use metric_store::Store;
//!
//! let store = Arc::new(Store::new());
//! let logs = LogsEngine::new(LogsConfig::default(), store.clone());
//! logs.create_group("app", &[]).unwrap();
//! logs.create_stream("app", "web-1").unwrap();
//! let now = store.now_ms() as i64;
//! let put = logs
//!     .put_events("app", "web-1", &[InputEvent { timestamp_ms: now, message: "hello".into() }])
//!     .unwrap();
//! assert_eq!(put.stored, 1);
//! assert_eq!(logs.events("app", None).unwrap()[0].message, "hello");
//! ```

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod emf;
mod error;
mod state;

use std::path::Path;
use std::sync::Arc;

use metric_store::Store;
use metric_store::catalog::logs as logs_metrics;
use parking_lot::Mutex;
use state_journal::Journal;
use time_source::Clock;

use crate::state::{Change, DAY_MS, Group, State};

pub use error::LogsError;

/// The retention periods, in days, a log group may have.
pub const RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The most bytes one PutLogEvents batch may hold, counting [`EVENT_OVERHEAD_BYTES`] per event.
pub const MAX_BATCH_BYTES: usize = 1_048_576;
/// What each event adds to a batch's size beside its message.
pub const EVENT_OVERHEAD_BYTES: usize = 26;
/// The most bytes one event may hold (its message plus [`EVENT_OVERHEAD_BYTES`]).
pub const MAX_EVENT_BYTES: usize = 1_048_576;
/// How far apart the accepted events of one batch may be.
pub const MAX_BATCH_SPAN_MS: i64 = 24 * 3_600_000;
/// How old an event may be.
pub const MAX_AGE_MS: i64 = 14 * 86_400_000;
/// How far ahead an event may be.
pub const MAX_AHEAD_MS: i64 = 2 * 3_600_000;
/// The events a group keeps by default.
pub const DEFAULT_MAX_EVENTS_PER_GROUP: usize = 100_000;
/// Log groups one engine keeps: with the per-group event bound, what bounds all the events
/// it holds (AWS's own quota is far higher; this is streamwatch's bound on memory).
pub const MAX_LOG_GROUPS: usize = 1_000;
/// Log streams one group keeps (streamwatch's bound; AWS sets none).
pub const MAX_STREAMS_PER_GROUP: usize = 10_000;

/// The name of the engine's files in its directory (`logs.snapshot.json`, `logs.journal`).
const JOURNAL_NAME: &str = "logs";

/// Where the engine is and what it keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsConfig {
    /// The region in ARNs.
    pub region: String,
    /// The account in ARNs.
    pub account_id: String,
    /// The events each group keeps (at least 1); the oldest go first.
    pub max_events_per_group: usize,
}

impl Default for LogsConfig {
    fn default() -> LogsConfig {
        LogsConfig {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            max_events_per_group: DEFAULT_MAX_EVENTS_PER_GROUP,
        }
    }
}

/// One event as PutLogEvents sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputEvent {
    /// When it happened, epoch ms.
    pub timestamp_ms: i64,
    /// The message.
    pub message: String,
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The stream it was put in.
    pub stream: String,
    /// When it happened, epoch ms.
    pub timestamp_ms: i64,
    /// When it was stored, epoch ms.
    pub ingestion_ms: i64,
    /// Its place in the engine's order of arrival (unique, increasing).
    pub seq: u64,
    /// The message.
    pub message: String,
}

/// The events of a PutLogEvents batch left out, as indexes into the batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rejected {
    /// The index of the first event more than 2 hours ahead (inclusive).
    pub too_new_start: Option<usize>,
    /// The end of the events more than 14 days old (exclusive).
    pub too_old_end: Option<usize>,
    /// The end of the events older than the group's retention (exclusive).
    pub expired_end: Option<usize>,
}

impl Rejected {
    /// Whether no event was left out.
    pub fn is_empty(&self) -> bool {
        *self == Rejected::default()
    }
}

/// What a PutLogEvents call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutOutcome {
    /// The token AWS still returns (and no longer asks for).
    pub next_sequence_token: String,
    /// The events left out.
    pub rejected: Rejected,
    /// How many events were stored.
    pub stored: usize,
    /// How many metric values EMF documents among them produced.
    pub emf_values: usize,
}

/// A log group as DescribeLogGroups shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    /// The name.
    pub name: String,
    /// When it was created, epoch ms.
    pub created_ms: i64,
    /// Its retention in days; `None` keeps events forever.
    pub retention_days: Option<u32>,
    /// The message bytes it holds.
    pub stored_bytes: u64,
    /// `STANDARD`, `INFREQUENT_ACCESS`, ...
    pub class: String,
    /// The KMS key it was created with.
    pub kms_key_id: Option<String>,
    /// Whether deletion protection was asked for.
    pub deletion_protection: bool,
}

/// A log stream as DescribeLogStreams shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    /// The name.
    pub name: String,
    /// When it was created, epoch ms.
    pub created_ms: i64,
    /// The earliest and latest event times and the last ingestion time, once it has events.
    pub events: Option<(i64, i64, i64)>,
    /// The token of its last upload.
    pub upload_sequence_token: String,
}

/// How a group is created beside its name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupOptions {
    /// Its class (`STANDARD` when not given).
    pub class: Option<String>,
    /// A KMS key, kept and shown.
    pub kms_key_id: Option<String>,
    /// Deletion protection: DeleteLogGroup is refused while it is on.
    pub deletion_protection: bool,
}

struct Inner {
    config: LogsConfig,
    store: Arc<Store>,
    clock: Option<Arc<dyn Clock>>,
    state: Mutex<State>,
    /// Where changes are kept, with a data directory.
    journal: Option<Journal<Change>>,
}

/// The log groups, streams and events users create. Cheap to clone.
#[derive(Clone)]
pub struct LogsEngine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for LogsEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogsEngine")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl LogsEngine {
    /// An empty engine recording into `store`, on the store's clock.
    pub fn new(config: LogsConfig, store: Arc<Store>) -> LogsEngine {
        LogsEngine {
            inner: Arc::new(Inner {
                config,
                store,
                clock: None,
                state: Mutex::new(State::default()),
                journal: None,
            }),
        }
    }

    /// An empty engine on `clock` (the store's clock should be the same one).
    pub fn with_clock(config: LogsConfig, store: Arc<Store>, clock: Arc<dyn Clock>) -> LogsEngine {
        LogsEngine {
            inner: Arc::new(Inner {
                config,
                store,
                clock: Some(clock),
                state: Mutex::new(State::default()),
                journal: None,
            }),
        }
    }

    /// The engine kept in `dir` (created if missing), on `clock`: its groups, streams,
    /// events, retention, tags and counters as they were when it last ran, every change
    /// acknowledged then included. From here on each change is journaled there before it
    /// is acknowledged; call [`LogsEngine::maintain`] from housekeeping. A group holding
    /// more events than `config` now allows loses its oldest.
    pub fn open(
        config: LogsConfig,
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
        dir: &Path,
    ) -> Result<LogsEngine, LogsError> {
        let max = config.max_events_per_group;
        let (mut state, journal) = Journal::open(dir, JOURNAL_NAME, |s: &mut State, c| {
            state::apply(s, c, max);
        })
        .map_err(|e| LogsError::Storage(e.to_string()))?;
        let names: Vec<String> = state.groups.keys().cloned().collect();
        for name in names {
            state.bound(&name, max);
        }
        Ok(LogsEngine {
            inner: Arc::new(Inner {
                config,
                store,
                clock: Some(clock),
                state: Mutex::new(state),
                journal: Some(journal),
            }),
        })
    }

    /// Housekeeping with a data directory: makes the journal durable (fsync) and, once it
    /// has outgrown the snapshot, writes a new snapshot and empties it (holding the state's
    /// lock meanwhile, so no change falls between). Without one, nothing.
    pub fn maintain(&self) -> Result<(), LogsError> {
        let Some(journal) = &self.inner.journal else {
            return Ok(());
        };
        let storage = |e: state_journal::JournalError| LogsError::Storage(e.to_string());
        if journal.wants_compaction() {
            let state = self.inner.state.lock();
            journal.compact(&*state).map_err(storage)?;
        }
        journal.sync().map_err(storage)
    }

    /// Journals `change` (with a data directory) and applies it; the caller holds the
    /// state's lock, so the journal's order is the order of the changes.
    fn commit(&self, state: &mut State, change: Change) -> Result<(), LogsError> {
        if let Some(journal) = &self.inner.journal {
            journal
                .append(&change)
                .map_err(|e| LogsError::Storage(e.to_string()))?;
        }
        state::apply(state, change, self.inner.config.max_events_per_group);
        Ok(())
    }

    /// Its configuration.
    pub fn config(&self) -> &LogsConfig {
        &self.inner.config
    }

    /// The metric store it records into.
    pub fn store(&self) -> &Arc<Store> {
        &self.inner.store
    }

    fn now_ms(&self) -> i64 {
        let ms = match &self.inner.clock {
            Some(c) => c.now_ms(),
            None => self.inner.store.now_ms(),
        };
        i64::try_from(ms).unwrap_or(i64::MAX)
    }

    /// The ARN of log group `name` (without the `:*` DescribeLogGroups adds in `arn`).
    pub fn group_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:logs:{}:{}:log-group:{name}",
            self.inner.config.region, self.inner.config.account_id
        )
    }

    /// Events dropped so far to keep groups within their bound.
    pub fn dropped_events(&self) -> u64 {
        self.inner.state.lock().dropped
    }

    /// Creates log group `name` with `tags`.
    pub fn create_group(&self, name: &str, tags: &[(&str, &str)]) -> Result<(), LogsError> {
        self.create_group_with(name, tags, GroupOptions::default())
    }

    /// Creates log group `name` with `tags` and `options`.
    pub fn create_group_with(
        &self,
        name: &str,
        tags: &[(&str, &str)],
        options: GroupOptions,
    ) -> Result<(), LogsError> {
        if name.len() > 512 {
            return Err(LogsError::NameTooLong);
        }
        let now = self.now_ms();
        let mut state = self.inner.state.lock();
        if state.groups.contains_key(name) {
            return Err(LogsError::GroupAlreadyExists);
        }
        if state.groups.len() >= MAX_LOG_GROUPS {
            return Err(LogsError::LimitExceeded);
        }
        let change = Change::CreateGroup {
            name: name.to_string(),
            at: now,
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
            class: options.class.unwrap_or_else(|| "STANDARD".into()),
            kms_key_id: options.kms_key_id,
            deletion_protection: options.deletion_protection,
        };
        self.commit(&mut state, change)
    }

    /// Deletes log group `name` with its streams and events, unless its deletion
    /// protection is on ([`LogsError::DeletionProtected`]).
    pub fn delete_group(&self, name: &str) -> Result<(), LogsError> {
        let mut state = self.inner.state.lock();
        let g = state.groups.get(name).ok_or(LogsError::GroupNotFound)?;
        if g.deletion_protection {
            return Err(LogsError::DeletionProtected);
        }
        let change = Change::DeleteGroup {
            name: name.to_string(),
        };
        self.commit(&mut state, change)
    }

    /// Whether log group `name` exists.
    pub fn has_group(&self, name: &str) -> bool {
        self.inner.state.lock().groups.contains_key(name)
    }

    /// Every group, in name order.
    pub fn groups(&self) -> Vec<GroupInfo> {
        let now = self.now_ms();
        let mut state = self.inner.state.lock();
        state
            .groups
            .iter_mut()
            .map(|(name, g)| {
                g.expire(now);
                info(name, g)
            })
            .collect()
    }

    /// Group `name`.
    pub fn group(&self, name: &str) -> Option<GroupInfo> {
        let now = self.now_ms();
        let mut state = self.inner.state.lock();
        let g = state.groups.get_mut(name)?;
        g.expire(now);
        Some(info(name, g))
    }

    /// Creates stream `stream` in group `group`.
    pub fn create_stream(&self, group: &str, stream: &str) -> Result<(), LogsError> {
        if group.len() > 512 || stream.len() > 512 {
            return Err(LogsError::NameTooLong);
        }
        let now = self.now_ms();
        let mut state = self.inner.state.lock();
        let g = state
            .groups
            .get_mut(group)
            .ok_or(LogsError::GroupNotFound)?;
        if g.streams.contains_key(stream) {
            return Err(LogsError::StreamAlreadyExists);
        }
        if g.streams.len() >= MAX_STREAMS_PER_GROUP {
            return Err(LogsError::LimitExceeded);
        }
        let change = Change::CreateStream {
            group: group.to_string(),
            stream: stream.to_string(),
            at: now,
        };
        self.commit(&mut state, change)
    }

    /// Deletes stream `stream` of group `group` with its events.
    pub fn delete_stream(&self, group: &str, stream: &str) -> Result<(), LogsError> {
        let mut state = self.inner.state.lock();
        let g = state.groups.get(group).ok_or(LogsError::GroupNotFound)?;
        if !g.streams.contains_key(stream) {
            return Err(LogsError::StreamNotFound);
        }
        let change = Change::DeleteStream {
            group: group.to_string(),
            stream: stream.to_string(),
        };
        self.commit(&mut state, change)
    }

    /// The streams of group `group`, in name order.
    pub fn streams(&self, group: &str) -> Result<Vec<StreamInfo>, LogsError> {
        let now = self.now_ms();
        let mut state = self.inner.state.lock();
        let g = state
            .groups
            .get_mut(group)
            .ok_or(LogsError::GroupNotFound)?;
        g.expire(now);
        Ok(g.streams
            .iter()
            .map(|(name, s)| StreamInfo {
                name: name.clone(),
                created_ms: s.created_ms,
                events: match (s.events.front(), s.events.back()) {
                    (Some(first), Some(last)) => {
                        Some((first.timestamp_ms, last.timestamp_ms, s.last_ingestion_ms))
                    }
                    _ => None,
                },
                upload_sequence_token: sequence_token(s.uploads),
            })
            .collect())
    }

    /// The events of group `group` (of its stream `stream` only, when given), by time and
    /// then arrival.
    pub fn events(&self, group: &str, stream: Option<&str>) -> Result<Vec<StoredEvent>, LogsError> {
        let now = self.now_ms();
        let mut state = self.inner.state.lock();
        let g = state
            .groups
            .get_mut(group)
            .ok_or(LogsError::GroupNotFound)?;
        g.expire(now);
        let stored = |name: &str, e: &state::Event| StoredEvent {
            stream: name.to_string(),
            timestamp_ms: e.timestamp_ms,
            ingestion_ms: e.ingestion_ms,
            seq: e.seq,
            message: e.message.clone(),
        };
        let mut events: Vec<StoredEvent> = match stream {
            Some(name) => {
                let s = g.streams.get(name).ok_or(LogsError::StreamNotFound)?;
                s.events.iter().map(|e| stored(name, e)).collect()
            }
            None => g
                .streams
                .iter()
                .flat_map(|(name, s)| s.events.iter().map(move |e| stored(name, e)))
                .collect(),
        };
        if stream.is_none() {
            events.sort_by_key(|e| (e.timestamp_ms, e.seq));
        }
        Ok(events)
    }

    /// Sets group `group`'s retention to `days`, one of [`RETENTION_DAYS`].
    pub fn put_retention(&self, group: &str, days: i64) -> Result<(), LogsError> {
        let days = u32::try_from(days)
            .ok()
            .filter(|d| RETENTION_DAYS.contains(d))
            .ok_or(LogsError::InvalidRetention)?;
        self.set_retention(group, Some(days))
    }

    /// Sets or removes group `group`'s retention. Events already past the old retention
    /// stay gone under the new one.
    fn set_retention(&self, group: &str, days: Option<u32>) -> Result<(), LogsError> {
        let now = self.now_ms();
        let mut state = self.inner.state.lock();
        if !state.groups.contains_key(group) {
            return Err(LogsError::GroupNotFound);
        }
        let change = Change::Retention {
            group: group.to_string(),
            at: now,
            days,
        };
        self.commit(&mut state, change)
    }

    /// Turns group `group`'s deletion protection on or off (PutLogGroupDeletionProtection).
    pub fn set_deletion_protection(&self, group: &str, enabled: bool) -> Result<(), LogsError> {
        let mut state = self.inner.state.lock();
        if !state.groups.contains_key(group) {
            return Err(LogsError::GroupNotFound);
        }
        let change = Change::DeletionProtection {
            group: group.to_string(),
            enabled,
        };
        self.commit(&mut state, change)
    }

    /// Removes group `group`'s retention: its events are kept forever.
    pub fn delete_retention(&self, group: &str) -> Result<(), LogsError> {
        self.set_retention(group, None)
    }

    /// Adds or replaces tags of group `group`; a group holds at most 50.
    pub fn tag_group(&self, group: &str, tags: &[(&str, &str)]) -> Result<(), LogsError> {
        let mut state = self.inner.state.lock();
        let g = state.groups.get(group).ok_or(LogsError::GroupNotFound)?;
        let added = tags.iter().filter(|(k, _)| !g.tags.contains_key(*k));
        let added: std::collections::BTreeSet<&str> = added.map(|(k, _)| *k).collect();
        if g.tags.len() + added.len() > 50 {
            return Err(LogsError::TooManyTags(self.group_arn(group)));
        }
        let change = Change::Tag {
            group: group.to_string(),
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
        };
        self.commit(&mut state, change)
    }

    /// Removes tags `keys` of group `group` (keys it lacks are ignored).
    pub fn untag_group(&self, group: &str, keys: &[&str]) -> Result<(), LogsError> {
        let mut state = self.inner.state.lock();
        if !state.groups.contains_key(group) {
            return Err(LogsError::GroupNotFound);
        }
        let change = Change::Untag {
            group: group.to_string(),
            keys: keys.iter().map(|k| (*k).to_string()).collect(),
        };
        self.commit(&mut state, change)
    }

    /// The tags of group `group`, in key order.
    pub fn tags(&self, group: &str) -> Result<Vec<(String, String)>, LogsError> {
        let state = self.inner.state.lock();
        let g = state.groups.get(group).ok_or(LogsError::GroupNotFound)?;
        Ok(g.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    /// Checks a PutLogEvents batch as CloudWatch Logs does and stores the events it
    /// accepts in stream `stream` of group `group`: events too old (14 days, or the group's
    /// retention) or too new (2 hours ahead) are left out and reported. Every stored event
    /// that is an EMF document becomes metrics, at the document's timestamp.
    pub fn put_events(
        &self,
        group: &str,
        stream: &str,
        events: &[InputEvent],
    ) -> Result<PutOutcome, LogsError> {
        let mut previous = i64::MIN;
        let mut batch_bytes = 0;
        for e in events {
            if e.timestamp_ms < previous {
                return Err(LogsError::NotChronological);
            }
            previous = e.timestamp_ms;
            let size = e.message.len() + EVENT_OVERHEAD_BYTES;
            if size > MAX_EVENT_BYTES {
                return Err(LogsError::EventTooLarge(size));
            }
            batch_bytes += size;
        }
        if batch_bytes > MAX_BATCH_BYTES {
            return Err(LogsError::BatchTooLarge(batch_bytes));
        }
        let now = self.now_ms();
        let mut guard = self.inner.state.lock();
        let state = &mut *guard;
        let g = state.groups.get(group).ok_or(LogsError::GroupNotFound)?;
        if !g.streams.contains_key(stream) {
            return Err(LogsError::StreamNotFound);
        }
        let too_old = now - MAX_AGE_MS;
        let expired = g
            .retention_days
            .map_or(i64::MIN, |d| now - i64::from(d) * DAY_MS);
        let too_new = now + MAX_AHEAD_MS;
        let mut rejected = Rejected::default();
        let mut accepted = Vec::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            if e.timestamp_ms < too_old {
                rejected.too_old_end = Some(i + 1);
            } else if e.timestamp_ms < expired {
                rejected.expired_end = Some(i + 1);
            } else if e.timestamp_ms > too_new {
                rejected.too_new_start.get_or_insert(i);
            } else {
                accepted.push(e);
            }
        }
        if let (Some(first), Some(last)) = (accepted.first(), accepted.last())
            && last.timestamp_ms - first.timestamp_ms > MAX_BATCH_SPAN_MS
        {
            return Err(LogsError::SpanTooLong);
        }
        let bytes: u64 = accepted.iter().map(|e| e.message.len() as u64).sum();
        let change = Change::PutEvents {
            group: group.to_string(),
            stream: stream.to_string(),
            at: now,
            events: accepted
                .iter()
                .map(|e| (e.timestamp_ms, e.message.clone()))
                .collect(),
        };
        self.commit(state, change)?;
        let uploads = state
            .groups
            .get(group)
            .and_then(|g| g.streams.get(stream))
            .map_or(0, |s| s.uploads);
        let token = sequence_token(uploads);
        // Metrics are recorded outside the lock.
        drop(guard);
        let mut emf_values = 0;
        for e in &accepted {
            if emf::looks_like_emf(&e.message) {
                emf_values += emf::record(&self.inner.store, &e.message);
            }
        }
        if !accepted.is_empty() {
            self.publish(group, now, bytes, accepted.len());
        }
        Ok(PutOutcome {
            next_sequence_token: token,
            rejected,
            stored: accepted.len(),
            emf_values,
        })
    }

    /// `IncomingBytes` and `IncomingLogEvents` of one stored batch, per group and for the
    /// account.
    fn publish(&self, group: &str, now: i64, bytes: u64, events: usize) {
        let at = u64::try_from(now).unwrap_or(0);
        let store = &self.inner.store;
        for dims in [&[("LogGroupName", group)][..], &[]] {
            if let Ok(series) = logs_metrics::INCOMING_BYTES.series(store, dims) {
                series.record(at, bytes as f64);
            }
            if let Ok(series) = logs_metrics::INCOMING_LOG_EVENTS.series(store, dims) {
                series.record(at, events as f64);
            }
        }
    }
}

fn info(name: &str, g: &Group) -> GroupInfo {
    GroupInfo {
        name: name.to_string(),
        created_ms: g.created_ms,
        retention_days: g.retention_days,
        stored_bytes: g.stored_bytes(),
        class: g.class.clone(),
        kms_key_id: g.kms_key_id.clone(),
        deletion_protection: g.deletion_protection,
    }
}

/// A 56-digit token, as AWS's look.
fn sequence_token(uploads: u64) -> String {
    format!("49{uploads:054}")
}

#[cfg(test)]
mod tests;
