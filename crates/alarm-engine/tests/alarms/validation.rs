//! PutMetricAlarm and PutCompositeAlarm validation: codes and messages.

use alarm_engine::{
    AlarmError, AlarmMetricStat, AlarmQuery, ComparisonOperator, CompositeAlarmDefinition,
    MetricAlarmDefinition, Tag,
};

use crate::evaluation::error_rate;
use crate::harness::{H, simple};

fn put(def: MetricAlarmDefinition) -> AlarmError {
    H::new().engine.put_metric_alarm(def).unwrap_err()
}

fn base() -> MetricAlarmDefinition {
    simple("v", "Errors")
}

fn check(def: MetricAlarmDefinition, code: &str, message: &str) {
    let err = put(def);
    assert_eq!(
        (err.code(), err.message()),
        (code, Some(message)),
        "{err:?}"
    );
}

#[test]
fn statistic_and_extended_statistic() {
    let both = MetricAlarmDefinition {
        extended_statistic: Some("p99".to_owned()),
        ..base()
    };
    let err = put(both);
    assert_eq!(err.code(), "InvalidParameterCombination");
    assert_eq!(err.shape(), "InvalidParameterCombinationException");
    let neither = MetricAlarmDefinition {
        statistic: None,
        ..base()
    };
    assert_eq!(put(neither).code(), "InvalidParameterCombination");
    check(
        MetricAlarmDefinition {
            statistic: Some("Median".to_owned()),
            ..base()
        },
        "ValidationError",
        "1 validation error detected: Value 'Median' at 'statistic' failed to satisfy constraint: Member must satisfy enum value set: [Maximum, SampleCount, Sum, Minimum, Average]",
    );
    check(
        MetricAlarmDefinition {
            statistic: None,
            extended_statistic: Some("p99.999".to_owned()),
            ..base()
        },
        "InvalidParameterValue",
        "The value p99.999 for parameter ExtendedStatistic is not supported.",
    );
    let ok = MetricAlarmDefinition {
        statistic: None,
        extended_statistic: Some("p99.99".to_owned()),
        ..base()
    };
    H::new().engine.put_metric_alarm(ok).unwrap();
}

#[test]
fn metric_name_and_metrics() {
    check(
        MetricAlarmDefinition {
            metric_name: None,
            ..base()
        },
        "ValidationError",
        "MetricName must not be null",
    );
    check(
        MetricAlarmDefinition {
            statistic: Some("Sum".to_owned()),
            ..error_rate("m")
        },
        "ValidationError",
        "Statistic should not be set if list of Metrics is set.",
    );
    check(
        MetricAlarmDefinition {
            metric_name: Some("Errors".to_owned()),
            ..error_rate("m")
        },
        "ValidationError",
        "MetricName should not be set if list of Metrics is set.",
    );
    let mut two_returning = error_rate("m");
    two_returning.metrics[0].return_data = None;
    check(
        two_returning,
        "ValidationError",
        "Exactly one element of the metrics list should return data.",
    );
    let mut both = error_rate("m");
    both.metrics[0].expression = Some("1".to_owned());
    check(
        both,
        "ValidationError",
        "The parameters MetricDataQuery Expression and MetricStat are mutually exclusive and you have specified both.",
    );
    let mut dup = error_rate("m");
    dup.metrics[1].id = "errors".to_owned();
    assert_eq!(put(dup).code(), "ValidationError");
    let mut unknown = error_rate("m");
    unknown.metrics[2].expression = Some("errors / nothing".to_owned());
    assert_eq!(put(unknown).code(), "ValidationError");
    let mut bad = error_rate("m");
    bad.metrics[2].expression = Some("errors / (".to_owned());
    let err = put(bad);
    assert!(
        err.message()
            .unwrap()
            .starts_with("Error in expression rate: "),
        "{err}"
    );
    let mut many = error_rate("m");
    for i in 0..10 {
        many.metrics.push(AlarmQuery {
            id: format!("s{i}"),
            metric_stat: Some(AlarmMetricStat {
                namespace: Some("App".to_owned()),
                metric_name: Some("X".to_owned()),
                period: 60,
                stat: "Sum".to_owned(),
                ..Default::default()
            }),
            return_data: Some(false),
            ..Default::default()
        });
    }
    assert_eq!(put(many).code(), "ValidationError");
}

#[test]
fn periods_and_evaluation_windows() {
    for p in [10, 20, 30, 60, 300, 3600] {
        H::new()
            .engine
            .put_metric_alarm(MetricAlarmDefinition {
                period: Some(p),
                ..base()
            })
            .unwrap();
    }
    for p in [0, 1, 5, 15, 45, 90] {
        check(
            MetricAlarmDefinition {
                period: Some(p),
                ..base()
            },
            "ValidationError",
            "Period must be 10, 20, 30 or a multiple of 60",
        );
    }
    check(
        MetricAlarmDefinition {
            period: Some(60),
            evaluation_periods: Some(1441),
            ..base()
        },
        "ValidationError",
        "Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400).",
    );
    H::new()
        .engine
        .put_metric_alarm(MetricAlarmDefinition {
            period: Some(3600),
            evaluation_periods: Some(168),
            ..base()
        })
        .unwrap();
    check(
        MetricAlarmDefinition {
            period: Some(3600),
            evaluation_periods: Some(169),
            ..base()
        },
        "ValidationError",
        "Metrics cannot be checked across more than 7 days (EvaluationPeriods * Period must be <= 604800).",
    );
    check(
        MetricAlarmDefinition {
            evaluation_periods: Some(2),
            datapoints_to_alarm: Some(3),
            ..base()
        },
        "ValidationError",
        "DatapointsToAlarm must be less than or equal to EvaluationPeriods",
    );
}

#[test]
fn option_values() {
    check(
        MetricAlarmDefinition {
            treat_missing_data: Some("zero".to_owned()),
            ..base()
        },
        "ValidationError",
        "The value zero is not supported for TreatMissingData parameter. Supported values are [breaching, notBreaching, ignore, missing].",
    );
    check(
        MetricAlarmDefinition {
            evaluate_low_sample_count_percentile: Some("always".to_owned()),
            ..base()
        },
        "ValidationError",
        "Option always is not supported. Supported options for parameter EvaluateLowSampleCountPercentile are evaluate and ignore.",
    );
    let anomaly = put(MetricAlarmDefinition {
        comparison_operator: Some(ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold),
        ..base()
    });
    assert_eq!(anomaly.code(), "ValidationError");
    check(
        MetricAlarmDefinition {
            threshold_metric_id: Some("ad1".to_owned()),
            ..base()
        },
        "ValidationError",
        "Threshold and ThresholdMetricId cannot both be set",
    );
}

#[test]
fn actions_and_tags() {
    let sns = "arn:aws:sns:us-east-1:123456789012:t".to_owned();
    check(
        MetricAlarmDefinition {
            alarm_actions: vec![sns.clone(); 6],
            ..base()
        },
        "ValidationError",
        &format!(
            "1 validation error detected: Value '[{}]' at 'alarmActions' failed to satisfy constraint: Member must have length less than or equal to 5",
            [sns.as_str(); 6].join(", ")
        ),
    );
    check(
        MetricAlarmDefinition {
            ok_actions: vec!["not-an-arn".to_owned()],
            ..base()
        },
        "ValidationError",
        "Invalid arn syntax: not-an-arn",
    );
    check(
        MetricAlarmDefinition {
            ok_actions: vec!["arn:aws:sns:eu-west-1:123456789012:t".to_owned()],
            ..base()
        },
        "ValidationError",
        "Invalid region eu-west-1 specified. Only us-east-1 is supported.",
    );
    // Other services are accepted (and not performed).
    H::new()
        .engine
        .put_metric_alarm(MetricAlarmDefinition {
            alarm_actions: vec![
                "arn:aws:automate:us-east-1:ec2:stop".to_owned(),
                "arn:aws:lambda:us-east-1:123456789012:function:f:live".to_owned(),
            ],
            ..base()
        })
        .unwrap();
    let err = H::new()
        .engine
        .put_composite_alarm(CompositeAlarmDefinition {
            alarm_name: "c".to_owned(),
            alarm_rule: "TRUE".to_owned(),
            alarm_actions: vec!["arn:aws:automate:us-east-1:ec2:stop".to_owned()],
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.code(), "ValidationError");
    let tags = (0..51)
        .map(|i| Tag {
            key: format!("k{i}"),
            value: String::new(),
        })
        .collect();
    assert_eq!(
        put(MetricAlarmDefinition { tags, ..base() }).code(),
        "InvalidParameterValue"
    );
    let long_key = vec![Tag {
        key: "k".repeat(129),
        value: String::new(),
    }];
    assert_eq!(
        put(MetricAlarmDefinition {
            tags: long_key,
            ..base()
        })
        .code(),
        "ValidationError"
    );
}

#[test]
fn names_and_type_clashes() {
    check(
        MetricAlarmDefinition {
            alarm_name: "bad\u{7}name".to_owned(),
            ..base()
        },
        "ValidationError",
        "AlarmName must not contain ASCII control characters.",
    );
    let h = H::new();
    h.engine.put_metric_alarm(base()).unwrap();
    let err = h
        .engine
        .put_composite_alarm(CompositeAlarmDefinition {
            alarm_name: "v".to_owned(),
            alarm_rule: "TRUE".to_owned(),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.code(), "ValidationError");
}

#[test]
fn nothing_panics_on_odd_input() {
    let h = H::new();
    let odd = MetricAlarmDefinition {
        alarm_name: "x".repeat(300),
        threshold: Some(f64::NAN),
        evaluation_periods: Some(u32::MAX),
        datapoints_to_alarm: Some(0),
        period: Some(u32::MAX),
        ..base()
    };
    assert!(h.engine.put_metric_alarm(odd).is_err());
    for def in [
        MetricAlarmDefinition::default(),
        MetricAlarmDefinition {
            evaluation_periods: Some(0),
            ..base()
        },
        MetricAlarmDefinition {
            period: Some(86_400 * 7),
            evaluation_periods: Some(1),
            ..base()
        },
    ] {
        let _ = h.engine.put_metric_alarm(def);
    }
    for rule in ["", "(((", "ALARM(", "NOT", "ALARM(\"", ")))", "TRUE AND"] {
        let r = h.engine.put_composite_alarm(CompositeAlarmDefinition {
            alarm_name: "c".to_owned(),
            alarm_rule: rule.to_owned(),
            ..Default::default()
        });
        assert_eq!(r.unwrap_err().code(), "ValidationError", "{rule}");
    }
    h.eval_at(crate::harness::T0 + 1_000_000);
}
