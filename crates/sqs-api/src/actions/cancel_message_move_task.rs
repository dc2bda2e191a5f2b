//! CancelMessageMoveTask: stops a running move task; what it moved stays moved.

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::SqsError;

use crate::Context;
use crate::shapes::required;

pub(crate) static INPUT: [Member; 1] = [Member::required("TaskHandle", &Shape::STRING)];

pub(crate) async fn run(
    ctx: &Context<'_>,
    input: Input<'_>,
    w: &mut Writer,
) -> Result<(), SqsError> {
    let moved = ctx
        .engine
        .cancel_message_move_task(required(&input, "TaskHandle"))?;
    w.begin_map(Some(1));
    w.key("ApproximateNumberOfMessagesMoved");
    w.int(i64::try_from(moved).unwrap_or(i64::MAX));
    w.end_map();
    Ok(())
}
