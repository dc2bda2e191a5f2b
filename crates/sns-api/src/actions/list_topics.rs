//! ListTopics: topic ARNs, 100 a page.

use aws_wire::{Input, Member, Shape, Writer};
use sns_engine::SnsError;

use crate::Context;

pub(crate) static INPUT: [Member; 1] = [Member::optional("NextToken", &Shape::STRING)];
pub(crate) const HAS_OUTPUT: bool = true;

pub(crate) fn run(ctx: &Context<'_>, input: Input<'_>, w: &mut Writer) -> Result<(), SnsError> {
    let (arns, next) = ctx.engine.list_topics(input.str("NextToken"))?;
    w.begin_map(None);
    w.key("Topics");
    w.begin_array(Some(arns.len()));
    for arn in &arns {
        w.begin_map(Some(1));
        w.key("TopicArn");
        w.str(arn);
        w.end_map();
    }
    w.end_array();
    if let Some(next) = next {
        w.key("NextToken");
        w.str(&next);
    }
    w.end_map();
    Ok(())
}
