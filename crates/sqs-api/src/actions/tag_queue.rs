//! TagQueue: adds or replaces tags.

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::SqsError;

use crate::Context;
use crate::shapes::{STRING_MAP, required, string_map, write_empty};

pub(crate) static INPUT: [Member; 2] = [
    Member::required("QueueUrl", &Shape::STRING),
    // Required by the model; an absent map has always been read as empty here.
    Member::optional("Tags", &STRING_MAP),
];

pub(crate) async fn run(
    ctx: &Context<'_>,
    input: Input<'_>,
    w: &mut Writer,
) -> Result<(), SqsError> {
    ctx.engine
        .tag(required(&input, "QueueUrl"), &string_map(&input, "Tags"))?;
    write_empty(w);
    Ok(())
}
