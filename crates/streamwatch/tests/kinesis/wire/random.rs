//! Random bytes and random mutations of valid requests, thrown at the HTTP server: every
//! answer must be a well-formed AWS success or error in the request's encoding, and the server
//! must still answer a valid request afterwards. Bounded in cases and in time so it can run
//! in CI.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value as J, json};

use super::client::{Conn, Resp};
use super::*;

/// Wall-clock budget for generating cases; shrinking a failure may take a little longer.
const BUDGET: Duration = Duration::from_secs(8);

const CODES: &[&str] = &[
    "SerializationException",
    "ValidationException",
    "UnknownOperationException",
    "MissingAuthenticationTokenException",
    "InvalidArgumentException",
    "ResourceNotFoundException",
    "ResourceInUseException",
    "LimitExceededException",
    "ExpiredIteratorException",
    "ExpiredNextTokenException",
    "ProvisionedThroughputExceededException",
];

const ACTIONS: &[&str] = &[
    "AddTagsToStream",
    "CreateStream",
    "DecreaseStreamRetentionPeriod",
    "DeleteStream",
    "DeregisterStreamConsumer",
    "DescribeLimits",
    "DescribeStream",
    "DescribeStreamConsumer",
    "DescribeStreamSummary",
    "DisableEnhancedMonitoring",
    "EnableEnhancedMonitoring",
    "GetRecords",
    "GetShardIterator",
    "IncreaseStreamRetentionPeriod",
    "ListShards",
    "ListStreamConsumers",
    "ListStreams",
    "ListTagsForStream",
    "MergeShards",
    "PutRecord",
    "PutRecords",
    "RegisterStreamConsumer",
    "RemoveTagsFromStream",
    "SplitShard",
    "StartStreamEncryption",
    "StopStreamEncryption",
    "UpdateShardCount",
];

/// Valid requests to mutate. `iterator` and `sequence` come from the running server.
fn seeds(iterator: &str, sequence: &str) -> Vec<(&'static str, J)> {
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/fuzz";
    vec![
        ("ListStreams", json!({})),
        (
            "ListStreams",
            json!({"Limit": 5, "ExclusiveStartStreamName": "a"}),
        ),
        (
            "CreateStream",
            json!({"StreamName": "fuzz-new", "ShardCount": 1}),
        ),
        (
            "CreateStream",
            json!({"StreamName": "fuzz-od", "StreamModeDetails": {"StreamMode": "ON_DEMAND"}, "Tags": {"k": "v"}}),
        ),
        ("DescribeStream", json!({"StreamName": "fuzz", "Limit": 10})),
        ("DescribeStreamSummary", json!({"StreamARN": arn})),
        (
            "ListShards",
            json!({"StreamName": "fuzz", "MaxResults": 10, "ShardFilter": {"Type": "AT_LATEST"}}),
        ),
        (
            "PutRecord",
            json!({"StreamName": "fuzz", "PartitionKey": "pk", "Data": "aGVsbG8=", "ExplicitHashKey": "12345"}),
        ),
        (
            "PutRecords",
            json!({"StreamName": "fuzz", "Records": [{"PartitionKey": "a", "Data": "AA=="}, {"PartitionKey": "b", "Data": "AQID", "ExplicitHashKey": "0"}]}),
        ),
        (
            "GetShardIterator",
            json!({"StreamName": "fuzz", "ShardId": "shardId-000000000000", "ShardIteratorType": "AT_SEQUENCE_NUMBER", "StartingSequenceNumber": sequence}),
        ),
        (
            "GetShardIterator",
            json!({"StreamName": "fuzz", "ShardId": "shardId-000000000001", "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": 1.7e9}),
        ),
        (
            "GetRecords",
            json!({"ShardIterator": iterator, "Limit": 10}),
        ),
        (
            "AddTagsToStream",
            json!({"StreamName": "fuzz", "Tags": {"team": "a", "env": ""}}),
        ),
        (
            "RemoveTagsFromStream",
            json!({"StreamName": "fuzz", "TagKeys": ["team"]}),
        ),
        (
            "ListTagsForStream",
            json!({"StreamName": "fuzz", "Limit": 2}),
        ),
        (
            "SplitShard",
            json!({"StreamName": "fuzz", "ShardToSplit": "shardId-000000000000", "NewStartingHashKey": "85070591730234615865843651857942052864"}),
        ),
        (
            "MergeShards",
            json!({"StreamName": "fuzz", "ShardToMerge": "shardId-000000000000", "AdjacentShardToMerge": "shardId-000000000001"}),
        ),
        (
            "UpdateShardCount",
            json!({"StreamName": "fuzz", "TargetShardCount": 3, "ScalingType": "UNIFORM_SCALING"}),
        ),
        (
            "IncreaseStreamRetentionPeriod",
            json!({"StreamName": "fuzz", "RetentionPeriodHours": 48}),
        ),
        (
            "RegisterStreamConsumer",
            json!({"StreamARN": arn, "ConsumerName": "c1"}),
        ),
        ("ListStreamConsumers", json!({"StreamARN": arn})),
        (
            "EnableEnhancedMonitoring",
            json!({"StreamName": "fuzz", "ShardLevelMetrics": ["IncomingBytes", "ALL"]}),
        ),
        (
            "StartStreamEncryption",
            json!({"StreamName": "fuzz", "EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}),
        ),
        ("DescribeLimits", json!({})),
        (
            "DeleteStream",
            json!({"StreamName": "fuzz-new", "EnforceConsumerDeletion": true}),
        ),
    ]
}

/// A byte-level edit; positions are taken modulo the body's length.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
    Repeat(usize, usize),
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Delete),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Edit::Repeat(i, n)),
    ]
}

fn apply(body: &mut Vec<u8>, edit: &Edit) {
    let len = body.len();
    match *edit {
        Edit::Flip(i, bit) if len > 0 => body[i % len] ^= 1 << bit,
        Edit::Insert(i, b) => body.insert(i % (len + 1), b),
        Edit::Delete(i) if len > 0 => {
            body.remove(i % len);
        }
        Edit::Truncate(i) => body.truncate(i % (len + 1)),
        Edit::Repeat(i, n) if len > 0 => {
            let start = i % len;
            let end = (start + n).min(len);
            let piece = body[start..end].to_vec();
            body.splice(start..start, piece);
        }
        _ => {}
    }
}

/// Values that break types and constraints in interesting ways.
fn odd_value() -> impl Strategy<Value = J> {
    prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        Just(json!(u64::MAX)),
        Just(json!(-0.0)),
        Just(json!(1e300)),
        "[ -~]{0,12}".prop_map(J::String),
        "\\PC{0,8}".prop_map(J::String),
        Just(json!("9".repeat(300))),
        Just(json!([])),
        Just(json!([null, 1, "x"])),
        Just(json!({})),
        Just(json!({"StreamName": "fuzz"})),
    ]
}

#[derive(Debug, Clone)]
enum Body {
    /// Bytes from nowhere.
    Random(Vec<u8>),
    /// A seed, one member replaced with an odd value, then byte edits.
    Mutated {
        seed: usize,
        member: usize,
        value: Option<J>,
        cbor: bool,
        edits: Vec<Edit>,
    },
}

#[derive(Debug, Clone)]
struct Case {
    /// 0..=5: the seed's own action; 6: another action; 7: random text; 8: none.
    target_kind: u8,
    other_action: usize,
    random_target: String,
    /// 0..=5: the body's own encoding; 6: JSON 1.0; 7: random text; 8: none.
    ct_kind: u8,
    random_ct: String,
    authenticated: bool,
    body: Body,
}

fn case_strategy(n_seeds: usize) -> impl Strategy<Value = Case> {
    let body = prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..600).prop_map(Body::Random),
        4 => (
            0..n_seeds,
            any::<usize>(),
            proptest::option::weighted(0.4, odd_value()),
            any::<bool>(),
            proptest::collection::vec(edit_strategy(), 0..3),
        )
            .prop_map(|(seed, member, value, cbor, edits)| Body::Mutated {
                seed,
                member,
                value,
                cbor,
                edits,
            }),
    ];
    (
        0u8..9,
        0..ACTIONS.len(),
        "[ -~]{0,40}",
        0u8..9,
        "[ -~]{0,30}",
        proptest::bool::weighted(0.9),
        body,
    )
        .prop_map(
            |(
                target_kind,
                other_action,
                random_target,
                ct_kind,
                random_ct,
                authenticated,
                body,
            )| {
                Case {
                    target_kind,
                    other_action,
                    random_target,
                    ct_kind,
                    random_ct,
                    authenticated,
                    body,
                }
            },
        )
}

/// The request a case stands for: headers and body.
fn build(case: &Case, seeds: &[(&'static str, J)]) -> (Vec<(&'static str, String)>, Vec<u8>) {
    let (action, cbor, body) = match &case.body {
        Body::Random(bytes) => (ACTIONS[case.other_action], false, bytes.clone()),
        Body::Mutated {
            seed,
            member,
            value,
            cbor,
            edits,
        } => {
            let (action, doc) = &seeds[*seed];
            let mut doc = doc.clone();
            if let (Some(value), Some(map)) = (value, doc.as_object_mut()) {
                let keys: Vec<String> = map.keys().cloned().collect();
                if !keys.is_empty() {
                    map.insert(keys[member % keys.len()].clone(), value.clone());
                }
            }
            let mut bytes = if *cbor {
                let mut out = Vec::new();
                ciborium::ser::into_writer(&doc, &mut out).unwrap();
                out
            } else {
                doc.to_string().into_bytes()
            };
            for e in edits {
                apply(&mut bytes, e);
            }
            (*action, *cbor, bytes)
        }
    };
    let mut headers = Vec::new();
    match case.target_kind {
        0..=5 => headers.push(("X-Amz-Target", target(action))),
        6 => headers.push(("X-Amz-Target", target(ACTIONS[case.other_action]))),
        7 => headers.push(("X-Amz-Target", case.random_target.clone())),
        _ => {}
    }
    match case.ct_kind {
        0..=5 => headers.push(("Content-Type", if cbor { CBOR } else { JSON }.to_owned())),
        6 => headers.push(("Content-Type", "application/x-amz-json-1.0".to_owned())),
        7 => headers.push(("Content-Type", case.random_ct.clone())),
        _ => {}
    }
    if case.authenticated {
        headers.push(("Authorization", AUTH.to_owned()));
    }
    (headers, body)
}

fn fail(why: String) -> TestCaseError {
    TestCaseError::fail(why)
}

/// Checks that `resp` is a well-formed AWS answer to a request sent as `content_type`.
fn check_shape(
    content_type: Option<&str>,
    body_empty: bool,
    resp: &Resp,
) -> Result<(), TestCaseError> {
    let id = resp.header("x-amzn-requestid");
    if id.is_none_or(|id| id.len() != 36) {
        return Err(fail(format!("bad request id on {resp:?}")));
    }
    let enc = content_type.and_then(|ct| {
        let media = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match media.as_str() {
            "application/x-amz-json-1.1" | "application/x-amz-json-1.0" => Some(JSON),
            "application/x-amz-cbor-1.1" => Some(CBOR),
            _ => None,
        }
    });
    let Some(enc) = enc else {
        // An empty body is answered in CBOR whatever the content type, as Kinesis does.
        if body_empty {
            let doc: ciborium::Value = ciborium::de::from_reader(&resp.body[..])
                .map_err(|e| fail(format!("empty body not answered in CBOR ({e}): {resp:?}")))?;
            let code =
                cbor_error_fields(&doc).and_then(|d| d["__type"].as_str().map(str::to_owned));
            return if resp.status == 400
                && resp.header("content-type") == Some(CBOR)
                && matches!(
                    code.as_deref(),
                    Some("SerializationException" | "UnknownOperationException")
                ) {
                Ok(())
            } else {
                Err(fail(format!("empty body answered with {resp:?}")))
            };
        }
        if resp.status == 404
            && resp.header("content-type") == Some("application/xml")
            && resp.body == b"<UnknownOperationException/>\n"
        {
            return Ok(());
        }
        return Err(fail(format!("unknown content type answered with {resp:?}")));
    };
    if resp.header("content-type") != Some(enc) {
        return Err(fail(format!("answer not in {enc}: {resp:?}")));
    }
    if resp.status == 200 && resp.body.is_empty() {
        return Ok(());
    }
    // Decode the document into JSON terms whichever the encoding, then check its shape.
    let doc: J = if enc == JSON {
        serde_json::from_slice(&resp.body)
            .map_err(|e| fail(format!("answer is not JSON ({e}): {resp:?}")))?
    } else {
        let v: ciborium::Value = ciborium::de::from_reader(&resp.body[..])
            .map_err(|e| fail(format!("answer is not CBOR ({e}): {resp:?}")))?;
        cbor_error_fields(&v).ok_or_else(|| fail(format!("CBOR answer is not a map: {v:?}")))?
    };
    let Some(map) = doc.as_object() else {
        return Err(fail(format!("answer is not an object: {doc}")));
    };
    match resp.status {
        200 => Ok(()),
        400 => {
            let code = map.get("__type").and_then(J::as_str);
            if !code.is_some_and(|c| CODES.contains(&c)) {
                return Err(fail(format!("unknown or missing __type: {doc}")));
            }
            // `Message` for a SerializationException, as AWS writes it.
            let member =
                if map.get("__type").and_then(|t| t.as_str()) == Some("SerializationException") {
                    "Message"
                } else {
                    "message"
                };
            let extra = map.keys().any(|k| k != "__type" && k != member);
            let bad_message = map.get(member).is_some_and(|m| !m.is_string());
            if extra || bad_message {
                return Err(fail(format!("malformed error document: {doc}")));
            }
            Ok(())
        }
        s => Err(fail(format!("status {s}: {doc}"))),
    }
}

/// A CBOR answer's top-level map, reduced to its text-keyed members (values kept only for
/// `__type` and `message`, which are all the check reads).
fn cbor_error_fields(v: &ciborium::Value) -> Option<J> {
    let ciborium::Value::Map(entries) = v else {
        return None;
    };
    let mut out = serde_json::Map::new();
    for (k, v) in entries {
        let key = k.as_text()?.to_owned();
        let value = match v {
            ciborium::Value::Text(t) => J::String(t.clone()),
            _ => J::Null,
        };
        out.insert(key, value);
    }
    Some(J::Object(out))
}

#[test]
fn random_requests_get_aws_shaped_answers_and_the_server_carries_on() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(start());
    let addr = server.addr();
    let (iterator, sequence) = rt.block_on(async {
        create_stream(addr, "fuzz", 2).await;
        let put = call(
            addr,
            "PutRecord",
            &json!({"StreamName": "fuzz", "PartitionKey": "pk", "Data": "AA==", "ExplicitHashKey": "0"}),
        )
        .await
        .json();
        let it = call(
            addr,
            "GetShardIterator",
            &json!({"StreamName": "fuzz", "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"}),
        )
        .await
        .json();
        (
            it["ShardIterator"].as_str().unwrap().to_owned(),
            put["SequenceNumber"].as_str().unwrap().to_owned(),
        )
    });
    let seeds = seeds(&iterator, &sequence);
    // Every seed is valid as it stands (some may fail on state, never on shape).
    for (action, doc) in &seeds {
        let resp = rt.block_on(call(addr, action, doc));
        assert!(
            resp.status == 200 || resp.status == 400,
            "{action}: {resp:?}"
        );
        if resp.status == 400 {
            let code = resp.json()["__type"].as_str().unwrap().to_owned();
            assert!(
                !["SerializationException", "ValidationException"].contains(&code.as_str()),
                "seed {action} {doc} is malformed: {resp:?}"
            );
        }
    }

    let config = Config {
        cases: 1000,
        failure_persistence: None,
        max_shrink_time: 20_000,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let started = Instant::now();
    let ran = Cell::new(0u32);
    let seen: RefCell<BTreeMap<String, u32>> = RefCell::default();
    let result = runner.run(&case_strategy(seeds.len()), |case| {
        if started.elapsed() > BUDGET {
            return Ok(());
        }
        ran.set(ran.get() + 1);
        let (headers, body) = build(&case, &seeds);
        let header_refs: Vec<(&str, &str)> =
            headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let content_type = headers
            .iter()
            .find(|(k, _)| *k == "Content-Type")
            .map(|(_, v)| v.as_str());
        let resp = rt.block_on(async {
            let mut conn = Conn::open(addr)
                .await
                .map_err(|e| fail(format!("connect: {e}")))?;
            conn.post(&header_refs, &body)
                .await
                .map_err(|e| fail(format!("no answer to {headers:?} {body:02x?}: {e}")))
        })?;
        let doc = serde_json::from_slice::<J>(&resp.body).ok().or_else(|| {
            let v: ciborium::Value = ciborium::de::from_reader(&resp.body[..]).ok()?;
            cbor_error_fields(&v)
        });
        let code = doc
            .as_ref()
            .and_then(|d| d["__type"].as_str())
            .unwrap_or("");
        *seen
            .borrow_mut()
            .entry(format!("{} {code}", resp.status))
            .or_default() += 1;
        check_shape(content_type, body.is_empty(), &resp).map_err(|e| {
            fail(format!(
                "{e}\nrequest: {headers:?} {:?}",
                String::from_utf8_lossy(&body)
            ))
        })?;
        let alive = rt.block_on(call(addr, "DescribeLimits", &json!({})));
        prop_assert_eq!(
            alive.status,
            200,
            "server stopped answering after {:?}",
            case
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let ran = ran.get();
    eprintln!("{ran} random requests; answers seen: {:#?}", seen.borrow());
    assert!(ran >= 50, "only {ran} cases ran in {BUDGET:?}");
    rt.block_on(assert_serving(addr));
}
