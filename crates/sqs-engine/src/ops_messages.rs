//! Message operations: send, receive (with long polling), delete and visibility changes, by
//! queue URL and, for Lambda, by queue ARN.

use std::time::Duration;

use metric_store::catalog;

use crate::attributes::MAX_VISIBILITY_SECS;
use crate::durable::{Change, Taken};
use crate::md5::{md5_hex, md5_of_attributes};
use crate::message::{self, Message, Outgoing, Received, Sent, clean_body, message_size};
use crate::queue::Queue;
use crate::{MAX_BATCH, MAX_WAIT_SECS, SqsEngine, SqsError, fifo, receipt};

/// How often a long poll looks again without a wake-up: delayed and in-flight messages
/// become visible when the clock passes their time, which sends no notification.
const POLL_EVERY: Duration = Duration::from_millis(100);

impl SqsEngine {
    /// Checks one message against the queue's limits, without sending it.
    pub fn validate(&self, queue_url: &str, message: &Outgoing) -> Result<(), SqsError> {
        let q = self.queue(queue_url)?;
        message::check(message, q.settings.read().maximum_message_size as usize)
    }

    /// What fails a whole SendMessageBatch on a FIFO queue, as SQS refuses it: an entry
    /// without a deduplication id on a queue without ContentBasedDeduplication, or without
    /// a MessageGroupId (both `InvalidParameterValue`, for the batch, not the entry).
    pub fn check_batch<'m>(
        &self,
        queue_url: &str,
        messages: impl IntoIterator<Item = &'m Outgoing>,
    ) -> Result<(), SqsError> {
        let q = self.queue(queue_url)?;
        let Some(settings) = q.settings.read().fifo else {
            return Ok(());
        };
        for m in messages {
            if m.deduplication_id.is_none() && !settings.content_based_deduplication {
                return Err(fifo::no_deduplication_id());
            }
            if m.group_id.is_none() {
                return Err(SqsError::InvalidParameterValue(
                    "The request must contain the parameter MessageGroupId.".into(),
                ));
            }
        }
        Ok(())
    }

    /// Whether `messages` would fit within the bound on held bytes now
    /// ([`SqsConfig::max_held_bytes`](crate::SqsConfig)): SendMessageBatch asks before
    /// sending any, so that a full engine refuses the whole batch. A refusal counts every
    /// message in [`SqsEngine::sends_refused`]. Each send checks again, at once.
    pub fn check_room<'m>(
        &self,
        messages: impl IntoIterator<Item = &'m Outgoing>,
    ) -> Result<(), SqsError> {
        let (bytes, count) = messages.into_iter().fold((0, 0), |(bytes, count), m| {
            (bytes + message::held_bytes(message_size(m)), count + 1)
        });
        self.inner.held.check(bytes, count)
    }

    /// Sends one message to the queue at `queue_url` (or named so).
    ///
    /// Refused with [`SqsError::RequestThrottled`], and nothing stored, when the engine's
    /// queues already hold [`SqsConfig::max_held_bytes`](crate::SqsConfig): a message is
    /// acknowledged only once it is stored, and never dropped to make room.
    pub fn send(&self, queue_url: &str, message: Outgoing) -> Result<Sent, SqsError> {
        let q = self.queue(queue_url)?;
        self.send_to(&q, message)
    }

    /// Sends one message to the queue whose ARN is `arn`: how Lambda delivers to a
    /// destination.
    pub fn send_to_arn(&self, arn: &str, message: Outgoing) -> Result<Sent, SqsError> {
        let q = self.queue_by_arn(arn)?;
        self.send_to(&q, message)
    }

    fn send_to(&self, q: &Queue, message: Outgoing) -> Result<Sent, SqsError> {
        let (max_size, default_delay, fifo) = {
            let s = q.settings.read();
            (s.maximum_message_size as usize, s.delay_seconds, s.fifo)
        };
        message::check(&message, max_size)?;
        for (parameter, value) in [
            ("MessageGroupId", &message.group_id),
            ("MessageDeduplicationId", &message.deduplication_id),
        ] {
            if let Some(v) = value {
                fifo::check_token(parameter, v)?;
            }
        }
        let size = message_size(&message);
        let body = clean_body(&message.body);
        let deduplication_id = match &fifo {
            Some(settings) => Some(fifo::check_send(
                settings,
                message.group_id.as_deref(),
                message.deduplication_id.as_deref(),
                message.delay_seconds,
                &body,
            )?),
            None => {
                if let Some(id) = &message.deduplication_id {
                    return Err(SqsError::InvalidParameterValue(format!(
                        "Value {id} for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type."
                    )));
                }
                None
            }
        };
        let now = self.now_ms();
        let message_group = message.group_id.clone();
        // `check` held the delay to 0..=900.
        let delay = message
            .delay_seconds
            .filter(|_| fifo.is_none())
            .map_or(u64::from(default_delay), |d| d.max(0) as u64);
        let mut sent = Sent {
            message_id: uuid::Uuid::new_v4().to_string(),
            md5_of_body: md5_hex(body.as_bytes()),
            md5_of_attributes: (!message.attributes.is_empty())
                .then(|| md5_of_attributes(&message.attributes)),
            sequence_number: None,
        };
        {
            let _gate = self.change_gate();
            let mut messages = q.messages.lock();
            if messages.closed {
                return Err(SqsError::QueueDoesNotExist);
            }
            if let (Some(settings), Some(dedup)) = (&fifo, &deduplication_id) {
                let group = message.group_id.as_deref().unwrap_or_default();
                let scope = settings.deduplication_scope;
                // A duplicate is accepted and answered as the first send was, and not stored.
                if let Some(first) = messages.fifo.duplicate(now, scope, group, dedup) {
                    drop(messages);
                    sent.message_id = first.message_id;
                    sent.sequence_number = Some(first.sequence_number);
                    self.record(&q.name, &catalog::sqs::DEDUPLICATED_SENT, 1.0);
                    return Ok(sent);
                }
                sent.sequence_number = Some(messages.fifo.next_sequence());
            }
            let message = Message {
                id: sent.message_id.clone(),
                body,
                md5_of_body: sent.md5_of_body.clone(),
                md5_of_attributes: sent.md5_of_attributes.clone(),
                attributes: message.attributes,
                sent_ms: now,
                visible_at_ms: now + delay * 1000,
                first_receive_ms: 0,
                receive_count: 0,
                receipt: None,
                trace_header: message.trace_header,
                dead_letter_source: None,
                group_id: message_group.clone(),
                deduplication_id: deduplication_id.clone(),
                sequence_number: sent.sequence_number.clone(),
            };
            let copy = self.journaled().then(|| message.clone());
            let seq = messages.push(message)?;
            let dedup = fifo
                .as_ref()
                .zip(deduplication_id.as_deref())
                .map(|(s, d)| {
                    fifo::FifoState::key_of(
                        s.deduplication_scope,
                        message_group.as_deref().unwrap_or_default(),
                        d,
                    )
                });
            if let Some(message) = copy {
                let change = Change::Send {
                    queue: q.name.clone(),
                    seq,
                    message,
                    dedup: dedup.clone(),
                };
                // Not journaled, not acknowledged: the message is taken back.
                if let Err(e) = self.journal(|| change) {
                    messages.remove(seq);
                    return Err(e);
                }
            }
            if let (Some(key), Some(sequence_number)) = (dedup, &sent.sequence_number) {
                messages.fifo.remember_key(
                    now,
                    key,
                    fifo::FirstSend {
                        message_id: sent.message_id.clone(),
                        sequence_number: sequence_number.clone(),
                    },
                );
            }
        }
        q.arrived.notify_waiters();
        self.record(&q.name, &catalog::sqs::MESSAGES_SENT, 1.0);
        self.record(&q.name, &catalog::sqs::SENT_MESSAGE_SIZE, size as f64);
        Ok(sent)
    }

    /// Receives up to `max` (1..=10) messages, hiding each for `visibility` seconds (the
    /// queue's VisibilityTimeout if absent) and waiting up to `wait` seconds (the queue's
    /// ReceiveMessageWaitTimeSeconds if absent) for the first to arrive. Values are taken as
    /// sent, so that an error can quote them.
    pub async fn receive(
        &self,
        queue_url: &str,
        max: i64,
        visibility: Option<i64>,
        wait: Option<i64>,
    ) -> Result<Vec<Received>, SqsError> {
        self.receive_attempt(queue_url, max, visibility, wait, None)
            .await
    }

    /// [`SqsEngine::receive`] with a FIFO queue's `ReceiveRequestAttemptId`: retried within
    /// five minutes of the first call, while none of the messages it handed out was
    /// deleted, received by another call or had its visibility changed, it returns the
    /// same messages with the same receipt handles (and receive counts) and starts their
    /// visibility timeout again. Ignored on a standard queue, as SQS does.
    pub async fn receive_attempt(
        &self,
        queue_url: &str,
        max: i64,
        visibility: Option<i64>,
        wait: Option<i64>,
        attempt_id: Option<&str>,
    ) -> Result<Vec<Received>, SqsError> {
        let q = self.queue(queue_url)?;
        let attempt_id = attempt_id.filter(|_| q.settings.read().fifo.is_some());
        if let Some(id) = attempt_id {
            fifo::check_token("ReceiveRequestAttemptId", id)?;
        }
        if !(1..=MAX_BATCH as i64).contains(&max) {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."
            )));
        }
        if let Some(v) = visibility.filter(|v| !(0..=i64::from(MAX_VISIBILITY_SECS)).contains(v)) {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {v} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided."
            )));
        }
        if let Some(w) = wait.filter(|w| !(0..=i64::from(MAX_WAIT_SECS)).contains(w)) {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {w} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided."
            )));
        }
        let (default_visibility, default_wait) = {
            let s = q.settings.read();
            (s.visibility_timeout, s.receive_message_wait_time_seconds)
        };
        // The checks above hold both to small non-negative values.
        let visibility_ms = visibility.map_or(u64::from(default_visibility), |v| v as u64) * 1000;
        let wait_secs = wait.map_or(u64::from(default_wait), |w| w as u64);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(wait_secs);
        loop {
            let arrived = q.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            // A running move task may owe this queue messages by now.
            self.progress_move_tasks();
            let got = self.take(&q, max as usize, visibility_ms, attempt_id);
            if !got.is_empty() {
                self.record(&q.name, &catalog::sqs::MESSAGES_RECEIVED, got.len() as f64);
                return Ok(got);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline || !self.inner.queues.read().contains_key(&q.name) {
                self.record(&q.name, &catalog::sqs::EMPTY_RECEIVES, 1.0);
                return Ok(Vec::new());
            }
            let nap = (deadline - now).min(POLL_EVERY);
            let _ = tokio::time::timeout(nap, arrived).await;
        }
    }

    /// Hands out up to `max` visible messages, hiding each for `visibility_ms`; with a
    /// FIFO `attempt` id seen within five minutes and unmodified since, the same ones again.
    fn take(
        &self,
        q: &Queue,
        max: usize,
        visibility_ms: u64,
        attempt: Option<&str>,
    ) -> Vec<Received> {
        let _gate = self.change_gate();
        let now = self.now_ms();
        let retention = q.retention_ms();
        // With a RedrivePolicy, a message already received maxReceiveCount times goes to the
        // dead-letter queue instead of out again.
        let redrive = q.settings.read().redrive.clone().and_then(|p| {
            let dlq = self.queue_by_arn(&p.dead_letter_target_arn).ok()?;
            (!std::ptr::eq(dlq.as_ref(), q)).then_some((p.max_receive_count, dlq))
        });
        // Messages leaving for the dead-letter queue, with their place here.
        let mut moved: Vec<(u64, Message)> = Vec::new();
        let mut messages = q.messages.lock();
        messages.expire(now, retention);
        if let Some(id) = attempt
            && let Some(again) = retry(&mut messages, id, now + visibility_ms, now)
        {
            if !again.1.is_empty() {
                let _ = self.journal(|| Change::Receive {
                    queue: q.name.clone(),
                    taken: again.1,
                });
            }
            return again.0;
        }
        let mut handed = Vec::new();
        let mut ready: Vec<u64> = Vec::new();
        // Visible messages in order, as many as are still wanted at a time: a message moved
        // to the dead-letter queue does not count, so the scan goes on past it.
        let mut from = 0;
        let is_fifo = q.settings.read().fifo.is_some();
        // In a FIFO queue a group with a message in flight (or still delayed) is held back
        // whole, so its messages go out one batch at a time and in order.
        let mut held_groups: std::collections::HashSet<String> = std::collections::HashSet::new();
        while ready.len() < max {
            let wanted = max - ready.len();
            let batch: Vec<(u64, u32)> = if is_fifo {
                let mut batch = Vec::new();
                for (seq, m) in messages.by_seq.range(from..) {
                    let group = m.group_id.as_deref().unwrap_or_default();
                    if m.visible_at_ms > now {
                        if !held_groups.contains(group) {
                            held_groups.insert(group.to_string());
                        }
                        continue;
                    }
                    if held_groups.contains(group) {
                        continue;
                    }
                    batch.push((*seq, m.receive_count));
                    if batch.len() == wanted {
                        break;
                    }
                }
                batch
            } else {
                messages
                    .by_seq
                    .range(from..)
                    .filter(|(_, m)| m.visible_at_ms <= now)
                    .take(wanted)
                    .map(|(seq, m)| (*seq, m.receive_count))
                    .collect()
            };
            let Some(&(last, _)) = batch.last() else {
                break;
            };
            from = last + 1;
            for (seq, receive_count) in batch {
                let exhausted = redrive
                    .as_ref()
                    .is_some_and(|(limit, _)| receive_count >= *limit);
                if !exhausted {
                    ready.push(seq);
                } else if let Some(mut m) = messages.remove(seq) {
                    m.receipt = None;
                    m.visible_at_ms = now;
                    m.dead_letter_source = Some(q.arn.clone());
                    moved.push((seq, m));
                }
            }
        }
        let mut out = Vec::with_capacity(ready.len());
        let mut taken = Vec::new();
        for seq in ready {
            let handle = receipt::issue(&q.name, seq);
            let Some(m) = messages.by_seq.get_mut(&seq) else {
                continue;
            };
            let old = m.receipt.replace(handle.clone());
            m.visible_at_ms = now + visibility_ms;
            m.receive_count += 1;
            if m.first_receive_ms == 0 {
                m.first_receive_ms = now;
            }
            let received = m.received(handle.clone());
            if attempt.is_some() {
                handed.push((seq, handle.clone(), m.visible_at_ms));
            }
            if self.journaled() {
                taken.push(Taken {
                    seq,
                    receipt: handle.clone(),
                    visible_at_ms: m.visible_at_ms,
                    receive_count: m.receive_count,
                    first_receive_ms: m.first_receive_ms,
                });
            }
            if let Some(old) = old {
                messages.receipts.remove(&old);
            }
            messages.receipts.insert(handle, seq);
            out.push(received);
        }
        if let Some(id) = attempt
            && !handed.is_empty()
        {
            messages.attempts.remember(now, id, handed);
        }
        if !taken.is_empty() {
            // A receive that cannot be journaled still hands its messages out: after a
            // restart they would only be visible again sooner, never lost.
            let _ = self.journal(|| Change::Receive {
                queue: q.name.clone(),
                taken,
            });
        }
        drop(messages);
        if let Some((_, dlq)) = redrive
            && !moved.is_empty()
        {
            let mut dead = dlq.messages.lock();
            let mut kept = Vec::new();
            for (from_seq, m) in moved {
                // Over the engine's memory bound the message stays in its queue rather than
                // be lost: its bytes were just released there, so it fits back.
                match dead.push(m.clone()) {
                    Ok(to_seq) => self.journal_move(q, from_seq, &dlq, to_seq, &m),
                    Err(_) => kept.push((from_seq, m)),
                }
            }
            drop(dead);
            dlq.arrived.notify_waiters();
            if !kept.is_empty() {
                let mut messages = q.messages.lock();
                for (from_seq, m) in kept {
                    if let Ok(to_seq) = messages.push(m.clone()) {
                        self.journal_move(q, from_seq, q, to_seq, &m);
                    }
                }
            }
        }
        out
    }

    /// Receives up to `max` visible messages of the queue whose ARN is `arn`, without
    /// waiting, hiding them for the queue's visibility timeout: how a Lambda event source
    /// mapping polls.
    pub fn receive_now_by_arn(&self, arn: &str, max: usize) -> Result<Vec<Received>, SqsError> {
        let q = self.queue_by_arn(arn)?;
        self.progress_move_tasks();
        let visibility = u64::from(q.settings.read().visibility_timeout) * 1000;
        let got = self.take(&q, max.clamp(1, MAX_BATCH), visibility, None);
        let metric = if got.is_empty() {
            (&catalog::sqs::EMPTY_RECEIVES, 1.0)
        } else {
            (&catalog::sqs::MESSAGES_RECEIVED, got.len() as f64)
        };
        self.record(&q.name, metric.0, metric.1);
        Ok(got)
    }

    /// Deletes a received message of the queue whose ARN is `arn`.
    pub fn delete_by_arn(&self, arn: &str, receipt: &str) -> Result<(), SqsError> {
        let url = self.queue_by_arn(arn)?.url.clone();
        self.delete(&url, receipt)
    }

    /// Deletes the message a receipt handle was issued for. A handle that is no longer the
    /// newest (the message was received again) or whose message is gone succeeds without
    /// deleting anything, as on AWS.
    pub fn delete(&self, queue_url: &str, receipt: &str) -> Result<(), SqsError> {
        let q = self.queue(queue_url)?;
        receipt::check(&q.name, receipt)?;
        let is_fifo = q.settings.read().fifo.is_some();
        let now = self.now_ms();
        let deleted = {
            let _gate = self.change_gate();
            let mut messages = q.messages.lock();
            match messages.receipts.get(receipt).copied() {
                // A FIFO message visible again may already be another consumer's to take in
                // order: its old handle no longer deletes it, and SQS says so.
                Some(seq)
                    if is_fifo
                        && messages
                            .by_seq
                            .get(&seq)
                            .is_some_and(|m| m.visible_at_ms <= now) =>
                {
                    return Err(SqsError::InvalidParameterValue(format!(
                        "Value {receipt} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."
                    )));
                }
                Some(seq) => {
                    self.journal(|| Change::Delete {
                        queue: q.name.clone(),
                        seq,
                    })?;
                    messages.remove(seq).is_some()
                }
                None => false,
            }
        };
        if deleted {
            self.record(&q.name, &catalog::sqs::MESSAGES_DELETED, 1.0);
        }
        Ok(())
    }

    /// Changes how long a received message stays hidden, counted from now.
    pub fn change_visibility(
        &self,
        queue_url: &str,
        receipt: &str,
        timeout_secs: i64,
    ) -> Result<(), SqsError> {
        let q = self.queue(queue_url)?;
        receipt::check(&q.name, receipt)?;
        if !(0..=i64::from(MAX_VISIBILITY_SECS)).contains(&timeout_secs) {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {timeout_secs} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200."
            )));
        }
        let now = self.now_ms();
        let _gate = self.change_gate();
        let mut messages = q.messages.lock();
        let seq = messages
            .receipts
            .get(receipt)
            .copied()
            .ok_or_else(|| SqsError::MessageNotInflight(receipt.to_string()))?;
        let m = messages
            .by_seq
            .get_mut(&seq)
            .filter(|m| m.visible_at_ms > now)
            .ok_or_else(|| SqsError::MessageNotInflight(receipt.to_string()))?;
        let visible_at_ms = now + timeout_secs as u64 * 1000;
        self.journal(|| Change::Visibility {
            queue: q.name.clone(),
            seq,
            visible_at_ms,
        })?;
        m.visible_at_ms = visible_at_ms;
        drop(messages);
        if timeout_secs == 0 {
            q.arrived.notify_waiters();
        }
        Ok(())
    }
}

/// The messages attempt `id` handed out, again with their handles and the new `deadline`,
/// if it was made within five minutes and none of them was modified since (else the
/// attempt is forgotten and `None` says to receive anew); with what to journal.
fn retry(
    messages: &mut crate::message::Messages,
    id: &str,
    deadline: u64,
    now: u64,
) -> Option<(Vec<Received>, Vec<Taken>)> {
    let previous = messages.attempts.get(now, id)?;
    let unchanged = previous.handed.iter().all(|(seq, receipt, until)| {
        messages
            .by_seq
            .get(seq)
            .is_some_and(|m| m.receipt.as_deref() == Some(receipt) && m.visible_at_ms == *until)
    });
    if !unchanged {
        messages.attempts.forget(id);
        return None;
    }
    let mut out = Vec::new();
    let mut taken = Vec::new();
    let mut handed = Vec::new();
    for (seq, receipt, _) in &previous.handed {
        if let Some(m) = messages.by_seq.get_mut(seq) {
            m.visible_at_ms = deadline;
            out.push(m.received(receipt.clone()));
            taken.push(Taken {
                seq: *seq,
                receipt: receipt.clone(),
                visible_at_ms: deadline,
                receive_count: m.receive_count,
                first_receive_ms: m.first_receive_ms,
            });
            handed.push((*seq, receipt.clone(), deadline));
        }
    }
    messages.attempts.remember(now, id, handed);
    Some((out, taken))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::Depth;
    use crate::testing::{engine, queue, sum, text};

    #[tokio::test]
    async fn a_received_message_hides_until_its_timeout_and_only_the_newest_handle_deletes() {
        let (e, clock) = engine();
        let url = queue(&e, "q");
        e.send(&url, text("one")).unwrap();
        let first = e.receive(&url, 10, Some(1), Some(0)).await.unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].receive_count, 1);
        assert!(e.receive(&url, 10, None, Some(0)).await.unwrap().is_empty());
        assert_eq!(e.depth(&url).unwrap().in_flight, 1);
        // Visible again once the clock passes the 1 s timeout: a long poll picks it up.
        let mover = {
            let clock = clock.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                clock.advance(1_000);
            })
        };
        let second = e.receive(&url, 10, Some(30), Some(3)).await.unwrap();
        mover.await.unwrap();
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].receive_count, 2);
        assert_ne!(first[0].receipt_handle, second[0].receipt_handle);
        // The stale handle succeeds but deletes nothing.
        e.delete(&url, &first[0].receipt_handle).unwrap();
        assert_eq!(e.depth(&url).unwrap().in_flight, 1);
        e.delete(&url, &second[0].receipt_handle).unwrap();
        assert_eq!(e.depth(&url).unwrap(), Depth::default());
        assert_eq!(
            e.delete(&url, "not-a-handle"),
            Err(SqsError::ReceiptHandleIsInvalid("not-a-handle".into()))
        );
        assert_eq!(sum(&e, "NumberOfMessagesSent", "q"), 1.0);
        assert_eq!(sum(&e, "NumberOfMessagesReceived", "q"), 2.0);
        assert_eq!(sum(&e, "NumberOfMessagesDeleted", "q"), 1.0);
        assert_eq!(sum(&e, "NumberOfEmptyReceives", "q"), 1.0);
    }

    #[tokio::test]
    async fn a_long_poll_wakes_when_a_message_arrives() {
        let (e, _) = engine();
        let url = queue(&e, "q");
        let waiter = {
            let (e, url) = (e.clone(), url.clone());
            tokio::spawn(async move { e.receive(&url, 1, None, Some(20)).await })
        };
        // Real time: the poll must be waiting before the message is sent.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = std::time::Instant::now();
        e.send(&url, text("ping")).unwrap();
        let got = waiter.await.unwrap().unwrap();
        assert_eq!(got[0].body, "ping");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn delays_and_retention_follow_the_clock() {
        let (e, clock) = engine();
        let attrs = BTreeMap::from([
            ("DelaySeconds".to_string(), "10".to_string()),
            ("MessageRetentionPeriod".to_string(), "60".to_string()),
        ]);
        let url = e.create_queue("q", &attrs, &BTreeMap::new()).unwrap();
        e.send(&url, text("late")).unwrap();
        e.send(
            &url,
            Outgoing {
                body: "now".into(),
                delay_seconds: Some(0),
                ..Outgoing::default()
            },
        )
        .unwrap();
        let got = e.receive(&url, 10, Some(0), Some(0)).await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].body, "now");
        assert_eq!(e.depth(&url).unwrap().delayed, 1);
        clock.advance(10_000);
        assert_eq!(e.depth(&url).unwrap().visible, 2);
        assert_eq!(e.depth(&url).unwrap().oldest_age_secs, Some(10));
        // Both were sent at the start; after 60 s neither is kept.
        clock.advance(50_000);
        assert_eq!(e.depth(&url).unwrap(), Depth::default());
        assert!(e.receive(&url, 10, None, Some(0)).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn visibility_changes_count_from_now() {
        let (e, clock) = engine();
        let url = queue(&e, "q");
        e.send(&url, text("m")).unwrap();
        let got = e.receive(&url, 1, Some(5), Some(0)).await.unwrap();
        let handle = &got[0].receipt_handle;
        clock.advance(4_000);
        e.change_visibility(&url, handle, 10).unwrap();
        clock.advance(9_999);
        assert_eq!(e.depth(&url).unwrap().in_flight, 1);
        clock.advance(1);
        assert_eq!(e.depth(&url).unwrap().visible, 1);
        assert_eq!(
            e.change_visibility(&url, handle, 10),
            Err(SqsError::MessageNotInflight(handle.clone()))
        );
        assert!(matches!(
            e.change_visibility(&url, handle, -1),
            Err(SqsError::InvalidParameterValue(t)) if t.starts_with("Value -1 ")
        ));
        assert!(matches!(
            e.receive(&url, 11, None, None).await,
            Err(SqsError::InvalidParameterValue(t)) if t.starts_with("Value 11 for parameter MaxNumberOfMessages")
        ));
    }

    #[tokio::test]
    async fn sends_past_the_bound_on_held_bytes_are_refused_and_nothing_is_lost() {
        use crate::{MESSAGE_OVERHEAD_BYTES, SqsConfig};
        let one = MESSAGE_OVERHEAD_BYTES + 1;
        let (e, clock) = crate::testing::engine_with(SqsConfig {
            max_held_bytes: 3 * one,
            ..SqsConfig::default()
        });
        let a = queue(&e, "a");
        let b = queue(&e, "b");
        e.send(&a, text("1")).unwrap();
        e.send(&b, text("2")).unwrap();
        e.send(&a, text("3")).unwrap();
        assert_eq!(e.held_bytes(), 3 * one);
        // Full across both queues: refused, and not stored.
        assert_eq!(
            e.send(&b, text("4")),
            Err(SqsError::RequestThrottled {
                held: 3 * one,
                max: 3 * one
            })
        );
        assert_eq!(e.sends_refused(), 1);
        assert_eq!(e.depth(&b).unwrap().visible, 1);
        assert_eq!(sum(&e, "NumberOfMessagesSent", "b"), 1.0);
        // Every acknowledged message is still there.
        let got = e.receive(&a, 10, Some(30), Some(0)).await.unwrap();
        assert_eq!(got.len(), 2);
        // Received but not deleted still counts; a delete makes room.
        assert!(e.send(&b, text("4")).is_err());
        e.delete(&a, &got[0].receipt_handle).unwrap();
        assert_eq!(e.held_bytes(), 2 * one);
        e.send(&b, text("4")).unwrap();
        // A batch is asked about as a whole.
        assert!(e.check_room([&text("5")]).is_err());
        assert_eq!(e.sends_refused(), 3);
        // Purge, expiry and queue deletion all give bytes back.
        clock.advance(60_000);
        e.purge(&b).unwrap();
        assert_eq!(e.held_bytes(), one);
        assert!(e.check_room([&text("5"), &text("6")]).is_ok());
        e.delete_queue(&a).unwrap();
        assert_eq!(e.held_bytes(), 0);
        let c = e
            .create_queue(
                "c",
                &BTreeMap::from([("MessageRetentionPeriod".to_string(), "60".to_string())]),
                &BTreeMap::new(),
            )
            .unwrap();
        e.send(&c, text("x")).unwrap();
        assert_eq!(e.held_bytes(), one);
        clock.advance(60_000);
        assert_eq!(e.depth(&c).unwrap(), Depth::default());
        assert_eq!(e.held_bytes(), 0);
    }

    #[test]
    fn held_bytes_count_attributes_and_the_cleaned_body() {
        let (e, _) = engine();
        let url = queue(&e, "q");
        let mut m = text("ab");
        m.attributes.insert(
            "n".into(),
            crate::AttributeValue {
                data_type: "Number".into(),
                value: b"12".to_vec(),
            },
        );
        e.send(&url, m).unwrap();
        let overhead = crate::MESSAGE_OVERHEAD_BYTES;
        assert_eq!(e.held_bytes(), overhead + 2 + 1 + 6 + 2);
        // U+0001 is stored as U+FFFD, three bytes.
        e.send(&url, text("\u{1}")).unwrap();
        assert_eq!(e.held_bytes(), 2 * overhead + 11 + 3);
    }

    #[test]
    fn invalid_characters_are_replaced_and_size_is_limited() {
        let (e, _) = engine();
        let url = queue(&e, "q");
        assert_eq!(clean_body("a\u{1}b"), "a\u{FFFD}b");
        // The default MaximumMessageSize is 1 MiB.
        assert!(e.send(&url, text(&"x".repeat(1_048_577))).is_err());
        assert!(e.send(&url, text(&"x".repeat(1_048_576))).is_ok());
        assert_eq!(
            e.send(&url, text("")),
            Err(SqsError::MissingParameter("MessageBody".into()))
        );
        assert_eq!(e.send("nope", text("x")), Err(SqsError::QueueDoesNotExist));
    }
}
