//! String columns: a dictionary for low-cardinality values, otherwise LZ4 (`lz4_flex`).
//!
//! * `0x01` **dictionary**: `count` varint, `entries` varint, each entry as a length varint and
//!   UTF-8 bytes, then an integer column ([`crate::integer`]) of entry indices.
//! * `0x02` **lz4**: `count` varint, `raw_len` varint, `compressed_len` varint, then an LZ4
//!   block that inflates to `raw_len` bytes holding each string as a length varint and bytes.
//!
//! Both are tried and the smaller is kept. `raw_len` is bounded by [`MAX_RAW_BYTES`] before
//! anything is allocated, and decoded strings are checked to be UTF-8.

use std::collections::HashMap;

use crate::error::{CodecError, Result};
use crate::varint::{Cursor, put_uvarint};
use crate::{MAX_BLOCK_POINTS, integer};

const TAG_DICTIONARY: u8 = 0x01;
const TAG_LZ4: u8 = 0x02;

/// The largest inflated string block accepted (64 MiB).
pub const MAX_RAW_BYTES: usize = 64 << 20;

/// A string encoding scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringScheme {
    Dictionary,
    Lz4,
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_uvarint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn read_str(cur: &mut Cursor<'_>) -> Result<String> {
    let len = cur.count("string length", MAX_RAW_BYTES)?;
    let bytes = cur.bytes(len, "string bytes")?;
    String::from_utf8(bytes.to_vec()).map_err(|e| CodecError::Inconsistent {
        what: "string column",
        detail: format!("invalid UTF-8: {e}"),
    })
}

fn encode_dictionary<S: AsRef<str>>(values: &[S], out: &mut Vec<u8>) {
    let mut index: HashMap<&str, i64> = HashMap::new();
    let mut entries: Vec<&str> = Vec::new();
    let ids: Vec<i64> = values
        .iter()
        .map(|v| {
            let v = v.as_ref();
            *index.entry(v).or_insert_with(|| {
                entries.push(v);
                entries.len() as i64 - 1
            })
        })
        .collect();
    out.push(TAG_DICTIONARY);
    put_uvarint(out, values.len() as u64);
    put_uvarint(out, entries.len() as u64);
    for e in &entries {
        put_str(out, e);
    }
    integer::encode(&ids, out);
}

fn encode_lz4<S: AsRef<str>>(values: &[S], out: &mut Vec<u8>) {
    let mut raw = Vec::new();
    for v in values {
        put_str(&mut raw, v.as_ref());
    }
    let compressed = lz4_flex::block::compress(&raw);
    out.push(TAG_LZ4);
    put_uvarint(out, values.len() as u64);
    put_uvarint(out, raw.len() as u64);
    put_uvarint(out, compressed.len() as u64);
    out.extend_from_slice(&compressed);
}

/// Encodes `values` with the smaller scheme, appending to `out`.
pub fn encode<S: AsRef<str>>(values: &[S], out: &mut Vec<u8>) -> StringScheme {
    let mut dict = Vec::new();
    encode_dictionary(values, &mut dict);
    let mut lz = Vec::new();
    encode_lz4(values, &mut lz);
    if dict.len() <= lz.len() {
        out.extend_from_slice(&dict);
        StringScheme::Dictionary
    } else {
        out.extend_from_slice(&lz);
        StringScheme::Lz4
    }
}

/// Decodes one string column from `cur`, appending to `out`.
pub fn decode(cur: &mut Cursor<'_>, out: &mut Vec<String>) -> Result<StringScheme> {
    let tag = cur.u8("string scheme")?;
    let count = cur.count("string count", MAX_BLOCK_POINTS)?;
    match tag {
        TAG_DICTIONARY => {
            let n = cur.count("dictionary size", count)?;
            let entries = (0..n).map(|_| read_str(cur)).collect::<Result<Vec<_>>>()?;
            let mut ids = Vec::new();
            integer::decode(cur, &mut ids)?;
            if ids.len() != count {
                return Err(CodecError::Inconsistent {
                    what: "dictionary column",
                    detail: format!("{} indices for {count} values", ids.len()),
                });
            }
            out.reserve(count);
            for id in ids {
                let s = usize::try_from(id)
                    .ok()
                    .and_then(|i| entries.get(i))
                    .ok_or_else(|| CodecError::Inconsistent {
                        what: "dictionary column",
                        detail: format!("index {id} outside a dictionary of {n}"),
                    })?;
                out.push(s.clone());
            }
            Ok(StringScheme::Dictionary)
        }
        TAG_LZ4 => {
            let raw_len = cur.count("inflated string bytes", MAX_RAW_BYTES)?;
            let clen = cur.count("compressed string bytes", MAX_RAW_BYTES)?;
            let compressed = cur.bytes(clen, "compressed strings")?;
            // LZ4 inflates at most about 255:1; a larger claim is corruption, refused before
            // the output buffer is allocated.
            if raw_len > clen.saturating_mul(255).saturating_add(64) {
                return Err(CodecError::Inconsistent {
                    what: "lz4 string block",
                    detail: format!("{raw_len} bytes cannot inflate from {clen}"),
                });
            }
            let raw = lz4_flex::block::decompress(compressed, raw_len).map_err(|e| {
                CodecError::Inconsistent {
                    what: "lz4 string block",
                    detail: e.to_string(),
                }
            })?;
            let mut rc = Cursor::new(&raw);
            out.reserve(count);
            for _ in 0..count {
                out.push(read_str(&mut rc)?);
            }
            rc.finish("lz4 string block")?;
            Ok(StringScheme::Lz4)
        }
        _ => Err(CodecError::UnknownTag {
            what: "string scheme",
            tag,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(values: &[&str]) -> StringScheme {
        let mut buf = Vec::new();
        let scheme = encode(values, &mut buf);
        let mut out = Vec::new();
        let mut cur = Cursor::new(&buf);
        assert_eq!(decode(&mut cur, &mut out).unwrap(), scheme);
        cur.finish("test").unwrap();
        assert_eq!(out, values);
        scheme
    }

    #[test]
    fn low_cardinality_uses_the_dictionary() {
        // A pseudo-random pick, so LZ4 finds no long repeats.
        let v: Vec<&str> = (0..500u64)
            .map(|i| {
                ["ok", "warn", "crit"][(i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 61) as usize % 3]
            })
            .collect();
        assert_eq!(round_trip(&v), StringScheme::Dictionary);
        round_trip(&[]);
        round_trip(&["", "ünïcödé", ""]);
    }

    #[test]
    fn unique_strings_round_trip() {
        let owned: Vec<String> = (0..300)
            .map(|i| format!("request {i} took {}ms", i * 3))
            .collect();
        let v: Vec<&str> = owned.iter().map(|s| s.as_str()).collect();
        round_trip(&v);
    }
}
