//! One queue: its identity, settings, tags and messages, and the counts of its messages by
//! state.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;

use crate::attributes::Settings;
use crate::message::{Held, Messages};

/// Counts of a queue's messages by state, at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Depth {
    /// Available for retrieval.
    pub visible: usize,
    /// Received, not yet deleted, still hidden.
    pub in_flight: usize,
    /// Within their delivery delay.
    pub delayed: usize,
    /// Age of the oldest message, in seconds, if there is one.
    pub oldest_age_secs: Option<u64>,
}

pub(crate) struct Queue {
    pub(crate) name: String,
    pub(crate) url: String,
    pub(crate) arn: String,
    pub(crate) created_secs: u64,
    pub(crate) last_modified_secs: Mutex<u64>,
    pub(crate) settings: RwLock<Settings>,
    pub(crate) tags: RwLock<BTreeMap<String, String>>,
    pub(crate) messages: Mutex<Messages>,
    /// Woken when a message is sent, made visible early, or the queue is deleted, so that
    /// long polls return at once.
    pub(crate) arrived: Notify,
    /// When PurgeQueue last ran, epoch ms.
    pub(crate) last_purge_ms: Mutex<Option<u64>>,
}

impl Queue {
    /// A new empty queue, created at `now_ms`, its messages counted in `held`.
    pub(crate) fn new(
        name: &str,
        url: String,
        arn: String,
        settings: Settings,
        tags: BTreeMap<String, String>,
        now_ms: u64,
        held: Arc<Held>,
    ) -> Queue {
        let now_secs = now_ms / 1000;
        Queue {
            name: name.to_string(),
            url,
            arn,
            created_secs: now_secs,
            last_modified_secs: Mutex::new(now_secs),
            settings: RwLock::new(settings),
            tags: RwLock::new(tags),
            messages: Mutex::new(Messages::new(held)),
            arrived: Notify::new(),
            last_purge_ms: Mutex::new(None),
        }
    }

    /// How long messages are kept, in ms.
    pub(crate) fn retention_ms(&self) -> u64 {
        u64::from(self.settings.read().message_retention_period) * 1000
    }

    /// The queue's messages by state at `now` (epoch ms), after dropping expired ones.
    pub(crate) fn depth(&self, now: u64) -> Depth {
        let retention = self.retention_ms();
        let mut messages = self.messages.lock();
        messages.expire(now, retention);
        let mut depth = Depth::default();
        for m in messages.by_seq.values() {
            if m.visible_at_ms <= now {
                depth.visible += 1;
            } else if m.receive_count > 0 {
                depth.in_flight += 1;
            } else {
                depth.delayed += 1;
            }
        }
        depth.oldest_age_secs = messages
            .by_seq
            .values()
            .next()
            .map(|m| now.saturating_sub(m.sent_ms) / 1000);
        depth
    }
}

/// Whether `name` is a valid standard queue name: 1 to 80 letters, digits, `-` and `_`.
pub(crate) fn valid_queue_name(name: &str) -> bool {
    (1..=80).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `id` is a valid batch entry id: 1 to 80 letters, digits, `-` and `_`.
pub fn valid_batch_id(id: &str) -> bool {
    valid_queue_name(id)
}
