//! The shapes the alarm operations share, as CloudWatch's model declares them.

use aws_wire::{Member, Shape};

use crate::shapes::string;

/// `AlarmName`: 1..255 characters.
pub(crate) static ALARM_NAME: Shape = string(1, 255);
/// `AlarmNames`: up to 100 names.
pub(crate) static ALARM_NAMES: Shape = Shape::List {
    member: &ALARM_NAME,
    min_len: None,
    max_len: Some(100),
    member_str: None,
};
/// `AlarmDescription`: 0..1024 characters.
pub(crate) static ALARM_DESCRIPTION: Shape = string(0, 1024);
static RESOURCE_NAME: Shape = string(1, 1024);
/// `ResourceList` (OKActions, AlarmActions, InsufficientDataActions): up to 5 ARNs.
pub(crate) static RESOURCE_LIST: Shape = Shape::List {
    member: &RESOURCE_NAME,
    min_len: None,
    max_len: Some(5),
    member_str: None,
};
/// `Statistic`.
pub(crate) static STATISTIC: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &["SampleCount", "Average", "Sum", "Minimum", "Maximum"],
};
/// `ComparisonOperator`.
pub(crate) static COMPARISON_OPERATOR: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &[
        "GreaterThanOrEqualToThreshold",
        "GreaterThanThreshold",
        "LessThanThreshold",
        "LessThanOrEqualToThreshold",
        "LessThanLowerOrGreaterThanUpperThreshold",
        "LessThanLowerThreshold",
        "GreaterThanUpperThreshold",
    ],
};
/// `EvaluationPeriods` and `DatapointsToAlarm`: at least 1.
pub(crate) static AT_LEAST_ONE: Shape = Shape::Integer {
    min: Some(1),
    max: None,
};
/// `TreatMissingData`, `EvaluateLowSampleCountPercentile`, `ThresholdMetricId`: 1..255.
pub(crate) static NAME_255: Shape = string(1, 255);
/// `StateValue`, in the order AWS's validation text lists it (SetAlarmState answers
/// `Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]`).
pub(crate) static STATE_VALUE: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &["INSUFFICIENT_DATA", "ALARM", "OK"],
};
/// `AlarmType`.
static ALARM_TYPE: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &["CompositeAlarm", "MetricAlarm", "LogAlarm"],
};
/// `AlarmTypes`.
pub(crate) static ALARM_TYPES: Shape = Shape::List {
    member: &ALARM_TYPE,
    min_len: None,
    max_len: None,
    member_str: None,
};
/// `MaxRecords`: 1..100.
pub(crate) static MAX_RECORDS: Shape = Shape::Integer {
    min: Some(1),
    max: Some(100),
};
static TAG_KEY: Shape = string(1, 128);
static TAG_VALUE: Shape = string(0, 256);
static TAG_MEMBERS: [Member; 2] = [
    Member::required("Key", &TAG_KEY),
    Member::required("Value", &TAG_VALUE),
];
static TAG: Shape = Shape::Structure(&TAG_MEMBERS);
/// `TagList`.
pub(crate) static TAG_LIST: Shape = Shape::List {
    member: &TAG,
    min_len: None,
    max_len: None,
    member_str: None,
};
/// `TagKeyList`.
pub(crate) static TAG_KEY_LIST: Shape = Shape::List {
    member: &TAG_KEY,
    min_len: None,
    max_len: None,
    member_str: None,
};
/// `AmazonResourceName`: 1..1024.
pub(crate) static RESOURCE_ARN: Shape = string(1, 1024);
