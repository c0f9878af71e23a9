//! Compaction.
//!
//! Strategy: time-window compaction (in the spirit of Cassandra's TWCS). Each time partition
//! compacts independently: once it holds `l0_compaction_trigger` L0 files (or, when forced,
//! more than one file), all its files (L0 and its L1 file) are merged into one new L1 file with
//! a k-way merge where the newest write wins and tombstones are applied. A partition therefore
//! converges to a single compressed L1 file; old partitions, which stop receiving writes, are
//! never rewritten again. Write amplification: each point is written to the WAL once, to L0
//! once, and to L1 once per compaction of its partition while that partition is still being
//! written (about `flushes per partition / trigger` times, typically 1 to 3).
//!
//! Choose, then act: [`plan`] is a pure function of the version and the options; [`run`]
//! carries one task out. The merge walks the inputs' column indexes together in (series,
//! field) order ([`ColumnWalk`]) and streams each merged column into the output file, so its
//! memory is one column, whatever the partition holds. It runs without holding any lock that
//! writes or reads wait for; the new version is committed at the end in one manifest edit
//! (add output, remove inputs), and the inputs are unlinked when the last snapshot using them
//! is dropped.

use std::sync::Arc;

use strata_codec::BlockDecoder;

use super::column_walk::ColumnWalk;
use super::manifest::{COMPACTED_LEVEL, FLUSH_LEVEL};
use super::tables::{Change, Tables};
use super::version::{TableHandle, Version};
use crate::error::Result;
use crate::options::EngineOptions;

/// One partition to merge into one L1 file.
#[derive(Debug, Clone)]
pub struct CompactionTask {
    pub partition: i64,
    /// The partition's raw files, oldest data first.
    pub inputs: Vec<Arc<TableHandle>>,
}

/// What a compaction did.
#[derive(Debug, Default)]
pub struct CompactionOutcome {
    /// Canonical keys of the series the inputs held and the output does not (every point
    /// deleted): candidates for the catalog to forget.
    pub emptied: Vec<String>,
}

/// The partitions to compact now: those with `l0_compaction_trigger` L0 files or more, those
/// with a file that deletes newer than it touch (so deleted points are reclaimed), and with
/// `force` (no write for a while) every partition with more than one file or any L0 file.
/// Rollup files are never inputs.
pub fn plan(version: &Version, opts: &EngineOptions, force: bool) -> Vec<CompactionTask> {
    version
        .by_partition()
        .into_iter()
        .filter(|(_, p)| {
            let l0 = p.raw.iter().filter(|t| t.meta.level == FLUSH_LEVEL).count();
            let due = if force {
                p.raw.len() > 1 || l0 > 0
            } else {
                l0 >= opts.l0_compaction_trigger
            };
            due || p.raw.iter().any(|t| version.has_pending_deletes(t))
        })
        .map(|(partition, p)| CompactionTask {
            partition,
            inputs: p.raw,
        })
        .collect()
}

/// Merges the task's inputs into one L1 file (tombstones of `version` applied) and commits
/// it in place of the inputs.
pub fn run(tables: &Tables, version: &Version, task: &CompactionTask) -> Result<CompactionOutcome> {
    tables.pause();
    let mut dec = BlockDecoder::default();
    // Every tombstone of `version` is applied to the output, which is therefore as new as
    // the newest of them (so it is not rewritten for them again, and they can be dropped).
    let max_seq = task
        .inputs
        .iter()
        .map(|t| t.meta.max_seq)
        .max()
        .unwrap_or(0)
        .max(version.max_tombstone_seq());
    let mut out = tables.create_output(COMPACTED_LEVEL, task.partition)?;
    let mut outcome = CompactionOutcome::default();
    // The series being walked, and whether any of its columns kept a point.
    let mut series: Option<(&str, bool)> = None;
    for col in ColumnWalk::new(&task.inputs)? {
        let col = col?;
        if series.is_some_and(|(s, _)| s != col.series) {
            if let Some((s, false)) = series {
                outcome.emptied.push(s.to_string());
            }
            series = None;
        }
        let kept = series.get_or_insert((col.series, false));
        if let Some(data) = col.merge(version, &mut dec)? {
            out.writer().add_column(col.series, col.field, &data)?;
            kept.1 = true;
        }
    }
    if let Some((s, false)) = series {
        outcome.emptied.push(s.to_string());
    }
    let output = out.finish(max_seq)?;
    tables.commit(Change {
        added: output.into_iter().collect(),
        removed: task.inputs.clone(),
        last_seq: None,
    })?;
    tracing::debug!(
        partition = task.partition,
        inputs = task.inputs.len(),
        "compacted partition"
    );
    Ok(outcome)
}
