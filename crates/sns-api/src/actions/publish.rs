//! Publish: one message to a topic (`TopicArn`, or `TargetArn` naming a topic).

use aws_wire::{Input, Member, Shape, Writer};
use sns_engine::SnsError;

use crate::Context;
use crate::shapes::{MESSAGE_ATTRIBUTES, message};

pub(crate) static INPUT: [Member; 9] = [
    Member::optional("TopicArn", &Shape::STRING),
    Member::optional("TargetArn", &Shape::STRING),
    Member::optional("PhoneNumber", &Shape::STRING),
    Member::required("Message", &Shape::STRING),
    Member::optional("Subject", &Shape::STRING),
    Member::optional("MessageStructure", &Shape::STRING),
    Member::optional("MessageAttributes", &MESSAGE_ATTRIBUTES),
    Member::optional("MessageDeduplicationId", &Shape::STRING),
    Member::optional("MessageGroupId", &Shape::STRING),
];
pub(crate) const HAS_OUTPUT: bool = true;

pub(crate) fn run(ctx: &Context<'_>, input: Input<'_>, w: &mut Writer) -> Result<(), SnsError> {
    if input.has("PhoneNumber") {
        // Our text: SMS is not served.
        return Err(SnsError::InvalidParameter(
            "Invalid parameter: PhoneNumber Reason: SMS is not served by this engine".into(),
        ));
    }
    let target = match (input.str("TopicArn"), input.str("TargetArn")) {
        (Some(t), None) | (None, Some(t)) => t,
        (Some(_), Some(_)) => {
            return Err(SnsError::InvalidParameter(
                "Invalid parameter: TopicArn or TargetArn Reason: Both TopicArn and TargetArn specified. Use only one or the other".into(),
            ));
        }
        (None, None) => {
            return Err(SnsError::InvalidParameter(
                "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter"
                    .into(),
            ));
        }
    };
    let id = ctx.engine.publish_message(target, message(&input))?;
    w.begin_map(Some(1));
    w.key("MessageId");
    w.str(&id);
    w.end_map();
    Ok(())
}
