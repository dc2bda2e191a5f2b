//! Evaluation: operators and every function on small hand-computed series.

use metric_math::{
    Labeled, MathError, MemoryContext, TimeSeries, Value, array_member_label, evaluate, messages,
    parse,
};

use super::{
    MIN, N, assert_array, assert_scalar, assert_series, assert_values, context, eval, eval_err,
    on_grid,
};

#[test]
fn arithmetic_between_series_keeps_common_timestamps() {
    let ctx = context(
        5,
        &[
            ("m1", "M1", &[1.0, 2.0, N, 4.0, 5.0]),
            ("m2", "M2", &[10.0, N, 30.0, 40.0, N]),
        ],
    );
    assert_series(&ctx, "m1 + m2", &[11.0, N, N, 44.0, N]);
    assert_series(&ctx, "m2 - m1", &[9.0, N, N, 36.0, N]);
    assert_series(&ctx, "m1 * m2", &[10.0, N, N, 160.0, N]);
    assert_series(&ctx, "m2 / m1", &[10.0, N, N, 10.0, N]);
    assert_series(&ctx, "m1 ^ 2", &[1.0, 4.0, N, 16.0, 25.0]);
    assert_series(&ctx, "2 ^ m1", &[2.0, 4.0, N, 16.0, 32.0]);
    assert_series(&ctx, "-m1", &[-1.0, -2.0, N, -4.0, -5.0]);
    assert_series(&ctx, "100 - m1 * 2", &[98.0, 96.0, N, 92.0, 90.0]);
}

#[test]
fn division_by_zero_drops_the_datapoint() {
    let ctx = context(
        4,
        &[
            ("m1", "M1", &[1.0, 0.0, 3.0, 4.0]),
            ("m2", "M2", &[0.0, 0.0, 2.0, N]),
        ],
    );
    assert_series(&ctx, "m1 / m2", &[N, N, 1.5, N]);
    assert_series(&ctx, "m1 / 0", &[N, N, N, N]);
    assert_series(&ctx, "m1 / (m1 - 1)", &[N, 0.0, 1.5, 4.0 / 3.0]);
    assert_series(&ctx, "m2 ^ -1", &[N, N, 0.5, N]);
}

#[test]
fn misaligned_timestamps_combine_only_where_both_have_points() {
    let mut ctx = context(3, &[("m1", "M1", &[1.0, 2.0, 3.0])]);
    // m2 has points at 30 s offsets plus one on the grid (at 2 minutes).
    let m2 = TimeSeries::from_points([(30_000, 5.0), (90_000, 6.0), (2 * MIN, 7.0)]);
    ctx.add_metric("m2", Labeled::new("M2", m2), 30);
    match eval(&ctx, "m1 + m2") {
        Value::Series(s) => assert_eq!(s.value.points(), &[(2 * MIN, 10.0)]),
        other => panic!("{other:?}"),
    }
    // Comparisons take every timestamp either has, a missing side counting as 0.
    match eval(&ctx, "m1 < m2") {
        Value::Series(s) => assert_eq!(
            s.value.points(),
            &[
                (0, 0.0),
                (30_000, 1.0),
                (MIN, 0.0),
                (90_000, 1.0),
                (2 * MIN, 1.0)
            ]
        ),
        other => panic!("{other:?}"),
    }
    // Series op scalar keeps the series' own timestamps.
    match eval(&ctx, "m2 * 2") {
        Value::Series(s) => assert_eq!(
            s.value.points(),
            &[(30_000, 10.0), (90_000, 12.0), (2 * MIN, 14.0)]
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn comparison_and_logic_follow_the_user_guide_example() {
    // metric1 [30, 20, 0, 0], metric2 [20, -, 20, -].
    let ctx = context(
        4,
        &[
            ("metric1", "a", &[30.0, 20.0, 0.0, 0.0]),
            ("metric2", "b", &[20.0, N, 20.0, N]),
        ],
    );
    assert_series(&ctx, "(metric1 < metric2)", &[0.0, 0.0, 1.0, 0.0]);
    assert_series(&ctx, "(metric1 >= 30)", &[1.0, 0.0, 0.0, 0.0]);
    assert_series(
        &ctx,
        "(metric1 > 15 AND metric2 > 15)",
        &[1.0, 0.0, 0.0, 0.0],
    );
    assert_series(&ctx, "metric1 > 15 && metric2 > 15", &[1.0, 0.0, 0.0, 0.0]);
    assert_series(&ctx, "metric1 > 25 OR metric2 > 15", &[1.0, 0.0, 1.0, 0.0]);
    assert_series(&ctx, "metric1 > 25 || metric2 > 15", &[1.0, 0.0, 1.0, 0.0]);
    assert_series(&ctx, "metric1 == metric2", &[0.0, 0.0, 0.0, 1.0]);
    assert_series(&ctx, "metric1 != 0", &[1.0, 1.0, 0.0, 0.0]);
    assert_series(&ctx, "metric1 <= 20", &[0.0, 1.0, 1.0, 1.0]);
    assert_series(&ctx, "NOT metric1", &[0.0, 0.0, 1.0, 1.0]);
    assert_series(&ctx, "!(metric2 > 15)", &[0.0, N, 0.0, N]);
    assert_scalar(&ctx, "3 > 2", 1.0);
    assert_scalar(&ctx, "3 < 2", 0.0);
}

#[test]
fn pointwise_math_functions() {
    let ctx = context(5, &[("m1", "M1", &[-1.5, N, 4.0, 0.0, 100.0])]);
    assert_series(&ctx, "ABS(m1)", &[1.5, N, 4.0, 0.0, 100.0]);
    assert_series(&ctx, "CEIL(m1)", &[-1.0, N, 4.0, 0.0, 100.0]);
    assert_series(&ctx, "FLOOR(m1)", &[-2.0, N, 4.0, 0.0, 100.0]);
    // Logarithms and roots of negatives and zero have no value: those points are dropped.
    assert_series(&ctx, "LOG(m1)", &[N, N, 4f64.ln(), N, 100f64.ln()]);
    assert_series(&ctx, "LOG10(m1)", &[N, N, 4f64.log10(), N, 2.0]);
    assert_series(&ctx, "SQRT(m1)", &[N, N, 2.0, 0.0, 10.0]);
    assert_scalar(&ctx, "ABS(-3)", 3.0);
    assert_array(
        &ctx,
        "ABS(METRICS())",
        &[("M1", &[1.5, N, 4.0, 0.0, 100.0])],
    );
}

#[test]
fn reductions_of_a_series_give_scalars() {
    // 2, 4, 4, 4, 5, 5, 7, 9 with a gap: mean 5, population standard deviation 2.
    let ctx = context(
        9,
        &[
            ("m1", "M1", &[2.0, 4.0, N, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]),
            ("empty", "E", &[N, N]),
        ],
    );
    assert_scalar(&ctx, "SUM(m1)", 40.0);
    assert_scalar(&ctx, "AVG(m1)", 5.0);
    assert_scalar(&ctx, "MIN(m1)", 2.0);
    assert_scalar(&ctx, "MAX(m1)", 9.0);
    assert_scalar(&ctx, "STDDEV(m1)", 2.0);
    assert_scalar(&ctx, "DATAPOINT_COUNT(m1)", 8.0);
    assert_series(
        &ctx,
        "m1 - AVG(m1)",
        &[-3.0, -1.0, N, -1.0, -1.0, 0.0, 0.0, 2.0, 4.0],
    );
    assert_series(
        &ctx,
        "m1 / MAX(m1) * 9",
        &[2.0, 4.0, N, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0],
    );
    // A reduction over no datapoints has no value, and poisons what it touches.
    assert_scalar(&ctx, "SUM(empty)", N);
    assert_scalar(&ctx, "AVG(empty)", N);
    assert_scalar(&ctx, "DATAPOINT_COUNT(empty)", 0.0);
    assert_series(&ctx, "m1 - AVG(empty)", &[N; 9]);
    assert_series(&ctx, "TIME_SERIES(MAX(empty))", &[N; 9]);
}

#[test]
fn reductions_of_an_array_give_one_series() {
    let ctx = context(
        4,
        &[
            ("m1", "A", &[1.0, N, 3.0, N]),
            ("m2", "B", &[3.0, 5.0, N, N]),
            ("m3", "C", &[N, N, N, N]),
        ],
    );
    assert_series(&ctx, "SUM([m1, m2])", &[4.0, 5.0, 3.0, N]);
    assert_series(&ctx, "SUM(METRICS())", &[4.0, 5.0, 3.0, N]);
    assert_series(&ctx, "AVG(METRICS())", &[2.0, 5.0, 3.0, N]);
    assert_series(&ctx, "MIN(METRICS())", &[1.0, 5.0, 3.0, N]);
    assert_series(&ctx, "MAX(METRICS())", &[3.0, 5.0, 3.0, N]);
    assert_series(&ctx, "STDDEV(METRICS())", &[1.0, 0.0, 0.0, N]);
    assert_series(&ctx, "DATAPOINT_COUNT(METRICS())", &[2.0, 1.0, 1.0, N]);
    assert_scalar(&ctx, "METRIC_COUNT(METRICS())", 3.0);
    assert_series(
        &ctx,
        "m1 / METRIC_COUNT(METRICS())",
        &[1.0 / 3.0, N, 1.0, N],
    );
    assert_series(
        &ctx,
        "SUM(100 / [m1, m2])",
        &[100.0 + 100.0 / 3.0, 20.0, 100.0 / 3.0, N],
    );
    assert_series(&ctx, "SUM(-[m1, m2])", &[-4.0, -5.0, -3.0, N]);
    assert_series(&ctx, "SUM(REMOVE_EMPTY([m3]))", &[N, N, N, N]);
}

#[test]
fn diff_diff_time_rate_and_running_sum() {
    let ctx = context(
        4,
        &[
            ("m1", "M1", &[1.0, N, 4.0, 10.0]),
            ("m2", "M2", &[5.0, 3.0, N, N]),
        ],
    );
    assert_series(&ctx, "DIFF(m1)", &[N, N, 3.0, 6.0]);
    assert_series(&ctx, "DIFF_TIME(m1)", &[N, N, 120.0, 60.0]);
    assert_series(&ctx, "RATE(m1)", &[N, N, 3.0 / 120.0, 6.0 / 60.0]);
    assert_series(&ctx, "RUNNING_SUM(m1)", &[1.0, N, 5.0, 15.0]);
    assert_array(
        &ctx,
        "DIFF(METRICS())",
        &[("M1", &[N, N, 3.0, 6.0]), ("M2", &[N, -2.0, N, N])],
    );
    assert_array(&ctx, "RATE([m2])", &[("M2", &[N, -2.0 / 60.0, N, N])]);
    assert_array(&ctx, "DIFF_TIME([m2])", &[("M2", &[N, 60.0, N, N])]);
    assert_array(
        &ctx,
        "RUNNING_SUM(METRICS())",
        &[("M1", &[1.0, N, 5.0, 15.0]), ("M2", &[5.0, 8.0, N, N])],
    );
}

#[test]
fn fill_with_scalar_series_repeat_and_linear() {
    let ctx = context(
        6,
        &[
            ("m", "M", &[N, 2.0, N, N, 8.0, N]),
            ("f", "F", &[1.0, 1.0, N, 1.0, 1.0, 1.0]),
        ],
    );
    assert_series(&ctx, "FILL(m, 0)", &[0.0, 2.0, 0.0, 0.0, 8.0, 0.0]);
    assert_series(&ctx, "FILL(m, -1.5)", &[-1.5, 2.0, -1.5, -1.5, 8.0, -1.5]);
    assert_series(&ctx, "FILL(m, MIN(m))", &[2.0, 2.0, 2.0, 2.0, 8.0, 2.0]);
    assert_series(&ctx, "FILL(m, REPEAT)", &[N, 2.0, 2.0, 2.0, 8.0, 8.0]);
    assert_series(&ctx, "FILL(m, LINEAR)", &[N, 2.0, 4.0, 6.0, 8.0, N]);
    assert_series(&ctx, "FILL(m, f)", &[1.0, 2.0, N, 1.0, 8.0, 1.0]);
    assert_array(
        &ctx,
        "FILL(METRICS(), 0)",
        &[
            ("M", &[0.0, 2.0, 0.0, 0.0, 8.0, 0.0]),
            ("F", &[1.0, 1.0, 0.0, 1.0, 1.0, 1.0]),
        ],
    );
    assert_array(
        &ctx,
        "FILL(METRICS(), m)",
        &[
            ("M", &[N, 2.0, N, N, 8.0, N]),
            ("F", &[1.0, 1.0, N, 1.0, 1.0, 1.0]),
        ],
    );
    assert_array(
        &ctx,
        "FILL([m], LINEAR)",
        &[("M", &[N, 2.0, 4.0, 6.0, 8.0, N])],
    );
    // FILL makes sparse series add up where they did not before.
    assert_series(
        &ctx,
        "FILL(m, 0) + FILL(f, 0)",
        &[1.0, 3.0, 0.0, 1.0, 9.0, 1.0],
    );
}

#[test]
fn linear_fill_interpolates_by_time_and_keeps_off_grid_points() {
    let mut ctx = MemoryContext::new(vec![0, MIN, 2 * MIN, 3 * MIN]);
    let s = TimeSeries::from_points([(0, 0.0), (30_000, 3.0), (3 * MIN, 12.0)]);
    ctx.add_metric("m1", Labeled::new("M1", s), 30);
    match eval(&ctx, "FILL(m1, LINEAR)") {
        Value::Series(s) => {
            // Between (30 s, 3) and (180 s, 12): 3 + 9 * 30/150 at 60 s, 3 + 9 * 90/150 at 120 s.
            assert_eq!(
                s.value.timestamps().collect::<Vec<_>>(),
                [0, 30_000, MIN, 2 * MIN, 3 * MIN]
            );
            assert_values(
                &s.value.values().collect::<Vec<_>>(),
                &[0.0, 3.0, 4.8, 8.4, 12.0],
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn metrics_filters_by_id_in_request_order() {
    let mut ctx = context(
        2,
        &[
            ("errors_4xx", "4XX", &[1.0, 2.0]),
            ("requests", "Requests", &[10.0, 20.0]),
            ("errors_5xx", "5XX", &[3.0, N]),
        ],
    );
    ctx.set(
        "e1",
        Value::Series(Labeled::new("Expr", TimeSeries::from_points([(0, 99.0)]))),
    );
    assert_array(
        &ctx,
        "METRICS()",
        &[
            ("4XX", &[1.0, 2.0]),
            ("Requests", &[10.0, 20.0]),
            ("5XX", &[3.0, N]),
        ],
    );
    assert_array(
        &ctx,
        "METRICS(\"errors\")",
        &[("4XX", &[1.0, 2.0]), ("5XX", &[3.0, N])],
    );
    assert_array(&ctx, "METRICS('5xx')", &[("5XX", &[3.0, N])]);
    // The label is not searched, only the id; the match is case-sensitive.
    assert_array(&ctx, "METRICS(\"5XX\")", &[]);
    assert_array(&ctx, "METRICS(\"e1\")", &[]);
    assert_array(
        &ctx,
        "METRICS(\"\")",
        &[
            ("4XX", &[1.0, 2.0]),
            ("Requests", &[10.0, 20.0]),
            ("5XX", &[3.0, N]),
        ],
    );
    assert_series(
        &ctx,
        "SUM([METRICS(\"4xx\"), METRICS(\"5xx\")])",
        &[4.0, 2.0],
    );
    assert_series(
        &ctx,
        "SUM(METRICS(\"errors\")) / SUM(METRICS(\"requests\")) * 100",
        &[40.0, 10.0],
    );
    assert_array(
        &ctx,
        "METRICS(\"errors\") / 100",
        &[("4XX", &[0.01, 0.02]), ("5XX", &[0.03, N])],
    );
    assert_array(
        &ctx,
        "METRICS(\"errors\") - requests",
        &[("4XX", &[-9.0, -18.0]), ("5XX", &[-7.0, N])],
    );
    assert_array(
        &ctx,
        "requests - METRICS(\"errors\")",
        &[("4XX", &[9.0, 18.0]), ("5XX", &[7.0, N])],
    );
    assert_series(&ctx, "e1 + 1", &[100.0, N]);
}

#[test]
fn first_last_sort_slice_and_remove_empty() {
    // Averages: a 1, b 3, c 2, d no data. Sums: a 2, b 3, c 6.
    let ctx = context(
        3,
        &[
            ("a", "A", &[1.0, 1.0, N]),
            ("b", "B", &[N, 3.0, N]),
            ("c", "C", &[2.0, 2.0, 2.0]),
            ("d", "D", &[N, N, N]),
        ],
    );
    let labels = |text: &str| match eval(&ctx, text) {
        Value::Array(a) => a.into_iter().map(|m| m.label).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(labels("SORT(METRICS(), AVG, DESC)"), ["B", "C", "A", "D"]);
    assert_eq!(labels("SORT(METRICS(), AVG, ASC)"), ["A", "C", "B", "D"]);
    assert_eq!(labels("SORT(METRICS(), SUM, DESC)"), ["C", "B", "A", "D"]);
    assert_eq!(labels("SORT(METRICS(), MIN, ASC)"), ["A", "C", "B", "D"]);
    assert_eq!(labels("SORT(METRICS(), MAX, DESC, 2)"), ["B", "C"]);
    assert_eq!(
        labels("SORT(METRICS(), MAX, DESC, 0)"),
        Vec::<String>::new()
    );
    assert_eq!(
        labels("SLICE(SORT(METRICS(), AVG, DESC), 1, 3)"),
        ["C", "A"]
    );
    assert_eq!(labels("SLICE(SORT(METRICS(), AVG, ASC), 2)"), ["B", "D"]);
    assert_eq!(labels("SLICE(METRICS(), 3, 99)"), ["D"]);
    assert_eq!(labels("SLICE(METRICS(), 3, 1)"), Vec::<String>::new());
    assert_eq!(labels("SLICE(METRICS(), -5, 1.7)"), ["A"]);
    assert_eq!(labels("REMOVE_EMPTY(METRICS())"), ["A", "B", "C"]);
    assert_series(&ctx, "FIRST(SORT(METRICS(), AVG, DESC))", &[N, 3.0, N]);
    assert_series(&ctx, "LAST(REMOVE_EMPTY(METRICS()))", &[2.0, 2.0, 2.0]);
    match eval(&ctx, "FIRST(SORT(METRICS(), AVG, DESC))") {
        Value::Series(s) => assert_eq!(s.label, "B"),
        other => panic!("{other:?}"),
    }
    assert_series(
        &ctx,
        "IF(FIRST(SORT(METRICS(), AVG, DESC)) > 2, 1, 0)",
        &[N, 1.0, N],
    );
    assert_series(&ctx, "FIRST(METRICS(\"zzz\"))", &[N, N, N]);
}

#[test]
fn if_follows_the_user_guide_tables() {
    let ctx = context(
        5,
        &[
            ("metric1", "1", &[1.0, 1.0, 0.0, 0.0, N]),
            ("metric2", "2", &[30.0, N, 0.0, 0.0, 30.0]),
            ("metric3", "3", &[0.0, 0.0, 20.0, N, 20.0]),
        ],
    );
    assert_series(
        &ctx,
        "IF(metric1, metric2, metric3)",
        &[30.0, 0.0, 20.0, N, N],
    );
    assert_series(&ctx, "IF(metric1, 5, metric3)", &[5.0, 5.0, 20.0, N, N]);
    assert_series(&ctx, "IF(metric1, metric2, 5)", &[30.0, 0.0, 5.0, 5.0, N]);
    assert_series(&ctx, "IF(metric1, metric2)", &[30.0, 0.0, N, N, N]);
    assert_series(&ctx, "IF(metric1, 10, 2)", &[10.0, 10.0, 2.0, 2.0, N]);
    assert_series(&ctx, "IF(metric2 < 10, metric2)", &[N, N, 0.0, 0.0, N]);
    assert_series(&ctx, "IF(metric2 >= 10, 1, 0)", &[1.0, N, 0.0, 0.0, 1.0]);
    assert_series(&ctx, "IF(1, metric2, metric3)", &[30.0, N, 0.0, 0.0, 30.0]);
    assert_series(&ctx, "IF(0, metric2, metric3)", &[0.0, 0.0, 20.0, N, 20.0]);
    assert_series(&ctx, "IF(0, metric2)", &[N, N, N, N, N]);
    assert_series(
        &ctx,
        "IF(AVG(metric2) > 10, metric2, metric3)",
        &[30.0, N, 0.0, 0.0, 30.0],
    );
    assert_scalar(&ctx, "IF(1, 2, 3)", 2.0);
}

#[test]
fn time_series_period_and_date_functions() {
    // 2024-03-01 13:45:00 UTC, a Friday, and the next minute.
    let t = 1_709_300_700_000;
    let mut ctx = MemoryContext::new(vec![t, t + MIN]);
    ctx.add_metric(
        "m1",
        Labeled::new("M1", TimeSeries::from_points([(t, 3.0)])),
        300,
    );
    ctx.set("e1", Value::Series(Labeled::unlabeled(TimeSeries::empty())));
    let at = |text: &str| match eval(&ctx, text) {
        Value::Series(s) => s
            .value
            .to_aligned(&[t, t + MIN])
            .into_iter()
            .map(|v| v.unwrap_or(N))
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_values(&at("TIME_SERIES(5)"), &[5.0, 5.0]);
    assert_values(&at("TIME_SERIES(2 * AVG(m1))"), &[6.0, 6.0]);
    assert_values(&at("MINUTE(m1)"), &[45.0, 46.0]);
    assert_values(&at("HOUR(m1)"), &[13.0, 13.0]);
    assert_values(&at("DAY(m1)"), &[5.0, 5.0]);
    assert_values(&at("DATE(m1)"), &[1.0, 1.0]);
    assert_values(&at("MONTH(m1)"), &[3.0, 3.0]);
    assert_values(&at("YEAR(m1)"), &[2024.0, 2024.0]);
    assert_values(&at("EPOCH(m1)"), &[1_709_300_700.0, 1_709_300_760.0]);
    // True where m1 has no value gives 0 (the guide's IF rule).
    assert_values(&at("IF(DAY(m1) < 6, m1)"), &[3.0, 0.0]);
    assert_values(&at("IF(DAY(m1) > 5, m1)"), &[N, N]);
    assert_values(&at("m1 / PERIOD(m1)"), &[0.01, N]);
    assert_scalar(&ctx, "PERIOD(m1)", 300.0);
    assert_eq!(
        eval_err(&ctx, "PERIOD(e1)"),
        MathError::PeriodNotAMetric {
            id: "e1".to_owned()
        }
    );
    assert_eq!(
        eval_err(&ctx, "PERIOD(m9)"),
        MathError::UnknownId {
            id: "m9".to_owned()
        }
    );
    assert!(
        eval_err(&ctx, "PERIOD(e1)")
            .to_string()
            .starts_with(messages::PERIOD_NOT_A_METRIC)
    );
}

#[test]
fn with_range_builds_the_grid() {
    let ctx = MemoryContext::with_range(0, 5 * MIN + 1, 120);
    assert_series(&ctx, "TIME_SERIES(1)", &[1.0, N, 1.0, N, 1.0, N]);
    assert_eq!(
        metric_math::Context::timestamps(&ctx),
        &[0, 2 * MIN, 4 * MIN]
    );
    assert!(metric_math::Context::timestamps(&MemoryContext::with_range(0, MIN, 0)).is_empty());
}

#[test]
fn argument_and_operand_types_are_checked() {
    let ctx = context(2, &[("m1", "M1", &[1.0, 2.0]), ("m2", "M2", &[1.0, 2.0])]);
    let type_err =
        |text: &str, function: &str, index: usize, found: &str| match eval_err(&ctx, text) {
            MathError::ArgumentType {
                function: f,
                index: i,
                found: x,
                ..
            } => {
                assert_eq!((f, i, x), (function, index, found), "{text}");
            }
            other => panic!("{text}: {other:?}"),
        };
    type_err("FIRST(m1)", "FIRST", 1, "a time series");
    type_err("LAST(5)", "LAST", 1, "a scalar");
    type_err("SUM(5)", "SUM", 1, "a scalar");
    type_err("DIFF(5)", "DIFF", 1, "a scalar");
    type_err("TIME_SERIES(m1)", "TIME_SERIES", 1, "a time series");
    type_err("METRIC_COUNT(m1)", "METRIC_COUNT", 1, "a time series");
    type_err("REMOVE_EMPTY(m1)", "REMOVE_EMPTY", 1, "a time series");
    type_err("SORT(m1, AVG, ASC)", "SORT", 1, "a time series");
    type_err("SORT(METRICS(), AVG, ASC, m1)", "SORT", 4, "a time series");
    type_err("SLICE(METRICS(), m1)", "SLICE", 2, "a time series");
    type_err("FILL(5, 0)", "FILL", 1, "a scalar");
    type_err("FILL(m1, METRICS())", "FILL", 2, "an array of time series");
    type_err("IF(METRICS(), 1, 0)", "IF", 1, "an array of time series");
    type_err("IF(m1, METRICS())", "IF", 2, "an array of time series");
    type_err("IF(m1, 1, METRICS())", "IF", 3, "an array of time series");
    type_err("HOUR(5)", "HOUR", 1, "a scalar");
    assert_eq!(
        eval_err(&ctx, "FIRST(m1)").to_string(),
        format!(
            "{} 1 of function FIRST: expected an array of time series, got a time series.",
            messages::ARGUMENT_TYPE
        )
    );
    assert_eq!(
        eval_err(&ctx, "METRICS() + [m1, m2]"),
        MathError::OperandType {
            operator: "+",
            lhs: "an array of time series",
            rhs: "an array of time series"
        }
    );
    assert!(
        eval_err(&ctx, "METRICS() AND METRICS()")
            .to_string()
            .starts_with(messages::OPERAND_TYPE)
    );
    assert_eq!(
        eval_err(&ctx, "[m1, 5]"),
        MathError::ArrayMember {
            index: 2,
            found: "a scalar"
        }
    );
    assert!(
        eval_err(&ctx, "[m1, 5]")
            .to_string()
            .starts_with(messages::ARRAY_MEMBER)
    );
}

#[test]
fn results_and_labels() {
    let ctx = context(2, &[("m1", "M1", &[1.0, 2.0]), ("m2", "M2", &[3.0, N])]);
    let results =
        |text: &str| evaluate(&parse(text).expect("parses"), &ctx).and_then(Value::into_results);
    // A scalar is not a valid final result; TIME_SERIES makes it one.
    assert_eq!(results("AVG(m1)"), Err(MathError::ScalarResult));
    assert_eq!(
        results("AVG(m1)").map_err(|e| e.to_string()),
        Err(messages::SCALAR_RESULT.to_owned())
    );
    let r = results("TIME_SERIES(AVG(m1))").expect("a series");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].label, "");
    assert_values(&on_grid(&r[0].value, 2), &[1.5, 1.5]);
    // Operations with a scalar keep the label; combining two series drops it.
    let r = results("m1 * 2").expect("a series");
    assert_eq!(
        (r[0].label.as_str(), r[0].value.points()),
        ("M1", &[(0, 2.0), (MIN, 4.0)][..])
    );
    assert_eq!(results("m1 + m2").expect("a series")[0].label, "");
    // An array gives one result per member, in order, with member labels.
    let r = results("METRICS() * 100").expect("an array");
    let labels: Vec<&str> = r.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels, ["M1", "M2"]);
    assert_eq!(r[1].value.points(), &[(0, 300.0)]);
    assert_eq!(results("REMOVE_EMPTY(METRICS(\"x\"))"), Ok(Vec::new()));
    assert_eq!(
        array_member_label("Filled With 0:", "Errors"),
        "Filled With 0: Errors"
    );
    assert_eq!(array_member_label("", "Errors"), "Errors");
    assert_eq!(array_member_label("Total", ""), "Total");
}

#[test]
fn time_series_constructors() {
    let s = TimeSeries::from_points([
        (3, 1.0),
        (1, 2.0),
        (3, 5.0),
        (2, f64::NAN),
        (4, f64::INFINITY),
    ]);
    assert_eq!(s.points(), &[(1, 2.0), (3, 5.0)]);
    assert_eq!(s.get(3), Some(5.0));
    assert_eq!(s.get(2), None);
    assert_eq!(s.len(), 2);
    let a = TimeSeries::from_aligned(&[10, 20, 30], &[Some(1.0), None, Some(3.0)]);
    assert_eq!(a.points(), &[(10, 1.0), (30, 3.0)]);
    assert_eq!(
        a.to_aligned(&[10, 20, 30, 40]),
        [Some(1.0), None, Some(3.0), None]
    );
    assert_eq!(a.timestamps().collect::<Vec<_>>(), [10, 30]);
    assert_eq!(a.values().collect::<Vec<_>>(), [1.0, 3.0]);
    assert!(TimeSeries::empty().is_empty());
}

/// Every example expression of the user guide's "Using metric math" page.
const USER_GUIDE_EXAMPLES: &[&str] = &[
    "5 * m1",
    "m1 - m2",
    "SUM(100/[m1, m2])",
    "AVG([m1,m2]/m3)",
    "METRICS()*100",
    "-5*m1",
    "-m1",
    "SUM(-[m1, m2])",
    "ABS(m1-m2)",
    "MIN(ABS([m1, m2]))",
    "ABS(METRICS())",
    "SUM([m1,m2])/AVG(m2)",
    "AVG(METRICS())",
    "CEIL(m1)",
    "CEIL(METRICS())",
    "SUM(CEIL(METRICS()))",
    "SUM(m1) / DATAPOINT_COUNT(m1) * m1",
    "DATAPOINT_COUNT(METRICS())",
    "DIFF(m1)",
    "DIFF_TIME(METRICS())",
    "FILL(m1,10)",
    "FILL(METRICS(), 0)",
    "FILL(METRICS(), m1)",
    "FILL(m1, MIN(m1))",
    "FILL(m1, REPEAT)",
    "FILL(METRICS(), LINEAR)",
    "IF(FIRST(SORT(METRICS(), AVG, DESC))>100, 1, 0)",
    "FLOOR(m1)",
    "FLOOR(METRICS())",
    "LOG(METRICS())",
    "LOG10(m1)",
    "MAX(m1)/m1",
    "MAX(METRICS())",
    "m1/METRIC_COUNT(METRICS())",
    "SUM(METRICS(\"errors\"))",
    "SUM([METRICS(\"4xx\"), METRICS(\"5xx\")])",
    "m1-MIN(m1)",
    "MIN(METRICS())",
    "MINUTE(m1)",
    "IF(DAY(m1)<6,m1)",
    "IF(MONTH(m1) == 4,m1)",
    "m1/PERIOD(m1)",
    "RATE(m1)",
    "RATE(METRICS())",
    "REMOVE_EMPTY(METRICS())",
    "RUNNING_SUM([m1,m2])",
    "SLICE(SORT(METRICS(), SUM, DESC), 0, 10)",
    "SLICE(SORT(METRICS(), AVG, ASC), 5)",
    "SORT(METRICS(), AVG, DESC, 10)",
    "SORT(METRICS(), MAX, ASC)",
    "m1/STDDEV(m1)",
    "STDDEV(METRICS())",
    "SUM(METRICS())/SUM(m1)",
    "SUM([m1,m2])",
    "SUM(METRICS(\"errors\"))/SUM(METRICS(\"requests\"))*100",
    "TIME_SERIES(MAX(m1))",
    "TIME_SERIES(5*AVG(m1))",
    "TIME_SERIES(10)",
    "IF(metric1<400, metric1)",
    "IF(metric1<400, 10, 2)",
    "IF(latency>threshold, 1, 0)",
    "IF((DAY(m1)<6 AND (HOUR(m1)>=9 AND HOUR(m1)<17)),m1)",
    "(metric1 < metric2)",
    "(metric1 > 15 AND metric2 > 15)",
    "IF(metric1, metric2, metric3)",
    "e1-MIN(e1)",
    "m1+m2",
];

#[test]
fn user_guide_examples_parse_print_and_evaluate_to_series() {
    let mut ctx = context(
        4,
        &[
            ("m1", "M1", &[1.0, 2.0, N, 4.0]),
            ("m2", "M2", &[2.0, N, 3.0, 5.0]),
            ("m3", "M3", &[4.0, 4.0, 4.0, 4.0]),
            ("metric1", "Metric1", &[300.0, 500.0, 0.0, N]),
            ("metric2", "Metric2", &[20.0, N, 20.0, N]),
            ("metric3", "Metric3", &[0.0, 0.0, 20.0, N]),
            ("latency", "Latency", &[10.0, 200.0, 30.0, N]),
            ("threshold", "Threshold", &[100.0, 100.0, 100.0, 100.0]),
            ("errors_4xx", "4XX", &[1.0, N, 2.0, 0.0]),
            ("errors_5xx", "5XX", &[0.0, 1.0, N, 0.0]),
            ("requests", "Requests", &[10.0, 20.0, 30.0, 40.0]),
        ],
    );
    ctx.set(
        "e1",
        Value::Series(Labeled::new("E1", super::series(&[1.0, 5.0, 3.0, N]))),
    );
    for text in USER_GUIDE_EXAMPLES {
        let expr = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(
            parse(&expr.to_string()),
            Ok(expr.clone()),
            "{text} printed as {expr}"
        );
        let value = evaluate(&expr, &ctx).unwrap_or_else(|e| panic!("{text}: {e}"));
        let results = value
            .into_results()
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        // The grid is 1970-01-01 00:00 to 00:03 UTC: not April, nor office hours.
        let calendar_bound = text.contains("MONTH") || text.contains("HOUR");
        assert!(
            calendar_bound || results.iter().any(|r| !r.value.is_empty()),
            "{text} gave no datapoints"
        );
    }
    // The guide's arithmetic example PERIOD(m1)/60 is a scalar: fine inside an expression.
    assert_scalar(&ctx, "PERIOD(m1)/60", 1.0);
}
