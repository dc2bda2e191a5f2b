//! Issue 20 item 1: accounts and regions kept apart, as AWS keeps them. Clients signing for
//! `eu-west-1`, and for account 111122223333 (its id as the access key), see their own
//! streams, queues, metrics and functions, named in ARNs and queue URLs by their account and
//! region, beside the same names in the server's own `us-east-1` and 000000000000; a stream
//! ARN of another region is not found; a mapping in `eu-west-1` reads its own region's
//! stream and its events say so.

use std::time::Duration;

use aws_sdk_cloudwatch::types::{Dimension, Statistic};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_lambda::types::{Environment, EventSourcePosition, FunctionCode, Runtime};
use testkit::{Clients, Stack, clients_for};

const OTHER_ACCOUNT: &str = "111122223333";

async fn put(clients: &Clients, stream: &str, n: usize) {
    for i in 0..n {
        clients
            .kinesis
            .put_record()
            .stream_name(stream)
            .partition_key(format!("k{i}"))
            .data(Blob::new(format!("r{i}")))
            .send()
            .await
            .expect("put record");
    }
}

async fn stream_names(clients: &Clients) -> Vec<String> {
    clients
        .kinesis
        .list_streams()
        .send()
        .await
        .expect("list streams")
        .stream_names
}

async fn incoming_records(clients: &Clients, stream: &str) -> f64 {
    let now = aws_sdk_cloudwatch::primitives::DateTime::from(std::time::SystemTime::now());
    let hour_ago = aws_sdk_cloudwatch::primitives::DateTime::from_secs(now.secs() - 3600);
    let out = clients
        .cloudwatch
        .get_metric_statistics()
        .namespace("AWS/Kinesis")
        .metric_name("IncomingRecords")
        .dimensions(
            Dimension::builder()
                .name("StreamName")
                .value(stream)
                .build(),
        )
        .start_time(hour_ago)
        .end_time(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
            now.secs() + 60,
        ))
        .period(3600)
        .statistics(Statistic::Sum)
        .send()
        .await
        .expect("statistics");
    out.datapoints().iter().filter_map(|d| d.sum).sum::<f64>()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_regions_and_two_accounts_keep_the_same_names_apart() {
    let p = Stack::start().await;
    let endpoint = p.endpoint();
    let home = clients_for(&endpoint, "us-east-1", "AKIDTEST");
    let ireland = clients_for(&endpoint, "eu-west-1", "AKIDTEST");
    let other = clients_for(&endpoint, "us-east-1", OTHER_ACCOUNT);

    for (clients, shards) in [(&home, 1), (&ireland, 2), (&other, 3)] {
        testkit::create_stream(&clients.kinesis, "orders", shards).await;
    }
    put(&home, "orders", 1).await;
    put(&ireland, "orders", 2).await;
    put(&other, "orders", 3).await;

    // Each sees one stream of that name, with its own shards and its own ARN.
    for (clients, shards, arn) in [
        (
            &home,
            1,
            "arn:aws:kinesis:us-east-1:000000000000:stream/orders",
        ),
        (
            &ireland,
            2,
            "arn:aws:kinesis:eu-west-1:000000000000:stream/orders",
        ),
        (
            &other,
            3,
            "arn:aws:kinesis:us-east-1:111122223333:stream/orders",
        ),
    ] {
        assert_eq!(stream_names(clients).await, ["orders"]);
        let summary = clients
            .kinesis
            .describe_stream_summary()
            .stream_name("orders")
            .send()
            .await
            .expect("summary")
            .stream_description_summary
            .expect("a summary");
        assert_eq!(summary.open_shard_count, shards);
        assert_eq!(summary.stream_arn, arn);
        // Each region's metrics count its own puts only.
        assert_eq!(incoming_records(clients, "orders").await, f64::from(shards));
    }
    // A stream only in eu-west-1 is not in us-east-1, and an ARN of another region or
    // account is not found, as on AWS.
    testkit::create_stream(&ireland.kinesis, "only-in-ireland", 1).await;
    assert_eq!(stream_names(&home).await, ["orders"]);
    let cross = home
        .kinesis
        .describe_stream_summary()
        .stream_arn("arn:aws:kinesis:eu-west-1:000000000000:stream/only-in-ireland")
        .send()
        .await
        .expect_err("another region's stream");
    assert_eq!(testkit::code(&cross), "ResourceNotFoundException");

    // Queues: the same name in each, with the account in the URL and ARN.
    for (clients, account, region) in [
        (&home, "000000000000", "us-east-1"),
        (&ireland, "000000000000", "eu-west-1"),
        (&other, OTHER_ACCOUNT, "us-east-1"),
    ] {
        let url = clients
            .sqs
            .create_queue()
            .queue_name("jobs")
            .send()
            .await
            .expect("create queue")
            .queue_url
            .expect("a url");
        assert!(url.ends_with(&format!("/{account}/jobs")), "{url}");
        clients
            .sqs
            .send_message()
            .queue_url(&url)
            .message_body(format!("for {account} in {region}"))
            .send()
            .await
            .expect("send");
        let arn = clients
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("attributes")
            .attributes
            .unwrap_or_default()
            .remove(&aws_sdk_sqs::types::QueueAttributeName::QueueArn);
        assert_eq!(
            arn.as_deref(),
            Some(format!("arn:aws:sqs:{region}:{account}:jobs").as_str())
        );
        let got = clients
            .sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default();
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].body.as_deref(),
            Some(format!("for {account} in {region}").as_str())
        );
    }
    // Log groups too: one created in eu-west-1 is listed there only.
    ireland
        .logs
        .create_log_group()
        .log_group_name("app")
        .send()
        .await
        .expect("create log group");
    let groups = |c: &Clients| {
        let logs = c.logs.clone();
        async move {
            logs.describe_log_groups()
                .log_group_name_prefix("app")
                .send()
                .await
                .expect("describe")
                .log_groups
                .unwrap_or_default()
                .into_iter()
                .filter_map(|g| g.arn)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        groups(&ireland).await,
        ["arn:aws:logs:eu-west-1:000000000000:log-group:app:*"]
    );
    assert!(groups(&home).await.is_empty());
    // The server's own pair is the one its engines in-process see.
    assert_eq!(p.server.engine().list_streams().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mapping_in_another_region_reads_that_regions_stream() {
    let p = Stack::start().await;
    let ireland = clients_for(&p.endpoint(), "eu-west-1", "AKIDTEST");
    testkit::create_stream(&ireland.kinesis, "clicks", 1).await;
    testkit::create_stream(&p.kinesis, "clicks", 1).await;
    let binary = std::fs::read(lambda_test_functions::example_binary("kinesis_function"))
        .expect("the function binary");
    let zip = function_zip::bootstrap_zip(&binary).expect("zips");
    let created = ireland
        .lambda
        .create_function()
        .function_name("reader")
        .runtime(Runtime::Providedal2023)
        .role("arn:aws:iam::000000000000:role/reader")
        .environment(Environment::builder().variables("MODE", "ok").build())
        .code(FunctionCode::builder().zip_file(Blob::new(zip)).build())
        .send()
        .await
        .expect("create function");
    assert_eq!(
        created.function_arn.as_deref(),
        Some("arn:aws:lambda:eu-west-1:000000000000:function:reader")
    );
    ireland
        .lambda
        .create_event_source_mapping()
        .function_name("reader")
        .event_source_arn("arn:aws:kinesis:eu-west-1:000000000000:stream/clicks")
        .starting_position(EventSourcePosition::TrimHorizon)
        .batch_size(10)
        .send()
        .await
        .expect("mapping");
    // The home region has no such function.
    let missing = p
        .lambda
        .get_function()
        .function_name("reader")
        .send()
        .await
        .expect_err("not in us-east-1");
    assert_eq!(testkit::code(&missing), "ResourceNotFoundException");
    put(&ireland, "clicks", 3).await;
    // Records written to the home region's stream of the same name are not delivered.
    p.kinesis
        .put_record()
        .stream_name("clicks")
        .partition_key("home")
        .data(Blob::new("home"))
        .send()
        .await
        .expect("put at home");

    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let events = loop {
        let events: Vec<String> = ireland
            .logs
            .filter_log_events()
            .log_group_name("/aws/lambda/reader")
            .send()
            .await
            .map(|o| {
                o.events
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|e| e.message)
                    .collect()
            })
            .unwrap_or_default();
        let ok = events.iter().filter(|m| m.starts_with("OK ")).count();
        if ok >= 3 || std::time::Instant::now() > deadline {
            break events;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut ok: Vec<&str> = events
        .iter()
        .filter_map(|m| m.trim_end().strip_prefix("OK "))
        .collect();
    ok.sort();
    assert_eq!(ok, ["r0", "r1", "r2"], "{events:?}");
    let event = events
        .iter()
        .find_map(|m| m.strip_prefix("EVENT "))
        .expect("an event line");
    let event: serde_json::Value = serde_json::from_str(event.trim()).expect("JSON");
    assert_eq!(
        event["Records"][0]["eventSourceARN"],
        "arn:aws:kinesis:eu-west-1:000000000000:stream/clicks"
    );
    assert_eq!(event["Records"][0]["awsRegion"], "eu-west-1");
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_sees_each_region_and_account_apart() {
    let p = Stack::start().await;
    let script = r#"
import sys, boto3
def client(service, region, key):
    return boto3.client(service, endpoint_url=sys.argv[1], region_name=region,
                        aws_access_key_id=key, aws_secret_access_key="x")
pairs = [("us-east-1", "AKIDTEST"), ("ap-southeast-2", "AKIDTEST"), ("us-east-1", "444455556666")]
for region, key in pairs:
    client("kinesis", region, key).create_stream(StreamName="same", ShardCount=1)
    client("sqs", region, key).create_queue(QueueName="same")
for region, key in pairs:
    k = client("kinesis", region, key)
    arn = k.describe_stream_summary(StreamName="same")["StreamDescriptionSummary"]["StreamARN"]
    urls = client("sqs", region, key).list_queues()["QueueUrls"]
    print(len(k.list_streams()["StreamNames"]), arn, len(urls), urls[0].rsplit("/", 2)[1])
"#;
    let endpoint = p.endpoint();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(testkit::python())
            .args(["-c", script, &endpoint])
            .output()
            .expect("python runs")
    })
    .await
    .expect("joins");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "1 arn:aws:kinesis:us-east-1:000000000000:stream/same 1 000000000000",
            "1 arn:aws:kinesis:ap-southeast-2:000000000000:stream/same 1 000000000000",
            "1 arn:aws:kinesis:us-east-1:444455556666:stream/same 1 444455556666",
        ]
    );
}
