//! `streamwatch bench collect`: API calls and time of one collection cycle against the
//! embedded engine started in this process.
//!
//! - The pipeline: many streams, functions and queues (1,000 of each by default) collected
//!   with the default sets of `streamwatch collect --namespace aws_kinesis,aws_lambda,aws_sqs`
//!   (the account-level Lambda series, the consumers, `KinesisLambdaPipeline` read through
//!   ListMetrics and the functions' failure queues among them), cold (the pipeline links read)
//!   then warm (the links cached, as on the next cycles until the inventory refresh), and the
//!   inventory `collect` adds every `--inventory-interval` (timed on its own). Issue
//!   16's targets: no more GetMetricData calls than one per 500 queries, and under 10 s.
//! - The peer: the stream-level `AWS/Kinesis` set over the streams only, batched (500 queries
//!   a GetMetricData call) and one query per call as a naive exporter asks, bounded to the
//!   streams (over the whole pipeline it would make a call for each of some 100,000 queries).

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use cloudwatch_collector::{Collector, CollectorConfig, Cycle, LinkKind, MAX_QUERIES_PER_CALL};
use futures::{StreamExt as _, TryStreamExt as _};
use metric_store::catalog::pipeline;
use time_source::now_ms_i64 as now_ms;

/// Options of `streamwatch bench collect`.
#[derive(Args, Debug)]
pub struct CollectBenchArgs {
    /// Streams to create, each with one shard and one record.
    #[arg(long, default_value_t = 1000)]
    streams: usize,
    /// Functions to create (never invoked); every tenth from the first has a (disabled)
    /// event source mapping with an on-failure queue, every tenth from the fourth a
    /// dead-letter queue, every tenth from the sixth an asynchronous on-failure queue.
    #[arg(long, default_value_t = 1000)]
    functions: usize,
    /// Queues to create, each with one message.
    #[arg(long, default_value_t = 1000)]
    queues: usize,
    /// Also run the streams' one-query-per-call cycle (it makes one call per metric
    /// requested).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    per_metric: bool,
}

const REGION: &str = "us-east-1";
/// The namespaces the pipeline cycle collects, as `streamwatch collect --namespace` names them.
const NAMESPACES: [&str; 3] = ["aws_kinesis", "aws_lambda", "aws_sqs"];
/// Issue 16's target for one cycle over 1,000 streams, functions and queues.
const CYCLE_TARGET: Duration = Duration::from_secs(10);
/// Setup calls in flight at once.
const SETUP_CONCURRENCY: usize = 16;

/// The SDK clients of the engine.
struct Clients {
    kinesis: aws_sdk_kinesis::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    lambda: aws_sdk_lambda::Client,
    sqs: aws_sdk_sqs::Client,
    sns: aws_sdk_sns::Client,
}

/// Runs the benchmark.
pub async fn run(args: CollectBenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.streams > 0 && args.queues > 0,
        "bench collect needs at least one stream and one queue"
    );
    let engine = kinesis_engine::Engine::open(kinesis_engine::EngineConfig {
        transition_delay: Duration::ZERO,
        shard_limits: false,
        shard_quota: (args.streams as u32).max(500),
        ..kinesis_engine::EngineConfig::default()
    })?;
    let server = streamwatch_server::start("127.0.0.1:0".parse()?, engine).await?;
    let shared = crate::sdk::sdk_config(REGION, Some(&server.endpoint())).await;
    let c = Clients {
        kinesis: aws_sdk_kinesis::Client::new(&shared),
        cloudwatch: aws_sdk_cloudwatch::Client::new(&shared),
        lambda: aws_sdk_lambda::Client::new(&shared),
        sqs: aws_sdk_sqs::Client::new(&shared),
        sns: aws_sdk_sns::Client::new(&shared),
    };
    let setup = Instant::now();
    eprintln!(
        "bench collect: creating {} streams, {} queues, {} functions",
        args.streams, args.queues, args.functions
    );
    create_streams(&c, args.streams).await?;
    let queue_arns = create_queues(&c, args.queues).await?;
    create_functions(&c, args.functions, args.streams, &queue_arns).await?;
    eprintln!(
        "bench collect: set up in {:.1} s",
        setup.elapsed().as_secs_f64()
    );
    // Let the minute with the puts end; the default 60 s period and no delay.
    let wait = 60_000 - now_ms().rem_euclid(60_000) + 200;
    eprintln!(
        "bench collect: waiting {} s for the period to end",
        wait / 1000
    );
    tokio::time::sleep(Duration::from_millis(wait as u64)).await;
    let at = now_ms();

    let mut missed = Vec::new();
    // The pipeline, as `streamwatch collect --namespace aws_kinesis,aws_lambda,aws_sqs`
    // collects it; no delay, as the wait above let the period end.
    let config = CollectorConfig {
        delay: Duration::ZERO,
        ..crate::collect::default_collector_config(&NAMESPACES, REGION).await?
    };
    let per_resource = |specs: &[cloudwatch_collector::MetricSpec]| -> usize {
        specs.iter().map(|m| m.statistics.len()).sum()
    };
    println!(
        "pipeline: --namespace {} (and KinesisLambdaPipeline through ListMetrics); queries per stream {}, per function {}, per queue {}, account-level {}",
        NAMESPACES.join(","),
        per_resource(&config.metrics),
        per_resource(&config.lambda_metrics),
        per_resource(&config.sqs_metrics),
        per_resource(&config.lambda_account_metrics),
    );
    let period_ms = config.period_secs * 1000;
    let mut collector = Collector::new(c.kinesis.clone(), c.cloudwatch.clone(), config)
        .with_lambda(c.lambda.clone())
        .with_sqs(c.sqs.clone())
        .with_sns(c.sns.clone());
    let rss_before = peak_rss::reset();
    let started = Instant::now();
    let cold = collector.collect(at).await;
    let cold_time = started.elapsed();
    let rss_peak = peak_rss::peak_kb();
    // The next cycle a period later: links still cached (`tag_refresh` is 5 minutes).
    let started = Instant::now();
    let warm = collector.collect(at + period_ms).await;
    let warm_time = started.elapsed();
    for (label, cycle, took) in [
        ("cold (links read)", &cold, cold_time),
        ("warm (links cached)", &warm, warm_time),
    ] {
        report_pipeline(label, cycle, took, &mut missed);
    }
    // What `collect` adds after a cycle every `--inventory-interval` (5 minutes by default):
    // the inventory, one object a resource.
    let started = Instant::now();
    let mut calls = cloudwatch_collector::ApiCalls::default();
    let mut objects = collector.inventory(&cold.streams, &mut calls).await?;
    objects.extend(
        collector
            .inventory_functions(&cold.functions, &mut calls)
            .await?,
    );
    objects.extend(
        collector
            .inventory_queues(&cold.queues, &cold.links, &mut calls)
            .await?,
    );
    let by_operation: Vec<String> = calls
        .by_operation()
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(op, n)| format!("{n} {op}"))
        .collect();
    println!(
        "inventory (every --inventory-interval, not part of the cycle) {:>8.3} s  {} objects, {} API calls: {}",
        started.elapsed().as_secs_f64(),
        objects.len(),
        calls.total(),
        by_operation.join(", ")
    );
    if let (Some(before), Some(peak)) = (rss_before, rss_peak) {
        println!(
            "  process RSS (engine and collector) {:.0} MB before the cold cycle, peak {:.0} MB during it",
            before as f64 / 1024.0,
            peak as f64 / 1024.0
        );
    }
    let found = (cold.streams.len(), cold.functions.len(), cold.queues.len());
    if found != (args.streams, args.functions, args.queues) {
        missed.push(format!(
            "found {found:?} streams, functions, queues; created {:?}",
            (args.streams, args.functions, args.queues)
        ));
    }

    // The peer: the streams' default set, batched and one query per call.
    let config = CollectorConfig {
        delay: Duration::ZERO,
        ..CollectorConfig::default()
    };
    let queries_per_stream = per_resource(&config.metrics);
    let cycle_with = |per_call: usize| {
        let mut c = Collector::new(
            c.kinesis.clone(),
            c.cloudwatch.clone(),
            CollectorConfig {
                queries_per_call: per_call,
                ..config.clone()
            },
        );
        async move {
            let started = Instant::now();
            let cycle = c.collect(at).await;
            (cycle, started.elapsed())
        }
    };
    println!(
        "peer, the streams only: {} streams x {} queries (the default stream-level set: {} metrics with Sum, Average, Maximum, SampleCount)",
        args.streams,
        queries_per_stream,
        config.metrics.len()
    );
    let (batched, batched_time) = cycle_with(MAX_QUERIES_PER_CALL).await;
    report_streams("batched (500 queries a call)", &batched, batched_time);
    if args.per_metric {
        let (naive, naive_time) = cycle_with(1).await;
        report_streams("one query per call", &naive, naive_time);
        anyhow::ensure!(
            naive.samples.len() == batched.samples.len(),
            "both cycles read the same datapoints"
        );
        println!(
            "one query per call needs {:.0}x the API calls and {:.1}x the time",
            naive.calls.total() as f64 / batched.calls.total().max(1) as f64,
            naive_time.as_secs_f64() / batched_time.as_secs_f64().max(1e-9),
        );
    }
    server.shutdown().await?;
    anyhow::ensure!(missed.is_empty(), "targets missed: {}", missed.join("; "));
    Ok(())
}

/// Creates `n` streams of one shard, each with one record.
async fn create_streams(c: &Clients, n: usize) -> anyhow::Result<()> {
    futures::stream::iter(0..n)
        .map(|i| async move {
            let name = stream_name(i);
            c.kinesis
                .create_stream()
                .stream_name(&name)
                .shard_count(1)
                .send()
                .await
                .context("CreateStream")?;
            c.kinesis
                .put_record()
                .stream_name(&name)
                .partition_key("k")
                .data(aws_sdk_kinesis::primitives::Blob::new("v"))
                .send()
                .await
                .context("PutRecord")?;
            anyhow::Ok(())
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .try_collect::<()>()
        .await
}

/// Creates `n` queues, each with one message; returns their ARNs in order.
async fn create_queues(c: &Clients, n: usize) -> anyhow::Result<Vec<String>> {
    futures::stream::iter(0..n)
        .map(|i| async move {
            let url = c
                .sqs
                .create_queue()
                .queue_name(format!("queue-{i:05}"))
                .send()
                .await
                .context("CreateQueue")?
                .queue_url()
                .context("CreateQueue returned no URL")?
                .to_string();
            c.sqs
                .send_message()
                .queue_url(&url)
                .message_body("v")
                .send()
                .await
                .context("SendMessage")?;
            let attributes = c
                .sqs
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .send()
                .await
                .context("GetQueueAttributes")?;
            attributes
                .attributes()
                .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
                .cloned()
                .context("the queue has no ARN")
        })
        .buffered(SETUP_CONCURRENCY)
        .try_collect()
        .await
}

/// Creates `n` functions from a tiny zip, linking three in ten to a queue (see
/// [`CollectBenchArgs::functions`]), and puts one `KinesisLambdaPipeline` datapoint for
/// each mapped function, so the listed namespace has series.
async fn create_functions(
    c: &Clients,
    n: usize,
    streams: usize,
    queue_arns: &[String],
) -> anyhow::Result<()> {
    use aws_sdk_lambda::types::{DeadLetterConfig, DestinationConfig, FunctionCode, OnFailure};
    let zip = function_zip::bootstrap_zip(b"#!/bin/sh\nexit 1\n")?;
    let account = queue_arns[0].split(':').nth(4).unwrap_or("000000000000");
    let account = account.to_string();
    futures::stream::iter(0..n)
        .map(|i| {
            let (zip, account) = (&zip, &account);
            async move {
                let name = format!("function-{i:05}");
                let queue = queue_arns[i % queue_arns.len()].clone();
                let mut create = c
                    .lambda
                    .create_function()
                    .function_name(&name)
                    .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
                    .role(format!("arn:aws:iam::{account}:role/bench"))
                    .code(
                        FunctionCode::builder()
                            .zip_file(aws_sdk_lambda::primitives::Blob::new(zip.clone()))
                            .build(),
                    );
                if i % 10 == 3 {
                    create = create
                        .dead_letter_config(DeadLetterConfig::builder().target_arn(queue).build());
                }
                create.send().await.context("CreateFunction")?;
                let on_failure = |queue: &str| {
                    DestinationConfig::builder()
                        .on_failure(OnFailure::builder().destination(queue).build())
                        .build()
                };
                let queue = &queue_arns[i % queue_arns.len()];
                if i % 10 == 0 {
                    // Disabled: no poller competes with the collector for the CPU.
                    c.lambda
                        .create_event_source_mapping()
                        .function_name(&name)
                        .event_source_arn(format!(
                            "arn:aws:kinesis:{REGION}:{account}:stream/{}",
                            stream_name(i % streams)
                        ))
                        .starting_position(aws_sdk_lambda::types::EventSourcePosition::Latest)
                        .enabled(false)
                        .destination_config(on_failure(queue))
                        .send()
                        .await
                        .context("CreateEventSourceMapping")?;
                    c.cloudwatch
                        .put_metric_data()
                        .namespace(pipeline::NAMESPACE)
                        .metric_data(
                            aws_sdk_cloudwatch::types::MetricDatum::builder()
                                .metric_name(pipeline::RECORD_PROCESSING_SUCCESS.name)
                                .dimensions(dimension("Environment", "bench"))
                                .dimensions(dimension("Pipeline", &name))
                                .value(1.0)
                                .build(),
                        )
                        .send()
                        .await
                        .context("PutMetricData")?;
                }
                if i % 10 == 5 {
                    c.lambda
                        .put_function_event_invoke_config()
                        .function_name(&name)
                        .destination_config(on_failure(queue))
                        .send()
                        .await
                        .context("PutFunctionEventInvokeConfig")?;
                }
                anyhow::Ok(())
            }
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .try_collect::<()>()
        .await
}

fn stream_name(i: usize) -> String {
    format!("stream-{i:05}")
}

fn dimension(name: &str, value: &str) -> aws_sdk_cloudwatch::types::Dimension {
    aws_sdk_cloudwatch::types::Dimension::builder()
        .name(name)
        .value(value)
        .build()
}

/// Prints a pipeline cycle and checks it against issue 16's targets, adding what it missed.
fn report_pipeline(label: &str, cycle: &Cycle, took: Duration, missed: &mut Vec<String>) {
    let gmd = cycle.calls.get_metric_data;
    let bound = cycle
        .metrics_requested
        .div_ceil(MAX_QUERIES_PER_CALL as u64);
    let discovery: Vec<String> = cycle
        .calls
        .by_operation()
        .iter()
        .filter(|(op, n)| *n > 0 && *op != "GetMetricData")
        .map(|(op, n)| format!("{n} {op}"))
        .collect();
    let links = |kind: LinkKind| cycle.links.iter().filter(|l| l.kind == kind).count();
    println!(
        "{label:20} {:>8.3} s  {} API calls: {gmd} GetMetricData for {} queries (ceil(queries/500) = {bound}), discovery {}",
        took.as_secs_f64(),
        cycle.calls.total(),
        cycle.metrics_requested,
        discovery.join(", "),
    );
    println!(
        "  found {} streams, {} functions, {} queues; links {} on-failure, {} dead-letter, {} async-on-failure; {} datapoints, {} errors",
        cycle.streams.len(),
        cycle.functions.len(),
        cycle.queues.len(),
        links(LinkKind::OnFailure),
        links(LinkKind::DeadLetter),
        links(LinkKind::AsyncOnFailure),
        cycle.samples.len(),
        cycle.errors.len(),
    );
    let calls_met = gmd <= bound;
    let time_met = took < CYCLE_TARGET;
    println!(
        "  targets: GetMetricData calls <= ceil(queries/500): {}; under {} s: {}",
        if calls_met { "met" } else { "MISSED" },
        CYCLE_TARGET.as_secs(),
        if time_met { "met" } else { "MISSED" },
    );
    if !calls_met {
        missed.push(format!("{label}: {gmd} GetMetricData calls > {bound}"));
    }
    if !time_met {
        missed.push(format!("{label}: {:.1} s", took.as_secs_f64()));
    }
    if let Some(e) = cycle.errors.first() {
        missed.push(format!(
            "{label}: {} errors, first: {e}",
            cycle.errors.len()
        ));
    }
}

fn report_streams(label: &str, cycle: &Cycle, took: Duration) {
    println!(
        "{label:32} {:>7} API calls ({} ListStreams, {} GetMetricData)  {:>8.3} s  {} metrics requested (~${:.2})  {} datapoints  {} errors",
        cycle.calls.total(),
        cycle.calls.list_streams,
        cycle.calls.get_metric_data,
        took.as_secs_f64(),
        cycle.metrics_requested,
        cycle.estimated_cost_usd(),
        cycle.samples.len(),
        cycle.errors.len()
    );
}

/// This process's peak resident set, through Linux's `/proc/self/status` (`VmHWM`), which
/// writing 5 to `/proc/self/clear_refs` resets to the current resident set.
mod peak_rss {
    /// Resets the peak to the current resident set, returned in kB; `None` off Linux or when
    /// the reset is refused.
    pub(super) fn reset() -> Option<u64> {
        std::fs::write("/proc/self/clear_refs", "5").ok()?;
        status_kb("VmRSS:")
    }

    /// The peak resident set since the last reset, in kB.
    pub(super) fn peak_kb() -> Option<u64> {
        status_kb("VmHWM:")
    }

    fn status_kb(field: &str) -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with(field))?;
        line[field.len()..].split_whitespace().next()?.parse().ok()
    }
}
