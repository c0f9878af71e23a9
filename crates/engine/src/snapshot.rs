//! The read path: a snapshot (MemTables + an `Arc<Version>`) answers "points of this series
//! field in [start, end)" by merging, oldest source first, every SSTable whose time range and
//! bloom filter admit the series, then the frozen and active MemTables. The newest write wins
//! on equal timestamps and tombstones newer than a table hide its points.
//!
//! [`Snapshot::read_columns`] reads several fields of a series at once (the series' key and
//! index entries are looked up once per source, not once per field) and, with a limit, only
//! the points nearest one end of the range: blocks are decoded from that end and a source
//! stops as soon as it holds `limit` live points, so the last point of a series costs one
//! block per source whatever the range.

use std::sync::Arc;

use strata_codec::BlockDecoder;

use crate::cache::BlockCache;
use crate::catalog::{Catalog, SeriesId};
use crate::column::ColumnData;
use crate::error::Result;
use crate::memtable::MemTable;
use crate::rollup::Rollup;
use crate::sst::{BlockMeta, ColumnEntry};
use crate::version::{TableHandle, Version, drop_deleted};

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
        let mut cols = self.read_columns(series, &[field], start, end, Take::All)?;
        Ok(cols.pop().flatten())
    }

    /// [`Snapshot::read`] for several fields of one series (the result is aligned with
    /// `fields`), keeping per field only what `take` asks for. With a limit, each source
    /// contributes at most its `n` live points nearest that end of the range, which holds
    /// the merged result's `n` nearest points (a point among the merged `n` last is among
    /// the `n` last of the newest source holding it).
    pub fn read_columns(
        &self,
        series: SeriesId,
        fields: &[&str],
        start: i64,
        end: i64,
        take: Take,
    ) -> Result<Vec<Option<ColumnData>>> {
        let mut acc: Vec<Option<ColumnData>> = vec![None; fields.len()];
        if matches!(take, Take::Limit { n: 0, .. }) {
            return Ok(acc);
        }
        let Some(canonical) = self.catalog.canonical(series) else {
            return Ok(acc);
        };
        let mut dec = BlockDecoder::default();
        for t in self.tables.iter() {
            if t.meta.max_ts < start || t.meta.min_ts >= end {
                continue;
            }
            let Some(i) = t.reader.find_series(&canonical)? else {
                continue;
            };
            let tombs = self.version.tombstones_for(&canonical, t.meta.max_seq);
            let live = |ts: i64| !tombs.iter().any(|tb| tb.start <= ts && ts < tb.end);
            let filter: Option<&dyn Fn(i64) -> bool> = (!tombs.is_empty()).then_some(&live);
            for (slot, field) in acc.iter_mut().zip(fields) {
                let Some(col) = t.reader.column_at(i, field)? else {
                    continue;
                };
                let data = match take {
                    Take::Limit { n, from_end } => {
                        self.read_limited(t, &col, (start, end), (n, from_end), filter, &mut dec)?
                    }
                    Take::All => {
                        let mut data = t.reader.read_column(
                            &col,
                            start,
                            end,
                            &mut dec,
                            Some((&self.cache, t.meta.id)),
                        )?;
                        drop_deleted(&tombs, &mut data);
                        data
                    }
                };
                merge_into(slot, data);
            }
        }
        for m in &self.mems {
            for (slot, field) in acc.iter_mut().zip(fields) {
                if let Some(mut data) = m.read(series, field, start, end) {
                    if let Take::Limit { n, from_end } = take {
                        keep_end(&mut data, n, from_end);
                    }
                    merge_into(slot, data);
                }
            }
        }
        if let Take::Limit { n, from_end } = take {
            for data in acc.iter_mut().flatten() {
                keep_end(data, n, from_end);
            }
        }
        Ok(acc)
    }

    /// The `n` live points of one table column nearest one end of `range`, decoding blocks
    /// from that end (through the block cache) until it has them. `live` is the tombstone
    /// filter, if any tombstone applies.
    fn read_limited(
        &self,
        t: &TableHandle,
        col: &ColumnEntry<'_>,
        (start, end): (i64, i64),
        (n, from_end): (usize, bool),
        live: Option<&dyn Fn(i64) -> bool>,
        dec: &mut BlockDecoder,
    ) -> Result<ColumnData> {
        let mut parts: Vec<ColumnData> = Vec::new();
        let mut have = 0;
        let mut visit = |b: &BlockMeta| -> Result<bool> {
            let key = (t.meta.id, b.offset);
            let block = match self.cache.get(key) {
                Some(block) => block,
                None => {
                    let mut block = ColumnData::new(col.value_type);
                    t.reader.read_block(b, dec, &mut block)?;
                    let block = Arc::new(block);
                    self.cache.insert(key, block.clone());
                    block
                }
            };
            let mut r = block.range_indices(start, end);
            if live.is_none() {
                // Every point in range is live: take only what is still missing.
                let need = n - have;
                r = if from_end {
                    r.end.saturating_sub(need).max(r.start)..r.end
                } else {
                    r.start..r.start.saturating_add(need).min(r.end)
                };
            }
            let idx: Vec<usize> = r.collect();
            let mut part = block.gather(&idx);
            if let Some(live) = live {
                part.retain(live);
            }
            have += part.len();
            parts.push(part);
            Ok(have >= n)
        };
        let in_range = |b: &BlockMeta| b.max_ts >= start && b.min_ts < end;
        if from_end {
            // Block entries decode front to back: collect the few in range, walk them back.
            let blocks: Vec<BlockMeta> = col.blocks.iter().filter(in_range).collect();
            for b in blocks.iter().rev() {
                if visit(b)? {
                    break;
                }
            }
            parts.reverse();
        } else {
            for b in col.blocks.iter().filter(in_range) {
                if visit(&b)? {
                    break;
                }
            }
        }
        let mut out = match parts.len() {
            1 => parts
                .pop()
                .unwrap_or_else(|| ColumnData::new(col.value_type)),
            _ => {
                let mut out = ColumnData::new(col.value_type);
                for p in &parts {
                    out.append(p);
                }
                out
            }
        };
        keep_end(&mut out, n, from_end);
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

/// Merges `data` (newer) into `slot` (older); a column of another type (which write
/// validation rules out) is ignored, as the oldest type wins.
fn merge_into(slot: &mut Option<ColumnData>, data: ColumnData) {
    *slot = Some(match slot.take() {
        None => data,
        Some(old) if old.value_type() == data.value_type() => ColumnData::merge(&old, &data),
        Some(old) => old,
    });
}

/// Keeps the first `n` points of a sorted column, or the last `n` with `from_end`.
fn keep_end(data: &mut ColumnData, n: usize, from_end: bool) {
    let len = data.len();
    if len <= n {
        return;
    }
    let idx: Vec<usize> = if from_end {
        (len - n..len).collect()
    } else {
        (0..n).collect()
    };
    *data = data.gather(&idx);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::EngineOptions;
    use crate::point::{FieldValue, Point, SeriesKey};
    use crate::{Engine, SyncPolicy};

    fn point(host: &str, ts: i64, fields: &[(&str, f64)]) -> Point {
        Point {
            series: SeriesKey::new("m", vec![("h".into(), host.into())]),
            fields: fields
                .iter()
                .map(|(f, v)| (f.to_string(), FieldValue::Float(*v)))
                .collect(),
            timestamp: ts,
        }
    }

    /// Limited reads agree with a full read cut to the limit, across L1, L0, frozen and
    /// active MemTables, overwrites, tombstones and several partitions.
    #[test]
    fn limited_reads_match_full_reads() {
        let dir = tempfile::tempdir().unwrap();
        let e = Engine::open(EngineOptions {
            background: false,
            wal_sync: SyncPolicy::None,
            block_points: 4,
            partition_width: 50,
            ..EngineOptions::new(dir.path())
        })
        .unwrap();
        let write = |range: std::ops::Range<i64>, step: usize, base: f64| {
            let pts: Vec<Point> = range
                .step_by(step)
                .map(|t| point("a", t, &[("v", base + t as f64), ("w", t as f64)]))
                .collect();
            e.write(&pts).unwrap();
        };
        write(0..120, 1, 0.0);
        e.flush().unwrap();
        e.compact().unwrap();
        write(10..60, 3, 1000.0); // overwrites, L0
        e.flush().unwrap();
        let id = e.catalog().lookup("m,h=a").unwrap();
        e.delete(&[id], 40, 47).unwrap();
        write(100..140, 2, 2000.0);
        e.rotate().unwrap(); // frozen MemTable
        write(90..95, 1, 3000.0); // active MemTable
        e.write(&[point("a", 200, &[("w", 1.0)])]).unwrap();
        let snap = e.snapshot();
        for (start, end) in [
            (0, 300),
            (5, 118),
            (41, 46),
            (44, 60),
            (130, 135),
            (300, 400),
        ] {
            for n in [1, 2, 3, 5, 17, 1000] {
                for from_end in [false, true] {
                    let got = snap
                        .read_columns(
                            id,
                            &["v", "w", "zz"],
                            start,
                            end,
                            Take::Limit { n, from_end },
                        )
                        .unwrap();
                    for (i, f) in ["v", "w", "zz"].iter().enumerate() {
                        let mut want = snap.read(id, f, start, end).unwrap();
                        if let Some(w) = want.as_mut() {
                            keep_end(w, n, from_end);
                        }
                        let norm = |c: Option<ColumnData>| c.filter(|c| !c.is_empty());
                        assert_eq!(
                            norm(got[i].clone()),
                            norm(want),
                            "{f} [{start}, {end}) n={n} from_end={from_end}"
                        );
                    }
                }
            }
        }
        let all = snap
            .read_columns(id, &["w", "v"], 0, 300, Take::All)
            .unwrap();
        assert_eq!(all[0], snap.read(id, "w", 0, 300).unwrap());
        assert_eq!(all[1], snap.read(id, "v", 0, 300).unwrap());
        assert_eq!(all[0].as_ref().unwrap().ts.last(), Some(&200));
        let none = snap
            .read_columns(
                id,
                &["v"],
                0,
                300,
                Take::Limit {
                    n: 0,
                    from_end: true,
                },
            )
            .unwrap();
        assert_eq!(none, vec![None]);
    }
}
