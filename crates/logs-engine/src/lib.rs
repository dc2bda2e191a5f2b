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

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use metric_store::Store;
use metric_store::catalog::logs as logs_metrics;
use parking_lot::Mutex;
use time_source::Clock;

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

const DAY_MS: i64 = 86_400_000;

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
    /// Deletion protection, kept and shown (not enforced).
    pub deletion_protection: bool,
}

#[derive(Debug)]
struct Stream {
    created_ms: i64,
    /// Sorted by (timestamp, seq).
    events: VecDeque<StoredEvent>,
    last_ingestion_ms: i64,
    uploads: u64,
}

#[derive(Debug)]
struct Group {
    created_ms: i64,
    retention_days: Option<u32>,
    tags: BTreeMap<String, String>,
    class: String,
    kms_key_id: Option<String>,
    deletion_protection: bool,
    streams: BTreeMap<String, Stream>,
    events: usize,
}

impl Group {
    fn stored_bytes(&self) -> u64 {
        self.streams
            .values()
            .flat_map(|s| s.events.iter())
            .map(|e| e.message.len() as u64)
            .sum()
    }

    /// Drops the events older than the retention at `now`.
    fn expire(&mut self, now: i64) {
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
    fn drop_oldest(&mut self) -> bool {
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

#[derive(Debug, Default)]
struct State {
    groups: BTreeMap<String, Group>,
    next_seq: u64,
    dropped: u64,
}

struct Inner {
    config: LogsConfig,
    store: Arc<Store>,
    clock: Option<Arc<dyn Clock>>,
    state: Mutex<State>,
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
            }),
        }
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
        state.groups.insert(
            name.to_string(),
            Group {
                created_ms: now,
                retention_days: None,
                tags: tags
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                    .collect(),
                class: options.class.unwrap_or_else(|| "STANDARD".into()),
                kms_key_id: options.kms_key_id,
                deletion_protection: options.deletion_protection,
                streams: BTreeMap::new(),
                events: 0,
            },
        );
        Ok(())
    }

    /// Deletes log group `name` with its streams and events.
    pub fn delete_group(&self, name: &str) -> Result<(), LogsError> {
        let mut state = self.inner.state.lock();
        state
            .groups
            .remove(name)
            .map(|_| ())
            .ok_or(LogsError::GroupNotFound)
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
        g.streams.insert(
            stream.to_string(),
            Stream {
                created_ms: now,
                events: VecDeque::new(),
                last_ingestion_ms: 0,
                uploads: 0,
            },
        );
        Ok(())
    }

    /// Deletes stream `stream` of group `group` with its events.
    pub fn delete_stream(&self, group: &str, stream: &str) -> Result<(), LogsError> {
        let mut state = self.inner.state.lock();
        let g = state
            .groups
            .get_mut(group)
            .ok_or(LogsError::GroupNotFound)?;
        let s = g.streams.remove(stream).ok_or(LogsError::StreamNotFound)?;
        g.events -= s.events.len();
        Ok(())
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
        let mut events: Vec<StoredEvent> = match stream {
            Some(name) => {
                let s = g.streams.get(name).ok_or(LogsError::StreamNotFound)?;
                s.events.iter().cloned().collect()
            }
            None => g
                .streams
                .values()
                .flat_map(|s| s.events.iter().cloned())
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
        let mut state = self.inner.state.lock();
        let g = state
            .groups
            .get_mut(group)
            .ok_or(LogsError::GroupNotFound)?;
        g.retention_days = Some(days);
        Ok(())
    }

    /// Removes group `group`'s retention: its events are kept forever.
    pub fn delete_retention(&self, group: &str) -> Result<(), LogsError> {
        let mut state = self.inner.state.lock();
        let g = state
            .groups
            .get_mut(group)
            .ok_or(LogsError::GroupNotFound)?;
        g.retention_days = None;
        Ok(())
    }

    /// Adds or replaces tags of group `group`; a group holds at most 50.
    pub fn tag_group(&self, group: &str, tags: &[(&str, &str)]) -> Result<(), LogsError> {
        let mut state = self.inner.state.lock();
        let g = state
            .groups
            .get_mut(group)
            .ok_or(LogsError::GroupNotFound)?;
        let mut merged = g.tags.clone();
        for (k, v) in tags {
            merged.insert((*k).to_string(), (*v).to_string());
        }
        if merged.len() > 50 {
            return Err(LogsError::TooManyTags(self.group_arn(group)));
        }
        g.tags = merged;
        Ok(())
    }

    /// Removes tags `keys` of group `group` (keys it lacks are ignored).
    pub fn untag_group(&self, group: &str, keys: &[&str]) -> Result<(), LogsError> {
        let mut state = self.inner.state.lock();
        let g = state
            .groups
            .get_mut(group)
            .ok_or(LogsError::GroupNotFound)?;
        for k in keys {
            g.tags.remove(*k);
        }
        Ok(())
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
        let g = state
            .groups
            .get_mut(group)
            .ok_or(LogsError::GroupNotFound)?;
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
        g.expire(now);
        let Some(s) = g.streams.get_mut(stream) else {
            return Err(LogsError::StreamNotFound);
        };
        s.uploads += 1;
        let token = sequence_token(s.uploads);
        let mut bytes = 0u64;
        for e in &accepted {
            let stored = StoredEvent {
                stream: stream.to_string(),
                timestamp_ms: e.timestamp_ms,
                ingestion_ms: now,
                seq: state.next_seq,
                message: e.message.clone(),
            };
            state.next_seq += 1;
            bytes += e.message.len() as u64;
            // Batches arrive in order within themselves, not always after earlier ones.
            let at = s
                .events
                .partition_point(|x| (x.timestamp_ms, x.seq) <= (stored.timestamp_ms, stored.seq));
            s.events.insert(at, stored);
        }
        if !accepted.is_empty() {
            s.last_ingestion_ms = now;
        }
        g.events += accepted.len();
        let max = self.inner.config.max_events_per_group.max(1);
        while g.events > max && g.drop_oldest() {
            state.dropped += 1;
        }
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
