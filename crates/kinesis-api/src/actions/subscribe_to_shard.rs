//! SubscribeToShard: enhanced fan-out, answered as an event stream.
//!
//! Errors found before the subscription starts (the request, the consumer, the shard, the
//! starting position, a live subscription) are ordinary error documents. Once it starts the
//! answer is `application/vnd.amazon.eventstream`: an `initial-response` event, then
//! `SubscribeToShardEvent`s as records arrive (and one every [`HEARTBEAT`] when none do),
//! until the subscription's five minutes are up (the stream ends), the closed shard has been
//! delivered to its end (the last event lists its ChildShards), or it fails (an exception
//! message, e.g. ResourceInUseException when another subscription took it over).

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_wire::eventstream::encode_message;
use aws_wire::{Encoding, Input, Member, Shape, Writer};
use kinesis_engine::subscription::{Subscription, SubscriptionEvent, SubscriptionState};
use kinesis_engine::{Engine, EngineError};

use super::get_shard_iterator::{ITERATOR_TYPE, iterator_start};
use crate::common::{write_child_shards, write_record};
use crate::metrics::{ConsumerSeries, KinesisMetrics, Observed};
use crate::shapes::{CONSUMER_ARN, SEQUENCE_NUMBER, SHARD_ID, STREAM_ID, TIMESTAMP};
use crate::{ApiError, ApiResult, content_type_of};

/// How often an event goes out while no records arrive, so the client sees its
/// ContinuationSequenceNumber and MillisBehindLatest move and knows the stream is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(5);

/// How often an idle subscription looks at the engine's clock (its five minutes, a read
/// budget spent for this second) and at its lease.
const TICK: Duration = Duration::from_millis(200);

static STARTING_POSITION: [Member; 3] = [
    Member::optional("SequenceNumber", &SEQUENCE_NUMBER),
    Member::optional("Timestamp", &TIMESTAMP),
    Member::required("Type", &ITERATOR_TYPE),
];
static STARTING_POSITION_SHAPE: Shape = Shape::Structure(&STARTING_POSITION);

pub(crate) static INPUT: [Member; 4] = [
    Member::required("ConsumerARN", &CONSUMER_ARN),
    Member::required("ShardId", &SHARD_ID),
    Member::required("StartingPosition", &STARTING_POSITION_SHAPE),
    Member::optional("StreamId", &STREAM_ID),
];

/// Over a transport that cannot stream the subscription cannot be served.
pub(crate) fn run(
    _engine: &Engine,
    _input: Input<'_>,
    _w: &mut Writer,
    _obs: &mut Observed,
) -> ApiResult {
    Err(ApiError::Engine(EngineError::Internal(
        "SubscribeToShard is served only as an event stream over HTTP.".into(),
    )))
}

/// Starts a subscription: the checks that answer with an error document, then the stream.
pub(crate) fn start(
    engine: &Engine,
    input: &Input<'_>,
    enc: Encoding,
    metrics: Option<&Arc<KinesisMetrics>>,
) -> ApiResult<EventStream> {
    let consumer_arn = input.str("ConsumerARN").unwrap_or_default();
    let shard_id = input.str("ShardId").unwrap_or_default();
    // The schema requires it; this is for the type checker.
    let Some(position) = input.structure("StartingPosition") else {
        return Err(ApiError::invalid("StartingPosition must be provided."));
    };
    let start = iterator_start(position, "Type", "SequenceNumber")?;
    // The consumer's metrics exist once the consumer is known, whatever happens next.
    let series = || {
        let consumer = engine
            .describe_consumer(None, None, Some(consumer_arn))
            .ok()?;
        let stream = consumer.stream_arn.rsplit('/').next()?.to_owned();
        metrics?.consumer(&stream, &consumer.name)
    };
    match engine.subscribe_to_shard(consumer_arn, shard_id, &start) {
        Ok(sub) => {
            let series = series();
            if let Some(s) = &series {
                s.subscribed(engine.now_ms(), true, false);
            }
            let encryption = match engine.describe_encryption(sub.stream_name()) {
                "NONE" => None,
                other => Some(other),
            };
            Ok(EventStream {
                sub,
                enc,
                engine: engine.clone(),
                series,
                encryption,
                phase: Phase::Initial,
                last_sent: Instant::now(),
            })
        }
        Err(e) => {
            if let Some(s) = series() {
                let in_use = e.message().starts_with("Another active subscription");
                s.subscribed(engine.now_ms(), false, in_use);
            }
            Err(e.into())
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Initial,
    FirstEvent,
    Events,
    Done,
}

/// A live subscription's answer: the event-stream messages, one [`Self::next_message`] at
/// a time.
pub struct EventStream {
    sub: Subscription,
    enc: Encoding,
    engine: Engine,
    series: Option<Arc<ConsumerSeries>>,
    encryption: Option<&'static str>,
    phase: Phase,
    last_sent: Instant,
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("subscription", &self.sub)
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}

impl EventStream {
    /// The next message, framed, or `None` once the stream is over. Waits for records
    /// without polling: on the shard's notification, or the heartbeat.
    pub async fn next_message(&mut self) -> Option<Vec<u8>> {
        loop {
            match self.phase {
                Phase::Done => return None,
                Phase::Initial => {
                    self.phase = Phase::FirstEvent;
                    return Some(self.initial_response());
                }
                Phase::FirstEvent | Phase::Events => {}
            }
            match self.sub.state() {
                SubscriptionState::Live => {}
                SubscriptionState::Expired => {
                    self.phase = Phase::Done;
                    return None;
                }
                SubscriptionState::Failed(e) => return Some(self.fail(&e)),
            }
            let event = match self.sub.next_event() {
                Ok(event) => event,
                Err(e) => return Some(self.fail(&e)),
            };
            let due = self.phase == Phase::FirstEvent || self.last_sent.elapsed() >= HEARTBEAT;
            if !event.records.is_empty() || event.child_shards.is_some() || due {
                self.phase = if event.child_shards.is_some() {
                    Phase::Done
                } else {
                    Phase::Events
                };
                self.last_sent = Instant::now();
                return Some(self.event(&event));
            }
            let mut wait = TICK.min(HEARTBEAT.saturating_sub(self.last_sent.elapsed()));
            if !self.sub.caught_up() {
                // The second's read budget is spent: try again when the next one starts.
                let into_second = self.engine.now_ms() % 1000;
                wait = wait.min(Duration::from_millis(1000 - into_second));
            }
            let _ = tokio::time::timeout(wait, self.sub.changed()).await;
        }
    }

    fn content_type(&self) -> &'static str {
        match self.enc {
            Encoding::Json => "application/json",
            other => content_type_of(other),
        }
    }

    fn initial_response(&self) -> Vec<u8> {
        let mut w = Writer::new(self.enc);
        w.begin_map(Some(0));
        w.end_map();
        encode_message(
            &[
                (":event-type", "initial-response"),
                (":content-type", self.content_type()),
                (":message-type", "event"),
            ],
            &w.finish(),
        )
    }

    fn event(&self, e: &SubscriptionEvent) -> Vec<u8> {
        let mut w = Writer::new(self.enc);
        w.reserve(e.bytes as usize * 4 / 3 + e.records.len() * 160 + 256);
        w.begin_map(None);
        w.key("Records");
        w.begin_array(Some(e.records.len()));
        for r in &e.records {
            write_record(&mut w, r, self.encryption);
        }
        w.end_array();
        w.key("ContinuationSequenceNumber");
        w.str(&e.continuation_sequence_number);
        w.key("MillisBehindLatest");
        w.uint(e.millis_behind_latest);
        if let Some(children) = &e.child_shards {
            w.key("ChildShards");
            write_child_shards(&mut w, children);
        }
        w.end_map();
        if let Some(s) = &self.series {
            s.event(self.engine.now_ms(), e);
        }
        encode_message(
            &[
                (":event-type", "SubscribeToShardEvent"),
                (":content-type", self.content_type()),
                (":message-type", "event"),
            ],
            &w.finish(),
        )
    }

    fn fail(&mut self, e: &EngineError) -> Vec<u8> {
        self.phase = Phase::Done;
        if let Some(s) = &self.series {
            s.event_failed(self.engine.now_ms());
        }
        let code = match e {
            EngineError::Internal(_) => "InternalFailureException",
            other => other.code(),
        };
        // The payload is the error document a call would get: the SDKs that read the code
        // from the payload (aws-sdk-rust) and those that read `:exception-type` agree.
        encode_message(
            &[
                (":exception-type", code),
                (":content-type", self.content_type()),
                (":message-type", "exception"),
            ],
            &aws_wire::error_body(self.enc, code, Some(e.message())),
        )
    }
}
