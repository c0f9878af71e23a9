//! A bloom filter over the canonical series keys of one SSTable, so a query for a series the
//! file does not hold skips it without touching the index.
//!
//! Layout: `k` (u8, number of probes), `n_bytes` varint, then the bit array. Probe `i` of key
//! `x` sets bit `(h1 + i * h2) mod m` where `h1`/`h2` are the low and high halves of
//! `xxh3_64(x)` and `m = 8 * n_bytes`.

use strata_codec::varint::{Cursor, put_uvarint};
use xxhash_rust::xxh3::xxh3_64;

/// Bits of filter per key (about 1% false positives with 7 probes).
const BITS_PER_KEY: usize = 10;
const PROBES: u8 = 7;

/// The filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bloom {
    probes: u8,
    bits: Vec<u8>,
}

impl Bloom {
    /// A filter sized for `keys` keys.
    pub fn with_capacity(keys: usize) -> Self {
        let bytes = (keys * BITS_PER_KEY).div_ceil(8).max(8);
        Bloom {
            probes: PROBES,
            bits: vec![0; bytes],
        }
    }

    /// The hash a key is filed under (what [`Bloom::insert_hash`] takes).
    pub fn hash(key: &[u8]) -> u64 {
        xxh3_64(key)
    }

    /// Bytes of the bit array.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.bits.len()
    }

    fn positions(&self, h: u64) -> impl Iterator<Item = usize> + use<> {
        let (h1, h2) = (h as u32 as u64, (h >> 32) | 1);
        let m = (self.bits.len() * 8).max(1) as u64;
        (0..u64::from(self.probes)).map(move |i| (h1.wrapping_add(i.wrapping_mul(h2)) % m) as usize)
    }

    #[cfg(test)]
    pub fn insert(&mut self, key: &[u8]) {
        self.insert_hash(Bloom::hash(key));
    }

    /// Inserts a key by its [`Bloom::hash`].
    pub fn insert_hash(&mut self, hash: u64) {
        for p in self.positions(hash) {
            if let Some(byte) = self.bits.get_mut(p / 8) {
                *byte |= 1 << (p % 8);
            }
        }
    }

    /// False means the key is certainly absent.
    pub fn may_contain(&self, key: &[u8]) -> bool {
        if self.bits.is_empty() {
            return true;
        }
        self.positions(Bloom::hash(key)).all(|p| {
            self.bits
                .get(p / 8)
                .is_some_and(|b| b & (1 << (p % 8)) != 0)
        })
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.probes);
        put_uvarint(out, self.bits.len() as u64);
        out.extend_from_slice(&self.bits);
    }

    pub fn decode(cur: &mut Cursor<'_>) -> strata_codec::Result<Bloom> {
        let probes = cur.u8("bloom probes")?.clamp(1, 32);
        let n = cur.count("bloom bytes", 1 << 30)?;
        let bits = cur.bytes(n, "bloom bits")?.to_vec();
        Ok(Bloom { probes, bits })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_false_negatives_and_few_false_positives() {
        let mut b = Bloom::with_capacity(1000);
        for i in 0..1000 {
            b.insert(format!("cpu,host=h{i}").as_bytes());
        }
        assert!((0..1000).all(|i| b.may_contain(format!("cpu,host=h{i}").as_bytes())));
        let fp = (0..10_000)
            .filter(|i| b.may_contain(format!("mem,host=x{i}").as_bytes()))
            .count();
        assert!(fp < 300, "{fp} false positives");
        let mut buf = Vec::new();
        b.encode(&mut buf);
        assert_eq!(Bloom::decode(&mut Cursor::new(&buf)).unwrap(), b);
    }
}
