//! `histogram_quantile` over classic histograms: the `le` buckets of each series group,
//! sorted, merged where bounds repeat, made monotonic, interpolated linearly (Prometheus'
//! `bucketQuantile`).

/// One bucket: upper bound and cumulative count.
#[derive(Debug, Clone, Copy)]
pub struct Bucket {
    pub upper: f64,
    pub count: f64,
}

/// The φ-quantile of the buckets.
pub fn bucket_quantile(q: f64, buckets: &mut Vec<Bucket>) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    buckets.sort_by(|a, b| a.upper.total_cmp(&b.upper));
    match buckets.last() {
        Some(b) if b.upper == f64::INFINITY => {}
        _ => return f64::NAN,
    }
    coalesce(buckets);
    let mut max = f64::NEG_INFINITY;
    for b in buckets.iter_mut() {
        if b.count > max {
            max = b.count;
        } else if b.count < max {
            b.count = max;
        }
    }
    if buckets.len() < 2 {
        return f64::NAN;
    }
    let observations = buckets[buckets.len() - 1].count;
    if observations == 0.0 {
        return f64::NAN;
    }
    let mut rank = q * observations;
    let n = buckets.len() - 1;
    let b = buckets[..n].partition_point(|x| x.count < rank);
    if b == n {
        return buckets[n - 1].upper;
    }
    if b == 0 && buckets[0].upper <= 0.0 {
        return buckets[0].upper;
    }
    let mut start = 0.0;
    let end = buckets[b].upper;
    let mut count = buckets[b].count;
    if b > 0 {
        start = buckets[b - 1].upper;
        count -= buckets[b - 1].count;
        rank -= buckets[b - 1].count;
    }
    start + (end - start) * (rank / count)
}

/// Adds up buckets with equal bounds (sorted input).
fn coalesce(buckets: &mut Vec<Bucket>) {
    let mut out: Vec<Bucket> = Vec::with_capacity(buckets.len());
    for b in buckets.iter() {
        match out.last_mut() {
            Some(last) if last.upper == b.upper => last.count += b.count,
            _ => out.push(*b),
        }
    }
    *buckets = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(pairs: &[(f64, f64)]) -> Vec<Bucket> {
        pairs
            .iter()
            .map(|&(upper, count)| Bucket { upper, count })
            .collect()
    }

    #[test]
    fn interpolates_within_the_bucket() {
        let mut x = b(&[(0.1, 10.0), (0.5, 30.0), (f64::INFINITY, 40.0)]);
        // Rank 20 of 40 lies halfway through (0.1, 0.5].
        assert!((bucket_quantile(0.5, &mut x) - 0.3).abs() < 1e-12);
        let mut x = b(&[(0.1, 10.0), (0.5, 30.0), (f64::INFINITY, 40.0)]);
        assert_eq!(bucket_quantile(0.99, &mut x), 0.5);
        let mut no_inf = b(&[(0.1, 10.0)]);
        assert!(bucket_quantile(0.5, &mut no_inf).is_nan());
        let mut x = b(&[(f64::INFINITY, 0.0), (1.0, 0.0)]);
        assert!(bucket_quantile(0.5, &mut x).is_nan());
        assert_eq!(bucket_quantile(-1.0, &mut b(&[])), f64::NEG_INFINITY);
    }
}
