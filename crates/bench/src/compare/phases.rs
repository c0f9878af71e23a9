//! One system's turn: start it, load it, let its disk usage settle, query it, stop it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

use super::{CompareOptions, SizeSnapshot, System, SystemRun};
use crate::batches::Batches;
use crate::data::{DataSpec, FIELDS};
use crate::error::{BenchError, Result};
use crate::http::HttpClient;
use crate::ingest::{self, IngestOptions};
use crate::query::promql::Dialect;
use crate::query::{QuerySpec, QueryType};
use crate::query_run::{self, Target};
use crate::servers::{self, ServerProcess};
use crate::size::{self};

/// Polls the disk usage of `dir` until it has not changed for `stable` (and `min` has
/// passed), or `max` has passed.
pub(super) fn settle(
    dir: &Path,
    min: Duration,
    max: Duration,
    stable: Duration,
    show: bool,
) -> Result<SizeSnapshot> {
    let spinner = crate::progress::spinner(show, "waiting for the disk usage to settle");
    let started = Instant::now();
    let mut last = size::du(dir)?;
    let mut since = Instant::now();
    loop {
        std::thread::sleep(Duration::from_secs(2));
        let now = size::du(dir)?;
        if now != last {
            last = now;
            since = Instant::now();
        }
        let waited = started.elapsed();
        if (waited >= min && since.elapsed() >= stable) || waited >= max {
            spinner.finish_and_clear();
            let (total, parts) = size::breakdown(dir)?;
            return Ok(SizeSnapshot {
                total,
                parts,
                waited,
            });
        }
    }
}

pub(super) fn snapshot_now(dir: &Path) -> Result<SizeSnapshot> {
    let (total, parts) = size::breakdown(dir)?;
    Ok(SizeSnapshot {
        total,
        parts,
        waited: Duration::ZERO,
    })
}

pub(super) fn print_size(what: &str, s: &SizeSnapshot, data: &DataSpec, series: u64) {
    println!(
        "{what} (after {:.0} s):\n{}",
        s.waited.as_secs_f64(),
        size::describe(&s.total, &s.parts, data.values(), series).trim_end()
    );
}

/// Number of series as each system counts them, for bytes per series: one per host and
/// field (Strata keeps each field of a series as its own column; Prometheus has one series
/// per host and metric).
pub(super) fn field_series(data: &DataSpec) -> u64 {
    u64::from(data.scale) * FIELDS.len() as u64
}

/// Runs every planned query type against `target`, recording answers and errors.
pub(super) fn run_queries(
    rt: &Runtime,
    opts: &CompareOptions,
    target: &Target,
    plans: &BTreeMap<QueryType, Vec<QuerySpec>>,
    run: &mut SystemRun,
) {
    let client = HttpClient::new(1, Duration::from_secs(120));
    for (kind, specs) in plans {
        match query_run::run_type(rt, &client, target, *kind, specs, opts.progress) {
            Ok(o) => {
                println!(
                    "  {:<22} {}  ({} values returned)",
                    kind.name(),
                    o.latency.line(),
                    o.values
                );
                run.queries.insert(*kind, o);
            }
            Err(e) => {
                println!("  {:<22} FAILED: {e}", kind.name());
                run.query_errors.insert(*kind, e.to_string());
            }
        }
    }
}

pub(super) fn ingest_into(
    rt: &Runtime,
    opts: &CompareOptions,
    server: &ServerProcess,
    url: String,
    data: &Arc<Batches>,
    run: &mut SystemRun,
) -> Result<()> {
    let report = ingest::run(
        rt,
        &IngestOptions {
            url,
            workers: opts.workers,
            server_pid: Some(server.pid()),
            max_retries: 1000,
            progress: opts.progress,
        },
        data.clone(),
    )?;
    print!("{}", report.describe());
    run.ingest = Some(report);
    Ok(())
}

/// Settle, size, queries (with a `target`), stop, size: common to every system once loaded.
pub(super) fn after_ingest(
    rt: &Runtime,
    opts: &CompareOptions,
    server: &mut ServerProcess,
    target: Option<&Target>,
    plans: &BTreeMap<QueryType, Vec<QuerySpec>>,
    run: &mut SystemRun,
) -> Result<()> {
    let settled = settle(
        &server.data_dir,
        opts.settle_min,
        opts.settle_max,
        opts.settle_stable,
        opts.progress,
    )?;
    print_size(
        "disk usage, settled, server running",
        &settled,
        &opts.data,
        field_series(&opts.data),
    );
    run.settled = Some(settled);
    if matches!(run.system, System::Strata | System::StrataRw) {
        let client = HttpClient::new(1, Duration::from_secs(10));
        if let Ok(r) = rt.block_on(client.get(&format!("{}/metrics", server.base))) {
            let lines = servers::strata::storage_metrics(&String::from_utf8_lossy(&r.body));
            if !lines.is_empty() {
                println!("Strata /metrics (storage):");
                for l in lines {
                    println!("    {l}");
                }
            }
        }
    }
    if let Some(target) = target {
        println!("queries ({} of each type, one at a time):", opts.runs);
        run_queries(rt, opts, target, plans, run);
    }
    let (status, took) = server.stop(Duration::from_secs(120))?;
    println!(
        "stopped with SIGTERM in {:.1} s ({status})",
        took.as_secs_f64()
    );
    let stopped = snapshot_now(&server.data_dir)?;
    print_size(
        "disk usage after the stop",
        &stopped,
        &opts.data,
        field_series(&opts.data),
    );
    run.stopped = Some(stopped);
    Ok(())
}

/// Creates `opts.workdir/subdir`, starts a server in it with `start`, and waits until
/// `ready_path` answers, printing how long that took.
fn launch(
    rt: &Runtime,
    opts: &CompareOptions,
    name: &str,
    subdir: &str,
    ready_path: &str,
    start: impl FnOnce(&Path) -> Result<ServerProcess>,
) -> Result<ServerProcess> {
    let dir = opts.workdir.join(subdir);
    std::fs::create_dir_all(&dir)
        .map_err(|e| BenchError::io(format!("creating {}", dir.display()), e))?;
    let mut server = start(&dir)?;
    let ready = server.wait_ready(rt, ready_path, Duration::from_secs(60))?;
    println!(
        "{name} ready at {} in {:.1} s (pid {}, data {})",
        server.base,
        ready.as_secs_f64(),
        server.pid(),
        server.data_dir.display()
    );
    Ok(server)
}

/// Runs `run.system`'s turn on `data`.
pub(super) fn run_system(
    rt: &Runtime,
    opts: &CompareOptions,
    data: &Arc<Batches>,
    plans: &BTreeMap<QueryType, Vec<QuerySpec>>,
    run: &mut SystemRun,
) -> Result<()> {
    match run.system {
        System::Strata | System::StrataRw => run_strata(rt, opts, data, plans, run),
        System::Influxdb => run_influx(rt, opts, data, plans, run),
        System::Prometheus => run_prometheus(rt, opts, data, plans, run),
        System::Victoriametrics | System::VictoriametricsRw => {
            run_victoria(rt, opts, data, plans, run)
        }
    }
}

fn run_strata(
    rt: &Runtime,
    opts: &CompareOptions,
    data: &Arc<Batches>,
    plans: &BTreeMap<QueryType, Vec<QuerySpec>>,
    run: &mut SystemRun,
) -> Result<()> {
    let rw = run.system.remote_write_run();
    let subdir = if rw { "strata-rw" } else { "strata" };
    let mut server = launch(rt, opts, run.system.name(), subdir, "/ready", |dir| {
        servers::strata::start(&opts.strata_bin, dir)
    })?;
    let path = if rw { "/api/v1/write" } else { "/write" };
    ingest_into(
        rt,
        opts,
        &server,
        format!("{}{path}", server.base),
        data,
        run,
    )?;
    let target = Target::Strata {
        base: server.base.clone(),
    };
    let target = (!rw).then_some(&target);
    after_ingest(rt, opts, &mut server, target, plans, run)?;
    match servers::strata::inspect(&opts.strata_bin, &server.data_dir) {
        Ok(text) => println!(
            "strata inspect --data-dir {}:\n{}",
            server.data_dir.display(),
            text.trim_end()
        ),
        Err(e) => println!("strata inspect failed: {e}"),
    }
    Ok(())
}

fn run_influx(
    rt: &Runtime,
    opts: &CompareOptions,
    lp: &Arc<Batches>,
    plans: &BTreeMap<QueryType, Vec<QuerySpec>>,
    run: &mut SystemRun,
) -> Result<()> {
    let mut server = launch(rt, opts, "InfluxDB", "influxdb", "/ping", |dir| {
        servers::influx::start(&opts.influxd, dir)
    })?;
    let client = HttpClient::new(1, Duration::from_secs(30));
    let url = servers::influx::create_db_url(&server.base);
    rt.block_on(client.post(&url, "text/plain", None, bytes::Bytes::new()))?
        .ok(&url)?;
    ingest_into(
        rt,
        opts,
        &server,
        servers::influx::write_url(&server.base),
        lp,
        run,
    )?;
    let target = Target::Influx {
        base: server.base.clone(),
        db: servers::influx::DB.to_string(),
    };
    after_ingest(rt, opts, &mut server, Some(&target), plans, run)
}

fn run_prometheus(
    rt: &Runtime,
    opts: &CompareOptions,
    rw: &Arc<Batches>,
    plans: &BTreeMap<QueryType, Vec<QuerySpec>>,
    run: &mut SystemRun,
) -> Result<()> {
    let window = servers::prometheus::ooo_window_ms(opts.workers, opts.batch, opts.data.scale);
    let mut server = launch(rt, opts, "Prometheus", "prometheus", "/-/ready", |dir| {
        servers::prometheus::start(&opts.prometheus, dir, window)
    })?;
    ingest_into(
        rt,
        opts,
        &server,
        servers::prometheus::write_url(&server.base),
        rw,
        run,
    )?;
    let target = Target::Prometheus {
        base: server.base.clone(),
        dialect: Dialect::Prometheus,
    };
    after_ingest(rt, opts, &mut server, Some(&target), plans, run)
}

fn run_victoria(
    rt: &Runtime,
    opts: &CompareOptions,
    data: &Arc<Batches>,
    plans: &BTreeMap<QueryType, Vec<QuerySpec>>,
    run: &mut SystemRun,
) -> Result<()> {
    let rw = run.system.remote_write_run();
    let subdir = if rw {
        "victoria-metrics-rw"
    } else {
        "victoria-metrics"
    };
    let mut server = launch(rt, opts, run.system.name(), subdir, "/health", |dir| {
        servers::victoria::start(&opts.victoria_metrics, dir)
    })?;
    let path = if rw { "/api/v1/write" } else { "/write" };
    ingest_into(
        rt,
        opts,
        &server,
        format!("{}{path}", server.base),
        data,
        run,
    )?;
    // Its in-memory buffers to disk, its parts merged: the settled state, as Strata's idle
    // flush and compaction reach theirs.
    servers::victoria::flush_and_merge(rt, &server.base)?;
    let target = Target::Prometheus {
        base: server.base.clone(),
        dialect: Dialect::MetricsQl,
    };
    let target = (!rw).then_some(&target);
    after_ingest(rt, opts, &mut server, target, plans, run)
}
