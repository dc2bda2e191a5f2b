//! Redrive back: StartMessageMoveTask and ListMessageMoveTasks.
//!
//! A task moves the messages of a dead-letter queue to a destination queue, or, without one,
//! each back to the queue its RedrivePolicy moved it from. AWS moves them in the background
//! at up to MaxNumberOfMessagesPerSecond; here a task moves every message visible when it
//! starts at once and is COMPLETED when StartMessageMoveTask returns, so
//! ListMessageMoveTasks shows its counts right away. Moved messages keep their id, body and
//! attributes and start over with a receive count of 0.

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
}

impl MoveTaskStatus {
    /// AWS's name for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            MoveTaskStatus::Running => "RUNNING",
            MoveTaskStatus::Completed => "COMPLETED",
            MoveTaskStatus::Failed => "FAILED",
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
    /// Starts (and here completes) moving the messages of dead-letter queue `source_arn` to
    /// `destination_arn`, or each back to its source queue. Returns the task's handle.
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
        let destination = match destination_arn {
            Some(arn) => Some(
                self.queue_by_arn(arn)
                    .map_err(|_| no_such("DestinationArn"))?,
            ),
            None => None,
        };
        let now = self.now_ms();
        let taken: Vec<Message> = {
            let mut messages = source.messages.lock();
            messages.expire(now, source.retention_ms());
            let visible: Vec<u64> = messages
                .by_seq
                .iter()
                .filter(|(_, m)| m.visible_at_ms <= now)
                .map(|(seq, _)| *seq)
                .collect();
            visible
                .into_iter()
                .filter_map(|seq| messages.remove(seq))
                .collect()
        };
        let to_move = taken.len() as u64;
        let mut moved = 0u64;
        let mut stranded: Vec<Message> = Vec::new();
        for mut m in taken {
            let target = match &destination {
                Some(q) => Some(q.clone()),
                None => m
                    .dead_letter_source
                    .as_deref()
                    .and_then(|arn| self.queue_by_arn(arn).ok()),
            };
            let Some(target) = target else {
                stranded.push(m);
                continue;
            };
            m.receive_count = 0;
            m.first_receive_ms = 0;
            m.receipt = None;
            m.visible_at_ms = now;
            m.dead_letter_source = None;
            let pushed = target.messages.lock().push(m.clone());
            if pushed.is_ok() {
                moved += 1;
                target.arrived.notify_waiters();
            } else {
                stranded.push(m);
            }
        }
        // What could not go anywhere stays where it was.
        let failed = !stranded.is_empty();
        if failed {
            let mut messages = source.messages.lock();
            for m in stranded {
                let _ = messages.push(m);
            }
        }
        let handle = uuid::Uuid::new_v4().to_string();
        let mut tasks = self.inner.move_tasks.lock();
        if tasks.len() >= MAX_TASKS_KEPT {
            tasks.remove(0);
        }
        tasks.push(MoveTask {
            handle: handle.clone(),
            status: if failed {
                MoveTaskStatus::Failed
            } else {
                MoveTaskStatus::Completed
            },
            source_arn: source_arn.to_string(),
            destination_arn: destination_arn.map(str::to_string),
            max_per_second,
            moved,
            to_move,
            failure_reason: failed
                .then(|| "Some messages' source queues no longer exist.".to_string()),
            started_ms: now,
        });
        Ok(handle)
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
