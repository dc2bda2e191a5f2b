//! Sends the schedule's records and gathers the results into the registry.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use kinesis_client::kpl::{AggregatedRecord, Aggregator, UserRecord};
use kinesis_client::shards::{ShardMap, ShardRange, hash_key};
use load_gen::RecordSource;
use load_verdict::{Registry, Thresholds, names};
use tokio::sync::{Semaphore, mpsc};

use super::LoadArgs;
use super::scenarios::Scenario;

/// How often the generator wakes to send what has come due.
const TICK: Duration = Duration::from_millis(5);
/// How often `abortOnFail` thresholds are checked during the run (k6: every two seconds).
const ABORT_CHECK: Duration = Duration::from_secs(2);

/// Where `streamwatch serve` and `demo` listen by default: `load` without `--endpoint` uses
/// the engine there when one runs.
const LOCAL_ENGINE: &str = "127.0.0.1:4567";

use crate::sdk::Endpoint;

/// Whether a streamwatch engine answers on [`LOCAL_ENGINE`]: its `GET /metrics` page names the
/// engine's own metrics (anything else on the port is left alone).
async fn local_engine_running() -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let probe = async {
        let mut socket = tokio::net::TcpStream::connect(LOCAL_ENGINE).await.ok()?;
        let request = format!("GET /metrics HTTP/1.0\r\nHost: {LOCAL_ENGINE}\r\n\r\n");
        socket.write_all(request.as_bytes()).await.ok()?;
        let mut page = Vec::new();
        socket.read_to_end(&mut page).await.ok()?;
        let marker = metric_store::catalog::own::engine::HELD_RECORD_BYTES.name;
        Some(String::from_utf8_lossy(&page).contains(marker))
    };
    tokio::time::timeout(Duration::from_secs(2), probe)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}

/// Where the records go: an SDK client, and the in-process engine when one was started.
pub(super) struct Target {
    kinesis: aws_sdk_kinesis::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    lambda: aws_sdk_lambda::Client,
    sqs: aws_sdk_sqs::Client,
    endpoint: String,
    /// The region the records go to.
    pub(super) region: String,
    server: Option<streamwatch_server::RunningServer>,
}

impl Target {
    /// Connects to `--endpoint` (a URL or `aws`), or starts the engine in-process.
    pub(super) async fn connect(args: &LoadArgs) -> anyhow::Result<Target> {
        let region = args.aws.region().await;
        let mut endpoint = args.aws.endpoint();
        let local = endpoint == Endpoint::Url(crate::sdk::LOCAL_ENGINE.to_string());
        let mut server = None;
        if local && args.aws.endpoint.is_none() && !local_engine_running().await {
            let engine = kinesis_engine::Engine::open(kinesis_engine::EngineConfig {
                transition_delay: Duration::ZERO,
                shard_limits: args.shard_limits == "aws",
                ..kinesis_engine::EngineConfig::default()
            })?;
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
            let started = streamwatch_server::start(addr, engine)
                .await
                .context("starting the engine in-process")?;
            endpoint = Endpoint::Url(started.endpoint());
            server = Some(started);
        }
        let shared =
            crate::sdk::shared_config(&region, &endpoint, args.aws.profile.as_deref()).await;
        // Each put is measured as k6 measures a request: one attempt (a throttled call is a
        // throttled call, not retried out of sight), and no stall watchdog on the body.
        let kinesis = aws_sdk_kinesis::config::Builder::from(&shared)
            .retry_config(aws_sdk_kinesis::config::retry::RetryConfig::disabled())
            .stalled_stream_protection(
                aws_sdk_kinesis::config::StalledStreamProtectionConfig::disabled(),
            )
            .build();
        Ok(Target {
            kinesis: aws_sdk_kinesis::Client::from_conf(kinesis),
            logs: aws_sdk_cloudwatchlogs::Client::new(&shared),
            lambda: aws_sdk_lambda::Client::new(&shared),
            sqs: aws_sdk_sqs::Client::new(&shared),
            endpoint: endpoint.describe(&region),
            region,
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

    /// The stream's open shards and their hash key ranges (for KPL aggregation).
    pub(super) async fn shard_map(&self, stream: &str) -> anyhow::Result<ShardMap> {
        let mut ranges = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let request = match &token {
                Some(t) => self.kinesis.list_shards().next_token(t),
                None => self.kinesis.list_shards().stream_name(stream),
            };
            let page = request
                .send()
                .await
                .with_context(|| format!("listing the shards of {stream}"))?;
            for shard in page.shards() {
                let open = shard
                    .sequence_number_range()
                    .is_some_and(|r| r.ending_sequence_number().is_none());
                let range = shard.hash_key_range();
                if let (true, Some(range)) = (open, range)
                    && let (Ok(start), Ok(end)) = (
                        range.starting_hash_key().parse(),
                        range.ending_hash_key().parse(),
                    )
                {
                    ranges.push(ShardRange {
                        shard_id: shard.shard_id().to_owned(),
                        start,
                        end,
                    });
                }
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        Ok(ShardMap::new(ranges))
    }

    /// The SQS queue the function's mappings on `streams` send discarded records to (their
    /// on-failure destination), with the ARNs of those streams; `None` when no mapping has an
    /// SQS on-failure destination.
    pub(super) async fn on_failure_queue(
        &self,
        function: &str,
        streams: &[String],
    ) -> Option<(String, Vec<String>)> {
        let mappings = self
            .lambda
            .list_event_source_mappings()
            .function_name(function)
            .send()
            .await
            .ok()?;
        let mut queue_arn = None;
        let mut stream_arns = Vec::new();
        for m in mappings.event_source_mappings() {
            let Some(arn) = m.event_source_arn() else {
                continue;
            };
            let on_loaded_stream = streams
                .iter()
                .any(|s| arn.ends_with(&format!(":stream/{s}")));
            let destination = m
                .destination_config()
                .and_then(|d| d.on_failure())
                .and_then(|f| f.destination())
                .filter(|d| d.starts_with("arn:aws:sqs:"));
            if let (true, Some(destination)) = (on_loaded_stream, destination) {
                stream_arns.push(arn.to_owned());
                queue_arn.get_or_insert_with(|| destination.to_owned());
            }
        }
        // arn:aws:sqs:REGION:ACCOUNT:NAME
        let queue_arn = queue_arn?;
        let mut parts = queue_arn.rsplitn(3, ':');
        let (name, account) = (parts.next()?, parts.next()?);
        let url = self
            .sqs
            .get_queue_url()
            .queue_name(name)
            .queue_owner_aws_account_id(account)
            .send()
            .await
            .ok()?
            .queue_url()?
            .to_owned();
        Some((url, stream_arns))
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
    /// Load-test record `seq`, which the function finished `latency_ms` after it was sent.
    Completed { seq: u64, latency_ms: f64 },
    /// Load-test record `seq`, which a mapping gave up on and sent to its on-failure
    /// destination.
    Discarded { seq: u64 },
    /// One invocation of the function (a REPORT line), cold when it had an Init Duration,
    /// with its billed duration and memory when the line gives them.
    Invocation {
        cold: bool,
        billed_ms: Option<u64>,
        memory_mb: Option<u32>,
    },
    /// One put call's result.
    Call {
        scenario: Arc<str>,
        duration_ms: f64,
        records: u64,
        stored: u64,
        throttled: u64,
        bytes: u64,
        /// Sizes (partition key and data) of the Kinesis records stored (a KPL aggregate
        /// is one), for PUT payload units.
        stored_sizes: Vec<u64>,
    },
    /// Records of a scenario due while every one of its call slots was busy.
    Dropped(Arc<str>, u64),
}

/// What the run produced.
pub(super) struct Outcome {
    pub(super) registry: Registry,
    pub(super) elapsed: Duration,
    pub(super) aborted: bool,
    /// Records stored by the stream.
    pub(super) stored: u64,
    /// With `--function` or `--output-stream`: what became of the stored records.
    pub(super) completed: Option<Completion>,
    /// Stored records by size, for the cost.
    pub(super) sizes: std::collections::BTreeMap<u64, u64>,
    /// The function's billed invocations, for the cost.
    pub(super) lambda: Option<aws_prices::LambdaUsage>,
}

/// What became of the stored records, when the pipeline is watched.
pub(super) struct Completion {
    /// Records the function finished.
    pub(super) completed: u64,
    /// Records a mapping gave up on (its on-failure destination says so) and never finished.
    pub(super) discarded: u64,
    /// Records neither finished nor given up on within `--drain`.
    pub(super) lost: u64,
}

/// Counts kept beside the registry while the run goes on.
#[derive(Default)]
struct Counts {
    stored: u64,
    dropped: u64,
    completed: u64,
    /// Sequence numbers of the records finished and of those given up on.
    completed_seqs: std::collections::HashSet<u64>,
    discarded: std::collections::HashSet<u64>,
    sizes: std::collections::BTreeMap<u64, u64>,
    lambda: Option<aws_prices::LambdaUsage>,
}

/// One scenario while it runs: its records, its call slots and how far it has got.
struct Running<'a> {
    scenario: &'a Scenario,
    tag: Arc<str>,
    source: RecordSource,
    slots: Arc<Semaphore>,
    /// Records made so far (sent or dropped).
    made: u64,
    /// Its records' sequence numbers start here, so one test id covers every scenario.
    first_seq: u64,
    /// With `aggregate`: the stream's open shards, to pack records per shard.
    shards: Option<Arc<ShardMap>>,
}

/// Which scenario record `seq` belongs to (scenarios hold consecutive ranges of numbers).
fn scenario_of<'r>(running: &'r [Running<'_>], seq: u64) -> Option<&'r Arc<str>> {
    running
        .iter()
        .rev()
        .find(|r| r.first_seq <= seq)
        .map(|r| &r.tag)
}

impl Counts {
    /// Records whose fate is known: finished, or given up on.
    fn finished(&self) -> u64 {
        let given_up = self.discarded.difference(&self.completed_seqs).count() as u64;
        self.completed + given_up
    }
}

/// Runs the scenarios against their streams, each on its own schedule from its start time.
pub(super) async fn drive(
    args: &LoadArgs,
    scenarios: &[Scenario],
    target: &Target,
    mut registry: Registry,
    thresholds: &Thresholds,
) -> anyhow::Result<Outcome> {
    let source_id = format!("lt-{:016x}", fastrand_seed(args.seed));
    let mut running = Vec::with_capacity(scenarios.len());
    let mut first_seq = 0;
    for (i, scenario) in scenarios.iter().enumerate() {
        let shards = if scenario.aggregate {
            Some(Arc::new(target.shard_map(&scenario.stream).await?))
        } else {
            None
        };
        running.push(Running {
            scenario,
            tag: Arc::from(scenario.name.as_str()),
            source: RecordSource::new(
                source_id.clone(),
                scenario.record_size.clone(),
                scenario.keys.clone(),
                scenario.template.clone(),
                args.seed.wrapping_add(i as u64),
            ),
            slots: Arc::new(Semaphore::new(scenario.max_in_flight as usize)),
            made: 0,
            first_seq,
            shards,
        });
        first_seq += scenario.schedule.total();
    }
    let total = first_seq;
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
        tokio::spawn(observer.run(tx.clone(), stop_rx.clone()))
    });
    let mut destination = None;
    if let Some(function) = &args.function {
        let streams: Vec<String> = scenarios.iter().map(|s| s.stream.clone()).collect();
        if let Some((queue_url, stream_arns)) = target.on_failure_queue(function, &streams).await {
            eprintln!(
                "streamwatch load: records the mapping gives up on are read from its on-failure destination {queue_url}"
            );
            let observer = super::observe::DestinationObserver {
                sqs: target.sqs.clone(),
                kinesis: target.kinesis.clone(),
                queue_url,
                stream_arns,
                test_id: source_id.clone(),
            };
            destination = Some(tokio::spawn(observer.run(tx.clone(), stop_rx.clone())));
        }
    }
    let observing = observer.is_some() || downstream.is_some();
    let mut counts = Counts::default();
    let start = Instant::now();
    let mut next_abort_check = ABORT_CHECK;
    let mut aborted = false;
    let end = scenarios
        .iter()
        .map(Scenario::end)
        .max()
        .unwrap_or_default();
    // A live line on a terminal (hidden when stderr is not one), like k6's progress bar.
    let progress = indicatif::ProgressBar::new(total);
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
            record(&mut registry, &mut counts, &running, sample);
        }
        if elapsed >= next_abort_check {
            next_abort_check += ABORT_CHECK;
            if thresholds.should_abort(&registry, elapsed) {
                aborted = true;
                break;
            }
        }
        let now_ms = time_source::now_ms();
        let mut in_flight = 0;
        for run in &mut running {
            let s = run.scenario;
            in_flight += s.max_in_flight as usize - run.slots.available_permits();
            let Some(own) = elapsed.checked_sub(s.start) else {
                continue;
            };
            let due = s.schedule.due(own.min(s.schedule.duration()));
            let batch = u64::from(s.batch);
            while run.made < due {
                let n = (due - run.made).min(batch);
                let first = run.first_seq + run.made;
                let records: Vec<(String, Vec<u8>)> = (first..first + n)
                    .map(|seq| run.source.record(seq, now_ms))
                    .collect();
                run.made += n;
                match run.slots.clone().try_acquire_owned() {
                    Ok(permit) => {
                        let client = target.kinesis.clone();
                        let stream = s.stream.clone();
                        let tx = tx.clone();
                        let tag = run.tag.clone();
                        let shards = run.shards.clone();
                        tokio::spawn(async move {
                            let sample = match shards {
                                Some(map) => {
                                    send_aggregated(&client, &stream, tag, records, &map).await
                                }
                                None => send(&client, &stream, tag, records).await,
                            };
                            drop(permit);
                            let _ = tx.send(sample);
                        });
                    }
                    Err(_) => {
                        let _ = tx.send(Sample::Dropped(run.tag.clone(), n));
                    }
                }
            }
        }
        progress.set_position(running.iter().map(|r| r.made).sum());
        progress.set_message(format!(
            "{} stored, {in_flight} in flight, {} dropped",
            counts.stored, counts.dropped
        ));
        if elapsed >= end {
            break;
        }
    }
    progress.finish_and_clear();
    let elapsed = start.elapsed().min(end.max(Duration::from_millis(1)));
    // Wait for the calls in flight: they hold every slot until done.
    for run in &running {
        let _all = run.slots.acquire_many(run.scenario.max_in_flight).await;
    }
    while let Ok(sample) = rx.try_recv() {
        record(&mut registry, &mut counts, &running, sample);
    }
    // With a function: wait up to --drain for it to finish every stored record.
    if observing && !aborted {
        let deadline = Instant::now() + args.drain;
        while counts.finished() < counts.stored && Instant::now() < deadline {
            if let Ok(Some(sample)) =
                tokio::time::timeout(Duration::from_millis(200), rx.recv()).await
            {
                record(&mut registry, &mut counts, &running, sample);
            }
        }
    }
    let _ = stop_tx.send(true);
    for task in [observer, downstream, destination].into_iter().flatten() {
        let _ = task.await;
    }
    drop(tx);
    while let Some(sample) = rx.recv().await {
        record(&mut registry, &mut counts, &running, sample);
    }
    let completed = observing.then(|| {
        // A record the mapping gave up on, and never finished, failed.
        let failed: Vec<u64> = counts
            .discarded
            .difference(&counts.completed_seqs)
            .copied()
            .collect();
        for seq in &failed {
            let tag = scenario_of(&running, *seq).map(|t| &**t);
            let _ = match tag {
                Some(s) => registry.add_tagged(names::ERROR_RATE, 1.0, &[("scenario", s)]),
                None => registry.add(names::ERROR_RATE, 1.0),
            };
        }
        // So did a record the pipeline never finished at all: it is lost.
        let lost = counts
            .stored
            .saturating_sub(counts.completed + failed.len() as u64);
        for _ in 0..lost {
            let _ = registry.add(names::ERROR_RATE, 1.0);
        }
        Completion {
            completed: counts.completed,
            discarded: failed.len() as u64,
            lost,
        }
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
    scenario: Arc<str>,
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
            return Sample::Dropped(scenario, 0);
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
        scenario,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        records: n,
        stored,
        throttled,
        bytes,
        stored_sizes,
    }
}

/// Sends one call with KPL aggregation: the records are grouped by the shard their partition
/// key maps to, each group packed into aggregates of at most 1 MiB (put with the first
/// record's hash key, so each lands on its records' shard), and the aggregates go in one
/// PutRecords. A stored aggregate stores all its records; a throttled one throttles them all.
async fn send_aggregated(
    client: &aws_sdk_kinesis::Client,
    stream: &str,
    scenario: Arc<str>,
    records: Vec<(String, Vec<u8>)>,
    shards: &ShardMap,
) -> Sample {
    let n = records.len() as u64;
    let mut open: BTreeMap<usize, Aggregator> = BTreeMap::new();
    let mut aggregates: Vec<AggregatedRecord> = Vec::new();
    for (key, data) in records {
        let shard = shards.route(hash_key(&key)).unwrap_or(0);
        let agg = open.entry(shard).or_default();
        let user = UserRecord {
            partition_key: key,
            explicit_hash_key: None,
            data: data.into(),
        };
        if !agg.is_empty() && !agg.fits(&user) {
            aggregates.extend(agg.finish());
        }
        agg.push(user);
    }
    for agg in open.values_mut() {
        aggregates.extend(agg.finish());
    }
    let sizes: Vec<u64> = aggregates
        .iter()
        .map(|a| (a.partition_key.len() + a.data.len()) as u64)
        .collect();
    let entries: Vec<PutRecordsRequestEntry> = aggregates
        .iter()
        .filter_map(|a| {
            PutRecordsRequestEntry::builder()
                .partition_key(&a.partition_key)
                .set_explicit_hash_key(a.explicit_hash_key.clone())
                .data(Blob::new(a.data.to_vec()))
                .build()
                .ok()
        })
        .collect();
    let started = Instant::now();
    let mut stored_sizes = Vec::new();
    let (mut stored, mut throttled) = (0, 0);
    match client
        .put_records()
        .stream_name(stream)
        .set_records(Some(entries))
        .send()
        .await
    {
        Ok(out) => {
            for ((r, agg), size) in out.records().iter().zip(&aggregates).zip(&sizes) {
                match r.error_code() {
                    None => {
                        stored += agg.records as u64;
                        stored_sizes.push(*size);
                    }
                    Some("ProvisionedThroughputExceededException") => {
                        throttled += agg.records as u64;
                    }
                    Some(_) => {}
                }
            }
        }
        Err(e) => {
            if e.as_service_error()
                .is_some_and(|s| s.is_provisioned_throughput_exceeded_exception())
            {
                throttled = n;
            }
        }
    }
    Sample::Call {
        scenario,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        records: n,
        stored,
        throttled,
        bytes: sizes.iter().sum(),
        stored_sizes,
    }
}

/// Adds one sample to the registry under k6's pipeline names, tagged with its scenario.
fn record(registry: &mut Registry, counts: &mut Counts, running: &[Running<'_>], sample: Sample) {
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
        Sample::Completed { seq, .. } => {
            if counts.completed_seqs.insert(*seq) {
                counts.completed += 1;
            }
        }
        Sample::Discarded { seq } => {
            counts.discarded.insert(*seq);
        }
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
        Sample::Dropped(_, n) => counts.dropped += n,
        Sample::Invocation { .. } => {}
    }
    // Every name is defined by Registry::pipeline(), so adding cannot fail.
    let mut add = |name: &str, value: f64, scenario: Option<&str>| {
        let _ = match scenario {
            Some(s) => registry.add_tagged(name, value, &[("scenario", s)]),
            None => registry.add(name, value),
        };
    };
    match sample {
        Sample::Call {
            scenario,
            duration_ms,
            records,
            stored,
            throttled,
            bytes,
            ..
        } => {
            let tag = Some(&*scenario);
            add(names::KINESIS_PUT_RECORD_DURATION, duration_ms, tag);
            add(names::ITERATIONS, records as f64, tag);
            add(names::DATA_SENT, bytes as f64, tag);
            add(names::KINESIS_PUT_RECORD_THROUGHPUT, stored as f64, tag);
            let failed = records - stored - throttled;
            for _ in 0..stored {
                add(names::KINESIS_PUT_RECORD_SUCCESS_RATE, 1.0, tag);
                add(names::KINESIS_THROTTLING_RATE, 0.0, tag);
                add(names::ERROR_RATE, 0.0, tag);
            }
            for _ in 0..throttled {
                add(names::KINESIS_PUT_RECORD_SUCCESS_RATE, 0.0, tag);
                add(names::KINESIS_THROTTLING_RATE, 1.0, tag);
                add(names::ERROR_RATE, 0.0, tag);
            }
            for _ in 0..failed {
                add(names::KINESIS_PUT_RECORD_SUCCESS_RATE, 0.0, tag);
                add(names::KINESIS_THROTTLING_RATE, 0.0, tag);
                add(names::ERROR_RATE, 1.0, tag);
            }
        }
        Sample::Dropped(scenario, n) => add(names::DROPPED_ITERATIONS, n as f64, Some(&*scenario)),
        Sample::Completed { seq, latency_ms } => {
            let tag = scenario_of(running, seq).map(|t| &**t);
            add(names::END_TO_END_LATENCY, latency_ms, tag);
            add(names::PIPELINE_THROUGHPUT, 1.0, tag);
        }
        Sample::Invocation { cold, .. } => {
            add(
                names::LAMBDA_COLD_START_RATE,
                f64::from(u8::from(cold)),
                None,
            );
        }
        // Counted as failed at the end, unless the record was finished after all.
        Sample::Discarded { .. } => {}
    }
}
