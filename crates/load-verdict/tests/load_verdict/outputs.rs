//! The reports: text summary, summary-export JSON, JUnit XML.

use std::time::Duration;

use load_verdict::{Thresholds, junit::junit_xml, names::*, summary};

use crate::registry;

/// A small finished test: puts of 10..=100 ms, 1 failure in 10, 1000 records, 2 KB sent.
fn finished() -> (load_verdict::Registry, load_verdict::Verdict) {
    let mut r = registry();
    let t = Thresholds::from_cli(&[
        "kinesis_put_record_duration=avg<50,p(95)<100",
        "kinesis_put_record_duration{stream:orders}=max<1000",
        "kinesis_put_record_success_rate=rate>0.99",
        "kinesis_put_record_throughput=count>=100",
        "iterator_age=value<10",
    ])
    .unwrap();
    t.register(&mut r).unwrap();
    for i in 1..=10 {
        r.add_tagged(
            KINESIS_PUT_RECORD_DURATION,
            f64::from(i) * 10.0,
            &[("stream", "orders")],
        )
        .unwrap();
        r.add(KINESIS_PUT_RECORD_SUCCESS_RATE, f64::from(i % 10 != 0))
            .unwrap();
        r.add(KINESIS_PUT_RECORD_THROUGHPUT, 100.0).unwrap();
        r.add("iterator_age", f64::from(i)).unwrap();
        r.add(ITERATIONS, 1.0).unwrap();
        r.add(DATA_SENT, 200.0).unwrap();
    }
    let v = t.evaluate(&r, Duration::from_secs(20));
    (r, v)
}

#[test]
fn text_summary_looks_like_k6() {
    let (r, v) = finished();
    let text = summary::text(&r, &v, &Default::default());
    let expected_thresholds = "
  █ THRESHOLDS 

    iterator_age
    ✗ 'value<10' value=10

    kinesis_put_record_duration
    ✗ 'avg<50' avg=55ms
    ✓ 'p(95)<100' p(95)=95.1ms

      {stream:orders}
      ✓ 'max<1000' max=100ms

    kinesis_put_record_success_rate
    ✗ 'rate>0.99' rate=90.00%

    kinesis_put_record_throughput
    ✓ 'count>=100' count=1000


  █ TOTAL RESULTS 
";
    assert!(text.starts_with(expected_thresholds), "{text}");
    let results = &text[text.find("TOTAL RESULTS").unwrap()..];
    let lines: Vec<&str> = results.lines().collect();
    let line = |prefix: &str| {
        *lines
            .iter()
            .find(|l| l.trim_start().starts_with(prefix))
            .unwrap_or_else(|| panic!("no line {prefix} in\n{text}"))
    };
    assert!(lines.contains(&"    CUSTOM") && lines.contains(&"    EXECUTION"));
    assert!(lines.contains(&"    NETWORK"));
    // The longest name gets three dots; every ':' is in one column.
    assert!(
        line("kinesis_put_record_success_rate")
            .starts_with("    kinesis_put_record_success_rate...: 90.00% 9 out of 10")
    );
    let colon = line("iterations").find(".: ").unwrap();
    for l in lines.iter().filter(|l| l.contains("...")) {
        assert_eq!(l.find(".: "), Some(colon), "{l}");
    }
    assert!(
        line("iterator_age").ends_with(": 10     min=1       max=10"),
        "{text}"
    );
    assert!(line("iterations").ends_with(": 10     0.5/s"), "{text}");
    assert!(line("data_sent").ends_with(": 2.0 kB 100 B/s"), "{text}");
    let trend = line("kinesis_put_record_duration");
    assert!(trend.contains(": avg=55ms min=10ms med=5"), "{trend}");
    assert!(trend.contains("max=100ms p(90)=9"), "{trend}");
    assert!(line("{ stream:orders }").starts_with("      { stream:orders }..."));
    // Sections in k6's order, and the sub-metric right under its metric.
    let pos = |s: &str| text.find(s).unwrap();
    assert!(pos("CUSTOM") < pos("EXECUTION") && pos("EXECUTION") < pos("NETWORK"));
    assert!(pos("    kinesis_put_record_duration...") < pos("{ stream:orders }"));
    assert!(pos("{ stream:orders }") < pos("    kinesis_put_record_success_rate."));
    assert!(text.ends_with("\n\n"));
}

#[test]
fn summary_export_values() {
    let (r, v) = finished();
    let json = summary::export_json(&r, &v, &Default::default());
    assert!(
        json.starts_with("{\n    \""),
        "four-space indent like k6: {json}"
    );
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let m = &doc["metrics"];
    // In the export a threshold is `true` when it FAILED.
    assert_eq!(
        m["kinesis_put_record_duration"]["thresholds"]["avg<50"],
        true
    );
    assert_eq!(
        m["kinesis_put_record_duration"]["thresholds"]["p(95)<100"],
        false
    );
    assert_eq!(m["iterator_age"]["thresholds"]["value<10"], true);
    assert_eq!(
        m["kinesis_put_record_throughput"]["thresholds"]["count>=100"],
        false
    );
    assert_eq!(m["kinesis_put_record_duration"]["avg"], 55);
    assert_eq!(m["kinesis_put_record_duration{stream:orders}"]["max"], 100);
    assert_eq!(m["kinesis_put_record_success_rate"]["value"], 0.9);
    assert_eq!(m["kinesis_put_record_success_rate"]["passes"], 9);
    assert_eq!(m["kinesis_put_record_success_rate"]["fails"], 1);
    assert_eq!(m["kinesis_put_record_throughput"]["count"], 1000);
    assert_eq!(m["kinesis_put_record_throughput"]["rate"], 50);
    assert_eq!(m["data_sent"]["count"], 2000);
    assert!(
        json.contains("\"count\": 1000,"),
        "whole numbers are written as integers"
    );
    // Metrics without samples or thresholds are left out.
    assert!(m.get(END_TO_END_LATENCY).is_none());
    assert_eq!(doc["root_group"]["id"], "d41d8cd98f00b204e9800998ecf8427e");
}

#[test]
fn junit_parses_and_reports_failures() {
    let (_, v) = finished();
    let xml = junit_xml(&v, "streamwatch load <pipeline> & \"co\"");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 1);
    let suite = suites[0];
    assert_eq!(
        suite.attribute("name"),
        Some("streamwatch load <pipeline> & \"co\"")
    );
    assert_eq!(suite.attribute("tests"), Some("6"));
    assert_eq!(suite.attribute("failures"), Some("3"));
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 6);
    let failed: Vec<&str> = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .map(|c| c.attribute("name").unwrap())
        .collect();
    assert_eq!(
        failed,
        [
            "kinesis_put_record_duration avg<50",
            "kinesis_put_record_success_rate rate>0.99",
            "iterator_age value<10"
        ]
    );
    let failure = cases[0]
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(
        failure.attribute("message"),
        Some("threshold 'avg<50' on kinesis_put_record_duration failed: avg=55")
    );
    assert_eq!(
        cases[2].attribute("classname"),
        Some("kinesis_put_record_duration{stream:orders}")
    );
}

#[test]
fn junit_escapes_everything() {
    let mut r = registry();
    let t = Thresholds::from_cli(&["end_to_end_latency{name:<a href='x'>&\u{1}}=max<1"]).unwrap();
    t.register(&mut r).unwrap();
    r.add_tagged(END_TO_END_LATENCY, 5.0, &[("name", "<a href='x'>&\u{1}")])
        .unwrap();
    let v = t.evaluate(&r, Duration::from_secs(1));
    let xml = junit_xml(&v, "s");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase"))
        .unwrap();
    assert_eq!(
        case.attribute("classname"),
        Some("end_to_end_latency{name:<a href='x'>&}")
    );
}
