//! What each subcommand does, over the library's pieces.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Runtime;

use crate::batches;
use crate::cli::{Cli, Command, target};
use crate::compare::{self, CompareOptions, System};
use crate::data::{FIELDS, Generator};
use crate::encode::{Encoder, Format};
use crate::error::{BenchError, Result};
use crate::http::HttpClient;
use crate::ingest::{self, IngestOptions};
use crate::query::{Planner, QueryType, strata as strata_query};
use crate::query_run;
use crate::servers;
use crate::size;
use crate::stats::{fmt_bytes, fmt_count};
use crate::timefmt::parse_duration;

fn runtime() -> Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get()))
        .enable_all()
        .build()
        .map_err(|e| BenchError::io("starting the async runtime", e))
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let progress = !cli.no_progress;
    match cli.command {
        Command::Generate {
            data,
            format,
            batch,
            output,
        } => generate(data.spec()?, format, batch, output),
        Command::Ingest {
            data,
            url,
            path,
            workers,
            batch,
            format,
            server_pid,
            sink,
            spawn,
            memory,
        } => {
            let rt = runtime()?;
            let spec = data.spec()?;
            let b = Arc::new(batches::pregenerate(
                spec,
                format,
                batch,
                memory.bytes(),
                progress,
            )?);
            eprintln!(
                "generated {} rows = {} field values as {} ({}) in {:.2} s: {} field values/s (generator only)",
                b.rows,
                b.values,
                format.name(),
                fmt_bytes(b.bytes),
                b.elapsed.as_secs_f64(),
                fmt_count(b.values_per_sec())
            );
            let path = path.unwrap_or_else(|| format.strata_path().to_string());
            let mut spawned = None;
            let (base, pid) = if sink {
                (format!("http://{}", crate::sink::start(&rt)?), None)
            } else if let Some(bin) = spawn {
                let dir = std::env::temp_dir()
                    .join(format!("strata-bench-ingest-{}", std::process::id()));
                std::fs::create_dir_all(&dir)
                    .map_err(|e| BenchError::io(format!("creating {}", dir.display()), e))?;
                let mut server = servers::strata::start(&bin, &dir)?;
                server.wait_ready(&rt, "/ready", Duration::from_secs(60))?;
                let out = (server.base.clone(), Some(server.pid()));
                spawned = Some((server, dir));
                out
            } else {
                (url.trim_end_matches('/').to_string(), server_pid)
            };
            let report = ingest::run(
                &rt,
                &IngestOptions {
                    url: format!("{base}{path}"),
                    workers,
                    server_pid: pid,
                    max_retries: 1000,
                    progress,
                },
                b,
            )?;
            print!("{}", report.describe());
            if let Some((mut server, dir)) = spawned {
                server.stop(Duration::from_secs(120))?;
                let (total, parts) = size::breakdown(&server.data_dir)?;
                print!(
                    "data dir after stop: {}",
                    size::describe(
                        &total,
                        &parts,
                        spec.values(),
                        u64::from(spec.scale) * FIELDS.len() as u64
                    )
                );
                let _ = std::fs::remove_dir_all(dir);
            }
            Ok(())
        }
        Command::Query {
            range,
            url,
            target: system,
            db,
            types,
            runs,
            seed,
            show,
        } => {
            let rt = runtime()?;
            let spec = range.spec(0, false)?;
            let types = if types.is_empty() {
                QueryType::ALL.to_vec()
            } else {
                types
            };
            let t = target(system, &url, &db);
            let client = HttpClient::new(1, Duration::from_secs(120));
            let mut planner = Planner::new(spec, seed);
            for kind in types {
                let plans = planner.plan_many(kind, runs);
                let o = query_run::run_type(&rt, &client, &t, kind, &plans, progress && !show)?;
                if show {
                    for (p, r) in plans.iter().zip(&o.results) {
                        let rows: Vec<_> = r
                            .rows
                            .iter()
                            .map(|x| (&x.group, &x.field, x.ts_ms, x.value))
                            .collect();
                        println!(
                            "{}",
                            serde_json::json!({"type": kind.name(), "request": strata_query::request(p), "answer": rows})
                        );
                    }
                }
                println!(
                    "{:<22} {}  ({} values returned)",
                    kind.name(),
                    o.latency.line(),
                    o.values
                );
            }
            Ok(())
        }
        Command::Size {
            range,
            data_dir,
            strata_bin,
        } => {
            let spec = range.spec(0, false)?;
            if !data_dir.exists() {
                return Err(BenchError::Missing(data_dir));
            }
            let (total, parts) = size::breakdown(&data_dir)?;
            print!(
                "{}",
                size::describe(
                    &total,
                    &parts,
                    spec.values(),
                    u64::from(spec.scale) * FIELDS.len() as u64
                )
            );
            println!(
                "(series = hosts x fields = {})",
                u64::from(spec.scale) * FIELDS.len() as u64
            );
            if let Some(bin) = strata_bin {
                print!("{}", servers::strata::inspect(&bin, &data_dir)?);
            }
            Ok(())
        }
        Command::Compare {
            data,
            query_seed,
            runs,
            types,
            workers,
            batch,
            rw_batch,
            systems,
            strata_bin,
            influxd,
            prometheus,
            victoria_metrics,
            workdir,
            keep,
            settle_min,
            settle_stable,
            settle_max,
            tolerance,
            memory,
        } => {
            let rt = runtime()?;
            let spec = data.spec()?;
            let strata_bin = match strata_bin {
                Some(b) => b,
                None => std::env::current_exe()
                    .map_err(|e| BenchError::io("locating this executable", e))?
                    .with_file_name("strata"),
            };
            let workdir = workdir.unwrap_or_else(|| {
                std::env::temp_dir().join(format!("strata-bench-compare-{}", std::process::id()))
            });
            let opts = CompareOptions {
                data: spec,
                query_seed: query_seed.unwrap_or(data.seed),
                runs,
                types: if types.is_empty() {
                    QueryType::ALL.to_vec()
                } else {
                    types
                },
                workers,
                batch,
                rw_batch,
                systems: if systems.is_empty() {
                    System::ALL.to_vec()
                } else {
                    systems
                },
                strata_bin,
                influxd,
                prometheus,
                victoria_metrics,
                workdir,
                keep,
                settle_min: Duration::from_millis(parse_duration(&settle_min)? as u64),
                settle_max: Duration::from_millis(parse_duration(&settle_max)? as u64),
                settle_stable: Duration::from_millis(parse_duration(&settle_stable)? as u64),
                max_memory: memory.bytes(),
                tolerance,
                progress,
            };
            compare::run(&rt, &opts).inspect_err(|e| println!("compare failed: {e}"))
        }
    }
}

/// `generate`: streams the data set, one body of `batch` rows at a time.
fn generate(
    spec: crate::data::DataSpec,
    format: Format,
    batch: usize,
    output: Option<PathBuf>,
) -> Result<()> {
    if batch == 0 {
        return Err(BenchError::Usage("--batch must be > 0".into()));
    }
    let started = std::time::Instant::now();
    let mut out: Box<dyn std::io::Write> = match &output {
        Some(p) => Box::new(
            std::fs::File::create(p)
                .map_err(|e| BenchError::io(format!("creating {}", p.display()), e))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 20, &mut out);
    let mut g = Generator::new(spec);
    let enc = Encoder::new(format, g.tags());
    let mut rows = Vec::with_capacity(batch);
    let mut bytes = 0u64;
    let write_err = |e| BenchError::io("writing the data", e);
    loop {
        rows.clear();
        if g.fill(batch, &mut rows) == 0 {
            break;
        }
        let body = enc.encode(&rows)?;
        match format {
            Format::RemoteWrite => {
                out.write_all(&(body.len() as u32).to_be_bytes())
                    .map_err(write_err)?;
            }
            Format::Json if bytes > 0 => out.write_all(b"\n").map_err(write_err)?,
            _ => {}
        }
        out.write_all(&body).map_err(write_err)?;
        bytes += body.len() as u64;
    }
    if format == Format::Json {
        out.write_all(b"\n").map_err(write_err)?;
    }
    out.flush().map_err(write_err)?;
    let took = started.elapsed().as_secs_f64();
    eprintln!(
        "{} rows = {} field values, {} as {} in {:.2} s ({} field values/s)",
        spec.rows(),
        spec.values(),
        fmt_bytes(bytes),
        format.name(),
        took,
        fmt_count(spec.values() as f64 / took.max(1e-9))
    );
    Ok(())
}
