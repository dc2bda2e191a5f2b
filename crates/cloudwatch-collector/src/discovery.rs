//! Discovery: every stream (ListStreams), function (ListFunctions), queue (ListQueues) and
//! topic (ListTopics), every page, so untagged resources are found too.

use std::collections::BTreeMap;

use metric_export::FieldValue;

use crate::cost::ApiCalls;
use crate::error::call_error;
use crate::{CollectError, Collector};

impl Collector {
    /// Lists every stream, following every page.
    pub async fn discover(&self, calls: &mut ApiCalls) -> Result<Vec<String>, CollectError> {
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        let mut last_name: Option<String> = None;
        loop {
            let mut req = self.kinesis.list_streams();
            req = match (&token, &last_name) {
                (Some(t), _) => req.next_token(t),
                // Servers that page by ExclusiveStartStreamName rather than NextToken.
                (None, Some(n)) => req.exclusive_start_stream_name(n),
                (None, None) => req,
            };
            calls.list_streams += 1;
            let resp = req
                .send()
                .await
                .map_err(|e| call_error("ListStreams", &e))?;
            let page: Vec<String> = resp.stream_names().to_vec();
            last_name = page.last().cloned();
            names.extend(page);
            token = resp.next_token().map(str::to_string);
            if !resp.has_more_streams() || (token.is_none() && last_name.is_none()) {
                break;
            }
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    pub(crate) fn lambda_client(&self) -> Result<&aws_sdk_lambda::Client, CollectError> {
        self.lambda.as_ref().ok_or(CollectError::Call {
            operation: "ListFunctions",
            message: "no Lambda client configured".to_string(),
        })
    }

    /// Lists every function (following `NextMarker`), with its configuration.
    pub async fn discover_functions(
        &self,
        calls: &mut ApiCalls,
    ) -> Result<Vec<FunctionSummary>, CollectError> {
        let lambda = self.lambda_client()?;
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            calls.list_functions += 1;
            let resp = lambda
                .list_functions()
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(|e| call_error("ListFunctions", &e))?;
            for f in resp.functions() {
                let Some(name) = f.function_name() else {
                    continue;
                };
                let mut fields: BTreeMap<String, FieldValue> = BTreeMap::new();
                let mut put = |k: &str, v: Option<FieldValue>| {
                    if let Some(v) = v {
                        fields.insert(k.to_string(), v);
                    }
                };
                put("FunctionName", Some(name.into()));
                put("FunctionArn", f.function_arn().map(Into::into));
                put("Runtime", f.runtime().map(|r| r.as_str().into()));
                put("Role", f.role().map(Into::into));
                put("Handler", f.handler().map(Into::into));
                put("PackageType", f.package_type().map(|p| p.as_str().into()));
                put("Version", f.version().map(Into::into));
                put("RevisionId", f.revision_id().map(Into::into));
                put("MemorySize", f.memory_size().map(|m| i64::from(m).into()));
                put("Timeout", f.timeout().map(|t| i64::from(t).into()));
                let arch: Vec<&str> = f.architectures().iter().map(|a| a.as_str()).collect();
                put(
                    "Architectures",
                    (!arch.is_empty()).then(|| arch.join(",").into()),
                );
                put("LastModified", f.last_modified().map(Into::into));
                put("CodeSize", Some(f.code_size().into()));
                put("RegionId", Some(self.config.region.clone().into()));
                out.push(FunctionSummary {
                    name: name.to_string(),
                    fields,
                    arn: f.function_arn().map(str::to_string),
                    dead_letter_arn: f
                        .dead_letter_config()
                        .and_then(|d| d.target_arn())
                        .filter(|arn| !arn.is_empty())
                        .map(str::to_string),
                });
            }
            marker = resp.next_marker().map(str::to_string);
            if marker.is_none() {
                break;
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    pub(crate) fn sqs_client(&self) -> Result<&aws_sdk_sqs::Client, CollectError> {
        self.sqs.as_ref().ok_or(CollectError::Call {
            operation: "ListQueues",
            message: "no SQS client configured".to_string(),
        })
    }

    pub(crate) fn sns_client(&self) -> Result<&aws_sdk_sns::Client, CollectError> {
        self.sns.as_ref().ok_or(CollectError::Call {
            operation: "ListTopics",
            message: "no SNS client configured".to_string(),
        })
    }

    /// Lists every queue (ListQueues, 1,000 a page, following `NextToken`): name to URL.
    pub async fn discover_queues(
        &self,
        calls: &mut ApiCalls,
    ) -> Result<BTreeMap<String, String>, CollectError> {
        let sqs = self.sqs_client()?;
        let mut out = BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            calls.list_queues += 1;
            let resp = sqs
                .list_queues()
                .max_results(1000)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| call_error("ListQueues", &e))?;
            for url in resp.queue_urls() {
                if let Some(name) = url.rsplit('/').next().filter(|n| !n.is_empty()) {
                    out.insert(name.to_string(), url.clone());
                }
            }
            token = resp.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    /// Lists every topic (ListTopics, following `NextToken`): name to ARN.
    pub async fn discover_topics(
        &self,
        calls: &mut ApiCalls,
    ) -> Result<BTreeMap<String, String>, CollectError> {
        let sns = self.sns_client()?;
        let mut out = BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            calls.list_topics += 1;
            let resp = sns
                .list_topics()
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| call_error("ListTopics", &e))?;
            for topic in resp.topics() {
                let Some(arn) = topic.topic_arn() else {
                    continue;
                };
                if let Some(name) = arn.rsplit(':').next().filter(|n| !n.is_empty()) {
                    out.insert(name.to_string(), arn.to_string());
                }
            }
            token = resp.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(out);
            }
        }
    }
}

/// A function as ListFunctions describes it.
#[derive(Debug, Clone)]
pub struct FunctionSummary {
    /// The function name.
    pub name: String,
    /// Its fields for the inventory.
    pub fields: BTreeMap<String, FieldValue>,
    /// Its ARN, for ListTags.
    pub arn: Option<String>,
    /// Its dead-letter queue or topic (`DeadLetterConfig.TargetArn`), if any.
    pub dead_letter_arn: Option<String>,
}
