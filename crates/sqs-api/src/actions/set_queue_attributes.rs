//! SetQueueAttributes: all the attributes given, or none.

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::SqsError;

use crate::Context;
use crate::shapes::{STRING_MAP, required, string_map, write_empty};

pub(crate) static INPUT: [Member; 2] = [
    Member::required("QueueUrl", &Shape::STRING),
    // Required by the model; an absent map has always been read as empty here.
    Member::optional("Attributes", &STRING_MAP),
];

pub(crate) async fn run(
    ctx: &Context<'_>,
    input: Input<'_>,
    w: &mut Writer,
) -> Result<(), SqsError> {
    ctx.engine.set_attributes(
        required(&input, "QueueUrl"),
        &string_map(&input, "Attributes"),
    )?;
    write_empty(w);
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{call, engine, queue};

    #[test]
    fn out_of_range_values_are_invalid_attribute_values() {
        let (e, _) = engine();
        let url = queue(&e, "q");
        let a = call(
            &e,
            "SetQueueAttributes",
            json!({"QueueUrl": url, "Attributes": {"VisibilityTimeout": "43201"}}),
        );
        assert_eq!(
            a.json(),
            json!({
                "__type": "com.amazonaws.sqs#InvalidAttributeValue",
                "message": "Invalid value for the parameter VisibilityTimeout."
            })
        );
        let a = call(
            &e,
            "SetQueueAttributes",
            json!({"QueueUrl": url, "Attributes": {"VisibilityTimeout": "7"}}),
        );
        assert_eq!(a.body, "{}");
    }
}
