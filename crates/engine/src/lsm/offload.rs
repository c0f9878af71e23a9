//! Offloading: once the cold tier holds a partition (its manifest, durable in the object
//! store, names exactly the raw tables it exported), the local copy can go. The partition's
//! raw tables and any older cold listing are replaced by one cold listing (`COLD_LEVEL`):
//! every series and field they hold, without blocks, carrying their time range and highest
//! sequence number, so the catalog, tombstones and reads treat the exported data as the
//! partition's oldest, now in the store. [`plan`] checks the tables are the exported ones
//! (pure); [`run`] writes the listing and swaps it in with one manifest edit.

use std::sync::Arc;

use super::column_walk::ColumnWalk;
use super::manifest::{COLD_LEVEL, FLUSH_LEVEL};
use super::tables::{Change, Tables};
use super::version::{TableHandle, Version};
use crate::error::Result;

/// One partition to offload.
#[derive(Debug, Clone)]
pub struct OffloadTask {
    pub partition: i64,
    /// The tables the listing replaces: the exported raw tables, then older listings.
    pub inputs: Vec<Arc<TableHandle>>,
}

/// The task for `partition` if its raw tables are exactly `exported` (ids, any order) and
/// none is an uncompacted L0 file; `None` otherwise (a late write, a compaction or a
/// delete since the export: export again first).
pub fn plan(version: &Version, partition: i64, exported: &[u64]) -> Option<OffloadTask> {
    let mut by_partition = version.by_partition();
    let p = by_partition.remove(&partition)?;
    let mut ids: Vec<u64> = p.raw.iter().map(|t| t.meta.id).collect();
    ids.sort_unstable();
    let mut want = exported.to_vec();
    want.sort_unstable();
    if ids.is_empty()
        || ids != want
        || p.raw.iter().any(|t| t.meta.level == FLUSH_LEVEL)
        || p.raw.iter().any(|t| version.has_pending_deletes(t))
    {
        return None;
    }
    let mut inputs = p.raw;
    inputs.extend(p.cold);
    Some(OffloadTask { partition, inputs })
}

/// Writes the listing of `task.inputs` and commits it in their place.
pub fn run(tables: &Tables, task: &OffloadTask) -> Result<()> {
    tables.pause();
    let range = (
        task.inputs.iter().map(|t| t.meta.min_ts).min().unwrap_or(0),
        task.inputs.iter().map(|t| t.meta.max_ts).max().unwrap_or(0),
    );
    let max_seq = task
        .inputs
        .iter()
        .map(|t| t.meta.max_seq)
        .max()
        .unwrap_or(0);
    let mut out = tables.create_output(COLD_LEVEL, task.partition)?;
    for col in ColumnWalk::new(&task.inputs)? {
        let col = col?;
        let Some((_, entry)) = col.sources.first() else {
            continue;
        };
        out.writer()
            .add_listing(&col.series, col.field, entry.value_type, range)?;
    }
    let listing = out.finish(max_seq)?;
    tables.commit(Change {
        added: listing.into_iter().collect(),
        removed: task.inputs.clone(),
        last_seq: None,
    })?;
    tracing::info!(
        partition = task.partition,
        tables = task.inputs.len(),
        "dropped the local copy of a partition the cold tier holds"
    );
    Ok(())
}
