//! Evaluating thresholds, at the end of a test and while it runs.
//!
//! As k6 (v1.x):
//! - an aggregate that is undefined (a rate with no samples, a counter's rate at zero elapsed
//!   time) passes its thresholds; an empty trend answers 0 for every statistic;
//! - while the test runs (k6 checks every 2 seconds), metrics without samples are skipped;
//! - a failing threshold with `abortOnFail` stops the test unless its `delayAbortEval` is set
//!   and not yet strictly exceeded by the elapsed time;
//! - the process exits with 99 when any threshold failed, aborted or not.

use std::time::Duration;

use crate::EXIT_THRESHOLDS_FAILED;
use crate::metric::Stat;
use crate::registry::Registry;
use crate::threshold::{Expression, Thresholds};

/// How one threshold came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The expression held (or its aggregate is undefined, which k6 counts as passing).
    Passed,
    /// The expression did not hold.
    Failed,
    /// Not judged yet: its metric has no samples (only while the test runs).
    Pending,
}

/// The result of one threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdResult {
    /// The metric or sub-metric name as written in the threshold.
    pub metric: String,
    /// The expression as written.
    pub source: String,
    /// The parsed expression.
    pub expression: Expression,
    /// The aggregate it was judged on, if defined.
    pub observed: Option<f64>,
    /// How it came out.
    pub outcome: Outcome,
    /// Whether a failure stops the test.
    pub abort_on_fail: bool,
    /// The grace period of `abort_on_fail`.
    pub delay_abort_eval: Option<Duration>,
}

impl ThresholdResult {
    /// Whether it failed.
    pub fn failed(&self) -> bool {
        self.outcome == Outcome::Failed
    }
}

/// Every threshold's result at one moment of a test.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// How far into the test it was judged (a counter's `rate` divides by it).
    pub elapsed: Duration,
    /// One result per threshold, by metric in the order written.
    pub results: Vec<ThresholdResult>,
}

impl Thresholds {
    /// Judges every threshold at the end of a test that ran for `elapsed`.
    pub fn evaluate(&self, registry: &Registry, elapsed: Duration) -> Verdict {
        self.judge(registry, elapsed, false)
    }

    /// Judges the thresholds while the test runs: metrics without samples stay
    /// [`Outcome::Pending`], as k6 skips them.
    pub fn evaluate_during_run(&self, registry: &Registry, elapsed: Duration) -> Verdict {
        self.judge(registry, elapsed, true)
    }

    /// Whether the test must stop now, `elapsed` into it: some threshold with `abortOnFail`
    /// fails and its `delayAbortEval` (if any) is over.
    pub fn should_abort(&self, registry: &Registry, elapsed: Duration) -> bool {
        self.evaluate_during_run(registry, elapsed).should_abort()
    }

    fn judge(&self, registry: &Registry, elapsed: Duration, running: bool) -> Verdict {
        let mut results = Vec::new();
        for m in self.metrics() {
            let metric = registry.get(&m.selector.name);
            for t in &m.thresholds {
                let (observed, outcome) = match metric {
                    // `register` refuses this; a threshold on nothing must not pass silently.
                    None => (None, Outcome::Failed),
                    Some(metric) if running && metric.is_empty() => (None, Outcome::Pending),
                    Some(metric) => {
                        let observed = metric.stat(t.expression.stat, elapsed);
                        let passed =
                            observed.is_none_or(|v| t.expression.op.holds(v, t.expression.value));
                        (
                            observed,
                            if passed {
                                Outcome::Passed
                            } else {
                                Outcome::Failed
                            },
                        )
                    }
                };
                results.push(ThresholdResult {
                    metric: m.selector.name.clone(),
                    source: t.source.clone(),
                    expression: t.expression,
                    observed,
                    outcome,
                    abort_on_fail: t.abort_on_fail,
                    delay_abort_eval: t.delay_abort_eval,
                });
            }
        }
        Verdict { elapsed, results }
    }
}

impl Verdict {
    /// Whether no threshold failed.
    pub fn passed(&self) -> bool {
        !self.results.iter().any(ThresholdResult::failed)
    }

    /// The failed thresholds.
    pub fn failures(&self) -> impl Iterator<Item = &ThresholdResult> {
        self.results.iter().filter(|r| r.failed())
    }

    /// Whether a failed threshold asks the test to stop at this verdict's elapsed time.
    pub fn should_abort(&self) -> bool {
        self.failures()
            .any(|r| r.abort_on_fail && r.delay_abort_eval.is_none_or(|d| d < self.elapsed))
    }

    /// The process exit code: 0, or 99 when a threshold failed.
    pub fn exit_code(&self) -> i32 {
        if self.passed() {
            0
        } else {
            EXIT_THRESHOLDS_FAILED
        }
    }

    /// The metrics with a failed threshold, sorted and without repeats.
    pub fn crossed_metrics(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.failures().map(|r| r.metric.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// k6's log line for failed thresholds, if any: `thresholds on metrics 'a, b' have been
    /// crossed`, or, when the test must stop, `thresholds on metrics 'a' were crossed; at
    /// least one has abortOnFail enabled, stopping test prematurely`.
    pub fn message(&self) -> Option<String> {
        if self.passed() {
            return None;
        }
        let names = self.crossed_metrics().join(", ");
        Some(if self.should_abort() {
            format!(
                "thresholds on metrics '{names}' were crossed; at least one has abortOnFail \
                 enabled, stopping test prematurely"
            )
        } else {
            format!("thresholds on metrics '{names}' have been crossed")
        })
    }

    /// The result of `source` on `metric`, if there is such a threshold.
    pub fn result(&self, metric: &str, source: &str) -> Option<&ThresholdResult> {
        self.results
            .iter()
            .find(|r| r.metric == metric && r.source == source)
    }

    /// The aggregate a threshold was judged on, e.g. for `p(99)` on `end_to_end_latency`.
    pub fn observed(&self, metric: &str, stat: Stat) -> Option<f64> {
        self.results
            .iter()
            .find(|r| r.metric == metric && r.expression.stat == stat)
            .and_then(|r| r.observed)
    }
}
