//! CreateTopic: a topic by name (idempotent), with attributes and tags.

use aws_wire::{Input, Member, Shape, Writer};
use sns_engine::SnsError;

use crate::Context;
use crate::shapes::{STRING_MAP, TAG_LIST, required, string_map, tags};

pub(crate) static INPUT: [Member; 4] = [
    Member::required("Name", &Shape::STRING),
    Member::optional("Attributes", &STRING_MAP),
    Member::optional("Tags", &TAG_LIST),
    // Data protection policies are not served; accepted and ignored.
    Member::optional("DataProtectionPolicy", &Shape::STRING),
];
pub(crate) const HAS_OUTPUT: bool = true;

pub(crate) fn run(ctx: &Context<'_>, input: Input<'_>, w: &mut Writer) -> Result<(), SnsError> {
    let arn = ctx.engine.create_topic(
        required(&input, "Name"),
        &string_map(&input, "Attributes"),
        &tags(&input, "Tags"),
    )?;
    w.begin_map(Some(1));
    w.key("TopicArn");
    w.str(&arn);
    w.end_map();
    Ok(())
}
