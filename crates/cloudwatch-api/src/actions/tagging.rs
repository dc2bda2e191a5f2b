//! TagResource, UntagResource and ListTagsForResource on alarm ARNs.

use aws_wire::{Input, Member, Writer};

use super::alarm_codec::{strings, tags, write_tags};
use super::alarm_shapes::{RESOURCE_ARN, TAG_KEY_LIST, TAG_LIST};
use crate::Ctx;
use crate::error::CwResult;

pub(crate) static TAG_INPUT: [Member; 2] = [
    Member::required("ResourceARN", &RESOURCE_ARN),
    Member::required("Tags", &TAG_LIST),
];
pub(crate) static UNTAG_INPUT: [Member; 2] = [
    Member::required("ResourceARN", &RESOURCE_ARN),
    Member::required("TagKeys", &TAG_KEY_LIST),
];
pub(crate) static LIST_INPUT: [Member; 1] = [Member::required("ResourceARN", &RESOURCE_ARN)];

fn arn<'i>(input: &'i Input<'_>) -> &'i str {
    input.str("ResourceARN").unwrap_or_default()
}

/// TagResource: an existing key takes the new value. Its output is an empty structure.
pub(crate) fn tag(cx: &Ctx<'_>, input: Input<'_>, w: &mut Writer) -> CwResult {
    cx.alarms.tag_resource(arn(&input), tags(&input))?;
    w.begin_map(Some(0));
    w.end_map();
    Ok(())
}

/// UntagResource. Its output is an empty structure.
pub(crate) fn untag(cx: &Ctx<'_>, input: Input<'_>, w: &mut Writer) -> CwResult {
    cx.alarms
        .untag_resource(arn(&input), &strings(&input, "TagKeys"))?;
    w.begin_map(Some(0));
    w.end_map();
    Ok(())
}

/// ListTagsForResource.
pub(crate) fn list(cx: &Ctx<'_>, input: Input<'_>, w: &mut Writer) -> CwResult {
    let found = cx.alarms.list_tags_for_resource(arn(&input))?;
    w.begin_map(Some(1));
    write_tags(w, &found);
    w.end_map();
    Ok(())
}
