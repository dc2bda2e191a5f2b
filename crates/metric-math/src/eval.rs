//! Evaluating an [`Expr`] against a [`Context`].
//!
//! Semantics where the user guide is silent or ambiguous are documented in the crate docs
//! ("Semantics"); the comments here say how, not again why.

use std::collections::BTreeMap;

use crate::ast::{BinaryOp, Expr, FillWith, Function, SortOrder, SortStat};
use crate::value::{KIND_ARRAY, KIND_SCALAR, KIND_SERIES};
use crate::{Context, Labeled, MathError, TimeSeries, Value};

/// Evaluates a parsed expression.
///
/// Ids are looked up in `ctx`; evaluate the expressions a request's expressions reference
/// first (see [`crate::evaluation_order`]). The result may be a scalar, which is valid
/// inside a larger expression but not as a query's final result: use
/// [`Value::into_results`] to turn a final value into GetMetricData results.
pub fn evaluate(expr: &Expr, ctx: &dyn Context) -> Result<Value, MathError> {
    Evaluator { ctx }.eval(expr)
}

const EXPECT_SERIES_OR_ARRAY: &str = "a time series or an array of time series";
const EXPECT_SCALAR_OR_SERIES: &str = "a scalar or a time series";

struct Evaluator<'c> {
    ctx: &'c dyn Context,
}

/// NaN stands for "no value"; infinities become NaN too.
fn finite_or_nan(x: f64) -> f64 {
    if x.is_finite() { x } else { f64::NAN }
}

fn type_error(
    function: &'static str,
    index: usize,
    expected: &'static str,
    found: &Value,
) -> MathError {
    MathError::ArgumentType {
        function,
        index,
        expected,
        found: found.kind(),
    }
}

/// Applies `f` to every value of a scalar, series or array.
fn pointwise(v: Value, f: impl Fn(f64) -> f64) -> Value {
    match v {
        Value::Scalar(x) => Value::Scalar(finite_or_nan(f(x))),
        Value::Series(s) => Value::Series(s.map(|ts| ts.map(&f))),
        Value::Array(a) => Value::Array(a.into_iter().map(|m| m.map(|ts| ts.map(&f))).collect()),
    }
}

/// Applies a series-to-series function to a series, or to every member of an array.
fn per_series(
    function: &'static str,
    v: Value,
    f: impl Fn(&TimeSeries) -> TimeSeries,
) -> Result<Value, MathError> {
    match v {
        Value::Series(s) => Ok(Value::Series(Labeled::new(s.label, f(&s.value)))),
        Value::Array(a) => Ok(Value::Array(
            a.into_iter()
                .map(|m| Labeled::new(m.label, f(&m.value)))
                .collect(),
        )),
        other => Err(type_error(function, 1, EXPECT_SERIES_OR_ARRAY, &other)),
    }
}

impl Evaluator<'_> {
    fn eval(&self, expr: &Expr) -> Result<Value, MathError> {
        match expr {
            Expr::Number(n) => Ok(Value::Scalar(*n)),
            Expr::Id(id) => self
                .ctx
                .value(id)
                .cloned()
                .ok_or_else(|| MathError::UnknownId { id: id.clone() }),
            Expr::Metrics(filter) => Ok(Value::Array(
                self.ctx
                    .metric_stats()
                    .into_iter()
                    .filter(|(id, _)| filter.as_deref().is_none_or(|f| id.contains(f)))
                    .map(|(_, s)| s.clone())
                    .collect(),
            )),
            Expr::Period(id) => {
                if self.ctx.value(id).is_none() {
                    return Err(MathError::UnknownId { id: id.clone() });
                }
                let period = self
                    .ctx
                    .metric_period(id)
                    .ok_or_else(|| MathError::PeriodNotAMetric { id: id.clone() })?;
                Ok(Value::Scalar(f64::from(period)))
            }
            Expr::Neg(x) => Ok(pointwise(self.eval(x)?, |v| -v)),
            Expr::Not(x) => Ok(pointwise(self.eval(x)?, |v| {
                if v.is_nan() {
                    v
                } else {
                    f64::from(u8::from(v == 0.0))
                }
            })),
            Expr::Binary(..) => self.binary_chain(expr),
            Expr::Array(items) => {
                let mut members = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match self.eval(item)? {
                        Value::Series(s) => members.push(s),
                        Value::Array(a) => members.extend(a),
                        other => {
                            return Err(MathError::ArrayMember {
                                index: i + 1,
                                found: other.kind(),
                            });
                        }
                    }
                }
                Ok(Value::Array(members))
            }
            Expr::Fill(x, with) => self.fill(x, with),
            Expr::Sort {
                array,
                by,
                order,
                limit,
            } => self.sort(array, *by, *order, limit.as_deref()),
            Expr::Call(function, args) => self.call(*function, args),
        }
    }

    /// Evaluates a binary operator, walking a left-leaning chain (`a + b + c + ...`)
    /// iteratively so long chains cannot exhaust the stack.
    fn binary_chain(&self, expr: &Expr) -> Result<Value, MathError> {
        let mut spine = Vec::new();
        let mut leftmost = expr;
        while let Expr::Binary(op, l, r) = leftmost {
            spine.push((*op, r));
            leftmost = l;
        }
        let mut acc = self.eval(leftmost)?;
        for (op, r) in spine.into_iter().rev() {
            let rhs = self.eval(r)?;
            acc = binary(op, acc, rhs)?;
        }
        Ok(acc)
    }

    fn arg(&self, args: &[Expr], index: usize) -> Result<Option<Value>, MathError> {
        args.get(index).map(|a| self.eval(a)).transpose()
    }

    fn first_arg(&self, function: Function, args: &[Expr]) -> Result<Value, MathError> {
        // The parser checked the count; an empty list is only possible for a hand-built Expr.
        self.arg(args, 0)?.ok_or(MathError::ArgumentCount {
            function: function.name(),
            expected: function.arity().0.to_string(),
            found: 0,
            position: 1,
        })
    }

    fn call(&self, function: Function, args: &[Expr]) -> Result<Value, MathError> {
        let name = function.name();
        let (min, max) = function.arity();
        if !(min..=max).contains(&args.len()) {
            let expected = if min == max {
                min.to_string()
            } else {
                format!("{min} to {max}")
            };
            return Err(MathError::ArgumentCount {
                function: name,
                expected,
                found: args.len(),
                position: 1,
            });
        }
        let x = self.first_arg(function, args)?;
        match function {
            Function::Abs => Ok(pointwise(x, f64::abs)),
            Function::Ceil => Ok(pointwise(x, f64::ceil)),
            Function::Floor => Ok(pointwise(x, f64::floor)),
            Function::Log => Ok(pointwise(x, f64::ln)),
            Function::Log10 => Ok(pointwise(x, f64::log10)),
            Function::Sqrt => Ok(pointwise(x, f64::sqrt)),
            Function::Avg => reduce(name, x, avg),
            Function::Max => reduce(name, x, |v| {
                v.iter().copied().reduce(f64::max).unwrap_or(f64::NAN)
            }),
            Function::Min => reduce(name, x, |v| {
                v.iter().copied().reduce(f64::min).unwrap_or(f64::NAN)
            }),
            Function::Sum => reduce(name, x, |v| {
                if v.is_empty() {
                    f64::NAN
                } else {
                    v.iter().sum()
                }
            }),
            Function::Stddev => reduce(name, x, stddev),
            Function::DatapointCount => reduce(name, x, |v| v.len() as f64),
            Function::MetricCount => match x {
                Value::Array(a) => Ok(Value::Scalar(a.len() as f64)),
                other => Err(type_error(name, 1, KIND_ARRAY, &other)),
            },
            Function::Diff => per_series(name, x, |s| consecutive(s, |(_, v0), (_, v1)| v1 - v0)),
            Function::DiffTime => per_series(name, x, |s| {
                consecutive(s, |(t0, _), (t1, _)| seconds(t0, t1))
            }),
            Function::Rate => per_series(name, x, |s| {
                consecutive(s, |(t0, v0), (t1, v1)| (v1 - v0) / seconds(t0, t1))
            }),
            Function::RunningSum => per_series(name, x, |s| {
                let mut total = 0.0;
                TimeSeries::from_sorted(s.points().iter().map(|(t, v)| {
                    total += v;
                    (*t, total)
                }))
            }),
            Function::First | Function::Last => match x {
                Value::Array(a) => {
                    let member = if function == Function::First {
                        a.into_iter().next()
                    } else {
                        a.into_iter().last()
                    };
                    Ok(Value::Series(member.unwrap_or_default()))
                }
                other => Err(type_error(name, 1, KIND_ARRAY, &other)),
            },
            Function::RemoveEmpty => match x {
                Value::Array(a) => Ok(Value::Array(
                    a.into_iter().filter(|m| !m.value.is_empty()).collect(),
                )),
                other => Err(type_error(name, 1, KIND_ARRAY, &other)),
            },
            Function::Slice => self.slice(x, args),
            Function::TimeSeries => match x {
                Value::Scalar(s) => {
                    let grid = self.ctx.timestamps();
                    Ok(Value::Series(Labeled::unlabeled(TimeSeries::from_sorted(
                        grid.iter().map(|t| (*t, s)),
                    ))))
                }
                other => Err(type_error(name, 1, KIND_SCALAR, &other)),
            },
            Function::If => {
                let then = self.arg(args, 1)?.ok_or(MathError::ArgumentCount {
                    function: name,
                    expected: "2 to 3".to_owned(),
                    found: 1,
                    position: 1,
                })?;
                let otherwise = self.arg(args, 2)?;
                if_(x, then, otherwise)
            }
            Function::Minute
            | Function::Hour
            | Function::Day
            | Function::Date
            | Function::Month
            | Function::Year
            | Function::Epoch => match x {
                Value::Series(_) => {
                    let grid = self.ctx.timestamps();
                    let series =
                        TimeSeries::from_sorted(grid.iter().map(|t| (*t, calendar(function, *t))));
                    Ok(Value::Series(Labeled::unlabeled(series)))
                }
                other => Err(type_error(name, 1, KIND_SERIES, &other)),
            },
        }
    }

    fn slice(&self, x: Value, args: &[Expr]) -> Result<Value, MathError> {
        let name = Function::Slice.name();
        let Value::Array(members) = x else {
            return Err(type_error(name, 1, KIND_ARRAY, &x));
        };
        let index = |i: usize| -> Result<Option<usize>, MathError> {
            match self.arg(args, i)? {
                // Saturating: negative and NaN become 0, huge values the end.
                Some(Value::Scalar(s)) => Ok(Some(s.floor() as usize)),
                Some(other) => Err(type_error(name, i + 1, KIND_SCALAR, &other)),
                None => Ok(None),
            }
        };
        let start = index(1)?.unwrap_or(0).min(members.len());
        let end = index(2)?
            .unwrap_or(members.len())
            .clamp(start, members.len());
        Ok(Value::Array(
            members.into_iter().skip(start).take(end - start).collect(),
        ))
    }

    fn fill(&self, x: &Expr, with: &FillWith) -> Result<Value, MathError> {
        let name = "FILL";
        let target = self.eval(x)?;
        let filler = match with {
            FillWith::Value(e) => match self.eval(e)? {
                v @ Value::Array(_) => {
                    return Err(type_error(name, 2, EXPECT_SCALAR_OR_SERIES, &v));
                }
                v => Filler::Value(v),
            },
            FillWith::Repeat => Filler::Repeat,
            FillWith::Linear => Filler::Linear,
        };
        let grid = self.ctx.timestamps();
        per_series(name, target, |s| fill_series(s, &filler, grid))
    }

    fn sort(
        &self,
        array: &Expr,
        by: SortStat,
        order: SortOrder,
        limit: Option<&Expr>,
    ) -> Result<Value, MathError> {
        let name = "SORT";
        let members = match self.eval(array)? {
            Value::Array(a) => a,
            other => return Err(type_error(name, 1, KIND_ARRAY, &other)),
        };
        let limit = match limit.map(|l| self.eval(l)).transpose()? {
            None => usize::MAX,
            Some(Value::Scalar(s)) => s.floor() as usize,
            Some(other) => return Err(type_error(name, 4, KIND_SCALAR, &other)),
        };
        let mut keyed: Vec<(f64, Labeled<TimeSeries>)> = members
            .into_iter()
            .map(|m| {
                let values: Vec<f64> = m.value.values().collect();
                let key = match by {
                    SortStat::Avg => avg(&values),
                    SortStat::Min => values.iter().copied().reduce(f64::min).unwrap_or(f64::NAN),
                    SortStat::Max => values.iter().copied().reduce(f64::max).unwrap_or(f64::NAN),
                    SortStat::Sum => {
                        if values.is_empty() {
                            f64::NAN
                        } else {
                            values.iter().sum()
                        }
                    }
                };
                (key, m)
            })
            .collect();
        // Stable; members without datapoints (NaN key) go last in either order.
        keyed.sort_by(|(a, _), (b, _)| match (a.is_nan(), b.is_nan()) {
            (false, false) if order == SortOrder::Asc => a.total_cmp(b),
            (false, false) => b.total_cmp(a),
            (x, y) => x.cmp(&y),
        });
        Ok(Value::Array(
            keyed.into_iter().take(limit).map(|(_, m)| m).collect(),
        ))
    }
}

/// What FILL puts in the gaps.
enum Filler {
    Value(Value),
    Repeat,
    Linear,
}

/// Fills the grid timestamps where `s` has no datapoint. Datapoints off the grid are kept.
fn fill_series(s: &TimeSeries, filler: &Filler, grid: &[i64]) -> TimeSeries {
    let points = s.points();
    let mut filled = Vec::new();
    for &t in grid {
        let after = points.partition_point(|(pt, _)| *pt < t);
        if points.get(after).is_some_and(|(pt, _)| *pt == t) {
            continue;
        }
        let before = after.checked_sub(1).and_then(|i| points.get(i));
        let value = match filler {
            Filler::Value(Value::Scalar(x)) => Some(*x),
            Filler::Value(Value::Series(f)) => f.value.get(t),
            Filler::Value(Value::Array(_)) => None,
            Filler::Repeat => before.map(|(_, v)| *v),
            Filler::Linear => match (before, points.get(after)) {
                (Some(&(t0, v0)), Some(&(t1, v1))) => {
                    Some(v0 + (v1 - v0) * (span(t0, t) / span(t0, t1)))
                }
                _ => None,
            },
        };
        if let Some(v) = value {
            filled.push((t, v));
        }
    }
    TimeSeries::from_points(points.iter().copied().chain(filled))
}

/// Milliseconds from `from` to `to`, without overflow for any pair of timestamps.
fn span(from: i64, to: i64) -> f64 {
    (i128::from(to) - i128::from(from)) as f64
}

/// Seconds from `from` to `to`.
fn seconds(from: i64, to: i64) -> f64 {
    span(from, to) / 1000.0
}

/// A series with one point per datapoint after the first, from it and its predecessor.
fn consecutive(s: &TimeSeries, f: impl Fn((i64, f64), (i64, f64)) -> f64) -> TimeSeries {
    TimeSeries::from_sorted(s.points().windows(2).filter_map(|w| match w {
        [a, b] => Some((b.0, f(*a, *b))),
        _ => None,
    }))
}

fn avg(values: &[f64]) -> f64 {
    if values.is_empty() {
        f64::NAN
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

/// Population standard deviation.
fn stddev(values: &[f64]) -> f64 {
    let mean = avg(values);
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / values.len() as f64;
    var.sqrt()
}

/// A reduction: over time for a series (giving a scalar), across members at each timestamp
/// for an array (giving a series; a timestamp counts if any member has a datapoint there).
fn reduce(function: &'static str, v: Value, f: impl Fn(&[f64]) -> f64) -> Result<Value, MathError> {
    match v {
        Value::Series(s) => {
            let values: Vec<f64> = s.value.values().collect();
            Ok(Value::Scalar(finite_or_nan(f(&values))))
        }
        Value::Array(members) => {
            let mut at: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
            for m in &members {
                for &(t, v) in m.value.points() {
                    at.entry(t).or_default().push(v);
                }
            }
            let series = TimeSeries::from_sorted(at.into_iter().map(|(t, vs)| (t, f(&vs))));
            Ok(Value::Series(Labeled::unlabeled(series)))
        }
        other => Err(type_error(function, 1, EXPECT_SERIES_OR_ARRAY, &other)),
    }
}

fn truth(x: bool) -> f64 {
    f64::from(u8::from(x))
}

fn boolean(a: f64, b: f64, f: impl Fn(f64, f64) -> bool) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        truth(f(a, b))
    }
}

/// Applies a binary operator to two values.
fn binary(op: BinaryOp, a: Value, b: Value) -> Result<Value, MathError> {
    let f: fn(f64, f64) -> f64 = match op {
        BinaryOp::Add => |a, b| a + b,
        BinaryOp::Sub => |a, b| a - b,
        BinaryOp::Mul => |a, b| a * b,
        BinaryOp::Div => |a, b| a / b,
        BinaryOp::Pow => f64::powf,
        BinaryOp::Eq => |a, b| boolean(a, b, |a, b| a == b),
        BinaryOp::Ne => |a, b| boolean(a, b, |a, b| a != b),
        BinaryOp::Lt => |a, b| boolean(a, b, |a, b| a < b),
        BinaryOp::Le => |a, b| boolean(a, b, |a, b| a <= b),
        BinaryOp::Gt => |a, b| boolean(a, b, |a, b| a > b),
        BinaryOp::Ge => |a, b| boolean(a, b, |a, b| a >= b),
        BinaryOp::And => |a, b| boolean(a, b, |a, b| a != 0.0 && b != 0.0),
        BinaryOp::Or => |a, b| boolean(a, b, |a, b| a != 0.0 || b != 0.0),
    };
    // Arithmetic keeps only timestamps both series have; comparisons and logic take every
    // timestamp either has, a missing value counting as 0 (user guide).
    let arithmetic = matches!(
        op,
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Pow
    );
    let both = |x: &TimeSeries, y: &TimeSeries| {
        if arithmetic {
            x.zip_both(y, f)
        } else {
            x.zip_either(y, 0.0, f)
        }
    };
    Ok(match (a, b) {
        (Value::Scalar(x), Value::Scalar(y)) => Value::Scalar(finite_or_nan(f(x, y))),
        (Value::Series(s), Value::Scalar(y)) => Value::Series(s.map(|ts| ts.map(|x| f(x, y)))),
        (Value::Scalar(x), Value::Series(s)) => Value::Series(s.map(|ts| ts.map(|y| f(x, y)))),
        (Value::Series(s), Value::Series(t)) => {
            Value::Series(Labeled::unlabeled(both(&s.value, &t.value)))
        }
        (Value::Array(a), Value::Scalar(y)) => Value::Array(
            a.into_iter()
                .map(|m| m.map(|ts| ts.map(|x| f(x, y))))
                .collect(),
        ),
        (Value::Scalar(x), Value::Array(a)) => Value::Array(
            a.into_iter()
                .map(|m| m.map(|ts| ts.map(|y| f(x, y))))
                .collect(),
        ),
        (Value::Array(a), Value::Series(t)) => Value::Array(
            a.into_iter()
                .map(|m| m.map(|ts| both(&ts, &t.value)))
                .collect(),
        ),
        (Value::Series(s), Value::Array(a)) => Value::Array(
            a.into_iter()
                .map(|m| m.map(|ts| both(&s.value, &ts)))
                .collect(),
        ),
        (a @ Value::Array(_), b @ Value::Array(_)) => {
            return Err(MathError::OperandType {
                operator: op.symbol(),
                lhs: a.kind(),
                rhs: b.kind(),
            });
        }
    })
}

/// `IF(condition, then[, else])` (user guide, "Using IF expressions").
fn if_(condition: Value, then: Value, otherwise: Option<Value>) -> Result<Value, MathError> {
    let name = Function::If.name();
    match condition {
        Value::Scalar(c) => {
            if c != 0.0 && !c.is_nan() {
                return Ok(then);
            }
            match (otherwise, c.is_nan()) {
                (Some(o), false) => Ok(o),
                // No else branch (or no condition value): nothing of the then-branch's kind.
                _ => Ok(match then {
                    Value::Scalar(_) => Value::Scalar(f64::NAN),
                    Value::Series(_) => Value::Series(Labeled::default()),
                    Value::Array(_) => Value::Array(Vec::new()),
                }),
            }
        }
        Value::Series(c) => {
            if let Value::Array(_) = then {
                return Err(type_error(name, 2, EXPECT_SCALAR_OR_SERIES, &then));
            }
            if let Some(o @ Value::Array(_)) = &otherwise {
                return Err(type_error(name, 3, EXPECT_SCALAR_OR_SERIES, o));
            }
            let points = c.value.points().iter().filter_map(|&(t, cv)| {
                let v = if cv != 0.0 {
                    match &then {
                        Value::Scalar(x) => Some(*x),
                        // True but no then-value: 0 (user guide).
                        Value::Series(s) => Some(s.value.get(t).unwrap_or(0.0)),
                        Value::Array(_) => None,
                    }
                } else {
                    match &otherwise {
                        Some(Value::Scalar(x)) => Some(*x),
                        Some(Value::Series(s)) => s.value.get(t),
                        _ => None,
                    }
                };
                v.map(|v| (t, v))
            });
            Ok(Value::Series(Labeled::unlabeled(TimeSeries::from_sorted(
                points,
            ))))
        }
        other => Err(type_error(name, 1, EXPECT_SCALAR_OR_SERIES, &other)),
    }
}

/// The calendar value of a date function at `ms` (epoch milliseconds, UTC).
fn calendar(function: Function, ms: i64) -> f64 {
    const DAY_MS: i64 = 86_400_000;
    let days = ms.div_euclid(DAY_MS);
    let ms_of_day = ms.rem_euclid(DAY_MS);
    let (year, month, date) = civil_from_days(days);
    match function {
        Function::Minute => (ms_of_day / 60_000 % 60) as f64,
        Function::Hour => (ms_of_day / 3_600_000) as f64,
        // 1970-01-01 was a Thursday (4 with Monday = 1).
        Function::Day => ((days + 3).rem_euclid(7) + 1) as f64,
        Function::Date => date as f64,
        Function::Month => month as f64,
        Function::Year => year as f64,
        Function::Epoch => ms.div_euclid(1000) as f64,
        _ => f64::NAN,
    }
}

/// The proleptic Gregorian (year, month 1-12, day 1-31) of a count of days since
/// 1970-01-01, by counting 400-year eras of 146,097 days from 0000-03-01 (so leap days
/// fall at the end of each counted year).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097); // 0..=146_096
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // 0..=365, from March 1
    let shifted_month = (5 * day_of_year + 2) / 153; // 0 = March ... 11 = February
    let date = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        // 2000-02-29 (leap day of a century divisible by 400) and 2024-03-01.
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_783), (2024, 3, 1));
        assert_eq!(civil_from_days(-719_468), (0, 3, 1));
    }

    #[test]
    fn weekdays() {
        // 2024-03-01 was a Friday.
        assert_eq!(calendar(Function::Day, 19_783 * 86_400_000), 5.0);
        assert_eq!(calendar(Function::Day, 0), 4.0);
        assert_eq!(calendar(Function::Day, -86_400_000), 3.0);
    }
}
