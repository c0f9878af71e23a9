//! Starting Debian's InfluxDB 1.6 (`influxd -config FILE`) with everything under a temp
//! dir: meta, data and WAL directories, HTTP on a loopback port, usage reporting, the
//! `_internal` monitor database, continuous queries and logging of every request off.
//!
//! Two settings differ from the defaults so that a short run reaches a settled state: the
//! cache is snapshotted to TSM after 10 s without writes (default 10 min) and a shard is
//! fully compacted after 30 s without writes (default 4 h). The WAL is fsynced on every
//! write (`wal-fsync-delay = "0s"`, the default), as Strata's default.

use std::path::Path;
use std::process::Command;

use super::{ServerProcess, free_port};
use crate::error::{BenchError, Result};

/// The database the benchmark writes to.
pub const DB: &str = "benchmark";

/// The configuration file text.
pub fn config(dir: &Path, http_port: u16, rpc_port: u16) -> String {
    let d = dir.display();
    format!(
        r#"reporting-disabled = true
reporting-enabled = false
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{d}/meta"
  logging-enabled = false

[data]
  dir = "{d}/data"
  wal-dir = "{d}/wal"
  wal-fsync-delay = "0s"
  index-version = "inmem"
  query-log-enabled = false
  cache-snapshot-write-cold-duration = "10s"
  compact-full-write-cold-duration = "30s"

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  auth-enabled = false
  log-enabled = false
  max-body-size = 0

[continuous_queries]
  enabled = false

[subscriber]
  enabled = false

[logging]
  level = "warn"
  suppress-logo = true
"#
    )
}

/// Writes the config to `dir/influxdb.conf` and starts `influxd`.
pub fn start(influxd: &Path, dir: &Path) -> Result<ServerProcess> {
    let (http, rpc) = (free_port()?, free_port()?);
    let data = dir.join("influxdb");
    std::fs::create_dir_all(&data)
        .map_err(|e| BenchError::io(format!("creating {}", data.display()), e))?;
    let conf = dir.join("influxdb.conf");
    std::fs::write(&conf, config(&data, http, rpc))
        .map_err(|e| BenchError::io(format!("writing {}", conf.display()), e))?;
    let mut cmd = Command::new(influxd);
    cmd.arg("-config").arg(&conf);
    ServerProcess::spawn(
        "InfluxDB",
        cmd,
        format!("http://127.0.0.1:{http}"),
        data,
        &dir.join("influxdb.log"),
    )
}

/// The write URL for line protocol with nanosecond timestamps.
pub fn write_url(base: &str) -> String {
    format!("{base}/write?db={DB}&precision=ns")
}

/// The URL that creates the database (`POST`).
pub fn create_db_url(base: &str) -> String {
    format!(
        "{base}/query?q={}",
        crate::http::url_encode(&format!("CREATE DATABASE {DB}"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_keeps_everything_under_the_dir() {
        let c = config(Path::new("/tmp/x"), 1234, 1235);
        assert!(c.contains("dir = \"/tmp/x/meta\"") && c.contains("wal-dir = \"/tmp/x/wal\""));
        assert!(c.contains("bind-address = \"127.0.0.1:1234\""));
        assert!(c.contains("store-enabled = false"));
        assert!(create_db_url("http://h").ends_with("q=CREATE%20DATABASE%20benchmark"));
    }
}
