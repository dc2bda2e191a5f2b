//! PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy for streams and registered
//! consumers. The policy is kept as the JSON text given and returned as is; GetResourcePolicy
//! answers `{}` when none is attached, as AWS does. Policies are stored, not enforced: the
//! engine grants every caller every action.

use aws_wire::{Input, Member, Shape, Writer};
use kinesis_engine::Engine;

use super::tag_resource::{RESOURCE_ARN, resource_of};
use crate::ApiResult;
use crate::metrics::Observed;
use crate::shapes::STREAM_ID;

static POLICY: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &[],
};

pub(crate) static PUT_INPUT: [Member; 3] = [
    Member::required("ResourceARN", &RESOURCE_ARN),
    Member::optional("StreamId", &STREAM_ID),
    Member::required("Policy", &POLICY),
];

/// GetResourcePolicy's and DeleteResourcePolicy's input: ListTagsForResource's.
pub(crate) use super::tag_resource::LIST_INPUT as INPUT;

pub(crate) fn put(
    engine: &Engine,
    input: Input<'_>,
    _w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let resource = resource_of(engine, &input)?;
    engine.put_resource_policy(resource, input.str("Policy").unwrap_or_default())?;
    Ok(())
}

pub(crate) fn get(
    engine: &Engine,
    input: Input<'_>,
    w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let resource = resource_of(engine, &input)?;
    let policy = engine.resource_policy(resource)?;
    w.begin_map(Some(1));
    w.key("Policy");
    w.str(policy.as_deref().unwrap_or("{}"));
    w.end_map();
    Ok(())
}

pub(crate) fn delete(
    engine: &Engine,
    input: Input<'_>,
    _w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let resource = resource_of(engine, &input)?;
    engine.delete_resource_policy(resource, input.str("ResourceARN").unwrap_or_default())?;
    Ok(())
}
