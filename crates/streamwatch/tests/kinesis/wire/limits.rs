//! Size and range limits: the 7 MiB body cap, PutRecords' 500 records and 5 MiB, the 1 MiB
//! record, and ExplicitHashKey's 0..2^128-1.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::*;

const MAX_BODY: usize = 7 * 1024 * 1024;
const MIB: usize = 1024 * 1024;
const TWO_POW_128: &str = "340282366920938463463374607431768211456";

#[tokio::test(flavor = "multi_thread")]
async fn body_over_7_mib_is_413() {
    let server = start().await;
    let addr = server.addr();
    // Exactly 7 MiB is read: a small document padded with whitespace.
    let mut body = b"{}".to_vec();
    body.resize(MAX_BODY, b' ');
    let resp = call_as(addr, JSON, "ListStreams", &body).await;
    assert_eq!(
        resp.status, 200,
        "a body of exactly 7 MiB: {:?}",
        resp.status
    );
    // One byte more is refused before it reaches the API.
    body.push(b' ');
    let resp = call_as(addr, JSON, "ListStreams", &body).await;
    assert_eq!(
        resp.status,
        413,
        "{:?}",
        String::from_utf8_lossy(&resp.body)
    );
    // Far more, too.
    let huge = vec![b'x'; MAX_BODY * 2];
    let resp = call_as(addr, JSON, "PutRecords", &huge).await;
    assert_eq!(resp.status, 413);
    assert_serving(addr).await;
}

fn entry_list(n: usize) -> Vec<serde_json::Value> {
    (0..n)
        .map(|i| json!({"PartitionKey": format!("k{i}"), "Data": "AA=="}))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn put_records_takes_at_most_500_records() {
    let server = start().await;
    let addr = server.addr();
    create_stream(addr, "five-hundred", 1).await;
    let resp = call(
        addr,
        "PutRecords",
        &json!({"StreamName": "five-hundred", "Records": entry_list(501)}),
    )
    .await;
    let entry = "com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@c965e310";
    let shown = vec![entry; 501].join(", ");
    assert_validation(
        &resp,
        &format!(
            "1 validation error detected: Value '[{shown}]' at 'records' failed to satisfy constraint: Member must have length less than or equal to 500"
        ),
    );
    let resp = call(
        addr,
        "PutRecords",
        &json!({"StreamName": "five-hundred", "Records": []}),
    )
    .await;
    assert_validation(
        &resp,
        "1 validation error detected: Value '[]' at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    let resp = call(
        addr,
        "PutRecords",
        &json!({"StreamName": "five-hundred", "Records": entry_list(500)}),
    )
    .await;
    assert_eq!(resp.status, 200, "{resp:?}");
    let doc = resp.json();
    assert_eq!(doc["Records"].as_array().unwrap().len(), 500);
    assert_eq!(doc["FailedRecordCount"], json!(0));
    assert_serving(addr).await;
}

/// Five records of `data_len` bytes with two-byte partition keys.
fn five_records(data_len: usize) -> serde_json::Value {
    let data = STANDARD.encode(vec![0x5a; data_len]);
    let records: Vec<_> = (0..5)
        .map(|i| json!({"PartitionKey": format!("k{i}"), "Data": data}))
        .collect();
    json!({"StreamName": "big", "Records": records})
}

#[tokio::test(flavor = "multi_thread")]
async fn put_records_over_5_mib_is_refused() {
    let server = start().await;
    let addr = server.addr();
    create_stream(addr, "big", 5).await;
    // 5 x 1 MiB of data plus 10 bytes of partition keys: over by 10 bytes.
    let body = five_records(MIB).to_string();
    assert!(
        body.len() <= MAX_BODY,
        "the test body must fit the HTTP cap"
    );
    let resp = call_as(addr, JSON, "PutRecords", body.as_bytes()).await;
    assert_error(
        &resp,
        400,
        "InvalidArgumentException",
        Some("Records size exceeds 5 MB limit"),
    );
    // Exactly 5 MiB, partition keys included, is accepted (records may be throttled, but the
    // request is not refused).
    let resp = call(addr, "PutRecords", &five_records(MIB - 2)).await;
    assert_eq!(
        resp.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&resp.body)
    );
    assert_eq!(resp.json()["Records"].as_array().unwrap().len(), 5);
    // A single record's data is capped at 1 MiB by the schema.
    let resp = call(
        addr,
        "PutRecord",
        &json!({"StreamName": "big", "PartitionKey": "k", "Data": STANDARD.encode(vec![0; MIB + 1])}),
    )
    .await;
    assert_validation(
        &resp,
        "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1048577 cap=1048577]' at 'data' failed to satisfy constraint: Member must have length less than or equal to 1048576",
    );
    assert_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn explicit_hash_key_range() {
    let server = start().await;
    let addr = server.addr();
    create_stream(addr, "hk", 2).await;
    let put = |key: &str| json!({"StreamName": "hk", "PartitionKey": "p", "Data": "AA==", "ExplicitHashKey": key});
    for key in [TWO_POW_128, &"9".repeat(39)] {
        let message = format!(
            "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was {key}"
        );
        let resp = call(addr, "PutRecord", &put(key)).await;
        assert_error(&resp, 400, "InvalidArgumentException", Some(&message));
        // In PutRecords one bad key refuses the whole request.
        let resp = call(
            addr,
            "PutRecords",
            &json!({"StreamName": "hk", "Records": [
                {"PartitionKey": "p", "Data": "AQ=="},
                {"PartitionKey": "p", "Data": "AA==", "ExplicitHashKey": key},
            ]}),
        )
        .await;
        assert_error(&resp, 400, "InvalidArgumentException", Some(&message));
    }
    let pattern = "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})";
    for key in [
        "9".repeat(40),
        "-1".to_owned(),
        "01".to_owned(),
        "1e3".to_owned(),
    ] {
        let resp = call(addr, "PutRecord", &put(&key)).await;
        assert_validation(
            &resp,
            &format!(
                "1 validation error detected: Value '{key}' at 'explicitHashKey' failed to satisfy constraint: {pattern}"
            ),
        );
    }
    // The edges of the two shards' ranges.
    for (key, shard) in [
        ("0", "shardId-000000000000"),
        (
            "170141183460469231731687303715884105727",
            "shardId-000000000000",
        ),
        (
            "170141183460469231731687303715884105728",
            "shardId-000000000001",
        ),
        (
            "340282366920938463463374607431768211455",
            "shardId-000000000001",
        ),
    ] {
        let resp = call(addr, "PutRecord", &put(key)).await;
        assert_eq!(resp.status, 200, "{key}: {resp:?}");
        assert_eq!(resp.json()["ShardId"], json!(shard), "{key}");
    }
    // Nothing from the refused calls was stored: two records per shard.
    for shard in ["shardId-000000000000", "shardId-000000000001"] {
        let it = call(
            addr,
            "GetShardIterator",
            &json!({"StreamName": "hk", "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
        )
        .await
        .json();
        let got = call(
            addr,
            "GetRecords",
            &json!({"ShardIterator": it["ShardIterator"]}),
        )
        .await
        .json();
        let data: Vec<_> = got["Records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["Data"].clone())
            .collect();
        assert_eq!(data, [json!("AA=="), json!("AA==")], "{shard}");
    }
    assert_serving(addr).await;
}
