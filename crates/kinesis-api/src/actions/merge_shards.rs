//! MergeShards: two adjacent open shards become one.

use aws_wire::{Input, Member, Writer};
use kinesis_engine::Engine;

use crate::ApiResult;
use crate::common::stream_name;
use crate::metrics::Observed;
use crate::shapes::{SHARD_ID, STREAM_ARN, STREAM_ID, STREAM_NAME};

pub(crate) static INPUT: [Member; 5] = [
    Member::required("AdjacentShardToMerge", &SHARD_ID),
    Member::required("ShardToMerge", &SHARD_ID),
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
    engine.merge_shards(
        name,
        input.str("ShardToMerge").unwrap_or_default(),
        input.str("AdjacentShardToMerge").unwrap_or_default(),
    )?;
    Ok(())
}
