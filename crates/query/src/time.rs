//! Time units: converting request times to the engine's nanoseconds (checked, so an overflow
//! is a client error rather than a wrapped range) and stored nanoseconds back to request units.

use crate::error::QueryError;

/// `value` request units in nanoseconds; `what` names the value in the error message.
pub fn to_ns(value: i64, precision_ns: i64, what: &str) -> Result<i64, QueryError> {
    check_precision(precision_ns)?;
    value.checked_mul(precision_ns).ok_or_else(|| {
        QueryError::bad(format!(
            "{what} ({value}) is out of range: in nanoseconds it does not fit a 64-bit integer"
        ))
    })
}

/// A range bound (`start`, `end`) in nanoseconds, clamped to the `i64` range: a range is a
/// filter, so one reaching past what a timestamp can hold (`"end": 2**53` ms, a client's
/// "until forever") selects everything up to the last representable time.
pub fn range_to_ns(value: i64, precision_ns: i64) -> i64 {
    value.saturating_mul(precision_ns)
}

/// Nanoseconds back to request units, rounding toward negative infinity, so that a point is
/// always reported inside the `[start, end)` range that selected it (also for times before
/// 1970). Several points closer together than one unit report the same timestamp.
pub fn from_ns(ts: i64, precision_ns: i64) -> i64 {
    if precision_ns == 1 {
        ts
    } else {
        ts.div_euclid(precision_ns)
    }
}

pub(crate) fn check_precision(precision_ns: i64) -> Result<(), QueryError> {
    if precision_ns <= 0 {
        return Err(QueryError::bad(format!(
            "precision must be positive, got {precision_ns} ns"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(to_ns(5, 1_000_000, "start").unwrap(), 5_000_000);
        assert_eq!(to_ns(-5, 1_000, "start").unwrap(), -5_000);
        let e = to_ns(i64::MAX / 10, 1_000_000, "end").unwrap_err();
        assert!(e.to_string().starts_with("end ("), "{e}");
        assert!(to_ns(1, 0, "start").is_err());
        assert_eq!(from_ns(1_999_999, 1_000_000), 1);
        assert_eq!(from_ns(-1, 1_000_000), -1);
        assert_eq!(from_ns(-1_000_000, 1_000_000), -1);
        assert_eq!(from_ns(-1_000_001, 1_000_000), -2);
        assert_eq!(from_ns(i64::MIN, 1), i64::MIN);
        assert_eq!(range_to_ns(1 << 53, 1_000_000), i64::MAX);
        assert_eq!(range_to_ns(-(1 << 53), 1_000_000), i64::MIN);
        assert_eq!(range_to_ns(7, 1_000), 7_000);
    }
}
