//! Evaluation: every kind, method and operator; k6's empty-metric rules; abortOnFail.

use std::time::Duration;

use load_verdict::{Outcome, Registry, Stat, Thresholds, names::*};

use crate::{judge, registry};

fn outcome(r: &mut Registry, arg: &str, secs: u64) -> bool {
    judge(r, &[arg], secs).passed()
}

#[test]
fn trend_methods() {
    let mut r = registry();
    for v in 1..=100 {
        r.add(END_TO_END_LATENCY, f64::from(v)).unwrap();
    }
    let m = r.get(END_TO_END_LATENCY).unwrap();
    let e = Duration::from_secs(1);
    assert_eq!(m.stat(Stat::Avg, e), Some(50.5));
    assert_eq!(m.stat(Stat::Min, e), Some(1.0));
    assert_eq!(m.stat(Stat::Max, e), Some(100.0));
    assert_eq!(m.stat(Stat::Count, e), Some(100.0));
    // k6's interpolation between order statistics, each within 1%.
    let close = |s: Stat, want: f64| {
        let got = m.stat(s, e).unwrap();
        assert!(
            (got - want).abs() <= want * 0.01 + 1e-9,
            "{s}: {got} vs {want}"
        );
    };
    close(Stat::Med, 50.5);
    close(Stat::Percentile(90.0), 90.1);
    close(Stat::Percentile(95.0), 95.05);
    close(Stat::Percentile(99.9), 99.901);
    assert_eq!(m.stat(Stat::Percentile(0.0), e), Some(1.0));
    assert_eq!(m.stat(Stat::Percentile(100.0), e), Some(100.0));

    for (arg, pass) in [
        ("end_to_end_latency=avg<51", true),
        ("end_to_end_latency=avg<50", false),
        ("end_to_end_latency=avg==50.5", true),
        ("end_to_end_latency=avg===50.5", true),
        ("end_to_end_latency=avg!=50.5", false),
        ("end_to_end_latency=min>=1", true),
        ("end_to_end_latency=min>1", false),
        ("end_to_end_latency=max<=100", true),
        ("end_to_end_latency=max<100", false),
        ("end_to_end_latency=med<60", true),
        ("end_to_end_latency=med>60", false),
        ("end_to_end_latency=p(95)<100", true),
        ("end_to_end_latency=p(95)<90", false),
        ("end_to_end_latency=p(99.9)>98", true),
    ] {
        assert_eq!(outcome(&mut r, arg, 1), pass, "{arg}");
    }
}

#[test]
fn equal_samples_give_exact_percentiles() {
    let mut r = registry();
    for _ in 0..1000 {
        r.add(END_TO_END_LATENCY, 5.0).unwrap();
    }
    assert!(outcome(
        &mut r,
        "end_to_end_latency=med==5,p(99)==5,p(50)===5",
        1
    ));
}

#[test]
fn rate_counter_gauge() {
    let mut r = registry();
    for i in 0..200 {
        r.add(ERROR_RATE, if i % 10 == 0 { 1.0 } else { 0.0 })
            .unwrap();
        r.add(KINESIS_PUT_RECORD_THROUGHPUT, 5.0).unwrap();
        r.add("iterator_age", f64::from(i % 7)).unwrap();
    }
    r.add("iterator_age", 3.0).unwrap();
    for (arg, pass) in [
        ("error_rate=rate==0.1", true),
        ("error_rate=rate<0.1", false),
        ("error_rate=rate<=0.1", true),
        ("error_rate=rate>0.05", true),
        ("error_rate=rate>=0.11", false),
        ("kinesis_put_record_throughput=count==1000", true),
        ("kinesis_put_record_throughput=count>1000", false),
        // 1000 records over 10 s.
        ("kinesis_put_record_throughput=rate==100", true),
        ("kinesis_put_record_throughput=rate<100", false),
        ("iterator_age=value==3", true),
        ("iterator_age=value!=3", false),
        ("iterator_age=value>6", false),
    ] {
        assert_eq!(outcome(&mut r, arg, 10), pass, "{arg}");
    }
    let m = r.get(ERROR_RATE).unwrap();
    let e = Duration::ZERO;
    assert_eq!(m.stat(Stat::Passes, e), Some(20.0));
    assert_eq!(m.stat(Stat::Fails, e), Some(180.0));
    let g = r.get("iterator_age").unwrap();
    assert_eq!(
        (g.stat(Stat::Min, e), g.stat(Stat::Max, e)),
        (Some(0.0), Some(6.0))
    );
}

#[test]
fn empty_metrics_follow_k6() {
    let mut r = registry();
    // No samples: a rate's rate and a counter's rate at zero time are undefined and pass;
    // an empty trend answers 0; an empty counter counts 0.
    assert!(outcome(&mut r, "error_rate=rate>0.9", 10));
    assert!(outcome(&mut r, "pipeline_throughput=rate>5", 0));
    assert!(!outcome(&mut r, "pipeline_throughput=count>0", 10));
    assert!(!outcome(&mut r, "end_to_end_latency=avg>0", 10));
    assert!(outcome(&mut r, "end_to_end_latency=p(99)==0", 10));

    // While running, metrics without samples are not judged.
    let t = Thresholds::from_cli(&["pipeline_throughput=count>0"]).unwrap();
    t.register(&mut r).unwrap();
    let v = t.evaluate_during_run(&r, Duration::from_secs(3));
    assert_eq!(v.results[0].outcome, Outcome::Pending);
    assert!(v.passed());
    r.add(PIPELINE_THROUGHPUT, 0.0).unwrap();
    let v = t.evaluate_during_run(&r, Duration::from_secs(3));
    assert_eq!(v.results[0].outcome, Outcome::Failed);
}

#[test]
fn samples_must_be_finite_and_defined() {
    let mut r = registry();
    assert!(r.add(ERROR_RATE, f64::NAN).is_err());
    assert!(r.add(ERROR_RATE, f64::INFINITY).is_err());
    assert!(r.add("nope", 1.0).is_err());
    assert!(
        r.define(
            "1abc",
            load_verdict::Kind::Counter,
            load_verdict::Contains::Default
        )
        .is_err()
    );
    assert!(
        r.define(
            ERROR_RATE,
            load_verdict::Kind::Trend,
            load_verdict::Contains::Time
        )
        .is_err()
    );
}

#[test]
fn submetrics_count_tagged_samples() {
    let mut r = registry();
    let t = Thresholds::from_cli(&[
        "end_to_end_latency{stream:orders}=max<100",
        "end_to_end_latency{stream:orders,shard:1}=max<100",
        "end_to_end_latency=max<100",
    ])
    .unwrap();
    t.register(&mut r).unwrap();
    r.add_tagged(
        END_TO_END_LATENCY,
        50.0,
        &[("stream", "orders"), ("shard", "0")],
    )
    .unwrap();
    r.add_tagged(
        END_TO_END_LATENCY,
        70.0,
        &[("stream", "orders"), ("shard", "1")],
    )
    .unwrap();
    r.add_tagged(END_TO_END_LATENCY, 500.0, &[("stream", "clicks")])
        .unwrap();
    let v = t.evaluate(&r, Duration::from_secs(1));
    let by = |m: &str| v.results.iter().find(|x| x.metric == m).unwrap();
    assert_eq!(by("end_to_end_latency{stream:orders}").observed, Some(70.0));
    assert_eq!(
        by("end_to_end_latency{stream:orders,shard:1}").observed,
        Some(70.0)
    );
    assert_eq!(by("end_to_end_latency").outcome, Outcome::Failed);
    assert_eq!(
        by("end_to_end_latency{stream:orders}").outcome,
        Outcome::Passed
    );
    let sub = r.get("end_to_end_latency{stream:orders}").unwrap();
    assert_eq!(sub.stat(Stat::Count, Duration::ZERO), Some(2.0));
    // The same tags written another way find the same sub-metric.
    assert!(r.get("end_to_end_latency{ stream : \"orders\" }").is_some());
    assert_eq!(v.crossed_metrics(), ["end_to_end_latency"]);
}

#[test]
fn abort_waits_for_delay_abort_eval() {
    let mut r = registry();
    let t = Thresholds::from_json(
        r#"{"error_rate": [{"threshold": "rate<0.1", "abortOnFail": true, "delayAbortEval": "10s"}],
            "kinesis_throttling_rate": [{"threshold": "rate<0.5", "abortOnFail": false}]}"#,
    )
    .unwrap();
    t.register(&mut r).unwrap();
    let at = |s: u64| Duration::from_secs(s);
    // No samples: nothing to judge, no abort.
    assert!(!t.should_abort(&r, at(30)));
    r.add(KINESIS_THROTTLING_RATE, 1.0).unwrap();
    // A failure without abortOnFail never aborts.
    assert!(!t.should_abort(&r, at(30)));
    r.add(ERROR_RATE, 1.0).unwrap();
    assert!(!t.should_abort(&r, at(5)));
    // k6 aborts once the elapsed time is strictly past the delay.
    assert!(!t.should_abort(&r, at(10)));
    assert!(t.should_abort(&r, Duration::from_millis(10_001)));
    let v = t.evaluate_during_run(&r, at(11));
    assert_eq!(
        v.message().unwrap(),
        "thresholds on metrics 'error_rate, kinesis_throttling_rate' were crossed; at least one \
         has abortOnFail enabled, stopping test prematurely"
    );
    assert_eq!(v.exit_code(), 99);
    // Recovered: passing thresholds do not abort.
    for _ in 0..100 {
        r.add(ERROR_RATE, 0.0).unwrap();
    }
    assert!(!t.should_abort(&r, at(60)));
    let v = t.evaluate(&r, at(60));
    assert_eq!(
        v.message().unwrap(),
        "thresholds on metrics 'kinesis_throttling_rate' have been crossed"
    );
}

#[test]
fn abort_without_delay_is_immediate() {
    let mut r = registry();
    let t =
        Thresholds::from_json(r#"{"error_rate": [{"threshold": "rate==0", "abortOnFail": true}]}"#)
            .unwrap();
    t.register(&mut r).unwrap();
    r.add(ERROR_RATE, 1.0).unwrap();
    assert!(t.should_abort(&r, Duration::ZERO));
}

#[test]
fn merged_registries_judge_like_one() {
    let t = Thresholds::from_cli(&["end_to_end_latency{stream:a}=max<10", "error_rate=rate<0.5"])
        .unwrap();
    let mut workers = [registry(), registry()];
    for w in &mut workers {
        t.register(w).unwrap();
    }
    workers[0]
        .add_tagged(END_TO_END_LATENCY, 5.0, &[("stream", "a")])
        .unwrap();
    workers[1]
        .add_tagged(END_TO_END_LATENCY, 20.0, &[("stream", "a")])
        .unwrap();
    workers[0].add(ERROR_RATE, 1.0).unwrap();
    workers[1].add(ERROR_RATE, 0.0).unwrap();
    workers[1].add(ERROR_RATE, 0.0).unwrap();
    let [mut total, other] = workers;
    total.merge(&other).unwrap();
    let v = t.evaluate(&total, Duration::from_secs(1));
    assert_eq!(v.results[0].observed, Some(20.0));
    assert!(v.results[0].failed());
    assert_eq!(v.results[1].observed, Some(1.0 / 3.0));
    assert!(!v.results[1].failed());
}

#[test]
fn pipeline_names_are_defined_once() {
    let r = Registry::pipeline();
    assert_eq!(r.metrics().count(), load_verdict::names::pipeline().count());
    for (name, kind, _) in load_verdict::names::pipeline() {
        assert_eq!(r.get(name).unwrap().kind(), kind, "{name}");
    }
}
