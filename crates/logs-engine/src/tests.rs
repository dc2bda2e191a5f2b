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
    let messages = |stream| -> Vec<String> {
        logs.events("g", stream)
            .unwrap()
            .into_iter()
            .map(|e| e.message)
            .collect()
    };
    assert_eq!(messages(None), ["a1", "a2", "b2", "a3"]);
    assert_eq!(messages(Some("a")), ["a1", "a2", "a3"]);
    assert_eq!(logs.group("g").unwrap().stored_bytes, 8);
    let a = &logs.streams("g").unwrap()[0];
    assert_eq!(a.events, Some((now - 3000, now - 1000, now)));
    logs.put_retention("g", 1).unwrap();
    clock.advance(DAY_MS as u64 - 1500);
    assert_eq!(messages(None), ["a3"]);
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
    let kept: Vec<String> = logs
        .events("g", None)
        .unwrap()
        .into_iter()
        .map(|e| e.message)
        .collect();
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
