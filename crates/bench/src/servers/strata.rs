//! Starting Strata (`strata serve --data-dir DIR --http-addr 127.0.0.1:PORT`) and reading
//! its size report (`strata inspect --data-dir DIR`) and `/metrics`.
//!
//! As for InfluxDB (see `influx.rs`), the idle timers are shortened so that a short run
//! reaches a settled state: MemTables are flushed after 10 s without writes (default 60 s)
//! and every partition is compacted to one file after 30 s without writes (default 120 s).
//! The WAL is fsynced on every write (`always`, the default).

use std::path::Path;
use std::process::Command;

use super::{ServerProcess, free_port, run_capture};
use crate::error::Result;

/// Starts `bin serve` with its data under `dir/data`.
pub fn start(bin: &Path, dir: &Path) -> Result<ServerProcess> {
    let port = free_port()?;
    let data = dir.join("data");
    let mut cmd = Command::new(bin);
    cmd.arg("serve")
        .arg("--data-dir")
        .arg(&data)
        .arg("--http-addr")
        .arg(format!("127.0.0.1:{port}"))
        .args(["--flush-idle", "10s", "--compact-idle", "30s"]);
    ServerProcess::spawn(
        "Strata",
        cmd,
        format!("http://127.0.0.1:{port}"),
        data,
        &dir.join("strata.log"),
    )
}

/// The output of `bin inspect --data-dir data`.
pub fn inspect(bin: &Path, data: &Path) -> Result<String> {
    let mut cmd = Command::new(bin);
    cmd.arg("inspect").arg("--data-dir").arg(data);
    run_capture(cmd)
}

/// The `strata_*` lines of a `/metrics` page that describe storage (SSTables, WAL,
/// MemTables, flushes, compactions, series).
pub fn storage_metrics(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            [
                "sst",
                "wal",
                "memtable",
                "flush",
                "compaction",
                "series",
                "points_written",
            ]
            .iter()
            .any(|k| l.contains(k))
        })
        .filter(|l| !l.contains("_bucket{"))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_storage_lines() {
        let text = "# HELP x\nstrata_sstable_bytes{level=\"0\"} 10\nstrata_http_requests_total 3\nstrata_wal_bytes 5\nstrata_query_seconds_bucket{le=\"1\",sst=\"x\"} 1\n";
        assert_eq!(
            storage_metrics(text),
            vec!["strata_sstable_bytes{level=\"0\"} 10", "strata_wal_bytes 5"]
        );
    }
}
