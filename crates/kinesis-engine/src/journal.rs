//! The journal: the append-only files that make acknowledged records durable.
//!
//! # Layout
//!
//! `<data-dir>/journal/<segment:016>.log` files, written one after another; a new segment is
//! started at every open and whenever the current one passes [`SEGMENT_BYTES`]. A segment is a
//! sequence of frames, one per put call and shard:
//!
//! ```text
//! frame  = body_len:u32le crc32c(body):u32le body
//! body   = kind:u8(=1) stream_created_ms:u64le name_len:u8 name shard_index:u32le
//!          first_index:u64le count:u32le record*
//! record = arrival_ms:u64le pk_len:u16le data_len:u32le pk data
//! ```
//!
//! # Guarantees
//!
//! * A put is acknowledged only after its frame was handed to the operating system with
//!   `write(2)`, so a `kill -9` of the server loses nothing acknowledged. With
//!   [`FsyncPolicy::Always`] the frame is also `fdatasync`ed before the acknowledgement, which
//!   covers power loss; [`FsyncPolicy::Interval`] syncs in the background (bounded loss window on
//!   power loss only) and [`FsyncPolicy::Never`] leaves it to the operating system.
//! * Recovery verifies every frame's length and checksum. The first frame that is cut short or
//!   fails its checksum ends the segment: the file is truncated there and nothing after it is
//!   served. Such a frame can only be a write that was in progress when the process died, so it
//!   was never acknowledged.
//! * A record's index is stored, not assumed, so segments removed by retention leave later
//!   records with the same sequence numbers they had.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;

/// When a segment is rolled over to a new file.
pub const SEGMENT_BYTES: u64 = 64 * 1024 * 1024;
/// Segments kept open for reading at once; the oldest handle is closed first (readers move
/// forward through the journal).
pub const MAX_OPEN_READERS: usize = 32;

const KIND_RECORDS: u8 = 1;
/// The highest record index a frame may carry; far beyond any real shard.
const MAX_RECORD_INDEX: u64 = 1 << 63;
const FRAME_HEADER: usize = 8;

/// When the journal forces its writes to stable storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// `fdatasync` before every acknowledgement.
    Always,
    /// `fdatasync` from a background thread at this interval.
    Interval(Duration),
    /// Never sync explicitly; the operating system writes back in its own time.
    Never,
}

/// One put call's records for one shard, as read back from the journal.
pub(crate) struct Batch<'a> {
    pub stream_name: &'a str,
    pub stream_created_ms: u64,
    pub shard_index: u32,
    pub first_index: u64,
    pub records: Vec<(u64, &'a str, &'a [u8])>,
}

/// Where one frame lies in the journal, and which records it holds: the index entry that lets a
/// read go straight to a record that is no longer in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameRef {
    /// The segment's id (its file name).
    pub segment: u32,
    /// Byte offset of the frame in the segment.
    pub offset: u32,
    /// The frame's length, header included.
    pub len: u32,
    /// Records in the frame.
    pub count: u32,
    /// Index of the frame's first record in its shard.
    pub first_index: u64,
    /// Arrival of the frame's first record, epoch ms.
    pub first_arrival_ms: u64,
    /// Arrival of the frame's last record, epoch ms.
    pub last_arrival_ms: u64,
}

/// Where a frame was written: segment, offset and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FramePos {
    pub segment: u32,
    pub offset: u32,
    pub len: u32,
}

struct Segment {
    id: u64,
    newest_arrival_ms: u64,
}

struct Writer {
    file: File,
    id: u64,
    size: u64,
    dirty: bool,
    /// Finished segments, oldest first.
    sealed: Vec<Segment>,
    newest_arrival_ms: u64,
}

/// The journal: its writer and the read side that serves records no longer in memory.
pub(crate) struct Journal {
    dir: PathBuf,
    policy: FsyncPolicy,
    writer: Mutex<Writer>,
    /// Open read handles, at most one per segment and [`MAX_OPEN_READERS`] in all, shared by
    /// concurrent reads.
    readers: Mutex<BTreeMap<u32, Arc<File>>>,
}

fn position(segment: u64, offset: usize, len: usize) -> io::Result<FramePos> {
    let too_big = |what: &str| io::Error::other(format!("journal {what} does not fit 32 bits"));
    Ok(FramePos {
        segment: u32::try_from(segment).map_err(|_| too_big("segment id"))?,
        offset: u32::try_from(offset).map_err(|_| too_big("offset"))?,
        len: u32::try_from(len).map_err(|_| too_big("frame length"))?,
    })
}

fn segment_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:016}.log"))
}

fn list_segments(dir: &Path) -> io::Result<Vec<u64>> {
    let mut ids = Vec::new();
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(id) = name
            .strip_suffix(".log")
            .and_then(|s| s.parse::<u64>().ok())
        {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

/// What recovery found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Segments read.
    pub segments: usize,
    /// Frames (put batches) replayed.
    pub frames: u64,
    /// Records replayed.
    pub records: u64,
    /// Bytes cut off the end of segments because a frame was torn or corrupt.
    pub truncated_bytes: u64,
}

impl Journal {
    /// Opens the journal in `dir`, first replaying every intact frame into `apply`, then
    /// starting a fresh segment for new writes.
    pub(crate) fn open(
        dir: &Path,
        policy: FsyncPolicy,
        mut apply: impl FnMut(Batch<'_>, FramePos),
    ) -> io::Result<(Journal, RecoveryReport)> {
        fs::create_dir_all(dir)?;
        let mut report = RecoveryReport::default();
        let mut sealed = Vec::new();
        let ids = list_segments(dir)?;
        for &id in &ids {
            let path = segment_path(dir, id);
            let bytes = fs::read(&path)?;
            let mut newest = 0u64;
            let mut at = 0usize;
            report.segments += 1;
            while at < bytes.len() {
                match parse_frame(&bytes[at..]) {
                    Some((batch, used)) => {
                        report.frames += 1;
                        report.records += batch.records.len() as u64;
                        if let Some(t) = batch.records.iter().map(|r| r.0).max() {
                            newest = newest.max(t);
                        }
                        apply(batch, position(id, at, used)?);
                        at += used;
                    }
                    None => {
                        tracing::warn!(
                            segment = %path.display(),
                            offset = at,
                            dropped = bytes.len() - at,
                            "journal frame torn or corrupt; truncating"
                        );
                        report.truncated_bytes += (bytes.len() - at) as u64;
                        let f = OpenOptions::new().write(true).open(&path)?;
                        f.set_len(at as u64)?;
                        f.sync_all()?;
                        break;
                    }
                }
            }
            sealed.push(Segment {
                id,
                newest_arrival_ms: newest,
            });
        }
        let id = ids.last().map_or(1, |last| last + 1);
        let file = create_segment(dir, id)?;
        let journal = Journal {
            dir: dir.to_path_buf(),
            policy,
            writer: Mutex::new(Writer {
                file,
                id,
                size: 0,
                dirty: false,
                sealed,
                newest_arrival_ms: 0,
            }),
            readers: Mutex::new(BTreeMap::new()),
        };
        Ok((journal, report))
    }

    /// Writes one frame (built by [`encode_batch`]) and, under [`FsyncPolicy::Always`], syncs it.
    /// Returns where the frame now lies.
    pub(crate) fn append(&self, frame: &[u8], newest_arrival_ms: u64) -> io::Result<FramePos> {
        let mut w = self.writer.lock();
        if w.size > 0 && w.size + frame.len() as u64 > SEGMENT_BYTES {
            w.file.sync_data()?;
            let next = w.id + 1;
            let file = create_segment(&self.dir, next)?;
            let old = Segment {
                id: w.id,
                newest_arrival_ms: w.newest_arrival_ms,
            };
            w.sealed.push(old);
            w.file = file;
            w.id = next;
            w.size = 0;
            w.newest_arrival_ms = 0;
        }
        let pos = position(w.id, w.size as usize, frame.len())?;
        w.file.write_all(frame)?;
        w.size += frame.len() as u64;
        w.newest_arrival_ms = w.newest_arrival_ms.max(newest_arrival_ms);
        if self.policy == FsyncPolicy::Always {
            w.file.sync_data()?;
        } else {
            w.dirty = true;
        }
        Ok(pos)
    }

    fn reader(&self, segment: u32) -> io::Result<Arc<File>> {
        let mut readers = self.readers.lock();
        if let Some(f) = readers.get(&segment) {
            return Ok(f.clone());
        }
        let f = Arc::new(File::open(segment_path(&self.dir, u64::from(segment)))?);
        if readers.len() >= MAX_OPEN_READERS {
            readers.pop_first();
        }
        readers.insert(segment, f.clone());
        Ok(f)
    }

    /// Reads the given frames back, each as one buffer holding the whole frame. Frames that
    /// follow each other in a segment are read with one call.
    pub(crate) fn read_frames(&self, frames: &[FrameRef]) -> io::Result<Vec<Bytes>> {
        use std::os::unix::fs::FileExt;
        let mut out = Vec::with_capacity(frames.len());
        let mut i = 0;
        while i < frames.len() {
            let first = frames[i];
            let mut end = first.offset as u64 + u64::from(first.len);
            let mut j = i + 1;
            while let Some(f) = frames.get(j) {
                if f.segment != first.segment || u64::from(f.offset) != end {
                    break;
                }
                end += u64::from(f.len);
                j += 1;
            }
            let mut buf = vec![0u8; (end - u64::from(first.offset)) as usize];
            self.reader(first.segment)?
                .read_exact_at(&mut buf, u64::from(first.offset))?;
            let buf = Bytes::from(buf);
            let mut at = 0usize;
            for f in &frames[i..j] {
                let len = f.len as usize;
                out.push(buf.slice(at..at + len));
                at += len;
            }
            i = j;
        }
        Ok(out)
    }

    /// Syncs pending writes (the interval policy's background tick).
    pub(crate) fn sync(&self) -> io::Result<()> {
        let mut w = self.writer.lock();
        if w.dirty {
            w.file.sync_data()?;
            w.dirty = false;
        }
        Ok(())
    }

    /// The configured policy.
    pub(crate) fn policy(&self) -> FsyncPolicy {
        self.policy
    }

    /// Deletes sealed segments whose newest record arrived before `cutoff_ms`.
    pub(crate) fn remove_segments_before(&self, cutoff_ms: u64) -> io::Result<usize> {
        let mut w = self.writer.lock();
        let mut removed = 0;
        while let Some(first) = w.sealed.first() {
            if first.newest_arrival_ms >= cutoff_ms {
                break;
            }
            fs::remove_file(segment_path(&self.dir, first.id))?;
            if let Ok(id) = u32::try_from(first.id) {
                self.readers.lock().remove(&id);
            }
            w.sealed.remove(0);
            removed += 1;
        }
        Ok(removed)
    }
}

fn create_segment(dir: &Path, id: u64) -> io::Result<File> {
    let file = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(segment_path(dir, id))?;
    // Make the new file's directory entry durable, so a synced frame is never in a file
    // that recovery cannot find.
    File::open(dir)?.sync_all()?;
    Ok(file)
}

/// Appends one frame for `records` (arrival_ms, partition key, data) to `buf`.
pub(crate) fn encode_batch<'r>(
    buf: &mut Vec<u8>,
    stream_name: &str,
    stream_created_ms: u64,
    shard_index: u32,
    first_index: u64,
    records: impl Iterator<Item = (u64, &'r str, &'r [u8])>,
) {
    let start = buf.len();
    buf.extend_from_slice(&[0u8; FRAME_HEADER]);
    buf.push(KIND_RECORDS);
    buf.extend_from_slice(&stream_created_ms.to_le_bytes());
    // Stream names are at most 128 characters of [a-zA-Z0-9_.-].
    buf.push(stream_name.len().min(255) as u8);
    buf.extend_from_slice(&stream_name.as_bytes()[..stream_name.len().min(255)]);
    buf.extend_from_slice(&shard_index.to_le_bytes());
    buf.extend_from_slice(&first_index.to_le_bytes());
    let count_at = buf.len();
    buf.extend_from_slice(&0u32.to_le_bytes());
    let mut count = 0u32;
    for (arrival, pk, data) in records {
        buf.extend_from_slice(&arrival.to_le_bytes());
        buf.extend_from_slice(&(pk.len() as u16).to_le_bytes());
        buf.extend_from_slice(&(data.len() as u32).to_le_bytes());
        buf.extend_from_slice(pk.as_bytes());
        buf.extend_from_slice(data);
        count += 1;
    }
    buf[count_at..count_at + 4].copy_from_slice(&count.to_le_bytes());
    let body_len = (buf.len() - start - FRAME_HEADER) as u32;
    let crc = crc32c::crc32c(&buf[start + FRAME_HEADER..]);
    buf[start..start + 4].copy_from_slice(&body_len.to_le_bytes());
    buf[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.bytes.len() < n {
            return None;
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

/// Parses one frame at the start of `bytes`; `None` when it is short, corrupt or unknown.
pub(crate) fn parse_frame(bytes: &[u8]) -> Option<(Batch<'_>, usize)> {
    let mut head = Cursor { bytes };
    let body_len = head.u32()? as usize;
    let crc = head.u32()?;
    let body = head.take(body_len)?;
    if crc32c::crc32c(body) != crc {
        return None;
    }
    let mut c = Cursor { bytes: body };
    if c.u8()? != KIND_RECORDS {
        return None;
    }
    let stream_created_ms = c.u64()?;
    let name_len = usize::from(c.u8()?);
    let stream_name = std::str::from_utf8(c.take(name_len)?).ok()?;
    let shard_index = c.u32()?;
    let first_index = c.u64()?;
    let count = c.u32()? as usize;
    // Indexes are positions in a shard; a frame whose records would run past 2^63 was not
    // written by this engine, whatever its checksum says.
    if first_index.checked_add(count as u64)? > MAX_RECORD_INDEX {
        return None;
    }
    let mut records = Vec::with_capacity(count.min(body_len / 14 + 1));
    for _ in 0..count {
        let arrival = c.u64()?;
        let pk_len = usize::from(c.u16()?);
        let data_len = c.u32()? as usize;
        let pk = std::str::from_utf8(c.take(pk_len)?).ok()?;
        let data = c.take(data_len)?;
        records.push((arrival, pk, data));
    }
    if !c.bytes.is_empty() {
        return None;
    }
    Some((
        Batch {
            stream_name,
            stream_created_ms,
            shard_index,
            first_index,
            records,
        },
        FRAME_HEADER + body_len,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame(records: &[(u64, &str, &[u8])]) -> Vec<u8> {
        let mut buf = Vec::new();
        encode_batch(&mut buf, "s", 5, 2, 10, records.iter().copied());
        buf
    }

    #[test]
    fn frame_round_trip() {
        let f = frame(&[(1, "a", b"x"), (2, "bb", b"")]);
        let (b, used) = parse_frame(&f).expect("parses");
        assert_eq!(used, f.len());
        assert_eq!(
            (
                b.stream_name,
                b.stream_created_ms,
                b.shard_index,
                b.first_index
            ),
            ("s", 5, 2, 10)
        );
        assert_eq!(b.records, vec![(1, "a", &b"x"[..]), (2, "bb", &b""[..])]);
    }

    #[test]
    fn torn_tail_is_truncated_and_never_replayed() {
        let dir = tempfile::tempdir().unwrap();
        let good = frame(&[(1, "a", b"one")]);
        let torn = frame(&[(2, "a", b"two")]);
        let mut bytes = good.clone();
        bytes.extend_from_slice(&torn[..torn.len() - 3]);
        fs::write(segment_path(dir.path(), 1), &bytes).unwrap();
        let mut seen = Vec::new();
        let (_j, report) = Journal::open(dir.path(), FsyncPolicy::Never, |b, _| {
            seen.extend(b.records.iter().map(|r| r.2.to_vec()));
        })
        .unwrap();
        assert_eq!(seen, vec![b"one".to_vec()]);
        assert_eq!(report.truncated_bytes, (torn.len() - 3) as u64);
        assert_eq!(
            fs::metadata(segment_path(dir.path(), 1)).unwrap().len(),
            good.len() as u64
        );
    }

    #[test]
    fn flipped_bit_is_detected() {
        let mut f = frame(&[(1, "a", b"payload")]);
        let last = f.len() - 1;
        f[last] ^= 0x40;
        assert!(parse_frame(&f).is_none());
    }

    #[test]
    fn appends_survive_reopen_and_roll_segments() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (j, _) = Journal::open(dir.path(), FsyncPolicy::Always, |_, _| {}).unwrap();
            j.append(&frame(&[(1, "a", b"x")]), 1).unwrap();
            j.append(&frame(&[(2, "a", b"y")]), 2).unwrap();
        }
        let mut n = 0;
        let (j, report) =
            Journal::open(dir.path(), FsyncPolicy::Never, |b, _| n += b.records.len()).unwrap();
        assert_eq!((n, report.frames), (2, 2));
        // The first segment's newest record arrived at 2: a cutoff of 3 removes it.
        assert_eq!(j.remove_segments_before(3).unwrap(), 1);
        assert_eq!(list_segments(dir.path()).unwrap().len(), 1);
    }

    #[test]
    fn frames_are_read_back_where_append_put_them() {
        let dir = tempfile::tempdir().unwrap();
        let (j, _) = Journal::open(dir.path(), FsyncPolicy::Never, |_, _| {}).unwrap();
        let frames: Vec<Vec<u8>> = (0..4u8)
            .map(|i| frame(&[(u64::from(i), "k", &[i; 100][..])]))
            .collect();
        let refs: Vec<FrameRef> = frames
            .iter()
            .map(|f| {
                let pos = j.append(f, 1).unwrap();
                FrameRef {
                    segment: pos.segment,
                    offset: pos.offset,
                    len: pos.len,
                    count: 1,
                    first_index: 10,
                    first_arrival_ms: 0,
                    last_arrival_ms: 0,
                }
            })
            .collect();
        assert_eq!(refs[1].offset, refs[0].len);
        // Contiguous frames, and frames with a gap between them, come back byte for byte.
        let picked = [refs[0], refs[1], refs[3]];
        let bufs = j.read_frames(&picked).unwrap();
        assert_eq!(bufs.len(), 3);
        assert_eq!(&bufs[0][..], &frames[0][..]);
        assert_eq!(&bufs[1][..], &frames[1][..]);
        assert_eq!(&bufs[2][..], &frames[3][..]);
        let (batch, _) = parse_frame(&bufs[2]).unwrap();
        assert_eq!(batch.records[0].2, &[3u8; 100][..]);
        // Past the end of the segment is an error, never a short or made-up frame.
        let beyond = FrameRef {
            offset: refs[3].offset + refs[3].len,
            ..refs[3]
        };
        assert!(j.read_frames(&[beyond]).is_err());
    }

    #[test]
    fn frames_with_impossible_indexes_are_corrupt() {
        let mut buf = Vec::new();
        encode_batch(
            &mut buf,
            "s",
            5,
            0,
            u64::MAX - 1,
            [(1, "a", &b"x"[..]), (2, "a", &b"y"[..])].into_iter(),
        );
        assert!(parse_frame(&buf).is_none());
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_frame(&bytes);
        }

        #[test]
        fn any_truncation_is_rejected(cut in 1usize..40) {
            let f = frame(&[(9, "key", b"some data here")]);
            let cut = cut.min(f.len());
            prop_assert!(parse_frame(&f[..f.len() - cut]).is_none());
        }
    }
}
