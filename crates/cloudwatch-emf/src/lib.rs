//! CloudWatch Embedded Metric Format (EMF): one JSON document per log line, from which
//! CloudWatch Logs extracts metrics. The document is
//!
//! ```json
//! {"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"Streamwatch",
//!   "Dimensions":[["StreamName"]],"Metrics":[{"Name":"Lag","Unit":"Milliseconds"}]}]},
//!  "StreamName":"orders","Lag":120.0}
//! ```
//!
//! a list of metric directives, each naming a namespace, dimension sets (lists of member
//! names) and metric definitions; each dimension is a top-level string member and each metric
//! a top-level number member, or an array of up to 100 numbers (the spec's "target members").
//!
//! - [`Document`] writes one directive whose single dimension set holds every dimension
//!   given, checking the format's limits ([`EmfError`] says which one a document breaks).
//! - [`parse`] reads a line as CloudWatch Logs does with a Lambda function's output: the
//!   parts that break the rules are left out, the rest is extracted.
//!
//! The only dependency is `serde_json`, so that users' Lambda functions (through
//! `lambda-kinesis-handler`) stay light.
//!
//! ```
//! let line = cloudwatch_emf::Document::new("Shop", 1_700_000_000_000)
//!     .dimension("Service", "cart")
//!     .metric("Latency", Some("Milliseconds"), 12.5)
//!     .count("Orders", Some("Count"), 3)
//!     .to_line()
//!     .unwrap();
//! let parsed = cloudwatch_emf::parse(&line).unwrap();
//! assert_eq!(parsed.timestamp_ms, 1_700_000_000_000);
//! let directive = &parsed.directives[0];
//! assert_eq!(directive.dimension_sets, [vec![("Service".to_string(), "cart".to_string())]]);
//! assert_eq!(directive.metrics[1].values, [3.0]);
//! ```

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

use std::collections::BTreeSet;

use serde_json::{Number, Value};

/// Most metric definitions in one metric directive.
pub const MAX_METRICS: usize = 100;
/// Most keys in one dimension set.
pub const MAX_DIMENSIONS: usize = 30;
/// Longest namespace, metric name or dimension name, in characters.
pub const MAX_NAME_LEN: usize = 255;
/// Longest dimension value, in characters.
pub const MAX_DIMENSION_VALUE_LEN: usize = 1024;
/// Most values one metric may carry in one document (as an array).
pub const MAX_VALUES: usize = 100;

/// Why a document could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmfError {
    /// No metric was given; a directive needs at least one.
    #[error("an EMF directive needs at least one metric")]
    NoMetrics,
    /// More than [`MAX_METRICS`] metrics.
    #[error("{0} metrics, more than the {MAX_METRICS} an EMF directive allows")]
    TooManyMetrics(usize),
    /// More than [`MAX_DIMENSIONS`] dimensions.
    #[error("{0} dimensions, more than the {MAX_DIMENSIONS} keys an EMF dimension set allows")]
    TooManyDimensions(usize),
    /// An empty or over-long namespace, metric name, dimension name or dimension value.
    #[error("invalid {what} {value:?}: must be 1..={max} characters")]
    InvalidLength {
        /// What was invalid: `namespace`, `metric name`, `dimension name` or `dimension value`.
        what: &'static str,
        /// The offending text.
        value: String,
        /// Its maximum length.
        max: usize,
    },
    /// A namespace starting with `AWS/`.
    #[error("namespace {0:?} is reserved for AWS (starts with \"AWS/\")")]
    ReservedNamespace(String),
    /// A unit the document's unit check ([`Document::known_units`]) refused.
    #[error("metric {metric:?}: unknown unit {unit:?}")]
    InvalidUnit {
        /// The metric.
        metric: String,
        /// The unit given.
        unit: String,
    },
    /// A NaN or infinite value, which JSON cannot carry.
    #[error("metric {0:?}: value is not finite")]
    NonFiniteValue(String),
    /// A metric with no value, or more than [`MAX_VALUES`].
    #[error("metric {metric:?}: {count} values, where EMF allows 1..={MAX_VALUES}")]
    InvalidValueCount {
        /// The metric.
        metric: String,
        /// How many values it was given.
        count: usize,
    },
    /// Two members of the document would share a name (two metrics, two dimensions, a metric
    /// and a dimension, or either named `_aws`).
    #[error("duplicate member {0:?}: metric and dimension names must be distinct")]
    DuplicateMember(String),
}

/// A metric's value(s) as given.
#[derive(Debug, Clone, PartialEq)]
enum Values {
    /// One number, written as a JSON float (`120.0`).
    One(f64),
    /// One count, written as a JSON integer (`3`).
    Count(u64),
    /// An array of numbers.
    Many(Vec<f64>),
}

/// One metric of a [`Document`].
#[derive(Debug, Clone, PartialEq)]
struct Metric<'a> {
    name: &'a str,
    unit: Option<&'a str>,
    values: Values,
}

/// An EMF document being written: one metric directive, whose single dimension set holds
/// every dimension given. Members appear in the order `_aws`, dimensions, metrics, each in the
/// order given.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    namespace: &'a str,
    timestamp_ms: i64,
    dimensions: Vec<(&'a str, &'a str)>,
    metrics: Vec<Metric<'a>>,
    is_unit: Option<fn(&str) -> bool>,
}

impl<'a> Document<'a> {
    /// A document for `namespace` at `timestamp_ms` (epoch milliseconds).
    pub fn new(namespace: &'a str, timestamp_ms: i64) -> Document<'a> {
        Document {
            namespace,
            timestamp_ms,
            dimensions: Vec::new(),
            metrics: Vec::new(),
            is_unit: None,
        }
    }

    /// Units are checked with `is_unit` (CloudWatch's `StandardUnit` list, say); without it
    /// any unit text is written.
    pub fn known_units(mut self, is_unit: fn(&str) -> bool) -> Document<'a> {
        self.is_unit = Some(is_unit);
        self
    }

    /// Adds dimension `name` with `value` to the dimension set.
    pub fn dimension(mut self, name: &'a str, value: &'a str) -> Document<'a> {
        self.dimensions.push((name, value));
        self
    }

    /// Adds a metric with one value.
    pub fn metric(mut self, name: &'a str, unit: Option<&'a str>, value: f64) -> Document<'a> {
        self.push(name, unit, Values::One(value));
        self
    }

    /// Adds a metric whose one value is a count, written as a JSON integer.
    pub fn count(mut self, name: &'a str, unit: Option<&'a str>, value: u64) -> Document<'a> {
        self.push(name, unit, Values::Count(value));
        self
    }

    /// Adds a metric with several values (at most [`MAX_VALUES`]), written as an array.
    pub fn values(mut self, name: &'a str, unit: Option<&'a str>, values: &[f64]) -> Document<'a> {
        self.push(name, unit, Values::Many(values.to_vec()));
        self
    }

    fn push(&mut self, name: &'a str, unit: Option<&'a str>, values: Values) {
        self.metrics.push(Metric { name, unit, values });
    }

    /// Checks the document against the format's limits: 1 to [`MAX_METRICS`] metrics, at most
    /// [`MAX_DIMENSIONS`] dimensions, names of 1 to [`MAX_NAME_LEN`] characters, dimension
    /// values of 1 to [`MAX_DIMENSION_VALUE_LEN`], known units (when a check is set), finite
    /// values, 1 to [`MAX_VALUES`] values a metric, no two members of one name, and no `AWS/`
    /// namespace (reserved for AWS's own metrics).
    pub fn validate(&self) -> Result<(), EmfError> {
        check_len("namespace", self.namespace, MAX_NAME_LEN)?;
        if self.namespace.starts_with("AWS/") {
            return Err(EmfError::ReservedNamespace(self.namespace.to_owned()));
        }
        if self.metrics.is_empty() {
            return Err(EmfError::NoMetrics);
        }
        if self.metrics.len() > MAX_METRICS {
            return Err(EmfError::TooManyMetrics(self.metrics.len()));
        }
        if self.dimensions.len() > MAX_DIMENSIONS {
            return Err(EmfError::TooManyDimensions(self.dimensions.len()));
        }
        let mut members: BTreeSet<&str> = BTreeSet::from(["_aws"]);
        for (name, value) in &self.dimensions {
            check_len("dimension name", name, MAX_NAME_LEN)?;
            check_len("dimension value", value, MAX_DIMENSION_VALUE_LEN)?;
            if !members.insert(name) {
                return Err(EmfError::DuplicateMember((*name).to_owned()));
            }
        }
        for metric in &self.metrics {
            check_len("metric name", metric.name, MAX_NAME_LEN)?;
            if !members.insert(metric.name) {
                return Err(EmfError::DuplicateMember(metric.name.to_owned()));
            }
            if let (Some(unit), Some(is_unit)) = (metric.unit, self.is_unit)
                && !is_unit(unit)
            {
                return Err(EmfError::InvalidUnit {
                    metric: metric.name.to_owned(),
                    unit: unit.to_owned(),
                });
            }
            let (finite, count) = match &metric.values {
                Values::One(v) => (v.is_finite(), 1),
                Values::Count(_) => (true, 1),
                Values::Many(vs) => (vs.iter().all(|v| v.is_finite()), vs.len()),
            };
            if !finite {
                return Err(EmfError::NonFiniteValue(metric.name.to_owned()));
            }
            if !(1..=MAX_VALUES).contains(&count) {
                return Err(EmfError::InvalidValueCount {
                    metric: metric.name.to_owned(),
                    count,
                });
            }
        }
        Ok(())
    }

    /// The document as one line (no trailing newline), once [`Document::validate`] passes.
    pub fn to_line(&self) -> Result<String, EmfError> {
        self.validate()?;
        let keys: Vec<String> = self.dimensions.iter().map(|(k, _)| quoted(k)).collect();
        let definitions: Vec<String> = self
            .metrics
            .iter()
            .map(|m| match m.unit {
                Some(unit) => format!("{{\"Name\":{},\"Unit\":{}}}", quoted(m.name), quoted(unit)),
                None => format!("{{\"Name\":{}}}", quoted(m.name)),
            })
            .collect();
        let mut out = format!(
            "{{\"_aws\":{{\"Timestamp\":{},\"CloudWatchMetrics\":[{{\"Namespace\":{},\
             \"Dimensions\":[[{}]],\"Metrics\":[{}]}}]}}",
            self.timestamp_ms,
            quoted(self.namespace),
            keys.join(","),
            definitions.join(",")
        );
        for (name, value) in &self.dimensions {
            out.push_str(&format!(",{}:{}", quoted(name), quoted(value)));
        }
        for m in &self.metrics {
            let value = match &m.values {
                Values::One(v) => Value::from(*v),
                Values::Count(n) => Value::Number(Number::from(*n)),
                Values::Many(vs) => Value::from(vs.clone()),
            };
            out.push_str(&format!(",{}:{value}", quoted(m.name)));
        }
        out.push('}');
        Ok(out)
    }
}

fn check_len(what: &'static str, value: &str, max: usize) -> Result<(), EmfError> {
    let len = value.chars().count();
    if len == 0 || len > max {
        return Err(EmfError::InvalidLength {
            what,
            value: value.to_owned(),
            max,
        });
    }
    Ok(())
}

/// JSON text of a string.
fn quoted(s: &str) -> String {
    Value::from(s).to_string()
}

/// An EMF document as read by [`parse`].
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The document's timestamp, epoch milliseconds.
    pub timestamp_ms: u64,
    /// Its metric directives, those with a namespace of one's own (not `AWS/`).
    pub directives: Vec<Directive>,
}

/// One metric directive of a parsed document.
#[derive(Debug, Clone, PartialEq)]
pub struct Directive {
    /// The namespace.
    pub namespace: String,
    /// The dimension sets whose every key names a string member, each with the values;
    /// one empty set when the directive names none.
    pub dimension_sets: Vec<Vec<(String, String)>>,
    /// The metrics whose target member is a number or an array of numbers.
    pub metrics: Vec<ParsedMetric>,
}

/// One metric of a parsed directive.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedMetric {
    /// The metric name.
    pub name: String,
    /// The unit as written, if any (not checked).
    pub unit: Option<String>,
    /// Its values: the number, or the first [`MAX_VALUES`] numbers of the array.
    pub values: Vec<f64>,
}

/// Reads `line` as an EMF document, as CloudWatch Logs does with a function's output:
/// `None` when it is not one (not a JSON object with `_aws` and an integer `_aws.Timestamp`).
/// Within a document, a directive without a namespace or with an `AWS/` one, a dimension set
/// naming a member that is not a string and a metric whose member is not a number (or an
/// array of them) are left out; the rest is kept.
pub fn parse(line: &str) -> Option<Parsed> {
    let line = line.trim();
    // Most log lines are not EMF; this spares them a JSON parse.
    if !line.starts_with('{') || !line.contains("\"_aws\"") {
        return None;
    }
    let doc = serde_json::from_str::<Value>(line).ok()?;
    let aws = &doc["_aws"];
    let timestamp_ms = aws["Timestamp"].as_u64()?;
    let mut directives = Vec::new();
    for directive in aws["CloudWatchMetrics"].as_array().into_iter().flatten() {
        let Some(namespace) = directive["Namespace"].as_str() else {
            continue;
        };
        if namespace.starts_with("AWS/") || namespace.is_empty() {
            continue;
        }
        let key_sets: Vec<Vec<&str>> = directive["Dimensions"]
            .as_array()
            .map(|sets| {
                sets.iter()
                    .map(|set| {
                        set.as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .collect()
                    })
                    .collect()
            })
            .unwrap_or_else(|| vec![Vec::new()]);
        let dimension_sets = key_sets
            .iter()
            .filter_map(|set| {
                set.iter()
                    .map(|k| Some(((*k).to_owned(), doc[*k].as_str()?.to_owned())))
                    .collect::<Option<Vec<_>>>()
            })
            .collect();
        let mut metrics = Vec::new();
        for metric in directive["Metrics"].as_array().into_iter().flatten() {
            let Some(name) = metric["Name"].as_str() else {
                continue;
            };
            let values: Vec<f64> = match &doc[name] {
                Value::Number(n) => n.as_f64().into_iter().collect(),
                Value::Array(a) => a
                    .iter()
                    .filter_map(Value::as_f64)
                    .take(MAX_VALUES)
                    .collect(),
                _ => continue,
            };
            metrics.push(ParsedMetric {
                name: name.to_owned(),
                unit: metric["Unit"].as_str().map(str::to_owned),
                values,
            });
        }
        directives.push(Directive {
            namespace: namespace.to_owned(),
            dimension_sets,
            metrics,
        });
    }
    Some(Parsed {
        timestamp_ms,
        directives,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn document_structure() {
        let doc = Document::new("Streamwatch", 1_700_000_000_000)
            .dimension("StreamName", "orders")
            .dimension("ShardId", "shardId-000000000000")
            .metric("IteratorLag", Some("Milliseconds"), 120.0)
            .count("Records", Some("Count"), 8)
            .values("Ratio", None, &[0.5, 0.25])
            .to_line()
            .unwrap();
        assert_eq!(
            doc,
            concat!(
                r#"{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"Streamwatch","#,
                r#""Dimensions":[["StreamName","ShardId"]],"Metrics":[{"Name":"IteratorLag","Unit":"Milliseconds"},"#,
                r#"{"Name":"Records","Unit":"Count"},{"Name":"Ratio"}]}]},"StreamName":"orders","#,
                r#""ShardId":"shardId-000000000000","IteratorLag":120.0,"Records":8,"Ratio":[0.5,0.25]}"#,
            )
        );
    }

    #[test]
    fn written_documents_read_back() {
        let line = Document::new("Shop", 5)
            .dimension("Service", "cart")
            .values("Latency", Some("Milliseconds"), &[10.0, 20.0])
            .count("Orders", None, 2)
            .to_line()
            .unwrap();
        let parsed = parse(&line).unwrap();
        assert_eq!(
            parsed,
            Parsed {
                timestamp_ms: 5,
                directives: vec![Directive {
                    namespace: "Shop".into(),
                    dimension_sets: vec![vec![("Service".into(), "cart".into())]],
                    metrics: vec![
                        ParsedMetric {
                            name: "Latency".into(),
                            unit: Some("Milliseconds".into()),
                            values: vec![10.0, 20.0],
                        },
                        ParsedMetric {
                            name: "Orders".into(),
                            unit: None,
                            values: vec![2.0],
                        },
                    ],
                }],
            }
        );
    }

    #[test]
    fn the_parser_keeps_what_follows_the_rules() {
        let doc = json!({
            "_aws": {
                "Timestamp": 7,
                "CloudWatchMetrics": [
                    {"Namespace": "AWS/Lambda", "Dimensions": [[]], "Metrics": [{"Name": "M"}]},
                    {"Dimensions": [[]], "Metrics": [{"Name": "M"}]},
                    {"Namespace": "App", "Dimensions": [["Service"], ["Missing"], []],
                     "Metrics": [{"Name": "M"}, {"Name": "Text"}, {"Unit": "Count"}, {"Name": "Many"}]},
                    {"Namespace": "NoSets", "Metrics": [{"Name": "M", "Unit": "Bananas"}]}
                ]
            },
            "Service": "cart",
            "M": 1.5,
            "Text": "x",
            "Many": (0..150).collect::<Vec<i32>>()
        });
        let parsed = parse(&format!("  {doc}\n")).unwrap();
        assert_eq!(parsed.timestamp_ms, 7);
        let namespaces: Vec<&str> = parsed
            .directives
            .iter()
            .map(|d| d.namespace.as_str())
            .collect();
        assert_eq!(namespaces, ["App", "NoSets"]);
        let app = &parsed.directives[0];
        assert_eq!(
            app.dimension_sets,
            [vec![("Service".to_string(), "cart".to_string())], vec![]]
        );
        let names: Vec<&str> = app.metrics.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["M", "Many"]);
        assert_eq!(app.metrics[1].values.len(), MAX_VALUES);
        let no_sets = &parsed.directives[1];
        assert_eq!(no_sets.dimension_sets, [Vec::<(String, String)>::new()]);
        assert_eq!(no_sets.metrics[0].unit.as_deref(), Some("Bananas"));

        assert_eq!(parse("hello"), None);
        assert_eq!(parse(r#"{"_aws": oops"#), None);
        assert_eq!(parse(r#"{"_aws": {"Timestamp": "soon"}}"#), None);
    }

    #[test]
    fn limits() {
        let one = |d: Document<'static>| d.metric("m", None, 1.0);
        assert_eq!(
            Document::new("N", 0).values("m", None, &[]).validate(),
            Err(EmfError::InvalidValueCount {
                metric: "m".into(),
                count: 0
            })
        );
        let many = vec![1.0; MAX_VALUES + 1];
        assert!(
            Document::new("N", 0)
                .values("m", None, &many[..MAX_VALUES])
                .validate()
                .is_ok()
        );
        assert!(
            Document::new("N", 0)
                .values("m", None, &many)
                .validate()
                .is_err()
        );
        assert_eq!(
            Document::new("N", 0)
                .values("m", None, &[1.0, f64::INFINITY])
                .validate(),
            Err(EmfError::NonFiniteValue("m".into()))
        );
        assert_eq!(
            one(Document::new("AWS/Kinesis", 0)).validate(),
            Err(EmfError::ReservedNamespace("AWS/Kinesis".into()))
        );
        let units = |u: &str| u == "Count";
        assert!(
            Document::new("N", 0)
                .known_units(units)
                .metric("m", Some("Count"), 1.0)
                .validate()
                .is_ok()
        );
        assert_eq!(
            Document::new("N", 0)
                .known_units(units)
                .metric("m", Some("Bananas"), 1.0)
                .validate(),
            Err(EmfError::InvalidUnit {
                metric: "m".into(),
                unit: "Bananas".into()
            })
        );
        // Without a check, any unit is written.
        assert!(
            Document::new("N", 0)
                .metric("m", Some("Bananas"), 1.0)
                .validate()
                .is_ok()
        );
    }
}
