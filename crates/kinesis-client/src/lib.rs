//! A Kinesis Data Streams producer and consumer with first-class metrics.
//!
//! - [`Producer`]: queues records and sends them in PutRecords batches within AWS's limits,
//!   keeping every shard under its write rate, retrying throttled and failed records with
//!   backoff and jitter without reordering records that share a partition key, optionally
//!   packing records into KPL aggregates.
//! - [`Consumer`]: a `futures::Stream` of records over every shard of a stream, parents before
//!   children, with KPL de-aggregation, checkpoints and leases shared between processes.
//! - [`checkpoint`]: where checkpoints and leases live: memory, Redis or DynamoDB.
//! - [`metrics`]: what the client reports and where to: no-op, in-memory, Prometheus.
//! - [`kpl`]: the Kinesis Producer Library's aggregated record format (magic bytes, protobuf
//!   body, MD5 trailer), readable by KCL and aws-kinesis-agg.
//!
//! Built on aws-sdk-kinesis, so it works against AWS and the embedded engine alike.
//!
//! # Quick start
//!
//! Any [`aws_sdk_kinesis::Client`] will do: one built from `aws_config::load_from_env()` for
//! AWS, or one with an endpoint URL and static credentials for a local engine, as here.
//!
//! ```no_run
//! use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
//! use futures::StreamExt;
//! use kinesis_client::{Consumer, Producer, Record};
//!
//! # async fn quick_start() -> Result<(), Box<dyn std::error::Error>> {
//! let config = aws_sdk_kinesis::Config::builder()
//!     .behavior_version(BehaviorVersion::latest())
//!     .region(Region::new("us-east-1"))
//!     .credentials_provider(Credentials::new("test", "test", None, None, "static"))
//!     .endpoint_url("http://127.0.0.1:4567")
//!     .build();
//! let client = aws_sdk_kinesis::Client::from_conf(config);
//!
//! // `put` queues a record (waiting while the queue is full); `flush` waits for delivery.
//! let producer = Producer::new(client.clone(), "orders").await?;
//! producer.put(Record::new("customer-42", "order created")).await?;
//! producer.put_json("customer-42", &serde_json::json!({ "order": 7, "total": 12.5 })).await?;
//! producer.flush().await?;
//! let stats = producer.close().await?;
//! println!("sent {} records in {} calls", stats.records_sent, stats.put_calls);
//!
//! // Every shard as one stream of records, from TRIM_HORIZON. It never ends by itself.
//! let mut consumer = Consumer::new(client, "orders");
//! while let Some(record) = consumer.next().await {
//!     let record = record?;
//!     println!("{} {}: {:?}", record.shard_id, record.partition_key, record.data);
//!     if record.partition_key == "customer-42" {
//!         break;
//!     }
//! }
//! consumer.close().await; // checkpoints what was processed and releases the leases
//! # Ok(())
//! # }
//! ```
//!
//! The crate's `examples/` run as they are, against the embedded engine or the endpoint in
//! `KINESIS_ENDPOINT`: `cargo run -p kinesis-client --example producer` (also `producer_json`,
//! `producer_kpl`, `consumer`, `consumer_group`, `consumer_checkpoint_redis`,
//! `consumer_checkpoint_dynamodb` and `prometheus_metrics`).
//!
//! # Cargo features
//!
//! | feature | default | brings | for |
//! | --- | --- | --- | --- |
//! | `prometheus` | yes | prometheus-client | [`metrics::PrometheusCollector`] |
//! | `metrics-server` | yes | axum (and `prometheus`) | [`metrics::serve_metrics`] |
//! | `redis` | no | redis | [`checkpoint::RedisCheckpointer`] |
//! | `dynamodb` | no | aws-sdk-dynamodb | [`checkpoint::DynamoDbCheckpointer`] |
//!
//! With `default-features = false` the crate needs only aws-sdk-kinesis and tokio: the
//! producer, the consumer, the memory checkpointer and the no-op and in-memory collectors.
//!
//! ```toml
//! kinesis-client = { version = "0.1", default-features = false, features = ["redis"] }
//! ```
//!
//! # Choosing a checkpointer
//!
//! A consumer keeps one lease per shard, with its checkpoint, in a
//! [`Checkpointer`](checkpoint::Checkpointer) given as [`ConsumerConfig::checkpointer`]:
//!
//! - none (the default): a private [`MemoryCheckpointer`](checkpoint::MemoryCheckpointer).
//!   Nothing survives the process, so a restart reads from the starting position again. Pass
//!   clones of one `MemoryCheckpointer` to share the shards between consumers of one process.
//! - [`RedisCheckpointer::connect`](checkpoint::RedisCheckpointer::connect) (feature
//!   `redis`): shares the shards between processes and survives restarts. One Redis server
//!   (or a primary with replicas), not Redis Cluster.
//! - [`DynamoDbCheckpointer::new`](checkpoint::DynamoDbCheckpointer::new) (feature
//!   `dynamodb`; then
//!   [`create_table_if_missing`](checkpoint::DynamoDbCheckpointer::create_table_if_missing)):
//!   the same, in KCL's lease table layout, so it can take over from (or hand over to) a KCL
//!   application. One table per stream.
//!
//! Consumers sharing a store must have different [`ConsumerConfig::worker_id`]s (the default
//! is unique per consumer). Each takes a fair share of the shards and steals from the busiest
//! worker when short; a worker that stops heartbeating loses its leases after
//! [`ConsumerConfig::lease_duration`].
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use kinesis_client::checkpoint::RedisCheckpointer;
//! use kinesis_client::{Consumer, ConsumerConfig};
//!
//! # async fn with_redis(client: aws_sdk_kinesis::Client) -> Result<(), Box<dyn std::error::Error>> {
//! let store = RedisCheckpointer::connect("redis://127.0.0.1:6379/").await?;
//! let config = ConsumerConfig {
//!     checkpointer: Some(Arc::new(store)),
//!     worker_id: "host-a".into(),
//!     ..ConsumerConfig::default()
//! };
//! let consumer = Consumer::with_config(client, "orders", config);
//! # drop(consumer);
//! # Ok(())
//! # }
//! ```
//!
//! # Enhanced fan-out
//!
//! With [`ReadMode::FanOut`] the consumer reads through a stream consumer of its own: it
//! registers the consumer when it does not exist (RegisterStreamConsumer; an existing one is
//! reused, so every worker of a group names the same consumer), waits until it is ACTIVE, and
//! holds a SubscribeToShard subscription per leased shard instead of calling GetRecords. Each
//! consumer gets its own 2 MiB/s per shard, and records are pushed as they arrive rather than
//! polled. A subscription ends after five minutes and is renewed after the last record
//! delivered; leases, checkpoints, resharding and the metrics are the same as polling.
//!
//! ```no_run
//! use kinesis_client::{Consumer, ConsumerConfig, ReadMode};
//!
//! # fn fan_out(client: aws_sdk_kinesis::Client) {
//! let config = ConsumerConfig {
//!     read_mode: ReadMode::FanOut { consumer_name: "billing".into() },
//!     ..ConsumerConfig::default()
//! };
//! let consumer = Consumer::with_config(client, "orders", config);
//! # drop(consumer);
//! # }
//! ```
//!
//! # Metrics
//!
//! Producers and consumers report to a [`MetricsCollector`](metrics::MetricsCollector): the
//! one in their config's `metrics` field, else the process-wide default read when they are
//! built ([`metrics::set_metrics_collector`]; a [`NoopCollector`](metrics::NoopCollector)
//! until set, which costs nothing). [`PrometheusCollector`](metrics::PrometheusCollector)
//! exposes them with a namespace prefix (`myapp_producer_records_sent_total`), served at
//! `/metrics` by [`serve_metrics`](metrics::serve_metrics);
//! [`InMemoryCollector`](metrics::InMemoryCollector) keeps them for tests.
//!
//! Every metric is named in [`metrics::names`] (with its kind and help text in
//! [`metrics::names::ALL`]) and labelled with keys from [`metrics::labels`]: `stream_name`,
//! plus `shard_id` for per-shard ones and `error_type` for errors.
//!
//! - Producer: [`producer_records_sent_total`](metrics::names::PRODUCER_RECORDS_SENT_TOTAL),
//!   [`producer_bytes_sent_total`](metrics::names::PRODUCER_BYTES_SENT_TOTAL),
//!   [`producer_errors_total`](metrics::names::PRODUCER_ERRORS_TOTAL),
//!   [`producer_throttles_total`](metrics::names::PRODUCER_THROTTLES_TOTAL),
//!   [`producer_batch_size`](metrics::names::PRODUCER_BATCH_SIZE),
//!   [`producer_queue_size`](metrics::names::PRODUCER_QUEUE_SIZE),
//!   [`producer_flush_duration_seconds`](metrics::names::PRODUCER_FLUSH_DURATION_SECONDS).
//! - Consumer:
//!   [`consumer_records_received_total`](metrics::names::CONSUMER_RECORDS_RECEIVED_TOTAL),
//!   [`consumer_bytes_received_total`](metrics::names::CONSUMER_BYTES_RECEIVED_TOTAL),
//!   [`consumer_errors_total`](metrics::names::CONSUMER_ERRORS_TOTAL),
//!   [`consumer_checkpoint_success_total`](metrics::names::CONSUMER_CHECKPOINT_SUCCESS_TOTAL),
//!   [`consumer_checkpoint_failure_total`](metrics::names::CONSUMER_CHECKPOINT_FAILURE_TOTAL),
//!   [`consumer_iterator_age_milliseconds`](metrics::names::CONSUMER_ITERATOR_AGE_MILLISECONDS),
//!   [`consumer_lag_records`](metrics::names::CONSUMER_LAG_RECORDS),
//!   [`consumer_processing_time_seconds`](metrics::names::CONSUMER_PROCESSING_TIME_SECONDS),
//!   [`consumer_queue_size`](metrics::names::CONSUMER_QUEUE_SIZE).
//! - Stream (from the consumer's shard listing):
//!   [`stream_shards_active`](metrics::names::STREAM_SHARDS_ACTIVE),
//!   [`stream_shards_closed`](metrics::names::STREAM_SHARDS_CLOSED),
//!   [`stream_resharding_events_total`](metrics::names::STREAM_RESHARDING_EVENTS_TOTAL).
//!
//! # Guarantees
//!
//! - **Order per partition key.** A partition key has at most one Kinesis record in flight; a
//!   failed or throttled record goes back to the front of its key's queue, so the records of
//!   a key are written in the order they were put (by one producer). The consumer yields each
//!   shard's records in sequence order, de-aggregated records in their order in the
//!   aggregate.
//! - **At least once.** The producer retries until a record is acknowledged or
//!   [`ProducerConfig::max_attempts`] is spent; records given up are reported by
//!   [`Producer::flush`] and [`Producer::close`] as [`ClientError::Undelivered`], never
//!   dropped silently. A call whose outcome is unknown (a timeout) is retried, so a record can
//!   be written twice. The consumer checkpoints only processed records (a record counts as
//!   processed once the stream is polled for the next one) and [`Consumer::close`]
//!   checkpoints before releasing its leases; after a crash, or a lease lost to another
//!   worker, the records since the last checkpoint are read again. Deduplicate on
//!   `(shard_id, sequence_number, sub_sequence_number)` where that matters.
//! - **Parents before children.** After a split or merge, a child shard is read only once
//!   every parent has been read to its end, so a key's order holds across resharding.
//! - **Per-shard rate limits.** The producer keeps every shard under 1 MiB/s and 1,000
//!   records/s ([`ProducerConfig::shard_rate_limit`]) and every PutRecords call within 500
//!   records and 5 MiB, so one hot shard is throttled on our side without holding back the
//!   others; what Kinesis still throttles is retried with exponential backoff and full
//!   jitter. The consumer calls GetRecords at most once per
//!   [`ConsumerConfig::min_poll_interval`] per shard (200 ms: AWS's 5 calls per second per
//!   shard, which every consumer of the stream shares: raise it when several applications
//!   read one stream).

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod checkpoint;
pub mod consumer;
mod error;
/// The KPL aggregated record format (the `kinesis-kpl` crate).
pub use kinesis_kpl as kpl;
pub mod metrics;
pub mod producer;
pub mod shards;

pub use consumer::{
    ConsumedRecord, Consumer, ConsumerConfig, ReadMode, ShardPosition, StartingPosition,
};
pub use error::ClientError;
pub use producer::{Producer, ProducerConfig, Record};
