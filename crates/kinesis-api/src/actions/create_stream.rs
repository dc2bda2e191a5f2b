//! CreateStream: a new stream with ShardCount shards, or an on-demand stream with four.

use aws_wire::{Input, Member, Shape, Writer};
use kinesis_engine::{Engine, StreamMode};

use crate::common::int_u32;
use crate::metrics::Observed;
use crate::shapes::{STREAM_NAME, TAG_MAP};
use crate::{ApiError, ApiResult};

static SHARD_COUNT: Shape = Shape::Integer {
    min: Some(1),
    max: None,
};
static STREAM_MODE: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &["PROVISIONED", "ON_DEMAND"],
};
static MODE_DETAILS_MEMBERS: [Member; 1] = [Member::required("StreamMode", &STREAM_MODE)];
pub(crate) static MODE_DETAILS: Shape = Shape::Structure(&MODE_DETAILS_MEMBERS);
pub(crate) static NATURAL: Shape = Shape::Integer {
    min: Some(0),
    max: None,
};
static MAX_RECORD_KIB: Shape = Shape::Integer {
    min: Some(1024),
    max: Some(10240),
};

pub(crate) static INPUT: [Member; 6] = [
    Member::optional("ShardCount", &SHARD_COUNT),
    Member::required("StreamName", &STREAM_NAME),
    Member::optional("StreamModeDetails", &MODE_DETAILS),
    Member::optional("Tags", &TAG_MAP),
    Member::optional("WarmThroughputMiBps", &NATURAL),
    Member::optional("MaxRecordSizeInKiB", &MAX_RECORD_KIB),
];

pub(crate) fn run(
    engine: &Engine,
    input: Input<'_>,
    _w: &mut Writer,
    obs: &mut Observed,
) -> ApiResult {
    let name = input.str("StreamName").unwrap_or_default();
    obs.stream = Some(name.to_owned());
    let mode = input
        .structure("StreamModeDetails")
        .and_then(|d| d.str("StreamMode"))
        .and_then(StreamMode::parse);
    let tags: Vec<(String, String)> = input
        .map_str("Tags")
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    if input.int("MaxRecordSizeInKiB").is_some_and(|k| k != 1024) {
        return Err(ApiError::invalid(
            "MaxRecordSizeInKiB other than 1024 is not supported by this server.",
        ));
    }
    engine.create_stream(name, mode, int_u32(&input, "ShardCount"), &tags)?;
    Ok(())
}
