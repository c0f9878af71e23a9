//! Engine counters (updated on the hot paths with relaxed atomics) and the snapshot of them
//! that `/metrics` and `strata inspect` print.

use std::sync::atomic::AtomicU64;

use crate::wal::WalStats;

/// Live counters.
#[derive(Debug, Default)]
pub struct Counters {
    pub points_written: AtomicU64,
    pub batches_written: AtomicU64,
    pub flushes: AtomicU64,
    pub compactions: AtomicU64,
    pub backpressure: AtomicU64,
}

/// Files, bytes and points of one level.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LevelStats {
    pub files: u64,
    pub bytes: u64,
    pub points: u64,
}

/// A point-in-time copy of the engine's counters and gauges.
#[derive(Debug, Clone)]
pub struct EngineStats {
    pub points_written: u64,
    pub batches_written: u64,
    pub flushes: u64,
    pub compactions: u64,
    pub backpressure: u64,
    pub memtable_bytes: u64,
    pub frozen_memtable_bytes: u64,
    pub series: u64,
    /// Range deletes kept until compaction has reclaimed what they hide.
    pub tombstones: u64,
    pub cache_hits: u64,
    pub cache_misses: u64,
    pub cache_bytes: u64,
    /// Index 0: L0 (flushed), 1: L1 (compacted), 2: L2 (rollups).
    pub levels: [LevelStats; 3],
    pub wal: WalStats,
}
