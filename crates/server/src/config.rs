//! Server configuration: [`ServerConfig`] (deserialized from TOML, every field defaulted) and
//! its request [`Limits`]; validation and the engine options derived from it. The flags of
//! `strata serve` and the precedence of the sources are in [`crate::args`].
//! docs/configuration.md describes every option; keep it in step with this file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use strata_engine::{EngineOptions, SyncPolicy};

use crate::error::ServerError;
use crate::units::{ByteSize, HumanDuration};

/// Everything `strata serve` needs. Field docs give the TOML key and the default.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// `data_dir`: where the WAL, manifest and SSTables live (default `./strata-data`).
    pub data_dir: PathBuf,
    /// `http_addr`: address to listen on (default `127.0.0.1:8086`; port 0 picks a free one).
    pub http_addr: String,
    /// `wal_sync`: `always` (default: fsync before acknowledging, group commit),
    /// `interval=<ms>` or `none`.
    pub wal_sync: String,
    /// `memtable_bytes`: a MemTable is flushed once it holds this much (default 32MiB).
    pub memtable_bytes: ByteSize,
    /// `memtable_hard_cap`: writes get backpressure (503) above this (default 512MiB).
    pub memtable_hard_cap: ByteSize,
    /// `partition`: width of a time partition (default `1d`).
    pub partition: HumanDuration,
    /// `block_points`: points per SSTable block (default 2048).
    pub block_points: usize,
    /// `l0_compaction_trigger`: L0 files in a partition that start a compaction (default 4).
    pub l0_compaction_trigger: usize,
    /// `retention`: drop partitions older than this (default: keep everything).
    pub retention: Option<HumanDuration>,
    /// `flush_idle`: flush a MemTable that has had no write for this long (default `60s`).
    pub flush_idle: Option<HumanDuration>,
    /// `compact_idle`: compact every partition to one file once writes have stopped for this
    /// long (default `120s`).
    pub compact_idle: Option<HumanDuration>,
    /// `rollup_after`: partitions older than this get L2 rollups (default: none).
    pub rollup_after: Option<HumanDuration>,
    /// `rollup_windows`: rollup window widths, comma-separated (default `1m,1h`).
    pub rollup_windows: String,
    /// `rollup_retention`: drop rollups of partitions older than this (default: keep).
    pub rollup_retention: Option<HumanDuration>,
    /// `auth_token`: bearer token every route but `/health` requires (default: none).
    pub auth_token: Option<String>,
    /// `auth_token_file`: file holding the token (surrounding whitespace ignored).
    pub auth_token_file: Option<PathBuf>,
    /// `allow_nan`: accept NaN and infinite floats from JSON and line protocol (default
    /// false; remote write always accepts them: NaN is Prometheus' staleness marker).
    pub allow_nan: bool,
    /// `shutdown_timeout`: how long a shutdown waits for in-flight requests (default `30s`).
    pub shutdown_timeout: HumanDuration,
    /// `query_lookback_delta`: how far back a PromQL instant selector looks for a sample
    /// (default `5m`, Prometheus' `--query.lookback-delta`).
    pub query_lookback_delta: HumanDuration,
    /// `query_timeout`: longest a PromQL query may run (default `2m`, Prometheus'
    /// `--query.timeout`); a request's `timeout` can only shorten it.
    pub query_timeout: HumanDuration,
    /// `query_max_samples`: most samples one PromQL query may hold at once (default
    /// 50,000,000, Prometheus' `--query.max-samples`); more is a 422.
    pub query_max_samples: usize,
    /// `query_max_series`: most series one PromQL selector may select (default 1,000,000);
    /// more is a 422.
    pub query_max_series: usize,
    /// `object_store`: the cold tier's store, `s3://bucket/prefix` or `file:///dir`
    /// (default: none, no cold tier). Credentials and endpoint come only from the standard
    /// `AWS_*` environment variables.
    pub object_store: Option<String>,
    /// `cold_after`: a partition whose last timestamp is older than this is exported to the
    /// object store once it is compacted (default `7d`).
    pub cold_after: HumanDuration,
    /// `cold_check_interval`: how often the exporter looks for partitions to export
    /// (default `5m`; after a failure it retries with backoff, at most this interval apart).
    pub cold_check_interval: HumanDuration,
    /// `cold_grace`: superseded cold files are deleted this long after the manifest stopped
    /// referencing them (default `1h`).
    pub cold_grace: HumanDuration,
    /// `local_retention`: the local copy of an exported partition is dropped once the
    /// partition ended longer ago than this; its data stays queryable from the object store
    /// (default: none, local copies are kept).
    pub local_retention: Option<HumanDuration>,
    /// `cold_cache_bytes`: disk space for cold files fetched from the object store, kept in
    /// `<data_dir>/cold-cache/` (default `1GiB`; `0` keeps none).
    pub cold_cache_bytes: ByteSize,
    /// `[limits]`.
    pub limits: Limits,
    /// Test hook, not a TOML key and not documented: sleep this long inside every flush and
    /// compaction ([`EngineOptions::slow_background`]) so crash tests can kill the server
    /// while one is running. Set by the hidden `--test-slow-background-ms` flag.
    #[serde(skip)]
    pub test_slow_background: Option<Duration>,
    /// Test hook, like the one above: sleep this long after each cold-tier file uploaded.
    /// Set by the hidden `--test-slow-export-ms` flag.
    #[serde(skip)]
    pub test_slow_export: Option<Duration>,
}

/// Request limits (`[limits]` in TOML). A request over a limit is rejected whole.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest request body as sent (compressed), default 32MiB; larger is a 413.
    pub max_body_bytes: ByteSize,
    /// Largest body after gzip or snappy decompression, default 128MiB; larger is a 413.
    pub max_decompressed_bytes: ByteSize,
    /// Most points in one write request, default 1,000,000; more is a 413.
    pub max_points_per_request: usize,
    /// Most tags on one point, default 64; more is a 400.
    pub max_tags_per_point: usize,
    /// Longest measurement name, tag key or field key in bytes, default 256; longer is a 400.
    pub max_key_len: usize,
    /// Longest tag value or string field value in bytes, default 65536; longer is a 400.
    pub max_value_len: usize,
    /// Most series one measurement may have, default 1,000,000; a write that would create
    /// more is a 400 (existing series keep accepting points).
    pub max_series_per_measurement: usize,
    /// Most points (rows) a query result (or a `/api/v1/series` listing) may hold, default
    /// 1,000,000; larger is a 413 suggesting `aggregate` or `limit`.
    pub max_query_points: usize,
    /// Time a client has to send a request's headers, counted from the connection opening
    /// or from the first byte after an idle wait, default `10s`; slower, the connection is
    /// closed.
    pub header_timeout: HumanDuration,
    /// Time a client has to send a request's whole body once its headers are in, default
    /// `60s`; slower is a 408 and the connection is closed.
    pub body_timeout: HumanDuration,
    /// How long a keep-alive connection may wait for its next request, default `60s`.
    pub idle_timeout: HumanDuration,
    /// Most open client connections, default 1024; further clients wait in the listen
    /// backlog until one closes.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: ByteSize(32 << 20),
            max_decompressed_bytes: ByteSize(128 << 20),
            max_points_per_request: 1_000_000,
            max_tags_per_point: 64,
            max_key_len: 256,
            max_value_len: 64 << 10,
            max_series_per_measurement: 1_000_000,
            max_query_points: 1_000_000,
            header_timeout: HumanDuration(Duration::from_secs(10)),
            body_timeout: HumanDuration(Duration::from_secs(60)),
            idle_timeout: HumanDuration(Duration::from_secs(60)),
            max_connections: 1024,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        let engine = EngineOptions::new("./strata-data");
        ServerConfig {
            data_dir: engine.data_dir,
            http_addr: "127.0.0.1:8086".into(),
            wal_sync: engine.wal_sync.to_string(),
            memtable_bytes: ByteSize(engine.memtable_bytes as u64),
            memtable_hard_cap: ByteSize(engine.memtable_hard_cap as u64),
            partition: HumanDuration(Duration::from_nanos(engine.partition_width.unsigned_abs())),
            block_points: engine.block_points,
            l0_compaction_trigger: engine.l0_compaction_trigger,
            retention: None,
            flush_idle: engine.flush_idle.map(HumanDuration),
            compact_idle: engine.compact_idle.map(HumanDuration),
            rollup_after: None,
            rollup_windows: "1m,1h".into(),
            rollup_retention: None,
            auth_token: None,
            auth_token_file: None,
            allow_nan: false,
            shutdown_timeout: HumanDuration(Duration::from_secs(30)),
            query_lookback_delta: HumanDuration(Duration::from_secs(300)),
            query_timeout: HumanDuration(Duration::from_secs(120)),
            query_max_samples: 50_000_000,
            query_max_series: 1_000_000,
            object_store: None,
            cold_after: HumanDuration(Duration::from_secs(7 * 86_400)),
            cold_check_interval: HumanDuration(Duration::from_secs(300)),
            cold_grace: HumanDuration(Duration::from_secs(3600)),
            local_retention: None,
            cold_cache_bytes: ByteSize(1 << 30),
            limits: Limits::default(),
            test_slow_background: None,
            test_slow_export: None,
        }
    }
}

impl ServerConfig {
    /// The rollup windows in nanoseconds (each at least one second).
    pub fn rollup_windows_ns(&self) -> Result<Vec<i64>, ServerError> {
        self.rollup_windows
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(|w| {
                let d: HumanDuration = w
                    .parse()
                    .map_err(|e| ServerError::Config(format!("rollup_windows: {w:?}: {e}")))?;
                if d.0 < Duration::from_secs(1) {
                    return Err(ServerError::Config(format!(
                        "rollup_windows: {w:?} is under 1s"
                    )));
                }
                i64::try_from(d.0.as_nanos())
                    .map_err(|_| ServerError::Config(format!("rollup_windows: {w:?} is too long")))
            })
            .collect()
    }

    /// Parses a TOML document (missing keys keep their defaults; unknown keys are errors).
    pub fn from_toml(text: &str) -> Result<ServerConfig, ServerError> {
        toml::from_str(text).map_err(|e| ServerError::Config(format!("invalid configuration: {e}")))
    }

    /// Reads and parses a TOML file.
    pub fn from_toml_file(path: &Path) -> Result<ServerConfig, ServerError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ServerError::Config(format!("cannot read config file {}: {e}", path.display()))
        })?;
        Self::from_toml(&text).map_err(|e| ServerError::Config(format!("{}: {e}", path.display())))
    }

    /// Checks values that parse but make no sense.
    pub fn validate(&self) -> Result<(), ServerError> {
        let bad = |m: String| Err(ServerError::Config(m));
        self.wal_sync_policy()?;
        self.partition_width_ns()?;
        if self.block_points == 0 {
            return bad("block_points must be > 0".into());
        }
        if self.l0_compaction_trigger < 2 {
            return bad("l0_compaction_trigger must be >= 2".into());
        }
        if self.memtable_bytes.0 == 0 || self.memtable_hard_cap < self.memtable_bytes {
            return bad(format!(
                "memtable_bytes ({}) must be > 0 and at most memtable_hard_cap ({})",
                self.memtable_bytes, self.memtable_hard_cap
            ));
        }
        if self.auth_token.is_some() && self.auth_token_file.is_some() {
            return bad("set auth_token or auth_token_file, not both".into());
        }
        if matches!(&self.auth_token, Some(t) if t.trim().is_empty()) {
            return bad("auth_token is empty".into());
        }
        if self.cold_check_interval.0.is_zero() {
            return bad("cold_check_interval must be > 0".into());
        }
        if self.local_retention.is_some() && self.object_store.is_none() {
            return bad(
                "local_retention drops local copies of partitions exported to the object store: set object_store too".into(),
            );
        }
        let l = &self.limits;
        for (name, v) in [
            ("max_body_bytes", l.max_body_bytes.as_usize()),
            (
                "max_decompressed_bytes",
                l.max_decompressed_bytes.as_usize(),
            ),
            ("max_points_per_request", l.max_points_per_request),
            ("max_key_len", l.max_key_len),
            ("max_value_len", l.max_value_len),
            ("max_series_per_measurement", l.max_series_per_measurement),
            ("max_query_points", l.max_query_points),
            ("max_connections", l.max_connections),
        ] {
            if v == 0 {
                return bad(format!("limits.{name} must be > 0"));
            }
        }
        for (name, d) in [
            ("header_timeout", l.header_timeout),
            ("body_timeout", l.body_timeout),
            ("idle_timeout", l.idle_timeout),
        ] {
            if d.0.is_zero() {
                return bad(format!("limits.{name} must be > 0"));
            }
        }
        Ok(())
    }

    /// The WAL sync policy.
    pub fn wal_sync_policy(&self) -> Result<SyncPolicy, ServerError> {
        self.wal_sync
            .parse()
            .map_err(|e: strata_engine::Error| ServerError::Config(e.to_string()))
    }

    fn partition_width_ns(&self) -> Result<i64, ServerError> {
        match i64::try_from(self.partition.0.as_nanos()) {
            Ok(ns) if ns >= 1_000_000_000 => Ok(ns),
            _ => Err(ServerError::Config(format!(
                "partition ({}) must be between 1s and 292 years",
                self.partition
            ))),
        }
    }

    /// The engine's options (background work on).
    pub fn engine_options(&self) -> Result<EngineOptions, ServerError> {
        let mut o = EngineOptions::new(self.data_dir.clone());
        o.wal_sync = self.wal_sync_policy()?;
        o.memtable_bytes = self.memtable_bytes.as_usize();
        o.memtable_hard_cap = self.memtable_hard_cap.as_usize();
        o.partition_width = self.partition_width_ns()?;
        o.block_points = self.block_points;
        o.max_series_per_measurement = Some(self.limits.max_series_per_measurement);
        o.l0_compaction_trigger = self.l0_compaction_trigger;
        o.retention = self.retention.map(|r| r.0);
        o.flush_idle = self.flush_idle.map(|d| d.0);
        o.compact_idle = self.compact_idle.map(|d| d.0);
        o.rollup_after = self.rollup_after.map(|d| d.0);
        o.rollup_retention = self.rollup_retention.map(|d| d.0);
        o.rollup_windows = self.rollup_windows_ns()?;
        o.slow_background = self.test_slow_background;
        Ok(o)
    }

    /// The bearer token, from `auth_token` or read from `auth_token_file`.
    pub fn resolve_auth_token(&self) -> Result<Option<String>, ServerError> {
        if let Some(t) = &self.auth_token {
            return Ok(Some(t.trim().to_string()));
        }
        let Some(path) = &self.auth_token_file else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            ServerError::Config(format!(
                "cannot read auth token file {}: {e}",
                path.display()
            ))
        })?;
        let token = text.trim();
        if token.is_empty() {
            return Err(ServerError::Config(format!(
                "auth token file {} is empty",
                path.display()
            )));
        }
        Ok(Some(token.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_documented_values() {
        let c = ServerConfig::default();
        assert_eq!(c.data_dir, PathBuf::from("./strata-data"));
        assert_eq!(c.http_addr, "127.0.0.1:8086");
        assert_eq!(c.wal_sync, "always");
        assert_eq!(c.partition.to_string(), "1d");
        assert_eq!(c.limits.max_body_bytes, ByteSize(32 << 20));
        assert_eq!(c.limits.max_decompressed_bytes, ByteSize(128 << 20));
        assert_eq!(c.limits.max_points_per_request, 1_000_000);
        assert_eq!(c.limits.max_tags_per_point, 64);
        assert_eq!(c.limits.max_key_len, 256);
        assert_eq!(c.limits.max_value_len, 65_536);
        assert!(!c.allow_nan);
        c.validate().unwrap();
        let o = c.engine_options().unwrap();
        assert_eq!(o.partition_width, 86_400_000_000_000);
        assert_eq!(o.wal_sync, SyncPolicy::Always);
    }

    #[test]
    fn toml_keys_and_units() {
        let c = ServerConfig::from_toml(
            r#"
            data_dir = "/tmp/x"
            wal_sync = "interval=50"
            memtable_bytes = "16MiB"
            memtable_hard_cap = 1073741824
            partition = "6h"
            retention = "30d"
            allow_nan = true
            [limits]
            max_body_bytes = "1MiB"
            max_tags_per_point = 8
            "#,
        )
        .unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(c.memtable_bytes, ByteSize(16 << 20));
        assert_eq!(c.memtable_hard_cap, ByteSize(1 << 30));
        assert_eq!(c.retention.unwrap().0, Duration::from_secs(30 * 86_400));
        assert_eq!(c.limits.max_body_bytes, ByteSize(1 << 20));
        assert_eq!(c.limits.max_tags_per_point, 8);
        assert_eq!(c.limits.max_key_len, 256, "unset keys keep defaults");
        let o = c.engine_options().unwrap();
        assert_eq!(o.wal_sync, SyncPolicy::Interval(Duration::from_millis(50)));
        assert_eq!(o.partition_width, 6 * 3_600 * 1_000_000_000);
    }

    #[test]
    fn bad_toml_is_named() {
        let e = ServerConfig::from_toml("data_dri = \"x\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("data_dri"), "{e}");
        let e = ServerConfig::from_toml("partition = \"1y\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("invalid duration"), "{e}");
        let c = ServerConfig {
            wal_sync: "sometimes".into(),
            ..Default::default()
        };
        assert!(c.validate().unwrap_err().to_string().contains("sometimes"));
        let c = ServerConfig {
            auth_token: Some("a".into()),
            auth_token_file: Some("f".into()),
            ..Default::default()
        };
        assert!(c.validate().is_err());
    }

    #[test]
    fn auth_token_sources() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("token");
        std::fs::write(&f, "  s3cret\n").unwrap();
        let c = ServerConfig {
            auth_token_file: Some(f.clone()),
            ..Default::default()
        };
        assert_eq!(c.resolve_auth_token().unwrap().as_deref(), Some("s3cret"));
        std::fs::write(&f, "\n").unwrap();
        assert!(c.resolve_auth_token().is_err());
        let c = ServerConfig {
            auth_token: Some("t".into()),
            ..Default::default()
        };
        assert_eq!(c.resolve_auth_token().unwrap().as_deref(), Some("t"));
        assert_eq!(ServerConfig::default().resolve_auth_token().unwrap(), None);
    }
}
