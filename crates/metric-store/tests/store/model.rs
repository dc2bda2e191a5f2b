//! The store through its public API: exact statistics against a model, retention, rollups,
//! percentiles, listing, PutMetricData validation and concurrent recording.

#![allow(
    clippy::disallowed_methods,
    reason = "the store's own tests seed series of any name directly"
)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::thread;

use metric_store::{
    Datapoint, Datum, DimensionFilter, Error, ListFilter, ManualClock, MetricKey, Statistic,
    StatisticSet, StorageResolution, Store, Unit,
};
use proptest::prelude::*;

/// 2023-11-14T22:13:00Z: minute-aligned, and a multiple of every sub-minute period.
const T0: u64 = 1_700_000_000_000 - 1_700_000_000_000 % 3_600_000;
const SECOND: u64 = 1000;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

const BASIC: [Statistic; 5] = [
    Statistic::SampleCount,
    Statistic::Sum,
    Statistic::Minimum,
    Statistic::Maximum,
    Statistic::Average,
];

fn key(name: &str) -> MetricKey {
    MetricKey::new("Test", name, [("Stream", "s")]).expect("valid key")
}

fn store_at(now: u64) -> (Store, ManualClock) {
    let clock = ManualClock::new(now);
    (Store::with_clock(Arc::new(clock.clone())), clock)
}

fn stat(points: &[Datapoint], at: u64, i: usize) -> Option<f64> {
    points
        .iter()
        .find(|p| p.timestamp_ms == at)
        .and_then(|p| p.values[i])
}

/// What the store must answer for `points`, computed the slow way.
fn model(
    points: &[(u64, f64)],
    start_ms: u64,
    end_ms: u64,
    period_s: u64,
) -> BTreeMap<u64, (f64, f64, f64, f64)> {
    let mut out: BTreeMap<u64, (f64, f64, f64, f64)> = BTreeMap::new();
    let start_s = start_ms / 1000;
    let (origin, grain) = if period_s < 60 {
        (start_s / period_s * period_s, 1)
    } else {
        (start_s / 60 * 60, 60)
    };
    for &(ts, v) in points {
        let t = ts / 1000 / grain * grain;
        if t < origin || t * 1000 >= end_ms {
            continue;
        }
        let bucket = (origin + (t - origin) / period_s * period_s) * 1000;
        let e = out
            .entry(bucket)
            .or_insert((0.0, 0.0, f64::INFINITY, f64::NEG_INFINITY));
        e.0 += 1.0;
        e.1 += v;
        e.2 = e.2.min(v);
        e.3 = e.3.max(v);
    }
    out
}

fn check_against_model(
    store: &Store,
    k: &MetricKey,
    points: &[(u64, f64)],
    start: u64,
    end: u64,
    period: u32,
) {
    let got = store
        .query(k, start, end, period, &BASIC)
        .expect("valid query");
    let want = model(points, start, end, u64::from(period));
    assert_eq!(
        got.iter().map(|p| p.timestamp_ms).collect::<Vec<_>>(),
        want.keys().copied().collect::<Vec<_>>(),
        "period {period}: datapoint timestamps"
    );
    for p in &got {
        let (n, sum, min, max) = want[&p.timestamp_ms];
        assert_eq!(
            p.values,
            vec![Some(n), Some(sum), Some(min), Some(max), Some(sum / n)],
            "period {period} at {}",
            p.timestamp_ms
        );
    }
}

#[test]
fn exact_statistics_across_seconds_minutes_and_period_boundaries() {
    let now = T0 + 2 * HOUR;
    let (store, _) = store_at(now);
    let k = key("exact");
    let h = store.series(&k, Unit::Count);
    let mut points = Vec::new();
    // Values straddling every boundary: last ms of a second, first ms of the next, minute and
    // hour edges, several values per second.
    for (i, ts) in [
        T0,
        T0 + 999,
        T0 + 1000,
        T0 + 4_999,
        T0 + 5_000,
        T0 + 9_999,
        T0 + 10_000,
        T0 + 29_999,
        T0 + 30_000,
        T0 + 59_999,
        T0 + MINUTE,
        T0 + MINUTE + 1,
        T0 + 5 * MINUTE - 1,
        T0 + 5 * MINUTE,
        T0 + HOUR - 1,
        T0 + HOUR,
        T0 + HOUR + 37_123,
        T0 + 2 * HOUR - 1,
    ]
    .into_iter()
    .enumerate()
    {
        let v = (i as f64 + 1.0) * 3.0;
        h.record(ts, v);
        h.record(ts, -v);
        points.push((ts, v));
        points.push((ts, -v));
    }
    for period in [1, 5, 10, 20, 30, 60, 120, 300, 3600, 7200] {
        check_against_model(&store, &k, &points, T0, now, period);
        check_against_model(&store, &k, &points, T0 + 37_123, T0 + HOUR + 1, period);
    }
}

#[test]
fn periods_start_where_cloudwatch_rounds_the_start() {
    let now = T0 + HOUR;
    let (store, _) = store_at(now);
    let k = key("align");
    let h = store.series(&k, Unit::None);
    for s in 0..3600 {
        h.record(T0 + s * SECOND, 1.0);
    }
    // Start 12:32:34.5 relative to T0's hour: period 300 starts at :32:00, then :37:00.
    let start = T0 + 32 * MINUTE + 34_500;
    let p = store
        .query(&k, start, now, 300, &[Statistic::SampleCount])
        .expect("query");
    assert_eq!(p[0].timestamp_ms, T0 + 32 * MINUTE);
    assert_eq!(p[1].timestamp_ms, T0 + 37 * MINUTE);
    assert_eq!(p[0].values[0], Some(300.0));
    // Period 10 from :05:23 starts at :05:20.
    let p = store
        .query(
            &k,
            T0 + 5 * MINUTE + 23_000,
            T0 + 6 * MINUTE,
            10,
            &[Statistic::SampleCount],
        )
        .expect("query");
    assert_eq!(p[0].timestamp_ms, T0 + 5 * MINUTE + 20_000);
    assert_eq!(p.len(), 4);
    assert!(p.iter().all(|d| d.values[0] == Some(10.0)));
    // Period 60: the minute holding the end counts whole.
    let p = store
        .query(&k, T0, T0 + 90_000, 60, &[Statistic::SampleCount])
        .expect("query");
    assert_eq!(p.len(), 2);
    assert_eq!(p[1].values[0], Some(60.0));
    // Period 1: the end is exclusive to the millisecond.
    let p = store
        .query(&k, T0, T0 + 3_000, 1, &[Statistic::SampleCount])
        .expect("query");
    assert_eq!(p.len(), 3);
    let p = store
        .query(&k, T0, T0 + 3_001, 1, &[Statistic::SampleCount])
        .expect("query");
    assert_eq!(p.len(), 4);
}

#[test]
fn invalid_periods_and_ranges_are_errors() {
    let now = T0 + 5 * HOUR;
    let (store, _) = store_at(now);
    let k = key("errors");
    for period in [0, 2, 7, 15, 45, 90] {
        assert_eq!(
            store.query(&k, T0, now, period, &BASIC),
            Err(Error::InvalidPeriod(period))
        );
    }
    assert!(matches!(
        store.query(&k, now, now, 60, &BASIC),
        Err(Error::InvalidTimeRange { .. })
    ));
    assert!(matches!(
        store.query(&k, now, now - 1, 60, &BASIC),
        Err(Error::InvalidTimeRange { .. })
    ));
    // High-resolution periods over a range that ended more than 3 hours ago.
    assert!(matches!(
        store.query(&k, T0, T0 + HOUR, 10, &BASIC),
        Err(Error::HighResolutionExpired { .. })
    ));
    // The same range at period 60 is fine (and empty: unknown key).
    assert_eq!(store.query(&k, T0, T0 + HOUR, 60, &BASIC), Ok(vec![]));
    assert_eq!(Error::InvalidPeriod(7).aws_code(), "InvalidParameterValue");
}

#[test]
fn high_resolution_data_is_kept_three_hours_and_minutes_fifteen_days() {
    let (store, clock) = store_at(T0);
    let k = key("retention");
    let h = store.series(&k, Unit::Count);
    h.record(T0, 5.0);
    let count = |store: &Store, start: u64, end: u64, period: u32| -> f64 {
        store
            .query(&k, start, end, period, &[Statistic::SampleCount])
            .expect("query")
            .iter()
            .filter_map(|p| p.values[0])
            .sum()
    };
    // A datum 3 h minus one second later keeps T0's second; 3 h later drops it.
    h.record(T0 + 3 * HOUR - SECOND, 1.0);
    clock.set(T0 + 3 * HOUR - SECOND);
    assert_eq!(count(&store, T0, T0 + SECOND, 1), 1.0);
    h.record(T0 + 3 * HOUR, 1.0);
    clock.set(T0 + 3 * HOUR);
    assert_eq!(
        count(&store, T0, T0 + 3 * HOUR, 1),
        1.0,
        "T0's second is gone"
    );
    // The minute is still there.
    assert_eq!(count(&store, T0, T0 + MINUTE, 60), 1.0);
    // Maintenance by the clock alone drops seconds as well.
    store.maintain(T0 + 6 * HOUR);
    clock.set(T0 + 6 * HOUR);
    assert!(matches!(
        store.query(&k, T0, T0 + 3 * HOUR, 1, &BASIC),
        Err(Error::HighResolutionExpired { .. })
    ));
    assert_eq!(count(&store, T0, T0 + 4 * HOUR, 60), 3.0);
    // Minutes: 15 days minus a minute keeps T0's minute, 15 days drops it.
    store.maintain(T0 + 15 * DAY - MINUTE);
    clock.set(T0 + 15 * DAY - MINUTE);
    assert_eq!(count(&store, T0, T0 + MINUTE, 60), 1.0);
    store.maintain(T0 + 15 * DAY);
    clock.set(T0 + 15 * DAY);
    assert_eq!(count(&store, T0, T0 + MINUTE, 60), 0.0);
    assert_eq!(count(&store, T0, T0 + 4 * HOUR, 60), 2.0);
    // A handle is alive: the series stays even once empty.
    store.maintain(T0 + 30 * DAY);
    assert_eq!(store.len(), 1);
    drop(h);
    assert_eq!(store.maintain(T0 + 30 * DAY), 1);
    assert!(store.is_empty());
}

#[test]
fn late_data_lands_in_order_and_old_data_only_in_minutes() {
    let now = T0 + 4 * HOUR;
    let (store, _) = store_at(now);
    let k = key("late");
    let h = store.series(&k, Unit::Count);
    h.record(now - 10 * SECOND, 1.0);
    h.record(now - 30 * SECOND, 2.0); // out of order, same window
    h.record(now - 20 * SECOND, 4.0);
    let p = store
        .query(&k, now - MINUTE, now, 1, &[Statistic::Sum])
        .expect("query");
    let got: Vec<(u64, Option<f64>)> = p.iter().map(|d| (d.timestamp_ms, d.values[0])).collect();
    assert_eq!(
        got,
        vec![
            (now - 30 * SECOND, Some(2.0)),
            (now - 20 * SECOND, Some(4.0)),
            (now - 10 * SECOND, Some(1.0))
        ]
    );
    // Older than 3 h before the newest datum: minute only.
    h.record(T0 + 5 * SECOND, 8.0);
    let sub: f64 = store
        .query(&k, now - 3 * HOUR, now, 1, &[Statistic::Sum])
        .expect("query")
        .iter()
        .filter_map(|d| d.values[0])
        .sum();
    assert_eq!(sub, 7.0);
    let p = store
        .query(&k, T0, T0 + MINUTE, 60, &[Statistic::Sum])
        .expect("query");
    assert_eq!(stat(&p, T0, 0), Some(8.0));
}

#[test]
fn standard_resolution_data_appears_once_per_minute_at_its_start() {
    let now = T0 + HOUR;
    let (store, _) = store_at(now);
    let k = key("standard");
    let ts = T0 + 10 * MINUTE + 37_000;
    store
        .put(
            &k,
            Some(Unit::Count),
            ts,
            &Datum::Value(3.0),
            StorageResolution::Standard,
        )
        .expect("put");
    store
        .put(
            &k,
            None,
            ts + 5_000,
            &Datum::Value(4.0),
            StorageResolution::High,
        )
        .expect("put");
    let minute = T0 + 10 * MINUTE;
    let p = store
        .query(&k, T0, now, 60, &[Statistic::Sum])
        .expect("query");
    assert_eq!(p.len(), 1);
    assert_eq!(stat(&p, minute, 0), Some(7.0));
    let p = store
        .query(&k, T0, now, 10, &[Statistic::Sum])
        .expect("query");
    let got: Vec<(u64, Option<f64>)> = p.iter().map(|d| (d.timestamp_ms, d.values[0])).collect();
    assert_eq!(got, vec![(minute, Some(3.0)), (minute + 40_000, Some(4.0))]);
    assert!(p.iter().all(|d| d.unit == Unit::Count));
}

#[test]
fn percentiles_through_the_store_are_within_one_percent() {
    let now = T0 + HOUR;
    let (store, _) = store_at(now);
    let k = key("latency");
    let h = store.series(&k, Unit::Milliseconds);
    let mut by_bucket: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..60_000u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let u = (x >> 11) as f64 / (1u64 << 53) as f64;
        let v = 0.1 * 10f64.powf(4.0 * u); // 0.1 ms .. 1 s
        let ts = T0 + i * 50; // 20 per second for 50 minutes
        h.record(ts, v);
        by_bucket
            .entry(ts / (5 * MINUTE) * (5 * MINUTE))
            .or_default()
            .push(v);
    }
    let qs = [0.0, 10.0, 50.0, 90.0, 99.0, 99.9, 100.0];
    let stats: Vec<Statistic> = qs.iter().map(|&q| Statistic::Percentile(q)).collect();
    let p = store.query(&k, T0, now, 300, &stats).expect("query");
    assert_eq!(p.len(), by_bucket.len());
    for d in &p {
        let mut vals = by_bucket[&d.timestamp_ms].clone();
        vals.sort_by(f64::total_cmp);
        for (i, q) in qs.iter().enumerate() {
            let exact = vals[((q / 100.0) * (vals.len() - 1) as f64).floor() as usize];
            let est = d.values[i].expect("percentile");
            assert!(
                (est - exact).abs() <= 0.01 * exact * (1.0 + 1e-9),
                "p{q}: {est} vs {exact}"
            );
        }
    }
}

#[test]
fn statistic_sets_have_percentiles_only_with_equal_extremes() {
    let now = T0 + HOUR;
    let (store, _) = store_at(now);
    let set = |n, sum, min, max| {
        Datum::StatisticSet(StatisticSet {
            sample_count: n,
            sum,
            minimum: min,
            maximum: max,
        })
    };
    let stats = [
        Statistic::SampleCount,
        Statistic::Sum,
        Statistic::Percentile(99.0),
    ];
    let a = key("stats-a");
    store
        .put(
            &a,
            None,
            T0,
            &set(10.0, 55.0, 1.0, 10.0),
            StorageResolution::Standard,
        )
        .expect("put");
    let p = store.query(&a, T0, now, 60, &stats).expect("query");
    assert_eq!(p[0].values, vec![Some(10.0), Some(55.0), None]);
    assert_eq!(p[0].unit, Unit::None);
    let b = key("stats-b");
    store
        .put(
            &b,
            None,
            T0,
            &set(4.0, 8.0, 2.0, 2.0),
            StorageResolution::Standard,
        )
        .expect("put");
    store
        .put(
            &b,
            None,
            T0,
            &set(1.0, 9.0, 9.0, 9.0),
            StorageResolution::Standard,
        )
        .expect("put");
    // Four 2s and a 9: p99 is the value of rank floor(0.99 * 4) = 3, a 2; p100 is the 9.
    let p = store.query(&b, T0, now, 60, &stats).expect("query");
    assert_eq!(p[0].values, vec![Some(5.0), Some(17.0), Some(2.0)]);
    let p = store
        .query(&b, T0, now, 60, &[Statistic::Percentile(100.0)])
        .expect("query");
    assert_eq!(p[0].values, vec![Some(9.0)]);
}

#[test]
fn values_and_counts_are_weighted() {
    let now = T0 + HOUR;
    let (store, _) = store_at(now);
    let k = key("values");
    let datum = Datum::Values {
        values: vec![1.0, 2.0, 100.0],
        counts: Some(vec![50.0, 0.0, 1.0]),
    };
    store
        .put(
            &k,
            Some(Unit::Milliseconds),
            T0,
            &datum,
            StorageResolution::High,
        )
        .expect("put");
    let datum = Datum::Values {
        values: vec![3.0, 4.0],
        counts: None,
    };
    store
        .put(&k, None, T0 + 1, &datum, StorageResolution::High)
        .expect("put");
    let stats = [
        Statistic::SampleCount,
        Statistic::Sum,
        Statistic::Maximum,
        Statistic::Percentile(50.0),
    ];
    let p = store.query(&k, T0, now, 1, &stats).expect("query");
    assert_eq!(p.len(), 1);
    assert_eq!(&p[0].values[..3], &[Some(53.0), Some(157.0), Some(100.0)]);
    assert!((p[0].values[3].expect("p50") - 1.0).abs() <= 0.01);
    assert_eq!(p[0].unit, Unit::Milliseconds);
    // Counts that are all zero record nothing, and leave no empty datapoint behind.
    let void = Datum::Values {
        values: vec![9.0],
        counts: Some(vec![0.0]),
    };
    store
        .put(&k, None, T0 + 10 * SECOND, &void, StorageResolution::High)
        .expect("put");
    assert_eq!(store.query(&k, T0, now, 1, &BASIC).expect("query").len(), 1);
}

#[test]
fn put_rejects_what_cloudwatch_rejects() {
    let now = T0 + HOUR;
    let (store, _) = store_at(now);
    let k = key("invalid");
    let put = |d: Datum, ts: u64| store.put(&k, None, ts, &d, StorageResolution::Standard);
    assert_eq!(
        put(Datum::Value(f64::NAN), now).map_err(|e| e.aws_code()),
        Err("InvalidParameterValue")
    );
    assert!(matches!(
        put(Datum::Value(f64::INFINITY), now),
        Err(Error::InvalidValue(_))
    ));
    assert!(matches!(
        put(Datum::Value(-3e108), now),
        Err(Error::InvalidValue(_))
    ));
    assert!(put(Datum::Value(2f64.powi(360)), now).is_ok());
    assert!(put(Datum::Value(-2f64.powi(360)), now).is_ok());
    assert!(put(Datum::Value(1e-300), now).is_ok());
    assert!(matches!(
        put(
            Datum::Values {
                values: vec![],
                counts: None
            },
            now
        ),
        Err(Error::InvalidValuesLength { got: 0 })
    ));
    assert!(matches!(
        put(
            Datum::Values {
                values: vec![1.0; 151],
                counts: None
            },
            now
        ),
        Err(Error::InvalidValuesLength { got: 151 })
    ));
    assert!(
        put(
            Datum::Values {
                values: vec![1.0; 150],
                counts: None
            },
            now
        )
        .is_ok()
    );
    assert_eq!(
        put(
            Datum::Values {
                values: vec![1.0, 2.0],
                counts: Some(vec![1.0])
            },
            now
        ),
        Err(Error::CountsMismatch {
            values: 2,
            counts: 1
        })
    );
    assert_eq!(
        Error::CountsMismatch {
            values: 2,
            counts: 1
        }
        .aws_code(),
        "InvalidParameterValue"
    );
    assert!(matches!(
        put(
            Datum::Values {
                values: vec![1.0],
                counts: Some(vec![-1.0])
            },
            now
        ),
        Err(Error::InvalidCount(_))
    ));
    assert!(matches!(
        put(
            Datum::Values {
                values: vec![1.0, f64::NAN],
                counts: None
            },
            now
        ),
        Err(Error::InvalidValue(_))
    ));
    let set = |n, sum, min, max| {
        Datum::StatisticSet(StatisticSet {
            sample_count: n,
            sum,
            minimum: min,
            maximum: max,
        })
    };
    assert!(matches!(
        put(set(0.0, 0.0, 0.0, 0.0), now),
        Err(Error::InvalidStatisticSet(_))
    ));
    assert!(matches!(
        put(set(2.0, 3.0, 2.0, 1.0), now),
        Err(Error::InvalidStatisticSet(_))
    ));
    assert!(matches!(
        put(set(2.0, f64::NAN, 1.0, 2.0), now),
        Err(Error::InvalidStatisticSet(_))
    ));
    assert!(matches!(
        put(set(1.0, 1e200, 1.0, 2.0), now),
        Err(Error::InvalidValue(_))
    ));
    // Timestamps: two weeks back, two hours ahead.
    assert!(put(Datum::Value(1.0), now - 14 * DAY).is_ok());
    assert!(matches!(
        put(Datum::Value(1.0), now - 14 * DAY - 1),
        Err(Error::TimestampOutOfRange { .. })
    ));
    assert!(put(Datum::Value(1.0), now + 2 * HOUR).is_ok());
    assert!(matches!(
        put(Datum::Value(1.0), now + 2 * HOUR + 1),
        Err(Error::TimestampOutOfRange { .. })
    ));
    assert_eq!(
        StorageResolution::from_seconds(1),
        Ok(StorageResolution::High)
    );
    assert_eq!(
        StorageResolution::from_seconds(60),
        Ok(StorageResolution::Standard)
    );
    assert_eq!(
        StorageResolution::from_seconds(5),
        Err(Error::InvalidStorageResolution(5))
    );
}

#[test]
fn units_follow_the_last_writer() {
    let now = T0 + HOUR;
    let (store, _) = store_at(now);
    let k = key("unit");
    store
        .put(&k, None, T0, &Datum::Value(1.0), StorageResolution::High)
        .expect("put");
    let p = store.query(&k, T0, now, 60, &BASIC).expect("query");
    assert_eq!(p[0].unit, Unit::None);
    let h = store.series(&k, Unit::Bytes);
    assert_eq!(h.unit(), Unit::Bytes);
    store
        .put(&k, None, T0, &Datum::Value(1.0), StorageResolution::High)
        .expect("put");
    assert_eq!(h.unit(), Unit::Bytes);
    store
        .put(
            &k,
            Some(Unit::Kilobytes),
            T0,
            &Datum::Value(1.0),
            StorageResolution::High,
        )
        .expect("put");
    let p = store.query(&k, T0, now, 60, &BASIC).expect("query");
    assert_eq!(p[0].unit, Unit::Kilobytes);
    assert_eq!(p[0].values[0], Some(3.0));
}

#[test]
fn list_filters_and_orders_metrics() {
    let now = T0 + 10 * HOUR;
    let (store, clock) = store_at(now);
    let mk = |ns: &str, name: &str, dims: &[(&str, &str)]| {
        MetricKey::new(ns, name, dims.iter().map(|(k, v)| (*k, *v))).expect("key")
    };
    let keys = [
        mk("AWS/Kinesis", "IncomingBytes", &[("StreamName", "b")]),
        mk("AWS/Kinesis", "IncomingBytes", &[("StreamName", "a")]),
        mk(
            "AWS/Kinesis",
            "IncomingBytes",
            &[("StreamName", "a"), ("ShardId", "shardId-000000000000")],
        ),
        mk("AWS/Kinesis", "IncomingRecords", &[("StreamName", "a")]),
        mk("AWS/Lambda", "Invocations", &[("FunctionName", "f")]),
        mk("AWS/Lambda", "Invocations", &[]),
    ];
    for (i, k) in keys.iter().enumerate() {
        // The first key last saw data 5 hours ago; the others just now.
        let ts = if i == 0 { now - 5 * HOUR } else { now };
        store.series(k, Unit::Count).record(ts, 1.0);
    }
    // A series with no data is not listed.
    let _idle = store.series(&mk("AWS/Kinesis", "Idle", &[]), Unit::Count);

    let all = store.list(&ListFilter::default());
    let mut sorted = keys.to_vec();
    sorted.sort();
    assert_eq!(all, sorted);
    assert_eq!(store.list(&ListFilter::default()), all, "stable order");

    let list = |f: ListFilter| store.list(&f);
    let dim = |n: &str, v: Option<&str>| DimensionFilter {
        name: n.into(),
        value: v.map(Into::into),
    };
    assert_eq!(
        list(ListFilter {
            namespace: Some("AWS/Lambda".into()),
            ..Default::default()
        })
        .len(),
        2
    );
    assert_eq!(
        list(ListFilter {
            metric_name: Some("IncomingBytes".into()),
            ..Default::default()
        })
        .len(),
        3
    );
    let a = list(ListFilter {
        namespace: Some("AWS/Kinesis".into()),
        dimensions: vec![dim("StreamName", Some("a"))],
        ..Default::default()
    });
    assert_eq!(a, vec![keys[2].clone(), keys[1].clone(), keys[3].clone()]);
    let shards = list(ListFilter {
        dimensions: vec![dim("ShardId", None)],
        ..Default::default()
    });
    assert_eq!(shards, vec![keys[2].clone()]);
    let none = list(ListFilter {
        dimensions: vec![dim("StreamName", Some("zzz"))],
        ..Default::default()
    });
    assert!(none.is_empty());
    // RecentlyActive=PT3H leaves out the stream last seen 5 hours ago.
    let recent = list(ListFilter {
        recently_active_since_ms: Some(now - 3 * HOUR),
        ..Default::default()
    });
    assert_eq!(recent.len(), 5);
    assert!(!recent.contains(&keys[0]));
    // Two weeks without data: not listed any more (the minutes are still kept).
    clock.set(now + 14 * DAY);
    assert!(
        store
            .list(&ListFilter::default())
            .iter()
            .all(|k| k != &keys[0])
    );
}

#[test]
fn concurrent_recording_gives_exact_totals() {
    const THREADS: u64 = 4;
    const PER_THREAD: u64 = 50_000;
    let now = T0 + HOUR;
    let (store, _) = store_at(now);
    let store = Arc::new(store);
    let k = key("concurrent");
    let handle = store.series(&k, Unit::Count);
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let handle = handle.clone();
            let store = Arc::clone(&store);
            let k = k.clone();
            thread::spawn(move || {
                for i in 0..PER_THREAD {
                    let ts = T0 + (i % 3000) * 1000 + t;
                    if i % 10 == 0 {
                        // Some writers look the series up each time, as PutMetricData does.
                        store
                            .put(
                                &k,
                                None,
                                ts,
                                &Datum::Value((i % 7) as f64),
                                StorageResolution::High,
                            )
                            .expect("put");
                    } else {
                        handle.record(ts, (i % 7) as f64);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let want_sum: f64 = (0..PER_THREAD).map(|i| (i % 7) as f64).sum::<f64>() * THREADS as f64;
    for period in [1, 60, 3600] {
        let p = store.query(&k, T0, now, period, &BASIC).expect("query");
        let n: f64 = p.iter().filter_map(|d| d.values[0]).sum();
        let sum: f64 = p.iter().filter_map(|d| d.values[1]).sum();
        assert_eq!(n, (THREADS * PER_THREAD) as f64, "period {period}");
        assert_eq!(sum, want_sum, "period {period}");
    }
    assert_eq!(store.len(), 1);
}

#[test]
fn memory_is_bounded_and_released() {
    let (store, _) = store_at(T0);
    let k = key("memory");
    let h = store.series(&k, Unit::Milliseconds);
    let empty = store.memory_estimate();
    // Ten hours at 20 values a second: seconds stop growing after three hours.
    let mut at_3h = 0;
    for s in 0..10 * 3600u64 {
        for j in 0..20u64 {
            h.record(T0 + s * SECOND + j * 50, 1.0 + (j as f64) / 4.0);
        }
        if s == 3 * 3600 {
            at_3h = store.memory_estimate();
        }
    }
    let at_10h = store.memory_estimate();
    // Only minutes (600 instead of 180) were added after 3 h.
    assert!(at_10h < at_3h + 420 * 2048, "{at_3h} -> {at_10h}");
    eprintln!("memory: empty {empty}, 3 h {at_3h}, 10 h {at_10h}");
    // About 340 bytes a second with data at this rate (see the store's module doc).
    assert!(at_10h < 4 << 20, "{at_10h}");
    drop(h);
    assert_eq!(store.maintain(T0 + 30 * DAY), 1);
    assert!(
        store.memory_estimate() <= empty,
        "{} > {empty}",
        store.memory_estimate()
    );
}

fn point() -> impl Strategy<Value = (u64, f64)> {
    // Within two hours after T0, integer values so that sums are exact in any order.
    (0..2 * HOUR, -1000i32..1000).prop_map(|(t, v)| (T0 + t, f64::from(v)))
}

proptest! {
    #[test]
    fn queries_match_a_model(
        points in prop::collection::vec(point(), 1..400),
        start in 0..2 * HOUR,
        len in 1..2 * HOUR,
        period in prop::sample::select(vec![1u32, 5, 10, 20, 30, 60, 120, 180, 300, 600, 3600]),
    ) {
        let now = T0 + 2 * HOUR;
        let (store, _) = store_at(now);
        let k = key("model");
        let h = store.series(&k, Unit::Count);
        for &(ts, v) in &points {
            h.record(ts, v);
        }
        check_against_model(&store, &k, &points, T0 + start, T0 + start + len, period);
    }

    #[test]
    fn minute_statistics_equal_their_seconds(points in prop::collection::vec(point(), 1..400)) {
        let now = T0 + 2 * HOUR;
        let (store, _) = store_at(now);
        let k = key("rollup");
        let h = store.series(&k, Unit::Count);
        for &(ts, v) in &points {
            h.record(ts, v);
        }
        let minutes = store.query(&k, T0, now, 60, &BASIC).expect("query");
        let seconds = store.query(&k, T0, now, 1, &BASIC).expect("query");
        for m in &minutes {
            let inside: Vec<&Datapoint> = seconds
                .iter()
                .filter(|s| s.timestamp_ms / MINUTE * MINUTE == m.timestamp_ms)
                .collect();
            let n: f64 = inside.iter().filter_map(|s| s.values[0]).sum();
            let sum: f64 = inside.iter().filter_map(|s| s.values[1]).sum();
            let min = inside.iter().filter_map(|s| s.values[2]).fold(f64::INFINITY, f64::min);
            let max = inside.iter().filter_map(|s| s.values[3]).fold(f64::NEG_INFINITY, f64::max);
            prop_assert_eq!(&m.values[..4], &[Some(n), Some(sum), Some(min), Some(max)]);
        }
        let n: f64 = minutes.iter().filter_map(|m| m.values[0]).sum();
        prop_assert_eq!(n, points.len() as f64);
    }
}
