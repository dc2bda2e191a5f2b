//! RemoveTagsFromStream.

use aws_wire::{Input, Member, Shape, Writer};
use kinesis_engine::Engine;

use crate::ApiResult;
use crate::common::stream_name;
use crate::metrics::Observed;
use crate::shapes::{STREAM_ARN, STREAM_ID, STREAM_NAME, TAG_KEY};

static TAG_KEYS: Shape = Shape::List {
    member: &TAG_KEY,
    min_len: Some(1),
    max_len: Some(50),
    member_str: None,
};

pub(crate) static INPUT: [Member; 4] = [
    Member::required("TagKeys", &TAG_KEYS),
    Member::optional("StreamName", &STREAM_NAME),
    Member::optional("StreamARN", &STREAM_ARN),
    Member::optional("StreamId", &STREAM_ID),
];

pub(crate) fn run(
    engine: &Engine,
    input: Input<'_>,
    _w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let name = stream_name(engine, &input)?;
    engine.remove_tags(name, &tag_keys_of(&input))?;
    Ok(())
}

/// The request's `TagKeys` (RemoveTagsFromStream, UntagResource).
pub(crate) fn tag_keys_of(input: &Input<'_>) -> Vec<String> {
    input
        .str_list("TagKeys")
        .unwrap_or_default()
        .into_iter()
        .map(str::to_owned)
        .collect()
}
