//! The alarm shapes as plain Rust types: what callers put, what DescribeAlarms returns.

use serde::{Deserialize, Serialize};

use crate::error::AlarmError;

pub use metric_store::Unit;

/// An alarm's state value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AlarmState {
    /// `OK`: within the threshold.
    Ok,
    /// `ALARM`: outside it.
    Alarm,
    /// `INSUFFICIENT_DATA`: just created, or not enough data.
    InsufficientData,
}

impl AlarmState {
    /// AWS's spelling: `OK`, `ALARM`, `INSUFFICIENT_DATA`.
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmState::Ok => "OK",
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
        }
    }

    /// Parses AWS's spelling (case-sensitive).
    pub fn parse(s: &str) -> Option<AlarmState> {
        match s {
            "OK" => Some(AlarmState::Ok),
            "ALARM" => Some(AlarmState::Alarm),
            "INSUFFICIENT_DATA" => Some(AlarmState::InsufficientData),
            _ => None,
        }
    }
}

/// Metric alarm or composite alarm (`AlarmType`). Log alarms are not kept here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AlarmType {
    /// `MetricAlarm`.
    MetricAlarm,
    /// `CompositeAlarm`.
    CompositeAlarm,
}

impl AlarmType {
    /// AWS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmType::MetricAlarm => "MetricAlarm",
            AlarmType::CompositeAlarm => "CompositeAlarm",
        }
    }

    /// Parses AWS's spelling; `LogAlarm` and others are `None`.
    pub fn parse(s: &str) -> Option<AlarmType> {
        match s {
            "MetricAlarm" => Some(AlarmType::MetricAlarm),
            "CompositeAlarm" => Some(AlarmType::CompositeAlarm),
            _ => None,
        }
    }
}

/// How the statistic compares with the threshold.
///
/// The three anomaly-detection operators parse, but alarms that use them are refused with a
/// `ValidationError`: this engine has no anomaly-detection models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ComparisonOperator {
    /// `GreaterThanOrEqualToThreshold`.
    GreaterThanOrEqualToThreshold,
    /// `GreaterThanThreshold`.
    GreaterThanThreshold,
    /// `LessThanThreshold`.
    LessThanThreshold,
    /// `LessThanOrEqualToThreshold`.
    LessThanOrEqualToThreshold,
    /// `LessThanLowerOrGreaterThanUpperThreshold` (anomaly detection; unsupported).
    LessThanLowerOrGreaterThanUpperThreshold,
    /// `LessThanLowerThreshold` (anomaly detection; unsupported).
    LessThanLowerThreshold,
    /// `GreaterThanUpperThreshold` (anomaly detection; unsupported).
    GreaterThanUpperThreshold,
}

impl ComparisonOperator {
    /// AWS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => "GreaterThanOrEqualToThreshold",
            ComparisonOperator::GreaterThanThreshold => "GreaterThanThreshold",
            ComparisonOperator::LessThanThreshold => "LessThanThreshold",
            ComparisonOperator::LessThanOrEqualToThreshold => "LessThanOrEqualToThreshold",
            ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold => {
                "LessThanLowerOrGreaterThanUpperThreshold"
            }
            ComparisonOperator::LessThanLowerThreshold => "LessThanLowerThreshold",
            ComparisonOperator::GreaterThanUpperThreshold => "GreaterThanUpperThreshold",
        }
    }

    /// Parses AWS's spelling.
    pub fn parse(s: &str) -> Option<ComparisonOperator> {
        use ComparisonOperator::*;
        [
            GreaterThanOrEqualToThreshold,
            GreaterThanThreshold,
            LessThanThreshold,
            LessThanOrEqualToThreshold,
            LessThanLowerOrGreaterThanUpperThreshold,
            LessThanLowerThreshold,
            GreaterThanUpperThreshold,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }

    /// Whether this is one of the anomaly-detection band operators.
    pub fn is_anomaly_band(self) -> bool {
        matches!(
            self,
            ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold
                | ComparisonOperator::LessThanLowerThreshold
                | ComparisonOperator::GreaterThanUpperThreshold
        )
    }

    /// Whether `value` breaches `threshold` (always false for the band operators).
    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => value >= threshold,
            ComparisonOperator::GreaterThanThreshold => value > threshold,
            ComparisonOperator::LessThanThreshold => value < threshold,
            ComparisonOperator::LessThanOrEqualToThreshold => value <= threshold,
            _ => false,
        }
    }

    /// The words of a StateReason: `greater than or equal to`, ...
    pub(crate) fn words(self) -> &'static str {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => "greater than or equal to",
            ComparisonOperator::GreaterThanThreshold => "greater than",
            ComparisonOperator::LessThanThreshold => "less than",
            ComparisonOperator::LessThanOrEqualToThreshold => "less than or equal to",
            _ => "outside the band of",
        }
    }
}

/// `TreatMissingData`: how missing datapoints count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TreatMissingData {
    /// `missing` (the default): all missing goes to INSUFFICIENT_DATA.
    Missing,
    /// `ignore`: keep the current state.
    Ignore,
    /// `breaching`: missing counts as bad.
    Breaching,
    /// `notBreaching`: missing counts as good.
    NotBreaching,
}

impl TreatMissingData {
    /// AWS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TreatMissingData::Missing => "missing",
            TreatMissingData::Ignore => "ignore",
            TreatMissingData::Breaching => "breaching",
            TreatMissingData::NotBreaching => "notBreaching",
        }
    }

    /// Parses the value as PutMetricAlarm takes it, with AWS's error.
    pub fn parse(s: &str) -> Result<TreatMissingData, AlarmError> {
        match s {
            "missing" => Ok(TreatMissingData::Missing),
            "ignore" => Ok(TreatMissingData::Ignore),
            "breaching" => Ok(TreatMissingData::Breaching),
            "notBreaching" => Ok(TreatMissingData::NotBreaching),
            // LocalStack's text (facts section 3); AWS's own is not recorded.
            _ => Err(AlarmError::validation(format!(
                "The value {s} is not supported for TreatMissingData parameter. Supported values are [breaching, notBreaching, ignore, missing]."
            ))),
        }
    }
}

/// `EvaluateLowSampleCountPercentile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LowSampleCount {
    /// `evaluate` (the default): evaluate whatever the sample size.
    Evaluate,
    /// `ignore`: keep the state while samples are too few.
    Ignore,
}

impl LowSampleCount {
    /// AWS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LowSampleCount::Evaluate => "evaluate",
            LowSampleCount::Ignore => "ignore",
        }
    }

    /// Parses the value as PutMetricAlarm takes it, with AWS's error.
    pub fn parse(s: &str) -> Result<LowSampleCount, AlarmError> {
        match s {
            "evaluate" => Ok(LowSampleCount::Evaluate),
            "ignore" => Ok(LowSampleCount::Ignore),
            // moto's text (facts section 3); AWS's own is not recorded.
            _ => Err(AlarmError::validation(format!(
                "Option {s} is not supported. Supported options for parameter EvaluateLowSampleCountPercentile are evaluate and ignore."
            ))),
        }
    }
}

/// A metric dimension.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Dimension {
    /// `Name`.
    pub name: String,
    /// `Value`.
    pub value: String,
}

/// A tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// `Key`, 1..128 characters.
    pub key: String,
    /// `Value`, 0..256 characters.
    pub value: String,
}

/// `MetricStat` of an alarm's `Metrics` query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AlarmMetricStat {
    /// `Metric.Namespace`.
    pub namespace: Option<String>,
    /// `Metric.MetricName`.
    pub metric_name: Option<String>,
    /// `Metric.Dimensions`.
    pub dimensions: Vec<Dimension>,
    /// `Period`, seconds.
    pub period: u32,
    /// `Stat`: `Sum`, `Average`, `p99`, ...
    pub stat: String,
    /// `Unit`.
    #[serde(with = "unit_serde")]
    pub unit: Option<Unit>,
}

/// One `MetricDataQuery` of a metric-math alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AlarmQuery {
    /// `Id`.
    pub id: String,
    /// `MetricStat`, or
    pub metric_stat: Option<AlarmMetricStat>,
    /// `Expression`.
    pub expression: Option<String>,
    /// `Label`.
    pub label: Option<String>,
    /// `ReturnData`; absent counts as true.
    pub return_data: Option<bool>,
    /// `Period` (expressions).
    pub period: Option<u32>,
    /// `AccountId` (accepted; only this account's metrics exist).
    pub account_id: Option<String>,
}

/// Every member of PutMetricAlarm, as given.
///
/// Strings that the model does not constrain (`TreatMissingData`,
/// `EvaluateLowSampleCountPercentile`, `Statistic`, `ExtendedStatistic`) stay strings: this
/// crate checks them with AWS's texts. Members added for PromQL and log alarms
/// (`EvaluationCriteria`, `EvaluationInterval`, `EvaluationWindow`) are not modelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct MetricAlarmDefinition {
    /// `AlarmName`.
    pub alarm_name: String,
    /// `AlarmDescription`.
    pub alarm_description: Option<String>,
    /// `ActionsEnabled`; absent means true.
    pub actions_enabled: Option<bool>,
    /// `OKActions`.
    pub ok_actions: Vec<String>,
    /// `AlarmActions`.
    pub alarm_actions: Vec<String>,
    /// `InsufficientDataActions`.
    pub insufficient_data_actions: Vec<String>,
    /// `MetricName` (single-metric alarms).
    pub metric_name: Option<String>,
    /// `Namespace`.
    pub namespace: Option<String>,
    /// `Statistic`: `SampleCount`, `Average`, `Sum`, `Minimum`, `Maximum`.
    pub statistic: Option<String>,
    /// `ExtendedStatistic`: `p99`, `p99.9`, ... (only percentiles are supported here).
    pub extended_statistic: Option<String>,
    /// `Dimensions`.
    pub dimensions: Vec<Dimension>,
    /// `Period`, seconds.
    pub period: Option<u32>,
    /// `Unit`.
    #[serde(with = "unit_serde")]
    pub unit: Option<Unit>,
    /// `EvaluationPeriods` (N).
    pub evaluation_periods: Option<u32>,
    /// `DatapointsToAlarm` (M); absent means N.
    pub datapoints_to_alarm: Option<u32>,
    /// `Threshold`.
    pub threshold: Option<f64>,
    /// `ComparisonOperator`.
    pub comparison_operator: Option<ComparisonOperator>,
    /// `TreatMissingData`.
    pub treat_missing_data: Option<String>,
    /// `EvaluateLowSampleCountPercentile`.
    pub evaluate_low_sample_count_percentile: Option<String>,
    /// `Metrics` (metric-math alarms); empty when not given.
    pub metrics: Vec<AlarmQuery>,
    /// `ThresholdMetricId` (anomaly detection; refused).
    pub threshold_metric_id: Option<String>,
    /// `Tags`: used on creation only (AWS ignores them on update).
    pub tags: Vec<Tag>,
}

/// An alarm's current state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateInfo {
    /// `StateValue`.
    pub value: AlarmState,
    /// `StateReason`.
    pub reason: String,
    /// `StateReasonData` (JSON text).
    pub reason_data: Option<String>,
    /// `StateUpdatedTimestamp`, epoch ms: the last state update (a transition, or a
    /// SetAlarmState).
    pub updated_ms: u64,
    /// `StateTransitionedTimestamp`, epoch ms: the last change of the value.
    pub transitioned_ms: u64,
}

/// A metric alarm as DescribeAlarms returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricAlarm {
    /// The definition last put (its `tags` are empty: see ListTagsForResource).
    pub definition: MetricAlarmDefinition,
    /// `AlarmArn`.
    pub alarm_arn: String,
    /// The state.
    pub state: StateInfo,
    /// `AlarmConfigurationUpdatedTimestamp`, epoch ms.
    pub configuration_updated_ms: u64,
}

impl MetricAlarm {
    /// `ActionsEnabled` as DescribeAlarms reports it.
    pub fn actions_enabled(&self) -> bool {
        self.definition.actions_enabled.unwrap_or(true)
    }
}

/// Every member of PutCompositeAlarm, as given.
///
/// `ActionsSuppressor` and its periods are kept and returned but do not suppress actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CompositeAlarmDefinition {
    /// `AlarmName`.
    pub alarm_name: String,
    /// `AlarmDescription`.
    pub alarm_description: Option<String>,
    /// `ActionsEnabled`; absent means true.
    pub actions_enabled: Option<bool>,
    /// `OKActions`.
    pub ok_actions: Vec<String>,
    /// `AlarmActions`.
    pub alarm_actions: Vec<String>,
    /// `InsufficientDataActions`.
    pub insufficient_data_actions: Vec<String>,
    /// `AlarmRule`.
    pub alarm_rule: String,
    /// `ActionsSuppressor` (kept, not applied).
    pub actions_suppressor: Option<String>,
    /// `ActionsSuppressorWaitPeriod` (kept, not applied).
    pub actions_suppressor_wait_period: Option<i32>,
    /// `ActionsSuppressorExtensionPeriod` (kept, not applied).
    pub actions_suppressor_extension_period: Option<i32>,
    /// `Tags`: used on creation only.
    pub tags: Vec<Tag>,
}

/// A composite alarm as DescribeAlarms returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompositeAlarm {
    /// The definition last put (its `tags` are empty).
    pub definition: CompositeAlarmDefinition,
    /// `AlarmArn`.
    pub alarm_arn: String,
    /// The state.
    pub state: StateInfo,
    /// `AlarmConfigurationUpdatedTimestamp`, epoch ms.
    pub configuration_updated_ms: u64,
}

impl CompositeAlarm {
    /// `ActionsEnabled` as DescribeAlarms reports it.
    pub fn actions_enabled(&self) -> bool {
        self.definition.actions_enabled.unwrap_or(true)
    }
}

/// What an action target is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionKind {
    /// An SNS topic: publish `payload` with `subject`.
    Sns,
    /// A Lambda function: invoke asynchronously with `payload`.
    Lambda,
    /// An action this emulator does not perform (EC2, Auto Scaling, SSM, ...): the service
    /// name from the ARN.
    Unsupported(String),
}

/// An action to deliver after a state change.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRequest {
    /// The action ARN.
    pub target_arn: String,
    /// What to do with it.
    pub kind: ActionKind,
    /// The alarm's name.
    pub alarm_name: String,
    /// The alarm's ARN.
    pub alarm_arn: String,
    /// Metric or composite alarm.
    pub alarm_type: AlarmType,
    /// The new state.
    pub new_state: AlarmState,
    /// When the state changed (epoch ms): the timestamp of the Action history item.
    pub state_updated_ms: u64,
    /// The SNS message JSON (SNS) or the Lambda alarm event JSON (Lambda, Unsupported).
    pub payload: String,
    /// The SNS subject: `ALARM: "name" in US East (N. Virginia)`.
    pub subject: String,
}

/// Serde for `Option<Unit>` as AWS's spelling.
mod unit_serde {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Unit;

    pub(super) fn serialize<S: Serializer>(u: &Option<Unit>, s: S) -> Result<S::Ok, S::Error> {
        match u {
            Some(u) => s.serialize_some(u.as_str()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Unit>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|s| Unit::parse(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}
