//! Timestamp precision of a write request and the checked conversion of a
//! timestamp in that precision to nanoseconds.

use std::fmt;
use std::str::FromStr;

use crate::error::ProtocolError;

/// Unit of the timestamps in a write request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    /// Nanoseconds (`ns`), the line-protocol default.
    Nanoseconds,
    /// Microseconds (`u` or `us`).
    Microseconds,
    /// Milliseconds (`ms`), the JSON and remote-write default.
    Milliseconds,
    /// Seconds (`s`).
    Seconds,
}

impl Precision {
    /// Parses the query-string form: `"ns"`, `"u"`, `"us"`, `"ms"` or `"s"`.
    pub fn parse(value: &str) -> Result<Self, ProtocolError> {
        match value {
            "ns" => Ok(Self::Nanoseconds),
            "u" | "us" => Ok(Self::Microseconds),
            "ms" => Ok(Self::Milliseconds),
            "s" => Ok(Self::Seconds),
            other => Err(ProtocolError::InvalidPrecision {
                value: crate::error::excerpt(other),
            }),
        }
    }

    /// The canonical query-string form (`"ns"`, `"us"`, `"ms"`, `"s"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Nanoseconds => "ns",
            Self::Microseconds => "us",
            Self::Milliseconds => "ms",
            Self::Seconds => "s",
        }
    }

    /// How many nanoseconds one unit of this precision is.
    pub const fn nanos_per_unit(self) -> i64 {
        match self {
            Self::Nanoseconds => 1,
            Self::Microseconds => 1_000,
            Self::Milliseconds => 1_000_000,
            Self::Seconds => 1_000_000_000,
        }
    }

    /// Converts `timestamp` (in this precision) to nanoseconds, or `None` if
    /// the result does not fit in an `i64`.
    pub const fn checked_to_nanos(self, timestamp: i64) -> Option<i64> {
        timestamp.checked_mul(self.nanos_per_unit())
    }

    /// Converts `timestamp` (in this precision) to nanoseconds; overflow is an
    /// error, never a wrap.
    pub fn to_nanos(self, timestamp: i64) -> Result<i64, ProtocolError> {
        self.checked_to_nanos(timestamp)
            .ok_or(ProtocolError::TimestampOverflow {
                timestamp,
                precision: self,
            })
    }
}

impl FromStr for Precision {
    type Err = ProtocolError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::parse(value)
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_query_string_forms() {
        assert_eq!(Precision::parse("ns").unwrap(), Precision::Nanoseconds);
        assert_eq!(Precision::parse("u").unwrap(), Precision::Microseconds);
        assert_eq!(Precision::parse("us").unwrap(), Precision::Microseconds);
        assert_eq!(Precision::parse("ms").unwrap(), Precision::Milliseconds);
        assert_eq!(Precision::parse("s").unwrap(), Precision::Seconds);
        assert_eq!("ms".parse::<Precision>().unwrap(), Precision::Milliseconds);
    }

    #[test]
    fn rejects_unknown_forms() {
        for bad in ["", "n", "NS", "m", "h", "sec", " ms", "ms "] {
            let err = Precision::parse(bad).unwrap_err();
            assert_eq!(
                err,
                ProtocolError::InvalidPrecision {
                    value: bad.to_owned()
                }
            );
            assert!(err.to_string().contains("invalid precision"), "{err}");
        }
    }

    #[test]
    fn display_round_trips() {
        for p in [
            Precision::Nanoseconds,
            Precision::Microseconds,
            Precision::Milliseconds,
            Precision::Seconds,
        ] {
            assert_eq!(Precision::parse(&p.to_string()).unwrap(), p);
        }
    }

    #[test]
    fn converts_to_nanos() {
        assert_eq!(Precision::Nanoseconds.to_nanos(7).unwrap(), 7);
        assert_eq!(Precision::Microseconds.to_nanos(7).unwrap(), 7_000);
        assert_eq!(Precision::Milliseconds.to_nanos(-7).unwrap(), -7_000_000);
        assert_eq!(Precision::Seconds.to_nanos(7).unwrap(), 7_000_000_000);
        assert_eq!(Precision::Nanoseconds.to_nanos(i64::MIN).unwrap(), i64::MIN);
    }

    #[test]
    fn overflow_is_an_error() {
        let err = Precision::Seconds.to_nanos(i64::MAX / 1_000).unwrap_err();
        assert_eq!(
            err,
            ProtocolError::TimestampOverflow {
                timestamp: i64::MAX / 1_000,
                precision: Precision::Seconds
            }
        );
        assert!(Precision::Milliseconds.checked_to_nanos(i64::MIN).is_none());
        // Largest value that still fits.
        let max_s = i64::MAX / 1_000_000_000;
        assert_eq!(
            Precision::Seconds.to_nanos(max_s).unwrap(),
            max_s * 1_000_000_000
        );
        assert!(Precision::Seconds.to_nanos(max_s + 1).is_err());
    }
}
