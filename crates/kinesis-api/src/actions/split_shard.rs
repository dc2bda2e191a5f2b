//! SplitShard: one open shard becomes two at NewStartingHashKey.

use aws_wire::{Input, Member, Writer};
use kinesis_engine::Engine;

use crate::ApiResult;
use crate::common::stream_name;
use crate::metrics::Observed;
use crate::shapes::{HASH_KEY, SHARD_ID, STREAM_ARN, STREAM_ID, STREAM_NAME};

pub(crate) static INPUT: [Member; 5] = [
    Member::required("NewStartingHashKey", &HASH_KEY),
    Member::required("ShardToSplit", &SHARD_ID),
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
    let shard = input.str("ShardToSplit").unwrap_or_default();
    let key_text = input.str("NewStartingHashKey").unwrap_or_default();
    engine.split_shard_as_given(name, shard, key_text)?;
    Ok(())
}
