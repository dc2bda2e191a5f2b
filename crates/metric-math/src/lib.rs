//! CloudWatch metric math: the `Expression` of a GetMetricData query.
//!
//! - [`parse`] turns expression text into an [`Expr`], checking syntax, function names and
//!   argument counts; [`Expr::references`] lists the ids it uses and [`evaluation_order`]
//!   orders a request's expressions, reporting unknown ids and cycles.
//! - [`evaluate`] computes an [`Expr`] against a [`Context`]: the request's MetricStat results
//!   and already evaluated expressions ([`MemoryContext`] holds them in memory). The result
//!   is a [`Value`]: a scalar, one [`TimeSeries`], or an array of them, each series
//!   [`Labeled`].
//! - [`Value::into_results`] turns a query's final value into its GetMetricData results: one
//!   per series.
//! - Every error is a [`MathError`]; the fixed text of its messages is in [`messages`].
//!
//! ```
//! use metric_math::{Labeled, MemoryContext, TimeSeries, evaluate, parse};
//!
//! let minute = 60_000;
//! let mut ctx = MemoryContext::with_range(0, 3 * minute, 60);
//! ctx.add_metric("errors", Labeled::new("Errors", TimeSeries::from_points([(0, 1.0), (minute, 3.0)])), 60);
//! ctx.add_metric("requests", Labeled::new("Requests", TimeSeries::from_points([(0, 10.0), (minute, 30.0), (2 * minute, 5.0)])), 60);
//!
//! let rate = parse("100 * errors / requests").unwrap();
//! let results = evaluate(&rate, &ctx).unwrap().into_results().unwrap();
//! assert_eq!(results[0].value.points(), &[(0, 10.0), (minute, 10.0)]);
//! ```
//!
//! This crate knows nothing of the metric store, HTTP or wire formats.
//!
//! # Semantics
//!
//! The user guide's "Using metric math" (mid-2023 snapshot) is the reference. Where it is
//! silent or ambiguous this crate chooses as follows:
//!
//! - **Timestamps** are epoch milliseconds. A series is sparse: a missing value is an absent
//!   datapoint, and series combine by timestamp, so different periods or misaligned
//!   timestamps need no grid. FILL, TIME_SERIES and the date functions use the grid given
//!   by [`Context::timestamps`].
//! - **Arithmetic** (`+ - * / ^`) between two series keeps only timestamps where both have a
//!   value (missing on either side gives missing, as CloudWatch does in practice, although
//!   the guide says missing values count as 0). A result that is not a finite number
//!   (division by zero, `LOG(0)`, overflow) is dropped, as the guide says for division by
//!   zero. Series op scalar applies to every datapoint; array op scalar or array op series
//!   to every member; array op array is an error.
//! - **Comparisons and AND/OR** between two series take every timestamp either has, a
//!   missing value counting as 0, and give 1 or 0 (the guide's rule and example). `NOT x`
//!   is 1 where `x` is 0 and 0 elsewhere.
//! - **Precedence**, loosest first: `OR`/`||`; `AND`/`&&`; `NOT`/`!`; `==`, `!=`; `<`, `<=`,
//!   `>`, `>=`; `+`, `-`; `*`, `/`; unary `-`; `^` (as in C, with `^` as power). So
//!   `-2 ^ 2` is -4 and `a > 1 == b > 2` compares two comparisons. `^` is
//!   right-associative, the rest left-associative.
//! - **SUM, AVG, MIN, MAX, STDDEV** of a single series reduce over time to a scalar (the
//!   guide: "The SUM of a single time series returns a scalar"); of an array they give one
//!   series, computed at each timestamp over the members that have a value there (missing
//!   members are ignored, not counted as 0). STDDEV is the population standard deviation.
//!   A reduction over no datapoints has no value (a NaN scalar, which gives no datapoints
//!   when combined with a series). DATAPOINT_COUNT and METRIC_COUNT count.
//! - **DIFF, DIFF_TIME, RATE** compare each datapoint with the previous *present*
//!   datapoint; the first datapoint has no predecessor and is dropped. RATE and DIFF_TIME
//!   are per second. **RUNNING_SUM** sums the datapoints present so far.
//! - **FILL** fills the grid timestamps where a series has no value: with a scalar; with the
//!   same timestamp's value of a filler series (where it has one); with `REPEAT` the most
//!   recent earlier value; with `LINEAR` a straight line between the values either side.
//!   Gaps before the first datapoint (REPEAT, LINEAR) and after the last (LINEAR) stay
//!   missing. A series filler is accepted for single series too.
//! - **METRICS()** is every MetricStat query of the request in request order, expressions
//!   excluded; `METRICS("x")` keeps those whose **id** contains `x` (case-sensitive), as the
//!   guide says.
//! - **IF** follows the guide's tables: where the condition is true the then-value (0 if that
//!   series has no value there), where false the else-value (dropped if missing or
//!   omitted), and dropped where the condition has no value. A scalar condition picks a
//!   whole branch; false with no else gives an empty series.
//! - **SORT** orders members by the chosen statistic, stably; members with no datapoints
//!   sort last either way. **SLICE** always returns an array; indexes are floored and
//!   clamped to the array. **FIRST**/**LAST** of an empty array is an empty series.
//! - **Date functions** (MINUTE, HOUR, DAY, DATE, MONTH, YEAR, EPOCH) are in UTC at every
//!   grid timestamp; DAY is 1 (Monday) to 7 (Sunday).
//! - **Labels**: series from a query keep its label; pointwise functions and operations with
//!   a scalar keep the label; array members keep theirs; anything combining two series
//!   is unlabeled (empty label) and the caller applies the query's Label or default.
//!   [`array_member_label`] composes the console's `"<expression label> <member label>"`.
//! - **Case**: function names, keywords and AND/OR are accepted in any case (the guide asks
//!   for upper case); NOT must start with a capital, since `not` is a valid id.
//! - **Not implemented** (parsed, then refused with [`MathError::UnsupportedFunction`]):
//!   ANOMALY_DETECTION_BAND, DB_PERF_INSIGHTS, INSIGHT_RULE_METRIC, LAMBDA, SEARCH,
//!   SERVICE_QUOTA; Metrics Insights `SELECT` queries give
//!   [`MathError::MetricsInsightsUnsupported`].

#![deny(missing_docs)]
#![deny(clippy::unwrap_used)]

mod ast;
mod context;
mod error;
mod eval;
mod lexer;
pub mod messages;
mod parser;
mod series;
mod value;

pub use ast::{BinaryOp, Expr, FillWith, Function, SortOrder, SortStat, UNSUPPORTED_FUNCTIONS};
pub use context::{Context, MemoryContext, evaluation_order};
pub use error::MathError;
pub use eval::evaluate;
pub use parser::parse;
pub use series::{Labeled, TimeSeries};
pub use value::{Value, array_member_label};

/// The deepest nesting of parentheses, brackets, calls and unary or `^` operators that
/// [`parse`] accepts; deeper input is [`MathError::TooDeep`], which keeps parsing and
/// evaluation within a small stack whatever the input.
pub const MAX_NESTING: usize = 64;

/// The longest expression text [`parse`] accepts, in characters: CloudWatch's limit on
/// `MetricDataQuery.Expression`. Together with [`MAX_NESTING`] it bounds the size of every
/// syntax tree, so evaluating, printing and dropping one never recurses deeply.
pub const MAX_EXPRESSION_CHARS: usize = 2048;
