//! TagResource: adds tags to a topic.

use aws_wire::{Input, Member, Shape, Writer};
use sns_engine::SnsError;

use crate::Context;
use crate::shapes::{TAG_LIST, required, tags};

pub(crate) static INPUT: [Member; 2] = [
    Member::required("ResourceArn", &Shape::STRING),
    Member::required("Tags", &TAG_LIST),
];
pub(crate) const HAS_OUTPUT: bool = true;

pub(crate) fn run(ctx: &Context<'_>, input: Input<'_>, _w: &mut Writer) -> Result<(), SnsError> {
    ctx.engine
        .tag(required(&input, "ResourceArn"), &tags(&input, "Tags"))
}
