//! The LSM jobs as the engine schedules them: each takes its lock, plans over the current
//! version, runs the tasks (see [`crate::lsm`]), then does the engine's share: counters, the
//! frozen MemTable and WAL segments a flush made redundant, and the catalog entries of series
//! whose last point is gone.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::state::Shared;
use crate::clock::now_ns;
use crate::error::Result;
use crate::lsm::tables::Change;
use crate::lsm::version::TableHandle;
use crate::lsm::{compaction, flush, offload as offload_job, retention, rollup, tombstones};

/// Flushes the oldest frozen MemTable. Returns false if there was none.
pub(super) fn flush_oldest(s: &Shared) -> Result<bool> {
    let _guard = s.flush_lock.lock();
    let Some((table, next_segment)) = s
        .mem
        .read()
        .frozen
        .front()
        .map(|f| (f.table.clone(), f.wal_next_segment))
    else {
        return Ok(false);
    };
    s.tables.pause();
    let flushed = flush::write_memtable(&s.tables, &s.catalog, &table, s.opts.partition_width)?;
    let files = flushed.tables.len();
    // Commit the tables, then drop the MemTable: a snapshot taken in between sees the points
    // twice (identical, so the merge dedups them), never zero times.
    s.tables.commit(Change {
        added: flushed.tables,
        removed: Vec::new(),
        last_seq: Some(table.max_seq()),
    })?;
    // The WAL segments go before the MemTable: while it is listed, tombstone reclamation
    // knows the log may still hold its records.
    s.wal.remove_segments_before(next_segment)?;
    {
        let mut mem = s.mem.write();
        if mem
            .frozen
            .front()
            .is_some_and(|f| Arc::ptr_eq(&f.table, &table))
        {
            mem.frozen.pop_front();
        }
    }
    s.counters.flushes.fetch_add(1, Ordering::Relaxed);
    forget_emptied(s, &flushed.emptied);
    tracing::debug!(tables = files, points = table.points(), "flushed MemTable");
    Ok(true)
}

/// Compacts every partition that needs it (`force`: every partition with more than one file).
pub(super) fn compact(s: &Shared, force: bool) -> Result<()> {
    let _guard = s.compact_lock.lock();
    let version = s.tables.current();
    for task in compaction::plan(&version, &s.opts, force) {
        if s.stopping() {
            break;
        }
        let outcome = compaction::run(&s.tables, &version, &task)?;
        s.counters.compactions.fetch_add(1, Ordering::Relaxed);
        forget_emptied(s, &outcome.emptied);
    }
    // Deletes every table has outgrown, and the WAL too, go.
    let after = s.mem.read().logged_after();
    tombstones::run(&s.tables, tombstones::plan(&s.tables.current(), after))?;
    Ok(())
}

/// Writes the rollups (L2) of every partition old enough; returns how many.
pub(super) fn apply_rollups(s: &Shared) -> Result<usize> {
    let _guard = s.compact_lock.lock();
    let version = s.tables.current();
    let mut made = 0;
    for task in rollup::plan(&version, &s.opts, now_ns()) {
        if s.stopping() {
            break;
        }
        if rollup::run(&s.tables, &version, &task, &s.opts.rollup_windows)? {
            made += 1;
        }
    }
    if made > 0 {
        tracing::info!(partitions = made, "wrote rollups");
    }
    Ok(made)
}

/// Drops expired partitions; returns how many files went.
pub(super) fn apply_retention(s: &Shared) -> Result<usize> {
    let _guard = s.compact_lock.lock();
    let version = s.tables.current();
    let expired = retention::plan(&version, &s.opts, now_ns());
    // Their series may have no point left anywhere else.
    let mut candidates = Vec::new();
    for t in &expired {
        let mut keys = crate::sst::KeyCursor::default();
        for i in 0..t.reader.series_count() {
            candidates.push(t.reader.series_key(i, &mut keys)?.to_string());
        }
    }
    drop(version);
    let n = retention::run(&s.tables, expired)?;
    forget_emptied(s, &candidates);
    Ok(n)
}

/// Replaces the local copy of an exported partition by a cold listing (see
/// [`offload_job`]); false when its tables are not the exported ones.
pub(super) fn offload(s: &Shared, partition: i64, exported: &[u64]) -> Result<bool> {
    let _guard = s.compact_lock.lock();
    let Some(task) = offload_job::plan(&s.tables.current(), partition, exported) else {
        return Ok(false);
    };
    offload_job::run(&s.tables, &task)?;
    Ok(true)
}

/// Forgets the series of `candidates` (canonical keys) that no MemTable and no table holds
/// any more. The tables are searched first without a lock; then, under the MemTable write
/// lock (which keeps writes out: a write resolves its series and inserts its points under
/// the read lock), the MemTables and the tables a flush installed meanwhile are checked, so
/// no point can land between the check and the removal. A flush installs its tables before
/// it drops its MemTable, so every point is always in one or the other.
fn forget_emptied(s: &Shared, candidates: &[String]) {
    if candidates.is_empty() {
        return;
    }
    // A table that cannot be searched counts as holding the series.
    let holds =
        |t: &TableHandle, canonical: &str| !matches!(t.reader.find_series(canonical), Ok(None));
    let before = s.tables.current();
    let unheld: Vec<&String> = candidates
        .iter()
        .filter(|c| !before.tables.iter().any(|t| holds(t, c)))
        .collect();
    if unheld.is_empty() {
        return;
    }
    let mem = s.mem.write();
    let now = s.tables.current();
    let added: Vec<&Arc<TableHandle>> = now
        .tables
        .iter()
        .filter(|t| !before.tables.iter().any(|b| b.meta.id == t.meta.id))
        .collect();
    let gone: Vec<_> = unheld
        .into_iter()
        .filter_map(|c| s.catalog.lookup(c).map(|id| (c, id)))
        .filter(|&(c, id)| {
            !mem.all().any(|m| m.has_points(id)) && !added.iter().any(|t| holds(t, c))
        })
        .map(|(_, id)| id)
        .collect();
    let n = s.catalog.forget(&gone);
    drop(mem);
    if n > 0 {
        tracing::debug!(series = n, "forgot series with no points left");
    }
}
