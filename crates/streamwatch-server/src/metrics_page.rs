//! `GET /metrics`: streamwatch's own metrics in Prometheus text (format 0.0.4), named by the
//! catalogue (`metric_store::catalog::own::engine`): what the engines hold in memory and
//! how close each bound is. CloudWatch's metrics stay behind the CloudWatch API (and
//! `streamwatch collect`); this page is about the process.

use metric_export::Gauge;
use metric_store::catalog::own::engine as own;

use crate::AppState;

/// The page's body, written from the engines' counters at the time of the request.
pub(crate) fn render(state: &AppState) -> String {
    let mut series = Vec::new();
    let memory = state.engine.memory_report();
    series.push(Gauge::of(
        &own::HELD_RECORD_BYTES,
        &[],
        memory.held_bytes as f64,
    ));
    series.push(Gauge::of(
        &own::MAX_MEMORY_BYTES,
        &[],
        memory.max_bytes as f64,
    ));
    for shard in &memory.evicted {
        series.push(Gauge::of(
            &own::RECORDS_EVICTED,
            &[shard.stream_name.as_str(), shard.shard_id.as_str()],
            shard.records as f64,
        ));
    }

    let store = &state.metrics;
    series.push(Gauge::of(&own::METRIC_SERIES, &[], store.len() as f64));
    series.push(Gauge::of(
        &own::METRIC_MAX_SERIES,
        &[],
        store.max_series() as f64,
    ));
    series.push(Gauge::of(
        &own::METRIC_SERIES_EVICTED,
        &[],
        store.series_evicted() as f64,
    ));

    for (function, dropped) in state.tenants.own().lambda.log_events_dropped() {
        series.push(Gauge::of(
            &own::LAMBDA_LOG_EVENTS_DROPPED,
            &[function.as_str()],
            dropped as f64,
        ));
    }

    series.push(Gauge::of(
        &own::LAMBDA_ASYNC_EVENTS_PENDING,
        &[],
        state.tenants.own().lambda.async_events_pending() as f64,
    ));
    series.push(Gauge::of(
        &own::LAMBDA_ASYNC_EVENTS_REFUSED,
        &[],
        state.tenants.own().lambda.async_events_refused() as f64,
    ));
    series.push(Gauge::of(
        &own::LOG_EVENTS_DROPPED,
        &[],
        state.tenants.own().logs.dropped_events() as f64,
    ));

    let dashboards = state.tenants.own().cloudwatch.dashboards();
    series.push(Gauge::of(&own::DASHBOARDS, &[], dashboards.len() as f64));
    series.push(Gauge::of(
        &own::MAX_DASHBOARDS,
        &[],
        dashboards.limits().max_dashboards as f64,
    ));
    series.push(Gauge::of(
        &own::DASHBOARDS_REFUSED,
        &[],
        dashboards.refused() as f64,
    ));

    let sqs = &state.tenants.own().sqs;
    series.push(Gauge::of(
        &own::SQS_HELD_BYTES,
        &[],
        sqs.held_bytes() as f64,
    ));
    series.push(Gauge::of(
        &own::SQS_MAX_HELD_BYTES,
        &[],
        sqs.config().max_held_bytes as f64,
    ));
    series.push(Gauge::of(
        &own::SQS_SENDS_REFUSED,
        &[],
        sqs.sends_refused() as f64,
    ));

    series.push(Gauge::of(
        &own::SNS_HTTP_IN_FLIGHT,
        &[],
        state.sns_http.in_flight() as f64,
    ));
    series.push(Gauge::of(
        &own::SNS_HTTP_REFUSED,
        &[],
        state.sns_http.refused() as f64,
    ));
    for f in state.faults.injected() {
        series.push(Gauge::of(
            &own::INJECTED_FAULTS,
            &[f.service, f.action.as_str(), f.kind],
            f.count as f64,
        ));
    }
    metric_export::prometheus::encode(&[], &[], &series)
}
