//! [`StdFs`]: the real [`FileSystem`] on `std::fs` (Unix).
//!
//! `sync_data` is `fdatasync`, `sync_dir` opens the directory and fsyncs it,
//! `truncate` is `ftruncate` followed by `fsync`. Every error is wrapped with
//! the operation and the path. With [`super::FileLock`], the one place of the engine that
//! calls `std::fs` and `mmap` (clippy's `disallowed-methods` enforces it).
#![allow(clippy::disallowed_methods)]

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use super::{FileLock, FileSystem, ReadableFile, WritableFile};
use crate::error::{Error, Result};

/// The operating system's file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct StdFs;

impl StdFs {
    /// A new handle (it has no state).
    pub fn new() -> Self {
        StdFs
    }
}

impl FileSystem for StdFs {
    fn create_dir_all(&self, path: &Path) -> Result<()> {
        // Each directory made here gets its entry made durable in its parent.
        let mut missing = Vec::new();
        let mut p = Some(path);
        while let Some(dir) = p {
            if dir.as_os_str().is_empty() || self.exists(dir)? {
                break;
            }
            missing.push(dir);
            p = dir.parent();
        }
        fs::create_dir_all(path).map_err(|e| Error::io("create directory", path, e))?;
        for dir in missing.into_iter().rev() {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                self.sync_dir(parent)?;
            }
        }
        Ok(())
    }

    fn open_read(&self, path: &Path) -> Result<Box<dyn ReadableFile>> {
        let file = File::open(path).map_err(|e| Error::io("open for reading", path, e))?;
        let len = file
            .metadata()
            .map_err(|e| Error::io("stat", path, e))?
            .len();
        Ok(Box::new(StdReadableFile {
            file,
            path: path.to_path_buf(),
            len,
        }))
    }

    fn create(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(path)
            .map_err(|e| Error::io("create", path, e))?;
        Ok(Box::new(StdWritableFile {
            file,
            path: path.to_path_buf(),
            len: 0,
        }))
    }

    fn open_append(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| Error::io("open for appending", path, e))?;
        let len = file
            .metadata()
            .map_err(|e| Error::io("stat", path, e))?
            .len();
        Ok(Box::new(StdWritableFile {
            file,
            path: path.to_path_buf(),
            len,
        }))
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        fs::rename(from, to).map_err(|source| Error::Rename {
            from: from.to_path_buf(),
            to: to.to_path_buf(),
            source,
        })
    }

    fn remove_file(&self, path: &Path) -> Result<()> {
        fs::remove_file(path).map_err(|e| Error::io("remove", path, e))
    }

    fn list_dir(&self, path: &Path) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(path).map_err(|e| Error::io("list directory", path, e))? {
            let entry = entry.map_err(|e| Error::io("list directory", path, e))?;
            if let Ok(name) = entry.file_name().into_string() {
                names.push(name);
            }
        }
        Ok(names)
    }

    fn sync_dir(&self, path: &Path) -> Result<()> {
        let dir = File::open(path).map_err(|e| Error::io("open directory", path, e))?;
        dir.sync_all()
            .map_err(|e| Error::io("fsync directory", path, e))
    }

    fn file_len(&self, path: &Path) -> Result<u64> {
        Ok(fs::metadata(path)
            .map_err(|e| Error::io("stat", path, e))?
            .len())
    }

    fn exists(&self, path: &Path) -> Result<bool> {
        path.try_exists().map_err(|e| Error::io("stat", path, e))
    }

    fn truncate(&self, path: &Path, len: u64) -> Result<()> {
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| Error::io("open for truncation", path, e))?;
        file.set_len(len)
            .map_err(|e| Error::io("truncate", path, e))?;
        file.sync_all().map_err(|e| Error::io("fsync", path, e))
    }

    fn map_file(&self, path: &Path) -> Result<Mmap> {
        let file = File::open(path).map_err(|e| Error::io("open", path, e))?;
        // SAFETY: callers map only immutable files (SSTables, renamed into place whole);
        // nothing truncates or rewrites them while mapped, and an unlinked file's mapping
        // stays valid.
        unsafe { Mmap::map(&file) }.map_err(|e| Error::io("mmap", path, e))
    }

    fn lock_exclusive(&self, path: &Path) -> Result<FileLock> {
        FileLock::acquire(path)
    }
}

#[derive(Debug)]
struct StdReadableFile {
    file: File,
    path: PathBuf,
    len: u64,
}

impl ReadableFile for StdReadableFile {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.file
            .read_exact_at(buf, offset)
            .map_err(|e| Error::io("read", &self.path, e))
    }
}

#[derive(Debug)]
struct StdWritableFile {
    file: File,
    path: PathBuf,
    len: u64,
}

impl WritableFile for StdWritableFile {
    fn write_all(&mut self, mut buf: &[u8]) -> Result<()> {
        // Loop on write(2) ourselves (instead of io::Write::write_all) so that
        // `len` stays exact when an error interrupts a partial write.
        while !buf.is_empty() {
            match self.file.write(buf) {
                Ok(0) => {
                    let e = io::Error::new(io::ErrorKind::WriteZero, "write returned 0 bytes");
                    return Err(Error::io("write", &self.path, e));
                }
                Ok(n) => {
                    self.len += n as u64;
                    buf = buf.get(n..).unwrap_or_default();
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io("write", &self.path, e)),
            }
        }
        Ok(())
    }

    fn sync_data(&mut self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|e| Error::io("fsync", &self.path, e))
    }

    fn len(&self) -> u64 {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_append_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let fs = StdFs::new();
        let sub = dir.path().join("a/b");
        fs.create_dir_all(&sub).unwrap();
        let path = sub.join("f");
        let mut w = fs.create(&path).unwrap();
        assert!(w.is_empty());
        w.write_all(b"hello ").unwrap();
        w.sync_data().unwrap();
        assert_eq!(w.len(), 6);
        drop(w);
        let mut w = fs.open_append(&path).unwrap();
        assert_eq!(w.len(), 6);
        w.write_all(b"world").unwrap();
        assert_eq!(w.len(), 11);
        drop(w);
        assert_eq!(fs.file_len(&path).unwrap(), 11);
        let r = fs.open_read(&path).unwrap();
        let mut buf = [0u8; 5];
        r.read_exact_at(6, &mut buf).unwrap();
        assert_eq!(&buf, b"world");
        assert!(
            r.read_exact_at(8, &mut buf).is_err(),
            "read past EOF must fail"
        );
        assert_eq!(super::super::read_all(&fs, &path).unwrap(), b"hello world");
        fs.sync_dir(&sub).unwrap();
    }

    #[test]
    fn create_refuses_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let fs = StdFs::new();
        let path = dir.path().join("f");
        fs.create(&path).unwrap();
        let err = fs.create(&path).unwrap_err();
        assert_eq!(err.io_kind(), Some(io::ErrorKind::AlreadyExists));
        assert!(err.to_string().contains("create"), "{err}");
    }

    #[test]
    fn rename_remove_list_truncate_exists() {
        let dir = tempfile::tempdir().unwrap();
        let fs = StdFs::new();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        fs.create(&a).unwrap().write_all(b"0123456789").unwrap();
        fs.rename(&a, &b).unwrap();
        assert!(!fs.exists(&a).unwrap());
        assert!(fs.exists(&b).unwrap());
        assert_eq!(fs.list_dir(dir.path()).unwrap(), vec!["b".to_string()]);
        fs.truncate(&b, 4).unwrap();
        assert_eq!(fs.file_len(&b).unwrap(), 4);
        fs.remove_file(&b).unwrap();
        assert!(fs.list_dir(dir.path()).unwrap().is_empty());
    }

    #[test]
    fn errors_carry_op_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let fs = StdFs::new();
        let missing = dir.path().join("missing");
        let err = fs.open_read(&missing).unwrap_err();
        match &err {
            Error::Io { op, path, source } => {
                assert_eq!(*op, "open for reading");
                assert_eq!(path, &missing);
                assert_eq!(source.kind(), io::ErrorKind::NotFound);
            }
            other => panic!("unexpected {other:?}"),
        }
        let err = fs.rename(&missing, &dir.path().join("x")).unwrap_err();
        assert!(matches!(err, Error::Rename { .. }), "{err:?}");
        assert!(fs.open_append(&missing).is_err());
        assert!(fs.truncate(&missing, 0).is_err());
        assert!(fs.file_len(&missing).is_err());
    }
}
