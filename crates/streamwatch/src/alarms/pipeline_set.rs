//! The pipeline's recommended CloudWatch alarms: the thresholds teams set on a Kinesis stream
//! and the Lambda function behind it, each with its period, M-of-N and missing-data rule, and
//! why.

use serde_json::{Value, json};

/// What the function's alarms are scaled to, read from the function's configuration.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FunctionFacts {
    /// The function's name.
    pub(crate) name: String,
    /// Its timeout, seconds (GetFunctionConfiguration `Timeout`).
    pub(crate) timeout_secs: u32,
    /// Its concurrency limit: the reserved concurrency when set, else the account's
    /// (GetFunctionConcurrency, GetAccountSettings).
    pub(crate) concurrency_limit: u32,
    /// Whether `concurrency_limit` is the function's reserved concurrency.
    pub(crate) reserved: bool,
}

/// One metric a query of a metric-math alarm reads.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MathInput {
    /// The query id the expression names.
    pub(crate) id: &'static str,
    /// The metric's name.
    pub(crate) metric: &'static str,
    /// The statistic.
    pub(crate) stat: &'static str,
}

/// What an alarm watches.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Watched {
    /// One metric's statistic.
    Metric {
        /// The statistic (`Sum`, `Maximum`, ...).
        statistic: &'static str,
    },
    /// A metric-math expression over metrics of the same namespace and dimension.
    Math {
        /// The metrics read.
        inputs: Vec<MathInput>,
        /// The expression whose single series is compared.
        expression: &'static str,
        /// The expression's label.
        label: &'static str,
    },
}

/// One recommended alarm: everything PutMetricAlarm needs, and why it is set so.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AlarmSpec {
    /// The alarm's name.
    pub(crate) name: String,
    /// Its description: what it means when it fires.
    pub(crate) description: String,
    /// `AWS/Kinesis` or `AWS/Lambda`.
    pub(crate) namespace: &'static str,
    /// The metric (for a math alarm: the metric of its label, for listing).
    pub(crate) metric: &'static str,
    /// The dimension: `StreamName` or `FunctionName`, and its value.
    pub(crate) dimension: (&'static str, String),
    /// A metric's statistic or a metric-math expression.
    pub(crate) watched: Watched,
    /// Period, seconds.
    pub(crate) period: u32,
    /// N: periods evaluated.
    pub(crate) evaluation_periods: u32,
    /// M: breaching periods among the N that set ALARM.
    pub(crate) datapoints_to_alarm: u32,
    /// The threshold.
    pub(crate) threshold: f64,
    /// `GreaterThanThreshold`.
    pub(crate) comparison: &'static str,
    /// `notBreaching`, `missing`, ...
    pub(crate) treat_missing_data: &'static str,
    /// The unit the threshold is in, for people (`ms`, `%`, ...).
    pub(crate) threshold_unit: &'static str,
    /// Why the threshold, period and missing-data rule are what they are.
    pub(crate) why: &'static str,
}

/// Consumers more than a minute behind the stream's tip.
pub(crate) const ITERATOR_AGE_MS: f64 = 60_000.0;
/// Function errors as a share of invocations, percent.
pub(crate) const ERROR_RATE_PERCENT: f64 = 1.0;
/// Share of the timeout or of the concurrency limit that is already too close.
pub(crate) const NEAR_LIMIT: f64 = 0.8;

/// The recommended set for `stream` and, when given, the function that reads it. Every
/// alarm's name starts with `prefix`.
pub(crate) fn recommended(
    prefix: &str,
    stream: &str,
    function: Option<&FunctionFacts>,
) -> Vec<AlarmSpec> {
    let on_stream = || ("StreamName", stream.to_owned());
    let mut set = vec![
        AlarmSpec {
            name: format!("{prefix}{stream}-iterator-age"),
            description: format!(
                "Consumers of {stream} are more than a minute behind the newest record"
            ),
            namespace: "AWS/Kinesis",
            metric: "GetRecords.IteratorAgeMilliseconds",
            dimension: on_stream(),
            watched: Watched::Metric {
                statistic: "Maximum",
            },
            period: 60,
            evaluation_periods: 5,
            datapoints_to_alarm: 3,
            threshold: ITERATOR_AGE_MS,
            comparison: "GreaterThanThreshold",
            treat_missing_data: "notBreaching",
            threshold_unit: "ms",
            why: "A minute behind is the usual line between catching up and falling behind; 3 of \
                  5 minutes ignores one slow batch. No GetRecords at all (an idle stream) is not \
                  lag, so missing data does not breach.",
        },
        AlarmSpec {
            name: format!("{prefix}{stream}-write-throttled"),
            description: format!("Puts to {stream} are throttled: the shards are at capacity"),
            namespace: "AWS/Kinesis",
            metric: "WriteProvisionedThroughputExceeded",
            dimension: on_stream(),
            watched: Watched::Metric { statistic: "Sum" },
            period: 60,
            evaluation_periods: 1,
            datapoints_to_alarm: 1,
            threshold: 0.0,
            comparison: "GreaterThanThreshold",
            treat_missing_data: "notBreaching",
            threshold_unit: "records",
            why: "Any throttled record means producers retry or drop: add shards or spread \
                  partition keys. One minute is enough to say so; a minute without puts is fine.",
        },
    ];
    let Some(f) = function else {
        return set;
    };
    let on_function = || ("FunctionName", f.name.clone());
    let name = &f.name;
    set.push(AlarmSpec {
        name: format!("{prefix}{name}-error-rate"),
        description: format!("More than 1% of {name}'s invocations fail"),
        namespace: "AWS/Lambda",
        metric: "Errors",
        dimension: on_function(),
        watched: Watched::Math {
            inputs: vec![
                MathInput {
                    id: "errors",
                    metric: "Errors",
                    stat: "Sum",
                },
                MathInput {
                    id: "invocations",
                    metric: "Invocations",
                    stat: "Sum",
                },
            ],
            expression: "100 * errors / invocations",
            label: "Error rate (%)",
        },
        period: 60,
        evaluation_periods: 5,
        datapoints_to_alarm: 3,
        threshold: ERROR_RATE_PERCENT,
        comparison: "GreaterThanThreshold",
        treat_missing_data: "notBreaching",
        threshold_unit: "%",
        why: "A rate, not a count, so a busy function is held to the same bar as a quiet one. \
              3 of 5 minutes rides out a single bad batch; a minute without invocations has no \
              rate and does not breach.",
    });
    set.push(AlarmSpec {
        name: format!("{prefix}{name}-throttles"),
        description: format!("{name} is throttled: events wait for concurrency"),
        namespace: "AWS/Lambda",
        metric: "Throttles",
        dimension: on_function(),
        watched: Watched::Metric { statistic: "Sum" },
        period: 60,
        evaluation_periods: 1,
        datapoints_to_alarm: 1,
        threshold: 0.0,
        comparison: "GreaterThanThreshold",
        treat_missing_data: "notBreaching",
        threshold_unit: "invocations",
        why: "A throttled stream batch is retried and the iterator age grows behind it: any \
              throttle is worth knowing at once.",
    });
    let timeout_ms = f64::from(f.timeout_secs) * 1000.0;
    set.push(AlarmSpec {
        name: format!("{prefix}{name}-duration"),
        description: format!(
            "{name} runs longer than 80% of its {}-second timeout",
            f.timeout_secs
        ),
        namespace: "AWS/Lambda",
        metric: "Duration",
        dimension: on_function(),
        watched: Watched::Metric {
            statistic: "Maximum",
        },
        period: 60,
        evaluation_periods: 3,
        datapoints_to_alarm: 2,
        threshold: NEAR_LIMIT * timeout_ms,
        comparison: "GreaterThanThreshold",
        treat_missing_data: "notBreaching",
        threshold_unit: "ms",
        why: "80% of the timeout leaves time to act before invocations time out and batches are \
              retried; the slowest invocation (Maximum) is the one that times out. 2 of 3 \
              minutes ignores one cold start.",
    });
    let limit = f64::from(f.concurrency_limit);
    set.push(AlarmSpec {
        name: format!("{prefix}{name}-concurrency"),
        description: format!(
            "{name} uses more than 80% of its concurrency limit ({} {})",
            f.concurrency_limit,
            if f.reserved {
                "reserved"
            } else {
                "for the account"
            }
        ),
        namespace: "AWS/Lambda",
        metric: "ConcurrentExecutions",
        dimension: on_function(),
        watched: Watched::Metric {
            statistic: "Maximum",
        },
        period: 60,
        evaluation_periods: 3,
        datapoints_to_alarm: 2,
        threshold: NEAR_LIMIT * limit,
        comparison: "GreaterThanThreshold",
        treat_missing_data: "notBreaching",
        threshold_unit: "executions",
        why: "Past 80% of the limit the next burst is throttled; the limit is the reserved \
              concurrency when the function has one, else the account's.",
    });
    set
}

impl AlarmSpec {
    /// The PutMetricAlarm request, in AWS's member names (what `aws cloudwatch
    /// put-metric-alarm --cli-input-json` reads), with `actions` as AlarmActions and
    /// OKActions.
    pub(crate) fn request_json(&self, actions: &[String]) -> Value {
        let dimension = json!([{"Name": self.dimension.0, "Value": self.dimension.1}]);
        let mut request = json!({
            "AlarmName": self.name,
            "AlarmDescription": self.description,
            "ActionsEnabled": true,
            "AlarmActions": actions,
            "OKActions": actions,
            "EvaluationPeriods": self.evaluation_periods,
            "DatapointsToAlarm": self.datapoints_to_alarm,
            "Threshold": self.threshold,
            "ComparisonOperator": self.comparison,
            "TreatMissingData": self.treat_missing_data,
        });
        match &self.watched {
            Watched::Metric { statistic } => {
                request["Namespace"] = json!(self.namespace);
                request["MetricName"] = json!(self.metric);
                request["Dimensions"] = dimension;
                request["Statistic"] = json!(statistic);
                request["Period"] = json!(self.period);
            }
            Watched::Math {
                inputs,
                expression,
                label,
            } => {
                let mut metrics: Vec<Value> = inputs
                    .iter()
                    .map(|i| {
                        json!({
                            "Id": i.id,
                            "MetricStat": {
                                "Metric": {
                                    "Namespace": self.namespace,
                                    "MetricName": i.metric,
                                    "Dimensions": dimension,
                                },
                                "Period": self.period,
                                "Stat": i.stat,
                            },
                            "ReturnData": false,
                        })
                    })
                    .collect();
                metrics.push(json!({
                    "Id": "rate",
                    "Expression": expression,
                    "Label": label,
                    "ReturnData": true,
                }));
                request["Metrics"] = Value::Array(metrics);
            }
        }
        request
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(reserved: Option<u32>) -> FunctionFacts {
        FunctionFacts {
            name: "consumer".into(),
            timeout_secs: 30,
            concurrency_limit: reserved.unwrap_or(1000),
            reserved: reserved.is_some(),
        }
    }

    #[test]
    fn a_stream_alone_gets_its_two_alarms() {
        let set = recommended("sw-", "orders", None);
        let names: Vec<&str> = set.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            ["sw-orders-iterator-age", "sw-orders-write-throttled"]
        );
        assert_eq!(set[0].threshold, 60_000.0);
        assert_eq!(set[1].threshold, 0.0);
    }

    #[test]
    fn function_limits_scale_with_its_configuration() {
        let set = recommended("", "orders", Some(&facts(Some(10))));
        let by = |suffix: &str| {
            set.iter()
                .find(|a| a.name.ends_with(suffix))
                .unwrap_or_else(|| panic!("{suffix}"))
        };
        assert_eq!(by("-duration").threshold, 24_000.0);
        assert_eq!(by("-concurrency").threshold, 8.0);
        assert!(by("-concurrency").description.contains("10 reserved"));
        let account = recommended("", "orders", Some(&facts(None)));
        assert_eq!(account.last().map(|a| a.threshold), Some(800.0));
        assert_eq!(set.len(), 6);
    }

    #[test]
    fn requests_use_aws_member_names() {
        let set = recommended("", "orders", Some(&facts(None)));
        let topic = vec!["arn:aws:sns:us-east-1:000000000000:pager".to_owned()];
        let age = set[0].request_json(&topic);
        assert_eq!(age["MetricName"], "GetRecords.IteratorAgeMilliseconds");
        assert_eq!(age["Dimensions"][0]["Value"], "orders");
        assert_eq!(age["AlarmActions"][0], topic[0]);
        assert!(age.get("Metrics").is_none());
        let rate = set[2].request_json(&[]);
        assert!(rate.get("MetricName").is_none());
        assert_eq!(
            rate["Metrics"][2]["Expression"],
            "100 * errors / invocations"
        );
        assert_eq!(
            rate["Metrics"][0]["MetricStat"]["Metric"]["Dimensions"][0]["Value"],
            "consumer"
        );
    }
}
