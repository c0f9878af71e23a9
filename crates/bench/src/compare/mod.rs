//! `strata-bench compare`: Strata, InfluxDB 1.6, Prometheus 2.42 and VictoriaMetrics 1.79
//! side by side on the same generated data. One system at a time (each gets both cores):
//! start it under the work dir, load the data (line protocol for Strata, InfluxDB and
//! VictoriaMetrics, remote write for Prometheus), wait until its disk usage settles, run the
//! same planned queries, stop it, then check every answer against Strata's and print one
//! table. Two more runs load remote write the way a Prometheus sends it (`--rw-batch` rows,
//! 2,000 samples per request by default, one or two per series) into Strata and
//! VictoriaMetrics, for ingest and size (their queries would need PromQL on Strata's side).
//!
//! `phases` runs one system, `check` compares answers, `table` prints the result.

mod check;
mod phases;
mod table;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

use crate::batches::{self, Batches};
use crate::data::{DataSpec, FIELDS};
use crate::encode::Format;
use crate::error::{BenchError, Result};
use crate::ingest::{self, IngestOptions, IngestReport};
use crate::query::{Planner, QuerySpec, QueryType};
use crate::query_run::TypeOutcome;
use crate::servers::{self};
use crate::size::DiskUsage;
use crate::stats::{fmt_bytes, fmt_count, fmt_ms};
use crate::timefmt::{format_duration, format_rfc3339};

/// A system in the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum System {
    Strata,
    Influxdb,
    Prometheus,
    Victoriametrics,
    /// Strata loaded with Prometheus-shaped remote write.
    StrataRw,
    /// VictoriaMetrics loaded with Prometheus-shaped remote write.
    VictoriametricsRw,
}

impl System {
    pub const ALL: [System; 6] = [
        System::Strata,
        System::Influxdb,
        System::Prometheus,
        System::Victoriametrics,
        System::StrataRw,
        System::VictoriametricsRw,
    ];

    pub fn name(self) -> &'static str {
        match self {
            System::Strata => "Strata",
            System::Influxdb => "InfluxDB",
            System::Prometheus => "Prometheus",
            System::Victoriametrics => "VictoriaMetrics",
            System::StrataRw => "Strata (rw)",
            System::VictoriametricsRw => "VictoriaMetrics (rw)",
        }
    }

    /// Loaded with the Prometheus-shaped remote-write data (ingest and size only).
    pub fn remote_write_run(self) -> bool {
        matches!(self, System::StrataRw | System::VictoriametricsRw)
    }
}

/// Everything `compare` needs.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    pub data: DataSpec,
    pub query_seed: u64,
    pub runs: usize,
    pub types: Vec<QueryType>,
    pub workers: usize,
    pub batch: usize,
    pub rw_batch: usize,
    pub systems: Vec<System>,
    pub strata_bin: PathBuf,
    pub influxd: PathBuf,
    pub prometheus: PathBuf,
    pub victoria_metrics: PathBuf,
    pub workdir: PathBuf,
    pub keep: bool,
    pub settle_min: Duration,
    pub settle_max: Duration,
    pub settle_stable: Duration,
    pub max_memory: u64,
    pub tolerance: f64,
    pub progress: bool,
}

/// Disk usage at one moment.
#[derive(Debug, Clone)]
pub struct SizeSnapshot {
    pub total: DiskUsage,
    pub parts: Vec<(String, DiskUsage)>,
    pub waited: Duration,
}

/// What one system did.
#[derive(Debug, Clone)]
pub struct SystemRun {
    pub system: System,
    pub version: String,
    pub ingest: Option<IngestReport>,
    pub settled: Option<SizeSnapshot>,
    pub stopped: Option<SizeSnapshot>,
    pub queries: BTreeMap<QueryType, TypeOutcome>,
    pub query_errors: BTreeMap<QueryType, String>,
    pub error: Option<String>,
}

impl SystemRun {
    fn new(system: System, version: String) -> SystemRun {
        SystemRun {
            system,
            version,
            ingest: None,
            settled: None,
            stopped: None,
            queries: BTreeMap::new(),
            query_errors: BTreeMap::new(),
            error: None,
        }
    }
}

pub(super) fn section(title: &str) {
    println!("\n=== {title} ===");
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or("?".into(), |kb| fmt_bytes(kb * 1024));
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "?".into());
    format!("{cores} cores ({cpu}), {mem} RAM")
}

/// The 1, 5 and 15 minute load averages.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".into())
}

/// Pre-generates `format` and measures the client against the null server.
fn prepare(
    rt: &Runtime,
    opts: &CompareOptions,
    format: Format,
    batch: usize,
) -> Result<Arc<Batches>> {
    let b = Arc::new(batches::pregenerate(
        opts.data,
        format,
        batch,
        opts.max_memory,
        opts.progress,
    )?);
    println!(
        "generated {} as {} bodies of {} rows: {} in {:.2} s = {} field values/s (generator only)",
        format.name(),
        b.batches.len(),
        batch,
        fmt_bytes(b.bytes),
        b.elapsed.as_secs_f64(),
        fmt_count(b.values_per_sec())
    );
    let sink = crate::sink::start(rt)?;
    let r = ingest::run(
        rt,
        &IngestOptions {
            url: format!("http://{sink}{}", format.strata_path()),
            workers: opts.workers,
            server_pid: None,
            max_retries: 0,
            progress: false,
        },
        b.clone(),
    )?;
    println!(
        "load generator ceiling ({} workers to a null HTTP server on this machine): {} field values/s, request p50 {}",
        opts.workers,
        fmt_count(r.values_per_sec()),
        fmt_ms(r.latency.p50)
    );
    Ok(b)
}

/// Runs the whole comparison and prints the report.
pub fn run(rt: &Runtime, opts: &CompareOptions) -> Result<()> {
    let started = Instant::now();
    let d = &opts.data;
    section("strata-bench compare");
    println!("machine: {}", machine());
    println!(
        "load average before: {} (the machine may be shared: other processes skew every figure)",
        loadavg()
    );
    println!(
        "data: TSBS cpu-only, {} hosts, {} from {} every 10 s: {} rows = {} field values (points), seed {}{}",
        d.scale,
        format_duration(d.duration_ms),
        format_rfc3339(d.start_ms),
        d.rows(),
        d.values(),
        d.seed,
        if d.integer_values {
            ", integer values"
        } else {
            ""
        }
    );
    println!(
        "load: {} workers, {} rows ({} field values) per request; queries: {} per type, seed {}",
        opts.workers,
        opts.batch,
        opts.batch * FIELDS.len(),
        opts.runs,
        opts.query_seed
    );
    println!("work dir: {}", opts.workdir.display());
    std::fs::create_dir_all(&opts.workdir)
        .map_err(|e| BenchError::io(format!("creating {}", opts.workdir.display()), e))?;

    let mut planner = Planner::new(*d, opts.query_seed);
    let plans: BTreeMap<QueryType, Vec<QuerySpec>> = opts
        .types
        .iter()
        .map(|k| (*k, planner.plan_many(*k, opts.runs)))
        .collect();

    let mut runs = Vec::new();
    let want = |s: System| opts.systems.contains(&s);
    let mut turn = |system: System, version: String, data: &Arc<Batches>| {
        section(system.name());
        let mut run = SystemRun::new(system, version);
        println!("version: {}", run.version);
        if let Err(e) = phases::run_system(rt, opts, data, &plans, &mut run) {
            println!("!!!!!!!! {} run failed: {e}", system.name());
            run.error = Some(e.to_string());
        }
        runs.push(run);
    };
    let strata_version = || servers::version_of(&opts.strata_bin, &["--version"]);
    if [System::Strata, System::Influxdb, System::Victoriametrics]
        .into_iter()
        .any(want)
    {
        section("line protocol data");
        let lp = prepare(rt, opts, Format::Lp, opts.batch)?;
        if want(System::Strata) {
            turn(System::Strata, strata_version(), &lp);
        }
        if want(System::Influxdb) {
            turn(
                System::Influxdb,
                servers::version_of(&opts.influxd, &["version"]),
                &lp,
            );
        }
        if want(System::Victoriametrics) {
            turn(System::Victoriametrics, servers::victoria::version(), &lp);
        }
    }
    if want(System::Prometheus) {
        section("remote-write data");
        let rw = prepare(rt, opts, Format::RemoteWrite, opts.batch)?;
        turn(
            System::Prometheus,
            servers::version_of(&opts.prometheus, &["--version"]),
            &rw,
        );
    }
    if want(System::StrataRw) || want(System::VictoriametricsRw) {
        section("remote-write data, Prometheus-shaped");
        let rw = prepare(rt, opts, Format::RemoteWrite, opts.rw_batch)?;
        if want(System::StrataRw) {
            turn(System::StrataRw, strata_version(), &rw);
        }
        if want(System::VictoriametricsRw) {
            turn(System::VictoriametricsRw, servers::victoria::version(), &rw);
        }
    }

    section("result checks against Strata");
    let mut checks = BTreeMap::new();
    let mut mismatches = 0;
    if let Some(strata) = runs.iter().find(|r| r.system == System::Strata) {
        for peer in runs
            .iter()
            .filter(|r| r.system != System::Strata && !r.system.remote_write_run())
        {
            let c = check::check(opts, &plans, strata, peer);
            for (kind, ch) in &c {
                mismatches += ch.total - ch.equal;
                println!(
                    "{:<10} {:<22} {}/{} equal{}",
                    peer.system.name(),
                    kind.name(),
                    ch.equal,
                    ch.total,
                    if ch.empty == ch.total && ch.total > 0 {
                        " (ALL EMPTY: nothing was compared)"
                    } else {
                        ""
                    }
                );
            }
            checks.insert(peer.system, c);
        }
    }
    // The peers against each other: a check of the translations themselves (InfluxQL and
    // PromQL answering the same question), independent of Strata.
    let influx = runs.iter().find(|r| r.system == System::Influxdb);
    let prom = runs.iter().find(|r| r.system == System::Prometheus);
    if let (Some(i), Some(p)) = (influx, prom) {
        for (kind, ch) in check::check(opts, &plans, i, p) {
            println!(
                "InfluxDB vs Prometheus (sanity) {:<22} {}/{} equal",
                kind.name(),
                ch.equal,
                ch.total
            );
        }
    }
    if mismatches > 0 {
        println!(
            "\n!!!!!!!! {mismatches} query answers differ from Strata's: see RESULT MISMATCH above !!!!!!!!"
        );
    }

    section("summary");
    println!("{}", table::table(opts, &runs, &checks));
    if let Some(t) = table::remote_write_table(opts, &runs) {
        println!(
            "\nremote write, Prometheus-shaped ({} rows = {} samples per request):\n{t}",
            opts.rw_batch,
            opts.rw_batch * FIELDS.len()
        );
    }
    println!(
        "Ratios are Strata / peer: above 1 is better for Strata on ingest, below 1 is better on\n\
         bytes, memory and latency. A point is one field value (a row has {}). (=n/n) after a\n\
         peer's latency: its answers equal Strata's on all n queries (Prometheus, VictoriaMetrics:\n\
         on the fields and times PromQL returns). Disk: allocated bytes (du) of the whole data dir,\n\
         WAL included. The (rw) runs load Prometheus-shaped remote write and run no queries.",
        FIELDS.len()
    );
    for r in &runs {
        if let Some(e) = &r.error {
            println!("{} did not complete: {e}", r.system.name());
        }
        for (k, e) in &r.query_errors {
            println!("{} {}: {e}", r.system.name(), k.name());
        }
    }
    println!(
        "total time {:.0} s; load average after: {}",
        started.elapsed().as_secs_f64(),
        loadavg()
    );
    if !opts.keep {
        let _ = std::fs::remove_dir_all(&opts.workdir);
    } else {
        println!("kept {}", opts.workdir.display());
    }
    if mismatches > 0 {
        return Err(BenchError::Usage(format!(
            "{mismatches} query answers differ from Strata's"
        )));
    }
    Ok(())
}
