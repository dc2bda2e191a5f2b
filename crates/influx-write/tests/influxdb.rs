//! The writer against a real InfluxDB 1.x server (Debian's `influxdb`, started by
//! scripts/test.sh): lines from `metric_export::line` written, queried back and compared, gzip,
//! error answers, a refused connection, and the token header.

use std::time::Duration;

use influx_write::{InfluxWriter, WriteError, WriterConfig};
use metric_export::{Sample, Statistic};

fn influx() -> String {
    std::env::var("STREAMWATCH_TEST_INFLUXDB_URL").expect(
        "STREAMWATCH_TEST_INFLUXDB_URL is not set: run the tests with scripts/test.sh, which starts influxd",
    )
}

/// Sends an InfluxQL statement to `/query` (plain HTTP/1.0 over a socket) and returns the
/// JSON answer.
async fn query(db: Option<&str>, q: &str) -> serde_json::Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let base = influx();
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
    let mut conn = tokio::net::TcpStream::connect(host).await.expect("connect");
    conn.write_all(
        format!("POST {path} HTTP/1.0\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n").as_bytes(),
    )
    .await
    .expect("send");
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).await.expect("read");
    let answer = String::from_utf8(answer).expect("utf-8");
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).expect("body");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}"))
}

async fn new_database(name: &str) -> String {
    let db = format!("{name}_{}", std::process::id());
    let answer = query(None, &format!("CREATE DATABASE \"{db}\"")).await;
    assert!(answer["results"][0].get("error").is_none(), "{answer}");
    db
}

fn sample(stream: &str, metric: &str, statistic: Statistic, t: i64, value: f64) -> Sample {
    Sample {
        namespace: "AWS/Kinesis".into(),
        metric: metric.into(),
        statistic,
        unit: Some("Count".into()),
        dimensions: vec![("StreamName".into(), stream.into())],
        region: "eu-west-1".into(),
        timestamp_ms: t,
        value,
    }
}

fn writer(url: String, gzip: bool) -> InfluxWriter {
    InfluxWriter::new(WriterConfig {
        url,
        timeout: Duration::from_secs(5),
        gzip,
        ..WriterConfig::default()
    })
    .expect("writer")
}

#[tokio::test]
async fn lines_land_with_their_tags_fields_and_timestamps() {
    for gzip in [false, true] {
        let db = new_database(if gzip { "gz" } else { "plain" }).await;
        // A stream name that needs escaping in line protocol: space, comma, equals sign.
        let odd = "orders, eu=1 x";
        let t = 1_700_000_000_000;
        let lines = metric_export::line::encode(
            &[
                sample(odd, "IncomingRecords", Statistic::Sum, t, 42.0),
                sample(odd, "IncomingRecords", Statistic::Maximum, t, 7.5),
                sample("plain", "IncomingRecords", Statistic::Sum, t + 60_000, 3.0),
            ],
            &[],
        );
        writer(format!("{}/write?db={db}", influx()), gzip)
            .write(&lines)
            .await
            .expect("write");
        let answer = query(
            Some(&db),
            "SELECT incoming_records_sum, incoming_records_maximum, stream_name, region FROM aws_kinesis ORDER BY time",
        )
        .await;
        let series = &answer["results"][0]["series"][0];
        assert_eq!(series["name"], "aws_kinesis", "{answer}");
        assert_eq!(
            series["values"],
            serde_json::json!([
                // InfluxDB prints whole floats without a fraction.
                [t, 42, 7.5, odd, "eu-west-1"],
                [t + 60_000, 3, null, "plain", "eu-west-1"]
            ]),
            "gzip {gzip}: {answer}"
        );
    }
}

#[tokio::test]
async fn errors_are_reported() {
    // A database that does not exist: InfluxDB's own message.
    let w = writer(
        format!("{}/write?db=streamwatch_missing_db", influx()),
        false,
    );
    match w.write("m v=1 1\n").await {
        Err(WriteError::Status {
            status, message, ..
        }) => {
            assert_eq!(status, 404);
            assert!(message.contains("database not found"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // Bad line protocol: 400 with the parser's complaint.
    let db = new_database("bad").await;
    let w = writer(format!("{}/write?db={db}", influx()), false);
    match w.write("no fields here\n").await {
        Err(WriteError::Status { status, .. }) => assert_eq!(status, 400),
        other => panic!("{other:?}"),
    }
    // Nothing listening.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = dead.local_addr().expect("addr").port();
    drop(dead);
    let w = writer(format!("http://127.0.0.1:{port}/write?db=x"), false);
    assert!(matches!(
        w.write("m v=1 1\n").await,
        Err(WriteError::Http { .. })
    ));
    // Nothing to write: no request at all.
    assert!(w.write("").await.is_ok());
}

#[tokio::test]
async fn the_token_goes_in_the_authorization_header() {
    // InfluxDB 1.x without auth ignores the header, so a listener reads the request itself.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut conn, _) = listener.accept().await.expect("accept");
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = conn.read(&mut buf).await.expect("read");
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        conn.write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
            .await
            .expect("write");
        String::from_utf8_lossy(&head).to_lowercase()
    });
    let w = InfluxWriter::new(WriterConfig {
        url: format!("http://{addr}/api/v2/write?org=o&bucket=b"),
        token: Some("Tok3n".into()),
        gzip: true,
        ..WriterConfig::default()
    })
    .expect("writer");
    w.write("m v=1 1\n").await.expect("write");
    let head = server.await.expect("server");
    assert!(
        head.starts_with("post /api/v2/write?org=o&bucket=b "),
        "{head}"
    );
    assert!(head.contains("authorization: token tok3n"), "{head}");
    assert!(head.contains("content-encoding: gzip"), "{head}");
}
