//! A topic and its attributes.

use std::collections::BTreeMap;

use crate::SnsError;

/// The topic attributes SetTopicAttributes and CreateTopic accept. Others AWS knows
/// (`FifoTopic`, `ContentBasedDeduplication`, the delivery-status logging attributes,
/// `ArchivePolicy`, ...) are refused: they would promise behaviour this engine lacks.
pub(crate) const SETTABLE: [&str; 6] = [
    "DeliveryPolicy",
    "DisplayName",
    "KmsMasterKeyId",
    "Policy",
    "SignatureVersion",
    "TracingConfig",
];

/// The `EffectiveDeliveryPolicy` of a topic without a `DeliveryPolicy`: SNS's default HTTP
/// retry policy (kept for what GetTopicAttributes shows; retries are not made here).
pub(crate) const DEFAULT_EFFECTIVE_DELIVERY_POLICY: &str = r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#;

/// One topic.
#[derive(Debug, Clone)]
pub(crate) struct Topic {
    pub(crate) name: String,
    pub(crate) arn: String,
    /// The attributes set by CreateTopic or SetTopicAttributes (names from [`SETTABLE`]).
    pub(crate) attributes: BTreeMap<String, String>,
    /// Tags by key.
    pub(crate) tags: BTreeMap<String, String>,
    /// Subscriptions deleted so far (`SubscriptionsDeleted`).
    pub(crate) deleted_subscriptions: u64,
}

impl Topic {
    /// The `SignatureVersion` its messages carry: `1` unless set.
    pub(crate) fn signature_version(&self) -> &str {
        self.attributes
            .get("SignatureVersion")
            .map_or("1", String::as_str)
    }

    /// The default access policy AWS gives a new topic: the owner's account may do the topic
    /// operations.
    pub(crate) fn default_policy(&self, account_id: &str) -> String {
        format!(
            r#"{{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{{"AWS":"*"}},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"{}","Condition":{{"StringEquals":{{"AWS:SourceOwner":"{account_id}"}}}}}}]}}"#,
            self.arn
        )
    }
}

/// Checks one attribute for CreateTopic or SetTopicAttributes.
pub(crate) fn check_attribute(name: &str, value: &str) -> Result<(), SnsError> {
    match name {
        // Where AWS is silent on what refusing a FIFO topic should say: our own reason.
        "FifoTopic" if value.eq_ignore_ascii_case("true") => Err(SnsError::invalid(
            "Attributes Reason: FIFO topics are not served by this engine",
        )),
        "FifoTopic" => Ok(()),
        "SignatureVersion" if value != "1" && value != "2" => {
            Err(SnsError::invalid("SignatureVersion"))
        }
        "DeliveryPolicy" | "Policy"
            if serde_json::from_str::<serde_json::Value>(value).is_err() =>
        {
            Err(SnsError::invalid(format_args!("{name}")))
        }
        n if SETTABLE.contains(&n) => Ok(()),
        _ => Err(SnsError::invalid("AttributeName")),
    }
}
