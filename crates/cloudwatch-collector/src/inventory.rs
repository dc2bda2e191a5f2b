//! The inventory: every stream (DescribeStreamSummary, its tags), every function collected
//! (its configuration, tags and event source mappings), every queue (GetQueueAttributes, and
//! the functions whose failures it catches) and every topic, as inventory objects.

use std::collections::{BTreeMap, BTreeSet};

use metric_export::{FieldValue, InventoryObject};

use crate::cost::ApiCalls;
use crate::error::{call_error, code};
use crate::{CollectError, Collector, Namespace};

impl Collector {
    /// The inventory of every stream: DescribeStreamSummary and ListTagsForStream each.
    /// Streams that vanish between listing and describing are left out.
    pub async fn inventory(
        &self,
        streams: &[String],
        calls: &mut ApiCalls,
    ) -> Result<Vec<InventoryObject>, CollectError> {
        let mut out = Vec::new();
        for name in streams {
            calls.describe_stream_summary += 1;
            let summary = match self
                .kinesis
                .describe_stream_summary()
                .stream_name(name)
                .send()
                .await
            {
                Ok(r) => r,
                Err(e) if code(&e) == "ResourceNotFoundException" => continue,
                Err(e) => return Err(call_error("DescribeStreamSummary", &e)),
            };
            let Some(d) = summary.stream_description_summary() else {
                continue;
            };
            let mut fields: BTreeMap<String, FieldValue> = BTreeMap::new();
            fields.insert("StreamName".into(), d.stream_name().into());
            fields.insert("StreamARN".into(), d.stream_arn().into());
            fields.insert("StreamStatus".into(), d.stream_status().as_str().into());
            if let Some(mode) = d.stream_mode_details() {
                fields.insert(
                    "StreamModeDetails".into(),
                    mode.stream_mode().as_str().into(),
                );
            }
            fields.insert(
                "RetentionPeriodHours".into(),
                i64::from(d.retention_period_hours()).into(),
            );
            if let Some(e) = d.encryption_type() {
                fields.insert("EncryptionType".into(), e.as_str().into());
            }
            if let Some(k) = d.key_id() {
                fields.insert("KeyId".into(), k.into());
            }
            fields.insert(
                "OpenShardCount".into(),
                i64::from(d.open_shard_count()).into(),
            );
            if let Some(c) = d.consumer_count() {
                fields.insert("ConsumerCount".into(), i64::from(c).into());
            }
            if let Ok(ms) = d.stream_creation_timestamp().to_millis() {
                fields.insert("StreamCreationTimestamp".into(), ms.into());
            }
            fields.insert("RegionId".into(), self.config.region.clone().into());
            self.account_fields(d.stream_arn(), &mut fields);
            let tags = match self.cached_tags(Namespace::Kinesis, name) {
                Some(tags) => tags,
                None => match self.stream_tags(name, calls).await? {
                    Some(tags) => tags,
                    None => continue,
                },
            };
            out.push(InventoryObject {
                class: "aws_kinesis".into(),
                name: name.clone(),
                fields,
                tags,
            });
        }
        Ok(out)
    }

    /// The inventory of these functions (those a cycle collected): configuration (from
    /// ListFunctions), tags (ListTags, or the tag filters' cache) and event source mappings
    /// (ListEventSourceMappings, as `uuid state source-arn` entries joined by `;`).
    pub async fn inventory_functions(
        &self,
        functions: &[String],
        calls: &mut ApiCalls,
    ) -> Result<Vec<InventoryObject>, CollectError> {
        let wanted: BTreeSet<&str> = functions.iter().map(String::as_str).collect();
        let listed = self.discover_functions(calls).await?;
        let lambda = self.lambda_client()?;
        let mut out = Vec::new();
        for f in listed
            .into_iter()
            .filter(|f| wanted.contains(f.name.as_str()))
        {
            let tags = match (self.cached_tags(Namespace::Lambda, &f.name), &f.arn) {
                (Some(tags), _) => tags,
                (None, Some(arn)) => match self.function_tags(arn, calls).await? {
                    Some(tags) => tags,
                    None => continue,
                },
                (None, None) => BTreeMap::new(),
            };
            let mut mappings = Vec::new();
            let mut marker: Option<String> = None;
            loop {
                calls.list_event_source_mappings += 1;
                let resp = lambda
                    .list_event_source_mappings()
                    .function_name(&f.name)
                    .set_marker(marker.clone())
                    .send()
                    .await
                    .map_err(|e| call_error("ListEventSourceMappings", &e))?;
                for m in resp.event_source_mappings() {
                    mappings.push(format!(
                        "{} {} {}",
                        m.uuid().unwrap_or_default(),
                        m.state().unwrap_or_default(),
                        m.event_source_arn().unwrap_or_default()
                    ));
                }
                marker = resp.next_marker().map(str::to_string);
                if marker.is_none() {
                    break;
                }
            }
            let mut fields = f.fields;
            if let Some(arn) = &f.arn {
                self.account_fields(arn, &mut fields);
            }
            if !mappings.is_empty() {
                fields.insert("EventSourceMappings".into(), mappings.join(";").into());
            }
            out.push(InventoryObject {
                class: "aws_lambda".into(),
                name: f.name,
                fields,
                tags,
            });
        }
        Ok(out)
    }

    /// The inventory of these queues (those a cycle collected): their attributes
    /// (GetQueueAttributes), tags (the filters' cache only) and pipeline links: `Functions`
    /// (the functions whose failures the queue catches), `LinkTypes` (`on-failure`,
    /// `dead-letter`, `async-on-failure`) and `EventSources` (the stream or queue ARNs of the
    /// mappings), each a comma-separated list.
    pub async fn inventory_queues(
        &self,
        queues: &[String],
        links: &[crate::PipelineLink],
        calls: &mut ApiCalls,
    ) -> Result<Vec<InventoryObject>, CollectError> {
        use aws_sdk_sqs::types::QueueAttributeName;
        let sqs = self.sqs_client()?;
        let mut out = Vec::new();
        for name in queues {
            let Some(url) = self.queue_urls.get(name) else {
                continue;
            };
            calls.get_queue_attributes += 1;
            let resp = match sqs
                .get_queue_attributes()
                .queue_url(url)
                .attribute_names(QueueAttributeName::All)
                .send()
                .await
            {
                Ok(r) => r,
                Err(e) if crate::tags::is_missing_queue(&code(&e)) => continue,
                Err(e) => return Err(call_error("GetQueueAttributes", &e)),
            };
            let mut fields: BTreeMap<String, FieldValue> = BTreeMap::new();
            fields.insert("QueueName".into(), name.as_str().into());
            fields.insert("QueueUrl".into(), url.as_str().into());
            let kept = [
                "QueueArn",
                "VisibilityTimeout",
                "MessageRetentionPeriod",
                "DelaySeconds",
                "MaximumMessageSize",
                "ReceiveMessageWaitTimeSeconds",
                "RedrivePolicy",
                "FifoQueue",
                "CreatedTimestamp",
            ];
            for (key, value) in resp.attributes().into_iter().flatten() {
                if kept.contains(&key.as_str()) {
                    let value = match value.parse::<i64>() {
                        Ok(n) if key.as_str() != "QueueArn" => n.into(),
                        _ => value.as_str().into(),
                    };
                    fields.insert(key.as_str().to_string(), value);
                }
            }
            let linked: Vec<&crate::PipelineLink> =
                links.iter().filter(|l| &l.queue == name).collect();
            let mut list = |key: &str, values: BTreeSet<&str>| {
                if !values.is_empty() {
                    let joined: Vec<&str> = values.into_iter().collect();
                    fields.insert(key.to_string(), joined.join(",").into());
                }
            };
            list(
                "Functions",
                linked.iter().map(|l| l.function.as_str()).collect(),
            );
            list(
                "LinkTypes",
                linked.iter().map(|l| l.kind.as_str()).collect(),
            );
            list(
                "EventSources",
                linked
                    .iter()
                    .filter_map(|l| l.source_arn.as_deref())
                    .collect(),
            );
            fields.insert("RegionId".into(), self.config.region.clone().into());
            if let Some(FieldValue::Str(arn)) = fields.get("QueueArn").cloned() {
                self.account_fields(&arn, &mut fields);
            }
            out.push(InventoryObject {
                class: "aws_sqs".into(),
                name: name.clone(),
                fields,
                tags: self.cached_tags(Namespace::Sqs, name).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// The inventory of these topics (those a cycle collected): name, ARN, region, account
    /// and tags (the filters' cache only).
    pub fn inventory_topics(&self, topics: &[String]) -> Vec<InventoryObject> {
        let mut out = Vec::new();
        for name in topics {
            let Some(arn) = self.topic_arns.get(name) else {
                continue;
            };
            let mut fields: BTreeMap<String, FieldValue> = BTreeMap::new();
            fields.insert("TopicName".into(), name.as_str().into());
            fields.insert("TopicArn".into(), arn.as_str().into());
            fields.insert("RegionId".into(), self.config.region.clone().into());
            self.account_fields(arn, &mut fields);
            out.push(InventoryObject {
                class: "aws_sns".into(),
                name: name.clone(),
                fields,
                tags: self.cached_tags(Namespace::Sns, name).unwrap_or_default(),
            });
        }
        out
    }

    /// `AccountId` from a resource's ARN and `AccountName` (the configured name, else the ID).
    fn account_fields(&self, arn: &str, fields: &mut BTreeMap<String, FieldValue>) {
        let Some(id) = arn.split(':').nth(4).filter(|id| !id.is_empty()) else {
            return;
        };
        fields.insert("AccountId".into(), id.into());
        let name = self.config.account_name.as_deref().unwrap_or(id);
        fields.insert("AccountName".into(), name.into());
    }
}
