//! CloudWatch alarms for the embedded engine: metric alarms and composite alarms, kept and
//! evaluated as CloudWatch does. No HTTP and no wire encoding: `cloudwatch-api` maps the
//! wire protocols onto [`AlarmEngine`], and the server delivers the [`ActionRequest`]s it
//! returns to SNS and Lambda.
//!
//! - [`AlarmEngine`] holds the alarms, their state, tags and history. Put, describe, delete,
//!   SetAlarmState, enable/disable actions and tagging are its methods;
//!   [`AlarmEngine::evaluate_due`] runs the evaluations that are due on the engine's clock
//!   and [`AlarmEngine::next_due_ms`] says when to call it next.
//! - A metric alarm reads its evaluation range from the [`metric_store::Store`] (one query
//!   per MetricStat) and, for metric-math alarms, evaluates the expressions with
//!   [`metric_math`]; the decision rules are in the `evaluate` module, the texts in `reason`.
//! - A composite alarm's rule (`rule` module) is evaluated whenever an alarm it names
//!   changes state.
//! - Errors are [`AlarmError`]s that know their AWS code, shape and HTTP status.
//! - [`AlarmEngine::with_data_dir`] keeps everything in `alarms.json`.
//!
//! ```
//! use std::sync::Arc;
//! use alarm_engine::{AlarmEngine, AlarmState, ComparisonOperator, MetricAlarmDefinition};
//! use metric_store::{ManualClock, MetricKey, Store, Unit};
//!
//! let t0 = 1_781_258_400_000; // 2026-06-12T10:00:00Z
//! let clock = ManualClock::new(t0);
//! let store = Arc::new(Store::with_clock(Arc::new(clock.clone())));
//! let engine = AlarmEngine::new(store.clone(), Arc::new(clock.clone()), "us-east-1", "123456789012");
//! engine.put_metric_alarm(MetricAlarmDefinition {
//!     alarm_name: "errors".into(),
//!     namespace: Some("App".into()),
//!     metric_name: Some("Errors".into()),
//!     statistic: Some("Sum".into()),
//!     period: Some(60),
//!     evaluation_periods: Some(1),
//!     threshold: Some(1.0),
//!     comparison_operator: Some(ComparisonOperator::GreaterThanThreshold),
//!     ..Default::default()
//! })?;
//! let key = MetricKey::new("App", "Errors", Vec::<(&str, &str)>::new()).unwrap();
//! store.custom_series(&key, Unit::Count).unwrap().record(t0 - 30_000, 5.0);
//! engine.evaluate_due();
//! let page = engine.describe_alarms(&Default::default())?;
//! assert_eq!(page.metric_alarms[0].state.value, AlarmState::Alarm);
//! assert_eq!(
//!     page.metric_alarms[0].state.reason,
//!     "Threshold Crossed: 1 datapoint [5.0 (12/06/26 09:59:00)] was greater than the threshold (1.0)."
//! );
//! # Ok::<(), alarm_engine::AlarmError>(())
//! ```
//!
//! The behaviour follows the facts gathered in `ALARM-FACTS.md` (shared notes); texts that
//! AWS's sources do not give are marked "AWS text not known: chosen" where they are made.
//!
//! Not modelled: anomaly-detection alarms (refused), PromQL and log alarms, action
//! suppression (accepted and kept, not applied), `AT_LEAST` in rules, extended statistics
//! other than percentiles.

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod config_json;
mod dates;
mod describe;
mod error;
mod evaluate;
mod fetch;
mod history;
mod messages;
mod model;
mod persist;
mod reason;
mod rule;
mod validate;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use metric_store::Store;
use parking_lot::Mutex;
use time_source::Clock;

pub use describe::{AlarmsPage, DescribeAlarmsQuery, ForMetricQuery};
pub use error::AlarmError;
pub use history::{HistoryItem, HistoryItemType, HistoryPage, HistoryQuery, ScanBy};
pub use model::{
    ActionKind, ActionRequest, AlarmMetricStat, AlarmQuery, AlarmState, AlarmType,
    ComparisonOperator, CompositeAlarm, CompositeAlarmDefinition, Dimension, LowSampleCount,
    MetricAlarm, MetricAlarmDefinition, StateInfo, Tag, TreatMissingData, Unit,
};

use evaluate::{Criteria, decide};
use history::{ConfigChange, History};
use reason::{DataInput, INITIAL_REASON, ReasonInput, Trigger};
use rule::Rule;
use validate::Compiled;

/// Most alarms (metric and composite) one engine keeps: AWS has "no limit", this bounds
/// memory.
pub const MAX_ALARMS: usize = 100_000;

/// A metric alarm and what evaluating it needs.
struct MetricRecord {
    alarm: MetricAlarm,
    compiled: Compiled,
    tags: Vec<Tag>,
    next_due_ms: u64,
}

/// A composite alarm and its parsed rule.
struct CompositeRecord {
    alarm: CompositeAlarm,
    rule: Rule,
    tags: Vec<Tag>,
}

/// Everything behind the lock.
#[derive(Default)]
struct Inner {
    metrics: BTreeMap<String, MetricRecord>,
    composites: BTreeMap<String, CompositeRecord>,
    history: History,
    /// Actions of changes made outside `evaluate_due` and `set_alarm_state` (a composite
    /// evaluated on creation), handed out by the next `evaluate_due`.
    pending: Vec<ActionRequest>,
    data_dir: Option<PathBuf>,
}

/// Region and account: what ARNs and messages are made of.
struct Place {
    region: String,
    account: String,
}

impl Place {
    fn alarm_arn(&self, name: &str) -> String {
        format!("{}{name}", self.arn_prefix())
    }

    fn arn_prefix(&self) -> String {
        format!("arn:aws:cloudwatch:{}:{}:alarm:", self.region, self.account)
    }

    /// The alarm name a rule or tagging call refers to: a name, or this Region's and
    /// account's alarm ARN.
    fn name_of<'a>(&self, reference: &'a str) -> &'a str {
        let prefix = self.arn_prefix();
        reference.strip_prefix(prefix.as_str()).unwrap_or(reference)
    }
}

struct Shared {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    place: Place,
    inner: Mutex<Inner>,
}

/// The alarms of one Region and account. Cheap to clone (the clones share the alarms);
/// `Send + Sync`. Every method takes the one lock briefly; [`AlarmEngine::evaluate_due`]
/// holds it for the whole round.
#[derive(Clone)]
pub struct AlarmEngine {
    shared: Arc<Shared>,
}

/// Refuses a new alarm once the account holds [`MAX_ALARMS`].
fn check_quota(inner: &Inner) -> Result<(), AlarmError> {
    if inner.metrics.len() + inner.composites.len() >= MAX_ALARMS {
        return Err(AlarmError::LimitExceeded(
            "The quota for alarms for this customer has already been reached.".to_owned(),
        ));
    }
    Ok(())
}

/// The ConfigurationUpdate item of a changed alarm: its new configuration and the fields
/// that changed from `before`.
fn updated(
    name: &str,
    alarm_type: AlarmType,
    now: u64,
    before: &str,
    after: &str,
) -> history::HistoryItem {
    let original = history::changed_fields(before, after);
    history::config_update(
        name,
        alarm_type,
        now,
        ConfigChange::Update,
        after,
        Some(&original),
    )
}

/// How often an alarm with this period is evaluated: every minute, or every 10 seconds for
/// high-resolution periods (User Guide, "Evaluating an alarm").
fn cadence_ms(period: u32) -> u64 {
    if period < 60 { 10_000 } else { 60_000 }
}

/// The first evaluation time at or after `now_ms`.
fn first_due(period: u32, now_ms: u64) -> u64 {
    let step = cadence_ms(period);
    now_ms.div_ceil(step) * step
}

impl AlarmEngine {
    /// An engine with no alarms that evaluates against `store` on `clock`.
    pub fn new(store: Arc<Store>, clock: Arc<dyn Clock>, region: &str, account_id: &str) -> Self {
        AlarmEngine {
            shared: Arc::new(Shared {
                store,
                clock,
                place: Place {
                    region: region.to_owned(),
                    account: account_id.to_owned(),
                },
                inner: Mutex::new(Inner::default()),
            }),
        }
    }

    /// Loads the alarms kept in `dir/alarms.json` (if any) and keeps every later change
    /// there, written atomically after each change.
    pub fn with_data_dir(self, dir: &Path) -> Result<AlarmEngine, AlarmError> {
        let snap = persist::load(dir)?;
        let now = self.now();
        {
            let mut inner = self.shared.inner.lock();
            for (alarm, tags) in snap.metric_alarms {
                let compiled = validate::metric_alarm(&alarm.definition, &self.shared.place.region)
                    .map_err(|e| {
                        AlarmError::Internal(format!(
                            "alarm {} in the data file is invalid: {e}",
                            alarm.definition.alarm_name
                        ))
                    })?;
                let next_due_ms = first_due(compiled.period, now);
                inner.metrics.insert(
                    alarm.definition.alarm_name.clone(),
                    MetricRecord {
                        alarm,
                        compiled,
                        tags,
                        next_due_ms,
                    },
                );
            }
            for (alarm, tags) in snap.composite_alarms {
                let rule =
                    rule::parse(&alarm.definition.alarm_rule).map_err(AlarmError::Internal)?;
                inner.composites.insert(
                    alarm.definition.alarm_name.clone(),
                    CompositeRecord { alarm, rule, tags },
                );
            }
            inner.history = snap.history;
            inner.data_dir = Some(dir.to_owned());
            save(&inner)?;
        }
        Ok(self)
    }

    fn now(&self) -> u64 {
        self.shared.clock.now_ms()
    }

    fn place(&self) -> &Place {
        &self.shared.place
    }

    /// PutMetricAlarm: creates the alarm in INSUFFICIENT_DATA, or replaces the
    /// configuration of an existing one, keeping its state and tags.
    pub fn put_metric_alarm(&self, mut def: MetricAlarmDefinition) -> Result<(), AlarmError> {
        let compiled = validate::metric_alarm(&def, &self.place().region)?;
        let now = self.now();
        let mut inner = self.shared.inner.lock();
        let name = def.alarm_name.clone();
        if inner.composites.contains_key(&name) {
            // AWS text not known: chosen.
            return Err(AlarmError::Validation(format!(
                "An alarm named {name} already exists as a composite alarm."
            )));
        }
        let tags = std::mem::take(&mut def.tags);
        let next_due_ms = first_due(compiled.period, now);
        let alarm_type = AlarmType::MetricAlarm;
        let item = if let Some(rec) = inner.metrics.get_mut(&name) {
            let before = config_json::metric(&rec.alarm);
            rec.alarm.definition = def;
            rec.alarm.configuration_updated_ms = now;
            rec.compiled = compiled;
            rec.next_due_ms = next_due_ms;
            updated(
                &name,
                alarm_type,
                now,
                &before,
                &config_json::metric(&rec.alarm),
            )
        } else {
            check_quota(&inner)?;
            let alarm = MetricAlarm {
                definition: def,
                alarm_arn: self.place().alarm_arn(&name),
                state: initial_state(now),
                configuration_updated_ms: now,
            };
            let item = history::config_update(
                &name,
                alarm_type,
                now,
                ConfigChange::Create,
                &config_json::metric(&alarm),
                None,
            );
            inner.metrics.insert(
                name.clone(),
                MetricRecord {
                    alarm,
                    compiled,
                    tags,
                    next_due_ms,
                },
            );
            item
        };
        inner.history.push(item, now);
        save(&inner)
    }

    /// PutCompositeAlarm: checks the rule (syntax, that every alarm it names exists, no
    /// cycle), creates or replaces the alarm, and evaluates its rule at once (a new
    /// composite leaves INSUFFICIENT_DATA right away, as in AWS); actions of that change come
    /// out of the next [`AlarmEngine::evaluate_due`].
    pub fn put_composite_alarm(&self, mut def: CompositeAlarmDefinition) -> Result<(), AlarmError> {
        validate::composite_alarm(&def, &self.place().region)?;
        let rule = rule::parse(&def.alarm_rule).map_err(AlarmError::Validation)?;
        let now = self.now();
        let mut inner = self.shared.inner.lock();
        let name = def.alarm_name.clone();
        if inner.metrics.contains_key(&name) {
            // AWS text not known: chosen.
            return Err(AlarmError::Validation(format!(
                "An alarm named {name} already exists as a metric alarm."
            )));
        }
        self.check_children(&inner, &name, &rule)?;
        let tags = std::mem::take(&mut def.tags);
        let alarm_type = AlarmType::CompositeAlarm;
        let created = !inner.composites.contains_key(&name);
        let item = if let Some(rec) = inner.composites.get_mut(&name) {
            let before = config_json::composite(&rec.alarm);
            rec.alarm.definition = def;
            rec.alarm.configuration_updated_ms = now;
            rec.rule = rule;
            updated(
                &name,
                alarm_type,
                now,
                &before,
                &config_json::composite(&rec.alarm),
            )
        } else {
            check_quota(&inner)?;
            let alarm = CompositeAlarm {
                definition: def,
                alarm_arn: self.place().alarm_arn(&name),
                state: initial_state(now),
                configuration_updated_ms: now,
            };
            let item = history::config_update(
                &name,
                alarm_type,
                now,
                ConfigChange::Create,
                &config_json::composite(&alarm),
                None,
            );
            inner
                .composites
                .insert(name.clone(), CompositeRecord { alarm, rule, tags });
            item
        };
        inner.history.push(item, now);

        // Evaluate the rule now: "was created/updated and its alarm rule evaluates to X".
        let mut actions = Vec::new();
        let target = composite_target(&inner, self.place(), &name);
        if let Some(target) = target
            && inner
                .composites
                .get(&name)
                .is_some_and(|r| r.alarm.state.value != target)
        {
            let arn = self.place().alarm_arn(&name);
            let reason = reason::composite_config_reason(&arn, created, target);
            actions.extend(self.transition_composite(
                &mut inner,
                &name,
                target,
                reason,
                None,
                &[],
                now,
            ));
            actions.extend(self.settle_composites(&mut inner, vec![name.clone()], now));
        }
        inner.pending.extend(actions);
        save(&inner)
    }

    /// The rule names only existing alarms, not the composite itself, and makes no cycle.
    fn check_children(&self, inner: &Inner, name: &str, rule: &Rule) -> Result<(), AlarmError> {
        let place = self.place();
        let mut missing = Vec::new();
        for child in rule.children() {
            let child = place.name_of(child);
            if child == name {
                // AWS text not known: chosen.
                return Err(AlarmError::Validation(format!(
                    "Error in AlarmRule [The alarm {name} cannot reference itself]"
                )));
            }
            if !inner.metrics.contains_key(child) && !inner.composites.contains_key(child) {
                missing.push(child.to_owned());
            }
        }
        if !missing.is_empty() {
            // Text cited by the facts file (CloudFormation user guide issue #911); the list
            // format is chosen.
            return Err(AlarmError::Validation(format!(
                "Could not save the composite alarm as alarms [{}] in the alarm rule do not exist",
                missing.join(", ")
            )));
        }
        // A cycle exists if `name` is reachable from its children through composite rules.
        let mut stack: Vec<String> = rule
            .children()
            .into_iter()
            .map(|c| place.name_of(c).to_owned())
            .collect();
        let mut seen: Vec<String> = Vec::new();
        while let Some(n) = stack.pop() {
            if n == name {
                // AWS text not known: chosen.
                return Err(AlarmError::Validation(format!(
                    "Error in AlarmRule [The rule of {name} makes a cycle of composite alarms]"
                )));
            }
            if seen.contains(&n) {
                continue;
            }
            if let Some(c) = inner.composites.get(&n) {
                stack.extend(
                    c.rule
                        .children()
                        .into_iter()
                        .map(|c| place.name_of(c).to_owned()),
                );
            }
            seen.push(n);
        }
        Ok(())
    }

    /// DescribeAlarms: alarms in name order, filtered, one page.
    pub fn describe_alarms(&self, q: &DescribeAlarmsQuery) -> Result<AlarmsPage, AlarmError> {
        let limit = describe::check(q)?;
        let after = q
            .next_token
            .as_deref()
            .map(describe::parse_token)
            .transpose()?;
        let inner = self.shared.inner.lock();
        let place = self.place();
        // The candidate names, sorted.
        let relation: Option<Vec<String>> = if let Some(parent) = &q.children_of_alarm_name {
            Some(
                inner
                    .composites
                    .get(parent.as_str())
                    .map(|c| {
                        c.rule
                            .children()
                            .into_iter()
                            .map(|n| place.name_of(n).to_owned())
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        } else {
            q.parents_of_alarm_name.as_ref().map(|child| {
                inner
                    .composites
                    .values()
                    .filter(|c| c.rule.children().iter().any(|n| place.name_of(n) == child))
                    .map(|c| c.alarm.definition.alarm_name.clone())
                    .collect()
            })
        };
        let types: &[AlarmType] = if relation.is_some() {
            &[AlarmType::MetricAlarm, AlarmType::CompositeAlarm]
        } else if q.alarm_types.is_empty() {
            &[AlarmType::MetricAlarm]
        } else {
            &q.alarm_types
        };
        let mut names: Vec<&str> = Vec::new();
        if types.contains(&AlarmType::MetricAlarm) {
            names.extend(inner.metrics.keys().map(String::as_str));
        }
        if types.contains(&AlarmType::CompositeAlarm) {
            names.extend(inner.composites.keys().map(String::as_str));
        }
        names.sort_unstable();
        let action_match = |lists: [&Vec<String>; 3]| {
            q.action_prefix.as_ref().is_none_or(|p| {
                lists
                    .iter()
                    .any(|l| l.iter().any(|a| a.starts_with(p.as_str())))
            })
        };
        let mut page = AlarmsPage::default();
        let mut taken = 0usize;
        for name in names {
            if after.as_deref().is_some_and(|a| name <= a) {
                continue;
            }
            if let Some(r) = &relation
                && !r.iter().any(|n| n == name)
            {
                continue;
            }
            if !q.alarm_names.is_empty() && !q.alarm_names.iter().any(|n| n == name) {
                continue;
            }
            if q.alarm_name_prefix
                .as_ref()
                .is_some_and(|p| !name.starts_with(p.as_str()))
            {
                continue;
            }
            let (state, lists) = if let Some(m) = inner.metrics.get(name) {
                let d = &m.alarm.definition;
                (
                    m.alarm.state.value,
                    [
                        &d.ok_actions,
                        &d.alarm_actions,
                        &d.insufficient_data_actions,
                    ],
                )
            } else if let Some(c) = inner.composites.get(name) {
                let d = &c.alarm.definition;
                (
                    c.alarm.state.value,
                    [
                        &d.ok_actions,
                        &d.alarm_actions,
                        &d.insufficient_data_actions,
                    ],
                )
            } else {
                continue;
            };
            if q.state_value.is_some_and(|s| s != state) || !action_match(lists) {
                continue;
            }
            if taken == limit {
                page.next_token = Some(describe::token(&last_name(&page)));
                break;
            }
            taken += 1;
            if let Some(m) = inner.metrics.get(name) {
                page.metric_alarms.push(m.alarm.clone());
            } else if let Some(c) = inner.composites.get(name) {
                page.composite_alarms.push(c.alarm.clone());
            }
        }
        Ok(page)
    }

    /// DescribeAlarmsForMetric: the single-metric alarms on that metric (and statistic,
    /// period, unit when given).
    pub fn describe_alarms_for_metric(&self, q: &ForMetricQuery) -> Vec<MetricAlarm> {
        let inner = self.shared.inner.lock();
        inner
            .metrics
            .values()
            .filter(|m| describe::for_metric(&m.alarm, q))
            .map(|m| m.alarm.clone())
            .collect()
    }

    /// DescribeAlarmHistory.
    pub fn describe_alarm_history(&self, q: &HistoryQuery) -> Result<HistoryPage, AlarmError> {
        if let Some(m) = q.max_records
            && !(1..=100).contains(&m)
        {
            return Err(AlarmError::Validation(format!(
                "1 validation error detected: Value '{m}' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100"
            )));
        }
        let now = self.now();
        self.shared.inner.lock().history.query(q, now)
    }

    /// DeleteAlarms: deletes the named alarms; unknown names are ignored (current model
    /// doc). Refused, deleting nothing, when a composite alarm not being deleted names one of
    /// them, or when more than one composite alarm is named.
    pub fn delete_alarms(&self, names: &[String]) -> Result<(), AlarmError> {
        let now = self.now();
        let mut inner = self.shared.inner.lock();
        let place = self.place();
        let composites = names
            .iter()
            .filter(|n| inner.composites.contains_key(n.as_str()))
            .count();
        if composites > 1 {
            // Model doc: at most one composite alarm per call. AWS text not known: chosen.
            return Err(AlarmError::Validation(
                "You can delete at most one composite alarm per DeleteAlarms call.".to_owned(),
            ));
        }
        let mut blocked: Vec<&str> = Vec::new();
        for name in names {
            let depended = inner.composites.values().any(|c| {
                !names.contains(&c.alarm.definition.alarm_name)
                    && c.rule.children().iter().any(|n| place.name_of(n) == name)
            });
            let exists = inner.metrics.contains_key(name) || inner.composites.contains_key(name);
            if exists && depended && !blocked.contains(&name.as_str()) {
                blocked.push(name);
            }
        }
        if !blocked.is_empty() {
            // Real texts (cloud-custodian #7763, aws-nuke #462).
            let (pronoun, list) = (
                if blocked.len() == 1 { "it" } else { "them" },
                blocked.join(","),
            );
            return Err(AlarmError::Validation(format!(
                "Cannot delete {list} as there are composite alarm(s) depending on {pronoun}."
            )));
        }
        for name in names {
            let item = if let Some(rec) = inner.metrics.remove(name) {
                history::config_update(
                    name,
                    AlarmType::MetricAlarm,
                    now,
                    ConfigChange::Delete,
                    &config_json::metric(&rec.alarm),
                    None,
                )
            } else if let Some(rec) = inner.composites.remove(name) {
                history::config_update(
                    name,
                    AlarmType::CompositeAlarm,
                    now,
                    ConfigChange::Delete,
                    &config_json::composite(&rec.alarm),
                    None,
                )
            } else {
                continue;
            };
            inner.history.push(item, now);
        }
        save(&inner)
    }

    /// SetAlarmState: sets the state (recording a StateUpdate even when the value stays),
    /// and returns the actions of a value change, including those of composite alarms
    /// that change because of it. A metric alarm's next evaluation overrides the state.
    pub fn set_alarm_state(
        &self,
        name: &str,
        state: AlarmState,
        reason: &str,
        reason_data: Option<&str>,
    ) -> Result<Vec<ActionRequest>, AlarmError> {
        if reason.chars().count() > 1023 {
            return Err(AlarmError::Validation(
                "1 validation error detected: Value at 'stateReason' failed to satisfy constraint: Member must have length less than or equal to 1023".to_owned(),
            ));
        }
        if let Some(d) = reason_data {
            if d.chars().count() > 4000 {
                return Err(AlarmError::Validation(
                    "1 validation error detected: Value at 'stateReasonData' failed to satisfy constraint: Member must have length less than or equal to 4000".to_owned(),
                ));
            }
            if serde_json::from_str::<serde_json::Value>(d).is_err() {
                // AWS text not known: chosen (moto's text before 2021).
                return Err(AlarmError::InvalidFormat(
                    "StateReasonData is invalid JSON".to_owned(),
                ));
            }
        }
        let now = self.now();
        let mut inner = self.shared.inner.lock();
        let data = reason_data.map(str::to_owned);
        let mut actions = if inner.metrics.contains_key(name) {
            self.transition_metric(&mut inner, name, state, reason.to_owned(), data, now)
        } else if inner.composites.contains_key(name) {
            self.transition_composite(&mut inner, name, state, reason.to_owned(), data, &[], now)
        } else {
            return Err(AlarmError::ResourceNotFound(None));
        };
        actions.extend(self.settle_composites(&mut inner, vec![name.to_owned()], now));
        save(&inner)?;
        Ok(actions)
    }

    /// EnableAlarmActions; unknown names are ignored.
    pub fn enable_alarm_actions(&self, names: &[String]) -> Result<(), AlarmError> {
        self.set_actions_enabled(names, true)
    }

    /// DisableAlarmActions; unknown names are ignored.
    pub fn disable_alarm_actions(&self, names: &[String]) -> Result<(), AlarmError> {
        self.set_actions_enabled(names, false)
    }

    fn set_actions_enabled(&self, names: &[String], on: bool) -> Result<(), AlarmError> {
        let mut inner = self.shared.inner.lock();
        for name in names {
            if let Some(m) = inner.metrics.get_mut(name) {
                m.alarm.definition.actions_enabled = Some(on);
            } else if let Some(c) = inner.composites.get_mut(name) {
                c.alarm.definition.actions_enabled = Some(on);
            }
        }
        save(&inner)
    }

    fn tags_of<'a>(&self, inner: &'a mut Inner, arn: &str) -> Option<&'a mut Vec<Tag>> {
        let name = arn.strip_prefix(self.place().arn_prefix().as_str())?;
        if let Some(m) = inner.metrics.get_mut(name) {
            Some(&mut m.tags)
        } else {
            inner.composites.get_mut(name).map(|c| &mut c.tags)
        }
    }

    fn not_found(arn: &str) -> AlarmError {
        AlarmError::ResourceNotFoundException {
            resource_type: "Alarm".to_owned(),
            resource_id: arn.to_owned(),
            // AWS text not known: chosen.
            message: format!("The resource {arn} does not exist."),
        }
    }

    /// TagResource: adds tags, replacing the values of keys already there.
    pub fn tag_resource(&self, arn: &str, tags: Vec<Tag>) -> Result<(), AlarmError> {
        validate::check_tags(&tags)?;
        let mut inner = self.shared.inner.lock();
        let current = self
            .tags_of(&mut inner, arn)
            .ok_or_else(|| Self::not_found(arn))?;
        let mut merged = current.clone();
        for t in tags {
            match merged.iter_mut().find(|c| c.key == t.key) {
                Some(c) => c.value = t.value,
                None => merged.push(t),
            }
        }
        validate::check_tags(&merged)?;
        *current = merged;
        save(&inner)
    }

    /// UntagResource: removes the tags with these keys (absent keys are ignored).
    pub fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), AlarmError> {
        let mut inner = self.shared.inner.lock();
        let current = self
            .tags_of(&mut inner, arn)
            .ok_or_else(|| Self::not_found(arn))?;
        current.retain(|t| !keys.contains(&t.key));
        save(&inner)
    }

    /// ListTagsForResource: an alarm's tags; none for an alarm ARN of this Region and
    /// account that names no alarm (AWS answers `[]` for a deleted alarm).
    pub fn list_tags_for_resource(&self, arn: &str) -> Result<Vec<Tag>, AlarmError> {
        let mut inner = self.shared.inner.lock();
        if let Some(tags) = self.tags_of(&mut inner, arn) {
            return Ok(tags.clone());
        }
        if arn.starts_with(self.place().arn_prefix().as_str()) {
            Ok(Vec::new())
        } else {
            Err(Self::not_found(arn))
        }
    }

    /// Records the outcome of delivering an action as an `Action` history item
    /// (`Successfully executed action <arn>` or `Failed to execute action <arn>. Reason:
    /// <detail>`), timestamped as the state change it follows.
    pub fn record_action_result(&self, action: &ActionRequest, ok: bool, detail: &str) {
        let now = self.now();
        let mut inner = self.shared.inner.lock();
        let alarm_type = if inner.composites.contains_key(&action.alarm_name) {
            AlarmType::CompositeAlarm
        } else {
            AlarmType::MetricAlarm
        };
        let published = (ok && action.kind == ActionKind::Sns).then_some(action.payload.as_str());
        let item = history::action(
            &action.alarm_name,
            alarm_type,
            action.state_updated_ms,
            &action.target_arn,
            ok,
            detail,
            published,
        );
        inner.history.push(item, now);
        // History is best effort here: there is no caller to tell.
        let _ = save(&inner);
    }

    /// Evaluates every metric alarm due at the clock's now (each once a minute, or every
    /// 10 s for periods of 10, 20, 30 s; a clock that jumped gives one evaluation, at the
    /// new time), then the composite alarms that name a changed alarm. Returns the actions
    /// of the state changes (only for alarms with actions enabled), and those of changes
    /// made since the last call outside it.
    pub fn evaluate_due(&self) -> Vec<ActionRequest> {
        let now = self.now();
        let mut inner = self.shared.inner.lock();
        let mut actions = std::mem::take(&mut inner.pending);
        let mut changed: Vec<String> = Vec::new();
        let mut transitions = Vec::new();
        let mut reads = fetch::RoundReads::default();
        for (name, rec) in &mut inner.metrics {
            if rec.next_due_ms > now {
                continue;
            }
            rec.next_due_ms =
                (now / cadence_ms(rec.compiled.period) + 1) * cadence_ms(rec.compiled.period);
            let c = &rec.compiled;
            let slots = fetch::slots(&self.shared.store, &mut reads, c, now);
            let criteria = Criteria {
                n: c.n,
                m: c.m,
                op: c.op,
                threshold: c.threshold,
                treat: c.treat,
                ignore_low_samples: c.low_samples == LowSampleCount::Ignore,
            };
            let decision = decide(&slots, &criteria);
            let Some(new) = decision.state else { continue };
            let old = rec.alarm.state.value;
            if new == old {
                continue;
            }
            let reason = reason::metric_reason(&ReasonInput {
                decision: &decision,
                n: c.n,
                m: c.m,
                m_configured: c.m_configured,
                op: c.op,
                threshold: c.threshold,
                treat: c.treat,
                old,
                new,
            });
            let d = &rec.alarm.definition;
            let data = reason::metric_reason_data(&DataInput {
                decision: &decision,
                query_ms: now,
                unit: d.unit.map(|u| u.as_str()),
                statistic: d.statistic.as_deref().or(d.extended_statistic.as_deref()),
                period: c.period,
                threshold: c.threshold,
            });
            transitions.push((name.clone(), new, reason, data));
        }
        for (name, new, reason, data) in transitions {
            actions.extend(self.transition_metric(&mut inner, &name, new, reason, Some(data), now));
            changed.push(name);
        }
        let any = !changed.is_empty();
        actions.extend(self.settle_composites(&mut inner, changed, now));
        if any {
            // Evaluation has no caller to report to; the next successful write catches up.
            let _ = save(&inner);
        }
        actions
    }

    /// When [`AlarmEngine::evaluate_due`] next has work (epoch ms); `None` without metric
    /// alarms and pending actions.
    pub fn next_due_ms(&self) -> Option<u64> {
        let inner = self.shared.inner.lock();
        if !inner.pending.is_empty() {
            return Some(self.now());
        }
        inner.metrics.values().map(|m| m.next_due_ms).min()
    }

    /// Sets a metric alarm's state, records it, and returns the actions of a value change.
    fn transition_metric(
        &self,
        inner: &mut Inner,
        name: &str,
        value: AlarmState,
        reason: String,
        reason_data: Option<String>,
        now: u64,
    ) -> Vec<ActionRequest> {
        let place = self.place();
        let Inner {
            metrics, history, ..
        } = inner;
        let Some(rec) = metrics.get_mut(name) else {
            return Vec::new();
        };
        let old = rec.alarm.state.clone();
        rec.alarm.state = next_state(&old, value, reason, reason_data, now);
        history.push(
            history::state_update(name, AlarmType::MetricAlarm, &old, &rec.alarm.state),
            now,
        );
        if old.value == value || !rec.alarm.actions_enabled() {
            return Vec::new();
        }
        let targets = actions_for(
            value,
            [
                &rec.alarm.definition.ok_actions,
                &rec.alarm.definition.alarm_actions,
                &rec.alarm.definition.insufficient_data_actions,
            ],
        );
        if targets.is_empty() {
            return Vec::new();
        }
        let sns = messages::sns_metric(
            &rec.alarm,
            &rec.compiled,
            &old,
            &place.account,
            &place.region,
        );
        let lambda = messages::lambda_metric(&rec.alarm, &old, &place.account, &place.region);
        requests(
            targets,
            &rec.alarm.definition.alarm_name,
            &rec.alarm.alarm_arn,
            AlarmType::MetricAlarm,
            &rec.alarm.state,
            &sns,
            &lambda,
            &place.region,
        )
    }

    /// Sets a composite alarm's state, records it, and returns the actions of a value
    /// change.
    #[allow(clippy::too_many_arguments)]
    fn transition_composite(
        &self,
        inner: &mut Inner,
        name: &str,
        value: AlarmState,
        reason: String,
        reason_data: Option<String>,
        triggers: &[Trigger<'_>],
        now: u64,
    ) -> Vec<ActionRequest> {
        let place = self.place();
        let Inner {
            composites,
            history,
            ..
        } = inner;
        let Some(rec) = composites.get_mut(name) else {
            return Vec::new();
        };
        let old = rec.alarm.state.clone();
        rec.alarm.state = next_state(&old, value, reason, reason_data, now);
        history.push(
            history::state_update(name, AlarmType::CompositeAlarm, &old, &rec.alarm.state),
            now,
        );
        if old.value == value || !rec.alarm.actions_enabled() {
            return Vec::new();
        }
        let targets = actions_for(
            value,
            [
                &rec.alarm.definition.ok_actions,
                &rec.alarm.definition.alarm_actions,
                &rec.alarm.definition.insufficient_data_actions,
            ],
        );
        if targets.is_empty() {
            return Vec::new();
        }
        let sns =
            messages::sns_composite(&rec.alarm, &old, triggers, &place.account, &place.region);
        let lambda = messages::lambda_composite(&rec.alarm, &old, &place.account, &place.region);
        requests(
            targets,
            &rec.alarm.definition.alarm_name,
            &rec.alarm.alarm_arn,
            AlarmType::CompositeAlarm,
            &rec.alarm.state,
            &sns,
            &lambda,
            &place.region,
        )
    }

    /// Re-evaluates the composites that name an alarm in `changed`, then those that name a
    /// composite that changed, and so on (rules have no cycles; the passes are bounded
    /// anyway).
    fn settle_composites(
        &self,
        inner: &mut Inner,
        changed: Vec<String>,
        now: u64,
    ) -> Vec<ActionRequest> {
        let place = self.place();
        let mut actions = Vec::new();
        if inner.composites.is_empty() {
            return actions;
        }
        let mut changed: HashSet<String> = changed.into_iter().collect();
        let mut passes = 0;
        while !changed.is_empty() && passes <= inner.composites.len() {
            passes += 1;
            let affected: Vec<String> = inner
                .composites
                .values()
                .filter(|c| {
                    c.rule
                        .children()
                        .iter()
                        .any(|n| changed.contains(place.name_of(n)))
                })
                .map(|c| c.alarm.definition.alarm_name.clone())
                .collect();
            changed.clear();
            for name in affected {
                let Some(target) = composite_target(inner, place, &name) else {
                    continue;
                };
                let Some(rec) = inner.composites.get(&name) else {
                    continue;
                };
                if rec.alarm.state.value == target {
                    continue;
                }
                // The children that changed last triggered the change.
                let children: Vec<(String, AlarmState, u64)> = rec
                    .rule
                    .children()
                    .into_iter()
                    .filter_map(|n| {
                        let n = place.name_of(n);
                        state_of(inner, n).map(|s| (place.alarm_arn(n), s.value, s.transitioned_ms))
                    })
                    .collect();
                let latest = children.iter().map(|c| c.2).max().unwrap_or(now);
                let triggers: Vec<Trigger<'_>> = children
                    .iter()
                    .filter(|c| c.2 == latest)
                    .map(|c| Trigger {
                        arn: &c.0,
                        state: c.1,
                        transitioned_ms: c.2,
                    })
                    .collect();
                let (reason, data) = match triggers.first() {
                    Some(t) => (
                        reason::composite_child_reason(t),
                        Some(reason::composite_reason_data(&triggers)),
                    ),
                    None => (
                        reason::composite_config_reason(&place.alarm_arn(&name), false, target),
                        None,
                    ),
                };
                actions.extend(
                    self.transition_composite(inner, &name, target, reason, data, &triggers, now),
                );
                changed.insert(name);
            }
        }
        actions
    }
}

/// The state a composite's rule asks for now: ALARM when true, else OK.
fn composite_target(inner: &Inner, place: &Place, name: &str) -> Option<AlarmState> {
    let rec = inner.composites.get(name)?;
    let truth = rec
        .rule
        .eval(&|child| state_of(inner, place.name_of(child)).map(|s| s.value));
    Some(if truth {
        AlarmState::Alarm
    } else {
        AlarmState::Ok
    })
}

fn state_of<'a>(inner: &'a Inner, name: &str) -> Option<&'a StateInfo> {
    inner
        .metrics
        .get(name)
        .map(|m| &m.alarm.state)
        .or_else(|| inner.composites.get(name).map(|c| &c.alarm.state))
}

fn initial_state(now: u64) -> StateInfo {
    StateInfo {
        value: AlarmState::InsufficientData,
        reason: INITIAL_REASON.to_owned(),
        reason_data: None,
        updated_ms: now,
        transitioned_ms: now,
    }
}

fn next_state(
    old: &StateInfo,
    value: AlarmState,
    reason: String,
    reason_data: Option<String>,
    now: u64,
) -> StateInfo {
    StateInfo {
        value,
        reason,
        reason_data,
        updated_ms: now,
        transitioned_ms: if old.value == value {
            old.transitioned_ms
        } else {
            now
        },
    }
}

fn actions_for(value: AlarmState, lists: [&Vec<String>; 3]) -> Vec<String> {
    let [ok, alarm, insufficient] = lists;
    match value {
        AlarmState::Ok => ok.clone(),
        AlarmState::Alarm => alarm.clone(),
        AlarmState::InsufficientData => insufficient.clone(),
    }
}

#[allow(clippy::too_many_arguments)]
fn requests(
    targets: Vec<String>,
    name: &str,
    arn: &str,
    alarm_type: AlarmType,
    state: &StateInfo,
    sns: &str,
    lambda: &str,
    region: &str,
) -> Vec<ActionRequest> {
    let subject = messages::subject(state.value.as_str(), name, region);
    targets
        .into_iter()
        .map(|target| {
            let kind = validate::classify(&target);
            let payload = if kind == ActionKind::Sns { sns } else { lambda };
            ActionRequest {
                target_arn: target,
                kind,
                alarm_name: name.to_owned(),
                alarm_arn: arn.to_owned(),
                alarm_type,
                new_state: state.value,
                state_updated_ms: state.updated_ms,
                payload: payload.to_owned(),
                subject: subject.clone(),
            }
        })
        .collect()
}

fn last_name(page: &AlarmsPage) -> String {
    let m = page
        .metric_alarms
        .last()
        .map(|a| a.definition.alarm_name.as_str());
    let c = page
        .composite_alarms
        .last()
        .map(|a| a.definition.alarm_name.as_str());
    m.max(c).unwrap_or("").to_owned()
}

/// Writes the data file if the engine has a data directory.
fn save(inner: &Inner) -> Result<(), AlarmError> {
    let Some(dir) = &inner.data_dir else {
        return Ok(());
    };
    let snap = persist::SnapshotRef::new(
        inner
            .metrics
            .values()
            .map(|m| (&m.alarm, &m.tags))
            .collect(),
        inner
            .composites
            .values()
            .map(|c| (&c.alarm, &c.tags))
            .collect(),
        &inner.history,
    );
    persist::save(dir, &snap)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_engine_is_send_and_sync() {
        fn check<T: Send + Sync + Clone>() {}
        check::<super::AlarmEngine>();
    }
}
