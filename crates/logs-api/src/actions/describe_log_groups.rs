//! DescribeLogGroups: one group per function, by name prefix, fifty at a time.

use aws_wire::{Input, Member, Shape, Writer};

use crate::LogSource;
use crate::errors::LogsError;
use crate::shapes::{
    ACCOUNT_IDS, DESCRIBE_LIMIT, GROUP_PREFIX, LOG_GROUP_IDENTIFIER, LOG_GROUP_NAME,
    LOG_GROUP_NAME_PATTERN, NEXT_TOKEN, group_arn, limit, position,
};

static LOG_GROUP_CLASS: Shape = Shape::String {
    min_len: None,
    max_len: None,
    pattern: None,
    enum_values: &["STANDARD", "INFREQUENT_ACCESS", "DELIVERY"],
};

static LOG_GROUP_IDENTIFIERS: Shape = Shape::List {
    member: &LOG_GROUP_IDENTIFIER,
    min_len: Some(1),
    max_len: Some(50),
    member_str: None,
};

pub(crate) static INPUT: [Member; 8] = [
    Member::optional("accountIdentifiers", &ACCOUNT_IDS),
    Member::optional("logGroupNamePrefix", &LOG_GROUP_NAME),
    Member::optional("logGroupNamePattern", &LOG_GROUP_NAME_PATTERN),
    Member::optional("nextToken", &NEXT_TOKEN),
    Member::optional("limit", &DESCRIBE_LIMIT),
    Member::optional("includeLinkedAccounts", &Shape::Boolean),
    Member::optional("logGroupClass", &LOG_GROUP_CLASS),
    Member::optional("logGroupIdentifiers", &LOG_GROUP_IDENTIFIERS),
];

/// One group of the listing: a function's, one users created, or both under one name.
struct Listed {
    name: String,
    function: Option<String>,
    ingested: Option<logs_engine::GroupInfo>,
}

pub(crate) fn run<S: LogSource + ?Sized>(
    source: &S,
    input: &Input<'_>,
    w: &mut Writer,
) -> Result<(), LogsError> {
    let prefix = input.str("logGroupNamePrefix");
    let pattern = input.str("logGroupNamePattern");
    if prefix.is_some() && pattern.is_some() {
        return Err(LogsError::InvalidParameter(
            "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
                .into(),
        ));
    }
    let prefix = prefix.unwrap_or("");
    let pattern = pattern.map(str::to_ascii_lowercase);
    let limit = limit(input, 50);
    let start = position(input)?;
    let mut groups: Vec<Listed> = source
        .functions()
        .into_iter()
        .map(|f| Listed {
            name: format!("{GROUP_PREFIX}{f}"),
            function: Some(f),
            ingested: None,
        })
        .collect();
    for info in source.ingested().map(|l| l.groups()).unwrap_or_default() {
        match groups.iter_mut().find(|g| g.name == info.name) {
            Some(g) => g.ingested = Some(info),
            None => groups.push(Listed {
                name: info.name.clone(),
                function: None,
                ingested: Some(info),
            }),
        }
    }
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    groups.retain(|g| {
        g.name.starts_with(prefix)
            && pattern
                .as_deref()
                .is_none_or(|p| g.name.to_ascii_lowercase().contains(p))
    });
    w.begin_map(None);
    w.key("logGroups");
    w.begin_array(None);
    for g in groups.iter().skip(start).take(limit) {
        let events = g
            .function
            .as_deref()
            .and_then(|f| source.events(f, 0))
            .unwrap_or_default();
        let arn = group_arn(source, &g.name);
        let function_bytes: u64 = events.iter().map(|e| e.message.len() as u64).sum();
        w.begin_map(None);
        w.key("logGroupName");
        w.str(&g.name);
        w.key("creationTime");
        w.int(match &g.ingested {
            Some(i) => i.created_ms,
            None => events.first().map_or(0, |e| e.timestamp_ms),
        });
        if let Some(days) = g.ingested.as_ref().and_then(|i| i.retention_days) {
            w.key("retentionInDays");
            w.int(i64::from(days));
        }
        w.key("metricFilterCount");
        w.int(0);
        w.key("arn");
        w.str(&format!("{arn}:*"));
        w.key("logGroupArn");
        w.str(&arn);
        w.key("storedBytes");
        w.uint(function_bytes + g.ingested.as_ref().map_or(0, |i| i.stored_bytes));
        if let Some(kms) = g.ingested.as_ref().and_then(|i| i.kms_key_id.as_deref()) {
            w.key("kmsKeyId");
            w.str(kms);
        }
        w.key("logGroupClass");
        w.str(g.ingested.as_ref().map_or("STANDARD", |i| i.class.as_str()));
        if let Some(i) = &g.ingested {
            w.key("deletionProtectionEnabled");
            w.bool(i.deletion_protection);
        }
        w.end_map();
    }
    w.end_array();
    if start + limit < groups.len() {
        w.key("nextToken");
        w.str(&(start + limit).to_string());
    }
    w.end_map();
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{Fixture, call, event};

    #[test]
    fn groups_page_by_limit() {
        let f = Fixture(vec![
            ("a", vec![event("s", 5, "hello")]),
            ("b", vec![]),
            ("c", vec![]),
        ]);
        let (status, body) = call(&f, "DescribeLogGroups", r#"{"limit":2}"#);
        assert_eq!(status, 200);
        assert_eq!(body["nextToken"], "2");
        assert_eq!(
            body["logGroups"][0],
            json!({
                "logGroupName": "/aws/lambda/a",
                "creationTime": 5,
                "metricFilterCount": 0,
                "arn": "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/a:*",
                "logGroupArn": "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/a",
                "storedBytes": 5,
                "logGroupClass": "STANDARD"
            })
        );
        let (_, body) = call(&f, "DescribeLogGroups", r#"{"limit":2,"nextToken":"2"}"#);
        assert_eq!(body["logGroups"].as_array().unwrap().len(), 1);
        assert!(body.get("nextToken").is_none());
        let (_, body) = call(
            &f,
            "DescribeLogGroups",
            r#"{"logGroupNamePrefix":"/aws/lambda/b"}"#,
        );
        assert_eq!(body["logGroups"][0]["logGroupName"], "/aws/lambda/b");
        let (_, body) = call(&f, "DescribeLogGroups", r#"{"nextToken":"x"}"#);
        assert_eq!(
            body,
            json!({"__type": "InvalidParameterException", "message": "The specified nextToken is invalid."})
        );
    }
}
