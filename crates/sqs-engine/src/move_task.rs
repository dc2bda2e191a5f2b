//! Redrive back: StartMessageMoveTask and ListMessageMoveTasks.
//!
//! A task moves the messages of a dead-letter queue to a destination queue, or, without one,
//! each back to the queue its RedrivePolicy moved it from. Without MaxNumberOfMessagesPerSecond
//! a task moves every message visible when it starts at once and is COMPLETED when
//! StartMessageMoveTask returns. With a rate it is RUNNING and moves that many messages per
//! second of the engine's clock, caught up whenever the engine is asked about tasks or a
//! queue is received from, until it has moved what was there at its start, or
//! CancelMessageMoveTask stops it (CANCELLED; what was moved stays moved). One task at a time
//! runs per source queue. Moved messages keep their id, body and attributes and start over
//! with a receive count of 0.

use std::sync::atomic::Ordering;

use crate::message::Message;
use crate::{SqsEngine, SqsError};

/// Where a move task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveTaskStatus {
    /// Moving.
    Running,
    /// Every message it set out to move was moved.
    Completed,
    /// Some messages had nowhere to go (their source queue was deleted).
    Failed,
    /// Stopped by CancelMessageMoveTask.
    Cancelled,
}

impl MoveTaskStatus {
    /// AWS's name for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            MoveTaskStatus::Running => "RUNNING",
            MoveTaskStatus::Completed => "COMPLETED",
            MoveTaskStatus::Failed => "FAILED",
            MoveTaskStatus::Cancelled => "CANCELLED",
        }
    }
}

/// One message move task, as ListMessageMoveTasks reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveTask {
    /// The handle StartMessageMoveTask returned.
    pub handle: String,
    /// Its status.
    pub status: MoveTaskStatus,
    /// The dead-letter queue it moves from.
    pub source_arn: String,
    /// The queue it moves to; `None` sends each message back to its own source.
    pub destination_arn: Option<String>,
    /// The rate asked for, kept and reported.
    pub max_per_second: Option<i32>,
    /// Messages moved.
    pub moved: u64,
    /// Messages it set out to move.
    pub to_move: u64,
    /// Why it failed, when it did.
    pub failure_reason: Option<String>,
    /// When it started, epoch ms.
    pub started_ms: u64,
}

/// The highest MaxNumberOfMessagesPerSecond SQS accepts.
const MAX_RATE: i32 = 500;
/// Move tasks kept for ListMessageMoveTasks (which shows at most 10 per queue); older ones
/// are forgotten so the list does not grow with use.
const MAX_TASKS_KEPT: usize = 1000;

fn no_such(parameter: &str) -> SqsError {
    SqsError::ResourceNotFound(format!(
        "The resource that you specified for the {parameter} parameter doesn't exist."
    ))
}

impl SqsEngine {
    /// Starts moving the messages of dead-letter queue `source_arn` to `destination_arn`,
    /// or each back to its source queue: all at once without `max_per_second`, else at that
    /// rate on the engine's clock. Returns the task's handle.
    pub fn start_message_move_task(
        &self,
        source_arn: &str,
        destination_arn: Option<&str>,
        max_per_second: Option<i32>,
    ) -> Result<String, SqsError> {
        if let Some(rate) = max_per_second.filter(|r| !(1..=MAX_RATE).contains(r)) {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {rate} for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and {MAX_RATE}."
            )));
        }
        let source = self
            .queue_by_arn(source_arn)
            .map_err(|_| no_such("SourceArn"))?;
        let is_dead_letter_queue = self.inner.queues.read().values().any(|q| {
            q.settings
                .read()
                .redrive
                .as_ref()
                .is_some_and(|r| r.dead_letter_target_arn == source_arn)
        });
        if !is_dead_letter_queue {
            return Err(SqsError::InvalidParameterValue(
                "Source queue must be configured as a Dead Letter Queue.".into(),
            ));
        }
        if let Some(arn) = destination_arn {
            self.queue_by_arn(arn)
                .map_err(|_| no_such("DestinationArn"))?;
        }
        let now = self.now_ms();
        self.progress_move_tasks();
        let mut tasks = self.inner.move_tasks.lock();
        if tasks
            .iter()
            .any(|t| t.source_arn == source_arn && t.status == MoveTaskStatus::Running)
        {
            return Err(SqsError::InvalidParameterValue(
                "There is already a task running. Only one active task is allowed for a source queue arn at a given time."
                    .into(),
            ));
        }
        let to_move = {
            let mut messages = source.messages.lock();
            messages.expire(now, source.retention_ms());
            messages
                .by_seq
                .values()
                .filter(|m| m.visible_at_ms <= now)
                .count() as u64
        };
        if tasks.len() >= MAX_TASKS_KEPT {
            tasks.remove(0);
        }
        let handle = uuid::Uuid::new_v4().to_string();
        let mut task = MoveTask {
            handle: handle.clone(),
            status: MoveTaskStatus::Running,
            source_arn: source_arn.to_string(),
            destination_arn: destination_arn.map(str::to_string),
            max_per_second,
            moved: 0,
            to_move,
            failure_reason: None,
            started_ms: now,
        };
        if max_per_second.is_none() {
            self.advance(&mut task, now);
        } else {
            self.inner.running_moves.fetch_add(1, Ordering::Relaxed);
        }
        tasks.push(task);
        Ok(handle)
    }

    /// Moves what each running task is due to have moved by now.
    pub(crate) fn progress_move_tasks(&self) {
        if self.inner.running_moves.load(Ordering::Relaxed) == 0 {
            return;
        }
        let now = self.now_ms();
        let mut tasks = self.inner.move_tasks.lock();
        for task in tasks
            .iter_mut()
            .filter(|t| t.status == MoveTaskStatus::Running)
        {
            self.advance(task, now);
            if task.status != MoveTaskStatus::Running {
                self.inner.running_moves.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// Moves the messages `task` is due to have moved at `now`, and ends it when it has
    /// moved all it set out to or its queue has no more.
    fn advance(&self, task: &mut MoveTask, now: u64) {
        let due = match task.max_per_second {
            Some(rate) => {
                let elapsed = now.saturating_sub(task.started_ms);
                (elapsed * u64::from(rate.unsigned_abs()) / 1000).min(task.to_move)
            }
            None => task.to_move,
        };
        let wanted = due.saturating_sub(task.moved);
        let (moved, stranded, exhausted) = if wanted > 0 {
            self.move_oldest(task, wanted as usize, now)
        } else {
            (0, false, false)
        };
        task.moved += moved;
        if stranded {
            task.status = MoveTaskStatus::Failed;
            task.failure_reason = Some("Some messages' source queues no longer exist.".into());
        } else if task.moved >= task.to_move || exhausted {
            task.status = MoveTaskStatus::Completed;
        }
    }

    /// Moves up to `limit` of the oldest visible messages of the task's source queue.
    /// Returns how many moved, whether some had nowhere to go (they stay in the source),
    /// and whether the source ran out of visible messages.
    fn move_oldest(&self, task: &MoveTask, limit: usize, now: u64) -> (u64, bool, bool) {
        let _gate = self.change_gate();
        let Ok(source) = self.queue_by_arn(&task.source_arn) else {
            return (0, false, true);
        };
        let destination = task
            .destination_arn
            .as_deref()
            .and_then(|arn| self.queue_by_arn(arn).ok());
        let taken: Vec<(u64, Message)> = {
            let mut messages = source.messages.lock();
            messages.expire(now, source.retention_ms());
            let visible: Vec<u64> = messages
                .by_seq
                .iter()
                .filter(|(_, m)| m.visible_at_ms <= now)
                .map(|(seq, _)| *seq)
                .take(limit)
                .collect();
            visible
                .into_iter()
                .filter_map(|seq| messages.remove(seq).map(|m| (seq, m)))
                .collect()
        };
        let exhausted = taken.len() < limit;
        let mut moved = 0u64;
        let mut stranded: Vec<(u64, Message)> = Vec::new();
        for (from_seq, mut m) in taken {
            let target = match &destination {
                Some(q) => Some(q.clone()),
                None => m
                    .dead_letter_source
                    .as_deref()
                    .and_then(|arn| self.queue_by_arn(arn).ok()),
            };
            let Some(target) = target else {
                stranded.push((from_seq, m));
                continue;
            };
            m.receive_count = 0;
            m.first_receive_ms = 0;
            m.receipt = None;
            m.visible_at_ms = now;
            m.dead_letter_source = None;
            let mut messages = target.messages.lock();
            match messages.push(m.clone()) {
                Ok(to_seq) => {
                    self.journal_move(&source, from_seq, &target, to_seq, &m);
                    drop(messages);
                    moved += 1;
                    target.arrived.notify_waiters();
                }
                Err(_) => stranded.push((from_seq, m)),
            }
        }
        // What could not go anywhere stays where it was.
        let failed = !stranded.is_empty();
        if failed {
            let mut messages = source.messages.lock();
            for (from_seq, m) in stranded {
                if let Ok(to_seq) = messages.push(m.clone()) {
                    self.journal_move(&source, from_seq, &source, to_seq, &m);
                }
            }
        }
        (moved, failed, exhausted)
    }

    /// Stops a running move task; what it moved stays moved. Returns how many it moved.
    pub fn cancel_message_move_task(&self, handle: &str) -> Result<u64, SqsError> {
        self.progress_move_tasks();
        let mut tasks = self.inner.move_tasks.lock();
        let task = tasks
            .iter_mut()
            .find(|t| t.handle == handle)
            .ok_or_else(|| SqsError::ResourceNotFound("Task does not exist.".into()))?;
        if task.status != MoveTaskStatus::Running {
            return Err(SqsError::InvalidParameterValue(
                "A message movement can only be cancelled when the current status is RUNNING."
                    .into(),
            ));
        }
        task.status = MoveTaskStatus::Cancelled;
        self.inner.running_moves.fetch_sub(1, Ordering::Relaxed);
        Ok(task.moved)
    }

    /// The newest `max_results` (1 to 10) move tasks of `source_arn`, newest first.
    pub fn list_message_move_tasks(
        &self,
        source_arn: &str,
        max_results: Option<i32>,
    ) -> Result<Vec<MoveTask>, SqsError> {
        let max = max_results.unwrap_or(1);
        if !(1..=10).contains(&max) {
            return Err(SqsError::InvalidParameterValue(format!(
                "Value {max} for parameter MaxResults is invalid. Reason: You must enter a number that's between 1 and 10."
            )));
        }
        self.queue_by_arn(source_arn)
            .map_err(|_| no_such("SourceArn"))?;
        self.progress_move_tasks();
        Ok(self
            .inner
            .move_tasks
            .lock()
            .iter()
            .rev()
            .filter(|t| t.source_arn == source_arn)
            .take(max as usize)
            .cloned()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::testing::{engine, queue, text};

    #[tokio::test]
    async fn a_rate_limited_task_runs_on_the_clock_and_can_be_cancelled() {
        let (e, clock) = engine();
        let dlq = queue(&e, "dlq");
        let dlq_arn = e.queue_arn("dlq");
        let policy = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":1}}"#);
        let src = e
            .create_queue(
                "src",
                &BTreeMap::from([("RedrivePolicy".to_string(), policy)]),
                &BTreeMap::new(),
            )
            .unwrap();
        let other = queue(&e, "other");
        for i in 0..5 {
            e.send(&dlq, text(&i.to_string())).unwrap();
        }
        let handle = e
            .start_message_move_task(&dlq_arn, Some(&e.queue_arn("other")), Some(2))
            .unwrap();
        let task = &e.list_message_move_tasks(&dlq_arn, None).unwrap()[0];
        assert_eq!(
            (task.status, task.moved, task.to_move),
            (MoveTaskStatus::Running, 0, 5)
        );
        assert!(matches!(
            e.start_message_move_task(&dlq_arn, None, None),
            Err(SqsError::InvalidParameterValue(t)) if t.starts_with("There is already a task running.")
        ));
        clock.advance(1_000);
        // A receive catches the task up: two a second.
        let got = e.receive(&other, 10, Some(0), Some(0)).await.unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(e.cancel_message_move_task(&handle), Ok(2));
        clock.advance(10_000);
        let task = &e.list_message_move_tasks(&dlq_arn, None).unwrap()[0];
        assert_eq!((task.status, task.moved), (MoveTaskStatus::Cancelled, 2));
        assert_eq!(e.depth(&dlq).unwrap().visible, 3);
        assert!(matches!(
            e.cancel_message_move_task(&handle),
            Err(SqsError::InvalidParameterValue(_))
        ));
        assert_eq!(
            e.cancel_message_move_task("nope"),
            Err(SqsError::ResourceNotFound("Task does not exist.".into()))
        );
        // A new task may start, and one without a rate completes at once.
        e.start_message_move_task(&dlq_arn, None, None).unwrap();
        let task = &e.list_message_move_tasks(&dlq_arn, None).unwrap()[0];
        // The messages were sent straight to the DLQ: they have no source to go back to.
        assert_eq!(task.status, MoveTaskStatus::Failed);
        let _ = src;
    }
}
