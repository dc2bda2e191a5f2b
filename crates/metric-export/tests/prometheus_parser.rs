//! Runs the Prometheus exposition through a real parser: the Python `prometheus_client`
//! package's `text_string_to_metric_families`, from the workspace's `.venv` (pinned in
//! `tests/peers/requirements.txt` at the workspace root, installed by `scripts/test.sh`).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use metric_export::{
    FieldValue, Gauge, InventoryObject, MetricType, Sample, Statistic, prometheus,
};
use serde_json::{Value, json};

const PARSE: &str = r#"
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    out.append({
        "name": family.name,
        "type": family.type,
        "help": family.documentation,
        "samples": [
            {"name": s.name, "labels": s.labels, "value": repr(float(s.value)), "timestamp": s.timestamp}
            for s in family.samples
        ],
    })
print(json.dumps(out))
"#;

fn python() -> PathBuf {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python3");
    assert!(
        python.exists(),
        "{} is missing: run scripts/test.sh, which creates the venv and installs \
         tests/peers/requirements.txt",
        python.display()
    );
    let probe = Command::new(&python)
        .args(["-c", "import prometheus_client.parser"])
        .output()
        .expect("run the venv's python3");
    assert!(
        probe.status.success(),
        "the venv lacks prometheus_client ({}): run scripts/test.sh, which installs \
         tests/peers/requirements.txt",
        String::from_utf8_lossy(&probe.stderr).trim()
    );
    python
}

fn parse(exposition: &str) -> Value {
    let mut child = Command::new(python())
        .args(["-c", PARSE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the parser");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "prometheus_client rejected the exposition: {}\n{exposition}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn sample(
    namespace: &str,
    metric: &str,
    statistic: Statistic,
    dims: &[(&str, &str)],
    ts: i64,
    value: f64,
) -> Sample {
    Sample {
        namespace: namespace.to_owned(),
        metric: metric.to_owned(),
        statistic,
        unit: Some("Milliseconds".to_owned()),
        dimensions: dims
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        region: "us-east-1".to_owned(),
        timestamp_ms: ts,
        value,
    }
}

#[test]
fn prometheus_client_parses_the_exposition() {
    let nasty = "q\"uo\\te\nd,x=\"y\"} 1";
    let samples = vec![
        sample(
            "AWS/Kinesis",
            "GetRecords.IteratorAgeMilliseconds",
            Statistic::Average,
            &[("StreamName", "orders")],
            1_700_000_040_000,
            1500.5,
        ),
        sample(
            "AWS/Kinesis",
            "IncomingBytes",
            Statistic::Sum,
            &[("StreamName", nasty), ("ShardId", "shardId-000000000000")],
            1_700_000_040_000,
            1e21,
        ),
        sample(
            "AWS/Lambda",
            "Duration",
            Statistic::Percentile(99.9),
            &[("FunctionName", "f"), ("Resource", "f:live")],
            1_700_000_040_000,
            f64::NAN,
        ),
    ];
    let object = InventoryObject {
        class: "aws_lambda".to_owned(),
        name: "f".to_owned(),
        fields: BTreeMap::from([
            ("MemorySize".to_owned(), FieldValue::Int(128)),
            ("Handler".to_owned(), FieldValue::from("index.handler")),
        ]),
        tags: BTreeMap::from([("aws:cloudformation:stack-name".to_owned(), nasty.to_owned())]),
    };
    let extra = [
        Gauge {
            name: "streamwatch_scrape_age_seconds".to_owned(),
            kind: MetricType::Gauge,
            help: "Seconds since the last \"cycle\"\nback\\slash".to_owned(),
            labels: vec![],
            value: f64::INFINITY,
        },
        Gauge {
            name: "streamwatch_collector_api_calls_total".to_owned(),
            kind: MetricType::Counter,
            help: "API calls".to_owned(),
            labels: vec![("operation".to_owned(), "ListStreams".to_owned())],
            value: 3.0,
        },
    ];
    let text = prometheus::encode(&samples, &[object], &extra);
    let parsed = parse(&text);
    let ts = 1_700_000_040.0;
    assert_eq!(
        parsed,
        json!([
            {
                "name": "aws_kinesis_get_records_iterator_age_milliseconds_average",
                "type": "gauge",
                "help": "CloudWatch metric AWS/Kinesis GetRecords.IteratorAgeMilliseconds, statistic Average, unit Milliseconds",
                "samples": [{
                    "name": "aws_kinesis_get_records_iterator_age_milliseconds_average",
                    "labels": {"region": "us-east-1", "stream_name": "orders"},
                    "value": "1500.5",
                    "timestamp": ts,
                }],
            },
            {
                "name": "aws_kinesis_incoming_bytes_sum",
                "type": "gauge",
                "help": "CloudWatch metric AWS/Kinesis IncomingBytes, statistic Sum, unit Milliseconds",
                "samples": [{
                    "name": "aws_kinesis_incoming_bytes_sum",
                    "labels": {"region": "us-east-1", "shard_id": "shardId-000000000000", "stream_name": nasty},
                    "value": "1e+21",
                    "timestamp": ts,
                }],
            },
            {
                "name": "aws_lambda_duration_p99_9",
                "type": "gauge",
                "help": "CloudWatch metric AWS/Lambda Duration, statistic p99.9, unit Milliseconds",
                "samples": [{
                    "name": "aws_lambda_duration_p99_9",
                    "labels": {"function_name": "f", "region": "us-east-1", "resource": "f:live"},
                    "value": "nan",
                    "timestamp": ts,
                }],
            },
            {
                "name": "aws_lambda_info",
                "type": "gauge",
                "help": "Inventory of aws_lambda objects: always 1, attributes and tags as labels",
                "samples": [{
                    "name": "aws_lambda_info",
                    "labels": {
                        "handler": "index.handler",
                        "memory_size": "128",
                        "name": "f",
                        "tag_aws_cloudformation_stack_name": nasty,
                    },
                    "value": "1.0",
                    "timestamp": null,
                }],
            },
            {
                // The parser names a counter family without its `_total` suffix.
                "name": "streamwatch_collector_api_calls",
                "type": "counter",
                "help": "API calls",
                "samples": [{
                    "name": "streamwatch_collector_api_calls_total",
                    "labels": {"operation": "ListStreams"},
                    "value": "3.0",
                    "timestamp": null,
                }],
            },
            {
                "name": "streamwatch_scrape_age_seconds",
                "type": "gauge",
                "help": "Seconds since the last \"cycle\"\nback\\slash",
                "samples": [{
                    "name": "streamwatch_scrape_age_seconds",
                    "labels": {},
                    "value": "inf",
                    "timestamp": null,
                }],
            },
        ])
    );
}

/// The YACE style through the same parser: labels as written (`dimension_StreamName`,
/// `tag_Team`), every family's labels on each series, no timestamps unless asked.
#[test]
fn prometheus_client_parses_the_yace_style() {
    let samples = vec![
        sample(
            "AWS/Kinesis",
            "IncomingBytes",
            Statistic::Sum,
            &[("StreamName", "orders")],
            1_700_000_040_000,
            10.0,
        ),
        sample(
            "AWS/Kinesis",
            "IncomingBytes",
            Statistic::Sum,
            &[
                ("StreamName", "orders"),
                ("ShardId", "shardId-000000000000"),
            ],
            1_700_000_040_000,
            4.0,
        ),
    ];
    let object = InventoryObject {
        class: "aws_kinesis".to_owned(),
        name: "orders".to_owned(),
        fields: BTreeMap::from([
            ("StreamName".to_owned(), FieldValue::from("orders")),
            (
                "StreamARN".to_owned(),
                FieldValue::from("arn:aws:kinesis:us-east-1:123456789012:stream/orders"),
            ),
            ("RegionId".to_owned(), FieldValue::from("us-east-1")),
            ("AccountId".to_owned(), FieldValue::from("123456789012")),
        ]),
        tags: BTreeMap::from([("Team".to_owned(), "data".to_owned())]),
    };
    let mut style = metric_export::yace::YaceStyle::default();
    style
        .exported_tags
        .insert("AWS/Kinesis".to_owned(), vec!["Team".to_owned()]);
    let options = prometheus::Options {
        label_style: prometheus::LabelStyle::Yace(style),
        timestamps: true,
    };
    let parsed = parse(&prometheus::encode_opts(&samples, &[object], &[], &options));
    let arn = "arn:aws:kinesis:us-east-1:123456789012:stream/orders";
    let series = |shard: &str, value: &str| {
        json!({
            "name": "aws_kinesis_incoming_bytes_sum",
            "labels": {
                "account_id": "123456789012",
                "dimension_ShardId": shard,
                "dimension_StreamName": "orders",
                "name": arn,
                "region": "us-east-1",
                "tag_Team": "data",
            },
            "value": value,
            "timestamp": null,
        })
    };
    assert_eq!(
        parsed[0]["samples"],
        json!([series("", "10.0"), series("shardId-000000000000", "4.0")])
    );
    assert_eq!(
        parsed[1]["samples"],
        json!([{
            "name": "aws_kinesis_info",
            "labels": {"name": arn, "tag_Team": "data"},
            "value": "0.0",
            "timestamp": null,
        }])
    );
}
