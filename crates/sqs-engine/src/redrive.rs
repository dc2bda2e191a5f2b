//! Dead-letter queues: a queue's RedrivePolicy checked and stored as SQS does, and enforced.
//!
//! A message received `maxReceiveCount` times is, at the next receive that would hand it out
//! again, moved to the dead-letter queue instead: the same message id, body, attributes and
//! sent time, with its receive count kept. As on AWS, the move is not a send: it does not
//! count in the dead-letter queue's `NumberOfMessagesSent`. The dead-letter queue's
//! RedriveAllowPolicy decides which source queues may name it.

use serde_json::{Map, Value};

use crate::SqsError;

/// Highest maxReceiveCount SQS accepts.
pub const MAX_RECEIVE_COUNT: u32 = 1000;

/// A parsed RedrivePolicy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct RedrivePolicy {
    pub(crate) dead_letter_target_arn: String,
    pub(crate) max_receive_count: u32,
}

impl RedrivePolicy {
    /// The policy as GetQueueAttributes returns it: maxReceiveCount a number, whatever form
    /// it was given in.
    pub(crate) fn to_json(&self) -> String {
        serde_json::json!({
            "deadLetterTargetArn": self.dead_letter_target_arn,
            "maxReceiveCount": self.max_receive_count,
        })
        .to_string()
    }
}

fn invalid(raw: &str, reason: &str) -> SqsError {
    SqsError::InvalidParameterValue(format!(
        "Value {raw} for parameter RedrivePolicy is invalid. Reason: {reason}"
    ))
}

/// Parses a RedrivePolicy value, with SQS's texts for what is wrong with it. Whether the
/// dead-letter queue exists and allows this source is checked by the engine.
pub(crate) fn parse(raw: &str) -> Result<RedrivePolicy, SqsError> {
    let map: Map<String, Value> = match serde_json::from_str(raw) {
        Ok(Value::Object(map)) => map,
        _ => return Err(invalid(raw, "Redrive policy is not a valid JSON map.")),
    };
    let Some(target) = map.get("deadLetterTargetArn") else {
        return Err(invalid(
            raw,
            "Redrive policy does not contain mandatory attribute: deadLetterTargetArn.",
        ));
    };
    let Some(count) = map.get("maxReceiveCount") else {
        return Err(invalid(
            raw,
            "Redrive policy does not contain mandatory attribute: maxReceiveCount.",
        ));
    };
    let count_text = match count {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let max_receive_count = count_text
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=i64::from(MAX_RECEIVE_COUNT)).contains(n))
        .ok_or_else(|| {
            invalid(
                raw,
                &format!(
                    "Invalid value for maxReceiveCount: {count_text}, valid values are from 1 to {MAX_RECEIVE_COUNT} both inclusive."
                ),
            )
        })?;
    let target = target.as_str().unwrap_or_default();
    if !target.starts_with("arn:") || target.split(':').count() != 6 {
        return Err(invalid(
            raw,
            "Dead-letter target ARN should be fully qualified ARN.",
        ));
    }
    Ok(RedrivePolicy {
        dead_letter_target_arn: target.to_string(),
        max_receive_count: max_receive_count as u32,
    })
}

/// The dead-letter target does not exist.
pub(crate) fn no_target(raw: &str) -> SqsError {
    invalid(raw, "Dead letter target does not exist.")
}

/// Whether a dead-letter queue whose RedriveAllowPolicy is `allow` (absent: every queue of
/// the account) accepts `source_arn` as a source.
pub(crate) fn allows(allow: Option<&str>, source_arn: &str) -> bool {
    let Some(allow) = allow else {
        return true;
    };
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(allow) else {
        return true;
    };
    match map.get("redrivePermission").and_then(Value::as_str) {
        Some("denyAll") => false,
        Some("byQueue") => map
            .get("sourceQueueArns")
            .and_then(Value::as_array)
            .is_some_and(|arns| arns.iter().any(|a| a.as_str() == Some(source_arn))),
        _ => true,
    }
}

/// The refusal of a FIFO queue's standard dead-letter queue, or the reverse.
pub(crate) fn other_type(raw: &str) -> SqsError {
    invalid(
        raw,
        "Dead-letter queue must be same type of queue as the source..",
    )
}

/// The refusal when the dead-letter queue's RedriveAllowPolicy does not list the source.
pub(crate) fn not_allowed(raw: &str) -> SqsError {
    invalid(
        raw,
        "Queue is not allowed by the dead-letter queue's RedriveAllowPolicy.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const DLQ: &str = "arn:aws:sqs:us-east-1:000000000000:dlq";

    #[test]
    fn a_policy_is_parsed_and_written_back_with_a_number() {
        let raw = format!(r#"{{"deadLetterTargetArn":"{DLQ}","maxReceiveCount":"3"}}"#);
        let p = parse(&raw).unwrap();
        assert_eq!(p.max_receive_count, 3);
        assert_eq!(
            p.to_json(),
            format!(r#"{{"deadLetterTargetArn":"{DLQ}","maxReceiveCount":3}}"#)
        );
    }

    #[test]
    fn bad_policies_get_sqs_texts() {
        let raw = format!(r#"{{"deadLetterTargetArn":"{DLQ}","maxReceiveCount":-36}}"#);
        assert_eq!(
            parse(&raw).unwrap_err().to_string(),
            format!(
                "Value {raw} for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: -36, valid values are from 1 to 1000 both inclusive."
            )
        );
        assert!(
            parse(r#"{"maxReceiveCount":2}"#)
                .unwrap_err()
                .to_string()
                .ends_with("mandatory attribute: deadLetterTargetArn.")
        );
        assert!(
            parse("nope")
                .unwrap_err()
                .to_string()
                .ends_with("not a valid JSON map.")
        );
    }

    #[test]
    fn redrive_allow_policies() {
        let src = "arn:aws:sqs:us-east-1:000000000000:src";
        assert!(allows(None, src));
        assert!(allows(Some(r#"{"redrivePermission":"allowAll"}"#), src));
        assert!(!allows(Some(r#"{"redrivePermission":"denyAll"}"#), src));
        let by_queue = format!(r#"{{"redrivePermission":"byQueue","sourceQueueArns":["{src}"]}}"#);
        assert!(allows(Some(&by_queue), src));
        assert!(!allows(
            Some(&by_queue),
            "arn:aws:sqs:us-east-1:000000000000:other"
        ));
    }
}
