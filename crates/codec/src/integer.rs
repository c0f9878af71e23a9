//! Integer columns: a transform (none, delta, delta-of-delta) followed by a packing
//! (frame-of-reference bit-packing, run-length or Huffman), the pair chosen per block by exact
//! size.
//!
//! Layout: `scheme u8 = packing << 4 | transform`, `count` varint, then the transform's prefix
//! (delta: the first value; delta-of-delta: the first value and the first delta, zigzag
//! varints), then the `count - prefix` residuals in the packing. All arithmetic wraps, so every
//! `i64` sequence round-trips. Unsigned columns reuse this codec on the bit-cast values.

use crate::error::{CodecError, Result};
use crate::huffman::{self, Histogram};
use crate::varint::{Cursor, put_ivarint, put_uvarint, uvarint_len, zigzag};
use crate::{MAX_BLOCK_POINTS, bitpack, rle};

/// How values are turned into residuals before packing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// Residuals are the values themselves.
    Raw = 0,
    /// Residuals are differences of consecutive values (gauges that move a little).
    Delta = 1,
    /// Residuals are differences of consecutive deltas (counters with a steady rate).
    DeltaOfDelta = 2,
}

/// How residuals are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    /// Frame-of-reference bit-packing ([`bitpack`]).
    BitPack = 0,
    /// Run-length pairs ([`rle`]).
    RunLength = 1,
    /// Canonical Huffman codes of the block's own residual histogram ([`huffman`]).
    Huffman = 2,
}

/// A transform and packing pair; its byte is the column's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntScheme {
    pub transform: Transform,
    pub packing: Packing,
}

impl IntScheme {
    pub const ALL: [IntScheme; 9] = {
        use Packing::*;
        use Transform::*;
        [
            IntScheme::new(Raw, BitPack),
            IntScheme::new(Delta, BitPack),
            IntScheme::new(DeltaOfDelta, BitPack),
            IntScheme::new(Raw, RunLength),
            IntScheme::new(Delta, RunLength),
            IntScheme::new(DeltaOfDelta, RunLength),
            IntScheme::new(Raw, Huffman),
            IntScheme::new(Delta, Huffman),
            IntScheme::new(DeltaOfDelta, Huffman),
        ]
    };

    pub const fn new(transform: Transform, packing: Packing) -> Self {
        IntScheme { transform, packing }
    }

    pub fn tag(self) -> u8 {
        ((self.packing as u8) << 4) | self.transform as u8
    }

    pub fn from_tag(tag: u8) -> Result<Self> {
        let transform = match tag & 0x0f {
            0 => Transform::Raw,
            1 => Transform::Delta,
            2 => Transform::DeltaOfDelta,
            _ => {
                return Err(CodecError::UnknownTag {
                    what: "integer transform",
                    tag,
                });
            }
        };
        let packing = match tag >> 4 {
            0 => Packing::BitPack,
            1 => Packing::RunLength,
            2 => Packing::Huffman,
            _ => {
                return Err(CodecError::UnknownTag {
                    what: "integer packing",
                    tag,
                });
            }
        };
        Ok(IntScheme { transform, packing })
    }

    pub fn name(self) -> &'static str {
        match (self.transform, self.packing) {
            (Transform::Raw, Packing::BitPack) => "int-raw-bitpack",
            (Transform::Delta, Packing::BitPack) => "int-delta-bitpack",
            (Transform::DeltaOfDelta, Packing::BitPack) => "int-dod-bitpack",
            (Transform::Raw, Packing::RunLength) => "int-raw-rle",
            (Transform::Delta, Packing::RunLength) => "int-delta-rle",
            (Transform::DeltaOfDelta, Packing::RunLength) => "int-dod-rle",
            (Transform::Raw, Packing::Huffman) => "int-raw-huffman",
            (Transform::Delta, Packing::Huffman) => "int-delta-huffman",
            (Transform::DeltaOfDelta, Packing::Huffman) => "int-dod-huffman",
        }
    }
}

/// The residuals of one transform (into `out`) and the prefix values stored before them.
fn residuals(values: &[i64], transform: Transform, out: &mut Vec<i64>) -> (usize, [i64; 2]) {
    out.clear();
    match transform {
        Transform::Raw => out.extend_from_slice(values),
        Transform::Delta => out.extend(values.windows(2).map(|w| w[1].wrapping_sub(w[0]))),
        Transform::DeltaOfDelta => {
            let mut prev_delta = match values {
                [first, second, ..] => second.wrapping_sub(*first),
                _ => 0,
            };
            out.extend(values.windows(2).skip(1).map(|w| {
                let d = w[1].wrapping_sub(w[0]);
                let dod = d.wrapping_sub(prev_delta);
                prev_delta = d;
                dod
            }));
        }
    }
    prefix_of(values, transform)
}

fn header_size(count: usize, prefix: &[i64]) -> usize {
    1 + uvarint_len(count as u64)
        + prefix
            .iter()
            .map(|&p| uvarint_len(zigzag(p)))
            .sum::<usize>()
}

/// Exact bit-packed size, run count and bounds of the zigzag codes of one residual stream,
/// fed one bit-packing frame at a time.
#[derive(Debug, Clone, Copy)]
struct Sizer {
    packed: usize,
    runs: usize,
    /// The stream's last residual so far (`None` before the first frame).
    last: Option<i64>,
    /// The largest zigzag code (exact).
    max_code: u64,
    /// At most the smallest zigzag code (a lower bound, exact unless a frame spans zero).
    min_code: u64,
}

impl Sizer {
    const fn new() -> Self {
        Sizer {
            packed: 0,
            runs: 0,
            last: None,
            max_code: 0,
            min_code: u64::MAX,
        }
    }

    /// Adds the residuals of one bit-packing frame (at most [`bitpack::FRAME`] of them).
    #[inline]
    fn frame(&mut self, frame: &[i64]) {
        let (Some(&first), Some(&last)) = (frame.first(), frame.last()) else {
            return;
        };
        let (min, max) = bitpack::frame_bounds(frame);
        self.packed += bitpack::frame_size(min, max, frame.len());
        // Zigzag codes grow with the magnitude on either side of zero, so the largest code
        // of a frame is at its minimum or its maximum.
        let (zmin, zmax) = (zigzag(min), zigzag(max));
        self.max_code = self.max_code.max(zmin.max(zmax));
        let floor = if min <= 0 && max >= 0 {
            0
        } else {
            zmin.min(zmax)
        };
        self.min_code = self.min_code.min(floor);
        let changes: usize = frame
            .iter()
            .zip(&frame[1..])
            .map(|(a, b)| usize::from(a != b))
            .sum();
        self.runs += changes + usize::from(self.last != Some(first));
        self.last = Some(last);
    }

    /// A lower bound of the run-length size: every run stores a value of at least the
    /// smallest code's length and a length of at least one byte.
    fn run_floor(&self) -> usize {
        self.runs * (uvarint_len(self.min_code) + 1)
    }
}

/// The three transforms' [`Sizer`]s of `values`, filled frame by frame: each frame's deltas
/// and deltas of deltas are computed into stack buffers and measured in tight loops.
fn size_transforms(values: &[i64]) -> [Sizer; 3] {
    const F: usize = bitpack::FRAME;
    let mut sizers = [Sizer::new(); 3];
    let mut deltas = [0i64; F + 1];
    let mut dods = [0i64; F];
    let n = values.len();
    for start in (0..n).step_by(F) {
        sizers[0].frame(&values[start..n.min(start + F)]);
        // Delta residual j is values[j + 1] - values[j]; the frame's deltas of deltas need
        // one delta past its end.
        let window = &values[start..n.min(start + F + 2)];
        let d = window.len().saturating_sub(1);
        for (slot, w) in deltas.iter_mut().zip(window.windows(2)) {
            *slot = w[1].wrapping_sub(w[0]);
        }
        sizers[1].frame(&deltas[..d.min(F)]);
        let dd = d.saturating_sub(1).min(F);
        for (slot, w) in dods.iter_mut().zip(deltas[..d].windows(2)) {
            *slot = w[1].wrapping_sub(w[0]);
        }
        sizers[2].frame(&dods[..dd]);
    }
    sizers
}

/// Calls `f` on each residual of `transform`, computed on the fly.
#[inline]
fn for_each_residual(values: &[i64], transform: Transform, mut f: impl FnMut(i64)) {
    match transform {
        Transform::Raw => values.iter().for_each(|&v| f(v)),
        Transform::Delta => values.windows(2).for_each(|w| f(w[1].wrapping_sub(w[0]))),
        Transform::DeltaOfDelta => {
            let mut prev = match values {
                [a, b, ..] => b.wrapping_sub(*a),
                _ => 0,
            };
            values.windows(2).skip(1).for_each(|w| {
                let d = w[1].wrapping_sub(w[0]);
                f(d.wrapping_sub(prev));
                prev = d;
            });
        }
    }
}

/// Exact run-length size of a transform's residuals.
fn run_size(values: &[i64], transform: Transform) -> usize {
    let mut size = 0;
    let mut run: Option<(i64, u64)> = None;
    for_each_residual(values, transform, |r| match &mut run {
        Some((v, n)) if *v == r => *n += 1,
        cur => {
            if let Some((v, n)) = *cur {
                size += uvarint_len(zigzag(v)) + uvarint_len(n);
            }
            *cur = Some((r, 1));
        }
    });
    size + run.map_or(0, |(v, n)| uvarint_len(zigzag(v)) + uvarint_len(n))
}

/// The smallest scheme for `values` and its exact encoded size. One pass sizes bit-packing
/// for all three transforms and bounds their run-length sizes from below. Huffman is sized
/// (a pass counting symbols) for the transform whose residuals are nearest zero (the
/// smallest largest zigzag code), where one bit per residual could still beat the best so
/// far; the exact run-length size is computed (a pass, no allocation) only where its bound could win.
pub fn choose(values: &[i64]) -> (IntScheme, usize) {
    let sizers = size_transforms(values);
    let transforms = [Transform::Raw, Transform::Delta, Transform::DeltaOfDelta];
    let heads = transforms.map(|t| {
        let (n, prefix) = prefix_of(values, t);
        header_size(values.len(), &prefix[..n])
    });
    let mut best = (IntScheme::new(Transform::Raw, Packing::BitPack), usize::MAX);
    for (k, &t) in transforms.iter().enumerate() {
        let size = heads[k] + sizers[k].packed;
        if size < best.1 {
            best = (IntScheme::new(t, Packing::BitPack), size);
        }
    }
    let k = (0..3)
        .min_by_key(|&k| (values.len() <= k, sizers[k].max_code))
        .unwrap_or(0);
    let t = transforms[k];
    let residuals = values.len().saturating_sub(k);
    if residuals > 0 && heads[k] + residuals / 8 < best.1 {
        let mut hist = Histogram::new();
        for_each_residual(values, t, |r| hist.push(zigzag(r)));
        let size = heads[k] + hist.encoded_size();
        if size < best.1 {
            best = (IntScheme::new(t, Packing::Huffman), size);
        }
    }
    for (k, &t) in transforms.iter().enumerate() {
        if heads[k] + sizers[k].run_floor() < best.1 {
            let size = heads[k] + run_size(values, t);
            if size < best.1 {
                best = (IntScheme::new(t, Packing::RunLength), size);
            }
        }
    }
    best
}

/// The prefix values a transform stores before its residuals.
fn prefix_of(values: &[i64], transform: Transform) -> (usize, [i64; 2]) {
    match (transform, values) {
        (Transform::Raw, _) | (_, []) => (0, [0, 0]),
        (Transform::Delta, [first, ..]) => (1, [*first, 0]),
        (Transform::DeltaOfDelta, [first]) => (1, [*first, 0]),
        (Transform::DeltaOfDelta, [first, second, ..]) => {
            (2, [*first, second.wrapping_sub(*first)])
        }
    }
}

/// Encodes `values` with the given scheme, appending to `out`.
pub fn encode_with(values: &[i64], scheme: IntScheme, scratch: &mut Vec<i64>, out: &mut Vec<u8>) {
    let (n, prefix) = residuals(values, scheme.transform, scratch);
    out.push(scheme.tag());
    put_uvarint(out, values.len() as u64);
    for &p in &prefix[..n] {
        put_ivarint(out, p);
    }
    match scheme.packing {
        Packing::BitPack => bitpack::encode(scratch, out),
        Packing::RunLength => rle::encode(scratch, out),
        Packing::Huffman => huffman::encode(scratch, out),
    }
}

/// Encodes `values` with the smallest scheme, appending to `out`; returns the scheme.
pub fn encode(values: &[i64], out: &mut Vec<u8>) -> IntScheme {
    let mut scratch = Vec::with_capacity(values.len());
    let (scheme, _) = choose(values);
    encode_with(values, scheme, &mut scratch, out);
    scheme
}

/// Decodes one integer column from `cur`, appending its values to `out`.
pub fn decode(cur: &mut Cursor<'_>, out: &mut Vec<i64>) -> Result<IntScheme> {
    decode_prefix(cur, out, usize::MAX)
}

/// [`decode`] of only the first `keep` values (all of them when there are fewer): the
/// transforms run from the first value, so only the packed values after `keep` are
/// skipped, and `cur` is left inside the stream when any are.
pub fn decode_prefix(cur: &mut Cursor<'_>, out: &mut Vec<i64>, keep: usize) -> Result<IntScheme> {
    let scheme = IntScheme::from_tag(cur.u8("integer scheme")?)?;
    let count = cur.count("integer count", MAX_BLOCK_POINTS)?;
    let start = out.len();
    let prefix = (scheme.transform as usize).min(count);
    for _ in 0..prefix {
        out.push(cur.ivarint("integer prefix")?);
    }
    let rest = count - prefix;
    let rest_keep = keep.saturating_sub(prefix);
    match scheme.packing {
        Packing::BitPack => bitpack::decode(cur, rest, rest_keep, out)?,
        Packing::RunLength => rle::decode(cur, rest, rest_keep, out)?,
        Packing::Huffman => huffman::decode(cur, rest, rest_keep, out)?,
    }
    out.truncate(start.saturating_add(keep));
    let col = &mut out[start..];
    match scheme.transform {
        Transform::Raw => {}
        Transform::Delta => prefix_sum(col),
        Transform::DeltaOfDelta => {
            if let Some(deltas) = col.get_mut(1..) {
                prefix_sum(deltas);
            }
            prefix_sum(col);
        }
    }
    Ok(scheme)
}

/// In-place running sum with wrapping adds: `v[i] += v[i - 1]`.
#[inline]
fn prefix_sum(v: &mut [i64]) {
    let mut acc = 0i64;
    for x in v.iter_mut() {
        acc = acc.wrapping_add(*x);
        *x = acc;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip_all(values: &[i64]) {
        let mut scratch = Vec::new();
        for scheme in IntScheme::ALL {
            let mut buf = Vec::new();
            encode_with(values, scheme, &mut scratch, &mut buf);
            let mut cur = Cursor::new(&buf);
            let mut out = Vec::new();
            assert_eq!(decode(&mut cur, &mut out).unwrap(), scheme);
            cur.finish("test").unwrap();
            assert_eq!(out, values, "{}", scheme.name());
        }
        let (scheme, size) = choose(values);
        let mut buf = Vec::new();
        assert_eq!(encode(values, &mut buf), scheme);
        assert_eq!(buf.len(), size);
    }

    #[test]
    fn round_trips() {
        round_trip_all(&[]);
        round_trip_all(&[42]);
        round_trip_all(&[1, 2]);
        round_trip_all(&[i64::MIN, i64::MAX, i64::MIN, 0, i64::MAX]);
        round_trip_all(&(0..1000).map(|i| 1_000_000 + i * 17).collect::<Vec<_>>());
        round_trip_all(&(0..1000).map(|i| (i * i) % 97 - 40).collect::<Vec<_>>());
    }

    #[test]
    fn the_chosen_size_is_exact_and_beats_packing_and_runs_at_every_frame_boundary() {
        let mut x: u64 = 7;
        for n in [
            0, 1, 2, 3, 126, 127, 128, 129, 130, 131, 255, 256, 257, 258, 2048,
        ] {
            for spread in [0u64, 1, 3, 1000, u64::MAX] {
                let values: Vec<i64> = (0..n)
                    .map(|i| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let step = x.checked_rem(spread).unwrap_or(0) as i64;
                        i as i64 * 10 + if i % 50 < 25 { step } else { 0 }
                    })
                    .collect();
                let (chosen, size) = choose(&values);
                let mut scratch = Vec::new();
                for scheme in IntScheme::ALL {
                    let mut buf = Vec::new();
                    encode_with(&values, scheme, &mut scratch, &mut buf);
                    // Huffman is sized for one transform only (see `choose`).
                    assert!(
                        size <= buf.len() || scheme.packing == Packing::Huffman,
                        "n {n} spread {spread}: {} {size} > {} {}",
                        chosen.name(),
                        scheme.name(),
                        buf.len()
                    );
                    if scheme == chosen {
                        assert_eq!(size, buf.len(), "n {n} spread {spread}");
                    }
                }
            }
        }
    }

    #[test]
    fn steady_counter_is_nearly_free() {
        let values: Vec<i64> = (0..1000).map(|i| 5_000_000 + i * 15).collect();
        let mut buf = Vec::new();
        encode(&values, &mut buf);
        assert!(buf.len() < 16, "{} bytes", buf.len());
    }

    #[test]
    fn a_unit_step_random_walk_is_huffman_coded_below_bit_packing() {
        let mut v = 50i64;
        let walk: Vec<i64> = (0..2048u64)
            .map(|i| {
                v += [0, 1, -1, 0, 2, -1, 1, 0, -2, 0, 1, -1]
                    [(i.wrapping_mul(0x9e37_79b9) >> 7) as usize % 12];
                v
            })
            .collect();
        let (scheme, size) = choose(&walk);
        assert_eq!(scheme.name(), "int-delta-huffman");
        let mut packed = Vec::new();
        encode_with(
            &walk,
            IntScheme::new(Transform::Delta, Packing::BitPack),
            &mut Vec::new(),
            &mut packed,
        );
        assert!(
            size * 4 < packed.len() * 3,
            "{size} vs {} bytes",
            packed.len()
        );
    }

    #[test]
    fn unknown_tag_is_an_error() {
        assert!(decode(&mut Cursor::new(&[0x03, 0]), &mut Vec::new()).is_err());
        assert!(decode(&mut Cursor::new(&[0x30, 0]), &mut Vec::new()).is_err());
    }
}
