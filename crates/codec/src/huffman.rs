//! Per-block canonical Huffman coding of small residuals: the entropy stage for integer
//! columns whose deltas cluster around zero (random walks, jittery scrape intervals).
//!
//! Each residual is zigzagged to a code `z`; codes below [`ESCAPE`] are their own symbol,
//! larger ones share the escape symbol followed by `z - ESCAPE` in a per-block width. Code
//! lengths (at most [`MAX_LEN`] bits) are computed from the block's own histogram and stored
//! in its header, so a frame-of-reference width of 3-4 bits becomes about the entropy of the
//! residuals (2.1 bits for TSBS' integer random walks).
//!
//! Layout (nothing at all when there are no residuals):
//! `symbols u8 (1..=32) | code lengths, 4 bits each, low nibble first | [escape width u8 when
//! symbols = 32] | stream length varint | stream`; codes are canonical (shorter first, then by
//! symbol) and written into the LSB-first bit stream most significant bit first.

use crate::error::{CodecError, Result};
use crate::varint::{Cursor, put_uvarint, unzigzag, uvarint_len, zigzag};

/// Size of the alphabet: codes `0..ESCAPE` and the escape symbol.
pub const SYMBOLS: usize = 32;
/// The symbol standing for every code of at least this value.
const ESCAPE: u64 = SYMBOLS as u64 - 1;
/// Longest code in bits; the decoder resolves a symbol with one lookup in a table this wide.
pub const MAX_LEN: u32 = 8;
const TABLE: usize = 1 << MAX_LEN;

/// Counting lanes of a [`Histogram`].
const LANES: usize = 4;

/// How often each symbol occurs in a residual stream, fed one residual at a time.
#[derive(Debug, Clone, Copy)]
pub struct Histogram {
    /// Counts kept in four lanes, used in turn, so a run of one symbol does not wait on
    /// its own previous increment (summed when the code is planned).
    lanes: [[u32; SYMBOLS]; LANES],
    pushed: usize,
    /// OR of every escaped `z - ESCAPE`: its bit width is the widest escape's.
    escaped: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl Histogram {
    pub const fn new() -> Self {
        Histogram {
            lanes: [[0; SYMBOLS]; LANES],
            pushed: 0,
            escaped: 0,
        }
    }

    /// Counts the zigzag code `z` of one residual.
    #[inline]
    pub fn push(&mut self, z: u64) {
        self.lanes[self.pushed % LANES][z.min(ESCAPE) as usize] += 1;
        self.pushed += 1;
        self.escaped |= z.saturating_sub(ESCAPE);
    }

    fn of(values: &[i64]) -> Self {
        let mut h = Histogram::new();
        values.iter().for_each(|&v| h.push(zigzag(v)));
        h
    }

    /// The count of each symbol.
    fn counts(&self) -> [u32; SYMBOLS] {
        let mut counts = [0u32; SYMBOLS];
        for lane in &self.lanes {
            for (c, &l) in counts.iter_mut().zip(lane) {
                *c += l;
            }
        }
        counts
    }

    fn escape_width(&self) -> u32 {
        64 - self.escaped.leading_zeros()
    }

    /// The code lengths for these counts and the sizes they give.
    fn plan(&self) -> Plan {
        let counts = self.counts();
        // Symbols stored in the header: one past the highest that occurs.
        let n = counts.iter().rposition(|&c| c > 0).map_or(0, |i| i + 1);
        if n == 0 {
            return Plan {
                symbols: 0,
                lens: [0; SYMBOLS],
                stream: 0,
            };
        }
        let lens = code_lengths(&counts[..n]);
        let mut bits: u64 = (0..n)
            .map(|s| u64::from(counts[s]) * u64::from(lens[s]))
            .sum();
        if n == SYMBOLS {
            bits += u64::from(counts[SYMBOLS - 1]) * u64::from(self.escape_width());
        }
        Plan {
            symbols: n,
            lens,
            stream: bits.div_ceil(8) as usize,
        }
    }

    /// Exact number of bytes [`encode`] produces for the residuals counted here.
    pub fn encoded_size(&self) -> usize {
        self.plan().size()
    }
}

/// The code chosen for one stream.
struct Plan {
    symbols: usize,
    lens: [u8; SYMBOLS],
    /// Bytes of the bit stream.
    stream: usize,
}

impl Plan {
    fn size(&self) -> usize {
        match self.symbols {
            0 => 0,
            n => {
                1 + n.div_ceil(2)
                    + usize::from(n == SYMBOLS)
                    + uvarint_len(self.stream as u64)
                    + self.stream
            }
        }
    }
}

/// Huffman code lengths (1..=MAX_LEN, 0 for absent symbols) for these symbol counts: the
/// optimal lengths, or those of counts halved until the longest fits.
fn code_lengths(counts: &[u32]) -> [u8; SYMBOLS] {
    let mut weights = [0u64; SYMBOLS];
    for (w, &c) in weights.iter_mut().zip(counts) {
        *w = u64::from(c);
    }
    loop {
        let lens = unlimited_lengths(&weights[..counts.len()]);
        if lens.iter().all(|&l| u32::from(l) <= MAX_LEN) {
            return lens;
        }
        // Flatter weights give a shallower tree; all-equal weights give depth 5 for 32.
        for w in weights.iter_mut().filter(|w| **w > 0) {
            *w = (*w >> 1) | 1;
        }
    }
}

/// Optimal prefix-code lengths by the two-queue Huffman construction over sorted leaves.
fn unlimited_lengths(weights: &[u64]) -> [u8; SYMBOLS] {
    let mut lens = [0u8; SYMBOLS];
    let mut leaves = [0usize; SYMBOLS];
    let mut m = 0;
    for (s, &w) in weights.iter().enumerate() {
        if w > 0 {
            leaves[m] = s;
            m += 1;
        }
    }
    let leaves = &mut leaves[..m];
    if m == 1 {
        lens[leaves[0]] = 1;
        return lens;
    }
    leaves.sort_unstable_by_key(|&s| (weights[s], s));
    // Nodes 0..m are the sorted leaves, m..2m-1 the internal nodes in creation order.
    let mut weight = [0u64; 2 * SYMBOLS];
    let mut parent = [0usize; 2 * SYMBOLS];
    for (i, &s) in leaves.iter().enumerate() {
        weight[i] = weights[s];
    }
    let (mut next_leaf, mut next_inner) = (0, m);
    for k in m..2 * m - 1 {
        let mut pick = || {
            let take_leaf =
                next_leaf < m && (next_inner >= k || weight[next_leaf] <= weight[next_inner]);
            if take_leaf {
                next_leaf += 1;
                next_leaf - 1
            } else {
                next_inner += 1;
                next_inner - 1
            }
        };
        let (a, b) = (pick(), pick());
        weight[k] = weight[a] + weight[b];
        parent[a] = k;
        parent[b] = k;
    }
    let mut depth = [0u8; 2 * SYMBOLS];
    for node in (0..2 * m - 2).rev() {
        depth[node] = depth[parent[node]].saturating_add(1);
    }
    for (i, &s) in leaves.iter().enumerate() {
        lens[s] = depth[i];
    }
    lens
}

/// Whether these lengths fit the code space (Kraft's inequality); a corrupt header may not.
fn lengths_fit(lens: &[u8]) -> bool {
    let used: u32 = lens
        .iter()
        .filter(|&&l| l > 0)
        .map(|&l| 1u32 << (MAX_LEN - u32::from(l)))
        .sum();
    used <= TABLE as u32
}

/// Canonical codes for lengths that fit ([`lengths_fit`]), bit-reversed for the LSB-first
/// stream.
fn canonical_codes(lens: &[u8]) -> [u32; SYMBOLS] {
    let mut per_len = [0u32; MAX_LEN as usize + 1];
    for &l in lens {
        per_len[usize::from(l)] += 1;
    }
    per_len[0] = 0;
    let mut next = [0u32; MAX_LEN as usize + 1];
    let mut code = 0u32;
    for l in 1..=MAX_LEN as usize {
        code = (code + per_len[l - 1]) << 1;
        next[l] = code;
    }
    let mut codes = [0u32; SYMBOLS];
    for (s, &l) in lens.iter().enumerate() {
        if l > 0 {
            let c = next[usize::from(l)];
            next[usize::from(l)] += 1;
            codes[s] = c.reverse_bits() >> (32 - u32::from(l));
        }
    }
    codes
}

/// Appends the Huffman coding of `values` to `out`.
pub fn encode(values: &[i64], out: &mut Vec<u8>) {
    let hist = Histogram::of(values);
    let plan = hist.plan();
    let n = plan.symbols;
    if n == 0 {
        return;
    }
    let lens = &plan.lens;
    let codes = canonical_codes(&lens[..n]);
    let start = out.len();
    out.push(n as u8);
    for pair in lens[..n].chunks(2) {
        out.push(pair[0] | pair.get(1).map_or(0, |h| h << 4));
    }
    let escape_width = hist.escape_width();
    if n == SYMBOLS {
        out.push(escape_width as u8);
    }
    put_uvarint(out, plan.stream as u64);
    let mut w = crate::bits::BitWriter::new(out);
    for &v in values {
        let z = zigzag(v);
        let s = z.min(ESCAPE) as usize;
        w.write(u64::from(codes[s]), u32::from(lens[s]));
        if z >= ESCAPE {
            w.write(z - ESCAPE, escape_width);
        }
    }
    w.finish();
    debug_assert_eq!(out.len() - start, plan.size());
}

/// Decodes `count` residuals written by [`encode`] from `cur`, appending the first `keep` of
/// them to `out`; the whole stream is consumed either way.
pub fn decode(cur: &mut Cursor<'_>, count: usize, keep: usize, out: &mut Vec<i64>) -> Result<()> {
    if count == 0 {
        return Ok(());
    }
    let n = usize::from(cur.u8("huffman symbols")?);
    if n == 0 || n > SYMBOLS {
        return Err(CodecError::Inconsistent {
            what: "huffman header",
            detail: format!("{n} symbols (1..={SYMBOLS} allowed)"),
        });
    }
    let mut lens = [0u8; SYMBOLS];
    let packed = cur.bytes(n.div_ceil(2), "huffman code lengths")?;
    for (s, len) in lens[..n].iter_mut().enumerate() {
        *len = (packed[s / 2] >> ((s % 2) * 4)) & 0x0f;
        if u32::from(*len) > MAX_LEN {
            return Err(CodecError::Inconsistent {
                what: "huffman header",
                detail: format!("code length {len} exceeds {MAX_LEN}"),
            });
        }
    }
    let escape_width = if n == SYMBOLS {
        u32::from(cur.u8("huffman escape width")?)
    } else {
        0
    };
    if escape_width > 64 {
        return Err(CodecError::Inconsistent {
            what: "huffman header",
            detail: format!("escape width {escape_width} exceeds 64"),
        });
    }
    let stream_len = cur.count("huffman stream length", count.saturating_mul(9))?;
    let stream = cur.bytes(stream_len, "huffman stream")?;
    if !lengths_fit(&lens[..n]) {
        return Err(CodecError::Inconsistent {
            what: "huffman header",
            detail: "code lengths over-subscribe the code space".into(),
        });
    }
    let codes = canonical_codes(&lens[..n]);
    // Entry: symbol in the low byte, code length above it (0: no code starts with these bits).
    let mut table = [0u16; TABLE];
    for s in 0..n {
        let l = lens[s];
        if l > 0 {
            let mut i = codes[s] as usize;
            while i < TABLE {
                table[i] = (u16::from(l) << 8) | s as u16;
                i += 1 << l;
            }
        }
    }
    let load = |byte: usize| -> u64 {
        match stream.get(byte..byte + 8) {
            Some(s) => {
                let mut w = [0u8; 8];
                w.copy_from_slice(s);
                u64::from_le_bytes(w)
            }
            None => {
                let mut w = [0u8; 8];
                if let Some(tail) = stream.get(byte..) {
                    w[..tail.len()].copy_from_slice(tail);
                }
                u64::from_le_bytes(w)
            }
        }
    };
    let escape_mask = if escape_width == 64 {
        u64::MAX
    } else {
        (1u64 << escape_width) - 1
    };
    let wanted = count.min(keep);
    out.reserve(wanted);
    let mut pos = 0usize;
    for _ in 0..wanted {
        let bits = load(pos >> 3) >> (pos & 7);
        let entry = table[(bits & (TABLE as u64 - 1)) as usize];
        let len = usize::from(entry >> 8);
        if len == 0 {
            return Err(CodecError::Inconsistent {
                what: "huffman stream",
                detail: format!("no code at bit {pos}"),
            });
        }
        pos += len;
        let sym = u64::from(entry & 0xff);
        let z = if sym == ESCAPE {
            let byte = pos >> 3;
            let shift = (pos & 7) as u32;
            let mut v = load(byte) >> shift;
            if shift != 0 {
                v |= u64::from(stream.get(byte + 8).copied().unwrap_or(0)) << (64 - shift);
            }
            pos += escape_width as usize;
            ESCAPE.wrapping_add(v & escape_mask)
        } else {
            sym
        };
        out.push(unzigzag(z));
    }
    if pos > stream.len() * 8 {
        return Err(CodecError::Truncated {
            what: "huffman stream",
            offset: stream.len(),
            needed: (pos - stream.len() * 8).div_ceil(8),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(values: &[i64]) -> usize {
        let mut buf = Vec::new();
        encode(values, &mut buf);
        assert_eq!(buf.len(), Histogram::of(values).encoded_size());
        let mut out = Vec::new();
        let mut cur = Cursor::new(&buf);
        decode(&mut cur, values.len(), values.len(), &mut out).unwrap();
        cur.finish("test").unwrap();
        assert_eq!(out, values);
        for keep in [0, 1, values.len() / 2] {
            let mut part = Vec::new();
            let mut cur = Cursor::new(&buf);
            decode(&mut cur, values.len(), keep, &mut part).unwrap();
            cur.finish("test").unwrap();
            assert_eq!(part, values[..keep.min(values.len())]);
        }
        buf.len()
    }

    #[test]
    fn extremes_escapes_and_single_symbols() {
        round_trip(&[]);
        round_trip(&[0]);
        round_trip(&[5; 100]);
        round_trip(&[i64::MIN, i64::MAX, 0, -1, 15, -16, 16]);
        let v: Vec<i64> = (0..1000).map(|i| (i * 7919) % 1013 - 500).collect();
        round_trip(&v);
        // Every symbol, with skewed counts that force the length limit.
        let v: Vec<i64> = (0..40)
            .flat_map(|s: i64| std::iter::repeat_n(s - 20, 1 << (s % 13)))
            .collect();
        round_trip(&v);
    }

    #[test]
    fn small_deltas_cost_about_their_entropy() {
        // A 2-bit-entropy distribution: 0 half the time, ±1 a quarter each... roughly.
        let v: Vec<i64> = (0..1024u64)
            .map(|i| match i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 62 {
                0 | 1 => 0,
                2 => 1,
                _ => -1,
            })
            .collect();
        let size = round_trip(&v);
        assert!(size * 8 < 1024 * 16 / 10, "{size} bytes");
    }

    #[test]
    fn lengths_never_exceed_the_limit() {
        let counts: Vec<u32> = (0..SYMBOLS as u32).map(|i| 1 << (i % 31)).collect();
        let lens = code_lengths(&counts);
        assert!(lens.iter().all(|&l| (1..=MAX_LEN as u8).contains(&l)));
        assert!(lengths_fit(&lens));
    }

    #[test]
    fn corrupt_headers_and_truncation_are_errors() {
        let v: Vec<i64> = (0..300).map(|i| (i % 7) - 3).collect();
        let mut buf = Vec::new();
        encode(&v, &mut buf);
        for cut in 0..buf.len() {
            let mut out = Vec::new();
            assert!(decode(&mut Cursor::new(&buf[..cut]), v.len(), v.len(), &mut out).is_err());
        }
        // All lengths 1: over-subscribed.
        let bad = [4u8, 0x11, 0x11, 1, 0];
        assert!(decode(&mut Cursor::new(&bad), 1, 1, &mut Vec::new()).is_err());
        // Zero symbols.
        assert!(decode(&mut Cursor::new(&[0u8]), 1, 1, &mut Vec::new()).is_err());
    }
}
