//! The read path: a [`Snapshot`] (MemTables + a version) answers reads of a series column,
//! streamed by a [`ColumnScan`] a chunk at a time; [`rollups`] reads L2 summaries back;
//! [`cold`] is where the points of exported partitions come from; [`parallel`] splits a
//! read of many series across the cores.

pub mod cold;
pub mod parallel;
pub mod rollups;
pub mod scan;
pub mod snapshot;

pub use cold::{ColdRead, ColdSource};
pub use parallel::{in_parts, part_count};
pub use rollups::Rollup;
pub use scan::{Chunk, ColumnScan};
pub use snapshot::{Snapshot, Take};
