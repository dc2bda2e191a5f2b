//! `serve` as a drop-in for kinesalite, kinesis-mock and LocalStack: streams and queues
//! created at start from flags or an `--init` file, kinesalite's flags with their separate
//! create, delete and update delays, and the health check (`--ssl` is tested with `--tls`, in tls.rs).

use std::time::{Duration, Instant};

use aws_sdk_kinesis::types::{ScalingType, StreamStatus};

use super::{client, free_port, get_with_host, interrupt, serve, wait_exit};

/// The stream's status, or `None` once it is gone.
async fn status(c: &aws_sdk_kinesis::Client, name: &str) -> Option<StreamStatus> {
    match c.describe_stream_summary().stream_name(name).send().await {
        Ok(out) => out
            .stream_description_summary()
            .map(|s| s.stream_status().clone()),
        Err(e) => {
            assert_eq!(testkit::code(&e), "ResourceNotFoundException");
            None
        }
    }
}

/// How long the stream takes to leave `from` (polling every 20 ms, for at most 5 s).
async fn time_in(c: &aws_sdk_kinesis::Client, name: &str, from: &StreamStatus) -> Duration {
    let started = Instant::now();
    while status(c, name).await.as_ref() == Some(from) {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{name} stuck in {from:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

/// The slow phase's delay: long enough that a call on a busy machine still sees it.
const SLOW_MS: &str = "1000";

fn stop(mut child: std::process::Child) {
    interrupt(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
}

#[tokio::test(flavor = "multi_thread")]
async fn streams_and_queues_from_flags_are_there_when_serve_listens_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    let args = [
        "--port",
        &port,
        "--path", // kinesalite's name for --data-dir
        dir.path().to_str().unwrap(),
        "--create-stream",
        "orders:4",
        "--create-stream",
        "audit,events:2", // INITIALIZE_STREAMS' comma list; no count means 4
        "--create-queue",
        "q",
        "--create-stream-delay-ms",
        "0",
    ];
    let (child, endpoint) = serve(&args);
    let c = client(&endpoint);
    for (name, shards) in [("orders", 4), ("audit", 4), ("events", 2)] {
        let s = c
            .describe_stream_summary()
            .stream_name(name)
            .send()
            .await
            .unwrap();
        let s = s.stream_description_summary().unwrap();
        assert_eq!(s.stream_status(), &StreamStatus::Active, "{name}");
        assert_eq!(s.open_shard_count(), shards, "{name}");
    }
    let sqs = testkit::sqs_client(&endpoint);
    let url = sqs.get_queue_url().queue_name("q").send().await.unwrap();
    assert!(url.queue_url().unwrap().ends_with("/q"));
    c.update_shard_count()
        .stream_name("orders")
        .target_shard_count(2)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .unwrap();
    stop(child);

    // The same flags again over the same data: the existing stream is left as it is.
    let (child, endpoint) = serve(&args);
    let c = client(&endpoint);
    let s = c
        .describe_stream_summary()
        .stream_name("orders")
        .send()
        .await
        .unwrap();
    assert_eq!(
        s.stream_description_summary().unwrap().open_shard_count(),
        2
    );
    stop(child);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_init_file_creates_streams_queues_and_a_mapped_function() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("fn")).unwrap();
    std::fs::write(dir.path().join("fn/bootstrap"), "#!/bin/sh\nexit 0\n").unwrap();
    let init = dir.path().join("init.toml");
    std::fs::write(
        &init,
        r#"
[[stream]]
name = "clicks"
shards = 3

[[stream]]
name = "auto"
on_demand = true

[[queue]]
name = "dead-letters"
attributes = { VisibilityTimeout = "45" }

[[function]]
name = "counter"
code = "fn"
stream = "clicks"
batch_size = 10
"#,
    )
    .unwrap();
    let port = free_port().to_string();
    let (child, endpoint) = serve(&[
        "--port",
        &port,
        "--create-stream-delay-ms",
        "0",
        "--init",
        init.to_str().unwrap(),
    ]);
    let c = client(&endpoint);
    let clicks = c
        .describe_stream_summary()
        .stream_name("clicks")
        .send()
        .await
        .unwrap();
    let clicks = clicks.stream_description_summary().unwrap();
    assert_eq!(clicks.open_shard_count(), 3);
    let auto = c
        .describe_stream_summary()
        .stream_name("auto")
        .send()
        .await
        .unwrap();
    assert_eq!(
        auto.stream_description_summary()
            .unwrap()
            .stream_mode_details()
            .unwrap()
            .stream_mode()
            .as_str(),
        "ON_DEMAND"
    );
    let sqs = testkit::sqs_client(&endpoint);
    let url = sqs
        .get_queue_url()
        .queue_name("dead-letters")
        .send()
        .await
        .unwrap();
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(url.queue_url().unwrap())
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attrs.attributes().unwrap()[&aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout],
        "45"
    );
    let lambda = testkit::lambda_client(&endpoint);
    let f = lambda
        .get_function()
        .function_name("counter")
        .send()
        .await
        .unwrap();
    assert_eq!(
        f.configuration().unwrap().runtime().unwrap().as_str(),
        "provided.al2023"
    );
    let mappings = lambda
        .list_event_source_mappings()
        .function_name("counter")
        .send()
        .await
        .unwrap();
    let m = &mappings.event_source_mappings()[0];
    assert_eq!(m.event_source_arn(), Some(clicks.stream_arn()));
    assert_eq!(m.batch_size(), Some(10));
    stop(child);
}

#[tokio::test(flavor = "multi_thread")]
async fn kinesalite_flags_set_create_delete_and_update_delays_apart() {
    // Creating is slow, deleting and updating instant.
    let port = free_port().to_string();
    let (child, endpoint) = serve(&[
        "--port",
        &port,
        "--createStreamMs",
        SLOW_MS,
        "--deleteStreamMs",
        "0",
        "--updateStreamMs",
        "0",
        "--shardLimit",
        "3",
    ]);
    let c = client(&endpoint);
    c.create_stream()
        .stream_name("slow-create")
        .shard_count(1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        status(&c, "slow-create").await,
        Some(StreamStatus::Creating)
    );
    let creating = time_in(&c, "slow-create", &StreamStatus::Creating).await;
    assert_eq!(status(&c, "slow-create").await, Some(StreamStatus::Active));
    c.update_shard_count()
        .stream_name("slow-create")
        .target_shard_count(2)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .unwrap();
    assert_eq!(status(&c, "slow-create").await, Some(StreamStatus::Active));
    // --shardLimit is the account's shard quota: 2 open, 2 more would pass 3.
    let over = c
        .create_stream()
        .stream_name("too-many")
        .shard_count(2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(testkit::code(&over), "LimitExceededException");
    c.delete_stream()
        .stream_name("slow-create")
        .send()
        .await
        .unwrap();
    assert_eq!(status(&c, "slow-create").await, None);
    stop(child);

    // --create-stream-delay-ms still sets all three; --createStreamMs overrides creating only.
    let port = free_port().to_string();
    let (child, endpoint) = serve(&[
        "--port",
        &port,
        "--create-stream-delay-ms",
        SLOW_MS,
        "--createStreamMs",
        "0",
    ]);
    let c = client(&endpoint);
    c.create_stream()
        .stream_name("slow-delete")
        .shard_count(1)
        .send()
        .await
        .unwrap();
    assert_eq!(status(&c, "slow-delete").await, Some(StreamStatus::Active));
    c.update_shard_count()
        .stream_name("slow-delete")
        .target_shard_count(2)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .unwrap();
    assert_eq!(
        status(&c, "slow-delete").await,
        Some(StreamStatus::Updating)
    );
    let updating = time_in(&c, "slow-delete", &StreamStatus::Updating).await;
    c.delete_stream()
        .stream_name("slow-delete")
        .send()
        .await
        .unwrap();
    assert_eq!(
        status(&c, "slow-delete").await,
        Some(StreamStatus::Deleting)
    );
    let deleting = time_in(&c, "slow-delete", &StreamStatus::Deleting).await;
    assert_eq!(status(&c, "slow-delete").await, None);
    stop(child);
    // Each slow phase lasted a while; the instant ones were never seen at all.
    for (phase, took) in [
        ("creating", creating),
        ("updating", updating),
        ("deleting", deleting),
    ] {
        assert!(took >= Duration::from_millis(500), "{phase} took {took:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_health_check_answers_json_on_loopback_and_refuses_foreign_hosts() {
    let port = free_port().to_string();
    let (child, endpoint) = serve(&["--port", &port, "--create-stream", "s:1"]);
    let addr = endpoint.trim_start_matches("http://");
    for path in ["/health", "/healthcheck", "/_localstack/health"] {
        let (code, body) = get_with_host(addr, &format!("localhost:{port}"), path);
        assert_eq!(code, 200, "{path}: {body}");
        let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(doc["status"], "running", "{path}");
        assert_eq!(doc["services"]["kinesis"], "running", "{path}");
        assert_eq!(doc["streams"], 1, "{path}");
    }
    let (code, _) = get_with_host(addr, "127.0.0.1", "/health");
    assert_eq!(code, 200);
    let (code, body) = get_with_host(addr, "rebind.example", "/health");
    assert_eq!(code, 403, "{body}");
    let (code, _) = get_with_host(addr, "rebind.example", "/metrics");
    assert_eq!(code, 403);
    stop(child);
}
