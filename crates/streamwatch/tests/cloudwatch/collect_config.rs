//! `streamwatch collect --once --config FILE`: a custom metric set and file outputs.

use std::process::Command;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_file_sets_metrics_and_outputs() {
    let testkit::Stack {
        server, kinesis: c, ..
    } = testkit::Stack::in_region(
        kinesis_engine::EngineConfig {
            shard_limits: false,
            ..testkit::engine_config()
        },
        // The region the collector below reads: the server keeps regions apart.
        "eu-west-1",
    )
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

pub(crate) fn http_get(addr: &str, path: &str) -> String {
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

/// One request a [`Datakit`] stand-in received.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    /// Path and query, as on the request line.
    target: String,
    /// Header names in lower case.
    headers: Vec<(String, String)>,
    body: String,
}

/// A stand-in for a Guance DataKit on `127.0.0.1:0`: records every HTTP/1.1 request
/// (keep-alive, `Content-Length` bodies) and answers `200 OK` with an empty body.
struct Datakit {
    url: String,
    received: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
}

impl Datakit {
    async fn start() -> Datakit {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let store = received.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(Datakit::serve(socket, store.clone()));
            }
        });
        Datakit { url, received }
    }

    async fn serve(
        mut socket: tokio::net::TcpStream,
        store: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
    ) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut buf: Vec<u8> = Vec::new();
        loop {
            let head_end = loop {
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i;
                }
                let mut chunk = [0u8; 4096];
                match socket.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            };
            let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
            let mut lines = head.split("\r\n");
            let mut request_line = lines.next().unwrap_or_default().split(' ');
            let method = request_line.next().unwrap_or_default().to_string();
            let target = request_line.next().unwrap_or_default().to_string();
            let headers: Vec<(String, String)> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect();
            let length: usize = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            while buf.len() < head_end + 4 + length {
                let mut chunk = [0u8; 4096];
                match socket.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let body =
                String::from_utf8_lossy(&buf[head_end + 4..head_end + 4 + length]).to_string();
            buf.drain(..head_end + 4 + length);
            store.lock().unwrap().push(Received {
                method,
                target,
                headers,
                body,
            });
            if socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                .await
                .is_err()
            {
                return;
            }
        }
    }
}

/// The tags and fields of a line of line protocol without escaped spaces or commas in tag
/// values, and with no spaces in field values but `message`'s.
fn split_line(line: &str) -> (String, std::collections::BTreeMap<String, String>, String) {
    let (series, rest) = line.split_once(' ').unwrap();
    let mut parts = series.split(',');
    let measurement = parts.next().unwrap().to_string();
    let tags = parts
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    (measurement, tags, rest.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datakit_output_posts_metrics_and_custom_objects() {
    use metric_store::catalog::{kinesis, lambda};
    let stack = testkit::Stack::in_region(
        kinesis_engine::EngineConfig {
            shard_limits: false,
            ..testkit::engine_config()
        },
        // The region the collector below reads: the server keeps regions apart.
        "eu-west-1",
    )
    .await;
    // Deployed first: building the function's binary may take minutes, longer than the
    // cycle's lookback reaches back for the records.
    stack.function("dkfn", "ok").await;
    let c = &stack.kinesis;
    c.create_stream()
        .stream_name("dk")
        .shard_count(2)
        .send()
        .await
        .unwrap();
    for i in 0..3 {
        c.put_record()
            .stream_name("dk")
            .partition_key(format!("k{i}"))
            .data(aws_sdk_kinesis::primitives::Blob::new("xyz"))
            .send()
            .await
            .unwrap();
    }
    stack
        .lambda
        .invoke()
        .function_name("dkfn")
        .payload(aws_sdk_lambda::primitives::Blob::new(r#"{"Records":[]}"#))
        .send()
        .await
        .unwrap();
    let summary = c
        .describe_stream_summary()
        .stream_name("dk")
        .send()
        .await
        .unwrap()
        .stream_description_summary
        .unwrap();
    let created = summary.stream_creation_timestamp.to_millis().unwrap();
    // The datapoints' one-second period must have closed before the cycle reads it.
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let datakit = Datakit::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("collect.toml");
    std::fs::write(
        &config,
        format!(
            r#"
endpoint = "{}"
region = "eu-west-1"
account_name = "pipeline"
period = 1
delay = "0s"
interval = "1s"
lookback = "60s"

[[namespaces]]
name = "aws_kinesis"
metrics = [{{ name = "{}", statistics = ["Sum"] }}]

[[namespaces]]
name = "aws_lambda"
metrics = [{{ name = "{}", statistics = ["Sum"] }}]

[[outputs]]
type = "datakit"
url = "{}/"
"#,
            stack.server.endpoint(),
            kinesis::INCOMING_RECORDS.name,
            lambda::INVOCATIONS.name,
            datakit.url,
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

    let received = datakit.received.lock().unwrap().clone();
    let targets: Vec<&str> = received.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "/v1/write/metric?precision=ms&input=streamwatch",
            "/v1/write/custom_object?input=streamwatch"
        ],
        "{received:#?}"
    );
    for r in &received {
        assert_eq!(r.method, "POST");
        let header = |name: &str| {
            r.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("content-type"), Some("text/plain; charset=utf-8"));
        assert_eq!(header("authorization"), None);
        assert!(r.body.ends_with('\n'));
    }

    // Metrics: the line encoder's points with millisecond timestamps.
    let incoming = format!(
        "{}_sum",
        metric_export::snake_case(kinesis::INCOMING_RECORDS.name)
    );
    let invocations = format!(
        "{}_sum",
        metric_export::snake_case(lambda::INVOCATIONS.name)
    );
    let now = time_source::now_ms_i64();
    let (mut records, mut invoked) = (0.0, 0.0);
    for line in received[0].body.lines() {
        let (measurement, tags, rest) = split_line(line);
        let (field, ts) = rest.split_once(' ').unwrap();
        let ts: i64 = ts.parse().unwrap();
        assert!(
            ts <= now && ts > now - 120_000,
            "a millisecond timestamp: {line}"
        );
        assert_eq!(tags["region"], "eu-west-1", "{line}");
        let (key, value) = field.split_once('=').unwrap();
        let value: f64 = value.parse().unwrap();
        match measurement.as_str() {
            "aws_kinesis" => {
                assert_eq!(
                    (key, tags["stream_name"].as_str()),
                    (incoming.as_str(), "dk"),
                    "{line}"
                );
                records += value;
            }
            "aws_lambda" => {
                assert_eq!(
                    (key, tags["function_name"].as_str()),
                    (invocations.as_str(), "dkfn"),
                    "{line}"
                );
                invoked += value;
            }
            other => panic!("measurement {other}: {line}"),
        }
    }
    assert_eq!((records, invoked), (3.0, 1.0), "{}", received[0].body);

    // Custom objects: one line per stream and function, no timestamp.
    let objects: Vec<&str> = received[1].body.lines().collect();
    assert_eq!(objects.len(), 2, "{}", received[1].body);
    let create_time = metric_export::datakit::format_create_time(created);
    let arn = summary.stream_arn.as_str();
    let stream_message = serde_json::json!({
        "AccountId": "000000000000",
        "AccountName": "pipeline",
        "ConsumerCount": 0,
        "EncryptionType": "NONE",
        "OpenShardCount": 2,
        "RegionId": "eu-west-1",
        "RetentionPeriodHours": 24,
        "StreamARN": arn,
        "StreamCreationTimestamp": created,
        "StreamModeDetails": "PROVISIONED",
        "StreamName": "dk",
        "StreamStatus": "ACTIVE",
        "Tags": {},
        "class": "aws_kinesis",
        "name": "dk",
    })
    .to_string()
    .replace('"', "\\\"");
    assert_eq!(
        objects[0],
        format!(
            "aws_kinesis,EncryptionType=NONE,RegionId=eu-west-1,StreamARN={arn},StreamModeDetails=PROVISIONED,\
             StreamName=dk,StreamStatus=ACTIVE,account_id=000000000000,account_name=pipeline,\
             class=aws_kinesis,cloud_provider=aws,create_time={},name=dk \
             ConsumerCount=0i,OpenShardCount=2i,RetentionPeriodHours=24i,StreamCreationTimestamp={created}i,\
             message=\"{stream_message}\"",
            create_time.replace(' ', "\\ ")
        )
    );
    let (measurement, tags, fields) = split_line(objects[1]);
    assert_eq!(measurement, "aws_lambda");
    for (key, value) in [
        ("class", "aws_lambda"),
        ("name", "dkfn"),
        ("cloud_provider", "aws"),
        ("FunctionName", "dkfn"),
        ("RegionId", "eu-west-1"),
        ("account_id", "000000000000"),
        ("account_name", "pipeline"),
        ("Runtime", "provided.al2023"),
        ("PackageType", "Zip"),
    ] {
        assert_eq!(
            tags.get(key).map(String::as_str),
            Some(value),
            "{key}: {}",
            objects[1]
        );
    }
    let memory = stack
        .lambda
        .get_function_configuration()
        .function_name("dkfn")
        .send()
        .await
        .unwrap();
    assert!(
        fields.starts_with(&format!("CodeSize={}i,", memory.code_size)),
        "{fields}"
    );
    for field in [
        format!("MemorySize={}i", memory.memory_size.unwrap()),
        format!("Timeout={}i", memory.timeout.unwrap()),
    ] {
        assert!(fields.contains(&field), "{field}: {fields}");
    }
    let message = fields.split_once("message=").unwrap().1;
    let message: String = serde_json::from_str(message).unwrap();
    let message: serde_json::Value = serde_json::from_str(&message).unwrap();
    assert_eq!(message["FunctionName"], "dkfn");
    assert_eq!(message["MemorySize"], memory.memory_size.unwrap());

    // The flag does what the file's output does, beside the default /metrics (not served
    // with --once).
    datakit.received.lock().unwrap().clear();
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args([
            "collect",
            "--once",
            "--region",
            "eu-west-1",
            "--period",
            "1",
        ])
        .args(["--delay", "0s", "--lookback", "60s", "--endpoint"])
        .arg(stack.server.endpoint())
        .arg("--datakit-url")
        .arg(&datakit.url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let received = datakit.received.lock().unwrap().clone();
    let targets: Vec<&str> = received.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "/v1/write/metric?precision=ms&input=streamwatch",
            "/v1/write/custom_object?input=streamwatch"
        ]
    );
    assert!(
        received[0]
            .body
            .lines()
            .any(|l| l.starts_with("aws_kinesis,region=eu-west-1,stream_name=dk ")),
        "{}",
        received[0].body
    );
    assert!(
        received[1].body.starts_with("aws_kinesis,") && received[1].body.lines().count() == 1,
        "only the stream (aws_kinesis is the default namespace): {}",
        received[1].body
    );
    stack.server.shutdown().await.unwrap();
}
