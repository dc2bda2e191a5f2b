//! DeleteTopic: a topic and its subscriptions (idempotent).

use aws_wire::{Input, Member, Shape, Writer};
use sns_engine::SnsError;

use crate::Context;
use crate::shapes::required;

pub(crate) static INPUT: [Member; 1] = [Member::required("TopicArn", &Shape::STRING)];
pub(crate) const HAS_OUTPUT: bool = false;

pub(crate) fn run(ctx: &Context<'_>, input: Input<'_>, _w: &mut Writer) -> Result<(), SnsError> {
    ctx.engine.delete_topic(required(&input, "TopicArn"))
}
