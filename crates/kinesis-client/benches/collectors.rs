//! Per-call cost of the metrics collectors, called through `&dyn MetricsCollector` as the
//! producer and consumer do, on series that already exist (the steady state).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kinesis_client::metrics::{
    InMemoryCollector, MetricsCollector, NoopCollector, PrometheusCollector, labels, names,
};

fn collectors() -> Vec<(&'static str, Box<dyn MetricsCollector>)> {
    vec![
        ("noop", Box::new(NoopCollector)),
        ("in_memory", Box::new(InMemoryCollector::new())),
        (
            "prometheus",
            Box::new(PrometheusCollector::new("streamwatch")),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let two_labels = [
        (labels::STREAM_NAME, "orders-stream"),
        (labels::SHARD_ID, "shardId-000000000007"),
    ];
    let one_label = [(labels::STREAM_NAME, "orders-stream")];

    let mut group = c.benchmark_group("increment_two_labels");
    for (name, collector) in collectors() {
        let collector: &dyn MetricsCollector = black_box(collector.as_ref());
        group.bench_function(name, |b| {
            b.iter(|| {
                collector.increment(
                    black_box(names::CONSUMER_RECORDS_RECEIVED_TOTAL),
                    black_box(1),
                    black_box(&two_labels),
                )
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("histogram_one_label");
    for (name, collector) in collectors() {
        let collector: &dyn MetricsCollector = black_box(collector.as_ref());
        group.bench_function(name, |b| {
            b.iter(|| {
                collector.histogram(
                    black_box(names::PRODUCER_BATCH_SIZE),
                    black_box(42.0),
                    black_box(&one_label),
                )
            })
        });
    }
    // The in-memory collector keeps every observation; clear it every 64Ki calls so memory
    // stays bounded (the amortised cost of the reset is included).
    let in_memory = InMemoryCollector::new();
    let mut n = 0u32;
    group.bench_function("in_memory_bounded", |b| {
        b.iter(|| {
            MetricsCollector::histogram(
                &in_memory,
                black_box(names::PRODUCER_BATCH_SIZE),
                black_box(42.0),
                black_box(&one_label),
            );
            n = n.wrapping_add(1);
            if n.is_multiple_of(65_536) {
                in_memory.reset();
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("gauge_one_label");
    for (name, collector) in collectors() {
        let collector: &dyn MetricsCollector = black_box(collector.as_ref());
        group.bench_function(name, |b| {
            b.iter(|| {
                collector.gauge(
                    black_box(names::PRODUCER_QUEUE_SIZE),
                    black_box(17.0),
                    black_box(&one_label),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
