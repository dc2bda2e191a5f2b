//! `streamwatch collect` across regions and with the AWS credential chain: several regions in
//! one run (one failing while the others are collected), and the credentials each kind of
//! configuration leads to, read off the requests' SigV4 `Authorization` header.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A server holding `stream` with `records` records, in `region` (where it is collected).
async fn engine_with(
    region: &str,
    stream: &str,
    records: usize,
) -> streamwatch_server::RunningServer {
    let testkit::Stack {
        server, kinesis: c, ..
    } = testkit::Stack::in_region(
        kinesis_engine::EngineConfig {
            shard_limits: false,
            ..testkit::engine_config()
        },
        region,
    )
    .await;
    c.create_stream()
        .stream_name(stream)
        .shard_count(1)
        .send()
        .await
        .unwrap();
    for i in 0..records {
        c.put_record()
            .stream_name(stream)
            .partition_key(format!("k{i}"))
            .data(aws_sdk_kinesis::primitives::Blob::new("xyz"))
            .send()
            .await
            .unwrap();
    }
    server
}

fn dead_endpoint() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regions_are_collected_side_by_side_and_one_failing_stops_none() {
    let east = engine_with("us-east-1", "orders", 4).await;
    let west = engine_with("eu-west-1", "clicks", 2).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("collect.toml");
    std::fs::write(
        &config,
        format!(
            r#"
regions = ["us-east-1", "eu-west-1", "ap-south-1"]
period = 1
delay = "0s"
interval = "1s"
lookback = "60s"
[endpoints]
us-east-1 = "{}"
eu-west-1 = "{}"
ap-south-1 = "{}"
[[namespaces]]
name = "aws_kinesis"
metrics = [{{ name = "IncomingRecords", statistics = ["Sum"] }}]
"#,
            east.endpoint(),
            west.endpoint(),
            dead_endpoint()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["collect", "--once", "--format", "json", "--config"])
        .arg(&config)
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The dead region is reported (and fails the run), the others are printed.
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("ap-south-1: ListStreams failed: connection"),
        "{stderr}"
    );
    let mut totals = std::collections::BTreeMap::new();
    for line in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v.get("metric").is_none() {
            continue;
        }
        let stream = v["dimensions"]["StreamName"].as_str().unwrap().to_string();
        let region = v["region"].as_str().unwrap().to_string();
        *totals.entry((region, stream)).or_insert(0.0) += v["value"].as_f64().unwrap();
    }
    assert_eq!(
        totals.into_iter().collect::<Vec<_>>(),
        [
            (("eu-west-1".to_string(), "clicks".to_string()), 2.0),
            (("us-east-1".to_string(), "orders".to_string()), 4.0),
        ],
        "{stdout}"
    );
    east.shutdown().await.unwrap();
    west.shutdown().await.unwrap();
}

/// A server that records each request's `Authorization` header and answers every request
/// with an AccessDeniedException (a client error, so the SDK does not retry).
fn capture() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { break };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                match conn.read(&mut byte) {
                    Ok(1) => head.push(byte[0]),
                    _ => break,
                }
            }
            let head = String::from_utf8_lossy(&head).to_string();
            if let Some(auth) = head.lines().find_map(|l| {
                l.strip_prefix("authorization: ")
                    .or(l.strip_prefix("Authorization: "))
            }) {
                log.lock().unwrap().push(auth.to_string());
            }
            let body = r#"{"__type":"AccessDeniedException","message":"captured"}"#;
            let _ = write!(
                conn,
                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (endpoint, seen)
}

/// Runs one `collect --once` against the capture server with only the given environment
/// (plus PATH), and returns the access key ID and region of its first signed request, and
/// its stderr.
fn signed_by(env: &[(&str, &str)]) -> (String, String, String) {
    let (endpoint, seen) = capture();
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["collect", "--once", "--endpoint", &endpoint])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("STREAMWATCH_LOG", "trace")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "the capture server refuses everything"
    );
    let auth = seen.lock().unwrap().first().cloned().unwrap_or_else(|| {
        panic!(
            "no signed request: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    // Credential=<key id>/<date>/<region>/<service>/aws4_request
    let scope = auth
        .split("Credential=")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap()
        .to_string();
    let parts: Vec<&str> = scope.split('/').collect();
    (
        parts[0].to_string(),
        parts[2].to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn credentials_come_from_the_standard_chain() {
    // Nothing configured: fixed local credentials, no metadata probe.
    let (key, region, _) = signed_by(&[]);
    assert_eq!(
        (key.as_str(), region.as_str()),
        ("streamwatch", "us-east-1")
    );

    // Environment variables.
    let (key, _, stderr) = signed_by(&[
        ("AWS_ACCESS_KEY_ID", "AKIAFROMENV"),
        ("AWS_SECRET_ACCESS_KEY", "env-secret-value-1234"),
        ("AWS_REGION", "eu-central-1"),
    ]);
    assert_eq!(key, "AKIAFROMENV");
    assert!(
        !stderr.contains("env-secret-value-1234"),
        "a secret was logged"
    );

    // A named profile in the shared files.
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials");
    let config = dir.path().join("config");
    std::fs::write(
        &credentials,
        "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = default-secret\n\n\
         [pipeline]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = profile-secret-value-5678\n",
    )
    .unwrap();
    std::fs::write(&config, "[profile pipeline]\nregion = ap-northeast-1\n").unwrap();
    let files = [
        ("AWS_SHARED_CREDENTIALS_FILE", credentials.to_str().unwrap()),
        ("AWS_CONFIG_FILE", config.to_str().unwrap()),
    ];
    let mut with_profile = files.to_vec();
    with_profile.extend([
        ("AWS_PROFILE", "pipeline"),
        ("AWS_REGION", "ap-northeast-1"),
    ]);
    let (key, region, stderr) = signed_by(&with_profile);
    assert_eq!(
        (key.as_str(), region.as_str()),
        ("AKIAPROFILE", "ap-northeast-1")
    );
    assert!(
        !stderr.contains("profile-secret-value-5678"),
        "a secret was logged"
    );
    let (key, _, _) = signed_by(&files);
    assert_eq!(key, "AKIADEFAULT", "the default profile");
}

/// One engine serving two regions: `collect --region us-east-1,eu-west-1` against it reports
/// each region's own streams only, as against AWS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_engine_reports_each_regions_own_streams() {
    let east = testkit::Stack::with(kinesis_engine::EngineConfig {
        shard_limits: false,
        ..testkit::engine_config()
    })
    .await;
    let endpoint = east.endpoint();
    let west = testkit::clients_for(&endpoint, "eu-west-1", "AKIDTEST");
    for (client, stream, n) in [(&east.kinesis, "orders", 3), (&west.kinesis, "clicks", 5)] {
        testkit::create_stream(client, stream, 1).await;
        for i in 0..n {
            client
                .put_record()
                .stream_name(stream)
                .partition_key(format!("k{i}"))
                .data(aws_sdk_kinesis::primitives::Blob::new("xyz"))
                .send()
                .await
                .unwrap();
        }
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args([
            "collect",
            "--once",
            "--format",
            "json",
            "--region",
            "us-east-1,eu-west-1",
        ])
        .args([
            "--period",
            "1",
            "--delay",
            "0s",
            "--lookback",
            "60s",
            "--endpoint",
        ])
        .arg(&endpoint)
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut totals = std::collections::BTreeMap::new();
    for line in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v.get("metric").and_then(|m| m.as_str()) != Some("IncomingRecords")
            || v["statistic"] != "Sum"
        {
            continue;
        }
        let Some(stream) = v["dimensions"]["StreamName"].as_str() else {
            continue;
        };
        let region = v["region"].as_str().unwrap().to_string();
        *totals.entry((region, stream.to_string())).or_insert(0.0) += v["value"].as_f64().unwrap();
    }
    assert_eq!(
        totals.into_iter().collect::<Vec<_>>(),
        [
            (("eu-west-1".to_string(), "clicks".to_string()), 5.0),
            (("us-east-1".to_string(), "orders".to_string()), 3.0),
        ],
        "{stdout}"
    );
}
