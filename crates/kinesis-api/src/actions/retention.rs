//! Increase/DecreaseStreamRetentionPeriod.

use aws_wire::{Input, Member, Writer};
use kinesis_engine::Engine;

use crate::ApiResult;
use crate::common::stream_name;
use crate::metrics::Observed;
use crate::shapes::{RETENTION_HOURS, STREAM_ARN, STREAM_ID, STREAM_NAME};

pub(crate) static INPUT: [Member; 4] = [
    Member::required("RetentionPeriodHours", &RETENTION_HOURS),
    Member::optional("StreamName", &STREAM_NAME),
    Member::optional("StreamARN", &STREAM_ARN),
    Member::optional("StreamId", &STREAM_ID),
];

fn set(engine: &Engine, input: &Input<'_>, increase: bool) -> ApiResult {
    let name = stream_name(engine, input)?;
    engine.set_retention(
        name,
        input.int("RetentionPeriodHours").unwrap_or_default(),
        increase,
    )?;
    Ok(())
}

pub(crate) fn increase(
    engine: &Engine,
    input: Input<'_>,
    _w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    set(engine, &input, true)
}

pub(crate) fn decrease(
    engine: &Engine,
    input: Input<'_>,
    _w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    set(engine, &input, false)
}
