//! Stream metadata on disk (`<data-dir>/meta.json`) and recovery at open.
//!
//! The metadata file holds every stream's configuration and shard layout, never records. It
//! is rewritten whole (temporary file, fsync, rename) on every change, while the changed
//! stream's lock is held, so the file always describes every shard that a journal frame can
//! name: a child shard is on disk before any put can reach it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};

use parking_lot::{Mutex, RwLock};

use crate::hash::HashRange;
use crate::journal::{FrameRef, FsyncPolicy, Journal, RecoveryReport};
use crate::memory::RecordMemory;
use crate::shard::Shard;
use crate::{
    Clock, ConsumerInfo, Engine, EngineConfig, EngineError, Inner, Result, Stream, StreamMode,
    StreamState, StreamStatus,
};

#[derive(serde::Serialize, serde::Deserialize, Clone)]
pub(crate) struct ShardMeta {
    index: u32,
    range: HashRange,
    parent: Option<String>,
    adjacent_parent: Option<String>,
    created_secs: u64,
    end_index: Option<u64>,
    #[serde(default)]
    closed_ms: Option<u64>,
}

#[derive(serde::Serialize, serde::Deserialize, Clone)]
pub(crate) struct StreamMeta {
    name: String,
    created_ms: u64,
    status: StreamStatus,
    settles_at_ms: u64,
    mode: StreamMode,
    retention_hours: u32,
    tags: BTreeMap<String, String>,
    encryption: Option<(String, String)>,
    enhanced_metrics: BTreeSet<String>,
    consumers: Vec<ConsumerInfo>,
    scaling_calls_ms: Vec<u64>,
    shards: Vec<ShardMeta>,
    #[serde(default)]
    pending_reshard: Option<crate::reshard::PendingReshard>,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    mode_switches_ms: Vec<u64>,
}

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct MetaFile {
    version: u32,
    streams: BTreeMap<String, StreamMeta>,
}

/// The in-memory copy of `meta.json` and the means to rewrite it.
pub(crate) struct MetaStore {
    path: PathBuf,
    file: Mutex<MetaFile>,
}

fn io_err(what: &str, e: impl std::fmt::Display) -> EngineError {
    EngineError::Internal(format!("{what}: {e}"))
}

impl MetaStore {
    fn write(&self, file: &MetaFile) -> Result<()> {
        let tmp = self.path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(file).map_err(|e| io_err("encoding metadata", e))?;
        let mut f = fs::File::create(&tmp).map_err(|e| io_err("writing metadata", e))?;
        f.write_all(&bytes)
            .map_err(|e| io_err("writing metadata", e))?;
        f.sync_all().map_err(|e| io_err("syncing metadata", e))?;
        fs::rename(&tmp, &self.path).map_err(|e| io_err("renaming metadata", e))?;
        if let Some(dir) = self.path.parent() {
            fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| io_err("syncing data dir", e))?;
        }
        Ok(())
    }

    pub(crate) fn put(&self, meta: StreamMeta) -> Result<()> {
        let mut file = self.file.lock();
        file.streams.insert(meta.name.clone(), meta);
        self.write(&file)
    }

    pub(crate) fn remove(&self, name: &str) -> Result<()> {
        let mut file = self.file.lock();
        if file.streams.remove(name).is_some() {
            self.write(&file)?;
        }
        Ok(())
    }
}

/// Captures a stream's metadata; called with the stream's lock held.
pub(crate) fn snapshot(stream: &Stream, st: &StreamState) -> StreamMeta {
    StreamMeta {
        name: stream.name.clone(),
        created_ms: stream.created_ms,
        status: st.status,
        settles_at_ms: st.settles_at_ms,
        mode: st.mode,
        retention_hours: st.retention_hours,
        tags: st.tags.clone(),
        encryption: st.encryption.clone(),
        enhanced_metrics: st.enhanced_metrics.clone(),
        consumers: st.consumers.clone(),
        scaling_calls_ms: st.scaling_calls_ms.clone(),
        pending_reshard: st.pending_reshard.clone(),
        policy: st.policy.clone(),
        mode_switches_ms: st.mode_switches_ms.clone(),
        shards: st
            .shards
            .iter()
            .map(|s| ShardMeta {
                index: s.index,
                range: s.range,
                parent: s.parent.clone(),
                adjacent_parent: s.adjacent_parent.clone(),
                created_secs: s.created_secs,
                end_index: s.log.read().end_index(),
                closed_ms: s.log.read().closed_ms(),
            })
            .collect(),
    }
}

impl Engine {
    /// Writes a stream's metadata to disk if the engine is durable.
    pub(crate) fn persist(&self, stream: &Stream, st: &StreamState) -> Result<()> {
        match &self.inner.meta {
            Some(meta) => meta.put(snapshot(stream, st)),
            None => Ok(()),
        }
    }
}

/// A shard's position and, if closed, its end index and close time.
type ClosedShard = (usize, Option<(u64, u64)>);

fn restore_stream(
    config: &EngineConfig,
    memory: &Arc<RecordMemory>,
    m: StreamMeta,
) -> (Arc<Stream>, Vec<ClosedShard>) {
    let mut ends = Vec::new();
    let shards = m
        .shards
        .iter()
        .enumerate()
        .map(|(pos, s)| {
            ends.push((
                pos,
                s.end_index
                    .map(|e| (e, s.closed_ms.unwrap_or(s.created_secs * 1000))),
            ));
            Arc::new(Shard::new(
                s.index,
                s.range,
                s.parent.clone(),
                s.adjacent_parent.clone(),
                s.created_secs,
                memory,
            ))
        })
        .collect();
    let state = StreamState {
        status: m.status,
        settles_at_ms: m.settles_at_ms,
        mode: m.mode,
        retention_hours: m.retention_hours,
        tags: m.tags,
        encryption: m.encryption,
        enhanced_metrics: m.enhanced_metrics,
        shards,
        open: Vec::new(),
        consumers: m.consumers,
        scaling_calls_ms: m.scaling_calls_ms,
        pending_reshard: m.pending_reshard,
        policy: m.policy,
        mode_switches_ms: m.mode_switches_ms,
    };
    let arn = format!(
        "arn:aws:kinesis:{}:{}:stream/{}",
        config.region, config.account_id, m.name
    );
    let stream = Stream {
        name: m.name,
        arn,
        created_ms: m.created_ms,
        state: RwLock::new(state),
    };
    (Arc::new(stream), ends)
}

fn load_meta(path: &Path) -> Result<MetaFile> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| io_err("reading metadata", e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(MetaFile {
            version: 1,
            ..Default::default()
        }),
        Err(e) => Err(io_err("reading metadata", e)),
    }
}

/// Builds the engine, recovering streams and records from the data directory if one is set.
pub(crate) fn open(
    config: EngineConfig,
    clock: Arc<dyn Clock>,
) -> Result<(Engine, RecoveryReport)> {
    let mut streams = BTreeMap::new();
    let mut closed_ends = Vec::new();
    let mut report = RecoveryReport::default();
    let mut journal = None;
    let mut meta = None;
    let mut last_created = 0;
    let memory = Arc::new(RecordMemory::new(
        config.max_memory_bytes,
        config.data_dir.is_some(),
    ));

    if let Some(dir) = &config.data_dir {
        fs::create_dir_all(dir).map_err(|e| io_err("creating data dir", e))?;
        let meta_path = dir.join("meta.json");
        let file = load_meta(&meta_path)?;
        for m in file.streams.values() {
            let (stream, ends) = restore_stream(&config, &memory, m.clone());
            last_created = last_created.max(stream.created_ms);
            closed_ends.push((stream.clone(), ends));
            streams.insert(stream.name.clone(), stream);
        }
        // Recovery indexes every frame and loads no record: memory fills with new writes,
        // and older records are read back from the journal.
        let (j, r) = Journal::open(&dir.join("journal"), config.fsync, |batch, pos| {
            let Some(stream) = streams.get(batch.stream_name) else {
                return;
            };
            if stream.created_ms != batch.stream_created_ms {
                return;
            }
            let st = stream.state.read();
            let Some(shard) = st.shards.get(batch.shard_index as usize) else {
                return;
            };
            let (Some(first), Some(last)) = (batch.records.first(), batch.records.last()) else {
                return;
            };
            let Ok(count) = u32::try_from(batch.records.len()) else {
                return;
            };
            shard.log.write().recover_frame(FrameRef {
                segment: pos.segment,
                offset: pos.offset,
                len: pos.len,
                count,
                first_index: batch.first_index,
                first_arrival_ms: first.0,
                last_arrival_ms: last.0,
            });
        })
        .map_err(|e| io_err("opening journal", e))?;
        report = r;
        journal = Some(j);
        meta = Some(MetaStore {
            path: meta_path,
            file: Mutex::new(file),
        });
    }

    for (stream, ends) in closed_ends {
        let mut st = stream.state.write();
        for (pos, end) in ends {
            if let Some((end, closed_ms)) = end {
                let mut log = st.shards[pos].log.write();
                // A shard closes only after its last record was journaled; should the journal
                // hold fewer (power loss under a lax fsync policy), end where the records end
                // so readers still reach the children.
                let end = end.min(log.next_index());
                log.set_closed(end, closed_ms);
            }
        }
        st.rebuild_open();
    }

    let interval = match config.fsync {
        FsyncPolicy::Interval(d) if journal.is_some() => Some(d),
        _ => None,
    };
    let inner = Arc::new(Inner {
        config,
        clock,
        streams: RwLock::new(streams),
        journal,
        meta,
        memory,
        last_created_ms: Mutex::new(last_created),
        subscriptions: Mutex::new(Default::default()),
    });
    if let Some(every) = interval {
        spawn_syncer(Arc::downgrade(&inner), every);
    }
    let engine = Engine { inner };
    engine.maintain()?;
    Ok((engine, report))
}

/// Syncs the journal at a fixed interval until the engine is dropped.
fn spawn_syncer(inner: Weak<Inner>, every: std::time::Duration) {
    let spawned = std::thread::Builder::new()
        .name("journal-sync".into())
        .spawn(move || {
            loop {
                std::thread::sleep(every);
                let Some(inner) = inner.upgrade() else { break };
                if let Some(j) = &inner.journal
                    && let Err(e) = j.sync()
                {
                    tracing::error!(error = %e, "journal sync failed");
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "could not start the journal sync thread");
    }
}
