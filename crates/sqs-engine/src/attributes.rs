//! Queue attributes: the settable ones with their ranges, those kept without effect, and the
//! GetQueueAttributes listing.

use std::collections::BTreeMap;

use crate::fifo::{DeduplicationScope, FifoSettings, ThroughputLimit};
use crate::queue::{Depth, Queue};
use crate::redrive::{self, RedrivePolicy};
use crate::{MAX_MESSAGE_BYTES, MAX_WAIT_SECS, SqsError};

/// Longest visibility timeout, in seconds (12 hours).
pub const MAX_VISIBILITY_SECS: u32 = 43_200;

/// A queue's settable attributes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Settings {
    pub(crate) delay_seconds: u32,
    pub(crate) maximum_message_size: u32,
    pub(crate) message_retention_period: u32,
    pub(crate) receive_message_wait_time_seconds: u32,
    pub(crate) visibility_timeout: u32,
    /// The RedrivePolicy in force, if any ([`crate::redrive`]).
    pub(crate) redrive: Option<RedrivePolicy>,
    /// A FIFO queue's settings; `None` for a standard queue. Fixed at creation.
    pub(crate) fifo: Option<FifoSettings>,
    /// Attributes kept and returned as given (Policy, RedriveAllowPolicy, KMS settings...);
    /// RedrivePolicy as SQS writes it back.
    opaque: BTreeMap<String, String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            delay_seconds: 0,
            // SQS's default since August 2025 (it was 256 KiB).
            maximum_message_size: 1_048_576,
            message_retention_period: 345_600,
            receive_message_wait_time_seconds: 0,
            visibility_timeout: 30,
            redrive: None,
            fifo: None,
            opaque: BTreeMap::new(),
        }
    }
}

/// A boolean attribute: `true` or `false`, in any case, as SQS reads them.
fn bool_attribute(name: &str, value: &str) -> Result<bool, SqsError> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(SqsError::InvalidAttributeValue(name.to_string())),
    }
}

/// Attributes accepted and returned without effect here.
const OPAQUE_ATTRIBUTES: &[&str] = &[
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
];

fn range_attribute(
    name: &str,
    value: &str,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, SqsError> {
    value
        .parse::<u32>()
        .ok()
        .filter(|v| range.contains(v))
        .ok_or_else(|| SqsError::InvalidAttributeValue(name.to_string()))
}

impl Settings {
    /// Applies `attributes` in name order, stopping at the first that is unknown or out of
    /// range.
    pub(crate) fn apply(&mut self, attributes: &BTreeMap<String, String>) -> Result<(), SqsError> {
        for (name, value) in attributes {
            match name.as_str() {
                "DelaySeconds" => self.delay_seconds = range_attribute(name, value, 0..=900)?,
                "MaximumMessageSize" => {
                    self.maximum_message_size =
                        range_attribute(name, value, 1024..=MAX_MESSAGE_BYTES as u32)?;
                }
                "MessageRetentionPeriod" => {
                    self.message_retention_period = range_attribute(name, value, 60..=1_209_600)?;
                }
                "ReceiveMessageWaitTimeSeconds" => {
                    self.receive_message_wait_time_seconds =
                        range_attribute(name, value, 0..=MAX_WAIT_SECS)?;
                }
                "VisibilityTimeout" => {
                    self.visibility_timeout =
                        range_attribute(name, value, 0..=MAX_VISIBILITY_SECS)?;
                }
                // The queue type is chosen at creation ([`Settings::new`]) and never changes.
                "FifoQueue" => {
                    if self.fifo.is_none() {
                        return Err(SqsError::InvalidAttributeName(name.clone()));
                    }
                    if !bool_attribute(name, value)? {
                        return Err(SqsError::InvalidAttributeValueBecause(
                            name.clone(),
                            "Modifying queue type is not supported.".into(),
                        ));
                    }
                }
                "ContentBasedDeduplication" => {
                    let Some(fifo) = &mut self.fifo else {
                        return Err(SqsError::InvalidAttributeName(name.clone()));
                    };
                    fifo.content_based_deduplication = bool_attribute(name, value)?;
                }
                "DeduplicationScope" => {
                    let Some(fifo) = &mut self.fifo else {
                        return Err(SqsError::FifoOnlyAttribute(name.clone()));
                    };
                    fifo.deduplication_scope = DeduplicationScope::parse(value)
                        .ok_or_else(|| SqsError::InvalidAttributeValue(name.clone()))?;
                }
                "FifoThroughputLimit" => {
                    let Some(fifo) = &mut self.fifo else {
                        return Err(SqsError::FifoOnlyAttribute(name.clone()));
                    };
                    fifo.throughput_limit = ThroughputLimit::parse(value)
                        .ok_or_else(|| SqsError::InvalidAttributeValue(name.clone()))?;
                }
                // An empty value removes the policy, as SQS does.
                "RedrivePolicy" if value.is_empty() => {
                    self.redrive = None;
                    self.opaque.remove(name);
                }
                "RedrivePolicy" => {
                    let policy = redrive::parse(value)?;
                    self.opaque.insert(name.clone(), policy.to_json());
                    self.redrive = Some(policy);
                }
                other if OPAQUE_ATTRIBUTES.contains(&other) && value.is_empty() => {
                    self.opaque.remove(name);
                }
                other if OPAQUE_ATTRIBUTES.contains(&other) => {
                    self.opaque.insert(name.clone(), value.clone());
                }
                other => return Err(SqsError::InvalidAttributeName(other.to_string())),
            }
        }
        // High throughput needs per-group deduplication (CreateQueue's documentation:
        // perMessageGroupId "is allowed only when the value for DeduplicationScope is
        // messageGroup").
        if let Some(fifo) = &self.fifo
            && fifo.throughput_limit == ThroughputLimit::PerMessageGroupId
            && fifo.deduplication_scope != DeduplicationScope::MessageGroup
        {
            return Err(SqsError::InvalidAttributeValue(
                "FifoThroughputLimit".to_string(),
            ));
        }
        Ok(())
    }

    /// The settings of a new queue: FIFO if `attributes` set FifoQueue to true (a false
    /// one is refused by [`Settings::apply`] as SQS does, as unknown on a standard queue).
    pub(crate) fn new(attributes: &BTreeMap<String, String>) -> Settings {
        let fifo = attributes
            .get("FifoQueue")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        Settings {
            fifo: fifo.then(FifoSettings::default),
            ..Settings::default()
        }
    }

    /// A stored attribute of those kept as given (RedriveAllowPolicy, Policy...).
    pub(crate) fn kept(&self, name: &str) -> Option<&str> {
        self.opaque.get(name).map(String::as_str)
    }

    /// The first attribute of `attributes` whose value differs from these settings'.
    pub(crate) fn conflict(&self, attributes: &BTreeMap<String, String>) -> Option<String> {
        let mut probe = self.clone();
        for (name, value) in attributes {
            probe
                .apply(&BTreeMap::from([(name.clone(), value.clone())]))
                .ok()?;
            if probe != *self {
                return Some(name.clone());
            }
        }
        None
    }
}

/// Every attribute of queue `q` by AWS's names, with `depth` its current message counts.
pub(crate) fn all(q: &Queue, depth: Depth) -> BTreeMap<String, String> {
    let s = q.settings.read().clone();
    let mut all: BTreeMap<String, String> = [
        ("QueueArn", q.arn.clone()),
        ("ApproximateNumberOfMessages", depth.visible.to_string()),
        (
            "ApproximateNumberOfMessagesNotVisible",
            depth.in_flight.to_string(),
        ),
        (
            "ApproximateNumberOfMessagesDelayed",
            depth.delayed.to_string(),
        ),
        ("CreatedTimestamp", q.created_secs.to_string()),
        (
            "LastModifiedTimestamp",
            q.last_modified_secs.lock().to_string(),
        ),
        ("VisibilityTimeout", s.visibility_timeout.to_string()),
        ("MaximumMessageSize", s.maximum_message_size.to_string()),
        (
            "MessageRetentionPeriod",
            s.message_retention_period.to_string(),
        ),
        ("DelaySeconds", s.delay_seconds.to_string()),
        (
            "ReceiveMessageWaitTimeSeconds",
            s.receive_message_wait_time_seconds.to_string(),
        ),
        ("SqsManagedSseEnabled", "false".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if let Some(fifo) = &s.fifo {
        for (k, v) in [
            ("FifoQueue", "true"),
            (
                "ContentBasedDeduplication",
                if fifo.content_based_deduplication {
                    "true"
                } else {
                    "false"
                },
            ),
            ("DeduplicationScope", fifo.deduplication_scope.as_str()),
            ("FifoThroughputLimit", fifo.throughput_limit.as_str()),
        ] {
            all.insert(k.to_string(), v.to_string());
        }
    }
    all.extend(s.opaque);
    all
}

/// The attributes of `all` named in `names` (every one for `All`). Names SQS knows but this
/// queue has no value for (an unset Policy, FIFO settings) are left out; others are refused.
pub(crate) fn select(
    mut all: BTreeMap<String, String>,
    names: &[String],
) -> Result<BTreeMap<String, String>, SqsError> {
    if names.iter().any(|n| n == "All") {
        return Ok(all);
    }
    let mut out = BTreeMap::new();
    for name in names {
        match all.remove_entry(name) {
            Some((k, v)) => {
                out.insert(k, v);
            }
            None if out.contains_key(name) => {}
            None if OPAQUE_ATTRIBUTES.contains(&name.as_str())
                || matches!(
                    name.as_str(),
                    "FifoQueue"
                        | "ContentBasedDeduplication"
                        | "DeduplicationScope"
                        | "FifoThroughputLimit"
                ) => {}
            None => return Err(SqsError::InvalidAttributeName(name.clone())),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn ranges_and_names_are_checked() {
        let mut s = Settings::default();
        s.apply(&attrs(&[("VisibilityTimeout", "43200"), ("Policy", "{}")]))
            .unwrap();
        assert_eq!(s.visibility_timeout, MAX_VISIBILITY_SECS);
        assert_eq!(
            s.apply(&attrs(&[("VisibilityTimeout", "43201")])),
            Err(SqsError::InvalidAttributeValue("VisibilityTimeout".into()))
        );
        assert_eq!(
            s.apply(&attrs(&[("Colour", "blue")])),
            Err(SqsError::InvalidAttributeName("Colour".into()))
        );
        assert_eq!(
            s.conflict(&attrs(&[("VisibilityTimeout", "5")])),
            Some("VisibilityTimeout".into())
        );
        assert_eq!(s.conflict(&attrs(&[("Policy", "{}")])), None);
    }

    #[test]
    fn selection_keeps_known_names_and_refuses_unknown_ones() {
        let all = attrs(&[("DelaySeconds", "0"), ("QueueArn", "arn")]);
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(select(all.clone(), &names(&["All"])).unwrap(), all);
        assert_eq!(
            select(all.clone(), &names(&["QueueArn", "Policy", "QueueArn"])).unwrap(),
            attrs(&[("QueueArn", "arn")])
        );
        assert_eq!(
            select(all, &names(&["Nope"])),
            Err(SqsError::InvalidAttributeName("Nope".into()))
        );
    }
}
