//! UntagResource: removes tags of a topic by key.

use aws_wire::{Input, Member, Shape, Writer};
use sns_engine::SnsError;

use crate::Context;
use crate::shapes::{STRING_LIST, required};

pub(crate) static INPUT: [Member; 2] = [
    Member::required("ResourceArn", &Shape::STRING),
    Member::required("TagKeys", &STRING_LIST),
];
pub(crate) const HAS_OUTPUT: bool = true;

pub(crate) fn run(ctx: &Context<'_>, input: Input<'_>, _w: &mut Writer) -> Result<(), SnsError> {
    let keys: Vec<String> = input
        .str_list("TagKeys")
        .unwrap_or_default()
        .into_iter()
        .map(str::to_owned)
        .collect();
    ctx.engine.untag(required(&input, "ResourceArn"), &keys)
}
