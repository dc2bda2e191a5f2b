//! SetTopicAttributes: one attribute of a topic.

use aws_wire::{Input, Member, Shape, Writer};
use sns_engine::SnsError;

use crate::Context;
use crate::shapes::required;

pub(crate) static INPUT: [Member; 3] = [
    Member::required("TopicArn", &Shape::STRING),
    Member::required("AttributeName", &Shape::STRING),
    Member::optional("AttributeValue", &Shape::STRING),
];
pub(crate) const HAS_OUTPUT: bool = false;

pub(crate) fn run(ctx: &Context<'_>, input: Input<'_>, _w: &mut Writer) -> Result<(), SnsError> {
    ctx.engine.set_topic_attribute(
        required(&input, "TopicArn"),
        required(&input, "AttributeName"),
        input.str("AttributeValue").unwrap_or_default(),
    )
}
