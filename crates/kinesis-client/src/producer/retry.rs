//! Sending a batch and settling its answer: each record delivered, retried after a backoff
//! with full jitter at the front of its key's queue, or given up.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;

use crate::error::error_type;
use crate::metrics::{labels, names};

use super::*;

impl Sender {
    pub(super) fn settle(
        &mut self,
        batch: Vec<Outgoing>,
        took: Duration,
        result: PutRecordsResult,
    ) {
        self.stats.put_calls += 1;
        let user_records: usize = batch.iter().map(|o| o.entries.len()).sum();
        let enabled = self.metrics.enabled();
        if enabled {
            let l = self.labels();
            self.metrics
                .timer(names::PRODUCER_FLUSH_DURATION_SECONDS, took, &l);
            self.metrics
                .histogram(names::PRODUCER_BATCH_SIZE, user_records as f64, &l);
        }
        match result {
            Ok(output) => {
                let results = output.records();
                let mut sent = 0u64;
                let mut sent_bytes = 0u64;
                let mut errors: HashMap<String, u64> = HashMap::new();
                let mut throttled = 0u64;
                for (i, out) in batch.into_iter().enumerate() {
                    let r = results.get(i);
                    match r.and_then(|r| r.error_code()) {
                        None if r.is_some() => {
                            if let Some(actual) = r.and_then(|r| r.shard_id())
                                && actual != out.shard_id
                            {
                                // The stream was resharded under us: routing must follow the
                                // new hash ranges, and an aggregate's records are delivered
                                // only if they belong to the shard it reached.
                                self.refresh_due = true;
                                if self.config.aggregation && out.entries.len() > 1 {
                                    self.misrouted.push((out, actual.to_string()));
                                    continue;
                                }
                            }
                            sent += out.entries.len() as u64;
                            sent_bytes += out.user_bytes();
                            self.delivered(out);
                        }
                        code => {
                            let code = code.unwrap_or("MissingResult").to_string();
                            let n = out.entries.len() as u64;
                            if code == "ProvisionedThroughputExceededException" {
                                throttled += n;
                                self.stats.throttled += 1;
                                self.shards.throttled(&out.shard_id, Instant::now());
                            }
                            *errors.entry(code.clone()).or_default() += n;
                            self.retry(out, &code);
                        }
                    }
                }
                self.stats.records_sent += sent;
                self.stats.bytes_sent += sent_bytes;
                if enabled {
                    let l = self.labels();
                    if sent > 0 {
                        self.metrics
                            .increment(names::PRODUCER_RECORDS_SENT_TOTAL, sent, &l);
                        self.metrics
                            .increment(names::PRODUCER_BYTES_SENT_TOTAL, sent_bytes, &l);
                    }
                    if throttled > 0 {
                        self.metrics
                            .increment(names::PRODUCER_THROTTLES_TOTAL, throttled, &l);
                    }
                    for (code, n) in &errors {
                        self.metrics.increment(
                            names::PRODUCER_ERRORS_TOTAL,
                            *n,
                            &[
                                (labels::STREAM_NAME, &self.stream_name),
                                (labels::ERROR_TYPE, code),
                            ],
                        );
                    }
                }
            }
            Err(err) => {
                let code = error_type(&err);
                let retryable = is_retryable(&code);
                let throttled = code.contains("Throughput")
                    || code.contains("Throttl")
                    || code == "LimitExceededException";
                if throttled && enabled {
                    self.metrics.increment(
                        names::PRODUCER_THROTTLES_TOTAL,
                        user_records as u64,
                        &self.labels(),
                    );
                }
                if enabled {
                    self.metrics.increment(
                        names::PRODUCER_ERRORS_TOTAL,
                        user_records as u64,
                        &[
                            (labels::STREAM_NAME, &self.stream_name),
                            (labels::ERROR_TYPE, &code),
                        ],
                    );
                }
                if code == "ResourceNotFoundException" {
                    self.refresh_due = true;
                }
                for out in batch {
                    if retryable {
                        self.retry(out, &code);
                    } else {
                        self.give_up(out, &code);
                    }
                }
            }
        }
        self.update_queue_gauge();
    }

    pub(super) fn finished(&mut self, out: &Outgoing) {
        let n = out.entries.len();
        for e in &out.entries {
            self.outstanding.remove(&e.id);
        }
        self.queued.fetch_sub(n as u64, Ordering::Relaxed);
        self.room.add_permits(n);
    }

    pub(super) fn delivered(&mut self, out: Outgoing) {
        self.finished(&out);
        self.release_keys_of(&out);
    }

    pub(super) fn release_keys_of(&mut self, out: &Outgoing) {
        for key in &out.keys {
            self.release_key(out.shard, key.clone());
        }
    }

    pub(super) fn give_up(&mut self, out: Outgoing, code: &str) {
        tracing::warn!(stream = %self.stream_name, records = out.entries.len(), code, "giving up on records");
        self.stats.undelivered += out.entries.len() as u64;
        self.last_error = Some(code.to_string());
        self.finished(&out);
        self.release_keys_of(&out);
    }

    /// Puts a failed Kinesis record's user records back at the front of their keys' queues and
    /// holds the keys for a backoff.
    pub(super) fn retry(&mut self, out: Outgoing, code: &str) {
        self.last_error = Some(code.to_string());
        let attempts = out.entries.iter().map(|e| e.attempts).max().unwrap_or(0) + 1;
        if attempts >= self.config.max_attempts {
            self.give_up(out, code);
            return;
        }
        let shard = out.shard;
        let backoff = backoff(self.config.backoff_base, self.config.backoff_max, attempts);
        let until = Instant::now() + backoff;
        let mut keys: Vec<Arc<str>> = Vec::new();
        let Some(queue) = self.shard_queues.get_mut(shard) else {
            return;
        };
        self.waiting += out.entries.len();
        self.waiting_bytes += out.entries.iter().map(Entry::size).sum::<usize>();
        for mut e in out.entries.into_iter().rev() {
            e.attempts = attempts;
            let key: Arc<str> = match queue.keys.get_key_value(e.record.partition_key.as_str()) {
                Some((k, _)) => k.clone(),
                None => {
                    let k: Arc<str> = Arc::from(e.record.partition_key.as_str());
                    queue.keys.insert(
                        k.clone(),
                        KeyQueue {
                            entries: VecDeque::new(),
                            busy: true,
                        },
                    );
                    k
                }
            };
            if let Some(kq) = queue.keys.get_mut(&key) {
                kq.busy = true;
                kq.entries.push_front(e);
            }
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        for key in keys {
            self.delayed.push((until, shard, key));
        }
    }
}

pub(super) type PutRecordsResult = Result<
    aws_sdk_kinesis::operation::put_records::PutRecordsOutput,
    aws_sdk_kinesis::error::SdkError<aws_sdk_kinesis::operation::put_records::PutRecordsError>,
>;

pub(super) async fn put_records(
    client: Client,
    stream_name: String,
    batch: Vec<Outgoing>,
) -> CallResult {
    let entries: Vec<PutRecordsRequestEntry> = batch
        .iter()
        .filter_map(|o| {
            PutRecordsRequestEntry::builder()
                .partition_key(o.partition_key.clone())
                .set_explicit_hash_key(o.explicit_hash_key.clone())
                .data(Blob::new(o.data.to_vec()))
                .build()
                .ok()
        })
        .collect();
    let started = Instant::now();
    let result = client
        .put_records()
        .stream_name(stream_name)
        .set_records(Some(entries))
        .send()
        .await;
    (batch, started.elapsed(), result)
}

/// Whether a failed call is worth retrying.
pub(super) fn is_retryable(code: &str) -> bool {
    !matches!(
        code,
        "ResourceNotFoundException"
            | "InvalidArgumentException"
            | "ValidationException"
            | "AccessDeniedException"
            | "KMSDisabledException"
            | "KMSInvalidStateException"
            | "KMSNotFoundException"
            | "KMSAccessDeniedException"
            | "KMSOptInRequired"
            | "UnrecognizedClientException"
    )
}

/// Exponential backoff with full jitter: a uniform delay in [0, min(max, base * 2^attempt)].
pub(super) fn backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let ceiling = base.saturating_mul(1u32 << attempt.min(20)).min(max);
    let nanos = ceiling.as_nanos().min(u64::MAX as u128) as u64;
    Duration::from_nanos(fastrand::u64(0..=nanos.max(1)))
}
