//! Prometheus metrics: every producer and consumer metric, served at `/metrics` for a
//! Prometheus server to scrape.
//!
//! Serves on `METRICS_ADDR` (default `127.0.0.1:9108`; if that port is taken, a free one),
//! produces and consumes a few records, then fetches `/metrics` itself and prints it.
//!
//! ```sh
//! cargo run -p kinesis-client --example prometheus_metrics
//! METRICS_ADDR=0.0.0.0:9108 cargo run -p kinesis-client --example prometheus_metrics
//! ```

#[path = "support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use kinesis_client::metrics::{self, PrometheusCollector};
use kinesis_client::{Consumer, Producer, Record};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const RECORDS: usize = 200;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Every metric name gets the namespace as a prefix: `myapp_producer_records_sent_total`.
    let collector = Arc::new(PrometheusCollector::new("myapp"));
    // The process-wide default: producers and consumers built from now on report to it
    // (unless their config names another collector in `metrics`).
    metrics::set_metrics_collector(collector.clone());

    let server = match std::env::var("METRICS_ADDR") {
        Ok(addr) => {
            let addr: SocketAddr = addr
                .parse()
                .with_context(|| format!("METRICS_ADDR={addr}"))?;
            metrics::serve_metrics(addr, collector.clone()).await?
        }
        Err(_) => {
            match metrics::serve_metrics("127.0.0.1:9108".parse()?, collector.clone()).await {
                Ok(server) => server,
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                    println!("127.0.0.1:9108 is in use; serving on a free port instead");
                    metrics::serve_metrics("127.0.0.1:0".parse()?, collector.clone()).await?
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    println!("serving metrics at http://{}/metrics", server.addr());

    let kinesis = support::Kinesis::start().await?;
    let stream = kinesis.create_stream("example-metrics", 2).await?;
    let producer = Producer::new(kinesis.client.clone(), &stream).await?;
    for i in 0..RECORDS {
        producer
            .put(Record::new(
                format!("key-{}", i % 20),
                format!("record {i}"),
            ))
            .await?;
    }
    let stats = producer.close().await?;
    let mut consumer = Consumer::new(kinesis.client.clone(), &stream);
    let records = support::read(&mut consumer, RECORDS, Duration::from_secs(30)).await?;
    consumer.close().await;
    println!(
        "produced {} and consumed {} records",
        stats.records_sent,
        records.len()
    );

    // What a Prometheus scrape sees.
    let text = scrape(server.addr()).await?;
    println!("--- GET /metrics ---");
    print!("{text}");
    println!("--- end ---");
    let sent = text
        .lines()
        .find(|l| l.starts_with("myapp_producer_records_sent_total{"))
        .context("no myapp_producer_records_sent_total series")?;
    println!("producer counter: {sent}");

    server.shutdown().await?;
    kinesis.finish(&stream).await
}

/// `GET /metrics` over a plain TCP connection; the response body.
async fn scrape(addr: SocketAddr) -> anyhow::Result<String> {
    let mut conn = tokio::net::TcpStream::connect(addr).await?;
    let request = format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    conn.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut response)).await??;
    let response = String::from_utf8(response)?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .context("malformed HTTP response")?;
    anyhow::ensure!(
        head.starts_with("HTTP/1.1 200"),
        "GET /metrics: {}",
        head.lines().next().unwrap_or("")
    );
    Ok(body.to_string())
}
