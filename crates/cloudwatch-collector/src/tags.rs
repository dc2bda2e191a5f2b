//! Tag filters: the resources whose tags match are collected. Tags are read with
//! ListTagsForStream, Lambda's ListTags, ListQueueTags and SNS's ListTagsForResource, and
//! cached for `tag_refresh`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::cost::ApiCalls;
use crate::error::{call_error, code};
use crate::{CollectError, Collector, Cycle, Namespace};

/// A tag a resource must carry to be collected: the key, with one of `values` (any value
/// when `values` is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFilter {
    /// The tag key.
    pub key: String,
    /// The accepted values; empty accepts any.
    pub values: Vec<String>,
}

impl TagFilter {
    /// Whether these tags pass the filter.
    pub fn matches(&self, tags: &BTreeMap<String, String>) -> bool {
        tags.get(&self.key)
            .is_some_and(|v| self.values.is_empty() || self.values.iter().any(|want| want == v))
    }
}

impl Collector {
    /// Keeps the resources whose tags pass every filter of the namespace. Tags come from
    /// the cache while younger than `tag_refresh`, else ListTagsForStream / ListTags. A
    /// resource whose tags cannot be read is left out of this cycle and the error reported
    /// (the window then stays, so it is read again next cycle). `ids` holds what the tag
    /// calls address a resource by, by name: a function's or topic's ARN, a queue's URL.
    pub(crate) async fn filter_by_tags(
        &mut self,
        namespace: Namespace,
        listed: Vec<String>,
        ids: &HashMap<String, String>,
        now_ms: i64,
        cycle: &mut Cycle,
    ) -> Vec<String> {
        let filters = self.tag_filters(namespace).to_vec();
        let refresh = self.config.tag_refresh.as_millis() as i64;
        let listed_set: BTreeSet<String> = listed.iter().cloned().collect();
        self.tags
            .retain(|(ns, name), _| *ns != namespace || listed_set.contains(name));
        let mut kept = Vec::new();
        for name in listed {
            let key = (namespace, name.clone());
            let cached = self
                .tags
                .get(&key)
                .filter(|(at, _)| now_ms - at < refresh)
                .map(|(_, tags)| tags.clone());
            let tags = match cached {
                Some(tags) => tags,
                None => {
                    let read = match (namespace, ids.get(&name)) {
                        (Namespace::Kinesis, _) => self.stream_tags(&name, &mut cycle.calls).await,
                        (Namespace::Lambda, Some(arn)) => {
                            self.function_tags(arn, &mut cycle.calls).await
                        }
                        (Namespace::Sqs, Some(url)) => self.queue_tags(url, &mut cycle.calls).await,
                        (Namespace::Sns, Some(arn)) => self.topic_tags(arn, &mut cycle.calls).await,
                        (_, None) => Ok(Some(BTreeMap::new())),
                    };
                    match read {
                        Ok(Some(tags)) => {
                            self.tags.insert(key, (now_ms, tags.clone()));
                            tags
                        }
                        // Deleted since it was listed.
                        Ok(None) => continue,
                        Err(e) => {
                            cycle.errors.push(e);
                            continue;
                        }
                    }
                }
            };
            if filters.iter().all(|f| f.matches(&tags)) {
                kept.push(name);
            }
        }
        kept
    }

    /// A stream's tags (ListTagsForStream, every page); `None` when it no longer exists.
    pub(crate) async fn stream_tags(
        &self,
        name: &str,
        calls: &mut ApiCalls,
    ) -> Result<Option<BTreeMap<String, String>>, CollectError> {
        let mut tags = BTreeMap::new();
        let mut after: Option<String> = None;
        loop {
            calls.list_tags_for_stream += 1;
            let resp = match self
                .kinesis
                .list_tags_for_stream()
                .stream_name(name)
                .set_exclusive_start_tag_key(after.clone())
                .limit(50)
                .send()
                .await
            {
                Ok(r) => r,
                Err(e) if code(&e) == "ResourceNotFoundException" => return Ok(None),
                Err(e) => return Err(call_error("ListTagsForStream", &e)),
            };
            for t in resp.tags() {
                tags.insert(
                    t.key().to_string(),
                    t.value().unwrap_or_default().to_string(),
                );
            }
            after = resp.tags().last().map(|t| t.key().to_string());
            if !resp.has_more_tags() || after.is_none() {
                return Ok(Some(tags));
            }
        }
    }

    /// A function's tags (ListTags); `None` when it no longer exists.
    pub(crate) async fn function_tags(
        &self,
        arn: &str,
        calls: &mut ApiCalls,
    ) -> Result<Option<BTreeMap<String, String>>, CollectError> {
        let lambda = self.lambda_client()?;
        calls.list_tags += 1;
        match lambda.list_tags().resource(arn).send().await {
            Ok(resp) => Ok(Some(
                resp.tags()
                    .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            )),
            Err(e) if code(&e) == "ResourceNotFoundException" => Ok(None),
            Err(e) => Err(call_error("ListTags", &e)),
        }
    }

    /// A queue's tags (ListQueueTags); `None` when it no longer exists.
    pub(crate) async fn queue_tags(
        &self,
        url: &str,
        calls: &mut ApiCalls,
    ) -> Result<Option<BTreeMap<String, String>>, CollectError> {
        let sqs = self.sqs_client()?;
        calls.list_queue_tags += 1;
        match sqs.list_queue_tags().queue_url(url).send().await {
            Ok(resp) => Ok(Some(
                resp.tags()
                    .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            )),
            Err(e) if is_missing_queue(&code(&e)) => Ok(None),
            Err(e) => Err(call_error("ListQueueTags", &e)),
        }
    }

    /// A topic's tags (ListTagsForResource); `None` when it no longer exists.
    pub(crate) async fn topic_tags(
        &self,
        arn: &str,
        calls: &mut ApiCalls,
    ) -> Result<Option<BTreeMap<String, String>>, CollectError> {
        let sns = self.sns_client()?;
        calls.list_tags_for_resource += 1;
        match sns.list_tags_for_resource().resource_arn(arn).send().await {
            Ok(resp) => Ok(Some(
                resp.tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect(),
            )),
            Err(e) if matches!(code(&e).as_str(), "NotFound" | "ResourceNotFound") => Ok(None),
            Err(e) => Err(call_error("ListTagsForResource", &e)),
        }
    }

    /// Tags the filters read this cycle or lately, so the inventory need not read them again.
    pub(crate) fn cached_tags(
        &self,
        namespace: Namespace,
        name: &str,
    ) -> Option<BTreeMap<String, String>> {
        self.tags
            .get(&(namespace, name.to_string()))
            .map(|(_, tags)| tags.clone())
    }
}

/// Whether an SQS error code says the queue does not exist (the JSON protocol's
/// `QueueDoesNotExist`, the query protocol's `AWS.SimpleQueueService.NonExistentQueue`).
pub(crate) fn is_missing_queue(code: &str) -> bool {
    code == "QueueDoesNotExist" || code.ends_with("NonExistentQueue")
}
