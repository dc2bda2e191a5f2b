//! StartMessageMoveTask: a dead-letter queue's messages moved to a destination queue, or
//! each back to its source: at once, or at MaxNumberOfMessagesPerSecond on the engine's clock.

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::SqsError;

use crate::Context;
use crate::shapes::required;

pub(crate) static INPUT: [Member; 3] = [
    Member::required("SourceArn", &Shape::STRING),
    Member::optional("DestinationArn", &Shape::STRING),
    Member::optional("MaxNumberOfMessagesPerSecond", &Shape::INTEGER),
];

pub(crate) async fn run(
    ctx: &Context<'_>,
    input: Input<'_>,
    w: &mut Writer,
) -> Result<(), SqsError> {
    let rate = input
        .int("MaxNumberOfMessagesPerSecond")
        .map(|r| i32::try_from(r).unwrap_or(i32::MAX));
    let handle = ctx.engine.start_message_move_task(
        required(&input, "SourceArn"),
        input.str("DestinationArn"),
        rate,
    )?;
    w.begin_map(Some(1));
    w.key("TaskHandle");
    w.str(&handle);
    w.end_map();
    Ok(())
}
