//! Property tests: printing round-trips, arbitrary input never panics, algebraic laws.

use metric_math::{
    BinaryOp, Expr, FillWith, Function, Labeled, MAX_EXPRESSION_CHARS, MemoryContext, SortOrder,
    SortStat, TimeSeries, Value, evaluate, parse,
};
use proptest::prelude::*;
use proptest::sample::select;

use super::MIN;

const BINARY_OPS: &[BinaryOp] = &[
    BinaryOp::Or,
    BinaryOp::And,
    BinaryOp::Eq,
    BinaryOp::Ne,
    BinaryOp::Lt,
    BinaryOp::Le,
    BinaryOp::Gt,
    BinaryOp::Ge,
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Div,
    BinaryOp::Pow,
];

/// Ids that are not keywords in any position.
const IDS: &[&str] = &["m1", "m2", "e1", "errors", "x_Y9", "and", "not", "sum"];

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u32..1000).prop_map(f64::from),
        0.0f64..1e6,
        any::<f64>()
            .prop_map(f64::abs)
            .prop_filter("finite", |x| x.is_finite()),
    ]
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        number().prop_map(Expr::Number),
        select(IDS).prop_map(|s| Expr::Id(s.to_owned())),
        proptest::option::of("[a-z5 \"'\\\\é]{0,4}").prop_map(Expr::Metrics),
        select(&["m1", "m2"][..]).prop_map(|s| Expr::Period(s.to_owned())),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(5, 48, 4, |inner| {
        let fill_with = prop_oneof![
            inner.clone().prop_map(|e| FillWith::Value(Box::new(e))),
            Just(FillWith::Repeat),
            Just(FillWith::Linear),
        ];
        let stat = select(&[SortStat::Avg, SortStat::Min, SortStat::Max, SortStat::Sum][..]);
        let order = select(&[SortOrder::Asc, SortOrder::Desc][..]);
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Neg(Box::new(e))),
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            (select(BINARY_OPS), inner.clone(), inner.clone()).prop_map(|(op, l, r)| Expr::Binary(
                op,
                Box::new(l),
                Box::new(r)
            )),
            proptest::collection::vec(inner.clone(), 1..4).prop_map(Expr::Array),
            (inner.clone(), fill_with).prop_map(|(e, w)| Expr::Fill(Box::new(e), w)),
            (
                inner.clone(),
                stat,
                order,
                proptest::option::of(inner.clone())
            )
                .prop_map(|(a, by, order, limit)| {
                    Expr::Sort {
                        array: Box::new(a),
                        by,
                        order,
                        limit: limit.map(Box::new),
                    }
                }),
            (
                select(Function::ALL),
                proptest::collection::vec(inner, 3),
                0usize..3
            )
                .prop_map(|(f, mut args, extra)| {
                    let (min, max) = f.arity();
                    args.truncate((min + extra).min(max));
                    Expr::Call(f, args)
                }),
        ]
    })
}

/// Words and symbols of the language, to build token soups that get past the lexer.
const TOKENS: &[&str] = &[
    "m1",
    "m2",
    "e1",
    "arr",
    "nope",
    "(",
    ")",
    "[",
    "]",
    ",",
    "+",
    "-",
    "*",
    "/",
    "^",
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "!=",
    "AND",
    "or",
    "NOT",
    "!",
    "&&",
    "||",
    "SUM",
    "avg",
    "MIN",
    "MAX",
    "STDDEV",
    "FILL",
    "REPEAT",
    "linear",
    "SORT",
    "ASC",
    "DESC",
    "METRICS",
    "\"m\"",
    "'e'",
    "IF",
    "0",
    "1",
    "2.5",
    "1e3",
    "PERIOD",
    "TIME_SERIES",
    "SLICE",
    "DIFF",
    "DIFF_TIME",
    "RATE",
    "RUNNING_SUM",
    "FIRST",
    "LAST",
    "REMOVE_EMPTY",
    "LOG",
    "SQRT",
    "DAY",
    "EPOCH",
    "METRIC_COUNT",
    "DATAPOINT_COUNT",
    "ABS",
    "CEIL",
    "FLOOR",
    "LOG10",
    "HOUR",
    "SEARCH",
    "FOO",
];

fn token_soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(select(TOKENS), 0..40).prop_map(|t| t.join(" "))
}

/// Parses `text`; when it parses, evaluates it (which must not panic either) and checks
/// that printing reads back to the same tree.
fn check_total(text: &str) -> Result<(), TestCaseError> {
    let Ok(e) = parse(text) else { return Ok(()) };
    let mut ctx = MemoryContext::new(super::grid(6));
    ctx.add_metric(
        "m1",
        Labeled::new("M1", super::series(&[1.0, f64::NAN, -3.0, 0.0, 5.5, 2.0])),
        60,
    );
    ctx.add_metric(
        "m2",
        Labeled::new(
            "M2",
            TimeSeries::from_points([(30_000, 2.0), (i64::MAX, 1.0)]),
        ),
        60,
    );
    ctx.add_metric(
        "e1",
        Labeled::new("E1", TimeSeries::from_points([(i64::MIN, 1.0), (0, 0.0)])),
        1,
    );
    let arr = Value::Array(vec![
        Labeled::new("A", super::series(&[1.0, 2.0])),
        Labeled::default(),
    ]);
    ctx.set("arr", arr);
    let _ = evaluate(&e, &ctx);
    let printed = e.to_string();
    if printed.chars().count() <= MAX_EXPRESSION_CHARS {
        prop_assert_eq!(parse(&printed), Ok(e), "printed as {}", printed);
    }
    Ok(())
}

/// A sparse series on a 20-minute grid.
fn sparse_series() -> impl Strategy<Value = TimeSeries> {
    proptest::collection::vec(proptest::option::of(-1e6f64..1e6), 0..20).prop_map(|values| {
        TimeSeries::from_points(
            values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (i as i64 * MIN, v))),
        )
    })
}

fn two_metrics(a: &TimeSeries, b: &TimeSeries) -> MemoryContext {
    let mut ctx = MemoryContext::new(super::grid(20));
    ctx.add_metric("a", Labeled::new("A", a.clone()), 60);
    ctx.add_metric("b", Labeled::new("B", b.clone()), 60);
    ctx
}

fn series_of(ctx: &MemoryContext, text: &str) -> TimeSeries {
    match parse(text).and_then(|e| evaluate(&e, ctx)) {
        Ok(Value::Series(s)) => s.value,
        other => panic!("{text}: {other:?}"),
    }
}

fn close(x: f64, y: f64) -> bool {
    (x - y).abs() <= 1e-6 * x.abs().max(y.abs()).max(1.0)
}

proptest! {
    #[test]
    fn printing_round_trips(e in expr()) {
        let printed = e.to_string();
        prop_assume!(printed.chars().count() <= MAX_EXPRESSION_CHARS);
        prop_assert_eq!(parse(&printed), Ok(e), "printed as {}", printed);
    }

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        check_total(&text)?;
    }

    #[test]
    fn arbitrary_printable_text_never_panics(text in "[ -~]{0,80}") {
        check_total(&text)?;
    }

    #[test]
    fn token_soups_never_panic(text in token_soup()) {
        check_total(&text)?;
    }

    #[test]
    fn generated_expressions_evaluate_without_panicking(e in expr()) {
        check_total(&e.to_string())?;
    }

    #[test]
    fn adding_then_subtracting_gives_back_a_where_b_is_defined(a in sparse_series(), b in sparse_series()) {
        let ctx = two_metrics(&a, &b);
        let r = series_of(&ctx, "a + b - b");
        let expected: Vec<(i64, f64)> = a.points().iter().copied().filter(|(t, _)| b.get(*t).is_some()).collect();
        prop_assert_eq!(r.timestamps().collect::<Vec<_>>(), expected.iter().map(|(t, _)| *t).collect::<Vec<_>>());
        for ((_, got), (_, want)) in r.points().iter().zip(&expected) {
            prop_assert!(close(*got, *want), "{} vs {}", got, want);
        }
    }

    #[test]
    fn identities_hold_exactly(a in sparse_series(), b in sparse_series()) {
        let ctx = two_metrics(&a, &b);
        for text in ["a * 1", "-(-a)", "a / 1", "a ^ 1", "SUM([a])", "AVG([a, a])", "MAX([a, a])", "FILL(a, REPEAT) * 0 + a", "IF(1, a)"] {
            prop_assert_eq!(&series_of(&ctx, text), &a, "{}", text);
        }
    }

    #[test]
    fn comparisons_partition_the_union(a in sparse_series(), b in sparse_series()) {
        let ctx = two_metrics(&a, &b);
        let sum = series_of(&ctx, "(a < b) + (a >= b)");
        let union: std::collections::BTreeSet<i64> = a.timestamps().chain(b.timestamps()).collect();
        prop_assert_eq!(sum.timestamps().collect::<Vec<_>>(), union.into_iter().collect::<Vec<_>>());
        prop_assert!(sum.values().all(|v| v == 1.0));
    }

    #[test]
    fn fill_covers_the_grid_and_keeps_existing_points(a in sparse_series(), fill in -10.0f64..10.0) {
        let ctx = two_metrics(&a, &TimeSeries::empty());
        let filled = series_of(&ctx, &format!("FILL(a, {})", fill.abs()));
        prop_assert_eq!(filled.len(), 20);
        for (t, v) in a.points() {
            prop_assert_eq!(filled.get(*t), Some(*v));
        }
        let linear = series_of(&ctx, "FILL(a, LINEAR)");
        let repeat = series_of(&ctx, "FILL(a, REPEAT)");
        for (t, v) in a.points() {
            prop_assert_eq!(linear.get(*t), Some(*v));
            prop_assert_eq!(repeat.get(*t), Some(*v));
        }
    }

    #[test]
    fn running_sum_ends_at_the_sum(a in sparse_series()) {
        let ctx = two_metrics(&a, &TimeSeries::empty());
        let running = series_of(&ctx, "RUNNING_SUM(a)");
        prop_assert_eq!(running.len(), a.len());
        match (running.values().last(), parse("SUM(a)").and_then(|e| evaluate(&e, &ctx))) {
            (Some(last), Ok(Value::Scalar(sum))) => prop_assert!(close(last, sum)),
            (None, Ok(Value::Scalar(sum))) => prop_assert!(sum.is_nan()),
            other => prop_assert!(false, "{:?}", other),
        }
        // DIFF undoes RUNNING_SUM after the first point.
        let diffs = series_of(&ctx, "DIFF(RUNNING_SUM(a))");
        for ((_, d), (_, v)) in diffs.points().iter().zip(a.points().iter().skip(1)) {
            prop_assert!(close(*d, *v));
        }
    }

    #[test]
    fn sort_orders_by_the_statistic(members in proptest::collection::vec(sparse_series(), 0..6), desc in any::<bool>()) {
        let mut ctx = MemoryContext::new(super::grid(20));
        for (i, m) in members.iter().enumerate() {
            ctx.add_metric(format!("m{i}"), Labeled::new(format!("M{i}"), m.clone()), 60);
        }
        let order = if desc { "DESC" } else { "ASC" };
        let sorted = match parse(&format!("SORT(METRICS(), SUM, {order})")).and_then(|e| evaluate(&e, &ctx)) {
            Ok(Value::Array(a)) => a,
            other => panic!("{other:?}"),
        };
        prop_assert_eq!(sorted.len(), members.len());
        let sums: Vec<Option<f64>> = sorted
            .iter()
            .map(|m| (!m.value.is_empty()).then(|| m.value.values().sum()))
            .collect();
        let present: Vec<f64> = sums.iter().flatten().copied().collect();
        // Members with data first, then the empty ones.
        prop_assert!(sums.iter().skip_while(|s| s.is_some()).all(Option::is_none));
        let ordered = present.windows(2).all(|w| if desc { w[0] >= w[1] } else { w[0] <= w[1] });
        prop_assert!(ordered, "{:?}", present);
    }
}
