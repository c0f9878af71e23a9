//! [`FaultyFs`]: a fault-injecting [`FileSystem`] wrapper for tests.
//!
//! It forwards every call to an inner file system, counts the calls, and can
//! be armed to fail the way real disks fail:
//!
//! * [`FaultyFs::enospc_after_writes`]: after N more successful `write_all`
//!   calls, every write fails with `ENOSPC` (until [`FaultyFs::disarm`]);
//! * [`FaultyFs::enospc_after_bytes`]: after N more bytes, writes fail with
//!   `ENOSPC`; the write that crosses the limit first writes the part that
//!   fits (a short write, as a full disk does);
//! * [`FaultyFs::eio_on_next_syncs`]: the next N `sync_data` calls fail with
//!   `EIO` (the data stays written, as after a lost writeback);
//! * [`FaultyFs::short_write_next`]: the next write writes only a prefix of
//!   its buffer, then fails with `EIO`;
//! * [`FaultyFs::eio_on_next_truncates`]: the next N `truncate` calls fail
//!   with `EIO` (leaving the file as it was);
//! * [`FaultyFs::set_sync_delay`]: every `sync_data` sleeps first (a slow
//!   disk), which makes group-commit batching observable in tests;
//! * [`FaultyFs::enospc_for_paths_ending`]: every write to a file whose name
//!   ends so fails with `ENOSPC` (table files only, say, while the WAL works);
//! * [`FaultyFs::panic_on_create_ending`]: creating such a file panics (a bug
//!   in the caller, to test that a background panic is caught and reported).
//!
//! Clones share their state, so a test keeps one clone to arm faults and read
//! [`FaultStats`] while the code under test owns another. It is compiled in
//! every build (it is small) so integration tests and other crates can use it.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use super::{FileSystem, ReadableFile, StdFs, WritableFile};
use crate::error::{Error, Result};

/// Calls seen by a [`FaultyFs`] (and the files it opened).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultStats {
    /// `write_all` calls, failed ones included.
    pub writes: u64,
    /// Bytes that reached the inner file system.
    pub bytes_written: u64,
    /// `sync_data` calls on files, failed ones included.
    pub syncs: u64,
    /// `sync_dir` calls.
    pub dir_syncs: u64,
    /// `create` calls.
    pub creates: u64,
    /// `open_read` and `open_append` calls.
    pub opens: u64,
    pub renames: u64,
    pub removes: u64,
    pub truncates: u64,
    pub list_dirs: u64,
    /// Faults injected so far.
    pub injected: u64,
}

#[derive(Debug, Default)]
struct Armed {
    enospc_after_writes: Option<u64>,
    enospc_after_bytes: Option<u64>,
    failing_syncs: u64,
    failing_truncates: u64,
    short_write: Option<usize>,
    sync_delay: Duration,
    enospc_suffix: Option<String>,
    panic_suffix: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    armed: Armed,
    stats: FaultStats,
}

/// A [`FileSystem`] that forwards to another one and injects faults on demand.
#[derive(Debug, Clone)]
pub struct FaultyFs {
    inner: Arc<dyn FileSystem>,
    state: Arc<Mutex<State>>,
}

impl FaultyFs {
    /// Wraps `inner`, with no fault armed.
    pub fn new(inner: Arc<dyn FileSystem>) -> Self {
        FaultyFs {
            inner,
            state: Arc::new(Mutex::new(State::default())),
        }
    }

    /// Wraps the real file system ([`StdFs`]).
    pub fn over_std() -> Self {
        Self::new(Arc::new(StdFs::new()))
    }

    /// After `n` more successful writes, every write fails with `ENOSPC`.
    pub fn enospc_after_writes(&self, n: u64) {
        self.state.lock().armed.enospc_after_writes = Some(n);
    }

    /// After `n` more bytes, writes fail with `ENOSPC`; the write crossing the
    /// limit writes the bytes that fit before failing.
    pub fn enospc_after_bytes(&self, n: u64) {
        self.state.lock().armed.enospc_after_bytes = Some(n);
    }

    /// The next `n` `sync_data` calls fail with `EIO`.
    pub fn eio_on_next_syncs(&self, n: u64) {
        self.state.lock().armed.failing_syncs = n;
    }

    /// The next `n` `truncate` calls fail with `EIO`.
    pub fn eio_on_next_truncates(&self, n: u64) {
        self.state.lock().armed.failing_truncates = n;
    }

    /// The next write writes only `keep` bytes of its buffer (at most all of
    /// it), then fails with `EIO`.
    pub fn short_write_next(&self, keep: usize) {
        self.state.lock().armed.short_write = Some(keep);
    }

    /// Every `sync_data` sleeps `delay` before syncing.
    pub fn set_sync_delay(&self, delay: Duration) {
        self.state.lock().armed.sync_delay = delay;
    }

    /// Every write to a file whose path ends with `suffix` fails with `ENOSPC`.
    pub fn enospc_for_paths_ending(&self, suffix: &str) {
        self.state.lock().armed.enospc_suffix = Some(suffix.to_string());
    }

    /// Creating a file whose path ends with `suffix` panics.
    pub fn panic_on_create_ending(&self, suffix: &str) {
        self.state.lock().armed.panic_suffix = Some(suffix.to_string());
    }

    /// Clears every armed fault and the sync delay. Counters are kept.
    pub fn disarm(&self) {
        self.state.lock().armed = Armed::default();
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> FaultStats {
        self.state.lock().stats
    }

    fn count(&self, f: impl FnOnce(&mut FaultStats)) {
        f(&mut self.state.lock().stats);
    }

    fn wrap(&self, file: Box<dyn WritableFile>, path: &Path) -> Box<dyn WritableFile> {
        Box::new(FaultyFile {
            inner: file,
            path: path.to_path_buf(),
            state: Arc::clone(&self.state),
        })
    }
}

impl FileSystem for FaultyFs {
    fn create_dir_all(&self, path: &Path) -> Result<()> {
        self.inner.create_dir_all(path)
    }

    fn open_read(&self, path: &Path) -> Result<Box<dyn ReadableFile>> {
        self.count(|s| s.opens += 1);
        self.inner.open_read(path)
    }

    fn create(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        self.count(|s| s.creates += 1);
        let panics = self
            .state
            .lock()
            .armed
            .panic_suffix
            .as_deref()
            .is_some_and(|s| path.as_os_str().to_string_lossy().ends_with(s));
        if panics {
            panic!("injected panic creating {}", path.display());
        }
        let file = self.inner.create(path)?;
        Ok(self.wrap(file, path))
    }

    fn open_append(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        self.count(|s| s.opens += 1);
        let file = self.inner.open_append(path)?;
        Ok(self.wrap(file, path))
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        self.count(|s| s.renames += 1);
        self.inner.rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> Result<()> {
        self.count(|s| s.removes += 1);
        self.inner.remove_file(path)
    }

    fn list_dir(&self, path: &Path) -> Result<Vec<String>> {
        self.count(|s| s.list_dirs += 1);
        self.inner.list_dir(path)
    }

    fn sync_dir(&self, path: &Path) -> Result<()> {
        self.count(|s| s.dir_syncs += 1);
        self.inner.sync_dir(path)
    }

    fn file_len(&self, path: &Path) -> Result<u64> {
        self.inner.file_len(path)
    }

    fn exists(&self, path: &Path) -> Result<bool> {
        self.inner.exists(path)
    }

    fn truncate(&self, path: &Path, len: u64) -> Result<()> {
        {
            let mut st = self.state.lock();
            st.stats.truncates += 1;
            if st.armed.failing_truncates > 0 {
                st.armed.failing_truncates -= 1;
                st.stats.injected += 1;
                let source = io::Error::from_raw_os_error(libc::EIO);
                return Err(Error::io("truncate", path, source));
            }
        }
        self.inner.truncate(path, len)
    }

    fn map_file(&self, path: &Path) -> Result<memmap2::Mmap> {
        self.count(|s| s.opens += 1);
        self.inner.map_file(path)
    }

    fn lock_exclusive(&self, path: &Path) -> Result<super::FileLock> {
        self.inner.lock_exclusive(path)
    }
}

/// What to do with one write.
enum WritePlan {
    Full,
    /// Write this many bytes, then fail with this errno.
    Partial(usize, i32),
}

#[derive(Debug)]
struct FaultyFile {
    inner: Box<dyn WritableFile>,
    path: PathBuf,
    state: Arc<Mutex<State>>,
}

impl FaultyFile {
    fn plan(&self, len: usize) -> WritePlan {
        let mut st = self.state.lock();
        st.stats.writes += 1;
        let armed = &mut st.armed;
        let to_suffix = armed
            .enospc_suffix
            .as_deref()
            .is_some_and(|s| self.path.as_os_str().to_string_lossy().ends_with(s));
        let plan = if to_suffix {
            WritePlan::Partial(0, libc::ENOSPC)
        } else if let Some(keep) = armed.short_write.take() {
            WritePlan::Partial(keep.min(len), libc::EIO)
        } else if armed.enospc_after_writes == Some(0) {
            WritePlan::Partial(0, libc::ENOSPC)
        } else {
            if let Some(n) = armed.enospc_after_writes.as_mut() {
                *n = n.saturating_sub(1);
            }
            match armed.enospc_after_bytes.as_mut() {
                Some(left) if (len as u64) > *left => {
                    // `*left < len <= usize::MAX`, so the conversion is exact.
                    let fits = usize::try_from(*left).unwrap_or(len);
                    *left = 0;
                    WritePlan::Partial(fits, libc::ENOSPC)
                }
                Some(left) => {
                    *left -= len as u64;
                    WritePlan::Full
                }
                None => WritePlan::Full,
            }
        };
        if matches!(plan, WritePlan::Partial(..)) {
            st.stats.injected += 1;
        }
        plan
    }
}

impl WritableFile for FaultyFile {
    fn write_all(&mut self, buf: &[u8]) -> Result<()> {
        match self.plan(buf.len()) {
            WritePlan::Full => {
                self.inner.write_all(buf)?;
                self.state.lock().stats.bytes_written += buf.len() as u64;
                Ok(())
            }
            WritePlan::Partial(n, errno) => {
                let prefix = buf.get(..n).unwrap_or(buf);
                self.inner.write_all(prefix)?;
                self.state.lock().stats.bytes_written += prefix.len() as u64;
                let source = io::Error::from_raw_os_error(errno);
                Err(Error::io("write", &self.path, source))
            }
        }
    }

    fn sync_data(&mut self) -> Result<()> {
        let delay = {
            let mut st = self.state.lock();
            st.stats.syncs += 1;
            if st.armed.failing_syncs > 0 {
                st.armed.failing_syncs -= 1;
                st.stats.injected += 1;
                let source = io::Error::from_raw_os_error(libc::EIO);
                return Err(Error::io("fsync", &self.path, source));
            }
            st.armed.sync_delay
        };
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        self.inner.sync_data()
    }

    fn len(&self) -> u64 {
        self.inner.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::read_all;

    fn setup() -> (tempfile::TempDir, FaultyFs, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        (dir, FaultyFs::over_std(), path)
    }

    #[test]
    fn passes_through_and_counts() {
        let (dir, fs, path) = setup();
        let mut f = fs.create(&path).unwrap();
        f.write_all(b"abc").unwrap();
        f.write_all(b"de").unwrap();
        f.sync_data().unwrap();
        drop(f);
        fs.sync_dir(dir.path()).unwrap();
        assert_eq!(read_all(&fs, &path).unwrap(), b"abcde");
        fs.truncate(&path, 1).unwrap();
        let other = dir.path().join("g");
        fs.rename(&path, &other).unwrap();
        assert_eq!(fs.list_dir(dir.path()).unwrap(), vec!["g".to_string()]);
        fs.remove_file(&other).unwrap();
        let s = fs.stats();
        assert_eq!(s.writes, 2);
        assert_eq!(s.bytes_written, 5);
        assert_eq!(s.syncs, 1);
        assert_eq!(s.dir_syncs, 1);
        assert_eq!(s.creates, 1);
        assert_eq!(s.opens, 1);
        assert_eq!(s.truncates, 1);
        assert_eq!(s.renames, 1);
        assert_eq!(s.removes, 1);
        assert_eq!(s.list_dirs, 1);
        assert_eq!(s.injected, 0);
    }

    #[test]
    fn enospc_after_n_writes_until_disarmed() {
        let (_dir, fs, path) = setup();
        let mut f = fs.create(&path).unwrap();
        fs.enospc_after_writes(2);
        f.write_all(b"1").unwrap();
        f.write_all(b"2").unwrap();
        let err = f.write_all(b"3").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOSPC));
        assert!(f.write_all(b"4").is_err(), "ENOSPC persists");
        fs.disarm();
        f.write_all(b"5").unwrap();
        assert_eq!(read_all(&fs, &path).unwrap(), b"125");
        assert_eq!(f.len(), 3);
        assert_eq!(fs.stats().injected, 2);
    }

    #[test]
    fn enospc_after_bytes_writes_what_fits() {
        let (_dir, fs, path) = setup();
        let mut f = fs.create(&path).unwrap();
        fs.enospc_after_bytes(5);
        f.write_all(b"abc").unwrap();
        let err = f.write_all(b"defg").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOSPC));
        assert_eq!(f.len(), 5, "the part that fit was written");
        assert!(f.write_all(b"x").is_err());
        assert_eq!(read_all(&fs, &path).unwrap(), b"abcde");
    }

    #[test]
    fn short_write_then_eio_once() {
        let (_dir, fs, path) = setup();
        let mut f = fs.create(&path).unwrap();
        fs.short_write_next(2);
        let err = f.write_all(b"hello").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EIO));
        assert_eq!(f.len(), 2);
        f.write_all(b"!").unwrap();
        assert_eq!(read_all(&fs, &path).unwrap(), b"he!");
    }

    #[test]
    fn eio_on_next_sync_only() {
        let (_dir, fs, path) = setup();
        let mut f = fs.create(&path).unwrap();
        f.write_all(b"x").unwrap();
        fs.eio_on_next_syncs(1);
        let err = f.sync_data().unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EIO));
        assert!(err.to_string().starts_with("fsync "), "{err}");
        f.sync_data().unwrap();
        let s = fs.stats();
        assert_eq!((s.syncs, s.injected), (2, 1));
    }

    #[test]
    fn eio_on_next_truncate_leaves_the_file_alone() {
        let (_dir, fs, path) = setup();
        fs.create(&path).unwrap().write_all(b"abc").unwrap();
        fs.eio_on_next_truncates(1);
        let err = fs.truncate(&path, 1).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EIO));
        assert_eq!(fs.file_len(&path).unwrap(), 3);
        fs.truncate(&path, 1).unwrap();
        assert_eq!(fs.file_len(&path).unwrap(), 1);
    }

    #[test]
    fn sync_delay_sleeps() {
        let (_dir, fs, path) = setup();
        let mut f = fs.create(&path).unwrap();
        fs.set_sync_delay(Duration::from_millis(20));
        let t = std::time::Instant::now();
        f.sync_data().unwrap();
        assert!(t.elapsed() >= Duration::from_millis(20));
    }

    #[test]
    fn clones_share_state() {
        let (_dir, fs, path) = setup();
        let handle = fs.clone();
        let as_dyn: Arc<dyn FileSystem> = Arc::new(fs);
        let mut f = as_dyn.create(&path).unwrap();
        handle.enospc_after_writes(0);
        assert!(f.write_all(b"x").is_err());
        assert_eq!(handle.stats().writes, 1);
    }
}
