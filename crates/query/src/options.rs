//! Per-query settings that come from the server rather than the request body: the time
//! precision of the request (`?precision=`) and the result-size cap.

/// How to interpret and bound one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryOptions {
    /// Nanoseconds per request time unit: `1_000_000` for milliseconds (the default), `1_000`
    /// for microseconds, `1` for nanoseconds, `1_000_000_000` for seconds. Applies to `start`,
    /// `end`, `aggregate.every` and the returned timestamps. Must be positive.
    pub precision_ns: i64,
    /// The most points (rows: one timestamp of one series) a result may hold; a larger result
    /// is a [`crate::QueryError::TooLarge`], never a truncated answer.
    pub max_points: usize,
}

/// Default [`QueryOptions::max_points`].
pub const DEFAULT_MAX_POINTS: usize = 1_000_000;

impl Default for QueryOptions {
    fn default() -> Self {
        QueryOptions {
            precision_ns: 1_000_000,
            max_points: DEFAULT_MAX_POINTS,
        }
    }
}

/// Nanoseconds per unit for a `precision` parameter: `ns` (or `n`), `us` (or `u`), `ms`, `s`;
/// `None` for anything else.
pub fn precision_ns(unit: &str) -> Option<i64> {
    match unit {
        "ns" | "n" => Some(1),
        "us" | "u" => Some(1_000),
        "ms" => Some(1_000_000),
        "s" => Some(1_000_000_000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(QueryOptions::default().precision_ns, 1_000_000);
        assert_eq!(precision_ns("ns"), Some(1));
        assert_eq!(precision_ns("us"), Some(1_000));
        assert_eq!(precision_ns("s"), Some(1_000_000_000));
        assert_eq!(precision_ns("h"), None);
    }
}
