//! The name of every metric the producer and consumer emit, and a table describing them.
//!
//! Counter names end in `_total`, as they appear in the Prometheus exposition. Pass these
//! constants to [`MetricsCollector`](super::MetricsCollector) methods; [`ALL`] lists every one
//! with its [`Kind`] and help text, in the order collectors register them.

/// Records the producer handed to Kinesis successfully (counter).
pub const PRODUCER_RECORDS_SENT_TOTAL: &str = "producer_records_sent_total";
/// Payload bytes the producer handed to Kinesis successfully (counter).
pub const PRODUCER_BYTES_SENT_TOTAL: &str = "producer_bytes_sent_total";
/// Records the producer failed to deliver, labelled by error type (counter).
pub const PRODUCER_ERRORS_TOTAL: &str = "producer_errors_total";
/// Producer requests or records rejected by Kinesis throttling (counter).
pub const PRODUCER_THROTTLES_TOTAL: &str = "producer_throttles_total";
/// Records per `PutRecords` batch the producer sent (histogram).
pub const PRODUCER_BATCH_SIZE: &str = "producer_batch_size";
/// Records waiting in the producer's buffer (gauge).
pub const PRODUCER_QUEUE_SIZE: &str = "producer_queue_size";
/// Seconds one producer flush took (histogram).
pub const PRODUCER_FLUSH_DURATION_SECONDS: &str = "producer_flush_duration_seconds";

/// Records the consumer received from Kinesis (counter).
pub const CONSUMER_RECORDS_RECEIVED_TOTAL: &str = "consumer_records_received_total";
/// Payload bytes the consumer received from Kinesis (counter).
pub const CONSUMER_BYTES_RECEIVED_TOTAL: &str = "consumer_bytes_received_total";
/// Consumer errors, labelled by error type (counter).
pub const CONSUMER_ERRORS_TOTAL: &str = "consumer_errors_total";
/// Checkpoints the consumer stored successfully (counter).
pub const CONSUMER_CHECKPOINT_SUCCESS_TOTAL: &str = "consumer_checkpoint_success_total";
/// Checkpoints the consumer failed to store (counter).
pub const CONSUMER_CHECKPOINT_FAILURE_TOTAL: &str = "consumer_checkpoint_failure_total";
/// `MillisBehindLatest` of the last `GetRecords` response, per shard (gauge).
pub const CONSUMER_ITERATOR_AGE_MILLISECONDS: &str = "consumer_iterator_age_milliseconds";
/// Records between the consumer's position and the tip of the shard, estimated (gauge).
pub const CONSUMER_LAG_RECORDS: &str = "consumer_lag_records";
/// Seconds the record processor took for one batch (histogram).
pub const CONSUMER_PROCESSING_TIME_SECONDS: &str = "consumer_processing_time_seconds";
/// Records fetched but not yet processed (gauge).
pub const CONSUMER_QUEUE_SIZE: &str = "consumer_queue_size";

/// Shards currently open for reading or writing (gauge).
pub const STREAM_SHARDS_ACTIVE: &str = "stream_shards_active";
/// Shards closed by resharding whose data is still retained (gauge).
pub const STREAM_SHARDS_CLOSED: &str = "stream_shards_closed";
/// Resharding events (splits and merges) observed (counter).
pub const STREAM_RESHARDING_EVENTS_TOTAL: &str = "stream_resharding_events_total";

/// The type of a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A monotonically increasing `u64`, fed by
    /// [`MetricsCollector::increment`](super::MetricsCollector::increment).
    Counter,
    /// A value that goes up and down, fed by
    /// [`MetricsCollector::gauge`](super::MetricsCollector::gauge).
    Gauge,
    /// A distribution of observations, fed by
    /// [`MetricsCollector::histogram`](super::MetricsCollector::histogram) and
    /// [`MetricsCollector::timer`](super::MetricsCollector::timer).
    Histogram,
}

/// Describes one metric: its name, type and a one-line help text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricDef {
    /// The metric's name, one of this module's constants.
    pub name: &'static str,
    /// The metric's type.
    pub kind: Kind,
    /// A one-line description, without a trailing full stop.
    pub help: &'static str,
}

const fn def(name: &'static str, kind: Kind, help: &'static str) -> MetricDef {
    MetricDef { name, kind, help }
}

/// Every metric the client emits, with its kind and help text.
pub static ALL: &[MetricDef] = &[
    def(
        PRODUCER_RECORDS_SENT_TOTAL,
        Kind::Counter,
        "Records the producer delivered to Kinesis",
    ),
    def(
        PRODUCER_BYTES_SENT_TOTAL,
        Kind::Counter,
        "Payload bytes the producer delivered to Kinesis",
    ),
    def(
        PRODUCER_ERRORS_TOTAL,
        Kind::Counter,
        "Records the producer failed to deliver, by error type",
    ),
    def(
        PRODUCER_THROTTLES_TOTAL,
        Kind::Counter,
        "Producer requests or records throttled by Kinesis",
    ),
    def(
        PRODUCER_BATCH_SIZE,
        Kind::Histogram,
        "Records per PutRecords batch sent by the producer",
    ),
    def(
        PRODUCER_QUEUE_SIZE,
        Kind::Gauge,
        "Records buffered in the producer awaiting a flush",
    ),
    def(
        PRODUCER_FLUSH_DURATION_SECONDS,
        Kind::Histogram,
        "Duration of one producer flush in seconds",
    ),
    def(
        CONSUMER_RECORDS_RECEIVED_TOTAL,
        Kind::Counter,
        "Records the consumer received from Kinesis",
    ),
    def(
        CONSUMER_BYTES_RECEIVED_TOTAL,
        Kind::Counter,
        "Payload bytes the consumer received from Kinesis",
    ),
    def(
        CONSUMER_ERRORS_TOTAL,
        Kind::Counter,
        "Consumer errors, by error type",
    ),
    def(
        CONSUMER_CHECKPOINT_SUCCESS_TOTAL,
        Kind::Counter,
        "Checkpoints the consumer stored successfully",
    ),
    def(
        CONSUMER_CHECKPOINT_FAILURE_TOTAL,
        Kind::Counter,
        "Checkpoints the consumer failed to store",
    ),
    def(
        CONSUMER_ITERATOR_AGE_MILLISECONDS,
        Kind::Gauge,
        "MillisBehindLatest of the last GetRecords response",
    ),
    def(
        CONSUMER_LAG_RECORDS,
        Kind::Gauge,
        "Estimated records between the consumer position and the shard tip",
    ),
    def(
        CONSUMER_PROCESSING_TIME_SECONDS,
        Kind::Histogram,
        "Time the record processor took for one batch in seconds",
    ),
    def(
        CONSUMER_QUEUE_SIZE,
        Kind::Gauge,
        "Records fetched by the consumer but not yet processed",
    ),
    def(
        STREAM_SHARDS_ACTIVE,
        Kind::Gauge,
        "Open shards of the stream",
    ),
    def(
        STREAM_SHARDS_CLOSED,
        Kind::Gauge,
        "Closed shards of the stream still within retention",
    ),
    def(
        STREAM_RESHARDING_EVENTS_TOTAL,
        Kind::Counter,
        "Resharding events (splits and merges) observed",
    ),
];

/// The entry of [`ALL`] named `name`, if any.
pub fn find(name: &str) -> Option<&'static MetricDef> {
    ALL.iter().find(|d| d.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_complete_and_consistent() {
        assert_eq!(ALL.len(), 19);
        let mut names: Vec<_> = ALL.iter().map(|d| d.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len(), "duplicate metric names");
        for d in ALL {
            assert_eq!(
                d.name.ends_with("_total"),
                d.kind == Kind::Counter,
                "{}: counters and only counters end in _total",
                d.name
            );
            assert!(!d.help.is_empty() && !d.help.ends_with('.'), "{}", d.name);
            assert!(
                d.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{}",
                d.name
            );
        }
        assert_eq!(find(PRODUCER_QUEUE_SIZE).map(|d| d.kind), Some(Kind::Gauge));
        assert_eq!(find("nope"), None);
    }
}
