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

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod checkpoint;
pub mod consumer;
mod error;
pub mod kpl;
pub mod metrics;
pub mod producer;
pub mod shards;

pub use consumer::{ConsumedRecord, Consumer, ConsumerConfig, StartingPosition};
pub use error::ClientError;
pub use producer::{Producer, ProducerConfig, Record};
