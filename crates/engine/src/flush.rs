//! Flush: the oldest frozen MemTable becomes one L0 SSTable per time partition it touches.
//! The tables are durable and recorded in the manifest before the MemTable is dropped and its
//! WAL segments deleted, so a crash at any point loses nothing acknowledged.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::catalog::SeriesId;
use crate::column::ColumnData;
use crate::db::{Shared, test_pause};
use crate::error::Result;
use crate::manifest::{Edit, FileMeta};
use crate::memtable::MemTable;
use crate::partition::{partition_end, partition_of};
use crate::sst::{SstReader, SstWriter};
use crate::version::{TableHandle, table_path};

/// A table being written: columns go in as they are produced, in (series, field) order, so
/// a compaction or rollup holds one column at a time, never its whole output.
pub(crate) struct TableOutput {
    id: u64,
    path: PathBuf,
    writer: SstWriter,
    level: u8,
    partition: i64,
}

impl TableOutput {
    pub fn create(s: &Shared, level: u8, partition: i64) -> Result<Self> {
        let id = s.manifest.next_file_id();
        let path = table_path(&s.sst_dir, id);
        let writer = SstWriter::create(s.fs.clone(), &path, s.opts.block_points)?;
        Ok(TableOutput {
            id,
            path,
            writer,
            level,
            partition,
        })
    }

    /// The writer the columns go to (in strictly ascending (series, field) order).
    pub fn writer(&mut self) -> &mut SstWriter {
        &mut self.writer
    }

    /// Abandons the table, removing its temporary file.
    pub fn discard(self) -> Result<()> {
        self.writer.discard()
    }

    /// Finishes and opens the table; `None` (and no file) if no column was added.
    pub fn finish(self, max_seq: u64) -> Result<Option<Arc<TableHandle>>> {
        if self.writer.is_empty() {
            self.writer.discard()?;
            return Ok(None);
        }
        let info = self.writer.finish()?;
        let meta = FileMeta {
            id: self.id,
            level: self.level,
            partition: self.partition,
            min_ts: info.min_ts,
            max_ts: info.max_ts,
            max_seq,
            size: info.size,
            points: info.points,
        };
        Ok(Some(Arc::new(TableHandle::new(
            meta,
            SstReader::open(&self.path)?,
        ))))
    }
}

/// Writes a frozen MemTable as one L0 table per time partition it touches. Its columns
/// stream straight from the MemTable into the tables in (series key, field) order, each cut
/// at partition boundaries, so a flush copies no points (only out-of-order columns are
/// sorted into a copy). On failure every started file is removed.
fn write_memtable(s: &Shared, table: &MemTable) -> Result<Vec<Arc<TableHandle>>> {
    let mut keys: Vec<(Arc<str>, SeriesId)> = table
        .series_ids()
        .into_iter()
        .filter_map(|sid| Some((s.catalog.canonical(sid)?, sid)))
        .collect();
    keys.sort_unstable();
    let width = s.opts.partition_width;
    let mut outputs: BTreeMap<i64, TableOutput> = BTreeMap::new();
    let mut write = |key: &str, field: &str, col: &ColumnData| -> Result<()> {
        let mut start = 0;
        while start < col.len() {
            let p = partition_of(col.ts[start], width);
            let end = start + col.ts[start..].partition_point(|&t| t < partition_end(p, width));
            let out = match outputs.entry(p) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(TableOutput::create(s, 0, p)?),
            };
            out.writer().add_slices(
                key,
                field,
                &col.ts[start..end],
                col.values.as_ref().slice(start..end),
            )?;
            start = end;
        }
        Ok(())
    };
    let written = keys
        .iter()
        .try_for_each(|(key, sid)| table.visit_series(*sid, |field, col| write(key, field, col)));
    if let Err(e) = written {
        for out in outputs.into_values() {
            let _ = out.discard();
        }
        return Err(e);
    }
    let mut added = Vec::with_capacity(outputs.len());
    for out in outputs.into_values() {
        added.extend(out.finish(table.max_seq())?);
    }
    Ok(added)
}

/// Flushes the oldest frozen MemTable. Returns false if there was none.
pub(crate) fn flush_oldest(s: &Shared) -> Result<bool> {
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
    test_pause(s);
    let added = write_memtable(s, &table)?;
    let mut edits: Vec<Edit> = added.iter().map(|t| Edit::AddFile(t.meta)).collect();
    edits.push(Edit::Counters {
        next_file_id: 0,
        last_seq: table.max_seq(),
    });
    s.manifest.apply(edits)?;
    {
        // Install the tables, then drop the MemTable: a snapshot taken in between sees the
        // points twice (identical, so the merge dedups them), never zero times.
        s.install(&[], added.iter().cloned());
    }
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
    s.wal.remove_segments_before(next_segment)?;
    s.counters.flushes.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(
        tables = added.len(),
        points = table.points(),
        "flushed MemTable"
    );
    Ok(true)
}
