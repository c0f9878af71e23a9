//! Encode/decode throughput in points per second of *CPU time* (CLOCK_THREAD_CPUTIME_ID), which
//! a busy shared machine inflates far less than wall-clock time. Same data sets as the
//! criterion bench (`benches/codec.rs`): a 10 s scrape interval with a two-decimal random walk
//! (`regular`) and a steady counter. Run: `cargo run --release -p strata-codec --example
//! throughput` (prints the median of 5 rounds of each).

#[path = "../benches/common/mod.rs"]
mod common;

use std::hint::black_box;

use strata_codec::{BlockDecoder, BlockEncoder, Column, ColumnRef, DEFAULT_BLOCK_POINTS};

const BLOCKS: usize = 256;

fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    for (name, counter) in [("regular", false), ("counter", true)] {
        let (ts, vals) = common::data(DEFAULT_BLOCK_POINTS * BLOCKS, counter);
        let mut enc = BlockEncoder::default();
        let mut dec = BlockDecoder::default();
        let (mut enc_rates, mut dec_rates) = (Vec::new(), Vec::new());
        for _ in 0..5 {
            let t0 = cpu_seconds();
            let blocks: Vec<Vec<u8>> = ts
                .chunks(DEFAULT_BLOCK_POINTS)
                .zip(vals.chunks(DEFAULT_BLOCK_POINTS))
                .map(|(t, v)| {
                    let mut out = Vec::new();
                    enc.encode(t, ColumnRef::Float(v), &mut out)
                        .expect("encode");
                    out
                })
                .collect();
            let t1 = cpu_seconds();
            let (mut ots, mut ovals) = (Vec::new(), Column::Float(Vec::new()));
            for _ in 0..4 {
                for b in &blocks {
                    dec.decode(b, &mut ots, &mut ovals).expect("decode");
                    black_box((&ots, &ovals));
                }
            }
            let t2 = cpu_seconds();
            enc_rates.push(ts.len() as f64 / (t1 - t0));
            dec_rates.push(4.0 * ts.len() as f64 / (t2 - t1));
        }
        println!(
            "{name}: encode {:.1} M points/s, decode {:.1} M points/s (CPU time, median of 5)",
            median(enc_rates) / 1e6,
            median(dec_rates) / 1e6
        );
    }
}
