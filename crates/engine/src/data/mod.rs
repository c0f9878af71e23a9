//! The values every layer moves: points as they are written ([`Point`], [`FieldValue`]) and
//! a series column in memory ([`ColumnData`]), shared by the MemTable, SSTables, reads and
//! compaction.

mod column;
mod point;

pub use column::ColumnData;
pub use point::{FieldValue, Point, ValueType};
