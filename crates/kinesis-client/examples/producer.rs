//! Produce raw byte records: `put` each, `flush` to wait for delivery, `close` for the stats.
//!
//! ```sh
//! cargo run -p kinesis-client --example producer
//! KINESIS_ENDPOINT=http://127.0.0.1:4567 cargo run -p kinesis-client --example producer
//! ```

#[path = "support/mod.rs"]
mod support;

use std::time::Instant;

use kinesis_client::{Producer, ProducerConfig, Record};

const RECORDS: usize = 1_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let kinesis = support::Kinesis::start().await?;
    let stream = kinesis.create_stream("example-producer", 2).await?;

    // The defaults batch up to 500 records per PutRecords call, wait at most 50 ms for a
    // batch to fill, keep every shard under its write limits and retry failures.
    let producer =
        Producer::with_config(kinesis.client.clone(), &stream, ProducerConfig::default()).await?;

    let started = Instant::now();
    for i in 0..RECORDS {
        // Records that share a partition key go to the same shard, in order. A key has at
        // most one record in flight at a time, so many keys make for big batches.
        let key = format!("device-{}", i % 100);
        let payload = format!("reading {i} from {key}");
        producer.put(Record::new(key, payload.into_bytes())).await?;
    }
    // `put` returns once a record is queued; `flush` waits until every queued record is
    // delivered (or given up after `max_attempts`, which `flush` then reports as an error).
    producer.flush().await?;
    println!("flushed {RECORDS} records in {:?}", started.elapsed());

    // A record of raw bytes that are not text.
    producer
        .put(Record::new("binary", vec![0u8, 1, 2, 0xff]))
        .await?;

    // `close` delivers what is left and returns what the producer did over its life.
    let stats = producer.close().await?;
    println!("records sent: {}", stats.records_sent);
    println!("bytes sent: {}", stats.bytes_sent);
    println!("PutRecords calls: {}", stats.put_calls);
    println!("throttled: {}", stats.throttled);
    println!("undelivered: {}", stats.undelivered);

    kinesis.finish(&stream).await
}
