//! What the server plugs into the Lambda engine, which knows no HTTP: the Runtime API's
//! server ([`lambda_runtime_api::RuntimeApiServer`]) and the Kinesis its event source
//! mappings read, [`KinesisReads`]: this server's own Kinesis API in process, so the
//! mappings' reads count in the stream's `GetRecords.*` metrics as an API caller's do.

use std::sync::Arc;

use bytes::Bytes;
use kinesis_api::KinesisApi;
use kinesis_engine::EngineError;
use lambda_engine::kinesis::{
    ConsumerSubscription, IteratorStart, KinesisReader, ReadError, RecordBatch, ShardSummary,
    StreamRecord,
};

/// The Kinesis API as Lambda's event source mappings read it, through the same fault
/// injection rules as a GetRecords over the wire (errors, drops and storms; latency rules do
/// not slow these in-process reads).
pub(crate) struct KinesisReads(
    pub(crate) KinesisApi,
    pub(crate) Arc<fault_injection::Faults>,
);

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
        self.0
            .shard_iterator(stream, shard_id, engine_start(start))
            .map(Some)
            .map_err(read_error)
    }

    fn subscribe(
        &self,
        consumer_arn: &str,
        shard_id: &str,
        start: &IteratorStart,
    ) -> Result<Box<dyn ConsumerSubscription>, ReadError> {
        let subscription = self
            .0
            .subscribe(consumer_arn, shard_id, engine_start(start))
            .map_err(read_error)?;
        Ok(Box::new(Subscribed(subscription)))
    }

    fn get_records(&self, iterator: &str, limit: usize) -> Result<RecordBatch, ReadError> {
        if self.1.is_active() {
            let decision = self
                .1
                .on_internal_call(fault_injection::Service::Kinesis, "GetRecords");
            match decision.outcome {
                fault_injection::Outcome::Proceed => {}
                fault_injection::Outcome::Drop => {
                    return Err(ReadError::Failed(
                        "connection closed without an answer (fault injection)".to_owned(),
                    ));
                }
                fault_injection::Outcome::Fail(code) => {
                    return Err(if code.code == "ProvisionedThroughputExceededException" {
                        ReadError::Throttled(code.message.to_owned())
                    } else {
                        ReadError::Failed(format!("{}: {}", code.code, code.message))
                    });
                }
            }
        }
        let out = self.0.get_records(iterator, limit).map_err(read_error)?;
        Ok(RecordBatch {
            records: stream_records(&out.records),
            next_iterator: out.next_iterator,
        })
    }
}

/// A mapping's subscription as a consumer, over the API's in-process one.
struct Subscribed(kinesis_api::InProcessSubscription);

impl ConsumerSubscription for Subscribed {
    fn next(&mut self) -> Result<Option<RecordBatch>, ReadError> {
        let Some(event) = self.0.next_event().map_err(read_error)? else {
            return Ok(None);
        };
        Ok(Some(RecordBatch {
            records: stream_records(&event.records),
            // The shard's end comes with its children; until then the subscription goes on.
            next_iterator: event.child_shards.is_none().then(String::new),
        }))
    }
}

fn engine_start(start: &IteratorStart) -> kinesis_engine::IteratorStart {
    match start {
        IteratorStart::AfterSequence(s) => kinesis_engine::IteratorStart::AfterSequence(s.clone()),
        IteratorStart::TrimHorizon => kinesis_engine::IteratorStart::TrimHorizon,
        IteratorStart::Latest => kinesis_engine::IteratorStart::Latest,
        IteratorStart::AtTimestamp(ms) => kinesis_engine::IteratorStart::AtTimestamp(*ms),
    }
}

fn stream_records(records: &[kinesis_engine::Record]) -> Vec<StreamRecord> {
    records
        .iter()
        .map(|r| StreamRecord {
            sequence_number: r.sequence.to_decimal().as_str().to_string(),
            partition_key: r.partition_key().to_string(),
            data: Bytes::copy_from_slice(r.data()),
            arrival_ms: r.arrival_ms,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use kinesis_api::KinesisMetrics;
    use kinesis_engine::{Engine, EngineConfig, ManualClock, PutEntry};
    use metric_store::catalog::{MetricDef, kinesis as k};
    use metric_store::{Statistic, Store};

    use super::*;

    fn sum(store: &Store, def: &MetricDef, statistic: Statistic) -> f64 {
        let key = def.key(&[("StreamName", "s")]).unwrap();
        let now = store.now_ms();
        store
            .query(&key, now - 600_000, now + 60_000, 60, &[statistic])
            .unwrap()
            .iter()
            .filter_map(|d| d.values[0])
            .sum()
    }

    /// The mappings' reads: typed results, Kinesis's failures as the errors the pollers act
    /// on, resharding seen through parents, and every GetRecords in the stream's metrics.
    #[test]
    fn mapping_reads_go_through_the_api_and_its_metrics() {
        let clock = ManualClock::new(1_700_000_000_000);
        let engine =
            Engine::open_with_clock(EngineConfig::default(), Arc::new(clock.clone())).unwrap();
        let store = Arc::new(Store::with_clock(Arc::new(clock.clone())));
        let api =
            KinesisApi::with_metrics(engine.clone(), Arc::new(KinesisMetrics::new(store.clone())));
        let reads = KinesisReads(
            api,
            Arc::new(fault_injection::Faults::new(Arc::new(clock.clone()), 0)),
        );
        engine.create_stream("s", None, Some(1), &[]).unwrap();
        for data in [b"a", b"b"] {
            let entry = PutEntry {
                partition_key: "k",
                explicit_hash_key: None,
                data,
            };
            engine.put_record("s", entry, None).unwrap();
        }
        let shards = reads.list_shards("s").unwrap();
        assert_eq!(
            shards,
            [ShardSummary {
                shard_id: "shardId-000000000000".into(),
                parents: vec![],
            }]
        );
        let iterator = reads
            .shard_iterator("s", "shardId-000000000000", &IteratorStart::TrimHorizon)
            .unwrap()
            .unwrap();
        let batch = reads.get_records(&iterator, 10).unwrap();
        let data: Vec<&[u8]> = batch.records.iter().map(|r| &r.data[..]).collect();
        assert_eq!(data, [b"a", b"b"]);
        assert_eq!(batch.records[0].arrival_ms, 1_700_000_000_000);
        let next = batch.next_iterator.unwrap();
        // Five reads a second per shard: the sixth in the same second is throttled.
        for _ in 0..4 {
            reads.get_records(&next, 10).unwrap();
        }
        assert!(matches!(
            reads.get_records(&next, 10),
            Err(ReadError::Throttled(_))
        ));
        assert_eq!(sum(&store, &k::GET_RECORDS_RECORDS, Statistic::Sum), 2.0);
        assert_eq!(
            sum(&store, &k::GET_RECORDS_SUCCESS, Statistic::SampleCount),
            6.0
        );
        assert_eq!(sum(&store, &k::READ_THROTTLED, Statistic::Sum), 1.0);

        clock.advance(301_000);
        assert!(matches!(
            reads.get_records(&next, 10),
            Err(ReadError::ExpiredIterator(_))
        ));

        engine
            .split_shard("s", "shardId-000000000000", 1 << 127)
            .unwrap();
        let shards = reads.list_shards("s").unwrap();
        assert_eq!(shards.len(), 3);
        for child in &shards[1..] {
            assert_eq!(child.parents, ["shardId-000000000000"]);
        }
        let after = reads
            .shard_iterator(
                "s",
                "shardId-000000000000",
                &IteratorStart::AfterSequence(batch.records[1].sequence_number.clone()),
            )
            .unwrap()
            .unwrap();
        let end = reads.get_records(&after, 10).unwrap();
        assert!(end.records.is_empty());
        assert_eq!(
            end.next_iterator, None,
            "the closed parent is read to its end"
        );
        assert!(matches!(
            reads.list_shards("missing"),
            Err(ReadError::Failed(_))
        ));
    }
}
