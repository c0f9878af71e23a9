//! LEB128 varints and zigzag mapping, plus a bounds-checked byte cursor used by every decoder.

use crate::error::{CodecError, Result};

/// Maps a signed integer to an unsigned one so small magnitudes get small codes.
#[inline]
pub fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// Inverse of [`zigzag`].
#[inline]
pub fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Appends `v` as an unsigned LEB128 varint (1 to 10 bytes).
#[inline]
pub fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends `v` zigzag-mapped as a varint.
#[inline]
pub fn put_ivarint(out: &mut Vec<u8>, v: i64) {
    put_uvarint(out, zigzag(v));
}

/// The number of bytes [`put_uvarint`] writes for `v`.
#[inline]
pub fn uvarint_len(v: u64) -> usize {
    // 1 byte per started group of 7 bits, at least one.
    let bits = 64 - (v | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// A forward reader over a byte slice whose every read is bounds-checked.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Cursor { data, pos: 0 }
    }

    /// Offset of the next unread byte.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The bytes not read yet.
    pub fn remaining(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn u8(&mut self, what: &'static str) -> Result<u8> {
        let b = *self.data.get(self.pos).ok_or(CodecError::Truncated {
            what,
            offset: self.pos,
            needed: 1,
        })?;
        self.pos += 1;
        Ok(b)
    }

    /// Reads `n` raw bytes.
    pub fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        match end {
            Some(end) => {
                let s = &self.data[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(CodecError::Truncated {
                what,
                offset: self.pos,
                needed: n.saturating_sub(self.data.len() - self.pos.min(self.data.len())),
            }),
        }
    }

    pub fn uvarint(&mut self, what: &'static str) -> Result<u64> {
        // Fast path: a well-formed varint decodes in one loop without per-byte error paths;
        // anything else (truncated, overlong) is left to the checked loop below.
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let mut result: u64 = 0;
        for (i, &b) in rest.iter().take(9).enumerate() {
            result |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                self.pos += i + 1;
                return Ok(result);
            }
        }
        self.uvarint_checked(what)
    }

    fn uvarint_checked(&mut self, what: &'static str) -> Result<u64> {
        let start = self.pos;
        let mut result: u64 = 0;
        let mut shift = 0u32;
        loop {
            let b = self.u8(what)?;
            if shift == 63 && b > 1 {
                return Err(CodecError::BadVarint(start));
            }
            result |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(result);
            }
            shift += 7;
            if shift > 63 {
                return Err(CodecError::BadVarint(start));
            }
        }
    }

    pub fn ivarint(&mut self, what: &'static str) -> Result<i64> {
        self.uvarint(what).map(unzigzag)
    }

    /// Reads a varint that counts something, rejecting values above `limit` before any
    /// allocation sized by it can happen.
    pub fn count(&mut self, what: &'static str, limit: usize) -> Result<usize> {
        let v = self.uvarint(what)?;
        if v > limit as u64 {
            return Err(CodecError::TooLarge {
                what,
                value: v,
                limit: limit as u64,
            });
        }
        Ok(v as usize)
    }

    /// Fails unless every byte has been consumed.
    pub fn finish(&self, what: &'static str) -> Result<()> {
        if self.pos == self.data.len() {
            Ok(())
        } else {
            Err(CodecError::Inconsistent {
                what,
                detail: format!("{} trailing byte(s)", self.data.len() - self.pos),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_round_trips_extremes() {
        for v in [0, 1, -1, 63, -64, i64::MAX, i64::MIN] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
    }

    #[test]
    fn varint_round_trip_and_length() {
        let mut buf = Vec::new();
        let vals = [0u64, 1, 127, 128, 16383, 16384, u64::MAX];
        for &v in &vals {
            let before = buf.len();
            put_uvarint(&mut buf, v);
            assert_eq!(buf.len() - before, uvarint_len(v));
        }
        let mut c = Cursor::new(&buf);
        for &v in &vals {
            assert_eq!(c.uvarint("t").unwrap(), v);
        }
        c.finish("t").unwrap();
    }

    #[test]
    fn overlong_varint_is_an_error() {
        let buf = [0xffu8; 11];
        assert!(Cursor::new(&buf).uvarint("t").is_err());
        let buf = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(Cursor::new(&buf).uvarint("t").is_err());
        let buf = [0x80];
        assert!(Cursor::new(&buf).uvarint("t").is_err());
    }

    #[test]
    fn count_rejects_over_limit() {
        let mut buf = Vec::new();
        put_uvarint(&mut buf, 1000);
        assert!(matches!(
            Cursor::new(&buf).count("n", 999),
            Err(CodecError::TooLarge { .. })
        ));
    }
}
