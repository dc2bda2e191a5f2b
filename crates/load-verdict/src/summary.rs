//! The end-of-test outputs: k6's text summary and k6's `--summary-export` JSON.
//!
//! Both report the same metrics: every metric or sub-metric with samples or with a threshold,
//! sorted by name with sub-metrics after their metric (k6's default `sortByName`).
//!
//! The text follows k6 v1.x without colours: a `█ THRESHOLDS` section (each metric with
//! thresholds, then `✓`/`✗ 'expression' stat=value` lines under it, a sub-metric's `{tags}`
//! indented under its metric), then `█ TOTAL RESULTS` with the metrics in k6's groups
//! (`CUSTOM`, `EXECUTION`, `NETWORK`), one line each: the name, dots up to a common column
//! (the longest name gets three), `:`, and its statistics. Values are humanised as k6 does
//! (`16.5ms`, `1.2s`, `90.00%`, `12 kB`, `3528.014463/s`).
//!
//! The JSON is k6's legacy `--summary-export` shape: `{"root_group": {...}, "metrics": {...}}`,
//! each metric a flat object of its statistics (trend: the trend stats, by default `avg`,
//! `min`, `med`, `max`, `p(90)`, `p(95)`; counter: `count`, `rate`; gauge: `value`, `min`,
//! `max`; rate: `passes`, `fails`, `value` (the rate)) and, when it has thresholds,
//! `thresholds`: expression → `true` when the threshold FAILED (k6 writes `!ok`).

use serde_json::{Map, Number, Value};

use crate::metric::{Contains, Kind, Stat};
use crate::registry::{Metric, Registry};
use crate::verdict::{Outcome, ThresholdResult, Verdict};

/// What the summaries show.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryOptions {
    /// The statistics of a trend, in order (k6's `--summary-trend-stats`).
    pub trend_stats: Vec<Stat>,
}

impl Default for SummaryOptions {
    /// k6's default: `avg`, `min`, `med`, `max`, `p(90)`, `p(95)`.
    fn default() -> SummaryOptions {
        SummaryOptions {
            trend_stats: vec![
                Stat::Avg,
                Stat::Min,
                Stat::Med,
                Stat::Max,
                Stat::Percentile(90.0),
                Stat::Percentile(95.0),
            ],
        }
    }
}

/// k6's `root_group.id`: the MD5 of the empty group path.
const ROOT_GROUP_ID: &str = "d41d8cd98f00b204e9800998ecf8427e";

/// The metrics both summaries report, in order.
fn reported<'a>(registry: &'a Registry, verdict: &Verdict) -> Vec<&'a Metric> {
    let has_threshold = |m: &Metric| verdict.results.iter().any(|r| r.metric == m.name());
    let mut out = Vec::new();
    for m in registry.metrics() {
        if !m.is_empty() || has_threshold(m) {
            out.push(m);
        }
        let mut subs: Vec<&Metric> = m
            .submetrics()
            .iter()
            .filter(|s| !s.is_empty() || has_threshold(s))
            .collect();
        subs.sort_by(|a, b| a.name().cmp(b.name()));
        out.extend(subs);
    }
    out
}

fn thresholds_of<'a>(verdict: &'a Verdict, m: &Metric) -> Vec<&'a ThresholdResult> {
    verdict
        .results
        .iter()
        .filter(|r| r.metric == m.name())
        .collect()
}

/// The `--summary-export` document as a JSON value.
pub fn export_value(registry: &Registry, verdict: &Verdict, options: &SummaryOptions) -> Value {
    let mut metrics = Map::new();
    for m in reported(registry, verdict) {
        let mut o = Map::new();
        let e = verdict.elapsed;
        let stat = |s: Stat| m.stat(s, e).unwrap_or(0.0);
        match m.kind() {
            Kind::Trend => {
                for &s in &options.trend_stats {
                    o.insert(s.to_string(), number(stat(s)));
                }
            }
            Kind::Counter => {
                o.insert("count".into(), number(stat(Stat::Count)));
                o.insert("rate".into(), number(stat(Stat::Rate)));
            }
            Kind::Gauge => {
                o.insert("value".into(), number(stat(Stat::Value)));
                o.insert("min".into(), number(stat(Stat::Min)));
                o.insert("max".into(), number(stat(Stat::Max)));
            }
            Kind::Rate => {
                o.insert("passes".into(), number(stat(Stat::Passes)));
                o.insert("fails".into(), number(stat(Stat::Fails)));
                o.insert("value".into(), number(stat(Stat::Rate)));
            }
        }
        let ths = thresholds_of(verdict, m);
        if !ths.is_empty() {
            let t: Map<String, Value> = ths
                .iter()
                .map(|r| (r.source.clone(), Value::Bool(r.failed())))
                .collect();
            o.insert("thresholds".into(), Value::Object(t));
        }
        metrics.insert(m.name().to_owned(), Value::Object(o));
    }
    let root_group = serde_json::json!({
        "name": "", "path": "", "id": ROOT_GROUP_ID, "groups": {}, "checks": {}
    });
    serde_json::json!({ "root_group": root_group, "metrics": metrics })
}

/// The `--summary-export` document, indented by four spaces as k6 writes it.
pub fn export_json(registry: &Registry, verdict: &Verdict, options: &SummaryOptions) -> String {
    let value = export_value(registry, verdict, options);
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    // Writing a Value into a Vec cannot fail.
    let _ = serde::Serialize::serialize(&value, &mut ser);
    String::from_utf8_lossy(&buf).into_owned()
}

/// A whole float as an integer (Go writes `200`, not `200.0`); NaN and infinities as null.
fn number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
        Value::Number(Number::from(v as i64))
    } else {
        Number::from_f64(v).map_or(Value::Null, Value::Number)
    }
}

/// The group k6 files a metric under in the text summary.
fn section(parent: &str) -> usize {
    match parent {
        "iterations" | "dropped_iterations" | "iteration_duration" | "vus" | "vus_max" => 1,
        "data_sent" | "data_received" => 2,
        _ => 0,
    }
}
const SECTIONS: [&str; 3] = ["CUSTOM", "EXECUTION", "NETWORK"];

/// The end-of-test text summary (no colours), as k6 prints it after a test.
pub fn text(registry: &Registry, verdict: &Verdict, options: &SummaryOptions) -> String {
    let metrics = reported(registry, verdict);
    let e = verdict.elapsed;
    // k6 joins its lines with a newline before each, and a bare newline as is.
    let mut items: Vec<String> = Vec::new();
    const NL: &str = "\n";

    let with_thresholds: Vec<&Metric> = metrics
        .iter()
        .copied()
        .filter(|m| !thresholds_of(verdict, m).is_empty())
        .collect();
    if !with_thresholds.is_empty() {
        items.push(title("THRESHOLDS"));
        for m in &with_thresholds {
            let parent_listed =
                m.suffix().is_some() && with_thresholds.iter().any(|p| p.name() == m.parent_name());
            let indent = if parent_listed { "      " } else { "    " };
            let label = if parent_listed {
                &m.name()[m.parent_name().len()..]
            } else {
                m.name()
            };
            items.push(format!("{indent}{label}"));
            for r in thresholds_of(verdict, m) {
                let mark = if r.outcome == Outcome::Failed {
                    '✗'
                } else {
                    '✓'
                };
                items.push(format!(
                    "{indent}{mark} '{}' {}={}",
                    r.source.trim(),
                    r.expression.stat,
                    threshold_value(m, r.expression.stat, e)
                ));
            }
            items.push(NL.into());
        }
        items.push(NL.into());
    }

    items.push(title("TOTAL RESULTS"));
    let lines = metric_lines(&metrics, options, e);
    for (i, name) in SECTIONS.iter().enumerate() {
        let in_section: Vec<&String> = lines
            .iter()
            .filter(|(s, _)| *s == i)
            .map(|(_, l)| l)
            .collect();
        if in_section.is_empty() {
            continue;
        }
        items.push(format!("    {name}"));
        items.extend(in_section.into_iter().cloned());
        items.push(NL.into());
    }
    items.push(NL.into());

    let mut out = String::new();
    for item in items {
        if item != NL {
            out.push('\n');
        }
        out.push_str(&item);
    }
    out
}

fn title(name: &str) -> String {
    format!("  █ {name} \n")
}

/// The value shown after a threshold: its statistic, humanised like the metric's line.
fn threshold_value(m: &Metric, stat: Stat, elapsed: std::time::Duration) -> String {
    let v = m.stat(stat, elapsed).unwrap_or(0.0);
    match (m.kind(), stat) {
        (Kind::Counter, Stat::Rate) => format!("{}/s", humanize(v, m)),
        (Kind::Trend, Stat::Count) => v.to_string(),
        _ => humanize(v, m),
    }
}

/// One line per metric, with its section.
fn metric_lines(
    metrics: &[&Metric],
    options: &SummaryOptions,
    e: std::time::Duration,
) -> Vec<(usize, String)> {
    let display = |m: &Metric| match m.suffix() {
        Some(s) => format!("  {{ {s} }}"),
        None => m.name().to_owned(),
    };
    const INDENT: &str = "    ";
    let width = metrics
        .iter()
        .map(|m| INDENT.chars().count() + display(m).chars().count())
        .max()
        .unwrap_or(0);

    // Column widths, over all trends and over all other metrics.
    let trend_cols = |m: &Metric| -> Vec<String> {
        options
            .trend_stats
            .iter()
            .map(|&s| {
                let v = m.stat(s, e).unwrap_or(0.0);
                if s == Stat::Count {
                    v.to_string()
                } else {
                    humanize(v, m)
                }
            })
            .collect()
    };
    let other_cols = |m: &Metric| -> Vec<String> {
        let st = |s: Stat| m.stat(s, e).unwrap_or(0.0);
        match m.kind() {
            Kind::Counter => vec![
                humanize(st(Stat::Count), m),
                format!("{}/s", humanize(st(Stat::Rate), m)),
            ],
            Kind::Gauge => vec![
                humanize(st(Stat::Value), m),
                format!("min={}", humanize(st(Stat::Min), m)),
                format!("max={}", humanize(st(Stat::Max), m)),
            ],
            Kind::Rate => vec![
                humanize(st(Stat::Rate), m),
                format!(
                    "{} out of {}",
                    st(Stat::Passes),
                    st(Stat::Passes) + st(Stat::Fails)
                ),
            ],
            Kind::Trend => Vec::new(),
        }
    };
    let mut trend_w = vec![0; options.trend_stats.len()];
    let mut other_w: Vec<usize> = Vec::new();
    let cols: Vec<Vec<String>> = metrics
        .iter()
        .map(|m| {
            let c = if m.kind() == Kind::Trend {
                trend_cols(m)
            } else {
                other_cols(m)
            };
            let w = if m.kind() == Kind::Trend {
                &mut trend_w
            } else {
                &mut other_w
            };
            for (i, s) in c.iter().enumerate() {
                if w.len() <= i {
                    w.push(0);
                }
                w[i] = w[i].max(s.chars().count());
            }
            c
        })
        .collect();

    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())));
    metrics
        .iter()
        .zip(cols)
        .map(|(m, c)| {
            let name = display(m);
            let dots = 3.max(width + 3 - (INDENT.len() + name.chars().count()));
            let data = if m.kind() == Kind::Trend {
                options
                    .trend_stats
                    .iter()
                    .zip(&c)
                    .enumerate()
                    .map(|(i, (s, v))| format!("{s}={}", pad(v, trend_w[i])))
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                let mut d = pad(&c[0], other_w[0]);
                match c.len() {
                    0 | 1 => {}
                    2 => {
                        d.push(' ');
                        d.push_str(&c[1]);
                    }
                    _ => {
                        let extras: Vec<String> = c[1..]
                            .iter()
                            .enumerate()
                            .map(|(i, v)| pad(v, other_w[i + 1]))
                            .collect();
                        d.push(' ');
                        d.push_str(&extras.join(" "));
                    }
                }
                d
            };
            (
                section(m.parent_name()),
                format!("{INDENT}{name}{}: {data}", ".".repeat(dots)),
            )
        })
        .collect()
}

/// k6's `humanizeValue`: a rate as a truncated percentage, bytes and milliseconds in units,
/// anything else with at most six decimals.
pub(crate) fn humanize(v: f64, m: &Metric) -> String {
    if m.kind() == Kind::Rate {
        return format!("{:.2}%", (v * 100.0 * 100.0).trunc() / 100.0);
    }
    match m.contains() {
        Contains::Data => humanize_bytes(v),
        Contains::Time => humanize_duration(v),
        Contains::Default => fixed_no_trailing_zeros(v, 6),
    }
}

/// JavaScript's `parseFloat(v.toFixed(prec)).toString()`.
fn fixed_no_trailing_zeros(v: f64, prec: usize) -> String {
    let s = format!("{v:.prec$}");
    let r: f64 = s.parse().unwrap_or(v);
    // `-0` prints as `0` in JavaScript.
    if r == 0.0 { "0".into() } else { r.to_string() }
}

fn fixed_trunc(v: f64, prec: i32) -> String {
    let mult = 10f64.powi(prec);
    fixed_no_trailing_zeros((v * mult).trunc() / mult, prec as usize)
}

/// k6's `humanizeBytes`: decimal units, one decimal below 10.
fn humanize_bytes(b: f64) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    if b < 10.0 {
        return format!("{} B", fixed_no_trailing_zeros(b, 6));
    }
    let e = ((b.ln() / 1000f64.ln()).floor() as usize).min(UNITS.len() - 1);
    let val = ((b / 1000f64.powi(e as i32)) * 10.0 + 0.5).floor() / 10.0;
    let prec = if val < 10.0 { 1 } else { 0 };
    format!("{val:.prec$} {}", UNITS[e])
}

/// k6's `humanizeGenericDuration`, from milliseconds.
fn humanize_duration(ms: f64) -> String {
    if ms == 0.0 {
        return "0s".into();
    }
    if ms < 0.001 {
        return format!("{}ns", (ms * 1_000_000.0).trunc());
    }
    if ms < 1.0 {
        return format!("{}µs", fixed_trunc(ms * 1000.0, 2));
    }
    if ms < 1000.0 {
        return format!("{}ms", fixed_trunc(ms, 2));
    }
    let secs = fixed_trunc((ms % 60_000.0) / 1000.0, if ms > 60_000.0 { 0 } else { 2 });
    let mut out = format!("{secs}s");
    let mins = (ms / 60_000.0).trunc();
    if mins < 1.0 {
        return out;
    }
    out = format!("{}m{out}", mins % 60.0);
    let hours = (mins / 60.0).trunc();
    if hours < 1.0 {
        return out;
    }
    format!("{hours}h{out}")
}
