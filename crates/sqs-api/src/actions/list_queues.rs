//! ListQueues: queue URLs in name order, by prefix, paged when MaxResults is given.

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::SqsError;

use crate::Context;

pub(crate) static INPUT: [Member; 3] = [
    Member::optional("QueueNamePrefix", &Shape::STRING),
    Member::optional("NextToken", &Shape::STRING),
    Member::optional("MaxResults", &Shape::INTEGER),
];

/// Most URLs one answer holds.
const MAX_RESULTS: usize = 1000;

pub(crate) async fn run(
    ctx: &Context<'_>,
    input: Input<'_>,
    w: &mut Writer,
) -> Result<(), SqsError> {
    let urls: Vec<String> = ctx
        .engine
        .list_queues(input.str("QueueNamePrefix"))
        .iter()
        .map(|u| ctx.client_url(u))
        .collect();
    // The token is the position of the next URL; one that does not parse starts over.
    let start = input
        .str("NextToken")
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(0);
    w.begin_map(None);
    match input.int("MaxResults") {
        Some(max) => {
            let max = max.clamp(1, MAX_RESULTS as i64) as usize;
            let page: Vec<&String> = urls.iter().skip(start).take(max).collect();
            if start + page.len() < urls.len() {
                w.key("NextToken");
                w.str(&(start + page.len()).to_string());
            }
            write_urls(w, page);
        }
        // Without MaxResults SQS returns at most 1,000 queues and no token.
        None => write_urls(w, urls.iter().take(MAX_RESULTS).collect()),
    }
    w.end_map();
    Ok(())
}

/// `QueueUrls`, left out when empty as SQS does.
fn write_urls(w: &mut Writer, urls: Vec<&String>) {
    if urls.is_empty() {
        return;
    }
    w.key("QueueUrls");
    w.begin_array(Some(urls.len()));
    for url in urls {
        w.str(url);
    }
    w.end_array();
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{call, engine, queue};

    #[test]
    fn pages_by_max_results() {
        let (e, _) = engine();
        for name in ["a1", "a2", "a3", "b"] {
            queue(&e, name);
        }
        let a = call(
            &e,
            "ListQueues",
            json!({"QueueNamePrefix": "a", "MaxResults": 2}),
        );
        let page = a.json();
        assert_eq!(page["QueueUrls"].as_array().unwrap().len(), 2);
        assert_eq!(page["NextToken"], "2");
        let a = call(
            &e,
            "ListQueues",
            json!({"QueueNamePrefix": "a", "MaxResults": 2, "NextToken": "2"}),
        );
        assert_eq!(
            a.json(),
            json!({"QueueUrls": ["http://localhost/000000000000/a3"]})
        );
        assert_eq!(
            call(&e, "ListQueues", json!({"QueueNamePrefix": "z"})).body,
            "{}"
        );
    }
}
