//! Series found through ListMetrics rather than a service's own discovery: the namespaces
//! read that way (custom ones such as `KinesisLambdaPipeline`, `LambdaInsights`, any other,
//! with whatever dimensions their series carry, none included) and the enhanced fan-out
//! consumers' series (`StreamName` + `ConsumerName`) of the collected streams.

use std::collections::BTreeSet;

use crate::config::default_statistics;
use crate::cost::ApiCalls;
use crate::queries::Query;
use crate::{CollectError, Collector, ListedNamespace, Namespace};

impl Collector {
    /// The queries of one listed namespace: every recently active series of the metrics it
    /// names (every metric when it names none), one ListMetrics listing per cycle, at most
    /// `max_listed_series` of them (the second value counts those left out).
    pub(crate) async fn listed_queries(
        &self,
        listed: &ListedNamespace,
        calls: &mut ApiCalls,
    ) -> Result<(Vec<Query>, u64), CollectError> {
        let series = self.list_series(&listed.name, None, None, calls).await?;
        let mut out = Vec::new();
        let mut kept = 0usize;
        let mut left_out = 0u64;
        for (metric, dimensions) in series {
            let statistics = match &listed.metrics {
                None => default_statistics(&listed.name, &metric),
                Some(specs) => match specs.iter().find(|s| s.name == metric) {
                    Some(spec) => spec.statistics.clone(),
                    None => continue,
                },
            };
            if kept >= self.config.max_listed_series {
                left_out += 1;
                continue;
            }
            kept += 1;
            for statistic in statistics {
                out.push(Query::new(
                    &listed.name,
                    dimensions.clone(),
                    &metric,
                    statistic,
                ));
            }
        }
        if left_out > 0 {
            tracing::warn!(
                namespace = %listed.name,
                kept,
                left_out,
                "more series than max_listed_series; the rest are left out of this cycle"
            );
        }
        Ok((out, left_out))
    }

    /// The queries of the enhanced fan-out consumers of these streams: the consumer-level
    /// series ListMetrics names (one listing with a `ConsumerName` dimension a cycle).
    pub(crate) async fn consumer_queries(
        &self,
        streams: &[String],
        calls: &mut ApiCalls,
    ) -> Result<Vec<Query>, CollectError> {
        let specs = &self.config.consumer_metrics;
        if specs.is_empty() || streams.is_empty() {
            return Ok(Vec::new());
        }
        let streams: BTreeSet<&str> = streams.iter().map(String::as_str).collect();
        let namespace = Namespace::Kinesis.cloudwatch();
        let series = self
            .list_series(namespace, None, Some("ConsumerName"), calls)
            .await?;
        let mut out = Vec::new();
        for (metric, dimensions) in series {
            let Some(spec) = specs.iter().find(|s| s.name == metric) else {
                continue;
            };
            let collected = dimensions
                .iter()
                .any(|(n, v)| n == "StreamName" && streams.contains(v.as_str()));
            if !collected {
                continue;
            }
            for statistic in &spec.statistics {
                out.push(Query::new(
                    namespace,
                    dimensions.clone(),
                    &metric,
                    *statistic,
                ));
            }
        }
        Ok(out)
    }
}
