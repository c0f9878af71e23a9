//! Strata's storage engine: an LSM tree specialised for time series.
//!
//! The folders follow a point from the API to the disk and back:
//!
//! - `data/` and `index/`: what a point, a column and a series are; the catalog of series
//!   ids with their tag postings and field types.
//! - `write/`: a batch's WAL record and the MemTable; [`wal`]: the segmented, group-committed
//!   log that makes a write durable before it is acknowledged.
//! - `sst/`: the immutable table files (writer, memory-mapped reader, block cache).
//! - `lsm/`: manifest, versions and the jobs that move data down the levels (flush,
//!   compaction, rollups, retention, offloading exported partitions to cold listings), each
//!   a pure plan and an executor.
//! - `read/`: snapshots and the streaming scan of a series column.
//! - `db/`: the [`Engine`], which opens, writes, deletes, snapshots and schedules the jobs.
//! - [`io`]: the one way to the file system, so faults and power loss can be injected.
//!
//! The public surface is what this file re-exports, plus [`io`], [`wal`] (a standalone
//! component) and [`decoders`] (every decoder of on-disk data, for the fuzz targets).

#![cfg_attr(test, allow(clippy::disallowed_methods))]

mod clock;
mod data;
mod db;
pub mod decoders;
mod index;
pub mod io;
mod limits;
mod lsm;
mod options;
mod read;
mod sst;
mod stats;
pub mod wal;
mod write;

mod error;

pub use clock::now_ns;
pub use data::{ColumnData, FieldValue, Point, ValueType};
pub use db::backup::{BackupContents, BackupView, restore_manifest, sst_dir, sst_path};
pub use db::health::{BackgroundJob, JobCounts, JobFailure};
pub use db::write::{MAX_TIMESTAMP, MIN_TIMESTAMP};
pub use db::{Engine, VerifyReport};
pub use error::{Error, Result};
pub use index::{
    CanonicalTags, Catalog, FieldTypeConflict, MeasurementIndex, SeriesHandle, SeriesId, SeriesKey,
    cmp_canonical_tags, split_canonical,
};
pub use lsm::manifest::{
    COLD_LEVEL, COMPACTED_LEVEL, FLUSH_LEVEL, FileMeta, ROLLUP_LEVEL, Tombstone,
};
pub use lsm::partition::{DEFAULT_WIDTH as DEFAULT_PARTITION_WIDTH, partition_last, partition_of};
pub use options::EngineOptions;
pub use read::{
    Chunk, ColdRead, ColdSource, ColumnScan, Rollup, Snapshot, Take, in_parts, part_count,
};
pub use stats::{EngineStats, LevelStats};
pub use strata_codec::{Column, ColumnRef};
pub use wal::SyncPolicy;
pub use write::{BatchPoint, BatchSeries, WriteBatch};
