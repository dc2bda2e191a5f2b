//! The data file `alarms.json`: every alarm (definition, state, tags) and the history, as
//! one JSON document, rewritten whole after each change through a temporary file and a
//! rename, so a crash leaves the old or the new file, never half of one.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::AlarmError;
use crate::history::History;
use crate::model::{CompositeAlarm, MetricAlarm, Tag};

/// The file's name inside the data directory.
pub(crate) const FILE_NAME: &str = "alarms.json";
const VERSION: u32 = 1;

/// What the file holds.
#[derive(Serialize, Deserialize, Default)]
pub(crate) struct Snapshot {
    pub version: u32,
    pub metric_alarms: Vec<(MetricAlarm, Vec<Tag>)>,
    pub composite_alarms: Vec<(CompositeAlarm, Vec<Tag>)>,
    pub history: History,
}

/// The same, borrowed, for writing.
#[derive(Serialize)]
pub(crate) struct SnapshotRef<'a> {
    version: u32,
    metric_alarms: Vec<(&'a MetricAlarm, &'a Vec<Tag>)>,
    composite_alarms: Vec<(&'a CompositeAlarm, &'a Vec<Tag>)>,
    history: &'a History,
}

impl<'a> SnapshotRef<'a> {
    pub(crate) fn new(
        metric_alarms: Vec<(&'a MetricAlarm, &'a Vec<Tag>)>,
        composite_alarms: Vec<(&'a CompositeAlarm, &'a Vec<Tag>)>,
        history: &'a History,
    ) -> SnapshotRef<'a> {
        SnapshotRef {
            version: VERSION,
            metric_alarms,
            composite_alarms,
            history,
        }
    }
}

fn internal(what: &str, path: &Path, e: impl std::fmt::Display) -> AlarmError {
    AlarmError::Internal(format!("{what} {}: {e}", path.display()))
}

/// Reads the snapshot in `dir`; an absent file is an empty snapshot.
pub(crate) fn load(dir: &Path) -> Result<Snapshot, AlarmError> {
    let path = dir.join(FILE_NAME);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Snapshot::default()),
        Err(e) => return Err(internal("cannot read", &path, e)),
    };
    let snap: Snapshot =
        serde_json::from_slice(&bytes).map_err(|e| internal("cannot parse", &path, e))?;
    if snap.version != VERSION {
        return Err(internal(
            "unknown version in",
            &path,
            format!("{} (expected {VERSION})", snap.version),
        ));
    }
    Ok(snap)
}

/// Writes the snapshot to `dir` atomically.
pub(crate) fn save(dir: &Path, snap: &SnapshotRef<'_>) -> Result<(), AlarmError> {
    fs::create_dir_all(dir).map_err(|e| internal("cannot create", dir, e))?;
    let path = dir.join(FILE_NAME);
    let tmp = dir.join(format!("{FILE_NAME}.tmp"));
    let bytes = serde_json::to_vec(snap).map_err(|e| internal("cannot encode", &path, e))?;
    let mut f = fs::File::create(&tmp).map_err(|e| internal("cannot create", &tmp, e))?;
    f.write_all(&bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| internal("cannot write", &tmp, e))?;
    fs::rename(&tmp, &path).map_err(|e| internal("cannot rename to", &path, e))
}
