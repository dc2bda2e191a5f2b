//! Every fixed piece of text in this crate's error messages, in one place.
//!
//! CloudWatch's exact wording for an invalid metric math expression was never captured
//! (the research notes mark it unconfirmed), so these are written to be clear rather than
//! copied. Change them here and [`crate::MathError`]'s messages follow; tests that check
//! messages build their expectations from these constants too.
//!
//! A message is `<prefix><details>`, where the details (positions, names, counts) come
//! from the error's fields.

/// Starts a syntax error; followed by the 1-based character position and what is wrong,
/// e.g. `Syntax error in expression at position 4: unexpected ')'.`
pub const SYNTAX_ERROR: &str = "Syntax error in expression at position";

/// Starts the error for a name that is not a metric math function, e.g.
/// `Unknown function FOO at position 1.`
pub const UNKNOWN_FUNCTION: &str = "Unknown function";

/// Starts the error for a documented CloudWatch function this engine does not implement,
/// e.g. `The function SEARCH is not supported by this server.`
pub const UNSUPPORTED_FUNCTION: &str = "The function";

/// Ends the error for [`UNSUPPORTED_FUNCTION`].
pub const UNSUPPORTED_FUNCTION_END: &str = "is not supported by this server.";

/// Error for a Metrics Insights query (`SELECT ...`) given as an expression.
pub const METRICS_INSIGHTS_UNSUPPORTED: &str =
    "Metrics Insights queries (SELECT ...) are not supported by this server.";

/// Starts the error for a call with too few or too many arguments, e.g.
/// `Invalid number of arguments for function SORT at position 1: expected 3 to 4, got 2.`
pub const ARGUMENT_COUNT: &str = "Invalid number of arguments for function";

/// Starts the error for an argument of the wrong type, e.g.
/// `Invalid argument 1 of function FIRST: expected an array of time series, got a time series.`
pub const ARGUMENT_TYPE: &str = "Invalid argument";

/// Starts the error for an array member that is not a series, e.g.
/// `Invalid member 2 of array: expected a time series or an array of time series, got a scalar.`
pub const ARRAY_MEMBER: &str = "Invalid member";

/// Starts the error for an operator applied to operands it does not accept, e.g.
/// `Invalid operands for operator +: an array of time series and an array of time series.`
pub const OPERAND_TYPE: &str = "Invalid operands for operator";

/// Starts the error for a reference to an id that no query of the request has, e.g.
/// `Unknown metric or expression id: m9.`
pub const UNKNOWN_ID: &str = "Unknown metric or expression id:";

/// Starts the error for expressions that reference each other in a loop, e.g.
/// `Circular reference: expression e1 depends on itself.`
pub const CIRCULAR_REFERENCE: &str = "Circular reference: expression";

/// Ends the error for [`CIRCULAR_REFERENCE`].
pub const CIRCULAR_REFERENCE_END: &str = "depends on itself.";

/// Error for PERIOD given something other than the id of a MetricStat query.
pub const PERIOD_NOT_A_METRIC: &str =
    "PERIOD accepts only the id of a metric, not the result of another expression:";

/// Error for an expression whose final value is a single number (the user guide: "The final
/// result of any math expression must be a single time series or an array of time series").
pub const SCALAR_RESULT: &str = "The final result of a math expression must be a single time series or an array of time series, not a scalar.";

/// Starts the error for an expression nested deeper than [`crate::MAX_NESTING`] levels.
pub const TOO_DEEP: &str = "Expression is nested too deeply; the limit is";

/// Starts the error for expression text longer than [`crate::MAX_EXPRESSION_CHARS`]
/// characters (the API's own length check normally rejects it first).
pub const TOO_LONG: &str = "Expression is too long; the limit is";
