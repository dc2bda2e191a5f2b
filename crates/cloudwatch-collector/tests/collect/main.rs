//! The collector against the embedded engine with known traffic: exact sums, windows that
//! never overlap, batching at 500 queries, paginated discovery, streams that come and go,
//! the inventory, and an endpoint that fails.

mod lambda_moto;

use std::time::Duration;

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use cloudwatch_collector::{CollectError, Collector, CollectorConfig, Cycle, MetricSpec};
use metric_export::{FieldValue, Statistic};
use time_source::now_ms_i64 as now_ms;

/// A server on the embedded engine without shard limits, with its clients.
type Env = testkit::Stack;

fn clients(endpoint: &str) -> (aws_sdk_kinesis::Client, aws_sdk_cloudwatch::Client) {
    (
        testkit::kinesis_client(endpoint),
        testkit::cloudwatch_client(endpoint),
    )
}

async fn start() -> Env {
    testkit::Stack::with(kinesis_engine::EngineConfig {
        shard_limits: false,
        ..testkit::engine_config()
    })
    .await
}

fn config(metrics: Vec<MetricSpec>) -> CollectorConfig {
    CollectorConfig {
        period_secs: 1,
        delay: Duration::ZERO,
        first_window: Duration::from_secs(60),
        metrics,
        ..CollectorConfig::default()
    }
}

fn spec(name: &str, stats: &[Statistic]) -> MetricSpec {
    MetricSpec {
        name: name.into(),
        statistics: stats.to_vec(),
    }
}

/// Sleeps past the end of the current second, so the period holding what was just written
/// has ended.
async fn next_second() {
    let ms = now_ms();
    tokio::time::sleep(Duration::from_millis((1000 - ms % 1000) as u64 + 30)).await;
}

async fn put(kinesis: &aws_sdk_kinesis::Client, stream: &str, n: usize) {
    let entries: Vec<_> = (0..n)
        .map(|i| {
            PutRecordsRequestEntry::builder()
                .partition_key("p")
                .data(Blob::new(format!("record-{i:03}")))
                .build()
                .expect("entry")
        })
        .collect();
    kinesis
        .put_records()
        .stream_name(stream)
        .set_records(Some(entries))
        .send()
        .await
        .expect("put");
}

fn total(cycle: &Cycle, stream: &str, metric: &str, stat: Statistic) -> f64 {
    cycle
        .samples
        .iter()
        .filter(|s| {
            s.metric == metric
                && s.statistic == stat
                && s.dimensions == [("StreamName".to_string(), stream.to_string())]
        })
        .map(|s| s.value)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exact_values_in_windows_that_never_overlap() {
    let env = start().await;
    for (name, shards) in [("alpha", 2), ("beta", 1)] {
        env.kinesis
            .create_stream()
            .stream_name(name)
            .shard_count(shards)
            .send()
            .await
            .expect("create");
    }
    put(&env.kinesis, "alpha", 7).await;
    put(&env.kinesis, "beta", 3).await;
    next_second().await;
    let mut collector = Collector::new(
        env.kinesis.clone(),
        env.cloudwatch.clone(),
        config(vec![
            spec("IncomingRecords", &[Statistic::Sum]),
            spec("IncomingBytes", &[Statistic::Sum, Statistic::Maximum]),
            spec("PutRecords.Latency", &[Statistic::SampleCount]),
        ]),
    );
    let first = collector.collect(now_ms()).await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert_eq!(first.streams, ["alpha", "beta"]);
    assert_eq!(
        total(&first, "alpha", "IncomingRecords", Statistic::Sum),
        7.0
    );
    assert_eq!(
        total(&first, "beta", "IncomingRecords", Statistic::Sum),
        3.0
    );
    // IncomingBytes counts partition key and data: 1 + 10 bytes a record.
    assert_eq!(
        total(&first, "alpha", "IncomingBytes", Statistic::Sum),
        77.0
    );
    assert_eq!(
        total(&first, "alpha", "IncomingBytes", Statistic::Maximum),
        77.0
    );
    assert_eq!(
        total(
            &first,
            "alpha",
            "PutRecords.Latency",
            Statistic::SampleCount
        ),
        1.0
    );
    assert!(
        first
            .samples
            .iter()
            .all(|s| s.region == "us-east-1" && s.namespace == "AWS/Kinesis")
    );
    assert_eq!(
        first
            .samples
            .iter()
            .find(|s| s.metric == "IncomingBytes")
            .and_then(|s| s.unit.clone())
            .as_deref(),
        Some("Bytes")
    );
    // 2 streams x 4 queries in one GetMetricData call, one ListStreams page.
    assert_eq!(
        (first.calls.list_streams, first.calls.get_metric_data),
        (1, 1)
    );
    assert_eq!(first.metrics_requested, 8);
    assert!((first.estimated_cost_usd() - 8.0 * 0.01 / 1000.0).abs() < 1e-12);

    // The next cycle reads only what came after the last window.
    put(&env.kinesis, "alpha", 5).await;
    next_second().await;
    let second = collector.collect(now_ms()).await;
    let (a, b) = (
        first.window.expect("window"),
        second.window.expect("window"),
    );
    assert_eq!(b.0, a.1, "windows meet exactly");
    assert_eq!(
        total(&second, "alpha", "IncomingRecords", Statistic::Sum),
        5.0,
        "nothing fetched twice"
    );
    assert_eq!(
        total(&second, "beta", "IncomingRecords", Statistic::Sum),
        0.0
    );

    // Nothing has ended since: no window, no GetMetricData call.
    let third = collector.collect(b.1).await;
    assert_eq!(third.window, None);
    assert_eq!(third.calls.get_metric_data, 0);

    // A stream deleted and one created between cycles.
    env.kinesis
        .delete_stream()
        .stream_name("beta")
        .send()
        .await
        .expect("delete");
    env.kinesis
        .create_stream()
        .stream_name("gamma")
        .shard_count(1)
        .send()
        .await
        .expect("create");
    put(&env.kinesis, "gamma", 2).await;
    next_second().await;
    let fourth = collector.collect(now_ms()).await;
    assert!(fourth.errors.is_empty(), "{:?}", fourth.errors);
    assert_eq!(fourth.streams, ["alpha", "gamma"]);
    assert_eq!(
        total(&fourth, "gamma", "IncomingRecords", Statistic::Sum),
        2.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_pages_and_queries_batch_at_500() {
    let env = start().await;
    for i in 0..130 {
        env.kinesis
            .create_stream()
            .stream_name(format!("s{i:03}"))
            .shard_count(1)
            .send()
            .await
            .expect("create");
    }
    put(&env.kinesis, "s129", 4).await;
    next_second().await;
    let stats = [
        Statistic::Sum,
        Statistic::Average,
        Statistic::Maximum,
        Statistic::Minimum,
    ];
    let mut collector = Collector::new(
        env.kinesis.clone(),
        env.cloudwatch.clone(),
        config(vec![spec("IncomingRecords", &stats)]),
    );
    let cycle = collector.collect(now_ms()).await;
    assert!(cycle.errors.is_empty(), "{:?}", cycle.errors);
    assert_eq!(cycle.streams.len(), 130);
    assert!(
        cycle.calls.list_streams >= 2,
        "ListStreams pages: {}",
        cycle.calls.list_streams
    );
    // 130 x 4 = 520 queries: two calls, never one per metric.
    assert_eq!(cycle.metrics_requested, 520);
    assert_eq!(cycle.calls.get_metric_data, 2);
    assert_eq!(
        total(&cycle, "s129", "IncomingRecords", Statistic::Sum),
        4.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_of_streams() {
    let env = start().await;
    env.kinesis
        .create_stream()
        .stream_name("orders")
        .shard_count(3)
        .send()
        .await
        .expect("create");
    env.kinesis
        .add_tags_to_stream()
        .stream_name("orders")
        .tags("team", "payments")
        .send()
        .await
        .expect("tag");
    let collector = Collector::new(env.kinesis.clone(), env.cloudwatch.clone(), config(vec![]));
    let mut calls = Default::default();
    let streams = collector.discover(&mut calls).await.expect("discover");
    let objects = collector
        .inventory(&streams, &mut calls)
        .await
        .expect("inventory");
    assert_eq!(objects.len(), 1);
    let o = &objects[0];
    assert_eq!(
        (o.class.as_str(), o.name.as_str()),
        ("aws_kinesis", "orders")
    );
    assert_eq!(o.fields["OpenShardCount"], FieldValue::Int(3));
    assert_eq!(o.fields["StreamStatus"], FieldValue::Str("ACTIVE".into()));
    assert_eq!(
        o.fields["StreamModeDetails"],
        FieldValue::Str("PROVISIONED".into())
    );
    assert_eq!(o.fields["RetentionPeriodHours"], FieldValue::Int(24));
    assert_eq!(
        o.fields["StreamARN"],
        FieldValue::Str("arn:aws:kinesis:us-east-1:000000000000:stream/orders".into())
    );
    assert_eq!(o.tags["team"], "payments");
    assert_eq!(
        (calls.describe_stream_summary, calls.list_tags_for_stream),
        (1, 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_endpoint_is_reported_and_recovered_from() {
    // Nothing listens on this port.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = dead.local_addr().expect("addr").port();
    drop(dead);
    let (kinesis, cloudwatch) = clients(&format!("http://127.0.0.1:{port}"));
    let mut down = Collector::new(
        kinesis,
        cloudwatch,
        config(vec![spec("IncomingRecords", &[Statistic::Sum])]),
    );
    let cycle = down.collect(now_ms()).await;
    assert_eq!(
        cycle.errors,
        [CollectError::Call {
            operation: "ListStreams",
            message: "connection".into()
        }]
    );
    assert!(cycle.samples.is_empty());

    // Metrics unreachable but discovery fine: the window does not advance, so the next
    // cycle reads it again.
    let env = start().await;
    env.kinesis
        .create_stream()
        .stream_name("alpha")
        .shard_count(1)
        .send()
        .await
        .expect("create");
    put(&env.kinesis, "alpha", 6).await;
    next_second().await;
    let (_, dead_cloudwatch) = clients(&format!("http://127.0.0.1:{port}"));
    let mut half = Collector::new(
        env.kinesis.clone(),
        dead_cloudwatch,
        config(vec![spec("IncomingRecords", &[Statistic::Sum])]),
    );
    let t = now_ms();
    let failed = half.collect(t).await;
    assert_eq!(
        failed.errors,
        [CollectError::Call {
            operation: "GetMetricData",
            message: "connection".into()
        }]
    );
    assert_eq!(
        half.next_window(t),
        failed.window,
        "the failed window is read again"
    );
    let mut whole = Collector::new(
        env.kinesis.clone(),
        env.cloudwatch.clone(),
        config(vec![spec("IncomingRecords", &[Statistic::Sum])]),
    );
    let recovered = whole.collect(t).await;
    assert_eq!(
        total(&recovered, "alpha", "IncomingRecords", Statistic::Sum),
        6.0
    );
}

/// Puts `n` records with an explicit hash key, so they land on the shard owning it.
async fn put_at(kinesis: &aws_sdk_kinesis::Client, stream: &str, hash_key: &str, n: usize) {
    let entries: Vec<_> = (0..n)
        .map(|i| {
            PutRecordsRequestEntry::builder()
                .partition_key("p")
                .explicit_hash_key(hash_key)
                .data(Blob::new(format!("record-{i:03}")))
                .build()
                .expect("entry")
        })
        .collect();
    kinesis
        .put_records()
        .stream_name(stream)
        .set_records(Some(entries))
        .send()
        .await
        .expect("put");
}

fn shard_total(cycle: &Cycle, stream: &str, shard: &str, metric: &str) -> Option<f64> {
    let want = [
        ("ShardId".to_string(), shard.to_string()),
        ("StreamName".to_string(), stream.to_string()),
    ];
    let found: Vec<f64> = cycle
        .samples
        .iter()
        .filter(|s| {
            let mut dims = s.dimensions.clone();
            dims.sort();
            s.metric == metric && s.statistic == Statistic::Sum && dims == want
        })
        .map(|s| s.value)
        .collect();
    (!found.is_empty()).then(|| found.iter().sum())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shard_level_series_and_tag_filters() {
    let env = start().await;
    for (name, shards, team) in [
        ("hot", 2, Some("data")),
        ("cold", 1, Some("web")),
        ("bare", 1, None),
    ] {
        env.kinesis
            .create_stream()
            .stream_name(name)
            .shard_count(shards)
            .send()
            .await
            .expect("create");
        if let Some(team) = team {
            env.kinesis
                .add_tags_to_stream()
                .stream_name(name)
                .tags("team", team)
                .send()
                .await
                .expect("tag");
        }
    }
    // Enhanced monitoring: IncomingRecords per shard on "hot"; everything on "cold".
    env.kinesis
        .enable_enhanced_monitoring()
        .stream_name("hot")
        .shard_level_metrics(aws_sdk_kinesis::types::MetricsName::IncomingRecords)
        .send()
        .await
        .expect("enhanced monitoring");
    env.kinesis
        .enable_enhanced_monitoring()
        .stream_name("cold")
        .shard_level_metrics(aws_sdk_kinesis::types::MetricsName::All)
        .send()
        .await
        .expect("enhanced monitoring");
    put_at(&env.kinesis, "hot", "0", 3).await;
    put_at(
        &env.kinesis,
        "hot",
        "170141183460469231731687303715884105728",
        4,
    )
    .await;
    put_at(&env.kinesis, "cold", "0", 5).await;
    put(&env.kinesis, "bare", 2).await;
    next_second().await;

    let mut config = config(vec![spec("IncomingRecords", &[Statistic::Sum])]);
    config.shard_metrics = vec![
        spec("IncomingRecords", &[Statistic::Sum]),
        spec("IncomingBytes", &[Statistic::Sum]),
    ];
    config.kinesis_tag_filters = vec![cloudwatch_collector::TagFilter {
        key: "team".into(),
        values: vec!["data".into(), "ml".into()],
    }];
    config.tag_refresh = Duration::from_secs(600);
    config.account_name = Some("dev".into());
    let mut collector = Collector::new(env.kinesis.clone(), env.cloudwatch.clone(), config);
    let first = collector.collect(now_ms()).await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert_eq!(
        first.streams,
        ["hot"],
        "only streams tagged team=data or team=ml"
    );
    assert_eq!(
        first.calls.list_tags_for_stream, 3,
        "each stream's tags read once"
    );
    assert_eq!(total(&first, "hot", "IncomingRecords", Statistic::Sum), 7.0);
    assert_eq!(
        shard_total(&first, "hot", "shardId-000000000000", "IncomingRecords"),
        Some(3.0)
    );
    assert_eq!(
        shard_total(&first, "hot", "shardId-000000000001", "IncomingRecords"),
        Some(4.0)
    );
    // IncomingBytes is not enabled per shard on "hot": ListMetrics names no such series,
    // so none is requested (and billed); "cold" is filtered out.
    assert_eq!(
        shard_total(&first, "hot", "shardId-000000000000", "IncomingBytes"),
        None
    );
    assert!(
        first
            .samples
            .iter()
            .all(|s| s.dimensions.iter().any(|(_, v)| v == "hot"))
    );
    assert_eq!(
        first.calls.list_metrics, 2,
        "one ListMetrics page per shard metric"
    );
    assert_eq!(first.metrics_requested, 1 + 2);

    // The next cycle takes tags from the cache.
    put_at(&env.kinesis, "hot", "0", 1).await;
    next_second().await;
    let second = collector.collect(now_ms()).await;
    assert!(second.errors.is_empty(), "{:?}", second.errors);
    assert_eq!(second.calls.list_tags_for_stream, 0);
    assert_eq!(
        shard_total(&second, "hot", "shardId-000000000000", "IncomingRecords"),
        Some(1.0)
    );

    // The inventory reuses the cached tags and names the account.
    let mut calls = Default::default();
    let objects = collector
        .inventory(&second.streams, &mut calls)
        .await
        .expect("inventory");
    assert_eq!(calls.list_tags_for_stream, 0);
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0].tags["team"], "data");
    assert_eq!(
        objects[0].fields["AccountId"],
        FieldValue::Str("000000000000".into())
    );
    assert_eq!(
        objects[0].fields["AccountName"],
        FieldValue::Str("dev".into())
    );
}

/// A namespace read through ListMetrics: every series of it is collected, with whatever
/// dimensions it has (none included), up to `max_listed_series`; the rest are counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listed_namespaces_are_read_through_list_metrics_within_their_bound() {
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
    let env = start().await;
    let mut data: Vec<MetricDatum> = (0..4)
        .map(|i| {
            MetricDatum::builder()
                .metric_name("Orders")
                .dimensions(
                    Dimension::builder()
                        .name("Shop")
                        .value(format!("s{i}"))
                        .build(),
                )
                .value(f64::from(i + 1))
                .build()
        })
        .collect();
    data.push(
        MetricDatum::builder()
            .metric_name("Orders")
            .value(100.0)
            .build(),
    );
    env.cloudwatch
        .put_metric_data()
        .namespace("App/Orders")
        .set_metric_data(Some(data))
        .send()
        .await
        .expect("put");
    next_second().await;
    let listed = |max| CollectorConfig {
        namespaces: Vec::new(),
        listed: vec![cloudwatch_collector::ListedNamespace::all_of("App/Orders")],
        max_listed_series: max,
        ..config(Vec::new())
    };
    let mut all = Collector::new(env.kinesis.clone(), env.cloudwatch.clone(), listed(10));
    let cycle = all.collect(now_ms()).await;
    assert!(cycle.errors.is_empty(), "{:?}", cycle.errors);
    assert_eq!(cycle.series_left_out, 0);
    let sums: Vec<(Vec<(String, String)>, f64)> = cycle
        .samples
        .iter()
        .filter(|s| s.namespace == "App/Orders" && s.statistic == Statistic::Sum)
        .map(|s| (s.dimensions.clone(), s.value))
        .collect();
    assert_eq!(sums.len(), 5, "{sums:?}");
    // The series without dimensions is read too.
    assert!(sums.contains(&(Vec::new(), 100.0)), "{sums:?}");
    assert!(
        sums.contains(&(vec![("Shop".into(), "s3".into())], 4.0)),
        "{sums:?}"
    );
    // Unknown to the catalogue: Sum, Average, Maximum and SampleCount each.
    assert_eq!(cycle.metrics_requested, 5 * 4);

    let mut bounded = Collector::new(env.kinesis.clone(), env.cloudwatch.clone(), listed(3));
    let cycle = bounded.collect(now_ms()).await;
    assert_eq!(cycle.series_left_out, 2);
    assert_eq!(cycle.metrics_requested, 3 * 4);
}
