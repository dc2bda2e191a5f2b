//! GetLogEvents: one stream's events in a time range, with forward and backward tokens.

use aws_wire::{Input, Member, Shape, Writer};

use crate::LogSource;
use crate::errors::LogsError;
use crate::shapes::{
    EVENTS_LIMIT, LOG_GROUP_IDENTIFIER, LOG_GROUP_NAME, LOG_STREAM_NAME, NEXT_TOKEN, TIMESTAMP,
    group_of, in_range, limit, position,
};

pub(crate) static INPUT: [Member; 9] = [
    Member::optional("logGroupName", &LOG_GROUP_NAME),
    Member::optional("logGroupIdentifier", &LOG_GROUP_IDENTIFIER),
    Member::required("logStreamName", &LOG_STREAM_NAME),
    Member::optional("startTime", &TIMESTAMP),
    Member::optional("endTime", &TIMESTAMP),
    Member::optional("nextToken", &NEXT_TOKEN),
    Member::optional("limit", &EVENTS_LIMIT),
    Member::optional("startFromHead", &Shape::Boolean),
    Member::optional("unmask", &Shape::Boolean),
];

pub(crate) fn run<S: LogSource + ?Sized>(
    source: &S,
    input: &Input<'_>,
    w: &mut Writer,
) -> Result<(), LogsError> {
    let group = group_of(source, input)?;
    let stream = input.str("logStreamName").unwrap_or_default();
    if group.ingested
        && let Some(logs) = source.ingested()
        && logs.streams(&group.name)?.iter().any(|s| s.name == stream)
    {
        return ingested(logs, &group.name, stream, input, w);
    }
    let Some(name) = group.function else {
        return Err(LogsError::LogStreamNotFound);
    };
    let limit = limit(input, 10_000);
    let start = position(input)?;
    let of_stream: Vec<_> = source
        .events(&name, 0)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.stream == stream)
        .collect();
    if of_stream.is_empty() {
        return Err(LogsError::LogStreamNotFound);
    }
    let events: Vec<_> = of_stream
        .iter()
        .filter(|e| in_range(e.timestamp_ms, input))
        .collect();
    let page: Vec<_> = events.iter().skip(start).take(limit).collect();
    let next = (start + page.len()).min(events.len());
    let page: Vec<_> = page
        .iter()
        .map(|e| (e.timestamp_ms, e.timestamp_ms, e.message.as_str()))
        .collect();
    write_page(w, &page, start, next);
    Ok(())
}

/// A stream users wrote to, as AWS pages it: without a token the latest events (the
/// earliest with `startFromHead`); `f/<n>` pages forward from position `n`, `b/<n>` back
/// from it. Positions count the stream's events in the requested time range.
fn ingested(
    logs: &logs_engine::LogsEngine,
    group: &str,
    stream: &str,
    input: &Input<'_>,
    w: &mut Writer,
) -> Result<(), LogsError> {
    let limit = limit(input, 10_000);
    let events: Vec<_> = logs
        .events(group, Some(stream))?
        .into_iter()
        .filter(|e| in_range(e.timestamp_ms, input))
        .collect();
    let invalid = || LogsError::InvalidParameter("The specified nextToken is invalid.".into());
    let (from, to) = match input.str("nextToken") {
        Some(token) => {
            let (direction, at) = token.split_once('/').ok_or_else(invalid)?;
            let at: usize = at.parse().map_err(|_| invalid())?;
            let at = at.min(events.len());
            match direction {
                "f" => (at, (at + limit).min(events.len())),
                "b" => (at.saturating_sub(limit), at),
                _ => return Err(invalid()),
            }
        }
        None if input.bool("startFromHead") == Some(true) => (0, limit.min(events.len())),
        None => (events.len().saturating_sub(limit), events.len()),
    };
    let page = &events[from..to];
    let page: Vec<_> = page
        .iter()
        .map(|e| (e.timestamp_ms, e.ingestion_ms, e.message.as_str()))
        .collect();
    write_page(w, &page, from, to);
    Ok(())
}

/// Writes a page of `(timestamp, ingestion time, message)` events with the backward token
/// at position `from` and the forward token at `to`.
fn write_page(w: &mut Writer, page: &[(i64, i64, &str)], from: usize, to: usize) {
    w.begin_map(Some(3));
    w.key("events");
    w.begin_array(Some(page.len()));
    for (timestamp, ingestion, message) in page {
        w.begin_map(Some(3));
        w.key("timestamp");
        w.int(*timestamp);
        w.key("message");
        w.str(message);
        w.key("ingestionTime");
        w.int(*ingestion);
        w.end_map();
    }
    w.end_array();
    w.key("nextForwardToken");
    w.str(&format!("f/{to}"));
    w.key("nextBackwardToken");
    w.str(&format!("b/{from}"));
    w.end_map();
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{call, fixture};

    #[test]
    fn one_stream_in_a_time_range() {
        let f = fixture();
        let (_, body) = call(
            &f,
            "GetLogEvents",
            r#"{"logGroupName":"/aws/lambda/f","logStreamName":"a","startTime":2000}"#,
        );
        assert_eq!(
            body,
            json!({
                "events": [{"timestamp": 3000, "message": "REPORT three", "ingestionTime": 3000}],
                "nextForwardToken": "f/1",
                "nextBackwardToken": "b/0"
            })
        );
        let (status, body) = call(
            &f,
            "GetLogEvents",
            r#"{"logGroupName":"/aws/lambda/f","logStreamName":"zzz"}"#,
        );
        assert_eq!(status, 400);
        assert_eq!(body["message"], "The specified log stream does not exist.");
        let (_, body) = call(
            &f,
            "GetLogEvents",
            r#"{"logGroupName":"/aws/lambda/f","logStreamName":"a","startTime":-1}"#,
        );
        assert_eq!(
            body["message"],
            "1 validation error detected: Value '-1' at 'startTime' failed to satisfy constraint: Member must have value greater than or equal to 0"
        );
    }
}
