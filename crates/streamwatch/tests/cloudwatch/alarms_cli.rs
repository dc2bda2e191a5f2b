//! `streamwatch alarms apply` and `alarms list` (the real binary) against a server: the
//! recommended set scaled to the function's timeout and reserved concurrency, applied twice
//! with no change the second time, printed as requests with `--dry-run`, and listed.

use std::process::Command;

use serde_json::Value;
use testkit::Stack;

fn streamwatch(endpoint: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["alarms"])
        .args(args)
        .args(["--endpoint", endpoint])
        .env("AWS_REGION", "us-east-1")
        .output()
        .expect("streamwatch runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{args:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_is_idempotent_and_scaled_to_the_function() {
    let stack = Stack::start().await;
    let endpoint = stack.endpoint();
    stack.stream("orders", 1, &[]).await;
    stack.function("consumer", "").await;
    stack
        .lambda
        .update_function_configuration()
        .function_name("consumer")
        .timeout(20)
        .send()
        .await
        .expect("timeout");
    stack
        .lambda
        .put_function_concurrency()
        .function_name("consumer")
        .reserved_concurrent_executions(5)
        .send()
        .await
        .expect("reserved concurrency");
    let topic = "arn:aws:sns:us-east-1:000000000000:pager";
    let args = [
        "apply",
        "--stream",
        "orders",
        "--function",
        "consumer",
        "--sns-topic",
        topic,
    ];

    let dry = streamwatch(&endpoint, &[&args[..], &["--dry-run"]].concat());
    let requests: Value = serde_json::from_str(&dry).expect("JSON requests");
    let requests = requests.as_array().expect("an array");
    assert_eq!(requests.len(), 6, "{dry}");
    let by_name = |name: &str| {
        requests
            .iter()
            .find(|r| r["AlarmName"] == name)
            .unwrap_or_else(|| panic!("{name} in {dry}"))
    };
    assert_eq!(
        by_name("streamwatch-consumer-duration")["Threshold"],
        16_000.0
    );
    assert_eq!(
        by_name("streamwatch-consumer-concurrency")["Threshold"],
        4.0
    );
    assert_eq!(
        by_name("streamwatch-orders-iterator-age")["AlarmActions"][0],
        topic
    );
    let none = stack
        .cloudwatch
        .describe_alarms()
        .send()
        .await
        .expect("describe");
    assert!(none.metric_alarms().is_empty(), "a dry run puts nothing");

    let first = streamwatch(&endpoint, &args);
    assert_eq!(
        first.lines().filter(|l| l.starts_with("created")).count(),
        6,
        "{first}"
    );
    let second = streamwatch(&endpoint, &args);
    assert_eq!(
        second
            .lines()
            .filter(|l| l.starts_with("unchanged"))
            .count(),
        6,
        "{second}"
    );
    let alarms = stack
        .cloudwatch
        .describe_alarms()
        .alarm_name_prefix("streamwatch-")
        .send()
        .await
        .expect("describe");
    assert_eq!(alarms.metric_alarms().len(), 6);
    let rate = alarms
        .metric_alarms()
        .iter()
        .find(|a| a.alarm_name() == Some("streamwatch-consumer-error-rate"))
        .expect("the error-rate alarm");
    assert_eq!(rate.metrics().len(), 3);
    // One Create per alarm in the history, not two: the second run changed nothing.
    let history = stack
        .cloudwatch
        .describe_alarm_history()
        .alarm_name("streamwatch-orders-iterator-age")
        .history_item_type(aws_sdk_cloudwatch::types::HistoryItemType::ConfigurationUpdate)
        .send()
        .await
        .expect("history");
    assert_eq!(history.alarm_history_items().len(), 1);

    // A new threshold source (another timeout) updates just the duration alarm.
    stack
        .lambda
        .update_function_configuration()
        .function_name("consumer")
        .timeout(10)
        .send()
        .await
        .expect("timeout");
    let third = streamwatch(&endpoint, &args);
    let updated: Vec<&str> = third.lines().filter(|l| l.starts_with("updated")).collect();
    assert_eq!(updated.len(), 1, "{third}");
    assert!(
        updated[0].contains("streamwatch-consumer-duration"),
        "{third}"
    );

    let listing = streamwatch(&endpoint, &["list", "--prefix", "streamwatch-orders"]);
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 3, "{listing}");
    assert!(lines[0].starts_with("NAME"), "{listing}");
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.contains("INSUFFICIENT_DATA")
                && l.contains("Unchecked: Initial alarm creation")),
        "{listing}"
    );
}
