//! DescribeLogStreams: a function's execution environments, by name or last event time.

use std::collections::BTreeMap;

use aws_wire::{Input, Member, Shape, Writer};

use crate::LogSource;
use crate::errors::LogsError;
use crate::shapes::{
    DESCRIBE_LIMIT, LOG_GROUP_IDENTIFIER, LOG_GROUP_NAME, LOG_STREAM_NAME, NEXT_TOKEN, group_arn,
    group_of, limit, position,
};

static ORDER_BY: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &["LogStreamName", "LastEventTime"],
};

pub(crate) static INPUT: [Member; 7] = [
    Member::optional("logGroupName", &LOG_GROUP_NAME),
    Member::optional("logGroupIdentifier", &LOG_GROUP_IDENTIFIER),
    Member::optional("logStreamNamePrefix", &LOG_STREAM_NAME),
    Member::optional("orderBy", &ORDER_BY),
    Member::optional("descending", &Shape::Boolean),
    Member::optional("nextToken", &NEXT_TOKEN),
    Member::optional("limit", &DESCRIBE_LIMIT),
];

/// A stream's first and last event times and its bytes.
struct Summary {
    first_ms: i64,
    last_ms: i64,
    bytes: u64,
}

/// One stream of the listing: a function's execution environment, or one users created.
enum Listed {
    Function(Summary),
    Ingested(logs_engine::StreamInfo),
}

impl Listed {
    fn last_event_ms(&self) -> i64 {
        match self {
            Listed::Function(s) => s.last_ms,
            Listed::Ingested(i) => i.events.map_or(i.created_ms, |(_, last, _)| last),
        }
    }
}

pub(crate) fn run<S: LogSource + ?Sized>(
    source: &S,
    input: &Input<'_>,
    w: &mut Writer,
) -> Result<(), LogsError> {
    let group = group_of(source, input)?;
    let by_last_event = input.str("orderBy") == Some("LastEventTime");
    if by_last_event && input.has("logStreamNamePrefix") {
        return Err(LogsError::InvalidParameter(
            "Cannot order by LastEventTime with a logStreamNamePrefix.".into(),
        ));
    }
    let limit = limit(input, 50);
    let start = position(input)?;
    let prefix = input.str("logStreamNamePrefix").unwrap_or("");
    let mut streams: BTreeMap<String, Listed> = BTreeMap::new();
    if let Some(function) = &group.function {
        for e in source.events(function, 0).unwrap_or_default() {
            let entry = streams.entry(e.stream).or_insert(Listed::Function(Summary {
                first_ms: e.timestamp_ms,
                last_ms: e.timestamp_ms,
                bytes: 0,
            }));
            if let Listed::Function(s) = entry {
                s.last_ms = e.timestamp_ms;
                s.bytes += e.message.len() as u64;
            }
        }
    }
    if group.ingested
        && let Some(logs) = source.ingested()
    {
        for info in logs.streams(&group.name)? {
            streams.insert(info.name.clone(), Listed::Ingested(info));
        }
    }
    let mut list: Vec<(String, Listed)> = streams
        .into_iter()
        .filter(|(s, _)| s.starts_with(prefix))
        .collect();
    if by_last_event {
        list.sort_by_key(|(_, s)| s.last_event_ms());
    }
    if input.bool("descending") == Some(true) {
        list.reverse();
    }
    let arn = group_arn(source, &group.name);
    w.begin_map(None);
    w.key("logStreams");
    w.begin_array(None);
    for (stream, listed) in list.iter().skip(start).take(limit) {
        w.begin_map(None);
        w.key("logStreamName");
        w.str(stream);
        match listed {
            Listed::Function(s) => {
                w.key("creationTime");
                w.int(s.first_ms);
                w.key("firstEventTimestamp");
                w.int(s.first_ms);
                w.key("lastEventTimestamp");
                w.int(s.last_ms);
                w.key("lastIngestionTime");
                w.int(s.last_ms);
                w.key("uploadSequenceToken");
                w.str("0");
            }
            Listed::Ingested(i) => {
                w.key("creationTime");
                w.int(i.created_ms);
                if let Some((first, last, ingested)) = i.events {
                    w.key("firstEventTimestamp");
                    w.int(first);
                    w.key("lastEventTimestamp");
                    w.int(last);
                    w.key("lastIngestionTime");
                    w.int(ingested);
                    w.key("uploadSequenceToken");
                    w.str(&i.upload_sequence_token);
                }
            }
        }
        w.key("arn");
        w.str(&format!("{arn}:log-stream:{stream}"));
        w.key("storedBytes");
        // AWS has reported 0 for streams since 2019; the functions' streams keep their bytes.
        w.uint(match listed {
            Listed::Function(s) => s.bytes,
            Listed::Ingested(_) => 0,
        });
        w.end_map();
    }
    w.end_array();
    if start + limit < list.len() {
        w.key("nextToken");
        w.str(&(start + limit).to_string());
    }
    w.end_map();
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{call, fixture};

    #[test]
    fn streams_by_name_or_last_event() {
        let f = fixture();
        let names = |body: &serde_json::Value| -> Vec<String> {
            body["logStreams"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["logStreamName"].as_str().unwrap().to_string())
                .collect()
        };
        let (_, body) = call(
            &f,
            "DescribeLogStreams",
            r#"{"logGroupName":"/aws/lambda/f"}"#,
        );
        assert_eq!(names(&body), ["a", "b"]);
        assert_eq!(body["logStreams"][0]["lastEventTimestamp"], 3000);
        let (_, body) = call(
            &f,
            "DescribeLogStreams",
            r#"{"logGroupIdentifier":"arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/f","orderBy":"LastEventTime","descending":true,"limit":1}"#,
        );
        assert_eq!(names(&body), ["a"]);
        assert_eq!(body["nextToken"], "1");
        let (status, body) = call(
            &f,
            "DescribeLogStreams",
            r#"{"logGroupName":"/aws/lambda/g"}"#,
        );
        assert_eq!(
            (status, body),
            (
                400,
                json!({"__type": "ResourceNotFoundException", "message": "The specified log group does not exist."})
            )
        );
        // The model's pattern leaves out the `:*` that log group ARNs end with elsewhere.
        let (_, body) = call(
            &f,
            "DescribeLogStreams",
            r#"{"logGroupIdentifier":"arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/f:*"}"#,
        );
        assert_eq!(body["__type"], "InvalidParameterException");
        let (_, body) = call(&f, "DescribeLogStreams", "{}");
        assert_eq!(
            body["message"],
            "Either logGroupName or logGroupIdentifier must be set"
        );
    }
}
