//! Sends the schedule's records and gathers the results into the registry.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use load_gen::{RecordSource, Schedule};
use load_verdict::{Registry, Thresholds, names};
use tokio::sync::{Semaphore, mpsc};

use super::LoadArgs;

/// How often the generator wakes to send what has come due.
const TICK: Duration = Duration::from_millis(5);
/// How often `abortOnFail` thresholds are checked during the run (k6: every two seconds).
const ABORT_CHECK: Duration = Duration::from_secs(2);

/// Where the records go: an SDK client, and the in-process engine when one was started.
pub(super) struct Target {
    kinesis: aws_sdk_kinesis::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    endpoint: String,
    server: Option<streamwatch_server::RunningServer>,
}

impl Target {
    /// Connects to `--endpoint` (a URL or `aws`), or starts the engine in-process.
    pub(super) async fn connect(args: &LoadArgs) -> anyhow::Result<Target> {
        let (endpoint, server) = match args.endpoint.as_deref() {
            Some("aws") => (None, None),
            Some(url) => (Some(url.to_owned()), None),
            None => {
                let engine = kinesis_engine::Engine::open(kinesis_engine::EngineConfig {
                    transition_delay: Duration::ZERO,
                    shard_limits: args.shard_limits == "aws",
                    ..kinesis_engine::EngineConfig::default()
                })?;
                let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
                let server = streamwatch_server::start(addr, engine)
                    .await
                    .context("starting the engine in-process")?;
                (Some(server.endpoint()), Some(server))
            }
        };
        let shared = crate::sdk::sdk_config(&args.region, endpoint.as_deref()).await;
        Ok(Target {
            kinesis: aws_sdk_kinesis::Client::new(&shared),
            logs: aws_sdk_cloudwatchlogs::Client::new(&shared),
            endpoint: endpoint.unwrap_or_else(|| format!("AWS {}", args.region)),
            server,
        })
    }

    /// Where the records go, for messages.
    pub(super) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Creates the stream when it does not exist and waits until it is ACTIVE; returns its
    /// capacity mode and open shards, for the cost.
    pub(super) async fn ensure_stream(
        &self,
        name: &str,
        shards: u32,
    ) -> anyhow::Result<(aws_prices::StreamMode, u32)> {
        let exists = self
            .kinesis
            .describe_stream_summary()
            .stream_name(name)
            .send()
            .await
            .is_ok();
        if !exists {
            self.kinesis
                .create_stream()
                .stream_name(name)
                .shard_count(i32::try_from(shards).unwrap_or(i32::MAX))
                .send()
                .await
                .with_context(|| format!("creating stream {name}"))?;
        }
        for _ in 0..600 {
            let summary = self
                .kinesis
                .describe_stream_summary()
                .stream_name(name)
                .send()
                .await
                .with_context(|| format!("describing stream {name}"))?;
            if let Some(s) = summary.stream_description_summary()
                && s.stream_status().as_str() == "ACTIVE"
            {
                let on_demand = s
                    .stream_mode_details()
                    .is_some_and(|m| m.stream_mode().as_str() == "ON_DEMAND");
                let mode = if on_demand {
                    aws_prices::StreamMode::OnDemand
                } else {
                    aws_prices::StreamMode::Provisioned
                };
                return Ok((mode, u32::try_from(s.open_shard_count()).unwrap_or(0)));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("stream {name} did not become ACTIVE within a minute")
    }

    /// Stops the in-process engine, if one was started.
    pub(super) async fn stop(self) {
        if let Some(server) = self.server {
            let _ = server.shutdown().await;
        }
    }
}

/// The result of one call, records that could not be sent, or what the function did.
pub(super) enum Sample {
    /// A load-test record the function finished, `latency_ms` after it was sent.
    Completed { latency_ms: f64 },
    /// One invocation of the function (a REPORT line), cold when it had an Init Duration,
    /// with its billed duration and memory when the line gives them.
    Invocation {
        cold: bool,
        billed_ms: Option<u64>,
        memory_mb: Option<u32>,
    },
    /// One put call's result.
    Call {
        duration_ms: f64,
        records: u64,
        stored: u64,
        throttled: u64,
        bytes: u64,
        /// Sizes (partition key and data) of the records stored, for PUT payload units.
        stored_sizes: Vec<u64>,
    },
    /// Records due while every call slot was busy.
    Dropped(u64),
}

/// What the run produced.
pub(super) struct Outcome {
    pub(super) registry: Registry,
    pub(super) elapsed: Duration,
    pub(super) aborted: bool,
    /// Records stored by the stream.
    pub(super) stored: u64,
    /// With `--function`: records the function finished, and those it never finished
    /// within `--drain` (lost).
    pub(super) completed: Option<(u64, u64)>,
    /// Stored records by size, for the cost.
    pub(super) sizes: std::collections::BTreeMap<u64, u64>,
    /// The function's billed invocations, for the cost.
    pub(super) lambda: Option<aws_prices::LambdaUsage>,
}

/// Counts kept beside the registry while the run goes on.
#[derive(Default)]
struct Counts {
    stored: u64,
    dropped: u64,
    completed: u64,
    sizes: std::collections::BTreeMap<u64, u64>,
    lambda: Option<aws_prices::LambdaUsage>,
}

/// Runs the schedule against the stream.
pub(super) async fn drive(
    args: &LoadArgs,
    schedule: &Schedule,
    target: &Target,
    mut registry: Registry,
    thresholds: &Thresholds,
) -> anyhow::Result<Outcome> {
    let source_id = format!("lt-{:016x}", fastrand_seed(args.seed));
    let mut source = RecordSource::new(
        source_id.clone(),
        args.record_size.clone(),
        args.keys.clone(),
        args.template.clone().unwrap_or_default(),
        args.seed,
    );
    let slots = Arc::new(Semaphore::new(args.max_in_flight as usize));
    let (tx, mut rx) = mpsc::unbounded_channel::<Sample>();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let since_ms = time_source::now_ms().saturating_sub(1000);
    let observer = args.function.as_ref().map(|f| {
        let observer = super::observe::Observer {
            logs: target.logs.clone(),
            group: format!("/aws/lambda/{f}"),
            test_id: source_id.clone(),
            since_ms: i64::try_from(since_ms).unwrap_or(i64::MAX),
            // With --output-stream the downstream records say when each record was done.
            completions: args.output_stream.is_none(),
        };
        tokio::spawn(observer.run(tx.clone(), stop_rx.clone()))
    });
    let downstream = args.output_stream.as_ref().map(|stream| {
        let observer = super::observe::StreamObserver {
            kinesis: target.kinesis.clone(),
            stream: stream.clone(),
            test_id: source_id.clone(),
            since_ms,
        };
        tokio::spawn(observer.run(tx.clone(), stop_rx))
    });
    let observing = observer.is_some() || downstream.is_some();
    let mut counts = Counts::default();
    let batch = args.batch as u64;
    let start = Instant::now();
    let mut next_abort_check = ABORT_CHECK;
    let mut sent: u64 = 0;
    let mut aborted = false;
    let end = schedule.duration();
    // A live line on a terminal (hidden when stderr is not one), like k6's progress bar.
    let progress = indicatif::ProgressBar::new(schedule.total());
    progress.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} records sent  {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let elapsed = start.elapsed();
        while let Ok(sample) = rx.try_recv() {
            record(&mut registry, &mut counts, sample);
        }
        if elapsed >= next_abort_check {
            next_abort_check += ABORT_CHECK;
            if thresholds.should_abort(&registry, elapsed) {
                aborted = true;
                break;
            }
        }
        let due = schedule.due(elapsed.min(end));
        let now_ms = time_source::now_ms();
        while sent < due {
            let n = (due - sent).min(batch);
            let records: Vec<(String, Vec<u8>)> = (sent..sent + n)
                .map(|seq| source.record(seq, now_ms))
                .collect();
            sent += n;
            match slots.clone().try_acquire_owned() {
                Ok(permit) => {
                    let client = target.kinesis.clone();
                    let stream = args.stream.clone();
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        let sample = send(&client, &stream, records).await;
                        drop(permit);
                        let _ = tx.send(sample);
                    });
                }
                Err(_) => {
                    let _ = tx.send(Sample::Dropped(n));
                }
            }
        }
        progress.set_position(sent);
        progress.set_message(format!(
            "{} stored, {} in flight, {} dropped",
            counts.stored,
            args.max_in_flight as usize - slots.available_permits(),
            counts.dropped
        ));
        if elapsed >= end {
            break;
        }
    }
    progress.finish_and_clear();
    let elapsed = start.elapsed().min(end.max(Duration::from_millis(1)));
    // Wait for the calls in flight: they hold every slot until done.
    let _all = slots.acquire_many(args.max_in_flight).await;
    while let Ok(sample) = rx.try_recv() {
        record(&mut registry, &mut counts, sample);
    }
    // With a function: wait up to --drain for it to finish every stored record.
    if observing && !aborted {
        let deadline = Instant::now() + args.drain;
        while counts.completed < counts.stored && Instant::now() < deadline {
            if let Ok(Some(sample)) =
                tokio::time::timeout(Duration::from_millis(200), rx.recv()).await
            {
                record(&mut registry, &mut counts, sample);
            }
        }
    }
    let _ = stop_tx.send(true);
    for task in [observer, downstream].into_iter().flatten() {
        let _ = task.await;
    }
    drop(tx);
    while let Some(sample) = rx.recv().await {
        record(&mut registry, &mut counts, sample);
    }
    let completed = observing.then(|| {
        let lost = counts.stored.saturating_sub(counts.completed);
        // A record the pipeline never finished is a failed record.
        for _ in 0..lost {
            let _ = registry.add(names::ERROR_RATE, 1.0);
        }
        (counts.completed, lost)
    });
    Ok(Outcome {
        registry,
        elapsed,
        aborted,
        stored: counts.stored,
        completed,
        sizes: counts.sizes,
        lambda: counts.lambda,
    })
}

/// A test id that differs between runs (the seed only fixes the records' contents).
fn fastrand_seed(seed: u64) -> u64 {
    seed ^ time_source::now_ms().rotate_left(17) ^ u64::from(std::process::id())
}

/// Sends one call: PutRecord for one record, PutRecords for more.
async fn send(
    client: &aws_sdk_kinesis::Client,
    stream: &str,
    records: Vec<(String, Vec<u8>)>,
) -> Sample {
    let n = records.len() as u64;
    let sizes: Vec<u64> = records
        .iter()
        .map(|(k, d)| (k.len() + d.len()) as u64)
        .collect();
    let bytes: u64 = sizes.iter().sum();
    let mut stored_sizes = Vec::with_capacity(sizes.len());
    let started = Instant::now();
    let (stored, throttled) = if records.len() == 1 {
        let Some((key, data)) = records.into_iter().next() else {
            return Sample::Dropped(0);
        };
        match client
            .put_record()
            .stream_name(stream)
            .partition_key(key)
            .data(Blob::new(data))
            .send()
            .await
        {
            Ok(_) => {
                stored_sizes.extend_from_slice(&sizes);
                (1, 0)
            }
            Err(e) => {
                let throttled = e
                    .as_service_error()
                    .is_some_and(|s| s.is_provisioned_throughput_exceeded_exception());
                (0, u64::from(throttled))
            }
        }
    } else {
        let entries: Vec<PutRecordsRequestEntry> = records
            .into_iter()
            .filter_map(|(key, data)| {
                PutRecordsRequestEntry::builder()
                    .partition_key(key)
                    .data(Blob::new(data))
                    .build()
                    .ok()
            })
            .collect();
        match client
            .put_records()
            .stream_name(stream)
            .set_records(Some(entries))
            .send()
            .await
        {
            Ok(out) => {
                let mut stored = 0;
                let mut throttled = 0;
                for (r, size) in out.records().iter().zip(&sizes) {
                    match r.error_code() {
                        None => {
                            stored += 1;
                            stored_sizes.push(*size);
                        }
                        Some("ProvisionedThroughputExceededException") => throttled += 1,
                        Some(_) => {}
                    }
                }
                (stored, throttled)
            }
            Err(e) => {
                let throttled = e
                    .as_service_error()
                    .is_some_and(|s| s.is_provisioned_throughput_exceeded_exception());
                (0, if throttled { n } else { 0 })
            }
        }
    };
    Sample::Call {
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        records: n,
        stored,
        throttled,
        bytes,
        stored_sizes,
    }
}

/// Adds one sample to the registry under k6's pipeline names.
fn record(registry: &mut Registry, counts: &mut Counts, sample: Sample) {
    match &sample {
        Sample::Call {
            stored,
            stored_sizes,
            ..
        } => {
            counts.stored += stored;
            for size in stored_sizes {
                *counts.sizes.entry(*size).or_default() += 1;
            }
        }
        Sample::Completed { .. } => counts.completed += 1,
        Sample::Invocation {
            billed_ms: Some(ms),
            memory_mb: Some(mb),
            ..
        } => {
            let usage = counts.lambda.get_or_insert_with(|| {
                aws_prices::LambdaUsage::new(*mb, aws_prices::Architecture::X86_64)
            });
            usage.add_invocation(Duration::from_millis(*ms));
        }
        Sample::Dropped(n) => counts.dropped += n,
        Sample::Invocation { .. } => {}
    }
    // Every name is defined by Registry::pipeline(), so adding cannot fail.
    let mut add = |name: &str, value: f64| {
        let _ = registry.add(name, value);
    };
    match sample {
        Sample::Call {
            duration_ms,
            records,
            stored,
            throttled,
            bytes,
            ..
        } => {
            add(names::KINESIS_PUT_RECORD_DURATION, duration_ms);
            add(names::ITERATIONS, records as f64);
            add(names::DATA_SENT, bytes as f64);
            add(names::KINESIS_PUT_RECORD_THROUGHPUT, stored as f64);
            let failed = records - stored - throttled;
            for _ in 0..stored {
                add(names::KINESIS_PUT_RECORD_SUCCESS_RATE, 1.0);
                add(names::KINESIS_THROTTLING_RATE, 0.0);
                add(names::ERROR_RATE, 0.0);
            }
            for _ in 0..throttled {
                add(names::KINESIS_PUT_RECORD_SUCCESS_RATE, 0.0);
                add(names::KINESIS_THROTTLING_RATE, 1.0);
                add(names::ERROR_RATE, 0.0);
            }
            for _ in 0..failed {
                add(names::KINESIS_PUT_RECORD_SUCCESS_RATE, 0.0);
                add(names::KINESIS_THROTTLING_RATE, 0.0);
                add(names::ERROR_RATE, 1.0);
            }
        }
        Sample::Dropped(n) => add(names::DROPPED_ITERATIONS, n as f64),
        Sample::Completed { latency_ms } => {
            add(names::END_TO_END_LATENCY, latency_ms);
            add(names::PIPELINE_THROUGHPUT, 1.0);
        }
        Sample::Invocation { cold, .. } => {
            add(names::LAMBDA_COLD_START_RATE, f64::from(u8::from(cold)));
        }
    }
}
