//! AddTagsToStream.

use aws_wire::{Input, Member, Writer};
use kinesis_engine::Engine;

use crate::ApiResult;
use crate::common::stream_name;
use crate::metrics::Observed;
use crate::shapes::{STREAM_ARN, STREAM_ID, STREAM_NAME, TAG_MAP};

pub(crate) static INPUT: [Member; 4] = [
    Member::required("Tags", &TAG_MAP),
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
    engine.add_tags(name, &tags_of(&input))?;
    Ok(())
}

/// The request's `Tags` map as key-value pairs (AddTagsToStream, TagResource).
pub(crate) fn tags_of(input: &Input<'_>) -> Vec<(String, String)> {
    input
        .map_str("Tags")
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}
