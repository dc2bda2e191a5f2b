//! Event source mappings from Kinesis, with Lambda's semantics: one poller per shard,
//! parents read to their end before their children, batches of up to `BatchSize` records
//! (and 6 MB) gathered for up to `MaximumBatchingWindowInSeconds`, the event in AWS's exact
//! shape, and on a function error retries until `MaximumRetryAttempts` or
//! `MaximumRecordAgeInSeconds` runs out, with `BisectBatchOnFunctionError` splitting the batch
//! and `ReportBatchItemFailures` resuming from the lowest failed sequence number. A shard is
//! blocked while its batch is retried, as on AWS. Throttled invocations are retried without
//! limit and are not retries.
//!
//! The pollers read through the [`KinesisReader`] the server plugs in (its own Kinesis API,
//! in process), so their reads count in the stream's `GetRecords.*` metrics as Lambda's do.
//! A throttled read is tried again after a pause, an expired iterator is replaced by one
//! after the shard's checkpoint, and a closed shard read to its end lets its children start.
//! Each invocation records `IteratorAge`: the age of the batch's last record when the batch
//! was sent.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::kinesis::{ConsumerSubscription, IteratorStart, KinesisReader, ReadError, ShardSummary};
use crate::timing::Stopwatch;
use crate::{LambdaEngine, LambdaError};

/// Largest event payload sent to a function (6 MB).
pub const MAX_EVENT_BYTES: usize = 6 * 1024 * 1024;
/// How long an idle shard waits between reads: five reads a second, the per-shard
/// GetRecords limit.
pub const IDLE_POLL: Duration = Duration::from_millis(200);

/// Where a new mapping starts reading.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum StartingPosition {
    /// The oldest record kept.
    TrimHorizon,
    /// Records put after the mapping starts.
    Latest,
    /// Records from this time (epoch seconds).
    AtTimestamp(f64),
}

/// A mapping's settings, as CreateEventSourceMapping takes them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MappingConfig {
    /// The stream's ARN.
    pub event_source_arn: String,
    /// The function's name.
    pub function_name: String,
    /// Records per batch, 1..=10,000 (default 100).
    pub batch_size: u32,
    /// Seconds to gather a batch, 0..=300.
    pub maximum_batching_window_secs: u32,
    /// Where reading starts.
    pub starting_position: StartingPosition,
    /// Whether it polls.
    pub enabled: bool,
    /// Retries of a failed batch; -1 for no limit (until the records expire).
    pub maximum_retry_attempts: i64,
    /// Records older than this many seconds are dropped (sent to the on-failure
    /// destination); -1 for no limit.
    pub maximum_record_age_secs: i64,
    /// Split a failed batch in two and retry each half.
    pub bisect_batch_on_function_error: bool,
    /// Concurrent batches per shard, 1..=10 (order kept per partition key).
    pub parallelization_factor: u32,
    /// Whether the function reports partial failures (`ReportBatchItemFailures`).
    pub report_batch_item_failures: bool,
    /// The on-failure destination's ARN.
    pub on_failure: Option<String>,
}

impl MappingConfig {
    /// Checks the ranges Lambda checks.
    pub fn validate(&self) -> Result<(), LambdaError> {
        let bad = |m: String| Err(LambdaError::InvalidParameter(m));
        if !(1..=10_000).contains(&self.batch_size) {
            return bad(format!(
                "1 validation error detected: Value '{}' at 'batchSize' failed to satisfy constraint: Member must have value less than or equal to 10000",
                self.batch_size
            ));
        }
        if self.maximum_batching_window_secs > 300 {
            return bad(format!(
                "1 validation error detected: Value '{}' at 'maximumBatchingWindowInSeconds' failed to satisfy constraint: Member must have value less than or equal to 300",
                self.maximum_batching_window_secs
            ));
        }
        if !(self.maximum_retry_attempts == -1
            || (0..=10_000).contains(&self.maximum_retry_attempts))
        {
            return bad(format!(
                "1 validation error detected: Value '{}' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value between -1 and 10000",
                self.maximum_retry_attempts
            ));
        }
        if !(self.maximum_record_age_secs == -1
            || (60..=604_800).contains(&self.maximum_record_age_secs))
        {
            return bad(format!(
                "1 validation error detected: Value '{}' at 'maximumRecordAgeInSeconds' failed to satisfy constraint: Member must have value between -1 and 604800 (and at least 60)",
                self.maximum_record_age_secs
            ));
        }
        if !(1..=10).contains(&self.parallelization_factor) {
            return bad(format!(
                "1 validation error detected: Value '{}' at 'parallelizationFactor' failed to satisfy constraint: Member must have value between 1 and 10",
                self.parallelization_factor
            ));
        }
        let sqs = crate::esm_sqs::is_queue(&self.event_source_arn);
        if stream_name(&self.event_source_arn).is_none() && !sqs {
            return bad(format!(
                "Unsupported event source: {} (a Kinesis stream or SQS queue ARN is expected)",
                self.event_source_arn
            ));
        }
        // Lambda's SQS parameters: "Batching window is not supported for FIFO queues" (so
        // a FIFO mapping's batches stay at 10, the rule below).
        if sqs
            && crate::esm_sqs::is_fifo(&self.event_source_arn)
            && self.maximum_batching_window_secs > 0
        {
            return bad("Batching window is not supported for FIFO queues".into());
        }
        if sqs && self.batch_size > 10 && self.maximum_batching_window_secs == 0 {
            return bad(
                "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10".into(),
            );
        }
        Ok(())
    }
}

/// The stream name in `arn:aws:kinesis:region:account:stream/name`, or in a stream
/// consumer's `arn:aws:kinesis:region:account:stream/name/consumer/consumer-name:created`.
pub fn stream_name(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let (_, service, _, _, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let name = (service == "kinesis")
        .then(|| resource.strip_prefix("stream/"))
        .flatten()?;
    let name = match name.split_once("/consumer/") {
        Some((stream, consumer)) if !consumer.is_empty() => stream,
        Some(_) => return None,
        None => name,
    };
    (!name.is_empty() && !name.contains('/')).then_some(name)
}

/// `Some(arn)` when a Kinesis source ARN names a stream consumer (enhanced fan-out) rather
/// than the stream itself.
pub fn consumer_arn(arn: &str) -> Option<&str> {
    (stream_name(arn).is_some() && arn.contains("/consumer/")).then_some(arn)
}

/// The stream's ARN for a Kinesis source ARN: itself, or the stream a consumer reads. It is
/// what events and on-failure records name as their source.
fn stream_arn(arn: &str) -> &str {
    arn.split_once("/consumer/")
        .map_or(arn, |(stream, _)| stream)
}

/// A mapping as GetEventSourceMapping describes it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Mapping {
    /// Its id.
    pub uuid: String,
    /// Its settings.
    pub config: MappingConfig,
    /// `Enabled` or `Disabled`.
    pub state: String,
    /// `No records processed`, `OK` or `PROBLEM: ...`.
    pub last_processing_result: String,
    /// When it last changed, epoch seconds.
    pub last_modified: f64,
}

/// A running mapping: its description and its pollers.
pub(crate) struct Running {
    pub(crate) mapping: Mutex<Mapping>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Per shard, the last sequence number delivered, or [`SHARD_END`] once read to its end.
    pub(crate) checkpoints: Mutex<BTreeMap<String, String>>,
}

/// The checkpoint of a shard read to its end.
pub const SHARD_END: &str = "SHARD_END";

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(t) = self.task.lock().take() {
            t.abort();
        }
    }
}

impl LambdaEngine {
    /// Plugs in Kinesis: what Kinesis event source mappings read.
    pub fn set_kinesis(&self, reader: Arc<dyn KinesisReader>) {
        *self.inner.kinesis.write() = Some(reader);
    }

    /// The plugged-in Kinesis.
    fn kinesis(&self) -> Result<Arc<dyn KinesisReader>, LambdaError> {
        self.inner.kinesis.read().clone().ok_or_else(|| {
            LambdaError::Io(
                "no Kinesis is attached to this engine for event source mappings".into(),
            )
        })
    }

    /// Creates a mapping and starts its pollers when enabled.
    pub fn create_mapping(&self, config: MappingConfig) -> Result<Mapping, LambdaError> {
        config.validate()?;
        let (function, qualifier) = crate::versions::split_qualifier(&config.function_name);
        self.get_function_qualified(function, qualifier)?;
        let mapping = Mapping {
            uuid: uuid::Uuid::new_v4().to_string(),
            state: if config.enabled {
                "Enabled"
            } else {
                "Disabled"
            }
            .into(),
            config,
            last_processing_result: "No records processed".into(),
            last_modified: self.inner.time.now_secs(),
        };
        if mapping.config.enabled && !crate::esm_sqs::is_queue(&mapping.config.event_source_arn) {
            self.kinesis()?;
        }
        self.install_mapping(mapping.clone(), BTreeMap::new())?;
        Ok(mapping)
    }

    /// Registers a mapping (new, or restored with its checkpoints), saves it, and starts its
    /// pollers when enabled.
    pub(crate) fn install_mapping(
        &self,
        mapping: Mapping,
        checkpoints: BTreeMap<String, String>,
    ) -> Result<(), LambdaError> {
        let running = Arc::new(Running {
            mapping: Mutex::new(mapping.clone()),
            task: Mutex::new(None),
            checkpoints: Mutex::new(checkpoints),
        });
        self.save_mapping(&running);
        if mapping.config.enabled {
            self.start_pollers(&running);
        }
        self.inner.mappings.lock().insert(mapping.uuid, running);
        Ok(())
    }

    /// Starts a mapping's pollers. A Kinesis mapping restored before Kinesis is plugged in
    /// waits for it.
    fn start_pollers(&self, running: &Arc<Running>) {
        let engine = self.clone();
        let weak = Arc::downgrade(running);
        let source = running.mapping.lock().config.event_source_arn.clone();
        let task = if crate::esm_sqs::is_queue(&source) {
            tokio::spawn(crate::esm_sqs::run(engine, weak))
        } else {
            tokio::spawn(run_mapping(engine, weak))
        };
        *running.task.lock() = Some(task);
    }

    /// Stops every mapping's pollers (they stay configured and saved).
    pub(crate) fn stop_pollers(&self) {
        for running in self.inner.mappings.lock().values() {
            if let Some(t) = running.task.lock().take() {
                t.abort();
            }
        }
    }

    /// A mapping by id.
    pub fn get_mapping(&self, uuid: &str) -> Result<Mapping, LambdaError> {
        self.inner
            .mappings
            .lock()
            .get(uuid)
            .map(|r| r.mapping.lock().clone())
            .ok_or_else(|| {
                LambdaError::NotFound(format!("The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: {uuid})"))
            })
    }

    /// Every mapping, optionally of one function or one source.
    pub fn list_mappings(&self, function: Option<&str>, source: Option<&str>) -> Vec<Mapping> {
        self.inner
            .mappings
            .lock()
            .values()
            .map(|r| r.mapping.lock().clone())
            .filter(|m| {
                function.is_none_or(|f| {
                    crate::versions::split_qualifier(&m.config.function_name).0 == f
                })
            })
            .filter(|m| source.is_none_or(|s| m.config.event_source_arn == s))
            .collect()
    }

    /// Deletes a mapping and stops its pollers.
    pub fn delete_mapping(&self, uuid: &str) -> Result<Mapping, LambdaError> {
        let running = self.inner.mappings.lock().remove(uuid).ok_or_else(|| {
            LambdaError::NotFound(format!("The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: {uuid})"))
        })?;
        let mut m = running.mapping.lock().clone();
        self.forget_mapping(&m.uuid);
        m.state = "Deleting".into();
        Ok(m)
    }

    /// Changes a mapping's settings (a change of `enabled` starts or stops its pollers,
    /// which resume from where they stopped only within one engine run).
    pub fn update_mapping(
        &self,
        uuid: &str,
        change: impl FnOnce(&mut MappingConfig),
    ) -> Result<Mapping, LambdaError> {
        let running = self
            .inner
            .mappings
            .lock()
            .get(uuid)
            .cloned()
            .ok_or_else(|| LambdaError::NotFound(format!("The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: {uuid})")))?;
        let (was, now, snapshot) = {
            let mut m = running.mapping.lock();
            let mut next = m.config.clone();
            change(&mut next);
            next.event_source_arn = m.config.event_source_arn.clone();
            next.validate()?;
            let was = m.config.enabled;
            m.config = next;
            m.state = if m.config.enabled {
                "Enabled"
            } else {
                "Disabled"
            }
            .into();
            m.last_modified = self.inner.time.now_secs();
            (was, m.config.enabled, m.clone())
        };
        self.save_mapping(&running);
        if was && !now {
            if let Some(t) = running.task.lock().take() {
                t.abort();
            }
        } else if !was && now {
            if !crate::esm_sqs::is_queue(&snapshot.config.event_source_arn) {
                self.kinesis()?;
            }
            self.start_pollers(&running);
        }
        Ok(snapshot)
    }
}

/// One record read from a shard.
#[derive(Debug, Clone)]
struct Read {
    sequence_number: String,
    partition_key: String,
    data: Bytes,
    arrival_secs: f64,
}

/// Discovers shards and runs a poller for each once its parents are done.
async fn run_mapping(engine: LambdaEngine, running: std::sync::Weak<Running>) {
    let mut started: BTreeSet<String> = BTreeSet::new();
    let finished: Arc<Mutex<BTreeSet<String>>> = Arc::new(Mutex::new(BTreeSet::new()));
    // Shards a restored mapping had read to their end stay done.
    if let Some(r) = running.upgrade() {
        for (shard, checkpoint) in r.checkpoints.lock().iter() {
            if checkpoint == SHARD_END {
                started.insert(shard.clone());
                finished.lock().insert(shard.clone());
            }
        }
    }
    let mut tasks = tokio::task::JoinSet::new();
    let mut first = true;
    loop {
        let Some(r) = running.upgrade() else { return };
        let config = r.mapping.lock().config.clone();
        drop(r);
        let Some(stream) = stream_name(&config.event_source_arn).map(str::to_string) else {
            return;
        };
        let Ok(kinesis) = engine.kinesis() else {
            // Restored before the server plugged Kinesis in: wait for it.
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        let shards = list_shards(kinesis.as_ref(), &stream);
        let known: BTreeSet<String> = shards.iter().map(|s| s.shard_id.clone()).collect();
        for ShardSummary {
            shard_id: shard,
            parents,
        } in shards
        {
            if started.contains(&shard) {
                continue;
            }
            // Parents still listed must be read to their end first.
            let waiting = parents
                .iter()
                .any(|p| known.contains(p) && !finished.lock().contains(p));
            if waiting {
                continue;
            }
            // A child of a shard this mapping read starts at its beginning; a shard present
            // when the mapping started honours the configured position.
            let position = if !first && parents.iter().any(|p| started.contains(p)) {
                StartingPosition::TrimHorizon
            } else {
                config.starting_position.clone()
            };
            started.insert(shard.clone());
            tasks.spawn(poll_shard(
                engine.clone(),
                kinesis.clone(),
                running.clone(),
                stream.clone(),
                shard,
                position,
                finished.clone(),
            ));
        }
        first = false;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
}

/// Every shard of the stream with its parents (none on an error, which the next round
/// retries).
fn list_shards(kinesis: &dyn KinesisReader, stream: &str) -> Vec<ShardSummary> {
    kinesis.list_shards(stream).unwrap_or_else(|e| {
        tracing::debug!(stream, error = %e, "ListShards failed");
        Vec::new()
    })
}

/// Reads one shard to its end (or forever while it is open), invoking the function with
/// each batch.
async fn poll_shard(
    engine: LambdaEngine,
    kinesis: Arc<dyn KinesisReader>,
    running: std::sync::Weak<Running>,
    stream: String,
    shard: String,
    position: StartingPosition,
    finished: Arc<Mutex<BTreeSet<String>>>,
) {
    let mut checkpoint: Option<String> = running
        .upgrade()
        .and_then(|r| r.checkpoints.lock().get(&shard).cloned());
    let mut iterator: Option<String> = None;
    // A mapping on a consumer ARN reads through a subscription of that consumer instead.
    let mut subscription: Option<Box<dyn ConsumerSubscription>> = None;
    // The last record read (perhaps not yet processed): where a renewed subscription resumes.
    let mut last_read: Option<String> = None;
    let mut pending: Vec<Read> = Vec::new();
    let mut batch_started: Option<Stopwatch> = None;
    loop {
        let Some(r) = running.upgrade() else { return };
        let config = r.mapping.lock().config.clone();
        drop(r);
        let consumer = consumer_arn(&config.event_source_arn).map(str::to_string);
        let start = match (&last_read, &checkpoint, &position) {
            (Some(seq), _, _) if consumer.is_some() => IteratorStart::AfterSequence(seq.clone()),
            (_, Some(seq), _) => IteratorStart::AfterSequence(seq.clone()),
            (_, None, StartingPosition::TrimHorizon) => IteratorStart::TrimHorizon,
            (_, None, StartingPosition::Latest) => IteratorStart::Latest,
            (_, None, StartingPosition::AtTimestamp(t)) => {
                IteratorStart::AtTimestamp((t * 1000.0).round() as i64)
            }
        };
        // With ParallelizationFactor N, up to N batches of a shard are in flight at once.
        let capacity =
            (config.batch_size as usize * config.parallelization_factor as usize).clamp(1, 10_000);
        let want = capacity.saturating_sub(pending.len()).clamp(1, 10_000);
        let read = if let Some(consumer) = &consumer {
            if subscription.is_none() {
                match kinesis.subscribe(consumer, &shard, &start) {
                    Ok(s) => subscription = Some(s),
                    Err(e) => {
                        tracing::debug!(shard, error = %e, "SubscribeToShard failed");
                        tokio::time::sleep(engine.config().poll_interval).await;
                        continue;
                    }
                }
            }
            match subscription.as_mut().map(|s| s.next()) {
                Some(Ok(Some(batch))) => Ok(batch),
                // The subscription's five minutes are over: renew it where reading stopped.
                Some(Ok(None)) | None => {
                    subscription = None;
                    continue;
                }
                Some(Err(e)) => {
                    subscription = None;
                    Err(e)
                }
            }
        } else {
            if iterator.is_none() {
                match kinesis.shard_iterator(&stream, &shard, &start) {
                    Ok(it) => iterator = it,
                    Err(e) => {
                        tracing::debug!(shard, error = %e, "GetShardIterator failed");
                        tokio::time::sleep(engine.config().poll_interval).await;
                        continue;
                    }
                }
                if iterator.is_none() {
                    set_checkpoint(&engine, &running, &shard, SHARD_END);
                    finished.lock().insert(shard.clone());
                    return;
                }
            }
            let Some(it) = iterator.clone() else { continue };
            kinesis.get_records(&it, want)
        };
        let resp = match read {
            Ok(r) => r,
            Err(e) => {
                if let ReadError::ExpiredIterator(_) = e {
                    iterator = None;
                }
                tracing::debug!(shard, error = %e, "GetRecords failed");
                tokio::time::sleep(IDLE_POLL).await;
                continue;
            }
        };
        if let Some(last) = resp.records.last() {
            last_read = Some(last.sequence_number.clone());
        }
        let got = resp.records.len();
        for rec in resp.records {
            pending.push(Read {
                sequence_number: rec.sequence_number,
                partition_key: rec.partition_key,
                data: rec.data,
                arrival_secs: rec.arrival_ms as f64 / 1000.0,
            });
        }
        if !pending.is_empty() && batch_started.is_none() {
            batch_started = Some(engine.inner.time.stopwatch());
        }
        let next = resp.next_iterator;
        let closed = next.is_none();
        iterator = next;
        let window = Duration::from_secs(u64::from(config.maximum_batching_window_secs));
        let full = pending.len() >= capacity;
        let window_over = batch_started
            .as_ref()
            .is_some_and(|t| t.elapsed() >= window);
        if !pending.is_empty() && (full || window_over || closed) {
            let batch = std::mem::take(&mut pending);
            batch_started = None;
            let Some(last) = batch.last().map(|r| r.sequence_number.clone()) else {
                continue;
            };
            let lanes = lanes(batch, config.parallelization_factor);
            let runs = lanes.into_iter().map(|lane| {
                let (engine, running, config, shard) = (&engine, &running, &config, &shard);
                async move {
                    for chunk in lane.chunks(config.batch_size.max(1) as usize) {
                        process(engine, running, config, shard, chunk.to_vec()).await?;
                    }
                    Some(())
                }
            });
            let done = futures::future::join_all(runs).await;
            if done.iter().all(Option::is_some) {
                set_checkpoint(&engine, &running, &shard, &last);
                checkpoint = Some(last);
            } else {
                // The mapping is gone.
                return;
            }
        }
        if closed && pending.is_empty() {
            set_checkpoint(&engine, &running, &shard, SHARD_END);
            finished.lock().insert(shard.clone());
            return;
        }
        if got == 0 || (!full && window.is_zero()) {
            tokio::time::sleep(if got == 0 {
                engine.config().poll_interval
            } else {
                Duration::ZERO
            })
            .await;
        }
    }
}

/// Splits records into `factor` lanes by partition key (a key always in the same lane, in
/// order), dropping empty lanes.
fn lanes(records: Vec<Read>, factor: u32) -> Vec<Vec<Read>> {
    use std::hash::{Hash, Hasher};
    let n = factor.max(1) as usize;
    let mut lanes: Vec<Vec<Read>> = (0..n).map(|_| Vec::new()).collect();
    for r in records {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        r.partition_key.hash(&mut h);
        lanes[(h.finish() % n as u64) as usize].push(r);
    }
    lanes.retain(|l| !l.is_empty());
    lanes
}

/// The Kinesis event for a batch, as Lambda sends it.
fn event(records: &[Read], shard: &str, config: &MappingConfig, region: &str, role: &str) -> Value {
    let records: Vec<Value> = records
        .iter()
        .map(|r| {
            json!({
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": r.partition_key,
                    "sequenceNumber": r.sequence_number,
                    "data": base64::engine::general_purpose::STANDARD.encode(&r.data),
                    "approximateArrivalTimestamp": r.arrival_secs,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("{shard}:{}", r.sequence_number),
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": role,
                "awsRegion": region,
                "eventSourceARN": stream_arn(&config.event_source_arn),
            })
        })
        .collect();
    json!({ "Records": records })
}

/// Splits records into events of at most [`MAX_EVENT_BYTES`].
fn fit(records: Vec<Read>) -> Vec<Vec<Read>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    let mut size = 20usize;
    for r in records {
        // Base64 data plus the record's fixed JSON, generously.
        let cost = r.data.len().div_ceil(3) * 4 + r.partition_key.len() + 600;
        if !current.is_empty() && size + cost > MAX_EVENT_BYTES {
            out.push(std::mem::take(&mut current));
            size = 20;
        }
        size += cost;
        current.push(r);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Delivers a batch with retries, bisection and partial failures; returns the sequence
/// number to continue after, or `None` when the mapping was deleted meanwhile.
async fn process(
    engine: &LambdaEngine,
    running: &std::sync::Weak<Running>,
    config: &MappingConfig,
    shard: &str,
    batch: Vec<Read>,
) -> Option<String> {
    let last = batch.last()?.sequence_number.clone();
    // Work list: batches still to deliver, in order, with their retry counts.
    let mut work: std::collections::VecDeque<(Vec<Read>, i64)> =
        fit(batch).into_iter().map(|b| (b, 0)).collect();
    // What the function last answered, for the on-failure record's responseContext.
    let mut last_response: Option<Value> = None;
    while let Some((records, attempts)) = work.pop_front() {
        running.upgrade()?;
        // Records past the maximum age are dropped.
        let records: Vec<Read> = if config.maximum_record_age_secs >= 0 {
            let oldest = engine.inner.time.now_secs() - config.maximum_record_age_secs as f64;
            let (old, young): (Vec<Read>, Vec<Read>) =
                records.into_iter().partition(|r| r.arrival_secs < oldest);
            if !old.is_empty() {
                discard(
                    engine,
                    running,
                    config,
                    shard,
                    &old,
                    attempts,
                    "RecordAgeExceeded",
                    last_response.as_ref().filter(|_| attempts > 0),
                );
            }
            young
        } else {
            records
        };
        let Some(last_record) = records.last() else {
            continue;
        };
        // The mapping may name a version or alias (`name:qualifier`); metrics count under
        // the function.
        let (function, qualifier) = crate::versions::split_qualifier(&config.function_name);
        let role = engine
            .get_function_qualified(function, qualifier)
            .map(|c| c.role)
            .unwrap_or_default();
        let payload = event(&records, shard, config, &engine.config().region, &role).to_string();
        engine.inner.metrics.iterator_age(
            function,
            ((engine.inner.time.now_secs() - last_record.arrival_secs) * 1000.0).max(0.0),
        );
        let outcome = engine
            .invoke(&config.function_name, Bytes::from(payload))
            .await;
        if let Ok(invoked) = &outcome {
            last_response = Some(crate::destinations::response_context(
                invoked.function_error.as_deref(),
            ));
        }
        let failed_from: Option<usize> = match outcome {
            Err(LambdaError::Throttled { .. }) => {
                // Throttles are retried without counting as retries.
                tokio::time::sleep(Duration::from_millis(100)).await;
                work.push_front((records, attempts));
                continue;
            }
            Err(LambdaError::NotFound(_)) => {
                set_result(running, "PROBLEM: Function not found.");
                tokio::time::sleep(Duration::from_secs(1)).await;
                work.push_front((records, attempts));
                continue;
            }
            Err(_) => Some(0),
            Ok(invoked) if invoked.function_error.is_some() => Some(0),
            Ok(invoked) if config.report_batch_item_failures => {
                lowest_failure(&invoked.payload, &records)
            }
            Ok(_) => None,
        };
        let Some(from) = failed_from else {
            set_result(running, "OK");
            continue;
        };
        set_result(running, "PROBLEM: Function call failed");
        let retry = records[from..].to_vec();
        if config.bisect_batch_on_function_error && retry.len() > 1 && from == 0 {
            // A split is not a retry: both halves keep the count.
            let half = retry.len() / 2;
            let (a, b) = retry.split_at(half);
            work.push_front((b.to_vec(), attempts));
            work.push_front((a.to_vec(), attempts));
        } else if config.maximum_retry_attempts >= 0 && attempts >= config.maximum_retry_attempts {
            discard(
                engine,
                running,
                config,
                shard,
                &retry,
                attempts + 1,
                "RetryAttemptsExhausted",
                last_response.as_ref(),
            );
            continue;
        } else {
            work.push_front((retry, attempts + 1));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Some(last)
}

/// Where a partial failure report says to resume: the lowest failed sequence number's index;
/// an unreadable report fails the whole batch, an empty list is success (as on AWS).
fn lowest_failure(payload: &Bytes, records: &[Read]) -> Option<usize> {
    let v: Value = serde_json::from_slice(payload).ok()?;
    let failures = match v.get("batchItemFailures") {
        None | Some(Value::Null) => return None,
        Some(Value::Array(a)) => a,
        Some(_) => return Some(0),
    };
    let mut lowest: Option<usize> = None;
    for f in failures {
        let Some(id) = f
            .get("itemIdentifier")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        else {
            return Some(0);
        };
        match records.iter().position(|r| r.sequence_number == id) {
            Some(i) => lowest = Some(lowest.map_or(i, |l| l.min(i))),
            None => return Some(0),
        }
    }
    lowest
}

/// Records a shard's new position and saves the mapping.
fn set_checkpoint(
    engine: &LambdaEngine,
    running: &std::sync::Weak<Running>,
    shard: &str,
    at: &str,
) {
    if let Some(r) = running.upgrade() {
        r.checkpoints
            .lock()
            .insert(shard.to_string(), at.to_string());
        engine.save_mapping(&r);
    }
}

fn set_result(running: &std::sync::Weak<Running>, result: &str) {
    if let Some(r) = running.upgrade() {
        r.mapping.lock().last_processing_result = result.to_string();
    }
}

/// Records given up on: logged, and sent as an invocation record (the batch's metadata, not
/// its records) to the mapping's on-failure destination; a failed delivery counts in
/// DestinationDeliveryFailures.
#[allow(clippy::too_many_arguments)]
fn discard(
    engine: &LambdaEngine,
    running: &std::sync::Weak<Running>,
    config: &MappingConfig,
    shard: &str,
    records: &[Read],
    attempts: i64,
    condition: &str,
    response: Option<&Value>,
) {
    let (Some(first), Some(last)) = (records.first(), records.last()) else {
        return;
    };
    let mut info = json!({
        "requestContext": {
            "requestId": uuid::Uuid::new_v4().to_string(),
            "functionArn": engine.function_arn(&config.function_name),
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "version": "1.0",
        "timestamp": engine.record_timestamp(),
        "KinesisBatchInfo": {
            "shardId": shard,
            "startSequenceNumber": first.sequence_number,
            "endSequenceNumber": last.sequence_number,
            "approximateArrivalOfFirstRecord": crate::destinations::record_time(first.arrival_secs),
            "approximateArrivalOfLastRecord": crate::destinations::record_time(last.arrival_secs),
            "batchSize": records.len(),
            "streamArn": stream_arn(&config.event_source_arn),
        },
    });
    if let Some(response) = response {
        info["responseContext"] = response.clone();
    }
    tracing::warn!(mapping = ?running.upgrade().map(|r| r.mapping.lock().uuid.clone()), %info, "records discarded");
    if let Some(destination) = &config.on_failure
        && let Err(e) = engine.deliver(destination, info.to_string(), &[])
    {
        tracing::warn!(destination, error = %e, "on-failure destination not reached");
        engine.inner.metrics.destination_delivery_failure(
            crate::versions::split_qualifier(&config.function_name).0,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_arns() {
        assert_eq!(
            stream_name("arn:aws:kinesis:us-east-1:000000000000:stream/orders"),
            Some("orders")
        );
        assert_eq!(stream_name("arn:aws:sqs:us-east-1:000000000000:q"), None);
        assert_eq!(stream_name("orders"), None);
        let consumer =
            "arn:aws:kinesis:us-east-1:000000000000:stream/orders/consumer/app:1700000000";
        assert_eq!(stream_name(consumer), Some("orders"));
        assert_eq!(consumer_arn(consumer), Some(consumer));
        assert_eq!(
            stream_arn(consumer),
            "arn:aws:kinesis:us-east-1:000000000000:stream/orders"
        );
        assert_eq!(
            consumer_arn("arn:aws:kinesis:us-east-1:000000000000:stream/orders"),
            None
        );
        assert_eq!(
            stream_name("arn:aws:kinesis:us-east-1:000000000000:stream/orders/consumer/"),
            None
        );
    }

    fn read(seq: &str) -> Read {
        Read {
            sequence_number: seq.into(),
            partition_key: "k".into(),
            data: Bytes::from_static(b"x"),
            arrival_secs: 0.0,
        }
    }

    #[test]
    fn partial_failure_reports() {
        let records = [read("1"), read("2"), read("3")];
        let at = |body: &str| lowest_failure(&Bytes::from(body.to_string()), &records);
        assert_eq!(at(r#"{"batchItemFailures":[]}"#), None);
        assert_eq!(at(r#"{}"#), None);
        assert_eq!(
            at(r#"{"batchItemFailures":[{"itemIdentifier":"3"},{"itemIdentifier":"2"}]}"#),
            Some(1)
        );
        assert_eq!(
            at(r#"{"batchItemFailures":[{"itemIdentifier":"9"}]}"#),
            Some(0)
        );
        assert_eq!(
            at(r#"{"batchItemFailures":[{"itemIdentifier":""}]}"#),
            Some(0)
        );
        assert_eq!(at(r#"{"batchItemFailures":"x"}"#), Some(0));
    }

    #[test]
    fn events_stay_under_six_megabytes() {
        let big: Vec<Read> = (0..10)
            .map(|i| Read {
                sequence_number: i.to_string(),
                partition_key: "k".into(),
                data: Bytes::from(vec![0u8; 1024 * 1024]),
                arrival_secs: 0.0,
            })
            .collect();
        let events = fit(big);
        assert!(events.len() >= 2);
        assert_eq!(events.iter().map(Vec::len).sum::<usize>(), 10);
        for e in &events {
            let size: usize = e.iter().map(|r| r.data.len().div_ceil(3) * 4 + 600).sum();
            assert!(size <= MAX_EVENT_BYTES);
        }
    }
}
