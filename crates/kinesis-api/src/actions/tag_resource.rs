//! TagResource, UntagResource and ListTagsForResource: the ARN-based tagging actions, for
//! streams (the same tags AddTagsToStream and ListTagsForStream see, with the same checks).
//! A consumer ARN is refused: consumers carry no tags here.

use aws_wire::{Input, Member, Shape, Writer};
use kinesis_engine::{Engine, EngineError};

use crate::metrics::Observed;
use crate::shapes::{STREAM_ID, TAG_KEY, TAG_MAP, parse_stream_arn};
use crate::{ApiError, ApiResult};

static RESOURCE_ARN: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(2048),
    pattern: None,
    enum_values: &[],
};

static TAG_KEYS: Shape = Shape::List {
    member: &TAG_KEY,
    min_len: Some(1),
    max_len: Some(50),
    member_str: None,
};

pub(crate) static TAG_INPUT: [Member; 3] = [
    Member::required("Tags", &TAG_MAP),
    Member::required("ResourceARN", &RESOURCE_ARN),
    Member::optional("StreamId", &STREAM_ID),
];

pub(crate) static UNTAG_INPUT: [Member; 3] = [
    Member::required("TagKeys", &TAG_KEYS),
    Member::required("ResourceARN", &RESOURCE_ARN),
    Member::optional("StreamId", &STREAM_ID),
];

pub(crate) static LIST_INPUT: [Member; 2] = [
    Member::required("ResourceARN", &RESOURCE_ARN),
    Member::optional("StreamId", &STREAM_ID),
];

/// The stream a ResourceARN names, in this engine's region and account.
fn stream_of<'a>(engine: &Engine, input: &'a Input<'_>) -> ApiResult<&'a str> {
    let arn = input.str("ResourceARN").unwrap_or_default();
    if arn.contains("/consumer/") {
        return Err(ApiError::invalid(format!(
            "Tagging stream consumers is not supported by this engine: {arn}."
        )));
    }
    let (region, account, name) = parse_stream_arn(arn)
        .ok_or_else(|| ApiError::invalid(format!("Invalid ResourceARN {arn}.")))?;
    let config = engine.config();
    if region != config.region || account != config.account_id {
        return Err(ApiError::Engine(EngineError::ResourceNotFound(format!(
            "Stream {name} under account {account} not found."
        ))));
    }
    Ok(name)
}

pub(crate) fn tag(
    engine: &Engine,
    input: Input<'_>,
    _w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let name = stream_of(engine, &input)?;
    engine.add_tags(name, &super::add_tags_to_stream::tags_of(&input))?;
    Ok(())
}

pub(crate) fn untag(
    engine: &Engine,
    input: Input<'_>,
    _w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let name = stream_of(engine, &input)?;
    engine.remove_tags(name, &super::remove_tags_from_stream::tag_keys_of(&input))?;
    Ok(())
}

pub(crate) fn list(
    engine: &Engine,
    input: Input<'_>,
    w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let name = stream_of(engine, &input)?;
    let tags = engine.tags(name)?;
    let tags: Vec<_> = tags.iter().collect();
    w.begin_map(Some(1));
    w.key("Tags");
    super::list_tags_for_stream::write_tags(w, &tags);
    w.end_map();
    Ok(())
}
