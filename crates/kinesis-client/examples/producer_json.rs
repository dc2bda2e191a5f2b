//! Produce JSON records from serde types with `Record::json` and `Producer::put_json`, and
//! read them back with `ConsumedRecord::json`.
//!
//! ```sh
//! cargo run -p kinesis-client --example producer_json
//! ```

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use kinesis_client::{Consumer, Producer, Record};
use serde::{Deserialize, Serialize};

/// What we send: one order event.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct OrderEvent {
    order_id: u64,
    customer: String,
    items: Vec<Item>,
    total_cents: u64,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Item {
    sku: String,
    quantity: u32,
}

fn order(order_id: u64) -> OrderEvent {
    let quantity = (order_id % 3 + 1) as u32;
    OrderEvent {
        order_id,
        customer: format!("customer-{}", order_id % 4),
        items: vec![Item {
            sku: format!("SKU-{:03}", order_id * 7 % 100),
            quantity,
        }],
        total_cents: 1_250 * u64::from(quantity),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let kinesis = support::Kinesis::start().await?;
    let stream = kinesis.create_stream("example-json", 2).await?;
    let producer = Producer::new(kinesis.client.clone(), &stream).await?;

    // `put_json` serializes the value and queues it; keying by customer keeps each
    // customer's orders in order.
    for id in 1..=8 {
        let event = order(id);
        producer.put_json(event.customer.clone(), &event).await?;
    }
    // `Record::json` builds the record first, e.g. to add an explicit hash key or to use
    // `try_put`, which never waits.
    let event = order(9);
    let record = Record::json(event.customer.clone(), &event)?;
    println!(
        "record for order 9: {} bytes: {}",
        record.data.len(),
        String::from_utf8_lossy(&record.data)
    );
    producer.try_put(record)?;
    let stats = producer.close().await?;
    println!("records sent: {}", stats.records_sent);

    // Read them back and parse them into the same type.
    let mut consumer = Consumer::new(kinesis.client.clone(), &stream);
    let records = support::read(&mut consumer, 9, Duration::from_secs(30)).await?;
    let mut orders: Vec<OrderEvent> = Vec::new();
    for record in &records {
        let event: OrderEvent = record.json()?;
        println!(
            "  {} order {} for {}: {} item(s), {} cents",
            record.shard_id,
            event.order_id,
            event.customer,
            event.items.len(),
            event.total_cents
        );
        orders.push(event);
    }
    consumer.close().await;
    orders.sort_by_key(|o| o.order_id);
    anyhow::ensure!(
        orders == (1..=9).map(order).collect::<Vec<_>>(),
        "orders differ"
    );
    println!(
        "read back {} orders, all equal to what was sent",
        orders.len()
    );

    kinesis.finish(&stream).await
}
