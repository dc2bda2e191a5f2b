//! Input shapes shared by the actions, with the constraints of the CloudWatch model.

use aws_wire::{Member, Pattern, Shape};

static NAMESPACE_PATTERN: Pattern = Pattern {
    text: "[^:].*",
    matches: |s| !s.starts_with(':'),
};

pub(crate) static NAMESPACE: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(255),
    pattern: Some(&NAMESPACE_PATTERN),
    enum_values: &[],
};
pub(crate) static METRIC_NAME: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(255),
    pattern: None,
    enum_values: &[],
};
pub(crate) static DIMENSION_NAME: Shape = METRIC_NAME;
pub(crate) static DIMENSION_VALUE: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(1024),
    pattern: None,
    enum_values: &[],
};
static DIMENSION_MEMBERS: [Member; 2] = [
    Member::required("Name", &DIMENSION_NAME),
    Member::required("Value", &DIMENSION_VALUE),
];
pub(crate) static DIMENSION: Shape = Shape::Structure(&DIMENSION_MEMBERS);
pub(crate) static DIMENSIONS: Shape = Shape::List {
    member: &DIMENSION,
    min_len: None,
    max_len: Some(30),
    member_str: None,
};
static METRIC_MEMBERS: [Member; 3] = [
    Member::optional("Namespace", &NAMESPACE),
    Member::optional("MetricName", &METRIC_NAME),
    Member::optional("Dimensions", &DIMENSIONS),
];
pub(crate) static METRIC: Shape = Shape::Structure(&METRIC_MEMBERS);
pub(crate) static UNIT: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &[
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    ],
};
pub(crate) static PERIOD: Shape = Shape::Integer {
    min: Some(1),
    max: None,
};
pub(crate) static TIMESTAMP: Shape = Shape::Timestamp;

/// A string of `min..=max` characters with no pattern.
pub(crate) const fn string(min: usize, max: usize) -> Shape {
    Shape::String {
        min_len: Some(min),
        max_len: Some(max),
        pattern: None,
        enum_values: &[],
    }
}
pub(crate) static STRING: Shape = Shape::STRING;
pub(crate) static BOOLEAN: Shape = Shape::Boolean;
pub(crate) static DOUBLE: Shape = Shape::DOUBLE;
pub(crate) static INTEGER: Shape = Shape::INTEGER;
pub(crate) static ACCOUNT_ID: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(255),
    pattern: None,
    enum_values: &[],
};

/// The periods CloudWatch accepts: 1, 5, 10, 20, 30 seconds or any multiple of 60.
pub(crate) fn valid_period(p: i64) -> bool {
    matches!(p, 1 | 5 | 10 | 20 | 30) || (p >= 60 && p % 60 == 0)
}

/// `(name, value)` pairs of a `Dimensions` list.
pub(crate) fn dimensions<'a>(input: &'a aws_wire::Input<'_>) -> Vec<(&'a str, &'a str)> {
    input
        .list("Dimensions")
        .unwrap_or_default()
        .iter()
        .map(|d| {
            (
                d.str("Name").unwrap_or_default(),
                d.str("Value").unwrap_or_default(),
            )
        })
        .collect()
}
