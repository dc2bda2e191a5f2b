//! Threshold syntax: k6's grammar, operators, sub-metrics, the JSON form and k6's errors.

use std::time::Duration;

use load_verdict::{
    Error, Expression, MetricSelector, Op, Registry, Stat, Thresholds, parse_duration,
};

#[test]
fn every_method_and_operator() {
    let cases = [
        ("avg<50", Stat::Avg, Op::Lt, 50.0),
        ("min<=1", Stat::Min, Op::Le, 1.0),
        ("max>2.5", Stat::Max, Op::Gt, 2.5),
        ("med>=3", Stat::Med, Op::Ge, 3.0),
        ("p(95)==100", Stat::Percentile(95.0), Op::Eq, 100.0),
        ("p(99.9)===7", Stat::Percentile(99.9), Op::StrictEq, 7.0),
        ("count!=0", Stat::Count, Op::Ne, 0.0),
        ("rate < 0.01", Stat::Rate, Op::Lt, 0.01),
        (" value  >=  -4 ", Stat::Value, Op::Ge, -4.0),
        ("rate>1e-3", Stat::Rate, Op::Gt, 0.001),
    ];
    for (src, stat, op, value) in cases {
        let e = Expression::parse(src).unwrap();
        assert_eq!(e, Expression { stat, op, value }, "{src}");
    }
}

#[test]
fn k6_error_texts() {
    let err = |s: &str| Expression::parse(s).unwrap_err().to_string();
    assert_eq!(
        err("avg"),
        "failed parsing threshold expression \"avg\"; reason: malformed threshold expression"
    );
    assert_eq!(
        err("foo<100"),
        "failed parsing threshold expression's \"foo<100\" left hand side; reason: failed \
         parsing method from expression"
    );
    // k6 splits at the first operator in its order, so `<=>` leaves `>100` on the right.
    assert_eq!(
        err("p(95)<=>100"),
        "failed parsing threshold expresion's \"p(95)<=>100\" right hand side; reason: \
         strconv.ParseFloat: parsing \">100\": invalid syntax"
    );
    assert!(err("p(abc)<1").contains("left hand side; reason: malformed percentile value"));
    assert!(err("p(101)<1").contains("malformed percentile value"));
    assert!(err("avg<abc").contains("right hand side"));
    assert!(matches!(
        Expression::parse("avg<"),
        Err(Error::RightHandSide { .. })
    ));
    assert!(matches!(
        Expression::parse("P(95)<1"),
        Err(Error::LeftHandSide { .. })
    ));
    assert!(matches!(
        Expression::parse("average<1"),
        Err(Error::LeftHandSide { .. })
    ));
}

#[test]
fn unsupported_method_is_k6s_error() {
    let mut r = Registry::pipeline();
    let t = Thresholds::from_cli(&["iterations=value>0"]).unwrap();
    let e = t.register(&mut r).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid threshold \"value>0\" applied on metric iterations; reason: unsupported \
         aggregation method value on metric of type counter. supported aggregation methods for \
         this metric are: count, rate"
    );
    assert_eq!(e.exit_code(), 104);
    for (arg, ok) in [
        ("error_rate=rate<0.1", true),
        ("error_rate=count<1", false),
        ("error_rate=avg<1", false),
        ("end_to_end_latency=p(99)<1,avg<1,min<1,max<1,med<1", true),
        ("end_to_end_latency=rate<1", false),
        ("end_to_end_latency=count<1", false),
        ("pipeline_throughput=count>1,rate>1", true),
        ("pipeline_throughput=p(90)<1", false),
    ] {
        let t = Thresholds::from_cli(&[arg]).unwrap();
        assert_eq!(t.register(&mut r).is_ok(), ok, "{arg}");
    }
    let t = Thresholds::from_cli(&["no_such_metric=count>1"]).unwrap();
    assert_eq!(
        t.register(&mut r).unwrap_err().to_string(),
        "invalid threshold defined on no_such_metric; reason: no metric name \"no_such_metric\" found"
    );
}

#[test]
fn cli_form() {
    let t = Thresholds::from_cli(&[
        "kinesis_put_record_duration=avg<50,p(95)<100",
        "kinesis_put_record_duration=max<=500",
        "end_to_end_latency{stream:orders}=p(99)<2000",
        "error_rate=rate==0",
    ])
    .unwrap();
    let m = t.metrics();
    assert_eq!(m.len(), 3);
    assert_eq!(m[0].selector.name, "kinesis_put_record_duration");
    let srcs: Vec<&str> = m[0].thresholds.iter().map(|t| t.source.as_str()).collect();
    assert_eq!(srcs, ["avg<50", "p(95)<100", "max<=500"]);
    assert_eq!(m[1].selector.metric, "end_to_end_latency");
    assert_eq!(
        m[1].selector.tags,
        [("stream".to_owned(), "orders".to_owned())]
    );
    assert_eq!(m[2].thresholds[0].expression.op, Op::Eq);
    assert!(
        m.iter()
            .flat_map(|m| &m.thresholds)
            .all(|t| !t.abort_on_fail)
    );
    for bad in ["error_rate", "=rate<1", "error_rate=", "error_rate=rate<1,"] {
        assert!(Thresholds::from_cli(&[bad]).is_err(), "{bad}");
    }
    // A tag value may hold '=': the name ends after its braces.
    let t = Thresholds::from_cli(&["end_to_end_latency{url:http://a/?x=1}=max<1"]).unwrap();
    assert_eq!(t.metrics()[0].selector.tags[0].1, "http://a/?x=1");
}

#[test]
fn json_form() {
    let t = Thresholds::from_json(
        r#"{
            "error_rate": [{"threshold": "rate<0.1", "abortOnFail": true, "delayAbortEval": "10s"}],
            "kinesis_put_record_duration": ["p(95)<100", {"threshold": "avg<50"}],
            "kinesis_throttling_rate": [{"threshold": "rate<0.5", "abortOnFail": true, "delayAbortEval": 1500}]
        }"#,
    )
    .unwrap();
    let get = |name: &str| {
        t.metrics()
            .iter()
            .find(|m| m.selector.name == name)
            .unwrap()
    };
    let e = &get("error_rate").thresholds[0];
    assert!(e.abort_on_fail);
    assert_eq!(e.delay_abort_eval, Some(Duration::from_secs(10)));
    let d = &get("kinesis_put_record_duration").thresholds;
    assert_eq!(
        (d[0].source.as_str(), d[1].source.as_str()),
        ("p(95)<100", "avg<50")
    );
    assert!(!d[1].abort_on_fail && d[1].delay_abort_eval.is_none());
    let k = &get("kinesis_throttling_rate").thresholds[0];
    assert_eq!(k.delay_abort_eval, Some(Duration::from_millis(1500)));
    for bad in [
        r#"["rate<1"]"#,
        r#"{"error_rate": "rate<1"}"#,
        r#"{"error_rate": [{"abortOnFail": true}]}"#,
        r#"{"error_rate": [{"threshold": "rate<1", "delayAbortEval": "soon"}]}"#,
        r#"{"error_rate": [{"threshold": "rate<1", "abortOnFail": "yes"}]}"#,
        r#"{"error_rate": [7]}"#,
    ] {
        assert!(Thresholds::from_json(bad).is_err(), "{bad}");
    }
}

#[test]
fn durations() {
    let ok = [
        ("10s", 10_000),
        ("1m30s", 90_000),
        ("500ms", 500),
        ("1.5h", 5_400_000),
        ("250", 250),
        ("1d", 86_400_000),
        ("1d2h", 93_600_000),
        ("0", 0),
    ];
    for (s, ms) in ok {
        assert_eq!(parse_duration(s).unwrap(), Duration::from_millis(ms), "{s}");
    }
    for s in ["", "soon", "-5s", "10x", "s", "1d-2h"] {
        assert!(parse_duration(s).is_err(), "{s:?}");
    }
    assert_eq!(
        parse_duration("soon").unwrap_err().to_string(),
        "time: invalid duration \"soon\""
    );
}

#[test]
fn metric_selectors() {
    let s = MetricSelector::parse("end_to_end_latency{ stream : 'orders' ,shard:\"0\"}").unwrap();
    assert_eq!(s.metric, "end_to_end_latency");
    assert_eq!(
        s.tags,
        [
            ("stream".into(), "orders".into()),
            ("shard".into(), "0".into())
        ]
    );
    for (bad, why) in [
        ("m{a:b", "unmatched opening/close curly brace"),
        ("m}a:b{", "closing curly brace appears before opening one"),
        (
            "m{a:b}x",
            "lacks a closing curly brace in its last position",
        ),
        ("m{a}", "tag expression is malformed"),
    ] {
        let e = MetricSelector::parse(bad).unwrap_err().to_string();
        assert!(
            e.starts_with("parsing metric name failed, ") && e.contains(why),
            "{e}"
        );
    }
}
