//! Crash test: a child process (this same test binary, re-executed) writes batches through the
//! engine with a tiny MemTable so flushes and compactions run constantly, and prints each
//! batch number once `write` has acknowledged it. The parent kills it with SIGKILL at a random
//! moment, reopens the engine and checks that every acknowledged batch is there with its
//! exact values, that every batch present is whole, and that nothing else appeared.
//!
//! `STRATA_CRASH_CYCLES` sets the number of cycles (default 100; the soak command in
//! docs/reliability.md runs 1,000).
#![allow(clippy::disallowed_methods)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use strata_engine::{Engine, EngineOptions, FieldValue, Point, SeriesKey};

const POINTS_PER_BATCH: i64 = 20;
const SERIES: i64 = 3;

fn key(s: i64) -> SeriesKey {
    SeriesKey::new("crash", vec![("s".into(), s.to_string())])
}

fn batch(b: i64) -> Vec<Point> {
    (0..POINTS_PER_BATCH)
        .map(|i| Point {
            series: key(b % SERIES),
            fields: vec![("v".into(), FieldValue::Integer(b * 1000 + i))],
            timestamp: b * 100 + i,
        })
        .collect()
}

fn options(dir: &Path, background: bool) -> EngineOptions {
    EngineOptions {
        background,
        memtable_bytes: 16 << 10,
        l0_compaction_trigger: 2,
        partition_width: 50_000,
        block_points: 64,
        ..EngineOptions::new(dir)
    }
}

/// The child process: the parent runs this test binary again with only this (ignored) test
/// selected and its data directory and first batch in the environment.
#[test]
#[ignore = "the crash test's child process; runs only when the crash test starts it"]
fn crash_writer_child() {
    let dir = std::env::var("STRATA_CRASH_DIR").expect("started by the crash test");
    let first: i64 = std::env::var("STRATA_CRASH_FIRST")
        .expect("started by the crash test")
        .parse()
        .unwrap();
    let engine = Engine::open(options(Path::new(&dir), true)).unwrap();
    for b in first.. {
        match engine.write(&batch(b)) {
            Ok(()) => println!("ack {b}"),
            Err(strata_engine::Error::Backpressure(_)) => {
                std::thread::sleep(Duration::from_millis(2))
            }
            Err(e) => panic!("write failed: {e}"),
        }
    }
}

fn verify(dir: &Path, acked: &BTreeSet<i64>) -> usize {
    let engine = Engine::open(options(dir, false)).unwrap();
    let snap = engine.snapshot();
    let mut seen: BTreeMap<i64, i64> = BTreeMap::new();
    for s in 0..SERIES {
        let Some(id) = engine.catalog().lookup(&key(s).canonical()) else {
            continue;
        };
        let Some(col) = snap.read(id, "v", i64::MIN, i64::MAX).unwrap() else {
            continue;
        };
        for (i, &ts) in col.ts.iter().enumerate() {
            let (b, k) = (ts / 100, ts % 100);
            assert!(
                k < POINTS_PER_BATCH && b % SERIES == s,
                "point at {ts} in series {s} was never written"
            );
            assert_eq!(
                col.value(i),
                Some(FieldValue::Integer(b * 1000 + k)),
                "wrong value at {ts}"
            );
            *seen.entry(b).or_default() += 1;
        }
    }
    for (b, n) in &seen {
        assert_eq!(*n, POINTS_PER_BATCH, "batch {b} is partial: {n} points");
    }
    for b in acked {
        assert!(seen.contains_key(b), "acknowledged batch {b} lost");
    }
    engine.close().unwrap();
    seen.len() * POINTS_PER_BATCH as usize
}

#[test]
fn sigkill_during_writes_flushes_and_compactions_loses_nothing_acknowledged() {
    let cycles: u64 = std::env::var("STRATA_CRASH_CYCLES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100);
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut acked = BTreeSet::new();
    let mut rng: u64 = 0x2545_f491_4f6c_dd1d;
    let mut verified = 0;
    for cycle in 0..cycles {
        let mut child = Command::new(&exe)
            .args([
                "crash_writer_child",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("STRATA_CRASH_DIR", dir.path())
            .env("STRATA_CRASH_FIRST", (cycle as i64 * 1_000_000).to_string())
            .env("RUST_LOG", "off")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| l.strip_prefix("ack ").and_then(|b| b.parse::<i64>().ok()))
                .collect::<Vec<_>>()
        });
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        std::thread::sleep(Duration::from_millis(20 + rng % 120));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        acked.extend(reader.join().unwrap());
        verified = verify(dir.path(), &acked);
    }
    assert!(
        acked.len() as u64 >= cycles / 2,
        "the child acknowledged {} batches in {cycles} cycles: it barely ran",
        acked.len()
    );
    eprintln!(
        "crash test: {cycles} cycles, {} acknowledged batches, {verified} points verified",
        acked.len()
    );
}
