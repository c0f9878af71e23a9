//! Starting Debian's VictoriaMetrics (single-node `victoria-metrics`, 1.79) on a loopback
//! port with its storage under a temp dir: `-retentionPeriod=100y` (the data is from 2016),
//! the response cache off (`-search.disableCache`: every query of the comparison runs, none
//! is answered from an earlier one's result). It takes line protocol on `/write` (metric
//! `{measurement}_{field}`, the tags as labels: the names the PromQL translation uses) and
//! remote write on `/api/v1/write`, and answers PromQL (MetricsQL) on `/api/v1/query_range`.
//!
//! What it promises: VictoriaMetrics has no WAL. It acknowledges a write once the samples
//! are in its in-memory buffers, which it flushes to disk about every second
//! (`-inmemoryDataFlushInterval`, 5 s in later releases); a crash or power loss loses what
//! was not yet flushed. Strata acknowledges after the WAL fsync.
//!
//! Before sizing, `/internal/force_flush` writes the buffers out and `/internal/force_merge`
//! merges the parts, so the settled size is its compacted one.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use tokio::runtime::Runtime;

use super::{ServerProcess, free_port};
use crate::error::{BenchError, Result};
use crate::http::HttpClient;

/// Starts `bin` with its data under `dir/victoria-metrics`.
pub fn start(bin: &Path, dir: &Path) -> Result<ServerProcess> {
    let port = free_port()?;
    let data = dir.join("victoria-metrics");
    std::fs::create_dir_all(&data)
        .map_err(|e| BenchError::io(format!("creating {}", data.display()), e))?;
    let mut cmd = Command::new(bin);
    cmd.arg(format!("-storageDataPath={}", data.display()))
        .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
        .arg("-retentionPeriod=100y")
        .arg("-search.disableCache")
        .arg("-loggerLevel=WARN");
    ServerProcess::spawn(
        "VictoriaMetrics",
        cmd,
        format!("http://127.0.0.1:{port}"),
        data,
        &dir.join("victoria-metrics.log"),
    )
}

/// Flushes the in-memory buffers to disk and merges the parts (the merge runs in the
/// background; the caller waits for the disk usage to settle).
pub fn flush_and_merge(rt: &Runtime, base: &str) -> Result<()> {
    let client = HttpClient::new(1, Duration::from_secs(300));
    for path in ["/internal/force_flush", "/internal/force_merge"] {
        let url = format!("{base}{path}");
        rt.block_on(client.get(&url))?.ok(&url)?;
    }
    Ok(())
}

/// The version, from the Debian package (the binary prints none).
pub fn version() -> String {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", "victoria-metrics"])
        .output();
    match out {
        Ok(o) if o.status.success() && !o.stdout.is_empty() => {
            format!("victoria-metrics {}", String::from_utf8_lossy(&o.stdout))
        }
        _ => "victoria-metrics (version unknown)".into(),
    }
}
