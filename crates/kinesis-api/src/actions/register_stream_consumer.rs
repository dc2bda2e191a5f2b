//! RegisterStreamConsumer: an enhanced fan-out consumer of a stream.

use aws_wire::{Input, Member, Writer};
use kinesis_engine::{ConsumerInfo, Engine};

use crate::ApiResult;
use crate::common::stream_name;
use crate::metrics::Observed;
use crate::shapes::{CONSUMER_NAME, STREAM_ARN, STREAM_ID, TAG_MAP};

pub(crate) static INPUT: [Member; 4] = [
    Member::required("StreamARN", &STREAM_ARN),
    Member::required("ConsumerName", &CONSUMER_NAME),
    Member::optional("StreamId", &STREAM_ID),
    Member::optional("Tags", &TAG_MAP),
];

/// Writes a `Consumer` (or, with the stream ARN, a `ConsumerDescription`).
pub(crate) fn write_consumer(w: &mut Writer, c: &ConsumerInfo, with_stream_arn: bool) {
    w.begin_map(None);
    w.key("ConsumerName");
    w.str(&c.name);
    w.key("ConsumerARN");
    w.str(&c.arn);
    w.key("ConsumerStatus");
    w.str(&c.status);
    w.key("ConsumerCreationTimestamp");
    w.timestamp_ms(c.created_ms as i64);
    if with_stream_arn {
        w.key("StreamARN");
        w.str(&c.stream_arn);
    }
    w.end_map();
}

pub(crate) fn run(
    engine: &Engine,
    input: Input<'_>,
    w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let name = stream_name(engine, &input)?;
    let c = engine.register_consumer_tagged(
        name,
        input.str("ConsumerName").unwrap_or_default(),
        &super::add_tags_to_stream::tags_of(&input),
    )?;
    w.begin_map(Some(1));
    w.key("Consumer");
    write_consumer(w, &c, false);
    w.end_map();
    Ok(())
}
