//! Frame-of-reference bit-packing of `i64` sequences.
//!
//! The sequence is cut into frames of [`FRAME`] values. Each frame stores its minimum as a
//! zigzag varint, one byte with the bit width `w` (0..=64) of the largest `value - min`, then
//! the `n` offsets packed LSB-first in `ceil(n * w / 8)` bytes. A frame of equal values costs
//! two bytes; a counter's constant deltas therefore cost almost nothing.

use crate::bits::BitWriter;
use crate::error::{CodecError, Result};
use crate::varint::{Cursor, put_ivarint, uvarint_len, zigzag};

/// Values per frame.
pub const FRAME: usize = 128;

#[inline]
fn width_of(range: u64) -> u32 {
    64 - range.leading_zeros()
}

/// The smallest and largest value of a frame.
#[inline]
pub fn frame_bounds(frame: &[i64]) -> (i64, i64) {
    let mut min = i64::MAX;
    let mut max = i64::MIN;
    for &v in frame {
        min = min.min(v);
        max = max.max(v);
    }
    (min, max)
}

/// Size in bytes of one frame with this minimum, maximum and length.
#[inline]
pub fn frame_size(min: i64, max: i64, n: usize) -> usize {
    let w = width_of(max.wrapping_sub(min) as u64) as usize;
    uvarint_len(zigzag(min)) + 1 + (n * w).div_ceil(8)
}

/// Exact number of bytes [`encode`] produces for `values`.
pub fn encoded_size(values: &[i64]) -> usize {
    values
        .chunks(FRAME)
        .map(|f| {
            let (min, max) = frame_bounds(f);
            frame_size(min, max, f.len())
        })
        .sum()
}

/// Appends the packed frames of `values` to `out`.
pub fn encode(values: &[i64], out: &mut Vec<u8>) {
    for frame in values.chunks(FRAME) {
        let (min, max) = frame_bounds(frame);
        let w = width_of(max.wrapping_sub(min) as u64);
        put_ivarint(out, min);
        out.push(w as u8);
        if w == 0 {
            continue;
        }
        let mut bw = BitWriter::new(out);
        for &v in frame {
            bw.write(v.wrapping_sub(min) as u64, w);
        }
        bw.finish();
    }
}

/// Decodes the frames written by [`encode`] holding the first `keep` of `count` values
/// from `cur`, appending them to `out`: at least `min(keep, count)` values (whole frames),
/// all `count` when `keep >= count`; `cur` is left inside the stream when frames remain.
pub fn decode(cur: &mut Cursor<'_>, count: usize, keep: usize, out: &mut Vec<i64>) -> Result<()> {
    out.reserve(count.min(keep));
    let mut left = count;
    let mut kept = 0;
    // Frame bytes are copied here so every 8-byte load stays in bounds without a branch.
    let mut scratch = [0u8; FRAME * 8 + 16];
    while left > 0 && kept < keep {
        let n = left.min(FRAME);
        let base = cur.ivarint("bit-packed frame base")?;
        let w = u32::from(cur.u8("bit-packed frame width")?);
        if w > 64 {
            return Err(CodecError::Inconsistent {
                what: "bit-packed frame",
                detail: format!("width {w} exceeds 64"),
            });
        }
        if w == 0 {
            out.extend(std::iter::repeat_n(base, n));
        } else {
            let nbytes = (n * w as usize).div_ceil(8);
            let data = cur.bytes(nbytes, "bit-packed frame")?;
            scratch[..nbytes].copy_from_slice(data);
            scratch[nbytes..nbytes + 16].fill(0);
            unpack(&scratch, n, w, base, out);
        }
        left -= n;
        kept += n;
    }
    Ok(())
}

/// Unpacks `n` offsets of width `w` (1..=64) from a zero-padded buffer.
#[inline]
fn unpack(buf: &[u8; FRAME * 8 + 16], n: usize, w: u32, base: i64, out: &mut Vec<i64>) {
    let mask = if w == 64 { u64::MAX } else { (1u64 << w) - 1 };
    let load = |i: usize| -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&buf[i..i + 8]);
        u64::from_le_bytes(b)
    };
    // `extend` over a mapped range knows its length: no capacity check per value.
    if w <= 56 {
        out.extend((0..n).map(|i| {
            let bit = i * w as usize;
            let v = (load(bit >> 3) >> (bit & 7)) & mask;
            base.wrapping_add(v as i64)
        }));
    } else {
        out.extend((0..n).map(|i| {
            let bit = i * w as usize;
            let byte = bit >> 3;
            let shift = (bit & 7) as u32;
            let mut v = load(byte) >> shift;
            if shift != 0 {
                v |= u64::from(buf[byte + 8]) << (64 - shift);
            }
            base.wrapping_add((v & mask) as i64)
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(values: &[i64]) {
        let mut buf = Vec::new();
        encode(values, &mut buf);
        assert_eq!(buf.len(), encoded_size(values));
        let mut out = Vec::new();
        let mut cur = Cursor::new(&buf);
        decode(&mut cur, values.len(), values.len(), &mut out).unwrap();
        cur.finish("test").unwrap();
        assert_eq!(out, values);
    }

    #[test]
    fn extremes_and_widths() {
        round_trip(&[]);
        round_trip(&[5]);
        round_trip(&[i64::MIN, i64::MAX, 0, -1]);
        round_trip(&vec![7; 300]);
        let v: Vec<i64> = (0..1000).map(|i| (i * 7919) % 1013 - 500).collect();
        round_trip(&v);
        for w in 0..64 {
            let v: Vec<i64> = (0..130)
                .map(|i| {
                    if i % 2 == 0 {
                        0
                    } else {
                        ((1u64 << w) - 1) as i64
                    }
                })
                .collect();
            round_trip(&v);
        }
    }

    #[test]
    fn constant_frame_costs_two_bytes() {
        assert_eq!(encoded_size(&[3; 128]), 2);
    }

    #[test]
    fn truncated_frame_is_an_error() {
        let mut buf = Vec::new();
        encode(&[1, 100, 10000], &mut buf);
        for cut in 0..buf.len() {
            let mut out = Vec::new();
            assert!(decode(&mut Cursor::new(&buf[..cut]), 3, 3, &mut out).is_err());
        }
    }
}
