//! Classification of unquoted line-protocol tokens: field values (float,
//! integer, unsigned, boolean) and timestamps.

use crate::point::FieldValue;

/// Why an unquoted token is not an acceptable value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ValueError {
    /// Not a value of any type.
    Invalid,
    /// Well-formed, but outside its type's range; names the type.
    OutOfRange(&'static str),
}

/// Parses an unquoted field value.
pub(super) fn parse_field_value(raw: &str) -> Result<FieldValue<'static>, ValueError> {
    match raw.as_bytes().last() {
        Some(b'i') => {
            parse_integer(raw.get(..raw.len() - 1).unwrap_or_default()).map(FieldValue::Integer)
        }
        Some(b'u') => {
            parse_unsigned(raw.get(..raw.len() - 1).unwrap_or_default()).map(FieldValue::Unsigned)
        }
        Some(b'0'..=b'9' | b'.') => parse_float(raw).map(FieldValue::Float),
        _ => match raw {
            "t" | "T" | "true" | "True" | "TRUE" => Ok(FieldValue::Boolean(true)),
            "f" | "F" | "false" | "False" | "FALSE" => Ok(FieldValue::Boolean(false)),
            _ => Err(ValueError::Invalid),
        },
    }
}

fn parse_unsigned(digits: &str) -> Result<u64, ValueError> {
    if !is_digits(digits) {
        return Err(ValueError::Invalid);
    }
    digits
        .parse::<u64>()
        .map_err(|_| ValueError::OutOfRange("unsigned"))
}

/// Parses an optionally negative decimal `i64` (no `+`, no spaces).
pub(super) fn parse_integer(raw: &str) -> Result<i64, ValueError> {
    if !is_digits(raw.strip_prefix('-').unwrap_or(raw)) {
        return Err(ValueError::Invalid);
    }
    raw.parse::<i64>()
        .map_err(|_| ValueError::OutOfRange("integer"))
}

/// Parses a float literal: `-?(d+(.d*)?|.d+)([eE][+-]?d+)?`, ending in a
/// digit or `.` (checked by the caller). Rust's parser accepts exactly that
/// plus a leading `+` and the words `inf`, `infinity`, `nan`, which end in a
/// letter; so rejecting `+` is all that is left to do. Values that overflow
/// to infinity are out of range.
fn parse_float(raw: &str) -> Result<f64, ValueError> {
    if raw.starts_with('+') {
        return Err(ValueError::Invalid);
    }
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(ValueError::OutOfRange("float")),
        Err(_) => Err(ValueError::Invalid),
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> FieldValue<'static> {
        parse_field_value(raw).unwrap_or_else(|e| panic!("{raw}: {e:?}"))
    }

    #[test]
    fn floats() {
        for (raw, want) in [
            ("1", 1.0),
            ("1.0", 1.0),
            ("-1.5", -1.5),
            ("-1.5e10", -1.5e10),
            ("1e-3", 1e-3),
            ("1E+3", 1e3),
            (".5", 0.5),
            ("5.", 5.0),
            ("-0", -0.0),
            ("0.1", 0.1),
            ("1.7976931348623157e308", f64::MAX),
            ("1e-400", 0.0),
        ] {
            assert_eq!(ok(raw), FieldValue::Float(want), "{raw}");
        }
    }

    #[test]
    fn invalid_floats() {
        for raw in [
            "", "-", ".", "-.", "+1", "1e", "1e+", "e5", "1.2.3", "1..2", "inf", "-inf", "nan",
            "NaN", "infinity", "1x", "0x10", "1_000", " 1", "1 ", "abc", "--1", "1-",
        ] {
            assert_eq!(parse_field_value(raw), Err(ValueError::Invalid), "{raw:?}");
        }
        assert_eq!(
            parse_field_value("1e400"),
            Err(ValueError::OutOfRange("float"))
        );
        assert_eq!(
            parse_field_value("-1e400"),
            Err(ValueError::OutOfRange("float"))
        );
    }

    #[test]
    fn integers() {
        assert_eq!(ok("1i"), FieldValue::Integer(1));
        assert_eq!(ok("-42i"), FieldValue::Integer(-42));
        assert_eq!(ok("007i"), FieldValue::Integer(7));
        assert_eq!(ok("9223372036854775807i"), FieldValue::Integer(i64::MAX));
        assert_eq!(ok("-9223372036854775808i"), FieldValue::Integer(i64::MIN));
        assert_eq!(
            parse_field_value("9223372036854775808i"),
            Err(ValueError::OutOfRange("integer"))
        );
        assert_eq!(
            parse_field_value("-9223372036854775809i"),
            Err(ValueError::OutOfRange("integer"))
        );
        for raw in ["i", "-i", "+1i", "1.0i", "1e3i", "1ii", "0x1i", "ti"] {
            assert_eq!(parse_field_value(raw), Err(ValueError::Invalid), "{raw:?}");
        }
    }

    #[test]
    fn unsigned() {
        assert_eq!(ok("0u"), FieldValue::Unsigned(0));
        assert_eq!(ok("18446744073709551615u"), FieldValue::Unsigned(u64::MAX));
        assert_eq!(
            parse_field_value("18446744073709551616u"),
            Err(ValueError::OutOfRange("unsigned"))
        );
        for raw in ["u", "-1u", "+1u", "1.5u", "1iu"] {
            assert_eq!(parse_field_value(raw), Err(ValueError::Invalid), "{raw:?}");
        }
    }

    #[test]
    fn booleans() {
        for raw in ["t", "T", "true", "True", "TRUE"] {
            assert_eq!(ok(raw), FieldValue::Boolean(true), "{raw}");
        }
        for raw in ["f", "F", "false", "False", "FALSE"] {
            assert_eq!(ok(raw), FieldValue::Boolean(false), "{raw}");
        }
        for raw in ["tRUE", "yes", "no", "TrUe", "fals", "1b"] {
            assert_eq!(parse_field_value(raw), Err(ValueError::Invalid), "{raw:?}");
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_integer("0"), Ok(0));
        assert_eq!(parse_integer("-5"), Ok(-5));
        assert_eq!(
            parse_integer("1696789234567000000"),
            Ok(1_696_789_234_567_000_000)
        );
        assert_eq!(parse_integer("+5"), Err(ValueError::Invalid));
        assert_eq!(parse_integer("5.0"), Err(ValueError::Invalid));
        assert_eq!(parse_integer(""), Err(ValueError::Invalid));
        assert_eq!(
            parse_integer("99999999999999999999"),
            Err(ValueError::OutOfRange("integer"))
        );
    }
}
