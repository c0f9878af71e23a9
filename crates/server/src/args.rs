//! The flags of `strata serve` ([`ServeArgs`]) and how the configuration sources combine.
//!
//! Precedence, lowest first: built-in defaults < the TOML file (`--config FILE`) <
//! `STRATA_*` environment variables < command-line flags. clap merges the last two (a flag
//! wins over its variable); [`ServeArgs::load`] lays the result over the file.
//! docs/configuration.md describes every option; keep it in step with this file.

use std::path::PathBuf;

use clap::builder::BoolishValueParser;

use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::units::{ByteSize, HumanDuration};

/// The `--retention` value: a duration, or `off` / `none` for no retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionArg(pub Option<HumanDuration>);

impl std::str::FromStr for RetentionArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "off" | "none" => Ok(RetentionArg(None)),
            d => d.parse().map(|d| RetentionArg(Some(d))),
        }
    }
}

/// Flags of `strata serve`. Each one can also come from its `STRATA_*` variable; a flag wins
/// over its variable, and both win over the `--config` file.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// TOML configuration file; its keys are the long flag names with `_` for `-`, the limits
    /// in a `[limits]` table. See docs/configuration.md.
    #[arg(long, env = "STRATA_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Data directory (WAL, manifest, SSTables). [default: ./strata-data]
    #[arg(long, env = "STRATA_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Address to listen on; port 0 picks a free port, printed as `listening on ADDR`.
    /// [default: 127.0.0.1:8086]
    #[arg(long, env = "STRATA_HTTP_ADDR", value_name = "HOST:PORT")]
    pub http_addr: Option<String>,

    /// WAL durability: `always` (fsync before acknowledging, group commit), `interval=<ms>`
    /// (fsync in the background; an OS crash loses up to one interval) or `none`.
    /// [default: always]
    #[arg(long, env = "STRATA_WAL_SYNC", value_name = "POLICY")]
    pub wal_sync: Option<String>,

    /// MemTable size that triggers a flush to an SSTable. [default: 32MiB]
    #[arg(long, env = "STRATA_MEMTABLE_BYTES", value_name = "SIZE")]
    pub memtable_bytes: Option<ByteSize>,

    /// MemTable bytes above which writes get backpressure (503 + Retry-After). [default: 512MiB]
    #[arg(long, env = "STRATA_MEMTABLE_HARD_CAP", value_name = "SIZE")]
    pub memtable_hard_cap: Option<ByteSize>,

    /// Width of a time partition, e.g. `1d`, `6h`. [default: 1d]
    #[arg(long, env = "STRATA_PARTITION", value_name = "DURATION")]
    pub partition: Option<HumanDuration>,

    /// Points per SSTable block. [default: 2048]
    #[arg(long, env = "STRATA_BLOCK_POINTS", value_name = "N")]
    pub block_points: Option<usize>,

    /// Number of L0 SSTables in a partition that triggers its compaction. [default: 4]
    #[arg(long, env = "STRATA_L0_COMPACTION_TRIGGER", value_name = "N")]
    pub l0_compaction_trigger: Option<usize>,

    /// Drop time partitions older than this, e.g. `30d`; `off` keeps everything.
    /// [default: off]
    #[arg(long, env = "STRATA_RETENTION", value_name = "DURATION")]
    pub retention: Option<RetentionArg>,

    /// Flush a MemTable that has had no write for this long; `off` never does. [default: 60s]
    #[arg(long, env = "STRATA_FLUSH_IDLE", value_name = "DURATION")]
    pub flush_idle: Option<RetentionArg>,

    /// Once writes have stopped for this long, compact every partition to one file; `off`
    /// never does. [default: 120s]
    #[arg(long, env = "STRATA_COMPACT_IDLE", value_name = "DURATION")]
    pub compact_idle: Option<RetentionArg>,

    /// Write L2 rollups (per-window count, sum, min, max, first, last) of partitions older
    /// than this, e.g. `7d`; `off` writes none. [default: off]
    #[arg(long, env = "STRATA_ROLLUP_AFTER", value_name = "DURATION")]
    pub rollup_after: Option<RetentionArg>,

    /// Rollup window widths, comma-separated. [default: 1m,1h]
    #[arg(long, env = "STRATA_ROLLUP_WINDOWS", value_name = "DURATIONS")]
    pub rollup_windows: Option<String>,

    /// Drop rollups of partitions older than this; `off` keeps them. [default: off]
    #[arg(long, env = "STRATA_ROLLUP_RETENTION", value_name = "DURATION")]
    pub rollup_retention: Option<RetentionArg>,

    /// The cold tier's object store: `s3://bucket/prefix` or `file:///dir`. Credentials,
    /// region and endpoint come only from the AWS environment (`AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP=true`).
    /// [default: none]
    #[arg(long, env = "STRATA_OBJECT_STORE", value_name = "URL")]
    pub object_store: Option<String>,

    /// Export a partition to the object store once its last timestamp is older than this
    /// and it is compacted. [default: 7d]
    #[arg(long, env = "STRATA_COLD_AFTER", value_name = "DURATION")]
    pub cold_after: Option<HumanDuration>,

    /// How often the exporter looks for partitions to export. [default: 5m]
    #[arg(long, env = "STRATA_COLD_CHECK_INTERVAL", value_name = "DURATION")]
    pub cold_check_interval: Option<HumanDuration>,

    /// Delete superseded cold files this long after the manifest stopped referencing them.
    /// [default: 1h]
    #[arg(long, env = "STRATA_COLD_GRACE", value_name = "DURATION")]
    pub cold_grace: Option<HumanDuration>,

    /// Drop the local copy of an exported partition once it ended longer ago than this; its
    /// data stays queryable from the object store. [default: none, keep local copies]
    #[arg(long, env = "STRATA_LOCAL_RETENTION", value_name = "DURATION")]
    pub local_retention: Option<HumanDuration>,

    /// Disk space for cold files fetched from the object store (in
    /// `<data-dir>/cold-cache/`). [default: 1GiB]
    #[arg(long, env = "STRATA_COLD_CACHE_BYTES", value_name = "SIZE")]
    pub cold_cache_bytes: Option<ByteSize>,

    /// Bearer token required on every route but /health (`Authorization: Bearer <t>` or
    /// `Token <t>`). Prefer --auth-token-file: flags are visible in `ps`. [default: none]
    #[arg(
        long,
        env = "STRATA_AUTH_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub auth_token: Option<String>,

    /// File holding the bearer token (surrounding whitespace ignored).
    #[arg(long, env = "STRATA_AUTH_TOKEN_FILE", value_name = "FILE")]
    pub auth_token_file: Option<PathBuf>,

    /// Accept NaN and infinite floats from JSON and line protocol (remote write always
    /// accepts them). [default: false]
    #[arg(long, env = "STRATA_ALLOW_NAN", value_name = "BOOL", num_args = 0..=1,
          default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub allow_nan: Option<bool>,

    /// How long shutdown waits for in-flight requests before closing anyway. [default: 30s]
    #[arg(long, env = "STRATA_SHUTDOWN_TIMEOUT", value_name = "DURATION")]
    pub shutdown_timeout: Option<HumanDuration>,

    /// How far back a PromQL instant selector looks for a sample. [default: 5m]
    #[arg(long, env = "STRATA_QUERY_LOOKBACK_DELTA", value_name = "DURATION")]
    pub query_lookback_delta: Option<HumanDuration>,

    /// Longest a PromQL query may run. [default: 2m]
    #[arg(long, env = "STRATA_QUERY_TIMEOUT", value_name = "DURATION")]
    pub query_timeout: Option<HumanDuration>,

    /// Most samples one PromQL query may hold at once (422 above). [default: 50000000]
    #[arg(long, env = "STRATA_QUERY_MAX_SAMPLES", value_name = "N")]
    pub query_max_samples: Option<usize>,

    /// Most series one PromQL selector may select (422 above). [default: 1000000]
    #[arg(long, env = "STRATA_QUERY_MAX_SERIES", value_name = "N")]
    pub query_max_series: Option<usize>,

    /// Largest request body as sent (413 above). [default: 32MiB]
    #[arg(long, env = "STRATA_MAX_BODY_BYTES", value_name = "SIZE")]
    pub max_body_bytes: Option<ByteSize>,

    /// Largest body after gzip/snappy decompression (413 above). [default: 128MiB]
    #[arg(long, env = "STRATA_MAX_DECOMPRESSED_BYTES", value_name = "SIZE")]
    pub max_decompressed_bytes: Option<ByteSize>,

    /// Most points in one write request (413 above). [default: 1000000]
    #[arg(long, env = "STRATA_MAX_POINTS_PER_REQUEST", value_name = "N")]
    pub max_points_per_request: Option<usize>,

    /// Most tags on one point (400 above). [default: 64]
    #[arg(long, env = "STRATA_MAX_TAGS_PER_POINT", value_name = "N")]
    pub max_tags_per_point: Option<usize>,

    /// Longest measurement name, tag key or field key, in bytes (400 above). [default: 256]
    #[arg(long, env = "STRATA_MAX_KEY_LEN", value_name = "BYTES")]
    pub max_key_len: Option<usize>,

    /// Longest tag value or string field value, in bytes (400 above). [default: 65536]
    #[arg(long, env = "STRATA_MAX_VALUE_LEN", value_name = "BYTES")]
    pub max_value_len: Option<usize>,

    /// Most series per measurement; writes creating more are a 400. [default: 1000000]
    #[arg(long, env = "STRATA_MAX_SERIES_PER_MEASUREMENT", value_name = "N")]
    pub max_series_per_measurement: Option<usize>,

    /// Most points in a query result (413 above, suggesting aggregate or limit).
    /// [default: 1000000]
    #[arg(long, env = "STRATA_MAX_QUERY_POINTS", value_name = "N")]
    pub max_query_points: Option<usize>,

    /// Time a client has to send a request's headers (from connecting, or from its first
    /// byte after an idle wait); slower connections are closed. [default: 10s]
    #[arg(long, env = "STRATA_HEADER_TIMEOUT", value_name = "DURATION")]
    pub header_timeout: Option<HumanDuration>,

    /// Time a client has to send a request's body once its headers are in (408 after).
    /// [default: 60s]
    #[arg(long, env = "STRATA_BODY_TIMEOUT", value_name = "DURATION")]
    pub body_timeout: Option<HumanDuration>,

    /// How long a keep-alive connection may wait for its next request. [default: 60s]
    #[arg(long, env = "STRATA_IDLE_TIMEOUT", value_name = "DURATION")]
    pub idle_timeout: Option<HumanDuration>,

    /// Most open client connections; more wait in the listen backlog. [default: 1024]
    #[arg(long, env = "STRATA_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,

    /// Test hook (hidden from --help, not for production): every flush and compaction sleeps
    /// this many milliseconds, so crash tests can kill the server while one is in progress.
    #[arg(
        long,
        env = "STRATA_TEST_SLOW_BACKGROUND_MS",
        value_name = "MS",
        hide = true
    )]
    pub test_slow_background_ms: Option<u64>,

    /// Test hook (hidden, not for production): a cold export sleeps this many milliseconds
    /// after each file it uploads, so crash tests can kill the server mid-export.
    #[arg(long, value_name = "MS", hide = true)]
    pub test_slow_export_ms: Option<u64>,
}

impl ServeArgs {
    /// The configuration: defaults, then the `--config` file, then these flags (and their
    /// environment variables), validated.
    pub fn load(&self) -> Result<ServerConfig, ServerError> {
        if self.auth_token.is_some() && self.auth_token_file.is_some() {
            return Err(ServerError::Config(
                "--auth-token (STRATA_AUTH_TOKEN) and --auth-token-file (STRATA_AUTH_TOKEN_FILE) are both set: give one token source".into(),
            ));
        }
        let mut cfg = match &self.config {
            Some(path) => ServerConfig::from_toml_file(path)?,
            None => ServerConfig::default(),
        };
        self.apply(&mut cfg);
        cfg.validate()?;
        Ok(cfg)
    }

    /// Lays every given flag over `cfg`.
    pub fn apply(&self, cfg: &mut ServerConfig) {
        fn set<T: Clone>(dst: &mut T, src: &Option<T>) {
            if let Some(v) = src {
                *dst = v.clone();
            }
        }
        set(&mut cfg.data_dir, &self.data_dir);
        set(&mut cfg.http_addr, &self.http_addr);
        set(&mut cfg.wal_sync, &self.wal_sync);
        set(&mut cfg.memtable_bytes, &self.memtable_bytes);
        set(&mut cfg.memtable_hard_cap, &self.memtable_hard_cap);
        set(&mut cfg.partition, &self.partition);
        set(&mut cfg.block_points, &self.block_points);
        set(&mut cfg.l0_compaction_trigger, &self.l0_compaction_trigger);
        for (dst, src) in [
            (&mut cfg.retention, self.retention),
            (&mut cfg.flush_idle, self.flush_idle),
            (&mut cfg.compact_idle, self.compact_idle),
            (&mut cfg.rollup_after, self.rollup_after),
            (&mut cfg.rollup_retention, self.rollup_retention),
        ] {
            if let Some(r) = src {
                *dst = r.0;
            }
        }
        set(&mut cfg.rollup_windows, &self.rollup_windows);
        set(&mut cfg.allow_nan, &self.allow_nan);
        set(&mut cfg.shutdown_timeout, &self.shutdown_timeout);
        set(&mut cfg.query_lookback_delta, &self.query_lookback_delta);
        set(&mut cfg.query_timeout, &self.query_timeout);
        set(&mut cfg.query_max_samples, &self.query_max_samples);
        set(&mut cfg.query_max_series, &self.query_max_series);
        if self.object_store.is_some() {
            cfg.object_store = self.object_store.clone();
        }
        set(&mut cfg.cold_after, &self.cold_after);
        set(&mut cfg.cold_check_interval, &self.cold_check_interval);
        set(&mut cfg.cold_grace, &self.cold_grace);
        if self.local_retention.is_some() {
            cfg.local_retention = self.local_retention;
        }
        set(&mut cfg.cold_cache_bytes, &self.cold_cache_bytes);
        // A token given here replaces the file's token source of either kind.
        if self.auth_token.is_some() {
            cfg.auth_token = self.auth_token.clone();
            cfg.auth_token_file = None;
        } else if self.auth_token_file.is_some() {
            cfg.auth_token_file = self.auth_token_file.clone();
            cfg.auth_token = None;
        }
        let l = &mut cfg.limits;
        set(&mut l.max_body_bytes, &self.max_body_bytes);
        set(&mut l.max_decompressed_bytes, &self.max_decompressed_bytes);
        set(&mut l.max_points_per_request, &self.max_points_per_request);
        set(&mut l.max_tags_per_point, &self.max_tags_per_point);
        set(&mut l.max_key_len, &self.max_key_len);
        set(&mut l.max_value_len, &self.max_value_len);
        set(
            &mut l.max_series_per_measurement,
            &self.max_series_per_measurement,
        );
        set(&mut l.max_query_points, &self.max_query_points);
        set(&mut l.header_timeout, &self.header_timeout);
        set(&mut l.body_timeout, &self.body_timeout);
        set(&mut l.idle_timeout, &self.idle_timeout);
        set(&mut l.max_connections, &self.max_connections);
        if let Some(ms) = self.test_slow_export_ms {
            cfg.test_slow_export = (ms > 0).then(|| std::time::Duration::from_millis(ms));
        }
        if let Some(ms) = self.test_slow_background_ms {
            cfg.test_slow_background = (ms > 0).then(|| std::time::Duration::from_millis(ms));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::time::Duration;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    #[test]
    fn both_token_sources_refuse_to_start() {
        let cli =
            Cli::try_parse_from(["t", "--auth-token", "a", "--auth-token-file", "/f"]).unwrap();
        let e = cli.serve.load().unwrap_err().to_string();
        assert!(
            e.contains("--auth-token") && e.contains("--auth-token-file"),
            "{e}"
        );
    }

    /// The whole precedence chain in one test, because environment variables are global to
    /// the test process: defaults < file < environment < flags.
    #[test]
    fn precedence_defaults_file_env_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("strata.toml");
        std::fs::write(
            &file,
            "http_addr = \"127.0.0.1:1111\"\nblock_points = 111\nmax_series = 0\n",
        )
        .unwrap();
        // An unknown key in the file is an error naming it.
        let cli = Cli::try_parse_from(["t", "--config", file.to_str().unwrap()]).unwrap();
        assert!(
            cli.serve
                .load()
                .unwrap_err()
                .to_string()
                .contains("max_series")
        );

        std::fs::write(
            &file,
            "http_addr = \"127.0.0.1:1111\"\nblock_points = 111\nl0_compaction_trigger = 9\n\
             [limits]\nmax_key_len = 11\nmax_value_len = 12\n",
        )
        .unwrap();
        // SAFETY: only this test reads or writes these variables.
        unsafe {
            std::env::set_var("STRATA_BLOCK_POINTS", "222");
            std::env::set_var("STRATA_MAX_VALUE_LEN", "22");
            std::env::set_var("STRATA_L0_COMPACTION_TRIGGER", "7");
        }
        let cli = Cli::try_parse_from([
            "t",
            "--config",
            file.to_str().unwrap(),
            "--l0-compaction-trigger",
            "3",
            "--allow-nan",
        ])
        .unwrap();
        let c = cli.serve.load().unwrap();
        // SAFETY: as above.
        unsafe {
            std::env::remove_var("STRATA_BLOCK_POINTS");
            std::env::remove_var("STRATA_MAX_VALUE_LEN");
            std::env::remove_var("STRATA_L0_COMPACTION_TRIGGER");
        }
        assert_eq!(c.http_addr, "127.0.0.1:1111", "file over default");
        assert_eq!(c.limits.max_key_len, 11, "file over default");
        assert_eq!(c.block_points, 222, "env over file");
        assert_eq!(c.limits.max_value_len, 22, "env over file");
        assert_eq!(c.l0_compaction_trigger, 3, "flag over env and file");
        assert!(c.allow_nan, "bare flag means true");
        assert_eq!(c.data_dir, PathBuf::from("./strata-data"), "default kept");
        assert_eq!(c.limits.max_tags_per_point, 64, "default kept");
    }

    #[test]
    fn flags_parse_units_and_retention_off() {
        let cli = Cli::try_parse_from([
            "t",
            "--memtable-bytes",
            "8MiB",
            "--retention",
            "off",
            "--partition",
            "2h",
            "--allow-nan=false",
        ])
        .unwrap();
        let mut c = ServerConfig {
            retention: Some(HumanDuration(Duration::from_secs(1))),
            ..Default::default()
        };
        cli.serve.apply(&mut c);
        assert_eq!(c.memtable_bytes, ByteSize(8 << 20));
        assert_eq!(c.retention, None);
        assert_eq!(c.partition.0, Duration::from_secs(7_200));
        assert!(!c.allow_nan);
        assert!(Cli::try_parse_from(["t", "--partition", "soon"]).is_err());
    }
}
