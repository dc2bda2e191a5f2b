//! Issue 19 item 2: which pairs MergeShards takes, in JSON 1.1 and through boto3. AWS merges
//! only when AdjacentShardToMerge starts right after ShardToMerge ends; the same pair the
//! other way round, or shards with a gap between them, are refused with
//! InvalidArgumentException, and a shard that does not exist with ResourceNotFoundException
//! naming its padded id.

use serde_json::json;

use super::*;

fn not_adjacent(a: &str, b: &str, stream: &str) -> String {
    format!(
        "Shards {a} and {b} in stream {stream} under account 000000000000 are not an adjacent pair of shards eligible for merging"
    )
}

async fn merge(addr: SocketAddr, stream: &str, a: &str, b: &str) -> client::Resp {
    call(
        addr,
        "MergeShards",
        &json!({"StreamName": stream, "ShardToMerge": a, "AdjacentShardToMerge": b}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn merge_pairs_in_json() {
    let server = start().await;
    let addr = server.addr();
    let created = call(
        addr,
        "CreateStream",
        &json!({"StreamName": "merge", "ShardCount": 3}),
    )
    .await;
    assert_eq!(created.status, 200);

    for (a, b) in [
        ("shardId-000000000001", "shardId-000000000000"),
        ("shardId-000000000000", "shardId-000000000002"),
    ] {
        let resp = merge(addr, "merge", a, b).await;
        assert_eq!(resp.status, 400, "{a} {b}");
        let doc = resp.json();
        assert_eq!(doc["__type"], "InvalidArgumentException");
        assert_eq!(doc["message"], not_adjacent(a, b, "merge"));
    }
    let missing = merge(addr, "merge", "shardId-000000000000", "shardId-5").await;
    assert_eq!(missing.status, 400);
    let doc = missing.json();
    assert_eq!(doc["__type"], "ResourceNotFoundException");
    assert_eq!(
        doc["message"],
        "Could not find shard shardId-000000000005 in stream merge under account 000000000000."
    );

    let ok = merge(
        addr,
        "merge",
        "shardId-000000000000",
        "shardId-000000000001",
    )
    .await;
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_sees_the_merge_order() {
    let server = start().await;
    let endpoint = server.endpoint();
    let script = r#"
import sys, time, boto3, botocore
c = boto3.client("kinesis", endpoint_url=sys.argv[1], region_name="us-east-1",
                 aws_access_key_id="test", aws_secret_access_key="test")
c.create_stream(StreamName="boto-merge", ShardCount=2)
c.get_waiter("stream_exists").wait(StreamName="boto-merge", WaiterConfig={"Delay": 0.1})
try:
    c.merge_shards(StreamName="boto-merge", ShardToMerge="shardId-000000000001",
                   AdjacentShardToMerge="shardId-000000000000")
    print("accepted")
except botocore.exceptions.ClientError as e:
    print(e.response["Error"]["Code"] + "|" + e.response["Error"]["Message"])
c.merge_shards(StreamName="boto-merge", ShardToMerge="shardId-000000000000",
               AdjacentShardToMerge="shardId-000000000001")
print("merged")
"#;
    let stdout = python_lines(script, &endpoint).await;
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            format!(
                "InvalidArgumentException|{}",
                not_adjacent("shardId-000000000001", "shardId-000000000000", "boto-merge")
            ),
            "merged".to_string(),
        ]
    );
}
