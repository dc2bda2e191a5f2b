//! `streamwatch collect` over a whole pipeline: a stream, a function built on
//! lambda-kinesis-handler whose mapping sends what it gives up on to an SQS queue, and a
//! poison record. One `collect --once` must export, each by value, the pipeline's custom
//! metrics, the queue's `AWS/SQS` metrics and its link to the function, `DLQMessages`, the
//! function's `LambdaInsights` figures and the account-level `AWS/Lambda` series.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;

use super::{Code, client, create_streams, deploy_mapped, free_port, serve};

/// One exported sample, as `--format json` writes it.
#[derive(Debug, serde::Deserialize)]
struct Sample {
    namespace: String,
    metric: String,
    statistic: String,
    #[serde(default)]
    dimensions: BTreeMap<String, String>,
    value: f64,
}

/// One exported inventory object.
#[derive(Debug, serde::Deserialize)]
struct Object {
    class: String,
    name: String,
    fields: BTreeMap<String, serde_json::Value>,
}

/// The samples of one series and statistic.
fn values(
    samples: &[Sample],
    namespace: &str,
    metric: &str,
    statistic: &str,
    dimensions: &[(&str, &str)],
) -> Vec<f64> {
    let want: BTreeMap<String, String> = dimensions
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    samples
        .iter()
        .filter(|s| s.namespace == namespace && s.metric == metric && s.statistic == statistic)
        .filter(|s| s.dimensions == want)
        .map(|s| s.value)
        .collect()
}

fn sum(v: &[f64]) -> f64 {
    v.iter().sum()
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NAN, f64::max)
}

#[tokio::test(flavor = "multi_thread")]
async fn one_collect_exports_the_whole_pipeline() {
    let port = free_port().to_string();
    let (mut child, endpoint) = serve(&["--port", &port, "--create-stream-delay-ms", "0"]);
    let kinesis = client(&endpoint);
    create_streams(&kinesis, &["pipe-in"], 1).await;
    let (queue_url, queue_arn) = super::create_queue(&endpoint, "pipe-failed").await;
    let bin =
        lambda_test_functions::example_binary_of("lambda-kinesis-handler", "pipeline_consumer");
    deploy_mapped(&endpoint, "pipe-fn", Code::Bin(&bin), "pipe-in", &[]);
    super::send_failures_to(&endpoint, "pipe-fn", &queue_arn).await;

    // Two good records and a poison one, in one batch: the handler finishes the first two
    // and the mapping sends the rest of the batch to the queue, once.
    let entries: Vec<PutRecordsRequestEntry> = ["a", "b", "poison"]
        .iter()
        .map(|data| {
            PutRecordsRequestEntry::builder()
                .data(Blob::new(*data))
                .partition_key("k")
                .build()
                .unwrap()
        })
        .collect();
    kinesis
        .put_records()
        .stream_name("pipe-in")
        .set_records(Some(entries))
        .send()
        .await
        .unwrap();
    let sqs = testkit::sqs_client(&endpoint);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .unwrap();
        let n = &attrs.attributes().unwrap()
            [&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages];
        if n != "0" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "nothing reached the on-failure queue"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Let the second holding the last datapoints end.
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args([
            "collect",
            "--once",
            "--endpoint",
            &endpoint,
            "--format",
            "json",
        ])
        .args([
            "--namespace",
            "aws_kinesis,aws_lambda,aws_sqs,lambda_insights",
        ])
        .args(["--period", "1", "--delay", "0s", "--lookback", "5m"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let mut samples = Vec::new();
    let mut objects = Vec::new();
    for line in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v.get("class").is_some() {
            objects.push(serde_json::from_value::<Object>(v).unwrap());
        } else {
            samples.push(serde_json::from_value::<Sample>(v).unwrap());
        }
    }

    // The handler's own metrics (KinesisLambdaPipeline, read by default).
    let pipeline = [("Environment", "dev"), ("Pipeline", "pipe-fn")];
    let ns = "KinesisLambdaPipeline";
    assert_eq!(
        sum(&values(
            &samples,
            ns,
            "RecordProcessingSuccess",
            "Sum",
            &pipeline
        )),
        2.0,
        "{stdout}"
    );
    assert_eq!(
        sum(&values(
            &samples,
            ns,
            "RecordProcessingFailure",
            "Sum",
            &pipeline
        )),
        1.0
    );
    assert_eq!(
        max(&values(&samples, ns, "BatchSize", "Maximum", &pipeline)),
        3.0
    );

    // The queue's AWS/SQS metrics, and its link to the function in the inventory.
    let queue = [("QueueName", "pipe-failed")];
    assert_eq!(
        sum(&values(
            &samples,
            "AWS/SQS",
            "NumberOfMessagesSent",
            "Sum",
            &queue
        )),
        1.0
    );
    let linked = objects
        .iter()
        .find(|o| o.class == "aws_sqs" && o.name == "pipe-failed")
        .expect("the queue is in the inventory");
    assert_eq!(linked.fields["Functions"], "pipe-fn");
    assert_eq!(linked.fields["LinkTypes"], "on-failure");
    assert!(
        linked.fields["EventSources"]
            .as_str()
            .unwrap()
            .ends_with(":stream/pipe-in"),
        "{linked:?}"
    );
    assert_eq!(linked.fields["QueueArn"], queue_arn.as_str());

    // DLQMessages: what reached the queue, per function and queue.
    let link = [("FunctionName", "pipe-fn"), ("QueueName", "pipe-failed")];
    assert_eq!(
        sum(&values(
            &samples,
            "StreamwatchPipeline",
            "DLQMessages",
            "Sum",
            &link
        )),
        1.0
    );

    // LambdaInsights, as the engine reads them from the instance's process.
    let function = [("function_name", "pipe-fn")];
    let insights = "LambdaInsights";
    assert_eq!(
        max(&values(
            &samples,
            insights,
            "total_memory",
            "Maximum",
            &function
        )),
        128.0
    );
    let used = max(&values(
        &samples,
        insights,
        "used_memory_max",
        "Maximum",
        &function,
    ));
    assert!(used > 0.0 && used <= 128.0, "{used}");
    let utilization = max(&values(
        &samples,
        insights,
        "memory_utilization",
        "Maximum",
        &function,
    ));
    assert!(
        (utilization - used / 128.0 * 100.0).abs() < 1e-9,
        "{utilization}"
    );
    // One cold start: one init_duration datapoint, above zero.
    assert_eq!(
        sum(&values(
            &samples,
            insights,
            "init_duration",
            "SampleCount",
            &function
        )),
        1.0
    );
    assert!(
        max(&values(
            &samples,
            insights,
            "init_duration",
            "Maximum",
            &function
        )) > 0.0
    );

    // The account-level Lambda series (no dimension): one instance ran at a time, with no
    // reserved concurrency.
    for metric in [
        "ConcurrentExecutions",
        "UnreservedConcurrentExecutions",
        "ClaimedAccountConcurrency",
    ] {
        assert_eq!(
            max(&values(&samples, "AWS/Lambda", metric, "Maximum", &[])),
            1.0,
            "{metric}"
        );
    }
    assert_eq!(
        sum(&values(&samples, "AWS/Lambda", "Invocations", "Sum", &[])),
        sum(&values(
            &samples,
            "AWS/Lambda",
            "Invocations",
            "Sum",
            &[("FunctionName", "pipe-fn")]
        ))
    );
    assert!(stderr.contains("1 queues"), "{stderr}");
    let _ = child.kill();
    let _ = child.wait();
}
