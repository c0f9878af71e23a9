//! Strata's storage engine: an LSM tree specialised for time series.
//!
//! Write path: [`Engine::write`] validates a batch, appends it to the [`wal`] as one record
//! (group-committed fsync) and inserts it into the [`memtable`]. A full MemTable is frozen and
//! [`flush`]ed into one L0 [`sst`] per time [`partition`]; [`compaction`] merges a partition's
//! files into one L1 file; the [`manifest`] records the live files as atomic edits, and a
//! [`version`] is the immutable set a reader holds. Read path: [`Engine::snapshot`] gives a
//! [`Snapshot`] that merges MemTables and SSTables per series column. The [`catalog`] maps
//! series keys to ids and keeps the tag postings. All file access goes through [`io`].

pub mod cache;
pub mod catalog;
pub mod column;
pub mod error;
pub mod io;
pub mod manifest;
pub mod memtable;
pub mod options;
pub mod partition;
pub mod point;
pub mod rollup;
pub mod scan;
pub mod snapshot;
pub mod sst;
pub mod stats;
pub mod version;
pub mod wal;
pub mod wal_record;

mod background;
mod column_walk;
mod compaction;
mod db;
mod flush;
mod lock;

pub use cache::BlockCache;
pub use catalog::{Catalog, MeasurementIndex, SeriesId};
pub use column::ColumnData;
pub use db::Engine;
pub use error::{Error, Result};
pub use options::EngineOptions;
pub use point::{FieldValue, Point, SeriesKey, ValueType};
pub use rollup::Rollup;
pub use scan::{Chunk, ColumnScan};
pub use snapshot::Snapshot;
pub use stats::EngineStats;
pub use strata_codec::Column;
pub use wal::SyncPolicy;

/// Most elements reserved up front for a count read from disk: the count is already bounded
/// by the input length, but an element is larger than a byte, so reserving all of it could
/// amplify a forged count; vectors grow past this as elements actually decode.
pub(crate) const PREALLOC_LIMIT: usize = 1024;
