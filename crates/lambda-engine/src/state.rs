//! What survives a restart when the engine has a state directory (`--data-dir`): each
//! function's configuration, tags, concurrency and asynchronous settings
//! (`functions/<name>.json`) and code (`functions/<name>.zip`), and each event source mapping
//! with its per-shard checkpoints (`mappings/<uuid>.json`), so a restarted engine resumes
//! after the last batch delivered. Files are written whole to a temporary name and renamed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::async_invoke::EventInvokeConfig;
use crate::esm::{Mapping, Running};
use crate::logs::LogStore;
use crate::{FunctionConfig, LambdaConfig, LambdaEngine, LambdaError};

#[derive(Serialize, Deserialize)]
struct SavedFunction {
    config: FunctionConfig,
    tags: BTreeMap<String, String>,
    reserved: Option<u32>,
    event_invoke: Option<EventInvokeConfig>,
}

#[derive(Serialize, Deserialize)]
struct SavedMapping {
    mapping: Mapping,
    checkpoints: BTreeMap<String, String>,
}

fn write_atomically(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("tmp");
    let result = std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))
        .and_then(|()| std::fs::write(&tmp, bytes))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        tracing::error!(path = %path.display(), error = %e, "saving Lambda state failed");
    }
}

impl LambdaEngine {
    fn state_path(&self, kind: &str, file: &str) -> Option<PathBuf> {
        self.inner
            .config
            .state_dir
            .as_ref()
            .map(|d| d.join(kind).join(file))
    }

    /// Saves a function's settings (not its code).
    pub(crate) fn save_function(&self, name: &str) {
        let (Some(path), Ok(f)) = (
            self.state_path("functions", &format!("{name}.json")),
            self.function(name),
        ) else {
            return;
        };
        let saved = SavedFunction {
            config: f.config.read().clone(),
            tags: f.tags.read().clone(),
            reserved: *f.reserved.read(),
            event_invoke: f.event_invoke.read().clone(),
        };
        if let Ok(json) = serde_json::to_vec_pretty(&saved) {
            write_atomically(&path, &json);
        }
    }

    /// Saves a function's code.
    pub(crate) fn save_code(&self, name: &str, zip: &[u8]) {
        if let Some(path) = self.state_path("functions", &format!("{name}.zip")) {
            write_atomically(&path, zip);
        }
    }

    /// Removes a deleted function's files, its log's included.
    pub(crate) fn forget_function(&self, name: &str) {
        for ext in ["json", "zip"] {
            if let Some(path) = self.state_path("functions", &format!("{name}.{ext}")) {
                let _ = std::fs::remove_file(path);
            }
        }
        for file in [format!("{name}.journal"), format!("{name}.snapshot.json")] {
            if let Some(path) = self.state_path("logs", &file) {
                let _ = std::fs::remove_file(path);
            }
        }
    }

    /// The log of function `name`: journaled under `logs/` with a state directory (the
    /// lines kept before a restart read back), else in memory only. A journal that cannot
    /// be opened is logged and the log kept in memory.
    pub(crate) fn function_log(&self, name: &str) -> LogStore {
        let (time, max) = (self.inner.time.clone(), self.inner.config.max_log_events);
        let Some(dir) = self.inner.config.state_dir.as_ref().map(|d| d.join("logs")) else {
            return LogStore::new(time, max);
        };
        LogStore::open(time.clone(), max, &dir, name).unwrap_or_else(|e| {
            tracing::error!(function = name, error = %e, "opening the function's log failed");
            LogStore::new(time, max)
        })
    }

    /// Saves a mapping and its checkpoints.
    pub(crate) fn save_mapping(&self, running: &Running) {
        let mapping = running.mapping.lock().clone();
        let Some(path) = self.state_path("mappings", &format!("{}.json", mapping.uuid)) else {
            return;
        };
        let saved = SavedMapping {
            mapping,
            checkpoints: running.checkpoints.lock().clone(),
        };
        if let Ok(json) = serde_json::to_vec_pretty(&saved) {
            write_atomically(&path, &json);
        }
    }

    /// Removes a deleted mapping's file.
    pub(crate) fn forget_mapping(&self, uuid: &str) {
        if let Some(path) = self.state_path("mappings", &format!("{uuid}.json")) {
            let _ = std::fs::remove_file(path);
        }
    }

    /// An engine that restores what its state directory holds (functions first, then
    /// mappings, whose pollers resume after their checkpoints). Must run inside a Tokio
    /// runtime when mappings are restored.
    pub fn open(
        config: LambdaConfig,
        store: Arc<metric_store::Store>,
    ) -> Result<LambdaEngine, LambdaError> {
        let dir = config.state_dir.clone();
        let engine = LambdaEngine::new(config, store);
        let Some(dir) = dir else {
            return Ok(engine);
        };
        let io = |e: std::io::Error| LambdaError::Io(format!("{}: {e}", dir.display()));
        let functions = dir.join("functions");
        if functions.is_dir() {
            for entry in std::fs::read_dir(&functions).map_err(io)? {
                let path = entry.map_err(io)?.path();
                if path.extension().and_then(|e| e.to_str()) != Some("json") {
                    continue;
                }
                let saved: SavedFunction = match std::fs::read(&path)
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok())
                {
                    Some(s) => s,
                    None => {
                        tracing::error!(path = %path.display(), "unreadable function state, skipped");
                        continue;
                    }
                };
                let zip = std::fs::read(path.with_extension("zip")).map_err(io)?;
                let name = saved.config.name.clone();
                engine.restore_function(saved.config, &zip, saved.tags)?;
                let f = engine.function(&name)?;
                *f.reserved.write() = saved.reserved;
                *f.event_invoke.write() = saved.event_invoke;
            }
        }
        let mappings = dir.join("mappings");
        if mappings.is_dir() {
            for entry in std::fs::read_dir(&mappings).map_err(io)? {
                let path = entry.map_err(io)?.path();
                if path.extension().and_then(|e| e.to_str()) != Some("json") {
                    continue;
                }
                let Some(saved) = std::fs::read(&path)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<SavedMapping>(&b).ok())
                else {
                    tracing::error!(path = %path.display(), "unreadable mapping state, skipped");
                    continue;
                };
                engine.install_mapping(saved.mapping, saved.checkpoints)?;
            }
        }
        Ok(engine)
    }
}
