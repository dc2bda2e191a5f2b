//! The record memory limit: with a data directory older records are read back from the
//! journal; without one the oldest records of the fullest shards are evicted and counted.

use std::collections::BTreeMap;

use kinesis_engine::{Engine, EngineConfig, FsyncPolicy, IteratorStart, ManualClock, PutEntry};

use super::{engine_with, entry, stored};

const LIMIT: u64 = 64 * 1024;

/// One acknowledged record: shard, sequence number, data, arrival (ms).
#[derive(Debug, Clone, PartialEq)]
struct Acked {
    shard: String,
    seq: String,
    data: Vec<u8>,
    arrival_ms: u64,
}

/// Puts `batches` PutRecords calls of 20 records of ~300 bytes, moving the clock 10 ms
/// between calls, and returns what was acknowledged.
fn fill(e: &Engine, clock: &ManualClock, stream: &str, batches: usize) -> Vec<Acked> {
    let mut acked = Vec::new();
    for b in 0..batches {
        let data: Vec<(String, Vec<u8>)> = (0..20)
            .map(|i| {
                let n = b * 20 + i;
                (
                    format!("key-{}", n % 7),
                    format!("{n:06}-{}", "x".repeat(290)).into_bytes(),
                )
            })
            .collect();
        let entries: Vec<PutEntry> = data.iter().map(|(k, d)| entry(k, d)).collect();
        let now = e.now_ms();
        for (o, (_, d)) in e.put_records(stream, &entries).unwrap().iter().zip(&data) {
            let (shard, seq) = stored(o);
            acked.push(Acked {
                shard: shard.to_owned(),
                seq: seq.to_owned(),
                data: d.clone(),
                arrival_ms: now,
            });
        }
        clock.advance(10);
    }
    acked
}

/// Every record of `shard` from `start`, read in calls of at most `limit` records.
fn read_from(
    e: &Engine,
    stream: &str,
    shard: &str,
    start: IteratorStart,
    limit: usize,
) -> Vec<Acked> {
    let mut it = Some(e.get_shard_iterator(stream, shard, start).unwrap());
    let mut out = Vec::new();
    while let Some(i) = it {
        let r = e.get_records(&i, limit).unwrap();
        if r.records.is_empty() {
            break;
        }
        out.extend(r.records.iter().map(|rec| Acked {
            shard: shard.to_owned(),
            seq: rec.sequence.format(),
            data: rec.data().to_vec(),
            arrival_ms: rec.arrival_ms,
        }));
        it = r.next_iterator;
    }
    out
}

fn per_shard(acked: &[Acked]) -> BTreeMap<String, Vec<Acked>> {
    let mut m: BTreeMap<String, Vec<Acked>> = BTreeMap::new();
    for a in acked {
        m.entry(a.shard.clone()).or_default().push(a.clone());
    }
    m
}

fn durable(dir: &std::path::Path) -> EngineConfig {
    EngineConfig {
        data_dir: Some(dir.to_path_buf()),
        fsync: FsyncPolicy::Never,
        shard_limits: false,
        max_memory_bytes: LIMIT,
        ..Default::default()
    }
}

#[test]
fn records_beyond_the_limit_are_read_back_from_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let (e, clock) = engine_with(durable(dir.path()));
    e.create_stream("s", None, Some(2), &[]).unwrap();
    let acked = fill(&e, &clock, "s", 100); // 2,000 records, about 600 KB: ten times the limit
    let report = e.memory_report();
    assert!(report.durable);
    assert!(
        report.held_bytes <= LIMIT,
        "held {} > {LIMIT}",
        report.held_bytes
    );
    assert_eq!(report.evicted_total, 0, "nothing is evicted with a journal");
    let (in_memory, _) = e.stored_totals();
    assert!(
        in_memory < 400,
        "only the newest records stay in memory: {in_memory}"
    );
    // Small and large reads, from disk into memory, return exactly what was acknowledged.
    for limit in [7, 10_000] {
        for (shard, expected) in per_shard(&acked) {
            let got = read_from(&e, "s", &shard, IteratorStart::TrimHorizon, limit);
            assert_eq!(got, expected, "shard {shard}, reads of {limit}");
        }
    }
}

#[test]
fn iterators_at_a_sequence_number_or_timestamp_land_in_evicted_frames() {
    let dir = tempfile::tempdir().unwrap();
    let (e, clock) = engine_with(durable(dir.path()));
    e.create_stream("s", None, Some(1), &[]).unwrap();
    let acked = fill(&e, &clock, "s", 100);
    let shard = "shardId-000000000000";
    // Record 333 is long gone from memory (only the newest few hundred stay).
    let target = &acked[333];
    let first = |start| {
        read_from(&e, "s", shard, start, 1)
            .into_iter()
            .next()
            .unwrap()
    };
    assert_eq!(
        first(IteratorStart::AtSequence(target.seq.clone())),
        *target
    );
    assert_eq!(
        first(IteratorStart::AfterSequence(target.seq.clone())),
        acked[334]
    );
    // The batch of record 333 arrived at one time: AT_TIMESTAMP lands on the batch's first.
    let batch_first = acked
        .iter()
        .position(|a| a.arrival_ms == target.arrival_ms)
        .unwrap();
    assert_eq!(batch_first, 320);
    assert_eq!(
        first(IteratorStart::AtTimestamp(target.arrival_ms as i64)),
        acked[320]
    );
    assert_eq!(
        first(IteratorStart::AtTimestamp(target.arrival_ms as i64 - 3)),
        acked[320]
    );
    assert_eq!(first(IteratorStart::AtTimestamp(0)), acked[0]);
    // A read that starts on disk runs on into the records still in memory.
    let rest = read_from(
        &e,
        "s",
        shard,
        IteratorStart::AtSequence(target.seq.clone()),
        10_000,
    );
    assert_eq!(rest, acked[333..].to_vec());
}

#[test]
fn reopened_engine_reads_everything_from_disk_and_retention_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let acked = {
        let (e, clock) = engine_with(durable(dir.path()));
        e.create_stream("s", None, Some(2), &[]).unwrap();
        fill(&e, &clock, "s", 50)
    };
    let (e, clock) = engine_with(durable(dir.path()));
    assert_eq!(
        e.stored_totals().0,
        0,
        "recovery loads no record into memory"
    );
    let report = e.memory_report();
    assert!(
        report.held_bytes > 0 && report.held_bytes < 10_000,
        "only the index: {report:?}"
    );
    for (shard, expected) in per_shard(&acked) {
        assert_eq!(
            read_from(&e, "s", &shard, IteratorStart::TrimHorizon, 10_000),
            expected
        );
    }
    let desc = e.describe_stream("s").unwrap();
    assert_eq!(desc.shards[0].oldest_record_ms, Some(acked[0].arrival_ms));
    // Past the 24-hour retention every record, on disk or in memory, is gone.
    clock.advance(25 * 3_600_000);
    e.maintain().unwrap();
    for shard in per_shard(&acked).keys() {
        assert!(read_from(&e, "s", shard, IteratorStart::TrimHorizon, 10_000).is_empty());
    }
    assert!(
        e.memory_report().held_bytes < 100,
        "{:?}",
        e.memory_report()
    );
}

#[test]
fn memory_only_mode_evicts_the_oldest_records_of_the_fullest_shard_and_counts_them() {
    let (e, clock) = engine_with(EngineConfig {
        shard_limits: false,
        max_memory_bytes: LIMIT,
        ..Default::default()
    });
    e.create_stream("busy", None, Some(1), &[]).unwrap();
    e.create_stream("quiet", None, Some(1), &[]).unwrap();
    let quiet = fill(&e, &clock, "quiet", 3); // 60 records, about 18 KB
    let busy = fill(&e, &clock, "busy", 100);
    let report = e.memory_report();
    assert!(!report.durable);
    assert!(
        report.held_bytes <= LIMIT,
        "held {} > {LIMIT}",
        report.held_bytes
    );
    let shard = "shardId-000000000000";
    let kept = read_from(&e, "busy", shard, IteratorStart::TrimHorizon, 10_000);
    // What is left is the newest records, in order, and exactly what was not evicted.
    assert!(!kept.is_empty() && kept.len() < busy.len());
    assert_eq!(kept, busy[busy.len() - kept.len()..].to_vec());
    let evicted = (busy.len() - kept.len()) as u64;
    assert_eq!(report.evicted_total, evicted);
    assert_eq!(report.evicted.len(), 1);
    assert_eq!(
        (
            report.evicted[0].stream_name.as_str(),
            report.evicted[0].shard_id.as_str(),
            report.evicted[0].records
        ),
        ("busy", shard, evicted)
    );
    // The quiet stream was never the fullest: all of it is still there.
    assert_eq!(
        read_from(&e, "quiet", shard, IteratorStart::TrimHorizon, 10_000),
        quiet
    );
    // A local limit, not an AWS behaviour: the stream's description does not change.
    let summary = e.describe_stream("busy").unwrap();
    assert_eq!((summary.retention_hours, summary.shards.len()), (24, 1));
}

/// Captures what the engine logs, as text.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn eviction_warns_naming_the_stream_and_shard_at_most_once_a_minute() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let warnings = || {
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .filter(|l| l.contains("record memory is full"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    tracing::subscriber::with_default(subscriber, || {
        let (e, clock) = engine_with(EngineConfig {
            shard_limits: false,
            max_memory_bytes: LIMIT,
            ..Default::default()
        });
        e.create_stream("busy", None, Some(1), &[]).unwrap();
        fill(&e, &clock, "busy", 100); // 1 s of clock: evicts several times
        let first = warnings();
        assert_eq!(first.len(), 1, "{first:?}");
        assert!(
            first[0].contains("stream=busy") && first[0].contains("shard=shardId-000000000000")
        );
        clock.advance(58_000);
        fill(&e, &clock, "busy", 100);
        assert_eq!(warnings().len(), 1, "still within the minute");
        clock.advance(61_000);
        fill(&e, &clock, "busy", 100);
        assert_eq!(warnings().len(), 2, "a minute later");
    });
}
