//! UpdateStreamMode: switches a stream between PROVISIONED and ON_DEMAND, keeping its shards.

use aws_wire::{Input, Member, Writer};
use kinesis_engine::{Engine, StreamMode};

use super::create_stream::{MODE_DETAILS, NATURAL};
use crate::common::stream_name;
use crate::metrics::Observed;
use crate::shapes::{STREAM_ARN, STREAM_ID};
use crate::{ApiError, ApiResult};

pub(crate) static INPUT: [Member; 4] = [
    Member::required("StreamARN", &STREAM_ARN),
    Member::optional("StreamId", &STREAM_ID),
    Member::required("StreamModeDetails", &MODE_DETAILS),
    Member::optional("WarmThroughputMiBps", &NATURAL),
];

pub(crate) fn run(
    engine: &Engine,
    input: Input<'_>,
    _w: &mut Writer,
    obs: &mut Observed,
) -> ApiResult {
    let name = stream_name(engine, &input)?;
    obs.stream = Some(name.to_owned());
    let mode = input
        .structure("StreamModeDetails")
        .and_then(|d| d.str("StreamMode"))
        .and_then(StreamMode::parse)
        .unwrap_or(StreamMode::Provisioned);
    if mode == StreamMode::Provisioned && input.int("WarmThroughputMiBps").is_some() {
        return Err(ApiError::invalid(
            "WarmThroughputMiBps is only valid when the stream mode is updated to ON_DEMAND.",
        ));
    }
    engine.update_stream_mode(name, mode)?;
    Ok(())
}
