//! Shapes and helpers several operations share: attribute maps, tags, message attributes and
//! subscription lists.

use std::collections::BTreeMap;

use aws_wire::{Input, Member, Shape, Writer};
use sns_engine::{AttributeValue, Message, MessageAttribute, SubscriptionSummary};

/// `TopicAttributesMap` and `SubscriptionAttributesMap`: strings to strings.
pub(crate) static STRING_MAP: Shape = Shape::Map {
    key: &Shape::STRING,
    value: &Shape::STRING,
    min_len: None,
    max_len: None,
};

static TAG: [Member; 2] = [
    Member::required("Key", &Shape::STRING),
    Member::required("Value", &Shape::STRING),
];

/// `TagList`.
pub(crate) static TAG_LIST: Shape = Shape::List {
    member: &Shape::Structure(&TAG),
    min_len: None,
    max_len: None,
    member_str: None,
};

/// `TagKeyList`.
pub(crate) static STRING_LIST: Shape = Shape::List {
    member: &Shape::STRING,
    min_len: None,
    max_len: None,
    member_str: None,
};

static ATTRIBUTE_VALUE: [Member; 3] = [
    Member::required("DataType", &Shape::STRING),
    Member::optional("StringValue", &Shape::STRING),
    Member::optional("BinaryValue", &Shape::BLOB),
];

/// `MessageAttributeMap` (its entries are `Name` / `Value` on the wire: see `form.rs`).
pub(crate) static MESSAGE_ATTRIBUTES: Shape = Shape::Map {
    key: &Shape::STRING,
    value: &Shape::Structure(&ATTRIBUTE_VALUE),
    min_len: None,
    max_len: None,
};

/// A required string member (validation has made sure it is there).
pub(crate) fn required<'i>(input: &'i Input<'_>, name: &str) -> &'i str {
    input.str(name).unwrap_or_default()
}

/// A string map member as a sorted map (empty when absent).
pub(crate) fn string_map(input: &Input<'_>, name: &str) -> BTreeMap<String, String> {
    input
        .map_str(name)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// A `TagList` member as pairs.
pub(crate) fn tags(input: &Input<'_>, name: &str) -> Vec<(String, String)> {
    input
        .list(name)
        .unwrap_or_default()
        .iter()
        .map(|t| {
            (
                required(t, "Key").to_owned(),
                required(t, "Value").to_owned(),
            )
        })
        .collect()
}

/// The message members Publish and a PublishBatch entry share.
pub(crate) fn message(input: &Input<'_>) -> Message {
    let attributes = input
        .map("MessageAttributes")
        .unwrap_or_default()
        .iter()
        .filter_map(|(name, item)| {
            let v = item.as_structure()?;
            let value = match (v.str("StringValue"), v.blob("BinaryValue")) {
                (Some(s), _) => AttributeValue::Text(s.to_owned()),
                (None, Some(b)) => AttributeValue::Binary(b.to_vec()),
                (None, None) => AttributeValue::Text(String::new()),
            };
            Some(MessageAttribute {
                name: name.to_string(),
                data_type: required(v, "DataType").to_owned(),
                value,
            })
        })
        .collect();
    Message {
        body: input.str("Message").unwrap_or_default().to_owned(),
        subject: input.str("Subject").map(str::to_owned),
        structure: input.str("MessageStructure").map(str::to_owned),
        attributes,
        group_id: input.str("MessageGroupId").map(str::to_owned),
        deduplication_id: input.str("MessageDeduplicationId").map(str::to_owned),
    }
}

/// `<Attributes><entry><key>..</key><value>..</value></entry>...</Attributes>`.
pub(crate) fn write_attributes(w: &mut Writer, attributes: &BTreeMap<String, String>) {
    w.begin_map(Some(1));
    w.key("Attributes");
    w.begin_dict(Some(attributes.len()));
    for (k, v) in attributes {
        w.key(k);
        w.str(v);
    }
    w.end_dict();
    w.end_map();
}

/// `<Subscriptions><member>..</member>...</Subscriptions>` and the `NextToken`.
pub(crate) fn write_subscriptions(
    w: &mut Writer,
    rows: &[SubscriptionSummary],
    next: Option<&str>,
) {
    w.begin_map(None);
    w.key("Subscriptions");
    w.begin_array(Some(rows.len()));
    for s in rows {
        w.begin_map(Some(5));
        w.key("SubscriptionArn");
        w.str(&s.subscription_arn);
        w.key("Owner");
        w.str(&s.owner);
        w.key("Protocol");
        w.str(s.protocol.as_str());
        w.key("Endpoint");
        w.str(&s.endpoint);
        w.key("TopicArn");
        w.str(&s.topic_arn);
        w.end_map();
    }
    w.end_array();
    if let Some(next) = next {
        w.key("NextToken");
        w.str(next);
    }
    w.end_map();
}
