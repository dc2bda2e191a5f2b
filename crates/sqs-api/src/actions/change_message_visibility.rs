//! ChangeMessageVisibility: how long a received message stays hidden, from now.

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::SqsError;

use crate::Context;
use crate::shapes::{required, write_empty};

pub(crate) static INPUT: [Member; 3] = [
    Member::required("QueueUrl", &Shape::STRING),
    Member::required("ReceiptHandle", &Shape::STRING),
    Member::required("VisibilityTimeout", &Shape::INTEGER),
];

pub(crate) async fn run(
    ctx: &Context<'_>,
    input: Input<'_>,
    w: &mut Writer,
) -> Result<(), SqsError> {
    ctx.engine.change_visibility(
        required(&input, "QueueUrl"),
        required(&input, "ReceiptHandle"),
        input.int("VisibilityTimeout").unwrap_or_default(),
    )?;
    write_empty(w);
    Ok(())
}
