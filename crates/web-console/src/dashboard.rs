//! CloudWatch dashboard bodies rendered for the page: metric widgets (line, stacked,
//! singleValue, bar) with their data fetched through GetMetricData (metric math included),
//! text widgets as Markdown turned into HTML with raw HTML escaped, and alarm widgets with
//! the alarms' states.

use pulldown_cmark::{CowStr, Event, Options as MdOptions, Parser, Tag};
use serde_json::{Map, Value, json};

use crate::metrics::{self, Query, TimeRange};
use crate::{Console, Error};

/// CloudWatch's default period of a metric widget, in seconds.
const DEFAULT_PERIOD: i32 = 300;

/// Markdown to HTML: raw HTML is shown as text, links other than http(s), `#` and relative
/// ones lose their target.
pub fn markdown_to_html(markdown: &str) -> String {
    let events = Parser::new_ext(
        markdown,
        MdOptions::ENABLE_TABLES | MdOptions::ENABLE_STRIKETHROUGH,
    )
    .map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let scheme = lower.split_once(':').map(|(s, _)| s);
    let fine = match scheme {
        Some(s) => s == "http" || s == "https" || s.contains(['/', '#', '?']),
        None => true,
    };
    if fine { url } else { CowStr::Borrowed("#") }
}

/// One metric row of a widget's `metrics`, with the shorthands (`.` and `...`) expanded.
#[derive(Debug, Clone, PartialEq)]
enum Row {
    Metric {
        fields: Vec<String>,
        options: Map<String, Value>,
    },
    Expression(Map<String, Value>),
}

/// Expands `.` (the row above's value at that place) and a leading `...` (the row above's
/// fields, with the given ones replacing its tail).
fn expand_rows(metrics: &[Value]) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    let mut previous: Vec<String> = Vec::new();
    for (i, row) in metrics.iter().enumerate() {
        let items = row
            .as_array()
            .ok_or_else(|| format!("metrics[{i}] is not an array"))?;
        let (strings, options) = match items.last() {
            Some(Value::Object(o)) => (&items[..items.len() - 1], o.clone()),
            _ => (&items[..], Map::new()),
        };
        if strings.is_empty() {
            if options.contains_key("expression") {
                rows.push(Row::Expression(options));
                continue;
            }
            return Err(format!("metrics[{i}] names no metric"));
        }
        let given: Vec<String> = strings
            .iter()
            .map(|s| s.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| format!("metrics[{i}] holds a value that is not text"))?;
        let fields: Vec<String> = if given.first().map(String::as_str) == Some("...") {
            let rest = &given[1..];
            let keep = previous.len().saturating_sub(rest.len());
            previous[..keep].iter().chain(rest).cloned().collect()
        } else {
            given
                .iter()
                .enumerate()
                .map(|(j, f)| {
                    if f == "." {
                        previous.get(j).cloned().unwrap_or_default()
                    } else {
                        f.clone()
                    }
                })
                .collect()
        };
        if fields.len() < 2 || !fields.len().is_multiple_of(2) {
            return Err(format!(
                "metrics[{i}] needs a namespace, a metric name and dimension name/value pairs"
            ));
        }
        previous = fields.clone();
        rows.push(Row::Metric { fields, options });
    }
    Ok(rows)
}

fn opt_str<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str)
}

fn opt_period(o: &Map<String, Value>) -> Option<i32> {
    o.get("period")
        .and_then(Value::as_i64)
        .and_then(|p| i32::try_from(p).ok())
        .filter(|p| *p > 0)
}

/// A metric widget's period: its own, else CloudWatch's default (300 s) or the range's
/// period when the range is short.
fn widget_period(props: &Map<String, Value>, range: TimeRange) -> i32 {
    opt_period(props).unwrap_or(DEFAULT_PERIOD.min(range.period.max(60)))
}

/// A metric widget's queries: each row's id (given or `m<n>`), label, statistic, period
/// and whether it is drawn.
fn widget_queries(
    props: &Map<String, Value>,
    range: TimeRange,
) -> Result<Vec<(Query, Value)>, String> {
    let metrics = props
        .get("metrics")
        .and_then(Value::as_array)
        .ok_or("a metric widget needs properties.metrics")?;
    let rows = expand_rows(metrics)?;
    let stat = opt_str(props, "stat").unwrap_or("Average");
    let period = widget_period(props, range);
    let mut out = Vec::new();
    for (n, row) in rows.iter().enumerate() {
        let (options, query) = match row {
            Row::Metric { fields, options } => {
                let id = opt_str(options, "id").map_or_else(|| format!("m{n}"), str::to_owned);
                let dims: Vec<(&str, &str)> = fields[2..]
                    .chunks(2)
                    .map(|p| (p[0].as_str(), p[1].as_str()))
                    .collect();
                let label = opt_str(options, "label").map_or_else(
                    || {
                        let dims: Vec<&str> = dims.iter().map(|d| d.1).collect();
                        if dims.is_empty() {
                            fields[1].clone()
                        } else {
                            format!("{} {}", dims.join(" "), fields[1])
                        }
                    },
                    str::to_owned,
                );
                let visible = options.get("visible").and_then(Value::as_bool) != Some(false);
                (
                    options,
                    Query::metric(
                        id,
                        label,
                        &fields[0],
                        &fields[1],
                        &dims,
                        opt_str(options, "stat").unwrap_or(stat),
                        opt_period(options).unwrap_or(period),
                        visible,
                    ),
                )
            }
            Row::Expression(options) => {
                let id = opt_str(options, "id").map_or_else(|| format!("e{n}"), str::to_owned);
                let expr = opt_str(options, "expression").unwrap_or_default();
                let label = opt_str(options, "label").unwrap_or(expr).to_owned();
                let visible = options.get("visible").and_then(Value::as_bool) != Some(false);
                (
                    options,
                    Query::expression(
                        id,
                        label,
                        expr,
                        opt_period(options).unwrap_or(period),
                        visible,
                    ),
                )
            }
        };
        let style = json!({
            "color": options.get("color"),
            "yAxis": opt_str(options, "yAxis").unwrap_or("left"),
            "visible": options.get("visible").and_then(Value::as_bool) != Some(false),
        });
        out.push((query, style));
    }
    Ok(out)
}

/// Renders a dashboard body: its widgets in order, each with what the page draws.
pub(crate) async fn render(
    console: &Console,
    name: &str,
    body: &str,
    range: TimeRange,
) -> Result<Value, Error> {
    let parsed: Value =
        serde_json::from_str(body).map_err(|e| Error::Dashboard(format!("not JSON: {e}")))?;
    let widgets = parsed
        .get("widgets")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::Dashboard("the body has no widgets array".into()))?;
    let region = &console.options().region;
    let mut alarms: Option<Vec<crate::backend::AlarmItem>> = None;
    let mut out = Vec::new();
    for (i, w) in widgets.iter().enumerate() {
        let kind = w.get("type").and_then(Value::as_str).unwrap_or_default();
        let empty = Map::new();
        let props = w
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let mut widget = json!({
            "index": i,
            "type": kind,
            "x": w.get("x"), "y": w.get("y"),
            "width": w.get("width").and_then(Value::as_i64).unwrap_or(6),
            "height": w.get("height").and_then(Value::as_i64).unwrap_or(6),
            "title": opt_str(props, "title").unwrap_or_default(),
        });
        match kind {
            "metric" => {
                widget["view"] = json!(opt_str(props, "view").unwrap_or("timeSeries"));
                widget["stacked"] = json!(
                    props
                        .get("stacked")
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                );
                widget["yAxis"] = props.get("yAxis").cloned().unwrap_or(Value::Null);
                widget["period"] = json!(widget_period(props, range));
                if let Some(r) = opt_str(props, "region").filter(|r| r != region) {
                    widget["note"] =
                        json!(format!("widget region {r}; the console reads {region}"));
                }
                match widget_queries(props, range) {
                    Err(e) => widget["error"] = json!(e),
                    Ok(queries) => {
                        let styles: Vec<(String, Value)> = queries
                            .iter()
                            .map(|(q, s)| (q.id.clone(), s.clone()))
                            .collect();
                        let qs = queries.into_iter().map(|(q, _)| q).collect();
                        match metrics::fetch(&console.clients().cloudwatch, qs, range).await {
                            Err(e) => widget["error"] = json!(e.to_string()),
                            Ok(mut data) => {
                                let series: Vec<Value> = styles
                                    .into_iter()
                                    .filter(|(_, s)| s["visible"] == json!(true))
                                    .filter_map(|(id, style)| {
                                        let s = data.remove(&id)?;
                                        let mut v = serde_json::to_value(s).ok()?;
                                        v["color"] = style["color"].clone();
                                        v["yAxis"] = style["yAxis"].clone();
                                        Some(v)
                                    })
                                    .collect();
                                widget["series"] = json!(series);
                            }
                        }
                    }
                }
            }
            "text" => {
                widget["html"] = json!(markdown_to_html(
                    opt_str(props, "markdown").unwrap_or_default()
                ));
            }
            "alarm" => {
                if alarms.is_none() {
                    alarms = Some(
                        crate::backend::describe_alarms(console.clients())
                            .await
                            .unwrap_or_default(),
                    );
                }
                let known = alarms.as_deref().unwrap_or_default();
                let wanted: Vec<Value> = props
                    .get("alarms")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(|arn| {
                                let name = arn.rsplit(":alarm:").next().unwrap_or(arn);
                                let found = known.iter().find(|a| a.arn == arn || a.name == name);
                                json!({
                                    "name": name,
                                    "state": found.map_or("UNKNOWN", |a| a.state.as_str()),
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                widget["alarms"] = json!(wanted);
            }
            other => {
                widget["error"] =
                    json!(format!("widget type '{other}' is not drawn by the console"));
            }
        }
        out.push(widget);
    }
    Ok(json!({
        "name": name,
        "range": {"start": range.start, "end": range.end, "period": range.period},
        "widgets": out,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_is_escaped_and_script_links_dropped() {
        let html = markdown_to_html(
            "# Title\n\n<script>alert(1)</script>\n\nsee [x](javascript:alert(1)) and <img src=x onerror=alert(1)> [y](https://a.b/)",
        );
        assert!(html.contains("<h1>Title</h1>"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("href=\"https://a.b/\""));
    }

    #[test]
    fn shorthands_expand() {
        let rows: Vec<Value> = serde_json::from_str(
            r#"[["AWS/Kinesis","IncomingRecords","StreamName","a",{"stat":"Sum"}],
                ["...","b"],
                [".","IncomingBytes",".","c"],
                [{"expression":"m0+m1","id":"e1"}]]"#,
        )
        .unwrap();
        let rows = expand_rows(&rows).unwrap();
        let fields = |r: &Row| match r {
            Row::Metric { fields, .. } => fields.join(","),
            Row::Expression(_) => "expr".into(),
        };
        assert_eq!(fields(&rows[0]), "AWS/Kinesis,IncomingRecords,StreamName,a");
        assert_eq!(fields(&rows[1]), "AWS/Kinesis,IncomingRecords,StreamName,b");
        assert_eq!(fields(&rows[2]), "AWS/Kinesis,IncomingBytes,StreamName,c");
        assert_eq!(fields(&rows[3]), "expr");
        assert!(expand_rows(&[json!(["AWS/Kinesis"])]).is_err());
    }
}
