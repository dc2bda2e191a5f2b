//! CreateQueue: a standard queue, or the URL of an existing one with the same attributes.

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::SqsError;

use crate::Context;
use crate::shapes::{STRING_MAP, required, string_map};

pub(crate) static INPUT: [Member; 3] = [
    Member::required("QueueName", &Shape::STRING),
    Member::optional("Attributes", &STRING_MAP),
    Member::optional("tags", &STRING_MAP),
];

pub(crate) async fn run(
    ctx: &Context<'_>,
    input: Input<'_>,
    w: &mut Writer,
) -> Result<(), SqsError> {
    let url = ctx.engine.create_queue(
        required(&input, "QueueName"),
        &string_map(&input, "Attributes"),
        &string_map(&input, "tags"),
    )?;
    w.begin_map(Some(1));
    w.key("QueueUrl");
    w.str(&ctx.client_url(&url));
    w.end_map();
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{call, engine};

    #[test]
    fn creates_once_and_refuses_other_attributes() {
        let (e, _) = engine();
        let body =
            json!({"QueueName": "q", "Attributes": {"DelaySeconds": "5"}, "tags": {"team": "a"}});
        let a = call(&e, "CreateQueue", body.clone());
        assert_eq!(
            a.json(),
            json!({"QueueUrl": "http://localhost/000000000000/q"})
        );
        assert_eq!(call(&e, "CreateQueue", body).status, 200);
        let a = call(
            &e,
            "CreateQueue",
            json!({"QueueName": "q", "Attributes": {"DelaySeconds": "6"}}),
        );
        assert_eq!(a.query_error.as_deref(), Some("QueueAlreadyExists;Sender"));
        assert_eq!(
            a.json()["message"],
            "A queue already exists with the same name and a different value for attribute DelaySeconds"
        );
        let a = call(
            &e,
            "CreateQueue",
            json!({"QueueName": "q2", "Attributes": {"Colour": "red"}}),
        );
        assert_eq!(a.json()["__type"], "com.amazonaws.sqs#InvalidAttributeName");
    }
}
