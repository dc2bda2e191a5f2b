//! The view models: SDK calls in, JSON out. Metric names come from the catalogue.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use aws_sdk_cloudwatch::error::{DisplayErrorContext, ProvideErrorMetadata};
use metric_store::catalog::{kinesis as kin, lambda as lam};
use serde::Serialize;
use serde_json::{Value, json};

use crate::metrics::{self, Query, Series, TimeRange};
use crate::{Console, Error};

/// An SDK error as the console's [`Error`].
pub(crate) fn aws_error<E>(operation: &'static str, e: E) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = e.code().map(str::to_owned);
    let message = e
        .message()
        .map(str::to_owned)
        .unwrap_or_else(|| DisplayErrorContext(&e).to_string());
    Error::Aws {
        operation,
        code,
        message,
    }
}

/// What the account holds: streams, functions and event source mappings.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Inventory {
    streams: Vec<StreamItem>,
    functions: Vec<FunctionItem>,
    mappings: Vec<MappingItem>,
}

#[derive(Debug, Serialize)]
struct StreamItem {
    name: String,
    arn: String,
    status: String,
    mode: String,
}

#[derive(Debug, Serialize)]
struct FunctionItem {
    name: String,
    arn: String,
    runtime: String,
    memory_mb: i32,
    dead_letter: Option<String>,
    /// Environment values naming a stream, queue or topic (where the function writes).
    env_values: Vec<String>,
}

#[derive(Debug, Serialize)]
struct MappingItem {
    uuid: String,
    source_arn: String,
    function_arn: String,
    state: String,
    batch_size: Option<i32>,
    on_failure: Option<String>,
}

async fn inventory(console: &Console) -> Result<Arc<Inventory>, Error> {
    let ttl = console.options().inventory_cache_ms;
    console
        .inner
        .inventory
        .get_or("inventory".to_owned(), ttl, read_inventory(console))
        .await
}

async fn read_inventory(console: &Console) -> Result<Inventory, Error> {
    let c = console.clients();
    let (streams, functions, mappings) =
        tokio::join!(list_streams(c), list_functions(c), list_mappings(c));
    Ok(Inventory {
        streams: streams?,
        functions: functions?,
        mappings: mappings?,
    })
}

async fn list_streams(c: &crate::Clients) -> Result<Vec<StreamItem>, Error> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let resp = c
            .kinesis
            .list_streams()
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| aws_error("ListStreams", e))?;
        for s in resp.stream_summaries() {
            out.push(StreamItem {
                name: s.stream_name().to_owned(),
                arn: s.stream_arn().to_owned(),
                status: s.stream_status().as_str().to_owned(),
                mode: s
                    .stream_mode_details()
                    .map(|m| m.stream_mode().as_str().to_owned())
                    .unwrap_or_default(),
            });
        }
        if resp.stream_summaries().is_empty() && !resp.stream_names().is_empty() {
            // An older server: names only.
            for name in resp.stream_names() {
                if !out.iter().any(|s| &s.name == name) {
                    out.push(StreamItem {
                        name: name.clone(),
                        arn: String::new(),
                        status: String::new(),
                        mode: String::new(),
                    });
                }
            }
        }
        token = resp.next_token().map(str::to_owned);
        if !resp.has_more_streams() || token.is_none() {
            break;
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

async fn list_functions(c: &crate::Clients) -> Result<Vec<FunctionItem>, Error> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let resp = c
            .lambda
            .list_functions()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| aws_error("ListFunctions", e))?;
        for f in resp.functions() {
            let env_values = f
                .environment()
                .and_then(|e| e.variables())
                .map(|v| v.values().cloned().collect())
                .unwrap_or_default();
            out.push(FunctionItem {
                name: f.function_name().unwrap_or_default().to_owned(),
                arn: f.function_arn().unwrap_or_default().to_owned(),
                runtime: f
                    .runtime()
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_default(),
                memory_mb: f.memory_size().unwrap_or_default(),
                dead_letter: f
                    .dead_letter_config()
                    .and_then(|d| d.target_arn())
                    .map(str::to_owned),
                env_values,
            });
        }
        marker = resp.next_marker().map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

async fn list_mappings(c: &crate::Clients) -> Result<Vec<MappingItem>, Error> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let resp = c
            .lambda
            .list_event_source_mappings()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| aws_error("ListEventSourceMappings", e))?;
        for m in resp.event_source_mappings() {
            out.push(MappingItem {
                uuid: m.uuid().unwrap_or_default().to_owned(),
                source_arn: m.event_source_arn().unwrap_or_default().to_owned(),
                function_arn: m.function_arn().unwrap_or_default().to_owned(),
                state: m.state().unwrap_or_default().to_owned(),
                batch_size: m.batch_size(),
                on_failure: m
                    .destination_config()
                    .and_then(|d| d.on_failure())
                    .and_then(|o| o.destination())
                    .map(str::to_owned),
            });
        }
        marker = resp.next_marker().map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    Ok(out)
}

/// One alarm as the pages show it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AlarmItem {
    pub(crate) name: String,
    pub(crate) arn: String,
    kind: &'static str,
    pub(crate) state: String,
    reason: String,
    updated: Option<i64>,
    namespace: String,
    metric: String,
    dimensions: Vec<(String, String)>,
    threshold: Option<f64>,
    comparison: String,
}

pub(crate) async fn describe_alarms(c: &crate::Clients) -> Result<Vec<AlarmItem>, Error> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let resp = c
            .cloudwatch
            .describe_alarms()
            .alarm_types(aws_sdk_cloudwatch::types::AlarmType::MetricAlarm)
            .alarm_types(aws_sdk_cloudwatch::types::AlarmType::CompositeAlarm)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| aws_error("DescribeAlarms", e))?;
        for a in resp.metric_alarms() {
            let mut dimensions: Vec<(String, String)> = a
                .dimensions()
                .iter()
                .map(|d| {
                    (
                        d.name().unwrap_or_default().to_owned(),
                        d.value().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            // Metric-math alarms name their metrics in queries.
            for q in a.metrics() {
                if let Some(m) = q.metric_stat().and_then(|s| s.metric()) {
                    dimensions.extend(m.dimensions().iter().map(|d| {
                        (
                            d.name().unwrap_or_default().to_owned(),
                            d.value().unwrap_or_default().to_owned(),
                        )
                    }));
                }
            }
            out.push(AlarmItem {
                name: a.alarm_name().unwrap_or_default().to_owned(),
                arn: a.alarm_arn().unwrap_or_default().to_owned(),
                kind: "metric",
                state: a
                    .state_value()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                reason: a.state_reason().unwrap_or_default().to_owned(),
                updated: a.state_updated_timestamp().map(|t| t.secs()),
                namespace: a.namespace().unwrap_or_default().to_owned(),
                metric: a.metric_name().unwrap_or_default().to_owned(),
                dimensions,
                threshold: a.threshold(),
                comparison: a
                    .comparison_operator()
                    .map(|c| c.as_str().to_owned())
                    .unwrap_or_default(),
            });
        }
        for a in resp.composite_alarms() {
            out.push(AlarmItem {
                name: a.alarm_name().unwrap_or_default().to_owned(),
                arn: a.alarm_arn().unwrap_or_default().to_owned(),
                kind: "composite",
                state: a
                    .state_value()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                reason: a.state_reason().unwrap_or_default().to_owned(),
                updated: a.state_updated_timestamp().map(|t| t.secs()),
                namespace: String::new(),
                metric: a.alarm_rule().unwrap_or_default().to_owned(),
                dimensions: Vec::new(),
                threshold: None,
                comparison: String::new(),
            });
        }
        token = resp.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The worse of two health words: `alarm` > `ok` > `insufficient` > `none`.
fn worse(a: &'static str, b: &'static str) -> &'static str {
    let rank = |h: &str| match h {
        "alarm" => 3,
        "ok" => 2,
        "insufficient" => 1,
        _ => 0,
    };
    if rank(b) > rank(a) { b } else { a }
}

fn health_of(state: &str) -> &'static str {
    match state {
        "ALARM" => "alarm",
        "OK" => "ok",
        "INSUFFICIENT_DATA" => "insufficient",
        _ => "none",
    }
}

/// Node health from the alarms on its dimension (StreamName, FunctionName, QueueName).
fn health_by_node(alarms: &[AlarmItem]) -> HashMap<String, &'static str> {
    let mut out: HashMap<String, &'static str> = HashMap::new();
    for a in alarms {
        let h = health_of(&a.state);
        for (name, value) in &a.dimensions {
            let id = match name.as_str() {
                "StreamName" => format!("stream:{value}"),
                "FunctionName" => format!("function:{value}"),
                "QueueName" => format!("queue:{value}"),
                _ => continue,
            };
            let e = out.entry(id).or_insert("none");
            *e = worse(e, h);
        }
    }
    out
}

#[derive(Debug, Serialize)]
struct Node {
    id: String,
    kind: &'static str,
    label: String,
    column: u8,
    rate: Option<f64>,
    unit: &'static str,
    errors: Option<f64>,
    health: &'static str,
    detail: String,
    href: Option<String>,
}

#[derive(Debug, Serialize)]
struct Edge {
    from: String,
    to: String,
    kind: &'static str,
}

/// The last name of an ARN (`...:stream/orders` -> `orders`, `...:queue-name` -> name).
fn arn_name(arn: &str) -> &str {
    let tail = arn.rsplit(':').next().unwrap_or(arn);
    tail.rsplit('/').next().unwrap_or(tail)
}

/// The node id an ARN stands for, and the node's kind.
fn node_for_arn(arn: &str) -> (String, &'static str) {
    let service = arn.split(':').nth(2).unwrap_or_default();
    let name = arn_name(arn);
    match service {
        "kinesis" => (format!("stream:{name}"), "stream"),
        "lambda" => {
            // arn:aws:lambda:region:acct:function:name[:qualifier]
            let name = arn.split(':').nth(6).unwrap_or(name);
            (format!("function:{name}"), "function")
        }
        "sqs" => (format!("queue:{name}"), "queue"),
        "sns" => (format!("topic:{name}"), "topic"),
        _ => (format!("other:{arn}"), "other"),
    }
}

/// The latest full window's value of a series divided by the window (a rate per second).
/// `last_start` is that window's start; `None` takes the newest datapoint there is (AWS
/// publishes a minute's datapoint a minute or two late).
fn rate(series: Option<&Series>, window: i32, last_start: Option<i64>) -> f64 {
    series
        .and_then(|s| {
            s.t.iter()
                .zip(&s.v)
                .rev()
                .find(|(t, _)| last_start.is_none_or(|l| **t <= l))
                .filter(|(t, _)| last_start.is_none_or(|l| **t == l))
                .map(|(_, v)| *v)
        })
        .unwrap_or(0.0)
        / f64::from(window)
}

/// The overview: the pipeline graph with live rates and alarm health.
pub(crate) async fn overview(console: &Console) -> Result<Value, Error> {
    let c = console.clients();
    let window = console.options().rate_window.max(1);
    let (inv, alarms) = tokio::join!(inventory(console), describe_alarms(c));
    let inv = inv?;
    let alarms = alarms.unwrap_or_default();
    let health = health_by_node(&alarms);

    // One GetMetricData (per 500 queries) for every node's rate.
    let now = metrics::now_secs();
    let end = (now / i64::from(window)) * i64::from(window);
    let range = TimeRange {
        start: end - 3 * i64::from(window),
        end,
        period: window,
    };
    let last_start = console.options().local.then_some(end - i64::from(window));
    let mut queries = Vec::new();
    for (i, s) in inv.streams.iter().enumerate() {
        let dims = [("StreamName", s.name.as_str())];
        queries.push(Query::of(
            format!("s{i}"),
            "",
            &kin::INCOMING_RECORDS,
            &dims,
            "Sum",
            window,
        ));
    }
    for (i, f) in inv.functions.iter().enumerate() {
        let dims = [("FunctionName", f.name.as_str())];
        queries.push(Query::of(
            format!("f{i}"),
            "",
            &lam::INVOCATIONS,
            &dims,
            "Sum",
            window,
        ));
        queries.push(Query::of(
            format!("e{i}"),
            "",
            &lam::ERRORS,
            &dims,
            "Sum",
            window,
        ));
    }
    let data = if queries.is_empty() {
        HashMap::new()
    } else {
        metrics::fetch(&c.cloudwatch, queries, range).await?
    };

    let mut nodes: Vec<Node> = Vec::new();
    let mut edges: Vec<Edge> = Vec::new();
    let node_health = |id: &str| health.get(id).copied().unwrap_or("none");
    if !inv.streams.is_empty() {
        nodes.push(Node {
            id: "producers".into(),
            kind: "producers",
            label: "producers".into(),
            column: 0,
            rate: Some(
                (0..inv.streams.len())
                    .map(|i| rate(data.get(&format!("s{i}")), window, last_start))
                    .sum(),
            ),
            unit: "rec/s",
            errors: None,
            health: "none",
            detail: "PutRecord(s) callers".into(),
            href: None,
        });
    }
    for (i, s) in inv.streams.iter().enumerate() {
        let id = format!("stream:{}", s.name);
        nodes.push(Node {
            health: node_health(&id),
            id: id.clone(),
            kind: "stream",
            label: s.name.clone(),
            column: 1,
            rate: Some(rate(data.get(&format!("s{i}")), window, last_start)),
            unit: "rec/s",
            errors: None,
            detail: [s.status.as_str(), s.mode.as_str()]
                .iter()
                .filter(|p| !p.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" · "),
            href: Some(format!("#/stream/{}", s.name)),
        });
        edges.push(Edge {
            from: "producers".into(),
            to: id,
            kind: "put",
        });
    }
    let mut extra: BTreeMap<String, (&'static str, String, u8)> = BTreeMap::new();
    let stream_names: HashMap<&str, &str> = inv
        .streams
        .iter()
        .flat_map(|s| {
            [
                (s.name.as_str(), s.name.as_str()),
                (s.arn.as_str(), s.name.as_str()),
            ]
        })
        .filter(|(k, _)| !k.is_empty())
        .collect();
    for (i, f) in inv.functions.iter().enumerate() {
        let id = format!("function:{}", f.name);
        let errors = rate(data.get(&format!("e{i}")), window, last_start);
        let mut h = node_health(&id);
        if h == "none" && errors > 0.0 {
            h = "warn";
        }
        nodes.push(Node {
            health: h,
            id: id.clone(),
            kind: "function",
            label: f.name.clone(),
            column: 3,
            rate: Some(rate(data.get(&format!("f{i}")), window, last_start)),
            unit: "inv/s",
            errors: Some(errors),
            detail: format!("{} · {} MB", f.runtime, f.memory_mb),
            href: Some(format!("#/function/{}", f.name)),
        });
        if let Some(dlq) = &f.dead_letter {
            let (to, kind) = node_for_arn(dlq);
            extra.insert(to.clone(), (kind, arn_name(dlq).to_owned(), 4));
            edges.push(Edge {
                from: id.clone(),
                to,
                kind: "dead-letter",
            });
        }
        for v in &f.env_values {
            if let Some(stream) = stream_names.get(v.as_str()) {
                edges.push(Edge {
                    from: id.clone(),
                    to: format!("stream:{stream}"),
                    kind: "downstream",
                });
            }
        }
    }
    for m in &inv.mappings {
        let id = format!("esm:{}", m.uuid);
        let (source, source_kind) = node_for_arn(&m.source_arn);
        if source_kind != "stream" {
            extra.insert(
                source.clone(),
                (source_kind, arn_name(&m.source_arn).to_owned(), 1),
            );
        }
        let (function, _) = node_for_arn(&m.function_arn);
        nodes.push(Node {
            health: "none",
            id: id.clone(),
            kind: "mapping",
            label: format!(
                "mapping{}",
                m.batch_size
                    .map(|b| format!(" · batch {b}"))
                    .unwrap_or_default()
            ),
            column: 2,
            rate: None,
            unit: "",
            errors: None,
            detail: m.state.clone(),
            href: None,
        });
        edges.push(Edge {
            from: source,
            to: id.clone(),
            kind: "poll",
        });
        edges.push(Edge {
            from: id.clone(),
            to: function,
            kind: "invoke",
        });
        if let Some(dest) = &m.on_failure {
            let (to, kind) = node_for_arn(dest);
            if kind != "stream" && kind != "function" {
                extra.insert(to.clone(), (kind, arn_name(dest).to_owned(), 4));
            }
            edges.push(Edge {
                from: id,
                to,
                kind: "on-failure",
            });
        }
    }
    for (id, (kind, label, column)) in extra {
        if nodes.iter().any(|n| n.id == id) {
            continue;
        }
        nodes.push(Node {
            health: health.get(&id).copied().unwrap_or("none"),
            id,
            kind,
            label,
            column,
            rate: None,
            unit: "",
            errors: None,
            detail: kind.to_owned(),
            href: None,
        });
    }
    let alarm_count = alarms.iter().filter(|a| a.state == "ALARM").count();
    Ok(json!({
        "region": console.options().region,
        "local": console.options().local,
        "window": window,
        "nodes": nodes,
        "edges": edges,
        "alarmsInAlarm": alarm_count,
        "alarms": alarms.len(),
    }))
}

/// A chart: a title, a unit and its series (the empty ones dropped).
#[derive(Debug, Serialize)]
struct Panel {
    id: &'static str,
    title: &'static str,
    unit: &'static str,
    series: Vec<Series>,
}

/// Panels from `(id, title, unit, queries)`, filled from one batch of GetMetricData.
async fn panels(
    console: &Console,
    specs: Vec<(&'static str, &'static str, &'static str, Vec<Query>)>,
    range: TimeRange,
) -> Result<Vec<Panel>, Error> {
    let all: Vec<Query> = specs.iter().flat_map(|s| s.3.iter().cloned()).collect();
    let mut data = metrics::fetch(&console.clients().cloudwatch, all, range).await?;
    Ok(specs
        .into_iter()
        .map(|(id, title, unit, queries)| Panel {
            id,
            title,
            unit,
            series: queries
                .iter()
                .filter_map(|q| data.remove(&q.id))
                .filter(|s| !s.t.is_empty() || s.id.ends_with("_main"))
                .collect(),
        })
        .collect())
}

/// A stream's page: its summary, shard map and panels.
pub(crate) async fn stream(
    console: &Console,
    name: &str,
    range: TimeRange,
) -> Result<Value, Error> {
    let c = console.clients();
    let summary = c
        .kinesis
        .describe_stream_summary()
        .stream_name(name)
        .send()
        .await
        .map_err(|e| aws_error("DescribeStreamSummary", e))?;
    let mut shards = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = c.kinesis.list_shards();
        req = match &token {
            Some(t) => req.next_token(t),
            None => req.stream_name(name),
        };
        let resp = req.send().await.map_err(|e| aws_error("ListShards", e))?;
        shards.extend(resp.shards().iter().map(|s| {
            json!({
                "id": s.shard_id(),
                "parent": s.parent_shard_id(),
                "adjacentParent": s.adjacent_parent_shard_id(),
                "start": s.hash_key_range().map(|r| r.starting_hash_key()),
                "end": s.hash_key_range().map(|r| r.ending_hash_key()),
                "open": s.sequence_number_range().is_none_or(|r| r.ending_sequence_number().is_none()),
            })
        }));
        token = resp.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let d = summary.stream_description_summary();
    let enhanced: Vec<String> = d
        .map(|d| {
            d.enhanced_monitoring()
                .iter()
                .flat_map(|e| {
                    e.shard_level_metrics()
                        .iter()
                        .map(|m| m.as_str().to_owned())
                })
                .collect()
        })
        .unwrap_or_default();

    let p = range.period;
    let dims = [("StreamName", name)];
    let q = |id: &str, label: &str, def, stat: &str| Query::of(id, label, def, &dims, stat, p);
    let mut specs = vec![
        (
            "IncomingRecords",
            "Incoming records",
            "Count",
            vec![q(
                "ir_main",
                "IncomingRecords (Sum)",
                &kin::INCOMING_RECORDS,
                "Sum",
            )],
        ),
        (
            "IncomingBytes",
            "Incoming bytes",
            "Bytes",
            vec![
                q("ib_sum", "IncomingBytes (Sum)", &kin::INCOMING_BYTES, "Sum"),
                q(
                    "ib_avg",
                    "IncomingBytes (Average)",
                    &kin::INCOMING_BYTES,
                    "Average",
                ),
            ],
        ),
        (
            "PutLatency",
            "Put latency",
            "Milliseconds",
            vec![
                q(
                    "prl_avg",
                    "PutRecord avg",
                    &kin::PUT_RECORD_LATENCY,
                    "Average",
                ),
                q(
                    "prsl_avg",
                    "PutRecords avg",
                    &kin::PUT_RECORDS_LATENCY,
                    "Average",
                ),
                q("prl_p50", "PutRecord p50", &kin::PUT_RECORD_LATENCY, "p50"),
                q("prl_p99", "PutRecord p99", &kin::PUT_RECORD_LATENCY, "p99"),
                q(
                    "prsl_p50",
                    "PutRecords p50",
                    &kin::PUT_RECORDS_LATENCY,
                    "p50",
                ),
                q(
                    "prsl_p99",
                    "PutRecords p99",
                    &kin::PUT_RECORDS_LATENCY,
                    "p99",
                ),
            ],
        ),
        (
            "GetRecordsLatency",
            "GetRecords latency",
            "Milliseconds",
            vec![
                q("grl_avg", "average", &kin::GET_RECORDS_LATENCY, "Average"),
                q("grl_p50", "p50", &kin::GET_RECORDS_LATENCY, "p50"),
                q("grl_p99", "p99", &kin::GET_RECORDS_LATENCY, "p99"),
            ],
        ),
        (
            "IteratorAge",
            "Iterator age (max)",
            "Milliseconds",
            vec![q(
                "ia_max",
                "GetRecords.IteratorAgeMilliseconds (Maximum)",
                &kin::GET_RECORDS_ITERATOR_AGE,
                "Maximum",
            )],
        ),
        (
            "Throttled",
            "Throttled",
            "Count",
            vec![
                q(
                    "wt_sum",
                    "WriteProvisionedThroughputExceeded",
                    &kin::WRITE_THROTTLED,
                    "Sum",
                ),
                q(
                    "rt_sum",
                    "ReadProvisionedThroughputExceeded",
                    &kin::READ_THROTTLED,
                    "Sum",
                ),
            ],
        ),
        (
            "Outgoing",
            "Outgoing (GetRecords)",
            "Count",
            vec![
                q(
                    "gr_rec",
                    "GetRecords.Records (Sum)",
                    &kin::GET_RECORDS_RECORDS,
                    "Sum",
                ),
                q(
                    "gr_bytes",
                    "GetRecords.Bytes (Sum)",
                    &kin::GET_RECORDS_BYTES,
                    "Sum",
                ),
            ],
        ),
    ];
    if !enhanced.is_empty() {
        let open: Vec<String> = shards
            .iter()
            .filter(|s| s["open"] == json!(true))
            .filter_map(|s| s["id"].as_str().map(str::to_owned))
            .take(50)
            .collect();
        let per_shard =
            |prefix: &str, def: &'static metric_store::catalog::MetricDef, stat: &str| {
                open.iter()
                    .enumerate()
                    .map(|(i, shard)| {
                        Query::of(
                            format!("{prefix}{i}"),
                            shard.clone(),
                            def,
                            &[("StreamName", name), ("ShardId", shard)],
                            stat,
                            p,
                        )
                    })
                    .collect::<Vec<_>>()
            };
        specs.push((
            "ShardIncomingRecords",
            "Incoming records per shard",
            "Count",
            per_shard("sir", &kin::INCOMING_RECORDS, "Sum"),
        ));
        specs.push((
            "ShardIteratorAge",
            "Iterator age per shard (max)",
            "Milliseconds",
            per_shard("sia", &kin::ITERATOR_AGE, "Maximum"),
        ));
    }
    let panels = panels(console, specs, range).await?;
    Ok(json!({
        "name": name,
        "arn": d.map(|d| d.stream_arn()),
        "status": d.map(|d| d.stream_status().as_str()),
        "mode": d.and_then(|d| d.stream_mode_details()).map(|m| m.stream_mode().as_str()),
        "retentionHours": d.map(|d| d.retention_period_hours()),
        "openShards": d.map(|d| d.open_shard_count()),
        "enhancedMonitoring": enhanced,
        "shards": shards,
        "range": {"start": range.start, "end": range.end, "period": range.period},
        "panels": panels,
    }))
}

/// A function's page: its configuration, mappings, panels and recent log lines.
pub(crate) async fn function(
    console: &Console,
    name: &str,
    range: TimeRange,
) -> Result<Value, Error> {
    let c = console.clients();
    let inv = inventory(console).await?;
    let f = inv.functions.iter().find(|f| f.name == name);
    let mappings: Vec<&MappingItem> = inv
        .mappings
        .iter()
        .filter(|m| {
            let (id, _) = node_for_arn(&m.function_arn);
            id == format!("function:{name}")
        })
        .collect();
    let p = range.period;
    let dims = [("FunctionName", name)];
    let q = |id: &str, label: &str, def, stat: &str| Query::of(id, label, def, &dims, stat, p);
    let specs = vec![
        (
            "Invocations",
            "Invocations",
            "Count",
            vec![q("inv_main", "Invocations (Sum)", &lam::INVOCATIONS, "Sum")],
        ),
        (
            "Errors",
            "Errors and throttles",
            "Count",
            vec![
                q("err", "Errors (Sum)", &lam::ERRORS, "Sum"),
                q("thr", "Throttles (Sum)", &lam::THROTTLES, "Sum"),
            ],
        ),
        (
            "Duration",
            "Duration",
            "Milliseconds",
            vec![
                q("d_avg", "average", &lam::DURATION, "Average"),
                q("d_p50", "p50", &lam::DURATION, "p50"),
                q("d_p99", "p99", &lam::DURATION, "p99"),
            ],
        ),
        (
            "Concurrency",
            "Concurrent executions (max)",
            "Count",
            vec![q(
                "conc",
                "ConcurrentExecutions (Maximum)",
                &lam::CONCURRENT_EXECUTIONS,
                "Maximum",
            )],
        ),
        (
            "IteratorAge",
            "Iterator age (max)",
            "Milliseconds",
            vec![q(
                "ia",
                "IteratorAge (Maximum)",
                &lam::ITERATOR_AGE,
                "Maximum",
            )],
        ),
    ];
    let (panels, logs) = tokio::join!(panels(console, specs, range), recent_logs(c, name, range));
    let mut panels = serde_json::to_value(panels?).unwrap_or_default();
    let logs = logs?;
    // Cold starts and memory from the REPORT lines (Lambda publishes neither as a metric).
    let (cold, memory) = report_series(&logs, range);
    if let Some(list) = panels.as_array_mut() {
        list.push(
            json!({"id": "ColdStarts", "title": "Cold starts", "unit": "Count", "series": [cold]}),
        );
        list.push(
            json!({"id": "Memory", "title": "Max memory used", "unit": "MB", "series": [memory]}),
        );
    }
    let tail: Vec<&LogLine> = logs
        .iter()
        .rev()
        .take(200)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    Ok(json!({
        "name": name,
        "arn": f.map(|f| &f.arn),
        "runtime": f.map(|f| &f.runtime),
        "memoryMb": f.map(|f| f.memory_mb),
        "deadLetter": f.and_then(|f| f.dead_letter.as_ref()),
        "mappings": mappings,
        "range": {"start": range.start, "end": range.end, "period": range.period},
        "panels": panels,
        "logs": tail,
    }))
}

#[derive(Debug, Serialize)]
struct LogLine {
    t: i64,
    stream: String,
    message: String,
}

async fn recent_logs(
    c: &crate::Clients,
    name: &str,
    range: TimeRange,
) -> Result<Vec<LogLine>, Error> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10 {
        let resp = c
            .logs
            .filter_log_events()
            .log_group_name(format!("/aws/lambda/{name}"))
            .start_time(range.start * 1000)
            .end_time(range.end * 1000)
            .set_next_token(token.clone())
            .send()
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                let e = aws_error("FilterLogEvents", e);
                if matches!(&e, Error::Aws { code: Some(c), .. } if c == "ResourceNotFoundException")
                {
                    return Ok(out);
                }
                return Err(e);
            }
        };
        out.extend(resp.events().iter().map(|e| LogLine {
            t: e.timestamp().unwrap_or_default(),
            stream: e.log_stream_name().unwrap_or_default().to_owned(),
            message: e.message().unwrap_or_default().trim_end().to_owned(),
        }));
        if out.len() > 5_000 {
            out.drain(..out.len() - 5_000);
        }
        token = resp.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    out.sort_by_key(|l| l.t);
    Ok(out)
}

/// Cold starts per period (REPORT lines with an Init Duration) and the largest `Max Memory
/// Used` per period.
fn report_series(logs: &[LogLine], range: TimeRange) -> (Series, Series) {
    let mut cold: BTreeMap<i64, f64> = BTreeMap::new();
    let mut memory: BTreeMap<i64, f64> = BTreeMap::new();
    let period = i64::from(range.period.max(1));
    for l in logs.iter().filter(|l| l.message.starts_with("REPORT ")) {
        let bucket = (l.t / 1000 / period) * period;
        let c = cold.entry(bucket).or_default();
        if l.message.contains("Init Duration:") {
            *c += 1.0;
        }
        if let Some(mb) = l
            .message
            .split("Max Memory Used:")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse::<f64>().ok())
        {
            let m = memory.entry(bucket).or_default();
            *m = m.max(mb);
        }
    }
    let series = |id: &str, label: &str, m: BTreeMap<i64, f64>| Series {
        zero: id == "cold",
        id: id.to_owned(),
        label: label.to_owned(),
        t: m.keys().copied().collect(),
        v: m.values().copied().collect(),
    };
    (
        series("cold", "cold starts", cold),
        series("mem", "Max Memory Used (MB)", memory),
    )
}

/// The alarms page: every alarm and the recent history.
pub(crate) async fn alarms(console: &Console) -> Result<Value, Error> {
    let c = console.clients();
    let alarms = describe_alarms(c).await?;
    let history = c
        .cloudwatch
        .describe_alarm_history()
        .max_records(100)
        .scan_by(aws_sdk_cloudwatch::types::ScanBy::TimestampDescending)
        .send()
        .await
        .map_err(|e| aws_error("DescribeAlarmHistory", e))?;
    let history: Vec<Value> = history
        .alarm_history_items()
        .iter()
        .map(|h| {
            json!({
                "name": h.alarm_name(),
                "t": h.timestamp().map(|t| t.secs()),
                "type": h.history_item_type().map(|t| t.as_str()),
                "summary": h.history_summary(),
            })
        })
        .collect();
    Ok(json!({"alarms": alarms, "history": history}))
}

/// The dashboards list; `available: false` when the service does not know the API.
pub(crate) async fn dashboards(console: &Console) -> Result<Value, Error> {
    let c = console.clients();
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let resp = c
            .cloudwatch
            .list_dashboards()
            .set_next_token(token.clone())
            .send()
            .await;
        match resp {
            Ok(r) => {
                names.extend(r.dashboard_entries().iter().map(|d| {
                    json!({
                        "name": d.dashboard_name(),
                        "modified": d.last_modified().map(|t| t.secs()),
                        "size": d.size(),
                    })
                }));
                token = r.next_token().map(str::to_owned);
                if token.is_none() {
                    break;
                }
            }
            Err(e) => {
                let e = aws_error("ListDashboards", e);
                return Ok(json!({
                    "available": false,
                    "unsupported": e.is_unknown_operation(),
                    "message": e.to_string(),
                    "dashboards": [],
                }));
            }
        }
    }
    Ok(json!({"available": true, "dashboards": names}))
}

/// One stored dashboard, rendered.
pub(crate) async fn dashboard(
    console: &Console,
    name: &str,
    range: TimeRange,
) -> Result<Value, Error> {
    let resp = console
        .clients()
        .cloudwatch
        .get_dashboard()
        .dashboard_name(name)
        .send()
        .await
        .map_err(|e| aws_error("GetDashboard", e))?;
    crate::dashboard::render(console, name, resp.dashboard_body().unwrap_or("{}"), range).await
}
