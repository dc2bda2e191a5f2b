//! Issue 19 item 1: tag keys and values checked as Kinesis checks them, in JSON 1.1, in CBOR
//! and through boto3: AddTagsToStream, RemoveTagsFromStream and CreateStream's Tags.

use ciborium::Value as C;
use serde_json::json;

use super::*;

const INVALID: &str = "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @ :.";

fn illegal(verb: &str, stream: &str) -> String {
    format!(
        "Failed to {verb} stream {stream} under account 000000000000 because some tags contained illegal characters. The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@',':'."
    )
}

/// Asserts a JSON answer is a 400 InvalidArgumentException with this message.
fn assert_invalid(resp: &client::Resp, message: &str, what: &str) {
    assert_eq!(
        resp.status,
        400,
        "{what}: {}",
        String::from_utf8_lossy(&resp.body)
    );
    let doc = resp.json();
    assert_eq!(doc["__type"], "InvalidArgumentException", "{what}: {doc}");
    assert_eq!(doc["message"], message, "{what}: {doc}");
}

async fn tags_of(addr: SocketAddr, stream: &str) -> J {
    let resp = call(addr, "ListTagsForStream", &json!({"StreamName": stream})).await;
    assert_eq!(resp.status, 200);
    resp.json()["Tags"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn tags_are_checked_in_json() {
    let server = start().await;
    let addr = server.addr();
    let created = call(
        addr,
        "CreateStream",
        &json!({"StreamName": "tags", "ShardCount": 1}),
    )
    .await;
    assert_eq!(created.status, 200);

    for bad in ["abc;def", "abc\tdef", "abc\ndef", "a,b"] {
        let as_key = call(
            addr,
            "AddTagsToStream",
            &json!({"StreamName": "tags", "Tags": {bad: "v"}}),
        )
        .await;
        assert_invalid(&as_key, INVALID, &format!("key {bad:?}"));
        let as_value = call(
            addr,
            "AddTagsToStream",
            &json!({"StreamName": "tags", "Tags": {"k": bad}}),
        )
        .await;
        assert_invalid(&as_value, INVALID, &format!("value {bad:?}"));
        let removed = call(
            addr,
            "RemoveTagsFromStream",
            &json!({"StreamName": "tags", "TagKeys": [bad]}),
        )
        .await;
        assert_invalid(&removed, INVALID, &format!("removing {bad:?}"));
    }
    let percent = call(
        addr,
        "AddTagsToStream",
        &json!({"StreamName": "tags", "Tags": {"a%b": "v"}}),
    )
    .await;
    assert_invalid(&percent, &illegal("add tags to", "tags"), "%");
    let percent = call(
        addr,
        "RemoveTagsFromStream",
        &json!({"StreamName": "tags", "TagKeys": ["a%b"]}),
    )
    .await;
    assert_invalid(&percent, &illegal("remove tags from", "tags"), "% removed");
    let reserved = call(
        addr,
        "AddTagsToStream",
        &json!({"StreamName": "tags", "Tags": {"aws:owner": "v"}}),
    )
    .await;
    assert_eq!(reserved.status, 400);
    assert_eq!(reserved.json()["__type"], "InvalidArgumentException");

    // A stream that does not exist is reported before the tags are looked at.
    let missing = call(
        addr,
        "AddTagsToStream",
        &json!({"StreamName": "nope", "Tags": {"abc;def": "v"}}),
    )
    .await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.json()["__type"], "ResourceNotFoundException");

    // Nothing refused was stored; what AWS allows is.
    assert_eq!(tags_of(addr, "tags").await, json!([]));
    let good = call(
        addr,
        "AddTagsToStream",
        &json!({"StreamName": "tags", "Tags": {"team name": "a_b.c/d=e+f-g@h:i", "ключ": ""}}),
    )
    .await;
    assert_eq!(good.status, 200, "{}", String::from_utf8_lossy(&good.body));
    assert_eq!(
        tags_of(addr, "tags").await,
        json!([{"Key": "team name", "Value": "a_b.c/d=e+f-g@h:i"}, {"Key": "ключ", "Value": ""}])
    );

    let created = call(
        addr,
        "CreateStream",
        &json!({"StreamName": "tagged", "ShardCount": 1, "Tags": {"a;b": "v"}}),
    )
    .await;
    assert_invalid(&created, INVALID, "CreateStream's Tags");
    let listed = call(addr, "ListStreams", &json!({})).await.json();
    assert_eq!(
        listed["StreamNames"],
        json!(["tags"]),
        "the stream was not created"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tags_are_checked_in_cbor() {
    let server = start().await;
    let addr = server.addr();
    let body = |v: &C| {
        let mut out = Vec::new();
        ciborium::ser::into_writer(v, &mut out).expect("encodes");
        out
    };
    let text = |s: &str| C::Text(s.to_owned());
    let create = C::Map(vec![
        (text("StreamName"), text("cbor-tags")),
        (text("ShardCount"), C::Integer(1.into())),
    ]);
    assert_eq!(
        call_as(addr, CBOR, "CreateStream", &body(&create))
            .await
            .status,
        200
    );
    let add = C::Map(vec![
        (text("StreamName"), text("cbor-tags")),
        (text("Tags"), C::Map(vec![(text("abc\tdef"), text("v"))])),
    ]);
    let resp = call_as(addr, CBOR, "AddTagsToStream", &body(&add)).await;
    assert_eq!(resp.status, 400);
    let doc = resp.cbor();
    let field = |name: &str| {
        doc.as_map()
            .and_then(|m| m.iter().find(|(k, _)| k.as_text() == Some(name)))
            .and_then(|(_, v)| v.as_text().map(str::to_owned))
    };
    assert_eq!(field("__type").as_deref(), Some("InvalidArgumentException"));
    assert_eq!(field("message").as_deref(), Some(INVALID));
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_sees_the_same_tag_errors() {
    let server = start().await;
    let endpoint = server.endpoint();
    let script = r#"
import sys, boto3, botocore
c = boto3.client("kinesis", endpoint_url=sys.argv[1], region_name="us-east-1",
                 aws_access_key_id="test", aws_secret_access_key="test")
c.create_stream(StreamName="boto-tags", ShardCount=1)
for tags in ({"abc;def": "v"}, {"k": "a\nb"}, {"a%b": "v"}):
    try:
        c.add_tags_to_stream(StreamName="boto-tags", Tags=tags)
        print("accepted")
    except botocore.exceptions.ClientError as e:
        print(e.response["Error"]["Code"] + "|" + e.response["Error"]["Message"])
"#;
    let stdout = python_lines(script, &endpoint).await;
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            format!("InvalidArgumentException|{INVALID}"),
            format!("InvalidArgumentException|{INVALID}"),
            format!(
                "InvalidArgumentException|{}",
                illegal("add tags to", "boto-tags")
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn arn_based_tagging_checks_the_same_way() {
    let server = start().await;
    let addr = server.addr();
    let created = call(
        addr,
        "CreateStream",
        &json!({"StreamName": "by-arn", "ShardCount": 1}),
    )
    .await;
    assert_eq!(created.status, 200);
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/by-arn";
    let bad = call(
        addr,
        "TagResource",
        &json!({"ResourceARN": arn, "Tags": {"abc;def": "v"}}),
    )
    .await;
    assert_invalid(&bad, INVALID, "TagResource");
    let percent = call(
        addr,
        "TagResource",
        &json!({"ResourceARN": arn, "Tags": {"a%b": "v"}}),
    )
    .await;
    assert_invalid(&percent, &illegal("add tags to", "by-arn"), "TagResource %");
    let good = call(
        addr,
        "TagResource",
        &json!({"ResourceARN": arn, "Tags": {"team": "data", "env": "dev"}}),
    )
    .await;
    assert_eq!(good.status, 200, "{}", String::from_utf8_lossy(&good.body));
    let listed = call(addr, "ListTagsForResource", &json!({"ResourceARN": arn})).await;
    assert_eq!(
        listed.json(),
        json!({"Tags": [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "data"}]})
    );
    let untagged = call(
        addr,
        "UntagResource",
        &json!({"ResourceARN": arn, "TagKeys": ["env"]}),
    )
    .await;
    assert_eq!(untagged.status, 200);
    assert_eq!(
        tags_of(addr, "by-arn").await,
        json!([{"Key": "team", "Value": "data"}])
    );
    let missing = call(
        addr,
        "ListTagsForResource",
        &json!({"ResourceARN": "arn:aws:kinesis:us-east-1:000000000000:stream/nope"}),
    )
    .await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.json()["__type"], "ResourceNotFoundException");
}
