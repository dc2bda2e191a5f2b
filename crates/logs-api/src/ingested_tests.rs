//! The operations over the log groups users create, beside the functions' logs.

use std::sync::Arc;

use logs_engine::{LogsConfig, LogsEngine};
use metric_store::Store;
use serde_json::json;
use time_source::ManualClock;

use crate::Sources;
use crate::testing::{call_on, fixture};

const NOW: i64 = 1_800_000_000_000;

fn engine() -> LogsEngine {
    let clock = Arc::new(ManualClock::new(NOW as u64));
    let store = Arc::new(Store::with_clock(clock.clone()));
    LogsEngine::with_clock(LogsConfig::default(), store, clock)
}

#[test]
fn groups_streams_and_events_round_trip_beside_the_functions() {
    let f = fixture();
    let logs = engine();
    let s = Sources {
        functions: &f,
        ingested: &logs,
    };
    assert_eq!(
        call_on(
            &s,
            "CreateLogGroup",
            r#"{"logGroupName":"app","tags":{"env":"dev"}}"#
        ),
        (200, json!({}))
    );
    let (status, body) = call_on(&s, "CreateLogGroup", r#"{"logGroupName":"app"}"#);
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"__type": "ResourceAlreadyExistsException", "message": "The specified log group already exists"})
    );
    // The function has logged: its group exists.
    let (_, body) = call_on(&s, "CreateLogGroup", r#"{"logGroupName":"/aws/lambda/f"}"#);
    assert_eq!(body["__type"], "ResourceAlreadyExistsException");
    let long = format!(r#"{{"logGroupName":"{}"}}"#, "a".repeat(513));
    assert_eq!(
        call_on(&s, "CreateLogGroup", &long).1["message"],
        "Invalid LogGroup or LogStream, both must have length less than or equal to 512."
    );
    assert_eq!(
        call_on(
            &s,
            "CreateLogStream",
            r#"{"logGroupName":"app","logStreamName":"web"}"#
        )
        .0,
        200
    );
    let put = format!(
        r#"{{"logGroupName":"app","logStreamName":"web","sequenceToken":"ignored","logEvents":[{{"timestamp":{},"message":"one"}},{{"timestamp":{NOW},"message":"two"}}]}}"#,
        NOW - 1
    );
    let (status, body) = call_on(&s, "PutLogEvents", &put);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["nextSequenceToken"].as_str().unwrap().len(), 56);
    assert!(body.get("rejectedLogEventsInfo").is_none());
    let (_, body) = call_on(&s, "DescribeLogGroups", "{}");
    let names: Vec<&str> = body["logGroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["logGroupName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["/aws/lambda/f", "app"]);
    assert_eq!(body["logGroups"][1]["storedBytes"], 6);
    let (_, body) = call_on(
        &s,
        "GetLogEvents",
        r#"{"logGroupName":"app","logStreamName":"web","limit":1}"#,
    );
    // Without startFromHead the latest come first.
    assert_eq!(
        body,
        json!({
            "events": [{"timestamp": NOW, "message": "two", "ingestionTime": NOW}],
            "nextForwardToken": "f/2",
            "nextBackwardToken": "b/1"
        })
    );
    let (_, body) = call_on(
        &s,
        "GetLogEvents",
        r#"{"logGroupName":"app","logStreamName":"web","limit":1,"nextToken":"b/1"}"#,
    );
    assert_eq!(body["events"][0]["message"], "one");
    let (_, body) = call_on(
        &s,
        "FilterLogEvents",
        r#"{"logGroupName":"app","filterPattern":"o","limit":1}"#,
    );
    assert_eq!(body["events"][0]["message"], "one");
    let token = body["nextToken"].as_str().unwrap().to_string();
    let (_, body) = call_on(
        &s,
        "FilterLogEvents",
        &format!(r#"{{"logGroupName":"app","filterPattern":"o","nextToken":"{token}"}}"#),
    );
    assert_eq!(body["events"][0]["message"], "two");
    assert!(body.get("nextToken").is_none());
    assert_eq!(
        call_on(&s, "ListTagsLogGroup", r#"{"logGroupName":"app"}"#).1,
        json!({"tags": {"env": "dev"}})
    );
    assert_eq!(
        call_on(&s, "DeleteLogGroup", r#"{"logGroupName":"app"}"#).0,
        200
    );
    assert_eq!(
        call_on(&s, "DeleteLogGroup", r#"{"logGroupName":"app"}"#).1["__type"],
        "ResourceNotFoundException"
    );
}

#[test]
fn a_functions_group_takes_retention_tags_and_streams() {
    let f = fixture();
    let logs = engine();
    let s = Sources {
        functions: &f,
        ingested: &logs,
    };
    assert_eq!(
        call_on(
            &s,
            "PutRetentionPolicy",
            r#"{"logGroupName":"/aws/lambda/f","retentionInDays":14}"#
        )
        .0,
        200
    );
    let (status, body) = call_on(
        &s,
        "PutRetentionPolicy",
        r#"{"logGroupName":"/aws/lambda/f","retentionInDays":13}"#,
    );
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "InvalidParameterException");
    let (_, body) = call_on(&s, "DescribeLogGroups", "{}");
    assert_eq!(body["logGroups"].as_array().unwrap().len(), 1);
    assert_eq!(body["logGroups"][0]["retentionInDays"], 14);
    // The function's streams are still there.
    let (_, body) = call_on(
        &s,
        "DescribeLogStreams",
        r#"{"logGroupName":"/aws/lambda/f"}"#,
    );
    assert_eq!(body["logStreams"].as_array().unwrap().len(), 2);
    let arn = "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/f";
    assert_eq!(
        call_on(
            &s,
            "TagResource",
            &format!(r#"{{"resourceArn":"{arn}","tags":{{"team":"a","x":"y"}}}}"#)
        )
        .0,
        200
    );
    call_on(
        &s,
        "UntagResource",
        &format!(r#"{{"resourceArn":"{arn}","tagKeys":["x"]}}"#),
    );
    assert_eq!(
        call_on(
            &s,
            "ListTagsForResource",
            &format!(r#"{{"resourceArn":"{arn}"}}"#)
        )
        .1,
        json!({"tags": {"team": "a"}})
    );
    assert_eq!(
        call_on(
            &s,
            "DescribeLogStreams",
            r#"{"logGroupName":"/aws/lambda/f","logGroupIdentifier":"/aws/lambda/f"}"#
        )
        .1,
        json!({"__type": "ValidationException", "message": "LogGroup name and LogGroup ARN are mutually exclusive parameters."})
    );
}

#[test]
fn put_log_events_refuses_and_rejects_as_aws() {
    let f = fixture();
    let logs = engine();
    let s = Sources {
        functions: &f,
        ingested: &logs,
    };
    call_on(&s, "CreateLogGroup", r#"{"logGroupName":"g"}"#);
    call_on(
        &s,
        "CreateLogStream",
        r#"{"logGroupName":"g","logStreamName":"s"}"#,
    );
    let events = |list: &[(i64, &str)]| -> String {
        let list: Vec<String> = list
            .iter()
            .map(|(t, m)| format!(r#"{{"timestamp":{t},"message":"{m}"}}"#))
            .collect();
        format!(
            r#"{{"logGroupName":"g","logStreamName":"s","logEvents":[{}]}}"#,
            list.join(",")
        )
    };
    let (status, body) = call_on(&s, "PutLogEvents", &events(&[(NOW, "b"), (NOW - 1, "a")]));
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"__type": "InvalidParameterException", "message": "Log events in a single PutLogEvents request must be in chronological order."})
    );
    let day = 86_400_000;
    let (status, body) = call_on(
        &s,
        "PutLogEvents",
        &events(&[
            (NOW - 15 * day, "old"),
            (NOW, "now"),
            (NOW + 3 * 3_600_000, "new"),
        ]),
    );
    assert_eq!(status, 200);
    assert_eq!(
        body["rejectedLogEventsInfo"],
        json!({"tooNewLogEventStartIndex": 2, "tooOldLogEventEndIndex": 1})
    );
    let (_, body) = call_on(
        &s,
        "PutLogEvents",
        r#"{"logGroupName":"g","logStreamName":"nope","logEvents":[{"timestamp":1,"message":"x"}]}"#,
    );
    assert_eq!(
        body,
        json!({"__type": "ResourceNotFoundException", "message": "The specified log stream does not exist."})
    );
    let (_, body) = call_on(
        &s,
        "PutLogEvents",
        r#"{"logGroupName":"g","logStreamName":"s","logEvents":[]}"#,
    );
    assert_eq!(
        body["message"],
        "1 validation error detected: Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
}

#[test]
fn writes_are_not_served_without_ingested_groups() {
    let f = fixture();
    let (status, body) = call_on(&f, "CreateLogGroup", r#"{"logGroupName":"g"}"#);
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "UnknownOperationException");
}
