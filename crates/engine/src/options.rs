//! Engine configuration and its defaults.

use std::path::PathBuf;
use std::time::Duration;

use crate::lsm::partition::DEFAULT_WIDTH;
use crate::wal::SyncPolicy;

/// How the engine is set up. Every field has a production default.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Root directory: `wal/`, `manifest/`, `sst/` live below it.
    pub data_dir: PathBuf,
    /// WAL durability (default: fsync before acknowledging, with group commit).
    pub wal_sync: SyncPolicy,
    /// A MemTable is frozen and flushed once it holds this many bytes (default 32 MiB).
    pub memtable_bytes: usize,
    /// Writes are refused with backpressure while MemTables hold more than this (default
    /// 512 MiB): flushes have fallen behind.
    pub memtable_hard_cap: usize,
    /// Width of a time partition in nanoseconds (default one day).
    pub partition_width: i64,
    /// Points per SSTable block (default 2048).
    pub block_points: usize,
    /// Bytes of decoded blocks kept in the block cache (default 64 MiB; 0 disables it).
    pub block_cache_bytes: usize,
    /// A partition is compacted once it has this many L0 files (default 4).
    pub l0_compaction_trigger: usize,
    /// Partitions entirely older than this (relative to the wall clock) are dropped.
    pub retention: Option<Duration>,
    /// A MemTable that has received no write for this long is flushed (default 60 s), so an
    /// idle server keeps nothing only in the WAL. `None` disables it.
    pub flush_idle: Option<Duration>,
    /// Once no write has arrived for this long (default 120 s), every partition with more
    /// than one file or any L0 file is compacted to a single L1 file. `None` disables it.
    pub compact_idle: Option<Duration>,
    /// Flush the MemTables when the engine is closed (default true), so a restart replays
    /// nothing and the data directory holds only SSTables.
    pub flush_on_close: bool,
    /// Partitions entirely older than this get rollups (L2): per-window count, sum, min,
    /// max, first, last of every numeric field. `None` (default) writes none.
    pub rollup_after: Option<Duration>,
    /// Rollup window widths in nanoseconds (default 1 min and 1 h).
    pub rollup_windows: Vec<i64>,
    /// Rollups of partitions entirely older than this are dropped (default: kept).
    pub rollup_retention: Option<Duration>,
    /// Run flushes, compactions and retention on a background thread (default true). Tests
    /// turn it off and call [`crate::Engine::flush`] / [`crate::Engine::compact`] themselves.
    pub background: bool,
    /// Keep what precedes a corrupt WAL record instead of refusing to open.
    pub wal_salvage: bool,
    /// Most series one measurement may have; a write that would create more is refused
    /// whole ([`crate::Error::SeriesLimit`]). Existing series keep accepting points. `None`
    /// (default): no limit.
    pub max_series_per_measurement: Option<usize>,
    /// Test hook: sleep this long inside every flush and compaction, so crash tests can kill
    /// the process while one is running.
    pub slow_background: Option<Duration>,
}

impl EngineOptions {
    /// The defaults with the background threads off: nothing is flushed, compacted, rolled
    /// up or expired unless the caller asks ([`crate::Engine::flush`] and the like). For
    /// tools that open a data directory briefly (`strata inspect`) and for tests.
    pub fn manual(data_dir: impl Into<PathBuf>) -> Self {
        EngineOptions {
            background: false,
            ..EngineOptions::new(data_dir)
        }
    }

    /// The production defaults.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        EngineOptions {
            data_dir: data_dir.into(),
            wal_sync: SyncPolicy::Always,
            memtable_bytes: 32 << 20,
            memtable_hard_cap: 512 << 20,
            partition_width: DEFAULT_WIDTH,
            block_points: strata_codec::DEFAULT_BLOCK_POINTS,
            block_cache_bytes: 64 << 20,
            l0_compaction_trigger: 4,
            retention: None,
            flush_idle: Some(Duration::from_secs(60)),
            compact_idle: Some(Duration::from_secs(120)),
            flush_on_close: true,
            rollup_after: None,
            rollup_windows: vec![60_000_000_000, 3_600_000_000_000],
            rollup_retention: None,
            background: true,
            wal_salvage: false,
            max_series_per_measurement: None,
            slow_background: None,
        }
    }
}
