//! The evaluator answers or refuses, never panics: every seed of the `promql_eval` fuzz
//! corpus, and random expressions built from PromQL's grammar with hostile numbers and
//! durations, run as instant and range queries over the fixed test data set.

use std::path::Path;

use proptest::prelude::*;
use strata_engine::{Engine, EngineOptions};
use strata_promql::testdata::{SAMPLES, START_NS, STEP_NS};
use strata_promql::{PromqlOptions, QueryResult, instant_query, range_query};

fn engine() -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineOptions::manual(dir.path())).unwrap();
    strata_promql::testdata::write(&engine).unwrap();
    (dir, engine)
}

fn run(engine: &Engine, q: &str) {
    let snapshot = engine.snapshot();
    let options = PromqlOptions {
        max_samples: 2_000_000,
        ..PromqlOptions::default()
    };
    let mid = START_NS + SAMPLES / 2 * STEP_NS;
    let _ = instant_query(&snapshot, &options, q, mid, None);
    let _ = range_query(
        &snapshot,
        &options,
        q,
        START_NS - 600 * 1_000_000_000,
        START_NS + SAMPLES * STEP_NS,
        7 * STEP_NS,
        None,
    );
}

#[test]
fn every_corpus_seed() {
    let (_d, engine) = engine();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/promql_eval");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let q = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        run(&engine, &q);
        n += 1;
    }
    assert!(n > 100, "only {n} seeds in {}", dir.display());
}

#[test]
fn known_answers() {
    let (_d, engine) = engine();
    let snapshot = engine.snapshot();
    let o = PromqlOptions::default();
    let t = START_NS + 10 * STEP_NS;
    // requests_total{instance="b"} grows by 2 per 15 s: rate 2/15 over a full window.
    let r = instant_query(
        &snapshot,
        &o,
        "rate(requests_total{instance=\"b\"}[1m])",
        t,
        None,
    )
    .unwrap();
    let QueryResult::Vector(v) = r else {
        panic!("{r:?}")
    };
    assert_eq!(v.len(), 1);
    assert!((v[0].2 - 2.0 / 15.0).abs() < 1e-12, "{v:?}");
    // The staleness marker at sample 100 ends `flaky` until it comes back at 150.
    let at = |k: i64| START_NS + k * STEP_NS;
    let present = |k: i64| match instant_query(&snapshot, &o, "flaky", at(k), None).unwrap() {
        QueryResult::Vector(v) => !v.is_empty(),
        other => panic!("{other:?}"),
    };
    assert!(present(99) && !present(100) && !present(120) && present(150));
    // Without the marker the lookback would still see sample 99 at 110.
    let r = instant_query(&snapshot, &o, "count(cpu_usage)", at(5), None).unwrap();
    assert_eq!(
        r,
        QueryResult::Vector(vec![(Default::default(), at(5), 3.0)])
    );
    let e = instant_query(&snapshot, &o, "sum(", t, None).unwrap_err();
    assert_eq!((e.error_type(), e.status()), ("bad_data", 400));
    let e = range_query(
        &snapshot,
        &o,
        "cpu_usage[5m]",
        t,
        t + STEP_NS,
        STEP_NS,
        None,
    )
    .unwrap_err();
    assert_eq!(e.error_type(), "bad_data");
    let e = range_query(
        &snapshot,
        &o,
        "cpu_usage",
        t,
        t + 20_000 * STEP_NS,
        1_000_000_000,
        None,
    )
    .unwrap_err();
    assert!(e.to_string().contains("11,000 points"), "{e}");
    let tight = PromqlOptions {
        max_samples: 10,
        ..PromqlOptions::default()
    };
    let e = instant_query(&snapshot, &tight, "cpu_usage[1h]", t, None).unwrap_err();
    assert_eq!(e.error_type(), "execution");
}

fn selector() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("cpu_usage".to_string()),
        Just("requests_total{job=\"api\"}".to_string()),
        Just("latency_bucket".to_string()),
        Just("flaky".to_string()),
        Just("{__name__=~\".+\"}".to_string()),
        Just("nothing{a!~\"b\"}".to_string()),
    ]
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("NaN".to_string()),
        Just("Inf".to_string()),
        Just("1e308".to_string()),
        Just("0.5".to_string()),
        (0u32..100).prop_map(|n| n.to_string()),
    ]
}

fn duration() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1s".to_string()),
        Just("5m".to_string()),
        Just("1h".to_string()),
        Just("10000y".to_string()),
        Just("1ms".to_string()),
    ]
}

fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![selector(), number()];
    leaf.prop_recursive(4, 32, 3, |inner| {
        prop_oneof![
            (
                prop_oneof![
                    Just("rate"),
                    Just("deriv"),
                    Just("max_over_time"),
                    Just("changes"),
                    Just("absent_over_time")
                ],
                selector(),
                duration()
            )
                .prop_map(|(f, s, d)| format!("{f}({s}[{d}])")),
            (inner.clone(), duration(), duration())
                .prop_map(|(e, r, s)| format!("avg_over_time(({e})[{r}:{s}])")),
            (
                prop_oneof![Just("sum"), Just("count"), Just("stddev"), Just("max")],
                inner.clone()
            )
                .prop_map(|(a, e)| format!("{a} by (instance) ({e})")),
            (
                prop_oneof![Just("topk"), Just("quantile"), Just("bottomk")],
                number(),
                inner.clone()
            )
                .prop_map(|(a, n, e)| format!("{a}({n}, {e})")),
            (
                inner.clone(),
                prop_oneof![
                    Just("+"),
                    Just("/"),
                    Just("%"),
                    Just("> bool"),
                    Just("and"),
                    Just("or"),
                    Just("unless"),
                    Just("* on(instance) group_left")
                ],
                inner.clone()
            )
                .prop_map(|(l, op, r)| format!("({l}) {op} ({r})")),
            (
                prop_oneof![
                    Just("abs"),
                    Just("ln"),
                    Just("sort_desc"),
                    Just("timestamp"),
                    Just("scalar"),
                    Just("absent"),
                    Just("day_of_week")
                ],
                inner.clone()
            )
                .prop_map(|(f, e)| format!("{f}({e})")),
            (number(), inner.clone()).prop_map(|(n, e)| format!("histogram_quantile({n}, {e})")),
            (inner.clone(), number()).prop_map(|(e, n)| format!("clamp_max({e}, {n})")),
            (inner.clone(), duration()).prop_map(|(e, d)| format!("({e}) offset {d}")),
            inner.prop_map(|e| format!("label_replace({e}, \"x\", \"$1\", \"instance\", \"(.)\")")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn random_expressions(q in expr()) {
        let (_d, engine) = engine();
        run(&engine, &q);
    }
}
