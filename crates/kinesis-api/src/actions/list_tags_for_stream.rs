//! ListTagsForStream: tags in key order, paged by ExclusiveStartTagKey.

use aws_wire::{Input, Member, Writer};
use kinesis_engine::Engine;

use crate::ApiResult;
use crate::common::stream_name;
use crate::metrics::Observed;
use crate::shapes::{STREAM_ARN, STREAM_ID, STREAM_NAME, TAG_KEY, int_range};

static LIMIT: aws_wire::Shape = int_range(1, 50);

pub(crate) static INPUT: [Member; 5] = [
    Member::optional("ExclusiveStartTagKey", &TAG_KEY),
    Member::optional("Limit", &LIMIT),
    Member::optional("StreamName", &STREAM_NAME),
    Member::optional("StreamARN", &STREAM_ARN),
    Member::optional("StreamId", &STREAM_ID),
];

pub(crate) fn run(
    engine: &Engine,
    input: Input<'_>,
    w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let name = stream_name(engine, &input)?;
    let tags = engine.tags(name)?;
    let limit = input.int("Limit").map_or(50, |l| l as usize);
    let start = input.str("ExclusiveStartTagKey");
    let mut rest = tags
        .iter()
        .filter(|(k, _)| start.is_none_or(|s| k.as_str() > s));
    let page: Vec<_> = rest.by_ref().take(limit).collect();
    let has_more = rest.next().is_some();
    w.begin_map(Some(2));
    w.key("Tags");
    write_tags(w, &page);
    w.key("HasMoreTags");
    w.bool(has_more);
    w.end_map();
    Ok(())
}

/// Tags as a `[{"Key", "Value"}]` list (ListTagsForStream, ListTagsForResource).
pub(crate) fn write_tags(w: &mut Writer, tags: &[(&String, &String)]) {
    w.begin_array(Some(tags.len()));
    for (k, v) in tags {
        w.begin_map(Some(2));
        w.key("Key");
        w.str(k);
        w.key("Value");
        w.str(v);
        w.end_map();
    }
    w.end_array();
}
