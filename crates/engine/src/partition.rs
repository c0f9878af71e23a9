//! Time partitions: data is split into fixed windows (default one day) aligned to the epoch,
//! so a query opens only the partitions its range touches and retention drops whole ones.

/// One day in nanoseconds, the default partition width.
pub const DEFAULT_WIDTH: i64 = 86_400 * 1_000_000_000;

/// Start of the partition holding `ts`.
#[inline]
pub fn partition_of(ts: i64, width: i64) -> i64 {
    ts.div_euclid(width).saturating_mul(width)
}

/// Exclusive end of the partition starting at `start`.
#[inline]
pub fn partition_end(start: i64, width: i64) -> i64 {
    start.saturating_add(width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floors_towards_minus_infinity() {
        assert_eq!(partition_of(0, 10), 0);
        assert_eq!(partition_of(9, 10), 0);
        assert_eq!(partition_of(-1, 10), -10);
        assert!(partition_of(i64::MIN, DEFAULT_WIDTH) <= i64::MIN + DEFAULT_WIDTH);
        assert_eq!(partition_end(i64::MAX - 3, 10), i64::MAX);
    }
}
