//! SplitShard: one open shard becomes two at NewStartingHashKey.

use aws_wire::{Input, Member, Writer};
use kinesis_engine::Engine;

use crate::common::stream_name;
use crate::metrics::Observed;
use crate::shapes::{HASH_KEY, SHARD_ID, STREAM_ARN, STREAM_ID, STREAM_NAME};
use crate::{ApiError, ApiResult};

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
    let key = kinesis_engine::hash::parse_hash_key(key_text).ok_or_else(|| {
        ApiError::invalid(format!(
            "NewStartingHashKey {key_text} used in SplitShard() on shard {shard} in stream {name} under account {} is not a valid hash key.",
            engine.config().account_id
        ))
    })?;
    engine.split_shard(name, shard, key)?;
    Ok(())
}
