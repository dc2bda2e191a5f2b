//! DescribeStreamConsumer: by ConsumerARN, or by StreamARN and ConsumerName.

use aws_wire::{Input, Member, Writer};
use kinesis_engine::Engine;

use super::deregister_stream_consumer::arn_stream;
use super::register_stream_consumer::write_consumer;
use crate::ApiResult;
use crate::metrics::Observed;
use crate::shapes::{CONSUMER_ARN, CONSUMER_NAME, STREAM_ARN, STREAM_ID};

pub(crate) static INPUT: [Member; 4] = [
    Member::optional("StreamARN", &STREAM_ARN),
    Member::optional("ConsumerName", &CONSUMER_NAME),
    Member::optional("ConsumerARN", &CONSUMER_ARN),
    Member::optional("StreamId", &STREAM_ID),
];

pub(crate) fn run(
    engine: &Engine,
    input: Input<'_>,
    w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let stream = arn_stream(&input);
    let c = engine.describe_consumer(
        stream.as_deref(),
        input.str("ConsumerName"),
        input.str("ConsumerARN"),
    )?;
    w.begin_map(Some(1));
    w.key("ConsumerDescription");
    write_consumer(w, &c, true);
    w.end_map();
    Ok(())
}
