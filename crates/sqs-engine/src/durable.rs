//! Queues and messages kept on disk under a data directory, with `state-journal`.
//!
//! Every change an operation makes is appended to the journal as a [`Change`] while the
//! operation still holds the lock that made it, and before it is acknowledged; opening the
//! engine replays the journal onto the last snapshot ([`Stored`]) and builds the queues
//! from the result. The records say what happened, not what was asked: a send carries the
//! message with its id, sequence number and place in the queue, a receive the new receipt
//! handle, count and deadline of each message it handed out. So replay makes exactly the
//! state the engine had: an in-flight message stays hidden until its deadline and its
//! handle still deletes it, FIFO groups keep their order and their deduplication ids.
//!
//! What is not kept: messages past their retention period (dropped when the engine opens,
//! by its clock and the queue's retention then: a message that expired before its queue's
//! retention was raised comes back), the message move tasks (a running one is not resumed;
//! what it moved stays moved), ReceiveRequestAttemptIds (a retry after a restart is a new
//! receive) and the counters of refused sends. A change that cannot be written is refused
//! ([`SqsError::Storage`]); only a receive's or a move's record is let go, as losing it
//! makes a message visible again or puts it back where it was, never loses it. Disk is bounded by what the queues hold
//! ([`SqsConfig::max_held_bytes`](crate::SqsConfig)) plus a journal that
//! [`SqsEngine::maintain_journal`] folds into a new snapshot once it outgrows it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::attributes::Settings;
use crate::fifo::{DedupKey, FifoState, FirstSend};
use crate::message::{Held, Message, Messages};
use crate::queue::Queue;
use crate::{SqsEngine, SqsError};

/// One change to the engine's queues, as the journal holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Change {
    /// A queue was created.
    CreateQueue {
        name: String,
        arn: String,
        created_secs: u64,
        settings: Settings,
        tags: BTreeMap<String, String>,
    },
    /// A queue and its messages were deleted.
    DeleteQueue { queue: String },
    /// A queue's attributes were set (the whole settings after the change).
    SetAttributes {
        queue: String,
        settings: Settings,
        modified_secs: u64,
    },
    /// Tags were added or replaced.
    Tag {
        queue: String,
        tags: BTreeMap<String, String>,
    },
    /// Tags were removed.
    Untag { queue: String, keys: Vec<String> },
    /// A message was stored at `seq`; a FIFO send also remembers its deduplication key.
    Send {
        queue: String,
        seq: u64,
        message: Message,
        dedup: Option<DedupKey>,
    },
    /// A receive handed out these messages.
    Receive { queue: String, taken: Vec<Taken> },
    /// A message was deleted.
    Delete { queue: String, seq: u64 },
    /// A message's visibility deadline changed.
    Visibility {
        queue: String,
        seq: u64,
        visible_at_ms: u64,
    },
    /// Every message of a queue was removed, at `at_ms`.
    Purge { queue: String, at_ms: u64 },
    /// A message left `from` (at `from_seq`) for `to` (at `to_seq`), as `message` now is:
    /// a redrive to the dead-letter queue, a move task's move, or one put back.
    Moved {
        from: String,
        from_seq: u64,
        to: String,
        to_seq: u64,
        message: Message,
    },
}

/// What a receive changed of one message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Taken {
    pub(crate) seq: u64,
    pub(crate) receipt: String,
    pub(crate) visible_at_ms: u64,
    pub(crate) receive_count: u32,
    pub(crate) first_receive_ms: u64,
}

/// Every queue as the snapshot holds it.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stored {
    pub(crate) queues: BTreeMap<String, StoredQueue>,
}

/// One queue as the snapshot holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredQueue {
    pub(crate) arn: String,
    pub(crate) created_secs: u64,
    pub(crate) last_modified_secs: u64,
    pub(crate) settings: Settings,
    pub(crate) tags: BTreeMap<String, String>,
    pub(crate) last_purge_ms: Option<u64>,
    /// The place the next message takes (places are in receipt handles, so they are kept).
    pub(crate) next_seq: u64,
    pub(crate) messages: BTreeMap<u64, Message>,
    pub(crate) fifo: FifoState,
}

impl StoredQueue {
    fn insert(&mut self, seq: u64, message: Message) {
        self.next_seq = self.next_seq.max(seq + 1);
        self.messages.insert(seq, message);
    }
}

/// Applies one journaled change to the stored queues. A change naming a queue that is not
/// there (it was deleted meanwhile) changes nothing.
pub(crate) fn apply(state: &mut Stored, change: Change) {
    let queues = &mut state.queues;
    match change {
        Change::CreateQueue {
            name,
            arn,
            created_secs,
            settings,
            tags,
        } => {
            queues.insert(
                name,
                StoredQueue {
                    arn,
                    created_secs,
                    last_modified_secs: created_secs,
                    settings,
                    tags,
                    last_purge_ms: None,
                    next_seq: 0,
                    messages: BTreeMap::new(),
                    fifo: FifoState::default(),
                },
            );
        }
        Change::DeleteQueue { queue } => {
            queues.remove(&queue);
        }
        Change::SetAttributes {
            queue,
            settings,
            modified_secs,
        } => {
            if let Some(q) = queues.get_mut(&queue) {
                q.settings = settings;
                q.last_modified_secs = modified_secs;
            }
        }
        Change::Tag { queue, tags } => {
            if let Some(q) = queues.get_mut(&queue) {
                q.tags.extend(tags);
            }
        }
        Change::Untag { queue, keys } => {
            if let Some(q) = queues.get_mut(&queue) {
                for k in keys {
                    q.tags.remove(&k);
                }
            }
        }
        Change::Send {
            queue,
            seq,
            message,
            dedup,
        } => {
            if let Some(q) = queues.get_mut(&queue) {
                if let (Some(key), Some(sequence_number)) = (dedup, &message.sequence_number) {
                    q.fifo.after_sequence(sequence_number);
                    q.fifo.remember_key(
                        message.sent_ms,
                        key,
                        FirstSend {
                            message_id: message.id.clone(),
                            sequence_number: sequence_number.clone(),
                        },
                    );
                }
                q.insert(seq, message);
            }
        }
        Change::Receive { queue, taken } => {
            if let Some(q) = queues.get_mut(&queue) {
                for t in taken {
                    if let Some(m) = q.messages.get_mut(&t.seq) {
                        m.receipt = Some(t.receipt);
                        m.visible_at_ms = t.visible_at_ms;
                        m.receive_count = t.receive_count;
                        m.first_receive_ms = t.first_receive_ms;
                    }
                }
            }
        }
        Change::Delete { queue, seq } => {
            if let Some(q) = queues.get_mut(&queue) {
                q.messages.remove(&seq);
            }
        }
        Change::Visibility {
            queue,
            seq,
            visible_at_ms,
        } => {
            if let Some(m) = queues
                .get_mut(&queue)
                .and_then(|q| q.messages.get_mut(&seq))
            {
                m.visible_at_ms = visible_at_ms;
            }
        }
        Change::Purge { queue, at_ms } => {
            if let Some(q) = queues.get_mut(&queue) {
                q.messages.clear();
                q.fifo.forget();
                q.last_purge_ms = Some(at_ms);
            }
        }
        Change::Moved {
            from,
            from_seq,
            to,
            to_seq,
            message,
        } => {
            if let Some(q) = queues.get_mut(&from) {
                q.messages.remove(&from_seq);
            }
            if let Some(q) = queues.get_mut(&to) {
                q.insert(to_seq, message);
            }
        }
    }
}

impl Queue {
    /// The queue as the snapshot holds it.
    pub(crate) fn to_stored(&self) -> StoredQueue {
        // PurgeQueue's order: the purge time, then the messages.
        let last_purge_ms = *self.last_purge_ms.lock();
        let messages = self.messages.lock();
        StoredQueue {
            arn: self.arn.clone(),
            created_secs: self.created_secs,
            last_modified_secs: *self.last_modified_secs.lock(),
            settings: self.settings.read().clone(),
            tags: self.tags.read().clone(),
            last_purge_ms,
            next_seq: messages.next_seq,
            messages: messages.by_seq.clone(),
            fifo: messages.fifo.clone(),
        }
    }

    /// Queue `name` as `stored` kept it, at `url`, its messages counted in `held` (even past
    /// its bound, so that none kept is lost) and those past retention at `now_ms` dropped.
    pub(crate) fn from_stored(
        name: &str,
        url: String,
        stored: StoredQueue,
        held: Arc<Held>,
        now_ms: u64,
    ) -> Queue {
        let q = Queue::new(
            name,
            url,
            stored.arn,
            stored.settings,
            stored.tags,
            stored.created_secs * 1000,
            held,
        );
        *q.last_modified_secs.lock() = stored.last_modified_secs;
        *q.last_purge_ms.lock() = stored.last_purge_ms;
        {
            let mut messages = q.messages.lock();
            messages.restore(stored.next_seq, stored.messages, stored.fifo);
            let retention = q.retention_ms();
            messages.expire(now_ms, retention);
        }
        q
    }
}

impl Messages {
    /// Takes back messages kept on disk: counted in the engine's held bytes without a check
    /// (they were acknowledged, so they are kept even if the bound is lower now), and every
    /// receipt handle indexed again.
    pub(crate) fn restore(
        &mut self,
        next_seq: u64,
        by_seq: BTreeMap<u64, Message>,
        fifo: FifoState,
    ) {
        for (seq, m) in &by_seq {
            if let Some(r) = &m.receipt {
                self.receipts.insert(r.clone(), *seq);
            }
            self.force_count(m.held_bytes());
        }
        self.next_seq = next_seq.max(by_seq.keys().next_back().map_or(0, |s| s + 1));
        self.by_seq = by_seq;
        self.fifo = fifo;
    }
}

/// A journal that could not be written: the change is not acknowledged.
pub(crate) fn storage(e: state_journal::JournalError) -> SqsError {
    SqsError::Storage(e.to_string())
}

impl SqsEngine {
    /// Opens the queues kept in `dir`, as [`SqsEngine::with_clock`] otherwise: every queue
    /// with its attributes, tags and messages in the state they were last in, messages past
    /// their retention period at `clock`'s now dropped. From then on every change is
    /// journaled there before it is acknowledged; the server calls
    /// [`SqsEngine::maintain_journal`] from its housekeeping.
    pub fn open(
        config: crate::SqsConfig,
        metrics: Arc<metric_store::Store>,
        clock: Arc<dyn time_source::Clock>,
        dir: &Path,
    ) -> Result<SqsEngine, state_journal::JournalError> {
        let (stored, journal) = state_journal::Journal::<Change>::open(dir, "sqs", apply)?;
        let engine = SqsEngine::build(config, metrics, clock, Some(journal));
        let now = engine.now_ms();
        let mut queues = engine.inner.queues.write();
        for (name, q) in stored.queues {
            let url = engine.url_of(&name);
            let queue = Queue::from_stored(&name, url, q, engine.inner.held.clone(), now);
            queues.insert(name, Arc::new(queue));
        }
        drop(queues);
        Ok(engine)
    }

    /// Makes the journal durable (fsync) and, once it has outgrown its snapshot, writes a
    /// new snapshot with every change held off meanwhile. Does nothing without a data
    /// directory. The server calls it from its housekeeping, every few seconds.
    pub fn maintain_journal(&self) -> Result<(), SqsError> {
        let Some(journal) = &self.inner.journal else {
            return Ok(());
        };
        if journal.wants_compaction() {
            self.compact()?;
        }
        journal.sync().map_err(storage)
    }

    /// Writes every queue as the new snapshot and empties the journal, with no change
    /// being made meanwhile (the engine-wide gate held exclusively).
    pub(crate) fn compact(&self) -> Result<(), SqsError> {
        let Some(journal) = &self.inner.journal else {
            return Ok(());
        };
        let _no_changes = self.inner.gate.write();
        journal.compact(&self.stored()).map_err(storage)
    }

    /// Every queue as the snapshot would hold it now.
    pub(crate) fn stored(&self) -> Stored {
        Stored {
            queues: self
                .inner
                .queues
                .read()
                .iter()
                .map(|(name, q)| (name.clone(), q.to_stored()))
                .collect(),
        }
    }

    /// Held while a change is made and journaled, when there is a journal: compaction
    /// takes the gate exclusively, so no change falls between a snapshot and its journal.
    /// Recursive, as one operation may make several changes.
    pub(crate) fn change_gate(&self) -> Option<parking_lot::RwLockReadGuard<'_, ()>> {
        self.inner
            .journal
            .as_ref()
            .map(|_| self.inner.gate.read_recursive())
    }

    /// Appends the change `change` builds, when there is a journal (built only then).
    pub(crate) fn journal(&self, change: impl FnOnce() -> Change) -> Result<(), SqsError> {
        match &self.inner.journal {
            None => Ok(()),
            Some(j) => j.append(&change()).map_err(storage),
        }
    }

    /// Journals that the message at `from_seq` of `from` is now `message` at `to_seq` of
    /// `to`; the caller holds `to`'s messages. Until this is written the message is, on
    /// disk, still where it was, so a failure here loses nothing (after a restart the
    /// message would be back where it came from).
    pub(crate) fn journal_move(
        &self,
        from: &Queue,
        from_seq: u64,
        to: &Queue,
        to_seq: u64,
        message: &Message,
    ) {
        let _ = self.journal(|| Change::Moved {
            from: from.name.clone(),
            from_seq,
            to: to.name.clone(),
            to_seq,
            message: message.clone(),
        });
    }

    /// Whether changes are journaled.
    pub(crate) fn journaled(&self) -> bool {
        self.inner.journal.is_some()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io::Write as _;

    use metric_store::Store;
    use time_source::ManualClock;

    use super::*;
    use crate::testing::{START_MS, text};
    use crate::{AttributeValue, Outgoing, SqsConfig};

    /// The engine kept in `dir`, on `clock`.
    fn open(dir: &Path, clock: &ManualClock) -> SqsEngine {
        let store = Arc::new(Store::with_clock(Arc::new(clock.clone())));
        SqsEngine::open(SqsConfig::default(), store, Arc::new(clock.clone()), dir).unwrap()
    }

    /// Closes `e` and opens it again from `dir`, checking it comes back as it was.
    fn reopen(e: SqsEngine, dir: &Path, clock: &ManualClock) -> SqsEngine {
        let before = e.stored();
        let held = e.held_bytes();
        drop(e);
        let e = open(dir, clock);
        assert_eq!(e.stored(), before);
        assert_eq!(e.held_bytes(), held);
        e
    }

    fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn start() -> (tempfile::TempDir, ManualClock) {
        (tempfile::tempdir().unwrap(), ManualClock::new(START_MS))
    }

    #[tokio::test]
    async fn queues_attributes_tags_and_messages_survive_a_reopen() {
        let (dir, clock) = start();
        let e = open(dir.path(), &clock);
        let url = e
            .create_queue(
                "jobs",
                &attrs(&[("VisibilityTimeout", "5")]),
                &attrs(&[("team", "a"), ("gone", "x")]),
            )
            .unwrap();
        e.create_queue("other", &BTreeMap::new(), &BTreeMap::new())
            .unwrap();
        e.delete_queue("other").unwrap();
        clock.advance(2_000);
        e.set_attributes(&url, &attrs(&[("DelaySeconds", "1"), ("Policy", "{}")]))
            .unwrap();
        e.tag(&url, &attrs(&[("env", "test")])).unwrap();
        e.untag(&url, &["gone".into()]).unwrap();
        let mut m = text("with attributes");
        m.attributes.insert(
            "bin".into(),
            AttributeValue {
                data_type: "Binary".into(),
                value: vec![0, 255, 7],
            },
        );
        m.trace_header = Some("Root=1-abc".into());
        let sent = e.send(&url, m).unwrap();
        e.send(&url, text("plain")).unwrap();
        let attributes = e.attributes(&url, &["All".into()]).unwrap();

        let e = reopen(e, dir.path(), &clock);
        assert_eq!(e.list_queues(None), vec![url.clone()]);
        assert_eq!(e.attributes(&url, &["All".into()]).unwrap(), attributes);
        assert_eq!(
            e.attributes(&url, &["DelaySeconds".into()]).unwrap()["DelaySeconds"],
            "1"
        );
        assert_eq!(
            e.tags(&url).unwrap(),
            attrs(&[("env", "test"), ("team", "a")])
        );
        // Both are still delayed (1 s), then come out as sent.
        assert!(e.receive(&url, 10, None, Some(0)).await.unwrap().is_empty());
        clock.advance(1_000);
        let got = e.receive(&url, 10, None, Some(0)).await.unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].message_id, sent.message_id);
        assert_eq!(got[0].attributes["bin"].value, [0, 255, 7]);
        assert_eq!(got[0].md5_of_attributes, sent.md5_of_attributes);
        assert_eq!(got[0].trace_header.as_deref(), Some("Root=1-abc"));
        assert_eq!(got[0].sent_ms, START_MS + 2_000);
        assert_eq!(got[1].body, "plain");
        // New sends take new places after the kept ones.
        e.send(&url, text("third")).unwrap();
        let e = reopen(e, dir.path(), &clock);
        assert_eq!(e.depth(&url).unwrap().in_flight, 2);
    }

    #[tokio::test]
    async fn an_in_flight_message_stays_hidden_until_its_timeout_and_its_handle_still_deletes() {
        let (dir, clock) = start();
        let e = open(dir.path(), &clock);
        let url = crate::testing::queue(&e, "q");
        e.send(&url, text("one")).unwrap();
        e.send(&url, text("two")).unwrap();
        let first = e.receive(&url, 10, Some(30), Some(0)).await.unwrap();
        assert_eq!(first.len(), 2);
        clock.advance(10_000);
        // The deadline moved by ChangeMessageVisibility is kept too.
        e.change_visibility(&url, &first[1].receipt_handle, 60)
            .unwrap();
        let e = reopen(e, dir.path(), &clock);
        assert!(e.receive(&url, 10, None, Some(0)).await.unwrap().is_empty());
        assert_eq!(e.depth(&url).unwrap().in_flight, 2);
        // The handle handed out before the restart deletes its message.
        e.delete(&url, &first[1].receipt_handle).unwrap();
        let e = reopen(e, dir.path(), &clock);
        assert_eq!(e.depth(&url).unwrap().in_flight, 1);
        clock.advance(19_999);
        assert!(e.receive(&url, 10, None, Some(0)).await.unwrap().is_empty());
        clock.advance(1);
        let again = e.receive(&url, 10, None, Some(0)).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].body, "one");
        assert_eq!(again[0].receive_count, 2);
        assert_eq!(again[0].first_receive_ms, first[0].first_receive_ms);
        e.delete(&url, &again[0].receipt_handle).unwrap();
        // Deleted stays deleted.
        let e = reopen(e, dir.path(), &clock);
        clock.advance(3_600_000);
        assert_eq!(e.depth(&url).unwrap(), crate::Depth::default());
        assert_eq!(e.held_bytes(), 0);
    }

    #[tokio::test]
    async fn redrive_counts_survive_a_reopen() {
        let (dir, clock) = start();
        let e = open(dir.path(), &clock);
        let dlq = crate::testing::queue(&e, "dlq");
        let policy = format!(
            r#"{{"deadLetterTargetArn":"{}","maxReceiveCount":2}}"#,
            e.queue_arn("dlq")
        );
        let src = e
            .create_queue(
                "src",
                &attrs(&[("RedrivePolicy", &policy)]),
                &BTreeMap::new(),
            )
            .unwrap();
        let sent = e.send(&src, text("poison")).unwrap();
        assert_eq!(e.receive(&src, 1, Some(1), Some(0)).await.unwrap().len(), 1);
        let e = reopen(e, dir.path(), &clock);
        clock.advance(1_000);
        let second = e.receive(&src, 1, Some(1), Some(0)).await.unwrap();
        assert_eq!(second[0].receive_count, 2);
        let e = reopen(e, dir.path(), &clock);
        clock.advance(1_000);
        // Received twice: the next receive moves it to the dead-letter queue.
        assert!(e.receive(&src, 1, None, Some(0)).await.unwrap().is_empty());
        let e = reopen(e, dir.path(), &clock);
        assert_eq!(e.depth(&src).unwrap(), crate::Depth::default());
        let dead = e.receive(&dlq, 1, None, Some(0)).await.unwrap();
        assert_eq!(dead[0].message_id, sent.message_id);
        assert_eq!(dead[0].receive_count, 3);
    }

    #[tokio::test]
    async fn fifo_order_sequence_numbers_and_deduplication_survive_a_reopen() {
        let (dir, clock) = start();
        let e = open(dir.path(), &clock);
        let url = e
            .create_queue("q.fifo", &attrs(&[("FifoQueue", "true")]), &BTreeMap::new())
            .unwrap();
        let send = |e: &SqsEngine, body: &str, group: &str, dedup: &str| {
            e.send(
                &url,
                Outgoing {
                    body: body.into(),
                    group_id: Some(group.into()),
                    deduplication_id: Some(dedup.into()),
                    ..Outgoing::default()
                },
            )
            .unwrap()
        };
        let a1 = send(&e, "a1", "a", "1");
        send(&e, "b1", "b", "2");
        let a2 = send(&e, "a2", "a", "3");
        let got = e.receive(&url, 1, Some(30), Some(0)).await.unwrap();
        assert_eq!(got[0].body, "a1");
        clock.advance(10_000);
        let e = reopen(e, dir.path(), &clock);
        // Group a is still held back by a1 in flight.
        let got = e.receive(&url, 10, Some(30), Some(0)).await.unwrap();
        assert_eq!(
            got.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
            ["b1"]
        );
        // A duplicate within five minutes of the first send is answered as it was.
        let dup = send(&e, "a1 again", "a", "1");
        assert_eq!(dup.message_id, a1.message_id);
        assert_eq!(dup.sequence_number, a1.sequence_number);
        let a3 = send(&e, "a3", "a", "4");
        assert!(a3.sequence_number > a2.sequence_number);
        let e = reopen(e, dir.path(), &clock);
        clock.advance(290_000);
        // Five minutes after the first send the id is free again.
        let fresh = send(&e, "a1 later", "a", "1");
        assert_ne!(fresh.message_id, a1.message_id);
        assert!(fresh.sequence_number > a3.sequence_number);
        // a1's and b1's timeouts have passed: each group comes out in order.
        let got = e.receive(&url, 10, Some(30), Some(0)).await.unwrap();
        assert_eq!(
            got.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
            ["a1", "b1", "a2", "a3", "a1 later"]
        );
        assert_eq!(got[0].receive_count, 2);
    }

    #[test]
    fn a_journal_line_cut_short_loses_only_that_change() {
        let (dir, clock) = start();
        let e = open(dir.path(), &clock);
        let url = crate::testing::queue(&e, "q");
        e.send(&url, text("kept")).unwrap();
        e.send(&url, text("cut")).unwrap();
        drop(e);
        let path = dir.path().join("sqs.journal");
        let bytes = std::fs::read(&path).unwrap();
        // The crash came in the middle of the last line.
        std::fs::write(&path, &bytes[..bytes.len() - 20]).unwrap();
        let e = open(dir.path(), &clock);
        let kept = e.stored().queues["q"].messages.clone();
        assert_eq!(
            kept.values().map(|m| m.body.as_str()).collect::<Vec<_>>(),
            ["kept"]
        );
        // And the queue goes on from there.
        e.send(&url, text("after")).unwrap();
        drop(e);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"{\"Delete\":").unwrap();
        drop(f);
        assert_eq!(open(dir.path(), &clock).depth(&url).unwrap().visible, 2);
    }

    #[tokio::test]
    async fn a_compacted_state_reopens_the_same() {
        let (dir, clock) = start();
        let e = open(dir.path(), &clock);
        let url = e
            .create_queue(
                "q.fifo",
                &attrs(&[("FifoQueue", "true"), ("ContentBasedDeduplication", "true")]),
                &BTreeMap::new(),
            )
            .unwrap();
        for i in 0..5 {
            e.send(
                &url,
                Outgoing {
                    body: format!("m{i}"),
                    group_id: Some(format!("g{}", i % 2)),
                    ..Outgoing::default()
                },
            )
            .unwrap();
        }
        let got = e.receive(&url, 2, Some(30), Some(0)).await.unwrap();
        e.delete(&url, &got[0].receipt_handle).unwrap();
        e.purge("q.fifo").ok();
        e.send(
            &url,
            Outgoing {
                body: "after purge".into(),
                group_id: Some("g".into()),
                ..Outgoing::default()
            },
        )
        .unwrap();
        e.compact().unwrap();
        assert_eq!(std::fs::read(dir.path().join("sqs.journal")).unwrap(), b"");
        // Changes after the snapshot go to the emptied journal.
        let got = e.receive(&url, 1, Some(30), Some(0)).await.unwrap();
        let e = reopen(e, dir.path(), &clock);
        assert_eq!(e.depth(&url).unwrap().in_flight, 1);
        // The purge interval is kept: a second purge within the minute is refused.
        assert!(matches!(
            e.purge(&url),
            Err(SqsError::PurgeQueueInProgress(_))
        ));
        e.delete(&url, &got[0].receipt_handle).unwrap();
        e.maintain_journal().unwrap();
        let e = reopen(e, dir.path(), &clock);
        assert_eq!(e.depth(&url).unwrap(), crate::Depth::default());
    }

    #[test]
    fn an_engine_without_a_data_directory_keeps_no_journal() {
        let (e, _) = crate::testing::engine();
        assert!(!e.journaled());
        assert_eq!(e.maintain_journal(), Ok(()));
    }
}
