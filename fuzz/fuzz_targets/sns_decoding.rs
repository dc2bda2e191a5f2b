//! Arbitrary form bodies through `sns_api::handle`, over a fresh engine per input.
//!
//! The first byte picks the operation (`Action=<Operation>&Version=2010-03-31&` is put in
//! front of the rest; values past the last operation leave the body as it is, so `Action`
//! may be missing, repeated or malformed), and its low bit whether the request is signed;
//! odd selectors also send the body as a GET's query string. Every input gets a fresh engine
//! holding topic `t` with a queue and a pending HTTP subscription, and deliveries that
//! record nothing, so bodies reach the engine's paths.
//!
//! Besides "never panics", each answer must be well-formed: a status SNS uses (200, 400,
//! 403, 404), the XML content type, and an `<ErrorResponse>` with a code for errors.

#![no_main]

use std::collections::BTreeMap;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use sns_api::Operation;
use sns_engine::{Deliveries, HttpOutcome, HttpPost, QueueAttribute, SnsConfig, SnsEngine};
use time_source::ManualClock;

struct Nowhere;

impl Deliveries for Nowhere {
    fn to_queue(&self, _: &str, _: String, _: Vec<QueueAttribute>) -> Result<(), String> {
        Ok(())
    }
    fn to_function(&self, _: &str, _: String) -> Result<(), String> {
        Ok(())
    }
    fn to_http(&self, _: HttpPost, outcome: HttpOutcome) {
        outcome(true);
    }
}

fn engine() -> SnsEngine {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let store = Arc::new(metric_store::Store::with_clock(clock.clone()));
    let engine = SnsEngine::with_clock(SnsConfig::default(), store, clock);
    engine.set_deliveries(Arc::new(Nowhere));
    let topic = engine
        .create_topic("t", &BTreeMap::new(), &[])
        .expect("topic");
    engine
        .subscribe(&topic, "sqs", Some("arn:aws:sqs:us-east-1:000000000000:q"), &BTreeMap::new(), false)
        .expect("queue subscription");
    engine
        .subscribe(&topic, "http", Some("http://127.0.0.1:9/"), &BTreeMap::new(), false)
        .expect("http subscription");
    engine
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mut form = match Operation::ALL.get(usize::from(selector >> 1)) {
        Some(op) => format!("Action={}&Version=2010-03-31&", op.name()).into_bytes(),
        None => Vec::new(),
    };
    form.extend_from_slice(rest);
    let signed = selector & 1 == 0;
    let query = std::str::from_utf8(&form).ok();
    let get = !signed && query.is_some();
    let req = aws_wire::Request {
        method: if get { "GET" } else { "POST" },
        path: "/",
        query: if get { query } else { None },
        headers: &[],
        body: if get { b"" } else { &form },
        request_id: "fuzz",
    };
    let reply = sns_api::handle(&engine(), &req, signed);
    assert!(
        matches!(reply.status, 200 | 400 | 403 | 404),
        "status {}",
        reply.status
    );
    assert_eq!(reply.content_type, Some(sns_api::CONTENT_TYPE));
    let text = std::str::from_utf8(&reply.body).expect("UTF-8 XML");
    if reply.status == 200 {
        assert!(reply.error_code.is_none());
        assert!(text.contains("<ResponseMetadata><RequestId>fuzz</RequestId>"), "{text}");
    } else {
        let code = reply.error_code.expect("an error without a code");
        assert!(text.starts_with("<ErrorResponse"), "{text}");
        assert!(text.contains(&format!("<Code>{code}</Code>")), "{text}");
    }
});
