//! The one error type of the crate.
//!
//! Threshold texts are k6's (v1.x), word for word where k6 has one, so a user who moves a
//! threshold between k6 and `streamwatch load` sees the same complaint. That includes k6's own
//! spelling "expresion's" in the right-hand-side error.

use crate::EXIT_INVALID_CONFIG;

/// What went wrong defining metrics, adding samples or reading thresholds.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A threshold expression without any of k6's operators.
    #[error("failed parsing threshold expression {expr:?}; reason: malformed threshold expression")]
    MalformedExpression {
        /// The expression as written.
        expr: String,
    },
    /// The aggregation method (left of the operator) is not one k6 knows.
    #[error("failed parsing threshold expression's {expr:?} left hand side; reason: {reason}")]
    LeftHandSide {
        /// The expression as written.
        expr: String,
        /// Why, in k6's words.
        reason: String,
    },
    /// The value (right of the operator) is not a number.
    #[error("failed parsing threshold expresion's {expr:?} right hand side; reason: {reason}")]
    RightHandSide {
        /// The expression as written.
        expr: String,
        /// Why.
        reason: String,
    },
    /// A threshold's metric name (`name{tag:value,...}`) is malformed.
    #[error("parsing metric name failed, {reason}")]
    MetricName {
        /// Why, naming the metric.
        reason: String,
    },
    /// A threshold names a metric the registry does not define.
    #[error("invalid threshold defined on {name}; reason: no metric name {name:?} found")]
    NoSuchMetric {
        /// The metric name as written in the threshold.
        name: String,
    },
    /// A threshold uses an aggregation method its metric's kind does not have.
    #[error(
        "invalid threshold {expr:?} applied on metric {metric}; reason: unsupported aggregation \
         method {method} on metric of type {kind}. supported aggregation methods for this metric \
         are: {supported}"
    )]
    UnsupportedMethod {
        /// The expression as written.
        expr: String,
        /// The metric name as written.
        metric: String,
        /// The method token (`p` for any percentile, as k6 says).
        method: String,
        /// The metric's kind (`counter`, `gauge`, `rate`, `trend`).
        kind: String,
        /// The methods the kind supports, comma separated.
        supported: String,
    },
    /// A command-line threshold is not `metric=expr[,expr...]`.
    #[error(
        "invalid threshold {arg:?}: expected metric=expression[,expression...], e.g. kinesis_put_record_duration=avg<50,p(95)<100"
    )]
    CliThreshold {
        /// The argument as given.
        arg: String,
    },
    /// The JSON form of thresholds could not be read.
    #[error("invalid thresholds JSON: {0}")]
    Json(String),
    /// A `delayAbortEval` that is not a duration.
    #[error("time: invalid duration {0:?}")]
    Duration(String),
    /// A metric name k6 would refuse.
    #[error(
        "invalid metric name {0:?}: a metric name is 2 to 129 ASCII letters, digits or \
         underscores and does not start with a digit"
    )]
    InvalidMetricName(String),
    /// A metric defined twice with different kinds.
    #[error("metric '{name}' already exists but with type {existing}, instead of {requested}")]
    KindConflict {
        /// The metric name.
        name: String,
        /// The kind it has.
        existing: String,
        /// The kind asked for.
        requested: String,
    },
    /// A sample for a metric that was never defined.
    #[error("no metric named {0:?} is defined")]
    UndefinedMetric(String),
    /// A sample that is NaN or infinite.
    #[error("invalid sample {value} for metric {name:?}: samples must be finite")]
    InvalidValue {
        /// The metric name.
        name: String,
        /// The value given.
        value: f64,
    },
}

impl Error {
    /// The process exit code k6 gives for this error: 104 (invalid configuration).
    pub fn exit_code(&self) -> i32 {
        EXIT_INVALID_CONFIG
    }
}
