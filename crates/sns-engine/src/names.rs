//! Topic names and the ARNs of topics and subscriptions, checked with AWS's texts.

use crate::SnsError;

/// Longest topic name.
pub const MAX_TOPIC_NAME: usize = 256;

/// Whether `name` is a topic name AWS accepts: 1 to 256 ASCII letters, digits, `_` and `-`
/// (a FIFO topic's `.fifo` suffix is refused by the caller).
pub fn valid_topic_name(name: &str) -> bool {
    (1..=MAX_TOPIC_NAME).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The parts of an ARN: `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Arn<'a> {
    pub(crate) service: &'a str,
    pub(crate) region: &'a str,
    pub(crate) account: &'a str,
    pub(crate) resource: &'a str,
}

/// Splits an ARN, refusing what AWS refuses for parameter `param` (`TopicArn`,
/// `SubscriptionArn`): fewer than six elements gets AWS's own reason, anything else not an
/// ARN the bare `Invalid parameter: {param}`.
pub(crate) fn split_arn<'a>(arn: &'a str, param: &str) -> Result<Arn<'a>, SnsError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() < 6 {
        return Err(SnsError::invalid(format_args!(
            "{param} Reason: An ARN must have at least 6 elements, not {}",
            parts.len()
        )));
    }
    if parts[0] != "arn" || parts[1].is_empty() {
        return Err(SnsError::invalid(param));
    }
    Ok(Arn {
        service: parts[2],
        region: parts[3],
        account: parts[4],
        resource: parts[5],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names() {
        assert!(valid_topic_name("alerts-1_x"));
        assert!(valid_topic_name(&"a".repeat(256)));
        assert!(!valid_topic_name(&"a".repeat(257)));
        assert!(!valid_topic_name(""));
        assert!(!valid_topic_name("a.fifo"));
        assert!(!valid_topic_name("a b"));
    }

    #[test]
    fn arns_are_split_or_refused_with_aws_texts() {
        let a = split_arn("arn:aws:sns:us-east-1:000000000000:t", "TopicArn").unwrap();
        assert_eq!((a.service, a.resource), ("sns", "t"));
        assert_eq!(
            split_arn("t", "TopicArn").unwrap_err().to_string(),
            "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1"
        );
        assert_eq!(
            split_arn("nar:aws:sns:r:a:t", "TopicArn")
                .unwrap_err()
                .to_string(),
            "Invalid parameter: TopicArn"
        );
    }
}
