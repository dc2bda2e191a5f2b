//! Pieces many actions share: finding the stream a request names, and writing shards.

use aws_wire::{Input, Writer};
use kinesis_engine::{
    ChildShard, Engine, EngineError, HashRange, Record, ShardInfo, StreamInfo, StreamMode,
};

use crate::shapes::parse_stream_arn;
use crate::{ApiError, ApiResult};

/// The stream a request names, by `StreamARN` or `StreamName` (AWS accepts either, or both
/// when they agree).
pub(crate) fn stream_name<'a>(engine: &Engine, input: &'a Input<'_>) -> ApiResult<&'a str> {
    let name = input.str("StreamName");
    let Some(arn) = input.str("StreamARN") else {
        return name
            .ok_or_else(|| ApiError::invalid("Either StreamName or StreamARN must be provided."));
    };
    let (region, account, arn_name) = parse_stream_arn(arn)
        .ok_or_else(|| ApiError::invalid(format!("Invalid StreamARN {arn}.")))?;
    if let Some(name) = name
        && name != arn_name
    {
        return Err(ApiError::invalid(format!(
            "StreamARN {arn} and StreamName {name} do not refer to the same stream."
        )));
    }
    let config = engine.config();
    if region != config.region || account != config.account_id {
        return Err(ApiError::Engine(EngineError::ResourceNotFound(format!(
            "Stream {arn_name} under account {account} not found."
        ))));
    }
    Ok(arn_name)
}

/// Writes `{"StartingHashKey": ..., "EndingHashKey": ...}`.
pub(crate) fn write_hash_range(w: &mut Writer, r: &HashRange) {
    w.begin_map(Some(2));
    w.key("StartingHashKey");
    w.str(&r.start.to_string());
    w.key("EndingHashKey");
    w.str(&r.end.to_string());
    w.end_map();
}

/// Writes one `Shard` structure.
pub(crate) fn write_shard(w: &mut Writer, s: &ShardInfo) {
    w.begin_map(None);
    w.key("ShardId");
    w.str(&s.shard_id);
    if let Some(p) = &s.parent_shard_id {
        w.key("ParentShardId");
        w.str(p);
    }
    if let Some(p) = &s.adjacent_parent_shard_id {
        w.key("AdjacentParentShardId");
        w.str(p);
    }
    w.key("HashKeyRange");
    write_hash_range(w, &s.hash_range);
    w.key("SequenceNumberRange");
    w.begin_map(None);
    w.key("StartingSequenceNumber");
    w.str(&s.starting_sequence_number);
    if let Some(e) = &s.ending_sequence_number {
        w.key("EndingSequenceNumber");
        w.str(e);
    }
    w.end_map();
    w.end_map();
}

/// Writes the members that name a stream and its state (DescribeStream and its summary).
pub(crate) fn write_stream_identity(w: &mut Writer, info: &StreamInfo) {
    w.key("StreamName");
    w.str(&info.name);
    w.key("StreamARN");
    w.str(&info.arn);
    w.key("StreamStatus");
    w.str(info.status.as_str());
    w.key("StreamModeDetails");
    write_mode(w, info.mode);
}

/// Writes a stream's retention, creation time, monitoring and encryption members.
pub(crate) fn write_stream_settings(w: &mut Writer, info: &StreamInfo) {
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
}

/// Writes `{"StreamMode": ...}`.
pub(crate) fn write_mode(w: &mut Writer, mode: StreamMode) {
    w.begin_map(Some(1));
    w.key("StreamMode");
    w.str(mode.as_str());
    w.end_map();
}

/// Writes `[{"ShardLevelMetrics": [...]}]` as DescribeStream shows enhanced monitoring.
pub(crate) fn write_enhanced_monitoring(w: &mut Writer, metrics: &[String]) {
    w.begin_array(Some(1));
    w.begin_map(Some(1));
    w.key("ShardLevelMetrics");
    write_str_list(w, metrics);
    w.end_map();
    w.end_array();
}

/// Writes a list of strings.
pub(crate) fn write_str_list(w: &mut Writer, items: &[String]) {
    w.begin_array(Some(items.len()));
    for m in items {
        w.str(m);
    }
    w.end_array();
}

/// An integer member that the schema bounds, as u32.
pub(crate) fn int_u32(input: &Input<'_>, name: &str) -> Option<u32> {
    input
        .int(name)
        .map(|v| v.clamp(0, i64::from(u32::MAX)) as u32)
}

/// Writes one `Record` as GetRecords and SubscribeToShardEvent carry it; `encryption` is
/// the stream's `EncryptionType` when the record should name it.
pub(crate) fn write_record(w: &mut Writer, r: &Record, encryption: Option<&str>) {
    w.begin_map(Some(4 + usize::from(encryption.is_some())));
    w.key("SequenceNumber");
    w.str(r.sequence.to_decimal().as_str());
    w.key("ApproximateArrivalTimestamp");
    w.timestamp_ms(r.arrival_ms as i64);
    w.key("Data");
    w.bytes(r.data());
    w.key("PartitionKey");
    w.str(r.partition_key());
    if let Some(e) = encryption {
        w.key("EncryptionType");
        w.str(e);
    }
    w.end_map();
}

/// Writes a `ChildShards` list.
pub(crate) fn write_child_shards(w: &mut Writer, children: &[ChildShard]) {
    w.begin_array(Some(children.len()));
    for c in children {
        w.begin_map(Some(3));
        w.key("ShardId");
        w.str(&c.shard_id);
        w.key("ParentShards");
        write_str_list(w, &c.parent_shards);
        w.key("HashKeyRange");
        write_hash_range(w, &c.hash_range);
        w.end_map();
    }
    w.end_array();
}

/// The most one record may hold, its data and partition key together (the stream's
/// MaxRecordSizeInKiB, which this server keeps at its 1,024 KiB default).
pub(crate) const MAX_RECORD_BYTES: usize = 1024 * 1024;

/// Refuses a record whose data and partition key together pass [`MAX_RECORD_BYTES`]: AWS
/// counts both against the record limit, while the Data member alone may be 1 MiB.
pub(crate) fn check_record_size(e: &kinesis_engine::PutEntry<'_>) -> ApiResult<()> {
    let size = e.partition_key.len() + e.data.len();
    if size > MAX_RECORD_BYTES {
        return Err(ApiError::invalid(format!(
            "Record size {size} bytes (data plus partition key) exceeds the maximum record size of {MAX_RECORD_BYTES} bytes."
        )));
    }
    Ok(())
}
