//! The dashboards streamwatch generates for a stream and the function that consumes it.
//!
//! - [`cloudwatch`]: a CloudWatch dashboard body (what PutDashboard takes): a text header,
//!   "Pipeline Throughput" (IncomingRecords against Invocations), "Latency Metrics" (Duration
//!   against RecordProcessingLatency), the stream's panels, the function's panels, the
//!   `KinesisLambdaPipeline` panels and, when alarms are named, an alarm status widget.
//! - [`grafana`]: a Grafana dashboard with `datasource`, `stream` and `function` variables,
//!   either on Prometheus (the names `streamwatch collect` exports, such as
//!   `aws_kinesis_incoming_bytes_sum`, and the client's `producer_*` / `consumer_*` metrics)
//!   or on Grafana's CloudWatch data source pointed at the engine or at AWS.
//!
//! Every metric, namespace and dimension name comes from [`metric_store::catalog`], every
//! Prometheus name from `metric_export::prometheus` and `kinesis_client::metrics::names`.

use kinesis_client::metrics::{labels, names as client};
use metric_export::prometheus::{label_name, metric_name};
use metric_store::Statistic;
use metric_store::catalog::{MetricDef, kinesis, lambda, pipeline};
use serde_json::{Value, json};

/// What a dashboard is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The Kinesis stream.
    pub stream: String,
    /// The Lambda function that consumes it.
    pub function: String,
    /// The region the metrics are in.
    pub region: String,
    /// The `Environment` dimension of the pipeline metrics (`lambda-kinesis-handler`'s
    /// `$ENVIRONMENT`, `dev` by default).
    pub environment: String,
    /// The `Pipeline` dimension of the pipeline metrics (the function's name by default).
    pub pipeline: String,
    /// Alarm ARNs for the alarm status widget; none leaves the widget out.
    pub alarm_arns: Vec<String>,
}

impl Target {
    /// A dashboard for `stream` and `function` in `region`, with the handler's default
    /// pipeline dimensions (`dev`, the function's name) and no alarms.
    pub fn new(stream: &str, function: &str, region: &str) -> Target {
        Target {
            stream: stream.to_owned(),
            function: function.to_owned(),
            region: region.to_owned(),
            environment: "dev".to_owned(),
            pipeline: function.to_owned(),
            alarm_arns: Vec::new(),
        }
    }
}

/// Which Grafana data source the panels query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrafanaSource {
    /// Prometheus scraping `streamwatch collect` and the client's `/metrics`.
    Prometheus,
    /// The same, with `streamwatch collect` in YACE's label style (a YACE config or
    /// `--label-style yace`): `dimension_StreamName`, `dimension_FunctionName`.
    PrometheusYace,
    /// Grafana's CloudWatch data source (its endpoint set to the engine for local use).
    CloudWatch,
}

// ---------------------------------------------------------------------------------------
// CloudWatch

/// A metric's entry in a CloudWatch metric widget: namespace, name, then the dimension
/// names of the catalogue's set with as many dimensions as `values`, each with its value,
/// then the rendering options (statistic, label, axis).
fn cw_metric(def: &MetricDef, values: &[&str], stat: &str, label: &str, right: bool) -> Value {
    let set = def
        .dimension_sets
        .iter()
        .find(|s| s.len() == values.len())
        .copied()
        .unwrap_or_default();
    let mut entry = vec![json!(def.namespace), json!(def.name)];
    for (name, value) in set.iter().zip(values) {
        entry.push(json!(name));
        entry.push(json!(value));
    }
    let mut options = json!({"stat": stat, "label": label});
    if right {
        options["yAxis"] = json!("right");
    }
    entry.push(options);
    Value::Array(entry)
}

struct Grid {
    widgets: Vec<Value>,
    x: i64,
    y: i64,
    row_height: i64,
}

impl Grid {
    fn place(&mut self, width: i64, height: i64, kind: &str, properties: Value) {
        if self.x + width > crate::validate::GRID_COLUMNS {
            self.x = 0;
            self.y += self.row_height;
            self.row_height = 0;
        }
        self.widgets.push(json!({
            "type": kind,
            "x": self.x,
            "y": self.y,
            "width": width,
            "height": height,
            "properties": properties,
        }));
        self.x += width;
        self.row_height = self.row_height.max(height);
    }

    /// A time-series metric widget `width` columns wide.
    fn metrics(&mut self, t: &Target, width: i64, title: &str, metrics: Vec<Value>) {
        self.place(
            width,
            6,
            "metric",
            json!({
                "title": title,
                "view": "timeSeries",
                "stacked": false,
                "region": t.region,
                "period": 60,
                "metrics": metrics,
            }),
        );
    }

    /// A third of a row.
    fn graph(&mut self, t: &Target, title: &str, metrics: Vec<Value>) {
        self.metrics(t, 8, title, metrics);
    }
}

/// The CloudWatch dashboard body for `t` (pass it to PutDashboard as a string).
pub fn cloudwatch(t: &Target) -> Value {
    let s = [t.stream.as_str()];
    let f = [t.function.as_str()];
    let p = [t.environment.as_str(), t.pipeline.as_str()];
    let mut g = Grid {
        widgets: Vec::new(),
        x: 0,
        y: 0,
        row_height: 0,
    };
    g.place(
        24,
        2,
        "text",
        json!({"markdown": format!(
            "# Kinesis → Lambda pipeline: stream `{}`, function `{}`\nGenerated by `streamwatch dashboard generate`; `streamwatch dashboard apply` replaces the whole dashboard, so make changes there rather than in the console.",
            t.stream, t.function
        )}),
    );
    g.metrics(
        t,
        12,
        "Pipeline Throughput",
        vec![
            cw_metric(
                &kinesis::INCOMING_RECORDS,
                &s,
                "Sum",
                "records in (stream)",
                false,
            ),
            cw_metric(
                &lambda::INVOCATIONS,
                &f,
                "Sum",
                "invocations (function)",
                true,
            ),
        ],
    );
    g.metrics(
        t,
        12,
        "Latency Metrics",
        vec![
            cw_metric(&lambda::DURATION, &f, "p99", "function duration p99", false),
            cw_metric(
                &lambda::DURATION,
                &f,
                "Average",
                "function duration avg",
                false,
            ),
            cw_metric(
                &pipeline::RECORD_PROCESSING_LATENCY,
                &p,
                "p99",
                "record processing latency p99",
                false,
            ),
            cw_metric(
                &pipeline::RECORD_PROCESSING_LATENCY,
                &p,
                "Average",
                "record processing latency avg",
                false,
            ),
        ],
    );

    // The stream.
    g.graph(
        t,
        "Stream: incoming bytes per put (average)",
        vec![cw_metric(
            &kinesis::INCOMING_BYTES,
            &s,
            "Average",
            "IncomingBytes avg",
            false,
        )],
    );
    g.graph(
        t,
        "Stream: put latency",
        vec![
            cw_metric(
                &kinesis::PUT_RECORD_LATENCY,
                &s,
                "Average",
                "PutRecord",
                false,
            ),
            cw_metric(
                &kinesis::PUT_RECORDS_LATENCY,
                &s,
                "Average",
                "PutRecords",
                false,
            ),
        ],
    );
    g.graph(
        t,
        "Stream: GetRecords latency",
        vec![cw_metric(
            &kinesis::GET_RECORDS_LATENCY,
            &s,
            "Average",
            "GetRecords",
            false,
        )],
    );
    g.graph(
        t,
        "Stream: iterator age (max)",
        vec![cw_metric(
            &kinesis::GET_RECORDS_ITERATOR_AGE,
            &s,
            "Maximum",
            "GetRecords.IteratorAgeMilliseconds max",
            false,
        )],
    );
    g.graph(
        t,
        "Stream: records and bytes in",
        vec![
            cw_metric(&kinesis::INCOMING_RECORDS, &s, "Sum", "records", false),
            cw_metric(&kinesis::INCOMING_BYTES, &s, "Sum", "bytes", true),
        ],
    );
    g.graph(
        t,
        "Stream: throttling",
        vec![
            cw_metric(
                &kinesis::WRITE_THROTTLED,
                &s,
                "Sum",
                "write throttled",
                false,
            ),
            cw_metric(&kinesis::READ_THROTTLED, &s, "Sum", "read throttled", false),
        ],
    );
    g.graph(
        t,
        "Stream: records and bytes read",
        vec![
            cw_metric(&kinesis::GET_RECORDS_RECORDS, &s, "Sum", "records", false),
            cw_metric(&kinesis::GET_RECORDS_BYTES, &s, "Sum", "bytes", true),
        ],
    );

    // The function.
    g.graph(
        t,
        "Function: invocations, errors, throttles",
        vec![
            cw_metric(&lambda::INVOCATIONS, &f, "Sum", "invocations", false),
            cw_metric(&lambda::ERRORS, &f, "Sum", "errors", false),
            cw_metric(&lambda::THROTTLES, &f, "Sum", "throttles", false),
        ],
    );
    g.graph(
        t,
        "Function: duration",
        vec![
            cw_metric(&lambda::DURATION, &f, "p50", "p50", false),
            cw_metric(&lambda::DURATION, &f, "p99", "p99", false),
        ],
    );
    g.graph(
        t,
        "Function: concurrent executions",
        vec![cw_metric(
            &lambda::CONCURRENT_EXECUTIONS,
            &f,
            "Maximum",
            "max",
            false,
        )],
    );
    g.graph(
        t,
        "Function: iterator age",
        vec![cw_metric(
            &lambda::ITERATOR_AGE,
            &f,
            "Maximum",
            "max",
            false,
        )],
    );

    // The function's own pipeline metrics.
    g.graph(
        t,
        "Pipeline: batch size",
        vec![
            cw_metric(&pipeline::BATCH_SIZE, &p, "Average", "avg", false),
            cw_metric(&pipeline::BATCH_SIZE, &p, "Maximum", "max", false),
        ],
    );
    g.graph(
        t,
        "Pipeline: records handled",
        vec![
            cw_metric(
                &pipeline::RECORD_PROCESSING_SUCCESS,
                &p,
                "Sum",
                "succeeded",
                false,
            ),
            cw_metric(
                &pipeline::RECORD_PROCESSING_FAILURE,
                &p,
                "Sum",
                "failed",
                false,
            ),
        ],
    );
    g.graph(
        t,
        "Pipeline: downstream writes",
        vec![
            cw_metric(
                &pipeline::DOWNSTREAM_WRITE_LATENCY,
                &p,
                "Average",
                "latency avg",
                false,
            ),
            cw_metric(
                &pipeline::DOWNSTREAM_WRITE_SUCCESS,
                &p,
                "Average",
                "success rate",
                true,
            ),
        ],
    );
    if !t.alarm_arns.is_empty() {
        g.x = crate::validate::GRID_COLUMNS;
        g.place(
            24,
            4,
            "alarm",
            json!({"title": "Alarms", "alarms": t.alarm_arns}),
        );
    }
    json!({"widgets": g.widgets})
}

// ---------------------------------------------------------------------------------------
// Grafana

struct Panels {
    source: GrafanaSource,
    panels: Vec<Value>,
    x: i64,
    y: i64,
}

/// One query of a panel, in either data source's terms.
enum Query {
    /// A PromQL expression and its legend.
    Prom(String, String),
    /// A CloudWatch metric, its dimension values, statistic and label.
    Cw(&'static MetricDef, Vec<String>, String, String),
}

impl Panels {
    fn datasource(&self) -> Value {
        let kind = match self.source {
            GrafanaSource::Prometheus | GrafanaSource::PrometheusYace => "prometheus",
            GrafanaSource::CloudWatch => "cloudwatch",
        };
        json!({"type": kind, "uid": "${datasource}"})
    }

    fn add(&mut self, title: &str, unit: &str, queries: Vec<Query>) {
        if self.x + 8 > 24 {
            self.x = 0;
            self.y += 8;
        }
        let targets: Vec<Value> = queries
            .into_iter()
            .enumerate()
            .map(|(i, q)| {
                let ref_id = char::from(b'A' + (i % 26) as u8).to_string();
                match q {
                    Query::Prom(expr, legend) => json!({
                        "refId": ref_id,
                        "datasource": self.datasource(),
                        "expr": expr,
                        "legendFormat": legend,
                        "range": true,
                    }),
                    Query::Cw(def, vars, stat, label) => {
                        let set = def
                            .dimension_sets
                            .iter()
                            .find(|s| s.len() == vars.len())
                            .copied()
                            .unwrap_or_default();
                        let dims: serde_json::Map<String, Value> = set
                            .iter()
                            .zip(vars)
                            .map(|(k, v)| ((*k).to_owned(), json!([v])))
                            .collect();
                        json!({
                            "refId": ref_id,
                            "datasource": self.datasource(),
                            "queryMode": "Metrics",
                            "metricQueryType": 0,
                            "metricEditorMode": 0,
                            "region": "$region",
                            "namespace": def.namespace,
                            "metricName": def.name,
                            "dimensions": dims,
                            "matchExact": true,
                            "statistic": stat,
                            "period": "",
                            "label": label,
                            "id": "",
                            "expression": "",
                        })
                    }
                }
            })
            .collect();
        let id = self.panels.len() as i64 + 1;
        self.panels.push(json!({
            "id": id,
            "type": "timeseries",
            "title": title,
            "datasource": self.datasource(),
            "gridPos": {"x": self.x, "y": self.y, "w": 8, "h": 8},
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "options": {
                "legend": {"displayMode": "list", "placement": "bottom", "showLegend": true},
                "tooltip": {"mode": "multi", "sort": "none"},
            },
            "targets": targets,
        }));
        self.x += 8;
    }
}

/// A `streamwatch collect` series of the stream (label `stream_name`) or the function
/// (`function_name`); in YACE's style (`dimension_StreamName`, `dimension_FunctionName`)
/// only the resource's own series, not those per shard or per alias and version that share
/// its family.
fn prom(def: &MetricDef, statistic: Statistic, dimension: &str, var: &str, yace: bool) -> String {
    if yace {
        let finer = if dimension == stream_dimension() {
            "ShardId"
        } else {
            "Resource"
        };
        return format!(
            "{}{{dimension_{dimension}=\"${var}\",dimension_{finer}=\"\"}}",
            metric_export::yace::metric_name(def.namespace, def.name, Some(statistic)),
        );
    }
    format!(
        "{}{{{}=\"${var}\"}}",
        metric_name(def.namespace, def.name, statistic),
        label_name(dimension)
    )
}

fn stream_dimension() -> &'static str {
    kinesis::INCOMING_RECORDS.dimension_sets[0][0]
}

fn function_dimension() -> &'static str {
    lambda::INVOCATIONS.dimension_sets[1][0]
}

/// A Grafana dashboard for `t` on the given data source.
pub fn grafana(t: &Target, source: GrafanaSource) -> Value {
    let mut p = Panels {
        source,
        panels: Vec::new(),
        x: 0,
        y: 0,
    };
    match source {
        GrafanaSource::Prometheus => prometheus_panels(&mut p, false),
        GrafanaSource::PrometheusYace => prometheus_panels(&mut p, true),
        GrafanaSource::CloudWatch => cloudwatch_panels(&mut p, t),
    }
    let (kind, stream_query, function_query) = match source {
        GrafanaSource::Prometheus => (
            "prometheus",
            json!(format!(
                "label_values({}, {})",
                metric_name(
                    kinesis::NAMESPACE,
                    kinesis::INCOMING_RECORDS.name,
                    Statistic::Sum
                ),
                label_name(stream_dimension())
            )),
            json!(format!(
                "label_values({}, {})",
                metric_name(lambda::NAMESPACE, lambda::INVOCATIONS.name, Statistic::Sum),
                label_name(function_dimension())
            )),
        ),
        GrafanaSource::PrometheusYace => (
            "prometheus",
            json!(format!(
                "label_values({}, dimension_{})",
                metric_export::yace::metric_name(
                    kinesis::NAMESPACE,
                    kinesis::INCOMING_RECORDS.name,
                    Some(Statistic::Sum)
                ),
                stream_dimension()
            )),
            json!(format!(
                "label_values({}, dimension_{})",
                metric_export::yace::metric_name(
                    lambda::NAMESPACE,
                    lambda::INVOCATIONS.name,
                    Some(Statistic::Sum)
                ),
                function_dimension()
            )),
        ),
        // The legacy text form of the data source's variable queries, which Grafana still
        // reads (and migrates); the dashboard schema has no object form for it.
        GrafanaSource::CloudWatch => (
            "cloudwatch",
            json!(format!(
                "dimension_values($region,{},{},{})",
                kinesis::NAMESPACE,
                kinesis::INCOMING_RECORDS.name,
                stream_dimension()
            )),
            json!(format!(
                "dimension_values($region,{},{},{})",
                lambda::NAMESPACE,
                lambda::INVOCATIONS.name,
                function_dimension()
            )),
        ),
    };
    let ds = json!({"type": kind, "uid": "${datasource}"});
    let current = |v: &str| json!({"selected": true, "text": v, "value": v});
    let mut variables = vec![json!({
        "name": "datasource",
        "label": "Data source",
        "type": "datasource",
        "query": kind,
        "hide": 0,
        "refresh": 1,
        "options": [],
    })];
    if source == GrafanaSource::CloudWatch {
        variables.push(json!({
            "name": "region",
            "label": "Region",
            "type": "custom",
            "query": t.region,
            "current": current(&t.region),
            "hide": 0,
            "options": [],
        }));
    }
    for (name, label, query, value) in [
        ("stream", "Stream", stream_query, &t.stream),
        ("function", "Function", function_query, &t.function),
    ] {
        variables.push(json!({
            "name": name,
            "label": label,
            "type": "query",
            "datasource": ds,
            "query": query,
            "current": current(value),
            "refresh": 2,
            "hide": 0,
            "options": [],
            "sort": 1,
        }));
    }
    let title = match source {
        GrafanaSource::Prometheus | GrafanaSource::PrometheusYace => {
            format!("Kinesis → Lambda: {} → {}", t.stream, t.function)
        }
        GrafanaSource::CloudWatch => format!(
            "Kinesis → Lambda (CloudWatch): {} → {}",
            t.stream, t.function
        ),
    };
    json!({
        "title": title,
        "description": "Generated by `streamwatch dashboard generate`.",
        "tags": ["streamwatch", "kinesis", "lambda"],
        "editable": true,
        "graphTooltip": 1,
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "annotations": {"list": []},
        "links": [],
        "templating": {"list": variables},
        "panels": p.panels,
    })
}

fn prometheus_panels(p: &mut Panels, yace: bool) {
    let sd = stream_dimension();
    let fd = function_dimension();
    let q = |def: &MetricDef, stat: Statistic, legend: &str| {
        Query::Prom(prom(def, stat, sd, "stream", yace), legend.to_owned())
    };
    let fq = |def: &MetricDef, stat: Statistic, legend: &str| {
        Query::Prom(prom(def, stat, fd, "function", yace), legend.to_owned())
    };
    p.add(
        "Pipeline Throughput",
        "short",
        vec![
            q(&kinesis::INCOMING_RECORDS, Statistic::Sum, "records in"),
            fq(&lambda::INVOCATIONS, Statistic::Sum, "invocations"),
        ],
    );
    p.add(
        "Latency Metrics",
        "ms",
        vec![
            fq(
                &lambda::DURATION,
                Statistic::Percentile(99.0),
                "duration p99",
            ),
            fq(&lambda::DURATION, Statistic::Average, "duration avg"),
            q(
                &kinesis::GET_RECORDS_LATENCY,
                Statistic::Average,
                "GetRecords avg",
            ),
        ],
    );
    p.add(
        "Stream: put latency",
        "ms",
        vec![
            q(
                &kinesis::PUT_RECORD_LATENCY,
                Statistic::Average,
                "PutRecord",
            ),
            q(
                &kinesis::PUT_RECORDS_LATENCY,
                Statistic::Average,
                "PutRecords",
            ),
        ],
    );
    p.add(
        "Stream: bytes in",
        "bytes",
        vec![
            q(&kinesis::INCOMING_BYTES, Statistic::Sum, "sum"),
            q(&kinesis::INCOMING_BYTES, Statistic::Average, "per put"),
        ],
    );
    p.add(
        "Stream: iterator age",
        "ms",
        vec![q(
            &kinesis::GET_RECORDS_ITERATOR_AGE,
            Statistic::Maximum,
            "max",
        )],
    );
    p.add(
        "Stream: throttling",
        "short",
        vec![
            q(&kinesis::WRITE_THROTTLED, Statistic::Sum, "write"),
            q(&kinesis::READ_THROTTLED, Statistic::Sum, "read"),
        ],
    );
    p.add(
        "Stream: reads",
        "short",
        vec![
            q(&kinesis::GET_RECORDS_RECORDS, Statistic::Sum, "records"),
            q(&kinesis::GET_RECORDS_BYTES, Statistic::Sum, "bytes"),
        ],
    );
    p.add(
        "Function: invocations, errors, throttles",
        "short",
        vec![
            fq(&lambda::INVOCATIONS, Statistic::Sum, "invocations"),
            fq(&lambda::ERRORS, Statistic::Sum, "errors"),
            fq(&lambda::THROTTLES, Statistic::Sum, "throttles"),
        ],
    );
    p.add(
        "Function: concurrency and iterator age",
        "short",
        vec![
            fq(
                &lambda::CONCURRENT_EXECUTIONS,
                Statistic::Maximum,
                "concurrent",
            ),
            fq(&lambda::ITERATOR_AGE, Statistic::Maximum, "iterator age ms"),
        ],
    );
    // The client library's own metrics (kinesis-client's Prometheus collector).
    let by_stream = |name: &str| format!("{name}{{{}=\"$stream\"}}", labels::STREAM_NAME);
    let rate = |name: &str| format!("sum(rate({}[$__rate_interval]))", by_stream(name));
    let p99 = |name: &str| {
        format!(
            "histogram_quantile(0.99, sum by (le) (rate({}[$__rate_interval])))",
            by_stream(&format!("{name}_bucket"))
        )
    };
    p.add(
        "Producer: records sent, errors, throttles per second",
        "short",
        vec![
            Query::Prom(rate(client::PRODUCER_RECORDS_SENT_TOTAL), "sent".into()),
            Query::Prom(rate(client::PRODUCER_ERRORS_TOTAL), "errors".into()),
            Query::Prom(rate(client::PRODUCER_THROTTLES_TOTAL), "throttles".into()),
        ],
    );
    p.add(
        "Producer: queue and flush time p99",
        "short",
        vec![
            Query::Prom(
                format!("sum({})", by_stream(client::PRODUCER_QUEUE_SIZE)),
                "queued records".into(),
            ),
            Query::Prom(
                p99(client::PRODUCER_FLUSH_DURATION_SECONDS),
                "flush seconds p99".into(),
            ),
        ],
    );
    p.add(
        "Consumer: records received, errors per second",
        "short",
        vec![
            Query::Prom(
                rate(client::CONSUMER_RECORDS_RECEIVED_TOTAL),
                "received".into(),
            ),
            Query::Prom(rate(client::CONSUMER_ERRORS_TOTAL), "errors".into()),
        ],
    );
    p.add(
        "Consumer: lag",
        "short",
        vec![
            Query::Prom(
                format!(
                    "max({})",
                    by_stream(client::CONSUMER_ITERATOR_AGE_MILLISECONDS)
                ),
                "iterator age ms (max)".into(),
            ),
            Query::Prom(
                format!("sum({})", by_stream(client::CONSUMER_LAG_RECORDS)),
                "records behind".into(),
            ),
            Query::Prom(
                p99(client::CONSUMER_PROCESSING_TIME_SECONDS),
                "processing seconds p99".into(),
            ),
        ],
    );
}

fn cloudwatch_panels(p: &mut Panels, t: &Target) {
    let s = || vec!["$stream".to_owned()];
    let f = || vec!["$function".to_owned()];
    // The handler's Pipeline dimension is the function's name unless set otherwise.
    let pipeline_value = if t.pipeline == t.function {
        "$function".to_owned()
    } else {
        t.pipeline.clone()
    };
    let pl = || vec![t.environment.clone(), pipeline_value.clone()];
    let q = |def: &'static MetricDef, dims: Vec<String>, stat: &str, label: &str| {
        Query::Cw(def, dims, stat.to_owned(), label.to_owned())
    };
    p.add(
        "Pipeline Throughput",
        "short",
        vec![
            q(&kinesis::INCOMING_RECORDS, s(), "Sum", "records in"),
            q(&lambda::INVOCATIONS, f(), "Sum", "invocations"),
        ],
    );
    p.add(
        "Latency Metrics",
        "ms",
        vec![
            q(&lambda::DURATION, f(), "p99", "duration p99"),
            q(
                &pipeline::RECORD_PROCESSING_LATENCY,
                pl(),
                "p99",
                "record processing p99",
            ),
        ],
    );
    p.add(
        "Stream: put and GetRecords latency",
        "ms",
        vec![
            q(&kinesis::PUT_RECORD_LATENCY, s(), "Average", "PutRecord"),
            q(&kinesis::PUT_RECORDS_LATENCY, s(), "Average", "PutRecords"),
            q(&kinesis::GET_RECORDS_LATENCY, s(), "Average", "GetRecords"),
        ],
    );
    p.add(
        "Stream: bytes in",
        "bytes",
        vec![
            q(&kinesis::INCOMING_BYTES, s(), "Sum", "sum"),
            q(&kinesis::INCOMING_BYTES, s(), "Average", "per put"),
        ],
    );
    p.add(
        "Stream: iterator age",
        "ms",
        vec![q(&kinesis::GET_RECORDS_ITERATOR_AGE, s(), "Maximum", "max")],
    );
    p.add(
        "Stream: throttling",
        "short",
        vec![
            q(&kinesis::WRITE_THROTTLED, s(), "Sum", "write"),
            q(&kinesis::READ_THROTTLED, s(), "Sum", "read"),
        ],
    );
    p.add(
        "Stream: reads",
        "short",
        vec![
            q(&kinesis::GET_RECORDS_RECORDS, s(), "Sum", "records"),
            q(&kinesis::GET_RECORDS_BYTES, s(), "Sum", "bytes"),
        ],
    );
    p.add(
        "Function: invocations, errors, throttles",
        "short",
        vec![
            q(&lambda::INVOCATIONS, f(), "Sum", "invocations"),
            q(&lambda::ERRORS, f(), "Sum", "errors"),
            q(&lambda::THROTTLES, f(), "Sum", "throttles"),
        ],
    );
    p.add(
        "Function: duration, concurrency, iterator age",
        "short",
        vec![
            q(&lambda::DURATION, f(), "p50", "duration p50"),
            q(&lambda::CONCURRENT_EXECUTIONS, f(), "Maximum", "concurrent"),
            q(&lambda::ITERATOR_AGE, f(), "Maximum", "iterator age"),
        ],
    );
    p.add(
        "Pipeline: records handled and batch size",
        "short",
        vec![
            q(
                &pipeline::RECORD_PROCESSING_SUCCESS,
                pl(),
                "Sum",
                "succeeded",
            ),
            q(&pipeline::RECORD_PROCESSING_FAILURE, pl(), "Sum", "failed"),
            q(&pipeline::BATCH_SIZE, pl(), "Average", "batch size"),
        ],
    );
    p.add(
        "Pipeline: downstream writes",
        "short",
        vec![
            q(
                &pipeline::DOWNSTREAM_WRITE_LATENCY,
                pl(),
                "Average",
                "latency ms",
            ),
            q(
                &pipeline::DOWNSTREAM_WRITE_SUCCESS,
                pl(),
                "Average",
                "success rate",
            ),
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        let mut t = Target::new("orders", "orders-consumer", "us-east-1");
        t.alarm_arns = vec!["arn:aws:cloudwatch:us-east-1:000000000000:alarm:orders-age".into()];
        t
    }

    #[test]
    fn the_cloudwatch_body_passes_our_put_dashboard_validation() {
        let body = cloudwatch(&target()).to_string();
        assert_eq!(crate::validate::body(&body), vec![]);
        let without_alarms = cloudwatch(&Target::new("s", "f", "eu-west-1")).to_string();
        assert_eq!(crate::validate::body(&without_alarms), vec![]);
        assert!(!without_alarms.contains("\"alarm\""));
    }

    #[test]
    fn the_cloudwatch_body_has_the_named_widgets_and_catalogue_metrics() {
        let body = cloudwatch(&target());
        let widgets = body["widgets"].as_array().unwrap();
        let titles: Vec<&str> = widgets
            .iter()
            .filter_map(|w| w["properties"]["title"].as_str())
            .collect();
        assert!(titles.contains(&"Pipeline Throughput"), "{titles:?}");
        assert!(titles.contains(&"Latency Metrics"), "{titles:?}");
        assert_eq!(widgets[0]["type"], "text");
        assert_eq!(widgets.last().unwrap()["type"], "alarm");
        for w in widgets.iter().filter(|w| w["type"] == "metric") {
            for m in w["properties"]["metrics"].as_array().unwrap() {
                let ns = m[0].as_str().unwrap();
                let name = m[1].as_str().unwrap();
                assert!(
                    metric_store::catalog::find(ns, name).is_some(),
                    "{ns} {name}"
                );
            }
        }
        let throughput = &widgets[1]["properties"]["metrics"];
        assert_eq!(
            throughput[0],
            json!(["AWS/Kinesis", "IncomingRecords", "StreamName", "orders", {"stat": "Sum", "label": "records in (stream)"}])
        );
        let text = body.to_string();
        assert!(text.contains(r#""KinesisLambdaPipeline","RecordProcessingLatency","Environment","dev","Pipeline","orders-consumer""#));
    }

    #[test]
    fn grafana_prometheus_queries_use_exported_names() {
        let d = grafana(&target(), GrafanaSource::Prometheus);
        let text = d.to_string();
        for name in [
            "aws_kinesis_incoming_bytes_sum{stream_name=\\\"$stream\\\"}",
            "aws_kinesis_get_records_iterator_age_milliseconds_maximum",
            "aws_lambda_duration_p99{function_name=\\\"$function\\\"}",
            "producer_records_sent_total{stream_name=\\\"$stream\\\"}",
            "consumer_iterator_age_milliseconds",
            "label_values(aws_kinesis_incoming_records_sum, stream_name)",
        ] {
            assert!(text.contains(name), "{name} missing");
        }
        let vars: Vec<&str> = d["templating"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v["name"].as_str())
            .collect();
        assert_eq!(vars, ["datasource", "stream", "function"]);
    }

    #[test]
    fn grafana_yace_queries_use_yaces_labels() {
        let d = grafana(&target(), GrafanaSource::PrometheusYace);
        let text = d.to_string();
        for name in [
            "aws_kinesis_incoming_bytes_sum{dimension_StreamName=\\\"$stream\\\",dimension_ShardId=\\\"\\\"}",
            "aws_lambda_duration_p99{dimension_FunctionName=\\\"$function\\\",dimension_Resource=\\\"\\\"}",
            "label_values(aws_kinesis_incoming_records_sum, dimension_StreamName)",
            "label_values(aws_lambda_invocations_sum, dimension_FunctionName)",
            // kinesis-client's series keep their own labels.
            "producer_records_sent_total{stream_name=\\\"$stream\\\"}",
        ] {
            assert!(text.contains(name), "{name} missing");
        }
        assert!(!text.contains("aws_kinesis_incoming_bytes_sum{stream_name"));
        for panel in d["panels"].as_array().unwrap() {
            assert_eq!(panel["datasource"]["type"], "prometheus");
        }
    }

    #[test]
    fn grafana_cloudwatch_queries_name_catalogue_metrics() {
        let d = grafana(&target(), GrafanaSource::CloudWatch);
        for panel in d["panels"].as_array().unwrap() {
            assert_eq!(panel["datasource"]["type"], "cloudwatch");
            for t in panel["targets"].as_array().unwrap() {
                let ns = t["namespace"].as_str().unwrap();
                let name = t["metricName"].as_str().unwrap();
                assert!(metric_store::catalog::find(ns, name).is_some());
            }
        }
    }

    /// Grafana's published dashboard JSON schema (grafana/grafana-foundation-sdk,
    /// `jsonschema/dashboard.jsonschema.json`, Apache-2.0): from `$STREAMWATCH_GRAFANA_SCHEMA`,
    /// else `shared/grafana/dashboard.jsonschema.json` beside the workspace. It is not
    /// vendored here (material fetched from other repositories stays out of this repository's
    /// commits); where neither is present the check says so and is passed over.
    fn grafana_schema() -> Option<serde_json::Value> {
        let path = match std::env::var_os("STREAMWATCH_GRAFANA_SCHEMA") {
            Some(p) => std::path::PathBuf::from(p),
            None => std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/grafana/dashboard.jsonschema.json"),
        };
        match std::fs::read(&path) {
            Ok(bytes) => Some(serde_json::from_slice(&bytes).expect("the schema is JSON")),
            Err(e) => {
                eprintln!(
                    "NOTE: Grafana's dashboard schema not checked: {}: {e}",
                    path.display()
                );
                None
            }
        }
    }

    #[test]
    fn grafana_dashboards_follow_grafanas_published_schema() {
        let Some(schema) = grafana_schema() else {
            return;
        };
        let validator = jsonschema::validator_for(&schema).expect("a usable schema");
        for source in [
            GrafanaSource::Prometheus,
            GrafanaSource::PrometheusYace,
            GrafanaSource::CloudWatch,
        ] {
            let d = grafana(&target(), source);
            let errors: Vec<String> = validator
                .iter_errors(&d)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{source:?}: {errors:#?}");
        }
        // The schema is strict enough to notice a mistake.
        let mut broken = grafana(&target(), GrafanaSource::Prometheus);
        broken["panels"][0]["gridPos"] = json!({"x": 0});
        assert!(!validator.is_valid(&broken));
    }
}
