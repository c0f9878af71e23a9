//! Criterion benchmarks of block encoding and decoding, in points (timestamp + value) per second.
//!
//! Data sets: `regular` is a 10 s scrape interval with a two-decimal random-walk gauge (the
//! common case), `counter` a steady integral counter, `gorilla` forces plain Gorilla on the
//! regular data for comparison. Run: `cargo bench -p strata-codec --bench codec`.

mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use strata_codec::{
    BlockDecoder, BlockEncoder, Column, ColumnRef, DEFAULT_BLOCK_POINTS, gorilla, timestamp,
};

const BLOCKS: usize = 64;

fn regular() -> (Vec<i64>, Vec<f64>) {
    common::data(DEFAULT_BLOCK_POINTS * BLOCKS, false)
}

fn counter() -> (Vec<i64>, Vec<f64>) {
    common::data(DEFAULT_BLOCK_POINTS * BLOCKS, true)
}

fn encode_all(enc: &mut BlockEncoder, ts: &[i64], vals: &[f64]) -> Vec<Vec<u8>> {
    ts.chunks(DEFAULT_BLOCK_POINTS)
        .zip(vals.chunks(DEFAULT_BLOCK_POINTS))
        .map(|(t, v)| {
            let mut out = Vec::new();
            enc.encode(t, ColumnRef::Float(v), &mut out)
                .expect("encode");
            out
        })
        .collect()
}

fn bench_set(c: &mut Criterion, name: &str, (ts, vals): (Vec<i64>, Vec<f64>)) {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(ts.len() as u64));
    let mut enc = BlockEncoder::default();
    g.bench_function("encode", |b| {
        b.iter(|| black_box(encode_all(&mut enc, &ts, &vals)))
    });
    let blocks = encode_all(&mut enc, &ts, &vals);
    let mut dec = BlockDecoder::default();
    let mut out_ts = Vec::with_capacity(DEFAULT_BLOCK_POINTS);
    let mut out_vals = Column::Float(Vec::with_capacity(DEFAULT_BLOCK_POINTS));
    g.bench_function("decode", |b| {
        b.iter(|| {
            for block in &blocks {
                dec.decode(block, &mut out_ts, &mut out_vals)
                    .expect("decode");
                black_box((&out_ts, &out_vals));
            }
        })
    });
    g.finish();
}

fn bench_gorilla(c: &mut Criterion) {
    let (ts, vals) = regular();
    let mut g = c.benchmark_group("plain-gorilla");
    g.throughput(Throughput::Elements(ts.len() as u64));
    let blocks: Vec<(Vec<u8>, Vec<u8>)> = ts
        .chunks(DEFAULT_BLOCK_POINTS)
        .zip(vals.chunks(DEFAULT_BLOCK_POINTS))
        .map(|(t, v)| {
            let mut tb = Vec::new();
            timestamp::encode_with(t, timestamp::TimestampScheme::Gorilla, true, &mut tb);
            let bits: Vec<u64> = v.iter().map(|x| x.to_bits()).collect();
            let mut vb = Vec::new();
            gorilla::encode(&bits, &mut vb);
            (tb, vb)
        })
        .collect();
    let mut t_out = Vec::with_capacity(DEFAULT_BLOCK_POINTS);
    let mut v_out = Vec::with_capacity(DEFAULT_BLOCK_POINTS);
    g.bench_function("decode", |b| {
        b.iter(|| {
            for (tb, vb) in &blocks {
                t_out.clear();
                v_out.clear();
                timestamp::decode(&mut strata_codec::varint::Cursor::new(tb), &mut t_out)
                    .expect("ts");
                gorilla::decode(&mut strata_codec::varint::Cursor::new(vb), &mut v_out)
                    .expect("vals");
                black_box((&t_out, &v_out));
            }
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    bench_set(c, "regular", regular());
    bench_set(c, "counter", counter());
    bench_gorilla(c);
}

criterion_group!(codec, benches);
criterion_main!(codec);
