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

    /// The price file built into the crate with the blocks of `overrides` (a price file of
    /// the same format) put in place of the built-in ones: each block it names replaces that
    /// region's block whole (every field required); a region the built-in file lacks must
    /// name every block.
    pub fn with_overrides(overrides: &str) -> Result<Self, PriceError> {
        let bad = |e: toml::de::Error| PriceError::PriceFile(e.to_string());
        let mut base: toml::Table = toml::from_str(PRICES_TOML).map_err(bad)?;
        let over: toml::Table = toml::from_str(overrides).map_err(bad)?;
        let not_a_table = |what: &str| PriceError::PriceFile(format!("{what} is not a table"));
        for (key, value) in over {
            if key != "regions" {
                return Err(PriceError::PriceFile(format!(
                    "unknown top-level key `{key}` (only `regions`)"
                )));
            }
            let toml::Value::Table(regions) = value else {
                return Err(not_a_table("regions"));
            };
            let base_regions = base
                .entry("regions")
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                .as_table_mut()
                .ok_or_else(|| not_a_table("regions"))?;
            for (region, blocks) in regions {
                let toml::Value::Table(blocks) = blocks else {
                    return Err(not_a_table(&format!("regions.{region}")));
                };
                let target = base_regions
                    .entry(region.clone())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                    .as_table_mut()
                    .ok_or_else(|| not_a_table(&format!("regions.{region}")))?;
                for (block, fields) in blocks {
                    target.insert(block, fields);
                }
            }
        }
        toml::Value::Table(base).try_into().map_err(bad)
    }

    /// The built-in table, or the built-in table with the blocks of an override file's text.
    pub fn load(
        overrides: Option<&str>,
    ) -> Result<std::borrow::Cow<'static, PriceTable>, PriceError> {
        match overrides {
            None => Ok(std::borrow::Cow::Borrowed(PriceTable::embedded()?)),
            Some(text) => Ok(std::borrow::Cow::Owned(PriceTable::with_overrides(text)?)),
        }
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
    /// Data transfer out of AWS.
    pub data_transfer: DataTransferPrices,
}

impl RegionPrices {
    /// Every block's `source` and `as_of`, by block name.
    pub fn sources(&self) -> [(&'static str, &str, &str); 7] {
        [
            (
                "kinesis_provisioned",
                &self.kinesis_provisioned.source,
                &self.kinesis_provisioned.as_of,
            ),
            (
                "kinesis_on_demand",
                &self.kinesis_on_demand.source,
                &self.kinesis_on_demand.as_of,
            ),
            ("lambda", &self.lambda.source, &self.lambda.as_of),
            ("sqs", &self.sqs.source, &self.sqs.as_of),
            ("sns", &self.sns.source, &self.sns.as_of),
            (
                "cloudwatch",
                &self.cloudwatch.source,
                &self.cloudwatch.as_of,
            ),
            (
                "data_transfer",
                &self.data_transfer.source,
                &self.data_transfer.as_of,
            ),
        ]
    }
}

/// Data transfer out of AWS, US dollars; the free allowance is not applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataTransferPrices {
    /// The AWS pricing page the prices come from.
    pub source: String,
    /// When they were checked (YYYY-MM-DD).
    pub as_of: String,
    /// Per GB out to the internet (first tier).
    pub internet_out_gb: f64,
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
    /// Per GB-month of data stored beyond 7 days.
    pub long_term_retention_gb_month: f64,
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
    /// Per GB read by enhanced fan-out consumers.
    pub enhanced_fan_out_gb_retrieved: f64,
    /// Per GB-month of data stored beyond 24 hours and up to 7 days.
    pub extended_retention_gb_month: f64,
    /// Per GB-month of data stored beyond 7 days.
    pub long_term_retention_gb_month: f64,
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
    /// Provisioned concurrency on x86_64, per GB-second configured.
    pub provisioned_concurrency_gb_second_x86_64: f64,
    /// Provisioned concurrency on arm64, per GB-second configured.
    pub provisioned_concurrency_gb_second_arm64: f64,
    /// Duration on provisioned concurrency, x86_64, per GB-second.
    pub provisioned_duration_gb_second_x86_64: f64,
    /// Duration on provisioned concurrency, arm64, per GB-second.
    pub provisioned_duration_gb_second_arm64: f64,
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
    /// Per million requests to a FIFO queue (first tier).
    pub fifo_requests_per_million: f64,
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
    /// Per composite alarm and month.
    pub composite_alarm_month: f64,
    /// Per dashboard and month.
    pub dashboard_month: f64,
    /// Dashboards a month the free tier leaves unbilled.
    pub free_dashboards: u32,
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
