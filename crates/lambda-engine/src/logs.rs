//! A function's log: every line its instances print, with Lambda's own `START`, `END` and
//! `REPORT` lines, in order, each with the log stream (one per instance, as in CloudWatch
//! Logs) that wrote it.

use parking_lot::Mutex;

use crate::timing::Time;

/// One log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// When it was written, epoch ms.
    pub timestamp_ms: i64,
    /// The log stream (`2024/01/01/[$LATEST]<instance id>`).
    pub stream: String,
    /// The line, without its newline.
    pub message: String,
}

/// The most lines kept per function; the oldest go first.
pub const MAX_EVENTS: usize = 100_000;

/// A function's log lines.
pub struct LogStore {
    events: Mutex<(usize, Vec<LogEvent>)>,
    time: Time,
}

impl std::fmt::Debug for LogStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogStore")
            .field("len", &self.len())
            .finish()
    }
}

impl LogStore {
    /// An empty log whose lines are stamped by `time`.
    pub(crate) fn new(time: Time) -> LogStore {
        LogStore {
            events: Mutex::new((0, Vec::new())),
            time,
        }
    }

    /// Appends a line.
    pub fn push(&self, stream: &str, message: String) {
        let mut guard = self.events.lock();
        let (dropped, events) = &mut *guard;
        events.push(LogEvent {
            timestamp_ms: self.time.now_ms(),
            stream: stream.to_string(),
            message,
        });
        if events.len() > MAX_EVENTS {
            let excess = events.len() - MAX_EVENTS;
            events.drain(..excess);
            *dropped += excess;
        }
    }

    /// Lines written so far (the index the next line gets).
    pub fn len(&self) -> usize {
        let guard = self.events.lock();
        guard.0 + guard.1.len()
    }

    /// Whether nothing was ever written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lines from index `from` on.
    pub fn since(&self, from: usize) -> Vec<LogEvent> {
        let guard = self.events.lock();
        let (dropped, events) = &*guard;
        events[from.saturating_sub(*dropped).min(events.len())..].to_vec()
    }
}
