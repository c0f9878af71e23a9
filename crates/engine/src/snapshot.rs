//! The read path: a snapshot (MemTables + an `Arc<Version>`) answers "points of this series
//! field in [start, end)" by merging, oldest source first, every SSTable whose time range and
//! bloom filter admit the series, then the frozen and active MemTables. The newest write wins
//! on equal timestamps and tombstones newer than a table hide its points.

use std::sync::Arc;

use strata_codec::BlockDecoder;

use crate::cache::BlockCache;
use crate::catalog::{Catalog, SeriesId};
use crate::column::ColumnData;
use crate::error::Result;
use crate::memtable::MemTable;
use crate::rollup::Rollup;
use crate::version::Version;

/// A consistent read view.
#[derive(Debug, Clone)]
pub struct Snapshot {
    catalog: Arc<Catalog>,
    /// Oldest first; the active MemTable is last.
    mems: Vec<Arc<MemTable>>,
    version: Arc<Version>,
    cache: Arc<BlockCache>,
    partition_width: i64,
    rollup_windows: Arc<[i64]>,
}

impl Snapshot {
    pub(crate) fn new(
        catalog: Arc<Catalog>,
        mems: Vec<Arc<MemTable>>,
        version: Arc<Version>,
        cache: Arc<BlockCache>,
        partition_width: i64,
        rollup_windows: Arc<[i64]>,
    ) -> Self {
        Snapshot {
            catalog,
            mems,
            version,
            cache,
            partition_width,
            rollup_windows,
        }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Sorted, deduplicated points of one column with `start <= ts < end`; `None` if the
    /// series has no such field anywhere.
    pub fn read(
        &self,
        series: SeriesId,
        field: &str,
        start: i64,
        end: i64,
    ) -> Result<Option<ColumnData>> {
        let Some(canonical) = self.catalog.canonical(series) else {
            return Ok(None);
        };
        let mut acc: Option<ColumnData> = None;
        let mut dec = BlockDecoder::default();
        let mut add = |data: ColumnData| {
            acc = Some(match acc.take() {
                None => data,
                Some(old) if old.value_type() == data.value_type() => {
                    ColumnData::merge(&old, &data)
                }
                Some(old) => old,
            });
        };
        for t in self.version.overlapping(start, end) {
            let Some(col) = t
                .reader
                .columns_of(&canonical)
                .iter()
                .find(|c| c.field == field)
            else {
                continue;
            };
            let mut data =
                t.reader
                    .read_column(col, start, end, &mut dec, Some((&self.cache, t.meta.id)))?;
            let tombs = self.version.tombstones_for(&canonical, t.meta.max_seq);
            if !tombs.is_empty() {
                data.retain(|ts| !tombs.iter().any(|tb| tb.start <= ts && ts < tb.end));
            }
            add(data);
        }
        for m in &self.mems {
            if let Some(data) = m.read(series, field, start, end) {
                add(data);
            }
        }
        Ok(acc)
    }

    /// The rollup of one series field at window width `window` (ns) over `[start, end)`, from
    /// the L2 tables; `None` if there is none.
    pub fn read_rollup(
        &self,
        series: SeriesId,
        field: &str,
        window: i64,
        start: i64,
        end: i64,
    ) -> Result<Option<Rollup>> {
        let Some(canonical) = self.catalog.canonical(series) else {
            return Ok(None);
        };
        let tables = self.version.rollups_overlapping(start, end);
        if tables.is_empty() {
            return Ok(None);
        }
        crate::rollup::read(&tables, &canonical, field, window, start, end)
    }

    /// The time ranges `[start, end)` whose raw data is gone but whose rollups remain, in
    /// ascending order (adjacent partitions are joined).
    pub fn rollup_only_ranges(&self) -> Vec<(i64, i64)> {
        let mut out: Vec<(i64, i64)> = Vec::new();
        for p in self.version.rollup_only_partitions() {
            let end = crate::partition::partition_end(p, self.partition_width);
            match out.last_mut() {
                Some(last) if last.1 == p => last.1 = end,
                _ => out.push((p, end)),
            }
        }
        out
    }

    /// The rollup window widths (ns) the engine writes.
    pub fn rollup_windows(&self) -> &[i64] {
        &self.rollup_windows
    }

    /// Number of SSTables a query over `[start, end)` would consult (for pruning reports).
    pub fn tables_overlapping(&self, start: i64, end: i64) -> usize {
        self.version.overlapping(start, end).len()
    }
}
