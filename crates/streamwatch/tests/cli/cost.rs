//! `streamwatch cost` (the real binary) against the engine: enhanced fan-out consumers,
//! queues, alarms, dashboards, custom metrics, the collection's requests, data transfer out,
//! provisioned concurrency and a price file override, each figure checked by hand.

use std::process::Command;
use std::time::Duration;

use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricDataQuery, MetricDatum, MetricStat, Statistic,
};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::ShardIteratorType;
use serde_json::Value;
use testkit::Stack;

const GB: f64 = 1_073_741_824.0;

/// Runs `streamwatch cost --json` against `endpoint` with `extra` flags.
fn cost_json(endpoint: &str, extra: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["cost", "--endpoint", endpoint, "--window", "5m", "--json"])
        .args(extra)
        .output()
        .expect("streamwatch runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// The line of `resource` and `component`.
fn line<'a>(json: &'a Value, resource: &str, component: &str) -> &'a Value {
    json["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["resource"] == resource && l["component"] == component)
        .unwrap_or_else(|| panic!("no {resource} {component} line in {json:#}"))
}

fn quantity(json: &Value, resource: &str, component: &str) -> f64 {
    line(json, resource, component)["quantity"]
        .as_f64()
        .expect("a number")
}

/// The Sum of a metric with exactly these dimensions over the last ten minutes.
async fn sum(
    cw: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    metric: &str,
    dims: &[(&str, &str)],
) -> f64 {
    let now = std::time::SystemTime::now();
    let mut req = cw
        .get_metric_statistics()
        .namespace(namespace)
        .metric_name(metric)
        .start_time((now - Duration::from_secs(600)).into())
        .end_time((now + Duration::from_secs(60)).into())
        .period(60)
        .statistics(Statistic::Sum);
    for (name, value) in dims {
        req = req.dimensions(Dimension::builder().name(*name).value(*value).build());
    }
    let resp = req.send().await.expect("GetMetricStatistics");
    resp.datapoints()
        .iter()
        .map(|d| d.sum().unwrap_or(0.0))
        .sum()
}

fn close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= 1e-12 + expected.abs() * 1e-9,
        "{actual} != {expected}"
    );
}

/// A stream of 2 shards with one registered enhanced fan-out consumer, read with
/// GetRecords; a queue with 2 messages of 100,000 bytes sent, received and deleted and one
/// empty receive; a standard, a high-resolution, a metric math (2 metrics) and a composite
/// alarm; 4 dashboards; 2 custom metrics. Over a 5-minute window (5/60 h, 5/43,800 of a
/// month):
///
/// - consumer-shard-hours 2 x 5/60; its data retrieved 0 (no SubscribeToShard), noted;
/// - the queue's requests: 100,000 bytes are 2 chunks of 64 KB, so (2 sent + 2 received) x 2
///   + 2 deleted + 1 empty receive = 11;
/// - alarm metrics: 3 standard, 1 high resolution, 1 composite alarm, 1 dashboard billed
///   (3 free), 2 custom metrics, each x 5/43,800 month;
/// - metrics requested by the report: 4 for the stream (3 + 1 consumer) + 5 for the queue;
/// - the collection: 100 metrics a cycle x 5 cycles of 60 s = 500;
/// - data transfer out: half the 6,012 GetRecords bytes.
#[tokio::test(flavor = "multi_thread")]
async fn cost_command_prices_consumers_queues_alarms_dashboards() {
    let stack = Stack::start().await;
    let endpoint = stack.endpoint();
    testkit::create_stream(&stack.kinesis, "efo-orders", 2).await;
    let arn = stack
        .kinesis
        .describe_stream_summary()
        .stream_name("efo-orders")
        .send()
        .await
        .unwrap()
        .stream_description_summary()
        .unwrap()
        .stream_arn()
        .to_string();
    stack
        .kinesis
        .register_stream_consumer()
        .stream_arn(&arn)
        .consumer_name("reader")
        .send()
        .await
        .unwrap();
    for i in 0..6 {
        stack
            .kinesis
            .put_record()
            .stream_name("efo-orders")
            .partition_key(format!("k{i}"))
            .data(Blob::new(vec![b'x'; 1000]))
            .send()
            .await
            .unwrap();
    }
    for shard in ["shardId-000000000000", "shardId-000000000001"] {
        let iterator = stack
            .kinesis
            .get_shard_iterator()
            .stream_name("efo-orders")
            .shard_id(shard)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator()
            .unwrap()
            .to_string();
        stack
            .kinesis
            .get_records()
            .shard_iterator(iterator)
            .send()
            .await
            .unwrap();
    }

    let url = stack
        .sqs
        .create_queue()
        .queue_name("jobs")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    for _ in 0..2 {
        stack
            .sqs
            .send_message()
            .queue_url(&url)
            .message_body("y".repeat(100_000))
            .send()
            .await
            .unwrap();
    }
    let received = stack
        .sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    assert_eq!(received.messages().len(), 2);
    for m in received.messages() {
        stack
            .sqs
            .delete_message()
            .queue_url(&url)
            .receipt_handle(m.receipt_handle().unwrap())
            .send()
            .await
            .unwrap();
    }
    let empty = stack
        .sqs
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap();
    assert!(empty.messages().is_empty());

    let cw = &stack.cloudwatch;
    let stream_dim = Dimension::builder()
        .name("StreamName")
        .value("efo-orders")
        .build();
    for (name, period) in [("standard", 60), ("high", 10)] {
        cw.put_metric_alarm()
            .alarm_name(name)
            .namespace("AWS/Kinesis")
            .metric_name("IncomingBytes")
            .dimensions(stream_dim.clone())
            .statistic(Statistic::Sum)
            .period(period)
            .evaluation_periods(1)
            .threshold(1.0)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .send()
            .await
            .unwrap();
    }
    let stat = |id: &str, metric: &str| {
        MetricDataQuery::builder()
            .id(id)
            .return_data(false)
            .metric_stat(
                MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace("AWS/Kinesis")
                            .metric_name(metric)
                            .dimensions(stream_dim.clone())
                            .build(),
                    )
                    .period(60)
                    .stat("Sum")
                    .build(),
            )
            .build()
    };
    cw.put_metric_alarm()
        .alarm_name("math")
        .metrics(stat("bytes", "IncomingBytes"))
        .metrics(stat("records", "IncomingRecords"))
        .metrics(
            MetricDataQuery::builder()
                .id("ratio")
                .expression("bytes / records")
                .return_data(true)
                .build(),
        )
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .unwrap();
    cw.put_composite_alarm()
        .alarm_name("both")
        .alarm_rule("ALARM(\"standard\") AND ALARM(\"high\")")
        .send()
        .await
        .unwrap();
    let body = r#"{"widgets":[{"type":"text","x":0,"y":0,"width":6,"height":3,"properties":{"markdown":"cost"}}]}"#;
    for i in 0..4 {
        cw.put_dashboard()
            .dashboard_name(format!("board-{i}"))
            .dashboard_body(body)
            .send()
            .await
            .unwrap();
    }
    cw.put_metric_data()
        .namespace("Custom/App")
        .metric_data(MetricDatum::builder().metric_name("a").value(1.0).build())
        .metric_data(MetricDatum::builder().metric_name("b").value(1.0).build())
        .send()
        .await
        .unwrap();

    let get_records_bytes = sum(
        cw,
        "AWS/Kinesis",
        "GetRecords.Bytes",
        &[("StreamName", "efo-orders")],
    )
    .await;
    // 6 records of 1,000 bytes of data and a 2-byte partition key each.
    assert_eq!(get_records_bytes, 6_012.0);

    let json = cost_json(
        &endpoint,
        &[
            "--collect-interval",
            "60s",
            "--collect-series",
            "100",
            "--egress-share",
            "0.5",
        ],
    );
    let hours = 5.0 / 60.0;
    let months = hours / 730.0;
    close(
        quantity(
            &json,
            "efo-orders/reader",
            "enhanced fan-out consumer-shard-hours",
        ),
        2.0 * hours,
    );
    let efo = line(
        &json,
        "efo-orders/reader",
        "enhanced fan-out data retrieved",
    );
    assert_eq!(efo["quantity"], 0.0);
    assert!(
        json["notes"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .unwrap()
            .starts_with("efo-orders/reader: no SubscribeToShardEvent")),
        "{json:#}"
    );
    let sqs = line(&json, "jobs", "requests (standard) (estimate)");
    assert_eq!(sqs["quantity"], 11.0, "{sqs}");
    assert_eq!(sqs["estimate"], true);
    close(sqs["amount_usd"].as_f64().unwrap(), 11.0 * 0.40 / 1e6);
    for (component, count) in [
        ("alarm metrics (standard resolution)", 3.0),
        ("alarm metrics (high resolution)", 1.0),
        ("composite alarms", 1.0),
        ("dashboards", 1.0),
        ("custom metrics", 2.0),
    ] {
        close(quantity(&json, "account", component), count * months);
    }
    close(
        line(&json, "account", "dashboards")["amount_usd"]
            .as_f64()
            .unwrap(),
        months * 3.0,
    );
    assert_eq!(
        quantity(
            &json,
            "account",
            "GetMetricData metrics requested (this report)"
        ),
        9.0
    );
    close(
        quantity(
            &json,
            "collection",
            "GetMetricData metrics requested (estimate)",
        ),
        500.0,
    );
    let egress = line(&json, "internet", "data transfer out (estimate)");
    close(egress["quantity"].as_f64().unwrap(), 3_006.0 / GB);
    close(egress["amount_usd"].as_f64().unwrap(), 3_006.0 / GB * 0.09);
    assert_eq!(json["prices_file"], "built-in");
    let total: f64 = json["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["amount_usd"].as_f64().unwrap())
        .sum();
    close(json["total_usd"].as_f64().unwrap(), total);

    // Without the flags: no collection line (noted), data transfer out 0 (noted).
    let json = cost_json(&endpoint, &[]);
    assert_eq!(
        quantity(&json, "internet", "data transfer out (estimate)"),
        0.0
    );
    let notes = json["notes"].to_string();
    assert!(
        notes.contains("taken as 0") && notes.contains("--collect-interval"),
        "{notes}"
    );
}

/// A price file replaces the blocks it names: SQS at $1 per million from it, its date the
/// oldest, its path named; the rest at the built-in prices. `load --prices` reads the same
/// file and refuses a malformed one before it starts.
#[tokio::test(flavor = "multi_thread")]
async fn cost_command_reads_a_price_file() {
    let stack = Stack::start().await;
    let endpoint = stack.endpoint();
    stack
        .sqs
        .create_queue()
        .queue_name("priced-queue")
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("prices.toml");
    std::fs::write(
        &path,
        r#"[regions.us-east-1.sqs]
source = "https://aws.amazon.com/sqs/pricing/"
as_of = "2026-01-31"
requests_per_million = 1.0
fifo_requests_per_million = 2.0
request_chunk_bytes = 65536
"#,
    )
    .unwrap();
    let path_text = path.to_str().unwrap();
    let json = cost_json(&endpoint, &["--prices", path_text]);
    let sqs = line(&json, "priced-queue", "requests (standard) (estimate)");
    assert_eq!(sqs["usd_per_unit"].as_f64(), Some(1.0 / 1e6), "{sqs}");
    assert_eq!(json["prices_file"], path_text);
    assert_eq!(json["prices_as_of"], "2026-01-31");
    let dashboards = line(&json, "account", "dashboards");
    assert_eq!(dashboards["usd_per_unit"].as_f64(), Some(3.0));

    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["cost", "--endpoint", &endpoint, "--window", "5m"])
        .args(["--prices", path_text])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains(&format!("as of 2026-01-31 ({path_text} prices)")),
        "{table}"
    );

    std::fs::write(
        &path,
        "[regions.us-east-1.sqs]\nrequests_per_million = 1.0\n",
    )
    .unwrap();
    for command in [
        &["cost", "--endpoint", &endpoint][..],
        &["load", "--endpoint", &endpoint, "--stream", "nowhere"][..],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
            .args(command)
            .args(["--prices", path_text])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{command:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(path_text) && stderr.contains("malformed"),
            "{command:?}: {stderr}"
        );
    }
}

/// A 256 MB function with 2 provisioned instances on version 1, invoked 3 times there and
/// once on $LATEST, over a 5-minute window: 2 x 0.25 GB x 300 s = 150 GB-s of provisioned
/// concurrency at $0.0000041667, and its duration split by ProvisionedConcurrencyInvocations /
/// Invocations.
#[tokio::test(flavor = "multi_thread")]
async fn cost_command_prices_provisioned_concurrency() {
    let port = super::free_port().to_string();
    let (mut child, endpoint) = super::serve(&["--port", &port, "--create-stream-delay-ms", "0"]);
    let echo = lambda_test_functions::example_binary("echo_function");
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["function", "deploy", "--name", "pc-fn", "--memory", "256"])
        .args(["--bin", echo.to_str().unwrap(), "--endpoint", &endpoint])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lambda = testkit::lambda_client(&endpoint);
    let version = lambda
        .publish_version()
        .function_name("pc-fn")
        .send()
        .await
        .unwrap()
        .version()
        .unwrap()
        .to_string();
    lambda
        .put_provisioned_concurrency_config()
        .function_name("pc-fn")
        .qualifier(&version)
        .provisioned_concurrent_executions(2)
        .send()
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let c = lambda
            .get_provisioned_concurrency_config()
            .function_name("pc-fn")
            .qualifier(&version)
            .send()
            .await
            .unwrap();
        if c.allocated_provisioned_concurrent_executions() == Some(2) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not allocated: {c:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for qualifier in [
        version.as_str(),
        version.as_str(),
        version.as_str(),
        "$LATEST",
    ] {
        let resp = lambda
            .invoke()
            .function_name("pc-fn")
            .qualifier(qualifier)
            .payload(aws_sdk_lambda::primitives::Blob::new(
                r#"{"action":"echo"}"#,
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.function_error(), None);
    }
    let cw = testkit::cloudwatch_client(&endpoint);
    let dims = [("FunctionName", "pc-fn")];
    let on_provisioned = sum(
        &cw,
        "AWS/Lambda",
        "ProvisionedConcurrencyInvocations",
        &dims,
    )
    .await;
    let invocations = sum(&cw, "AWS/Lambda", "Invocations", &dims).await;
    let duration_ms = sum(&cw, "AWS/Lambda", "Duration", &dims).await;
    assert!(on_provisioned >= 1.0, "{on_provisioned}");
    assert_eq!(invocations, 4.0);

    let json = cost_json(&endpoint, &[]);
    let pc = line(
        &json,
        &format!("pc-fn:{version}"),
        "provisioned concurrency (x86_64)",
    );
    close(pc["quantity"].as_f64().unwrap(), 150.0);
    close(pc["amount_usd"].as_f64().unwrap(), 150.0 * 0.0000041667);
    assert_eq!(pc["estimate"], false);
    let gb_seconds = duration_ms / 1000.0 * 0.25;
    let share = on_provisioned / invocations;
    close(
        quantity(&json, "pc-fn", "provisioned duration (x86_64) (estimate)"),
        gb_seconds * share,
    );
    close(
        quantity(&json, "pc-fn", "duration (x86_64) (estimate)"),
        gb_seconds * (1.0 - share),
    );
    assert_eq!(quantity(&json, "pc-fn", "requests"), 4.0);
    super::interrupt(&child);
    assert!(super::wait_exit(&mut child, Duration::from_secs(10)).success());
}

/// `collect --once --cost` exports the same figures as `cost` over the last hour: a stream
/// of 2 shards costs 2 shard-hours x $0.015 = $0.03 an hour, $21.90 a month; a queue's
/// requests are there with ` (estimate)`; the collection's GetMetricData metrics are priced
/// from its own cycle. Without `--cost` nothing of it is exported.
#[tokio::test(flavor = "multi_thread")]
async fn collect_exports_the_cost() {
    let stack = Stack::start().await;
    let endpoint = stack.endpoint();
    testkit::create_stream(&stack.kinesis, "collected", 2).await;
    stack
        .sqs
        .create_queue()
        .queue_name("collected-queue")
        .send()
        .await
        .unwrap();
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
            .args(["collect", "--once", "--endpoint", &endpoint])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let cost = &metric_store::catalog::own::cost::COST_USD;
    let monthly = &metric_store::catalog::own::cost::COST_MONTHLY_USD;
    assert!(!run(&[]).contains(cost.name));
    let page = run(&["--cost", "--egress-gb", "2"]);
    let value = |metric: &str, labels: &str| -> f64 {
        let head = format!("{metric}{{{labels}}} ");
        page.lines()
            .find_map(|l| l.strip_prefix(&head))
            .unwrap_or_else(|| panic!("no {head} in {page}"))
            .parse()
            .unwrap()
    };
    // The Prometheus encoder writes labels in name order.
    let labels = |service: &str, resource: &str, component: &str| {
        format!(
            r#"component="{component}",region="us-east-1",resource="{resource}",service="{service}""#
        )
    };
    let shard_hours = labels("Kinesis", "collected", "shard-hours");
    close(value(cost.name, &shard_hours), 0.03);
    close(value(monthly.name, &shard_hours), 0.03 * 730.0);
    let queue = labels("SQS", "collected-queue", "requests (standard) (estimate)");
    assert_eq!(value(cost.name, &queue), 0.0);
    let egress = labels("DataTransfer", "internet", "data transfer out (estimate)");
    close(value(cost.name, &egress), 2.0 * 0.09);
    let collection = labels(
        "CloudWatch",
        "collection",
        "GetMetricData metrics requested (estimate)",
    );
    let requested: f64 = page
        .lines()
        .find_map(|l| {
            l.strip_prefix("streamwatch_collector_cycle_metrics_requested{region=\"us-east-1\"} ")
        })
        .expect("the cycle's metrics requested")
        .parse()
        .unwrap();
    assert!(requested > 0.0, "{page}");
    // The last cycle's metrics, once a minute (the default interval) for an hour.
    close(
        value(cost.name, &collection),
        requested * 60.0 * 0.01 / 1000.0,
    );
}
