//! Issue 19 item 5: the texts AWS writes, in its order of checks. SplitShard looks at the
//! stream before a shard id it can parse and at the shard id first when it cannot (too big,
//! not a number); ids are written back padded; a NewStartingHashKey past 2^128 - 1 is an
//! InvalidArgumentException naming the shard's range; SequenceNumberForOrdering is checked
//! as a sequence number; sequence numbers in the older layouts (versions 0 and 1) and out of
//! range get the texts kinesalite recorded from Kinesis.

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

/// A sequence number in the layout Kinesis used before the current one (version 1): 47 hex
/// digits ending in 1, the shard index in the eight digits before the last.
fn version_1(shard: u8) -> &'static str {
    match shard {
        0 => "49579260680896466359389030799875796101292502510748041217",
        _ => "49579260680896466359389030799875796101292502510748041265",
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn legacy_and_out_of_range_sequence_numbers_get_kinesis_texts() {
    let server = start().await;
    let addr = server.addr();
    let created = call(
        addr,
        "CreateStream",
        &json!({"StreamName": "legacy", "ShardCount": 1}),
    )
    .await;
    assert_eq!(created.status, 200);
    let at = |seq: &str| json!({"ShardIteratorType": "AT_SEQUENCE_NUMBER", "StartingSequenceNumber": seq});
    let invalid = |seq: &str, suffix: &str| {
        format!(
            "StartingSequenceNumber {seq} used in GetShardIterator on shard shardId-000000000000 in stream legacy under account 000000000000 is invalid{suffix}."
        )
    };
    let encodes = |shard: &str| {
        format!(
            "Invalid StartingSequenceNumber. It encodes {shard}, while it was used in a call to a shard with shardId-000000000000"
        )
    };
    // Version 0 (any number below 2^129, small ones included): the shard it encodes.
    let resp = iterator(addr, "legacy", "shardId-0", at("5")).await;
    assert_error(
        &resp,
        "InvalidArgumentException",
        &encodes("shardId-000000000005"),
        "5",
    );
    // Version 0 on its own shard: an InternalFailure with no text.
    let resp = iterator(addr, "legacy", "shardId-0", at("0")).await;
    assert_eq!(resp.status, 500);
    assert_eq!(resp.json(), json!({"__type": "InternalFailure"}));
    // Version 0 with a creation time past year 2477 (0x13bb2cc3d seconds): invalid.
    let seq = "26227199374822427428162556223570313216";
    let resp = iterator(addr, "legacy", "shardId-0", at(seq)).await;
    assert_error(
        &resp,
        "InvalidArgumentException",
        &invalid(seq, ""),
        "large date",
    );
    // Version 1: the shard it encodes, or not from this stream on its own shard.
    let resp = iterator(addr, "legacy", "shardId-0", at(version_1(3))).await;
    assert_error(
        &resp,
        "InvalidArgumentException",
        &encodes("shardId-000000000003"),
        "v1",
    );
    let resp = iterator(addr, "legacy", "shardId-0", at(version_1(0))).await;
    assert_error(
        &resp,
        "InvalidArgumentException",
        &invalid(version_1(0), " because it did not come from this stream"),
        "v1 own shard",
    );
    // Current layout with an 8 as the record index's top hex digit: invalid.
    let seq = "49039857307719593840066370180380661734935976090628259842";
    let resp = iterator(addr, "legacy", "shardId-0", at(seq)).await;
    assert_error(
        &resp,
        "InvalidArgumentException",
        &invalid(seq, ""),
        "index 8",
    );
    // Current layout with an 8 as the shard index's top hex digit: a negative shard, printed
    // signed and zero-padded.
    let seq = "49039857307708443467467104868809893875799651944235008002";
    let resp = iterator(addr, "legacy", "shardId-0", at(seq)).await;
    assert_error(
        &resp,
        "InvalidArgumentException",
        &encodes("shardId--02147483648"),
        "shard 8",
    );
}
