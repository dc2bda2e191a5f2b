//! A function's log: every line its instances print, with Lambda's own `START`, `END` and
//! `REPORT` lines, in order, each with the log stream (one per instance, as in CloudWatch
//! Logs) that wrote it.
//!
//! A function keeps at most [`LambdaConfig::max_log_events`](crate::LambdaConfig) lines
//! (`--max-function-log-events`, [`DEFAULT_MAX_EVENTS`] by default); each line past that
//! drops the oldest, and [`LogStore::dropped`] counts the lines dropped. Lines keep their
//! index (the count of lines written before them), so a reader that asks for the lines
//! [`since`](LogStore::since) an index it saw gets what is left of them.

use std::collections::VecDeque;

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

/// How many lines a function keeps by default; the oldest go first.
pub const DEFAULT_MAX_EVENTS: usize = 100_000;

/// A function's log lines.
pub struct LogStore {
    /// Lines dropped so far, and the lines kept.
    events: Mutex<(usize, VecDeque<LogEvent>)>,
    /// How many lines are kept (at least 1).
    max: usize,
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
    /// An empty log keeping at most `max` lines (at least 1), stamped by `time`.
    pub(crate) fn new(time: Time, max: usize) -> LogStore {
        LogStore {
            events: Mutex::new((0, VecDeque::new())),
            max: max.max(1),
            time,
        }
    }

    /// Appends a line.
    pub fn push(&self, stream: &str, message: String) {
        let mut guard = self.events.lock();
        let (dropped, events) = &mut *guard;
        if events.len() >= self.max {
            events.pop_front();
            *dropped += 1;
        }
        events.push_back(LogEvent {
            timestamp_ms: self.time.now_ms(),
            stream: stream.to_string(),
            message,
        });
    }

    /// How many lines were dropped to keep the log within its bound.
    pub fn dropped(&self) -> usize {
        self.events.lock().0
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
        events
            .range(from.saturating_sub(*dropped).min(events.len())..)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_lines_go_first_and_are_counted() {
        let log = LogStore::new(Time::System, 3);
        for i in 0..5 {
            log.push("s", format!("line {i}"));
        }
        assert_eq!(log.len(), 5);
        assert_eq!(log.dropped(), 2);
        let messages =
            |from| -> Vec<String> { log.since(from).into_iter().map(|e| e.message).collect() };
        assert_eq!(messages(0), ["line 2", "line 3", "line 4"]);
        // Indexes stay those of the lines written: from 3 on is lines 3 and 4.
        assert_eq!(messages(3), ["line 3", "line 4"]);
        assert!(messages(5).is_empty());
        assert!(messages(9).is_empty());
    }

    #[test]
    fn a_bound_of_zero_keeps_one_line() {
        let log = LogStore::new(Time::System, 0);
        log.push("s", "a".into());
        log.push("s", "b".into());
        assert_eq!(log.since(0).len(), 1);
        assert_eq!(log.dropped(), 1);
    }
}
