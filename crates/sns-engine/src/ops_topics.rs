//! The topic operations: CreateTopic, DeleteTopic, ListTopics, Get/SetTopicAttributes and the
//! tags.

use std::collections::BTreeMap;

use crate::names::split_arn;
use crate::topic::{DEFAULT_EFFECTIVE_DELIVERY_POLICY, Topic, check_attribute};
use crate::{PAGE_SIZE, SnsEngine, SnsError, State, valid_topic_name};

impl SnsEngine {
    /// Creates topic `name`, or returns the ARN of the one that exists (when `attributes`
    /// agree with it). `tags` are added to the topic. A `.fifo` name is refused with AWS's
    /// `Invalid parameter: Topic Name`, as is a FIFO topic (see the crate documentation).
    pub fn create_topic(
        &self,
        name: &str,
        attributes: &BTreeMap<String, String>,
        tags: &[(String, String)],
    ) -> Result<String, SnsError> {
        if !valid_topic_name(name) {
            return Err(SnsError::invalid("Topic Name"));
        }
        for (k, v) in attributes {
            check_attribute(k, v)?;
        }
        let attributes: BTreeMap<String, String> = attributes
            .iter()
            .filter(|(k, _)| *k != "FifoTopic")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let arn = self.topic_arn(name);
        let mut state = self.inner.state.lock();
        if let Some(existing) = state.topics.get_mut(&arn) {
            if attributes
                .iter()
                .any(|(k, v)| existing.attributes.get(k) != Some(v))
            {
                return Err(SnsError::invalid(
                    "Attributes Reason: Topic already exists with different attributes",
                ));
            }
            existing.tags.extend(tags.iter().cloned());
            return Ok(arn);
        }
        state.topics.insert(
            arn.clone(),
            Topic {
                name: name.to_owned(),
                arn: arn.clone(),
                attributes,
                tags: tags.iter().cloned().collect(),
                deleted_subscriptions: 0,
            },
        );
        Ok(arn)
    }

    /// Deletes a topic and its subscriptions. Deleting a topic that does not exist is not an
    /// error (DeleteTopic is idempotent); an ARN that is not one is.
    pub fn delete_topic(&self, topic_arn: &str) -> Result<(), SnsError> {
        split_arn(topic_arn, "TopicArn")?;
        let mut state = self.inner.state.lock();
        state.topics.remove(topic_arn);
        state.subscriptions.retain(|s| s.topic_arn != topic_arn);
        Ok(())
    }

    /// One page of topic ARNs (at most [`PAGE_SIZE`]) after `next_token`, and the token of
    /// the next page. Tokens are the ARN to continue from (AWS's are opaque too).
    pub fn list_topics(
        &self,
        next_token: Option<&str>,
    ) -> Result<(Vec<String>, Option<String>), SnsError> {
        let state = self.inner.state.lock();
        let from = next_token.unwrap_or_default();
        if next_token.is_some() && !state.topics.contains_key(from) {
            return Err(SnsError::invalid("NextToken"));
        }
        let mut page: Vec<String> = state
            .topics
            .range(from.to_owned()..)
            .take(PAGE_SIZE + 1)
            .map(|(arn, _)| arn.clone())
            .collect();
        let next = (page.len() > PAGE_SIZE).then(|| page.pop()).flatten();
        Ok((page, next))
    }

    /// Every attribute GetTopicAttributes shows: those set, plus `TopicArn`, `Owner`,
    /// `Policy` (AWS's default unless set), `EffectiveDeliveryPolicy`, `DisplayName` (empty
    /// unless set) and the subscription counts.
    pub fn topic_attributes(&self, topic_arn: &str) -> Result<BTreeMap<String, String>, SnsError> {
        let state = self.inner.state.lock();
        let topic = topic_in(&state, topic_arn)?;
        let (mut confirmed, mut pending) = (0, 0);
        for s in state
            .subscriptions
            .iter()
            .filter(|s| s.topic_arn == topic_arn)
        {
            if s.confirmed {
                confirmed += 1;
            } else {
                pending += 1;
            }
        }
        let account = &self.inner.config.account_id;
        let mut out = topic.attributes.clone();
        out.insert("TopicArn".into(), topic.arn.clone());
        out.insert("Owner".into(), account.clone());
        out.entry("Policy".into())
            .or_insert_with(|| topic.default_policy(account));
        out.entry("DisplayName".into()).or_default();
        let effective = topic
            .attributes
            .get("DeliveryPolicy")
            .cloned()
            .unwrap_or_else(|| DEFAULT_EFFECTIVE_DELIVERY_POLICY.to_owned());
        out.insert("EffectiveDeliveryPolicy".into(), effective);
        out.insert("SubscriptionsConfirmed".into(), confirmed.to_string());
        out.insert("SubscriptionsPending".into(), pending.to_string());
        out.insert(
            "SubscriptionsDeleted".into(),
            topic.deleted_subscriptions.to_string(),
        );
        Ok(out)
    }

    /// Sets (or with an empty value clears) one of the settable attributes.
    pub fn set_topic_attribute(
        &self,
        topic_arn: &str,
        name: &str,
        value: &str,
    ) -> Result<(), SnsError> {
        if !value.is_empty() || name == "FifoTopic" {
            check_attribute(name, value)?;
        } else if !crate::topic::SETTABLE.contains(&name) {
            return Err(SnsError::invalid("AttributeName"));
        }
        let mut state = self.inner.state.lock();
        let topic = topic_in_mut(&mut state, topic_arn)?;
        if name == "FifoTopic" {
            return Ok(());
        }
        if value.is_empty() {
            topic.attributes.remove(name);
        } else {
            topic.attributes.insert(name.to_owned(), value.to_owned());
        }
        Ok(())
    }

    /// The tags of a topic, by key.
    pub fn list_tags(&self, resource_arn: &str) -> Result<Vec<(String, String)>, SnsError> {
        let state = self.inner.state.lock();
        let topic = tagged(&state, resource_arn)?;
        Ok(topic
            .tags
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    /// Adds or replaces tags of a topic.
    pub fn tag(&self, resource_arn: &str, tags: &[(String, String)]) -> Result<(), SnsError> {
        let mut state = self.inner.state.lock();
        tagged(&state, resource_arn)?;
        if let Some(topic) = state.topics.get_mut(resource_arn) {
            topic.tags.extend(tags.iter().cloned());
        }
        Ok(())
    }

    /// Removes tags of a topic by key.
    pub fn untag(&self, resource_arn: &str, keys: &[String]) -> Result<(), SnsError> {
        let mut state = self.inner.state.lock();
        tagged(&state, resource_arn)?;
        if let Some(topic) = state.topics.get_mut(resource_arn) {
            for k in keys {
                topic.tags.remove(k);
            }
        }
        Ok(())
    }
}

/// The topic `topic_arn` names: an ARN that is not one is `InvalidParameter`, an unknown
/// topic (another region's or account's included) `NotFound`.
pub(crate) fn topic_in<'s>(
    state: &'s State,
    topic_arn: &str,
) -> Result<&'s crate::Topic, SnsError> {
    split_arn(topic_arn, "TopicArn")?;
    state.topics.get(topic_arn).ok_or(SnsError::TopicNotFound)
}

/// [`topic_in`], for changing it.
pub(crate) fn topic_in_mut<'s>(
    state: &'s mut State,
    topic_arn: &str,
) -> Result<&'s mut crate::Topic, SnsError> {
    split_arn(topic_arn, "TopicArn")?;
    state
        .topics
        .get_mut(topic_arn)
        .ok_or(SnsError::TopicNotFound)
}

/// The topic a tagging call names: AWS answers these with `ResourceNotFound`.
fn tagged<'s>(state: &'s State, resource_arn: &str) -> Result<&'s crate::Topic, SnsError> {
    split_arn(resource_arn, "ResourceArn")?;
    state
        .topics
        .get(resource_arn)
        .ok_or(SnsError::ResourceNotFound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{engine, topic};

    #[test]
    fn create_is_idempotent_and_checks_names() {
        let (e, _, _) = engine();
        let a = topic(&e, "alerts");
        assert_eq!(topic(&e, "alerts"), a);
        assert_eq!(
            e.create_topic("bad name", &BTreeMap::new(), &[])
                .unwrap_err()
                .to_string(),
            "Invalid parameter: Topic Name"
        );
        assert_eq!(
            e.create_topic("t.fifo", &BTreeMap::new(), &[])
                .unwrap_err()
                .to_string(),
            "Invalid parameter: Topic Name"
        );
        let fifo = BTreeMap::from([("FifoTopic".to_string(), "true".to_string())]);
        assert!(e.create_topic("t", &fifo, &[]).is_err());
        let named = BTreeMap::from([("DisplayName".to_string(), "X".to_string())]);
        assert!(
            e.create_topic("alerts", &named, &[])
                .unwrap_err()
                .to_string()
                .contains("different attributes")
        );
    }

    #[test]
    fn attributes_show_defaults_and_what_was_set() {
        let (e, _, _) = engine();
        let a = topic(&e, "alerts");
        let attrs = e.topic_attributes(&a).unwrap();
        assert_eq!(attrs["TopicArn"], a);
        assert_eq!(attrs["Owner"], "000000000000");
        assert_eq!(attrs["DisplayName"], "");
        assert_eq!(attrs["SubscriptionsConfirmed"], "0");
        assert!(attrs["Policy"].contains("__default_policy_ID"));
        e.set_topic_attribute(&a, "DisplayName", "Alerts").unwrap();
        assert_eq!(e.topic_attributes(&a).unwrap()["DisplayName"], "Alerts");
        assert_eq!(
            e.set_topic_attribute(&a, "Colour", "red")
                .unwrap_err()
                .to_string(),
            "Invalid parameter: AttributeName"
        );
        let missing = e.topic_arn("missing");
        assert_eq!(
            e.topic_attributes(&missing).unwrap_err(),
            SnsError::TopicNotFound
        );
    }

    #[test]
    fn topics_are_listed_by_pages_of_a_hundred() {
        let (e, _, _) = engine();
        for i in 0..150 {
            topic(&e, &format!("t{i:03}"));
        }
        let (first, next) = e.list_topics(None).unwrap();
        assert_eq!(first.len(), 100);
        let (second, end) = e.list_topics(next.as_deref()).unwrap();
        assert_eq!((second.len(), end), (50, None));
        assert!(e.list_topics(Some("nonsense")).is_err());
        e.delete_topic(&first[0]).unwrap();
        e.delete_topic(&first[0]).unwrap();
        assert_eq!(e.list_topics(None).unwrap().0.len(), 100);
    }

    #[test]
    fn tags() {
        let (e, _, _) = engine();
        let a = topic(&e, "alerts");
        e.tag(&a, &[("team".into(), "ops".into())]).unwrap();
        assert_eq!(
            e.list_tags(&a).unwrap(),
            vec![("team".into(), "ops".into())]
        );
        e.untag(&a, &["team".into()]).unwrap();
        assert!(e.list_tags(&a).unwrap().is_empty());
        assert_eq!(
            e.list_tags(&e.topic_arn("nope")).unwrap_err(),
            SnsError::ResourceNotFound
        );
    }
}
