//! InfluxDB line protocol:
//! `<measurement>[,<tag_key>=<tag_value>...] <field_key>=<field_value>[,...] [<timestamp ns>]`.
//!
//! Samples: the measurement is the namespace's prefix (`AWS/Kinesis` -> `aws_kinesis`,
//! `AWS/Lambda` -> `aws_lambda`), the tags are the dimensions in snake case (`stream_name`,
//! `shard_id`, `function_name`, `resource`) plus `region`, and each metric and statistic is one
//! float field named `<metric_snake_case>_<statistic>` (`incoming_bytes_sum`,
//! `get_records_iterator_age_milliseconds_maximum`, `duration_p99`), the field naming of
//! Telegraf's cloudwatch input (which names its measurement `cloudwatch_aws_kinesis`; ours drops
//! the `cloudwatch_`). Samples of one measurement, tag set and timestamp are merged into one line.
//! The timestamp is the CloudWatch timestamp in nanoseconds.
//!
//! Objects: the measurement is the class (`aws_kinesis`, `aws_lambda`), the tags are `name`,
//! the resource tags as `tag_<key in snake case>`, and the attributes that name the resource as
//! samples' tags do (`StreamName` -> `stream_name`, `FunctionName` -> `function_name`,
//! `RegionId` -> `region`), so an object and its samples share those tag keys and no key is a
//! tag in one line and a field in another (InfluxDB would rename one of them). The other
//! attributes are fields with their keys in snake case, typed (`"string"`, `24i`, `1.5`,
//! `true`). Object lines carry no
//! timestamp (the receiver stamps them); an object with no writable field has no line.
//!
//! Escaping, per the InfluxDB line-protocol reference: in measurements `,` and space; in tag
//! keys, tag values and field keys `,`, `=` and space; in string field values `"` and `\`. The
//! protocol has no newline: a line feed or carriage return is written as the two characters
//! `\n` / `\r` (as Telegraf's serializer does). Empty tag values are left out (InfluxDB rejects
//! them), and non-finite floats are left out (the protocol cannot carry them). Lines are sorted:
//! samples by measurement, tag set and timestamp, then objects by class and name.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::{FieldValue, InventoryObject, Sample, namespace_prefix, snake_case};

fn escape_with(text: &str, specials: &[char]) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if specials.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Escapes a measurement name: `,` and space.
pub fn escape_measurement(name: &str) -> String {
    escape_with(name, &[',', ' '])
}

/// Escapes a tag key, tag value or field key: `,`, `=` and space.
pub fn escape_key(text: &str) -> String {
    escape_with(text, &[',', '=', ' '])
}

/// A string field value, quoted, with `"` and `\` escaped.
pub fn quote_string(text: &str) -> String {
    format!("\"{}\"", escape_with(text, &['"', '\\']))
}

/// A field value as the protocol writes it: strings quoted, integers with an `i` suffix, floats
/// in their shortest decimal form, booleans as `true`/`false`; `None` for a non-finite float.
pub fn format_field(value: &FieldValue) -> Option<String> {
    match value {
        FieldValue::Str(s) => Some(quote_string(s)),
        FieldValue::Int(i) => Some(format!("{i}i")),
        FieldValue::Float(f) => f.is_finite().then(|| f.to_string()),
        FieldValue::Bool(b) => Some(b.to_string()),
    }
}

/// `,k=v,k=v` for the tags, sorted by key, empty values left out.
pub(crate) fn render_tags(tags: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (key, value) in tags {
        if !value.is_empty() {
            let _ = write!(out, ",{}={}", escape_key(key), escape_key(value));
        }
    }
    out
}

pub(crate) fn render_fields(fields: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{}={value}", escape_key(key));
    }
    out
}

/// The field key of a sample: `<metric_snake_case>_<statistic>`, e.g. `incoming_bytes_sum`.
pub fn field_key(sample: &Sample) -> String {
    format!(
        "{}_{}",
        snake_case(&sample.metric),
        crate::statistic_suffix(sample.statistic)
    )
}

/// The tag an object attribute becomes because samples carry it as a tag.
fn object_tag(attribute: &str) -> Option<&'static str> {
    match attribute {
        "StreamName" => Some("stream_name"),
        "FunctionName" => Some("function_name"),
        "RegionId" => Some("region"),
        _ => None,
    }
}

/// Encodes samples and inventory objects as line protocol, one point per line, each line ending
/// in `\n`.
pub fn encode(samples: &[Sample], objects: &[InventoryObject]) -> String {
    let mut out = encode_samples(samples, 1_000_000);
    encode_objects(objects, &mut out);
    out
}

/// The sample lines, timestamps in milliseconds times `per_ms` (1 for milliseconds,
/// 1 000 000 for nanoseconds).
pub(crate) fn encode_samples(samples: &[Sample], per_ms: i64) -> String {
    // (measurement, rendered tag set, timestamp) -> field key -> rendered value
    let mut points: BTreeMap<(String, String, i64), BTreeMap<String, String>> = BTreeMap::new();
    for sample in samples {
        let Some(value) = format_field(&FieldValue::Float(sample.value)) else {
            continue;
        };
        let mut tags: BTreeMap<String, String> = sample
            .dimensions
            .iter()
            .map(|(k, v)| (snake_case(k), v.clone()))
            .collect();
        tags.insert("region".to_owned(), sample.region.clone());
        let key = (
            escape_measurement(&namespace_prefix(&sample.namespace)),
            render_tags(&tags),
            sample.timestamp_ms.saturating_mul(per_ms),
        );
        points
            .entry(key)
            .or_default()
            .insert(field_key(sample), value);
    }

    let mut out = String::new();
    for ((measurement, tags, ts), fields) in &points {
        let _ = writeln!(out, "{measurement}{tags} {} {ts}", render_fields(fields));
    }
    out
}

fn encode_objects(objects: &[InventoryObject], out: &mut String) {
    let mut sorted: Vec<&InventoryObject> = objects.iter().collect();
    sorted.sort_by(|a, b| (&a.class, &a.name).cmp(&(&b.class, &b.name)));
    for object in sorted {
        let mut tags: BTreeMap<String, String> = object
            .tags
            .iter()
            .map(|(k, v)| (format!("tag_{}", snake_case(k)), v.clone()))
            .collect();
        let mut fields: BTreeMap<String, String> = BTreeMap::new();
        for (key, value) in &object.fields {
            match object_tag(key) {
                Some(tag) => {
                    tags.insert(tag.to_owned(), value.to_text());
                }
                None => {
                    if let Some(v) = format_field(value) {
                        fields.insert(snake_case(key), v);
                    }
                }
            }
        }
        if fields.is_empty() {
            continue;
        }
        tags.insert("name".to_owned(), object.name.clone());
        let _ = writeln!(
            out,
            "{}{} {}",
            escape_measurement(&object.class),
            render_tags(&tags),
            render_fields(&fields)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Statistic;

    fn sample(
        namespace: &str,
        metric: &str,
        statistic: Statistic,
        dims: &[(&str, &str)],
        ts: i64,
        value: f64,
    ) -> Sample {
        Sample {
            namespace: namespace.to_owned(),
            metric: metric.to_owned(),
            statistic,
            unit: None,
            dimensions: dims
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            region: "eu-west-1".to_owned(),
            timestamp_ms: ts,
            value,
        }
    }

    #[test]
    fn escaping_rules() {
        assert_eq!(escape_measurement("a b,c=d"), r"a\ b\,c=d");
        assert_eq!(escape_key("a b,c=d"), r"a\ b\,c\=d");
        assert_eq!(escape_key("x\ny"), r"x\ny");
        assert_eq!(quote_string(r#"say "hi" \ bye"#), r#""say \"hi\" \\ bye""#);
        assert_eq!(format_field(&FieldValue::Int(-3)), Some("-3i".to_owned()));
        assert_eq!(format_field(&FieldValue::Float(2.0)), Some("2".to_owned()));
        assert_eq!(
            format_field(&FieldValue::Float(0.5)),
            Some("0.5".to_owned())
        );
        assert_eq!(format_field(&FieldValue::Float(f64::NAN)), None);
        assert_eq!(
            format_field(&FieldValue::Bool(false)),
            Some("false".to_owned())
        );
    }

    #[test]
    fn samples_of_one_series_and_time_merge_into_one_line() {
        let k = "AWS/Kinesis";
        let s = [("StreamName", "orders")];
        let samples = vec![
            sample(k, "IncomingBytes", Statistic::Sum, &s, 60_000, 1024.0),
            sample(k, "IncomingRecords", Statistic::Sum, &s, 60_000, 8.0),
            sample(
                k,
                "PutRecords.Latency",
                Statistic::Average,
                &s,
                60_000,
                12.5,
            ),
            sample(k, "IncomingBytes", Statistic::Sum, &s, 0, 512.0),
            sample(
                k,
                "IncomingBytes",
                Statistic::Sum,
                &[("StreamName", "a b,c=d")],
                60_000,
                1.0,
            ),
            sample(
                k,
                "IncomingBytes",
                Statistic::Sum,
                &[("StreamName", "")],
                60_000,
                1.0,
            ),
            sample(k, "IncomingBytes", Statistic::Sum, &s, 120_000, f64::NAN),
            sample(
                "AWS/Lambda",
                "Duration",
                Statistic::Percentile(99.9),
                &[("FunctionName", "f"), ("Resource", "f:live")],
                60_000,
                250.0,
            ),
        ];
        let expected = concat!(
            "aws_kinesis,region=eu-west-1 incoming_bytes_sum=1 60000000000\n",
            "aws_kinesis,region=eu-west-1,stream_name=a\\ b\\,c\\=d incoming_bytes_sum=1 60000000000\n",
            "aws_kinesis,region=eu-west-1,stream_name=orders incoming_bytes_sum=512 0\n",
            "aws_kinesis,region=eu-west-1,stream_name=orders incoming_bytes_sum=1024,incoming_records_sum=8,put_records_latency_average=12.5 60000000000\n",
            "aws_lambda,function_name=f,region=eu-west-1,resource=f:live duration_p99_9=250 60000000000\n",
        );
        assert_eq!(encode(&samples, &[]), expected);
    }

    #[test]
    fn objects_are_their_own_measurement() {
        let mut stream = InventoryObject {
            class: "aws_kinesis".to_owned(),
            name: "orders".to_owned(),
            fields: BTreeMap::new(),
            tags: BTreeMap::new(),
        };
        stream.fields.insert(
            "StreamARN".to_owned(),
            "arn:aws:kinesis:eu-west-1:1:stream/orders".into(),
        );
        stream
            .fields
            .insert("RetentionPeriodHours".to_owned(), 24_i64.into());
        stream.fields.insert(
            "StreamModeDetails".to_owned(),
            "{\"StreamMode\": \"ON_DEMAND\"}".into(),
        );
        stream.fields.insert("Encrypted".to_owned(), false.into());
        stream
            .fields
            .insert("StreamName".to_owned(), "orders".into());
        stream
            .fields
            .insert("RegionId".to_owned(), "eu-west-1".into());
        stream.fields.insert("Ratio".to_owned(), 0.75.into());
        stream.fields.insert("Bad".to_owned(), f64::INFINITY.into());
        stream
            .tags
            .insert("cost center".to_owned(), "a=b".to_owned());
        let function = InventoryObject {
            class: "aws_lambda".to_owned(),
            name: "f".to_owned(),
            fields: BTreeMap::from([("MemorySize".to_owned(), FieldValue::Int(128))]),
            tags: BTreeMap::new(),
        };
        let empty = InventoryObject {
            class: "aws_lambda".to_owned(),
            name: "e".to_owned(),
            fields: BTreeMap::new(),
            tags: BTreeMap::new(),
        };
        let expected = concat!(
            "aws_kinesis,name=orders,region=eu-west-1,stream_name=orders,tag_cost_center=a\\=b encrypted=false,ratio=0.75,",
            "retention_period_hours=24i,stream_arn=\"arn:aws:kinesis:eu-west-1:1:stream/orders\",",
            "stream_mode_details=\"{\\\"StreamMode\\\": \\\"ON_DEMAND\\\"}\"\n",
            "aws_lambda,name=f memory_size=128i\n",
        );
        assert_eq!(encode(&[], &[function, empty, stream]), expected);
    }
}
