//! The checks of PutMetricAlarm and PutCompositeAlarm that a wire schema cannot express, with
//! AWS's texts (facts file section 3). A text marked "chosen" is ours: AWS's is not known.
//!
//! A valid metric alarm compiles into a [`Compiled`]: the metric keys, statistics and parsed
//! expressions its evaluations use, so that an evaluation parses nothing.

use metric_math::Expr;
use metric_store::{MetricKey, Statistic, Unit};

use crate::error::AlarmError;
use crate::model::{
    ActionKind, AlarmQuery, ComparisonOperator, CompositeAlarmDefinition, Dimension,
    LowSampleCount, MetricAlarmDefinition, Tag, TreatMissingData,
};

/// Most actions per state list.
const MAX_ACTIONS: usize = 5;
/// Most tags per alarm.
pub(crate) const MAX_TAGS: usize = 50;
/// Most MetricStat (and, separately, Expression) queries of a math alarm.
const MAX_QUERIES_EACH: usize = 10;

fn v(msg: impl Into<String>) -> AlarmError {
    AlarmError::Validation(msg.into())
}

/// The AWS framework's wording, prefixed as real AWS prefixes it.
fn constraint(value: &str, member: &str, constraint: &str) -> AlarmError {
    v(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
    ))
}

/// Where an alarm's numbers come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// One metric and statistic.
    Single {
        key: MetricKey,
        stat: Statistic,
        unit: Option<Unit>,
    },
    /// Metric math: MetricStat queries, then expressions in dependency order.
    Math {
        stats: Vec<MathStat>,
        expressions: Vec<(String, Expr)>,
        return_id: String,
    },
}

/// One MetricStat query of a math alarm.
#[derive(Debug, Clone)]
pub(crate) struct MathStat {
    pub id: String,
    pub key: MetricKey,
    pub stat: Statistic,
    pub period: u32,
    pub unit: Option<Unit>,
    pub label: String,
}

/// A metric alarm ready to evaluate.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub source: Source,
    pub period: u32,
    pub n: u32,
    pub m: u32,
    pub m_configured: bool,
    pub op: ComparisonOperator,
    pub threshold: f64,
    pub treat: TreatMissingData,
    pub low_samples: LowSampleCount,
}

impl Compiled {
    /// The percentile the alarm watches, for the low-sample rule (single-metric only).
    pub(crate) fn percentile(&self) -> Option<f64> {
        match &self.source {
            Source::Single {
                stat: Statistic::Percentile(p),
                ..
            } => Some(*p),
            _ => None,
        }
    }
}

/// Checks a name: AWS allows any UTF-8 but ASCII control characters.
pub(crate) fn check_name(name: &str) -> Result<(), AlarmError> {
    let len = name.chars().count();
    if len == 0 || len > 255 {
        return Err(constraint(
            name,
            "alarmName",
            "Member must have length less than or equal to 255",
        ));
    }
    if name.chars().any(|c| c.is_ascii_control()) {
        // AWS text not known: chosen.
        return Err(v("AlarmName must not contain ASCII control characters."));
    }
    Ok(())
}

fn check_period(period: u32) -> Result<(), AlarmError> {
    if matches!(period, 10 | 20 | 30) || (period > 0 && period.is_multiple_of(60)) {
        Ok(())
    } else {
        // AWS text not known: chosen after LocalStack's, with 20 (model doc since 2025).
        Err(v("Period must be 10, 20, 30 or a multiple of 60"))
    }
}

fn check_window(period: u32, n: u32) -> Result<(), AlarmError> {
    let total = u64::from(period) * u64::from(n);
    // Limits from the model doc (2025+). AWS texts not known: chosen in the shape of the
    // older message "Metrics cannot be checked across more than a day (EvaluationPeriods *
    // Period must be <= 86400)".
    if period < 3600 && total > 86_400 {
        return Err(v(
            "Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400).",
        ));
    }
    if total > 604_800 {
        return Err(v(
            "Metrics cannot be checked across more than 7 days (EvaluationPeriods * Period must be <= 604800).",
        ));
    }
    Ok(())
}

fn key(namespace: &str, name: &str, dims: &[Dimension]) -> Result<MetricKey, AlarmError> {
    MetricKey::new(
        namespace,
        name,
        dims.iter().map(|d| (d.name.as_str(), d.value.as_str())),
    )
    .map_err(|e| v(e.to_string()))
}

const STATISTICS: [&str; 5] = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];

fn parse_statistic(s: &str) -> Result<Statistic, AlarmError> {
    if !STATISTICS.contains(&s) {
        return Err(constraint(
            s,
            "statistic",
            "Member must satisfy enum value set: [Maximum, SampleCount, Sum, Minimum, Average]",
        ));
    }
    Statistic::parse(s).map_err(|e| v(e.to_string()))
}

fn parse_extended(s: &str) -> Result<Statistic, AlarmError> {
    match Statistic::parse(s) {
        Ok(p @ Statistic::Percentile(_)) => Ok(p),
        // moto/LocalStack's text. Trimmed means and the like are valid in AWS but this
        // store computes percentiles only.
        _ => Err(AlarmError::InvalidParameterValue(format!(
            "The value {s} for parameter ExtendedStatistic is not supported."
        ))),
    }
}

/// Any MetricStat `Stat`: a statistic or a percentile.
fn parse_stat(s: &str) -> Result<Statistic, AlarmError> {
    if STATISTICS.contains(&s) {
        parse_statistic(s)
    } else {
        parse_extended(s)
    }
}

/// Checks a metric alarm and compiles it.
pub(crate) fn metric_alarm(
    def: &MetricAlarmDefinition,
    region: &str,
) -> Result<Compiled, AlarmError> {
    check_name(&def.alarm_name)?;
    check_description(def.alarm_description.as_deref())?;
    check_action_lists(
        [
            ("oKActions", &def.ok_actions),
            ("alarmActions", &def.alarm_actions),
            ("insufficientDataActions", &def.insufficient_data_actions),
        ],
        region,
        false,
    )?;
    check_tags(&def.tags)?;

    let n = def
        .evaluation_periods
        // AWS text not known: chosen in the shape of "MetricName must not be null".
        .ok_or_else(|| v("EvaluationPeriods must not be null"))?;
    if n == 0 {
        return Err(constraint(
            "0",
            "evaluationPeriods",
            "Member must have value greater than or equal to 1",
        ));
    }
    if def.datapoints_to_alarm == Some(0) {
        return Err(constraint(
            "0",
            "datapointsToAlarm",
            "Member must have value greater than or equal to 1",
        ));
    }
    let m = def.datapoints_to_alarm.unwrap_or(n);
    if m > n {
        return Err(v(
            "DatapointsToAlarm must be less than or equal to EvaluationPeriods",
        ));
    }
    let op = def
        .comparison_operator
        // AWS text not known: chosen.
        .ok_or_else(|| v("ComparisonOperator must not be null"))?;
    if def.threshold.is_some() && def.threshold_metric_id.is_some() {
        return Err(v("Threshold and ThresholdMetricId cannot both be set"));
    }
    if op.is_anomaly_band() || def.threshold_metric_id.is_some() {
        // Not AWS: this emulator has no anomaly-detection models.
        return Err(v(
            "Anomaly detection alarms (ThresholdMetricId, LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold, GreaterThanUpperThreshold) are not supported by this emulator.",
        ));
    }
    let threshold = def
        .threshold
        // AWS text not known: chosen.
        .ok_or_else(|| v("Threshold must not be null"))?;
    if !threshold.is_finite() {
        return Err(AlarmError::InvalidParameterValue(format!(
            "The value {threshold} for parameter Threshold is not supported."
        )));
    }
    let treat = def
        .treat_missing_data
        .as_deref()
        .map(TreatMissingData::parse)
        .transpose()?
        .unwrap_or(TreatMissingData::Missing);
    let low_samples = def
        .evaluate_low_sample_count_percentile
        .as_deref()
        .map(LowSampleCount::parse)
        .transpose()?
        .unwrap_or(LowSampleCount::Evaluate);

    let (source, period) = if def.metrics.is_empty() {
        single_source(def)?
    } else {
        math_source(def)?
    };
    check_window(period, n)?;
    Ok(Compiled {
        source,
        period,
        n,
        m,
        m_configured: def.datapoints_to_alarm.is_some(),
        op,
        threshold,
        treat,
        low_samples,
    })
}

fn single_source(def: &MetricAlarmDefinition) -> Result<(Source, u32), AlarmError> {
    let name = def
        .metric_name
        .as_deref()
        .ok_or_else(|| v("MetricName must not be null"))?;
    // AWS texts not known for Namespace and Period: chosen in the same shape.
    let namespace = def
        .namespace
        .as_deref()
        .ok_or_else(|| v("Namespace must not be null"))?;
    let period = def.period.ok_or_else(|| v("Period must not be null"))?;
    check_period(period)?;
    let stat = match (&def.statistic, &def.extended_statistic) {
        (Some(s), None) => parse_statistic(s)?,
        (None, Some(e)) => parse_extended(e)?,
        // Model doc: "either Statistic or ExtendedStatistic, but not both". AWS text not
        // known: chosen.
        _ => {
            return Err(AlarmError::InvalidParameterCombination(
                "Exactly one of Statistic or ExtendedStatistic must be specified.".to_owned(),
            ));
        }
    };
    let key = key(namespace, name, &def.dimensions)?;
    Ok((
        Source::Single {
            key,
            stat,
            unit: def.unit,
        },
        period,
    ))
}

fn math_source(def: &MetricAlarmDefinition) -> Result<(Source, u32), AlarmError> {
    // Real for Statistic and Unit; the same pattern for the rest (facts: unverified).
    let set: [(&str, bool); 7] = [
        ("MetricName", def.metric_name.is_some()),
        ("Namespace", def.namespace.is_some()),
        ("Dimensions", !def.dimensions.is_empty()),
        ("Period", def.period.is_some()),
        ("Unit", def.unit.is_some()),
        ("Statistic", def.statistic.is_some()),
        ("ExtendedStatistic", def.extended_statistic.is_some()),
    ];
    if let Some((member, _)) = set.iter().find(|(_, is)| *is) {
        return Err(v(format!(
            "{member} should not be set if list of Metrics is set."
        )));
    }
    let queries = &def.metrics;
    let returning: Vec<&AlarmQuery> = queries
        .iter()
        .filter(|q| q.return_data.unwrap_or(true))
        .collect();
    if returning.len() != 1 {
        // AWS's wording as commonly reported (not in the facts file).
        return Err(v(
            "Exactly one element of the metrics list should return data.",
        ));
    }
    let mut seen: Vec<&str> = Vec::new();
    let mut stats = Vec::new();
    let mut parsed = Vec::new();
    for q in queries {
        check_query_id(&q.id)?;
        if seen.contains(&q.id.as_str()) {
            // AWS text not known: chosen.
            return Err(v(format!(
                "The value {} for parameter Metrics.Id is not unique.",
                q.id
            )));
        }
        seen.push(&q.id);
        match (&q.metric_stat, &q.expression) {
            (Some(_), Some(_)) => {
                return Err(v(
                    "The parameters MetricDataQuery Expression and MetricStat are mutually exclusive and you have specified both.",
                ));
            }
            (None, None) => {
                // AWS text not known: chosen.
                return Err(v(
                    "The parameters MetricDataQuery Expression and MetricStat are mutually exclusive and you have specified neither.",
                ));
            }
            (Some(ms), None) => {
                check_period(ms.period)?;
                let namespace = ms
                    .namespace
                    .as_deref()
                    .ok_or_else(|| v("Namespace must not be null"))?;
                let name = ms
                    .metric_name
                    .as_deref()
                    .ok_or_else(|| v("MetricName must not be null"))?;
                stats.push(MathStat {
                    id: q.id.clone(),
                    key: key(namespace, name, &ms.dimensions)?,
                    stat: parse_stat(&ms.stat)?,
                    period: ms.period,
                    unit: ms.unit,
                    label: q.label.clone().unwrap_or_else(|| name.to_owned()),
                });
            }
            (None, Some(text)) => {
                if let Some(p) = q.period {
                    check_period(p)?;
                }
                let expr = metric_math::parse(text)
                    .map_err(|e| v(format!("Error in expression {}: {e}", q.id)))?;
                parsed.push((q.id.clone(), expr));
            }
        }
    }
    if stats.len() > MAX_QUERIES_EACH || parsed.len() > MAX_QUERIES_EACH {
        // AWS text not known: chosen.
        return Err(v(format!(
            "Metrics may hold at most {MAX_QUERIES_EACH} MetricStat and {MAX_QUERIES_EACH} Expression queries."
        )));
    }
    let metric_ids: Vec<&str> = stats.iter().map(|s| s.id.as_str()).collect();
    let refs: Vec<(&str, &Expr)> = parsed.iter().map(|(id, e)| (id.as_str(), e)).collect();
    let order: Vec<String> = metric_math::evaluation_order(&refs, &metric_ids)
        .map_err(|e| v(e.to_string()))?
        .into_iter()
        .map(str::to_owned)
        .collect();
    let mut expressions = Vec::with_capacity(order.len());
    for id in order {
        if let Some(pos) = parsed.iter().position(|(i, _)| *i == id) {
            expressions.push(parsed.swap_remove(pos));
        }
    }
    let ret = returning[0];
    let period = match &ret.metric_stat {
        Some(ms) => ms.period,
        None => ret
            .period
            .or_else(|| stats.first().map(|s| s.period))
            // AWS text not known: chosen.
            .ok_or_else(|| {
                v("Period must be set on the expression when Metrics has no MetricStat.")
            })?,
    };
    Ok((
        Source::Math {
            stats,
            expressions,
            return_id: ret.id.clone(),
        },
        period,
    ))
}

/// A MetricDataQuery Id: a lower-case letter first, then letters, digits and underscores
/// (the GetMetricData rule).
fn check_query_id(id: &str) -> Result<(), AlarmError> {
    let mut chars = id.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        // AWS text not known: chosen.
        Err(v(format!(
            "The value {id} for parameter Metrics.Id is not valid: it must start with a lower-case letter and hold only letters, digits and underscores."
        )))
    }
}

fn check_description(d: Option<&str>) -> Result<(), AlarmError> {
    match d {
        Some(d) if d.chars().count() > 1024 => Err(constraint(
            d,
            "alarmDescription",
            "Member must have length less than or equal to 1024",
        )),
        _ => Ok(()),
    }
}

/// Checks a composite alarm's plain members (the rule is checked against the alarms).
pub(crate) fn composite_alarm(
    def: &CompositeAlarmDefinition,
    region: &str,
) -> Result<(), AlarmError> {
    check_name(&def.alarm_name)?;
    check_description(def.alarm_description.as_deref())?;
    check_action_lists(
        [
            ("oKActions", &def.ok_actions),
            ("alarmActions", &def.alarm_actions),
            ("insufficientDataActions", &def.insufficient_data_actions),
        ],
        region,
        true,
    )?;
    check_tags(&def.tags)
}

fn check_action_lists(
    lists: [(&str, &Vec<String>); 3],
    region: &str,
    composite: bool,
) -> Result<(), AlarmError> {
    for (member, list) in lists {
        if list.len() > MAX_ACTIONS {
            return Err(constraint(
                &format!("[{}]", list.join(", ")),
                member,
                "Member must have length less than or equal to 5",
            ));
        }
        for arn in list {
            check_action(arn, region, composite)?;
        }
    }
    Ok(())
}

/// What an action ARN asks for.
pub(crate) fn classify(arn: &str) -> ActionKind {
    let service = arn.split(':').nth(2).unwrap_or("");
    match service {
        "sns" => ActionKind::Sns,
        "lambda" => ActionKind::Lambda,
        other => ActionKind::Unsupported(other.to_owned()),
    }
}

fn check_action(arn: &str, region: &str, composite: bool) -> Result<(), AlarmError> {
    let parts: Vec<&str> = arn.split(':').collect();
    // AWS text not known: chosen.
    let bad = || v(format!("Invalid arn syntax: {arn}"));
    if parts.len() < 6 || parts[0] != "arn" || parts[1].is_empty() || parts[2].is_empty() {
        return Err(bad());
    }
    let service = parts[2];
    let known = [
        "sns",
        "lambda",
        "automate",
        "swf",
        "autoscaling",
        "ssm",
        "ssm-incidents",
        "aiops",
    ];
    if !known.contains(&service) {
        return Err(bad());
    }
    if composite && matches!(service, "automate" | "swf" | "autoscaling") {
        // Model doc: composite alarms take SNS, Lambda, SSM and aiops actions only. AWS text
        // not known: chosen.
        return Err(v(format!(
            "The action {arn} is not supported for composite alarms."
        )));
    }
    if matches!(service, "sns" | "lambda") {
        if parts[3] != region {
            // AWS's text as commonly reported (not in the facts file).
            return Err(v(format!(
                "Invalid region {} specified. Only {region} is supported.",
                parts[3]
            )));
        }
        if parts[4].is_empty() || parts[5].is_empty() {
            return Err(bad());
        }
        if service == "lambda" && (parts[5] != "function" || parts.len() < 7 || parts[6].is_empty())
        {
            return Err(bad());
        }
    }
    Ok(())
}

/// Checks tags: at most 50, keys 1..128 and values 0..256 characters.
pub(crate) fn check_tags(tags: &[Tag]) -> Result<(), AlarmError> {
    if tags.len() > MAX_TAGS {
        // AWS text not known: chosen.
        return Err(AlarmError::InvalidParameterValue(format!(
            "A resource can have at most {MAX_TAGS} tags."
        )));
    }
    for t in tags {
        let klen = t.key.chars().count();
        if klen == 0 || klen > 128 {
            return Err(constraint(
                &t.key,
                "tags.member.key",
                "Member must have length between 1 and 128",
            ));
        }
        if t.value.chars().count() > 256 {
            return Err(constraint(
                &t.value,
                "tags.member.value",
                "Member must have length less than or equal to 256",
            ));
        }
    }
    Ok(())
}
