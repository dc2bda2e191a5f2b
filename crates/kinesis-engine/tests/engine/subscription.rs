//! Enhanced fan-out subscriptions on a manual clock: the 2 MiB/s read budget, the
//! notification a waiting subscriber gets, the five minutes, the lease.

use kinesis_engine::subscription::{READ_BYTES_PER_SEC, SubscriptionState};

use super::*;

fn subscribed(config: EngineConfig) -> (Engine, ManualClock, String) {
    let (e, clock) = engine_with(EngineConfig {
        shard_limits: false,
        ..config
    });
    e.create_stream("s", None, Some(1), &[]).unwrap();
    let consumer = e.register_consumer("s", "c").unwrap().arn;
    (e, clock, consumer)
}

#[test]
fn a_subscription_reads_two_mib_a_second() {
    let (e, clock, consumer) = subscribed(EngineConfig::default());
    let data = vec![7u8; 512 * 1024];
    for _ in 0..6 {
        e.put_records("s", &[entry("k", &data)]).unwrap();
    }
    let mut sub = e
        .subscribe_to_shard(
            &consumer,
            "shardId-000000000000",
            &IteratorStart::TrimHorizon,
        )
        .unwrap();
    // Each read stops short of the budget, but returns at least one record: four of the
    // six go out in the first second, the last overrunning it by one record.
    let first = sub.next_event().unwrap();
    assert_eq!(first.records.len(), 3);
    let second = sub.next_event().unwrap();
    assert_eq!(second.records.len(), 1);
    let held = sub.next_event().unwrap();
    assert!(held.records.is_empty());
    assert!(!sub.caught_up());
    assert_eq!(
        held.continuation_sequence_number,
        second.continuation_sequence_number
    );
    assert!(first.bytes + second.bytes <= READ_BYTES_PER_SEC + data.len() as u64 + 1);
    clock.advance(1_000);
    assert_eq!(sub.next_event().unwrap().records.len(), 2);
    assert!(sub.caught_up());
}

#[tokio::test]
async fn a_waiting_subscriber_wakes_on_a_put() {
    let (e, _clock, consumer) = subscribed(EngineConfig::default());
    let mut sub = e
        .subscribe_to_shard(&consumer, "shardId-000000000000", &IteratorStart::Latest)
        .unwrap();
    assert!(sub.next_event().unwrap().records.is_empty());
    let writer = e.clone();
    let put = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        writer.put_records("s", &[entry("k", b"x")]).unwrap();
    });
    tokio::time::timeout(Duration::from_secs(5), sub.changed())
        .await
        .expect("woken by the put");
    put.await.unwrap();
    assert_eq!(sub.next_event().unwrap().records.len(), 1);
}

#[test]
fn five_minutes_then_the_lease_is_free() {
    let (e, clock, consumer) = subscribed(EngineConfig::default());
    let shard = "shardId-000000000000";
    let sub = e
        .subscribe_to_shard(&consumer, shard, &IteratorStart::TrimHorizon)
        .unwrap();
    let again = e.subscribe_to_shard(&consumer, shard, &IteratorStart::TrimHorizon);
    assert!(matches!(again, Err(EngineError::ResourceInUse(_))));
    clock.advance(299_999);
    assert_eq!(sub.state(), SubscriptionState::Live);
    clock.advance(1);
    assert_eq!(sub.state(), SubscriptionState::Expired);
    drop(sub);
    // Renewal from where the last event left off, at once.
    let renewed = e
        .subscribe_to_shard(&consumer, shard, &IteratorStart::TrimHorizon)
        .unwrap();
    // A deregistered consumer's subscription fails.
    e.deregister_consumer(None, None, Some(&consumer)).unwrap();
    assert!(matches!(
        renewed.state(),
        SubscriptionState::Failed(EngineError::ResourceNotFound(_))
    ));
}

#[test]
fn the_continuation_of_an_empty_read_resumes_at_the_start() {
    let (e, _clock, consumer) = subscribed(EngineConfig::default());
    let shard = "shardId-000000000000";
    let mut sub = e
        .subscribe_to_shard(&consumer, shard, &IteratorStart::TrimHorizon)
        .unwrap();
    let empty = sub.next_event().unwrap();
    drop(sub);
    e.put_records("s", &[entry("k", b"first")]).unwrap();
    let mut sub = e
        .subscribe_to_shard(
            &consumer,
            shard,
            &IteratorStart::AfterSequence(empty.continuation_sequence_number),
        )
        .unwrap();
    assert_eq!(sub.next_event().unwrap().records[0].data(), b"first");
}
