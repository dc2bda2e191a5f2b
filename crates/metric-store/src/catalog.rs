//! The catalogue: every metric streamwatch publishes, defined once.
//!
//! A [`MetricDef`] names a metric (namespace and name), its unit, the dimension sets it is
//! published with, and what it means. The engine records, the CloudWatch API lists and the
//! exporters name metrics only through these definitions; the table in `docs/metrics.md` is
//! generated from them ([`markdown`]) and a test keeps it in step.
//!
//! Units and dimension sets are AWS's, from the CloudWatch documentation of the `AWS/Kinesis`
//! `AWS/Lambda`, `AWS/SQS`, `AWS/SNS` and `AWS/Logs` namespaces and of Lambda Insights (`LambdaInsights`);
//! the descriptions are ours. `StreamwatchEngine` is streamwatch's own namespace.

use crate::{Error, MetricKey, SeriesHandle, Statistic, Store, Unit};

/// One metric's definition.
#[derive(Debug, PartialEq)]
pub struct MetricDef {
    /// The CloudWatch namespace, e.g. `AWS/Kinesis`.
    pub namespace: &'static str,
    /// The metric name, e.g. `IncomingBytes`.
    pub name: &'static str,
    /// The unit its datapoints carry.
    pub unit: Unit,
    /// The dimension sets it is published with (an empty set means account-wide).
    pub dimension_sets: &'static [&'static [&'static str]],
    /// What one datapoint means and how its statistics read.
    pub description: &'static str,
    /// The statistics a collector fetches by default, per resource, for a metric it reads
    /// unasked (the ones AWS recommends for it); empty when it is read only on request.
    pub default_statistics: &'static [Statistic],
}

impl MetricDef {
    /// The series key for the given dimension values, which must name one of the metric's
    /// dimension sets.
    pub fn key(&self, dimensions: &[(&str, &str)]) -> Result<MetricKey, Error> {
        let known = self.dimension_sets.iter().any(|set| {
            set.len() == dimensions.len()
                && set.iter().all(|d| dimensions.iter().any(|(k, _)| k == d))
        });
        if !known {
            return Err(Error::UnknownDimensionSet {
                metric: self.name,
                dimensions: dimensions.iter().map(|(k, _)| (*k).to_owned()).collect(),
            });
        }
        MetricKey::new(self.namespace, self.name, dimensions.iter().copied())
    }

    /// The series of `store` to record the metric into, for the given dimension values
    /// (which must name one of its dimension sets), with the metric's unit. This is how the
    /// engines record: a name that is not in the catalogue cannot reach the store.
    pub fn series(
        &self,
        store: &Store,
        dimensions: &[(&str, &str)],
    ) -> Result<SeriesHandle, Error> {
        let key = self.key(dimensions)?;
        #[expect(
            clippy::disallowed_methods,
            reason = "the catalogue is the one place AWS metrics are recorded from"
        )]
        Ok(store.series(&key, self.unit))
    }
}

macro_rules! catalogue {
    ($(
        $(#[$doc:meta])*
        $namespace_mod:ident ($namespace:literal) {
            $(
                $const_name:ident: $name:literal, $unit:ident, [$([$($dim:literal),*]),*],
                $(collect [$($stat:expr),*],)? $desc:literal;
            )*
        }
    )*) => {
        $(
            $(#[$doc])*
            pub mod $namespace_mod {
                use super::MetricDef;
                #[allow(unused_imports, reason = "only namespaces with collected metrics name statistics")]
                use crate::Statistic::{Average, Maximum, Minimum, Percentile, SampleCount, Sum};
                use crate::Unit;

                /// The namespace.
                pub const NAMESPACE: &str = $namespace;

                $(
                    #[doc = $desc]
                    pub static $const_name: MetricDef = MetricDef {
                        namespace: $namespace,
                        name: $name,
                        unit: Unit::$unit,
                        dimension_sets: &[$(&[$($dim),*]),*],
                        description: $desc,
                        default_statistics: &[$($($stat),*)?],
                    };
                )*

                /// Every metric of the namespace, in documentation order.
                pub static ALL: &[&MetricDef] = &[$(&$const_name),*];
            }
        )*

        /// Every metric of every namespace.
        pub fn all() -> impl Iterator<Item = &'static MetricDef> {
            std::iter::empty()$(.chain($namespace_mod::ALL.iter().copied()))*
        }
    };
}

catalogue! {
    /// `AWS/Kinesis`: stream-level metrics (dimension StreamName), shard-level metrics
    /// (StreamName, ShardId; published only when enhanced monitoring enables them) and
    /// enhanced fan-out consumer metrics (StreamName, ConsumerName).
    kinesis ("AWS/Kinesis") {
        GET_RECORDS_BYTES: "GetRecords.Bytes", Bytes, [["StreamName"]],
            "Bytes returned by one GetRecords call; Sum is the bytes read from the stream.";
        GET_RECORDS_ITERATOR_AGE: "GetRecords.IteratorAgeMilliseconds", Milliseconds, [["StreamName"]],
            "Age of the last record a GetRecords call returned (now minus its arrival); 0 when the reader is at the tip.";
        GET_RECORDS_LATENCY: "GetRecords.Latency", Milliseconds, [["StreamName"]],
            "Time taken by one GetRecords call.";
        GET_RECORDS_RECORDS: "GetRecords.Records", Count, [["StreamName"]],
            "Records returned by one GetRecords call; Sum is the records read from the stream.";
        GET_RECORDS_SUCCESS: "GetRecords.Success", Count, [["StreamName"]],
            "1 for each successful GetRecords call, 0 for a failed one; Average is the success rate.";
        INCOMING_BYTES: "IncomingBytes", Bytes, [["StreamName"], ["StreamName", "ShardId"]],
            "Bytes stored by one put call (PutRecord or PutRecords), per stream or per shard; Sum is the bytes written.";
        INCOMING_RECORDS: "IncomingRecords", Count, [["StreamName"], ["StreamName", "ShardId"]],
            "Records stored by one put call, per stream or per shard; Sum is the records written.";
        OUTGOING_BYTES: "OutgoingBytes", Bytes, [["StreamName", "ShardId"]],
            "Bytes returned from a shard by one GetRecords call.";
        OUTGOING_RECORDS: "OutgoingRecords", Count, [["StreamName", "ShardId"]],
            "Records returned from a shard by one GetRecords call.";
        ITERATOR_AGE: "IteratorAgeMilliseconds", Milliseconds, [["StreamName", "ShardId"]],
            "Age of the last record a GetRecords call returned from the shard.";
        PUT_RECORD_BYTES: "PutRecord.Bytes", Bytes, [["StreamName"]],
            "Bytes stored by one PutRecord call.";
        PUT_RECORD_LATENCY: "PutRecord.Latency", Milliseconds, [["StreamName"]],
            "Time taken by one PutRecord call.";
        PUT_RECORD_SUCCESS: "PutRecord.Success", Count, [["StreamName"]],
            "1 for each successful PutRecord call, 0 for a failed one; Average is the success rate.";
        PUT_RECORDS_BYTES: "PutRecords.Bytes", Bytes, [["StreamName"]],
            "Bytes stored by one PutRecords call.";
        PUT_RECORDS_LATENCY: "PutRecords.Latency", Milliseconds, [["StreamName"]],
            "Time taken by one PutRecords call.";
        PUT_RECORDS_SUCCESS: "PutRecords.Success", Count, [["StreamName"]],
            "1 for each PutRecords call that stored at least one record, else 0.";
        PUT_RECORDS_TOTAL_RECORDS: "PutRecords.TotalRecords", Count, [["StreamName"]],
            "Records sent in one PutRecords call.";
        PUT_RECORDS_SUCCESSFUL_RECORDS: "PutRecords.SuccessfulRecords", Count, [["StreamName"]],
            "Records stored by one PutRecords call.";
        PUT_RECORDS_FAILED_RECORDS: "PutRecords.FailedRecords", Count, [["StreamName"]],
            "Records of one PutRecords call refused by an internal failure.";
        PUT_RECORDS_THROTTLED_RECORDS: "PutRecords.ThrottledRecords", Count, [["StreamName"]],
            "Records of one PutRecords call refused by a shard's throughput limit.";
        READ_THROTTLED: "ReadProvisionedThroughputExceeded", Count, [["StreamName"], ["StreamName", "ShardId"]],
            "1 for each GetRecords call refused by a shard's read limit, 0 for each admitted; Sum counts throttled calls, Average is the throttled share.";
        WRITE_THROTTLED: "WriteProvisionedThroughputExceeded", Count, [["StreamName"], ["StreamName", "ShardId"]],
            "1 for each record refused by a shard's write limit, 0 for each stored; Sum counts throttled records, Average is the throttled share.";
        SUBSCRIBE_RATE_EXCEEDED: "SubscribeToShard.RateExceeded", Count, [["StreamName", "ConsumerName"]],
            "1 for each SubscribeToShard call refused because the consumer already has a subscription to the shard.";
        SUBSCRIBE_SUCCESS: "SubscribeToShard.Success", Count, [["StreamName", "ConsumerName"]],
            "1 for each successful SubscribeToShard call, 0 for a failed one.";
        SUBSCRIBE_EVENT_BYTES: "SubscribeToShardEvent.Bytes", Bytes, [["StreamName", "ConsumerName"]],
            "Bytes delivered in one SubscribeToShard event.";
        SUBSCRIBE_EVENT_MILLIS_BEHIND: "SubscribeToShardEvent.MillisBehindLatest", Milliseconds, [["StreamName", "ConsumerName"]],
            "How far behind the tip of the shard one SubscribeToShard event is.";
        SUBSCRIBE_EVENT_RECORDS: "SubscribeToShardEvent.Records", Count, [["StreamName", "ConsumerName"]],
            "Records delivered in one SubscribeToShard event.";
        SUBSCRIBE_EVENT_SUCCESS: "SubscribeToShardEvent.Success", Count, [["StreamName", "ConsumerName"]],
            "1 for each SubscribeToShard event delivered, 0 for each that failed.";
    }

    /// `AWS/Lambda`: per function (FunctionName), per version or alias (FunctionName,
    /// Resource), per executed version (FunctionName, Resource, ExecutedVersion) and for the
    /// account (no dimensions).
    lambda ("AWS/Lambda") {
        INVOCATIONS: "Invocations", Count, [[], ["FunctionName"], ["FunctionName", "Resource"], ["FunctionName", "Resource", "ExecutedVersion"]],
            collect [Sum],
            "Times the function code ran, successful or not; throttled requests are not counted.";
        ERRORS: "Errors", Count, [[], ["FunctionName"], ["FunctionName", "Resource"], ["FunctionName", "Resource", "ExecutedVersion"]],
            collect [Sum],
            "Invocations that ended in a function error (an exception, a timeout, a crash).";
        THROTTLES: "Throttles", Count, [[], ["FunctionName"], ["FunctionName", "Resource"], ["FunctionName", "Resource", "ExecutedVersion"]],
            collect [Sum],
            "Invocation requests refused for lack of concurrency.";
        DEAD_LETTER_ERRORS: "DeadLetterErrors", Count, [[], ["FunctionName"], ["FunctionName", "Resource"]],
            collect [Sum],
            "Asynchronous events that could not be sent to the dead-letter queue.";
        DESTINATION_DELIVERY_FAILURES: "DestinationDeliveryFailures", Count, [[], ["FunctionName"], ["FunctionName", "Resource"]],
            collect [Sum],
            "Events that could not be sent to an on-failure destination (including an event source mapping's).";
        PROVISIONED_CONCURRENCY_INVOCATIONS: "ProvisionedConcurrencyInvocations", Count, [["FunctionName"], ["FunctionName", "Resource"]],
            "Invocations that ran on provisioned concurrency.";
        PROVISIONED_CONCURRENCY_SPILLOVER: "ProvisionedConcurrencySpilloverInvocations", Count, [["FunctionName"], ["FunctionName", "Resource"]],
            "Invocations that ran on standard concurrency because provisioned concurrency was in use.";
        RECURSIVE_INVOCATIONS_DROPPED: "RecursiveInvocationsDropped", Count, [["FunctionName"]],
            collect [Sum],
            "Invocations stopped because the function was found in a recursive loop.";
        DURATION: "Duration", Milliseconds, [[], ["FunctionName"], ["FunctionName", "Resource"], ["FunctionName", "Resource", "ExecutedVersion"]],
            collect [Average, Maximum, Percentile(99.0)],
            "Time the function code spent on one invocation; percentiles are supported.";
        POST_RUNTIME_EXTENSIONS_DURATION: "PostRuntimeExtensionsDuration", Milliseconds, [["FunctionName"], ["FunctionName", "Resource"]],
            "Time extensions ran after the function code finished an invocation.";
        ITERATOR_AGE: "IteratorAge", Milliseconds, [[], ["FunctionName"], ["FunctionName", "Resource"]],
            collect [Average, Maximum],
            "For stream event sources: age of the last record of a batch when the batch was sent to the function.";
        CONCURRENT_EXECUTIONS: "ConcurrentExecutions", Count, [[], ["FunctionName"], ["FunctionName", "Resource"]],
            collect [Maximum],
            "Function instances processing events at the same time; read with Maximum.";
        PROVISIONED_CONCURRENT_EXECUTIONS: "ProvisionedConcurrentExecutions", Count, [["FunctionName"], ["FunctionName", "Resource"]],
            "Instances on provisioned concurrency processing events at the same time.";
        PROVISIONED_CONCURRENCY_UTILIZATION: "ProvisionedConcurrencyUtilization", None, [["FunctionName", "Resource"]],
            "Provisioned concurrent executions divided by the provisioned concurrency configured.";
        UNRESERVED_CONCURRENT_EXECUTIONS: "UnreservedConcurrentExecutions", Count, [[]],
            collect [Maximum],
            "Concurrent executions of functions without reserved concurrency.";
        CLAIMED_ACCOUNT_CONCURRENCY: "ClaimedAccountConcurrency", Count, [[]],
            collect [Maximum],
            "Concurrency not available for on-demand invocations (reserved plus provisioned plus unreserved in use).";
        ASYNC_EVENTS_RECEIVED: "AsyncEventsReceived", Count, [[], ["FunctionName"], ["FunctionName", "Resource"]],
            collect [Sum],
            "Asynchronous events queued for the function.";
        ASYNC_EVENT_AGE: "AsyncEventAge", Milliseconds, [[], ["FunctionName"], ["FunctionName", "Resource"]],
            collect [Average, Maximum],
            "Time between queueing an asynchronous event and invoking the function with it.";
        ASYNC_EVENTS_DROPPED: "AsyncEventsDropped", Count, [[], ["FunctionName"], ["FunctionName", "Resource"]],
            collect [Sum],
            "Asynchronous events dropped without running the function.";
    }

    /// `KinesisLambdaPipeline`: the pipeline metrics `lambda-kinesis-handler` prints as EMF
    /// after each batch (its default namespace), per Environment and Pipeline (by default
    /// `$ENVIRONMENT` or `dev`, and the function's name).
    pipeline ("KinesisLambdaPipeline") {
        RECORD_PROCESSING_LATENCY: "RecordProcessingLatency", Milliseconds, [["Environment", "Pipeline"]],
            collect [Average, Maximum, Percentile(99.0)],
            "Time from a record's arrival in the stream to the end of its handler, per record handled successfully.";
        BATCH_SIZE: "BatchSize", Count, [["Environment", "Pipeline"]],
            collect [Average, Maximum],
            "Records in one batch the function received.";
        RECORD_PROCESSING_SUCCESS: "RecordProcessingSuccess", Count, [["Environment", "Pipeline"]],
            collect [Sum],
            "Records of one batch handled successfully.";
        RECORD_PROCESSING_FAILURE: "RecordProcessingFailure", Count, [["Environment", "Pipeline"]],
            collect [Sum],
            "Records of one batch whose handler failed.";
        DOWNSTREAM_WRITE_LATENCY: "DownstreamWriteLatency", Milliseconds, [["Environment", "Pipeline"]],
            collect [Average, Maximum, Percentile(99.0)],
            "Time taken by one timed write to a downstream store.";
        DOWNSTREAM_WRITE_SUCCESS: "DownstreamWriteSuccess", Count, [["Environment", "Pipeline"]],
            collect [Average, SampleCount],
            "1 for each timed downstream write that succeeded, 0 for each that failed; Average is the success rate.";
    }

    /// `LambdaInsights`: what the Lambda Insights extension publishes once per invocation, per
    /// function (`function_name`) and per function version (`function_name`, `version`).
    /// The engine publishes them for every function it runs, read from the instance's
    /// process on Linux (see each metric for what it measures there).
    lambda_insights ("LambdaInsights") {
        CPU_TOTAL_TIME: "cpu_total_time", Milliseconds, [["function_name"], ["function_name", "version"]],
            collect [Average, Maximum],
            "CPU time (user plus system) the function used during one invocation. Engine: the runtime process's utime and stime (and those of its reaped children) from /proc/<pid>/stat, read before and after the invocation.";
        INIT_DURATION: "init_duration", Milliseconds, [["function_name"], ["function_name", "version"]],
            collect [Average, Maximum, SampleCount],
            "Time spent in the init phase of a new execution environment, published on cold starts only; SampleCount counts cold starts. Engine: from the process's start to its first call for work, as REPORT's Init Duration.";
        MEMORY_UTILIZATION: "memory_utilization", Percent, [["function_name"], ["function_name", "version"]],
            collect [Maximum],
            "Peak memory as a percentage of the memory configured for the function (used_memory_max / total_memory * 100).";
        USED_MEMORY_MAX: "used_memory_max", Megabytes, [["function_name"], ["function_name", "version"]],
            collect [Maximum],
            "Peak memory of the execution environment so far, in whole megabytes. Engine: the runtime process's peak resident set (VmHWM of /proc/<pid>/status, rounded up), as REPORT's Max Memory Used; its children are not added.";
        TOTAL_MEMORY: "total_memory", Megabytes, [["function_name"], ["function_name", "version"]],
            "Memory configured for the function (its MemorySize).";
        RX_BYTES: "rx_bytes", Bytes, [["function_name"], ["function_name", "version"]],
            "Bytes the function received during one invocation. Engine: only the event it read from the Runtime API (Linux counts network bytes per interface, not per process, so the function's own calls are not seen).";
        TX_BYTES: "tx_bytes", Bytes, [["function_name"], ["function_name", "version"]],
            "Bytes the function sent during one invocation. Engine: only the response or error document it posted to the Runtime API.";
        TOTAL_NETWORK: "total_network", Bytes, [["function_name"], ["function_name", "version"]],
            "rx_bytes plus tx_bytes; on AWS above zero even for functions without I/O, from the runtime's own calls.";
        TMP_USED: "tmp_used", Bytes, [["function_name"], ["function_name", "version"]],
            "Space used in the execution environment's /tmp. Engine: the bytes of the files in the instance's own temporary directory, which its TMPDIR names (a function that writes to the literal path /tmp writes to the host's, which is not counted).";
        TMP_FREE: "tmp_free", Bytes, [["function_name"], ["function_name", "version"]],
            "Space free in the execution environment's /tmp. Engine: Lambda's default 512 MB ephemeral storage minus tmp_used.";
    }

    /// `StreamwatchEngine`: streamwatch's own CloudWatch metrics about the functions the
    /// engine runs; not an AWS namespace (AWS has no such metric; a cold start shows there
    /// only as an `init_duration` datapoint or REPORT's Init Duration).
    streamwatch_engine ("StreamwatchEngine") {
        COLD_STARTS: "ColdStarts", Count, [["FunctionName"]],
            collect [Sum],
            "1 for each invocation the engine served by starting a new instance of the function (on demand, not provisioned); Sum counts cold starts.";
    }

    /// `StreamwatchPipeline`: what `streamwatch collect` derives for a pipeline from the
    /// series AWS publishes (AWS publishes none of these), per function and the queue that
    /// catches its failures.
    pipeline_derived ("StreamwatchPipeline") {
        DLQ_MESSAGES: "DLQMessages", Count, [["FunctionName", "QueueName"]],
            collect [Sum],
            "Messages that reached a function's dead-letter queue or on-failure destination (the queue's AWS/SQS NumberOfMessagesSent), for each queue linked to the function by an event source mapping, its DeadLetterConfig or its asynchronous on-failure destination; for a stream source each message stands for one failed batch.";
    }

    /// `AWS/SQS`: per queue (QueueName). The `Approximate*` gauges are sampled once a minute.
    sqs ("AWS/SQS") {
        MESSAGES_SENT: "NumberOfMessagesSent", Count, [["QueueName"]],
            collect [Sum],
            "Messages added to the queue (SendMessage, SendMessageBatch entries).";
        MESSAGES_RECEIVED: "NumberOfMessagesReceived", Count, [["QueueName"]],
            collect [Sum],
            "Messages returned by ReceiveMessage calls.";
        MESSAGES_DELETED: "NumberOfMessagesDeleted", Count, [["QueueName"]],
            collect [Sum],
            "Messages deleted with a current receipt handle.";
        EMPTY_RECEIVES: "NumberOfEmptyReceives", Count, [["QueueName"]],
            collect [Sum],
            "ReceiveMessage calls that returned no message.";
        DEDUPLICATED_SENT: "NumberOfDeduplicatedSentMessages", Count, [["QueueName"]],
            "FIFO queues: sends accepted but not stored because their deduplication id was seen within the last five minutes; read with Sum.";
        SENT_MESSAGE_SIZE: "SentMessageSize", Bytes, [["QueueName"]],
            collect [Average],
            "Size of one message added to the queue.";
        MESSAGES_VISIBLE: "ApproximateNumberOfMessagesVisible", Count, [["QueueName"]],
            collect [Maximum],
            "Messages available for retrieval when sampled.";
        MESSAGES_NOT_VISIBLE: "ApproximateNumberOfMessagesNotVisible", Count, [["QueueName"]],
            collect [Maximum],
            "Messages received and not yet deleted nor back to visible (in flight) when sampled.";
        MESSAGES_DELAYED: "ApproximateNumberOfMessagesDelayed", Count, [["QueueName"]],
            collect [Maximum],
            "Messages still within their delivery delay when sampled.";
        AGE_OF_OLDEST: "ApproximateAgeOfOldestMessage", Seconds, [["QueueName"]],
            collect [Maximum],
            "Age of the oldest message still in the queue when sampled; not published for an empty queue.";
    }

    /// `AWS/SNS`: per topic (TopicName).
    sns ("AWS/SNS") {
        MESSAGES_PUBLISHED: "NumberOfMessagesPublished", Count, [["TopicName"]],
            collect [Sum],
            "Messages published to the topic (Publish, PublishBatch entries, alarm notifications).";
        NOTIFICATIONS_DELIVERED: "NumberOfNotificationsDelivered", Count, [["TopicName"]],
            collect [Sum],
            "Messages delivered to a subscription's endpoint (queue accepted, function invocation queued, HTTP 2xx).";
        NOTIFICATIONS_FAILED: "NumberOfNotificationsFailed", Count, [["TopicName"]],
            collect [Sum],
            "Messages a subscription's endpoint did not accept (no retries are made).";
        PUBLISH_SIZE: "PublishSize", Bytes, [["TopicName"]],
            collect [Average],
            "Size of one published message, attributes included.";
    }

    /// `AWS/Logs`: what CloudWatch Logs ingests, per log group (LogGroupName) and for the
    /// account (no dimension), published as PutLogEvents stores events.
    logs ("AWS/Logs") {
        INCOMING_BYTES: "IncomingBytes", Bytes, [[], ["LogGroupName"]],
            "Uncompressed bytes of the log events one PutLogEvents call stored (their messages in UTF-8), per log group or for the account; read with Sum.";
        INCOMING_LOG_EVENTS: "IncomingLogEvents", None, [[], ["LogGroupName"]],
            "Log events one PutLogEvents call stored (rejected ones are not counted), per log group or for the account; read with Sum.";
    }
}

/// streamwatch's own metrics: what its processes say about themselves in Prometheus text
/// (`streamwatch collect`'s health series; `streamwatch serve`'s `GET /metrics`: what it holds
/// and how close each bound is). Not CloudWatch metrics: they never enter the [`Store`].
///
/// A name here is the only way to publish one of them; `docs/metrics.md` lists them under
/// "streamwatch's own metrics".
pub mod own {
    /// Whether a metric counts up or goes up and down.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Kind {
        /// Cumulative since the process started; its name ends in `_total`, so `rate()` and
        /// `increase()` apply.
        Counter,
        /// A value that goes up and down.
        Gauge,
    }

    impl Kind {
        /// `counter` or `gauge`, as Prometheus' `# TYPE` line writes it.
        pub fn as_str(self) -> &'static str {
            match self {
                Kind::Counter => "counter",
                Kind::Gauge => "gauge",
            }
        }
    }

    /// One of streamwatch's own metrics.
    #[derive(Debug, PartialEq)]
    pub struct OwnMetric {
        /// The Prometheus name, e.g. `streamwatch_metric_series`.
        pub name: &'static str,
        /// Counter or gauge.
        pub kind: Kind,
        /// The HELP text: what one value means.
        pub help: &'static str,
        /// The label names each series carries, in order (empty for one series).
        pub labels: &'static [&'static str],
        /// Which command publishes it.
        pub published_by: &'static str,
    }

    macro_rules! own_metrics {
        ($(
            $(#[$doc:meta])*
            $group:ident ($by:literal) {
                $( $const_name:ident: $name:literal, $kind:ident, [$($label:literal),*], $help:literal; )*
            }
        )*) => {
            $(
                $(#[$doc])*
                pub mod $group {
                    use super::{Kind, OwnMetric};
                    $(
                        #[doc = $help]
                        pub static $const_name: OwnMetric = OwnMetric {
                            name: $name,
                            kind: Kind::$kind,
                            help: $help,
                            labels: &[$($label),*],
                            published_by: $by,
                        };
                    )*

                    /// Every metric of the group, in documentation order.
                    pub static ALL: &[&OwnMetric] = &[$(&$const_name),*];
                }
            )*

            /// Every own metric, group by group.
            pub fn all() -> impl Iterator<Item = &'static OwnMetric> {
                std::iter::empty()$(.chain($group::ALL.iter().copied()))*
            }
        };
    }

    own_metrics! {
        /// `streamwatch collect`: the collector's health, per region.
        collector ("streamwatch collect") {
            API_CALLS: "streamwatch_collector_api_calls_total", Counter, ["operation", "region"],
                "API calls the collector made since it started, by operation.";
            ERRORS: "streamwatch_collector_errors_total", Counter, ["region"],
                "Errors (failed API calls, inventory reads and outputs) since the collector started.";
            METRICS_REQUESTED: "streamwatch_collector_metrics_requested_total", Counter, ["region"],
                "Metrics requested from GetMetricData since the collector started (what CloudWatch bills).";
            CYCLE_METRICS_REQUESTED: "streamwatch_collector_cycle_metrics_requested", Gauge, ["region"],
                "Metrics the last cycle requested from GetMetricData (what CloudWatch bills).";
            CYCLE_COST_USD: "streamwatch_collector_cycle_cost_usd", Gauge, ["region"],
                "Estimated CloudWatch cost of the last cycle, in US dollars.";
            CYCLE_DURATION: "streamwatch_collector_cycle_duration_seconds", Gauge, ["region"],
                "How long the last cycle took, inventory included.";
            STREAMS: "streamwatch_collector_streams", Gauge, ["region"],
                "Streams found by the last discovery.";
            FUNCTIONS: "streamwatch_collector_functions", Gauge, ["region"],
                "Functions found by the last discovery.";
            LAST_SUCCESS: "streamwatch_collector_last_success_timestamp_seconds", Gauge, ["region"],
                "When the last cycle without errors ended (Unix seconds); time() minus this is the age of the data.";
        }

        /// `streamwatch serve` (`GET /metrics` on the engine's port): what the engine holds in
        /// memory and how close each bound is (see README's "Memory and bounds").
        engine ("streamwatch serve") {
            HELD_RECORD_BYTES: "streamwatch_engine_held_record_bytes", Gauge, [],
                "Bytes of Kinesis records held in memory: payload, 48 bytes per record and, with --data-dir, 40 bytes per journal frame indexed.";
            MAX_MEMORY_BYTES: "streamwatch_engine_max_memory_bytes", Gauge, [],
                "The limit on Kinesis record bytes held in memory (--max-memory).";
            RECORDS_EVICTED: "streamwatch_engine_records_evicted_total", Counter, ["stream_name", "shard_id"],
                "Kinesis records dropped before their retention period ended, in memory-only mode, because the memory limit was reached.";
            METRIC_SERIES: "streamwatch_metric_series", Gauge, [],
                "Series the metric store holds (AWS metrics, PutMetricData and EMF metrics).";
            METRIC_MAX_SERIES: "streamwatch_metric_max_series", Gauge, [],
                "The limit on series in the metric store (--max-metric-series).";
            METRIC_SERIES_EVICTED: "streamwatch_metric_series_evicted_total", Counter, [],
                "Series the metric store forgot to make room for a new one (the least recently updated first).";
            LAMBDA_LOG_EVENTS_DROPPED: "streamwatch_lambda_log_events_dropped_total", Counter, ["function_name"],
                "Function log lines dropped, oldest first, because the function held --max-function-log-events lines.";
            LAMBDA_ASYNC_EVENTS_PENDING: "streamwatch_lambda_async_events_pending", Gauge, [],
                "Asynchronous Lambda events accepted and not yet finished, all functions (bounded by --max-async-events).";
            LAMBDA_ASYNC_EVENTS_REFUSED: "streamwatch_lambda_async_events_refused_total", Counter, [],
                "Event invocations refused with TooManyRequestsException because --max-async-events were pending.";
            LOG_EVENTS_DROPPED: "streamwatch_logs_events_dropped_total", Counter, [],
                "CloudWatch Logs events (PutLogEvents) dropped, oldest first, because their log group held --max-log-group-events events.";
            SQS_HELD_BYTES: "streamwatch_sqs_held_bytes", Gauge, [],
                "Bytes of SQS messages held across all queues (body, attributes and 256 bytes of bookkeeping each).";
            SQS_MAX_HELD_BYTES: "streamwatch_sqs_max_held_bytes", Gauge, [],
                "The limit on bytes of SQS messages held across all queues (--max-queue-bytes).";
            SQS_SENDS_REFUSED: "streamwatch_sqs_sends_refused_total", Counter, [],
                "Messages refused (RequestThrottled) because the queues held --max-queue-bytes; SNS and Lambda deliveries included.";
            DASHBOARDS: "streamwatch_cloudwatch_dashboards", Gauge, [],
                "CloudWatch dashboards kept (PutDashboard).";
            MAX_DASHBOARDS: "streamwatch_cloudwatch_max_dashboards", Gauge, [],
                "The limit on CloudWatch dashboards kept (--max-dashboards).";
            DASHBOARDS_REFUSED: "streamwatch_cloudwatch_dashboards_refused_total", Counter, [],
                "PutDashboard calls refused with LimitExceeded because --max-dashboards dashboards were kept.";
            SNS_HTTP_IN_FLIGHT: "streamwatch_sns_http_deliveries_in_flight", Gauge, [],
                "SNS notifications being POSTed to HTTP(S) subscriptions now.";
            SNS_HTTP_REFUSED: "streamwatch_sns_http_deliveries_refused_total", Counter, [],
                "SNS notifications to HTTP(S) subscriptions failed at once because --max-sns-http-deliveries were in flight.";
            INJECTED_FAULTS: "streamwatch_injected_faults_total", Counter, ["service", "action", "kind"],
                "Faults injected on purpose (--fault, /_streamwatch/faults) since the server started, by service, action and kind (error, record_failure, latency, drop, storm).";
        }

        /// `streamwatch collect --cost`: what each resource costs at list prices, the figures
        /// of `streamwatch cost` (a component ending in ` (estimate)` is estimated).
        cost ("streamwatch collect") {
            COST_USD: "streamwatch_cost_usd", Gauge, ["service", "resource", "component", "region"],
                "What a resource's billed component cost over the last hour at list prices, in US dollars.";
            COST_MONTHLY_USD: "streamwatch_cost_monthly_usd", Gauge, ["service", "resource", "component", "region"],
                "The same component projected to a month of 730 hours at the last hour's rate, in US dollars.";
        }
    }

    /// `streamwatch collect` with `label_style = "yace"` (or a YACE config): the request
    /// counters under yet-another-cloudwatch-exporter's own names, so the cost queries
    /// written for it work. Kept out of [`all`], whose names all start `streamwatch_`.
    pub mod yace {
        use super::{Kind, OwnMetric};

        /// CloudWatch API calls (GetMetricData, ListMetrics) since the collector started, by
        /// operation, all regions.
        pub static REQUESTS: OwnMetric = OwnMetric {
            name: "yace_cloudwatch_requests_total",
            kind: Kind::Counter,
            help: "CloudWatch API calls (GetMetricData, ListMetrics) since the collector started, by operation, all regions.",
            labels: &["api_name"],
            published_by: "streamwatch collect (YACE style)",
        };

        /// Metrics requested from GetMetricData since the collector started, all regions.
        pub static METRICS_REQUESTED: OwnMetric = OwnMetric {
            name: "yace_cloudwatch_getmetricdata_metrics_requested_total",
            kind: Kind::Counter,
            help: "Metrics requested from GetMetricData since the collector started, all regions (what CloudWatch bills).",
            labels: &[],
            published_by: "streamwatch collect (YACE style)",
        };

        /// Both, in documentation order.
        pub static ALL: &[&OwnMetric] = &[&REQUESTS, &METRICS_REQUESTED];
    }
}

/// The metrics of a load test (`streamwatch load`, `examples/k6`), under the names pipeline
/// teams use in k6: k6 metrics, not CloudWatch or Prometheus series. `iterations`,
/// `dropped_iterations` and `data_sent` are k6's built-in names with k6's meaning.
pub mod load_test {
    /// A k6 metric type.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Kind {
        /// A sum of increments.
        Counter,
        /// The last value.
        Gauge,
        /// The share of non-zero values.
        Rate,
        /// The distribution of values (avg, min, med, max, percentiles).
        Trend,
    }

    /// What a metric's values are, for printing.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Values {
        /// Plain numbers.
        Plain,
        /// Milliseconds.
        Time,
        /// Bytes.
        Data,
    }

    /// One load-test metric.
    #[derive(Debug, PartialEq)]
    pub struct LoadTestMetric {
        /// The k6 name.
        pub name: &'static str,
        /// Its k6 type.
        pub kind: Kind,
        /// What its values are.
        pub values: Values,
        /// What one value means.
        pub meaning: &'static str,
    }

    macro_rules! load_test_metrics {
        ($( $const_name:ident: $name:literal, $kind:ident, $values:ident, $meaning:literal; )*) => {
            $(
                #[doc = $meaning]
                pub static $const_name: LoadTestMetric = LoadTestMetric {
                    name: $name,
                    kind: Kind::$kind,
                    values: Values::$values,
                    meaning: $meaning,
                };
            )*

            /// Every load-test metric, in documentation order.
            pub static ALL: &[&LoadTestMetric] = &[$(&$const_name),*];
        };
    }

    load_test_metrics! {
        KINESIS_PUT_RECORD_DURATION: "kinesis_put_record_duration", Trend, Time,
            "How long each PutRecord or PutRecords call took, in milliseconds.";
        KINESIS_PUT_RECORD_SUCCESS_RATE: "kinesis_put_record_success_rate", Rate, Plain,
            "One value per record put: 1 when Kinesis stored it.";
        KINESIS_PUT_RECORD_THROUGHPUT: "kinesis_put_record_throughput", Counter, Plain,
            "Records Kinesis stored (its rate is records a second).";
        KINESIS_THROTTLING_RATE: "kinesis_throttling_rate", Rate, Plain,
            "One value per record put: 1 when it was refused with ProvisionedThroughputExceededException.";
        END_TO_END_LATENCY: "end_to_end_latency", Trend, Time,
            "From a record's send to the end of its processing by the function, in milliseconds.";
        PIPELINE_THROUGHPUT: "pipeline_throughput", Counter, Plain,
            "Records the pipeline finished end to end (its rate is records a second).";
        ERROR_RATE: "error_rate", Rate, Plain,
            "One value per record: 1 when it failed for a reason other than throttling, or was lost (never finished within the drain time).";
        LAMBDA_COLD_START_RATE: "lambda_cold_start_rate", Rate, Plain,
            "One value per function invocation: 1 when its REPORT line had an Init Duration (a cold start).";
        ITERATIONS: "iterations", Counter, Plain,
            "Records the generator sent (k6's name; an iteration is one record).";
        DROPPED_ITERATIONS: "dropped_iterations", Counter, Plain,
            "Records due while every call slot was busy, so never sent (k6's name and meaning).";
        DATA_SENT: "data_sent", Counter, Data,
            "Bytes of partition keys and data sent (k6's name).";
    }
}

/// The shard-level `AWS/Kinesis` metrics (`StreamName` + `ShardId`), which
/// EnableEnhancedMonitoring names one by one (or all with `ALL`), in the order of its API
/// documentation.
pub static KINESIS_SHARD_LEVEL: [&MetricDef; 7] = [
    &kinesis::INCOMING_BYTES,
    &kinesis::INCOMING_RECORDS,
    &kinesis::OUTGOING_BYTES,
    &kinesis::OUTGOING_RECORDS,
    &kinesis::WRITE_THROTTLED,
    &kinesis::READ_THROTTLED,
    &kinesis::ITERATOR_AGE,
];

/// The definition of `namespace`/`name`, if the catalogue has it.
pub fn find(namespace: &str, name: &str) -> Option<&'static MetricDef> {
    all().find(|d| d.namespace == namespace && d.name == name)
}

/// The catalogue as a Markdown page (the contents of `docs/metrics.md`).
pub fn markdown() -> String {
    let mut out = String::from(
        "# Metrics\n\nGenerated from `crates/metric-store/src/catalog.rs` by `streamwatch metrics catalog`; do not edit by hand.\n",
    );
    let mut namespace = "";
    for d in all() {
        if d.namespace != namespace {
            namespace = d.namespace;
            out.push_str(&format!(
                "\n## {namespace}\n\n| metric | unit | dimensions | collected by default | meaning |\n|---|---|---|---|---|\n"
            ));
        }
        let sets: Vec<String> = d
            .dimension_sets
            .iter()
            .map(|s| {
                if s.is_empty() {
                    "(none)".to_owned()
                } else {
                    s.join(", ")
                }
            })
            .collect();
        let statistics: Vec<String> = d.default_statistics.iter().map(|s| s.to_string()).collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            d.name,
            d.unit.as_str(),
            sets.join("; "),
            statistics.join(", "),
            d.description
        ));
    }
    out.push_str(
        "\n## streamwatch's own metrics\n\nPrometheus text, not CloudWatch: `streamwatch collect` adds its health series to its output, `streamwatch serve` answers `GET /metrics` on its port.\n\n| metric | type | labels | published by | meaning |\n|---|---|---|---|---|\n",
    );
    for m in own::all().chain(own::yace::ALL.iter().copied()) {
        let labels = if m.labels.is_empty() {
            "(none)".to_owned()
        } else {
            m.labels.join(", ")
        };
        out.push_str(&format!(
            "| {} | {} | {} | `{}` | {} |\n",
            m.name,
            m.kind.as_str(),
            labels,
            m.published_by,
            m.help
        ));
    }
    out.push_str(
        "\n## Load-test metrics (k6)\n\nk6 metrics, not CloudWatch: `streamwatch load` and `examples/k6/kinesis.js` report them, and thresholds name them (`kinesis_put_record_duration=p(95)<100`).\n\n| metric | k6 type | values | meaning |\n|---|---|---|---|\n",
    );
    for m in load_test::ALL {
        let kind = match m.kind {
            load_test::Kind::Counter => "counter",
            load_test::Kind::Gauge => "gauge",
            load_test::Kind::Rate => "rate",
            load_test::Kind::Trend => "trend",
        };
        let values = match m.values {
            load_test::Values::Plain => "count",
            load_test::Values::Time => "milliseconds",
            load_test::Values::Data => "bytes",
        };
        out.push_str(&format!(
            "| {} | {kind} | {values} | {} |\n",
            m.name, m.meaning
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_within_a_namespace() {
        let mut seen = std::collections::BTreeSet::new();
        for d in all() {
            assert!(seen.insert((d.namespace, d.name)), "{} twice", d.name);
        }
    }

    #[test]
    fn keys_only_for_documented_dimension_sets() {
        let k = kinesis::INCOMING_BYTES
            .key(&[("StreamName", "s"), ("ShardId", "shardId-000000000000")])
            .unwrap();
        assert_eq!(k.dimension("ShardId"), Some("shardId-000000000000"));
        assert!(
            kinesis::PUT_RECORD_LATENCY
                .key(&[("StreamName", "s"), ("ShardId", "x")])
                .is_err()
        );
        assert!(lambda::INVOCATIONS.key(&[]).is_ok());
    }

    #[test]
    fn the_shard_level_set_is_every_metric_published_per_shard() {
        let per_shard: Vec<&str> = kinesis::ALL
            .iter()
            .filter(|d| d.dimension_sets.contains(&&["StreamName", "ShardId"][..]))
            .map(|d| d.name)
            .collect();
        let mut listed: Vec<&str> = KINESIS_SHARD_LEVEL.iter().map(|d| d.name).collect();
        listed.sort_unstable();
        let mut expected = per_shard.clone();
        expected.sort_unstable();
        assert_eq!(listed, expected);
    }

    #[test]
    fn series_are_recorded_only_under_documented_sets() {
        let store = Store::new();
        assert!(
            lambda::INVOCATIONS
                .series(&store, &[("FunctionName", "f")])
                .is_ok()
        );
        assert!(
            lambda::RECURSIVE_INVOCATIONS_DROPPED
                .series(&store, &[])
                .is_err()
        );
    }

    #[test]
    fn own_metrics_are_unique_prometheus_names_and_counters_end_in_total() {
        let mut seen = std::collections::BTreeSet::new();
        for m in own::all() {
            assert!(seen.insert(m.name), "{} twice", m.name);
            assert!(m.name.starts_with("streamwatch_"), "{}", m.name);
            assert!(
                m.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{}",
                m.name
            );
            assert_eq!(
                m.kind == own::Kind::Counter,
                m.name.ends_with("_total"),
                "{}",
                m.name
            );
        }
        assert!(markdown().contains("| streamwatch_metric_series | gauge | (none) |"));
    }

    #[test]
    fn lambda_insights_is_published_per_function_and_version() {
        for d in lambda_insights::ALL {
            assert_eq!(
                d.dimension_sets,
                &[&["function_name"][..], &["function_name", "version"][..]],
                "{}",
                d.name
            );
        }
        assert_eq!(lambda_insights::USED_MEMORY_MAX.unit, Unit::Megabytes);
        assert_eq!(lambda_insights::MEMORY_UTILIZATION.unit, Unit::Percent);
        // Ours, so neither reserved for AWS nor under the EMF exporter's `Streamwatch/<service>`.
        assert!(!streamwatch_engine::NAMESPACE.contains('/'));
    }

    #[test]
    fn kinesis_units_are_awss() {
        assert_eq!(kinesis::GET_RECORDS_ITERATOR_AGE.unit, Unit::Milliseconds);
        assert_eq!(kinesis::PUT_RECORDS_BYTES.unit, Unit::Bytes);
        assert_eq!(kinesis::WRITE_THROTTLED.unit, Unit::Count);
        assert_eq!(
            find("AWS/Lambda", "Duration").map(|d| d.unit),
            Some(Unit::Milliseconds)
        );
    }
}

#[cfg(test)]
mod docs_tests {
    #[test]
    fn docs_page_matches_the_catalogue() {
        let on_disk = include_str!("../../../docs/metrics.md");
        if std::env::var_os("STREAMWATCH_BLESS").is_some() {
            // Writes the page, for those without a `streamwatch` binary at hand.
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/metrics.md");
            std::fs::write(path, super::markdown()).expect("docs/metrics.md is writable");
            return;
        }
        assert_eq!(
            on_disk,
            super::markdown(),
            "docs/metrics.md is stale: run `streamwatch metrics catalog > docs/metrics.md`"
        );
    }
}
