//! Parse throughput on TSBS-like `cpu` points (10 tags, 10 float fields), in
//! points per second: line protocol (the headline figure), JSON and remote
//! write for comparison.

use std::borrow::Cow;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use strata_protocol::remote_write::{self, Label, Sample, TimeSeries, WriteRequest};
use strata_protocol::{FieldValue, PointBatch, Precision, json, line};

const POINTS: usize = 1_000;

const TAGS: [(&str, &str); 10] = [
    ("hostname", "host_0"),
    ("region", "eu-west-1"),
    ("datacenter", "eu-west-1b"),
    ("rack", "67"),
    ("os", "Ubuntu16.10"),
    ("arch", "x86"),
    ("team", "NYC"),
    ("service", "7"),
    ("service_version", "0"),
    ("service_environment", "production"),
];

const FIELDS: [&str; 10] = [
    "usage_user",
    "usage_system",
    "usage_idle",
    "usage_nice",
    "usage_iowait",
    "usage_irq",
    "usage_softirq",
    "usage_steal",
    "usage_guest",
    "usage_guest_nice",
];

const START_NS: i64 = 1_451_606_400_000_000_000;

fn value(point: usize, field: usize) -> f64 {
    ((point * 31 + field * 17) % 10_000) as f64 / 100.0 + 0.123_456_789
}

/// A batch of TSBS-like cpu points, 10 s apart.
fn cpu_batch() -> PointBatch<'static> {
    let mut batch = PointBatch::new();
    for i in 0..POINTS {
        batch.push(
            "cpu",
            TAGS.iter()
                .map(|&(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v))),
            FIELDS
                .iter()
                .enumerate()
                .map(|(f, &k)| (Cow::Borrowed(k), FieldValue::Float(value(i, f)))),
            Some(START_NS + i as i64 * 10_000_000_000),
        );
    }
    batch
}

fn line_body() -> String {
    let mut body = String::new();
    line::write_batch(&cpu_batch(), &mut body);
    body
}

fn json_body() -> String {
    let mut body = String::from("[");
    for (i, p) in cpu_batch().iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        let tags: Vec<String> = p
            .tags()
            .iter()
            .map(|(k, v)| format!("\"{k}\":\"{v}\""))
            .collect();
        let fields: Vec<String> = p
            .fields()
            .iter()
            .map(|(k, v)| match v {
                FieldValue::Float(f) => format!("\"{k}\":{f}"),
                _ => unreachable!(),
            })
            .collect();
        body.push_str(&format!(
            "{{\"measurement\":\"cpu\",\"tags\":{{{}}},\"fields\":{{{}}},\"timestamp\":{}}}",
            tags.join(","),
            fields.join(","),
            p.timestamp().unwrap_or(0) / 1_000_000
        ));
    }
    body.push(']');
    body
}

/// TSBS cpu as Prometheus sends it: one series per field, one sample each.
fn remote_write_body() -> Vec<u8> {
    let mut timeseries = Vec::new();
    for i in 0..POINTS / FIELDS.len() {
        for (f, field) in FIELDS.iter().enumerate() {
            let mut labels = vec![Label {
                name: "__name__".into(),
                value: format!("cpu_{field}"),
            }];
            labels.extend(TAGS.iter().map(|&(k, v)| Label {
                name: k.into(),
                value: v.into(),
            }));
            timeseries.push(TimeSeries {
                labels,
                samples: vec![Sample {
                    value: value(i, f),
                    timestamp: START_NS / 1_000_000 + i as i64 * 10_000,
                }],
            });
        }
    }
    remote_write::encode(&WriteRequest {
        timeseries,
        metadata: vec![],
    })
    .unwrap()
}

fn bench_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(POINTS as u64));

    let body = line_body();
    let mut batch = PointBatch::new();
    group.bench_function("line_protocol_cpu", |b| {
        b.iter(|| {
            batch.clear();
            line::parse_into(
                black_box(body.as_bytes()),
                Precision::Nanoseconds,
                &mut batch,
            )
            .unwrap();
            black_box(batch.len())
        })
    });

    let body = json_body();
    let mut batch = PointBatch::new();
    group.bench_function("json_cpu", |b| {
        b.iter(|| {
            batch.clear();
            json::parse_into(
                black_box(body.as_bytes()),
                Precision::Milliseconds,
                &mut batch,
            )
            .unwrap();
            black_box(batch.len())
        })
    });

    let body = remote_write_body();
    group.bench_function("remote_write_cpu_samples", |b| {
        b.iter(|| {
            let request = remote_write::decode(black_box(&body), 64 << 20).unwrap();
            let batch = remote_write::to_points(&request).unwrap();
            black_box(batch.len())
        })
    });

    let batch = cpu_batch();
    let mut out = String::new();
    group.bench_function("write_line_cpu", |b| {
        b.iter(|| {
            out.clear();
            line::write_batch(black_box(&batch), &mut out);
            black_box(out.len())
        })
    });

    group.finish();
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
