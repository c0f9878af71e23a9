//! A small fixed data set for tests and the evaluator's fuzz target: counters, gauges, a
//! histogram and a series with staleness markers, at 15 s intervals over an hour.

use strata_engine::{Engine, FieldValue, Point, SeriesKey};

use crate::select::samples::STALE_NAN_BITS;

/// The data set's first sample time, in ns.
pub const START_NS: i64 = 1_700_000_000_000_000_000;
/// The data set's sample interval, in ns.
pub const STEP_NS: i64 = 15_000_000_000;
/// Samples per series.
pub const SAMPLES: i64 = 240;

/// Writes the data set into `engine`.
pub fn write(engine: &Engine) -> strata_engine::Result<()> {
    let mut points = Vec::new();
    let mut p = |m: &str, tags: &[(&str, &str)], field: &str, v: f64, k: i64| {
        points.push(Point {
            series: SeriesKey::new(
                m,
                tags.iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect(),
            ),
            fields: vec![(field.into(), FieldValue::Float(v))],
            timestamp: START_NS + k * STEP_NS,
        });
    };
    for k in 0..SAMPLES {
        for (i, inst) in ["a", "b", "c"].iter().enumerate() {
            let f = k as f64;
            p(
                "requests_total",
                &[("job", "api"), ("instance", inst)],
                "value",
                f * (i + 1) as f64 % 500.0,
                k,
            );
            p(
                "cpu",
                &[("host", inst)],
                "usage",
                (f * 0.37 + i as f64).sin() * 50.0 + 50.0,
                k,
            );
            for (j, le) in ["0.1", "1", "+Inf"].iter().enumerate() {
                p(
                    "latency_bucket",
                    &[("instance", inst), ("le", le)],
                    "value",
                    f * (j + 1) as f64,
                    k,
                );
            }
        }
        let v = if k == 100 {
            f64::from_bits(STALE_NAN_BITS)
        } else {
            k as f64
        };
        if !(101..150).contains(&k) {
            p("flaky", &[("job", "x")], "value", v, k);
        }
    }
    engine.write(&points)
}
