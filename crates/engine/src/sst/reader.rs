//! Reads an SSTable through a memory map: validates header, footer, meta checksum and the
//! whole meta section on open, then keeps only where each series-table and column-index entry
//! starts (two `u32` per series) and the bloom filter. Keys, field names and block lists are
//! read from the mapped bytes when asked for, so an open table costs about 9 bytes of memory
//! per series whatever its keys' length. Blocks are decoded on demand after checking each
//! block's CRC32C. Corruption is an error naming file and offset.

use memmap2::Mmap;
use std::path::{Path, PathBuf};
use strata_codec::BlockDecoder;
use strata_codec::varint::Cursor;

use super::bloom::Bloom;
use super::format::{
    BLOCK_TRAILER, BlockMeta, ColumnEntry, FOOTER_LEN, Footer, HEADER_LEN, MAGIC, MetaLayout,
    OLDEST_VERSION, OwnedColumn, VERSION,
};
use super::keys::{KeyCursor, SeriesTable};
use crate::data::ColumnData;
use crate::error::{Error, Result};
use crate::io::FileSystem;

/// An open SSTable.
#[derive(Debug)]
pub struct SstReader {
    path: PathBuf,
    map: Mmap,
    /// The file's format version (1: whole series keys; 2: front-coded).
    version: u16,
    /// File offset of the meta section; `series_at` and `columns_at` are relative to it.
    meta_offset: usize,
    /// Offset of each series key's entry, in key order.
    series_at: Vec<u32>,
    /// Offset of each series' first column entry, plus the end of the column index.
    columns_at: Vec<u32>,
    bloom: Bloom,
}

fn corrupt(path: &Path, offset: u64, reason: impl Into<String>) -> Error {
    Error::Corrupt {
        path: path.to_path_buf(),
        offset,
        reason: reason.into(),
    }
}

/// The columns of one series, or of the whole file, read from the meta section as the
/// iteration goes.
#[derive(Debug, Clone)]
pub struct Columns<'a> {
    reader: &'a SstReader,
    cur: Cursor<'a>,
}

impl<'a> Iterator for Columns<'a> {
    type Item = Result<ColumnEntry<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.cur.is_empty() {
            return None;
        }
        let r = self.reader;
        let at = r.meta_offset + self.cur.position();
        let col = ColumnEntry::parse_validated(&mut self.cur, r.series_at.len());
        Some(col.map_err(|reason| {
            // Validated on open: this only happens if the file changed underneath.
            self.cur = Cursor::new(&[]);
            corrupt(&r.path, at as u64, reason)
        }))
    }
}

impl SstReader {
    /// Maps and validates the table at `path`.
    pub fn open(fs: &dyn FileSystem, path: &Path) -> Result<SstReader> {
        let map = fs.map_file(path)?;
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
        if !(OLDEST_VERSION..=VERSION).contains(&version) {
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
        let meta_offset = footer.meta_offset as usize;
        let meta_bytes = &map[meta_offset..footer_at];
        if crc32c::crc32c(meta_bytes) != footer.meta_crc {
            return Err(corrupt(
                path,
                footer.meta_offset,
                "meta section checksum mismatch",
            ));
        }
        let layout = MetaLayout::parse(meta_bytes, footer.meta_offset, version)
            .map_err(|r| corrupt(path, footer.meta_offset, r))?;
        let reader = SstReader {
            path: path.to_path_buf(),
            version,
            meta_offset,
            series_at: layout.series_at,
            columns_at: layout.columns_at,
            bloom: layout.bloom,
            map,
        };
        reader.release_index_pages();
        Ok(reader)
    }

    /// Releases the index's pages from this process's resident set after a full pass over
    /// it (validation on open, the catalog rebuild): they stay in the page cache and fault
    /// back in on lookup, so an open table costs its offsets, not its index bytes. Advisory:
    /// if the kernel refuses, nothing changes.
    pub fn release_index_pages(&self) {
        #[cfg(unix)]
        // SAFETY: the mapping is read-only and shared: dropped pages are read back from the
        // unchanged file on the next access, so nothing seen through `map` changes.
        let _ = unsafe {
            self.map.unchecked_advise_range(
                memmap2::UncheckedAdvice::DontNeed,
                self.meta_offset,
                self.meta().len(),
            )
        };
    }

    /// Releases every page of the file from this process's resident set, as a pass over
    /// the whole table (compaction, rollups) goes: the pages stay in the page cache, so a
    /// merge of many tables costs the columns in flight, not the tables it has read.
    /// Advisory, like [`SstReader::release_index_pages`].
    pub fn release_pages(&self) {
        #[cfg(unix)]
        // SAFETY: as in `release_index_pages`: a read-only shared mapping of a file that
        // does not change.
        let _ = unsafe {
            self.map
                .unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, 0, self.map.len())
        };
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Heap bytes this reader holds (the mapped file not included).
    #[cfg(test)]
    pub fn memory_bytes(&self) -> usize {
        (self.series_at.capacity() + self.columns_at.capacity()) * 4 + self.bloom.len()
    }

    fn meta(&self) -> &[u8] {
        &self.map[self.meta_offset..self.map.len() - FOOTER_LEN]
    }

    /// Number of series in the file.
    pub fn series_count(&self) -> usize {
        self.series_at.len()
    }

    fn series_table(&self) -> SeriesTable<'_> {
        SeriesTable {
            meta: self.meta(),
            at: &self.series_at,
            version: self.version,
        }
    }

    /// The canonical key of series `i` (keys are sorted), rebuilt by `cursor` (which walks a
    /// table in key order one entry per key; give each table its own).
    pub fn series_key<'c>(&self, i: usize, cursor: &'c mut KeyCursor) -> Result<&'c str> {
        if i >= self.series_count() {
            return Err(Error::InvalidArgument(format!(
                "series index {i} beyond {}",
                self.series_count()
            )));
        }
        cursor
            .key(&self.series_table(), i)
            .map_err(|r| corrupt(&self.path, self.meta_offset as u64, r))
    }

    /// Index of a series in the file, if it holds it (bloom filter, then binary search).
    pub fn find_series(&self, canonical: &str) -> Result<Option<usize>> {
        if !self.bloom.may_contain(canonical.as_bytes()) {
            return Ok(None);
        }
        self.series_table()
            .find(canonical.as_bytes())
            .map_err(|r| corrupt(&self.path, self.meta_offset as u64, r))
    }

    fn columns_in(&self, from: usize, to: usize) -> Columns<'_> {
        let at = |i: usize| self.columns_at.get(i).map_or(0, |&o| o as usize);
        let (from, to) = (at(from), at(to));
        let meta = self.meta();
        Columns {
            reader: self,
            cur: Cursor::new(meta.get(from..to).unwrap_or(&[])),
        }
    }

    /// The columns of series `i` (empty past the last series).
    pub fn columns_at(&self, i: usize) -> Columns<'_> {
        let i = i.min(self.series_count());
        self.columns_in(i, (i + 1).min(self.series_count()))
    }

    /// The file offset where series `i`'s column entries start: the block cache's key for
    /// them (inside the meta section, so never a block's offset).
    pub fn columns_offset(&self, i: usize) -> u64 {
        let at = self.columns_at.get(i).map_or(0, |&o| o as usize);
        (self.meta_offset + at) as u64
    }

    /// Series `i`'s column entries decoded into owned memory (for the block cache).
    pub fn owned_columns(&self, i: usize) -> Result<Vec<OwnedColumn>> {
        self.columns_at(i)
            .map(|c| c.map(OwnedColumn::from))
            .collect()
    }

    /// One column of series `i`, if the file holds it.
    pub fn column_at(&self, i: usize, field: &str) -> Result<Option<ColumnEntry<'_>>> {
        for col in self.columns_at(i) {
            let col = col?;
            if col.field == field {
                return Ok(Some(col));
            }
        }
        Ok(None)
    }

    /// Every column, in file order (series order, then field order).
    pub fn columns(&self) -> Columns<'_> {
        self.columns_in(0, self.series_count())
    }

    /// Decodes one block after verifying its checksum.
    pub fn read_block(
        &self,
        block: &BlockMeta,
        dec: &mut BlockDecoder,
        out: &mut ColumnData,
    ) -> Result<()> {
        self.read_block_before(block, i64::MAX, dec, out)
    }

    /// [`SstReader::read_block`] of only the points before `before` (exclusive): the values
    /// after them are not decoded (see [`BlockDecoder::decode_before`]).
    pub fn read_block_before(
        &self,
        block: &BlockMeta,
        before: i64,
        dec: &mut BlockDecoder,
        out: &mut ColumnData,
    ) -> Result<()> {
        let data = self.checked_block(block.offset, u64::from(block.len))?;
        let holder = match strata_codec::shared_timestamps(data) {
            Ok(Some(at)) if at.offset < block.offset => {
                Some(self.checked_block(at.offset, at.len)?)
            }
            Ok(Some(_)) => {
                return Err(corrupt(
                    &self.path,
                    block.offset,
                    "block refers to the timestamps of a block after it",
                ));
            }
            Ok(None) => None,
            Err(e) => {
                return Err(corrupt(
                    &self.path,
                    block.offset,
                    format!("undecodable block: {e}"),
                ));
            }
        };
        dec.decode_sharing(data, holder, before, &mut out.ts, &mut out.values)
            .map_err(|e| corrupt(&self.path, block.offset, format!("undecodable block: {e}")))?;
        let whole = before == i64::MAX || before > block.max_ts;
        if (whole && out.len() != block.points as usize) || out.len() > block.points as usize {
            return Err(corrupt(
                &self.path,
                block.offset,
                "block holds a different point count than its index entry",
            ));
        }
        Ok(())
    }

    /// The codec bytes of the block at `offset` (`len` bytes, its CRC after them) once its
    /// checksum matched.
    fn checked_block(&self, offset: u64, len: u64) -> Result<&[u8]> {
        let bytes = usize::try_from(offset)
            .ok()
            .zip(usize::try_from(len).ok())
            .and_then(|(start, len)| {
                let end = start.checked_add(len)?.checked_add(BLOCK_TRAILER)?;
                self.map.get(start..end)
            })
            .ok_or_else(|| corrupt(&self.path, offset, "block beyond end of file"))?;
        let (data, crc) = bytes.split_at(bytes.len() - BLOCK_TRAILER);
        let want = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
        if crc32c::crc32c(data) != want {
            return Err(corrupt(&self.path, offset, "block checksum mismatch"));
        }
        Ok(data)
    }

    /// Reads every block, checking its checksum and decoding it; returns how many.
    pub fn verify(&self) -> Result<u64> {
        let mut dec = BlockDecoder::default();
        let mut n = 0;
        for col in self.columns() {
            let col = col?;
            let mut data = ColumnData::new(col.value_type);
            for block in col.blocks.iter() {
                self.read_block(&block, &mut dec, &mut data)?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// The points of one column with `start <= ts < end`, decoding only the blocks that
    /// overlap the range (for compaction and rollups; queries go through the block cache in
    /// `read::scan`).
    pub fn read_column(
        &self,
        column: &ColumnEntry<'_>,
        start: i64,
        end: i64,
        dec: &mut BlockDecoder,
    ) -> Result<ColumnData> {
        let mut out = ColumnData::new(column.value_type);
        let mut block = ColumnData::new(column.value_type);
        for b in column.blocks.iter() {
            if b.max_ts < start || b.min_ts >= end {
                continue;
            }
            self.read_block(&b, dec, &mut block)?;
            // Blocks of a column are sorted and disjoint: append the part in range.
            out.extend_from_range(&block, block.range_indices(start, end));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::data::FieldValue;
    use crate::io::StdFs;
    use crate::sst::SstWriter;

    fn column(points: &[(i64, f64)]) -> ColumnData {
        let mut c = ColumnData::new(strata_codec::ValueType::Float);
        for &(t, v) in points {
            c.push(t, &FieldValue::Float(v));
        }
        c
    }

    #[test]
    fn index_is_read_from_the_mapped_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0000000000000001.sst");
        let mut w = SstWriter::create(Arc::new(StdFs::new()), &path, 2).unwrap();
        let keys: Vec<String> = (0..50).map(|i| format!("cpu,host=h{i:03}")).collect();
        for (i, key) in keys.iter().enumerate() {
            let t = i as i64;
            w.add_column(key, "a", &column(&[(t, 1.0), (t + 10, 2.0), (t + 20, 3.0)]))
                .unwrap();
            if i % 2 == 0 {
                w.add_column(key, "b", &column(&[(t, 4.0)])).unwrap();
            }
        }
        w.finish().unwrap();

        let r = SstReader::open(&StdFs, &path).unwrap();
        assert_eq!(r.series_count(), 50);
        assert_eq!(
            r.memory_bytes(),
            51 * 4 + 50 * 4 + 63,
            "offsets and 10 bloom bits per series"
        );
        let mut cursor = KeyCursor::default();
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(r.series_key(i, &mut cursor).unwrap(), key);
            assert_eq!(r.find_series(key).unwrap(), Some(i));
            let fields: Vec<&str> = r.columns_at(i).map(|c| c.unwrap().field).collect();
            assert_eq!(
                fields,
                if i % 2 == 0 {
                    vec!["a", "b"]
                } else {
                    vec!["a"]
                }
            );
            let a = r.column_at(i, "a").unwrap().unwrap();
            assert_eq!(a.blocks.len(), 2, "block size 2 cuts 3 points in two");
            let mut dec = BlockDecoder::default();
            let data = r.read_column(&a, i as i64 + 5, i64::MAX, &mut dec).unwrap();
            assert_eq!(data.ts, vec![i as i64 + 10, i as i64 + 20]);
        }
        assert_eq!(r.find_series("cpu,host=zzz").unwrap(), None);
        assert!(r.column_at(1, "b").unwrap().is_none());
        assert_eq!(r.columns().count(), 75);
        assert_eq!(r.columns_at(50).count(), 0);
        assert!(r.series_key(50, &mut cursor).is_err());
    }

    #[test]
    fn version_1_tables_are_read() {
        // Written by the build before front-coded keys (tests/data/sst-v1.sst): 40 series
        // of 100 points, block size 64.
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sst-v1.sst");
        let r = SstReader::open(&StdFs, &path).unwrap();
        assert_eq!(r.version, 1);
        assert_eq!(r.series_count(), 40);
        let mut cursor = KeyCursor::default();
        let mut dec = BlockDecoder::default();
        for i in 0..40 {
            let key = r.series_key(i, &mut cursor).unwrap().to_string();
            assert!(key.starts_with("node_cpu_seconds_total,cpu="), "{key}");
            assert_eq!(r.find_series(&key).unwrap(), Some(i));
            let c = r.column_at(i, "value").unwrap().unwrap();
            let data = r.read_column(&c, i64::MIN, i64::MAX, &mut dec).unwrap();
            assert_eq!(data.len(), 100);
        }
        assert_eq!(r.find_series("node_cpu_seconds_total,cpu=0").unwrap(), None);
    }

    #[test]
    fn series_with_equal_timestamps_share_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0000000000000001.sst");
        // A scrape's timestamps: 15 s apart with a few ms of jitter, the same for every series.
        let ts: Vec<i64> = (0..500i64)
            .map(|i| (i * 15_000 + (i * 7919) % 11) * 1_000_000)
            .collect();
        let col = |k: i64| {
            let mut c = ColumnData::new(strata_codec::ValueType::Float);
            for (i, &t) in ts.iter().enumerate() {
                c.push(t, &FieldValue::Float((i as i64 * k) as f64));
            }
            c
        };
        let mut w = SstWriter::create(Arc::new(StdFs::new()), &path, 200).unwrap();
        for s in 0..20 {
            w.add_column(&format!("up,job=j{s:02}"), "value", &col(s))
                .unwrap();
        }
        let size = w.finish().unwrap().size;

        let r = SstReader::open(&StdFs, &path).unwrap();
        let mut dec = BlockDecoder::default();
        let mut holders = Vec::new();
        for s in 0..20 {
            let c = r.column_at(s as usize, "value").unwrap().unwrap();
            assert_eq!(c.blocks.len(), 3);
            let data = r.read_column(&c, i64::MIN, i64::MAX, &mut dec).unwrap();
            assert_eq!(data, col(s), "series {s}");
            for b in c.blocks.iter() {
                let bytes = r
                    .map
                    .get(b.offset as usize..(b.offset + u64::from(b.len)) as usize);
                let at = strata_codec::shared_timestamps(bytes.unwrap()).unwrap();
                assert_eq!(
                    at.is_some(),
                    s > 0,
                    "series {s}: only the first holds its own"
                );
                if s == 0 {
                    holders.push(b.offset);
                } else {
                    assert!(holders.contains(&at.unwrap().offset));
                }
            }
        }
        drop(r);

        // The same table without sharing would hold the timestamps 20 times.
        let alone = dir.path().join("0000000000000002.sst");
        let mut w = SstWriter::create(Arc::new(StdFs::new()), &alone, 200).unwrap();
        w.add_column("up,job=j01", "value", &col(1)).unwrap();
        let one = w.finish().unwrap().size;
        assert!(
            size < one * 20 / 2,
            "{size} bytes for 20 series, {one} for one"
        );

        // A damaged holder is reported when a sharing block is read, never returned as data.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[holders[1] as usize + 5] ^= 0x10;
        std::fs::write(&path, &bytes).unwrap();
        let r = SstReader::open(&StdFs, &path).unwrap();
        let c = r.column_at(7, "value").unwrap().unwrap();
        let err = r.read_column(&c, i64::MIN, i64::MAX, &mut dec).unwrap_err();
        assert!(err.to_string().contains("checksum"), "{err}");
    }

    #[test]
    fn columns_out_of_order_are_refused_by_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0000000000000001.sst");
        let mut w = SstWriter::create(Arc::new(StdFs::new()), &path, 16).unwrap();
        w.add_column("cpu,host=b", "x", &column(&[(1, 1.0)]))
            .unwrap();
        assert!(
            w.add_column("cpu,host=b", "x", &column(&[(1, 1.0)]))
                .is_err()
        );
        assert!(
            w.add_column("cpu,host=b", "a", &column(&[(1, 1.0)]))
                .is_err()
        );
        assert!(
            w.add_column("cpu,host=a", "y", &column(&[(1, 1.0)]))
                .is_err()
        );
        w.add_column("cpu,host=c", "a", &column(&[(1, 1.0)]))
            .unwrap();
        w.discard().unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
