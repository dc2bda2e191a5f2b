//! PutRecords: up to 500 records and 5 MiB; each record succeeds or fails on its own.

use aws_wire::{Input, Member, Shape, Writer};
use kinesis_engine::{Engine, PutEntry, PutOutcome};

use super::put_record::explicit_hash_key;
use crate::common::stream_name;
use crate::metrics::Observed;
use crate::shapes::{DATA, HASH_KEY, PARTITION_KEY, STREAM_ARN, STREAM_ID, STREAM_NAME};
use crate::{ApiError, ApiResult};

static ENTRY_MEMBERS: [Member; 3] = [
    Member::required("PartitionKey", &PARTITION_KEY),
    Member::optional("ExplicitHashKey", &HASH_KEY),
    Member::required("Data", &DATA),
];
static ENTRY: Shape = Shape::Structure(&ENTRY_MEMBERS);
static RECORDS: Shape = Shape::List {
    member: &ENTRY,
    min_len: Some(1),
    max_len: Some(500),
    member_str: Some("com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@c965e310"),
};

pub(crate) static INPUT: [Member; 4] = [
    Member::required("Records", &RECORDS),
    Member::optional("StreamName", &STREAM_NAME),
    Member::optional("StreamARN", &STREAM_ARN),
    Member::optional("StreamId", &STREAM_ID),
];

/// The most a PutRecords request may carry, partition keys included (5 MiB).
const MAX_REQUEST_BYTES: usize = 5 * 1024 * 1024;

pub(crate) fn run(
    engine: &Engine,
    input: Input<'_>,
    w: &mut Writer,
    obs: &mut Observed,
) -> ApiResult {
    let name = stream_name(engine, &input)?;
    obs.stream = Some(name.to_owned());
    let records = input.list("Records").unwrap_or_default();
    let mut entries = Vec::with_capacity(records.len());
    let mut total = 0usize;
    for r in records {
        let e = PutEntry {
            partition_key: r.str("PartitionKey").unwrap_or_default(),
            explicit_hash_key: explicit_hash_key(r.str("ExplicitHashKey"))?,
            data: r.blob("Data").unwrap_or_default(),
        };
        total += e.partition_key.len() + e.data.len();
        entries.push(e);
    }
    if total > MAX_REQUEST_BYTES {
        return Err(ApiError::invalid("Records size exceeds 5 MB limit"));
    }
    let outcomes = engine.put_records(name, &entries)?;
    for (e, o) in entries.iter().zip(&outcomes) {
        let size = (e.partition_key.len() + e.data.len()) as u64;
        match o {
            PutOutcome::Stored { shard_id, .. } => obs.put_to(shard_id, size, false),
            PutOutcome::Throttled { shard_id, .. } => obs.put_to(shard_id, size, true),
        }
    }
    let encrypted = engine.describe_encryption(name);
    let failed = outcomes
        .iter()
        .filter(|o| matches!(o, PutOutcome::Throttled { .. }))
        .count();
    w.reserve(outcomes.len() * 120);
    w.begin_map(Some(3));
    w.key("FailedRecordCount");
    w.int(failed as i64);
    w.key("Records");
    w.begin_array(Some(outcomes.len()));
    for o in &outcomes {
        w.begin_map(Some(2));
        match o {
            PutOutcome::Stored {
                shard_id,
                sequence_number,
            } => {
                w.key("SequenceNumber");
                w.str(sequence_number);
                w.key("ShardId");
                w.str(shard_id);
            }
            PutOutcome::Throttled { message, .. } => {
                w.key("ErrorCode");
                w.str("ProvisionedThroughputExceededException");
                w.key("ErrorMessage");
                w.str(message);
            }
        }
        w.end_map();
    }
    w.end_array();
    w.key("EncryptionType");
    w.str(encrypted);
    w.end_map();
    Ok(())
}
