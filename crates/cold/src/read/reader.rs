//! The cold reader: the [`ColdSource`] the server installs in each database's engine. A read
//! of one series in an exported partition finds the partition in the manifest, keeps the
//! files of the series' measurement whose time range and per-tag bounds admit it (so most
//! files are never fetched), opens each (local disk cache, else the store; size and CRC-32C
//! checked either way), finds the series' rows in the file's series index, and decodes the
//! row groups that hold them and whose `time` statistics overlap the range. Decoded row
//! groups are kept in memory (byte-bounded), so the next series of the same group costs a
//! copy of its rows.
//!
//! Store I/O runs on the reader's own small runtime and the calling (blocking) query thread
//! waits for it; the store's retries are short ([`Store::open_for_queries`]), so an
//! unreachable store fails the query with a 503 in seconds. Nothing partial is returned:
//! any failure fails the whole read.

use std::future::Future;
use std::path::Path as FsPath;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use object_store::path::Path;
use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use strata_engine::{ColdRead, ColdSource, ColumnData, now_ns, split_canonical};

use super::cold_file::{ColdFile, DecodedGroup};
use super::file_cache::FileCache;
use super::lru::ByteLru;
use crate::error::{ColdError, Result};
use crate::manifest::{self, FileEntry, Manifest, TagBounds};
use crate::store::Store;

/// Memory for opened files (footers, series indexes, and files too large for the disk cache).
pub const OPENED_FILE_BYTES: u64 = 128 << 20;
/// Memory for decoded row groups.
pub const DECODED_GROUP_BYTES: u64 = 256 << 20;

/// The caches and the I/O runtime every database's reader shares.
#[derive(Debug)]
pub struct ColdCaches {
    files: FileCache,
    opened: Mutex<ByteLru<Arc<str>, Opened>>,
    groups: Mutex<ByteLru<GroupKey, Arc<DecodedGroup>>>,
    runtime: Option<tokio::runtime::Runtime>,
    fetched: AtomicU64,
    fetched_bytes: AtomicU64,
    disk_hits: AtomicU64,
}

/// A decoded row group's key: its file's cache name and the group's index.
type GroupKey = (Arc<str>, usize);

/// An opened file and its name in the caches.
#[derive(Debug, Clone)]
struct Opened {
    name: Arc<str>,
    file: Arc<ColdFile>,
}

/// What the cold caches hold and did, for the status page and `/metrics`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct CacheStats {
    pub disk_bytes: u64,
    pub disk_files: usize,
    pub opened_files: usize,
    pub decoded_groups: usize,
    pub decoded_bytes: u64,
    /// Files fetched from the store, and their bytes.
    pub fetched: u64,
    pub fetched_bytes: u64,
    /// Files opened from the local disk cache.
    pub disk_hits: u64,
}

impl ColdCaches {
    /// The caches, with the disk cache in `dir` holding at most `disk_bytes`.
    pub fn new(dir: &FsPath, disk_bytes: u64) -> Result<Arc<ColdCaches>> {
        let files = FileCache::open(dir, disk_bytes).map_err(|e| ColdError::Corrupt {
            path: dir.display().to_string(),
            reason: format!("cannot open the cold cache directory: {e}"),
        })?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("strata-cold-io")
            .enable_all()
            .build()
            .map_err(|e| ColdError::Task(format!("cannot start the cold reader: {e}")))?;
        Ok(Arc::new(ColdCaches {
            files,
            opened: Mutex::new(ByteLru::new(OPENED_FILE_BYTES)),
            groups: Mutex::new(ByteLru::new(DECODED_GROUP_BYTES)),
            runtime: Some(runtime),
            fetched: AtomicU64::new(0),
            fetched_bytes: AtomicU64::new(0),
            disk_hits: AtomicU64::new(0),
        }))
    }

    pub fn stats(&self) -> CacheStats {
        let (disk_bytes, disk_files) = self.files.usage();
        let groups = self.groups.lock();
        CacheStats {
            disk_bytes,
            disk_files,
            opened_files: self.opened.lock().len(),
            decoded_groups: groups.len(),
            decoded_bytes: groups.bytes(),
            fetched: self.fetched.load(Ordering::Relaxed),
            fetched_bytes: self.fetched_bytes.load(Ordering::Relaxed),
            disk_hits: self.disk_hits.load(Ordering::Relaxed),
        }
    }

    /// Runs `fut` on the I/O runtime and waits for it (from any thread).
    fn run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = Result<T>> + Send + 'static,
    ) -> Result<T> {
        let Some(rt) = &self.runtime else {
            return Err(ColdError::Task("the cold reader is shut down".into()));
        };
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        rt.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv()
            .map_err(|_| ColdError::Task("a cold read was cancelled".into()))?
    }
}

impl Drop for ColdCaches {
    fn drop(&mut self) {
        // Never block (this may run on an async thread at shutdown).
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// One database's reader.
#[derive(Debug)]
pub struct ColdReader {
    store: Store,
    database: String,
    manifest: RwLock<Option<Arc<Manifest>>>,
    caches: Arc<ColdCaches>,
    /// Raw retention: a listed partition past it may already be gone from the manifest.
    retention: Option<Duration>,
}

impl ColdReader {
    pub fn new(
        store: Store,
        database: &str,
        caches: Arc<ColdCaches>,
        retention: Option<Duration>,
    ) -> ColdReader {
        ColdReader {
            store,
            database: database.to_string(),
            manifest: RwLock::new(None),
            caches,
            retention,
        }
    }

    /// The manifest generation to read from now on (the exporter's, after each commit).
    pub fn set_manifest(&self, manifest: &Manifest) {
        let mut m = self.manifest.write();
        if m.as_ref()
            .is_none_or(|old| old.generation <= manifest.generation)
        {
            *m = Some(Arc::new(manifest.clone()));
        }
    }

    /// The manifest, loaded from the store the first time.
    fn manifest(&self) -> Result<Arc<Manifest>> {
        if let Some(m) = self.manifest.read().clone() {
            return Ok(m);
        }
        let (store, database) = (self.store.clone(), self.database.clone());
        let loaded = self
            .caches
            .run(async move { manifest::load_latest(&store, &database).await })?;
        self.set_manifest(&loaded);
        Ok(self
            .manifest
            .read()
            .clone()
            .unwrap_or_else(|| Arc::new(loaded)))
    }

    /// See the module documentation.
    pub fn read_series(&self, r: &ColdRead<'_>) -> Result<Vec<Option<ColumnData>>> {
        let mut out: Vec<Option<ColumnData>> = vec![None; r.fields.len()];
        let manifest = self.manifest()?;
        let Some(partition) = manifest.partition(r.partition) else {
            if self.expired(r.partition_last) {
                return Ok(out);
            }
            return Err(ColdError::MissingPartition {
                store: self.store.url.clone(),
                database: self.database.clone(),
                partition: r.partition,
                generation: manifest.generation,
            });
        };
        let Some((measurement, tags)) = split_canonical(r.series) else {
            return Ok(out);
        };
        let candidates = partition.files.iter().filter(|f| {
            f.measurement == measurement
                && f.max_time_ns >= r.start
                && f.min_time_ns < r.end
                && tags.iter().all(|(k, v)| admits(f.tags.get(k.as_ref()), v))
        });
        for entry in candidates {
            let Opened { name, file } = self.open(entry)?;
            let Some(rows) = file.rows_of(r.series) else {
                continue;
            };
            let columns: Vec<Option<usize>> = r
                .fields
                .iter()
                .map(|name| file.fields().iter().position(|f| f.name == *name))
                .collect();
            for g in file.groups_for(&rows, r.start, r.end) {
                let group = self.group(&name, &file, g)?;
                for (slot, column) in out.iter_mut().zip(&columns) {
                    let Some(c) = *column else { continue };
                    let Some(ty) = file.fields().get(c).map(|f| f.value_type) else {
                        continue;
                    };
                    let data = slot.get_or_insert_with(|| ColumnData::new(ty));
                    group.append(c, &rows, (r.start, r.end), data, file.path())?;
                }
            }
        }
        Ok(out
            .into_iter()
            .map(|c| c.filter(|c| !c.is_empty()))
            .collect())
    }

    /// Whether a partition ending at `last` is past raw retention.
    fn expired(&self, last: i64) -> bool {
        self.retention.is_some_and(|r| {
            last < now_ns().saturating_sub(i64::try_from(r.as_nanos()).unwrap_or(i64::MAX))
        })
    }

    /// The opened file of `entry`.
    fn open(&self, entry: &FileEntry) -> Result<Opened> {
        let name: Arc<str> = cache_name(entry).into();
        if let Some(opened) = self.caches.opened.lock().get(&name) {
            return Ok(opened);
        }
        let (bytes, on_disk) = match self.caches.files.load(&name) {
            Some(b) if check(&b, entry).is_ok() => {
                self.caches.disk_hits.fetch_add(1, Ordering::Relaxed);
                (b, true)
            }
            damaged => {
                if damaged.is_some() {
                    tracing::warn!(file = %entry.path, "a cached cold file failed its checksum; fetching it again");
                    self.caches.files.forget(&name);
                }
                let bytes = self.fetch(entry)?;
                self.caches.files.keep(&name, &bytes);
                (bytes, false)
            }
        };
        let size = bytes.len() as u64;
        let file = Arc::new(ColdFile::open(&entry.path, bytes)?);
        let cost = file.memory + if on_disk { 0 } else { size };
        let opened = Opened { name, file };
        self.caches
            .opened
            .lock()
            .insert(opened.name.clone(), opened.clone(), cost);
        Ok(opened)
    }

    /// The whole object of `entry` from the store, checked.
    fn fetch(&self, entry: &FileEntry) -> Result<Bytes> {
        let store = self.store.clone();
        let path = Path::from(entry.path.as_str());
        let bytes = self
            .caches
            .run(async move { store.get_bytes(&path).await })?;
        check(&bytes, entry)?;
        self.caches.fetched.fetch_add(1, Ordering::Relaxed);
        self.caches
            .fetched_bytes
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        Ok(bytes)
    }

    /// Row group `g` of `file`, decoded.
    fn group(&self, name: &Arc<str>, file: &ColdFile, g: usize) -> Result<Arc<DecodedGroup>> {
        let key = (name.clone(), g);
        if let Some(group) = self.caches.groups.lock().get(&key) {
            return Ok(group);
        }
        let group = Arc::new(file.decode_group(g)?);
        self.caches
            .groups
            .lock()
            .insert(key, group.clone(), group.memory);
        Ok(group)
    }
}

impl ColdSource for ColdReader {
    fn read(&self, read: &ColdRead<'_>) -> strata_engine::Result<Vec<Option<ColumnData>>> {
        self.read_series(read).map_err(ColdError::into_engine)
    }
}

/// Whether a file whose tag `key` spans `bounds` may hold the value `v` (no bounds: no row
/// of the file has the tag).
fn admits(bounds: Option<&TagBounds>, v: &str) -> bool {
    bounds.is_some_and(|b| b.min.as_str() <= v && v <= b.max.as_str())
}

/// The object's bytes are the ones the manifest recorded.
fn check(bytes: &[u8], entry: &FileEntry) -> Result<()> {
    if bytes.len() as u64 != entry.bytes {
        return Err(ColdError::Corrupt {
            path: entry.path.clone(),
            reason: format!(
                "{} bytes, the manifest says {} (truncated or replaced)",
                bytes.len(),
                entry.bytes
            ),
        });
    }
    let crc = crc32c::crc32c(bytes);
    if crc != entry.crc32c {
        return Err(ColdError::Corrupt {
            path: entry.path.clone(),
            reason: format!("CRC-32C {crc:08x}, the manifest says {:08x}", entry.crc32c),
        });
    }
    Ok(())
}

/// The local cache's name for `entry`: a hash of its path and its checksum.
fn cache_name(entry: &FileEntry) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in entry.path.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}-{:08x}.parquet", entry.crc32c)
}
