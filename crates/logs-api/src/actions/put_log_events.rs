//! PutLogEvents: a batch of events into a stream, checked as CloudWatch Logs checks it;
//! events too old or too new are left out and reported in `rejectedLogEventsInfo`, and
//! events that are Embedded Metric Format documents become metrics. The sequence token is
//! accepted and ignored, as AWS now does.

use aws_wire::{Input, Member, Shape, Writer};

use crate::LogSource;
use crate::errors::LogsError;
use crate::shapes::{LOG_GROUP_NAME, LOG_STREAM_NAME, TIMESTAMP, ingested, writable};

static EVENT_MESSAGE: Shape = Shape::String {
    min_len: Some(1),
    max_len: None,
    pattern: None,
    enum_values: &[],
};

static INPUT_LOG_EVENT: [Member; 2] = [
    Member::required("timestamp", &TIMESTAMP),
    Member::required("message", &EVENT_MESSAGE),
];

static INPUT_LOG_EVENT_SHAPE: Shape = Shape::Structure(&INPUT_LOG_EVENT);

static INPUT_LOG_EVENTS: Shape = Shape::List {
    member: &INPUT_LOG_EVENT_SHAPE,
    min_len: Some(1),
    max_len: Some(10_000),
    member_str: None,
};

static SEQUENCE_TOKEN: Shape = Shape::String {
    min_len: Some(1),
    max_len: None,
    pattern: None,
    enum_values: &[],
};

static ENTITY_MAP: Shape = Shape::Map {
    key: &Shape::STRING,
    value: &Shape::STRING,
    min_len: None,
    max_len: None,
};

static ENTITY: [Member; 2] = [
    Member::optional("keyAttributes", &ENTITY_MAP),
    Member::optional("attributes", &ENTITY_MAP),
];

static ENTITY_SHAPE: Shape = Shape::Structure(&ENTITY);

pub(crate) static INPUT: [Member; 5] = [
    Member::required("logGroupName", &LOG_GROUP_NAME),
    Member::required("logStreamName", &LOG_STREAM_NAME),
    Member::required("logEvents", &INPUT_LOG_EVENTS),
    Member::optional("sequenceToken", &SEQUENCE_TOKEN),
    Member::optional("entity", &ENTITY_SHAPE),
];

pub(crate) fn run<S: LogSource + ?Sized>(
    source: &S,
    input: &Input<'_>,
    w: &mut Writer,
) -> Result<(), LogsError> {
    let logs = ingested(source)?;
    let group = input.str("logGroupName").unwrap_or_default();
    let stream = input.str("logStreamName").unwrap_or_default();
    let events: Vec<logs_engine::InputEvent> = input
        .list("logEvents")
        .unwrap_or_default()
        .iter()
        .map(|e| logs_engine::InputEvent {
            timestamp_ms: e.int("timestamp").unwrap_or_default(),
            message: e.str("message").unwrap_or_default().to_string(),
        })
        .collect();
    writable(logs, source, group)?;
    let out = logs.put_events(group, stream, &events)?;
    w.begin_map(None);
    w.key("nextSequenceToken");
    w.str(&out.next_sequence_token);
    if !out.rejected.is_empty() {
        w.key("rejectedLogEventsInfo");
        w.begin_map(None);
        let indexes = [
            ("tooNewLogEventStartIndex", out.rejected.too_new_start),
            ("tooOldLogEventEndIndex", out.rejected.too_old_end),
            ("expiredLogEventEndIndex", out.rejected.expired_end),
        ];
        for (name, index) in indexes {
            if let Some(i) = index {
                w.key(name);
                w.uint(i as u64);
            }
        }
        w.end_map();
    }
    w.end_map();
    Ok(())
}
