//! ListSubscriptionsByTopic: a topic's subscriptions, 100 a page.

use aws_wire::{Input, Member, Shape, Writer};
use sns_engine::SnsError;

use crate::Context;
use crate::shapes::{required, write_subscriptions};

pub(crate) static INPUT: [Member; 2] = [
    Member::required("TopicArn", &Shape::STRING),
    Member::optional("NextToken", &Shape::STRING),
];
pub(crate) const HAS_OUTPUT: bool = true;

pub(crate) fn run(ctx: &Context<'_>, input: Input<'_>, w: &mut Writer) -> Result<(), SnsError> {
    let (rows, next) = ctx
        .engine
        .list_subscriptions_by_topic(required(&input, "TopicArn"), input.str("NextToken"))?;
    write_subscriptions(w, &rows, next.as_deref());
    Ok(())
}
