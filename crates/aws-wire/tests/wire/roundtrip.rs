//! Writer -> decode -> validate round trips, and decoding arbitrary bytes without panics.

use crate::common::EVERYTHING;
use aws_wire::{Encoding, Value, Writer, decode, parse};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Doc {
    text: String,
    int: i32,
    long: i64,
    double: f64,
    flag: bool,
    blob: Vec<u8>,
    time_ms: i64,
    list: Vec<String>,
    map: Vec<(String, String)>,
    inner: Option<(String, i32)>,
}

fn doc() -> impl Strategy<Value = Doc> {
    (
        (
            any::<String>(),
            any::<i32>(),
            any::<i64>(),
            any::<f64>().prop_filter("finite", |f| f.is_finite()),
        ),
        (
            any::<bool>(),
            proptest::collection::vec(any::<u8>(), 0..300),
        ),
        // Year 1653 to 2286: JSON carries seconds as a double, exact to the millisecond here.
        -10_000_000_000_000i64..10_000_000_000_000,
        proptest::collection::vec(any::<String>(), 0..5),
        proptest::collection::btree_map(any::<String>(), any::<String>(), 0..5),
        proptest::option::of((any::<String>(), any::<i32>())),
    )
        .prop_map(
            |((text, int, long, double), (flag, blob), time_ms, list, map, inner)| Doc {
                text,
                int,
                long,
                double,
                flag,
                blob,
                time_ms,
                list,
                map: map.into_iter().collect(),
                inner,
            },
        )
}

fn write(enc: Encoding, d: &Doc, definite: bool) -> Vec<u8> {
    let len = |n: usize| definite.then_some(n);
    let mut w = Writer::with_capacity(enc, 1024);
    w.begin_map(len(11));
    w.key("Str");
    w.str(&d.text);
    w.key("Int");
    w.int(d.int.into());
    w.key("Long");
    w.int(d.long);
    w.key("Double");
    w.float(d.double);
    w.key("Bool");
    w.bool(d.flag);
    w.key("Blob");
    w.bytes(&d.blob);
    w.key("Time");
    w.timestamp_ms(d.time_ms);
    w.key("List");
    w.begin_array(len(d.list.len()));
    for s in &d.list {
        w.str(s);
    }
    w.end_array();
    w.key("Map");
    w.begin_map(len(d.map.len()));
    for (k, v) in &d.map {
        w.key(k);
        w.str(v);
    }
    w.end_map();
    w.key("Struct");
    match &d.inner {
        Some((name, count)) => {
            w.begin_map(len(2));
            w.key("Name");
            w.str(name);
            w.key("Count");
            w.int((*count).into());
            w.end_map();
        }
        None => w.null(),
    }
    w.key("Unknown");
    w.begin_array(len(2));
    w.uint(u64::MAX);
    w.null();
    w.end_array();
    w.end_map();
    w.finish()
}

/// The same document as a query request, as botocore would send it: `member.N` lists,
/// `entry.N` maps, `X=` for an empty list or map, ISO 8601 timestamps (formatted by smithy-rs),
/// doubles in either notation, and everything form-encoded by the `url` crate.
fn query_body(d: &Doc) -> Vec<u8> {
    use aws_smithy_types::DateTime;
    use aws_smithy_types::date_time::Format;
    use base64::Engine as _;
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("Action", "Everything");
    form.append_pair("Version", "2010-08-01");
    form.append_pair("Str", &d.text);
    form.append_pair("Int", &d.int.to_string());
    form.append_pair("Long", &d.long.to_string());
    let double = if d.flag {
        format!("{:e}", d.double)
    } else {
        format!("{}", d.double)
    };
    form.append_pair("Double", &double);
    form.append_pair("Bool", if d.flag { "true" } else { "false" });
    form.append_pair(
        "Blob",
        &base64::engine::general_purpose::STANDARD.encode(&d.blob),
    );
    let time = DateTime::from_millis(d.time_ms)
        .fmt(Format::DateTime)
        .map_err(|e| e.to_string())
        .unwrap_or_default();
    form.append_pair("Time", &time);
    if d.list.is_empty() {
        form.append_pair("List", "");
    }
    for (i, s) in d.list.iter().enumerate() {
        form.append_pair(&format!("List.member.{}", i + 1), s);
    }
    if d.map.is_empty() {
        form.append_pair("Map", "");
    }
    for (i, (k, v)) in d.map.iter().enumerate() {
        form.append_pair(&format!("Map.entry.{}.key", i + 1), k);
        form.append_pair(&format!("Map.entry.{}.value", i + 1), v);
    }
    if let Some((name, count)) = &d.inner {
        form.append_pair("Struct.Name", name);
        form.append_pair("Struct.Count", &count.to_string());
    }
    form.append_pair("Unknown.member.1", "x");
    form.finish().into_bytes()
}

fn check(enc: Encoding, d: &Doc, definite: bool) -> Result<(), TestCaseError> {
    let body = if enc == Encoding::Query {
        query_body(d)
    } else {
        write(enc, d, definite)
    };
    let input = parse(enc, &body, &EVERYTHING).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(input.str("Str"), Some(d.text.as_str()));
    prop_assert_eq!(input.int("Int"), Some(i64::from(d.int)));
    prop_assert_eq!(input.int("Long"), Some(d.long));
    prop_assert_eq!(input.float("Double"), Some(d.double));
    prop_assert_eq!(input.bool("Bool"), Some(d.flag));
    prop_assert_eq!(input.blob("Blob"), Some(d.blob.as_slice()));
    prop_assert_eq!(input.timestamp_ms("Time"), Some(d.time_ms));
    let list: Vec<&str> = d.list.iter().map(String::as_str).collect();
    prop_assert_eq!(input.str_list("List"), Some(list));
    let map: Vec<(&str, &str)> = d
        .map
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    prop_assert_eq!(input.map_str("Map"), Some(map));
    match &d.inner {
        Some((name, count)) => {
            let s = input.structure("Struct").expect("struct present");
            prop_assert_eq!(s.str("Name"), Some(name.as_str()));
            prop_assert_eq!(s.int("Count"), Some(i64::from(*count)));
        }
        None => prop_assert!(!input.has("Struct")),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn json_round_trip(d in doc()) {
        check(Encoding::Json, &d, true)?;
    }

    #[test]
    fn cbor_round_trip_definite(d in doc()) {
        check(Encoding::Cbor, &d, true)?;
    }

    #[test]
    fn cbor_round_trip_indefinite(d in doc()) {
        check(Encoding::Cbor, &d, false)?;
    }

    #[test]
    fn rpc_v2_cbor_round_trip_definite(d in doc()) {
        check(Encoding::RpcV2Cbor, &d, true)?;
    }

    #[test]
    fn rpc_v2_cbor_round_trip_indefinite(d in doc()) {
        check(Encoding::RpcV2Cbor, &d, false)?;
    }

    #[test]
    fn query_round_trip(d in doc()) {
        check(Encoding::Query, &d, true)?;
    }

    #[test]
    fn json_strings_agree_with_serde_json(s in any::<String>()) {
        let mut w = Writer::new(Encoding::Json);
        w.str(&s);
        let out = w.finish();
        let back: String = serde_json::from_slice(&out).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, s);
    }

    #[test]
    fn integers_round_trip(i in any::<i64>(), u in any::<u64>()) {
        for enc in [Encoding::Json, Encoding::Cbor, Encoding::RpcV2Cbor] {
            let mut w = Writer::new(enc);
            w.begin_map(Some(2));
            w.key("i");
            w.int(i);
            w.key("u");
            w.uint(u);
            w.end_map();
            let body = w.finish();
            let v = decode(enc, &body).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(v, Value::Map(vec![
                ("i".into(), Value::Int(i.into())),
                ("u".into(), Value::Int(u.into())),
            ]));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        for enc in [Encoding::Json, Encoding::Cbor, Encoding::RpcV2Cbor, Encoding::Query] {
            if let Ok(v) = decode(enc, &bytes) {
                let _ = aws_wire::validate(v, &EVERYTHING, enc);
            }
        }
        if let Ok(q) = aws_wire::decode_query(&bytes) {
            let _ = aws_wire::validate(q.params, &EVERYTHING, Encoding::Query);
        }
    }

    #[test]
    fn mutated_documents_never_panic(
        d in doc(),
        cuts in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        for enc in [Encoding::Json, Encoding::Cbor, Encoding::RpcV2Cbor, Encoding::Query] {
            let mut body = if enc == Encoding::Query {
                query_body(&d)
            } else {
                write(enc, &d, enc == Encoding::Json)
            };
            for (at, byte) in &cuts {
                let i = at.index(body.len());
                body[i] = *byte;
            }
            let _ = parse(enc, &body, &EVERYTHING);
            let _ = parse(enc, &body[..body.len() / 2], &EVERYTHING);
        }
    }
}

/// RPC v2 CBOR timestamps are tag 1 and epoch seconds (integer or float), unlike AWS CBOR 1.1's
/// milliseconds; both directions.
#[test]
fn rpc_v2_cbor_timestamps_are_seconds() {
    use aws_wire::{Member, Shape, Writer, parse};
    static TS: Shape = Shape::Timestamp;
    static MEMBERS: [Member; 1] = [Member::optional("T", &TS)];
    let tagged = |v: ciborium::Value| {
        let map = ciborium::Value::Map(vec![(
            ciborium::Value::Text("T".into()),
            ciborium::Value::Tag(1, Box::new(v)),
        )]);
        let mut out = Vec::new();
        ciborium::ser::into_writer(&map, &mut out).unwrap();
        out
    };
    let int = tagged(ciborium::Value::Integer(1_700_000_000.into()));
    let input = parse(Encoding::RpcV2Cbor, &int, &MEMBERS).unwrap();
    assert_eq!(input.timestamp_ms("T"), Some(1_700_000_000_000));
    let float = tagged(ciborium::Value::Float(1_700_000_000.25));
    let input = parse(Encoding::RpcV2Cbor, &float, &MEMBERS).unwrap();
    assert_eq!(input.timestamp_ms("T"), Some(1_700_000_000_250));
    // The same bytes in AWS CBOR 1.1 are milliseconds.
    let input = parse(Encoding::Cbor, &int, &MEMBERS).unwrap();
    assert_eq!(input.timestamp_ms("T"), Some(1_700_000_000));

    let mut w = Writer::new(Encoding::RpcV2Cbor);
    w.begin_map(Some(1));
    w.key("T");
    w.timestamp_ms(1_700_000_000_250);
    w.end_map();
    let back: ciborium::Value = ciborium::de::from_reader(&w.finish()[..]).unwrap();
    let ciborium::Value::Map(entries) = back else {
        panic!("map")
    };
    assert_eq!(
        entries[0].1,
        ciborium::Value::Tag(1, Box::new(ciborium::Value::Float(1_700_000_000.25)))
    );
}

/// AWS JSON 1.0 spells non-finite doubles as strings, both ways.
#[test]
fn json_non_finite_doubles() {
    use aws_wire::{Member, Shape, Writer, parse};
    static D: Shape = Shape::DOUBLE;
    static MEMBERS: [Member; 1] = [Member::optional("V", &D)];
    let input = parse(Encoding::Json, br#"{"V":"NaN"}"#, &MEMBERS).unwrap();
    assert!(input.float("V").unwrap().is_nan());
    let input = parse(Encoding::Json, br#"{"V":"-Infinity"}"#, &MEMBERS).unwrap();
    assert_eq!(input.float("V"), Some(f64::NEG_INFINITY));
    assert!(parse(Encoding::Json, br#"{"V":"nope"}"#, &MEMBERS).is_err());
    let mut w = Writer::new(Encoding::Json);
    w.begin_array(None);
    w.float(f64::INFINITY);
    w.end_array();
    assert_eq!(w.finish(), br#"["Infinity"]"#);
}

/// Query requests validate into typed values, and the writer answers in XML.
#[test]
fn query_protocol_in_and_out() {
    use aws_wire::{Member, Shape, Writer, parse, query_response};
    static INT: Shape = Shape::INTEGER;
    static DOUBLE: Shape = Shape::DOUBLE;
    static BOOL: Shape = Shape::Boolean;
    static TS: Shape = Shape::Timestamp;
    static STR: Shape = Shape::STRING;
    static DOUBLES: Shape = Shape::List {
        member: &DOUBLE,
        min_len: None,
        max_len: None,
        member_str: None,
    };
    static MEMBERS: [Member; 6] = [
        Member::optional("Period", &INT),
        Member::optional("Value", &DOUBLE),
        Member::optional("Flag", &BOOL),
        Member::optional("Start", &TS),
        Member::optional("Values", &DOUBLES),
        Member::optional("Name", &STR),
    ];
    let body = b"Action=X&Period=60&Value=1.0E-5&Flag=true&Start=2016-10-03T23%3A00%3A00Z&Values=&Name=a%26b";
    let input = parse(Encoding::Query, body, &MEMBERS).unwrap();
    assert_eq!(input.int("Period"), Some(60));
    assert_eq!(input.float("Value"), Some(1e-5));
    assert_eq!(input.bool("Flag"), Some(true));
    assert_eq!(input.timestamp_ms("Start"), Some(1_475_535_600_000));
    assert_eq!(input.items("Values").map(<[_]>::len), Some(0));
    assert_eq!(input.str("Name"), Some("a&b"));
    assert!(parse(Encoding::Query, b"Period=soon", &MEMBERS).is_err());
    assert!(parse(Encoding::Query, b"Start=yesterday", &MEMBERS).is_err());

    let mut w = Writer::new(Encoding::Query);
    w.begin_map(None);
    w.key("Label");
    w.str("a<b");
    w.key("Values");
    w.begin_array(None);
    w.float(41.0);
    w.float(1e-5);
    w.end_array();
    w.key("Empty");
    w.begin_array(Some(0));
    w.end_array();
    w.key("Stats");
    w.begin_dict(None);
    w.key("p99");
    w.float(2.5);
    w.end_dict();
    w.key("At");
    w.timestamp_ms(1_758_321_960_000);
    w.end_map();
    let xml = String::from_utf8(query_response("Op", "ns", Some(&w.finish()), "id")).unwrap();
    assert_eq!(
        xml,
        "<OpResponse xmlns=\"ns\"><OpResult><Label>a&lt;b</Label><Values><member>41.0</member><member>1.0E-5</member></Values><Empty/><Stats><entry><key>p99</key><value>2.5</value></entry></Stats><At>2025-09-19T22:46:00Z</At></OpResult><ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></OpResponse>"
    );
}

proptest! {
    /// Form bodies built from arbitrary keys and values never panic the query decoder or the
    /// validator, whatever the nesting.
    #[test]
    fn arbitrary_query_forms_never_panic(
        pairs in proptest::collection::vec(("[A-Za-z0-9.%+]{0,40}", "[ -~]{0,20}"), 0..20),
    ) {
        let body = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        if let Ok(v) = decode(Encoding::Query, body.as_bytes()) {
            let _ = aws_wire::validate(v, &EVERYTHING, Encoding::Query);
        }
    }
}
