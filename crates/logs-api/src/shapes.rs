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

/// `LogGroupName` where CloudWatch Logs checks the length itself, with its own text
/// (CreateLogGroup, CreateLogStream).
pub(crate) static NEW_LOG_GROUP_NAME: Shape = Shape::String {
    min_len: Some(1),
    max_len: None,
    pattern: Some(&GROUP_NAME_TEXT),
    enum_values: &[],
};

/// `LogStreamName` of CreateLogStream (its length checked as for groups).
pub(crate) static NEW_LOG_STREAM_NAME: Shape = Shape::String {
    min_len: Some(1),
    max_len: None,
    pattern: Some(&STREAM_NAME_TEXT),
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

fn tag_char(c: char) -> bool {
    // `\p{L}\p{Z}\p{N}` and `_.:/=+-@`.
    c.is_alphabetic()
        || c.is_numeric()
        || (c.is_whitespace() && !c.is_control())
        || "_.:/=+-@".contains(c)
}

static TAG_KEY_TEXT: Pattern = Pattern {
    text: r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$",
    matches: |s| !s.is_empty() && s.chars().all(tag_char),
};

static TAG_VALUE_TEXT: Pattern = Pattern {
    text: r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$",
    matches: |s| s.chars().all(tag_char),
};

/// `TagKey`.
pub(crate) static TAG_KEY: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(128),
    pattern: Some(&TAG_KEY_TEXT),
    enum_values: &[],
};

static TAG_VALUE: Shape = Shape::String {
    min_len: Some(0),
    max_len: Some(256),
    pattern: Some(&TAG_VALUE_TEXT),
    enum_values: &[],
};

/// `Tags`.
pub(crate) static TAGS: Shape = Shape::Map {
    key: &TAG_KEY,
    value: &TAG_VALUE,
    min_len: Some(1),
    max_len: Some(50),
};

static ARN_TEXT: Pattern = Pattern {
    text: r"[\w+=/:,.@-]*",
    matches: |s| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=/:,.@-".contains(&b))
    },
};

/// `AmazonResourceName`.
pub(crate) static RESOURCE_ARN: Shape = Shape::String {
    min_len: Some(1),
    max_len: Some(1011),
    pattern: Some(&ARN_TEXT),
    enum_values: &[],
};

/// The log group an ARN names (`...:log-group:<name>`, with or without `:*`).
pub(crate) fn group_in_arn(arn: &str) -> Option<&str> {
    let (head, name) = arn.rsplit_once(":log-group:")?;
    head.starts_with("arn:")
        .then_some(name.trim_end_matches(":*"))
}

/// Writes `tags` as a JSON object member `tags`.
pub(crate) fn write_tags(w: &mut aws_wire::Writer, tags: &[(String, String)]) {
    w.begin_map(Some(1));
    w.key("tags");
    w.begin_dict(Some(tags.len()));
    for (k, v) in tags {
        w.key(k);
        w.str(v);
    }
    w.end_dict();
    w.end_map();
}

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

/// A log group a request names: the function whose logs it holds, the group users
/// created under that name, or both.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    /// The full name.
    pub(crate) name: String,
    /// The function, when the name is `/aws/lambda/<function>` of one.
    pub(crate) function: Option<String>,
    /// Whether users created a group of that name (or wrote to the function's).
    pub(crate) ingested: bool,
}

/// The group a name stands for, if any.
pub(crate) fn group_named<S: LogSource + ?Sized>(source: &S, name: &str) -> Option<Group> {
    // Asking for the events past the end checks the function exists and copies nothing.
    let function = name
        .strip_prefix(GROUP_PREFIX)
        .filter(|f| source.events(f, usize::MAX).is_some())
        .map(str::to_string);
    let ingested = source.ingested().is_some_and(|l| l.has_group(name));
    (function.is_some() || ingested).then(|| Group {
        name: name.to_string(),
        function,
        ingested,
    })
}

/// The group a request's `logGroupName` or `logGroupIdentifier` (a name or an ARN) names.
pub(crate) fn group_of<S: LogSource + ?Sized>(
    source: &S,
    input: &Input<'_>,
) -> Result<Group, LogsError> {
    let group = match (input.str("logGroupName"), input.str("logGroupIdentifier")) {
        (Some(_), Some(_)) => return Err(LogsError::NameAndArn),
        (Some(g), None) | (None, Some(g)) => g,
        (None, None) => {
            return Err(LogsError::InvalidParameter(
                "Either logGroupName or logGroupIdentifier must be set".into(),
            ));
        }
    };
    let group = group
        .rsplit_once(":log-group:")
        .map_or(group, |(_, g)| g.trim_end_matches(":*"));
    group_named(source, group).ok_or(LogsError::LogGroupNotFound)
}

/// The group named `name` for an operation that writes: a function's group becomes one
/// users can write to (as its log group on AWS is one).
pub(crate) fn writable(
    logs: &logs_engine::LogsEngine,
    source: &(impl LogSource + ?Sized),
    name: &str,
) -> Result<(), LogsError> {
    if logs.has_group(name) {
        return Ok(());
    }
    match group_named(source, name) {
        Some(_) => match logs.create_group(name, &[]) {
            Ok(()) | Err(logs_engine::LogsError::GroupAlreadyExists) => Ok(()),
            Err(e) => Err(e.into()),
        },
        None => Err(LogsError::LogGroupNotFound),
    }
}

/// The log groups users write to; only sources that have them serve the operations that
/// write.
pub(crate) fn ingested<S: LogSource + ?Sized>(
    source: &S,
) -> Result<&logs_engine::LogsEngine, LogsError> {
    source.ingested().ok_or(LogsError::LogGroupNotFound)
}

/// The `tags` map member as pairs.
pub(crate) fn tags_of<'i>(input: &'i Input<'_>, member: &str) -> Vec<(&'i str, &'i str)> {
    input.map_str(member).unwrap_or_default()
}

/// The ARN of log group `name` (without the `:*` suffix).
pub(crate) fn group_arn<S: LogSource + ?Sized>(source: &S, name: &str) -> String {
    format!(
        "arn:aws:logs:{}:{}:log-group:{name}",
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
