//! KPL aggregation: the producer packs many small user records into one Kinesis record (the
//! Kinesis Producer Library's format), and the consumer unpacks them again.
//!
//! ```sh
//! cargo run -p kinesis-client --example producer_kpl
//! ```

#[path = "support/mod.rs"]
mod support;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_kinesis::types::ShardIteratorType;
use bytes::Bytes;
use kinesis_client::{Consumer, ConsumerConfig, Producer, ProducerConfig, Record, kpl};

const KEYS: usize = 20;
const PER_KEY: usize = 100;
const RECORDS: usize = KEYS * PER_KEY;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let kinesis = support::Kinesis::start().await?;
    let stream = kinesis.create_stream("example-kpl", 2).await?;

    // With aggregation, the waiting records of one shard are packed into aggregates of up to
    // 1 MiB, so small records cost far fewer Kinesis records (and far less of each shard's
    // 1,000 records/s write limit).
    let config = ProducerConfig {
        aggregation: true,
        ..ProducerConfig::default()
    };
    let producer = Producer::with_config(kinesis.client.clone(), &stream, config).await?;
    for i in 0..PER_KEY {
        for k in 0..KEYS {
            producer
                .put(Record::new(
                    format!("sensor-{k}"),
                    format!("sensor-{k} sample {i}"),
                ))
                .await?;
        }
    }
    let stats = producer.close().await?;
    println!(
        "user records sent: {} in {} PutRecords calls",
        stats.records_sent, stats.put_calls
    );

    // What is on the wire: read each shard with the plain SDK.
    let mut kinesis_records = 0;
    let mut aggregated = 0;
    let mut largest = 0;
    for shard_id in kinesis.shard_ids(&stream).await? {
        let iterator = kinesis
            .client
            .get_shard_iterator()
            .stream_name(&stream)
            .shard_id(&shard_id)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await?;
        let resp = kinesis
            .client
            .get_records()
            .shard_iterator(iterator.shard_iterator().unwrap_or_default())
            .send()
            .await?;
        for record in resp.records() {
            kinesis_records += 1;
            let data = Bytes::copy_from_slice(record.data().as_ref());
            if kpl::is_aggregated(&data) {
                aggregated += 1;
                largest = largest.max(kpl::deaggregate(&data)?.len());
            }
        }
    }
    println!(
        "kinesis records on the wire: {kinesis_records} ({aggregated} KPL aggregates, the largest holding {largest} user records)"
    );

    // The consumer de-aggregates by default (`deaggregate: true`): it yields user records,
    // each with its own partition key and its index in the aggregate as sub-sequence number.
    let config = ConsumerConfig {
        deaggregate: true,
        ..ConsumerConfig::default()
    };
    let mut consumer = Consumer::with_config(kinesis.client.clone(), &stream, config);
    let records = support::read(&mut consumer, RECORDS, Duration::from_secs(60)).await?;
    consumer.close().await;

    for r in records
        .iter()
        .filter(|r| r.partition_key == "sensor-7")
        .take(3)
    {
        println!(
            "  {} seq …{} sub {} key {} {:?}",
            r.shard_id,
            &r.sequence_number[r.sequence_number.len().saturating_sub(8)..],
            r.sub_sequence_number,
            r.partition_key,
            String::from_utf8_lossy(&r.data)
        );
    }
    // Each key's records arrive in the order they were put.
    let mut next: HashMap<&str, usize> = HashMap::new();
    for r in &records {
        let text = std::str::from_utf8(&r.data)?;
        let index: usize = text.rsplit(' ').next().unwrap_or_default().parse()?;
        let expected = next.entry(r.partition_key.as_str()).or_default();
        anyhow::ensure!(
            index == *expected,
            "{}: record {index} came before {expected}",
            r.partition_key
        );
        *expected += 1;
    }
    let per_aggregate: BTreeMap<&str, usize> = records.iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r.sequence_number.as_str()).or_default() += 1;
        m
    });
    println!(
        "user records received: {} from {} Kinesis records, every key in order",
        records.len(),
        per_aggregate.len()
    );

    kinesis.finish(&stream).await
}
