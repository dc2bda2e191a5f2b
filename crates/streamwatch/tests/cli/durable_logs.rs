//! `--data-dir` keeps CloudWatch Logs and the metric store: log groups, streams and events
//! come back after a clean stop and after SIGKILL (each acknowledged PutLogEvents was
//! journaled first); metrics, custom and EMF, come back after a clean stop (the store is
//! snapshotted at shutdown, and once a minute while running).

use std::process::Command;
use std::time::Duration;

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricDatum, MetricStat};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;

use super::{free_port, interrupt, serve, wait_exit};

fn event(ts: i64, message: &str) -> InputLogEvent {
    InputLogEvent::builder()
        .timestamp(ts)
        .message(message)
        .build()
        .unwrap()
}

async fn messages(logs: &aws_sdk_cloudwatchlogs::Client, group: &str, stream: &str) -> Vec<String> {
    logs.get_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .start_from_head(true)
        .send()
        .await
        .unwrap()
        .events()
        .iter()
        .map(|e| e.message().unwrap_or_default().to_owned())
        .collect()
}

/// Each datapoint (timestamp, Sum, p90) of a metric over the last ten minutes.
async fn points(
    cw: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    name: &str,
    dim: (&str, &str),
    now: i64,
) -> Vec<(i64, f64, f64)> {
    let metric = Metric::builder()
        .namespace(namespace)
        .metric_name(name)
        .dimensions(Dimension::builder().name(dim.0).value(dim.1).build())
        .build();
    let query = |id: &str, stat: &str| {
        MetricDataQuery::builder()
            .id(id)
            .metric_stat(
                MetricStat::builder()
                    .metric(metric.clone())
                    .period(60)
                    .stat(stat)
                    .build(),
            )
            .build()
    };
    let out = cw
        .get_metric_data()
        .metric_data_queries(query("s", "Sum"))
        .metric_data_queries(query("p", "p90"))
        .start_time(DateTime::from_millis(now - 600_000))
        .end_time(DateTime::from_millis(now + 120_000))
        .send()
        .await
        .unwrap();
    let results = out.metric_data_results();
    let sums = &results[0];
    let p90 = &results[1];
    sums.timestamps()
        .iter()
        .zip(sums.values())
        .zip(p90.values())
        .map(|((t, s), p)| (t.to_millis().unwrap(), *s, *p))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn log_groups_events_and_metrics_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    let data_dir = dir.path().to_str().unwrap();
    let common = ["--port", &port, "--data-dir", data_dir];
    let (mut child, endpoint) = serve(&common);
    let c = testkit::clients_for(&endpoint, "us-east-1", "AKIDTEST");
    let other = testkit::clients_for(&endpoint, "eu-west-1", "111122223333");
    let now = testkit::now_ms() as i64;
    c.logs
        .create_log_group()
        .log_group_name("/app/web")
        .tags("team", "core")
        .send()
        .await
        .unwrap();
    c.logs
        .put_retention_policy()
        .log_group_name("/app/web")
        .retention_in_days(7)
        .send()
        .await
        .unwrap();
    c.logs
        .create_log_stream()
        .log_group_name("/app/web")
        .log_stream_name("host-1")
        .send()
        .await
        .unwrap();
    let emf = format!(
        r#"{{"_aws":{{"Timestamp":{now},"CloudWatchMetrics":[{{"Namespace":"Shop","Dimensions":[["Service"]],"Metrics":[{{"Name":"Latency","Unit":"Milliseconds"}}]}}]}},"Service":"cart","Latency":[10,20,30,400]}}"#
    );
    c.logs
        .put_log_events()
        .log_group_name("/app/web")
        .log_stream_name("host-1")
        .log_events(event(now - 1000, "started"))
        .log_events(event(now, &emf))
        .customize()
        .mutate_request(|req| {
            req.headers_mut().insert("x-amzn-logs-format", "json/emf");
        })
        .send()
        .await
        .unwrap();
    other
        .logs
        .create_log_group()
        .log_group_name("/theirs")
        .send()
        .await
        .unwrap();
    let datum = MetricDatum::builder()
        .metric_name("Jobs")
        .dimensions(Dimension::builder().name("Queue").value("q1").build())
        .set_values(Some(vec![1.0, 2.0, 3.0, 50.0]))
        .timestamp(DateTime::from_millis(now))
        .unit(aws_sdk_cloudwatch::types::StandardUnit::Count)
        .build();
    c.cloudwatch
        .put_metric_data()
        .namespace("Custom")
        .metric_data(datum)
        .send()
        .await
        .unwrap();
    let jobs = points(&c.cloudwatch, "Custom", "Jobs", ("Queue", "q1"), now).await;
    let latency = points(&c.cloudwatch, "Shop", "Latency", ("Service", "cart"), now).await;
    assert_eq!(jobs.iter().map(|p| p.1).sum::<f64>(), 56.0);
    assert_eq!(latency.iter().map(|p| p.1).sum::<f64>(), 460.0);
    interrupt(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
    assert!(dir.path().join("logs/logs.snapshot.json").is_file());
    assert!(dir.path().join("cloudwatch/metrics.cbor").is_file());
    assert!(
        dir.path()
            .join("accounts/111122223333/eu-west-1/logs")
            .is_dir()
    );

    let (mut child, endpoint) = serve(&common);
    let c = testkit::clients_for(&endpoint, "us-east-1", "AKIDTEST");
    let other = testkit::clients_for(&endpoint, "eu-west-1", "111122223333");
    assert_eq!(
        messages(&c.logs, "/app/web", "host-1").await,
        ["started", emf.as_str()]
    );
    let groups = c.logs.describe_log_groups().send().await.unwrap();
    let group = &groups.log_groups()[0];
    assert_eq!(group.log_group_name(), Some("/app/web"));
    assert_eq!(group.retention_in_days(), Some(7));
    let tags = c
        .logs
        .list_tags_for_resource()
        .resource_arn("arn:aws:logs:us-east-1:000000000000:log-group:/app/web")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.tags().unwrap().get("team").map(String::as_str),
        Some("core")
    );
    let theirs = other.logs.describe_log_groups().send().await.unwrap();
    assert_eq!(theirs.log_groups()[0].log_group_name(), Some("/theirs"));
    assert_eq!(
        points(&c.cloudwatch, "Custom", "Jobs", ("Queue", "q1"), now).await,
        jobs
    );
    assert_eq!(
        points(&c.cloudwatch, "Shop", "Latency", ("Service", "cart"), now).await,
        latency
    );
    interrupt(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_log_events_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    let data_dir = dir.path().to_str().unwrap();
    let common = ["--port", &port, "--data-dir", data_dir];
    let (mut child, endpoint) = serve(&common);
    let c = testkit::clients_for(&endpoint, "us-east-1", "AKIDTEST");
    let now = testkit::now_ms() as i64;
    c.logs
        .create_log_group()
        .log_group_name("g")
        .send()
        .await
        .unwrap();
    c.logs
        .create_log_stream()
        .log_group_name("g")
        .log_stream_name("s")
        .send()
        .await
        .unwrap();
    let mut sent = Vec::new();
    for i in 0..20 {
        let m = format!("line {i}");
        c.logs
            .put_log_events()
            .log_group_name("g")
            .log_stream_name("s")
            .log_events(event(now + i, &m))
            .send()
            .await
            .unwrap();
        sent.push(m);
    }
    let killed = Command::new("kill")
        .arg("-KILL")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    wait_exit(&mut child, Duration::from_secs(10));

    let (mut child, endpoint) = serve(&common);
    let c = testkit::clients_for(&endpoint, "us-east-1", "AKIDTEST");
    assert_eq!(messages(&c.logs, "g", "s").await, sent);
    interrupt(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
}
