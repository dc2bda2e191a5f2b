//! Checkpoints in Redis: a consumer reads part of a stream and stops; a second consumer (a
//! restarted process, in real life) resumes right after the last checkpoint.
//!
//! Needs a Redis server: `REDIS_URL` (default `redis://127.0.0.1:6379/`).
//!
//! ```sh
//! redis-server --port 6399 --save '' &
//! REDIS_URL=redis://127.0.0.1:6399/ cargo run -p kinesis-client --example consumer_checkpoint_redis
//! ```

#[path = "support/mod.rs"]
mod support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use kinesis_client::checkpoint::{Checkpointer, RedisCheckpointer};
use kinesis_client::{Consumer, ConsumerConfig, Producer, Record};

const RECORDS: usize = 100;
const FIRST_RUN: usize = 60;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_string());
    // A key prefix of our own, so reruns and other applications never share leases.
    let prefix = format!("streamwatch-example:{}", std::process::id());
    let store = match tokio::time::timeout(Duration::from_secs(5), RedisCheckpointer::connect(&url))
        .await
    {
        Ok(Ok(store)) => store.with_prefix(prefix),
        Ok(Err(e)) => support::unreachable_service(format!(
            "cannot connect to Redis at {url}: {e}\nstart one (redis-server --port 6399) and set REDIS_URL=redis://127.0.0.1:6399/"
        )),
        Err(_) => support::unreachable_service(format!("no answer from Redis at {url} within 5 s")),
    };
    println!("redis: {url} (key prefix {})", store.prefix());

    let kinesis = support::Kinesis::start().await?;
    let stream = kinesis.create_stream("example-redis", 2).await?;
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

    // Run 1: read some records, then close. `close` checkpoints every record processed so
    // far and releases the leases, so the next worker starts at once, right after them.
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

    // Run 2: a new consumer with the same store resumes from the checkpoints.
    let mut second = Consumer::with_config(
        kinesis.client.clone(),
        &stream,
        ConsumerConfig {
            worker_id: "run-2".into(),
            ..config
        },
    );
    let mut b = support::read(&mut second, RECORDS - FIRST_RUN, Duration::from_secs(30)).await?;
    // Anything beyond that would be a record read twice.
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

    // Leave nothing behind in Redis: the lease hashes and the stream's set of shard ids.
    let mut keys: Vec<String> = kinesis
        .shard_ids(&stream)
        .await?
        .iter()
        .map(|shard_id| store.lease_key(&stream, shard_id))
        .collect();
    keys.push(store.shards_key(&stream));
    let mut conn = redis::Client::open(url.as_str())?
        .get_multiplexed_async_connection()
        .await?;
    redis::cmd("DEL")
        .arg(&keys)
        .query_async::<()>(&mut conn)
        .await?;

    kinesis.finish(&stream).await
}

/// Prints each lease as stored in Redis.
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
