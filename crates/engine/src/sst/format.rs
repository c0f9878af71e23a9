//! SSTable byte layout (format version 1); see `docs/format.md`.
//!
//! ```text
//! header   magic "STRATSST" (8) | version u16 LE
//! blocks   per block: codec block bytes | crc32c u32 LE of those bytes
//! meta     series table | column index | bloom filter   (one crc32c in the footer)
//! footer   meta_offset u64 | meta_len u64 | meta_crc u32 | min_ts i64 | max_ts i64 |
//!          points u64 | version u16 | footer_crc u32 | magic "STRATSST" (8)   = 58 bytes
//! ```
//! All integers little-endian. The series table lists the canonical series keys of the file in
//! sorted order; the column index lists, per (series, field) in that order, the field name,
//! value type and each block's offset, length, point count and min/max timestamp.

use strata_codec::ValueType;
use strata_codec::varint::{Cursor, put_ivarint, put_uvarint};

use super::bloom::Bloom;

pub const MAGIC: &[u8; 8] = b"STRATSST";
pub const VERSION: u16 = 1;
pub const HEADER_LEN: usize = 10;
pub const FOOTER_LEN: usize = 58;
/// Bytes of checksum after each block.
pub const BLOCK_TRAILER: usize = 4;

/// Where one block sits and what it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockMeta {
    pub offset: u64,
    pub len: u32,
    pub points: u32,
    pub min_ts: i64,
    pub max_ts: i64,
}

/// One series column of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMeta {
    pub series: u32,
    pub field: String,
    pub value_type: ValueType,
    pub blocks: Vec<BlockMeta>,
}

/// The decoded meta section.
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    pub series: Vec<String>,
    pub columns: Vec<ColumnMeta>,
    pub bloom: Bloom,
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

impl Meta {
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_uvarint(out, self.series.len() as u64);
        for s in &self.series {
            put_uvarint(out, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
        put_uvarint(out, self.columns.len() as u64);
        for c in &self.columns {
            put_uvarint(out, u64::from(c.series));
            put_uvarint(out, c.field.len() as u64);
            out.extend_from_slice(c.field.as_bytes());
            out.push(c.value_type as u8);
            put_uvarint(out, c.blocks.len() as u64);
            for b in &c.blocks {
                put_uvarint(out, b.offset);
                put_uvarint(out, u64::from(b.len));
                put_uvarint(out, u64::from(b.points));
                put_ivarint(out, b.min_ts);
                put_ivarint(out, b.max_ts);
            }
        }
        self.bloom.encode(out);
    }

    /// Decodes and validates the meta section (`file_len` bounds block offsets).
    pub fn decode(bytes: &[u8], data_end: u64) -> Result<Meta, String> {
        let mut cur = Cursor::new(bytes);
        let e = |err: strata_codec::CodecError| err.to_string();
        let limit = bytes.len();
        let n = cur.count("series count", limit).map_err(e)?;
        let mut series = Vec::with_capacity(n.min(crate::PREALLOC_LIMIT));
        for _ in 0..n {
            let len = cur.count("series key length", limit).map_err(e)?;
            let raw = cur.bytes(len, "series key").map_err(e)?;
            let s = std::str::from_utf8(raw)
                .map_err(|err| format!("series key is not UTF-8: {err}"))?;
            series.push(s.to_string());
        }
        let n = cur.count("column count", limit).map_err(e)?;
        let mut columns = Vec::with_capacity(n.min(crate::PREALLOC_LIMIT));
        for _ in 0..n {
            let s = cur
                .count("column series", series.len().saturating_sub(1))
                .map_err(e)? as u32;
            let len = cur.count("field name length", limit).map_err(e)?;
            let raw = cur.bytes(len, "field name").map_err(e)?;
            let field = std::str::from_utf8(raw)
                .map_err(|err| format!("field name is not UTF-8: {err}"))?
                .to_string();
            let value_type = ValueType::from_tag(cur.u8("value type").map_err(e)?).map_err(e)?;
            let nb = cur.count("block count", limit).map_err(e)?;
            let mut blocks = Vec::with_capacity(nb.min(crate::PREALLOC_LIMIT));
            for _ in 0..nb {
                let offset = cur.uvarint("block offset").map_err(e)?;
                let len = cur.count("block length", u32::MAX as usize).map_err(e)? as u32;
                let points = cur
                    .count("block points", strata_codec::MAX_BLOCK_POINTS)
                    .map_err(e)? as u32;
                let min_ts = cur.ivarint("block min time").map_err(e)?;
                let max_ts = cur.ivarint("block max time").map_err(e)?;
                let end = offset
                    .checked_add(u64::from(len) + BLOCK_TRAILER as u64)
                    .filter(|&end| offset >= HEADER_LEN as u64 && end <= data_end);
                if end.is_none() {
                    return Err(format!(
                        "block at {offset} (+{len}) lies outside the data section"
                    ));
                }
                blocks.push(BlockMeta {
                    offset,
                    len,
                    points,
                    min_ts,
                    max_ts,
                });
            }
            columns.push(ColumnMeta {
                series: s,
                field,
                value_type,
                blocks,
            });
        }
        let bloom = Bloom::decode(&mut cur).map_err(e)?;
        cur.finish("sstable meta").map_err(e)?;
        Ok(Meta {
            series,
            columns,
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
        if version != VERSION {
            return Err(format!(
                "unsupported SSTable version {version} (this build reads {VERSION})"
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
