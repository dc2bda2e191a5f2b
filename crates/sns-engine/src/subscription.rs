//! A subscription, its protocol and its attributes.

use std::collections::BTreeMap;

use crate::SnsError;
use crate::names::split_arn;

/// The protocols a subscription may use here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// An SQS queue, named by its ARN.
    Sqs,
    /// A Lambda function, named by its ARN (with or without a qualifier).
    Lambda,
    /// An `http://` URL.
    Http,
    /// An `https://` URL.
    Https,
}

/// The protocols AWS knows but this engine does not deliver to.
const NOT_SERVED: [&str; 5] = ["email", "email-json", "sms", "application", "firehose"];

impl Protocol {
    /// The protocol's name on the wire (`sqs`, `lambda`, `http`, `https`).
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Sqs => "sqs",
            Protocol::Lambda => "lambda",
            Protocol::Http => "http",
            Protocol::Https => "https",
        }
    }

    /// The protocol named `name`, or AWS's refusal (its own text for names it does not
    /// know; ours for the ones it knows and this engine does not serve).
    pub(crate) fn parse(name: &str) -> Result<Protocol, SnsError> {
        match name {
            "sqs" => Ok(Protocol::Sqs),
            "lambda" => Ok(Protocol::Lambda),
            "http" => Ok(Protocol::Http),
            "https" => Ok(Protocol::Https),
            n if NOT_SERVED.contains(&n) => Err(SnsError::invalid(format_args!(
                "Protocol Reason: {n} subscriptions are not served by this engine"
            ))),
            n => Err(SnsError::invalid(format_args!(
                "Amazon SNS does not support this protocol string: {n}"
            ))),
        }
    }

    /// Whether it must be confirmed by its endpoint (HTTP(S)); queues and functions of the
    /// same account are confirmed at once.
    pub(crate) fn needs_confirmation(self) -> bool {
        matches!(self, Protocol::Http | Protocol::Https)
    }

    /// Checks an endpoint for this protocol with AWS's texts.
    pub(crate) fn check_endpoint(self, endpoint: &str) -> Result<(), SnsError> {
        let ok = match self {
            Protocol::Sqs => split_arn(endpoint, "Endpoint")
                .is_ok_and(|a| a.service == "sqs" && !a.resource.is_empty()),
            Protocol::Lambda => split_arn(endpoint, "Endpoint")
                .is_ok_and(|a| a.service == "lambda" && a.resource.starts_with("function:")),
            Protocol::Http => endpoint.len() > 7 && endpoint[..7].eq_ignore_ascii_case("http://"),
            Protocol::Https => endpoint.len() > 8 && endpoint[..8].eq_ignore_ascii_case("https://"),
        };
        if ok {
            return Ok(());
        }
        Err(SnsError::invalid(match self {
            Protocol::Sqs => "SQS endpoint ARN",
            // AWS's text for a bad function ARN is not documented; this follows the SQS one.
            Protocol::Lambda => "Lambda endpoint ARN",
            Protocol::Http | Protocol::Https => "Endpoint must match the specified protocol",
        }))
    }
}

/// The subscription attributes Subscribe and SetSubscriptionAttributes accept. Filter
/// policies, redrive policies and the rest are refused: they would promise behaviour this
/// engine lacks.
const SETTABLE: [&str; 2] = ["DeliveryPolicy", "RawMessageDelivery"];

/// Checks one subscription attribute for `protocol`.
pub(crate) fn check_attribute(protocol: Protocol, name: &str, value: &str) -> Result<(), SnsError> {
    match name {
        "RawMessageDelivery" if protocol == Protocol::Lambda => Err(SnsError::invalid(
            "Delivery protocol [lambda] does not support raw message delivery.",
        )),
        "RawMessageDelivery"
            if !value.eq_ignore_ascii_case("true") && !value.eq_ignore_ascii_case("false") =>
        {
            Err(SnsError::invalid(
                "RawMessageDelivery: Invalid value. Must be true or false.",
            ))
        }
        "DeliveryPolicy" if serde_json::from_str::<serde_json::Value>(value).is_err() => {
            Err(SnsError::invalid("DeliveryPolicy"))
        }
        "FilterPolicy"
        | "FilterPolicyScope"
        | "RedrivePolicy"
        | "SubscriptionRoleArn"
        | "ReplayPolicy" => Err(SnsError::invalid(format_args!(
            "Attributes Reason: {name} is not served by this engine"
        ))),
        n if SETTABLE.contains(&n) => Ok(()),
        _ => Err(SnsError::invalid("AttributeName")),
    }
}

/// One subscription.
#[derive(Debug, Clone)]
pub(crate) struct Subscription {
    pub(crate) arn: String,
    pub(crate) topic_arn: String,
    pub(crate) protocol: Protocol,
    pub(crate) endpoint: String,
    pub(crate) confirmed: bool,
    /// The confirmation token sent to the endpoint, and when (epoch ms).
    pub(crate) token: String,
    pub(crate) token_sent_ms: u64,
    /// Whether it was confirmed with a signed ConfirmSubscription.
    pub(crate) confirmation_authenticated: bool,
    /// The attributes set (names from `SETTABLE`).
    pub(crate) attributes: BTreeMap<String, String>,
    /// Its place in creation order.
    pub(crate) seq: u64,
}

impl Subscription {
    /// Whether messages reach the endpoint as published, without the JSON envelope.
    pub(crate) fn raw(&self) -> bool {
        self.attributes
            .get("RawMessageDelivery")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

/// One row of ListSubscriptions and ListSubscriptionsByTopic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionSummary {
    /// The subscription's ARN, or `PendingConfirmation` until its endpoint confirms.
    pub subscription_arn: String,
    /// The account that owns it.
    pub owner: String,
    /// Its protocol.
    pub protocol: Protocol,
    /// Its endpoint.
    pub endpoint: String,
    /// The topic's ARN.
    pub topic_arn: String,
}
