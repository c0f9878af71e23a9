//! The segment being appended to: create it, write a batch (rolling a failed
//! write back), fsync it, rotate to the next one.
//!
//! A segment's file is created by its first write, not when it becomes the
//! active segment: opening the WAL and rotating write nothing, so a server on
//! a full disk still opens (and serves reads), and a rotation cannot fail for
//! want of space. Segment numbers may therefore have gaps; recovery does not
//! mind.
//!
//! No locking here: the group-commit leader owns the [`ActiveSegment`] while
//! it does I/O. Errors are split in two: [`SegmentError::Fatal`] means the WAL
//! must stop accepting writes (an fsync failed, or a failed write could not
//! be rolled back); [`SegmentError::Failed`] means this one operation failed
//! and the segment is unchanged and still usable (e.g. ENOSPC, rolled back).

use std::io;
use std::path::{Path, PathBuf};

use tracing::{debug, warn};

use super::format::encode_segment_header;
use super::segment::segment_path;
use super::stats::Counters;
use crate::error::{Error, Result};
use crate::io::{FileSystem, WritableFile};

/// An I/O error kept so that every writer of a failed batch can get a copy.
#[derive(Debug, Clone)]
pub(crate) struct StoredError {
    op: &'static str,
    path: PathBuf,
    kind: io::ErrorKind,
    raw: Option<i32>,
    message: String,
}

impl StoredError {
    pub fn new(err: &Error, fallback_path: &Path) -> Self {
        match err {
            Error::Io { op, path, source } => StoredError {
                op,
                path: path.clone(),
                kind: source.kind(),
                raw: source.raw_os_error(),
                message: source.to_string(),
            },
            other => StoredError {
                op: "wal",
                path: fallback_path.to_path_buf(),
                kind: other.io_kind().unwrap_or(io::ErrorKind::Other),
                raw: other.raw_os_error(),
                message: other.to_string(),
            },
        }
    }

    pub fn to_error(&self) -> Error {
        let source = match self.raw {
            Some(code) => io::Error::from_raw_os_error(code),
            None => io::Error::new(self.kind, self.message.clone()),
        };
        Error::io(self.op, self.path.clone(), source)
    }
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub(crate) enum SegmentError {
    Fatal(String),
    Failed(StoredError),
}

impl SegmentError {
    pub fn into_error(self) -> Error {
        match self {
            SegmentError::Fatal(reason) => Error::ReadOnly { reason },
            SegmentError::Failed(stored) => stored.to_error(),
        }
    }
}

/// The open segment new records are appended to.
#[derive(Debug)]
pub(crate) struct ActiveSegment {
    pub seq: u64,
    pub path: PathBuf,
    /// `None` until the first write creates the file.
    file: Option<Box<dyn WritableFile>>,
    /// Written since the last successful fsync.
    dirty: bool,
}

impl ActiveSegment {
    /// Segment `seq` of `dir`, its file not created yet.
    pub fn pending(dir: &Path, seq: u64) -> Self {
        ActiveSegment {
            seq,
            path: segment_path(dir, seq),
            file: None,
            dirty: false,
        }
    }

    /// The segment's file, created if it is not yet: header written and fsynced, then the
    /// directory fsynced. On failure the half-made file is removed.
    fn ensure_file(
        &mut self,
        fs: &dyn FileSystem,
        counters: &Counters,
    ) -> Result<(), SegmentError> {
        if self.file.is_none() {
            let file = Self::create(fs, &self.path, self.seq, counters)
                .map_err(|e| SegmentError::Failed(StoredError::new(&e, &self.path)))?;
            self.file = Some(file);
        }
        Ok(())
    }

    fn create(
        fs: &dyn FileSystem,
        path: &Path,
        seq: u64,
        counters: &Counters,
    ) -> Result<Box<dyn WritableFile>> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut file = fs.create(path)?;
        let header = encode_segment_header(seq);
        let result = file
            .write_all(&header)
            .and_then(|()| {
                counters.wrote(header.len());
                counters.fsync();
                file.sync_data()
            })
            .and_then(|()| fs.sync_dir(dir));
        if let Err(err) = result {
            drop(file);
            if let Err(rm) = fs.remove_file(path) {
                warn!(path = %path.display(), error = %rm, "could not remove half-created WAL segment");
            }
            return Err(err);
        }
        counters.segment_created();
        debug!(path = %path.display(), seq, "created WAL segment");
        Ok(file)
    }

    /// Current size of the segment file (0 before it exists).
    pub fn len(&self) -> u64 {
        self.file.as_ref().map_or(0, |f| f.len())
    }

    /// Whether data was written since the last fsync.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Appends `buf` with one write call. A failed write is rolled back by
    /// truncating the file to its previous length, so a partial record never
    /// stays in front of later records.
    pub fn write(
        &mut self,
        fs: &dyn FileSystem,
        buf: &[u8],
        counters: &Counters,
    ) -> Result<(), SegmentError> {
        self.ensure_file(fs, counters)?;
        let ActiveSegment {
            file: Some(file),
            path,
            dirty,
            ..
        } = self
        else {
            return Ok(());
        };
        let good_len = file.len();
        match file.write_all(buf) {
            Ok(()) => {
                *dirty = true;
                counters.wrote(buf.len());
                Ok(())
            }
            Err(err) => {
                let written = file.len().saturating_sub(good_len);
                warn!(
                    path = %path.display(), error = %err, written,
                    "WAL write failed; rolling back to offset {good_len}"
                );
                let reopened = fs
                    .truncate(path.as_path(), good_len)
                    .and_then(|()| fs.open_append(path.as_path()));
                match reopened {
                    Ok(reopened) => {
                        *file = reopened;
                        Err(SegmentError::Failed(StoredError::new(&err, path.as_path())))
                    }
                    Err(rollback) => Err(SegmentError::Fatal(format!(
                        "write to {} failed ({err}) and rolling it back to offset {good_len} failed ({rollback})",
                        path.display()
                    ))),
                }
            }
        }
    }

    /// Fsyncs the segment if it is dirty. Failure is fatal: the kernel may
    /// have dropped the dirty pages, so a retry proves nothing.
    pub fn sync(&mut self, counters: &Counters) -> Result<(), SegmentError> {
        let Some(file) = self.file.as_mut().filter(|_| self.dirty) else {
            return Ok(());
        };
        counters.fsync();
        match file.sync_data() {
            Ok(()) => {
                self.dirty = false;
                Ok(())
            }
            Err(err) => Err(SegmentError::Fatal(format!(
                "fsync of WAL segment {} failed ({err}); records written since the last successful fsync may be lost, so the WAL stopped accepting writes",
                self.path.display()
            ))),
        }
    }

    /// Fsyncs this segment and replaces it by segment `seq + 1` (created by its first
    /// write).
    pub fn rotate(&mut self, dir: &Path, counters: &Counters) -> Result<(), SegmentError> {
        self.sync(counters)?;
        let next_seq = self.seq.checked_add(1).ok_or_else(|| {
            let e = Error::InvalidArgument("WAL segment sequence numbers exhausted".into());
            SegmentError::Failed(StoredError::new(&e, &self.path))
        })?;
        debug!(old = self.seq, new = next_seq, "rotated WAL segment");
        *self = ActiveSegment::pending(dir, next_seq);
        Ok(())
    }
}
