//! Guance (观测云) DataKit's HTTP write API: what `streamwatch collect` POSTs to a DataKit.
//!
//! DataKit takes line protocol on `POST /v1/write/<category>`; metrics go to
//! [`METRIC_PATH`] and the stream and function inventory, as custom objects (the
//! "Infrastructure / Custom" explorer), to [`CUSTOM_OBJECT_PATH`]. `precision=ms` says the
//! timestamps are milliseconds (without it DataKit guesses from the value), `input` names the
//! source on DataKit's monitor.
//!
//! Metrics are the [`line`](mod@crate::line) encoder's points (measurements `aws_kinesis` and
//! `aws_lambda`, dimensions as snake-case tags plus `region`, one float field per metric and
//! statistic) with millisecond timestamps.
//!
//! Objects follow the object form of Guance's AWS Kinesis and Lambda integrations: the
//! measurement is the class (`aws_kinesis`, `aws_lambda`); the tags are `class`, `name`,
//! `cloud_provider=aws`, every string attribute under its AWS name (`StreamName`,
//! `StreamARN`, `StreamStatus`, `RegionId`, `FunctionName`, `Runtime`, `Role`, ...), the
//! account as `account_id` / `account_name`, `create_time` (`YYYY/MM/DD HH:MM:SS`, UTC) where
//! the creation time is known (streams), and the resource tags as `tag_<key in snake case>`.
//! The fields are string attributes longer than DataKit keeps in a tag ([`MAX_TAG_VALUE`]),
//! and the numeric and boolean attributes, typed (`OpenShardCount=2i`,
//! `MemorySize=128i`, `Timeout=3i`, `RetentionPeriodHours=24i`), and `message`: the whole
//! resource as one JSON object (class, name, attributes, `Tags`). Object lines carry no
//! timestamp; DataKit stamps them on arrival.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::line::{escape_measurement, format_field, render_fields, render_tags};
use crate::{FieldValue, InventoryObject, Sample, snake_case};

/// The path DataKit takes metrics (time series) on.
pub const METRIC_PATH: &str = "/v1/write/metric";
/// The path DataKit takes custom objects on.
pub const CUSTOM_OBJECT_PATH: &str = "/v1/write/custom_object";
/// The `input` query parameter: the data source DataKit's monitor shows.
pub const INPUT: &str = "streamwatch";

/// The longest tag value DataKit keeps whole, in bytes; a longer string attribute is written
/// as a string field instead.
pub const MAX_TAG_VALUE: usize = 1024;

/// The attribute holding a stream's creation time in milliseconds (the inventory's name).
const CREATION_MS: &str = "StreamCreationTimestamp";

fn base(url: &str) -> &str {
    url.trim_end_matches('/')
}

/// The metric write URL for a DataKit at `url` (e.g. `http://127.0.0.1:9529`):
/// `<url>/v1/write/metric?precision=ms&input=streamwatch`.
pub fn metric_url(url: &str) -> String {
    format!("{}{METRIC_PATH}?precision=ms&input={INPUT}", base(url))
}

/// The custom-object write URL for a DataKit at `url`:
/// `<url>/v1/write/custom_object?input=streamwatch`.
pub fn custom_object_url(url: &str) -> String {
    format!("{}{CUSTOM_OBJECT_PATH}?input={INPUT}", base(url))
}

/// The samples as DataKit metric line protocol, timestamps in milliseconds (send with
/// `precision=ms`, as [`metric_url`] does).
pub fn encode_metrics(samples: &[Sample]) -> String {
    crate::line::encode_samples(samples, 1)
}

/// `YYYY/MM/DD HH:MM:SS` in UTC for a Unix time in milliseconds.
pub fn format_create_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (y, m, d) = civil_date(days);
    format!(
        "{y:04}/{m:02}/{d:02} {:02}:{:02}:{:02}",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_date(days: i64) -> (i64, i64, i64) {
    // Count from 0000-03-01 so that the leap day ends each 400-year era's years.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The resource as one JSON object: `class`, `name`, the attributes under their AWS names and
/// the resource tags under `Tags`.
fn message(object: &InventoryObject) -> String {
    let mut doc: BTreeMap<&str, serde_json::Value> = BTreeMap::new();
    doc.insert("class", object.class.clone().into());
    doc.insert("name", object.name.clone().into());
    for (key, value) in &object.fields {
        doc.insert(key, serde_json::to_value(value).unwrap_or_default());
    }
    doc.insert(
        "Tags",
        serde_json::to_value(&object.tags).unwrap_or_default(),
    );
    serde_json::to_string(&doc).unwrap_or_default()
}

/// The inventory as DataKit custom-object line protocol, one line per object, sorted by class
/// and name.
pub fn encode_objects(objects: &[InventoryObject]) -> String {
    let mut sorted: Vec<&InventoryObject> = objects.iter().collect();
    sorted.sort_by(|a, b| (&a.class, &a.name).cmp(&(&b.class, &b.name)));
    let mut out = String::new();
    for object in sorted {
        let mut tags: BTreeMap<String, String> = object
            .tags
            .iter()
            .map(|(k, v)| (format!("tag_{}", snake_case(k)), v.clone()))
            .collect();
        let mut fields: BTreeMap<String, String> = BTreeMap::new();
        for (key, value) in &object.fields {
            match (key.as_str(), value) {
                ("AccountId", v) => {
                    tags.insert("account_id".to_owned(), v.to_text());
                }
                ("AccountName", v) => {
                    tags.insert("account_name".to_owned(), v.to_text());
                }
                (_, FieldValue::Str(s)) if s.len() <= MAX_TAG_VALUE => {
                    tags.insert(key.clone(), s.clone());
                }
                (key, v) => {
                    if key == CREATION_MS
                        && let FieldValue::Int(ms) = v
                    {
                        tags.insert("create_time".to_owned(), format_create_time(*ms));
                    }
                    if let Some(text) = format_field(v) {
                        fields.insert(key.to_owned(), text);
                    }
                }
            }
        }
        tags.insert("class".to_owned(), object.class.clone());
        tags.insert("name".to_owned(), object.name.clone());
        tags.insert("cloud_provider".to_owned(), "aws".to_owned());
        if let Some(text) = format_field(&FieldValue::Str(message(object))) {
            fields.insert("message".to_owned(), text);
        }
        let _ = writeln!(
            out,
            "{}{} {}",
            escape_measurement(&object.class),
            render_tags(&tags),
            render_fields(&fields)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Statistic;

    #[test]
    fn urls() {
        assert_eq!(
            metric_url("http://127.0.0.1:9529/"),
            "http://127.0.0.1:9529/v1/write/metric?precision=ms&input=streamwatch"
        );
        assert_eq!(
            custom_object_url("http://dk:9529"),
            "http://dk:9529/v1/write/custom_object?input=streamwatch"
        );
    }

    #[test]
    fn create_time_is_utc() {
        assert_eq!(format_create_time(0), "1970/01/01 00:00:00");
        assert_eq!(format_create_time(1_691_418_559_000), "2023/08/07 14:29:19");
        assert_eq!(format_create_time(951_825_600_000), "2000/02/29 12:00:00");
        assert_eq!(format_create_time(-1000), "1969/12/31 23:59:59");
    }

    #[test]
    fn metrics_carry_millisecond_timestamps() {
        let sample = Sample {
            namespace: "AWS/Kinesis".to_owned(),
            metric: "IncomingRecords".to_owned(),
            statistic: Statistic::Sum,
            unit: None,
            dimensions: vec![("StreamName".to_owned(), "orders".to_owned())],
            region: "eu-west-1".to_owned(),
            timestamp_ms: 1_700_000_060_000,
            value: 4.0,
        };
        assert_eq!(
            encode_metrics(&[sample]),
            "aws_kinesis,region=eu-west-1,stream_name=orders incoming_records_sum=4 1700000060000\n"
        );
    }

    #[test]
    fn objects_have_the_guance_fields() {
        let stream = InventoryObject {
            class: "aws_kinesis".to_owned(),
            name: "orders".to_owned(),
            fields: BTreeMap::from([
                ("StreamName".to_owned(), "orders".into()),
                ("StreamStatus".to_owned(), "ACTIVE".into()),
                ("RegionId".to_owned(), "eu-west-1".into()),
                ("AccountId".to_owned(), "000000000000".into()),
                ("AccountName".to_owned(), "prod".into()),
                ("OpenShardCount".to_owned(), 2_i64.into()),
                (CREATION_MS.to_owned(), 1_691_418_559_000_i64.into()),
            ]),
            tags: BTreeMap::from([("cost center".to_owned(), "a b".to_owned())]),
        };
        let long = "m".repeat(MAX_TAG_VALUE + 1);
        let function = InventoryObject {
            class: "aws_lambda".to_owned(),
            name: "f".to_owned(),
            fields: BTreeMap::from([
                ("EventSourceMappings".to_owned(), long.clone().into()),
                ("FunctionName".to_owned(), "f".into()),
                ("Runtime".to_owned(), "provided.al2023".into()),
                ("MemorySize".to_owned(), 128_i64.into()),
                ("Timeout".to_owned(), 3_i64.into()),
            ]),
            tags: BTreeMap::new(),
        };
        let expected = concat!(
            r"aws_kinesis,RegionId=eu-west-1,StreamName=orders,StreamStatus=ACTIVE,",
            r"account_id=000000000000,account_name=prod,class=aws_kinesis,cloud_provider=aws,",
            r"create_time=2023/08/07\ 14:29:19,name=orders,tag_cost_center=a\ b ",
            r"OpenShardCount=2i,StreamCreationTimestamp=1691418559000i,",
            r#"message="{\"AccountId\":\"000000000000\",\"AccountName\":\"prod\",\"OpenShardCount\":2,"#,
            r#"\"RegionId\":\"eu-west-1\",\"StreamCreationTimestamp\":1691418559000,"#,
            r#"\"StreamName\":\"orders\",\"StreamStatus\":\"ACTIVE\",\"Tags\":{\"cost center\":\"a b\"},"#,
            r#"\"class\":\"aws_kinesis\",\"name\":\"orders\"}""#,
            "\n",
            r"aws_lambda,FunctionName=f,Runtime=provided.al2023,class=aws_lambda,cloud_provider=aws,name=f ",
            "EventSourceMappings=\"{long}\",MemorySize=128i,Timeout=3i,",
            r#"message="{\"EventSourceMappings\":\"{long}\",\"FunctionName\":\"f\",\"MemorySize\":128,\"Runtime\":\"provided.al2023\","#,
            r#"\"Tags\":{},\"Timeout\":3,\"class\":\"aws_lambda\",\"name\":\"f\"}""#,
            "\n",
        )
        .replace("{long}", &long);
        assert_eq!(encode_objects(&[function, stream]), expected);
    }
}
