//! Helpers shared by the engine's integration tests: the series `m,host=h{n}` and a count of
//! every point of some of those series, read back through a snapshot.
#![allow(clippy::disallowed_methods)]
#![allow(dead_code)]

use strata_engine::{Engine, Error, SeriesKey};

/// The series `m,host=h{h}`.
pub fn host_key(h: i64) -> SeriesKey {
    SeriesKey::new("m", vec![("host".into(), format!("h{h}"))])
}

/// Points of `fields` of hosts `0..hosts`, read through a snapshot (errors are returned,
/// never counted).
pub fn count_points(engine: &Engine, hosts: i64, fields: &[&str]) -> Result<usize, Error> {
    let snap = engine.snapshot();
    let mut n = 0;
    for h in 0..hosts {
        if let Some(id) = engine.catalog().lookup(&host_key(h).canonical()) {
            for field in fields {
                n += snap
                    .read(id, field, i64::MIN, i64::MAX)?
                    .map_or(0, |c| c.len());
            }
        }
    }
    Ok(n)
}

/// Opens an engine, counts with `count`, and closes it: the first error of the three.
pub fn open_and_count(
    opts: strata_engine::EngineOptions,
    count: impl FnOnce(&Engine) -> Result<usize, Error>,
) -> Result<usize, Error> {
    let engine = Engine::open(opts)?;
    let n = count(&engine);
    engine.close()?;
    n
}
