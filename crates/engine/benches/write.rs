//! Engine ingest and read benchmarks (criterion). Writes TSBS-shaped rows (10 float fields,
//! 10 tags) in batches of 500 rows = 5,000 field values, the shape HTTP requests arrive in;
//! throughput is in field values (points) per second. Reads one series' 24 h column.
//! Run: `cargo bench -p strata-engine --bench write`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use strata_engine::{Engine, EngineOptions, FieldValue, Point, SeriesKey, SyncPolicy};

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

fn host_key(h: usize) -> SeriesKey {
    let tags = [
        ("hostname", format!("host_{h}")),
        ("region", format!("region_{}", h % 3)),
        ("datacenter", format!("dc_{}", h % 7)),
        ("rack", format!("{}", h % 100)),
        ("os", "Ubuntu16.04LTS".to_string()),
        ("arch", "x64".to_string()),
        ("team", format!("team_{}", h % 4)),
        ("service", format!("{}", h % 20)),
        ("service_version", "1".to_string()),
        ("service_environment", "production".to_string()),
    ];
    SeriesKey::new(
        "cpu",
        tags.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    )
}

fn rows(start_row: usize, n: usize, hosts: usize) -> Vec<Point> {
    (start_row..start_row + n)
        .map(|r| Point {
            series: host_key(r % hosts),
            fields: FIELDS
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    (
                        f.to_string(),
                        FieldValue::Float(((r * 7 + i * 13) % 10_000) as f64 / 100.0),
                    )
                })
                .collect(),
            timestamp: 1_700_000_000_000_000_000 + (r / hosts) as i64 * 10_000_000_000,
        })
        .collect()
}

fn bench_write(c: &mut Criterion) {
    let batches: Vec<Vec<Point>> = (0..40).map(|b| rows(b * 500, 500, 100)).collect();
    let mut g = c.benchmark_group("engine-write");
    g.throughput(Throughput::Elements(40 * 500 * 10));
    g.sample_size(10);
    for (name, sync) in [
        ("sync-none", SyncPolicy::None),
        ("sync-always", SyncPolicy::Always),
    ] {
        g.bench_function(name, |b| {
            b.iter_with_setup(
                || {
                    let dir = tempfile::tempdir().expect("tempdir");
                    let opts = EngineOptions {
                        wal_sync: sync,
                        ..EngineOptions::manual(dir.path())
                    };
                    (Engine::open(opts).expect("open"), dir)
                },
                |(engine, dir)| {
                    for batch in &batches {
                        engine.write(batch).expect("write");
                    }
                    black_box(&engine);
                    drop(engine);
                    drop(dir);
                },
            )
        });
    }
    g.finish();
}

fn bench_read(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::open(EngineOptions {
        wal_sync: SyncPolicy::None,
        ..EngineOptions::manual(dir.path())
    })
    .expect("open");
    // 24 h at 10 s for 10 hosts.
    for chunk in 0..(8640 * 10 / 5000 + 1) {
        engine.write(&rows(chunk * 5000, 5000, 10)).expect("write");
    }
    engine.flush().expect("flush");
    engine.compact().expect("compact");
    let id = engine
        .catalog()
        .lookup(&host_key(3).canonical())
        .expect("series");
    let mut g = c.benchmark_group("engine-read");
    g.throughput(Throughput::Elements(8640));
    g.bench_function("one-series-24h-cold", |b| {
        b.iter(|| {
            engine.clear_block_cache();
            black_box(
                engine
                    .snapshot()
                    .read(id, "usage_user", i64::MIN, i64::MAX)
                    .expect("read"),
            )
        })
    });
    g.bench_function("one-series-24h-warm", |b| {
        b.iter(|| {
            black_box(
                engine
                    .snapshot()
                    .read(id, "usage_user", i64::MIN, i64::MAX)
                    .expect("read"),
            )
        })
    });
    g.finish();
}

criterion_group!(engine, bench_write, bench_read);
criterion_main!(engine);
