//! The write path in memory: a batch's WAL record ([`wal_record`], the payload the [`crate::wal`]
//! frames) and the [`MemTable`] that holds recent writes until a flush.

pub mod memtable;
pub mod wal_record;

pub use memtable::{Insert, MemTable};
