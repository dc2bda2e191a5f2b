//! An engine's state kept on disk as a snapshot and a journal.
//!
//! The snapshot (`<name>.snapshot.json`) is the whole state as of some moment, written
//! through a temporary file and a rename, so a crash leaves the old or the new one, never
//! half of one. The journal (`<name>.journal`) holds every change made since, one JSON line
//! each, appended and flushed to the operating system before the change is acknowledged,
//! so a killed process loses nothing it answered for; [`Journal::sync`] makes what was
//! written durable against power loss too, and engines call it from their housekeeping.
//!
//! [`Journal::open`] reads the snapshot, replays the journal onto it with the engine's own
//! `apply`, and starts a fresh journal on a new snapshot of the result. A last line cut short
//! by a crash is dropped: it was never acknowledged. The engine calls [`Journal::compact`]
//! when [`Journal::wants_compaction`] says the journal has grown past its snapshot.
//!
//! Ordering is the engine's business: it appends a change while it holds the lock that
//! made it, so the journal's order is the order the changes were made in, and it compacts
//! while it holds every such lock, so no change falls between the snapshot and the new
//! journal.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use state_journal::Journal;
//!
//! #[derive(Default, Serialize, Deserialize)]
//! struct Counter { total: u64 }
//! #[derive(Serialize, Deserialize)]
//! enum Change { Add(u64) }
//! fn apply(state: &mut Counter, change: Change) {
//!     match change { Change::Add(n) => state.total += n }
//! }
//!
//! let dir = tempfile::tempdir()?;
//! let (state, journal) = Journal::<Change>::open(dir.path(), "counter", apply)?;
//! assert_eq!(state.total, 0);
//! journal.append(&Change::Add(2))?;
//! journal.append(&Change::Add(3))?;
//! drop(journal);
//! let (state, _journal) = Journal::<Change>::open(dir.path(), "counter", apply)?;
//! assert_eq!(state.total, 5);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead as _, BufReader, Write as _};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The snapshot format's version; a snapshot of another version is refused.
const VERSION: u32 = 1;

/// The journal compacts once it is this many bytes and larger than its snapshot.
const MIN_COMPACTION_BYTES: u64 = 4 << 20;

/// What went wrong reading or writing the files.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// A file could not be read, written or renamed.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file holds something that is not this state (or not this version of it).
    #[error("{path} is not readable: {detail}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// A change or a snapshot could not be encoded.
    #[error("cannot encode {what}: {source}")]
    Encode {
        /// A change or the snapshot.
        what: &'static str,
        /// The encoder's error.
        source: serde_json::Error,
    },
}

fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> JournalError + 'a {
    move |source| JournalError::Io {
        what,
        path: path.to_owned(),
        source,
    }
}

#[derive(Serialize, serde::Deserialize)]
struct Snapshot<S> {
    version: u32,
    state: S,
}

struct Writer {
    file: File,
    /// Bytes in the journal now.
    bytes: u64,
    /// Bytes of the snapshot the journal follows.
    snapshot_bytes: u64,
    /// Whether lines were written since the last [`Journal::sync`].
    unsynced: bool,
}

/// The journal of changes `C` of one engine's state, open for appending.
pub struct Journal<C> {
    snapshot_path: PathBuf,
    journal_path: PathBuf,
    writer: Mutex<Writer>,
    changes: PhantomData<fn(C)>,
}

impl<C> std::fmt::Debug for Journal<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.journal_path)
            .field("bytes", &self.writer.lock().bytes)
            .finish()
    }
}

impl<C: Serialize + DeserializeOwned> Journal<C> {
    /// Opens the state named `name` in `dir` (created if missing): the snapshot, or
    /// `S::default()` when there is none, with every whole line of the journal applied to
    /// it by `apply`. The result is written as the new snapshot and the journal starts
    /// empty.
    pub fn open<S>(
        dir: &Path,
        name: &str,
        mut apply: impl FnMut(&mut S, C),
    ) -> Result<(S, Journal<C>), JournalError>
    where
        S: Default + Serialize + DeserializeOwned,
    {
        fs::create_dir_all(dir).map_err(io("cannot create", dir))?;
        let snapshot_path = dir.join(format!("{name}.snapshot.json"));
        let journal_path = dir.join(format!("{name}.journal"));
        let mut state = read_snapshot::<S>(&snapshot_path)?;
        replay(&journal_path, &mut state, &mut apply)?;
        let snapshot_bytes = write_snapshot(&snapshot_path, &state)?;
        let file = File::create(&journal_path).map_err(io("cannot create", &journal_path))?;
        sync_dir(dir)?;
        let journal = Journal {
            snapshot_path,
            journal_path,
            writer: Mutex::new(Writer {
                file,
                bytes: 0,
                snapshot_bytes,
                unsynced: false,
            }),
            changes: PhantomData,
        };
        Ok((state, journal))
    }

    /// Appends `change` as one line and hands it to the operating system, so it survives
    /// the process being killed once this returns.
    pub fn append(&self, change: &C) -> Result<(), JournalError> {
        let mut line = serde_json::to_vec(change).map_err(|source| JournalError::Encode {
            what: "a change",
            source,
        })?;
        line.push(b'\n');
        let mut w = self.writer.lock();
        w.file
            .write_all(&line)
            .map_err(io("cannot append to", &self.journal_path))?;
        w.bytes += line.len() as u64;
        w.unsynced = true;
        Ok(())
    }

    /// Makes every appended line durable (fsync); does nothing when none was appended
    /// since the last call.
    pub fn sync(&self) -> Result<(), JournalError> {
        let mut w = self.writer.lock();
        if w.unsynced {
            w.file
                .sync_data()
                .map_err(io("cannot sync", &self.journal_path))?;
            w.unsynced = false;
        }
        Ok(())
    }

    /// Whether the journal has grown large enough, and larger than its snapshot, that
    /// [`Journal::compact`] would save reading time and disk.
    pub fn wants_compaction(&self) -> bool {
        let w = self.writer.lock();
        w.bytes >= MIN_COMPACTION_BYTES && w.bytes > w.snapshot_bytes
    }

    /// Bytes in the journal now.
    pub fn len_bytes(&self) -> u64 {
        self.writer.lock().bytes
    }

    /// Writes `state` as the new snapshot and empties the journal. The caller holds
    /// whatever keeps changes out meanwhile, so `state` includes every appended change.
    pub fn compact<S: Serialize>(&self, state: &S) -> Result<(), JournalError> {
        let mut w = self.writer.lock();
        let snapshot_bytes = write_snapshot(&self.snapshot_path, state)?;
        // Reopened truncated, so the next line is written at the start of an empty file.
        w.file = OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&self.journal_path)
            .map_err(io("cannot reopen", &self.journal_path))?;
        w.bytes = 0;
        w.snapshot_bytes = snapshot_bytes;
        w.unsynced = false;
        Ok(())
    }
}

fn read_snapshot<S: Default + DeserializeOwned>(path: &Path) -> Result<S, JournalError> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(S::default()),
        Err(e) => return Err(io("cannot read", path)(e)),
    };
    let snap: Snapshot<S> = serde_json::from_slice(&bytes).map_err(|e| JournalError::Corrupt {
        path: path.to_owned(),
        detail: e.to_string(),
    })?;
    if snap.version != VERSION {
        return Err(JournalError::Corrupt {
            path: path.to_owned(),
            detail: format!("version {} (expected {VERSION})", snap.version),
        });
    }
    Ok(snap.state)
}

/// Applies each whole line of the journal at `path` to `state`. A last line without its
/// newline was cut short by a crash and is left out; a whole line that does not parse is
/// corruption.
fn replay<S, C: DeserializeOwned>(
    path: &Path,
    state: &mut S,
    apply: &mut impl FnMut(&mut S, C),
) -> Result<(), JournalError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io("cannot read", path)(e)),
    };
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(io("cannot read", path))?;
        if n == 0 || line.last() != Some(&b'\n') {
            return Ok(());
        }
        number += 1;
        let change: C = serde_json::from_slice(&line).map_err(|e| JournalError::Corrupt {
            path: path.to_owned(),
            detail: format!("line {number}: {e}"),
        })?;
        apply(state, change);
    }
}

/// Writes `state` to `path` through a temporary file and a rename; returns its size.
fn write_snapshot<S: Serialize>(path: &Path, state: &S) -> Result<u64, JournalError> {
    let bytes = serde_json::to_vec(&Snapshot {
        version: VERSION,
        state,
    })
    .map_err(|source| JournalError::Encode {
        what: "the snapshot",
        source,
    })?;
    let tmp = path.with_extension("json.tmp");
    let mut f = File::create(&tmp).map_err(io("cannot create", &tmp))?;
    f.write_all(&bytes)
        .and_then(|()| f.sync_all())
        .map_err(io("cannot write", &tmp))?;
    fs::rename(&tmp, path).map_err(io("cannot rename to", path))?;
    Ok(bytes.len() as u64)
}

fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("cannot sync", dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    struct Names(Vec<String>);

    #[derive(Serialize, Deserialize)]
    enum Change {
        Add(String),
        Clear,
    }

    fn apply(state: &mut Names, change: Change) {
        match change {
            Change::Add(n) => state.0.push(n),
            Change::Clear => state.0.clear(),
        }
    }

    fn open(dir: &Path) -> (Names, Journal<Change>) {
        Journal::open(dir, "names", apply).unwrap()
    }

    #[test]
    fn changes_are_replayed_in_order_after_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let (state, j) = open(dir.path());
        assert_eq!(state, Names::default());
        j.append(&Change::Add("a".into())).unwrap();
        j.append(&Change::Clear).unwrap();
        j.append(&Change::Add("b".into())).unwrap();
        drop(j);
        let (state, j) = open(dir.path());
        assert_eq!(state, Names(vec!["b".into()]));
        // The reopen folded the journal into the snapshot.
        assert_eq!(j.len_bytes(), 0);
        assert_eq!(fs::read(dir.path().join("names.journal")).unwrap(), b"");
        j.append(&Change::Add("c".into())).unwrap();
        drop(j);
        assert_eq!(open(dir.path()).0, Names(vec!["b".into(), "c".into()]));
    }

    #[test]
    fn a_line_cut_short_is_dropped_and_a_garbled_whole_line_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (_, j) = open(dir.path());
        j.append(&Change::Add("kept".into())).unwrap();
        drop(j);
        let path = dir.path().join("names.journal");
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"Add":"lo"#).unwrap();
        drop(f);
        assert_eq!(open(dir.path()).0, Names(vec!["kept".into()]));

        fs::write(&path, b"{\"Add\":\"x\"}\nnot json\n").unwrap();
        let err = Journal::<Change>::open(dir.path(), "names", apply).unwrap_err();
        assert!(
            matches!(&err, JournalError::Corrupt { detail, .. } if detail.starts_with("line 2:")),
            "{err}"
        );
    }

    #[test]
    fn compaction_writes_the_state_and_empties_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let (mut state, j) = open(dir.path());
        for i in 0..3 {
            let name = format!("n{i}");
            j.append(&Change::Add(name.clone())).unwrap();
            state.0.push(name);
        }
        assert!(j.len_bytes() > 0);
        assert!(
            !j.wants_compaction(),
            "a few bytes are not worth a snapshot"
        );
        j.compact(&state).unwrap();
        assert_eq!(j.len_bytes(), 0);
        j.append(&Change::Add("after".into())).unwrap();
        j.sync().unwrap();
        drop(j);
        let (state, _) = open(dir.path());
        assert_eq!(state.0, ["n0", "n1", "n2", "after"]);
    }

    #[test]
    fn a_snapshot_of_another_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("names.snapshot.json"),
            br#"{"version":99,"state":[]}"#,
        )
        .unwrap();
        let err = Journal::<Change>::open(dir.path(), "names", apply).unwrap_err();
        assert!(err.to_string().contains("version 99"), "{err}");
    }
}
