//! The engine: [`Engine`] ties the write path (WAL -> MemTable), the background work (flush,
//! compaction, rollups, retention) and the read path (snapshots) together. Its methods are
//! the crate's public API; [`open`] recovers the state, [`maintenance`] runs the LSM jobs,
//! [`background`] schedules them on two threads, [`health`] keeps their failures.

mod background;
pub mod backup;
pub mod health;
mod maintenance;
mod open;
mod state;
pub mod write;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;

use parking_lot::Mutex;

use self::health::{BackgroundJob, JobCounts, JobFailure};
use self::state::Shared;
use crate::data::Point;
use crate::error::{Error, Result};
use crate::index::{Catalog, SeriesId};
use crate::io::{FileSystem, StdFs};
use crate::lsm::manifest::{COLD_LEVEL, FileMeta, Tombstone};
use crate::options::EngineOptions;
use crate::read::{ColdSource, Snapshot};
use crate::stats::{EngineStats, LevelStats};
use crate::write::WriteBatch;
use crate::write::wal_record;

/// The storage engine.
#[derive(Debug)]
pub struct Engine {
    shared: Arc<Shared>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

/// What [`Engine::verify`] found.
#[derive(Debug, Default)]
pub struct VerifyReport {
    /// Tables read whole.
    pub tables: usize,
    /// Blocks whose checksum matched and that decoded.
    pub blocks: u64,
    /// The tables that did not, and why.
    pub corrupt: Vec<(std::path::PathBuf, Error)>,
}

impl Engine {
    /// Opens (creating if needed) the engine in `opts.data_dir` and recovers its state.
    pub fn open(opts: EngineOptions) -> Result<Engine> {
        Self::open_with_fs(opts, Arc::new(StdFs))
    }

    /// Like [`Engine::open`] with a given file system (fault injection in tests).
    pub fn open_with_fs(opts: EngineOptions, fs: Arc<dyn FileSystem>) -> Result<Engine> {
        let engine = Engine {
            shared: Arc::new(open::open(opts, fs)?),
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
            ("strata-flush", background::flush_loop as fn(&Shared)),
            ("strata-compact", background::compact_loop as fn(&Shared)),
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

    /// Writes points (the convenience form of [`Engine::write_batch`]).
    pub fn write(&self, points: &[Point]) -> Result<()> {
        if points.is_empty() {
            return Ok(());
        }
        self.write_batch(&WriteBatch::from_points(points))
    }

    /// Writes a batch: validated whole (field types, at least one field per point,
    /// timestamps in range), then appended to the WAL as one record and inserted into the
    /// MemTable. Returns once the record is durable under the sync policy. Either every
    /// point is stored or none.
    pub fn write_batch(&self, batch: &WriteBatch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let s = &self.shared;
        let new_fields = write::validate(&s.catalog, batch)?;
        if let Some(reason) = s.wal.failure() {
            return Err(Error::ReadOnly { reason });
        }
        let (active, frozen) = s.memtable_bytes();
        let held = active + frozen;
        if held > s.opts.memtable_hard_cap {
            s.counters.backpressure.fetch_add(1, Ordering::Relaxed);
            s.wake();
            return Err(Error::Backpressure(format!(
                "MemTables hold {held} bytes, over the cap of {} bytes; flushes are catching up",
                s.opts.memtable_hard_cap
            )));
        }
        let mut record = Vec::with_capacity(32 * batch.field_count() + 64);
        let full = {
            // The read lock keeps a rotation from separating this record's WAL segment from
            // the MemTable that holds its points.
            let mem = s.mem.read();
            // Under the MemTable lock: a series cannot be forgotten between this lookup and
            // the insert (forgetting takes the write lock).
            let known = write::known_series(&s.catalog, batch, s.opts.max_series_per_measurement)?;
            let slots = mem.active.slots().assign(&known);
            let seq = s.seq.fetch_add(1, Ordering::SeqCst) + 1;
            let generation = mem.active.generation();
            wal_record::encode(seq, generation, batch, &slots, &mut record);
            s.wal.append(&record)?;
            write::record_fields(&s.catalog, &new_fields);
            let ids =
                write::insert_points(&s.catalog, &mem.active, batch, &known, seq, |_, _| false);
            mem.active.slots().confirm(&ids, &slots);
            mem.active.bytes() >= s.opts.memtable_bytes
        };
        s.last_write_ms
            .store(s.opened.elapsed().as_millis() as u64, Ordering::Relaxed);
        s.counters
            .points_written
            .fetch_add(batch.field_count() as u64, Ordering::Relaxed);
        s.counters.batches_written.fetch_add(1, Ordering::Relaxed);
        if full {
            self.rotate()?;
        }
        Ok(())
    }

    /// Freezes the active MemTable (if it holds anything) and starts a new WAL segment.
    pub fn rotate(&self) -> Result<()> {
        self.shared.rotate()?;
        self.shared.wake();
        Ok(())
    }

    /// Flushes every MemTable to L0 SSTables, synchronously.
    pub fn flush(&self) -> Result<()> {
        self.shared.rotate()?;
        while maintenance::flush_oldest(&self.shared)? {}
        Ok(())
    }

    /// Compacts every partition that has more than one file, synchronously.
    pub fn compact(&self) -> Result<()> {
        maintenance::compact(&self.shared, true)
    }

    /// Writes the rollups (L2) of every partition old enough, now. Returns how many.
    pub fn apply_rollups(&self) -> Result<usize> {
        maintenance::apply_rollups(&self.shared)
    }

    /// Applies retention now (drops partitions older than the configured maximum age).
    pub fn apply_retention(&self) -> Result<usize> {
        maintenance::apply_retention(&self.shared)
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
        let tombstones = s
            .catalog
            .canonicals(series.iter().copied())
            .into_iter()
            .map(|(_, canonical)| Tombstone {
                series: canonical.to_string(),
                start,
                end,
                seq,
            })
            .collect();
        s.tables.add_tombstones(tombstones)?;
        let mem = s.mem.read();
        for &id in series {
            for m in mem.all() {
                m.delete(id, start, end);
            }
        }
        Ok(())
    }

    /// A consistent read view: the MemTables and the live SSTables at this moment.
    pub fn snapshot(&self) -> Snapshot {
        let s = &self.shared;
        let mem = s.mem.read();
        let mems = mem.all().cloned().collect();
        // Take the version while holding the MemTable lock: a flush installs its tables before
        // it drops the frozen MemTable, so no point can be missed in between.
        let version = s.tables.current();
        drop(mem);
        Snapshot::new(
            s.catalog.clone(),
            mems,
            version,
            s.cache.clone(),
            s.opts.partition_width,
            s.opts.rollup_windows.clone().into(),
            s.cold.read().clone(),
        )
    }

    /// Installs where reads of exported partitions go (see [`crate::ColdSource`]); snapshots
    /// taken from now on use it.
    pub fn set_cold_source(&self, source: Arc<dyn ColdSource>) {
        *self.shared.cold.write() = Some(source);
    }

    /// Drops the local copy of `partition`, exported to the cold tier: if its raw tables are
    /// exactly `exported` (table ids; the ones the export read, so nothing written or
    /// compacted since is lost), they and any older cold listing are replaced by one cold
    /// listing of all their series and fields, and its reads go to the cold source from then
    /// on. Returns false, changing nothing, when the tables differ (export again first).
    pub fn offload_partition(&self, partition: i64, exported: &[u64]) -> Result<bool> {
        maintenance::offload(&self.shared, partition, exported)
    }

    /// The series catalog (ids, postings, field types).
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.shared.catalog
    }

    /// `Some(reason)` once writes are refused for good: a failed fsync made the WAL
    /// read-only (restart to recover from disk). Background failures do not refuse writes;
    /// see [`Engine::background_failures`].
    pub fn read_only_reason(&self) -> Option<String> {
        self.shared.wal.failure()
    }

    /// The background jobs whose last run failed (each cleared when that job next succeeds).
    pub fn background_failures(&self) -> Vec<JobFailure> {
        self.shared.health.failing()
    }

    /// Failures and panics of one background job since open.
    pub fn background_counts(&self, job: BackgroundJob) -> JobCounts {
        self.shared.health.counts(job)
    }

    /// Counters and gauges for `/metrics` and `strata inspect`.
    pub fn stats(&self) -> EngineStats {
        let s = &self.shared;
        let (active, frozen) = s.memtable_bytes();
        let version = s.tables.current();
        let mut levels = [LevelStats::default(); 3];
        let mut cold_partitions = 0;
        for t in &version.tables {
            if t.meta.level == COLD_LEVEL {
                cold_partitions += 1;
                continue;
            }
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
            tombstones: version.tombstones.len() as u64,
            cache_hits: s.cache.hits(),
            cache_misses: s.cache.misses(),
            cache_bytes: s.cache.bytes() as u64,
            levels,
            cold_partitions,
            wal: s.wal.stats(),
        }
    }

    /// Empties the block cache (benchmarks measure cold reads with it).
    pub fn clear_block_cache(&self) {
        self.shared.cache.clear();
    }

    /// The manifest entry of every live SSTable, for `strata inspect`.
    pub fn tables(&self) -> Vec<FileMeta> {
        self.shared
            .tables
            .current()
            .tables
            .iter()
            .map(|t| t.meta)
            .collect()
    }

    /// Reads every block of every live SSTable, checking each checksum and decoding it.
    pub fn verify(&self) -> VerifyReport {
        let mut report = VerifyReport::default();
        for t in &self.shared.tables.current().tables {
            report.tables += 1;
            match t.reader.verify() {
                Ok(blocks) => report.blocks += blocks,
                Err(e) => report.corrupt.push((t.path().to_path_buf(), e)),
            }
        }
        report
    }

    /// Stops the background threads, flushes the MemTables (with `flush_on_close`) and syncs
    /// and closes the WAL and manifest. Whatever is not flushed is safe in the WAL and
    /// replayed on the next open. An error if a background job panicked since open (after
    /// closing all the same).
    pub fn close(&self) -> Result<()> {
        let s = &self.shared;
        s.shutdown.store(true, Ordering::SeqCst);
        s.wake();
        let mut died = 0;
        for h in self.workers.lock().drain(..) {
            if h.join().is_err() {
                died += 1;
            }
        }
        if s.opts.flush_on_close && self.read_only_reason().is_none() {
            // Best effort: whatever is not flushed stays safe in the WAL.
            if let Err(e) = self.flush() {
                tracing::warn!(error = %e, "flush at close failed; the WAL keeps the data");
            }
        }
        s.wal.close()?;
        s.tables.close()?;
        let panics = s.health.panics();
        if died + panics > 0 {
            return Err(Error::Background(format!(
                "{panics} background job run(s) panicked and {died} background thread(s) died since open; see the log"
            )));
        }
        Ok(())
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if !self.shared.stopping() {
            let _ = self.close();
        }
    }
}
