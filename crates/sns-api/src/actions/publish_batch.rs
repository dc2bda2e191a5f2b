//! PublishBatch: up to ten messages to a topic, each succeeding or failing on its own.

use aws_wire::{Input, Member, Shape, Writer};
use sns_engine::SnsError;

use crate::Context;
use crate::errors::codes;
use crate::shapes::{MESSAGE_ATTRIBUTES, message, required};

static ENTRY: [Member; 7] = [
    Member::required("Id", &Shape::STRING),
    Member::required("Message", &Shape::STRING),
    Member::optional("Subject", &Shape::STRING),
    Member::optional("MessageStructure", &Shape::STRING),
    Member::optional("MessageAttributes", &MESSAGE_ATTRIBUTES),
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
    Member::required("TopicArn", &Shape::STRING),
    Member::required("PublishBatchRequestEntries", &ENTRIES),
];
pub(crate) const HAS_OUTPUT: bool = true;

pub(crate) fn run(ctx: &Context<'_>, input: Input<'_>, w: &mut Writer) -> Result<(), SnsError> {
    let entries = input
        .list("PublishBatchRequestEntries")
        .unwrap_or_default()
        .iter()
        .map(|e| (required(e, "Id").to_owned(), message(e)))
        .collect();
    let results = ctx
        .engine
        .publish_batch(required(&input, "TopicArn"), entries)?;
    let (ok, failed): (Vec<_>, Vec<_>) = results.into_iter().partition(|(_, r)| r.is_ok());
    w.begin_map(Some(2));
    w.key("Successful");
    w.begin_array(Some(ok.len()));
    for (id, result) in &ok {
        w.begin_map(Some(2));
        w.key("Id");
        w.str(id);
        w.key("MessageId");
        w.str(result.as_deref().unwrap_or_default());
        w.end_map();
    }
    w.end_array();
    w.key("Failed");
    w.begin_array(Some(failed.len()));
    for (id, result) in &failed {
        let Err(e) = result else { continue };
        w.begin_map(Some(4));
        w.key("Id");
        w.str(id);
        w.key("Code");
        w.str(codes(e).0);
        w.key("Message");
        w.str(&e.to_string());
        w.key("SenderFault");
        w.bool(true);
        w.end_map();
    }
    w.end_array();
    w.end_map();
    Ok(())
}
