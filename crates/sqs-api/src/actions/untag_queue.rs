//! UntagQueue: removes tags by key.

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::SqsError;

use crate::Context;
use crate::shapes::{STRING_LIST, required, string_list, write_empty};

pub(crate) static INPUT: [Member; 2] = [
    Member::required("QueueUrl", &Shape::STRING),
    // Required by the model; an absent list has always been read as empty here.
    Member::optional("TagKeys", &STRING_LIST),
];

pub(crate) async fn run(
    ctx: &Context<'_>,
    input: Input<'_>,
    w: &mut Writer,
) -> Result<(), SqsError> {
    ctx.engine.untag(
        required(&input, "QueueUrl"),
        &string_list(&input, "TagKeys"),
    )?;
    write_empty(w);
    Ok(())
}
