//! Journal recovery on arbitrary segment files.
//!
//! The frame parser is crate-private, so this target reaches it the way a restart does:
//! `Engine::open` on a data directory whose `meta.json` describes a real stream (made once,
//! by a real engine, on a stopped clock) and whose journal segment holds the fuzzer's bytes.
//! The first input byte picks how the rest becomes the segment:
//!
//! * `% 3 == 0`: the rest is the segment file, byte for byte;
//! * `% 3 == 1`: the rest is a list of `len:u16le body` frame bodies, each wrapped with a
//!   correct length and CRC-32C, so the fuzzer gets past the checksum into record parsing
//!   and replay (a short tail becomes a torn frame);
//! * `% 3 == 2`: as 1, with the real stream's header (kind, creation time, name) put in front
//!   of every body, so frames reach the stream's shards.
//!
//! With bit 7 set, the real engine's own segment goes first and the fuzzed one second.
//!
//! After opening, every shard is read from TRIM_HORIZON and a record is put into every open
//! shard. Besides "never panics", sequence numbers must strictly increase within a shard,
//! survive a parse/format round trip as text, and new puts must land above what was recovered.
//!
//! Set `FUZZ_WRITE_SEEDS=<dir>` to write seeds made from the real segment into `<dir>`.

#![no_main]

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use kinesis_engine::sequence::SequenceNumber;
use kinesis_engine::{
    Engine, EngineConfig, FsyncPolicy, IteratorStart, ManualClock, PutEntry, PutOutcome,
};
use libfuzzer_sys::fuzz_target;

const NOW_MS: u64 = 1_700_000_000_000;
const STREAM: &str = "s";

struct Template {
    meta: Vec<u8>,
    segment: Vec<u8>,
    created_ms: u64,
}

fn config(dir: &Path) -> EngineConfig {
    EngineConfig {
        transition_delay: Duration::ZERO,
        shard_limits: false,
        data_dir: Some(dir.to_path_buf()),
        fsync: FsyncPolicy::Never,
        ..EngineConfig::default()
    }
}

fn segment_name(id: u64) -> String {
    format!("{id:016}.log")
}

/// A real engine's metadata and journal: a two-shard stream, records in both shards, then
/// the first shard split and more records in its children.
fn template() -> &'static Template {
    static T: OnceLock<Template> = OnceLock::new();
    T.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = ManualClock::new(NOW_MS);
        let engine = Engine::open_with_clock(config(dir.path()), Arc::new(clock.clone()))
            .expect("engine opens");
        engine
            .create_stream(STREAM, None, Some(2), &[])
            .expect("stream");
        let put = |keys: &[Option<u128>]| {
            let entries: Vec<PutEntry<'_>> = keys
                .iter()
                .map(|k| PutEntry {
                    partition_key: "pk",
                    explicit_hash_key: *k,
                    data: b"data",
                })
                .collect();
            engine.put_records(STREAM, &entries).expect("put");
        };
        put(&[Some(0), Some(u128::MAX), None]);
        put(&[Some(1)]);
        clock.advance(2_000);
        engine
            .split_shard(STREAM, "shardId-000000000000", 1u128 << 126)
            .expect("split");
        clock.advance(2_000);
        put(&[Some(0), Some((1u128 << 126) + 1), Some(u128::MAX)]);
        let created_ms = engine.stream_created_ms(STREAM).expect("created");
        drop(engine);
        Template {
            meta: std::fs::read(dir.path().join("meta.json")).expect("meta.json"),
            segment: std::fs::read(dir.path().join("journal").join(segment_name(1)))
                .expect("segment"),
            created_ms,
        }
    })
}

fn stream_header(created_ms: u64) -> Vec<u8> {
    let mut h = vec![1u8];
    h.extend_from_slice(&created_ms.to_le_bytes());
    h.push(STREAM.len() as u8);
    h.extend_from_slice(STREAM.as_bytes());
    h
}

fn frame(out: &mut Vec<u8>, body: &[u8]) {
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32c::crc32c(body).to_le_bytes());
    out.extend_from_slice(body);
}

/// The segment an input stands for.
fn segment(data: &[u8], t: &Template) -> Vec<u8> {
    let Some((&mode, mut rest)) = data.split_first() else {
        return Vec::new();
    };
    if mode % 3 == 0 {
        return rest.to_vec();
    }
    let header = if mode % 3 == 2 {
        stream_header(t.created_ms)
    } else {
        Vec::new()
    };
    let mut out = Vec::new();
    while rest.len() >= 2 {
        let len = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
        rest = &rest[2..];
        if len > rest.len() {
            // Torn: a correct header for the whole body, then only what there is of it.
            let mut body = header.clone();
            body.extend_from_slice(rest);
            out.extend_from_slice(&((body.len() + len - rest.len()) as u32).to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&body);
            return out;
        }
        let mut body = header.clone();
        body.extend_from_slice(&rest[..len]);
        frame(&mut out, &body);
        rest = &rest[len..];
    }
    out
}

fn seq_key(s: &str) -> (usize, &str) {
    (s.len(), s)
}

fn exercise(engine: &Engine) {
    let Ok(info) = engine.describe_stream(STREAM) else {
        return;
    };
    let mut last_by_shard = std::collections::HashMap::new();
    for shard in &info.shards {
        let Ok(mut iterator) =
            engine.get_shard_iterator(STREAM, &shard.shard_id, IteratorStart::TrimHorizon)
        else {
            continue;
        };
        let mut last: Option<String> = None;
        for _ in 0..20 {
            let Ok(out) = engine.get_records(&iterator, 1000) else {
                break;
            };
            for r in &out.records {
                let seq = r.sequence.to_decimal().as_str().to_owned();
                // The text must round-trip. (The struct need not: a record's arrival time is
                // kept whole in memory but only its low 36 bits of seconds are encoded, so a
                // frame claiming an arrival past the year 4147 parses back to another value.
                // No caller compares arrival times, so that is harmless.)
                assert_eq!(
                    SequenceNumber::parse(&seq).map(|s| s.format()).as_deref(),
                    Some(seq.as_str()),
                    "sequence number {seq} does not round-trip"
                );
                if let Some(prev) = &last {
                    assert!(
                        seq_key(&seq) > seq_key(prev),
                        "{}: {seq} after {prev}",
                        shard.shard_id
                    );
                }
                let _ = (r.partition_key(), r.data());
                last = Some(seq);
            }
            match out.next_iterator {
                Some(next) if !out.records.is_empty() => iterator = next,
                _ => break,
            }
        }
        if let Some(last) = last {
            last_by_shard.insert(shard.shard_id.clone(), last);
        }
    }
    let entries: Vec<PutEntry<'_>> = [Some(0), Some(1u128 << 126), Some(u128::MAX), None]
        .into_iter()
        .map(|k| PutEntry {
            partition_key: "new",
            explicit_hash_key: k,
            data: b"after recovery",
        })
        .collect();
    if let Ok(outcomes) = engine.put_records(STREAM, &entries) {
        for o in outcomes {
            if let PutOutcome::Stored {
                shard_id,
                sequence_number,
            } = o
                && let Some(prev) = last_by_shard.get(&shard_id)
            {
                assert!(
                    seq_key(&sequence_number) > seq_key(prev),
                    "{shard_id}: new {sequence_number} not above recovered {prev}"
                );
            }
        }
    }
    let _ = engine.maintain();
}

fn scratch_dir() -> tempfile::TempDir {
    // tmpfs makes the per-input directory cheap where there is one.
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::tempdir_in(shm)
    {
        return dir;
    }
    tempfile::tempdir().expect("temp dir")
}

fuzz_target!(|data: &[u8]| {
    let t = template();
    write_seeds_once(t);
    let dir = scratch_dir();
    let journal = dir.path().join("journal");
    std::fs::create_dir_all(&journal).expect("journal dir");
    std::fs::write(dir.path().join("meta.json"), &t.meta).expect("meta");
    let mut id = 1;
    if data.first().is_some_and(|b| b & 0x80 != 0) {
        std::fs::write(journal.join(segment_name(id)), &t.segment).expect("segment");
        id += 1;
    }
    std::fs::write(journal.join(segment_name(id)), segment(data, t)).expect("segment");
    let clock = Arc::new(ManualClock::new(NOW_MS + 10_000));
    if let Ok(engine) = Engine::open_with_clock(config(dir.path()), clock) {
        exercise(&engine);
    }
});

/// The real segment's frame bodies, split at the frame headers.
fn bodies(segment: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = segment;
    while rest.len() >= 8 {
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let Some(body) = rest.get(8..8 + len) else {
            break;
        };
        out.push(body);
        rest = &rest[8 + len..];
    }
    out
}

fn write_seeds_once(t: &Template) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Some(dir) = std::env::var_os("FUZZ_WRITE_SEEDS") else {
            return;
        };
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("seed dir");
        let header = stream_header(t.created_ms);
        for (base, name) in [(0u8, "first"), (0x80, "second")] {
            let mut raw = vec![base];
            raw.extend_from_slice(&t.segment);
            std::fs::write(dir.join(format!("raw-{name}")), &raw).expect("seed");
            let mut torn = raw.clone();
            torn.truncate(raw.len() - 7);
            std::fs::write(dir.join(format!("torn-{name}")), &torn).expect("seed");
            let (mut framed, mut headed) = (vec![base + 1], vec![base + 2]);
            for body in bodies(&t.segment) {
                framed.extend_from_slice(&(body.len() as u16).to_le_bytes());
                framed.extend_from_slice(body);
                let tail = body.strip_prefix(&header[..]).unwrap_or(body);
                headed.extend_from_slice(&(tail.len() as u16).to_le_bytes());
                headed.extend_from_slice(tail);
            }
            std::fs::write(dir.join(format!("bodies-{name}")), &framed).expect("seed");
            std::fs::write(dir.join(format!("records-{name}")), &headed).expect("seed");
        }
    });
}
