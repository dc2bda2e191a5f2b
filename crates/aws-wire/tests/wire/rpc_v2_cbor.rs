//! Smithy RPC v2 CBOR: what aws-sdk-rust (smithy-rs's CBOR codec), botocore and the other SDKs
//! send reads back, and what the writer sends is what smithy-rs reads. Timestamps are tag 1
//! over epoch *seconds* here, unlike AWS CBOR 1.1's milliseconds.

use aws_smithy_cbor::{Decoder, Encoder};
use aws_smithy_types::DateTime;
use aws_wire::{Encoding, Member, Shape, Writer, decode, parse, query_compatible_error};
use proptest::prelude::*;

static DOUBLES: Shape = Shape::List {
    member: &Shape::DOUBLE,
    min_len: None,
    max_len: None,
    member_str: None,
};
static TIMES: Shape = Shape::List {
    member: &Shape::Timestamp,
    min_len: None,
    max_len: None,
    member_str: None,
};
static DIMENSION_MEMBERS: [Member; 2] = [
    Member::required("Name", &Shape::STRING),
    Member::required("Value", &Shape::STRING),
];
static DIMENSION: Shape = Shape::Structure(&DIMENSION_MEMBERS);
static DIMENSIONS: Shape = Shape::List {
    member: &DIMENSION,
    min_len: None,
    max_len: None,
    member_str: None,
};
static COUNTS: Shape = Shape::Map {
    key: &Shape::STRING,
    value: &Shape::DOUBLE,
    min_len: None,
    max_len: None,
};
/// A MetricDatum-like structure with one member of each kind.
static DATUM: [Member; 8] = [
    Member::required("MetricName", &Shape::STRING),
    Member::optional("Value", &Shape::DOUBLE),
    Member::optional("Values", &DOUBLES),
    Member::optional("Timestamp", &Shape::Timestamp),
    Member::optional("Times", &TIMES),
    Member::optional("Dimensions", &DIMENSIONS),
    Member::optional("Counts", &COUNTS),
    Member::optional("Resolution", &Shape::INTEGER),
];

fn tagged_map(key: &str, value: &[u8]) -> Vec<u8> {
    let mut body = vec![0xa1, 0x60 | key.len() as u8];
    body.extend_from_slice(key.as_bytes());
    body.extend_from_slice(value);
    body
}

/// The `Value` (a Double) of a one-member body `{"Value": <bytes>}`.
fn double(value: &[u8]) -> Option<f64> {
    let body = tagged_map("Value", value);
    parse(Encoding::RpcV2Cbor, &body, &ONE_DOUBLE)
        .expect("valid")
        .float("Value")
}
static ONE_DOUBLE: [Member; 1] = [Member::optional("Value", &Shape::DOUBLE)];

/// The `Timestamp` of a one-member body, in epoch milliseconds.
fn timestamp(value: &[u8]) -> Option<i64> {
    let body = tagged_map("Timestamp", value);
    parse(Encoding::RpcV2Cbor, &body, &ONE_TIME)
        .expect("valid")
        .timestamp_ms("Timestamp")
}
static ONE_TIME: [Member; 1] = [Member::optional("Timestamp", &Shape::Timestamp)];

#[test]
fn floats_of_every_width_and_integers() {
    // Half precision: 1.5, NaN, +inf, -inf (botocore's non-finite spellings).
    assert_eq!(double(&[0xf9, 0x3e, 0x00]), Some(1.5));
    assert!(double(&[0xf9, 0x7e, 0x00]).is_some_and(f64::is_nan));
    assert_eq!(double(&[0xf9, 0x7c, 0x00]), Some(f64::INFINITY));
    assert_eq!(double(&[0xf9, 0xfc, 0x00]), Some(f64::NEG_INFINITY));
    // Single and double precision.
    let mut single = vec![0xfa];
    single.extend_from_slice(&0.1f32.to_be_bytes());
    assert_eq!(double(&single), Some(f64::from(0.1f32)));
    let mut full = vec![0xfb];
    full.extend_from_slice(&1e-5f64.to_be_bytes());
    assert_eq!(double(&full), Some(1e-5));
    // Integers where a double is modeled, as the spec allows senders to shorten floats.
    assert_eq!(double(&[0x18, 41]), Some(41.0));
    assert_eq!(double(&[0x20]), Some(-1.0));
    assert_eq!(
        double(&[0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        Some(u64::MAX as f64)
    );
    // `undefined` and null are both absent.
    assert_eq!(double(&[0xf7]), None);
    assert_eq!(double(&[0xf6]), None);
}

#[test]
fn timestamps_are_tag_1_epoch_seconds() {
    // Tag 1 + unsigned integer seconds: what botocore sends.
    let mut int = vec![0xc1, 0x1a];
    int.extend_from_slice(&1_700_000_000u32.to_be_bytes());
    assert_eq!(timestamp(&int), Some(1_700_000_000_000));
    // Tag 1 + f64 seconds with milliseconds: what smithy-rs sends.
    let mut float = vec![0xc1, 0xfb];
    float.extend_from_slice(&1_700_000_000.123f64.to_be_bytes());
    assert_eq!(timestamp(&float), Some(1_700_000_000_123));
    // Tag 1 + half (1.5 s) and single (1e9 s, exact in f32) floats.
    assert_eq!(timestamp(&[0xc1, 0xf9, 0x3e, 0x00]), Some(1500));
    let mut single = vec![0xc1, 0xfa];
    single.extend_from_slice(&1e9f32.to_be_bytes());
    assert_eq!(timestamp(&single), Some(1_000_000_000_000));
    // Negative seconds, and an untagged number (accepted too).
    assert_eq!(timestamp(&[0xc1, 0x20]), Some(-1000));
    assert_eq!(timestamp(&[0xc1, 0xf9, 0xbc, 0x00]), Some(-1000));
    assert_eq!(timestamp(&[0x18, 100]), Some(100_000));
    // The same bytes in AWS CBOR 1.1 are milliseconds.
    let body = tagged_map("Timestamp", &int);
    let input = parse(Encoding::Cbor, &body, &ONE_TIME).unwrap();
    assert_eq!(input.timestamp_ms("Timestamp"), Some(1_700_000_000));
}

#[test]
fn definite_and_indefinite_containers() {
    // {_ "MetricName": "m", "Values": [_ 1.5, 2], "Dimensions": [{"Name": "a", "Value": "b"}],
    //    "Counts": {_ "x": 1}}
    let mut body = vec![0xbf, 0x6a];
    body.extend_from_slice(b"MetricName");
    body.extend_from_slice(&[0x61, b'm', 0x66]);
    body.extend_from_slice(b"Values");
    body.extend_from_slice(&[0x9f, 0xf9, 0x3e, 0x00, 0x02, 0xff, 0x6a]);
    body.extend_from_slice(b"Dimensions");
    body.extend_from_slice(&[0x81, 0xa2, 0x64]);
    body.extend_from_slice(b"Name");
    body.extend_from_slice(&[0x61, b'a', 0x65]);
    body.extend_from_slice(b"Value");
    body.extend_from_slice(&[0x61, b'b', 0x66]);
    body.extend_from_slice(b"Counts");
    body.extend_from_slice(&[0xbf, 0x61, b'x', 0x01, 0xff, 0xff]);
    let input = parse(Encoding::RpcV2Cbor, &body, &DATUM).unwrap();
    assert_eq!(input.str("MetricName"), Some("m"));
    let values: Vec<f64> = input
        .items("Values")
        .unwrap()
        .iter()
        .filter_map(|i| i.as_float())
        .collect();
    assert_eq!(values, [1.5, 2.0]);
    let dims = input.list("Dimensions").unwrap();
    assert_eq!(
        (dims[0].str("Name"), dims[0].str("Value")),
        (Some("a"), Some("b"))
    );
    let counts = input.map("Counts").unwrap();
    assert_eq!(counts[0].0, "x");
    assert_eq!(counts[0].1.as_float(), Some(1.0));

    // Truncated or trailing bytes are unreadable.
    assert!(decode(Encoding::RpcV2Cbor, &body[..body.len() - 1]).is_err());
    let mut trailing = body.clone();
    trailing.push(0xff);
    assert!(decode(Encoding::RpcV2Cbor, &trailing).is_err());
}

#[test]
fn empty_body_is_an_empty_input() {
    static OPTIONAL: [Member; 1] = [Member::optional("Value", &Shape::DOUBLE)];
    let input = parse(Encoding::RpcV2Cbor, b"", &OPTIONAL).unwrap();
    assert!(!input.has("Value"));
    let err = parse(Encoding::RpcV2Cbor, b"", &DATUM).unwrap_err();
    assert_eq!(err.code(), "ValidationException");
    // AWS CBOR 1.1 (Kinesis) still refuses an empty body.
    assert!(parse(Encoding::Cbor, b"", &OPTIONAL).is_err());
}

#[test]
fn reads_what_smithy_rs_encodes() {
    let mut e = Encoder::new(Vec::new());
    e.begin_map()
        .str("MetricName")
        .str("Latency")
        .str("Value")
        .double(0.25)
        .str("Timestamp")
        .timestamp(&DateTime::from_millis(1_758_321_960_123))
        .str("Times")
        .array(2)
        .timestamp(&DateTime::from_millis(-1_500))
        .timestamp(&DateTime::from_millis(0))
        .str("Values")
        .array(3)
        .double(f64::NAN)
        .double(f64::NEG_INFINITY)
        .integer(7)
        .str("Dimensions")
        .array(1)
        .begin_map()
        .str("Name")
        .str("Op")
        .str("Value")
        .str("get")
        .end()
        .str("Resolution")
        .integer(1)
        .str("Unknown")
        .null()
        .end();
    let body = e.into_writer();
    let input = parse(Encoding::RpcV2Cbor, &body, &DATUM).unwrap();
    assert_eq!(input.str("MetricName"), Some("Latency"));
    assert_eq!(input.float("Value"), Some(0.25));
    assert_eq!(input.timestamp_ms("Timestamp"), Some(1_758_321_960_123));
    let times: Vec<i64> = input
        .items("Times")
        .unwrap()
        .iter()
        .filter_map(|i| i.as_timestamp_ms())
        .collect();
    assert_eq!(times, [-1_500, 0]);
    let values: Vec<f64> = input
        .items("Values")
        .unwrap()
        .iter()
        .filter_map(|i| i.as_float())
        .collect();
    assert!(values[0].is_nan());
    assert_eq!(values[1..], [f64::NEG_INFINITY, 7.0]);
    assert_eq!(
        input.list("Dimensions").unwrap()[0].str("Value"),
        Some("get")
    );
    assert_eq!(input.int("Resolution"), Some(1));
}

#[test]
fn smithy_rs_reads_what_we_write() {
    let mut w = Writer::new(Encoding::RpcV2Cbor);
    w.begin_map(None);
    w.key("Timestamps");
    w.begin_array(Some(3));
    w.timestamp_ms(1_758_321_960_000);
    w.timestamp_ms(1_758_321_960_007);
    w.timestamp_ms(-1);
    w.end_array();
    w.key("Values");
    w.begin_array(None);
    for v in [41.0, 1e-5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0] {
        w.float(v);
    }
    w.end_array();
    w.key("Label");
    w.str("é & <b>");
    w.key("Count");
    w.int(-3);
    w.end_map();
    let body = w.finish();

    let mut d = Decoder::new(&body);
    assert_eq!(d.map().unwrap(), None);
    assert_eq!(d.str().unwrap(), "Timestamps");
    assert_eq!(d.list().unwrap(), Some(3));
    for ms in [1_758_321_960_000, 1_758_321_960_007, -1] {
        assert_eq!(d.timestamp().unwrap().to_millis().unwrap(), ms);
    }
    assert_eq!(d.str().unwrap(), "Values");
    assert_eq!(d.list().unwrap(), None);
    assert_eq!(d.double().unwrap(), 41.0);
    assert_eq!(d.double().unwrap(), 1e-5);
    assert!(d.double().unwrap().is_nan());
    assert_eq!(d.double().unwrap(), f64::INFINITY);
    assert_eq!(d.double().unwrap(), f64::NEG_INFINITY);
    assert!(d.double().unwrap().is_sign_negative());
    d.skip().unwrap(); // the break that ends the indefinite array
    assert_eq!(d.str().unwrap(), "Label");
    assert_eq!(d.str().unwrap(), "é & <b>");
    assert_eq!(d.str().unwrap(), "Count");
    assert_eq!(d.long().unwrap(), -3);
}

#[test]
fn query_compatible_errors_in_cbor() {
    let (body, header) = query_compatible_error(
        Encoding::RpcV2Cbor,
        "com.amazonaws.cloudwatch.v2010_08_01",
        "InvalidParameterValueException",
        "InvalidParameterValue",
        true,
        Some("bad"),
    );
    assert_eq!(header, "InvalidParameterValue;Sender");
    let v: ciborium::Value = ciborium::de::from_reader(body.as_slice()).unwrap();
    assert_eq!(
        v,
        ciborium::Value::Map(vec![
            (
                "__type".into(),
                "com.amazonaws.cloudwatch.v2010_08_01#InvalidParameterValueException".into()
            ),
            ("message".into(), "bad".into()),
        ])
    );
    // No message key at all when there is no message, as AWS sends ResourceNotFound.
    let (body, header) = query_compatible_error(
        Encoding::RpcV2Cbor,
        "com.amazonaws.cloudwatch.v2010_08_01",
        "InternalServiceFault",
        "InternalServiceError",
        false,
        None,
    );
    assert_eq!(header, "InternalServiceError;Receiver");
    let v: ciborium::Value = ciborium::de::from_reader(body.as_slice()).unwrap();
    assert_eq!(
        v,
        ciborium::Value::Map(vec![(
            "__type".into(),
            "com.amazonaws.cloudwatch.v2010_08_01#InternalServiceFault".into()
        )])
    );
}

proptest! {
    /// Any millisecond timestamp in years 1653..2286 survives our writer and smithy-rs's
    /// reader, and smithy-rs's writer and our reader.
    #[test]
    fn timestamps_round_trip_with_smithy_rs(ms in -10_000_000_000_000i64..10_000_000_000_000) {
        let mut w = Writer::new(Encoding::RpcV2Cbor);
        w.begin_map(Some(1));
        w.key("Timestamp");
        w.timestamp_ms(ms);
        w.end_map();
        let body = w.finish();
        let input = parse(Encoding::RpcV2Cbor, &body, &ONE_TIME).unwrap();
        prop_assert_eq!(input.timestamp_ms("Timestamp"), Some(ms));
        let mut d = Decoder::new(&body);
        d.map().unwrap();
        d.str().unwrap();
        prop_assert_eq!(d.timestamp().unwrap().to_millis().unwrap(), ms);

        let mut e = Encoder::new(Vec::new());
        e.map(1).str("Timestamp").timestamp(&DateTime::from_millis(ms));
        let theirs = e.into_writer();
        let input = parse(Encoding::RpcV2Cbor, &theirs, &ONE_TIME).unwrap();
        prop_assert_eq!(input.timestamp_ms("Timestamp"), Some(ms));
    }

    /// Every double, NaN and the infinities included, reads back bit for bit (NaN as NaN).
    #[test]
    fn doubles_round_trip(v in any::<f64>()) {
        let mut w = Writer::new(Encoding::RpcV2Cbor);
        w.begin_map(Some(1));
        w.key("Value");
        w.float(v);
        w.end_map();
        let got = parse(Encoding::RpcV2Cbor, &w.finish(), &ONE_DOUBLE).unwrap().float("Value");
        match got {
            Some(g) if v.is_nan() => prop_assert!(g.is_nan()),
            Some(g) => prop_assert_eq!(g.to_bits(), v.to_bits()),
            None => prop_assert!(false, "missing"),
        }
    }
}
