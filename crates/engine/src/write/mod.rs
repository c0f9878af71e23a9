//! The write path in memory: a [`WriteBatch`] (a request grouped by series), its WAL record
//! ([`wal_record`], the payload the [`crate::wal`] frames) and the [`MemTable`] that holds
//! recent writes until a flush.

pub mod batch;
mod by_id;
pub mod memtable;
pub mod wal_record;
pub mod wal_slots;

pub use batch::{BatchPoint, BatchSeries, WriteBatch};
pub use memtable::MemTable;
