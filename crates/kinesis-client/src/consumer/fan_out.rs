//! Enhanced fan-out: the stream consumer registered and waited for until ACTIVE, and a
//! reader that holds a SubscribeToShard subscription per shard, renewing it from where the
//! last one stopped.

use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::DateTime;
use aws_sdk_kinesis::types::{
    ConsumerStatus, ShardIteratorType, StartingPosition as SdkStartingPosition,
    SubscribeToShardEventStream,
};

use crate::error::{ClientError, error_type};
use crate::metrics::names;

use super::reader::{Position, Reader, retry_delay};
use super::*;

/// How long a registered consumer may take to become ACTIVE (AWS takes seconds).
const ACTIVE_WITHIN: Duration = Duration::from_secs(60);

/// The ARN of the stream consumer `consumer_name` of `stream_name`, registering it if it
/// does not exist and waiting until it is ACTIVE.
pub(super) async fn active_consumer_arn(
    client: &Client,
    stream_name: &str,
    consumer_name: &str,
) -> Result<String, ClientError> {
    let service = |operation: &'static str| {
        move |message: String| ClientError::Service { operation, message }
    };
    let summary = client
        .describe_stream_summary()
        .stream_name(stream_name)
        .send()
        .await
        .map_err(|e| error_type(&e))
        .map_err(service("DescribeStreamSummary"))?;
    let stream_arn = summary
        .stream_description_summary()
        .map(|s| s.stream_arn().to_string())
        .ok_or_else(|| service("DescribeStreamSummary")("no StreamDescriptionSummary".into()))?;
    let registered = client
        .register_stream_consumer()
        .stream_arn(&stream_arn)
        .consumer_name(consumer_name)
        .send()
        .await;
    match registered {
        Ok(_) => tracing::info!(
            stream = stream_name,
            consumer = consumer_name,
            "registered the stream consumer"
        ),
        // Already registered (by us earlier, or by another worker of the group).
        Err(e) if error_type(&e) == "ResourceInUseException" => {}
        Err(e) => return Err(service("RegisterStreamConsumer")(error_type(&e))),
    }
    let deadline = Instant::now() + ACTIVE_WITHIN;
    loop {
        let described = client
            .describe_stream_consumer()
            .stream_arn(&stream_arn)
            .consumer_name(consumer_name)
            .send()
            .await
            .map_err(|e| error_type(&e))
            .map_err(service("DescribeStreamConsumer"))?;
        if let Some(c) = described.consumer_description()
            && c.consumer_status() == &ConsumerStatus::Active
        {
            return Ok(c.consumer_arn().to_string());
        }
        if Instant::now() >= deadline {
            return Err(service("DescribeStreamConsumer")(format!(
                "consumer {consumer_name} not ACTIVE within {ACTIVE_WITHIN:?}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

impl Reader {
    /// Reads the shard through subscriptions of `consumer_arn`, each renewed from the last
    /// record delivered (or the last continuation sequence number when none was), until the
    /// shard's end.
    pub(super) async fn run_fan_out(&self, consumer_arn: &str, mut position: Position) {
        let l = [
            (labels::STREAM_NAME, self.stream_name.as_str()),
            (labels::SHARD_ID, self.shard_id.as_str()),
        ];
        let mut failures = 0u32;
        loop {
            if self.stop.load(Ordering::Relaxed) || self.tx.is_closed() {
                return;
            }
            let subscribed = self
                .client
                .subscribe_to_shard()
                .consumer_arn(consumer_arn)
                .shard_id(&self.shard_id)
                .starting_position(starting_position(&position))
                .send()
                .await;
            let mut events = match subscribed {
                Ok(out) => out.event_stream,
                Err(e) => {
                    let code = error_type(&e);
                    self.count_error(&code);
                    if code == "ResourceNotFoundException" {
                        let _ = self
                            .tx
                            .send(Item::Failed(ClientError::Service {
                                operation: "SubscribeToShard",
                                message: code,
                            }))
                            .await;
                        return;
                    }
                    // ResourceInUseException: the last holder's subscription (ours before a
                    // lease moved, or a dropped connection's) has not ended yet. Throttles
                    // and outages: wait likewise.
                    failures += 1;
                    tokio::time::sleep(retry_delay(failures)).await;
                    continue;
                }
            };
            loop {
                let event = match events.recv().await {
                    Ok(Some(SubscribeToShardEventStream::SubscribeToShardEvent(event))) => event,
                    Ok(Some(_)) => continue,
                    // The subscription's five minutes are over: renew it.
                    Ok(None) => break,
                    Err(e) => {
                        let code = error_type(&e);
                        tracing::debug!(shard = %self.shard_id, error = %code, "subscription failed");
                        self.count_error(&code);
                        failures += 1;
                        tokio::time::sleep(retry_delay(failures)).await;
                        break;
                    }
                };
                failures = 0;
                let behind = event.millis_behind_latest();
                if self.metrics.enabled() {
                    self.metrics.gauge(
                        names::CONSUMER_ITERATOR_AGE_MILLISECONDS,
                        behind as f64,
                        &l,
                    );
                }
                let records = event.records();
                if self.deliver(records, behind, &mut position).await.is_none() {
                    return;
                }
                let continuation = event.continuation_sequence_number();
                // An empty event still moves the position on, so a renewal after a quiet
                // spell does not start from LATEST again and miss what arrived in between.
                if records.is_empty() && !continuation.is_empty() {
                    position = Position::At(continuation.to_string(), None);
                }
                // ChildShards come only in the last event of a closed shard read to its end
                // (AWS then leaves ContinuationSequenceNumber out; an engine may still send it).
                if !event.child_shards().is_empty() {
                    let _ = self.tx.send(Item::ShardEnd(self.shard_id.clone())).await;
                    return;
                }
            }
        }
    }
}

/// A subscription's StartingPosition for `position`. A position inside a KPL aggregate
/// starts at the aggregate, whose processed user records `deliver` skips.
fn starting_position(position: &Position) -> SdkStartingPosition {
    let (kind, sequence, timestamp) = match position {
        Position::TrimHorizon => (ShardIteratorType::TrimHorizon, None, None),
        Position::Latest => (ShardIteratorType::Latest, None, None),
        Position::AtTimestamp(t) => (
            ShardIteratorType::AtTimestamp,
            None,
            Some(DateTime::from(*t)),
        ),
        Position::AtRecord(seq) | Position::At(seq, Some(_)) => {
            (ShardIteratorType::AtSequenceNumber, Some(seq.clone()), None)
        }
        Position::At(seq, None) => (
            ShardIteratorType::AfterSequenceNumber,
            Some(seq.clone()),
            None,
        ),
    };
    SdkStartingPosition::builder()
        .r#type(kind)
        .set_sequence_number(sequence)
        .set_timestamp(timestamp)
        .build()
        .expect("the type is always set")
}
