//! DescribeAlarms and DescribeAlarmsForMetric: their inputs, outputs, checks and paging.

use crate::error::AlarmError;
use crate::model::{AlarmState, AlarmType, CompositeAlarm, Dimension, MetricAlarm, Unit};

/// DescribeAlarms' page size when MaxRecords is absent (the model states none; AWS's
/// documented default for this operation was 50).
pub(crate) const DEFAULT_PAGE: usize = 50;

/// DescribeAlarms' input.
#[derive(Debug, Clone, Default)]
pub struct DescribeAlarmsQuery {
    /// `AlarmNames` (excludes `alarm_name_prefix`).
    pub alarm_names: Vec<String>,
    /// `AlarmNamePrefix`.
    pub alarm_name_prefix: Option<String>,
    /// `AlarmTypes`; empty means metric alarms only (model doc).
    pub alarm_types: Vec<AlarmType>,
    /// `ChildrenOfAlarmName`: the alarms a composite's rule names. Only `max_records` and
    /// `next_token` may go with it. AWS then returns only AlarmName, AlarmArn, StateValue and
    /// StateUpdatedTimestamp of each: the API crate trims.
    pub children_of_alarm_name: Option<String>,
    /// `ParentsOfAlarmName`: the composites whose rule names this alarm (AWS returns only
    /// name and ARN). Only `max_records` and `next_token` may go with it.
    pub parents_of_alarm_name: Option<String>,
    /// `StateValue`.
    pub state_value: Option<AlarmState>,
    /// `ActionPrefix`: alarms with an action (of any state) starting with it.
    pub action_prefix: Option<String>,
    /// `MaxRecords`, 1..100 (default 50).
    pub max_records: Option<u32>,
    /// `NextToken` from a previous page.
    pub next_token: Option<String>,
}

/// One page of DescribeAlarms, alarms in name order (metric and composite interleaved by
/// name across pages).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlarmsPage {
    /// `MetricAlarms`.
    pub metric_alarms: Vec<MetricAlarm>,
    /// `CompositeAlarms`.
    pub composite_alarms: Vec<CompositeAlarm>,
    /// `NextToken`, if more alarms match.
    pub next_token: Option<String>,
}

/// DescribeAlarmsForMetric's input.
#[derive(Debug, Clone, Default)]
pub struct ForMetricQuery {
    /// `Namespace`.
    pub namespace: String,
    /// `MetricName`.
    pub metric_name: String,
    /// `Dimensions`: the alarm's dimensions must be exactly these (any order).
    pub dimensions: Vec<Dimension>,
    /// `Statistic`.
    pub statistic: Option<String>,
    /// `ExtendedStatistic`.
    pub extended_statistic: Option<String>,
    /// `Period`.
    pub period: Option<u32>,
    /// `Unit`.
    pub unit: Option<Unit>,
}

/// Checks the parameter combinations of DescribeAlarms.
pub(crate) fn check(q: &DescribeAlarmsQuery) -> Result<usize, AlarmError> {
    if !q.alarm_names.is_empty() && q.alarm_name_prefix.is_some() {
        // AWS text not known: chosen.
        return Err(AlarmError::InvalidParameterCombination(
            "AlarmNames and AlarmNamePrefix cannot both be specified.".to_owned(),
        ));
    }
    let relation = q.children_of_alarm_name.is_some() || q.parents_of_alarm_name.is_some();
    let others = !q.alarm_names.is_empty()
        || q.alarm_name_prefix.is_some()
        || !q.alarm_types.is_empty()
        || q.state_value.is_some()
        || q.action_prefix.is_some()
        || (q.children_of_alarm_name.is_some() && q.parents_of_alarm_name.is_some());
    if relation && others {
        // Model doc: "you receive a validation error". AWS text not known: chosen.
        return Err(AlarmError::Validation(
            "If you specify ChildrenOfAlarmName or ParentsOfAlarmName, you can specify only MaxRecords and NextToken besides.".to_owned(),
        ));
    }
    match q.max_records {
        Some(m) if !(1..=100).contains(&m) => Err(AlarmError::Validation(format!(
            "1 validation error detected: Value '{m}' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100"
        ))),
        Some(m) => Ok(m as usize),
        None => Ok(DEFAULT_PAGE),
    }
}

/// The token that resumes after alarm `name`.
pub(crate) fn token(name: &str) -> String {
    let hex: String = name.bytes().map(|b| format!("{b:02x}")).collect();
    format!("a1-{hex}")
}

/// The name a token resumes after.
pub(crate) fn parse_token(t: &str) -> Result<String, AlarmError> {
    let bad = || AlarmError::InvalidNextToken("Request parameter NextToken is invalid".to_owned());
    let hex = t.strip_prefix("a1-").ok_or_else(bad)?;
    if hex.len() % 2 != 0 {
        return Err(bad());
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    bytes
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)
}

/// Whether a metric alarm's single metric is the one asked for.
pub(crate) fn for_metric(a: &MetricAlarm, q: &ForMetricQuery) -> bool {
    let d = &a.definition;
    let same_dims = d.dimensions.len() == q.dimensions.len()
        && q.dimensions.iter().all(|x| d.dimensions.contains(x));
    d.namespace.as_deref() == Some(q.namespace.as_str())
        && d.metric_name.as_deref() == Some(q.metric_name.as_str())
        && same_dims
        && q.statistic
            .as_ref()
            .is_none_or(|s| d.statistic.as_ref() == Some(s))
        && q.extended_statistic
            .as_ref()
            .is_none_or(|s| d.extended_statistic.as_ref() == Some(s))
        && q.period.is_none_or(|p| d.period == Some(p))
        && q.unit.is_none_or(|u| d.unit == Some(u))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        for name in ["a", "Ünïcode alarm", ""] {
            assert_eq!(parse_token(&token(name)).unwrap(), name);
        }
        assert!(parse_token("nope").is_err());
        assert!(parse_token("a1-zz").is_err());
        assert!(parse_token("a1-f").is_err());
        assert!(parse_token("a1-ff").is_err());
    }
}
