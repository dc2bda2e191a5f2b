//! `streamwatch dashboard generate` and `dashboard apply` (the real binary): each format
//! written and readable, the CloudWatch body taken by our PutDashboard validation, and
//! `apply` landing it on the engine with the pipeline's alarms.

use std::process::Command;

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};
use serde_json::Value;
use testkit::Stack;

fn streamwatch(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .arg("dashboard")
        .args(args)
        .env("AWS_REGION", "us-east-1")
        .output()
        .expect("streamwatch runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{args:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn dashboard_generate_writes_each_format() {
    let body = streamwatch(&["generate", "--stream", "orders", "--function", "consumer"]);
    assert_eq!(dashboards::validate::body(&body), vec![]);
    let body: Value = serde_json::from_str(&body).unwrap();
    let titles: Vec<&str> = body["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["properties"]["title"].as_str())
        .collect();
    assert!(titles.contains(&"Pipeline Throughput"), "{titles:?}");
    assert!(titles.contains(&"Latency Metrics"), "{titles:?}");

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("grafana.json");
    let printed = streamwatch(&[
        "generate",
        "--stream",
        "orders",
        "--function",
        "consumer",
        "--format",
        "grafana",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(printed, "");
    let grafana: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(grafana["templating"]["list"][1]["name"], "stream");
    assert_eq!(
        grafana["templating"]["list"][1]["current"]["value"],
        "orders"
    );
    assert!(
        grafana
            .to_string()
            .contains("aws_kinesis_incoming_bytes_sum{stream_name=\\\"$stream\\\"}")
    );
    let cw: Value = serde_json::from_str(&streamwatch(&[
        "generate",
        "--stream",
        "orders",
        "--function",
        "consumer",
        "--format",
        "grafana-cloudwatch",
    ]))
    .unwrap();
    assert_eq!(cw["panels"][0]["datasource"]["type"], "cloudwatch");
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_apply_lands_the_body_with_the_pipelines_alarms() {
    let stack = Stack::start().await;
    let endpoint = stack.endpoint();
    stack
        .cloudwatch
        .put_metric_alarm()
        .alarm_name("orders-iterator-age")
        .namespace("AWS/Kinesis")
        .metric_name("GetRecords.IteratorAgeMilliseconds")
        .dimensions(
            Dimension::builder()
                .name("StreamName")
                .value("orders")
                .build(),
        )
        .statistic(Statistic::Maximum)
        .period(60)
        .evaluation_periods(1)
        .threshold(60_000.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect("alarm");
    let ep = endpoint.clone();
    let printed = tokio::task::spawn_blocking(move || {
        streamwatch(&[
            "apply",
            "--stream",
            "orders",
            "--function",
            "consumer",
            "--endpoint",
            &ep,
        ])
    })
    .await
    .unwrap();
    assert!(
        printed.contains("applied dashboard streamwatch-orders")
            && printed.contains("arn:aws:cloudwatch::000000000000:dashboard/streamwatch-orders"),
        "{printed}"
    );
    let got = stack
        .cloudwatch
        .get_dashboard()
        .dashboard_name("streamwatch-orders")
        .send()
        .await
        .expect("the dashboard landed");
    let body: Value = serde_json::from_str(got.dashboard_body().unwrap()).unwrap();
    let alarm = body["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["type"] == "alarm")
        .expect("an alarm widget");
    assert_eq!(
        alarm["properties"]["alarms"],
        serde_json::json!(["arn:aws:cloudwatch:us-east-1:000000000000:alarm:orders-iterator-age"])
    );
    // The same body `generate` writes, with the alarm named.
    let generated = streamwatch(&[
        "generate",
        "--stream",
        "orders",
        "--function",
        "consumer",
        "--alarm",
        "arn:aws:cloudwatch:us-east-1:000000000000:alarm:orders-iterator-age",
    ]);
    assert_eq!(body, serde_json::from_str::<Value>(&generated).unwrap());
}
