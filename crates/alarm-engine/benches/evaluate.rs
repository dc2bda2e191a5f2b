//! A full evaluation round over 10,000 simple metric alarms (Sum over 60 s): once in the
//! steady state where no alarm changes state, and once where every alarm changes state each
//! round (reasons, reason data and history written for all 10,000; no actions configured).
//!
//! `cargo bench -p alarm-engine --bench evaluate`

use std::hint::black_box;
use std::sync::Arc;

use alarm_engine::{AlarmEngine, ComparisonOperator, Dimension, MetricAlarmDefinition};
use criterion::{Criterion, criterion_group, criterion_main};
use metric_store::{ManualClock, MetricKey, Store, Unit};

/// 2026-06-12T10:00:00Z, minute-aligned.
const T0: u64 = 1_781_258_400_000;
const MINUTE: u64 = 60_000;
const ALARMS: usize = 10_000;
/// Alarms share metrics ten to one, so that hours of data stay small.
const METRICS: usize = 1_000;
/// Minutes of data recorded ahead: more than the rounds criterion runs.
const MINUTES: u64 = 400;

/// 10,000 alarms, `evaluation_periods` each, on metrics whose value alternates every minute
/// between 0 and 5 (threshold 1) for `MINUTES` minutes from T0, or stays 0 (`flip` false).
fn setup(flip: bool) -> (ManualClock, AlarmEngine) {
    let clock = ManualClock::new(T0);
    let store = Arc::new(Store::with_clock(Arc::new(clock.clone())));
    let engine = AlarmEngine::new(
        store.clone(),
        Arc::new(clock.clone()),
        "us-east-1",
        "123456789012",
    );
    for m in 0..METRICS {
        let key =
            MetricKey::new("Bench", format!("Errors{m}").as_str(), [("Service", "api")]).unwrap();
        let series = store.custom_series(&key, Unit::Count).unwrap();
        for minute in 0..MINUTES {
            let v = if flip && minute % 2 == 1 { 5.0 } else { 0.0 };
            series.record(T0 - MINUTE + minute * MINUTE, v);
        }
    }
    for i in 0..ALARMS {
        engine
            .put_metric_alarm(MetricAlarmDefinition {
                alarm_name: format!("alarm-{i}"),
                namespace: Some("Bench".to_owned()),
                metric_name: Some(format!("Errors{}", i % METRICS)),
                dimensions: vec![Dimension {
                    name: "Service".to_owned(),
                    value: "api".to_owned(),
                }],
                statistic: Some("Sum".to_owned()),
                period: Some(60),
                evaluation_periods: Some(1),
                threshold: Some(1.0),
                comparison_operator: Some(ComparisonOperator::GreaterThanThreshold),
                ..Default::default()
            })
            .unwrap();
    }
    (clock, engine)
}

fn rounds(c: &mut Criterion) {
    let mut group = c.benchmark_group("evaluate_due");
    group.sample_size(10);
    for (name, flip) in [
        ("10k alarms, no state changes", false),
        ("10k alarms, every one changes state", true),
    ] {
        let (clock, engine) = setup(flip);
        engine.evaluate_due();
        group.bench_function(name, |b| {
            b.iter(|| {
                // A minute later: every alarm is due again.
                clock.advance(MINUTE);
                black_box(engine.evaluate_due())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, rounds);
criterion_main!(benches);
