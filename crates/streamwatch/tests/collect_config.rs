//! `streamwatch collect --once --config FILE`: a custom metric set and file outputs.

use std::process::Command;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_file_sets_metrics_and_outputs() {
    let engine = kinesis_engine::Engine::open(kinesis_engine::EngineConfig {
        transition_delay: Duration::ZERO,
        shard_limits: false,
        ..kinesis_engine::EngineConfig::default()
    })
    .unwrap();
    let server = streamwatch_server::start("127.0.0.1:0".parse().unwrap(), engine)
        .await
        .unwrap();
    let c = aws_sdk_kinesis::Client::from_conf(
        aws_sdk_kinesis::Config::builder()
            .behavior_version(aws_sdk_kinesis::config::BehaviorVersion::latest())
            .region(aws_sdk_kinesis::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_kinesis::config::Credentials::new(
                "a", "b", None, None, "t",
            ))
            .endpoint_url(server.endpoint())
            .build(),
    );
    c.create_stream()
        .stream_name("cfg")
        .shard_count(1)
        .send()
        .await
        .unwrap();
    for i in 0..4 {
        c.put_record()
            .stream_name("cfg")
            .partition_key(format!("k{i}"))
            .data(aws_sdk_kinesis::primitives::Blob::new("xyz"))
            .send()
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let dir = tempfile::tempdir().unwrap();
    let line_path = dir.path().join("out.lp");
    let json_path = dir.path().join("out.jsonl");
    let config = dir.path().join("collect.toml");
    std::fs::write(
        &config,
        format!(
            r#"
endpoint = "{}"
region = "eu-west-1"
period = 1
delay = "0s"
interval = "1s"

[[namespaces]]
name = "aws_kinesis"
metrics = [{{ name = "IncomingRecords", statistics = ["Sum"] }}]

[[outputs]]
type = "line"
path = "{}"

[[outputs]]
type = "json"
path = "{}"
"#,
            server.endpoint(),
            line_path.display(),
            json_path.display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["collect", "--once", "--format", "json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let json = std::fs::read_to_string(&json_path).unwrap();
    assert_eq!(
        stdout, json,
        "--format json on stdout and the json output hold the same cycle"
    );
    let samples: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &serde_json::Value| v.get("metric").is_some())
        .collect();
    assert!(
        samples
            .iter()
            .all(|v| v["metric"] == "IncomingRecords" && v["statistic"] == "Sum"),
        "only the configured set: {json}"
    );
    assert!(samples.iter().all(|v| v["region"] == "eu-west-1"));
    let total: f64 = samples.iter().map(|v| v["value"].as_f64().unwrap()).sum();
    assert_eq!(total, 4.0);
    let line = std::fs::read_to_string(&line_path).unwrap();
    assert!(
        line.lines()
            .any(|l| l
                .starts_with("aws_kinesis,region=eu-west-1,stream_name=cfg incoming_records_sum=")),
        "{line}"
    );

    // A mistake in the file is named, and nothing runs.
    std::fs::write(&config, "regoin = \"x\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["collect", "--once", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("regoin"));
    server.shutdown().await.unwrap();
}
