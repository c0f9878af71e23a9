//! TSBS-shaped series keys and data loading shared by the query benchmark
//! (`benches/query.rs`) and the cardinality example (`examples/cardinality.rs`).
//!
//! Tags of series `i` (10 keys, the TSBS `cpu` shape): `hostname` unique per series
//! (`host_{i}`), `region` 10 values, `datacenter` 50 (5 per region), `rack` 1,000, `os` 3,
//! `arch` 2, `team` 10, `service` 100, `service_version` 5, `service_environment` 3. The
//! non-unique tags are drawn from a hash of `i`, so they are not correlated with each other
//! nor with the host number.

#![allow(dead_code)]

use strata_engine::{Engine, FieldValue, Point, SeriesKey};

pub const MEASUREMENT: &str = "cpu";

/// 2023-11-15T00:00:00Z in nanoseconds: a day boundary, so a day of data is one partition.
pub const START_NS: i64 = 1_700_006_400 * 1_000_000_000;

const REGIONS: [&str; 10] = [
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
    "ca-central-1",
];
const OS: [&str; 3] = ["Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"];
const ARCH: [&str; 2] = ["x64", "x86"];
const TEAMS: [&str; 10] = [
    "SF", "NYC", "LON", "CHI", "BER", "PAR", "SYD", "TOK", "SAO", "TOR",
];
const ENVS: [&str; 3] = ["production", "staging", "test"];

/// splitmix64: a cheap, well-mixed hash of the series number.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The tag values of series `i`, in key order of [`tags`].
pub fn region_of(i: usize) -> usize {
    (mix(i as u64) % 10) as usize
}

/// The 10 tags of series `i`.
pub fn tags(i: usize) -> Vec<(String, String)> {
    let h = mix(i as u64);
    let region = (h % 10) as usize;
    let pick = |shift: u32, n: u64| ((h >> shift) ^ mix(h.rotate_left(shift))) % n;
    vec![
        ("hostname".into(), format!("host_{i}")),
        ("region".into(), REGIONS[region].to_string()),
        (
            "datacenter".into(),
            format!("{}{}", REGIONS[region], (b'a' + pick(4, 5) as u8) as char),
        ),
        ("rack".into(), pick(8, 1000).to_string()),
        ("os".into(), OS[pick(12, 3) as usize].to_string()),
        ("arch".into(), ARCH[pick(16, 2) as usize].to_string()),
        ("team".into(), TEAMS[pick(20, 10) as usize].to_string()),
        ("service".into(), pick(24, 100).to_string()),
        ("service_version".into(), pick(28, 5).to_string()),
        (
            "service_environment".into(),
            ENVS[pick(32, 3) as usize].to_string(),
        ),
    ]
}

pub fn key(i: usize) -> SeriesKey {
    SeriesKey::new(MEASUREMENT, tags(i))
}

/// A deterministic, gently varying CPU-like value in [0, 100).
pub fn value(series: usize, step: usize, field: usize) -> f64 {
    let base = (mix((series * 31 + field) as u64) % 5000) as f64 / 100.0;
    let wave = ((step as f64) / 60.0 + series as f64).sin() * 20.0;
    let noise = (mix((series * 8641 + step) as u64 ^ field as u64) % 1000) as f64 / 100.0;
    (base + wave + noise).clamp(0.0, 99.99)
}

/// Writes `series` series x `steps` timestamps (`interval_ns` apart from [`START_NS`]) with
/// `fields` float fields, time-major, in batches of about `batch_points` points. Frozen
/// MemTables are flushed as they appear so memory stays bounded with `background: false`.
pub fn load(
    engine: &Engine,
    series: usize,
    steps: usize,
    interval_ns: i64,
    fields: &[&str],
    batch_points: usize,
) {
    let keys: Vec<SeriesKey> = (0..series).map(key).collect();
    let names: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    let mut batch = Vec::with_capacity(batch_points);
    for step in 0..steps {
        let ts = START_NS + step as i64 * interval_ns;
        for (i, k) in keys.iter().enumerate() {
            batch.push(Point {
                series: k.clone(),
                fields: names
                    .iter()
                    .enumerate()
                    .map(|(f, n)| (n.clone(), FieldValue::Float(value(i, step, f))))
                    .collect(),
                timestamp: ts,
            });
            if batch.len() >= batch_points {
                write(engine, &mut batch);
            }
        }
    }
    write(engine, &mut batch);
}

fn write(engine: &Engine, batch: &mut Vec<Point>) {
    if batch.is_empty() {
        return;
    }
    engine.write(batch).expect("write");
    batch.clear();
    if engine.stats().frozen_memtable_bytes > 0 {
        engine.flush().expect("flush");
    }
}
