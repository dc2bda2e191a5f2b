//! UpdateShardCount: uniform scaling to a target number of open shards.

use aws_wire::{Input, Member, Shape, Writer};
use kinesis_engine::Engine;

use crate::ApiResult;
use crate::common::{int_u32, stream_name};
use crate::metrics::Observed;
use crate::shapes::{STREAM_ARN, STREAM_ID, STREAM_NAME};

static TARGET: Shape = Shape::Integer {
    min: Some(1),
    max: None,
};
static SCALING_TYPE: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &["UNIFORM_SCALING"],
};

pub(crate) static INPUT: [Member; 5] = [
    Member::required("ScalingType", &SCALING_TYPE),
    Member::required("TargetShardCount", &TARGET),
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
    let target = int_u32(&input, "TargetShardCount").unwrap_or(1);
    let current = engine.update_shard_count(name, target)?;
    w.begin_map(Some(4));
    w.key("StreamName");
    w.str(name);
    w.key("CurrentShardCount");
    w.int(i64::from(current));
    w.key("TargetShardCount");
    w.int(i64::from(target));
    w.key("StreamARN");
    w.str(&engine.stream_arn(name));
    w.end_map();
    Ok(())
}
