//! The engine: opens the manifest, SSTables and WAL, recovers, and ties the write path (WAL ->
//! MemTable), the background work (flush, compaction, retention) and the read path
//! (snapshots) together. Its methods are the crate's public API.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex, RwLock};

use crate::cache::BlockCache;
use crate::catalog::{Catalog, SeriesId};
use crate::error::{Error, Result};
use crate::io::{FileSystem, StdFs};
use crate::lock::DirLock;
use crate::manifest::{Edit, Manifest, Tombstone};
use crate::memtable::{Insert, MemTable};
use crate::options::EngineOptions;
use crate::point::Point;
use crate::snapshot::Snapshot;
use crate::sst::SstReader;
use crate::stats::{Counters, EngineStats, LevelStats};
use crate::version::{TableHandle, Version, table_path};
use crate::wal::{Wal, WalOptions};
use crate::wal_record::{self, BatchSeries};

/// A frozen MemTable waiting for its flush, and the first WAL segment not holding its data.
#[derive(Debug)]
pub(crate) struct Frozen {
    pub table: Arc<MemTable>,
    pub wal_next_segment: u64,
}

#[derive(Debug)]
pub(crate) struct MemState {
    pub active: Arc<MemTable>,
    pub frozen: VecDeque<Frozen>,
}

/// State shared by the API and the background threads.
#[derive(Debug)]
pub(crate) struct Shared {
    pub opts: EngineOptions,
    pub fs: Arc<dyn FileSystem>,
    pub sst_dir: PathBuf,
    pub catalog: Arc<Catalog>,
    pub cache: Arc<BlockCache>,
    pub wal: Wal,
    pub manifest: Manifest,
    pub mem: RwLock<MemState>,
    pub version: RwLock<Arc<Version>>,
    pub seq: AtomicU64,
    /// Serialises flushes and deletes (a delete must not race a flush's copy of a MemTable).
    pub flush_lock: Mutex<()>,
    /// Serialises compactions and retention.
    pub compact_lock: Mutex<()>,
    pub wake: (Mutex<bool>, Condvar),
    pub shutdown: AtomicBool,
    pub counters: Counters,
    pub background_error: Mutex<Option<String>>,
    /// When the engine opened, and milliseconds after that of the last write.
    pub opened: std::time::Instant,
    pub last_write_ms: AtomicU64,
    _lock: DirLock,
}

/// The storage engine.
#[derive(Debug)]
pub struct Engine {
    pub(crate) shared: Arc<Shared>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl Engine {
    /// Opens (creating if needed) the engine in `opts.data_dir` and recovers its state.
    pub fn open(opts: EngineOptions) -> Result<Engine> {
        Self::open_with_fs(opts, Arc::new(StdFs))
    }

    /// Like [`Engine::open`] with a given file system (fault injection in tests).
    pub fn open_with_fs(opts: EngineOptions, fs: Arc<dyn FileSystem>) -> Result<Engine> {
        if opts.partition_width <= 0 {
            return Err(Error::Config("partition width must be positive".into()));
        }
        let root = opts.data_dir.clone();
        let sst_dir = root.join("sst");
        fs.create_dir_all(&sst_dir)?;
        let lock = DirLock::acquire(&root)?;
        let manifest = Manifest::open(fs.clone(), &root.join("manifest"))?;
        let state = manifest.state();
        remove_orphans(&*fs, &sst_dir, &state)?;

        let catalog = Arc::new(Catalog::default());
        let mut tables = Vec::with_capacity(state.files.len());
        for meta in state.files.values() {
            let reader = SstReader::open(&table_path(&sst_dir, meta.id))?;
            for i in 0..reader.series_count() {
                let canonical = reader.series_key(i)?;
                let id = catalog.resolve_canonical(canonical).ok_or_else(|| {
                    Error::corrupt(
                        reader.path(),
                        0,
                        format!("malformed series key {canonical:?}"),
                    )
                })?;
                let key = catalog.key(id);
                for col in reader.columns_at(i) {
                    let col = col?;
                    // A rollup's `min` column has the field's own type.
                    let field = match crate::rollup::parse_column(col.field) {
                        Some((field, _, "min")) => field,
                        Some(_) => continue,
                        None => col.field,
                    };
                    if let Some(k) = &key {
                        catalog.record_field(k.measurement(), field, col.value_type);
                    }
                }
            }
            reader.release_index_pages();
            tables.push(Arc::new(TableHandle::new(*meta, reader)));
        }
        let version = Arc::new(Version::new(tables, state.tombstones.clone()));

        // Replay the WAL into a fresh MemTable, skipping points later deleted.
        let active = Arc::new(MemTable::default());
        let mut max_seq = state.last_seq;
        let tombstones = version.tombstones_by_series();
        let mut replayed = 0u64;
        let wal_opts = WalOptions {
            sync: opts.wal_sync,
            salvage: opts.wal_salvage,
            ..WalOptions::default()
        };
        let wal_dir = root.join("wal");
        let (wal, report) =
            Wal::open(fs.clone(), wal_dir.clone(), wal_opts, |segment, payload| {
                let (seq, points) = wal_record::decode(payload).map_err(|reason| {
                    Error::corrupt(
                        wal_dir.join(crate::wal::segment_file_name(segment)),
                        0,
                        format!("WAL record: {reason}"),
                    )
                })?;
                max_seq = max_seq.max(seq);
                replayed += points.len() as u64;
                // Each distinct field once per record, not once per point.
                let mut seen = std::collections::HashSet::new();
                for p in &points {
                    for (name, value) in &p.fields {
                        if seen.insert((p.series.measurement(), name.as_str())) {
                            catalog.record_field(p.series.measurement(), name, value.value_type());
                        }
                    }
                }
                insert_points(
                    &catalog,
                    &active,
                    &points,
                    &BatchSeries::of(&points),
                    seq,
                    Some(&tombstones),
                );
                Ok(())
            })?;
        tracing::info!(
            files = version.tables.len(),
            series = catalog.len(),
            replayed_points = replayed,
            report = ?report,
            "engine opened"
        );
        let shared = Arc::new(Shared {
            sst_dir,
            catalog,
            cache: Arc::new(BlockCache::new(opts.block_cache_bytes)),
            wal,
            manifest,
            mem: RwLock::new(MemState {
                active,
                frozen: VecDeque::new(),
            }),
            version: RwLock::new(version),
            seq: AtomicU64::new(max_seq),
            flush_lock: Mutex::new(()),
            compact_lock: Mutex::new(()),
            wake: (Mutex::new(false), Condvar::new()),
            shutdown: AtomicBool::new(false),
            counters: Counters::default(),
            background_error: Mutex::new(None),
            opened: std::time::Instant::now(),
            last_write_ms: AtomicU64::new(0),
            _lock: lock,
            fs,
            opts,
        });
        let engine = Engine {
            shared,
            workers: Mutex::new(Vec::new()),
        };
        if engine.shared.opts.background {
            engine.start_workers()?;
        }
        Ok(engine)
    }

    fn start_workers(&self) -> Result<()> {
        let mut workers = self.workers.lock();
        for (name, job) in [
            ("strata-flush", crate::background::flush_loop as fn(&Shared)),
            (
                "strata-compact",
                crate::background::compact_loop as fn(&Shared),
            ),
        ] {
            let shared = Arc::clone(&self.shared);
            let handle = std::thread::Builder::new()
                .name(name.into())
                .spawn(move || job(&shared))
                .map_err(|e| Error::io("spawn thread", name, e))?;
            workers.push(handle);
        }
        Ok(())
    }

    /// Writes a batch: validated whole (field types, at least one field per point), then
    /// appended to the WAL as one record and inserted into the MemTable. Returns once the
    /// record is durable under the sync policy. Either every point is stored or none.
    pub fn write(&self, points: &[Point]) -> Result<()> {
        if points.is_empty() {
            return Ok(());
        }
        let s = &self.shared;
        let new_fields = validate(&s.catalog, points)?;
        if let Some(reason) = s.wal.failure() {
            return Err(Error::ReadOnly { reason });
        }
        let held = self.memtable_bytes();
        if held > s.opts.memtable_hard_cap {
            s.counters.backpressure.fetch_add(1, Ordering::Relaxed);
            self.wake_background();
            return Err(Error::Backpressure(format!(
                "MemTables hold {held} bytes, over the cap of {} bytes; flushes are catching up",
                s.opts.memtable_hard_cap
            )));
        }
        let mut record = Vec::with_capacity(64 * points.len());
        let full = {
            // The read lock keeps a rotation from separating this record's WAL segment from
            // the MemTable that holds its points.
            let mem = s.mem.read();
            let seq = s.seq.fetch_add(1, Ordering::SeqCst) + 1;
            let series = BatchSeries::of(points);
            wal_record::encode(seq, points, &series, &mut record);
            s.wal.append(&record)?;
            for (m, f, ty) in &new_fields {
                s.catalog.record_field(m, f, *ty);
            }
            insert_points(&s.catalog, &mem.active, points, &series, seq, None);
            mem.active.bytes() >= s.opts.memtable_bytes
        };
        s.last_write_ms
            .store(s.opened.elapsed().as_millis() as u64, Ordering::Relaxed);
        let n: usize = points.iter().map(|p| p.fields.len()).sum();
        s.counters
            .points_written
            .fetch_add(n as u64, Ordering::Relaxed);
        s.counters.batches_written.fetch_add(1, Ordering::Relaxed);
        if full {
            self.rotate()?;
        }
        Ok(())
    }

    /// Freezes the active MemTable (if it holds anything) and starts a new WAL segment.
    pub fn rotate(&self) -> Result<()> {
        rotate(&self.shared)?;
        self.wake_background();
        Ok(())
    }

    /// Flushes every MemTable to L0 SSTables, synchronously.
    pub fn flush(&self) -> Result<()> {
        rotate(&self.shared)?;
        while crate::flush::flush_oldest(&self.shared)? {}
        Ok(())
    }

    /// Compacts every partition that has more than one file, synchronously.
    pub fn compact(&self) -> Result<()> {
        crate::compaction::compact_all(&self.shared, true)
    }

    /// Writes the rollups (L2) of every partition old enough, now. Returns how many.
    pub fn apply_rollups(&self) -> Result<usize> {
        crate::rollup::apply_rollups(&self.shared)
    }

    /// Applies retention now (drops partitions older than the configured maximum age).
    pub fn apply_retention(&self) -> Result<usize> {
        crate::compaction::apply_retention(&self.shared)
    }

    /// Deletes the points of `series` with `start <= ts < end` (every field). Tombstones are
    /// recorded in the manifest, applied to reads at once and reclaimed by compaction.
    pub fn delete(&self, series: &[SeriesId], start: i64, end: i64) -> Result<()> {
        if series.is_empty() || start >= end {
            return Ok(());
        }
        let s = &self.shared;
        let _flush = s.flush_lock.lock();
        let seq = s.seq.fetch_add(1, Ordering::SeqCst) + 1;
        let mut edits = Vec::with_capacity(series.len());
        for &id in series {
            if let Some(canonical) = s.catalog.canonical(id) {
                edits.push(Edit::Tombstone(Tombstone {
                    series: canonical.to_string(),
                    start,
                    end,
                    seq,
                }));
            }
        }
        let state = s.manifest.apply(edits)?;
        {
            let mem = s.mem.read();
            for &id in series {
                mem.active.delete(id, start, end);
                for f in &mem.frozen {
                    f.table.delete(id, start, end);
                }
            }
        }
        let mut v = s.version.write();
        *v = Arc::new(Version::new(v.tables.clone(), state.tombstones));
        Ok(())
    }

    /// A consistent read view: the MemTables and the live SSTables at this moment.
    pub fn snapshot(&self) -> Snapshot {
        let s = &self.shared;
        let mem = s.mem.read();
        let mut mems: Vec<Arc<MemTable>> = mem.frozen.iter().map(|f| f.table.clone()).collect();
        mems.push(mem.active.clone());
        // Take the version while holding the MemTable lock: a flush installs its tables before
        // it drops the frozen MemTable, so no point can be missed in between.
        let version = s.version.read().clone();
        drop(mem);
        Snapshot::new(
            s.catalog.clone(),
            mems,
            version,
            s.cache.clone(),
            s.opts.partition_width,
            s.opts.rollup_windows.clone().into(),
        )
    }

    /// The series catalog (ids, postings, field types).
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.shared.catalog
    }

    /// `Some(reason)` once a failed fsync made the engine read-only.
    pub fn read_only_reason(&self) -> Option<String> {
        self.shared
            .wal
            .failure()
            .or_else(|| self.shared.background_error.lock().clone())
    }

    fn memtable_bytes(&self) -> usize {
        let mem = self.shared.mem.read();
        mem.active.bytes() + mem.frozen.iter().map(|f| f.table.bytes()).sum::<usize>()
    }

    /// Counters and gauges for `/metrics` and `strata inspect`.
    pub fn stats(&self) -> EngineStats {
        let s = &self.shared;
        let (active, frozen) = {
            let mem = s.mem.read();
            (
                mem.active.bytes(),
                mem.frozen.iter().map(|f| f.table.bytes()).sum::<usize>(),
            )
        };
        let version = s.version.read().clone();
        let mut levels = [LevelStats::default(); 3];
        for t in &version.tables {
            let l = &mut levels[usize::from(t.meta.level.min(2))];
            l.files += 1;
            l.bytes += t.meta.size;
            l.points += t.meta.points;
        }
        EngineStats {
            points_written: s.counters.points_written.load(Ordering::Relaxed),
            batches_written: s.counters.batches_written.load(Ordering::Relaxed),
            flushes: s.counters.flushes.load(Ordering::Relaxed),
            compactions: s.counters.compactions.load(Ordering::Relaxed),
            backpressure: s.counters.backpressure.load(Ordering::Relaxed),
            memtable_bytes: active as u64,
            frozen_memtable_bytes: frozen as u64,
            series: s.catalog.len() as u64,
            cache_hits: s.cache.hits(),
            cache_misses: s.cache.misses(),
            cache_bytes: s.cache.bytes() as u64,
            levels,
            wal: s.wal.stats(),
        }
    }

    /// Empties the block cache (benchmarks measure cold reads with it).
    pub fn clear_block_cache(&self) {
        self.shared.cache.clear();
    }

    /// Information on every live SSTable, for `strata inspect`.
    pub fn tables(&self) -> Vec<crate::manifest::FileMeta> {
        self.shared
            .version
            .read()
            .tables
            .iter()
            .map(|t| t.meta)
            .collect()
    }

    fn wake_background(&self) {
        wake(&self.shared);
    }

    /// Stops the background threads, flushes the MemTables (with `flush_on_close`) and syncs
    /// and closes the WAL and manifest. Whatever is not flushed is safe in the WAL and
    /// replayed on the next open.
    pub fn close(&self) -> Result<()> {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        self.wake_background();
        for h in self.workers.lock().drain(..) {
            let _ = h.join();
        }
        if self.shared.opts.flush_on_close && self.read_only_reason().is_none() {
            // Best effort: whatever is not flushed stays safe in the WAL.
            if let Err(e) = self.flush() {
                tracing::warn!(error = %e, "flush at close failed; the WAL keeps the data");
            }
        }
        self.shared.wal.close()?;
        self.shared.manifest.close()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if !self.shared.shutdown.load(Ordering::SeqCst) {
            let _ = self.close();
        }
    }
}

impl Shared {
    /// Replaces `removed` by `added` in the current version (one swap under the version
    /// lock, so readers see both or neither), then marks the removed files for deletion once
    /// no snapshot uses them and drops their cached blocks.
    pub(crate) fn install(
        &self,
        removed: &[Arc<TableHandle>],
        added: impl IntoIterator<Item = Arc<TableHandle>>,
    ) {
        let mut v = self.version.write();
        let mut tables: Vec<_> = v
            .tables
            .iter()
            .filter(|t| !removed.iter().any(|r| r.meta.id == t.meta.id))
            .cloned()
            .collect();
        tables.extend(added);
        *v = Arc::new(Version::new(tables, v.tombstones.clone()));
        drop(v);
        for r in removed {
            r.mark_obsolete();
            self.cache.evict_table(r.meta.id);
        }
    }
}

/// How long no write has arrived.
pub(crate) fn idle_for(s: &Shared) -> Duration {
    let last = Duration::from_millis(s.last_write_ms.load(Ordering::Relaxed));
    s.opened.elapsed().saturating_sub(last)
}

pub(crate) fn wake(s: &Shared) {
    let (lock, cv) = &s.wake;
    *lock.lock() = true;
    cv.notify_all();
}

/// Freezes the active MemTable; the caller wakes the flusher.
pub(crate) fn rotate(s: &Shared) -> Result<()> {
    let mut mem = s.mem.write();
    if mem.active.is_empty() {
        return Ok(());
    }
    let next = s.wal.rotate()?;
    let old = std::mem::replace(&mut mem.active, Arc::new(MemTable::default()));
    mem.frozen.push_back(Frozen {
        table: old,
        wal_next_segment: next,
    });
    Ok(())
}

/// A field type seen for the first time in a batch: (measurement, field, type).
type NewField = (String, String, crate::point::ValueType);

/// Checks a batch before anything is written: every point has a field, and no field
/// conflicts with its measurement's type (recorded, or earlier in the batch). Returns the
/// field types the catalog does not know yet, to record once the batch is stored.
fn validate(catalog: &Catalog, points: &[Point]) -> Result<Vec<NewField>> {
    let mut seen: HashMap<(&str, &str), crate::point::ValueType> = HashMap::new();
    let mut new = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let m = p.series.measurement();
        if m.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "point {i}: empty measurement"
            )));
        }
        if p.fields.is_empty() {
            return Err(Error::InvalidArgument(format!("point {i}: no fields")));
        }
        for (name, value) in &p.fields {
            let ty = value.value_type();
            let known = match seen.get(&(m, name.as_str())) {
                Some(&t) => Some(t),
                None => {
                    let recorded = catalog.field_type(m, name);
                    seen.insert((m, name.as_str()), recorded.unwrap_or(ty));
                    if recorded.is_none() {
                        new.push((m.to_string(), name.clone(), ty));
                    }
                    recorded
                }
            };
            if let Some(existing) = known.filter(|&t| t != ty) {
                return Err(Error::FieldType {
                    measurement: m.to_string(),
                    field: name.clone(),
                    existing: existing.name(),
                    written: ty.name(),
                });
            }
        }
    }
    Ok(new)
}

/// Resolves series and inserts into `table`, skipping points hidden by later tombstones
/// (during WAL replay).
fn insert_points(
    catalog: &Catalog,
    table: &MemTable,
    points: &[Point],
    series: &BatchSeries,
    seq: u64,
    tombstones: Option<&HashMap<String, Vec<Tombstone>>>,
) {
    let ids: Vec<SeriesId> = series
        .canonical
        .iter()
        .zip(&series.first_point)
        .map(|(c, &p)| catalog.resolve_known(&points[p].series, c))
        .collect();
    let hidden = |p: &Point, s: usize| {
        tombstones.is_some_and(|t| {
            t.get(&series.canonical[s])
                .is_some_and(|ts| ts.iter().any(|t| t.covers(p.timestamp, seq)))
        })
    };
    let rows = points
        .iter()
        .zip(&series.of_point)
        .filter(|&(p, &s)| !hidden(p, s))
        .flat_map(|(p, &s)| {
            let id = ids[s];
            p.fields.iter().map(move |(name, value)| Insert {
                series: id,
                field: name,
                ts: p.timestamp,
                value,
            })
        });
    table.insert(rows, seq);
}

/// Deletes SSTables (and temporary files) the manifest does not list: left by a crash
/// between writing a file and recording it.
fn remove_orphans(
    fs: &dyn FileSystem,
    dir: &std::path::Path,
    state: &crate::manifest::ManifestState,
) -> Result<()> {
    for name in fs.list_dir(dir)? {
        let live = name
            .strip_suffix(".sst")
            .and_then(|id| id.parse::<u64>().ok())
            .is_some_and(|id| state.files.contains_key(&id));
        if !live && (name.ends_with(".sst") || name.ends_with(".tmp")) {
            tracing::warn!(file = %name, "removing SSTable not in the manifest (left by a crash)");
            fs.remove_file(&dir.join(&name))?;
        }
    }
    Ok(())
}

/// Sleeps for the test hook, if set.
pub(crate) fn test_pause(s: &Shared) {
    if let Some(d) = s.opts.slow_background {
        std::thread::sleep(d.min(Duration::from_secs(60)));
    }
}
