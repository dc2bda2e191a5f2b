//! ConfirmSubscription: the token an HTTP(S) endpoint was sent; the one operation AWS takes
//! unsigned (the SubscribeURL is a GET of it).

use aws_wire::{Input, Member, Shape, Writer};
use sns_engine::SnsError;

use crate::Context;
use crate::shapes::required;

pub(crate) static INPUT: [Member; 3] = [
    Member::required("TopicArn", &Shape::STRING),
    Member::required("Token", &Shape::STRING),
    // Unsubscribing needs a signature here either way; accepted and ignored.
    Member::optional("AuthenticateOnUnsubscribe", &Shape::STRING),
];
pub(crate) const HAS_OUTPUT: bool = true;

pub(crate) fn run(ctx: &Context<'_>, input: Input<'_>, w: &mut Writer) -> Result<(), SnsError> {
    let arn = ctx.engine.confirm_subscription(
        required(&input, "TopicArn"),
        required(&input, "Token"),
        ctx.authenticated,
    )?;
    w.begin_map(Some(1));
    w.key("SubscriptionArn");
    w.str(&arn);
    w.end_map();
    Ok(())
}
