//! The producer and consumer end to end, against the embedded engine and against kinesalite
//! (the same suite), with every metric checked by value.

mod chaos;
mod checkpointed;
mod checkpointers;
mod examples;
mod fan_out;
mod harness;
mod kpl_peer;
mod leases;
mod limits;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use harness::Target;
use kinesis_client::checkpoint::MemoryCheckpointer;
use kinesis_client::metrics::InMemoryCollector;
use kinesis_client::{
    ConsumedRecord, Consumer, ConsumerConfig, Producer, ProducerConfig, ReadMode, Record,
};

macro_rules! on_both {
    ($($name:ident),* $(,)?) => { $(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn engine() {
                super::$name(super::harness::engine().await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn kinesalite() {
                super::$name(super::harness::kinesalite().await).await
            }
        }
    )* };
}

on_both!(
    ordered_delivery,
    kpl_round_trip,
    restart_resumes_after_checkpoint,
    resharding_mid_stream,
    resharding_mid_stream_kpl,
    every_iterator_type,
);

fn producer_config(metrics: &Arc<InMemoryCollector>) -> ProducerConfig {
    ProducerConfig {
        linger: Duration::from_millis(10),
        metrics: Some(metrics.clone()),
        shard_refresh_interval: Duration::from_millis(500),
        ..ProducerConfig::default()
    }
}

fn consumer_config(metrics: &Arc<InMemoryCollector>) -> ConsumerConfig {
    ConsumerConfig {
        min_poll_interval: Duration::ZERO,
        idle_poll_interval: Duration::from_millis(20),
        checkpoint_interval: Duration::from_millis(50),
        shard_discovery_interval: Duration::from_millis(200),
        lease_duration: Duration::from_millis(900),
        metrics: Some(metrics.clone()),
        ..ConsumerConfig::default()
    }
}

/// `key:index:padding` records, `per_key` for each of `keys` keys, interleaved.
fn records(keys: usize, per_key: usize, pad: usize) -> Vec<Record> {
    let mut out = Vec::new();
    for i in 0..per_key {
        for k in 0..keys {
            let data = format!("k{k}:{i}:{}", "x".repeat(pad));
            out.push(Record::new(format!("k{k}"), data));
        }
    }
    out
}

/// Reads until `n` distinct (sequence, sub-sequence) records arrived.
async fn read(consumer: &mut Consumer, n: usize) -> Vec<ConsumedRecord> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while seen.len() < n {
        let next = tokio::time::timeout_at(deadline, consumer.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} records arrived", seen.len()));
        let record = next.expect("stream ended").expect("record");
        seen.insert((record.sequence_number.clone(), record.sub_sequence_number));
        out.push(record);
    }
    out
}

/// Every key's records arrive complete and in order, each exactly once.
fn assert_in_order(got: &[ConsumedRecord], keys: usize, per_key: usize) {
    let mut next: HashMap<String, usize> = HashMap::new();
    for r in got {
        let text = std::str::from_utf8(&r.data).expect("utf8");
        let mut parts = text.split(':');
        let key = parts.next().expect("key").to_string();
        let index: usize = parts.next().expect("index").parse().expect("number");
        assert_eq!(r.partition_key, key);
        let expected = next.entry(key.clone()).or_default();
        assert_eq!(
            index, *expected,
            "key {key}: got record {index}, expected {expected}"
        );
        *expected += 1;
    }
    assert_eq!(next.len(), keys);
    assert!(next.values().all(|n| *n == per_key), "{next:?}");
}

fn sum_of(metrics: &InMemoryCollector, name: &str) -> u64 {
    metrics
        .keys()
        .iter()
        .filter(|k| k.starts_with(&format!("{name}{{")) || *k == name)
        .map(|k| metrics.counter(k))
        .sum()
}

async fn ordered_delivery(t: Target) {
    let stream = harness::unique("ordered");
    harness::create_stream(&t.client, &stream, 4).await;
    let pm = harness::collector();
    let producer = Producer::with_config(t.client.clone(), &stream, producer_config(&pm))
        .await
        .expect("producer");
    let input = records(20, 150, 40);
    let bytes: u64 = input.iter().map(|r| r.data.len() as u64).sum();
    for r in input {
        producer.put(r).await.expect("put");
    }
    producer.flush().await.expect("flush");
    let stats = producer.close().await.expect("close");
    assert_eq!(stats.records_sent, 3000);
    assert_eq!(stats.bytes_sent, bytes);

    let s = format!("stream_name={stream}");
    assert_eq!(
        pm.counter(&format!("producer_records_sent_total{{{s}}}")),
        3000
    );
    assert_eq!(
        pm.counter(&format!("producer_bytes_sent_total{{{s}}}")),
        bytes
    );
    let batches = pm.histogram(&format!("producer_batch_size{{{s}}}"));
    assert_eq!(batches.iter().sum::<f64>(), 3000.0);
    assert_eq!(batches.len() as u64, stats.put_calls);
    assert!(batches.iter().all(|b| *b >= 1.0 && *b <= 500.0));
    assert_eq!(
        pm.histogram(&format!("producer_flush_duration_seconds{{{s}}}"))
            .len() as u64,
        stats.put_calls
    );
    assert_eq!(pm.gauge(&format!("producer_queue_size{{{s}}}")), Some(0.0));
    assert_eq!(sum_of(&pm, "producer_errors_total"), 0);
    assert_eq!(sum_of(&pm, "producer_throttles_total"), 0);

    let cm = harness::collector();
    let mut consumer = Consumer::with_config(t.client.clone(), &stream, consumer_config(&cm));
    let got = read(&mut consumer, 3000).await;
    assert_eq!(got.len(), 3000, "no duplicates without a restart");
    assert_in_order(&got, 20, 150);
    consumer.close().await;

    assert_eq!(sum_of(&cm, "consumer_records_received_total"), 3000);
    assert_eq!(sum_of(&cm, "consumer_bytes_received_total"), bytes);
    assert_eq!(cm.gauge(&format!("stream_shards_active{{{s}}}")), Some(4.0));
    assert_eq!(cm.gauge(&format!("stream_shards_closed{{{s}}}")), Some(0.0));
    let mut per_shard: HashMap<&str, u64> = HashMap::new();
    for r in &got {
        *per_shard.entry(r.shard_id.as_str()).or_default() += 1;
    }
    for (shard, n) in &per_shard {
        let l = format!("shard_id={shard},{s}");
        assert_eq!(
            cm.counter(&format!("consumer_records_received_total{{{l}}}")),
            *n
        );
        assert!(
            cm.gauge(&format!("consumer_iterator_age_milliseconds{{{l}}}"))
                .is_some()
        );
        assert!(cm.counter(&format!("consumer_checkpoint_success_total{{{l}}}")) >= 1);
        assert_eq!(
            cm.counter(&format!("consumer_checkpoint_failure_total{{{l}}}")),
            0
        );
        // Every record but the last one handed out was processed (polled past).
        let processed = cm
            .histogram(&format!("consumer_processing_time_seconds{{{l}}}"))
            .len() as u64;
        assert!(processed + 1 >= *n && processed <= *n, "{processed} of {n}");
        assert_eq!(cm.gauge(&format!("consumer_lag_records{{{l}}}")), Some(0.0));
    }
    assert_eq!(cm.gauge(&format!("consumer_queue_size{{{s}}}")), Some(0.0));
    assert_eq!(sum_of(&cm, "consumer_errors_total"), 0);
}

async fn kpl_round_trip(t: Target) {
    let stream = harness::unique("kpl");
    harness::create_stream(&t.client, &stream, 4).await;
    let pm = harness::collector();
    let config = ProducerConfig {
        aggregation: true,
        ..producer_config(&pm)
    };
    let producer = Producer::with_config(t.client.clone(), &stream, config)
        .await
        .expect("producer");
    for r in records(50, 60, 10) {
        producer.put(r).await.expect("put");
    }
    let stats = producer.close().await.expect("close");
    assert_eq!(stats.records_sent, 3000);
    let s = format!("stream_name={stream}");
    assert_eq!(
        pm.counter(&format!("producer_records_sent_total{{{s}}}")),
        3000,
        "user records, not aggregates"
    );

    // On the wire: aggregates, each holding only records of its own shard's hash range (KCL
    // drops an aggregate that breaks this).
    let shards = t
        .client
        .list_shards()
        .stream_name(&stream)
        .send()
        .await
        .expect("shards");
    let mut kinesis_records = 0;
    for shard in shards.shards() {
        let range = shard.hash_key_range().expect("range");
        let (lo, hi): (u128, u128) = (
            range.starting_hash_key().parse().expect("lo"),
            range.ending_hash_key().parse().expect("hi"),
        );
        let it = t
            .client
            .get_shard_iterator()
            .stream_name(&stream)
            .shard_id(shard.shard_id())
            .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
            .send()
            .await
            .expect("iterator");
        let resp = t
            .client
            .get_records()
            .shard_iterator(it.shard_iterator().expect("it"))
            .send()
            .await
            .expect("records");
        for r in resp.records() {
            kinesis_records += 1;
            let data = bytes::Bytes::copy_from_slice(r.data().as_ref());
            assert!(kinesis_client::kpl::is_aggregated(&data));
            for u in kinesis_client::kpl::deaggregate(&data).expect("aggregate") {
                let h = kinesis_client::shards::hash_key(&u.partition_key);
                assert!(
                    h >= lo && h <= hi,
                    "record of {} outside {}",
                    u.partition_key,
                    shard.shard_id()
                );
            }
        }
    }
    assert!(
        kinesis_records < 300,
        "{kinesis_records} Kinesis records for 3000 user records"
    );

    let cm = harness::collector();
    let mut consumer = Consumer::with_config(t.client.clone(), &stream, consumer_config(&cm));
    let got = read(&mut consumer, 3000).await;
    assert_eq!(got.len(), 3000);
    assert_in_order(&got, 50, 60);
    assert!(got.iter().any(|r| r.sub_sequence_number > 0));
    consumer.close().await;
    assert_eq!(
        sum_of(&cm, "consumer_records_received_total"),
        3000,
        "counted after de-aggregation"
    );
}

async fn restart_resumes_after_checkpoint(t: Target) {
    let stream = harness::unique("restart");
    restart_with(t, &stream, Arc::new(MemoryCheckpointer::new())).await;
}

/// Reads 400 of 1000 records, closes, and reads the rest with a new consumer on the same
/// checkpointer: nothing is lost and nothing processed is read again.
pub async fn restart_with(
    t: Target,
    stream: &str,
    store: Arc<dyn kinesis_client::checkpoint::Checkpointer>,
) {
    restart_reading(t, stream, store, ReadMode::Polling).await;
}

/// [`restart_with`], reading in `read_mode`.
pub async fn restart_reading(
    t: Target,
    stream: &str,
    store: Arc<dyn kinesis_client::checkpoint::Checkpointer>,
    read_mode: ReadMode,
) {
    let stream = stream.to_string();
    harness::create_stream(&t.client, &stream, 2).await;
    let pm = harness::collector();
    let producer = Producer::with_config(t.client.clone(), &stream, producer_config(&pm))
        .await
        .expect("producer");
    for r in records(10, 100, 5) {
        producer.put(r).await.expect("put");
    }
    producer.close().await.expect("close");

    let cm = harness::collector();
    let config = ConsumerConfig {
        checkpointer: Some(store.clone()),
        read_mode,
        ..consumer_config(&cm)
    };
    let mut first = Consumer::with_config(t.client.clone(), &stream, config.clone());
    let a = read(&mut first, 400).await;
    first.close().await;

    let mut second = Consumer::with_config(
        t.client.clone(),
        &stream,
        ConsumerConfig {
            worker_id: "second".into(),
            ..config
        },
    );
    let b = read(&mut second, 600).await;
    second.close().await;
    let a_ids: HashSet<_> = a.iter().map(|r| r.sequence_number.clone()).collect();
    let dupes = b
        .iter()
        .filter(|r| a_ids.contains(&r.sequence_number))
        .count();
    assert_eq!(
        dupes, 0,
        "every processed record was checkpointed before the leases were given up"
    );
    let mut all = a;
    all.extend(b);
    all.sort_by(|x, y| {
        x.shard_id
            .cmp(&y.shard_id)
            .then(x.sequence_number.len().cmp(&y.sequence_number.len()))
            .then(x.sequence_number.cmp(&y.sequence_number))
    });
    assert_in_order(&all, 10, 100);
}

async fn resharding_mid_stream(t: Target) {
    resharding(t, false).await;
}

/// With aggregation the first aggregates after the split are packed for the parent and land
/// on one child holding records of both; the consumer drops the foreign ones, as KCL does,
/// and the producer sends them again, so each record still arrives once.
async fn resharding_mid_stream_kpl(t: Target) {
    resharding(t, true).await;
}

async fn resharding(t: Target, aggregation: bool) {
    resharding_reading(&t, aggregation, ReadMode::Polling).await;
}

/// Records of 10 keys across a split, in `read_mode`: each arrives once and in order, and
/// both children are read after their parent.
/// Returns the stream's name.
pub async fn resharding_reading(t: &Target, aggregation: bool, read_mode: ReadMode) -> String {
    let stream = harness::unique("reshard");
    harness::create_stream(&t.client, &stream, 1).await;
    let pm = harness::collector();
    let config = ProducerConfig {
        aggregation,
        ..producer_config(&pm)
    };
    let producer = Producer::with_config(t.client.clone(), &stream, config)
        .await
        .expect("producer");
    let cm = harness::collector();
    let config = ConsumerConfig {
        read_mode,
        ..consumer_config(&cm)
    };
    let mut consumer = Consumer::with_config(t.client.clone(), &stream, config);
    let input = records(10, 200, 5);
    let (before, after) = input.split_at(1000);
    for r in before.iter().cloned() {
        producer.put(r).await.expect("put");
    }
    producer.flush().await.expect("flush");
    let parent = harness::shard_ids(&t.client, &stream).await.remove(0);
    t.client
        .split_shard()
        .stream_name(&stream)
        .shard_to_split(&parent)
        .new_starting_hash_key((1u128 << 127).to_string())
        .send()
        .await
        .expect("split");
    harness::wait_active(&t.client, &stream).await;
    for r in after.iter().cloned() {
        producer.put(r).await.expect("put");
    }
    producer.close().await.expect("close");
    let got = read(&mut consumer, 2000).await;
    consumer.close().await;
    assert_eq!(got.len(), 2000);
    assert_in_order(&got, 10, 200);
    let shards: HashSet<&str> = got.iter().map(|r| r.shard_id.as_str()).collect();
    assert_eq!(shards.len(), 3, "parent and both children were read");
    let s = format!("stream_name={stream}");
    assert_eq!(
        cm.counter(&format!("stream_resharding_events_total{{{s}}}")),
        1
    );
    assert_eq!(cm.gauge(&format!("stream_shards_active{{{s}}}")), Some(2.0));
    assert_eq!(cm.gauge(&format!("stream_shards_closed{{{s}}}")), Some(1.0));
    assert_eq!(
        pm.counter(&format!("producer_records_sent_total{{{s}}}")),
        2000
    );
    stream
}

/// A worker whose lease was taken by another is fenced: its checkpoint is refused (and
/// counted as a failure), it stops reading the shard, and the new owner's checkpoint stands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fenced_after_lease_taken() {
    use kinesis_client::checkpoint::{Checkpoint, Checkpointer};
    let t = harness::engine().await;
    let stream = harness::unique("fenced");
    harness::create_stream(&t.client, &stream, 1).await;
    let pm = harness::collector();
    let producer = Producer::with_config(t.client.clone(), &stream, producer_config(&pm))
        .await
        .expect("producer");
    for r in records(1, 10, 1) {
        producer.put(r).await.expect("put");
    }
    producer.flush().await.expect("flush");

    let store = Arc::new(MemoryCheckpointer::new());
    let cm = harness::collector();
    let config = ConsumerConfig {
        checkpointer: Some(store.clone()),
        worker_id: "first".into(),
        lease_duration: Duration::from_secs(30),
        checkpoint_interval: Duration::from_millis(30),
        ..consumer_config(&cm)
    };
    let mut consumer = Consumer::with_config(t.client.clone(), &stream, config);
    let got = read(&mut consumer, 5).await;
    let shard = got[0].shard_id.clone();
    // Another worker takes the lease (as after an expiry) and checkpoints at record 2.
    let lease = store.list_leases(&stream).await.expect("leases").remove(0);
    let taken = store
        .take_lease(&stream, &shard, lease.counter, "second")
        .await
        .expect("take")
        .expect("taken");
    let theirs = Checkpoint::Sequence {
        sequence_number: got[2].sequence_number.clone(),
        sub_sequence_number: 0,
    };
    store
        .checkpoint(&stream, &shard, "second", taken.counter, &theirs)
        .await
        .expect("write")
        .expect("owner");
    // The first worker processes more and tries to checkpoint: refused.
    let more = read(&mut consumer, 1).await;
    assert_eq!(more.len(), 1);
    let key = format!("shard_id={shard},stream_name={stream}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while cm.counter(&format!("consumer_checkpoint_failure_total{{{key}}}")) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stale checkpoint was never refused"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        cm.counter(&format!("consumer_checkpoint_failure_total{{{key}}}")),
        1
    );
    // It stopped reading: new records on the shard do not reach it.
    for r in records(1, 3, 2) {
        producer.put(r).await.expect("put");
    }
    producer.close().await.expect("close");
    let mut extra = 0;
    while let Ok(Some(Ok(_))) =
        tokio::time::timeout(Duration::from_millis(500), consumer.next()).await
    {
        extra += 1;
    }
    assert!(
        extra <= 4,
        "at most what was already fetched before the lease was lost: {extra}"
    );
    consumer.close().await;
    let lease = store.list_leases(&stream).await.expect("leases").remove(0);
    assert_eq!(lease.owner.as_deref(), Some("second"));
    assert_eq!(
        lease.checkpoint, theirs,
        "the new owner's checkpoint was not overwritten"
    );
}

/// Each starting position reads exactly the records it names: TRIM_HORIZON, LATEST,
/// AT_TIMESTAMP, and per shard AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER.
async fn every_iterator_type(t: Target) {
    use kinesis_client::{ShardPosition, StartingPosition};
    let stream = harness::unique("positions");
    harness::create_stream(&t.client, &stream, 1).await;
    let pm = harness::collector();
    let producer = Producer::with_config(t.client.clone(), &stream, producer_config(&pm))
        .await
        .expect("producer");
    for i in 0..10 {
        producer
            .put(Record::new("k", format!("k:{i}")))
            .await
            .expect("put");
    }
    producer.flush().await.expect("flush");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let between = std::time::SystemTime::now();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for i in 10..15 {
        producer
            .put(Record::new("k", format!("k:{i}")))
            .await
            .expect("put");
    }
    producer.flush().await.expect("flush");

    let cm = harness::collector();
    let base = consumer_config(&cm);
    let data = |r: &ConsumedRecord| String::from_utf8_lossy(&r.data).to_string();
    let first = |mut config: ConsumerConfig| {
        let client = t.client.clone();
        let stream = stream.clone();
        config.worker_id = format!("w{}", fastrand::u32(..));
        async move {
            let mut c = Consumer::with_config(client, &stream, config);
            let r = tokio::time::timeout(Duration::from_secs(20), c.next())
                .await
                .expect("a record in time")
                .expect("open")
                .expect("record");
            c.close().await;
            r
        }
    };

    let all = {
        let mut c = Consumer::with_config(t.client.clone(), &stream, base.clone());
        let got = read(&mut c, 15).await;
        c.close().await;
        got
    };
    assert_eq!(
        data(&all[0]),
        "k:0",
        "TRIM_HORIZON starts at the oldest record"
    );

    let r = first(ConsumerConfig {
        starting_position: StartingPosition::AtTimestamp(between),
        ..base.clone()
    })
    .await;
    assert_eq!(
        data(&r),
        "k:10",
        "AT_TIMESTAMP starts at the first record after the time"
    );

    let shard = all[0].shard_id.clone();
    let seq3 = all[3].sequence_number.clone();
    let r = first(ConsumerConfig {
        shard_positions: [(shard.clone(), ShardPosition::AtSequenceNumber(seq3.clone()))].into(),
        ..base.clone()
    })
    .await;
    assert_eq!(data(&r), "k:3", "AT_SEQUENCE_NUMBER includes the record");
    let r = first(ConsumerConfig {
        shard_positions: [(shard.clone(), ShardPosition::AfterSequenceNumber(seq3))].into(),
        ..base.clone()
    })
    .await;
    assert_eq!(data(&r), "k:4", "AFTER_SEQUENCE_NUMBER starts after it");

    // LATEST: nothing already there; a record written once the consumer reads is.
    let mut latest = Consumer::with_config(
        t.client.clone(),
        &stream,
        ConsumerConfig {
            starting_position: StartingPosition::Latest,
            worker_id: "latest".into(),
            ..base.clone()
        },
    );
    let quiet = tokio::time::timeout(Duration::from_millis(700), latest.next()).await;
    assert!(
        quiet.is_err(),
        "LATEST skips what was written before it started"
    );
    producer.put(Record::new("k", "k:15")).await.expect("put");
    producer.close().await.expect("close");
    let r = tokio::time::timeout(Duration::from_secs(20), latest.next())
        .await
        .expect("in time")
        .expect("open")
        .expect("record");
    assert_eq!(data(&r), "k:15");
    latest.close().await;
}

/// An aggregate holding a record outside the hash range of the shard it was read from is
/// dropped whole, as KCL drops it; a sound aggregate next to it is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_aggregates_are_dropped_whole() {
    use kinesis_client::kpl::{Aggregator, UserRecord};
    let t = harness::engine().await;
    let stream = harness::unique("foreign");
    harness::create_stream(&t.client, &stream, 2).await;
    let low = (0..)
        .map(|i| format!("low{i}"))
        .find(|k| kinesis_client::shards::hash_key(k) < 1 << 127)
        .expect("key");
    let high = (0..)
        .map(|i| format!("high{i}"))
        .find(|k| kinesis_client::shards::hash_key(k) >= 1 << 127)
        .expect("key");
    let user = |pk: &str, data: &str| UserRecord {
        partition_key: pk.into(),
        explicit_hash_key: None,
        data: bytes::Bytes::from(data.to_string()),
    };
    for records in [
        vec![user(&low, "bad-1"), user(&high, "bad-2")],
        vec![user(&low, "good-1"), user(&low, "good-2")],
    ] {
        let mut agg = Aggregator::new();
        for r in records {
            agg.push(r);
        }
        let out = agg.finish().expect("aggregate");
        t.client
            .put_record()
            .stream_name(&stream)
            .partition_key(out.partition_key)
            .set_explicit_hash_key(out.explicit_hash_key)
            .data(aws_sdk_kinesis::primitives::Blob::new(out.data.to_vec()))
            .send()
            .await
            .expect("put");
    }
    let cm = harness::collector();
    let mut consumer = Consumer::with_config(t.client.clone(), &stream, consumer_config(&cm));
    let got = read(&mut consumer, 2).await;
    let data: Vec<_> = got
        .iter()
        .map(|r| String::from_utf8_lossy(&r.data).to_string())
        .collect();
    assert_eq!(data, ["good-1", "good-2"]);
    assert!(
        tokio::time::timeout(Duration::from_millis(500), consumer.next())
            .await
            .is_err(),
        "nothing of the foreign aggregate"
    );
    consumer.close().await;
}
