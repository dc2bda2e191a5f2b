//! ReceiveMessage: up to ten messages, long polling up to 20 seconds, with the system and
//! message attributes asked for.

use std::collections::BTreeMap;

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::{AttributeValue, Received, SqsError};

use crate::Context;
use crate::shapes::{STRING_LIST, required, selected};

pub(crate) static INPUT: [Member; 8] = [
    Member::required("QueueUrl", &Shape::STRING),
    // Deprecated for MessageSystemAttributeNames; both are honoured.
    Member::optional("AttributeNames", &STRING_LIST),
    Member::optional("MessageSystemAttributeNames", &STRING_LIST),
    Member::optional("MessageAttributeNames", &STRING_LIST),
    Member::optional("MaxNumberOfMessages", &Shape::INTEGER),
    Member::optional("VisibilityTimeout", &Shape::INTEGER),
    Member::optional("WaitTimeSeconds", &Shape::INTEGER),
    // FIFO only: a retry within five minutes gets the same messages and receipt handles.
    Member::optional("ReceiveRequestAttemptId", &Shape::STRING),
];

pub(crate) async fn run(
    ctx: &Context<'_>,
    input: Input<'_>,
    w: &mut Writer,
) -> Result<(), SqsError> {
    let messages = ctx
        .engine
        .receive_attempt(
            required(&input, "QueueUrl"),
            input.int("MaxNumberOfMessages").unwrap_or(1),
            input.int("VisibilityTimeout"),
            input.int("WaitTimeSeconds"),
            input.str("ReceiveRequestAttemptId"),
        )
        .await?;
    w.begin_map(None);
    if !messages.is_empty() {
        let mut system = input
            .str_list("MessageSystemAttributeNames")
            .unwrap_or_default();
        system.extend(input.str_list("AttributeNames").unwrap_or_default());
        let user = input.str_list("MessageAttributeNames").unwrap_or_default();
        let sender = &ctx.engine.config().account_id;
        w.key("Messages");
        w.begin_array(Some(messages.len()));
        for m in &messages {
            write_message(w, m, &system, &user, sender);
        }
        w.end_array();
    }
    w.end_map();
    Ok(())
}

fn write_message(w: &mut Writer, m: &Received, system: &[&str], user: &[&str], sender: &str) {
    w.begin_map(None);
    w.key("MessageId");
    w.str(&m.message_id);
    w.key("ReceiptHandle");
    w.str(&m.receipt_handle);
    w.key("MD5OfBody");
    w.str(&m.md5_of_body);
    w.key("Body");
    w.str(&m.body);
    let attrs: Vec<(&str, String)> = m
        .system_attributes(sender)
        .into_iter()
        .filter(|(k, _)| selected(system, k))
        .collect();
    if !attrs.is_empty() {
        w.key("Attributes");
        w.begin_dict(Some(attrs.len()));
        for (k, v) in &attrs {
            w.key(k);
            w.str(v);
        }
        w.end_dict();
    }
    let chosen: BTreeMap<String, AttributeValue> = m
        .attributes
        .iter()
        .filter(|(k, _)| selected(user, k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !chosen.is_empty() {
        // The digest covers the attributes returned, as SQS computes it.
        w.key("MD5OfMessageAttributes");
        w.str(&sqs_engine::md5_of_attributes(&chosen));
        w.key("MessageAttributes");
        w.begin_dict(Some(chosen.len()));
        for (name, a) in &chosen {
            w.key(name);
            w.begin_map(Some(2));
            w.key("DataType");
            w.str(&a.data_type);
            if a.is_binary() {
                w.key("BinaryValue");
                w.bytes(&a.value);
            } else {
                w.key("StringValue");
                w.str(&String::from_utf8_lossy(&a.value));
            }
            w.end_map();
        }
        w.end_dict();
    }
    w.end_map();
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{call, engine, queue};

    #[test]
    fn attributes_are_returned_as_asked() {
        let (e, _) = engine();
        let url = queue(&e, "q");
        call(
            &e,
            "SendMessage",
            json!({
                "QueueUrl": url,
                "MessageBody": "m",
                "MessageAttributes": {
                    "a.x": {"DataType": "String", "StringValue": "1"},
                    "b": {"DataType": "Binary", "BinaryValue": "AAE="}
                }
            }),
        );
        let got = call(
            &e,
            "ReceiveMessage",
            json!({
                "QueueUrl": url,
                "MessageSystemAttributeNames": ["ApproximateReceiveCount"],
                "MessageAttributeNames": ["a.*", "b"]
            }),
        )
        .json();
        let m = &got["Messages"][0];
        assert_eq!(m["Body"], "m");
        assert_eq!(m["Attributes"], json!({"ApproximateReceiveCount": "1"}));
        assert_eq!(
            m["MessageAttributes"],
            json!({
                "a.x": {"DataType": "String", "StringValue": "1"},
                "b": {"DataType": "Binary", "BinaryValue": "AAE="}
            })
        );
        let none = call(
            &e,
            "ReceiveMessage",
            json!({"QueueUrl": url, "WaitTimeSeconds": 0}),
        );
        assert_eq!(none.body, "{}");
        let a = call(
            &e,
            "ReceiveMessage",
            json!({"QueueUrl": url, "MaxNumberOfMessages": 0}),
        );
        assert_eq!(
            a.json()["message"],
            "Value 0 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."
        );
    }
}
