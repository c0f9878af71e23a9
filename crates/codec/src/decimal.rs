//! Decimal detection for float columns (the idea of ALP and VictoriaMetrics): when every value
//! of a block is exactly `m / 10^e` for integers `m` with `|m| < 2^53` and one exponent
//! `e ≤ 18`, the block is stored as `e` plus the integer column of the `m`s.
//!
//! "Exactly" means bit-exact: the decoder computes `(m as f64) / 10^e` (one correctly rounded
//! IEEE division) and the encoder accepts `e` only if that reproduces every input bit pattern.
//! -0.0, NaN and infinities never qualify, so they fall back to the other float schemes.

/// Largest exponent tried.
pub const MAX_EXPONENT: u8 = 18;

/// Largest integer magnitude stored, so that `m as f64` is exact.
const MAX_MANTISSA: f64 = 9_007_199_254_740_992.0; // 2^53

/// Exact powers of ten as `f64` (all up to 10^22 are exact).
const POW10: [f64; 19] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18,
];

/// The value that decoding `m` at exponent `e` produces.
#[inline]
pub fn decode_one(m: i64, e: u8) -> f64 {
    (m as f64) / POW10[usize::from(e.min(MAX_EXPONENT))]
}

/// `Some(m)` if `v` is exactly `m / 10^e`.
#[inline]
fn mantissa(v: f64, e: u8) -> Option<i64> {
    let x = v * POW10[usize::from(e)];
    if x.is_nan() || x.abs() >= MAX_MANTISSA {
        return None;
    }
    // `x.round()` without a libm call: below 2^53 the cast truncates exactly and the
    // fraction left is exact, so this rounds half away from zero like `f64::round`.
    let t = x as i64;
    let frac = x - t as f64;
    let m = t + i64::from(frac >= 0.5) - i64::from(frac <= -0.5);
    (decode_one(m, e).to_bits() == v.to_bits()).then_some(m)
}

/// Finds the smallest exponent at which every value is an exact decimal, writing the
/// mantissas to `out`. Returns `None` (and leaves `out` in an unspecified state) otherwise.
pub fn scale(values: &[f64], out: &mut Vec<i64>) -> Option<u8> {
    out.clear();
    let mut e = 0u8;
    let mut i = 0;
    while i < values.len() {
        let v = values[i];
        match mantissa(v, e) {
            Some(m) => {
                out.push(m);
                i += 1;
            }
            None => {
                // Raise the exponent until this value fits, then redo the earlier values at it.
                e = (e + 1..=MAX_EXPONENT).find(|&e| mantissa(v, e).is_some())?;
                out.clear();
                i = 0;
            }
        }
    }
    Some(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_two_decimals() {
        let mut m = Vec::new();
        assert_eq!(scale(&[75.5, 0.1, 1234.56, -3.0], &mut m), Some(2));
        assert_eq!(m, vec![7550, 10, 123456, -300]);
    }

    #[test]
    fn integers_need_no_scale() {
        let mut m = Vec::new();
        assert_eq!(scale(&[1.0, 2.0, 1e15], &mut m), Some(0));
    }

    #[test]
    fn rejects_what_is_not_exact() {
        let mut m = Vec::new();
        for bad in [
            f64::NAN,
            -0.0,
            f64::INFINITY,
            1.0 / 3.0,
            1e300,
            f64::MIN_POSITIVE,
        ] {
            assert_eq!(scale(&[1.0, bad], &mut m), None, "{bad:?}");
        }
    }
}
