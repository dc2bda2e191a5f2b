//! Embedded Metric Format documents into metrics, as CloudWatch Logs extracts them: the one
//! path for the events PutLogEvents stores and for Lambda functions' output.

use metric_store::{MetricKey, Store, Unit};

/// Whether `message` may be an EMF document (a JSON object naming `_aws`), so that plain
/// lines are not parsed.
pub fn looks_like_emf(message: &str) -> bool {
    message.trim_start().starts_with('{') && message.contains("\"_aws\"")
}

/// Extracts the metrics of EMF document `line` into `store`: every metric of every
/// directive, under each of its dimension sets, at the document's timestamp, with its unit
/// (`None` when absent or unknown). Returns how many values were stored; a line that is not
/// an EMF document (or breaks its rules) stores none.
pub fn record(store: &Store, line: &str) -> usize {
    let Some(document) = cloudwatch_emf::parse(line) else {
        return 0;
    };
    let at = document.timestamp_ms;
    let mut stored = 0;
    for directive in &document.directives {
        for metric in &directive.metrics {
            let unit = metric
                .unit
                .as_deref()
                .and_then(|u| Unit::parse(u).ok())
                .unwrap_or_default();
            for dimensions in &directive.dimension_sets {
                let dimensions = dimensions.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                let Ok(key) = MetricKey::new(
                    directive.namespace.as_str(),
                    metric.name.as_str(),
                    dimensions,
                ) else {
                    continue;
                };
                let Ok(series) = store.custom_series(&key, unit) else {
                    continue;
                };
                for v in &metric.values {
                    series.record(at, *v);
                    stored += 1;
                }
            }
        }
    }
    stored
}
