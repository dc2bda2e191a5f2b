//! TagResource, UntagResource and ListTagsForResource: the ARN-based tagging actions, for
//! streams (the same tags AddTagsToStream and ListTagsForStream see, with the same checks)
//! and for registered consumers (their own tags). Also the ARN-to-resource mapping the
//! resource-policy actions share.

use aws_wire::{Input, Member, Shape, Writer};
use kinesis_engine::{Engine, EngineError, Resource};

use crate::metrics::Observed;
use crate::shapes::{STREAM_ID, TAG_KEY, TAG_MAP, parse_stream_arn};
use crate::{ApiError, ApiResult};

pub(crate) static RESOURCE_ARN: Shape = Shape::String {
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

/// The stream or consumer a ResourceARN names, in this engine's region and account.
pub(crate) fn resource_of<'a>(engine: &Engine, input: &'a Input<'_>) -> ApiResult<Resource<'a>> {
    let arn = input.str("ResourceARN").unwrap_or_default();
    let (stream_arn, consumer) = match arn.split_once("/consumer/") {
        Some((stream_arn, _)) => (stream_arn, true),
        None => (arn, false),
    };
    let (region, account, name) = parse_stream_arn(stream_arn)
        .ok_or_else(|| ApiError::invalid(format!("Invalid ResourceARN {arn}.")))?;
    let config = engine.config();
    if region != config.region || account != config.account_id {
        return Err(ApiError::Engine(if consumer {
            EngineError::ResourceNotFound(format!(
                "Consumer {arn} under account {account} not found."
            ))
        } else {
            EngineError::ResourceNotFound(format!(
                "Stream {name} under account {account} not found."
            ))
        }));
    }
    Ok(if consumer {
        Resource::Consumer(arn)
    } else {
        Resource::Stream(name)
    })
}

pub(crate) fn tag(
    engine: &Engine,
    input: Input<'_>,
    _w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let resource = resource_of(engine, &input)?;
    engine.tag_resource(resource, &super::add_tags_to_stream::tags_of(&input))?;
    Ok(())
}

pub(crate) fn untag(
    engine: &Engine,
    input: Input<'_>,
    _w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let resource = resource_of(engine, &input)?;
    engine.untag_resource(
        resource,
        &super::remove_tags_from_stream::tag_keys_of(&input),
    )?;
    Ok(())
}

pub(crate) fn list(
    engine: &Engine,
    input: Input<'_>,
    w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let resource = resource_of(engine, &input)?;
    let tags = engine.resource_tags(resource)?;
    let tags: Vec<_> = tags.iter().collect();
    w.begin_map(Some(1));
    w.key("Tags");
    super::list_tags_for_stream::write_tags(w, &tags);
    w.end_map();
    Ok(())
}
