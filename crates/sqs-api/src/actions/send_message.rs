//! SendMessage: one message, with its attributes and trace header.

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::{Sent, SqsError};

use crate::Context;
use crate::shapes::{ATTRIBUTE_MAP, outgoing, required};

pub(crate) static INPUT: [Member; 7] = [
    Member::required("QueueUrl", &Shape::STRING),
    Member::required("MessageBody", &Shape::STRING),
    Member::optional("DelaySeconds", &Shape::INTEGER),
    Member::optional("MessageAttributes", &ATTRIBUTE_MAP),
    Member::optional("MessageSystemAttributes", &ATTRIBUTE_MAP),
    Member::optional("MessageDeduplicationId", &Shape::STRING),
    Member::optional("MessageGroupId", &Shape::STRING),
];

pub(crate) async fn run(
    ctx: &Context<'_>,
    input: Input<'_>,
    w: &mut Writer,
) -> Result<(), SqsError> {
    let message = outgoing(&input, ctx.trace_header)?;
    let sent = ctx.engine.send(required(&input, "QueueUrl"), message)?;
    w.begin_map(None);
    write_sent(w, &sent);
    w.end_map();
    Ok(())
}

/// The members SendMessage and a successful SendMessageBatch entry share.
pub(crate) fn write_sent(w: &mut Writer, sent: &Sent) {
    w.key("MessageId");
    w.str(&sent.message_id);
    w.key("MD5OfMessageBody");
    w.str(&sent.md5_of_body);
    if let Some(md5) = &sent.md5_of_attributes {
        w.key("MD5OfMessageAttributes");
        w.str(md5);
    }
    if let Some(sequence_number) = &sent.sequence_number {
        w.key("SequenceNumber");
        w.str(sequence_number);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{call, engine, queue};

    #[test]
    fn digests_come_back_and_bad_attributes_are_refused() {
        let (e, _) = engine();
        let url = queue(&e, "q");
        let a = call(
            &e,
            "SendMessage",
            json!({
                "QueueUrl": url,
                "MessageBody": "hi",
                "MessageAttributes": {"b": {"DataType": "Binary", "BinaryValue": "AAE="}}
            }),
        );
        let sent = a.json();
        assert_eq!(sent["MD5OfMessageBody"], sqs_engine::md5_hex(b"hi"));
        assert_eq!(sent["MD5OfMessageAttributes"].as_str().unwrap().len(), 32);
        let a = call(
            &e,
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": "hi", "MessageAttributes": {"s": {"StringValue": "v"}}}),
        );
        assert_eq!(
            a.json(),
            json!({
                "__type": "com.amazonaws.sqs#MissingParameter",
                "message": "The request must contain the parameter DataType."
            })
        );
        let a = call(
            &e,
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": "hi", "DelaySeconds": -1}),
        );
        assert_eq!(
            a.json()["message"],
            "Value -1 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900."
        );
        let a = call(
            &e,
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": "hi", "DelaySeconds": "soon"}),
        );
        assert_eq!(
            a.json()["__type"],
            "com.amazon.coral.service#SerializationException"
        );
    }
}
