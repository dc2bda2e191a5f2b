//! GetTopicAttributes: a topic's attributes, set and derived.

use aws_wire::{Input, Member, Shape, Writer};
use sns_engine::SnsError;

use crate::Context;
use crate::shapes::{required, write_attributes};

pub(crate) static INPUT: [Member; 1] = [Member::required("TopicArn", &Shape::STRING)];
pub(crate) const HAS_OUTPUT: bool = true;

pub(crate) fn run(ctx: &Context<'_>, input: Input<'_>, w: &mut Writer) -> Result<(), SnsError> {
    let attributes = ctx.engine.topic_attributes(required(&input, "TopicArn"))?;
    write_attributes(w, &attributes);
    Ok(())
}
