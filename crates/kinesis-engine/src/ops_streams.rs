//! Control-plane operations: stream lifecycle, configuration, tags, consumers and quotas.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use parking_lot::RwLock;

use crate::hash::HashRange;
use crate::shard::Shard;
use crate::{
    ConsumerInfo, DEFAULT_RETENTION_HOURS, Engine, EngineError, Limits, MAX_CONSUMERS_PER_STREAM,
    MAX_RETENTION_HOURS, MAX_TAGS_PER_STREAM, MODE_SWITCHES_PER_DAY, MonitoringChange,
    ON_DEMAND_INITIAL_SHARDS, Result, ShardInfo, Stream, StreamInfo, StreamMode, StreamState,
    StreamStatus, Transition,
};

impl Engine {
    pub(crate) fn settle_time(&self, now: u64, transition: Transition) -> u64 {
        now + self.inner.config.delay(transition).as_millis() as u64
    }

    pub(crate) fn require_active(&self, stream: &Stream, st: &StreamState) -> Result<()> {
        let status = st.status_at(self.now_ms());
        if status != StreamStatus::Active {
            return Err(EngineError::ResourceInUse(format!(
                "Stream {} under account {} not ACTIVE, instead in state {}",
                stream.name,
                self.account(),
                status.as_str()
            )));
        }
        Ok(())
    }

    pub(crate) fn open_shards_in_account(&self) -> u32 {
        let streams: Vec<Arc<Stream>> = self.inner.streams.read().values().cloned().collect();
        streams.iter().map(|s| s.state.read().open_count()).sum()
    }

    pub(crate) fn shard_limit_error(&self, current: u32, additional: u32) -> EngineError {
        EngineError::LimitExceeded(format!(
            "This request would exceed the shard limit for the account {} in {}. Current shard count for the account: {}. Limit: {}. Number of additional shards that would have resulted from this request: {}. Refer to the AWS Service Limits page (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to request higher limits.",
            self.account(),
            self.inner.config.region,
            current,
            self.inner.config.shard_quota,
            additional
        ))
    }

    /// Creates a stream. `mode` defaults to provisioned, which needs `shard_count`; on-demand
    /// streams start with four shards.
    pub fn create_stream(
        &self,
        name: &str,
        mode: Option<StreamMode>,
        shard_count: Option<u32>,
        tags: &[(String, String)],
    ) -> Result<()> {
        let mode = mode.unwrap_or(StreamMode::Provisioned);
        let count = match (mode, shard_count) {
            (StreamMode::Provisioned, Some(n)) if n >= 1 => n,
            (StreamMode::Provisioned, Some(_)) => {
                return Err(EngineError::Validation(
                    "1 validation error detected: Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1".into(),
                ));
            }
            (StreamMode::Provisioned, None) => {
                return Err(EngineError::InvalidArgument(format!(
                    "ShardCount is required for stream {name} under account {} in PROVISIONED mode.",
                    self.account()
                )));
            }
            (StreamMode::OnDemand, None) => ON_DEMAND_INITIAL_SHARDS,
            (StreamMode::OnDemand, Some(_)) => {
                return Err(EngineError::InvalidArgument(
                    "ShardCount is not expected when StreamMode=ON_DEMAND".into(),
                ));
            }
        };
        crate::tags::check_tags(
            tags.iter().map(|(k, _)| k.as_str()),
            tags.iter().map(|(_, v)| v.as_str()),
            crate::tags::TagChange::Add,
            &format!("stream {name}"),
            self.account(),
        )?;
        if tags.len() > MAX_TAGS_PER_STREAM {
            return Err(self.too_many_tags(name));
        }
        let now = self.now_ms();
        let mut streams = self.inner.streams.write();
        if let Some(existing) = streams.get(name) {
            let st = existing.state.read();
            let gone = st.status == StreamStatus::Deleting && now >= st.settles_at_ms;
            if !gone {
                return Err(EngineError::ResourceInUse(format!(
                    "Stream {name} under account {} already exists.",
                    self.account()
                )));
            }
        }
        let open_now: u32 = streams
            .values()
            .filter(|s| s.name != name)
            .map(|s| s.state.read().open_count())
            .sum();
        if mode == StreamMode::Provisioned && open_now + count > self.inner.config.shard_quota {
            return Err(self.shard_limit_error(open_now, count));
        }
        if mode == StreamMode::OnDemand {
            let on_demand = streams
                .values()
                .filter(|s| s.name != name && s.state.read().mode == StreamMode::OnDemand)
                .count() as u32;
            if on_demand >= self.inner.config.on_demand_stream_quota {
                return Err(EngineError::LimitExceeded(format!(
                    "This request would exceed the limit of {} on-demand streams for the account {} in {}.",
                    self.inner.config.on_demand_stream_quota,
                    self.account(),
                    self.inner.config.region
                )));
            }
        }
        let created_ms = {
            let mut last = self.inner.last_created_ms.lock();
            let t = now.max(*last + 1);
            *last = t;
            t
        };
        let created_secs = created_ms / 1000;
        let shards: Vec<Arc<Shard>> = HashRange::split_evenly(count)
            .into_iter()
            .enumerate()
            .map(|(i, range)| {
                Arc::new(Shard::new(
                    i as u32,
                    range,
                    None,
                    None,
                    created_secs,
                    &self.inner.memory,
                ))
            })
            .collect();
        let delay_done = self.settle_time(now, Transition::Create);
        let mut state = StreamState {
            status: if delay_done > now {
                StreamStatus::Creating
            } else {
                StreamStatus::Active
            },
            settles_at_ms: delay_done,
            mode,
            retention_hours: DEFAULT_RETENTION_HOURS,
            tags: tags.iter().cloned().collect(),
            encryption: None,
            enhanced_metrics: BTreeSet::new(),
            shards,
            open: Vec::new(),
            consumers: Vec::new(),
            scaling_calls_ms: Vec::new(),
            pending_reshard: None,
            policy: None,
            mode_switches_ms: Vec::new(),
        };
        state.rebuild_open();
        let stream = Arc::new(Stream {
            name: name.to_owned(),
            arn: self.stream_arn(name),
            created_ms,
            state: RwLock::new(state),
        });
        self.persist(&stream, &stream.state.read())?;
        streams.insert(name.to_owned(), stream);
        Ok(())
    }

    /// Starts deleting a stream; it is gone once the transition delay has passed.
    pub fn delete_stream(&self, name: &str, enforce_consumer_deletion: bool) -> Result<()> {
        let stream = self.stream(name)?;
        {
            let mut st = stream.state.write();
            if !st.consumers.is_empty() && !enforce_consumer_deletion {
                return Err(EngineError::ResourceInUse(format!(
                    "Stream {name} under account {} has registered consumers. Deregister them or set EnforceConsumerDeletion.",
                    self.account()
                )));
            }
            let now = self.now_ms();
            st.status = StreamStatus::Deleting;
            st.settles_at_ms = self.settle_time(now, Transition::Delete);
            st.consumers.clear();
            self.persist(&stream, &st)?;
        }
        // With no delay the stream disappears at once.
        let _ = self.stream(name);
        Ok(())
    }

    /// Describes a stream with all its shards; none while it is CREATING or DELETING, as
    /// AWS answers.
    pub fn describe_stream(&self, name: &str) -> Result<StreamInfo> {
        let stream = self.stream(name)?;
        let st = stream.state.read();
        let now = self.now_ms();
        let status = st.status_at(now);
        let shards = match status {
            StreamStatus::Creating | StreamStatus::Deleting => Vec::new(),
            _ => st.shards.iter().map(|s| shard_info(s)).collect(),
        };
        Ok(StreamInfo {
            name: stream.name.clone(),
            arn: stream.arn.clone(),
            status,
            mode: st.mode,
            retention_hours: st.retention_hours,
            created_ms: stream.created_ms,
            encryption_type: st.encryption.as_ref().map(|(t, _)| t.clone()),
            key_id: st.encryption.as_ref().map(|(_, k)| k.clone()),
            enhanced_metrics: st.enhanced_metrics.iter().cloned().collect(),
            shards,
            open_shard_count: st.open_count(),
            consumer_count: st.consumers.len() as u32,
        })
    }

    /// Names of all streams, in lexicographic order.
    pub fn stream_names(&self) -> Vec<String> {
        let names: Vec<String> = self.inner.streams.read().keys().cloned().collect();
        names
            .into_iter()
            .filter(|n| self.stream(n).is_ok())
            .collect()
    }

    /// Summaries of all streams, in lexicographic order of name.
    pub fn list_streams(&self) -> Vec<(String, String, StreamStatus, StreamMode, u64)> {
        let now = self.now_ms();
        self.stream_names()
            .into_iter()
            .filter_map(|n| self.stream(&n).ok())
            .map(|s| {
                let st = s.state.read();
                (
                    s.name.clone(),
                    s.arn.clone(),
                    st.status_at(now),
                    st.mode,
                    s.created_ms,
                )
            })
            .collect()
    }

    /// Raises (`increase`) or lowers the retention period.
    pub fn set_retention(&self, name: &str, hours: i64, increase: bool) -> Result<()> {
        let stream = self.stream(name)?;
        let mut st = stream.state.write();
        if hours < i64::from(DEFAULT_RETENTION_HOURS) {
            return Err(EngineError::InvalidArgument(format!(
                "Minimum allowed retention period is 24 hours. Requested retention period ({hours} hours) is too short."
            )));
        }
        if hours > i64::from(MAX_RETENTION_HOURS) {
            return Err(EngineError::InvalidArgument(format!(
                "Maximum allowed retention period is 8760 hours. Requested retention period ({hours} hours) is too long."
            )));
        }
        let current = i64::from(st.retention_hours);
        if increase && hours < current {
            return Err(EngineError::InvalidArgument(format!(
                "Requested retention period ({hours} hours) for stream {name} can not be shorter than existing retention period ({current} hours). Use DecreaseRetentionPeriod API."
            )));
        }
        if !increase && hours > current {
            return Err(EngineError::InvalidArgument(format!(
                "Requested retention period ({hours} hours) for stream {name} can not be longer than existing retention period ({current} hours). Use IncreaseRetentionPeriod API."
            )));
        }
        st.retention_hours = hours as u32;
        self.persist(&stream, &st)
    }

    fn too_many_tags(&self, name: &str) -> EngineError {
        EngineError::InvalidArgument(format!(
            "Failed to add tags to stream {name} under account {} because a given stream cannot have more than {MAX_TAGS_PER_STREAM} tags associated with it.",
            self.account()
        ))
    }

    /// Adds or overwrites tags, checked as Kinesis checks them ([`crate::tags`]).
    pub fn add_tags(&self, name: &str, tags: &[(String, String)]) -> Result<()> {
        let stream = self.stream(name)?;
        crate::tags::check_tags(
            tags.iter().map(|(k, _)| k.as_str()),
            tags.iter().map(|(_, v)| v.as_str()),
            crate::tags::TagChange::Add,
            &format!("stream {name}"),
            self.account(),
        )?;
        let mut st = stream.state.write();
        let mut merged = st.tags.clone();
        merged.extend(tags.iter().cloned());
        if merged.len() > MAX_TAGS_PER_STREAM {
            return Err(self.too_many_tags(name));
        }
        st.tags = merged;
        self.persist(&stream, &st)
    }

    /// Removes tags by key; keys not present are ignored.
    pub fn remove_tags(&self, name: &str, keys: &[String]) -> Result<()> {
        let stream = self.stream(name)?;
        crate::tags::check_tags(
            keys.iter().map(String::as_str),
            std::iter::empty(),
            crate::tags::TagChange::Remove,
            &format!("stream {name}"),
            self.account(),
        )?;
        let mut st = stream.state.write();
        for k in keys {
            st.tags.remove(k);
        }
        self.persist(&stream, &st)
    }

    /// A stream's tags, ordered by key.
    pub fn tags(&self, name: &str) -> Result<BTreeMap<String, String>> {
        Ok(self.stream(name)?.state.read().tags.clone())
    }

    /// Turns server-side encryption on (`Some((type, key))`) or off; only the state is kept.
    pub fn set_encryption(&self, name: &str, encryption: Option<(String, String)>) -> Result<()> {
        let stream = self.stream(name)?;
        let mut st = stream.state.write();
        self.require_active(&stream, &st)?;
        st.encryption = encryption;
        let now = self.now_ms();
        st.settles_at_ms = self.settle_time(now, Transition::Update);
        st.status = if st.settles_at_ms > now {
            StreamStatus::Updating
        } else {
            StreamStatus::Active
        };
        self.persist(&stream, &st)
    }

    /// Enables (`enable`) or disables shard-level metrics; `ALL` stands for every one.
    pub fn set_enhanced_monitoring(
        &self,
        name: &str,
        metrics: &[String],
        enable: bool,
    ) -> Result<MonitoringChange> {
        let stream = self.stream(name)?;
        let mut st = stream.state.write();
        let current: Vec<String> = st.enhanced_metrics.iter().cloned().collect();
        let named: Vec<&str> = if metrics.iter().any(|m| m == "ALL") {
            metric_store::catalog::KINESIS_SHARD_LEVEL
                .iter()
                .map(|d| d.name)
                .collect()
        } else {
            metrics.iter().map(String::as_str).collect()
        };
        for m in named {
            if enable {
                st.enhanced_metrics.insert(m.to_owned());
            } else {
                st.enhanced_metrics.remove(m);
            }
        }
        let desired = st.enhanced_metrics.iter().cloned().collect();
        self.persist(&stream, &st)?;
        Ok(MonitoringChange {
            stream_name: stream.name.clone(),
            stream_arn: stream.arn.clone(),
            current,
            desired,
        })
    }

    /// The shard-level metrics enabled on a stream.
    pub fn enhanced_metrics(&self, name: &str) -> Result<Vec<String>> {
        Ok(self
            .stream(name)?
            .state
            .read()
            .enhanced_metrics
            .iter()
            .cloned()
            .collect())
    }

    /// Account quotas and usage.
    pub fn limits(&self) -> Limits {
        let names = self.stream_names();
        let mut open = 0;
        let mut on_demand = 0;
        for n in names {
            if let Ok(s) = self.stream(&n) {
                let st = s.state.read();
                open += st.open_count();
                on_demand += u32::from(st.mode == StreamMode::OnDemand);
            }
        }
        Limits {
            shard_limit: self.inner.config.shard_quota,
            open_shard_count: open,
            on_demand_stream_count: on_demand,
            on_demand_stream_count_limit: self.inner.config.on_demand_stream_quota,
        }
    }

    pub(crate) fn consumer_status(&self, c: &ConsumerInfo) -> ConsumerInfo {
        let mut c = c.clone();
        let settled = c.created_ms + self.inner.config.transition_delay.as_millis() as u64;
        if c.status == "CREATING" && self.now_ms() >= settled {
            c.status = "ACTIVE".into();
        }
        c
    }

    /// Switches a stream between PROVISIONED and ON_DEMAND (UpdateStreamMode). The stream
    /// keeps its shards and is UPDATING for the update delay, as AWS keeps the shard count
    /// across a switch; a stream may switch twice per rolling 24 hours, and a switch to
    /// ON_DEMAND counts against the account's on-demand stream quota. Asking for the mode the
    /// stream already has changes nothing.
    pub fn update_stream_mode(&self, name: &str, mode: StreamMode) -> Result<()> {
        let stream = self.stream(name)?;
        let other_on_demand = self
            .inner
            .streams
            .read()
            .values()
            .filter(|s| s.name != name && s.state.read().mode == StreamMode::OnDemand)
            .count() as u32;
        let mut st = stream.state.write();
        self.require_active(&stream, &st)?;
        if st.mode == mode {
            return Ok(());
        }
        let now = self.now_ms();
        st.mode_switches_ms
            .retain(|&t| now.saturating_sub(t) < 86_400_000);
        if st.mode_switches_ms.len() >= MODE_SWITCHES_PER_DAY {
            return Err(EngineError::LimitExceeded(format!(
                "Stream {name} under account {} has already switched capacity mode {MODE_SWITCHES_PER_DAY} times in the last 24 hours.",
                self.account()
            )));
        }
        if mode == StreamMode::OnDemand
            && other_on_demand >= self.inner.config.on_demand_stream_quota
        {
            return Err(EngineError::LimitExceeded(format!(
                "This request would exceed the limit of {} on-demand streams for the account {} in {}.",
                self.inner.config.on_demand_stream_quota,
                self.account(),
                self.inner.config.region
            )));
        }
        st.mode = mode;
        st.mode_switches_ms.push(now);
        st.settles_at_ms = self.settle_time(now, Transition::Update);
        st.status = if st.settles_at_ms > now {
            StreamStatus::Updating
        } else {
            StreamStatus::Active
        };
        self.persist(&stream, &st)
    }

    /// Registers an enhanced fan-out consumer.
    pub fn register_consumer(&self, name: &str, consumer: &str) -> Result<ConsumerInfo> {
        self.register_consumer_tagged(name, consumer, &[])
    }

    /// Registers an enhanced fan-out consumer with tags (RegisterStreamConsumer's Tags),
    /// checked as TagResource checks them.
    pub fn register_consumer_tagged(
        &self,
        name: &str,
        consumer: &str,
        tags: &[(String, String)],
    ) -> Result<ConsumerInfo> {
        crate::resources::check_new_tags(self, &format!("consumer {consumer}"), tags, 0)?;
        let stream = self.stream(name)?;
        let mut st = stream.state.write();
        if st.consumers.iter().any(|c| c.name == consumer) {
            return Err(EngineError::ResourceInUse(format!(
                "Consumer {consumer} under stream {name} already exists for account {}.",
                self.account()
            )));
        }
        if st.consumers.len() >= MAX_CONSUMERS_PER_STREAM {
            return Err(EngineError::LimitExceeded(format!(
                "Stream {name} under account {} already has the maximum of {MAX_CONSUMERS_PER_STREAM} registered consumers.",
                self.account()
            )));
        }
        let now = self.now_ms();
        let info = ConsumerInfo {
            name: consumer.to_owned(),
            arn: format!("{}/consumer/{consumer}:{}", stream.arn, now / 1000),
            status: if self.inner.config.transition_delay.is_zero() {
                "ACTIVE"
            } else {
                "CREATING"
            }
            .into(),
            created_ms: now,
            stream_arn: stream.arn.clone(),
            tags: tags.iter().cloned().collect(),
            policy: None,
        };
        st.consumers.push(info.clone());
        self.persist(&stream, &st)?;
        Ok(info)
    }

    pub(crate) fn consumer_not_found(&self, what: &str) -> EngineError {
        EngineError::ResourceNotFound(format!(
            "Consumer {what} under account {} not found.",
            self.account()
        ))
    }

    /// Finds a consumer by stream and name, or by its ARN alone.
    pub fn describe_consumer(
        &self,
        stream_name: Option<&str>,
        consumer_name: Option<&str>,
        consumer_arn: Option<&str>,
    ) -> Result<ConsumerInfo> {
        let (stream, pick) = self.locate_consumer(stream_name, consumer_name, consumer_arn)?;
        let st = stream.state.read();
        let c = st.consumers.iter().find(|c| pick(c)).ok_or_else(|| {
            self.consumer_not_found(consumer_arn.or(consumer_name).unwrap_or_default())
        })?;
        Ok(self.consumer_status(c))
    }

    /// Deregisters a consumer by stream and name, or by its ARN alone.
    pub fn deregister_consumer(
        &self,
        stream_name: Option<&str>,
        consumer_name: Option<&str>,
        consumer_arn: Option<&str>,
    ) -> Result<()> {
        let (stream, pick) = self.locate_consumer(stream_name, consumer_name, consumer_arn)?;
        let mut st = stream.state.write();
        let before = st.consumers.len();
        st.consumers.retain(|c| !pick(c));
        if st.consumers.len() == before {
            return Err(self.consumer_not_found(consumer_arn.or(consumer_name).unwrap_or_default()));
        }
        self.persist(&stream, &st)
    }

    #[allow(clippy::type_complexity)]
    pub(crate) fn locate_consumer<'a>(
        &self,
        stream_name: Option<&str>,
        consumer_name: Option<&'a str>,
        consumer_arn: Option<&'a str>,
    ) -> Result<(Arc<Stream>, Box<dyn Fn(&ConsumerInfo) -> bool + 'a>)> {
        if let Some(arn) = consumer_arn {
            // <stream arn>/consumer/<name>:<secs>
            let stream_part = arn.split("/consumer/").next().unwrap_or_default();
            let name = stream_part.rsplit('/').next().unwrap_or_default();
            let stream = self
                .stream(name)
                .map_err(|_| self.consumer_not_found(arn))?;
            return Ok((stream, Box::new(move |c: &ConsumerInfo| c.arn == arn)));
        }
        match (stream_name, consumer_name) {
            (Some(s), Some(c)) => {
                let stream = self.stream(s)?;
                Ok((stream, Box::new(move |x: &ConsumerInfo| x.name == c)))
            }
            _ => Err(EngineError::InvalidArgument(
                "Either ConsumerARN or both StreamARN and ConsumerName must be provided.".into(),
            )),
        }
    }

    /// Every consumer of a stream, in registration order.
    pub fn list_consumers(&self, name: &str) -> Result<Vec<ConsumerInfo>> {
        let stream = self.stream(name)?;
        let st = stream.state.read();
        Ok(st
            .consumers
            .iter()
            .map(|c| self.consumer_status(c))
            .collect())
    }

    /// `KMS` when the stream is encrypted, else `NONE`; unknown streams read as `NONE`.
    pub fn describe_encryption(&self, name: &str) -> &'static str {
        match self.stream(name) {
            Ok(s) if s.state.read().encryption.is_some() => "KMS",
            _ => "NONE",
        }
    }

    /// The stream's creation time in epoch ms.
    pub fn stream_created_ms(&self, name: &str) -> Result<u64> {
        Ok(self.stream(name)?.created_ms)
    }
}

pub(crate) fn shard_info(s: &Shard) -> ShardInfo {
    let log = s.log.read();
    let ending = s.ending_sequence(&log);
    ShardInfo {
        shard_id: s.id.clone(),
        parent_shard_id: s.parent.clone(),
        adjacent_parent_shard_id: s.adjacent_parent.clone(),
        hash_range: s.range,
        starting_sequence_number: s.starting_sequence().format(),
        ending_sequence_number: ending.map(|e| e.format()),
        created_ms: s.created_secs * 1000,
        oldest_record_ms: log.first_arrival_ms(),
        closed_ms: log.closed_ms(),
    }
}
