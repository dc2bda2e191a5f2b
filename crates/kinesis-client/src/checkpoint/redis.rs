//! Leases in Redis, one hash per lease with KCL's field names.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use redis::aio::MultiplexedConnection;
use redis::{RedisError, RedisResult, Script};
use tokio::sync::Mutex;

use super::memory::next_counter;
use super::{Checkpoint, CheckpointError, Checkpointer, Lease};

/// Creates a lease unless its hash exists, and adds its shard id to the stream's set.
///
/// KEYS: the lease hash, the stream's set. ARGV: leaseKey, leaseCounter, checkpoint,
/// checkpointSubSequenceNumber, parentShardIds (`''` for none), then leaseOwner if owned.
const CREATE_LUA: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'leaseKey', ARGV[1], 'leaseCounter', ARGV[2],
  'checkpoint', ARGV[3], 'checkpointSubSequenceNumber', ARGV[4])
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[1], 'parentShardIds', ARGV[5])
end
if #ARGV >= 6 then
  redis.call('HSET', KEYS[1], 'leaseOwner', ARGV[6])
end
redis.call('SADD', KEYS[2], ARGV[1])
return 1
";

/// Takes a lease if its counter is the expected one; the whole updated hash, or nil.
///
/// KEYS: the lease hash. ARGV: expected leaseCounter, new leaseCounter, new leaseOwner.
const TAKE_LUA: &str = r"
if redis.call('HGET', KEYS[1], 'leaseCounter') ~= ARGV[1] then
  return false
end
redis.call('HSET', KEYS[1], 'leaseCounter', ARGV[2], 'leaseOwner', ARGV[3])
return redis.call('HGETALL', KEYS[1])
";

/// Renews, checkpoints or releases a lease if the owner holds it at the expected counter;
/// 1 when updated, 0 when fenced off.
///
/// KEYS: the lease hash. ARGV: leaseOwner, expected leaseCounter, new leaseCounter, the
/// operation (`renew`, `checkpoint` or `release`), then for `checkpoint` the checkpoint and
/// checkpointSubSequenceNumber.
const FENCED_LUA: &str = r"
if redis.call('HGET', KEYS[1], 'leaseCounter') ~= ARGV[2]
  or redis.call('HGET', KEYS[1], 'leaseOwner') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'leaseCounter', ARGV[3])
if ARGV[4] == 'checkpoint' then
  redis.call('HSET', KEYS[1], 'checkpoint', ARGV[5], 'checkpointSubSequenceNumber', ARGV[6])
elseif ARGV[4] == 'release' then
  redis.call('HDEL', KEYS[1], 'leaseOwner')
end
return 1
";

/// The scripts, hashed once.
struct Scripts {
    create: Script,
    take: Script,
    fenced: Script,
}

/// A [`Checkpointer`] storing leases in Redis.
///
/// Layout, for a prefix `P` (default [`RedisCheckpointer::DEFAULT_PREFIX`]):
///
/// - `P:{stream}:{shardId}`: a hash per lease with the fields
///   - `leaseKey`: the shard id,
///   - `leaseOwner`: the worker holding the lease; absent while the lease is free,
///   - `leaseCounter`: the counter, in decimal,
///   - `checkpoint`: a sequence number or `TRIM_HORIZON`, `LATEST`, `SHARD_END`,
///   - `checkpointSubSequenceNumber`: in decimal, `0` for plain records,
///   - `parentShardIds`: a JSON array of shard ids such as `["shardId-000000000000"]`;
///     absent when the shard has no parent, as in KCL's DynamoDB table.
/// - `P:{stream}`: a set of the stream's shard ids, for listing.
///
/// Every write is one Lua script (run with `EVALSHA`, loaded on first use), so the check of
/// the counter and owner and the update are atomic. No key is ever given an expiry: expiry is
/// judged by the consumers, from counters that stop moving. Stream names and shard ids must
/// not contain `:` (Kinesis names cannot), or keys of different streams could meet. The two
/// keys of a stream are not in one hash slot, so this is for a single Redis server (or a
/// primary with replicas), not Redis Cluster.
///
/// A checkpointer made from a URL or a [`redis::Client`] reconnects after a connection
/// failure: the call that saw the failure returns its error (it is not retried, since a
/// conditional write may or may not have landed) and the next call opens a new connection.
///
/// Cheap to clone: clones share one multiplexed connection.
#[derive(Clone)]
pub struct RedisCheckpointer {
    /// Where to reconnect to; `None` when made from a bare connection.
    client: Option<redis::Client>,
    /// The shared connection; `None` after it failed, until the next call reconnects.
    conn: Arc<Mutex<Option<MultiplexedConnection>>>,
    prefix: String,
    scripts: Arc<Scripts>,
}

impl fmt::Debug for RedisCheckpointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCheckpointer")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisCheckpointer {
    /// The key prefix used unless [`with_prefix`](Self::with_prefix) sets another.
    pub const DEFAULT_PREFIX: &'static str = "streamwatch:lease";

    /// Connects to the Redis server at `url` (`redis://host:port/db`), with the default
    /// prefix.
    pub async fn connect(url: &str) -> Result<RedisCheckpointer, CheckpointError> {
        RedisCheckpointer::from_client(redis::Client::open(url).map_err(backend)?).await
    }

    /// Connects through `client`, with the default prefix; reconnects through it after a
    /// connection failure.
    pub async fn from_client(client: redis::Client) -> Result<RedisCheckpointer, CheckpointError> {
        let conn = client
            .get_multiplexed_async_connection()
            .await
            .map_err(backend)?;
        let mut checkpointer = RedisCheckpointer::from_connection(conn);
        checkpointer.client = Some(client);
        Ok(checkpointer)
    }

    /// A checkpointer over an open connection, with the default prefix. It cannot reconnect:
    /// once the connection fails, every call fails.
    pub fn from_connection(conn: MultiplexedConnection) -> RedisCheckpointer {
        RedisCheckpointer {
            client: None,
            conn: Arc::new(Mutex::new(Some(conn))),
            prefix: RedisCheckpointer::DEFAULT_PREFIX.to_string(),
            scripts: Arc::new(Scripts {
                create: Script::new(CREATE_LUA),
                take: Script::new(TAKE_LUA),
                fenced: Script::new(FENCED_LUA),
            }),
        }
    }

    /// Uses `prefix` instead of [`DEFAULT_PREFIX`](Self::DEFAULT_PREFIX) for every key.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> RedisCheckpointer {
        self.prefix = prefix.into();
        self
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The key of the hash holding the lease of `shard_id`: `{prefix}:{stream}:{shard_id}`.
    pub fn lease_key(&self, stream: &str, shard_id: &str) -> String {
        format!("{}:{stream}:{shard_id}", self.prefix)
    }

    /// The key of the set of `stream`'s shard ids: `{prefix}:{stream}`.
    pub fn shards_key(&self, stream: &str) -> String {
        format!("{}:{stream}", self.prefix)
    }

    /// The shared connection, reopened first if it failed.
    async fn connection(&self) -> Result<MultiplexedConnection, CheckpointError> {
        let mut slot = self.conn.lock().await;
        if let Some(conn) = slot.as_ref() {
            return Ok(conn.clone());
        }
        let Some(client) = &self.client else {
            return Err(CheckpointError::Backend(
                "redis: the connection was lost".to_string(),
            ));
        };
        let conn = client
            .get_multiplexed_async_connection()
            .await
            .map_err(backend)?;
        *slot = Some(conn.clone());
        Ok(conn)
    }

    /// `result` as a [`CheckpointError`]; an error that leaves the connection unusable drops
    /// it, so that the next call reconnects.
    async fn check<T>(&self, result: RedisResult<T>) -> Result<T, CheckpointError> {
        match result {
            Ok(value) => Ok(value),
            Err(e) => {
                if self.client.is_some() && e.is_unrecoverable_error() {
                    tracing::warn!(error = %e, "redis connection failed; reconnecting on next use");
                    *self.conn.lock().await = None;
                }
                Err(backend(e))
            }
        }
    }

    /// Runs the fenced script for `op`; the new counter, or `None` when fenced off.
    async fn fenced(
        &self,
        stream: &str,
        shard_id: &str,
        owner: &str,
        counter: u64,
        op: &str,
        checkpoint: Option<&Checkpoint>,
    ) -> Result<Option<u64>, CheckpointError> {
        let next = next_counter(shard_id, counter)?;
        let mut invocation = self.scripts.fenced.key(self.lease_key(stream, shard_id));
        invocation
            .arg(owner)
            .arg(counter.to_string())
            .arg(next.to_string())
            .arg(op);
        if let Some(cp) = checkpoint {
            invocation
                .arg(cp.as_kcl_str())
                .arg(cp.sub_sequence_number().to_string());
        }
        let mut conn = self.connection().await?;
        let updated: i64 = self.check(invocation.invoke_async(&mut conn).await).await?;
        Ok((updated == 1).then_some(next))
    }
}

/// A Redis error as a [`CheckpointError`].
fn backend(e: RedisError) -> CheckpointError {
    CheckpointError::Backend(format!("redis: {e}"))
}

/// Reads a lease from its hash's fields, given as name/value pairs.
fn parse_lease(shard_id: &str, fields: Vec<(String, String)>) -> Result<Lease, CheckpointError> {
    let malformed = |reason: String| CheckpointError::Malformed {
        shard_id: shard_id.to_string(),
        reason,
    };
    let (mut owner, mut counter, mut checkpoint, mut sub, mut parents) =
        (None, None, None, None, Vec::new());
    for (name, value) in fields {
        match name.as_str() {
            "leaseOwner" => owner = Some(value),
            "leaseCounter" => {
                counter = Some(value.parse::<u64>().map_err(|e| {
                    malformed(format!("leaseCounter {value:?} is not a counter: {e}"))
                })?);
            }
            "checkpoint" => checkpoint = Some(value),
            "checkpointSubSequenceNumber" => {
                sub = Some(value.parse::<u64>().map_err(|e| {
                    malformed(format!("checkpointSubSequenceNumber {value:?}: {e}"))
                })?);
            }
            "parentShardIds" if !value.is_empty() => {
                parents = serde_json::from_str::<Vec<String>>(&value).map_err(|e| {
                    malformed(format!("parentShardIds {value:?} is not a JSON array: {e}"))
                })?;
            }
            _ => {}
        }
    }
    let counter = counter.ok_or_else(|| malformed("no leaseCounter".to_string()))?;
    let checkpoint = checkpoint.ok_or_else(|| malformed("no checkpoint".to_string()))?;
    Ok(Lease {
        shard_id: shard_id.to_string(),
        owner,
        counter,
        checkpoint: Checkpoint::from_kcl(&checkpoint, sub.unwrap_or(0)),
        parent_shard_ids: parents,
    })
}

/// Pairs up a flat `HGETALL` reply.
fn pairs(flat: Vec<String>) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(flat.len() / 2);
    let mut it = flat.into_iter();
    while let (Some(name), Some(value)) = (it.next(), it.next()) {
        out.push((name, value));
    }
    out
}

#[async_trait]
impl Checkpointer for RedisCheckpointer {
    /// All leases of `stream`, ordered by shard id. Each lease is read atomically, the list
    /// as a whole is not (like a DynamoDB scan).
    async fn list_leases(&self, stream: &str) -> Result<Vec<Lease>, CheckpointError> {
        let mut conn = self.connection().await?;
        let members = redis::cmd("SMEMBERS")
            .arg(self.shards_key(stream))
            .query_async(&mut conn)
            .await;
        let mut shard_ids: Vec<String> = self.check(members).await?;
        if shard_ids.is_empty() {
            return Ok(Vec::new());
        }
        shard_ids.sort();
        let mut pipe = redis::pipe();
        for shard_id in &shard_ids {
            pipe.cmd("HGETALL").arg(self.lease_key(stream, shard_id));
        }
        let hashes: Vec<Vec<String>> = self.check(pipe.query_async(&mut conn).await).await?;
        let mut leases = Vec::with_capacity(shard_ids.len());
        for (shard_id, flat) in shard_ids.iter().zip(hashes) {
            // A member whose hash is gone (deleted by hand) is skipped, not an error.
            if !flat.is_empty() {
                leases.push(parse_lease(shard_id, pairs(flat))?);
            }
        }
        Ok(leases)
    }

    async fn create_lease(&self, stream: &str, lease: &Lease) -> Result<bool, CheckpointError> {
        let parents = if lease.parent_shard_ids.is_empty() {
            String::new()
        } else {
            serde_json::to_string(&lease.parent_shard_ids)
                .map_err(|e| CheckpointError::Backend(format!("encoding parentShardIds: {e}")))?
        };
        let mut invocation = self
            .scripts
            .create
            .key(self.lease_key(stream, &lease.shard_id));
        invocation
            .key(self.shards_key(stream))
            .arg(&lease.shard_id)
            .arg(lease.counter.to_string())
            .arg(lease.checkpoint.as_kcl_str())
            .arg(lease.checkpoint.sub_sequence_number().to_string())
            .arg(parents);
        if let Some(owner) = &lease.owner {
            invocation.arg(owner);
        }
        let mut conn = self.connection().await?;
        let created: i64 = self.check(invocation.invoke_async(&mut conn).await).await?;
        Ok(created == 1)
    }

    async fn take_lease(
        &self,
        stream: &str,
        shard_id: &str,
        expected_counter: u64,
        new_owner: &str,
    ) -> Result<Option<Lease>, CheckpointError> {
        let next = next_counter(shard_id, expected_counter)?;
        let mut conn = self.connection().await?;
        let taken = self
            .scripts
            .take
            .key(self.lease_key(stream, shard_id))
            .arg(expected_counter.to_string())
            .arg(next.to_string())
            .arg(new_owner)
            .invoke_async::<Option<Vec<String>>>(&mut conn)
            .await;
        let taken = self.check(taken).await?;
        taken
            .map(|flat| parse_lease(shard_id, pairs(flat)))
            .transpose()
    }

    async fn renew_lease(
        &self,
        stream: &str,
        shard_id: &str,
        owner: &str,
        counter: u64,
    ) -> Result<Option<u64>, CheckpointError> {
        self.fenced(stream, shard_id, owner, counter, "renew", None)
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
        self.fenced(
            stream,
            shard_id,
            owner,
            counter,
            "checkpoint",
            Some(checkpoint),
        )
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
            .fenced(stream, shard_id, owner, counter, "release", None)
            .await?
            .is_some())
    }
}
