//! GetRecords: up to 10,000 records or 10 MiB from an iterator.

use aws_wire::{Input, Member, Shape, Writer};
use kinesis_engine::iterator::IteratorToken;
use kinesis_engine::{Engine, EngineError, GetRecordsOutput, MAX_GET_RECORDS};

use crate::ApiResult;
use crate::common::{write_child_shards, write_record};
use crate::metrics::Observed;
use crate::shapes::{STREAM_ARN, STREAM_ID, int_range};

static ITERATOR: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(512),
    pattern: None,
    enum_values: &[],
};
static LIMIT: Shape = int_range(1, 10_000);

pub(crate) static INPUT: [Member; 4] = [
    Member::optional("Limit", &LIMIT),
    Member::required("ShardIterator", &ITERATOR),
    Member::optional("StreamARN", &STREAM_ARN),
    Member::optional("StreamId", &STREAM_ID),
];

/// Reads from `iterator` and notes in `obs` what the metrics need: the stream and shard the
/// iterator names, and the records, bytes and age of what was read.
pub(crate) fn read(
    engine: &Engine,
    iterator: &str,
    limit: usize,
    obs: &mut Observed,
) -> Result<GetRecordsOutput, EngineError> {
    if let Some(token) = IteratorToken::decode(iterator) {
        obs.shard_id = Some(kinesis_engine::shard_id(token.shard_index));
        obs.stream = Some(token.stream_name);
    }
    let out = engine.get_records(iterator, limit)?;
    let age = out
        .records
        .last()
        .map_or(0, |r| engine.now_ms().saturating_sub(r.arrival_ms));
    obs.read = Some((out.records.len() as u64, out.bytes, age));
    Ok(out)
}

pub(crate) fn run(
    engine: &Engine,
    input: Input<'_>,
    w: &mut Writer,
    obs: &mut Observed,
) -> ApiResult {
    let limit = input.int("Limit").map_or(MAX_GET_RECORDS, |l| l as usize);
    let iterator = input.str("ShardIterator").unwrap_or_default();
    let out = read(engine, iterator, limit, obs)?;
    // Base64 grows data by a third; reserve for it and the per-record framing.
    w.reserve(out.bytes as usize * 4 / 3 + out.records.len() * 160 + 512);
    w.begin_map(None);
    w.key("Records");
    w.begin_array(Some(out.records.len()));
    for r in &out.records {
        write_record(w, r, None);
    }
    w.end_array();
    if let Some(next) = &out.next_iterator {
        w.key("NextShardIterator");
        w.str(next);
    }
    w.key("MillisBehindLatest");
    w.uint(out.millis_behind_latest);
    if let Some(children) = &out.child_shards {
        w.key("ChildShards");
        write_child_shards(w, children);
    }
    w.end_map();
    Ok(())
}
