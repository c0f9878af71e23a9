//! The data sets of the codec speed measurements, shared by the criterion bench
//! (`benches/codec.rs`) and the CPU-time example (`examples/throughput.rs`): `n` points at a
//! 10 s interval with a two-decimal random walk (regular) or a steady integral counter.

/// Timestamps (ns) and values of `n` points.
pub fn data(n: usize, counter: bool) -> (Vec<i64>, Vec<f64>) {
    let ts = (0..n as i64)
        .map(|i| 1_700_000_000_000_000_000 + i * 10_000_000_000)
        .collect();
    let mut x: u64 = 42;
    let mut level = 5000i64;
    let vals = (0..n)
        .map(|i| {
            if counter {
                return (1_000_000 + i * 1500) as f64;
            }
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            level += (x % 201) as i64 - 100;
            level as f64 / 100.0
        })
        .collect();
    (ts, vals)
}
