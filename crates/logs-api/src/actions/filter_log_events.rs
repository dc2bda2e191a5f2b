//! FilterLogEvents: a function's events across streams matching a filter pattern of terms
//! and quoted phrases.

use aws_wire::{Input, Member, Shape, Writer};

use crate::LogSource;
use crate::errors::LogsError;
use crate::shapes::{
    EVENTS_LIMIT, LOG_GROUP_IDENTIFIER, LOG_GROUP_NAME, LOG_STREAM_NAME, NEXT_TOKEN, TIMESTAMP,
    function_of, in_range, limit, position,
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

pub(crate) fn run<S: LogSource + ?Sized>(
    source: &S,
    input: &Input<'_>,
    w: &mut Writer,
) -> Result<(), LogsError> {
    let name = function_of(source, input)?;
    let limit = limit(input, 10_000);
    let start = position(input)?;
    let terms = pattern_terms(input.str("filterPattern").unwrap_or(""))?;
    let streams = input.str_list("logStreamNames");
    let prefix = input.str("logStreamNamePrefix");
    let all = source.events(&name, start).unwrap_or_default();
    let mut matched = Vec::new();
    let mut scanned = 0;
    for (i, e) in all.iter().enumerate() {
        scanned = i + 1;
        let stream_ok = streams
            .as_ref()
            .is_none_or(|s| s.contains(&e.stream.as_str()))
            && prefix.is_none_or(|p| e.stream.starts_with(p));
        if stream_ok
            && in_range(e.timestamp_ms, input)
            && terms.iter().all(|t| e.message.contains(t.as_str()))
        {
            matched.push((start + i, e));
            if matched.len() == limit {
                break;
            }
        }
    }
    w.begin_map(None);
    w.key("events");
    w.begin_array(Some(matched.len()));
    for (index, e) in matched {
        w.begin_map(Some(5));
        w.key("logStreamName");
        w.str(&e.stream);
        w.key("timestamp");
        w.int(e.timestamp_ms);
        w.key("message");
        w.str(&e.message);
        w.key("ingestionTime");
        w.int(e.timestamp_ms);
        w.key("eventId");
        w.str(&format!("{index:056}"));
        w.end_map();
    }
    w.end_array();
    w.key("searchedLogStreams");
    w.begin_array(Some(0));
    w.end_array();
    if scanned < all.len() {
        w.key("nextToken");
        w.str(&(start + scanned).to_string());
    }
    w.end_map();
    Ok(())
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
