//! [`PowerLossFs`]: a [`FileSystem`] for tests that can simulate a power cut.
//!
//! It forwards to [`StdFs`] under one root and remembers everything not yet durable under
//! the [durability contract](super): bytes written since a file's last `sync_data`, and
//! every creation, rename and removal of a directory entry since that directory's last
//! `sync_dir`. [`PowerLossFs::crash`] then does what a power cut does to a journaling file
//! system that honours fsync and nothing more (the model of RocksDB's `FaultInjectionTestFS`
//! and LevelDB's fault-injection env): each file is cut back to its last synced length,
//! and the unsynced entry changes are undone, newest first: a created file disappears, a
//! removed file comes back, a renamed file goes back to its old name (and a file it replaced
//! comes back). After the crash every call fails with `EIO`, so the engine that was running
//! cannot touch the disk while it is shut down; a new `PowerLossFs` over the same root is the
//! machine after the reboot.
//!
//! Removals and replacements keep the old file in `<root>/.power-loss-trash` until its
//! directory is synced, so a crash can bring it back. Directory creation is durable when it
//! returns (the contract of [`FileSystem::create_dir_all`]). Reads go to the real files.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::Mmap;
use parking_lot::Mutex;

use super::{FileLock, FileSystem, ReadableFile, StdFs, WritableFile};
use crate::error::{Error, Result};

/// An entry change not yet made durable by `sync_dir`, in the directory it concerns.
#[derive(Debug)]
enum EntryChange {
    Created(PathBuf),
    /// The removed file, kept at the trash path.
    Removed {
        path: PathBuf,
        kept: PathBuf,
    },
    /// A rename; `replaced` keeps the file `to` named before, if any.
    Renamed {
        from: PathBuf,
        to: PathBuf,
        replaced: Option<PathBuf>,
    },
}

#[derive(Debug, Default)]
struct State {
    /// Synced length of every file written in this incarnation (by its current path).
    synced: HashMap<PathBuf, Arc<Mutex<u64>>>,
    /// Unsynced entry changes, oldest first, with their directory.
    changes: Vec<(PathBuf, EntryChange)>,
    next_trash: u64,
    crashed: bool,
    /// Entry changes the last crash undid and bytes it dropped (for tests' reports).
    undone: usize,
    dropped_bytes: u64,
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct PowerLossFs {
    inner: StdFs,
    trash: PathBuf,
    state: Arc<Mutex<State>>,
}

fn dead(path: &Path) -> Error {
    Error::io(
        "access after a simulated power cut",
        path,
        io::Error::from_raw_os_error(libc::EIO),
    )
}

fn parent(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

impl PowerLossFs {
    /// A file system whose un-synced changes a [`PowerLossFs::crash`] can drop; `root`
    /// holds the trash of removed files (keep the engine's data directory below it).
    pub fn new(root: &Path) -> Result<PowerLossFs> {
        let trash = root.join(".power-loss-trash");
        StdFs.create_dir_all(&trash)?;
        Ok(PowerLossFs {
            inner: StdFs,
            trash,
            state: Arc::new(Mutex::new(State::default())),
        })
    }

    /// Cuts the power: drops every byte and entry change not yet durable (see the module
    /// documentation), then fails every later call. Returns (entry changes undone, bytes
    /// dropped).
    pub fn crash(&self) -> Result<(usize, u64)> {
        let mut st = self.state.lock();
        if st.crashed {
            return Ok((st.undone, st.dropped_bytes));
        }
        st.crashed = true;
        let changes = std::mem::take(&mut st.changes);
        st.undone = changes.len();
        for (_, change) in changes.into_iter().rev() {
            match change {
                EntryChange::Created(path) => {
                    st.synced.remove(&path);
                    if self.inner.exists(&path)? {
                        self.inner.remove_file(&path)?;
                    }
                }
                EntryChange::Removed { path, kept } => {
                    self.inner.rename(&kept, &path)?;
                }
                EntryChange::Renamed { from, to, replaced } => {
                    self.inner.rename(&to, &from)?;
                    if let Some(len) = st.synced.remove(&to) {
                        st.synced.insert(from, len);
                    }
                    if let Some(kept) = replaced {
                        self.inner.rename(&kept, &to)?;
                    }
                }
            }
        }
        let mut dropped = 0;
        for (path, synced) in std::mem::take(&mut st.synced) {
            let synced = *synced.lock();
            if self.inner.exists(&path)? {
                let len = self.inner.file_len(&path)?;
                if len > synced {
                    dropped += len - synced;
                    self.inner.truncate(&path, synced)?;
                }
            }
        }
        st.dropped_bytes = dropped;
        Ok((st.undone, dropped))
    }

    fn live(&self, path: &Path) -> Result<parking_lot::MutexGuard<'_, State>> {
        let st = self.state.lock();
        if st.crashed {
            return Err(dead(path));
        }
        Ok(st)
    }

    /// Moves `path` to the trash; returns where it went.
    fn keep(&self, st: &mut State, path: &Path) -> Result<PathBuf> {
        st.next_trash += 1;
        let kept = self.trash.join(st.next_trash.to_string());
        self.inner.rename(path, &kept)?;
        Ok(kept)
    }

    fn track(&self, st: &mut State, path: &Path, synced: u64) -> Arc<Mutex<u64>> {
        st.synced
            .entry(path.to_path_buf())
            .or_insert_with(|| Arc::new(Mutex::new(synced)))
            .clone()
    }

    fn wrap(
        &self,
        file: Box<dyn WritableFile>,
        path: &Path,
        synced: Arc<Mutex<u64>>,
    ) -> Box<dyn WritableFile> {
        Box::new(PowerLossFile {
            inner: file,
            path: path.to_path_buf(),
            synced,
            state: self.state.clone(),
        })
    }
}

impl FileSystem for PowerLossFs {
    fn create_dir_all(&self, path: &Path) -> Result<()> {
        let _st = self.live(path)?;
        self.inner.create_dir_all(path)
    }

    fn open_read(&self, path: &Path) -> Result<Box<dyn ReadableFile>> {
        let _st = self.live(path)?;
        self.inner.open_read(path)
    }

    fn create(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        let mut st = self.live(path)?;
        let file = self.inner.create(path)?;
        st.changes
            .push((parent(path), EntryChange::Created(path.to_path_buf())));
        st.synced.remove(path);
        let synced = self.track(&mut st, path, 0);
        Ok(self.wrap(file, path, synced))
    }

    fn open_append(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        let mut st = self.live(path)?;
        let file = self.inner.open_append(path)?;
        // What the file held when opened is durable (an earlier incarnation synced it, or
        // this one tracks it already).
        let synced = self.track(&mut st, path, file.len());
        Ok(self.wrap(file, path, synced))
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        let mut st = self.live(from)?;
        let replaced = if self.inner.exists(to)? {
            Some(self.keep(&mut st, to)?)
        } else {
            None
        };
        self.inner.rename(from, to)?;
        if let Some(len) = st.synced.remove(from) {
            st.synced.insert(to.to_path_buf(), len);
        }
        st.changes.push((
            parent(to),
            EntryChange::Renamed {
                from: from.to_path_buf(),
                to: to.to_path_buf(),
                replaced,
            },
        ));
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> Result<()> {
        let mut st = self.live(path)?;
        if !self.inner.exists(path)? {
            return self.inner.remove_file(path);
        }
        let kept = self.keep(&mut st, path)?;
        let len = st.synced.remove(path);
        // A crash brings the file back as it was last synced.
        if let Some(len) = len {
            let synced = *len.lock();
            if self.inner.file_len(&kept)? > synced {
                self.inner.truncate(&kept, synced)?;
            }
        }
        st.changes.push((
            parent(path),
            EntryChange::Removed {
                path: path.to_path_buf(),
                kept,
            },
        ));
        Ok(())
    }

    fn list_dir(&self, path: &Path) -> Result<Vec<String>> {
        let _st = self.live(path)?;
        self.inner.list_dir(path)
    }

    fn sync_dir(&self, path: &Path) -> Result<()> {
        let mut st = self.live(path)?;
        self.inner.sync_dir(path)?;
        let (durable, pending): (Vec<_>, Vec<_>) = std::mem::take(&mut st.changes)
            .into_iter()
            .partition(|(dir, _)| dir == path);
        st.changes = pending;
        for (_, change) in durable {
            let kept = match change {
                EntryChange::Removed { kept, .. } => Some(kept),
                EntryChange::Renamed { replaced, .. } => replaced,
                EntryChange::Created(_) => None,
            };
            if let Some(kept) = kept {
                self.inner.remove_file(&kept)?;
            }
        }
        Ok(())
    }

    fn file_len(&self, path: &Path) -> Result<u64> {
        let _st = self.live(path)?;
        self.inner.file_len(path)
    }

    fn exists(&self, path: &Path) -> Result<bool> {
        let _st = self.live(path)?;
        self.inner.exists(path)
    }

    fn truncate(&self, path: &Path, len: u64) -> Result<()> {
        let st = self.live(path)?;
        self.inner.truncate(path, len)?;
        // Durable when it returns.
        if let Some(synced) = st.synced.get(path) {
            *synced.lock() = len;
        }
        Ok(())
    }

    fn map_file(&self, path: &Path) -> Result<Mmap> {
        let _st = self.live(path)?;
        self.inner.map_file(path)
    }

    fn lock_exclusive(&self, path: &Path) -> Result<FileLock> {
        let _st = self.live(path)?;
        self.inner.lock_exclusive(path)
    }
}

/// A file opened for appending; its synced length is shared with the file system's record.
#[derive(Debug)]
struct PowerLossFile {
    inner: Box<dyn WritableFile>,
    path: PathBuf,
    synced: Arc<Mutex<u64>>,
    state: Arc<Mutex<State>>,
}

impl WritableFile for PowerLossFile {
    fn write_all(&mut self, buf: &[u8]) -> Result<()> {
        // Under the state lock, so no write lands after a crash cut the file back.
        let st = self.state.lock();
        if st.crashed {
            return Err(dead(&self.path));
        }
        self.inner.write_all(buf)?;
        drop(st);
        Ok(())
    }

    fn sync_data(&mut self) -> Result<()> {
        // Under the state lock, so a crash never sees a sync half recorded.
        let st = self.state.lock();
        if st.crashed {
            return Err(dead(&self.path));
        }
        self.inner.sync_data()?;
        *self.synced.lock() = self.inner.len();
        drop(st);
        Ok(())
    }

    fn len(&self) -> u64 {
        self.inner.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, PowerLossFs, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let fs = PowerLossFs::new(dir.path()).unwrap();
        let data = dir.path().join("data");
        fs.create_dir_all(&data).unwrap();
        (dir, fs, data)
    }

    fn read(path: &Path) -> Vec<u8> {
        super::super::read_all(&StdFs, path).unwrap()
    }

    #[test]
    fn unsynced_bytes_and_entries_are_dropped() {
        let (_dir, fs, data) = setup();
        let (a, b, c) = (data.join("a"), data.join("b"), data.join("c"));
        // `a`: created, synced, entry synced, then more bytes never synced.
        let mut f = fs.create(&a).unwrap();
        f.write_all(b"durable").unwrap();
        f.sync_data().unwrap();
        fs.sync_dir(&data).unwrap();
        f.write_all(b" lost").unwrap();
        // `c`: created durably, then removed without a directory sync: comes back.
        fs.create(&c).unwrap().sync_data().unwrap();
        fs.sync_dir(&data).unwrap();
        fs.remove_file(&c).unwrap();
        assert!(!fs.exists(&c).unwrap());
        // `b`: data synced but its entry never: gone.
        let mut g = fs.create(&b).unwrap();
        g.write_all(b"x").unwrap();
        g.sync_data().unwrap();
        let (undone, dropped) = fs.crash().unwrap();
        assert_eq!((undone, dropped), (2, 5));
        assert_eq!(read(&a), b"durable");
        assert!(!StdFs.exists(&b).unwrap());
        assert!(StdFs.exists(&c).unwrap());
        assert!(fs.exists(&a).is_err(), "the crashed machine is dead");
        assert!(f.write_all(b"y").is_err());
    }

    #[test]
    fn a_rename_is_undone_until_its_directory_is_synced() {
        let (_dir, fs, data) = setup();
        let (tmp, live) = (data.join("t.tmp"), data.join("live"));
        let mut old = fs.create(&live).unwrap();
        old.write_all(b"old").unwrap();
        old.sync_data().unwrap();
        fs.sync_dir(&data).unwrap();
        let mut f = fs.create(&tmp).unwrap();
        f.write_all(b"new").unwrap();
        f.sync_data().unwrap();
        fs.rename(&tmp, &live).unwrap();
        assert_eq!(read(&live), b"new");
        fs.crash().unwrap();
        assert_eq!(read(&live), b"old", "the replaced file is back");
        assert!(
            !StdFs.exists(&tmp).unwrap(),
            "the new file's creation was never durable"
        );

        // After a directory sync the rename holds.
        let fs = PowerLossFs::new(_dir.path()).unwrap();
        let mut f = fs.create(&tmp).unwrap();
        f.write_all(b"new").unwrap();
        f.sync_data().unwrap();
        fs.rename(&tmp, &live).unwrap();
        fs.sync_dir(&data).unwrap();
        fs.crash().unwrap();
        assert_eq!(read(&live), b"new");
    }

    #[test]
    fn appends_to_an_existing_file_keep_what_it_held() {
        let (_dir, fs, data) = setup();
        let a = data.join("a");
        let mut f = fs.create(&a).unwrap();
        f.write_all(b"one").unwrap();
        f.sync_data().unwrap();
        fs.sync_dir(&data).unwrap();
        drop(f);
        let fs = PowerLossFs::new(_dir.path()).unwrap();
        let mut f = fs.open_append(&a).unwrap();
        f.write_all(b" two").unwrap();
        fs.crash().unwrap();
        assert_eq!(read(&a), b"one");
    }
}
