//! Publish and PublishBatch: the message checks (with AWS's texts) and the fan-out to every
//! confirmed subscription of the topic.

use std::collections::HashSet;
use std::sync::Arc;

use metric_store::catalog;

use crate::envelope::{self, Notice};
use crate::ops_subscriptions::USER_AGENT;
use crate::ops_topics::topic_in;
use crate::subscription::Subscription;
use crate::{
    AttributeValue, HttpPost, Inner, MessageAttribute, Protocol, QueueAttribute, SnsEngine,
    SnsError,
};

/// Largest message, attributes included: 256 KiB ("at most 256 KB in size (262,144 bytes)").
pub const MAX_MESSAGE_BYTES: usize = 262_144;
/// Most entries in one PublishBatch.
pub const MAX_BATCH: usize = 10;
/// Longest subject ("less than 100 characters long").
const MAX_SUBJECT_CHARS: usize = 99;

/// One PublishBatch entry's outcome: its id, and its message id or why it failed.
pub type BatchResult = (String, Result<String, SnsError>);

/// A message to publish.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// The body; with `structure` `json`, a JSON object of per-protocol bodies with a
    /// `default`.
    pub body: String,
    /// The subject, shown in the envelope and the Lambda event.
    pub subject: Option<String>,
    /// `MessageStructure`: `json` or nothing.
    pub structure: Option<String>,
    /// The message attributes.
    pub attributes: Vec<MessageAttribute>,
    /// `MessageGroupId`: FIFO topics only, so refused here.
    pub group_id: Option<String>,
    /// `MessageDeduplicationId`: FIFO topics only, so refused here.
    pub deduplication_id: Option<String>,
}

impl Message {
    /// Its size as SNS counts it: the body plus each attribute's name, type and value.
    fn size(&self) -> usize {
        self.body.len()
            + self
                .attributes
                .iter()
                .map(|a| {
                    a.name.len()
                        + a.data_type.len()
                        + match &a.value {
                            AttributeValue::Text(s) => s.len(),
                            AttributeValue::Binary(b) => b.len(),
                        }
                })
                .sum::<usize>()
    }
}

/// The per-protocol bodies of a message: one for all, or those of `MessageStructure=json`.
struct Bodies {
    default: String,
    by_protocol: Vec<(String, String)>,
}

impl Bodies {
    fn of(message: &Message) -> Result<Bodies, SnsError> {
        match message.structure.as_deref() {
            None => Ok(Bodies {
                default: message.body.clone(),
                by_protocol: Vec::new(),
            }),
            Some("json") => {
                let parse_error =
                    || SnsError::invalid("Message Structure - JSON message body failed to parse");
                let parsed: serde_json::Value =
                    serde_json::from_str(&message.body).map_err(|_| parse_error())?;
                let object = parsed.as_object().ok_or_else(parse_error)?;
                let mut by_protocol = Vec::new();
                let mut default = None;
                for (k, v) in object {
                    // Protocol keys must hold strings; other keys are ignored, as on AWS.
                    let text = match v.as_str() {
                        Some(s) => s.to_owned(),
                        None if is_protocol_key(k) => return Err(parse_error()),
                        None => continue,
                    };
                    if k == "default" {
                        default = Some(text);
                    } else {
                        by_protocol.push((k.clone(), text));
                    }
                }
                let default = default.ok_or_else(|| {
                    SnsError::invalid("Message Structure - No default entry in JSON message body")
                })?;
                Ok(Bodies {
                    default,
                    by_protocol,
                })
            }
            Some(_) => Err(SnsError::invalid("MessageStructure")),
        }
    }

    fn for_protocol(&self, protocol: Protocol) -> &str {
        self.by_protocol
            .iter()
            .find(|(k, _)| k == protocol.as_str())
            .map_or(self.default.as_str(), |(_, v)| v.as_str())
    }
}

fn is_protocol_key(k: &str) -> bool {
    matches!(
        k,
        "default" | "sqs" | "lambda" | "http" | "https" | "email" | "email-json" | "sms"
    )
}

/// Checks what Publish checks before looking at the topic.
fn check(message: &Message) -> Result<(), SnsError> {
    if message.group_id.is_some() {
        return Err(SnsError::invalid(
            "MessageGroupId Reason: The request includes MessageGroupId parameter that is not valid for this topic type",
        ));
    }
    if message.deduplication_id.is_some() {
        return Err(SnsError::invalid(
            "MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
        ));
    }
    if message.body.is_empty() {
        return Err(SnsError::invalid("Empty message"));
    }
    if let Some(subject) = &message.subject {
        let printable = subject.chars().all(|c| !c.is_control());
        if subject.is_empty() || !printable || subject.chars().count() > MAX_SUBJECT_CHARS {
            return Err(SnsError::invalid("Subject"));
        }
    }
    for a in &message.attributes {
        check_attribute(a)?;
    }
    if message.size() > MAX_MESSAGE_BYTES {
        return Err(SnsError::invalid("Message too long"));
    }
    Ok(())
}

/// A message attribute's type and value, with AWS's `ParameterValueInvalid` texts.
fn check_attribute(a: &MessageAttribute) -> Result<(), SnsError> {
    let base = a.data_type.split('.').next().unwrap_or_default();
    let ok_value = match (&a.value, base) {
        (AttributeValue::Text(s), "String" | "Number") => !s.is_empty(),
        (AttributeValue::Binary(b), "Binary") => !b.is_empty(),
        (_, "String" | "Number" | "Binary") => false,
        _ => {
            return Err(SnsError::ParameterValueInvalid(format!(
                "The message attribute '{}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.",
                a.name
            )));
        }
    };
    if !ok_value {
        return Err(SnsError::ParameterValueInvalid(format!(
            "The message attribute '{}' must contain non-empty message attribute value for message attribute type '{}'.",
            a.name, a.data_type
        )));
    }
    if base == "Number"
        && !matches!(&a.value, AttributeValue::Text(s) if s.trim().parse::<f64>().is_ok_and(f64::is_finite))
    {
        return Err(SnsError::ParameterValueInvalid(format!(
            "An invalid or out-of-range value was supplied for the message attribute '{}'.",
            a.name
        )));
    }
    Ok(())
}

impl SnsEngine {
    /// Publishes `message` with an optional `subject` to a topic: what a CloudWatch alarm's
    /// SNS action does. Returns the message id.
    pub fn publish(
        &self,
        topic_arn: &str,
        subject: Option<&str>,
        message: &str,
    ) -> Result<String, SnsError> {
        self.publish_message(
            topic_arn,
            Message {
                body: message.to_owned(),
                subject: subject.map(str::to_owned),
                ..Message::default()
            },
        )
    }

    /// Publishes `message` to the topic `target_arn` names (Publish's `TopicArn` or
    /// `TargetArn`; platform endpoints are not served) and hands it to every confirmed
    /// subscription. Returns the message id.
    pub fn publish_message(&self, target_arn: &str, message: Message) -> Result<String, SnsError> {
        check(&message)?;
        let bodies = Bodies::of(&message)?;
        let (topic_name, signature_version, subscriptions) = {
            let state = self.inner.state.lock();
            let topic = topic_in(&state, target_arn)?;
            let subs: Vec<Subscription> = state
                .subscriptions
                .iter()
                .filter(|s| s.topic_arn == target_arn && s.confirmed)
                .cloned()
                .collect();
            (
                topic.name.clone(),
                topic.signature_version().to_owned(),
                subs,
            )
        };
        let message_id = uuid::Uuid::new_v4().to_string();
        self.inner
            .record(&topic_name, &catalog::sns::MESSAGES_PUBLISHED, 1.0);
        self.inner.record(
            &topic_name,
            &catalog::sns::PUBLISH_SIZE,
            message.size() as f64,
        );
        let timestamp = envelope::timestamp(self.now_ms());
        for sub in &subscriptions {
            let notice = Notice {
                message_id: &message_id,
                topic_arn: target_arn,
                subject: message.subject.as_deref(),
                message: bodies.for_protocol(sub.protocol),
                timestamp: &timestamp,
                signature_version: &signature_version,
                attributes: &message.attributes,
                endpoint_url: &self.inner.config.endpoint_url,
            };
            self.deliver(&topic_name, sub, &notice);
        }
        Ok(message_id)
    }

    /// Publishes each entry of a PublishBatch: the batch is refused whole when it is empty,
    /// too long, or its ids are not distinct and well formed, or its topic is unknown;
    /// otherwise each entry succeeds or fails on its own, in order, with its id.
    pub fn publish_batch(
        &self,
        topic_arn: &str,
        entries: Vec<(String, Message)>,
    ) -> Result<Vec<BatchResult>, SnsError> {
        if entries.is_empty() {
            return Err(SnsError::EmptyBatchRequest);
        }
        if entries.len() > MAX_BATCH {
            return Err(SnsError::TooManyEntriesInBatchRequest);
        }
        let mut ids = HashSet::new();
        for (id, _) in &entries {
            let well_formed = (1..=80).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !well_formed {
                return Err(SnsError::InvalidBatchEntryId);
            }
            if !ids.insert(id.as_str()) {
                return Err(SnsError::BatchEntryIdsNotDistinct);
            }
        }
        if entries.iter().map(|(_, m)| m.size()).sum::<usize>() > MAX_MESSAGE_BYTES {
            return Err(SnsError::BatchRequestTooLong);
        }
        topic_in(&self.inner.state.lock(), topic_arn)?;
        Ok(entries
            .into_iter()
            .map(|(id, m)| {
                let result = self.publish_message(topic_arn, m);
                (id, result)
            })
            .collect())
    }

    /// Hands one notification to the subscription's endpoint and counts the outcome (an
    /// HTTP one when the POST is answered).
    fn deliver(&self, topic_name: &str, sub: &Subscription, notice: &Notice<'_>) {
        let Some(deliveries) = self.deliveries() else {
            self.inner
                .record(topic_name, &catalog::sns::NOTIFICATIONS_FAILED, 1.0);
            return;
        };
        let outcome = match sub.protocol {
            Protocol::Sqs => {
                let (body, attributes) = if sub.raw() {
                    (
                        notice.message.to_owned(),
                        queue_attributes(notice.attributes),
                    )
                } else {
                    (envelope::notification(notice, &sub.arn), Vec::new())
                };
                deliveries.to_queue(&sub.endpoint, body, attributes)
            }
            Protocol::Lambda => {
                deliveries.to_function(&sub.endpoint, envelope::lambda_event(notice, &sub.arn))
            }
            Protocol::Http | Protocol::Https => {
                let raw = sub.raw();
                let body = if raw {
                    notice.message.to_owned()
                } else {
                    envelope::notification(notice, &sub.arn)
                };
                let mut headers = vec![
                    ("x-amz-sns-message-type", "Notification".to_owned()),
                    ("x-amz-sns-message-id", notice.message_id.to_owned()),
                    ("x-amz-sns-topic-arn", notice.topic_arn.to_owned()),
                    ("x-amz-sns-subscription-arn", sub.arn.clone()),
                ];
                if raw {
                    headers.push(("x-amz-sns-rawdelivery", "true".to_owned()));
                }
                headers.push(("user-agent", USER_AGENT.to_owned()));
                let post = HttpPost {
                    url: sub.endpoint.clone(),
                    headers,
                    body,
                };
                let inner: Arc<Inner> = self.inner.clone();
                let topic = topic_name.to_owned();
                deliveries.to_http(
                    post,
                    Box::new(move |ok| {
                        let metric = if ok {
                            &catalog::sns::NOTIFICATIONS_DELIVERED
                        } else {
                            &catalog::sns::NOTIFICATIONS_FAILED
                        };
                        inner.record(&topic, metric, 1.0);
                    }),
                );
                return;
            }
        };
        match outcome {
            Ok(()) => self
                .inner
                .record(topic_name, &catalog::sns::NOTIFICATIONS_DELIVERED, 1.0),
            Err(why) => {
                tracing::warn!(subscription = %sub.arn, %why, "SNS delivery failed");
                self.inner
                    .record(topic_name, &catalog::sns::NOTIFICATIONS_FAILED, 1.0);
            }
        }
    }
}

/// Message attributes as SQS message attributes (raw message delivery).
fn queue_attributes(attributes: &[MessageAttribute]) -> Vec<QueueAttribute> {
    attributes
        .iter()
        .map(|a| QueueAttribute {
            name: a.name.clone(),
            data_type: a.data_type.clone(),
            value: match &a.value {
                AttributeValue::Text(s) => s.clone().into_bytes(),
                AttributeValue::Binary(b) => b.clone(),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::testing::{Sent, engine, sum, topic};

    const QUEUE: &str = "arn:aws:sqs:us-east-1:000000000000:q";

    fn subscribe(e: &SnsEngine, t: &str, protocol: &str, endpoint: &str) -> String {
        e.subscribe(t, protocol, Some(endpoint), &BTreeMap::new(), true)
            .unwrap()
    }

    #[test]
    fn a_queue_gets_the_envelope_and_metrics_are_recorded() {
        let (e, _, sent) = engine();
        let t = topic(&e, "t");
        let sub = subscribe(&e, &t, "sqs", QUEUE);
        let id = e.publish(&t, Some("Hi"), "body").unwrap();
        let Sent::Queue(arn, body, attrs) = sent.0.lock()[0].clone() else {
            panic!()
        };
        assert_eq!(arn, QUEUE);
        assert!(attrs.is_empty());
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["Type"], "Notification");
        assert_eq!(v["MessageId"], id.as_str());
        assert_eq!(v["Subject"], "Hi");
        assert_eq!(v["Message"], "body");
        assert_eq!(v["Timestamp"], "2023-11-14T22:13:20.000Z");
        assert!(v["UnsubscribeURL"].as_str().unwrap().ends_with(&sub));
        assert_eq!(sum(&e, "NumberOfMessagesPublished", "t"), 1.0);
        assert_eq!(sum(&e, "NumberOfNotificationsDelivered", "t"), 1.0);
        assert_eq!(sum(&e, "PublishSize", "t"), 4.0);
    }

    #[test]
    fn raw_delivery_sends_the_message_and_its_attributes() {
        let (e, _, sent) = engine();
        let t = topic(&e, "t");
        let sub = subscribe(&e, &t, "sqs", QUEUE);
        e.set_subscription_attribute(&sub, "RawMessageDelivery", "true")
            .unwrap();
        let message = Message {
            body: "plain".into(),
            attributes: vec![MessageAttribute {
                name: "k".into(),
                data_type: "String".into(),
                value: AttributeValue::Text("v".into()),
            }],
            ..Message::default()
        };
        e.publish_message(&t, message).unwrap();
        let Sent::Queue(_, body, attrs) = sent.0.lock()[0].clone() else {
            panic!()
        };
        assert_eq!(body, "plain");
        assert_eq!(attrs[0].value, b"v");
    }

    #[test]
    fn each_protocol_gets_its_message_and_document() {
        let (e, _, sent) = engine();
        let t = topic(&e, "t");
        subscribe(&e, &t, "sqs", QUEUE);
        let f = "arn:aws:lambda:us-east-1:000000000000:function:f";
        let fsub = subscribe(&e, &t, "lambda", f);
        let structured = Message {
            body: r#"{"default":"d","lambda":"for lambda"}"#.into(),
            structure: Some("json".into()),
            ..Message::default()
        };
        e.publish_message(&t, structured).unwrap();
        let got = sent.0.lock().clone();
        let Sent::Queue(_, q, _) = &got[0] else {
            panic!()
        };
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(q).unwrap()["Message"],
            "d"
        );
        let Sent::Function(arn, event) = &got[1] else {
            panic!()
        };
        assert_eq!(arn, f);
        let v: serde_json::Value = serde_json::from_str(event).unwrap();
        assert_eq!(v["Records"][0]["EventSubscriptionArn"], fsub.as_str());
        assert_eq!(v["Records"][0]["Sns"]["Message"], "for lambda");
    }

    #[test]
    fn pending_http_subscriptions_get_nothing_and_failures_are_counted() {
        let (e, _, sent) = engine();
        let t = topic(&e, "t");
        e.subscribe(
            &t,
            "http",
            Some("http://127.0.0.1:9/"),
            &BTreeMap::new(),
            false,
        )
        .unwrap();
        subscribe(&e, &t, "sqs", "arn:aws:sqs:us-east-1:000000000000:broken");
        e.publish(&t, None, "x").unwrap();
        // Only the confirmation went out; the queue failed.
        assert_eq!(sent.0.lock().len(), 1);
        assert_eq!(sum(&e, "NumberOfNotificationsFailed", "t"), 1.0);
    }

    #[test]
    fn messages_are_checked_with_aws_texts() {
        let (e, _, _) = engine();
        let t = topic(&e, "t");
        let text = |m: Message| e.publish_message(&t, m).unwrap_err().to_string();
        assert_eq!(text(Message::default()), "Invalid parameter: Empty message");
        let long = Message {
            body: "x".repeat(MAX_MESSAGE_BYTES + 1),
            ..Message::default()
        };
        assert_eq!(text(long), "Invalid parameter: Message too long");
        let subject = Message {
            body: "x".into(),
            subject: Some("two\nlines".into()),
            ..Message::default()
        };
        assert_eq!(text(subject), "Invalid parameter: Subject");
        let no_default = Message {
            body: r#"{"sqs":"x"}"#.into(),
            structure: Some("json".into()),
            ..Message::default()
        };
        assert_eq!(
            text(no_default),
            "Invalid parameter: Message Structure - No default entry in JSON message body"
        );
        let grouped = Message {
            body: "x".into(),
            group_id: Some("g".into()),
            ..Message::default()
        };
        assert!(text(grouped).starts_with("Invalid parameter: MessageGroupId"));
        let bad_attr = Message {
            body: "x".into(),
            attributes: vec![MessageAttribute {
                name: "n".into(),
                data_type: "Number".into(),
                value: AttributeValue::Text("many".into()),
            }],
            ..Message::default()
        };
        assert!(matches!(
            e.publish_message(&t, bad_attr),
            Err(SnsError::ParameterValueInvalid(_))
        ));
        assert_eq!(
            e.publish(&e.topic_arn("nope"), None, "x"),
            Err(SnsError::TopicNotFound)
        );
    }

    #[test]
    fn batches_are_checked_whole_then_per_entry() {
        let (e, _, _) = engine();
        let t = topic(&e, "t");
        let m = |body: &str| Message {
            body: body.into(),
            ..Message::default()
        };
        assert_eq!(
            e.publish_batch(&t, vec![]).unwrap_err(),
            SnsError::EmptyBatchRequest
        );
        let eleven = (0..11).map(|i| (i.to_string(), m("x"))).collect();
        assert_eq!(
            e.publish_batch(&t, eleven).unwrap_err(),
            SnsError::TooManyEntriesInBatchRequest
        );
        let dup = vec![("a".into(), m("x")), ("a".into(), m("y"))];
        assert_eq!(
            e.publish_batch(&t, dup).unwrap_err(),
            SnsError::BatchEntryIdsNotDistinct
        );
        let mixed = vec![("ok".into(), m("x")), ("bad".into(), m(""))];
        let got = e.publish_batch(&t, mixed).unwrap();
        assert!(got[0].1.is_ok());
        assert_eq!(got[1].1, Err(SnsError::invalid("Empty message")));
        assert_eq!(sum(&e, "NumberOfMessagesPublished", "t"), 1.0);
    }
}
