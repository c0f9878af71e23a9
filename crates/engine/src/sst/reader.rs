//! Reads an SSTable through a memory map: validates header, footer and meta checksum on open,
//! keeps the series table, column index and bloom filter in memory, and decodes blocks on
//! demand after checking each block's CRC32C. Corruption is an error naming file and offset.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::Mmap;
use strata_codec::BlockDecoder;

use super::bloom::Bloom;
use super::format::{
    BLOCK_TRAILER, BlockMeta, ColumnMeta, FOOTER_LEN, Footer, HEADER_LEN, MAGIC, Meta, VERSION,
};
use crate::cache::BlockCache;
use crate::column::ColumnData;
use crate::error::{Error, Result};

/// An open SSTable.
#[derive(Debug)]
pub struct SstReader {
    path: PathBuf,
    map: Mmap,
    /// Canonical series keys, sorted (the writer refuses any other order): looked up by
    /// binary search, so each key is held once.
    series: Vec<String>,
    columns: Vec<ColumnMeta>,
    /// For each series index, the range of its columns in `columns`.
    series_columns: Vec<std::ops::Range<usize>>,
    bloom: Bloom,
    footer: Footer,
}

fn corrupt(path: &Path, offset: u64, reason: impl Into<String>) -> Error {
    Error::Corrupt {
        path: path.to_path_buf(),
        offset,
        reason: reason.into(),
    }
}

impl SstReader {
    pub fn open(path: &Path) -> Result<SstReader> {
        let file = std::fs::File::open(path).map_err(|source| Error::Io {
            op: "open",
            path: path.into(),
            source,
        })?;
        // SAFETY: SSTables are immutable once renamed into place; nothing truncates them while
        // the engine runs (deletion unlinks but the mapping stays valid).
        let map = unsafe { Mmap::map(&file) }.map_err(|source| Error::Io {
            op: "mmap",
            path: path.into(),
            source,
        })?;
        let len = map.len();
        if len < HEADER_LEN + FOOTER_LEN {
            return Err(corrupt(
                path,
                0,
                format!("file of {len} bytes is too short for an SSTable"),
            ));
        }
        if &map[0..8] != MAGIC {
            return Err(corrupt(path, 0, "bad header magic"));
        }
        let version = u16::from_le_bytes([map[8], map[9]]);
        if version != VERSION {
            return Err(Error::UnsupportedVersion {
                path: path.into(),
                found: version,
                supported: VERSION,
            });
        }
        let footer_at = len - FOOTER_LEN;
        let footer =
            Footer::decode(&map[footer_at..]).map_err(|r| corrupt(path, footer_at as u64, r))?;
        let meta_end = footer.meta_offset.checked_add(footer.meta_len);
        if footer.meta_offset < HEADER_LEN as u64 || meta_end != Some(footer_at as u64) {
            return Err(corrupt(
                path,
                footer_at as u64,
                "footer points outside the file",
            ));
        }
        let meta_bytes = &map[footer.meta_offset as usize..footer_at];
        if crc32c::crc32c(meta_bytes) != footer.meta_crc {
            return Err(corrupt(
                path,
                footer.meta_offset,
                "meta section checksum mismatch",
            ));
        }
        let meta = Meta::decode(meta_bytes, footer.meta_offset)
            .map_err(|r| corrupt(path, footer.meta_offset, r))?;
        let mut series_columns = vec![0..0; meta.series.len()];
        let mut i = 0;
        while i < meta.columns.len() {
            let s = meta.columns[i].series;
            let start = i;
            while i < meta.columns.len() && meta.columns[i].series == s {
                i += 1;
            }
            if let Some(r) = series_columns.get_mut(s as usize) {
                *r = start..i;
            }
        }
        Ok(SstReader {
            path: path.to_path_buf(),
            map,
            series: meta.series,
            columns: meta.columns,
            series_columns,
            bloom: meta.bloom,
            footer,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn min_ts(&self) -> i64 {
        self.footer.min_ts
    }

    pub fn max_ts(&self) -> i64 {
        self.footer.max_ts
    }

    pub fn points(&self) -> u64 {
        self.footer.points
    }

    pub fn size(&self) -> u64 {
        self.map.len() as u64
    }

    /// Canonical series keys in the file, sorted.
    pub fn series(&self) -> &[String] {
        &self.series
    }

    /// The columns of one series (by canonical key), empty if the file lacks it.
    pub fn columns_of(&self, canonical: &str) -> &[ColumnMeta] {
        if !self.bloom.may_contain(canonical.as_bytes()) {
            return &[];
        }
        match self.series.binary_search_by(|s| s.as_str().cmp(canonical)) {
            Ok(i) => self
                .series_columns
                .get(i)
                .map(|r| &self.columns[r.clone()])
                .unwrap_or(&[]),
            Err(_) => &[],
        }
    }

    /// Every column, in file order (for compaction).
    pub fn columns(&self) -> &[ColumnMeta] {
        &self.columns
    }

    /// Decodes one block after verifying its checksum.
    pub fn read_block(
        &self,
        block: &BlockMeta,
        dec: &mut BlockDecoder,
        out: &mut ColumnData,
    ) -> Result<()> {
        let start = block.offset as usize;
        let end = start + block.len as usize;
        let bytes = self
            .map
            .get(start..end + BLOCK_TRAILER)
            .ok_or_else(|| corrupt(&self.path, block.offset, "block beyond end of file"))?;
        let (data, crc) = bytes.split_at(block.len as usize);
        let want = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
        if crc32c::crc32c(data) != want {
            return Err(corrupt(&self.path, block.offset, "block checksum mismatch"));
        }
        dec.decode(data, &mut out.ts, &mut out.values)
            .map_err(|e| corrupt(&self.path, block.offset, format!("undecodable block: {e}")))?;
        if out.len() != block.points as usize {
            return Err(corrupt(
                &self.path,
                block.offset,
                "block holds a different point count than its index entry",
            ));
        }
        Ok(())
    }

    /// The points of one column with `start <= ts < end`, decoding only the blocks that
    /// overlap the range; decoded blocks come from and go to `cache` under `table_id`.
    pub fn read_column(
        &self,
        column: &ColumnMeta,
        start: i64,
        end: i64,
        dec: &mut BlockDecoder,
        cache: Option<(&BlockCache, u64)>,
    ) -> Result<ColumnData> {
        let mut out = ColumnData::new(column.value_type);
        for b in &column.blocks {
            if b.max_ts < start || b.min_ts >= end {
                continue;
            }
            let cached = cache.and_then(|(c, id)| c.get((id, b.offset)));
            let block = match cached {
                Some(block) => block,
                None => {
                    let mut block = ColumnData::new(column.value_type);
                    self.read_block(b, dec, &mut block)?;
                    let block = Arc::new(block);
                    if let Some((c, id)) = cache {
                        c.insert((id, b.offset), block.clone());
                    }
                    block
                }
            };
            // Blocks of a column are sorted and disjoint: append the part in range.
            if b.min_ts >= start && b.max_ts < end {
                out.append(&block);
            } else {
                out.append(&block.slice(start, end));
            }
        }
        Ok(out)
    }
}
