//! CloudWatch Logs ingestion judged by aws-sdk-cloudwatchlogs: groups and streams, their
//! errors, PutLogEvents' rules, paging, retention, tags, and the metrics ingestion makes
//! (EMF documents and AWS/Logs), read back with GetMetricData.

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;

use crate::harness::{Harness, code, message};

fn now_ms() -> i64 {
    testkit::now_ms() as i64
}

fn event(ts: i64, message: &str) -> InputLogEvent {
    InputLogEvent::builder()
        .timestamp(ts)
        .message(message)
        .build()
        .unwrap()
}

async fn group_with_stream(h: &Harness, group: &str, stream: &str) {
    h.logs
        .create_log_group()
        .log_group_name(group)
        .send()
        .await
        .unwrap();
    h.logs
        .create_log_stream()
        .log_group_name(group)
        .log_stream_name(stream)
        .send()
        .await
        .unwrap();
}

/// The Sum of a metric over the last ten minutes, through GetMetricData.
async fn metric_sum(h: &Harness, namespace: &str, name: &str, dims: &[(&str, &str)]) -> f64 {
    let now = now_ms();
    let mut metric = Metric::builder().namespace(namespace).metric_name(name);
    for (k, v) in dims {
        metric = metric.dimensions(Dimension::builder().name(*k).value(*v).build());
    }
    let out = h
        .cloudwatch
        .get_metric_data()
        .metric_data_queries(
            MetricDataQuery::builder()
                .id("m")
                .metric_stat(
                    MetricStat::builder()
                        .metric(metric.build())
                        .period(60)
                        .stat("Sum")
                        .build(),
                )
                .build(),
        )
        .start_time(DateTime::from_millis(now - 600_000))
        .end_time(DateTime::from_millis(now + 120_000))
        .send()
        .await
        .unwrap();
    out.metric_data_results()[0].values().iter().sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn groups_and_streams_live_and_die_with_aws_errors() {
    let h = Harness::start().await;
    let logs = &h.logs;
    group_with_stream(&h, "app/orders", "web-1").await;
    let err = logs
        .create_log_group()
        .log_group_name("app/orders")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceAlreadyExistsException");
    assert_eq!(message(&err), "The specified log group already exists");
    let err = logs
        .create_log_group()
        .log_group_name("a".repeat(513))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    assert_eq!(
        message(&err),
        "Invalid LogGroup or LogStream, both must have length less than or equal to 512."
    );
    let err = logs
        .create_log_group()
        .log_group_name("bad name")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "1 validation error detected: Value 'bad name' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"
    );
    let err = logs
        .create_log_stream()
        .log_group_name("app/orders")
        .log_stream_name("web-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceAlreadyExistsException");
    assert_eq!(message(&err), "The specified log stream already exists");
    let err = logs
        .create_log_stream()
        .log_group_name("nope")
        .log_stream_name("s")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    assert_eq!(message(&err), "The specified log group does not exist.");

    // A new stream shows no event times, as on AWS.
    let out = logs
        .describe_log_streams()
        .log_group_name("app/orders")
        .send()
        .await
        .unwrap();
    let s = &out.log_streams()[0];
    assert_eq!(s.log_stream_name(), Some("web-1"));
    assert_eq!(s.first_event_timestamp(), None);
    assert!(
        s.arn()
            .unwrap()
            .ends_with(":log-group:app/orders:log-stream:web-1")
    );

    // Paging: five groups under a prefix, two at a time.
    for i in 0..5 {
        logs.create_log_group()
            .log_group_name(format!("page/{i}"))
            .send()
            .await
            .unwrap();
    }
    let mut names = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let out = logs
            .describe_log_groups()
            .log_group_name_prefix("page/")
            .limit(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        names.extend(
            out.log_groups()
                .iter()
                .map(|g| g.log_group_name().unwrap().to_string()),
        );
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names, ["page/0", "page/1", "page/2", "page/3", "page/4"]);
    let out = logs
        .describe_log_groups()
        .log_group_name_pattern("GE/3")
        .send()
        .await
        .unwrap();
    assert_eq!(out.log_groups().len(), 1);
    let err = logs
        .describe_log_groups()
        .log_group_name_prefix("page/")
        .log_group_name_pattern("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
    );

    // Streams page too.
    for s in ["a", "b", "c"] {
        logs.create_log_stream()
            .log_group_name("page/0")
            .log_stream_name(s)
            .send()
            .await
            .unwrap();
    }
    let first = logs
        .describe_log_streams()
        .log_group_name("page/0")
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(first.log_streams().len(), 2);
    let rest = logs
        .describe_log_streams()
        .log_group_name("page/0")
        .limit(2)
        .next_token(first.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.log_streams()[0].log_stream_name(), Some("c"));
    assert_eq!(rest.next_token(), None);

    logs.delete_log_stream()
        .log_group_name("app/orders")
        .log_stream_name("web-1")
        .send()
        .await
        .unwrap();
    let err = logs
        .delete_log_stream()
        .log_group_name("app/orders")
        .log_stream_name("web-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(message(&err), "The specified log stream does not exist.");
    logs.delete_log_group()
        .log_group_name("app/orders")
        .send()
        .await
        .unwrap();
    let err = logs
        .delete_log_group()
        .log_group_name("app/orders")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
}

#[tokio::test(flavor = "multi_thread")]
async fn put_log_events_keeps_order_size_and_time_rules() {
    let h = Harness::start().await;
    let logs = &h.logs;
    group_with_stream(&h, "rules", "s").await;
    let now = now_ms();
    let put = |events: Vec<InputLogEvent>| {
        logs.put_log_events()
            .log_group_name("rules")
            .log_stream_name("s")
            .set_log_events(Some(events))
            .send()
    };
    let err = put(vec![event(now, "b"), event(now - 1, "a")])
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    assert_eq!(
        message(&err),
        "Log events in a single PutLogEvents request must be in chronological order."
    );
    // 2 x (600,000 + 26) bytes.
    let big = "x".repeat(600_000);
    let err = put(vec![event(now, &big), event(now, &big)])
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "Upload too large: 1200052 bytes exceeds limit of 1048576"
    );
    let err = put((0..10_001).map(|_| event(now, "x")).collect())
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterException");
    assert!(message(&err).starts_with("1 validation error detected: "));
    assert!(message(&err).ends_with(
        "at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to 10000"
    ));
    let err = put(vec![event(now - 25 * 3_600_000, "a"), event(now, "b")])
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
    );

    // Too old and too new are left out, the rest stored; the token is accepted and ignored.
    let out = logs
        .put_log_events()
        .log_group_name("rules")
        .log_stream_name("s")
        .sequence_token("whatever")
        .log_events(event(now - 15 * 86_400_000, "old"))
        .log_events(event(now - 2000, "first"))
        .log_events(event(now - 1000, "second"))
        .log_events(event(now + 3 * 3_600_000, "future"))
        .send()
        .await
        .unwrap();
    let rejected = out.rejected_log_events_info().unwrap();
    assert_eq!(rejected.too_old_log_event_end_index(), Some(1));
    assert_eq!(rejected.too_new_log_event_start_index(), Some(3));
    assert_eq!(rejected.expired_log_event_end_index(), None);
    assert_eq!(out.next_sequence_token().map(str::len), Some(56));
    let out = put(vec![event(now, "third")]).await.unwrap();
    assert!(out.rejected_log_events_info().is_none());

    let got = logs
        .get_log_events()
        .log_group_name("rules")
        .log_stream_name("s")
        .start_from_head(true)
        .limit(2)
        .send()
        .await
        .unwrap();
    let messages: Vec<&str> = got.events().iter().map(|e| e.message().unwrap()).collect();
    assert_eq!(messages, ["first", "second"]);
    let got = logs
        .get_log_events()
        .log_group_name("rules")
        .log_stream_name("s")
        .next_token(got.next_forward_token().unwrap())
        .send()
        .await
        .unwrap();
    let messages: Vec<&str> = got.events().iter().map(|e| e.message().unwrap()).collect();
    assert_eq!(messages, ["third"]);
    let found = logs
        .filter_log_events()
        .log_group_name("rules")
        .filter_pattern("\"ir\"")
        .send()
        .await
        .unwrap();
    let messages: Vec<&str> = found
        .events()
        .iter()
        .map(|e| e.message().unwrap())
        .collect();
    assert_eq!(messages, ["first", "third"]);
    let streams = logs
        .describe_log_streams()
        .log_group_name("rules")
        .send()
        .await
        .unwrap();
    let s = &streams.log_streams()[0];
    assert_eq!(s.first_event_timestamp(), Some(now - 2000));
    assert_eq!(s.last_event_timestamp(), Some(now));
    let err = logs
        .put_log_events()
        .log_group_name("rules")
        .log_stream_name("missing")
        .log_events(event(now, "x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(message(&err), "The specified log stream does not exist.");
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_takes_only_aws_values_and_tags_go_both_ways() {
    let h = Harness::start().await;
    let logs = &h.logs;
    logs.create_log_group()
        .log_group_name("kept")
        .tags("env", "dev")
        .send()
        .await
        .unwrap();
    for days in [1, 7, 731, 3653] {
        logs.put_retention_policy()
            .log_group_name("kept")
            .retention_in_days(days)
            .send()
            .await
            .unwrap();
    }
    for days in [0, 2, 730, 3654] {
        let err = logs
            .put_retention_policy()
            .log_group_name("kept")
            .retention_in_days(days)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "InvalidParameterException");
        assert_eq!(
            message(&err),
            "Invalid retention value. Valid values are: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]"
        );
    }
    let group =
        |out: aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput| {
            out.log_groups()[0].clone()
        };
    let g = group(
        logs.describe_log_groups()
            .log_group_name_prefix("kept")
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(g.retention_in_days(), Some(3653));
    let arn = g.log_group_arn().unwrap().to_string();
    assert!(arn.ends_with(":log-group:kept"));
    assert_eq!(g.arn(), Some(format!("{arn}:*").as_str()));
    logs.delete_retention_policy()
        .log_group_name("kept")
        .send()
        .await
        .unwrap();
    let g = group(
        logs.describe_log_groups()
            .log_group_name_prefix("kept")
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(g.retention_in_days(), None);
    let err = logs
        .put_retention_policy()
        .log_group_name("missing")
        .retention_in_days(7)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");

    log_group_tag_actions(logs).await;
    logs.tag_resource()
        .resource_arn(&arn)
        .tags("cost", "1")
        .tags("team", "b")
        .send()
        .await
        .unwrap();
    logs.untag_resource()
        .resource_arn(&arn)
        .tag_keys("cost")
        .send()
        .await
        .unwrap();
    let tags = logs
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    let tags = tags.tags().unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(tags["team"], "b");
    let err = logs
        .list_tags_for_resource()
        .resource_arn(arn.replace("kept", "gone"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
}

#[tokio::test(flavor = "multi_thread")]
async fn emf_events_and_ingestion_become_metrics_by_value() {
    let h = Harness::start().await;
    let logs = &h.logs;
    group_with_stream(&h, "/ecs/shop", "task-1").await;
    let now = now_ms();
    let emf = |orders: u32, latency: &str| {
        format!(
            r#"{{"_aws":{{"Timestamp":{now},"CloudWatchMetrics":[{{"Namespace":"Shop","Dimensions":[["Service"]],"Metrics":[{{"Name":"Orders","Unit":"Count"}},{{"Name":"Latency","Unit":"Milliseconds"}}]}}]}},"Service":"cart","Orders":{orders},"Latency":{latency}}}"#
        )
    };
    let with_header = [emf(2, "[10,20]"), emf(3, "30")];
    logs.put_log_events()
        .log_group_name("/ecs/shop")
        .log_stream_name("task-1")
        .log_events(event(now, &with_header[0]))
        .log_events(event(now, &with_header[1]))
        .customize()
        .mutate_request(|req| {
            req.headers_mut().insert("x-amzn-logs-format", "json/emf");
        })
        .send()
        .await
        .unwrap();
    // Without the header, a message with `_aws` is EMF all the same; a plain line is not.
    let without = emf(5, "40");
    logs.put_log_events()
        .log_group_name("/ecs/shop")
        .log_stream_name("task-1")
        .log_events(event(now, &without))
        .log_events(event(now, "plain line"))
        .send()
        .await
        .unwrap();
    let cart = [("Service", "cart")];
    assert_eq!(metric_sum(&h, "Shop", "Orders", &cart).await, 10.0);
    assert_eq!(metric_sum(&h, "Shop", "Latency", &cart).await, 100.0);
    let bytes = (with_header[0].len() + with_header[1].len() + without.len() + 10) as f64;
    let group = [("LogGroupName", "/ecs/shop")];
    assert_eq!(
        metric_sum(&h, "AWS/Logs", "IncomingBytes", &group).await,
        bytes
    );
    assert_eq!(
        metric_sum(&h, "AWS/Logs", "IncomingLogEvents", &group).await,
        4.0
    );
    assert_eq!(
        metric_sum(&h, "AWS/Logs", "IncomingBytes", &[]).await,
        bytes
    );
    assert_eq!(
        metric_sum(&h, "AWS/Logs", "IncomingLogEvents", &[]).await,
        4.0
    );
    // The events are there to read too.
    let got = logs
        .filter_log_events()
        .log_group_name("/ecs/shop")
        .filter_pattern("plain")
        .send()
        .await
        .unwrap();
    assert_eq!(got.events().len(), 1);
}

/// TagLogGroup, UntagLogGroup and ListTagsLogGroup, which AWS deprecated and still serves.
#[allow(deprecated)]
async fn log_group_tag_actions(logs: &aws_sdk_cloudwatchlogs::Client) {
    logs.tag_log_group()
        .log_group_name("kept")
        .tags("team", "a")
        .send()
        .await
        .unwrap();
    logs.untag_log_group()
        .log_group_name("kept")
        .tags("env")
        .send()
        .await
        .unwrap();
    let tags = logs
        .list_tags_log_group()
        .log_group_name("kept")
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().unwrap().len(), 1);
    assert_eq!(tags.tags().unwrap()["team"], "a");
}

/// `--max-log-group-events` bounds what a group keeps: the oldest event goes, and
/// `/metrics` counts it.
#[tokio::test(flavor = "multi_thread")]
async fn a_group_keeps_its_bound_and_metrics_count_the_dropped() {
    let server = streamwatch_server::start_with_bounds(
        "127.0.0.1:0".parse().unwrap(),
        kinesis_engine::Engine::open(testkit::engine_config()).unwrap(),
        std::sync::Arc::new(metric_store::Store::new()),
        streamwatch_server::FrontDoorConfig::default(),
        &streamwatch_server::Bounds {
            max_log_group_events: 2,
            ..streamwatch_server::Bounds::default()
        },
    )
    .await
    .unwrap();
    let h = Harness::at(server);
    group_with_stream(&h, "small", "s").await;
    let now = now_ms();
    h.logs
        .put_log_events()
        .log_group_name("small")
        .log_stream_name("s")
        .log_events(event(now - 2, "one"))
        .log_events(event(now - 1, "two"))
        .log_events(event(now, "three"))
        .send()
        .await
        .unwrap();
    let got = h
        .logs
        .get_log_events()
        .log_group_name("small")
        .log_stream_name("s")
        .start_from_head(true)
        .send()
        .await
        .unwrap();
    let messages: Vec<&str> = got.events().iter().map(|e| e.message().unwrap()).collect();
    assert_eq!(messages, ["two", "three"]);
    let page = crate::collect_config::http_get(&h.server.addr().to_string(), "/metrics");
    assert!(
        page.lines()
            .any(|l| l == "streamwatch_logs_events_dropped_total 1"),
        "{page}"
    );
}

/// Deletion protection, set at creation or with PutLogGroupDeletionProtection, refuses
/// DeleteLogGroup with AWS's ValidationException until it is turned off.
#[tokio::test(flavor = "multi_thread")]
async fn a_protected_group_is_not_deleted() {
    let h = Harness::start().await;
    let logs = &h.logs;
    logs.create_log_group()
        .log_group_name("guarded")
        .deletion_protection_enabled(true)
        .send()
        .await
        .unwrap();
    let refused = |err| {
        assert_eq!(code(&err), "ValidationException");
        assert_eq!(
            message(&err),
            "Cannot delete log group with deletion protection enabled. Disable deletion protection first."
        );
    };
    refused(
        logs.delete_log_group()
            .log_group_name("guarded")
            .send()
            .await
            .unwrap_err(),
    );
    let described = logs.describe_log_groups().send().await.unwrap();
    assert_eq!(
        described.log_groups()[0].deletion_protection_enabled(),
        Some(true)
    );
    logs.put_log_group_deletion_protection()
        .log_group_identifier("guarded")
        .deletion_protection_enabled(false)
        .send()
        .await
        .unwrap();
    logs.delete_log_group()
        .log_group_name("guarded")
        .send()
        .await
        .unwrap();
    // Turned on later, by ARN, it guards as well.
    logs.create_log_group()
        .log_group_name("later")
        .send()
        .await
        .unwrap();
    logs.put_log_group_deletion_protection()
        .log_group_identifier("arn:aws:logs:us-east-1:000000000000:log-group:later")
        .deletion_protection_enabled(true)
        .send()
        .await
        .unwrap();
    refused(
        logs.delete_log_group()
            .log_group_name("later")
            .send()
            .await
            .unwrap_err(),
    );
    let err = logs
        .put_log_group_deletion_protection()
        .log_group_identifier("missing")
        .deletion_protection_enabled(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
}
