//! YACE's names and labels (yet-another-cloudwatch-exporter, `-labels-snake-case=false`, its
//! default), so dashboards and alert rules written for it read streamwatch's output unchanged:
//!
//! - a metric is `aws_<namespace lower-cased>_<metric in snake case>_<statistic>`, with a
//!   leading part of the metric name that repeats a part of the namespace dropped
//!   (`aws_kinesis_incoming_bytes_sum`, `aws_lambda_duration_p90`);
//! - its labels: `name` (the resource's ARN, `global` when no resource is known),
//!   `dimension_<Dimension>` as CloudWatch spells it (`dimension_StreamName`), `region`,
//!   `account_id`, `tag_<Key>` for the tags exported on metrics (the key as written, only
//!   the separators YACE replaces turned to `_`) and `custom_tag_<Key>`;
//! - every series of a family carries the union of the family's label names, empty where a
//!   series has none (YACE's label consistency), so PromQL joins see one label set;
//! - the resources are `aws_<namespace>_info` series of value 0, labelled `name` (the ARN) and
//!   `tag_<Key>` for every tag;
//! - timestamps only for the metrics asked to carry CloudWatch's (`addCloudwatchTimestamp`).
//!
//! `nilToZero` acts before encoding: a series asked for and not answered comes as a `NaN`
//! sample (or 0), which this module writes like any other.

use std::collections::{BTreeMap, BTreeSet};

use crate::prometheus::{Family, Point, render_labels};
use crate::{Gauge, InventoryObject, MetricType, Sample, Statistic};

/// What the YACE style needs beyond the samples and objects: which tags each namespace
/// exports on its metrics, its custom tags, and which metrics carry CloudWatch's timestamps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YaceStyle {
    /// Tag keys exported as `tag_<Key>` on every metric of a namespace (`exportedTagsOnMetrics`),
    /// keyed by CloudWatch namespace (`AWS/Kinesis`).
    pub exported_tags: BTreeMap<String, Vec<String>>,
    /// `custom_tag_<Key>` labels put on every metric of a namespace (`customTags`).
    pub custom_tags: BTreeMap<String, Vec<(String, String)>>,
    /// Namespaces whose info series also carry `region` and `account_id`
    /// (`includeContextOnInfoMetrics`).
    pub context_on_info: BTreeSet<String>,
    /// `(namespace, metric)` pairs written with their CloudWatch timestamps
    /// (`addCloudwatchTimestamp`); the others carry none, so Prometheus stamps the scrape.
    pub timestamped: BTreeSet<(String, String)>,
    /// Namespaces read through ListMetrics (custom namespace jobs) mapped to the job name
    /// their series' `name` label holds.
    pub listed_names: BTreeMap<String, String>,
    /// Static jobs' series: the dimensions, sorted, of a series mapped to the job name its
    /// `name` label holds instead of an ARN.
    pub static_names: BTreeMap<Vec<(String, String)>, String>,
}

/// YACE's `PromString`: separators to `_`, `%` to `_percent`, an `_` before an upper-case
/// letter that follows a lower-case letter or a digit, everything lower-cased. Unlike
/// [`crate::snake_case`] other characters are kept.
pub fn prom_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut prev: Option<char> = None;
    for c in text.chars() {
        match c {
            ' ' | ',' | '\t' | '/' | '\\' | '.' | '-' | ':' | '=' | '@' | '<' | '>' | '(' | ')'
            | '\u{201c}' => out.push('_'),
            '%' => out.push_str("_percent"),
            c => {
                if c.is_uppercase() && prev.is_some_and(|p| p.is_lowercase() || p.is_numeric()) {
                    out.push('_');
                }
                out.extend(c.to_lowercase());
            }
        }
        prev = Some(c);
    }
    out
}

/// YACE's label-name spelling of a dimension or tag key (its default, not snake case): the
/// key as written with the separators of [`prom_string`] replaced by `_` and `%` by
/// `_percent`; `None` when the result is still no valid Prometheus label name (YACE then
/// leaves the label out).
pub fn label_key(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            ' ' | ',' | '\t' | '/' | '\\' | '.' | '-' | ':' | '=' | '@' | '<' | '>' | '(' | ')'
            | '\u{201c}' => out.push('_'),
            '%' => out.push_str("_percent"),
            c => out.push(c),
        }
    }
    let valid = out
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && out.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then_some(out)
}

/// YACE's metric name: `metric_name("AWS/Kinesis", "IncomingBytes", Some(Sum))` is
/// `aws_kinesis_incoming_bytes_sum`; `None` leaves the statistic out (the info series).
pub fn metric_name(namespace: &str, metric: &str, statistic: Option<Statistic>) -> String {
    let namespace = namespace.strip_prefix('/').unwrap_or(namespace);
    let ns = prom_string(&namespace.to_lowercase());
    let mut out = String::new();
    if !ns.starts_with("aws") {
        out.push_str("aws_");
    }
    out.push_str(&ns);
    out.push('_');
    let snake = prom_string(metric);
    // A metric that repeats a part of its namespace at its start (Glue's `glue.driver...`)
    // loses it; YACE keeps the length of the last part that matched.
    let mut skip = 0;
    for part in ns.split('_') {
        if snake.get(skip..).is_some_and(|rest| rest.starts_with(part)) {
            skip = part.len();
        }
    }
    out.push_str(snake.get(skip..).unwrap_or("").trim_start_matches('_'));
    if let Some(statistic) = statistic {
        out.push('_');
        out.push_str(&prom_string(&statistic.to_string()));
    }
    out
}

/// The ARN field of an inventory object (`StreamARN`, `FunctionArn`, `QueueArn`, ...).
fn object_arn(object: &InventoryObject) -> Option<String> {
    object
        .fields
        .iter()
        .find(|(k, _)| k.ends_with("ARN") || k.ends_with("Arn"))
        .map(|(_, v)| v.to_text())
}

fn object_field(object: &InventoryObject, key: &str) -> Option<String> {
    object.fields.get(key).map(|v| v.to_text())
}

/// The ARN of a resource the inventory does not hold, from its region, account and name, for
/// the namespaces whose ARN shape is known.
fn built_arn(namespace: &str, region: &str, account: &str, name: &str) -> Option<String> {
    let (service, resource) = match namespace {
        "AWS/Kinesis" => ("kinesis", format!("stream/{name}")),
        "AWS/Lambda" => ("lambda", format!("function:{name}")),
        "AWS/SQS" => ("sqs", name.to_owned()),
        "AWS/SNS" => ("sns", name.to_owned()),
        _ => return None,
    };
    Some(format!("arn:aws:{service}:{region}:{account}:{resource}"))
}

/// The resource dimension of a namespace, whose value names the resource in an ARN.
fn resource_dimension(namespace: &str) -> Option<&'static str> {
    match namespace {
        "AWS/Kinesis" => Some("StreamName"),
        "AWS/Lambda" => Some("FunctionName"),
        "AWS/SQS" => Some("QueueName"),
        "AWS/SNS" => Some("TopicName"),
        _ => None,
    }
}

/// What the objects say of a resource: its ARN, account and tags.
struct Resource<'a> {
    arn: Option<String>,
    account: Option<String>,
    tags: &'a BTreeMap<String, String>,
}

/// The objects indexed by (region, dimension name, dimension value): each object answers for
/// every field it holds, so `StreamName` or `FunctionName` finds it.
fn index(objects: &[InventoryObject]) -> BTreeMap<(String, String, String), Resource<'_>> {
    let mut out = BTreeMap::new();
    for object in objects {
        let region = object_field(object, "RegionId").unwrap_or_default();
        for (key, value) in &object.fields {
            out.insert(
                (region.clone(), key.clone(), value.to_text()),
                Resource {
                    arn: object_arn(object),
                    account: object_field(object, "AccountId"),
                    tags: &object.tags,
                },
            );
        }
    }
    out
}

/// One series before the family's label union: its labels and its point.
type Labelled = (BTreeMap<String, String>, Point);

/// Encodes samples, objects and streamwatch's own series in YACE's names and labels.
/// `timestamps` false drops every timestamp.
pub(crate) fn encode(
    samples: &[Sample],
    objects: &[InventoryObject],
    extra: &[Gauge],
    style: &YaceStyle,
    timestamps: bool,
) -> String {
    let resources = index(objects);
    // An account per region, for resources the inventory does not hold.
    let mut accounts: BTreeMap<String, String> = BTreeMap::new();
    for object in objects {
        if let (Some(region), Some(account)) = (
            object_field(object, "RegionId"),
            object_field(object, "AccountId"),
        ) {
            accounts.entry(region).or_insert(account);
        }
    }
    let no_tags = BTreeMap::new();
    // Families before the label union: name -> (help, series).
    let mut raw: BTreeMap<String, (String, Vec<Labelled>)> = BTreeMap::new();
    for sample in samples {
        let ns = sample.namespace.as_str();
        let found = resource_dimension(ns).and_then(|dim| {
            let value = sample.dimensions.iter().find(|(k, _)| k == dim)?.1.clone();
            let resource = resources.get(&(sample.region.clone(), dim.to_owned(), value.clone()));
            Some((value, resource))
        });
        let account = found
            .as_ref()
            .and_then(|(_, r)| r.as_ref().and_then(|r| r.account.clone()))
            .or_else(|| accounts.get(&sample.region).cloned())
            .unwrap_or_default();
        let mut sorted_dims = sample.dimensions.clone();
        sorted_dims.sort();
        let name = if let Some(job) = style.static_names.get(&sorted_dims) {
            job.clone()
        } else if let Some(job) = style.listed_names.get(ns) {
            job.clone()
        } else {
            match &found {
                Some((_, Some(Resource { arn: Some(arn), .. }))) => arn.clone(),
                Some((value, _)) if !account.is_empty() => {
                    built_arn(ns, &sample.region, &account, value)
                        .unwrap_or_else(|| "global".to_owned())
                }
                _ => "global".to_owned(),
            }
        };
        let tags = found
            .as_ref()
            .and_then(|(_, r)| r.as_ref().map(|r| r.tags))
            .unwrap_or(&no_tags);
        let mut labels = BTreeMap::new();
        labels.insert("name".to_owned(), name);
        for (dim, value) in &sample.dimensions {
            if let Some(key) = label_key(dim) {
                labels.insert(format!("dimension_{key}"), value.clone());
            }
        }
        for key in style.exported_tags.get(ns).into_iter().flatten() {
            if let Some(label) = label_key(key) {
                let value = tags.get(key).cloned().unwrap_or_default();
                labels.insert(format!("tag_{label}"), value);
            }
        }
        labels.insert("region".to_owned(), sample.region.clone());
        labels.insert("account_id".to_owned(), account);
        for (key, value) in style.custom_tags.get(ns).into_iter().flatten() {
            if let Some(label) = label_key(key) {
                labels.insert(format!("custom_tag_{label}"), value.clone());
            }
        }
        let stamped = timestamps
            && sample.timestamp_ms != i64::MIN
            && style
                .timestamped
                .contains(&(sample.namespace.clone(), sample.metric.clone()));
        let entry = raw
            .entry(metric_name(ns, &sample.metric, Some(sample.statistic)))
            .or_insert_with(|| {
                let mut help = format!(
                    "CloudWatch metric {} {}, statistic {}",
                    sample.namespace, sample.metric, sample.statistic
                );
                if let Some(unit) = &sample.unit {
                    help.push_str(&format!(", unit {unit}"));
                }
                (help, Vec::new())
            });
        entry.1.push((
            labels,
            Point {
                value: sample.value,
                latest_ms: sample.timestamp_ms,
                timestamp_ms: stamped.then_some(sample.timestamp_ms),
            },
        ));
    }
    for object in objects {
        let Some(ns) = namespace_of_class(&object.class) else {
            continue;
        };
        let mut labels = BTreeMap::new();
        labels.insert(
            "name".to_owned(),
            object_arn(object).unwrap_or_else(|| object.name.clone()),
        );
        for (key, value) in &object.tags {
            if let Some(label) = label_key(key) {
                labels.insert(format!("tag_{label}"), value.clone());
            }
        }
        if style.context_on_info.contains(&ns) {
            let region = object_field(object, "RegionId").unwrap_or_default();
            labels.insert("region".to_owned(), region);
            labels.insert(
                "account_id".to_owned(),
                object_field(object, "AccountId").unwrap_or_default(),
            );
            for (key, value) in style.custom_tags.get(&ns).into_iter().flatten() {
                if let Some(label) = label_key(key) {
                    labels.insert(format!("custom_tag_{label}"), value.clone());
                }
            }
        }
        raw.entry(metric_name(&ns, "info", None))
            .or_insert_with(|| {
                (
                    format!("Inventory of {ns} resources: always 0, the ARN and tags as labels"),
                    Vec::new(),
                )
            })
            .1
            .push((
                labels,
                Point {
                    value: 0.0,
                    latest_ms: i64::MIN,
                    timestamp_ms: None,
                },
            ));
    }

    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    for (name, (help, series)) in raw {
        let names: BTreeSet<&String> = series.iter().flat_map(|(l, _)| l.keys()).collect();
        let names: Vec<String> = names.into_iter().cloned().collect();
        let family = families.entry(name).or_insert_with(|| Family {
            help,
            kind: MetricType::Gauge,
            series: BTreeMap::new(),
        });
        for (mut labels, point) in series {
            for n in &names {
                labels.entry(n.clone()).or_default();
            }
            family.add(render_labels(&labels), point);
        }
    }
    crate::prometheus::add_extra(&mut families, extra);
    crate::prometheus::render(&families)
}

/// The CloudWatch namespace of an inventory class (`aws_kinesis` -> `AWS/Kinesis`), for
/// the classes streamwatch writes.
fn namespace_of_class(class: &str) -> Option<String> {
    let ns = match class {
        "aws_kinesis" => "AWS/Kinesis",
        "aws_lambda" => "AWS/Lambda",
        "aws_sqs" => "AWS/SQS",
        "aws_sns" => "AWS/SNS",
        _ => return None,
    };
    Some(ns.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_yace_builds_them() {
        let sum = Some(Statistic::Sum);
        assert_eq!(
            metric_name("AWS/Kinesis", "IncomingBytes", sum),
            "aws_kinesis_incoming_bytes_sum"
        );
        assert_eq!(
            metric_name("AWS/Kinesis", "PutRecord.Latency", Some(Statistic::Average)),
            "aws_kinesis_put_record_latency_average"
        );
        assert_eq!(
            metric_name(
                "AWS/Kinesis",
                "GetRecords.IteratorAgeMilliseconds",
                Some(Statistic::Average)
            ),
            "aws_kinesis_get_records_iterator_age_milliseconds_average"
        );
        assert_eq!(
            metric_name("AWS/Lambda", "Duration", Some(Statistic::Percentile(90.0))),
            "aws_lambda_duration_p90"
        );
        assert_eq!(
            metric_name(
                "AWS/SQS",
                "ApproximateAgeOfOldestMessage",
                Some(Statistic::Average)
            ),
            "aws_sqs_approximate_age_of_oldest_message_average"
        );
        assert_eq!(
            metric_name("AWS/SQS", "SentMessageSize", Some(Statistic::SampleCount)),
            "aws_sqs_sent_message_size_sample_count"
        );
        assert_eq!(metric_name("AWS/Kinesis", "info", None), "aws_kinesis_info");
        // The namespace is lower-cased whole before the snake case, and a metric that
        // repeats the namespace loses the repetition (YACE's Glue case).
        assert_eq!(
            metric_name("AWS/ApplicationELB", "RequestCount", sum),
            "aws_applicationelb_request_count_sum"
        );
        assert_eq!(
            metric_name("Glue", "glue.driver.aggregate.bytesRead", sum),
            "aws_glue_driver_aggregate_bytes_read_sum"
        );
        assert_eq!(
            metric_name(
                "KinesisLambdaPipeline",
                "BatchSize",
                Some(Statistic::Maximum)
            ),
            "aws_kinesislambdapipeline_batch_size_maximum"
        );
        assert_eq!(
            metric_name("/aws/sagemaker/TrainingJobs", "CPUUtilization", sum),
            "aws_sagemaker_trainingjobs_cpuutilization_sum"
        );
    }

    #[test]
    fn label_keys_keep_their_case() {
        assert_eq!(label_key("StreamName").as_deref(), Some("StreamName"));
        assert_eq!(label_key("Team").as_deref(), Some("Team"));
        assert_eq!(
            label_key("aws:cloudformation:stack-name").as_deref(),
            Some("aws_cloudformation_stack_name")
        );
        assert_eq!(label_key("disk%").as_deref(), Some("disk_percent"));
        assert_eq!(label_key("9lives"), None);
        assert_eq!(label_key("Größe"), None);
    }

    fn stream(name: &str, tags: &[(&str, &str)]) -> InventoryObject {
        let mut fields = BTreeMap::new();
        fields.insert("StreamName".to_owned(), name.into());
        fields.insert(
            "StreamARN".to_owned(),
            format!("arn:aws:kinesis:us-east-1:123456789012:stream/{name}").into(),
        );
        fields.insert("RegionId".to_owned(), "us-east-1".into());
        fields.insert("AccountId".to_owned(), "123456789012".into());
        InventoryObject {
            class: "aws_kinesis".to_owned(),
            name: name.to_owned(),
            fields,
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn sample(dims: &[(&str, &str)], ts: i64, value: f64) -> Sample {
        Sample {
            namespace: "AWS/Kinesis".to_owned(),
            metric: "IncomingBytes".to_owned(),
            statistic: Statistic::Sum,
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
    fn series_carry_yaces_labels() {
        let objects = [
            stream(
                "orders",
                &[("Team", "data"), ("aws:cloudformation:stack-name", "s")],
            ),
            stream("clicks", &[]),
        ];
        let samples = [
            sample(&[("StreamName", "orders")], 60_000, 10.0),
            sample(&[("StreamName", "clicks")], 60_000, f64::NAN),
            sample(
                &[
                    ("StreamName", "orders"),
                    ("ShardId", "shardId-000000000000"),
                ],
                60_000,
                4.0,
            ),
        ];
        let mut style = YaceStyle::default();
        style
            .exported_tags
            .insert("AWS/Kinesis".to_owned(), vec!["Team".to_owned()]);
        let out = encode(&samples, &objects, &[], &style, true);
        let expected = concat!(
            "# HELP aws_kinesis_incoming_bytes_sum CloudWatch metric AWS/Kinesis IncomingBytes, statistic Sum, unit Bytes\n",
            "# TYPE aws_kinesis_incoming_bytes_sum gauge\n",
            "aws_kinesis_incoming_bytes_sum{account_id=\"123456789012\",dimension_ShardId=\"\",dimension_StreamName=\"clicks\",name=\"arn:aws:kinesis:us-east-1:123456789012:stream/clicks\",region=\"us-east-1\",tag_Team=\"\"} NaN\n",
            "aws_kinesis_incoming_bytes_sum{account_id=\"123456789012\",dimension_ShardId=\"\",dimension_StreamName=\"orders\",name=\"arn:aws:kinesis:us-east-1:123456789012:stream/orders\",region=\"us-east-1\",tag_Team=\"data\"} 10\n",
            "aws_kinesis_incoming_bytes_sum{account_id=\"123456789012\",dimension_ShardId=\"shardId-000000000000\",dimension_StreamName=\"orders\",name=\"arn:aws:kinesis:us-east-1:123456789012:stream/orders\",region=\"us-east-1\",tag_Team=\"data\"} 4\n",
            "# HELP aws_kinesis_info Inventory of AWS/Kinesis resources: always 0, the ARN and tags as labels\n",
            "# TYPE aws_kinesis_info gauge\n",
            "aws_kinesis_info{name=\"arn:aws:kinesis:us-east-1:123456789012:stream/clicks\",tag_Team=\"\",tag_aws_cloudformation_stack_name=\"\"} 0\n",
            "aws_kinesis_info{name=\"arn:aws:kinesis:us-east-1:123456789012:stream/orders\",tag_Team=\"data\",tag_aws_cloudformation_stack_name=\"s\"} 0\n",
        );
        assert_eq!(out, expected);

        // Timestamps only where asked, and never with `timestamps` false.
        style
            .timestamped
            .insert(("AWS/Kinesis".to_owned(), "IncomingBytes".to_owned()));
        let one = &samples[..1];
        assert!(encode(one, &[], &[], &style, true).contains("} 10 60000\n"));
        assert!(encode(one, &[], &[], &style, false).contains("} 10\n"));
    }

    #[test]
    fn unknown_resources_get_a_built_arn_or_global() {
        // No inventory object for the stream, but the region's account is known.
        let objects = [stream("orders", &[])];
        let out = encode(
            &[sample(&[("StreamName", "gone")], 0, 1.0)],
            &objects,
            &[],
            &YaceStyle::default(),
            true,
        );
        assert!(
            out.contains("name=\"arn:aws:kinesis:us-east-1:123456789012:stream/gone\""),
            "{out}"
        );
        let out = encode(
            &[sample(&[("StreamName", "gone")], 0, 1.0)],
            &[],
            &[],
            &YaceStyle::default(),
            true,
        );
        assert!(out.contains("account_id=\"\""), "{out}");
        assert!(out.contains("name=\"global\""), "{out}");
    }

    #[test]
    fn context_and_custom_tags() {
        let objects = [stream("orders", &[])];
        let mut style = YaceStyle::default();
        style.context_on_info.insert("AWS/Kinesis".to_owned());
        style.custom_tags.insert(
            "AWS/Kinesis".to_owned(),
            vec![("Owner".to_owned(), "data-team".to_owned())],
        );
        let out = encode(
            &[sample(&[("StreamName", "orders")], 0, 1.0)],
            &objects,
            &[],
            &style,
            true,
        );
        assert!(
            out.contains("custom_tag_Owner=\"data-team\",dimension_StreamName=\"orders\""),
            "{out}"
        );
        assert!(
            out.contains("aws_kinesis_info{account_id=\"123456789012\",custom_tag_Owner=\"data-team\",name=\"arn:aws:kinesis:us-east-1:123456789012:stream/orders\",region=\"us-east-1\"} 0"),
            "{out}"
        );
    }
}
