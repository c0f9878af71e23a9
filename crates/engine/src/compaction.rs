//! Compaction and retention.
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
//! The merge walks the inputs' column indexes together in (series, field) order
//! ([`ColumnWalk`]) and streams each merged column into the output file, so its memory is one
//! column, whatever the partition holds. It runs without holding any lock that writes or reads wait for; the new version is
//! installed at the end in one manifest edit (add output, remove inputs), and the inputs are
//! unlinked when the last snapshot using them is dropped.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use strata_codec::BlockDecoder;

use crate::column_walk::ColumnWalk;
use crate::db::{Shared, test_pause};
use crate::error::Result;
use crate::flush::TableOutput;
use crate::manifest::Edit;
use crate::partition::partition_end;
use crate::rollup::ROLLUP_LEVEL;
use crate::version::{TableHandle, Version, oldest_first};

/// Compacts every partition that needs it (`force`: every partition with more than one file).
pub(crate) fn compact_all(s: &Shared, force: bool) -> Result<()> {
    let _guard = s.compact_lock.lock();
    let version = s.version.read().clone();
    let mut partitions: BTreeMap<i64, Vec<Arc<TableHandle>>> = BTreeMap::new();
    for t in version
        .tables
        .iter()
        .filter(|t| t.meta.level != ROLLUP_LEVEL)
    {
        partitions
            .entry(t.meta.partition)
            .or_default()
            .push(t.clone());
    }
    for (partition, tables) in partitions {
        if s.shutdown.load(Ordering::Relaxed) {
            break;
        }
        let l0 = tables.iter().filter(|t| t.meta.level == 0).count();
        let due = if force {
            tables.len() > 1 || l0 > 0
        } else {
            l0 >= s.opts.l0_compaction_trigger
        };
        if due {
            compact_partition(s, &version, partition, tables)?;
        }
    }
    Ok(())
}

fn compact_partition(
    s: &Shared,
    version: &Version,
    partition: i64,
    mut inputs: Vec<Arc<TableHandle>>,
) -> Result<()> {
    test_pause(s);
    // Oldest data first: L1, then L0 by write sequence.
    oldest_first(&mut inputs);
    let mut dec = BlockDecoder::default();
    let max_seq = inputs.iter().map(|t| t.meta.max_seq).max().unwrap_or(0);
    let mut out = TableOutput::create(s, 1, partition)?;
    for col in ColumnWalk::new(&inputs)? {
        let col = col?;
        if let Some(data) = col.merge(version, &mut dec)? {
            out.writer().add_column(col.series, col.field, &data)?;
        }
    }
    let output = out.finish(max_seq)?;
    let mut edits: Vec<Edit> = output.iter().map(|t| Edit::AddFile(t.meta)).collect();
    edits.extend(inputs.iter().map(|t| Edit::RemoveFile(t.meta.id)));
    s.manifest.apply(edits)?;
    s.install(&inputs, output);
    s.counters.compactions.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(partition, inputs = inputs.len(), "compacted partition");
    Ok(())
}

/// Drops raw files (L0/L1) of every partition that ended before `now - retention`, and
/// rollup files (L2) of those that ended before `now - rollup_retention`. Returns the number
/// of files dropped.
pub(crate) fn apply_retention(s: &Shared) -> Result<usize> {
    if s.opts.retention.is_none() && s.opts.rollup_retention.is_none() {
        return Ok(0);
    }
    let _guard = s.compact_lock.lock();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0);
    let cutoff = |age: Option<std::time::Duration>| {
        age.map(|a| now.saturating_sub(a.as_nanos().min(i64::MAX as u128) as i64))
    };
    let (raw_cutoff, rollup_cutoff) = (cutoff(s.opts.retention), cutoff(s.opts.rollup_retention));
    let version = s.version.read().clone();
    let expired: Vec<Arc<TableHandle>> = version
        .tables
        .iter()
        .filter(|t| {
            let end = partition_end(t.meta.partition, s.opts.partition_width);
            let limit = if t.meta.level == ROLLUP_LEVEL {
                rollup_cutoff
            } else {
                raw_cutoff
            };
            limit.is_some_and(|c| end <= c)
        })
        .cloned()
        .collect();
    if expired.is_empty() {
        return Ok(0);
    }
    s.manifest.apply(
        expired
            .iter()
            .map(|t| Edit::RemoveFile(t.meta.id))
            .collect(),
    )?;
    s.install(&expired, None);
    tracing::info!(
        files = expired.len(),
        "retention dropped expired partitions"
    );
    Ok(expired.len())
}
