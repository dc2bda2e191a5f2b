//! The CloudWatch Logs API (AWS JSON 1.1, `X-Amz-Target: Logs_20140328.<Operation>`) over
//! the logs of the engine's Lambda functions, so `aws logs tail`, `aws logs
//! filter-log-events` and SDK code read them as on AWS. Each function has the log group
//! `/aws/lambda/<name>` and one log stream per execution environment.
//!
//! Served: DescribeLogGroups, DescribeLogStreams, GetLogEvents and FilterLogEvents (filter
//! patterns of plain terms, all of which must appear, and quoted phrases; the JSON and
//! space-delimited pattern syntaxes are refused with InvalidParameterException).

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

use std::collections::BTreeMap;

use lambda_engine::{LambdaEngine, LogEvent};
use serde_json::{Map, Value, json};

/// The target prefix of the service.
pub const TARGET_PREFIX: &str = "Logs_20140328.";
/// The content type of requests and answers.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// An answer: status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: String,
}

fn error(status: u16, code: &str, message: &str) -> Answer {
    Answer {
        status,
        body: json!({"__type": code, "message": message}).to_string(),
    }
}

fn ok(body: Value) -> Answer {
    Answer {
        status: 200,
        body: body.to_string(),
    }
}

fn invalid(message: &str) -> Answer {
    error(400, "InvalidParameterException", message)
}

/// Handles one request: `operation` is the part of `X-Amz-Target` after the prefix.
pub fn handle(engine: &LambdaEngine, operation: &str, body: &[u8]) -> Answer {
    let input: Map<String, Value> = if body.is_empty() {
        Map::new()
    } else {
        match serde_json::from_slice(body) {
            Ok(Value::Object(m)) => m,
            _ => {
                return error(
                    400,
                    "SerializationException",
                    "Unable to parse the request body",
                );
            }
        }
    };
    match operation {
        "DescribeLogGroups" => describe_log_groups(engine, &input),
        "DescribeLogStreams" => describe_log_streams(engine, &input),
        "GetLogEvents" => get_log_events(engine, &input),
        "FilterLogEvents" => filter_log_events(engine, &input),
        other => error(
            400,
            "UnknownOperationException",
            &format!("Operation {other} is not served by this engine"),
        ),
    }
}

const GROUP_PREFIX: &str = "/aws/lambda/";

fn text<'a>(input: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    input.get(key).and_then(Value::as_str)
}

/// The function a log group name or ARN (`logGroupIdentifier`) names.
fn function_of(engine: &LambdaEngine, input: &Map<String, Value>) -> Result<String, Answer> {
    let group = text(input, "logGroupName")
        .or_else(|| text(input, "logGroupIdentifier"))
        .ok_or_else(|| invalid("Either logGroupName or logGroupIdentifier must be set"))?;
    let group = group
        .rsplit_once(":log-group:")
        .map_or(group, |(_, g)| g.trim_end_matches(":*"));
    let missing = || {
        error(
            400,
            "ResourceNotFoundException",
            "The specified log group does not exist.",
        )
    };
    let name = group.strip_prefix(GROUP_PREFIX).ok_or_else(missing)?;
    engine.get_function(name).map_err(|_| missing())?;
    Ok(name.to_string())
}

fn group_arn(engine: &LambdaEngine, name: &str) -> String {
    format!(
        "arn:aws:logs:{}:{}:log-group:{GROUP_PREFIX}{name}",
        engine.config().region,
        engine.config().account_id
    )
}

fn limit(input: &Map<String, Value>, default: usize, max: usize) -> Result<usize, Answer> {
    match input.get("limit") {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_u64()
            .map(|n| n as usize)
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                invalid(&format!(
                    "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value between 1 and {max}"
                ))
            }),
    }
}

/// A `nextToken` of ours: the position it stands for.
fn position(input: &Map<String, Value>) -> Result<usize, Answer> {
    match text(input, "nextToken") {
        None => Ok(0),
        Some(t) => t
            .trim_start_matches(['f', 'b'])
            .trim_start_matches('/')
            .parse()
            .map_err(|_| invalid("The specified nextToken is invalid.")),
    }
}

fn describe_log_groups(engine: &LambdaEngine, input: &Map<String, Value>) -> Answer {
    let prefix = text(input, "logGroupNamePrefix").unwrap_or("");
    let (limit, start) = match (limit(input, 50, 50), position(input)) {
        (Ok(l), Ok(s)) => (l, s),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let groups: Vec<Value> = engine
        .list_functions()
        .iter()
        .map(|f| (format!("{GROUP_PREFIX}{}", f.name), f.name.clone()))
        .filter(|(g, _)| g.starts_with(prefix))
        .map(|(group, name)| {
            let events = engine.logs(&name, 0).unwrap_or_default();
            let created = events.first().map_or(0, |e| e.timestamp_ms);
            let arn = group_arn(engine, &name);
            json!({
                "logGroupName": group,
                "creationTime": created,
                "metricFilterCount": 0,
                "arn": format!("{arn}:*"),
                "logGroupArn": arn,
                "storedBytes": events.iter().map(|e| e.message.len()).sum::<usize>(),
                "logGroupClass": "STANDARD",
            })
        })
        .collect();
    let page: Vec<Value> = groups.iter().skip(start).take(limit).cloned().collect();
    let mut out = json!({"logGroups": page});
    if start + limit < groups.len() {
        out["nextToken"] = json!(format!("{}", start + limit));
    }
    ok(out)
}

fn describe_log_streams(engine: &LambdaEngine, input: &Map<String, Value>) -> Answer {
    let name = match function_of(engine, input) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let (limit, start) = match (limit(input, 50, 50), position(input)) {
        (Ok(l), Ok(s)) => (l, s),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let prefix = text(input, "logStreamNamePrefix").unwrap_or("");
    let mut streams: BTreeMap<String, (i64, i64, usize)> = BTreeMap::new();
    for e in engine.logs(&name, 0).unwrap_or_default() {
        let s = streams
            .entry(e.stream.clone())
            .or_insert((e.timestamp_ms, e.timestamp_ms, 0));
        s.1 = e.timestamp_ms;
        s.2 += e.message.len();
    }
    let mut list: Vec<(String, (i64, i64, usize))> = streams
        .into_iter()
        .filter(|(s, _)| s.starts_with(prefix))
        .collect();
    if text(input, "orderBy") == Some("LastEventTime") {
        list.sort_by_key(|(_, (_, last, _))| *last);
    }
    if input.get("descending").and_then(Value::as_bool) == Some(true) {
        list.reverse();
    }
    let arn = group_arn(engine, &name);
    let page: Vec<Value> = list
        .iter()
        .skip(start)
        .take(limit)
        .map(|(stream, (first, last, bytes))| {
            json!({
                "logStreamName": stream,
                "creationTime": first,
                "firstEventTimestamp": first,
                "lastEventTimestamp": last,
                "lastIngestionTime": last,
                "uploadSequenceToken": "0",
                "arn": format!("{arn}:log-stream:{stream}"),
                "storedBytes": bytes,
            })
        })
        .collect();
    let mut out = json!({"logStreams": page});
    if start + limit < list.len() {
        out["nextToken"] = json!(format!("{}", start + limit));
    }
    ok(out)
}

fn in_range(e: &LogEvent, input: &Map<String, Value>) -> bool {
    let start = input.get("startTime").and_then(Value::as_i64);
    let end = input.get("endTime").and_then(Value::as_i64);
    start.is_none_or(|s| e.timestamp_ms >= s) && end.is_none_or(|t| e.timestamp_ms <= t)
}

fn get_log_events(engine: &LambdaEngine, input: &Map<String, Value>) -> Answer {
    let name = match function_of(engine, input) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let Some(stream) = text(input, "logStreamName") else {
        return invalid(
            "1 validation error detected: Value null at 'logStreamName' failed to satisfy constraint: Member must not be null",
        );
    };
    let (limit, start) = match (limit(input, 10_000, 10_000), position(input)) {
        (Ok(l), Ok(s)) => (l, s),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let of_stream: Vec<LogEvent> = engine
        .logs(&name, 0)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.stream == stream)
        .collect();
    if of_stream.is_empty() {
        return error(
            400,
            "ResourceNotFoundException",
            "The specified log stream does not exist.",
        );
    }
    let events: Vec<&LogEvent> = of_stream.iter().filter(|e| in_range(e, input)).collect();
    let page: Vec<Value> = events
        .iter()
        .skip(start)
        .take(limit)
        .map(|e| json!({"timestamp": e.timestamp_ms, "message": e.message, "ingestionTime": e.timestamp_ms}))
        .collect();
    let next = (start + page.len()).min(events.len());
    ok(json!({
        "events": page,
        "nextForwardToken": format!("f/{next}"),
        "nextBackwardToken": format!("b/{start}"),
    }))
}

/// A filter pattern of terms (each must appear) and quoted phrases.
fn pattern_terms(pattern: &str) -> Result<Vec<String>, Answer> {
    let p = pattern.trim();
    if p.starts_with('{') || p.starts_with('[') {
        return Err(invalid(
            "JSON and space-delimited filter patterns are not served by this engine; use terms or quoted phrases",
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

fn filter_log_events(engine: &LambdaEngine, input: &Map<String, Value>) -> Answer {
    let name = match function_of(engine, input) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let (limit, start) = match (limit(input, 10_000, 10_000), position(input)) {
        (Ok(l), Ok(s)) => (l, s),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let terms = match pattern_terms(text(input, "filterPattern").unwrap_or("")) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let streams: Option<Vec<&str>> = input
        .get("logStreamNames")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect());
    let prefix = text(input, "logStreamNamePrefix");
    let all = engine.logs(&name, start).unwrap_or_default();
    let mut events = Vec::new();
    let mut scanned = 0;
    for (i, e) in all.iter().enumerate() {
        scanned = i + 1;
        let stream_ok = streams
            .as_ref()
            .is_none_or(|s| s.contains(&e.stream.as_str()))
            && prefix.is_none_or(|p| e.stream.starts_with(p));
        if stream_ok && in_range(e, input) && terms.iter().all(|t| e.message.contains(t.as_str())) {
            events.push(json!({
                "logStreamName": e.stream,
                "timestamp": e.timestamp_ms,
                "message": e.message,
                "ingestionTime": e.timestamp_ms,
                "eventId": format!("{:056}", start + i),
            }));
            if events.len() == limit {
                break;
            }
        }
    }
    let mut out = json!({"events": events, "searchedLogStreams": []});
    if scanned < all.len() {
        out["nextToken"] = json!(format!("{}", start + scanned));
    }
    ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
