//! Consume a stream from TRIM_HORIZON: every shard as one `futures::Stream` of records.
//!
//! ```sh
//! cargo run -p kinesis-client --example consumer
//! ```

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use futures::StreamExt;
use kinesis_client::{Consumer, ConsumerConfig, Producer, Record, StartingPosition};

const RECORDS: usize = 20;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let kinesis = support::Kinesis::start().await?;
    let stream = kinesis.create_stream("example-consumer", 2).await?;

    // Something to read.
    let producer = Producer::new(kinesis.client.clone(), &stream).await?;
    for i in 0..RECORDS {
        producer
            .put(Record::new(format!("user-{}", i % 5), format!("event {i}")))
            .await?;
    }
    producer.close().await?;

    // TRIM_HORIZON: shards without a checkpoint are read from their oldest record. Without a
    // checkpointer, leases and checkpoints live in this consumer's memory only.
    let config = ConsumerConfig {
        starting_position: StartingPosition::TrimHorizon,
        ..ConsumerConfig::default()
    };
    let mut consumer = Consumer::with_config(kinesis.client.clone(), &stream, config);

    // The stream never ends by itself (new records may always come), so stop after a count
    // or a time limit, whichever is first.
    let mut received = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while received < RECORDS {
        let Ok(next) = tokio::time::timeout_at(deadline, consumer.next()).await else {
            anyhow::bail!("only {received} of {RECORDS} records arrived within 30 s");
        };
        let Some(record) = next else { break };
        let record = record?;
        let seq = &record.sequence_number;
        println!(
            "{} seq …{} key {:<7} {:?}",
            record.shard_id,
            &seq[seq.len().saturating_sub(10)..],
            record.partition_key,
            String::from_utf8_lossy(&record.data),
        );
        received += 1;
    }
    println!("received {received} records");

    // `close` checkpoints what was processed and gives the leases up.
    consumer.close().await;
    kinesis.finish(&stream).await
}
