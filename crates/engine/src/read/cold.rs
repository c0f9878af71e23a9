//! The engine's view of the cold tier: a partition whose data was exported to an object
//! store and dropped locally keeps a cold listing (a table of level `COLD_LEVEL`: its series
//! and fields, no blocks), and reads of a series there ask the [`ColdSource`] the server
//! installs with [`crate::Engine::set_cold_source`]. The engine neither knows nor cares how
//! the source finds the points (Parquet files in a store, through a local cache); it merges
//! them as the oldest data of their partition, under every newer write and tombstone.

use crate::data::ColumnData;
use crate::error::Result;

/// One series' points in an exported partition.
#[derive(Debug, Clone, Copy)]
pub struct ColdRead<'a> {
    /// Start and last timestamp (inclusive) of the time partition (ns).
    pub partition: i64,
    pub partition_last: i64,
    /// The series' canonical key.
    pub series: &'a str,
    /// The fields wanted; the answer is aligned with them.
    pub fields: &'a [&'a str],
    /// `start <= ts < end` (ns).
    pub start: i64,
    pub end: i64,
}

/// Where the exported partitions' points come from.
pub trait ColdSource: Send + Sync + std::fmt::Debug {
    /// The points of each of `read.fields` (sorted by time, deduplicated; `None` where the
    /// series has no such field there). An unreachable store is [`crate::Error::ColdUnavailable`],
    /// a damaged file [`crate::Error::Corrupt`]: never a partial answer.
    fn read(&self, read: &ColdRead<'_>) -> Result<Vec<Option<ColumnData>>>;
}
