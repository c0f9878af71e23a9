//! A block: the timestamps and values of one series column, encoded together.
//!
//! Layout: `version u8` | `value type u8` | `timestamp section length` varint | timestamp
//! column ([`crate::timestamp`]) | value column of that type. Each column starts with its own
//! scheme byte, chosen per block as the smallest candidate. The two columns must hold the same
//! number of points, and nothing may follow the value column. Checksums are the container's
//! job (the SSTable stores a CRC32C beside every block).
//!
//! A version 3 block's timestamp section may instead be a reference ([`TimestampsAt`]) to
//! another block of the same container whose timestamps are equal: series scraped together
//! share their timestamps exactly, so a table stores each such sequence once. The container
//! resolves the reference and hands the other block to [`BlockDecoder::decode_sharing`].

use crate::error::{CodecError, Result};
use crate::float::FloatEncoder;
use crate::varint::{Cursor, put_uvarint, uvarint_len};
use crate::{MAX_BLOCK_POINTS, boolean, float, integer, string, timestamp};

/// The block format version this crate writes for a block with its own timestamps. Version 2
/// added the Huffman packing of integer columns; version 1 blocks (which never use it) are
/// read unchanged.
pub const BLOCK_VERSION: u8 = 2;
/// The version of a block whose timestamps are another block's ([`share_timestamps`]).
pub const SHARED_TIMESTAMPS_VERSION: u8 = 3;
/// The oldest block format version this crate reads.
pub const OLDEST_BLOCK_VERSION: u8 = 1;
/// The timestamp scheme byte of a reference to another block's timestamps (version 3).
const TAG_SHARED: u8 = 0x04;

/// Where the container keeps the block holding a block's timestamps: the byte offset and
/// length of that block (its meaning is the container's; an SSTable's file offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimestampsAt {
    pub offset: u64,
    pub len: u64,
}

/// The parts of a block: its version, value type, timestamp section and where the value
/// column starts.
struct Parts<'a> {
    version: u8,
    value_type: ValueType,
    timestamps: &'a [u8],
    values_at: usize,
}

fn parts(block: &[u8]) -> Result<Parts<'_>> {
    let mut cur = Cursor::new(block);
    let version = cur.u8("block version")?;
    if !(OLDEST_BLOCK_VERSION..=SHARED_TIMESTAMPS_VERSION).contains(&version) {
        return Err(CodecError::UnsupportedVersion(version));
    }
    let value_type = ValueType::from_tag(cur.u8("value type")?)?;
    let ts_len = cur.count("timestamp section length", block.len())?;
    let timestamps = cur.bytes(ts_len, "timestamp section")?;
    Ok(Parts {
        version,
        value_type,
        timestamps,
        values_at: cur.position(),
    })
}

/// The reference of a version 3 block's timestamp section, if it is one.
fn reference(parts: &Parts<'_>) -> Result<Option<TimestampsAt>> {
    if parts.version < SHARED_TIMESTAMPS_VERSION || parts.timestamps.first() != Some(&TAG_SHARED) {
        return Ok(None);
    }
    let mut cur = Cursor::new(&parts.timestamps[1..]);
    let offset = cur.uvarint("shared timestamps offset")?;
    let len = cur.uvarint("shared timestamps length")?;
    cur.finish("shared timestamps reference")?;
    Ok(Some(TimestampsAt { offset, len }))
}

/// Where `block`'s timestamps are held, if another block holds them.
pub fn shared_timestamps(block: &[u8]) -> Result<Option<TimestampsAt>> {
    reference(&parts(block)?)
}

/// The encoded timestamp section of a block that holds its own timestamps (`None` for a
/// reference): equal sections mean equal timestamps, which is what [`share_timestamps`] needs.
pub fn timestamp_section(block: &[u8]) -> Result<Option<&[u8]>> {
    let p = parts(block)?;
    Ok(match reference(&p)? {
        Some(_) => None,
        None => Some(p.timestamps),
    })
}

/// Appends to `out` a copy of `block` whose timestamps are those of the block at `at` (which
/// must hold equal timestamps of its own; the container keeps that promise).
pub fn share_timestamps(block: &[u8], at: TimestampsAt, out: &mut Vec<u8>) -> Result<()> {
    let p = parts(block)?;
    let section_len = 1 + uvarint_len(at.offset) + uvarint_len(at.len);
    out.push(SHARED_TIMESTAMPS_VERSION);
    out.push(p.value_type as u8);
    put_uvarint(out, section_len as u64);
    out.push(TAG_SHARED);
    put_uvarint(out, at.offset);
    put_uvarint(out, at.len);
    out.extend_from_slice(&block[p.values_at..]);
    Ok(())
}

/// The type of a value column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    Float = 1,
    Integer = 2,
    Unsigned = 3,
    Boolean = 4,
    String = 5,
}

impl ValueType {
    pub fn from_tag(tag: u8) -> Result<Self> {
        Ok(match tag {
            1 => ValueType::Float,
            2 => ValueType::Integer,
            3 => ValueType::Unsigned,
            4 => ValueType::Boolean,
            5 => ValueType::String,
            _ => {
                return Err(CodecError::UnknownTag {
                    what: "value type",
                    tag,
                });
            }
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ValueType::Float => "float",
            ValueType::Integer => "integer",
            ValueType::Unsigned => "unsigned",
            ValueType::Boolean => "boolean",
            ValueType::String => "string",
        }
    }
}

/// Borrowed values of one column, to encode.
#[derive(Debug, Clone, Copy)]
pub enum ColumnRef<'a> {
    Float(&'a [f64]),
    Integer(&'a [i64]),
    Unsigned(&'a [u64]),
    Boolean(&'a [bool]),
    String(&'a [String]),
}

impl<'a> ColumnRef<'a> {
    /// The values in `range` (clamped to the column).
    pub fn slice(&self, range: std::ops::Range<usize>) -> ColumnRef<'a> {
        fn part<T>(v: &[T], r: std::ops::Range<usize>) -> &[T] {
            let end = r.end.min(v.len());
            &v[r.start.min(end)..end]
        }
        match *self {
            ColumnRef::Float(v) => ColumnRef::Float(part(v, range)),
            ColumnRef::Integer(v) => ColumnRef::Integer(part(v, range)),
            ColumnRef::Unsigned(v) => ColumnRef::Unsigned(part(v, range)),
            ColumnRef::Boolean(v) => ColumnRef::Boolean(part(v, range)),
            ColumnRef::String(v) => ColumnRef::String(part(v, range)),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ColumnRef::Float(v) => v.len(),
            ColumnRef::Integer(v) => v.len(),
            ColumnRef::Unsigned(v) => v.len(),
            ColumnRef::Boolean(v) => v.len(),
            ColumnRef::String(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn value_type(&self) -> ValueType {
        match self {
            ColumnRef::Float(_) => ValueType::Float,
            ColumnRef::Integer(_) => ValueType::Integer,
            ColumnRef::Unsigned(_) => ValueType::Unsigned,
            ColumnRef::Boolean(_) => ValueType::Boolean,
            ColumnRef::String(_) => ValueType::String,
        }
    }
}

/// Decoded values of one column.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    Float(Vec<f64>),
    Integer(Vec<i64>),
    Unsigned(Vec<u64>),
    Boolean(Vec<bool>),
    String(Vec<String>),
}

impl Column {
    pub fn len(&self) -> usize {
        self.as_ref().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn as_ref(&self) -> ColumnRef<'_> {
        match self {
            Column::Float(v) => ColumnRef::Float(v),
            Column::Integer(v) => ColumnRef::Integer(v),
            Column::Unsigned(v) => ColumnRef::Unsigned(v),
            Column::Boolean(v) => ColumnRef::Boolean(v),
            Column::String(v) => ColumnRef::String(v),
        }
    }

    /// An empty column of the given type.
    pub fn empty(value_type: ValueType) -> Self {
        match value_type {
            ValueType::Float => Column::Float(Vec::new()),
            ValueType::Integer => Column::Integer(Vec::new()),
            ValueType::Unsigned => Column::Unsigned(Vec::new()),
            ValueType::Boolean => Column::Boolean(Vec::new()),
            ValueType::String => Column::String(Vec::new()),
        }
    }
}

/// The schemes the encoder chose for one block, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockSchemes {
    pub timestamps: &'static str,
    pub values: &'static str,
}

/// Encodes blocks, reusing its buffers between calls.
#[derive(Debug, Default)]
pub struct BlockEncoder {
    float: FloatEncoder,
    ints: Vec<i64>,
    ts: Vec<u8>,
}

impl BlockEncoder {
    /// Appends one block of `ts` and `values` to `out`, each column in its smallest scheme.
    pub fn encode(
        &mut self,
        ts: &[i64],
        values: ColumnRef<'_>,
        out: &mut Vec<u8>,
    ) -> Result<BlockSchemes> {
        if ts.len() != values.len() {
            return Err(CodecError::Inconsistent {
                what: "block",
                detail: format!("{} timestamps for {} values", ts.len(), values.len()),
            });
        }
        if ts.len() > MAX_BLOCK_POINTS {
            return Err(CodecError::TooLarge {
                what: "block points",
                value: ts.len() as u64,
                limit: MAX_BLOCK_POINTS as u64,
            });
        }
        out.push(BLOCK_VERSION);
        out.push(values.value_type() as u8);
        self.ts.clear();
        let ts_scheme = timestamp::encode(ts, &mut self.ts);
        put_uvarint(out, self.ts.len() as u64);
        out.extend_from_slice(&self.ts);
        let values = match values {
            ColumnRef::Float(v) => self.float.encode(v, out).name(),
            ColumnRef::Integer(v) => integer::encode(v, out).name(),
            ColumnRef::Unsigned(v) => {
                self.ints.clear();
                self.ints.extend(v.iter().map(|&u| u as i64));
                integer::encode(&self.ints, out).name()
            }
            ColumnRef::Boolean(v) => match boolean::encode(v, out) {
                boolean::BoolScheme::BitPack => "bool-bitpack",
                boolean::BoolScheme::Runs => "bool-runs",
            },
            ColumnRef::String(v) => match string::encode(v, out) {
                string::StringScheme::Dictionary => "string-dictionary",
                string::StringScheme::Lz4 => "string-lz4",
            },
        };
        Ok(BlockSchemes {
            timestamps: ts_scheme.name(),
            values,
        })
    }
}

/// Decodes blocks, reusing its scratch buffer between calls.
#[derive(Debug, Default)]
pub struct BlockDecoder {
    ints: Vec<i64>,
}

impl BlockDecoder {
    /// Decodes `block`, replacing the contents of `ts` and `values` (whose type is set from
    /// the block).
    pub fn decode(&mut self, block: &[u8], ts: &mut Vec<i64>, values: &mut Column) -> Result<()> {
        self.decode_before(block, i64::MAX, ts, values)
    }

    /// [`BlockDecoder::decode`] of only the points before `end` (exclusive; `i64::MAX`:
    /// all): the timestamps are read whole but summed only up to `end`, the numeric values
    /// decoded only as far as the last point kept (a block's later values cost nothing), and
    /// the rest is dropped. Whatever
    /// `end`, a block's whole values are checked only when all of them are decoded, so a
    /// caller reading part of a block relies on the block's checksum for the rest.
    pub fn decode_before(
        &mut self,
        block: &[u8],
        end: i64,
        ts: &mut Vec<i64>,
        values: &mut Column,
    ) -> Result<()> {
        self.decode_sharing(block, None, end, ts, values)
    }

    /// [`BlockDecoder::decode_before`] of a block whose timestamps may be held by another
    /// block ([`shared_timestamps`]): `holder` is that block, found by the container. A
    /// reference without a holder, or a holder that is itself a reference, is an error.
    pub fn decode_sharing(
        &mut self,
        block: &[u8],
        holder: Option<&[u8]>,
        end: i64,
        ts: &mut Vec<i64>,
        values: &mut Column,
    ) -> Result<()> {
        let p = parts(block)?;
        let value_type = p.value_type;
        let section = match (reference(&p)?, holder) {
            (None, _) => p.timestamps,
            (Some(_), Some(holder)) => {
                timestamp_section(holder)?.ok_or_else(|| CodecError::Inconsistent {
                    what: "shared timestamps",
                    detail: "the holding block refers to another block itself".into(),
                })?
            }
            (Some(at), None) => {
                return Err(CodecError::Inconsistent {
                    what: "shared timestamps",
                    detail: format!(
                        "held by the block at offset {} ({} bytes), which was not given",
                        at.offset, at.len
                    ),
                });
            }
        };
        let mut cur = Cursor::new(block);
        cur.bytes(p.values_at, "block header")?;
        let mut ts_cur = Cursor::new(section);
        ts.clear();
        let all = if end == i64::MAX {
            timestamp::decode(&mut ts_cur, ts)?;
            ts.len()
        } else {
            timestamp::decode_before(&mut ts_cur, ts, end)?.1
        };
        ts_cur.finish("timestamp section")?;
        let keep = ts.len();
        // Decoding the whole block checks its values' count against the timestamps'.
        let value_keep = if keep == all { usize::MAX } else { keep };
        if values.as_ref().value_type() != value_type {
            *values = Column::empty(value_type);
        }
        match values {
            Column::Float(v) => {
                v.clear();
                float::decode_prefix(&mut cur, v, &mut self.ints, value_keep)?;
            }
            Column::Integer(v) => {
                v.clear();
                integer::decode_prefix(&mut cur, v, value_keep)?;
            }
            Column::Unsigned(v) => {
                self.ints.clear();
                integer::decode_prefix(&mut cur, &mut self.ints, value_keep)?;
                v.clear();
                v.extend(self.ints.iter().map(|&i| i as u64));
            }
            Column::Boolean(v) => {
                v.clear();
                boolean::decode(&mut cur, v)?;
                v.truncate(value_keep);
            }
            Column::String(v) => {
                v.clear();
                string::decode(&mut cur, v)?;
                v.truncate(value_keep);
            }
        }
        if keep == all {
            cur.finish("block")?;
        }
        if values.len() != ts.len() {
            return Err(CodecError::Inconsistent {
                what: "block",
                detail: format!("{} timestamps but {} values", ts.len(), values.len()),
            });
        }
        Ok(())
    }
}

/// Encodes one block into a new buffer with a fresh encoder (convenience for tests and tools).
pub fn encode_block(ts: &[i64], values: ColumnRef<'_>) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    BlockEncoder::default().encode(ts, values, &mut out)?;
    Ok(out)
}

/// Decodes one block into new buffers.
pub fn decode_block(block: &[u8]) -> Result<(Vec<i64>, Column)> {
    let mut ts = Vec::new();
    let mut values = Column::Float(Vec::new());
    BlockDecoder::default().decode(block, &mut ts, &mut values)?;
    Ok((ts, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_slices_clamp_to_the_column() {
        let v = [1i64, 2, 3];
        assert!(matches!(
            ColumnRef::Integer(&v).slice(1..3),
            ColumnRef::Integer([2, 3])
        ));
        assert!(matches!(
            ColumnRef::Integer(&v).slice(2..9),
            ColumnRef::Integer([3])
        ));
        assert!(ColumnRef::Integer(&v).slice(5..9).is_empty());
    }

    #[test]
    fn every_type_round_trips() {
        let ts: Vec<i64> = (0..100).map(|i| i * 1_000_000_000).collect();
        let columns = [
            Column::Float((0..100).map(|i| i as f64 * 0.25).collect()),
            Column::Integer((0..100).map(|i| i * i - 50).collect()),
            Column::Unsigned((0..100).map(|i| u64::MAX - i).collect()),
            Column::Boolean((0..100).map(|i| i % 3 == 0).collect()),
            Column::String((0..100).map(|i| format!("s{}", i % 4)).collect()),
        ];
        for col in columns {
            let block = encode_block(&ts, col.as_ref()).unwrap();
            let (got_ts, got) = decode_block(&block).unwrap();
            assert_eq!(got_ts, ts);
            assert_eq!(got, col);
        }
    }

    #[test]
    fn shared_timestamps_decode_from_their_holder() {
        let ts: Vec<i64> = (0..300).map(|i| i * 5_000 + (i * 7919) % 13).collect();
        let a: Vec<f64> = (0..300).map(|i| i as f64).collect();
        let b: Vec<i64> = (0..300).map(|i| i * 3).collect();
        let holder = encode_block(&ts, ColumnRef::Float(&a)).unwrap();
        let own = encode_block(&ts, ColumnRef::Integer(&b)).unwrap();
        assert_eq!(
            timestamp_section(&holder).unwrap(),
            timestamp_section(&own).unwrap()
        );
        let at = TimestampsAt {
            offset: 1234,
            len: holder.len() as u64,
        };
        let mut shared = Vec::new();
        share_timestamps(&own, at, &mut shared).unwrap();
        assert!(shared.len() < own.len());
        assert_eq!(shared_timestamps(&shared).unwrap(), Some(at));
        assert_eq!(shared_timestamps(&own).unwrap(), None);
        assert_eq!(timestamp_section(&shared).unwrap(), None);

        let mut dec = BlockDecoder::default();
        let (mut got_ts, mut got) = (Vec::new(), Column::Float(Vec::new()));
        dec.decode_sharing(&shared, Some(&holder), i64::MAX, &mut got_ts, &mut got)
            .unwrap();
        assert_eq!(
            (got_ts.as_slice(), &got),
            (ts.as_slice(), &Column::Integer(b.clone()))
        );
        dec.decode_sharing(&shared, Some(&holder), ts[100], &mut got_ts, &mut got)
            .unwrap();
        assert_eq!(
            (got_ts.as_slice(), &got),
            (&ts[..100], &Column::Integer(b[..100].to_vec()))
        );

        assert!(decode_block(&shared).is_err(), "no holder given");
        let mut nested = Vec::new();
        share_timestamps(&holder, at, &mut nested).unwrap();
        assert!(
            dec.decode_sharing(&shared, Some(&nested), i64::MAX, &mut got_ts, &mut got)
                .is_err(),
            "a holder must hold its own timestamps"
        );
        let short = encode_block(&ts[..299], ColumnRef::Float(&a[..299])).unwrap();
        assert!(
            dec.decode_sharing(&shared, Some(&short), i64::MAX, &mut got_ts, &mut got)
                .is_err(),
            "a holder with another point count"
        );
        for cut in 0..shared.len() {
            assert!(
                dec.decode_sharing(
                    &shared[..cut],
                    Some(&holder),
                    i64::MAX,
                    &mut got_ts,
                    &mut got
                )
                .is_err(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn mismatched_lengths_are_refused() {
        assert!(encode_block(&[1, 2], ColumnRef::Float(&[1.0])).is_err());
    }

    #[test]
    fn every_truncation_and_version_is_an_error() {
        let ts: Vec<i64> = (0..50).map(|i| i * 10).collect();
        let vals: Vec<f64> = (0..50).map(|i| i as f64 / 3.0).collect();
        let block = encode_block(&ts, ColumnRef::Float(&vals)).unwrap();
        for cut in 0..block.len() {
            assert!(decode_block(&block[..cut]).is_err(), "cut at {cut}");
        }
        let mut old = block.clone();
        old[0] = 1;
        assert!(decode_block(&old).is_ok(), "version 1 blocks are read");
        for version in [0, SHARED_TIMESTAMPS_VERSION + 1] {
            let mut bad = block.clone();
            bad[0] = version;
            assert_eq!(
                decode_block(&bad),
                Err(CodecError::UnsupportedVersion(version))
            );
        }
        let mut extra = block;
        extra.push(0);
        assert!(decode_block(&extra).is_err());
    }
}
