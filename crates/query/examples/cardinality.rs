//! Cardinality test: writes many series (TSBS-shaped, 10 tag keys: `hostname` unique per
//! series, `region` 10 values, `datacenter` 50, `rack` 1,000, `os` 3, `arch` 2, `team` 10,
//! `service` 100, `service_version` 5, `service_environment` 3) with a few points each through
//! the engine in batches, then reports resident memory (VmRSS) and the catalog's estimate per
//! series, the write time, and the timings of a tag-equality query, a hostname-regex query
//! and a series count through `match_series`.
//!
//! Run: `cargo run --release -p strata-query --example cardinality -- --series 1000000`
//! Options: `--series N` (default 1,000,000), `--points P` per series (default 3, 10 s
//! apart), `--batch B` points per write (default 10,000), `--memtable-mib M` (the MemTable
//! size that triggers a flush; default the engine's 64 MiB). The catalog's own cost per series
//! is bounded by a unit test of `strata-engine` (`memory_per_series_is_bounded`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use strata_engine::{Engine, EngineOptions, FieldValue, Point, SyncPolicy};
use strata_query::{Filter, QueryOptions, QueryRequest, execute, match_series};

#[path = "../benches/tsbs/mod.rs"]
mod tsbs;

/// A field of /proc/self/status in bytes (`VmRSS`, `RssAnon`, `RssFile`), 0 if unreadable.
fn status_bytes(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Resident set size of this process in bytes (VmRSS of /proc/self/status).
fn rss() -> u64 {
    status_bytes("VmRSS")
}

/// `anon MiB + file MiB` of the resident set: file pages are the memory-mapped SSTables.
fn rss_split() -> String {
    format!(
        "anon {:.1} MiB + file {:.1} MiB",
        mib(status_bytes("RssAnon")),
        mib(status_bytes("RssFile"))
    )
}

/// RSS after returning the allocator's free memory to the OS (glibc `malloc_trim`): what is
/// live, without what freed blocks still pin.
fn trimmed_rss() -> u64 {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap pages; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
    rss()
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.replace('_', "")
                .parse()
                .unwrap_or_else(|_| panic!("{name} takes a number, got {v:?}"))
        })
        .unwrap_or(default)
}

fn mib(b: u64) -> f64 {
    b as f64 / (1 << 20) as f64
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs `f` `n` times and returns its last result and the median duration.
fn timed<R>(n: usize, mut f: impl FnMut() -> R) -> (R, Duration) {
    let mut times = Vec::with_capacity(n);
    let mut last = None;
    for _ in 0..n {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed());
    }
    times.sort();
    (last.expect("n > 0"), times[n / 2])
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let series = arg(&args, "--series", 1_000_000);
    let points = arg(&args, "--points", 3).max(1);
    let batch = arg(&args, "--batch", 10_000).max(1);
    let interval_ns = 10_000_000_000i64;

    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = EngineOptions {
        wal_sync: SyncPolicy::None,
        ..EngineOptions::manual(dir.path())
    };
    let memtable_mib = arg(&args, "--memtable-mib", 0);
    if memtable_mib > 0 {
        opts.memtable_bytes = memtable_mib << 20;
        opts.memtable_hard_cap = opts.memtable_hard_cap.max(2 * opts.memtable_bytes);
    }
    println!(
        "MemTable flush threshold: {} MiB (estimate)",
        opts.memtable_bytes >> 20
    );
    let engine = Engine::open(opts).expect("open");
    let rss_before = rss();
    println!(
        "cardinality: {series} series x {points} points, batches of {batch} points; RSS before: {:.1} MiB",
        mib(rss_before)
    );

    // Time-major, as scrapes arrive: every series at t0, then every series at t1, ...
    // Keys are built on the fly so the generator holds no per-series state.
    let t = Instant::now();
    let mut buf: Vec<Point> = Vec::with_capacity(batch);
    let mut flushes = 0;
    for step in 0..points {
        let ts = tsbs::START_NS + step as i64 * interval_ns;
        for i in 0..series {
            buf.push(Point {
                series: tsbs::key(i),
                fields: vec![(
                    "usage_user".to_string(),
                    FieldValue::Float(tsbs::value(i, step, 0)),
                )],
                timestamp: ts,
            });
            if buf.len() == batch {
                engine.write(&buf).expect("write");
                buf.clear();
                if engine.stats().frozen_memtable_bytes > 0 {
                    let f = Instant::now();
                    engine.flush().expect("flush");
                    flushes += 1;
                    eprintln!(
                        "  flush {flushes} at step {step}, series {i}: {:.1} s (write so far {:.1} s), RSS {:.0} MiB",
                        f.elapsed().as_secs_f64(),
                        t.elapsed().as_secs_f64(),
                        mib(rss())
                    );
                }
            }
        }
    }
    engine.write(&buf).expect("write");
    drop(buf);
    let write_time = t.elapsed();
    let rss_written = rss();
    let stats = engine.stats();
    let catalog_bytes = engine.catalog().memory_bytes() as u64;
    let n = series as f64;
    println!(
        "write: {:.1} s ({:.0} points/s, {:.0} new series/s), {flushes} flush(es) on the way",
        write_time.as_secs_f64(),
        (series * points) as f64 / write_time.as_secs_f64(),
        n / write_time.as_secs_f64()
    );
    println!(
        "after write: RSS {:.1} MiB (+{:.1} MiB, {:.0} B/series); catalog {:.1} MiB ({:.0} B/series); \
         MemTable {:.1} MiB (estimate); series in catalog {}",
        mib(rss_written),
        mib(rss_written.saturating_sub(rss_before)),
        rss_written.saturating_sub(rss_before) as f64 / n,
        mib(catalog_bytes),
        catalog_bytes as f64 / n,
        mib(stats.memtable_bytes + stats.frozen_memtable_bytes),
        stats.series,
    );

    let rss_written_trimmed = trimmed_rss();
    println!(
        "after write, trimmed (malloc_trim): RSS {:.1} MiB ({:.0} B/series; {}); {} SSTable(s)",
        mib(rss_written_trimmed),
        rss_written_trimmed.saturating_sub(rss_before) as f64 / n,
        rss_split(),
        engine.tables().len(),
    );

    let t = Instant::now();
    engine.flush().expect("flush");
    engine.compact().expect("compact");
    let rss_flushed = rss();
    let rss_flushed_trimmed = trimmed_rss();
    println!(
        "flush + compact: {:.1} s; RSS {:.1} MiB (+{:.1} MiB over before, {:.0} B/series); \
         trimmed {:.1} MiB ({:.0} B/series; {}; catalog + SSTable index, MemTable empty); \
         {} SSTable(s)",
        t.elapsed().as_secs_f64(),
        mib(rss_flushed),
        mib(rss_flushed.saturating_sub(rss_before)),
        rss_flushed.saturating_sub(rss_before) as f64 / n,
        mib(rss_flushed_trimmed),
        rss_flushed_trimmed.saturating_sub(rss_before) as f64 / n,
        rss_split(),
        engine.tables().len(),
    );

    let opts = QueryOptions::default();
    let start_ms = tsbs::START_NS / 1_000_000;
    let end_ms = start_ms + points as i64 * interval_ns / 1_000_000;
    let queries = [
        (
            "tag equality (rack=\"42\"), raw",
            format!(
                r#"{{"measurement":"cpu","start":{start_ms},"end":{end_ms},"filters":{{"rack":"42"}}}}"#
            ),
        ),
        (
            "hostname regex (^host_[0-9]*000$, 0.1%), last point",
            format!(
                r#"{{"measurement":"cpu","start":{start_ms},"end":{end_ms},
                    "filters":{{"hostname":{{"regex":"^host_[0-9]*000$"}}}},"limit":1,"order":"desc"}}"#
            ),
        ),
        (
            "hostname equality (host_123456), raw",
            format!(
                r#"{{"measurement":"cpu","start":{start_ms},"end":{end_ms},"filters":{{"hostname":"host_123456"}}}}"#
            ),
        ),
    ];
    for (name, json) in &queries {
        let req = QueryRequest::from_json(json.as_bytes()).expect("query");
        let (r, d) = timed(5, || {
            execute(&engine.snapshot(), &req, &opts).expect("execute")
        });
        println!(
            "query {name}: {} series, {} points, median of 5: {:.2} ms",
            r.series.len(),
            r.point_count(),
            ms(d)
        );
    }
    let counts: [(&str, BTreeMap<String, Filter>); 3] = [
        ("all series", BTreeMap::new()),
        (
            "region=us-west-2 AND os=Ubuntu16.04LTS",
            BTreeMap::from([
                ("region".to_string(), Filter::Eq("us-west-2".into())),
                ("os".to_string(), Filter::Eq("Ubuntu16.04LTS".into())),
            ]),
        ),
        (
            "hostname =~ ^host_[0-9]*7$",
            BTreeMap::from([(
                "hostname".to_string(),
                Filter::Regex("^host_[0-9]*7$".into()),
            )]),
        ),
    ];
    for (name, filters) in &counts {
        let (ids, d) = timed(5, || {
            match_series(engine.catalog(), tsbs::MEASUREMENT, filters).expect("match")
        });
        println!(
            "count ({name}) via match_series: {} series, median of 5: {:.2} ms",
            ids.len(),
            ms(d)
        );
    }
    println!(
        "summary: {series} series; resident per series: {:.0} B after write ({:.0} B trimmed), \
         {:.0} B after flush + compact ({:.0} B trimmed); catalog {:.0} B",
        rss_written.saturating_sub(rss_before) as f64 / n,
        rss_written_trimmed.saturating_sub(rss_before) as f64 / n,
        rss_flushed.saturating_sub(rss_before) as f64 / n,
        rss_flushed_trimmed.saturating_sub(rss_before) as f64 / n,
        catalog_bytes as f64 / n
    );
}
