//! `streamwatch alarms rules --format prometheus` judged by the real `promtool`: the file
//! passes `promtool check rules`, and `promtool test rules` makes every rule fire on series
//! that breach it and stay silent on series that do not. The collector's own counters are
//! checked as counters, and by `promtool check metrics`.
//!
//! promtool comes from Debian's `prometheus` package, which scripts/test.sh installs; these
//! tests fail, rather than skip, without it.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Runs promtool in `dir` with `stdin`; returns whether it succeeded, and its whole output.
fn promtool(dir: &Path, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    use std::io::Write as _;
    let mut child = Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "promtool could not start ({e}): run the tests with scripts/test.sh, which \
                 installs it (Debian package prometheus)"
            )
        });
    let mut input = child.stdin.take().unwrap();
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let all = format!(
        "promtool {args:?} exited with {}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), stdout, all)
}

/// Runs `streamwatch alarms rules` with `args`; returns its stdout.
fn alarms_rules(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["alarms", "rules", "--format", "prometheus"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Input series as promtool reads them: the series and its values in expanding notation.
type Series = Vec<(String, &'static str)>;

/// One rule's test: series that breach it (for resource `r`) and series that do not, and the
/// alert it raises.
struct Case {
    alert: &'static str,
    /// The resource the series are of (a stream, a function, or a region for the collector),
    /// and another one that breaches too.
    resources: [&'static str; 2],
    /// Whether `--stream orders --function ingest` narrows the rule to `resources[0]`.
    filtered: bool,
    breaching: fn(&str) -> Series,
    /// When the breach has lasted long enough to fire.
    fires_at: &'static str,
    /// A time the breach has not lasted long enough yet (rules with a `for`).
    pending_at: Option<&'static str>,
    calm: fn(&str) -> Series,
    /// Times at which the calm series must raise nothing.
    calm_at: &'static [&'static str],
    /// The alert's labels (severity included) for a resource.
    labels: fn(&str) -> Value,
    /// Its summary and description for a resource.
    annotations: fn(&str) -> (String, String),
}

fn kinesis(metric: &str, stream: &str, values: &'static str) -> (String, &'static str) {
    (
        format!(r#"{metric}{{region="us-east-1",stream_name="{stream}"}}"#),
        values,
    )
}

fn lambda(metric: &str, function: &str, values: &'static str) -> (String, &'static str) {
    (
        format!(r#"{metric}{{function_name="{function}",region="us-east-1"}}"#),
        values,
    )
}

/// A kinesis-client series of the application scraped as `job="app"`.
fn client(metric: &str, stream: &str, extra: &str, values: &'static str) -> (String, &'static str) {
    (
        format!(
            r#"streamwatch_{metric}{{instance="app:9100",job="app",stream_name="{stream}"{extra}}}"#
        ),
        values,
    )
}

fn aws_labels(label: &str, resource: &str, severity: &str) -> Value {
    json!({"severity": severity, "region": "us-east-1", label: resource})
}

fn client_labels(stream: &str, severity: &str) -> Value {
    json!({"severity": severity, "instance": "app:9100", "job": "app", "stream_name": stream})
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            alert: "KinesisIteratorAgeHigh",
            resources: ["orders", "clicks"],
            filtered: true,
            breaching: |s| {
                vec![kinesis(
                    "aws_kinesis_get_records_iterator_age_milliseconds_maximum",
                    s,
                    "70000x15",
                )]
            },
            fires_at: "10m",
            pending_at: Some("4m"),
            calm: |s| {
                vec![kinesis(
                    "aws_kinesis_get_records_iterator_age_milliseconds_maximum",
                    s,
                    "30000x15",
                )]
            },
            calm_at: &["10m"],
            labels: |s| aws_labels("stream_name", s, "warning"),
            annotations: |s| {
                (
                    format!("Consumers of stream {s} are behind"),
                    format!(
                        "GetRecords.IteratorAgeMilliseconds (Maximum) of stream {s} in us-east-1 is 70000 ms, above 60000 ms: records wait that long before a consumer reads them."
                    ),
                )
            },
        },
        Case {
            alert: "KinesisWriteThrottled",
            resources: ["orders", "clicks"],
            filtered: true,
            breaching: |s| {
                vec![kinesis(
                    "aws_kinesis_write_provisioned_throughput_exceeded_sum",
                    s,
                    "12x15",
                )]
            },
            fires_at: "10m",
            pending_at: Some("4m"),
            calm: |s| {
                vec![kinesis(
                    "aws_kinesis_write_provisioned_throughput_exceeded_sum",
                    s,
                    "0x15",
                )]
            },
            calm_at: &["10m"],
            labels: |s| aws_labels("stream_name", s, "warning"),
            annotations: |s| {
                (
                    format!("Writes to stream {s} are throttled"),
                    format!(
                        "Stream {s} in us-east-1 refused 12 writes in the last period (WriteProvisionedThroughputExceeded): the producers exceed the shards' write capacity."
                    ),
                )
            },
        },
        Case {
            alert: "LambdaErrorRateHigh",
            resources: ["ingest", "enrich"],
            filtered: true,
            breaching: |f| {
                vec![
                    lambda("aws_lambda_errors_sum", f, "5x15"),
                    lambda("aws_lambda_invocations_sum", f, "100x15"),
                ]
            },
            fires_at: "10m",
            pending_at: Some("4m"),
            // No errors first; then errors in periods without invocations (no division by
            // zero: 1 / 0 would be +Inf).
            calm: |f| {
                vec![
                    lambda("aws_lambda_errors_sum", f, "0x7 1x7"),
                    lambda("aws_lambda_invocations_sum", f, "100x7 0x7"),
                ]
            },
            calm_at: &["7m", "14m"],
            labels: |f| aws_labels("function_name", f, "critical"),
            annotations: |f| {
                (
                    format!("Function {f} fails more than 1% of its invocations"),
                    format!(
                        "5% of the invocations of function {f} in us-east-1 ended in an error (Errors / Invocations, threshold 1%)."
                    ),
                )
            },
        },
        Case {
            alert: "LambdaThrottled",
            resources: ["ingest", "enrich"],
            filtered: true,
            breaching: |f| vec![lambda("aws_lambda_throttles_sum", f, "3x15")],
            fires_at: "10m",
            pending_at: Some("4m"),
            calm: |f| vec![lambda("aws_lambda_throttles_sum", f, "0x15")],
            calm_at: &["10m"],
            labels: |f| aws_labels("function_name", f, "warning"),
            annotations: |f| {
                (
                    format!("Function {f} is throttled"),
                    format!(
                        "Function {f} in us-east-1 had 3 throttled invocation requests in the last period: it has no concurrency left."
                    ),
                )
            },
        },
        Case {
            alert: "LambdaDurationNearTimeout",
            resources: ["ingest", "enrich"],
            filtered: true,
            breaching: |f| vec![lambda("aws_lambda_duration_p99", f, "2900x15")],
            fires_at: "10m",
            pending_at: Some("4m"),
            calm: |f| vec![lambda("aws_lambda_duration_p99", f, "2000x15")],
            calm_at: &["10m"],
            labels: |f| aws_labels("function_name", f, "warning"),
            annotations: |f| {
                (
                    format!("Function {f} runs close to its timeout"),
                    format!(
                        "Duration p99 of function {f} in us-east-1 is 2900 ms, above 80% of its 3000 ms timeout."
                    ),
                )
            },
        },
        Case {
            alert: "LambdaConcurrencyNearLimit",
            resources: ["ingest", "enrich"],
            filtered: true,
            breaching: |f| {
                vec![lambda(
                    "aws_lambda_concurrent_executions_maximum",
                    f,
                    "900x15",
                )]
            },
            fires_at: "10m",
            pending_at: Some("4m"),
            calm: |f| {
                vec![lambda(
                    "aws_lambda_concurrent_executions_maximum",
                    f,
                    "700x15",
                )]
            },
            calm_at: &["10m"],
            labels: |f| aws_labels("function_name", f, "warning"),
            annotations: |f| {
                (
                    format!("Function {f} nears its concurrency limit"),
                    format!(
                        "ConcurrentExecutions (Maximum) of function {f} in us-east-1 is 900, above 80% of the limit of 1000."
                    ),
                )
            },
        },
        Case {
            alert: "KinesisProducerErrors",
            resources: ["orders", "clicks"],
            filtered: true,
            // 60 failed records a minute (1/s) over two error types: the rule adds them up
            // per producer.
            breaching: |s| {
                vec![
                    client(
                        "producer_errors_total",
                        s,
                        r#",error_type="ProvisionedThroughputExceededException""#,
                        "0+30x20",
                    ),
                    client(
                        "producer_errors_total",
                        s,
                        r#",error_type="InternalFailure""#,
                        "0+30x20",
                    ),
                ]
            },
            fires_at: "15m",
            pending_at: Some("5m"),
            calm: |s| {
                vec![client(
                    "producer_errors_total",
                    s,
                    r#",error_type="InternalFailure""#,
                    "0+3x20",
                )]
            },
            calm_at: &["15m"],
            labels: |s| client_labels(s, "critical"),
            annotations: |s| {
                (
                    format!("Producers of stream {s} fail to deliver records"),
                    format!(
                        "kinesis-client producers of stream {s} fail 1.00 records/s (threshold 0.1/s)."
                    ),
                )
            },
        },
        Case {
            alert: "KinesisConsumerBehind",
            resources: ["orders", "clicks"],
            filtered: true,
            // One shard far behind, one not: the worst one counts.
            breaching: |s| {
                vec![
                    client(
                        "consumer_iterator_age_milliseconds",
                        s,
                        r#",shard_id="shardId-000000000000""#,
                        "90000x20",
                    ),
                    client(
                        "consumer_iterator_age_milliseconds",
                        s,
                        r#",shard_id="shardId-000000000001""#,
                        "1000x20",
                    ),
                ]
            },
            fires_at: "15m",
            pending_at: Some("9m"),
            calm: |s| {
                vec![client(
                    "consumer_iterator_age_milliseconds",
                    s,
                    r#",shard_id="shardId-000000000000""#,
                    "1000x20",
                )]
            },
            calm_at: &["15m"],
            labels: |s| client_labels(s, "warning"),
            annotations: |s| {
                (
                    format!("A consumer of stream {s} is behind"),
                    format!(
                        "A kinesis-client consumer of stream {s} is 90000 ms behind the tip of a shard (MillisBehindLatest, threshold 60000 ms)."
                    ),
                )
            },
        },
        // Resharding seen by the events counter (the open-shard count unchanged).
        Case {
            alert: "KinesisStreamResharded",
            resources: ["orders", "clicks"],
            filtered: true,
            breaching: |s| {
                vec![
                    client("stream_resharding_events_total", s, "", "1x5 2x15"),
                    client("stream_shards_active", s, "", "2x20"),
                ]
            },
            fires_at: "8m",
            pending_at: None,
            calm: |s| {
                vec![
                    client("stream_resharding_events_total", s, "", "1x20"),
                    client("stream_shards_active", s, "", "2x20"),
                ]
            },
            calm_at: &["15m"],
            labels: |s| client_labels(s, "warning"),
            annotations: |s| {
                (
                    format!("Stream {s} was resharded"),
                    format!(
                        "kinesis-client saw the shards of stream {s} change in the last 10 minutes (1 resharding events or open-shard count changes)."
                    ),
                )
            },
        },
        // Resharding seen by the open-shard count alone (the counter's first event is its
        // first sample, so it shows no increase), and over once the window has passed.
        Case {
            alert: "KinesisStreamResharded",
            resources: ["orders", "clicks"],
            filtered: true,
            breaching: |s| {
                vec![
                    client("stream_resharding_events_total", s, "", "_x5 1x15"),
                    client("stream_shards_active", s, "", "2x5 3x15"),
                ]
            },
            fires_at: "8m",
            pending_at: None,
            calm: |s| {
                vec![
                    client("stream_resharding_events_total", s, "", "_x5 1x15"),
                    client("stream_shards_active", s, "", "2x5 3x15"),
                ]
            },
            calm_at: &["17m"],
            labels: |s| client_labels(s, "warning"),
            annotations: |s| {
                (
                    format!("Stream {s} was resharded"),
                    format!(
                        "kinesis-client saw the shards of stream {s} change in the last 10 minutes (1 resharding events or open-shard count changes)."
                    ),
                )
            },
        },
        Case {
            alert: "StreamwatchCollectorStale",
            resources: ["us-east-1", "eu-west-1"],
            // The collector rule names no stream or function.
            filtered: false,
            // A cycle a minute until 5m, then none.
            breaching: |region| {
                vec![(
                    format!(
                        r#"streamwatch_collector_last_success_timestamp_seconds{{instance="collector:9107",job="streamwatch",region="{region}"}}"#
                    ),
                    "0+60x5 300x15",
                )]
            },
            fires_at: "15m",
            pending_at: None,
            calm: |region| {
                vec![(
                    format!(
                        r#"streamwatch_collector_last_success_timestamp_seconds{{instance="collector:9107",job="streamwatch",region="{region}"}}"#
                    ),
                    "0+60x20",
                )]
            },
            calm_at: &["15m"],
            labels: |region| {
                json!({
                    "severity": "critical",
                    "instance": "collector:9107",
                    "job": "streamwatch",
                    "region": region,
                })
            },
            annotations: |region| {
                (
                    format!("streamwatch collect has no fresh data for {region}"),
                    format!(
                        "The last error-free cycle of streamwatch collect in {region} ended 10m 0s ago (threshold 300 s): the CloudWatch series are stale."
                    ),
                )
            },
        },
    ]
}

fn input_series(series: Series) -> Vec<Value> {
    series
        .into_iter()
        .map(|(series, values)| json!({"series": series, "values": values}))
        .collect()
}

/// The promtool unit-test file for `rule_file` (JSON, which YAML reads as it is). With
/// `filtered`, the rules were generated with `--stream orders --function ingest`, so the
/// other resource's breach raises nothing.
fn unit_tests(rule_file: &str, filtered: bool) -> Value {
    let mut tests = Vec::new();
    for case in cases() {
        let [target, other] = case.resources;
        let mut series = (case.breaching)(target);
        series.extend((case.breaching)(other));
        let mut firing = vec![target];
        if !(filtered && case.filtered) {
            firing.push(other);
        }
        let exp_alerts: Vec<Value> = firing
            .iter()
            .map(|r| {
                let (summary, description) = (case.annotations)(r);
                json!({
                    "exp_labels": (case.labels)(r),
                    "exp_annotations": {"summary": summary, "description": description},
                })
            })
            .collect();
        let mut checks = vec![json!({
            "eval_time": case.fires_at,
            "alertname": case.alert,
            "exp_alerts": exp_alerts,
        })];
        if let Some(at) = case.pending_at {
            checks.push(json!({"eval_time": at, "alertname": case.alert, "exp_alerts": []}));
        }
        tests.push(json!({
            "name": format!("{} fires", case.alert),
            "interval": "1m",
            "input_series": input_series(series),
            "alert_rule_test": checks,
        }));
        let checks: Vec<Value> = case
            .calm_at
            .iter()
            .map(|at| json!({"eval_time": at, "alertname": case.alert, "exp_alerts": []}))
            .collect();
        tests.push(json!({
            "name": format!("{} stays silent", case.alert),
            "interval": "1m",
            "input_series": input_series((case.calm)(target)),
            "alert_rule_test": checks,
        }));
    }
    json!({
        "rule_files": [rule_file],
        "evaluation_interval": "1m",
        "tests": tests,
    })
}

#[test]
fn promtool_accepts_the_rules_and_each_fires_and_stays_silent() {
    let dir = tempfile::tempdir().unwrap();
    for (rules, tests, filters) in [
        ("rules.yml", "tests.yml", &[][..]),
        (
            "filtered.yml",
            "tests-filtered.yml",
            &["--stream", "orders", "--function", "ingest"][..],
        ),
    ] {
        let path = dir.path().join(rules);
        let printed = alarms_rules(filters);
        let mut args = filters.to_vec();
        args.extend(["--output", path.to_str().unwrap()]);
        assert_eq!(alarms_rules(&args), "", "nothing on stdout with --output");
        let written = std::fs::read_to_string(&path).unwrap();
        assert_eq!(written, printed, "--output writes what stdout shows");

        let (ok, stdout, all) = promtool(dir.path(), &["check", "rules", rules], None);
        assert!(ok, "{all}\n{written}");
        assert!(stdout.contains("SUCCESS: 10 rules found"), "{all}");

        let test_file = unit_tests(rules, !filters.is_empty());
        std::fs::write(
            dir.path().join(tests),
            serde_json::to_string_pretty(&test_file).unwrap(),
        )
        .unwrap();
        let (ok, stdout, all) = promtool(dir.path(), &["test", "rules", tests], None);
        assert!(ok && stdout.contains("SUCCESS"), "{all}\n{written}");
    }
}

/// A test that cannot fail proves nothing: promtool must catch a rule that alerts on the
/// wrong side of its threshold.
#[test]
fn promtool_tests_catch_a_wrong_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let rules = alarms_rules(&["--iterator-age-ms", "80000"]);
    std::fs::write(dir.path().join("rules.yml"), rules).unwrap();
    let test_file = unit_tests("rules.yml", false);
    std::fs::write(dir.path().join("tests.yml"), test_file.to_string()).unwrap();
    let (ok, _, all) = promtool(dir.path(), &["test", "rules", "tests.yml"], None);
    assert!(!ok, "{all}");
    assert!(all.contains("KinesisIteratorAgeHigh"), "{all}");
}

fn http_get(addr: &str, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
        .ok()?;
    let mut page = String::new();
    s.read_to_string(&mut page).ok()?;
    Some(page.split_once("\r\n\r\n")?.1.to_string())
}

/// The value of the first sample line of `page` that starts with `prefix`.
fn sample(page: &str, prefix: &str) -> Option<f64> {
    page.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// The collector's API calls and errors are counters, cumulative across cycles, with `_total`
/// names; promtool's metric lint finds nothing to say about its own families.
#[test]
fn the_collectors_counters_are_counters_that_grow() {
    let engine_port = super::free_port().to_string();
    let (mut engine, endpoint) = super::serve(&["--port", &engine_port]);
    let listen = format!("127.0.0.1:{}", super::free_port());
    let mut collect = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args([
            "collect",
            "--interval",
            "1s",
            "--delay",
            "0s",
            "--period",
            "1",
        ])
        .args(["--endpoint", &endpoint, "--listen", &listen])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let calls =
        r#"streamwatch_collector_api_calls_total{operation="ListStreams",region="us-east-1"} "#;
    let mut pages = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        let Some(page) = http_get(&listen, "/metrics") else {
            continue;
        };
        let Some(value) = sample(&page, calls) else {
            continue;
        };
        if pages.last().is_none_or(|(v, _)| value > *v) {
            pages.push((value, page));
        }
        if pages.len() == 2 {
            break;
        }
    }
    let _ = collect.kill();
    let out = collect.wait_with_output().unwrap();
    super::interrupt(&engine);
    super::wait_exit(&mut engine, Duration::from_secs(10));
    assert_eq!(
        pages.len(),
        2,
        "two cycles with growing ListStreams calls: {:?}\n{}",
        pages.iter().map(|(v, _)| v).collect::<Vec<_>>(),
        String::from_utf8_lossy(&out.stderr)
    );
    let (first, _) = &pages[0];
    let (second, page) = &pages[1];
    assert!(second > first, "{page}");
    assert!(
        page.contains("# TYPE streamwatch_collector_api_calls_total counter\n"),
        "{page}"
    );
    assert!(
        page.contains("# TYPE streamwatch_collector_errors_total counter\n"),
        "{page}"
    );
    assert_eq!(
        sample(
            page,
            r#"streamwatch_collector_errors_total{region="us-east-1"} "#
        ),
        Some(0.0),
        "{page}"
    );
    assert!(
        page.contains("# TYPE streamwatch_collector_cycle_duration_seconds gauge\n"),
        "{page}"
    );
    assert!(!page.contains("streamwatch_collector_api_calls{"), "{page}");

    // promtool lints the collector's own families. (The aws_* families keep the CloudWatch
    // exporters' convention, e.g. `_sum` and `_sample_count` on gauges, which its lint flags.)
    let mut own = String::new();
    let mut keep = false;
    for line in page.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            keep = rest.starts_with("streamwatch_collector_");
        }
        if keep {
            own.push_str(line);
            own.push('\n');
        }
    }
    assert!(
        own.contains("streamwatch_collector_last_success_timestamp_seconds"),
        "{own}"
    );
    let dir = tempfile::tempdir().unwrap();
    let (ok, stdout, all) = promtool(dir.path(), &["check", "metrics"], Some(&own));
    assert!(ok && stdout.trim().is_empty(), "{all}\n{own}");
}

/// The alerts over collected series, whose labels the YACE style names differently.
const COLLECTED_ALERTS: &[&str] = &[
    "KinesisIteratorAgeHigh",
    "KinesisWriteThrottled",
    "LambdaErrorRateHigh",
    "LambdaThrottled",
    "LambdaDurationNearTimeout",
    "LambdaConcurrencyNearLimit",
];

/// `--label-style yace`: the same rules over the series as `collect` writes them in YACE's
/// style (`dimension_StreamName`, `dimension_FunctionName`) fire and stay silent as the
/// others do; kinesis-client's series keep their own labels.
#[test]
fn the_yace_style_rules_fire_on_yace_series() {
    let dir = tempfile::tempdir().unwrap();
    let written = alarms_rules(&["--label-style", "yace"]);
    std::fs::write(dir.path().join("yace.yml"), &written).unwrap();
    let (ok, stdout, all) = promtool(dir.path(), &["check", "rules", "yace.yml"], None);
    assert!(ok && stdout.contains("SUCCESS: 10 rules found"), "{all}");
    assert!(
        written.contains("{{ $labels.dimension_StreamName }}")
            && !written.contains("{{ $labels.function_name }}"),
        "{written}"
    );

    let mut tests = unit_tests("yace.yml", false);
    let rename = |text: &str| {
        text.replace("stream_name=", "dimension_StreamName=")
            .replace("function_name=", "dimension_FunctionName=")
    };
    for test in tests["tests"].as_array_mut().unwrap() {
        for series in test["input_series"].as_array_mut().unwrap() {
            let name = series["series"].as_str().unwrap().to_string();
            if name.starts_with("aws_") {
                series["series"] = json!(rename(&name));
            }
        }
        for check in test["alert_rule_test"].as_array_mut().unwrap() {
            if !COLLECTED_ALERTS.contains(&check["alertname"].as_str().unwrap()) {
                continue;
            }
            for alert in check["exp_alerts"].as_array_mut().unwrap() {
                let labels = alert["exp_labels"].as_object_mut().unwrap();
                for (from, to) in [
                    ("stream_name", "dimension_StreamName"),
                    ("function_name", "dimension_FunctionName"),
                ] {
                    if let Some(v) = labels.remove(from) {
                        labels.insert(to.to_string(), v);
                    }
                }
            }
        }
    }
    std::fs::write(
        dir.path().join("yace-tests.yml"),
        serde_json::to_string_pretty(&tests).unwrap(),
    )
    .unwrap();
    let (ok, stdout, all) = promtool(dir.path(), &["test", "rules", "yace-tests.yml"], None);
    assert!(ok && stdout.contains("SUCCESS"), "{all}\n{written}");
}
