//! DeleteStream: the stream goes DELETING, then away.

use aws_wire::{Input, Member, Writer};
use kinesis_engine::Engine;

use crate::ApiResult;
use crate::common::stream_name;
use crate::metrics::Observed;
use crate::shapes::{BOOLEAN, STREAM_ARN, STREAM_ID, STREAM_NAME};

pub(crate) static INPUT: [Member; 4] = [
    Member::optional("StreamName", &STREAM_NAME),
    Member::optional("EnforceConsumerDeletion", &BOOLEAN),
    Member::optional("StreamARN", &STREAM_ARN),
    Member::optional("StreamId", &STREAM_ID),
];

pub(crate) fn run(
    engine: &Engine,
    input: Input<'_>,
    _w: &mut Writer,
    obs: &mut Observed,
) -> ApiResult {
    let name = stream_name(engine, &input)?;
    obs.stream = Some(name.to_owned());
    engine.delete_stream(name, input.bool("EnforceConsumerDeletion").unwrap_or(false))?;
    Ok(())
}
