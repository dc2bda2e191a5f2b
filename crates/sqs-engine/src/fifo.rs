//! FIFO queues: what a send must carry, deduplication and sequence numbers.
//!
//! A FIFO queue (its name ends in `.fifo`, created with `FifoQueue=true`) keeps each message
//! group in send order: a receive hands out a group's messages in order and none of a group
//! while one of its messages is in flight (`ops_messages.rs` does that). Every send names a
//! `MessageGroupId`; a send whose deduplication id (given, or the SHA-256 of the body with
//! ContentBasedDeduplication) was seen within the last five minutes on the engine's clock is
//! accepted but not stored, and answered with the first message's id and sequence number.
//! With `DeduplicationScope=messageGroup` the ids are told apart per group. Ids seen are
//! kept five minutes from their first send, whatever happened to the message since (a
//! deleted message's id still deduplicates), and forgotten on purge.

use std::collections::{HashMap, VecDeque};

use sha2::{Digest, Sha256};

use crate::SqsError;

/// How long a deduplication id is remembered, in ms (five minutes).
pub const DEDUPLICATION_WINDOW_MS: u64 = 5 * 60 * 1000;

/// Longest MessageGroupId or MessageDeduplicationId.
const MAX_TOKEN_LEN: usize = 128;

/// Where the sequence numbers of a FIFO queue start: AWS's are 20-digit numbers.
const FIRST_SEQUENCE: u128 = 18_000_000_000_000_000_000;

/// Where deduplication ids are told apart (`DeduplicationScope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub(crate) enum DeduplicationScope {
    /// Across the whole queue (`queue`, the default).
    #[default]
    Queue,
    /// Within each message group (`messageGroup`).
    MessageGroup,
}

impl DeduplicationScope {
    pub(crate) fn parse(value: &str) -> Option<DeduplicationScope> {
        match value {
            "queue" => Some(DeduplicationScope::Queue),
            "messageGroup" => Some(DeduplicationScope::MessageGroup),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DeduplicationScope::Queue => "queue",
            DeduplicationScope::MessageGroup => "messageGroup",
        }
    }
}

/// Which throughput quota applies (`FifoThroughputLimit`); kept and reported, the engine
/// enforces no quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub(crate) enum ThroughputLimit {
    /// `perQueue`, the default.
    #[default]
    PerQueue,
    /// `perMessageGroupId`, high throughput; needs `DeduplicationScope=messageGroup`.
    PerMessageGroupId,
}

impl ThroughputLimit {
    pub(crate) fn parse(value: &str) -> Option<ThroughputLimit> {
        match value {
            "perQueue" => Some(ThroughputLimit::PerQueue),
            "perMessageGroupId" => Some(ThroughputLimit::PerMessageGroupId),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ThroughputLimit::PerQueue => "perQueue",
            ThroughputLimit::PerMessageGroupId => "perMessageGroupId",
        }
    }
}

/// A FIFO queue's settings, as its [`Settings`](crate::attributes::Settings) hold them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct FifoSettings {
    pub(crate) content_based_deduplication: bool,
    pub(crate) deduplication_scope: DeduplicationScope,
    pub(crate) throughput_limit: ThroughputLimit,
}

/// Whether `name` is a valid FIFO queue name: a standard name followed by `.fifo`, 80
/// characters in all.
pub(crate) fn valid_name(name: &str) -> bool {
    name.len() <= 80
        && name
            .strip_suffix(".fifo")
            .is_some_and(|base| !base.is_empty() && crate::queue::valid_queue_name(base))
}

/// Checks a MessageGroupId or MessageDeduplicationId (`parameter`): 1 to 128 printable
/// ASCII characters other than space.
pub(crate) fn check_token(parameter: &str, value: &str) -> Result<(), SqsError> {
    let ok = (1..=MAX_TOKEN_LEN).contains(&value.len())
        && value.bytes().all(|b| (b'!'..=b'~').contains(&b));
    if ok {
        Ok(())
    } else {
        Err(SqsError::InvalidParameterValue(format!(
            "Value {value} for parameter {parameter} is invalid. Reason: {parameter} can only include alphanumeric and punctuation characters. 1 to 128 in length."
        )))
    }
}

/// The deduplication id ContentBasedDeduplication gives a body: its SHA-256, hex.
pub(crate) fn content_id(body: &str) -> String {
    Sha256::digest(body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a FIFO send must say beyond a standard one, checked against the queue's settings:
/// the group, no per-message delay, a deduplication id or content-based deduplication.
/// Returns the deduplication id in force.
pub(crate) fn check_send(
    settings: &FifoSettings,
    group_id: Option<&str>,
    deduplication_id: Option<&str>,
    delay_seconds: Option<i64>,
    body: &str,
) -> Result<String, SqsError> {
    if let Some(delay) = delay_seconds.filter(|d| *d != 0) {
        return Err(SqsError::InvalidParameterValue(format!(
            "Value {delay} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type."
        )));
    }
    if group_id.is_none() {
        return Err(SqsError::MissingParameter("MessageGroupId".into()));
    }
    match deduplication_id {
        Some(id) => Ok(id.to_string()),
        None if settings.content_based_deduplication => Ok(content_id(body)),
        None => Err(no_deduplication_id()),
    }
}

/// The refusal of a FIFO send without a deduplication id on a queue without
/// ContentBasedDeduplication.
pub(crate) fn no_deduplication_id() -> SqsError {
    SqsError::InvalidParameterValue(
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly".into(),
    )
}

/// The first send of a deduplication id: what a duplicate is answered with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct FirstSend {
    pub(crate) message_id: String,
    pub(crate) sequence_number: String,
}

/// A FIFO queue's memory of deduplication ids and its sequence counter. Kept on disk as
/// the counter and the remembered first sends, oldest first ([`FifoRecord`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "FifoRecord", into = "FifoRecord")]
pub(crate) struct FifoState {
    next_sequence: u128,
    seen: HashMap<DedupKey, FirstSend>,
    /// The keys of `seen` by first send time, oldest first, to forget them in order.
    order: VecDeque<(u64, DedupKey)>,
}

impl Default for FifoState {
    fn default() -> FifoState {
        FifoState {
            next_sequence: FIRST_SEQUENCE,
            seen: HashMap::new(),
            order: VecDeque::new(),
        }
    }
}

/// A deduplication id's key: its group (under `DeduplicationScope=messageGroup`) and id.
pub(crate) type DedupKey = (Option<String>, String);

/// [`FifoState`] as the snapshot holds it: the sequence counter as text (it is a 20-digit
/// number) and each remembered first send with its time and key, oldest first.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct FifoRecord {
    next_sequence: String,
    remembered: Vec<(u64, DedupKey, FirstSend)>,
}

impl From<FifoState> for FifoRecord {
    fn from(mut s: FifoState) -> FifoRecord {
        let remembered = s
            .order
            .drain(..)
            .filter_map(|(at, key)| {
                let first = s.seen.get(&key)?.clone();
                Some((at, key, first))
            })
            .collect();
        FifoRecord {
            next_sequence: s.next_sequence.to_string(),
            remembered,
        }
    }
}

impl From<FifoRecord> for FifoState {
    fn from(r: FifoRecord) -> FifoState {
        let mut s = FifoState {
            next_sequence: r.next_sequence.parse().unwrap_or(FIRST_SEQUENCE),
            ..FifoState::default()
        };
        for (at, key, first) in r.remembered {
            s.remember_key(at, key, first);
        }
        s
    }
}

impl FifoState {
    /// The key of a deduplication id under `scope`.
    fn key(scope: DeduplicationScope, group_id: &str, deduplication_id: &str) -> DedupKey {
        let group = (scope == DeduplicationScope::MessageGroup).then(|| group_id.to_string());
        (group, deduplication_id.to_string())
    }

    /// Forgets the ids first sent five minutes or longer before `now`.
    fn expire(&mut self, now: u64) {
        while let Some((at, _)) = self.order.front() {
            if at + DEDUPLICATION_WINDOW_MS > now {
                break;
            }
            if let Some((_, key)) = self.order.pop_front() {
                self.seen.remove(&key);
            }
        }
    }

    /// The first send of this deduplication id within the window, if there was one.
    pub(crate) fn duplicate(
        &mut self,
        now: u64,
        scope: DeduplicationScope,
        group_id: &str,
        deduplication_id: &str,
    ) -> Option<FirstSend> {
        self.expire(now);
        self.seen
            .get(&Self::key(scope, group_id, deduplication_id))
            .cloned()
    }

    /// The next sequence number, as SQS writes them (20 digits).
    pub(crate) fn next_sequence(&mut self) -> String {
        let n = self.next_sequence;
        self.next_sequence += 1;
        format!("{n:020}")
    }

    /// Remembers a first send under `key` ([`FifoState::key_of`]) at `now`, as a send
    /// does and its replay does again. Ids older than five minutes before `now` are
    /// forgotten first, so a long replay holds no more than the queue did.
    pub(crate) fn remember_key(&mut self, now: u64, key: DedupKey, first: FirstSend) {
        self.expire(now);
        self.order.push_back((now, key.clone()));
        self.seen.insert(key, first);
    }

    /// The key `deduplication_id` of group `group_id` has under `scope`.
    pub(crate) fn key_of(
        scope: DeduplicationScope,
        group_id: &str,
        deduplication_id: &str,
    ) -> DedupKey {
        Self::key(scope, group_id, deduplication_id)
    }

    /// Keeps the next sequence number above `sequence_number`, one handed out already.
    pub(crate) fn after_sequence(&mut self, sequence_number: &str) {
        if let Ok(n) = sequence_number.parse::<u128>() {
            self.next_sequence = self.next_sequence.max(n + 1);
        }
    }

    /// Forgets every deduplication id (PurgeQueue).
    pub(crate) fn forget(&mut self) {
        self.seen.clear();
        self.order.clear();
    }
}

/// Most ReceiveRequestAttemptIds a queue remembers at once; past it the oldest is forgotten
/// (a retry with it is then a new receive).
const MAX_ATTEMPTS: usize = 10_000;

/// What one ReceiveMessage with a ReceiveRequestAttemptId handed out.
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    /// When it was first made, epoch ms: it is honoured five minutes from then.
    at_ms: u64,
    /// Each message handed out: its place, its receipt handle and the visibility deadline
    /// it was given. A message whose handle or deadline changed since was modified.
    pub(crate) handed: Vec<(u64, String, u64)>,
}

/// A FIFO queue's ReceiveRequestAttemptIds of the last five minutes, at most
/// [`MAX_ATTEMPTS`]. Not kept on disk: after a restart a retry is a new receive.
#[derive(Debug, Default)]
pub(crate) struct Attempts {
    by_id: HashMap<String, Attempt>,
    /// Ids by first use, oldest first, to forget them in order.
    order: VecDeque<(u64, String)>,
}

impl Attempts {
    fn expire(&mut self, now: u64) {
        while let Some((at, _)) = self.order.front() {
            if at + DEDUPLICATION_WINDOW_MS > now && self.order.len() <= MAX_ATTEMPTS {
                break;
            }
            if let Some((at, id)) = self.order.pop_front()
                && self.by_id.get(&id).is_some_and(|a| a.at_ms == at)
            {
                self.by_id.remove(&id);
            }
        }
    }

    /// The attempt `id` made within five minutes before `now`, if there was one.
    pub(crate) fn get(&mut self, now: u64, id: &str) -> Option<Attempt> {
        self.expire(now);
        self.by_id.get(id).cloned()
    }

    /// Remembers that attempt `id` handed out `handed` at `now`, or, for a retry, keeps
    /// its first time and takes the new deadlines.
    pub(crate) fn remember(&mut self, now: u64, id: &str, handed: Vec<(u64, String, u64)>) {
        if let Some(a) = self.by_id.get_mut(id) {
            a.handed = handed;
            return;
        }
        self.order.push_back((now, id.to_string()));
        self.by_id
            .insert(id.to_string(), Attempt { at_ms: now, handed });
        self.expire(now);
    }

    /// Forgets attempt `id` (its messages were modified: a retry is a new receive).
    pub(crate) fn forget(&mut self, id: &str) {
        self.by_id.remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_tokens() {
        assert!(valid_name("jobs.fifo"));
        assert!(!valid_name(".fifo"));
        assert!(!valid_name("jobs"));
        assert!(valid_name(&format!("{}.fifo", "a".repeat(75))));
        assert!(!valid_name(&format!("{}.fifo", "a".repeat(76))));
        assert!(check_token("MessageGroupId", &"a".repeat(128)).is_ok());
        assert_eq!(
            check_token("MessageGroupId", "group 123")
                .unwrap_err()
                .to_string(),
            "Value group 123 for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length."
        );
        assert!(check_token("MessageDeduplicationId", "").is_err());
    }

    #[test]
    fn ids_are_remembered_five_minutes_per_scope() {
        let mut s = FifoState::default();
        let first = FirstSend {
            message_id: "m".into(),
            sequence_number: s.next_sequence(),
        };
        assert_eq!(first.sequence_number, "18000000000000000000");
        s.remember_key(
            0,
            FifoState::key_of(DeduplicationScope::Queue, "g", "d"),
            first,
        );
        assert!(
            s.duplicate(1, DeduplicationScope::Queue, "other", "d")
                .is_some()
        );
        assert!(
            s.duplicate(
                DEDUPLICATION_WINDOW_MS - 1,
                DeduplicationScope::Queue,
                "g",
                "d"
            )
            .is_some()
        );
        assert!(
            s.duplicate(DEDUPLICATION_WINDOW_MS, DeduplicationScope::Queue, "g", "d")
                .is_none()
        );
        s.remember_key(
            0,
            FifoState::key_of(DeduplicationScope::MessageGroup, "g", "d"),
            FirstSend {
                message_id: "m".into(),
                sequence_number: s.next_sequence.to_string(),
            },
        );
        assert!(
            s.duplicate(0, DeduplicationScope::MessageGroup, "h", "d")
                .is_none()
        );
    }
}

#[cfg(test)]
mod queue_tests {
    use std::collections::BTreeMap;

    use crate::testing::{engine, sum};
    use crate::{Outgoing, SqsEngine, SqsError};

    fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn fifo_queue(e: &SqsEngine, name: &str, extra: &[(&str, &str)]) -> String {
        let mut a = attrs(&[("FifoQueue", "true")]);
        a.extend(attrs(extra));
        e.create_queue(name, &a, &BTreeMap::new()).unwrap()
    }

    fn in_group(body: &str, group: &str, dedup: &str) -> Outgoing {
        Outgoing {
            body: body.into(),
            group_id: Some(group.into()),
            deduplication_id: Some(dedup.into()),
            ..Outgoing::default()
        }
    }

    #[test]
    fn queue_type_and_fifo_attributes_are_checked_as_sqs_does() {
        let (e, _) = engine();
        let none = BTreeMap::new();
        assert_eq!(
            e.create_queue("q.fifo", &none, &none)
                .unwrap_err()
                .to_string(),
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
        );
        assert_eq!(
            e.create_queue("q", &attrs(&[("FifoQueue", "false")]), &none),
            Err(SqsError::InvalidAttributeName("FifoQueue".into()))
        );
        assert_eq!(
            e.create_queue(
                "q",
                &attrs(&[("ContentBasedDeduplication", "false")]),
                &none
            ),
            Err(SqsError::InvalidAttributeName(
                "ContentBasedDeduplication".into()
            ))
        );
        assert_eq!(
            e.create_queue("q", &attrs(&[("DeduplicationScope", "queue")]), &none)
                .unwrap_err()
                .to_string(),
            "You can specify the DeduplicationScope only when FifoQueue is set to true."
        );
        let url = fifo_queue(&e, "q.fifo", &[("ContentBasedDeduplication", "true")]);
        assert_eq!(
            e.create_queue(
                "q.fifo",
                &attrs(&[
                    ("FifoQueue", "true"),
                    ("ContentBasedDeduplication", "false")
                ]),
                &none
            ),
            Err(SqsError::QueueNameExists(
                "ContentBasedDeduplication".into()
            ))
        );
        assert_eq!(
            e.set_attributes(&url, &attrs(&[("FifoQueue", "false")]))
                .unwrap_err()
                .to_string(),
            "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."
        );
        assert_eq!(
            e.set_attributes(
                &url,
                &attrs(&[("FifoThroughputLimit", "perMessageGroupId")])
            ),
            Err(SqsError::InvalidAttributeValue(
                "FifoThroughputLimit".into()
            ))
        );
        e.set_attributes(
            &url,
            &attrs(&[
                ("DeduplicationScope", "messageGroup"),
                ("FifoThroughputLimit", "perMessageGroupId"),
            ]),
        )
        .unwrap();
        let got = e.attributes(&url, &["All".into()]).unwrap();
        assert_eq!(got["FifoQueue"], "true");
        assert_eq!(got["ContentBasedDeduplication"], "true");
        assert_eq!(got["DeduplicationScope"], "messageGroup");
        assert_eq!(got["FifoThroughputLimit"], "perMessageGroupId");
        // A FIFO queue's dead-letter queue is a FIFO queue.
        let dlq = e.create_queue("dlq", &none, &none).unwrap();
        let dlq_arn = e.attributes(&dlq, &["QueueArn".into()]).unwrap()["QueueArn"].clone();
        let policy = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":2}}"#);
        assert!(
            e.set_attributes(&url, &attrs(&[("RedrivePolicy", &policy)]))
                .unwrap_err()
                .to_string()
                .ends_with("Reason: Dead-letter queue must be same type of queue as the source..")
        );
    }

    #[test]
    fn sends_need_a_group_and_a_deduplication_id_and_take_no_delay() {
        let (e, _) = engine();
        let url = fifo_queue(&e, "q.fifo", &[]);
        let mut m = in_group("x", "g", "d");
        m.group_id = None;
        assert_eq!(
            e.send(&url, m),
            Err(SqsError::MissingParameter("MessageGroupId".into()))
        );
        let mut m = in_group("x", "g", "d");
        m.deduplication_id = None;
        assert_eq!(
            e.send(&url, m).unwrap_err().to_string(),
            "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
        );
        let mut m = in_group("x", "g", "d");
        m.delay_seconds = Some(2);
        assert_eq!(
            e.send(&url, m).unwrap_err().to_string(),
            "Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type."
        );
        let mut m = in_group("x", "g", "d");
        m.delay_seconds = Some(0);
        assert!(e.send(&url, m).unwrap().sequence_number.is_some());
        // A standard queue keeps a group id (fair queues) but refuses a deduplication id.
        let std = e
            .create_queue("s", &BTreeMap::new(), &BTreeMap::new())
            .unwrap();
        let mut m = in_group("x", "g", "d");
        assert!(matches!(
            e.send(&std, m.clone()),
            Err(SqsError::InvalidParameterValue(t)) if t.contains("MessageDeduplicationId")
        ));
        m.deduplication_id = None;
        assert_eq!(e.send(&std, m).unwrap().sequence_number, None);
    }

    #[tokio::test]
    async fn duplicates_within_five_minutes_are_answered_but_not_stored() {
        let (e, clock) = engine();
        let url = fifo_queue(&e, "q.fifo", &[("ContentBasedDeduplication", "true")]);
        let body = |b: &str| Outgoing {
            body: b.into(),
            group_id: Some("g".into()),
            ..Outgoing::default()
        };
        let first = e.send(&url, body("same")).unwrap();
        assert_eq!(sum(&e, "NumberOfDeduplicatedSentMessages", "q.fifo"), 0.0);
        let got = e.receive(&url, 10, None, Some(0)).await.unwrap();
        e.delete(&url, &got[0].receipt_handle).unwrap();
        clock.advance(super::DEDUPLICATION_WINDOW_MS - 1);
        // Even after its delete the id deduplicates.
        let again = e.send(&url, body("same")).unwrap();
        assert_eq!(again.message_id, first.message_id);
        assert_eq!(again.sequence_number, first.sequence_number);
        assert!(e.receive(&url, 10, None, Some(0)).await.unwrap().is_empty());
        // An explicit id the same as the body's hash is a duplicate too.
        let mut explicit = body("other");
        explicit.deduplication_id = Some(super::content_id("same"));
        assert_eq!(e.send(&url, explicit).unwrap().message_id, first.message_id);
        // Each duplicate counts in NumberOfDeduplicatedSentMessages, not in
        // NumberOfMessagesSent.
        assert_eq!(sum(&e, "NumberOfDeduplicatedSentMessages", "q.fifo"), 2.0);
        assert_eq!(sum(&e, "NumberOfMessagesSent", "q.fifo"), 1.0);
        clock.advance(1);
        let later = e.send(&url, body("same")).unwrap();
        assert_ne!(later.message_id, first.message_id);
        assert!(later.sequence_number > first.sequence_number);
        let got = e.receive(&url, 10, None, Some(0)).await.unwrap();
        assert_eq!(got.len(), 1);
        let attributes = got[0].system_attributes("0");
        assert_eq!(attributes["MessageGroupId"], "g");
        assert_eq!(
            attributes["MessageDeduplicationId"],
            super::content_id("same")
        );
        assert_eq!(
            &attributes["SequenceNumber"],
            later.sequence_number.as_ref().unwrap()
        );
    }

    #[tokio::test]
    async fn a_retried_receive_attempt_gets_the_same_messages_until_one_is_modified() {
        let (e, clock) = engine();
        let url = fifo_queue(&e, "q.fifo", &[]);
        for (i, group) in ["a", "b", "a"].iter().enumerate() {
            e.send(
                &url,
                in_group(&format!("{group}{i}"), group, &i.to_string()),
            )
            .unwrap();
        }
        let bodies =
            |got: &[crate::Received]| got.iter().map(|m| m.body.clone()).collect::<Vec<_>>();
        let attempt = |id: &'static str| {
            let (e, url) = (e.clone(), url.clone());
            async move {
                e.receive_attempt(&url, 10, Some(30), Some(0), Some(id))
                    .await
                    .unwrap()
            }
        };
        let first = attempt("try-1").await;
        assert_eq!(bodies(&first), ["a0", "b1", "a2"]);
        clock.advance(20_000);
        // The retry gets the same messages, handles and counts, and a new 30 s timeout.
        assert_eq!(attempt("try-1").await, first);
        clock.advance(29_999);
        assert!(e.receive(&url, 10, None, Some(0)).await.unwrap().is_empty());
        // Another id is another receive.
        assert!(attempt("try-2").await.is_empty());
        // Once one of its messages is deleted the id receives anew: a0 and a2 are still in
        // flight.
        e.delete(&url, &first[1].receipt_handle).unwrap();
        assert!(attempt("try-1").await.is_empty());
        clock.advance(1);
        let fresh = attempt("try-1").await;
        assert_eq!(bodies(&fresh), ["a0", "a2"]);
        assert_eq!(fresh[0].receive_count, 2);
        assert_ne!(fresh[0].receipt_handle, first[0].receipt_handle);
        // Five minutes after its first use the id is forgotten.
        clock.advance(super::DEDUPLICATION_WINDOW_MS - 1);
        assert_eq!(attempt("try-1").await, fresh);
        // Past five minutes, and past the timeout that retry started again.
        clock.advance(30_000);
        let later = attempt("try-1").await;
        assert_eq!(bodies(&later), ["a0", "a2"]);
        assert_ne!(later[0].receipt_handle, fresh[0].receipt_handle);
        assert_eq!(
            e.receive_attempt(&url, 1, None, Some(0), Some("no spaces"))
                .await
                .unwrap_err()
                .to_string(),
            "Value no spaces for parameter ReceiveRequestAttemptId is invalid. Reason: ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length."
        );
        // A standard queue ignores the id.
        let standard = e
            .create_queue("s", &BTreeMap::new(), &BTreeMap::new())
            .unwrap();
        assert!(
            e.receive_attempt(&standard, 1, None, Some(0), Some("no spaces"))
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn a_group_in_flight_is_held_back_and_groups_go_out_in_order() {
        let (e, clock) = engine();
        let url = fifo_queue(&e, "q.fifo", &[]);
        for (i, group) in ["a", "b", "a", "b", "a"].iter().enumerate() {
            e.send(
                &url,
                in_group(&format!("{group}{i}"), group, &i.to_string()),
            )
            .unwrap();
        }
        let bodies =
            |got: &[crate::Received]| got.iter().map(|m| m.body.clone()).collect::<Vec<_>>();
        let first = e.receive(&url, 2, Some(30), Some(0)).await.unwrap();
        assert_eq!(bodies(&first), ["a0", "b1"]);
        // Both groups have a message in flight: nothing more until they are done.
        assert!(e.receive(&url, 10, None, Some(0)).await.unwrap().is_empty());
        e.delete(&url, &first[1].receipt_handle).unwrap();
        let second = e.receive(&url, 10, Some(30), Some(0)).await.unwrap();
        assert_eq!(bodies(&second), ["b3"]);
        e.delete(&url, &second[0].receipt_handle).unwrap();
        // a0's timeout passes: it comes back first, then a's others, in order.
        clock.advance(30_000);
        assert_eq!(
            e.delete(&url, &first[0].receipt_handle)
                .unwrap_err()
                .to_string(),
            format!(
                "Value {} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.",
                first[0].receipt_handle
            )
        );
        let third = e.receive(&url, 10, Some(30), Some(0)).await.unwrap();
        assert_eq!(bodies(&third), ["a0", "a2", "a4"]);
        assert_eq!(third[0].receive_count, 2);
    }
}
