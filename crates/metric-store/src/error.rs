//! The one error type of this crate.

/// Why the store refused a key, a datum or a query.
///
/// Every variant is a caller mistake that CloudWatch answers with HTTP 400;
/// [`Error::aws_code`] names the AWS error code the API layer should send.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A namespace, metric name, dimension name or dimension value is empty or too long.
    #[error("{what} must be 1 to {max} characters long, got {len}")]
    InvalidLength {
        /// Which part of the key ("Namespace", "MetricName", "Dimension name", ...).
        what: &'static str,
        /// The largest length allowed, in characters.
        max: usize,
        /// The length given, in characters.
        len: usize,
    },
    /// More than [`crate::MAX_DIMENSIONS`] dimensions on one metric.
    #[error("a metric has at most {max} dimensions, got {got}", max = crate::MAX_DIMENSIONS)]
    TooManyDimensions {
        /// How many dimensions were given.
        got: usize,
    },
    /// The same dimension name twice on one metric.
    #[error("dimension name {0:?} appears more than once")]
    DuplicateDimension(String),
    /// A value that is NaN, infinite, or outside -2^360..=2^360.
    #[error("value {0} is not a finite number within -2^360..2^360")]
    InvalidValue(f64),
    /// A count in a Values/Counts datum that is NaN, infinite or negative.
    #[error("count {0} is not a finite, non-negative number")]
    InvalidCount(f64),
    /// A Values datum whose Counts array has a different length.
    #[error("Values has {values} members but Counts has {counts}")]
    CountsMismatch {
        /// Length of the Values array.
        values: usize,
        /// Length of the Counts array.
        counts: usize,
    },
    /// A Values datum with no values, or more than [`crate::MAX_VALUES`].
    #[error("Values must have 1 to {max} members, got {got}", max = crate::MAX_VALUES)]
    InvalidValuesLength {
        /// How many values were given.
        got: usize,
    },
    /// A statistic set that is not finite, has SampleCount <= 0, or Minimum > Maximum.
    #[error("invalid statistic set: {0}")]
    InvalidStatisticSet(&'static str),
    /// A timestamp more than two weeks before or two hours after the store's clock.
    #[error(
        "timestamp {ts_ms} is outside the accepted window around now ({now_ms}): at most two weeks old and two hours ahead"
    )]
    TimestampOutOfRange {
        /// The datum's timestamp, epoch milliseconds.
        ts_ms: u64,
        /// The store's clock when the datum arrived.
        now_ms: u64,
    },
    /// A storage resolution other than 1 or 60 seconds.
    #[error("StorageResolution must be 1 or 60, got {0}")]
    InvalidStorageResolution(u32),
    /// A catalogue metric asked for with dimensions it is not published with.
    #[error("metric {metric} has no dimension set {dimensions:?}")]
    UnknownDimensionSet {
        /// The metric.
        metric: &'static str,
        /// The dimension names given.
        dimensions: Vec<String>,
    },
    /// A metric of an `AWS/` namespace recorded other than through the catalogue.
    #[error("namespace {0:?} is reserved for AWS's metrics, which are recorded from the catalogue")]
    ReservedNamespace(String),
    /// A unit string that is not a CloudWatch StandardUnit.
    #[error("{0:?} is not a CloudWatch unit")]
    InvalidUnit(String),
    /// A statistic string that is neither a standard statistic nor pNN / pNN.NN.
    #[error(
        "{0:?} is not a supported statistic (SampleCount, Sum, Minimum, Maximum, Average, p0..p100 with up to two decimals)"
    )]
    InvalidStatistic(String),
    /// A period other than 1, 5, 10, 20, 30 or a multiple of 60 seconds.
    #[error("the period must be 1, 5, 10, 20, 30 or a multiple of 60 seconds, got {0}")]
    InvalidPeriod(u32),
    /// A query whose start is not before its end.
    #[error("the start time ({start_ms}) must be less than the end time ({end_ms})")]
    InvalidTimeRange {
        /// Start, epoch milliseconds (inclusive).
        start_ms: u64,
        /// End, epoch milliseconds (exclusive).
        end_ms: u64,
    },
    /// A sub-minute period over a range that ends before high-resolution data is kept (3 hours).
    #[error(
        "a period under 60 seconds needs high-resolution data, kept for 3 hours; the range ends at {end_ms}, before {oldest_ms}"
    )]
    HighResolutionExpired {
        /// The query's end, epoch milliseconds.
        end_ms: u64,
        /// The oldest instant high-resolution data is kept for, epoch milliseconds.
        oldest_ms: u64,
    },
}

impl Error {
    /// The AWS error code CloudWatch uses for this mistake (all are HTTP 400).
    pub fn aws_code(&self) -> &'static str {
        // Every store error, even a Values/Counts length mismatch, is InvalidParameterValue
        // on AWS; combinations of parameters are checked in the API layer.
        "InvalidParameterValue"
    }
}
