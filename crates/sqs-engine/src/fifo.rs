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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
#[derive(Debug, Clone)]
pub(crate) struct FirstSend {
    pub(crate) message_id: String,
    pub(crate) sequence_number: String,
}

/// A FIFO queue's memory of deduplication ids and its sequence counter.
#[derive(Debug)]
pub(crate) struct FifoState {
    next_sequence: u128,
    seen: HashMap<(Option<String>, String), FirstSend>,
    /// The keys of `seen` by first send time, oldest first, to forget them in order.
    order: VecDeque<(u64, (Option<String>, String))>,
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

impl FifoState {
    /// The key of a deduplication id under `scope`.
    fn key(
        scope: DeduplicationScope,
        group_id: &str,
        deduplication_id: &str,
    ) -> (Option<String>, String) {
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

    /// Remembers a first send of `deduplication_id` at `now`.
    pub(crate) fn remember(
        &mut self,
        now: u64,
        scope: DeduplicationScope,
        group_id: &str,
        deduplication_id: &str,
        first: FirstSend,
    ) {
        let key = Self::key(scope, group_id, deduplication_id);
        self.order.push_back((now, key.clone()));
        self.seen.insert(key, first);
    }

    /// Forgets every deduplication id (PurgeQueue).
    pub(crate) fn forget(&mut self) {
        self.seen.clear();
        self.order.clear();
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
        s.remember(0, DeduplicationScope::Queue, "g", "d", first);
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
        s.remember(
            0,
            DeduplicationScope::MessageGroup,
            "g",
            "d",
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

    use crate::testing::engine;
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
