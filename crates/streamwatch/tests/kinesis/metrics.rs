//! The AWS/Kinesis metrics the engine records, read straight from its metric store.

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{MetricsName, PutRecordsRequestEntry, ShardIteratorType};
use metric_store::{MetricKey, Statistic};

use crate::harness::{create, start};

fn stat(
    h: &crate::harness::Harness,
    name: &str,
    dims: &[(&str, &str)],
    s: Statistic,
) -> Option<f64> {
    let key = MetricKey::new("AWS/Kinesis", name, dims.iter().copied()).unwrap();
    let now = h.server.engine().now_ms();
    let points = h
        .server
        .metrics()
        .query(&key, now - 120_000, now + 1_000, 3600, &[s])
        .unwrap();
    let values: Vec<f64> = points.iter().filter_map(|p| p.values[0]).collect();
    match s {
        Statistic::Sum | Statistic::SampleCount => {
            (!values.is_empty()).then(|| values.iter().sum())
        }
        _ => values.first().copied(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn puts_and_reads_are_measured() {
    let h = start().await;
    let c = &h.kinesis;
    create(c, "m", 2).await;
    c.enable_enhanced_monitoring()
        .stream_name("m")
        .shard_level_metrics(MetricsName::IncomingRecords)
        .send()
        .await
        .unwrap();
    let one = c
        .put_record()
        .stream_name("m")
        .partition_key("a")
        .data(Blob::new("12345"))
        .send()
        .await
        .unwrap();
    let mut req = c.put_records().stream_name("m");
    for i in 0..10 {
        req = req.records(
            PutRecordsRequestEntry::builder()
                .partition_key(format!("k{i}"))
                .data(Blob::new("xyz"))
                .build()
                .unwrap(),
        );
    }
    req.send().await.unwrap();
    let sd = [("StreamName", "m")];
    // PutRecord: 1 record of "a" + "12345" = 6 bytes; PutRecords: 10 records of 2 + 3 bytes.
    assert_eq!(stat(&h, "PutRecord.Bytes", &sd, Statistic::Sum), Some(6.0));
    assert_eq!(
        stat(&h, "PutRecord.Success", &sd, Statistic::Sum),
        Some(1.0)
    );
    assert_eq!(
        stat(&h, "PutRecords.Bytes", &sd, Statistic::Sum),
        Some(50.0)
    );
    assert_eq!(
        stat(&h, "PutRecords.TotalRecords", &sd, Statistic::Sum),
        Some(10.0)
    );
    assert_eq!(
        stat(&h, "PutRecords.SuccessfulRecords", &sd, Statistic::Sum),
        Some(10.0)
    );
    assert_eq!(
        stat(&h, "PutRecords.ThrottledRecords", &sd, Statistic::Sum),
        Some(0.0)
    );
    assert_eq!(stat(&h, "IncomingRecords", &sd, Statistic::Sum), Some(11.0));
    assert_eq!(
        stat(&h, "IncomingRecords", &sd, Statistic::SampleCount),
        Some(2.0)
    );
    assert_eq!(stat(&h, "IncomingBytes", &sd, Statistic::Sum), Some(56.0));
    assert_eq!(
        stat(
            &h,
            "WriteProvisionedThroughputExceeded",
            &sd,
            Statistic::Sum
        ),
        Some(0.0)
    );
    assert!(stat(&h, "PutRecords.Latency", &sd, Statistic::Maximum).unwrap() > 0.0);

    // Shard level: only IncomingRecords was enabled, and the shards' sum is the stream's.
    let mut shard_sum = 0.0;
    for shard in ["shardId-000000000000", "shardId-000000000001"] {
        let dims = [("StreamName", "m"), ("ShardId", shard)];
        shard_sum += stat(&h, "IncomingRecords", &dims, Statistic::Sum).unwrap_or(0.0);
        assert_eq!(
            stat(&h, "IncomingBytes", &dims, Statistic::Sum),
            None,
            "not enabled"
        );
    }
    assert_eq!(shard_sum, 11.0);

    let it = c
        .get_shard_iterator()
        .stream_name("m")
        .shard_id(one.shard_id())
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap();
    let r = c
        .get_records()
        .shard_iterator(it.shard_iterator().unwrap())
        .send()
        .await
        .unwrap();
    let read = r.records().len() as f64;
    assert!(read >= 1.0);
    assert_eq!(
        stat(&h, "GetRecords.Records", &sd, Statistic::Sum),
        Some(read)
    );
    assert_eq!(
        stat(&h, "GetRecords.Success", &sd, Statistic::Average),
        Some(1.0)
    );
    assert_eq!(
        stat(&h, "ReadProvisionedThroughputExceeded", &sd, Statistic::Sum),
        Some(0.0)
    );
    assert!(
        stat(
            &h,
            "GetRecords.IteratorAgeMilliseconds",
            &sd,
            Statistic::Maximum
        )
        .is_some()
    );
}
