//! Event source mappings from SQS: the queue is polled, up to `BatchSize` messages (gathered
//! for up to `MaximumBatchingWindowInSeconds`) are sent in one event of AWS's shape, and the
//! messages are deleted when the function succeeds. On a function error they stay in the
//! queue and come back after its visibility timeout; with `ReportBatchItemFailures` only the
//! reported messages stay. Messages in a recursive loop are dropped ([`crate::recursion`]).
//!
//! A FIFO queue keeps each message group in order by itself: a receive hands out none of a
//! group while one of its messages is in flight, so no new batch holds a group whose batch is
//! still with the function. A reported failure keeps the rest of its group in the batch too
//! (as AWS does), so the group resumes in order after the failed message's visibility timeout.

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::destinations::QueueMessage;
use crate::esm::{MappingConfig, Running};
use crate::{LambdaEngine, LambdaError, recursion};

/// Whether `arn` names an SQS queue.
pub(crate) fn is_queue(arn: &str) -> bool {
    arn.starts_with("arn:aws:sqs:") && arn.split(':').count() == 6
}

/// Polls the mapping's queue until the mapping is gone.
pub(crate) async fn run(engine: LambdaEngine, running: std::sync::Weak<Running>) {
    loop {
        let Some(r) = running.upgrade() else { return };
        let config = r.mapping.lock().config.clone();
        drop(r);
        let batch = gather(&engine, &config).await;
        if batch.is_empty() {
            tokio::time::sleep(engine.inner.config.poll_interval).await;
            continue;
        }
        deliver(&engine, &running, &config, batch).await;
    }
}

/// Reads up to `BatchSize` messages, waiting up to the batching window for more.
async fn gather(engine: &LambdaEngine, config: &MappingConfig) -> Vec<QueueMessage> {
    let Ok(queues) = engine.queues() else {
        return Vec::new();
    };
    let want = config.batch_size as usize;
    let window = Duration::from_secs(u64::from(config.maximum_batching_window_secs));
    let started = engine.inner.time.stopwatch();
    let mut batch = Vec::new();
    loop {
        match queues.receive(&config.event_source_arn, (want - batch.len()).min(10)) {
            Ok(got) => {
                let empty = got.is_empty();
                batch.extend(got);
                if batch.len() >= want || started.elapsed() >= window || (empty && batch.is_empty())
                {
                    return batch;
                }
            }
            Err(e) => {
                tracing::warn!(queue = config.event_source_arn, error = e, "receive failed");
                return batch;
            }
        }
        tokio::time::sleep(engine.inner.config.poll_interval).await;
    }
}

async fn deliver(
    engine: &LambdaEngine,
    running: &std::sync::Weak<Running>,
    config: &MappingConfig,
    batch: Vec<QueueMessage>,
) {
    let Ok(queues) = engine.queues() else { return };
    let function = crate::versions::split_qualifier(&config.function_name).0;
    let function_arn = engine.function_arn(function);
    // Messages whose chain has run the function enough times already are dropped.
    let mut depth = 0;
    let mut live = Vec::with_capacity(batch.len());
    for m in batch {
        let d = m
            .attributes
            .get("AWSTraceHeader")
            .map_or(0, |t| recursion::depth_in(t, &function_arn));
        if d >= recursion::MAX_DEPTH {
            tracing::warn!(
                function = config.function_name,
                message = m.message_id,
                "recursive loop detected: message dropped"
            );
            engine.inner.metrics.recursive_invocation_dropped(function);
            let _ = queues.delete(&config.event_source_arn, &m.receipt_handle);
            continue;
        }
        depth = depth.max(d);
        live.push(m);
    }
    if live.is_empty() {
        return;
    }
    let payload = event(&live, config, &engine.inner.config.region);
    let outcome = engine
        .invoke_traced(
            &config.function_name,
            Bytes::from(payload.to_string()),
            uuid::Uuid::new_v4().to_string(),
            depth + 1,
        )
        .await;
    let keep: Vec<String> = match outcome {
        Ok(invoked) if invoked.function_error.is_none() => {
            set_result(running, "OK");
            if config.report_batch_item_failures {
                let failed = failed_ids(&invoked.payload, &live);
                if is_fifo(&config.event_source_arn) {
                    with_rest_of_their_groups(failed, &live)
                } else {
                    failed
                }
            } else {
                Vec::new()
            }
        }
        Ok(_) | Err(_) => {
            set_result(running, "PROBLEM: Function call failed");
            if let Err(LambdaError::Throttled { .. }) = outcome {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            // Everything stays; the queue's visibility timeout brings the messages back.
            return;
        }
    };
    for m in &live {
        if !keep.contains(&m.message_id) {
            let _ = queues.delete(&config.event_source_arn, &m.receipt_handle);
        }
    }
}

/// Whether `arn` names a FIFO queue (its name ends in `.fifo`).
pub(crate) fn is_fifo(arn: &str) -> bool {
    arn.ends_with(".fifo")
}

/// The `failed` ids of a FIFO batch and, after the first failed message of each group, every
/// later message of that group: as on AWS they stay in the queue, so the group comes back in
/// order once the failed message's visibility timeout passes (or it moves to the
/// dead-letter queue).
fn with_rest_of_their_groups(failed: Vec<String>, batch: &[QueueMessage]) -> Vec<String> {
    let group = |m: &QueueMessage| m.attributes.get("MessageGroupId").cloned();
    let mut stopped: Vec<Option<String>> = Vec::new();
    let mut keep = Vec::new();
    for m in batch {
        let g = group(m);
        if stopped.contains(&g) || failed.contains(&m.message_id) {
            if !stopped.contains(&g) {
                stopped.push(g);
            }
            keep.push(m.message_id.clone());
        }
    }
    keep
}

/// The message ids a partial batch response reports; an unreadable report keeps them all.
fn failed_ids(payload: &Bytes, batch: &[QueueMessage]) -> Vec<String> {
    let all = || batch.iter().map(|m| m.message_id.clone()).collect();
    let Ok(v) = serde_json::from_slice::<Value>(payload) else {
        return Vec::new();
    };
    match v.get("batchItemFailures") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut ids = Vec::new();
            for item in items {
                match item.get("itemIdentifier").and_then(Value::as_str) {
                    Some(id) if batch.iter().any(|m| m.message_id == id) => {
                        ids.push(id.to_string())
                    }
                    _ => return all(),
                }
            }
            ids
        }
        Some(_) => all(),
    }
}

fn set_result(running: &std::sync::Weak<Running>, result: &str) {
    if let Some(r) = running.upgrade() {
        r.mapping.lock().last_processing_result = result.to_string();
    }
}

/// A message's attributes as the event writes them: `{"name": {"dataType", "stringValue"
/// or "binaryValue" (base64), "stringListValues": [], "binaryListValues": []}}`.
fn message_attributes(m: &QueueMessage) -> Value {
    m.message_attributes
        .iter()
        .map(|(name, a)| {
            let mut v = json!({
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": a.data_type,
            });
            if a.data_type.starts_with("Binary") {
                v["binaryValue"] = base64::engine::general_purpose::STANDARD
                    .encode(&a.value)
                    .into();
            } else {
                v["stringValue"] = String::from_utf8_lossy(&a.value).into();
            }
            (name.clone(), v)
        })
        .collect::<serde_json::Map<String, Value>>()
        .into()
}

/// The SQS event, in AWS's shape.
fn event(batch: &[QueueMessage], config: &MappingConfig, region: &str) -> Value {
    let records: Vec<Value> = batch
        .iter()
        .map(|m| {
            json!({
                "messageId": m.message_id,
                "receiptHandle": m.receipt_handle,
                "body": m.body,
                "attributes": m.attributes,
                "messageAttributes": message_attributes(m),
                "md5OfBody": m.md5_of_body,
                "eventSource": "aws:sqs",
                "eventSourceARN": config.event_source_arn,
                "awsRegion": region,
            })
        })
        .collect();
    json!({ "Records": records })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: &str, group: &str) -> QueueMessage {
        QueueMessage {
            message_id: id.into(),
            receipt_handle: String::new(),
            body: String::new(),
            md5_of_body: String::new(),
            attributes: [("MessageGroupId".to_string(), group.to_string())].into(),
            message_attributes: Default::default(),
        }
    }

    #[test]
    fn a_failure_keeps_the_rest_of_its_group_only() {
        let batch = [
            message("a1", "a"),
            message("b1", "b"),
            message("a2", "a"),
            message("b2", "b"),
            message("a3", "a"),
        ];
        assert_eq!(
            with_rest_of_their_groups(vec!["a2".into()], &batch),
            ["a2", "a3"]
        );
        assert_eq!(
            with_rest_of_their_groups(vec!["b1".into(), "a3".into()], &batch),
            ["b1", "b2", "a3"]
        );
        assert!(with_rest_of_their_groups(Vec::new(), &batch).is_empty());
        assert!(is_fifo("arn:aws:sqs:us-east-1:000000000000:jobs.fifo"));
    }
}
