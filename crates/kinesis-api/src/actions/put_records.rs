//! PutRecords: up to 500 records and 5 MiB; each record succeeds or fails on its own.

use aws_wire::{Input, Member, Shape, Writer};
use fault_injection::codes::INTERNAL_FAILURE_TEXT;
use fault_injection::{RecordFailure, RecordFailures};
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
    run_with(engine, input, w, obs, None)
}

/// What one record came to.
enum Result1 {
    Stored { shard_id: String, sequence: String },
    Failed { code: &'static str, message: String },
}

/// PutRecords with the records `failures` picks failed on purpose (fault injection): they
/// are not stored, and are answered and counted as AWS answers and counts its own failures.
pub(crate) fn run_with(
    engine: &Engine,
    input: Input<'_>,
    w: &mut Writer,
    obs: &mut Observed,
    failures: Option<&mut RecordFailures<'_>>,
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
    for e in &entries {
        crate::common::check_record_size(e)?;
    }
    let injected: Vec<Option<RecordFailure>> = match failures {
        Some(f) => entries.iter().map(|_| f.next_record()).collect(),
        None => Vec::new(),
    };
    let kept: Vec<PutEntry<'_>> = if injected.is_empty() {
        entries.clone()
    } else {
        entries
            .iter()
            .zip(&injected)
            .filter(|(_, f)| f.is_none())
            .map(|(e, _)| *e)
            .collect()
    };
    let mut stored = if kept.is_empty() {
        Vec::new()
    } else {
        engine.put_records(name, &kept)?
    }
    .into_iter();
    let mut results = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let size = (e.partition_key.len() + e.data.len()) as u64;
        let result = match injected.get(i).copied().flatten() {
            Some(RecordFailure::Throttled) => {
                let shard_id = engine.shard_owning(name, e)?;
                obs.put_to(&shard_id, size, true);
                Result1::Failed {
                    code: "ProvisionedThroughputExceededException",
                    message: engine.record_throttle_message(&shard_id, name),
                }
            }
            Some(RecordFailure::InternalFailure) => {
                let shard_id = engine.shard_owning(name, e)?;
                obs.put_failed(&shard_id);
                Result1::Failed {
                    code: "InternalFailure",
                    message: INTERNAL_FAILURE_TEXT.to_owned(),
                }
            }
            None => match stored.next() {
                Some(PutOutcome::Stored {
                    shard_id,
                    sequence_number,
                }) => {
                    obs.put_to(&shard_id, size, false);
                    Result1::Stored {
                        shard_id,
                        sequence: sequence_number,
                    }
                }
                Some(PutOutcome::Throttled { shard_id, message }) => {
                    obs.put_to(&shard_id, size, true);
                    Result1::Failed {
                        code: "ProvisionedThroughputExceededException",
                        message,
                    }
                }
                None => {
                    return Err(ApiError::Engine(kinesis_engine::EngineError::Internal(
                        "fewer outcomes than records".to_owned(),
                    )));
                }
            },
        };
        results.push(result);
    }
    let encrypted = engine.describe_encryption(name);
    let failed = results
        .iter()
        .filter(|o| matches!(o, Result1::Failed { .. }))
        .count();
    w.reserve(results.len() * 120);
    w.begin_map(Some(3));
    w.key("FailedRecordCount");
    w.int(failed as i64);
    w.key("Records");
    w.begin_array(Some(results.len()));
    for o in &results {
        w.begin_map(Some(2));
        match o {
            Result1::Stored { shard_id, sequence } => {
                w.key("SequenceNumber");
                w.str(sequence);
                w.key("ShardId");
                w.str(shard_id);
            }
            Result1::Failed { code, message } => {
                w.key("ErrorCode");
                w.str(code);
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
