//! AWS/Lambda discovery and inventory against a second implementation of the AWS APIs: moto's
//! server (started by scripts/test.sh), set up with boto3 by tests/peers/moto_lambda_setup.py.
//!
//! The metric queries go to the embedded engine's CloudWatch API: moto 5.2.5 serves
//! CloudWatch only in the query and JSON protocols and answers 404 to the RPC v2 CBOR
//! requests the current Rust SDK sends, so the SDK cannot read moto's datapoints. The engine
//! validates every query as CloudWatch does; it holds no AWS/Lambda datapoints until it runs
//! functions itself.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cloudwatch_collector::{ApiCalls, Collector, CollectorConfig, Namespace};
use metric_export::FieldValue;

fn endpoint() -> String {
    std::env::var("STREAMWATCH_TEST_DYNAMODB_ENDPOINT").expect(
        "STREAMWATCH_TEST_DYNAMODB_ENDPOINT (moto's server) is not set: run the tests with scripts/test.sh",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_inventory_and_metrics_from_moto() {
    let endpoint = endpoint();
    let suffix = format!(
        "{}{:04}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("t")
            .subsec_millis()
    );
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.venv/bin/python3");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/peers/moto_lambda_setup.py"
    );
    let out = std::process::Command::new(python)
        .args([script, &endpoint, &suffix])
        .output()
        .unwrap_or_else(|e| panic!("{python}: {e}: run the tests with scripts/test.sh"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let setup: serde_json::Value = serde_json::from_slice(&out.stdout).expect("setup JSON");
    let fn_a = setup["functions"][0].as_str().expect("name").to_string();
    let fn_b = setup["functions"][1].as_str().expect("name").to_string();

    let creds = aws_sdk_lambda::config::Credentials::new("test", "test", None, None, "static");
    let region = aws_sdk_lambda::config::Region::new("us-east-1");
    let lambda = aws_sdk_lambda::Client::from_conf(
        aws_sdk_lambda::Config::builder()
            .behavior_version(aws_sdk_lambda::config::BehaviorVersion::latest())
            .region(region.clone())
            .credentials_provider(creds.clone())
            .endpoint_url(&endpoint)
            .build(),
    );
    let kinesis = aws_sdk_kinesis::Client::from_conf(
        aws_sdk_kinesis::Config::builder()
            .behavior_version(aws_sdk_kinesis::config::BehaviorVersion::latest())
            .region(aws_sdk_kinesis::config::Region::new("us-east-1"))
            .credentials_provider(creds.clone())
            .endpoint_url(&endpoint)
            .build(),
    );
    let engine =
        kinesis_engine::Engine::open(kinesis_engine::EngineConfig::default()).expect("engine");
    let server = streamwatch_server::start("127.0.0.1:0".parse().expect("addr"), engine)
        .await
        .expect("server");
    let cloudwatch = aws_sdk_cloudwatch::Client::from_conf(
        aws_sdk_cloudwatch::Config::builder()
            .behavior_version(aws_sdk_cloudwatch::config::BehaviorVersion::latest())
            .region(aws_sdk_cloudwatch::config::Region::new("us-east-1"))
            .credentials_provider(creds)
            .endpoint_url(server.endpoint())
            .build(),
    );
    let config = CollectorConfig {
        namespaces: vec![Namespace::Lambda],
        period_secs: 60,
        delay: Duration::ZERO,
        first_window: Duration::from_secs(10 * 60),
        ..CollectorConfig::default()
    };
    let mut collector = Collector::new(kinesis, cloudwatch, config).with_lambda(lambda);

    // Inventory: configuration, tags and the event source mapping.
    let mut calls = ApiCalls::default();
    let objects = collector
        .inventory_functions(&mut calls)
        .await
        .expect("inventory");
    let a = objects
        .iter()
        .find(|o| o.name == fn_a)
        .expect("fn a listed");
    let b = objects
        .iter()
        .find(|o| o.name == fn_b)
        .expect("fn b listed");
    assert_eq!(a.class, "aws_lambda");
    assert_eq!(a.fields["MemorySize"], FieldValue::Int(256));
    assert_eq!(b.fields["MemorySize"], FieldValue::Int(512));
    assert_eq!(a.fields["Timeout"], FieldValue::Int(30));
    assert_eq!(a.fields["Runtime"], FieldValue::Str("python3.12".into()));
    assert_eq!(a.fields["Handler"], FieldValue::Str("index.handler".into()));
    assert_eq!(a.tags["team"], "t0");
    let mappings = a.fields["EventSourceMappings"].to_text();
    assert!(
        mappings.contains(setup["stream_arn"].as_str().expect("arn")),
        "{mappings}"
    );
    assert!(!b.fields.contains_key("EventSourceMappings"));
    assert!(
        calls.list_functions >= 1 && calls.list_tags >= 2 && calls.list_event_source_mappings >= 2
    );

    // Metrics: every function's queries, by FunctionName only, batched at 500 a call and
    // accepted by a CloudWatch implementation.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("t")
        .as_millis() as i64;
    let cycle = collector.collect(now).await;
    assert!(cycle.errors.is_empty(), "{:?}", cycle.errors);
    assert!(cycle.functions.contains(&fn_a) && cycle.functions.contains(&fn_b));
    assert!(
        cycle.streams.is_empty(),
        "only the Lambda namespace was asked for"
    );
    let per_function: usize = collector
        .config()
        .lambda_metrics
        .iter()
        .map(|m| m.statistics.len())
        .sum();
    assert_eq!(per_function, 16);
    assert_eq!(
        cycle.metrics_requested as usize,
        per_function * cycle.functions.len()
    );
    assert_eq!(
        cycle.calls.get_metric_data as usize,
        (per_function * cycle.functions.len()).div_ceil(500)
    );
    assert!(cycle.samples.is_empty());
    server.shutdown().await.expect("shutdown");
}
