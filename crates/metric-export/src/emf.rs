//! CloudWatch Embedded Metric Format (EMF) for collected samples, written with the
//! `cloudwatch-emf` crate (the one EMF writer and parser of the workspace):
//!
//! ```json
//! {"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"Streamwatch",
//!   "Dimensions":[["StreamName"]],"Metrics":[{"Name":"Lag","Unit":"Milliseconds"}]}]},
//!  "StreamName":"orders","Lag":120.0}
//! ```
//!
//! one metric directive whose single dimension set holds every dimension given. Limits
//! checked, from the EMF specification and the CloudWatch API: at most 100 metrics per
//! directive, at most 30 keys per dimension set, names 1..=255 characters, dimension values
//! 1..=1024 characters, units from CloudWatch's `StandardUnit` list, finite values, no two
//! members of the same name, and no `AWS/` namespace (reserved for AWS's own metrics).

pub use cloudwatch_emf::{
    EmfError, MAX_DIMENSION_VALUE_LEN, MAX_DIMENSIONS, MAX_METRICS, MAX_NAME_LEN,
};

/// Builds one EMF document (a single line, no trailing newline) for `metrics`
/// (`(name, unit, value)`) under `namespace`, with one dimension set made of all `dimensions`,
/// at `timestamp_ms` (epoch milliseconds). Members appear in the order: `_aws`, dimensions,
/// metrics, each in the order given.
pub fn encode(
    namespace: &str,
    dimensions: &[(&str, &str)],
    metrics: &[(&str, Option<&str>, f64)],
    timestamp_ms: i64,
) -> Result<String, EmfError> {
    let mut doc = cloudwatch_emf::Document::new(namespace, timestamp_ms)
        .known_units(|unit| metric_store::Unit::parse(unit).is_ok());
    for (name, value) in dimensions {
        doc = doc.dimension(name, value);
    }
    for (name, unit, value) in metrics {
        doc = doc.metric(name, *unit, *value);
    }
    doc.to_line()
}

/// EMF documents (one per line) re-publishing collected samples under a namespace of one's
/// own, `<prefix>/<service>` (`AWS/Kinesis` becomes `Streamwatch/Kinesis` for the prefix
/// `Streamwatch`), since `AWS/` is reserved. One document per source namespace, series
/// dimensions, region and timestamp, with the region as dimension `Region` (so regions stay
/// apart) and each statistic a metric named `<metric>.<statistic>`, e.g. `IncomingBytes.Sum`
/// or `Duration.p99`; a document holding more than [`MAX_METRICS`] metrics is split.
pub fn encode_samples(samples: &[crate::Sample], prefix: &str) -> Result<String, EmfError> {
    // (source namespace, dimensions, region, timestamp) -> (name, unit, value) per statistic.
    type Series<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str, i64);
    type Metrics<'a> = Vec<(String, Option<&'a str>, f64)>;
    let mut groups: std::collections::BTreeMap<Series<'_>, Metrics<'_>> =
        std::collections::BTreeMap::new();
    for s in samples {
        let mut dimensions: Vec<(&str, &str)> = s
            .dimensions
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        dimensions.sort();
        groups
            .entry((
                s.namespace.as_str(),
                dimensions,
                s.region.as_str(),
                s.timestamp_ms,
            ))
            .or_default()
            .push((
                format!("{}.{}", s.metric, s.statistic),
                s.unit.as_deref(),
                s.value,
            ));
    }
    let mut out = String::new();
    for ((namespace, mut dimensions, region, timestamp), metrics) in groups {
        let service = namespace.strip_prefix("AWS/").unwrap_or(namespace);
        let target = format!("{prefix}/{service}");
        if !region.is_empty() && !dimensions.iter().any(|(k, _)| *k == "Region") {
            dimensions.push(("Region", region));
        }
        for chunk in metrics.chunks(MAX_METRICS) {
            let metrics: Vec<(&str, Option<&str>, f64)> = chunk
                .iter()
                .map(|(name, unit, value)| (name.as_str(), *unit, *value))
                .collect();
            out.push_str(&encode(&target, &dimensions, &metrics, timestamp)?);
            out.push('\n');
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn samples_are_republished_per_series_and_timestamp() {
        let sample = |metric: &str, statistic, dims: &[(&str, &str)], t, value| crate::Sample {
            namespace: "AWS/Kinesis".into(),
            metric: metric.into(),
            statistic,
            unit: Some("Bytes".into()),
            dimensions: dims
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            region: "eu-west-1".into(),
            timestamp_ms: t,
            value,
        };
        let stream = [("StreamName", "orders")];
        let shard = [
            ("StreamName", "orders"),
            ("ShardId", "shardId-000000000001"),
        ];
        let text = encode_samples(
            &[
                sample(
                    "IncomingBytes",
                    crate::Statistic::Sum,
                    &stream,
                    60_000,
                    77.0,
                ),
                sample(
                    "IncomingBytes",
                    crate::Statistic::Maximum,
                    &stream,
                    60_000,
                    40.0,
                ),
                sample("IncomingBytes", crate::Statistic::Sum, &shard, 60_000, 30.0),
                sample(
                    "IncomingBytes",
                    crate::Statistic::Sum,
                    &stream,
                    120_000,
                    5.0,
                ),
            ],
            "Streamwatch",
        )
        .unwrap();
        let docs: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(docs.len(), 3, "{text}");
        let first = &docs[0];
        assert_eq!(
            first["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "Streamwatch/Kinesis"
        );
        assert_eq!(first["_aws"]["Timestamp"], 60_000);
        assert_eq!(first["IncomingBytes.Sum"], 30.0);
        assert_eq!(first["ShardId"], "shardId-000000000001");
        assert_eq!(first["Region"], "eu-west-1");
        let second = &docs[1];
        assert_eq!(second["IncomingBytes.Sum"], 77.0);
        assert_eq!(second["IncomingBytes.Maximum"], 40.0);
        assert_eq!(
            second["_aws"]["CloudWatchMetrics"][0]["Metrics"][0],
            json!({"Name": "IncomingBytes.Sum", "Unit": "Bytes"}),
            "metrics in the order collected"
        );
        assert_eq!(docs[2]["IncomingBytes.Sum"], 5.0);
        assert_eq!(docs[2]["_aws"]["Timestamp"], 120_000);

        // 150 statistics of one series and timestamp: two documents, none over the limit.
        let many: Vec<crate::Sample> = (0..150)
            .map(|i| {
                sample(
                    &format!("M{i:03}"),
                    crate::Statistic::Sum,
                    &stream,
                    60_000,
                    i as f64,
                )
            })
            .collect();
        let text = encode_samples(&many, "Streamwatch").unwrap();
        let sizes: Vec<usize> = text
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                v["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                    .as_array()
                    .unwrap()
                    .len()
            })
            .collect();
        assert_eq!(sizes, [100, 50]);
    }

    #[test]
    fn document_structure() {
        let doc = encode(
            "Streamwatch",
            &[
                ("StreamName", "orders"),
                ("ShardId", "shardId-000000000000"),
            ],
            &[
                ("IteratorLag", Some("Milliseconds"), 120.0),
                ("Records", Some("Count"), 8.0),
                ("Ratio", None, 0.5),
            ],
            1_700_000_000_000,
        )
        .unwrap();
        assert_eq!(
            doc,
            concat!(
                r#"{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"Streamwatch","#,
                r#""Dimensions":[["StreamName","ShardId"]],"Metrics":[{"Name":"IteratorLag","Unit":"Milliseconds"},"#,
                r#"{"Name":"Records","Unit":"Count"},{"Name":"Ratio"}]}]},"StreamName":"orders","#,
                r#""ShardId":"shardId-000000000000","IteratorLag":120.0,"Records":8.0,"Ratio":0.5}"#,
            )
        );
        let value: Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(
            value,
            json!({
                "_aws": {
                    "Timestamp": 1_700_000_000_000_i64,
                    "CloudWatchMetrics": [{
                        "Namespace": "Streamwatch",
                        "Dimensions": [["StreamName", "ShardId"]],
                        "Metrics": [
                            {"Name": "IteratorLag", "Unit": "Milliseconds"},
                            {"Name": "Records", "Unit": "Count"},
                            {"Name": "Ratio"}
                        ]
                    }]
                },
                "StreamName": "orders",
                "ShardId": "shardId-000000000000",
                "IteratorLag": 120.0,
                "Records": 8.0,
                "Ratio": 0.5
            })
        );
    }

    #[test]
    fn escapes_and_no_dimensions() {
        let doc = encode(
            "Stream\"watch",
            &[],
            &[("a\\b", Some("Bytes/Second"), 1.0)],
            0,
        )
        .unwrap();
        assert_eq!(
            doc,
            r#"{"_aws":{"Timestamp":0,"CloudWatchMetrics":[{"Namespace":"Stream\"watch","Dimensions":[[]],"Metrics":[{"Name":"a\\b","Unit":"Bytes/Second"}]}]},"a\\b":1.0}"#
        );
        let value: Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(value["a\\b"], json!(1.0));
    }

    #[test]
    fn limits() {
        let names: Vec<String> = (0..101).map(|i| format!("m{i}")).collect();
        let metrics: Vec<(&str, Option<&str>, f64)> = names
            .iter()
            .map(|n| (n.as_str(), Some("Count"), 1.0))
            .collect();
        assert!(encode("N", &[], &metrics[..100], 0).is_ok());
        assert_eq!(
            encode("N", &[], &metrics, 0),
            Err(EmfError::TooManyMetrics(101))
        );
        assert_eq!(encode("N", &[], &[], 0), Err(EmfError::NoMetrics));

        let dim_names: Vec<String> = (0..31).map(|i| format!("d{i}")).collect();
        let dims: Vec<(&str, &str)> = dim_names.iter().map(|n| (n.as_str(), "v")).collect();
        let one = [("m", None, 1.0)];
        assert!(encode("N", &dims[..30], &one, 0).is_ok());
        assert_eq!(
            encode("N", &dims, &one, 0),
            Err(EmfError::TooManyDimensions(31))
        );

        assert_eq!(
            encode("AWS/Kinesis", &[], &one, 0),
            Err(EmfError::ReservedNamespace("AWS/Kinesis".to_owned()))
        );
        assert!(matches!(
            encode("", &[], &one, 0),
            Err(EmfError::InvalidLength {
                what: "namespace",
                ..
            })
        ));
        let long = "x".repeat(256);
        assert!(matches!(
            encode("N", &[], &[(long.as_str(), None, 1.0)], 0),
            Err(EmfError::InvalidLength {
                what: "metric name",
                max: 255,
                ..
            })
        ));
        assert!(matches!(
            encode("N", &[("StreamName", "")], &one, 0),
            Err(EmfError::InvalidLength {
                what: "dimension value",
                ..
            })
        ));
        assert_eq!(
            encode("N", &[], &[("m", Some("Bananas"), 1.0)], 0),
            Err(EmfError::InvalidUnit {
                metric: "m".to_owned(),
                unit: "Bananas".to_owned()
            })
        );
        assert_eq!(
            encode("N", &[], &[("m", None, f64::NAN)], 0),
            Err(EmfError::NonFiniteValue("m".to_owned()))
        );
        assert_eq!(
            encode("N", &[("m", "v")], &one, 0),
            Err(EmfError::DuplicateMember("m".to_owned()))
        );
        assert_eq!(
            encode("N", &[], &[("m", None, 1.0), ("m", None, 2.0)], 0),
            Err(EmfError::DuplicateMember("m".to_owned()))
        );
        assert_eq!(
            encode("N", &[], &[("_aws", None, 1.0)], 0),
            Err(EmfError::DuplicateMember("_aws".to_owned()))
        );
        assert_eq!(
            EmfError::TooManyMetrics(101).to_string(),
            "101 metrics, more than the 100 an EMF directive allows"
        );
    }
}
