//! GetMetricData's metric math, ReturnData, ScanBy and limits, through aws-sdk-cloudwatch.

use aws_sdk_cloudwatch::types::{Metric, MetricDataQuery, MetricDatum, MetricStat, ScanBy};

use crate::harness::{at, code, message, start};

fn stat_query(id: &str, metric: &str, return_data: bool) -> MetricDataQuery {
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace("Math")
                        .metric_name(metric)
                        .build(),
                )
                .period(60)
                .stat("Sum")
                .build(),
        )
        .return_data(return_data)
        .build()
}

fn expr(id: &str, e: &str) -> MetricDataQuery {
    MetricDataQuery::builder().id(id).expression(e).build()
}

#[tokio::test(flavor = "multi_thread")]
async fn expressions_over_metric_stats() {
    let h = start(false).await;
    let cw = &h.cloudwatch;
    let now = at(0).secs();
    // errors: 1, 2, 3 and requests: 10, 20, 30 in three consecutive minutes.
    for (i, minute) in [3i64, 2, 1].iter().enumerate() {
        let ts = aws_sdk_cloudwatch::primitives::DateTime::from_secs((now / 60 - minute) * 60 + 5);
        cw.put_metric_data()
            .namespace("Math")
            .metric_data(
                MetricDatum::builder()
                    .metric_name("errors")
                    .value((i + 1) as f64)
                    .timestamp(ts)
                    .build(),
            )
            .metric_data(
                MetricDatum::builder()
                    .metric_name("requests")
                    .value(10.0 * (i + 1) as f64)
                    .timestamp(ts)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    let out = cw
        .get_metric_data()
        .start_time(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
            (now / 60 - 5) * 60,
        ))
        .end_time(at(60))
        .scan_by(ScanBy::TimestampAscending)
        .metric_data_queries(stat_query("errors", "errors", false))
        .metric_data_queries(stat_query("requests", "requests", false))
        .metric_data_queries(expr("rate", "100 * errors / requests"))
        .metric_data_queries(expr("total", "SUM(METRICS())"))
        .metric_data_queries(expr("biggest", "MAX([errors, requests])"))
        .metric_data_queries(expr("change", "DIFF(requests)"))
        .metric_data_queries(expr("persec", "RATE(requests)"))
        .metric_data_queries(expr("all", "METRICS()"))
        .send()
        .await
        .unwrap();
    let results = out.metric_data_results();
    let values = |id: &str| -> Vec<f64> {
        results
            .iter()
            .filter(|r| r.id() == Some(id))
            .flat_map(|r| r.values().iter().copied())
            .collect()
    };
    assert!(
        values("errors").is_empty() && !results.iter().any(|r| r.id() == Some("errors")),
        "ReturnData false"
    );
    assert_eq!(values("rate"), [10.0, 10.0, 10.0]);
    assert_eq!(values("total"), [11.0, 22.0, 33.0]);
    assert_eq!(values("biggest"), [10.0, 20.0, 30.0]);
    assert_eq!(values("change"), [10.0, 10.0]);
    assert_eq!(values("persec"), [10.0 / 60.0, 10.0 / 60.0]);
    // METRICS() returns one result per MetricStat query.
    assert_eq!(results.iter().filter(|r| r.id() == Some("all")).count(), 2);
    // Ascending order was asked for.
    let ts = results
        .iter()
        .find(|r| r.id() == Some("rate"))
        .unwrap()
        .timestamps();
    assert!(ts.windows(2).all(|w| w[0].secs() < w[1].secs()));

    let err = cw
        .get_metric_data()
        .start_time(at(-600))
        .end_time(at(0))
        .metric_data_queries(stat_query("a", "errors", true))
        .metric_data_queries(expr("b", "a +"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationError");
    assert!(
        message(&err).starts_with("Error in expression b"),
        "{}",
        message(&err)
    );
    let err = cw
        .get_metric_data()
        .start_time(at(-600))
        .end_time(at(0))
        .metric_data_queries(expr("b", "missing * 2"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationError");
}

#[tokio::test(flavor = "multi_thread")]
async fn at_most_500_queries() {
    let h = start(false).await;
    let mut req = h
        .cloudwatch
        .get_metric_data()
        .start_time(at(-600))
        .end_time(at(0));
    for i in 0..501 {
        req = req.metric_data_queries(stat_query(&format!("q{i}"), "errors", true));
    }
    let err = req.send().await.unwrap_err();
    assert_eq!(code(&err), "ValidationError");
    assert_eq!(
        message(&err),
        "The collection MetricDataQueries must not have a size greater than 500."
    );
    let mut req = h
        .cloudwatch
        .get_metric_data()
        .start_time(at(-600))
        .end_time(at(0));
    for i in 0..500 {
        req = req.metric_data_queries(stat_query(&format!("q{i}"), "errors", true));
    }
    assert_eq!(req.send().await.unwrap().metric_data_results().len(), 500);
}
