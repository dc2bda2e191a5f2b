//! Units as CloudWatch keeps them: a metric's data in different units stay apart, a query
//! with a unit reads only that unit's, and one without reads them as AWS does
//! (GetMetricStatistics: a datapoint per unit; GetMetricData: the first unit in AWS's order,
//! with a `MultipleUnits` message). The time-range validations of both reads.

use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricDatum, MetricStat, StandardUnit, Statistic,
};

use crate::harness::{Harness, at, code, message, start};

fn dim() -> Dimension {
    Dimension::builder().name("Op").value("get").build()
}

fn datum(value: f64, unit: Option<StandardUnit>) -> MetricDatum {
    MetricDatum::builder()
        .metric_name("Wait")
        .dimensions(dim())
        .value(value)
        .set_unit(unit)
        .timestamp(at(-30))
        .build()
}

async fn statistics(h: &Harness, unit: Option<StandardUnit>) -> Vec<(f64, String)> {
    let out = h
        .cloudwatch
        .get_metric_statistics()
        .namespace("Units")
        .metric_name("Wait")
        .dimensions(dim())
        .start_time(at(-600))
        .end_time(at(60))
        .period(60)
        .statistics(Statistic::Sum)
        .set_unit(unit)
        .send()
        .await
        .unwrap();
    let mut points: Vec<(f64, String)> = out
        .datapoints()
        .iter()
        .map(|d| {
            (
                d.sum().unwrap(),
                d.unit().map(|u| u.as_str().to_owned()).unwrap_or_default(),
            )
        })
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    points
}

/// Values and per-result messages of one Sum query.
async fn data(h: &Harness, unit: Option<StandardUnit>) -> (Vec<f64>, Vec<(String, String)>) {
    let out = h
        .cloudwatch
        .get_metric_data()
        .metric_data_queries(
            MetricDataQuery::builder()
                .id("m")
                .metric_stat(
                    MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .namespace("Units")
                                .metric_name("Wait")
                                .dimensions(dim())
                                .build(),
                        )
                        .period(60)
                        .stat("Sum")
                        .set_unit(unit)
                        .build(),
                )
                .build(),
        )
        .start_time(at(-600))
        .end_time(at(60))
        .send()
        .await
        .unwrap();
    let r = &out.metric_data_results()[0];
    (
        r.values().to_vec(),
        r.messages()
            .iter()
            .map(|m| {
                (
                    m.code().unwrap_or_default().to_owned(),
                    m.value().unwrap_or_default().to_owned(),
                )
            })
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn data_in_different_units_stay_apart() {
    let h = start(false).await;
    h.cloudwatch
        .put_metric_data()
        .namespace("Units")
        .metric_data(datum(2.0, Some(StandardUnit::Seconds)))
        .metric_data(datum(3.0, Some(StandardUnit::Seconds)))
        .metric_data(datum(10.0, None))
        .metric_data(datum(60_000.0, Some(StandardUnit::Milliseconds)))
        .send()
        .await
        .unwrap();
    // One unit asked: only its data. A datum without a unit is in None.
    assert_eq!(
        statistics(&h, Some(StandardUnit::Seconds)).await,
        [(5.0, "Seconds".to_owned())]
    );
    assert_eq!(
        statistics(&h, Some(StandardUnit::None)).await,
        [(10.0, "None".to_owned())]
    );
    assert_eq!(
        statistics(&h, Some(StandardUnit::Bytes)).await,
        Vec::<(f64, String)>::new()
    );
    // No unit: a datapoint per unit, each with its unit.
    assert_eq!(
        statistics(&h, None).await,
        [
            (5.0, "Seconds".to_owned()),
            (10.0, "None".to_owned()),
            (60_000.0, "Milliseconds".to_owned())
        ]
    );
    assert_eq!(
        data(&h, Some(StandardUnit::Seconds)).await,
        (vec![5.0], vec![])
    );
    assert_eq!(data(&h, Some(StandardUnit::Count)).await, (vec![], vec![]));
    // No unit in GetMetricData: Milliseconds comes before Seconds and None in AWS's order.
    assert_eq!(
        data(&h, None).await,
        (
            vec![60_000.0],
            vec![(
                "MultipleUnits".to_owned(),
                "Multiple units returned: '[Milliseconds, None, Seconds]'".to_owned()
            )]
        )
    );

    // A metric with one unit reads the same with or without it.
    h.cloudwatch
        .put_metric_data()
        .namespace("Units")
        .metric_data(
            MetricDatum::builder()
                .metric_name("Only")
                .value(4.0)
                .unit(StandardUnit::Count)
                .timestamp(at(-30))
                .build(),
        )
        .send()
        .await
        .unwrap();
    for unit in [None, Some(StandardUnit::Count)] {
        let out = h
            .cloudwatch
            .get_metric_statistics()
            .namespace("Units")
            .metric_name("Only")
            .start_time(at(-600))
            .end_time(at(60))
            .period(60)
            .statistics(Statistic::Sum)
            .set_unit(unit)
            .send()
            .await
            .unwrap();
        assert_eq!(out.datapoints()[0].sum(), Some(4.0));
        assert_eq!(out.datapoints()[0].unit(), Some(&StandardUnit::Count));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn time_ranges_are_validated_per_action() {
    let h = start(false).await;
    let query = MetricDataQuery::builder()
        .id("m")
        .metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace("Units")
                        .metric_name("Wait")
                        .build(),
                )
                .period(60)
                .stat("Sum")
                .build(),
        )
        .build();
    let err = h
        .cloudwatch
        .get_metric_data()
        .metric_data_queries(query.clone())
        .start_time(at(0))
        .end_time(at(0))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationError");
    assert_eq!(
        message(&err),
        "The parameter StartTime must not equal parameter EndTime."
    );
    let err = h
        .cloudwatch
        .get_metric_data()
        .metric_data_queries(query)
        .start_time(at(60))
        .end_time(at(0))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationError");
    assert_eq!(
        message(&err),
        "The parameter EndTime must be greater than StartTime."
    );
    for (from, to) in [(0, 0), (60, 0)] {
        let err = h
            .cloudwatch
            .get_metric_statistics()
            .namespace("Units")
            .metric_name("Wait")
            .start_time(at(from))
            .end_time(at(to))
            .period(60)
            .statistics(Statistic::Sum)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "InvalidParameterValue");
        assert_eq!(
            message(&err),
            "The parameter StartTime must be less than the parameter EndTime."
        );
    }
}

/// An alarm with a unit evaluates only the data stored in that unit, on a manual clock the
/// server's alarm loop follows.
#[tokio::test(flavor = "multi_thread")]
async fn alarms_with_a_unit_read_only_that_unit() {
    use std::sync::Arc;
    use std::time::Duration;

    use aws_sdk_cloudwatch::primitives::DateTime;
    use aws_sdk_cloudwatch::types::{AlarmType, ComparisonOperator, StateValue};
    use kinesis_engine::{Engine, ManualClock};

    let now = testkit::now_ms();
    let t0 = now - now % 60_000 - 120_000;
    let clock = Arc::new(ManualClock::new(t0));
    let engine = Engine::open_with_clock(testkit::engine_config(), clock.clone()).unwrap();
    let h = Harness::on(engine).await;
    h.cloudwatch
        .put_metric_alarm()
        .alarm_name("slow")
        .namespace("Units")
        .metric_name("Wait")
        .dimensions(dim())
        .statistic(Statistic::Sum)
        .unit(StandardUnit::Seconds)
        .period(60)
        .evaluation_periods(1)
        .threshold(5.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .unwrap();
    let put = |ms: u64, value: f64, unit: Option<StandardUnit>| {
        h.cloudwatch
            .put_metric_data()
            .namespace("Units")
            .metric_data(
                MetricDatum::builder()
                    .metric_name("Wait")
                    .dimensions(dim())
                    .value(value)
                    .set_unit(unit)
                    .timestamp(DateTime::from_millis(ms as i64))
                    .build(),
            )
            .send()
    };
    let wait_for = |want: StateValue| {
        let h = &h;
        async move {
            for _ in 0..100 {
                let out = h
                    .cloudwatch
                    .describe_alarms()
                    .alarm_names("slow")
                    .alarm_types(AlarmType::MetricAlarm)
                    .send()
                    .await
                    .unwrap();
                let alarm = &out.metric_alarms()[0];
                if alarm.state_value() == Some(&want) {
                    return alarm.state_reason().unwrap_or_default().to_owned();
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("slow never reached {want:?}");
        }
    };
    // Minute 0: 3 s, and 100 without a unit that a unit-blind sum would count.
    put(t0 + 5_000, 3.0, Some(StandardUnit::Seconds))
        .await
        .unwrap();
    put(t0 + 6_000, 100.0, None).await.unwrap();
    clock.set(t0 + 60_000);
    let reason = wait_for(StateValue::Ok).await;
    assert!(reason.contains("[3.0 ("), "{reason}");
    // Minute 1: 6 s crosses the threshold.
    put(t0 + 65_000, 6.0, Some(StandardUnit::Seconds))
        .await
        .unwrap();
    clock.set(t0 + 120_000);
    let reason = wait_for(StateValue::Alarm).await;
    assert!(reason.contains("[6.0 ("), "{reason}");
}
