//! SSTables: immutable sorted files of codec-encoded column blocks with a block index, a bloom
//! filter of their series and a checksummed footer ([`format`]); written by [`SstWriter`]
//! (a block whose timestamps equal an earlier block's refers to them: [`shared_ts`]),
//! read through a memory map by [`SstReader`]; decoded blocks and column entries are kept
//! in the [`BlockCache`], which the read path fills and the LSM empties of dropped tables.

mod bloom;
mod cache;
mod format;
mod keys;
mod reader;
mod shared_ts;
mod writer;

pub use cache::BlockCache;
pub use format::{BlockMeta, ColumnEntry};
pub use keys::KeyCursor;
pub use reader::{Columns, SstReader};
pub use writer::SstWriter;
