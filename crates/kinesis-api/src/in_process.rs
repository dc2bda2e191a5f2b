//! Reads for consumers inside this process, which call no HTTP API: Lambda's Kinesis event
//! source mappings poll through these and are counted in the `GetRecords.*` metrics as a
//! consumer calling GetRecords over the wire is; a mapping on a stream consumer subscribes
//! and is counted in that consumer's `SubscribeToShard*` metrics.

use std::sync::Arc;
use std::time::Instant;

use kinesis_engine::subscription::{Subscription, SubscriptionEvent, SubscriptionState};
use kinesis_engine::{EngineError, GetRecordsOutput, IteratorStart, ShardInfo};

use crate::metrics::{ConsumerSeries, Observed};
use crate::{Action, KinesisApi, actions};

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

/// A stream consumer's subscription to one shard, read inside this process (a Lambda event
/// source mapping whose source is a consumer ARN). Each event that carries records, or a
/// closed shard's children, is recorded in the consumer's `SubscribeToShardEvent.*` metrics
/// as one delivered over the wire is; the empty reads between them are not events.
pub struct InProcessSubscription {
    subscription: Subscription,
    series: Option<Arc<ConsumerSeries>>,
    engine: kinesis_engine::Engine,
}

impl InProcessSubscription {
    /// What the shard holds after the last read; `Ok(None)` once the subscription is over
    /// (five minutes by the engine's clock) and must be renewed; an error when it was taken
    /// over or its consumer is gone.
    pub fn next_event(&mut self) -> Result<Option<SubscriptionEvent>, EngineError> {
        match self.subscription.state() {
            SubscriptionState::Live => {}
            SubscriptionState::Expired => return Ok(None),
            SubscriptionState::Failed(e) => return Err(e),
        }
        let event = self.subscription.next_event()?;
        if (!event.records.is_empty() || event.child_shards.is_some())
            && let Some(series) = &self.series
        {
            series.event(self.engine.now_ms(), &event);
        }
        Ok(Some(event))
    }
}

impl KinesisApi {
    /// SubscribeToShard for a consumer inside this process: the same checks and errors as the
    /// API action, and a successful call counted in `SubscribeToShard.Success`.
    pub fn subscribe(
        &self,
        consumer_arn: &str,
        shard_id: &str,
        start: IteratorStart,
    ) -> Result<InProcessSubscription, EngineError> {
        let subscription = self
            .engine
            .subscribe_to_shard(consumer_arn, shard_id, &start)?;
        let series = self
            .metrics
            .as_ref()
            .and_then(|m| m.consumer(subscription.stream_name(), subscription.consumer_name()));
        if let Some(series) = &series {
            series.subscribed(self.engine.now_ms(), true, false);
        }
        Ok(InProcessSubscription {
            subscription,
            series,
            engine: self.engine.clone(),
        })
    }
}
