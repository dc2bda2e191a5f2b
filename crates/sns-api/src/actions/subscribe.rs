//! Subscribe: an endpoint to a topic (HTTP(S) ones pending until confirmed).

use aws_wire::{Input, Member, Shape, Writer};
use sns_engine::SnsError;

use crate::Context;
use crate::shapes::{STRING_MAP, required, string_map};

pub(crate) static INPUT: [Member; 5] = [
    Member::required("TopicArn", &Shape::STRING),
    Member::required("Protocol", &Shape::STRING),
    Member::optional("Endpoint", &Shape::STRING),
    Member::optional("Attributes", &STRING_MAP),
    Member::optional("ReturnSubscriptionArn", &Shape::Boolean),
];
pub(crate) const HAS_OUTPUT: bool = true;

pub(crate) fn run(ctx: &Context<'_>, input: Input<'_>, w: &mut Writer) -> Result<(), SnsError> {
    let arn = ctx.engine.subscribe(
        required(&input, "TopicArn"),
        required(&input, "Protocol"),
        input.str("Endpoint"),
        &string_map(&input, "Attributes"),
        input.bool("ReturnSubscriptionArn").unwrap_or(false),
    )?;
    w.begin_map(Some(1));
    w.key("SubscriptionArn");
    w.str(&arn);
    w.end_map();
    Ok(())
}
