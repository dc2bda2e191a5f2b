//! A consumer group: two consumers share a stream's shards through leases in one
//! checkpointer. Each takes a fair share of the shards, so every shard is read by exactly one
//! of them. Here both run in one process over a `MemoryCheckpointer`; across processes, use
//! `RedisCheckpointer` or `DynamoDbCheckpointer` the same way.
//!
//! ```sh
//! cargo run -p kinesis-client --example consumer_group
//! ```

#[path = "support/mod.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kinesis_client::checkpoint::{Checkpointer, MemoryCheckpointer};
use kinesis_client::{Consumer, ConsumerConfig, Producer, Record};

const SHARDS: i32 = 4;
const RECORDS: usize = 400;
const WORKERS: [&str; 2] = ["worker-a", "worker-b"];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let kinesis = support::Kinesis::start().await?;
    let stream = kinesis.create_stream("example-group", SHARDS).await?;

    // One store for the group; `worker_id` tells the members apart. A short lease duration
    // makes the shards settle quickly: a worker short of its share takes one lease per round
    // from the busiest worker, which notices at its next heartbeat and stops reading.
    let store = Arc::new(MemoryCheckpointer::new());
    let config = ConsumerConfig {
        checkpointer: Some(store.clone()),
        lease_duration: Duration::from_secs(3),
        checkpoint_interval: Duration::from_millis(200),
        ..ConsumerConfig::default()
    };
    let start = |worker: &str| {
        let config = ConsumerConfig {
            worker_id: worker.to_string(),
            ..config.clone()
        };
        Consumer::with_config(kinesis.client.clone(), &stream, config)
    };
    let (mut a, mut b) = (start(WORKERS[0]), start(WORKERS[1]));

    // Wait until each worker holds its share: SHARDS / 2 leases.
    let owners = wait_for_balance(store.as_ref(), &stream, Duration::from_secs(30)).await?;
    for (worker, shards) in &owners {
        println!(
            "{worker} holds the leases of {}",
            shards.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }

    let producer = Producer::new(kinesis.client.clone(), &stream).await?;
    for i in 0..RECORDS {
        producer
            .put(Record::new(
                format!("key-{}", i % 40),
                format!("record {i}"),
            ))
            .await?;
    }
    producer.close().await?;

    // Read both consumers as one stream, each record tagged with the worker that read it.
    let mut read_by: BTreeMap<&str, (usize, BTreeSet<String>)> = BTreeMap::new();
    let mut seen = HashSet::new();
    {
        let mut both = futures::stream::select(
            (&mut a).map(|r| (WORKERS[0], r)),
            (&mut b).map(|r| (WORKERS[1], r)),
        );
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while seen.len() < RECORDS {
            let Ok(Some((worker, record))) = tokio::time::timeout_at(deadline, both.next()).await
            else {
                anyhow::bail!(
                    "only {} of {RECORDS} records arrived within 30 s",
                    seen.len()
                );
            };
            let record = record?;
            seen.insert((record.sequence_number.clone(), record.sub_sequence_number));
            let entry = read_by.entry(worker).or_default();
            entry.0 += 1;
            entry.1.insert(record.shard_id);
        }
    }
    for (worker, (count, shards)) in &read_by {
        println!(
            "{worker} read {count} records from {}",
            shards.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    let shards_a = read_by
        .get(WORKERS[0])
        .map(|e| e.1.clone())
        .unwrap_or_default();
    let shards_b = read_by
        .get(WORKERS[1])
        .map(|e| e.1.clone())
        .unwrap_or_default();
    anyhow::ensure!(
        shards_a.is_disjoint(&shards_b),
        "a shard was read by both workers"
    );
    for (worker, (_, shards)) in &read_by {
        anyhow::ensure!(
            owners.get(*worker) == Some(shards),
            "{worker} read shards it does not lease"
        );
    }
    println!(
        "{} distinct records, each shard read by its lease holder only",
        seen.len()
    );

    a.close().await;
    b.close().await;
    kinesis.finish(&stream).await
}

/// Waits until every worker holds `SHARDS / WORKERS` leases and nothing has moved for
/// `STABLE`; returns who holds what.
///
/// A stolen lease changes owner in the store at once, but its old owner reads on until its
/// next heartbeat and the new owner starts reading only after half a lease duration, so the
/// store alone says who reads a shard only once it has been quiet for a while.
async fn wait_for_balance(
    store: &dyn Checkpointer,
    stream: &str,
    limit: Duration,
) -> anyhow::Result<BTreeMap<String, BTreeSet<String>>> {
    const STABLE: Duration = Duration::from_secs(2);
    let deadline = tokio::time::Instant::now() + limit;
    let mut last: Option<(BTreeMap<String, BTreeSet<String>>, tokio::time::Instant)> = None;
    loop {
        let mut owners: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for lease in store.list_leases(stream).await? {
            if let Some(owner) = lease.owner {
                owners.entry(owner).or_default().insert(lease.shard_id);
            }
        }
        let share = SHARDS as usize / WORKERS.len();
        let balanced = owners.len() == WORKERS.len() && owners.values().all(|s| s.len() == share);
        let now = tokio::time::Instant::now();
        match &last {
            Some((seen, since)) if *seen == owners => {
                if balanced && now.duration_since(*since) >= STABLE {
                    return Ok(owners);
                }
            }
            _ => last = Some((owners.clone(), now)),
        }
        if now >= deadline {
            anyhow::bail!("leases not balanced within {limit:?}: {owners:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
