//! Checkpoints in DynamoDB, in KCL's lease table layout: a consumer reads part of a stream
//! and stops; a second consumer resumes right after the last checkpoint.
//!
//! Needs a DynamoDB endpoint: `DYNAMODB_ENDPOINT` (default `http://127.0.0.1:8000`, DynamoDB
//! Local's port), e.g. moto:
//!
//! ```sh
//! moto_server -p 5055 &
//! DYNAMODB_ENDPOINT=http://127.0.0.1:5055 cargo run -p kinesis-client --example consumer_checkpoint_dynamodb
//! ```
//!
//! Against real DynamoDB, build the client from `aws_config` instead of static credentials.

#[path = "support/mod.rs"]
mod support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{BehaviorVersion, Region};
use kinesis_client::checkpoint::{Checkpointer, DynamoDbCheckpointer};
use kinesis_client::{Consumer, ConsumerConfig, Producer, Record};

const RECORDS: usize = 100;
const FIRST_RUN: usize = 60;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let endpoint =
        std::env::var("DYNAMODB_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:8000".to_string());
    let dynamodb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(support::region()))
            .credentials_provider(support::credentials())
            .endpoint_url(&endpoint)
            // Fail fast when nothing listens there.
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(2))
                    .operation_timeout(Duration::from_secs(10))
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(2))
            .build(),
    );

    let kinesis = support::Kinesis::start().await?;
    let stream = kinesis.create_stream("example-dynamodb", 2).await?;

    // The lease table is named after the application, as in KCL. It serves one stream.
    let application = format!("streamwatch-example-{}", std::process::id());
    let store = DynamoDbCheckpointer::new(dynamodb.clone(), &application, &stream);
    if let Err(e) = store.create_table_if_missing().await {
        kinesis.finish(&stream).await?;
        support::unreachable_service(format!(
            "DynamoDB at {endpoint} is not usable: {e}\nstart one (moto_server -p 5055) and set DYNAMODB_ENDPOINT=http://127.0.0.1:5055"
        ));
    }
    println!("dynamodb: {endpoint}, lease table {}", store.table_name());

    let producer = Producer::new(kinesis.client.clone(), &stream).await?;
    for i in 0..RECORDS {
        producer
            .put(Record::new(
                format!("key-{}", i % 10),
                format!("record {i}"),
            ))
            .await?;
    }
    producer.close().await?;

    let store = Arc::new(store);
    let config = ConsumerConfig {
        checkpointer: Some(store.clone()),
        checkpoint_interval: Duration::from_millis(200),
        ..ConsumerConfig::default()
    };

    // Run 1: read some records, then close; `close` checkpoints and releases the leases.
    let mut first = Consumer::with_config(
        kinesis.client.clone(),
        &stream,
        ConsumerConfig {
            worker_id: "run-1".into(),
            ..config.clone()
        },
    );
    let a = support::read(&mut first, FIRST_RUN, Duration::from_secs(30)).await?;
    first.close().await;
    println!("run 1 read {} records, then closed", a.len());
    print_leases(store.as_ref(), &stream).await?;

    // Run 2: a new consumer with the same table resumes from the checkpoints.
    let mut second = Consumer::with_config(
        kinesis.client.clone(),
        &stream,
        ConsumerConfig {
            worker_id: "run-2".into(),
            ..config
        },
    );
    let mut b = support::read(&mut second, RECORDS - FIRST_RUN, Duration::from_secs(30)).await?;
    b.extend(support::drain(&mut second, Duration::from_secs(1)).await?);
    second.close().await;
    let seen: HashSet<&str> = a.iter().map(|r| r.sequence_number.as_str()).collect();
    let again = b
        .iter()
        .filter(|r| seen.contains(r.sequence_number.as_str()))
        .count();
    println!(
        "run 2 read {} records, {again} of them already read by run 1",
        b.len()
    );
    print_leases(store.as_ref(), &stream).await?;
    anyhow::ensure!(
        a.len() + b.len() == RECORDS && again == 0,
        "run 2 did not resume where run 1 stopped"
    );
    println!(
        "resumed after the checkpoint: {} records read once each",
        a.len() + b.len()
    );

    dynamodb
        .delete_table()
        .table_name(store.table_name())
        .send()
        .await?;
    kinesis.finish(&stream).await
}

/// Prints each lease as stored in the table.
async fn print_leases(store: &dyn Checkpointer, stream: &str) -> anyhow::Result<()> {
    for lease in store.list_leases(stream).await? {
        let checkpoint = lease.checkpoint.as_kcl_str();
        let tail = &checkpoint[checkpoint.len().saturating_sub(10)..];
        println!(
            "  lease {} owner {} counter {} checkpoint …{tail}",
            lease.shard_id,
            lease.owner.as_deref().unwrap_or("(none)"),
            lease.counter
        );
    }
    Ok(())
}
