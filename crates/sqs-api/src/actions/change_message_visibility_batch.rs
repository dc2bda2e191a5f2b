//! ChangeMessageVisibilityBatch: up to ten visibility changes, each succeeding or failing
//! alone.

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::SqsError;

use crate::Context;
use crate::shapes::{check_batch, entries, entry_id, required, write_batch_result};

// Id is required by the model; an absent one fails the id check, as it always has here.
static ENTRY: [Member; 3] = [
    Member::optional("Id", &Shape::STRING),
    Member::required("ReceiptHandle", &Shape::STRING),
    Member::optional("VisibilityTimeout", &Shape::INTEGER),
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
    check_batch(
        list.iter().map(entry_id),
        "ChangeMessageVisibilityBatchRequestEntry",
    )?;
    let mut results = Vec::with_capacity(list.len());
    for e in list {
        let timeout = e.int("VisibilityTimeout").unwrap_or(0);
        match ctx
            .engine
            .change_visibility(queue_url, required(e, "ReceiptHandle"), timeout)
        {
            Err(SqsError::QueueDoesNotExist) => return Err(SqsError::QueueDoesNotExist),
            result => results.push((entry_id(e), result)),
        }
    }
    write_batch_result(w, &results, |_, ()| {});
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{call, engine, queue};

    #[test]
    fn entries_fail_alone() {
        let (e, _) = engine();
        let url = queue(&e, "q");
        call(
            &e,
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": "m"}),
        );
        let got = call(&e, "ReceiveMessage", json!({"QueueUrl": url})).json();
        let handle = got["Messages"][0]["ReceiptHandle"]
            .as_str()
            .unwrap()
            .to_string();
        let a = call(
            &e,
            "ChangeMessageVisibilityBatch",
            json!({"QueueUrl": url, "Entries": [
                {"Id": "ok", "ReceiptHandle": handle, "VisibilityTimeout": 60},
                {"Id": "bad", "ReceiptHandle": "forged", "VisibilityTimeout": 60}
            ]}),
        );
        let body = a.json();
        assert_eq!(body["Successful"], json!([{"Id": "ok"}]));
        assert_eq!(body["Failed"][0]["Code"], "ReceiptHandleIsInvalid");
        let a = call(
            &e,
            "DeleteMessageBatch",
            json!({"QueueUrl": url, "Entries": [{"Id": "d", "ReceiptHandle": handle}]}),
        );
        assert_eq!(a.json(), json!({"Successful": [{"Id": "d"}], "Failed": []}));
    }
}
