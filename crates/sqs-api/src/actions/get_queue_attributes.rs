//! GetQueueAttributes: the attributes asked for (all of them for `All`, none without names).

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::SqsError;

use crate::Context;
use crate::shapes::{STRING_LIST, required, string_list, write_string_map};

pub(crate) static INPUT: [Member; 2] = [
    Member::required("QueueUrl", &Shape::STRING),
    Member::optional("AttributeNames", &STRING_LIST),
];

pub(crate) async fn run(
    ctx: &Context<'_>,
    input: Input<'_>,
    w: &mut Writer,
) -> Result<(), SqsError> {
    // Without AttributeNames SQS returns no attributes at all.
    let names = string_list(&input, "AttributeNames");
    let attributes = ctx
        .engine
        .attributes(required(&input, "QueueUrl"), &names)?;
    if attributes.is_empty() {
        w.begin_map(Some(0));
    } else {
        w.begin_map(Some(1));
        w.key("Attributes");
        write_string_map(w, attributes.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }
    w.end_map();
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{call, engine, queue};

    #[test]
    fn named_attributes_and_unknown_names() {
        let (e, _) = engine();
        let url = queue(&e, "q");
        let a = call(
            &e,
            "GetQueueAttributes",
            json!({"QueueUrl": url, "AttributeNames": ["QueueArn", "DelaySeconds"]}),
        );
        assert_eq!(
            a.json(),
            json!({"Attributes": {"DelaySeconds": "0", "QueueArn": "arn:aws:sqs:us-east-1:000000000000:q"}})
        );
        let a = call(
            &e,
            "GetQueueAttributes",
            json!({"QueueUrl": url, "AttributeNames": ["Colour"]}),
        );
        assert_eq!(
            a.json(),
            json!({"__type": "com.amazonaws.sqs#InvalidAttributeName", "message": "Unknown Attribute Colour."})
        );
        let none = call(&e, "GetQueueAttributes", json!({"QueueUrl": url})).json();
        assert_eq!(none, json!({}), "no names, no attributes");
        let all = call(
            &e,
            "GetQueueAttributes",
            json!({"QueueUrl": url, "AttributeNames": ["All"]}),
        )
        .json();
        assert_eq!(all["Attributes"]["VisibilityTimeout"], "30");
    }
}
