//! Crash durability of the real binary: `streamwatch serve --data-dir D --fsync never` is
//! killed with SIGKILL (no shutdown, no sync) and restarted on the same directory. Every put
//! that was acknowledged must come back with the same shard, sequence number and data, in
//! order; new puts must get higher sequence numbers; a torn or corrupt journal tail must be
//! dropped, never served.

use std::collections::BTreeMap;
use std::collections::hash_map::RandomState;
use std::fs::{self, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, ShardIteratorType};

/// One running `streamwatch serve`; killed with SIGKILL when dropped.
struct Server {
    child: Child,
    endpoint: String,
    log: PathBuf,
}

impl Server {
    /// Starts the binary on `data_dir` and waits for its "listening on" line.
    fn start(data_dir: &Path, log: PathBuf) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_streamwatch"))
            .args(["serve", "--port", &port.to_string(), "--data-dir"])
            .arg(data_dir)
            .args([
                "--create-stream-delay-ms",
                "0",
                "--fsync",
                "never",
                "--shard-limits",
                "off",
                // A limit far below what the tests write: most records are read back from the
                // journal both before and after each kill.
                "--max-memory",
                "16KiB",
            ])
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let Some(endpoint) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            panic!(
                "server did not start: {line:?}\n{}",
                fs::read_to_string(&log).unwrap_or_default()
            );
        };
        let endpoint = endpoint.to_owned();
        Server {
            child,
            endpoint,
            log,
        }
    }

    /// SIGKILL: no graceful shutdown, no final sync.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn client(&self) -> Client {
        client(&self.endpoint, true)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            eprintln!(
                "server log {}:\n{}",
                self.log.display(),
                fs::read_to_string(&self.log).unwrap_or_default()
            );
        }
    }
}

fn client(endpoint: &str, retries: bool) -> Client {
    if retries {
        testkit::kinesis_client(endpoint)
    } else {
        testkit::kinesis_client_without_retries(endpoint)
    }
}

/// A data directory and a place for server logs, removed at the end.
struct Dirs {
    root: tempfile::TempDir,
    starts: usize,
}

impl Dirs {
    fn new() -> Dirs {
        Dirs {
            root: tempfile::tempdir().unwrap(),
            starts: 0,
        }
    }

    fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }

    fn start(&mut self) -> Server {
        self.starts += 1;
        let log = self.root.path().join(format!("server-{}.log", self.starts));
        Server::start(&self.data(), log)
    }

    /// The newest journal segment (the one the killed server was writing).
    fn last_segment(&self) -> PathBuf {
        let mut segments: Vec<PathBuf> = fs::read_dir(self.data().join("journal"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "log"))
            .collect();
        segments.sort();
        segments.pop().expect("a journal segment")
    }
}

/// An acknowledged record.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ack {
    shard: String,
    seq: String,
    data: Vec<u8>,
}

/// Orders decimal sequence numbers numerically (they are longer than u128).
fn seq_key(seq: &str) -> (usize, &str) {
    (seq.len(), seq)
}

fn by_shard(acks: &[Ack]) -> BTreeMap<String, Vec<(String, Vec<u8>)>> {
    let mut out: BTreeMap<String, Vec<(String, Vec<u8>)>> = BTreeMap::new();
    for a in acks {
        out.entry(a.shard.clone())
            .or_default()
            .push((a.seq.clone(), a.data.clone()));
    }
    for records in out.values_mut() {
        records.sort_by(|a, b| seq_key(&a.0).cmp(&seq_key(&b.0)));
    }
    out
}

async fn create_stream(c: &Client, name: &str, shards: i32) {
    testkit::create_stream(c, name, shards).await;
    wait_active(c, name).await;
}

async fn wait_active(c: &Client, name: &str) {
    testkit::wait_active(c, name).await;
}

async fn put_one(c: &Client, stream: &str, key: &str, hash: Option<String>, data: Vec<u8>) -> Ack {
    let out = c
        .put_record()
        .stream_name(stream)
        .partition_key(key)
        .set_explicit_hash_key(hash)
        .data(Blob::new(data.clone()))
        .send()
        .await
        .unwrap();
    Ack {
        shard: out.shard_id().to_owned(),
        seq: out.sequence_number().to_owned(),
        data,
    }
}

async fn put_batch(c: &Client, stream: &str, items: Vec<(String, Vec<u8>)>) -> Vec<Ack> {
    let entries = items
        .iter()
        .map(|(k, d)| {
            PutRecordsRequestEntry::builder()
                .partition_key(k)
                .data(Blob::new(d.clone()))
                .build()
                .unwrap()
        })
        .collect();
    let out = c
        .put_records()
        .stream_name(stream)
        .set_records(Some(entries))
        .send()
        .await
        .unwrap();
    assert_eq!(out.failed_record_count(), Some(0), "no limits, no failures");
    out.records()
        .iter()
        .zip(items)
        .map(|(r, (_, data))| Ack {
            shard: r.shard_id().unwrap().to_owned(),
            seq: r.sequence_number().unwrap().to_owned(),
            data,
        })
        .collect()
}

/// Every record of every shard, from TRIM_HORIZON to the end, as (sequence number, data).
async fn read_all(c: &Client, stream: &str) -> BTreeMap<String, Vec<(String, Vec<u8>)>> {
    let shards = c.list_shards().stream_name(stream).send().await.unwrap();
    let mut out = BTreeMap::new();
    for shard in shards.shards() {
        let mut iterator = c
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(shard.shard_id())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator()
            .map(str::to_owned);
        let mut records = Vec::new();
        let mut calls = 0;
        while let Some(it) = iterator {
            calls += 1;
            assert!(calls < 1000, "shard {} never ends", shard.shard_id());
            let got = c.get_records().shard_iterator(it).send().await.unwrap();
            for r in got.records() {
                records.push((r.sequence_number().to_owned(), r.data().as_ref().to_vec()));
            }
            let caught_up = got.records().is_empty() && got.millis_behind_latest() == Some(0);
            iterator = if caught_up {
                None
            } else {
                got.next_shard_iterator().map(str::to_owned)
            };
        }
        if !records.is_empty() {
            out.insert(shard.shard_id().to_owned(), records);
        }
    }
    out
}

/// The shard layout as (id, parent, start hash, end hash, first seq, last seq), to compare
/// across restarts.
async fn layout(c: &Client, stream: &str) -> Vec<[Option<String>; 6]> {
    let shards = c.list_shards().stream_name(stream).send().await.unwrap();
    shards
        .shards()
        .iter()
        .map(|s| {
            let hr = s.hash_key_range().unwrap();
            let sr = s.sequence_number_range().unwrap();
            [
                Some(s.shard_id().to_owned()),
                s.parent_shard_id().map(str::to_owned),
                Some(hr.starting_hash_key().to_owned()),
                Some(hr.ending_hash_key().to_owned()),
                Some(sr.starting_sequence_number().to_owned()),
                sr.ending_sequence_number().map(str::to_owned),
            ]
        })
        .collect()
}

/// Puts one record into every open shard (by its starting hash key) and checks each new
/// sequence number is above everything the shard held.
async fn new_puts_go_higher(
    c: &Client,
    stream: &str,
    held: &BTreeMap<String, Vec<(String, Vec<u8>)>>,
    tag: &str,
) -> Vec<Ack> {
    let shards = c.list_shards().stream_name(stream).send().await.unwrap();
    let mut acks = Vec::new();
    for s in shards.shards() {
        let open = s
            .sequence_number_range()
            .unwrap()
            .ending_sequence_number()
            .is_none();
        if !open {
            continue;
        }
        let start = s.hash_key_range().unwrap().starting_hash_key().to_owned();
        let ack = put_one(
            c,
            stream,
            "after",
            Some(start),
            format!("{tag}-{}", s.shard_id()).into_bytes(),
        )
        .await;
        assert_eq!(ack.shard, s.shard_id());
        if let Some(last) = held.get(&ack.shard).and_then(|r| r.last()) {
            assert!(
                seq_key(&ack.seq) > seq_key(&last.0),
                "new sequence number {} in {} is not above the recovered {}",
                ack.seq,
                ack.shard,
                last.0
            );
        }
        acks.push(ack);
    }
    assert!(!acks.is_empty());
    acks
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_records_survive_sigkill() {
    let mut dirs = Dirs::new();
    let server = dirs.start();
    let c = server.client();
    create_stream(&c, "durable", 3).await;
    let mut acks = Vec::new();
    for i in 0..30 {
        acks.push(
            put_one(
                &c,
                "durable",
                &format!("pk-{i}"),
                None,
                format!("single-{i}").into_bytes(),
            )
            .await,
        );
    }
    for b in 0..5 {
        let items = (0..20)
            .map(|j| {
                (
                    format!("batch-{b}-{j}"),
                    format!("batch-{b}-{j}-{}", "x".repeat(j * 10)).into_bytes(),
                )
            })
            .collect();
        acks.extend(put_batch(&c, "durable", items).await);
    }
    // Split the first shard in the middle of its range; later puts reach the children.
    let shards = c.list_shards().stream_name("durable").send().await.unwrap();
    let first = &shards.shards()[0];
    let range = first.hash_key_range().unwrap();
    let start: u128 = range.starting_hash_key().parse().unwrap();
    let end: u128 = range.ending_hash_key().parse().unwrap();
    c.split_shard()
        .stream_name("durable")
        .shard_to_split(first.shard_id())
        .new_starting_hash_key((start + (end - start) / 2).to_string())
        .send()
        .await
        .unwrap();
    wait_active(&c, "durable").await;
    for i in 0..30 {
        acks.push(
            put_one(
                &c,
                "durable",
                &format!("pk-{i}"),
                None,
                format!("after-split-{i}").into_bytes(),
            )
            .await,
        );
    }
    for b in 0..3 {
        let items = (0..50)
            .map(|j| (format!("late-{b}-{j}"), vec![b as u8, j as u8, 0xff, 0x00]))
            .collect();
        acks.extend(put_batch(&c, "durable", items).await);
    }
    let shards_before = layout(&c, "durable").await;
    assert_eq!(shards_before.len(), 5, "three shards, one split into two");
    let expected = by_shard(&acks);
    assert!(
        expected.len() >= 4,
        "records in parent and child shards: {:?}",
        expected.keys()
    );
    assert_eq!(read_all(&c, "durable").await, expected, "before the kill");

    server.kill();
    let server = dirs.start();
    let c = server.client();
    assert_eq!(
        layout(&c, "durable").await,
        shards_before,
        "shards after restart"
    );
    let recovered = read_all(&c, "durable").await;
    assert_eq!(recovered, expected, "records after SIGKILL and restart");

    // New puts land above the recovered ones, and survive a second kill too.
    acks.extend(new_puts_go_higher(&c, "durable", &recovered, "restart-1").await);
    server.kill();
    let server = dirs.start();
    let c = server.client();
    assert_eq!(
        read_all(&c, "durable").await,
        by_shard(&acks),
        "after the second kill"
    );
}

fn random_u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(std::process::id().into());
    h.finish()
}

/// The counter a writer put into a record's data (`w-00000042`).
fn counter(data: &[u8]) -> u64 {
    let text =
        std::str::from_utf8(data).unwrap_or_else(|_| panic!("not written by the writer: {data:?}"));
    text.strip_prefix("w-")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not written by the writer: {text:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_during_continuous_writes_loses_nothing_acknowledged() {
    let mut dirs = Dirs::new();
    let server = dirs.start();
    create_stream(&server.client(), "firehose", 2).await;

    let acks: Arc<Mutex<Vec<(u64, Ack)>>> = Arc::default();
    let writer = {
        let acks = acks.clone();
        // No retries: a retried put could be stored twice, and after the kill nothing answers.
        let c = client(&server.endpoint, false);
        tokio::spawn(async move {
            let mut next = 0u64;
            for round in 0u64.. {
                let result = if round % 4 == 0 {
                    let items: Vec<_> = (next..next + 10)
                        .map(|n| (format!("k{}", n % 7), format!("w-{n:08}").into_bytes()))
                        .collect();
                    next += 10;
                    let entries = items
                        .iter()
                        .map(|(k, d)| {
                            PutRecordsRequestEntry::builder()
                                .partition_key(k)
                                .data(Blob::new(d.clone()))
                                .build()
                                .unwrap()
                        })
                        .collect();
                    c.put_records()
                        .stream_name("firehose")
                        .set_records(Some(entries))
                        .send()
                        .await
                        .map(|out| {
                            out.records()
                                .iter()
                                .zip(items)
                                .map(|(r, (_, data))| Ack {
                                    shard: r.shard_id().unwrap().to_owned(),
                                    seq: r.sequence_number().unwrap().to_owned(),
                                    data,
                                })
                                .collect::<Vec<_>>()
                        })
                        .map_err(|e| format!("{e:?}"))
                } else {
                    let data = format!("w-{next:08}").into_bytes();
                    let key = format!("k{}", next % 7);
                    next += 1;
                    c.put_record()
                        .stream_name("firehose")
                        .partition_key(key)
                        .data(Blob::new(data.clone()))
                        .send()
                        .await
                        .map(|out| {
                            vec![Ack {
                                shard: out.shard_id().to_owned(),
                                seq: out.sequence_number().to_owned(),
                                data,
                            }]
                        })
                        .map_err(|e| format!("{e:?}"))
                };
                match result {
                    Ok(batch) => {
                        let mut acks = acks.lock().unwrap();
                        acks.extend(batch.into_iter().map(|a| (counter(&a.data), a)));
                    }
                    // The server is gone.
                    Err(_) => return next,
                }
            }
            next
        })
    };

    // Let some records in, then kill at a random moment.
    while acks.lock().unwrap().len() < 50 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let delay = Duration::from_millis(random_u64() % 1500);
    eprintln!("killing the server {delay:?} after the 50th acknowledgement");
    tokio::time::sleep(delay).await;
    server.kill();
    let attempted = tokio::time::timeout(Duration::from_secs(60), writer)
        .await
        .expect("the writer notices the kill")
        .unwrap();
    let acks = std::mem::take(&mut *acks.lock().unwrap());
    let last_acked = acks.iter().map(|(n, _)| *n).max().unwrap();
    eprintln!("{} records acknowledged, {attempted} attempted", acks.len());

    let server = dirs.start();
    let c = server.client();
    let recovered = read_all(&c, "firehose").await;
    for (n, ack) in &acks {
        let records = recovered
            .get(&ack.shard)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let found = records.iter().find(|(seq, _)| *seq == ack.seq);
        assert_eq!(
            found.map(|(_, d)| d),
            Some(&ack.data),
            "acknowledged record {n} ({} {}) is missing or changed",
            ack.shard,
            ack.seq
        );
    }
    let mut served = 0;
    for (shard, records) in &recovered {
        let counters: Vec<u64> = records.iter().map(|(_, d)| counter(d)).collect();
        assert!(
            counters.windows(2).all(|w| w[0] < w[1]),
            "{shard} out of order: {counters:?}"
        );
        for n in counters {
            served += 1;
            // Unacknowledged records can only be from the one request in flight at the kill.
            let acked = acks.iter().any(|(m, _)| *m == n);
            assert!(
                acked || (n > last_acked && n < attempted),
                "record {n} was never acknowledged nor in flight"
            );
        }
    }
    assert!(served >= acks.len());
    new_puts_go_higher(&c, "firehose", &recovered, "after-kill").await;
}

/// Starts a server, puts 20 records one by one into a one-shard stream and kills it. Returns
/// the acknowledgements and the segment's length after each of them: the frame boundaries.
async fn journal_of_twenty(dirs: &mut Dirs) -> (Vec<Ack>, Vec<u64>, PathBuf) {
    let server = dirs.start();
    let c = server.client();
    create_stream(&c, "torn", 1).await;
    let segment = dirs.last_segment();
    let mut acks = Vec::new();
    let mut ends = Vec::new();
    for i in 0..20 {
        let data = format!("torn-{i:02}-{}", "d".repeat(100)).into_bytes();
        acks.push(put_one(&c, "torn", "k", None, data).await);
        // The frame is written before the put is acknowledged.
        ends.push(fs::metadata(&segment).unwrap().len());
    }
    assert!(
        ends.windows(2).all(|w| w[0] < w[1]),
        "one frame per put: {ends:?}"
    );
    server.kill();
    (acks, ends, segment)
}

fn expect(acks: &[Ack]) -> BTreeMap<String, Vec<(String, Vec<u8>)>> {
    by_shard(acks)
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_after_the_last_frame_is_dropped() {
    let mut dirs = Dirs::new();
    let (mut acks, _, segment) = journal_of_twenty(&mut dirs).await;
    let before = fs::metadata(&segment).unwrap().len();
    // Pseudo-random bytes, as a torn write of a frame that never finished would leave.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let garbage: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    OpenOptions::new()
        .append(true)
        .open(&segment)
        .unwrap()
        .write_all(&garbage)
        .unwrap();

    let server = dirs.start();
    let c = server.client();
    let recovered = read_all(&c, "torn").await;
    assert_eq!(
        recovered,
        expect(&acks),
        "all complete records, nothing of the garbage"
    );
    assert_eq!(
        fs::metadata(&segment).unwrap().len(),
        before,
        "the garbage is cut off"
    );
    acks.extend(new_puts_go_higher(&c, "torn", &recovered, "after-garbage").await);
    server.kill();
    let server = dirs.start();
    assert_eq!(
        read_all(&server.client(), "torn").await,
        expect(&acks),
        "after a second kill"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn torn_last_frame_is_dropped() {
    let mut dirs = Dirs::new();
    let (acks, ends, segment) = journal_of_twenty(&mut dirs).await;
    // Cut the last frame in half: the write of record 19 was torn.
    let cut = ends[18] + (ends[19] - ends[18]) / 2;
    OpenOptions::new()
        .write(true)
        .open(&segment)
        .unwrap()
        .set_len(cut)
        .unwrap();

    let server = dirs.start();
    let c = server.client();
    let recovered = read_all(&c, "torn").await;
    assert_eq!(
        recovered,
        expect(&acks[..19]),
        "the 19 complete records and not the torn one"
    );
    assert_eq!(
        fs::metadata(&segment).unwrap().len(),
        ends[18],
        "the torn frame is cut off"
    );
    let mut kept = acks[..19].to_vec();
    kept.extend(new_puts_go_higher(&c, "torn", &recovered, "after-tear").await);
    server.kill();
    let server = dirs.start();
    assert_eq!(
        read_all(&server.client(), "torn").await,
        expect(&kept),
        "after a second kill"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn corrupt_frame_is_never_served() {
    let mut dirs = Dirs::new();
    let (acks, ends, segment) = journal_of_twenty(&mut dirs).await;
    // Flip one bit in the data of record 10 (data ends each frame).
    let mut bytes = fs::read(&segment).unwrap();
    let at = (ends[10] - 5) as usize;
    bytes[at] ^= 0x01;
    fs::write(&segment, &bytes).unwrap();

    let server = dirs.start();
    let c = server.client();
    let recovered = read_all(&c, "torn").await;
    let served = recovered
        .get("shardId-000000000000")
        .cloned()
        .unwrap_or_default();
    // Everything before the corruption is served as it was acknowledged...
    assert!(
        served.len() >= 10,
        "records before the corrupt frame are lost: {}",
        served.len()
    );
    assert_eq!(
        &served[..10],
        &expect(&acks[..10])["shardId-000000000000"][..]
    );
    // ...and whatever is served is exactly what was acknowledged: never the flipped bit.
    for (seq, data) in &served {
        let ack = acks
            .iter()
            .find(|a| a.seq == *seq)
            .unwrap_or_else(|| panic!("unknown record {seq}"));
        assert_eq!(data, &ack.data, "record {seq} served corrupt");
    }
    new_puts_go_higher(&c, "torn", &recovered, "after-corruption").await;
}

/// CRC-32C (Castagnoli), as the journal frames use, bit by bit: test code need not be fast.
fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A frame with a correct checksum whose first record index is near u64::MAX: recovery treats
/// it like any other corrupt frame (cuts the segment there) and serves what came before.
///
/// Regression test for a bug the `journal_frame` fuzz target found
/// (fuzz/regressions/journal_frame-first-index-max): replay used to overflow the index.
#[tokio::test(flavor = "multi_thread")]
async fn frame_with_overflowing_index_is_not_replayed() {
    assert_eq!(
        crc32c(b"123456789"),
        0xe306_9283,
        "the CRC-32C helper itself"
    );
    let mut dirs = Dirs::new();
    let (acks, _, segment) = journal_of_twenty(&mut dirs).await;
    let meta: serde_json::Value =
        serde_json::from_slice(&fs::read(dirs.data().join("meta.json")).unwrap()).unwrap();
    let created_ms = meta["streams"]["torn"]["created_ms"].as_u64().unwrap();
    // The layout documented in kinesis-engine's journal module.
    let mut body = vec![1u8];
    body.extend_from_slice(&created_ms.to_le_bytes());
    body.push(4);
    body.extend_from_slice(b"torn");
    body.extend_from_slice(&0u32.to_le_bytes());
    body.extend_from_slice(&u64::MAX.to_le_bytes());
    body.extend_from_slice(&2u32.to_le_bytes());
    for _ in 0..2 {
        body.extend_from_slice(&1_700_000_000_000u64.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&1u32.to_le_bytes());
        body.extend_from_slice(b"kx");
    }
    let mut frame = (body.len() as u32).to_le_bytes().to_vec();
    frame.extend_from_slice(&crc32c(&body).to_le_bytes());
    frame.extend_from_slice(&body);
    OpenOptions::new()
        .append(true)
        .open(&segment)
        .unwrap()
        .write_all(&frame)
        .unwrap();

    let server = dirs.start();
    let c = server.client();
    let recovered = read_all(&c, "torn").await;
    assert_eq!(
        recovered,
        expect(&acks),
        "the acknowledged records, nothing else"
    );
    new_puts_go_higher(&c, "torn", &recovered, "after-overflow").await;
}
