//! ListTagsForResource: a topic's tags.

use aws_wire::{Input, Member, Shape, Writer};
use sns_engine::SnsError;

use crate::Context;
use crate::shapes::required;

pub(crate) static INPUT: [Member; 1] = [Member::required("ResourceArn", &Shape::STRING)];
pub(crate) const HAS_OUTPUT: bool = true;

pub(crate) fn run(ctx: &Context<'_>, input: Input<'_>, w: &mut Writer) -> Result<(), SnsError> {
    let tags = ctx.engine.list_tags(required(&input, "ResourceArn"))?;
    w.begin_map(Some(1));
    w.key("Tags");
    w.begin_array(Some(tags.len()));
    for (k, v) in &tags {
        w.begin_map(Some(2));
        w.key("Key");
        w.str(k);
        w.key("Value");
        w.str(v);
        w.end_map();
    }
    w.end_array();
    w.end_map();
    Ok(())
}
