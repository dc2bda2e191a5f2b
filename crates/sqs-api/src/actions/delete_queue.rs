//! DeleteQueue: a queue and its messages.

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::SqsError;

use crate::Context;
use crate::shapes::{required, write_empty};

pub(crate) static INPUT: [Member; 1] = [Member::required("QueueUrl", &Shape::STRING)];

pub(crate) async fn run(
    ctx: &Context<'_>,
    input: Input<'_>,
    w: &mut Writer,
) -> Result<(), SqsError> {
    ctx.engine.delete_queue(required(&input, "QueueUrl"))?;
    write_empty(w);
    Ok(())
}
