//! SSTable byte layout (format version 2; version 1 is read too); see `docs/format.md`.
//!
//! ```text
//! header   magic "STRATSST" (8) | version u16 LE
//! blocks   per block: codec block bytes | crc32c u32 LE of those bytes
//! meta     series table | column index | bloom filter   (one crc32c in the footer)
//! footer   meta_offset u64 | meta_len u64 | meta_crc u32 | min_ts i64 | max_ts i64 |
//!          points u64 | version u16 | footer_crc u32 | magic "STRATSST" (8)   = 58 bytes
//! ```
//! All integers little-endian. The series table lists the canonical series keys of the file in
//! sorted order (front-coded since version 2: [`super::keys`]); the column index lists, per
//! (series, field) in that order, the field name, value type and each block's offset, length,
//! point count and min/max timestamp.
//!
//! This module owns the column entry codec: [`put_column_entry`] for the writer, and
//! [`MetaLayout::parse`] (validates the whole meta section once, on open, and records where
//! each entry starts) and [`ColumnEntry::parse`] (one column entry, borrowed
//! from the mapped bytes) for the reader. Nothing of the index is copied into owned memory.

use strata_codec::ValueType;
use strata_codec::varint::{Cursor, put_ivarint, put_uvarint};

use super::bloom::Bloom;
use crate::limits::PREALLOC_LIMIT;

pub const MAGIC: &[u8; 8] = b"STRATSST";
/// The version this build writes: 2 front-codes the series table.
pub const VERSION: u16 = 2;
/// The oldest version this build reads.
pub const OLDEST_VERSION: u16 = 1;
pub const HEADER_LEN: usize = 10;
pub const FOOTER_LEN: usize = 58;
/// Bytes of checksum after each block.
pub const BLOCK_TRAILER: usize = 4;
/// Largest meta section: entry positions are kept as `u32` offsets into it.
pub const MAX_META_LEN: u64 = u32::MAX as u64;

/// Where one block sits and what it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockMeta {
    pub offset: u64,
    pub len: u32,
    pub points: u32,
    pub min_ts: i64,
    pub max_ts: i64,
}

/// The fixed-size footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer {
    pub meta_offset: u64,
    pub meta_len: u64,
    pub meta_crc: u32,
    pub min_ts: i64,
    pub max_ts: i64,
    pub points: u64,
}

/// Appends one column-index entry.
pub fn put_column_entry(
    out: &mut Vec<u8>,
    series: u32,
    field: &str,
    value_type: ValueType,
    blocks: &[BlockMeta],
) {
    put_uvarint(out, u64::from(series));
    put_uvarint(out, field.len() as u64);
    out.extend_from_slice(field.as_bytes());
    out.push(value_type as u8);
    put_uvarint(out, blocks.len() as u64);
    for b in blocks {
        put_uvarint(out, b.offset);
        put_uvarint(out, u64::from(b.len));
        put_uvarint(out, u64::from(b.points));
        put_ivarint(out, b.min_ts);
        put_ivarint(out, b.max_ts);
    }
}

/// Assembles a meta section from the entries the writer accumulated.
pub fn put_meta(out: &mut Vec<u8>, series: (u64, &[u8]), columns: (u64, &[u8]), bloom: &Bloom) {
    put_uvarint(out, series.0);
    out.extend_from_slice(series.1);
    put_uvarint(out, columns.0);
    out.extend_from_slice(columns.1);
    bloom.encode(out);
}

fn err(e: strata_codec::CodecError) -> String {
    e.to_string()
}

/// One column-index entry, borrowed from the meta bytes.
#[derive(Debug, Clone, Copy)]
pub struct ColumnEntry<'a> {
    /// Index of the column's series in the series table.
    pub series: u32,
    pub field: &'a str,
    pub value_type: ValueType,
    pub blocks: BlockList<'a>,
}

impl<'a> ColumnEntry<'a> {
    /// Reads and validates one column entry: its series index is below `series_count` and
    /// every block lies inside the data section, which ends at `data_end`, in time order.
    pub fn parse(
        cur: &mut Cursor<'a>,
        series_count: usize,
        data_end: u64,
    ) -> Result<ColumnEntry<'a>, String> {
        Self::read(cur, series_count, Some(data_end))
    }

    /// Reads a column entry of a meta section [`MetaLayout::parse`] has validated: the
    /// header is checked as always, the block entries are only stepped over (five varints
    /// each), which is what a lookup after open needs.
    pub fn parse_validated(
        cur: &mut Cursor<'a>,
        series_count: usize,
    ) -> Result<ColumnEntry<'a>, String> {
        Self::read(cur, series_count, None)
    }

    fn read(
        cur: &mut Cursor<'a>,
        series_count: usize,
        data_end: Option<u64>,
    ) -> Result<ColumnEntry<'a>, String> {
        let series = cur
            .count("column series", series_count.saturating_sub(1))
            .map_err(err)? as u32;
        let len = cur.count("field name length", usize::MAX).map_err(err)?;
        let raw = cur.bytes(len, "field name").map_err(err)?;
        let field =
            std::str::from_utf8(raw).map_err(|e| format!("field name is not UTF-8: {e}"))?;
        let value_type = ValueType::from_tag(cur.u8("value type").map_err(err)?).map_err(err)?;
        let count = cur.count("block count", usize::MAX).map_err(err)?;
        let before = cur.remaining();
        match data_end {
            Some(data_end) => {
                let mut last_max = None;
                for _ in 0..count {
                    let b = parse_block(cur, data_end)?;
                    if b.min_ts > b.max_ts || last_max.is_some_and(|m| b.min_ts <= m) {
                        return Err(format!(
                            "block at {} of field {field:?} is out of time order",
                            b.offset
                        ));
                    }
                    last_max = Some(b.max_ts);
                }
            }
            None => {
                // A varint ends at each byte below 0x80: step over 5 per block.
                let mut left = count.saturating_mul(BLOCK_FIELDS);
                let mut used = 0;
                while left > 0 {
                    let Some(&b) = before.get(used) else {
                        return Err("block list runs past the meta section".into());
                    };
                    left -= usize::from(b < 0x80);
                    used += 1;
                }
                cur.bytes(used, "block list").map_err(err)?;
            }
        }
        let used = before.len() - cur.remaining().len();
        Ok(ColumnEntry {
            series,
            field,
            value_type,
            blocks: BlockList {
                bytes: &before[..used],
                count,
            },
        })
    }
}

/// A column entry decoded into owned memory: what the block cache keeps of a series' index
/// entries once a read has parsed them.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedColumn {
    pub field: Box<str>,
    pub value_type: ValueType,
    pub blocks: Box<[BlockMeta]>,
}

impl From<ColumnEntry<'_>> for OwnedColumn {
    fn from(c: ColumnEntry<'_>) -> OwnedColumn {
        OwnedColumn {
            field: c.field.into(),
            value_type: c.value_type,
            blocks: c.blocks.iter().collect(),
        }
    }
}

/// Varints per block entry: offset, length, points, min and max time.
const BLOCK_FIELDS: usize = 5;

fn parse_block(cur: &mut Cursor<'_>, data_end: u64) -> Result<BlockMeta, String> {
    let b = decode_block(cur)?;
    let (offset, len) = (b.offset, b.len);
    if u64::from(b.points) > strata_codec::MAX_BLOCK_POINTS as u64 {
        return Err(format!("block at {offset} claims {} points", b.points));
    }
    let end = offset
        .checked_add(u64::from(len) + BLOCK_TRAILER as u64)
        .filter(|&end| offset >= HEADER_LEN as u64 && end <= data_end);
    if end.is_none() {
        return Err(format!(
            "block at {offset} (+{len}) lies outside the data section"
        ));
    }
    Ok(b)
}

/// Reads one block entry without checking it against the file (see [`parse_block`]).
fn decode_block(cur: &mut Cursor<'_>) -> Result<BlockMeta, String> {
    let offset = cur.uvarint("block offset").map_err(err)?;
    let len = cur.count("block length", u32::MAX as usize).map_err(err)? as u32;
    let points = cur.count("block points", u32::MAX as usize).map_err(err)? as u32;
    let min_ts = cur.ivarint("block min time").map_err(err)?;
    let max_ts = cur.ivarint("block max time").map_err(err)?;
    Ok(BlockMeta {
        offset,
        len,
        points,
        min_ts,
        max_ts,
    })
}

/// The block entries of one column, still encoded; validated by [`ColumnEntry::parse`].
#[derive(Debug, Clone, Copy)]
pub struct BlockList<'a> {
    bytes: &'a [u8],
    count: usize,
}

impl<'a> BlockList<'a> {
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.count
    }

    /// The blocks in time order, decoded as the iteration goes. The bytes were validated by
    /// the [`ColumnEntry::parse`] that produced this list and are immutable, so decoding them
    /// again cannot fail; should it anyway, the iteration ends there.
    pub fn iter(&self) -> Blocks<'a> {
        Blocks {
            cur: Cursor::new(self.bytes),
            left: self.count,
        }
    }
}

/// Iterator over a [`BlockList`].
#[derive(Debug, Clone)]
pub struct Blocks<'a> {
    cur: Cursor<'a>,
    left: usize,
}

impl Iterator for Blocks<'_> {
    type Item = BlockMeta;

    fn next(&mut self) -> Option<BlockMeta> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let b = decode_block(&mut self.cur).ok();
        if b.is_none() {
            self.left = 0;
        }
        b
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left))
    }
}

/// Where each entry of a validated meta section starts, as offsets into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaLayout {
    /// Offset of each series-table entry, in key order.
    pub series_at: Vec<u32>,
    /// Offset of the first column entry of each series, plus one final offset where the
    /// column index ends: series `i`'s columns lie in `columns_at[i]..columns_at[i + 1]`.
    pub columns_at: Vec<u32>,
    pub bloom: Bloom,
}

impl MetaLayout {
    /// Validates the whole meta section of a table of `version` (`data_end` bounds block
    /// offsets): keys are UTF-8, sorted and unique, columns are in strictly ascending (series,
    /// field) order, blocks lie in the data section in time order.
    pub fn parse(bytes: &[u8], data_end: u64, version: u16) -> Result<MetaLayout, String> {
        if bytes.len() as u64 > MAX_META_LEN {
            return Err(format!(
                "meta section of {} bytes exceeds the {MAX_META_LEN}-byte limit",
                bytes.len()
            ));
        }
        let at = |cur: &Cursor<'_>| cur.position() as u32;
        let mut cur = Cursor::new(bytes);
        let n = cur.count("series count", bytes.len()).map_err(err)?;
        let mut series_at = super::keys::parse_table(&mut cur, n, version)?;
        let columns = cur.count("column count", bytes.len()).map_err(err)?;
        let mut columns_at = Vec::with_capacity(n.min(PREALLOC_LIMIT) + 1);
        let mut last: Option<(u32, &str)> = None;
        for _ in 0..columns {
            let start = at(&cur);
            let col = ColumnEntry::parse(&mut cur, n, data_end)?;
            if last.is_some_and(|l| l >= (col.series, col.field)) {
                return Err(format!(
                    "column {:?} of series {} is out of (series, field) order",
                    col.field, col.series
                ));
            }
            last = Some((col.series, col.field));
            let s = col.series as usize;
            // Series up to this one without columns of their own start (and end) here.
            columns_at.resize(s + 1, start);
        }
        columns_at.resize(n + 1, at(&cur));
        let bloom = Bloom::decode(&mut cur).map_err(err)?;
        cur.finish("sstable meta").map_err(err)?;
        // Growth past the bounded reservation leaves slack an open table would keep.
        series_at.shrink_to_fit();
        columns_at.shrink_to_fit();
        Ok(MetaLayout {
            series_at,
            columns_at,
            bloom,
        })
    }
}

impl Footer {
    pub fn encode(&self) -> [u8; FOOTER_LEN] {
        let mut f = [0u8; FOOTER_LEN];
        f[0..8].copy_from_slice(&self.meta_offset.to_le_bytes());
        f[8..16].copy_from_slice(&self.meta_len.to_le_bytes());
        f[16..20].copy_from_slice(&self.meta_crc.to_le_bytes());
        f[20..28].copy_from_slice(&self.min_ts.to_le_bytes());
        f[28..36].copy_from_slice(&self.max_ts.to_le_bytes());
        f[36..44].copy_from_slice(&self.points.to_le_bytes());
        f[44..46].copy_from_slice(&VERSION.to_le_bytes());
        let crc = crc32c::crc32c(&f[0..46]);
        f[46..50].copy_from_slice(&crc.to_le_bytes());
        f[50..58].copy_from_slice(MAGIC);
        f
    }

    /// Decodes and validates a footer; errors say what is wrong.
    pub fn decode(f: &[u8]) -> Result<Footer, String> {
        let arr = |r: std::ops::Range<usize>| -> [u8; 8] {
            let mut a = [0u8; 8];
            a.copy_from_slice(&f[r]);
            a
        };
        if f.len() != FOOTER_LEN {
            return Err(format!(
                "footer is {} bytes, expected {FOOTER_LEN}",
                f.len()
            ));
        }
        if &f[50..58] != MAGIC {
            return Err("bad footer magic (not a Strata SSTable, or truncated)".into());
        }
        let version = u16::from_le_bytes([f[44], f[45]]);
        if !(OLDEST_VERSION..=VERSION).contains(&version) {
            return Err(format!(
                "unsupported SSTable version {version} (this build reads {OLDEST_VERSION} to {VERSION})"
            ));
        }
        let crc = u32::from_le_bytes([f[46], f[47], f[48], f[49]]);
        if crc != crc32c::crc32c(&f[0..46]) {
            return Err("footer checksum mismatch".into());
        }
        Ok(Footer {
            meta_offset: u64::from_le_bytes(arr(0..8)),
            meta_len: u64::from_le_bytes(arr(8..16)),
            meta_crc: u32::from_le_bytes([f[16], f[17], f[18], f[19]]),
            min_ts: i64::from_le_bytes(arr(20..28)),
            max_ts: i64::from_le_bytes(arr(28..36)),
            points: u64::from_le_bytes(arr(36..44)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(offset: u64, min_ts: i64, max_ts: i64) -> BlockMeta {
        BlockMeta {
            offset,
            len: 4,
            points: 2,
            min_ts,
            max_ts,
        }
    }

    /// A meta section of `keys` and `(series, field, blocks)` columns, as given.
    fn meta(keys: &[&str], columns: &[(u32, &str, Vec<BlockMeta>)]) -> Vec<u8> {
        let mut series = Vec::new();
        let mut prev = "";
        for (i, k) in keys.iter().enumerate() {
            super::super::keys::put_entry(&mut series, i as u64, prev, k);
            prev = k;
        }
        let mut cols = Vec::new();
        for (s, f, b) in columns {
            put_column_entry(&mut cols, *s, f, ValueType::Float, b);
        }
        let mut out = Vec::new();
        put_meta(
            &mut out,
            (keys.len() as u64, &series),
            (columns.len() as u64, &cols),
            &Bloom::with_capacity(keys.len()),
        );
        out
    }

    #[test]
    fn layout_records_where_each_series_starts() {
        let bytes = meta(
            &["a", "b", "c"],
            &[
                (0, "x", vec![block(10, 0, 5), block(18, 6, 9)]),
                (0, "y", vec![]),
                (2, "x", vec![block(26, 0, 0)]),
            ],
        );
        let l = MetaLayout::parse(&bytes, 100, VERSION).unwrap();
        assert_eq!(l.series_at.len(), 3);
        assert_eq!(l.columns_at.len(), 4);
        // Series "b" has no columns: an empty range between "a"'s and "c"'s.
        assert_eq!(l.columns_at[1], l.columns_at[2]);
        let mut cur = Cursor::new(&bytes[l.columns_at[0] as usize..]);
        let first = ColumnEntry::parse(&mut cur, 3, 100).unwrap();
        assert_eq!(first.field, "x");
        let blocks: Vec<BlockMeta> = first.blocks.iter().collect();
        assert_eq!(blocks, vec![block(10, 0, 5), block(18, 6, 9)]);
    }

    #[test]
    fn stepping_over_blocks_finds_the_same_entries_as_validating_them() {
        let blocks = vec![block(10, -5, 300), block(1 << 20, 301, 1 << 40)];
        let bytes = meta(&["a", "b"], &[(0, "x", blocks.clone()), (1, "yy", vec![])]);
        let l = MetaLayout::parse(&bytes, 1 << 30, VERSION).unwrap();
        let mut cur = Cursor::new(&bytes[l.columns_at[0] as usize..]);
        let x = ColumnEntry::parse_validated(&mut cur, 2).unwrap();
        assert_eq!(x.blocks.iter().collect::<Vec<_>>(), blocks);
        let y = ColumnEntry::parse_validated(&mut cur, 2).unwrap();
        assert_eq!((y.series, y.field, y.blocks.len()), (1, "yy", 0));
        // A block list cut short is an error, not a shorter list.
        let cut = &bytes[l.columns_at[0] as usize..l.columns_at[1] as usize - 2];
        assert!(ColumnEntry::parse_validated(&mut Cursor::new(cut), 2).is_err());
    }

    #[test]
    fn disorder_and_stray_blocks_are_refused() {
        let refused = |keys: &[&str], cols: &[(u32, &str, Vec<BlockMeta>)]| {
            MetaLayout::parse(&meta(keys, cols), 100, VERSION).unwrap_err()
        };
        assert!(refused(&["b", "a"], &[]).contains("sorted"));
        assert!(refused(&["a", "a"], &[]).contains("sorted"));
        let e = refused(&["a", "b"], &[(1, "x", vec![]), (0, "x", vec![])]);
        assert!(e.contains("order"), "{e}");
        let e = refused(&["a"], &[(0, "y", vec![]), (0, "x", vec![])]);
        assert!(e.contains("order"), "{e}");
        let e = refused(&["a"], &[(0, "x", vec![block(10, 5, 9), block(18, 9, 12)])]);
        assert!(e.contains("time order"), "{e}");
        let e = refused(&["a"], &[(0, "x", vec![block(98, 0, 1)])]);
        assert!(e.contains("outside the data section"), "{e}");
        let e = refused(&["a"], &[(1, "x", vec![])]);
        assert!(e.contains("column series"), "{e}");
    }
}
