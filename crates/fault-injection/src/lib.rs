//! Fault injection for the engine: rules and the decisions they make, without HTTP or a wire
//! format.
//!
//! A [`Rule`] matches a service (`kinesis`, `cloudwatch`, `lambda`, `sqs`, `sns`, `logs` or
//! `*`) and an action (`PutRecords`, ... or `*`) and does one thing to the calls it matches:
//! answers an error code at a rate, fails single records inside Kinesis PutRecords at a rate,
//! adds latency (fixed, uniform or normal), drops the connection at a rate, or throttles
//! every call during a storm window. [`Faults`] holds the live rules (replaceable at run
//! time), draws from one seeded random generator (the same seed and the same sequence of
//! calls give the same faults), reads storm windows from a [`time_source::Clock`] and counts
//! every fault it injects. The server applies the decisions: error replies in each
//! service's protocol, the wait, the dropped connection; the Kinesis API the record failures.

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod codes;
mod spec;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use time_source::Clock;

pub use codes::ErrorCode;
pub use spec::{Fault, FaultFile, Latency, Rule, RuleInput, Storm};

/// A mistake in a rule or a rule file.
#[derive(Debug, thiserror::Error)]
pub enum FaultError {
    /// The `--fault` text could not be read.
    #[error("fault {0:?}: {1}")]
    Syntax(String, String),
    /// The rule names something that does not exist or cannot be.
    #[error("fault rule: {0}")]
    Rule(String),
    /// The file (or admin request body) is not valid TOML or JSON of rules.
    #[error("fault file: {0}")]
    File(String),
}

/// The services faults apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    /// Kinesis Data Streams.
    Kinesis,
    /// CloudWatch.
    CloudWatch,
    /// Lambda.
    Lambda,
    /// SQS.
    Sqs,
    /// SNS.
    Sns,
    /// CloudWatch Logs.
    Logs,
}

impl Service {
    /// Every service.
    pub const ALL: [Service; 6] = [
        Service::Kinesis,
        Service::CloudWatch,
        Service::Lambda,
        Service::Sqs,
        Service::Sns,
        Service::Logs,
    ];

    /// The name rules use: `kinesis`, `cloudwatch`, `lambda`, `sqs`, `sns`, `logs`.
    pub fn name(self) -> &'static str {
        match self {
            Service::Kinesis => "kinesis",
            Service::CloudWatch => "cloudwatch",
            Service::Lambda => "lambda",
            Service::Sqs => "sqs",
            Service::Sns => "sns",
            Service::Logs => "logs",
        }
    }

    /// The service a rule's name means.
    pub fn from_name(name: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// How a PutRecords record fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordFailure {
    /// `ProvisionedThroughputExceededException` with the shard's "Rate exceeded" text.
    Throttled,
    /// `InternalFailure`, "Internal service failure.".
    InternalFailure,
}

impl RecordFailure {
    /// The failure a code names.
    pub fn from_code(code: &str) -> Option<RecordFailure> {
        match code {
            "ProvisionedThroughputExceededException" => Some(RecordFailure::Throttled),
            "InternalFailure" => Some(RecordFailure::InternalFailure),
            _ => None,
        }
    }
}

/// What happens to a call as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It goes through.
    Proceed,
    /// It is answered with this error.
    Fail(&'static ErrorCode),
    /// The connection is closed without an answer.
    Drop,
}

/// The decision for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallFaults {
    /// Added before the call is answered (also before an injected error).
    pub latency: Option<Duration>,
    /// Whether it proceeds.
    pub outcome: Outcome,
}

impl CallFaults {
    /// No fault.
    pub const NONE: CallFaults = CallFaults {
        latency: None,
        outcome: Outcome::Proceed,
    };
}

/// The kinds of faults counted, the `kind` label of `streamwatch_injected_faults_total`.
pub mod kind {
    /// A whole call answered with an error.
    pub const ERROR: &str = "error";
    /// A PutRecords record failed.
    pub const RECORD_FAILURE: &str = "record_failure";
    /// Latency added to a call.
    pub const LATENCY: &str = "latency";
    /// A connection closed without an answer.
    pub const DROP: &str = "drop";
    /// A call throttled by a storm.
    pub const STORM: &str = "storm";
}

/// A rule as installed: storms pinned to the clock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Installed {
    /// The rule.
    #[serde(flatten)]
    pub rule: Rule,
    /// A storm's window, epoch milliseconds `[from, until)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_ms: Option<(u64, u64)>,
}

/// One count of `streamwatch_injected_faults_total`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Injected {
    /// The service's rule name.
    pub service: &'static str,
    /// The action.
    pub action: String,
    /// One of [`kind`].
    pub kind: &'static str,
    /// Faults injected since the server started.
    pub count: u64,
}

/// The live rules, the seeded random generator and the counts.
pub struct Faults {
    clock: Arc<dyn Clock>,
    rules: RwLock<Arc<Vec<Installed>>>,
    /// Fast path: no rules, nothing to look at.
    active: AtomicBool,
    rng: Mutex<(u64, fastrand::Rng)>,
    counts: Mutex<BTreeMap<(&'static str, String, &'static str), u64>>,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults")
            .field("rules", &self.rules.read().len())
            .finish_non_exhaustive()
    }
}

impl Faults {
    /// No rules yet, on `clock`, drawing from `seed`.
    pub fn new(clock: Arc<dyn Clock>, seed: u64) -> Faults {
        Faults {
            clock,
            rules: RwLock::new(Arc::new(Vec::new())),
            active: AtomicBool::new(false),
            rng: Mutex::new((seed, fastrand::Rng::with_seed(seed))),
            counts: Mutex::new(BTreeMap::new()),
        }
    }

    /// Starts the random sequence again from `seed`.
    pub fn reseed(&self, seed: u64) {
        *self.rng.lock() = (seed, fastrand::Rng::with_seed(seed));
    }

    /// The seed the sequence started from.
    pub fn seed(&self) -> u64 {
        self.rng.lock().0
    }

    fn install(&self, rule: Rule) -> Installed {
        let window_ms = match &rule.fault {
            Fault::Storm(s) => {
                let from = self.clock.now_ms().saturating_add(s.after_ms);
                Some((from, from.saturating_add(s.duration_ms)))
            }
            _ => None,
        };
        Installed { rule, window_ms }
    }

    /// Replaces every rule with `rules` (storms start counting from now).
    pub fn replace(&self, rules: Vec<Rule>) {
        let installed: Vec<Installed> = rules.into_iter().map(|r| self.install(r)).collect();
        let mut guard = self.rules.write();
        self.active.store(!installed.is_empty(), Ordering::Release);
        *guard = Arc::new(installed);
    }

    /// Adds `rules` after the present ones.
    pub fn add(&self, rules: Vec<Rule>) {
        let mut guard = self.rules.write();
        let mut all: Vec<Installed> = guard.as_ref().clone();
        all.extend(rules.into_iter().map(|r| self.install(r)));
        self.active.store(!all.is_empty(), Ordering::Release);
        *guard = Arc::new(all);
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.replace(Vec::new());
    }

    /// Whether any rule is in force (nothing else need be looked at when not).
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    /// The rules in force.
    pub fn rules(&self) -> Vec<Installed> {
        self.rules.read().as_ref().clone()
    }

    fn current(&self) -> Option<Arc<Vec<Installed>>> {
        self.active
            .load(Ordering::Acquire)
            .then(|| self.rules.read().clone())
    }

    fn hit(&self, rng: &mut fastrand::Rng, percent: f64) -> bool {
        percent >= 100.0 || rng.f64() * 100.0 < percent
    }

    fn count(&self, service: Service, action: &str, kind: &'static str, n: u64) {
        if n == 0 {
            return;
        }
        *self
            .counts
            .lock()
            .entry((service.name(), action.to_owned(), kind))
            .or_default() += n;
    }

    /// What happens to a call of `action` on `service`: the latency every matching latency
    /// rule adds (one draw each), then the first of a storm in its window, a drop or an
    /// error that fires, in the rules' order. Each injected fault is counted.
    pub fn on_call(&self, service: Service, action: &str) -> CallFaults {
        self.decide(service, action, true)
    }

    /// [`Faults::on_call`] for a call made inside the process (Lambda's event source mappings
    /// reading Kinesis), which no latency rule slows: no latency is drawn or counted.
    pub fn on_internal_call(&self, service: Service, action: &str) -> CallFaults {
        self.decide(service, action, false)
    }

    fn decide(&self, service: Service, action: &str, with_latency: bool) -> CallFaults {
        let Some(rules) = self.current() else {
            return CallFaults::NONE;
        };
        let now = self.clock.now_ms();
        let mut out = CallFaults::NONE;
        let mut rng = self.rng.lock();
        for r in rules.iter().filter(|r| r.rule.matches(service, action)) {
            let proceeding = out.outcome == Outcome::Proceed;
            match &r.rule.fault {
                Fault::Latency(l) if with_latency && self.hit(&mut rng.1, r.rule.percent) => {
                    let added = l.sample(&mut rng.1);
                    out.latency = Some(out.latency.unwrap_or_default() + added);
                }
                Fault::Storm(_)
                    if proceeding
                        && r.window_ms
                            .is_some_and(|(from, until)| now >= from && now < until) =>
                {
                    out.outcome = Outcome::Fail(codes::throttling(service, action));
                    self.count(service, action, kind::STORM, 1);
                }
                Fault::Drop(_) if proceeding && self.hit(&mut rng.1, r.rule.percent) => {
                    out.outcome = Outcome::Drop;
                    self.count(service, action, kind::DROP, 1);
                }
                Fault::Error(code) if proceeding && self.hit(&mut rng.1, r.rule.percent) => {
                    if let Some(c) = codes::lookup(service, code) {
                        out.outcome = Outcome::Fail(c);
                        self.count(service, action, kind::ERROR, 1);
                    }
                }
                _ => {}
            }
        }
        if out.latency.is_some() {
            self.count(service, action, kind::LATENCY, 1);
        }
        out
    }

    /// A decider for the records of one Kinesis PutRecords call, when a record-failure rule
    /// matches (so a call without such rules draws nothing per record).
    pub fn record_failures(&self) -> Option<RecordFailures<'_>> {
        let rules = self.current()?;
        let any = rules.iter().any(|r| {
            matches!(r.rule.fault, Fault::RecordFailure(_))
                && r.rule.matches(Service::Kinesis, "PutRecords")
        });
        any.then_some(RecordFailures {
            faults: self,
            rules,
            throttled: 0,
            internal: 0,
        })
    }

    /// Every count so far, by service, action and kind.
    pub fn injected(&self) -> Vec<Injected> {
        self.counts
            .lock()
            .iter()
            .map(|((service, action, kind), count)| Injected {
                service,
                action: action.clone(),
                kind,
                count: *count,
            })
            .collect()
    }
}

/// Decides record by record inside one PutRecords call; counts what it failed when dropped.
pub struct RecordFailures<'a> {
    faults: &'a Faults,
    rules: Arc<Vec<Installed>>,
    throttled: u64,
    internal: u64,
}

impl RecordFailures<'_> {
    /// Whether the next record fails, and how.
    pub fn next_record(&mut self) -> Option<RecordFailure> {
        let mut rng = self.faults.rng.lock();
        for r in self
            .rules
            .iter()
            .filter(|r| r.rule.matches(Service::Kinesis, "PutRecords"))
        {
            if let Fault::RecordFailure(code) = &r.rule.fault
                && self.faults.hit(&mut rng.1, r.rule.percent)
                && let Some(f) = RecordFailure::from_code(code)
            {
                match f {
                    RecordFailure::Throttled => self.throttled += 1,
                    RecordFailure::InternalFailure => self.internal += 1,
                }
                return Some(f);
            }
        }
        None
    }
}

impl Drop for RecordFailures<'_> {
    fn drop(&mut self) {
        self.faults.count(
            Service::Kinesis,
            "PutRecords",
            kind::RECORD_FAILURE,
            self.throttled + self.internal,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time_source::ManualClock;

    fn faults(rules: &[&str]) -> (Faults, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new(1_000_000));
        let f = Faults::new(clock.clone(), 42);
        f.replace(rules.iter().map(|r| Rule::parse(r).unwrap()).collect());
        (f, clock)
    }

    #[test]
    fn rates_are_near_their_percent_and_repeat_with_the_seed() {
        let (f, _) = faults(&["kinesis:GetRecords:error=InternalFailure@5%"]);
        let draw = |f: &Faults| {
            (0..10_000)
                .map(|_| f.on_call(Service::Kinesis, "GetRecords").outcome != Outcome::Proceed)
                .collect::<Vec<_>>()
        };
        let first = draw(&f);
        let failed = first.iter().filter(|x| **x).count();
        assert!((400..600).contains(&failed), "{failed}");
        assert_eq!(f.injected()[0].count, failed as u64);
        assert_eq!(f.injected()[0].kind, kind::ERROR);
        f.reseed(42);
        assert_eq!(draw(&f), first);
        assert_eq!(
            f.on_call(Service::Kinesis, "PutRecords"),
            CallFaults::NONE,
            "another action is untouched"
        );
    }

    #[test]
    fn storms_blow_in_their_window_only() {
        let (f, clock) = faults(&["sqs:storm=1s+2s"]);
        assert_eq!(f.on_call(Service::Sqs, "SendMessage"), CallFaults::NONE);
        clock.advance(1_000);
        let o = f.on_call(Service::Sqs, "SendMessage").outcome;
        assert!(matches!(o, Outcome::Fail(c) if c.code == "RequestThrottled"));
        clock.advance(1_999);
        assert_ne!(
            f.on_call(Service::Sqs, "ReceiveMessage").outcome,
            Outcome::Proceed,
            "still inside"
        );
        clock.advance(1);
        assert_eq!(f.on_call(Service::Sqs, "SendMessage"), CallFaults::NONE);
    }

    #[test]
    fn latency_adds_and_drop_wins_over_a_later_error() {
        let (f, _) = faults(&[
            "kinesis:*:latency=30ms",
            "kinesis:PutRecords:drop",
            "kinesis:error=InternalFailure",
        ]);
        let c = f.on_call(Service::Kinesis, "PutRecords");
        assert_eq!(c.latency, Some(Duration::from_millis(30)));
        assert_eq!(c.outcome, Outcome::Drop);
        let c = f.on_call(Service::Kinesis, "ListStreams");
        assert!(matches!(c.outcome, Outcome::Fail(e) if e.status == 500));
    }

    #[test]
    fn record_failures_fail_about_their_share_and_are_counted() {
        let (f, _) = faults(&["kinesis:PutRecords:record-failure=InternalFailure@10%"]);
        let mut failed = 0;
        {
            let mut d = f.record_failures().unwrap();
            for _ in 0..5000 {
                failed += d.next_record().is_some() as u64;
            }
        }
        assert!((400..600).contains(&failed), "{failed}");
        assert_eq!(f.injected()[0].count, failed);
        f.clear();
        assert!(f.record_failures().is_none());
    }
}
