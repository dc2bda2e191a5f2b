//! Leases in a DynamoDB table laid out as KCL lays out its lease table.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ReturnValue,
    ScalarAttributeType, TableStatus,
};

use super::memory::next_counter;
use super::{Checkpoint, CheckpointError, Checkpointer, Lease};

const LEASE_KEY: &str = "leaseKey";
const LEASE_OWNER: &str = "leaseOwner";
const LEASE_COUNTER: &str = "leaseCounter";
const CHECKPOINT: &str = "checkpoint";
const CHECKPOINT_SUB: &str = "checkpointSubSequenceNumber";
const PARENT_SHARD_IDS: &str = "parentShardIds";

/// How long [`DynamoDbCheckpointer::create_table_if_missing`] waits for the table to become
/// `ACTIVE`.
const TABLE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(300);

/// A [`Checkpointer`] storing the leases of one stream in a KCL-compatible DynamoDB table.
///
/// One table per application and stream, named after the application as KCL names it, with
/// the hash key `leaseKey` (S) and one item per shard:
///
/// | attribute | type | holds |
/// | --- | --- | --- |
/// | `leaseKey` | S | the shard id |
/// | `leaseOwner` | S | the worker holding the lease; absent while the lease is free |
/// | `leaseCounter` | N | the counter |
/// | `checkpoint` | S | a sequence number or `TRIM_HORIZON`, `LATEST`, `SHARD_END` |
/// | `checkpointSubSequenceNumber` | N | the index in a KPL aggregate, `0` for plain records |
/// | `parentShardIds` | SS | the parent shards; absent when there are none, as in KCL |
///
/// Every write is conditional: creation on `attribute_not_exists(leaseKey)`, the others on
/// `leaseCounter` (and `leaseOwner` for the owner's own writes). A failed condition is
/// `Ok(None)`/`Ok(false)`, never an error. The table is billed per request and never gets a
/// TTL: expiry is judged by the consumers, from counters that stop moving.
///
/// It serves the one stream it was made for: a call naming another stream fails with
/// [`CheckpointError::Backend`] rather than mixing two streams' leases in one table.
#[derive(Debug, Clone)]
pub struct DynamoDbCheckpointer {
    client: Client,
    table: String,
    stream: String,
}

impl DynamoDbCheckpointer {
    /// A checkpointer for the leases of `application` on `stream`, in the table KCL would
    /// use: the one named `application`.
    pub fn new(
        client: Client,
        application: impl Into<String>,
        stream: impl Into<String>,
    ) -> DynamoDbCheckpointer {
        DynamoDbCheckpointer {
            client,
            table: application.into(),
            stream: stream.into(),
        }
    }

    /// Uses the table `table` instead of the one named after the application.
    pub fn with_table_name(mut self, table: impl Into<String>) -> DynamoDbCheckpointer {
        self.table = table.into();
        self
    }

    /// The lease table's name.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// The stream whose leases this checkpointer holds.
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// The DynamoDB client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Creates the lease table (hash key `leaseKey` of type S, billed per request, no TTL)
    /// unless it exists, then waits up to five minutes until it is `ACTIVE`.
    pub async fn create_table_if_missing(&self) -> Result<(), CheckpointError> {
        if self.table_status().await?.is_none() {
            let key = KeySchemaElement::builder()
                .attribute_name(LEASE_KEY)
                .key_type(KeyType::Hash)
                .build()
                .map_err(|e| CheckpointError::Backend(format!("DynamoDB CreateTable: {e}")))?;
            let attribute = AttributeDefinition::builder()
                .attribute_name(LEASE_KEY)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| CheckpointError::Backend(format!("DynamoDB CreateTable: {e}")))?;
            let created = self
                .client
                .create_table()
                .table_name(&self.table)
                .key_schema(key)
                .attribute_definitions(attribute)
                .billing_mode(BillingMode::PayPerRequest)
                .send()
                .await;
            match created {
                Ok(_) => {}
                // Another process created it first.
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_resource_in_use_exception()) => {}
                Err(e) => return Err(backend("CreateTable", e)),
            }
        }
        let deadline = Instant::now() + TABLE_ACTIVE_TIMEOUT;
        let mut pause = Duration::from_millis(50);
        loop {
            let status = self.table_status().await?;
            if status == Some(TableStatus::Active) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(CheckpointError::Backend(format!(
                    "DynamoDB table {} is not ACTIVE after {:?} (status {status:?})",
                    self.table, TABLE_ACTIVE_TIMEOUT
                )));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }

    /// The table's status, or `None` when it does not exist.
    async fn table_status(&self) -> Result<Option<TableStatus>, CheckpointError> {
        match self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
        {
            Ok(out) => Ok(Some(
                out.table
                    .and_then(|t| t.table_status)
                    .unwrap_or_else(|| TableStatus::from("UNKNOWN")),
            )),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(backend("DescribeTable", e)),
        }
    }

    /// Fails unless `stream` is the stream this checkpointer serves.
    fn check_stream(&self, stream: &str) -> Result<(), CheckpointError> {
        if stream == self.stream {
            Ok(())
        } else {
            Err(CheckpointError::Backend(format!(
                "the DynamoDB table {} holds the leases of stream {}, not of {stream}",
                self.table, self.stream
            )))
        }
    }

    /// Updates the lease if `owner` holds it at `counter`: sets the next counter, and the
    /// checkpoint when given, and removes the owner when `release`; the new counter, or
    /// `None` when fenced off.
    async fn fenced_update(
        &self,
        stream: &str,
        shard_id: &str,
        owner: &str,
        counter: u64,
        checkpoint: Option<&Checkpoint>,
        release: bool,
    ) -> Result<Option<u64>, CheckpointError> {
        self.check_stream(stream)?;
        let next = next_counter(shard_id, counter)?;
        let mut update = "SET #counter = :next".to_string();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(LEASE_KEY, AttributeValue::S(shard_id.to_string()))
            .condition_expression("#counter = :expected AND #owner = :owner")
            .expression_attribute_names("#counter", LEASE_COUNTER)
            .expression_attribute_names("#owner", LEASE_OWNER)
            .expression_attribute_values(":expected", AttributeValue::N(counter.to_string()))
            .expression_attribute_values(":next", AttributeValue::N(next.to_string()))
            .expression_attribute_values(":owner", AttributeValue::S(owner.to_string()));
        if let Some(cp) = checkpoint {
            update.push_str(", #checkpoint = :checkpoint, #sub = :sub");
            request = request
                .expression_attribute_names("#checkpoint", CHECKPOINT)
                .expression_attribute_names("#sub", CHECKPOINT_SUB)
                .expression_attribute_values(
                    ":checkpoint",
                    AttributeValue::S(cp.as_kcl_str().to_string()),
                )
                .expression_attribute_values(
                    ":sub",
                    AttributeValue::N(cp.sub_sequence_number().to_string()),
                );
        }
        if release {
            update.push_str(" REMOVE #owner");
        }
        match request.update_expression(update).send().await {
            Ok(_) => Ok(Some(next)),
            Err(e) if is_condition_failed(&e) => Ok(None),
            Err(e) => Err(backend("UpdateItem", e)),
        }
    }
}

/// Whether an UpdateItem failed on its condition.
fn is_condition_failed<R>(
    e: &SdkError<aws_sdk_dynamodb::operation::update_item::UpdateItemError, R>,
) -> bool {
    e.as_service_error()
        .is_some_and(|e| e.is_conditional_check_failed_exception())
}

/// A DynamoDB error as a [`CheckpointError::Backend`] carrying the error code.
fn backend<E, R>(operation: &str, e: SdkError<E, R>) -> CheckpointError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug,
{
    let code = e.code().unwrap_or("no error code").to_string();
    CheckpointError::Backend(format!(
        "DynamoDB {operation}: {code}: {}",
        DisplayErrorContext(&e)
    ))
}

/// The item holding `lease`.
fn lease_item(lease: &Lease) -> HashMap<String, AttributeValue> {
    let mut item = HashMap::from([
        (
            LEASE_KEY.to_string(),
            AttributeValue::S(lease.shard_id.clone()),
        ),
        (
            LEASE_COUNTER.to_string(),
            AttributeValue::N(lease.counter.to_string()),
        ),
        (
            CHECKPOINT.to_string(),
            AttributeValue::S(lease.checkpoint.as_kcl_str().to_string()),
        ),
        (
            CHECKPOINT_SUB.to_string(),
            AttributeValue::N(lease.checkpoint.sub_sequence_number().to_string()),
        ),
    ]);
    if let Some(owner) = &lease.owner {
        item.insert(LEASE_OWNER.to_string(), AttributeValue::S(owner.clone()));
    }
    if !lease.parent_shard_ids.is_empty() {
        item.insert(
            PARENT_SHARD_IDS.to_string(),
            AttributeValue::Ss(lease.parent_shard_ids.clone()),
        );
    }
    item
}

/// Reads a lease from its item. `parentShardIds` is a set in DynamoDB, so the parents come
/// back sorted.
fn parse_item(item: &HashMap<String, AttributeValue>) -> Result<Lease, CheckpointError> {
    let shard_id = match item.get(LEASE_KEY) {
        Some(AttributeValue::S(s)) => s.clone(),
        other => {
            return Err(CheckpointError::Malformed {
                shard_id: String::from("?"),
                reason: format!("leaseKey is {other:?}, not a string"),
            });
        }
    };
    let malformed = |reason: String| CheckpointError::Malformed {
        shard_id: shard_id.clone(),
        reason,
    };
    let number = |name: &str| -> Result<Option<u64>, CheckpointError> {
        match item.get(name) {
            None => Ok(None),
            Some(AttributeValue::N(n)) => n
                .parse::<u64>()
                .map(Some)
                .map_err(|e| malformed(format!("{name} {n:?} is not a counter: {e}"))),
            Some(other) => Err(malformed(format!("{name} is {other:?}, not a number"))),
        }
    };
    let counter = number(LEASE_COUNTER)?.ok_or_else(|| malformed("no leaseCounter".into()))?;
    let sub = number(CHECKPOINT_SUB)?.unwrap_or(0);
    let owner = match item.get(LEASE_OWNER) {
        None | Some(AttributeValue::Null(_)) => None,
        Some(AttributeValue::S(s)) => Some(s.clone()),
        Some(other) => return Err(malformed(format!("leaseOwner is {other:?}, not a string"))),
    };
    let checkpoint = match item.get(CHECKPOINT) {
        Some(AttributeValue::S(s)) => Checkpoint::from_kcl(s, sub),
        other => return Err(malformed(format!("checkpoint is {other:?}, not a string"))),
    };
    let parent_shard_ids = match item.get(PARENT_SHARD_IDS) {
        None | Some(AttributeValue::Null(_)) => Vec::new(),
        Some(AttributeValue::Ss(ids)) => {
            let mut ids = ids.clone();
            ids.sort();
            ids
        }
        Some(other) => {
            return Err(malformed(format!(
                "parentShardIds is {other:?}, not a string set"
            )));
        }
    };
    Ok(Lease {
        shard_id,
        owner,
        counter,
        checkpoint,
        parent_shard_ids,
    })
}

#[async_trait]
impl Checkpointer for DynamoDbCheckpointer {
    /// All leases of the stream, by a consistent, paginated Scan, ordered by shard id.
    async fn list_leases(&self, stream: &str) -> Result<Vec<Lease>, CheckpointError> {
        self.check_stream(stream)?;
        let mut leases = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| backend("Scan", e))?;
            for item in out.items.unwrap_or_default() {
                leases.push(parse_item(&item)?);
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        leases.sort_by(|a, b| a.shard_id.cmp(&b.shard_id));
        Ok(leases)
    }

    async fn create_lease(&self, stream: &str, lease: &Lease) -> Result<bool, CheckpointError> {
        self.check_stream(stream)?;
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(lease_item(lease)))
            .condition_expression("attribute_not_exists(#key)")
            .expression_attribute_names("#key", LEASE_KEY)
            .send()
            .await;
        match put {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(backend("PutItem", e)),
        }
    }

    async fn take_lease(
        &self,
        stream: &str,
        shard_id: &str,
        expected_counter: u64,
        new_owner: &str,
    ) -> Result<Option<Lease>, CheckpointError> {
        self.check_stream(stream)?;
        let next = next_counter(shard_id, expected_counter)?;
        let taken = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(LEASE_KEY, AttributeValue::S(shard_id.to_string()))
            .update_expression("SET #counter = :next, #owner = :owner")
            .condition_expression("attribute_exists(#key) AND #counter = :expected")
            .expression_attribute_names("#key", LEASE_KEY)
            .expression_attribute_names("#counter", LEASE_COUNTER)
            .expression_attribute_names("#owner", LEASE_OWNER)
            .expression_attribute_values(
                ":expected",
                AttributeValue::N(expected_counter.to_string()),
            )
            .expression_attribute_values(":next", AttributeValue::N(next.to_string()))
            .expression_attribute_values(":owner", AttributeValue::S(new_owner.to_string()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match taken {
            Ok(out) => match out.attributes {
                Some(item) => parse_item(&item).map(Some),
                None => Err(CheckpointError::Malformed {
                    shard_id: shard_id.to_string(),
                    reason: "UpdateItem returned no attributes".to_string(),
                }),
            },
            Err(e) if is_condition_failed(&e) => Ok(None),
            Err(e) => Err(backend("UpdateItem", e)),
        }
    }

    async fn renew_lease(
        &self,
        stream: &str,
        shard_id: &str,
        owner: &str,
        counter: u64,
    ) -> Result<Option<u64>, CheckpointError> {
        self.fenced_update(stream, shard_id, owner, counter, None, false)
            .await
    }

    async fn checkpoint(
        &self,
        stream: &str,
        shard_id: &str,
        owner: &str,
        counter: u64,
        checkpoint: &Checkpoint,
    ) -> Result<Option<u64>, CheckpointError> {
        self.fenced_update(stream, shard_id, owner, counter, Some(checkpoint), false)
            .await
    }

    async fn release_lease(
        &self,
        stream: &str,
        shard_id: &str,
        owner: &str,
        counter: u64,
    ) -> Result<bool, CheckpointError> {
        Ok(self
            .fenced_update(stream, shard_id, owner, counter, None, true)
            .await?
            .is_some())
    }
}
