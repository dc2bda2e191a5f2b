//! One module per SQS operation: its input schema and the function that runs it.

use aws_wire::{Encoding, Value, Writer};
use sqs_engine::SqsError;

use crate::{ApiError, Context};

mod cancel_message_move_task;
mod change_message_visibility;
mod change_message_visibility_batch;
mod create_queue;
mod delete_message;
mod delete_message_batch;
mod delete_queue;
mod get_queue_attributes;
mod get_queue_url;
mod list_message_move_tasks;
mod list_queue_tags;
mod list_queues;
mod purge_queue;
mod receive_message;
mod send_message;
mod send_message_batch;
mod set_queue_attributes;
mod start_message_move_task;
mod tag_queue;
mod untag_queue;

macro_rules! operations {
    ($($variant:ident => $module:ident;)*) => {
        aws_wire::operation_table! { "SQS"; $($variant => $module;)* }

        /// Decodes and checks `body` against the operation's schema and runs it, writing its
        /// output into `w`.
        pub(crate) async fn run(
            op: Operation,
            ctx: &Context<'_>,
            body: &[u8],
            w: &mut Writer,
        ) -> Result<(), ApiError> {
            // SQS reads an empty body as a request without members.
            let value = if body.is_empty() {
                Value::Map(Vec::new())
            } else {
                aws_wire::decode(Encoding::Json, body)?
            };
            run_value(op, ctx, value, Encoding::Json, w).await
        }

        /// Checks `value` (decoded from a body in `encoding`, with the JSON protocol's member
        /// names) against the operation's schema and runs it, writing its output into `w`.
        pub(crate) async fn run_value(
            op: Operation,
            ctx: &Context<'_>,
            value: Value<'_>,
            encoding: Encoding,
            w: &mut Writer,
        ) -> Result<(), ApiError> {
            if let Some(name) = aws_wire::first_missing(&value, op.schema()) {
                return Err(SqsError::MissingParameter(name.to_string()).into());
            }
            let input = aws_wire::validate(value, op.schema(), encoding)?;
            match op {
                $(Operation::$variant => $module::run(ctx, input, w).await?,)*
            }
            Ok(())
        }
    };
}

operations! {
    CancelMessageMoveTask => cancel_message_move_task;
    ChangeMessageVisibility => change_message_visibility;
    ChangeMessageVisibilityBatch => change_message_visibility_batch;
    CreateQueue => create_queue;
    DeleteMessage => delete_message;
    DeleteMessageBatch => delete_message_batch;
    DeleteQueue => delete_queue;
    GetQueueAttributes => get_queue_attributes;
    GetQueueUrl => get_queue_url;
    ListMessageMoveTasks => list_message_move_tasks;
    ListQueueTags => list_queue_tags;
    ListQueues => list_queues;
    PurgeQueue => purge_queue;
    ReceiveMessage => receive_message;
    SendMessage => send_message;
    SendMessageBatch => send_message_batch;
    SetQueueAttributes => set_queue_attributes;
    StartMessageMoveTask => start_message_move_task;
    TagQueue => tag_queue;
    UntagQueue => untag_queue;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for op in Operation::ALL {
            assert_eq!(Operation::from_name(op.name()), Some(*op));
        }
        assert_eq!(Operation::from_name("sendMessage"), None);
    }
}
