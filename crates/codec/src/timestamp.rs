//! Timestamp columns (`i64` nanoseconds, non-decreasing in practice but any sequence works).
//!
//! Both schemes first look for the largest power of ten `10^k` (k ≤ 18) that divides every
//! delta, so millisecond or second data stored as nanoseconds loses its six or nine zero digits.
//! `q_i = (t_i - t_{i-1}) / 10^k` are the scaled deltas.
//!
//! * `0x01` **scaled-int**: `count`, `first` (zigzag varint), `k` (u8), then the `count - 1`
//!   scaled deltas as an integer column ([`crate::integer`]), which picks run-length for constant
//!   intervals (a whole block of 10 s scrapes costs a few bytes) or delta + bit-packing for
//!   jittery intervals (a few bits per point).
//! * `0x02` **gorilla**: `count`, `first`, `k`, `q_1` (zigzag varint), then Gorilla's
//!   delta-of-delta bit stream over the scaled deltas with the published buckets ([`CLASSIC`]).
//! * `0x03` **gorilla-fine**: the same with a 4-bit first bucket ([`FINE`]), which suits
//!   scrape jitter of a few milliseconds (most deltas-of-deltas of real scrapes are 0 or tiny).
//!
//! The encoder computes every size exactly and keeps the smallest; plain Gorilla (k = 0,
//! classic buckets) is available to the benchmark report as the reference.

use crate::bits::{BitReader, BitWriter};
use crate::error::{CodecError, Result};
use crate::varint::{Cursor, put_ivarint, put_uvarint, uvarint_len, zigzag};
use crate::{MAX_BLOCK_POINTS, integer};

const TAG_SCALED_INT: u8 = 0x01;
const TAG_GORILLA: u8 = 0x02;
const TAG_GORILLA_FINE: u8 = 0x03;
const MAX_SCALE: u8 = 18;

/// A timestamp encoding scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampScheme {
    ScaledInt,
    Gorilla,
    GorillaFine,
}

impl TimestampScheme {
    pub fn name(self) -> &'static str {
        match self {
            TimestampScheme::ScaledInt => "ts-scaled-int",
            TimestampScheme::Gorilla => "ts-gorilla",
            TimestampScheme::GorillaFine => "ts-gorilla-fine",
        }
    }
}

#[inline]
fn pow10(k: u8) -> i64 {
    10i64.pow(u32::from(k))
}

/// The largest `k` such that `10^k` divides every delta (18 when all deltas are zero).
fn common_scale(ts: &[i64]) -> u8 {
    let mut k = MAX_SCALE;
    let mut checked = 0i64;
    for w in ts.windows(2) {
        let d = w[1].wrapping_sub(w[0]);
        if d == checked {
            continue; // Regular intervals: skip the division.
        }
        checked = d;
        while k > 0 && d % pow10(k) != 0 {
            k -= 1;
        }
        if k == 0 {
            break;
        }
    }
    k
}

/// The scaled deltas `q_i` for scale `k` (every delta must be divisible by `10^k`).
fn scaled_deltas(ts: &[i64], k: u8, out: &mut Vec<i64>) {
    let p = pow10(k);
    out.clear();
    // A 64-bit division costs tens of cycles: regular intervals reuse the last quotient.
    let (mut delta, mut quotient) = (0i64, 0i64);
    out.extend(ts.windows(2).map(|w| {
        let d = w[1].wrapping_sub(w[0]);
        if d != delta {
            (delta, quotient) = (d, d / p);
        }
        quotient
    }));
}

fn put_header(out: &mut Vec<u8>, tag: u8, ts: &[i64], k: u8) {
    out.push(tag);
    put_uvarint(out, ts.len() as u64);
    if let Some(&first) = ts.first() {
        put_ivarint(out, first);
        out.push(k);
    }
}

/// Gorilla's delta-of-delta buckets (payload widths), as published: `0` for zero; `10` + 7
/// bits for [-63, 64]; `110` + 9 bits for [-255, 256]; `1110` + 12 bits for [-2047, 2048];
/// `11110` + 32 bits; `11111` + 64 bits (any value).
const CLASSIC: [u32; 4] = [7, 9, 12, 32];
/// Finer buckets for scrape jitter of a few units: `10` + 4 bits for [-7, 8], then 7, 12 and
/// 32 bits, and the 64-bit escape.
const FINE: [u32; 4] = [4, 7, 12, 32];

#[inline]
fn in_bucket(dod: i64, bits: u32) -> bool {
    let lo = -(1i64 << (bits - 1)) + 1;
    let hi = 1i64 << (bits - 1);
    (lo..=hi).contains(&dod)
}

/// Bits [`write_dod`] spends on `dod` with `buckets`.
#[inline]
fn dod_bits(dod: i64, buckets: &[u32; 4]) -> usize {
    if dod == 0 {
        return 1;
    }
    for (i, &bits) in buckets.iter().enumerate() {
        if in_bucket(dod, bits) {
            return i + 2 + bits as usize;
        }
    }
    buckets.len() + 1 + 64
}

/// Writes one delta-of-delta (stream order): `0` for zero; `i + 1` ones, a zero and
/// `buckets[i]` bits for the first bucket that holds it; else `len + 1` ones and 64 bits.
#[inline]
fn write_dod(w: &mut BitWriter<'_>, dod: i64, buckets: &[u32; 4]) {
    if dod == 0 {
        w.write(0, 1);
        return;
    }
    for (i, &bits) in buckets.iter().enumerate() {
        if in_bucket(dod, bits) {
            let ones = i as u32 + 1;
            w.write((1u64 << ones) - 1, ones + 1);
            w.write(dod as u64, bits);
            return;
        }
    }
    let ones = buckets.len() as u32 + 1;
    w.write((1u64 << ones) - 1, ones);
    w.write(dod as u64, 64);
}

/// Reads a `bits`-wide two's-complement-like field written by [`write_dod`]. Values above
/// `2^(bits-1)` are negative: the bucket is offset so that `hi = 2^(bits-1)` stays positive.
#[inline]
fn sign_extend(v: u64, bits: u32) -> i64 {
    let v = v as i64;
    if v > (1i64 << (bits - 1)) {
        v - (1i64 << bits)
    } else {
        v
    }
}

#[inline]
fn read_dod(r: &mut BitReader<'_>, buckets: &[u32; 4]) -> Result<i64> {
    let n = r.read_unary(buckets.len() as u32 + 1)? as usize;
    Ok(match n {
        0 => 0,
        _ => match buckets.get(n - 1) {
            Some(&bits) => sign_extend(r.read(bits)?, bits),
            None => r.read(64)? as i64,
        },
    })
}

fn encode_gorilla(ts: &[i64], k: u8, q: &[i64], scheme: TimestampScheme, out: &mut Vec<u8>) {
    let (tag, buckets) = match scheme {
        TimestampScheme::GorillaFine => (TAG_GORILLA_FINE, &FINE),
        _ => (TAG_GORILLA, &CLASSIC),
    };
    put_header(out, tag, ts, k);
    let Some(&q1) = q.first() else { return };
    put_ivarint(out, q1);
    let mut w = BitWriter::new(out);
    for pair in q.windows(2) {
        write_dod(&mut w, pair[1].wrapping_sub(pair[0]), buckets);
    }
    w.finish();
}

/// Stream bits of the gorilla encodings with the classic and the fine buckets.
fn gorilla_bits(q: &[i64]) -> (usize, usize) {
    q.windows(2).fold((0, 0), |(c, f), pair| {
        let dod = pair[1].wrapping_sub(pair[0]);
        (c + dod_bits(dod, &CLASSIC), f + dod_bits(dod, &FINE))
    })
}

fn encode_scaled_int(ts: &[i64], k: u8, q: &[i64], scratch: &mut Vec<i64>, out: &mut Vec<u8>) {
    put_header(out, TAG_SCALED_INT, ts, k);
    if !ts.is_empty() {
        let (scheme, _) = integer::choose(q);
        integer::encode_with(q, scheme, scratch, out);
    }
}

/// Encodes `ts` with the named scheme; `plain` forces scale 0 (the textbook Gorilla format).
pub fn encode_with(ts: &[i64], scheme: TimestampScheme, plain: bool, out: &mut Vec<u8>) {
    let k = if plain { 0 } else { common_scale(ts) };
    let mut q = Vec::with_capacity(ts.len());
    scaled_deltas(ts, k, &mut q);
    match scheme {
        TimestampScheme::Gorilla | TimestampScheme::GorillaFine => {
            encode_gorilla(ts, k, &q, scheme, out)
        }
        TimestampScheme::ScaledInt => {
            let mut scratch = Vec::with_capacity(ts.len());
            encode_scaled_int(ts, k, &q, &mut scratch, out)
        }
    }
}

/// Encodes `ts` with the smaller scheme, appending to `out`; returns the scheme used.
pub fn encode(ts: &[i64], out: &mut Vec<u8>) -> TimestampScheme {
    let k = common_scale(ts);
    let mut q = Vec::with_capacity(ts.len());
    scaled_deltas(ts, k, &mut q);
    let start = out.len();
    let mut scratch = Vec::new();
    if ts.len() >= 64 && q.windows(2).all(|w| w[0] == w[1]) {
        // Regular intervals: one run of one scaled delta, no larger than any other scheme
        // (gorilla alone spends a bit a point, 8 bytes at 64 points).
        put_header(out, TAG_SCALED_INT, ts, k);
        if !ts.is_empty() {
            let scheme =
                integer::IntScheme::new(integer::Transform::Raw, integer::Packing::RunLength);
            integer::encode_with(&q, scheme, &mut scratch, out);
        }
        return TimestampScheme::ScaledInt;
    }
    encode_scaled_int(ts, k, &q, &mut scratch, out);
    let int_len = out.len() - start;
    // Gorilla's header is the same and its stream costs at least a bit a point: only try it
    // when that floor is below the integer encoding.
    if let (Some(&first), Some(&q1)) = (ts.first(), q.first()) {
        let floor = 2
            + uvarint_len(ts.len() as u64)
            + uvarint_len(zigzag(first))
            + uvarint_len(zigzag(q1))
            + (ts.len() - 2).div_ceil(8);
        if int_len <= floor {
            return TimestampScheme::ScaledInt;
        }
    }
    // Both gorilla variants share the header; size their streams without writing them.
    let (classic, fine) = gorilla_bits(&q);
    let scheme = if fine < classic {
        TimestampScheme::GorillaFine
    } else {
        TimestampScheme::Gorilla
    };
    let head = 2
        + uvarint_len(ts.len() as u64)
        + ts.first().map_or(0, |&f| uvarint_len(zigzag(f)))
        + q.first().map_or(0, |&q1| uvarint_len(zigzag(q1)));
    if head + classic.min(fine).div_ceil(8) < int_len {
        out.truncate(start);
        encode_gorilla(ts, k, &q, scheme, out);
        scheme
    } else {
        TimestampScheme::ScaledInt
    }
}

/// Decodes one timestamp column from `cur`, appending to `out`.
pub fn decode(cur: &mut Cursor<'_>, out: &mut Vec<i64>) -> Result<TimestampScheme> {
    decode_until(cur, out, None).map(|(scheme, _)| scheme)
}

/// [`decode`] that appends only the timestamps before `end` (exclusive) of the column's sorted
/// timestamps; returns the scheme and how many the column holds in all. The whole column is
/// read and checked, but its deltas are summed only up to `end`.
pub fn decode_before(
    cur: &mut Cursor<'_>,
    out: &mut Vec<i64>,
    end: i64,
) -> Result<(TimestampScheme, usize)> {
    decode_until(cur, out, Some(end))
}

fn decode_until(
    cur: &mut Cursor<'_>,
    out: &mut Vec<i64>,
    end: Option<i64>,
) -> Result<(TimestampScheme, usize)> {
    let tag = cur.u8("timestamp scheme")?;
    let scheme = match tag {
        TAG_SCALED_INT => TimestampScheme::ScaledInt,
        TAG_GORILLA => TimestampScheme::Gorilla,
        TAG_GORILLA_FINE => TimestampScheme::GorillaFine,
        _ => {
            return Err(CodecError::UnknownTag {
                what: "timestamp scheme",
                tag,
            });
        }
    };
    let count = cur.count("timestamp count", MAX_BLOCK_POINTS)?;
    if count == 0 {
        return Ok((scheme, 0));
    }
    let first = cur.ivarint("first timestamp")?;
    let k = cur.u8("timestamp scale")?;
    if k > MAX_SCALE {
        return Err(CodecError::TooLarge {
            what: "timestamp scale",
            value: u64::from(k),
            limit: u64::from(MAX_SCALE),
        });
    }
    let start = out.len();
    out.reserve(count);
    out.push(first);
    match scheme {
        TimestampScheme::ScaledInt => {
            integer::decode(cur, out)?;
            let got = out.len() - start;
            if got != count {
                return Err(CodecError::Inconsistent {
                    what: "timestamp column",
                    detail: format!("header says {count} points, deltas give {got}"),
                });
            }
        }
        TimestampScheme::Gorilla | TimestampScheme::GorillaFine => {
            let buckets = if scheme == TimestampScheme::GorillaFine {
                &FINE
            } else {
                &CLASSIC
            };
            if count > 1 {
                let mut q = cur.ivarint("first timestamp delta")?;
                out.push(q);
                let mut r = BitReader::new(cur.remaining());
                for _ in 2..count {
                    q = q.wrapping_add(read_dod(&mut r, buckets)?);
                    out.push(q);
                }
                let used = r.bytes_consumed();
                cur.bytes(used, "gorilla timestamp stream")?;
            }
        }
    }
    // out[start] is the first timestamp, the rest are scaled deltas: integrate them.
    let p = pow10(k);
    let col = &mut out[start..];
    let mut t = first;
    match end {
        None => {
            for x in col.iter_mut().skip(1) {
                t = t.wrapping_add(x.wrapping_mul(p));
                *x = t;
            }
        }
        Some(end) => {
            let mut kept = usize::from(first < end);
            if kept == 1 {
                for x in col.iter_mut().skip(1) {
                    t = t.wrapping_add(x.wrapping_mul(p));
                    if t >= end {
                        break;
                    }
                    *x = t;
                    kept += 1;
                }
            }
            out.truncate(start + kept);
        }
    }
    Ok((scheme, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ts: &[i64]) -> usize {
        let mut best = Vec::new();
        encode(ts, &mut best);
        for (scheme, plain) in [
            (TimestampScheme::Gorilla, true),
            (TimestampScheme::Gorilla, false),
            (TimestampScheme::GorillaFine, false),
            (TimestampScheme::ScaledInt, false),
            (TimestampScheme::ScaledInt, true),
        ] {
            let mut buf = Vec::new();
            encode_with(ts, scheme, plain, &mut buf);
            let mut cur = Cursor::new(&buf);
            let mut out = Vec::new();
            assert_eq!(decode(&mut cur, &mut out).unwrap(), scheme);
            cur.finish("test").unwrap();
            assert_eq!(out, ts, "{scheme:?} plain={plain}");
            if !plain {
                assert!(best.len() <= buf.len());
            }
        }
        best.len()
    }

    #[test]
    fn extremes() {
        check(&[]);
        check(&[i64::MIN]);
        check(&[i64::MAX, i64::MIN, 0, i64::MAX, -1]);
        check(&[0, i64::MAX, i64::MIN]);
        check(&[5, 5, 5, 4, 3]);
    }

    #[test]
    fn dod_buckets_round_trip_at_their_edges() {
        let mut ts = vec![0i64, 1_000];
        for dod in [
            0i64,
            1,
            -1,
            63,
            64,
            -63,
            -64,
            255,
            256,
            -255,
            -256,
            2047,
            2048,
            -2047,
            -2048,
            (1 << 31) - 1,
            1 << 31,
            -(1 << 31) + 1,
            -(1 << 31),
            1 << 40,
            -(1 << 40),
        ] {
            let last = ts.len() - 1;
            let d = ts[last] - ts[last - 1] + dod;
            ts.push(ts[last] + d);
        }
        check(&ts);
    }

    #[test]
    fn constant_interval_costs_almost_nothing() {
        let ts: Vec<i64> = (0..1000)
            .map(|i| 1_700_000_000_000_000_000 + i * 10_000_000_000)
            .collect();
        let size = check(&ts);
        assert!(size < 20, "{size} bytes for 1000 regular timestamps");
    }

    #[test]
    fn jittery_millisecond_scrapes_are_small() {
        let ts: Vec<i64> = (0..1000i64)
            .map(|i| (1_700_000_000_000 + i * 15_000 + (i * 7919) % 5) * 1_000_000)
            .collect();
        let size = check(&ts);
        assert!(size < 1000 / 2, "{size} bytes");
    }
}
