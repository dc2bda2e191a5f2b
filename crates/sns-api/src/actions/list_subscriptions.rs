//! ListSubscriptions: every subscription, 100 a page.

use aws_wire::{Input, Member, Shape, Writer};
use sns_engine::SnsError;

use crate::Context;
use crate::shapes::write_subscriptions;

pub(crate) static INPUT: [Member; 1] = [Member::optional("NextToken", &Shape::STRING)];
pub(crate) const HAS_OUTPUT: bool = true;

pub(crate) fn run(ctx: &Context<'_>, input: Input<'_>, w: &mut Writer) -> Result<(), SnsError> {
    let (rows, next) = ctx.engine.list_subscriptions(input.str("NextToken"))?;
    write_subscriptions(w, &rows, next.as_deref());
    Ok(())
}
