//! AWS JSON 1.0 as botocore ≥ 1.42.8 speaks it to CloudWatch: non-finite doubles as strings,
//! timestamps as integer or fractional epoch seconds, and query-compatible error answers.

use aws_wire::{Encoding, Member, Shape, WireError, Writer, parse, query_compatible_error};

static DOUBLES: Shape = Shape::List {
    member: &Shape::DOUBLE,
    min_len: None,
    max_len: None,
    member_str: None,
};
static STATS: Shape = Shape::Map {
    key: &Shape::STRING,
    value: &Shape::DOUBLE,
    min_len: None,
    max_len: None,
};
static MEMBERS: [Member; 5] = [
    Member::optional("Value", &Shape::DOUBLE),
    Member::optional("Values", &DOUBLES),
    Member::optional("Stats", &STATS),
    Member::optional("Period", &Shape::INTEGER),
    Member::optional("StartTime", &Shape::Timestamp),
];

fn ser(m: &str) -> WireError {
    WireError::Serialization(m.to_owned())
}

#[test]
fn non_finite_doubles_are_strings() {
    let body = br#"{"Value":"NaN","Values":["Infinity",1.5,"-Infinity",2],"Stats":{"p99":"NaN","p50":0.5}}"#;
    let input = parse(Encoding::Json, body, &MEMBERS).unwrap();
    assert!(input.float("Value").unwrap().is_nan());
    let values: Vec<f64> = input
        .items("Values")
        .unwrap()
        .iter()
        .filter_map(|i| i.as_float())
        .collect();
    assert_eq!(values, [f64::INFINITY, 1.5, f64::NEG_INFINITY, 2.0]);
    let stats = input.map("Stats").unwrap();
    assert!(stats[0].1.as_float().unwrap().is_nan());
    assert_eq!(stats[1].1.as_float(), Some(0.5));

    // Only the three exact spellings, and only where a Double is modeled.
    let double_err = "class java.lang.String can not be converted to an Double";
    for other in ["nan", "inf", "Inf", "+Infinity", "1.5", ""] {
        let body = format!(r#"{{"Value":"{other}"}}"#);
        assert_eq!(
            parse(Encoding::Json, body.as_bytes(), &MEMBERS).map(|_| ()),
            Err(ser(double_err)),
            "{other}"
        );
    }
    assert_eq!(
        parse(Encoding::Json, br#"{"Period":"NaN"}"#, &MEMBERS).map(|_| ()),
        Err(ser(
            "class java.lang.String can not be converted to an Integer"
        ))
    );
    // CBOR has real NaNs, so the strings are not accepted there.
    let mut cbor = vec![0xa1, 0x65];
    cbor.extend_from_slice(b"Value");
    cbor.extend_from_slice(&[0x63, b'N', b'a', b'N']);
    for enc in [Encoding::Cbor, Encoding::RpcV2Cbor] {
        assert_eq!(
            parse(enc, &cbor, &MEMBERS).map(|_| ()),
            Err(ser(double_err))
        );
    }
}

#[test]
fn timestamps_are_integer_or_fractional_seconds() {
    let ms = |t: &str| {
        let body = format!(r#"{{"StartTime":{t}}}"#);
        parse(Encoding::Json, body.as_bytes(), &MEMBERS)
            .unwrap()
            .timestamp_ms("StartTime")
    };
    assert_eq!(ms("1758321960"), Some(1_758_321_960_000));
    assert_eq!(ms("1758321960.007"), Some(1_758_321_960_007));
    assert_eq!(ms("1.758321960007e9"), Some(1_758_321_960_007));
    assert_eq!(ms("-1.5"), Some(-1_500));
}

#[test]
fn writer_spells_non_finite_doubles_as_strings() {
    let mut w = Writer::new(Encoding::Json);
    w.begin_map(Some(1));
    w.key("Values");
    w.begin_array(Some(5));
    for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 41.0, 1e-5] {
        w.float(v);
    }
    w.end_array();
    w.end_map();
    let body = w.finish();
    assert_eq!(
        String::from_utf8(body.clone()).unwrap(),
        r#"{"Values":["NaN","Infinity","-Infinity",41,0.00001]}"#
    );
    // And they read back.
    let input = parse(Encoding::Json, &body, &MEMBERS).unwrap();
    let values: Vec<f64> = input
        .items("Values")
        .unwrap()
        .iter()
        .filter_map(|i| i.as_float())
        .collect();
    assert!(values[0].is_nan());
    assert_eq!(values[1..], [f64::INFINITY, f64::NEG_INFINITY, 41.0, 1e-5]);
}

#[test]
fn query_compatible_errors_in_json() {
    let (body, header) = query_compatible_error(
        Encoding::Json,
        "com.amazonaws.cloudwatch.v2010_08_01",
        "MissingRequiredParameterException",
        "MissingParameter",
        true,
        Some("The parameter Namespace is required."),
    );
    assert_eq!(header, "MissingParameter;Sender");
    assert_eq!(
        String::from_utf8(body).unwrap(),
        r#"{"__type":"com.amazonaws.cloudwatch.v2010_08_01#MissingRequiredParameterException","message":"The parameter Namespace is required."}"#
    );
    let (body, header) = query_compatible_error(
        Encoding::Json,
        "",
        "ResourceNotFound",
        "ResourceNotFound",
        true,
        None,
    );
    assert_eq!(header, "ResourceNotFound;Sender");
    assert_eq!(body, br#"{"__type":"ResourceNotFound"}"#);
    assert_eq!(aws_wire::QUERY_ERROR_HEADER, "x-amzn-query-error");
}
