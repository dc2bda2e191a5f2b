//! The metric names of a Kinesis + Lambda load test, defined once.
//!
//! The first four groups are the pipeline's; `iterations`, `dropped_iterations` and `data_sent`
//! are k6's built-in names with k6's meaning, so dashboards and habits carry over.

use crate::metric::{Contains, Kind};

/// Trend, milliseconds: how long each PutRecord (or PutRecords) call took.
pub const KINESIS_PUT_RECORD_DURATION: &str = "kinesis_put_record_duration";
/// Rate: the share of put calls that succeeded.
pub const KINESIS_PUT_RECORD_SUCCESS_RATE: &str = "kinesis_put_record_success_rate";
/// Counter: records Kinesis accepted.
pub const KINESIS_PUT_RECORD_THROUGHPUT: &str = "kinesis_put_record_throughput";
/// Rate: the share of put calls answered ProvisionedThroughputExceededException.
pub const KINESIS_THROTTLING_RATE: &str = "kinesis_throttling_rate";
/// Trend, milliseconds: from a record's put to its processing by the function.
pub const END_TO_END_LATENCY: &str = "end_to_end_latency";
/// Counter: records the pipeline processed end to end.
pub const PIPELINE_THROUGHPUT: &str = "pipeline_throughput";
/// Rate: the share of operations that failed, whatever the cause.
pub const ERROR_RATE: &str = "error_rate";
/// Rate: the share of function invocations that were cold starts.
pub const LAMBDA_COLD_START_RATE: &str = "lambda_cold_start_rate";
/// Counter: completed iterations of the load generator (k6's name).
pub const ITERATIONS: &str = "iterations";
/// Counter: iterations the generator could not start on schedule (k6's name).
pub const DROPPED_ITERATIONS: &str = "dropped_iterations";
/// Counter, bytes: data sent (k6's name).
pub const DATA_SENT: &str = "data_sent";

/// Every pipeline metric with its kind and what its values are, in the order above.
pub const PIPELINE: &[(&str, Kind, Contains)] = &[
    (KINESIS_PUT_RECORD_DURATION, Kind::Trend, Contains::Time),
    (
        KINESIS_PUT_RECORD_SUCCESS_RATE,
        Kind::Rate,
        Contains::Default,
    ),
    (
        KINESIS_PUT_RECORD_THROUGHPUT,
        Kind::Counter,
        Contains::Default,
    ),
    (KINESIS_THROTTLING_RATE, Kind::Rate, Contains::Default),
    (END_TO_END_LATENCY, Kind::Trend, Contains::Time),
    (PIPELINE_THROUGHPUT, Kind::Counter, Contains::Default),
    (ERROR_RATE, Kind::Rate, Contains::Default),
    (LAMBDA_COLD_START_RATE, Kind::Rate, Contains::Default),
    (ITERATIONS, Kind::Counter, Contains::Default),
    (DROPPED_ITERATIONS, Kind::Counter, Contains::Default),
    (DATA_SENT, Kind::Counter, Contains::Data),
];

/// The tags the generator puts on samples, which sub-metric thresholds can select
/// (`end_to_end_latency{stream:orders}`). Any tag works; these are the ones it will set.
pub const TAGS: &[&str] = &["stream", "shard", "function", "operation"];
