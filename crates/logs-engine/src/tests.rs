use std::sync::Arc;

use metric_store::{MetricKey, Statistic, Store};
use time_source::ManualClock;

use super::*;

const NOW: u64 = 1_800_000_000_000;

fn engine() -> (LogsEngine, Arc<Store>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(NOW));
    let store = Arc::new(Store::with_clock(clock.clone()));
    let logs = LogsEngine::with_clock(LogsConfig::default(), store.clone(), clock.clone());
    (logs, store, clock)
}

fn ev(ts: i64, m: &str) -> InputEvent {
    InputEvent {
        timestamp_ms: ts,
        message: m.into(),
    }
}

/// The messages of `group` (of one stream, or all of them), in the order a read returns.
fn messages(logs: &LogsEngine, group: &str, stream: Option<&str>) -> Vec<String> {
    logs.events(group, stream)
        .unwrap()
        .into_iter()
        .map(|e| e.message)
        .collect()
}

fn sum(store: &Store, ns: &str, name: &str, dims: &[(&str, &str)]) -> f64 {
    let key = MetricKey::new(ns, name, dims.iter().copied()).unwrap();
    let now = store.now_ms();
    store
        .query(&key, now - 3_600_000, now + 60_000, 60, &[Statistic::Sum])
        .unwrap()
        .iter()
        .filter_map(|p| p.values[0])
        .sum()
}

#[test]
fn groups_and_streams_have_a_lifecycle() {
    let (logs, _, _) = engine();
    logs.create_group("g", &[("env", "dev")]).unwrap();
    assert_eq!(
        logs.create_group("g", &[]),
        Err(LogsError::GroupAlreadyExists)
    );
    assert_eq!(
        logs.create_group(&"a".repeat(513), &[]),
        Err(LogsError::NameTooLong)
    );
    logs.create_stream("g", "s").unwrap();
    assert_eq!(
        logs.create_stream("g", "s"),
        Err(LogsError::StreamAlreadyExists)
    );
    assert_eq!(logs.create_stream("x", "s"), Err(LogsError::GroupNotFound));
    assert_eq!(logs.streams("g").unwrap()[0].events, None);
    logs.delete_stream("g", "s").unwrap();
    assert_eq!(logs.delete_stream("g", "s"), Err(LogsError::StreamNotFound));
    assert_eq!(logs.tags("g").unwrap(), [("env".into(), "dev".into())]);
    logs.delete_group("g").unwrap();
    assert_eq!(logs.delete_group("g"), Err(LogsError::GroupNotFound));
    assert_eq!(
        LogsError::GroupNotFound.to_string(),
        "The specified log group does not exist."
    );
}

#[test]
fn batches_are_checked_and_old_or_new_events_left_out() {
    let (logs, _, _) = engine();
    logs.create_group("g", &[]).unwrap();
    logs.create_stream("g", "s").unwrap();
    let now = NOW as i64;
    assert_eq!(
        logs.put_events("g", "s", &[ev(now, "b"), ev(now - 1, "a")]),
        Err(LogsError::NotChronological)
    );
    let big = "x".repeat(MAX_BATCH_BYTES / 2);
    assert_eq!(
        logs.put_events("g", "s", &[ev(now, &big), ev(now, &big)]),
        Err(LogsError::BatchTooLarge(MAX_BATCH_BYTES + 52))
    );
    assert_eq!(
        logs.put_events(
            "g",
            "s",
            &[ev(now - 23 * 3_600_000 - 1, "a"), ev(now + 3_600_000, "b")]
        ),
        Err(LogsError::SpanTooLong)
    );
    let out = logs
        .put_events(
            "g",
            "s",
            &[
                ev(now - 15 * DAY_MS, "old"),
                ev(now - 15 * DAY_MS, "old"),
                ev(now - 1000, "kept"),
                ev(now + 3 * 3_600_000, "new"),
            ],
        )
        .unwrap();
    assert_eq!(
        out.rejected,
        Rejected {
            too_new_start: Some(3),
            too_old_end: Some(2),
            expired_end: None
        }
    );
    assert_eq!(out.stored, 1);
    assert_eq!(out.next_sequence_token.len(), 56);
    // Retention: one day leaves out what is older, reported as expired.
    logs.put_retention("g", 1).unwrap();
    assert_eq!(logs.put_retention("g", 2), Err(LogsError::InvalidRetention));
    let out = logs
        .put_events("g", "s", &[ev(now - 2 * DAY_MS, "x"), ev(now, "y")])
        .unwrap();
    assert_eq!(out.rejected.expired_end, Some(1));
    assert_eq!(logs.group("g").unwrap().retention_days, Some(1));
    assert_eq!(
        logs.put_events("g", "t", &[ev(now, "y")]),
        Err(LogsError::StreamNotFound)
    );
}

#[test]
fn events_read_back_in_time_order_and_expire_with_retention() {
    let (logs, _, clock) = engine();
    logs.create_group("g", &[]).unwrap();
    logs.create_stream("g", "a").unwrap();
    logs.create_stream("g", "b").unwrap();
    let now = NOW as i64;
    logs.put_events("g", "a", &[ev(now - 3000, "a1"), ev(now - 1000, "a3")])
        .unwrap();
    logs.put_events("g", "b", &[ev(now - 2000, "b2")]).unwrap();
    logs.put_events("g", "a", &[ev(now - 2500, "a2")]).unwrap();
    assert_eq!(messages(&logs, "g", None), ["a1", "a2", "b2", "a3"]);
    assert_eq!(messages(&logs, "g", Some("a")), ["a1", "a2", "a3"]);
    assert_eq!(logs.group("g").unwrap().stored_bytes, 8);
    let a = &logs.streams("g").unwrap()[0];
    assert_eq!(a.events, Some((now - 3000, now - 1000, now)));
    logs.put_retention("g", 1).unwrap();
    clock.advance(DAY_MS as u64 - 1500);
    assert_eq!(messages(&logs, "g", None), ["a3"]);
}

#[test]
fn a_group_keeps_its_bound_dropping_the_oldest() {
    let clock = Arc::new(ManualClock::new(NOW));
    let store = Arc::new(Store::with_clock(clock.clone()));
    let logs = LogsEngine::with_clock(
        LogsConfig {
            max_events_per_group: 2,
            ..LogsConfig::default()
        },
        store,
        clock,
    );
    logs.create_group("g", &[]).unwrap();
    logs.create_stream("g", "s").unwrap();
    let now = NOW as i64;
    logs.put_events(
        "g",
        "s",
        &[ev(now - 2, "1"), ev(now - 1, "2"), ev(now, "3")],
    )
    .unwrap();
    let kept = messages(&logs, "g", None);
    assert_eq!(kept, ["2", "3"]);
    assert_eq!(logs.dropped_events(), 1);
}

#[test]
fn tags_merge_within_fifty() {
    let (logs, _, _) = engine();
    logs.create_group("g", &[("a", "1")]).unwrap();
    logs.tag_group("g", &[("a", "2"), ("b", "3")]).unwrap();
    logs.untag_group("g", &["b", "zzz"]).unwrap();
    assert_eq!(logs.tags("g").unwrap(), [("a".into(), "2".into())]);
    let many: Vec<(String, String)> = (0..50).map(|i| (format!("k{i}"), "v".into())).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert!(matches!(
        logs.tag_group("g", &many),
        Err(LogsError::TooManyTags(_))
    ));
    assert_eq!(logs.tags("g").unwrap().len(), 1);
}

#[test]
fn stored_events_publish_incoming_metrics_and_emf() {
    let (logs, store, _) = engine();
    logs.create_group("g", &[]).unwrap();
    logs.create_stream("g", "s").unwrap();
    let now = NOW as i64;
    let emf = format!(
        r#"{{"_aws":{{"Timestamp":{now},"CloudWatchMetrics":[{{"Namespace":"Shop","Dimensions":[["Service"]],"Metrics":[{{"Name":"Orders","Unit":"Count"}}]}}]}},"Service":"cart","Orders":[2,3]}}"#
    );
    let out = logs
        .put_events("g", "s", &[ev(now, "hello"), ev(now, &emf)])
        .unwrap();
    assert_eq!(out.emf_values, 2);
    assert_eq!(sum(&store, "Shop", "Orders", &[("Service", "cart")]), 5.0);
    let bytes = (5 + emf.len()) as f64;
    assert_eq!(
        sum(
            &store,
            "AWS/Logs",
            "IncomingBytes",
            &[("LogGroupName", "g")]
        ),
        bytes
    );
    assert_eq!(sum(&store, "AWS/Logs", "IncomingBytes", &[]), bytes);
    assert_eq!(
        sum(
            &store,
            "AWS/Logs",
            "IncomingLogEvents",
            &[("LogGroupName", "g")]
        ),
        2.0
    );
    assert!(!emf::looks_like_emf("plain line"));
}

#[test]
fn groups_and_streams_stop_at_the_engines_bounds() {
    let logs = LogsEngine::new(LogsConfig::default(), Arc::new(Store::new()));
    for i in 0..MAX_LOG_GROUPS {
        logs.create_group(&format!("g{i}"), &[]).unwrap();
    }
    let over = logs.create_group("one-more", &[]).unwrap_err();
    assert_eq!(over.code(), "LimitExceededException");
    assert_eq!(over.to_string(), "Resource limit exceeded.");
    logs.delete_group("g0").unwrap();
    logs.create_group("one-more", &[]).unwrap();
    for i in 0..MAX_STREAMS_PER_GROUP {
        logs.create_stream("g1", &format!("s{i}")).unwrap();
    }
    assert_eq!(
        logs.create_stream("g1", "one-more").unwrap_err().code(),
        "LimitExceededException"
    );
}

fn open_at(
    dir: &std::path::Path,
    clock: &Arc<ManualClock>,
    max: usize,
) -> (LogsEngine, Arc<Store>) {
    let store = Arc::new(Store::with_clock(clock.clone()));
    let config = LogsConfig {
        max_events_per_group: max,
        ..LogsConfig::default()
    };
    let logs = LogsEngine::open(config, store.clone(), clock.clone(), dir).unwrap();
    (logs, store)
}

/// Everything a reader sees of an engine, to compare two of them.
fn everything(logs: &LogsEngine) -> Vec<String> {
    let mut out = vec![format!("dropped {}", logs.dropped_events())];
    for g in logs.groups() {
        out.push(format!("{g:?} tags {:?}", logs.tags(&g.name).unwrap()));
        for s in logs.streams(&g.name).unwrap() {
            out.push(format!("  {s:?}"));
        }
        for e in logs.events(&g.name, None).unwrap() {
            out.push(format!("    {e:?}"));
        }
    }
    out
}

#[test]
fn a_reopened_engine_holds_what_it_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let now = NOW as i64;
    let (logs, _) = open_at(dir.path(), &clock, 3);
    logs.create_group_with(
        "app",
        &[("team", "a"), ("env", "dev")],
        GroupOptions {
            class: Some("INFREQUENT_ACCESS".into()),
            kms_key_id: Some("arn:aws:kms:us-east-1:000000000000:key/k".into()),
            deletion_protection: true,
        },
    )
    .unwrap();
    logs.create_group("gone", &[]).unwrap();
    logs.create_stream("app", "web-1").unwrap();
    logs.create_stream("app", "web-2").unwrap();
    logs.create_stream("app", "dropped").unwrap();
    clock.advance(1000);
    logs.put_events(
        "app",
        "web-1",
        &[ev(now - 500, "one"), ev(now + 200, "two")],
    )
    .unwrap();
    logs.put_events("app", "web-2", &[ev(now - 100, "three")])
        .unwrap();
    // Past the bound of 3: the oldest goes and is counted.
    clock.advance(1000);
    logs.put_events("app", "web-1", &[ev(now + 1500, "four")])
        .unwrap();
    // An upload whose events were all left out still moves the token.
    logs.put_events("app", "web-2", &[ev(now - 15 * DAY_MS, "old")])
        .unwrap();
    logs.put_retention("app", 30).unwrap();
    logs.tag_group("app", &[("team", "b")]).unwrap();
    logs.untag_group("app", &["env"]).unwrap();
    logs.delete_stream("app", "dropped").unwrap();
    logs.delete_group("gone").unwrap();
    let before = everything(&logs);
    assert_eq!(logs.dropped_events(), 1);
    assert!(before.iter().any(|l| l.contains("INFREQUENT_ACCESS")));
    drop(logs);

    let (logs, _) = open_at(dir.path(), &clock, 3);
    assert_eq!(everything(&logs), before);
    assert_eq!(logs.tags("app").unwrap(), [("team".into(), "b".into())]);
    assert_eq!(logs.group("app").unwrap().retention_days, Some(30));
    assert!(!logs.has_group("gone"));
    let web2 = &logs.streams("app").unwrap()[1];
    assert_eq!(web2.upload_sequence_token, sequence_token(2));
    // New events take sequence numbers after the old ones.
    logs.put_events("app", "web-2", &[ev(now + 2000, "five")])
        .unwrap();
    let seqs: Vec<u64> = logs
        .events("app", None)
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, [1, 3, 4]);
    assert_eq!(logs.dropped_events(), 2);
    // Retention keeps working on the engine's clock after the restart.
    clock.advance(30 * DAY_MS as u64);
    assert_eq!(logs.events("app", None).unwrap().len(), 1);
}

#[test]
fn a_journal_line_cut_short_loses_only_that_change() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let now = NOW as i64;
    let (logs, _) = open_at(dir.path(), &clock, 100);
    logs.create_group("g", &[]).unwrap();
    logs.create_stream("g", "s").unwrap();
    logs.put_events("g", "s", &[ev(now, "kept")]).unwrap();
    logs.put_events("g", "s", &[ev(now, "cut")]).unwrap();
    drop(logs);
    // A crash in the middle of the last line: only part of it reached the file.
    let path = dir.path().join("logs.journal");
    let bytes = std::fs::read(&path).unwrap();
    let last_start = bytes[..bytes.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap()
        + 1;
    std::fs::write(&path, &bytes[..last_start + (bytes.len() - last_start) / 2]).unwrap();
    let (logs, _) = open_at(dir.path(), &clock, 100);
    assert_eq!(messages(&logs, "g", Some("s")), ["kept"]);
}

#[test]
fn compaction_keeps_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let now = NOW as i64;
    let (logs, _) = open_at(dir.path(), &clock, 100_000);
    logs.create_group("g", &[("k", "v")]).unwrap();
    logs.create_stream("g", "s").unwrap();
    // About 5 MiB of journal: past the point where it asks to be compacted.
    let message = "x".repeat(1000);
    for i in 0..5_300 {
        let batch = [ev(now + i, &message)];
        logs.put_events("g", "s", &batch).unwrap();
    }
    let journal = dir.path().join("logs.journal");
    assert!(std::fs::metadata(&journal).unwrap().len() > 4 << 20);
    logs.maintain().unwrap();
    assert_eq!(std::fs::metadata(&journal).unwrap().len(), 0);
    logs.put_events("g", "s", &[ev(now + 6000, "after")])
        .unwrap();
    logs.maintain().unwrap();
    let before = everything(&logs);
    drop(logs);
    let (logs, _) = open_at(dir.path(), &clock, 100_000);
    assert_eq!(everything(&logs), before);
    assert_eq!(logs.events("g", Some("s")).unwrap().len(), 5_301);
}

#[test]
fn a_smaller_bound_at_open_drops_the_oldest() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let now = NOW as i64;
    let (logs, _) = open_at(dir.path(), &clock, 10);
    logs.create_group("g", &[]).unwrap();
    logs.create_stream("g", "s").unwrap();
    let batch: Vec<InputEvent> = (0..5).map(|i| ev(now + i, &i.to_string())).collect();
    logs.put_events("g", "s", &batch).unwrap();
    drop(logs);
    let (logs, _) = open_at(dir.path(), &clock, 2);
    let kept = messages(&logs, "g", None);
    assert_eq!(kept, ["3", "4"]);
    assert_eq!(logs.dropped_events(), 3);
}

#[test]
fn expiry_by_reads_and_replay_agree_across_a_retention_change() {
    // Events that expired under a short retention stay gone when it is lengthened, both
    // live and after a replay that never saw the reads.
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let now = NOW as i64;
    let (logs, _) = open_at(dir.path(), &clock, 100);
    logs.create_group("g", &[]).unwrap();
    logs.create_stream("g", "s").unwrap();
    logs.put_events("g", "s", &[ev(now, "early")]).unwrap();
    logs.put_retention("g", 1).unwrap();
    clock.advance(2 * DAY_MS as u64);
    assert!(logs.events("g", None).unwrap().is_empty());
    logs.put_retention("g", 30).unwrap();
    let live = everything(&logs);
    assert!(logs.events("g", None).unwrap().is_empty());
    drop(logs);
    let (logs, _) = open_at(dir.path(), &clock, 100);
    assert_eq!(everything(&logs), live);
}

#[test]
fn deletion_protection_refuses_deletion_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let (logs, _) = open_at(dir.path(), &clock, 100);
    logs.create_group("g", &[]).unwrap();
    logs.set_deletion_protection("g", true).unwrap();
    assert_eq!(logs.delete_group("g"), Err(LogsError::DeletionProtected));
    assert_eq!(LogsError::DeletionProtected.code(), "ValidationException");
    assert_eq!(
        logs.set_deletion_protection("missing", true),
        Err(LogsError::GroupNotFound)
    );
    drop(logs);
    let (logs, _) = open_at(dir.path(), &clock, 100);
    assert!(logs.group("g").unwrap().deletion_protection);
    assert_eq!(logs.delete_group("g"), Err(LogsError::DeletionProtected));
    logs.set_deletion_protection("g", false).unwrap();
    logs.delete_group("g").unwrap();
    drop(logs);
    let (logs, _) = open_at(dir.path(), &clock, 100);
    assert!(!logs.has_group("g"));
}
