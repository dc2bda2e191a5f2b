//! SQS FIFO queues (issue 20), judged by aws-sdk-sqs on an engine whose clock the tests move:
//! the queue type's attribute rules and errors, per-group order, groups held while in
//! flight, deduplication within the five-minute window; and a FIFO event source mapping
//! keeping each group's order while its function fails some messages.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use kinesis_engine::{Engine, EngineConfig, ManualClock};
use serde_json::Value;
use testkit::{Stack, code, message};

async fn clocked_stack() -> (Stack, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(testkit::now_ms()));
    let engine = Engine::open_with_clock(EngineConfig::default(), clock.clone()).unwrap();
    (Stack::on(engine).await, clock)
}

async fn fifo_queue(c: &Stack, name: &str, extra: &[(QueueAttributeName, &str)]) -> String {
    let mut create = c
        .sqs
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::FifoQueue, "true");
    for (k, v) in extra {
        create = create.attributes(k.clone(), *v);
    }
    create
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string()
}

async fn send(c: &Stack, url: &str, body: &str, group: &str) -> (String, String) {
    let sent = c
        .sqs
        .send_message()
        .queue_url(url)
        .message_body(body)
        .message_group_id(group)
        .message_deduplication_id(body)
        .send()
        .await
        .unwrap();
    (
        sent.message_id().unwrap().to_string(),
        sent.sequence_number().unwrap().to_string(),
    )
}

async fn receive(c: &Stack, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
    c.sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .receive_request_attempt_id("attempt")
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap()
        .messages()
        .to_vec()
}

fn bodies(got: &[aws_sdk_sqs::types::Message]) -> Vec<&str> {
    got.iter().map(|m| m.body().unwrap_or_default()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn fifo_queues_keep_group_order_and_deduplicate_for_five_minutes() {
    let (c, clock) = clocked_stack().await;
    // The queue type's rules, with SQS's codes and texts.
    let err = c
        .sqs
        .create_queue()
        .queue_name("orders")
        .attributes(QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValue");
    let err = c
        .sqs
        .create_queue()
        .queue_name("plain")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "true")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (code(&err), message(&err)),
        (
            "InvalidAttributeName".into(),
            "Unknown Attribute ContentBasedDeduplication.".into()
        )
    );
    let err = c
        .sqs
        .create_queue()
        .queue_name("plain")
        .attributes(QueueAttributeName::FifoThroughputLimit, "perQueue")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "You can specify the FifoThroughputLimit only when FifoQueue is set to true."
    );
    let url = fifo_queue(&c, "orders.fifo", &[]).await;
    let err = c
        .sqs
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::FifoQueue, "false")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (code(&err), message(&err)),
        (
            "InvalidAttributeValue".into(),
            "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."
                .into()
        )
    );
    let err = c
        .sqs
        .send_message()
        .queue_url(&url)
        .message_body("x")
        .message_deduplication_id("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (code(&err), message(&err)),
        (
            "MissingParameter".into(),
            "The request must contain the parameter MessageGroupId.".into()
        )
    );
    let err = c
        .sqs
        .send_message()
        .queue_url(&url)
        .message_body("x")
        .message_group_id("g")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
    );

    let a1 = send(&c, &url, "a1", "a").await;
    let a2 = send(&c, &url, "a2", "a").await;
    let b1 = send(&c, &url, "b1", "b").await;
    assert!(a1.1 < a2.1 && a2.1 < b1.1, "sequence numbers grow");
    assert_eq!(a1.1.len(), 20);
    // A duplicate is answered as the first send was, and not stored.
    assert_eq!(send(&c, &url, "a1", "a").await, a1);

    let got = receive(&c, &url).await;
    assert_eq!(bodies(&got), ["a1", "a2", "b1"]);
    let attributes = got[0].attributes().unwrap();
    assert_eq!(attributes[&MessageSystemAttributeName::MessageGroupId], "a");
    assert_eq!(
        attributes[&MessageSystemAttributeName::MessageDeduplicationId],
        "a1"
    );
    assert_eq!(
        attributes[&MessageSystemAttributeName::SequenceNumber],
        a1.1
    );
    assert!(receive(&c, &url).await.is_empty(), "both groups in flight");
    c.sqs
        .delete_message()
        .queue_url(&url)
        .receipt_handle(got[2].receipt_handle().unwrap())
        .send()
        .await
        .unwrap();
    send(&c, &url, "b2", "b").await;
    send(&c, &url, "a3", "a").await;
    assert_eq!(
        bodies(&receive(&c, &url).await),
        ["b2"],
        "a is still in flight"
    );

    // Five minutes on, every timeout has passed: group a comes back in order, and a1's
    // deduplication id is free again.
    clock.advance(300_000);
    let again = receive(&c, &url).await;
    assert_eq!(bodies(&again), ["a1", "a2", "b2", "a3"]);
    assert_eq!(
        again[0].attributes().unwrap()[&MessageSystemAttributeName::ApproximateReceiveCount],
        "2"
    );
    let fresh = send(&c, &url, "a1", "a").await;
    assert_ne!(fresh.0, a1.0);
    assert!(fresh.1 > a1.1);
    c.server.shutdown().await.unwrap();
}

/// The `OK <body>` lines the function logged, and the records of each event it got.
fn function_log(c: &Stack, function: &str) -> (Vec<String>, Vec<Value>) {
    let logs = c.server.lambda().logs(function, 0).unwrap();
    let ok = logs
        .iter()
        .filter_map(|e| e.message.strip_prefix("OK "))
        .map(|s| s.trim().to_string())
        .collect();
    let events = logs
        .iter()
        .filter_map(|e| e.message.strip_prefix("EVENT "))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (ok, events)
}

async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !done().await {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn held(c: &Stack, url: &str) -> u64 {
    let a: HashMap<String, String> = c.queue_attributes(url).await;
    a["ApproximateNumberOfMessages"].parse::<u64>().unwrap()
        + a["ApproximateNumberOfMessagesNotVisible"]
            .parse::<u64>()
            .unwrap()
}

/// A FIFO mapping with ReportBatchItemFailures: a failed message keeps the rest of its group
/// in the queue, the group resumes in order once the failed message's visibility timeout
/// passes, and a message that keeps failing takes the rest of its group to the FIFO
/// dead-letter queue with it, in order; other groups go on meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_mapping_keeps_group_order_while_its_function_fails_some_messages() {
    let (c, clock) = clocked_stack().await;
    let dlq = fifo_queue(&c, "jobs-dlq.fifo", &[]).await;
    let dlq_arn = c.queue_attributes(&dlq).await["QueueArn"].clone();
    let policy = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":2}}"#);
    let url = fifo_queue(
        &c,
        "jobs.fifo",
        &[
            (QueueAttributeName::VisibilityTimeout, "30"),
            (QueueAttributeName::RedrivePolicy, &policy),
        ],
    )
    .await;
    for (body, group) in [
        ("a1", "a"),
        ("b1", "b"),
        ("c-poison", "c"),
        ("a-flaky", "a"),
        ("b2", "b"),
        ("c2", "c"),
        ("a3", "a"),
    ] {
        send(&c, &url, body, group).await;
    }
    c.deploy("ordered", "kinesis_function", &[("MODE", "partial")])
        .await;
    c.lambda
        .create_event_source_mapping()
        .function_name("ordered")
        .event_source_arn("arn:aws:sqs:us-east-1:000000000000:jobs.fifo")
        .function_response_types(
            aws_sdk_lambda::types::FunctionResponseType::ReportBatchItemFailures,
        )
        .send()
        .await
        .unwrap();
    // First batch: everything; a-flaky keeps a3, c-poison keeps c2.
    wait_for("the first batch", async || held(&c, &url).await == 4).await;
    let (ok, events) = function_log(&c, "ordered");
    assert_eq!(events.len(), 1);
    assert_eq!(ok, ["a1", "b1", "b2", "c2", "a3"]);
    let first = &events[0]["Records"][0];
    assert_eq!(first["attributes"]["MessageGroupId"], "a");
    assert_eq!(first["attributes"]["MessageDeduplicationId"], "a1");
    assert_eq!(
        first["attributes"]["SequenceNumber"].as_str().map(str::len),
        Some(20)
    );
    // Nothing of groups a and c goes out while they are in flight.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(function_log(&c, "ordered").1.len(), 1);

    clock.advance(30_000);
    wait_for("the second batch", async || held(&c, &url).await == 2).await;
    let (ok, events) = function_log(&c, "ordered");
    assert_eq!(events.len(), 2);
    let second: Vec<&str> = events[1]["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["body"].as_str().unwrap())
        .collect();
    assert_eq!(second, ["c-poison", "a-flaky", "c2", "a3"]);
    assert_eq!(ok[5..], ["a-flaky", "c2", "a3"]);

    // c-poison has been received twice: it and the rest of its group go to the DLQ, in order.
    clock.advance(30_000);
    wait_for("the move to the dead-letter queue", async || {
        held(&c, &url).await == 0 && held(&c, &dlq).await == 2
    })
    .await;
    let dead = receive(&c, &dlq).await;
    assert_eq!(bodies(&dead), ["c-poison", "c2"]);
    assert_eq!(function_log(&c, "ordered").1.len(), 2);
    c.server.shutdown().await.unwrap();
}
