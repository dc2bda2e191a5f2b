//! JSON lines: one JSON document per line, each line ending in `\n`.
//!
//! A sample is
//! `{"namespace":"AWS/Kinesis","metric":"IncomingBytes","statistic":"Sum","unit":"Bytes",
//! "dimensions":{"StreamName":"orders"},"region":"us-east-1","timestamp_ms":60000,"value":1024.0}`
//! (CloudWatch spellings throughout; `unit` is `null` when unknown, `value` is `null` when not
//! finite, as JSON has no NaN). An object is
//! `{"class":"aws_kinesis","name":"orders","fields":{...},"tags":{...}}`, which deserialises back
//! into an [`InventoryObject`]. Members come in the order shown; dimension, field and tag keys
//! are sorted.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{InventoryObject, Sample};

#[derive(Serialize)]
struct SampleRecord<'a> {
    namespace: &'a str,
    metric: &'a str,
    statistic: String,
    unit: Option<&'a str>,
    dimensions: BTreeMap<&'a str, &'a str>,
    region: &'a str,
    timestamp_ms: i64,
    value: f64,
}

fn push_line<T: Serialize>(out: &mut String, value: &T) {
    // Serialising these types cannot fail: every map key is a string and non-finite floats
    // become null.
    if let Ok(line) = serde_json::to_string(value) {
        out.push_str(&line);
        out.push('\n');
    }
}

/// One sample as a JSON document (without the trailing newline).
pub fn sample_to_string(sample: &Sample) -> String {
    let mut out = String::new();
    push_line(&mut out, &record(sample));
    out.pop();
    out
}

fn record(sample: &Sample) -> SampleRecord<'_> {
    SampleRecord {
        namespace: &sample.namespace,
        metric: &sample.metric,
        statistic: sample.statistic.to_string(),
        unit: sample.unit.as_deref(),
        dimensions: sample
            .dimensions
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
        region: &sample.region,
        timestamp_ms: sample.timestamp_ms,
        value: sample.value,
    }
}

/// Encodes samples as JSON lines, in the order given.
pub fn encode_samples(samples: &[Sample]) -> String {
    let mut out = String::new();
    for sample in samples {
        push_line(&mut out, &record(sample));
    }
    out
}

/// Encodes inventory objects as JSON lines, in the order given.
pub fn encode_objects(objects: &[InventoryObject]) -> String {
    let mut out = String::new();
    for object in objects {
        push_line(&mut out, object);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FieldValue, Statistic};
    use serde_json::{Value, json};

    fn kinesis_sample() -> Sample {
        Sample {
            namespace: "AWS/Kinesis".to_owned(),
            metric: "IncomingBytes".to_owned(),
            statistic: Statistic::Sum,
            unit: Some("Bytes".to_owned()),
            dimensions: vec![
                ("StreamName".to_owned(), "or\"ders\n".to_owned()),
                ("ShardId".to_owned(), "shardId-000000000001".to_owned()),
            ],
            region: "us-east-1".to_owned(),
            timestamp_ms: 1_700_000_040_000,
            value: 1024.0,
        }
    }

    #[test]
    fn samples_are_exact_and_round_trip() {
        let lambda = Sample {
            namespace: "AWS/Lambda".to_owned(),
            metric: "Duration".to_owned(),
            statistic: Statistic::Percentile(99.9),
            unit: None,
            dimensions: vec![],
            region: "eu-west-1".to_owned(),
            timestamp_ms: 0,
            value: f64::NAN,
        };
        let text = encode_samples(&[kinesis_sample(), lambda]);
        assert_eq!(
            text,
            concat!(
                r#"{"namespace":"AWS/Kinesis","metric":"IncomingBytes","statistic":"Sum","unit":"Bytes","dimensions":{"ShardId":"shardId-000000000001","StreamName":"or\"ders\n"},"region":"us-east-1","timestamp_ms":1700000040000,"value":1024.0}"#,
                "\n",
                r#"{"namespace":"AWS/Lambda","metric":"Duration","statistic":"p99.9","unit":null,"dimensions":{},"region":"eu-west-1","timestamp_ms":0,"value":null}"#,
                "\n",
            )
        );
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            lines[0],
            json!({
                "namespace": "AWS/Kinesis",
                "metric": "IncomingBytes",
                "statistic": "Sum",
                "unit": "Bytes",
                "dimensions": {"StreamName": "or\"ders\n", "ShardId": "shardId-000000000001"},
                "region": "us-east-1",
                "timestamp_ms": 1_700_000_040_000_i64,
                "value": 1024.0,
            })
        );
        assert_eq!(lines[1]["statistic"], "p99.9");
        assert!(lines[1]["value"].is_null());
        assert_eq!(
            lines[0]["statistic"].as_str().unwrap().parse::<Statistic>(),
            Ok(Statistic::Sum)
        );
        assert_eq!(
            sample_to_string(&kinesis_sample()),
            text.lines().next().unwrap()
        );
    }

    #[test]
    fn objects_round_trip() {
        let object = InventoryObject {
            class: "aws_lambda".to_owned(),
            name: "f".to_owned(),
            fields: BTreeMap::from([
                (
                    "FunctionArn".to_owned(),
                    FieldValue::from("arn:aws:lambda:us-east-1:1:function:f"),
                ),
                ("MemorySize".to_owned(), FieldValue::Int(128)),
                ("Ratio".to_owned(), FieldValue::Float(2.0)),
                ("SnapStart".to_owned(), FieldValue::Bool(true)),
            ]),
            tags: BTreeMap::from([("team".to_owned(), "data".to_owned())]),
        };
        let text = encode_objects(std::slice::from_ref(&object));
        assert_eq!(
            text,
            concat!(
                r#"{"class":"aws_lambda","name":"f","fields":{"FunctionArn":"arn:aws:lambda:us-east-1:1:function:f","MemorySize":128,"Ratio":2.0,"SnapStart":true},"tags":{"team":"data"}}"#,
                "\n"
            )
        );
        let value: Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(value["fields"]["MemorySize"], json!(128));
        assert_eq!(value["fields"]["Ratio"], json!(2.0));
        let back: InventoryObject = serde_json::from_value(value).unwrap();
        assert_eq!(back, object);
        assert_eq!(encode_objects(&[]), "");
    }
}
