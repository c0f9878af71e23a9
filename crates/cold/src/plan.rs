//! The export planner: a pure function of the live tables, the current manifest, the clock
//! and the options, deciding which partitions to export (again) and which superseded files
//! may be deleted. Nothing here does I/O ([`crate::export`] carries the plan out).
//!
//! A partition is exported once it is sealed and compacted: its last timestamp is older than
//! `cold_after`, it has no L0 (flushed, not yet compacted) table, and its tables differ from
//! the ones the manifest says were exported (a late write or a delete changes them, so the
//! partition is exported again as a new generation). A manifest partition past `retention`
//! is dropped from the manifest (its files superseded), like local partitions.

use std::collections::BTreeMap;
use std::time::Duration;

use strata_engine::{COMPACTED_LEVEL, FLUSH_LEVEL, FileMeta, partition_last};

use crate::manifest::{Manifest, Source};

/// When the planner acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// A partition whose last timestamp is older than this is exported.
    pub cold_after: Duration,
    /// A superseded file is deleted this long after the manifest stopped referencing it
    /// (readers that loaded an older manifest may still be reading it).
    pub grace: Duration,
    /// Data older than this is dropped from the cold tier too (`None`: kept).
    pub retention: Option<Duration>,
    /// Test hook (crash tests): the executor sleeps this long after each file it uploads.
    pub test_pause: Option<Duration>,
}

/// What to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportPlan {
    /// Partitions to export, by start.
    pub export: Vec<PartitionJob>,
    /// Manifest partitions (starts) to drop: past retention.
    pub expire: Vec<i64>,
    /// Superseded objects whose grace period is over.
    pub delete: Vec<String>,
}

impl ExportPlan {
    pub fn is_empty(&self) -> bool {
        self.export.is_empty() && self.expire.is_empty() && self.delete.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionJob {
    pub start: i64,
    /// Last timestamp (inclusive).
    pub end: i64,
    pub source: Source,
}

/// `now - d` in ns, saturating.
fn ago(now: i64, d: Duration) -> i64 {
    now.saturating_sub(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// See the module documentation.
/// `width` is the partition width (ns).
pub fn plan(
    tables: &[FileMeta],
    manifest: &Manifest,
    now: i64,
    width: i64,
    opts: &PlanOptions,
) -> ExportPlan {
    let sealed_before = ago(now, opts.cold_after);
    let mut by_partition: BTreeMap<i64, Vec<&FileMeta>> = BTreeMap::new();
    for t in tables.iter().filter(|t| t.level <= COMPACTED_LEVEL) {
        by_partition.entry(t.partition).or_default().push(t);
    }
    let expire_before = opts.retention.map(|r| ago(now, r));
    let mut out = ExportPlan::default();
    for (&start, ts) in &by_partition {
        let end = partition_last(start, width);
        if end >= sealed_before || ts.iter().any(|t| t.level == FLUSH_LEVEL) {
            continue;
        }
        if expire_before.is_some_and(|e| end < e) {
            continue;
        }
        let mut ids: Vec<u64> = ts.iter().map(|t| t.id).collect();
        ids.sort_unstable();
        let source = Source {
            tables: ids,
            max_seq: ts.iter().map(|t| t.max_seq).max().unwrap_or(0),
        };
        if manifest
            .partition(start)
            .is_some_and(|p| p.source == source)
        {
            continue;
        }
        out.export.push(PartitionJob { start, end, source });
    }
    if let Some(e) = expire_before {
        out.expire = manifest
            .partitions
            .iter()
            .filter(|p| p.end_ns < e)
            .map(|p| p.start_ns)
            .collect();
    }
    let deletable = ago(now, opts.grace);
    out.delete = manifest
        .superseded
        .iter()
        .filter(|s| s.since_ns <= deletable)
        .map(|s| s.path.clone())
        .collect();
    out
}

/// The exported partitions whose local copy may be dropped at `now` (`--local-retention`):
/// those ending more than `local_retention` ago whose local raw tables are exactly the ones
/// the manifest says were exported (so the store holds everything they hold), as (partition
/// start, table ids). The engine checks the tables again under its lock before it drops
/// anything.
pub fn offload(
    tables: &[FileMeta],
    manifest: &Manifest,
    now: i64,
    local_retention: Duration,
) -> Vec<(i64, Vec<u64>)> {
    let before = ago(now, local_retention);
    manifest
        .partitions
        .iter()
        .filter(|p| p.end_ns < before)
        .filter_map(|p| {
            let mut ids: Vec<u64> = tables
                .iter()
                .filter(|t| t.partition == p.start_ns && t.level <= COMPACTED_LEVEL)
                .map(|t| t.id)
                .collect();
            ids.sort_unstable();
            (!ids.is_empty() && ids == p.source.tables).then_some((p.start_ns, ids))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{PartitionEntry, Superseded};

    const W: i64 = 100;

    fn table(id: u64, level: u8, partition: i64) -> FileMeta {
        FileMeta {
            id,
            level,
            partition,
            min_ts: partition,
            max_ts: partition + 50,
            max_seq: id * 10,
            size: 1,
            points: 1,
        }
    }

    fn opts() -> PlanOptions {
        PlanOptions {
            cold_after: Duration::from_nanos(50),
            grace: Duration::from_nanos(30),
            retention: None,
            test_pause: None,
        }
    }

    #[test]
    fn exports_sealed_compacted_partitions_once() {
        let tables = [
            table(1, COMPACTED_LEVEL, 0),   // sealed, compacted
            table(2, COMPACTED_LEVEL, 100), // sealed, but an L0 table too
            table(3, FLUSH_LEVEL, 100),
            table(4, COMPACTED_LEVEL, 200), // not sealed: ends at 299, now - 50 = 250
            table(5, strata_engine::ROLLUP_LEVEL, 0), // rollups are not exported
        ];
        let mut m = Manifest::empty("db");
        let p = plan(&tables, &m, 300, W, &opts());
        assert_eq!(
            p.export,
            [PartitionJob {
                start: 0,
                end: 99,
                source: Source {
                    tables: vec![1],
                    max_seq: 10
                }
            }]
        );
        // Once the manifest has it, nothing to do; a new table (a late write) changes it.
        m.partitions.push(PartitionEntry {
            start_ns: 0,
            end_ns: 99,
            source: p.export[0].source.clone(),
            files: vec![],
        });
        assert!(plan(&tables, &m, 300, W, &opts()).is_empty());
        let mut later = tables.to_vec();
        later[0] = table(9, COMPACTED_LEVEL, 0);
        assert_eq!(
            plan(&later, &m, 300, W, &opts()).export[0].source.tables,
            [9]
        );
        // Later still, the partition of 200 is sealed as well.
        assert_eq!(plan(&tables, &m, 350, W, &opts()).export[0].start, 200);
    }

    #[test]
    fn offloads_only_what_the_manifest_covers_exactly() {
        let mut m = Manifest::empty("db");
        for (start, ids) in [(0, vec![1]), (100, vec![2]), (200, vec![4])] {
            m.partitions.push(PartitionEntry {
                start_ns: start,
                end_ns: start + 99,
                source: Source {
                    tables: ids,
                    max_seq: 0,
                },
                files: vec![],
            });
        }
        let tables = [
            table(1, COMPACTED_LEVEL, 0),   // exported as it is
            table(2, COMPACTED_LEVEL, 100), // exported, then a late write
            table(3, FLUSH_LEVEL, 100),
            table(4, COMPACTED_LEVEL, 200), // exported, but too recent
            table(5, strata_engine::COLD_LEVEL, 0),
        ];
        let local = Duration::from_nanos(50);
        assert_eq!(offload(&tables, &m, 300, local), [(0, vec![1])]);
        assert_eq!(
            offload(&tables, &m, 350, local),
            [(0, vec![1]), (200, vec![4])]
        );
        // Already offloaded (only a cold listing left): nothing to do.
        assert!(offload(&tables[4..], &m, 350, local).is_empty());
    }

    #[test]
    fn superseded_files_wait_out_the_grace_period_and_retention_expires() {
        let mut m = Manifest::empty("db");
        m.superseded = vec![
            Superseded {
                path: "old".into(),
                since_ns: 100,
            },
            Superseded {
                path: "new".into(),
                since_ns: 290,
            },
        ];
        m.partitions.push(PartitionEntry {
            start_ns: 0,
            end_ns: 99,
            source: Source {
                tables: vec![],
                max_seq: 0,
            },
            files: vec![],
        });
        let p = plan(&[], &m, 300, W, &opts());
        assert_eq!(p.delete, ["old"]);
        assert!(p.expire.is_empty());
        let o = PlanOptions {
            retention: Some(Duration::from_nanos(150)),
            ..opts()
        };
        assert_eq!(plan(&[], &m, 300, W, &o).expire, [0]);
        // A local partition past retention is not exported either.
        assert!(
            plan(
                &[table(1, COMPACTED_LEVEL, 0)],
                &Manifest::empty("x"),
                300,
                W,
                &o
            )
            .export
            .is_empty()
        );
    }
}
