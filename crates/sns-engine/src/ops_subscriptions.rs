//! The subscription operations: Subscribe, ConfirmSubscription, Unsubscribe, the two List
//! calls and Get/SetSubscriptionAttributes.

use std::collections::BTreeMap;

use crate::envelope::{self, Confirmation, Notice};
use crate::names::split_arn;
use crate::ops_topics::topic_in;
use crate::subscription::{Subscription, check_attribute};
use crate::{HttpPost, PAGE_SIZE, Protocol, SnsEngine, SnsError, State, SubscriptionSummary};

/// What Subscribe returns for a subscription its endpoint has yet to confirm (unless the
/// caller asked for the ARN with `ReturnSubscriptionArn`).
pub const PENDING_CONFIRMATION: &str = "pending confirmation";

/// How long a confirmation token stays valid: "Confirmation tokens are valid for two days"
/// (Subscribe, SNS API reference).
const TOKEN_LIFETIME_MS: u64 = 2 * 24 * 3600 * 1000;

/// The `User-Agent` of SNS's HTTP(S) deliveries.
pub(crate) const USER_AGENT: &str = "Amazon Simple Notification Service Agent";

impl SnsEngine {
    /// Subscribes `endpoint` to a topic with `protocol` (`sqs`, `lambda`, `http`, `https`)
    /// and returns the subscription's ARN, or [`PENDING_CONFIRMATION`] for an HTTP(S)
    /// endpoint, which is sent a `SubscriptionConfirmation` first (unless `return_arn`, which
    /// returns the ARN either way). Subscribing the same endpoint again with the same
    /// attributes returns the same subscription (and sends a pending one a new confirmation).
    pub fn subscribe(
        &self,
        topic_arn: &str,
        protocol: &str,
        endpoint: Option<&str>,
        attributes: &BTreeMap<String, String>,
        return_arn: bool,
    ) -> Result<String, SnsError> {
        let protocol = Protocol::parse(protocol)?;
        let endpoint = endpoint.unwrap_or_default();
        protocol.check_endpoint(endpoint)?;
        if protocol == Protocol::Https && !self.inner.config.https_deliveries {
            return Err(SnsError::invalid(
                "Endpoint Reason: https endpoints are not served by this engine; subscribe an http:// endpoint",
            ));
        }
        for (k, v) in attributes {
            check_attribute(protocol, k, v)?;
        }
        let now = self.now_ms();
        let mut state = self.inner.state.lock();
        let signature_version = topic_in(&state, topic_arn)?.signature_version().to_owned();
        let existing = state
            .subscriptions
            .iter_mut()
            .find(|s| s.topic_arn == topic_arn && s.protocol == protocol && s.endpoint == endpoint);
        let sub = match existing {
            Some(s) => {
                if attributes
                    .iter()
                    .any(|(k, v)| s.attributes.get(k) != Some(v))
                {
                    return Err(SnsError::invalid(
                        "Attributes Reason: Subscription already exists with different attributes",
                    ));
                }
                if !s.confirmed {
                    s.token = new_token();
                    s.token_sent_ms = now;
                }
                s.clone()
            }
            None => {
                let seq = state.next_seq;
                state.next_seq += 1;
                let sub = Subscription {
                    arn: format!("{topic_arn}:{}", uuid::Uuid::new_v4()),
                    topic_arn: topic_arn.to_owned(),
                    protocol,
                    endpoint: endpoint.to_owned(),
                    confirmed: !protocol.needs_confirmation(),
                    token: new_token(),
                    token_sent_ms: now,
                    confirmation_authenticated: !protocol.needs_confirmation(),
                    attributes: attributes.clone(),
                    seq,
                };
                state.subscriptions.push(sub.clone());
                sub
            }
        };
        drop(state);
        if sub.confirmed {
            return Ok(sub.arn);
        }
        self.send_confirmation(Confirmation::Subscribe, &sub, &signature_version);
        Ok(if return_arn {
            sub.arn
        } else {
            PENDING_CONFIRMATION.to_owned()
        })
    }

    /// POSTs a (un)subscribe confirmation to an HTTP(S) subscription's endpoint.
    fn send_confirmation(&self, kind: Confirmation, sub: &Subscription, signature_version: &str) {
        let Some(deliveries) = self.deliveries() else {
            return;
        };
        let message_id = uuid::Uuid::new_v4().to_string();
        let timestamp = envelope::timestamp(self.now_ms());
        let notice = Notice {
            message_id: &message_id,
            topic_arn: &sub.topic_arn,
            subject: None,
            message: "",
            timestamp: &timestamp,
            signature_version,
            attributes: &[],
            endpoint_url: &self.inner.config.endpoint_url,
        };
        let body = envelope::confirmation(kind, &notice, &sub.arn, &sub.token);
        let post = HttpPost {
            url: sub.endpoint.clone(),
            headers: vec![
                ("x-amz-sns-message-type", kind.type_name().to_owned()),
                ("x-amz-sns-message-id", message_id),
                ("x-amz-sns-topic-arn", sub.topic_arn.clone()),
                ("user-agent", USER_AGENT.to_owned()),
            ],
            body,
        };
        // A confirmation is not a notification: its outcome is not counted.
        deliveries.to_http(post, Box::new(|_| {}));
    }

    /// Confirms the subscription to `topic_arn` that was sent `token` (within two days) and
    /// returns its ARN; confirming one already confirmed returns its ARN again.
    /// `authenticated` tells whether the call was signed (the SubscribeURL is not), which
    /// GetSubscriptionAttributes shows as `ConfirmationWasAuthenticated`.
    pub fn confirm_subscription(
        &self,
        topic_arn: &str,
        token: &str,
        authenticated: bool,
    ) -> Result<String, SnsError> {
        let now = self.now_ms();
        let mut state = self.inner.state.lock();
        topic_in(&state, topic_arn)?;
        let sub = state
            .subscriptions
            .iter_mut()
            .find(|s| s.topic_arn == topic_arn && s.token == token && !token.is_empty())
            .ok_or_else(|| SnsError::invalid("Token"))?;
        if !sub.confirmed {
            if now.saturating_sub(sub.token_sent_ms) > TOKEN_LIFETIME_MS {
                return Err(SnsError::invalid("Token"));
            }
            sub.confirmed = true;
            sub.confirmation_authenticated = authenticated;
        }
        Ok(sub.arn.clone())
    }

    /// Deletes a subscription. An HTTP(S) endpoint is sent an `UnsubscribeConfirmation`.
    pub fn unsubscribe(&self, subscription_arn: &str) -> Result<(), SnsError> {
        split_arn(subscription_arn, "SubscriptionArn")?;
        let mut state = self.inner.state.lock();
        let at = state
            .subscriptions
            .iter()
            .position(|s| s.arn == subscription_arn)
            .ok_or(SnsError::SubscriptionNotFound)?;
        let mut sub = state.subscriptions.remove(at);
        let mut signature_version = "1".to_owned();
        if let Some(topic) = state.topics.get_mut(&sub.topic_arn) {
            topic.deleted_subscriptions += 1;
            signature_version = topic.signature_version().to_owned();
        }
        drop(state);
        if sub.protocol.needs_confirmation() && sub.confirmed {
            sub.token = new_token();
            self.send_confirmation(Confirmation::Unsubscribe, &sub, &signature_version);
        }
        Ok(())
    }

    /// One page (at most [`PAGE_SIZE`]) of every subscription after `next_token`, and the
    /// token of the next page.
    pub fn list_subscriptions(
        &self,
        next_token: Option<&str>,
    ) -> Result<(Vec<SubscriptionSummary>, Option<String>), SnsError> {
        let state = self.inner.state.lock();
        self.page(&state, None, next_token)
    }

    /// One page (at most [`PAGE_SIZE`]) of a topic's subscriptions after `next_token`, and the
    /// token of the next page.
    pub fn list_subscriptions_by_topic(
        &self,
        topic_arn: &str,
        next_token: Option<&str>,
    ) -> Result<(Vec<SubscriptionSummary>, Option<String>), SnsError> {
        let state = self.inner.state.lock();
        topic_in(&state, topic_arn)?;
        self.page(&state, Some(topic_arn), next_token)
    }

    /// Tokens are the sequence number of the first subscription of the page.
    fn page(
        &self,
        state: &State,
        topic_arn: Option<&str>,
        next_token: Option<&str>,
    ) -> Result<(Vec<SubscriptionSummary>, Option<String>), SnsError> {
        let from = match next_token {
            None => 0,
            Some(t) => t
                .parse::<u64>()
                .map_err(|_| SnsError::invalid("NextToken"))?,
        };
        let mut rows = state
            .subscriptions
            .iter()
            .filter(|s| s.seq >= from && topic_arn.is_none_or(|t| s.topic_arn == t));
        let page: Vec<SubscriptionSummary> = rows
            .by_ref()
            .take(PAGE_SIZE)
            .map(|s| self.summary(s))
            .collect();
        let next = rows.next().map(|s| s.seq.to_string());
        Ok((page, next))
    }

    fn summary(&self, s: &Subscription) -> SubscriptionSummary {
        SubscriptionSummary {
            subscription_arn: if s.confirmed {
                s.arn.clone()
            } else {
                "PendingConfirmation".to_owned()
            },
            owner: self.inner.config.account_id.clone(),
            protocol: s.protocol,
            endpoint: s.endpoint.clone(),
            topic_arn: s.topic_arn.clone(),
        }
    }

    /// Every attribute GetSubscriptionAttributes shows: those set, plus `SubscriptionArn`,
    /// `TopicArn`, `Owner`, `Protocol`, `Endpoint`, `PendingConfirmation`,
    /// `ConfirmationWasAuthenticated` and `RawMessageDelivery` (`false` unless set).
    pub fn subscription_attributes(
        &self,
        subscription_arn: &str,
    ) -> Result<BTreeMap<String, String>, SnsError> {
        split_arn(subscription_arn, "SubscriptionArn")?;
        let state = self.inner.state.lock();
        let s = state
            .subscriptions
            .iter()
            .find(|s| s.arn == subscription_arn)
            .ok_or(SnsError::SubscriptionNotFound)?;
        let mut out = s.attributes.clone();
        out.insert("SubscriptionArn".into(), s.arn.clone());
        out.insert("TopicArn".into(), s.topic_arn.clone());
        out.insert("Owner".into(), self.inner.config.account_id.clone());
        out.insert("Protocol".into(), s.protocol.as_str().into());
        out.insert("Endpoint".into(), s.endpoint.clone());
        out.insert("PendingConfirmation".into(), (!s.confirmed).to_string());
        out.insert(
            "ConfirmationWasAuthenticated".into(),
            s.confirmation_authenticated.to_string(),
        );
        out.insert("RawMessageDelivery".into(), s.raw().to_string());
        Ok(out)
    }

    /// Sets one subscription attribute (`RawMessageDelivery`, `DeliveryPolicy`).
    pub fn set_subscription_attribute(
        &self,
        subscription_arn: &str,
        name: &str,
        value: &str,
    ) -> Result<(), SnsError> {
        split_arn(subscription_arn, "SubscriptionArn")?;
        let mut state = self.inner.state.lock();
        let s = state
            .subscriptions
            .iter_mut()
            .find(|s| s.arn == subscription_arn)
            .ok_or(SnsError::SubscriptionNotFound)?;
        check_attribute(s.protocol, name, value)?;
        s.attributes.insert(name.to_owned(), value.to_owned());
        Ok(())
    }
}

/// A fresh confirmation token: 128 hex digits, the length of AWS's.
fn new_token() -> String {
    (0..4)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Sent, engine, topic};

    fn no_attrs() -> BTreeMap<String, String> {
        BTreeMap::new()
    }

    #[test]
    fn queues_and_functions_are_confirmed_at_once() {
        let (e, _, _) = engine();
        let t = topic(&e, "t");
        let q = e
            .subscribe(
                &t,
                "sqs",
                Some("arn:aws:sqs:us-east-1:000000000000:q"),
                &no_attrs(),
                false,
            )
            .unwrap();
        assert!(q.starts_with(&format!("{t}:")));
        let again = e
            .subscribe(
                &t,
                "sqs",
                Some("arn:aws:sqs:us-east-1:000000000000:q"),
                &no_attrs(),
                false,
            )
            .unwrap();
        assert_eq!(q, again);
        let attrs = e.subscription_attributes(&q).unwrap();
        assert_eq!(attrs["PendingConfirmation"], "false");
        assert_eq!(attrs["RawMessageDelivery"], "false");
        assert_eq!(
            e.topic_attributes(&t).unwrap()["SubscriptionsConfirmed"],
            "1"
        );
    }

    #[test]
    fn endpoints_and_protocols_are_checked_with_aws_texts() {
        let (e, _, _) = engine();
        let t = topic(&e, "t");
        let err = |p: &str, ep: &str| {
            e.subscribe(&t, p, Some(ep), &no_attrs(), false)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("sqs", "http://x/q"),
            "Invalid parameter: SQS endpoint ARN"
        );
        assert_eq!(
            err("http", "https://x"),
            "Invalid parameter: Endpoint must match the specified protocol"
        );
        assert_eq!(
            err("carrier-pigeon", "x"),
            "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon"
        );
        assert!(err("https", "https://x").contains("https endpoints are not served"));
        let raw = BTreeMap::from([("RawMessageDelivery".to_string(), "true".to_string())]);
        assert_eq!(
            e.subscribe(
                &t,
                "lambda",
                Some("arn:aws:lambda:us-east-1:0:function:f"),
                &raw,
                false
            )
            .unwrap_err()
            .to_string(),
            "Invalid parameter: Delivery protocol [lambda] does not support raw message delivery."
        );
        assert_eq!(
            e.subscribe(
                &e.topic_arn("nope"),
                "sqs",
                Some("arn:aws:sqs:r:a:q"),
                &no_attrs(),
                false
            )
            .unwrap_err(),
            SnsError::TopicNotFound
        );
    }

    #[test]
    fn http_endpoints_confirm_with_the_token_they_were_sent() {
        let (e, clock, sent) = engine();
        let t = topic(&e, "t");
        let r = e
            .subscribe(
                &t,
                "http",
                Some("http://127.0.0.1:9/hook"),
                &no_attrs(),
                false,
            )
            .unwrap();
        assert_eq!(r, PENDING_CONFIRMATION);
        let (rows, _) = e.list_subscriptions_by_topic(&t, None).unwrap();
        assert_eq!(rows[0].subscription_arn, "PendingConfirmation");
        let Sent::Http(post) = sent.0.lock()[0].clone() else {
            panic!("a confirmation was expected")
        };
        assert_eq!(post.url, "http://127.0.0.1:9/hook");
        assert!(
            post.headers
                .contains(&("x-amz-sns-message-type", "SubscriptionConfirmation".into()))
        );
        let doc: serde_json::Value = serde_json::from_str(&post.body).unwrap();
        let token = doc["Token"].as_str().unwrap();
        assert_eq!(token.len(), 128);
        assert!(
            doc["SubscribeURL"]
                .as_str()
                .unwrap()
                .ends_with(&format!("&Token={token}"))
        );
        assert_eq!(
            e.confirm_subscription(&t, "wrong", true)
                .unwrap_err()
                .to_string(),
            "Invalid parameter: Token"
        );
        let arn = e.confirm_subscription(&t, token, false).unwrap();
        assert_eq!(e.confirm_subscription(&t, token, true).unwrap(), arn);
        let attrs = e.subscription_attributes(&arn).unwrap();
        assert_eq!(attrs["PendingConfirmation"], "false");
        assert_eq!(attrs["ConfirmationWasAuthenticated"], "false");
        // Unsubscribing tells the endpoint.
        e.unsubscribe(&arn).unwrap();
        let Sent::Http(bye) = sent.0.lock().last().cloned().unwrap() else {
            panic!()
        };
        assert!(bye.body.contains("\"UnsubscribeConfirmation\""));
        assert_eq!(e.topic_attributes(&t).unwrap()["SubscriptionsDeleted"], "1");
        assert_eq!(
            e.unsubscribe(&arn).unwrap_err(),
            SnsError::SubscriptionNotFound
        );
        // A token older than two days no longer confirms.
        e.subscribe(
            &t,
            "http",
            Some("http://127.0.0.1:9/late"),
            &no_attrs(),
            false,
        )
        .unwrap();
        let Sent::Http(late) = sent.0.lock().last().cloned().unwrap() else {
            panic!()
        };
        let doc: serde_json::Value = serde_json::from_str(&late.body).unwrap();
        clock.advance(TOKEN_LIFETIME_MS + 1);
        assert!(
            e.confirm_subscription(&t, doc["Token"].as_str().unwrap(), true)
                .is_err()
        );
    }

    #[test]
    fn raw_delivery_is_settable_and_lists_page() {
        let (e, _, _) = engine();
        let t = topic(&e, "t");
        let mut arns = Vec::new();
        for i in 0..120 {
            let q = format!("arn:aws:sqs:us-east-1:000000000000:q{i}");
            arns.push(
                e.subscribe(&t, "sqs", Some(&q), &no_attrs(), false)
                    .unwrap(),
            );
        }
        e.set_subscription_attribute(&arns[0], "RawMessageDelivery", "true")
            .unwrap();
        assert_eq!(
            e.subscription_attributes(&arns[0]).unwrap()["RawMessageDelivery"],
            "true"
        );
        assert_eq!(
            e.set_subscription_attribute(&arns[0], "Colour", "red")
                .unwrap_err()
                .to_string(),
            "Invalid parameter: AttributeName"
        );
        let (page, next) = e.list_subscriptions(None).unwrap();
        assert_eq!(page.len(), 100);
        let (rest, end) = e.list_subscriptions(next.as_deref()).unwrap();
        assert_eq!((rest.len(), end), (20, None));
        assert_eq!(rest[19].subscription_arn, arns[119]);
        e.delete_topic(&t).unwrap();
        assert!(e.list_subscriptions(None).unwrap().0.is_empty());
    }
}
