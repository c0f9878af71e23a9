//! Starting Debian's Prometheus 2.42 with the remote-write receiver on a loopback port, its
//! TSDB under a temp dir, and no scrape targets (not even itself), so its storage holds the
//! benchmark's series only.
//!
//! The data is time-ordered, but concurrent writers' batches arrive slightly out of order
//! and Prometheus otherwise requires in-order samples per series (and refuses samples older
//! than its head minus one hour). `out_of_order_time_window` is therefore set to cover what
//! the writers can have in flight: twice `workers` batches of data time, at least 1 h.

use std::path::Path;
use std::process::Command;

use super::{ServerProcess, free_port};
use crate::error::{BenchError, Result};

/// The configuration file text, with an out-of-order window of `ooo_window_ms`.
pub fn config(ooo_window_ms: i64) -> String {
    let minutes = (ooo_window_ms.max(3_600_000) + 59_999) / 60_000;
    format!(
        "global:\n  scrape_interval: 1m\nstorage:\n  tsdb:\n    out_of_order_time_window: {minutes}m\n"
    )
}

/// The out-of-order window `workers` concurrent writers of `batch_rows`-row batches over
/// `scale` hosts need (rows are time-major, one per host every 10 s).
pub fn ooo_window_ms(workers: usize, batch_rows: usize, scale: u32) -> i64 {
    let steps_per_batch = batch_rows.div_ceil(scale.max(1) as usize) as i64;
    2 * workers as i64 * steps_per_batch * crate::data::INTERVAL_MS
}

/// Writes `dir/prometheus.yml` and starts `prometheus`.
pub fn start(prometheus: &Path, dir: &Path, ooo_window_ms: i64) -> Result<ServerProcess> {
    let port = free_port()?;
    let data = dir.join("prometheus");
    std::fs::create_dir_all(&data)
        .map_err(|e| BenchError::io(format!("creating {}", data.display()), e))?;
    let conf = dir.join("prometheus.yml");
    std::fs::write(&conf, config(ooo_window_ms))
        .map_err(|e| BenchError::io(format!("writing {}", conf.display()), e))?;
    let mut cmd = Command::new(prometheus);
    cmd.arg(format!("--config.file={}", conf.display()))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--web.enable-remote-write-receiver")
        .arg("--storage.tsdb.retention.time=100y")
        .arg("--log.level=warn");
    ServerProcess::spawn(
        "Prometheus",
        cmd,
        format!("http://127.0.0.1:{port}"),
        data,
        &dir.join("prometheus.log"),
    )
}

/// The remote-write URL.
pub fn write_url(base: &str) -> String {
    format!("{base}/api/v1/write")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_order_window() {
        // 100 hosts, 1000 rows: 10 steps = 100 s per batch; 4 workers -> 800 s -> 1 h floor.
        assert_eq!(ooo_window_ms(4, 1000, 100), 800_000);
        assert!(config(800_000).contains("out_of_order_time_window: 60m"));
        // 10 hosts: 1000 s per batch -> 8000 s.
        assert!(config(ooo_window_ms(4, 1000, 10)).contains("out_of_order_time_window: 134m"));
    }
}
