//! Parsing: precedence, case, errors with positions, references, evaluation order.

use metric_math::{
    BinaryOp, Expr, FillWith, Function, MAX_EXPRESSION_CHARS, MAX_NESTING, MathError,
    MemoryContext, SortOrder, SortStat, evaluate, evaluation_order, messages, parse,
};

use super::{assert_scalar, context};

fn n(x: f64) -> Expr {
    Expr::Number(x)
}

fn id(s: &str) -> Expr {
    Expr::Id(s.to_owned())
}

fn bin(op: BinaryOp, l: Expr, r: Expr) -> Expr {
    Expr::Binary(op, Box::new(l), Box::new(r))
}

fn neg(x: Expr) -> Expr {
    Expr::Neg(Box::new(x))
}

fn p(text: &str) -> Expr {
    parse(text).unwrap_or_else(|e| panic!("parse {text:?}: {e}"))
}

fn err(text: &str) -> MathError {
    match parse(text) {
        Ok(e) => panic!("{text:?} parsed as {e:?}, expected an error"),
        Err(e) => e,
    }
}

#[test]
fn arithmetic_precedence_and_associativity() {
    use BinaryOp::*;
    assert_eq!(p("1 + 2 * 3"), bin(Add, n(1.0), bin(Mul, n(2.0), n(3.0))));
    assert_eq!(p("1 * 2 + 3"), bin(Add, bin(Mul, n(1.0), n(2.0)), n(3.0)));
    assert_eq!(p("10 - 4 - 3"), bin(Sub, bin(Sub, n(10.0), n(4.0)), n(3.0)));
    assert_eq!(p("8 / 2 / 2"), bin(Div, bin(Div, n(8.0), n(2.0)), n(2.0)));
    assert_eq!(p("2 ^ 3 ^ 2"), bin(Pow, n(2.0), bin(Pow, n(3.0), n(2.0))));
    assert_eq!(p("-2 ^ 2"), neg(bin(Pow, n(2.0), n(2.0))));
    assert_eq!(p("-m1 * 5"), bin(Mul, neg(id("m1")), n(5.0)));
    assert_eq!(p("m1 * -5"), bin(Mul, id("m1"), neg(n(5.0))));
    assert_eq!(p("2 ^ -1"), bin(Pow, n(2.0), neg(n(1.0))));
    assert_eq!(p("(1 + 2) * 3"), bin(Mul, bin(Add, n(1.0), n(2.0)), n(3.0)));
    assert_eq!(p("m1 - -m2"), bin(Sub, id("m1"), neg(id("m2"))));
}

#[test]
fn scalar_arithmetic_evaluates_with_precedence() {
    let ctx = MemoryContext::new(Vec::new());
    assert_scalar(&ctx, "2 + 3 * 4 ^ 2", 50.0);
    assert_scalar(&ctx, "-2 ^ 2", -4.0);
    assert_scalar(&ctx, "2 ^ 3 ^ 2", 512.0);
    assert_scalar(&ctx, "(2 + 3) * 4", 20.0);
    assert_scalar(&ctx, "10 - 4 - 3", 3.0);
    assert_scalar(&ctx, "8 / 2 / 2", 2.0);
    assert_scalar(&ctx, "1.5e2 + .5 + 2E-1", 150.7);
    assert_scalar(&ctx, "1 / 0", f64::NAN);
}

#[test]
fn comparison_and_logic_precedence() {
    use BinaryOp::*;
    assert_eq!(
        p("m1 + 1 > m2 * 2"),
        bin(Gt, bin(Add, id("m1"), n(1.0)), bin(Mul, id("m2"), n(2.0)))
    );
    assert_eq!(
        p("a > 1 AND b < 2 OR c"),
        bin(
            Or,
            bin(And, bin(Gt, id("a"), n(1.0)), bin(Lt, id("b"), n(2.0))),
            id("c")
        )
    );
    assert_eq!(
        p("a || b && c"),
        bin(Or, id("a"), bin(And, id("b"), id("c")))
    );
    assert_eq!(
        p("NOT a == b"),
        Expr::Not(Box::new(bin(Eq, id("a"), id("b"))))
    );
    assert_eq!(
        p("!a AND b"),
        bin(And, Expr::Not(Box::new(id("a"))), id("b"))
    );
    // Equality binds looser than ordering, as in C; both are left-associative.
    assert_eq!(
        p("a <= 1 != b >= 2"),
        bin(Ne, bin(Le, id("a"), n(1.0)), bin(Ge, id("b"), n(2.0)))
    );
    assert_eq!(p("a == b < c"), bin(Eq, id("a"), bin(Lt, id("b"), id("c"))));
    assert_eq!(p("a < b < c"), bin(Lt, bin(Lt, id("a"), id("b")), id("c")));
    assert_eq!(
        p("a == b != c"),
        bin(Ne, bin(Eq, id("a"), id("b")), id("c"))
    );
    assert_eq!(p("(a == b) < c").to_string(), "(a == b) < c");
    let ctx = MemoryContext::new(Vec::new());
    assert_scalar(&ctx, "1 OR 0 AND 0", 1.0);
    assert_scalar(&ctx, "2 * 3 > 5 AND 1", 1.0);
    assert_scalar(&ctx, "NOT 0 == 1", 1.0);
    assert_scalar(&ctx, "3 != 3 || 2 <= 2", 1.0);
}

#[test]
fn names_are_case_insensitive_and_print_canonically() {
    assert_eq!(p("sum(metrics())"), p("SUM(METRICS())"));
    assert_eq!(
        p("Fill(m1, repeat)"),
        Expr::Fill(Box::new(id("m1")), FillWith::Repeat)
    );
    assert_eq!(
        p("fill(m1, Linear)"),
        Expr::Fill(Box::new(id("m1")), FillWith::Linear)
    );
    assert_eq!(
        p("sort(metrics(), avg, desc, 2)"),
        Expr::Sort {
            array: Box::new(Expr::Metrics(None)),
            by: SortStat::Avg,
            order: SortOrder::Desc,
            limit: Some(Box::new(n(2.0))),
        }
    );
    assert_eq!(p("m1 and m2 or m3"), p("m1 AND m2 OR m3"));
    // A lower-case `not` is an id, as are words that happen to be function names.
    assert_eq!(p("not + sum"), bin(BinaryOp::Add, id("not"), id("sum")));
    assert_eq!(p("log10(m1)").to_string(), "LOG10(m1)");
    assert_eq!(p("if(m1>0,m1,0)").to_string(), "IF(m1 > 0.0, m1, 0.0)");
    assert_eq!(p("metrics('a\"b')").to_string(), r#"METRICS("a\"b")"#);
    assert_eq!(p("[m1,m2]*-(1+2)").to_string(), "[m1, m2] * -(1.0 + 2.0)");
    assert_eq!(p("(2^3)^2").to_string(), "(2.0 ^ 3.0) ^ 2.0");
    assert_eq!(p("PERIOD(m1)"), Expr::Period("m1".to_owned()));
    assert_eq!(
        p("diff_time(m1)"),
        Expr::Call(Function::DiffTime, vec![id("m1")])
    );
}

#[test]
fn ids_follow_the_query_id_pattern() {
    assert_eq!(p("m1"), id("m1"));
    assert_eq!(p("errors_5xX_2"), id("errors_5xX_2"));
    let e = err("M1 + 1");
    assert_eq!(e.position(), Some(1));
    assert!(e.to_string().contains("lower-case"), "{e}");
    assert_eq!(err("_m1").position(), Some(1));
}

#[test]
fn syntax_errors_carry_positions() {
    let cases: &[(&str, usize, &str)] = &[
        ("m1 +", 5, "end of the expression"),
        ("(m1 + m2", 9, "')' to close the '(' at position 1"),
        ("m1 + )", 6, "')'"),
        ("m1 m2", 4, "'m2'"),
        ("m1 = 2", 4, "'=='"),
        ("m1 # 2", 4, "'#'"),
        ("\"abc", 1, "unterminated string"),
        ("1e999", 1, "out of range"),
        ("[m1, m2", 8, "']'"),
        ("[]", 2, "expected an expression"),
        ("SUM(m1, )", 9, "expected an expression"),
        ("SUM(m1", 7, "',' or ')'"),
        ("METRICS(m1)", 9, "must be a string"),
        ("PERIOD(m1 + 1)", 8, "id of a metric"),
        ("SORT(METRICS(), MEDIAN, ASC)", 17, "AVG, MIN, MAX or SUM"),
        ("SORT(METRICS(), AVG, UP)", 22, "ASC or DESC"),
        ("m1 + \"x\"", 6, "only as the argument of METRICS"),
        ("REPEAT + 1", 1, "keyword REPEAT"),
        ("SUM + 1", 1, "'(' after the function name"),
        ("", 1, "expected an expression"),
        ("   ", 4, "expected an expression"),
    ];
    for (text, position, detail) in cases {
        match parse(text) {
            Err(e @ MathError::Syntax { .. }) => {
                assert_eq!(e.position(), Some(*position), "position for {text:?}: {e}");
                let msg = e.to_string();
                assert!(msg.starts_with(messages::SYNTAX_ERROR), "{msg}");
                assert!(msg.contains(detail), "{text:?}: {msg:?} lacks {detail:?}");
            }
            other => panic!("{text:?}: expected a syntax error, got {other:?}"),
        }
    }
    assert_eq!(
        err("m1 +").to_string(),
        format!(
            "{} 5: expected an expression, found the end of the expression.",
            messages::SYNTAX_ERROR
        )
    );
}

#[test]
fn unknown_and_unsupported_functions() {
    assert_eq!(
        err("m1 + FOO(m1)"),
        MathError::UnknownFunction {
            name: "FOO".to_owned(),
            position: 6
        }
    );
    assert_eq!(
        err("m2(1)"),
        MathError::UnknownFunction {
            name: "m2".to_owned(),
            position: 1
        }
    );
    assert_eq!(
        err("FOO(m1)").to_string(),
        format!("{} FOO at position 1.", messages::UNKNOWN_FUNCTION)
    );
    assert_eq!(
        err("SEARCH('{AWS/EC2,InstanceId} MetricName=\"CPUUtilization\"', 'Average', 300)"),
        MathError::UnsupportedFunction {
            name: "SEARCH".to_owned()
        }
    );
    assert_eq!(
        err("anomaly_detection_band(m1)"),
        MathError::UnsupportedFunction {
            name: "ANOMALY_DETECTION_BAND".to_owned()
        }
    );
    assert_eq!(
        err("SELECT AVG(CPUUtilization) FROM SCHEMA(\"AWS/EC2\")"),
        MathError::MetricsInsightsUnsupported
    );
    // Only the whole word SELECT means Metrics Insights.
    assert!(matches!(err("SELECTED"), MathError::Syntax { .. }));
}

#[test]
fn argument_counts_are_checked_when_parsing() {
    let cases: &[(&str, &str, &str, usize)] = &[
        ("ABS()", "ABS", "1", 0),
        ("ABS(m1, m2)", "ABS", "1", 2),
        ("IF(m1)", "IF", "2 to 3", 1),
        ("IF(m1, 1, 2, 3)", "IF", "2 to 3", 4),
        ("SORT(METRICS(), AVG)", "SORT", "3 to 4", 2),
        ("FILL(m1)", "FILL", "2", 1),
        ("METRICS(\"a\", \"b\")", "METRICS", "0 to 1", 2),
        ("SLICE(METRICS())", "SLICE", "2 to 3", 1),
        ("PERIOD()", "PERIOD", "1", 0),
    ];
    for (text, function, expected, found) in cases {
        match err(text) {
            MathError::ArgumentCount {
                function: f,
                expected: e,
                found: n,
                position,
            } => {
                assert_eq!(
                    (f, e.as_str(), n, position),
                    (*function, *expected, *found, 1),
                    "{text:?}"
                );
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
    assert_eq!(
        err("  SORT(METRICS(), AVG)").to_string(),
        format!(
            "{} SORT at position 3: expected 3 to 4, got 2.",
            messages::ARGUMENT_COUNT
        )
    );
}

#[test]
fn every_function_name_parses() {
    for f in Function::ALL {
        let (min, _) = f.arity();
        let args = vec!["m1"; min].join(", ");
        let text = format!("{}({args})", f.name());
        assert_eq!(p(&text), Expr::Call(*f, vec![id("m1"); min]), "{text}");
        assert_eq!(Function::from_name(&f.name().to_lowercase()), Some(*f));
    }
}

#[test]
fn nesting_is_limited_without_overflowing_the_stack() {
    let ok = format!("{}m1{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
    assert_eq!(p(&ok), id("m1"));
    let deep = format!(
        "{}m1{}",
        "(".repeat(MAX_NESTING + 1),
        ")".repeat(MAX_NESTING + 1)
    );
    assert_eq!(
        err(&deep),
        MathError::TooDeep {
            position: MAX_NESTING + 1
        }
    );
    for hostile in [
        "(".repeat(2000),
        "[".repeat(2000),
        "-".repeat(2000) + "m1",
        "NOT ".repeat(500) + "m1",
        "2^".repeat(1000) + "2",
        "ABS(".repeat(500),
    ] {
        assert!(
            matches!(parse(&hostile), Err(MathError::TooDeep { .. })),
            "{}",
            &hostile[..20]
        );
    }
    assert!(
        err(&"(".repeat(2000))
            .to_string()
            .starts_with(messages::TOO_DEEP)
    );
}

#[test]
fn the_deepest_accepted_expressions_evaluate_and_print() {
    let ctx = context(2, &[("m1", "M1", &[1.0, -2.0])]);
    let depth = MAX_NESTING;
    for text in [
        format!("{}m1{}", "ABS(".repeat(depth), ")".repeat(depth)),
        format!("{}m1{}", "1 + (".repeat(depth), ")".repeat(depth)),
        format!("{}m1{}", "SUM([".repeat(depth / 2), "])".repeat(depth / 2)),
        format!("{}{}m1", "NOT ".repeat(depth / 2), "-".repeat(depth / 2)),
        format!("{}m1{}", "FILL(".repeat(depth), ", 0)".repeat(depth)),
    ] {
        let expr = p(&text);
        assert_eq!(p(&expr.to_string()), expr, "{text}");
        assert!(evaluate(&expr, &ctx).is_ok(), "{text}");
    }
}

#[test]
fn text_length_is_limited() {
    let longest = format!("m1{}", " ".repeat(MAX_EXPRESSION_CHARS - 2));
    assert_eq!(p(&longest), id("m1"));
    let e = err(&format!("{longest} "));
    assert_eq!(
        e,
        MathError::TooLong {
            length: MAX_EXPRESSION_CHARS + 1
        }
    );
    assert!(e.to_string().starts_with(messages::TOO_LONG));
}

#[test]
fn long_operator_chains_parse_evaluate_and_print() {
    // The longest chain that fits: m1+m1+... in 2048 characters.
    let terms = (MAX_EXPRESSION_CHARS + 1) / 3;
    let text = vec!["m1"; terms].join("+");
    assert_eq!(text.len(), MAX_EXPRESSION_CHARS);
    let expr = p(&text);
    let ctx = context(2, &[("m1", "M1", &[1.0, 2.0])]);
    super::assert_series(&ctx, &text, &[terms as f64, 2.0 * terms as f64]);
    assert_eq!(expr.references(), vec!["m1".to_owned()]);
    assert_eq!(expr.to_string(), vec!["m1"; terms].join(" + "));
}

#[test]
fn references_are_listed_once_in_order() {
    let e = p(
        "m1 + SUM([m2, m1]) / PERIOD(m3) + FILL(e1, e2) + METRICS(\"m4\") + SORT([m5], AVG, ASC, e3)",
    );
    assert_eq!(e.references(), ["m1", "m2", "m3", "e1", "e2", "m5", "e3"]);
    assert!(p("METRICS() * 2").references().is_empty());
}

#[test]
fn evaluation_order_follows_references() {
    let e1 = p("e2 + m1");
    let e2 = p("m1 * 2");
    let e3 = p("e1 + e2");
    let order = evaluation_order(&[("e3", &e3), ("e1", &e1), ("e2", &e2)], &["m1"]);
    assert_eq!(order, Ok(vec!["e2", "e1", "e3"]));
    let independent = p("m1");
    assert_eq!(
        evaluation_order(&[("a", &independent), ("b", &independent)], &["m1"]),
        Ok(vec!["a", "b"])
    );

    let unknown = p("m9 + 1");
    assert_eq!(
        evaluation_order(&[("e1", &unknown)], &["m1"]),
        Err(MathError::UnknownId {
            id: "m9".to_owned()
        })
    );

    let loop_a = p("e2 + 1");
    let loop_b = p("e3 * 2");
    let loop_c = p("e1");
    let err = evaluation_order(&[("e1", &loop_a), ("e2", &loop_b), ("e3", &loop_c)], &[]);
    assert_eq!(
        err,
        Err(MathError::CircularReference {
            id: "e1".to_owned()
        })
    );
    assert_eq!(
        err.map_err(|e| e.to_string()),
        Err(format!(
            "{} e1 {}",
            messages::CIRCULAR_REFERENCE,
            messages::CIRCULAR_REFERENCE_END
        ))
    );
    let itself = p("e1 + 1");
    assert_eq!(
        evaluation_order(&[("e1", &itself)], &[]),
        Err(MathError::CircularReference {
            id: "e1".to_owned()
        })
    );
}

#[test]
fn evaluating_an_unknown_id_fails() {
    let ctx = context(1, &[("m1", "M1", &[1.0])]);
    let e = evaluate(&p("m1 + m9"), &ctx);
    assert_eq!(
        e,
        Err(MathError::UnknownId {
            id: "m9".to_owned()
        })
    );
    assert_eq!(
        e.map_err(|e| e.to_string()),
        Err(format!("{} m9.", messages::UNKNOWN_ID))
    );
}
