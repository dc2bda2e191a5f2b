//! Shapes and helpers several operations share: string maps and lists, message attributes,
//! batch checks and batch results.
//!
//! SQS's model gives its members types but no constraints (no lengths, ranges or patterns,
//! and its enums are not enforced by the front end: SQS answers an unknown attribute name
//! with its own `InvalidAttributeName`), so every shape here is unconstrained.

use std::collections::{BTreeMap, HashSet};

use aws_wire::{Input, Member, Shape, Writer};
use sqs_engine::{AttributeValue, Outgoing, SqsError};

use crate::errors::codes;

/// A list of strings (`AttributeNames`, `TagKeys`, `MessageAttributeNames`, ...).
pub(crate) static STRING_LIST: Shape = Shape::List {
    member: &Shape::STRING,
    min_len: None,
    max_len: None,
    member_str: None,
};

/// A map of strings to strings (`Attributes`, `Tags`).
pub(crate) static STRING_MAP: Shape = Shape::Map {
    key: &Shape::STRING,
    value: &Shape::STRING,
    min_len: None,
    max_len: None,
};

static BLOB_LIST: Shape = Shape::List {
    member: &Shape::BLOB,
    min_len: None,
    max_len: None,
    member_str: None,
};

/// `MessageAttributeValue` and `MessageSystemAttributeValue`, which share their members.
static ATTRIBUTE_VALUE: [Member; 5] = [
    Member::optional("StringValue", &Shape::STRING),
    Member::optional("BinaryValue", &Shape::BLOB),
    Member::optional("StringListValues", &STRING_LIST),
    Member::optional("BinaryListValues", &BLOB_LIST),
    Member::required("DataType", &Shape::STRING),
];

/// `MessageBodyAttributeMap` and `MessageBodySystemAttributeMap`.
pub(crate) static ATTRIBUTE_MAP: Shape = Shape::Map {
    key: &Shape::STRING,
    value: &Shape::Structure(&ATTRIBUTE_VALUE),
    min_len: None,
    max_len: None,
};

/// A member the schema requires, which `first_missing` has already found present.
pub(crate) fn required<'i>(input: &'i Input<'_>, name: &str) -> &'i str {
    input.str(name).unwrap_or_default()
}

/// A string-to-string map member, empty when absent.
pub(crate) fn string_map(input: &Input<'_>, name: &str) -> BTreeMap<String, String> {
    input
        .map_str(name)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A list-of-strings member, empty when absent.
pub(crate) fn string_list(input: &Input<'_>, name: &str) -> Vec<String> {
    input
        .str_list(name)
        .unwrap_or_default()
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// A message attribute map member: each value is the StringValue's text for String and
/// Number types and the BinaryValue's bytes for Binary ones; empty if that one is absent
/// (which the engine refuses with AWS's text).
fn attributes(input: &Input<'_>, name: &str) -> BTreeMap<String, AttributeValue> {
    let mut out = BTreeMap::new();
    for (key, item) in input.map(name).unwrap_or_default() {
        let Some(a) = item.as_structure() else {
            continue;
        };
        let data_type = a.str("DataType").unwrap_or_default().to_string();
        let value = if data_type.starts_with("Binary") {
            a.blob("BinaryValue").unwrap_or_default().to_vec()
        } else {
            a.str("StringValue").unwrap_or_default().as_bytes().to_vec()
        };
        out.insert(key.to_string(), AttributeValue { data_type, value });
    }
    out
}

/// The message a SendMessage request or a SendMessageBatch entry describes. The sender's
/// `AWSTraceHeader` system attribute wins over the request's `X-Amzn-Trace-Id`.
pub(crate) fn outgoing(
    entry: &Input<'_>,
    trace_header: Option<&str>,
) -> Result<Outgoing, SqsError> {
    let explicit = entry
        .map("MessageSystemAttributes")
        .unwrap_or_default()
        .iter()
        .filter(|(k, _)| k == "AWSTraceHeader")
        .find_map(|(_, v)| v.as_structure()?.str("StringValue"));
    let body = entry
        .str("MessageBody")
        .ok_or_else(|| SqsError::MissingParameter("MessageBody".into()))?;
    Ok(Outgoing {
        body: body.to_string(),
        delay_seconds: entry.int("DelaySeconds"),
        attributes: attributes(entry, "MessageAttributes"),
        trace_header: explicit.or(trace_header).map(str::to_string),
        group_id: entry.str("MessageGroupId").map(str::to_string),
        deduplication_id: entry.str("MessageDeduplicationId").map(str::to_string),
    })
}

/// A batch entry's `Id`; an absent one is empty, which fails the id check.
pub(crate) fn entry_id<'i>(entry: &'i Input<'_>) -> &'i str {
    entry.str("Id").unwrap_or_default()
}

/// Checks what makes a whole batch request fail: entry count, ids.
pub(crate) fn check_batch<'a>(
    ids: impl ExactSizeIterator<Item = &'a str>,
    entry_name: &'static str,
) -> Result<(), SqsError> {
    let n = ids.len();
    if n == 0 {
        return Err(SqsError::EmptyBatchRequest(entry_name));
    }
    if n > sqs_engine::MAX_BATCH {
        return Err(SqsError::TooManyEntriesInBatchRequest(n));
    }
    let mut seen = HashSet::new();
    for id in ids {
        if !sqs_engine::valid_batch_id(id) {
            return Err(SqsError::InvalidBatchEntryId);
        }
        if !seen.insert(id) {
            return Err(SqsError::BatchEntryIdsNotDistinct(id.to_string()));
        }
    }
    Ok(())
}

/// Writes `{"Successful": [...], "Failed": [...]}` of a batch: `write_ok` writes the members
/// of a successful entry's map after its `Id`.
pub(crate) fn write_batch_result<T>(
    w: &mut Writer,
    results: &[(&str, Result<T, SqsError>)],
    write_ok: impl Fn(&mut Writer, &T),
) {
    w.begin_map(Some(2));
    w.key("Successful");
    w.begin_array(None);
    for (id, result) in results {
        if let Ok(ok) = result {
            w.begin_map(None);
            w.key("Id");
            w.str(id);
            write_ok(w, ok);
            w.end_map();
        }
    }
    w.end_array();
    w.key("Failed");
    w.begin_array(None);
    for (id, result) in results {
        if let Err(e) = result {
            w.begin_map(Some(4));
            w.key("Id");
            w.str(id);
            w.key("SenderFault");
            w.bool(true);
            w.key("Code");
            w.str(codes(e).code);
            w.key("Message");
            w.str(&e.to_string());
            w.end_map();
        }
    }
    w.end_array();
    w.end_map();
}

/// Writes a string-to-string map.
pub(crate) fn write_string_map<'a>(
    w: &mut Writer,
    entries: impl ExactSizeIterator<Item = (&'a str, &'a str)>,
) {
    w.begin_dict(Some(entries.len()));
    for (k, v) in entries {
        w.key(k);
        w.str(v);
    }
    w.end_dict();
}

/// Writes an empty object, the answer of operations that return nothing.
pub(crate) fn write_empty(w: &mut Writer) {
    w.begin_map(Some(0));
    w.end_map();
}

/// Whether `name` is selected by `patterns`: `All`, `.*`, the name itself, or a `prefix.*`.
pub(crate) fn selected(patterns: &[&str], name: &str) -> bool {
    patterns.iter().any(|p| {
        *p == "All"
            || *p == ".*"
            || *p == name
            || p.strip_suffix(".*").is_some_and(|prefix| {
                name.strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('.'))
            })
    })
}

/// The elements of a list-of-structures member, empty when absent.
pub(crate) fn entries<'i, 'a>(input: &'i Input<'a>, name: &str) -> &'i [Input<'a>] {
    input.list(name).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_patterns() {
        assert!(selected(&["All"], "x"));
        assert!(selected(&[".*"], "x"));
        assert!(selected(&["a.*"], "a.b"));
        assert!(!selected(&["a.*"], "ab"));
        assert!(selected(&["x"], "x"));
        assert!(!selected(&[], "x"));
    }
}
