//! Label keys used with the metrics in [`names`](super::names).

/// The Kinesis stream's name.
pub const STREAM_NAME: &str = "stream_name";
/// The shard's id, e.g. `shardId-000000000000`.
pub const SHARD_ID: &str = "shard_id";
/// A short, low-cardinality classification of an error, e.g. `throttled`.
pub const ERROR_TYPE: &str = "error_type";
