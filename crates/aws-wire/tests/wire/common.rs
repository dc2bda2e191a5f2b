//! Schemas modelled on Kinesis' (member order as kinesalite lists them) and body builders for
//! both encodings.

#![allow(dead_code)]

use aws_wire::{Encoding, Input, Member, Pattern, Shape, WireError, parse};

pub fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

/// `0|([1-9]\d{0,max_rest})`
fn is_decimal(s: &str, max_len: usize) -> bool {
    s == "0"
        || (s.len() <= max_len
            && s.bytes().next().is_some_and(|b| (b'1'..=b'9').contains(&b))
            && s.bytes().all(|b| b.is_ascii_digit()))
}

pub static NAME: Pattern = Pattern {
    text: "[a-zA-Z0-9_.-]+",
    matches: is_name,
};
pub static HASH_KEY: Pattern = Pattern {
    text: r"0|([1-9]\d{0,38})",
    matches: |s| is_decimal(s, 39),
};
pub static SEQUENCE: Pattern = Pattern {
    text: r"0|([1-9]\d{0,128})",
    matches: |s| is_decimal(s, 129),
};

pub static STREAM_NAME: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(128),
    pattern: Some(&NAME),
    enum_values: &[],
};
pub static PARTITION_KEY: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(256),
    pattern: None,
    enum_values: &[],
};
pub static EXPLICIT_HASH_KEY: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: Some(&HASH_KEY),
    enum_values: &[],
};
pub static SEQUENCE_NUMBER: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: Some(&SEQUENCE),
    enum_values: &[],
};
pub static DATA: Shape = Shape::Blob {
    min_len: None,
    max_len: Some(1_048_576),
};
pub static RECORD_MEMBERS: [Member; 3] = [
    Member::required("PartitionKey", &PARTITION_KEY),
    Member::optional("ExplicitHashKey", &EXPLICIT_HASH_KEY),
    Member::required("Data", &DATA),
];
pub static RECORD: Shape = Shape::Structure(&RECORD_MEMBERS);
pub static RECORDS: Shape = Shape::List {
    member: &RECORD,
    min_len: Some(1),
    max_len: Some(500),
    member_str: Some("com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@c965e310"),
};
pub static PUT_RECORDS: [Member; 2] = [
    Member::required("Records", &RECORDS),
    Member::required("StreamName", &STREAM_NAME),
];

pub static SHARD_COUNT: Shape = Shape::Integer {
    min: Some(1),
    max: Some(100_000),
};
pub static CREATE_STREAM: [Member; 2] = [
    Member::required("ShardCount", &SHARD_COUNT),
    Member::required("StreamName", &STREAM_NAME),
];

pub static TAG_KEY: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(128),
    pattern: None,
    enum_values: &[],
};
pub static TAG_VALUE: Shape = Shape::String {
    min_len: Some(0),
    max_len: Some(256),
    pattern: None,
    enum_values: &[],
};
pub static TAGS: Shape = Shape::Map {
    key: &TAG_KEY,
    value: &TAG_VALUE,
    min_len: Some(1),
    max_len: Some(10),
};
pub static ADD_TAGS: [Member; 2] = [
    Member::required("Tags", &TAGS),
    Member::required("StreamName", &STREAM_NAME),
];
pub static TAG_KEYS: Shape = Shape::List {
    member: &TAG_KEY,
    min_len: Some(1),
    max_len: Some(10),
    member_str: None,
};
pub static REMOVE_TAGS: [Member; 2] = [
    Member::required("TagKeys", &TAG_KEYS),
    Member::required("StreamName", &STREAM_NAME),
];

pub static SHARD_ITERATOR_TYPE: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &[
        "AFTER_SEQUENCE_NUMBER",
        "LATEST",
        "AT_TIMESTAMP",
        "AT_SEQUENCE_NUMBER",
        "TRIM_HORIZON",
    ],
};
pub static GET_SHARD_ITERATOR: [Member; 5] = [
    Member::required("ShardId", &STREAM_NAME),
    Member::required("ShardIteratorType", &SHARD_ITERATOR_TYPE),
    Member::optional("StartingSequenceNumber", &SEQUENCE_NUMBER),
    Member::required("StreamName", &STREAM_NAME),
    Member::optional("Timestamp", &Shape::Timestamp),
];

/// One member of every shape, for type-mismatch tables and round trips.
pub static INNER: [Member; 2] = [
    Member::optional("Name", &Shape::STRING),
    Member::optional("Count", &Shape::INTEGER),
];
pub static INNER_SHAPE: Shape = Shape::Structure(&INNER);
pub static STRINGS: Shape = Shape::List {
    member: &Shape::STRING,
    min_len: None,
    max_len: None,
    member_str: None,
};
pub static STRING_MAP: Shape = Shape::Map {
    key: &Shape::STRING,
    value: &Shape::STRING,
    min_len: None,
    max_len: None,
};
pub static INNERS: Shape = Shape::List {
    member: &INNER_SHAPE,
    min_len: None,
    max_len: None,
    member_str: None,
};
pub static EVERYTHING: [Member; 12] = [
    Member::optional("Str", &Shape::STRING),
    Member::optional("Int", &Shape::INTEGER),
    Member::optional("Long", &Shape::LONG),
    Member::optional("Double", &Shape::DOUBLE),
    Member::optional("Bool", &Shape::Boolean),
    Member::optional("Blob", &Shape::BLOB),
    Member::optional("Time", &Shape::Timestamp),
    Member::optional("List", &STRINGS),
    Member::optional("Map", &STRING_MAP),
    Member::optional("Struct", &INNER_SHAPE),
    Member::optional("Structs", &INNERS),
    Member::optional("Bools", &BOOLS),
];
pub static BOOLS: Shape = Shape::List {
    member: &Shape::Boolean,
    min_len: None,
    max_len: None,
    member_str: None,
};

/// The same document as CBOR: JSON numbers become CBOR integers or floats, strings text.
pub fn to_cbor_value(v: &serde_json::Value) -> ciborium::Value {
    use ciborium::Value as C;
    match v {
        serde_json::Value::Null => C::Null,
        serde_json::Value::Bool(b) => C::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                C::Integer(i.into())
            } else if let Some(u) = n.as_u64() {
                C::Integer(u.into())
            } else {
                C::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => C::Text(s.clone()),
        serde_json::Value::Array(a) => C::Array(a.iter().map(to_cbor_value).collect()),
        serde_json::Value::Object(o) => C::Map(
            o.iter()
                .map(|(k, v)| (C::Text(k.clone()), to_cbor_value(v)))
                .collect(),
        ),
    }
}

pub fn cbor_bytes(v: &ciborium::Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(v, &mut out).unwrap();
    out
}

pub fn body(enc: Encoding, v: &serde_json::Value) -> Vec<u8> {
    match enc {
        Encoding::Json => serde_json::to_vec(v).unwrap(),
        Encoding::Cbor | Encoding::RpcV2Cbor => cbor_bytes(&to_cbor_value(v)),
        Encoding::Query => panic!("query bodies are form text, not built from JSON"),
    }
}

/// The error for `v`, checking that JSON and CBOR agree on it.
pub fn error(members: &'static [Member], v: &serde_json::Value) -> WireError {
    let json_body = body(Encoding::Json, v);
    let cbor_body = body(Encoding::Cbor, v);
    let json = parse(Encoding::Json, &json_body, members).map(|_| ());
    let cbor = parse(Encoding::Cbor, &cbor_body, members).map(|_| ());
    assert_eq!(json, cbor, "JSON and CBOR disagree on {v}");
    match json {
        Err(e) => e,
        Ok(()) => panic!("expected an error for {v}"),
    }
}

/// Asserts `v` passes in both encodings and hands the JSON result to `check`.
pub fn ok(members: &'static [Member], v: &serde_json::Value, check: impl Fn(&Input<'_>)) {
    for enc in [Encoding::Json, Encoding::Cbor] {
        let bytes = body(enc, v);
        match parse(enc, &bytes, members) {
            Ok(input) => check(&input),
            Err(e) => panic!("{enc:?} rejected {v}: {e}"),
        }
    }
}

/// The full validation message for a list of errors.
pub fn validation(errors: &[&str]) -> WireError {
    let plural = if errors.len() == 1 { "" } else { "s" };
    WireError::Validation(format!(
        "{} validation error{plural} detected: {}",
        errors.len(),
        errors.join("; ")
    ))
}

pub fn ser(msg: &str) -> WireError {
    WireError::Serialization(msg.to_owned())
}
