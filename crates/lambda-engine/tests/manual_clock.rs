//! The engine on a manual clock, its instances' Runtime API answered in process (no HTTP,
//! no real runtime): timeouts, the waits of asynchronous retries and their ages, Kinesis
//! event source mappings over a fake stream (resharding, throttled reads, expired
//! iterators) and an SQS mapping's batching window over a fake queue. Time moves only when a
//! test moves the clock.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use lambda_engine::destinations::{QueueMessage, Queues};
use lambda_engine::esm::{MappingConfig, StartingPosition};
use lambda_engine::kinesis::{
    IteratorStart, KinesisReader, ReadError, RecordBatch, ShardSummary, StreamRecord,
};
use lambda_engine::runtime_api::{RuntimeApiHost, RuntimeEndpoint, ServedRuntimeApi};
use lambda_engine::{FunctionConfig, LambdaConfig, LambdaEngine, LambdaError};
use parking_lot::Mutex;
use serde_json::Value;
use time_source::ManualClock;

/// What the in-process runtime was asked: every event, in order.
#[derive(Default, Clone)]
struct Seen(Arc<Mutex<Vec<Value>>>);

impl Seen {
    fn events(&self) -> Vec<Value> {
        self.0.lock().clone()
    }

    async fn wait_for(&self, n: usize) {
        for _ in 0..2000 {
            if self.0.lock().len() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the runtime saw {:?}, not {n} events", self.events());
    }
}

/// A Runtime API answered in process: `{"action":"hang"}` never answers, `{"action":"fail"}`
/// fails, a Kinesis event fails while a record's data is `poison`, anything else is echoed.
struct InProcess(Seen);

impl RuntimeApiHost for InProcess {
    fn serve(&self, endpoint: RuntimeEndpoint) -> std::io::Result<ServedRuntimeApi> {
        let seen = self.0.clone();
        let task = tokio::spawn(async move {
            while let Some(invocation) = endpoint.next().await {
                let event: Value = serde_json::from_slice(&invocation.payload).unwrap_or_default();
                seen.0.lock().push(event.clone());
                let poisoned = event["Records"].as_array().is_some_and(|records| {
                    records
                        .iter()
                        .any(|r| r["kinesis"]["data"] == "cG9pc29u" /* poison */)
                });
                match event["action"].as_str() {
                    Some("hang") => continue,
                    Some("fail") => {
                        let _ = endpoint.fail(
                            &invocation.request_id,
                            Some("Failed".into()),
                            Bytes::from(r#"{"errorMessage":"asked to fail","errorType":"Failed"}"#),
                        );
                    }
                    _ if poisoned => {
                        let _ = endpoint.fail(
                            &invocation.request_id,
                            None,
                            Bytes::from(r#"{"errorMessage":"poison","errorType":"Poison"}"#),
                        );
                    }
                    _ => {
                        let _ = endpoint.respond(&invocation.request_id, invocation.payload);
                    }
                }
            }
        });
        Ok(ServedRuntimeApi::new(
            "127.0.0.1:9".parse().expect("address"),
            task,
        ))
    }
}

/// Now on the system clock, so metric timestamps fall in the store's recent minutes.
fn wall_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as u64
}

struct Setup {
    engine: LambdaEngine,
    clock: ManualClock,
    store: Arc<metric_store::Store>,
    seen: Seen,
    _dir: tempfile::TempDir,
}

fn setup(config: LambdaConfig) -> Setup {
    let dir = tempfile::tempdir().expect("dir");
    let clock = ManualClock::new(wall_ms());
    let store = Arc::new(metric_store::Store::new());
    let engine = LambdaEngine::with_clock(
        LambdaConfig {
            code_root: dir.path().to_path_buf(),
            poll_interval: Duration::from_millis(5),
            ..config
        },
        store.clone(),
        Arc::new(clock.clone()),
    );
    let seen = Seen::default();
    engine.set_runtime_api(Arc::new(InProcess(seen.clone())));
    Setup {
        engine,
        clock,
        store,
        seen,
        _dir: dir,
    }
}

/// A function whose process only waits: the runtime is the in-process one.
fn deploy(engine: &LambdaEngine, name: &str, timeout_secs: u32) {
    let zip = function_zip::bootstrap_zip(b"#!/bin/sh\nexec sleep 600\n").expect("zip");
    let config = FunctionConfig {
        name: name.into(),
        runtime: "provided.al2023".into(),
        handler: "bootstrap".into(),
        role: "arn:aws:iam::000000000000:role/test".into(),
        timeout_secs,
        memory_mb: 128,
        environment: BTreeMap::new(),
        description: String::new(),
        architectures: vec!["x86_64".into()],
        code_sha256: String::new(),
        code_size: 0,
        last_modified: String::new(),
        revision_id: String::new(),
        dead_letter_target: None,
        version: lambda_engine::function::LATEST.into(),
    };
    engine
        .create_function(config, &zip, BTreeMap::new())
        .expect("create");
}

/// The values of a function's metric over the last ten minutes, per minute.
fn values(
    store: &metric_store::Store,
    metric: &str,
    function: &str,
    statistic: metric_store::Statistic,
) -> Vec<f64> {
    let key = metric_store::MetricKey::new("AWS/Lambda", metric, [("FunctionName", function)])
        .expect("key");
    let now = store.now_ms();
    store
        .query(&key, now - 600_000, now + 60_000, 60, &[statistic])
        .expect("query")
        .iter()
        .filter_map(|d| d.values[0])
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invocation_times_out_when_the_clock_passes_its_timeout() {
    let s = setup(LambdaConfig::default());
    deploy(&s.engine, "slow", 3);
    let first = s
        .engine
        .invoke("slow", Bytes::from("{}"))
        .await
        .expect("invoke");
    assert_eq!(first.function_error, None);
    assert_eq!(first.duration, Duration::ZERO, "the clock did not move");
    assert_eq!(first.init_duration, Some(Duration::ZERO));

    let hanging = {
        let engine = s.engine.clone();
        tokio::spawn(async move {
            engine
                .invoke("slow", Bytes::from(r#"{"action":"hang"}"#))
                .await
        })
    };
    s.seen.wait_for(2).await;
    s.clock.advance(2_999);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!hanging.is_finished(), "not yet at the timeout");
    s.clock.advance(1);
    let timed_out = hanging.await.expect("task").expect("invoke");
    assert_eq!(timed_out.function_error.as_deref(), Some("Unhandled"));
    let body: Value = serde_json::from_slice(&timed_out.payload).expect("JSON");
    assert_eq!(body["errorType"], "Sandbox.Timedout");
    assert_eq!(timed_out.duration, Duration::from_secs(3));
    assert!(
        timed_out
            .log
            .contains("\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\t"),
        "{}",
        timed_out.log
    );
    assert!(
        timed_out.log.contains("Task timed out after 3.00 seconds"),
        "{}",
        timed_out.log
    );

    // The timed-out instance was stopped: the next invocation starts a new one.
    let next = s
        .engine
        .invoke("slow", Bytes::from("{}"))
        .await
        .expect("invoke");
    assert!(next.init_duration.is_some());
    assert_eq!(
        values(
            &s.store,
            "Duration",
            "slow",
            metric_store::Statistic::Maximum
        )
        .into_iter()
        .fold(0.0, f64::max),
        3000.0
    );
}

/// Lambda's waits before the two retries of a failed event (one minute, then two) pass on
/// the clock; each attempt records the event's age.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_retries_wait_for_the_clock() {
    let s = setup(LambdaConfig::default());
    deploy(&s.engine, "events", 30);
    let id = s
        .engine
        .invoke_event("events", Bytes::from(r#"{"action":"fail"}"#))
        .expect("accepted");
    s.seen.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    s.clock.advance(59_999);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(s.seen.events().len(), 1, "the first retry waits a minute");
    s.clock.advance(1);
    s.seen.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    s.clock.advance(119_999);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        s.seen.events().len(),
        2,
        "the second retry waits two minutes"
    );
    s.clock.advance(1);
    s.seen.wait_for(3).await;
    for _ in 0..200 {
        if values(
            &s.store,
            "AsyncEventsDropped",
            "events",
            metric_store::Statistic::Sum,
        )
        .iter()
        .sum::<f64>()
            >= 1.0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let starts = s
        .engine
        .logs("events", 0)
        .expect("logs")
        .iter()
        .filter(|e| e.message.starts_with(&format!("START RequestId: {id} ")))
        .count();
    assert_eq!(starts, 3, "one try and two retries, one request id");
    let sum = |metric| {
        values(&s.store, metric, "events", metric_store::Statistic::Sum)
            .iter()
            .sum::<f64>()
    };
    assert_eq!(sum("AsyncEventsDropped"), 1.0);
    assert_eq!(sum("Errors"), 3.0);
    // AsyncEventAge by value: 0, then one minute, then three.
    assert_eq!(
        values(
            &s.store,
            "AsyncEventAge",
            "events",
            metric_store::Statistic::Maximum
        )
        .into_iter()
        .fold(0.0, f64::max),
        180_000.0
    );
    assert_eq!(
        values(
            &s.store,
            "AsyncEventAge",
            "events",
            metric_store::Statistic::Minimum
        )
        .into_iter()
        .fold(f64::MAX, f64::min),
        0.0
    );
}

/// A fake shard: its id, its parents, whether it is closed, and its records' data and
/// arrival times.
type FakeShard = (
    &'static str,
    Vec<&'static str>,
    bool,
    Vec<(&'static str, u64)>,
);

/// A stream of a parent shard (closed, split into two children) whose reads can be made to
/// fail once: throttled, or with an expired iterator.
struct FakeStream {
    /// Per shard: its parents, whether it is closed, its records (data, arrival).
    shards: Vec<FakeShard>,
    /// The next GetRecords fails with this, once.
    fail_next: Mutex<Option<ReadError>>,
    /// Every read: (shard, position).
    reads: Mutex<Vec<(String, usize)>>,
    /// Iterator starts asked for.
    starts: Mutex<Vec<IteratorStart>>,
}

impl FakeStream {
    fn shard(&self, id: &str) -> Option<&FakeShard> {
        self.shards.iter().find(|s| s.0 == id)
    }
}

impl KinesisReader for FakeStream {
    fn list_shards(&self, stream: &str) -> Result<Vec<ShardSummary>, ReadError> {
        assert_eq!(stream, "orders");
        Ok(self
            .shards
            .iter()
            .map(|(id, parents, _, _)| ShardSummary {
                shard_id: (*id).to_string(),
                parents: parents.iter().map(|p| (*p).to_string()).collect(),
            })
            .collect())
    }

    fn shard_iterator(
        &self,
        _stream: &str,
        shard_id: &str,
        start: &IteratorStart,
    ) -> Result<Option<String>, ReadError> {
        self.starts.lock().push(start.clone());
        let (_, _, _, records) = self
            .shard(shard_id)
            .ok_or_else(|| ReadError::Failed("no such shard".into()))?;
        let position = match start {
            IteratorStart::TrimHorizon => 0,
            IteratorStart::Latest => records.len(),
            IteratorStart::AtTimestamp(_) => 0,
            IteratorStart::AfterSequence(seq) => {
                let n: usize = seq
                    .rsplit('-')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                n + 1
            }
        };
        Ok(Some(format!("{shard_id}@{position}")))
    }

    fn get_records(&self, iterator: &str, limit: usize) -> Result<RecordBatch, ReadError> {
        let (shard_id, position) = iterator.split_once('@').expect("iterator");
        let position: usize = position.parse().expect("position");
        self.reads.lock().push((shard_id.to_string(), position));
        if let Some(e) = self.fail_next.lock().take() {
            return Err(e);
        }
        let (_, _, closed, records) = self.shard(shard_id).expect("shard");
        let end = (position + limit).min(records.len());
        let batch = records[position.min(end)..end]
            .iter()
            .enumerate()
            .map(|(i, (data, arrival))| StreamRecord {
                sequence_number: format!("{shard_id}-{}", position + i),
                partition_key: "k".into(),
                data: Bytes::from_static(data.as_bytes()),
                arrival_ms: *arrival,
            })
            .collect();
        let next_iterator = (!*closed || end < records.len()).then(|| format!("{shard_id}@{end}"));
        Ok(RecordBatch {
            records: batch,
            next_iterator,
        })
    }
}

fn mapping(function: &str) -> MappingConfig {
    MappingConfig {
        event_source_arn: "arn:aws:kinesis:us-east-1:000000000000:stream/orders".into(),
        function_name: function.into(),
        batch_size: 10,
        maximum_batching_window_secs: 0,
        starting_position: StartingPosition::TrimHorizon,
        enabled: true,
        maximum_retry_attempts: -1,
        maximum_record_age_secs: -1,
        bisect_batch_on_function_error: false,
        parallelization_factor: 1,
        report_batch_item_failures: false,
        on_failure: None,
    }
}

/// The data of every record the function was sent, in order.
fn delivered(seen: &Seen) -> Vec<(String, String)> {
    seen.events()
        .iter()
        .flat_map(|e| e["Records"].as_array().cloned().unwrap_or_default())
        .map(|r| {
            (
                r["eventID"].as_str().unwrap_or_default().to_string(),
                r["kinesis"]["data"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kinesis_mappings_read_parents_first_and_survive_throttles_and_expired_iterators() {
    let s = setup(LambdaConfig::default());
    deploy(&s.engine, "consumer", 30);
    let now = time_source::Clock::now_ms(&s.clock);
    let stream = Arc::new(FakeStream {
        shards: vec![
            (
                "parent",
                vec![],
                true,
                vec![("a", now - 30_000), ("b", now - 20_000)],
            ),
            ("left", vec!["parent"], false, vec![("c", now)]),
            ("right", vec!["parent"], false, vec![("d", now)]),
        ],
        fail_next: Mutex::new(Some(ReadError::Throttled("Rate exceeded for shard".into()))),
        reads: Mutex::new(Vec::new()),
        starts: Mutex::new(Vec::new()),
    });
    // Without Kinesis attached, a Kinesis mapping cannot start.
    assert!(matches!(
        s.engine.create_mapping(mapping("consumer")),
        Err(LambdaError::Io(_))
    ));
    s.engine.set_kinesis(stream.clone());
    let created = s
        .engine
        .create_mapping(mapping("consumer"))
        .expect("mapping");
    for _ in 0..400 {
        if delivered(&s.seen).len() >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let got = delivered(&s.seen);
    assert_eq!(got.len(), 4, "{got:?}");
    // The parent's records first (data in base64), once each though its first read was
    // throttled.
    assert_eq!(got[0], ("parent:parent-0".into(), "YQ==".into()));
    assert_eq!(got[1], ("parent:parent-1".into(), "Yg==".into()));
    let mut children: Vec<_> = got[2..].iter().map(|(_, d)| d.clone()).collect();
    children.sort();
    assert_eq!(children, ["Yw==", "ZA=="]);
    // The throttled read was tried again with the same iterator.
    let reads = stream.reads.lock().clone();
    assert_eq!(reads[0], ("parent".to_string(), 0));
    assert_eq!(reads[1], ("parent".to_string(), 0));
    // IteratorAge by value on the clock: the parent's batch was sent 20 s after its last
    // record arrived.
    let ages = values(
        &s.store,
        "IteratorAge",
        "consumer",
        metric_store::Statistic::Maximum,
    );
    assert_eq!(ages.into_iter().fold(0.0, f64::max), 20_000.0);

    // An expired iterator is replaced by one after the shard's checkpoint.
    stream.starts.lock().clear();
    *stream.fail_next.lock() = Some(ReadError::ExpiredIterator("Iterator expired.".into()));
    for _ in 0..400 {
        if !stream.starts.lock().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let restarted = stream.starts.lock().clone();
    assert!(
        matches!(&restarted[0], IteratorStart::AfterSequence(seq) if seq == "left-0" || seq == "right-0"),
        "{restarted:?}"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(delivered(&s.seen).len(), 4, "nothing is delivered twice");
    let mapping = s.engine.get_mapping(&created.uuid).expect("mapping");
    assert_eq!(mapping.last_processing_result, "OK");
    s.engine.shutdown();
}

/// A queue in memory: messages are handed out once and kept until deleted.
#[derive(Default)]
struct FakeQueue {
    waiting: Mutex<Vec<QueueMessage>>,
    in_flight: Mutex<Vec<QueueMessage>>,
}

impl Queues for FakeQueue {
    fn send(
        &self,
        _queue_arn: &str,
        body: String,
        _attributes: &[(&str, &str, String)],
    ) -> Result<(), String> {
        let n = self.waiting.lock().len() + self.in_flight.lock().len();
        self.waiting.lock().push(QueueMessage {
            message_id: format!("m{n}"),
            receipt_handle: format!("r{n}"),
            body,
            md5_of_body: String::new(),
            attributes: BTreeMap::new(),
            message_attributes: BTreeMap::new(),
        });
        Ok(())
    }

    fn receive(&self, _queue_arn: &str, max: usize) -> Result<Vec<QueueMessage>, String> {
        let mut waiting = self.waiting.lock();
        let n = max.min(waiting.len());
        let taken: Vec<QueueMessage> = waiting.drain(..n).collect();
        self.in_flight.lock().extend(taken.iter().cloned());
        Ok(taken)
    }

    fn delete(&self, _queue_arn: &str, receipt_handle: &str) -> Result<(), String> {
        self.in_flight
            .lock()
            .retain(|m| m.receipt_handle != receipt_handle);
        Ok(())
    }
}

/// An SQS mapping gathers messages for its batching window, measured on the clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sqs_batch_waits_for_its_window_on_the_clock() {
    let s = setup(LambdaConfig::default());
    deploy(&s.engine, "drain", 30);
    let queue = Arc::new(FakeQueue::default());
    s.engine.set_queues(queue.clone());
    let arn = "arn:aws:sqs:us-east-1:000000000000:jobs";
    for body in ["one", "two", "three"] {
        queue.send(arn, body.into(), &[]).expect("send");
    }
    s.engine
        .create_mapping(MappingConfig {
            event_source_arn: arn.into(),
            batch_size: 20,
            maximum_batching_window_secs: 5,
            ..mapping("drain")
        })
        .expect("mapping");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(s.seen.events().is_empty(), "20 messages or 5 seconds first");
    s.clock.advance(5_000);
    s.seen.wait_for(1).await;
    let bodies: Vec<String> = s.seen.events()[0]["Records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["body"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(bodies, ["one", "two", "three"]);
    for _ in 0..200 {
        if queue.in_flight.lock().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(queue.in_flight.lock().is_empty(), "deleted once delivered");
    s.engine.shutdown();
}

/// A function keeps `max_log_events` lines: Lambda's own START, END and REPORT lines of each
/// invocation count, the oldest go first, and the engine counts what went.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_functions_log_keeps_its_bound_and_counts_what_it_drops() {
    let s = setup(LambdaConfig {
        max_log_events: 4,
        ..LambdaConfig::default()
    });
    deploy(&s.engine, "chatty", 3);
    deploy(&s.engine, "quiet", 3);
    for _ in 0..3 {
        s.engine
            .invoke("chatty", Bytes::from("{}"))
            .await
            .expect("invoke");
    }
    s.engine
        .invoke("quiet", Bytes::from("{}"))
        .await
        .expect("invoke");
    let kept = s.engine.logs("chatty", 0).expect("logs");
    assert_eq!(kept.len(), 4);
    assert!(
        kept[3].message.starts_with("REPORT RequestId: "),
        "{kept:?}"
    );
    assert!(kept[1].message.starts_with("START RequestId: "), "{kept:?}");
    // Three invocations wrote nine lines; five were dropped. The quiet one dropped none.
    assert_eq!(s.engine.log_events_dropped(), [("chatty".to_owned(), 5)]);
}

/// Asynchronous events waiting for their retries hold their places; past
/// `max_pending_async_events` an event is refused as Lambda refuses invocations over its
/// limits, and once the events finish there is room again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_async_events_are_bounded() {
    let s = setup(LambdaConfig {
        max_pending_async_events: 2,
        ..LambdaConfig::default()
    });
    deploy(&s.engine, "events", 30);
    let fail = || Bytes::from(r#"{"action":"fail"}"#);
    s.engine.invoke_event("events", fail()).expect("first");
    s.engine.invoke_event("events", fail()).expect("second");
    s.seen.wait_for(2).await;
    // Both failed once and now wait a minute, on the manual clock, for their first retry.
    assert_eq!(s.engine.async_events_pending(), 2);
    assert_eq!(
        s.engine.invoke_event("events", fail()),
        Err(lambda_engine::LambdaError::Throttled {
            reason: "FunctionInvocationRateLimitExceeded"
        })
    );
    assert_eq!(s.engine.async_events_refused(), 1);
    // One minute, then two more: each event's two retries run and it is dropped.
    tokio::time::sleep(Duration::from_millis(100)).await;
    s.clock.advance(60_000);
    s.seen.wait_for(4).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    s.clock.advance(120_000);
    s.seen.wait_for(6).await;
    for _ in 0..200 {
        if s.engine.async_events_pending() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(s.engine.async_events_pending(), 0);
    s.engine
        .invoke_event("events", Bytes::from("{}"))
        .expect("room again");
    assert_eq!(s.engine.async_events_refused(), 1);
}
