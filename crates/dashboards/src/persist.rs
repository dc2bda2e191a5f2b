//! The data file `dashboards.json`: every dashboard (name, body, last change), one JSON
//! document rewritten whole after each change through a temporary file and a rename, so a
//! crash leaves the old or the new file, never half of one.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Dashboard, DashboardError};

/// The file's name inside the data directory.
pub(crate) const FILE_NAME: &str = "dashboards.json";
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Snapshot<D> {
    version: u32,
    dashboards: Vec<D>,
}

fn internal(what: &str, path: &Path, e: impl std::fmt::Display) -> DashboardError {
    DashboardError::Internal(format!("{what} {}: {e}", path.display()))
}

/// The dashboards kept in `dir`; an absent file is none.
pub(crate) fn load(dir: &Path) -> Result<Vec<Dashboard>, DashboardError> {
    let path = dir.join(FILE_NAME);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(internal("cannot read", &path, e)),
    };
    let snap: Snapshot<Dashboard> =
        serde_json::from_slice(&bytes).map_err(|e| internal("cannot parse", &path, e))?;
    if snap.version != VERSION {
        return Err(internal(
            "unknown version in",
            &path,
            format!("{} (expected {VERSION})", snap.version),
        ));
    }
    Ok(snap.dashboards)
}

/// Writes `dashboards` to `dir` atomically.
pub(crate) fn save<'a>(
    dir: &Path,
    dashboards: impl Iterator<Item = &'a Dashboard>,
) -> Result<(), DashboardError> {
    fs::create_dir_all(dir).map_err(|e| internal("cannot create", dir, e))?;
    let path = dir.join(FILE_NAME);
    let tmp = dir.join(format!("{FILE_NAME}.tmp"));
    let snap = Snapshot {
        version: VERSION,
        dashboards: dashboards.collect::<Vec<_>>(),
    };
    let bytes = serde_json::to_vec(&snap).map_err(|e| internal("cannot encode", &path, e))?;
    let mut f = fs::File::create(&tmp).map_err(|e| internal("cannot create", &tmp, e))?;
    f.write_all(&bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| internal("cannot write", &tmp, e))?;
    fs::rename(&tmp, &path).map_err(|e| internal("cannot rename to", &path, e))
}
