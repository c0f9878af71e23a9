//! Run-length encoding of `i64` sequences: `(value, run length)` pairs as varints.
//!
//! A run is a zigzag varint value followed by an unsigned varint length (at least 1). The
//! decoder is told how many values to produce and rejects runs that overshoot it, so a forged
//! length can never allocate more than the caller's bound.

use crate::error::{CodecError, Result};
use crate::varint::{Cursor, put_ivarint, put_uvarint, uvarint_len, zigzag};

/// Calls `f(value, run_length)` for each maximal run of equal values.
#[inline]
fn for_each_run(values: &[i64], mut f: impl FnMut(i64, u64)) {
    let mut iter = values.iter();
    let Some(&first) = iter.next() else { return };
    let mut cur = first;
    let mut len = 1u64;
    for &v in iter {
        if v == cur {
            len += 1;
        } else {
            f(cur, len);
            cur = v;
            len = 1;
        }
    }
    f(cur, len);
}

/// The number of maximal runs of equal values (a cheap lower bound: each costs two bytes).
pub fn count_runs(values: &[i64]) -> usize {
    if values.is_empty() {
        return 0;
    }
    1 + values.windows(2).filter(|w| w[0] != w[1]).count()
}

/// Exact number of bytes [`encode`] produces for `values`.
pub fn encoded_size(values: &[i64]) -> usize {
    let mut size = 0;
    for_each_run(values, |v, n| {
        size += uvarint_len(zigzag(v)) + uvarint_len(n)
    });
    size
}

/// Appends the runs of `values` to `out`.
pub fn encode(values: &[i64], out: &mut Vec<u8>) {
    for_each_run(values, |v, n| {
        put_ivarint(out, v);
        put_uvarint(out, n);
    });
}

/// Decodes the runs holding the first `keep` of `count` values from `cur`, appending them
/// to `out`: at least `min(keep, count)` values (whole runs), exactly `count` when
/// `keep >= count`; `cur` is left inside the stream when runs remain.
pub fn decode(cur: &mut Cursor<'_>, count: usize, keep: usize, out: &mut Vec<i64>) -> Result<()> {
    out.reserve(count.min(keep));
    let mut left = count;
    while left > 0 && count - left < keep {
        let value = cur.ivarint("run value")?;
        let offset = cur.position();
        let len = cur.uvarint("run length")?;
        if len == 0 || len > left as u64 {
            return Err(CodecError::Inconsistent {
                what: "run-length stream",
                detail: format!("run of {len} at offset {offset} with {left} value(s) left"),
            });
        }
        out.extend(std::iter::repeat_n(value, len as usize));
        left -= len as usize;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for values in [
            vec![],
            vec![1],
            vec![1, 1, 1, 2, 2, i64::MIN, i64::MIN, i64::MAX],
            vec![0; 5000],
        ] {
            let mut buf = Vec::new();
            encode(&values, &mut buf);
            assert_eq!(buf.len(), encoded_size(&values));
            let mut out = Vec::new();
            decode(&mut Cursor::new(&buf), values.len(), values.len(), &mut out).unwrap();
            assert_eq!(out, values);
        }
    }

    #[test]
    fn overshooting_run_is_rejected() {
        let mut buf = Vec::new();
        encode(&[4; 10], &mut buf);
        let mut out = Vec::new();
        assert!(decode(&mut Cursor::new(&buf), 9, 9, &mut out).is_err());
    }
}
