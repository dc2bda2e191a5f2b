//! The AWS/Kinesis metrics of known traffic, read with aws-sdk-cloudwatch.

use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricStat, StandardUnit, Statistic,
};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{MetricsName, PutRecordsRequestEntry, ShardIteratorType};

use crate::harness::{Harness, at, start};

fn stream_dim(stream: &str) -> Dimension {
    Dimension::builder()
        .name("StreamName")
        .value(stream)
        .build()
}

/// The sum of `stat` over the last ten minutes for an AWS/Kinesis metric.
async fn total(h: &Harness, metric: &str, dims: Vec<Dimension>, stat: &str) -> Option<f64> {
    let out = h
        .cloudwatch
        .get_metric_data()
        .start_time(at(-600))
        .end_time(at(60))
        .metric_data_queries(
            MetricDataQuery::builder()
                .id("q")
                .metric_stat(
                    MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .namespace("AWS/Kinesis")
                                .metric_name(metric)
                                .set_dimensions(Some(dims))
                                .build(),
                        )
                        .period(600)
                        .stat(stat)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let values = out.metric_data_results()[0].values();
    (!values.is_empty()).then(|| values.iter().sum())
}

async fn put_batch(h: &Harness, stream: &str, n: usize, size: usize) -> (usize, usize) {
    let mut req = h.kinesis.put_records().stream_name(stream);
    for i in 0..n {
        req = req.records(
            PutRecordsRequestEntry::builder()
                .partition_key(format!("{i:04}"))
                .data(Blob::new(vec![b'x'; size]))
                .build()
                .unwrap(),
        );
    }
    let out = req.send().await.unwrap();
    let failed = out.failed_record_count().unwrap_or(0) as usize;
    (n - failed, failed)
}

#[tokio::test(flavor = "multi_thread")]
async fn stream_metrics_match_the_traffic() {
    let h = start(false).await;
    h.kinesis
        .create_stream()
        .stream_name("traffic")
        .shard_count(2)
        .send()
        .await
        .unwrap();
    let (stored, _) = put_batch(&h, "traffic", 100, 96).await;
    assert_eq!(stored, 100);
    // Each record: 4-byte key + 96 bytes of data.
    let d = || vec![stream_dim("traffic")];
    assert_eq!(total(&h, "IncomingRecords", d(), "Sum").await, Some(100.0));
    assert_eq!(total(&h, "IncomingBytes", d(), "Sum").await, Some(10_000.0));
    assert_eq!(
        total(&h, "PutRecords.TotalRecords", d(), "Sum").await,
        Some(100.0)
    );
    assert_eq!(
        total(&h, "PutRecords.Success", d(), "Average").await,
        Some(1.0)
    );
    assert!(total(&h, "PutRecords.Latency", d(), "p99").await.is_some());

    let mut read = 0;
    for shard in ["shardId-000000000000", "shardId-000000000001"] {
        let it = h
            .kinesis
            .get_shard_iterator()
            .stream_name("traffic")
            .shard_id(shard)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap();
        read += h
            .kinesis
            .get_records()
            .shard_iterator(it.shard_iterator().unwrap())
            .send()
            .await
            .unwrap()
            .records()
            .len();
    }
    assert_eq!(read, 100);
    assert_eq!(
        total(&h, "GetRecords.Records", d(), "Sum").await,
        Some(100.0)
    );
    assert_eq!(
        total(&h, "GetRecords.Bytes", d(), "Sum").await,
        Some(10_000.0)
    );
    assert_eq!(
        total(&h, "GetRecords.Success", d(), "SampleCount").await,
        Some(2.0)
    );

    // Units are AWS's.
    let stats = h
        .cloudwatch
        .get_metric_statistics()
        .namespace("AWS/Kinesis")
        .metric_name("IncomingBytes")
        .dimensions(stream_dim("traffic"))
        .start_time(at(-600))
        .end_time(at(60))
        .period(600)
        .statistics(Statistic::Sum)
        .send()
        .await
        .unwrap();
    assert_eq!(stats.datapoints()[0].unit(), Some(&StandardUnit::Bytes));

    // Shard-level metrics appear only once enhanced monitoring names them.
    let shard_dims = || {
        vec![
            stream_dim("traffic"),
            Dimension::builder()
                .name("ShardId")
                .value("shardId-000000000000")
                .build(),
        ]
    };
    assert_eq!(
        total(&h, "IncomingRecords", shard_dims(), "Sum").await,
        None
    );
    h.kinesis
        .enable_enhanced_monitoring()
        .stream_name("traffic")
        .shard_level_metrics(MetricsName::All)
        .send()
        .await
        .unwrap();
    put_batch(&h, "traffic", 100, 96).await;
    let s0 = total(&h, "IncomingRecords", shard_dims(), "Sum")
        .await
        .unwrap_or(0.0);
    let s1 = total(
        &h,
        "IncomingRecords",
        vec![
            stream_dim("traffic"),
            Dimension::builder()
                .name("ShardId")
                .value("shardId-000000000001")
                .build(),
        ],
        "Sum",
    )
    .await
    .unwrap_or(0.0);
    assert_eq!(s0 + s1, 100.0);
    let listed = h
        .cloudwatch
        .list_metrics()
        .namespace("AWS/Kinesis")
        .metric_name("IncomingRecords")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.metrics().len(), 3, "stream level plus two shards");
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_is_counted() {
    let h = start(true).await;
    h.kinesis
        .create_stream()
        .stream_name("hot")
        .shard_count(1)
        .send()
        .await
        .unwrap();
    // 500 records of 4 KiB are 2 MiB: more than a shard takes in a second.
    let (stored, throttled) = put_batch(&h, "hot", 500, 4096).await;
    assert!(throttled > 0);
    let d = || vec![stream_dim("hot")];
    assert_eq!(
        total(&h, "PutRecords.ThrottledRecords", d(), "Sum").await,
        Some(throttled as f64)
    );
    assert_eq!(
        total(&h, "WriteProvisionedThroughputExceeded", d(), "Sum").await,
        Some(throttled as f64)
    );
    assert_eq!(
        total(&h, "IncomingRecords", d(), "Sum").await,
        Some(stored as f64)
    );

    let it = h
        .kinesis
        .get_shard_iterator()
        .stream_name("hot")
        .shard_id("shardId-000000000000")
        .shard_iterator_type(ShardIteratorType::Latest)
        .send()
        .await
        .unwrap();
    let mut refused = 0;
    for _ in 0..8 {
        if h.kinesis
            .get_records()
            .shard_iterator(it.shard_iterator().unwrap())
            .send()
            .await
            .is_err()
        {
            refused += 1;
        }
    }
    assert!(refused >= 1);
    assert_eq!(
        total(&h, "ReadProvisionedThroughputExceeded", d(), "Sum").await,
        Some(refused as f64)
    );
}
