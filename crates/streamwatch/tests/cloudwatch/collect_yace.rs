//! `streamwatch collect --once --config yace.yml`: configs shaped like YACE's documented
//! examples (`tests/fixtures/yace/`) are accepted, and the series carry YACE's names and
//! labels; other namespaces are refused by name; a job's role is assumed through STS (a
//! stand-in here) and the calls that follow are signed with the role's keys.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use parking_lot::Mutex;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/yace")
        .join(name)
}

/// Runs `collect --once` with this config against `endpoint`; returns stdout, or panics with
/// stderr.
fn collect(endpoint: &str, config: &Path, env: &[(&str, &str)]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["collect", "--once", "--endpoint", endpoint, "--config"])
        .arg(config)
        .envs(env.iter().copied())
        .env_remove("AWS_REGION")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The exposition's series: name, rendered labels and value, `#` lines left out.
fn series(text: &str) -> Vec<(String, String, String)> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (name, rest) = l.split_at(l.find(['{', ' '])?);
            let (labels, value) = match rest.strip_prefix('{') {
                Some(r) => {
                    let end = r.rfind('}')?;
                    (r[..end].to_string(), r[end + 1..].trim().to_string())
                }
                None => (String::new(), rest.trim().to_string()),
            };
            Some((name.to_string(), labels, value))
        })
        .collect()
}

/// The metric names of a fixture's metrics as YACE builds them, and the series' labels
/// for one resource.
fn check_resource(
    text: &str,
    prefix: &str,
    expected_names: &[&str],
    labels: &str,
) -> BTreeMap<String, String> {
    let all = series(text);
    let names: BTreeSet<&str> = all
        .iter()
        .map(|(n, _, _)| n.as_str())
        .filter(|n| n.starts_with(prefix) && !n.ends_with("_info"))
        .collect();
    assert_eq!(
        names,
        expected_names.iter().copied().collect::<BTreeSet<_>>(),
        "{text}"
    );
    let mut values = BTreeMap::new();
    for name in expected_names {
        let found = all
            .iter()
            .find(|(n, l, _)| n == name && l == labels)
            .unwrap_or_else(|| panic!("{name}{{{labels}}} missing:\n{text}"));
        values.insert(name.to_string(), found.2.clone());
    }
    values
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yaces_example_configs_give_yaces_names_and_labels() {
    let stack = testkit::Stack::start().await;
    stack
        .stream("orders", 1, &[("k1", "abc"), ("k2", "defg")])
        .await;
    stack
        .kinesis
        .add_tags_to_stream()
        .stream_name("orders")
        .tags("Team", "data")
        // AWS refuses `aws:` keys from users (CloudFormation's own tags cannot be added
        // through the API), so a key with the same punctuation stands in for them.
        .tags("cfn:stack-name", "pipeline")
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bootstrap = dir.path().join("bootstrap");
    std::fs::write(&bootstrap, "#!/bin/sh\n").unwrap();
    stack.deploy_binary("resize", &bootstrap, &[]).await;
    let endpoint = stack.endpoint();

    // Kinesis: every metric of the example, NaN where the 300 s period has not ended yet,
    // labelled as YACE labels them.
    let text = collect(&endpoint, &fixture("kinesis.yml"), &[]);
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/orders";
    let labels = format!(
        "account_id=\"000000000000\",dimension_StreamName=\"orders\",name=\"{arn}\",region=\"us-east-1\""
    );
    check_resource(
        &text,
        "aws_kinesis_",
        &[
            "aws_kinesis_put_record_latency_average",
            "aws_kinesis_put_record_success_sum",
            "aws_kinesis_put_record_bytes_sum",
            "aws_kinesis_put_records_latency_average",
            "aws_kinesis_put_records_records_sum",
            "aws_kinesis_put_records_success_sum",
            "aws_kinesis_put_records_bytes_sum",
            "aws_kinesis_get_records_latency_average",
            "aws_kinesis_get_records_records_sum",
            "aws_kinesis_get_records_success_sum",
            "aws_kinesis_get_records_bytes_sum",
            "aws_kinesis_get_records_iterator_age_milliseconds_average",
            "aws_kinesis_incoming_bytes_sum",
            "aws_kinesis_incoming_records_sum",
            "aws_kinesis_outgoing_bytes_sum",
            "aws_kinesis_outgoing_records_sum",
            "aws_kinesis_write_provisioned_throughput_exceeded_average",
            "aws_kinesis_read_provisioned_throughput_exceeded_average",
        ],
        &labels,
    );
    // The resource with its tags as written (separators turned to `_`), value 0.
    assert!(
        text.contains(&format!(
            "aws_kinesis_info{{name=\"{arn}\",tag_Team=\"data\",tag_cfn_stack_name=\"pipeline\"}} 0\n"
        )),
        "{text}"
    );
    // No CloudWatch timestamps unless addCloudwatchTimestamp, YACE's request counters.
    assert!(
        series(&text)
            .iter()
            .filter(|(n, _, _)| n.starts_with("aws_"))
            .all(|(_, _, v)| !v.contains(' ')),
        "{text}"
    );
    assert!(
        text.contains("yace_cloudwatch_requests_total{api_name=\"GetMetricData\"} "),
        "{text}"
    );
    assert!(
        text.contains("# TYPE yace_cloudwatch_getmetricdata_metrics_requested_total counter\n"),
        "{text}"
    );

    // The other outputs carry datapoints only, not the series shown as NaN.
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args([
            "collect",
            "--once",
            "--format",
            "json",
            "--endpoint",
            &endpoint,
        ])
        .arg("--config")
        .arg(fixture("kinesis.yml"))
        .output()
        .unwrap();
    let json = String::from_utf8(out.stdout).unwrap();
    assert!(
        json.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v.get("metric").is_some())
            .all(|v| v["value"].is_number() && v["timestamp_ms"].as_i64() > Some(0)),
        "{json}"
    );

    // Lambda.
    let text = collect(&endpoint, &fixture("lambda.yml"), &[]);
    let labels = "account_id=\"000000000000\",dimension_FunctionName=\"resize\",\
                  name=\"arn:aws:lambda:us-east-1:000000000000:function:resize\",region=\"us-east-1\"";
    check_resource(
        &text,
        "aws_lambda_",
        &[
            "aws_lambda_invocations_sum",
            "aws_lambda_errors_sum",
            "aws_lambda_throttles_sum",
            "aws_lambda_duration_average",
            "aws_lambda_duration_maximum",
            "aws_lambda_duration_minimum",
            "aws_lambda_duration_p90",
        ],
        labels,
    );
    assert!(
        text.contains(
            "aws_lambda_info{name=\"arn:aws:lambda:us-east-1:000000000000:function:resize\"} 0\n"
        ),
        "{text}"
    );

    // SQS.
    stack.queue("jobs").await;
    let text = collect(&endpoint, &fixture("sqs.yml"), &[]);
    let queue_arn = "arn:aws:sqs:us-east-1:000000000000:jobs";
    let labels = format!(
        "account_id=\"000000000000\",dimension_QueueName=\"jobs\",name=\"{queue_arn}\",region=\"us-east-1\""
    );
    check_resource(
        &text,
        "aws_sqs_",
        &[
            "aws_sqs_number_of_messages_sent_sum",
            "aws_sqs_number_of_messages_received_sum",
            "aws_sqs_number_of_messages_deleted_sum",
            "aws_sqs_approximate_age_of_oldest_message_average",
            "aws_sqs_number_of_empty_receives_sum",
            "aws_sqs_sent_message_size_average",
            "aws_sqs_approximate_number_of_messages_not_visible_sum",
            "aws_sqs_approximate_number_of_messages_delayed_sum",
            "aws_sqs_approximate_number_of_messages_visible_sum",
        ],
        &labels,
    );
    assert!(
        text.contains(&format!("aws_sqs_info{{name=\"{queue_arn}\"}} 0\n")),
        "{text}"
    );

    // A custom namespace job: every series ListMetrics names, `name` being the job's name,
    // only those with exactly the required dimensions.
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
    let dim = |n: &str, v: &str| Dimension::builder().name(n).value(v).build();
    stack
        .cloudwatch
        .put_metric_data()
        .namespace("Pipeline/Orders")
        .metric_data(
            MetricDatum::builder()
                .metric_name("BatchSize")
                .dimensions(dim("Environment", "prod"))
                .value(42.0)
                .build(),
        )
        .metric_data(
            MetricDatum::builder()
                .metric_name("BatchSize")
                .dimensions(dim("Environment", "prod"))
                .dimensions(dim("Shard", "a"))
                .value(7.0)
                .build(),
        )
        .send()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let custom = dir.path().join("custom.yml");
    std::fs::write(
        &custom,
        r#"apiVersion: v1alpha1
customNamespace:
  - name: orders-pipeline
    namespace: Pipeline/Orders
    regions: [us-east-1]
    dimensionNameRequirements: [Environment]
    period: 1
    length: 60
    metrics:
      - name: BatchSize
        statistics: [Maximum]
"#,
    )
    .unwrap();
    let text = collect(&endpoint, &custom, &[]);
    let found: Vec<_> = series(&text)
        .into_iter()
        .filter(|(n, _, _)| n == "aws_pipeline_orders_batch_size_maximum")
        .collect();
    assert_eq!(
        found,
        [(
            "aws_pipeline_orders_batch_size_maximum".to_string(),
            "account_id=\"\",dimension_Environment=\"prod\",name=\"orders-pipeline\",region=\"us-east-1\""
                .to_string(),
            "42".to_string()
        )],
        "{text}"
    );

    // A period that has ended carries the datapoint; nilToZero and addCloudwatchTimestamp
    // act per metric; exportedTagsOnMetrics puts the tag on every series.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let config = dir.path().join("short.yml");
    std::fs::write(
        &config,
        r#"apiVersion: v1alpha1
discovery:
  exportedTagsOnMetrics:
    AWS/Kinesis: [Team, Owner]
  jobs:
    - type: AWS/Kinesis
      regions: [us-east-1]
      searchTags:
        - key: Team
          value: dat
      period: 1
      length: 60
      metrics:
        - name: IncomingRecords
          statistics: [Sum]
          addCloudwatchTimestamp: true
        - name: ReadProvisionedThroughputExceeded
          statistics: [Maximum]
          nilToZero: true
        - name: GetRecords.Bytes
          statistics: [Sum]
          addCloudwatchTimestamp: true
"#,
    )
    .unwrap();
    let text = collect(&endpoint, &config, &[]);
    let labels = format!(
        "account_id=\"000000000000\",dimension_StreamName=\"orders\",name=\"{arn}\",region=\"us-east-1\",tag_Owner=\"\",tag_Team=\"data\""
    );
    let values = check_resource(
        &text,
        "aws_kinesis_",
        &[
            "aws_kinesis_incoming_records_sum",
            "aws_kinesis_read_provisioned_throughput_exceeded_maximum",
        ],
        &labels,
    );
    let (value, timestamp) = values["aws_kinesis_incoming_records_sum"]
        .split_once(' ')
        .expect("a timestamp");
    assert!(value.parse::<f64>().unwrap() >= 1.0, "{text}");
    assert!(
        timestamp.parse::<i64>().unwrap() > 1_700_000_000_000,
        "{text}"
    );
    assert_eq!(
        values["aws_kinesis_read_provisioned_throughput_exceeded_maximum"],
        "0"
    );

    // --timestamps false drops them; --label-style streamwatch gives streamwatch's names.
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args([
            "collect",
            "--once",
            "--endpoint",
            &endpoint,
            "--timestamps",
            "false",
        ])
        .args(["--label-style", "streamwatch", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("aws_kinesis_incoming_records_sum{"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.starts_with(
            "aws_kinesis_incoming_records_sum{region=\"us-east-1\",stream_name=\"orders\"} "
        ),
        "{line}"
    );
    assert_eq!(line.split(' ').count(), 2, "no timestamp: {line}");

    // A search tag that matches no stream's value leaves it out.
    std::fs::write(
        &config,
        std::fs::read_to_string(&config)
            .unwrap()
            .replace("value: dat", "value: ^ops$"),
    )
    .unwrap();
    let text = collect(&endpoint, &config, &[]);
    assert!(!text.contains("dimension_StreamName=\"orders\""), "{text}");
}

#[test]
fn other_namespaces_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("yace.yml");
    std::fs::write(
        &config,
        "apiVersion: v1alpha1\ndiscovery:\n  jobs:\n    - type: AWS/EC2\n      regions: [us-east-1]\n      metrics: [{name: CPUUtilization, statistics: [Average]}]\n    - type: AWS/Kinesis\n      regions: [us-east-1]\n      metrics: [{name: IncomingBytes, statistics: [Sum]}]\n    - type: AWS/RDS\n      regions: [us-east-1]\n      metrics: [{name: FreeStorageSpace, statistics: [Minimum]}]\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["collect", "--once", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("AWS/EC2 (discovery job 0)"), "{stderr}");
    assert!(stderr.contains("AWS/RDS (discovery job 2)"), "{stderr}");
    assert!(
        stderr.contains("it collects AWS/Kinesis, AWS/Lambda"),
        "{stderr}"
    );
}

/// What the STS stand-in saw.
#[derive(Default)]
struct Seen {
    /// AssumeRole form bodies, with the signature's credential scope under `scope`.
    assume_role: Vec<BTreeMap<String, String>>,
    /// The access key IDs of the other requests' signatures.
    access_keys: Vec<String>,
}

const ASSUMED_KEY: &str = "ASIAYACEROLETEST0001";

/// An STS stand-in on a loopback port: answers AssumeRole as STS does (its XML shape) and
/// passes every other request on to the engine, noting whose key signed it.
async fn sts_stand_in(engine: String) -> (String, Arc<Mutex<Seen>>) {
    use axum::body::{Body, to_bytes};
    use axum::extract::{Request, State};
    use axum::response::Response;

    type Shared = (Arc<Mutex<Seen>>, String);
    async fn handle(State((seen, engine)): State<Shared>, req: Request) -> Response {
        let (parts, body) = req.into_parts();
        let body = to_bytes(body, 64 << 20).await.unwrap();
        let mut form: BTreeMap<String, String> = url_form(&body);
        let credential = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split(',').next())
            .unwrap_or_default()
            .to_string();
        if form.get("Action").map(String::as_str) == Some("AssumeRole") {
            form.insert("scope".into(), credential);
            seen.lock().assume_role.push(form);
            let xml = format!(
                r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>{ASSUMED_KEY}</AccessKeyId>
      <SecretAccessKey>c2VjcmV0LW9mLXRoZS1yb2xl</SecretAccessKey>
      <SessionToken>session-token-of-the-role</SessionToken>
      <Expiration>2099-01-01T00:00:00Z</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <AssumedRoleId>AROAYACEROLE:streamwatch</AssumedRoleId>
      <Arn>arn:aws:sts::000000000000:assumed-role/prometheus/streamwatch</Arn>
    </AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>"#
            );
            return Response::builder()
                .header("content-type", "text/xml")
                .body(Body::from(xml))
                .unwrap();
        }
        if let Some(key) = credential.split('/').next().filter(|k| !k.is_empty()) {
            seen.lock().access_keys.push(key.to_string());
        }
        // On to the engine, as sent (the engine takes any key).
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<http_body_util::Full<bytes::Bytes>>();
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut forward = hyper::Request::builder()
            .method(parts.method.clone())
            .uri(format!("{engine}{path}"));
        for (name, value) in &parts.headers {
            forward = forward.header(name, value);
        }
        let resp = client
            .request(forward.body(http_body_util::Full::new(body)).unwrap())
            .await
            .unwrap();
        let (parts, body) = resp.into_parts();
        let body = http_body_util::BodyExt::collect(body)
            .await
            .unwrap()
            .to_bytes();
        Response::from_parts(parts, Body::from(body))
    }

    let seen = Arc::new(Mutex::new(Seen::default()));
    let app = axum::Router::new()
        .fallback(handle)
        .with_state((seen.clone(), engine));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

/// A form body's fields, percent-decoded.
fn url_form(body: &[u8]) -> BTreeMap<String, String> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                    out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jobs_role_is_assumed_and_signs_the_calls() {
    let stack = testkit::Stack::start().await;
    stack.stream("audited", 1, &[("k", "v")]).await;
    let (url, seen) = sts_stand_in(stack.endpoint()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("roles.yml");
    std::fs::write(
        &config,
        r#"apiVersion: v1alpha1
sts-region: eu-west-1
discovery:
  jobs:
    - type: AWS/Kinesis
      regions: [us-east-1]
      roles:
        - roleArn: arn:aws:iam::000000000000:role/prometheus
          externalId: shared-external-identifier
      metrics:
        - name: IncomingRecords
          statistics: [Sum]
"#,
    )
    .unwrap();
    let text = collect(
        &url,
        &config,
        &[
            ("AWS_ENDPOINT_URL_STS", url.as_str()),
            ("AWS_ACCESS_KEY_ID", "AKIABASECREDENTIALS1"),
            ("AWS_SECRET_ACCESS_KEY", "base-secret"),
        ],
    );
    assert!(text.contains("dimension_StreamName=\"audited\""), "{text}");
    let seen = seen.lock();
    assert_eq!(seen.assume_role.len(), 1, "one AssumeRole per role");
    let call = &seen.assume_role[0];
    assert_eq!(call["RoleArn"], "arn:aws:iam::000000000000:role/prometheus");
    assert_eq!(call["ExternalId"], "shared-external-identifier");
    assert_eq!(call["RoleSessionName"], "streamwatch");
    // Signed with the base credentials, for STS in the config's sts-region.
    assert!(
        call["scope"].starts_with("AKIABASECREDENTIALS1/")
            && call["scope"].ends_with("/eu-west-1/sts/aws4_request"),
        "{}",
        call["scope"]
    );
    // Every call to the engine (ListStreams, GetMetricData, ...) signed with the role's key.
    assert!(!seen.access_keys.is_empty());
    assert!(
        seen.access_keys.iter().all(|k| k == ASSUMED_KEY),
        "{:?}",
        seen.access_keys
    );
}

/// Without `--once`, as YACE serves: every job's series stay on the page between the
/// periods that end (a 60 s metric beside a 1 s one), and the request counters grow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_keeps_each_jobs_series_between_its_periods() {
    let stack = testkit::Stack::start().await;
    stack.stream("looped", 1, &[("k", "v")]).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("loop.yml");
    std::fs::write(
        &config,
        r#"apiVersion: v1alpha1
discovery:
  jobs:
    - type: AWS/Kinesis
      regions: [us-east-1]
      length: 60
      metrics:
        - name: IncomingRecords
          statistics: [Sum]
          period: 1
        - name: IncomingBytes
          statistics: [Sum]
          period: 60
"#,
    )
    .unwrap();
    let listen = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args([
            "collect",
            "--endpoint",
            &stack.endpoint(),
            "--listen",
            &listen,
        ])
        .arg("--config")
        .arg(&config)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let requests = |page: &str| {
        page.lines()
            .find(|l| l.starts_with("yace_cloudwatch_requests_total{api_name=\"GetMetricData\"}"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let mut page = String::new();
    for _ in 0..80 {
        std::thread::sleep(std::time::Duration::from_millis(250));
        page = super::collect_config::http_get(&listen, "/metrics");
        // Four cycles of the 1 s job; the 60 s job had its first window only.
        if requests(&page) >= 5.0 {
            break;
        }
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert!(
        requests(&page) >= 5.0,
        "{page}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for family in [
        "aws_kinesis_incoming_records_sum",
        "aws_kinesis_incoming_bytes_sum",
    ] {
        assert!(
            page.contains(&format!(
                "{family}{{account_id=\"000000000000\",dimension_StreamName=\"looped\""
            )),
            "{family}: {page}"
        );
    }
}
