//! DeleteMessageBatch: up to ten receipt handles, each succeeding or failing alone.

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::SqsError;

use crate::Context;
use crate::shapes::{check_batch, entries, entry_id, required, write_batch_result};

// Id is required by the model; an absent one fails the id check, as it always has here.
static ENTRY: [Member; 2] = [
    Member::optional("Id", &Shape::STRING),
    Member::required("ReceiptHandle", &Shape::STRING),
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
    check_batch(list.iter().map(entry_id), "DeleteMessageBatchRequestEntry")?;
    let mut results = Vec::with_capacity(list.len());
    for e in list {
        match ctx.engine.delete(queue_url, required(e, "ReceiptHandle")) {
            Err(SqsError::QueueDoesNotExist) => return Err(SqsError::QueueDoesNotExist),
            result => results.push((entry_id(e), result)),
        }
    }
    write_batch_result(w, &results, |_, ()| {});
    Ok(())
}
