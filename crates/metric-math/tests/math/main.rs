//! Tests of the metric math engine: parsing, every function, property tests.
//!
//! The harness: series live on a one-minute grid starting at 0 and are written as value
//! slices where `N` (NaN) marks a missing datapoint.

mod eval;
mod parse;
mod props;

use metric_math::{Labeled, MemoryContext, TimeSeries, Value, evaluate, parse};

/// One minute in milliseconds: the grid step.
pub const MIN: i64 = 60_000;
/// A missing value in the slices below.
pub const N: f64 = f64::NAN;

/// The grid timestamps `0, MIN, 2*MIN, ...` (`n` of them).
pub fn grid(n: usize) -> Vec<i64> {
    (0..n as i64).map(|i| i * MIN).collect()
}

/// A series on the grid; NaN entries are missing.
pub fn series(values: &[f64]) -> TimeSeries {
    TimeSeries::from_points(values.iter().enumerate().map(|(i, v)| (i as i64 * MIN, *v)))
}

/// A context with an `n`-point grid and MetricStat queries `(id, label, values)` at a
/// 60-second period, in the order given.
pub fn context(n: usize, metrics: &[(&str, &str, &[f64])]) -> MemoryContext {
    let mut ctx = MemoryContext::new(grid(n));
    for (id, label, values) in metrics {
        ctx.add_metric(*id, Labeled::new(*label, series(values)), 60);
    }
    ctx
}

/// Parses and evaluates, panicking with the error on failure.
pub fn eval(ctx: &MemoryContext, text: &str) -> Value {
    let expr = parse(text).unwrap_or_else(|e| panic!("parse {text:?}: {e}"));
    evaluate(&expr, ctx).unwrap_or_else(|e| panic!("evaluate {text:?}: {e}"))
}

/// Parses and evaluates, returning the error text.
pub fn eval_err(ctx: &MemoryContext, text: &str) -> metric_math::MathError {
    match parse(text).and_then(|e| evaluate(&e, ctx)) {
        Ok(v) => panic!("{text:?} evaluated to {v:?}, expected an error"),
        Err(e) => e,
    }
}

/// The values of `s` on an `n`-point grid, NaN where missing.
pub fn on_grid(s: &TimeSeries, n: usize) -> Vec<f64> {
    s.to_aligned(&grid(n))
        .into_iter()
        .map(|v| v.unwrap_or(N))
        .collect()
}

/// Asserts two value slices are equal, NaN matching NaN, numbers within 1e-9 relative.
#[track_caller]
pub fn assert_values(actual: &[f64], expected: &[f64]) {
    let same = actual.len() == expected.len()
        && actual
            .iter()
            .zip(expected)
            .all(|(a, e)| (a.is_nan() && e.is_nan()) || (a - e).abs() <= 1e-9 * e.abs().max(1.0));
    assert!(same, "got {actual:?}, expected {expected:?}");
}

/// Asserts `text` evaluates to one series with the `expected` values on an `n`-point grid.
#[track_caller]
pub fn assert_series(ctx: &MemoryContext, text: &str, expected: &[f64]) {
    match eval(ctx, text) {
        Value::Series(s) => assert_values(&on_grid(&s.value, expected.len()), expected),
        other => panic!("{text:?} gave {other:?}, expected a series"),
    }
}

/// Asserts `text` evaluates to a scalar equal to `expected` (NaN matching NaN).
#[track_caller]
pub fn assert_scalar(ctx: &MemoryContext, text: &str, expected: f64) {
    match eval(ctx, text) {
        Value::Scalar(x) => assert_values(&[x], &[expected]),
        other => panic!("{text:?} gave {other:?}, expected a scalar"),
    }
}

/// Asserts `text` evaluates to an array whose members have `expected` labels and values.
#[track_caller]
pub fn assert_array(ctx: &MemoryContext, text: &str, expected: &[(&str, &[f64])]) {
    match eval(ctx, text) {
        Value::Array(members) => {
            let labels: Vec<&str> = members.iter().map(|m| m.label.as_str()).collect();
            let wanted: Vec<&str> = expected.iter().map(|(l, _)| *l).collect();
            assert_eq!(labels, wanted, "labels of {text:?}");
            for (m, (_, values)) in members.iter().zip(expected) {
                assert_values(&on_grid(&m.value, values.len()), values);
            }
        }
        other => panic!("{text:?} gave {other:?}, expected an array"),
    }
}
