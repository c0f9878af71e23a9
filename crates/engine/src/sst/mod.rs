//! SSTables: immutable sorted files of codec-encoded column blocks with a block index, a bloom
//! filter of their series and a checksummed footer.

pub mod bloom;
pub mod format;
pub mod reader;
pub mod writer;

pub use format::{BlockList, BlockMeta, ColumnEntry, OwnedColumn};
pub use reader::Columns;
pub use reader::SstReader;
pub use writer::{SstInfo, SstWriter};
