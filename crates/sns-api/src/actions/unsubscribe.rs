//! Unsubscribe: deletes a subscription.

use aws_wire::{Input, Member, Shape, Writer};
use sns_engine::SnsError;

use crate::Context;
use crate::shapes::required;

pub(crate) static INPUT: [Member; 1] = [Member::required("SubscriptionArn", &Shape::STRING)];
pub(crate) const HAS_OUTPUT: bool = false;

pub(crate) fn run(ctx: &Context<'_>, input: Input<'_>, _w: &mut Writer) -> Result<(), SnsError> {
    ctx.engine.unsubscribe(required(&input, "SubscriptionArn"))
}
