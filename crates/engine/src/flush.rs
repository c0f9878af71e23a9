//! Flush: the oldest frozen MemTable becomes one L0 SSTable per time partition it touches.
//! The tables are durable and recorded in the manifest before the MemTable is dropped and its
//! WAL segments deleted, so a crash at any point loses nothing acknowledged.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::column::ColumnData;
use crate::db::{Shared, test_pause};
use crate::error::Result;
use crate::manifest::{Edit, FileMeta};
use crate::partition::{partition_end, partition_of};
use crate::sst::{SstReader, SstWriter};
use crate::version::{TableHandle, table_path};

/// Columns of one partition: canonical series key and field -> points.
pub(crate) type PartitionColumns = BTreeMap<(Arc<str>, String), ColumnData>;

/// Splits sorted columns by time partition.
fn by_partition(
    s: &Shared,
    columns: Vec<(u32, String, ColumnData)>,
) -> BTreeMap<i64, PartitionColumns> {
    let width = s.opts.partition_width;
    let mut parts: BTreeMap<i64, PartitionColumns> = BTreeMap::new();
    for (sid, field, col) in columns {
        let Some(canonical) = s.catalog.canonical(sid) else {
            continue;
        };
        let mut start = 0;
        while start < col.len() {
            let p = partition_of(col.ts[start], width);
            let end = start + col.ts[start..].partition_point(|&t| t < partition_end(p, width));
            let idx: Vec<usize> = (start..end).collect();
            let part = if start == 0 && end == col.len() {
                col.clone()
            } else {
                col.gather(&idx)
            };
            parts
                .entry(p)
                .or_default()
                .insert((canonical.clone(), field.clone()), part);
            start = end;
        }
    }
    parts
}

/// Writes one SSTable from sorted columns and opens it; `None` if there was nothing to write.
pub(crate) fn write_table(
    s: &Shared,
    columns: &PartitionColumns,
    level: u8,
    partition: i64,
    max_seq: u64,
) -> Result<Option<Arc<TableHandle>>> {
    let id = s.manifest.next_file_id();
    let path = table_path(&s.sst_dir, id);
    let mut w = SstWriter::create(s.fs.clone(), &path, s.opts.block_points)?;
    for ((series, field), col) in columns {
        w.add_column(series, field, col)?;
    }
    if w.is_empty() {
        return Ok(None);
    }
    let info = w.finish()?;
    let meta = FileMeta {
        id,
        level,
        partition,
        min_ts: info.min_ts,
        max_ts: info.max_ts,
        max_seq,
        size: info.size,
        points: info.points,
    };
    Ok(Some(Arc::new(TableHandle::new(
        meta,
        SstReader::open(&path)?,
    ))))
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
    let parts = by_partition(s, table.snapshot_columns());
    let mut added = Vec::new();
    for (partition, columns) in &parts {
        if let Some(t) = write_table(s, columns, 0, *partition, table.max_seq())? {
            added.push(t);
        }
    }
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
