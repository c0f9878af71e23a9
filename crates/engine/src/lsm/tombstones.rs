//! Tombstone reclamation: a range delete is kept (in the manifest and every version) until
//! no data it could hide remains anywhere. [`plan`] picks those that have outlived that:
//! every raw table that might hold the series in the range is newer than the tombstone (a
//! compaction rewrote it without the deleted points), and the WAL holds no record older than
//! it (one the tombstone would have to hide on replay). [`run`]
//! drops them in one manifest edit.

use super::manifest::{ROLLUP_LEVEL, Tombstone};
use super::tables::Tables;
use super::version::Version;
use crate::error::Result;

/// The tombstones no table and no WAL record needs; every WAL record still in the log is
/// newer than `wal_after`.
pub fn plan(version: &Version, wal_after: u64) -> Vec<Tombstone> {
    version
        .tombstones
        .iter()
        .filter(|tomb| {
            wal_after >= tomb.seq
                && version.tables.iter().all(|t| {
                    t.meta.level == ROLLUP_LEVEL
                        || t.meta.max_seq >= tomb.seq
                        || tomb.start > t.meta.max_ts
                        || tomb.end <= t.meta.min_ts
                        || matches!(t.reader.find_series(&tomb.series), Ok(None))
                })
        })
        .cloned()
        .collect()
}

/// Drops `outlived`; returns how many.
pub fn run(tables: &Tables, outlived: Vec<Tombstone>) -> Result<usize> {
    let n = outlived.len();
    if n > 0 {
        tables.drop_tombstones(outlived)?;
        tracing::debug!(tombstones = n, "dropped tombstones no data needs any more");
    }
    Ok(n)
}
