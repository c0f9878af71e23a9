//! Every decoder of on-disk data, exposed for the fuzz targets and the bounded-decoding
//! tests: each takes bytes (or a file) an attacker or a failing disk may have written and must
//! answer with data or an error, never a panic or an unbounded allocation.

use std::path::Path;

use crate::error::Result;
use crate::io::FileSystem;
use crate::write::WriteBatch;

/// A WAL record's payload: its sequence number and batch (as the first record of a replay:
/// a reference to a series slot no record defined is an error).
pub fn wal_record(bytes: &[u8]) -> std::result::Result<(u64, WriteBatch), String> {
    crate::write::wal_record::decode(bytes, &mut Default::default())
}

/// A manifest record: how many edits it holds.
pub fn manifest_record(bytes: &[u8]) -> std::result::Result<usize, String> {
    crate::lsm::manifest::decode(bytes).map(|edits| edits.len())
}

/// An SSTable file: opens it (header, footer, meta section), looks every series key up
/// (bloom filter, binary search), then reads and checks every block. Returns the number of
/// blocks.
pub fn sst_file(fs: &dyn FileSystem, path: &Path) -> Result<u64> {
    let reader = crate::sst::SstReader::open(fs, path)?;
    let mut keys = crate::sst::KeyCursor::default();
    for i in 0..reader.series_count() {
        let key = reader.series_key(i, &mut keys)?;
        reader.find_series(key)?;
    }
    reader.verify()
}
