//! Thresholds in k6's syntax.
//!
//! An expression is `method operator value` (`p(95)<100`, `rate >= 0.99`): the operator is the
//! first of `<=`, `<`, `>=`, `>`, `===`, `==`, `!=` found in the text, tried in that order as
//! k6 does; both sides are trimmed; the method is `avg`, `min`, `max`, `med`, `p(N)`, `count`,
//! `rate` or `value`; the value is a float. Which methods a metric accepts depends on its kind
//! ([`Kind::threshold_methods`]), checked by [`Thresholds::register`].
//!
//! Thresholds come from the command line (`metric=expr[,expr...]`, see
//! [`Thresholds::from_cli`]) or from k6's `thresholds` option object (see
//! [`Thresholds::from_json`]), where each entry is a string or
//! `{"threshold": "...", "abortOnFail": true, "delayAbortEval": "10s"}`.
//!
//! A metric name may select a sub-metric by tags: `end_to_end_latency{stream:orders}`
//! (`key:value` pairs, comma separated, quotes around either trimmed, as k6 does).

use std::time::Duration;

use serde_json::Value;

use crate::Error;
use crate::metric::{Kind, Stat};
use crate::registry::Registry;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==` (k6 compares floats, so it is the same as `===`).
    Eq,
    /// `===`
    StrictEq,
    /// `!=`
    Ne,
}

/// k6's scanning order: a longer operator before the shorter one it contains.
const OPERATORS: [(&str, Op); 7] = [
    ("<=", Op::Le),
    ("<", Op::Lt),
    (">=", Op::Ge),
    (">", Op::Gt),
    ("===", Op::StrictEq),
    ("==", Op::Eq),
    ("!=", Op::Ne),
];

impl Op {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::StrictEq => "===",
            Op::Ne => "!=",
        }
    }

    /// Whether `lhs op rhs` holds (false whenever either side is NaN, except `!=`).
    pub fn holds(self, lhs: f64, rhs: f64) -> bool {
        match self {
            Op::Lt => lhs < rhs,
            Op::Le => lhs <= rhs,
            Op::Gt => lhs > rhs,
            Op::Ge => lhs >= rhs,
            Op::Eq | Op::StrictEq => lhs == rhs,
            Op::Ne => lhs != rhs,
        }
    }
}

/// A parsed threshold expression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expression {
    /// The aggregation method (left-hand side).
    pub stat: Stat,
    /// The operator.
    pub op: Op,
    /// The value (right-hand side).
    pub value: f64,
}

impl Expression {
    /// Parses `method operator value` as k6 does, with k6's error texts.
    pub fn parse(input: &str) -> Result<Expression, Error> {
        let Some((lhs, op, rhs)) = OPERATORS
            .iter()
            .find_map(|&(tok, op)| input.split_once(tok).map(|(l, r)| (l.trim(), op, r.trim())))
        else {
            return Err(Error::MalformedExpression {
                expr: input.to_owned(),
            });
        };
        let lhs_err = |reason: String| Error::LeftHandSide {
            expr: input.to_owned(),
            reason,
        };
        let stat = match lhs {
            "avg" => Stat::Avg,
            "min" => Stat::Min,
            "max" => Stat::Max,
            "med" => Stat::Med,
            "count" => Stat::Count,
            "rate" => Stat::Rate,
            "value" => Stat::Value,
            _ => match lhs.strip_prefix("p(").and_then(|s| s.strip_suffix(')')) {
                Some(p) => {
                    let p = parse_float(p)
                        .map_err(|e| lhs_err(format!("malformed percentile value; reason: {e}")))?;
                    // k6 takes any float here and then indexes out of its sample slice for
                    // p > 100 or p < 0; refusing it is kinder.
                    if !(0.0..=100.0).contains(&p) {
                        return Err(lhs_err(format!(
                            "malformed percentile value; reason: {p} is not within 0 and 100"
                        )));
                    }
                    Stat::Percentile(p)
                }
                None => return Err(lhs_err("failed parsing method from expression".into())),
            },
        };
        let value = parse_float(rhs).map_err(|reason| Error::RightHandSide {
            expr: input.to_owned(),
            reason,
        })?;
        Ok(Expression { stat, op, value })
    }
}

/// A float as Go's `strconv.ParseFloat` reads the common forms (no hexadecimal).
fn parse_float(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .map_err(|_| format!("strconv.ParseFloat: parsing {s:?}: invalid syntax"))
}

/// One threshold of a metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The expression as written (the key of the summary export).
    pub source: String,
    /// The parsed expression.
    pub expression: Expression,
    /// Whether failing it stops the test.
    pub abort_on_fail: bool,
    /// How long into the test a failure may not yet stop it (`None`: from the start).
    pub delay_abort_eval: Option<Duration>,
}

impl Threshold {
    /// A threshold that does not abort, from its expression.
    pub fn parse(source: &str) -> Result<Threshold, Error> {
        Ok(Threshold {
            source: source.to_owned(),
            expression: Expression::parse(source)?,
            abort_on_fail: false,
            delay_abort_eval: None,
        })
    }
}

/// A metric name as a threshold writes it: the metric and, for a sub-metric, the tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricSelector {
    /// The name as written (`end_to_end_latency{stream:orders}`).
    pub name: String,
    /// The metric's name (`end_to_end_latency`).
    pub metric: String,
    /// The text between the braces, trimmed, if any.
    pub suffix: Option<String>,
    /// The tags selected (quotes and spaces trimmed), in the order written.
    pub tags: Vec<(String, String)>,
}

impl MetricSelector {
    /// Parses `name` or `name{key:value,...}` with k6's rules and errors.
    pub fn parse(name: &str) -> Result<MetricSelector, Error> {
        let open = name.find('{');
        let close = name.rfind('}');
        let err = |reason: String| Error::MetricName { reason };
        let (open, close) = match (open, close) {
            (None, None) => {
                return Ok(MetricSelector {
                    name: name.to_owned(),
                    metric: name.to_owned(),
                    suffix: None,
                    tags: Vec::new(),
                });
            }
            (Some(o), Some(c)) => (o, c),
            _ => {
                return Err(err(format!(
                    "metric {name:?} has unmatched opening/close curly brace"
                )));
            }
        };
        if close < open {
            return Err(err(format!(
                "metric {name:?} closing curly brace appears before opening one"
            )));
        }
        if close != name.len() - 1 {
            return Err(err(format!(
                "metric {name:?} lacks a closing curly brace in its last position"
            )));
        }
        let inner = &name[open + 1..close];
        let mut tags = Vec::new();
        for t in inner.split(',') {
            let (k, v) = t.split_once(':').unwrap_or((t, ""));
            if v.is_empty() {
                return Err(err(format!("metric {t:?} tag expression is malformed")));
            }
            let clean = |s: &str| s.trim().trim_matches(['"', '\'']).to_owned();
            tags.push((clean(k), clean(v)));
        }
        Ok(MetricSelector {
            name: name.to_owned(),
            metric: name[..open].to_owned(),
            suffix: Some(inner.trim().to_owned()),
            tags,
        })
    }
}

/// The thresholds of one metric or sub-metric.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricThresholds {
    /// Which metric.
    pub selector: MetricSelector,
    /// Its thresholds, in the order written.
    pub thresholds: Vec<Threshold>,
}

/// Every threshold of a test, by metric in the order first written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Thresholds {
    metrics: Vec<MetricThresholds>,
}

impl Thresholds {
    /// No thresholds.
    pub fn new() -> Thresholds {
        Thresholds::default()
    }

    /// The thresholds, by metric.
    pub fn metrics(&self) -> &[MetricThresholds] {
        &self.metrics
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.metrics.iter().all(|m| m.thresholds.is_empty())
    }

    /// Adds a threshold to a metric (`name` may select a sub-metric).
    pub fn add(&mut self, name: &str, threshold: Threshold) -> Result<(), Error> {
        let selector = MetricSelector::parse(name)?;
        match self.metrics.iter_mut().find(|m| m.selector.name == name) {
            Some(m) => m.thresholds.push(threshold),
            None => self.metrics.push(MetricThresholds {
                selector,
                thresholds: vec![threshold],
            }),
        }
        Ok(())
    }

    /// Reads command-line thresholds, each `metric=expr[,expr...]`, e.g.
    /// `kinesis_put_record_duration=avg<50,p(95)<100` or
    /// `end_to_end_latency{stream:orders}=p(99)<2000`. None of them aborts the test (use the
    /// JSON form for `abortOnFail`).
    pub fn from_cli<S: AsRef<str>>(args: &[S]) -> Result<Thresholds, Error> {
        let mut out = Thresholds::new();
        for arg in args {
            out.add_cli(arg.as_ref())?;
        }
        Ok(out)
    }

    /// Adds one command-line threshold (see [`Thresholds::from_cli`]).
    pub fn add_cli(&mut self, arg: &str) -> Result<(), Error> {
        let bad = || Error::CliThreshold {
            arg: arg.to_owned(),
        };
        // The name ends at the first '=' after any braces: tag values may hold '=' (k6 allows
        // `{name:http://a.b/?x=1}`), and expressions hold '=' in `<=`, `==`, ...
        let from = arg.rfind('}').unwrap_or(0);
        let eq = arg[from..].find('=').map(|i| i + from).ok_or_else(bad)?;
        let (name, exprs) = (arg[..eq].trim(), &arg[eq + 1..]);
        if name.is_empty() || exprs.trim().is_empty() {
            return Err(bad());
        }
        for expr in exprs.split(',') {
            self.add(name, Threshold::parse(expr)?)?;
        }
        Ok(())
    }

    /// Reads k6's `thresholds` option: an object from metric name to an array of expressions
    /// or `{"threshold", "abortOnFail", "delayAbortEval"}` objects (`delayAbortEval` a k6
    /// duration such as `"10s"`, `"1m30s"`, or a number of milliseconds).
    pub fn from_json(json: &str) -> Result<Thresholds, Error> {
        let v: Value = serde_json::from_str(json).map_err(|e| Error::Json(e.to_string()))?;
        Thresholds::from_value(&v)
    }

    /// As [`Thresholds::from_json`], from a parsed value.
    pub fn from_value(v: &Value) -> Result<Thresholds, Error> {
        let obj = v
            .as_object()
            .ok_or_else(|| Error::Json("thresholds must be an object of metric names".into()))?;
        let mut out = Thresholds::new();
        for (name, list) in obj {
            let list = list
                .as_array()
                .ok_or_else(|| Error::Json(format!("the thresholds of {name} must be an array")))?;
            for item in list {
                out.add(name, threshold_from_value(name, item)?)?;
            }
        }
        Ok(out)
    }

    /// Checks every threshold against the registry as k6 does before a test (the metric
    /// exists, its kind supports the method) and adds the sub-metrics they select, so that
    /// tagged samples count in them from then on.
    pub fn register(&self, registry: &mut Registry) -> Result<(), Error> {
        for m in &self.metrics {
            let sel = &m.selector;
            let kind: Kind = registry
                .get(&sel.metric)
                .map(|metric| metric.kind())
                .ok_or_else(|| Error::NoSuchMetric {
                    name: sel.name.clone(),
                })?;
            for t in &m.thresholds {
                if !kind.supports(t.expression.stat) {
                    return Err(Error::UnsupportedMethod {
                        expr: t.source.clone(),
                        metric: sel.name.clone(),
                        method: t.expression.stat.method_token().to_owned(),
                        kind: kind.to_string(),
                        supported: kind.threshold_methods().join(", "),
                    });
                }
            }
            if let Some(suffix) = &sel.suffix {
                registry.ensure_submetric(&sel.metric, &sel.name, suffix, &sel.tags);
            }
        }
        Ok(())
    }
}

fn threshold_from_value(name: &str, item: &Value) -> Result<Threshold, Error> {
    match item {
        Value::String(s) => Threshold::parse(s),
        Value::Object(o) => {
            let source = o.get("threshold").and_then(Value::as_str).ok_or_else(|| {
                Error::Json(format!("a threshold of {name} has no \"threshold\" string"))
            })?;
            let mut t = Threshold::parse(source)?;
            t.abort_on_fail = match o.get("abortOnFail") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(other) => {
                    return Err(Error::Json(format!(
                        "abortOnFail of {name} must be a boolean, not {other}"
                    )));
                }
            };
            t.delay_abort_eval = match o.get("delayAbortEval") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(parse_duration(s)?),
                Some(Value::Number(n)) => {
                    Some(millis(n.as_f64().unwrap_or(f64::NAN), &n.to_string())?)
                }
                Some(other) => return Err(Error::Duration(other.to_string())),
            };
            Ok(t)
        }
        other => Err(Error::Json(format!(
            "a threshold of {name} must be a string or an object, not {other}"
        ))),
    }
}

fn millis(ms: f64, text: &str) -> Result<Duration, Error> {
    Duration::try_from_secs_f64(ms / 1000.0).map_err(|_| Error::Duration(text.to_owned()))
}

/// A k6 duration: a bare number is milliseconds; otherwise Go's `time.ParseDuration` units
/// (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`, combined as in `1m30s`), optionally after a
/// whole number of days (`2d`, `1d12h`). Negative durations are refused.
pub fn parse_duration(s: &str) -> Result<Duration, Error> {
    let err = || Error::Duration(s.to_owned());
    if let Ok(ms) = s.parse::<f64>() {
        return millis(ms, s);
    }
    let (days, rest) = match s.find('d') {
        Some(i) => {
            let d: u64 = s[..i].parse().map_err(|_| err())?;
            (d, &s[i + 1..])
        }
        None => (0, s),
    };
    let mut total = Duration::from_secs(days.saturating_mul(86_400));
    if rest.is_empty() {
        return if days > 0 || s == "0" {
            Ok(total)
        } else {
            Err(err())
        };
    }
    let mut rest = rest.strip_prefix('+').unwrap_or(rest);
    if rest == "0" {
        return Ok(total);
    }
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(err)?;
        let (num, tail) = rest.split_at(num_end);
        let n: f64 = num.parse().map_err(|_| err())?;
        let unit_end = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_end);
        let secs = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(err()),
        };
        total += Duration::try_from_secs_f64(n * secs).map_err(|_| err())?;
        rest = tail;
    }
    Ok(total)
}
