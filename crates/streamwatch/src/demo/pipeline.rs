//! The function side of `demo`'s pipeline: stream -> an event source mapping -> the demo
//! function (`streamwatch demo-function`) -> a downstream stream, with an SQS on-failure
//! queue for the records the mapping gives up on, all created through the engine's public
//! APIs as a user would; and what the live view shows of it.

use anyhow::Context;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    DestinationConfig, Environment, EventSourcePosition, FunctionCode, FunctionResponseType,
    OnFailure, Runtime,
};
use metric_store::catalog::{kinesis, lambda, pipeline};

/// Seconds an invocation of the demo function may run.
pub(super) const FUNCTION_TIMEOUT_SECS: i32 = 10;
/// Records a batch of the mapping holds at most: small, so a poison record fails few others.
const BATCH_SIZE: i32 = 25;
/// Retries of a failed batch before its records go to the on-failure queue.
const RETRIES: i32 = 2;

/// The deployed pipeline and the clients that read its state.
pub(super) struct Pipeline {
    /// The function reading the stream.
    pub(super) function: String,
    /// The stream it forwards each record to.
    pub(super) output_stream: String,
    /// The on-failure queue's URL.
    pub(super) queue_url: String,
    lambda: aws_sdk_lambda::Client,
    sqs: aws_sdk_sqs::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    started: aws_sdk_cloudwatch::primitives::DateTime,
}

/// The pipeline's state for the live view, since the demo started.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct PipelineStatus {
    /// The function's invocations.
    pub(super) invocations: f64,
    /// Records the function's handler failed (each try counts).
    pub(super) failed_records: f64,
    /// Records that reached the downstream stream.
    pub(super) forwarded: f64,
    /// Messages in the on-failure queue (each names a range of records given up on).
    pub(super) failed_batches: u64,
}

impl Pipeline {
    /// Creates the downstream stream, the on-failure queue, the function and its mapping on
    /// `stream`.
    pub(super) async fn deploy(
        config: &aws_config::SdkConfig,
        kinesis_client: &aws_sdk_kinesis::Client,
        stream: &str,
    ) -> anyhow::Result<Pipeline> {
        let lambda = aws_sdk_lambda::Client::new(config);
        let sqs = aws_sdk_sqs::Client::new(config);
        let cloudwatch = aws_sdk_cloudwatch::Client::new(config);
        let output_stream = format!("{stream}-out");
        let function = format!("{stream}-consumer");
        kinesis_client
            .create_stream()
            .stream_name(&output_stream)
            .shard_count(1)
            .send()
            .await
            .with_context(|| format!("creating stream {output_stream:?}"))?;
        let queue_url = sqs
            .create_queue()
            .queue_name(format!("{stream}-failed"))
            .send()
            .await
            .context("creating the on-failure queue")?
            .queue_url()
            .unwrap_or_default()
            .to_owned();
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .context("reading the on-failure queue's ARN")?
            .attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
            .cloned()
            .context("the queue has no ARN")?;
        let stream_arn = kinesis_client
            .describe_stream_summary()
            .stream_name(stream)
            .send()
            .await
            .context("describing the stream")?
            .stream_description_summary()
            .map(|s| s.stream_arn().to_owned())
            .context("the stream has no ARN")?;
        lambda
            .create_function()
            .function_name(&function)
            .runtime(Runtime::Providedal2023)
            .handler("bootstrap")
            .role("arn:aws:iam::000000000000:role/streamwatch-demo")
            .timeout(FUNCTION_TIMEOUT_SECS)
            .memory_size(128)
            .environment(
                Environment::builder()
                    .variables("OUTPUT_STREAM", &output_stream)
                    .build(),
            )
            .code(
                FunctionCode::builder()
                    .zip_file(Blob::new(crate::demo_function::bootstrap_zip()?))
                    .build(),
            )
            .send()
            .await
            .with_context(|| format!("creating function {function}"))?;
        lambda
            .create_event_source_mapping()
            .function_name(&function)
            .event_source_arn(&stream_arn)
            .starting_position(EventSourcePosition::Latest)
            .batch_size(BATCH_SIZE)
            .maximum_retry_attempts(RETRIES)
            .function_response_types(FunctionResponseType::ReportBatchItemFailures)
            .destination_config(
                DestinationConfig::builder()
                    .on_failure(OnFailure::builder().destination(queue_arn).build())
                    .build(),
            )
            .send()
            .await
            .context("mapping the stream to the function")?;
        Ok(Pipeline {
            function,
            output_stream,
            queue_url,
            lambda,
            sqs,
            cloudwatch,
            started: aws_sdk_cloudwatch::primitives::DateTime::from_millis(
                time_source::now_ms_i64(),
            ),
        })
    }

    /// The sum of a metric since the demo started.
    async fn sum(&self, namespace: &str, name: &str, dims: &[(&str, &str)]) -> f64 {
        let dimensions = dims.iter().map(|(k, v)| {
            aws_sdk_cloudwatch::types::Dimension::builder()
                .name(*k)
                .value(*v)
                .build()
        });
        self.cloudwatch
            .get_metric_statistics()
            .namespace(namespace)
            .metric_name(name)
            .set_dimensions(Some(dimensions.collect()))
            .start_time(self.started)
            .end_time(aws_sdk_cloudwatch::primitives::DateTime::from_millis(
                time_source::now_ms_i64() + 60_000,
            ))
            .period(86_400)
            .statistics(aws_sdk_cloudwatch::types::Statistic::Sum)
            .send()
            .await
            .ok()
            .map_or(0.0, |o| o.datapoints().iter().filter_map(|d| d.sum()).sum())
    }

    /// Invocations, failed records and forwarded records since the start (CloudWatch sums),
    /// and the on-failure queue's depth.
    pub(super) async fn status(&self) -> PipelineStatus {
        let function = [("FunctionName", self.function.as_str())];
        // lambda-kinesis-handler's dimensions: Environment (`dev` unless set) and Pipeline
        // (the function's name).
        let handler = [("Environment", "dev"), ("Pipeline", self.function.as_str())];
        let failed_batches = self
            .sqs
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .ok()
            .and_then(|o| {
                o.attributes()?
                    .get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)?
                    .parse()
                    .ok()
            })
            .unwrap_or(0);
        PipelineStatus {
            invocations: self
                .sum(lambda::NAMESPACE, lambda::INVOCATIONS.name, &function)
                .await,
            failed_records: self
                .sum(
                    pipeline::NAMESPACE,
                    pipeline::RECORD_PROCESSING_FAILURE.name,
                    &handler,
                )
                .await,
            forwarded: self
                .sum(
                    kinesis::NAMESPACE,
                    kinesis::INCOMING_RECORDS.name,
                    &[("StreamName", self.output_stream.as_str())],
                )
                .await,
            failed_batches,
        }
    }

    /// The function's configuration, for the recommended alarm set.
    pub(super) async fn facts(&self) -> crate::alarms::pipeline_set::FunctionFacts {
        let limit = self
            .lambda
            .get_account_settings()
            .send()
            .await
            .ok()
            .and_then(|s| s.account_limit().map(|l| l.concurrent_executions()))
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(1000);
        crate::alarms::pipeline_set::FunctionFacts {
            name: self.function.clone(),
            timeout_secs: FUNCTION_TIMEOUT_SECS as u32,
            concurrency_limit: limit,
            reserved: false,
        }
    }
}
