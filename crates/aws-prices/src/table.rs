//! The price file's shape: regions, then one block per service.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::{PRICES_TOML, PriceError};

/// Every region's prices, as read from a price file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    /// Prices by region name (`us-east-1`).
    pub regions: BTreeMap<String, RegionPrices>,
}

impl PriceTable {
    /// Reads a price file in the format of `prices.toml`; every field of every block is
    /// required and an unknown one is an error, so a typo cannot silently price at zero.
    pub fn from_toml(text: &str) -> Result<Self, PriceError> {
        toml::from_str(text).map_err(|e| PriceError::PriceFile(e.to_string()))
    }

    /// The price file built into the crate, parsed on first use.
    pub fn embedded() -> Result<&'static PriceTable, PriceError> {
        static TABLE: OnceLock<Result<PriceTable, PriceError>> = OnceLock::new();
        TABLE
            .get_or_init(|| PriceTable::from_toml(PRICES_TOML))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The prices of one region.
    pub fn for_region(&self, region: &str) -> Result<&RegionPrices, PriceError> {
        self.regions
            .get(region)
            .ok_or_else(|| PriceError::UnknownRegion {
                region: region.to_string(),
                known: self.regions.keys().cloned().collect(),
            })
    }
}

/// One region's prices, one block per service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionPrices {
    /// Kinesis Data Streams, provisioned capacity mode.
    pub kinesis_provisioned: KinesisProvisionedPrices,
    /// Kinesis Data Streams, on-demand capacity mode.
    pub kinesis_on_demand: KinesisOnDemandPrices,
    /// AWS Lambda.
    pub lambda: LambdaPrices,
    /// Amazon SQS, standard queues.
    pub sqs: SqsPrices,
    /// Amazon SNS, standard topics.
    pub sns: SnsPrices,
    /// Amazon CloudWatch and CloudWatch Logs.
    pub cloudwatch: CloudWatchPrices,
}

/// Kinesis Data Streams in provisioned mode, US dollars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KinesisProvisionedPrices {
    /// The AWS pricing page the prices come from.
    pub source: String,
    /// When they were checked (YYYY-MM-DD).
    pub as_of: String,
    /// Per shard and hour.
    pub shard_hour: f64,
    /// Per million PUT payload units.
    pub put_payload_units_per_million: f64,
    /// The size of a PUT payload unit: each started chunk of a record is one unit.
    pub put_payload_unit_bytes: u64,
    /// Per shard and hour of retention beyond 24 hours (up to 7 days).
    pub extended_retention_shard_hour: f64,
    /// Per enhanced fan-out consumer, shard and hour.
    pub enhanced_fan_out_consumer_shard_hour: f64,
    /// Per GB read by enhanced fan-out consumers.
    pub enhanced_fan_out_gb_retrieved: f64,
}

/// Kinesis Data Streams in on-demand mode, US dollars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KinesisOnDemandPrices {
    /// The AWS pricing page the prices come from.
    pub source: String,
    /// When they were checked (YYYY-MM-DD).
    pub as_of: String,
    /// Per stream and hour.
    pub stream_hour: f64,
    /// Per GB written.
    pub gb_ingested: f64,
    /// Per GB read (shared-throughput consumers).
    pub gb_retrieved: f64,
    /// Each record written is billed as its size rounded up to a multiple of this.
    pub record_rounding_bytes: u64,
}

/// AWS Lambda, US dollars; the free tier is not applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaPrices {
    /// The AWS pricing page the prices come from.
    pub source: String,
    /// When they were checked (YYYY-MM-DD).
    pub as_of: String,
    /// Per million requests (invocations).
    pub requests_per_million: f64,
    /// Per GB-second on x86_64 (first tier).
    pub gb_second_x86_64: f64,
    /// Per GB-second on arm64 (first tier).
    pub gb_second_arm64: f64,
    /// Each invocation's duration is rounded up to a multiple of this many milliseconds.
    pub billing_granularity_ms: u64,
}

/// Amazon SQS standard queues, US dollars; the free tier is not applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqsPrices {
    /// The AWS pricing page the prices come from.
    pub source: String,
    /// When they were checked (YYYY-MM-DD).
    pub as_of: String,
    /// Per million requests (first tier).
    pub requests_per_million: f64,
    /// Each started chunk of this size of a request's payload counts as one request.
    pub request_chunk_bytes: u64,
}

/// Amazon SNS standard topics, US dollars; the free tier is not applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnsPrices {
    /// The AWS pricing page the prices come from.
    pub source: String,
    /// When they were checked (YYYY-MM-DD).
    pub as_of: String,
    /// Per million publishes (API requests).
    pub publishes_per_million: f64,
    /// Each started chunk of this size of published data counts as one publish.
    pub publish_chunk_bytes: u64,
}

/// Amazon CloudWatch, US dollars; the free tier is not applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudWatchPrices {
    /// The AWS pricing page the prices come from.
    pub source: String,
    /// When they were checked (YYYY-MM-DD).
    pub as_of: String,
    /// GetMetricData, per 1,000 metrics requested.
    pub get_metric_data_per_thousand_metrics: f64,
    /// Per custom metric and month (first 10,000 metrics).
    pub custom_metric_month: f64,
    /// Per standard-resolution alarm metric and month.
    pub alarm_metric_month_standard: f64,
    /// Per high-resolution alarm metric and month.
    pub alarm_metric_month_high_resolution: f64,
    /// Per dashboard and month.
    pub dashboard_month: f64,
    /// PutMetricData (and other List/Get/Put/Delete calls), per 1,000 requests.
    pub put_metric_data_per_thousand_requests: f64,
    /// CloudWatch Logs, per GB ingested (standard log class).
    pub logs_ingestion_gb: f64,
}

impl CloudWatchPrices {
    /// What one metric requested through GetMetricData costs.
    pub fn usd_per_metric_requested(&self) -> f64 {
        self.get_metric_data_per_thousand_metrics / 1000.0
    }
}
