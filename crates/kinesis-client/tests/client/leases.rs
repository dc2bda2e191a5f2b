//! Two consumer processes share a stream's shards through leases in Redis; when one is killed
//! the other takes its shards over, and no shard is read by both at once.
//!
//! The worker processes are this test binary run again with `STREAMWATCH_LEASE_WORKER` set:
//! the `worker` test then consumes the stream and prints one line per record.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
use futures::StreamExt;
use kinesis_client::checkpoint::{Checkpointer, RedisCheckpointer};
use kinesis_client::{Consumer, ConsumerConfig, Producer, Record};

const LEASE: Duration = Duration::from_millis(1500);

fn client(endpoint: &str) -> Client {
    Client::from_conf(
        aws_sdk_kinesis::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .endpoint_url(endpoint)
            .build(),
    )
}

fn redis_url() -> String {
    std::env::var("STREAMWATCH_TEST_REDIS_URL")
        .expect("STREAMWATCH_TEST_REDIS_URL is not set: run the tests with scripts/test.sh, which starts redis-server")
}

/// The worker process: consumes until killed, printing `shard seq data` per record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker() {
    let Ok(spec) = std::env::var("STREAMWATCH_LEASE_WORKER") else {
        return;
    };
    let mut parts = spec.split(' ');
    let (endpoint, stream, id, prefix) = (
        parts.next().expect("endpoint").to_string(),
        parts.next().expect("stream").to_string(),
        parts.next().expect("id").to_string(),
        parts.next().expect("prefix").to_string(),
    );
    let store = RedisCheckpointer::connect(&redis_url())
        .await
        .expect("redis")
        .with_prefix(prefix);
    let config = ConsumerConfig {
        checkpointer: Some(Arc::new(store)),
        worker_id: id,
        lease_duration: LEASE,
        checkpoint_interval: Duration::from_millis(50),
        shard_discovery_interval: Duration::from_millis(200),
        min_poll_interval: Duration::from_millis(20),
        idle_poll_interval: Duration::from_millis(20),
        ..ConsumerConfig::default()
    };
    let mut consumer = Consumer::with_config(client(&endpoint), &stream, config);
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    while let Some(r) = consumer.next().await {
        let r = r.expect("record");
        writeln!(
            out,
            "REC {} {} {}",
            r.shard_id,
            r.sequence_number,
            String::from_utf8_lossy(&r.data)
        )
        .expect("stdout");
        out.flush().expect("flush");
    }
}

struct Worker {
    child: Child,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// (worker, shard, sequence, data) lines from every worker.
fn spawn(
    spec: &str,
    name: &'static str,
    lines: std_mpsc::Sender<(&'static str, String, String, String)>,
) -> Worker {
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .args([
            "--exact",
            "leases::worker",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("STREAMWATCH_LEASE_WORKER", spec)
        .stdout(Stdio::piped())
        .stderr(
            std::fs::File::create(format!(
                "{}/lease-worker-{name}.log",
                std::env::temp_dir().display()
            ))
            .map(Stdio::from)
            .unwrap_or_else(|_| Stdio::null()),
        )
        .spawn()
        .expect("spawn worker");
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // The test harness prints "test worker ... " without a newline before the test
            // runs, so the first record may share its line.
            let Some(at) = line.find("REC ") else {
                continue;
            };
            let mut p = line[at..].splitn(4, ' ');
            p.next();
            let (shard, seq, data) = (
                p.next().unwrap_or_default(),
                p.next().unwrap_or_default(),
                p.next().unwrap_or_default(),
            );
            if lines
                .send((name, shard.to_string(), seq.to_string(), data.to_string()))
                .is_err()
            {
                break;
            }
        }
    });
    Worker { child }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_takeover_when_a_worker_is_killed() {
    if std::env::var("STREAMWATCH_LEASE_WORKER").is_ok() {
        return;
    }
    let engine = kinesis_engine::Engine::open(kinesis_engine::EngineConfig {
        transition_delay: Duration::ZERO,
        shard_limits: false,
        ..kinesis_engine::EngineConfig::default()
    })
    .expect("engine");
    let server = streamwatch_server::start("127.0.0.1:0".parse().expect("addr"), engine)
        .await
        .expect("server");
    takeover(&server.endpoint()).await;
    server.shutdown().await.expect("shutdown");
}

/// The same against kinesalite, which scripts/test.sh starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_takeover_on_kinesalite() {
    if std::env::var("STREAMWATCH_LEASE_WORKER").is_ok() {
        return;
    }
    let endpoint = std::env::var("STREAMWATCH_TEST_KINESALITE_ENDPOINT").expect(
        "STREAMWATCH_TEST_KINESALITE_ENDPOINT is not set: run the tests with scripts/test.sh",
    );
    takeover(&endpoint).await;
}

async fn takeover(endpoint: &str) {
    let kinesis = client(endpoint);
    let stream = format!("leases-{}-{:08x}", std::process::id(), fastrand::u32(..));
    kinesis
        .create_stream()
        .stream_name(&stream)
        .shard_count(4)
        .send()
        .await
        .expect("create");
    for _ in 0..200 {
        let d = kinesis
            .describe_stream_summary()
            .stream_name(&stream)
            .send()
            .await
            .expect("describe");
        if d.stream_description_summary().map(|s| s.stream_status())
            == Some(&aws_sdk_kinesis::types::StreamStatus::Active)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let prefix = format!(
        "streamwatch-test:{}:{:x}",
        std::process::id(),
        fastrand::u64(..)
    );
    let store = RedisCheckpointer::connect(&redis_url())
        .await
        .expect("redis")
        .with_prefix(prefix.clone());

    let (tx, rx) = std_mpsc::channel();
    let a = spawn(
        &format!("{} {stream} a {prefix}", endpoint),
        "a",
        tx.clone(),
    );
    let b = spawn(&format!("{} {stream} b {prefix}", endpoint), "b", tx);

    let producer = Producer::new(kinesis.clone(), &stream)
        .await
        .expect("producer");
    let put = |from: usize, to: usize| {
        let producer = &producer;
        async move {
            for i in from..to {
                producer
                    .put(Record::new(format!("key-{}", i % 64), format!("r{i}")))
                    .await
                    .expect("put");
            }
            producer.flush().await.expect("flush");
        }
    };

    // Phase 1: the workers share the shards out evenly (the second to start steals from the
    // first), then every record is read, each shard by one worker.
    let balanced = Instant::now() + Duration::from_secs(30);
    loop {
        let leases = store.list_leases(&stream).await.expect("leases");
        let held_by = |w: &str| {
            leases
                .iter()
                .filter(|l| l.owner.as_deref() == Some(w))
                .count()
        };
        if leases.len() == 4 && held_by("a") == 2 && held_by("b") == 2 {
            break;
        }
        assert!(Instant::now() < balanced, "never balanced: {leases:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A stolen lease's new owner starts reading half a lease duration later.
    tokio::time::sleep(LEASE).await;
    put(0, 800).await;
    let mut seen: Vec<(&str, String, String, String)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    let distinct = |seen: &Vec<(&str, String, String, String)>| {
        seen.iter()
            .map(|r| r.3.clone())
            .collect::<HashSet<_>>()
            .len()
    };
    while distinct(&seen) < 800 {
        let wait = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok(r) => seen.push(r),
            Err(_) => {
                let got: HashSet<String> = seen.iter().map(|r| r.3.clone()).collect();
                let missing: Vec<String> = (0..800)
                    .map(|i| format!("r{i}"))
                    .filter(|d| !got.contains(d))
                    .collect();
                panic!("phase 1: {} of 800 records; missing {missing:?}", got.len());
            }
        }
    }
    let mut readers: HashMap<String, HashSet<&str>> = HashMap::new();
    for (w, shard, _, _) in &seen {
        readers.entry(shard.clone()).or_default().insert(w);
    }
    assert_eq!(readers.len(), 4);
    for (shard, ws) in &readers {
        assert_eq!(ws.len(), 1, "shard {shard} read by {ws:?} at once");
    }
    let a_shards: HashSet<String> = readers
        .iter()
        .filter(|(_, w)| w.contains("a"))
        .map(|(s, _)| s.clone())
        .collect();
    assert_eq!(
        a_shards.len(),
        2,
        "the shards are shared out evenly: {readers:?}"
    );
    let leases = store.list_leases(&stream).await.expect("leases");
    assert!(leases.iter().all(|l| l.owner.is_some()));

    // Phase 2: kill a, write more; b takes a's shards once a's leases expire.
    drop(a);
    let killed = Instant::now();
    put(800, 1600).await;
    let before = seen.len();
    while distinct(&seen) < 1600 {
        let wait = (killed + Duration::from_secs(60)).saturating_duration_since(Instant::now());
        seen.push(
            rx.recv_timeout(wait)
                .unwrap_or_else(|_| panic!("phase 2: {} of 1600 records", distinct(&seen))),
        );
    }
    let after: Vec<_> = seen[before..].iter().collect();
    assert!(after.iter().all(|(w, ..)| *w == "b"), "only b is alive");
    let taken: HashSet<&String> = after.iter().map(|(_, s, ..)| s).collect();
    for shard in &a_shards {
        assert!(taken.contains(shard), "b took over {shard}");
    }
    // Takeover waits for the lease to expire: not before one lease duration.
    assert!(killed.elapsed() >= LEASE);
    let leases = store.list_leases(&stream).await.expect("leases");
    assert!(
        leases.iter().all(|l| l.owner.as_deref() == Some("b")),
        "{leases:?}"
    );
    // At least once: everything arrived; repeats only of records a read but had not
    // checkpointed, and only on a's shards.
    let mut count: HashMap<&str, usize> = HashMap::new();
    for (_, _, _, d) in &seen {
        *count.entry(d.as_str()).or_default() += 1;
    }
    for (_, shard, _, d) in &seen {
        if count[d.as_str()] > 1 {
            assert!(
                a_shards.contains(shard),
                "{d} repeated on {shard}, which b held throughout"
            );
        }
    }
    drop(b);
}
