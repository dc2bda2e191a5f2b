//! The `AWS/Kinesis` metrics, recorded as CloudWatch defines them.
//!
//! Actions fill an [`Observed`] with what happened (stream, per-shard records and bytes,
//! throttling, iterator age); after the action [`KinesisMetrics::record`] turns it into
//! datapoints through series handles that are resolved once per stream, so recording costs a
//! map lookup and a few counter updates per call, not per record. Shard-level metrics are
//! recorded only for the metrics enhanced monitoring has enabled on the stream.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use kinesis_engine::Engine;
use metric_store::catalog::{KINESIS_SHARD_LEVEL as SHARD_LEVEL, MetricDef, kinesis as k};
use metric_store::{SeriesHandle, Store};
use parking_lot::RwLock;

use crate::Action;

/// One shard's part in a put.
#[derive(Debug, Default, Clone)]
pub(crate) struct ShardPut {
    pub(crate) shard_id: String,
    pub(crate) records: u64,
    pub(crate) bytes: u64,
    pub(crate) throttled: u64,
    /// Records failed with `InternalFailure` (fault injection).
    pub(crate) failed: u64,
}

/// What an action did, for metrics. Actions that publish nothing leave it empty.
#[derive(Debug, Default)]
pub(crate) struct Observed {
    /// The stream the call was about, once resolved.
    pub(crate) stream: Option<String>,
    /// The shard read, or whose iterator was given (GetRecords).
    pub(crate) shard_id: Option<String>,
    /// Per-shard outcome of a put.
    pub(crate) put: Vec<ShardPut>,
    /// Records and bytes returned by a read, and the age of its last record.
    pub(crate) read: Option<(u64, u64, u64)>,
}

impl Observed {
    /// Adds a put outcome for `shard_id`.
    pub(crate) fn put_to(&mut self, shard_id: &str, bytes: u64, throttled: bool) {
        let entry = self.shard_put(shard_id);
        if throttled {
            entry.throttled += 1;
        } else {
            entry.records += 1;
            entry.bytes += bytes;
        }
    }

    /// Adds a record of `shard_id` failed with `InternalFailure`.
    pub(crate) fn put_failed(&mut self, shard_id: &str) {
        self.shard_put(shard_id).failed += 1;
    }

    fn shard_put(&mut self, shard_id: &str) -> &mut ShardPut {
        match self.put.iter_mut().position(|s| s.shard_id == shard_id) {
            Some(i) => &mut self.put[i],
            None => {
                self.put.push(ShardPut {
                    shard_id: shard_id.to_owned(),
                    ..ShardPut::default()
                });
                let last = self.put.len() - 1;
                &mut self.put[last]
            }
        }
    }
}

/// Stream-level series of one stream.
struct StreamSeries {
    name: String,
    handles: HashMap<&'static str, SeriesHandle>,
    /// Shard-level series, created on first use.
    shards: RwLock<HashMap<String, Arc<HashMap<&'static str, SeriesHandle>>>>,
    /// Bit i set: enhanced monitoring enabled for `SHARD_LEVEL[i]`.
    enhanced: AtomicU8,
}

const STREAM_LEVEL: [&MetricDef; 19] = [
    &k::GET_RECORDS_BYTES,
    &k::GET_RECORDS_ITERATOR_AGE,
    &k::GET_RECORDS_LATENCY,
    &k::GET_RECORDS_RECORDS,
    &k::GET_RECORDS_SUCCESS,
    &k::INCOMING_BYTES,
    &k::INCOMING_RECORDS,
    &k::PUT_RECORD_BYTES,
    &k::PUT_RECORD_LATENCY,
    &k::PUT_RECORD_SUCCESS,
    &k::PUT_RECORDS_BYTES,
    &k::PUT_RECORDS_LATENCY,
    &k::PUT_RECORDS_SUCCESS,
    &k::PUT_RECORDS_TOTAL_RECORDS,
    &k::PUT_RECORDS_SUCCESSFUL_RECORDS,
    &k::PUT_RECORDS_FAILED_RECORDS,
    &k::PUT_RECORDS_THROTTLED_RECORDS,
    &k::READ_THROTTLED,
    &k::WRITE_THROTTLED,
];

impl StreamSeries {
    fn get(&self, def: &MetricDef) -> Option<&SeriesHandle> {
        self.handles.get(def.name)
    }

    fn record(&self, def: &MetricDef, ts: u64, value: f64) {
        if let Some(h) = self.get(def) {
            h.record(ts, value);
        }
    }

    fn record_n(&self, def: &MetricDef, ts: u64, value: f64, count: f64) {
        if count > 0.0
            && let Some(h) = self.get(def)
        {
            h.record_n(ts, value, count);
        }
    }
}

/// The consumer-level series (StreamName, ConsumerName) of one enhanced fan-out consumer.
pub(crate) struct ConsumerSeries {
    handles: HashMap<&'static str, SeriesHandle>,
}

const CONSUMER_LEVEL: [&MetricDef; 6] = [
    &k::SUBSCRIBE_RATE_EXCEEDED,
    &k::SUBSCRIBE_SUCCESS,
    &k::SUBSCRIBE_EVENT_BYTES,
    &k::SUBSCRIBE_EVENT_MILLIS_BEHIND,
    &k::SUBSCRIBE_EVENT_RECORDS,
    &k::SUBSCRIBE_EVENT_SUCCESS,
];

impl ConsumerSeries {
    fn record(&self, def: &MetricDef, ts: u64, value: f64) {
        if let Some(h) = self.handles.get(def.name) {
            h.record(ts, value);
        }
    }

    /// A SubscribeToShard call: `Success` 1 or 0, and `RateExceeded` 1 when it was refused
    /// for a live subscription of the same consumer and shard.
    pub(crate) fn subscribed(&self, ts: u64, ok: bool, in_use: bool) {
        self.record(&k::SUBSCRIBE_SUCCESS, ts, if ok { 1.0 } else { 0.0 });
        if in_use {
            self.record(&k::SUBSCRIBE_RATE_EXCEEDED, ts, 1.0);
        }
    }

    /// One SubscribeToShardEvent delivered.
    pub(crate) fn event(&self, ts: u64, e: &kinesis_engine::subscription::SubscriptionEvent) {
        self.record(&k::SUBSCRIBE_EVENT_BYTES, ts, e.bytes as f64);
        self.record(&k::SUBSCRIBE_EVENT_RECORDS, ts, e.records.len() as f64);
        self.record(
            &k::SUBSCRIBE_EVENT_MILLIS_BEHIND,
            ts,
            e.millis_behind_latest as f64,
        );
        self.record(&k::SUBSCRIBE_EVENT_SUCCESS, ts, 1.0);
    }

    /// A subscription that ended with an exception instead of an event.
    pub(crate) fn event_failed(&self, ts: u64) {
        self.record(&k::SUBSCRIBE_EVENT_SUCCESS, ts, 0.0);
    }
}

/// Records the `AWS/Kinesis` namespace into a [`Store`].
pub struct KinesisMetrics {
    store: Arc<Store>,
    streams: RwLock<HashMap<String, Arc<StreamSeries>>>,
    consumers: RwLock<HashMap<(String, String), Arc<ConsumerSeries>>>,
}

impl KinesisMetrics {
    /// Metrics recorded into `store`.
    pub fn new(store: Arc<Store>) -> KinesisMetrics {
        KinesisMetrics {
            store,
            streams: RwLock::new(HashMap::new()),
            consumers: RwLock::new(HashMap::new()),
        }
    }

    /// The store metrics go to.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The series of consumer `consumer` of `stream`; callers have found the consumer.
    pub(crate) fn consumer(&self, stream: &str, consumer: &str) -> Option<Arc<ConsumerSeries>> {
        let key = (stream.to_owned(), consumer.to_owned());
        if let Some(c) = self.consumers.read().get(&key) {
            return Some(c.clone());
        }
        let dimensions = [("StreamName", stream), ("ConsumerName", consumer)];
        let mut handles = HashMap::new();
        for def in CONSUMER_LEVEL {
            handles.insert(def.name, def.series(&self.store, &dimensions).ok()?);
        }
        let series = Arc::new(ConsumerSeries { handles });
        self.consumers.write().insert(key, series.clone());
        Some(series)
    }

    /// Lets go of the consumer-level handles of `stream`'s consumers, so the map holds only
    /// consumers that may still subscribe; a consumer that does gets fresh handles.
    fn forget_consumers(&self, stream: &str) {
        self.consumers.write().retain(|(s, _), _| s != stream);
    }

    /// How many consumers have consumer-level handles now.
    #[cfg(test)]
    pub(crate) fn consumers_held(&self) -> usize {
        self.consumers.read().len()
    }

    fn stream(&self, engine: &Engine, name: &str) -> Option<Arc<StreamSeries>> {
        if let Some(s) = self.streams.read().get(name) {
            return Some(s.clone());
        }
        // No series for a stream that does not exist: a storm of puts naming random streams
        // would otherwise pin 19 series each, and this map's entry, for good.
        let enabled = engine.enhanced_metrics(name).ok()?;
        let mut handles = HashMap::new();
        for def in STREAM_LEVEL {
            handles.insert(
                def.name,
                def.series(&self.store, &[("StreamName", name)]).ok()?,
            );
        }
        let series = Arc::new(StreamSeries {
            name: name.to_owned(),
            handles,
            shards: RwLock::new(HashMap::new()),
            enhanced: AtomicU8::new(mask_of(&enabled)),
        });
        self.streams.write().insert(name.to_owned(), series.clone());
        Some(series)
    }

    fn shard(
        &self,
        stream: &StreamSeries,
        shard_id: &str,
    ) -> Option<Arc<HashMap<&'static str, SeriesHandle>>> {
        if let Some(s) = stream.shards.read().get(shard_id) {
            return Some(s.clone());
        }
        let mut handles = HashMap::new();
        for def in SHARD_LEVEL {
            let dimensions = [("StreamName", stream.name.as_str()), ("ShardId", shard_id)];
            handles.insert(def.name, def.series(&self.store, &dimensions).ok()?);
        }
        let handles = Arc::new(handles);
        stream
            .shards
            .write()
            .insert(shard_id.to_owned(), handles.clone());
        Some(handles)
    }

    /// Records one shard-level datapoint if enhanced monitoring enables `def` on the stream.
    fn shard_record(
        &self,
        stream: &StreamSeries,
        shard_id: &str,
        def: &MetricDef,
        ts: u64,
        value: f64,
        count: f64,
    ) {
        let Some(bit) = SHARD_LEVEL.iter().position(|d| std::ptr::eq(*d, def)) else {
            return;
        };
        if count <= 0.0 || stream.enhanced.load(Ordering::Relaxed) & (1 << bit) == 0 {
            return;
        }
        if let Some(h) = self
            .shard(stream, shard_id)
            .and_then(|m| m.get(def.name).cloned())
        {
            h.record_n(ts, value, count);
        }
    }

    /// Records what `action` did. `ok` is whether it succeeded and `error_code` its AWS error
    /// code if not; `latency_ms` how long it took.
    pub(crate) fn record(
        &self,
        engine: &Engine,
        action: Action,
        obs: &Observed,
        error_code: Option<&str>,
        latency_ms: f64,
    ) {
        let Some(name) = obs.stream.as_deref() else {
            return;
        };
        match action {
            Action::CreateStream | Action::DeleteStream => {
                self.streams.write().remove(name);
                self.forget_consumers(name);
                return;
            }
            Action::DeregisterStreamConsumer => {
                self.forget_consumers(name);
                return;
            }
            Action::EnableEnhancedMonitoring | Action::DisableEnhancedMonitoring => {
                if let Some(s) = self.streams.read().get(name) {
                    s.enhanced
                        .store(enhanced_mask(engine, name), Ordering::Relaxed);
                }
                return;
            }
            Action::PutRecord | Action::PutRecords | Action::GetRecords => {}
            _ => return,
        }
        let Some(s) = self.stream(engine, name) else {
            return;
        };
        let ts = engine.now_ms();
        let ok = error_code.is_none();
        let throttled_error = error_code == Some("ProvisionedThroughputExceededException");
        match action {
            Action::PutRecord | Action::PutRecords => {
                let single = action == Action::PutRecord;
                let (latency, success, bytes_def) = if single {
                    (
                        &k::PUT_RECORD_LATENCY,
                        &k::PUT_RECORD_SUCCESS,
                        &k::PUT_RECORD_BYTES,
                    )
                } else {
                    (
                        &k::PUT_RECORDS_LATENCY,
                        &k::PUT_RECORDS_SUCCESS,
                        &k::PUT_RECORDS_BYTES,
                    )
                };
                let stored: u64 = obs.put.iter().map(|p| p.records).sum();
                let bytes: u64 = obs.put.iter().map(|p| p.bytes).sum();
                let throttled: u64 = obs.put.iter().map(|p| p.throttled).sum();
                let failed: u64 = obs.put.iter().map(|p| p.failed).sum();
                s.record(latency, ts, latency_ms);
                s.record(success, ts, if ok && stored > 0 { 1.0 } else { 0.0 });
                if stored > 0 {
                    s.record(bytes_def, ts, bytes as f64);
                    s.record(&k::INCOMING_BYTES, ts, bytes as f64);
                    s.record(&k::INCOMING_RECORDS, ts, stored as f64);
                }
                if !single && ok {
                    s.record(
                        &k::PUT_RECORDS_TOTAL_RECORDS,
                        ts,
                        (stored + throttled + failed) as f64,
                    );
                    s.record(&k::PUT_RECORDS_SUCCESSFUL_RECORDS, ts, stored as f64);
                    s.record(&k::PUT_RECORDS_FAILED_RECORDS, ts, failed as f64);
                    s.record(&k::PUT_RECORDS_THROTTLED_RECORDS, ts, throttled as f64);
                }
                // One sample per record: 1 throttled, 0 stored.
                s.record_n(&k::WRITE_THROTTLED, ts, 1.0, throttled as f64);
                s.record_n(&k::WRITE_THROTTLED, ts, 0.0, stored as f64);
                for p in &obs.put {
                    self.shard_record(
                        &s,
                        &p.shard_id,
                        &k::INCOMING_BYTES,
                        ts,
                        p.bytes as f64,
                        (p.records > 0) as u8 as f64,
                    );
                    self.shard_record(
                        &s,
                        &p.shard_id,
                        &k::INCOMING_RECORDS,
                        ts,
                        p.records as f64,
                        (p.records > 0) as u8 as f64,
                    );
                    self.shard_record(
                        &s,
                        &p.shard_id,
                        &k::WRITE_THROTTLED,
                        ts,
                        1.0,
                        p.throttled as f64,
                    );
                    self.shard_record(
                        &s,
                        &p.shard_id,
                        &k::WRITE_THROTTLED,
                        ts,
                        0.0,
                        p.records as f64,
                    );
                }
            }
            Action::GetRecords => {
                s.record(&k::GET_RECORDS_LATENCY, ts, latency_ms);
                s.record(&k::GET_RECORDS_SUCCESS, ts, if ok { 1.0 } else { 0.0 });
                if ok || throttled_error {
                    s.record(
                        &k::READ_THROTTLED,
                        ts,
                        if throttled_error { 1.0 } else { 0.0 },
                    );
                }
                if let Some(shard) = obs.shard_id.as_deref()
                    && (ok || throttled_error)
                {
                    self.shard_record(
                        &s,
                        shard,
                        &k::READ_THROTTLED,
                        ts,
                        if throttled_error { 1.0 } else { 0.0 },
                        1.0,
                    );
                }
                if let (Some((records, bytes, age)), Some(shard)) =
                    (obs.read, obs.shard_id.as_deref())
                {
                    s.record(&k::GET_RECORDS_RECORDS, ts, records as f64);
                    s.record(&k::GET_RECORDS_BYTES, ts, bytes as f64);
                    s.record(&k::GET_RECORDS_ITERATOR_AGE, ts, age as f64);
                    self.shard_record(&s, shard, &k::OUTGOING_RECORDS, ts, records as f64, 1.0);
                    self.shard_record(&s, shard, &k::OUTGOING_BYTES, ts, bytes as f64, 1.0);
                    self.shard_record(&s, shard, &k::ITERATOR_AGE, ts, age as f64, 1.0);
                }
            }
            _ => {}
        }
    }
}

fn enhanced_mask(engine: &Engine, name: &str) -> u8 {
    mask_of(&engine.enhanced_metrics(name).unwrap_or_default())
}

/// The enhanced-monitoring bits of the shard-level metrics named in `enabled`.
fn mask_of(enabled: &[String]) -> u8 {
    SHARD_LEVEL
        .iter()
        .enumerate()
        .filter(|(_, m)| enabled.iter().any(|e| e == m.name))
        .fold(0, |mask, (i, _)| mask | (1 << i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KinesisApi, Request};

    fn call(api: &KinesisApi, action: &str, body: &str) -> u16 {
        api.handle(&Request {
            target: Some(&format!("Kinesis_20131202.{action}")),
            content_type: Some("application/x-amz-json-1.1"),
            authenticated: true,
            incomplete_signature: None,
            body: body.as_bytes(),
        })
        .status
    }

    fn put(api: &KinesisApi, stream: &str) -> u16 {
        let body = format!(r#"{{"StreamName":"{stream}","PartitionKey":"k","Data":"AAAA"}}"#);
        call(api, "PutRecord", &body)
    }

    #[test]
    fn consumer_handles_are_let_go_when_the_consumer_or_its_stream_goes() {
        let engine = Engine::open(kinesis_engine::EngineConfig {
            transition_delay: std::time::Duration::ZERO,
            ..kinesis_engine::EngineConfig::default()
        })
        .unwrap();
        let metrics = Arc::new(KinesisMetrics::new(Arc::new(Store::new())));
        let api = KinesisApi::with_metrics(engine.clone(), metrics.clone());
        engine.create_stream("orders", None, Some(1), &[]).unwrap();
        engine.maintain().unwrap();
        let by_arn = engine.register_consumer("orders", "by-arn").unwrap();
        let by_name = engine.register_consumer("orders", "by-name").unwrap();
        engine.register_consumer("orders", "kept").unwrap();
        engine.maintain().unwrap();
        for c in ["by-arn", "by-name", "kept"] {
            assert!(metrics.consumer("orders", c).is_some());
        }
        assert_eq!(metrics.consumers_held(), 3);

        let body = format!(r#"{{"ConsumerARN":"{}"}}"#, by_arn.arn);
        assert_eq!(call(&api, "DeregisterStreamConsumer", &body), 200);
        let body = format!(
            r#"{{"StreamARN":"{}","ConsumerName":"by-name"}}"#,
            by_name.stream_arn
        );
        assert_eq!(call(&api, "DeregisterStreamConsumer", &body), 200);
        // The stream's remaining consumer gets fresh handles on its next subscription.
        assert_eq!(metrics.consumers_held(), 0);
        assert!(metrics.consumer("orders", "kept").is_some());
        assert_eq!(metrics.consumers_held(), 1);

        assert_eq!(
            call(
                &api,
                "DeleteStream",
                r#"{"StreamName":"orders","EnforceConsumerDeletion":true}"#
            ),
            200
        );
        assert_eq!(metrics.consumers_held(), 0);
    }

    #[test]
    fn calls_naming_a_missing_stream_make_no_series() {
        let engine = Engine::open(kinesis_engine::EngineConfig {
            transition_delay: std::time::Duration::ZERO,
            ..kinesis_engine::EngineConfig::default()
        })
        .unwrap();
        let store = Arc::new(Store::new());
        let api =
            KinesisApi::with_metrics(engine.clone(), Arc::new(KinesisMetrics::new(store.clone())));
        for i in 0..50 {
            assert_eq!(put(&api, &format!("missing-{i}")), 400);
        }
        assert_eq!(store.len(), 0);
        engine.create_stream("orders", None, Some(1), &[]).unwrap();
        engine.maintain().unwrap();
        assert_eq!(put(&api, "orders"), 200);
        assert!(store.len() >= STREAM_LEVEL.len());
    }
}
