//! Behaviour of the engine through its public API.

use std::sync::Arc;
use std::time::Duration;

use kinesis_engine::{
    Engine, EngineConfig, EngineError, FsyncPolicy, IteratorStart, ManualClock, PutEntry,
    PutOutcome, StreamMode, StreamStatus,
};

const T0: u64 = 1_700_000_000_000;

fn engine_with(config: EngineConfig) -> (Engine, ManualClock) {
    let clock = ManualClock::new(T0);
    let engine = Engine::open_with_clock(config, Arc::new(clock.clone())).unwrap();
    (engine, clock)
}

fn engine() -> (Engine, ManualClock) {
    engine_with(EngineConfig::default())
}

fn entry<'a>(pk: &'a str, data: &'a [u8]) -> PutEntry<'a> {
    PutEntry {
        partition_key: pk,
        explicit_hash_key: None,
        data,
    }
}

fn stored(o: &PutOutcome) -> (&str, &str) {
    match o {
        PutOutcome::Stored {
            shard_id,
            sequence_number,
        } => (shard_id, sequence_number),
        PutOutcome::Throttled { message, .. } => panic!("throttled: {message}"),
    }
}

fn read_all(engine: &Engine, stream: &str, shard: &str) -> Vec<(String, Vec<u8>, String)> {
    let mut it = Some(
        engine
            .get_shard_iterator(stream, shard, IteratorStart::TrimHorizon)
            .unwrap(),
    );
    let mut out = Vec::new();
    while let Some(i) = it {
        let r = engine.get_records(&i, 10_000).unwrap();
        if r.records.is_empty() && r.next_iterator.is_some() {
            break;
        }
        for rec in &r.records {
            out.push((
                rec.partition_key().to_owned(),
                rec.data().to_vec(),
                rec.sequence.format(),
            ));
        }
        it = r.next_iterator;
    }
    out
}

#[test]
fn put_then_read_back_in_order() {
    let (e, _) = engine();
    e.create_stream("s", None, Some(1), &[]).unwrap();
    let data: Vec<Vec<u8>> = (0..100)
        .map(|i| format!("record-{i}").into_bytes())
        .collect();
    let entries: Vec<PutEntry> = data.iter().map(|d| entry("key", d)).collect();
    let out = e.put_records("s", &entries).unwrap();
    let seqs: Vec<String> = out.iter().map(|o| stored(o).1.to_owned()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "sequence numbers increase"
    );
    let read = read_all(&e, "s", "shardId-000000000000");
    assert_eq!(read.len(), 100);
    assert_eq!(read[7].1, b"record-7");
    assert_eq!(read[7].2, seqs[7]);
}

#[test]
fn routing_follows_md5_and_explicit_hash_key() {
    let (e, _) = engine();
    e.create_stream("s", None, Some(4), &[]).unwrap();
    // MD5("a") starts with 0x0c: first quarter. ExplicitHashKey 2^127 is the third quarter.
    let out = e.put_records("s", &[entry("a", b"x")]).unwrap();
    assert_eq!(stored(&out[0]).0, "shardId-000000000000");
    let out = e
        .put_records(
            "s",
            &[PutEntry {
                partition_key: "a",
                explicit_hash_key: Some(1 << 127),
                data: b"y",
            }],
        )
        .unwrap();
    assert_eq!(stored(&out[0]).0, "shardId-000000000002");
}

#[test]
fn iterator_types() {
    let (e, clock) = engine();
    e.create_stream("s", None, Some(1), &[]).unwrap();
    let sh = "shardId-000000000000";
    let mut seqs = Vec::new();
    for i in 0..5 {
        clock.advance(1000);
        let out = e
            .put_records("s", &[entry("k", format!("{i}").as_bytes())])
            .unwrap();
        seqs.push(stored(&out[0]).1.to_owned());
    }
    let first = |start| {
        let it = e.get_shard_iterator("s", sh, start).unwrap();
        e.get_records(&it, 1)
            .unwrap()
            .records
            .first()
            .map(|r| r.data().to_vec())
    };
    assert_eq!(first(IteratorStart::TrimHorizon), Some(b"0".to_vec()));
    assert_eq!(
        first(IteratorStart::AtSequence(seqs[2].clone())),
        Some(b"2".to_vec())
    );
    assert_eq!(
        first(IteratorStart::AfterSequence(seqs[2].clone())),
        Some(b"3".to_vec())
    );
    assert_eq!(first(IteratorStart::Latest), None);
    assert_eq!(
        first(IteratorStart::AtTimestamp((T0 + 3000) as i64)),
        Some(b"2".to_vec())
    );
    let future = e.get_shard_iterator("s", sh, IteratorStart::AtTimestamp((T0 + 999_999) as i64));
    assert!(matches!(future, Err(EngineError::InvalidArgument(_))));
    let bogus = e.get_shard_iterator("s", sh, IteratorStart::AtSequence("12345".into()));
    assert!(matches!(bogus, Err(EngineError::InvalidArgument(_))));
    let missing = e.get_shard_iterator("s", "shardId-000000000009", IteratorStart::Latest);
    assert_eq!(
        missing.unwrap_err().message(),
        "Shard shardId-000000000009 in stream s under account 000000000000 does not exist"
    );
}

#[test]
fn latest_sees_only_later_records() {
    let (e, _) = engine();
    e.create_stream("s", None, Some(1), &[]).unwrap();
    e.put_records("s", &[entry("k", b"old")]).unwrap();
    let it = e
        .get_shard_iterator("s", "shardId-000000000000", IteratorStart::Latest)
        .unwrap();
    e.put_records("s", &[entry("k", b"new")]).unwrap();
    let r = e.get_records(&it, 10).unwrap();
    assert_eq!(r.records.len(), 1);
    assert_eq!(r.records[0].data(), b"new");
}

#[test]
fn iterators_expire_after_five_minutes() {
    let (e, clock) = engine();
    e.create_stream("s", None, Some(1), &[]).unwrap();
    let it = e
        .get_shard_iterator("s", "shardId-000000000000", IteratorStart::TrimHorizon)
        .unwrap();
    clock.advance(300_001);
    let err = e.get_records(&it, 10).unwrap_err();
    assert_eq!(err.code(), "ExpiredIteratorException");
    assert!(
        err.message()
            .starts_with("Iterator expired. The iterator was created at time ")
    );
    assert_eq!(
        e.get_records("garbage", 10).unwrap_err().message(),
        "Invalid ShardIterator."
    );
}

#[test]
fn retention_trims_old_records() {
    let (e, clock) = engine();
    e.create_stream("s", None, Some(1), &[]).unwrap();
    e.put_records("s", &[entry("k", b"old")]).unwrap();
    clock.advance(23 * 3_600_000);
    e.put_records("s", &[entry("k", b"young")]).unwrap();
    clock.advance(2 * 3_600_000);
    // Not yet trimmed by housekeeping, but never served.
    let read = read_all(&e, "s", "shardId-000000000000");
    assert_eq!(
        read.iter().map(|r| r.1.clone()).collect::<Vec<_>>(),
        vec![b"young".to_vec()]
    );
    e.maintain().unwrap();
    assert_eq!(e.stored_totals().0, 1);
}

#[test]
fn write_throttling_per_shard() {
    let (e, _) = engine();
    e.create_stream("s", None, Some(1), &[]).unwrap();
    let data = vec![0u8; 10];
    let entries: Vec<PutEntry> = (0..500).map(|_| entry("k", &data)).collect();
    let a = e.put_records("s", &entries).unwrap();
    let b = e.put_records("s", &entries).unwrap();
    let c = e.put_records("s", &entries).unwrap();
    let throttled = [a, b, c]
        .iter()
        .flatten()
        .filter(|o| matches!(o, PutOutcome::Throttled { .. }))
        .count();
    assert_eq!(throttled, 500);
    let refused = e.put_record("s", entry("k", b"x"), None).unwrap();
    assert_eq!(
        refused,
        PutOutcome::Throttled {
            shard_id: "shardId-000000000000".into(),
            message: "Rate exceeded for shard shardId-000000000000 in stream s under account 000000000000."
                .into()
        }
    );
}

#[test]
fn limits_off_never_throttles() {
    let (e, _) = engine_with(EngineConfig {
        shard_limits: false,
        ..Default::default()
    });
    e.create_stream("s", None, Some(1), &[]).unwrap();
    let data = vec![0u8; 1000];
    let entries: Vec<PutEntry> = (0..500).map(|_| entry("k", &data)).collect();
    for _ in 0..10 {
        let out = e.put_records("s", &entries).unwrap();
        assert!(out.iter().all(|o| matches!(o, PutOutcome::Stored { .. })));
    }
}

#[test]
fn read_throttling_five_calls_per_second() {
    let (e, _) = engine();
    e.create_stream("s", None, Some(1), &[]).unwrap();
    let it = e
        .get_shard_iterator("s", "shardId-000000000000", IteratorStart::TrimHorizon)
        .unwrap();
    let ok = (0..8).filter(|_| e.get_records(&it, 10).is_ok()).count();
    assert_eq!(ok, 5);
}

#[test]
fn split_closes_parent_and_children_continue() {
    let (e, clock) = engine();
    e.create_stream("s", None, Some(1), &[]).unwrap();
    let before = e.put_records("s", &[entry("k", b"before")]).unwrap();
    e.split_shard("s", "shardId-000000000000", 1 << 127)
        .unwrap();
    clock.advance(10);
    let after = e.put_records("s", &[entry("k", b"after")]).unwrap();
    assert!(
        stored(&after[0]).1 > stored(&before[0]).1,
        "children sort after parents"
    );
    let d = e.describe_stream("s").unwrap();
    assert_eq!(d.shards.len(), 3);
    assert_eq!(d.open_shard_count, 2);
    assert!(d.shards[0].ending_sequence_number.is_some());
    assert_eq!(
        d.shards[1].parent_shard_id.as_deref(),
        Some("shardId-000000000000")
    );
    assert_eq!(d.shards[1].hash_range.end + 1, d.shards[2].hash_range.start);

    // Reading the parent to its end yields the children and no next iterator.
    let it = e
        .get_shard_iterator("s", "shardId-000000000000", IteratorStart::TrimHorizon)
        .unwrap();
    let r = e.get_records(&it, 100).unwrap();
    assert_eq!(r.records.len(), 1);
    assert!(r.next_iterator.is_none());
    let children = r.child_shards.unwrap();
    assert_eq!(children.len(), 2);
    assert_eq!(
        children[0].parent_shards,
        vec!["shardId-000000000000".to_string()]
    );

    let bad = e.split_shard("s", "shardId-000000000001", 1);
    assert_eq!(bad.unwrap_err().code(), "InvalidArgumentException");
    let closed = e.split_shard("s", "shardId-000000000000", 5);
    assert!(
        closed
            .unwrap_err()
            .message()
            .contains("has already been merged or split")
    );
}

#[test]
fn merge_requires_adjacent_shards() {
    let (e, _) = engine();
    e.create_stream("s", None, Some(3), &[]).unwrap();
    let err = e
        .merge_shards("s", "shardId-000000000000", "shardId-000000000002")
        .unwrap_err();
    assert!(err.message().contains("are not an adjacent pair"));
    // The pair in the other order (AdjacentShardToMerge below ShardToMerge) is refused too.
    let inverted = e
        .merge_shards("s", "shardId-000000000002", "shardId-000000000001")
        .unwrap_err();
    assert_eq!(
        inverted.message(),
        "Shards shardId-000000000002 and shardId-000000000001 in stream s under account 000000000000 are not an adjacent pair of shards eligible for merging"
    );
    e.merge_shards("s", "shardId-000000000001", "shardId-000000000002")
        .unwrap();
    let d = e.describe_stream("s").unwrap();
    assert_eq!(d.open_shard_count, 2);
    let merged = &d.shards[3];
    assert_eq!(
        merged.parent_shard_id.as_deref(),
        Some("shardId-000000000001")
    );
    assert_eq!(
        merged.adjacent_parent_shard_id.as_deref(),
        Some("shardId-000000000002")
    );
    assert_eq!(merged.hash_range.end, u128::MAX);
}

#[test]
fn update_shard_count_scales_uniformly() {
    let (e, _) = engine();
    e.create_stream("s", None, Some(3), &[]).unwrap();
    assert_eq!(e.update_shard_count("s", 5).unwrap(), 3);
    let d = e.describe_stream("s").unwrap();
    assert_eq!(d.open_shard_count, 5);
    let expected = kinesis_engine::HashRange::split_evenly(5);
    let mut open: Vec<_> = d
        .shards
        .iter()
        .filter(|s| s.ending_sequence_number.is_none())
        .map(|s| s.hash_range)
        .collect();
    open.sort();
    assert_eq!(open, expected);
    assert_eq!(e.update_shard_count("s", 3).unwrap(), 5);
    assert_eq!(e.describe_stream("s").unwrap().open_shard_count, 3);
    assert_eq!(
        e.update_shard_count("s", 7).unwrap_err().code(),
        "LimitExceededException"
    );
    assert_eq!(
        e.update_shard_count("s", 1).unwrap_err().code(),
        "LimitExceededException"
    );
}

#[test]
fn status_transitions_follow_the_delay() {
    let (e, clock) = engine_with(EngineConfig {
        transition_delay: Duration::from_millis(500),
        ..Default::default()
    });
    e.create_stream("s", None, Some(1), &[]).unwrap();
    assert_eq!(
        e.describe_stream("s").unwrap().status,
        StreamStatus::Creating
    );
    assert_eq!(
        e.put_records("s", &[entry("k", b"x")]).unwrap_err().code(),
        "ResourceNotFoundException"
    );
    clock.advance(500);
    assert_eq!(e.describe_stream("s").unwrap().status, StreamStatus::Active);
    e.split_shard("s", "shardId-000000000000", 1 << 100)
        .unwrap();
    assert_eq!(
        e.describe_stream("s").unwrap().status,
        StreamStatus::Updating
    );
    let busy = e
        .split_shard("s", "shardId-000000000001", 1 << 50)
        .unwrap_err();
    assert_eq!(
        busy.message(),
        "Stream s under account 000000000000 not ACTIVE, instead in state UPDATING"
    );
    clock.advance(500);
    e.delete_stream("s", false).unwrap();
    assert_eq!(
        e.describe_stream("s").unwrap().status,
        StreamStatus::Deleting
    );
    clock.advance(500);
    assert_eq!(
        e.describe_stream("s").unwrap_err().code(),
        "ResourceNotFoundException"
    );
}

#[test]
fn create_delete_and_update_delays_are_set_apart() {
    let (e, clock) = engine_with(EngineConfig {
        transition_delay: Duration::from_millis(100),
        update_delay: Some(Duration::from_millis(300)),
        delete_delay: Some(Duration::ZERO),
        ..Default::default()
    });
    e.create_stream("s", None, Some(1), &[]).unwrap();
    clock.advance(99);
    assert_eq!(
        e.describe_stream("s").unwrap().status,
        StreamStatus::Creating
    );
    clock.advance(1);
    assert_eq!(e.describe_stream("s").unwrap().status, StreamStatus::Active);
    e.split_shard("s", "shardId-000000000000", 1 << 100)
        .unwrap();
    clock.advance(299);
    assert_eq!(
        e.describe_stream("s").unwrap().status,
        StreamStatus::Updating
    );
    clock.advance(1);
    assert_eq!(e.describe_stream("s").unwrap().status, StreamStatus::Active);
    // No DELETING phase at all.
    e.delete_stream("s", false).unwrap();
    assert_eq!(
        e.describe_stream("s").unwrap_err().code(),
        "ResourceNotFoundException"
    );
}

#[test]
fn quotas_and_on_demand() {
    let (e, _) = engine_with(EngineConfig {
        shard_quota: 5,
        ..Default::default()
    });
    e.create_stream("a", None, Some(4), &[]).unwrap();
    let err = e.create_stream("b", None, Some(2), &[]).unwrap_err();
    assert_eq!(err.code(), "LimitExceededException");
    assert!(
        err.message()
            .contains("Current shard count for the account: 4. Limit: 5.")
    );
    e.create_stream("od", Some(StreamMode::OnDemand), None, &[])
        .unwrap();
    assert_eq!(e.describe_stream("od").unwrap().shards.len(), 4);
    let l = e.limits();
    assert_eq!((l.shard_limit, l.on_demand_stream_count), (5, 1));
    assert_eq!(
        e.create_stream("a", None, Some(1), &[]).unwrap_err().code(),
        "ResourceInUseException"
    );
}

#[test]
fn records_survive_reopen_with_the_same_sequence_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        data_dir: Some(dir.path().to_path_buf()),
        fsync: FsyncPolicy::Never,
        ..Default::default()
    };
    let (seqs, after_split) = {
        let (e, clock) = engine_with(config.clone());
        e.create_stream("s", None, Some(2), &[("team".into(), "a".into())])
            .unwrap();
        let data: Vec<String> = (0..50).map(|i| format!("r{i}")).collect();
        let entries: Vec<PutEntry> = data.iter().map(|d| entry(d, d.as_bytes())).collect();
        let seqs: Vec<(String, String)> = e
            .put_records("s", &entries)
            .unwrap()
            .iter()
            .map(|o| {
                let (a, b) = stored(o);
                (a.to_owned(), b.to_owned())
            })
            .collect();
        e.split_shard("s", "shardId-000000000000", 1 << 100)
            .unwrap();
        clock.advance(1000);
        let after = e.put_records("s", &[entry("zz", b"after")]).unwrap();
        (seqs, stored(&after[0]).1.to_owned())
    };
    let (e, _) = engine_with(config);
    let d = e.describe_stream("s").unwrap();
    assert_eq!(d.shards.len(), 4);
    assert_eq!(
        e.tags("s").unwrap().get("team").map(String::as_str),
        Some("a")
    );
    let mut all = Vec::new();
    for s in &d.shards {
        all.extend(read_all(&e, "s", &s.shard_id));
    }
    for (i, (_, seq)) in seqs.iter().enumerate() {
        let found = all.iter().find(|r| &r.2 == seq).expect("record recovered");
        assert_eq!(found.1, format!("r{i}").into_bytes());
    }
    assert!(all.iter().any(|r| r.2 == after_split && r.1 == b"after"));
    // New writes continue after the recovered ones.
    let more = e.put_records("s", &[entry("r0", b"later")]).unwrap();
    assert!(stored(&more[0]).1 > seqs[0].1.as_str());
}

#[path = "engine/memory.rs"]
mod memory;

/// An engine whose streams take 10 s to create, update and delete, on a manual clock.
fn slow_transitions() -> (Engine, ManualClock) {
    engine_with(EngineConfig {
        transition_delay: Duration::from_secs(10),
        ..EngineConfig::default()
    })
}

/// Where a record with an explicit hash key goes.
fn put_at(e: &Engine, hash_key: u128) -> String {
    let entry = PutEntry {
        partition_key: "k",
        explicit_hash_key: Some(hash_key),
        data: b"x",
    };
    match e.put_record("s", entry, None).unwrap() {
        PutOutcome::Stored { shard_id, .. } => shard_id,
        other => panic!("not stored: {other:?}"),
    }
}

fn shard_ids(e: &Engine) -> Vec<String> {
    let d = e.describe_stream("s").unwrap();
    d.shards.iter().map(|s| s.shard_id.clone()).collect()
}

#[test]
fn creating_and_deleting_streams_list_no_shards() {
    let (e, clock) = slow_transitions();
    e.create_stream("s", None, Some(2), &[]).unwrap();
    let d = e.describe_stream("s").unwrap();
    assert_eq!(d.status, StreamStatus::Creating);
    assert!(d.shards.is_empty(), "{:?}", d.shards);
    clock.advance(10_000);
    assert_eq!(shard_ids(&e).len(), 2);
    e.delete_stream("s", false).unwrap();
    let d = e.describe_stream("s").unwrap();
    assert_eq!(d.status, StreamStatus::Deleting);
    assert!(d.shards.is_empty(), "{:?}", d.shards);
}

#[test]
fn a_split_keeps_the_old_layout_until_updating_ends() {
    let (e, clock) = slow_transitions();
    e.create_stream("s", None, Some(1), &[]).unwrap();
    clock.advance(10_000);
    let top = u128::MAX;
    e.split_shard("s", "shardId-000000000000", 1 << 127)
        .unwrap();
    let d = e.describe_stream("s").unwrap();
    assert_eq!(d.status, StreamStatus::Updating);
    assert_eq!(shard_ids(&e), ["shardId-000000000000"]);
    assert_eq!(d.shards[0].ending_sequence_number, None, "still open");
    assert_eq!(put_at(&e, top), "shardId-000000000000");
    let again = e
        .split_shard("s", "shardId-000000000000", 1 << 126)
        .unwrap_err();
    assert_eq!(
        again.message(),
        "Stream s under account 000000000000 not ACTIVE, instead in state UPDATING"
    );

    clock.advance(9_999);
    assert_eq!(shard_ids(&e).len(), 1, "a millisecond early");
    clock.advance(1);
    let d = e.describe_stream("s").unwrap();
    assert_eq!(d.status, StreamStatus::Active);
    assert_eq!(
        shard_ids(&e),
        [
            "shardId-000000000000",
            "shardId-000000000001",
            "shardId-000000000002"
        ]
    );
    assert!(d.shards[0].ending_sequence_number.is_some(), "closed now");
    assert_eq!(put_at(&e, 0), "shardId-000000000001");
    assert_eq!(put_at(&e, top), "shardId-000000000002");
}

#[test]
fn a_merge_and_a_scaling_keep_the_old_layout_until_updating_ends() {
    let (e, clock) = slow_transitions();
    e.create_stream("s", None, Some(2), &[]).unwrap();
    clock.advance(10_000);
    e.merge_shards("s", "shardId-000000000000", "shardId-000000000001")
        .unwrap();
    assert_eq!(shard_ids(&e).len(), 2);
    assert_eq!(put_at(&e, 0), "shardId-000000000000");
    clock.advance(10_000);
    assert_eq!(shard_ids(&e).len(), 3);
    assert_eq!(put_at(&e, 0), "shardId-000000000002");

    e.update_shard_count("s", 2).unwrap();
    let d = e.describe_stream("s").unwrap();
    assert_eq!(d.status, StreamStatus::Updating);
    assert_eq!(d.open_shard_count, 1);
    assert_eq!(shard_ids(&e).len(), 3);
    clock.advance(10_000);
    let d = e.describe_stream("s").unwrap();
    assert_eq!(d.open_shard_count, 2);
    assert_eq!(shard_ids(&e).len(), 5);
    assert_eq!(put_at(&e, 0), "shardId-000000000003");
}

#[test]
fn a_pending_split_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let config = EngineConfig {
        transition_delay: Duration::from_secs(10),
        data_dir: Some(dir.path().to_path_buf()),
        ..EngineConfig::default()
    };
    let e = Engine::open_with_clock(config.clone(), Arc::new(clock.clone())).unwrap();
    e.create_stream("s", None, Some(1), &[]).unwrap();
    clock.advance(10_000);
    e.split_shard("s", "shardId-000000000000", 1 << 127)
        .unwrap();
    drop(e);
    let e = Engine::open_with_clock(config, Arc::new(clock.clone())).unwrap();
    assert_eq!(shard_ids(&e).len(), 1);
    clock.advance(10_000);
    assert_eq!(shard_ids(&e).len(), 3);
}

#[path = "engine/subscription.rs"]
mod subscription;

#[path = "engine/resources.rs"]
mod resources;
