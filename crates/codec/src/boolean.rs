//! Boolean columns: bit-packed, or run-length when the value rarely flips.
//!
//! * `0x01` **bitpack**: `count` varint, then `ceil(count / 8)` bytes, value `i` in bit `i % 8`
//!   of byte `i / 8`.
//! * `0x02` **runs**: `count` varint, the first value (u8 0 or 1), then run lengths as varints;
//!   runs alternate between false and true.

use crate::MAX_BLOCK_POINTS;
use crate::error::{CodecError, Result};
use crate::varint::{Cursor, put_uvarint, uvarint_len};

const TAG_BITPACK: u8 = 0x01;
const TAG_RUNS: u8 = 0x02;

/// A boolean encoding scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolScheme {
    BitPack,
    Runs,
}

fn runs(values: &[bool]) -> impl Iterator<Item = u64> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let first = *values.get(i)?;
        let len = values[i..].iter().take_while(|&&v| v == first).count();
        i += len;
        Some(len as u64)
    })
}

/// Encodes `values` with the smaller scheme, appending to `out`.
pub fn encode(values: &[bool], out: &mut Vec<u8>) -> BoolScheme {
    let packed = values.len().div_ceil(8);
    let run_size: usize = 1 + runs(values).map(uvarint_len).sum::<usize>();
    if run_size < packed {
        out.push(TAG_RUNS);
        put_uvarint(out, values.len() as u64);
        out.push(u8::from(values.first().copied().unwrap_or(false)));
        for len in runs(values) {
            put_uvarint(out, len);
        }
        BoolScheme::Runs
    } else {
        out.push(TAG_BITPACK);
        put_uvarint(out, values.len() as u64);
        for chunk in values.chunks(8) {
            out.push(
                chunk
                    .iter()
                    .enumerate()
                    .fold(0u8, |b, (i, &v)| b | (u8::from(v) << i)),
            );
        }
        BoolScheme::BitPack
    }
}

/// Decodes one boolean column from `cur`, appending to `out`.
pub fn decode(cur: &mut Cursor<'_>, out: &mut Vec<bool>) -> Result<BoolScheme> {
    let tag = cur.u8("boolean scheme")?;
    let count = cur.count("boolean count", MAX_BLOCK_POINTS)?;
    out.reserve(count);
    match tag {
        TAG_BITPACK => {
            let bytes = cur.bytes(count.div_ceil(8), "packed booleans")?;
            out.extend((0..count).map(|i| (bytes[i / 8] >> (i % 8)) & 1 == 1));
            Ok(BoolScheme::BitPack)
        }
        TAG_RUNS => {
            let mut value = match cur.u8("first boolean")? {
                0 => false,
                1 => true,
                b => {
                    return Err(CodecError::Inconsistent {
                        what: "boolean runs",
                        detail: format!("first value byte {b}"),
                    });
                }
            };
            let mut left = count;
            while left > 0 {
                let len = cur.uvarint("boolean run length")?;
                if len == 0 || len > left as u64 {
                    return Err(CodecError::Inconsistent {
                        what: "boolean runs",
                        detail: format!("run of {len} with {left} value(s) left"),
                    });
                }
                out.extend(std::iter::repeat_n(value, len as usize));
                left -= len as usize;
                value = !value;
            }
            Ok(BoolScheme::Runs)
        }
        _ => Err(CodecError::UnknownTag {
            what: "boolean scheme",
            tag,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(values: &[bool]) -> BoolScheme {
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
    fn picks_runs_for_steady_flags_and_bits_for_noise() {
        assert_eq!(round_trip(&[true; 1000]), BoolScheme::Runs);
        let noisy: Vec<bool> = (0..1000).map(|i| (i * 7919) % 3 == 0).collect();
        assert_eq!(round_trip(&noisy), BoolScheme::BitPack);
        round_trip(&[]);
        round_trip(&[false]);
    }
}
