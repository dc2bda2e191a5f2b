//! SQS FIFO queues (issue 20), judged by aws-sdk-sqs on an engine whose clock the tests move:
//! the queue type's attribute rules and errors, per-group order, groups held while in
//! flight, deduplication within the five-minute window; a FIFO event source mapping
//! keeping each group's order while its function fails some messages; and the rest of the
//! issue's SQS gaps (attribute-name wildcards, Policy removal, tag and integer checks, queue
//! URLs on the client's host, rate-limited move tasks and their cancellation).

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

/// Up to ten messages, each call a new attempt (a retried attempt gets the same messages).
async fn receive(c: &Stack, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
    static ATTEMPTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = ATTEMPTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    receive_attempt(c, url, &format!("attempt-{n}")).await
}

/// Up to ten messages, as ReceiveRequestAttemptId `attempt`.
async fn receive_attempt(c: &Stack, url: &str, attempt: &str) -> Vec<aws_sdk_sqs::types::Message> {
    c.sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .receive_request_attempt_id(attempt)
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

    let got = receive_attempt(&c, &url, "first").await;
    assert_eq!(bodies(&got), ["a1", "a2", "b1"]);
    // A retry of the attempt gets the same messages with the same receipt handles.
    let handles = |got: &[aws_sdk_sqs::types::Message]| {
        got.iter()
            .map(|m| m.receipt_handle().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        handles(&receive_attempt(&c, &url, "first").await),
        handles(&got)
    );
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
    let err = c
        .lambda
        .create_event_source_mapping()
        .function_name("ordered")
        .event_source_arn("arn:aws:sqs:us-east-1:000000000000:jobs.fifo")
        .maximum_batching_window_in_seconds(5)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "Batching window is not supported for FIFO queues"
    );
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

#[tokio::test(flavor = "multi_thread")]
async fn the_remaining_sqs_gaps_of_issue_20() {
    use aws_sdk_sqs::types::MessageAttributeValue;

    let (c, clock) = clocked_stack().await;
    let url = c.queue("gaps").await;
    // MessageAttributeNames: `prefix.*`, `.*` and `All`.
    let attribute = |v: &str| {
        MessageAttributeValue::builder()
            .data_type("String")
            .string_value(v)
            .build()
            .unwrap()
    };
    c.sqs
        .send_message()
        .queue_url(&url)
        .message_body("m")
        .message_attributes("Custom.A", attribute("1"))
        .message_attributes("Custom.B", attribute("2"))
        .message_attributes("CustomC", attribute("3"))
        .send()
        .await
        .unwrap();
    for (names, expected) in [
        (vec!["Custom.*"], vec!["Custom.A", "Custom.B"]),
        (vec![".*"], vec!["Custom.A", "Custom.B", "CustomC"]),
        (vec!["All"], vec!["Custom.A", "Custom.B", "CustomC"]),
        (vec!["CustomC", "Custom.B"], vec!["Custom.B", "CustomC"]),
    ] {
        let got = c
            .sqs
            .receive_message()
            .queue_url(&url)
            .visibility_timeout(0)
            .set_message_attribute_names(Some(names.iter().map(|n| n.to_string()).collect()))
            .send()
            .await
            .unwrap();
        let mut keys: Vec<&str> = got.messages()[0]
            .message_attributes()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        assert_eq!(keys, expected, "{names:?}");
    }

    // Policy set to "" is removed.
    let policy = r#"{"Version":"2012-10-17","Statement":[]}"#;
    for value in [policy, ""] {
        c.sqs
            .set_queue_attributes()
            .queue_url(&url)
            .attributes(QueueAttributeName::Policy, value)
            .send()
            .await
            .unwrap();
    }
    assert!(!c.queue_attributes(&url).await.contains_key("Policy"));

    // Integer attributes out of range, and tags, get SQS's errors.
    for value in ["-1", "43201", "ten"] {
        let err = c
            .sqs
            .set_queue_attributes()
            .queue_url(&url)
            .attributes(QueueAttributeName::VisibilityTimeout, value)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            (code(&err), message(&err)),
            (
                "InvalidAttributeValue".into(),
                "Invalid value for the parameter VisibilityTimeout.".into()
            )
        );
    }
    let err = c
        .sqs
        .create_queue()
        .queue_name("tagged")
        .tags("k".repeat(129), "v")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "Tag keys must be between 1 and 128 characters in length."
    );
    let mut tag = c.sqs.tag_queue().queue_url(&url);
    for i in 0..51 {
        tag = tag.tags(format!("k{i}"), "v");
    }
    let err = tag.send().await.unwrap_err();
    assert_eq!(
        (code(&err), message(&err)),
        (
            "InvalidParameterValue".into(),
            "Too many tags added for queue gaps.".into()
        )
    );

    // Queue URLs name the host the client called.
    let port = c.endpoint().rsplit(':').next().unwrap().to_string();
    let local = testkit::sqs_client(&format!("http://localhost:{port}"));
    let made = local
        .create_queue()
        .queue_name("by-name")
        .send()
        .await
        .unwrap();
    let expected = format!("http://localhost:{port}/000000000000/by-name");
    assert_eq!(made.queue_url(), Some(expected.as_str()));
    let found = local
        .get_queue_url()
        .queue_name("by-name")
        .send()
        .await
        .unwrap();
    assert_eq!(found.queue_url(), Some(expected.as_str()));
    let listed = local
        .list_queues()
        .queue_name_prefix("by-")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.queue_urls(), std::slice::from_ref(&expected));
    let direct = c
        .sqs
        .get_queue_url()
        .queue_name("by-name")
        .send()
        .await
        .unwrap();
    assert_eq!(
        direct.queue_url(),
        Some(format!("{}/000000000000/by-name", c.endpoint()).as_str())
    );

    // A rate-limited move task runs on the engine's clock and can be cancelled.
    let dlq = c.queue("gaps-dlq").await;
    let dlq_arn = c.queue_attributes(&dlq).await["QueueArn"].clone();
    let src = c
        .sqs
        .create_queue()
        .queue_name("gaps-src")
        .attributes(
            QueueAttributeName::RedrivePolicy,
            format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":1}}"#),
        )
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    for i in 0..3 {
        c.sqs
            .send_message()
            .queue_url(&src)
            .message_body(format!("m{i}"))
            .send()
            .await
            .unwrap();
    }
    for _ in 0..2 {
        c.sqs
            .receive_message()
            .queue_url(&src)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(held(&c, &dlq).await, 3, "all three dead-lettered");
    let handle = c
        .sqs
        .start_message_move_task()
        .source_arn(&dlq_arn)
        .max_number_of_messages_per_second(1)
        .send()
        .await
        .unwrap()
        .task_handle()
        .unwrap()
        .to_string();
    let list = |c: &Stack| {
        let sqs = c.sqs.clone();
        let arn = dlq_arn.clone();
        async move {
            sqs.list_message_move_tasks()
                .source_arn(arn)
                .send()
                .await
                .unwrap()
                .results()[0]
                .clone()
        }
    };
    let running = list(&c).await;
    assert_eq!(running.status(), Some("RUNNING"));
    assert_eq!(running.task_handle(), Some(handle.as_str()));
    clock.advance(1_000);
    let cancelled = c
        .sqs
        .cancel_message_move_task()
        .task_handle(&handle)
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.approximate_number_of_messages_moved(), 1);
    clock.advance(10_000);
    let done = list(&c).await;
    assert_eq!(done.status(), Some("CANCELLED"));
    assert_eq!(done.approximate_number_of_messages_moved(), 1);
    assert_eq!(held(&c, &dlq).await, 2);
    assert_eq!(
        held(&c, &src).await,
        1,
        "the moved one is back in its source"
    );
    let err = c
        .sqs
        .cancel_message_move_task()
        .task_handle("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    c.server.shutdown().await.unwrap();
}
