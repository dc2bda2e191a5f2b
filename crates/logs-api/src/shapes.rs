//! The member shapes CloudWatch Logs' model gives the served operations (lengths, ranges and
//! patterns, which its front end enforces), and helpers the operations share.

use aws_wire::{Input, Pattern, Shape};

use crate::LogSource;
use crate::errors::LogsError;

/// The prefix of every log group served: `/aws/lambda/<function>`.
pub(crate) const GROUP_PREFIX: &str = "/aws/lambda/";

fn group_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b".-_/#".contains(&b)
}

static GROUP_NAME_TEXT: Pattern = Pattern {
    text: r"[\.\-_/#A-Za-z0-9]+",
    matches: |s| !s.is_empty() && s.bytes().all(group_char),
};

static GROUP_NAME_PATTERN_TEXT: Pattern = Pattern {
    text: r"[\.\-_/#A-Za-z0-9]*",
    matches: |s| s.bytes().all(group_char),
};

static GROUP_IDENTIFIER_TEXT: Pattern = Pattern {
    text: r"[\w#+=/:,.@-]*",
    // Java's `\w` is ASCII unless told otherwise.
    matches: |s| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_#+=/:,.@-".contains(&b))
    },
};

static STREAM_NAME_TEXT: Pattern = Pattern {
    text: "[^:*]*",
    matches: |s| !s.contains([':', '*']),
};

static ACCOUNT_ID_TEXT: Pattern = Pattern {
    text: r"^\d{12}$",
    matches: |s| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()),
};

/// `LogGroupName`.
pub(crate) static LOG_GROUP_NAME: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(512),
    pattern: Some(&GROUP_NAME_TEXT),
    enum_values: &[],
};

/// `LogGroupNamePattern`.
pub(crate) static LOG_GROUP_NAME_PATTERN: Shape = Shape::String {
    min_len: Some(0),
    max_len: Some(512),
    pattern: Some(&GROUP_NAME_PATTERN_TEXT),
    enum_values: &[],
};

/// `LogGroupIdentifier`: a name or an ARN.
pub(crate) static LOG_GROUP_IDENTIFIER: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(2048),
    pattern: Some(&GROUP_IDENTIFIER_TEXT),
    enum_values: &[],
};

/// `LogStreamName`.
pub(crate) static LOG_STREAM_NAME: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(512),
    pattern: Some(&STREAM_NAME_TEXT),
    enum_values: &[],
};

/// `AccountId`.
static ACCOUNT_ID: Shape = Shape::String {
    min_len: Some(12),
    max_len: Some(12),
    pattern: Some(&ACCOUNT_ID_TEXT),
    enum_values: &[],
};

/// `AccountIds`.
pub(crate) static ACCOUNT_IDS: Shape = Shape::List {
    member: &ACCOUNT_ID,
    min_len: Some(0),
    max_len: Some(20),
    member_str: None,
};

/// `NextToken`.
pub(crate) static NEXT_TOKEN: Shape = Shape::String {
    min_len: Some(1),
    max_len: None,
    pattern: None,
    enum_values: &[],
};

/// `DescribeLimit`: DescribeLogGroups and DescribeLogStreams.
pub(crate) static DESCRIBE_LIMIT: Shape = Shape::Integer {
    min: Some(1),
    max: Some(50),
};

/// `EventsLimit`: GetLogEvents and FilterLogEvents.
pub(crate) static EVENTS_LIMIT: Shape = Shape::Integer {
    min: Some(1),
    max: Some(10_000),
};

/// `Timestamp`: epoch milliseconds, as a number (not a Smithy timestamp).
pub(crate) static TIMESTAMP: Shape = Shape::Long {
    min: Some(0),
    max: None,
};

/// The function a request's `logGroupName` or `logGroupIdentifier` (a name or an ARN)
/// names.
pub(crate) fn function_of<S: LogSource + ?Sized>(
    source: &S,
    input: &Input<'_>,
) -> Result<String, LogsError> {
    let group = input
        .str("logGroupName")
        .or_else(|| input.str("logGroupIdentifier"))
        .ok_or_else(|| {
            LogsError::InvalidParameter(
                "Either logGroupName or logGroupIdentifier must be set".into(),
            )
        })?;
    let group = group
        .rsplit_once(":log-group:")
        .map_or(group, |(_, g)| g.trim_end_matches(":*"));
    let name = group
        .strip_prefix(GROUP_PREFIX)
        .ok_or(LogsError::LogGroupNotFound)?;
    // Asking for the events past the end checks the function exists and copies nothing.
    source
        .events(name, usize::MAX)
        .ok_or(LogsError::LogGroupNotFound)?;
    Ok(name.to_string())
}

/// The ARN of function `name`'s log group (without the `:*` suffix).
pub(crate) fn group_arn<S: LogSource + ?Sized>(source: &S, name: &str) -> String {
    format!(
        "arn:aws:logs:{}:{}:log-group:{GROUP_PREFIX}{name}",
        source.region(),
        source.account_id()
    )
}

/// The position a `nextToken` of ours stands for (`12`, `f/12` or `b/12`); 0 without one.
pub(crate) fn position(input: &Input<'_>) -> Result<usize, LogsError> {
    match input.str("nextToken") {
        None => Ok(0),
        Some(t) => t
            .trim_start_matches(['f', 'b'])
            .trim_start_matches('/')
            .parse()
            .map_err(|_| LogsError::InvalidParameter("The specified nextToken is invalid.".into())),
    }
}

/// The `limit` member, or `default`.
pub(crate) fn limit(input: &Input<'_>, default: usize) -> usize {
    input
        .int("limit")
        .map_or(default, |l| usize::try_from(l).unwrap_or(default))
}

/// Whether an event's time is within the request's `startTime`..=`endTime`.
pub(crate) fn in_range(timestamp_ms: i64, input: &Input<'_>) -> bool {
    let start = input.int("startTime");
    let end = input.int("endTime");
    start.is_none_or(|s| timestamp_ms >= s) && end.is_none_or(|t| timestamp_ms <= t)
}
