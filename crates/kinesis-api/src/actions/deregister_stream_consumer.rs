//! DeregisterStreamConsumer: by ConsumerARN, or by StreamARN and ConsumerName.

use aws_wire::{Input, Member, Writer};
use kinesis_engine::Engine;

use crate::ApiResult;
use crate::metrics::Observed;
use crate::shapes::{CONSUMER_ARN, CONSUMER_NAME, STREAM_ARN, STREAM_ID, parse_stream_arn};

pub(crate) static INPUT: [Member; 4] = [
    Member::optional("StreamARN", &STREAM_ARN),
    Member::optional("ConsumerName", &CONSUMER_NAME),
    Member::optional("ConsumerARN", &CONSUMER_ARN),
    Member::optional("StreamId", &STREAM_ID),
];

/// The stream name inside an optional StreamARN.
pub(crate) fn arn_stream(input: &Input<'_>) -> Option<String> {
    input
        .str("StreamARN")
        .and_then(parse_stream_arn)
        .map(|(_, _, n)| n.to_owned())
}

pub(crate) fn run(
    engine: &Engine,
    input: Input<'_>,
    _w: &mut Writer,
    obs: &mut Observed,
) -> ApiResult {
    let stream = arn_stream(&input);
    engine.deregister_consumer(
        stream.as_deref(),
        input.str("ConsumerName"),
        input.str("ConsumerARN"),
    )?;
    // The stream the consumer read, so its consumer-level series handles are let go.
    obs.stream = stream.or_else(|| {
        let arn = input.str("ConsumerARN")?;
        let (stream_part, _) = arn.rsplit_once("/consumer/")?;
        Some(stream_part.rsplit('/').next()?.to_owned())
    });
    Ok(())
}
