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
    /// Partitions whose data is in the cold tier only (their local cold listings).
    pub cold_partitions: u64,
    pub wal: WalStats,
}

impl LevelStats {
    fn add(&mut self, o: &LevelStats) {
        self.files += o.files;
        self.bytes += o.bytes;
        self.points += o.points;
    }
}

impl EngineStats {
    /// Adds `o` to these (a server's several databases, reported as one).
    pub fn add(&mut self, o: &EngineStats) {
        self.points_written += o.points_written;
        self.batches_written += o.batches_written;
        self.flushes += o.flushes;
        self.compactions += o.compactions;
        self.backpressure += o.backpressure;
        self.memtable_bytes += o.memtable_bytes;
        self.frozen_memtable_bytes += o.frozen_memtable_bytes;
        self.series += o.series;
        self.tombstones += o.tombstones;
        self.cache_hits += o.cache_hits;
        self.cache_misses += o.cache_misses;
        self.cache_bytes += o.cache_bytes;
        self.cold_partitions += o.cold_partitions;
        for (l, o) in self.levels.iter_mut().zip(&o.levels) {
            l.add(o);
        }
        self.wal.add(&o.wal);
    }
}
