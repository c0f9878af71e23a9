//! Time partitions: data is split into fixed windows (default one day) aligned to the epoch,
//! so a query opens only the partitions its range touches and retention drops whole ones.
//! Rollup windows align the same way, with the same functions.
//!
//! A partition is named by its first timestamp and ends at its last one, inclusive. The
//! arithmetic is done in `i128` and clamped, so the partitions at both ends of the `i64`
//! range are whole: the first starts at `i64::MIN` (its aligned start lies below it), the
//! last ends at `i64::MAX` (its exclusive end would lie above it), and a loop that walks a
//! column partition by partition always moves forward.

/// One day in nanoseconds, the default partition width.
pub const DEFAULT_WIDTH: i64 = 86_400 * 1_000_000_000;

/// Start of the partition holding `ts` (`width` > 0).
#[inline]
pub fn partition_of(ts: i64, width: i64) -> i64 {
    clamp(i128::from(ts.div_euclid(width)) * i128::from(width))
}

/// Last timestamp of the partition holding `start` (inclusive).
#[inline]
pub fn partition_last(start: i64, width: i64) -> i64 {
    clamp((i128::from(start.div_euclid(width)) + 1) * i128::from(width) - 1)
}

fn clamp(t: i128) -> i64 {
    t.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn floors_towards_minus_infinity() {
        assert_eq!(partition_of(0, 10), 0);
        assert_eq!(partition_of(9, 10), 0);
        assert_eq!(partition_of(-1, 10), -10);
        assert_eq!(partition_last(0, 10), 9);
        assert_eq!(partition_last(-10, 10), -1);
    }

    #[test]
    fn the_partitions_at_the_ends_are_whole() {
        let w = DEFAULT_WIDTH;
        assert_eq!(partition_of(i64::MIN, w), i64::MIN);
        assert_eq!(partition_last(i64::MAX, w), i64::MAX);
        assert_eq!(partition_last(partition_of(i64::MAX, w), w), i64::MAX);
        // The first partition ends where the second begins.
        let first_last = partition_last(i64::MIN, w);
        assert_eq!(partition_of(first_last, w), i64::MIN);
        assert_eq!(partition_of(first_last + 1, w), first_last + 1);
        assert_eq!(partition_of(i64::MAX, 1), i64::MAX);
        assert_eq!(partition_last(i64::MIN, 1), i64::MIN);
    }

    fn edge_ts() -> impl Strategy<Value = i64> {
        prop_oneof![
            any::<i64>(),
            (0i64..1000).prop_map(|d| i64::MAX - d),
            (0i64..1000).prop_map(|d| i64::MIN + d),
            (-5i64..5, -3i64..3).prop_map(|(k, d)| k * DEFAULT_WIDTH + d),
        ]
    }

    proptest! {
        /// Every timestamp lies in its partition, and the partitions tile the range: the
        /// next partition starts right after the last timestamp of this one.
        #[test]
        fn partitions_tile_the_i64_range(ts in edge_ts(), width in prop_oneof![Just(DEFAULT_WIDTH), 1i64..1000, Just(i64::MAX)]) {
            let start = partition_of(ts, width);
            let last = partition_last(start, width);
            prop_assert!(start <= ts && ts <= last);
            prop_assert_eq!(partition_of(start, width), start);
            prop_assert_eq!(partition_of(last, width), start);
            if let Some(next) = last.checked_add(1) {
                prop_assert_eq!(partition_of(next, width), next);
            }
        }
    }
}
