//! Prometheus text exposition format 0.0.4 (`Content-Type: text/plain; version=0.0.4`).
//!
//! Names follow the convention shared by yet-another-cloudwatch-exporter and prometheus
//! cloudwatch_exporter: `aws_<namespace>_<metric_snake_case>_<statistic>`, e.g.
//! `aws_kinesis_incoming_bytes_sum`, `aws_kinesis_get_records_iterator_age_milliseconds_average`,
//! `aws_lambda_duration_p99`; labels are the dimensions in snake case (`stream_name`,
//! `shard_id`, `function_name`, `resource`) plus `region`; every series carries the CloudWatch
//! timestamp in milliseconds. Inventory objects become `<class>_info` gauges of value 1 (e.g.
//! `aws_kinesis_info{name="orders",stream_arn="...",tag_team="data"} 1`).
//!
//! Output is grouped per metric family (`# HELP`, `# TYPE <name> gauge`, then its series), with
//! families sorted by name and series by their label sets. A series (name and label set) appears
//! once: of several samples for it, the one with the latest timestamp is shown (a scrape shows
//! the newest datapoint, and the format forbids repeating a series).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::{Gauge, InventoryObject, MetricType, Sample, Statistic, namespace_prefix, snake_case};

/// The HTTP `Content-Type` of this format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The metric name of a CloudWatch metric and statistic:
/// `metric_name("AWS/Kinesis", "IncomingBytes", Statistic::Sum)` is
/// `aws_kinesis_incoming_bytes_sum`.
pub fn metric_name(namespace: &str, metric: &str, statistic: Statistic) -> String {
    format!(
        "{}_{}_{}",
        namespace_prefix(namespace),
        snake_case(metric),
        crate::statistic_suffix(statistic)
    )
}

/// The label name of a CloudWatch dimension (or inventory field): `StreamName` -> `stream_name`,
/// `FunctionName` -> `function_name`. A name that would start with a digit gets a leading `_`.
pub fn label_name(dimension: &str) -> String {
    let snake = snake_case(dimension);
    if snake.is_empty() || snake.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{snake}")
    } else {
        snake
    }
}

/// `name` with every character outside `[a-zA-Z0-9_:]` replaced by `_` (and `:` too when
/// `allow_colon` is false, as in label names), and `_` put before a leading digit.
fn sanitize(name: &str, allow_colon: bool) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || (allow_colon && c == ':') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// Escapes a label value: backslash, double quote and line feed become `\\`, `\"` and `\n`.
pub fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes HELP text: backslash and line feed become `\\` and `\n` (quotes stay as they are).
pub fn escape_help(help: &str) -> String {
    let mut out = String::with_capacity(help.len());
    for c in help.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A sample value as the format writes it: `NaN`, `+Inf`, `-Inf`, else the shortest decimal
/// form that reads back as the same `f64`.
pub fn format_value(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        value.to_string()
    }
}

/// `{a="x",b="y"}` for a non-empty label set, else the empty string.
pub(crate) fn render_labels(labels: &BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let mut out = String::from("{");
    for (i, (name, value)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{name}=\"{}\"", escape_label_value(value));
    }
    out.push('}');
    out
}

/// One series' value, the timestamp that decides which of several points of a series is shown
/// (the latest; of equal ones the last given), and the timestamp written, if any.
pub(crate) struct Point {
    pub(crate) value: f64,
    pub(crate) latest_ms: i64,
    pub(crate) timestamp_ms: Option<i64>,
}

/// A metric family: its HELP text, its type and its series keyed by their rendered label
/// sets.
#[derive(Default)]
pub(crate) struct Family {
    pub(crate) help: String,
    pub(crate) kind: MetricType,
    pub(crate) series: BTreeMap<String, Point>,
}

impl Family {
    pub(crate) fn add(&mut self, labels: String, point: Point) {
        match self.series.get(&labels) {
            Some(old) if old.latest_ms > point.latest_ms => {}
            _ => {
                self.series.insert(labels, point);
            }
        }
    }
}

fn family(
    families: &mut BTreeMap<String, Family>,
    name: String,
    help: impl FnOnce() -> String,
) -> &mut Family {
    families.entry(name).or_insert_with(|| Family {
        help: help(),
        kind: MetricType::Gauge,
        series: BTreeMap::new(),
    })
}

/// The label set of a sample: its dimensions in snake case plus `region` (which wins over a
/// dimension that snake-cases to the same name).
fn sample_labels(sample: &Sample) -> BTreeMap<String, String> {
    let mut labels: BTreeMap<String, String> = sample
        .dimensions
        .iter()
        .map(|(k, v)| (label_name(k), v.clone()))
        .collect();
    labels.insert("region".to_owned(), sample.region.clone());
    labels
}

/// The label set of an inventory object: `name`, its fields in snake case and its tags as
/// `tag_<key in snake case>`; `name` wins over a field of the same label name.
fn object_labels(object: &InventoryObject) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    for (key, value) in &object.fields {
        labels.insert(label_name(key), value.to_text());
    }
    for (key, value) in &object.tags {
        labels.insert(format!("tag_{}", snake_case(key)), value.clone());
    }
    labels.insert("name".to_owned(), object.name.clone());
    labels
}

/// The name of the info family of an inventory class: `aws_kinesis` -> `aws_kinesis_info`.
pub fn info_name(class: &str) -> String {
    format!("{}_info", sanitize(class, true))
}

/// Encodes samples, inventory objects and extra series as one exposition, each CloudWatch
/// series with its CloudWatch timestamp. CloudWatch and inventory families are gauges; an
/// extra family has the [`MetricType`] of its first series. Families with the same name (an extra
/// gauge named like a CloudWatch family) are merged, the first HELP text kept.
pub fn encode(samples: &[Sample], objects: &[InventoryObject], extra: &[Gauge]) -> String {
    encode_with(samples, objects, extra, true)
}

/// How series are named and labelled.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum LabelStyle {
    /// streamwatch's own: dimensions and inventory fields in snake case, `region`, CloudWatch
    /// timestamps, `<class>_info` of value 1 with every attribute (see the module docs).
    #[default]
    Streamwatch,
    /// yet-another-cloudwatch-exporter's, so its dashboards and rules read the output
    /// unchanged (see [`crate::yace`]).
    Yace(crate::yace::YaceStyle),
}

/// The encoder's options.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Names and labels.
    pub label_style: LabelStyle,
    /// Whether CloudWatch timestamps may be written at all (`false`: never; the YACE style
    /// writes them only for the metrics it is told to).
    pub timestamps: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            label_style: LabelStyle::Streamwatch,
            timestamps: true,
        }
    }
}

/// [`encode`] with these options; the default options give [`encode`]'s output.
pub fn encode_opts(
    samples: &[Sample],
    objects: &[InventoryObject],
    extra: &[Gauge],
    options: &Options,
) -> String {
    match &options.label_style {
        LabelStyle::Streamwatch => encode_with(samples, objects, extra, options.timestamps),
        LabelStyle::Yace(style) => {
            crate::yace::encode(samples, objects, extra, style, options.timestamps)
        }
    }
}

/// [`encode`], with the CloudWatch timestamps written only when `timestamps` is true. Without
/// them Prometheus stamps each series with the scrape time: the choice of
/// yet-another-cloudwatch-exporter's default and of cloudwatch_exporter's `set_timestamp:
/// false`, for setups where datapoints older than the query lookback (5 minutes by default)
/// would otherwise not show in instant queries.
pub fn encode_with(
    samples: &[Sample],
    objects: &[InventoryObject],
    extra: &[Gauge],
    timestamps: bool,
) -> String {
    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    for sample in samples {
        let name = metric_name(&sample.namespace, &sample.metric, sample.statistic);
        let help = || {
            let mut help = format!(
                "CloudWatch metric {} {}, statistic {}",
                sample.namespace, sample.metric, sample.statistic
            );
            if let Some(unit) = &sample.unit {
                let _ = write!(help, ", unit {unit}");
            }
            help
        };
        family(&mut families, name, help).add(
            render_labels(&sample_labels(sample)),
            Point {
                value: sample.value,
                latest_ms: sample.timestamp_ms,
                timestamp_ms: timestamps.then_some(sample.timestamp_ms),
            },
        );
    }
    for object in objects {
        let help = || {
            format!(
                "Inventory of {} objects: always 1, attributes and tags as labels",
                object.class
            )
        };
        family(&mut families, info_name(&object.class), help).add(
            render_labels(&object_labels(object)),
            Point {
                value: 1.0,
                latest_ms: i64::MIN,
                timestamp_ms: None,
            },
        );
    }
    add_extra(&mut families, extra);
    render(&families)
}

/// Adds streamwatch's own series; a family named like one already there joins it.
pub(crate) fn add_extra(families: &mut BTreeMap<String, Family>, extra: &[Gauge]) {
    for gauge in extra {
        let labels = gauge
            .labels
            .iter()
            .map(|(k, v)| (sanitize(k, false), v.clone()))
            .collect();
        let family = families
            .entry(sanitize(&gauge.name, true))
            .or_insert_with(|| Family {
                help: gauge.help.clone(),
                kind: gauge.kind,
                series: BTreeMap::new(),
            });
        family.add(
            render_labels(&labels),
            Point {
                value: gauge.value,
                latest_ms: i64::MIN,
                timestamp_ms: None,
            },
        );
    }
}

/// The exposition of these families: HELP, TYPE, then each series.
pub(crate) fn render(families: &BTreeMap<String, Family>) -> String {
    let mut out = String::new();
    for (name, family) in families {
        let _ = writeln!(out, "# HELP {name} {}", escape_help(&family.help));
        let kind = match family.kind {
            MetricType::Gauge => "gauge",
            MetricType::Counter => "counter",
        };
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (labels, point) in &family.series {
            let _ = write!(out, "{name}{labels} {}", format_value(point.value));
            if let Some(ts) = point.timestamp_ms {
                let _ = write!(out, " {ts}");
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(
        metric: &str,
        statistic: Statistic,
        dims: &[(&str, &str)],
        ts: i64,
        value: f64,
    ) -> Sample {
        Sample {
            namespace: "AWS/Kinesis".to_owned(),
            metric: metric.to_owned(),
            statistic,
            unit: Some("Bytes".to_owned()),
            dimensions: dims
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            region: "us-east-1".to_owned(),
            timestamp_ms: ts,
            value,
        }
    }

    #[test]
    fn names_of_the_convention() {
        let k = "AWS/Kinesis";
        assert_eq!(
            metric_name(k, "IncomingBytes", Statistic::Sum),
            "aws_kinesis_incoming_bytes_sum"
        );
        assert_eq!(
            metric_name(k, "PutRecord.Latency", Statistic::Average),
            "aws_kinesis_put_record_latency_average"
        );
        assert_eq!(
            metric_name(k, "GetRecords.IteratorAgeMilliseconds", Statistic::Average),
            "aws_kinesis_get_records_iterator_age_milliseconds_average"
        );
        assert_eq!(
            metric_name(k, "GetRecords.IteratorAgeMilliseconds", Statistic::Maximum),
            "aws_kinesis_get_records_iterator_age_milliseconds_maximum"
        );
        assert_eq!(
            metric_name(k, "WriteProvisionedThroughputExceeded", Statistic::Average),
            "aws_kinesis_write_provisioned_throughput_exceeded_average"
        );
        assert_eq!(
            metric_name(k, "IncomingRecords", Statistic::SampleCount),
            "aws_kinesis_incoming_records_sample_count"
        );
        assert_eq!(
            metric_name("AWS/Lambda", "Duration", Statistic::Percentile(99.0)),
            "aws_lambda_duration_p99"
        );
        assert_eq!(
            metric_name("AWS/Lambda", "Duration", Statistic::Percentile(99.9)),
            "aws_lambda_duration_p99_9"
        );
        assert_eq!(label_name("StreamName"), "stream_name");
        assert_eq!(label_name("ShardId"), "shard_id");
        assert_eq!(label_name("FunctionName"), "function_name");
        assert_eq!(label_name("Resource"), "resource");
        assert_eq!(label_name("ExecutedVersion"), "executed_version");
        assert_eq!(label_name("StreamARN"), "stream_arn");
        assert_eq!(label_name("1st"), "_1st");
        assert_eq!(info_name("aws_kinesis"), "aws_kinesis_info");
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_label_value(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape_label_value("line1\nline2"), r"line1\nline2");
        assert_eq!(escape_help("say \"hi\"\\\nbye"), r#"say "hi"\\\nbye"#);
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_value(1024.0), "1024");
        assert_eq!(format_value(0.25), "0.25");
    }

    #[test]
    fn exposition_is_grouped_sorted_and_deduplicated() {
        let samples = vec![
            sample(
                "IncomingBytes",
                Statistic::Sum,
                &[("StreamName", "b")],
                60_000,
                2.0,
            ),
            sample(
                "IncomingBytes",
                Statistic::Sum,
                &[("StreamName", "a")],
                60_000,
                1.5,
            ),
            // An older datapoint of series a: the newer one stays.
            sample(
                "IncomingBytes",
                Statistic::Sum,
                &[("StreamName", "a")],
                0,
                9.0,
            ),
            sample(
                "IncomingBytes",
                Statistic::Sum,
                &[("StreamName", "a"), ("ShardId", "shardId-000000000000")],
                60_000,
                1.0,
            ),
            sample(
                "GetRecords.IteratorAgeMilliseconds",
                Statistic::Maximum,
                &[("StreamName", "q\"uo\\te\nd")],
                120_000,
                0.0,
            ),
        ];
        let mut object = InventoryObject {
            class: "aws_kinesis".to_owned(),
            name: "a".to_owned(),
            fields: BTreeMap::new(),
            tags: BTreeMap::new(),
        };
        object.fields.insert(
            "StreamARN".to_owned(),
            "arn:aws:kinesis:us-east-1:000000000000:stream/a".into(),
        );
        object
            .fields
            .insert("RetentionPeriodHours".to_owned(), 24_i64.into());
        object.tags.insert("team".to_owned(), "data".to_owned());
        let extra = vec![Gauge {
            name: "streamwatch_api_calls_total".to_owned(),
            kind: MetricType::Counter,
            help: "API calls since the start".to_owned(),
            labels: vec![("operation".to_owned(), "GetMetricData".to_owned())],
            value: 3.0,
        }];
        let expected = concat!(
            "# HELP aws_kinesis_get_records_iterator_age_milliseconds_maximum CloudWatch metric AWS/Kinesis GetRecords.IteratorAgeMilliseconds, statistic Maximum, unit Bytes\n",
            "# TYPE aws_kinesis_get_records_iterator_age_milliseconds_maximum gauge\n",
            "aws_kinesis_get_records_iterator_age_milliseconds_maximum{region=\"us-east-1\",stream_name=\"q\\\"uo\\\\te\\nd\"} 0 120000\n",
            "# HELP aws_kinesis_incoming_bytes_sum CloudWatch metric AWS/Kinesis IncomingBytes, statistic Sum, unit Bytes\n",
            "# TYPE aws_kinesis_incoming_bytes_sum gauge\n",
            "aws_kinesis_incoming_bytes_sum{region=\"us-east-1\",shard_id=\"shardId-000000000000\",stream_name=\"a\"} 1 60000\n",
            "aws_kinesis_incoming_bytes_sum{region=\"us-east-1\",stream_name=\"a\"} 1.5 60000\n",
            "aws_kinesis_incoming_bytes_sum{region=\"us-east-1\",stream_name=\"b\"} 2 60000\n",
            "# HELP aws_kinesis_info Inventory of aws_kinesis objects: always 1, attributes and tags as labels\n",
            "# TYPE aws_kinesis_info gauge\n",
            "aws_kinesis_info{name=\"a\",retention_period_hours=\"24\",stream_arn=\"arn:aws:kinesis:us-east-1:000000000000:stream/a\",tag_team=\"data\"} 1\n",
            "# HELP streamwatch_api_calls_total API calls since the start\n",
            "# TYPE streamwatch_api_calls_total counter\n",
            "streamwatch_api_calls_total{operation=\"GetMetricData\"} 3\n",
        );
        assert_eq!(encode(&samples, &[object], &extra), expected);
    }

    #[test]
    fn gauges_are_sanitised_and_may_have_no_labels() {
        let extra = vec![
            Gauge {
                name: "streamwatch.last-scrape age".to_owned(),
                kind: MetricType::Gauge,
                help: "seconds\nsince".to_owned(),
                labels: vec![("a:b".to_owned(), "x".to_owned())],
                value: f64::NAN,
            },
            Gauge {
                name: "9lives".to_owned(),
                kind: MetricType::Gauge,
                help: String::new(),
                labels: vec![],
                value: -1.0,
            },
        ];
        assert_eq!(
            encode(&[], &[], &extra),
            concat!(
                "# HELP _9lives \n",
                "# TYPE _9lives gauge\n",
                "_9lives -1\n",
                "# HELP streamwatch_last_scrape_age seconds\\nsince\n",
                "# TYPE streamwatch_last_scrape_age gauge\n",
                "streamwatch_last_scrape_age{a_b=\"x\"} NaN\n",
            )
        );
        assert_eq!(encode(&[], &[], &[]), "");
    }

    #[test]
    fn timestamps_can_be_left_out() {
        let samples = vec![
            sample(
                "IncomingBytes",
                Statistic::Sum,
                &[("StreamName", "a")],
                0,
                9.0,
            ),
            sample(
                "IncomingBytes",
                Statistic::Sum,
                &[("StreamName", "a")],
                60_000,
                1.0,
            ),
        ];
        assert_eq!(
            encode_with(&samples, &[], &[], false),
            concat!(
                "# HELP aws_kinesis_incoming_bytes_sum CloudWatch metric AWS/Kinesis IncomingBytes, statistic Sum, unit Bytes\n",
                "# TYPE aws_kinesis_incoming_bytes_sum gauge\n",
                "aws_kinesis_incoming_bytes_sum{region=\"us-east-1\",stream_name=\"a\"} 1\n",
            )
        );
    }
}
