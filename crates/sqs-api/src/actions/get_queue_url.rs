//! GetQueueUrl: the URL of a queue by name.

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::SqsError;

use crate::Context;
use crate::shapes::required;

pub(crate) static INPUT: [Member; 2] = [
    Member::required("QueueName", &Shape::STRING),
    // Accepted and ignored: the engine has one account.
    Member::optional("QueueOwnerAWSAccountId", &Shape::STRING),
];

pub(crate) async fn run(
    ctx: &Context<'_>,
    input: Input<'_>,
    w: &mut Writer,
) -> Result<(), SqsError> {
    let url = ctx.engine.queue_url(required(&input, "QueueName"))?;
    w.begin_map(Some(1));
    w.key("QueueUrl");
    w.str(&ctx.client_url(&url));
    w.end_map();
    Ok(())
}
