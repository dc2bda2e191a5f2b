//! The bound on the number of series: a full store evicts the series updated least
//! recently that no handle refers to, and counts it. Time moves on a manual clock.

#![allow(
    clippy::disallowed_methods,
    reason = "the store's own tests seed series of any name directly"
)]

use std::sync::Arc;

use metric_store::Clock as _;
use metric_store::{
    DEFAULT_MAX_SERIES, Datum, ListFilter, ManualClock, MetricKey, StorageResolution, Store, Unit,
};

const T0: u64 = 1_700_000_000_000;

fn key(name: &str) -> MetricKey {
    MetricKey::new("App", "Requests", [("Route", name)]).expect("valid key")
}

fn store(max: usize) -> (Store, ManualClock) {
    let clock = ManualClock::new(T0);
    let store = Store::with_clock(Arc::new(clock.clone())).with_max_series(max);
    (store, clock)
}

/// A PutMetricData datum for `name` at the clock's time; the clock then moves a second.
fn put(store: &Store, clock: &ManualClock, name: &str) {
    let now = clock.now_ms();
    store
        .put(
            &key(name),
            Some(Unit::Count),
            now,
            &Datum::Value(1.0),
            StorageResolution::High,
        )
        .expect("accepted");
    clock.advance(1000);
}

fn routes(store: &Store) -> Vec<String> {
    store
        .list(&ListFilter::default())
        .iter()
        .filter_map(|k| k.dimension("Route").map(str::to_owned))
        .collect()
}

#[test]
fn the_default_limit_is_a_hundred_thousand_series() {
    let store = Store::new();
    assert_eq!(DEFAULT_MAX_SERIES, 100_000);
    assert_eq!(store.max_series(), DEFAULT_MAX_SERIES);
    assert_eq!(store.series_evicted(), 0);
}

#[test]
fn a_new_series_evicts_the_least_recently_updated() {
    let (store, clock) = store(3);
    for name in ["a", "b", "c"] {
        put(&store, &clock, name);
    }
    // `a` is updated again, so `b` is now the least recently updated.
    put(&store, &clock, "a");
    put(&store, &clock, "d");
    assert_eq!(routes(&store), ["a", "c", "d"]);
    assert_eq!(store.len(), 3);
    assert_eq!(store.series_evicted(), 1);
    put(&store, &clock, "e");
    assert_eq!(routes(&store), ["a", "d", "e"]);
    assert_eq!(store.series_evicted(), 2);
    // An existing series takes data without evicting anything.
    put(&store, &clock, "a");
    assert_eq!(store.series_evicted(), 2);
    // An evicted series comes back as a new one (and evicts the oldest, `d`).
    put(&store, &clock, "b");
    assert_eq!(routes(&store), ["a", "b", "e"]);
    assert_eq!(store.series_evicted(), 3);
}

#[test]
fn a_storm_of_new_series_keeps_the_store_at_its_limit() {
    let (store, clock) = store(1000);
    for i in 0..5000 {
        put(&store, &clock, &format!("route-{i}"));
    }
    assert_eq!(store.len(), 1000);
    assert_eq!(store.series_evicted(), 4000);
    // The newest thousand remain.
    let mut kept = routes(&store);
    kept.sort_by_key(|r| r["route-".len()..].parse::<u32>().expect("number"));
    assert_eq!(kept.first().map(String::as_str), Some("route-4000"));
    assert_eq!(kept.last().map(String::as_str), Some("route-4999"));
}

#[test]
fn a_series_with_a_handle_is_never_evicted() {
    let (store, clock) = store(2);
    let held = store.series(&key("held"), Unit::Count);
    held.record(clock.now_ms(), 1.0);
    clock.advance(1000);
    put(&store, &clock, "x");
    // `held` is the oldest but has a handle: `x` goes.
    put(&store, &clock, "y");
    assert_eq!(routes(&store), ["held", "y"]);
    assert_eq!(store.series_evicted(), 1);
    // Once the handle is gone, `held` is the least recently updated.
    drop(held);
    put(&store, &clock, "z");
    assert_eq!(routes(&store), ["y", "z"]);
    assert_eq!(store.series_evicted(), 2);
}

#[test]
fn when_every_series_has_a_handle_a_new_one_is_stored_over_the_limit() {
    let (store, _clock) = store(1);
    let a = store.series(&key("a"), Unit::Count);
    let b = store.series(&key("b"), Unit::Count);
    assert_eq!(store.len(), 2);
    assert_eq!(store.series_evicted(), 0);
    assert_ne!(a.key(), b.key());
}
