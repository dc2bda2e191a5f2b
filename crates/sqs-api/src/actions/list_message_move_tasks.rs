//! ListMessageMoveTasks: a dead-letter queue's newest move tasks, newest first.

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::{MoveTaskStatus, SqsError};

use crate::Context;
use crate::shapes::required;

pub(crate) static INPUT: [Member; 2] = [
    Member::required("SourceArn", &Shape::STRING),
    Member::optional("MaxResults", &Shape::INTEGER),
];

pub(crate) async fn run(
    ctx: &Context<'_>,
    input: Input<'_>,
    w: &mut Writer,
) -> Result<(), SqsError> {
    let max = input
        .int("MaxResults")
        .map(|m| i32::try_from(m).unwrap_or(i32::MAX));
    let tasks = ctx
        .engine
        .list_message_move_tasks(required(&input, "SourceArn"), max)?;
    w.begin_map(Some(1));
    w.key("Results");
    w.begin_array(Some(tasks.len()));
    for t in &tasks {
        w.begin_map(None);
        // AWS gives the handle only while a task runs (it is what cancels it).
        if t.status == MoveTaskStatus::Running {
            w.key("TaskHandle");
            w.str(&t.handle);
        }
        w.key("Status");
        w.str(t.status.as_str());
        w.key("SourceArn");
        w.str(&t.source_arn);
        if let Some(d) = &t.destination_arn {
            w.key("DestinationArn");
            w.str(d);
        }
        if let Some(rate) = t.max_per_second {
            w.key("MaxNumberOfMessagesPerSecond");
            w.int(i64::from(rate));
        }
        w.key("ApproximateNumberOfMessagesMoved");
        w.int(t.moved as i64);
        w.key("ApproximateNumberOfMessagesToMove");
        w.int(t.to_move as i64);
        if let Some(reason) = &t.failure_reason {
            w.key("FailureReason");
            w.str(reason);
        }
        w.key("StartedTimestamp");
        w.int(t.started_ms as i64);
        w.end_map();
    }
    w.end_array();
    w.end_map();
    Ok(())
}
