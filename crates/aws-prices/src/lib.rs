//! AWS public list prices and what a usage costs at them, for `streamwatch load` (the cost of
//! a load test and per million records) and the collector's cost view.
//!
//! - [`PriceTable`] is the price file, `prices.toml`, built into the crate: per region, one
//!   block per service ([`RegionPrices`]), each with the AWS pricing page it comes from and
//!   the date it was checked. [`PriceTable::embedded`] parses it once.
//! - [`Usage`] is what was used: shard-hours or on-demand stream-hours, the records put (by
//!   size, since AWS bills each record on its own), bytes read, Lambda invocations (their
//!   billed milliseconds, memory and architecture).
//! - [`Cost`] prices a usage: one [`CostLine`] per item with its quantity, unit price and
//!   amount, the total, [`Cost::per_million_records`]; it serializes to JSON and displays as
//!   a table.
//! - [`price_resources`] prices each stream and function of an account over a window from
//!   its inventory and metric sums ([`StreamObserved`], [`FunctionObserved`]) into a
//!   [`ResourceCost`] with a monthly projection (`streamwatch cost`).
//!
//! Prices are list prices of the first tier, without free tiers, taxes or discounts: a
//! ceiling for a short test, not a bill.
//!
//! ```
//! use aws_prices::{Architecture, LambdaUsage, PriceTable, Usage};
//! use std::time::Duration;
//!
//! let prices = PriceTable::embedded()?.for_region("us-east-1")?;
//! let mut usage = Usage::provisioned(2.0 * 10.0 / 60.0); // 2 shards for 10 minutes
//! usage.add_records(1024, 1_000_000);
//! let mut lambda = LambdaUsage::new(256, Architecture::X86_64);
//! lambda.add_invocation(Duration::from_millis(120));
//! usage.lambda.push(lambda);
//! let cost = usage.cost(prices);
//! assert!(cost.total_usd > 0.0);
//! println!("{cost}");
//! # Ok::<(), aws_prices::PriceError>(())
//! ```

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod cost;
mod resources;
mod table;
mod usage;

pub use cost::{Cost, CostLine};
pub use resources::{
    CloudWatchObserved, ConsumerObserved, EXTENDED_RETENTION_MAX_HOURS, EgressObserved,
    FunctionObserved, HOURS_PER_MONTH, INCLUDED_RETENTION_HOURS, Observed, ProvisionedObserved,
    QueueObserved, ResourceCost, ResourceLine, StreamObserved, estimated_put_payload_units,
    estimated_sqs_requests, price_observed, price_resources,
};
pub use table::{
    CloudWatchPrices, DataTransferPrices, KinesisOnDemandPrices, KinesisProvisionedPrices,
    LambdaPrices, PriceTable, RegionPrices, SnsPrices, SqsPrices,
};
pub use usage::{Architecture, LambdaUsage, RecordSizes, StreamMode, Usage};

/// The price file as built into the crate.
pub const PRICES_TOML: &str = include_str!("../prices.toml");

/// Bytes in a GB as the cost counts them (2^30; the Kinesis pricing page counts a KB as 1,024
/// bytes).
pub const BYTES_PER_GB: f64 = 1_073_741_824.0;

/// What can go wrong looking prices up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    /// The price file has no prices for this region.
    #[error("no prices for region {region} (the price file has {})", known.join(", "))]
    UnknownRegion {
        /// The region asked for.
        region: String,
        /// The regions the price file has.
        known: Vec<String>,
    },
    /// The price file could not be read (a missing field, a misspelt one, a bad number).
    #[error("the price file is malformed: {0}")]
    PriceFile(String),
}
