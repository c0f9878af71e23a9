//! Writes one SSTable: columns added in (series key, field) order, cut into codec blocks of at
//! most `block_points` points, each followed by its CRC32C; then the meta section and footer.
//! The file is written under a temporary name, fsynced, renamed into place and the directory
//! fsynced, so a crash leaves either no file or a whole one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use strata_codec::BlockEncoder;

use super::bloom::Bloom;
use super::format::{BlockMeta, ColumnMeta, Footer, HEADER_LEN, MAGIC, Meta, VERSION};
use crate::column::ColumnData;
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

/// Streams columns into a new SSTable.
pub struct SstWriter {
    fs: Arc<dyn FileSystem>,
    tmp: PathBuf,
    path: PathBuf,
    file: Box<dyn WritableFile>,
    offset: u64,
    block_points: usize,
    encoder: BlockEncoder,
    buf: Vec<u8>,
    series: Vec<String>,
    columns: Vec<ColumnMeta>,
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
        file.write_all(&header)?;
        Ok(SstWriter {
            fs,
            tmp,
            path: path.to_path_buf(),
            file,
            offset: HEADER_LEN as u64,
            block_points: block_points.clamp(1, strata_codec::MAX_BLOCK_POINTS),
            encoder: BlockEncoder::default(),
            buf: Vec::new(),
            series: Vec::new(),
            columns: Vec::new(),
            info: SstInfo {
                size: 0,
                points: 0,
                min_ts: i64::MAX,
                max_ts: i64::MIN,
            },
        })
    }

    /// Adds one column. Calls must come in ascending (series, field) order; `data` must be
    /// sorted by time and non-empty.
    pub fn add_column(&mut self, series: &str, field: &str, data: &ColumnData) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        if self.series.last().map(String::as_str) != Some(series) {
            if self
                .series
                .last()
                .is_some_and(|last| last.as_str() > series)
            {
                return Err(Error::InvalidArgument(format!(
                    "series {series:?} added out of order"
                )));
            }
            self.series.push(series.to_string());
        }
        let series_idx = (self.series.len() - 1) as u32;
        let mut blocks = Vec::new();
        let mut start = 0;
        while start < data.len() {
            let end = (start + self.block_points).min(data.len());
            let idx: Vec<usize> = (start..end).collect();
            let part = if start == 0 && end == data.len() {
                data.clone()
            } else {
                data.gather(&idx)
            };
            self.buf.clear();
            self.encoder
                .encode(&part.ts, part.values.as_ref(), &mut self.buf)
                .map_err(|e| Error::InvalidArgument(format!("encoding {series} {field}: {e}")))?;
            let crc = crc32c::crc32c(&self.buf);
            self.buf.extend_from_slice(&crc.to_le_bytes());
            self.file.write_all(&self.buf)?;
            let (min_ts, max_ts) = (part.ts[0], part.ts[part.len() - 1]);
            blocks.push(BlockMeta {
                offset: self.offset,
                len: (self.buf.len() - 4) as u32,
                points: part.len() as u32,
                min_ts,
                max_ts,
            });
            self.offset += self.buf.len() as u64;
            self.info.points += part.len() as u64;
            self.info.min_ts = self.info.min_ts.min(min_ts);
            self.info.max_ts = self.info.max_ts.max(max_ts);
            start = end;
        }
        self.columns.push(ColumnMeta {
            series: series_idx,
            field: field.to_string(),
            value_type: data.value_type(),
            blocks,
        });
        Ok(())
    }

    /// True when no column was added.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// Writes meta and footer, syncs, and moves the file into place.
    pub fn finish(mut self) -> Result<SstInfo> {
        let mut bloom = Bloom::with_capacity(self.series.len());
        for s in &self.series {
            bloom.insert(s.as_bytes());
        }
        let meta = Meta {
            series: std::mem::take(&mut self.series),
            columns: std::mem::take(&mut self.columns),
            bloom,
        };
        let mut bytes = Vec::new();
        meta.encode(&mut bytes);
        let footer = Footer {
            meta_offset: self.offset,
            meta_len: bytes.len() as u64,
            meta_crc: crc32c::crc32c(&bytes),
            min_ts: self.info.min_ts,
            max_ts: self.info.max_ts,
            points: self.info.points,
        };
        bytes.extend_from_slice(&footer.encode());
        self.file.write_all(&bytes)?;
        self.file.sync_data()?;
        self.info.size = self.offset + bytes.len() as u64;
        drop(self.file);
        self.fs.rename(&self.tmp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            self.fs.sync_dir(dir)?;
        }
        Ok(self.info)
    }
}
