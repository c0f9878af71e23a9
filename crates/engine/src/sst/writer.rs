//! Writes one SSTable: columns added in (series key, field) order, cut into codec blocks of at
//! most `block_points` points, each followed by its CRC32C; then the meta section and footer.
//! The file is written under a temporary name, fsynced, renamed into place and the directory
//! fsynced, so a crash leaves either no file or a whole one. A writer dropped before
//! [`SstWriter::finish`] succeeded (an error on any path, a panic) removes what it wrote, so
//! a failed flush or compaction leaves no temporary file behind to fill the disk.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use strata_codec::BlockEncoder;

use super::bloom::Bloom;
use super::format::{
    BlockMeta, Footer, HEADER_LEN, MAGIC, MAX_META_LEN, VERSION, put_column_entry, put_meta,
};
use super::keys;
use super::shared_ts::SharedTimestamps;
use crate::data::ColumnData;
use crate::error::{Error, Result};
use crate::io::{FileSystem, WritableFile};

/// Summary of a finished SSTable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SstInfo {
    pub size: u64,
    pub points: u64,
    pub min_ts: i64,
    pub max_ts: i64,
}

/// What a writer has on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The temporary file.
    Writing,
    /// The file under its final name, its directory entry not yet synced.
    Renamed,
    /// A durable, finished table (or nothing, after a discard).
    Done,
}

/// Bytes of blocks gathered before one write to the file.
const WRITE_CHUNK: usize = 256 << 10;

/// Streams columns into a new SSTable.
pub struct SstWriter {
    fs: Arc<dyn FileSystem>,
    tmp: PathBuf,
    path: PathBuf,
    file: Box<dyn WritableFile>,
    /// How far [`SstWriter::finish`] got; anything short of `Done` is removed on drop.
    stage: Stage,
    offset: u64,
    block_points: usize,
    encoder: BlockEncoder,
    buf: Vec<u8>,
    /// Timestamp sections written so far, for blocks whose timestamps equal an earlier one's.
    shared: SharedTimestamps,
    shared_buf: Vec<u8>,
    /// Encoded blocks not yet handed to the file: written [`WRITE_CHUNK`] at a time, so a
    /// table of many small columns costs a few hundred `write(2)` calls, not one per block.
    pending: Vec<u8>,
    /// The meta section is built as columns arrive (encoded entries, not owned structs), so
    /// a table of a million series costs its encoded index while it is written.
    last_series: Option<String>,
    /// Field of the last column, to refuse a field out of order within a series.
    last_field: String,
    series_count: u64,
    series_entries: Vec<u8>,
    series_hashes: Vec<u64>,
    column_count: u64,
    column_entries: Vec<u8>,
    blocks: Vec<BlockMeta>,
    info: SstInfo,
}

impl SstWriter {
    /// Starts writing the file that will be named `path`.
    pub fn create(fs: Arc<dyn FileSystem>, path: &Path, block_points: usize) -> Result<Self> {
        let tmp = path.with_extension("sst.tmp");
        let mut file = fs.create(&tmp)?;
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&VERSION.to_le_bytes());
        if let Err(e) = file.write_all(&header) {
            drop(file);
            if let Err(rm) = fs.remove_file(&tmp) {
                tracing::warn!(path = %tmp.display(), error = %rm, "could not remove an unfinished SSTable");
            }
            return Err(e);
        }
        Ok(SstWriter {
            fs,
            tmp,
            path: path.to_path_buf(),
            file,
            stage: Stage::Writing,
            offset: HEADER_LEN as u64,
            block_points: block_points.clamp(1, strata_codec::MAX_BLOCK_POINTS),
            encoder: BlockEncoder::default(),
            buf: Vec::new(),
            shared: SharedTimestamps::default(),
            shared_buf: Vec::new(),
            pending: Vec::new(),
            last_series: None,
            last_field: String::new(),
            series_count: 0,
            series_entries: Vec::new(),
            series_hashes: Vec::new(),
            column_count: 0,
            column_entries: Vec::new(),
            blocks: Vec::new(),
            info: SstInfo {
                size: 0,
                points: 0,
                min_ts: i64::MAX,
                max_ts: i64::MIN,
            },
        })
    }

    /// Adds one column. Calls must come in strictly ascending (series, field) order; `data`
    /// must be sorted by time (an empty column is skipped).
    pub fn add_column(&mut self, series: &str, field: &str, data: &ColumnData) -> Result<()> {
        self.add_slices(series, field, &data.ts, data.values.as_ref())
    }

    /// [`SstWriter::add_column`] from borrowed timestamps and values of equal length (part
    /// of a longer column, say), which it encodes without copying.
    pub fn add_slices(
        &mut self,
        series: &str,
        field: &str,
        ts: &[i64],
        values: strata_codec::ColumnRef<'_>,
    ) -> Result<()> {
        if ts.len() != values.len() {
            return Err(Error::InvalidArgument(format!(
                "column {series} {field}: {} timestamps but {} values",
                ts.len(),
                values.len()
            )));
        }
        if ts.is_empty() {
            return Ok(());
        }
        let series_idx = self.begin_column(series, field)?;
        self.blocks.clear();
        let mut start = 0;
        let all = ts;
        while start < all.len() {
            let end = (start + self.block_points).min(all.len());
            let ts = &all[start..end];
            self.buf.clear();
            self.encoder
                .encode(ts, values.slice(start..end), &mut self.buf)
                .map_err(|e| Error::InvalidArgument(format!("encoding {series} {field}: {e}")))?;
            self.share_timestamps()
                .map_err(|e| Error::InvalidArgument(format!("encoding {series} {field}: {e}")))?;
            let crc = crc32c::crc32c(&self.buf);
            self.buf.extend_from_slice(&crc.to_le_bytes());
            self.pending.extend_from_slice(&self.buf);
            if self.pending.len() >= WRITE_CHUNK {
                self.file.write_all(&self.pending)?;
                self.pending.clear();
            }
            let (min_ts, max_ts) = (ts[0], ts[ts.len() - 1]);
            self.blocks.push(BlockMeta {
                offset: self.offset,
                len: (self.buf.len() - 4) as u32,
                points: ts.len() as u32,
                min_ts,
                max_ts,
            });
            self.offset += self.buf.len() as u64;
            self.info.points += ts.len() as u64;
            self.info.min_ts = self.info.min_ts.min(min_ts);
            self.info.max_ts = self.info.max_ts.max(max_ts);
            start = end;
        }
        put_column_entry(
            &mut self.column_entries,
            series_idx,
            field,
            values.value_type(),
            &self.blocks,
        );
        self.column_count += 1;
        Ok(())
    }

    /// Replaces the block in `buf` by one that refers to an earlier block's timestamps when
    /// an earlier block of this table holds the same ones; otherwise remembers its section.
    fn share_timestamps(&mut self) -> strata_codec::Result<()> {
        let Some(section) = strata_codec::timestamp_section(&self.buf)? else {
            return Ok(());
        };
        let here = strata_codec::TimestampsAt {
            offset: self.offset,
            len: self.buf.len() as u64,
        };
        if let Some(at) = self.shared.find_or_hold(section, here) {
            self.shared_buf.clear();
            strata_codec::share_timestamps(&self.buf, at, &mut self.shared_buf)?;
            std::mem::swap(&mut self.buf, &mut self.shared_buf);
        }
        Ok(())
    }

    /// Checks that `(series, field)` comes after the last column and records the series
    /// when it is new; returns the series' index.
    fn begin_column(&mut self, series: &str, field: &str) -> Result<u32> {
        match &mut self.last_series {
            Some(last) if last.as_str() == series => {
                if self.last_field.as_str() >= field {
                    return Err(Error::InvalidArgument(format!(
                        "field {field:?} of series {series:?} added out of order"
                    )));
                }
            }
            Some(last) if last.as_str() > series => {
                return Err(Error::InvalidArgument(format!(
                    "series {series:?} added out of order"
                )));
            }
            last => {
                let prev = last.as_deref().unwrap_or_default();
                keys::put_entry(&mut self.series_entries, self.series_count, prev, series);
                self.series_hashes.push(Bloom::hash(series.as_bytes()));
                self.series_count += 1;
                let last = last.get_or_insert_with(String::new);
                last.clear();
                last.push_str(series);
            }
        }
        self.last_field.clear();
        self.last_field.push_str(field);
        Ok((self.series_count - 1) as u32)
    }

    /// Adds a listing: a column with no blocks, naming a field of `value_type` whose points in
    /// `[min_ts, max_ts]` are held elsewhere (a cold listing's, see `COLD_LEVEL`). The
    /// table's time range covers it; its point count does not.
    pub fn add_listing(
        &mut self,
        series: &str,
        field: &str,
        value_type: crate::data::ValueType,
        (min_ts, max_ts): (i64, i64),
    ) -> Result<()> {
        let series_idx = self.begin_column(series, field)?;
        put_column_entry(&mut self.column_entries, series_idx, field, value_type, &[]);
        self.column_count += 1;
        self.info.min_ts = self.info.min_ts.min(min_ts);
        self.info.max_ts = self.info.max_ts.max(max_ts);
        Ok(())
    }

    /// True when no column was added.
    pub fn is_empty(&self) -> bool {
        self.column_count == 0
    }

    /// Abandons the file: removes what was written under the temporary name.
    pub fn discard(mut self) -> Result<()> {
        self.stage = Stage::Done;
        self.fs.remove_file(&self.tmp)
    }

    /// Writes meta and footer, syncs, and moves the file into place.
    pub fn finish(mut self) -> Result<SstInfo> {
        let mut bloom = Bloom::with_capacity(self.series_hashes.len());
        for &h in &self.series_hashes {
            bloom.insert_hash(h);
        }
        let mut bytes = Vec::new();
        put_meta(
            &mut bytes,
            (self.series_count, &self.series_entries),
            (self.column_count, &self.column_entries),
            &bloom,
        );
        if bytes.len() as u64 > MAX_META_LEN {
            return Err(Error::InvalidArgument(format!(
                "SSTable index of {} bytes exceeds the {MAX_META_LEN}-byte limit",
                bytes.len()
            )));
        }
        let footer = Footer {
            meta_offset: self.offset,
            meta_len: bytes.len() as u64,
            meta_crc: crc32c::crc32c(&bytes),
            min_ts: self.info.min_ts,
            max_ts: self.info.max_ts,
            points: self.info.points,
        };
        bytes.extend_from_slice(&footer.encode());
        self.file.write_all(&self.pending)?;
        self.pending = Vec::new();
        self.file.write_all(&bytes)?;
        self.file.sync_data()?;
        self.info.size = self.offset + bytes.len() as u64;
        self.fs.rename(&self.tmp, &self.path)?;
        self.stage = Stage::Renamed;
        if let Some(dir) = self.path.parent() {
            self.fs.sync_dir(dir)?;
        }
        self.stage = Stage::Done;
        Ok(self.info)
    }
}

impl Drop for SstWriter {
    fn drop(&mut self) {
        let left = match self.stage {
            Stage::Writing => &self.tmp,
            Stage::Renamed => &self.path,
            Stage::Done => return,
        };
        if let Err(e) = self.fs.remove_file(left) {
            tracing::warn!(path = %left.display(), error = %e, "could not remove an unfinished SSTable");
        }
    }
}
