//! A version: the immutable set of live SSTables (and tombstones) a reader sees. Readers hold
//! an `Arc<Version>`, so a compaction that replaces files cannot delete one under a running
//! query: an obsolete file is unlinked when the last version holding it is dropped.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::manifest::{COLD_LEVEL, FileMeta, ROLLUP_LEVEL, Tombstone};
use crate::data::ColumnData;
use crate::error::Result;
use crate::io::FileSystem;
use crate::sst::SstReader;

/// An open SSTable and its manifest entry.
#[derive(Debug)]
pub struct TableHandle {
    pub meta: FileMeta,
    pub reader: SstReader,
    fs: Arc<dyn FileSystem>,
    obsolete: AtomicBool,
}

impl TableHandle {
    /// Opens table `meta.id` of directory `dir`.
    pub fn open(fs: Arc<dyn FileSystem>, dir: &Path, meta: FileMeta) -> Result<Self> {
        let reader = SstReader::open(&*fs, &table_path(dir, meta.id))?;
        Ok(TableHandle {
            meta,
            reader,
            fs,
            obsolete: AtomicBool::new(false),
        })
    }

    /// Marks the file for deletion once no version refers to it.
    pub fn mark_obsolete(&self) {
        self.obsolete.store(true, Ordering::Release);
    }

    pub fn path(&self) -> &Path {
        self.reader.path()
    }
}

impl Drop for TableHandle {
    fn drop(&mut self) {
        if self.obsolete.load(Ordering::Acquire) {
            if let Err(e) = self.fs.remove_file(self.reader.path()) {
                tracing::warn!(path = %self.reader.path().display(), error = %e, "could not remove obsolete SSTable");
            }
        }
    }
}

/// The live tables and tombstones at one moment.
#[derive(Debug, Default)]
pub struct Version {
    pub tables: Vec<Arc<TableHandle>>,
    pub tombstones: Vec<Tombstone>,
    by_series: HashMap<String, Vec<Tombstone>>,
}

impl Version {
    pub fn new(tables: Vec<Arc<TableHandle>>, tombstones: Vec<Tombstone>) -> Self {
        let mut by_series: HashMap<String, Vec<Tombstone>> = HashMap::new();
        for t in &tombstones {
            by_series
                .entry(t.series.clone())
                .or_default()
                .push(t.clone());
        }
        Version {
            tables,
            tombstones,
            by_series,
        }
    }

    /// True if a tombstone hides the point of series `canonical` at `ts` written at `seq`
    /// (WAL replay skips such points).
    pub fn hides(&self, canonical: &str, ts: i64, seq: u64) -> bool {
        self.by_series
            .get(canonical)
            .is_some_and(|tombs| tombs.iter().any(|t| t.covers(ts, seq)))
    }

    /// Tombstones of one series that hide data of a table whose points are all older than
    /// `max_seq + 1`.
    pub fn tombstones_for(&self, canonical: &str, max_seq: u64) -> Vec<&Tombstone> {
        self.by_series
            .get(canonical)
            .map(|ts| ts.iter().filter(|t| t.seq > max_seq).collect())
            .unwrap_or_default()
    }

    /// The highest sequence number of any tombstone (0 without tombstones): a compaction's
    /// output has every tombstone of its version applied, so it is as new as this.
    pub fn max_tombstone_seq(&self) -> u64 {
        self.tombstones.iter().map(|t| t.seq).max().unwrap_or(0)
    }

    /// True if a tombstone newer than `t` may hide some of its points: its rewrite would
    /// reclaim them. Rollup tables summarise and never apply deletes.
    pub fn has_pending_deletes(&self, t: &TableHandle) -> bool {
        t.meta.level != ROLLUP_LEVEL
            && self.tombstones.iter().any(|tomb| {
                tomb.seq > t.meta.max_seq
                    && tomb.start <= t.meta.max_ts
                    && tomb.end > t.meta.min_ts
                    && !matches!(t.reader.find_series(&tomb.series), Ok(None))
            })
    }

    /// Tables that may hold points in `[start, end)`, oldest data first (L1, then by max_seq).
    pub fn overlapping(&self, start: i64, end: i64) -> Vec<Arc<TableHandle>> {
        let mut v: Vec<_> = self
            .tables
            .iter()
            .filter(|t| {
                t.meta.level != ROLLUP_LEVEL && t.meta.max_ts >= start && t.meta.min_ts < end
            })
            .cloned()
            .collect();
        oldest_first(&mut v);
        v
    }

    /// Rollup (L2) tables overlapping `[start, end)`.
    pub fn rollups_overlapping(&self, start: i64, end: i64) -> Vec<Arc<TableHandle>> {
        self.tables
            .iter()
            .filter(|t| {
                t.meta.level == ROLLUP_LEVEL && t.meta.max_ts >= start && t.meta.min_ts < end
            })
            .cloned()
            .collect()
    }

    /// The tables grouped by partition, raw files oldest data first.
    pub fn by_partition(&self) -> BTreeMap<i64, PartitionTables> {
        let mut out: BTreeMap<i64, PartitionTables> = BTreeMap::new();
        for t in &self.tables {
            let p = out.entry(t.meta.partition).or_default();
            if t.meta.level == ROLLUP_LEVEL {
                p.rollups.push(t.clone());
            } else if t.meta.level == COLD_LEVEL {
                p.cold.push(t.clone());
            } else {
                p.raw.push(t.clone());
            }
        }
        for p in out.values_mut() {
            oldest_first(&mut p.raw);
        }
        out
    }

    /// Partition start times that have rollups but no raw data any more (neither local nor
    /// in the cold tier), ascending.
    pub fn rollup_only_partitions(&self) -> Vec<i64> {
        self.by_partition()
            .into_iter()
            .filter(|(_, p)| p.raw.is_empty() && p.cold.is_empty())
            .map(|(start, _)| start)
            .collect()
    }
}

/// One partition's tables.
#[derive(Debug, Default)]
pub struct PartitionTables {
    /// L0 and L1 files, oldest data first.
    pub raw: Vec<Arc<TableHandle>>,
    /// L2 files.
    pub rollups: Vec<Arc<TableHandle>>,
    /// Cold listings (see [`COLD_LEVEL`]): the partition's exported data, in the object store.
    pub cold: Vec<Arc<TableHandle>>,
}

/// Orders tables oldest data first, the order merges apply them in: cold listings (exported
/// data, older than anything local of the partition), then L1 (compacted, older than any L0
/// file of its partition), then L0, and L0 files by write sequence.
pub fn oldest_first(tables: &mut [Arc<TableHandle>]) {
    tables.sort_by_key(|t| (std::cmp::Reverse(t.meta.level), t.meta.max_seq, t.meta.id));
}

/// Drops the points of `data` that one of `tombs` hides.
pub fn drop_deleted(tombs: &[&Tombstone], data: &mut ColumnData) {
    if !tombs.is_empty() {
        data.retain(|ts| !tombs.iter().any(|tb| tb.start <= ts && ts < tb.end));
    }
}

/// Path of table `id` in `dir`.
pub fn table_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:016}.sst"))
}
