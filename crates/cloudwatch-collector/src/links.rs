//! Pipeline links: the queues that catch each function's failures (its event source
//! mappings' on-failure destinations, its `DeadLetterConfig`, its asynchronous on-failure
//! destination), and `DLQMessages`, the messages that reached them.

use std::collections::{BTreeSet, HashMap};

use metric_export::{Sample, Statistic};
use metric_store::catalog::{pipeline_derived, sqs};

use crate::cost::ApiCalls;
use crate::error::{call_error, code};
use crate::queries::Query;
use crate::{CollectError, Collector, Cycle, Namespace};

/// How a queue catches a function's failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LinkKind {
    /// The on-failure destination of an event source mapping (records of a stream or
    /// queue the function gave up on).
    OnFailure,
    /// The function's dead-letter queue (`DeadLetterConfig`) for asynchronous events.
    DeadLetter,
    /// The on-failure destination of the function's asynchronous invocations.
    AsyncOnFailure,
}

impl LinkKind {
    /// The name written in the inventory: `on-failure`, `dead-letter`, `async-on-failure`.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::OnFailure => "on-failure",
            LinkKind::DeadLetter => "dead-letter",
            LinkKind::AsyncOnFailure => "async-on-failure",
        }
    }
}

/// A queue linked to the function whose failures it catches.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PipelineLink {
    /// The function's name.
    pub function: String,
    /// The queue's name (the `QueueName` dimension of its `AWS/SQS` metrics).
    pub queue: String,
    /// The queue's ARN.
    pub queue_arn: String,
    /// How it is linked.
    pub kind: LinkKind,
    /// The event source whose records it catches (a stream or queue ARN), for
    /// [`LinkKind::OnFailure`].
    pub source_arn: Option<String>,
}

/// The queue name of an SQS ARN (`arn:aws:sqs:region:account:name`); `None` for any other
/// ARN (an SNS topic or a function as a destination).
fn queue_of(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let service = parts.nth(2)?;
    let name = parts.nth(2)?;
    (service == "sqs" && !name.is_empty()).then_some(name)
}

/// The function name of a function ARN (`arn:aws:lambda:region:account:function:name[:q]`).
fn function_of(arn: &str) -> Option<&str> {
    arn.split(':').nth(6).filter(|n| !n.is_empty())
}

impl Collector {
    /// The links of these functions: every event source mapping (ListEventSourceMappings,
    /// every page), each function's `DeadLetterConfig` (from ListFunctions, in
    /// `dead_letters`) and asynchronous on-failure destination
    /// (GetFunctionEventInvokeConfig).
    pub(crate) async fn pipeline_links(
        &self,
        functions: &[String],
        dead_letters: &HashMap<String, String>,
        calls: &mut ApiCalls,
    ) -> Result<Vec<PipelineLink>, CollectError> {
        let lambda = self.lambda_client()?;
        let wanted: BTreeSet<&str> = functions.iter().map(String::as_str).collect();
        let mut links = BTreeSet::new();
        let mut marker: Option<String> = None;
        loop {
            calls.list_event_source_mappings += 1;
            let resp = lambda
                .list_event_source_mappings()
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(|e| call_error("ListEventSourceMappings", &e))?;
            for m in resp.event_source_mappings() {
                let Some(function) = m.function_arn().and_then(function_of) else {
                    continue;
                };
                let destination = m
                    .destination_config()
                    .and_then(|d| d.on_failure())
                    .and_then(|f| f.destination());
                let (Some(arn), true) = (destination, wanted.contains(function)) else {
                    continue;
                };
                if let Some(queue) = queue_of(arn) {
                    links.insert(PipelineLink {
                        function: function.to_string(),
                        queue: queue.to_string(),
                        queue_arn: arn.to_string(),
                        kind: LinkKind::OnFailure,
                        source_arn: m.event_source_arn().map(str::to_string),
                    });
                }
            }
            marker = resp.next_marker().map(str::to_string);
            if marker.is_none() {
                break;
            }
        }
        for function in functions {
            if let Some((arn, queue)) = dead_letters
                .get(function)
                .and_then(|arn| Some((arn, queue_of(arn)?)))
            {
                links.insert(PipelineLink {
                    function: function.clone(),
                    queue: queue.to_string(),
                    queue_arn: arn.clone(),
                    kind: LinkKind::DeadLetter,
                    source_arn: None,
                });
            }
            calls.get_function_event_invoke_config += 1;
            let config = match lambda
                .get_function_event_invoke_config()
                .function_name(function)
                .send()
                .await
            {
                Ok(c) => c,
                // No asynchronous configuration, or the function is gone.
                Err(e) if code(&e) == "ResourceNotFoundException" => continue,
                Err(e) => return Err(call_error("GetFunctionEventInvokeConfig", &e)),
            };
            let destination = config
                .destination_config()
                .and_then(|d| d.on_failure())
                .and_then(|f| f.destination());
            if let Some((arn, queue)) = destination.and_then(|arn| Some((arn, queue_of(arn)?))) {
                links.insert(PipelineLink {
                    function: function.clone(),
                    queue: queue.to_string(),
                    queue_arn: arn.to_string(),
                    kind: LinkKind::AsyncOnFailure,
                    source_arn: None,
                });
            }
        }
        Ok(links.into_iter().collect())
    }

    /// The queries `DLQMessages` needs that the cycle does not already make: each linked
    /// queue's NumberOfMessagesSent Sum, asked as a hidden query when `AWS/SQS` is not
    /// collected for that queue.
    pub(crate) fn link_queries(&self, cycle: &Cycle, queries: &[Query]) -> Vec<Query> {
        let queues: BTreeSet<&str> = cycle.links.iter().map(|l| l.queue.as_str()).collect();
        let mut out = Vec::new();
        for queue in queues {
            let asked = queries.iter().any(|q| {
                q.same_as(SQS_NAMESPACE, sqs::MESSAGES_SENT.name, Statistic::Sum)
                    && q.dimensions == [("QueueName".to_string(), queue.to_string())]
            });
            if !asked {
                let mut q = Query::new(
                    SQS_NAMESPACE,
                    vec![("QueueName".to_string(), queue.to_string())],
                    sqs::MESSAGES_SENT.name,
                    Statistic::Sum,
                );
                q.hidden = true;
                out.push(q);
            }
        }
        out
    }
}

const SQS_NAMESPACE: &str = sqs::NAMESPACE;

/// `DLQMessages` for every (function, queue) link, from the queue's NumberOfMessagesSent
/// Sum datapoints of the cycle (kept or hidden).
pub(crate) fn dlq_messages(cycle: &Cycle) -> Vec<Sample> {
    debug_assert_eq!(Namespace::Sqs.cloudwatch(), SQS_NAMESPACE);
    let pairs: BTreeSet<(&str, &str)> = cycle
        .links
        .iter()
        .map(|l| (l.function.as_str(), l.queue.as_str()))
        .collect();
    let mut out = Vec::new();
    for sample in cycle.samples.iter().chain(&cycle.hidden_samples) {
        if sample.namespace != SQS_NAMESPACE
            || sample.metric != sqs::MESSAGES_SENT.name
            || sample.statistic != Statistic::Sum
        {
            continue;
        }
        let Some(queue) = sample
            .dimensions
            .iter()
            .find(|(n, _)| n == "QueueName")
            .map(|(_, v)| v.as_str())
        else {
            continue;
        };
        for (function, _) in pairs.iter().filter(|(_, q)| *q == queue) {
            out.push(Sample {
                namespace: pipeline_derived::NAMESPACE.to_string(),
                metric: pipeline_derived::DLQ_MESSAGES.name.to_string(),
                statistic: Statistic::Sum,
                unit: Some(pipeline_derived::DLQ_MESSAGES.unit.as_str().to_string()),
                dimensions: vec![
                    ("FunctionName".to_string(), (*function).to_string()),
                    ("QueueName".to_string(), queue.to_string()),
                ],
                region: sample.region.clone(),
                timestamp_ms: sample.timestamp_ms,
                value: sample.value,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_name_queues_and_functions() {
        assert_eq!(
            queue_of("arn:aws:sqs:us-east-1:123456789012:orders-failed"),
            Some("orders-failed")
        );
        assert_eq!(queue_of("arn:aws:sns:us-east-1:123456789012:alerts"), None);
        assert_eq!(queue_of("arn:aws:sqs:us-east-1:123456789012:"), None);
        assert_eq!(
            function_of("arn:aws:lambda:us-east-1:123456789012:function:consume"),
            Some("consume")
        );
        assert_eq!(
            function_of("arn:aws:lambda:us-east-1:123456789012:function:consume:live"),
            Some("consume")
        );
    }
}
