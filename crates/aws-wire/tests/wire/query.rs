//! The query protocol's requests: form decoding (keys, escapes, lists, maps, empty lists, bad
//! indexes) and conversion of text by the schema, with the errors naming the parameter.

use aws_wire::{
    Encoding, Input, Member, Pattern, Shape, Value, WireError, decode, decode_query, parse,
    validate,
};

static NAMESPACE: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(255),
    pattern: Some(&NOT_COLON),
    enum_values: &[],
};
static NOT_COLON: Pattern = Pattern {
    text: "[^:].*",
    matches: |s| !s.starts_with(':'),
};
static DIMENSION_MEMBERS: [Member; 2] = [
    Member::required("Name", &Shape::STRING),
    Member::required("Value", &Shape::STRING),
];
static DIMENSION: Shape = Shape::Structure(&DIMENSION_MEMBERS);
static DIMENSIONS: Shape = Shape::List {
    member: &DIMENSION,
    min_len: None,
    max_len: Some(30),
    member_str: None,
};
static DOUBLES: Shape = Shape::List {
    member: &Shape::DOUBLE,
    min_len: None,
    max_len: None,
    member_str: None,
};
static STAT_SET_MEMBERS: [Member; 4] = [
    Member::required("SampleCount", &Shape::DOUBLE),
    Member::required("Sum", &Shape::DOUBLE),
    Member::required("Minimum", &Shape::DOUBLE),
    Member::required("Maximum", &Shape::DOUBLE),
];
static STAT_SET: Shape = Shape::Structure(&STAT_SET_MEMBERS);
static RESOLUTION: Shape = Shape::Integer {
    min: Some(1),
    max: None,
};
static DATUM_MEMBERS: [Member; 8] = [
    Member::required("MetricName", &Shape::STRING),
    Member::optional("Dimensions", &DIMENSIONS),
    Member::optional("Timestamp", &Shape::Timestamp),
    Member::optional("Value", &Shape::DOUBLE),
    Member::optional("StatisticValues", &STAT_SET),
    Member::optional("Values", &DOUBLES),
    Member::optional("Counts", &DOUBLES),
    Member::optional("StorageResolution", &RESOLUTION),
];
static DATUM: Shape = Shape::Structure(&DATUM_MEMBERS);
static DATA: Shape = Shape::List {
    member: &DATUM,
    min_len: None,
    max_len: None,
    member_str: None,
};
static ATTRIBUTES: Shape = Shape::Map {
    key: &Shape::STRING,
    value: &Shape::STRING,
    min_len: None,
    max_len: None,
};
static ENTITY_MEMBERS: [Member; 2] = [
    Member::optional("KeyAttributes", &ATTRIBUTES),
    Member::optional("Attributes", &ATTRIBUTES),
];
static ENTITY: Shape = Shape::Structure(&ENTITY_MEMBERS);
static ENTITY_DATA_MEMBERS: [Member; 2] = [
    Member::optional("Entity", &ENTITY),
    Member::optional("MetricData", &DATA),
];
static ENTITY_DATA: Shape = Shape::Structure(&ENTITY_DATA_MEMBERS);
static ENTITY_DATA_LIST: Shape = Shape::List {
    member: &ENTITY_DATA,
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
/// PutMetricData's input as the CloudWatch model has it, plus a map of doubles and an
/// Integer/Long pair to exercise every conversion.
static PUT: [Member; 7] = [
    Member::required("Namespace", &NAMESPACE),
    Member::optional("MetricData", &DATA),
    Member::optional("EntityMetricData", &ENTITY_DATA_LIST),
    Member::optional("StrictEntityValidation", &Shape::Boolean),
    Member::optional("Stats", &STATS),
    Member::optional("Period", &RESOLUTION),
    Member::optional("Count", &Shape::LONG),
];

fn ok(body: &str) -> Input<'static> {
    let q = decode_query(body.as_bytes()).unwrap_or_else(|e| panic!("{body}: {e}"));
    let params = into_owned(q.params);
    validate(params, &PUT, Encoding::Query).unwrap_or_else(|e| panic!("{body}: {e}"))
}

fn into_owned(v: Value<'_>) -> Value<'static> {
    match v {
        Value::Str(s) => Value::Str(s.into_owned().into()),
        Value::Array(items) => Value::Array(items.into_iter().map(into_owned).collect()),
        Value::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.into_owned().into(), into_owned(v)))
                .collect(),
        ),
        Value::Null => Value::Null,
        Value::Bool(b) => Value::Bool(b),
        Value::Int(n) => Value::Int(n),
        Value::Float(f) => Value::Float(f),
        Value::Bytes(b) => Value::Bytes(b.into_owned().into()),
    }
}

fn error(body: &str) -> WireError {
    match parse(Encoding::Query, body.as_bytes(), &PUT) {
        Ok(input) => panic!("{body}: expected an error, got {input:?}"),
        Err(e) => e,
    }
}

fn invalid(value: &str, parameter: &str) -> WireError {
    WireError::Serialization(format!(
        "The value {value} for parameter {parameter} is invalid."
    ))
}

fn floats(input: &Input<'_>, name: &str) -> Vec<f64> {
    input
        .items(name)
        .unwrap_or_default()
        .iter()
        .filter_map(|i| i.as_float())
        .collect()
}

#[test]
fn a_full_put_metric_data_request() {
    // The parameters botocore sends for a call with every kind of member, in its order.
    let body = "Action=PutMetricData&Version=2010-08-01&Namespace=My%2FApp\
        &MetricData.member.1.MetricName=Latency\
        &MetricData.member.1.Dimensions.member.1.Name=Op\
        &MetricData.member.1.Dimensions.member.1.Value=get+%26+%3Cput%3E\
        &MetricData.member.1.Dimensions.member.2.Name=Stage\
        &MetricData.member.1.Dimensions.member.2.Value=prod\
        &MetricData.member.1.Timestamp=2025-09-19T22%3A46%3A00.123456Z\
        &MetricData.member.1.Values.member.1=1.5\
        &MetricData.member.1.Values.member.2=1e-05\
        &MetricData.member.1.Counts.member.1=2.0\
        &MetricData.member.1.Counts.member.2=1.0E-5\
        &MetricData.member.1.StorageResolution=1\
        &MetricData.member.2.MetricName=Sizes\
        &MetricData.member.2.StatisticValues.SampleCount=3\
        &MetricData.member.2.StatisticValues.Sum=6\
        &MetricData.member.2.StatisticValues.Minimum=-1\
        &MetricData.member.2.StatisticValues.Maximum=4.5\
        &EntityMetricData.member.1.Entity.KeyAttributes.entry.1.key=Type\
        &EntityMetricData.member.1.Entity.KeyAttributes.entry.1.value=Service\
        &EntityMetricData.member.1.Entity.KeyAttributes.entry.2.key=Name\
        &EntityMetricData.member.1.Entity.KeyAttributes.entry.2.value=cart\
        &EntityMetricData.member.1.MetricData.member.1.MetricName=Hits\
        &EntityMetricData.member.1.MetricData.member.1.Value=1\
        &StrictEntityValidation=false";
    let q = decode_query(body.as_bytes()).unwrap();
    assert_eq!(q.action.as_deref(), Some("PutMetricData"));
    assert_eq!(q.version.as_deref(), Some("2010-08-01"));
    let input = validate(q.params, &PUT, Encoding::Query).unwrap();
    assert_eq!(input.str("Namespace"), Some("My/App"));
    assert_eq!(input.bool("StrictEntityValidation"), Some(false));
    let data = input.list("MetricData").unwrap();
    assert_eq!(data.len(), 2);
    let first = &data[0];
    assert_eq!(first.str("MetricName"), Some("Latency"));
    let dims = first.list("Dimensions").unwrap();
    assert_eq!(dims[0].str("Value"), Some("get & <put>"));
    assert_eq!(dims[1].str("Name"), Some("Stage"));
    assert_eq!(first.timestamp_ms("Timestamp"), Some(1_758_321_960_123));
    assert_eq!(floats(first, "Values"), [1.5, 1e-5]);
    assert_eq!(floats(first, "Counts"), [2.0, 1e-5]);
    assert_eq!(first.int("StorageResolution"), Some(1));
    let stats = data[1].structure("StatisticValues").unwrap();
    assert_eq!(stats.float("SampleCount"), Some(3.0));
    assert_eq!(stats.float("Minimum"), Some(-1.0));
    assert_eq!(stats.float("Maximum"), Some(4.5));
    let entity = &input.list("EntityMetricData").unwrap()[0];
    assert_eq!(
        entity.structure("Entity").unwrap().map_str("KeyAttributes"),
        Some(vec![("Type", "Service"), ("Name", "cart")])
    );
    let hits = &entity.list("MetricData").unwrap()[0];
    assert_eq!(
        (hits.str("MetricName"), hits.float("Value")),
        (Some("Hits"), Some(1.0))
    );
}

#[test]
fn percent_escapes_and_plus() {
    let input = ok("Namespace=a+b%2Bc%20d%25e%3Df%26g%C3%a9%F0%9F%98%80");
    assert_eq!(input.str("Namespace"), Some("a b+c d%e=f&gé😀"));
    // Keys are decoded too; a key that decodes to no member is ignored like any unknown one.
    let input = ok("Name%73pace=x&Unknown.Deep.member.1=y&X-Amz-Date=20260101T000000Z");
    assert_eq!(input.str("Namespace"), Some("x"));
    // Empty pairs and a bare key are allowed; a bare key is an empty value.
    let input = ok("&&Namespace=x&&StrictEntityValidation=true&");
    assert_eq!(input.bool("StrictEntityValidation"), Some(true));
    assert_eq!(
        decode(Encoding::Query, b"Namespace").unwrap(),
        Value::Map(vec![("Namespace".into(), Value::Str("".into()))])
    );
    for bad in [
        "Namespace=%",
        "Namespace=%2",
        "Namespace=%g1",
        "Namespace=%C3",
    ] {
        let e = error(bad);
        assert_eq!(e.code(), "SerializationException", "{bad}");
    }
}

#[test]
fn empty_lists_and_maps() {
    let input = ok(
        "Namespace=n&MetricData.member.1.MetricName=m&MetricData.member.1.Values=\
         &MetricData.member.1.Dimensions=&Stats=&EntityMetricData.member.1.Entity.KeyAttributes=",
    );
    let datum = &input.list("MetricData").unwrap()[0];
    assert_eq!(datum.items("Values").map(<[_]>::len), Some(0));
    assert_eq!(datum.list("Dimensions").map(<[_]>::len), Some(0));
    assert_eq!(input.map("Stats").map(<[_]>::len), Some(0));
    let entity = input.list("EntityMetricData").unwrap()[0]
        .structure("Entity")
        .unwrap();
    assert_eq!(entity.map("KeyAttributes").map(<[_]>::len), Some(0));
    let input = ok("Namespace=n&MetricData=");
    assert_eq!(input.list("MetricData").map(<[_]>::len), Some(0));
    // An empty value is not an empty structure or a number.
    assert_eq!(
        error("Namespace=n&MetricData.member.1.MetricName=m&MetricData.member.1.StatisticValues="),
        invalid("", "MetricData.member.1.StatisticValues")
    );
    assert_eq!(
        error("Namespace=n&MetricData.member.1.MetricName=m&MetricData.member.1.Value="),
        invalid("", "MetricData.member.1.Value")
    );
}

#[test]
fn maps_of_structures_and_lists_of_lists() {
    static THING_MEMBERS: [Member; 2] = [
        Member::optional("Name", &Shape::STRING),
        Member::optional("Sizes", &DOUBLES),
    ];
    static THING: Shape = Shape::Structure(&THING_MEMBERS);
    static THINGS: Shape = Shape::Map {
        key: &Shape::STRING,
        value: &THING,
        min_len: None,
        max_len: None,
    };
    static GRID: Shape = Shape::List {
        member: &DOUBLES,
        min_len: None,
        max_len: None,
        member_str: None,
    };
    static SCHEMA: [Member; 2] = [
        Member::optional("Things", &THINGS),
        Member::optional("Grid", &GRID),
    ];
    let body = b"Things.entry.2.key=b&Things.entry.2.value.Name=B&Things.entry.1.key=a\
        &Things.entry.1.value.Sizes.member.1=1&Things.entry.1.value.Sizes.member.2=2\
        &Grid.member.1.member.1=1&Grid.member.1.member.2=2&Grid.member.2=";
    let input = parse(Encoding::Query, body, &SCHEMA).unwrap();
    let things = input.map("Things").unwrap();
    assert_eq!(things[0].0, "a");
    let a = things[0].1.as_structure().unwrap();
    assert_eq!(floats(a, "Sizes"), [1.0, 2.0]);
    assert_eq!(things[1].1.as_structure().unwrap().str("Name"), Some("B"));
    let grid = input.items("Grid").unwrap();
    assert_eq!(grid.len(), 2);
    let errors = parse(
        Encoding::Query,
        b"Things.entry.1.key=a&Things.entry.1.value.Sizes.member.1=x",
        &SCHEMA,
    )
    .unwrap_err();
    assert_eq!(errors, invalid("x", "Things.entry.1.value.Sizes.member.1"));
    let errors = parse(
        Encoding::Query,
        b"Grid.member.1.member.1=1&Grid.member.2.member.1=y",
        &SCHEMA,
    )
    .unwrap_err();
    assert_eq!(errors, invalid("y", "Grid.member.2.member.1"));
}

#[test]
fn bad_indexes_and_keys() {
    let e = |body: &str| match decode_query(body.as_bytes()) {
        Err(WireError::Serialization(m)) => m,
        other => panic!("{body}: {other:?}"),
    };
    assert_eq!(
        e("MetricData.member.0.MetricName=m"),
        "Invalid index '0' in 'MetricData.member'"
    );
    assert_eq!(
        e("MetricData.member.01.MetricName=m"),
        "Invalid index '01' in 'MetricData.member'"
    );
    assert_eq!(
        e("MetricData.member.one.MetricName=m"),
        "Invalid index 'one' in 'MetricData.member'"
    );
    assert_eq!(
        e("MetricData.member.1.MetricName=a&MetricData.member.3.MetricName=c"),
        "'MetricData.member.2' is missing: indexes must run 1, 2, 3, ... without gaps"
    );
    assert_eq!(
        e("MetricData.member.1.MetricName=a&MetricData.member.1.MetricName=b"),
        "Parameter 'MetricData.member.1.MetricName' is given more than once, or also as a prefix of others"
    );
    assert_eq!(
        e("MetricData=&MetricData.member.1.MetricName=a"),
        "Parameter 'MetricData.member.1.MetricName' conflicts with a value given for a prefix of it"
    );
    assert_eq!(
        e("Stats.entry.1.key=p99"),
        "Map entry 'Stats.entry.1' needs a key and a value"
    );
    assert_eq!(
        e("Stats.entry.1.value=1"),
        "Map entry 'Stats.entry.1' needs a key and a value"
    );
    assert_eq!(
        e("MetricData.member=x"),
        "'MetricData.member' needs an index"
    );
    assert_eq!(e("Namespace.=x"), "Invalid parameter name 'Namespace.'");
    assert_eq!(
        e("Action=A&Action=B"),
        "Parameter 'Action' is given more than once, or also as a prefix of others"
    );
}

#[test]
fn text_converts_by_the_schema() {
    let one = |param: &str, value: &str| {
        let body = format!("Namespace=n&{param}={value}");
        parse(Encoding::Query, body.as_bytes(), &PUT).map(|i| {
            (
                i.float("Period").or(i.int("Period").map(|n| n as f64)),
                i.int("Count"),
                i.bool("StrictEntityValidation"),
            )
        })
    };
    // Integers: decimal; a fraction is floored and an Integer clamped, as Coral does with JSON.
    assert_eq!(one("Period", "60").unwrap().0, Some(60.0));
    assert_eq!(one("Period", "%2B60").unwrap().0, Some(60.0));
    assert_eq!(one("Period", "60.9").unwrap().0, Some(60.0));
    assert_eq!(one("Period", "6e1").unwrap().0, Some(60.0));
    assert_eq!(one("Count", "-9000000000").unwrap().1, Some(-9_000_000_000));
    assert_eq!(
        one("Count", "9223372036854775807").unwrap().1,
        Some(i64::MAX)
    );
    for bad in [
        "soon", "", "1%2C5", "0x10", "inf", "NaN", "%2B", "+", "1e", "%201",
    ] {
        let shown = bad
            .replace('+', " ")
            .replace("%2C", ",")
            .replace("%20", " ")
            .replace("%2B", "+");
        assert_eq!(one("Period", bad), Err(invalid(&shown, "Period")), "{bad}");
    }
    // Booleans: exactly `true` or `false`.
    assert_eq!(one("StrictEntityValidation", "true").unwrap().2, Some(true));
    for bad in ["TRUE", "1", "yes", ""] {
        assert_eq!(
            one("StrictEntityValidation", bad),
            Err(invalid(bad, "StrictEntityValidation"))
        );
    }
}

#[test]
fn doubles_take_any_float_syntax() {
    let value = |text: &str| {
        let body = format!(
            "Namespace=n&MetricData.member.1.MetricName=m&MetricData.member.1.Value={text}"
        );
        parse(Encoding::Query, body.as_bytes(), &PUT)
            .map(|i| i.list("MetricData").unwrap()[0].float("Value").unwrap())
    };
    for (text, v) in [
        ("1.5", 1.5),
        ("1e-05", 1e-5),
        ("1.0E-5", 1e-5),
        ("1E%2B3", 1000.0),
        ("-2", -2.0),
        (".5", 0.5),
        ("5.", 5.0),
        ("%2B7", 7.0),
        ("41.0", 41.0),
        ("0.30000000000000004", 0.1 + 0.2),
        ("1e400", f64::INFINITY),
        ("Infinity", f64::INFINITY),
        ("-Infinity", f64::NEG_INFINITY),
    ] {
        assert_eq!(value(text), Ok(v), "{text}");
    }
    assert!(value("NaN").unwrap().is_nan());
    for bad in [
        "nan", "inf", "infinity", "1,5", "1.5.2", "e5", ".", "-", "0x1p3", "1.5d", "",
    ] {
        assert_eq!(
            value(bad),
            Err(invalid(bad, "MetricData.member.1.Value")),
            "{bad}"
        );
    }
    // A map value and a list element are named by their own parameter.
    assert_eq!(
        error("Namespace=n&Stats.entry.1.key=p99&Stats.entry.1.value=fast"),
        invalid("fast", "Stats.entry.1.value")
    );
    assert_eq!(
        error(
            "Namespace=n&MetricData.member.1.MetricName=m&MetricData.member.1.Values.member.1=1&MetricData.member.1.Values.member.2=two"
        ),
        invalid("two", "MetricData.member.1.Values.member.2")
    );
}

#[test]
fn timestamps_are_iso_8601() {
    let at = |text: &str| {
        let body = format!(
            "Namespace=n&MetricData.member.1.MetricName=m&MetricData.member.1.Timestamp={text}"
        );
        parse(Encoding::Query, body.as_bytes(), &PUT).map(|i| {
            i.list("MetricData").unwrap()[0]
                .timestamp_ms("Timestamp")
                .unwrap()
        })
    };
    assert_eq!(at("2016-10-03T23:00:00Z"), Ok(1_475_535_600_000));
    assert_eq!(at("2016-10-03T23%3A00%3A00Z"), Ok(1_475_535_600_000));
    assert_eq!(at("2016-10-03T23:00:00.123456Z"), Ok(1_475_535_600_123));
    assert_eq!(at("2016-10-04T01:00:00%2B02:00"), Ok(1_475_535_600_000));
    assert_eq!(at("2016-10-03T22:00:00-01:00"), Ok(1_475_535_600_000));
    // AWS answers epoch numbers and nanoseconds with "timestamp must follow ISO8601".
    for bad in [
        "1475535600",
        "1475535600000",
        "1.44409e%2B012",
        "2016-10-03T23:00:00.123456789Z",
        "2016-10-03",
        "2016-10-03T23:00:00",
        "2016-02-30T00:00:00Z",
        "yesterday",
        "",
    ] {
        let shown = bad.replace("%2B", "+");
        assert_eq!(
            at(bad),
            Err(invalid(&shown, "MetricData.member.1.Timestamp")),
            "{bad}"
        );
    }
}

#[test]
fn constraints_keep_corals_texts() {
    // What AWS answers in the query protocol too (`ValidationError` with this message).
    assert_eq!(
        error("Namespace=n&Period=0"),
        WireError::Validation(
            "1 validation error detected: Value '0' at 'period' failed to satisfy constraint: Member must have value greater than or equal to 1".into()
        )
    );
    assert_eq!(
        error("Period=1"),
        WireError::Validation(
            "1 validation error detected: Value null at 'namespace' failed to satisfy constraint: Member must not be null".into()
        )
    );
    assert_eq!(
        error("Namespace=n&MetricData.member.1.Value=1&MetricData.member.2.MetricName=m&MetricData.member.2.StorageResolution=0"),
        WireError::Validation(
            "2 validation errors detected: Value null at 'metricData.1.member.metricName' failed to satisfy constraint: Member must not be null; Value '0' at 'metricData.2.member.storageResolution' failed to satisfy constraint: Member must have value greater than or equal to 1".into()
        )
    );
    // An empty body decodes (no parameters) and then misses what is required.
    assert_eq!(
        parse(Encoding::Query, b"", &PUT).map(|_| ()),
        Err(WireError::Validation(
            "1 validation error detected: Value null at 'namespace' failed to satisfy constraint: Member must not be null".into()
        ))
    );
}

#[test]
fn structures_where_scalars_belong_and_back() {
    assert_eq!(
        error("Namespace.Inner=x"),
        WireError::Serialization("Start of structure or map found where not expected.".into())
    );
    assert_eq!(
        error("Namespace=n&Period.member.1=5"),
        WireError::Serialization("Start of list found where not expected".into())
    );
    assert_eq!(
        error("Namespace=n&MetricData.member.1=x"),
        invalid("x", "MetricData.member.1")
    );
}
