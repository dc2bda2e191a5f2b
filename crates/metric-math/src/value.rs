//! What an expression evaluates to.

use crate::{Labeled, MathError, TimeSeries};

/// The value of an expression or sub-expression: the user guide's S, TS and TS[].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A single number (S). NaN means "no value": a division by zero, or a reduction such
    /// as `AVG(m1)` over a series with no datapoints. A NaN combined with a series gives
    /// no datapoints.
    Scalar(f64),
    /// One time series (TS).
    Series(Labeled<TimeSeries>),
    /// An array of time series (TS[]), each with its member label.
    Array(Vec<Labeled<TimeSeries>>),
}

impl Value {
    /// The kind of value, as error messages name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Scalar(_) => KIND_SCALAR,
            Value::Series(_) => KIND_SERIES,
            Value::Array(_) => KIND_ARRAY,
        }
    }

    /// Turns a final expression value into GetMetricData results: one per series.
    ///
    /// A series gives one result, an array one result per member in order (none for an
    /// empty array). A scalar is an error, as in CloudWatch ("The final result of any math
    /// expression must be a single time series or an array of time series"); wrap it in
    /// `TIME_SERIES(...)` to get a constant series.
    pub fn into_results(self) -> Result<Vec<Labeled<TimeSeries>>, MathError> {
        match self {
            Value::Scalar(_) => Err(MathError::ScalarResult),
            Value::Series(s) => Ok(vec![s]),
            Value::Array(members) => Ok(members),
        }
    }
}

/// How error messages name a scalar.
pub(crate) const KIND_SCALAR: &str = "a scalar";
/// How error messages name a time series.
pub(crate) const KIND_SERIES: &str = "a time series";
/// How error messages name an array of time series.
pub(crate) const KIND_ARRAY: &str = "an array of time series";

/// The label of one member of an array result as the CloudWatch console shows it:
/// `"<expression label> <member label>"`, or just the member label when the expression has
/// no label (user guide, "Adding a math expression to a CloudWatch graph"). Whether the
/// GetMetricData API composes labels the same way is unconfirmed; callers choose.
pub fn array_member_label(expression_label: &str, member_label: &str) -> String {
    match (expression_label.is_empty(), member_label.is_empty()) {
        (true, _) => member_label.to_owned(),
        (false, true) => expression_label.to_owned(),
        (false, false) => format!("{expression_label} {member_label}"),
    }
}
