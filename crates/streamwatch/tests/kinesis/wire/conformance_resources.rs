//! Issue 19's consumer tags and issue 20 item 4, through aws-sdk-kinesis, raw JSON and
//! boto3: TagResource / UntagResource / ListTagsForResource on consumer ARNs and
//! RegisterStreamConsumer's Tags; Put/Get/DeleteResourcePolicy on streams and consumers
//! (`{}` when none is attached, as AWS answers); UpdateStreamMode; the record limit counting
//! the partition key.

use aws_sdk_kinesis::types::{StreamMode, StreamModeDetails};
use base64::Engine as _;
use serde_json::json;

use super::*;
use crate::harness::{code, message};

fn mode(m: StreamMode) -> StreamModeDetails {
    StreamModeDetails::builder()
        .stream_mode(m)
        .build()
        .expect("mode details")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_consumer_is_tagged_by_its_arn_apart_from_its_stream() {
    let h = crate::harness::start().await;
    let k = &h.kinesis;
    crate::harness::create(k, "tagged", 1).await;
    let stream_arn = "arn:aws:kinesis:us-east-1:000000000000:stream/tagged";
    k.add_tags_to_stream()
        .stream_name("tagged")
        .tags("team", "streams")
        .send()
        .await
        .expect("stream tags");
    let consumer = k
        .register_stream_consumer()
        .stream_arn(stream_arn)
        .consumer_name("reader")
        .tags("owner", "me")
        .send()
        .await
        .expect("register")
        .consumer
        .expect("a consumer");
    let arn = consumer.consumer_arn();
    let list = |arn: String| async move {
        let mut tags: Vec<(String, String)> = k
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .expect("list tags")
            .tags
            .unwrap_or_default()
            .into_iter()
            .map(|t| (t.key, t.value.unwrap_or_default()))
            .collect();
        tags.sort();
        tags
    };
    assert_eq!(list(arn.to_owned()).await, [("owner".into(), "me".into())]);
    k.tag_resource()
        .resource_arn(arn)
        .tags("env", "dev")
        .tags("owner", "you")
        .send()
        .await
        .expect("tag");
    k.untag_resource()
        .resource_arn(arn)
        .tag_keys("env")
        .send()
        .await
        .expect("untag");
    assert_eq!(list(arn.to_owned()).await, [("owner".into(), "you".into())]);
    assert_eq!(
        list(stream_arn.to_owned()).await,
        [("team".into(), "streams".into())]
    );
    let reserved = k
        .tag_resource()
        .resource_arn(arn)
        .tags("aws:x", "1")
        .send()
        .await
        .expect_err("a reserved key");
    assert_eq!(code(&reserved), "InvalidArgumentException");
    assert_eq!(
        message(&reserved),
        "Failed to add tags to consumer reader under account 000000000000 because some tag keys start with the reserved prefix 'aws:'."
    );
    let missing = k
        .list_tags_for_resource()
        .resource_arn(format!("{stream_arn}/consumer/nobody:1"))
        .send()
        .await
        .expect_err("no such consumer");
    assert_eq!(code(&missing), "ResourceNotFoundException");
}

#[tokio::test(flavor = "multi_thread")]
async fn resource_policies_are_kept_per_stream_and_consumer() {
    let h = crate::harness::start().await;
    let k = &h.kinesis;
    crate::harness::create(k, "guarded", 1).await;
    let stream_arn = "arn:aws:kinesis:us-east-1:000000000000:stream/guarded";
    let consumer_arn = k
        .register_stream_consumer()
        .stream_arn(stream_arn)
        .consumer_name("reader")
        .send()
        .await
        .expect("register")
        .consumer
        .expect("a consumer")
        .consumer_arn;
    let policy = |arn: &str| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "kinesis:GetRecords", "Resource": arn}]})
        .to_string()
    };
    let get = |arn: String| async move {
        k.get_resource_policy()
            .resource_arn(arn)
            .send()
            .await
            .expect("get policy")
            .policy
    };
    assert_eq!(get(stream_arn.to_owned()).await, "{}");
    k.put_resource_policy()
        .resource_arn(stream_arn)
        .policy(policy(stream_arn))
        .send()
        .await
        .expect("put stream policy");
    k.put_resource_policy()
        .resource_arn(&consumer_arn)
        .policy(policy(&consumer_arn))
        .send()
        .await
        .expect("put consumer policy");
    assert_eq!(get(stream_arn.to_owned()).await, policy(stream_arn));
    assert_eq!(get(consumer_arn.clone()).await, policy(&consumer_arn));
    k.delete_resource_policy()
        .resource_arn(stream_arn)
        .send()
        .await
        .expect("delete");
    assert_eq!(get(stream_arn.to_owned()).await, "{}");
    assert_eq!(get(consumer_arn.clone()).await, policy(&consumer_arn));
    let twice = k
        .delete_resource_policy()
        .resource_arn(stream_arn)
        .send()
        .await
        .expect_err("nothing to delete");
    assert_eq!(code(&twice), "ResourceNotFoundException");
    let nowhere = k
        .put_resource_policy()
        .resource_arn("arn:aws:kinesis:us-east-1:000000000000:stream/absent")
        .policy(policy(stream_arn))
        .send()
        .await
        .expect_err("no such stream");
    assert_eq!(code(&nowhere), "ResourceNotFoundException");
    let malformed = k
        .put_resource_policy()
        .resource_arn(stream_arn)
        .policy("not a policy")
        .send()
        .await
        .expect_err("not JSON");
    assert_eq!(code(&malformed), "InvalidArgumentException");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_switches_capacity_mode_keeping_its_shards() {
    let h = crate::harness::start().await;
    let k = &h.kinesis;
    crate::harness::create(k, "switching", 3).await;
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/switching";
    k.update_stream_mode()
        .stream_arn(arn)
        .stream_mode_details(mode(StreamMode::OnDemand))
        .send()
        .await
        .expect("to on-demand");
    let summary = k
        .describe_stream_summary()
        .stream_name("switching")
        .send()
        .await
        .expect("summary")
        .stream_description_summary
        .expect("a summary");
    assert_eq!(
        summary.stream_mode_details.map(|d| d.stream_mode),
        Some(StreamMode::OnDemand)
    );
    assert_eq!(summary.open_shard_count, 3);
    let scaled = k
        .update_shard_count()
        .stream_name("switching")
        .target_shard_count(4)
        .scaling_type(aws_sdk_kinesis::types::ScalingType::UniformScaling)
        .send()
        .await
        .expect_err("on-demand streams are not scaled by hand");
    assert_eq!(code(&scaled), "ValidationException");
    k.update_stream_mode()
        .stream_arn(arn)
        .stream_mode_details(mode(StreamMode::Provisioned))
        .send()
        .await
        .expect("back to provisioned");
    let third = k
        .update_stream_mode()
        .stream_arn(arn)
        .stream_mode_details(mode(StreamMode::OnDemand))
        .send()
        .await
        .expect_err("twice a day");
    assert_eq!(code(&third), "LimitExceededException");
    let absent = k
        .update_stream_mode()
        .stream_arn("arn:aws:kinesis:us-east-1:000000000000:stream/absent")
        .stream_mode_details(mode(StreamMode::OnDemand))
        .send()
        .await
        .expect_err("no such stream");
    assert_eq!(code(&absent), "ResourceNotFoundException");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_record_limit_counts_the_partition_key() {
    let server = start().await;
    let addr = server.addr();
    let created = call(
        addr,
        "CreateStream",
        &json!({"StreamName": "big", "ShardCount": 1}),
    )
    .await;
    assert_eq!(created.status, 200);
    let b64 = |n: usize| base64::engine::general_purpose::STANDARD.encode(vec![7u8; n]);
    let full = b64(1024 * 1024);
    let over = call(
        addr,
        "PutRecord",
        &json!({"StreamName": "big", "PartitionKey": "k", "Data": full}),
    )
    .await;
    assert_error(
        &over,
        400,
        "InvalidArgumentException",
        Some(
            "Record size 1048577 bytes (data plus partition key) exceeds the maximum record size of 1048576 bytes.",
        ),
    );
    let fits = call(
        addr,
        "PutRecord",
        &json!({"StreamName": "big", "PartitionKey": "k", "Data": b64(1024 * 1024 - 1)}),
    )
    .await;
    assert_eq!(fits.status, 200);
    let batch = call(
        addr,
        "PutRecords",
        &json!({"StreamName": "big", "Records": [
            {"PartitionKey": "a", "Data": b64(10)},
            {"PartitionKey": "kk", "Data": full},
        ]}),
    )
    .await;
    assert_eq!(batch.status, 400);
    assert_eq!(batch.json()["__type"], "InvalidArgumentException");
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_sees_policies_modes_and_consumer_tags() {
    let server = start().await;
    let endpoint = server.endpoint();
    let script = r#"
import sys, json, boto3, botocore
c = boto3.client("kinesis", endpoint_url=sys.argv[1], region_name="us-east-1",
                 aws_access_key_id="test", aws_secret_access_key="test")
c.create_stream(StreamName="boto-res", ShardCount=2)
arn = c.describe_stream_summary(StreamName="boto-res")["StreamDescriptionSummary"]["StreamARN"]
print(c.get_resource_policy(ResourceARN=arn)["Policy"])
c.put_resource_policy(ResourceARN=arn, Policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
print(json.loads(c.get_resource_policy(ResourceARN=arn)["Policy"])["Version"])
cons = c.register_stream_consumer(StreamARN=arn, ConsumerName="r", Tags={"a": "1"})["Consumer"]["ConsumerARN"]
print(c.list_tags_for_resource(ResourceARN=cons)["Tags"])
c.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"})
s = c.describe_stream_summary(StreamName="boto-res")["StreamDescriptionSummary"]
print(s["StreamModeDetails"]["StreamMode"], s["OpenShardCount"])
try:
    c.delete_resource_policy(ResourceARN=cons)
except botocore.exceptions.ClientError as e:
    print(e.response["Error"]["Code"])
"#;
    let stdout = python_lines(script, &endpoint).await;
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "{}",
            "2012-10-17",
            "[{'Key': 'a', 'Value': '1'}]",
            "ON_DEMAND 2",
            "ResourceNotFoundException",
        ]
    );
}
