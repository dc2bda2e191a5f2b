//! Control-plane actions through the SDK.

use aws_sdk_kinesis::types::{
    MetricsName, ScalingType, StreamMode, StreamModeDetails, StreamStatus,
};

use crate::harness::{code, create, message, start, start_with, test_config};

#[tokio::test(flavor = "multi_thread")]
async fn create_describe_list_delete() {
    let h = start().await;
    let c = &h.kinesis;
    create(c, "orders", 3).await;
    let d = c
        .describe_stream()
        .stream_name("orders")
        .send()
        .await
        .unwrap();
    let desc = d.stream_description().unwrap();
    assert_eq!(desc.stream_name(), "orders");
    assert_eq!(
        desc.stream_arn(),
        "arn:aws:kinesis:us-east-1:000000000000:stream/orders"
    );
    assert_eq!(desc.stream_status(), &StreamStatus::Active);
    assert_eq!(desc.retention_period_hours(), 24);
    assert_eq!(desc.shards().len(), 3);
    assert!(!desc.has_more_shards());
    assert_eq!(
        desc.shards()[0].hash_key_range().unwrap().ending_hash_key(),
        "113427455640312821154458202477256070484"
    );
    assert_eq!(
        desc.shards()[2].hash_key_range().unwrap().ending_hash_key(),
        u128::MAX.to_string()
    );
    assert_eq!(
        desc.stream_mode_details().unwrap().stream_mode(),
        &StreamMode::Provisioned
    );

    let summary = c
        .describe_stream_summary()
        .stream_name("orders")
        .send()
        .await
        .unwrap();
    let s = summary.stream_description_summary().unwrap();
    assert_eq!(s.open_shard_count(), 3);
    assert_eq!(s.consumer_count(), Some(0));

    let err = c
        .create_stream()
        .stream_name("orders")
        .shard_count(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceInUseException");
    assert_eq!(
        message(&err),
        "Stream orders under account 000000000000 already exists."
    );

    c.delete_stream()
        .stream_name("orders")
        .send()
        .await
        .unwrap();
    let err = c
        .describe_stream()
        .stream_name("orders")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    assert_eq!(
        message(&err),
        "Stream orders under account 000000000000 not found."
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stream_arn_works_wherever_stream_name_does() {
    let h = start().await;
    let c = &h.kinesis;
    create(c, "by-arn", 1).await;
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/by-arn";
    let s = c
        .describe_stream_summary()
        .stream_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        s.stream_description_summary().unwrap().stream_name(),
        "by-arn"
    );
    let put = c
        .put_record()
        .stream_arn(arn)
        .partition_key("k")
        .data(aws_sdk_kinesis::primitives::Blob::new("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(put.shard_id(), "shardId-000000000000");
    let shards = c.list_shards().stream_arn(arn).send().await.unwrap();
    assert_eq!(shards.shards().len(), 1);
    c.add_tags_to_stream()
        .stream_arn(arn)
        .tags("env", "test")
        .send()
        .await
        .unwrap();
    let tags = c
        .list_tags_for_stream()
        .stream_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags()[0].key(), "env");
    let other_account = "arn:aws:kinesis:us-east-1:111111111111:stream/by-arn";
    let err = c
        .describe_stream_summary()
        .stream_arn(other_account)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    c.delete_stream().stream_arn(arn).send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn list_streams_pages_with_next_token() {
    let h = start().await;
    let c = &h.kinesis;
    for i in 0..7 {
        create(c, &format!("s{i}"), 1).await;
    }
    let first = c.list_streams().limit(3).send().await.unwrap();
    assert_eq!(first.stream_names(), ["s0", "s1", "s2"]);
    assert!(first.has_more_streams());
    assert_eq!(first.stream_summaries().len(), 3);
    assert_eq!(
        first.stream_summaries()[0].stream_arn(),
        "arn:aws:kinesis:us-east-1:000000000000:stream/s0"
    );
    let token = first.next_token().unwrap().to_owned();
    let second = c
        .list_streams()
        .limit(3)
        .next_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(second.stream_names(), ["s3", "s4", "s5"]);
    let by_name = c
        .list_streams()
        .exclusive_start_stream_name("s5")
        .send()
        .await
        .unwrap();
    assert_eq!(by_name.stream_names(), ["s6"]);
    assert!(!by_name.has_more_streams());
    // The SDK paginator walks every page.
    let pages = c
        .list_streams()
        .limit(2)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let all: Vec<&str> = pages
        .iter()
        .flat_map(|p| p.stream_names())
        .map(String::as_str)
        .collect();
    assert_eq!(all, ["s0", "s1", "s2", "s3", "s4", "s5", "s6"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_tags_encryption_monitoring() {
    let h = start().await;
    let c = &h.kinesis;
    create(c, "cfg", 1).await;

    c.increase_stream_retention_period()
        .stream_name("cfg")
        .retention_period_hours(48)
        .send()
        .await
        .unwrap();
    let err = c
        .increase_stream_retention_period()
        .stream_name("cfg")
        .retention_period_hours(30)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
    assert_eq!(
        message(&err),
        "Requested retention period (30 hours) for stream cfg can not be shorter than existing retention period (48 hours). Use DecreaseRetentionPeriod API."
    );
    let err = c
        .increase_stream_retention_period()
        .stream_name("cfg")
        .retention_period_hours(9000)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "Maximum allowed retention period is 8760 hours. Requested retention period (9000 hours) is too long."
    );
    let err = c
        .decrease_stream_retention_period()
        .stream_name("cfg")
        .retention_period_hours(12)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        message(&err),
        "Minimum allowed retention period is 24 hours. Requested retention period (12 hours) is too short."
    );
    c.decrease_stream_retention_period()
        .stream_name("cfg")
        .retention_period_hours(24)
        .send()
        .await
        .unwrap();

    c.add_tags_to_stream()
        .stream_name("cfg")
        .tags("b", "2")
        .tags("a", "1")
        .tags("c", "3")
        .send()
        .await
        .unwrap();
    let page = c
        .list_tags_for_stream()
        .stream_name("cfg")
        .limit(2)
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = page.tags().iter().map(|t| t.key()).collect();
    assert_eq!(keys, ["a", "b"]);
    assert!(page.has_more_tags());
    let rest = c
        .list_tags_for_stream()
        .stream_name("cfg")
        .exclusive_start_tag_key("b")
        .send()
        .await
        .unwrap();
    assert_eq!(rest.tags().len(), 1);
    assert!(!rest.has_more_tags());
    c.remove_tags_from_stream()
        .stream_name("cfg")
        .tag_keys("a")
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.list_tags_for_stream()
            .stream_name("cfg")
            .send()
            .await
            .unwrap()
            .tags()
            .len(),
        2
    );

    c.start_stream_encryption()
        .stream_name("cfg")
        .encryption_type(aws_sdk_kinesis::types::EncryptionType::Kms)
        .key_id("alias/aws/kinesis")
        .send()
        .await
        .unwrap();
    let s = c
        .describe_stream_summary()
        .stream_name("cfg")
        .send()
        .await
        .unwrap();
    let s = s.stream_description_summary().unwrap();
    assert_eq!(
        s.encryption_type(),
        Some(&aws_sdk_kinesis::types::EncryptionType::Kms)
    );
    assert_eq!(s.key_id(), Some("alias/aws/kinesis"));
    let put = c
        .put_record()
        .stream_name("cfg")
        .partition_key("k")
        .data(aws_sdk_kinesis::primitives::Blob::new("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.encryption_type(),
        Some(&aws_sdk_kinesis::types::EncryptionType::Kms)
    );
    c.stop_stream_encryption()
        .stream_name("cfg")
        .encryption_type(aws_sdk_kinesis::types::EncryptionType::Kms)
        .key_id("alias/aws/kinesis")
        .send()
        .await
        .unwrap();

    let on = c
        .enable_enhanced_monitoring()
        .stream_name("cfg")
        .shard_level_metrics(MetricsName::IncomingBytes)
        .shard_level_metrics(MetricsName::IteratorAgeMilliseconds)
        .send()
        .await
        .unwrap();
    assert!(on.current_shard_level_metrics().is_empty());
    assert_eq!(on.desired_shard_level_metrics().len(), 2);
    let all = c
        .enable_enhanced_monitoring()
        .stream_name("cfg")
        .shard_level_metrics(MetricsName::All)
        .send()
        .await
        .unwrap();
    assert_eq!(all.desired_shard_level_metrics().len(), 7);
    let off = c
        .disable_enhanced_monitoring()
        .stream_name("cfg")
        .shard_level_metrics(MetricsName::IncomingBytes)
        .send()
        .await
        .unwrap();
    assert_eq!(off.desired_shard_level_metrics().len(), 6);
    let d = c.describe_stream().stream_name("cfg").send().await.unwrap();
    assert_eq!(
        d.stream_description().unwrap().enhanced_monitoring()[0]
            .shard_level_metrics()
            .len(),
        6
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn consumers_register_list_describe_deregister() {
    let h = start().await;
    let c = &h.kinesis;
    create(c, "fanout", 1).await;
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/fanout";
    let reg = c
        .register_stream_consumer()
        .stream_arn(arn)
        .consumer_name("app-1")
        .send()
        .await
        .unwrap();
    let consumer = reg.consumer().unwrap();
    assert_eq!(consumer.consumer_name(), "app-1");
    assert!(
        consumer
            .consumer_arn()
            .starts_with(&format!("{arn}/consumer/app-1:"))
    );
    c.register_stream_consumer()
        .stream_arn(arn)
        .consumer_name("app-2")
        .send()
        .await
        .unwrap();
    let err = c
        .register_stream_consumer()
        .stream_arn(arn)
        .consumer_name("app-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceInUseException");

    let list = c
        .list_stream_consumers()
        .stream_arn(arn)
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(list.consumers().len(), 1);
    let rest = c
        .list_stream_consumers()
        .stream_arn(arn)
        .next_token(list.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.consumers()[0].consumer_name(), "app-2");

    let by_arn = c
        .describe_stream_consumer()
        .consumer_arn(consumer.consumer_arn())
        .send()
        .await
        .unwrap();
    let desc = by_arn.consumer_description().unwrap();
    assert_eq!(desc.stream_arn(), arn);
    assert_eq!(
        desc.consumer_status(),
        &aws_sdk_kinesis::types::ConsumerStatus::Active
    );
    let by_name = c
        .describe_stream_consumer()
        .stream_arn(arn)
        .consumer_name("app-2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_name.consumer_description().unwrap().consumer_name(),
        "app-2"
    );

    let summary = c
        .describe_stream_summary()
        .stream_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        summary
            .stream_description_summary()
            .unwrap()
            .consumer_count(),
        Some(2)
    );

    c.deregister_stream_consumer()
        .consumer_arn(consumer.consumer_arn())
        .send()
        .await
        .unwrap();
    c.deregister_stream_consumer()
        .stream_arn(arn)
        .consumer_name("app-2")
        .send()
        .await
        .unwrap();
    let err = c
        .describe_stream_consumer()
        .stream_arn(arn)
        .consumer_name("app-2")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
}

#[tokio::test(flavor = "multi_thread")]
async fn describe_limits_and_quotas() {
    let h = start_with(kinesis_engine::EngineConfig {
        shard_quota: 10,
        ..test_config()
    })
    .await;
    let c = &h.kinesis;
    create(c, "a", 6).await;
    c.create_stream()
        .stream_name("od")
        .stream_mode_details(
            StreamModeDetails::builder()
                .stream_mode(StreamMode::OnDemand)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let l = c.describe_limits().send().await.unwrap();
    assert_eq!(l.shard_limit(), 10);
    assert_eq!(l.open_shard_count(), 10);
    assert_eq!(l.on_demand_stream_count(), 1);
    assert_eq!(l.on_demand_stream_count_limit(), 50);
    let od = c
        .describe_stream_summary()
        .stream_name("od")
        .send()
        .await
        .unwrap();
    let od = od.stream_description_summary().unwrap();
    assert_eq!(od.open_shard_count(), 4);
    assert_eq!(
        od.stream_mode_details().unwrap().stream_mode(),
        &StreamMode::OnDemand
    );
    let err = c
        .create_stream()
        .stream_name("b")
        .shard_count(5)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "LimitExceededException");
    assert!(message(&err).starts_with(
        "This request would exceed the shard limit for the account 000000000000 in us-east-1."
    ));
    let err = c
        .update_shard_count()
        .stream_name("od")
        .target_shard_count(5)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
}

#[tokio::test(flavor = "multi_thread")]
async fn creating_becomes_active_after_the_delay() {
    let h = start_with(kinesis_engine::EngineConfig {
        transition_delay: std::time::Duration::from_millis(300),
        ..test_config()
    })
    .await;
    let c = &h.kinesis;
    create(c, "slow", 1).await;
    let d = c
        .describe_stream_summary()
        .stream_name("slow")
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.stream_description_summary().unwrap().stream_status(),
        &StreamStatus::Creating
    );
    let err = c
        .put_record()
        .stream_name("slow")
        .partition_key("k")
        .data(aws_sdk_kinesis::primitives::Blob::new("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    let d = c
        .describe_stream_summary()
        .stream_name("slow")
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.stream_description_summary().unwrap().stream_status(),
        &StreamStatus::Active
    );
    c.delete_stream().stream_name("slow").send().await.unwrap();
    let d = c
        .describe_stream_summary()
        .stream_name("slow")
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.stream_description_summary().unwrap().stream_status(),
        &StreamStatus::Deleting
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn validation_errors_reach_the_sdk() {
    let h = start().await;
    let c = &h.kinesis;
    let err = c
        .create_stream()
        .stream_name("bad name!")
        .shard_count(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        message(&err),
        "1 validation error detected: Value 'bad name!' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    );
    let err = c
        .create_stream()
        .stream_name("ok")
        .shard_count(0)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    let err = c.describe_stream().send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
    let err = c.list_shards().send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
}
