//! DescribeStreamSummary: the stream without its shard list.

use aws_wire::{Input, Member, Writer};
use kinesis_engine::Engine;

use crate::ApiResult;
use crate::common::{stream_name, write_stream_identity, write_stream_settings};
use crate::metrics::Observed;
use crate::shapes::{STREAM_ARN, STREAM_ID, STREAM_NAME};

pub(crate) static INPUT: [Member; 3] = [
    Member::optional("StreamName", &STREAM_NAME),
    Member::optional("StreamARN", &STREAM_ARN),
    Member::optional("StreamId", &STREAM_ID),
];

pub(crate) fn run(
    engine: &Engine,
    input: Input<'_>,
    w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    let name = stream_name(engine, &input)?;
    let info = engine.describe_stream(name)?;
    w.begin_map(Some(1));
    w.key("StreamDescriptionSummary");
    w.begin_map(None);
    write_stream_identity(w, &info);
    write_stream_settings(w, &info);
    w.key("OpenShardCount");
    w.int(i64::from(info.open_shard_count));
    w.key("ConsumerCount");
    w.int(i64::from(info.consumer_count));
    w.key("MaxRecordSizeInKiB");
    w.int(1024);
    w.end_map();
    w.end_map();
    Ok(())
}
