//! Fuzz target: any text as a PromQL query, parsed and evaluated (instant and range) over a
//! small fixed data set, must give an answer or an error, never a panic.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use strata_engine::{Engine, EngineOptions};
use strata_promql::testdata::{SAMPLES, START_NS, STEP_NS};
use strata_promql::{PromqlOptions, instant_query, range_query};

struct Fixture {
    _dir: tempfile::TempDir,
    engine: Engine,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temporary directory");
        let engine = Engine::open(EngineOptions::manual(dir.path())).expect("engine");
        strata_promql::testdata::write(&engine).expect("data set");
        Fixture { _dir: dir, engine }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let f = fixture();
    let snapshot = f.engine.snapshot();
    let options = PromqlOptions { max_samples: 1_000_000, ..PromqlOptions::default() };
    let mid = START_NS + SAMPLES / 2 * STEP_NS;
    let _ = instant_query(&snapshot, &options, query, mid, None);
    let _ = range_query(&snapshot, &options, query, START_NS, START_NS + SAMPLES * STEP_NS, 60 * STEP_NS, None);
});
