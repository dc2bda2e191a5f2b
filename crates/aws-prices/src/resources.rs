//! What each stream and function of an account costs over a window, from its inventory and
//! the sums of its CloudWatch metrics (`streamwatch cost`), projected to a month.

use std::fmt;

use serde::Serialize;

use crate::usage::{Architecture, StreamMode};
use crate::{BYTES_PER_GB, RegionPrices};

/// Hours in the month the projection is for (AWS's pricing pages count 730).
pub const HOURS_PER_MONTH: f64 = 730.0;

/// Hours of retention a stream's shard-hour includes; beyond it is extended retention.
pub const INCLUDED_RETENTION_HOURS: u32 = 24;

/// Hours of retention extended retention covers (7 days); beyond it is long-term retention,
/// which the price file does not price.
pub const EXTENDED_RETENTION_MAX_HOURS: u32 = 168;

/// One stream: its inventory (DescribeStreamSummary) and its metric sums over the window.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamObserved {
    /// The stream's name.
    pub name: String,
    /// Its capacity mode.
    pub mode: StreamMode,
    /// Its open shards.
    pub open_shards: u32,
    /// Its retention period, hours.
    pub retention_hours: u32,
    /// `IncomingRecords` (Sum) over the window.
    pub incoming_records: f64,
    /// `IncomingBytes` (Sum) over the window.
    pub incoming_bytes: f64,
}

/// One function: its configuration (ListFunctions) and its metric sums over the window.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionObserved {
    /// The function's name.
    pub name: String,
    /// Its configured memory, MB.
    pub memory_mb: u32,
    /// Its instruction set.
    pub architecture: Architecture,
    /// `Invocations` (Sum) over the window.
    pub invocations: f64,
    /// `Duration` (Sum) over the window, milliseconds.
    pub duration_ms: f64,
}

/// One billed component of one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceLine {
    /// `Kinesis` or `Lambda`.
    pub service: String,
    /// The stream's or function's name.
    pub resource: String,
    /// What is billed (`shard-hours`, `PUT payload units`).
    pub component: String,
    /// How much of it over the window, in `unit`s.
    pub quantity: f64,
    /// The unit of `quantity`.
    pub unit: String,
    /// Whether the quantity is estimated from metric sums rather than counted as AWS bills.
    pub estimate: bool,
    /// The cost over the window, US dollars.
    pub amount_usd: f64,
    /// The cost projected to a month of [`HOURS_PER_MONTH`] at the window's rate.
    pub monthly_usd: f64,
}

/// What every resource costs over a window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceCost {
    /// The region priced.
    pub region: String,
    /// The oldest `as_of` date of the price blocks read (Kinesis both modes, Lambda).
    pub prices_as_of: String,
    /// The window, hours.
    pub window_hours: f64,
    /// One line per resource and component: streams in the order given, then functions.
    pub lines: Vec<ResourceLine>,
    /// The sum of the lines over the window, US dollars.
    pub total_usd: f64,
    /// The total projected to a month of [`HOURS_PER_MONTH`].
    pub monthly_usd: f64,
    /// What the price file cannot price and was left out.
    pub notes: Vec<String>,
}

/// PUT payload units estimated from sums: each record is at least one unit, and the bytes
/// need at least `ceil(bytes / unit_bytes)`; the larger of the two (exact only when no
/// record is larger than a unit and the bytes are evenly spread).
pub fn estimated_put_payload_units(records: f64, bytes: f64, unit_bytes: u64) -> f64 {
    let by_bytes = (bytes.max(0.0) / unit_bytes.max(1) as f64).ceil();
    records.max(0.0).ceil().max(by_bytes)
}

struct Lines<'a> {
    window_hours: f64,
    lines: Vec<ResourceLine>,
    service: &'a str,
    resource: &'a str,
}

impl Lines<'_> {
    fn push(&mut self, component: &str, quantity: f64, unit: &str, usd_per_unit: f64, est: bool) {
        let amount_usd = quantity * usd_per_unit;
        self.lines.push(ResourceLine {
            service: self.service.to_string(),
            resource: self.resource.to_string(),
            component: component.to_string(),
            quantity,
            unit: unit.to_string(),
            estimate: est,
            amount_usd,
            monthly_usd: monthly(amount_usd, self.window_hours),
        });
    }
}

fn monthly(amount_usd: f64, window_hours: f64) -> f64 {
    if window_hours > 0.0 {
        amount_usd / window_hours * HOURS_PER_MONTH
    } else {
        0.0
    }
}

/// Prices `streams` and `functions` observed over `window_hours` at `prices`:
///
/// - a provisioned stream: shard-hours (open shards × hours, as if the stream had them for
///   the whole window), PUT payload units estimated
///   with [`estimated_put_payload_units`], extended retention shard-hours when its retention
///   is over 24 hours;
/// - an on-demand stream: stream-hours and GB written (an estimate: each record is billed
///   at least `record_rounding_bytes`, so at least `max(bytes, records × rounding)`);
/// - a function: requests (invocations) and GB-seconds (duration seconds × MB / 1,024) at
///   its architecture's price.
///
/// List prices of the first tier, free tiers not applied.
pub fn price_resources(
    region: &str,
    prices: &RegionPrices,
    window_hours: f64,
    streams: &[StreamObserved],
    functions: &[FunctionObserved],
) -> ResourceCost {
    let mut out = Lines {
        window_hours,
        lines: Vec::new(),
        service: "Kinesis",
        resource: "",
    };
    // The blocks this pricing reads, used or not, so the date shows with no resources too.
    let as_of = [
        prices.kinesis_provisioned.as_of.as_str(),
        prices.kinesis_on_demand.as_of.as_str(),
        prices.lambda.as_of.as_str(),
    ];
    let mut notes = Vec::new();
    if streams.is_empty() && functions.is_empty() {
        notes.push("no streams or functions found".to_string());
    }
    for s in streams {
        out.resource = &s.name;
        match s.mode {
            StreamMode::Provisioned => {
                let p = &prices.kinesis_provisioned;
                let shard_hours = f64::from(s.open_shards) * window_hours;
                out.push(
                    "shard-hours",
                    shard_hours,
                    "shard-hour",
                    p.shard_hour,
                    false,
                );
                let units = estimated_put_payload_units(
                    s.incoming_records,
                    s.incoming_bytes,
                    p.put_payload_unit_bytes,
                );
                out.push(
                    "PUT payload units (estimate)",
                    units,
                    "unit",
                    p.put_payload_units_per_million / 1_000_000.0,
                    true,
                );
                if s.retention_hours > INCLUDED_RETENTION_HOURS {
                    out.push(
                        "extended retention",
                        shard_hours,
                        "shard-hour",
                        p.extended_retention_shard_hour,
                        false,
                    );
                }
            }
            StreamMode::OnDemand => {
                let p = &prices.kinesis_on_demand;
                out.push(
                    "stream-hours",
                    window_hours,
                    "stream-hour",
                    p.stream_hour,
                    false,
                );
                let rounded = s.incoming_records.max(0.0) * p.record_rounding_bytes as f64;
                let gb = s.incoming_bytes.max(rounded) / BYTES_PER_GB;
                out.push("data in (estimate)", gb, "GB", p.gb_ingested, true);
                if s.retention_hours > INCLUDED_RETENTION_HOURS {
                    notes.push(format!(
                        "{}: on-demand retention beyond 24 hours is not in the price file, not priced",
                        s.name
                    ));
                }
            }
        }
        if s.retention_hours > EXTENDED_RETENTION_MAX_HOURS {
            notes.push(format!(
                "{}: long-term retention (beyond 7 days) is not in the price file, not priced",
                s.name
            ));
        }
    }
    out.service = "Lambda";
    for f in functions {
        out.resource = &f.name;
        let p = &prices.lambda;
        out.push(
            "requests",
            f.invocations.max(0.0),
            "request",
            p.requests_per_million / 1_000_000.0,
            false,
        );
        let gb_seconds = f.duration_ms.max(0.0) / 1000.0 * f64::from(f.memory_mb) / 1024.0;
        let price = match f.architecture {
            Architecture::X86_64 => p.gb_second_x86_64,
            Architecture::Arm64 => p.gb_second_arm64,
        };
        out.push(
            &format!("duration ({})", f.architecture.as_str()),
            gb_seconds,
            "GB-second",
            price,
            false,
        );
    }
    let total_usd = out.lines.iter().fold(0.0, |sum, l| sum + l.amount_usd);
    ResourceCost {
        region: region.to_string(),
        prices_as_of: as_of.into_iter().min().unwrap_or_default().to_string(),
        window_hours,
        total_usd,
        monthly_usd: monthly(total_usd, window_hours),
        lines: out.lines,
        notes,
    }
}

/// Whole numbers without decimals, fractions with six.
fn quantity(q: f64) -> String {
    if q.fract() == 0.0 && q.abs() < 1e15 {
        format!("{q:.0}")
    } else {
        format!("{q:.6}")
    }
}

impl fmt::Display for ResourceCost {
    /// A terminal table: service, resource, component, quantity, unit, amount and per month;
    /// then the totals, the notes and the prices' date.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let row = |f: &mut fmt::Formatter<'_>, cells: [&str; 7]| {
            writeln!(
                f,
                "{:<8} {:<24} {:<30} {:>16} {:<12} {:>12} {:>12}",
                cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], cells[6]
            )
        };
        row(
            f,
            [
                "service",
                "resource",
                "component",
                "quantity",
                "unit",
                "amount USD",
                "per month",
            ],
        )?;
        for l in &self.lines {
            row(
                f,
                [
                    &l.service,
                    &l.resource,
                    &l.component,
                    &quantity(l.quantity),
                    &l.unit,
                    &format!("{:.6}", l.amount_usd),
                    &format!("{:.2}", l.monthly_usd),
                ],
            )?;
        }
        row(
            f,
            [
                "total",
                "",
                &format!("over {} h", quantity(self.window_hours)),
                "",
                "",
                &format!("{:.6}", self.total_usd),
                &format!("{:.2}", self.monthly_usd),
            ],
        )?;
        for note in &self.notes {
            writeln!(f, "note: {note}")?;
        }
        write!(
            f,
            "{} list prices as of {}, first tier, free tier not applied; a month is {} hours; \
             estimates come from metric sums",
            self.region, self.prices_as_of, HOURS_PER_MONTH
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PriceTable;

    fn us_east_1() -> &'static RegionPrices {
        PriceTable::embedded()
            .unwrap()
            .for_region("us-east-1")
            .unwrap()
    }

    fn close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() <= 1e-15 + expected.abs() * 1e-12,
            "{actual} != {expected}"
        );
    }

    fn stream(mode: StreamMode, retention_hours: u32) -> StreamObserved {
        StreamObserved {
            name: "orders".into(),
            mode,
            open_shards: 2,
            retention_hours,
            incoming_records: 7_200.0,
            incoming_bytes: 7_200.0 * 1_024.0,
        }
    }

    fn function(architecture: Architecture) -> FunctionObserved {
        FunctionObserved {
            name: "consumer".into(),
            memory_mb: 128,
            architecture,
            invocations: 1_000.0,
            duration_ms: 1_000.0 * 100.0,
        }
    }

    /// 2 shards for 1 hour, 7,200 records of 1 KB (7,372,800 bytes), a 128 MB x86_64
    /// function invoked 1,000 times for 100 ms, at prices.toml's us-east-1 prices:
    ///
    /// - shard-hours 2 x 1 = 2; x $0.015 = $0.03
    /// - PUT payload units max(7,200, ceil(7,372,800 / 25,600) = 288) = 7,200;
    ///   x $0.014 / 1M = $0.0001008
    /// - requests 1,000 x $0.20 / 1M = $0.0002
    /// - GB-seconds 1,000 x 0.1 s x 128 / 1,024 = 12.5; x $0.0000166667 = $0.00020833375
    ///
    /// total $0.03050913375; a month (730 h) at that rate $22.2716676375.
    #[test]
    fn known_workload_is_priced_by_hand() {
        let cost = price_resources(
            "us-east-1",
            us_east_1(),
            1.0,
            &[stream(StreamMode::Provisioned, 24)],
            &[function(Architecture::X86_64)],
        );
        let got: Vec<(&str, &str, &str, f64, &str, bool)> = cost
            .lines
            .iter()
            .map(|l| {
                (
                    l.service.as_str(),
                    l.resource.as_str(),
                    l.component.as_str(),
                    l.quantity,
                    l.unit.as_str(),
                    l.estimate,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("Kinesis", "orders", "shard-hours", 2.0, "shard-hour", false),
                (
                    "Kinesis",
                    "orders",
                    "PUT payload units (estimate)",
                    7_200.0,
                    "unit",
                    true
                ),
                ("Lambda", "consumer", "requests", 1_000.0, "request", false),
                (
                    "Lambda",
                    "consumer",
                    "duration (x86_64)",
                    12.5,
                    "GB-second",
                    false
                ),
            ]
        );
        let amounts: Vec<f64> = cost.lines.iter().map(|l| l.amount_usd).collect();
        for (a, e) in amounts.iter().zip([0.03, 0.0001008, 0.0002, 0.00020833375]) {
            close(*a, e);
        }
        close(cost.lines[0].monthly_usd, 0.03 * 730.0);
        close(cost.total_usd, 0.03050913375);
        close(cost.monthly_usd, 22.2716676375);
        assert_eq!(cost.prices_as_of, "2026-12-06");
        assert!(cost.notes.is_empty());
        let table = cost.to_string();
        assert!(table.contains("PUT payload units (estimate)"), "{table}");
        assert!(table.contains("0.030509"), "{table}");
        assert!(table.contains("22.27"), "{table}");
        assert!(table.contains("as of 2026-12-06"), "{table}");
    }

    /// A shorter window: 2 shards for 5 minutes are 1/6 shard-hour, and a month is 8,760 such
    /// windows.
    #[test]
    fn a_window_of_minutes_projects_to_a_month() {
        let hours = 5.0 / 60.0;
        let cost = price_resources(
            "us-east-1",
            us_east_1(),
            hours,
            &[stream(StreamMode::Provisioned, 24)],
            &[],
        );
        close(cost.lines[0].quantity, 2.0 * 5.0 / 60.0);
        close(cost.lines[0].amount_usd, 2.0 * 5.0 / 60.0 * 0.015);
        close(cost.lines[0].monthly_usd, 2.0 * 730.0 * 0.015);
        close(
            cost.monthly_usd,
            (2.0 * 5.0 / 60.0 * 0.015 + 7_200.0 * 0.014 / 1e6) * 8_760.0,
        );
    }

    /// Retention of 48 hours adds its shard-hours at $0.020; beyond 7 days it is noted, not
    /// priced.
    #[test]
    fn extended_retention_is_priced_and_long_term_is_noted() {
        let cost = price_resources(
            "us-east-1",
            us_east_1(),
            1.0,
            &[stream(StreamMode::Provisioned, 48)],
            &[],
        );
        let ext = &cost.lines[2];
        assert_eq!(
            (ext.component.as_str(), ext.quantity),
            ("extended retention", 2.0)
        );
        close(ext.amount_usd, 0.04);
        assert!(cost.notes.is_empty());
        let cost = price_resources(
            "us-east-1",
            us_east_1(),
            1.0,
            &[stream(StreamMode::Provisioned, 200)],
            &[],
        );
        assert_eq!(cost.lines.len(), 3);
        assert_eq!(
            cost.notes,
            ["orders: long-term retention (beyond 7 days) is not in the price file, not priced"]
        );
    }

    /// Nothing to price: a zero total (not -0), the prices' date, and a note.
    #[test]
    fn nothing_to_price() {
        let cost = price_resources("us-east-1", us_east_1(), 1.0, &[], &[]);
        assert!(cost.lines.is_empty());
        assert_eq!(cost.total_usd.to_bits(), 0.0f64.to_bits());
        assert_eq!(cost.prices_as_of, "2026-12-06");
        assert_eq!(cost.notes, ["no streams or functions found"]);
        let table = cost.to_string();
        assert!(
            table.contains(" 0.000000 ") && !table.contains("-0.0"),
            "{table}"
        );
    }

    /// Large records: 100 records of 100 KB are 10,240,000 bytes, 400 units of 25,600 bytes.
    #[test]
    fn put_payload_units_follow_the_bytes_when_records_are_large() {
        assert_eq!(
            estimated_put_payload_units(100.0, 100.0 * 102_400.0, 25_600),
            400.0
        );
        assert_eq!(
            estimated_put_payload_units(7_200.0, 7_372_800.0, 25_600),
            7_200.0
        );
        assert_eq!(estimated_put_payload_units(1.0, 25_601.0, 25_600), 2.0);
        assert_eq!(estimated_put_payload_units(0.0, 0.0, 25_600), 0.0);
    }

    /// On-demand: 1 stream-hour at $0.04; 7,200 records of 1 KB are 7,372,800 bytes, which the
    /// 1 KB rounding leaves as they are: 7,372,800 / 2^30 GB at $0.08. 10 records of 1 byte
    /// are billed 10 KB. An arm64 function is priced at arm64's GB-second.
    #[test]
    fn on_demand_and_arm64() {
        let mut small = stream(StreamMode::OnDemand, 24);
        small.name = "small".into();
        small.incoming_records = 10.0;
        small.incoming_bytes = 10.0;
        let cost = price_resources(
            "us-east-1",
            us_east_1(),
            1.0,
            &[stream(StreamMode::OnDemand, 24), small],
            &[function(Architecture::Arm64)],
        );
        let q: Vec<(&str, f64)> = cost
            .lines
            .iter()
            .map(|l| (l.component.as_str(), l.quantity))
            .collect();
        assert_eq!(
            q,
            [
                ("stream-hours", 1.0),
                ("data in (estimate)", 7_372_800.0 / BYTES_PER_GB),
                ("stream-hours", 1.0),
                ("data in (estimate)", 10_240.0 / BYTES_PER_GB),
                ("requests", 1_000.0),
                ("duration (arm64)", 12.5),
            ]
        );
        close(cost.lines[0].amount_usd, 0.04);
        close(cost.lines[1].amount_usd, 7_372_800.0 / BYTES_PER_GB * 0.08);
        close(cost.lines[5].amount_usd, 12.5 * 0.0000133334);
    }
}
