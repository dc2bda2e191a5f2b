//! AWS/Lambda discovery and inventory against a second implementation of the AWS APIs: moto's
//! server (started by scripts/test.sh), set up with boto3 by tests/peers/moto_lambda_setup.py.
//!
//! The metric queries go to the embedded engine's CloudWatch API: moto 5.2.5 serves
//! CloudWatch only in the query and JSON protocols and answers 404 to the RPC v2 CBOR
//! requests the current Rust SDK sends, so the SDK cannot read moto's datapoints. The engine
//! validates every query as CloudWatch does. It publishes no AWS/Lambda datapoints until it
//! runs functions itself, so the test writes them into its metric store directly, per
//! function and per alias, and checks that the alias series is read only when asked for.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cloudwatch_collector::{ApiCalls, Collector, CollectorConfig, Namespace, TagFilter};
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
    let server = testkit::server_on(engine).await;
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
    let collector_kinesis = kinesis.clone();
    let collector_kinesis_2 = kinesis.clone();
    let filtered_cloudwatch_2 = cloudwatch.clone();
    let lambda_again_2 = lambda.clone();
    let filtered_cloudwatch = cloudwatch.clone();
    let lambda_again = lambda.clone();
    let mut collector = Collector::new(kinesis, cloudwatch, config).with_lambda(lambda);

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

    // Inventory: configuration, tags and the event source mapping.
    let mut calls = ApiCalls::default();
    let objects = collector
        .inventory_functions(&cycle.functions, &mut calls)
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

    // A tag filter keeps the functions tagged team=t0 only (moto's ListTags answers), and
    // reads each function's tags once per refresh, not once per cycle.
    let config = CollectorConfig {
        namespaces: vec![Namespace::Lambda],
        period_secs: 60,
        delay: Duration::ZERO,
        lambda_tag_filters: vec![TagFilter {
            key: "team".into(),
            values: vec!["t0".into()],
        }],
        tag_refresh: Duration::from_secs(600),
        ..CollectorConfig::default()
    };
    let kinesis = collector_kinesis;
    let mut filtered =
        Collector::new(kinesis, filtered_cloudwatch, config).with_lambda(lambda_again);
    let first = filtered.collect(now).await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert!(first.functions.contains(&fn_a), "{:?}", first.functions);
    assert!(!first.functions.contains(&fn_b), "{:?}", first.functions);
    assert!(first.calls.list_tags >= 2);
    let again = filtered.collect(now + 1000).await;
    assert_eq!(again.functions, first.functions);
    assert_eq!(again.calls.list_tags, 0, "tags come from the cache");
    assert_eq!(
        first.metrics_requested as usize,
        per_function * first.functions.len()
    );
    let objects = filtered
        .inventory_functions(&again.functions, &mut calls)
        .await
        .expect("inventory");
    assert!(objects.iter().all(|o| o.tags["team"] == "t0"));
    assert_eq!(
        objects[0].fields["AccountId"],
        FieldValue::Str(
            objects[0].fields["FunctionArn"]
                .to_text()
                .split(':')
                .nth(4)
                .expect("account")
                .to_string()
        )
    );

    // Datapoints per function and per alias, as Lambda publishes them (FunctionName alone,
    // and FunctionName + Resource), written into the engine's metric store in place of a
    // running function. By default only the FunctionName series is read; with resource
    // metrics asked for, ListMetrics names the alias series and it is read too.
    let store = server.metrics();
    let at = (now - 120_000) as u64;
    let invocations = &metric_store::catalog::lambda::INVOCATIONS;
    let alias = format!("{fn_a}:live");
    invocations
        .series(store, &[("FunctionName", fn_a.as_str())])
        .expect("series")
        .record_n(at, 1.0, 9.0);
    invocations
        .series(
            store,
            &[
                ("FunctionName", fn_a.as_str()),
                ("Resource", alias.as_str()),
            ],
        )
        .expect("series")
        .record_n(at, 1.0, 4.0);
    let lambda_config = |resource: bool| CollectorConfig {
        namespaces: vec![Namespace::Lambda],
        period_secs: 60,
        delay: Duration::ZERO,
        first_window: Duration::from_secs(10 * 60),
        lambda_metrics: vec![cloudwatch_collector::MetricSpec {
            name: "Invocations".into(),
            statistics: vec![metric_export::Statistic::Sum],
        }],
        lambda_resource_metrics: if resource {
            vec![cloudwatch_collector::MetricSpec {
                name: "Invocations".into(),
                statistics: vec![metric_export::Statistic::Sum],
            }]
        } else {
            Vec::new()
        },
        ..CollectorConfig::default()
    };
    let sums = |cycle: &cloudwatch_collector::Cycle| -> Vec<(Vec<(String, String)>, f64)> {
        cycle
            .samples
            .iter()
            .filter(|s| s.dimensions.iter().any(|(_, v)| *v == fn_a))
            .map(|s| (s.dimensions.clone(), s.value))
            .collect()
    };
    for resource in [false, true] {
        let mut c = Collector::new(
            collector_kinesis_2.clone(),
            filtered_cloudwatch_2.clone(),
            lambda_config(resource),
        )
        .with_lambda(lambda_again_2.clone());
        let cycle = c.collect(now).await;
        assert!(cycle.errors.is_empty(), "{:?}", cycle.errors);
        let mut got = sums(&cycle);
        got.sort_by(|a, b| a.0.cmp(&b.0));
        let mut want = vec![(vec![("FunctionName".to_string(), fn_a.clone())], 9.0)];
        if resource {
            want.push((
                vec![
                    ("FunctionName".to_string(), fn_a.clone()),
                    ("Resource".to_string(), alias.clone()),
                ],
                4.0,
            ));
        }
        assert_eq!(got, want, "resource-level series asked for: {resource}");
        assert_eq!(cycle.calls.list_metrics, u64::from(resource));
        assert_eq!(
            cycle
                .samples
                .iter()
                .find(|s| s.value == 9.0)
                .and_then(|s| s.unit.clone())
                .as_deref(),
            Some("Count")
        );
    }
    server.shutdown().await.expect("shutdown");
}
