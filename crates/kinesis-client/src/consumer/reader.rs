//! A reader task: walks one held shard with GetRecords from its checkpoint and feeds the
//! consumer's channel, retrying failed calls and following iterators to the shard's end.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::DateTime;
use aws_sdk_kinesis::types::ShardIteratorType;
use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::mpsc;

use crate::checkpoint::Checkpoint;
use crate::error::{ClientError, error_type};
use crate::kpl;
use crate::metrics::{MetricsCollector, labels, names};

use super::*;

/// Reads one shard into the channel.
pub(super) struct Reader {
    pub(super) client: Client,
    pub(super) stream_name: String,
    pub(super) shard_id: String,
    pub(super) config: ConsumerConfig,
    pub(super) metrics: Arc<dyn MetricsCollector>,
    pub(super) tx: mpsc::Sender<Item>,
    pub(super) progress: Arc<Mutex<Progress>>,
    pub(super) queued: Arc<AtomicU64>,
    pub(super) stop: Arc<AtomicBool>,
    /// The shard's hash key range: de-aggregated records outside it are dropped, as KCL does.
    pub(super) range: Option<(u128, u128)>,
    /// The stream consumer to subscribe as; `None` reads with GetRecords.
    pub(super) consumer_arn: Option<String>,
}

/// Where an iterator is asked for.
#[derive(Debug, Clone)]
pub(super) enum Position {
    TrimHorizon,
    Latest,
    AtTimestamp(SystemTime),
    /// At this sequence number, the record included.
    AtRecord(String),
    /// After this sequence number; records of its aggregate with a higher sub-sequence number
    /// are still to come, so the aggregate is read again from it and the rest skipped.
    At(String, Option<u64>),
}

impl Reader {
    pub(super) async fn run(self, from: Checkpoint) {
        let position = match from {
            Checkpoint::ShardEnd => {
                let _ = self.tx.send(Item::ShardEnd(self.shard_id.clone())).await;
                return;
            }
            Checkpoint::TrimHorizon | Checkpoint::Latest
                if self.config.shard_positions.contains_key(&self.shard_id) =>
            {
                match self.config.shard_positions.get(&self.shard_id) {
                    Some(ShardPosition::AtSequenceNumber(seq)) => Position::AtRecord(seq.clone()),
                    Some(ShardPosition::AfterSequenceNumber(seq)) => {
                        Position::At(seq.clone(), None)
                    }
                    None => Position::TrimHorizon,
                }
            }
            Checkpoint::TrimHorizon => match self.config.starting_position {
                StartingPosition::AtTimestamp(t) => Position::AtTimestamp(t),
                _ => Position::TrimHorizon,
            },
            Checkpoint::Latest => Position::Latest,
            Checkpoint::Sequence {
                sequence_number,
                sub_sequence_number,
            } => Position::At(sequence_number, Some(sub_sequence_number)),
        };
        match self.consumer_arn.clone() {
            Some(arn) => self.run_fan_out(&arn, position).await,
            None => self.run_polling(position).await,
        }
    }

    /// Reads the shard with GetShardIterator and GetRecords.
    async fn run_polling(&self, mut position: Position) {
        let l = [
            (labels::STREAM_NAME, self.stream_name.as_str()),
            (labels::SHARD_ID, self.shard_id.as_str()),
        ];
        let mut iterator: Option<String> = None;
        let mut failures = 0u32;
        let mut last_call: Option<Instant> = None;
        loop {
            if self.stop.load(Ordering::Relaxed) || self.tx.is_closed() {
                return;
            }
            let it = match iterator.take() {
                Some(it) => it,
                None => match self.get_iterator(&position).await {
                    Ok(it) => {
                        failures = 0;
                        it
                    }
                    Err(code) => {
                        self.count_error(&code);
                        if code == "ResourceNotFoundException" {
                            let _ = self
                                .tx
                                .send(Item::Failed(ClientError::Service {
                                    operation: "GetShardIterator",
                                    message: code,
                                }))
                                .await;
                            return;
                        }
                        failures += 1;
                        tokio::time::sleep(retry_delay(failures)).await;
                        continue;
                    }
                },
            };
            if let Some(t) = last_call {
                let since = t.elapsed();
                if since < self.config.min_poll_interval {
                    tokio::time::sleep(self.config.min_poll_interval - since).await;
                }
            }
            last_call = Some(Instant::now());
            let resp = self
                .client
                .get_records()
                .shard_iterator(&it)
                .limit(self.config.records_per_call)
                .send()
                .await;
            let resp = match resp {
                Ok(r) => {
                    failures = 0;
                    r
                }
                Err(e) => {
                    let code = error_type(&e);
                    self.count_error(&code);
                    failures += 1;
                    match code.as_str() {
                        // The iterator is older than five minutes: ask for a new one where we
                        // stopped.
                        "ExpiredIteratorException" => {}
                        "ResourceNotFoundException" => {
                            let _ = self
                                .tx
                                .send(Item::Failed(ClientError::Service {
                                    operation: "GetRecords",
                                    message: code,
                                }))
                                .await;
                            return;
                        }
                        // Throttled or unreachable: the same iterator stays good; wait and retry.
                        _ => {
                            iterator = Some(it);
                            tokio::time::sleep(retry_delay(failures)).await;
                        }
                    }
                    continue;
                }
            };
            let behind = resp.millis_behind_latest().unwrap_or(0);
            if self.metrics.enabled() {
                self.metrics
                    .gauge(names::CONSUMER_ITERATOR_AGE_MILLISECONDS, behind as f64, &l);
            }
            let records = resp.records();
            let Some(sent) = self.deliver(records, behind, &mut position).await else {
                return;
            };
            match resp.next_shard_iterator() {
                Some(next) => iterator = Some(next.to_string()),
                None => {
                    let _ = self.tx.send(Item::ShardEnd(self.shard_id.clone())).await;
                    return;
                }
            }
            if sent == 0 && records.is_empty() {
                tokio::time::sleep(self.config.idle_poll_interval).await;
            }
        }
    }

    /// Hands one read's records to the stream (de-aggregated, skipping what `position` says
    /// was processed) and moves `position` past them. `None` once the stream is gone.
    pub(super) async fn deliver(
        &self,
        records: &[aws_sdk_kinesis::types::Record],
        behind: i64,
        position: &mut Position,
    ) -> Option<u64> {
        let l = [
            (labels::STREAM_NAME, self.stream_name.as_str()),
            (labels::SHARD_ID, self.shard_id.as_str()),
        ];
        let mut sent = 0u64;
        let mut bytes = 0u64;
        let mut items: Vec<ConsumedRecord> = Vec::with_capacity(records.len());
        for r in records {
            let seq = r.sequence_number().to_string();
            let arrival = r
                .approximate_arrival_timestamp()
                .and_then(|t| SystemTime::try_from(*t).ok());
            let data = Bytes::copy_from_slice(r.data().as_ref());
            let skip_below = match &*position {
                Position::At(s, Some(sub)) if *s == seq => Some(*sub),
                _ => None,
            };
            if self.config.deaggregate && kpl::is_aggregated(&data) {
                match kpl::deaggregate(&data) {
                    // An aggregate holding a record outside this shard's hash range is
                    // dropped whole, as KCL does (its producer must send it again).
                    Ok(users) if !users.iter().all(|u| self.owns(u)) => {
                        tracing::warn!(
                            shard = %self.shard_id,
                            sequence = %seq,
                            "dropping a KPL aggregate with records outside the shard's hash range, as KCL does"
                        );
                        continue;
                    }
                    Ok(users) => {
                        for u in users {
                            if skip_below.is_some_and(|s| u.sub_sequence_number <= s) {
                                continue;
                            }
                            bytes += u.data.len() as u64;
                            items.push(ConsumedRecord {
                                shard_id: self.shard_id.clone(),
                                sequence_number: seq.clone(),
                                sub_sequence_number: u.sub_sequence_number,
                                partition_key: u.partition_key,
                                explicit_hash_key: u.explicit_hash_key,
                                data: u.data,
                                approximate_arrival_timestamp: arrival,
                                millis_behind_latest: behind,
                            });
                        }
                        continue;
                    }
                    Err(e) => {
                        tracing::warn!(shard = %self.shard_id, sequence = %seq, error = %e, "bad KPL aggregate, passed on as is");
                    }
                }
            }
            if skip_below.is_some() {
                continue;
            }
            bytes += data.len() as u64;
            items.push(ConsumedRecord {
                shard_id: self.shard_id.clone(),
                sequence_number: seq,
                sub_sequence_number: 0,
                partition_key: r.partition_key().unwrap_or_default().to_string(),
                explicit_hash_key: None,
                data,
                approximate_arrival_timestamp: arrival,
                millis_behind_latest: behind,
            });
        }
        if let Some(last) = records.last() {
            *position = Position::At(last.sequence_number().to_string(), None);
        }
        if !items.is_empty() {
            sent = items.len() as u64;
            *self
                .progress
                .lock()
                .pending
                .entry(self.shard_id.clone())
                .or_default() += sent;
            let queued = self.queued.fetch_add(sent, Ordering::Relaxed) + sent;
            if self.metrics.enabled() {
                self.metrics
                    .increment(names::CONSUMER_RECORDS_RECEIVED_TOTAL, sent, &l);
                self.metrics
                    .increment(names::CONSUMER_BYTES_RECEIVED_TOTAL, bytes, &l);
                self.metrics.gauge(
                    names::CONSUMER_QUEUE_SIZE,
                    queued as f64,
                    &[(labels::STREAM_NAME, &self.stream_name)],
                );
                let pending = self
                    .progress
                    .lock()
                    .pending
                    .get(&self.shard_id)
                    .copied()
                    .unwrap_or(0);
                self.metrics
                    .gauge(names::CONSUMER_LAG_RECORDS, pending as f64, &l);
            }
        }
        for item in items {
            if self.tx.send(Item::Record(item)).await.is_err() {
                return None;
            }
        }
        Some(sent)
    }

    /// Whether a de-aggregated record's hash key lies in this shard's range.
    pub(super) fn owns(&self, record: &kpl::DeaggregatedRecord) -> bool {
        let Some((start, end)) = self.range else {
            return true;
        };
        let hash = match &record.explicit_hash_key {
            Some(k) => match k.parse::<u128>() {
                Ok(h) => h,
                Err(_) => return false,
            },
            None => crate::shards::hash_key(&record.partition_key),
        };
        hash >= start && hash <= end
    }

    pub(super) fn count_error(&self, code: &str) {
        if self.metrics.enabled() {
            self.metrics.increment(
                names::CONSUMER_ERRORS_TOTAL,
                1,
                &[
                    (labels::STREAM_NAME, &self.stream_name),
                    (labels::SHARD_ID, &self.shard_id),
                    (labels::ERROR_TYPE, code),
                ],
            );
        }
    }

    pub(super) async fn get_iterator(&self, position: &Position) -> Result<String, String> {
        let req = self
            .client
            .get_shard_iterator()
            .stream_name(&self.stream_name)
            .shard_id(&self.shard_id);
        let req = match position {
            Position::TrimHorizon => req.shard_iterator_type(ShardIteratorType::TrimHorizon),
            Position::Latest => req.shard_iterator_type(ShardIteratorType::Latest),
            Position::AtTimestamp(t) => req
                .shard_iterator_type(ShardIteratorType::AtTimestamp)
                .timestamp(DateTime::from(*t)),
            // A checkpoint is read again from its own record, skipping what was processed
            // (the record itself, or the aggregate's user records up to its sub-sequence
            // number), as KCL does; a position we read past resumes after it.
            Position::AtRecord(seq) => req
                .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
                .starting_sequence_number(seq),
            Position::At(seq, Some(_)) => req
                .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
                .starting_sequence_number(seq),
            Position::At(seq, _) => req
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .starting_sequence_number(seq),
        };
        let resp = req.send().await.map_err(|e| error_type(&e))?;
        resp.shard_iterator()
            .map(str::to_string)
            .ok_or_else(|| "MissingShardIterator".to_string())
    }
}

/// Backoff for a reader's retries: exponential from 100 ms to 5 s, with full jitter.
pub(super) fn retry_delay(failures: u32) -> Duration {
    let ceiling = Duration::from_millis(100)
        .saturating_mul(1 << failures.min(6))
        .min(Duration::from_secs(5));
    let nanos = ceiling.as_nanos() as u64;
    Duration::from_nanos(fastrand::u64(nanos / 2..=nanos.max(1)))
}
