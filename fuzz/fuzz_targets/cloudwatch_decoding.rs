//! Arbitrary bytes through `CloudWatchApi::handle` in all three CloudWatch protocols (RPC v2
//! CBOR, JSON 1.0 and query), over a metric store holding a few datapoints.
//!
//! The first byte picks the protocol and, for RPC v2 and JSON, the operation; the rest is the
//! body. Besides "never panics", every answer must be a status AWS uses, and every error must
//! carry a query code (the `x-amzn-query-error` header or the XML `<Code>`).

#![no_main]

use std::sync::Arc;

use cloudwatch_api::{CloudWatchApi, Operation, Protocol, Request};
use libfuzzer_sys::fuzz_target;
use metric_store::{Datum, ManualClock, MetricKey, StorageResolution, Store, Unit};

const NOW_MS: u64 = 1_700_000_000_000;

fn api() -> CloudWatchApi {
    let store = Arc::new(Store::with_clock(Arc::new(ManualClock::new(NOW_MS))));
    let key = MetricKey::new("App", "Latency", [("Op", "get")]).expect("key");
    for i in 0..10u64 {
        let _ = store.put(
            &key,
            Some(Unit::Milliseconds),
            NOW_MS - i * 1000,
            &Datum::Value(i as f64),
            StorageResolution::High,
        );
    }
    CloudWatchApi::new(store, "000000000000")
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let protocol = match selector % 3 {
        0 => Protocol::RpcV2Cbor,
        1 => Protocol::Json,
        _ => Protocol::Query,
    };
    let op = Operation::ALL[usize::from(selector / 3) % Operation::ALL.len()];
    let operation = (protocol != Protocol::Query).then(|| op.name());
    let out = api().handle(&Request { protocol, operation, authenticated: true, body, request_id: "fuzz" });
    assert!(matches!(out.status, 200 | 400 | 403 | 404), "status {}", out.status);
    if out.status != 200 {
        assert!(out.error_code.is_some(), "an error without a code");
        if protocol == Protocol::Query {
            assert!(out.body.starts_with(b"<ErrorResponse"), "query errors are XML");
        } else {
            assert!(out.headers.iter().any(|(k, _)| *k == "x-amzn-query-error"));
        }
    }
});
