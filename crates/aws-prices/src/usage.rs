//! What a load test used, in the units AWS bills.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A Kinesis stream's capacity mode, which decides what its records are billed by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamMode {
    /// Shard-hours and PUT payload units.
    #[default]
    Provisioned,
    /// Stream-hours and GB written and read.
    OnDemand,
}

/// A Lambda function's instruction set, which decides its GB-second price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Architecture {
    /// x86_64.
    X86_64,
    /// arm64 (Graviton).
    Arm64,
}

impl Architecture {
    /// The name Lambda gives it (`x86_64`, `arm64`).
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }
}

/// `count` records of `size_bytes` each: AWS bills every record on its own (PUT payload
/// units, on-demand rounding), so sizes are kept, not only their sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSizes {
    /// One record's size: its data plus its partition key, the size Kinesis's record limit
    /// counts.
    pub size_bytes: u64,
    /// How many records of that size.
    pub count: u64,
}

/// The invocations of one function configuration (memory and architecture).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LambdaUsage {
    /// The configured memory, MB.
    pub memory_mb: u32,
    /// The instruction set.
    pub architecture: Architecture,
    /// Invocations (requests).
    pub invocations: u64,
    /// The sum of the invocations' billed durations, each rounded up to a whole millisecond
    /// as Lambda bills it.
    pub billed_ms: u64,
}

impl LambdaUsage {
    /// No invocations yet of a function with this memory and architecture.
    pub fn new(memory_mb: u32, architecture: Architecture) -> Self {
        LambdaUsage {
            memory_mb,
            architecture,
            invocations: 0,
            billed_ms: 0,
        }
    }

    /// Counts one invocation that ran for `duration` (rounded up to the millisecond).
    pub fn add_invocation(&mut self, duration: Duration) {
        self.add_invocations(1, duration);
    }

    /// Counts `count` invocations that each ran for `duration`.
    pub fn add_invocations(&mut self, count: u64, duration: Duration) {
        let billed = duration.as_nanos().div_ceil(1_000_000);
        let billed = u64::try_from(billed).unwrap_or(u64::MAX);
        self.invocations = self.invocations.saturating_add(count);
        self.billed_ms = self.billed_ms.saturating_add(billed.saturating_mul(count));
    }

    /// GB-seconds: billed seconds times memory in GB (MB / 1,024, as Lambda counts it).
    pub fn gb_seconds(&self) -> f64 {
        self.billed_ms as f64 / 1000.0 * f64::from(self.memory_mb) / 1024.0
    }
}

/// What a load test used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// The stream's capacity mode.
    pub mode: StreamMode,
    /// Provisioned: shards times hours (2 shards for 10 minutes are 1/3).
    pub shard_hours: f64,
    /// Provisioned: shard-hours of retention beyond 24 hours.
    pub extended_retention_shard_hours: f64,
    /// Provisioned: enhanced fan-out consumers times shards times hours.
    pub enhanced_fan_out_consumer_shard_hours: f64,
    /// Provisioned: bytes read by enhanced fan-out consumers.
    pub enhanced_fan_out_bytes: u64,
    /// On-demand: streams times hours.
    pub stream_hours: f64,
    /// On-demand: bytes read by shared-throughput consumers (GetRecords).
    pub bytes_out: u64,
    /// The records put, by size.
    pub records: Vec<RecordSizes>,
    /// The functions invoked, one entry per memory and architecture.
    pub lambda: Vec<LambdaUsage>,
}

impl Usage {
    /// A provisioned stream's usage over `shard_hours`, nothing else yet.
    pub fn provisioned(shard_hours: f64) -> Self {
        Usage {
            mode: StreamMode::Provisioned,
            shard_hours,
            ..Usage::empty(StreamMode::Provisioned)
        }
    }

    /// An on-demand stream's usage over `stream_hours`, nothing else yet.
    pub fn on_demand(stream_hours: f64) -> Self {
        Usage {
            stream_hours,
            ..Usage::empty(StreamMode::OnDemand)
        }
    }

    fn empty(mode: StreamMode) -> Self {
        Usage {
            mode,
            shard_hours: 0.0,
            extended_retention_shard_hours: 0.0,
            enhanced_fan_out_consumer_shard_hours: 0.0,
            enhanced_fan_out_bytes: 0,
            stream_hours: 0.0,
            bytes_out: 0,
            records: Vec::new(),
            lambda: Vec::new(),
        }
    }

    /// Counts `count` records of `size_bytes` each.
    pub fn add_records(&mut self, size_bytes: u64, count: u64) {
        match self.records.iter_mut().find(|r| r.size_bytes == size_bytes) {
            Some(r) => r.count = r.count.saturating_add(count),
            None => self.records.push(RecordSizes { size_bytes, count }),
        }
    }

    /// Records put.
    pub fn record_count(&self) -> u64 {
        self.records
            .iter()
            .map(|r| r.count)
            .fold(0, u64::saturating_add)
    }

    /// Bytes put, as sent (before any billing rounding).
    pub fn bytes_in(&self) -> u64 {
        self.records
            .iter()
            .map(|r| r.size_bytes.saturating_mul(r.count))
            .fold(0, u64::saturating_add)
    }

    /// PUT payload units: each record counts its started `unit_bytes` chunks (an empty
    /// record still counts one).
    pub fn put_payload_units(&self, unit_bytes: u64) -> u64 {
        let unit_bytes = unit_bytes.max(1);
        self.records
            .iter()
            .map(|r| {
                r.size_bytes
                    .div_ceil(unit_bytes)
                    .max(1)
                    .saturating_mul(r.count)
            })
            .fold(0, u64::saturating_add)
    }

    /// Bytes billed as written in on-demand mode: each record rounded up to a multiple of
    /// `rounding_bytes` (an empty record still counts one).
    pub fn billed_bytes_in(&self, rounding_bytes: u64) -> u64 {
        let rounding_bytes = rounding_bytes.max(1);
        self.records
            .iter()
            .map(|r| {
                (r.size_bytes.div_ceil(rounding_bytes).max(1) * rounding_bytes)
                    .saturating_mul(r.count)
            })
            .fold(0, u64::saturating_add)
    }
}
