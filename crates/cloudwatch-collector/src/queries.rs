//! The queries of a cycle: one per resource, metric and statistic, the finer series
//! (per shard, per alias or version) that ListMetrics names, and GetMetricData at 500
//! queries a call over the cycle's window.

use std::collections::BTreeSet;

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{
    Dimension, DimensionFilter, Metric, MetricDataQuery, MetricStat, RecentlyActive, ScanBy,
};
use metric_export::{Sample, Statistic};

use crate::cost::ApiCalls;
use crate::error::call_error;
use crate::{CollectError, Collector, Cycle, MetricSpec, Namespace};

/// Most queries in one GetMetricData call.
pub const MAX_QUERIES_PER_CALL: usize = 500;

/// One query of a GetMetricData call.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    pub(crate) namespace: String,
    /// The series' dimensions, as sent and as labelled.
    pub(crate) dimensions: Vec<(String, String)>,
    pub(crate) metric: String,
    pub(crate) statistic: Statistic,
    /// Asked only to derive another series from (a linked queue's messages for
    /// `DLQMessages` when `AWS/SQS` itself is not collected): its samples are not kept.
    pub(crate) hidden: bool,
}

impl Query {
    /// A query whose samples are kept.
    pub(crate) fn new(
        namespace: &str,
        dimensions: Vec<(String, String)>,
        metric: &str,
        statistic: Statistic,
    ) -> Query {
        Query {
            namespace: namespace.to_string(),
            dimensions,
            metric: metric.to_string(),
            statistic,
            hidden: false,
        }
    }

    /// Whether this query asks for the same series and statistic as another.
    pub(crate) fn same_as(&self, namespace: &str, metric: &str, statistic: Statistic) -> bool {
        self.namespace == namespace && self.metric == metric && self.statistic == statistic
    }
}

/// The unit of a metric: the catalogue's, else (for an `AWS/Lambda` metric the catalogue
/// does not define) Count, the unit of every other metric Lambda publishes.
fn unit(namespace: &str, metric: &str) -> Option<String> {
    match metric_store::catalog::find(namespace, metric) {
        Some(def) => Some(def.unit.as_str().to_string()),
        None if namespace == Namespace::Lambda.cloudwatch() => {
            Some(metric_store::Unit::Count.as_str().to_string())
        }
        None => None,
    }
}

impl Collector {
    /// The finer series of a namespace (per shard, or per function alias or version) that
    /// ListMetrics names for these metrics, recently active and under a listed parent.
    pub(crate) async fn finer_series(
        &self,
        namespace: Namespace,
        specs: &[MetricSpec],
        parents: &[String],
        calls: &mut ApiCalls,
    ) -> Result<Vec<Query>, CollectError> {
        let Some(finer) = namespace.finer_dimension() else {
            return Ok(Vec::new());
        };
        let parents: BTreeSet<&str> = parents.iter().map(String::as_str).collect();
        let mut out = Vec::new();
        for spec in specs {
            let series = self
                .list_series(namespace.cloudwatch(), Some(&spec.name), Some(finer), calls)
                .await?;
            for (_, dimensions) in series {
                let under_listed = dimensions
                    .iter()
                    .any(|(n, v)| n == namespace.dimension() && parents.contains(v.as_str()));
                if !under_listed {
                    continue;
                }
                for statistic in &spec.statistics {
                    out.push(Query::new(
                        namespace.cloudwatch(),
                        dimensions.clone(),
                        &spec.name,
                        *statistic,
                    ));
                }
            }
        }
        Ok(out)
    }

    /// The recently active series ListMetrics names in a namespace, optionally for one
    /// metric and with one dimension present, every page followed: (metric, dimensions).
    pub(crate) async fn list_series(
        &self,
        namespace: &str,
        metric: Option<&str>,
        with_dimension: Option<&str>,
        calls: &mut ApiCalls,
    ) -> Result<Vec<(String, Vec<(String, String)>)>, CollectError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            calls.list_metrics += 1;
            let resp = self
                .cloudwatch
                .list_metrics()
                .namespace(namespace)
                .set_metric_name(metric.map(str::to_string))
                .set_dimensions(
                    with_dimension.map(|d| vec![DimensionFilter::builder().name(d).build()]),
                )
                .recently_active(RecentlyActive::Pt3H)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| call_error("ListMetrics", &e))?;
            for m in resp.metrics() {
                let Some(name) = m.metric_name() else {
                    continue;
                };
                let dimensions: Vec<(String, String)> = m
                    .dimensions()
                    .iter()
                    .filter_map(|d| Some((d.name()?.to_string(), d.value()?.to_string())))
                    .collect();
                out.push((name.to_string(), dimensions));
            }
            token = resp.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    /// One query per resource, metric and statistic, with the namespace's resource
    /// dimension alone, and the account-level `AWS/Lambda` queries (no dimension).
    pub(crate) fn queries(&self, cycle: &Cycle) -> Vec<Query> {
        let mut out = Vec::new();
        let sets = [
            (Namespace::Kinesis, &cycle.streams, &self.config.metrics),
            (
                Namespace::Lambda,
                &cycle.functions,
                &self.config.lambda_metrics,
            ),
            (Namespace::Sqs, &cycle.queues, &self.config.sqs_metrics),
            (Namespace::Sns, &cycle.topics, &self.config.sns_metrics),
        ];
        for (namespace, resources, specs) in sets {
            if !self.config.namespaces.contains(&namespace) {
                continue;
            }
            for resource in resources {
                for spec in specs.iter() {
                    for stat in &spec.statistics {
                        out.push(Query::new(
                            namespace.cloudwatch(),
                            vec![(namespace.dimension().to_string(), resource.clone())],
                            &spec.name,
                            *stat,
                        ));
                    }
                }
            }
        }
        if self.config.namespaces.contains(&Namespace::Lambda) {
            for spec in &self.config.lambda_account_metrics {
                for stat in &spec.statistics {
                    out.push(Query::new(
                        Namespace::Lambda.cloudwatch(),
                        Vec::new(),
                        &spec.name,
                        *stat,
                    ));
                }
            }
        }
        out
    }

    pub(crate) async fn fetch(
        &self,
        chunk: &[Query],
        start: i64,
        end: i64,
        cycle: &mut Cycle,
    ) -> Result<(), CollectError> {
        let period = self.config.period_secs as i32;
        let queries: Vec<MetricDataQuery> = chunk
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let metric = Metric::builder()
                    .namespace(&q.namespace)
                    .metric_name(&q.metric)
                    .set_dimensions(Some(
                        q.dimensions
                            .iter()
                            .map(|(name, value)| {
                                Dimension::builder().name(name).value(value).build()
                            })
                            .collect(),
                    ))
                    .build();
                MetricDataQuery::builder()
                    .id(format!("q{i}"))
                    .metric_stat(
                        MetricStat::builder()
                            .metric(metric)
                            .period(period)
                            .stat(q.statistic.to_string())
                            .build(),
                    )
                    .build()
            })
            .collect();
        let mut token: Option<String> = None;
        loop {
            let req = self
                .cloudwatch
                .get_metric_data()
                .set_metric_data_queries(Some(queries.clone()))
                .start_time(DateTime::from_millis(start))
                .end_time(DateTime::from_millis(end))
                .scan_by(ScanBy::TimestampAscending)
                .set_next_token(token.clone());
            cycle.calls.get_metric_data += 1;
            let resp = req
                .send()
                .await
                .map_err(|e| call_error("GetMetricData", &e))?;
            for result in resp.metric_data_results() {
                let Some(q) = result
                    .id()
                    .and_then(|id| id.strip_prefix('q'))
                    .and_then(|n| n.parse::<usize>().ok())
                    .and_then(|i| chunk.get(i))
                else {
                    continue;
                };
                let unit = unit(&q.namespace, &q.metric);
                for (t, v) in result.timestamps().iter().zip(result.values()) {
                    let Ok(ms) = t.to_millis() else { continue };
                    let sample = Sample {
                        namespace: q.namespace.clone(),
                        metric: q.metric.clone(),
                        statistic: q.statistic,
                        unit: unit.clone(),
                        dimensions: q.dimensions.clone(),
                        region: self.config.region.clone(),
                        timestamp_ms: ms,
                        value: *v,
                    };
                    if q.hidden {
                        cycle.hidden_samples.push(sample);
                    } else {
                        cycle.samples.push(sample);
                    }
                }
            }
            token = resp.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(());
            }
        }
    }
}
