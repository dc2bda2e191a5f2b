//! GetShardIterator: a position in a shard, valid for five minutes.

use aws_wire::{Input, Member, Shape, Writer};
use kinesis_engine::{Engine, IteratorStart};

use crate::common::stream_name;
use crate::metrics::Observed;
use crate::shapes::{SEQUENCE_NUMBER, SHARD_ID, STREAM_ARN, STREAM_ID, STREAM_NAME, TIMESTAMP};
use crate::{ApiError, ApiResult};

pub(crate) static ITERATOR_TYPE: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &[
        "AFTER_SEQUENCE_NUMBER",
        "LATEST",
        "AT_TIMESTAMP",
        "AT_SEQUENCE_NUMBER",
        "TRIM_HORIZON",
    ],
};

pub(crate) static INPUT: [Member; 7] = [
    Member::required("ShardId", &SHARD_ID),
    Member::required("ShardIteratorType", &ITERATOR_TYPE),
    Member::optional("StartingSequenceNumber", &SEQUENCE_NUMBER),
    Member::optional("StreamName", &STREAM_NAME),
    Member::optional("Timestamp", &TIMESTAMP),
    Member::optional("StreamARN", &STREAM_ARN),
    Member::optional("StreamId", &STREAM_ID),
];

/// The starting position `input` names by its `kind_member` (a ShardIteratorType),
/// sequence number member and `Timestamp`, checked with AWS's texts.
pub(crate) fn iterator_start(
    input: &Input<'_>,
    kind_member: &str,
    seq_member: &str,
) -> ApiResult<IteratorStart> {
    let kind = input.str(kind_member).unwrap_or_default();
    let seq = input.str(seq_member);
    let mismatch = |what: &str| {
        ApiError::invalid(format!(
            "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified {kind} and {what} StartingSequenceNumber."
        ))
    };
    Ok(match (kind, seq) {
        ("AT_SEQUENCE_NUMBER", Some(s)) => IteratorStart::AtSequence(s.to_owned()),
        ("AFTER_SEQUENCE_NUMBER", Some(s)) => IteratorStart::AfterSequence(s.to_owned()),
        ("AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER", None) => return Err(mismatch("no")),
        ("TRIM_HORIZON" | "LATEST", Some(_)) => return Err(mismatch("also a")),
        ("TRIM_HORIZON", None) => IteratorStart::TrimHorizon,
        ("LATEST", None) => IteratorStart::Latest,
        _ => match input.timestamp_ms("Timestamp") {
            Some(ts) => IteratorStart::AtTimestamp(ts),
            None => {
                return Err(ApiError::invalid(
                    "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.",
                ));
            }
        },
    })
}

pub(crate) fn run(
    engine: &Engine,
    input: Input<'_>,
    w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let name = stream_name(engine, &input)?;
    let start = iterator_start(&input, "ShardIteratorType", "StartingSequenceNumber")?;
    let shard_id = input.str("ShardId").unwrap_or_default();
    let iterator = engine.get_shard_iterator(name, shard_id, start)?;
    w.begin_map(Some(1));
    w.key("ShardIterator");
    w.str(&iterator);
    w.end_map();
    Ok(())
}
