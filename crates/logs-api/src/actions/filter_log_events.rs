//! FilterLogEvents: a function's events across streams matching a filter pattern of terms
//! and quoted phrases.

use aws_wire::{Input, Member, Shape, Writer};

use crate::LogSource;
use crate::errors::LogsError;
use crate::shapes::{
    EVENTS_LIMIT, LOG_GROUP_IDENTIFIER, LOG_GROUP_NAME, LOG_STREAM_NAME, NEXT_TOKEN, TIMESTAMP,
    group_of, in_range, limit, position,
};

static LOG_STREAM_NAMES: Shape = Shape::List {
    member: &LOG_STREAM_NAME,
    min_len: Some(1),
    max_len: Some(100),
    member_str: None,
};

static FILTER_PATTERN: Shape = Shape::String {
    min_len: Some(0),
    max_len: Some(1024),
    pattern: None,
    enum_values: &[],
};

pub(crate) static INPUT: [Member; 11] = [
    Member::optional("logGroupName", &LOG_GROUP_NAME),
    Member::optional("logGroupIdentifier", &LOG_GROUP_IDENTIFIER),
    Member::optional("logStreamNames", &LOG_STREAM_NAMES),
    Member::optional("logStreamNamePrefix", &LOG_STREAM_NAME),
    Member::optional("startTime", &TIMESTAMP),
    Member::optional("endTime", &TIMESTAMP),
    Member::optional("filterPattern", &FILTER_PATTERN),
    Member::optional("nextToken", &NEXT_TOKEN),
    Member::optional("limit", &EVENTS_LIMIT),
    Member::optional("interleaved", &Shape::Boolean),
    Member::optional("unmask", &Shape::Boolean),
];

/// One matching event, whichever side it comes from.
struct Matched<'e> {
    stream: &'e str,
    timestamp_ms: i64,
    ingestion_ms: i64,
    message: &'e str,
    event_id: String,
}

/// The token of the ingested side: `e/<timestamp>/<seq>` of the last event returned, so
/// that events arriving later with older timestamps do not shift the pages.
const INGESTED_TOKEN: &str = "e/";

pub(crate) fn run<S: LogSource + ?Sized>(
    source: &S,
    input: &Input<'_>,
    w: &mut Writer,
) -> Result<(), LogsError> {
    let group = group_of(source, input)?;
    let limit = limit(input, 10_000);
    let terms = pattern_terms(input.str("filterPattern").unwrap_or(""))?;
    let streams = input.str_list("logStreamNames");
    let prefix = input.str("logStreamNamePrefix");
    let keep = |stream: &str, timestamp_ms: i64, message: &str| {
        streams.as_ref().is_none_or(|s| s.contains(&stream))
            && prefix.is_none_or(|p| stream.starts_with(p))
            && in_range(timestamp_ms, input)
            && terms.iter().all(|t| message.contains(t.as_str()))
    };
    // The functions' events come first, paged by position (numeric tokens), then the
    // ingested ones, paged by key.
    let ingested_after = match input.str("nextToken") {
        Some(t) if t.starts_with(INGESTED_TOKEN) => Some(ingested_key(t)?),
        _ => None,
    };
    let function_events = match (&group.function, ingested_after) {
        (Some(name), None) => source.events(name, position(input)?).unwrap_or_default(),
        _ => Vec::new(),
    };
    let start = if ingested_after.is_none() {
        position(input)?
    } else {
        0
    };
    let mut matched = Vec::new();
    let mut next_token = None;
    let mut scanned = 0;
    for (i, e) in function_events.iter().enumerate() {
        scanned = i + 1;
        if keep(&e.stream, e.timestamp_ms, &e.message) {
            matched.push(Matched {
                stream: &e.stream,
                timestamp_ms: e.timestamp_ms,
                ingestion_ms: e.timestamp_ms,
                message: &e.message,
                event_id: format!("{:056}", start + i),
            });
            if matched.len() == limit {
                break;
            }
        }
    }
    if scanned < function_events.len() {
        next_token = Some((start + scanned).to_string());
    }
    let ingested_events = match source.ingested() {
        Some(logs) if group.ingested && next_token.is_none() => logs.events(&group.name, None)?,
        _ => Vec::new(),
    };
    if matched.len() == limit && next_token.is_none() && !ingested_events.is_empty() {
        next_token = Some(format!("{INGESTED_TOKEN}{}/0", i64::MIN));
    }
    let after = ingested_after.unwrap_or((i64::MIN, 0));
    let mut pending = ingested_events
        .iter()
        .filter(|e| (e.timestamp_ms, e.seq) > after)
        .peekable();
    while matched.len() < limit {
        let Some(e) = pending.next() else { break };
        if keep(&e.stream, e.timestamp_ms, &e.message) {
            matched.push(Matched {
                stream: &e.stream,
                timestamp_ms: e.timestamp_ms,
                ingestion_ms: e.ingestion_ms,
                message: &e.message,
                event_id: format!("{:020}{:036}", e.timestamp_ms, e.seq),
            });
            if matched.len() == limit && pending.peek().is_some() {
                next_token = Some(format!("{INGESTED_TOKEN}{}/{}", e.timestamp_ms, e.seq));
            }
        }
    }
    w.begin_map(None);
    w.key("events");
    w.begin_array(Some(matched.len()));
    for e in &matched {
        w.begin_map(Some(5));
        w.key("logStreamName");
        w.str(e.stream);
        w.key("timestamp");
        w.int(e.timestamp_ms);
        w.key("message");
        w.str(e.message);
        w.key("ingestionTime");
        w.int(e.ingestion_ms);
        w.key("eventId");
        w.str(&e.event_id);
        w.end_map();
    }
    w.end_array();
    w.key("searchedLogStreams");
    w.begin_array(Some(0));
    w.end_array();
    if let Some(token) = next_token {
        w.key("nextToken");
        w.str(&token);
    }
    w.end_map();
    Ok(())
}

/// The (timestamp, seq) an ingested-side token names.
fn ingested_key(token: &str) -> Result<(i64, u64), LogsError> {
    let invalid = || LogsError::InvalidParameter("The specified nextToken is invalid.".into());
    let rest = token.strip_prefix(INGESTED_TOKEN).ok_or_else(invalid)?;
    let (ts, seq) = rest.split_once('/').ok_or_else(invalid)?;
    Ok((
        ts.parse().map_err(|_| invalid())?,
        seq.parse().map_err(|_| invalid())?,
    ))
}

/// A filter pattern of terms (each must appear) and quoted phrases.
fn pattern_terms(pattern: &str) -> Result<Vec<String>, LogsError> {
    let p = pattern.trim();
    if p.starts_with('{') || p.starts_with('[') {
        return Err(LogsError::InvalidParameter(
            "JSON and space-delimited filter patterns are not served by this engine; use terms or quoted phrases".into(),
        ));
    }
    let mut terms = Vec::new();
    let mut rest = p;
    while !rest.is_empty() {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix('"') {
            let end = after.find('"').unwrap_or(after.len());
            terms.push(after[..end].to_string());
            rest = after.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            terms.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    terms.retain(|t| !t.is_empty());
    Ok(terms)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::{call, fixture};

    #[test]
    fn filter_patterns() {
        assert_eq!(
            pattern_terms("ERROR timeout").ok(),
            Some(vec!["ERROR".into(), "timeout".into()])
        );
        assert_eq!(
            pattern_terms(r#""Task timed out" REPORT"#).ok(),
            Some(vec!["Task timed out".into(), "REPORT".into()])
        );
        assert_eq!(pattern_terms("").ok(), Some(vec![]));
        assert!(pattern_terms("{ $.level = \"error\" }").is_err());
    }

    #[test]
    fn matching_events_across_streams_with_a_token_to_go_on() {
        let f = fixture();
        let (_, body) = call(
            &f,
            "FilterLogEvents",
            r#"{"logGroupName":"/aws/lambda/f","filterPattern":"\"t\"","limit":1}"#,
        );
        assert_eq!(
            body,
            json!({
                "events": [{
                    "logStreamName": "b",
                    "timestamp": 2000,
                    "message": "ERROR two",
                    "ingestionTime": 2000,
                    "eventId": format!("{:056}", 1)
                }],
                "searchedLogStreams": [],
                "nextToken": "2"
            })
        );
        let (_, body) = call(
            &f,
            "FilterLogEvents",
            r#"{"logGroupName":"/aws/lambda/f","logStreamNames":["a"],"nextToken":"2"}"#,
        );
        assert_eq!(body["events"][0]["message"], "REPORT three");
        assert!(body.get("nextToken").is_none());
        let (status, body) = call(
            &f,
            "FilterLogEvents",
            r#"{"logGroupName":"/aws/lambda/f","filterPattern":"[ip, user]"}"#,
        );
        assert_eq!(status, 400);
        assert_eq!(body["__type"], "InvalidParameterException");
    }
}
