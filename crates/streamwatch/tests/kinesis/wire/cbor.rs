//! AWS CBOR 1.1, the Java SDK v2's default: blobs as byte strings and timestamps as tag 1 over
//! integer epoch *milliseconds*, both ways.

use ciborium::Value as C;
use serde_json::json;
use time_source::now_ms;

use super::*;

fn text(s: &str) -> C {
    C::Text(s.to_owned())
}

fn map(entries: Vec<(&str, C)>) -> C {
    C::Map(entries.into_iter().map(|(k, v)| (text(k), v)).collect())
}

fn timestamp_ms(ms: u64) -> C {
    C::Tag(1, Box::new(C::Integer(ms.into())))
}

fn encode(v: &C) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(v, &mut out).unwrap();
    out
}

fn get<'v>(v: &'v C, key: &str) -> &'v C {
    let C::Map(entries) = v else {
        panic!("not a map: {v:?}")
    };
    entries
        .iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {key} in {v:?}"))
}

/// A signed CBOR call that must succeed; returns the decoded answer (Null for an empty body).
async fn cbor_ok(addr: std::net::SocketAddr, action: &str, body: &C) -> C {
    let resp = call_as(addr, CBOR, action, &encode(body)).await;
    assert_eq!(resp.status, 200, "{action}: {:02x?}", resp.body);
    assert_eq!(resp.header("content-type"), Some(CBOR), "{action}");
    if resp.body.is_empty() {
        C::Null
    } else {
        resp.cbor()
    }
}

async fn iterator_at(addr: std::net::SocketAddr, ts_ms: u64) -> C {
    let out = cbor_ok(
        addr,
        "GetShardIterator",
        &map(vec![
            ("StreamName", text("cbor")),
            ("ShardId", text("shardId-000000000000")),
            ("ShardIteratorType", text("AT_TIMESTAMP")),
            ("Timestamp", timestamp_ms(ts_ms)),
        ]),
    )
    .await;
    get(&out, "ShardIterator").clone()
}

async fn records_from(addr: std::net::SocketAddr, iterator: C) -> Vec<C> {
    let out = cbor_ok(addr, "GetRecords", &map(vec![("ShardIterator", iterator)])).await;
    match get(&out, "Records") {
        C::Array(records) => records.clone(),
        other => panic!("Records is not an array: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn java_sdk_style_cbor_round_trip() {
    let server = start().await;
    let addr = server.addr();
    cbor_ok(
        addr,
        "CreateStream",
        &map(vec![
            ("StreamName", text("cbor")),
            ("ShardCount", C::Integer(1.into())),
        ]),
    )
    .await;

    let before_put = now_ms() - 2_000;
    // Bytes that are not UTF-8, so a text string could not carry them.
    let data = vec![0x00, 0xff, 0xfe, 0x80, b'j', b'v', 0x00];
    let put = cbor_ok(
        addr,
        "PutRecord",
        &map(vec![
            ("StreamName", text("cbor")),
            ("PartitionKey", text("pk")),
            ("Data", C::Bytes(data.clone())),
        ]),
    )
    .await;
    assert_eq!(get(&put, "ShardId"), &text("shardId-000000000000"));
    let seq = get(&put, "SequenceNumber").as_text().unwrap().to_owned();
    assert!(seq.bytes().all(|b| b.is_ascii_digit()), "{seq}");

    // AT_TIMESTAMP with a millisecond timestamp from before the put finds the record.
    let records = records_from(addr, iterator_at(addr, before_put).await).await;
    assert_eq!(records.len(), 1, "{records:?}");
    let record = &records[0];
    assert_eq!(get(record, "Data"), &C::Bytes(data.clone()));
    assert_eq!(get(record, "PartitionKey"), &text("pk"));
    assert_eq!(get(record, "SequenceNumber"), &text(&seq));
    let arrival = match get(record, "ApproximateArrivalTimestamp") {
        C::Tag(1, inner) => match **inner {
            C::Integer(i) => u64::try_from(i128::from(i)).unwrap(),
            ref other => panic!("timestamp is not an integer: {other:?}"),
        },
        other => panic!("timestamp is not tag 1: {other:?}"),
    };
    assert!(
        (before_put..=now_ms()).contains(&arrival),
        "arrival {arrival} is not epoch milliseconds around now"
    );

    // The timestamp is read as milliseconds to the millisecond: at the arrival the record is
    // included, one millisecond later it is not.
    while now_ms() <= arrival + 1 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let at = records_from(addr, iterator_at(addr, arrival).await).await;
    assert_eq!(at.len(), 1, "at the arrival time: {at:?}");
    let after = records_from(addr, iterator_at(addr, arrival + 1).await).await;
    assert!(after.is_empty(), "one ms after the arrival: {after:?}");

    // The JSON view of the same record: base64 data, fractional epoch seconds.
    let it = call(
        addr,
        "GetShardIterator",
        &json!({"StreamName": "cbor", "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"}),
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
    let r = &got["Records"][0];
    assert_eq!(r["Data"], json!("AP/+gGp2AA=="));
    let secs = r["ApproximateArrivalTimestamp"].as_f64().unwrap();
    assert_eq!((secs * 1000.0).round() as u64, arrival);
    // A JSON AT_TIMESTAMP in seconds lands on the same record as the CBOR one in ms.
    let it = call(
        addr,
        "GetShardIterator",
        &json!({"StreamName": "cbor", "ShardId": "shardId-000000000000", "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": (arrival as f64 + 1.0) / 1000.0}),
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
    assert_eq!(got["Records"], json!([]));
    assert_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cbor_errors_come_back_in_cbor() {
    let server = start().await;
    let addr = server.addr();
    let cases: Vec<(&str, Vec<u8>, &str, Option<&str>)> = vec![
        // Truncated map.
        (
            "ListStreams",
            vec![0xa1, 0x61],
            "SerializationException",
            None,
        ),
        // Trailing bytes after the document.
        (
            "ListStreams",
            vec![0xa0, 0x00],
            "SerializationException",
            None,
        ),
        // Not a map at the top.
        ("ListStreams", vec![0x01], "SerializationException", None),
        // A required member missing.
        (
            "GetShardIterator",
            encode(&map(vec![
                ("StreamName", text("cbor")),
                ("ShardIteratorType", text("LATEST")),
            ])),
            "ValidationException",
            Some(
                "1 validation error detected: Value null at 'shardId' failed to satisfy constraint: Member must not be null",
            ),
        ),
        // A number where a string belongs.
        (
            "CreateStream",
            encode(&map(vec![("StreamName", C::Integer(5.into()))])),
            "SerializationException",
            Some(
                "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String",
            ),
        ),
    ];
    for (action, body, code, message) in cases {
        let resp = call_as(addr, CBOR, action, &body).await;
        assert_eq!(resp.status, 400, "{action} {body:02x?}");
        assert_eq!(resp.header("content-type"), Some(CBOR));
        let doc = resp.cbor();
        assert_eq!(get(&doc, "__type"), &text(code), "{action} {body:02x?}");
        let C::Map(entries) = &doc else {
            unreachable!()
        };
        let member = if code == "SerializationException" {
            "Message"
        } else {
            "message"
        };
        match message {
            Some(m) => assert_eq!(get(&doc, member), &text(m)),
            None => assert_eq!(entries.len(), 1, "{doc:?}"),
        }
    }
    // A timestamp in the future, named in milliseconds in the message.
    cbor_ok(
        addr,
        "CreateStream",
        &map(vec![
            ("StreamName", text("cbor")),
            ("ShardCount", C::Integer(1.into())),
        ]),
    )
    .await;
    let future = now_ms() + 3_600_000;
    let body = encode(&map(vec![
        ("StreamName", text("cbor")),
        ("ShardId", text("shardId-000000000000")),
        ("ShardIteratorType", text("AT_TIMESTAMP")),
        ("Timestamp", timestamp_ms(future)),
    ]));
    let resp = call_as(addr, CBOR, "GetShardIterator", &body).await;
    assert_eq!(resp.status, 400);
    let doc = resp.cbor();
    assert_eq!(get(&doc, "__type"), &text("InvalidArgumentException"));
    let message = get(&doc, "message").as_text().unwrap();
    assert!(
        message.starts_with(&format!(
            "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: {future}, currentTimestampInMillis: "
        )),
        "{message}"
    );
    assert_serving(addr).await;
}
