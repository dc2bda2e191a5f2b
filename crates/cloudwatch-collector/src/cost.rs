//! What a cycle costs: the API calls made, by operation, and the estimated CloudWatch bill
//! (GetMetricData is billed per metric requested).

use crate::Cycle;

/// What AWS charges per metric requested through GetMetricData, in US dollars: the us-east-1
/// list price from the `aws-prices` table ($0.01 per 1,000 metrics requested, the table's
/// `cloudwatch.get_metric_data_per_thousand_metrics`). A cycle does not know its region and
/// the table has no other region's prices yet.
pub fn usd_per_metric_requested() -> f64 {
    aws_prices::PriceTable::embedded()
        .and_then(|table| table.for_region("us-east-1"))
        .map(|prices| prices.cloudwatch.usd_per_metric_requested())
        // The table is built into aws-prices, whose tests parse it and find us-east-1.
        .expect("aws-prices' built-in table has us-east-1")
}

/// API calls made, by operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiCalls {
    /// ListStreams pages.
    pub list_streams: u64,
    /// GetMetricData calls (pages included).
    pub get_metric_data: u64,
    /// DescribeStreamSummary calls.
    pub describe_stream_summary: u64,
    /// ListTagsForStream calls.
    pub list_tags_for_stream: u64,
    /// ListFunctions pages.
    pub list_functions: u64,
    /// Lambda ListTags calls.
    pub list_tags: u64,
    /// ListEventSourceMappings pages.
    pub list_event_source_mappings: u64,
    /// ListMetrics pages (finer series, consumers and listed namespaces).
    pub list_metrics: u64,
    /// ListQueues pages.
    pub list_queues: u64,
    /// ListTopics pages.
    pub list_topics: u64,
    /// ListQueueTags calls.
    pub list_queue_tags: u64,
    /// SNS ListTagsForResource calls.
    pub list_tags_for_resource: u64,
    /// GetQueueAttributes calls (the queue inventory).
    pub get_queue_attributes: u64,
    /// GetFunctionEventInvokeConfig calls (asynchronous on-failure destinations).
    pub get_function_event_invoke_config: u64,
}

impl ApiCalls {
    /// All calls.
    pub fn total(&self) -> u64 {
        self.by_operation().iter().map(|(_, n)| n).sum()
    }

    /// Each operation's CloudWatch, Kinesis or Lambda name with its count.
    pub fn by_operation(&self) -> [(&'static str, u64); 14] {
        [
            ("ListStreams", self.list_streams),
            ("GetMetricData", self.get_metric_data),
            ("DescribeStreamSummary", self.describe_stream_summary),
            ("ListTagsForStream", self.list_tags_for_stream),
            ("ListFunctions", self.list_functions),
            ("ListTags", self.list_tags),
            ("ListEventSourceMappings", self.list_event_source_mappings),
            ("ListMetrics", self.list_metrics),
            ("ListQueues", self.list_queues),
            ("ListTopics", self.list_topics),
            ("ListQueueTags", self.list_queue_tags),
            ("ListTagsForResource", self.list_tags_for_resource),
            ("GetQueueAttributes", self.get_queue_attributes),
            (
                "GetFunctionEventInvokeConfig",
                self.get_function_event_invoke_config,
            ),
        ]
    }

    /// Adds another count to this one.
    pub fn add(&mut self, other: &ApiCalls) {
        self.list_streams += other.list_streams;
        self.get_metric_data += other.get_metric_data;
        self.describe_stream_summary += other.describe_stream_summary;
        self.list_tags_for_stream += other.list_tags_for_stream;
        self.list_functions += other.list_functions;
        self.list_tags += other.list_tags;
        self.list_event_source_mappings += other.list_event_source_mappings;
        self.list_metrics += other.list_metrics;
        self.list_queues += other.list_queues;
        self.list_topics += other.list_topics;
        self.list_queue_tags += other.list_queue_tags;
        self.list_tags_for_resource += other.list_tags_for_resource;
        self.get_queue_attributes += other.get_queue_attributes;
        self.get_function_event_invoke_config += other.get_function_event_invoke_config;
    }
}

impl Cycle {
    /// The estimated CloudWatch cost of the cycle, in US dollars.
    pub fn estimated_cost_usd(&self) -> f64 {
        self.metrics_requested as f64 * usd_per_metric_requested()
    }
}
