//! Lambda on the engine's one port, next to Kinesis and CloudWatch: a real function binary
//! (lambda-test-functions' examples/echo_function.rs, on the `lambda_runtime` crate) deployed and
//! invoked with aws-sdk-lambda, its AWS/Lambda and LambdaInsights metrics read back with
//! aws-sdk-cloudwatch.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};

use testkit::Stack;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn functions_run_on_the_engine_port_and_publish_their_metrics() {
    let p = Stack::start().await;
    let (server, lambda, cloudwatch) = (&p.server, &p.lambda, &p.cloudwatch);
    p.deploy("echo", "echo_function", &[]).await;
    for action in ["echo", "fail", "echo", "env"] {
        lambda
            .invoke()
            .function_name("echo")
            .payload(Blob::new(format!(r#"{{"action":"{action}"}}"#)))
            .send()
            .await
            .unwrap();
    }
    // The function was told where the engine is.
    let env = lambda
        .invoke()
        .function_name("echo")
        .payload(Blob::new(r#"{"action":"env"}"#))
        .send()
        .await
        .unwrap();
    let env: serde_json::Value = serde_json::from_slice(env.payload().unwrap().as_ref()).unwrap();
    assert_eq!(env["AWS_ENDPOINT_URL"], server.endpoint());

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let query = |id: &str, metric: &str, stat: &str| {
        MetricDataQuery::builder()
            .id(id)
            .metric_stat(
                MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace("AWS/Lambda")
                            .metric_name(metric)
                            .dimensions(
                                Dimension::builder()
                                    .name("FunctionName")
                                    .value("echo")
                                    .build(),
                            )
                            .build(),
                    )
                    .period(60)
                    .stat(stat)
                    .build(),
            )
            .build()
    };
    let out = cloudwatch
        .get_metric_data()
        .metric_data_queries(query("invocations", "Invocations", "Sum"))
        .metric_data_queries(query("errors", "Errors", "Sum"))
        .metric_data_queries(query("duration", "Duration", "Maximum"))
        .start_time(DateTime::from_millis(now - 600_000))
        .end_time(DateTime::from_millis(now + 60_000))
        .send()
        .await
        .unwrap();
    let total = |id: &str| -> f64 {
        out.metric_data_results()
            .iter()
            .find(|r| r.id() == Some(id))
            .map(|r| r.values().iter().sum())
            .unwrap_or(0.0)
    };
    assert_eq!(total("invocations"), 5.0);
    assert_eq!(total("errors"), 1.0);
    assert!(total("duration") > 0.0);
    p.server.shutdown().await.unwrap();
}

/// What Lambda Insights publishes, read from the instance's process: two invocations in a
/// row run on one instance, so one cold start and one init_duration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn functions_publish_lambda_insights_read_from_their_process() {
    let p = Stack::start().await;
    p.deploy("insights", "echo_function", &[]).await;
    p.lambda
        .update_function_configuration()
        .function_name("insights")
        .memory_size(256)
        .send()
        .await
        .unwrap();
    let event = r#"{"action":"echo","pad":"0123456789"}"#;
    let mut answered = 0;
    for _ in 0..2 {
        let out = p
            .lambda
            .invoke()
            .function_name("insights")
            .payload(Blob::new(event))
            .send()
            .await
            .unwrap();
        assert_eq!(out.function_error(), None);
        answered += out.payload().unwrap().as_ref().len();
    }

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let query = |id: &str, namespace: &str, metric: &str, dimension: (&str, &str), stat: &str| {
        MetricDataQuery::builder()
            .id(id)
            .metric_stat(
                MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace(namespace)
                            .metric_name(metric)
                            .dimensions(
                                Dimension::builder()
                                    .name(dimension.0)
                                    .value(dimension.1)
                                    .build(),
                            )
                            .build(),
                    )
                    .period(60)
                    .stat(stat)
                    .build(),
            )
            .build()
    };
    let insights = |id: &str, metric: &str, stat: &str| {
        query(
            id,
            "LambdaInsights",
            metric,
            ("function_name", "insights"),
            stat,
        )
    };
    let out = p
        .cloudwatch
        .get_metric_data()
        .metric_data_queries(insights("total", "total_memory", "Maximum"))
        .metric_data_queries(insights("total_n", "total_memory", "SampleCount"))
        .metric_data_queries(insights("used", "used_memory_max", "Maximum"))
        .metric_data_queries(insights("utilization", "memory_utilization", "Maximum"))
        .metric_data_queries(insights("init", "init_duration", "SampleCount"))
        .metric_data_queries(insights("init_ms", "init_duration", "Maximum"))
        .metric_data_queries(insights("cpu", "cpu_total_time", "Minimum"))
        .metric_data_queries(insights("cpu_n", "cpu_total_time", "SampleCount"))
        .metric_data_queries(insights("rx", "rx_bytes", "Sum"))
        .metric_data_queries(insights("tx", "tx_bytes", "Sum"))
        .metric_data_queries(insights("network", "total_network", "Sum"))
        .metric_data_queries(insights("tmp", "tmp_used", "Maximum"))
        .metric_data_queries(insights("tmp_free", "tmp_free", "Minimum"))
        .metric_data_queries(query(
            "cold",
            "StreamwatchEngine",
            "ColdStarts",
            ("FunctionName", "insights"),
            "Sum",
        ))
        .start_time(DateTime::from_millis(now - 600_000))
        .end_time(DateTime::from_millis(now + 60_000))
        .send()
        .await
        .unwrap();
    let values = |id: &str| -> Vec<f64> {
        out.metric_data_results()
            .iter()
            .find(|r| r.id() == Some(id))
            .map(|r| r.values().to_vec())
            .unwrap_or_default()
    };
    let sum = |id: &str| values(id).iter().sum::<f64>();
    let max = |id: &str| values(id).into_iter().fold(f64::NAN, f64::max);
    assert_eq!(max("total"), 256.0, "total_memory is the MemorySize");
    assert_eq!(sum("total_n"), 2.0, "one datapoint per invocation");
    let used = max("used");
    assert!(used > 0.0 && used <= 256.0, "used_memory_max {used}");
    assert!(
        (max("utilization") - used / 256.0 * 100.0).abs() < 1e-9,
        "memory_utilization {} for {used} MB",
        max("utilization")
    );
    assert_eq!(sum("init"), 1.0, "init_duration on the cold start only");
    assert!(max("init_ms") > 0.0);
    assert_eq!(sum("cpu_n"), 2.0);
    assert!(values("cpu").iter().all(|ms| *ms >= 0.0));
    assert_eq!(sum("rx"), 2.0 * event.len() as f64, "the events read");
    assert_eq!(sum("tx"), answered as f64, "the responses posted");
    assert_eq!(sum("network"), sum("rx") + sum("tx"));
    assert_eq!(sum("cold"), 1.0, "one cold start");
    // The instance's own TMPDIR is empty, and /tmp is Lambda's default 512 MB.
    let ephemeral = 512.0 * 1024.0 * 1024.0;
    assert_eq!((max("tmp"), max("tmp_free")), (0.0, ephemeral));

    // A file written to the temporary directory shows in tmp_used and tmp_free.
    let wrote = p
        .lambda
        .invoke()
        .function_name("insights")
        .payload(Blob::new(r#"{"action":"write_tmp","bytes":4096}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(wrote.function_error(), None);
    let tmp = p
        .cloudwatch
        .get_metric_data()
        .metric_data_queries(insights("tmp", "tmp_used", "Maximum"))
        .metric_data_queries(insights("tmp_free", "tmp_free", "Minimum"))
        .start_time(DateTime::from_millis(now - 600_000))
        .end_time(DateTime::from_millis(now + 120_000))
        .send()
        .await
        .unwrap();
    let tmp_values = |id: &str| -> f64 {
        tmp.metric_data_results()
            .iter()
            .find(|r| r.id() == Some(id))
            .map(|r| r.values().iter().copied().fold(f64::NAN, f64::max))
            .unwrap_or(f64::NAN)
    };
    assert_eq!(tmp_values("tmp"), 4096.0);
    assert_eq!(tmp_values("tmp_free"), ephemeral - 4096.0);

    // Listed per function and per version.
    let listed = p
        .cloudwatch
        .list_metrics()
        .namespace("LambdaInsights")
        .dimensions(
            aws_sdk_cloudwatch::types::DimensionFilter::builder()
                .name("version")
                .value("$LATEST")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut names: Vec<&str> = listed
        .metrics()
        .iter()
        .filter_map(|m| m.metric_name())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "cpu_total_time",
            "init_duration",
            "memory_utilization",
            "rx_bytes",
            "tmp_free",
            "tmp_used",
            "total_memory",
            "total_network",
            "tx_bytes",
            "used_memory_max"
        ]
    );
    p.server.shutdown().await.unwrap();
}

fn events(lines: &[String]) -> Vec<serde_json::Value> {
    lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn data_of(record: &serde_json::Value) -> String {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(record["kinesis"]["data"].as_str().unwrap())
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_delivers_every_record_in_the_shape_aws_sends() {
    let p = Stack::start().await;
    let puts: Vec<(String, String)> = (0..12)
        .map(|i| (format!("k{}", i % 4), format!("r{i:02}")))
        .collect();
    let puts_ref: Vec<(&str, &str)> = puts.iter().map(|(k, d)| (k.as_str(), d.as_str())).collect();
    let arn = p.stream("orders", 2, &puts_ref).await;
    p.function("consumer", "ok").await;
    let created = p
        .lambda
        .create_event_source_mapping()
        .function_name("consumer")
        .event_source_arn(&arn)
        .starting_position(aws_sdk_lambda::types::EventSourcePosition::TrimHorizon)
        .batch_size(5)
        .send()
        .await
        .unwrap();
    assert_eq!(created.state(), Some("Creating"));
    assert_eq!(created.batch_size(), Some(5));
    let uuid = created.uuid().unwrap().to_string();

    let lines = p
        .lines("consumer", "EVENT ", |l| {
            events(l)
                .iter()
                .map(|e| e["Records"].as_array().unwrap().len())
                .sum::<usize>()
                >= 12
        })
        .await;
    let events = events(&lines);
    let records: Vec<&serde_json::Value> = events
        .iter()
        .flat_map(|e| e["Records"].as_array().unwrap())
        .collect();
    assert_eq!(records.len(), 12, "each record once: {lines:?}");
    assert!(
        events
            .iter()
            .all(|e| e["Records"].as_array().unwrap().len() <= 5),
        "BatchSize 5"
    );
    // Order per partition key: the data of each key arrives in put order.
    for key in ["k0", "k1", "k2", "k3"] {
        let seen: Vec<String> = records
            .iter()
            .filter(|r| r["kinesis"]["partitionKey"] == key)
            .map(|r| data_of(r))
            .collect();
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted, "{key}");
        assert_eq!(seen.len(), 3);
    }
    // The event shape, field by field.
    let r = records[0];
    let object = r.as_object().unwrap();
    let keys: std::collections::BTreeSet<&str> = object.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "awsRegion",
            "eventID",
            "eventName",
            "eventSource",
            "eventSourceARN",
            "eventVersion",
            "invokeIdentityArn",
            "kinesis"
        ]
        .into_iter()
        .collect()
    );
    let k = r["kinesis"].as_object().unwrap();
    let kinesis_keys: std::collections::BTreeSet<&str> = k.keys().map(String::as_str).collect();
    assert_eq!(
        kinesis_keys,
        [
            "approximateArrivalTimestamp",
            "data",
            "kinesisSchemaVersion",
            "partitionKey",
            "sequenceNumber"
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(r["eventSource"], "aws:kinesis");
    assert_eq!(r["eventVersion"], "1.0");
    assert_eq!(r["eventName"], "aws:kinesis:record");
    assert_eq!(r["awsRegion"], "us-east-1");
    assert_eq!(r["eventSourceARN"], arn.as_str());
    assert_eq!(
        r["invokeIdentityArn"],
        "arn:aws:iam::000000000000:role/consumer"
    );
    assert_eq!(r["kinesis"]["kinesisSchemaVersion"], "1.0");
    let event_id = r["eventID"].as_str().unwrap();
    assert!(event_id.starts_with("shardId-00000000000"), "{event_id}");
    assert!(event_id.ends_with(&format!(
        ":{}",
        r["kinesis"]["sequenceNumber"].as_str().unwrap()
    )));
    assert!(
        r["kinesis"]["approximateArrivalTimestamp"]
            .as_f64()
            .unwrap()
            > 1.6e9
    );

    let mapping = p
        .lambda
        .get_event_source_mapping()
        .uuid(&uuid)
        .send()
        .await
        .unwrap();
    assert_eq!(mapping.state(), Some("Enabled"));
    assert_eq!(mapping.last_processing_result(), Some("OK"));
    let listed = p
        .lambda
        .list_event_source_mappings()
        .function_name("consumer")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.event_source_mappings().len(), 1);

    // Records put later reach the function too; after deletion they do not.
    p.kinesis
        .put_record()
        .stream_name("orders")
        .partition_key("late")
        .data(aws_sdk_kinesis::primitives::Blob::new("late"))
        .send()
        .await
        .unwrap();
    let oks = p
        .lines("consumer", "OK ", |l| l.iter().any(|d| d == "late"))
        .await;
    assert!(oks.iter().any(|d| d == "late"), "{oks:?}");
    let deleted = p
        .lambda
        .delete_event_source_mapping()
        .uuid(&uuid)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.state(), Some("Deleting"));
    let gone = p
        .lambda
        .get_event_source_mapping()
        .uuid(&uuid)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_lambda::error::ProvideErrorMetadata::code(&gone),
        Some("ResourceNotFoundException")
    );
    p.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_failures_resume_from_the_lowest_failed_record() {
    let p = Stack::start().await;
    let arn = p
        .stream("partial", 1, &[("k", "a"), ("k", "poison"), ("k", "c")])
        .await;
    p.function("reporter", "partial").await;
    p.lambda
        .create_event_source_mapping()
        .function_name("reporter")
        .event_source_arn(&arn)
        .starting_position(aws_sdk_lambda::types::EventSourcePosition::TrimHorizon)
        .function_response_types(
            aws_sdk_lambda::types::FunctionResponseType::ReportBatchItemFailures,
        )
        .maximum_retry_attempts(2)
        .send()
        .await
        .unwrap();
    // First [a, poison, c]; then, from the poison record on, [poison, c] twice
    // (MaximumRetryAttempts 2: three invocations in all), then given up.
    p.lines("reporter", "EVENT ", |l| l.len() >= 3).await;
    // Nothing more comes once the records are given up.
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    let lines = p.lines("reporter", "EVENT ", |_| true).await;
    let batches: Vec<Vec<String>> = events(&lines)
        .iter()
        .map(|e| {
            e["Records"]
                .as_array()
                .unwrap()
                .iter()
                .map(data_of)
                .collect()
        })
        .collect();
    assert_eq!(
        batches,
        [
            vec!["a", "poison", "c"],
            vec!["poison", "c"],
            vec!["poison", "c"],
        ],
        "{lines:?}"
    );
    p.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_batch_is_bisected_down_to_the_poison_record() {
    let p = Stack::start().await;
    let arn = p
        .stream(
            "bisect",
            1,
            &[("k", "a"), ("k", "b"), ("k", "poison"), ("k", "d")],
        )
        .await;
    p.function("bisected", "error").await;
    p.lambda
        .create_event_source_mapping()
        .function_name("bisected")
        .event_source_arn(&arn)
        .starting_position(aws_sdk_lambda::types::EventSourcePosition::TrimHorizon)
        .bisect_batch_on_function_error(true)
        .maximum_retry_attempts(1)
        .send()
        .await
        .unwrap();
    let oks = p
        .lines("bisected", "OK ", |l| l.iter().any(|d| d == "d"))
        .await;
    assert_eq!(
        oks,
        ["a", "b", "d"],
        "everything but the poison record is delivered"
    );
    let lines = p.lines("bisected", "EVENT ", |_| true).await;
    let batches: Vec<Vec<String>> = events(&lines)
        .iter()
        .map(|e| {
            e["Records"]
                .as_array()
                .unwrap()
                .iter()
                .map(data_of)
                .collect()
        })
        .collect();
    // [a b poison d] fails -> [a b] ok, [poison d] fails -> [poison] fails, retried once,
    // given up -> [d] ok.
    assert_eq!(
        batches,
        [
            vec!["a", "b", "poison", "d"],
            vec!["a", "b"],
            vec!["poison", "d"],
            vec!["poison"],
            vec!["poison"],
            vec!["d"],
        ]
    );
    p.server.shutdown().await.unwrap();
}

/// `streamwatch function deploy`, then `streamwatch logs` and the AWS CLI (awscli from PyPI,
/// installed in .venv by scripts/test.sh) reading the function's log through CloudWatch Logs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_a_binary_and_read_its_log() {
    let p = Stack::start().await;
    let endpoint = p.server.endpoint();
    let bin = lambda_test_functions::example_binary("echo_function");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_streamwatch"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let created = run(&[
        "function",
        "deploy",
        "--name",
        "cli",
        "--bin",
        bin.to_str().unwrap(),
        "--env",
        "GREETING=yo",
        "--timeout",
        "10",
        "--endpoint",
        &endpoint,
    ]);
    assert!(
        created.starts_with("created arn:aws:lambda:us-east-1:000000000000:function:cli"),
        "{created}"
    );
    let env = p
        .lambda
        .invoke()
        .function_name("cli")
        .payload(Blob::new(r#"{"action":"env"}"#))
        .send()
        .await
        .unwrap();
    let env: serde_json::Value = serde_json::from_slice(env.payload().unwrap().as_ref()).unwrap();
    assert_eq!(env["GREETING"], "yo");
    // Deploying again updates it.
    let updated = run(&[
        "function",
        "deploy",
        "--name",
        "cli",
        "--bin",
        bin.to_str().unwrap(),
        "--env",
        "GREETING=again",
        "--endpoint",
        &endpoint,
    ]);
    assert!(updated.starts_with("updated "), "{updated}");
    let config = p
        .lambda
        .get_function_configuration()
        .function_name("cli")
        .send()
        .await
        .unwrap();
    assert_eq!(config.timeout(), Some(3));

    let log = run(&["logs", "cli", "--endpoint", &endpoint]);
    assert!(log.contains("echo_function initialising"), "{log}");
    assert!(log.contains(" START RequestId: "), "{log}");
    let reports = run(&[
        "logs",
        "cli",
        "--filter",
        "REPORT Init",
        "--endpoint",
        &endpoint,
    ]);
    assert_eq!(reports.lines().count(), 1, "one cold start: {reports}");

    // The AWS CLI reads the same log and lists the function.
    let aws = testkit::venv_bin("aws");
    let aws = aws.to_str().expect("a UTF-8 path");
    let out = std::process::Command::new(aws)
        .args([
            "logs",
            "filter-log-events",
            "--log-group-name",
            "/aws/lambda/cli",
        ])
        .args([
            "--filter-pattern",
            "\"Version: $LATEST\"",
            "--endpoint-url",
            &endpoint,
        ])
        .env("AWS_ACCESS_KEY_ID", "a")
        .env("AWS_SECRET_ACCESS_KEY", "b")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .unwrap_or_else(|e| panic!("{aws}: {e}: run the tests with scripts/test.sh"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let events = answer["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{answer}");
    assert!(
        events[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("START RequestId: ")
    );
    let out = std::process::Command::new(aws)
        .args(["lambda", "list-functions", "--endpoint-url", &endpoint])
        .env("AWS_ACCESS_KEY_ID", "a")
        .env("AWS_SECRET_ACCESS_KEY", "b")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["Functions"][0]["FunctionName"], "cli");
    p.server.shutdown().await.unwrap();
}

/// ParallelizationFactor 4: batches of one shard run concurrently, in order per key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_batches_keep_order_per_key() {
    let p = Stack::start().await;
    let puts: Vec<(String, String)> = (0..24)
        .map(|i| (format!("key{}", i % 8), format!("{}-{:02}", i % 8, i)))
        .collect();
    let puts_ref: Vec<(&str, &str)> = puts.iter().map(|(k, d)| (k.as_str(), d.as_str())).collect();
    let arn = p.stream("parallel", 1, &puts_ref).await;
    p.function_with("wide", "ok", "300").await;
    p.lambda
        .create_event_source_mapping()
        .function_name("wide")
        .event_source_arn(&arn)
        .starting_position(aws_sdk_lambda::types::EventSourcePosition::TrimHorizon)
        .batch_size(2)
        .parallelization_factor(4)
        .send()
        .await
        .unwrap();
    let oks = p.lines("wide", "OK ", |l| l.len() >= 24).await;
    assert_eq!(oks.len(), 24, "{oks:?}");
    for key in 0..8 {
        let seen: Vec<&String> = oks
            .iter()
            .filter(|d| d.starts_with(&format!("{key}-")))
            .collect();
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted, "order of key{key}");
    }
    let key = metric_store::MetricKey::new(
        "AWS/Lambda",
        "ConcurrentExecutions",
        [("FunctionName", "wide")],
    )
    .unwrap();
    let now = p.server.metrics().now_ms();
    let peak = p
        .server
        .metrics()
        .query(
            &key,
            now - 600_000,
            now + 60_000,
            60,
            &[metric_store::Statistic::Maximum],
        )
        .unwrap()
        .iter()
        .filter_map(|d| d.values[0])
        .fold(0.0, f64::max);
    assert!(peak >= 2.0, "batches ran concurrently: peak {peak}");
    p.server.shutdown().await.unwrap();
}

/// With a data directory, functions, mappings, checkpoints and the function's log survive a
/// restart: the restarted engine delivers only what came after the last batch delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mappings_resume_after_a_restart_with_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let start = |dir: std::path::PathBuf| async move {
        let engine = kinesis_engine::Engine::open(kinesis_engine::EngineConfig {
            transition_delay: std::time::Duration::ZERO,
            data_dir: Some(dir),
            ..kinesis_engine::EngineConfig::default()
        })
        .unwrap();
        testkit::server_on(engine).await
    };
    let server = start(dir.path().to_path_buf()).await;
    let p = Stack::at(server);
    let arn = p
        .stream("durable", 1, &[("k", "one"), ("k", "two"), ("k", "three")])
        .await;
    p.function("keeper", "ok").await;
    p.lambda
        .create_event_source_mapping()
        .function_name("keeper")
        .event_source_arn(&arn)
        .starting_position(aws_sdk_lambda::types::EventSourcePosition::TrimHorizon)
        .send()
        .await
        .unwrap();
    let first = p.lines("keeper", "OK ", |l| l.len() >= 3).await;
    assert_eq!(first, ["one", "two", "three"]);
    p.server.shutdown().await.unwrap();

    let p = Stack::at(start(dir.path().to_path_buf()).await);
    for data in ["four", "five"] {
        p.kinesis
            .put_record()
            .stream_name("durable")
            .partition_key("k")
            .data(aws_sdk_kinesis::primitives::Blob::new(data))
            .send()
            .await
            .unwrap();
    }
    let second = p.lines("keeper", "OK ", |l| l.len() >= 5).await;
    // Let anything delivered twice show up.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let second_all = p.lines("keeper", "OK ", |_| true).await;
    // The function's log from before the restart reads back (journaled under the data
    // directory), followed by what came after the last batch delivered.
    let expected = ["one", "two", "three", "four", "five"];
    assert_eq!(second, expected);
    assert_eq!(second_all, expected, "nothing delivered twice");
    let listed = p
        .lambda
        .list_event_source_mappings()
        .function_name("keeper")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.event_source_mappings().len(), 1);
    p.server.shutdown().await.unwrap();
}

/// lambda-kinesis-handler's example consumer behind a mapping with ReportBatchItemFailures:
/// the poison record is reported and retried alone, the records before it are written once,
/// processing goes on after the retries run out, and the pipeline metrics it prints as EMF
/// arrive in the metric store under KinesisLambdaPipeline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handler_crate_reports_failed_records_and_pipeline_metrics() {
    let p = Stack::start().await;
    let arn = p
        .stream("handled", 1, &[("k", "a"), ("k", "b"), ("k", "poison")])
        .await;
    let dir = tempfile::tempdir().unwrap();
    let sink = dir.path().join("sink.txt");
    let binary =
        lambda_test_functions::example_binary_of("lambda-kinesis-handler", "pipeline_consumer");
    let env = [
        ("SINK_FILE", sink.to_str().unwrap()),
        ("ENVIRONMENT", "test"),
    ];
    p.deploy_binary("handled", &binary, &env).await;
    p.lambda
        .create_event_source_mapping()
        .function_name("handled")
        .event_source_arn(&arn)
        .starting_position(aws_sdk_lambda::types::EventSourcePosition::TrimHorizon)
        .function_response_types(
            aws_sdk_lambda::types::FunctionResponseType::ReportBatchItemFailures,
        )
        .maximum_retry_attempts(1)
        .send()
        .await
        .unwrap();
    let written = || std::fs::read_to_string(&sink).unwrap_or_default();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !written().contains("k b") && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // The poison record is given up on after one retry; a later record is still handled.
    p.kinesis
        .put_record()
        .stream_name("handled")
        .partition_key("k")
        .data(aws_sdk_kinesis::primitives::Blob::new("d"))
        .send()
        .await
        .unwrap();
    while !written().contains("k d") && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        written(),
        "k a\nk b\nk d\n",
        "each good record written once, in order"
    );

    let stat = |metric: &str, statistic| {
        let dims = [("Environment", "test"), ("Pipeline", "handled")];
        p.stat("KinesisLambdaPipeline", metric, &dims, statistic)
    };
    use metric_store::Statistic::{SampleCount, Sum};
    // Batches: [a b poison], [poison] (the retry), [d].
    assert_eq!(stat("BatchSize", Sum), 5.0);
    assert_eq!(stat("RecordProcessingSuccess", Sum), 3.0);
    assert_eq!(stat("RecordProcessingFailure", Sum), 2.0);
    assert_eq!(stat("RecordProcessingLatency", SampleCount), 3.0);
    assert!(stat("RecordProcessingLatency", Sum) > 0.0);
    assert_eq!(stat("DownstreamWriteSuccess", Sum), 3.0);
    assert_eq!(stat("DownstreamWriteLatency", SampleCount), 3.0);
    p.server.shutdown().await.unwrap();
}

/// Versions, aliases and provisioned concurrency through aws-sdk-lambda: each qualifier runs
/// its own code and configuration, invocations are counted per Resource and ExecutedVersion,
/// and provisioned instances take invocations without a cold start until they are all busy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_aliases_and_provisioned_concurrency() {
    use aws_sdk_lambda::types::{Environment, InvocationType, LogType};
    let p = Stack::start().await;
    let zip = function_zip::bootstrap_zip(
        &std::fs::read(lambda_test_functions::example_binary("echo_function")).unwrap(),
    )
    .unwrap();
    p.lambda
        .create_function()
        .function_name("versioned")
        .runtime(Runtime::Providedal2023)
        .role("arn:aws:iam::000000000000:role/lambda")
        .environment(Environment::builder().variables("GREETING", "one").build())
        .code(FunctionCode::builder().zip_file(Blob::new(zip)).build())
        .send()
        .await
        .unwrap();
    let v1 = p
        .lambda
        .publish_version()
        .function_name("versioned")
        .send()
        .await
        .unwrap();
    assert_eq!(v1.version(), Some("1"));
    assert_eq!(
        v1.function_arn(),
        Some("arn:aws:lambda:us-east-1:000000000000:function:versioned:1")
    );
    p.lambda
        .update_function_configuration()
        .function_name("versioned")
        .environment(Environment::builder().variables("GREETING", "two").build())
        .send()
        .await
        .unwrap();
    let v2 = p
        .lambda
        .publish_version()
        .function_name("versioned")
        .send()
        .await
        .unwrap();
    assert_eq!(v2.version(), Some("2"));
    let listed = p
        .lambda
        .list_versions_by_function()
        .function_name("versioned")
        .send()
        .await
        .unwrap();
    let versions: Vec<&str> = listed
        .versions()
        .iter()
        .filter_map(|v| v.version())
        .collect();
    assert_eq!(versions, ["$LATEST", "1", "2"]);
    let alias = p
        .lambda
        .create_alias()
        .function_name("versioned")
        .name("live")
        .function_version("1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        alias.alias_arn(),
        Some("arn:aws:lambda:us-east-1:000000000000:function:versioned:live")
    );

    let env = |qualifier: Option<&'static str>| {
        let lambda = p.lambda.clone();
        async move {
            let out = lambda
                .invoke()
                .function_name("versioned")
                .set_qualifier(qualifier.map(str::to_string))
                .payload(Blob::new(r#"{"action":"env"}"#))
                .log_type(LogType::Tail)
                .send()
                .await
                .unwrap();
            let env: serde_json::Value =
                serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap();
            let log = String::from_utf8(
                base64::Engine::decode(
                    &base64::engine::general_purpose::STANDARD,
                    out.log_result().unwrap(),
                )
                .unwrap(),
            )
            .unwrap();
            (out.executed_version().unwrap().to_string(), env, log)
        }
    };
    let (executed, vars, _) = env(Some("live")).await;
    assert_eq!(executed, "1");
    assert_eq!(vars["GREETING"], "one");
    assert_eq!(vars["AWS_LAMBDA_FUNCTION_VERSION"], "1");
    let (executed, vars, _) = env(Some("2")).await;
    assert_eq!((executed.as_str(), &vars["GREETING"]), ("2", &"two".into()));
    let (executed, _, _) = env(None).await;
    assert_eq!(executed, "$LATEST");
    p.lambda
        .update_alias()
        .function_name("versioned")
        .name("live")
        .function_version("2")
        .send()
        .await
        .unwrap();
    assert_eq!(env(Some("live")).await.0, "2");

    // Provisioned concurrency: one instance, started ahead of the invocations.
    let put = p
        .lambda
        .put_provisioned_concurrency_config()
        .function_name("versioned")
        .qualifier("live")
        .provisioned_concurrent_executions(1)
        .send()
        .await
        .unwrap();
    assert_eq!(put.requested_provisioned_concurrent_executions(), Some(1));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let got = p
            .lambda
            .get_provisioned_concurrency_config()
            .function_name("versioned")
            .qualifier("live")
            .send()
            .await
            .unwrap();
        if got.status().map(|s| s.as_str()) == Some("READY") {
            assert_eq!(got.allocated_provisioned_concurrent_executions(), Some(1));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never READY");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (_, vars, log) = env(Some("live")).await;
    assert_eq!(
        vars["AWS_LAMBDA_INITIALIZATION_TYPE"],
        "provisioned-concurrency"
    );
    assert!(!log.contains("Init Duration"), "no cold start: {log}");
    // Two at once: one runs on the provisioned instance, the other spills over.
    let sleep = || {
        p.lambda
            .invoke()
            .function_name("versioned")
            .qualifier("live")
            .payload(Blob::new(r#"{"action":"sleep","ms":400}"#))
            .send()
    };
    let (a, b) = tokio::join!(sleep(), sleep());
    a.unwrap();
    b.unwrap();
    // Provisioned concurrency cannot be put on $LATEST.
    let latest = p
        .lambda
        .put_provisioned_concurrency_config()
        .function_name("versioned")
        .qualifier("$LATEST")
        .provisioned_concurrent_executions(1)
        .send()
        .await
        .unwrap_err();
    assert!(format!("{latest:?}").contains("unpublished"), "{latest:?}");
    // An event to the alias runs there too.
    p.lambda
        .invoke()
        .function_name("versioned")
        .qualifier("live")
        .invocation_type(InvocationType::Event)
        .payload(Blob::new(r#"{"action":"echo"}"#))
        .send()
        .await
        .unwrap();
    // And so does a mapping whose function is the alias.
    let arn = p.stream("aliased", 1, &[("k", "one")]).await;
    let mapping = p
        .lambda
        .create_event_source_mapping()
        .function_name("versioned:live")
        .event_source_arn(&arn)
        .starting_position(aws_sdk_lambda::types::EventSourcePosition::TrimHorizon)
        .send()
        .await
        .unwrap();
    assert_eq!(
        mapping.function_arn(),
        Some("arn:aws:lambda:us-east-1:000000000000:function:versioned:live")
    );

    use metric_store::Statistic::{Maximum, Sum};
    let live = [
        ("FunctionName", "versioned"),
        ("Resource", "versioned:live"),
    ];
    let wait_for = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while p.stat("AWS/Lambda", "Invocations", &live, Sum) < 7.0
        && std::time::Instant::now() < wait_for
    {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Through "live": v1 once, then v2 once, once on the provisioned instance, twice at
    // once, the event and the mapping's batch.
    assert_eq!(p.stat("AWS/Lambda", "Invocations", &live, Sum), 7.0);
    let executed = |v| {
        [
            ("FunctionName", "versioned"),
            ("Resource", "versioned:live"),
            ("ExecutedVersion", v),
        ]
    };
    assert_eq!(
        p.stat("AWS/Lambda", "Invocations", &executed("1"), Sum),
        1.0
    );
    assert_eq!(
        p.stat("AWS/Lambda", "Invocations", &executed("2"), Sum),
        6.0
    );
    assert_eq!(
        p.stat(
            "AWS/Lambda",
            "Invocations",
            &[("FunctionName", "versioned"), ("Resource", "versioned:2")],
            Sum
        ),
        1.0
    );
    assert_eq!(
        p.stat(
            "AWS/Lambda",
            "Invocations",
            &[("FunctionName", "versioned")],
            Sum
        ),
        9.0
    );
    let provisioned = p.stat(
        "AWS/Lambda",
        "ProvisionedConcurrencyInvocations",
        &live,
        Sum,
    );
    let spilled = p.stat(
        "AWS/Lambda",
        "ProvisionedConcurrencySpilloverInvocations",
        &live,
        Sum,
    );
    assert_eq!(provisioned + spilled, 5.0, "{provisioned} + {spilled}");
    assert!(spilled >= 1.0, "one of the two at once spilled over");
    assert!(provisioned >= 2.0);
    assert_eq!(
        p.stat(
            "AWS/Lambda",
            "ProvisionedConcurrencyUtilization",
            &live,
            Maximum
        ),
        1.0
    );
    p.server.shutdown().await.unwrap();
}

/// A mapping whose source is a stream consumer's ARN (enhanced fan-out), as AWS allows:
/// it keeps the consumer ARN as its EventSourceArn, delivers every record with the stream's
/// ARN in `eventSourceARN`, and reads as that consumer: its reads count in the consumer's
/// `SubscribeToShardEvent.*` metrics and none in the stream's `GetRecords.*`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_on_a_stream_consumer_reads_as_that_consumer() {
    let p = Stack::start().await;
    let puts: Vec<(String, String)> = (0..12)
        .map(|i| (format!("k{}", i % 4), format!("r{i:02}")))
        .collect();
    let puts_ref: Vec<(&str, &str)> = puts.iter().map(|(k, d)| (k.as_str(), d.as_str())).collect();
    let stream_arn = p.stream("efo-orders", 2, &puts_ref).await;
    let consumer_arn = p
        .kinesis
        .register_stream_consumer()
        .stream_arn(&stream_arn)
        .consumer_name("lambda-efo")
        .send()
        .await
        .unwrap()
        .consumer()
        .unwrap()
        .consumer_arn()
        .to_string();
    for _ in 0..100 {
        let status = p
            .kinesis
            .describe_stream_consumer()
            .consumer_arn(&consumer_arn)
            .send()
            .await
            .unwrap()
            .consumer_description()
            .map(|c| c.consumer_status().clone());
        if status == Some(aws_sdk_kinesis::types::ConsumerStatus::Active) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    p.function("efo-consumer", "ok").await;
    let created = p
        .lambda
        .create_event_source_mapping()
        .function_name("efo-consumer")
        .event_source_arn(&consumer_arn)
        .starting_position(aws_sdk_lambda::types::EventSourcePosition::TrimHorizon)
        .batch_size(5)
        .send()
        .await
        .unwrap();
    assert_eq!(created.event_source_arn(), Some(consumer_arn.as_str()));

    let lines = p
        .lines("efo-consumer", "EVENT ", |l| {
            events(l)
                .iter()
                .map(|e| e["Records"].as_array().unwrap().len())
                .sum::<usize>()
                >= 12
        })
        .await;
    let events = events(&lines);
    let records: Vec<&serde_json::Value> = events
        .iter()
        .flat_map(|e| e["Records"].as_array().unwrap())
        .collect();
    assert_eq!(records.len(), 12, "each record once: {lines:?}");
    assert!(
        records
            .iter()
            .all(|r| r["eventSourceARN"] == stream_arn.as_str())
    );
    let listed = p
        .lambda
        .list_event_source_mappings()
        .event_source_arn(&consumer_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.event_source_mappings().len(), 1);

    let by_consumer = [("StreamName", "efo-orders"), ("ConsumerName", "lambda-efo")];
    assert_eq!(
        p.stat(
            "AWS/Kinesis",
            "SubscribeToShardEvent.Records",
            &by_consumer,
            metric_store::Statistic::Sum
        ),
        12.0
    );
    assert_eq!(
        p.stat(
            "AWS/Kinesis",
            "GetRecords.Records",
            &[("StreamName", "efo-orders")],
            metric_store::Statistic::Sum
        ),
        0.0
    );
}
