//! Bit-level writer and reader over byte buffers, 64-bit word at a time.
//!
//! Bits are laid out LSB-first: bit `i` of the stream is bit `i % 8` of byte `i / 8`, and a
//! value written with `n` bits puts its least significant bit first. The writer accumulates into
//! a `u64` and flushes whole words; the reader loads 8 bytes at a time with unaligned
//! little-endian reads, so neither touches memory per bit.

use crate::error::{CodecError, Result};

/// Accumulates bits into a byte vector.
#[derive(Debug)]
pub struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    /// Number of valid bits in `acc` (always < 64 between calls).
    filled: u32,
}

impl<'a> BitWriter<'a> {
    /// Starts writing at the end of `out`; earlier bytes are left untouched.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        BitWriter {
            out,
            acc: 0,
            filled: 0,
        }
    }

    /// Writes the low `n` bits of `value` (`n` in 0..=64; higher bits of `value` are ignored).
    #[inline]
    pub fn write(&mut self, value: u64, n: u32) {
        debug_assert!(n <= 64);
        if n == 0 {
            return;
        }
        let value = if n == 64 {
            value
        } else {
            value & ((1u64 << n) - 1)
        };
        self.acc |= value << self.filled;
        let total = self.filled + n;
        if total >= 64 {
            self.out.extend_from_slice(&self.acc.to_le_bytes());
            let used = 64 - self.filled;
            self.acc = if used == 64 { 0 } else { value >> used };
            self.filled = total - 64;
        } else {
            self.filled = total;
        }
    }

    #[inline]
    pub fn write_bit(&mut self, bit: bool) {
        self.write(u64::from(bit), 1);
    }

    /// Flushes the partial word, padding with zero bits to a whole byte.
    pub fn finish(self) {
        let bytes = self.filled.div_ceil(8) as usize;
        self.out.extend_from_slice(&self.acc.to_le_bytes()[..bytes]);
    }
}

/// Reads bits written by [`BitWriter`]; every read is bounds-checked.
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    data: &'a [u8],
    /// Next bit to read.
    pos: usize,
    /// Total bits available.
    len: usize,
}

impl<'a> BitReader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        BitReader {
            data,
            pos: 0,
            len: data.len() * 8,
        }
    }

    /// Loads 8 bytes little-endian starting at byte `i`, zero-filled past the end.
    #[inline]
    fn load(&self, i: usize) -> u64 {
        match self.data.get(i..i + 8) {
            Some(s) => {
                let mut w = [0u8; 8];
                w.copy_from_slice(s);
                u64::from_le_bytes(w)
            }
            None => {
                let mut w = [0u8; 8];
                if let Some(tail) = self.data.get(i..) {
                    w[..tail.len()].copy_from_slice(tail);
                }
                u64::from_le_bytes(w)
            }
        }
    }

    /// Reads `n` bits (0..=64).
    #[inline]
    pub fn read(&mut self, n: u32) -> Result<u64> {
        debug_assert!(n <= 64);
        if n == 0 {
            return Ok(0);
        }
        let n_us = n as usize;
        if self.len - self.pos < n_us {
            return Err(CodecError::Truncated {
                what: "bit stream",
                offset: self.pos / 8,
                needed: (n_us - (self.len - self.pos)).div_ceil(8),
            });
        }
        let byte = self.pos / 8;
        let shift = (self.pos % 8) as u32;
        let mut v = self.load(byte) >> shift;
        if shift + n > 64 {
            // The value straddles a 9th byte.
            let extra = u64::from(self.data.get(byte + 8).copied().unwrap_or(0));
            v |= extra << (64 - shift);
        }
        self.pos += n_us;
        Ok(if n == 64 { v } else { v & ((1u64 << n) - 1) })
    }

    #[inline]
    pub fn read_bit(&mut self) -> Result<bool> {
        if self.pos >= self.len {
            return Err(CodecError::Truncated {
                what: "bit stream",
                offset: self.pos / 8,
                needed: 1,
            });
        }
        let b = (self.data[self.pos / 8] >> (self.pos % 8)) & 1;
        self.pos += 1;
        Ok(b == 1)
    }

    /// Counts leading one bits (up to `max`), consuming them and the terminating zero if it
    /// was reached before `max`. Used for unary-coded prefixes.
    #[inline]
    pub fn read_unary(&mut self, max: u32) -> Result<u32> {
        let mut n = 0;
        while n < max {
            if !self.read_bit()? {
                return Ok(n);
            }
            n += 1;
        }
        Ok(n)
    }

    /// Bytes consumed so far, counting a partly read byte as consumed.
    pub fn bytes_consumed(&self) -> usize {
        self.pos.div_ceil(8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_mixed_widths() {
        let items: Vec<(u64, u32)> = (0..200u64)
            .map(|i| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15), (i % 65) as u32))
            .collect();
        let mut buf = Vec::new();
        let mut w = BitWriter::new(&mut buf);
        for &(v, n) in &items {
            w.write(v, n);
        }
        w.finish();
        let mut r = BitReader::new(&buf);
        for &(v, n) in &items {
            let mask = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
            assert_eq!(r.read(n).unwrap(), v & mask, "width {n}");
        }
    }

    #[test]
    fn reading_past_end_is_an_error() {
        let mut buf = Vec::new();
        let mut w = BitWriter::new(&mut buf);
        w.write(0b101, 3);
        w.finish();
        assert_eq!(buf.len(), 1);
        let mut r = BitReader::new(&buf);
        assert_eq!(r.read(8).unwrap(), 0b101);
        assert!(r.read(1).is_err());
        assert!(r.read_bit().is_err());
    }

    #[test]
    fn unary_prefix() {
        let mut buf = Vec::new();
        let mut w = BitWriter::new(&mut buf);
        for bit in [true, true, false, true, true, true, true] {
            w.write_bit(bit);
        }
        w.finish();
        let mut r = BitReader::new(&buf);
        assert_eq!(r.read_unary(4).unwrap(), 2);
        assert_eq!(r.read_unary(4).unwrap(), 4);
    }
}
