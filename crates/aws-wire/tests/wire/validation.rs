//! Request validation: Coral's type-mismatch texts, constraint texts and their order, and the
//! typed getters, in both encodings.

use crate::common::*;
use aws_wire::{Encoding, Item, WireError, parse};
use serde_json::{Value as J, json};

const NUMBER: &str = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber";
const LIST_START: &str = "Start of list found where not expected";
const STRUCT_START: &str = "Start of structure or map found where not expected.";

/// Puts `leaf` at a dotted path the way kinesalite's tests do: a `0` piece makes an array.
fn place(path: &str, leaf: J) -> J {
    let pieces: Vec<&str> = path.split('.').collect();
    fn build(pieces: &[&str], leaf: J) -> J {
        match pieces {
            [] => leaf,
            [first, rest @ ..] => {
                let inner = build(rest, leaf);
                if *first == "0" {
                    J::Array(vec![inner])
                } else {
                    let mut map = serde_json::Map::new();
                    map.insert((*first).to_owned(), inner);
                    J::Object(map)
                }
            }
        }
    }
    build(&pieces, leaf)
}

fn table(ty: &str) -> Vec<(J, String)> {
    let scalar = |target: &str| {
        vec![
            (
                json!(true),
                format!("class java.lang.Boolean can not be converted to {target}"),
            ),
            (
                json!(23),
                format!("{NUMBER} can not be converted to {target}"),
            ),
            (
                json!(-2147483648i64),
                format!("{NUMBER} can not be converted to {target}"),
            ),
            (
                json!(2147483648i64),
                format!("{NUMBER} can not be converted to {target}"),
            ),
            (
                json!(34.56),
                format!("{NUMBER} can not be converted to {target}"),
            ),
            (json!([]), LIST_START.to_owned()),
            (json!({}), STRUCT_START.to_owned()),
        ]
    };
    let numeric = |target: &str| {
        vec![
            (
                json!("23"),
                format!("class java.lang.String can not be converted to {target}"),
            ),
            (
                json!(true),
                format!("class java.lang.Boolean can not be converted to {target}"),
            ),
            (json!([]), LIST_START.to_owned()),
            (json!({}), STRUCT_START.to_owned()),
        ]
    };
    let container = |expected: &str, wrong_open: (J, &str)| {
        let mut rows: Vec<(J, String)> = [
            json!("23"),
            json!(true),
            json!(23),
            json!(-2147483648i64),
            json!(2147483648i64),
            json!(34.56),
        ]
        .into_iter()
        .map(|v| (v, expected.to_owned()))
        .collect();
        rows.push((wrong_open.0, wrong_open.1.to_owned()));
        rows
    };
    match ty {
        "String" => scalar("an String"),
        "Boolean" => {
            let mut rows: Vec<_> = scalar("an Boolean")
                .into_iter()
                .filter(|(v, _)| !v.is_boolean() && !v.is_f64())
                .collect();
            rows.push((
                json!("23"),
                "'23' can not be converted to an Boolean".into(),
            ));
            rows.push((
                json!("yes"),
                "'YES' can not be converted to an Boolean".into(),
            ));
            rows
        }
        "Integer" => numeric("an Integer"),
        "Long" => numeric("an Long"),
        "Double" => numeric("an Double"),
        "Blob" => {
            let mut rows = scalar("a Blob");
            let b64 = |v: &str, why: &str| {
                (
                    json!(v),
                    format!("'{v}' can not be converted to a Blob: {why}"),
                )
            };
            rows.push(b64(
                "23456",
                "Base64 encoded length is expected a multiple of 4 bytes but found: 5",
            ));
            rows.push(b64("=+/=", "Invalid Base64 character: '='"));
            rows.push(b64(
                "+/+=",
                "Invalid last non-pad Base64 character dectected",
            ));
            rows
        }
        "Timestamp" => numeric("milliseconds since epoch"),
        "List" => container("Expected list or null", (json!({}), STRUCT_START)),
        "Map" => container("Expected map or null", (json!([]), LIST_START)),
        "Structure" => container("Expected null", (json!([]), LIST_START)),
        other => panic!("no table for {other}"),
    }
}

fn assert_type(members: &'static [aws_wire::Member], path: &str, ty: &str) {
    for (leaf, msg) in table(ty) {
        let doc = place(path, leaf.clone());
        assert_eq!(error(members, &doc), ser(&msg), "{path} = {leaf}");
    }
}

#[test]
fn type_mismatches_put_records() {
    assert_type(&PUT_RECORDS, "Records", "List");
    assert_type(&PUT_RECORDS, "Records.0", "Structure");
    assert_type(&PUT_RECORDS, "Records.0.Data", "Blob");
    assert_type(&PUT_RECORDS, "Records.0.ExplicitHashKey", "String");
    assert_type(&PUT_RECORDS, "Records.0.PartitionKey", "String");
    assert_type(&PUT_RECORDS, "StreamName", "String");
}

#[test]
fn type_mismatches_every_shape() {
    assert_type(&CREATE_STREAM, "ShardCount", "Integer");
    assert_type(&ADD_TAGS, "Tags", "Map");
    assert_type(&ADD_TAGS, "Tags.a", "String");
    assert_type(&REMOVE_TAGS, "TagKeys", "List");
    assert_type(&REMOVE_TAGS, "TagKeys.0", "String");
    assert_type(&GET_SHARD_ITERATOR, "Timestamp", "Timestamp");
    assert_type(&EVERYTHING, "Long", "Long");
    assert_type(&EVERYTHING, "Double", "Double");
    assert_type(&EVERYTHING, "Bool", "Boolean");
    assert_type(&EVERYTHING, "Bools.0", "Boolean");
    assert_type(&EVERYTHING, "Struct", "Structure");
    assert_type(&EVERYTHING, "Struct.Name", "String");
    assert_type(&EVERYTHING, "Structs.0.Count", "Integer");
}

#[test]
fn cbor_byte_strings_where_they_do_not_belong() {
    let bytes = |member: &str| {
        cbor_bytes(&ciborium::Value::Map(vec![(
            ciborium::Value::Text(member.into()),
            ciborium::Value::Bytes(vec![1, 2]),
        )]))
    };
    let check = |member: &str, msg: &str| {
        let body = bytes(member);
        let got = parse(Encoding::Cbor, &body, &EVERYTHING).map(|_| ());
        assert_eq!(got, Err(ser(msg)), "{member}");
    };
    check("Str", STRUCT_START);
    check("Int", STRUCT_START);
    check("Time", STRUCT_START);
    check("List", "Expected list or null");
    check("Map", "Expected map or null");
    check("Struct", "Expected null");
}

#[test]
fn first_type_error_in_document_order_wins() {
    // Raw bodies: serde_json's own maps would sort the keys.
    let body = br#"{"StreamName": 1, "Records": true}"#;
    assert_eq!(
        parse(Encoding::Json, body, &PUT_RECORDS).map(|_| ()),
        Err(ser(&format!("{NUMBER} can not be converted to an String")))
    );
    let body = br#"{"Records": true, "StreamName": 1}"#;
    assert_eq!(
        parse(Encoding::Json, body, &PUT_RECORDS).map(|_| ()),
        Err(ser("Expected list or null"))
    );
}

#[test]
fn top_level_must_be_a_map() {
    for enc in [Encoding::Json, Encoding::Cbor] {
        let e = |v: J| parse(enc, &body(enc, &v), &PUT_RECORDS).map(|_| ());
        assert_eq!(e(json!([])), Err(ser(LIST_START)));
        assert_eq!(e(json!("x")), Err(WireError::Serialization(String::new())));
        assert_eq!(e(json!(1)), Err(WireError::Serialization(String::new())));
        assert_eq!(e(J::Null), Err(WireError::Serialization(String::new())));
    }
}

#[test]
fn missing_required_members() {
    assert_eq!(
        error(&PUT_RECORDS, &json!({})),
        validation(&[
            "Value null at 'records' failed to satisfy constraint: Member must not be null",
            "Value null at 'streamName' failed to satisfy constraint: Member must not be null",
        ])
    );
    // Null is the same as absent, and unknown members are ignored.
    assert_eq!(
        error(
            &CREATE_STREAM,
            &json!({"StreamName": null, "Other": 1, "ShardCount": 1})
        ),
        validation(&[
            "Value null at 'streamName' failed to satisfy constraint: Member must not be null"
        ])
    );
    assert_eq!(
        error(&PUT_RECORDS, &json!({"StreamName": "s", "Records": [{}]})),
        validation(&[
            "Value null at 'records.1.member.partitionKey' failed to satisfy constraint: Member must not be null",
            "Value null at 'records.1.member.data' failed to satisfy constraint: Member must not be null",
        ])
    );
}

#[test]
fn empty_stream_name() {
    assert_eq!(
        error(&PUT_RECORDS, &json!({"StreamName": "", "Records": []})),
        validation(&[
            "Value '[]' at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1",
            "Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            "Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ])
    );
}

#[test]
fn empty_partition_key() {
    let doc = json!({"StreamName": "", "Records": [{"PartitionKey": "", "Data": "", "ExplicitHashKey": ""}]});
    assert_eq!(
        error(&PUT_RECORDS, &doc),
        validation(&[
            "Value '' at 'records.1.member.partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1",
            r"Value '' at 'records.1.member.explicitHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\d{0,38})",
            "Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            "Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ])
    );
}

#[test]
fn too_long_everything() {
    use base64::Engine as _;
    let name = "a".repeat(129);
    let key = "a".repeat(257);
    let data = base64::engine::general_purpose::STANDARD.encode(vec![7u8; 1_048_577]);
    let doc = json!({"StreamName": name, "Records": [{"PartitionKey": key, "Data": data, "ExplicitHashKey": ""}]});
    assert_eq!(
        error(&PUT_RECORDS, &doc),
        validation(&[
            &format!(
                "Value '{key}' at 'records.1.member.partitionKey' failed to satisfy constraint: Member must have length less than or equal to 256"
            ),
            r"Value '' at 'records.1.member.explicitHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\d{0,38})",
            "Value 'java.nio.HeapByteBuffer[pos=0 lim=1048577 cap=1048577]' at 'records.1.member.data' failed to satisfy constraint: Member must have length less than or equal to 1048576",
            &format!(
                "Value '{name}' at 'streamName' failed to satisfy constraint: Member must have length less than or equal to 128"
            ),
        ])
    );
}

#[test]
fn at_most_ten_errors() {
    let records: Vec<J> = (0..501)
        .map(|_| json!({"PartitionKey": "", "Data": ""}))
        .collect();
    let entry = "com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@c965e310";
    let listed = vec![entry; 501].join(", ");
    let mut expected = vec![format!(
        "Value '[{listed}]' at 'records' failed to satisfy constraint: Member must have length less than or equal to 500"
    )];
    for i in 1..=9 {
        expected.push(format!(
            "Value '' at 'records.{i}.member.partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1"
        ));
    }
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    let got = error(&PUT_RECORDS, &json!({"StreamName": "", "Records": records}));
    assert_eq!(got, validation(&expected));
    assert!(
        got.message()
            .unwrap()
            .starts_with("10 validation errors detected: ")
    );
}

#[test]
fn integer_ranges_floor_and_clamp() {
    let name = "a".repeat(129);
    assert_eq!(
        error(
            &CREATE_STREAM,
            &json!({"StreamName": name, "ShardCount": 100_000_000_000i64})
        ),
        validation(&[
            "Value '2147483647' at 'shardCount' failed to satisfy constraint: Member must have value less than or equal to 100000",
            &format!(
                "Value '{name}' at 'streamName' failed to satisfy constraint: Member must have length less than or equal to 128"
            ),
        ])
    );
    assert_eq!(
        error(&CREATE_STREAM, &json!({"StreamName": "s", "ShardCount": 0})),
        validation(&[
            "Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1"
        ])
    );
    assert_eq!(
        error(
            &CREATE_STREAM,
            &json!({"StreamName": "s", "ShardCount": -0.5})
        ),
        validation(&[
            "Value '-1' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1"
        ])
    );
    ok(
        &CREATE_STREAM,
        &json!({"StreamName": "s", "ShardCount": 1.99}),
        |i| {
            assert_eq!(i.int("ShardCount"), Some(1));
        },
    );
    ok(
        &EVERYTHING,
        &json!({"Int": 1e300, "Long": 1e300, "Double": 0.25}),
        |i| {
            assert_eq!(i.int("Int"), Some(i64::from(i32::MAX)));
            assert_eq!(i.int("Long"), Some(i64::MAX));
            assert_eq!(i.float("Double"), Some(0.25));
        },
    );
    ok(
        &EVERYTHING,
        &json!({"Long": -9_000_000_000i64, "Double": 3}),
        |i| {
            assert_eq!(i.int("Long"), Some(-9_000_000_000));
            assert_eq!(i.float("Double"), Some(3.0));
        },
    );
}

#[test]
fn enum_and_sequence_patterns() {
    let doc = json!({"StreamName": "", "ShardIteratorType": "", "ShardId": "", "StartingSequenceNumber": ""});
    assert_eq!(
        error(&GET_SHARD_ITERATOR, &doc),
        validation(&[
            "Value '' at 'shardId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            "Value '' at 'shardId' failed to satisfy constraint: Member must have length greater than or equal to 1",
            "Value '' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]",
            r"Value '' at 'startingSequenceNumber' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\d{0,128})",
            "Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            "Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ])
    );
}

#[test]
fn list_element_constraints_are_reported_on_the_list() {
    let name = "a".repeat(129);
    assert_eq!(
        error(
            &REMOVE_TAGS,
            &json!({"StreamName": "s", "TagKeys": ["a", name, "b"]})
        ),
        validation(&[&format!(
            "Value '[a, {name}, b]' at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]"
        )])
    );
    let keys: Vec<String> = (1..=11).map(|i| i.to_string()).collect();
    assert_eq!(
        error(&REMOVE_TAGS, &json!({"StreamName": "s", "TagKeys": keys})),
        validation(&[
            "Value '[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]' at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 10"
        ])
    );
    ok(
        &REMOVE_TAGS,
        &json!({"StreamName": "s", "TagKeys": ["a", null, "b"]}),
        |i| {
            assert_eq!(i.str_list("TagKeys"), Some(vec!["a", "b"]));
        },
    );
}

#[test]
fn map_constraints() {
    assert_eq!(
        error(&ADD_TAGS, &json!({"StreamName": "", "Tags": {}})),
        validation(&[
            "Value '{}' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1",
            "Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            "Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ])
    );
    let long_key = "k".repeat(129);
    assert_eq!(
        error(
            &ADD_TAGS,
            &json!({"StreamName": "s", "Tags": {"a": "1", long_key.clone(): "3"}})
        ),
        validation(&[&format!(
            "Value '{{a=1, {long_key}=3}}' at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]"
        )])
    );
    let long_value = "v".repeat(257);
    assert_eq!(
        error(
            &ADD_TAGS,
            &json!({"StreamName": "s", "Tags": {"c": long_value.clone()}})
        ),
        validation(&[&format!(
            "Value '{{c={long_value}}}' at 'tags' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 0]"
        )])
    );
    let mut eleven = serde_json::Map::new();
    for (i, k) in "abcdefghijk".chars().enumerate() {
        eleven.insert(k.to_string(), json!((i + 1).to_string()));
    }
    assert_eq!(
        error(&ADD_TAGS, &json!({"StreamName": "s", "Tags": eleven})),
        validation(&[
            "Value '{a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8, i=9, j=10, k=11}' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 10"
        ])
    );
    ok(
        &ADD_TAGS,
        &json!({"StreamName": "s", "Tags": {"a": "1", "b": "", "n": null}}),
        |i| {
            assert_eq!(i.map_str("Tags"), Some(vec![("a", "1"), ("b", "")]));
        },
    );
}

#[test]
fn nested_paths_through_maps_and_lists() {
    use aws_wire::{Member, Shape};
    static THING_MEMBERS: [Member; 1] = [Member::required("Name", &PARTITION_KEY)];
    static THING: Shape = Shape::Structure(&THING_MEMBERS);
    static THINGS: Shape = Shape::Map {
        key: &Shape::STRING,
        value: &THING,
        min_len: None,
        max_len: None,
    };
    static GRID: Shape = Shape::List {
        member: &STRINGS_LIMITED,
        min_len: None,
        max_len: None,
        member_str: None,
    };
    static STRINGS_LIMITED: Shape = Shape::List {
        member: &Shape::STRING,
        min_len: None,
        max_len: Some(1),
        member_str: None,
    };
    static SCHEMA: [Member; 2] = [
        Member::optional("Things", &THINGS),
        Member::optional("Grid", &GRID),
    ];
    assert_eq!(
        error(
            &SCHEMA,
            &json!({"Things": {"k": {}, "j": {"Name": ""}}, "Grid": [["a"], ["b", "c"]]})
        ),
        validation(&[
            "Value '' at 'things.j.member.name' failed to satisfy constraint: Member must have length greater than or equal to 1",
            "Value null at 'things.k.member.name' failed to satisfy constraint: Member must not be null",
            "Value '[b, c]' at 'grid.2.member' failed to satisfy constraint: Member must have length less than or equal to 1",
        ])
    );
}

#[test]
fn lengths_count_unicode_characters() {
    // 256 two-byte characters are 512 bytes but within the 256-character limit.
    let fits = "é".repeat(256);
    let record =
        |key: &str| json!({"StreamName": "s", "Records": [{"PartitionKey": key, "Data": ""}]});
    ok(&PUT_RECORDS, &record(&fits), |i| {
        assert_eq!(
            i.list("Records").unwrap()[0].str("PartitionKey"),
            Some(fits.as_str())
        );
    });
    let emoji = "😀".repeat(256);
    ok(&PUT_RECORDS, &record(&emoji), |_| {});
    let too_long = "😀".repeat(257);
    assert_eq!(
        error(&PUT_RECORDS, &record(&too_long)),
        validation(&[&format!(
            "Value '{too_long}' at 'records.1.member.partitionKey' failed to satisfy constraint: Member must have length less than or equal to 256"
        )])
    );
}

#[test]
fn base64_blobs() {
    let bad = |data: &str, why: &str| {
        let doc = json!({"StreamName": "s", "Records": [{"PartitionKey": "k", "Data": data}]});
        assert_eq!(
            error(&PUT_RECORDS, &doc),
            ser(&format!("'{data}' can not be converted to a Blob: {why}")),
            "{data:?}"
        );
    };
    bad(
        "a",
        "Base64 encoded length is expected a multiple of 4 bytes but found: 1",
    );
    bad(
        "aGk=a",
        "Base64 encoded length is expected a multiple of 4 bytes but found: 5",
    );
    bad(
        "aé",
        "Base64 encoded length is expected a multiple of 4 bytes but found: 2",
    );
    bad("😀😀", "Invalid Base64 character: '😀'");
    bad("ab c", "Invalid Base64 character: ' '");
    bad("aGk-", "Invalid Base64 character: '-'");
    bad("aGk_", "Invalid Base64 character: '_'");
    bad("AA=A", "Invalid Base64 character: '='");
    bad("AA==AA==", "Invalid Base64 character: '='");
    bad("=AAA", "Invalid Base64 character: '='");
    bad("A===", "Invalid last non-pad Base64 character dectected");
    bad("====", "Invalid last non-pad Base64 character dectected");
    bad("AB==", "Invalid last non-pad Base64 character dectected");
    bad("AAB=", "Invalid last non-pad Base64 character dectected");
    bad(
        "aGk=\n",
        "Base64 encoded length is expected a multiple of 4 bytes but found: 5",
    );

    let good = |data: &str, bytes: &[u8]| {
        let doc = json!({"StreamName": "s", "Records": [{"PartitionKey": "k", "Data": data}]});
        ok(&PUT_RECORDS, &doc, |i| {
            assert_eq!(i.list("Records").unwrap()[0].blob("Data"), Some(bytes));
        });
    };
    good("", b"");
    good("aGk=", b"hi");
    good("aGVsbG8=", b"hello");
    good("+/8=", &[0xfb, 0xff]);
}

#[test]
fn cbor_blobs_are_byte_strings() {
    use ciborium::Value as C;
    let doc = C::Map(vec![
        (C::Text("StreamName".into()), C::Text("s".into())),
        (
            C::Text("Records".into()),
            C::Array(vec![C::Map(vec![
                (C::Text("PartitionKey".into()), C::Text("k".into())),
                (C::Text("Data".into()), C::Bytes(vec![0, 1, 2, 255])),
            ])]),
        ),
    ]);
    let body = cbor_bytes(&doc);
    let mut input = parse(Encoding::Cbor, &body, &PUT_RECORDS).unwrap();
    let mut records = input.take_list("Records").unwrap();
    assert!(!input.has("Records"));
    assert_eq!(records[0].blob("Data"), Some(&[0, 1, 2, 255][..]));
    assert_eq!(records[0].take_blob("Data"), Some(vec![0, 1, 2, 255]));
    assert_eq!(records[0].blob("Data"), None);
    assert_eq!(records[0].take_blob("PartitionKey"), None);
    assert_eq!(records[0].str("PartitionKey"), Some("k"));

    // 1 MiB + 1 bytes is over the limit in CBOR as well.
    let big = C::Map(vec![
        (C::Text("StreamName".into()), C::Text("s".into())),
        (
            C::Text("Records".into()),
            C::Array(vec![C::Map(vec![
                (C::Text("PartitionKey".into()), C::Text("k".into())),
                (C::Text("Data".into()), C::Bytes(vec![0; 1_048_577])),
            ])]),
        ),
    ]);
    let body = cbor_bytes(&big);
    assert_eq!(
        parse(Encoding::Cbor, &body, &PUT_RECORDS).map(|_| ()),
        Err(validation(&[
            "Value 'java.nio.HeapByteBuffer[pos=0 lim=1048577 cap=1048577]' at 'records.1.member.data' failed to satisfy constraint: Member must have length less than or equal to 1048576"
        ]))
    );
}

#[test]
fn timestamps_json_seconds() {
    let at = |t: J| json!({"StreamName": "s", "ShardId": "x", "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": t});
    let ms = |t: J| {
        let bytes = body(Encoding::Json, &at(t));
        parse(Encoding::Json, &bytes, &GET_SHARD_ITERATOR)
            .unwrap()
            .timestamp_ms("Timestamp")
    };
    assert_eq!(ms(json!(1_700_000_000.123)), Some(1_700_000_000_123));
    assert_eq!(ms(json!(1_700_000_000)), Some(1_700_000_000_000));
    assert_eq!(ms(json!(0.0005)), Some(1));
    assert_eq!(ms(json!(-1.5)), Some(-1500));
    let bytes = body(Encoding::Json, &at(json!("1700000000")));
    assert_eq!(
        parse(Encoding::Json, &bytes, &GET_SHARD_ITERATOR).map(|_| ()),
        Err(ser(
            "class java.lang.String can not be converted to milliseconds since epoch"
        ))
    );
}

#[test]
fn timestamps_cbor_millis() {
    use ciborium::Value as C;
    let ms = |t: C| {
        let doc = C::Map(vec![
            (C::Text("StreamName".into()), C::Text("s".into())),
            (C::Text("ShardId".into()), C::Text("x".into())),
            (
                C::Text("ShardIteratorType".into()),
                C::Text("LATEST".into()),
            ),
            (C::Text("Timestamp".into()), t),
        ]);
        let bytes = cbor_bytes(&doc);
        parse(Encoding::Cbor, &bytes, &GET_SHARD_ITERATOR).map(|i| i.timestamp_ms("Timestamp"))
    };
    let tagged = |v: C| C::Tag(1, Box::new(v));
    assert_eq!(
        ms(tagged(C::Integer(1_700_000_000_123i64.into()))),
        Ok(Some(1_700_000_000_123))
    );
    assert_eq!(
        ms(C::Integer(1_700_000_000_123i64.into())),
        Ok(Some(1_700_000_000_123))
    );
    assert_eq!(
        ms(tagged(C::Float(1_700_000_000_123.0))),
        Ok(Some(1_700_000_000_123))
    );
    assert_eq!(
        ms(C::Float(1_700_000_000_123.4)),
        Ok(Some(1_700_000_000_123))
    );
    assert_eq!(ms(tagged(C::Integer((-5).into()))), Ok(Some(-5)));
    assert_eq!(
        ms(tagged(C::Text("2023".into()))).map(|_| ()),
        Err(ser(
            "class java.lang.String can not be converted to milliseconds since epoch"
        ))
    );
    assert_eq!(
        ms(C::Bool(true)).map(|_| ()),
        Err(ser(
            "class java.lang.Boolean can not be converted to milliseconds since epoch"
        ))
    );
}

#[test]
fn getters() {
    let doc = json!({
        "Str": "s", "Int": 7, "Long": 1_700_000_000_000i64, "Double": 2.5, "Bool": true,
        "Blob": "aGk=", "Time": 10, "List": ["x", "y"], "Map": {"k": "v"},
        "Struct": {"Name": "n", "Count": 3, "Extra": [1]},
        "Structs": [{"Name": "a"}, null, {"Count": 2}],
        "Bools": [true, false],
    });
    ok(&EVERYTHING, &doc, |i| {
        assert_eq!(i.str("Str"), Some("s"));
        assert_eq!(i.int("Int"), Some(7));
        assert_eq!(i.int("Long"), Some(1_700_000_000_000));
        assert_eq!(i.float("Double"), Some(2.5));
        assert_eq!(i.bool("Bool"), Some(true));
        assert_eq!(i.blob("Blob"), Some(&b"hi"[..]));
        assert!(i.timestamp_ms("Time").is_some());
        assert_eq!(i.str_list("List"), Some(vec!["x", "y"]));
        assert_eq!(i.map_str("Map"), Some(vec![("k", "v")]));
        let s = i.structure("Struct").unwrap();
        assert_eq!((s.str("Name"), s.int("Count")), (Some("n"), Some(3)));
        assert!(!s.has("Extra"));
        let list = i.list("Structs").unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].str("Name"), Some("a"));
        assert_eq!(list[1].int("Count"), Some(2));
        let bools: Vec<bool> = i
            .items("Bools")
            .unwrap()
            .iter()
            .filter_map(Item::as_bool)
            .collect();
        assert_eq!(bools, [true, false]);
        // Wrong-type and unknown lookups are None, not panics.
        assert_eq!(i.int("Str"), None);
        assert_eq!(i.str("Nope"), None);
        assert!(i.list("List").is_none());
        assert!(i.items("Structs").is_none());
        assert!(i.has("Bool"));
        assert!(!i.has("Nope"));
        assert_eq!(i.iter().count(), 12);
    });
    // JSON timestamps are seconds, CBOR milliseconds.
    let bytes = body(Encoding::Json, &json!({"Time": 10}));
    assert_eq!(
        parse(Encoding::Json, &bytes, &EVERYTHING)
            .unwrap()
            .timestamp_ms("Time"),
        Some(10_000)
    );
    let bytes = body(Encoding::Cbor, &json!({"Time": 10}));
    assert_eq!(
        parse(Encoding::Cbor, &bytes, &EVERYTHING)
            .unwrap()
            .timestamp_ms("Time"),
        Some(10)
    );
}

#[test]
fn json_strings_are_borrowed_from_the_body() {
    let body = br#"{"StreamName":"plain","Records":[{"PartitionKey":"k","Data":"aGk="}]}"#;
    let input = parse(Encoding::Json, body, &PUT_RECORDS).unwrap();
    let name = input.str("StreamName").unwrap();
    let range = body.as_ptr_range();
    assert!(range.contains(&name.as_ptr()), "StreamName was copied");
}

#[test]
fn duplicate_keys_last_wins() {
    let body = br#"{"StreamName":"a","StreamName":"b","ShardCount":1,"ShardCount":null}"#;
    assert_eq!(
        parse(Encoding::Json, body, &CREATE_STREAM).map(|_| ()),
        Err(validation(&[
            "Value null at 'shardCount' failed to satisfy constraint: Member must not be null"
        ]))
    );
    let body = br#"{"StreamName":"a","StreamName":"b","ShardCount":1}"#;
    assert_eq!(
        parse(Encoding::Json, body, &CREATE_STREAM)
            .unwrap()
            .str("StreamName"),
        Some("b")
    );
}

#[test]
fn error_accessors() {
    let v = validation(&["x"]);
    assert_eq!(v.code(), "ValidationException");
    assert_eq!(v.http_status(), 400);
    assert_eq!(
        v.to_string(),
        "ValidationException: 1 validation error detected: x"
    );
    let s = WireError::Serialization(String::new());
    assert_eq!(s.code(), "SerializationException");
    assert_eq!(s.message(), None);
    assert_eq!(s.to_string(), "SerializationException");
    assert_eq!(
        s.to_body(Encoding::Json),
        br#"{"__type":"SerializationException"}"#
    );
    assert_eq!(
        ser("bad").to_body(Encoding::Json),
        br#"{"__type":"SerializationException","Message":"bad"}"#
    );
}
