//! A Kinesis consumer function on the `lambda_runtime` crate, as the event source mapping
//! tests deploy it. It logs each event (`EVENT <json>`) and each record it accepts
//! (`OK <data>`). `MODE` picks how it treats records whose data is `poison`: `error` fails the
//! whole batch, `partial` reports them in `batchItemFailures`; anything else accepts all.
//! Given SQS records (an SQS event source mapping), it reads each body instead: in `partial`
//! mode it reports bodies ending in `poison` every time and in `flaky` at their first receive, by
//! message id, accepts the others (`OK <body>`), and never stops at a failure: keeping the
//! rest of a FIFO group is the mapping's business.

use base64::Engine as _;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let (payload, _context) = event.into_parts();
    println!("EVENT {payload}");
    if let Some(ms) = std::env::var("SLEEP_MS").ok().and_then(|v| v.parse().ok()) {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    let mode = std::env::var("MODE").unwrap_or_default();
    let records = payload["Records"].as_array().cloned().unwrap_or_default();
    if records.iter().any(|r| r["eventSource"] == "aws:sqs") {
        return Ok(sqs_batch(&records, &mode));
    }
    let data_of = |r: &Value| {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(r["kinesis"]["data"].as_str().unwrap_or_default())
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).to_string()
    };
    // In `error` mode a poison record anywhere fails the batch before any is accepted.
    if mode == "error"
        && let Some(poison) = records.iter().find(|r| data_of(r) == "poison")
    {
        return Err(format!("poison record {}", poison["kinesis"]["sequenceNumber"]).into());
    }
    let mut failures = Vec::new();
    for r in &records {
        let data = data_of(r);
        if data == "poison" && mode == "partial" {
            failures.push(json!({"itemIdentifier": r["kinesis"]["sequenceNumber"]}));
            continue;
        }
        if failures.is_empty() {
            println!("OK {data}");
        }
    }
    Ok(json!({"batchItemFailures": failures}))
}

/// An SQS batch: the failures it reports, after logging each body it accepts.
fn sqs_batch(records: &[Value], mode: &str) -> Value {
    let mut failures = Vec::new();
    for r in records {
        let body = r["body"].as_str().unwrap_or_default();
        let first_receive = r["attributes"]["ApproximateReceiveCount"] == "1";
        let fails = body.ends_with("poison") || (body.ends_with("flaky") && first_receive);
        if fails && mode == "partial" {
            failures.push(json!({"itemIdentifier": r["messageId"]}));
        } else {
            println!("OK {body}");
        }
    }
    json!({"batchItemFailures": failures})
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handler)).await
}
