//! The one error type of this crate.

use crate::messages as msg;

/// Why an expression could not be parsed or evaluated.
///
/// Every variant is a caller mistake (CloudWatch answers an invalid expression with HTTP 400).
/// Positions are 1-based character positions in the expression text. The fixed parts of the
/// messages live in [`crate::messages`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MathError {
    /// The text is not a well-formed expression.
    #[error("{prefix} {position}: {detail}.", prefix = msg::SYNTAX_ERROR)]
    Syntax {
        /// Where the problem was found (1-based character position; one past the end for
        /// an expression that ends too early).
        position: usize,
        /// What is wrong, e.g. `unexpected ')'`.
        detail: String,
    },
    /// A call to a name that is not a metric math function.
    #[error("{prefix} {name} at position {position}.", prefix = msg::UNKNOWN_FUNCTION)]
    UnknownFunction {
        /// The name as written.
        name: String,
        /// Where the name starts.
        position: usize,
    },
    /// A documented CloudWatch function that this engine does not implement (SEARCH,
    /// ANOMALY_DETECTION_BAND, ...).
    #[error("{prefix} {name} {end}", prefix = msg::UNSUPPORTED_FUNCTION, end = msg::UNSUPPORTED_FUNCTION_END)]
    UnsupportedFunction {
        /// The function's canonical (upper-case) name.
        name: String,
    },
    /// A Metrics Insights query (`SELECT ...`) where a math expression was expected.
    #[error("{}", msg::METRICS_INSIGHTS_UNSUPPORTED)]
    MetricsInsightsUnsupported,
    /// A function called with too few or too many arguments.
    #[error("{prefix} {function} at position {position}: expected {expected}, got {found}.", prefix = msg::ARGUMENT_COUNT)]
    ArgumentCount {
        /// The function's canonical name.
        function: &'static str,
        /// How many it takes, e.g. `1` or `2 to 3`.
        expected: String,
        /// How many were given.
        found: usize,
        /// Where the call starts.
        position: usize,
    },
    /// An argument of the wrong kind, found while evaluating (types are only known then).
    #[error("{prefix} {index} of function {function}: expected {expected}, got {found}.", prefix = msg::ARGUMENT_TYPE)]
    ArgumentType {
        /// The function's canonical name.
        function: &'static str,
        /// Which argument, 1-based.
        index: usize,
        /// What the function accepts there, e.g. `an array of time series`.
        expected: &'static str,
        /// What it got, e.g. `a scalar`.
        found: &'static str,
    },
    /// A member of `[...]` that is neither a time series nor an array of them.
    #[error("{prefix} {index} of array: expected a time series or an array of time series, got {found}.", prefix = msg::ARRAY_MEMBER)]
    ArrayMember {
        /// Which member, 1-based.
        index: usize,
        /// What it is, e.g. `a scalar`.
        found: &'static str,
    },
    /// An operator applied to a combination of operands it does not accept.
    #[error("{prefix} {operator}: {lhs} and {rhs}.", prefix = msg::OPERAND_TYPE)]
    OperandType {
        /// The operator as written in canonical form, e.g. `+` or `AND`.
        operator: &'static str,
        /// The kind of the left operand.
        lhs: &'static str,
        /// The kind of the right operand.
        rhs: &'static str,
    },
    /// PERIOD applied to the id of an expression (or an id the context has no period for).
    #[error("{prefix} {id}.", prefix = msg::PERIOD_NOT_A_METRIC)]
    PeriodNotAMetric {
        /// The id given to PERIOD.
        id: String,
    },
    /// A reference to an id that is neither a MetricStat query nor an evaluated expression.
    #[error("{prefix} {id}.", prefix = msg::UNKNOWN_ID)]
    UnknownId {
        /// The id as written.
        id: String,
    },
    /// An expression that (directly or through others) references itself.
    #[error("{prefix} {id} {end}", prefix = msg::CIRCULAR_REFERENCE, end = msg::CIRCULAR_REFERENCE_END)]
    CircularReference {
        /// An expression on the loop.
        id: String,
    },
    /// The expression's final value is a scalar, which CloudWatch does not accept as a result.
    #[error("{}", msg::SCALAR_RESULT)]
    ScalarResult,
    /// Expression text longer than [`crate::MAX_EXPRESSION_CHARS`] characters.
    #[error("{prefix} {max} characters, got {length}.", prefix = msg::TOO_LONG, max = crate::MAX_EXPRESSION_CHARS)]
    TooLong {
        /// The length of the text, in characters.
        length: usize,
    },
    /// Parentheses, brackets, calls or unary operators nested deeper than
    /// [`crate::MAX_NESTING`] levels.
    #[error("{prefix} {max} levels (at position {position}).", prefix = msg::TOO_DEEP, max = crate::MAX_NESTING)]
    TooDeep {
        /// Where the limit was crossed.
        position: usize,
    },
}

impl MathError {
    /// The 1-based character position the error points at, for errors found while parsing.
    pub fn position(&self) -> Option<usize> {
        match self {
            MathError::Syntax { position, .. }
            | MathError::UnknownFunction { position, .. }
            | MathError::ArgumentCount { position, .. }
            | MathError::TooDeep { position } => Some(*position),
            _ => None,
        }
    }
}
