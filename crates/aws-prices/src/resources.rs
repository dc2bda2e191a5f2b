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

/// Hours of retention extended retention covers (7 days); beyond it is long-term retention.
pub const EXTENDED_RETENTION_MAX_HOURS: u32 = 168;

/// One stream: its inventory (DescribeStreamSummary, ListStreamConsumers) and its metric
/// sums over the window.
#[derive(Debug, Clone, PartialEq, Default)]
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
    /// `GetRecords.Bytes` (Sum) over the window: what shared-throughput consumers read.
    pub get_records_bytes: f64,
    /// Its enhanced fan-out consumers.
    pub consumers: Vec<ConsumerObserved>,
}

/// One enhanced fan-out consumer of a stream.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConsumerObserved {
    /// The consumer's name.
    pub name: String,
    /// `SubscribeToShardEvent.Bytes` (Sum) over the window; `None` when no datapoint exists.
    pub bytes: Option<f64>,
}

/// One function: its configuration (ListFunctions, provisioned concurrency) and its metric
/// sums over the window.
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
    /// `ProvisionedConcurrencyInvocations` (Sum) over the window.
    pub provisioned_invocations: f64,
    /// Its provisioned concurrency configurations (one per version or alias).
    pub provisioned: Vec<ProvisionedObserved>,
}

impl Default for FunctionObserved {
    fn default() -> Self {
        FunctionObserved {
            name: String::new(),
            memory_mb: 128,
            architecture: Architecture::X86_64,
            invocations: 0.0,
            duration_ms: 0.0,
            provisioned_invocations: 0.0,
            provisioned: Vec::new(),
        }
    }
}

/// One provisioned concurrency configuration of a function.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvisionedObserved {
    /// The version or alias it is configured on.
    pub qualifier: String,
    /// The concurrency configured (`RequestedProvisionedConcurrentExecutions`): AWS bills
    /// what is configured, from when it is enabled.
    pub configured: u32,
    /// The memory of the version it keeps ready, MB.
    pub memory_mb: u32,
}

/// One SQS queue: its name (ListQueues) and its metric sums over the window.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueueObserved {
    /// The queue's name; a FIFO queue's ends in `.fifo`.
    pub name: String,
    /// `NumberOfMessagesSent` (Sum).
    pub sent: f64,
    /// `NumberOfMessagesReceived` (Sum).
    pub received: f64,
    /// `NumberOfMessagesDeleted` (Sum).
    pub deleted: f64,
    /// `NumberOfEmptyReceives` (Sum).
    pub empty_receives: f64,
    /// `SentMessageSize` (Average), bytes; 0 without data.
    pub average_message_bytes: f64,
}

impl QueueObserved {
    /// Whether it is a FIFO queue (its name ends in `.fifo`).
    pub fn is_fifo(&self) -> bool {
        self.name.ends_with(".fifo")
    }
}

/// The account's CloudWatch usage: what exists now and the metrics requested.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CloudWatchObserved {
    /// Custom metrics (ListMetrics series outside the `AWS/` namespaces, which are free).
    pub custom_metrics: u64,
    /// Metrics watched by standard-resolution metric alarms (period of 60 s or more).
    pub standard_alarm_metrics: u64,
    /// Metrics watched by high-resolution metric alarms (period under 60 s).
    pub high_resolution_alarm_metrics: u64,
    /// Composite alarms.
    pub composite_alarms: u64,
    /// Dashboards.
    pub dashboards: u64,
    /// Metrics this report requested through GetMetricData (counted, not estimated).
    pub report_metrics_requested: f64,
    /// Metrics a collection requests through GetMetricData over the window, when known:
    /// `(metrics, how it was estimated)`.
    pub collection_metrics_requested: Option<(f64, String)>,
}

/// Data transfer out to the internet, which no metric shows: only what the user states.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EgressObserved {
    /// GB out over the window.
    pub gb: f64,
    /// Where the figure comes from (`--egress-gb 2`, `10% of GetRecords bytes`), or `None`
    /// when none was given and 0 is assumed.
    pub basis: Option<String>,
}

/// Everything priced: the inventory and metric sums of one region over a window.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Observed {
    /// Kinesis streams.
    pub streams: Vec<StreamObserved>,
    /// Lambda functions.
    pub functions: Vec<FunctionObserved>,
    /// SQS queues.
    pub queues: Vec<QueueObserved>,
    /// CloudWatch; `None` leaves CloudWatch out.
    pub cloudwatch: Option<CloudWatchObserved>,
    /// Data transfer out; `None` leaves it out.
    pub egress: Option<EgressObserved>,
}

/// One billed component of one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceLine {
    /// `Kinesis`, `Lambda`, `SQS`, `CloudWatch` or `DataTransfer`.
    pub service: String,
    /// The stream's, consumer's (`stream/consumer`), function's (`function:qualifier` for
    /// provisioned concurrency) or queue's name; `account` or `internet` for the rest.
    pub resource: String,
    /// What is billed (`shard-hours`, `PUT payload units (estimate)`); a name ending in
    /// ` (estimate)` is estimated from metrics or assumptions rather than counted as AWS bills.
    pub component: String,
    /// How much of it over the window, in `unit`s.
    pub quantity: f64,
    /// The unit of `quantity`.
    pub unit: String,
    /// Whether the quantity is estimated from metric sums rather than counted as AWS bills.
    pub estimate: bool,
    /// The price of one `unit`, US dollars.
    pub usd_per_unit: f64,
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
    /// The price file read: `built-in` or the override file's path.
    pub prices_file: String,
    /// The oldest `as_of` date of the price blocks.
    pub prices_as_of: String,
    /// The window, hours.
    pub window_hours: f64,
    /// One line per resource and component: streams, functions, queues, CloudWatch, data
    /// transfer.
    pub lines: Vec<ResourceLine>,
    /// The sum of the lines over the window, US dollars.
    pub total_usd: f64,
    /// The total projected to a month of [`HOURS_PER_MONTH`].
    pub monthly_usd: f64,
    /// How estimates were made and what was left out.
    pub notes: Vec<String>,
}

/// PUT payload units estimated from sums: each record is at least one unit, and the bytes
/// need at least `ceil(bytes / unit_bytes)`; the larger of the two (exact only when no
/// record is larger than a unit and the bytes are evenly spread).
pub fn estimated_put_payload_units(records: f64, bytes: f64, unit_bytes: u64) -> f64 {
    let by_bytes = (bytes.max(0.0) / unit_bytes.max(1) as f64).ceil();
    records.max(0.0).ceil().max(by_bytes)
}

/// SQS requests estimated from a queue's sums: every message sent or received is billed per
/// started `chunk_bytes` of its size (the average `SentMessageSize` stands for every
/// message), each deletion and empty receive is one request. Batches (up to 10 messages a
/// request) are counted message by message, so this is an upper bound for batched traffic.
pub fn estimated_sqs_requests(q: &QueueObserved, chunk_bytes: u64) -> f64 {
    let chunks = (q.average_message_bytes.max(0.0) / chunk_bytes.max(1) as f64)
        .ceil()
        .max(1.0);
    (q.sent.max(0.0) + q.received.max(0.0)) * chunks
        + q.deleted.max(0.0)
        + q.empty_receives.max(0.0)
}

/// GB held in a band of retention `[from_hours, to_hours)` at a steady state where the
/// window's incoming bytes per hour are written every hour.
fn retained_gb(incoming_bytes: f64, window_hours: f64, from_hours: u32, to_hours: u32) -> f64 {
    if window_hours <= 0.0 || to_hours <= from_hours {
        return 0.0;
    }
    incoming_bytes.max(0.0) / window_hours * f64::from(to_hours - from_hours) / BYTES_PER_GB
}

struct Lines {
    window_hours: f64,
    lines: Vec<ResourceLine>,
    service: &'static str,
}

impl Lines {
    /// A line; `estimate` appends ` (estimate)` to the component's name.
    fn push(
        &mut self,
        resource: &str,
        component: &str,
        quantity: f64,
        unit: &str,
        usd_per_unit: f64,
        estimate: bool,
    ) {
        let amount_usd = quantity * usd_per_unit;
        self.lines.push(ResourceLine {
            service: self.service.to_string(),
            resource: resource.to_string(),
            component: if estimate {
                format!("{component} (estimate)")
            } else {
                component.to_string()
            },
            quantity,
            unit: unit.to_string(),
            estimate,
            usd_per_unit,
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

/// Prices `streams` and `functions` observed over `window_hours` at `prices` (see
/// [`price_observed`]).
pub fn price_resources(
    region: &str,
    prices: &RegionPrices,
    window_hours: f64,
    streams: &[StreamObserved],
    functions: &[FunctionObserved],
) -> ResourceCost {
    let observed = Observed {
        streams: streams.to_vec(),
        functions: functions.to_vec(),
        ..Observed::default()
    };
    price_observed(region, prices, window_hours, &observed)
}

/// Prices what was observed over `window_hours` at `prices`:
///
/// - a provisioned stream: shard-hours (open shards × hours, as if the stream had them for
///   the whole window), PUT payload units estimated with [`estimated_put_payload_units`],
///   extended retention shard-hours when its retention is over 24 hours, long-term
///   retention GB-months beyond 7 days (an estimate: the window's incoming bytes per hour
///   times the hours retained beyond 7 days, a steady state), and per enhanced fan-out
///   consumer its consumer-shard-hours and the GB it read (`SubscribeToShardEvent.Bytes`);
/// - an on-demand stream: stream-hours, GB written (an estimate: each record is billed at
///   least `record_rounding_bytes`, so at least `max(bytes, records × rounding)`), GB read
///   (`GetRecords.Bytes`), GB read by each enhanced fan-out consumer, and extended and
///   long-term retention GB-months estimated as above;
/// - a function: requests, GB-seconds at its architecture's price and, with provisioned
///   concurrency, the GB-seconds configured (configured × memory × window, as if configured
///   the whole window) at the provisioned price; its duration is then split between the
///   provisioned and the standard price by `ProvisionedConcurrencyInvocations` /
///   `Invocations` (an estimate);
/// - a queue: requests estimated with [`estimated_sqs_requests`] at the standard or FIFO
///   price;
/// - CloudWatch: custom metric-months, alarm metric-months (standard, high resolution),
///   composite alarm-months, dashboard-months beyond the free ones, and the metrics
///   requested through GetMetricData by this report and (estimated) by a collection;
/// - data transfer out to the internet: the GB the user stated (an estimate).
///
/// List prices of the first tier, free tiers not applied except the free dashboards.
pub fn price_observed(
    region: &str,
    prices: &RegionPrices,
    window_hours: f64,
    observed: &Observed,
) -> ResourceCost {
    let mut out = Lines {
        window_hours,
        lines: Vec::new(),
        service: "Kinesis",
    };
    let mut notes = Vec::new();
    if observed.streams.is_empty() && observed.functions.is_empty() && observed.queues.is_empty() {
        notes.push("no streams or functions found".to_string());
    }
    let months = window_hours / HOURS_PER_MONTH;
    let mut long_term = false;
    for s in &observed.streams {
        let name = s.name.as_str();
        let extended_gb = retained_gb(
            s.incoming_bytes,
            window_hours,
            INCLUDED_RETENTION_HOURS,
            s.retention_hours.min(EXTENDED_RETENTION_MAX_HOURS),
        );
        let long_term_gb = retained_gb(
            s.incoming_bytes,
            window_hours,
            EXTENDED_RETENTION_MAX_HOURS,
            s.retention_hours,
        );
        let efo_gb = |c: &ConsumerObserved| c.bytes.unwrap_or(0.0).max(0.0) / BYTES_PER_GB;
        match s.mode {
            StreamMode::Provisioned => {
                let p = &prices.kinesis_provisioned;
                let shard_hours = f64::from(s.open_shards) * window_hours;
                out.push(
                    name,
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
                    name,
                    "PUT payload units",
                    units,
                    "unit",
                    p.put_payload_units_per_million / 1_000_000.0,
                    true,
                );
                if s.retention_hours > INCLUDED_RETENTION_HOURS {
                    out.push(
                        name,
                        "extended retention",
                        shard_hours,
                        "shard-hour",
                        p.extended_retention_shard_hour,
                        false,
                    );
                }
                if s.retention_hours > EXTENDED_RETENTION_MAX_HOURS {
                    long_term = true;
                    out.push(
                        name,
                        "long-term retention",
                        long_term_gb * months,
                        "GB-month",
                        p.long_term_retention_gb_month,
                        true,
                    );
                }
                for c in &s.consumers {
                    let resource = format!("{name}/{}", c.name);
                    out.push(
                        &resource,
                        "enhanced fan-out consumer-shard-hours",
                        shard_hours,
                        "consumer-shard-hour",
                        p.enhanced_fan_out_consumer_shard_hour,
                        false,
                    );
                    out.push(
                        &resource,
                        "enhanced fan-out data retrieved",
                        efo_gb(c),
                        "GB",
                        p.enhanced_fan_out_gb_retrieved,
                        false,
                    );
                }
            }
            StreamMode::OnDemand => {
                let p = &prices.kinesis_on_demand;
                out.push(
                    name,
                    "stream-hours",
                    window_hours,
                    "stream-hour",
                    p.stream_hour,
                    false,
                );
                let rounded = s.incoming_records.max(0.0) * p.record_rounding_bytes as f64;
                let gb = s.incoming_bytes.max(rounded) / BYTES_PER_GB;
                out.push(name, "data in", gb, "GB", p.gb_ingested, true);
                // Shown when the stream was read: nothing read is nothing billed.
                if s.get_records_bytes > 0.0 {
                    out.push(
                        name,
                        "data out",
                        s.get_records_bytes / BYTES_PER_GB,
                        "GB",
                        p.gb_retrieved,
                        false,
                    );
                }
                if s.retention_hours > INCLUDED_RETENTION_HOURS {
                    out.push(
                        name,
                        "extended retention",
                        extended_gb * months,
                        "GB-month",
                        p.extended_retention_gb_month,
                        true,
                    );
                }
                if s.retention_hours > EXTENDED_RETENTION_MAX_HOURS {
                    long_term = true;
                    out.push(
                        name,
                        "long-term retention",
                        long_term_gb * months,
                        "GB-month",
                        p.long_term_retention_gb_month,
                        true,
                    );
                }
                for c in &s.consumers {
                    out.push(
                        &format!("{name}/{}", c.name),
                        "enhanced fan-out data retrieved",
                        efo_gb(c),
                        "GB",
                        p.enhanced_fan_out_gb_retrieved,
                        false,
                    );
                }
            }
        }
        for c in s.consumers.iter().filter(|c| c.bytes.is_none()) {
            notes.push(format!(
                "{name}/{}: no SubscribeToShardEvent.Bytes data in the window; its data retrieved is taken as 0",
                c.name
            ));
        }
    }
    if long_term {
        notes.push(
            "retention GB-months are estimated as the window's incoming bytes per hour times the \
             hours retained in each band (a steady state); reads of long-term retained data are not priced"
                .to_string(),
        );
    }
    out.service = "Lambda";
    let mut split = false;
    for f in &observed.functions {
        let p = &prices.lambda;
        let name = f.name.as_str();
        out.push(
            name,
            "requests",
            f.invocations.max(0.0),
            "request",
            p.requests_per_million / 1_000_000.0,
            false,
        );
        let gb_seconds = f.duration_ms.max(0.0) / 1000.0 * f64::from(f.memory_mb) / 1024.0;
        let (price, pc_price, pc_duration_price) = match f.architecture {
            Architecture::X86_64 => (
                p.gb_second_x86_64,
                p.provisioned_concurrency_gb_second_x86_64,
                p.provisioned_duration_gb_second_x86_64,
            ),
            Architecture::Arm64 => (
                p.gb_second_arm64,
                p.provisioned_concurrency_gb_second_arm64,
                p.provisioned_duration_gb_second_arm64,
            ),
        };
        let arch = f.architecture.as_str();
        if f.provisioned.is_empty() {
            out.push(
                name,
                &format!("duration ({arch})"),
                gb_seconds,
                "GB-second",
                price,
                false,
            );
            continue;
        }
        let share = if f.invocations > 0.0 {
            (f.provisioned_invocations.max(0.0) / f.invocations).min(1.0)
        } else {
            0.0
        };
        split = true;
        out.push(
            name,
            &format!("duration ({arch})"),
            gb_seconds * (1.0 - share),
            "GB-second",
            price,
            true,
        );
        out.push(
            name,
            &format!("provisioned duration ({arch})"),
            gb_seconds * share,
            "GB-second",
            pc_duration_price,
            true,
        );
        for pc in &f.provisioned {
            let allocated =
                f64::from(pc.configured) * f64::from(pc.memory_mb) / 1024.0 * window_hours * 3600.0;
            out.push(
                &format!("{name}:{}", pc.qualifier),
                &format!("provisioned concurrency ({arch})"),
                allocated,
                "GB-second",
                pc_price,
                false,
            );
        }
    }
    if split {
        notes.push(
            "a function with provisioned concurrency has its duration split between the provisioned \
             and the standard price by ProvisionedConcurrencyInvocations / Invocations; provisioned \
             concurrency is priced as configured now for the whole window"
                .to_string(),
        );
    }
    out.service = "SQS";
    for q in &observed.queues {
        let p = &prices.sqs;
        let (price, kind) = if q.is_fifo() {
            (p.fifo_requests_per_million, "FIFO")
        } else {
            (p.requests_per_million, "standard")
        };
        out.push(
            &q.name,
            &format!("requests ({kind})"),
            estimated_sqs_requests(q, p.request_chunk_bytes),
            "request",
            price / 1_000_000.0,
            true,
        );
    }
    if !observed.queues.is_empty() {
        notes.push(format!(
            "SQS requests are estimated: each message sent or received counts once per started {} KB \
             of the average SentMessageSize, each deletion and empty receive once (batches counted \
             message by message, so an upper bound); the free first million requests a month is not applied",
            prices.sqs.request_chunk_bytes / 1024
        ));
    }
    out.service = "CloudWatch";
    if let Some(cw) = &observed.cloudwatch {
        let p = &prices.cloudwatch;
        out.push(
            "account",
            "custom metrics",
            cw.custom_metrics as f64 * months,
            "metric-month",
            p.custom_metric_month,
            false,
        );
        out.push(
            "account",
            "alarm metrics (standard resolution)",
            cw.standard_alarm_metrics as f64 * months,
            "alarm metric-month",
            p.alarm_metric_month_standard,
            false,
        );
        out.push(
            "account",
            "alarm metrics (high resolution)",
            cw.high_resolution_alarm_metrics as f64 * months,
            "alarm metric-month",
            p.alarm_metric_month_high_resolution,
            false,
        );
        out.push(
            "account",
            "composite alarms",
            cw.composite_alarms as f64 * months,
            "alarm-month",
            p.composite_alarm_month,
            false,
        );
        let billed = cw.dashboards.saturating_sub(u64::from(p.free_dashboards));
        out.push(
            "account",
            "dashboards",
            billed as f64 * months,
            "dashboard-month",
            p.dashboard_month,
            false,
        );
        out.push(
            "account",
            "GetMetricData metrics requested (this report)",
            cw.report_metrics_requested.max(0.0),
            "metric",
            p.usd_per_metric_requested(),
            false,
        );
        if let Some((metrics, how)) = &cw.collection_metrics_requested {
            out.push(
                "collection",
                "GetMetricData metrics requested",
                metrics.max(0.0),
                "metric",
                p.usd_per_metric_requested(),
                true,
            );
            notes.push(format!(
                "the collection's GetMetricData requests are estimated: {how}"
            ));
        }
        notes.push(format!(
            "CloudWatch: {} dashboards, the first {} free (free tier); metrics in AWS/ namespaces are \
             free and not counted; metrics, alarms and dashboards are priced as they exist now for the whole window",
            cw.dashboards, p.free_dashboards
        ));
    }
    out.service = "DataTransfer";
    if let Some(egress) = &observed.egress {
        out.push(
            "internet",
            "data transfer out",
            egress.gb.max(0.0),
            "GB",
            prices.data_transfer.internet_out_gb,
            true,
        );
        notes.push(match &egress.basis {
            Some(basis) => format!(
                "data transfer out to the internet is what was stated ({basis}); no metric shows it"
            ),
            None => {
                "data transfer out to the internet is taken as 0: no metric shows it; state it \
                     with --egress-gb or --egress-share"
                    .to_string()
            }
        });
    }
    let total_usd = out.lines.iter().fold(0.0, |sum, l| sum + l.amount_usd);
    ResourceCost {
        region: region.to_string(),
        prices_file: "built-in".to_string(),
        prices_as_of: prices
            .sources()
            .iter()
            .map(|(_, _, as_of)| *as_of)
            .min()
            .unwrap_or_default()
            .to_string(),
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
                "{:<12} {:<24} {:<48} {:>16} {:<19} {:>12} {:>12}",
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
            "{} list prices as of {} ({} prices), first tier, free tier not applied unless a note \
             says so; a month is {} hours; \"(estimate)\" marks figures estimated from metric sums",
            self.region, self.prices_as_of, self.prices_file, HOURS_PER_MONTH
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
            ..StreamObserved::default()
        }
    }

    fn function(architecture: Architecture) -> FunctionObserved {
        FunctionObserved {
            name: "consumer".into(),
            memory_mb: 128,
            architecture,
            invocations: 1_000.0,
            duration_ms: 1_000.0 * 100.0,
            ..FunctionObserved::default()
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

    /// Retention of 48 hours adds its shard-hours at $0.020. Retention of 200 hours also
    /// keeps 200 - 168 = 32 hours of data beyond 7 days: 7,372,800 bytes an hour is
    /// 32 x 7,372,800 / 2^30 GB held, for 1/730 of a month at $0.023 per GB-month.
    /// (Issue 16 prices long-term retention; before it was only noted.)
    #[test]
    fn extended_and_long_term_retention_are_priced() {
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
        assert_eq!(cost.lines.len(), 4);
        let lt = &cost.lines[3];
        assert_eq!(lt.component, "long-term retention (estimate)");
        assert!(lt.estimate);
        let gb_month = 32.0 * 7_372_800.0 / BYTES_PER_GB / 730.0;
        close(lt.quantity, gb_month);
        close(lt.amount_usd, gb_month * 0.023);
        assert_eq!(cost.notes.len(), 1, "{:?}", cost.notes);
    }

    /// A provisioned stream of 2 shards for 1 hour with two enhanced fan-out consumers, one
    /// having read 2 GiB and one with no data: 2 consumer-shard-hours each at $0.015, and
    /// 2 GB at $0.013 (the other 0, noted).
    #[test]
    fn enhanced_fan_out_consumers() {
        let mut s = stream(StreamMode::Provisioned, 24);
        s.consumers = vec![
            ConsumerObserved {
                name: "efo-a".into(),
                bytes: Some(2.0 * BYTES_PER_GB),
            },
            ConsumerObserved {
                name: "efo-b".into(),
                bytes: None,
            },
        ];
        let cost = price_resources("us-east-1", us_east_1(), 1.0, &[s], &[]);
        let got: Vec<(&str, &str, f64)> = cost.lines[2..]
            .iter()
            .map(|l| (l.resource.as_str(), l.component.as_str(), l.quantity))
            .collect();
        assert_eq!(
            got,
            [
                ("orders/efo-a", "enhanced fan-out consumer-shard-hours", 2.0),
                ("orders/efo-a", "enhanced fan-out data retrieved", 2.0),
                ("orders/efo-b", "enhanced fan-out consumer-shard-hours", 2.0),
                ("orders/efo-b", "enhanced fan-out data retrieved", 0.0),
            ]
        );
        close(cost.lines[2].amount_usd, 0.03);
        close(cost.lines[3].amount_usd, 0.026);
        close(cost.lines[4].amount_usd, 0.03);
        assert_eq!(cost.lines[5].amount_usd, 0.0);
        assert_eq!(
            cost.notes,
            [
                "orders/efo-b: no SubscribeToShardEvent.Bytes data in the window; its data retrieved is taken as 0"
            ]
        );
    }

    /// On-demand, 2 hours, retention 200 hours: 3 GiB read by GetRecords at $0.04; a
    /// consumer's 1 GiB at $0.05; extended retention (24..168 h: 144 h of the 7,372,800 bytes
    /// written in 2 hours, so 3,686,400 bytes an hour) and long-term (32 h) in GB-months of
    /// 2/730 at $0.10 and $0.023.
    #[test]
    fn on_demand_data_out_fan_out_and_retention() {
        let mut s = stream(StreamMode::OnDemand, 200);
        s.get_records_bytes = 3.0 * BYTES_PER_GB;
        s.consumers = vec![ConsumerObserved {
            name: "efo".into(),
            bytes: Some(BYTES_PER_GB),
        }];
        let cost = price_resources("us-east-1", us_east_1(), 2.0, &[s], &[]);
        let find = |c: &str| {
            cost.lines
                .iter()
                .find(|l| l.component == c)
                .unwrap_or_else(|| panic!("no {c}: {:?}", cost.lines))
        };
        close(find("data out").quantity, 3.0);
        close(find("data out").amount_usd, 0.12);
        close(find("enhanced fan-out data retrieved").amount_usd, 0.05);
        assert_eq!(
            find("enhanced fan-out data retrieved").resource,
            "orders/efo"
        );
        let per_hour = 7_372_800.0 / 2.0 / BYTES_PER_GB;
        let months = 2.0 / 730.0;
        close(
            find("extended retention (estimate)").quantity,
            per_hour * 144.0 * months,
        );
        close(
            find("extended retention (estimate)").amount_usd,
            per_hour * 144.0 * months * 0.10,
        );
        close(
            find("long-term retention (estimate)").amount_usd,
            per_hour * 32.0 * months * 0.023,
        );
        assert!(
            !cost
                .lines
                .iter()
                .any(|l| l.component.contains("consumer-shard-hours")),
            "on-demand has no consumer-shard-hours"
        );
    }

    /// A 1,024 MB x86_64 function with 10 provisioned instances on alias `live` for 1 hour:
    /// 10 x 1 GB x 3,600 s = 36,000 GB-s at $0.0000041667. 1,000 invocations of 100 ms
    /// (100 GB-s), 750 of them on provisioned concurrency: 75 GB-s at $0.0000097222 and 25 at
    /// $0.0000166667.
    #[test]
    fn provisioned_concurrency() {
        let f = FunctionObserved {
            name: "pc".into(),
            memory_mb: 1024,
            invocations: 1_000.0,
            duration_ms: 100_000.0,
            provisioned_invocations: 750.0,
            provisioned: vec![ProvisionedObserved {
                qualifier: "live".into(),
                configured: 10,
                memory_mb: 1024,
            }],
            ..FunctionObserved::default()
        };
        let cost = price_resources("us-east-1", us_east_1(), 1.0, &[], &[f]);
        let got: Vec<(&str, &str, f64)> = cost
            .lines
            .iter()
            .map(|l| (l.resource.as_str(), l.component.as_str(), l.quantity))
            .collect();
        assert_eq!(
            got,
            [
                ("pc", "requests", 1_000.0),
                ("pc", "duration (x86_64) (estimate)", 25.0),
                ("pc", "provisioned duration (x86_64) (estimate)", 75.0),
                ("pc:live", "provisioned concurrency (x86_64)", 36_000.0),
            ]
        );
        close(cost.lines[1].amount_usd, 25.0 * 0.0000166667);
        close(cost.lines[2].amount_usd, 75.0 * 0.0000097222);
        close(cost.lines[3].amount_usd, 36_000.0 * 0.0000041667);
        close(cost.lines[3].monthly_usd, 36_000.0 * 0.0000041667 * 730.0);
    }

    /// A standard queue: 1,000 messages of 100 KB average sent (2 chunks of 64 KB each),
    /// 1,000 received (2 chunks), 1,000 deleted, 50 empty receives: 5,050 requests at $0.40
    /// per million. A FIFO queue with 10 small messages sent: 10 requests at $0.50 per
    /// million.
    #[test]
    fn sqs_queues_standard_and_fifo() {
        let queues = vec![
            QueueObserved {
                name: "orders-dlq".into(),
                sent: 1_000.0,
                received: 1_000.0,
                deleted: 1_000.0,
                empty_receives: 50.0,
                average_message_bytes: 100.0 * 1024.0,
            },
            QueueObserved {
                name: "orders.fifo".into(),
                sent: 10.0,
                average_message_bytes: 200.0,
                ..QueueObserved::default()
            },
        ];
        let observed = Observed {
            queues,
            ..Observed::default()
        };
        let cost = price_observed("us-east-1", us_east_1(), 1.0, &observed);
        assert_eq!(cost.lines[0].component, "requests (standard) (estimate)");
        assert_eq!(cost.lines[0].quantity, 5_050.0);
        close(cost.lines[0].amount_usd, 5_050.0 * 0.40 / 1e6);
        assert_eq!(cost.lines[1].component, "requests (FIFO) (estimate)");
        assert_eq!(cost.lines[1].quantity, 10.0);
        close(cost.lines[1].amount_usd, 10.0 * 0.50 / 1e6);
        assert!(cost.notes.iter().any(|n| n.contains("free first million")));
    }

    /// CloudWatch over 73 hours (a tenth of a month): 20 custom metrics (2 metric-months at
    /// $0.30), 4 standard alarm metrics (0.4 at $0.10), 1 high-resolution (0.1 at $0.30), 1
    /// composite (0.1 at $0.50), 5 dashboards of which 3 are free (0.2 at $3), 2,000 metrics
    /// requested by the report and 100,000 by a collection ($0.01 per 1,000); 10 GB out to
    /// the internet at $0.09.
    #[test]
    fn cloudwatch_and_data_transfer() {
        let observed = Observed {
            cloudwatch: Some(CloudWatchObserved {
                custom_metrics: 20,
                standard_alarm_metrics: 4,
                high_resolution_alarm_metrics: 1,
                composite_alarms: 1,
                dashboards: 5,
                report_metrics_requested: 2_000.0,
                collection_metrics_requested: Some((100_000.0, "test".into())),
            }),
            egress: Some(EgressObserved {
                gb: 10.0,
                basis: Some("--egress-gb 10".into()),
            }),
            ..Observed::default()
        };
        let cost = price_observed("us-east-1", us_east_1(), 73.0, &observed);
        let got: Vec<(&str, &str, f64)> = cost
            .lines
            .iter()
            .map(|l| (l.resource.as_str(), l.component.as_str(), l.amount_usd))
            .collect();
        let expected = [
            ("account", "custom metrics", 2.0 * 0.30),
            ("account", "alarm metrics (standard resolution)", 0.4 * 0.10),
            ("account", "alarm metrics (high resolution)", 0.1 * 0.30),
            ("account", "composite alarms", 0.1 * 0.50),
            ("account", "dashboards", 0.2 * 3.0),
            (
                "account",
                "GetMetricData metrics requested (this report)",
                0.02,
            ),
            (
                "collection",
                "GetMetricData metrics requested (estimate)",
                1.0,
            ),
            ("internet", "data transfer out (estimate)", 0.9),
        ];
        assert_eq!(got.len(), expected.len(), "{got:?}");
        for ((r, c, a), (er, ec, ea)) in got.iter().zip(expected) {
            assert_eq!((*r, *c), (er, ec));
            close(*a, ea);
        }
        close(
            cost.total_usd,
            0.6 + 0.04 + 0.03 + 0.05 + 0.6 + 0.02 + 1.0 + 0.9,
        );
        assert!(cost.notes.iter().any(|n| n.contains("the first 3 free")));
        let table = cost.to_string();
        assert!(table.contains("data transfer out (estimate)"), "{table}");
        let none = Observed {
            egress: Some(EgressObserved::default()),
            ..Observed::default()
        };
        let cost = price_observed("us-east-1", us_east_1(), 1.0, &none);
        assert_eq!(cost.lines[0].quantity, 0.0);
        assert!(cost.notes.iter().any(|n| n.contains("taken as 0")));
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
