//! Compaction.
//!
//! Strategy: time-window compaction (in the spirit of Cassandra's TWCS), size-tiered inside a
//! window. Each time partition compacts independently. Once it holds `l0_compaction_trigger`
//! L0 files, its L0 files and, newest first, each L1 file no bigger than everything newer
//! chosen so far are merged into one new L1 file (a k-way merge where the newest write wins
//! and tombstones are applied), so the L1 files of a partition being written grow by
//! doubling. When forced (no write for a while, `compact_idle`), or when a file holds points
//! a newer delete hides, all its files are merged into one. A partition therefore converges
//! to a single compressed L1 file; old partitions, which stop receiving writes, are never
//! rewritten again. Write amplification: each point is written to the WAL once, to L0 once,
//! and to L1 about log2(flushes of its partition / trigger) times while the partition is
//! written, plus once when it goes idle (merging every file at each compaction, as this did
//! before, rewrote a point once per compaction of its partition: quadratic in its flushes).
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
        .filter_map(|(partition, p)| {
            let l0 = p.raw.iter().filter(|t| t.meta.level == FLUSH_LEVEL).count();
            // Looked for (an index lookup per tombstone and file) only where it decides.
            let deletes = || p.raw.iter().any(|t| version.has_pending_deletes(t));
            let inputs = if force && (p.raw.len() > 1 || l0 > 0) || deletes() {
                p.raw
            } else if l0 >= opts.l0_compaction_trigger {
                tiered_inputs(p.raw)
            } else {
                return None;
            };
            Some(CompactionTask { partition, inputs })
        })
        .collect()
}

/// The inputs of a compaction that is not forced: every L0 file, and, newest first, each L1
/// file no bigger than everything already chosen (size tiering: while a partition is still
/// written, its L1 files grow by doubling, so a point is rewritten about log2(flushes /
/// trigger) times instead of once per compaction, and the partition holds about as many L1
/// files). `raw` is oldest first; what is chosen is always its newest files, so the output
/// (newer than every file left out) keeps the precedence of the newest write.
fn tiered_inputs(mut raw: Vec<Arc<TableHandle>>) -> Vec<Arc<TableHandle>> {
    let files: Vec<(u8, u64)> = raw.iter().map(|t| (t.meta.level, t.meta.size)).collect();
    raw.split_off(tiered_start(&files))
}

/// Where the inputs of [`tiered_inputs`] start, given each file's level and size, oldest
/// first.
fn tiered_start(files: &[(u8, u64)]) -> usize {
    let mut start = files.len();
    let mut bytes = 0u64;
    for (i, &(level, size)) in files.iter().enumerate().rev() {
        if level != FLUSH_LEVEL && size > bytes {
            break;
        }
        bytes += size;
        start = i;
    }
    start
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
    let mut series: Option<(std::sync::Arc<str>, bool)> = None;
    for col in ColumnWalk::new(&task.inputs)? {
        let col = col?;
        if series.as_ref().is_some_and(|(s, _)| *s != col.series) {
            if let Some((s, false)) = &series {
                outcome.emptied.push(s.to_string());
            }
            series = None;
        }
        let kept = series.get_or_insert_with(|| (col.series.clone(), false));
        if let Some(data) = col.merge(version, &mut dec)? {
            out.writer().add_column(&col.series, col.field, &data)?;
            kept.1 = true;
        }
    }
    if let Some((s, false)) = &series {
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

#[cfg(test)]
mod tests {
    use super::*;

    const L1: u8 = COMPACTED_LEVEL;
    const L0: u8 = FLUSH_LEVEL;

    #[test]
    fn tiering_takes_the_l0_files_and_the_l1_files_no_bigger_than_what_is_newer() {
        // Four L0 files of 10 bytes: an L1 file of 40 joins, one of 80 then too.
        assert_eq!(
            tiered_start(&[(L1, 80), (L1, 40), (L0, 10), (L0, 10), (L0, 10), (L0, 10)]),
            0
        );
        // 161 is more than 40 + 40 + 80: it stays, and so does everything older.
        assert_eq!(
            tiered_start(&[(L1, 500), (L1, 161), (L1, 80), (L1, 40), (L0, 10), (L0, 30)]),
            2
        );
        // An L1 file bigger than the L0 files stays alone.
        assert_eq!(
            tiered_start(&[(L1, 41), (L0, 10), (L0, 10), (L0, 10), (L0, 10)]),
            1
        );
        assert_eq!(tiered_start(&[(L0, 10), (L0, 10)]), 0);
    }

    #[test]
    fn tiering_rewrites_a_point_about_log2_times() {
        // 64 flushes of one size, compacted every 4: the L1 files stay few and each byte is
        // rewritten far fewer times than merging everything at each compaction would.
        let (mut files, mut written, mut everything) = (Vec::new(), 0u64, 0u64);
        for flush in 1..=64u64 {
            files.push((L0, 1));
            if flush % 4 == 0 {
                let start = tiered_start(&files);
                let merged: u64 = files[start..].iter().map(|f| f.1).sum();
                files.truncate(start);
                files.push((L1, merged));
                written += merged;
                everything += flush;
            }
        }
        assert!(files.len() <= 5, "{files:?}");
        assert!(written * 2 < everything, "{written} vs {everything}");
    }
}
