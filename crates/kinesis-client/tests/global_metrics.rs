//! The process-wide default collector: a Producer and Consumer given no collector report to
//! the one set with `set_metrics_collector`, here Prometheus, read back over HTTP from
//! `serve_metrics`. A test binary of its own, since the default is process-wide.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
use futures::StreamExt;
use kinesis_client::metrics::{PrometheusCollector, serve_metrics, set_metrics_collector};
use kinesis_client::{Consumer, ConsumerConfig, Producer, Record};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn scrape(addr: std::net::SocketAddr) -> String {
    let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
    conn.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .expect("send");
    let mut body = String::new();
    conn.read_to_string(&mut body).await.expect("read");
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    body
}

/// The value of the sample whose line starts with `name{` and holds every label given.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .find(|l| labels.iter().all(|want| l.contains(want)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_collector_serves_prometheus() {
    let prometheus = Arc::new(PrometheusCollector::new("streamwatch"));
    set_metrics_collector(prometheus.clone());
    let server_metrics = serve_metrics("127.0.0.1:0".parse().expect("addr"), prometheus.clone())
        .await
        .expect("serve");

    let engine = kinesis_engine::Engine::open(kinesis_engine::EngineConfig {
        transition_delay: Duration::ZERO,
        shard_limits: false,
        ..kinesis_engine::EngineConfig::default()
    })
    .expect("engine");
    let server = streamwatch_server::start("127.0.0.1:0".parse().expect("addr"), engine)
        .await
        .expect("server");
    let client = aws_sdk_kinesis::Client::from_conf(
        aws_sdk_kinesis::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .endpoint_url(server.endpoint())
            .build(),
    );
    client
        .create_stream()
        .stream_name("global")
        .shard_count(1)
        .send()
        .await
        .expect("create");

    let producer = Producer::new(client.clone(), "global")
        .await
        .expect("producer");
    for i in 0..25 {
        producer
            .put(Record::new(format!("k{i}"), vec![b'x'; 100]))
            .await
            .expect("put");
    }
    producer.close().await.expect("close");
    let mut consumer = Consumer::with_config(
        client.clone(),
        "global",
        ConsumerConfig {
            min_poll_interval: Duration::ZERO,
            idle_poll_interval: Duration::from_millis(20),
            ..ConsumerConfig::default()
        },
    );
    for _ in 0..25 {
        consumer.next().await.expect("open").expect("record");
    }
    consumer.close().await;

    let text = scrape(server_metrics.addr()).await;
    let stream = r#"stream_name="global""#;
    let shard = r#"shard_id="shardId-000000000000""#;
    assert_eq!(
        sample(&text, "streamwatch_producer_records_sent_total", &[stream]),
        Some(25.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "streamwatch_producer_bytes_sent_total", &[stream]),
        Some(2500.0)
    );
    assert_eq!(
        sample(&text, "streamwatch_producer_batch_size_sum", &[stream]),
        Some(25.0)
    );
    assert_eq!(
        sample(&text, "streamwatch_producer_queue_size", &[stream]),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &text,
            "streamwatch_consumer_records_received_total",
            &[stream, shard]
        ),
        Some(25.0)
    );
    assert_eq!(
        sample(
            &text,
            "streamwatch_consumer_bytes_received_total",
            &[stream, shard]
        ),
        Some(2500.0)
    );
    assert_eq!(
        sample(&text, "streamwatch_stream_shards_active", &[stream]),
        Some(1.0)
    );
    assert!(
        sample(
            &text,
            "streamwatch_consumer_checkpoint_success_total",
            &[stream, shard]
        )
        .is_some_and(|v| v >= 1.0)
    );
    assert_eq!(
        sample(
            &text,
            "streamwatch_consumer_processing_time_seconds_count",
            &[stream, shard]
        ),
        Some(25.0)
    );
    server.shutdown().await.expect("shutdown");
}
