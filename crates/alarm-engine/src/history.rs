//! Alarm history: the items, their HistoryData JSON (facts file section 4), retention and
//! DescribeAlarmHistory's filters and paging.
//!
//! Items are kept in the order they are recorded, each with a sequence number; paging walks
//! that order (newest first by default), which follows the timestamps except that an Action
//! item carries the timestamp of the state change it follows, as in AWS. History outlives its
//! alarm, for two weeks (User Guide), and at most [`MAX_ITEMS`] items are kept.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::error::AlarmError;
use crate::model::{AlarmType, StateInfo};

/// How long history is kept: two weeks (User Guide, "Common features").
pub(crate) const RETENTION_MS: u64 = 14 * 24 * 3600 * 1000;
/// Most items kept (ours: a bound on memory and on the data file).
pub(crate) const MAX_ITEMS: usize = 100_000;
/// DescribeAlarmHistory's page size when MaxRecords is absent (the model states none; 100
/// is its maximum, chosen).
const DEFAULT_PAGE: usize = 100;

/// `HistoryItemType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HistoryItemType {
    /// `ConfigurationUpdate`: create, update, delete.
    ConfigurationUpdate,
    /// `StateUpdate`: a state change.
    StateUpdate,
    /// `Action`: an action's delivery.
    Action,
}

impl HistoryItemType {
    /// AWS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryItemType::ConfigurationUpdate => "ConfigurationUpdate",
            HistoryItemType::StateUpdate => "StateUpdate",
            HistoryItemType::Action => "Action",
        }
    }

    /// Parses AWS's spelling (the contributor types are `None`).
    pub fn parse(s: &str) -> Option<HistoryItemType> {
        match s {
            "ConfigurationUpdate" => Some(HistoryItemType::ConfigurationUpdate),
            "StateUpdate" => Some(HistoryItemType::StateUpdate),
            "Action" => Some(HistoryItemType::Action),
            _ => None,
        }
    }
}

/// An `AlarmHistoryItem`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryItem {
    /// `AlarmName`.
    pub alarm_name: String,
    /// `AlarmType`.
    pub alarm_type: AlarmType,
    /// `Timestamp`, epoch ms.
    pub timestamp_ms: u64,
    /// `HistoryItemType`.
    pub item_type: HistoryItemType,
    /// `HistorySummary`.
    pub summary: String,
    /// `HistoryData` (JSON text).
    pub data: String,
}

/// `ScanBy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScanBy {
    /// `TimestampDescending` (the default): newest first.
    #[default]
    TimestampDescending,
    /// `TimestampAscending`: oldest first.
    TimestampAscending,
}

/// DescribeAlarmHistory's input.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    /// `AlarmName`: one alarm's history (also after its deletion).
    pub alarm_name: Option<String>,
    /// `AlarmTypes`; empty means metric alarms only (model doc).
    pub alarm_types: Vec<AlarmType>,
    /// `HistoryItemType`.
    pub item_type: Option<HistoryItemType>,
    /// `StartDate`, epoch ms, inclusive.
    pub start_ms: Option<u64>,
    /// `EndDate`, epoch ms, inclusive.
    pub end_ms: Option<u64>,
    /// `ScanBy`.
    pub scan_by: ScanBy,
    /// `MaxRecords` (1..100; default 100).
    pub max_records: Option<u32>,
    /// `NextToken` from a previous page.
    pub next_token: Option<String>,
}

/// A page of history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPage {
    /// `AlarmHistoryItems`.
    pub items: Vec<HistoryItem>,
    /// `NextToken`, if more items match.
    pub next_token: Option<String>,
}

/// The history of every alarm, oldest first.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(crate) struct History {
    items: VecDeque<(u64, HistoryItem)>,
    next_seq: u64,
}

/// `Request parameter NextToken is invalid` (moto's text for the same error; AWS's is not
/// known).
pub(crate) fn bad_token() -> AlarmError {
    AlarmError::InvalidNextToken("Request parameter NextToken is invalid".to_owned())
}

impl History {
    /// Appends an item, dropping what is past retention or over the cap.
    pub(crate) fn push(&mut self, item: HistoryItem, now_ms: u64) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.items.push_back((seq, item));
        let horizon = now_ms.saturating_sub(RETENTION_MS);
        while let Some((_, front)) = self.items.front() {
            if front.timestamp_ms < horizon || self.items.len() > MAX_ITEMS {
                self.items.pop_front();
            } else {
                break;
            }
        }
    }

    /// One page of the items matching `q`.
    pub(crate) fn query(&self, q: &HistoryQuery, now_ms: u64) -> Result<HistoryPage, AlarmError> {
        let limit = q
            .max_records
            .map_or(DEFAULT_PAGE, |m| m.clamp(1, 100) as usize);
        let after: Option<u64> = match &q.next_token {
            Some(t) => Some(parse_token(t)?),
            None => None,
        };
        let types: &[AlarmType] = if q.alarm_types.is_empty() {
            &[AlarmType::MetricAlarm]
        } else {
            &q.alarm_types
        };
        let horizon = now_ms.saturating_sub(RETENTION_MS);
        let matches = |(seq, it): &&(u64, HistoryItem)| {
            it.timestamp_ms >= horizon
                && q.alarm_name.as_ref().is_none_or(|n| *n == it.alarm_name)
                && types.contains(&it.alarm_type)
                && q.item_type.is_none_or(|t| t == it.item_type)
                && q.start_ms.is_none_or(|s| it.timestamp_ms >= s)
                && q.end_ms.is_none_or(|e| it.timestamp_ms <= e)
                && match (after, q.scan_by) {
                    (None, _) => true,
                    (Some(a), ScanBy::TimestampDescending) => *seq <= a,
                    (Some(a), ScanBy::TimestampAscending) => *seq >= a,
                }
        };
        let mut picked: Vec<&(u64, HistoryItem)> = match q.scan_by {
            ScanBy::TimestampDescending => self
                .items
                .iter()
                .rev()
                .filter(matches)
                .take(limit + 1)
                .collect(),
            ScanBy::TimestampAscending => {
                self.items.iter().filter(matches).take(limit + 1).collect()
            }
        };
        let next_token = if picked.len() > limit {
            picked.pop().map(|(seq, _)| token(*seq))
        } else {
            None
        };
        Ok(HistoryPage {
            items: picked.into_iter().map(|(_, it)| it.clone()).collect(),
            next_token,
        })
    }
}

fn token(seq: u64) -> String {
    format!("h1-{seq:016x}")
}

fn parse_token(t: &str) -> Result<u64, AlarmError> {
    t.strip_prefix("h1-")
        .filter(|h| h.len() == 16)
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .ok_or_else(bad_token)
}

/// `{"stateValue":..,"stateReason":..,"stateReasonData":{..}}`; the reason data, JSON
/// already, is embedded as an object, keys in their own order.
fn state_json(s: &StateInfo) -> String {
    let mut out = format!(
        "{{\"stateValue\":{},\"stateReason\":{}",
        json_str(s.value.as_str()),
        json_str(&s.reason)
    );
    // Reason data is JSON: made here, or checked by SetAlarmState.
    if let Some(d) = &s.reason_data {
        out.push_str(",\"stateReasonData\":");
        out.push_str(d);
    }
    out.push('}');
    out
}

pub(crate) fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// The StateUpdate item of a state change: summary `Alarm updated from OK to ALARM`.
pub(crate) fn state_update(
    name: &str,
    alarm_type: AlarmType,
    old: &StateInfo,
    new: &StateInfo,
) -> HistoryItem {
    HistoryItem {
        alarm_name: name.to_owned(),
        alarm_type,
        timestamp_ms: new.updated_ms,
        item_type: HistoryItemType::StateUpdate,
        summary: format!(
            "Alarm updated from {} to {}",
            old.value.as_str(),
            new.value.as_str()
        ),
        data: format!(
            "{{\"version\":\"1.0\",\"oldState\":{},\"newState\":{}}}",
            state_json(old),
            state_json(new)
        ),
    }
}

/// Create, update or delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConfigChange {
    Create,
    Update,
    Delete,
}

/// The ConfigurationUpdate item. `config` is the alarm's configuration JSON object
/// (`createdAlarm` / `updatedAlarm` / `deletedAlarm`); for an update, `original` holds the
/// changed fields' old values.
pub(crate) fn config_update(
    name: &str,
    alarm_type: AlarmType,
    at_ms: u64,
    change: ConfigChange,
    config: &str,
    original: Option<&str>,
) -> HistoryItem {
    // Create: real text and payload. Update: summary presumed, keys from tools that parse
    // real history. Delete: type `Delete` seen; summary and key not known: chosen.
    let (summary, kind, key) = match change {
        ConfigChange::Create => ("created", "Create", "createdAlarm"),
        ConfigChange::Update => ("updated", "Update", "updatedAlarm"),
        ConfigChange::Delete => ("deleted", "Delete", "deletedAlarm"),
    };
    let mut data = format!("{{\"version\":\"1.0\",\"type\":\"{kind}\",\"{key}\":{config}");
    if let Some(o) = original {
        data.push_str(",\"originalUpdatedFields\":");
        data.push_str(o);
    }
    data.push('}');
    HistoryItem {
        alarm_name: name.to_owned(),
        alarm_type,
        timestamp_ms: at_ms,
        item_type: HistoryItemType::ConfigurationUpdate,
        summary: format!("Alarm {} {summary}", json_str(name)),
        data,
    }
}

/// The fields of `new` whose values differ from `old`, with their old values, as a JSON
/// object (both are JSON objects).
pub(crate) fn changed_fields(old: &str, new: &str) -> String {
    let (Ok(serde_json::Value::Object(o)), Ok(serde_json::Value::Object(n))) = (
        serde_json::from_str::<serde_json::Value>(old),
        serde_json::from_str::<serde_json::Value>(new),
    ) else {
        return "{}".to_owned();
    };
    let mut out = serde_json::Map::new();
    for (k, old_v) in &o {
        if n.get(k) != Some(old_v) {
            out.insert(k.clone(), old_v.clone());
        }
    }
    serde_json::Value::Object(out).to_string()
}

/// The Action item of a delivered (or failed) action.
pub(crate) fn action(
    name: &str,
    alarm_type: AlarmType,
    state_updated_ms: u64,
    target: &str,
    ok: bool,
    detail: &str,
    published: Option<&str>,
) -> HistoryItem {
    let summary = if ok {
        format!("Successfully executed action {target}")
    } else {
        format!("Failed to execute action {target}. Reason: {detail}")
    };
    let mut data = format!(
        "{{\"actionState\":\"{}\",\"stateUpdateTimestamp\":{state_updated_ms},\"notificationResource\":{}",
        if ok { "Succeeded" } else { "Failed" },
        json_str(target)
    );
    if let Some(p) = published {
        let wrapped = format!("{{\"default\":{}}}", json_str(p));
        data.push_str(",\"publishedMessage\":");
        data.push_str(&json_str(&wrapped));
    }
    if !ok {
        // Ours: the failure's cause, for the curious.
        data.push_str(",\"error\":");
        data.push_str(&json_str(detail));
    }
    data.push('}');
    // HistorySummary is at most 255 characters.
    let summary: String = summary.chars().take(255).collect();
    HistoryItem {
        alarm_name: name.to_owned(),
        alarm_type,
        timestamp_ms: state_updated_ms,
        item_type: HistoryItemType::Action,
        summary,
        data,
    }
}
