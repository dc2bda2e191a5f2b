//! Ingest through `SeriesHandle::record`, and 500 three-hour queries.
//!
//! `cargo bench -p metric-store --bench store`

#![allow(
    clippy::disallowed_methods,
    reason = "the store's own tests seed series of any name directly"
)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use metric_store::{ManualClock, MetricKey, Statistic, Store, Unit};

/// 2023-11-14T22:13:20Z, minute-aligned.
const T0: u64 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000;
const THREE_HOURS_MS: u64 = 3 * 60 * 60 * 1000;

/// A deterministic latency-like value: 0.5 ms to 50 ms, log-uniform.
struct Latencies(u64);

impl Latencies {
    fn next(&mut self) -> f64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let r = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
        let u = r as f64 / (1u64 << 53) as f64;
        0.5 * 100f64.powf(u)
    }
}

fn key(stream: usize) -> MetricKey {
    match MetricKey::new(
        "AWS/Kinesis",
        "PutRecord.Latency",
        [("StreamName".to_owned(), format!("stream-{stream}"))],
    ) {
        Ok(k) => k,
        Err(e) => panic!("bench key: {e}"),
    }
}

fn ingest(c: &mut Criterion) {
    const BATCH: u64 = 10_000;
    let store = Store::new();
    let handle = store.series(&key(0), Unit::Milliseconds);
    let mut values = Latencies(0x9e37_79b9_7f4a_7c15);
    let mut ts = T0;
    let mut group = c.benchmark_group("ingest");
    group.throughput(Throughput::Elements(BATCH));
    // 1,000 datapoints per second of simulated time, so seconds fill, minutes roll over and
    // retention trims as they would under a busy stream.
    group.bench_function("SeriesHandle::record", |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                ts += 1;
                handle.record(ts, values.next());
            }
        })
    });
    group.finish();
    eprintln!(
        "ingest: after {} simulated seconds the series holds ~{} KiB",
        (ts - T0) / 1000,
        store.memory_estimate() / 1024
    );
}

fn query(c: &mut Criterion) {
    const SERIES: usize = 500;
    const PER_SECOND: u64 = 5;
    let now = T0 + THREE_HOURS_MS;
    let store = Store::with_clock(Arc::new(ManualClock::new(now)));
    let keys: Vec<MetricKey> = (0..SERIES).map(key).collect();
    let mut values = Latencies(42);
    for k in &keys {
        let h = store.series(k, Unit::Milliseconds);
        for second in 0..THREE_HOURS_MS / 1000 {
            for i in 0..PER_SECOND {
                h.record(T0 + second * 1000 + i * (1000 / PER_SECOND), values.next());
            }
        }
    }
    eprintln!(
        "query: {SERIES} series x 3 h x {PER_SECOND} values/s hold ~{} MiB",
        store.memory_estimate() >> 20
    );
    let stats = [
        Statistic::Sum,
        Statistic::Average,
        Statistic::Percentile(99.0),
    ];
    let mut group = c.benchmark_group("query");
    group.sample_size(20);
    group.throughput(Throughput::Elements(SERIES as u64));
    group.bench_function("500 series, 3 h, period 60, Sum+Average+p99", |b| {
        b.iter(|| {
            let mut points = 0;
            for k in &keys {
                match store.query(k, now - THREE_HOURS_MS, now, 60, &stats) {
                    Ok(p) => points += black_box(p).len(),
                    Err(e) => panic!("query: {e}"),
                }
            }
            assert_eq!(points, SERIES * 180);
        })
    });
    group.bench_function("500 series, 3 h, period 10, Sum+Average+p99", |b| {
        b.iter(|| {
            let mut points = 0;
            for k in &keys {
                match store.query(k, now - THREE_HOURS_MS, now, 10, &stats) {
                    Ok(p) => points += black_box(p).len(),
                    Err(e) => panic!("query: {e}"),
                }
            }
            assert_eq!(points, SERIES * 1080);
        })
    });
    group.finish();
}

/// Not timed: what one latency series costs at several rates, printed for the module doc.
fn memory(_: &mut Criterion) {
    for per_second in [1u64, 5, 20, 1000] {
        let now = T0 + THREE_HOURS_MS;
        let store = Store::with_clock(Arc::new(ManualClock::new(now)));
        let handle = store.series(&key(0), Unit::Milliseconds);
        let mut values = Latencies(7);
        let empty = store.memory_estimate();
        for second in 0..THREE_HOURS_MS / 1000 {
            for i in 0..per_second {
                handle.record(T0 + second * 1000 + i * 1000 / per_second, values.next());
            }
        }
        let full = store.memory_estimate() - empty;
        // Drop the seconds (maintenance three hours later), keep the 180 minutes.
        store.maintain(now + THREE_HOURS_MS);
        let minutes = store.memory_estimate() - empty;
        let seconds = full - minutes;
        let per_minute = minutes as f64 / 180.0;
        eprintln!(
            "memory: {per_second} values/s over 0.5..50 ms: {:.0} B per second, {:.0} B per \
             minute; 3 h of seconds {:.2} MiB + 15 days of minutes {:.2} MiB (extrapolated)",
            seconds as f64 / 10_800.0,
            per_minute,
            seconds as f64 / f64::from(1 << 20),
            per_minute * 21_600.0 / f64::from(1 << 20),
        );
    }
}

criterion_group!(benches, memory, ingest, query);
criterion_main!(benches);
