//! PutMetricData: custom metrics into the store, validated as CloudWatch validates them.

use aws_wire::{Input, Member, Shape, Writer};
use metric_store::{
    Datum, MAX_VALUE, MAX_VALUES, MetricKey, StatisticSet, StorageResolution, Unit,
};

use crate::Ctx;

use crate::error::{CwError, CwResult};
use crate::shapes::{
    BOOLEAN, DIMENSIONS, DOUBLE, METRIC_NAME, NAMESPACE, STRING, TIMESTAMP, UNIT, dimensions,
};

static STATISTIC_SET_MEMBERS: [Member; 4] = [
    Member::required("SampleCount", &DOUBLE),
    Member::required("Sum", &DOUBLE),
    Member::required("Minimum", &DOUBLE),
    Member::required("Maximum", &DOUBLE),
];
static STATISTIC_SET: Shape = Shape::Structure(&STATISTIC_SET_MEMBERS);
static DOUBLES: Shape = Shape::List {
    member: &DOUBLE,
    min_len: None,
    max_len: None,
    member_str: None,
};
static RESOLUTION: Shape = Shape::Integer {
    min: Some(1),
    max: None,
};
static DATUM_MEMBERS: [Member; 9] = [
    Member::required("MetricName", &METRIC_NAME),
    Member::optional("Dimensions", &DIMENSIONS),
    Member::optional("Timestamp", &TIMESTAMP),
    Member::optional("Value", &DOUBLE),
    Member::optional("StatisticValues", &STATISTIC_SET),
    Member::optional("Values", &DOUBLES),
    Member::optional("Counts", &DOUBLES),
    Member::optional("Unit", &UNIT),
    Member::optional("StorageResolution", &RESOLUTION),
];
static DATUM: Shape = Shape::Structure(&DATUM_MEMBERS);
static METRIC_DATA: Shape = Shape::List {
    member: &DATUM,
    min_len: None,
    max_len: None,
    member_str: None,
};
static STRING_MAP: Shape = Shape::Map {
    key: &STRING,
    value: &STRING,
    min_len: None,
    max_len: None,
};
static ENTITY_MEMBERS: [Member; 2] = [
    Member::optional("KeyAttributes", &STRING_MAP),
    Member::optional("Attributes", &STRING_MAP),
];
static ENTITY: Shape = Shape::Structure(&ENTITY_MEMBERS);
static ENTITY_METRIC_DATA_MEMBERS: [Member; 2] = [
    Member::optional("Entity", &ENTITY),
    Member::optional("MetricData", &METRIC_DATA),
];
static ENTITY_METRIC_DATA: Shape = Shape::Structure(&ENTITY_METRIC_DATA_MEMBERS);
static ENTITY_LIST: Shape = Shape::List {
    member: &ENTITY_METRIC_DATA,
    min_len: None,
    max_len: None,
    member_str: None,
};

/// The input schema. Namespace is checked by hand so its absence gets CloudWatch's
/// `MissingParameter` rather than a constraint error.
pub(crate) static INPUT: [Member; 4] = [
    Member::optional("Namespace", &NAMESPACE),
    Member::optional("MetricData", &METRIC_DATA),
    Member::optional("EntityMetricData", &ENTITY_LIST),
    Member::optional("StrictEntityValidation", &BOOLEAN),
];

/// Datums a call may carry, across MetricData and EntityMetricData.
pub const MAX_DATUMS: usize = 1000;
const TWO_WEEKS_MS: u64 = 14 * 24 * 3_600_000;
const TWO_HOURS_MS: u64 = 2 * 3_600_000;

/// One datum, checked and ready to store.
struct Ready {
    key: MetricKey,
    unit: Option<Unit>,
    ts: u64,
    datum: Datum,
    resolution: StorageResolution,
}

/// Problems with one datum, each with the code it earns.
#[derive(Default)]
struct Problems {
    combination: Vec<String>,
    value: Vec<String>,
}

impl Problems {
    fn into_error(self) -> Option<CwError> {
        let code_is_combination = !self.combination.is_empty();
        let all: Vec<String> = self.combination.into_iter().chain(self.value).collect();
        if all.is_empty() {
            return None;
        }
        let message = all.join("\n");
        Some(if code_is_combination {
            CwError::combination(message)
        } else {
            CwError::invalid_value(message)
        })
    }
}

fn finite(v: f64, param: &str, problems: &mut Problems) -> bool {
    if v.is_finite() && v.abs() <= MAX_VALUE {
        return true;
    }
    let shown = if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 {
            "Infinity".to_owned()
        } else {
            "-Infinity".to_owned()
        }
    } else {
        v.to_string()
    };
    problems.value.push(format!(
        "The value {shown} for parameter {param} is invalid."
    ));
    false
}

fn check(
    namespace: &str,
    d: &Input<'_>,
    path: &str,
    now: u64,
    problems: &mut Problems,
) -> Option<Ready> {
    let value = d.float("Value");
    let values = d
        .items("Values")
        .map(|v| v.iter().filter_map(|x| x.as_float()).collect::<Vec<f64>>());
    let counts = d
        .items("Counts")
        .map(|v| v.iter().filter_map(|x| x.as_float()).collect::<Vec<f64>>());
    let stats = d.structure("StatisticValues");
    let before = problems.combination.len() + problems.value.len();
    let both = |a: &str, b: &str| {
        format!(
            "The parameters {path}.{a} and {path}.{b} are mutually exclusive and you have specified both."
        )
    };
    if value.is_some() && values.is_some() {
        problems.combination.push(both("Value", "Values"));
    }
    if value.is_some() && stats.is_some() {
        problems.combination.push(both("Value", "StatisticValues"));
    }
    if values.is_some() && stats.is_some() {
        problems.combination.push(both("Values", "StatisticValues"));
    }
    if value.is_none() && values.is_none() && stats.is_none() {
        problems.combination.push(format!(
            "At least one of the parameters {path}.Value and {path}.StatisticValues must be specified."
        ));
    }
    if let (Some(v), Some(c)) = (&values, &counts)
        && v.len() != c.len()
    {
        problems.value.push(format!(
            "The parameters {path}.Values and {path}.Counts must be of the same size."
        ));
    }
    if let Some(v) = &values
        && v.len() > MAX_VALUES
    {
        problems.value.push(format!(
            "The collection {path}.Values must not have a size greater than {MAX_VALUES}."
        ));
    }
    if let Some(v) = value {
        finite(v, &format!("{path}.Value"), problems);
    }
    for (i, v) in values.iter().flatten().enumerate() {
        finite(*v, &format!("{path}.Values.member.{}", i + 1), problems);
    }
    for (i, c) in counts.iter().flatten().enumerate() {
        if !c.is_finite() || *c < 0.0 {
            problems.value.push(format!(
                "The value {c} for parameter {path}.Counts.member.{} is invalid.",
                i + 1
            ));
        }
    }
    let stat_set = stats.map(|s| StatisticSet {
        sample_count: s.float("SampleCount").unwrap_or(0.0),
        sum: s.float("Sum").unwrap_or(0.0),
        minimum: s.float("Minimum").unwrap_or(0.0),
        maximum: s.float("Maximum").unwrap_or(0.0),
    });
    if let Some(s) = &stat_set {
        for (name, v) in [
            ("SampleCount", s.sample_count),
            ("Sum", s.sum),
            ("Minimum", s.minimum),
            ("Maximum", s.maximum),
        ] {
            finite(v, &format!("{path}.StatisticValues.{name}"), problems);
        }
        if s.sample_count <= 0.0 || s.minimum > s.maximum {
            problems
                .value
                .push(format!("The parameter {path}.StatisticValues is invalid."));
        }
    }
    let ts = match d.timestamp_ms("Timestamp") {
        None => now,
        Some(t) => {
            let t = t.max(0) as u64;
            if t + TWO_WEEKS_MS < now {
                problems.value.push(format!(
                    "The parameter {path}.Timestamp must specify a time within the past two weeks."
                ));
            } else if t > now + TWO_HOURS_MS {
                problems.value.push(format!(
                    "The parameter {path}.Timestamp must specify a time no more than two hours in the future."
                ));
            }
            t
        }
    };
    let resolution = match d.int("StorageResolution") {
        None => StorageResolution::Standard,
        Some(s) => match StorageResolution::from_seconds(s.clamp(0, i64::from(u32::MAX)) as u32) {
            Ok(r) => r,
            Err(_) => {
                problems.value.push(format!(
                    "The value {s} for parameter {path}.StorageResolution is invalid. Valid values are 1 and 60."
                ));
                StorageResolution::Standard
            }
        },
    };
    let key = match MetricKey::new(
        namespace,
        d.str("MetricName").unwrap_or_default(),
        dimensions(d),
    ) {
        Ok(k) => Some(k),
        Err(e) => {
            problems
                .value
                .push(format!("The parameter {path}.Dimensions is invalid: {e}."));
            None
        }
    };
    if problems.combination.len() + problems.value.len() > before {
        return None;
    }
    let datum = match (value, values, stat_set) {
        (Some(v), _, _) => Datum::Value(v),
        (_, Some(values), _) => Datum::Values { values, counts },
        (_, _, Some(s)) => Datum::StatisticSet(s),
        _ => return None,
    };
    Some(Ready {
        key: key?,
        unit: d.str("Unit").and_then(|u| Unit::parse(u).ok()),
        ts,
        datum,
        resolution,
    })
}

pub(crate) fn run(cx: &Ctx<'_>, input: Input<'_>, _w: &mut Writer) -> CwResult {
    let store = cx.store;
    let namespace = input
        .str("Namespace")
        .ok_or_else(|| CwError::missing("The parameter Namespace is required."))?;
    if namespace.starts_with("AWS/") {
        return Err(CwError::invalid_value(format!(
            "The value {namespace} for parameter Namespace is invalid. Namespaces beginning with AWS/ are reserved for AWS services."
        )));
    }
    let mut datums: Vec<(String, &Input<'_>)> = Vec::new();
    for (i, d) in input
        .list("MetricData")
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        datums.push((format!("MetricData.member.{}", i + 1), d));
    }
    for (j, e) in input
        .list("EntityMetricData")
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        for (i, d) in e.list("MetricData").unwrap_or_default().iter().enumerate() {
            datums.push((
                format!(
                    "EntityMetricData.member.{}.MetricData.member.{}",
                    j + 1,
                    i + 1
                ),
                d,
            ));
        }
    }
    if datums.len() > MAX_DATUMS {
        return Err(CwError::invalid_value(format!(
            "The collection MetricData must not have a size greater than {MAX_DATUMS}."
        )));
    }
    let now = store.now_ms();
    let mut problems = Problems::default();
    let ready: Vec<Ready> = datums
        .iter()
        .filter_map(|(path, d)| check(namespace, d, path, now, &mut problems))
        .collect();
    if let Some(e) = problems.into_error() {
        return Err(e);
    }
    for r in ready {
        store
            .put(&r.key, r.unit, r.ts, &r.datum, r.resolution)
            .map_err(|e| CwError::invalid_value(e.to_string()))?;
    }
    Ok(())
}
