//! The read path: a [`Snapshot`] (MemTables + a version) answers reads of a series column,
//! streamed by a [`ColumnScan`] a chunk at a time; [`rollups`] reads L2 summaries back.

pub mod rollups;
pub mod scan;
pub mod snapshot;

pub use rollups::Rollup;
pub use scan::{Chunk, ColumnScan};
pub use snapshot::{Snapshot, Take};
