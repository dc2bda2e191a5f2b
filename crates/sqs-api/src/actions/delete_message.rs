//! DeleteMessage: the message a receipt handle was issued for.

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::SqsError;

use crate::Context;
use crate::shapes::{required, write_empty};

pub(crate) static INPUT: [Member; 2] = [
    Member::required("QueueUrl", &Shape::STRING),
    Member::required("ReceiptHandle", &Shape::STRING),
];

pub(crate) async fn run(
    ctx: &Context<'_>,
    input: Input<'_>,
    w: &mut Writer,
) -> Result<(), SqsError> {
    ctx.engine.delete(
        required(&input, "QueueUrl"),
        required(&input, "ReceiptHandle"),
    )?;
    write_empty(w);
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{call, engine, queue};

    #[test]
    fn a_forged_handle_is_404() {
        let (e, _) = engine();
        let url = queue(&e, "q");
        let a = call(
            &e,
            "DeleteMessage",
            json!({"QueueUrl": url, "ReceiptHandle": "forged"}),
        );
        assert_eq!(a.status, 404);
        assert_eq!(
            a.json()["__type"],
            "com.amazonaws.sqs#ReceiptHandleIsInvalid"
        );
        let a = call(&e, "DeleteMessage", json!({"QueueUrl": url}));
        assert_eq!(
            a.json()["message"],
            "The request must contain the parameter ReceiptHandle."
        );
    }
}
