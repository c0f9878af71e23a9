//! An exclusive advisory lock on a file (`flock`), held until dropped: the data directory's
//! `LOCK`, so two processes can never write the same WAL and manifest.
#![allow(clippy::disallowed_methods)]

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;

use crate::error::{Error, Result};

/// Holds the lock until dropped.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
}

impl FileLock {
    /// Locks `path` (created if missing); fails at once if another process holds it.
    pub(super) fn acquire(path: &Path) -> Result<FileLock> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| Error::io("open", path, e))?;
        // SAFETY: flock on a file descriptor we own; no memory is involved.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            let dir = path.parent().unwrap_or(path);
            return Err(Error::Config(format!(
                "data directory {} is in use by another Strata process ({err})",
                dir.display()
            )));
        }
        Ok(FileLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_fails_until_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("LOCK");
        let a = FileLock::acquire(&path).unwrap();
        let err = FileLock::acquire(&path).unwrap_err().to_string();
        assert!(err.contains("in use"), "{err}");
        drop(a);
        FileLock::acquire(&path).unwrap();
    }
}
