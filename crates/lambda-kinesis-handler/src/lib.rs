//! A Kinesis consumer for Lambda in a few lines, with its pipeline metrics included.
//!
//! [`run`] takes a handler for one record and serves it on `lambda_runtime`. Each batch the
//! event source mapping sends is processed record by record, in order. A record whose handler
//! fails is reported in `batchItemFailures` (turn on `ReportBatchItemFailures` on the mapping),
//! and by default the records after it are left for the retry, which keeps each shard's order.
//! The handler times its writes to downstream stores with [`Downstream::write`].
//!
//! Records a producer packed with KPL aggregation (the Kinesis Producer Library's format, as
//! `kinesis-client`'s producer and `streamwatch load --aggregate` write it) are unpacked first:
//! the handler sees each user record, with its own partition key and its
//! [`Record::sub_sequence_number`]. When one user record of an aggregate fails, the aggregate's
//! sequence number is reported, so Lambda retries the aggregate from that point, as AWS's
//! de-aggregation libraries do.
//!
//! After each batch the metrics are printed to stdout as Embedded Metric Format documents.
//! CloudWatch Logs turns them into metrics on AWS, and the embedded engine does the same
//! locally, so the function runs unchanged in both places:
//!
//! | metric | unit | one value per |
//! | --- | --- | --- |
//! | `RecordProcessingLatency` | Milliseconds | record handled successfully: its arrival in the stream to the end of its handler |
//! | `BatchSize` | Count | batch: its records, each user record of a KPL aggregate counted |
//! | `RecordProcessingSuccess` | Count | batch: records handled |
//! | `RecordProcessingFailure` | Count | batch: records whose handler failed |
//! | `DownstreamWriteLatency` | Milliseconds | timed write |
//! | `DownstreamWriteSuccess` | Count | timed write: 1 if it succeeded, else 0 (Average is the success rate) |
//!
//! The namespace defaults to `KinesisLambdaPipeline`, and the dimensions to `Environment`
//! (`$ENVIRONMENT`, else `dev`) and `Pipeline` (`$PIPELINE`, else the function's name); see
//! [`MetricsConfig`].
//!
//! ```no_run
//! use lambda_kinesis_handler::{Downstream, MetricsConfig, Record};
//!
//! async fn handle(record: Record, downstream: Downstream) -> Result<(), String> {
//!     let text = String::from_utf8(record.data).map_err(|e| e.to_string())?;
//!     downstream.write(async { store(&text).await }).await
//! }
//! # async fn store(_: &str) -> Result<(), String> { Ok(()) }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), lambda_runtime::Error> {
//!     lambda_kinesis_handler::run(MetricsConfig::from_env(), handle).await
//! }
//! ```

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use cloudwatch_emf::{Document, MAX_VALUES};
use serde::{Deserialize, Deserializer, Serialize};

/// The default namespace of the metrics.
pub const DEFAULT_NAMESPACE: &str = "KinesisLambdaPipeline";

/// The Kinesis event Lambda sends: `{"Records": [...]}`.
#[derive(Debug, Clone, Deserialize)]
pub struct KinesisEvent {
    /// The batch, in shard order.
    #[serde(rename = "Records", default)]
    pub records: Vec<EventRecord>,
}

/// One record of the event.
#[derive(Debug, Clone, Deserialize)]
pub struct EventRecord {
    /// The Kinesis part of the record.
    pub kinesis: KinesisPayload,
    /// `<shardId>:<sequenceNumber>`.
    #[serde(rename = "eventID", default)]
    pub event_id: String,
    /// The stream's ARN.
    #[serde(rename = "eventSourceARN", default)]
    pub event_source_arn: String,
}

/// The `kinesis` member of an event record.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KinesisPayload {
    /// The record's partition key.
    pub partition_key: String,
    /// The record's sequence number.
    pub sequence_number: String,
    /// The data, decoded from base64.
    #[serde(deserialize_with = "base64_data")]
    pub data: Vec<u8>,
    /// When the stream accepted the record, epoch seconds.
    pub approximate_arrival_timestamp: f64,
}

fn base64_data<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let text = String::deserialize(d)?;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(serde::de::Error::custom)
}

/// A record as the handler gets it.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The partition key.
    pub partition_key: String,
    /// The sequence number.
    pub sequence_number: String,
    /// The data.
    pub data: Vec<u8>,
    /// When the stream accepted the record.
    pub arrival: SystemTime,
    /// `<shardId>:<sequenceNumber>`.
    pub event_id: String,
    /// The stream's ARN.
    pub event_source_arn: String,
    /// For a user record unpacked from a KPL aggregate: its position in the aggregate (the
    /// Kinesis record's sequence number and this identify it); `None` for a plain record.
    pub sub_sequence_number: Option<u64>,
}

impl From<EventRecord> for Record {
    fn from(r: EventRecord) -> Record {
        let arrival =
            UNIX_EPOCH + Duration::from_secs_f64(r.kinesis.approximate_arrival_timestamp.max(0.0));
        Record {
            partition_key: r.kinesis.partition_key,
            sequence_number: r.kinesis.sequence_number,
            data: r.kinesis.data,
            arrival,
            event_id: r.event_id,
            event_source_arn: r.event_source_arn,
            sub_sequence_number: None,
        }
    }
}

impl Record {
    /// The user records this record holds: itself when it is a plain record (or not a valid
    /// aggregate: its data then stays as sent), else each user record of the KPL aggregate, in
    /// order, sharing the Kinesis record's sequence number and arrival.
    pub fn deaggregate(self) -> Vec<Record> {
        if !kinesis_kpl::is_aggregated(&self.data) {
            return vec![self];
        }
        let data = bytes::Bytes::from(self.data);
        match kinesis_kpl::deaggregate(&data) {
            Ok(users) => users
                .into_iter()
                .map(|u| Record {
                    partition_key: u.partition_key,
                    sequence_number: self.sequence_number.clone(),
                    data: u.data.to_vec(),
                    arrival: self.arrival,
                    event_id: self.event_id.clone(),
                    event_source_arn: self.event_source_arn.clone(),
                    sub_sequence_number: Some(u.sub_sequence_number),
                })
                .collect(),
            Err(_) => vec![Record {
                data: data.to_vec(),
                ..self
            }],
        }
    }
}

/// What the function returns: the records Lambda should retry from.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BatchResponse {
    /// The failed records; empty when the whole batch succeeded.
    #[serde(rename = "batchItemFailures")]
    pub batch_item_failures: Vec<ItemFailure>,
}

/// One failed record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemFailure {
    /// The record's sequence number.
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

/// Where the metrics go and how failures are treated.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsConfig {
    /// The CloudWatch namespace (must not start with `AWS/`).
    pub namespace: String,
    /// The dimensions every metric carries, as one dimension set.
    pub dimensions: Vec<(String, String)>,
    /// Whether the records after a failed one are still handled (and each failure
    /// reported). Off by default: Lambda retries from the first failure anyway, and
    /// stopping keeps each shard's records in order.
    pub continue_after_failure: bool,
    /// Whether a completion line is printed for each load-test record handled successfully
    /// (a record whose data carries a `streamwatch load` marker), so `streamwatch load` can
    /// measure end-to-end latency from the function's log, on AWS as locally.
    pub log_completions: bool,
}

impl MetricsConfig {
    /// The defaults, read from the environment: namespace `$PIPELINE_METRICS_NAMESPACE` or
    /// `KinesisLambdaPipeline`; `Environment` = `$ENVIRONMENT` or `dev`; `Pipeline` =
    /// `$PIPELINE`, else `$AWS_LAMBDA_FUNCTION_NAME`, else `pipeline`.
    pub fn from_env() -> MetricsConfig {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        MetricsConfig {
            namespace: var("PIPELINE_METRICS_NAMESPACE")
                .unwrap_or_else(|| DEFAULT_NAMESPACE.into()),
            dimensions: vec![
                (
                    "Environment".into(),
                    var("ENVIRONMENT").unwrap_or_else(|| "dev".into()),
                ),
                (
                    "Pipeline".into(),
                    var("PIPELINE")
                        .or_else(|| var("AWS_LAMBDA_FUNCTION_NAME"))
                        .unwrap_or_else(|| "pipeline".into()),
                ),
            ],
            continue_after_failure: false,
            log_completions: var("STREAMWATCH_LOAD_COMPLETIONS").is_some_and(|v| v != "0"),
        }
    }

    /// With another namespace.
    pub fn namespace(mut self, namespace: impl Into<String>) -> MetricsConfig {
        self.namespace = namespace.into();
        self
    }

    /// With these dimensions instead of the defaults.
    pub fn dimensions<K: Into<String>, V: Into<String>>(
        mut self,
        dimensions: impl IntoIterator<Item = (K, V)>,
    ) -> MetricsConfig {
        self.dimensions = dimensions
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self
    }

    /// Prints a completion line for each load-test record handled successfully.
    pub fn log_completions(mut self) -> MetricsConfig {
        self.log_completions = true;
        self
    }

    /// Handles every record even after a failure, reporting each failed one.
    pub fn continue_after_failure(mut self) -> MetricsConfig {
        self.continue_after_failure = true;
        self
    }
}

/// Times the handler's writes to downstream stores; one is given with each record.
#[derive(Debug, Clone, Default)]
pub struct Downstream {
    writes: Arc<Mutex<Vec<(f64, bool)>>>,
}

impl Downstream {
    /// Runs one write, recording its latency and whether it succeeded, and returns its
    /// result.
    pub async fn write<T, E>(&self, write: impl Future<Output = Result<T, E>>) -> Result<T, E> {
        let started = Instant::now();
        let result = write.await;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if let Ok(mut writes) = self.writes.lock() {
            writes.push((ms, result.is_ok()));
        }
        result
    }

    fn take(&self) -> Vec<(f64, bool)> {
        self.writes
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default()
    }
}

/// What one batch produced: the response for Lambda and the EMF lines to print.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOutcome {
    /// The response for Lambda.
    pub response: BatchResponse,
    /// Embedded Metric Format documents, one per line.
    pub emf: Vec<String>,
    /// Completion lines of load-test records, with [`MetricsConfig::log_completions`].
    pub completions: Vec<String>,
}

/// Handles one batch: each record in order with `handler`, then the metrics.
pub async fn process_batch<H, Fut, E>(
    config: &MetricsConfig,
    event: KinesisEvent,
    handler: &H,
) -> BatchOutcome
where
    H: Fn(Record, Downstream) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let downstream = Downstream::default();
    let mut latencies = Vec::new();
    let mut failures = Vec::new();
    let mut completions = Vec::new();
    let mut failed = 0;
    let records: Vec<Record> = event
        .records
        .into_iter()
        .flat_map(|r| Record::from(r).deaggregate())
        .collect();
    let batch_size = records.len();
    for record in records {
        let (sequence_number, arrival) = (record.sequence_number.clone(), record.arrival);
        let marker = if config.log_completions {
            load_gen::Marker::parse(&record.data)
        } else {
            None
        };
        match handler(record, downstream.clone()).await {
            Ok(()) => {
                if let Some(marker) = marker {
                    completions.push(
                        load_gen::Completion {
                            marker,
                            done_ms: time_source::now_ms(),
                        }
                        .line(),
                    );
                }
                let age = SystemTime::now()
                    .duration_since(arrival)
                    .unwrap_or_default();
                latencies.push(age.as_secs_f64() * 1000.0);
            }
            Err(e) => {
                eprintln!("record {sequence_number} failed: {e}");
                failed += 1;
                // An aggregate is retried whole: report its sequence number once.
                if failures
                    .last()
                    .is_none_or(|f: &ItemFailure| f.item_identifier != sequence_number)
                {
                    failures.push(ItemFailure {
                        item_identifier: sequence_number,
                    });
                }
                if !config.continue_after_failure {
                    break;
                }
            }
        }
    }
    let metrics = BatchMetrics {
        batch_size,
        successes: latencies.len(),
        failures: failed,
        latencies_ms: latencies,
        writes: downstream.take(),
    };
    BatchOutcome {
        emf: emf_documents(config, &metrics, time_source::now_ms()),
        completions,
        response: BatchResponse {
            batch_item_failures: failures,
        },
    }
}

/// The measurements of one batch.
#[derive(Debug, Clone, Default, PartialEq)]
struct BatchMetrics {
    batch_size: usize,
    successes: usize,
    failures: usize,
    latencies_ms: Vec<f64>,
    writes: Vec<(f64, bool)>,
}

/// The batch's metrics as EMF documents: the counts in the first, and the per-record and
/// per-write values in as many documents as 100 values each need. A document the format
/// refuses (an `AWS/` namespace, an empty dimension value, ...) is reported on stderr and
/// left out, as CloudWatch would drop it.
fn emf_documents(config: &MetricsConfig, m: &BatchMetrics, timestamp_ms: u64) -> Vec<String> {
    let write_latency: Vec<f64> = m.writes.iter().map(|(ms, _)| *ms).collect();
    let write_success: Vec<f64> = m
        .writes
        .iter()
        .map(|(_, ok)| f64::from(u8::from(*ok)))
        .collect();
    let chunks = [m.latencies_ms.len(), write_latency.len(), 1]
        .into_iter()
        .map(|n| n.div_ceil(MAX_VALUES))
        .max()
        .unwrap_or(1);
    let timestamp_ms = i64::try_from(timestamp_ms).unwrap_or(i64::MAX);
    let mut out = Vec::with_capacity(chunks);
    for i in 0..chunks {
        let mut doc = Document::new(&config.namespace, timestamp_ms);
        for (k, v) in &config.dimensions {
            doc = doc.dimension(k, v);
        }
        if i == 0 {
            doc = doc
                .count("BatchSize", Some("Count"), m.batch_size as u64)
                .count("RecordProcessingSuccess", Some("Count"), m.successes as u64)
                .count("RecordProcessingFailure", Some("Count"), m.failures as u64);
        }
        let chunk = |v: &[f64]| -> Vec<f64> {
            v.iter()
                .skip(i * MAX_VALUES)
                .take(MAX_VALUES)
                .copied()
                .collect()
        };
        let series = [
            (
                "RecordProcessingLatency",
                "Milliseconds",
                chunk(&m.latencies_ms),
            ),
            (
                "DownstreamWriteLatency",
                "Milliseconds",
                chunk(&write_latency),
            ),
            ("DownstreamWriteSuccess", "Count", chunk(&write_success)),
        ];
        for (name, unit, values) in &series {
            if !values.is_empty() {
                doc = doc.values(name, Some(unit), values);
            }
        }
        match doc.to_line() {
            Ok(line) => out.push(line),
            Err(e) => eprintln!("pipeline metrics not written: {e}"),
        }
    }
    out
}

/// Serves `handler` as the function: each batch is handled by [`process_batch`], its metrics
/// printed to stdout, and the failed records returned in `batchItemFailures`.
pub async fn run<H, Fut, E>(config: MetricsConfig, handler: H) -> Result<(), lambda_runtime::Error>
where
    H: Fn(Record, Downstream) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let (config, handler) = (&config, &handler);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<KinesisEvent>| async move {
            let outcome = process_batch(config, event.payload, handler).await;
            for line in outcome.emf.iter().chain(&outcome.completions) {
                println!("{line}");
            }
            Ok::<_, lambda_runtime::Error>(outcome.response)
        },
    ))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn event(data: &[&str]) -> KinesisEvent {
        let arrival = (time_source::now_ms() as f64 - 250.0) / 1000.0;
        let records: Vec<Value> = data
            .iter()
            .enumerate()
            .map(|(i, d)| {
                json!({
                    "kinesis": {
                        "kinesisSchemaVersion": "1.0",
                        "partitionKey": "k",
                        "sequenceNumber": format!("{}", 100 + i),
                        "data": base64::engine::general_purpose::STANDARD.encode(d),
                        "approximateArrivalTimestamp": arrival,
                    },
                    "eventSource": "aws:kinesis",
                    "eventID": format!("shardId-000000000000:{}", 100 + i),
                    "eventSourceARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s",
                })
            })
            .collect();
        serde_json::from_value(json!({ "Records": records })).unwrap()
    }

    async fn handler(record: Record, downstream: Downstream) -> Result<(), String> {
        let text = String::from_utf8(record.data).unwrap();
        if text == "poison" {
            return Err("poison".into());
        }
        downstream
            .write(async {
                if text == "unwritable" {
                    Err("store refused".to_string())
                } else {
                    Ok(())
                }
            })
            .await
    }

    fn config() -> MetricsConfig {
        MetricsConfig::from_env().dimensions([("Environment", "test"), ("Pipeline", "orders")])
    }

    fn docs(outcome: &BatchOutcome) -> Vec<Value> {
        outcome
            .emf
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[tokio::test]
    async fn a_failed_record_stops_the_batch_and_is_reported() {
        let out = process_batch(&config(), event(&["a", "poison", "c"]), &handler).await;
        assert_eq!(
            out.response.batch_item_failures,
            [ItemFailure {
                item_identifier: "101".into()
            }]
        );
        let doc = &docs(&out)[0];
        assert_eq!(doc["BatchSize"], 3);
        assert_eq!(doc["RecordProcessingSuccess"], 1);
        assert_eq!(doc["RecordProcessingFailure"], 1);
        assert_eq!(doc["Environment"], "test");
        assert_eq!(doc["Pipeline"], "orders");
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], DEFAULT_NAMESPACE);
        assert_eq!(
            directive["Dimensions"],
            json!([["Environment", "Pipeline"]])
        );
        let latency = doc["RecordProcessingLatency"].as_array().unwrap();
        assert_eq!(latency.len(), 1);
        assert!(latency[0].as_f64().unwrap() >= 250.0, "{latency:?}");
    }

    #[tokio::test]
    async fn load_test_records_get_a_completion_line_once_handled() {
        let mut source = load_gen::RecordSource::new(
            "lt-7",
            load_gen::SizeDistribution::Fixed(200),
            load_gen::KeyDistribution::Uniform { keys: 2 },
            load_gen::PayloadTemplate::default(),
            1,
        );
        let first = String::from_utf8(source.record(0, 1_000).1).unwrap();
        let second = String::from_utf8(source.record(1, 1_005).1).unwrap();
        let data = [first.as_str(), "plain", second.as_str(), "poison"];
        let before = time_source::now_ms();
        let out = process_batch(
            &config().log_completions().continue_after_failure(),
            event(&data),
            &handler,
        )
        .await;
        let done: Vec<load_gen::Completion> = out
            .completions
            .iter()
            .map(|l| load_gen::Completion::parse_line(l).unwrap())
            .collect();
        // One line per load-test record handled: not for the plain record nor the failed one.
        assert_eq!(
            done.iter()
                .map(|c| (c.marker.id.as_str(), c.marker.seq, c.marker.sent_ms))
                .collect::<Vec<_>>(),
            [("lt-7", 0, 1_000), ("lt-7", 1, 1_005)]
        );
        assert!(done.iter().all(|c| c.done_ms >= before));
        // Off by default.
        let quiet = process_batch(&config(), event(&data[..1]), &handler).await;
        assert!(quiet.completions.is_empty());
    }

    #[tokio::test]
    async fn kpl_aggregates_are_unpacked_and_a_failure_retries_the_aggregate() {
        let mut agg = kinesis_kpl::Aggregator::new();
        for (key, data) in [("u1", "a"), ("u2", "poison"), ("u3", "c")] {
            agg.push(kinesis_kpl::UserRecord {
                partition_key: key.into(),
                explicit_hash_key: None,
                data: bytes::Bytes::from(data),
            });
        }
        let packed = agg.finish().unwrap().data;
        let mut ev = event(&["plain", "x"]);
        ev.records[1].kinesis.data = packed.to_vec();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let out = process_batch(
            &config().continue_after_failure(),
            ev,
            &move |r: Record, d: Downstream| {
                log.lock()
                    .unwrap()
                    .push((r.partition_key.clone(), r.sub_sequence_number));
                handler(r, d)
            },
        )
        .await;
        assert_eq!(
            *seen.lock().unwrap(),
            [
                ("k".to_string(), None),
                ("u1".to_string(), Some(0)),
                ("u2".to_string(), Some(1)),
                ("u3".to_string(), Some(2))
            ]
        );
        // The aggregate's sequence number is reported once, for its one failed user record.
        assert_eq!(
            out.response.batch_item_failures,
            [ItemFailure {
                item_identifier: "101".into()
            }]
        );
        let doc = &docs(&out)[0];
        assert_eq!(doc["BatchSize"], 4);
        assert_eq!(doc["RecordProcessingSuccess"], 3);
        assert_eq!(doc["RecordProcessingFailure"], 1);
    }

    #[tokio::test]
    async fn continuing_after_failures_reports_each_and_times_every_write() {
        let out = process_batch(
            &config().continue_after_failure(),
            event(&["poison", "b", "unwritable", "d"]),
            &handler,
        )
        .await;
        let failed: Vec<&str> = out
            .response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["100", "102"]);
        let doc = &docs(&out)[0];
        assert_eq!(doc["RecordProcessingSuccess"], 2);
        assert_eq!(doc["DownstreamWriteSuccess"], json!([1.0, 0.0, 1.0]));
        assert_eq!(doc["DownstreamWriteLatency"].as_array().unwrap().len(), 3);
    }

    /// The metrics printed are the catalogue's `KinesisLambdaPipeline` metrics, with their
    /// units and dimensions, so dashboards and alarms built from the catalogue find them.
    #[tokio::test]
    async fn the_metrics_are_the_catalogues() {
        use metric_store::catalog::pipeline;
        let out = process_batch(
            &config().continue_after_failure(),
            event(&["a", "poison", "unwritable"]),
            &handler,
        )
        .await;
        let mut seen = std::collections::BTreeSet::new();
        for doc in docs(&out) {
            let directive = &doc["_aws"]["CloudWatchMetrics"][0];
            assert_eq!(directive["Namespace"], pipeline::NAMESPACE);
            for m in directive["Metrics"].as_array().unwrap() {
                let name = m["Name"].as_str().unwrap();
                let def = pipeline::ALL
                    .iter()
                    .find(|d| d.name == name)
                    .unwrap_or_else(|| panic!("{name} is not in the catalogue"));
                assert_eq!(m["Unit"], def.unit.as_str(), "{name}");
                assert_eq!(directive["Dimensions"], json!([def.dimension_sets[0]]));
                seen.insert(name.to_owned());
            }
        }
        let all: std::collections::BTreeSet<String> =
            pipeline::ALL.iter().map(|d| d.name.to_owned()).collect();
        assert_eq!(seen, all);
    }

    #[tokio::test]
    async fn large_batches_split_values_at_one_hundred_per_document() {
        let data: Vec<String> = (0..250).map(|i| i.to_string()).collect();
        let refs: Vec<&str> = data.iter().map(String::as_str).collect();
        let out = process_batch(&config().namespace("Custom"), event(&refs), &handler).await;
        let docs = docs(&out);
        assert_eq!(docs.len(), 3);
        let total: usize = docs
            .iter()
            .map(|d| d["RecordProcessingLatency"].as_array().unwrap().len())
            .sum();
        assert_eq!(total, 250);
        assert_eq!(docs[0]["BatchSize"], 250);
        assert!(docs[1].get("BatchSize").is_none());
        assert_eq!(
            docs[2]["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "Custom"
        );
        assert!(out.response.batch_item_failures.is_empty());
    }
}
