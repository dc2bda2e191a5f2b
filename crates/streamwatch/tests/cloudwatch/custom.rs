//! PutMetricData, then reading it back every way.

use aws_sdk_cloudwatch::types::{
    Dimension, DimensionFilter, Metric, MetricDataQuery, MetricDatum, MetricStat, StandardUnit,
    Statistic, StatisticSet,
};

use crate::harness::{at, code, message, start};

fn dim(name: &str, value: &str) -> Dimension {
    Dimension::builder().name(name).value(value).build()
}

fn query(id: &str, metric: &str, stat: &str, period: i32) -> MetricDataQuery {
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace("App")
                        .metric_name(metric)
                        .dimensions(dim("Op", "get"))
                        .build(),
                )
                .period(period)
                .stat(stat)
                .build(),
        )
        .build()
}

#[tokio::test(flavor = "multi_thread")]
async fn put_metric_data_round_trips() {
    let h = start(false).await;
    let cw = &h.cloudwatch;
    // 100 latencies 1..=100 ms in one datum via Values, plus a statistic set.
    let values: Vec<f64> = (1..=100).map(f64::from).collect();
    cw.put_metric_data()
        .namespace("App")
        .metric_data(
            MetricDatum::builder()
                .metric_name("Latency")
                .dimensions(dim("Op", "get"))
                .set_values(Some(values))
                .unit(StandardUnit::Milliseconds)
                .storage_resolution(1)
                .build(),
        )
        .metric_data(
            MetricDatum::builder()
                .metric_name("Requests")
                .dimensions(dim("Op", "get"))
                .statistic_values(
                    StatisticSet::builder()
                        .sample_count(4.0)
                        .sum(10.0)
                        .minimum(1.0)
                        .maximum(4.0)
                        .build(),
                )
                .unit(StandardUnit::Count)
                .build(),
        )
        .send()
        .await
        .unwrap();

    let out = cw
        .get_metric_data()
        .start_time(at(-600))
        .end_time(at(60))
        .metric_data_queries(query("sum", "Latency", "Sum", 60))
        .metric_data_queries(query("avg", "Latency", "Average", 60))
        .metric_data_queries(query("p90", "Latency", "p90", 60))
        .metric_data_queries(query("n", "Requests", "SampleCount", 60))
        .send()
        .await
        .unwrap();
    let results = out.metric_data_results();
    assert_eq!(results.len(), 4);
    let value = |id: &str| -> f64 {
        let r = results.iter().find(|r| r.id() == Some(id)).unwrap();
        assert_eq!(
            r.status_code(),
            Some(&aws_sdk_cloudwatch::types::StatusCode::Complete)
        );
        r.values().iter().sum()
    };
    assert_eq!(value("sum"), 5050.0);
    assert_eq!(value("avg"), 50.5);
    assert!(
        (value("p90") - 90.0).abs() <= 0.9,
        "p90 within 1%: {}",
        value("p90")
    );
    assert_eq!(value("n"), 4.0);
    // Labels: the metric name, plus the statistic where queries of a metric differ in it.
    let label = |id: &str| {
        results
            .iter()
            .find(|r| r.id() == Some(id))
            .unwrap()
            .label()
            .unwrap()
            .to_owned()
    };
    assert_eq!(label("sum"), "Latency Sum");
    assert_eq!(label("n"), "Requests");

    let stats = cw
        .get_metric_statistics()
        .namespace("App")
        .metric_name("Latency")
        .dimensions(dim("Op", "get"))
        .start_time(at(-600))
        .end_time(at(60))
        .period(60)
        .statistics(Statistic::Maximum)
        .statistics(Statistic::Minimum)
        .statistics(Statistic::SampleCount)
        .send()
        .await
        .unwrap();
    assert_eq!(stats.label(), Some("Latency"));
    let dp = &stats.datapoints()[0];
    assert_eq!(
        (dp.minimum(), dp.maximum(), dp.sample_count()),
        (Some(1.0), Some(100.0), Some(100.0))
    );
    assert_eq!(dp.unit(), Some(&StandardUnit::Milliseconds));
    assert!(dp.sum().is_none(), "only the requested statistics");

    let ext = cw
        .get_metric_statistics()
        .namespace("App")
        .metric_name("Latency")
        .dimensions(dim("Op", "get"))
        .start_time(at(-600))
        .end_time(at(60))
        .period(60)
        .extended_statistics("p50")
        .send()
        .await
        .unwrap();
    let p50 = ext.datapoints()[0].extended_statistics().unwrap()["p50"];
    assert!((p50 - 50.0).abs() <= 0.5, "p50 within 1%: {p50}");

    let listed = cw.list_metrics().namespace("App").send().await.unwrap();
    let names: Vec<&str> = listed
        .metrics()
        .iter()
        .filter_map(|m| m.metric_name())
        .collect();
    assert_eq!(names, ["Latency", "Requests"]);
    let filtered = cw
        .list_metrics()
        .dimensions(DimensionFilter::builder().name("Op").value("put").build())
        .send()
        .await
        .unwrap();
    assert!(filtered.metrics().is_empty());
    let by_name = cw
        .list_metrics()
        .metric_name("Requests")
        .recently_active(aws_sdk_cloudwatch::types::RecentlyActive::Pt3H)
        .send()
        .await
        .unwrap();
    assert_eq!(by_name.metrics().len(), 1);
    assert_eq!(by_name.metrics()[0].dimensions()[0].value(), Some("get"));
}

#[tokio::test(flavor = "multi_thread")]
async fn put_metric_data_errors() {
    let h = start(false).await;
    let cw = &h.cloudwatch;
    let err = cw
        .put_metric_data()
        .namespace("App")
        .metric_data(
            MetricDatum::builder()
                .metric_name("m")
                .value(1.0)
                .set_values(Some(vec![1.0]))
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterCombination");
    assert_eq!(
        message(&err),
        "The parameters MetricData.member.1.Value and MetricData.member.1.Values are mutually exclusive and you have specified both."
    );
    let err = cw
        .put_metric_data()
        .namespace("App")
        .metric_data(
            MetricDatum::builder()
                .metric_name("m")
                .value(1.0)
                .timestamp(at(-15 * 86_400))
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValue");
    assert_eq!(
        message(&err),
        "The parameter MetricData.member.1.Timestamp must specify a time within the past two weeks."
    );
    let err = cw
        .put_metric_data()
        .namespace("AWS/Kinesis")
        .metric_data(MetricDatum::builder().metric_name("m").value(1.0).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValue");
    let err = cw
        .put_metric_data()
        .namespace("App")
        .metric_data(
            MetricDatum::builder()
                .metric_name("m")
                .set_values(Some(vec![1.0, 2.0]))
                .set_counts(Some(vec![1.0]))
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValue");
    let mut many = cw.put_metric_data().namespace("App");
    for i in 0..1001 {
        many = many.metric_data(
            MetricDatum::builder()
                .metric_name(format!("m{i}"))
                .value(1.0)
                .build(),
        );
    }
    assert_eq!(
        code(&many.send().await.unwrap_err()),
        "InvalidParameterValue"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn get_metric_data_and_statistics_errors() {
    let h = start(false).await;
    let cw = &h.cloudwatch;
    let err = cw
        .get_metric_data()
        .start_time(at(-60))
        .end_time(at(0))
        .metric_data_queries(query("Bad", "Latency", "Sum", 60))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationError");
    assert_eq!(
        message(&err),
        "The value Bad for parameter MetricDataQueries.member.1.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$."
    );
    let err = cw
        .get_metric_data()
        .start_time(at(-60))
        .end_time(at(0))
        .metric_data_queries(query("m", "Latency", "Median", 60))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "The value Median for parameter MetricDataQueries.member.1.MetricStat.Stat is not a valid statistic."
    );
    let err = cw
        .get_metric_statistics()
        .namespace("App")
        .metric_name("Latency")
        .start_time(at(0))
        .end_time(at(86_400))
        .period(1)
        .statistics(Statistic::Sum)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterCombination");
    assert_eq!(
        message(&err),
        "You have requested up to 86400 datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range."
    );
    let err = cw
        .get_metric_statistics()
        .namespace("App")
        .metric_name("Latency")
        .start_time(at(0))
        .end_time(at(0))
        .period(60)
        .statistics(Statistic::Sum)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "The parameter StartTime must be less than the parameter EndTime."
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pagination() {
    let h = start(false).await;
    let cw = &h.cloudwatch;
    // 600 metrics: ListMetrics pages at 500.
    for chunk in 0..6 {
        let mut req = cw.put_metric_data().namespace("Many");
        for i in 0..100 {
            req = req.metric_data(
                MetricDatum::builder()
                    .metric_name(format!("m{:03}", chunk * 100 + i))
                    .value(1.0)
                    .build(),
            );
        }
        req.send().await.unwrap();
    }
    let first = cw.list_metrics().namespace("Many").send().await.unwrap();
    assert_eq!(first.metrics().len(), 500);
    let second = cw
        .list_metrics()
        .namespace("Many")
        .next_token(first.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(second.metrics().len(), 100);
    assert!(second.next_token().is_none());

    // 120 one-second datapoints, read 50 at a time.
    let now = at(0).secs();
    for s in 0..120 {
        cw.put_metric_data()
            .namespace("Paged")
            .metric_data(
                MetricDatum::builder()
                    .metric_name("v")
                    .value(s as f64)
                    .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
                        now - 200 + s,
                    ))
                    .storage_resolution(1)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    let q = MetricDataQuery::builder()
        .id("v")
        .metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace("Paged")
                        .metric_name("v")
                        .build(),
                )
                .period(1)
                .stat("Sum")
                .build(),
        )
        .build();
    let mut token = None;
    let mut seen = 0;
    let mut pages = 0;
    loop {
        let out = cw
            .get_metric_data()
            .start_time(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
                now - 300,
            ))
            .end_time(at(1))
            .metric_data_queries(q.clone())
            .max_datapoints(50)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        for r in out.metric_data_results() {
            seen += r.values().len();
            let partial =
                r.status_code() == Some(&aws_sdk_cloudwatch::types::StatusCode::PartialData);
            assert_eq!(partial, out.next_token().is_some());
        }
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!((seen, pages), (120, 3));
}
