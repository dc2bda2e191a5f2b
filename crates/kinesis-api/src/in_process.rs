//! Reads for consumers inside this process, which call no HTTP API: Lambda's Kinesis event
//! source mappings poll through these and are counted in the `GetRecords.*` metrics as a
//! consumer calling GetRecords over the wire is.

use std::time::Instant;

use kinesis_engine::{EngineError, GetRecordsOutput, IteratorStart, ShardInfo};

use crate::{Action, KinesisApi, actions, metrics::Observed};

impl KinesisApi {
    /// The shards ListShards lists for `stream` without a filter: every shard not closed
    /// before the trim horizon, in shard-id order.
    pub fn list_shards(&self, stream: &str) -> Result<Vec<ShardInfo>, EngineError> {
        actions::list_shards::unfiltered(&self.engine, stream)
    }

    /// GetShardIterator: a position in `shard_id` of `stream`, valid for five minutes.
    pub fn shard_iterator(
        &self,
        stream: &str,
        shard_id: &str,
        start: IteratorStart,
    ) -> Result<String, EngineError> {
        self.engine.get_shard_iterator(stream, shard_id, start)
    }

    /// GetRecords: up to `limit` records from `iterator`, recorded in the stream's metrics
    /// (latency, success, records, bytes, iterator age, read throttling) as the API action
    /// records them.
    pub fn get_records(
        &self,
        iterator: &str,
        limit: usize,
    ) -> Result<GetRecordsOutput, EngineError> {
        let mut observed = Observed::default();
        let started = Instant::now();
        let result = actions::get_records::read(&self.engine, iterator, limit, &mut observed);
        if let Some(m) = &self.metrics {
            let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
            let code = result.as_ref().err().map(EngineError::code);
            m.record(
                &self.engine,
                Action::GetRecords,
                &observed,
                code,
                latency_ms,
            );
        }
        result
    }
}
