//! DescribeStreamSummary: the stream without its shard list.

use aws_wire::{Input, Member, Writer};
use kinesis_engine::Engine;

use crate::ApiResult;
use crate::common::{stream_name, write_enhanced_monitoring, write_mode};
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
    w.key("StreamName");
    w.str(&info.name);
    w.key("StreamARN");
    w.str(&info.arn);
    w.key("StreamStatus");
    w.str(info.status.as_str());
    w.key("StreamModeDetails");
    write_mode(w, info.mode);
    w.key("RetentionPeriodHours");
    w.int(i64::from(info.retention_hours));
    w.key("StreamCreationTimestamp");
    w.timestamp_ms(info.created_ms as i64);
    w.key("EnhancedMonitoring");
    write_enhanced_monitoring(w, &info.enhanced_metrics);
    w.key("EncryptionType");
    w.str(info.encryption_type.as_deref().unwrap_or("NONE"));
    if let Some(k) = &info.key_id {
        w.key("KeyId");
        w.str(k);
    }
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
