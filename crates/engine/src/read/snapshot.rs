//! The read path: a snapshot (MemTables + an `Arc<Version>`) answers "points of this series
//! field in [start, end)" by merging, oldest source first, every SSTable whose time range and
//! bloom filter admit the series, then the frozen and active MemTables. The newest write wins
//! on equal timestamps and tombstones newer than a table hide its points.
//!
//! Reads stream: [`Snapshot::scan`] hands out a column's points a chunk at a time in time
//! order (see [`super::scan`]), which aggregations consume without holding the range.
//! [`Snapshot::read_columns`] reads several fields of a series at once (the series' key is
//! looked up once per table, not once per field) and, with a limit, decodes from that end of
//! the range only until it has the points, so the last point of a series costs about one
//! block whatever the range.

use std::sync::Arc;

use super::cold::{ColdRead, ColdSource};
use super::rollups::{Rollup, read_rollup};
use super::scan::{ColumnScan, Piece, ScanTable};
use crate::data::ColumnData;
use crate::error::{Error, Result};
use crate::index::{Catalog, SeriesId};
use crate::lsm::manifest::{COLD_LEVEL, FileMeta};
use crate::lsm::partition::partition_last;
use crate::lsm::version::{TableHandle, Version, drop_deleted};
use crate::sst::BlockCache;
use crate::write::MemTable;

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
    /// The version's data tables in merge order (oldest data first), sorted once here rather
    /// than on every read.
    tables: Arc<[Arc<TableHandle>]>,
    /// Whether scans add the blocks they decode to the block cache.
    fill_cache: bool,
    /// Where the points of cold listings come from (`None`: no cold tier configured).
    cold: Option<Arc<dyn ColdSource>>,
}

/// How many points [`Snapshot::read_columns`] returns per field: all in range, or the
/// `n` first (`from_end: false`) or last (`from_end: true`) of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    All,
    Limit { n: usize, from_end: bool },
}

impl Snapshot {
    pub(crate) fn new(
        catalog: Arc<Catalog>,
        mems: Vec<Arc<MemTable>>,
        version: Arc<Version>,
        cache: Arc<BlockCache>,
        partition_width: i64,
        rollup_windows: Arc<[i64]>,
        cold: Option<Arc<dyn ColdSource>>,
    ) -> Self {
        let tables = version.overlapping(i64::MIN, i64::MAX).into();
        Snapshot {
            catalog,
            mems,
            version,
            cache,
            partition_width,
            rollup_windows,
            tables,
            fill_cache: true,
            cold,
        }
    }

    /// This snapshot with scans that do not add decoded blocks to the block cache (blocks
    /// already there are still used): for reads of many series over long ranges, which would
    /// otherwise evict the hot blocks and pay for evicting them (RocksDB's `fill_cache`).
    pub fn without_cache_fill(mut self) -> Self {
        self.fill_cache = false;
        self
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
        self.scan(series, field, start, end)?.collect()
    }

    /// A streaming read of one column over `[start, end)`: chunks in time order, one
    /// cluster of overlapping blocks at a time (see [`ColumnScan`]).
    pub fn scan(
        &self,
        series: SeriesId,
        field: &str,
        start: i64,
        end: i64,
    ) -> Result<ColumnScan<'_>> {
        // `scan_fields` returns one scan per field asked for.
        let mut scans = self.scan_fields(series, &[field], start, end)?;
        Ok(scans.pop().unwrap_or_else(|| {
            ColumnScan::new(
                Vec::new(),
                Vec::new(),
                Vec::new(),
                (&self.cache, self.fill_cache),
                (start, end),
            )
        }))
    }

    /// [`Snapshot::read`] for several fields of one series (the result is aligned with
    /// `fields`), keeping per field only what `take` asks for.
    pub fn read_columns(
        &self,
        series: SeriesId,
        fields: &[&str],
        start: i64,
        end: i64,
        take: Take,
    ) -> Result<Vec<Option<ColumnData>>> {
        if matches!(take, Take::Limit { n: 0, .. }) {
            return Ok(vec![None; fields.len()]);
        }
        let mut out = Vec::with_capacity(fields.len());
        for scan in self.scan_fields(series, fields, start, end)? {
            out.push(match take {
                Take::All => scan.collect()?,
                Take::Limit { n, from_end } => scan.take(n, from_end)?,
            });
        }
        Ok(out)
    }

    /// [`Snapshot::scan`] for several fields of one series: one scan per field of `fields`
    /// (aligned with it). The series' key is looked up once per table (time range, bloom
    /// filter, binary search), not once per field; its column entries come decoded from the
    /// block cache, or are parsed from the table's index once and cached.
    pub fn scan_fields<'s>(
        &'s self,
        series: SeriesId,
        fields: &[&str],
        start: i64,
        end: i64,
    ) -> Result<Vec<ColumnScan<'s>>> {
        type FieldSources<'s> = (Vec<ScanTable<'s>>, Vec<Piece>);
        let mut per_field: Vec<FieldSources<'s>> =
            fields.iter().map(|_| (Vec::new(), Vec::new())).collect();
        if let Some(canonical) = self.catalog.canonical(series) {
            for t in self.tables.iter() {
                if t.meta.max_ts < start || t.meta.min_ts >= end {
                    continue;
                }
                let Some(i) = t.reader.find_series(&canonical)? else {
                    continue;
                };
                let tombstones = self.version.tombstones_for(&canonical, t.meta.max_seq);
                let columns = self
                    .cache
                    .columns_or_load((t.meta.id, t.reader.columns_offset(i)), || {
                        t.reader.owned_columns(i)
                    })?;
                if t.meta.level == COLD_LEVEL {
                    let listed: Vec<(usize, &str)> = fields
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| columns.iter().any(|c| &*c.field == **f))
                        .map(|(k, f)| (k, *f))
                        .collect();
                    let read = ColdRead {
                        partition: t.meta.partition,
                        partition_last: partition_last(t.meta.partition, self.partition_width),
                        series: &canonical,
                        fields: &listed.iter().map(|(_, f)| *f).collect::<Vec<_>>(),
                        start,
                        end,
                    };
                    for ((k, _), data) in listed.iter().zip(self.read_cold(&read)?) {
                        let (Some(mut data), Some((tables, pieces))) =
                            (data, per_field.get_mut(*k))
                        else {
                            continue;
                        };
                        drop_deleted(&tombstones, &mut data);
                        pieces.extend(Piece::loaded(tables.len(), data));
                        tables.push(ScanTable {
                            table: t,
                            tombstones: tombstones.clone(),
                        });
                    }
                    continue;
                }
                for col in columns.iter() {
                    for (k, _) in fields
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| **f == &*col.field)
                    {
                        let Some((tables, pieces)) = per_field.get_mut(k) else {
                            continue;
                        };
                        let at = tables.len();
                        pieces.extend(
                            col.blocks
                                .iter()
                                .filter(|b| b.max_ts >= start && b.min_ts < end)
                                .map(|b| Piece::block(at, col.value_type, *b)),
                        );
                        tables.push(ScanTable {
                            table: t,
                            tombstones: tombstones.clone(),
                        });
                    }
                }
            }
        }
        Ok(per_field
            .into_iter()
            .zip(fields)
            .map(|((tables, pieces), field)| {
                let mems = self
                    .mems
                    .iter()
                    .filter_map(|m| m.read(series, field, start, end))
                    .collect();
                ColumnScan::new(
                    tables,
                    pieces,
                    mems,
                    (&self.cache, self.fill_cache),
                    (start, end),
                )
            })
            .collect())
    }

    /// A cold listing's points, from the cold source.
    fn read_cold(&self, read: &ColdRead<'_>) -> Result<Vec<Option<ColumnData>>> {
        if read.fields.is_empty() || read.start >= read.end {
            return Ok(Vec::new());
        }
        let Some(cold) = &self.cold else {
            return Err(Error::ColdUnavailable(format!(
                "partition {} is in the object store, and no object store is configured (start the server with --object-store)",
                read.partition
            )));
        };
        let out = cold.read(read)?;
        if out.len() != read.fields.len() {
            return Err(Error::ColdUnavailable(format!(
                "the cold tier answered {} columns for {} fields of partition {}",
                out.len(),
                read.fields.len(),
                read.partition
            )));
        }
        Ok(out)
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
        read_rollup(&tables, &canonical, field, window, start, end)
    }

    /// The time ranges `[start, end)` whose raw data is gone but whose rollups remain, in
    /// ascending order (adjacent partitions are joined; the range of the last partition of
    /// the i64 range ends at `i64::MAX`).
    pub fn rollup_only_ranges(&self) -> Vec<(i64, i64)> {
        let mut out: Vec<(i64, i64)> = Vec::new();
        for p in self.version.rollup_only_partitions() {
            let end = partition_last(p, self.partition_width).saturating_add(1);
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

    /// The manifest entries of this snapshot's live SSTables (the files its reads see), so a
    /// reader can name exactly the version it read (the cold-tier export does).
    pub fn table_metas(&self) -> Vec<FileMeta> {
        self.version.tables.iter().map(|t| t.meta).collect()
    }

    /// The width of a time partition (ns).
    pub fn partition_width(&self) -> i64 {
        self.partition_width
    }

    /// Number of SSTables a query over `[start, end)` would consult (for pruning reports).
    pub fn tables_overlapping(&self, start: i64, end: i64) -> usize {
        self.version.overlapping(start, end).len()
    }
}
