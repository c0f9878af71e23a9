//! Model-based property test of the engine: random sequences of writes (in and out of order,
//! overwrites), deletes, flushes, compactions and close/reopen are applied to the engine and
//! to a `BTreeMap` model; after every step every series column must read back exactly as the
//! model says.

use std::collections::BTreeMap;

use proptest::prelude::*;
use strata_engine::{Engine, EngineOptions, FieldValue, Point, SeriesKey};

#[derive(Debug, Clone)]
enum Op {
    Write(Vec<(u8, u8, i64, i64)>), // (series, field, ts, value)
    Delete(u8, i64, i64),
    Flush,
    Compact,
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => prop::collection::vec((0u8..4, 0u8..2, -50i64..400, any::<i64>()), 1..30).prop_map(Op::Write),
        1 => (0u8..4, -50i64..400, 0i64..120).prop_map(|(s, a, len)| Op::Delete(s, a, a + len)),
        2 => Just(Op::Flush),
        1 => Just(Op::Compact),
        1 => Just(Op::Reopen),
    ]
}

type Model = BTreeMap<(u8, u8), BTreeMap<i64, i64>>;

fn key(s: u8) -> SeriesKey {
    SeriesKey::new(
        "m",
        vec![("host".into(), format!("h{s}")), ("dc".into(), "x".into())],
    )
}

fn options(dir: &std::path::Path) -> EngineOptions {
    EngineOptions {
        // Tiny partitions and blocks so flushes span several partitions and blocks.
        partition_width: 100,
        block_points: 7,
        ..EngineOptions::manual(dir)
    }
}

fn check(engine: &Engine, model: &Model) -> Result<(), TestCaseError> {
    let snap = engine.snapshot();
    for s in 0u8..4 {
        let Some(id) = engine.catalog().lookup(&key(s).canonical()) else {
            prop_assert!(
                model.keys().all(|(ms, _)| *ms != s)
                    || model
                        .iter()
                        .all(|((ms, _), pts)| *ms != s || pts.is_empty())
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
            // A narrow range reads the same slice.
            let part = snap
                .read(id, &format!("f{f}"), 10, 60)
                .unwrap()
                .map(|c| c.ts)
                .unwrap_or_default();
            let want_part: Vec<i64> = want
                .iter()
                .map(|p| p.0)
                .filter(|t| (10..60).contains(t))
                .collect();
            prop_assert_eq!(part, want_part);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn engine_matches_model(ops in prop::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let mut engine = Engine::open(options(dir.path())).unwrap();
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
                Op::Reopen => {
                    engine.close().unwrap();
                    drop(engine);
                    engine = Engine::open(options(dir.path())).unwrap();
                }
            }
            check(&engine, &model)?;
        }
    }
}
