//! The input shapes shared by many actions, with the constraints of the Kinesis model.

use aws_wire::{Pattern, Shape};
use metric_store::catalog::kinesis as k;

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// `0|([1-9]\d{0,max_tail})`
fn is_decimal(s: &str, max_tail: usize) -> bool {
    let b = s.as_bytes();
    match b.split_first() {
        Some((b'0', rest)) => rest.is_empty(),
        Some((first, rest)) => {
            (b'1'..=b'9').contains(first)
                && rest.len() <= max_tail
                && rest.iter().all(u8::is_ascii_digit)
        }
        None => false,
    }
}

/// `arn:aws.*:kinesis:.*:\d{12}:stream/\S+`
pub(crate) fn is_stream_arn(s: &str) -> bool {
    parse_stream_arn(s).is_some()
}

/// Splits a stream ARN into (region, account, stream name).
pub(crate) fn parse_stream_arn(s: &str) -> Option<(&str, &str, &str)> {
    let rest = s.strip_prefix("arn:aws")?;
    let (_, rest) = rest.split_once(":kinesis:")?;
    let (region, rest) = rest.split_once(':')?;
    let (account, name) = rest.split_once(":stream/")?;
    let ok = account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty()
        && !name.chars().any(char::is_whitespace);
    ok.then_some((region, account, name))
}

/// `^(arn):aws.*:kinesis:.*:\d{12}:.*stream\/[a-zA-Z0-9_.-]+\/consumer\/[a-zA-Z0-9_.-]+:[0-9]+`
fn is_consumer_arn(s: &str) -> bool {
    let Some((stream_part, consumer)) = s.rsplit_once("/consumer/") else {
        return false;
    };
    let Some((name, secs)) = consumer.rsplit_once(':') else {
        return false;
    };
    let stream_name = stream_part.rsplit('/').next().unwrap_or_default();
    s.starts_with("arn:aws")
        && stream_part.contains(":kinesis:")
        && is_name(name)
        && is_name(stream_name)
        && !secs.is_empty()
        && secs.bytes().all(|b| b.is_ascii_digit())
}

pub(crate) static NAME_PATTERN: Pattern = Pattern {
    text: "[a-zA-Z0-9_.-]+",
    matches: is_name,
};
static HASH_KEY_PATTERN: Pattern = Pattern {
    text: "0|([1-9]\\d{0,38})",
    matches: |s| is_decimal(s, 38),
};
static SEQUENCE_PATTERN: Pattern = Pattern {
    text: "0|([1-9]\\d{0,128})",
    matches: |s| is_decimal(s, 128),
};
static STREAM_ARN_PATTERN: Pattern = Pattern {
    text: "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+",
    matches: is_stream_arn,
};
static CONSUMER_ARN_PATTERN: Pattern = Pattern {
    text: "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+",
    matches: is_consumer_arn,
};

pub(crate) static STREAM_NAME: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(128),
    pattern: Some(&NAME_PATTERN),
    enum_values: &[],
};
pub(crate) static STREAM_ARN: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(2048),
    pattern: Some(&STREAM_ARN_PATTERN),
    enum_values: &[],
};
pub(crate) static CONSUMER_ARN: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(2048),
    pattern: Some(&CONSUMER_ARN_PATTERN),
    enum_values: &[],
};
pub(crate) static SHARD_ID: Shape = STREAM_NAME;
pub(crate) static CONSUMER_NAME: Shape = STREAM_NAME;
pub(crate) static HASH_KEY: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: Some(&HASH_KEY_PATTERN),
    enum_values: &[],
};
pub(crate) static SEQUENCE_NUMBER: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: Some(&SEQUENCE_PATTERN),
    enum_values: &[],
};
pub(crate) static PARTITION_KEY: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(256),
    pattern: None,
    enum_values: &[],
};
/// Record data: up to 1 MiB, the default maximum record size.
pub(crate) static DATA: Shape = Shape::Blob {
    min_len: None,
    max_len: Some(1_048_576),
};
pub(crate) static NEXT_TOKEN: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(1_048_576),
    pattern: None,
    enum_values: &[],
};
pub(crate) static TAG_KEY: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(128),
    pattern: None,
    enum_values: &[],
};
pub(crate) static TAG_VALUE: Shape = Shape::String {
    min_len: Some(0),
    max_len: Some(256),
    pattern: None,
    enum_values: &[],
};
pub(crate) static TAG_MAP: Shape = Shape::Map {
    key: &TAG_KEY,
    value: &TAG_VALUE,
    min_len: Some(1),
    max_len: Some(200),
};
pub(crate) static BOOLEAN: Shape = Shape::Boolean;
pub(crate) static TIMESTAMP: Shape = Shape::Timestamp;
pub(crate) static RETENTION_HOURS: Shape = Shape::INTEGER;
pub(crate) static STREAM_ID: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(24),
    pattern: None,
    enum_values: &[],
};
pub(crate) static METRICS_NAME: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    // The catalogue's shard-level set (`catalog::KINESIS_SHARD_LEVEL`), and `ALL`.
    enum_values: &[
        k::INCOMING_BYTES.name,
        k::INCOMING_RECORDS.name,
        k::OUTGOING_BYTES.name,
        k::OUTGOING_RECORDS.name,
        k::WRITE_THROTTLED.name,
        k::READ_THROTTLED.name,
        k::ITERATOR_AGE.name,
        "ALL",
    ],
};
pub(crate) static METRICS_LIST: Shape = Shape::List {
    member: &METRICS_NAME,
    min_len: Some(1),
    max_len: Some(7),
    member_str: None,
};
pub(crate) static ENCRYPTION_TYPE: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &["NONE", "KMS"],
};
pub(crate) static KEY_ID: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(2048),
    pattern: None,
    enum_values: &[],
};

/// `const fn` helper: an integer shape with a range.
pub(crate) const fn int_range(min: i64, max: i64) -> Shape {
    Shape::Integer {
        min: Some(min),
        max: Some(max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(is_decimal("0", 38));
        assert!(!is_decimal("01", 38));
        assert!(is_decimal(&"9".repeat(39), 38));
        assert!(!is_decimal(&"9".repeat(40), 38));
        assert_eq!(
            parse_stream_arn("arn:aws:kinesis:us-east-1:000000000000:stream/s1"),
            Some(("us-east-1", "000000000000", "s1"))
        );
        assert!(!is_stream_arn("arn:aws:kinesis:us-east-1:0:stream/s1"));
        assert!(is_consumer_arn(
            "arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1700000000"
        ));
        assert!(!is_consumer_arn(
            "arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c"
        ));
    }
}
