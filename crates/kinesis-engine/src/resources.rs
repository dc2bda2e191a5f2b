//! Tags and resource policies addressed by ARN, as TagResource, UntagResource,
//! ListTagsForResource and Put/Get/DeleteResourcePolicy address them: a stream's, or a
//! registered consumer's. A stream's tags are the ones AddTagsToStream and ListTagsForStream
//! see; a consumer's are its own (RegisterStreamConsumer's Tags set the first ones).

use std::collections::BTreeMap;

use crate::{ConsumerInfo, Engine, EngineError, MAX_TAGS_PER_STREAM, Result};

/// The resource an ARN names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource<'a> {
    /// A stream, by name.
    Stream(&'a str),
    /// A registered consumer, by its ARN.
    Consumer(&'a str),
}

/// Checks tags about to be added to a resource holding `existing` others, with the texts
/// naming `resource` (`stream S` or `consumer C`).
pub(crate) fn check_new_tags(
    engine: &Engine,
    resource: &str,
    tags: &[(String, String)],
    existing: usize,
) -> Result<()> {
    crate::tags::check_tags(
        tags.iter().map(|(k, _)| k.as_str()),
        tags.iter().map(|(_, v)| v.as_str()),
        crate::tags::TagChange::Add,
        resource,
        engine.account(),
    )?;
    if existing + tags.len() > MAX_TAGS_PER_STREAM {
        return Err(too_many_tags(engine, resource));
    }
    Ok(())
}

fn too_many_tags(engine: &Engine, resource: &str) -> EngineError {
    let kind = resource.split(' ').next().unwrap_or("resource");
    EngineError::InvalidArgument(format!(
        "Failed to add tags to {resource} under account {} because a given {kind} cannot have more than {MAX_TAGS_PER_STREAM} tags associated with it.",
        engine.account()
    ))
}

impl Engine {
    /// Runs `change` on the consumer an ARN names, under its stream's lock, and persists it.
    fn with_consumer<T>(
        &self,
        arn: &str,
        change: impl FnOnce(&mut ConsumerInfo) -> Result<T>,
    ) -> Result<T> {
        let (stream, pick) = self.locate_consumer(None, None, Some(arn))?;
        let mut st = stream.state.write();
        let consumer = st
            .consumers
            .iter_mut()
            .find(|c| pick(c))
            .ok_or_else(|| self.consumer_not_found(arn))?;
        let out = change(consumer)?;
        self.persist(&stream, &st)?;
        Ok(out)
    }

    /// Adds or overwrites a resource's tags (TagResource).
    pub fn tag_resource(&self, resource: Resource<'_>, tags: &[(String, String)]) -> Result<()> {
        match resource {
            Resource::Stream(name) => self.add_tags(name, tags),
            Resource::Consumer(arn) => self.with_consumer(arn, |c| {
                let what = format!("consumer {}", c.name);
                crate::tags::check_tags(
                    tags.iter().map(|(k, _)| k.as_str()),
                    tags.iter().map(|(_, v)| v.as_str()),
                    crate::tags::TagChange::Add,
                    &what,
                    self.account(),
                )?;
                let mut merged = c.tags.clone();
                merged.extend(tags.iter().cloned());
                if merged.len() > MAX_TAGS_PER_STREAM {
                    return Err(too_many_tags(self, &what));
                }
                c.tags = merged;
                Ok(())
            }),
        }
    }

    /// Removes a resource's tags by key; keys not present are ignored (UntagResource).
    pub fn untag_resource(&self, resource: Resource<'_>, keys: &[String]) -> Result<()> {
        match resource {
            Resource::Stream(name) => self.remove_tags(name, keys),
            Resource::Consumer(arn) => self.with_consumer(arn, |c| {
                crate::tags::check_tags(
                    keys.iter().map(String::as_str),
                    std::iter::empty(),
                    crate::tags::TagChange::Remove,
                    &format!("consumer {}", c.name),
                    self.account(),
                )?;
                for k in keys {
                    c.tags.remove(k);
                }
                Ok(())
            }),
        }
    }

    /// A resource's tags, ordered by key (ListTagsForResource).
    pub fn resource_tags(&self, resource: Resource<'_>) -> Result<BTreeMap<String, String>> {
        match resource {
            Resource::Stream(name) => self.tags(name),
            Resource::Consumer(arn) => Ok(self.describe_consumer(None, None, Some(arn))?.tags),
        }
    }

    /// Attaches (or replaces) a resource's policy, a JSON object kept as given.
    pub fn put_resource_policy(&self, resource: Resource<'_>, policy: &str) -> Result<()> {
        let parsed: std::result::Result<serde_json::Map<String, serde_json::Value>, _> =
            serde_json::from_str(policy);
        if parsed.is_err() {
            return Err(EngineError::InvalidArgument(
                "The policy is not a valid JSON policy document.".into(),
            ));
        }
        match resource {
            Resource::Stream(name) => {
                let stream = self.stream(name)?;
                let mut st = stream.state.write();
                st.policy = Some(policy.to_owned());
                self.persist(&stream, &st)
            }
            Resource::Consumer(arn) => self.with_consumer(arn, |c| {
                c.policy = Some(policy.to_owned());
                Ok(())
            }),
        }
    }

    /// A resource's policy, if one is attached (GetResourcePolicy answers `{}` without one).
    pub fn resource_policy(&self, resource: Resource<'_>) -> Result<Option<String>> {
        match resource {
            Resource::Stream(name) => Ok(self.stream(name)?.state.read().policy.clone()),
            Resource::Consumer(arn) => Ok(self.describe_consumer(None, None, Some(arn))?.policy),
        }
    }

    /// Detaches a resource's policy; ResourceNotFoundException when none is attached.
    pub fn delete_resource_policy(&self, resource: Resource<'_>, arn: &str) -> Result<()> {
        let none = || {
            EngineError::ResourceNotFound(format!(
                "No resource policy found for resource ARN {arn}."
            ))
        };
        match resource {
            Resource::Stream(name) => {
                let stream = self.stream(name)?;
                let mut st = stream.state.write();
                st.policy.take().ok_or_else(none)?;
                self.persist(&stream, &st)
            }
            Resource::Consumer(consumer) => {
                self.with_consumer(consumer, |c| c.policy.take().map(|_| ()).ok_or_else(none))
            }
        }
    }
}
