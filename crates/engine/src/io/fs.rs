//! The file-system traits: what a log-structured engine needs (append-only writes,
//! positional reads, atomic rename, directory fsync, read-only maps, a lock), and their
//! durability contract (see the module documentation of [`super`]).

use std::fmt::Debug;
use std::path::Path;

use memmap2::Mmap;

use super::lock::FileLock;
use crate::error::{Error, Result};

/// A file system: the real one ([`StdFs`]) or a test double ([`FaultyFs`]).
pub trait FileSystem: Send + Sync + Debug {
    /// Creates `path` and all missing parents, durably (each new entry synced in its parent).
    fn create_dir_all(&self, path: &Path) -> Result<()>;

    /// Opens an existing file for positional reads.
    fn open_read(&self, path: &Path) -> Result<Box<dyn ReadableFile>>;

    /// Creates a new, empty file for appending. Fails (with
    /// `io::ErrorKind::AlreadyExists`) if `path` already exists: engine files
    /// are never overwritten in place. The new directory entry is not durable
    /// until [`FileSystem::sync_dir`].
    fn create(&self, path: &Path) -> Result<Box<dyn WritableFile>>;

    /// Opens an existing file for appending at its end.
    fn open_append(&self, path: &Path) -> Result<Box<dyn WritableFile>>;

    /// Atomically renames `from` to `to`, replacing `to` if it exists.
    fn rename(&self, from: &Path, to: &Path) -> Result<()>;

    /// Removes a file.
    fn remove_file(&self, path: &Path) -> Result<()>;

    /// Names of the entries of directory `path` (not full paths), in no
    /// particular order. Names that are not valid UTF-8 are skipped: the
    /// engine never creates such names.
    fn list_dir(&self, path: &Path) -> Result<Vec<String>>;

    /// Makes the directory's entries (creations, renames, removals) durable.
    fn sync_dir(&self, path: &Path) -> Result<()>;

    /// Length of the file in bytes.
    fn file_len(&self, path: &Path) -> Result<u64>;

    /// Whether `path` exists.
    fn exists(&self, path: &Path) -> Result<bool>;

    /// Sets the file's length to `len` (normally shrinking it) and makes that
    /// durable (fsync) before returning.
    fn truncate(&self, path: &Path, len: u64) -> Result<()>;

    /// Maps an existing, immutable file read-only (SSTables: nothing writes them once they
    /// have their final name).
    fn map_file(&self, path: &Path) -> Result<Mmap>;

    /// Takes an exclusive advisory lock on `path` (created if missing), held until the
    /// returned [`FileLock`] is dropped; fails at once if another process holds it.
    fn lock_exclusive(&self, path: &Path) -> Result<FileLock>;
}

/// A file opened for positional reads. Shareable between threads.
pub trait ReadableFile: Send + Sync + Debug {
    /// Length of the file when it was opened.
    fn len(&self) -> u64;

    /// Whether the file was empty when it was opened.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` with the bytes at `offset`. Reading past the end of the
    /// file is an error (`io::ErrorKind::UnexpectedEof`).
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<()>;
}

/// A file opened for appending.
pub trait WritableFile: Send + Debug {
    /// Appends all of `buf`. On error, a prefix of `buf` may have been
    /// written; [`WritableFile::len`] counts the bytes that were.
    fn write_all(&mut self, buf: &[u8]) -> Result<()>;

    /// Flushes written data to stable storage (`fdatasync`).
    fn sync_data(&mut self) -> Result<()>;

    /// Current length of the file: its length when opened plus every byte
    /// appended through this handle.
    fn len(&self) -> u64;

    /// Whether the file is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Reads a whole file into memory.
///
/// The allocation is sized by the file's length as reported by the file
/// system, never by data read from the file.
pub fn read_all(fs: &dyn FileSystem, path: &Path) -> Result<Vec<u8>> {
    let file = fs.open_read(path)?;
    let len = usize::try_from(file.len()).map_err(|_| Error::TooLarge {
        what: "file",
        size: file.len(),
        limit: usize::MAX as u64,
    })?;
    let mut buf = vec![0u8; len];
    file.read_exact_at(0, &mut buf)?;
    Ok(buf)
}
