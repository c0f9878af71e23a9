//! Gorilla XOR compression of `f64` bit patterns (Pelkonen et al., VLDB 2015).
//!
//! Layout: `count` varint, then a bit stream: the first value's 64 bits; for each later value
//! the XOR with its predecessor as `0` (identical), `10` + the meaningful bits inside the
//! previous leading/trailing-zero window, or `11` + 5 bits of leading zeros (clamped to 31) +
//! 6 bits of meaningful length (64 stored as 0) + the meaningful bits. Every bit pattern,
//! NaN payloads and -0.0 included, round-trips because only bits are compared.

use crate::MAX_BLOCK_POINTS;
use crate::bits::{BitReader, BitWriter};
use crate::error::{CodecError, Result};
use crate::varint::{Cursor, put_uvarint, uvarint_len};

/// Appends the Gorilla encoding of `values` (given as bit patterns) to `out`.
pub fn encode(bits: &[u64], out: &mut Vec<u8>) {
    put_uvarint(out, bits.len() as u64);
    let Some(&first) = bits.first() else { return };
    let mut w = BitWriter::new(out);
    w.write(first, 64);
    let mut prev = first;
    // The current window: leading zeros and meaningful length; lead 65 means "none yet".
    let mut lead = 65u32;
    let mut trail = 0u32;
    for &v in &bits[1..] {
        let xor = v ^ prev;
        prev = v;
        if xor == 0 {
            w.write(0, 1);
            continue;
        }
        let l = xor.leading_zeros().min(31);
        let t = xor.trailing_zeros();
        if lead <= 64 && l >= lead && t >= trail {
            w.write(0b01, 2);
            w.write(xor >> trail, 64 - lead - trail);
        } else {
            lead = l;
            trail = t;
            let len = 64 - l - t;
            w.write(0b11, 2);
            w.write(u64::from(l), 5);
            w.write(u64::from(len & 63), 6);
            w.write(xor >> t, len);
        }
    }
    w.finish();
}

/// A lower bound on [`encode`]'s output size in bytes. Cheap (no bit writing): a block
/// encoder uses it to skip Gorilla when another scheme is already smaller than Gorilla could
/// possibly be.
pub fn size_lower_bound(bits: &[u64]) -> usize {
    let mut total_bits = if bits.is_empty() { 0 } else { 64 };
    for w in bits.windows(2) {
        let xor = w[0] ^ w[1];
        if xor == 0 {
            total_bits += 1;
        } else {
            // A reused window is never narrower than this value's own meaningful bits.
            total_bits +=
                2 + 64 - xor.leading_zeros().min(31) as usize - xor.trailing_zeros() as usize;
        }
    }
    uvarint_len(bits.len() as u64) + total_bits.div_ceil(8)
}

/// Decodes one Gorilla column from `cur`, appending bit patterns to `out`.
pub fn decode(cur: &mut Cursor<'_>, out: &mut Vec<u64>) -> Result<()> {
    let count = cur.count("gorilla count", MAX_BLOCK_POINTS)?;
    if count == 0 {
        return Ok(());
    }
    out.reserve(count);
    let mut r = BitReader::new(cur.remaining());
    let mut prev = r.read(64)?;
    out.push(prev);
    let mut lead = 0u32;
    let mut trail = 0u32;
    for _ in 1..count {
        if r.read_bit()? {
            if r.read_bit()? {
                lead = r.read(5)? as u32;
                let mut len = r.read(6)? as u32;
                if len == 0 {
                    len = 64;
                }
                // The encoder never claims more bits than fit after the leading zeros.
                if lead + len > 64 {
                    return Err(CodecError::Inconsistent {
                        what: "gorilla value header",
                        detail: format!("{lead} leading zeros and {len} meaningful bits"),
                    });
                }
                trail = 64 - lead - len;
                prev ^= r.read(len)? << trail;
            } else {
                let len = 64 - lead - trail;
                prev ^= r.read(len)? << trail;
            }
        }
        out.push(prev);
    }
    let used = r.bytes_consumed();
    cur.bytes(used, "gorilla float stream")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(values: &[f64]) -> usize {
        let bits: Vec<u64> = values.iter().map(|v| v.to_bits()).collect();
        let mut buf = Vec::new();
        encode(&bits, &mut buf);
        assert!(size_lower_bound(&bits) <= buf.len());
        let mut cur = Cursor::new(&buf);
        let mut out = Vec::new();
        decode(&mut cur, &mut out).unwrap();
        cur.finish("test").unwrap();
        assert_eq!(out, bits);
        buf.len()
    }

    #[test]
    fn special_values() {
        round_trip(&[]);
        round_trip(&[f64::NAN]);
        round_trip(&[
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE / 2.0,
            f64::from_bits(0x7ff8_0000_dead_beef),
            f64::MAX,
            f64::MIN,
            1.0,
            1.0,
        ]);
    }

    #[test]
    fn constant_series_costs_one_bit_a_point() {
        let size = round_trip(&[12.5; 1000]);
        assert!(size <= 2 + 8 + 1000 / 8 + 1);
    }

    #[test]
    fn forged_length_does_not_panic() {
        // First value, then a "11" header claiming 31 leading zeros and 64 meaningful bits.
        let mut buf = Vec::new();
        put_uvarint(&mut buf, 2);
        let mut w = BitWriter::new(&mut buf);
        w.write(0, 64);
        w.write(0b11, 2);
        w.write(31, 5);
        w.write(0, 6);
        w.write(u64::MAX, 64);
        w.finish();
        let mut out = Vec::new();
        let err = decode(&mut Cursor::new(&buf), &mut out).unwrap_err();
        assert!(
            err.to_string()
                .contains("31 leading zeros and 64 meaningful bits"),
            "{err}"
        );
    }
}
