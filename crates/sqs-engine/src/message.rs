//! Messages: what a sender gives, what a queue stores, what a receiver gets, and the checks
//! a message must pass before it is stored.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{MAX_DELAY_SECS, SqsError};

/// What a message costs besides its body and attributes, as the bound on held bytes counts
/// it: its id, digests, receipt handle and place in the queue's maps.
pub const MESSAGE_OVERHEAD_BYTES: u64 = 256;

/// Most message attributes one message may carry.
pub const MAX_ATTRIBUTES: usize = 10;

/// One message attribute (String, Number or Binary, optionally with a custom suffix such as
/// `Number.int`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AttributeValue {
    /// `String`, `Number`, `Binary`, or one of them followed by `.` and a custom label.
    pub data_type: String,
    /// The value: UTF-8 text for String and Number, raw bytes for Binary.
    pub value: Vec<u8>,
}

impl AttributeValue {
    /// Whether the attribute travels as binary (its data type starts with `Binary`).
    pub fn is_binary(&self) -> bool {
        self.data_type.starts_with("Binary")
    }
}

/// A message to send.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    /// The body.
    pub body: String,
    /// Seconds before the message becomes visible (0..=900); the queue's DelaySeconds if
    /// absent. Kept as sent, so that an error can quote a negative value.
    pub delay_seconds: Option<i64>,
    /// Message attributes (at most [`MAX_ATTRIBUTES`]).
    pub attributes: BTreeMap<String, AttributeValue>,
    /// The X-Ray trace header the sender passed (`X-Amzn-Trace-Id`, or the `AWSTraceHeader`
    /// system attribute), kept as the message's `AWSTraceHeader`.
    pub trace_header: Option<String>,
    /// `MessageGroupId`: required by a FIFO queue, which keeps each group in order; kept
    /// and returned by a standard one (fair queues).
    pub group_id: Option<String>,
    /// `MessageDeduplicationId` (FIFO queues only).
    pub deduplication_id: Option<String>,
}

/// What SendMessage answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The new message's id.
    pub message_id: String,
    /// MD5 of the body, hex.
    pub md5_of_body: String,
    /// MD5 of the message attributes, hex, when there are any.
    pub md5_of_attributes: Option<String>,
    /// The message's sequence number in a FIFO queue (the first send's for a duplicate).
    pub sequence_number: Option<String>,
}

/// A message as ReceiveMessage returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The message id.
    pub message_id: String,
    /// This receive's handle, needed to delete the message.
    pub receipt_handle: String,
    /// The body.
    pub body: String,
    /// MD5 of the body, hex.
    pub md5_of_body: String,
    /// MD5 of all the message's attributes, hex, when it has any.
    pub md5_of_attributes: Option<String>,
    /// The message attributes.
    pub attributes: BTreeMap<String, AttributeValue>,
    /// When it was sent, epoch ms.
    pub sent_ms: u64,
    /// When it was first received, epoch ms.
    pub first_receive_ms: u64,
    /// How many times it has been received, this time included.
    pub receive_count: u32,
    /// The sender's trace header (`AWSTraceHeader`).
    pub trace_header: Option<String>,
    /// Its `MessageGroupId`, if it has one.
    pub group_id: Option<String>,
    /// Its `MessageDeduplicationId` in a FIFO queue (given, or content-based).
    pub deduplication_id: Option<String>,
    /// Its `SequenceNumber` in a FIFO queue.
    pub sequence_number: Option<String>,
}

impl Received {
    /// The system attributes ReceiveMessage can return, by AWS's names.
    pub fn system_attributes(&self, sender_id: &str) -> BTreeMap<&'static str, String> {
        let mut out = BTreeMap::from([
            ("SenderId", sender_id.to_string()),
            ("SentTimestamp", self.sent_ms.to_string()),
            ("ApproximateReceiveCount", self.receive_count.to_string()),
            (
                "ApproximateFirstReceiveTimestamp",
                self.first_receive_ms.to_string(),
            ),
        ]);
        for (name, value) in [
            ("AWSTraceHeader", &self.trace_header),
            ("MessageGroupId", &self.group_id),
            ("MessageDeduplicationId", &self.deduplication_id),
            ("SequenceNumber", &self.sequence_number),
        ] {
            if let Some(v) = value {
                out.insert(name, v.clone());
            }
        }
        out
    }
}

/// A message as its queue holds it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Message {
    pub(crate) id: String,
    pub(crate) body: String,
    pub(crate) md5_of_body: String,
    pub(crate) md5_of_attributes: Option<String>,
    pub(crate) attributes: BTreeMap<String, AttributeValue>,
    pub(crate) sent_ms: u64,
    /// Not returned by a receive before this time (delay, or in flight).
    pub(crate) visible_at_ms: u64,
    pub(crate) first_receive_ms: u64,
    pub(crate) receive_count: u32,
    /// The newest receipt handle; only it deletes the message.
    pub(crate) receipt: Option<String>,
    pub(crate) trace_header: Option<String>,
    /// The queue it was moved from by its RedrivePolicy, where a move task with no
    /// destination sends it back.
    pub(crate) dead_letter_source: Option<String>,
    pub(crate) group_id: Option<String>,
    pub(crate) deduplication_id: Option<String>,
    pub(crate) sequence_number: Option<String>,
}

impl Message {
    /// The message as a receive hands it out with handle `receipt`.
    pub(crate) fn received(&self, receipt: String) -> Received {
        Received {
            message_id: self.id.clone(),
            receipt_handle: receipt,
            body: self.body.clone(),
            md5_of_body: self.md5_of_body.clone(),
            md5_of_attributes: self.md5_of_attributes.clone(),
            attributes: self.attributes.clone(),
            sent_ms: self.sent_ms,
            first_receive_ms: self.first_receive_ms,
            receive_count: self.receive_count,
            trace_header: self.trace_header.clone(),
            group_id: self.group_id.clone(),
            deduplication_id: self.deduplication_id.clone(),
            sequence_number: self.sequence_number.clone(),
        }
    }
}

impl Message {
    /// What the message counts against the bound on held bytes: body, attributes (names,
    /// types and values) and [`MESSAGE_OVERHEAD_BYTES`].
    pub(crate) fn held_bytes(&self) -> u64 {
        held_bytes(
            self.body.len()
                + self
                    .attributes
                    .iter()
                    .map(|(k, v)| k.len() + v.data_type.len() + v.value.len())
                    .sum::<usize>(),
        )
    }
}

/// What a message of `size` bytes (as [`message_size`] counts) holds against the bound.
pub(crate) fn held_bytes(size: usize) -> u64 {
    size as u64 + MESSAGE_OVERHEAD_BYTES
}

/// The bytes held by every queue of an engine, against its bound; shared by the queues.
#[derive(Debug)]
pub(crate) struct Held {
    bytes: AtomicU64,
    max: u64,
    refused: AtomicU64,
}

impl Held {
    /// Nothing held yet, at most `max` bytes.
    pub(crate) fn new(max: u64) -> Held {
        Held {
            bytes: AtomicU64::new(0),
            max,
            refused: AtomicU64::new(0),
        }
    }

    /// Bytes held now.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Messages refused so far.
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Whether `bytes` more would fit; if not, counts `messages` refused messages.
    pub(crate) fn check(&self, bytes: u64, messages: u64) -> Result<(), SqsError> {
        let held = self.bytes();
        if held.saturating_add(bytes) <= self.max {
            return Ok(());
        }
        self.refused.fetch_add(messages, Ordering::Relaxed);
        Err(SqsError::RequestThrottled {
            held,
            max: self.max,
        })
    }

    /// Takes `bytes` if they fit, at once (no other send can take them meanwhile); else
    /// counts one refused message.
    fn reserve(&self, bytes: u64) -> Result<(), SqsError> {
        self.bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
                held.checked_add(bytes).filter(|total| *total <= self.max)
            })
            .map(|_| ())
            .map_err(|held| {
                self.refused.fetch_add(1, Ordering::Relaxed);
                SqsError::RequestThrottled {
                    held,
                    max: self.max,
                }
            })
    }

    /// Takes `bytes` whatever the bound: messages restored from disk were acknowledged.
    pub(crate) fn force(&self, bytes: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    fn release(&self, bytes: u64) {
        // Never below zero, even if a count went wrong.
        let _ = self
            .bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
                Some(held.saturating_sub(bytes))
            });
    }
}

/// A queue's messages in send order, and the index from receipt handle to message. Every
/// message's [`Message::held_bytes`] is counted in the engine's [`Held`] from
/// [`push`](Messages::push) until it is removed (deleted, expired, purged, its queue
/// deleted or dropped).
#[derive(Debug)]
pub(crate) struct Messages {
    pub(crate) next_seq: u64,
    pub(crate) by_seq: BTreeMap<u64, Message>,
    /// Newest receipt handle -> message.
    pub(crate) receipts: HashMap<String, u64>,
    /// A FIFO queue's deduplication ids and sequence counter (unused by standard queues).
    pub(crate) fifo: crate::fifo::FifoState,
    /// A FIFO queue's recent ReceiveRequestAttemptIds (unused by standard queues).
    pub(crate) attempts: crate::fifo::Attempts,
    /// The engine's count of held bytes.
    held: Arc<Held>,
    /// What this queue's messages hold of it.
    bytes: u64,
    /// Set when the queue is deleted: a send that found the queue before then stores
    /// nothing.
    pub(crate) closed: bool,
}

impl Drop for Messages {
    fn drop(&mut self) {
        self.held.release(self.bytes);
    }
}

impl Messages {
    /// No messages, counted in `held`.
    pub(crate) fn new(held: Arc<Held>) -> Messages {
        Messages {
            next_seq: 0,
            by_seq: BTreeMap::new(),
            receipts: HashMap::new(),
            fifo: crate::fifo::FifoState::default(),
            attempts: crate::fifo::Attempts::default(),
            held,
            bytes: 0,
            closed: false,
        }
    }

    /// Counts `bytes` of a message taken back from disk, without a check against the bound.
    pub(crate) fn force_count(&mut self, bytes: u64) {
        self.held.force(bytes);
        self.bytes += bytes;
    }

    /// Stores `message` as the newest, if the engine's bound leaves room for it
    /// ([`SqsError::RequestThrottled`] otherwise, and nothing is stored). Returns its place.
    pub(crate) fn push(&mut self, message: Message) -> Result<u64, SqsError> {
        let size = message.held_bytes();
        self.held.reserve(size)?;
        self.bytes += size;
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_seq.insert(seq, message);
        Ok(seq)
    }

    /// Drops the messages sent `retention_ms` or longer before `now`.
    pub(crate) fn expire(&mut self, now: u64, retention_ms: u64) {
        let expired: Vec<u64> = self
            .by_seq
            .iter()
            .take_while(|(_, m)| m.sent_ms + retention_ms <= now)
            .map(|(seq, _)| *seq)
            .collect();
        for seq in expired {
            self.remove(seq);
        }
    }

    pub(crate) fn remove(&mut self, seq: u64) -> Option<Message> {
        let m = self.by_seq.remove(&seq)?;
        if let Some(r) = &m.receipt {
            self.receipts.remove(r);
        }
        let size = m.held_bytes();
        self.bytes = self.bytes.saturating_sub(size);
        self.held.release(size);
        Some(m)
    }

    pub(crate) fn clear(&mut self) {
        self.by_seq.clear();
        self.receipts.clear();
        self.held.release(self.bytes);
        self.bytes = 0;
    }
}

/// A message's size as SQS counts it against MaximumMessageSize: the body plus each
/// attribute's name, data type and value.
pub fn message_size(message: &Outgoing) -> usize {
    message.body.len()
        + message
            .attributes
            .iter()
            .map(|(k, v)| k.len() + v.data_type.len() + v.value.len())
            .sum::<usize>()
}

/// Checks a message against a queue whose MaximumMessageSize is `max_size`.
pub(crate) fn check(message: &Outgoing, max_size: usize) -> Result<(), SqsError> {
    if message.body.is_empty() {
        return Err(SqsError::MissingParameter("MessageBody".into()));
    }
    if message_size(message) > max_size {
        return Err(SqsError::InvalidParameterValue(format!(
            "One or more parameters are invalid. Reason: Message must be shorter than {max_size} bytes."
        )));
    }
    if let Some(delay) = message
        .delay_seconds
        .filter(|d| !(0..=i64::from(MAX_DELAY_SECS)).contains(d))
    {
        return Err(SqsError::InvalidParameterValue(format!(
            "Value {delay} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900."
        )));
    }
    if message.attributes.len() > MAX_ATTRIBUTES {
        return Err(SqsError::InvalidParameterValue(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [10].",
            message.attributes.len()
        )));
    }
    for (name, value) in &message.attributes {
        let base = value.data_type.split('.').next().unwrap_or("");
        if !matches!(base, "String" | "Number" | "Binary") {
            return Err(SqsError::InvalidParameterValue(format!(
                "The type of message (user) attribute '{name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String."
            )));
        }
        if value.value.is_empty() {
            return Err(SqsError::InvalidParameterValue(format!(
                "Message (user) attribute '{name}' must contain a non-empty value of type '{}'.",
                value.data_type
            )));
        }
    }
    Ok(())
}

/// Replaces the characters SQS does not allow in a message (outside `#x9 | #xA | #xD |
/// #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF`) with U+FFFD, as SQS stores them.
pub(crate) fn clean_body(body: &str) -> String {
    let allowed = |c: char| matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    if body.chars().all(allowed) {
        return body.to_string();
    }
    body.chars()
        .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_delay(delay: i64) -> Outgoing {
        Outgoing {
            body: "x".into(),
            delay_seconds: Some(delay),
            ..Outgoing::default()
        }
    }

    #[test]
    fn delays_outside_0_to_900_are_refused_as_sent() {
        assert_eq!(check(&with_delay(900), 1024), Ok(()));
        assert_eq!(
            check(&with_delay(-1), 1024),
            Err(SqsError::InvalidParameterValue(
                "Value -1 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.".into()
            ))
        );
        assert!(check(&with_delay(901), 1024).is_err());
    }

    #[test]
    fn attributes_need_a_known_type_and_a_value() {
        let mut m = Outgoing {
            body: "x".into(),
            ..Outgoing::default()
        };
        m.attributes.insert(
            "a".into(),
            AttributeValue {
                data_type: "Number.int".into(),
                value: b"1".to_vec(),
            },
        );
        assert_eq!(check(&m, 1024), Ok(()));
        m.attributes.insert(
            "b".into(),
            AttributeValue {
                data_type: "Text".into(),
                value: b"1".to_vec(),
            },
        );
        assert!(matches!(
            check(&m, 1024),
            Err(SqsError::InvalidParameterValue(t)) if t.contains("'b' is invalid")
        ));
    }
}
