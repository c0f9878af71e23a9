//! Query benchmarks (criterion) over TSBS-shaped data written through the engine, then
//! flushed and compacted (one L1 SSTable per day partition), measured through
//! `strata_query::execute` with requests decoded from the JSON `POST /query` takes.
//!
//! Data sets (loaded once each, outside the timed part; the load time is printed):
//! - `day`: 1,000 series x 24 h at 10 s (8,640 points per series and field), float fields
//!   `usage_user` and `usage_system` (17.3M points).
//! - `wide`: 100,000 series x 10 min at 10 s (60 points per series), field `usage_user`
//!   (6M points; 100k series x 24 h would take minutes to load).
//!
//! Queries, each with the block cache cold (cleared before every iteration, outside the
//! timing; the OS page cache stays warm) and warm:
//! - `raw-1-series-24h`: one series' raw 24 h (both fields, 8,640 rows);
//! - `mean-1h-1000-series-by-region`: `usage_user` mean per 1 h over 24 h of 1,000 series
//!   grouped by `region` (10 groups x 24 windows);
//! - `last-point-10k-series`: `limit: 1, order: desc` over the ~10,000 series of one region
//!   in `wide`;
//! - `regex-1pct-of-100k-series`: `hostname` regex matching 1% of the 100,000 series of
//!   `wide`, `max` over the range per series (1,000 rows); plus the `match_series` step alone.
//!
//! Run: `cargo bench -p strata-query --bench query` (about 4 minutes on 2 cores).
//! `STRATA_BENCH_QUICK=1` shrinks the data sets tenfold for a smoke run;
//! `STRATA_BENCH_ONLY=day` (or `wide`) loads and runs one data set only.

use std::hint::black_box;
use std::time::Instant;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use strata_engine::{Engine, EngineOptions, SyncPolicy};
use strata_query::{QueryOptions, QueryRequest, execute, match_series};

#[path = "tsbs/mod.rs"]
mod tsbs;

const INTERVAL_NS: i64 = 10_000_000_000;
const START_MS: i64 = tsbs::START_NS / 1_000_000;
const HOUR_MS: i64 = 3_600_000;

struct DataSet {
    engine: Engine,
    series: usize,
    _dir: tempfile::TempDir,
}

/// `STRATA_BENCH_ONLY=day` (or `wide`) skips loading the other data set.
fn wanted(group: &str) -> bool {
    std::env::var("STRATA_BENCH_ONLY").map_or(true, |g| g == group)
}

fn quick() -> bool {
    std::env::var_os("STRATA_BENCH_QUICK").is_some()
}

fn load(name: &str, series: usize, steps: usize, fields: &[&str]) -> DataSet {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::open(EngineOptions {
        wal_sync: SyncPolicy::None,
        ..EngineOptions::manual(dir.path())
    })
    .expect("open");
    let t = Instant::now();
    tsbs::load(&engine, series, steps, INTERVAL_NS, fields, 10_000);
    let written = t.elapsed();
    engine.flush().expect("flush");
    engine.compact().expect("compact");
    let stats = engine.stats();
    eprintln!(
        "data set {name}: {series} series x {steps} steps x {} fields = {} points; \
         write {:.1} s, flush+compact {:.1} s; L1 {} file(s), {:.1} MiB",
        fields.len(),
        series * steps * fields.len(),
        written.as_secs_f64(),
        (t.elapsed() - written).as_secs_f64(),
        stats.levels[1].files,
        stats.levels[1].bytes as f64 / (1 << 20) as f64,
    );
    DataSet {
        engine,
        series,
        _dir: dir,
    }
}

fn request(json: &str) -> QueryRequest {
    QueryRequest::from_json(json.as_bytes()).expect("valid query")
}

/// Runs `req` once and returns (series, rows), to check the query does what it says.
fn shape(ds: &DataSet, req: &QueryRequest) -> (usize, usize) {
    let r = execute(&ds.engine.snapshot(), req, &QueryOptions::default()).expect("query");
    (r.series.len(), r.point_count())
}

/// Benchmarks `req` cold and warm under `name`.
fn bench_query(c: &mut Criterion, group: &str, name: &str, ds: &DataSet, req: &QueryRequest) {
    let opts = QueryOptions::default();
    let (series, rows) = shape(ds, req);
    eprintln!("{group}/{name}: {series} output series, {rows} rows");
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    g.warm_up_time(std::time::Duration::from_millis(500));
    g.measurement_time(std::time::Duration::from_secs(3));
    let before = ds.engine.stats();
    g.bench_function(format!("{name}/cold"), |b| {
        b.iter_batched(
            || ds.engine.clear_block_cache(),
            |()| black_box(execute(&ds.engine.snapshot(), req, &opts).expect("query")),
            BatchSize::PerIteration,
        )
    });
    let mid = ds.engine.stats();
    // Both variants return the result from the timed part, so dropping it is not timed.
    g.bench_function(format!("{name}/warm"), |b| {
        b.iter_batched(
            || (),
            |()| black_box(execute(&ds.engine.snapshot(), req, &opts).expect("query")),
            BatchSize::PerIteration,
        )
    });
    let after = ds.engine.stats();
    eprintln!(
        "{group}/{name}: block cache cold hits/misses {}/{}, warm {}/{}",
        mid.cache_hits - before.cache_hits,
        mid.cache_misses - before.cache_misses,
        after.cache_hits - mid.cache_hits,
        after.cache_misses - mid.cache_misses,
    );
    g.finish();
}

fn day(c: &mut Criterion) {
    if !wanted("day") {
        return;
    }
    let (series, steps) = if quick() { (100, 864) } else { (1_000, 8_640) };
    let ds = load("day", series, steps, &["usage_user", "usage_system"]);
    let end = START_MS + steps as i64 * INTERVAL_NS / 1_000_000;
    let raw = request(&format!(
        r#"{{"measurement":"cpu","start":{START_MS},"end":{end},"filters":{{"hostname":"host_42"}}}}"#
    ));
    bench_query(c, "day", "raw-1-series-24h", &ds, &raw);
    let mean = request(&format!(
        r#"{{"measurement":"cpu","start":{START_MS},"end":{end},"fields":["usage_user"],
            "aggregate":{{"function":"mean","every":{HOUR_MS}}},"group_by":["region"]}}"#
    ));
    bench_query(c, "day", "mean-1h-1000-series-by-region", &ds, &mean);
    assert_eq!(ds.series, series);
}

fn wide(c: &mut Criterion) {
    if !wanted("wide") {
        return;
    }
    let (series, steps) = if quick() { (10_000, 60) } else { (100_000, 60) };
    let ds = load("wide", series, steps, &["usage_user"]);
    let end = START_MS + steps as i64 * INTERVAL_NS / 1_000_000;
    let last = request(&format!(
        r#"{{"measurement":"cpu","start":{START_MS},"end":{end},"filters":{{"region":"us-west-2"}},
            "limit":1,"order":"desc"}}"#
    ));
    bench_query(c, "wide", "last-point-10k-series", &ds, &last);
    let regex = request(&format!(
        r#"{{"measurement":"cpu","start":{START_MS},"end":{end},
            "filters":{{"hostname":{{"regex":"^host_[0-9]*00$"}}}},
            "aggregate":{{"function":"max"}}}}"#
    ));
    bench_query(c, "wide", "regex-1pct-of-100k-series", &ds, &regex);
    let catalog = ds.engine.catalog();
    let mut g = c.benchmark_group("wide");
    g.sample_size(20);
    g.warm_up_time(std::time::Duration::from_millis(500));
    g.measurement_time(std::time::Duration::from_secs(2));
    g.bench_function("regex-1pct-of-100k-series/match_series", |b| {
        b.iter(|| {
            black_box(match_series(catalog, &regex.measurement, &regex.filters).expect("match"))
        })
    });
    g.finish();
}

criterion_group!(benches, day, wide);
criterion_main!(benches);
