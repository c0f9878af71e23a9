//! Latency percentiles (nearest-rank) and the summary the runners print.

use std::time::Duration;

/// The `p`-th percentile (0 < p <= 100) of `sorted` by the nearest-rank method: the
/// smallest value with at least `p`% of the values at or below it. `None` when empty.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Count, p50, p95, p99, max and mean of a set of latencies, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Summary {
    pub count: usize,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

impl Summary {
    /// The summary of `samples_ms` (any order).
    pub fn of(samples_ms: &[f64]) -> Summary {
        let mut s = samples_ms.to_vec();
        s.sort_by(f64::total_cmp);
        let pick = |p| percentile(&s, p).unwrap_or(0.0);
        Summary {
            count: s.len(),
            p50: pick(50.0),
            p95: pick(95.0),
            p99: pick(99.0),
            max: s.last().copied().unwrap_or(0.0),
            mean: if s.is_empty() {
                0.0
            } else {
                s.iter().sum::<f64>() / s.len() as f64
            },
        }
    }

    /// `p50 1.2 ms  p95 3.4 ms  p99 5.6 ms  max 7.8 ms`.
    pub fn line(&self) -> String {
        format!(
            "p50 {}  p95 {}  p99 {}  max {}  (n={})",
            fmt_ms(self.p50),
            fmt_ms(self.p95),
            fmt_ms(self.p99),
            fmt_ms(self.max),
            self.count
        )
    }
}

/// A duration in milliseconds as `f64`.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `0.42 ms`, `12.3 ms`, `1234 ms`.
pub fn fmt_ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2} ms")
    } else if v < 100.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.0} ms")
    }
}

/// `8.64M`, `123.4k`, `999`.
pub fn fmt_count(v: f64) -> String {
    if v >= 1e9 {
        format!("{:.2}G", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// `1.5 GiB`, `12.0 MiB`, `512 B`.
pub fn fmt_bytes(v: u64) -> String {
    let f = v as f64;
    if f >= (1u64 << 30) as f64 {
        format!("{:.2} GiB", f / (1u64 << 30) as f64)
    } else if f >= (1u64 << 20) as f64 {
        format!("{:.1} MiB", f / (1u64 << 20) as f64)
    } else if f >= 1024.0 {
        format!("{:.1} KiB", f / 1024.0)
    } else {
        format!("{v} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 95.0), Some(95.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&v, 100.0), Some(100.0));
        assert_eq!(percentile(&v, 0.1), Some(1.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        // Four values: p50 is the 2nd, p95 the 4th.
        let w = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&w, 50.0), Some(2.0));
        assert_eq!(percentile(&w, 95.0), Some(4.0));
        assert_eq!(percentile(&w, 25.0), Some(1.0));
        assert_eq!(percentile(&w, 26.0), Some(2.0));
    }

    #[test]
    fn summary_of_unsorted() {
        let s = Summary::of(&[5.0, 1.0, 3.0, 2.0, 4.0]);
        assert_eq!(s.count, 5);
        assert_eq!(s.p50, 3.0);
        assert_eq!(s.p95, 5.0);
        assert_eq!(s.max, 5.0);
        assert_eq!(s.mean, 3.0);
        assert_eq!(Summary::of(&[]), Summary::default());
    }

    #[test]
    fn formatting() {
        assert_eq!(fmt_count(8_640_000.0), "8.64M");
        assert_eq!(fmt_bytes(3 << 20), "3.0 MiB");
        assert_eq!(fmt_ms(1.234), "1.23 ms");
    }
}
