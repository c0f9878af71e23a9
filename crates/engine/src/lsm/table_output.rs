//! A table being written by a flush, a compaction or a rollup: columns go in as they are
//! produced, in (series, field) order, so a job holds one column at a time, never its whole
//! output. Dropped unfinished (an error anywhere), it removes its file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::manifest::FileMeta;
use super::version::{TableHandle, table_path};
use crate::error::Result;
use crate::io::FileSystem;
use crate::sst::SstWriter;

/// The file being written and the manifest entry it will get.
pub struct TableOutput {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    id: u64,
    writer: SstWriter,
    level: u8,
    partition: i64,
}

impl TableOutput {
    /// Starts table `id` of `level` and `partition` in `dir`.
    pub fn create(
        fs: Arc<dyn FileSystem>,
        dir: &Path,
        id: u64,
        (level, partition): (u8, i64),
        block_points: usize,
    ) -> Result<Self> {
        let writer = SstWriter::create(fs.clone(), &table_path(dir, id), block_points)?;
        Ok(TableOutput {
            fs,
            dir: dir.to_path_buf(),
            id,
            writer,
            level,
            partition,
        })
    }

    /// The writer the columns go to (in strictly ascending (series, field) order).
    pub fn writer(&mut self) -> &mut SstWriter {
        &mut self.writer
    }

    /// Finishes and opens the table; `None` (and no file) if no column was added.
    pub fn finish(self, max_seq: u64) -> Result<Option<Arc<TableHandle>>> {
        if self.writer.is_empty() {
            self.writer.discard()?;
            return Ok(None);
        }
        let info = self.writer.finish()?;
        let meta = FileMeta {
            id: self.id,
            level: self.level,
            partition: self.partition,
            min_ts: info.min_ts,
            max_ts: info.max_ts,
            max_seq,
            size: info.size,
            points: info.points,
        };
        Ok(Some(Arc::new(TableHandle::open(self.fs, &self.dir, meta)?)))
    }
}
