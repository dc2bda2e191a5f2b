//! SQS on the engine's one port, judged by aws-sdk-sqs, and as the place Lambda sends what it
//! gives up on: an event source mapping's on-failure destination, an asynchronous
//! invocation's destinations and a function's dead-letter queue. The AWS/SQS and AWS/Lambda
//! metrics are read back with aws-sdk-cloudwatch.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatch::types::Statistic;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    DeadLetterConfig, DestinationConfig, EventSourcePosition, InvocationType, OnFailure, OnSuccess,
};
use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::{
    MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName,
    SendMessageBatchRequestEntry,
};
use serde_json::Value;

use testkit::Stack;

fn body(m: &aws_sdk_sqs::types::Message) -> Value {
    serde_json::from_str(m.body().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqs_api_as_aws_sdk_sqs_sees_it() {
    let c = Stack::start().await;
    let url = c
        .sqs
        .create_queue()
        .queue_name("orders")
        .attributes(QueueAttributeName::VisibilityTimeout, "1")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    assert_eq!(
        url,
        format!("{}/000000000000/orders", c.server.endpoint()),
        "queue URLs point back at the engine"
    );
    let sent = c
        .sqs
        .send_message()
        .queue_url(&url)
        .message_body("first")
        .message_attributes(
            "source",
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value("test")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        sent.md5_of_message_body(),
        Some(sqs_engine::md5_hex(b"first").as_str())
    );
    let batch = c
        .sqs
        .send_message_batch()
        .queue_url(&url)
        .set_entries(Some(
            (0..3)
                .map(|i| {
                    SendMessageBatchRequestEntry::builder()
                        .id(format!("e{i}"))
                        .message_body(format!("batch {i}"))
                        .build()
                        .unwrap()
                })
                .collect(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(batch.successful().len(), 3);
    assert!(batch.failed().is_empty());

    // A long poll on an empty queue wakes when a message is sent.
    let empty = c.queue("later").await;
    let waiter = {
        let (sqs, url) = (c.sqs.clone(), empty.clone());
        tokio::spawn(async move {
            sqs.receive_message()
                .queue_url(url)
                .wait_time_seconds(20)
                .send()
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked = std::time::Instant::now();
    c.sqs
        .send_message()
        .queue_url(&empty)
        .message_body("wake up")
        .send()
        .await
        .unwrap();
    let woke = waiter.await.unwrap();
    assert_eq!(woke.messages()[0].body(), Some("wake up"));
    assert!(asked.elapsed() < Duration::from_secs(2));

    let got = c
        .sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .message_attribute_names("All")
        .send()
        .await
        .unwrap();
    let messages = got.messages();
    assert_eq!(messages.len(), 4);
    assert_eq!(messages[0].body(), Some("first"));
    assert_eq!(
        messages[0].message_attributes().unwrap()["source"].string_value(),
        Some("test")
    );
    assert_eq!(
        messages[0].md5_of_message_attributes(),
        sent.md5_of_message_attributes()
    );
    let attrs = messages[0].attributes().unwrap();
    assert_eq!(
        attrs[&MessageSystemAttributeName::ApproximateReceiveCount],
        "1"
    );
    let queue_attrs = c.queue_attributes(&url).await;
    assert_eq!(queue_attrs["ApproximateNumberOfMessagesNotVisible"], "4");
    assert_eq!(
        queue_attrs["QueueArn"],
        "arn:aws:sqs:us-east-1:000000000000:orders"
    );
    for m in &messages[1..] {
        c.sqs
            .delete_message()
            .queue_url(&url)
            .receipt_handle(m.receipt_handle().unwrap())
            .send()
            .await
            .unwrap();
    }
    // The first message was not deleted: it is back after its 1 s visibility timeout.
    let again = c.drain(&url, 1).await;
    assert_eq!(again[0].body(), Some("first"));

    // Errors have AWS's codes, matched by the SDK's modelled errors.
    let missing = c
        .sqs
        .get_queue_url()
        .queue_name("missing")
        .send()
        .await
        .unwrap_err();
    assert!(
        missing
            .as_service_error()
            .is_some_and(|e| e.is_queue_does_not_exist()),
        "{missing:?}"
    );
    let bad = c
        .sqs
        .delete_message()
        .queue_url(&url)
        .receipt_handle("forged")
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Some("ReceiptHandleIsInvalid"), "{bad:?}");

    // The AWS/SQS metrics, through the CloudWatch API.
    c.server.sqs().sample();
    let orders = ("QueueName", "orders");
    assert_eq!(
        c.cloudwatch_stat("AWS/SQS", "NumberOfMessagesSent", orders, Statistic::Sum)
            .await,
        4.0
    );
    assert_eq!(
        c.cloudwatch_stat(
            "AWS/SQS",
            "NumberOfMessagesReceived",
            orders,
            Statistic::Sum
        )
        .await,
        5.0
    );
    assert_eq!(
        c.cloudwatch_stat("AWS/SQS", "NumberOfMessagesDeleted", orders, Statistic::Sum)
            .await,
        4.0
    );
    assert_eq!(
        c.cloudwatch_stat(
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            ("QueueName", "orders"),
            Statistic::Maximum
        )
        .await,
        0.0
    );
    assert_eq!(
        c.cloudwatch_stat("AWS/SQS", "SentMessageSize", orders, Statistic::Sum)
            .await,
        // "first" + "source" + "String" + "test", and three "batch N".
        (5 + 6 + 6 + 4 + 3 * 7) as f64
    );
    c.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_sends_what_it_gives_up_on_to_sqs() {
    let c = Stack::start().await;
    let failures = c.queue("stream-failures").await;
    let failures_arn = "arn:aws:sqs:us-east-1:000000000000:stream-failures";

    // A mapping whose poison record exhausts its retries: the batch's metadata goes to SQS.
    c.kinesis
        .create_stream()
        .stream_name("orders")
        .shard_count(1)
        .send()
        .await
        .unwrap();
    let mut seqs = Vec::new();
    for data in ["a", "poison", "c"] {
        let put = c
            .kinesis
            .put_record()
            .stream_name("orders")
            .partition_key("k")
            .data(aws_sdk_kinesis::primitives::Blob::new(data))
            .send()
            .await
            .unwrap();
        seqs.push(put.sequence_number().to_string());
    }
    c.deploy("consumer", "kinesis_function", &[("MODE", "error")])
        .await;
    c.lambda
        .create_event_source_mapping()
        .function_name("consumer")
        .event_source_arn("arn:aws:kinesis:us-east-1:000000000000:stream/orders")
        .starting_position(EventSourcePosition::TrimHorizon)
        .bisect_batch_on_function_error(true)
        .maximum_retry_attempts(0)
        .destination_config(
            DestinationConfig::builder()
                .on_failure(OnFailure::builder().destination(failures_arn).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let got = c.drain(&failures, 1).await;
    assert_eq!(got.len(), 1, "one discarded batch");
    let record = body(&got[0]);
    assert_eq!(
        record["requestContext"]["condition"],
        "RetryAttemptsExhausted"
    );
    assert_eq!(
        record["requestContext"]["functionArn"],
        "arn:aws:lambda:us-east-1:000000000000:function:consumer"
    );
    assert_eq!(record["responseContext"]["functionError"], "Unhandled");
    assert_eq!(record["responseContext"]["statusCode"], 200);
    let info = &record["KinesisBatchInfo"];
    assert_eq!(info["shardId"], "shardId-000000000000");
    assert_eq!(info["startSequenceNumber"], seqs[1].as_str());
    assert_eq!(info["endSequenceNumber"], seqs[1].as_str());
    assert_eq!(info["batchSize"], 1);
    assert_eq!(
        info["streamArn"],
        "arn:aws:kinesis:us-east-1:000000000000:stream/orders"
    );
    assert!(
        info["approximateArrivalOfFirstRecord"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{info}"
    );
    assert_eq!(record["version"], "1.0");

    // Asynchronous invocations: records to the on-success and on-failure destinations, the
    // failed event itself to the dead-letter queue.
    let ok_queue = c.queue("async-ok").await;
    let failed_queue = c.queue("async-failed").await;
    let dlq = c.queue("dlq").await;
    c.deploy("async", "echo_function", &[("MODE", "")]).await;
    c.lambda
        .update_function_configuration()
        .function_name("async")
        .dead_letter_config(
            DeadLetterConfig::builder()
                .target_arn("arn:aws:sqs:us-east-1:000000000000:dlq")
                .build(),
        )
        .send()
        .await
        .unwrap();
    c.lambda
        .put_function_event_invoke_config()
        .function_name("async")
        .maximum_retry_attempts(0)
        .destination_config(
            DestinationConfig::builder()
                .on_success(
                    OnSuccess::builder()
                        .destination("arn:aws:sqs:us-east-1:000000000000:async-ok")
                        .build(),
                )
                .on_failure(
                    OnFailure::builder()
                        .destination("arn:aws:sqs:us-east-1:000000000000:async-failed")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    for action in ["echo", "fail"] {
        c.lambda
            .invoke()
            .function_name("async")
            .invocation_type(InvocationType::Event)
            .payload(Blob::new(format!(r#"{{"action":"{action}"}}"#)))
            .send()
            .await
            .unwrap();
    }
    let ok = body(&c.drain(&ok_queue, 1).await[0]);
    assert_eq!(ok["requestContext"]["condition"], "Success");
    assert_eq!(ok["requestPayload"]["action"], "echo");
    assert_eq!(ok["responsePayload"]["echo"]["action"], "echo");
    assert!(ok["responseContext"].get("functionError").is_none());
    let failed = body(&c.drain(&failed_queue, 1).await[0]);
    assert_eq!(failed["requestContext"]["condition"], "RetriesExhausted");
    assert_eq!(failed["requestContext"]["approximateInvokeCount"], 1);
    assert_eq!(failed["requestPayload"]["action"], "fail");
    assert_eq!(failed["responsePayload"]["errorMessage"], "asked to fail");
    assert_eq!(failed["responseContext"]["functionError"], "Unhandled");
    let dead = c.drain(&dlq, 1).await;
    assert_eq!(dead[0].body(), Some(r#"{"action":"fail"}"#));
    let attrs = dead[0].message_attributes().unwrap();
    assert_eq!(attrs["ErrorMessage"].string_value(), Some("asked to fail"));
    assert_eq!(attrs["ErrorCode"].data_type(), "Number");
    assert_eq!(
        attrs["RequestID"].string_value(),
        Some(failed["requestContext"]["requestId"].as_str().unwrap())
    );

    // Destinations that cannot be reached count as failures.
    c.deploy("lost", "echo_function", &[("MODE", "")]).await;
    c.lambda
        .update_function_configuration()
        .function_name("lost")
        .dead_letter_config(
            DeadLetterConfig::builder()
                .target_arn("arn:aws:sqs:us-east-1:000000000000:no-such-queue")
                .build(),
        )
        .send()
        .await
        .unwrap();
    c.lambda
        .put_function_event_invoke_config()
        .function_name("lost")
        .maximum_retry_attempts(0)
        .destination_config(
            DestinationConfig::builder()
                .on_failure(
                    OnFailure::builder()
                        .destination("arn:aws:sns:us-east-1:000000000000:topic")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    c.lambda
        .invoke()
        .function_name("lost")
        .invocation_type(InvocationType::Event)
        .payload(Blob::new(r#"{"action":"fail"}"#))
        .send()
        .await
        .unwrap();
    let lost = ("FunctionName", "lost");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while c
        .cloudwatch_stat("AWS/Lambda", "DeadLetterErrors", lost, Statistic::Sum)
        .await
        == 0.0
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        c.cloudwatch_stat("AWS/Lambda", "DeadLetterErrors", lost, Statistic::Sum)
            .await,
        1.0
    );
    assert_eq!(
        c.cloudwatch_stat(
            "AWS/Lambda",
            "DestinationDeliveryFailures",
            lost,
            Statistic::Sum
        )
        .await,
        1.0
    );
    assert_eq!(
        c.cloudwatch_stat(
            "AWS/Lambda",
            "DestinationDeliveryFailures",
            ("FunctionName", "consumer"),
            Statistic::Sum
        )
        .await,
        0.0
    );
    assert_eq!(
        c.cloudwatch_stat(
            "AWS/SQS",
            "NumberOfMessagesSent",
            ("QueueName", "dlq"),
            Statistic::Sum
        )
        .await,
        1.0
    );
    c.server.shutdown().await.unwrap();
}

/// An SQS event source mapping: messages arrive in AWS's event shape and are deleted once
/// handled; a function that sends every message back to its own queue runs 16 times in the
/// chain, then Lambda's recursion detection drops the message (RecursiveInvocationsDropped).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sqs_mapping_delivers_messages_and_stops_a_recursive_loop() {
    let c = Stack::start().await;
    let url = c.queue("work").await;
    c.deploy("looper", "sqs_loop_function", &[("QUEUE_URL", &url)])
        .await;
    c.sqs
        .send_message()
        .queue_url(&url)
        .message_body("seed")
        .message_attributes(
            "kind",
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value("first")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let mapping = c
        .lambda
        .create_event_source_mapping()
        .function_name("looper")
        .event_source_arn("arn:aws:sqs:us-east-1:000000000000:work")
        .send()
        .await
        .unwrap();
    assert_eq!(mapping.batch_size(), Some(10));
    assert!(mapping.starting_position().is_none());
    let looper = ("FunctionName", "looper");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while c
        .cloudwatch_stat(
            "AWS/Lambda",
            "RecursiveInvocationsDropped",
            looper,
            Statistic::Sum,
        )
        .await
        == 0.0
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the loop was never stopped"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        c.cloudwatch_stat(
            "AWS/Lambda",
            "RecursiveInvocationsDropped",
            looper,
            Statistic::Sum
        )
        .await,
        1.0
    );
    assert_eq!(
        c.cloudwatch_stat("AWS/Lambda", "Invocations", looper, Statistic::Sum)
            .await,
        f64::from(lambda_engine::recursion::MAX_DEPTH)
    );
    let events: Vec<Value> = c
        .server
        .lambda()
        .logs("looper", 0)
        .unwrap()
        .iter()
        .filter_map(|e| e.message.strip_prefix("EVENT "))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 16);
    let first = &events[0]["Records"][0];
    assert_eq!(first["eventSource"], "aws:sqs");
    assert_eq!(
        first["eventSourceARN"],
        "arn:aws:sqs:us-east-1:000000000000:work"
    );
    assert_eq!(first["body"], "seed");
    assert_eq!(first["md5OfBody"], sqs_engine::md5_hex(b"seed"));
    assert_eq!(first["attributes"]["ApproximateReceiveCount"], "1");
    assert_eq!(first["messageAttributes"]["kind"]["stringValue"], "first");
    assert_eq!(first["messageAttributes"]["kind"]["dataType"], "String");
    assert_eq!(first["awsRegion"], "us-east-1");
    // Later messages were sent by the function itself and carry its trace header.
    let later = events[1]["Records"][0]["attributes"]["AWSTraceHeader"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(later.contains("Lineage="), "{later}");
    // Every message was handled or dropped: the queue is empty.
    let attrs = c.queue_attributes(&url).await;
    assert_eq!(attrs["ApproximateNumberOfMessages"], "0");
    assert_eq!(attrs["ApproximateNumberOfMessagesNotVisible"], "0");
    c.server.shutdown().await.unwrap();
}

/// MaximumRecordAgeInSeconds: records older than the limit (written while the stream's clock
/// ran two minutes behind) are discarded without invoking the function, and their batch's
/// metadata goes to the on-failure destination; a fresh record after them is delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_past_their_maximum_age_go_to_the_destination_unprocessed() {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let clock = std::sync::Arc::new(kinesis_engine::ManualClock::new(now_ms - 120_000));
    let engine = kinesis_engine::Engine::open_with_clock(
        kinesis_engine::EngineConfig {
            transition_delay: Duration::ZERO,
            ..kinesis_engine::EngineConfig::default()
        },
        clock.clone(),
    )
    .unwrap();
    let c = Stack::on(engine).await;
    let expired = c.queue("expired").await;
    c.kinesis
        .create_stream()
        .stream_name("old")
        .shard_count(1)
        .send()
        .await
        .unwrap();
    for data in ["a", "b", "c"] {
        c.kinesis
            .put_record()
            .stream_name("old")
            .partition_key("k")
            .data(aws_sdk_kinesis::primitives::Blob::new(data))
            .send()
            .await
            .unwrap();
    }
    let start = std::time::Instant::now();
    c.deploy("aged", "kinesis_function", &[("MODE", "ok")])
        .await;
    c.lambda
        .create_event_source_mapping()
        .function_name("aged")
        .event_source_arn("arn:aws:kinesis:us-east-1:000000000000:stream/old")
        .starting_position(EventSourcePosition::TrimHorizon)
        .maximum_record_age_in_seconds(60)
        .destination_config(
            DestinationConfig::builder()
                .on_failure(
                    OnFailure::builder()
                        .destination("arn:aws:sqs:us-east-1:000000000000:expired")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let got = c.drain(&expired, 1).await;
    let record = body(&got[0]);
    assert_eq!(record["requestContext"]["condition"], "RecordAgeExceeded");
    assert_eq!(record["requestContext"]["approximateInvokeCount"], 0);
    assert!(record.get("responseContext").is_none(), "{record}");
    assert_eq!(record["KinesisBatchInfo"]["batchSize"], 3);
    // The next record is written 30 s "ago" (the stream's clock moves forward from two
    // minutes behind): young enough to be delivered, and its age shows in IteratorAge.
    clock.set(now_ms + start.elapsed().as_millis() as u64 - 30_000);
    c.kinesis
        .put_record()
        .stream_name("old")
        .partition_key("k")
        .data(aws_sdk_kinesis::primitives::Blob::new("fresh"))
        .send()
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let handled = || -> Vec<String> {
        c.server
            .lambda()
            .logs("aged", 0)
            .unwrap()
            .iter()
            .filter_map(|e| e.message.strip_prefix("OK ").map(str::to_string))
            .collect()
    };
    while handled().is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        handled(),
        ["fresh"],
        "only the fresh record reached the function"
    );
    let age = c.stat(
        "AWS/Lambda",
        "IteratorAge",
        &[("FunctionName", "aged")],
        metric_store::Statistic::Maximum,
    );
    assert!((30_000.0..40_000.0).contains(&age), "IteratorAge {age} ms");
    c.server.shutdown().await.unwrap();
}

/// A RedrivePolicy as SQS keeps it and enforces it (issue 20): checked against its
/// dead-letter queue, written back with a numeric maxReceiveCount, removed by an empty
/// value, and a message received maxReceiveCount times moved to the dead-letter queue with
/// its id at the next receive.
#[tokio::test(flavor = "multi_thread")]
async fn a_redrive_policy_moves_messages_to_the_dead_letter_queue() {
    use aws_sdk_sqs::types::QueueAttributeName;

    let p = testkit::Stack::start().await;
    let dlq_url = p.queue("orders-dlq").await;
    let dlq_arn = p.queue_attributes(&dlq_url).await["QueueArn"].clone();
    let policy = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"2"}}"#);
    let url = p
        .sqs
        .create_queue()
        .queue_name("orders-src")
        .attributes(QueueAttributeName::RedrivePolicy, &policy)
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    assert_eq!(
        p.queue_attributes(&url).await["RedrivePolicy"],
        format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":2}}"#)
    );

    let sent = p
        .sqs
        .send_message()
        .queue_url(&url)
        .message_body("poison")
        .send()
        .await
        .unwrap();
    let receive = |url: String| {
        let sqs = p.sqs.clone();
        async move {
            sqs.receive_message()
                .queue_url(url)
                .visibility_timeout(0)
                .message_system_attribute_names(
                    aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount,
                )
                .send()
                .await
                .unwrap()
                .messages()
                .to_vec()
        }
    };
    for expected in ["1", "2"] {
        let got = receive(url.clone()).await;
        assert_eq!(got.len(), 1);
        let count = got[0]
            .attributes()
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
            })
            .cloned();
        assert_eq!(count.as_deref(), Some(expected));
    }
    assert!(
        receive(url.clone()).await.is_empty(),
        "moved, not received a third time"
    );
    let dead = receive(dlq_url.clone()).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].message_id(), sent.message_id());
    assert_eq!(dead[0].body(), Some("poison"));

    // Redrive back: a move task without a destination returns it to its source queue,
    // received afresh.
    let task = p
        .sqs
        .start_message_move_task()
        .source_arn(&dlq_arn)
        .send()
        .await
        .unwrap();
    assert!(task.task_handle().is_some_and(|h| !h.is_empty()));
    let tasks = p
        .sqs
        .list_message_move_tasks()
        .source_arn(&dlq_arn)
        .send()
        .await
        .unwrap();
    let t = &tasks.results()[0];
    assert_eq!(t.status(), Some("COMPLETED"));
    assert_eq!(t.approximate_number_of_messages_moved(), 1);
    assert_eq!(t.approximate_number_of_messages_to_move(), Some(1));
    assert!(receive(dlq_url.clone()).await.is_empty());
    let back = receive(url.clone()).await;
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].message_id(), sent.message_id());
    let count = back[0]
        .attributes()
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
        })
        .cloned();
    assert_eq!(count.as_deref(), Some("1"), "received afresh");
    let not_a_dlq = p
        .sqs
        .start_message_move_task()
        .source_arn(p.queue_attributes(&url).await["QueueArn"].clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        testkit::message(&not_a_dlq),
        "Source queue must be configured as a Dead Letter Queue."
    );

    // A policy naming a queue that does not exist, or out of range, gets SQS's texts.
    let missing =
        r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:nope","maxReceiveCount":3}"#;
    let err = p
        .sqs
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::RedrivePolicy, missing)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        testkit::message(&err),
        format!(
            "Value {missing} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist."
        )
    );
    let zero = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":0}}"#);
    let err = p
        .sqs
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::RedrivePolicy, &zero)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        testkit::message(&err),
        format!(
            "Value {zero} for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: 0, valid values are from 1 to 1000 both inclusive."
        )
    );
    // The dead-letter queue's RedriveAllowPolicy is respected.
    p.sqs
        .set_queue_attributes()
        .queue_url(&dlq_url)
        .attributes(
            QueueAttributeName::RedriveAllowPolicy,
            r#"{"redrivePermission":"denyAll"}"#,
        )
        .send()
        .await
        .unwrap();
    let other = p
        .sqs
        .create_queue()
        .queue_name("other-src")
        .attributes(QueueAttributeName::RedrivePolicy, &policy)
        .send()
        .await
        .unwrap_err();
    assert!(
        testkit::message(&other).ends_with("RedriveAllowPolicy."),
        "{}",
        testkit::message(&other)
    );
    // An empty value removes the policy; GetQueueAttributes without names returns nothing.
    p.sqs
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::RedrivePolicy, "")
        .send()
        .await
        .unwrap();
    assert!(!p.queue_attributes(&url).await.contains_key("RedrivePolicy"));
    let none = p
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .send()
        .await
        .unwrap();
    assert!(none.attributes().is_none_or(|a| a.is_empty()), "{none:?}");
    assert_eq!(
        p.queue_attributes(&url).await["MaximumMessageSize"],
        "1048576",
        "SQS's default since 2025"
    );
}
