//! Enhanced fan-out: a registered consumer's subscription to one shard (SubscribeToShard).
//!
//! [`Engine::subscribe_to_shard`] checks the consumer, the shard and the starting position as
//! AWS does and hands back a [`Subscription`]: a read position plus a lease. There is one
//! lease per consumer and shard: a second subscription within [`TAKEOVER_AFTER_MS`] of the
//! first is refused (`ResourceInUseException`); a later one takes the lease over and the
//! first learns it from [`Subscription::state`]. A subscription lasts
//! [`SUBSCRIPTION_LIFETIME_MS`] by the engine's clock, and delivers at most
//! [`READ_BYTES_PER_SEC`] per second, its own budget apart from the shard's GetRecords limit.
//!
//! Nothing here knows about the event stream on the wire: the API crate turns
//! [`Subscription::next_event`] into events and waits on [`Subscription::changed`] (a
//! per-shard notification bumped by every put and by the shard closing) instead of polling.

use std::collections::HashMap;
use std::sync::Arc;

use crate::sequence::SequenceNumber;
use crate::shard::{Record, Shard, parse_shard_id};
use crate::{ChildShard, Engine, EngineError, IteratorStart, MAX_GET_RECORDS, Result, Stream};

/// How long a subscription lasts, as AWS documents (5 minutes).
pub const SUBSCRIPTION_LIFETIME_MS: u64 = 300_000;
/// A second SubscribeToShard for the same consumer and shard sooner than this after a
/// successful one is refused; later, it takes the subscription over.
pub const TAKEOVER_AFTER_MS: u64 = 5_000;
/// Bytes per second one consumer reads from one shard (2 MiB).
pub const READ_BYTES_PER_SEC: u64 = 2 * 1024 * 1024;

/// The live subscriptions by consumer ARN and shard index.
pub(crate) type Leases = HashMap<(String, u32), Lease>;

/// Who holds a consumer's subscription to a shard, and since when.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lease {
    id: u64,
    started_ms: u64,
}

/// Where a subscription stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionState {
    /// Delivering.
    Live,
    /// Its five minutes are up: the stream ends cleanly and the client renews.
    Expired,
    /// It ended with this error: taken over by a newer subscription, or its consumer or
    /// stream is gone.
    Failed(EngineError),
}

/// One event's worth of a subscription: what a SubscribeToShardEvent carries.
#[derive(Debug, Clone)]
pub struct SubscriptionEvent {
    /// The records, in order.
    pub records: Vec<Record>,
    /// Where a renewed subscription continues, with `AFTER_SEQUENCE_NUMBER`.
    pub continuation_sequence_number: String,
    /// How far behind the shard's newest record this event is, in milliseconds.
    pub millis_behind_latest: u64,
    /// Set once a closed shard has been delivered to its end; the subscription is then over.
    pub child_shards: Option<Vec<ChildShard>>,
    /// Partition key and data bytes delivered.
    pub bytes: u64,
}

/// A consumer's subscription to a shard. Dropping it gives the lease back.
pub struct Subscription {
    engine: Engine,
    stream: Arc<Stream>,
    shard: Arc<Shard>,
    consumer_name: String,
    consumer_arn: String,
    lease: Lease,
    /// The index of the next record to deliver.
    position: u64,
    /// The continuation number to report while nothing has been delivered.
    continuation: String,
    news: tokio::sync::watch::Receiver<u64>,
    /// The engine-clock second of the read budget and the bytes spent and not yet paid for.
    window: (u64, u64),
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("stream", &self.stream.name)
            .field("shard", &self.shard.id)
            .field("consumer", &self.consumer_name)
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Subscribes the consumer `consumer_arn` to `shard_id` from `start`, as SubscribeToShard
    /// does, with AWS's errors: an unknown consumer or shard (`ResourceNotFoundException`), a
    /// consumer not ACTIVE or a live subscription younger than five seconds
    /// (`ResourceInUseException`), a bad starting position (`InvalidArgumentException`).
    pub fn subscribe_to_shard(
        &self,
        consumer_arn: &str,
        shard_id: &str,
        start: &IteratorStart,
    ) -> Result<Subscription> {
        let consumer = self.describe_consumer(None, None, Some(consumer_arn))?;
        let stream_name = consumer
            .stream_arn
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        if consumer.status != "ACTIVE" {
            return Err(EngineError::ResourceInUse(format!(
                "Consumer {} with creation timestamp {} under stream: {stream_name} , account {} is not in ACTIVE status.",
                consumer.name,
                consumer.created_ms / 1000,
                self.account()
            )));
        }
        let stream = self.stream(&stream_name)?;
        let st = stream.state.read();
        let shard = parse_shard_id(shard_id)
            .and_then(|i| st.shards.get(i as usize))
            .cloned()
            .ok_or_else(|| self.shard_missing(shard_id, &stream_name))?;
        let position = self.start_position(&stream_name, &shard, start, "SubscribeToShard")?;
        drop(st);
        let now = self.now_ms();
        let lease = {
            let mut leases = self.inner.subscriptions.lock();
            let key = (consumer.arn.clone(), shard.index);
            if let Some(held) = leases.get(&key)
                && now.saturating_sub(held.started_ms) < TAKEOVER_AFTER_MS
            {
                return Err(self.in_use(&stream_name, &shard.id, &consumer.name));
            }
            let id = leases.values().map(|l| l.id).max().unwrap_or(0) + 1;
            let lease = Lease {
                id,
                started_ms: now,
            };
            leases.insert(key, lease);
            lease
        };
        // Wake a subscription this one took over, so it ends now rather than at its next tick.
        shard.announce();
        let continuation = self.before_sequence(&shard, position);
        let news = shard.news.subscribe();
        Ok(Subscription {
            engine: self.clone(),
            stream,
            shard,
            consumer_name: consumer.name,
            consumer_arn: consumer.arn,
            lease,
            position,
            continuation,
            news,
            window: (now / 1000, 0),
        })
    }

    fn in_use(&self, stream: &str, shard_id: &str, consumer: &str) -> EngineError {
        EngineError::ResourceInUse(format!(
            "Another active subscription exists for this consumer: {}:{stream}:{shard_id}:{consumer}",
            self.account()
        ))
    }

    /// A sequence number that, given with `AFTER_SEQUENCE_NUMBER` (or `AT_`), resumes at
    /// index `position`: the number of the record before it, or, when that record is not at
    /// hand, a number naming the gap before `position` (arrival time 0, which no record has).
    fn before_sequence(&self, shard: &Shard, position: u64) -> String {
        let log = shard.log.read();
        let before = position
            .checked_sub(1)
            .and_then(|i| Some(shard.sequence(i, log.arrival_ms(i)?)));
        before
            .unwrap_or(SequenceNumber {
                arrival_secs: 0,
                ..shard.sequence(position, 0)
            })
            .format()
    }
}

impl Subscription {
    /// The stream's name.
    pub fn stream_name(&self) -> &str {
        &self.stream.name
    }

    /// The consumer's name.
    pub fn consumer_name(&self) -> &str {
        &self.consumer_name
    }

    /// The shard's id.
    pub fn shard_id(&self) -> &str {
        &self.shard.id
    }

    /// When the subscription started, engine-clock epoch ms.
    pub fn started_ms(&self) -> u64 {
        self.lease.started_ms
    }

    /// Whether the subscription still delivers, by the engine's clock and the lease table.
    pub fn state(&self) -> SubscriptionState {
        let key = (self.consumer_arn.clone(), self.shard.index);
        let held = self.engine.inner.subscriptions.lock().get(&key).copied();
        if held.map(|l| l.id) != Some(self.lease.id) {
            return SubscriptionState::Failed(self.engine.in_use(
                &self.stream.name,
                &self.shard.id,
                &self.consumer_name,
            ));
        }
        let still_registered = self
            .stream
            .state
            .read()
            .consumers
            .iter()
            .any(|c| c.arn == self.consumer_arn);
        if !still_registered || self.engine.stream(&self.stream.name).is_err() {
            return SubscriptionState::Failed(self.engine.consumer_not_found(&self.consumer_arn));
        }
        if self.engine.now_ms().saturating_sub(self.lease.started_ms) >= SUBSCRIPTION_LIFETIME_MS {
            return SubscriptionState::Expired;
        }
        SubscriptionState::Live
    }

    /// Whether everything in the shard up to now has been delivered.
    pub fn caught_up(&self) -> bool {
        let log = self.shard.log.read();
        self.position >= log.next_index()
    }

    /// Takes what is there to deliver now, within this second's read budget: possibly no
    /// records (a heartbeat, or the budget is spent). Marks the shard's news as seen, so
    /// [`Self::changed`] waits for what comes after this read.
    pub fn next_event(&mut self) -> Result<SubscriptionEvent> {
        // A split or merge whose UPDATING phase is over closes this shard now.
        self.engine.settle_reshard(&self.stream)?;
        self.news.borrow_and_update();
        let now = self.engine.now_ms();
        let second = now / 1000;
        if second > self.window.0 {
            // A read may overrun the budget by one record (every read returns at least
            // one); the overrun is paid from the seconds that follow.
            let refill = READ_BYTES_PER_SEC.saturating_mul(second - self.window.0);
            self.window = (second, self.window.1.saturating_sub(refill));
        }
        let budget = READ_BYTES_PER_SEC.saturating_sub(self.window.1);
        let st = self.stream.state.read();
        let read = if budget == 0 {
            None
        } else {
            Some(self.engine.read_shard(
                &st,
                &self.shard,
                self.position,
                MAX_GET_RECORDS,
                budget as usize,
            )?)
        };
        drop(st);
        let Some(read) = read else {
            return Ok(SubscriptionEvent {
                records: Vec::new(),
                continuation_sequence_number: self.continuation.clone(),
                millis_behind_latest: self.millis_behind(now),
                child_shards: None,
                bytes: 0,
            });
        };
        self.window.1 += read.bytes;
        self.position = read.next;
        if let Some(last) = read.records.last() {
            self.continuation = last.sequence.format();
        }
        Ok(SubscriptionEvent {
            records: read.records,
            continuation_sequence_number: self.continuation.clone(),
            millis_behind_latest: read.millis_behind_latest,
            child_shards: read.child_shards,
            bytes: read.bytes,
        })
    }

    fn millis_behind(&self, now: u64) -> u64 {
        let log = self.shard.log.read();
        if self.position >= log.next_index() {
            return 0;
        }
        log.arrival_ms(self.position)
            .map_or(0, |t| now.saturating_sub(t))
    }

    /// Resolves when the shard has news since the last [`Self::next_event`]: records were
    /// appended, it closed, or a subscription to it began (perhaps taking this one over).
    pub async fn changed(&mut self) {
        // The sender lives in the shard this subscription holds, so it is never dropped.
        let _ = self.news.changed().await;
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let key = (std::mem::take(&mut self.consumer_arn), self.shard.index);
        let mut leases = self.engine.inner.subscriptions.lock();
        if leases.get(&key).map(|l| l.id) == Some(self.lease.id) {
            leases.remove(&key);
        }
    }
}
