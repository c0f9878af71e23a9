//! The write-ahead log: durable, ordered, checksummed records in segment
//! files, with group commit and crash recovery.
//!
//! Records are opaque byte payloads (the engine encodes a write batch into
//! one). The byte layout is specified in `docs/format.md` (section "Write-ahead log") and implemented
//! in the `format` submodule.
//!
//! # Files
//!
//! A directory of segments named `{seq:020}.wal`, each starting with a
//! 20-byte header (magic `STRWAL`, version, sequence number, crc32c),
//! followed by records `[len u32 LE][crc32c u32 LE of payload][payload]`.
//! Sequence numbers only grow; new writes always go to a new segment after
//! open. [`Wal::rotate`] (called when a memtable becomes immutable) and
//! `segment_size` start new segments; [`Wal::remove_segments_before`] deletes
//! old ones once their records are durable elsewhere.
//!
//! # What each [`SyncPolicy`] can lose
//!
//! | policy | process crash | OS crash / power loss |
//! |---|---|---|
//! | `Always` (default) | nothing acknowledged | nothing acknowledged |
//! | `Interval(d)` | nothing acknowledged | up to `d` of acknowledged records (plus the fsync in progress) |
//! | `None` | nothing acknowledged | everything not yet written back by the kernel since the last rotation |
//!
//! "Acknowledged" means `append` returned `Ok`. Under every policy a record
//! that was not acknowledged may or may not be recovered. Rotation and close
//! always fsync.
//!
//! # Failures
//!
//! A failed fsync is never retried (the kernel may have dropped the dirty
//! pages and a second fsync would wrongly succeed; PostgreSQL's 2018 "fsync
//! gate"): the WAL enters a failed state, that append and every later one
//! return [`crate::Error::ReadOnly`], and [`Wal::failure`] says why. Restart
//! to recover from what is on disk. A failed write (e.g. ENOSPC) is rolled
//! back by truncating the segment to its previous length; the writers of that
//! batch get the I/O error, and later appends may succeed. If the rollback
//! fails too, the WAL enters the failed state.
//!
//! # Recovery
//!
//! [`Wal::open`] replays segments in order through a callback. In the last
//! segment a torn tail (partial record, zero-filled tail, checksum mismatch
//! with nothing valid after it, or an unwritten hole before later records) is
//! truncated with a warning. Any other invalid record is
//! [`crate::Error::Corrupt`] naming the file and the offset, unless
//! [`WalOptions::salvage`] is set. The `tail` submodule has the exact rules.

mod active;
mod background;
mod format;
mod options;
mod recovery;
mod segment;
mod state;
mod stats;
mod tail;
mod writer;

#[cfg(test)]
mod tests;

pub use format::{FORMAT_VERSION, MAGIC, RECORD_HEADER_LEN, SEGMENT_HEADER_LEN};
pub use options::{DEFAULT_MAX_RECORD_SIZE, DEFAULT_SEGMENT_SIZE, SyncPolicy, WalOptions};
pub use recovery::{RecoveryReport, Salvage, TornTail};
pub use segment::segment_file_name;
pub use stats::WalStats;
pub use writer::Wal;
