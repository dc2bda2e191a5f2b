//! SendMessageBatch: up to ten messages; the batch fails whole on its count, ids, total size,
//! queue or the engine's bound on held bytes, and entry by entry on anything else.

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::{SqsError, message_size};

use crate::shapes::{
    ATTRIBUTE_MAP, check_batch, entries, entry_id, outgoing, required, write_batch_result,
};
use crate::{Context, MAX_BATCH_BYTES};

use super::send_message::write_sent;

// Id and MessageBody are required by the model, but an absent Id fails the id check and an
// absent body fails its entry alone, as they always have here.
static ENTRY: [Member; 7] = [
    Member::optional("Id", &Shape::STRING),
    Member::optional("MessageBody", &Shape::STRING),
    Member::optional("DelaySeconds", &Shape::INTEGER),
    Member::optional("MessageAttributes", &ATTRIBUTE_MAP),
    Member::optional("MessageSystemAttributes", &ATTRIBUTE_MAP),
    Member::optional("MessageDeduplicationId", &Shape::STRING),
    Member::optional("MessageGroupId", &Shape::STRING),
];

static ENTRIES: Shape = Shape::List {
    member: &Shape::Structure(&ENTRY),
    min_len: None,
    max_len: None,
    member_str: None,
};

pub(crate) static INPUT: [Member; 2] = [
    Member::required("QueueUrl", &Shape::STRING),
    // Required by the model; absent reads as empty (EmptyBatchRequest).
    Member::optional("Entries", &ENTRIES),
];

pub(crate) async fn run(
    ctx: &Context<'_>,
    input: Input<'_>,
    w: &mut Writer,
) -> Result<(), SqsError> {
    let queue_url = required(&input, "QueueUrl");
    let list = entries(&input, "Entries");
    check_batch(list.iter().map(entry_id), "SendMessageBatchRequestEntry")?;
    let prepared: Vec<_> = list
        .iter()
        .map(|e| (entry_id(e), outgoing(e, ctx.trace_header)))
        .collect();
    let total: usize = prepared
        .iter()
        .filter_map(|(_, m)| m.as_ref().ok())
        .map(message_size)
        .sum();
    if total > MAX_BATCH_BYTES {
        return Err(SqsError::BatchRequestTooLong(MAX_BATCH_BYTES, total));
    }
    // The queue must exist for the batch as a whole, and the engine have room for it all
    // (each send checks again: an entry that no longer fits fails alone).
    ctx.engine.check_queue(queue_url)?;
    ctx.engine.check_batch(
        queue_url,
        prepared.iter().filter_map(|(_, m)| m.as_ref().ok()),
    )?;
    ctx.engine
        .check_room(prepared.iter().filter_map(|(_, m)| m.as_ref().ok()))?;
    let results: Vec<_> = prepared
        .into_iter()
        .map(|(id, m)| (id, m.and_then(|m| ctx.engine.send(queue_url, m))))
        .collect();
    write_batch_result(w, &results, write_sent);
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{call, engine, engine_with, queue};

    #[test]
    fn a_batch_that_does_not_fit_is_refused_whole_as_request_throttled() {
        let one = sqs_engine::MESSAGE_OVERHEAD_BYTES + 1;
        let (e, _) = engine_with(sqs_engine::SqsConfig {
            max_held_bytes: 2 * one,
            ..sqs_engine::SqsConfig::default()
        });
        let url = queue(&e, "q");
        let entries = |ids: &[&str]| -> Vec<serde_json::Value> {
            ids.iter()
                .map(|id| json!({"Id": id, "MessageBody": "x"}))
                .collect()
        };
        let a = call(
            &e,
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": entries(&["a", "b", "c"])}),
        );
        assert_eq!(a.status, 400);
        assert_eq!(a.json()["__type"], "com.amazonaws.sqs#RequestThrottled");
        assert_eq!(a.query_error.as_deref(), Some("RequestThrottled;Sender"));
        assert_eq!(e.held_bytes(), 0, "nothing of a refused batch is stored");
        assert_eq!(e.sends_refused(), 3);
        let a = call(
            &e,
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": entries(&["a", "b"])}),
        );
        assert_eq!(a.json()["Successful"].as_array().map(Vec::len), Some(2));
        let a = call(
            &e,
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": "x"}),
        );
        assert_eq!(a.json()["__type"], "com.amazonaws.sqs#RequestThrottled");
        assert!(
            a.json()["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Request is throttled")),
            "{}",
            a.body
        );
    }

    #[test]
    fn whole_batch_failures() {
        let (e, _) = engine();
        let url = queue(&e, "q");
        let a = call(&e, "SendMessageBatch", json!({"QueueUrl": url}));
        assert_eq!(
            a.json()["message"],
            "There should be at least one SendMessageBatchRequestEntry in the request."
        );
        let a = call(
            &e,
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": [{"MessageBody": "x"}]}),
        );
        assert_eq!(
            a.query_error.as_deref(),
            Some("AWS.SimpleQueueService.InvalidBatchEntryId;Sender")
        );
        let big = "x".repeat(600_000);
        let a = call(
            &e,
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": [{"Id": "a", "MessageBody": big}, {"Id": "b", "MessageBody": big}]}),
        );
        assert_eq!(
            a.json()["message"],
            "Batch requests cannot be longer than 1048576 bytes. You have sent 1200000 bytes."
        );
        let a = call(
            &e,
            "SendMessageBatch",
            json!({"QueueUrl": "nope", "Entries": [{"Id": "a", "MessageBody": "x"}]}),
        );
        assert_eq!(a.json()["__type"], "com.amazonaws.sqs#QueueDoesNotExist");
        let a = call(
            &e,
            "SendMessageBatch",
            json!({"QueueUrl": url, "Entries": [{"Id": "a"}]}),
        );
        assert_eq!(
            a.json(),
            json!({"Successful": [], "Failed": [{
                "Id": "a",
                "SenderFault": true,
                "Code": "MissingParameter",
                "Message": "The request must contain the parameter MessageBody."
            }]})
        );
    }
}
