//! The syntax tree of an expression, and printing it back as text.
//!
//! Printing ([`std::fmt::Display`]) writes canonical text: upper-case function names and
//! keywords, single spaces around binary operators, and parentheses only where precedence
//! needs them. `parse(&expr.to_string())` gives back `expr`.

use std::fmt;

/// A parsed metric math expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number literal (always finite and non-negative; `-5` is [`Expr::Neg`] of 5).
    Number(f64),
    /// A reference to another query by id (`m1`, `errors`).
    Id(String),
    /// `METRICS()` (`None`) or `METRICS("text")`: the MetricStat queries of the request,
    /// all of them or those whose id contains the text.
    Metrics(Option<String>),
    /// `PERIOD(id)`: the period in seconds of the MetricStat query `id`.
    Period(String),
    /// Unary minus.
    Neg(Box<Expr>),
    /// Logical NOT (`NOT x` or `!x`): 1 where `x` is 0, else 0.
    Not(Box<Expr>),
    /// A binary operator.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `[a, b, ...]`: an array of time series; array members are flattened into it.
    Array(Vec<Expr>),
    /// `FILL(series, with)`.
    Fill(Box<Expr>, FillWith),
    /// `SORT(array, stat, order[, limit])`.
    Sort {
        /// The array to sort.
        array: Box<Expr>,
        /// The statistic of each member to sort by.
        by: SortStat,
        /// Ascending or descending.
        order: SortOrder,
        /// How many members to keep, if given.
        limit: Option<Box<Expr>>,
    },
    /// Any other function call.
    Call(Function, Vec<Expr>),
}

/// What FILL puts where a value is missing.
#[derive(Debug, Clone, PartialEq)]
pub enum FillWith {
    /// A scalar, or the same timestamp's value of a series.
    Value(Box<Expr>),
    /// `REPEAT`: the most recent earlier value.
    Repeat,
    /// `LINEAR`: linear interpolation between the values either side of the gap.
    Linear,
}

/// The statistic SORT orders members by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortStat {
    /// `AVG`: the average of the member's datapoints.
    Avg,
    /// `MIN`: the smallest datapoint.
    Min,
    /// `MAX`: the largest datapoint.
    Max,
    /// `SUM`: the sum of the datapoints.
    Sum,
}

/// SORT's direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    /// `ASC`: lowest first.
    Asc,
    /// `DESC`: highest first.
    Desc,
}

/// Binary operators, loosest-binding first: `OR`; `AND`; `== !=`; `< <= > >=`; `+ -`;
/// `* /`; `^`. All are left-associative except `^`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `OR` / `||`.
    Or,
    /// `AND` / `&&`.
    And,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `^` (right-associative).
    Pow,
}

impl BinaryOp {
    /// The operator's canonical spelling.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "OR",
            BinaryOp::And => "AND",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Pow => "^",
        }
    }

    /// Binding strength, as used by the printer (higher binds tighter).
    fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => PREC_OR,
            BinaryOp::And => PREC_AND,
            BinaryOp::Eq | BinaryOp::Ne => PREC_EQ,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => PREC_REL,
            BinaryOp::Add | BinaryOp::Sub => PREC_ADD,
            BinaryOp::Mul | BinaryOp::Div => PREC_MUL,
            BinaryOp::Pow => PREC_POW,
        }
    }
}

const PREC_OR: u8 = 1;
const PREC_AND: u8 = 2;
const PREC_NOT: u8 = 3;
const PREC_EQ: u8 = 4;
const PREC_REL: u8 = 5;
const PREC_ADD: u8 = 6;
const PREC_MUL: u8 = 7;
const PREC_NEG: u8 = 8;
const PREC_POW: u8 = 9;
const PREC_ATOM: u8 = 10;

macro_rules! functions {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $min:literal ..= $max:literal;)*) => {
        /// The functions that take only expressions as arguments (FILL, SORT, METRICS and
        /// PERIOD have their own [`Expr`] variants).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Function {
            $($(#[$doc])* $variant,)*
        }

        impl Function {
            /// Every function of this kind, for iteration in tests and docs.
            pub const ALL: &'static [Function] = &[$(Function::$variant),*];

            /// The function's canonical (upper-case) name.
            pub fn name(self) -> &'static str {
                match self { $(Function::$variant => $name,)* }
            }

            /// The least and most arguments it takes.
            pub fn arity(self) -> (usize, usize) {
                match self { $(Function::$variant => ($min, $max),)* }
            }
        }
    };
}

functions! {
    /// `ABS(x)`: absolute value of every datapoint.
    Abs = "ABS", 1..=1;
    /// `AVG(TS)` → S: mean over time; `AVG(TS[])` → TS: mean across members per timestamp.
    Avg = "AVG", 1..=1;
    /// `CEIL(x)`: smallest integer not below each value.
    Ceil = "CEIL", 1..=1;
    /// `DATAPOINT_COUNT(TS)` → S; `DATAPOINT_COUNT(TS[])` → TS: how many values are present.
    DatapointCount = "DATAPOINT_COUNT", 1..=1;
    /// `DATE(TS)`: day of the month (1-31, UTC) at every grid timestamp.
    Date = "DATE", 1..=1;
    /// `DAY(TS)`: day of the week (1 = Monday ... 7 = Sunday, UTC) at every grid timestamp.
    Day = "DAY", 1..=1;
    /// `DIFF(x)`: each value minus the previous value.
    Diff = "DIFF", 1..=1;
    /// `DIFF_TIME(x)`: seconds since the previous datapoint.
    DiffTime = "DIFF_TIME", 1..=1;
    /// `EPOCH(TS)`: the grid timestamp in seconds since 1970-01-01 UTC.
    Epoch = "EPOCH", 1..=1;
    /// `FIRST(TS[])`: the first member.
    First = "FIRST", 1..=1;
    /// `FLOOR(x)`: largest integer not above each value.
    Floor = "FLOOR", 1..=1;
    /// `HOUR(TS)`: hour of the day (0-23, UTC) at every grid timestamp.
    Hour = "HOUR", 1..=1;
    /// `IF(condition, then[, else])`.
    If = "IF", 2..=3;
    /// `LAST(TS[])`: the last member.
    Last = "LAST", 1..=1;
    /// `LOG(x)`: natural logarithm.
    Log = "LOG", 1..=1;
    /// `LOG10(x)`: base-10 logarithm.
    Log10 = "LOG10", 1..=1;
    /// `MAX(TS)` → S; `MAX(TS[])` → TS.
    Max = "MAX", 1..=1;
    /// `METRIC_COUNT(TS[])` → S: the number of members.
    MetricCount = "METRIC_COUNT", 1..=1;
    /// `MIN(TS)` → S; `MIN(TS[])` → TS.
    Min = "MIN", 1..=1;
    /// `MINUTE(TS)`: minute of the hour (0-59, UTC) at every grid timestamp.
    Minute = "MINUTE", 1..=1;
    /// `MONTH(TS)`: month (1-12, UTC) at every grid timestamp.
    Month = "MONTH", 1..=1;
    /// `RATE(x)`: change per second since the previous datapoint.
    Rate = "RATE", 1..=1;
    /// `REMOVE_EMPTY(TS[])`: the members that have at least one datapoint.
    RemoveEmpty = "REMOVE_EMPTY", 1..=1;
    /// `RUNNING_SUM(x)`: the sum of all values up to and including each datapoint.
    RunningSum = "RUNNING_SUM", 1..=1;
    /// `SLICE(TS[], start[, end])`: members `start..end` (0-based, end exclusive).
    Slice = "SLICE", 2..=3;
    /// `SQRT(x)`: square root.
    Sqrt = "SQRT", 1..=1;
    /// `STDDEV(TS)` → S; `STDDEV(TS[])` → TS: population standard deviation.
    Stddev = "STDDEV", 1..=1;
    /// `SUM(TS)` → S; `SUM(TS[])` → TS.
    Sum = "SUM", 1..=1;
    /// `TIME_SERIES(S)`: the scalar at every grid timestamp.
    TimeSeries = "TIME_SERIES", 1..=1;
    /// `YEAR(TS)`: the year (UTC) at every grid timestamp.
    Year = "YEAR", 1..=1;
}

impl Function {
    /// Looks a function up by name, ignoring case.
    pub fn from_name(name: &str) -> Option<Function> {
        Function::ALL
            .iter()
            .copied()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

/// Documented CloudWatch functions this engine recognises but does not implement; calling
/// one is [`crate::MathError::UnsupportedFunction`] rather than an unknown function.
pub const UNSUPPORTED_FUNCTIONS: &[&str] = &[
    "ANOMALY_DETECTION_BAND",
    "DB_PERF_INSIGHTS",
    "INSIGHT_RULE_METRIC",
    "LAMBDA",
    "SEARCH",
    "SERVICE_QUOTA",
];

impl SortStat {
    /// Parses `AVG`, `MIN`, `MAX` or `SUM`, ignoring case.
    pub(crate) fn from_word(word: &str) -> Option<SortStat> {
        [
            (SortStat::Avg, "AVG"),
            (SortStat::Min, "MIN"),
            (SortStat::Max, "MAX"),
            (SortStat::Sum, "SUM"),
        ]
        .into_iter()
        .find(|(_, w)| w.eq_ignore_ascii_case(word))
        .map(|(s, _)| s)
    }

    fn word(self) -> &'static str {
        match self {
            SortStat::Avg => "AVG",
            SortStat::Min => "MIN",
            SortStat::Max => "MAX",
            SortStat::Sum => "SUM",
        }
    }
}

impl SortOrder {
    /// Parses `ASC` or `DESC`, ignoring case.
    pub(crate) fn from_word(word: &str) -> Option<SortOrder> {
        if word.eq_ignore_ascii_case("ASC") {
            Some(SortOrder::Asc)
        } else if word.eq_ignore_ascii_case("DESC") {
            Some(SortOrder::Desc)
        } else {
            None
        }
    }

    fn word(self) -> &'static str {
        match self {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        }
    }
}

impl Expr {
    /// The ids this expression references directly, each once, in order of first
    /// appearance (`PERIOD(m1)` references `m1`).
    ///
    /// `METRICS()` is not a reference: it reads MetricStat queries, which never depend on
    /// expressions, so it cannot take part in a cycle. Callers use this to order
    /// evaluation and to report unknown ids and cycles (see [`crate::evaluation_order`]).
    pub fn references(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        // An explicit stack: left-leaning operator chains can be long.
        let mut stack: Vec<&Expr> = vec![self];
        while let Some(e) = stack.pop() {
            match e {
                Expr::Id(id) | Expr::Period(id) => {
                    if !out.iter().any(|o| o == id) {
                        out.push(id.clone());
                    }
                }
                Expr::Number(_) | Expr::Metrics(_) => {}
                Expr::Neg(x) | Expr::Not(x) => stack.push(x),
                Expr::Binary(_, l, r) => {
                    stack.push(r);
                    stack.push(l);
                }
                Expr::Array(items) | Expr::Call(_, items) => stack.extend(items.iter().rev()),
                Expr::Fill(x, with) => {
                    if let FillWith::Value(w) = with {
                        stack.push(w);
                    }
                    stack.push(x);
                }
                Expr::Sort { array, limit, .. } => {
                    if let Some(l) = limit {
                        stack.push(l);
                    }
                    stack.push(array);
                }
            }
        }
        out
    }

    fn precedence(&self) -> u8 {
        match self {
            Expr::Binary(op, ..) => op.precedence(),
            Expr::Neg(_) => PREC_NEG,
            Expr::Not(_) => PREC_NOT,
            _ => PREC_ATOM,
        }
    }

    /// Writes `self`, in parentheses if it binds looser than `min`.
    fn write_at(&self, f: &mut fmt::Formatter<'_>, min: u8) -> fmt::Result {
        if self.precedence() < min {
            f.write_str("(")?;
            self.write(f)?;
            f.write_str(")")
        } else {
            self.write(f)
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Debug formatting of f64 is the shortest text that reads back to the same value.
            Expr::Number(n) => write!(f, "{n:?}"),
            Expr::Id(id) => f.write_str(id),
            Expr::Metrics(None) => f.write_str("METRICS()"),
            Expr::Metrics(Some(s)) => {
                f.write_str("METRICS(")?;
                write_string(f, s)?;
                f.write_str(")")
            }
            Expr::Period(id) => write!(f, "PERIOD({id})"),
            Expr::Neg(x) => {
                f.write_str("-")?;
                x.write_at(f, PREC_NEG)
            }
            Expr::Not(x) => {
                f.write_str("NOT ")?;
                x.write_at(f, PREC_NOT)
            }
            Expr::Binary(op, l, r) => {
                let p = op.precedence();
                let (lmin, rmin) = if *op == BinaryOp::Pow {
                    (PREC_ATOM, PREC_NEG)
                } else {
                    (p, p + 1)
                };
                l.write_at(f, lmin)?;
                write!(f, " {} ", op.symbol())?;
                r.write_at(f, rmin)
            }
            Expr::Array(items) => {
                f.write_str("[")?;
                write_list(f, items)?;
                f.write_str("]")
            }
            Expr::Fill(x, with) => {
                f.write_str("FILL(")?;
                x.write(f)?;
                f.write_str(", ")?;
                match with {
                    FillWith::Value(v) => v.write(f)?,
                    FillWith::Repeat => f.write_str("REPEAT")?,
                    FillWith::Linear => f.write_str("LINEAR")?,
                }
                f.write_str(")")
            }
            Expr::Sort {
                array,
                by,
                order,
                limit,
            } => {
                f.write_str("SORT(")?;
                array.write(f)?;
                write!(f, ", {}, {}", by.word(), order.word())?;
                if let Some(l) = limit {
                    f.write_str(", ")?;
                    l.write(f)?;
                }
                f.write_str(")")
            }
            Expr::Call(func, args) => {
                write!(f, "{}(", func.name())?;
                write_list(f, args)?;
                f.write_str(")")
            }
        }
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, items: &[Expr]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        item.write(f)?;
    }
    Ok(())
}

fn write_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        if c == '"' || c == '\\' {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f)
    }
}
