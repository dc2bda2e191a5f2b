//! Lambda function zips: what `streamwatch function deploy` uploads and the engine unpacks.
//!
//! [`bootstrap_zip`] packs one executable as `bootstrap` (the OS-only runtimes),
//! [`zip_dir`] a directory's files at the zip's root (e.g. a Python handler), and
//! [`zip_files`] a list of entries; each entry keeps its Unix mode, so `bootstrap` stays
//! executable. [`unpack`] writes an archive into a directory, refusing entries that would
//! land outside it and archives that unpack to more than a given size.
//!
//! ```
//! let zip = function_zip::zip_files(&[("app.py", b"def handle(e, c): return e", 0o644)])?;
//! let dir = tempfile::tempdir()?;
//! function_zip::unpack(&zip, dir.path(), 1024)?;
//! assert!(dir.path().join("app.py").exists());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

/// Why an archive could not be built or unpacked.
#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    /// The bytes are not a readable zip archive, or an entry could not be read.
    #[error("{0}")]
    Unreadable(String),
    /// An entry's path would land outside the target directory.
    #[error("entry {0:?} escapes the archive")]
    Escapes(String),
    /// The archive unpacks to more than the limit given.
    #[error("Unzipped size must be smaller than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ZipError + '_ {
    move |source| ZipError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A zip holding one executable `bootstrap` with these bytes: what `streamwatch function
/// deploy --bin` uploads for a local binary.
pub fn bootstrap_zip(binary: &[u8]) -> Result<Vec<u8>, ZipError> {
    zip_files(&[("bootstrap", binary, 0o755)])
}

/// A zip of `(path, bytes, unix mode)` entries, deflated.
pub fn zip_files(files: &[(&str, &[u8], u32)]) -> Result<Vec<u8>, ZipError> {
    let fail = |e: &dyn std::fmt::Display| ZipError::Unreadable(e.to_string());
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut writer = zip::ZipWriter::new(&mut out);
        for (path, bytes, mode) in files {
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .unix_permissions(*mode);
            writer.start_file(*path, options).map_err(|e| fail(&e))?;
            writer.write_all(bytes).map_err(|e| fail(&e))?;
        }
        writer.finish().map_err(|e| fail(&e))?;
    }
    Ok(out.into_inner())
}

/// A zip of every file under `dir` (paths relative to it, `/`-separated, in sorted order,
/// with their Unix modes), skipping `__pycache__` directories.
pub fn zip_dir(dir: &Path) -> Result<Vec<u8>, ZipError> {
    let mut files = Vec::new();
    walk(dir, dir, &mut files)?;
    let refs: Vec<(&str, &[u8], u32)> = files
        .iter()
        .map(|(p, b, m)| (p.as_str(), b.as_slice(), *m))
        .collect();
    zip_files(&refs)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>, u32)>) -> Result<(), ZipError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .collect::<Result<_, _>>()
        .map_err(io(dir))?;
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            if entry.file_name() != "__pycache__" {
                walk(root, &path, out)?;
            }
            continue;
        }
        let relative = path
            .strip_prefix(root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let metadata = entry.metadata().map_err(io(&path))?;
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        out.push((relative, bytes, mode(&metadata)));
    }
    Ok(())
}

#[cfg(unix)]
fn mode(metadata: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    metadata.permissions().mode() & 0o777
}

#[cfg(not(unix))]
fn mode(_: &std::fs::Metadata) -> u32 {
    0o644
}

/// Unpacks a zip into `dir` (created, emptied first), keeping the Unix modes it records;
/// refuses entries that would land outside `dir` and archives that unpack to more than
/// `max_unzipped_bytes`. Returns the bytes unpacked.
pub fn unpack(zip_bytes: &[u8], dir: &Path, max_unzipped_bytes: u64) -> Result<u64, ZipError> {
    let unreadable = |e: &dyn std::fmt::Display| ZipError::Unreadable(e.to_string());
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).map_err(|e| unreadable(&e))?;
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io(dir))?;
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| unreadable(&e))?;
        let Some(relative) = entry.enclosed_name() else {
            return Err(ZipError::Escapes(
                entry.name().map(|n| n.to_string()).unwrap_or_default(),
            ));
        };
        let path: PathBuf = dir.join(relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&path).map_err(io(&path))?;
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        let mut data = Vec::new();
        (&mut entry)
            .take(max_unzipped_bytes - total + 1)
            .read_to_end(&mut data)
            .map_err(|e| unreadable(&e))?;
        total += data.len() as u64;
        if total > max_unzipped_bytes {
            return Err(ZipError::TooLarge {
                limit: max_unzipped_bytes,
            });
        }
        std::fs::write(&path, &data).map_err(io(&path))?;
        #[cfg(unix)]
        if let Some(mode) = entry.unix_mode() {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & 0o777))
                .map_err(io(&path))?;
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bootstrap_stays_executable() {
        let zip = bootstrap_zip(b"#!/bin/sh\necho hi\n").unwrap();
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(unpack(&zip, dir.path(), 1024).unwrap(), 18);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join("bootstrap"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o755);
        }
    }

    #[test]
    fn a_directory_is_zipped_without_pycache() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(src.path().join("pkg/__pycache__")).unwrap();
        std::fs::write(src.path().join("app.py"), "x = 1").unwrap();
        std::fs::write(src.path().join("pkg/mod.py"), "y = 2").unwrap();
        std::fs::write(src.path().join("pkg/__pycache__/mod.pyc"), "z").unwrap();
        let zip = zip_dir(src.path()).unwrap();
        let out = tempfile::tempdir().unwrap();
        unpack(&zip, out.path(), 1024).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.path().join("pkg/mod.py")).unwrap(),
            "y = 2"
        );
        assert!(!out.path().join("pkg/__pycache__").exists());
    }

    #[test]
    fn limits_and_escapes_are_refused() {
        let zip = zip_files(&[("big", &[0u8; 100], 0o644)]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            unpack(&zip, dir.path(), 99),
            Err(ZipError::TooLarge { limit: 99 })
        ));
        let evil = zip_files(&[("../evil", b"x", 0o644)]).unwrap();
        assert!(matches!(
            unpack(&evil, dir.path(), 1024),
            Err(ZipError::Escapes(_))
        ));
        assert!(matches!(
            unpack(b"not a zip", dir.path(), 1024),
            Err(ZipError::Unreadable(_))
        ));
    }
}
