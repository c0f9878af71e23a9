//! The command line (clap derive): `generate`, `ingest`, `query`, `size`, `compare`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::compare::System;
use crate::data::DataSpec;
use crate::encode::Format;
use crate::error::Result;
use crate::query::QueryType;
use crate::query::promql::Dialect;
use crate::query_run::Target;
use crate::timefmt::{parse_duration, parse_start};

/// strata-bench: TSBS-style benchmarks for Strata (data generator, ingest and query
/// runners, size report) and a side-by-side comparison with InfluxDB, Prometheus and
/// VictoriaMetrics.
#[derive(Debug, Parser)]
#[command(name = "strata-bench", version, about)]
pub struct Cli {
    /// Hide progress bars (they are drawn on a terminal's stderr only anyway).
    #[arg(long, global = true)]
    pub no_progress: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The time range and hosts of the data set.
#[derive(Debug, Clone, Args)]
pub struct RangeArgs {
    /// Number of hosts (TSBS --scale).
    #[arg(long, default_value_t = 100)]
    pub scale: u32,
    /// First timestamp: RFC 3339 (2016-01-01T00:00:00Z), a date, or epoch seconds.
    #[arg(long, default_value = "2016-01-01T00:00:00Z")]
    pub start: String,
    /// Length of the data set: 1d, 12h, 90m, ...
    #[arg(long, default_value = "1d")]
    pub duration: String,
}

/// [`RangeArgs`] plus what decides the values.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    #[command(flatten)]
    pub range: RangeArgs,
    /// Seed of the data (tags and random walks).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Truncate values to whole numbers, as TSBS does for cpu (still written as floats).
    #[arg(long)]
    pub integer_values: bool,
}

impl RangeArgs {
    /// The data spec with `seed`.
    pub fn spec(&self, seed: u64, integer_values: bool) -> Result<DataSpec> {
        Ok(DataSpec {
            scale: self.scale,
            start_ms: parse_start(&self.start)?,
            duration_ms: parse_duration(&self.duration)?,
            seed,
            integer_values,
        })
    }
}

impl DataArgs {
    pub fn spec(&self) -> Result<DataSpec> {
        self.range.spec(self.seed, self.integer_values)
    }
}

/// Size limits of pre-generation.
#[derive(Debug, Clone, Args)]
pub struct MemoryArgs {
    /// Refuse to pre-generate more than this many GiB of request bodies.
    #[arg(long, default_value_t = 12.0)]
    pub max_memory_gib: f64,
}

impl MemoryArgs {
    pub fn bytes(&self) -> u64 {
        (self.max_memory_gib * (1u64 << 30) as f64) as u64
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the data set to stdout or a file (remote-write: each body prefixed with its
    /// length as a big-endian u32).
    Generate {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long, value_enum, default_value = "lp")]
        format: Format,
        /// Rows per body (JSON arrays and remote-write requests).
        #[arg(long, default_value_t = 1000)]
        batch: usize,
        /// Output file (default stdout).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Load the data set into a server and report throughput, latency and server memory.
    Ingest {
        #[command(flatten)]
        data: DataArgs,
        /// Server base URL (ignored with --sink or --spawn).
        #[arg(long, default_value = "http://127.0.0.1:8086")]
        url: String,
        /// Path and query string to post to (default: /write, or /api/v1/write for
        /// remote-write). For InfluxDB 1.x: /write?db=NAME.
        #[arg(long)]
        path: Option<String>,
        /// Concurrent connections.
        #[arg(long, default_value_t = 4)]
        workers: usize,
        /// Rows per request (each row is 10 field values).
        #[arg(long, default_value_t = 1000)]
        batch: usize,
        #[arg(long, value_enum, default_value = "lp")]
        format: Format,
        /// The server's pid, to report its VmRSS / VmHWM.
        #[arg(long)]
        server_pid: Option<u32>,
        /// Send to an in-process null server instead: the load generator's own ceiling.
        #[arg(long)]
        sink: bool,
        /// Start this `strata` binary (`serve`, data in a temp dir) and load it.
        #[arg(long, value_name = "STRATA_BIN")]
        spawn: Option<PathBuf>,
        #[command(flatten)]
        memory: MemoryArgs,
    },
    /// Run TSBS query types against a loaded server; print latency percentiles per type.
    Query {
        /// The data set that was loaded (for hosts and time range).
        #[command(flatten)]
        range: RangeArgs,
        /// Server base URL.
        #[arg(long, default_value = "http://127.0.0.1:8086")]
        url: String,
        /// What kind of server.
        #[arg(long, value_enum, default_value = "strata")]
        target: System,
        /// InfluxDB database.
        #[arg(long, default_value = "benchmark")]
        db: String,
        /// Query types (repeat or comma-separate; default all).
        #[arg(long = "type", value_enum, value_delimiter = ',')]
        types: Vec<QueryType>,
        /// Queries per type.
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// Seed of the random hosts and windows.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print each query's request and normalised answer as JSON lines.
        #[arg(long)]
        show: bool,
    },
    /// Bytes on disk of a data dir per field value and per series (and `strata inspect`).
    Size {
        #[command(flatten)]
        range: RangeArgs,
        /// The data directory.
        #[arg(long)]
        data_dir: PathBuf,
        /// Also print `STRATA_BIN inspect --data-dir DIR`.
        #[arg(long)]
        strata_bin: Option<PathBuf>,
    },
    /// Strata, InfluxDB, Prometheus and VictoriaMetrics side by side (see bench/README.md).
    Compare {
        #[command(flatten)]
        data: DataArgs,
        /// Seed of the query plans (default: the data seed).
        #[arg(long)]
        query_seed: Option<u64>,
        /// Queries per type.
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// Query types (default all).
        #[arg(long = "type", value_enum, value_delimiter = ',')]
        types: Vec<QueryType>,
        #[arg(long, default_value_t = 4)]
        workers: usize,
        /// Rows per write request.
        #[arg(long, default_value_t = 1000)]
        batch: usize,
        /// Rows per remote-write request (200 rows = 2,000 samples, one or two per series, as
        /// a Prometheus sends them).
        #[arg(long, default_value_t = 200)]
        rw_batch: usize,
        /// Systems to run (default all).
        #[arg(long, value_enum, value_delimiter = ',')]
        systems: Vec<System>,
        /// The strata binary (default: `strata` beside this executable).
        #[arg(long)]
        strata_bin: Option<PathBuf>,
        #[arg(long, default_value = "influxd")]
        influxd: PathBuf,
        #[arg(long, default_value = "prometheus")]
        prometheus: PathBuf,
        #[arg(long, default_value = "victoria-metrics")]
        victoria_metrics: PathBuf,
        /// Work directory for the servers' data (default: a new dir under /tmp), removed at
        /// the end unless --keep.
        #[arg(long)]
        workdir: Option<PathBuf>,
        #[arg(long)]
        keep: bool,
        /// Settling: wait at least this long after ingest ...
        #[arg(long, default_value = "40s")]
        settle_min: String,
        /// ... until the data dir's size is unchanged for this long ...
        #[arg(long, default_value = "15s")]
        settle_stable: String,
        /// ... or at most this long.
        #[arg(long, default_value = "3m")]
        settle_max: String,
        /// Relative tolerance of float comparisons between systems.
        #[arg(long, default_value_t = 1e-9)]
        tolerance: f64,
        #[command(flatten)]
        memory: MemoryArgs,
    },
}

/// The query target for `--target` at `url`.
pub fn target(system: System, url: &str, db: &str) -> Target {
    let base = url.trim_end_matches('/').to_string();
    match system {
        System::Strata => Target::Strata { base },
        System::Influxdb => Target::Influx {
            base,
            db: db.to_string(),
        },
        System::Prometheus => Target::Prometheus {
            base,
            dialect: Dialect::Prometheus,
        },
        System::Victoriametrics | System::VictoriametricsRw => Target::Prometheus {
            base,
            dialect: Dialect::MetricsQl,
        },
        System::StrataRw => Target::Strata { base },
    }
}
