//! What the server plugs into the Lambda engine, which knows no HTTP: the Runtime API's
//! server ([`lambda_runtime_api::RuntimeApiServer`]) and the Kinesis its event source
//! mappings read, [`KinesisReads`]: this server's own Kinesis API in process, so the
//! mappings' reads count in the stream's `GetRecords.*` metrics as an API caller's do.

use bytes::Bytes;
use kinesis_api::KinesisApi;
use kinesis_engine::EngineError;
use lambda_engine::kinesis::{
    IteratorStart, KinesisReader, ReadError, RecordBatch, ShardSummary, StreamRecord,
};

/// The Kinesis API as Lambda's event source mappings read it.
pub(crate) struct KinesisReads(pub(crate) KinesisApi);

fn read_error(e: EngineError) -> ReadError {
    match e {
        EngineError::ThroughputExceeded(m) => ReadError::Throttled(m),
        EngineError::ExpiredIterator(m) => ReadError::ExpiredIterator(m),
        other => ReadError::Failed(format!("{}: {}", other.code(), other.message())),
    }
}

impl KinesisReader for KinesisReads {
    fn list_shards(&self, stream: &str) -> Result<Vec<ShardSummary>, ReadError> {
        let shards = self.0.list_shards(stream).map_err(read_error)?;
        Ok(shards
            .into_iter()
            .map(|s| ShardSummary {
                shard_id: s.shard_id,
                parents: s
                    .parent_shard_id
                    .into_iter()
                    .chain(s.adjacent_parent_shard_id)
                    .collect(),
            })
            .collect())
    }

    fn shard_iterator(
        &self,
        stream: &str,
        shard_id: &str,
        start: &IteratorStart,
    ) -> Result<Option<String>, ReadError> {
        let start = match start {
            IteratorStart::AfterSequence(s) => {
                kinesis_engine::IteratorStart::AfterSequence(s.clone())
            }
            IteratorStart::TrimHorizon => kinesis_engine::IteratorStart::TrimHorizon,
            IteratorStart::Latest => kinesis_engine::IteratorStart::Latest,
            IteratorStart::AtTimestamp(ms) => kinesis_engine::IteratorStart::AtTimestamp(*ms),
        };
        self.0
            .shard_iterator(stream, shard_id, start)
            .map(Some)
            .map_err(read_error)
    }

    fn get_records(&self, iterator: &str, limit: usize) -> Result<RecordBatch, ReadError> {
        let out = self.0.get_records(iterator, limit).map_err(read_error)?;
        Ok(RecordBatch {
            records: out
                .records
                .iter()
                .map(|r| StreamRecord {
                    sequence_number: r.sequence.to_decimal().as_str().to_string(),
                    partition_key: r.partition_key().to_string(),
                    data: Bytes::copy_from_slice(r.data()),
                    arrival_ms: r.arrival_ms,
                })
                .collect(),
            next_iterator: out.next_iterator,
        })
    }
}
