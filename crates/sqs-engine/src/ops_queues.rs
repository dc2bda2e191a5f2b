//! Queue operations: create, look up, list, delete, attributes, tags and purge.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::attributes::{self, Settings};
use crate::durable::Change;
use crate::queue::{Depth, Queue, valid_queue_name};
use crate::redrive;
use crate::{PURGE_INTERVAL, SqsEngine, SqsError, fifo};

impl SqsEngine {
    /// Creates queue `name`, or returns its URL if it exists with the same attributes.
    pub fn create_queue(
        &self,
        name: &str,
        attributes: &BTreeMap<String, String>,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, SqsError> {
        let mut settings = Settings::new(attributes);
        if settings.fifo.is_some() {
            if !fifo::valid_name(name) {
                return Err(SqsError::InvalidParameterValue(
                    "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length"
                        .into(),
                ));
            }
        } else if !valid_queue_name(name) {
            return Err(SqsError::InvalidParameterValue(
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
                    .into(),
            ));
        }
        settings.apply(attributes)?;
        self.check_redrive(&settings, &self.queue_arn(name), attributes)?;
        check_tags(name, &BTreeMap::new(), tags)?;
        let _gate = self.change_gate();
        let mut queues = self.inner.queues.write();
        if let Some(q) = queues.get(name) {
            if let Some(attribute) = q.settings.read().conflict(attributes) {
                return Err(SqsError::QueueNameExists(attribute));
            }
            return Ok(q.url.clone());
        }
        let url = self.url_of(name);
        let queue = Queue::new(
            name,
            url.clone(),
            self.queue_arn(name),
            settings,
            tags.clone(),
            self.now_ms(),
            self.inner.held.clone(),
        );
        self.journal(|| Change::CreateQueue {
            name: name.to_string(),
            arn: queue.arn.clone(),
            created_secs: queue.created_secs,
            settings: queue.settings.read().clone(),
            tags: tags.clone(),
        })?;
        queues.insert(name.to_string(), Arc::new(queue));
        Ok(url)
    }

    /// The URL of queue `name`.
    pub fn queue_url(&self, name: &str) -> Result<String, SqsError> {
        self.inner
            .queues
            .read()
            .get(name)
            .map(|q| q.url.clone())
            .ok_or(SqsError::QueueDoesNotExist)
    }

    /// `Ok` if the queue at `queue_url` (or named so) exists.
    pub fn check_queue(&self, queue_url: &str) -> Result<(), SqsError> {
        self.queue(queue_url).map(|_| ())
    }

    /// URLs of the queues whose names start with `prefix`, in name order.
    pub fn list_queues(&self, prefix: Option<&str>) -> Vec<String> {
        self.inner
            .queues
            .read()
            .values()
            .filter(|q| prefix.is_none_or(|p| q.name.starts_with(p)))
            .map(|q| q.url.clone())
            .collect()
    }

    /// Deletes a queue and its messages; its long polls return empty.
    pub fn delete_queue(&self, queue_url: &str) -> Result<(), SqsError> {
        let q = self.queue(queue_url)?;
        {
            let _gate = self.change_gate();
            let mut queues = self.inner.queues.write();
            // The queue found, not one created since under its name.
            if !queues.get(&q.name).is_some_and(|now| Arc::ptr_eq(now, &q)) {
                return Err(SqsError::QueueDoesNotExist);
            }
            let mut messages = q.messages.lock();
            self.journal(|| Change::DeleteQueue {
                queue: q.name.clone(),
            })?;
            queues.remove(&q.name);
            // Its bytes are no longer held, and a send that found the queue before it
            // went stores nothing.
            messages.closed = true;
            messages.clear();
        }
        q.arrived.notify_waiters();
        Ok(())
    }

    /// Removes every message of the queue; refused within [`PURGE_INTERVAL`] of the last
    /// purge.
    pub fn purge(&self, queue_url: &str) -> Result<(), SqsError> {
        let q = self.queue(queue_url)?;
        let now = self.now_ms();
        let _gate = self.change_gate();
        let mut last = q.last_purge_ms.lock();
        let interval = PURGE_INTERVAL.as_millis() as u64;
        if last.is_some_and(|at| now.saturating_sub(at) < interval) {
            return Err(SqsError::PurgeQueueInProgress(q.arn.clone()));
        }
        let mut messages = q.messages.lock();
        self.journal(|| Change::Purge {
            queue: q.name.clone(),
            at_ms: now,
        })?;
        *last = Some(now);
        messages.clear();
        // SQS forgets a FIFO queue's deduplication ids on purge, so the same ids can be sent
        // again at once.
        messages.fifo.forget();
        Ok(())
    }

    /// Messages of the queue by state, now.
    pub fn depth(&self, queue_url: &str) -> Result<Depth, SqsError> {
        Ok(self.queue(queue_url)?.depth(self.now_ms()))
    }

    /// A RedrivePolicy names a queue that exists and whose RedriveAllowPolicy lets
    /// `source_arn` use it.
    fn check_redrive(
        &self,
        settings: &Settings,
        source_arn: &str,
        attributes: &BTreeMap<String, String>,
    ) -> Result<(), SqsError> {
        let Some(policy) = &settings.redrive else {
            return Ok(());
        };
        let raw = attributes
            .get("RedrivePolicy")
            .map_or_else(|| policy.to_json(), Clone::clone);
        let Ok(dlq) = self.queue_by_arn(&policy.dead_letter_target_arn) else {
            return Err(redrive::no_target(&raw));
        };
        let dlq_settings = dlq.settings.read();
        if !redrive::allows(dlq_settings.kept("RedriveAllowPolicy"), source_arn) {
            return Err(redrive::not_allowed(&raw));
        }
        if dlq_settings.fifo.is_some() != settings.fifo.is_some() {
            return Err(redrive::other_type(&raw));
        }
        Ok(())
    }

    /// The queue's attributes by AWS's names: all of them for `All`, else those asked for.
    pub fn attributes(
        &self,
        queue_url: &str,
        names: &[String],
    ) -> Result<BTreeMap<String, String>, SqsError> {
        let q = self.queue(queue_url)?;
        let depth = q.depth(self.now_ms());
        attributes::select(attributes::all(&q, depth), names)
    }

    /// Changes queue attributes: all of them, or none if one is unknown or out of range.
    pub fn set_attributes(
        &self,
        queue_url: &str,
        attributes: &BTreeMap<String, String>,
    ) -> Result<(), SqsError> {
        let q = self.queue(queue_url)?;
        let mut settings = q.settings.read().clone();
        settings.apply(attributes)?;
        self.check_redrive(&settings, &q.arn, attributes)?;
        let _gate = self.change_gate();
        let mut current = q.settings.write();
        let modified_secs = self.now_ms() / 1000;
        self.journal(|| Change::SetAttributes {
            queue: q.name.clone(),
            settings: settings.clone(),
            modified_secs,
        })?;
        *current = settings;
        *q.last_modified_secs.lock() = modified_secs;
        Ok(())
    }

    /// Adds or replaces queue tags.
    pub fn tag(&self, queue_url: &str, tags: &BTreeMap<String, String>) -> Result<(), SqsError> {
        let q = self.queue(queue_url)?;
        if tags.is_empty() {
            return Err(SqsError::MissingParameter("Tags".into()));
        }
        let _gate = self.change_gate();
        let mut current = q.tags.write();
        check_tags(&q.name, &current, tags)?;
        self.journal(|| Change::Tag {
            queue: q.name.clone(),
            tags: tags.clone(),
        })?;
        current.extend(tags.clone());
        Ok(())
    }

    /// Removes queue tags.
    pub fn untag(&self, queue_url: &str, keys: &[String]) -> Result<(), SqsError> {
        let q = self.queue(queue_url)?;
        let _gate = self.change_gate();
        let mut tags = q.tags.write();
        self.journal(|| Change::Untag {
            queue: q.name.clone(),
            keys: keys.to_vec(),
        })?;
        for k in keys {
            tags.remove(k);
        }
        Ok(())
    }

    /// The queue's tags.
    pub fn tags(&self, queue_url: &str) -> Result<BTreeMap<String, String>, SqsError> {
        Ok(self.queue(queue_url)?.tags.read().clone())
    }
}

/// Most tags a queue keeps.
const MAX_TAGS: usize = 50;

/// Checks `new` tags for queue `name`, which has `current` ones: keys of 1 to 128
/// characters, values of at most 256, at most 50 tags in all once added. Nothing is added
/// if one fails.
fn check_tags(
    name: &str,
    current: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Result<(), SqsError> {
    for (key, value) in new {
        if !(1..=128).contains(&key.chars().count()) {
            return Err(SqsError::InvalidParameterValue(
                "Tag keys must be between 1 and 128 characters in length.".into(),
            ));
        }
        if value.chars().count() > 256 {
            return Err(SqsError::InvalidParameterValue(
                "Tag values must be between 0 and 256 characters in length.".into(),
            ));
        }
    }
    let total = current.len() + new.keys().filter(|k| !current.contains_key(*k)).count();
    if total > MAX_TAGS {
        return Err(SqsError::InvalidParameterValue(format!(
            "Too many tags added for queue {name}."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Outgoing;
    use crate::testing::{START_MS, engine, queue, sum, text};

    #[test]
    fn create_is_idempotent_for_equal_attributes_only() {
        let (e, _) = engine();
        let attrs = BTreeMap::from([("VisibilityTimeout".to_string(), "5".to_string())]);
        let url = e.create_queue("q", &attrs, &BTreeMap::new()).unwrap();
        assert_eq!(e.create_queue("q", &attrs, &BTreeMap::new()).unwrap(), url);
        let other = BTreeMap::from([("VisibilityTimeout".to_string(), "6".to_string())]);
        assert_eq!(
            e.create_queue("q", &other, &BTreeMap::new()),
            Err(SqsError::QueueNameExists("VisibilityTimeout".into()))
        );
        assert!(matches!(
            e.create_queue("bad name", &BTreeMap::new(), &BTreeMap::new()),
            Err(SqsError::InvalidParameterValue(_))
        ));
        let fifo = BTreeMap::from([("FifoQueue".to_string(), "true".to_string())]);
        assert!(matches!(
            e.create_queue("f", &fifo, &BTreeMap::new()),
            Err(SqsError::InvalidParameterValue(t)) if t.contains("must end with .fifo")
        ));
    }

    #[test]
    fn purge_runs_once_a_minute_and_gauges_sample_depth() {
        let (e, clock) = engine();
        let url = queue(&e, "q");
        e.send(&url, text("a")).unwrap();
        e.send(
            &url,
            Outgoing {
                body: "later".into(),
                delay_seconds: Some(600),
                ..Outgoing::default()
            },
        )
        .unwrap();
        e.sample();
        assert_eq!(sum(&e, "ApproximateNumberOfMessagesVisible", "q"), 1.0);
        assert_eq!(sum(&e, "ApproximateNumberOfMessagesDelayed", "q"), 1.0);
        e.purge(&url).unwrap();
        assert_eq!(e.depth(&url).unwrap(), Depth::default());
        assert!(matches!(
            e.purge(&url),
            Err(SqsError::PurgeQueueInProgress(_))
        ));
        clock.advance(59_999);
        assert!(e.purge(&url).is_err());
        clock.advance(1);
        assert_eq!(e.purge(&url), Ok(()));
    }

    #[test]
    fn timestamps_come_from_the_clock() {
        let (e, clock) = engine();
        let url = queue(&e, "q");
        clock.advance(5_000);
        let attrs = BTreeMap::from([("DelaySeconds".to_string(), "3".to_string())]);
        e.set_attributes(&url, &attrs).unwrap();
        let got = e
            .attributes(
                &url,
                &["CreatedTimestamp".into(), "LastModifiedTimestamp".into()],
            )
            .unwrap();
        assert_eq!(got["CreatedTimestamp"], (START_MS / 1000).to_string());
        assert_eq!(
            got["LastModifiedTimestamp"],
            (START_MS / 1000 + 5).to_string()
        );
    }

    #[test]
    fn deleted_queues_and_tags() {
        let (e, _) = engine();
        let url = queue(&e, "q");
        e.tag(&url, &BTreeMap::from([("team".into(), "a".into())]))
            .unwrap();
        assert_eq!(e.tags(&url).unwrap()["team"], "a");
        let many: BTreeMap<String, String> =
            (0..50).map(|i| (format!("k{i}"), String::new())).collect();
        assert_eq!(
            e.tag(&url, &many),
            Err(SqsError::InvalidParameterValue(
                "Too many tags added for queue q.".into()
            ))
        );
        assert_eq!(e.tags(&url).unwrap().len(), 1, "nothing added");
        assert!(
            e.tag(&url, &BTreeMap::from([("k".repeat(129), "v".into())]))
                .is_err()
        );
        assert_eq!(
            e.tag(&url, &BTreeMap::new()),
            Err(SqsError::MissingParameter("Tags".into()))
        );
        e.untag(&url, &["team".into()]).unwrap();
        assert!(e.tags(&url).unwrap().is_empty());
        assert_eq!(e.list_queues(Some("q")), vec![url.clone()]);
        e.delete_queue(&url).unwrap();
        assert_eq!(e.check_queue(&url), Err(SqsError::QueueDoesNotExist));
        assert!(e.list_queues(None).is_empty());
    }
}
