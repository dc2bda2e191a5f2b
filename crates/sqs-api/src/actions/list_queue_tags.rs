//! ListQueueTags: a queue's tags.

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::SqsError;

use crate::Context;
use crate::shapes::{required, write_string_map};

pub(crate) static INPUT: [Member; 1] = [Member::required("QueueUrl", &Shape::STRING)];

pub(crate) async fn run(
    ctx: &Context<'_>,
    input: Input<'_>,
    w: &mut Writer,
) -> Result<(), SqsError> {
    let tags = ctx.engine.tags(required(&input, "QueueUrl"))?;
    w.begin_map(Some(1));
    w.key("Tags");
    write_string_map(w, tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    w.end_map();
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{call, engine, queue};

    #[test]
    fn tags_are_added_listed_and_removed() {
        let (e, _) = engine();
        let url = queue(&e, "q");
        call(
            &e,
            "TagQueue",
            json!({"QueueUrl": url, "Tags": {"a": "1", "b": "2"}}),
        );
        call(&e, "UntagQueue", json!({"QueueUrl": url, "TagKeys": ["a"]}));
        let a = call(&e, "ListQueueTags", json!({"QueueUrl": url}));
        assert_eq!(a.json(), json!({"Tags": {"b": "2"}}));
    }
}
