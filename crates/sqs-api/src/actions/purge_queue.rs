//! PurgeQueue: every message of a queue, at most once a minute.

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::SqsError;

use crate::Context;
use crate::shapes::{required, write_empty};

pub(crate) static INPUT: [Member; 1] = [Member::required("QueueUrl", &Shape::STRING)];

pub(crate) async fn run(
    ctx: &Context<'_>,
    input: Input<'_>,
    w: &mut Writer,
) -> Result<(), SqsError> {
    ctx.engine.purge(required(&input, "QueueUrl"))?;
    write_empty(w);
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{call, engine, queue};

    #[test]
    fn a_second_purge_within_a_minute_is_403() {
        let (e, clock) = engine();
        let url = queue(&e, "q");
        assert_eq!(call(&e, "PurgeQueue", json!({"QueueUrl": url})).status, 200);
        let a = call(&e, "PurgeQueue", json!({"QueueUrl": url}));
        assert_eq!(a.status, 403);
        assert_eq!(
            a.query_error.as_deref(),
            Some("AWS.SimpleQueueService.PurgeQueueInProgress;Sender")
        );
        clock.advance(60_000);
        assert_eq!(call(&e, "PurgeQueue", json!({"QueueUrl": url})).status, 200);
    }
}
