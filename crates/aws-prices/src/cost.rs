//! A usage priced: one line per billed item, and the total.

use std::fmt;

use serde::Serialize;

use crate::usage::{Architecture, StreamMode, Usage};
use crate::{BYTES_PER_GB, RegionPrices};

/// One billed item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostLine {
    /// What is billed (`Kinesis shard-hours`).
    pub item: String,
    /// How much of it, in `unit`s.
    pub quantity: f64,
    /// The unit of `quantity` (`shard-hour`, `GB`, `request`).
    pub unit: String,
    /// The list price of `per` units, US dollars.
    pub unit_price_usd: f64,
    /// How many units `unit_price_usd` is for (1, 1,000 or 1,000,000).
    pub per: f64,
    /// `quantity / per * unit_price_usd`, US dollars.
    pub amount_usd: f64,
}

impl CostLine {
    fn new(item: &str, quantity: f64, unit: &str, unit_price_usd: f64, per: f64) -> Self {
        CostLine {
            item: item.to_string(),
            quantity,
            unit: unit.to_string(),
            unit_price_usd,
            per,
            amount_usd: quantity / per * unit_price_usd,
        }
    }
}

/// What a usage costs at a region's list prices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cost {
    /// The oldest `as_of` date of the price blocks used.
    pub prices_as_of: String,
    /// One line per billed item, in a fixed order (Kinesis, then Lambda).
    pub lines: Vec<CostLine>,
    /// The records the usage put, for [`Cost::per_million_records`].
    pub records: u64,
    /// The sum of the lines, US dollars.
    pub total_usd: f64,
}

impl Cost {
    /// The total divided over `records`, per million records; `None` for no records.
    pub fn per_million_records(&self, records: u64) -> Option<f64> {
        (records > 0).then(|| self.total_usd / records as f64 * 1_000_000.0)
    }

    /// The line of an item, if it is billed.
    pub fn line(&self, item: &str) -> Option<&CostLine> {
        self.lines.iter().find(|l| l.item == item)
    }
}

impl Usage {
    /// Prices this usage at `prices`: the stream's lines for its mode (the base items
    /// always, the optional ones when used), then Lambda's requests and GB-seconds per
    /// architecture when there were invocations. Free tiers are not applied.
    pub fn cost(&self, prices: &RegionPrices) -> Cost {
        let mut lines = Vec::new();
        let mut as_of = Vec::new();
        match self.mode {
            StreamMode::Provisioned => {
                let p = &prices.kinesis_provisioned;
                as_of.push(p.as_of.as_str());
                lines.push(CostLine::new(
                    "Kinesis shard-hours",
                    self.shard_hours,
                    "shard-hour",
                    p.shard_hour,
                    1.0,
                ));
                lines.push(CostLine::new(
                    "Kinesis PUT payload units",
                    self.put_payload_units(p.put_payload_unit_bytes) as f64,
                    "unit",
                    p.put_payload_units_per_million,
                    1_000_000.0,
                ));
                if self.extended_retention_shard_hours > 0.0 {
                    lines.push(CostLine::new(
                        "Kinesis extended retention",
                        self.extended_retention_shard_hours,
                        "shard-hour",
                        p.extended_retention_shard_hour,
                        1.0,
                    ));
                }
                if self.enhanced_fan_out_consumer_shard_hours > 0.0 {
                    lines.push(CostLine::new(
                        "Kinesis enhanced fan-out",
                        self.enhanced_fan_out_consumer_shard_hours,
                        "consumer-shard-hour",
                        p.enhanced_fan_out_consumer_shard_hour,
                        1.0,
                    ));
                }
                if self.enhanced_fan_out_bytes > 0 {
                    lines.push(CostLine::new(
                        "Kinesis enhanced fan-out data",
                        self.enhanced_fan_out_bytes as f64 / BYTES_PER_GB,
                        "GB",
                        p.enhanced_fan_out_gb_retrieved,
                        1.0,
                    ));
                }
            }
            StreamMode::OnDemand => {
                let p = &prices.kinesis_on_demand;
                as_of.push(p.as_of.as_str());
                lines.push(CostLine::new(
                    "Kinesis on-demand stream-hours",
                    self.stream_hours,
                    "stream-hour",
                    p.stream_hour,
                    1.0,
                ));
                lines.push(CostLine::new(
                    "Kinesis on-demand data in",
                    self.billed_bytes_in(p.record_rounding_bytes) as f64 / BYTES_PER_GB,
                    "GB",
                    p.gb_ingested,
                    1.0,
                ));
                lines.push(CostLine::new(
                    "Kinesis on-demand data out",
                    self.bytes_out as f64 / BYTES_PER_GB,
                    "GB",
                    p.gb_retrieved,
                    1.0,
                ));
            }
        }
        let invocations: u64 = self.lambda.iter().map(|l| l.invocations).sum();
        if invocations > 0 {
            let p = &prices.lambda;
            as_of.push(p.as_of.as_str());
            lines.push(CostLine::new(
                "Lambda requests",
                invocations as f64,
                "request",
                p.requests_per_million,
                1_000_000.0,
            ));
            for (arch, price) in [
                (Architecture::X86_64, p.gb_second_x86_64),
                (Architecture::Arm64, p.gb_second_arm64),
            ] {
                let gb_seconds: f64 = self
                    .lambda
                    .iter()
                    .filter(|l| l.architecture == arch)
                    .map(|l| l.gb_seconds())
                    .sum();
                if gb_seconds > 0.0 {
                    lines.push(CostLine::new(
                        &format!("Lambda duration ({})", arch.as_str()),
                        gb_seconds,
                        "GB-second",
                        price,
                        1.0,
                    ));
                }
            }
        }
        Cost {
            prices_as_of: as_of.into_iter().min().unwrap_or_default().to_string(),
            total_usd: lines.iter().map(|l| l.amount_usd).sum(),
            lines,
            records: self.record_count(),
        }
    }
}

/// `$0.014 / 1M`.
fn price(usd: f64, per: f64) -> String {
    let per = match per {
        1.0 => String::new(),
        1_000.0 => " / 1K".to_string(),
        1_000_000.0 => " / 1M".to_string(),
        other => format!(" / {other}"),
    };
    format!("${usd}{per}")
}

/// Whole numbers without decimals, fractions with four.
fn quantity(q: f64) -> String {
    if q.fract() == 0.0 && q.abs() < 1e15 {
        format!("{q:.0}")
    } else {
        format!("{q:.4}")
    }
}

impl fmt::Display for Cost {
    /// A terminal table: item, quantity, unit, unit price, amount; then the total and the
    /// cost per million records.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<32} {:>14} {:<20} {:>16} {:>12}",
            "item", "quantity", "unit", "unit price", "amount"
        )?;
        for l in &self.lines {
            writeln!(
                f,
                "{:<32} {:>14} {:<20} {:>16} {:>12}",
                l.item,
                quantity(l.quantity),
                l.unit,
                price(l.unit_price_usd, l.per),
                format!("${:.6}", l.amount_usd)
            )?;
        }
        writeln!(
            f,
            "{:<86} {:>12}",
            "total",
            format!("${:.6}", self.total_usd)
        )?;
        if let Some(per_million) = self.per_million_records(self.records) {
            writeln!(
                f,
                "{:<86} {:>12}",
                format!("per million records ({} records)", self.records),
                format!("${per_million:.6}")
            )?;
        }
        write!(
            f,
            "list prices as of {}, first tier, free tier not applied",
            self.prices_as_of
        )
    }
}
