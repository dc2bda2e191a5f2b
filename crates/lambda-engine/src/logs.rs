//! A function's log: every line its instances print, with Lambda's own `START`, `END` and
//! `REPORT` lines, in order, each with the log stream (one per instance, as in CloudWatch
//! Logs) that wrote it.
//!
//! A function keeps at most [`LambdaConfig::max_log_events`](crate::LambdaConfig) lines
//! (`--max-function-log-events`, [`DEFAULT_MAX_EVENTS`] by default); each line past that
//! drops the oldest, and [`LogStore::dropped`] counts the lines dropped. Lines keep their
//! index (the count of lines written before them), so a reader that asks for the lines
//! [`since`](LogStore::since) an index it saw gets what is left of them.
//!
//! With a state directory ([`LambdaConfig::state_dir`](crate::LambdaConfig)) each function's
//! lines are also journaled (`state-journal`, under `logs/<function>`) as they are written, so
//! `/aws/lambda/<function>` reads the same after a restart; the journal is folded into a
//! snapshot of the kept lines when it outgrows them.

use std::collections::VecDeque;
use std::path::Path;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use state_journal::{Journal, JournalError};

use crate::timing::Time;

/// One log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// The lines a function keeps, and how many it dropped: what the journal's snapshot holds.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Kept {
    dropped: usize,
    events: VecDeque<LogEvent>,
}

impl Kept {
    /// Appends `event`, dropping the oldest line past `max`.
    fn push(&mut self, event: LogEvent, max: usize) {
        while self.events.len() >= max {
            self.events.pop_front();
            self.dropped += 1;
        }
        self.events.push_back(event);
    }
}

/// A function's log lines.
pub struct LogStore {
    kept: Mutex<Kept>,
    /// How many lines are kept (at least 1).
    max: usize,
    time: Time,
    /// Where the lines are journaled, with a state directory.
    journal: Option<Journal<LogEvent>>,
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
            kept: Mutex::new(Kept::default()),
            max: max.max(1),
            time,
            journal: None,
        }
    }

    /// The log of function `name` journaled in `dir`, with the lines it kept before (within
    /// `max`, so a smaller bound drops the oldest).
    pub(crate) fn open(
        time: Time,
        max: usize,
        dir: &Path,
        name: &str,
    ) -> Result<LogStore, JournalError> {
        let max = max.max(1);
        let (kept, journal) = Journal::open(dir, name, |kept: &mut Kept, event| {
            kept.push(event, max);
        })?;
        let mut kept: Kept = kept;
        while kept.events.len() > max {
            kept.events.pop_front();
            kept.dropped += 1;
        }
        Ok(LogStore {
            kept: Mutex::new(kept),
            max,
            time,
            journal: Some(journal),
        })
    }

    /// Appends a line (journaled first, with a state directory: a failure to write it is
    /// logged, and the line is still kept in memory).
    pub fn push(&self, stream: &str, message: String) {
        let event = LogEvent {
            timestamp_ms: self.time.now_ms(),
            stream: stream.to_string(),
            message,
        };
        let mut kept = self.kept.lock();
        if let Some(journal) = &self.journal {
            let written = journal.append(&event).and_then(|()| {
                if journal.wants_compaction() {
                    let mut next = Kept {
                        dropped: kept.dropped,
                        events: kept.events.clone(),
                    };
                    next.push(event.clone(), self.max);
                    journal.compact(&next)?;
                }
                Ok(())
            });
            if let Err(e) = written {
                tracing::error!(error = %e, "journaling a function log line failed");
            }
        }
        kept.push(event, self.max);
    }

    /// How many lines were dropped to keep the log within its bound.
    pub fn dropped(&self) -> usize {
        self.kept.lock().dropped
    }

    /// Lines written so far (the index the next line gets).
    pub fn len(&self) -> usize {
        let kept = self.kept.lock();
        kept.dropped + kept.events.len()
    }

    /// Whether nothing was ever written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lines from index `from` on.
    pub fn since(&self, from: usize) -> Vec<LogEvent> {
        let kept = self.kept.lock();
        let start = from.saturating_sub(kept.dropped).min(kept.events.len());
        kept.events.range(start..).cloned().collect()
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
    fn journaled_lines_and_the_dropped_count_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let log = LogStore::open(Time::System, 3, dir.path(), "fn").unwrap();
        for i in 0..4 {
            log.push("s1", format!("line {i}"));
        }
        let before = log.since(0);
        drop(log);
        let log = LogStore::open(Time::System, 3, dir.path(), "fn").unwrap();
        assert_eq!(log.since(0), before);
        assert_eq!((log.len(), log.dropped()), (4, 1));
        log.push("s2", "after".into());
        drop(log);
        // A smaller bound at open drops the oldest, counted.
        let log = LogStore::open(Time::System, 2, dir.path(), "fn").unwrap();
        let messages: Vec<String> = log.since(0).into_iter().map(|e| e.message).collect();
        assert_eq!(messages, ["line 3", "after"]);
        assert_eq!(log.dropped(), 3);
        assert_eq!(log.since(4)[0].stream, "s2");
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
