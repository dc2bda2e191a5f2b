//! `streamwatch collect --once --config FILE`: a custom metric set and file outputs.

use std::process::Command;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_file_sets_metrics_and_outputs() {
    let testkit::Stack {
        server, kinesis: c, ..
    } = testkit::Stack::with(kinesis_engine::EngineConfig {
        shard_limits: false,
        ..testkit::engine_config()
    })
    .await;
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
    let emf_path = dir.path().join("emf.log");
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
lookback = "60s"

[[namespaces]]
name = "aws_kinesis"
metrics = [{{ name = "IncomingRecords", statistics = ["Sum"] }}]

[[outputs]]
type = "line"
path = "{}"

[[outputs]]
type = "json"
path = "{}"

[[outputs]]
type = "emf"
path = "{}"
namespace_prefix = "Pipeline"
"#,
            server.endpoint(),
            line_path.display(),
            json_path.display(),
            emf_path.display()
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

    // EMF: the same datapoints re-published under Pipeline/Kinesis, one document per
    // series and timestamp.
    let emf = std::fs::read_to_string(&emf_path).unwrap();
    let docs: Vec<serde_json::Value> = emf
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!docs.is_empty(), "{emf}");
    let mut emf_total = 0.0;
    for d in &docs {
        let directive = &d["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Pipeline/Kinesis", "{emf}");
        assert_eq!(
            directive["Dimensions"][0],
            serde_json::json!(["StreamName", "Region"])
        );
        assert_eq!(
            directive["Metrics"][0],
            serde_json::json!({"Name": "IncomingRecords.Sum", "Unit": "Count"})
        );
        assert_eq!(
            (&d["StreamName"], &d["Region"]),
            (&"cfg".into(), &"eu-west-1".into())
        );
        emf_total += d["IncomingRecords.Sum"].as_f64().unwrap();
    }
    assert_eq!(emf_total, 4.0);

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

/// Sends an InfluxQL statement to InfluxDB's `/query` and returns the JSON answer.
fn influx_query(base: &str, db: Option<&str>, q: &str) -> serde_json::Value {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    let encoded: String = q
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let mut path = format!("/query?epoch=ms&q={encoded}");
    if let Some(db) = db {
        path.push_str(&format!("&db={db}"));
    }
    let mut conn = std::net::TcpStream::connect(host).unwrap();
    write!(
        conn,
        "POST {path} HTTP/1.0\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1;
    serde_json::from_str(body).unwrap()
}

fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut conn) = std::net::TcpStream::connect(addr) else {
        return String::new();
    };
    let _ = write!(conn, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    answer
}

/// Without `--once`: cycles every interval, `/metrics` served with the collector's health,
/// and line protocol POSTed to a real InfluxDB every cycle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_serves_metrics_and_writes_to_influxdb() {
    let influx = std::env::var("STREAMWATCH_TEST_INFLUXDB_URL").expect(
        "STREAMWATCH_TEST_INFLUXDB_URL is not set: run the tests with scripts/test.sh, which starts influxd",
    );
    let db = format!("collect_{}", std::process::id());
    let created = influx_query(&influx, None, &format!("CREATE DATABASE \"{db}\""));
    assert!(created["results"][0].get("error").is_none(), "{created}");

    let testkit::Stack {
        server, kinesis: c, ..
    } = testkit::Stack::with(kinesis_engine::EngineConfig {
        shard_limits: false,
        ..testkit::engine_config()
    })
    .await;
    c.create_stream()
        .stream_name("looped")
        .shard_count(1)
        .send()
        .await
        .unwrap();
    for i in 0..6 {
        c.put_record()
            .stream_name("looped")
            .partition_key(format!("k{i}"))
            .data(aws_sdk_kinesis::primitives::Blob::new("xyz"))
            .send()
            .await
            .unwrap();
    }
    let listen = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("collect.toml");
    std::fs::write(
        &config,
        format!(
            r#"
endpoint = "{}"
period = 1
delay = "0s"
interval = "1s"
lookback = "60s"
[[namespaces]]
name = "aws_kinesis"
metrics = [{{ name = "IncomingRecords", statistics = ["Sum"] }}]
[[outputs]]
type = "prometheus"
listen = "{listen}"
[[outputs]]
type = "influxdb"
url = "{influx}/write?db={db}"
gzip = true
"#,
            server.endpoint()
        ),
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["collect", "--config"])
        .arg(&config)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for two cycles that read the puts (the second second has ended by then).
    let mut page = String::new();
    let mut points = serde_json::Value::Null;
    for _ in 0..60 {
        std::thread::sleep(Duration::from_millis(250));
        page = http_get(&listen, "/metrics");
        points = influx_query(
            &influx,
            Some(&db),
            "SELECT sum(incoming_records_sum) FROM aws_kinesis WHERE stream_name = 'looped'",
        );
        let calls = page
            .lines()
            .find(|l| {
                l.starts_with("streamwatch_collector_api_calls_total{operation=\"ListStreams\"")
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0);
        if calls >= 2.0 && points["results"][0]["series"][0]["values"][0][1] == 6.0 {
            break;
        }
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        points["results"][0]["series"][0]["values"][0][1], 6.0,
        "InfluxDB holds every put once: {points}\n{stderr}"
    );
    assert!(page.contains("aws_kinesis_incoming_records_sum{"), "{page}");
    assert!(
        page.contains("streamwatch_collector_last_success_timestamp_seconds{region=\"us-east-1\"}"),
        "{page}"
    );
    assert!(
        page.contains("streamwatch_collector_errors_total{region=\"us-east-1\"} 0"),
        "{page}"
    );
    server.shutdown().await.unwrap();
}
