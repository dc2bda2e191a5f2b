//! Rejections before an action runs: unreadable bodies, routing headers, authentication,
//! member types and member constraints, each with AWS's code and text.

use serde_json::json;

use super::client::Conn;
use super::*;

const NUMBER: &str = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber";
const STRUCT_START: &str = "Start of structure or map found where not expected.";
const LIST_START: &str = "Start of list found where not expected";

#[tokio::test(flavor = "multi_thread")]
async fn malformed_json_is_a_bare_serialization_exception() {
    let server = start().await;
    let addr = server.addr();
    let bodies: [&[u8]; 9] = [
        b"{",
        b"hello",
        b"{\"StreamName\":",
        b"{} x",
        b"{}{}",
        b"\"a string\"",
        b"null",
        b"\xff\xfe{}",
        b"{\"StreamName\":\"bad \\u12\"}",
    ];
    for body in bodies {
        let resp = call_as(addr, JSON, "ListStreams", body).await;
        assert_error(&resp, 400, "SerializationException", None);
        assert_serving(addr).await;
    }
    // A top-level list gets Coral's one message for it.
    let resp = call_as(addr, JSON, "ListStreams", b"[]").await;
    assert_serialization(&resp, LIST_START);
    // Whitespace around the document is fine.
    let resp = call_as(addr, JSON, "ListStreams", b" \n{}\n ").await;
    assert_eq!(resp.status, 200, "{resp:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_body() {
    let server = start().await;
    let addr = server.addr();
    let resp = call_as(addr, JSON, "ListStreams", b"").await;
    assert_error(&resp, 400, "SerializationException", None);
    let resp = call_as(addr, JSON, "NoSuchAction", b"").await;
    assert_error(&resp, 400, "UnknownOperationException", None);
    assert_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_or_wrong_target_is_unknown_operation() {
    let server = start().await;
    let addr = server.addr();
    let no_target = send(
        addr,
        &[("Content-Type", JSON), ("Authorization", AUTH)],
        b"{}",
    )
    .await;
    assert_error(&no_target, 400, "UnknownOperationException", None);
    for t in [
        "Kinesis_20131202",
        "Kinesis_20131202.",
        "Kinesis_20131203.ListStreams",
        "Kinesis_20131202.listStreams",
        "Kinesis_20131202ListStreams",
        "Kinesis_20131202.ListStreams.Extra",
        "DynamoDB_20120810.ListTables",
        "ListStreams",
        "Kinesis_20131202.L\u{ef}stStreams",
    ] {
        let resp = send(
            addr,
            &[
                ("X-Amz-Target", t),
                ("Content-Type", JSON),
                ("Authorization", AUTH),
            ],
            b"{}",
        )
        .await;
        assert_error(&resp, 400, "UnknownOperationException", None);
    }
    assert_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_action_is_unknown_operation() {
    let server = start().await;
    let addr = server.addr();
    let resp = call(addr, "FrobnicateStream", &json!({"StreamName": "s"})).await;
    assert_error(&resp, 400, "UnknownOperationException", None);
    // The same in CBOR comes back in CBOR.
    let resp = call_as(addr, CBOR, "FrobnicateStream", &[0xa0]).await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.header("content-type"), Some(CBOR));
    let doc = resp.cbor();
    assert_eq!(
        doc,
        ciborium::Value::Map(vec![(
            ciborium::Value::Text("__type".into()),
            ciborium::Value::Text("UnknownOperationException".into())
        )])
    );
    assert_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_or_missing_content_type_is_answered_outside_json() {
    let server = start().await;
    let addr = server.addr();
    let t = target("ListStreams");
    for ct in [
        Some("text/plain"),
        Some("application/x-amz-json-1.2"),
        Some("application/cbor"),
        Some(""),
        None,
    ] {
        let mut headers = vec![("X-Amz-Target", t.as_str()), ("Authorization", AUTH)];
        if let Some(ct) = ct {
            headers.push(("Content-Type", ct));
        }
        let resp = send(addr, &headers, b"{}").await;
        assert_eq!(resp.status, 404, "content type {ct:?}: {resp:?}");
        assert_eq!(resp.header("content-type"), Some("application/xml"));
        assert_eq!(resp.body, b"<UnknownOperationException/>\n");
    }
    // Plain application/json: the service framework's JSON, 404 for a JSON object and 400
    // SerializationException for anything else, as kinesalite's tests record Kinesis answering.
    for (body, status, kind) in [
        (&b"{}"[..], 404, "UnknownOperationException"),
        (b"[1]", 400, "SerializationException"),
        (b"{not json", 400, "SerializationException"),
    ] {
        let resp = send(
            addr,
            &[
                ("X-Amz-Target", t.as_str()),
                ("Authorization", AUTH),
                ("Content-Type", "application/json"),
            ],
            body,
        )
        .await;
        assert_eq!(resp.status, status, "{resp:?}");
        assert_eq!(resp.header("content-type"), Some("application/json"));
        assert_eq!(
            resp.json(),
            json!({"Output": {"__type": format!("com.amazon.coral.service#{kind}")}, "Version": "1.0"})
        );
    }
    // Case and parameters do not matter, and JSON 1.0 is read like 1.1.
    for ct in [
        "Application/X-Amz-Json-1.1; charset=utf-8",
        "application/x-amz-json-1.0",
    ] {
        let resp = send(
            addr,
            &[
                ("X-Amz-Target", t.as_str()),
                ("Authorization", AUTH),
                ("Content-Type", ct),
            ],
            b"{}",
        )
        .await;
        assert_eq!(resp.status, 200, "content type {ct:?}: {resp:?}");
    }
    assert_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_authorization() {
    let server = start().await;
    let addr = server.addr();
    let t = target("ListStreams");
    let resp = send(addr, &[("X-Amz-Target", &t), ("Content-Type", JSON)], b"{}").await;
    assert_error(
        &resp,
        400,
        "MissingAuthenticationTokenException",
        Some("Missing Authentication Token"),
    );
    assert_serving(addr).await;
}

/// The checks run in AWS's order: content type, body syntax, operation, authentication,
/// member types, member constraints, then the action.
#[tokio::test(flavor = "multi_thread")]
async fn rejections_come_in_aws_order() {
    let server = start().await;
    let addr = server.addr();
    let nope = target("Nope");
    let create = target("CreateStream");
    // Unreadable body beats unknown operation.
    let resp = send(
        addr,
        &[("X-Amz-Target", &nope), ("Content-Type", JSON)],
        b"{",
    )
    .await;
    assert_error(&resp, 400, "SerializationException", None);
    // Unknown operation beats missing authentication.
    let resp = send(
        addr,
        &[("X-Amz-Target", &nope), ("Content-Type", JSON)],
        b"{}",
    )
    .await;
    assert_error(&resp, 400, "UnknownOperationException", None);
    // Missing authentication beats a wrong member type.
    let resp = send(
        addr,
        &[("X-Amz-Target", &create), ("Content-Type", JSON)],
        br#"{"StreamName": 1}"#,
    )
    .await;
    assert_error(
        &resp,
        400,
        "MissingAuthenticationTokenException",
        Some("Missing Authentication Token"),
    );
    // A wrong type beats a constraint violation elsewhere in the body.
    let resp = call(
        addr,
        "CreateStream",
        &json!({"ShardCount": 0, "StreamName": 1}),
    )
    .await;
    assert_serialization(
        &resp,
        &format!("{NUMBER} can not be converted to an String"),
    );
    // Constraints beat the action's own checks (the stream does not exist).
    let resp = call(
        addr,
        "DescribeStream",
        &json!({"StreamName": "nope", "Limit": 0}),
    )
    .await;
    assert_validation(
        &resp,
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    assert_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_member_types() {
    let server = start().await;
    let addr = server.addr();
    let cases = [
        (
            "CreateStream",
            json!({"StreamName": 23}),
            format!("{NUMBER} can not be converted to an String"),
        ),
        (
            "CreateStream",
            json!({"StreamName": 2.5}),
            format!("{NUMBER} can not be converted to an String"),
        ),
        (
            "CreateStream",
            json!({"StreamName": true}),
            "class java.lang.Boolean can not be converted to an String".to_owned(),
        ),
        (
            "CreateStream",
            json!({"StreamName": []}),
            LIST_START.to_owned(),
        ),
        (
            "CreateStream",
            json!({"StreamName": {}}),
            STRUCT_START.to_owned(),
        ),
        (
            "CreateStream",
            json!({"StreamName": "s", "ShardCount": "1"}),
            "class java.lang.String can not be converted to an Integer".to_owned(),
        ),
        (
            "CreateStream",
            json!({"StreamName": "s", "ShardCount": false}),
            "class java.lang.Boolean can not be converted to an Integer".to_owned(),
        ),
        (
            "CreateStream",
            json!({"StreamName": "s", "StreamModeDetails": "ON_DEMAND"}),
            "Expected null".to_owned(),
        ),
        (
            "PutRecords",
            json!({"Records": {}}),
            STRUCT_START.to_owned(),
        ),
        (
            "PutRecords",
            json!({"Records": "x"}),
            "Expected list or null".to_owned(),
        ),
        (
            "PutRecords",
            json!({"Records": [1]}),
            "Expected null".to_owned(),
        ),
        (
            "PutRecords",
            json!({"Records": [{"Data": 12, "PartitionKey": "k"}]}),
            format!("{NUMBER} can not be converted to a Blob"),
        ),
        (
            "PutRecord",
            json!({"StreamName": "s", "Data": true, "PartitionKey": "k"}),
            "class java.lang.Boolean can not be converted to a Blob".to_owned(),
        ),
        (
            "PutRecord",
            json!({"StreamName": "s", "Data": "AA==", "PartitionKey": 7}),
            format!("{NUMBER} can not be converted to an String"),
        ),
        (
            "GetShardIterator",
            json!({"Timestamp": "2020-01-01"}),
            "class java.lang.String can not be converted to milliseconds since epoch".to_owned(),
        ),
        (
            "DeleteStream",
            json!({"StreamName": "s", "EnforceConsumerDeletion": "yes"}),
            "'YES' can not be converted to an Boolean".to_owned(),
        ),
        (
            "DeleteStream",
            json!({"StreamName": "s", "EnforceConsumerDeletion": 1}),
            format!("{NUMBER} can not be converted to an Boolean"),
        ),
        (
            "AddTagsToStream",
            json!({"StreamName": "s", "Tags": []}),
            LIST_START.to_owned(),
        ),
        (
            "AddTagsToStream",
            json!({"StreamName": "s", "Tags": "k=v"}),
            "Expected map or null".to_owned(),
        ),
        (
            "AddTagsToStream",
            json!({"StreamName": "s", "Tags": {"k": 1}}),
            format!("{NUMBER} can not be converted to an String"),
        ),
        (
            "ListStreams",
            json!({"Limit": "10"}),
            "class java.lang.String can not be converted to an Integer".to_owned(),
        ),
    ];
    for (action, body, message) in cases {
        let resp = call(addr, action, &body).await;
        assert_eq!(resp.status, 400, "{action} {body}: {resp:?}");
        assert_serialization(&resp, &message);
    }
    // Members the schema does not know are ignored, whatever their type; nulls are absent.
    let resp = call(
        addr,
        "ListStreams",
        &json!({"Bogus": [1, {"x": null}], "Limit": null}),
    )
    .await;
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn constraint_violations() {
    let server = start().await;
    let addr = server.addr();
    let pre = "1 validation error detected: ";
    let cases = [
        (
            "CreateStream",
            json!({"StreamName": "s", "ShardCount": 0}),
            format!("{pre}Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1"),
        ),
        (
            "CreateStream",
            json!({"ShardCount": 1}),
            format!("{pre}Value null at 'streamName' failed to satisfy constraint: Member must not be null"),
        ),
        (
            "CreateStream",
            json!({"StreamName": "a b", "ShardCount": 0}),
            "2 validation errors detected: Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1; Value 'a b' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+".to_owned(),
        ),
        (
            "CreateStream",
            json!({"StreamName": "s", "StreamModeDetails": {"StreamMode": "SOMETIMES"}}),
            format!("{pre}Value 'SOMETIMES' at 'streamModeDetails.streamMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]"),
        ),
        (
            "ListStreams",
            json!({"Limit": 10001}),
            format!("{pre}Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000"),
        ),
        (
            "GetShardIterator",
            json!({"StreamName": "s", "ShardId": "shardId-000000000000", "ShardIteratorType": "SIDEWAYS"}),
            format!("{pre}Value 'SIDEWAYS' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]"),
        ),
        (
            "PutRecords",
            json!({"StreamName": "s", "Records": [{"Data": "AA=="}, {"PartitionKey": "", "Data": "AA=="}]}),
            "2 validation errors detected: Value null at 'records.1.member.partitionKey' failed to satisfy constraint: Member must not be null; Value '' at 'records.2.member.partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1".to_owned(),
        ),
        (
            "PutRecord",
            json!({"StreamName": "s", "Data": "AA==", "PartitionKey": "k".repeat(257)}),
            format!("{pre}Value '{}' at 'partitionKey' failed to satisfy constraint: Member must have length less than or equal to 256", "k".repeat(257)),
        ),
        (
            "PutRecord",
            json!({"StreamName": "s", "Data": "AA==", "PartitionKey": "k", "SequenceNumberForOrdering": "007"}),
            format!("{pre}Value '007' at 'sequenceNumberForOrdering' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{{0,128}})"),
        ),
    ];
    for (action, body, message) in cases {
        let resp = call(addr, action, &body).await;
        assert_validation(&resp, &message);
    }
    // AWS stops at ten errors.
    let records: Vec<_> = (0..12).map(|_| json!({"Data": "AA=="})).collect();
    let resp = call(
        addr,
        "PutRecords",
        &json!({"StreamName": "s", "Records": records}),
    )
    .await;
    assert_eq!(resp.status, 400);
    let doc = resp.json();
    let message = doc["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "10 validation errors detected: Value null at 'records.1.member.partitionKey'"
        ),
        "{message}"
    );
    assert_eq!(
        message.matches("Member must not be null").count(),
        10,
        "{message}"
    );
    assert!(
        message.contains("records.10.member") && !message.contains("records.11.member"),
        "{message}"
    );
    assert_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_stream_names() {
    let server = start().await;
    let addr = server.addr();
    let pattern = "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+";
    let resp = call(
        addr,
        "CreateStream",
        &json!({"StreamName": "", "ShardCount": 1}),
    )
    .await;
    assert_validation(
        &resp,
        &format!(
            "2 validation errors detected: Value '' at 'streamName' failed to satisfy constraint: {pattern}; Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1"
        ),
    );
    let long = "a".repeat(129);
    let resp = call(
        addr,
        "CreateStream",
        &json!({"StreamName": long, "ShardCount": 1}),
    )
    .await;
    assert_validation(
        &resp,
        &format!(
            "1 validation error detected: Value '{long}' at 'streamName' failed to satisfy constraint: Member must have length less than or equal to 128"
        ),
    );
    for name in [
        "has space",
        "\u{fc}n\u{ef}code",
        "slash/name",
        "colon:name",
        "tab\tname",
    ] {
        for action in [
            "CreateStream",
            "DescribeStream",
            "DeleteStream",
            "DescribeStreamSummary",
        ] {
            let resp = call(addr, action, &json!({"StreamName": name, "ShardCount": 1})).await;
            assert_validation(
                &resp,
                &format!(
                    "1 validation error detected: Value '{name}' at 'streamName' failed to satisfy constraint: {pattern}"
                ),
            );
        }
    }
    // The longest legal name works; a legal name nobody created is not found.
    let longest = "a.B-_9".repeat(21) + "xy";
    assert_eq!(longest.len(), 128);
    create_stream(addr, &longest, 1).await;
    let resp = call(
        addr,
        "DescribeStreamSummary",
        &json!({"StreamName": longest}),
    )
    .await;
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_eq!(
        resp.json()["StreamDescriptionSummary"]["StreamName"],
        json!(longest)
    );
    let resp = call(
        addr,
        "DescribeStream",
        &json!({"StreamName": "no-such-stream"}),
    )
    .await;
    assert_error(
        &resp,
        400,
        "ResourceNotFoundException",
        Some("Stream no-such-stream under account 000000000000 not found."),
    );
    assert_serving(addr).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn base64_errors() {
    let server = start().await;
    let addr = server.addr();
    create_stream(addr, "b64", 1).await;
    let cases = [
        (
            "23456",
            "Base64 encoded length is expected a multiple of 4 bytes but found: 5",
        ),
        (
            "A",
            "Base64 encoded length is expected a multiple of 4 bytes but found: 1",
        ),
        ("=+/=", "Invalid Base64 character: '='"),
        ("AA==AA==", "Invalid Base64 character: '='"),
        ("ab$d", "Invalid Base64 character: '$'"),
        ("ab d", "Invalid Base64 character: ' '"),
        ("+/+=", "Invalid last non-pad Base64 character dectected"),
        ("AB==", "Invalid last non-pad Base64 character dectected"),
        ("A===", "Invalid last non-pad Base64 character dectected"),
    ];
    for (data, why) in cases {
        let message = format!("'{data}' can not be converted to a Blob: {why}");
        let resp = call(
            addr,
            "PutRecord",
            &json!({"StreamName": "b64", "PartitionKey": "k", "Data": data}),
        )
        .await;
        assert_serialization(&resp, &message);
        let resp = call(
            addr,
            "PutRecords",
            &json!({"StreamName": "b64", "Records": [
                {"PartitionKey": "k", "Data": "AA=="},
                {"PartitionKey": "k", "Data": data},
            ]}),
        )
        .await;
        assert_serialization(&resp, &message);
    }
    // Nothing of the rejected calls was stored; canonical base64, empty data included, is.
    for data in ["", "AA==", "AAA=", "/+8="] {
        let resp = call(
            addr,
            "PutRecord",
            &json!({"StreamName": "b64", "PartitionKey": "k", "Data": data}),
        )
        .await;
        assert_eq!(resp.status, 200, "{data:?}: {resp:?}");
    }
    let it = call(
        addr,
        "GetShardIterator",
        &json!({"StreamName": "b64", "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"}),
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
        .map(|r| r["Data"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(data, ["", "AA==", "AAA=", "/+8="]);
    assert_serving(addr).await;
}

/// One kept-alive connection takes a run of bad requests and still answers a good one.
#[tokio::test(flavor = "multi_thread")]
async fn keep_alive_connection_survives_errors() {
    let server = start().await;
    let addr = server.addr();
    let mut conn = Conn::open(addr).await.unwrap();
    let list = target("ListStreams");
    let create = target("CreateStream");
    type Headers<'h> = Vec<(&'h str, &'h str)>;
    let bad: [(Headers, &[u8]); 6] = [
        (
            vec![
                ("X-Amz-Target", &list),
                ("Content-Type", JSON),
                ("Authorization", AUTH),
            ],
            b"{",
        ),
        (
            vec![("X-Amz-Target", &list), ("Authorization", AUTH)],
            b"{}",
        ),
        (vec![("Content-Type", JSON), ("Authorization", AUTH)], b"{}"),
        (vec![("X-Amz-Target", &list), ("Content-Type", JSON)], b"{}"),
        (
            vec![
                ("X-Amz-Target", &create),
                ("Content-Type", JSON),
                ("Authorization", AUTH),
            ],
            br#"{"StreamName":"a b"}"#,
        ),
        (
            vec![
                ("X-Amz-Target", &create),
                ("Content-Type", CBOR),
                ("Authorization", AUTH),
            ],
            b"\xa1\x61",
        ),
    ];
    let mut ids = std::collections::HashSet::new();
    for (headers, body) in &bad {
        let resp = conn
            .post(headers, body)
            .await
            .expect("answered on the same connection");
        assert!(resp.status == 400 || resp.status == 404, "{resp:?}");
        assert_request_id(&resp);
        ids.insert(resp.header("x-amzn-requestid").unwrap().to_owned());
    }
    let ok = conn
        .post(
            &[
                ("X-Amz-Target", &list),
                ("Content-Type", JSON),
                ("Authorization", AUTH),
            ],
            b"{}",
        )
        .await
        .unwrap();
    assert_eq!(ok.status, 200, "{ok:?}");
    assert_request_id(&ok);
    ids.insert(ok.header("x-amzn-requestid").unwrap().to_owned());
    assert_eq!(ids.len(), bad.len() + 1, "request ids repeat: {ids:?}");
}

/// Not a POST, or not HTTP at all: answered or dropped, and the server carries on.
#[tokio::test(flavor = "multi_thread")]
async fn other_methods_and_garbage() {
    let server = start().await;
    let addr = server.addr();
    let mut conn = Conn::open(addr).await.unwrap();
    let resp = conn
        .raw(format!("GET /streams HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    assert_eq!(resp.status, 403, "{resp:?}");
    assert_request_id(&resp);
    assert!(String::from_utf8_lossy(&resp.body).contains("<AccessDeniedException>"));
    // A bare GET of `/` is a browser's: the web console's page.
    let mut conn = Conn::open(addr).await.unwrap();
    let resp = conn
        .raw(format!("GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    assert_eq!(resp.status, 200, "{resp:?}");
    assert!(String::from_utf8_lossy(&resp.body).contains("streamwatch console"));
    let mut huge_header = b"POST / HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
    huge_header.extend(std::iter::repeat_n(b'a', 1 << 20));
    huge_header.extend_from_slice(b"\r\n\r\n");
    for garbage in [
        &b"\x00\x01\x02\x03garbage\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
        b"POST / HTTP/9.9\r\n\r\n",
        &huge_header,
    ] {
        let mut conn = Conn::open(addr).await.unwrap();
        // An HTTP error status or a closed connection is fine; a hang or a success is not.
        let answer = tokio::time::timeout(Duration::from_secs(10), conn.raw(garbage)).await;
        match answer.unwrap_or_else(|_| panic!("no answer and no close for {garbage:?}")) {
            Ok(resp) => assert!((400..=505).contains(&resp.status), "{resp:?}"),
            Err(e) => assert!(
                matches!(
                    e.kind(),
                    std::io::ErrorKind::UnexpectedEof
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::BrokenPipe
                ),
                "{e}"
            ),
        }
    }
    assert_serving(addr).await;
}
