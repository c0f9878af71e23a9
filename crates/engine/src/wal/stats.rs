//! WAL counters for metrics and tests: [`WalStats`].

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the WAL's counters since it was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalStats {
    /// Bytes written to segment files (headers and framing included).
    pub bytes_written: u64,
    /// Records written (acknowledged, or about to be).
    pub records: u64,
    /// Group-commit writes (each is one write call).
    pub batches: u64,
    /// `sync_data` calls on segment files, failed ones included.
    pub fsyncs: u64,
    /// Segment files created.
    pub segments_created: u64,
}

impl WalStats {
    /// Adds `o` to these.
    pub fn add(&mut self, o: &WalStats) {
        self.bytes_written += o.bytes_written;
        self.records += o.records;
        self.batches += o.batches;
        self.fsyncs += o.fsyncs;
        self.segments_created += o.segments_created;
    }
}

/// Live counters, updated with relaxed atomics.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    bytes_written: AtomicU64,
    records: AtomicU64,
    batches: AtomicU64,
    fsyncs: AtomicU64,
    segments_created: AtomicU64,
}

impl Counters {
    pub fn wrote(&self, bytes: usize) {
        self.bytes_written
            .fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub fn batch(&self, records: u64) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.records.fetch_add(records, Ordering::Relaxed);
    }

    pub fn fsync(&self) {
        self.fsyncs.fetch_add(1, Ordering::Relaxed);
    }

    pub fn segment_created(&self) {
        self.segments_created.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> WalStats {
        WalStats {
            bytes_written: self.bytes_written.load(Ordering::Relaxed),
            records: self.records.load(Ordering::Relaxed),
            batches: self.batches.load(Ordering::Relaxed),
            fsyncs: self.fsyncs.load(Ordering::Relaxed),
            segments_created: self.segments_created.load(Ordering::Relaxed),
        }
    }
}
