//! The documents SNS delivers, member for member as AWS writes them.
//!
//! - **The notification envelope** (an SQS message body, an HTTP(S) POST body): a JSON object
//!   printed the way SNS prints it, two-space indented with ` : ` between name and value, with
//!   `Type`, `MessageId`, `TopicArn`, `Subject` (only when the publisher gave one), `Message`,
//!   `Timestamp`, `SignatureVersion`, `Signature`, `SigningCertURL`, `UnsubscribeURL` and
//!   `MessageAttributes` (only when there are any; each `{"Type":..,"Value":..}`, binary
//!   values in base64).
//! - **The subscription confirmation** (HTTP(S) only): `Type` `SubscriptionConfirmation`,
//!   `MessageId`, `Token`, `TopicArn`, `Message` (AWS's sentence), `SubscribeURL`,
//!   `Timestamp`, `SignatureVersion`, `Signature`, `SigningCertURL`; and its sibling the
//!   `UnsubscribeConfirmation` sent when an HTTP(S) subscription is deleted.
//! - **The Lambda event**: compact JSON `{"Records":[{"EventSource":"aws:sns",
//!   "EventVersion":"1.0","EventSubscriptionArn":..,"Sns":{..}}]}` whose `Sns` spells the URLs
//!   `SigningCertUrl` and `UnsubscribeUrl`, always carries `MessageAttributes` (`{}` when
//!   none) and has `"Subject":null` without a subject.
//!
//! Sources: the SNS developer guide's "HTTP/HTTPS notification JSON format",
//! "HTTP/HTTPS subscription confirmation JSON format" and "HTTP/HTTPS headers" pages, and
//! Lambda's "Using Lambda with Amazon SNS" example event (see `/work/shared/AWS-FACTS.md`).
//!
//! **Signatures are placeholders.** SNS signs each message with a private key whose
//! certificate sits at `SigningCertURL`; this engine has no AWS key, so `Signature` is the
//! base64 of a fixed marker and the message id, and `SigningCertURL` names a certificate on
//! the engine's endpoint that is not served. Code that verifies SNS signatures must skip the
//! check against this engine.

use base64::Engine as _;
use time_source::civil_from_days;

use crate::{AttributeValue, MessageAttribute};

/// What every delivered document of one message shares.
pub(crate) struct Notice<'a> {
    pub(crate) message_id: &'a str,
    pub(crate) topic_arn: &'a str,
    pub(crate) subject: Option<&'a str>,
    pub(crate) message: &'a str,
    /// When the message was published, as [`timestamp`] writes it.
    pub(crate) timestamp: &'a str,
    /// The topic's `SignatureVersion` attribute (`1` unless set to `2`).
    pub(crate) signature_version: &'a str,
    pub(crate) attributes: &'a [MessageAttribute],
    /// The engine's endpoint (`http://127.0.0.1:4566`), the base of its URLs.
    pub(crate) endpoint_url: &'a str,
}

/// A JSON string literal.
fn q(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// The placeholder signature of message `message_id` (see the module documentation).
fn signature(message_id: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("streamwatch-unsigned:{message_id}"))
}

/// Where a real SNS would serve its signing certificate; not served here.
fn signing_cert_url(endpoint_url: &str) -> String {
    format!("{endpoint_url}/SimpleNotificationService-streamwatch.pem")
}

/// The URL that unsubscribes `subscription_arn`.
pub(crate) fn unsubscribe_url(endpoint_url: &str, subscription_arn: &str) -> String {
    format!("{endpoint_url}/?Action=Unsubscribe&SubscriptionArn={subscription_arn}")
}

/// The URL that confirms a subscription to `topic_arn` with `token`.
pub(crate) fn subscribe_url(endpoint_url: &str, topic_arn: &str, token: &str) -> String {
    format!("{endpoint_url}/?Action=ConfirmSubscription&TopicArn={topic_arn}&Token={token}")
}

/// An attribute's value as the envelope shows it: text as is, binary in base64.
fn shown(value: &AttributeValue) -> String {
    match value {
        AttributeValue::Text(s) => s.clone(),
        AttributeValue::Binary(b) => base64::engine::general_purpose::STANDARD.encode(b),
    }
}

/// Pretty-prints members as SNS does: `{\n  "Name" : value,\n ...\n}`; values are JSON
/// already.
fn pretty(members: &[(&str, String)]) -> String {
    let mut out = String::from("{\n");
    for (i, (name, value)) in members.iter().enumerate() {
        out.push_str("  ");
        out.push_str(&q(name));
        out.push_str(" : ");
        out.push_str(value);
        out.push_str(if i + 1 < members.len() { ",\n" } else { "\n" });
    }
    out.push('}');
    out
}

/// The notification envelope of `notice` for subscription `subscription_arn`.
pub(crate) fn notification(notice: &Notice<'_>, subscription_arn: &str) -> String {
    let mut members = vec![
        ("Type", q("Notification")),
        ("MessageId", q(notice.message_id)),
        ("TopicArn", q(notice.topic_arn)),
    ];
    if let Some(subject) = notice.subject {
        members.push(("Subject", q(subject)));
    }
    members.extend([
        ("Message", q(notice.message)),
        ("Timestamp", q(notice.timestamp)),
        ("SignatureVersion", q(notice.signature_version)),
        ("Signature", q(&signature(notice.message_id))),
        ("SigningCertURL", q(&signing_cert_url(notice.endpoint_url))),
        (
            "UnsubscribeURL",
            q(&unsubscribe_url(notice.endpoint_url, subscription_arn)),
        ),
    ]);
    if !notice.attributes.is_empty() {
        let entries: Vec<String> = notice
            .attributes
            .iter()
            .map(|a| format!("    {} : {}", q(&a.name), attribute_object(a)))
            .collect();
        members.push((
            "MessageAttributes",
            format!("{{\n{}\n  }}", entries.join(",\n")),
        ));
    }
    pretty(&members)
}

/// `{"Type":"String","Value":"v"}`.
fn attribute_object(a: &MessageAttribute) -> String {
    format!(
        "{{\"Type\":{},\"Value\":{}}}",
        q(&a.data_type),
        q(&shown(&a.value))
    )
}

/// Which confirmation document: sent on Subscribe or on Unsubscribe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Confirmation {
    /// `SubscriptionConfirmation`, sent when an HTTP(S) endpoint subscribes.
    Subscribe,
    /// `UnsubscribeConfirmation`, sent when its subscription is deleted.
    Unsubscribe,
}

impl Confirmation {
    /// The `Type` member and the `x-amz-sns-message-type` header.
    pub(crate) fn type_name(self) -> &'static str {
        match self {
            Confirmation::Subscribe => "SubscriptionConfirmation",
            Confirmation::Unsubscribe => "UnsubscribeConfirmation",
        }
    }
}

/// A confirmation document of `kind` for `topic_arn` and `subscription_arn`, whose URL
/// confirms with `token`.
pub(crate) fn confirmation(
    kind: Confirmation,
    notice: &Notice<'_>,
    subscription_arn: &str,
    token: &str,
) -> String {
    let message = match kind {
        Confirmation::Subscribe => format!(
            "You have chosen to subscribe to the topic {}.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
            notice.topic_arn
        ),
        Confirmation::Unsubscribe => format!(
            "You have chosen to deactivate subscription {subscription_arn}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message."
        ),
    };
    pretty(&[
        ("Type", q(kind.type_name())),
        ("MessageId", q(notice.message_id)),
        ("Token", q(token)),
        ("TopicArn", q(notice.topic_arn)),
        ("Message", q(&message)),
        (
            "SubscribeURL",
            q(&subscribe_url(notice.endpoint_url, notice.topic_arn, token)),
        ),
        ("Timestamp", q(notice.timestamp)),
        ("SignatureVersion", q(notice.signature_version)),
        ("Signature", q(&signature(notice.message_id))),
        ("SigningCertURL", q(&signing_cert_url(notice.endpoint_url))),
    ])
}

/// The Lambda event of `notice` for subscription `subscription_arn`.
pub(crate) fn lambda_event(notice: &Notice<'_>, subscription_arn: &str) -> String {
    let attributes: Vec<String> = notice
        .attributes
        .iter()
        .map(|a| format!("{}:{}", q(&a.name), attribute_object(a)))
        .collect();
    let subject = notice.subject.map_or_else(|| "null".to_owned(), q);
    let sns = format!(
        "{{\"Type\":\"Notification\",\"MessageId\":{},\"TopicArn\":{},\"Subject\":{},\"Message\":{},\"Timestamp\":{},\"SignatureVersion\":{},\"Signature\":{},\"SigningCertUrl\":{},\"UnsubscribeUrl\":{},\"MessageAttributes\":{{{}}}}}",
        q(notice.message_id),
        q(notice.topic_arn),
        subject,
        q(notice.message),
        q(notice.timestamp),
        q(notice.signature_version),
        q(&signature(notice.message_id)),
        q(&signing_cert_url(notice.endpoint_url)),
        q(&unsubscribe_url(notice.endpoint_url, subscription_arn)),
        attributes.join(","),
    );
    format!(
        "{{\"Records\":[{{\"EventSource\":\"aws:sns\",\"EventVersion\":\"1.0\",\"EventSubscriptionArn\":{},\"Sns\":{sns}}}]}}",
        q(subscription_arn)
    )
}

/// `2019-08-20T18:47:13.322Z`: SNS's timestamps, always with milliseconds, in UTC.
pub(crate) fn timestamp(epoch_ms: u64) -> String {
    let secs = epoch_ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        epoch_ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice<'a>(attributes: &'a [MessageAttribute], subject: Option<&'a str>) -> Notice<'a> {
        Notice {
            message_id: "m-1",
            topic_arn: "arn:aws:sns:us-east-1:000000000000:t",
            subject,
            message: "hello \"world\"\n",
            timestamp: "2023-11-14T22:13:20.000Z",
            signature_version: "1",
            attributes,
            endpoint_url: "http://127.0.0.1:4566",
        }
    }

    #[test]
    fn timestamps_keep_milliseconds() {
        assert_eq!(timestamp(1_700_000_000_000), "2023-11-14T22:13:20.000Z");
        assert_eq!(timestamp(1_566_326_833_322), "2019-08-20T18:47:13.322Z");
        assert_eq!(timestamp(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn the_envelope_is_printed_as_sns_prints_it() {
        let attrs = [MessageAttribute {
            name: "k".into(),
            data_type: "String".into(),
            value: AttributeValue::Text("v".into()),
        }];
        let sub = "arn:aws:sns:us-east-1:000000000000:t:abc";
        let doc = notification(&notice(&attrs, Some("S")), sub);
        let expected = format!(
            "{{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : \"m-1\",\n  \"TopicArn\" : \"arn:aws:sns:us-east-1:000000000000:t\",\n  \"Subject\" : \"S\",\n  \"Message\" : \"hello \\\"world\\\"\\n\",\n  \"Timestamp\" : \"2023-11-14T22:13:20.000Z\",\n  \"SignatureVersion\" : \"1\",\n  \"Signature\" : \"{}\",\n  \"SigningCertURL\" : \"http://127.0.0.1:4566/SimpleNotificationService-streamwatch.pem\",\n  \"UnsubscribeURL\" : \"http://127.0.0.1:4566/?Action=Unsubscribe&SubscriptionArn={sub}\",\n  \"MessageAttributes\" : {{\n    \"k\" : {{\"Type\":\"String\",\"Value\":\"v\"}}\n  }}\n}}",
            signature("m-1")
        );
        assert_eq!(doc, expected);
        let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(v["Message"], "hello \"world\"\n");
        // No subject, no attributes: neither member appears.
        let bare: serde_json::Value =
            serde_json::from_str(&notification(&notice(&[], None), sub)).unwrap();
        assert!(bare.get("Subject").is_none() && bare.get("MessageAttributes").is_none());
    }

    #[test]
    fn the_lambda_event_uses_lambdas_spellings() {
        let attrs = [MessageAttribute {
            name: "b".into(),
            data_type: "Binary".into(),
            value: AttributeValue::Binary(vec![1, 2]),
        }];
        let v: serde_json::Value =
            serde_json::from_str(&lambda_event(&notice(&attrs, None), "arn:s")).unwrap();
        let r = &v["Records"][0];
        assert_eq!(r["EventSource"], "aws:sns");
        assert_eq!(r["EventVersion"], "1.0");
        assert_eq!(r["EventSubscriptionArn"], "arn:s");
        assert_eq!(r["Sns"]["Subject"], serde_json::Value::Null);
        assert_eq!(r["Sns"]["MessageAttributes"]["b"]["Value"], "AQI=");
        assert!(r["Sns"]["SigningCertUrl"].is_string() && r["Sns"]["UnsubscribeUrl"].is_string());
    }

    #[test]
    fn confirmations_carry_the_token_and_the_url() {
        let doc = confirmation(Confirmation::Subscribe, &notice(&[], None), "arn:s", "tok");
        let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(v["Type"], "SubscriptionConfirmation");
        assert_eq!(v["Token"], "tok");
        assert_eq!(
            v["SubscribeURL"],
            "http://127.0.0.1:4566/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:000000000000:t&Token=tok"
        );
        assert_eq!(
            v["Message"],
            "You have chosen to subscribe to the topic arn:aws:sns:us-east-1:000000000000:t.\nTo confirm the subscription, visit the SubscribeURL included in this message."
        );
    }
}
