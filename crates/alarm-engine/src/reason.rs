//! StateReason texts and StateReasonData JSON, worded as CloudWatch words them (facts file
//! section 2, "StateReason texts" and "StateReasonData JSON").

use serde::Serialize;

use crate::dates::{iso_millis, long_date, reason_date};
use crate::evaluate::{Decision, Point};
use crate::model::{AlarmState, ComparisonOperator, TreatMissingData};

/// The reason of a newly created alarm.
pub(crate) const INITIAL_REASON: &str = "Unchecked: Initial alarm creation";

/// A double as Java's `Double.toString` prints it (`5.0`, `21.5`, `1.0E7`), which is how
/// values appear in AWS's reasons.
pub(crate) fn java_double(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let a = v.abs();
    if v == 0.0 || (1e-3..1e7).contains(&a) {
        let s = format!("{v}");
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        let s = format!("{v:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_owned()
        } else {
            format!("{mantissa}.0")
        };
        format!("{mantissa}E{exp}")
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// What the reason needs to know of the alarm.
pub(crate) struct ReasonInput<'a> {
    pub decision: &'a Decision,
    pub n: u32,
    pub m: u32,
    /// DatapointsToAlarm was set: AWS then uses the long "out of the last" form.
    pub m_configured: bool,
    pub op: ComparisonOperator,
    pub threshold: f64,
    pub treat: TreatMissingData,
    pub old: AlarmState,
    pub new: AlarmState,
}

/// The StateReason of an evaluated transition.
pub(crate) fn metric_reason(r: &ReasonInput<'_>) -> String {
    let d = r.decision;
    let n = r.n as usize;
    let fill_word = match r.treat {
        TreatMissingData::Breaching => Some("Breaching"),
        TreatMissingData::NotBreaching => Some("NonBreaching"),
        _ => None,
    };
    if r.new == AlarmState::InsufficientData {
        return format!(
            "Insufficient Data: {n} {} {} unknown.",
            plural(n, "datapoint", "datapoints"),
            plural(n, "was", "were")
        );
    }
    if d.all_missing {
        let word = fill_word.unwrap_or("Missing");
        return format!(
            "Threshold Crossed: no datapoints were received for {n} {} and {n} missing {} {} treated as [{word}].",
            plural(n, "period", "periods"),
            plural(n, "datapoint", "datapoints"),
            plural(n, "was", "were"),
        );
    }
    // The real points on the side of the new state, newest first.
    let alarm = r.new == AlarmState::Alarm;
    let listed: Vec<&Point> = d
        .points
        .iter()
        .filter(|p| p.value.is_some() && p.breaching == alarm)
        .collect();
    let k = listed.len();
    let list = listed
        .iter()
        .map(|p| {
            format!(
                "{} ({})",
                java_double(p.value.unwrap_or_default()),
                reason_date(p.ts_ms)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let not = if alarm { "" } else { "not " };
    let mut fill = String::new();
    if let (Some(word), true) = (fill_word, d.filled > 0) {
        let f = d.filled as usize;
        fill = format!(
            " and {f} missing {} {} treated as [{word}]",
            plural(f, "datapoint", "datapoints"),
            plural(f, "was", "were")
        );
    }
    let verb = plural(k, "was", "were");
    let words = r.op.words();
    let threshold = java_double(r.threshold);
    if r.m_configured {
        // AWS text not known for OK: chosen N - M + 1, the fewest good points that make an
        // M-of-N alarm OK.
        let min = if alarm { r.m } else { r.n - r.m + 1 } as usize;
        format!(
            "Threshold Crossed: {k} out of the last {n} datapoints [{list}] {verb} {not}{words} the threshold ({threshold}){fill} (minimum {min} {} for {} -> {} transition).",
            plural(min, "datapoint", "datapoints"),
            r.old.as_str(),
            r.new.as_str()
        )
    } else {
        format!(
            "Threshold Crossed: {k} {} [{list}] {verb} {not}{words} the threshold ({threshold}){fill}.",
            plural(k, "datapoint", "datapoints")
        )
    }
}

/// StateReasonData of a metric alarm, keys in AWS's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MetricReasonData<'a> {
    version: &'static str,
    query_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    statistic: Option<&'a str>,
    period: u32,
    recent_datapoints: Vec<f64>,
    threshold: f64,
    evaluated_datapoints: Vec<EvaluatedDatapoint>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EvaluatedDatapoint {
    timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sample_count: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<f64>,
}

/// The alarm facts StateReasonData reports.
pub(crate) struct DataInput<'a> {
    pub decision: &'a Decision,
    pub query_ms: u64,
    pub unit: Option<&'a str>,
    /// `None` for metric-math alarms.
    pub statistic: Option<&'a str>,
    pub period: u32,
    pub threshold: f64,
}

/// The StateReasonData JSON of an evaluation. Chosen where AWS's samples do not tell:
/// `recentDatapoints` oldest first, `evaluatedDatapoints` newest first (as the reason lists
/// them), `startDate` the oldest evaluated point.
pub(crate) fn metric_reason_data(i: &DataInput<'_>) -> String {
    let points = &i.decision.points;
    let data = MetricReasonData {
        version: "1.0",
        query_date: iso_millis(i.query_ms),
        start_date: points.iter().map(|p| p.ts_ms).min().map(iso_millis),
        unit: i.unit,
        statistic: i.statistic,
        period: i.period,
        recent_datapoints: points.iter().rev().filter_map(|p| p.value).collect(),
        threshold: i.threshold,
        evaluated_datapoints: points
            .iter()
            .map(|p| EvaluatedDatapoint {
                timestamp: iso_millis(p.ts_ms),
                sample_count: p.value.and(p.sample_count),
                value: p.value,
            })
            .collect(),
    };
    serde_json::to_string(&data).unwrap_or_default()
}

/// A child alarm that made a composite change.
pub(crate) struct Trigger<'a> {
    pub arn: &'a str,
    pub state: AlarmState,
    pub transitioned_ms: u64,
}

/// `arn:...:alarm:Child transitioned to ALARM at Friday 22 July, 2022 15:57:45 UTC`.
pub(crate) fn composite_child_reason(t: &Trigger<'_>) -> String {
    format!(
        "{} transitioned to {} at {}",
        t.arn,
        t.state.as_str(),
        long_date(t.transitioned_ms)
    )
}

/// `arn:...:alarm:Main was created and its alarm rule evaluates to OK`; `updated` for a
/// reconfiguration (AWS text not known for updates: chosen by analogy).
pub(crate) fn composite_config_reason(arn: &str, created: bool, state: AlarmState) -> String {
    let verb = if created { "created" } else { "updated" };
    format!(
        "{arn} was {verb} and its alarm rule evaluates to {}",
        state.as_str()
    )
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CompositeReasonData<'a> {
    triggering_alarms: Vec<TriggeringAlarm<'a>>,
}

#[derive(Serialize)]
struct TriggeringAlarm<'a> {
    arn: &'a str,
    state: TriggerState,
}

#[derive(Serialize)]
struct TriggerState {
    value: &'static str,
    timestamp: String,
}

/// `{"triggeringAlarms":[{"arn":...,"state":{"value":"ALARM","timestamp":...}}]}`.
pub(crate) fn composite_reason_data(triggers: &[Trigger<'_>]) -> String {
    let data = CompositeReasonData {
        triggering_alarms: triggers
            .iter()
            .map(|t| TriggeringAlarm {
                arn: t.arn,
                state: TriggerState {
                    value: t.state.as_str(),
                    timestamp: iso_millis(t.transitioned_ms),
                },
            })
            .collect(),
    };
    serde_json::to_string(&data).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::java_double;

    #[test]
    fn doubles_print_like_java() {
        assert_eq!(java_double(5.0), "5.0");
        assert_eq!(java_double(21.5), "21.5");
        assert_eq!(java_double(0.0666851903306472), "0.0666851903306472");
        assert_eq!(java_double(1226.0), "1226.0");
        assert_eq!(java_double(-3.0), "-3.0");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(1.5e-4), "1.5E-4");
        assert_eq!(java_double(0.0), "0.0");
    }
}
