//! Float columns: the block encoder tries every scheme on the block and keeps the smallest.
//!
//! Layout: a scheme byte, then the scheme's payload:
//! * `0x01` **gorilla**: [`crate::gorilla`] over the bit patterns (the reference scheme).
//! * `0x02` **decimal**: exponent `e` (u8), then an integer column ([`crate::integer`]) of the
//!   mantissas found by [`crate::decimal`]; gauges like 75.5 or 1234.56 and integral counters.
//! * `0x03` **bits-int**: an integer column of the raw bit patterns; its run-length packing makes
//!   a constant or rarely changing gauge nearly free, whatever its value.

use crate::error::{CodecError, Result};
use crate::varint::Cursor;
use crate::{decimal, gorilla, integer};

const TAG_GORILLA: u8 = 0x01;
const TAG_DECIMAL: u8 = 0x02;
const TAG_BITS_INT: u8 = 0x03;

/// Decimal mantissas below this bound (2^50) leave the bits-int scheme unsized. Within one
/// binade `[2^E, 2^(E+1))` a float's bit pattern is linear in its value, so consecutive bit
/// patterns differ by `Δm · 2^(52-E) / 10^e` (give or take one, the rounding of `m / 10^e`)
/// where the mantissas differ by `Δm`: with `|m| < 2^50` that factor is at least 4, so every
/// residual of the bit patterns, under every transform, is at least as large as the
/// mantissas' and equal ones stay equal only where the mantissas' do; across binades or signs
/// the patterns jump further. So bits-int does not beat decimal there (the codec reports of
/// every data set in BENCHMARKS.md, the real scrapes included, came out byte-identical with
/// and without sizing it), while sizing it cost about 40% of encoding such a block.
/// Mantissas using nearly all of f64's 53 bits size both.
const NARROW_MANTISSA: u64 = 1 << 50;

/// A float encoding scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatScheme {
    Gorilla,
    Decimal,
    BitsInt,
}

impl FloatScheme {
    pub const ALL: [FloatScheme; 3] = [
        FloatScheme::Gorilla,
        FloatScheme::Decimal,
        FloatScheme::BitsInt,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FloatScheme::Gorilla => "float-gorilla",
            FloatScheme::Decimal => "float-decimal",
            FloatScheme::BitsInt => "float-bits-int",
        }
    }
}

/// Reusable buffers for float encoding, so a writer encoding many blocks allocates once.
#[derive(Debug, Default)]
pub struct FloatEncoder {
    bits: Vec<u64>,
    mantissas: Vec<i64>,
    bit_ints: Vec<i64>,
    scratch: Vec<i64>,
    gorilla: Vec<u8>,
}

impl FloatEncoder {
    fn write_gorilla(&mut self, values: &[f64], out: &mut Vec<u8>) {
        self.bits.clear();
        self.bits.extend(values.iter().map(|v| v.to_bits()));
        out.push(TAG_GORILLA);
        gorilla::encode(&self.bits, out);
    }

    fn load_bit_ints(&mut self, values: &[f64]) -> (integer::IntScheme, usize) {
        self.bit_ints.clear();
        self.bit_ints
            .extend(values.iter().map(|v| v.to_bits() as i64));
        integer::choose(&self.bit_ints)
    }

    fn write_ints(
        &mut self,
        tag: u8,
        exponent: Option<u8>,
        scheme: integer::IntScheme,
        out: &mut Vec<u8>,
    ) {
        out.push(tag);
        let ints = match exponent {
            Some(e) => {
                out.push(e);
                &self.mantissas
            }
            None => &self.bit_ints,
        };
        integer::encode_with(ints, scheme, &mut self.scratch, out);
    }

    /// Encodes with one given scheme; `None` if the scheme cannot represent these values
    /// (decimal on non-decimal data).
    pub fn encode_with(
        &mut self,
        values: &[f64],
        scheme: FloatScheme,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        match scheme {
            FloatScheme::Gorilla => self.write_gorilla(values, out),
            FloatScheme::Decimal => {
                let e = decimal::scale(values, &mut self.mantissas)?;
                let (s, _) = integer::choose(&self.mantissas);
                self.write_ints(TAG_DECIMAL, Some(e), s, out);
            }
            FloatScheme::BitsInt => {
                let (s, _) = self.load_bit_ints(values);
                self.write_ints(TAG_BITS_INT, None, s, out);
            }
        }
        Some(())
    }

    /// Encodes `values` with the smallest scheme, appending to `out`.
    ///
    /// Gorilla is written only when no other scheme beats its lower bound, so the result is
    /// never larger than plain Gorilla and the common decimal case skips the bit writer.
    pub fn encode(&mut self, values: &[f64], out: &mut Vec<u8>) -> FloatScheme {
        enum Choice {
            Gorilla,
            Decimal(u8, integer::IntScheme),
            BitsInt(integer::IntScheme),
        }
        self.bits.clear();
        self.bits.extend(values.iter().map(|v| v.to_bits()));
        let gorilla_floor = gorilla::size_lower_bound(&self.bits);
        let mut best: Option<(Choice, usize)> = None;
        let mut narrow_decimal = false;
        if let Some(e) = decimal::scale(values, &mut self.mantissas) {
            let (s, size) = integer::choose(&self.mantissas);
            best = Some((Choice::Decimal(e, s), 2 + size));
            narrow_decimal = self
                .mantissas
                .iter()
                .all(|m| m.unsigned_abs() < NARROW_MANTISSA);
        }
        // Raw bits win through runs (a constant or rarely changing gauge) and on floats that
        // stay in one binade (their bit patterns delta-code well), but not over decimal
        // mantissas that leave f64 spare precision (see [`NARROW_MANTISSA`]).
        if !narrow_decimal {
            let (s, size) = self.load_bit_ints(values);
            if best.as_ref().is_none_or(|b| 1 + size < b.1) {
                best = Some((Choice::BitsInt(s), 1 + size));
            }
        }
        let choice = match best {
            Some((choice, size)) if size < 1 + gorilla_floor => choice,
            other => {
                let mut gorilla = std::mem::take(&mut self.gorilla);
                gorilla.clear();
                gorilla.push(TAG_GORILLA);
                gorilla::encode(&self.bits, &mut gorilla);
                let choice = match other {
                    Some((choice, size)) if size < gorilla.len() => choice,
                    _ => {
                        out.extend_from_slice(&gorilla);
                        Choice::Gorilla
                    }
                };
                self.gorilla = gorilla;
                choice
            }
        };
        match choice {
            Choice::Gorilla => FloatScheme::Gorilla,
            Choice::Decimal(e, s) => {
                self.write_ints(TAG_DECIMAL, Some(e), s, out);
                FloatScheme::Decimal
            }
            Choice::BitsInt(s) => {
                self.write_ints(TAG_BITS_INT, None, s, out);
                FloatScheme::BitsInt
            }
        }
    }
}

/// Decodes one float column from `cur`, appending to `out`.
pub fn decode(
    cur: &mut Cursor<'_>,
    out: &mut Vec<f64>,
    ints: &mut Vec<i64>,
) -> Result<FloatScheme> {
    decode_prefix(cur, out, ints, usize::MAX)
}

/// [`decode`] of only the first `keep` values (all of them when there are fewer); `cur`
/// may be left inside the stream.
pub fn decode_prefix(
    cur: &mut Cursor<'_>,
    out: &mut Vec<f64>,
    ints: &mut Vec<i64>,
    keep: usize,
) -> Result<FloatScheme> {
    let tag = cur.u8("float scheme")?;
    match tag {
        TAG_GORILLA => {
            let mut bits = Vec::new();
            gorilla::decode(cur, &mut bits)?;
            out.extend(bits.into_iter().take(keep).map(f64::from_bits));
            Ok(FloatScheme::Gorilla)
        }
        TAG_DECIMAL => {
            let e = cur.u8("decimal exponent")?;
            if e > decimal::MAX_EXPONENT {
                return Err(CodecError::TooLarge {
                    what: "decimal exponent",
                    value: u64::from(e),
                    limit: u64::from(decimal::MAX_EXPONENT),
                });
            }
            ints.clear();
            integer::decode_prefix(cur, ints, keep)?;
            out.extend(ints.iter().map(|&m| decimal::decode_one(m, e)));
            Ok(FloatScheme::Decimal)
        }
        TAG_BITS_INT => {
            ints.clear();
            integer::decode_prefix(cur, ints, keep)?;
            out.extend(ints.iter().map(|&b| f64::from_bits(b as u64)));
            Ok(FloatScheme::BitsInt)
        }
        _ => Err(CodecError::UnknownTag {
            what: "float scheme",
            tag,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_int_never_beats_narrow_decimal_mantissas() {
        // The rule behind NARROW_MANTISSA, checked on the shapes gauges and counters take:
        // constant, rarely changing, walks at several decimals and magnitudes, binade and
        // sign crossings, integral counters.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut enc = FloatEncoder::default();
        for case in 0..400u64 {
            let e = (case % 7) as i32;
            let scale = 10f64.powi(e);
            let start =
                (next() % 1_000_000_000) as i64 - if case % 5 == 0 { 500_000_000 } else { 0 };
            let step = [0, 1, 3, 100, 12_345][(case % 5) as usize];
            let change_every = 1 + (case % 13);
            let mut m = start;
            let values: Vec<f64> = (0..1 + (next() % 2048))
                .map(|i| {
                    if i % change_every == 0 && step > 0 {
                        m += (next() % (2 * step + 1)) as i64 - step as i64;
                    }
                    m as f64 / scale
                })
                .collect();
            let mut size = |scheme| {
                let mut b = Vec::new();
                enc.encode_with(&values, scheme, &mut b).map(|()| b.len())
            };
            let Some(decimal) = size(FloatScheme::Decimal) else {
                continue;
            };
            let bits = size(FloatScheme::BitsInt).unwrap();
            assert!(
                bits + 1 >= decimal,
                "case {case}: bits-int {bits} bytes, decimal {decimal}"
            );
        }
    }

    fn round_trip(values: &[f64]) -> (FloatScheme, usize) {
        let mut enc = FloatEncoder::default();
        let mut ints = Vec::new();
        let mut sizes = Vec::new();
        for scheme in FloatScheme::ALL {
            let mut buf = Vec::new();
            if enc.encode_with(values, scheme, &mut buf).is_none() {
                continue;
            }
            let mut out = Vec::new();
            let mut cur = Cursor::new(&buf);
            assert_eq!(decode(&mut cur, &mut out, &mut ints).unwrap(), scheme);
            cur.finish("test").unwrap();
            let got: Vec<u64> = out.iter().map(|v| v.to_bits()).collect();
            let want: Vec<u64> = values.iter().map(|v| v.to_bits()).collect();
            assert_eq!(got, want, "{}", scheme.name());
            sizes.push((scheme, buf.len()));
        }
        let mut buf = Vec::new();
        let chosen = enc.encode(values, &mut buf);
        let gorilla = sizes
            .iter()
            .find(|s| s.0 == FloatScheme::Gorilla)
            .map(|s| s.1);
        assert!(buf.len() <= gorilla.unwrap_or(usize::MAX));
        (chosen, buf.len())
    }

    #[test]
    fn picks_decimal_for_two_decimal_gauges() {
        let mut level = 5000i64;
        let values: Vec<f64> = (0..1000u64)
            .map(|i| {
                level += (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 57) as i64 - 64;
                level as f64 / 100.0
            })
            .collect();
        let (scheme, _) = round_trip(&values);
        assert_eq!(scheme, FloatScheme::Decimal);
    }

    #[test]
    fn constant_gauge_is_nearly_free() {
        let (_, size) = round_trip(&[std::f64::consts::PI; 1000]);
        assert!(size < 24, "{size}");
    }

    #[test]
    fn special_values_round_trip() {
        round_trip(&[]);
        round_trip(&[-0.0]);
        round_trip(&[
            f64::NAN,
            f64::INFINITY,
            -0.0,
            1.5,
            f64::from_bits(1),
            f64::from_bits(u64::MAX),
        ]);
    }
}
