//! Arbitrary bytes through `KinesisApi::handle`, the whole path from header routing and body
//! decoding (JSON and CBOR) through validation to the actions and the engine.
//!
//! Each input is used twice:
//!
//! 1. split as `<target>\n<content-type>\n<body>`: `-` for a header means "absent", a target
//!    starting with `!` is sent without credentials. Inputs without two newlines are skipped
//!    for this use.
//! 2. whole, as the body of an action picked by the input's length, in JSON and in CBOR.
//!
//! Every input gets a fresh in-memory engine on a stopped clock, holding a two-shard stream
//! `fuzz` with three records, so runs are deterministic. Bodies may name `@ITER@` (a valid
//! TRIM_HORIZON iterator for shard 0) and `@SEQ0@` (the first record's sequence number), in
//! JSON strings or as CBOR text strings, so seeds can reach GetRecords and sequence-number
//! lookups past the iterator's checksum.
//!
//! Besides "never panics", each answer must be well-formed: a status AWS uses, a body in the
//! request's encoding, and never an internal error.
//!
//! Set `FUZZ_WRITE_SEEDS=<dir>` to write the seed corpus (JSON and CBOR forms of a valid
//! request for most actions) into `<dir>` during the first run.

#![no_main]

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use kinesis_api::{Action, KinesisApi, Request};
use kinesis_engine::{
    Engine, EngineConfig, FsyncPolicy, IteratorStart, ManualClock, PutEntry, PutOutcome,
};
use libfuzzer_sys::fuzz_target;

const NOW_MS: u64 = 1_700_000_000_000;
const JSON: &str = "application/x-amz-json-1.1";
const CBOR: &str = "application/x-amz-cbor-1.1";

struct Fixture {
    api: KinesisApi,
    iterator: String,
    sequence: String,
}

fn fixture() -> Fixture {
    let config = EngineConfig {
        transition_delay: Duration::ZERO,
        shard_limits: false,
        fsync: FsyncPolicy::Never,
        ..EngineConfig::default()
    };
    let engine = Engine::open_with_clock(config, Arc::new(ManualClock::new(NOW_MS)))
        .expect("in-memory engine opens");
    engine
        .create_stream("fuzz", None, Some(2), &[])
        .expect("stream created");
    let entries = [
        PutEntry {
            partition_key: "a",
            explicit_hash_key: Some(0),
            data: b"one",
        },
        PutEntry {
            partition_key: "b",
            explicit_hash_key: Some(0),
            data: b"",
        },
        PutEntry {
            partition_key: "c",
            explicit_hash_key: None,
            data: &[0, 255, 1],
        },
    ];
    let stored = engine.put_records("fuzz", &entries).expect("records put");
    let sequence = match &stored[0] {
        PutOutcome::Stored {
            sequence_number, ..
        } => sequence_number.clone(),
        PutOutcome::Throttled { message, .. } => panic!("throttled without limits: {message}"),
    };
    let iterator = engine
        .get_shard_iterator("fuzz", "shardId-000000000000", IteratorStart::TrimHorizon)
        .expect("iterator");
    engine.register_consumer("fuzz", "c0").expect("consumer");
    Fixture {
        api: KinesisApi::new(engine),
        iterator,
        sequence,
    }
}

/// Replaces `@ITER@` / `@SEQ0@` in a JSON string or a CBOR text string.
fn substitute(body: &[u8], f: &Fixture) -> Vec<u8> {
    let mut out = body.to_vec();
    for (marker, value) in [(&b"@ITER@"[..], &f.iterator), (b"@SEQ0@", &f.sequence)] {
        while let Some(at) = out.windows(marker.len()).position(|w| w == marker) {
            // 0x66 is the CBOR head of a six-byte text string: swap the head too.
            let (start, replacement) = if at > 0 && out[at - 1] == 0x66 {
                (at - 1, cbor_text(value))
            } else {
                (at, value.as_bytes().to_vec())
            };
            out.splice(start..at + marker.len(), replacement);
        }
    }
    out
}

fn cbor_text(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(&ciborium::Value::Text(s.to_owned()), &mut out)
        .expect("writing to a Vec cannot fail");
    out
}

fn check(req: &Request<'_>, resp: &kinesis_api::Response) {
    assert_ne!(
        resp.status,
        500,
        "internal error for {req:?}: {:?}",
        String::from_utf8_lossy(&resp.body)
    );
    assert!(
        matches!(resp.status, 200 | 400 | 404),
        "unexpected status {} for {req:?}",
        resp.status
    );
    assert_eq!(resp.status == 200, resp.error_code.is_none());
    if resp.body.is_empty() {
        assert_eq!(resp.status, 200, "an error needs a body");
        return;
    }
    match resp.content_type.unwrap_or_default() {
        JSON => {
            let doc: serde_json::Value =
                serde_json::from_slice(&resp.body).expect("the answer is JSON");
            assert!(doc.is_object(), "the answer is a JSON object");
            if let Some(code) = resp.error_code {
                assert_eq!(doc["__type"], serde_json::json!(code));
            }
        }
        CBOR => {
            let doc: ciborium::Value =
                ciborium::de::from_reader(&resp.body[..]).expect("the answer is CBOR");
            assert!(doc.is_map(), "the answer is a CBOR map");
        }
        "application/xml" => assert_eq!(resp.status, 404),
        other => panic!("unexpected content type {other:?}"),
    }
}

fn handle(f: &Fixture, req: &Request<'_>) {
    let resp = f.api.handle(req);
    check(req, &resp);
}

fn split(data: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let first = data.iter().position(|&b| b == b'\n')?;
    let (target, rest) = (&data[..first], &data[first + 1..]);
    let second = rest.iter().position(|&b| b == b'\n')?;
    Some((target, &rest[..second], &rest[second + 1..]))
}

fn header(bytes: &[u8]) -> Option<&str> {
    // Header values reach the API as `&str` or not at all (the server drops non-text ones).
    let text = std::str::from_utf8(bytes).ok()?;
    (text != "-").then_some(text)
}

fuzz_target!(|data: &[u8]| {
    write_seeds_once();
    let f = fixture();
    if let Some((target, content_type, body)) = split(data) {
        let (authenticated, target) = match target.strip_prefix(b"!") {
            Some(rest) => (false, rest),
            None => (true, target),
        };
        let body = substitute(body, &f);
        handle(
            &f,
            &Request {
                target: header(target),
                content_type: header(content_type),
                authenticated,
                body: &body,
            },
        );
    }
    let action = Action::ALL[data.len() % Action::ALL.len()];
    let target = format!("{}.{}", kinesis_api::TARGET_PREFIX, action.name());
    for content_type in [JSON, CBOR] {
        handle(
            &f,
            &Request {
                target: Some(&target),
                content_type: Some(content_type),
                authenticated: true,
                body: data,
            },
        );
    }
});

/// Valid requests, one or two per action, as JSON.
const SEEDS: &[(&str, &str)] = &[
    ("ListStreams", r#"{}"#),
    (
        "ListStreams",
        r#"{"Limit":1,"ExclusiveStartStreamName":"a"}"#,
    ),
    ("CreateStream", r#"{"StreamName":"new","ShardCount":3}"#),
    (
        "CreateStream",
        r#"{"StreamName":"od","StreamModeDetails":{"StreamMode":"ON_DEMAND"},"Tags":{"k":"v"}}"#,
    ),
    (
        "DeleteStream",
        r#"{"StreamName":"fuzz","EnforceConsumerDeletion":true}"#,
    ),
    (
        "DescribeStream",
        r#"{"StreamName":"fuzz","Limit":1,"ExclusiveStartShardId":"shardId-000000000000"}"#,
    ),
    (
        "DescribeStreamSummary",
        r#"{"StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/fuzz"}"#,
    ),
    ("DescribeLimits", r#"{}"#),
    ("ListShards", r#"{"StreamName":"fuzz","MaxResults":1}"#),
    (
        "ListShards",
        r#"{"StreamName":"fuzz","ShardFilter":{"Type":"AT_TIMESTAMP","Timestamp":1700000000}}"#,
    ),
    (
        "PutRecord",
        r#"{"StreamName":"fuzz","PartitionKey":"pk","Data":"aGVsbG8=","ExplicitHashKey":"340282366920938463463374607431768211455","SequenceNumberForOrdering":"@SEQ0@"}"#,
    ),
    (
        "PutRecords",
        r#"{"StreamName":"fuzz","Records":[{"PartitionKey":"a","Data":"AA=="},{"PartitionKey":"b","Data":"","ExplicitHashKey":"0"}]}"#,
    ),
    (
        "GetShardIterator",
        r#"{"StreamName":"fuzz","ShardId":"shardId-000000000000","ShardIteratorType":"AFTER_SEQUENCE_NUMBER","StartingSequenceNumber":"@SEQ0@"}"#,
    ),
    (
        "GetShardIterator",
        r#"{"StreamName":"fuzz","ShardId":"shardId-000000000001","ShardIteratorType":"AT_TIMESTAMP","Timestamp":1699999999.5}"#,
    ),
    (
        "GetShardIterator",
        r#"{"StreamName":"fuzz","ShardId":"shardId-000000000000","ShardIteratorType":"LATEST"}"#,
    ),
    ("GetRecords", r#"{"ShardIterator":"@ITER@","Limit":2}"#),
    (
        "AddTagsToStream",
        r#"{"StreamName":"fuzz","Tags":{"team":"a","env":""}}"#,
    ),
    (
        "RemoveTagsFromStream",
        r#"{"StreamName":"fuzz","TagKeys":["team","x"]}"#,
    ),
    (
        "ListTagsForStream",
        r#"{"StreamName":"fuzz","ExclusiveStartTagKey":"a","Limit":1}"#,
    ),
    (
        "SplitShard",
        r#"{"StreamName":"fuzz","ShardToSplit":"shardId-000000000000","NewStartingHashKey":"85070591730234615865843651857942052864"}"#,
    ),
    (
        "MergeShards",
        r#"{"StreamName":"fuzz","ShardToMerge":"shardId-000000000000","AdjacentShardToMerge":"shardId-000000000001"}"#,
    ),
    (
        "UpdateShardCount",
        r#"{"StreamName":"fuzz","TargetShardCount":3,"ScalingType":"UNIFORM_SCALING"}"#,
    ),
    (
        "IncreaseStreamRetentionPeriod",
        r#"{"StreamName":"fuzz","RetentionPeriodHours":48}"#,
    ),
    (
        "DecreaseStreamRetentionPeriod",
        r#"{"StreamName":"fuzz","RetentionPeriodHours":24}"#,
    ),
    (
        "RegisterStreamConsumer",
        r#"{"StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/fuzz","ConsumerName":"c1"}"#,
    ),
    (
        "ListStreamConsumers",
        r#"{"StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/fuzz","MaxResults":1}"#,
    ),
    (
        "DescribeStreamConsumer",
        r#"{"StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/fuzz","ConsumerName":"c0"}"#,
    ),
    (
        "DeregisterStreamConsumer",
        r#"{"StreamARN":"arn:aws:kinesis:us-east-1:000000000000:stream/fuzz","ConsumerName":"c0"}"#,
    ),
    (
        "EnableEnhancedMonitoring",
        r#"{"StreamName":"fuzz","ShardLevelMetrics":["IncomingBytes","ALL"]}"#,
    ),
    (
        "DisableEnhancedMonitoring",
        r#"{"StreamName":"fuzz","ShardLevelMetrics":["ALL"]}"#,
    ),
    (
        "StartStreamEncryption",
        r#"{"StreamName":"fuzz","EncryptionType":"KMS","KeyId":"alias/aws/kinesis"}"#,
    ),
    (
        "StopStreamEncryption",
        r#"{"StreamName":"fuzz","EncryptionType":"KMS","KeyId":"alias/aws/kinesis"}"#,
    ),
];

/// The CBOR form of a JSON seed, as the Java SDK v2 would send it: blobs as byte strings and
/// timestamps as tag 1 over epoch milliseconds.
fn to_cbor(key: &str, v: &serde_json::Value) -> ciborium::Value {
    use ciborium::Value as C;
    match v {
        serde_json::Value::Null => C::Null,
        serde_json::Value::Bool(b) => C::Bool(*b),
        serde_json::Value::Number(n) if key == "Timestamp" => {
            let ms = (n.as_f64().unwrap_or_default() * 1000.0).round() as i64;
            C::Tag(1, Box::new(C::Integer(ms.into())))
        }
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => C::Integer(i.into()),
            None => C::Float(n.as_f64().unwrap_or_default()),
        },
        serde_json::Value::String(s) if key == "Data" => C::Bytes(
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .expect("seed data is base64"),
        ),
        serde_json::Value::String(s) => C::Text(s.clone()),
        serde_json::Value::Array(items) => {
            C::Array(items.iter().map(|i| to_cbor(key, i)).collect())
        }
        serde_json::Value::Object(map) => C::Map(
            map.iter()
                .map(|(k, v)| (C::Text(k.clone()), to_cbor(k, v)))
                .collect(),
        ),
    }
}

fn write_seeds_once() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Some(dir) = std::env::var_os("FUZZ_WRITE_SEEDS") else {
            return;
        };
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("seed dir");
        for (n, (action, json)) in SEEDS.iter().enumerate() {
            let target = format!("{}.{action}", kinesis_api::TARGET_PREFIX);
            let mut seed = format!("{target}\n{JSON}\n{json}").into_bytes();
            std::fs::write(dir.join(format!("{n:02}-{action}.json")), &seed).expect("seed");
            let doc: serde_json::Value = serde_json::from_str(json).expect("seed is JSON");
            seed = format!("{target}\n{CBOR}\n").into_bytes();
            ciborium::ser::into_writer(&to_cbor("", &doc), &mut seed).expect("seed");
            std::fs::write(dir.join(format!("{n:02}-{action}.cbor")), &seed).expect("seed");
        }
        // A few that stop early: no credentials, no target, an unknown content type.
        let extra: [(&str, &[u8]); 3] = [
            (
                "unsigned",
                b"!Kinesis_20131202.ListStreams\napplication/x-amz-json-1.1\n{}",
            ),
            ("no-target", b"-\napplication/x-amz-json-1.1\n{}"),
            (
                "xml",
                b"Kinesis_20131202.ListStreams\napplication/xml\n<a/>",
            ),
        ];
        for (name, seed) in extra {
            std::fs::write(dir.join(format!("x-{name}")), seed).expect("seed");
        }
    });
}
