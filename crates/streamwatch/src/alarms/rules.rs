//! `streamwatch alarms rules`: the pipeline's alerting rules as a Prometheus rule file.
//!
//! The rules read the series `streamwatch collect` exports (`aws_kinesis_*`, `aws_lambda_*`,
//! named by [`metric_export::prometheus::metric_name`] from the CloudWatch metric and
//! statistic, labelled `stream_name` / `function_name` and `region`, or in YACE's names and
//! labels, `dimension_StreamName` / `dimension_FunctionName`, with `--label-style yace`), the
//! collector's own `streamwatch_collector_*` series, and kinesis-client's Prometheus metrics
//! (`<namespace>_producer_errors_total`, ...; see [`kinesis_client::metrics::names`]).
//!
//! | group | alert | fires when | for |
//! |---|---|---|---|
//! | kinesis | `KinesisIteratorAgeHigh` | GetRecords.IteratorAgeMilliseconds Maximum > 60 s | 5m |
//! | kinesis | `KinesisWriteThrottled` | WriteProvisionedThroughputExceeded Sum > 0 | 5m |
//! | lambda | `LambdaErrorRateHigh` | Errors / Invocations > 1 % | 5m |
//! | lambda | `LambdaThrottled` | Throttles Sum > 0 | 5m |
//! | lambda | `LambdaDurationNearTimeout` | Duration p99 > 80 % of the timeout (3 s) | 5m |
//! | lambda | `LambdaConcurrencyNearLimit` | ConcurrentExecutions Maximum > 80 % of the limit (1000) | 5m |
//! | kinesis-client | `KinesisProducerErrors` | failed records > 0.1/s | 5m |
//! | kinesis-client | `KinesisConsumerBehind` | MillisBehindLatest > 60 s | 10m |
//! | kinesis-client | `KinesisStreamResharded` | shards split, merged or counted differently | 0s |
//! | collector | `StreamwatchCollectorStale` | no error-free cycle for 5 minutes | 0s |
//!
//! Every threshold has a flag. Why each default was chosen is written beside its rule, both
//! here (the `why` of each [`AlertRule`]) and as comments in the generated file. The function
//! timeout and concurrency limit come from flags: the collector's inventory does export the
//! timeout (`aws_lambda_info{timeout="3"}`), but as a label, which PromQL cannot compare
//! with a number, and it does not export reserved concurrency at all.
//!
//! The file is written by a small emitter over a typed model rather than a YAML library:
//! serde-based emitters (the workspace reads YAML with serde_yaml_ng) cannot write the
//! comments that explain each threshold, and the rule format needs only block sequences,
//! mappings, `#` comments, literal blocks (for the expressions) and double-quoted strings
//! (escaped as JSON strings, which YAML's double-quoted style accepts as they are).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use kinesis_client::metrics::names as client_names;
use metric_export::prometheus::metric_name;
use metric_store::Statistic;
use metric_store::catalog::{self, MetricDef};

use crate::duration_arg::parse_duration;

/// The label of a stream, in the collector's series and in kinesis-client's.
const STREAM_LABEL: &str = "stream_name";
/// The label of a function in the collector's series.
const FUNCTION_LABEL: &str = "function_name";
/// The label of a stream in the collector's series in YACE's style.
const YACE_STREAM_LABEL: &str = "dimension_StreamName";
/// The label of a function in the collector's series in YACE's style.
const YACE_FUNCTION_LABEL: &str = "dimension_FunctionName";

/// The rule file formats `alarms rules` can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    /// A Prometheus rule file (YAML), for `rule_files` or `promtool check rules`.
    Prometheus,
}

/// Arguments of `streamwatch alarms rules`.
#[derive(Args, Debug)]
pub struct RulesArgs {
    /// The rule file format.
    #[arg(long, value_enum, default_value_t = RulesFormat::Prometheus)]
    format: RulesFormat,
    /// Write the rules to this file instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Only this stream: adds `stream_name="..."` to the Kinesis and kinesis-client rules
    /// (`dimension_StreamName` to the Kinesis ones with `--label-style yace`).
    #[arg(long)]
    stream: Option<String>,
    /// The names and labels of the collected series the rules read: `streamwatch` (the
    /// default) or `yace`, as `streamwatch collect --label-style yace` (or a YACE config)
    /// writes them (`dimension_StreamName`, `dimension_FunctionName`).
    #[arg(long, value_enum, default_value = "streamwatch")]
    label_style: crate::collect_config::LabelStyle,
    /// Only this function: adds `function_name="..."` to the Lambda rules.
    #[arg(long)]
    function: Option<String>,
    /// Iterator age (GetRecords.IteratorAgeMilliseconds, Maximum) above which the stream's
    /// consumers are behind, in milliseconds.
    #[arg(long, default_value_t = 60_000)]
    iterator_age_ms: u64,
    /// Share of a function's invocations that may fail (Errors / Invocations), 0 to 1.
    #[arg(long, default_value_t = 0.01)]
    error_rate: f64,
    /// The functions' timeout in milliseconds (Lambda's default is 3 s); Duration p99 alerts
    /// above 80% of it.
    #[arg(long, default_value_t = 3_000)]
    timeout_ms: u64,
    /// The functions' concurrency limit (reserved concurrency, or the account's 1000);
    /// ConcurrentExecutions alerts above 80% of it.
    #[arg(long, default_value_t = 1_000)]
    concurrency_limit: u64,
    /// Records per second kinesis-client producers may fail to deliver.
    #[arg(long, default_value_t = 0.1)]
    producer_errors_per_second: f64,
    /// How far behind the tip a kinesis-client consumer may be, in milliseconds.
    #[arg(long, default_value_t = 60_000)]
    consumer_behind_ms: u64,
    /// The namespace the application gave kinesis-client's `PrometheusCollector` (the prefix of
    /// `<namespace>_producer_errors_total`); empty for none.
    #[arg(long, default_value = "streamwatch")]
    client_namespace: String,
    /// How old the collector's last error-free cycle may be before its data counts as stale
    /// (about three of `collect`'s 60 s intervals, plus its delay): e.g. `5m`, `300s`.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    stale_after: Duration,
}

/// How bad an alert is: the `severity` label Alertmanager routes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Someone should look soon; the pipeline still works.
    Warning,
    /// Data is failing, being lost or no longer observed.
    Critical,
}

impl Severity {
    fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// One alerting rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    /// The alert's name (`alertname`).
    pub alert: &'static str,
    /// Why this threshold and `for`: written as `#` comments above the rule.
    pub why: Vec<String>,
    /// The PromQL expression; every element it returns is an alert.
    pub expr: String,
    /// How long the expression must hold before the alert fires.
    pub hold: Duration,
    /// The `severity` label.
    pub severity: Severity,
    /// The `summary` annotation (a template).
    pub summary: String,
    /// The `description` annotation (a template with `{{ $value }}` and `{{ $labels.x }}`).
    pub description: String,
}

/// A named group of rules, evaluated together.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleGroup {
    /// The group's name, unique in the file.
    pub name: &'static str,
    /// Its rules, in evaluation order.
    pub rules: Vec<AlertRule>,
}

/// A Prometheus rule file.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleFile {
    /// Comment lines at the top of the file.
    pub header: Vec<String>,
    /// The groups.
    pub groups: Vec<RuleGroup>,
}

/// The thresholds and filters the rules are built from, checked.
#[derive(Debug, Clone, PartialEq)]
struct Settings {
    stream: Option<String>,
    function: Option<String>,
    iterator_age_ms: u64,
    error_rate: f64,
    timeout_ms: u64,
    concurrency_limit: u64,
    producer_errors_per_second: f64,
    consumer_behind_ms: u64,
    client_namespace: String,
    stale_after: Duration,
    /// The collected series are in YACE's names and labels.
    yace: bool,
}

impl Settings {
    fn new(args: &RulesArgs) -> anyhow::Result<Settings> {
        if !(args.error_rate > 0.0 && args.error_rate <= 1.0) {
            bail!(
                "--error-rate must be above 0 and at most 1, not {}",
                args.error_rate
            );
        }
        if !(args.producer_errors_per_second >= 0.0 && args.producer_errors_per_second.is_finite())
        {
            bail!("--producer-errors-per-second must be a number of at least 0");
        }
        if args.timeout_ms == 0 || args.concurrency_limit == 0 {
            bail!("--timeout-ms and --concurrency-limit must be above 0");
        }
        if args.stale_after.as_secs() == 0 {
            bail!("--stale-after must be at least 1s");
        }
        let ns = &args.client_namespace;
        let valid_name = ns
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_alphabetic() || c == '_' || (i > 0 && c.is_ascii_digit()));
        if !valid_name {
            bail!("--client-namespace {ns:?} is not a metric name prefix ([a-zA-Z_][a-zA-Z0-9_]*)");
        }
        Ok(Settings {
            stream: args.stream.clone(),
            function: args.function.clone(),
            iterator_age_ms: args.iterator_age_ms,
            error_rate: args.error_rate,
            timeout_ms: args.timeout_ms,
            concurrency_limit: args.concurrency_limit,
            producer_errors_per_second: args.producer_errors_per_second,
            consumer_behind_ms: args.consumer_behind_ms,
            client_namespace: args.client_namespace.clone(),
            stale_after: args.stale_after,
            yace: args.label_style == crate::collect_config::LabelStyle::Yace,
        })
    }

    /// `name{stream_name="..."}` with `--stream`, else `name`.
    fn stream_series(&self, name: &str) -> String {
        selector(name, STREAM_LABEL, self.stream.as_deref())
    }

    /// `name{function_name="..."}` with `--function`, else `name`.
    fn function_series(&self, name: &str) -> String {
        selector(name, self.function_label(), self.function.as_deref())
    }

    /// A collected stream series: [`Settings::stream_series`] under the label style's label.
    fn collected_stream_series(&self, name: &str) -> String {
        selector(name, self.stream_label(), self.stream.as_deref())
    }

    /// The label of a stream in the collected series.
    fn stream_label(&self) -> &'static str {
        if self.yace {
            YACE_STREAM_LABEL
        } else {
            STREAM_LABEL
        }
    }

    /// The label of a function in the collected series.
    fn function_label(&self) -> &'static str {
        if self.yace {
            YACE_FUNCTION_LABEL
        } else {
            FUNCTION_LABEL
        }
    }

    /// The Prometheus name `streamwatch collect` gives a catalogue metric under `statistic`,
    /// in the label style's naming.
    fn collected(&self, def: &MetricDef, statistic: Statistic) -> String {
        if self.yace {
            metric_export::yace::metric_name(def.namespace, def.name, Some(statistic))
        } else {
            collected(def, statistic)
        }
    }

    /// A group of rules over collected series, its annotations in the label style's names.
    fn collected_annotations(&self, mut group: RuleGroup) -> RuleGroup {
        for rule in &mut group.rules {
            rule.summary = self.annotation(&rule.summary);
            rule.description = self.annotation(&rule.description);
        }
        group
    }

    /// A summary or description of a collected series' alert, its `$labels` in the label
    /// style's names.
    fn annotation(&self, text: &str) -> String {
        if self.yace {
            text.replace(
                &format!("$labels.{STREAM_LABEL} "),
                &format!("$labels.{YACE_STREAM_LABEL} "),
            )
            .replace(
                &format!("$labels.{FUNCTION_LABEL} "),
                &format!("$labels.{YACE_FUNCTION_LABEL} "),
            )
        } else {
            text.to_string()
        }
    }

    /// The name kinesis-client's Prometheus collector gives `metric`.
    fn client_metric(&self, metric: &str) -> String {
        if self.client_namespace.is_empty() {
            metric.to_string()
        } else {
            format!("{}_{metric}", self.client_namespace)
        }
    }
}

/// The Prometheus name `streamwatch collect` gives a catalogue metric under `statistic`.
fn collected(def: &MetricDef, statistic: Statistic) -> String {
    metric_name(def.namespace, def.name, statistic)
}

/// A series selector: `name`, or `name{label="value"}` when a value is given.
fn selector(name: &str, label: &str, value: Option<&str>) -> String {
    match value {
        Some(v) => format!("{name}{{{label}=\"{}\"}}", escape_promql_string(v)),
        None => name.to_string(),
    }
}

/// `value` as the body of a double-quoted PromQL string (Go's escapes).
fn escape_promql_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// 80% of `limit`, computed so that round limits give round thresholds (3000 -> 2400).
fn eighty_percent(limit: u64) -> f64 {
    limit as f64 * 4.0 / 5.0
}

/// A ratio as a percentage for a summary: 0.01 -> `1%`, 0.005 -> `0.5%`.
fn percent(ratio: f64) -> String {
    format!("{}%", (ratio * 1e6).round() / 1e4)
}

const FIVE_MINUTES: Duration = Duration::from_secs(300);
const TEN_MINUTES: Duration = Duration::from_secs(600);

/// The pipeline's rules for these settings.
fn rule_file(s: &Settings) -> RuleFile {
    use catalog::{kinesis, lambda};

    let iterator_age = s.collected_stream_series(
        &s.collected(&kinesis::GET_RECORDS_ITERATOR_AGE, Statistic::Maximum),
    );
    let write_throttled =
        s.collected_stream_series(&s.collected(&kinesis::WRITE_THROTTLED, Statistic::Sum));
    let errors = s.function_series(&s.collected(&lambda::ERRORS, Statistic::Sum));
    let invocations = s.function_series(&s.collected(&lambda::INVOCATIONS, Statistic::Sum));
    let throttles = s.function_series(&s.collected(&lambda::THROTTLES, Statistic::Sum));
    let duration = s.function_series(&s.collected(&lambda::DURATION, Statistic::Percentile(99.0)));
    let concurrency =
        s.function_series(&s.collected(&lambda::CONCURRENT_EXECUTIONS, Statistic::Maximum));
    let producer_errors = s.stream_series(&s.client_metric(client_names::PRODUCER_ERRORS_TOTAL));
    let consumer_age =
        s.stream_series(&s.client_metric(client_names::CONSUMER_ITERATOR_AGE_MILLISECONDS));
    let resharding_events =
        s.stream_series(&s.client_metric(client_names::STREAM_RESHARDING_EVENTS_TOTAL));
    let shards_active = s.stream_series(&s.client_metric(client_names::STREAM_SHARDS_ACTIVE));

    let duration_limit = eighty_percent(s.timeout_ms);
    let concurrency_limit = eighty_percent(s.concurrency_limit);
    let stale_secs = s.stale_after.as_secs_f64();

    let kinesis_group = RuleGroup {
        name: "streamwatch-kinesis",
        rules: vec![
            AlertRule {
                alert: "KinesisIteratorAgeHigh",
                why: vec![
                    "Maximum, not Average: one lagging consumer is enough to fall behind.".into(),
                    format!(
                        "{} ms behind is far from the retention period, but the consumers no longer keep up;",
                        s.iterator_age_ms
                    ),
                    "5m = five one-minute datapoints in a row (a CloudWatch alarm's period 60, 5 of 5), riding out one slow batch.".into(),
                ],
                expr: format!("{iterator_age} > {}", s.iterator_age_ms),
                hold: FIVE_MINUTES,
                severity: Severity::Warning,
                summary: "Consumers of stream {{ $labels.stream_name }} are behind".into(),
                description: format!(
                    "GetRecords.IteratorAgeMilliseconds (Maximum) of stream {{{{ $labels.stream_name }}}} in {{{{ $labels.region }}}} is {{{{ printf \"%.0f\" $value }}}} ms, above {} ms: records wait that long before a consumer reads them.",
                    s.iterator_age_ms
                ),
            },
            AlertRule {
                alert: "KinesisWriteThrottled",
                why: vec![
                    "Any throttled write is a producer over a shard's 1 MiB/s or 1000 records/s: retries add latency and can fail.".into(),
                    "5m: a short burst the producers' retries absorb is not worth a page; throttling that lasts calls for more shards.".into(),
                ],
                expr: format!("{write_throttled} > 0"),
                hold: FIVE_MINUTES,
                severity: Severity::Warning,
                summary: "Writes to stream {{ $labels.stream_name }} are throttled".into(),
                description: "Stream {{ $labels.stream_name }} in {{ $labels.region }} refused {{ printf \"%.0f\" $value }} writes in the last period (WriteProvisionedThroughputExceeded): the producers exceed the shards' write capacity.".into(),
            },
        ],
    };

    let lambda_group = RuleGroup {
        name: "streamwatch-lambda",
        rules: vec![
            AlertRule {
                alert: "LambdaErrorRateHigh",
                why: vec![
                    format!(
                        "More than {} of invocations failing is more than the odd bad record: the code or a dependency is broken.",
                        percent(s.error_rate)
                    ),
                    "Periods without invocations are left out (Invocations > 0), so there is no division by zero.".into(),
                    "5m: five one-minute datapoints, as a CloudWatch alarm with period 60, 5 of 5.".into(),
                ],
                expr: format!("{errors} / ({invocations} > 0) > {}", s.error_rate),
                hold: FIVE_MINUTES,
                severity: Severity::Critical,
                summary: format!(
                    "Function {{{{ $labels.function_name }}}} fails more than {} of its invocations",
                    percent(s.error_rate)
                ),
                description: format!(
                    "{{{{ $value | humanizePercentage }}}} of the invocations of function {{{{ $labels.function_name }}}} in {{{{ $labels.region }}}} ended in an error (Errors / Invocations, threshold {}).",
                    percent(s.error_rate)
                ),
            },
            AlertRule {
                alert: "LambdaThrottled",
                why: vec![
                    "Any throttle means the function ran out of concurrency; for a stream event source the shard stalls meanwhile.".into(),
                    "5m: throttles that last, not one burst.".into(),
                ],
                expr: format!("{throttles} > 0"),
                hold: FIVE_MINUTES,
                severity: Severity::Warning,
                summary: "Function {{ $labels.function_name }} is throttled".into(),
                description: "Function {{ $labels.function_name }} in {{ $labels.region }} had {{ printf \"%.0f\" $value }} throttled invocation requests in the last period: it has no concurrency left.".into(),
            },
            AlertRule {
                alert: "LambdaDurationNearTimeout",
                why: vec![
                    format!(
                        "p99 above 80% of the {} ms timeout ({duration_limit} ms): the slowest invocations are about to time out, and a timeout is an error and a retry.",
                        s.timeout_ms
                    ),
                    "p99 rather than Maximum, so a single cold start does not alert; 5m as the other Lambda rules.".into(),
                ],
                expr: format!("{duration} > {duration_limit}"),
                hold: FIVE_MINUTES,
                severity: Severity::Warning,
                summary: "Function {{ $labels.function_name }} runs close to its timeout".into(),
                description: format!(
                    "Duration p99 of function {{{{ $labels.function_name }}}} in {{{{ $labels.region }}}} is {{{{ printf \"%.0f\" $value }}}} ms, above 80% of its {} ms timeout.",
                    s.timeout_ms
                ),
            },
            AlertRule {
                alert: "LambdaConcurrencyNearLimit",
                why: vec![
                    format!(
                        "Above 80% of the concurrency limit {} ({concurrency_limit}): the next surge is throttled.",
                        s.concurrency_limit
                    ),
                    "5m: sustained use, not one spike.".into(),
                ],
                expr: format!("{concurrency} > {concurrency_limit}"),
                hold: FIVE_MINUTES,
                severity: Severity::Warning,
                summary: "Function {{ $labels.function_name }} nears its concurrency limit".into(),
                description: format!(
                    "ConcurrentExecutions (Maximum) of function {{{{ $labels.function_name }}}} in {{{{ $labels.region }}}} is {{{{ printf \"%.0f\" $value }}}}, above 80% of the limit of {}.",
                    s.concurrency_limit
                ),
            },
        ],
    };

    let client_group = RuleGroup {
        name: "streamwatch-kinesis-client",
        rules: vec![
            AlertRule {
                alert: "KinesisProducerErrors",
                why: vec![
                    format!(
                        "Records the producer gave up on are lost unless the application resends them; more than {}/s",
                        s.producer_errors_per_second
                    ),
                    "for 5m is a failure, not a stray error. Summed over error_type, per producer process.".into(),
                ],
                expr: format!(
                    "sum without (error_type) (rate({producer_errors}[5m])) > {}",
                    s.producer_errors_per_second
                ),
                hold: FIVE_MINUTES,
                severity: Severity::Critical,
                summary: "Producers of stream {{ $labels.stream_name }} fail to deliver records".into(),
                description: format!(
                    "kinesis-client producers of stream {{{{ $labels.stream_name }}}} fail {{{{ printf \"%.2f\" $value }}}} records/s (threshold {}/s).",
                    s.producer_errors_per_second
                ),
            },
            AlertRule {
                alert: "KinesisConsumerBehind",
                why: vec![
                    format!(
                        "MillisBehindLatest above {} ms for 10m: the consumer is not catching up, not merely busy after a burst",
                        s.consumer_behind_ms
                    ),
                    "(a longer hold than the CloudWatch rule, as each GetRecords reports it, noisily). Worst shard per consumer.".into(),
                ],
                expr: format!("max without (shard_id) ({consumer_age}) > {}", s.consumer_behind_ms),
                hold: TEN_MINUTES,
                severity: Severity::Warning,
                summary: "A consumer of stream {{ $labels.stream_name }} is behind".into(),
                description: format!(
                    "A kinesis-client consumer of stream {{{{ $labels.stream_name }}}} is {{{{ printf \"%.0f\" $value }}}} ms behind the tip of a shard (MillisBehindLatest, threshold {} ms).",
                    s.consumer_behind_ms
                ),
            },
            AlertRule {
                alert: "KinesisStreamResharded",
                why: vec![
                    "A split or merge changes where records go and which shards consumers read; worth knowing, not an outage.".into(),
                    "The events counter starts at the first event (so its first increase is not seen); a change of the open-shard".into(),
                    "count catches that one. No hold: it is an event, shown for the 10 minutes the window covers.".into(),
                ],
                expr: format!(
                    "increase({resharding_events}[10m]) > 0 or changes({shards_active}[10m]) > 0"
                ),
                hold: Duration::ZERO,
                severity: Severity::Warning,
                summary: "Stream {{ $labels.stream_name }} was resharded".into(),
                description: "kinesis-client saw the shards of stream {{ $labels.stream_name }} change in the last 10 minutes ({{ printf \"%.0f\" $value }} resharding events or open-shard count changes).".into(),
            },
        ],
    };

    let collector_group = RuleGroup {
        name: "streamwatch-collector",
        rules: vec![AlertRule {
            alert: "StreamwatchCollectorStale",
            why: vec![
                format!(
                    "No error-free cycle for {stale_secs} s (about three collect intervals): the aws_* series are stale and the"
                ),
                "rules on them cannot fire. No hold: the threshold already waits. (A collector that is down is `up == 0`.)".into(),
            ],
            expr: format!(
                "time() - streamwatch_collector_last_success_timestamp_seconds > {stale_secs}"
            ),
            hold: Duration::ZERO,
            severity: Severity::Critical,
            summary: "streamwatch collect has no fresh data for {{ $labels.region }}".into(),
            description: format!(
                "The last error-free cycle of streamwatch collect in {{{{ $labels.region }}}} ended {{{{ $value | humanizeDuration }}}} ago (threshold {stale_secs} s): the CloudWatch series are stale."
            ),
        }],
    };

    RuleFile {
        header: vec![
            "Prometheus alerting rules for a Kinesis + Lambda pipeline, written by `streamwatch alarms rules`.".into(),
            "They read the series of `streamwatch collect` (aws_kinesis_*, aws_lambda_*, streamwatch_collector_*)".into(),
            format!(
                "and of kinesis-client's Prometheus collector with namespace {:?}.",
                s.client_namespace
            ),
        ],
        groups: vec![
            s.collected_annotations(kinesis_group),
            s.collected_annotations(lambda_group),
            client_group,
            collector_group,
        ],
    }
}

/// A duration as Prometheus writes it: `0s`, `90s`, `5m`, `1h`.
fn prometheus_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs > 0 && secs.is_multiple_of(3600) {
        format!("{}h", secs / 3600)
    } else if secs > 0 && secs.is_multiple_of(60) {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

/// `text` as a YAML double-quoted scalar (a JSON string is one).
fn quoted(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

impl RuleFile {
    /// The file as YAML, with each rule's `why` as comments above it.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        for line in &self.header {
            let _ = writeln!(out, "# {line}");
        }
        out.push_str("groups:\n");
        for group in &self.groups {
            let _ = writeln!(out, "  - name: {}", quoted(group.name));
            out.push_str("    rules:\n");
            for rule in &group.rules {
                for line in &rule.why {
                    let _ = writeln!(out, "      # {line}");
                }
                let _ = writeln!(out, "      - alert: {}", quoted(rule.alert));
                out.push_str("        expr: |-\n");
                for line in rule.expr.lines() {
                    let _ = writeln!(out, "          {line}");
                }
                let _ = writeln!(out, "        for: {}", prometheus_duration(rule.hold));
                out.push_str("        labels:\n");
                let _ = writeln!(out, "          severity: {}", rule.severity.as_str());
                out.push_str("        annotations:\n");
                let _ = writeln!(out, "          summary: {}", quoted(&rule.summary));
                let _ = writeln!(out, "          description: {}", quoted(&rule.description));
            }
        }
        out
    }
}

pub(super) fn run(args: RulesArgs) -> anyhow::Result<()> {
    let settings = Settings::new(&args)?;
    let text = match args.format {
        RulesFormat::Prometheus => rule_file(&settings).to_yaml(),
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{text}"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        rules: RulesArgs,
    }

    fn settings(args: &[&str]) -> anyhow::Result<Settings> {
        let cli = Cli::try_parse_from(std::iter::once("rules").chain(args.iter().copied()))?;
        Settings::new(&cli.rules)
    }

    fn rules(args: &[&str]) -> Vec<AlertRule> {
        rule_file(&settings(args).unwrap())
            .groups
            .into_iter()
            .flat_map(|g| g.rules)
            .collect()
    }

    fn expr_of(rules: &[AlertRule], alert: &str) -> String {
        rules
            .iter()
            .find(|r| r.alert == alert)
            .unwrap_or_else(|| panic!("no rule {alert}"))
            .expr
            .clone()
    }

    #[test]
    fn the_rule_set_has_ten_rules_in_four_groups() {
        let file = rule_file(&settings(&[]).unwrap());
        let groups: Vec<_> = file.groups.iter().map(|g| g.name).collect();
        assert_eq!(
            groups,
            [
                "streamwatch-kinesis",
                "streamwatch-lambda",
                "streamwatch-kinesis-client",
                "streamwatch-collector"
            ]
        );
        let all: Vec<_> = file.groups.iter().flat_map(|g| &g.rules).collect();
        let mut names: Vec<_> = all.iter().map(|r| r.alert).collect();
        assert_eq!(names.len(), 10);
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 10, "alert names are unique");
        for rule in all {
            assert!(!rule.why.is_empty(), "{}", rule.alert);
            assert!(rule.description.contains("$value"), "{}", rule.alert);
            assert!(rule.description.contains("{{ $labels."), "{}", rule.alert);
            assert!(rule.summary.contains("{{ $labels."), "{}", rule.alert);
        }
    }

    #[test]
    fn the_rules_read_the_names_collect_and_kinesis_client_export() {
        let r = rules(&[]);
        assert_eq!(
            expr_of(&r, "KinesisIteratorAgeHigh"),
            "aws_kinesis_get_records_iterator_age_milliseconds_maximum > 60000"
        );
        assert_eq!(
            expr_of(&r, "KinesisWriteThrottled"),
            "aws_kinesis_write_provisioned_throughput_exceeded_sum > 0"
        );
        assert_eq!(
            expr_of(&r, "LambdaErrorRateHigh"),
            "aws_lambda_errors_sum / (aws_lambda_invocations_sum > 0) > 0.01"
        );
        assert_eq!(
            expr_of(&r, "LambdaThrottled"),
            "aws_lambda_throttles_sum > 0"
        );
        assert_eq!(
            expr_of(&r, "LambdaDurationNearTimeout"),
            "aws_lambda_duration_p99 > 2400"
        );
        assert_eq!(
            expr_of(&r, "LambdaConcurrencyNearLimit"),
            "aws_lambda_concurrent_executions_maximum > 800"
        );
        assert_eq!(
            expr_of(&r, "KinesisProducerErrors"),
            "sum without (error_type) (rate(streamwatch_producer_errors_total[5m])) > 0.1"
        );
        assert_eq!(
            expr_of(&r, "KinesisConsumerBehind"),
            "max without (shard_id) (streamwatch_consumer_iterator_age_milliseconds) > 60000"
        );
        assert_eq!(
            expr_of(&r, "KinesisStreamResharded"),
            "increase(streamwatch_stream_resharding_events_total[10m]) > 0 \
             or changes(streamwatch_stream_shards_active[10m]) > 0"
        );
        assert_eq!(
            expr_of(&r, "StreamwatchCollectorStale"),
            "time() - streamwatch_collector_last_success_timestamp_seconds > 300"
        );
    }

    /// The statistics the rules read are ones `collect` fetches by default, and the labels
    /// are the ones the exporters write.
    #[test]
    fn the_statistics_are_collected_by_default() {
        let collected = |specs: Vec<cloudwatch_collector::MetricSpec>, metric: &str, stat| {
            specs
                .iter()
                .any(|m| m.name == metric && m.statistics.contains(&stat))
        };
        let kinesis = cloudwatch_collector::default_kinesis_metrics;
        let lambda = cloudwatch_collector::default_lambda_metrics;
        assert!(collected(
            kinesis(),
            "GetRecords.IteratorAgeMilliseconds",
            Statistic::Maximum
        ));
        assert!(collected(
            kinesis(),
            "WriteProvisionedThroughputExceeded",
            Statistic::Sum
        ));
        assert!(collected(lambda(), "Errors", Statistic::Sum));
        assert!(collected(lambda(), "Invocations", Statistic::Sum));
        assert!(collected(lambda(), "Throttles", Statistic::Sum));
        assert!(collected(lambda(), "Duration", Statistic::Percentile(99.0)));
        assert!(collected(
            lambda(),
            "ConcurrentExecutions",
            Statistic::Maximum
        ));
        assert_eq!(
            metric_export::prometheus::label_name("StreamName"),
            STREAM_LABEL
        );
        assert_eq!(
            metric_export::prometheus::label_name("FunctionName"),
            FUNCTION_LABEL
        );
        assert_eq!(kinesis_client::metrics::labels::STREAM_NAME, STREAM_LABEL);
    }

    #[test]
    fn filters_add_label_matchers() {
        let r = rules(&["--stream", "orders", "--function", "ingest"]);
        for rule in &r {
            let expr = &rule.expr;
            let stream = expr.matches(r#"{stream_name="orders"}"#).count();
            let function = expr.matches(r#"{function_name="ingest"}"#).count();
            match rule.alert {
                "LambdaErrorRateHigh" => assert_eq!((stream, function), (0, 2), "{expr}"),
                "KinesisStreamResharded" => assert_eq!((stream, function), (2, 0), "{expr}"),
                a if a.starts_with("Lambda") => assert_eq!((stream, function), (0, 1), "{expr}"),
                a if a.starts_with("Kinesis") => assert_eq!((stream, function), (1, 0), "{expr}"),
                _ => assert_eq!((stream, function), (0, 0), "{expr}"),
            }
        }
        for rule in rules(&[]) {
            assert!(!rule.expr.contains('{'), "{}", rule.expr);
        }
        let r = rules(&["--stream", "a\"b\\c\nd"]);
        assert_eq!(
            expr_of(&r, "KinesisWriteThrottled"),
            r#"aws_kinesis_write_provisioned_throughput_exceeded_sum{stream_name="a\"b\\c\nd"} > 0"#
        );
    }

    #[test]
    fn thresholds_come_from_flags() {
        let r = rules(&[
            "--iterator-age-ms",
            "30000",
            "--error-rate",
            "0.05",
            "--timeout-ms",
            "10000",
            "--concurrency-limit",
            "50",
            "--producer-errors-per-second",
            "2.5",
            "--consumer-behind-ms",
            "120000",
            "--client-namespace",
            "myapp",
            "--stale-after",
            "10m",
        ]);
        assert!(expr_of(&r, "KinesisIteratorAgeHigh").ends_with("> 30000"));
        assert!(expr_of(&r, "LambdaErrorRateHigh").ends_with("> 0.05"));
        assert!(expr_of(&r, "LambdaDurationNearTimeout").ends_with("> 8000"));
        assert!(expr_of(&r, "LambdaConcurrencyNearLimit").ends_with("> 40"));
        assert_eq!(
            expr_of(&r, "KinesisProducerErrors"),
            "sum without (error_type) (rate(myapp_producer_errors_total[5m])) > 2.5"
        );
        assert_eq!(
            expr_of(&r, "KinesisConsumerBehind"),
            "max without (shard_id) (myapp_consumer_iterator_age_milliseconds) > 120000"
        );
        assert!(expr_of(&r, "StreamwatchCollectorStale").ends_with("> 600"));
        let summary = &r
            .iter()
            .find(|r| r.alert == "LambdaErrorRateHigh")
            .unwrap()
            .summary;
        assert!(
            summary.ends_with("more than 5% of its invocations"),
            "{summary}"
        );
        let r = rules(&["--client-namespace", ""]);
        assert!(expr_of(&r, "KinesisProducerErrors").contains("(rate(producer_errors_total[5m]))"));
    }

    #[test]
    fn nonsense_thresholds_are_refused() {
        for args in [
            &["--error-rate", "0"][..],
            &["--error-rate", "1.5"],
            &["--error-rate", "NaN"],
            &["--timeout-ms", "0"],
            &["--concurrency-limit", "0"],
            &["--producer-errors-per-second", "-1"],
            &["--stale-after", "0s"],
            &["--client-namespace", "my-app"],
            &["--client-namespace", "1app"],
        ] {
            assert!(settings(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn yaml_has_comments_literal_expressions_and_quoted_strings() {
        let file = RuleFile {
            header: vec!["head".into()],
            groups: vec![RuleGroup {
                name: "g",
                rules: vec![AlertRule {
                    alert: "A",
                    why: vec!["because".into()],
                    expr: r#"x{a="b"} > 1"#.into(),
                    hold: Duration::from_secs(90),
                    severity: Severity::Critical,
                    summary: r#"say "{{ $labels.a }}""#.into(),
                    description: "v\\{{ $value }}\n".into(),
                }],
            }],
        };
        assert_eq!(
            file.to_yaml(),
            concat!(
                "# head\n",
                "groups:\n",
                "  - name: \"g\"\n",
                "    rules:\n",
                "      # because\n",
                "      - alert: \"A\"\n",
                "        expr: |-\n",
                "          x{a=\"b\"} > 1\n",
                "        for: 90s\n",
                "        labels:\n",
                "          severity: critical\n",
                "        annotations:\n",
                "          summary: \"say \\\"{{ $labels.a }}\\\"\"\n",
                "          description: \"v\\\\{{ $value }}\\n\"\n",
            )
        );
        assert_eq!(prometheus_duration(Duration::ZERO), "0s");
        assert_eq!(prometheus_duration(FIVE_MINUTES), "5m");
        assert_eq!(prometheus_duration(Duration::from_secs(7200)), "2h");
        assert_eq!(percent(0.01), "1%");
        assert_eq!(percent(0.005), "0.5%");
        assert_eq!(eighty_percent(3000), 2400.0);
    }
}
