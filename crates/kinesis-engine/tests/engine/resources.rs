//! Tags and policies by resource (streams and consumers), UpdateStreamMode, and the order in
//! which UpdateShardCount splits and merges.

use std::sync::Arc;
use std::time::Duration;

use kinesis_engine::{Engine, EngineConfig, ManualClock, Resource, StreamMode, StreamStatus};

use super::{T0, engine, engine_with};

fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_consumer_carries_its_own_tags_and_policy_apart_from_its_stream() {
    let (e, _) = engine();
    e.create_stream("s", None, Some(1), &tags(&[("team", "streams")]))
        .unwrap();
    let c = e
        .register_consumer_tagged("s", "app", &tags(&[("owner", "me")]))
        .unwrap();
    let consumer = Resource::Consumer(&c.arn);
    assert_eq!(
        e.resource_tags(consumer)
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        tags(&[("owner", "me")])
    );
    e.tag_resource(consumer, &tags(&[("env", "dev"), ("owner", "you")]))
        .unwrap();
    e.untag_resource(consumer, &["env".to_string(), "absent".to_string()])
        .unwrap();
    assert_eq!(
        e.resource_tags(consumer)
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        tags(&[("owner", "you")])
    );
    // The stream's tags are untouched, and the other way round.
    e.tag_resource(Resource::Stream("s"), &tags(&[("cost", "1")]))
        .unwrap();
    assert_eq!(e.tags("s").unwrap().len(), 2);
    assert_eq!(e.resource_tags(consumer).unwrap().len(), 1);

    // The same checks as a stream's, naming the consumer.
    let reserved = e
        .tag_resource(consumer, &tags(&[("aws:x", "1")]))
        .unwrap_err();
    assert_eq!(
        reserved.message(),
        "Failed to add tags to consumer app under account 000000000000 because some tag keys start with the reserved prefix 'aws:'."
    );
    let many: Vec<(String, String)> = (0..50).map(|i| (format!("k{i}"), "v".into())).collect();
    let too_many = e.tag_resource(consumer, &many).unwrap_err();
    assert_eq!(too_many.code(), "InvalidArgumentException");
    assert!(
        too_many
            .message()
            .contains("a given consumer cannot have more than 50 tags"),
        "{}",
        too_many.message()
    );

    // Policies: none until put, replaced, deleted once.
    assert_eq!(e.resource_policy(consumer).unwrap(), None);
    e.put_resource_policy(consumer, r#"{"Version":"2012-10-17","Statement":[]}"#)
        .unwrap();
    assert_eq!(
        e.resource_policy(consumer).unwrap().as_deref(),
        Some(r#"{"Version":"2012-10-17","Statement":[]}"#)
    );
    assert_eq!(e.resource_policy(Resource::Stream("s")).unwrap(), None);
    assert_eq!(
        e.put_resource_policy(consumer, "not json")
            .unwrap_err()
            .code(),
        "InvalidArgumentException"
    );
    e.delete_resource_policy(consumer, &c.arn).unwrap();
    assert_eq!(
        e.delete_resource_policy(consumer, &c.arn)
            .unwrap_err()
            .code(),
        "ResourceNotFoundException"
    );
    let gone = format!("{}/consumer/nobody:1", e.describe_stream("s").unwrap().arn);
    assert_eq!(
        e.tag_resource(Resource::Consumer(&gone), &tags(&[("a", "b")]))
            .unwrap_err()
            .code(),
        "ResourceNotFoundException"
    );
}

#[test]
fn consumer_tags_and_policies_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        data_dir: Some(dir.path().to_path_buf()),
        ..EngineConfig::default()
    };
    let clock = ManualClock::new(T0);
    let arn = {
        let e = Engine::open_with_clock(config.clone(), Arc::new(clock.clone())).unwrap();
        e.create_stream("s", None, Some(1), &[]).unwrap();
        let c = e
            .register_consumer_tagged("s", "app", &tags(&[("owner", "me")]))
            .unwrap();
        e.put_resource_policy(Resource::Stream("s"), "{}").unwrap();
        e.put_resource_policy(Resource::Consumer(&c.arn), r#"{"a":1}"#)
            .unwrap();
        c.arn
    };
    let e = Engine::open_with_clock(config, Arc::new(clock)).unwrap();
    assert_eq!(
        e.resource_tags(Resource::Consumer(&arn)).unwrap()["owner"],
        "me"
    );
    assert_eq!(
        e.resource_policy(Resource::Stream("s")).unwrap().as_deref(),
        Some("{}")
    );
    assert_eq!(
        e.resource_policy(Resource::Consumer(&arn))
            .unwrap()
            .as_deref(),
        Some(r#"{"a":1}"#)
    );
}

#[test]
fn a_stream_switches_mode_keeping_its_shards_twice_a_day_at_most() {
    let (e, clock) = engine_with(EngineConfig {
        transition_delay: Duration::from_secs(10),
        ..EngineConfig::default()
    });
    e.create_stream("s", None, Some(3), &[]).unwrap();
    clock.advance(10_000);
    e.update_stream_mode("s", StreamMode::OnDemand).unwrap();
    let d = e.describe_stream("s").unwrap();
    assert_eq!(d.status, StreamStatus::Updating);
    assert_eq!(d.mode, StreamMode::OnDemand);
    assert_eq!(d.open_shard_count, 3);
    // UPDATING: another switch waits.
    assert_eq!(
        e.update_stream_mode("s", StreamMode::Provisioned)
            .unwrap_err()
            .code(),
        "ResourceInUseException"
    );
    clock.advance(10_000);
    // On demand: UpdateShardCount is refused.
    assert_eq!(
        e.update_shard_count("s", 4).unwrap_err().code(),
        "ValidationException"
    );
    e.update_stream_mode("s", StreamMode::Provisioned).unwrap();
    clock.advance(10_000);
    assert_eq!(
        e.describe_stream("s").unwrap().mode,
        StreamMode::Provisioned
    );
    let third = e.update_stream_mode("s", StreamMode::OnDemand).unwrap_err();
    assert_eq!(third.code(), "LimitExceededException");
    assert_eq!(
        third.message(),
        "Stream s under account 000000000000 has already switched capacity mode 2 times in the last 24 hours."
    );
    // A day after the first switch, one more is allowed.
    clock.advance(86_400_000 - 20_000);
    e.update_stream_mode("s", StreamMode::OnDemand).unwrap();
}

#[test]
fn a_switch_to_on_demand_counts_against_the_on_demand_quota() {
    let (e, _) = engine_with(EngineConfig {
        on_demand_stream_quota: 1,
        ..EngineConfig::default()
    });
    e.create_stream("a", Some(StreamMode::OnDemand), None, &[])
        .unwrap();
    e.create_stream("b", None, Some(1), &[]).unwrap();
    let err = e.update_stream_mode("b", StreamMode::OnDemand).unwrap_err();
    assert_eq!(err.code(), "LimitExceededException");
    assert_eq!(
        err.message(),
        "This request would exceed the limit of 1 on-demand streams for the account 000000000000 in us-east-1."
    );
}

#[test]
fn scaling_four_shards_to_three_gives_the_shard_ids_aws_gives() {
    let (e, _) = engine();
    e.create_stream("s", None, Some(4), &[]).unwrap();
    e.update_shard_count("s", 3).unwrap();
    let d = e.describe_stream("s").unwrap();
    assert_eq!(d.shards.len(), 11);
    let open: Vec<&str> = d
        .shards
        .iter()
        .filter(|s| s.ending_sequence_number.is_none())
        .map(|s| s.shard_id.as_str())
        .collect();
    assert_eq!(
        open,
        [
            "shardId-000000000006",
            "shardId-000000000009",
            "shardId-000000000010"
        ]
    );
    let parents = |id: &str| {
        let s = d.shards.iter().find(|s| s.shard_id == id).unwrap();
        (
            s.parent_shard_id.clone().unwrap_or_default(),
            s.adjacent_parent_shard_id.clone().unwrap_or_default(),
        )
    };
    assert_eq!(
        parents("shardId-000000000006"),
        ("shardId-000000000000".into(), "shardId-000000000004".into())
    );
    assert_eq!(
        parents("shardId-000000000010"),
        ("shardId-000000000008".into(), "shardId-000000000003".into())
    );
    let mut ranges: Vec<_> = d
        .shards
        .iter()
        .filter(|s| s.ending_sequence_number.is_none())
        .map(|s| s.hash_range)
        .collect();
    ranges.sort();
    assert_eq!(ranges, kinesis_engine::HashRange::split_evenly(3));
}
