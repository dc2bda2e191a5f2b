//! DescribeStream: the stream and a page of its shards (at most 100).

use aws_wire::{Input, Member, Writer};
use kinesis_engine::{Engine, parse_shard_id};

use crate::ApiResult;
use crate::common::{stream_name, write_shard, write_stream_identity, write_stream_settings};
use crate::metrics::Observed;
use crate::shapes::{SHARD_ID, STREAM_ARN, STREAM_ID, STREAM_NAME, int_range};

static LIMIT: aws_wire::Shape = int_range(1, 10_000);

pub(crate) static INPUT: [Member; 5] = [
    Member::optional("StreamName", &STREAM_NAME),
    Member::optional("Limit", &LIMIT),
    Member::optional("ExclusiveStartShardId", &SHARD_ID),
    Member::optional("StreamARN", &STREAM_ARN),
    Member::optional("StreamId", &STREAM_ID),
];

/// DescribeStream returns at most this many shards, whatever Limit says.
const PAGE: usize = 100;

pub(crate) fn run(
    engine: &Engine,
    input: Input<'_>,
    w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let name = stream_name(engine, &input)?;
    let info = engine.describe_stream(name)?;
    let limit = input.int("Limit").map_or(PAGE, |l| (l as usize).min(PAGE));
    let start = match input.str("ExclusiveStartShardId") {
        // Shards are listed by index; start after the named one.
        Some(id) => parse_shard_id(id).map_or(info.shards.len(), |i| i as usize + 1),
        None => 0,
    };
    let page: Vec<_> = info.shards.iter().skip(start).take(limit).collect();
    let has_more = start + page.len() < info.shards.len();

    w.begin_map(Some(1));
    w.key("StreamDescription");
    w.begin_map(None);
    write_stream_identity(w, &info);
    w.key("Shards");
    w.begin_array(Some(page.len()));
    for s in page {
        write_shard(w, s);
    }
    w.end_array();
    w.key("HasMoreShards");
    w.bool(has_more);
    write_stream_settings(w, &info);
    w.end_map();
    w.end_map();
    Ok(())
}
