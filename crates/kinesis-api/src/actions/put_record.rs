//! PutRecord: one record; a throttled record is an error.

use aws_wire::{Input, Member, Writer};
use kinesis_engine::{Engine, EngineError, PutEntry, PutOutcome};

use crate::common::stream_name;
use crate::metrics::Observed;
use crate::shapes::{
    DATA, HASH_KEY, PARTITION_KEY, SEQUENCE_NUMBER, STREAM_ARN, STREAM_ID, STREAM_NAME,
};
use crate::{ApiError, ApiResult};

pub(crate) static INPUT: [Member; 7] = [
    Member::optional("SequenceNumberForOrdering", &SEQUENCE_NUMBER),
    Member::required("PartitionKey", &PARTITION_KEY),
    Member::optional("ExplicitHashKey", &HASH_KEY),
    Member::required("Data", &DATA),
    Member::optional("StreamName", &STREAM_NAME),
    Member::optional("StreamARN", &STREAM_ARN),
    Member::optional("StreamId", &STREAM_ID),
];

/// Parses an ExplicitHashKey, which the schema only checks for digits.
pub(crate) fn explicit_hash_key(text: Option<&str>) -> ApiResult<Option<u128>> {
    match text {
        None => Ok(None),
        Some(t) => kinesis_engine::hash::parse_hash_key(t).map(Some).ok_or_else(|| {
            ApiError::invalid(format!(
                "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was {t}"
            ))
        }),
    }
}

pub(crate) fn run(
    engine: &Engine,
    input: Input<'_>,
    w: &mut Writer,
    obs: &mut Observed,
) -> ApiResult {
    let name = stream_name(engine, &input)?;
    obs.stream = Some(name.to_owned());
    let entry = PutEntry {
        partition_key: input.str("PartitionKey").unwrap_or_default(),
        explicit_hash_key: explicit_hash_key(input.str("ExplicitHashKey"))?,
        data: input.blob("Data").unwrap_or_default(),
    };
    crate::common::check_record_size(&entry)?;
    let size = (entry.partition_key.len() + entry.data.len()) as u64;
    let (shard_id, seq) =
        match engine.put_record(name, entry, input.str("SequenceNumberForOrdering"))? {
            PutOutcome::Stored {
                shard_id,
                sequence_number,
            } => {
                obs.put_to(&shard_id, size, false);
                (shard_id, sequence_number)
            }
            PutOutcome::Throttled { shard_id, message } => {
                obs.put_to(&shard_id, size, true);
                return Err(ApiError::Engine(EngineError::ThroughputExceeded(message)));
            }
        };
    let encrypted = engine.describe_encryption(name);
    w.begin_map(Some(3));
    w.key("ShardId");
    w.str(&shard_id);
    w.key("SequenceNumber");
    w.str(&seq);
    w.key("EncryptionType");
    w.str(encrypted);
    w.end_map();
    Ok(())
}
