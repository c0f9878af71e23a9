//! `strata inspect --data-dir DIR`: opens the engine with background work off (this replays
//! the WAL and checks the manifest and every SSTable's header, footer and meta checksum), then
//! lists the partitions, their levels and SSTables with sizes, points and bytes per point,
//! and totals. `--verify` also reads every block of every table, checking each checksum, and
//! exits non-zero naming each corrupt file. Stop the server first: two processes must not
//! open one data directory.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use strata_engine::{Engine, EngineOptions, FileMeta};

/// Flags of `strata inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The data directory.
    #[arg(long, env = "STRATA_DATA_DIR", default_value = "./strata-data")]
    pub data_dir: PathBuf,
    /// Read every block of every SSTable and check its checksum.
    #[arg(long)]
    pub verify: bool,
}

pub fn run(args: &InspectArgs) -> ExitCode {
    if !args.data_dir.is_dir() {
        eprintln!("error: {} is not a directory", args.data_dir.display());
        return ExitCode::FAILURE;
    }
    let engine = match Engine::open(EngineOptions::manual(args.data_dir.clone())) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot open {}: {e}", args.data_dir.display());
            return ExitCode::FAILURE;
        }
    };
    let tables = engine.tables();
    let stats = engine.stats();
    let mut out = report(args, &tables);
    let _ = writeln!(
        out,
        "catalog: {} series in {} measurements; MemTable (replayed from the WAL): {} bytes",
        stats.series,
        engine.catalog().measurements().len(),
        stats.memtable_bytes + stats.frozen_memtable_bytes
    );
    let mut failed = false;
    if args.verify {
        let (text, bad) = verify(&engine);
        out.push_str(&text);
        failed = bad > 0;
    }
    print!("{out}");
    if let Err(e) = engine.close() {
        eprintln!("error: closing the engine: {e}");
        return ExitCode::FAILURE;
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The listing: partitions, levels, tables, totals.
fn report(args: &InspectArgs, tables: &[FileMeta]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "data dir: {}", args.data_dir.display());
    let mut by_partition: BTreeMap<i64, Vec<&FileMeta>> = BTreeMap::new();
    for t in tables {
        by_partition.entry(t.partition).or_default().push(t);
    }
    let mut levels: BTreeMap<u8, (u64, u64, u64)> = BTreeMap::new();
    for (partition, mut files) in by_partition {
        files.sort_by_key(|f| (f.level, f.id));
        let bytes: u64 = files.iter().map(|f| f.size).sum();
        let points: u64 = files.iter().map(|f| f.points).sum();
        let _ = writeln!(
            out,
            "partition {} : {} tables, {}, {} points, {}",
            utc(partition),
            files.len(),
            human_bytes(bytes),
            points,
            per_point(bytes, points)
        );
        for f in files {
            let _ = writeln!(
                out,
                "  L{} {:>8}.sst {:>10} {:>12} points {:>12}  {} .. {}",
                f.level,
                f.id,
                human_bytes(f.size),
                f.points,
                per_point(f.size, f.points),
                utc(f.min_ts),
                utc(f.max_ts)
            );
            let l = levels.entry(f.level).or_default();
            l.0 += 1;
            l.1 += f.size;
            l.2 += f.points;
        }
    }
    for (level, (files, bytes, points)) in &levels {
        let _ = writeln!(
            out,
            "level L{level}: {files} tables, {}, {points} points, {}",
            human_bytes(*bytes),
            per_point(*bytes, *points)
        );
    }
    let bytes: u64 = tables.iter().map(|t| t.size).sum();
    let points: u64 = tables.iter().map(|t| t.points).sum();
    let _ = writeln!(
        out,
        "total: {} tables, {}, {points} points, {}",
        tables.len(),
        human_bytes(bytes),
        per_point(bytes, points)
    );
    out
}

/// Reads every block of every table; returns the report and the number of corrupt files.
fn verify(engine: &Engine) -> (String, usize) {
    let mut out = String::new();
    let report = engine.verify();
    for (path, e) in &report.corrupt {
        let _ = writeln!(out, "CORRUPT {}: {e}", path.display());
    }
    let bad = report.corrupt.len();
    if bad == 0 {
        let _ = writeln!(
            out,
            "verify: OK, {} tables, {} blocks, every checksum matches",
            report.tables, report.blocks
        );
    } else {
        let _ = writeln!(
            out,
            "verify: FAILED, {bad} of {} tables corrupt",
            report.tables
        );
    }
    (out, bad)
}

fn per_point(bytes: u64, points: u64) -> String {
    if points == 0 {
        "- B/point".into()
    } else {
        format!("{:.2} B/point", bytes as f64 / points as f64)
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut unit = "B";
    for u in UNITS {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

/// `ns` since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
fn utc(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_696_789_234_567_000_000), "2023-10-08T18:20:34Z");
        assert_eq!(utc(-1_000_000_000), "1969-12-31T23:59:59Z");
        assert_eq!(utc(951_782_400 * 1_000_000_000), "2000-02-29T00:00:00Z");
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 << 20), "3.0 MiB");
        assert_eq!(per_point(10, 4), "2.50 B/point");
        assert_eq!(per_point(10, 0), "- B/point");
    }
}
