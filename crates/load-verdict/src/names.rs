//! The metric names of a Kinesis + Lambda load test, from metric-store's catalogue
//! (`metric_store::catalog::load_test`, where each is defined and documented once).
//!
//! The first eight are the pipeline's; `iterations`, `dropped_iterations` and `data_sent` are
//! k6's built-in names with k6's meaning, so dashboards and habits carry over.

use metric_store::catalog::load_test::{self, LoadTestMetric};

use crate::metric::{Contains, Kind};

/// Trend, milliseconds: how long each PutRecord (or PutRecords) call took.
pub const KINESIS_PUT_RECORD_DURATION: &str = load_test::KINESIS_PUT_RECORD_DURATION.name;
/// Rate: the share of records put that Kinesis stored.
pub const KINESIS_PUT_RECORD_SUCCESS_RATE: &str = load_test::KINESIS_PUT_RECORD_SUCCESS_RATE.name;
/// Counter: records Kinesis accepted.
pub const KINESIS_PUT_RECORD_THROUGHPUT: &str = load_test::KINESIS_PUT_RECORD_THROUGHPUT.name;
/// Rate: the share of records put that were throttled.
pub const KINESIS_THROTTLING_RATE: &str = load_test::KINESIS_THROTTLING_RATE.name;
/// Trend, milliseconds: from a record's put to its processing by the function.
pub const END_TO_END_LATENCY: &str = load_test::END_TO_END_LATENCY.name;
/// Counter: records the pipeline processed end to end.
pub const PIPELINE_THROUGHPUT: &str = load_test::PIPELINE_THROUGHPUT.name;
/// Rate: the share of records that failed, whatever the cause but throttling.
pub const ERROR_RATE: &str = load_test::ERROR_RATE.name;
/// Rate: the share of function invocations that were cold starts.
pub const LAMBDA_COLD_START_RATE: &str = load_test::LAMBDA_COLD_START_RATE.name;
/// Counter: records the generator sent (k6's name).
pub const ITERATIONS: &str = load_test::ITERATIONS.name;
/// Counter: records the generator could not send on schedule (k6's name).
pub const DROPPED_ITERATIONS: &str = load_test::DROPPED_ITERATIONS.name;
/// Counter, bytes: data sent (k6's name).
pub const DATA_SENT: &str = load_test::DATA_SENT.name;

/// The k6 kind and printing of a catalogue metric.
pub fn kind_of(m: &LoadTestMetric) -> (Kind, Contains) {
    let kind = match m.kind {
        load_test::Kind::Counter => Kind::Counter,
        load_test::Kind::Gauge => Kind::Gauge,
        load_test::Kind::Rate => Kind::Rate,
        load_test::Kind::Trend => Kind::Trend,
    };
    let contains = match m.values {
        load_test::Values::Plain => Contains::Default,
        load_test::Values::Time => Contains::Time,
        load_test::Values::Data => Contains::Data,
    };
    (kind, contains)
}

/// Every pipeline metric, in the catalogue's order.
pub fn pipeline() -> impl Iterator<Item = (&'static str, Kind, Contains)> {
    load_test::ALL.iter().map(|m| {
        let (kind, contains) = kind_of(m);
        (m.name, kind, contains)
    })
}

/// The tags the generator puts on samples, which sub-metric thresholds can select
/// (`end_to_end_latency{scenario:spike}`). Any tag works; this is the one it sets.
pub const TAGS: &[&str] = &["scenario"];
