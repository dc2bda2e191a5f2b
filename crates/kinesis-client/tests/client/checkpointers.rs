//! One conformance suite for every `Checkpointer`: in memory, against a real redis-server and
//! against moto's DynamoDB. The servers are started by `scripts/test.sh`, which exports
//! `STREAMWATCH_TEST_REDIS_URL` and `STREAMWATCH_TEST_DYNAMODB_ENDPOINT`; without them the
//! Redis and DynamoDB tests fail, they do not skip.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, KeyType, ScalarAttributeType, TimeToLiveStatus,
};
use kinesis_client::checkpoint::{
    Checkpoint, Checkpointer, DynamoDbCheckpointer, Lease, MemoryCheckpointer, RedisCheckpointer,
};

const REDIS_ENV: &str = "STREAMWATCH_TEST_REDIS_URL";
const DYNAMODB_ENV: &str = "STREAMWATCH_TEST_DYNAMODB_ENDPOINT";

const SHARD_A: &str = "shardId-000000000000";
const SHARD_B: &str = "shardId-000000000001";
const SHARD_C: &str = "shardId-000000000002";

/// The attributes KCL's lease table uses, and the only ones we may write.
const KCL_ATTRIBUTES: [&str; 6] = [
    "leaseKey",
    "leaseOwner",
    "leaseCounter",
    "checkpoint",
    "checkpointSubSequenceNumber",
    "parentShardIds",
];

fn env_or_fail(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{name} is not set. These tests need a real redis-server and moto_server: run them \
             through scripts/test.sh (e.g. `scripts/test.sh -p kinesis-client --test \
             checkpointers`), which starts both and exports {REDIS_ENV} and {DYNAMODB_ENV}"
        ),
    }
}

/// A name no earlier run or other test used.
fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

async fn redis_checkpointer() -> RedisCheckpointer {
    let url = env_or_fail(REDIS_ENV);
    RedisCheckpointer::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("connecting to {REDIS_ENV}={url}: {e}"))
}

fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    let endpoint = env_or_fail(DYNAMODB_ENV);
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .endpoint_url(endpoint)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// A checkpointer on a fresh table of its own, serving `stream`.
async fn dynamodb_checkpointer(stream: &str) -> DynamoDbCheckpointer {
    let cp = DynamoDbCheckpointer::new(dynamodb_client(), unique("app"), stream);
    cp.create_table_if_missing().await.unwrap();
    cp
}

fn lease(shard_id: &str) -> Lease {
    Lease {
        shard_id: shard_id.to_string(),
        owner: None,
        counter: 0,
        checkpoint: Checkpoint::TrimHorizon,
        parent_shard_ids: Vec::new(),
    }
}

async fn get(cp: &dyn Checkpointer, stream: &str, shard_id: &str) -> Lease {
    let leases = cp.list_leases(stream).await.unwrap();
    leases
        .into_iter()
        .find(|l| l.shard_id == shard_id)
        .unwrap_or_else(|| panic!("{shard_id} is not listed"))
}

/// The behaviour every checkpointer must have.
async fn conformance(cp: &dyn Checkpointer, stream: &str) {
    assert_eq!(
        cp.list_leases(stream).await.unwrap(),
        Vec::new(),
        "a new stream has no leases"
    );

    // Creation is idempotent and never overwrites.
    let a = lease(SHARD_A);
    assert!(cp.create_lease(stream, &a).await.unwrap());
    let intruder = Lease {
        owner: Some("intruder".into()),
        counter: 7,
        ..lease(SHARD_A)
    };
    assert!(
        !cp.create_lease(stream, &intruder).await.unwrap(),
        "second create must say false"
    );
    assert_eq!(cp.list_leases(stream).await.unwrap(), vec![a.clone()]);

    // parentShardIds, an owner and a non-zero counter round-trip.
    let c = Lease {
        shard_id: SHARD_C.to_string(),
        owner: Some("worker-0".into()),
        counter: 5,
        checkpoint: Checkpoint::Latest,
        parent_shard_ids: vec![SHARD_A.to_string(), SHARD_B.to_string()],
    };
    assert!(cp.create_lease(stream, &c).await.unwrap());
    assert_eq!(get(cp, stream, SHARD_C).await, c);

    // Take: a stale counter or a missing lease is None; the right counter wins and bumps.
    assert_eq!(cp.take_lease(stream, SHARD_A, 1, "w1").await.unwrap(), None);
    assert_eq!(
        cp.take_lease(stream, "shardId-999", 0, "w1").await.unwrap(),
        None
    );
    let taken = cp
        .take_lease(stream, SHARD_A, 0, "w1")
        .await
        .unwrap()
        .expect("take at counter 0");
    assert_eq!(
        taken,
        Lease {
            owner: Some("w1".into()),
            counter: 1,
            ..a.clone()
        }
    );
    assert_eq!(get(cp, stream, SHARD_A).await, taken);

    // Renew: the owner at the current counter bumps it; anyone else is refused.
    assert_eq!(
        cp.renew_lease(stream, SHARD_A, "w1", 1).await.unwrap(),
        Some(2)
    );
    assert_eq!(
        cp.renew_lease(stream, SHARD_A, "w1", 1).await.unwrap(),
        None,
        "stale counter"
    );
    assert_eq!(
        cp.renew_lease(stream, SHARD_A, "w2", 2).await.unwrap(),
        None,
        "not the owner"
    );
    assert_eq!(
        cp.renew_lease(stream, "shardId-999", "w1", 0)
            .await
            .unwrap(),
        None
    );
    assert_eq!(get(cp, stream, SHARD_A).await.counter, 2);

    // Checkpoint by the owner, then fenced off once another worker took the lease.
    let first = Checkpoint::Sequence {
        sequence_number: "49590338271490256608559692538361571095921575989136588898".into(),
        sub_sequence_number: 3,
    };
    assert_eq!(
        cp.checkpoint(stream, SHARD_A, "w1", 2, &first)
            .await
            .unwrap(),
        Some(3)
    );
    assert_eq!(
        cp.checkpoint(stream, SHARD_A, "w2", 3, &first)
            .await
            .unwrap(),
        None
    );
    let stolen = cp
        .take_lease(stream, SHARD_A, 3, "w2")
        .await
        .unwrap()
        .expect("steal");
    assert_eq!(stolen.owner.as_deref(), Some("w2"));
    assert_eq!(stolen.counter, 4);
    assert_eq!(stolen.checkpoint, first, "a take keeps the checkpoint");
    let late = Checkpoint::Sequence {
        sequence_number: "49590338271490256608559692538361571095921575989136588999".into(),
        sub_sequence_number: 0,
    };
    assert_eq!(
        cp.checkpoint(stream, SHARD_A, "w1", 3, &late)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        cp.checkpoint(stream, SHARD_A, "w1", 4, &late)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        cp.renew_lease(stream, SHARD_A, "w1", 3).await.unwrap(),
        None
    );
    assert!(!cp.release_lease(stream, SHARD_A, "w1", 4).await.unwrap());
    assert_eq!(
        get(cp, stream, SHARD_A).await,
        stolen,
        "fenced writes changed nothing"
    );

    // Every kind of checkpoint round-trips, sub-sequence numbers included.
    let variants = [
        Checkpoint::Sequence {
            sequence_number: "49590338271490256608559692538361571095921575989136588898".into(),
            sub_sequence_number: 0,
        },
        Checkpoint::Sequence {
            sequence_number: "49590338271490256608559692538361571095921575989136588898".into(),
            sub_sequence_number: (1 << 63) + 5,
        },
        Checkpoint::ShardEnd,
        Checkpoint::Latest,
        Checkpoint::TrimHorizon,
    ];
    let mut counter = 4;
    for variant in &variants {
        let next = cp
            .checkpoint(stream, SHARD_A, "w2", counter, variant)
            .await
            .unwrap();
        assert_eq!(next, Some(counter + 1), "checkpoint {variant:?}");
        counter += 1;
        let stored = get(cp, stream, SHARD_A).await;
        assert_eq!(&stored.checkpoint, variant);
        assert_eq!(stored.counter, counter);
        assert_eq!(stored.owner.as_deref(), Some("w2"));
    }

    // Release clears the owner and bumps the counter; the old owner can do nothing more.
    assert!(
        !cp.release_lease(stream, SHARD_A, "w2", counter - 1)
            .await
            .unwrap(),
        "stale"
    );
    assert!(
        cp.release_lease(stream, SHARD_A, "w2", counter)
            .await
            .unwrap()
    );
    counter += 1;
    let released = get(cp, stream, SHARD_A).await;
    assert_eq!(released.owner, None);
    assert_eq!(released.counter, counter);
    assert_eq!(released.checkpoint, Checkpoint::TrimHorizon);
    assert!(
        !cp.release_lease(stream, SHARD_A, "w2", counter)
            .await
            .unwrap()
    );
    assert_eq!(
        cp.renew_lease(stream, SHARD_A, "w2", counter)
            .await
            .unwrap(),
        None
    );
    let retaken = cp
        .take_lease(stream, SHARD_A, counter, "w3")
        .await
        .unwrap()
        .expect("free");
    assert_eq!(retaken.owner.as_deref(), Some("w3"));
    assert_eq!(retaken.counter, counter + 1);

    // The list shows every lease, in shard order.
    let b = Lease {
        checkpoint: Checkpoint::ShardEnd,
        ..lease(SHARD_B)
    };
    assert!(cp.create_lease(stream, &b).await.unwrap());
    let listed = cp.list_leases(stream).await.unwrap();
    assert_eq!(listed, vec![retaken, b, c]);
}

/// Eight workers race to take one lease, several rounds: exactly one wins each round.
async fn concurrent_takes(cp: Arc<dyn Checkpointer>, stream: &str) {
    assert!(cp.create_lease(stream, &lease(SHARD_A)).await.unwrap());
    let mut counter = 0;
    for round in 0..5 {
        let mut tasks = Vec::new();
        for worker in 0..8 {
            let cp = Arc::clone(&cp);
            let stream = stream.to_string();
            tasks.push(tokio::spawn(async move {
                let owner = format!("worker-{worker}");
                cp.take_lease(&stream, SHARD_A, counter, &owner)
                    .await
                    .unwrap()
            }));
        }
        let mut winners = Vec::new();
        for task in tasks {
            if let Some(lease) = task.await.unwrap() {
                winners.push(lease);
            }
        }
        assert_eq!(
            winners.len(),
            1,
            "round {round}: exactly one take must win: {winners:?}"
        );
        counter += 1;
        assert_eq!(winners[0].counter, counter);
        assert_eq!(get(&*cp, stream, SHARD_A).await, winners[0]);
    }
}

// ---- memory ----

#[tokio::test]
async fn memory_conformance() {
    conformance(&MemoryCheckpointer::new(), &unique("stream")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_concurrent_takes() {
    concurrent_takes(Arc::new(MemoryCheckpointer::new()), &unique("stream")).await;
}

#[tokio::test]
async fn memory_clones_share_leases_and_streams_are_separate() {
    let one = MemoryCheckpointer::new();
    let two = one.clone();
    assert!(one.create_lease("s1", &lease(SHARD_A)).await.unwrap());
    assert!(!two.create_lease("s1", &lease(SHARD_A)).await.unwrap());
    assert!(two.create_lease("s2", &lease(SHARD_A)).await.unwrap());
    assert!(
        two.take_lease("s1", SHARD_A, 0, "w")
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(get(&one, "s1", SHARD_A).await.owner.as_deref(), Some("w"));
    assert_eq!(get(&one, "s2", SHARD_A).await.owner, None);
}

// ---- Redis ----

#[tokio::test]
async fn redis_conformance() {
    let cp = redis_checkpointer().await;
    conformance(&cp, &unique("stream")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_concurrent_takes() {
    let cp = redis_checkpointer().await;
    concurrent_takes(Arc::new(cp), &unique("stream")).await;
}

#[tokio::test]
async fn redis_layout_uses_kcl_field_names_and_no_expiry() {
    let prefix = unique("test-prefix");
    let cp = redis_checkpointer().await.with_prefix(prefix.clone());
    let stream = "orders";
    let other = RedisCheckpointer::connect(&env_or_fail(REDIS_ENV))
        .await
        .unwrap();
    assert_eq!(other.prefix(), "streamwatch:lease");
    assert_eq!(
        other.lease_key("orders", SHARD_A),
        "streamwatch:lease:orders:shardId-000000000000"
    );

    let child = Lease {
        shard_id: SHARD_C.to_string(),
        owner: None,
        counter: 0,
        checkpoint: Checkpoint::TrimHorizon,
        parent_shard_ids: vec![SHARD_A.to_string(), SHARD_B.to_string()],
    };
    assert!(cp.create_lease(stream, &child).await.unwrap());
    assert!(cp.create_lease(stream, &lease(SHARD_A)).await.unwrap());
    let seq = Checkpoint::Sequence {
        sequence_number: "4959".into(),
        sub_sequence_number: 2,
    };
    cp.take_lease(stream, SHARD_C, 0, "w1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        cp.checkpoint(stream, SHARD_C, "w1", 1, &seq).await.unwrap(),
        Some(2)
    );

    let client = redis::Client::open(env_or_fail(REDIS_ENV)).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{prefix}:{stream}:{SHARD_C}");
    let hash: std::collections::HashMap<String, String> = redis::cmd("HGETALL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    let expected: std::collections::HashMap<String, String> = [
        ("leaseKey", SHARD_C),
        ("leaseOwner", "w1"),
        ("leaseCounter", "2"),
        ("checkpoint", "4959"),
        ("checkpointSubSequenceNumber", "2"),
        (
            "parentShardIds",
            r#"["shardId-000000000000","shardId-000000000001"]"#,
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(hash, expected);

    // A lease without parents has no parentShardIds field; a free one no leaseOwner.
    let key_a = format!("{prefix}:{stream}:{SHARD_A}");
    let fields: BTreeSet<String> = redis::cmd("HKEYS")
        .arg(&key_a)
        .query_async(&mut conn)
        .await
        .unwrap();
    let want: BTreeSet<String> = [
        "leaseKey",
        "leaseCounter",
        "checkpoint",
        "checkpointSubSequenceNumber",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(fields, want);
    assert!(cp.release_lease(stream, SHARD_C, "w1", 2).await.unwrap());
    let owner: Option<String> = redis::cmd("HGET")
        .arg(&key)
        .arg("leaseOwner")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(owner, None);

    // The set of shard ids, and no key with an expiry.
    let set_key = format!("{prefix}:{stream}");
    let members: BTreeSet<String> = redis::cmd("SMEMBERS")
        .arg(&set_key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        members,
        BTreeSet::from([SHARD_A.to_string(), SHARD_C.to_string()])
    );
    for k in [&key, &key_a, &set_key] {
        let ttl: i64 = redis::cmd("TTL")
            .arg(k)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(ttl, -1, "{k} must not expire");
    }

    // A malformed hash is an error, not a panic.
    let _: () = redis::cmd("HSET")
        .arg(&key_a)
        .arg("leaseCounter")
        .arg("not-a-number")
        .query_async(&mut conn)
        .await
        .unwrap();
    let err = cp.list_leases(stream).await.unwrap_err();
    assert!(err.to_string().contains("leaseCounter"), "{err}");
}

#[tokio::test]
async fn redis_reconnects_after_losing_its_connection() {
    // On a database no other test uses, so that killing its clients disturbs no other test.
    let url = env_or_fail(REDIS_ENV);
    let mut info = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection_info()
        .clone();
    info.redis.db = 9;
    let cp = RedisCheckpointer::from_client(redis::Client::open(info).unwrap())
        .await
        .unwrap();
    let stream = unique("stream");
    assert!(cp.create_lease(&stream, &lease(SHARD_A)).await.unwrap());

    let admin = redis::Client::open(url.as_str()).unwrap();
    let mut admin = admin.get_multiplexed_async_connection().await.unwrap();
    let clients: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(&mut admin)
        .await
        .unwrap();
    let mut killed = 0;
    for line in clients
        .lines()
        .filter(|l| l.split(' ').any(|f| f == "db=9"))
    {
        let id = line.split(' ').find_map(|f| f.strip_prefix("id=")).unwrap();
        let n: i64 = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("ID")
            .arg(id)
            .query_async(&mut admin)
            .await
            .unwrap();
        killed += n;
    }
    assert!(killed >= 1, "no connection on db 9 to kill: {clients}");

    // The call that meets the dead connection may fail; the next one reconnects.
    let mut attempts = Vec::new();
    for _ in 0..3 {
        let listed = cp.list_leases(&stream).await;
        let done = listed.is_ok();
        attempts.push(listed);
        if done {
            break;
        }
    }
    let last = attempts.last().unwrap();
    assert_eq!(
        last.as_ref().ok(),
        Some(&vec![lease(SHARD_A)]),
        "attempts: {attempts:?}"
    );
    assert!(attempts.len() <= 2, "attempts: {attempts:?}");
    assert!(
        cp.take_lease(&stream, SHARD_A, 0, "w")
            .await
            .unwrap()
            .is_some()
    );
}

// ---- DynamoDB ----

#[tokio::test]
async fn dynamodb_conformance() {
    let stream = unique("stream");
    let cp = dynamodb_checkpointer(&stream).await;
    conformance(&cp, &stream).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_concurrent_takes() {
    let stream = unique("stream");
    let cp = dynamodb_checkpointer(&stream).await;
    concurrent_takes(Arc::new(cp), &stream).await;
}

#[tokio::test]
async fn dynamodb_layout_is_kcls_without_ttl() {
    let stream = unique("stream");
    let cp = dynamodb_checkpointer(&stream).await;
    cp.create_table_if_missing()
        .await
        .expect("a second create_table_if_missing is a no-op");
    let raw = dynamodb_client();
    let table = cp.table_name().to_string();

    let described = raw
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let desc = described.table.unwrap();
    let keys = desc.key_schema();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].attribute_name(), "leaseKey");
    assert_eq!(keys[0].key_type(), &KeyType::Hash);
    let defs = desc.attribute_definitions();
    assert_eq!(defs.len(), 1);
    assert_eq!(defs[0].attribute_name(), "leaseKey");
    assert_eq!(defs[0].attribute_type(), &ScalarAttributeType::S);
    assert_eq!(
        desc.billing_mode_summary().and_then(|b| b.billing_mode()),
        Some(&BillingMode::PayPerRequest)
    );

    let ttl = raw
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let status = ttl
        .time_to_live_description()
        .and_then(|d| d.time_to_live_status());
    assert_eq!(status, Some(&TimeToLiveStatus::Disabled));

    let child = Lease {
        shard_id: SHARD_C.to_string(),
        owner: None,
        counter: 0,
        checkpoint: Checkpoint::TrimHorizon,
        parent_shard_ids: vec![SHARD_A.to_string(), SHARD_B.to_string()],
    };
    assert!(cp.create_lease(&stream, &child).await.unwrap());
    assert!(cp.create_lease(&stream, &lease(SHARD_A)).await.unwrap());
    cp.take_lease(&stream, SHARD_C, 0, "w1")
        .await
        .unwrap()
        .unwrap();
    let seq = Checkpoint::Sequence {
        sequence_number: "4959".into(),
        sub_sequence_number: 2,
    };
    assert_eq!(
        cp.checkpoint(&stream, SHARD_C, "w1", 1, &seq)
            .await
            .unwrap(),
        Some(2)
    );

    let get_item = |shard: &str| {
        raw.get_item()
            .table_name(&table)
            .key("leaseKey", AttributeValue::S(shard.to_string()))
            .consistent_read(true)
            .send()
    };
    let item = get_item(SHARD_C).await.unwrap().item.unwrap();
    let names: BTreeSet<&str> = item.keys().map(String::as_str).collect();
    assert_eq!(names, BTreeSet::from(KCL_ATTRIBUTES));
    assert_eq!(item["leaseKey"], AttributeValue::S(SHARD_C.into()));
    assert_eq!(item["leaseOwner"], AttributeValue::S("w1".into()));
    assert_eq!(item["leaseCounter"], AttributeValue::N("2".into()));
    assert_eq!(item["checkpoint"], AttributeValue::S("4959".into()));
    assert_eq!(
        item["checkpointSubSequenceNumber"],
        AttributeValue::N("2".into())
    );
    let AttributeValue::Ss(parents) = &item["parentShardIds"] else {
        panic!(
            "parentShardIds must be a string set: {:?}",
            item["parentShardIds"]
        );
    };
    assert_eq!(
        parents.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        BTreeSet::from([SHARD_A, SHARD_B])
    );

    // Without parents, parentShardIds is omitted; once released, leaseOwner is gone.
    let item = get_item(SHARD_A).await.unwrap().item.unwrap();
    let names: BTreeSet<&str> = item.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "leaseKey",
            "leaseCounter",
            "checkpoint",
            "checkpointSubSequenceNumber"
        ])
    );
    assert!(cp.release_lease(&stream, SHARD_C, "w1", 2).await.unwrap());
    let item = get_item(SHARD_C).await.unwrap().item.unwrap();
    assert!(!item.contains_key("leaseOwner"), "{item:?}");
    assert_eq!(item["leaseCounter"], AttributeValue::N("3".into()));

    // Still no TTL after all those writes.
    let ttl = raw
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let status = ttl
        .time_to_live_description()
        .and_then(|d| d.time_to_live_status());
    assert_eq!(status, Some(&TimeToLiveStatus::Disabled));
}

#[tokio::test]
async fn dynamodb_lists_across_scan_pages_and_refuses_other_streams() {
    let stream = unique("stream");
    let cp = dynamodb_checkpointer(&stream).await;
    // Big enough items that a 1 MB scan page cannot hold them all.
    let long_owner = "o".repeat(200_000);
    let mut expected = Vec::new();
    for i in 0..12 {
        let l = Lease {
            owner: Some(long_owner.clone()),
            ..lease(&format!("shardId-{i:012}"))
        };
        assert!(cp.create_lease(&stream, &l).await.unwrap());
        expected.push(l);
    }
    assert_eq!(cp.list_leases(&stream).await.unwrap(), expected);
    let first_page = dynamodb_client()
        .scan()
        .table_name(cp.table_name())
        .send()
        .await
        .unwrap();
    assert!(
        first_page.last_evaluated_key.is_some(),
        "the leases must span several scan pages for this test to mean anything"
    );

    let err = cp.list_leases("another-stream").await.unwrap_err();
    assert!(err.to_string().contains("another-stream"), "{err}");
    assert!(
        cp.create_lease("another-stream", &lease(SHARD_A))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn dynamodb_errors_carry_the_error_code() {
    let stream = unique("stream");
    // No table: every call fails with ResourceNotFoundException, as an error, not None.
    let cp = DynamoDbCheckpointer::new(dynamodb_client(), unique("missing"), &stream);
    let err = cp.list_leases(&stream).await.unwrap_err();
    assert!(
        err.to_string().contains("ResourceNotFoundException"),
        "{err}"
    );
    let err = cp.take_lease(&stream, SHARD_A, 0, "w").await.unwrap_err();
    assert!(
        err.to_string().contains("ResourceNotFoundException"),
        "{err}"
    );
}
