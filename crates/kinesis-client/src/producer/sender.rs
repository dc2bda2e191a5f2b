//! The background task: accepts records, decides when to send, answers flushes and follows
//! the stream's shards.

use std::collections::BTreeSet;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::error::ClientError;
use crate::metrics::{MetricsCollector, labels, names};
use crate::shards::ShardMap;

use super::*;

pub(super) type CallResult = (Vec<Outgoing>, Duration, PutRecordsResult);

pub(super) type InFlight = FuturesUnordered<Pin<Box<dyn Future<Output = CallResult> + Send>>>;

/// The background task's state.
pub(super) struct Sender {
    pub(super) client: Client,
    pub(super) stream_name: String,
    pub(super) config: ProducerConfig,
    pub(super) metrics: Arc<dyn MetricsCollector>,
    pub(super) room: Arc<Semaphore>,
    pub(super) queued: Arc<AtomicU64>,
    pub(super) shards: ShardMap,
    pub(super) shard_queues: Vec<ShardQueue>,
    /// Keys waiting out a backoff: (when, shard index, key).
    pub(super) delayed: Vec<(Instant, usize, Arc<str>)>,
    /// Ids accepted and not yet delivered or given up.
    pub(super) outstanding: BTreeSet<u64>,
    pub(super) flushes: Vec<(u64, oneshot::Sender<Result<(), ClientError>>)>,
    pub(super) stats: ProducerStats,
    pub(super) last_error: Option<String>,
    pub(super) undelivered_reported: u64,
    /// When the oldest record waiting for a batch arrived.
    pub(super) first_waiting: Option<Instant>,
    pub(super) waiting: usize,
    pub(super) waiting_bytes: usize,
    pub(super) refresh_due: bool,
    /// Aggregates that reached a shard other than the one they were packed for, with that
    /// shard's id; settled at the next shard refresh.
    pub(super) misrouted: Vec<(Outgoing, String)>,
    pub(super) last_refresh: Instant,
}

impl Sender {
    pub(super) async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Command>) {
        self.shard_queues = (0..self.shards.len())
            .map(|_| ShardQueue::default())
            .collect();
        let mut in_flight: InFlight = FuturesUnordered::new();
        let mut closing: Option<oneshot::Sender<Result<ProducerStats, ClientError>>> = None;
        let mut receiving = true;
        loop {
            if self.refresh_due && in_flight.is_empty() {
                self.refresh_shards().await;
            }
            let now = Instant::now();
            self.wake_delayed(now);
            let urgent = !self.flushes.is_empty() || closing.is_some() || !receiving;
            // While a refresh is due no batch leaves, so the in-flight calls drain and the
            // refresh runs against a quiet queue.
            while !self.refresh_due
                && in_flight.len() < self.config.max_in_flight
                && self.should_send(now, urgent)
            {
                let batch = self.form_batch(now);
                if batch.is_empty() {
                    break;
                }
                self.update_queue_gauge();
                in_flight.push(Box::pin(put_records(
                    self.client.clone(),
                    self.stream_name.clone(),
                    batch,
                )));
            }
            self.answer_flushes();
            if self.outstanding.is_empty()
                && in_flight.is_empty()
                && (closing.is_some() || !receiving)
            {
                break;
            }
            let wake = self.next_wake(now, urgent);
            tokio::select! {
                command = rx.recv(), if receiving => match command {
                    Some(Command::Put(id, record, hash)) => self.accept(id, record, hash, now),
                    Some(Command::Flush(upto, done)) => self.flushes.push((upto, done)),
                    Some(Command::Close(done)) => {
                        closing = Some(done);
                        receiving = false;
                        // Records sent before the close command are already in the channel's
                        // order ahead of it; nothing can follow it.
                    }
                    None => receiving = false,
                },
                Some((batch, took, result)) = in_flight.next(), if !in_flight.is_empty() => {
                    self.settle(batch, took, result);
                }
                _ = tokio::time::sleep_until(wake.into()) => {}
            }
        }
        self.answer_flushes();
        let mut result = Ok(self.stats.clone());
        if self.stats.undelivered > self.undelivered_reported {
            result = Err(ClientError::Undelivered {
                count: self.stats.undelivered - self.undelivered_reported,
                last_error: self.last_error.clone().unwrap_or_default(),
            });
        }
        if let Some(done) = closing {
            let _ = done.send(result);
        }
    }

    pub(super) fn labels(&self) -> [(&'static str, &str); 1] {
        [(labels::STREAM_NAME, self.stream_name.as_str())]
    }

    pub(super) fn accept(&mut self, id: u64, record: Record, hash: u128, now: Instant) {
        self.outstanding.insert(id);
        let entry = Entry {
            id,
            record,
            hash,
            attempts: 0,
            arrived: now,
        };
        let shard = self.shards.route(hash).unwrap_or(0);
        self.waiting += 1;
        self.waiting_bytes += entry.size();
        if self.first_waiting.is_none() {
            self.first_waiting = Some(now);
        }
        self.push_back(shard, entry);
    }

    pub(super) fn push_back(&mut self, shard: usize, entry: Entry) {
        let Some(queue) = self.shard_queues.get_mut(shard) else {
            return;
        };
        let existing = queue
            .keys
            .get_key_value(entry.record.partition_key.as_str())
            .map(|(k, _)| k.clone());
        let key = existing.unwrap_or_else(|| Arc::from(entry.record.partition_key.as_str()));
        let kq = queue.keys.entry(key.clone()).or_default();
        let was_idle = kq.entries.is_empty() && !kq.busy;
        kq.entries.push_back(entry);
        if was_idle {
            queue.ready.push_back(key);
        }
    }

    /// Whether a batch should go out now.
    pub(super) fn should_send(&self, now: Instant, urgent: bool) -> bool {
        if self.waiting == 0 {
            return false;
        }
        urgent
            || self.waiting >= self.config.max_batch_records
            || self.waiting_bytes >= self.config.max_batch_bytes
            || self
                .first_waiting
                .is_some_and(|t| now.duration_since(t) >= self.config.linger)
    }

    pub(super) fn next_wake(&self, now: Instant, urgent: bool) -> Instant {
        // Records that are due but could not go (no budget, or their key busy) are looked at
        // again once budgets have refilled a little.
        let retry_soon = now + self.shards.next_refill();
        let mut wake = now + Duration::from_secs(3600);
        if let Some(t) = self.first_waiting {
            let due = t + self.config.linger;
            wake = wake.min(if due > now { due } else { retry_soon });
        }
        if self.waiting > 0 && urgent {
            wake = wake.min(retry_soon);
        }
        for (t, _, _) in &self.delayed {
            wake = wake.min(*t);
        }
        if !self.refresh_due {
            wake = wake.min(self.last_refresh + self.config.shard_refresh_interval);
        }
        wake.max(now + Duration::from_millis(1))
    }

    pub(super) fn wake_delayed(&mut self, now: Instant) {
        if now >= self.last_refresh + self.config.shard_refresh_interval {
            self.refresh_due = true;
        }
        let mut i = 0;
        while i < self.delayed.len() {
            if self.delayed[i].0 <= now {
                let (_, shard, key) = self.delayed.swap_remove(i);
                self.release_key(shard, key);
            } else {
                i += 1;
            }
        }
    }

    /// Marks a key no longer busy and makes it ready if it has waiting records.
    pub(super) fn release_key(&mut self, shard: usize, key: Arc<str>) {
        let Some(queue) = self.shard_queues.get_mut(shard) else {
            return;
        };
        match queue.keys.get_mut(&key) {
            Some(kq) if kq.entries.is_empty() => {
                queue.keys.remove(&key);
            }
            Some(kq) => {
                kq.busy = false;
                if let Some(head) = kq.entries.front() {
                    let arrived = head.arrived;
                    self.first_waiting =
                        Some(self.first_waiting.map_or(arrived, |t| t.min(arrived)));
                }
                queue.ready.push_back(key);
            }
            None => {}
        }
    }

    pub(super) fn update_queue_gauge(&self) {
        if self.metrics.enabled() {
            let q = self.queued.load(Ordering::Relaxed);
            self.metrics
                .gauge(names::PRODUCER_QUEUE_SIZE, q as f64, &self.labels());
        }
    }

    pub(super) fn answer_flushes(&mut self) {
        if self.flushes.is_empty() {
            return;
        }
        let lowest = self.outstanding.first().copied().unwrap_or(u64::MAX);
        let mut i = 0;
        while i < self.flushes.len() {
            if lowest >= self.flushes[i].0 {
                let (_, done) = self.flushes.swap_remove(i);
                let result = if self.stats.undelivered > self.undelivered_reported {
                    let count = self.stats.undelivered - self.undelivered_reported;
                    self.undelivered_reported = self.stats.undelivered;
                    Err(ClientError::Undelivered {
                        count,
                        last_error: self.last_error.clone().unwrap_or_default(),
                    })
                } else {
                    Ok(())
                };
                let _ = done.send(result);
            } else {
                i += 1;
            }
        }
    }

    /// Reads the open shards again and re-files every waiting record under its new shard.
    ///
    /// Aggregates that landed on a shard other than the one they were packed for (the stream
    /// was resharded meanwhile) are settled here: one whose records all lie in that shard's
    /// hash range is delivered; any other is sent again record by record, since KCL (and our
    /// consumer) drops a whole aggregate holding a record outside the shard it was read from.
    pub(super) async fn refresh_shards(&mut self) {
        self.refresh_due = false;
        self.last_refresh = Instant::now();
        let listed = list_open_shards(&self.client, &self.stream_name).await;
        let shards = match listed {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(stream = %self.stream_name, error = %e, "refreshing shards");
                Vec::new()
            }
        };
        let misrouted = std::mem::take(&mut self.misrouted);
        let same = shards.is_empty()
            || (shards.len() == self.shards.len()
                && shards.iter().all(|s| {
                    (0..self.shards.len()).any(|i| {
                        self.shards
                            .shard(i)
                            .is_some_and(|o| o.shard_id == s.shard_id)
                    })
                }));
        let mut resend: Vec<Entry> = Vec::new();
        let mut sent = 0u64;
        let mut sent_bytes = 0u64;
        for (mut out, actual) in misrouted {
            let range = shards
                .iter()
                .find(|s| s.shard_id == actual)
                .map(|s| (s.start, s.end));
            if let Some((start, end)) = range {
                // KCL drops a whole aggregate when any of its records lies outside the
                // shard's range, so then every record of it is sent again.
                let foreign = out
                    .entries
                    .iter()
                    .filter(|e| e.hash < start || e.hash > end)
                    .count();
                if foreign > 0 {
                    tracing::info!(
                        stream = %self.stream_name,
                        shard = %actual,
                        foreign,
                        resent = out.entries.len(),
                        "aggregate landed on a new shard after resharding"
                    );
                    resend.append(&mut out.entries);
                }
            }
            sent += out.entries.len() as u64;
            sent_bytes += out.user_bytes();
            self.finished(&out);
            if same {
                self.release_keys_of(&out);
            }
        }
        self.stats.records_sent += sent;
        self.stats.bytes_sent += sent_bytes;
        if sent > 0 && self.metrics.enabled() {
            let l = self.labels();
            self.metrics
                .increment(names::PRODUCER_RECORDS_SENT_TOTAL, sent, &l);
            self.metrics
                .increment(names::PRODUCER_BYTES_SENT_TOTAL, sent_bytes, &l);
        }
        if same {
            for e in resend.into_iter().rev() {
                let shard = self.shards.route(e.hash).unwrap_or(0);
                self.waiting += 1;
                self.waiting_bytes += e.size();
                self.push_front(shard, e);
            }
            self.first_waiting = Some(self.first_waiting.unwrap_or(self.last_refresh));
            return;
        }
        let old = std::mem::take(&mut self.shard_queues);
        let old_delayed = std::mem::take(&mut self.delayed);
        self.shards = ShardMap::new(shards);
        self.shard_queues = (0..self.shards.len())
            .map(|_| ShardQueue::default())
            .collect();
        // Re-file in id order per key; keys that were waiting out a backoff keep waiting.
        self.waiting += resend.len();
        self.waiting_bytes += resend.iter().map(Entry::size).sum::<usize>();
        let mut entries: Vec<Entry> = old
            .into_iter()
            .flat_map(|q| q.keys.into_values().flat_map(|kq| kq.entries))
            .chain(resend)
            .collect();
        entries.sort_by_key(|e| e.id);
        for e in entries {
            let shard = self.shards.route(e.hash).unwrap_or(0);
            self.push_back(shard, e);
        }
        for (until, _, key) in old_delayed {
            let Some(shard) = self
                .shard_queues
                .iter()
                .position(|q| q.keys.contains_key(&*key))
            else {
                continue;
            };
            if let Some(queue) = self.shard_queues.get_mut(shard)
                && let Some(kq) = queue.keys.get_mut(&*key)
            {
                kq.busy = true;
                queue.ready.retain(|k| *k != key);
                let key = queue.keys.get_key_value(&*key).map(|(k, _)| k.clone());
                if let Some(key) = key {
                    self.delayed.push((until, shard, key));
                }
            }
        }
        self.first_waiting = Some(self.first_waiting.unwrap_or(self.last_refresh));
    }

    /// Puts a record back at the front of its key's queue.
    pub(super) fn push_front(&mut self, shard: usize, entry: Entry) {
        let Some(queue) = self.shard_queues.get_mut(shard) else {
            return;
        };
        let existing = queue
            .keys
            .get_key_value(entry.record.partition_key.as_str())
            .map(|(k, _)| k.clone());
        let key = existing.unwrap_or_else(|| Arc::from(entry.record.partition_key.as_str()));
        let kq = queue.keys.entry(key.clone()).or_default();
        let was_idle = kq.entries.is_empty() && !kq.busy;
        kq.entries.push_front(entry);
        if was_idle {
            queue.ready.push_back(key);
        }
    }
}
