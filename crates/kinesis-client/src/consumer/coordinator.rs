//! The coordinator task: discovers shards, takes, heartbeats and gives up leases in the
//! checkpointer, starts a reader per held shard and writes checkpoints.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

use crate::checkpoint::{Checkpoint, Checkpointer, Lease};
use crate::error::ClientError;
use crate::metrics::{MetricsCollector, labels, names};

use super::reader::Reader;
use super::*;

/// A shard as listed.
#[derive(Debug, Clone)]
pub(super) struct ShardInfo {
    pub(super) parents: Vec<String>,
    pub(super) closed: bool,
    /// Its hash key range, first and last.
    pub(super) range: Option<(u128, u128)>,
}

/// A lease this worker holds and the reader working on it.
pub(super) struct Held {
    pub(super) counter: u64,
    pub(super) reader: tokio::task::JoinHandle<()>,
    pub(super) stop: Arc<AtomicBool>,
}

/// The background task: discovery, leases, checkpoints, readers.
pub(super) struct Coordinator {
    pub(super) client: Client,
    pub(super) stream_name: String,
    pub(super) config: ConsumerConfig,
    pub(super) checkpointer: Arc<dyn Checkpointer>,
    pub(super) metrics: Arc<dyn MetricsCollector>,
    pub(super) tx: mpsc::Sender<Item>,
    pub(super) progress: Arc<Mutex<Progress>>,
    pub(super) queued: Arc<AtomicU64>,
    pub(super) held: HashMap<String, Held>,
    /// Each lease's counter as last seen and when it last moved, to judge expiry.
    pub(super) seen: HashMap<String, (u64, Instant)>,
    /// Shards from the last listing; `None` before the first.
    pub(super) known_shards: Option<HashMap<String, ShardInfo>>,
    /// The checkpoint last written per shard.
    pub(super) written: HashMap<String, Checkpoint>,
    /// In [`ReadMode::FanOut`], the stream consumer's ARN once it is registered and ACTIVE.
    pub(super) consumer_arn: Option<String>,
}

impl Coordinator {
    pub(super) async fn run(mut self, mut stopped: oneshot::Receiver<oneshot::Sender<()>>) {
        let lease_tick = (self.config.lease_duration / 3).max(Duration::from_millis(10));
        let tick = lease_tick
            .min(self.config.checkpoint_interval)
            .max(Duration::from_millis(10));
        let mut last_discovery: Option<Instant> = None;
        let mut last_lease_round = Instant::now() - lease_tick;
        let done = loop {
            // A fan-out consumer holds no lease until its stream consumer is ACTIVE.
            if let ReadMode::FanOut { consumer_name } = &self.config.read_mode
                && self.consumer_arn.is_none()
            {
                let consumer_name = consumer_name.clone();
                match super::fan_out::active_consumer_arn(
                    &self.client,
                    &self.stream_name,
                    &consumer_name,
                )
                .await
                {
                    Ok(arn) => self.consumer_arn = Some(arn),
                    Err(e) => {
                        tracing::warn!(stream = %self.stream_name, consumer = %consumer_name, error = %e, "registering the stream consumer");
                        self.count_error("", &e);
                        tokio::select! {
                            stop = &mut stopped => break stop.ok(),
                            _ = tokio::time::sleep(tick) => {}
                        }
                        continue;
                    }
                }
            }
            let now = Instant::now();
            if last_discovery
                .is_none_or(|t| now.duration_since(t) >= self.config.shard_discovery_interval)
            {
                match self.discover().await {
                    Ok(()) => last_discovery = Some(now),
                    Err(e) => {
                        tracing::warn!(stream = %self.stream_name, error = %e, "listing shards");
                        self.count_error("", &e);
                    }
                }
            }
            self.write_checkpoints().await;
            if now.duration_since(last_lease_round) >= lease_tick {
                last_lease_round = now;
                self.lease_round().await;
            }
            // A shard read to its end makes its children eligible at once.
            let finished = self.reap_finished().await;
            if finished {
                self.write_checkpoints().await;
                self.lease_round().await;
            }
            tokio::select! {
                stop = &mut stopped => break stop.ok(),
                _ = tokio::time::sleep(tick) => {}
            }
        };
        for held in self.held.values() {
            held.stop.store(true, Ordering::Relaxed);
            held.reader.abort();
        }
        self.write_checkpoints().await;
        let held: Vec<(String, u64)> = self.held.drain().map(|(k, h)| (k, h.counter)).collect();
        for (shard_id, counter) in held {
            let _ = self
                .checkpointer
                .release_lease(
                    &self.stream_name,
                    &shard_id,
                    &self.config.worker_id,
                    counter,
                )
                .await;
        }
        if let Some(done) = done {
            let _ = done.send(());
        }
    }

    pub(super) fn count_error(&self, shard_id: &str, e: &ClientError) {
        if self.metrics.enabled() {
            let code = match e {
                ClientError::Service { message, .. } => message.as_str(),
                _ => "unknown",
            };
            self.metrics.increment(
                names::CONSUMER_ERRORS_TOTAL,
                1,
                &[
                    (labels::STREAM_NAME, &self.stream_name),
                    (labels::SHARD_ID, shard_id),
                    (labels::ERROR_TYPE, code),
                ],
            );
        }
    }

    /// Lists every shard and creates a lease for each one that has none.
    pub(super) async fn discover(&mut self) -> Result<(), ClientError> {
        let shards = list_all_shards(&self.client, &self.stream_name).await?;
        let first = self.known_shards.is_none();
        let before: HashSet<String> = self
            .known_shards
            .as_ref()
            .map(|k| k.keys().cloned().collect())
            .unwrap_or_default();
        let new_children = shards
            .iter()
            .filter(|(id, info)| !before.contains(*id) && !info.parents.is_empty())
            .count();
        if !first && new_children > 0 && self.metrics.enabled() {
            self.metrics.increment(
                names::STREAM_RESHARDING_EVENTS_TOTAL,
                1,
                &[(labels::STREAM_NAME, &self.stream_name)],
            );
        }
        if self.metrics.enabled() {
            let closed = shards.values().filter(|s| s.closed).count();
            let l = [(labels::STREAM_NAME, self.stream_name.as_str())];
            self.metrics.gauge(
                names::STREAM_SHARDS_ACTIVE,
                (shards.len() - closed) as f64,
                &l,
            );
            self.metrics
                .gauge(names::STREAM_SHARDS_CLOSED, closed as f64, &l);
        }
        for (id, info) in &shards {
            if before.contains(id) {
                continue;
            }
            // Where a new lease starts. Under LATEST only the shards open at the first listing
            // start at the tip; closed ones count as read, and later children from the start.
            let checkpoint = match self.config.starting_position {
                StartingPosition::Latest if first && info.closed => Checkpoint::ShardEnd,
                StartingPosition::Latest if first => Checkpoint::Latest,
                _ => Checkpoint::TrimHorizon,
            };
            let lease = Lease {
                shard_id: id.clone(),
                owner: None,
                counter: 0,
                checkpoint,
                parent_shard_ids: info.parents.clone(),
            };
            self.checkpointer
                .create_lease(&self.stream_name, &lease)
                .await
                .map_err(|e| ClientError::Checkpoint(e.to_string()))?;
        }
        self.known_shards = Some(shards);
        Ok(())
    }

    /// Heartbeats held leases, then takes free or expired ones up to a fair share.
    pub(super) async fn lease_round(&mut self) {
        let leases = match self.checkpointer.list_leases(&self.stream_name).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(stream = %self.stream_name, error = %e, "listing leases");
                return;
            }
        };
        let now = Instant::now();
        for lease in &leases {
            let entry = self
                .seen
                .entry(lease.shard_id.clone())
                .or_insert((lease.counter, now));
            if entry.0 != lease.counter {
                *entry = (lease.counter, now);
            }
        }
        // Heartbeat what we hold; a lease we cannot renew is gone, and so is its reader.
        let held: Vec<(String, u64)> = self
            .held
            .iter()
            .map(|(k, h)| (k.clone(), h.counter))
            .collect();
        for (shard_id, counter) in held {
            match self
                .checkpointer
                .renew_lease(
                    &self.stream_name,
                    &shard_id,
                    &self.config.worker_id,
                    counter,
                )
                .await
            {
                Ok(Some(counter)) => {
                    if let Some(h) = self.held.get_mut(&shard_id) {
                        h.counter = counter;
                    }
                    self.seen.insert(shard_id, (counter, now));
                }
                Ok(None) => self.lose(&shard_id),
                Err(e) => tracing::warn!(shard = %shard_id, error = %e, "renewing lease"),
            }
        }
        let by_id: HashMap<&str, &Lease> =
            leases.iter().map(|l| (l.shard_id.as_str(), l)).collect();
        let done = |id: &str| -> bool {
            match by_id.get(id) {
                Some(l) => l.checkpoint == Checkpoint::ShardEnd,
                // A parent with no lease is one trimmed away before we started.
                None => true,
            }
        };
        let expired_ids: HashSet<&str> = leases
            .iter()
            .filter(|l| match &l.owner {
                None => true,
                Some(o) if *o == self.config.worker_id => !self.held.contains_key(&l.shard_id),
                Some(_) => self.seen.get(&l.shard_id).is_some_and(|(_, moved)| {
                    now.duration_since(*moved) >= self.config.lease_duration
                }),
            })
            .map(|l| l.shard_id.as_str())
            .collect();
        let expired = |l: &Lease| expired_ids.contains(l.shard_id.as_str());
        let open: Vec<&Lease> = leases
            .iter()
            .filter(|l| l.checkpoint != Checkpoint::ShardEnd)
            .collect();
        let mut workers: HashSet<&str> = open
            .iter()
            .filter(|l| !expired(l))
            .filter_map(|l| l.owner.as_deref())
            .collect();
        workers.insert(&self.config.worker_id);
        let target = open.len().div_ceil(workers.len().max(1));
        let mut candidates: Vec<Lease> = open
            .iter()
            .copied()
            .filter(|l| !self.held.contains_key(&l.shard_id))
            .filter(|l| expired(l))
            .filter(|l| l.parent_shard_ids.iter().all(|p| done(p)))
            .cloned()
            .collect();
        // The busiest other worker's leases, in case we must steal.
        let mut per_owner: HashMap<&str, Vec<&Lease>> = HashMap::new();
        for l in open.iter().copied().filter(|l| !expired(l)) {
            if let Some(o) = l.owner.as_deref()
                && o != self.config.worker_id
            {
                per_owner.entry(o).or_default().push(l);
            }
        }
        let victim: Option<(String, Lease)> = per_owner
            .into_iter()
            .filter(|(_, ls)| ls.len() > target)
            .max_by(|(a, x), (b, y)| x.len().cmp(&y.len()).then(b.cmp(a)))
            .and_then(|(owner, ls)| {
                ls.into_iter()
                    .max_by(|a, b| a.shard_id.cmp(&b.shard_id))
                    .map(|l| (owner.to_string(), l.clone()))
            });
        candidates.sort_by(|a, b| a.shard_id.cmp(&b.shard_id));
        for lease in candidates {
            if self.held.len() >= target {
                break;
            }
            match self
                .checkpointer
                .take_lease(
                    &self.stream_name,
                    &lease.shard_id,
                    lease.counter,
                    &self.config.worker_id,
                )
                .await
            {
                Ok(Some(taken)) => {
                    self.seen
                        .insert(taken.shard_id.clone(), (taken.counter, now));
                    self.start_reader(taken, Duration::ZERO);
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(shard = %lease.shard_id, error = %e, "taking lease"),
            }
        }
        // Still short of a fair share: steal one lease from the busiest worker, as KCL does.
        // Its owner finds out at its next heartbeat and stops reading; we start only after
        // that heartbeat is due, so the shard is never read by both at once.
        if self.held.len() < target
            && let Some((owner, victim)) = victim
        {
            tracing::info!(stream = %self.stream_name, shard = %victim.shard_id, from = %owner, "stealing lease");
            if let Ok(Some(taken)) = self
                .checkpointer
                .take_lease(
                    &self.stream_name,
                    &victim.shard_id,
                    victim.counter,
                    &self.config.worker_id,
                )
                .await
            {
                self.seen
                    .insert(taken.shard_id.clone(), (taken.counter, now));
                self.start_reader(taken, self.config.lease_duration / 2);
            }
        }
    }

    pub(super) fn lose(&mut self, shard_id: &str) {
        if let Some(h) = self.held.remove(shard_id) {
            tracing::info!(stream = %self.stream_name, shard = %shard_id, "lease lost");
            h.stop.store(true, Ordering::Relaxed);
            h.reader.abort();
        }
        self.written.remove(shard_id);
    }

    pub(super) fn start_reader(&mut self, lease: Lease, delay: Duration) {
        let stop = Arc::new(AtomicBool::new(false));
        // The stored checkpoint is the truth: another worker may have read further since we
        // last held this shard.
        self.progress.lock().processed.remove(&lease.shard_id);
        let from = lease.checkpoint.clone();
        self.written
            .insert(lease.shard_id.clone(), lease.checkpoint.clone());
        let reader = Reader {
            client: self.client.clone(),
            stream_name: self.stream_name.clone(),
            shard_id: lease.shard_id.clone(),
            config: self.config.clone(),
            metrics: self.metrics.clone(),
            tx: self.tx.clone(),
            progress: self.progress.clone(),
            queued: self.queued.clone(),
            stop: stop.clone(),
            consumer_arn: self.consumer_arn.clone(),
            range: self
                .known_shards
                .as_ref()
                .and_then(|k| k.get(&lease.shard_id))
                .and_then(|i| i.range),
        };
        let handle = tokio::spawn(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            reader.run(from).await
        });
        self.held.insert(
            lease.shard_id,
            Held {
                counter: lease.counter,
                reader: handle,
                stop,
            },
        );
    }

    /// Gives up the leases of shards read to their end and processed.
    pub(super) async fn reap_finished(&mut self) -> bool {
        let finished: Vec<String> = self
            .held
            .iter()
            .filter(|(id, h)| {
                h.reader.is_finished() && self.written.get(*id) == Some(&Checkpoint::ShardEnd)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in &finished {
            if let Some(h) = self.held.remove(id) {
                let _ = self
                    .checkpointer
                    .release_lease(&self.stream_name, id, &self.config.worker_id, h.counter)
                    .await;
            }
        }
        !finished.is_empty()
    }

    /// Writes every processed position that moved since it was last written.
    pub(super) async fn write_checkpoints(&mut self) {
        let due: Vec<(String, Checkpoint)> = {
            let progress = self.progress.lock();
            progress
                .processed
                .iter()
                .filter(|(id, cp)| self.held.contains_key(*id) && self.written.get(*id) != Some(cp))
                .map(|(id, cp)| (id.clone(), cp.clone()))
                .collect()
        };
        for (shard_id, checkpoint) in due {
            let Some(counter) = self.held.get(&shard_id).map(|h| h.counter) else {
                continue;
            };
            let result = self
                .checkpointer
                .checkpoint(
                    &self.stream_name,
                    &shard_id,
                    &self.config.worker_id,
                    counter,
                    &checkpoint,
                )
                .await;
            let ok = matches!(result, Ok(Some(_)));
            if self.metrics.enabled() {
                let name = if ok {
                    names::CONSUMER_CHECKPOINT_SUCCESS_TOTAL
                } else {
                    names::CONSUMER_CHECKPOINT_FAILURE_TOTAL
                };
                self.metrics.increment(
                    name,
                    1,
                    &[
                        (labels::STREAM_NAME, &self.stream_name),
                        (labels::SHARD_ID, &shard_id),
                    ],
                );
            }
            match result {
                Ok(Some(counter)) => {
                    if let Some(h) = self.held.get_mut(&shard_id) {
                        h.counter = counter;
                    }
                    self.seen
                        .insert(shard_id.clone(), (counter, Instant::now()));
                    self.written.insert(shard_id, checkpoint);
                }
                Ok(None) => self.lose(&shard_id),
                Err(e) => tracing::warn!(shard = %shard_id, error = %e, "checkpointing"),
            }
        }
    }
}

/// Lists every shard of a stream, open and closed, with its parents.
pub(super) async fn list_all_shards(
    client: &Client,
    stream_name: &str,
) -> Result<HashMap<String, ShardInfo>, ClientError> {
    let mut out: HashMap<String, ShardInfo> = crate::shards::list_shards(client, stream_name)
        .await?
        .into_iter()
        .map(|s| {
            let info = ShardInfo {
                parents: s.parents,
                closed: s.closed,
                range: s.range,
            };
            (s.shard_id, info)
        })
        .collect();
    // A parent that is no longer listed (trimmed) cannot be waited for.
    let ids: HashSet<String> = out.keys().cloned().collect();
    for info in out.values_mut() {
        info.parents.retain(|p| ids.contains(p));
    }
    Ok(out)
}
