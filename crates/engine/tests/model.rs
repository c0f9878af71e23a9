//! Model-based property test of the engine: random sequences of writes (in and out of order,
//! overwrites), deletes, flushes, compactions, rollups, retention, clean reopens and
//! simulated power cuts are applied to the engine and to a `BTreeMap` model; after every step
//! every series column must read back exactly as the model says. Timestamps are drawn with
//! weight at both ends of the supported range and at partition boundaries, where the
//! partition and window arithmetic has its edge cases. The engine runs on a [`PowerLossFs`]
//! under `--wal-sync always`, so a power cut must lose nothing that was acknowledged; the
//! `interval` policy's bound is checked by `tests/power_loss.rs`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use strata_engine::io::PowerLossFs;
use strata_engine::{
    Engine, EngineOptions, FieldValue, MAX_TIMESTAMP, MIN_TIMESTAMP, Point, SeriesKey,
};

/// Partition width of the test engine (ns): tiny, so a few points span many partitions.
const WIDTH: i64 = 100;

#[derive(Debug, Clone)]
enum Op {
    Write(Vec<(u8, u8, i64, i64)>), // (series, field, ts, value)
    Delete(u8, i64, i64),
    Flush,
    Compact,
    Rollups,
    Retention,
    Reopen,
    PowerCut,
}

/// A timestamp: mostly near the epoch across partition boundaries, often at the ends of the
/// supported range.
fn ts() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => -50i64..400,
        2 => (-3i64..5, -1i64..=1).prop_map(|(k, d)| k * WIDTH + d),
        2 => (0i64..4).prop_map(|d| MAX_TIMESTAMP - d),
        2 => (0i64..4).prop_map(|d| MIN_TIMESTAMP + d),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => prop::collection::vec((0u8..4, 0u8..2, ts(), any::<i64>()), 1..30).prop_map(Op::Write),
        1 => (0u8..4, -50i64..400, 0i64..120).prop_map(|(s, a, len)| Op::Delete(s, a, a + len)),
        1 => (0u8..4, ts(), ts()).prop_map(|(s, a, b)| Op::Delete(s, a.min(b), a.max(b).saturating_add(1))),
        1 => (0u8..4).prop_map(|s| Op::Delete(s, i64::MIN, i64::MAX)),
        2 => Just(Op::Flush),
        1 => Just(Op::Compact),
        1 => Just(Op::Rollups),
        1 => Just(Op::Retention),
        1 => Just(Op::Reopen),
        1 => Just(Op::PowerCut),
    ]
}

type Model = BTreeMap<(u8, u8), BTreeMap<i64, i64>>;

fn key(s: u8) -> SeriesKey {
    SeriesKey::new(
        "m",
        vec![("host".into(), format!("h{s}")), ("dc".into(), "x".into())],
    )
}

/// Retention keeps what is younger than a year: everything near the epoch or at the lower
/// end of the range expires, the upper end (year 2262) stays.
const RETENTION: Duration = Duration::from_secs(365 * 86_400);

fn options(dir: &std::path::Path) -> EngineOptions {
    EngineOptions {
        // Tiny partitions and blocks so flushes span several partitions and blocks.
        partition_width: WIDTH,
        block_points: 7,
        retention: Some(RETENTION),
        rollup_after: Some(Duration::from_secs(86_400)),
        rollup_windows: vec![10, 1_000],
        ..EngineOptions::manual(dir)
    }
}

fn open(root: &std::path::Path) -> (Engine, PowerLossFs) {
    let fs = PowerLossFs::new(root).unwrap();
    let engine = Engine::open_with_fs(options(&root.join("data")), Arc::new(fs.clone())).unwrap();
    (engine, fs)
}

fn check(engine: &Engine, model: &Model) -> Result<(), TestCaseError> {
    let snap = engine.snapshot();
    for s in 0u8..4 {
        let Some(id) = engine.catalog().lookup(&key(s).canonical()) else {
            prop_assert!(
                model
                    .iter()
                    .all(|((ms, _), pts)| *ms != s || pts.is_empty()),
                "series {} has points but the catalog forgot it",
                s
            );
            continue;
        };
        for f in 0u8..2 {
            let got = snap.read(id, &format!("f{f}"), i64::MIN, i64::MAX).unwrap();
            let got: Vec<(i64, i64)> = match got {
                Some(c) => {
                    c.ts.iter()
                        .enumerate()
                        .map(|(i, &t)| match c.value(i) {
                            Some(FieldValue::Integer(v)) => (t, v),
                            other => panic!("unexpected value {other:?}"),
                        })
                        .collect()
                }
                None => Vec::new(),
            };
            let want: Vec<(i64, i64)> = model
                .get(&(s, f))
                .map(|m| m.iter().map(|(&t, &v)| (t, v)).collect())
                .unwrap_or_default();
            prop_assert_eq!(&got, &want, "series {} field {}", s, f);
            // Narrow ranges read the same slices: one near the epoch, one at the top end.
            for (start, end) in [(10, 60), (MAX_TIMESTAMP - 2, i64::MAX)] {
                let part = snap
                    .read(id, &format!("f{f}"), start, end)
                    .unwrap()
                    .map(|c| c.ts)
                    .unwrap_or_default();
                let want_part: Vec<i64> = want
                    .iter()
                    .map(|p| p.0)
                    .filter(|t| (start..end).contains(t))
                    .collect();
                prop_assert_eq!(part, want_part);
            }
        }
    }
    Ok(())
}

/// Drops from the model what retention drops at `now`: points whose partition ended more
/// than [`RETENTION`] ago.
fn expire(model: &mut Model, now: i64) {
    let cutoff = now - RETENTION.as_nanos() as i64;
    for pts in model.values_mut() {
        pts.retain(|&t, _| {
            let last = (i128::from(t.div_euclid(WIDTH)) + 1) * i128::from(WIDTH) - 1;
            last >= i128::from(cutoff)
        });
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn engine_matches_model(ops in prop::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let (mut engine, mut fs) = open(dir.path());
        let mut model = Model::new();
        for op in ops {
            match op {
                Op::Write(rows) => {
                    let points: Vec<Point> = rows.iter().map(|&(s, f, ts, v)| Point {
                        series: key(s),
                        fields: vec![(format!("f{f}"), FieldValue::Integer(v))],
                        timestamp: ts,
                    }).collect();
                    engine.write(&points).unwrap();
                    for (s, f, ts, v) in rows {
                        model.entry((s, f)).or_default().insert(ts, v);
                    }
                }
                Op::Delete(s, start, end) => {
                    if let Some(id) = engine.catalog().lookup(&key(s).canonical()) {
                        engine.delete(&[id], start, end).unwrap();
                        for f in 0u8..2 {
                            if let Some(m) = model.get_mut(&(s, f)) {
                                m.retain(|t, _| !(start..end).contains(t));
                            }
                        }
                    }
                }
                Op::Flush => engine.flush().unwrap(),
                Op::Compact => engine.compact().unwrap(),
                Op::Rollups => {
                    engine.apply_rollups().unwrap();
                }
                Op::Retention => {
                    // Retention drops table files: flush first, so every point is in one.
                    engine.flush().unwrap();
                    engine.apply_retention().unwrap();
                    expire(&mut model, strata_engine::now_ns());
                }
                Op::Reopen => {
                    engine.close().unwrap();
                    drop(engine);
                    (engine, fs) = open(dir.path());
                }
                Op::PowerCut => {
                    fs.crash().unwrap();
                    // Closing a machine without power changes nothing on disk.
                    let _ = engine.close();
                    drop(engine);
                    (engine, fs) = open(dir.path());
                }
            }
            check(&engine, &model)?;
        }
        engine.close().unwrap();
    }
}
