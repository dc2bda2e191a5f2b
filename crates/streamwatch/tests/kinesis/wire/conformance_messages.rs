//! Issue 19 item 5: the texts AWS writes, in its order of checks. SplitShard looks at the
//! stream before a shard id it can parse and at the shard id first when it cannot (too big,
//! not a number); ids are written back padded; a NewStartingHashKey past 2^128 - 1 is an
//! InvalidArgumentException naming the shard's range; SequenceNumberForOrdering is checked
//! as a sequence number.

use serde_json::json;

use super::*;

/// Asserts a 400 with this `__type` and message.
fn assert_error(resp: &client::Resp, kind: &str, message: &str, what: &str) {
    assert_eq!(
        resp.status,
        400,
        "{what}: {}",
        String::from_utf8_lossy(&resp.body)
    );
    let doc = resp.json();
    assert_eq!(doc["__type"], kind, "{what}: {doc}");
    assert_eq!(doc["message"], message, "{what}: {doc}");
}

async fn split(addr: SocketAddr, stream: &str, shard: &str, key: &str) -> client::Resp {
    call(
        addr,
        "SplitShard",
        &json!({"StreamName": stream, "ShardToSplit": shard, "NewStartingHashKey": key}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn split_shard_checks_in_aws_order_with_its_texts() {
    let server = start().await;
    let addr = server.addr();
    let acct = "000000000000";
    // An id that parses (whatever its prefix) is looked up after the stream.
    for shard in [
        "2147483647",
        "x-2147483647",
        "a-00002147483647",
        "-00002147483647",
    ] {
        let resp = split(addr, "nope", shard, "0").await;
        assert_error(
            &resp,
            "ResourceNotFoundException",
            &format!("Stream nope under account {acct} not found."),
            shard,
        );
    }
    // One that does not is reported first, as given.
    for shard in ["2147483648", "shardId-002147483648", "ABKLFD8", "2.14E4"] {
        let resp = split(addr, "nope", shard, "0").await;
        assert_error(
            &resp,
            "ResourceNotFoundException",
            &format!("Could not find shard {shard} in stream nope under account {acct}."),
            shard,
        );
    }

    let created = call(
        addr,
        "CreateStream",
        &json!({"StreamName": "msgs", "ShardCount": 3}),
    )
    .await;
    assert_eq!(created.status, 200);
    let resp = split(addr, "msgs", "shardId-5", "0").await;
    assert_error(
        &resp,
        "ResourceNotFoundException",
        &format!("Could not find shard shardId-000000000005 in stream msgs under account {acct}."),
        "shardId-5",
    );
    let range = |key: &str, shard: &str, start: &str, end: &str| {
        format!(
            "NewStartingHashKey {key} used in SplitShard() on shard {shard} in stream msgs under account {acct} is not both greater than one plus the shard's StartingHashKey {start} and less than the shard's EndingHashKey {end}."
        )
    };
    let resp = split(addr, "msgs", "shard-0", "1").await;
    assert_error(
        &resp,
        "InvalidArgumentException",
        &range(
            "1",
            "shardId-000000000000",
            "0",
            "113427455640312821154458202477256070484",
        ),
        "too small",
    );
    for key in [
        "340282366920938463463374607431768211456",
        "999999999999999999999999999999999999999",
    ] {
        let resp = split(addr, "msgs", "shard-2", key).await;
        assert_error(
            &resp,
            "InvalidArgumentException",
            &range(
                key,
                "shardId-000000000002",
                "226854911280625642308916404954512140970",
                "340282366920938463463374607431768211455",
            ),
            key,
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sequence_number_for_ordering_is_checked() {
    let server = start().await;
    let addr = server.addr();
    let created = call(
        addr,
        "CreateStream",
        &json!({"StreamName": "order", "ShardCount": 1}),
    )
    .await;
    assert_eq!(created.status, 200);
    for bad in [
        "0",
        "1234",
        "99999999999999999999999999999999999999999999999999999999",
    ] {
        let resp = call(
            addr,
            "PutRecord",
            &json!({"StreamName": "order", "PartitionKey": "k", "Data": "", "SequenceNumberForOrdering": bad}),
        )
        .await;
        assert_error(
            &resp,
            "InvalidArgumentException",
            &format!(
                "ExclusiveMinimumSequenceNumber {bad} used in PutRecord on stream order under account 000000000000 is invalid."
            ),
            bad,
        );
    }
    let first = call(
        addr,
        "PutRecord",
        &json!({"StreamName": "order", "PartitionKey": "k", "Data": ""}),
    )
    .await
    .json();
    let seq = first["SequenceNumber"].as_str().expect("a sequence number");
    let next = call(
        addr,
        "PutRecord",
        &json!({"StreamName": "order", "PartitionKey": "k", "Data": "", "SequenceNumberForOrdering": seq}),
    )
    .await;
    assert_eq!(next.status, 200, "{}", String::from_utf8_lossy(&next.body));
    assert!(next.json()["SequenceNumber"].as_str().expect("seq") > seq);
}

async fn iterator(addr: SocketAddr, stream: &str, shard: &str, extra: J) -> client::Resp {
    let mut body = json!({"StreamName": stream, "ShardId": shard, "ShardIteratorType": "LATEST"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    call(addr, "GetShardIterator", &body).await
}

#[tokio::test(flavor = "multi_thread")]
async fn get_shard_iterator_names_the_shard_first() {
    let server = start().await;
    let addr = server.addr();
    let acct = "000000000000";
    // With no such stream, a readable shard id is what is reported missing, padded.
    for shard in [
        "2147483647",
        "x-2147483647",
        "a-00002147483647",
        "-00002147483647",
    ] {
        let resp = iterator(addr, "nope", shard, json!({})).await;
        assert_error(
            &resp,
            "ResourceNotFoundException",
            &format!(
                "Shard shardId-002147483647 in stream nope under account {acct} does not exist"
            ),
            shard,
        );
    }
    for shard in ["2147483648", "shardId-002147483648", "ABKLFD8", "2.14E4"] {
        let resp = iterator(addr, "nope", shard, json!({})).await;
        assert_error(
            &resp,
            "ResourceNotFoundException",
            &format!("Could not find shard {shard} in stream nope under account {acct}."),
            shard,
        );
    }
    let created = call(
        addr,
        "CreateStream",
        &json!({"StreamName": "its", "ShardCount": 1}),
    )
    .await;
    assert_eq!(created.status, 200);
    let resp = iterator(
        addr,
        "its",
        "shardId-5",
        json!({"ShardIteratorType": "AT_SEQUENCE_NUMBER", "StartingSequenceNumber": "5"}),
    )
    .await;
    assert_error(
        &resp,
        "ResourceNotFoundException",
        &format!("Shard shardId-000000000005 in stream its under account {acct} does not exist"),
        "shardId-5",
    );
    let must = "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber.";
    let resp = iterator(
        addr,
        "its",
        "shardId-0",
        json!({"ShardIteratorType": "AT_SEQUENCE_NUMBER"}),
    )
    .await;
    assert_error(
        &resp,
        "InvalidArgumentException",
        &format!("{must} Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber."),
        "AT without a number",
    );
    let resp = iterator(
        addr,
        "its",
        "shardId-0",
        json!({"ShardIteratorType": "TRIM_HORIZON", "StartingSequenceNumber": "5"}),
    )
    .await;
    assert_error(
        &resp,
        "InvalidArgumentException",
        &format!("{must} Request specified TRIM_HORIZON and also a StartingSequenceNumber."),
        "TRIM_HORIZON with a number",
    );
}
